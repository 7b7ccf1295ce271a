/**
 * Ops real loss code uses that the table lacked: trigonometry (angular and cosine-margin losses),
 * argmin, flips, a tensor cut into pieces (`torch.split` / `chunk`), tiles, `repeat_interleave` and numpy's `delete`.
 * None of them makes a probability, a log-probability or a loss out of plain tensors: their abstract
 * meaning is unknown (what the abstract interpreter gave the call before it was spelled). Each
 * lowering follows its framework's documented semantics (the piece sizes of `split` and `chunk`,
 * `tile`'s leading ones, `repeat_interleave` flattening without a dim); the differences between
 * frameworks are kept apart by spelling only what means the same (numpy's `split` takes cut
 * indices and TensorFlow's a count: not spelled).
 */
import { unknown } from '../../core/lattice';
import { tiled } from './shape';
import { defineOp as define, type CTensor, type CVal, type LowerCtx, type OpDef, type Tensor } from '../api';

function defineOp(def: Omit<OpDef, 'abstract'>): OpDef {
  return define({ ...def, abstract: (c) => unknown(c.span) });
}

type Trig = 'sin' | 'cos' | 'tan' | 'asin' | 'acos' | 'atan';

function trig(fn: Trig, summary: string, spell: string[]): OpDef {
  return defineOp({ id: fn, summary, spell, lower: (c) => c.out(c.k.trig(c.float('input').x, fn)) });
}

export const sin = trig('sin', 'Sine.', ['torch.sin(input, *, out=None)', 'tensorflow.sin(x->input, name=None)', 'keras.ops.sin(x->input)', 'jax.numpy.sin(x->input)', 'numpy.sin(x->input)']);
export const cos = trig('cos', 'Cosine.', ['torch.cos(input, *, out=None)', 'tensorflow.cos(x->input, name=None)', 'keras.ops.cos(x->input)', 'jax.numpy.cos(x->input)', 'numpy.cos(x->input)']);
export const tan = trig('tan', 'Tangent.', ['torch.tan(input, *, out=None)', 'tensorflow.tan(x->input, name=None)', 'keras.ops.tan(x->input)', 'jax.numpy.tan(x->input)', 'numpy.tan(x->input)']);
export const asin = trig('asin', 'Arcsine (NaN outside [-1, 1]; its gradient infinite at ±1).', [
  'torch.asin(input, *, out=None)',
  'torch.arcsin(input, *, out=None)',
  'tensorflow.asin(x->input, name=None)',
  'keras.ops.arcsin(x->input)',
  'jax.numpy.arcsin(x->input)',
  'numpy.arcsin(x->input)',
]);
export const acos = trig('acos', 'Arccosine (NaN outside [-1, 1]; its gradient infinite at ±1).', [
  'torch.acos(input, *, out=None)',
  'torch.arccos(input, *, out=None)',
  'tensorflow.acos(x->input, name=None)',
  'keras.ops.arccos(x->input)',
  'jax.numpy.arccos(x->input)',
  'numpy.arccos(x->input)',
]);
export const atan = trig('atan', 'Arctangent.', [
  'torch.atan(input, *, out=None)',
  'torch.arctan(input, *, out=None)',
  'tensorflow.atan(x->input, name=None)',
  'keras.ops.arctan(x->input)',
  'jax.numpy.arctan(x->input)',
  'numpy.arctan(x->input)',
]);

export const argmin = defineOp({
  id: 'argmin',
  summary: 'Index of the smallest entry (the first one on ties): an integer tensor.',
  spell: [
    'torch.argmin(input, dim=None, keepdim=False)',
    'tensorflow.argmin(input, axis->dim=None, output_type=None, name=None)',
    'keras.ops.argmin(x->input, axis->dim=None, keepdims->keepdim=False)',
    'jax.numpy.argmin(a->input, axis->dim=None, out=None, keepdims->keepdim=None)',
    'numpy.argmin(a->input, axis->dim=None, out=None)',
  ],
  lower(c) {
    const x = c.tensor('input');
    const rank = x.x.shape.length;
    let d = c.dim('dim', rank);
    if (d === undefined && c.spelling.framework === 'tf') d = 0;
    // The first largest of -x is the first smallest of x.
    const neg = c.k.neg(x.dt === 'float' ? x.x : c.k.cast(x.x, 'float'));
    const r = c.k.argmax(d === undefined ? c.k.reshape(neg, [-1]) : neg, d ?? 0);
    return c.out(c.flag('keepdim') && d !== undefined ? c.k.expandDims(r, d) : r, 'int');
  },
});

/** `x` reversed along each of `axes`. */
function reversed(c: LowerCtx, x: CTensor, axes: number[]): CVal {
  let y = x.x;
  for (const a of new Set(axes)) {
    const n = y.shape[a];
    y = c.k.take(y, c.k.range(n - 1, -1, -1, 'int'), a);
  }
  return c.out(y, x.dt);
}

export const flip = defineOp({
  id: 'flip',
  summary: 'Reversed along the given dims (numpy and JAX without an axis: along every one).',
  spell: [
    'torch.flip(input, dims)',
    'Tensor.flip(*dims->dims)',
    'tensorflow.reverse(tensor->input, axis->dims, name=None)',
    'keras.ops.flip(x->input, axis->dims=None)',
    'jax.numpy.flip(m->input, axis->dims=None)',
    'numpy.flip(m->input, axis->dims=None)',
  ],
  lower(c) {
    const x = c.tensor('input');
    const rank = x.x.shape.length;
    // `x.flip(0, 1)` and `x.flip((0, 1))` alike (the method takes its dims as varargs or one sequence).
    const v = c.value('dims');
    const one = v && v.t === 'list' && v.items.length === 1 && v.items[0].t === 'list';
    const dims = one ? (v.items[0] as CVal & { t: 'list' }).items.map((d) => { const n = d.t === 'num' ? d.v : NaN; if (!Number.isInteger(n) || n < -rank || n >= Math.max(rank, 1)) c.error(`Dimension out of range (expected to be in range of [${-rank}, ${rank - 1}], but got ${n})`); return n < 0 ? n + rank : n; }) : c.dims('dims', rank);
    if (!dims) return c.spelling.framework === 'torch' ? c.error(`${c.name}() missing required argument 'dims'`) : reversed(c, x, x.x.shape.map((_, i) => i));
    return reversed(c, x, dims);
  },
});

function flipOne(id: 'fliplr' | 'flipud', spell: string[]): OpDef {
  return defineOp({
    id,
    summary: id === 'fliplr' ? 'Reversed along dim 1 (the tensor needs two dims or more).' : 'Reversed along dim 0 (the tensor needs one dim or more).',
    spell,
    lower(c) {
      const x = c.tensor('input');
      const a = id === 'fliplr' ? 1 : 0;
      if (x.x.shape.length <= a) c.error(`Input must be >= ${a + 1}-d.`);
      return reversed(c, x, [a]);
    },
  });
}
export const fliplr = flipOne('fliplr', ['torch.fliplr(input)', 'jax.numpy.fliplr(m->input)', 'numpy.fliplr(m->input)']);
export const flipud = flipOne('flipud', ['torch.flipud(input)', 'jax.numpy.flipud(m->input)', 'numpy.flipud(m->input)']);

/** Pieces of `size` along `axis`, the last one smaller (`split` by a size, `chunk`); an empty dim gives one empty piece. */
function evenPieces(c: LowerCtx, x: CTensor, axis: number, size: number): CVal {
  const n = x.x.shape[axis];
  const sizes: number[] = [];
  for (let at = 0; at < n; at += size) sizes.push(Math.min(size, n - at));
  return pieces(c, x, axis, sizes.length ? sizes : [0]);
}

/** The pieces of `x` along `axis`, of the given sizes (which sum to its size there), as a tuple. */
function pieces(c: LowerCtx, x: CTensor, axis: number, sizes: number[]): CVal {
  const items: CVal[] = [];
  let at = 0;
  for (const s of sizes) {
    items.push(c.out(c.k.take(x.x, c.k.range(at, at + s, 1, 'int'), axis), x.dt));
    at += s;
  }
  return { t: 'list', items, tuple: true } as CVal;
}

export const split = defineOp({
  id: 'split',
  summary: 'A tensor cut into pieces along a dim: pieces of one size (the last one smaller), or of the listed sizes.',
  spell: ['torch.split(tensor->input, split_size_or_sections, dim=0)'],
  lower(c) {
    const x = c.tensor('input');
    const rank = x.x.shape.length;
    const d = c.dim('dim', rank) ?? 0;
    const n = x.x.shape[d];
    const v = c.value('split_size_or_sections');
    if (v && v.t === 'list') {
      const sizes = c.shape('split_size_or_sections');
      if (sizes.reduce((a, b) => a + b, 0) !== n) c.error(`split_with_sizes expects split_sizes to sum exactly to ${n} (input tensor's size at dimension ${d}), but got split_sizes=[${sizes.join(', ')}]`);
      return pieces(c, x, d, sizes);
    }
    const s = c.num('split_size_or_sections');
    if (s === undefined || !Number.isInteger(s)) return c.unsupported(`${c.name} with a non-integer size`);
    if (s <= 0) c.error(`split_size can only be 0 if dimension size is 0, but got dimension size of ${n}`);
    return evenPieces(c, x, d, s);
  },
});

export const chunk = defineOp({
  id: 'chunk',
  summary: 'A tensor cut into at most `chunks` pieces of ceil(size / chunks) along a dim (the last one smaller).',
  spell: ['torch.chunk(input, chunks, dim=0)'],
  lower(c) {
    const x = c.tensor('input');
    const d = c.dim('dim', x.x.shape.length) ?? 0;
    const n = x.x.shape[d];
    const k = c.num('chunks');
    if (k === undefined || !Number.isInteger(k) || k <= 0) return c.error('chunk expects `chunks` to be greater than 0');
    const s = Math.ceil(n / k);
    return evenPieces(c, x, d, s);
  },
});

/**
 * tf.unstack: the slices of a tensor along an axis, that axis dropped, as a list (TensorFlow's
 * documented `unstack(value, num=None, axis=0)`: `num` is inferred, and must equal the axis' size
 * where given; a scalar cannot be unstacked).
 */
export const unstack = defineOp({
  id: 'unstack',
  summary: 'The slices of a tensor along an axis (that axis removed), as a list.',
  spell: ['tensorflow.unstack(value->input, num=None, axis->dim=0, name="unstack")', 'keras.ops.unstack(x->input, num=None, axis->dim=0)'],
  lower(c) {
    const x = c.tensor('input');
    const rank = x.x.shape.length;
    if (!rank) c.error('Input shape must have rank at least 1 to be unstacked (a scalar)');
    const d = c.dim('dim', rank) ?? 0;
    const n = x.x.shape[d];
    const num = c.num('num');
    if (num !== undefined && num !== n) c.error(`Cannot unstack ${n} slices into num=${num} (axis ${d} of shape [${x.x.shape.join(', ')}])`);
    const items = Array.from({ length: n }, (_, i) => c.out(c.k.squeeze(c.k.take(x.x, c.k.fromData([i], [1], 'int'), d), [d]), x.dt));
    return { t: 'list', items, tuple: false } as CVal;
  },
});

export const tile = defineOp({
  id: 'tile',
  summary: 'Tiles a tensor: each dim repeated whole; fewer repeats than dims count from the last dim (ones in front).',
  spell: ['torch.tile(input, dims)', 'tensorflow.tile(input, multiples->dims, name=None)', 'keras.ops.tile(x->input, repeats->dims)', 'jax.numpy.tile(A->input, reps->dims)', 'numpy.tile(A->input, reps->dims)'],
  lower(c) {
    const x = c.tensor('input');
    let reps = c.shape('dims');
    if (c.spelling.framework === 'tf' && reps.length !== x.x.shape.length) c.error(`Expected multiples argument to be a vector of length ${x.x.shape.length} but got length ${reps.length}`);
    if (reps.some((r) => !Number.isInteger(r) || r < 0)) c.error(`${c.name}: negative or fractional repeat counts [${reps}]`);
    // Fewer repeats than dims: ones in front (more: leading dims of 1 on the tensor, as tiled adds).
    reps = [...Array(Math.max(0, x.x.shape.length - reps.length)).fill(1), ...reps];
    return c.out(tiled(c, x.x, reps), x.dt);
  },
});

export const repeatInterleave = defineOp({
  id: 'repeat_interleave',
  summary: 'Each element (each slice along a dim) repeated in place; without a dim, of the flattened tensor.',
  spell: [
    'torch.repeat_interleave(input, repeats=None, dim=None, *, output_size=None)',
    'jax.numpy.repeat(a->input, repeats, axis->dim=None, *, total_repeat_length=None)',
    'numpy.repeat(a->input, repeats, axis->dim=None)',
  ],
  lower(c) {
    let x = c.tensor('input');
    const r = c.value('repeats');
    if (!r || r.t === 'none') return c.unsupported(`${c.name} of the repeat counts alone`);
    let d = c.dim('dim', x.x.shape.length);
    if (d === undefined) {
      x = { ...x, x: c.k.reshape(x.x, [-1]) };
      d = 0;
    }
    const n = x.x.shape[d];
    let counts: number[];
    if (r.t === 'tensor' || r.t === 'list') {
      const t = c.toTensor(r);
      counts = Array.from(c.k.data(t.x));
      if (counts.length === 1) counts = Array(n).fill(counts[0]);
    } else {
      const k = c.num('repeats');
      if (k === undefined) return c.unsupported(`${c.name} with non-number repeats`);
      counts = Array(n).fill(k);
    }
    if (counts.length !== n) c.error(`repeats must have the same size as input along dim, but got repeats.size(0) = ${counts.length} and input.size(${d}) = ${n}`);
    if (counts.some((k) => !Number.isInteger(k) || k < 0)) c.error('repeats can not be negative');
    const index = counts.flatMap((k, i) => Array(k).fill(i));
    return c.out(c.k.take(x.x, c.k.fromData(index, [index.length], 'int'), d), x.dt);
  },
});

/**
 * numpy's and JAX's `delete`: the entries (slices along `axis`) at the given indices left out; without
 * an axis, of the flattened array. Indices are an int or a sequence of ints (negative ones count from
 * the end, repeats delete once); one out of range raises IndexError as numpy does. A slice or a
 * boolean mask is not modelled.
 */
export const del = defineOp({
  id: 'delete',
  summary: 'The entries (or slices along an axis) at the given indices left out; without an axis, of the flattened array.',
  spell: ['jax.numpy.delete(arr->input, obj->index, axis->dim=None, *, assume_unique_indices=False)', 'numpy.delete(arr->input, obj->index, axis->dim=None)'],
  lower(c) {
    let x = c.tensor('input');
    let d = c.dim('dim', x.x.shape.length);
    if (d === undefined) {
      x = { ...x, x: c.k.reshape(x.x, [-1]) };
      d = 0;
    }
    const n = x.x.shape[d];
    const v = c.value('index');
    if (!v || (v.t !== 'num' && v.t !== 'list' && v.t !== 'tensor')) return c.unsupported(`${c.name} of a slice or a non-integer index`);
    const idx = v.t === 'num' ? [v.v] : Array.from(c.k.data(c.toTensor(v).x));
    if (v.t !== 'num' && c.toTensor(v).dt === 'bool') return c.unsupported(`${c.name} with a boolean mask`);
    if (idx.some((q) => !Number.isInteger(q))) return c.unsupported(`${c.name} of a non-integer index`);
    const bad = idx.find((q) => q < -n || q >= n);
    if (bad !== undefined) c.error(`index ${bad} is out of bounds for axis ${d} with size ${n}`);
    const gone = new Set(idx.map((q) => (q < 0 ? q + n : q)));
    const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !gone.has(i));
    return c.out(c.k.take(x.x, c.k.fromData(keep, [keep.length], 'int'), d), x.dt);
  },
});

export const PIECES = [sin, cos, tan, asin, acos, atan, argmin, flip, fliplr, flipud, split, chunk, unstack, tile, repeatInterleave, del];
