/**
 * Box geometry of torchvision.ops (torchvision/ops/boxes.py, _box_convert.py), as torchvision 0.14
 * computes it, composed of the evaluator's own arithmetic so the gradient is PyTorch's:
 * - `box_area(boxes)`: (x2 - x1) * (y2 - y1) per box [N, 4] -> [N];
 * - `box_iou(boxes1, boxes2)`: [N, 4], [M, 4] -> [N, M]: the intersection (max of the top-left
 *   corners, min of the bottom-right ones, the width and height clamped at 0) over the union
 *   (area1[:, None] + area2 - inter), no guard against an empty union;
 * - `generalized_box_iou`: iou - (areai - union) / areai with the enclosing box's area areai; it
 *   asserts x2 >= x1 and y2 >= y1 for every box of both sets (an AssertionError otherwise);
 * - `box_convert(boxes, in_fmt, out_fmt)`: between 'xyxy', 'xywh' and 'cxcywh' through xyxy along the
 *   last axis (the same format in and out: a copy).
 * Boxes are (x1, y1, x2, y2) unless said. The ops' parameters that take boxes are listed in
 * BOX_PARAMS: what a function passes there holds boxes (numeric/entry-inputs.ts `holdsBoxes`).
 */
import { mk } from '../../core/lattice';
import { defineOp, type CTensor, type CVal, type LowerCtx } from '../api';

/** Column j of the last axis of x (the axis dropped). */
function col(c: LowerCtx, x: CTensor, j: number): CVal {
  const r = x.x.shape.length;
  if (!r || x.x.shape[r - 1] < 4) c.error(`${c.name}: boxes must have 4 coordinates on their last axis, got shape [${x.x.shape.join(', ')}]`);
  return c.out(c.k.squeeze(c.k.take(x.x, c.k.fromData([j], [1], 'int'), r - 1), [r - 1]), x.dt);
}

/** Boxes [N, 4] of one argument (a set of boxes, 2-D, as torchvision indexes them). */
function boxes2d(c: LowerCtx, p: string): CTensor {
  const x = c.float(p);
  if (x.x.shape.length !== 2 || x.x.shape[1] !== 4) c.error(`${c.name}: ${p} must be boxes [N, 4], got shape [${x.x.shape.join(', ')}] (torchvision indexes boxes[:, 2] and boxes[:, None, :2])`);
  return x;
}

const sub = (c: LowerCtx, a: CVal, b: CVal): CVal => c.binop('-', a, b);
const mul = (c: LowerCtx, a: CVal, b: CVal): CVal => c.binop('*', a, b);
/** A column [N] as [N, 1] (`x[:, None]`). */
const asColumn = (c: LowerCtx, v: CVal): CVal => c.out(c.k.expandDims(c.toTensor(v).x, 1), c.toTensor(v).dt);
const clampMin0 = (c: LowerCtx, v: CVal): CVal => c.out(c.k.clamp(c.toTensor(v).x, 0, undefined), 'float');
const minimum = (c: LowerCtx, a: CVal, b: CVal): CVal => {
  const [x, y] = [c.toTensor(a).x, c.toTensor(b).x];
  const s = c.k.broadcastShape(x.shape, y.shape);
  return c.out(c.k.minimum(c.k.broadcastTo(x, s), c.k.broadcastTo(y, s)), 'float');
};
const maximum = (c: LowerCtx, a: CVal, b: CVal): CVal => {
  const [x, y] = [c.toTensor(a).x, c.toTensor(b).x];
  const s = c.k.broadcastShape(x.shape, y.shape);
  return c.out(c.k.maximum(c.k.broadcastTo(x, s), c.k.broadcastTo(y, s)), 'float');
};

function area(c: LowerCtx, b: CTensor): CVal {
  return mul(c, sub(c, col(c, b, 2), col(c, b, 0)), sub(c, col(c, b, 3), col(c, b, 1)));
}

/** torchvision's _box_inter_union: [N, M] intersections and unions. */
function interUnion(c: LowerCtx, a: CTensor, b: CTensor): { inter: CVal; union: CVal } {
  const wh = [0, 1].map((j) => clampMin0(c, sub(c, minimum(c, asColumn(c, col(c, a, j + 2)), col(c, b, j + 2)), maximum(c, asColumn(c, col(c, a, j)), col(c, b, j)))));
  const inter = mul(c, wh[0], wh[1]);
  const union = sub(c, c.binop('+', asColumn(c, area(c, a)), area(c, b)), inter);
  return { inter, union };
}

export const boxArea = defineOp({
  id: 'box_area',
  summary: 'torchvision.ops.box_area: (x2 - x1) * (y2 - y1) of boxes [N, 4].',
  spell: ['torchvision.ops.box_area(boxes->input)', 'torchvision.ops.boxes.box_area(boxes->input)'],
  abstract: (c) => mk('unknown', { dtype: 'float', src: c.span }),
  lower: (c) => area(c, boxes2d(c, 'input')),
});

export const boxIou = defineOp({
  id: 'box_iou',
  summary: 'torchvision.ops.box_iou: pairwise intersection over union of boxes [N, 4] and [M, 4] -> [N, M].',
  spell: ['torchvision.ops.box_iou(boxes1->input, boxes2->other)', 'torchvision.ops.boxes.box_iou(boxes1->input, boxes2->other)'],
  abstract: (c) => mk('unknown', { dtype: 'float', src: c.span }),
  lower(c) {
    const { inter, union } = interUnion(c, boxes2d(c, 'input'), boxes2d(c, 'other'));
    return c.binop('/', inter, union);
  },
});

export const generalizedBoxIou = defineOp({
  id: 'generalized_box_iou',
  summary: 'torchvision.ops.generalized_box_iou: IoU minus the enclosing box area not covered by the union, over the enclosing area ([N, M]).',
  spell: ['torchvision.ops.generalized_box_iou(boxes1->input, boxes2->other)', 'torchvision.ops.boxes.generalized_box_iou(boxes1->input, boxes2->other)'],
  abstract: (c) => mk('unknown', { dtype: 'float', src: c.span }),
  lower(c) {
    const a = boxes2d(c, 'input');
    const b = boxes2d(c, 'other');
    for (const [p, x] of [['boxes1', a], ['boxes2', b]] as const) {
      const d = c.k.data(x.x);
      for (let i = 0; i < d.length; i += 4) if (!(d[i + 2] >= d[i]) || !(d[i + 3] >= d[i + 1])) c.error(`AssertionError: ${c.name}: ${p} holds a box with x2 < x1 or y2 < y1 (torchvision asserts (boxes[:, 2:] >= boxes[:, :2]).all())`);
    }
    const { inter, union } = interUnion(c, a, b);
    const iou = c.binop('/', inter, union);
    const whi = [0, 1].map((j) => clampMin0(c, sub(c, maximum(c, asColumn(c, col(c, a, j + 2)), col(c, b, j + 2)), minimum(c, asColumn(c, col(c, a, j)), col(c, b, j)))));
    const areai = mul(c, whi[0], whi[1]);
    return sub(c, iou, c.binop('/', sub(c, areai, union), areai));
  },
});

const FORMATS = ['xyxy', 'xywh', 'cxcywh'];

export const boxConvert = defineOp({
  id: 'box_convert',
  summary: "torchvision.ops.box_convert: boxes between 'xyxy', 'xywh' and 'cxcywh' along the last axis.",
  spell: ['torchvision.ops.box_convert(boxes->input, in_fmt, out_fmt)', 'torchvision.ops.boxes.box_convert(boxes->input, in_fmt, out_fmt)'],
  abstract: (c) => mk('unknown', { dtype: 'float', src: c.span }),
  lower(c) {
    const x = c.tensor('input');
    const inF = c.str('in_fmt');
    const outF = c.str('out_fmt');
    if (!inF || !outF || !FORMATS.includes(inF) || !FORMATS.includes(outF)) c.error(`ValueError: ${c.name}: Unsupported Bounding Box Conversions for given in_fmt and out_fmt`);
    if (inF === outF) return c.out(x.x, x.dt);
    const half = { t: 'num' as const, v: 0.5, int: false };
    let [p, q, r, s] = [0, 1, 2, 3].map((j) => col(c, x, j));
    // To xyxy.
    if (inF === 'xywh') [r, s] = [c.binop('+', p, r), c.binop('+', q, s)];
    else if (inF === 'cxcywh') [p, q, r, s] = [sub(c, p, mul(c, half, r)), sub(c, q, mul(c, half, s)), c.binop('+', p, mul(c, half, r)), c.binop('+', q, mul(c, half, s))];
    // From xyxy.
    if (outF === 'xywh') [r, s] = [sub(c, r, p), sub(c, s, q)];
    else if (outF === 'cxcywh') [p, q, r, s] = [c.binop('/', c.binop('+', p, r), { t: 'num', v: 2, int: true }), c.binop('/', c.binop('+', q, s), { t: 'num', v: 2, int: true }), sub(c, r, p), sub(c, s, q)];
    const parts = [p, q, r, s].map((v) => c.toTensor(v));
    const dt = parts.some((t) => t.dt === 'float') ? 'float' : x.dt;
    return c.out(c.k.stack(parts.map((t) => c.cast(t, dt).x), x.x.shape.length - 1), dt);
  },
});

/** The ops' parameters (canonical names) that take boxes. */
export const BOX_PARAMS: Readonly<Record<string, readonly string[]>> = {
  box_area: ['input'],
  box_iou: ['input', 'other'],
  generalized_box_iou: ['input', 'other'],
  box_convert: ['input'],
};

/** The ops whose boxes are a set [N, 4] (2-D, as torchvision indexes them); box_convert takes any leading axes. */
export const BOX_SETS: ReadonlySet<string> = new Set(['box_area', 'box_iou', 'generalized_box_iou']);

export const BOXES = [boxArea, boxIou, generalizedBoxIou, boxConvert];
