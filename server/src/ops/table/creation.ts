/**
 * Values made from data or shapes: tensors from lists (a list of numbers is a per-class weight
 * vector), filled tensors (zeros that a scatter makes one-hot), identity matrices (whose rows at the
 * targets are one-hot), ranges, and framework constants (random tensors: random.ts).
 */
import { mk, scalarOf, unknown, type AbsValue } from '../../core/lattice';
import { defineOp, type CVal, type DType, type LowerCtx } from '../api';
import { dtypeClass, withDtype } from './shape';

/** The dtype class a creation op asks for (`dtype=` or the spelling's own), if any. */
export function askedDtype(c: LowerCtx): DType | undefined {
  const v = c.value('dtype');
  if (!v || v.t === 'none') return undefined;
  if (v.t === 'dtype') return v.dt;
  if (v.t === 'str') return dtypeClass(v.v) ?? c.unsupported(`dtype ${v.v}`);
  // TensorFlow's tf.as_dtype also takes the DataType enum number of types.proto (`tf.ones(n, 1)`: DT_FLOAT).
  if (v.t === 'num' && v.int && (c.spelling.framework === 'tf' || c.spelling.framework === 'keras')) {
    return TF_DATATYPE_ENUM[v.v] ?? c.unsupported(`dtype ${v.v} (a TensorFlow DataType number the check does not model)`);
  }
  return c.unsupported('dtype');
}

/** TensorFlow's DataType enum (tensorflow/core/framework/types.proto) for the real, integer and bool types. */
const TF_DATATYPE_ENUM: Readonly<Record<number, DType>> = {
  1: 'float', // DT_FLOAT
  2: 'float', // DT_DOUBLE
  3: 'int', // DT_INT32
  4: 'int', // DT_UINT8
  5: 'int', // DT_INT16
  6: 'int', // DT_INT8
  9: 'int', // DT_INT64
  10: 'bool', // DT_BOOL
  14: 'float', // DT_BFLOAT16
  17: 'int', // DT_UINT16
  19: 'float', // DT_HALF
  22: 'int', // DT_UINT32
  23: 'int', // DT_UINT64
};

/** Tensor data: numbers, booleans, nested lists, one-element tensors. */
function fromData(c: LowerCtx, v: CVal, dt: DType | undefined): CVal {
  if (v.t === 'tensor') {
    const t = dt ? c.cast(v, dt) : v;
    // torch.tensor(t) copies without the graph; as_tensor, tf.convert_to_tensor, jnp.asarray keep it.
    const copies = c.spelling.framework === 'torch' && !/\.(as_tensor|from_numpy)$/.test(c.spelling.name);
    return c.out(copies ? c.k.detach(t.x) : t.x, t.dt);
  }
  const flat: number[] = [];
  let allInt = true;
  let allBool = true;
  const walk = (x: CVal): number[] => {
    if (x.t === 'list') {
      const shapes = x.items.map(walk);
      const s0 = shapes[0] ?? [];
      if (!shapes.every((s) => s.join() === s0.join())) c.error('ragged nested sequence');
      return [x.items.length, ...s0];
    }
    if (x.t === 'num') {
      if (!x.int) allInt = false;
      allBool = false;
      flat.push(x.v);
      return [];
    }
    if (x.t === 'bool') {
      flat.push(x.v ? 1 : 0);
      return [];
    }
    if (x.t === 'tensor' && x.x.size === 1) {
      flat.push(c.k.data(x.x)[0]);
      if (x.dt === 'float') allInt = false;
      allBool = false;
      return [];
    }
    // torch.tensor([t1, t2]) of tensors of several elements: PyTorch converts each item to a Python scalar and raises.
    if (x.t === 'tensor' && c.spelling.framework === 'torch') return c.error('only one element tensors can be converted to Python scalars');
    // torch.tensor(None) / as_tensor(None): PyTorch raises (a weight left at its default None).
    if (x.t === 'none' && c.spelling.framework === 'torch') return c.error(dt ? 'must be real number, not NoneType' : 'Could not infer dtype of NoneType');
    return c.unsupported(`tensor() of ${x.t}`);
  };
  const shape = walk(v);
  const d: DType = dt ?? (allBool && flat.length ? 'bool' : allInt ? 'int' : 'float');
  return c.out(c.k.fromData(flat, shape, d), d);
}

export const tensor = defineOp({
  id: 'tensor',
  summary: 'A tensor from data: a list of numbers is a per-class weight vector; an existing tensor keeps its meaning.',
  spell: [
    'torch.tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False)',
    'torch.as_tensor(data, dtype=None, device=None)',
    'torch.from_numpy(ndarray->data)',
    'torch.Tensor(data, *, __dtype->dtype="float32")',
    'torch.FloatTensor(data, *, __dtype->dtype="float32")',
    'torch.cuda.FloatTensor(data, *, __dtype->dtype="float32")',
    'torch.LongTensor(data, *, __dtype->dtype="int64")',
    'torch.cuda.LongTensor(data, *, __dtype->dtype="int64")',
    'Tensor.new_tensor(data, dtype=None, device=None, requires_grad=False)',
    'tensorflow.constant(value->data, dtype=None, shape=None, name="Const")',
    'tensorflow.convert_to_tensor(value->data, dtype=None, dtype_hint=None, name=None)',
    'tensorflow.Variable(initial_value->data, trainable=None, validate_shape=True, caching_device=None, name=None, variable_def=None, dtype=None)',
    'keras.backend.constant(value->data, dtype=None, shape=None, name=None)',
    'keras.backend.variable(value->data, dtype=None, name=None, constraint=None)',
    'keras.ops.convert_to_tensor(x->data, dtype=None, sparse=None)',
    'jax.numpy.array(object->data, dtype=None, copy=True, order="K", ndmin=0)',
    'jax.numpy.asarray(a->data, dtype=None, order=None)',
    'numpy.array(object->data, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None)',
    'numpy.asarray(a->data, dtype=None, order=None, *, like=None)',
  ],
  abstract(c) {
    const d = c.arg('data');
    if (!d) return unknown(c.span);
    // One number in a list is a scalar; several, a per-class weight vector (also a list filled in a loop).
    if (d.m === 'tuple' && d.values && d.values.length === 1 && !d.open) return scalarOf(d.values, { src: c.span, hyper: d.items?.[0]?.hyper, name: d.items?.[0]?.name });
    const count = d.m === 'tuple' && d.items && !d.open ? d.items.length : undefined;
    // `[alpha, 1 - alpha]`: a table of alpha and its complement (taken at the target: alpha_t).
    const [p, q] = d.m === 'tuple' && d.items?.length === 2 && !d.open ? d.items : [];
    const pair = p && q && (q.complementOf === p.id ? { of: p, alphaAt: 0 as const } : p.complementOf === q.id ? { of: q, alphaAt: 1 as const } : undefined);
    if (d.m === 'tuple' && d.values) return mk('class_weights', { values: d.values, count, range: d.values.length ? { lo: Math.min(...d.values), hi: Math.max(...d.values) } : undefined, src: c.span, flat: true, ...pair });
    if (d.m === 'tuple' && d.items && d.items.length > 0 && d.items.every((x) => x.m === 'scalar')) return mk('class_weights', { count, src: c.span, flat: true, ...pair });
    // PyTorch makes a list of one-element values (numbers, 0-d tensors: it refuses larger ones) into a 1-D
    // tensor, whatever the numbers are (`torch.tensor([args.w, 1 - args.w])`). NumPy and TensorFlow would stack arrays.
    if (c.spelling.framework === 'torch' && d.m === 'tuple' && d.items && d.items.length > 1 && !d.open && !d.entries && d.items.every((x) => x.m === 'scalar' || (x.m === 'unknown' && !x.expOf && !x.sumOf && !x.instanceOf && !x.classRef))) return mk('class_weights', { count, src: c.span, flat: true, ...pair });
    if (d.m === 'scalar') return { ...d };
    const dt = dtypeClass(c.str('dtype'));
    // convert_to_tensor(y_pred), torch.as_tensor(p): the same values.
    return dt ? withDtype(d, dt, c.spelling.framework) : d;
  },
  lower(c) {
    const data = c.value('data') ?? c.error('tensor() needs data');
    const dt = askedDtype(c) ?? (c.spelling.framework === 'tf' || c.spelling.framework === 'keras' ? (data.t === 'tensor' ? data.dt : 'float') : undefined);
    if (c.spelling.name === 'torch.Tensor' && data.t === 'num') c.unsupported('torch.Tensor(size)');
    const out = fromData(c, data, dt);
    // tf.constant(value, shape=...): the values in that shape, a single value filling it.
    if (c.has('shape') && c.value('shape')?.t !== 'none' && out.t === 'tensor') {
      const shape = c.shape('shape');
      const n = shape.reduce((a, b) => a * b, 1);
      if (out.x.size === n) return c.out(c.k.reshape(out.x, shape), out.dt);
      if (out.x.size === 1) return c.out(c.k.broadcastTo(c.k.reshape(out.x, []), shape), out.dt);
      c.error(`${c.name}: ${out.x.size} values do not fill the shape [${shape}]`);
    }
    return out;
  },
});

/** A filled tensor: zeros, ones, full, empty (zeros: probes never read uninitialised memory). */
function fillOp(id: string, summary: string, value: number | 'arg', spell: string[], like: boolean) {
  return defineOp({
    id,
    summary,
    spell,
    abstract(c) {
      const v = value === 'arg' ? c.num('fill_value') : value;
      return mk('unknown', { fill: v, dtype: (dtypeClass(c.str('dtype')) as AbsValue['dtype']) ?? undefined, src: c.span });
    },
    lower(c) {
      const v = value === 'arg' ? (c.num('fill_value') ?? c.unsupported(`${c.name} with a tensor fill value`)) : value;
      if (like) {
        const x = c.tensor('input');
        const dt = askedDtype(c) ?? x.dt;
        return c.out(c.k.fill([...x.x.shape], v, dt), dt);
      }
      const shape = c.shape('shape');
      const dt = askedDtype(c) ?? (c.spelling.kind === 'method' ? c.tensor('input').dt : value === 'arg' && c.spelling.framework === 'torch' && Number.isInteger(v) && c.value('fill_value')?.t === 'num' && (c.value('fill_value') as { int: boolean }).int ? 'int' : 'float');
      return c.out(c.k.fill(shape, v, dt), dt);
    },
  });
}

export const zeros = fillOp('zeros', 'A tensor of zeros.', 0, [
  'torch.zeros(*size->shape, out=None, dtype=None, layout=None, device=None, requires_grad=False)',
  'torch.empty(*size->shape, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False, memory_format=None)',
  'Tensor.new_zeros(*size->shape, dtype=None, device=None, requires_grad=False)',
  'Tensor.new_empty(*size->shape, dtype=None, device=None, requires_grad=False)',
  'Tensor.new(*size->shape)',
  'tensorflow.zeros(shape, dtype="float32", name=None)',
  'keras.backend.zeros(shape, dtype=None, name=None)',
  'keras.ops.zeros(shape, dtype=None)',
  'jax.numpy.zeros(shape, dtype=None)',
  'numpy.zeros(shape, dtype=None, order="C", *, like=None)',
  'numpy.empty(shape, dtype=None, order="C", *, like=None)',
], false);

export const ones = fillOp('ones', 'A tensor of ones.', 1, [
  'torch.ones(*size->shape, out=None, dtype=None, layout=None, device=None, requires_grad=False)',
  'Tensor.new_ones(*size->shape, dtype=None, device=None, requires_grad=False)',
  'tensorflow.ones(shape, dtype="float32", name=None)',
  'keras.backend.ones(shape, dtype=None, name=None)',
  'keras.ops.ones(shape, dtype=None)',
  'jax.numpy.ones(shape, dtype=None)',
  'numpy.ones(shape, dtype=None, order="C", *, like=None)',
], false);

export const full = fillOp('full', 'A tensor filled with one value.', 'arg', [
  'torch.full(size->shape, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False)',
  'Tensor.new_full(size->shape, fill_value, *, dtype=None, device=None, requires_grad=False)',
  'tensorflow.fill(dims->shape, value->fill_value, name=None)',
  'keras.ops.full(shape, fill_value, dtype=None)',
  'jax.numpy.full(shape, fill_value, dtype=None)',
  'numpy.full(shape, fill_value, dtype=None, order="C", *, like=None)',
], false);

export const zerosLike = fillOp('zeros_like', 'Zeros of the input\'s shape.', 0, [
  'torch.zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None)',
  'torch.empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None)',
  'tensorflow.zeros_like(input, dtype=None, name=None)',
  'keras.backend.zeros_like(x->input, dtype=None, name=None)',
  'keras.ops.zeros_like(x->input, dtype=None)',
  'jax.numpy.zeros_like(a->input, dtype=None, shape=None)',
  'numpy.zeros_like(a->input, dtype=None, order="K", subok=True, shape=None)',
], true);

export const onesLike = fillOp('ones_like', 'Ones of the input\'s shape.', 1, [
  'torch.ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None)',
  'tensorflow.ones_like(input, dtype=None, name=None)',
  'keras.backend.ones_like(x->input, dtype=None, name=None)',
  'keras.ops.ones_like(x->input, dtype=None)',
  'jax.numpy.ones_like(a->input, dtype=None, shape=None)',
  'numpy.ones_like(a->input, dtype=None, order="K", subok=True, shape=None)',
], true);

export const fullLike = fillOp('full_like', 'One value in the input\'s shape.', 'arg', [
  'torch.full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None)',
  'keras.ops.full_like(x->input, fill_value, dtype=None)',
  'jax.numpy.full_like(a->input, fill_value, dtype=None, shape=None)',
  'numpy.full_like(a->input, fill_value, dtype=None, order="K", subok=True, shape=None)',
], true);

export const fillInPlace = defineOp({
  id: 'fill_',
  summary: 'Fills a tensor in place (`x.new(N, C).fill_(0)`, `x.zero_()`).',
  spell: ['Tensor.fill_(value->fill_value)', 'Tensor.zero_(*, __fill->fill_value=0)'],
  abstract: (c) => mk('unknown', { fill: c.num('fill_value'), src: c.span }),
  lower(c) {
    const x = c.tensor('input');
    const v = c.num('fill_value') ?? c.unsupported(`${c.name} with a tensor value`);
    return c.out(c.k.fill([...x.x.shape], v, x.dt), x.dt);
  },
});

export const eye = defineOp({
  id: 'eye',
  summary: 'An identity matrix: its rows at the targets are one-hot (`torch.eye(C)[t]`).',
  spell: [
    'torch.eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False)',
    'tensorflow.eye(num_rows->n, num_columns->m=None, batch_shape=None, dtype="float32", name=None)',
    'keras.ops.eye(N->n, M->m=None, k=0, dtype=None)',
    'jax.numpy.eye(N->n, M->m=None, k=0, dtype=None)',
    'numpy.eye(N->n, M->m=None, k=0, dtype="float64", order="C", *, like=None)',
  ],
  abstract: (c) => mk('unknown', { eye: true, src: c.span }),
  lower(c) {
    const n = c.num('n') ?? c.unsupported('eye of a non-integer size');
    if (c.num('m') !== undefined && c.num('m') !== n) c.unsupported('a non-square eye');
    const dt = askedDtype(c) ?? 'float';
    return c.out(c.k.eye(n, dt), dt);
  },
});

export const arange = defineOp({
  id: 'arange',
  summary: 'A range of numbers (`x[torch.arange(N), t]` takes each row at its target).',
  spell: [
    'torch.arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False)',
    'tensorflow.range(start, limit->end=None, delta->step=1, dtype=None, name="range")',
    'keras.ops.arange(start, stop->end=None, step=1, dtype=None)',
    'jax.numpy.arange(start, stop->end=None, step=None, dtype=None)',
    'numpy.arange(start, stop->end=None, step=None, dtype=None, *, like=None)',
  ],
  abstract: (c) => mk('unknown', { arange: true, dtype: 'int', src: c.span }),
  lower(c) {
    // arange(n) is range(0, n): a single bound is the end.
    // A one-element integer tensor holds a known number (tf.range(tf.shape(x)[0])).
    const vals = ['start', 'end', 'step']
      .map((p) => c.value(p))
      .map((v) => (v && v.t !== 'none' ? v : undefined))
      .map((v): CVal | undefined => (v?.t === 'tensor' && v.dt !== 'float' && v.x.size === 1 ? { t: 'num', v: c.k.data(v.x)[0], int: true } : v));
    if (vals.some((v) => v && v.t !== 'num')) c.unsupported(`${c.name} of tensors`);
    const [first, b, st] = vals as ({ t: 'num'; v: number; int: boolean } | undefined)[];
    const a = first ?? c.error(`${c.name}() needs an end`);
    const [s, e] = b ? [a.v, b.v] : [0, a.v];
    const allInt = [a, b, st].every((x) => !x || x.int);
    const dt = askedDtype(c) ?? (allInt ? 'int' : 'float');
    return c.out(c.k.range(s, e, st?.v ?? 1, dt), dt);
  },
});

export const epsilon = defineOp({
  id: 'epsilon',
  summary: 'The Keras fuzz factor, 1e-7.',
  spell: ['keras.backend.epsilon()', 'keras.config.epsilon()', 'keras.backend.common.epsilon()'],
  abstract: (c) => scalarOf([1e-7], { src: c.span }),
  lower: () => ({ t: 'num', v: 1e-7, int: false }),
});

export const floatx = defineOp({
  id: 'floatx',
  summary: "The Keras default float type, 'float32'.",
  spell: ['keras.backend.floatx()', 'keras.config.floatx()', 'keras.backend.common.floatx()'],
  abstract: (c) => mk('string', { str: 'float32', src: c.span }),
  lower: () => ({ t: 'str', v: 'float32' }),
});

export const imageDataFormat = defineOp({
  id: 'image_data_format',
  summary: "The Keras default image layout, 'channels_last'.",
  spell: ['keras.backend.image_data_format()', 'keras.config.image_data_format()', 'keras.backend.common.image_data_format()'],
  abstract: (c) => mk('string', { str: 'channels_last', src: c.span }),
  lower: () => ({ t: 'str', v: 'channels_last' }),
});

export const CREATION = [tensor, zeros, ones, full, zerosLike, onesLike, fullLike, fillInPlace, eye, arange, epsilon, floatx, imageDataFormat];
