/**
 * Ops that keep a value's meaning: reshapes, transposes, casts, copies, and `detach` (which keeps
 * the values and drops the gradient).
 */
import { detachValue, unknown, type AbsValue } from '../../core/lattice';
import { classAxis, indexLayout, keepLayout, keepLayoutOnly, squeezed, unsqueezed, withLayout } from '../../core/layout';
import { defineOp, type AbsCtx, type CVal, type CTensor, type DType, type LowerCtx, type Tensor } from '../api';

/**
 * The per-sample layout after a reshape (LL117): `view(-1, 1)` / `reshape(N, 1)` of a [N] value is
 * [N, 1]; `view(-1)` of a [N, 1] one is [N]; any other shape is not followed.
 */
function reshapeLayout(c: AbsCtx, v: AbsValue): AbsValue {
  const s = c.arg('shape');
  const items = s?.m === 'tuple' ? (s.items?.length === 1 && s.items[0].m === 'tuple' ? s.items[0].items : s.items) : s ? [s] : undefined;
  if (!items) return withLayout(v, undefined);
  const one = (x: AbsValue) => x.m === 'scalar' && x.values?.length === 1 && x.values[0] === 1;
  // view(-1, 1) of a per-sample value: [N] -> [N, 1], and [N, 1] stays [N, 1] (unlike unsqueeze(1)).
  if (items.length === 2 && one(items[1])) return withLayout(v, indexLayout(c.arg('input')) === 'col' ? 'col' : unsqueezed(c.arg('input')));
  if (items.length === 1) return withLayout(v, squeezed(c.arg('input')));
  return withLayout(v, undefined);
}

/** The value itself: these ops change the layout, not what the elements mean. */
function same(c: AbsCtx): AbsValue {
  return c.arg('input') ?? unknown(c.span);
}

/** A dtype written as a string or a dtype name (`float32`, `torch.long`, `"int64"`), as a dtype class. */
export function dtypeClass(name: string | undefined): DType | undefined {
  if (!name) return undefined;
  const n = name.replace(/^.*\./, '').toLowerCase();
  if (/^(float|double|half|bfloat16|float16|float32|float64|floatx|floattensor|doubletensor|halftensor)$/.test(n)) return 'float';
  if (/^(long|int|short|byte|char|int8|int16|int32|int64|uint8|longtensor|inttensor|bytetensor)$/.test(n)) return 'int';
  if (/^(bool|booltensor)$/.test(n)) return 'bool';
  return undefined;
}

/**
 * A value given a dtype: the same meaning, except that targets PyTorch makes integer are class indices
 * (its losses take integer targets only as class numbers). Keras and TF cast 0/1 labels to integers and
 * back freely, so there an integer target is still just a target.
 */
export function withDtype(x: AbsValue, dt: DType, framework: string): AbsValue {
  if (dt === 'int' && x.m === 'target' && framework === 'torch') return { ...x, m: 'target_index', dtype: 'int' };
  return { ...x, dtype: dt };
}

function reshapeTo(c: LowerCtx, x: CTensor, shape: number[], order: 'C' | 'F' = 'C'): CVal {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const free = shape.filter((d) => d === -1).length;
  if (free > 1 || (free === 0 && known !== x.x.size) || (free === 1 && (known === 0 || x.x.size % known !== 0))) {
    c.error(`shape [${shape}] is invalid for input of size ${x.x.size}`);
  }
  if (order === 'F') {
    // Column-major: the elements read with the first index fastest and written so: a reshape of
    // the axes reversed, between two reversals (np.reshape(x, s, order='F') == reshape(x.T, s[::-1]).T).
    const rev = (r: number) => Array.from({ length: r }, (_, i) => r - 1 - i);
    const t = c.k.reshape(c.k.transpose(x.x, rev(x.x.shape.length)), [...shape].reverse());
    return c.out(c.k.transpose(t, rev(shape.length)), x.dt);
  }
  return c.out(c.k.reshape(x.x, shape), x.dt);
}

/**
 * numpy's memory order of a reshape, ravel or flatten (`order=`): 'C' (row-major, the default) or
 * 'F' (column-major); 'A' is 'C' for the probes' arrays (all C-contiguous); 'K' is refused as numpy
 * refuses it for a reshape.
 */
function memoryOrder(c: LowerCtx, p = 'order'): 'C' | 'F' {
  const o = c.has(p) ? c.str(p) : 'C';
  if (o === 'C' || o === 'A' || o === undefined) return 'C';
  if (o === 'F') return 'F';
  return c.error(`order must be one of 'C', 'F', 'A' (got '${o}')`);
}

export const reshape = defineOp({
  id: 'reshape',
  summary: 'A new shape for the same elements.',
  spell: [
    'torch.reshape(input, shape)',
    'Tensor.reshape(*shape)',
    'Tensor.view(*shape)',
    'tensorflow.reshape(tensor->input, shape, name=None)',
    'keras.backend.reshape(x->input, shape)',
    'keras.ops.reshape(x->input, newshape->shape)',
    'jax.numpy.reshape(a->input, shape=None, newshape=None, order="C")',
    'numpy.reshape(a->input, newshape->shape, order="C")',
    'Tensor.view_as(other)',
    'Tensor.reshape_as(other)',
  ],
  abstract: same,
  layout: reshapeLayout,
  lower(c) {
    const x = c.tensor('input');
    if (c.has('other')) return reshapeTo(c, x, [...c.tensor('other').x.shape]);
    const shape = c.has('shape') ? c.shape('shape') : c.has('newshape') ? c.shape('newshape') : c.error('reshape needs a shape');
    // numpy's `order=` (a keyword of numpy.reshape and ndarray.reshape; torch has none).
    return reshapeTo(c, x, shape, memoryOrder(c));
  },
});

export const flatten = defineOp({
  id: 'flatten',
  summary: 'Flattens a range of axes into one.',
  spell: [
    'torch.flatten(input, start_dim=0, end_dim=-1)',
    'Tensor.flatten(start_dim=0, end_dim=-1)',
    'torch.ravel(input)',
    'Tensor.ravel()',
    'keras.backend.flatten(x->input)',
    'keras.ops.ravel(x->input)',
    'jax.numpy.ravel(a->input, order="C")',
    'numpy.ravel(a->input, order="C")',
  ],
  abstract: same,
  layout: (c, v) => withLayout(v, c.has('start_dim') ? undefined : squeezed(c.arg('input'))),
  lower(c) {
    const x = c.tensor('input');
    const rank = x.x.shape.length;
    // numpy's ravel(order=) and ndarray.flatten(order): a string where torch has start_dim (torch
    // raises on one) is numpy's memory order.
    const numpyOrder = c.has('order') || c.value('start_dim')?.t === 'str';
    if (numpyOrder) return reshapeTo(c, x, [-1], memoryOrder(c, c.has('order') ? 'order' : 'start_dim'));
    if (rank === 0) return c.out(c.k.reshape(x.x, [1]), x.dt);
    const s = c.dim('start_dim', rank) ?? 0;
    const e = c.dim('end_dim', rank) ?? rank - 1;
    const shape = x.x.shape;
    const mid = shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return c.out(c.k.reshape(x.x, [...shape.slice(0, s), mid, ...shape.slice(e + 1)]), x.dt);
  },
});

/**
 * Keras' flattening of all axes but the batch axis: K.batch_flatten (`reshape(x, [-1, prod(shape[1:])])`,
 * so a [N] tensor becomes [N, 1]) and the Flatten layer (the same; channels-first inputs are first
 * moved to channels last, which is not lowered).
 */
export const batchFlatten = defineOp({
  id: 'batch_flatten',
  summary: 'Flattens every axis but the batch axis: [N, ...] -> [N, prod(...)] ([N] -> [N, 1]).',
  spell: ['keras.backend.batch_flatten(x->input)'],
  modules: ['keras.layers.Flatten(data_format=None)(inputs->input)'],
  abstract: same,
  lower(c) {
    const x = c.tensor('input');
    const shape = x.x.shape;
    if (!shape.length) c.error(`${c.name}: a scalar has no batch axis to keep`);
    const fmt = c.str('data_format');
    if (fmt === 'channels_first' && shape.length >= 3) c.unsupported(`${c.name}(data_format="channels_first") (the axes are moved to channels last first)`);
    return c.out(c.k.reshape(x.x, [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)]), x.dt);
  },
});

export const permute = defineOp({
  id: 'permute',
  summary: 'Reorders the axes.',
  spell: [
    'torch.permute(input, dims)',
    'Tensor.permute(*dims)',
    'tensorflow.transpose(a->input, perm->dims=None, conjugate=False, name=None)',
    'keras.backend.permute_dimensions(x->input, pattern->dims)',
    'keras.ops.transpose(x->input, axes->dims=None)',
    'jax.numpy.transpose(a->input, axes->dims=None)',
    'numpy.transpose(a->input, axes->dims=None)',
  ],
  abstract: same,
  layout: (_c, v) => withLayout(v, undefined),
  lower(c) {
    const x = c.tensor('input');
    const rank = x.x.shape.length;
    const perm = c.has('dims') ? c.shape('dims').map((d) => (d < 0 ? d + rank : d)) : undefined;
    if (perm && (perm.length !== rank || new Set(perm).size !== rank || perm.some((d) => d < 0 || d >= rank))) c.error(`permute: dims ${perm} do not match a tensor of rank ${rank}`);
    return c.out(c.k.transpose(x.x, perm), x.dt);
  },
});

/** numpy's moveaxis: the axes in `source` go to the places in `destination`, the others keep their order. */
export const moveaxis = defineOp({
  id: 'moveaxis',
  // No method spelling: `x.moveaxis(-1, 1)` is torch.moveaxis(x, -1, 1) to the numeric checker (eval.ts tensorMethod).
  summary: 'Moves axes to new places (`x.moveaxis(-1, 1)`: a one-hot class axis to the channel place).',
  spell: [
    'torch.movedim(input, source, destination)',
    'torch.moveaxis(input, source, destination)',
    'keras.ops.moveaxis(x->input, source, destination)',
    'jax.numpy.moveaxis(a->input, source, destination)',
    'numpy.moveaxis(a->input, source, destination)',
  ],
  abstract: same,
  layout: (_c, v) => withLayout(v, undefined),
  lower(c) {
    const x = c.tensor('input');
    const rank = x.x.shape.length;
    const src = c.dims('source', rank) ?? c.error(`${c.name}() needs source`);
    const dst = c.dims('destination', rank) ?? c.error(`${c.name}() needs destination`);
    if (src.length !== dst.length) c.error(`${c.name}: source and destination must have the same number of dimensions`);
    if (new Set(src).size !== src.length || new Set(dst).size !== dst.length) c.error(`${c.name}: repeated dim in source or destination`);
    const order = Array.from({ length: rank }, (_, i) => i).filter((i) => !src.includes(i));
    for (const [d, s] of dst.map((d, i) => [d, src[i]]).sort((a, b) => a[0] - b[0])) order.splice(d, 0, s);
    return c.out(c.k.transpose(x.x, order), x.dt);
  },
});

/**
 * One spatial axis of PyTorch's upsample kernels (ATen UpSample.h): for each output index the two
 * source indices and the weight of the second (bilinear: `area_pixel_compute_source_index`, a
 * negative source clamped to 0; nearest: floor(dst * in / out), weight 0).
 */
function resizeAxis(inSize: number, outSize: number, mode: 'bilinear' | 'nearest', align: boolean): { i0: number[]; i1: number[]; w1: number[] } {
  const i0: number[] = [];
  const i1: number[] = [];
  const w1: number[] = [];
  for (let d = 0; d < outSize; d++) {
    if (mode === 'nearest') {
      const s = Math.min(Math.floor(d * Math.fround(inSize / outSize)), inSize - 1);
      i0.push(s);
      i1.push(s);
      w1.push(0);
      continue;
    }
    const scale = align ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : inSize / outSize;
    const src = Math.max(0, align ? scale * d : scale * (d + 0.5) - 0.5);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0.push(lo);
    i1.push(Math.min(lo + 1, inSize - 1));
    w1.push(src - lo);
  }
  return { i0, i1, w1 };
}

/**
 * PyTorch's interpolate of [N, C, H, W] input, bilinear or nearest, to a size given or to an integer
 * multiple (a `scale_factor` whose output size is exact, so that in / out is the scale PyTorch uses):
 * gathers of the source rows and columns and their weights (ATen's formulas; the gathers' gradient
 * scatters back). Other modes and ranks are not modelled.
 */
export const interpolate = defineOp({
  id: 'interpolate',
  summary: 'Resizes the spatial axes of [N, C, H, W] input (logits to the label map\'s size): the meaning stays.',
  spell: [
    'torch.nn.functional.interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None, antialias=False)',
    'torch.nn.functional.upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None)',
  ],
  modules: ['torch.nn.Upsample(size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None)(input)'],
  abstract: same,
  lower(c) {
    const x = c.float('input');
    const rank = x.x.shape.length;
    const mode = c.str('mode') ?? 'nearest';
    if (rank < 3 || rank > 5) c.error(`Input Error: Only 3D, 4D and 5D input Tensors supported (got ${rank}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ${mode})`);
    const align = c.has('align_corners') && c.value('align_corners')?.t !== 'none' ? !!c.flag('align_corners') : undefined;
    if (align !== undefined && mode !== 'linear' && mode !== 'bilinear' && mode !== 'bicubic' && mode !== 'trilinear') c.error('align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear');
    if (mode === 'bilinear' && rank !== 4) c.error(`Got ${rank}D input, but bilinear mode needs 4D input`);
    if (rank !== 4 || (mode !== 'bilinear' && mode !== 'nearest')) c.unsupported(`${c.name}(mode=${JSON.stringify(mode)}) of ${rank}D input`);
    if (c.flag('antialias')) c.unsupported(`${c.name}(antialias=True)`);
    const [h, w] = x.x.shape.slice(2);
    const hasSize = c.has('size') && c.value('size')?.t !== 'none';
    const hasScale = c.has('scale_factor') && c.value('scale_factor')?.t !== 'none';
    if (hasSize === hasScale) c.error('only one of size or scale_factor should be defined');
    let size: number[];
    if (hasSize) {
      size = c.shape('size');
      if (size.length === 1) size = [size[0], size[0]];
      if (size.length !== 2) c.error(`Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of [${h}, ${w}] and output size of [${size}]`);
    } else {
      const v = c.value('scale_factor')!;
      const scales = v.t === 'list' ? v.items.map((i) => (i.t === 'num' ? i.v : NaN)) : v.t === 'num' ? [v.v, v.v] : [NaN];
      if (scales.length !== 2 || scales.some((s) => !Number.isFinite(s))) c.unsupported(`${c.name} with this scale_factor`);
      size = [Math.floor(h * scales[0]), Math.floor(w * scales[1])];
      if (size[0] !== h * scales[0] || size[1] !== w * scales[1]) c.unsupported(`${c.name} with a scale_factor that does not give a whole output size`);
    }
    if (size.some((n) => n <= 0)) c.error(`Input and output sizes should be greater than 0, but got output size [${size}]`);
    let r = x.x;
    for (const [axis, n] of [[2, size[0]], [3, size[1]]] as const) {
      const inSize = r.shape[axis];
      const { i0, i1, w1 } = resizeAxis(inSize, n, mode === 'bilinear' ? 'bilinear' : 'nearest', align ?? false);
      const lo = c.k.take(r, c.k.fromData(i0, [n], 'int'), axis);
      if (mode === 'nearest') {
        r = lo;
        continue;
      }
      const hi = c.k.take(r, c.k.fromData(i1, [n], 'int'), axis);
      const wShape = [1, 1, 1, 1].map((one, i) => (i === axis ? n : one));
      const w = c.out(c.k.fromData(w1, wShape, 'float'));
      // lo + (hi - lo) * w, as (1 - w) * lo + w * hi
      r = (c.binop('+', c.binop('*', c.out(lo), c.binop('-', { t: 'num', v: 1, int: true }, w)), c.binop('*', c.out(hi), w)) as CTensor).x;
    }
    return c.out(r);
  },
});

/** Pad widths as (before, after) per axis from the first: one pair per axis, or (numpy, JAX) an int or one (before, after) for every axis. */
function padPairs(c: LowerCtx, v: CVal, rank: number): [number, number][] {
  const int = (x: CVal): number => (x.t === 'num' && x.int ? x.v : x.t === 'tensor' && x.x.size === 1 && x.dt === 'int' ? c.k.data(x.x)[0] : c.unsupported(`${c.name} with pad widths that are not integers`));
  if (v.t === 'num' || v.t === 'tensor') {
    const n = int(v);
    return Array.from({ length: rank }, () => [n, n]);
  }
  if (v.t !== 'list') return c.unsupported(`${c.name} with these pad widths`);
  const items = v.items.map((i) => (i.t === 'list' ? i.items.map(int) : [int(i)]));
  const shorthand = c.spelling.framework === 'jax' || c.spelling.framework === 'numpy';
  if (shorthand && items.length === 1 && items[0].length === 2) return Array.from({ length: rank }, () => [items[0][0], items[0][1]]);
  if (shorthand && items.length === 1 && items[0].length === 1) return Array.from({ length: rank }, () => [items[0][0], items[0][0]]);
  if (shorthand && items.length === 2 && items.every((i) => i.length === 1)) return Array.from({ length: rank }, () => [items[0][0], items[1][0]]);
  if (items.length !== rank || items.some((i) => i.length !== 2)) c.error(`${c.name}: the pad widths [${items.map((i) => `[${i}]`)}] do not give (before, after) for each of the ${rank} axes`);
  return items.map((i) => [i[0], i[1]]);
}

/**
 * Constant padding: `F.pad(x, (left, right, top, bottom, ...))` (pairs from the last axis backwards),
 * `tf.pad(x, [[before, after], ...])`, `jnp.pad` / `np.pad` (pairs from the first axis, numpy's
 * shorthand forms): the value (0 by default) put before and after each axis, the gradient flowing to
 * the original elements only. Other modes (reflect, replicate, circular, edge) and PyTorch's negative
 * padding (a crop) are not modelled.
 */
export const pad = defineOp({
  id: 'pad',
  summary: 'Constant padding around the axes of a tensor (a border of zeros before a finite difference): the result holds no meaning of its own.',
  spell: [
    'torch.nn.functional.pad(input, pad, mode="constant", value=None)',
    'tensorflow.pad(tensor->input, paddings->pad_width, mode="CONSTANT", constant_values->value=0, name=None)',
    'keras.ops.pad(x->input, pad_width, mode="constant", constant_values->value=None)',
    'jax.numpy.pad(array->input, pad_width, mode="constant", constant_values->value=0)',
    'numpy.pad(array->input, pad_width, mode="constant", constant_values->value=0)',
  ],
  abstract: (c) => unknown(c.span),
  lower(c) {
    const x = c.tensor('input');
    const rank = x.x.shape.length;
    const mode = (c.str('mode') ?? 'constant').toLowerCase();
    if (mode !== 'constant') c.unsupported(`${c.name}(mode=${JSON.stringify(c.str('mode'))})`);
    const value = c.value('value');
    if (value && value.t !== 'none' && value.t !== 'num' && value.t !== 'bool') c.unsupported(`${c.name} with a padding value that is not a number`);
    const fillWith = value && (value.t === 'num' || value.t === 'bool') ? Number(value.v) : 0;
    let pairs: [number, number][];
    if (c.spelling.framework === 'torch') {
      const p = c.shape('pad');
      if (p.length % 2 !== 0) c.error('Padding length must be divisible by 2');
      if (p.length / 2 > rank) c.error('Padding length should be less than or equal to two times the input dimension');
      pairs = Array.from({ length: rank }, () => [0, 0] as [number, number]);
      for (let i = 0; i < p.length / 2; i++) pairs[rank - 1 - i] = [p[2 * i], p[2 * i + 1]];
    } else {
      pairs = padPairs(c, c.value('pad_width') ?? c.error(`${c.name}() needs pad widths`), rank);
    }
    if (pairs.some(([a, b]) => a < 0 || b < 0)) c.unsupported(`${c.name} with a negative pad width (a crop)`);
    let r = x.x;
    pairs.forEach(([before, after], axis) => {
      if (before === 0 && after === 0) return;
      const side = (n: number) => c.k.fill(r.shape.map((s, i) => (i === axis ? n : s)), fillWith, x.dt);
      r = c.k.concat([...(before ? [side(before)] : []), r, ...(after ? [side(after)] : [])], axis);
    });
    return c.out(r, x.dt);
  },
});

export const transpose = defineOp({
  id: 'transpose',
  inplace: true,
  summary: 'Swaps two axes (`x.t()`: a matrix transpose).',
  spell: ['torch.transpose(input, dim0, dim1)', 'torch.swapaxes(input, axis0->dim0, axis1->dim1)', 'Tensor.transpose(dim0, dim1)', 'Tensor.swapaxes(axis0->dim0, axis1->dim1)', 'Tensor.t()', 'jax.numpy.swapaxes(a->input, axis1->dim0, axis2->dim1)', 'numpy.swapaxes(a->input, axis1->dim0, axis2->dim1)'],
  abstract: same,
  layout: (_c, v) => withLayout(v, undefined),
  lower(c) {
    const x = c.tensor('input');
    const rank = x.x.shape.length;
    if (!c.has('dim0')) {
      if (rank > 2) c.error('t() expects a tensor with <= 2 dimensions');
      return c.out(c.k.transpose(x.x), x.dt);
    }
    const a = c.dim('dim0', rank)!;
    const b = c.dim('dim1', rank) ?? c.error('transpose needs two dims');
    const perm = Array.from({ length: rank }, (_, i) => (i === a ? b : i === b ? a : i));
    return c.out(c.k.transpose(x.x, perm), x.dt);
  },
});

export const squeeze = defineOp({
  id: 'squeeze',
  inplace: true,
  summary: 'Removes axes of size 1.',
  spell: [
    'torch.squeeze(input, dim=None)',
    'Tensor.squeeze(dim=None)',
    'tensorflow.squeeze(input, axis->dim=None, name=None)',
    'keras.backend.squeeze(x->input, axis->dim)',
    'keras.ops.squeeze(x->input, axis->dim=None)',
    'jax.numpy.squeeze(a->input, axis->dim=None)',
    'numpy.squeeze(a->input, axis->dim=None)',
  ],
  abstract: same,
  layout: (c, v) => withLayout(v, !c.arg('dim') || classAxis(c.arg('dim')) ? squeezed(c.arg('input')) : undefined),
  lower(c) {
    const x = c.tensor('input');
    const d = c.dim('dim', x.x.shape.length);
    if (d === undefined) return c.out(c.k.squeeze(x.x), x.dt);
    return c.out(x.x.shape[d] === 1 ? c.k.squeeze(x.x, [d]) : x.x, x.dt);
  },
});

export const unsqueeze = defineOp({
  id: 'unsqueeze',
  inplace: true,
  summary: 'Inserts an axis of size 1.',
  spell: [
    'torch.unsqueeze(input, dim)',
    'Tensor.unsqueeze(dim)',
    'tensorflow.expand_dims(input, axis->dim, name=None)',
    'keras.backend.expand_dims(x->input, axis->dim=-1)',
    'keras.ops.expand_dims(x->input, axis->dim)',
    'jax.numpy.expand_dims(a->input, axis->dim)',
    'numpy.expand_dims(a->input, axis->dim)',
  ],
  abstract: same,
  layout: (c, v) => withLayout(v, classAxis(c.arg('dim')) ? unsqueezed(c.arg('input')) : undefined),
  lower(c) {
    const x = c.tensor('input');
    // Every spelling's axis is required (TF1's tf.expand_dims(x) raises "Must specify an axis argument").
    const d = c.dim('dim', x.x.shape.length + 1) ?? c.error(`${c.name}() missing its required axis (the framework raises TypeError; a bug in the code)`);
    return c.out(c.k.expandDims(x.x, d), x.dt);
  },
});

export const expand = defineOp({
  id: 'expand',
  summary: 'Broadcasts to a larger shape.',
  spell: ['Tensor.expand(*sizes->shape)', 'Tensor.expand_as(other)', 'torch.broadcast_to(input, shape->shape)', 'tensorflow.broadcast_to(input, shape, name=None)', 'keras.ops.broadcast_to(x->input, shape)', 'jax.numpy.broadcast_to(array->input, shape)', 'numpy.broadcast_to(array->input, shape)'],
  abstract: same,
  layout: (_c, v) => withLayout(v, undefined),
  lower(c) {
    const x = c.tensor('input');
    let shape = c.has('other') ? [...c.tensor('other').x.shape] : c.shape('shape');
    const lead = shape.length - x.x.shape.length;
    shape = shape.map((d, i) => (d === -1 ? x.x.shape[i - lead] : d));
    try {
      return c.out(c.k.broadcastTo(x.x, shape), x.dt);
    } catch {
      return c.error(`the expanded size [${shape}] does not match the tensor's shape [${x.x.shape}]`);
    }
  },
});

export const repeatTile = defineOp({
  id: 'repeat_tile',
  summary: 'Tiles a tensor: each dim repeated whole (`x.repeat(n, 1)`); sizes beyond its rank add leading dims.',
  spell: ['Tensor.repeat(*sizes->shape)'],
  abstract: same,
  layout: (_c, v) => withLayout(v, undefined),
  lower(c) {
    const x = c.tensor('input');
    const reps = c.shape('shape');
    if (reps.some((r) => !Number.isInteger(r) || r < 0)) c.error(`${c.name}: negative or fractional repeat counts [${reps}]`);
    if (reps.length < x.x.shape.length)
      c.error(`${c.name}: number of repeat dims [${reps}] can not be smaller than the number of the tensor's dims [${x.x.shape}]`);
    return c.out(tiled(c, x.x, reps), x.dt);
  },
});

/**
 * `x` tiled `reps[i]` times along each dim, `reps` as long as the result's rank (leading dims of 1
 * added to `x`): each dim of size n becomes [r, n] broadcast, then merged to r * n. Shared by
 * `Tensor.repeat` and `tile` (pieces.ts), which differ only in how they read short repeat lists.
 */
export function tiled(c: LowerCtx, x: Tensor, reps: number[]): Tensor {
  const shape = [...Array(reps.length - x.shape.length).fill(1), ...x.shape];
  let y = c.k.reshape(x, shape);
  const wide: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    y = c.k.expandDims(y, i);
    wide.unshift(reps[i], shape[i]);
  }
  y = c.k.broadcastTo(y, wide);
  return c.k.reshape(y, shape.map((n, i) => n * reps[i]));
}

export const identity = defineOp({
  id: 'identity',
  summary: 'A copy or a move to another device: the same values and gradient.',
  spell: [
    'Tensor.contiguous(memory_format=None)',
    'Tensor.clone(*, memory_format=None)',
    'torch.clone(input, *, memory_format=None)',
    'Tensor.cpu(memory_format=None)',
    'Tensor.cuda(device=None, non_blocking=False, memory_format=None)',
    'Tensor.requires_grad_(requires_grad=True)',
    'torch.autograd.Variable(data->input, requires_grad=False, volatile=False)',
    'tensorflow.identity(input, name=None)',
    // numpy's and JAX's array copies (`d = probs.copy()`, then written into): the same values.
    'Tensor.copy(order="C")',
    'numpy.copy(a->input, order="K", subok=False)',
  ],
  abstract: same,
  layout: keepLayout,
  // `Variable(None)` is an empty float tensor in PyTorch (what a later op then raises on, or not).
  lower(c) {
    if (c.spelling.name === 'torch.autograd.Variable' && c.value('input')?.t === 'none') return c.out(c.k.fill([0], 0, 'float'));
    const x = c.tensor('input');
    // A copy is a tensor of its own (a write into it is no write into the original: eval.ts writeIntoLeaf).
    return /\.(clone|copy)$/.test(c.spelling.name) ? c.out(c.k.reshape(x.x, x.x.shape), x.dt) : x;
  },
});

export const detach = defineOp({
  id: 'detach',
  summary: 'The same values with no gradient (`detach`, `stop_gradient`).',
  spell: ['Tensor.detach()', 'Tensor.detach_()', 'tensorflow.stop_gradient(input, name=None)', 'keras.backend.stop_gradient(variables->input)', 'keras.ops.stop_gradient(variable->input)', 'jax.lax.stop_gradient(x->input)'],
  abstract(c) {
    const x = c.arg('input');
    return x ? detachValue(x, c.span) : unknown(c.span);
  },
  layout: keepLayout,
  lower(c) {
    const x = c.tensor('input');
    return c.out(c.k.detach(x.x), x.dt);
  },
});

/** The dtype a cast asks for: a dtype value, a dtype name, another tensor's dtype, or none (a device move). */
function castTarget(c: LowerCtx, x: CTensor): DType | undefined {
  const v = c.value('dtype');
  if (!v || v.t === 'none' || v.t === 'device') return undefined;
  // float16 / bfloat16: the checker computes in float32, whose results those formats do not reproduce (LL205).
  const e = c.call.bound?.dtype;
  const written = v.t === 'str' ? v.v : e?.k === 'attr' ? (e.qualified ?? e.attr) : '';
  if (/(^|\.)(half|float16|bfloat16|HalfTensor|BFloat16Tensor)$/.test(written)) c.unsupported(`cast to ${written.replace(/^.*\./, '')} (the checker computes in float32)`);
  if (v.t === 'dtype') return v.dt;
  if (v.t === 'tensor') return v.dt;
  // A Python type as the dtype (`(y == 1).astype(int)`, `mask.astype(float)`, `x.to(bool)`): NumPy's,
  // JAX's and PyTorch's default dtype of that kind (int64, float64, bool), of the class it names.
  const ty = (v as { t: string; name?: string }).t === 'type' ? (v as { name?: string }).name : undefined;
  if (ty === 'float' || ty === 'int' || ty === 'bool') return ty;
  if (v.t === 'str') {
    if (/^(cuda|cpu|mps)(:\d+)?$/.test(v.v)) return undefined;
    const d = dtypeClass(v.v);
    if (d) return d;
  }
  // A tensor type (`x.type(torch.cuda.FloatTensor)`): its dtype (HalfTensor refused above with the other 16-bit casts).
  if ((v as { t: string }).t === 'ns' && /^torch\.(cuda\.)?(Float|Double|Long|Int|Short|Byte|Char|Bool)Tensor$/.test(written)) return dtypeClass(written);
  void x;
  return c.unsupported(`cast to ${v.t === 'str' ? v.v : v.t}`);
}

export const cast = defineOp({
  id: 'cast',
  summary: 'A change of dtype (or of device): the same meaning; integer dtypes make class indices.',
  spell: [
    'Tensor.float(memory_format=None, *, __dtype->dtype="float32")',
    'Tensor.double(memory_format=None, *, __dtype->dtype="float64")',
    'Tensor.half(memory_format=None, *, __dtype->dtype="float16")',
    'Tensor.bfloat16(memory_format=None, *, __dtype->dtype="bfloat16")',
    'Tensor.long(memory_format=None, *, __dtype->dtype="int64")',
    'Tensor.int(memory_format=None, *, __dtype->dtype="int32")',
    'Tensor.short(memory_format=None, *, __dtype->dtype="int16")',
    'Tensor.byte(memory_format=None, *, __dtype->dtype="uint8")',
    'Tensor.bool(memory_format=None, *, __dtype->dtype="bool")',
    'Tensor.type(dtype=None, non_blocking=False)',
    'Tensor.type_as(other->dtype)',
    'Tensor.to(dtype, non_blocking=False, copy=False, memory_format=None)',
    'Tensor.astype(dtype)',
    'tensorflow.cast(x->input, dtype, name=None)',
    'tensorflow.to_float(x->input, name="ToFloat", *, __dtype->dtype="float32")',
    'tensorflow.to_double(x->input, name="ToDouble", *, __dtype->dtype="float64")',
    'tensorflow.to_int32(x->input, name="ToInt32", *, __dtype->dtype="int32")',
    'tensorflow.to_int64(x->input, name="ToInt64", *, __dtype->dtype="int64")',
    'keras.backend.cast(x->input, dtype)',
    'keras.backend.cast_to_floatx(x->input, *, __dtype->dtype="float32")',
    'keras.ops.cast(x->input, dtype)',
  ],
  abstract(c) {
    const x = c.arg('input');
    if (!x) return unknown(c.span);
    const d = c.arg('dtype');
    const dt = dtypeClass(c.str('dtype')) ?? (d?.dtype as DType | undefined);
    if (!dt || x.m === 'scalar') return x;
    // `.half()`, `.to(torch.bfloat16)`: a 16-bit float, whose rounding LL205 checks constants against.
    const name = (c.str('dtype') ?? '').replace(/^.*\./, '').toLowerCase();
    const lowp = name === 'half' || name === 'float16' ? 'float16' : name === 'bfloat16' ? 'bfloat16' : undefined;
    return { ...withDtype(x, dt, c.spelling.framework), lowp: dt === 'int' ? undefined : lowp };
  },
  layout: keepLayoutOnly,
  lower(c) {
    const x = c.tensor('input');
    // `x.type()` without a dtype is no cast: PyTorch returns the tensor's type name (`'torch.FloatTensor'`).
    if (c.spelling.name === 'Tensor.type' && !c.has('dtype')) return { t: 'str', v: TYPE_NAMES[x.dt] };
    const dt = castTarget(c, x);
    return dt ? c.cast(x, dt) : x;
  },
});

/** `Tensor.type()`'s answer for each dtype class the interpreter keeps (CPU tensors). */
const TYPE_NAMES: Record<DType, string> = { float: 'torch.FloatTensor', int: 'torch.LongTensor', bool: 'torch.BoolTensor' };

export const SHAPE = [reshape, flatten, batchFlatten, permute, moveaxis, interpolate, pad, transpose, squeeze, unsqueeze, expand, repeatTile, identity, detach, cast];
