/**
 * What the concrete interpreter needs to probe numpy code for its values (numpy has no autograd):
 * scipy.misc.derivative's finite differences as scipy writes them, with the precision check that
 * tells when float32 (the only float TensorFlow.js has) cannot stand for numpy's float64 there, and
 * the summary of a numpy function's outputs (a loss, a gradient-boosting objective's gradient and
 * hessian, a metric's value).
 *
 * Precision: numpy computes in float64 by default; the probes compute every numpy value in float32
 * and say so ("values only, float32"). No value here is claimed to be float64.
 */

import type { OutputSummary } from './types';

/** float32's machine epsilon (2^-23). */
export const EPS32 = 2 ** -23;

/**
 * Rounding of one float32 evaluation of the user's function, in units of |f| * EPS32 (a few ulps:
 * a function of a few elementwise ops rounds each): the estimate the finite-difference check uses.
 */
export const F_ULPS = 8;

/** The largest estimated error, relative to the result's scale, at which a float32 finite difference stands for numpy's. */
export const DIFF_TOL = 1e-3;

/**
 * scipy.misc.derivative's weights (scipy/misc/_common.py: hard-coded for n = 1, 2 and order 3, 5,
 * 7, 9; other cases call central_diff_weights, which the probes do not model).
 */
export function derivativeWeights(n: number, order: number): number[] | undefined {
  const table: Record<string, [number[], number]> = {
    '1,3': [[-1, 0, 1], 2],
    '1,5': [[1, -8, 0, 8, -1], 12],
    '1,7': [[-1, 9, -45, 0, 45, -9, 1], 60],
    '1,9': [[3, -32, 168, -672, 0, 672, -168, 32, -3], 840],
    '2,3': [[1, -2, 1], 1],
    '2,5': [[-1, 16, -30, 16, -1], 12],
    '2,7': [[2, -27, 270, -490, 270, -27, 2], 180],
    '2,9': [[-9, 128, -1008, 8064, -14350, 8064, -1008, 128, -9], 5040],
  };
  const w = table[`${n},${order}`];
  return w ? w[0].map((x) => x / w[1]) : undefined;
}

/**
 * scipy.misc.derivative's own argument checks (ValueError), before any evaluation; undefined when
 * the arguments are valid.
 */
export function derivativeArgError(n: number, order: number): string | undefined {
  if (order < n + 1) return "'order' (the number of points used to compute the derivative), must be at least the derivative order 'n' + 1.";
  if (order % 2 === 0) return "'order' (the number of points used to compute the derivative) must be odd.";
  return undefined;
}

/**
 * Whether a finite difference computed in float32 stands for numpy's float64 one, by an estimate of
 * float32's error: the rounding of each evaluation (F_ULPS ulps of |f_k|, weighted by |w_k|, divided
 * by dx^n) and of each evaluation point (x0 + j dx rounded to float32 moves the step by up to
 * EPS32 |x0| / 2, an error of n EPS32 |x0| / (2 dx) relative to the result). Returns the reason it
 * does not, or undefined.
 *   fs: the evaluations f(x0 + (k - order // 2) dx), as flat arrays of one size (broadcast);
 *   x0max: the largest |x0|; result: the finite difference itself.
 */
export function derivativePrecision(weights: readonly number[], fs: readonly ArrayLike<number>[], dx: number, n: number, x0max: number, result: ArrayLike<number>): string | undefined {
  let scale = 0;
  for (let i = 0; i < result.length; i++) if (Number.isFinite(result[i])) scale = Math.max(scale, Math.abs(result[i]));
  let rounding = 0;
  for (let i = 0; i < result.length; i++) {
    let e = 0;
    for (let k = 0; k < fs.length; k++) {
      const v = fs[k][fs[k].length === 1 ? 0 : i];
      if (Number.isFinite(v)) e += Math.abs(weights[k]) * Math.abs(v);
    }
    rounding = Math.max(rounding, (F_ULPS * EPS32 * e) / Math.abs(dx) ** n);
  }
  const step = (n * EPS32 * Math.max(1, x0max)) / (2 * Math.abs(dx));
  const words = `scipy.misc.derivative(n=${n}, dx=${pyFloat(dx)}) in float32: numpy computes it in float64`;
  // The words stay the same for every input (a coverage report groups equal reasons).
  if (step > DIFF_TOL) return `${words}, and float32's rounding of x0 + dx moves the step by more than ${DIFF_TOL * 100} % at the probe's |x0|`;
  if (!(rounding <= DIFF_TOL * scale)) return `${words}, and float32's rounding of f exceeds ${DIFF_TOL * 100} % of the result's scale`;
  return undefined;
}

/** A float as Python's repr writes it (`1e-06`, `0.1`). */
export function pyFloat(x: number): string {
  if (x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e16)) return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return Number.isInteger(x) ? `${x}.0` : String(x);
}


/** Summarises one output's values. */
export function summarize(name: string, v: ArrayLike<number>): OutputSummary {
  const out: OutputSummary = { name, elements: v.length, nan: 0, inf: 0, negative: 0, sum: 0 };
  let nonPositive = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    out.sum += x;
    if (Number.isNaN(x)) out.nan++;
    else if (!Number.isFinite(x)) out.inf++;
    if (x < 0) out.negative++;
    if (x <= 0) nonPositive++;
  }
  if (name === 'hess') out.nonPositive = nonPositive;
  return out;
}

/**
 * The names of a numpy function's outputs, by the gradient-boosting API contract when it takes a
 * dataset (LightGBM's and XGBoost's custom objective returns `(grad, hess)`; an evaluation function
 * `(name, value[, is_higher_better])`), else `loss` for one output and `output i` for a tuple's.
 * `kinds`: each returned item's kind ('float' for an array or a Python float, 'str', 'other').
 */
export function outputNames(kinds: readonly ('float' | 'str' | 'other')[], tuple: boolean, dataset: boolean): (string | undefined)[] {
  if (!tuple) return [kinds[0] === 'float' ? 'loss' : undefined];
  if (dataset && kinds.length === 2 && kinds.every((k) => k === 'float')) return ['grad', 'hess'];
  if (kinds[0] === 'str' && (kinds.length === 2 || kinds.length === 3) && kinds[1] === 'float') return kinds.map((_, i) => (i === 1 ? 'metric' : undefined));
  return kinds.map((k, i) => (k === 'float' ? `output ${i}` : undefined));
}

/** Whether a probe's outputs hold what a values-only probe reports as a failure: NaN, infinities, a hessian <= 0. */
export function outputsOk(outs: readonly OutputSummary[]): boolean {
  return outs.every((o) => o.nan + o.inf === 0 && !o.nonPositive);
}

/** The probe table's words for a values-only probe's outputs (`loss: 2 NaN of 512; hess: 3 <= 0 of 512`). */
export function outputsText(outs: readonly OutputSummary[]): string {
  return outs
    .map((o) => {
      const bad = [o.nan ? `${o.nan} NaN` : '', o.inf ? `${o.inf} inf` : '', o.nonPositive ? `${o.nonPositive} <= 0` : o.negative && o.name !== 'grad' ? `${o.negative} negative` : ''].filter(Boolean);
      return `${o.name}: ${bad.length ? `${bad.join(', ')} of ${o.elements}` : `finite (${o.elements})`}`;
    })
    .join('; ');
}

/** Why values-only reports make no gradient probe, and which they leave out. */
export const VALUES_ONLY = {
  why: 'numpy has no autograd',
  precision: 'float32' as const,
  notChecked: ['gradient NaN/inf (LL301)', 'alpha effect (LL303)', 'CE at gamma 0 (LL304)', 'reference focal loss (LL305)', 'LL306-LL309'],
};
