/**
 * Tensor primitives with PyTorch's forward formulas and PyTorch's backward formulas.
 *
 * tfjs's own gradients differ from PyTorch's exactly where the probes look: `x ** 0` has a zero
 * gradient in PyTorch (tfjs computes 0 * x^-1 = NaN at x = 0), `abs` has sign(0) = 0, softmax and
 * log_softmax use specific backward expressions. Each primitive here is a `tf.customGrad` whose
 * gradient is the expression from PyTorch's derivatives.yaml, so the NaN/inf pattern of a gradient
 * is the one PyTorch would produce.
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

/** x ** e for a Python-number exponent; d/dx = e * x^(e-1), and exactly 0 when e == 0 (PyTorch pow_backward). */
export function powScalar(x: T, e: number): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    save([a]);
    return {
      value: tf.pow(a, tf.scalar(e)),
      gradFunc: (dy: T, saved: T[]) => (e === 0 ? tf.zerosLike(saved[0]) : tf.mul(dy, tf.mul(tf.scalar(e), tf.pow(saved[0], tf.scalar(e - 1))))),
    };
  });
  return f(x) as T;
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
    const value = tf.sub(tf.minimum(a, 0), tf.log1p(tf.exp(tf.neg(tf.abs(a)))));
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
    const out = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), axis, true)));
    save([out]);
    return { value: out, gradFunc: (dy: T, s: T[]) => tf.sub(dy, tf.mul(tf.exp(s[0]), tf.sum(dy, axis, true))) };
  });
  return f(x) as T;
}

export function softmax(x: T, axis: number): T {
  const f = cg((a: T, save: tf.GradSaveFunc) => {
    const e = tf.exp(tf.sub(a, tf.max(a, axis, true)));
    const out = tf.div(e, tf.sum(e, axis, true));
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

/** clamp with tensor bounds (torch.clamp(x, min=tensor)). */
export function clampTensor(x: T, min?: T, max?: T): T {
  let v = x;
  if (min) v = tf.where(tf.less(x, min), tf.broadcastTo(min, tf.broadcast_util.assertAndGetBroadcastShape(x.shape, min.shape)), v);
  if (max) v = tf.where(tf.greater(x, max), tf.broadcastTo(max, tf.broadcast_util.assertAndGetBroadcastShape(v.shape, max.shape)), v);
  return v;
}

/** Identity forward, zero gradient (torch .detach()). */
export function detach(x: T): T {
  if (x.dtype !== 'float32') return x;
  const f = cg((a: T) => ({ value: tf.clone(a), gradFunc: (dy: T) => tf.zerosLike(dy) }));
  return f(x) as T;
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
  if (restSize > 1) {
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
