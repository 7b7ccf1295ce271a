/**
 * Seeded probe inputs: mulberry32 uniform numbers, Box-Muller normals, rounded to float32. The same
 * generator is written out in Python by repro.ts, so a repro script rebuilds the very same inputs.
 */
import { layoutShape, type ProbeInputs } from './types';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedInputs {
  /** Samples: the shape's N, less the dropped ones (`ignore.drop`), plus `background`. */
  rows: number;
  logits: Float32Array;
  /** Class index per sample. */
  index: Int32Array;
  /** Per-element binary targets (index one-hot, or all-zero background rows for `binary`). */
  onehot: Float32Array;
}

/**
 * Draw order (the repro script follows it): N*C normals (two uniforms each, u1 first, Box-Muller
 * cosine branch: sqrt(-2 ln(1 - u1)) * cos(2 pi u2)), then N class indices floor(u * C), then, for
 * `binary` targets, N uniforms: u < 0.5 makes the row background (all zeros).
 */
export function generate(inp: ProbeInputs): GeneratedInputs {
  const [N, C] = inp.shape;
  const rnd = mulberry32(inp.seed);
  const logits = new Float32Array(N * C);
  for (let i = 0; i < N * C; i++) {
    const u1 = rnd();
    const u2 = rnd();
    logits[i] = inp.std * Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
  const index = new Int32Array(N);
  for (let i = 0; i < N; i++) index[i] = Math.min(C - 1, Math.floor(rnd() * C));
  const onehot = new Float32Array(N * C);
  for (let i = 0; i < N; i++) onehot[i * C + index[i]] = 1;
  if (inp.target === 'binary') {
    for (let i = 0; i < N; i++) if (rnd() < 0.5) onehot[i * C + index[i]] = 0;
  }
  if (inp.margin !== undefined) {
    const m = inp.margin;
    if (inp.target === 'binary') {
      // Sigmoid: every logit sits on its target's side, at least `margin` away from 0.
      for (let i = 0; i < N * C; i++) logits[i] = (onehot[i] ? 1 : -1) * (m + Math.abs(logits[i]));
    } else {
      // Softmax: the target logit leads every other one in its row by `margin`.
      for (let i = 0; i < N; i++) {
        let mx = -Infinity;
        for (let j = 0; j < C; j++) if (j !== index[i]) mx = Math.max(mx, logits[i * C + j]);
        logits[i * C + index[i]] = Math.fround(mx + m);
      }
    }
  }
  return reshape({ rows: N, logits, index, onehot }, inp);
}

/** The background logit (LL307): sigmoid(-12) = 6.1e-6, an easy negative. */
export const BACKGROUND_LOGIT = -12;

/**
 * After the draws (the repro script follows the same steps): ignored samples relabelled or dropped,
 * then background samples appended.
 */
function reshape(g: GeneratedInputs, inp: ProbeInputs): GeneratedInputs {
  const C = inp.shape[1];
  let { rows, logits, index, onehot } = g;
  const ig = inp.ignore;
  if (ig) {
    const hit = (i: number) => i % ig.every === ig.every - 1;
    if (ig.drop) {
      const keep = Array.from({ length: rows }, (_, i) => i).filter((i) => !hit(i));
      logits = Float32Array.from(keep.flatMap((i) => Array.from(logits.subarray(i * C, i * C + C))));
      onehot = Float32Array.from(keep.flatMap((i) => Array.from(onehot.subarray(i * C, i * C + C))));
      index = Int32Array.from(keep.map((i) => index[i]));
      rows = keep.length;
    } else {
      index = Int32Array.from(index, (v, i) => (hit(i) ? ig.value : v));
    }
  }
  const B = inp.background ?? 0;
  if (B > 0) {
    const l = new Float32Array((rows + B) * C).fill(BACKGROUND_LOGIT);
    l.set(logits);
    const o = new Float32Array((rows + B) * C);
    o.set(onehot);
    const x = new Int32Array(rows + B);
    x.set(index);
    logits = l;
    onehot = o;
    index = x;
    rows += B;
  }
  return { rows, logits, index, onehot };
}

export function describeGenerator(inp: ProbeInputs): string {
  const base = `mulberry32(seed=${inp.seed}) Box-Muller normal(0, ${inp.std}) logits [${inp.shape.join(', ')}]`;
  const t = inp.target === 'index' ? 'class indices floor(u*C)' : inp.target === 'onehot' ? 'one-hot of floor(u*C)' : 'binary: one-hot of floor(u*C), row zeroed when u<0.5';
  const m = inp.margin === undefined ? '' : inp.target === 'binary' ? `; logits (2t-1)*(${inp.margin}+|z|)` : `; target logit = max(other logits) + ${inp.margin}`;
  const a = inp.activation ? `; fed ${inp.activation}(logits)` : '';
  const ig = inp.ignore ? (inp.ignore.drop ? `; every ${inp.ignore.every}th sample left out` : `; every ${inp.ignore.every}th target set to ${inp.ignore.value}`) : '';
  const bg = inp.background ? `; ${inp.background} background samples appended (logits ${BACKGROUND_LOGIT}, targets 0)` : '';
  const l = inp.layout === 'cnt' ? '; logits laid out as [C, N] (cases in columns), one-hot targets [N, C], class indices [N]' : inp.layout ? `; laid out as [${layoutShape(inp.layout, 'N' as never, 'C' as never, true).join(', ')}] (class indices [${layoutShape(inp.layout, 'N' as never, 'C' as never, false).join(', ')}])` : '';
  return `${base}; targets ${t}${m}${a}${ig}${bg}${l}`;
}

/**
 * Boxes for a detection loss (roles.ts `CheckPlan.boxes`), as its uses lay them out (entry-inputs.ts
 * `boxUse`): corners (x1, y1, x2, y2) in a BOX_IMAGE x BOX_IMAGE image, x1 < x2 and y1 < y2.
 * - `truth`: BOX_TRUTH ground-truth boxes, then, where the function drops rows of -1
 *   (`padding`), BOX_PADDING rows of -1; a fifth column holds a class in [0, C), any further ones 1;
 * - `rows`: one box per row of the prediction (an anchor): every fourth a ground-truth box moved and
 *   resized by up to 5 % of its size, the next one by up to 25 %, the other two anywhere, so that an
 *   IoU matching finds positive, ignored and negative anchors;
 * - `offsets`: a prediction of 4 numbers per row of the prediction (box offsets), normal(0, 1).
 */
export type BoxFill = { boxes: 'truth' | 'rows'; columns: number; padding: boolean; rank?: number } | { offsets: 4 } | BoxLabels | ImageDicts;

/**
 * The class of each ground-truth box (`labels[iou_argmax]`): BOX_TRUTH int64 class indices in [0, C),
 * one uniform each, floor(uC), as a fifth column's.
 */
export type BoxLabels = { labels: true; rank?: number };

/**
 * Targets as a list of per-image dicts (torchvision's detection models: `[{"boxes": [M, 4],
 * "labels": [M]}, ...]`): one dict per image of the probe (one image), each key's value as its spec
 * says (boxes of the truth without a leading axis, or their labels); keys drawn in their order.
 */
export type ImageDicts = { images: 'dicts'; keys: Record<string, { boxes: 'truth'; columns: number; padding: boolean } | BoxLabels> };

/** What a box spec draws: a tensor's values (row-major, `labels`: int64 indices [rows]), or a list of per-image dicts. */
export type DrawnBox = { data: Float32Array; rows: number; columns: number; labels?: true } | { dicts: [string, DrawnBox][][] };

export const BOX_IMAGE = 512;
export const BOX_TRUTH = 4;
export const BOX_PADDING = 2;

/** The stream of the boxes: mulberry32 of the probe's seed plus this (mod 2^32), drawn after nothing else. */
export const BOX_SEED_OFFSET = 0x9e3779b9;

export interface GeneratedBoxes {
  /** Per parameter: its values, row-major, and its rows and columns (before any leading axes of 1). */
  values: Map<string, DrawnBox>;
}

/**
 * Draw order (the repro script follows it): the BOX_TRUTH ground-truth boxes (per box 4 uniforms:
 * width 32 + 96u, height 32 + 96u, x1 (W - width)u, y1 (W - height)u), then per parameter in
 * `specs` order: `truth`: per ground-truth box one uniform for its class floor(uC) when it has a
 * fifth column; `rows`: per row i 4 uniforms: i % 4 == 0 or 1: the ground-truth box (i >> 2) % 4
 * with its centre moved by (u - 0.5) s w (then h) and its width and height scaled by 1 + (u - 0.5) s,
 * s = 0.1 or 0.5, clipped to the image; else a box as a ground-truth one is drawn but of width and
 * height 16 + 112u; `offsets`: rows x 4 Box-Muller normals as gen's logits.
 */
export function generateBoxes(seed: number, rows: number, C: number, specs: readonly [string, BoxFill][]): GeneratedBoxes {
  const rnd = mulberry32((seed + BOX_SEED_OFFSET) >>> 0);
  const W = BOX_IMAGE;
  const truth: number[][] = [];
  for (let b = 0; b < BOX_TRUTH; b++) {
    const w = 32 + 96 * rnd();
    const h = 32 + 96 * rnd();
    const x1 = (W - w) * rnd();
    const y1 = (W - h) * rnd();
    truth.push([x1, y1, x1 + w, y1 + h]);
  }
  const clip = (v: number): number => Math.min(Math.max(v, 0), W);
  const values = new Map<string, DrawnBox>();
  const labels = (): DrawnBox => {
    const data = new Float32Array(BOX_TRUTH);
    for (let b = 0; b < BOX_TRUTH; b++) data[b] = Math.min(C - 1, Math.floor(rnd() * C));
    return { data, rows: BOX_TRUTH, columns: 1, labels: true };
  };
  const truthRows = (K: number, padding: boolean): DrawnBox => {
    const n = BOX_TRUTH + (padding ? BOX_PADDING : 0);
    const data = new Float32Array(n * K).fill(-1);
    for (let b = 0; b < BOX_TRUTH; b++) {
      for (let j = 0; j < 4; j++) data[b * K + j] = truth[b][j];
      if (K > 4) data[b * K + 4] = Math.min(C - 1, Math.floor(rnd() * C));
      for (let j = 5; j < K; j++) data[b * K + j] = 1;
    }
    return { data, rows: n, columns: K };
  };
  for (const [name, spec] of specs) {
    if ('labels' in spec) {
      values.set(name, labels());
      continue;
    }
    if ('images' in spec) {
      // One image: one dict, its keys drawn in order.
      values.set(name, { dicts: [Object.entries(spec.keys).map(([key, v]): [string, DrawnBox] => [key, 'labels' in v ? labels() : truthRows(v.columns, v.padding)])] });
      continue;
    }
    if ('offsets' in spec) {
      const data = new Float32Array(rows * 4);
      for (let i = 0; i < rows * 4; i++) {
        const u1 = rnd();
        const u2 = rnd();
        data[i] = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
      }
      values.set(name, { data, rows, columns: 4 });
      continue;
    }
    const K = spec.columns;
    if (spec.boxes === 'truth') {
      values.set(name, truthRows(K, spec.padding));
      continue;
    }
    const data = new Float32Array(rows * K).fill(1);
    for (let i = 0; i < rows; i++) {
      const u1 = rnd();
      const u2 = rnd();
      const u3 = rnd();
      const u4 = rnd();
      let box: number[];
      if (i % 4 < 2) {
        const s = i % 4 === 0 ? 0.1 : 0.5;
        const [x1, y1, x2, y2] = truth[(i >> 2) % BOX_TRUTH];
        const w = x2 - x1;
        const h = y2 - y1;
        const cx = (x1 + x2) / 2 + (u1 - 0.5) * s * w;
        const cy = (y1 + y2) / 2 + (u2 - 0.5) * s * h;
        const nw = w * (1 + (u3 - 0.5) * s);
        const nh = h * (1 + (u4 - 0.5) * s);
        box = [clip(cx - nw / 2), clip(cy - nh / 2), clip(cx + nw / 2), clip(cy + nh / 2)];
      } else {
        const w = 16 + 112 * u1;
        const h = 16 + 112 * u2;
        const x1 = (W - w) * u3;
        const y1 = (W - h) * u4;
        box = [x1, y1, x1 + w, y1 + h];
      }
      for (let j = 0; j < 4; j++) data[i * K + j] = box[j];
    }
    values.set(name, { data, rows, columns: K });
  }
  return { values };
}

/** Words for a box parameter's values (the probe table's "supplied" and the generator's line). */
export function describeBoxes(spec: BoxFill): string {
  if ('labels' in spec) return `the class of each of the ${BOX_TRUTH} ground-truth boxes: int64 indices in [0, C)`;
  if ('images' in spec) return `one image's targets as a list of one dict: ${Object.entries(spec.keys).map(([k, v]) => `${JSON.stringify(k)}: ${'labels' in v ? `the class of each of the ${BOX_TRUTH} ground-truth boxes, int64 [${BOX_TRUTH}]` : `${BOX_TRUTH} ground-truth boxes (x1, y1, x2, y2) [${BOX_TRUTH}, ${v.columns}]`}`).join(', ')} in a ${BOX_IMAGE} x ${BOX_IMAGE} image`;
  if ('offsets' in spec) return 'box offsets: 4 normal(0, 1) numbers per row of the prediction (no gradient flows through them)';
  const cols = spec.columns > 4 ? `(x1, y1, x2, y2, class in [0, C)${spec.columns > 5 ? `, ${spec.columns - 5} more columns of 1` : ''})` : '(x1, y1, x2, y2)';
  if (spec.boxes === 'truth') return `${BOX_TRUTH} ground-truth boxes ${cols} in a ${BOX_IMAGE} x ${BOX_IMAGE} image${spec.padding ? `, then ${BOX_PADDING} padding rows of -1` : ''}`;
  return `one box ${cols} per row of the prediction (anchors) in a ${BOX_IMAGE} x ${BOX_IMAGE} image: every fourth a ground-truth box moved by up to 5 %, the next by up to 25 %, the others anywhere`;
}

/**
 * The shape a box parameter is passed in: offsets shaped as the prediction with 4 columns; boxes as
 * [rows, columns] under leading axes of 1 up to the rank their uses read (`anchors[0, :, :]`: 3),
 * else the prediction's rank.
 */
export function boxShape(spec: BoxFill, rows: number, columns: number, layout: ProbeInputs['layout'], N: number, C: number): number[] {
  if ('images' in spec) return [];
  if ('labels' in spec) return [...Array.from({ length: Math.max(0, (spec.rank ?? 1) - 1) }, () => 1), rows];
  if ('offsets' in spec) return layoutShape(layout, N, 4, true);
  const r = spec.rank ?? layoutShape(layout, N, C, true).length;
  return [...Array.from({ length: Math.max(0, r - 2) }, () => 1), rows, columns];
}

/** Whether a fill value is a box spec (roles.ts `CheckPlan.boxes`). */
export function isBoxFill(v: unknown): v is BoxFill {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && ('boxes' in v || 'offsets' in v || 'labels' in v || 'images' in v);
}
