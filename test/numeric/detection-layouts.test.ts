/**
 * Detection losses of other layouts (issue 16): torchvision's box ops (ops/table/boxes.ts, against
 * values torchvision 0.14 computes), what makes a parameter hold boxes beyond column differences
 * (slice differences `b[:, 2:] - b[:, :2]`, an argument of a box op, a loop's item), targets as
 * per-image dicts (entry-inputs.ts `imageDicts`: boxes and labels by their uses, generated and
 * drawn alike), a second per-anchor prediction read image by image beside the scores
 * (`imageIndices`), a wrapper whose parameters a method of its own reads, and the probes end to
 * end on test/numeric/fixtures/detection_layouts.py (guarded and unguarded twins, a refusal kept).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boxUse, holdsBoxes, imageDicts, imageIndices } from '../../server/src/numeric/entry-inputs';
import { BOX_TRUTH, boxShape, generateBoxes, isBoxFill, type DrawnBox } from '../../server/src/numeric/gen';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';
import { checkDocumentNumerically, disposeNumericWorker, moduleOf } from '../../server/src/numeric/runner';
import type { NumericReport } from '../../server/src/numeric/types';
import { fn, loadEngine } from './helpers';

const FIXTURE = fs.readFileSync(path.join(__dirname, 'fixtures', 'detection_layouts.py'), 'utf8');
const WORKER = path.join(__dirname, '..', '..', 'dist', 'numeric-worker.js');

let E: ReturnType<typeof loadEngine>;

function run(src: string, args: Record<string, number[][]>): { v: number[]; shape: number[]; grad?: number[] } {
  const mod = moduleOf(src);
  const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
  const rest = Object.fromEntries(Object.entries(args).slice(1).map(([k, a]) => [k, { t: 'tensor', x: E.tf.tensor(a), dt: 'float' }]));
  const [first, a0] = Object.entries(args)[0];
  const out = ev.run(fn(mod, 'f'), { [first]: { t: 'tensor', x: E.tf.tensor(a0), dt: 'float' }, ...rest });
  const g = E.tf.grad((x: unknown) => E.tf.sum(ev.run(fn(mod, 'f'), { [first]: { t: 'tensor', x, dt: 'float' }, ...rest }).x))(E.tf.tensor(a0));
  return { v: Array.from(out.x.dataSync() as ArrayLike<number>), shape: out.x.shape, grad: Array.from(g.dataSync() as ArrayLike<number>) };
}

const close = (got: number[], want: number[]): void => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 5));
};

describe('torchvision.ops box ops', () => {
  beforeAll(async () => {
    E = loadEngine();
    await E.initBackend('wasm');
  });
  const A = [
    [0, 0, 10, 10],
    [5, 5, 15, 20],
  ];
  const B = [
    [2, 3, 8, 12],
    [20, 20, 30, 25],
    [5, 5, 15, 20],
  ];
  // Values and gradients (of the sum, with respect to boxes1) from torchvision 0.14 on torch 1.13.
  it('box_iou: [N, M], and its gradient', () => {
    const r = run('import torchvision\n\ndef f(a, b):\n    return torchvision.ops.box_iou(a, b)\n', { a: A, b: B });
    expect(r.shape).toEqual([2, 3]);
    close(r.v, [0.375, 0.0, 0.1111111119389534, 0.1147540956735611, 0.0, 1.0]);
    close(r.grad!, [0.0384204126894474, 0.0384204126894474, -0.013729054480791092, 0.05993166193366051, -0.03323478251695633, -0.01200394332408905, -0.00940607488155365, -0.006270714104175568]);
  });
  it('generalized_box_iou, and its assertion on a box with x2 < x1', () => {
    const r = run('from torchvision.ops import generalized_box_iou\n\ndef f(a, b):\n    return generalized_box_iou(a, b)\n', { a: A, b: B });
    close(r.v, [0.3083333373069763, -0.800000011920929, -0.1388888955116272, -0.05719161033630371, -0.6000000238418579, 1.0]);
    close(r.grad!, [0.05842041224241257, 0.03169818967580795, 0.006270945072174072, 0.12326499819755554, -0.08343388885259628, -0.043678149580955505, 0.024770744144916534, 0.010269079357385635]);
    expect(() => run('from torchvision.ops import generalized_box_iou\n\ndef f(a, b):\n    return generalized_box_iou(a, b)\n', { a: [[10, 0, 0, 10]], b: B })).toThrow(/AssertionError/);
  });
  it('box_area and box_convert', () => {
    expect(run('from torchvision.ops import box_area\n\ndef f(b):\n    return box_area(b)\n', { b: B }).v).toEqual([54, 50, 150]);
    expect(run('from torchvision.ops import box_convert\n\ndef f(b):\n    return box_convert(b, "xyxy", "cxcywh")\n', { b: B }).v).toEqual([5, 7.5, 6, 9, 25, 22.5, 10, 5, 10, 12.5, 10, 15]);
    expect(run('from torchvision.ops import box_convert\n\ndef f(b):\n    return box_convert(b, in_fmt="cxcywh", out_fmt="xywh")\n', { b: B }).v).toEqual([-2, -3, 8, 12, 5, 7.5, 30, 25, -2.5, -5, 15, 20]);
  });
});

describe('what holds boxes, and how', () => {
  const mod = moduleOf(FIXTURE);
  const of = (q: string) => fn(mod, q);
  it('slice differences, a box op argument and a loop item hold boxes', () => {
    expect(holdsBoxes('priors', of('sliced_widths_loss'), mod)).toBe(true);
    expect(holdsBoxes('anchors', of('DictTargetsLoss.forward'), mod)).toBe(true);
    expect(holdsBoxes('targets', of('DictTargetsLoss.forward'), mod)).toBe(true);
    // The scores are no boxes.
    expect(holdsBoxes('logits', of('DictTargetsLoss.forward'), mod)).toBe(false);
    const m2 = moduleOf('def f(x, y):\n    return (x[2:] - x[:2]).sum() + y.sum()\n');
    expect(holdsBoxes('x', fn(m2, 'f'), m2)).toBe(false);
  });
  it('a set of boxes passed to box_iou has rank 2; a new axis is no index', () => {
    expect(boxUse('anchors', of('DictTargetsLoss.forward'), mod).rank).toBe(2);
    const m2 = moduleOf('import torch\n\ndef f(s, a):\n    w = torch.max(a[:, None, 0], a[None, :, 0]) + a[:, 2] - a[:, 0]\n    return (s.sigmoid() * w.sum()).sum()\n');
    expect(boxUse('a', fn(m2, 'f'), m2).rank).toBe(2);
  });
  it('per-image dicts: keys bound to locals or read inline, laid out by their uses; a key no use lays out is null', () => {
    const boxes = { boxes: 'truth', columns: 4, padding: false };
    expect(imageDicts('targets', of('DictTargetsLoss.forward'), mod)).toEqual({ images: 'dicts', keys: { boxes, labels: { labels: true } } });
    expect(imageDicts('targets', of('inline_keys_loss'), mod)).toEqual({ images: 'dicts', keys: { boxes } });
    expect(imageDicts('targets', of('opaque_keys_loss'), mod)).toBeNull();
    // A tensor of annotations is no list of dicts.
    expect(imageDicts('truth', of('sliced_widths_loss'), mod)).toBeUndefined();
  });
  it('a second prediction read image by image beside the scores, and through a wrapper', () => {
    const f = of('sliced_widths_loss');
    expect([...imageIndices('offsets', f, mod)].some((i) => imageIndices('scores', f, mod).has(i))).toBe(true);
    const w = of('WrappedLoss.forward');
    expect(imageIndices('deltas', w, mod)).toEqual(imageIndices('scores', w, mod));
    expect(imageIndices('scores', w, mod).size).toBe(1);
  });
});

describe('detection plans of other layouts', () => {
  const skipped: PlanSkip[] = [];
  const plans = planModule(moduleOf(FIXTURE), undefined, undefined, skipped);
  const plan = (q: string) => plans.find((p) => p.qualname === q);
  it('dict targets: the scores are the input, the dicts and anchors generated', () => {
    const p = plan('DictTargetsLoss.forward')!;
    expect(p.boxes).toBe(true);
    expect(p.input).toBe('logits');
    expect(p.target).toBeUndefined();
    expect(p.fill?.targets.value).toEqual({ images: 'dicts', keys: { boxes: { boxes: 'truth', columns: 4, padding: false }, labels: { labels: true } } });
    expect(p.fill?.anchors.value).toEqual({ boxes: 'rows', columns: 4, padding: false, rank: 2 });
    expect(p.fill?.targets.assumed).toBe(true);
  });
  it('a wrapper and image-by-image offsets get box offsets', () => {
    expect(plan('WrappedLoss.forward')?.fill?.deltas.value).toEqual({ offsets: 4 });
    expect(plan('sliced_widths_loss')?.fill?.offsets.value).toEqual({ offsets: 4 });
  });
  it('boxes and their classes as two batched parameters: the ground truth [1, M, 4] and int64 labels [1, M]', () => {
    const p = plan('per_image_labels_loss')!;
    expect(p.input).toBe('cls_logits');
    expect(p.fill?.gt_labels.value).toEqual({ labels: true, rank: 2 });
    expect(p.fill?.gt_boxes.value).toEqual({ boxes: 'truth', columns: 4, padding: false });
    expect(p.fill?.anchors.value).toEqual({ boxes: 'rows', columns: 4, padding: false, rank: 2 });
    expect(boxShape({ labels: true, rank: 2 }, 4, 1, '1nc', 32, 3)).toEqual([1, 4]);
  });
  it('boxes read only through a function imported from another module: the refusal names it', () => {
    const src = 'import torch\nimport torch.nn.functional as F\nfrom util.geometry import overlap\n\ndef det_loss(pred, b_boxes, labels):\n    losses = []\n    for i in range(pred.shape[0]):\n        boxes = b_boxes[i]\n        best, which = overlap(boxes).max(dim=1)\n        t = torch.zeros(pred[i].shape)\n        t[best >= 0.5, labels[i][which][best >= 0.5]] = 1.0\n        losses.append(F.binary_cross_entropy_with_logits(pred[i], t))\n    return torch.stack(losses).mean()\n';
    const sk: PlanSkip[] = [];
    planModule(moduleOf(src), undefined, undefined, sk);
    expect(sk.find((x) => x.qualname === 'det_loss')?.reason).toMatch(/has no value: what it holds is read by `util\.geometry\.overlap`, code imported from another module/);
  });
  it('a key no use lays out keeps the refusal, saying so', () => {
    expect(skipped.find((s) => s.qualname === 'opaque_keys_loss')?.reason).toMatch(/`targets` is a list of per-image dicts read at a key whose use tells neither boxes nor their classes/);
  });
});

describe('generated labels and per-image dicts', () => {
  const g = generateBoxes(5, 32, 3, [
    ['t', { images: 'dicts', keys: { boxes: { boxes: 'truth', columns: 4, padding: false }, labels: { labels: true } } }],
    ['l', { labels: true }],
  ]).values;
  it('one image: one dict of boxes [M, 4] and int labels [M] in [0, C)', () => {
    const t = g.get('t') as Extract<DrawnBox, { dicts: unknown }>;
    expect(t.dicts.length).toBe(1);
    const [[k1, b], [k2, l]] = t.dicts[0];
    expect([k1, k2]).toEqual(['boxes', 'labels']);
    expect(b).toMatchObject({ rows: BOX_TRUTH, columns: 4 });
    expect(l).toMatchObject({ rows: BOX_TRUTH, labels: true });
    const labels = Array.from((l as { data: Float32Array }).data);
    expect(labels.every((c) => Number.isInteger(c) && c >= 0 && c < 3)).toBe(true);
    expect((g.get('l') as { labels?: true }).labels).toBe(true);
  });
  it('shapes and kinds', () => {
    expect(boxShape({ labels: true }, 4, 1, '1nc', 32, 3)).toEqual([4]);
    expect(isBoxFill({ images: 'dicts', keys: {} })).toBe(true);
    expect(isBoxFill({ keys: { gamma: 2 } })).toBe(false);
  });
});

describe('probes of detection losses of other layouts, end to end', () => {
  let reports: NumericReport[] = [];
  const opts = { backend: 'wasm' as const, workerPath: WORKER, samples: 128, timeBudgetMs: 120_000 };
  beforeAll(async () => {
    await loadEngine();
    reports = await checkDocumentNumerically(moduleOf(FIXTURE), { ...opts, text: FIXTURE });
  }, 180_000);
  afterAll(() => disposeNumericWorker());
  const get = (q: string): NumericReport => reports.find((r) => r.function === q)!;
  it('the guarded dict-targets loss is finite everywhere and says what it generated', () => {
    const r = get('DictTargetsLoss.forward');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles).toMatchObject({ input: 'logits', boxes: true });
    expect(r.supplied?.targets.value).toMatch(/^boxes \{"images":"dicts"/);
    expect(r.probes.every((p) => p.ok)).toBe(true);
    expect(r.findings).toEqual([]);
  });
  it('the unguarded twin: the log of a saturated sigmoid is not finite', () => {
    const r = get('DictTargetsUnguarded.forward');
    expect(r.notChecked).toBeUndefined();
    expect(r.findings.map((f) => f.code)).toContain('LL301');
  });
  it('the wrapper, the sliced widths, the inline keys and the per-image labels run', () => {
    for (const q of ['WrappedLoss.forward', 'sliced_widths_loss', 'inline_keys_loss', 'per_image_labels_loss']) {
      expect(get(q).notChecked).toBeUndefined();
      expect(get(q).probes.every((p) => p.ok)).toBe(true);
    }
  });
});
