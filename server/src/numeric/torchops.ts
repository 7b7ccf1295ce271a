/**
 * Tensor primitives with PyTorch's forward formulas and PyTorch's backward formulas.
 *
 * tfjs's own gradients differ from PyTorch's exactly where the probes look: `x ** 0` has a zero
 * gradient in PyTorch (tfjs computes 0 * x^-1 = NaN at x = 0), `abs` has sign(0) = 0, softmax and
 * log_softmax use specific backward expressions. Each primitive here is a `tf.customGrad` whose
 * gradient is the expression from PyTorch's derivatives.yaml, so the NaN/inf pattern of a gradient
 * is the one PyTorch would produce.
 *
 * Forward values are as accurate as PyTorch's on every backend (webgpu, wasm, cpu), whose own
 * kernels differ: tfjs-backend-wasm computes log1p as log(1 + x) in float32 (log1p(1e-10) is 0) and
 * sums float32 values one after the other in a float32 accumulator (up to 2e-5 relative off on a
 * 4096 x 8 sum), while tfjs-backend-cpu accumulates in float64. Here `log1p` and `expm1` are
 * computed so that no rounding cancels (a correction term; a series near 0), `sum` / `mean` cascade
 * as ATen's, and softmax / log_softmax add their exps in ATen's own order: see "Accurate kernels".
 */
import { tf } from './tf';

type T = tf.Tensor;

// tfjs's customGrad typing wants variadic Tensor arguments; ours name them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function cg(f: (...args: any[]) => { value: T; gradFunc: (dy: T, saved: T[]) => T | T[] }): (...xs: T[]) => T {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...xs: T[]) => T;
}

/** Sums a broadcast gradient back to an input's shape. */
export function reduceTo(g: T, shape: number[]): T {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const axes = tf.backend_util.getReductionAxes(shape, g.shape);
  let r = axes.length ? tf.sum(g, axes, true) : g;
  const lead = r.shape.length - shape.length;
  if (lead > 0) r = tf.sum(r, Array.from({ length: lead }, (_, i) => i));
  return tf.reshape(r, shape);
}

/**
 * x ** e for a Python-number exponent, as ATen's pow_tensor_scalar computes it: e = 0.5 is sqrt and
 * e = -0.5 rsqrt (so (-inf) ** 0.5 is NaN, not inf), e = 2, 3, -2 are products (x * x * x), e = -1 a
 * reciprocal; other exponents std::pow.
 */
function powValue(x: T, e: number): T {
  if (e === 0.5) return tf.sqrt(x);
  if (e === -0.5) return tf.rsqrt(x);
  if (e === 2) return tf.mul(x, x);
  if (e === 3) return tf.mul(tf.mul(x, x), x);
  if (e === -2) return tf.div(1, tf.mul(x, x));
  if (e === -1) return tf.div(1, x);
  return tf.pow(x, tf.scalar(e));
}

/**
 * x ** e for a Python-number exponent; d/dx = e * x ** (e - 1) through the same kernel (x ** 0.5 in
 * the gradient of x ** 1.5 is a sqrt), and exactly 0 when e == 0 (PyTorch pow_backward).
 */
export function powScalar(x: T, e: number): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    save([a]);
    return {
      value: e === 0 ? tf.onesLike(a) : e === 1 ? tf.clone(a) : powValue(a, e),
      gradFunc: (dy: T, saved: T[]) => (e === 0 ? tf.zerosLike(saved[0]) : e === 1 ? tf.clone(dy) : tf.mul(dy, tf.mul(tf.scalar(e), powValue(saved[0], e - 1)))),
    };
  });
  return f(x) as T;
}

/**
 * torch.clamp of an integer tensor with number bounds (tfjs-backend-wasm's ClipByValue reads int32
 * data as float32: it turned 256 into 1065353216). A non-integer bound clamps at the integers it
 * admits (min 0.5 is min 1).
 */
export function clampInt(x: T, min?: number, max?: number): T {
  let v = x;
  if (min !== undefined) v = tf.maximum(v, tf.scalar(Math.ceil(min), 'int32'));
  if (max !== undefined) v = tf.minimum(v, tf.scalar(Math.floor(max), 'int32'));
  return v;
}

/** x ** y for tensors; PyTorch pow_backward_self / pow_backward_exponent. */
export function powTensor(x: T, y: T): T {
  const f = cg((a: T, b: T, save: tf.GradSaveFunc) => {
    const out = tf.pow(a, b);
    save([a, b, out]);
    return {
      value: out,
      gradFunc: (dy: T, saved: T[]) => {
        const [a0, b0, o0] = saved;
        const ga = tf.where(tf.equal(b0, 0), tf.zerosLike(dy), tf.mul(dy, tf.mul(b0, tf.pow(a0, tf.sub(b0, 1)))));
        const gbRaw = tf.mul(dy, tf.mul(o0, tf.log(a0)));
        const gb = tf.where(tf.logicalAnd(tf.equal(a0, 0), tf.greaterEqual(b0, 0)), tf.zerosLike(gbRaw), gbRaw);
        return [reduceTo(ga, a0.shape), reduceTo(gb, b0.shape)];
      },
    };
  });
  return f(x, y) as T;
}

/** 1 / (1 + exp(-x)), as PyTorch's CPU kernel computes it (sigmoid(-100) is 0 there too). */
export function sigmoid(x: T): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    const y = tf.div(1, tf.add(1, tf.exp(tf.neg(a))));
    save([y]);
    return { value: y, gradFunc: (dy: T, s: T[]) => tf.mul(tf.mul(dy, tf.sub(1, s[0])), s[0]) };
  });
  return f(x) as T;
}

/** log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)); gradient sigmoid(-x). */
export function logsigmoid(x: T): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    save([a]);
    const value = tf.sub(tf.minimum(a, 0), log1pForward(tf.exp(tf.neg(tf.abs(a)))));
    return {
      value,
      gradFunc: (dy: T, s: T[]) => {
        const z = tf.exp(tf.neg(tf.abs(s[0])));
        // sigmoid(-x): for x >= 0, z / (1 + z); for x < 0, 1 / (1 + z).
        const sn = tf.where(tf.greaterEqual(s[0], 0), tf.div(z, tf.add(1, z)), tf.div(1, tf.add(1, z)));
        return tf.mul(dy, sn);
      },
    };
  });
  return f(x) as T;
}

export function logSoftmax(x: T, axis: number): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    const shifted = tf.sub(a, tf.max(a, axis, true));
    const out = tf.sub(shifted, tf.log(softmaxSum(tf.exp(shifted), axis)));
    save([out]);
    return { value: out, gradFunc: (dy: T, s: T[]) => tf.sub(dy, tf.mul(tf.exp(s[0]), tf.sum(dy, axis, true))) };
  });
  return f(x) as T;
}

export function softmax(x: T, axis: number): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    const e = tf.exp(tf.sub(a, tf.max(a, axis, true)));
    // ATen's softmax multiplies by the reciprocal of the sum (vec_softmax_lastdim: tmp_sum = 1 / tmp_sum).
    const out = tf.mul(e, tf.div(1, softmaxSum(e, axis)));
    save([out]);
    return { value: out, gradFunc: (dy: T, s: T[]) => tf.mul(tf.sub(dy, tf.sum(tf.mul(dy, s[0]), axis, true)), s[0]) };
  });
  return f(x) as T;
}

export function abs(x: T): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    save([a]);
    return { value: tf.abs(a), gradFunc: (dy: T, s: T[]) => tf.mul(dy, tf.sign(s[0])) };
  });
  return f(x) as T;
}

/** clamp with optional bounds; NaN stays NaN; gradient passes where min <= x <= max. */
export function clamp(x: T, min?: number, max?: number): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    save([a]);
    let v = a;
    if (min !== undefined) v = tf.where(tf.less(a, min), tf.fill(a.shape, min), v);
    if (max !== undefined) v = tf.where(tf.greater(a, max), tf.fill(a.shape, max), v);
    return {
      value: v,
      gradFunc: (dy: T, s: T[]) => {
        let mask: T = tf.cast(tf.onesLike(s[0]), 'bool');
        if (min !== undefined) mask = tf.logicalAnd(mask, tf.greaterEqual(s[0], min));
        if (max !== undefined) mask = tf.logicalAnd(mask, tf.lessEqual(s[0], max));
        return tf.where(mask, dy, tf.zerosLike(dy));
      },
    };
  });
  return f(x) as T;
}

/** clamp with tensor bounds (torch.clamp(x, min=tensor)): the conditions read copies (cut), the values pass by where. */
export function clampTensor(x: T, min?: T, max?: T): T {
  let v = x;
  if (min) {
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, min.shape);
    v = where(tf.broadcastTo(tf.less(cut(x), cut(min)), shape), tf.broadcastTo(min, shape), tf.broadcastTo(v, shape));
  }
  if (max) {
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(v.shape, max.shape);
    v = where(tf.broadcastTo(tf.greater(cut(v), cut(max)), shape), tf.broadcastTo(max, shape), tf.broadcastTo(v, shape));
  }
  return v;
}

/**
 * torch.where(cond, a, b) with PyTorch's backward: each side gets the gradient where it was chosen
 * and exactly 0 elsewhere (tfjs's Select multiplies the gradient by a 0/1 mask: a NaN coming down
 * would reach the side not chosen). The condition reads a copy (no gradient through it).
 */
export function where(cond: T, a: T, b: T): T {
  const c = cut(cond);
  if (a.dtype !== 'float32' && b.dtype !== 'float32') return tf.where(c, a, b);
  const f = cg((x: T, y: T, save: tf.GradSaveFunc) => {
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(tf.broadcast_util.assertAndGetBroadcastShape(c.shape, x.shape), y.shape);
    const cb = tf.broadcastTo(c, shape);
    save([cb]);
    return {
      value: tf.where(cb, tf.broadcastTo(x, shape), tf.broadcastTo(y, shape)),
      gradFunc: (dy: T, s: T[]) => {
        const zero = tf.zerosLike(dy);
        return [reduceTo(tf.where(s[0], dy, zero), x.shape), reduceTo(tf.where(s[0], zero, dy), y.shape)];
      },
    };
  });
  return f(a, b);
}

/**
 * torch.maximum / torch.minimum: NaN wins (either side); PyTorch's backward gives the chosen side
 * the gradient, each half of it at a tie, and the other side exactly 0 (masked_fill: a NaN gradient
 * does not leak into the side not chosen, as a product with a 0/1 mask would make it).
 */
export function extremum(a: T, b: T, max: boolean): T {
  const f = cg((x: T, y: T, save: tf.GradSaveFunc) => {
    save([x, y]);
    const m = max ? tf.maximum(x, y) : tf.minimum(x, y);
    const value = tf.where(tf.isNaN(x), tf.broadcastTo(x, m.shape), tf.where(tf.isNaN(y), tf.broadcastTo(y, m.shape), m));
    return {
      value,
      gradFunc: (dy: T, s: T[]) => {
        const [p, q] = s;
        const shape = dy.shape;
        const pb = tf.broadcastTo(p, shape);
        const qb = tf.broadcastTo(q, shape);
        const zero = tf.zerosLike(dy);
        const half = tf.where(tf.equal(pb, qb), tf.div(dy, 2), dy);
        const gp = tf.where(max ? tf.less(pb, qb) : tf.greater(pb, qb), zero, half);
        const gq = tf.where(max ? tf.greater(pb, qb) : tf.less(pb, qb), zero, half);
        return [reduceTo(gp, p.shape), reduceTo(gq, q.shape)];
      },
    };
  });
  return f(a, b);
}

/**
 * The same values, off the tape: tfjs differentiates through every op between the logits and the
 * loss, comparisons included, and has no gradient for them (`Greater`); PyTorch's comparisons end
 * the graph. A copy of the data is what a comparison, a boolean test or a rounding reads.
 */
export function cut(x: T): T {
  // Integers and booleans too: an argmax's indices are on the tape (tfjs gives ArgMax a zero
  // gradient), and a comparison of them would be differentiated (`tf.equal(argmax(t), argmax(p))`).
  if (x.dtype === 'float32') return tf.tensor(x.dataSync() as Float32Array, x.shape, 'float32');
  if (x.dtype === 'int32') return tf.tensor(x.dataSync() as Int32Array, x.shape, 'int32');
  if (x.dtype === 'bool') return tf.tensor(x.dataSync() as Uint8Array, x.shape, 'bool');
  return x;
}

/** max(x, 0); PyTorch's threshold_backward: the gradient passes where x > 0 (not at 0). */
export function relu(x: T): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    save([a]);
    return { value: tf.relu(a), gradFunc: (dy: T, s: T[]) => tf.where(tf.greater(s[0], 0), dy, tf.zerosLike(dy)) };
  });
  return f(x);
}

/**
 * softplus(x) = log1p(exp(beta x)) / beta, x where beta x > threshold; PyTorch's softplus_backward:
 * dy where beta x > threshold, else dy * z / (z + 1) with z = exp(beta x).
 */
export function softplus(x: T, beta: number, threshold: number): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    save([a]);
    const bx = tf.mul(a, beta);
    return {
      value: tf.where(tf.greater(bx, threshold), a, tf.div(log1p(tf.exp(bx)), beta)),
      gradFunc: (dy: T, s: T[]) => {
        const b = tf.mul(s[0], beta);
        const z = tf.exp(b);
        return tf.where(tf.greater(b, threshold), dy, tf.mul(dy, tf.div(z, tf.add(z, 1))));
      },
    };
  });
  return f(x);
}

/**
 * torch .detach(): the same values and no graph behind them. A copy of the data (cut), not a zero
 * gradient: a zero times an infinite local derivative behind it (pow(pt, 0.5) at pt = 0) would be
 * NaN, and PyTorch never computes that product.
 */
export function detach(x: T): T {
  return cut(x);
}

/**
 * Gathers elements of `input` at flat (row-major) positions, keeping the indices' shape. Its
 * gradient scatters (ScatterNd, summing duplicates) into zeros, as PyTorch's gather/index backward;
 * tfjs's own gather gradient needs UnsortedSegmentSum, which the wasm backend lacks.
 */
export function gatherFlat(input: T, flat: T): T {
  const size = input.size;
  const shape = input.shape;
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    save([flat]);
    return {
      value: tf.reshape(tf.gather(tf.reshape(a, [-1]), tf.reshape(flat, [-1])), flat.shape),
      gradFunc: (dy: T, s: T[]) => tf.reshape(tf.scatterND(tf.reshape(s[0], [-1, 1]), tf.reshape(dy, [-1]), [size]), shape),
    };
  });
  return f(input);
}

/** torch.gather(input, dim, index): out[i][j] = input[i][index[i][j]] (dim 1), for any rank. */
export function gatherDim(input: T, dim: number, index: T): T {
  const rank = input.shape.length;
  const strides = tf.util.computeStrides(input.shape);
  strides.push(1);
  let flat: T = tf.zeros(index.shape, 'int32');
  for (let a = 0; a < rank; a++) {
    let coord: T;
    if (a === dim) coord = tf.cast(index, 'int32');
    else {
      const shape = index.shape.map((_, i) => (i === a ? index.shape[a] : 1));
      coord = tf.reshape(tf.range(0, index.shape[a], 1, 'int32'), shape);
    }
    flat = tf.add(flat, tf.mul(coord, tf.scalar(strides[a], 'int32')));
  }
  return gatherFlat(input, flat);
}

/** input[i0, i1, ...] with integer index tensors on the leading dims (advanced indexing). */
export function gatherAdvanced(input: T, indices: T[]): T {
  const strides = tf.util.computeStrides(input.shape);
  strides.push(1);
  const k = indices.length;
  const bshape = indices.map((t) => t.shape).reduce((a, b) => tf.broadcast_util.assertAndGetBroadcastShape(a, b));
  let flat: T = tf.zeros(bshape, 'int32');
  indices.forEach((ix, a) => {
    const size = input.shape[a];
    // Negative indices count from the end, as in Python.
    const ii = tf.cast(ix, 'int32');
    const pos = tf.where(tf.less(ii, tf.scalar(0, 'int32')), tf.add(ii, tf.scalar(size, 'int32')), ii);
    flat = tf.add(flat, tf.mul(tf.cast(pos, 'int32'), tf.scalar(strides[a], 'int32')));
  });
  const rest = input.shape.slice(k);
  const restSize = rest.reduce((a, b) => a * b, 1);
  // Trailing dims are kept even when of size 1 (x of [C, 1] indexed by [N] is [N, 1]).
  if (rest.length) {
    flat = tf.add(tf.reshape(flat, [...bshape, ...rest.map(() => 1)]), tf.reshape(tf.range(0, restSize, 1, 'int32'), rest));
  }
  return gatherFlat(input, flat);
}

/**
 * Elementwise binary cross-entropy with logits, PyTorch's formula op for op (ATen Loss.cpp):
 * max_val = clamp(-x, min=0); (1 - t) * x + lw * (log(exp(-max_val) + exp(-x - max_val)) + max_val),
 * lw = 1 + (pos_weight - 1) * t. Its last float32 bits decide whether exp(-bce) rounds to exactly 1,
 * so it must be this formula and not an algebraically equal one. Gradient: PyTorch's analytic
 * backward, (lw' * sigmoid(x) - pos_weight * t) with lw' = pos_weight * t + 1 - t.
 */
export function bceWithLogits(x: T, t: T, posWeight?: T): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    // Tensors the gradient reads must be saved: closure tensors of the forward pass are disposed.
    save(posWeight ? [a, t, posWeight] : [a, t]);
    const maxVal = tf.relu(tf.neg(a));
    const lse = tf.add(tf.log(tf.add(tf.exp(tf.neg(maxVal)), tf.exp(tf.sub(tf.neg(a), maxVal)))), maxVal);
    const value = posWeight
      ? tf.add(tf.mul(tf.sub(1, t), a), tf.mul(tf.add(tf.mul(tf.sub(posWeight, 1), t), 1), lse))
      : tf.add(tf.add(tf.mul(tf.sub(1, t), a), maxVal), tf.log(tf.add(tf.exp(tf.neg(maxVal)), tf.exp(tf.sub(tf.neg(a), maxVal)))));
    return {
      value,
      gradFunc: (dy: T, s: T[]) => {
        const [a0, t0, pw0] = s;
        const sg = tf.sigmoid(a0);
        if (!pw0) return tf.mul(tf.sub(sg, t0), dy);
        const pt = tf.mul(pw0, t0);
        return tf.mul(tf.sub(tf.mul(tf.sub(tf.add(pt, 1), t0), sg), pt), dy);
      },
    };
  });
  return f(x);
}

/**
 * Elementwise binary cross-entropy of probabilities as PyTorch computes it: each log clamped at
 * -100 (so p = 0 or 1 gives a finite loss), gradient (p - t) / max((1 - p) p, 1e-12).
 */
export function bceProbs(p: T, t: T): T {
  const f = cg((pp: T, tt: T, save: tf.GradSaveFunc) => {
    save([pp, tt]);
    const lp = tf.maximum(tf.log(pp), -100);
    const l1p = tf.maximum(tf.log(tf.sub(1, pp)), -100);
    const value = tf.neg(tf.add(tf.mul(tt, lp), tf.mul(tf.sub(1, tt), l1p)));
    return {
      value,
      gradFunc: (dy: T, s: T[]) => {
        const [p0, t0] = s;
        const g = tf.div(tf.sub(p0, t0), tf.maximum(tf.mul(tf.sub(1, p0), p0), 1e-12));
        return [tf.mul(dy, g), tf.zerosLike(t0)];
      },
    };
  });
  return f(p, t);
}

// --- Accurate kernels: log1p, expm1, cascade sum and mean -------------------------------------------

/**
 * log1p(x) to about an ulp on every backend. With u = 1 + x rounded to float32, 1 + x = u + c
 * exactly, c = x - (u - 1) (both subtractions are exact where it matters, Sterbenz), and
 * log1p(x) = log(u) + log(1 + c/u) = log(u) + c/u to float32 precision; where u == 1 that is x.
 * Edge values as ATen's CPU kernel (Sleef): x = -1 gives -inf, x < -1 and NaN give NaN, and x above
 * 1e38 gives inf (Sleef_log1pf's overflow bound, which torch's CPU log1p shows).
 */
function log1pForward(x: T): T {
  const u = tf.add(x, 1);
  const c = tf.sub(x, tf.sub(u, 1));
  const lu = tf.log(u);
  // u == 1: x itself (keeps -0 and the tiniest x exact); u == 0 (x = -1): log(0) = -inf.
  const v = tf.where(tf.equal(u, 1), x, tf.where(tf.equal(u, 0), lu, tf.add(lu, tf.div(c, u))));
  return tf.where(tf.greater(x, 1e38), tf.fill(x.shape, Infinity), v);
}

/** torch.log1p: accurate forward (log1pForward); gradient grad / (x + 1), PyTorch's log1p_backward. */
export function log1p(x: T): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    save([a]);
    return { value: log1pForward(a), gradFunc: (dy: T, s: T[]) => tf.div(dy, tf.add(s[0], 1)) };
  });
  return f(x) as T;
}

/**
 * expm1(x) to about an ulp on every backend: for |x| < 0.5 the Taylor series to x^9 (its remainder
 * is below 1e-8 relative there), by Horner's rule, whose leading term x is exact; elsewhere
 * exp(x) - 1, which no longer cancels (and gives inf, -1 at -inf, NaN for NaN).
 */
function expm1Forward(x: T): T {
  let p: T = tf.scalar(1 / 362880);
  for (let k = 8; k >= 2; k--) p = tf.add(tf.mul(p, x), 1 / FACTORIAL[k]);
  const small = tf.add(x, tf.mul(tf.mul(x, x), p));
  return tf.where(tf.less(tf.abs(x), 0.5), small, tf.sub(tf.exp(x), 1));
}

const FACTORIAL = [1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880];

/** torch.expm1: accurate forward (expm1Forward); gradient grad * (result + 1), PyTorch's formula. */
export function expm1(x: T): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    const v = expm1Forward(a);
    save([v]);
    return { value: v, gradFunc: (dy: T, s: T[]) => tf.mul(dy, tf.add(s[0], 1)) };
  });
  return f(x) as T;
}

/** Normalised, sorted reduction axes (undefined: all). */
function reductionAxes(rank: number, axis?: number | number[]): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

/** x with `k` zeros appended to its last axis. */
function padLast(x: T, k: number): T {
  return k === 0 ? x : tf.pad(x, [...x.shape.slice(0, -1).map((): [number, number] => [0, 0]), [0, k]]);
}

/** Values per block of `cascadeLast`'s first step, done by the backend's own sum. */
const LEAF = 8;

/**
 * Cascade summation over the last axis: the backend's own sum over blocks of 8 (tfjs-backend-wasm
 * adds them in float32 one after the other, as ATen does up to 8 values; tfjs-backend-cpu's sum is
 * exact), then the partial sums pairwise, two by two (a zero appended to an odd count), until one
 * is left. The error grows with log2(n) instead of n, as ATen's cascade_sum's: on 32768 values about
 * an ulp of sum |x|, where a float32 running sum is off by up to 100 ulp. Each step is a reshape and
 * a native sum over the innermost axis (no transpose, no Tile): 1 + log2(n / 8) kernel calls.
 */
function cascadeLast(x: T): T {
  const lead = x.shape.slice(0, -1);
  let m = x.shape[x.shape.length - 1];
  if (m <= LEAF) return m === 0 ? tf.zeros(lead, 'float32') : tf.sum(x, -1);
  let y = x;
  let block = LEAF;
  while (m > 1) {
    const q = Math.ceil(m / block);
    y = tf.sum(tf.reshape(padLast(y, q * block - m), [...lead, q, block]), -1);
    m = q;
    block = 2;
  }
  return tf.reshape(y, lead);
}

/**
 * The sum of exps inside softmax and log_softmax (kept dims), in the order of ATen's CPU kernels
 * (vec_log_softmax_lastdim / vec_softmax_lastdim, torch 1.13 with its default AVX2 dispatch), since
 * on confident logits (sum = 1 + a few ulp) that order decides the loss: over the last axis, fewer
 * than 8 values one after the other; 8 or more in 8 lanes (lane j: x[j] + x[j + 8] + ..., in turn)
 * that are then added as a tree (j with j + 4, then j + 2, then j + 1). On wasm this is ATen's sum
 * bit for bit; the cpu backend's own sums (the lanes) are exact. Over another axis ATen adds in turn.
 */
function softmaxSum(e: T, axis: number): T {
  const rank = e.shape.length;
  const n = e.shape[axis];
  if (axis !== rank - 1 || n < 8) return tf.sum(e, axis, true);
  const lead = e.shape.slice(0, -1);
  const q = Math.ceil(n / 8);
  const lanes = q === 1 ? e : tf.sum(tf.reshape(padLast(e, 8 * q - n), [...lead, q, 8]), rank - 1);
  // The tree: lane j plus lane j + 4, then + 2, then + 1. With j's three bits as axes, reversed
  // by one transpose, each step is a native sum over the innermost axis of size 2.
  const L = lead.length;
  let y = tf.transpose(tf.reshape(lanes, [...lead, 2, 2, 2]), [...lead.map((_, i) => i), L + 2, L + 1, L]);
  for (let k = 0; k < 3; k++) y = tf.sum(y, -1);
  return tf.reshape(y, [...lead, 1]);
}

/** The value of `sum` below, without a gradient of its own (for the forward passes in this file). */
function sumForward(x: T, axis?: number | number[], keepDims = false): T {
  const rank = x.shape.length;
  const axes = reductionAxes(rank, axis);
  const kept = Array.from({ length: rank }, (_, i) => i).filter((i) => !axes.includes(i));
  const moved = axes.every((a, i) => a === rank - axes.length + i) ? x : tf.transpose(x, [...kept, ...axes]);
  const inner = axes.reduce((m, a) => m * x.shape[a], 1);
  const r = cascadeLast(tf.reshape(moved, [...kept.map((i) => x.shape[i]), inner]));
  return keepDims ? tf.reshape(r, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))) : r;
}

/** How many values each output of a reduction over `axis` sums. */
function reducedCount(shape: number[], axis?: number | number[]): number {
  return reductionAxes(shape.length, axis).reduce((m, a) => m * shape[a], 1);
}

/**
 * A reduction of no values (`x[mask].sum()` with nothing selected): torch's sum is 0 and its mean NaN
 * (0 / 0), while tf.sum of an empty tensor on the wasm backend reads memory it never wrote (and its
 * 0 / 0 gives Infinity). The output is `fill`, the gradient (of an empty input) empty.
 */
function emptyReduction(x: T, axis: number | number[] | undefined, keepDims: boolean, fill: number): T {
  const axes = reductionAxes(x.shape.length, axis);
  const out = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const f = cg((a: T) => ({ value: tf.fill(out, fill), gradFunc: () => tf.zerosLike(a) }));
  return f(x) as T;
}

/**
 * torch.sum of a float tensor over `axis` (all axes by default) by cascade summation (sumForward):
 * as accurate as ATen's on any backend. Its gradient is tf.sum's (dy times ones). Integer and
 * boolean tensors and an empty axis list go to tf.sum unchanged (their sums are exact), and so does
 * a sum of at most 8 values per output (one native sum: what cascadeLast does there).
 */
export function sum(x: T, axis?: number | number[], keepDims = false): T {
  if (x.dtype === 'float32' && !(Array.isArray(axis) && axis.length === 0) && reducedCount(x.shape, axis) === 0) return emptyReduction(x, axis, keepDims, 0);
  if (x.dtype !== 'float32' || (Array.isArray(axis) && axis.length === 0) || reducedCount(x.shape, axis) <= LEAF) return tf.sum(x, axis, keepDims);
  const shape = x.shape;
  const kdShape = shape.map((d, i) => (reductionAxes(shape.length, axis).includes(i) ? 1 : d));
  const f = cg((a: T) => ({
    value: sumForward(a, axis, keepDims),
    // As tf.sum's own gradient (Sum_grad): dy times ones, no Tile (slow on wasm).
    gradFunc: (dy: T) => tf.mul(tf.reshape(dy, kdShape), tf.ones(shape)),
  }));
  return f(x) as T;
}

/** torch.mean: the cascade sum divided by the count in float32 (ATen: sum, then div_); gradient dy / n. */
export function mean(x: T, axis?: number | number[], keepDims = false): T {
  if (x.dtype !== 'float32' || (Array.isArray(axis) && axis.length === 0)) return tf.mean(x, axis, keepDims);
  const shape = x.shape;
  const n = reducedCount(shape, axis);
  if (n === 0) return emptyReduction(x, axis, keepDims, NaN);
  if (n <= LEAF) return tf.div(tf.sum(x, axis, keepDims), n);
  const kdShape = shape.map((d, i) => (reductionAxes(shape.length, axis).includes(i) ? 1 : d));
  const f = cg((a: T) => ({
    value: tf.div(sumForward(a, axis, keepDims), n),
    gradFunc: (dy: T) => tf.div(tf.mul(tf.reshape(dy, kdShape), tf.ones(shape)), n),
  }));
  return f(x) as T;
}
