/**
 * Kernel-level agreement with real PyTorch, on the default backend (wasm) and on cpu:
 * - x ** e as ATen computes it (0.5 is sqrt, -0.5 rsqrt, 2 and 3 products...), value and gradient,
 *   NaN and infinities with their signs included (torchops powScalar);
 * - the accuracy of the float32 kernels of numeric/torchops.ts (cascade sum and mean, log1p and
 *   expm1, softmax and log_softmax) on the same float32 data as torch, in ulp (units in the last
 *   place of float32) from the float64 result. TensorFlow.js's own kernels are measured on the same
 *   data and printed next to ours: they are what torchops.ts replaces (wasm's log1p is log(1 + x)
 *   in float32 and its sum a float32 running sum).
 * torch runs test/numeric/kernel_driver.py (one thread). Skipped (with the reason printed) when no
 * Python imports torch.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../server/src/numeric/gen';
import type { ProbeInputs } from '../../server/src/numeric/types';
import { loadEngine, torchPython } from './helpers';

const { python, reason } = torchPython();
if (!python) console.log(`[numeric/kernels] skipped: ${reason}`);

const BACKENDS = (process.env.LOSSLINT_TORCH_BACKENDS ?? 'wasm,cpu').split(',');

/**
 * Each kernel's error (from the float64 result, in ulp) may exceed torch's own error on the same data
 * by at most one ulp, or stay within a bound of its own that does not depend on torch's build (whose
 * summation order varies with the CPU: AVX2, AVX512, NEON): sums and means 3.5 (8 values added in
 * turn, then pairwise: the mean adds its division), log_softmax 2.5 (the sum of 8 exps in turn, a log),
 * log1p, expm1 and softmax 2.
 */
const BOUND: Record<KCase['op'], number> = { sum: 3.5, mean: 3.5, log_softmax: 2.5, log1p: 2, expm1: 2, softmax: 2 };

interface Distances {
  /** Ours from the float64 result, ours from torch, and TensorFlow.js's own kernel from the float64 result. */
  ours: number;
  oursVsTorch: number;
  tfjs: number;
}

interface KCase {
  id: string;
  op: 'sum' | 'mean' | 'log1p' | 'expm1' | 'softmax' | 'log_softmax';
  shape: number[];
  data: Float32Array;
  dim?: number;
}

/** ulp of float32 at |v| (the spacing of float32 values there; 2^-149 at zero). */
function ulpAt(v: number): number {
  const a = Math.abs(v);
  if (!(a >= 2 ** -126)) return 2 ** -149;
  if (!Number.isFinite(a)) return Infinity;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Float64 reference of one case, and the scale per output whose ulp is the unit of error. */
function exact(c: KCase): { value: Float64Array; scale: Float64Array } {
  const x = c.data;
  const rows = c.shape.length === 2 ? c.shape[0] : 1;
  const cols = c.shape.length === 2 ? c.shape[1] : c.shape[0];
  const at = (i: number, j: number) => x[i * cols + j];
  switch (c.op) {
    case 'sum':
    case 'mean': {
      // Reduced over everything (no dim), over rows (dim 1) or over columns (dim 0).
      const outer = c.dim === undefined ? 1 : c.dim === 1 ? rows : cols;
      const inner = c.dim === undefined ? x.length : c.dim === 1 ? cols : rows;
      const value = new Float64Array(outer);
      const scale = new Float64Array(outer);
      for (let o = 0; o < outer; o++) {
        for (let k = 0; k < inner; k++) {
          const v = c.dim === undefined ? x[k] : c.dim === 1 ? at(o, k) : at(k, o);
          value[o] += v;
          scale[o] += Math.abs(v);
        }
        if (c.op === 'mean') {
          value[o] /= inner;
          scale[o] /= inner;
        }
      }
      return { value, scale };
    }
    case 'log1p':
    case 'expm1': {
      // Rounded to float32 where it overflows (expm1(89) is inf in float32); torch's CPU log1p is inf above 1e38.
      const value = Float64Array.from(x, (v) => (c.op === 'log1p' ? (v > 1e38 ? Infinity : Math.log1p(v)) : Math.expm1(v))).map((v) => (Number.isFinite(Math.fround(v)) ? v : Math.fround(v)));
      return { value, scale: value.map(Math.abs) };
    }
    case 'softmax':
    case 'log_softmax': {
      const value = new Float64Array(x.length);
      const scale = new Float64Array(x.length);
      // Along dim 1 (rows) or dim 0 (columns): position k of the j-th value of line i.
      const [lines, len] = c.dim === 0 ? [cols, rows] : [rows, cols];
      const pos = (i: number, j: number) => (c.dim === 0 ? j * cols + i : i * cols + j);
      for (let i = 0; i < lines; i++) {
        let m = -Infinity;
        for (let j = 0; j < len; j++) m = Math.max(m, x[pos(i, j)]);
        let s = 0;
        for (let j = 0; j < len; j++) s += Math.exp(x[pos(i, j)] - m);
        for (let j = 0; j < len; j++) {
          const k = pos(i, j);
          value[k] = c.op === 'softmax' ? Math.exp(x[k] - m) / s : x[k] - m - Math.log(s);
          // log_softmax is (x - max) - log(sum): its float32 error is on the scale of 1 (the sum's rounding) at least.
          scale[k] = c.op === 'softmax' ? Math.abs(value[k]) : Math.max(Math.abs(value[k]), 1);
        }
      }
      return { value, scale };
    }
  }
}

/** Largest distance between a and b, in ulp of the scale of each output; NaN = NaN, equal infinities agree. */
function maxUlps(a: ArrayLike<number>, b: ArrayLike<number>, scale: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) {
      if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
      continue;
    }
    if (a[i] === b[i]) continue;
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) return Infinity;
    m = Math.max(m, Math.abs(a[i] - b[i]) / ulpAt(Number.isFinite(scale[i]) ? scale[i] : Math.abs(b[i])));
  }
  return m;
}

function normals(seed: number, n: number): Float32Array {
  const rnd = mulberry32(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()));
}

/** Loss-like positive values over many decades: exp(2 z), z normal. */
function lognormal(seed: number, n: number): Float32Array {
  return normals(seed, n).map((z) => Math.exp(2 * z));
}

/** Magnitudes 10^U(lo, hi) with random signs (negatives kept above -1 for log1p), then the special values. */
function decades(seed: number, n: number, lo: number, hi: number, specials: number[]): Float32Array {
  const rnd = mulberry32(seed);
  const v = Array.from({ length: n }, () => {
    const m = 10 ** (lo + (hi - lo) * rnd());
    return rnd() < 0.5 ? m : -Math.min(m, 0.999);
  });
  return Float32Array.from([...v, ...specials]);
}

function cases(): KCase[] {
  const e = loadEngine();
  const logits = (extra: Partial<ProbeInputs>, C = 8) => e.generate({ seed: 1, shape: [4096, C], std: 1, target: 'index', generator: '', ...extra }).logits;
  return [
    { id: 'sum of 32768 loss-like values', op: 'sum', shape: [32768], data: lognormal(1, 32768) },
    { id: 'sum of 32768 normal values', op: 'sum', shape: [32768], data: normals(2, 32768) },
    { id: 'row sums [4096, 8]', op: 'sum', shape: [4096, 8], data: lognormal(3, 32768), dim: 1 },
    { id: 'row sums [4096, 80]', op: 'sum', shape: [4096, 80], data: lognormal(4, 327680), dim: 1 },
    { id: 'column sums [4096, 8]', op: 'sum', shape: [4096, 8], data: lognormal(5, 32768), dim: 0 },
    { id: 'mean of 32768 loss-like values', op: 'mean', shape: [32768], data: lognormal(6, 32768) },
    { id: 'row means [4096, 80]', op: 'mean', shape: [4096, 80], data: lognormal(7, 327680), dim: 1 },
    { id: 'log1p of 1e-12..10', op: 'log1p', shape: [4105], data: decades(8, 4096, -12, 1, [0, -0, 1e-30, 1e-40, -1, -0.5, Infinity, NaN, 3e38]) },
    { id: 'log1p of exp(-|z|), z = probe logits std 5', op: 'log1p', shape: [32768], data: logits({ std: 5 }).map((z) => Math.exp(-Math.abs(z))) },
    { id: 'expm1 of 1e-12..80', op: 'expm1', shape: [4103], data: decades(9, 4096, -12, 1.9, [0, 88, 89, -104, -Infinity, Infinity, NaN]) },
    { id: 'log_softmax [4096, 8] std 1', op: 'log_softmax', shape: [4096, 8], data: logits({ std: 1 }), dim: 1 },
    { id: 'log_softmax [4096, 8] std 5', op: 'log_softmax', shape: [4096, 8], data: logits({ std: 5 }), dim: 1 },
    { id: 'log_softmax [4096, 8] margin 10', op: 'log_softmax', shape: [4096, 8], data: logits({ margin: 10 }), dim: 1 },
    { id: 'log_softmax [4096, 5] margin 10', op: 'log_softmax', shape: [4096, 5], data: logits({ margin: 10 }, 5), dim: 1 },
    { id: 'log_softmax [4096, 12] margin 10', op: 'log_softmax', shape: [4096, 12], data: logits({ margin: 10 }, 12), dim: 1 },
    { id: 'log_softmax [4096, 80] margin 10', op: 'log_softmax', shape: [4096, 80], data: logits({ margin: 10 }, 80), dim: 1 },
    { id: 'log_softmax [8, 4096] std 1, dim 0', op: 'log_softmax', shape: [8, 4096], data: logits({ std: 1 }), dim: 0 },
    { id: 'softmax [4096, 8] std 1', op: 'softmax', shape: [4096, 8], data: logits({ std: 1 }), dim: 1 },
    { id: 'softmax [4096, 8] margin 10', op: 'softmax', shape: [4096, 8], data: logits({ margin: 10 }), dim: 1 },
  ];
}

function runTorch(cs: (Pick<KCase, 'id' | 'shape' | 'data' | 'dim'> & { op: string; exponent?: number })[]): Map<string, Float32Array> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-kernels-'));
  try {
    const file = path.join(dir, 'cases.json');
    const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
    fs.writeFileSync(file, JSON.stringify(cs.map((c) => ({ id: c.id, op: c.op, shape: c.shape, dim: c.dim ?? null, exponent: c.exponent, data: b64(c.data) }))));
    const out = execFileSync(python!, [path.join(__dirname, 'kernel_driver.py'), file], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 });
    const parsed = JSON.parse(out) as { results: Record<string, string> };
    return new Map(Object.entries(parsed.results).map(([k, v]) => [k, new Float32Array(new Uint8Array(Buffer.from(v, 'base64')).buffer)]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** NaN, +inf and -inf at the same places, finite values within `rel` of each other (signs of zero aside). */
function agrees(x: number, y: number, rel: number): boolean {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
  return Math.abs(x - y) <= rel * Math.max(Math.abs(x), Math.abs(y));
}

describe.skipIf(!python)('x ** e as ATen computes it, value and gradient (torchops powScalar)', () => {
  const SPECIAL = [-Infinity, -4, -0.5, -0, 0, 1e-30, 0.5, 3, Infinity, NaN];
  const EXPONENTS = [0.5, -0.5, 1.5, 2, 3, -1, -2, 0.25, 1, 0, 2.5];
  let theirs: Map<string, Float32Array>;
  beforeAll(() => {
    theirs = runTorch(EXPONENTS.map((e) => ({ id: `pow ${e}`, op: 'pow', shape: [SPECIAL.length], data: Float32Array.from(SPECIAL), exponent: e })));
  });

  it.each(BACKENDS)('on %s: the same NaN and infinities (with their signs), finite values within 1e-6', async (b) => {
    const e = loadEngine();
    await e.initBackend(b);
    const tf = e.tf;
    const problems: string[] = [];
    for (const exponent of EXPONENTS) {
      const ours: Float32Array = tf.tidy(() => {
        const x = tf.tensor1d(Float32Array.from(SPECIAL));
        const grad = tf.grad((z: unknown) => tf.sum(e.torchops.powScalar(z as never, exponent)))(x);
        return Float32Array.from([...e.torchops.powScalar(x, exponent).dataSync(), ...grad.dataSync()]);
      });
      const ref = theirs.get(`pow ${exponent}`)!;
      ours.forEach((v, i) => {
        const k = i % SPECIAL.length;
        if (!agrees(v, ref[i], 1e-6)) problems.push(`${SPECIAL[k]} ** ${exponent}: ${i < SPECIAL.length ? 'value' : 'gradient'} ${v} vs torch ${ref[i]}`);
      });
    }
    await e.initBackend(BACKENDS[0]);
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!python)('float32 kernels vs real PyTorch (ulp)', () => {
  const cs = python ? cases() : [];
  let theirs: Map<string, Float32Array>;
  /** Torch's own distance from the float64 result, per case; ours and TensorFlow.js's per backend. */
  const torchErr = new Map<string, number>();
  const measured = new Map<string, Map<string, Distances>>();

  beforeAll(async () => {
    const e = loadEngine();
    const tf = e.tf;
    const P = e.torchops;
    theirs = runTorch(cs);
    for (const b of BACKENDS) {
      const info = await e.initBackend(b);
      if (info.name !== b) throw new Error(`backend ${b} did not start: ${info.notes.join('; ')}`);
      const m = new Map<string, Distances>();
      for (const c of cs) {
        const [ours, builtin] = tf.tidy(() => {
          const x = tf.tensor(c.data, c.shape, 'float32');
          const pick = (): [unknown, unknown] => {
            switch (c.op) {
              case 'sum':
                return [P.sum(x, c.dim), tf.sum(x, c.dim)];
              case 'mean':
                return [P.mean(x, c.dim), tf.mean(x, c.dim)];
              case 'log1p':
                return [P.log1p(x), tf.log1p(x)];
              case 'expm1':
                return [P.expm1(x), tf.expm1(x)];
              case 'softmax':
                return [P.softmax(x, c.dim!), c.dim === 0 ? tf.transpose(tf.softmax(tf.transpose(x))) : tf.softmax(x, c.dim)];
              case 'log_softmax':
                // tfjs's own log_softmax takes the last axis only.
                return [P.logSoftmax(x, c.dim!), c.dim === 0 ? tf.transpose(tf.logSoftmax(tf.transpose(x))) : tf.logSoftmax(x, c.dim)];
            }
          };
          return pick().map((t) => Float32Array.from((t as { dataSync(): Float32Array }).dataSync()));
        });
        const ref = theirs.get(c.id)!;
        const ex = exact(c);
        torchErr.set(c.id, maxUlps(ref, ex.value, ex.scale));
        m.set(c.id, { ours: maxUlps(ours, ex.value, ex.scale), oursVsTorch: maxUlps(ours, ref, ex.scale), tfjs: maxUlps(builtin, ex.value, ex.scale) });
      }
      measured.set(b, m);
    }
    await e.initBackend(BACKENDS[0]);
    const f = (x: number) => (x < 1e4 ? x.toFixed(2) : x.toExponential(1)).padStart(8);
    const rows = cs.map((c) => `  ${c.id.padEnd(44)} torch ${f(torchErr.get(c.id)!)} ${BACKENDS.map((b) => { const r = measured.get(b)!.get(c.id)!; return `| ${b}: tfjs ${f(r.tfjs)} ours ${f(r.ours)} ours-torch ${f(r.oursVsTorch)}`; }).join(' ')}`);
    console.log(`[numeric/kernels] max error in float32 ulp (of the output, of sum |x| for sums, at least of 1 for log_softmax) from float64\n${rows.join('\n')}`);
  }, 300_000);

  it.each(BACKENDS)('on %s, every kernel is within an ulp of torch\'s accuracy, or within its own bound', (b) => {
    const over = cs.filter((c) => !(measured.get(b)!.get(c.id)!.ours <= Math.max(torchErr.get(c.id)! + 1, BOUND[c.op]))).map((c) => `${c.id}: ${measured.get(b)!.get(c.id)!.ours} ulp (torch ${torchErr.get(c.id)}, bound ${BOUND[c.op]})`);
    expect(over).toEqual([]);
  });
});
