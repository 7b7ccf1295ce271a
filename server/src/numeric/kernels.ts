/**
 * The tensor kernels the op table's lowerings compute with (ops/api.ts `Kernels`), on tfjs, with
 * PyTorch's forward and backward formulas where they differ from tfjs's (torchops.ts).
 */
import type { DType, Kernels, Tensor } from '../ops/api';
import { tf } from './tf';
import * as P from './torchops';

type T = tf.Tensor;

const t = (x: Tensor): T => x as unknown as T;

export function tfDtype(dt: DType): 'float32' | 'int32' | 'bool' {
  return dt === 'float' ? 'float32' : dt === 'int' ? 'int32' : 'bool';
}

/** `out = x` with `out[i][index[i][j]] = src[i][j]` along `dim` (any rank): a one-hot from zeros, for instance. */
function scatter(x: T, dim: number, index: T, src: T): T {
  const rank = x.shape.length;
  const strides = tf.util.computeStrides(x.shape);
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
  const n = x.size;
  const pos = tf.reshape(flat, [-1, 1]);
  const vals = tf.reshape(tf.slice(src, src.shape.map(() => 0), index.shape), [-1]);
  // Positions written: mask them out of x, then add the scattered values (the last write wins in
  // PyTorch for duplicates; a one-hot has none).
  const written = tf.cast(tf.greater(tf.scatterND(pos, tf.ones([vals.shape[0]], 'float32'), [n]), 0), 'bool');
  const scattered = tf.scatterND(pos, tf.cast(vals, 'float32'), [n]);
  const out = P.where(written, scattered, tf.cast(tf.reshape(x, [-1]), 'float32'));
  return tf.cast(tf.reshape(out, x.shape), x.dtype);
}

export const KERNELS: Kernels = {
  sigmoid: (x) => P.sigmoid(t(x)),
  logsigmoid: (x) => P.logsigmoid(t(x)),
  // PyTorch: x where beta * x > threshold, else log1p(exp(beta * x)) / beta; its backward (torchops.ts).
  softplus: (x, beta, threshold) => P.softplus(t(x), beta, threshold),
  softmax: (x, axis) => P.softmax(t(x), axis),
  logSoftmax: (x, axis) => P.logSoftmax(t(x), axis),
  logsumexp(x, axes, keepdim) {
    const a = t(x);
    const m = tf.max(a, axes, true);
    const finite = tf.where(tf.isFinite(m), m, tf.zerosLike(m));
    // The shift's gradient cancels: d/dx [m + log sum exp(x - m)] = softmax(x).
    const r = tf.add(tf.log(P.sum(tf.exp(tf.sub(a, finite)), axes, true)), finite);
    return keepdim ? r : tf.squeeze(r, axes);
  },
  exp: (x) => tf.exp(t(x)),
  log: (x) => tf.log(t(x)),
  // Accurate on every backend (torchops.ts): wasm's own log1p is log(1 + x) in float32.
  log1p: (x) => P.log1p(t(x)),
  expm1: (x) => P.expm1(t(x)),
  sqrt: (x) => tf.sqrt(t(x)),
  abs: (x) => P.abs(t(x)),
  neg: (x) => tf.neg(t(x)),
  // Integers by max/min: tfjs-backend-wasm's ClipByValue reads int32 data as float32.
  clamp: (x, min, max) => (t(x).dtype === 'float32' ? P.clamp(t(x), min, max) : tf.cast(P.clampInt(tf.cast(t(x), 'int32'), min, max), t(x).dtype)),
  clampTensor: (x, min, max) => P.clampTensor(t(x), min && t(min), max && t(max)),
  atan2: (a, b) => tf.atan2(t(a), t(b)),
  maximum: (a, b) => (t(a).dtype === 'float32' ? P.extremum(t(a), t(b), true) : tf.maximum(t(a), t(b))),
  minimum: (a, b) => (t(a).dtype === 'float32' ? P.extremum(t(a), t(b), false) : tf.minimum(t(a), t(b))),
  where: (c, a, b) => P.where(t(c), t(a), t(b)),
  gatherDim: (x, dim, index) => P.gatherDim(t(x), dim, t(index)),
  gatherAdvanced: (x, indices) => P.gatherAdvanced(t(x), indices.map(t)),
  take(x, index, axis) {
    const a = t(x);
    const idx = tf.cast(t(index), 'int32');
    const size = a.shape[axis];
    // int32 scalars: a JS number makes tf.add float32, and wasm's Select then reads the int32 branch as float bits.
    const pos = tf.where(tf.less(idx, tf.scalar(0, 'int32')), tf.add(idx, tf.scalar(size, 'int32')), idx);
    // Move the axis first, take rows with the scatter-backed gather, move it back.
    const perm = [axis, ...a.shape.map((_, i) => i).filter((i) => i !== axis)];
    const moved = axis === 0 ? a : tf.transpose(a, perm);
    const rows = P.gatherAdvanced(moved, [pos]);
    if (axis === 0) return rows;
    const k = pos.shape.length;
    const back = [...Array.from({ length: axis }, (_, i) => k + i), ...Array.from({ length: k }, (_, i) => i), ...Array.from({ length: a.shape.length - 1 - axis }, (_, i) => k + axis + i)];
    return tf.transpose(rows, back);
  },
  concat: (xs, axis) => tf.concat(xs.map(t), axis),
  stack: (xs, axis) => tf.stack(xs.map(t), axis),
  // tfjs's oneHot refuses a depth under 2, which TensorFlow allows: built from the indices' values
  // there (a one-hot has no gradient); an index outside [0, depth) is a row of zeros, as tf.one_hot's.
  oneHot: (index, depth, dt) => {
    if (depth >= 2) return tf.cast(tf.oneHot(tf.cast(t(index), 'int32'), depth), tfDtype(dt));
    const idx = Array.from(tf.cast(t(index), 'int32').dataSync());
    return tf.tensor(idx.flatMap((i) => Array.from({ length: depth }, (_, j) => (i === j ? 1 : 0))), [idx.length, depth], tfDtype(dt));
  },
  // Cascade sums as ATen's (torchops.ts): wasm's own sum is a float32 running sum.
  sum: (x, axes, keepdim) => P.sum(t(x), axes, keepdim),
  mean: (x, axes, keepdim) => P.mean(t(x), axes, keepdim),
  max: (x, axes, keepdim) => tf.max(t(x), axes, keepdim),
  min: (x, axes, keepdim) => tf.min(t(x), axes, keepdim),
  argmax: (x, axis) => tf.argMax(t(x), axis ?? 0),
  reshape: (x, shape) => tf.reshape(t(x), shape),
  squeeze: (x, axes) => tf.squeeze(t(x), axes),
  expandDims: (x, axis) => tf.expandDims(t(x), axis),
  transpose: (x, perm) => tf.transpose(t(x), perm),
  broadcastTo: (x, shape) => tf.broadcastTo(t(x), shape),
  broadcastShape: (a, b) => tf.broadcast_util.assertAndGetBroadcastShape(a, b),
  cast: (x, dt) => tf.cast(t(x), tfDtype(dt)),
  detach: (x) => P.detach(t(x)),
  fill: (shape, value, dt) => tf.fill(shape, value, tfDtype(dt)),
  range: (start, stop, step, dt) => tf.range(start, stop, step, tfDtype(dt) === 'bool' ? 'int32' : (tfDtype(dt) as 'float32' | 'int32')),
  eye: (n, dt) => tf.cast(tf.eye(n), tfDtype(dt)),
  fromData: (flat, shape, dt) => tf.tensor(flat, shape, tfDtype(dt)),
  data: (x) => t(x).dataSync(),
  scatter: (x, dim, index, src) => scatter(t(x), dim, t(index), t(src)),
  bceWithLogits: (x, tt, pw) => P.bceWithLogits(t(x), t(tt), pw && t(pw)),
  bceProbs: (p, tt) => P.bceProbs(t(p), t(tt)),
  relu: (x) => P.relu(t(x)),
  tanh: (x) => tf.tanh(t(x)),
  trig: (x, fn) => tf[fn](t(x)),
  step(x, fn) {
    // Cut from the tape: these have a zero gradient in PyTorch, and tfjs's own is zero too or missing.
    const a = P.cut(t(x));
    return fn === 'sign' ? tf.sign(a) : fn === 'floor' ? tf.floor(a) : fn === 'ceil' ? tf.ceil(a) : tf.round(a);
  },
  isnan: (x) => tf.isNaN(P.cut(t(x))),
  isinf: (x) => tf.isInf(P.cut(t(x))),
  isfinite: (x) => tf.isFinite(P.cut(t(x))),
  logical: (op, a, b) => (op === 'and' ? tf.logicalAnd : op === 'or' ? tf.logicalOr : tf.logicalXor)(tf.cast(t(a), 'bool'), tf.cast(t(b), 'bool')),
  logicalNot: (x) => tf.logicalNot(tf.cast(t(x), 'bool')),
  cumsum: (x, axis) => tf.cumsum(t(x), axis),
  prod: (x, axes, keepdim) => tf.prod(t(x), axes, keepdim),
  any: (x, axes, keepdim) => tf.any(tf.cast(t(x), 'bool'), axes, keepdim),
  all: (x, axes, keepdim) => tf.all(tf.cast(t(x), 'bool'), axes, keepdim),
  matmul: (a, b) => tf.matMul(t(a), t(b)),
  conv2d: (x, filter, strides, padding, dilations) => tf.conv2d(t(x) as tf.Tensor4D, t(filter) as tf.Tensor4D, strides, padding, 'NHWC', dilations),
  gatherFlat: (x, flat) => P.gatherFlat(t(x), tf.cast(t(flat), 'int32')),
};
