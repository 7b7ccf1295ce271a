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
  const l = inp.layout ? `; laid out as [${layoutShape(inp.layout, 'N' as never, 'C' as never, true).join(', ')}] (class indices [${layoutShape(inp.layout, 'N' as never, 'C' as never, false).join(', ')}])` : '';
  return `${base}; targets ${t}${m}${a}${ig}${bg}${l}`;
}
