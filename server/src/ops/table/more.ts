/**
 * Ops the numeric checker lowers that the rules do not read (no `abstract`: the abstract interpreter
 * gives them no meaning, as it did before they were spelled): activations and rounding, boolean
 * tests and logic, cumulative and product reductions, top-k and sorting, boolean masks, and PyTorch's regression losses. They are spelled as functions only: a tensor
 * method of the same name (`x.cumsum(1)`) is `torch.cumsum(x, 1)` to the numeric checker
 * (eval.ts), and a method spelling would take over `self.sort(...)` of a user's class in the IR.
 * Each lowering follows its framework's documented
 * formula and semantics (PyTorch's `(values, indices)` from `topk` and `sort`, TensorFlow's
 * `axis` defaults); TensorFlow and JAX are not installed here, so theirs are tested against those
 * formulas on tfjs (test/numeric/ops-frameworks.test.ts).
 */
import { unknown } from '../../core/lattice';
import { dtypeClass } from './shape';
import { kerasReduce } from './losses';
import { defineOp as define, type CTensor, type CVal, type Kernels, type LowerCtx, type OpDef, type Tensor } from '../api';

/** An op whose abstract meaning is unknown (what the abstract interpreter gave the call before it was spelled). */
function defineOp(def: Omit<OpDef, 'abstract'>): OpDef {
  return define({ ...def, abstract: (c) => unknown(c.span) });
}

function unaryOp(id: string, summary: string, spell: string[], f: (c: LowerCtx, x: CTensor) => CVal, modules?: string[]) {
  return defineOp({ id, summary, spell, modules, lower: (c) => f(c, c.tensor('input')) });
}

const floatOf = (c: LowerCtx, x: CTensor): Tensor => c.cast(x, 'float').x;

export const relu = unaryOp(
  'relu',
  'max(x, 0).',
  [
    'torch.relu(input)',
    'torch.nn.functional.relu(input, inplace=False)',
    'tensorflow.nn.relu(features->input, name=None)',
    'keras.activations.relu(x->input, negative_slope=0.0, max_value=None, threshold=0.0)',
    'keras.backend.relu(x->input, alpha->negative_slope=0.0, max_value=None, threshold=0.0)',
    'keras.ops.relu(x->input)',
    'jax.nn.relu(x->input)',
  ],
  (c, x) => {
    if ((c.num('negative_slope') ?? 0) !== 0 || c.num('max_value') !== undefined || (c.num('threshold') ?? 0) !== 0) c.unsupported(`${c.name} with a slope, a maximum or a threshold`);
    return c.out(c.k.relu(floatOf(c, x)));
  },
  ['torch.nn.ReLU(inplace=False)(input)'],
);

export const gelu = unaryOp(
  'gelu',
  "GELU in JAX's default tanh approximation: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).",
  ['jax.nn.gelu(x->input, approximate=True)'],
  (c, x) => {
    if (c.flag('approximate') === false) c.unsupported(`${c.name}(approximate=False)`);
    const f = (v: number): CVal => ({ t: 'num', v, int: false });
    const v = c.out(floatOf(c, x));
    const inner = c.binop('*', f(Math.sqrt(2 / Math.PI)), c.binop('+', v, c.binop('*', f(0.044715), c.binop('**', v, f(3)))));
    if (inner.t !== 'tensor') return inner;
    return c.binop('*', c.binop('*', f(0.5), v), c.binop('+', f(1), c.out(c.k.tanh(inner.x))));
  },
);

export const tanh = unaryOp('tanh', 'Hyperbolic tangent.', ['torch.tanh(input, *, out=None)', 'tensorflow.tanh(x->input, name=None)', 'keras.activations.tanh(x->input)', 'keras.backend.tanh(x->input)', 'keras.ops.tanh(x->input)', 'jax.numpy.tanh(x->input)', 'numpy.tanh(x->input)'], (c, x) =>
  c.out(c.k.tanh(floatOf(c, x))),
);

function stepOp(id: 'sign' | 'floor' | 'ceil' | 'round', spell: string[]) {
  return unaryOp(id, `Elementwise ${id} (its gradient is zero, as PyTorch's).`, spell, (c, x) => {
    if (id === 'round' && (c.num('decimals') ?? 0) !== 0) c.unsupported(`${c.name}(decimals=)`);
    if (x.dt !== 'float') return id === 'sign' ? c.out(c.k.cast(c.k.step(c.k.cast(x.x, 'float'), 'sign'), x.dt), x.dt) : x;
    return c.out(c.k.step(x.x, id));
  });
}

export const sign = stepOp('sign', ['torch.sign(input, *, out=None)', 'tensorflow.sign(x->input, name=None)', 'keras.backend.sign(x->input)', 'keras.ops.sign(x->input)', 'jax.numpy.sign(x->input)', 'numpy.sign(x->input)']);
export const floor = stepOp('floor', ['torch.floor(input, *, out=None)', 'tensorflow.floor(x->input, name=None)', 'keras.ops.floor(x->input)', 'jax.numpy.floor(x->input)', 'numpy.floor(x->input)']);
export const ceil = stepOp('ceil', ['torch.ceil(input, *, out=None)', 'tensorflow.ceil(x->input, name=None)', 'keras.ops.ceil(x->input)', 'jax.numpy.ceil(x->input)', 'numpy.ceil(x->input)']);
export const round = stepOp('round', ['torch.round(input, *, decimals=0, out=None)', 'tensorflow.round(x->input, name=None)', 'keras.backend.round(x->input)', 'keras.ops.round(x->input, decimals=0)', 'jax.numpy.round(a->input, decimals=0, out=None)', 'numpy.round(a->input, decimals=0, out=None)']);

export const reciprocal = unaryOp('reciprocal', '1 / x.', ['torch.reciprocal(input, *, out=None)', 'tensorflow.reciprocal(x->input, name=None)', 'jax.numpy.reciprocal(x->input)', 'numpy.reciprocal(x->input)', 'keras.ops.reciprocal(x->input)'], (c, x) =>
  c.binop('/', { t: 'num', v: 1, int: false }, c.cast(x, 'float')),
);

export const rsqrt = unaryOp('rsqrt', '1 / sqrt(x).', ['torch.rsqrt(input, *, out=None)', 'tensorflow.rsqrt(x->input, name=None)', 'jax.lax.rsqrt(x->input)'], (c, x) =>
  c.binop('**', c.cast(x, 'float'), { t: 'num', v: -0.5, int: false }),
);

function logBase(id: 'log2' | 'log10', base: number, spell: string[]) {
  return unaryOp(id, `Logarithm to base ${base}: log(x) / log(${base}).`, spell, (c, x) => c.binop('/', c.out(c.k.log(floatOf(c, x))), { t: 'num', v: Math.log(base), int: false }));
}
export const log2 = logBase('log2', 2, ['torch.log2(input, *, out=None)', 'jax.numpy.log2(x->input)', 'numpy.log2(x->input)', 'keras.ops.log2(x->input)']);
export const log10 = logBase('log10', 10, ['torch.log10(input, *, out=None)', 'jax.numpy.log10(x->input)', 'numpy.log10(x->input)', 'keras.ops.log10(x->input)']);

function test(id: 'isnan' | 'isinf' | 'isfinite', spell: string[]) {
  return unaryOp(id, `Elementwise ${id} (a boolean tensor).`, spell, (c, x) => {
    if (x.dt !== 'float') return c.out(c.k.fill([...x.x.shape], id === 'isfinite' ? 1 : 0, 'bool'), 'bool');
    return c.out(id === 'isnan' ? c.k.isnan(x.x) : id === 'isinf' ? c.k.isinf(x.x) : c.k.isfinite(x.x), 'bool');
  });
}
export const isnan = test('isnan', ['torch.isnan(input)', 'tensorflow.is_nan(x->input, name=None)', 'keras.ops.isnan(x->input)', 'jax.numpy.isnan(x->input)', 'numpy.isnan(x->input)']);
export const isinf = test('isinf', ['torch.isinf(input)', 'tensorflow.is_inf(x->input, name=None)', 'keras.ops.isinf(x->input)', 'jax.numpy.isinf(x->input)', 'numpy.isinf(x->input)']);
export const isfinite = test('isfinite', ['torch.isfinite(input)', 'tensorflow.is_finite(x->input, name=None)', 'keras.ops.isfinite(x->input)', 'jax.numpy.isfinite(x->input)', 'numpy.isfinite(x->input)']);

function logic(op: 'and' | 'or' | 'xor') {
  return defineOp({
    id: `logical_${op}`,
    summary: `Elementwise logical ${op} (a boolean tensor).`,
    spell: [
      `torch.logical_${op}(input, other, *, out=None)`,
      `tensorflow.logical_${op}(x->input, y->other, name=None)`,
      `keras.ops.logical_${op}(x1->input, x2->other)`,
      `jax.numpy.logical_${op}(x1->input, x2->other)`,
    ],
    lower(c) {
      const a = c.tensor('input');
      const b = c.tensor('other');
      const shape = c.k.broadcastShape(a.x.shape, b.x.shape);
      const bc = (t: Tensor): Tensor => (t.shape.join() === shape.join() ? t : c.k.broadcastTo(t, shape));
      return c.out(c.k.logical(op, bc(a.x), bc(b.x)), 'bool');
    },
  });
}
export const logicalAnd = logic('and');
export const logicalOr = logic('or');
export const logicalXor = logic('xor');
export const logicalNot = unaryOp('logical_not', 'Elementwise logical not (a boolean tensor).', ['torch.logical_not(input, *, out=None)', 'tensorflow.logical_not(x->input, name=None)', 'keras.ops.logical_not(x->input)', 'jax.numpy.logical_not(x->input)', 'numpy.logical_not(x->input)'], (c, x) =>
  c.out(c.k.logicalNot(x.x), 'bool'),
);

export const cumsum = defineOp({
  id: 'cumsum',
  summary: 'Running sum along an axis.',
  spell: [
    'torch.cumsum(input, dim, *, dtype=None, out=None)',
    'tensorflow.cumsum(x->input, axis->dim=0, exclusive=False, reverse=False, name=None)',
    'keras.ops.cumsum(x->input, axis->dim=None, dtype=None)',
    'jax.numpy.cumsum(a->input, axis->dim=None, dtype=None, out=None)', 'numpy.cumsum(a->input, axis->dim=None, dtype=None, out=None)',
  ],
  lower(c) {
    const x = c.tensor('input');
    if (c.flag('exclusive') || c.flag('reverse')) c.unsupported(`${c.name}(exclusive=, reverse=)`);
    let src = x.dt === 'bool' ? c.cast(x, 'int') : x;
    let d = c.dim('dim', src.x.shape.length);
    if (d === undefined) {
      if (c.spelling.framework === 'torch') c.error('cumsum needs dim');
      src = c.out(c.k.reshape(src.x, [-1]), src.dt) as CTensor;
      d = 0;
    }
    return c.out(c.k.cumsum(src.x, d), src.dt);
  },
});

function boolReduce(id: 'any' | 'all', spell: string[]) {
  return defineOp({
    id,
    summary: `Whether ${id === 'any' ? 'any' : 'every'} element (over axes) is true.`,
    spell,
    lower(c) {
      const x = c.tensor('input');
      const dims = c.dims('dim', x.x.shape.length);
      const r = id === 'any' ? c.k.any(x.x, dims, c.flag('keepdim') ?? false) : c.k.all(x.x, dims, c.flag('keepdim') ?? false);
      return c.out(r, 'bool');
    },
  });
}
export const any = boolReduce('any', [
  'torch.any(input, dim=None, keepdim=False, *, out=None)',
  'tensorflow.reduce_any(input_tensor->input, axis|reduction_indices->dim=None, keepdims|keep_dims->keepdim=False, name=None)',
  'keras.backend.any(x->input, axis->dim=None, keepdims->keepdim=False)',
  'keras.ops.any(x->input, axis->dim=None, keepdims->keepdim=False)',
  'jax.numpy.any(a->input, axis->dim=None, out=None, keepdims->keepdim=False, where=None)',
]);
export const all = boolReduce('all', [
  'torch.all(input, dim=None, keepdim=False, *, out=None)',
  'tensorflow.reduce_all(input_tensor->input, axis|reduction_indices->dim=None, keepdims|keep_dims->keepdim=False, name=None)',
  'keras.backend.all(x->input, axis->dim=None, keepdims->keepdim=False)',
  'keras.ops.all(x->input, axis->dim=None, keepdims->keepdim=False)',
  'jax.numpy.all(a->input, axis->dim=None, out=None, keepdims->keepdim=False, where=None)',
]);

export const prod = defineOp({
  id: 'prod',
  summary: 'Product over axes (all of them when no axis is given).',
  spell: [
    'torch.prod(input, dim=None, keepdim=False, *, dtype=None)',
    'tensorflow.reduce_prod(input_tensor->input, axis|reduction_indices->dim=None, keepdims|keep_dims->keepdim=False, name=None)',
    'keras.backend.prod(x->input, axis->dim=None, keepdims->keepdim=False)',
    'keras.ops.prod(x->input, axis->dim=None, keepdims->keepdim=False, dtype=None)',
    'jax.numpy.prod(a->input, axis->dim=None, dtype=None, out=None, keepdims->keepdim=False, initial=None, where=None)',
    'numpy.prod(a->input, axis->dim=None, dtype=None, out=None, keepdims->keepdim=False)',
  ],
  lower(c) {
    const x = c.tensor('input');
    const src = x.dt === 'bool' ? c.cast(x, 'int') : x;
    return c.out(c.k.prod(src.x, c.dims('dim', src.x.shape.length), c.flag('keepdim') ?? false), src.dt);
  },
});

export const countNonzero = defineOp({
  id: 'count_nonzero',
  summary: 'How many elements (over axes) are not zero.',
  spell: [
    'torch.count_nonzero(input, dim=None)',
    'tensorflow.count_nonzero(input, axis->dim=None, keepdims->keepdim=None, dtype="int64", name=None)',
    'jax.numpy.count_nonzero(a->input, axis->dim=None, keepdims->keepdim=False)', 'numpy.count_nonzero(a->input, axis->dim=None, keepdims->keepdim=False)',
  ],
  lower(c) {
    const x = c.tensor('input');
    const nz = c.compare('!=', x, { t: 'num', v: 0, int: true }) as CTensor;
    return c.out(c.k.sum(c.k.cast(nz.x, 'int'), c.dims('dim', x.x.shape.length), c.flag('keepdim') ?? false), 'int');
  },
});

function moments(id: 'std' | 'var', spell: string[]) {
  return defineOp({
    id,
    summary: `${id === 'std' ? 'Standard deviation' : 'Variance'} over axes: PyTorch's is unbiased by default (correction 1), TensorFlow's and numpy's are not.`,
    spell,
    lower(c) {
      const x = c.float('input');
      const dims = c.dims('dim', x.x.shape.length);
      const keep = c.flag('keepdim') ?? false;
      let corr = c.spelling.framework === 'torch' ? 1 : 0;
      if (c.has('unbiased')) corr = c.flag('unbiased') ? 1 : 0;
      if (c.has('correction')) corr = c.num('correction') ?? corr;
      if (c.has('ddof')) corr = c.num('ddof') ?? corr;
      const n = (dims ?? x.x.shape.map((_, i) => i)).reduce((a, d) => a * x.x.shape[d], 1);
      const mu = c.k.mean(x.x, dims, true);
      const dev = c.binop('-', x, c.out(mu)) as CTensor;
      const sq = c.binop('*', dev, dev) as CTensor;
      const v = c.binop('/', c.out(c.k.sum(sq.x, dims, keep)), { t: 'num', v: n - corr, int: true }) as CTensor;
      return id === 'var' ? v : c.binop('**', v, { t: 'num', v: 0.5, int: false });
    },
  });
}
export const std = moments('std', [
  'torch.std(input, dim=None, unbiased=True, keepdim=False)',
  'tensorflow.reduce_std(input_tensor->input, axis|reduction_indices->dim=None, keepdims|keep_dims->keepdim=False, name=None)',
  'keras.backend.std(x->input, axis->dim=None, keepdims->keepdim=False)',
  'jax.numpy.std(a->input, axis->dim=None, dtype=None, out=None, ddof=0, keepdims->keepdim=False)', 'numpy.std(a->input, axis->dim=None, dtype=None, out=None, ddof=0, keepdims->keepdim=False)',
]);
export const variance = moments('var', [
  'torch.var(input, dim=None, unbiased=True, keepdim=False)',
  'tensorflow.reduce_variance(input_tensor->input, axis|reduction_indices->dim=None, keepdims|keep_dims->keepdim=False, name=None)',
  'keras.backend.var(x->input, axis->dim=None, keepdims->keepdim=False)',
  'jax.numpy.var(a->input, axis->dim=None, dtype=None, out=None, ddof=0, keepdims->keepdim=False)', 'numpy.var(a->input, axis->dim=None, dtype=None, out=None, ddof=0, keepdims->keepdim=False)',
]);

/** The order of each row's entries along the last axis (stable), as flat positions into `x`. */
function order(c: LowerCtx, x: Tensor, dim: number, descending: boolean, k?: number): { flat: number[]; idx: number[]; shape: number[] } {
  const shape = [...x.shape];
  const n = shape[dim];
  const kk = k ?? n;
  if (kk > n || kk < 0) c.error(`selected index k out of range`);
  const data = c.k.data(x);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = strides[dim];
  const flat: number[] = [];
  const idx: number[] = [];
  const outShape = shape.map((d, i) => (i === dim ? kk : d));
  const lines: number[][] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const pos = Array.from({ length: n }, (_, j) => j);
      // NaN sorts as the largest value, as PyTorch's sort and topk do.
      const key = (j: number): number => {
        const v = data[base + j * inner];
        return Number.isNaN(v) ? Infinity : v;
      };
      pos.sort((a, b) => (descending ? key(b) - key(a) : key(a) - key(b)) || a - b);
      lines.push(pos.slice(0, kk));
    }
  }
  // Lay the chosen positions out in the output's row-major order.
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < kk; j++) {
      for (let i = 0; i < inner; i++) {
        const p = lines[o * inner + i][j];
        flat.push(o * n * inner + p * inner + i);
        idx.push(p);
      }
    }
  }
  return { flat, idx, shape: outShape };
}

/** Values and indices of `x` along `dim` in order (the k first when given), the values gathered so that the gradient flows to them. */
function ordered(c: LowerCtx, x: CTensor, descending: boolean, k?: number): [CVal, CVal] {
  const rank = x.x.shape.length;
  const d = c.dim('dim', rank) ?? rank - 1;
  const o = order(c, x.x, d, descending, k);
  const values = c.out(c.k.gatherFlat(x.x, c.k.fromData(o.flat, o.shape, 'int')), x.dt);
  return [values, c.out(c.k.fromData(o.idx, o.shape, 'int'), 'int')];
}

export const topk = defineOp({
  id: 'topk',
  summary: 'The k largest (or smallest) entries along an axis and their indices.',
  spell: ['torch.topk(input, k, dim=-1, largest=True, sorted=True, *, out=None)', 'tensorflow.nn.top_k(input, k=1, sorted=True, name=None)', 'tensorflow.top_k(input, k=1, sorted=True, name=None)'],
  lower(c) {
    const items = ordered(c, c.tensor('input'), c.flag('largest') ?? true, c.num('k') ?? c.error('topk needs k'));
    return { t: 'list', items, tuple: true };
  },
});

export const sort = defineOp({
  id: 'sort',
  summary: "Sorted along an axis: PyTorch's gives (values, indices), TensorFlow's and JAX's the values.",
  spell: ['torch.sort(input, dim=-1, descending=False, stable=False, *, out=None)', 'tensorflow.sort(values->input, axis->dim=-1, direction="ASCENDING", name=None)', 'jax.numpy.sort(a->input, axis->dim=-1)'],
  lower(c) {
    const items = ordered(c, c.tensor('input'), c.flag('descending') ?? c.str('direction') === 'DESCENDING');
    return c.spelling.framework === 'torch' ? { t: 'list', items, tuple: true } : items[0];
  },
});

function maskedRows(c: LowerCtx, x: CTensor, m: CTensor): CVal {
  const k = m.x.shape.length;
  if (m.x.shape.join() !== x.x.shape.slice(0, k).join()) c.error(`${c.name}: the mask's shape [${m.x.shape}] must match the leading dims of [${x.x.shape}]`);
  const rest = x.x.shape.slice(k);
  const restSize = rest.reduce((a, b) => a * b, 1);
  const data = c.k.data(c.k.cast(m.x, 'int'));
  const flat: number[] = [];
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    if (!data[i]) continue;
    n++;
    for (let j = 0; j < restSize; j++) flat.push(i * restSize + j);
  }
  return c.out(c.k.gatherFlat(x.x, c.k.fromData(flat, [n, ...rest], 'int')), x.dt);
}

export const booleanMask = defineOp({
  id: 'boolean_mask',
  summary: 'The entries (or rows) where a boolean mask holds.',
  spell: ['tensorflow.boolean_mask(tensor->input, mask, axis=None, name="boolean_mask")'],
  lower(c) {
    if ((c.num('axis') ?? 0) !== 0) c.unsupported(`${c.name}(axis=)`);
    return maskedRows(c, c.tensor('input'), c.cast(c.tensor('mask'), 'bool'));
  },
});

export const maskedSelect = defineOp({
  id: 'masked_select',
  summary: 'The entries where a boolean mask (broadcast to the input) holds, flattened.',
  spell: ['torch.masked_select(input, mask, *, out=None)'],
  lower(c) {
    const x = c.tensor('input');
    const m = c.cast(c.tensor('mask'), 'bool');
    const shape = c.k.broadcastShape(x.x.shape, m.x.shape);
    const bx = c.out(c.k.reshape(x.x.shape.join() === shape.join() ? x.x : c.k.broadcastTo(x.x, shape), [-1]), x.dt) as CTensor;
    const bm = c.out(c.k.reshape(m.x.shape.join() === shape.join() ? m.x : c.k.broadcastTo(m.x, shape), [-1]), 'bool') as CTensor;
    return maskedRows(c, bx, bm);
  },
});

export const laxSelect = defineOp({
  id: 'lax_select',
  summary: 'jax.lax.select(pred, on_true, on_false): where, with operands of one shape.',
  spell: ['jax.lax.select(pred->condition, on_true->input, on_false->other)'],
  lower(c) {
    const cond = c.cast(c.tensor('condition'), 'bool');
    const [p, q] = c.promote(c.tensor('input'), c.tensor('other'));
    if (cond.x.shape.join() !== p.x.shape.join() || p.x.shape.join() !== q.x.shape.join()) c.error('jax.lax.select: pred, on_true and on_false must have the same shape');
    return c.out(c.k.where(cond.x, p.x, q.x), p.dt);
  },
});

export const jnpAstype = defineOp({
  id: 'jnp_astype',
  summary: 'jnp.astype(x, dtype): x cast to dtype.',
  spell: ['jax.numpy.astype(x->input, dtype, copy=False)'],
  lower(c) {
    const x = c.tensor('input');
    const v = c.value('dtype');
    const dt = v?.t === 'dtype' ? v.dt : v?.t === 'str' ? dtypeClass(v.v) : undefined;
    return c.cast(x, dt ?? c.unsupported(`${c.name} to this dtype`));
  },
});

export const squaredDifference = defineOp({
  id: 'squared_difference',
  summary: '(x - y)^2 (TensorFlow).',
  spell: ['tensorflow.squared_difference(x->input, y->other, name=None)'],
  lower(c) {
    const d = c.binop('-', c.float('input'), c.float('other'));
    return c.binop('*', d, d);
  },
});

export const atan2 = defineOp({
  id: 'atan2',
  inplace: true,
  summary: 'The angle of (other, input), elementwise (box aspect-ratio terms of IoU losses).',
  spell: [
    'torch.atan2(input, other, *, out=None)',
    'torch.arctan2(input, other, *, out=None)',
    'Tensor.atan2(other)',
    'tensorflow.atan2(y->input, x->other, name=None)',
    'keras.ops.arctan2(x1->input, x2->other)',
    'jax.numpy.arctan2(x1->input, x2->other)',
    'numpy.arctan2(x1->input, x2->other)',
  ],
  lower(c) {
    const [a, b] = c.promote(c.float('input'), c.float('other'), true);
    const shape = c.k.broadcastShape(a.x.shape, b.x.shape);
    const bc = (t: typeof a.x) => (t.shape.join() === shape.join() ? t : c.k.broadcastTo(t, shape));
    return c.out(c.k.atan2(bc(a.x), bc(b.x)), 'float');
  },
});

export const divideNoNan = defineOp({
  id: 'divide_no_nan',
  summary: 'x / y, 0 where y is 0 (TensorFlow).',
  spell: ['tensorflow.divide_no_nan(x->input, y->other, name=None)'],
  lower(c) {
    const x = c.float('input');
    const y = c.float('other');
    const zero = c.compare('==', y, { t: 'num', v: 0, int: true }) as CTensor;
    const safe = c.out(c.k.where(zero.x, c.k.fill([...y.x.shape], 1, 'float'), y.x)) as CTensor;
    const q = c.binop('/', x, safe) as CTensor;
    const shape = q.x.shape;
    const z = zero.x.shape.join() === shape.join() ? zero.x : c.k.broadcastTo(zero.x, shape);
    return c.out(c.k.where(z, c.k.fill([...shape], 0, 'float'), q.x));
  },
});

/** PyTorch's reduction of a loss: `size_average` / `reduce` (legacy) decide when either is given. */
function torchReduced(c: LowerCtx, x: Tensor): CVal {
  const given = (p: string): boolean => c.has(p) && c.value(p)?.t !== 'none';
  let r = c.str('reduction') ?? 'mean';
  if (given('size_average') || given('reduce')) {
    const sa = given('size_average') ? (c.flag('size_average') ?? true) : true;
    const rd = given('reduce') ? (c.flag('reduce') ?? true) : true;
    r = sa && rd ? 'mean' : rd ? 'sum' : 'none';
  }
  // PyTorch 0.4's name for 'mean', still accepted (with a deprecation warning) by torch.nn._reduction.get_enum.
  if (r === 'elementwise_mean') r = 'mean';
  if (!['none', 'mean', 'sum'].includes(r)) c.error(`${r} is not a valid value for reduction`);
  return c.out(r === 'none' ? x : r === 'sum' ? c.k.sum(x, undefined, false) : c.k.mean(x, undefined, false));
}

function regression(id: string, summary: string, spell: string, module: string, f: (c: LowerCtx, d: CTensor) => CTensor) {
  return defineOp({
    id,
    summary,
    spell: [spell],
    modules: [module],
    lower(c) {
      const x = c.float('input');
      const t = c.float('target');
      if (x.x.shape.join() !== t.x.shape.join()) c.error(`${c.name}: target size [${t.x.shape}] is not the input size [${x.x.shape}]`);
      return torchReduced(c, f(c, c.binop('-', x, t) as CTensor).x);
    },
  });
}

export const mseLoss = regression('mse_loss', 'Mean squared error.', 'torch.nn.functional.mse_loss(input, target, size_average=None, reduce=None, reduction="mean")', 'torch.nn.MSELoss(size_average=None, reduce=None, reduction="mean")(input, target)', (c, d) => c.binop('*', d, d) as CTensor);
export const l1Loss = regression('l1_loss', 'Mean absolute error.', 'torch.nn.functional.l1_loss(input, target, size_average=None, reduce=None, reduction="mean")', 'torch.nn.L1Loss(size_average=None, reduce=None, reduction="mean")(input, target)', (c, d) => c.out(c.k.abs(d.x)) as CTensor);
export const smoothL1Loss = regression(
  'smooth_l1_loss',
  'Smooth L1: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta.',
  'torch.nn.functional.smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0)',
  'torch.nn.SmoothL1Loss(size_average=None, reduce=None, reduction="mean", beta=1.0)(input, target)',
  (c, d) => {
    const beta = c.num('beta') ?? 1;
    const a = c.out(c.k.abs(d.x)) as CTensor;
    if (beta === 0) return a;
    const small = c.compare('<', a, { t: 'num', v: beta, int: false }) as CTensor;
    const quad = c.binop('/', c.binop('*', c.binop('*', d, d), { t: 'num', v: 0.5, int: false }), { t: 'num', v: beta, int: false }) as CTensor;
    const lin = c.binop('-', a, { t: 'num', v: 0.5 * beta, int: false }) as CTensor;
    return c.out(c.k.where(small.x, quad.x, lin.x)) as CTensor;
  },
);

/**
 * optax's regression losses (optax/losses/_regression.py, as documented): errors = predictions -
 * targets (targets None: the predictions themselves), broadcast as jnp arithmetic; elementwise, no
 * reduction. squared_error: errors^2; l2_loss: 0.5 errors^2; huber_loss: 0.5 q^2 + delta (|e| - q)
 * with q = min(|e|, delta).
 */
function optaxRegression(id: string, summary: string, spell: string, f: (c: LowerCtx, e: CTensor) => CVal) {
  return defineOp({
    id,
    summary,
    spell: [spell],
    lower(c) {
      const x = c.float('input');
      const t = c.value('target');
      return f(c, !t || t.t === 'none' ? x : (c.binop('-', x, c.cast(c.toTensor(t), 'float')) as CTensor));
    },
  });
}

const half = { t: 'num', v: 0.5, int: false } as const;
/** The Huber penalty of errors e, elementwise: 0.5 q^2 + delta (|e| - q) with q = min(|e|, delta) (optax's and Keras's formula). */
function huber(c: LowerCtx, e: CTensor): CVal {
  const delta = c.num('delta') ?? 1;
  const a = c.out(c.k.abs(e.x)) as CTensor;
  const q = c.out(c.k.clamp(a.x, undefined, delta)) as CTensor;
  return c.binop('+', c.binop('*', half, c.binop('*', q, q)), c.binop('*', { t: 'num', v: delta, int: false }, c.binop('-', a, q)));
}

export const optaxSquaredError = optaxRegression('optax_squared_error', 'optax.squared_error: (predictions - targets)^2, elementwise.', 'optax.squared_error(predictions->input, targets->target=None)', (c, e) => c.binop('*', e, e));
export const optaxL2Loss = optaxRegression('optax_l2_loss', 'optax.l2_loss: 0.5 (predictions - targets)^2, elementwise.', 'optax.l2_loss(predictions->input, targets->target=None)', (c, e) => c.binop('*', half, c.binop('*', e, e)));
export const optaxHuberLoss = optaxRegression(
  'optax_huber_loss',
  'optax.huber_loss: 0.5 q^2 + delta (|e| - q), q = min(|e|, delta), elementwise.',
  'optax.huber_loss(predictions->input, targets->target=None, delta=1.0)',
  huber,
);

/**
 * Keras's regression losses (keras.losses, as documented): y_true cast to y_pred's dtype, the error
 * y_pred - y_true broadcast, an elementwise penalty averaged over the last axis (one value per
 * sample); the loss classes reduce those with their `reduction` (`sum_over_batch_size`: the mean).
 */
function kerasRegression(id: string, summary: string, names: string[], cls: string, f: (c: LowerCtx, e: CTensor) => CVal, extra = '') {
  const params = `y_true->target, y_pred->input${extra ? `, ${extra}` : ''}`;
  return defineOp({
    id,
    summary,
    spell: names.flatMap((n) => [`keras.losses.${n}(${params})`, `keras.metrics.${n}(${params})`]),
    modules: [`keras.losses.${cls}(${extra ? `${extra}, ` : ''}reduction="sum_over_batch_size", name="${names[0]}")(y_true->target, y_pred->input, sample_weight=None)`],
    lower(c) {
      const x = c.float('input');
      const e = c.binop('-', x, c.cast(c.tensor('target'), 'float')) as CTensor;
      const per = c.toTensor(f(c, e));
      const last = per.x.shape.length - 1;
      return kerasReduce(c, last < 0 ? per.x : c.k.mean(per.x, [last], false));
    },
  });
}

export const kerasMeanSquaredError = kerasRegression('keras_mean_squared_error', 'Keras mean squared error: mean over the last axis of (y_pred - y_true)^2.', ['mean_squared_error', 'mse', 'MSE'], 'MeanSquaredError', (c, e) => c.binop('*', e, e));
export const kerasMeanAbsoluteError = kerasRegression('keras_mean_absolute_error', 'Keras mean absolute error: mean over the last axis of |y_pred - y_true|.', ['mean_absolute_error', 'mae', 'MAE'], 'MeanAbsoluteError', (c, e) => c.out(c.k.abs(e.x)));
export const kerasHuber = kerasRegression(
  'keras_huber',
  'Keras Huber loss: mean over the last axis of 0.5 e^2 where |e| <= delta, else delta |e| - 0.5 delta^2.',
  ['huber'],
  'Huber',
  huber,
  'delta=1.0',
);

/** optax.smooth_labels(labels, alpha): (1 - alpha) labels + alpha / num_categories (the last axis's size). */
export const optaxSmoothLabels = defineOp({
  id: 'optax_smooth_labels',
  summary: 'optax.smooth_labels: (1 - alpha) labels + alpha / K, K the size of the last axis.',
  spell: ['optax.smooth_labels(labels->input, alpha)'],
  lower(c) {
    const y = c.float('input');
    const alpha = c.value('alpha');
    if (!alpha || alpha.t === 'none') return c.error(`${c.name}() missing required argument 'alpha'`);
    const k = y.x.shape[y.x.shape.length - 1] ?? 1;
    const a = alpha.t === 'num' ? ({ t: 'num', v: alpha.v, int: false } as const) : c.cast(c.toTensor(alpha), 'float');
    return c.binop('+', c.binop('*', c.binop('-', { t: 'num', v: 1, int: false }, a), y), c.binop('/', a, { t: 'num', v: k, int: false }));
  },
});

/**
 * Einstein summation, as numpy defines it (explicit `->` output, or implicit: the letters seen once,
 * sorted): each operand's axes laid out on the union of the letters (size-1 where absent), the
 * product broadcast, the letters not in the output summed. An ellipsis stands for an operand's axes
 * its letters leave, broadcast between the operands aligned on the right (a size 1 meets any size), and
 * they lead an implicit output; an explicit output must hold it too where it stands for any axis
 * (numpy raises, JAX's behaviour is not modelled). A letter repeated within one operand (diagonals)
 * is not modelled.
 */
export const einsum = defineOp({
  id: 'einsum',
  summary: 'Einstein summation: the product of the operands on the union of their indices, summed over those not in the output.',
  spell: ['jax.numpy.einsum(subscripts->equation, *operands, out=None, optimize="auto", precision=None, preferred_element_type=None)', 'keras.ops.einsum(subscripts->equation, *operands)'],
  lower(c) {
    const eq = (c.str('equation') ?? c.unsupported(`${c.name} without a literal equation`)).replace(/\s+/g, '');
    const ops = c.value('operands');
    const xs = ops?.t === 'list' ? ops.items.map((v) => c.toTensor(v)) : [];
    const [lhs, rhsRaw] = eq.split('->');
    const insRaw = lhs.split(',');
    const sub = /^(?:[a-zA-Z]*(?:\.\.\.)?[a-zA-Z]*)$/;
    if (!insRaw.every((s) => sub.test(s)) || (rhsRaw !== undefined && !sub.test(rhsRaw))) c.error(`einsum: invalid subscripts '${eq}'`);
    if (insRaw.length !== xs.length) c.error(`einsum: ${insRaw.length} operands in '${eq}', ${xs.length} given`);
    // An ellipsis becomes letters of its own (code points past the Latin ones), right-aligned.
    const ellRank = (s: string, k: number) => (s.includes('...') ? xs[k].x.shape.length - (s.length - 3) : 0);
    const ranks = insRaw.map(ellRank);
    if (ranks.some((r) => r < 0)) c.error(`einsum: an operand has fewer axes than its subscripts '${eq}'`);
    const nEll = Math.max(0, ...ranks);
    const ell = Array.from({ length: nEll }, (_, i) => String.fromCharCode(0x100 + i));
    const ins = insRaw.map((s, k) => s.replace('...', ell.slice(nEll - ranks[k]).join('')));
    if (rhsRaw !== undefined && nEll > 0 && !rhsRaw.includes('...')) c.unsupported(`${c.name} with an ellipsis its output leaves out`);
    const rhs = rhsRaw?.replace('...', ell.join(''));
    const size = new Map<string, number>();
    const count = new Map<string, number>();
    ins.forEach((sub, k) => {
      if (sub.length !== xs[k].x.shape.length) c.error(`einsum: operand ${k} has rank ${xs[k].x.shape.length}, its subscripts '${sub}' ${sub.length}`);
      if (new Set(sub).size !== sub.length) c.unsupported(`${c.name} with a repeated index in one operand`);
      [...sub].forEach((l, i) => {
        const d = xs[k].x.shape[i];
        const was = size.get(l);
        const broadcast = ell.includes(l) && (was === 1 || d === 1);
        if (was !== undefined && was !== d && !broadcast) c.error(`einsum: index '${l}' has sizes ${was} and ${d}`);
        size.set(l, was === undefined || d !== 1 ? d : was);
        count.set(l, (count.get(l) ?? 0) + 1);
      });
    });
    const letters = [...size.keys()].sort((a, b) => Number(ell.includes(b)) - Number(ell.includes(a)) || (ell.includes(a) ? a.localeCompare(b) : 0));
    const out = rhs ?? [...ell, ...letters.filter((l) => !ell.includes(l) && count.get(l) === 1).sort()].join('');
    if (new Set(out).size !== out.length || [...out].some((l) => !size.has(l))) c.error(`einsum: invalid output subscripts '${out}'`);
    let prod: CVal | undefined;
    ins.forEach((sub, k) => {
      const have = letters.filter((l) => sub.includes(l));
      const t = c.k.transpose(xs[k].x, have.map((l) => sub.indexOf(l)));
      const full = c.out(c.k.reshape(t, letters.map((l) => (sub.includes(l) ? xs[k].x.shape[sub.indexOf(l)] : 1))), xs[k].dt);
      prod = prod ? c.binop('*', prod, full) : full;
    });
    let r = c.toTensor(prod!);
    const gone = letters.flatMap((l, i) => (out.includes(l) ? [] : [i]));
    if (gone.length) r = c.out(c.k.sum(r.x, gone, false), r.dt) as CTensor;
    const kept = letters.filter((l) => out.includes(l));
    return c.out(c.k.transpose(r.x, [...out].map((l) => kept.indexOf(l))), r.dt);
  },
});

/**
 * jax.image.resize: to the image's own shape it is the image, whatever the method (each method's
 * kernel is 1 at offset 0 and 0 at the other whole offsets); `nearest` to another shape picks, along
 * each axis whose size changes, the input index floor((i + 0.5) * in / out) (jax/_src/image/scale.py).
 * Other methods to another shape (antialiased kernels) are not modelled.
 */
export const jaxImageResize = defineOp({
  id: 'jax_image_resize',
  summary: 'jax.image.resize: the image itself to its own shape; nearest-neighbour gathers otherwise.',
  spell: ['jax.image.resize(image->input, shape, method, antialias=True, precision=None)'],
  lower(c) {
    const x = c.tensor('input');
    if (!c.has('shape') || !c.has('method')) c.error("resize() missing a required argument: 'shape' and 'method' are required");
    const shape = c.shape('shape');
    if (shape.length !== x.x.shape.length) c.error(`jax.image.resize: shape [${shape}] must have the rank of the image's [${x.x.shape}]`);
    if (shape.every((d, i) => d === x.x.shape[i])) return x;
    const method = c.str('method');
    if (method !== 'nearest') c.unsupported(`jax.image.resize(method=${method ?? 'a non-string'}) to another shape`);
    let y = x.x;
    shape.forEach((out, axis) => {
      const n = x.x.shape[axis];
      if (out === n) return;
      const idx = Array.from({ length: out }, (_, i) => Math.min(n - 1, Math.floor(Math.fround(Math.fround((i + 0.5) * n) / out))));
      y = c.k.take(y, c.k.fromData(idx, [out], 'int'), axis);
    });
    return c.out(y, x.dt);
  },
});

/**
 * `a @ b` with numpy's and PyTorch's rules: a 1-D operand is a row (left) or a column (right) whose
 * axis is dropped from the result, leading (batch) axes broadcast, the inner sizes must agree.
 * Also the `@` operator (numeric/eval.ts).
 */
export function matmulTensors(k: Kernels, a: Tensor, b: Tensor, fail: (message: string) => never): Tensor {
  if (a.shape.length === 0 || b.shape.length === 0) fail('both arguments to matmul need to be at least 1D');
  const a2 = a.shape.length === 1 ? k.expandDims(a, 0) : a;
  const b2 = b.shape.length === 1 ? k.expandDims(b, 1) : b;
  const [m, n] = a2.shape.slice(-2);
  const [n2, p] = b2.shape.slice(-2);
  if (n !== n2) fail(`mat1 and mat2 shapes cannot be multiplied (${m}x${n} and ${n2}x${p})`);
  let batch: number[];
  try {
    batch = k.broadcastShape(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  } catch {
    return fail(`matmul: batch shapes [${a2.shape.slice(0, -2)}] and [${b2.shape.slice(0, -2)}] do not broadcast`);
  }
  const full = (x: Tensor, rows: number, cols: number): Tensor => (x.shape.length - 2 === batch.length && x.shape.slice(0, -2).join() === batch.join() ? x : k.broadcastTo(x, [...batch, rows, cols]));
  let r = k.matmul(full(a2, m, n), full(b2, n, p));
  if (a.shape.length === 1) r = k.squeeze(r, [r.shape.length - 2]);
  if (b.shape.length === 1) r = k.squeeze(r, [r.shape.length - 1]);
  return r;
}

/**
 * The two operands of a product (`input`, `other`): PyTorch and TensorFlow refuse operands of two
 * dtypes; numpy, JAX and Keras promote them.
 */
function productOperands(c: LowerCtx): [CTensor, CTensor] {
  const a = c.tensor('input');
  const b = c.tensor('other');
  if (a.dt === b.dt) return [a, b];
  if (c.spelling.framework === 'torch' || c.spelling.framework === 'tf') c.error(`${c.name}: expected both operands of one dtype, got ${a.dt} and ${b.dt}`);
  return c.promote(a, b, true);
}

export const matmul = defineOp({
  id: 'matmul',
  summary: 'Matrix product (`tf.matmul(w * ce, alpha)`: a weighted sum over the classes).',
  // No method spelling: `x.matmul(y)` is torch.matmul(x, y) to the numeric checker (eval.ts tensorMethod).
  spell: [
    'torch.matmul(input, other, *, out=None)',
    'torch.mm(input, mat2->other, *, out=None)',
    'tensorflow.matmul(a->input, b->other, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False, b_is_sparse=False, output_type=None, name=None)',
    'tensorflow.linalg.matmul(a->input, b->other, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False, b_is_sparse=False, output_type=None, name=None)',
    'keras.ops.matmul(x1->input, x2->other)',
    'jax.numpy.matmul(a->input, b->other, *, precision=None, preferred_element_type=None)',
    'numpy.matmul(x1->input, x2->other)',
  ],
  lower(c) {
    const [a, b] = productOperands(c);
    const fw = c.spelling.framework;
    const strict2d = c.spelling.name === 'torch.mm' || fw === 'tf';
    if (strict2d && (a.x.shape.length < 2 || b.x.shape.length < 2)) c.error(`${c.name}: both operands must be matrices (rank >= 2)`);
    if (c.spelling.name === 'torch.mm' && (a.x.shape.length !== 2 || b.x.shape.length !== 2)) c.error('mm: both operands must be 2-D');
    const swap = (x: Tensor): Tensor => {
      const r = x.shape.length;
      return c.k.transpose(x, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]);
    };
    let xa = a.x;
    let xb = b.x;
    if (fw === 'tf') {
      if (c.flag('transpose_a') || c.flag('adjoint_a')) xa = swap(xa);
      if (c.flag('transpose_b') || c.flag('adjoint_b')) xb = swap(xb);
      if (c.has('output_type') && c.value('output_type')?.t !== 'none') c.unsupported(`${c.name}(output_type=)`);
    }
    const f = a.dt === 'float' ? (x: Tensor) => x : (x: Tensor) => c.k.cast(x, 'float');
    const r = matmulTensors(c.k, f(xa), f(xb), (m) => c.error(m));
    return c.out(a.dt === 'float' ? r : c.k.cast(r, a.dt === 'bool' ? 'int' : a.dt), a.dt === 'bool' ? 'int' : a.dt);
  },
});

export const dot = defineOp({
  id: 'dot',
  summary: "PyTorch's dot product of two 1-D tensors of one dtype and size: sum(input * other).",
  // No method spelling: `x.dot(y)` is torch.dot(x, y) to the numeric checker (eval.ts tensorMethod).
  spell: ['torch.dot(input, other, *, out=None)'],
  lower(c) {
    const [a, b] = productOperands(c);
    if (a.x.shape.length !== 1 || b.x.shape.length !== 1) c.error(`1D tensors expected, but got ${a.x.shape.length}D and ${b.x.shape.length}D tensors`);
    if (a.x.shape[0] !== b.x.shape[0]) c.error(`inconsistent tensor size, expected tensor [${a.x.shape[0]}] and src [${b.x.shape[0]}] to have the same number of elements, but got ${a.x.shape[0]} and ${b.x.shape[0]} elements respectively`);
    if (a.dt === 'bool') c.error('"dot" not implemented for \'Bool\'');
    const prod = c.toTensor(c.binop('*', a, b));
    return c.out(c.k.sum(prod.x, undefined, false), prod.dt);
  },
});

export const npDot = defineOp({
  id: 'np_dot',
  summary: "numpy's dot (also JAX's and the Keras backend's, Theano's rule): a product with a scalar, the inner product of two vectors, otherwise a sum over a's last axis and b's second-to-last (b's only one when it is a vector).",
  spell: [
    'numpy.dot(a->input, b->other, out=None)',
    'jax.numpy.dot(a->input, b->other, *, precision=None, preferred_element_type=None)',
    'keras.backend.dot(x->input, y->other)',
  ],
  lower(c) {
    const [a, b] = productOperands(c);
    const [sa, sb] = [a.x.shape, b.x.shape];
    // The Keras backend takes tf.matmul for operands of rank 2 or less: matrices only.
    if (c.spelling.framework === 'keras' && sa.length <= 2 && sb.length <= 2 && (sa.length < 2 || sb.length < 2)) c.error(`${c.name}: both operands must be matrices (rank >= 2)`);
    if (sa.length === 0 || sb.length === 0) return c.binop('*', a, b);
    const n = sa[sa.length - 1];
    const axisB = sb.length === 1 ? 0 : sb.length - 2;
    if (sb[axisB] !== n) c.error(`${c.name}: shapes [${sa}] and [${sb}] not aligned: ${n} (dim ${sa.length - 1}) != ${sb[axisB]} (dim ${axisB})`);
    const size = (d: number[]) => d.reduce((p, q) => p * q, 1);
    const f = (x: Tensor) => (a.dt === 'float' ? x : c.k.cast(x, 'float'));
    // b with the contracted axis first, [n, rest...]; the result has a's other axes, then b's.
    const order = [axisB, ...sb.map((_, i) => i).filter((i) => i !== axisB)];
    const rest = order.slice(1).map((i) => sb[i]);
    const m = c.k.matmul(c.k.reshape(f(a.x), [size(sa.slice(0, -1)), n]), c.k.reshape(c.k.transpose(f(b.x), order), [n, size(rest)]));
    const r = c.k.reshape(m, [...sa.slice(0, -1), ...rest]);
    return c.out(a.dt === 'float' ? r : c.k.cast(r, 'int'), a.dt === 'float' ? 'float' : 'int');
  },
});

export const tensordot = defineOp({
  id: 'tensordot',
  summary: 'Sum of products over the last `axes` axes of a and the first `axes` of b (axes = 1 of two vectors: their dot product).',
  spell: [
    'torch.tensordot(a->input, b->other, dims->axes=2, out=None)',
    'tensorflow.tensordot(a->input, b->other, axes, name=None)',
    'keras.ops.tensordot(x1->input, x2->other, axes=2)',
    'jax.numpy.tensordot(a->input, b->other, axes=2, *, precision=None, preferred_element_type=None)',
    'numpy.tensordot(a->input, b->other, axes=2)',
  ],
  lower(c) {
    const n = c.value('axes');
    const k = n && n.t === 'num' && n.int ? n.v : c.unsupported(`${c.name} with axes given as lists`);
    const [a, b] = productOperands(c);
    const [sa, sb] = [a.x.shape, b.x.shape];
    if (k < 0 || k > sa.length || k > sb.length) c.error(`${c.name}: axes ${k} exceeds the rank of an operand`);
    const inner = sa.slice(sa.length - k);
    if (inner.join() !== sb.slice(0, k).join()) c.error(`${c.name}: contracted dimensions [${inner}] and [${sb.slice(0, k)}] differ`);
    const size = (d: number[]) => d.reduce((p, q) => p * q, 1);
    const outer = [...sa.slice(0, sa.length - k), ...sb.slice(k)];
    const f = (x: Tensor) => (a.dt === 'float' ? x : c.k.cast(x, 'float'));
    const m = c.k.reshape(f(a.x), [size(sa.slice(0, sa.length - k)), size(inner)]);
    const q = c.k.reshape(f(b.x), [size(inner), size(sb.slice(k))]);
    const r = c.k.reshape(c.k.matmul(m, q), outer);
    return c.out(a.dt === 'float' ? r : c.k.cast(r, 'int'), a.dt === 'float' ? 'float' : 'int');
  },
});

export const addmm = defineOp({
  id: 'addmm',
  summary: 'beta * input + alpha * (mat1 @ mat2) (pairwise distances: ||a||^2 + ||b||^2 - 2 a.b).',
  spell: [
    'torch.addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None)',
    // PyTorch still takes the deprecated positional forms addmm_(beta, alpha, mat1, mat2) and addmm_(beta, mat1, mat2).
    'Tensor.addmm(mat1, mat2, *__legacy->legacy, beta=1, alpha=1)',
  ],
  inplace: true,
  lower(c) {
    const x = c.float('input');
    let [m1, m2] = [c.value('mat1'), c.value('mat2')];
    let beta = c.num('beta') ?? 1;
    let alpha = c.num('alpha') ?? 1;
    const legacy = c.value('legacy');
    const extra = legacy?.t === 'list' ? legacy.items : [];
    if (m1?.t === 'num') {
      beta = m1.v;
      if (m2?.t === 'num' && extra.length === 2) [alpha, m1, m2] = [m2.v, extra[0], extra[1]];
      else if (m2?.t === 'tensor' && extra.length === 1) [m1, m2] = [m2, extra[0]];
      else c.error(`${c.name}: arguments match no signature of addmm`);
    } else if (extra.length) c.error(`${c.name}: too many positional arguments`);
    const a = c.cast(c.toTensor(m1 ?? c.error(`${c.name}: missing mat1`)), 'float');
    const b = c.cast(c.toTensor(m2 ?? c.error(`${c.name}: missing mat2`)), 'float');
    if (a.x.shape.length !== 2 || b.x.shape.length !== 2) c.error(`${c.name}: mat1 and mat2 must be matrices`);
    const prod = matmulTensors(c.k, a.x, b.x, (m) => c.error(m));
    const shape = c.k.broadcastShape(x.x.shape, prod.shape);
    if (shape.join() !== prod.shape.join() || (c.spelling.name.endsWith('_') && x.x.shape.join() !== prod.shape.join())) c.error(`${c.name}: the input [${x.x.shape}] does not match the product's size [${prod.shape}]`);
    const scaled = c.binop('*', c.out(prod), { t: 'num', v: alpha, int: false });
    // beta = 0: the input is ignored (its NaN does not propagate).
    return beta === 0 ? scaled : c.binop('+', c.binop('*', x, { t: 'num', v: beta, int: false }), scaled);
  },
});

export const normalize = defineOp({
  id: 'normalize',
  summary: 'x / max(||x||_p, eps) along a dim (F.normalize: rows of unit length).',
  spell: ['torch.nn.functional.normalize(input, p=2.0, dim=1, eps=1e-12, out=None)'],
  lower(c) {
    const x = c.float('input');
    const p = c.num('p') ?? 2;
    if (p !== 2 && p !== 1) c.unsupported(`${c.name}(p=${p})`);
    const d = c.dim('dim', x.x.shape.length) ?? 1;
    const eps = c.num('eps') ?? 1e-12;
    let norm: Tensor;
    if (p === 1) norm = c.k.sum(c.k.abs(x.x), [d], true);
    else {
      // PyTorch's norm has a zero gradient at a zero vector: sqrt is taken only where the sum is positive.
      const sq = c.k.sum((c.binop('*', x, x) as CTensor).x, [d], true);
      const pos = (c.compare('>', c.out(sq), { t: 'num', v: 0, int: true }) as CTensor).x;
      const safe = c.k.where(pos, sq, c.k.fill([...sq.shape], 1, 'float'));
      norm = c.k.where(pos, c.k.sqrt(safe), c.k.fill([...sq.shape], 0, 'float'));
    }
    const denom = c.out(c.k.clamp(norm, eps, undefined));
    return c.binop('/', x, denom);
  },
});

/** The order of a norm: a number, or the name of one (`'fro'`, `'euclidean'` are 2; `np.inf` arrives as a number). */
function normOrder(c: LowerCtx, p: string, fallback: number | string): number | string {
  const v = c.value(p);
  if (!v || v.t === 'none') return fallback;
  if (v.t === 'num') return v.v;
  if (v.t === 'str') return v.v;
  return c.unsupported(`${c.name} with ${p} given as a ${v.t}`);
}

/** The vector p-norm of x over `dims` (all axes when undefined): (sum |x|^p)^(1/p), max |x| for p = inf. */
function vectorNorm(c: LowerCtx, x: CTensor, p: number, dims: number[] | undefined, keep: boolean): Tensor {
  const a = c.k.abs(x.x);
  if (p === Infinity) return c.k.max(a, dims, keep);
  if (p === -Infinity) return c.k.min(a, dims, keep);
  if (p === 1) return c.k.sum(a, dims, keep);
  if (p === 2) {
    const sq = c.k.sum((c.binop('*', x, x) as CTensor).x, dims, keep);
    // PyTorch's norm has a zero gradient at a zero vector; JAX's, TensorFlow's and numpy's sqrt do not mask it.
    if (c.spelling.framework !== 'torch') return c.k.sqrt(sq);
    const pos = (c.compare('>', c.out(sq), { t: 'num', v: 0, int: true }) as CTensor).x;
    const safe = c.k.where(pos, sq, c.k.fill([...sq.shape], 1, 'float'));
    return c.k.where(pos, c.k.sqrt(safe), c.k.fill([...sq.shape], 0, 'float'));
  }
  if (!(p > 0)) c.unsupported(`${c.name} of order ${p}`);
  const powered = (c.binop('**', c.out(a), { t: 'num', v: p, int: false }) as CTensor).x;
  return (c.binop('**', c.out(c.k.sum(powered, dims, keep)), { t: 'num', v: 1 / p, int: false }) as CTensor).x;
}

export const norm = defineOp({
  id: 'norm',
  summary:
    "A norm over axes: the vector p-norm (sum |x|^p)^(1/p) (all entries when no axis is given, max |x| at inf); numpy's and JAX's matrix norms of a 2-D array given an order and no axis (1: the largest column sum of |x|, inf: the largest row sum, 'fro': the entries' 2-norm).",
  spell: [
    "torch.norm(input, p='fro', dim=None, keepdim=False, out=None, dtype=None)",
    'torch.linalg.vector_norm(x->input, ord->p=2, dim=None, keepdim=False, *, dtype=None, out=None)',
    "tensorflow.norm(tensor->input, ord->p='euclidean', axis->dim=None, keepdims->keepdim=None, name=None)",
    "tensorflow.linalg.norm(tensor->input, ord->p='euclidean', axis->dim=None, keepdims->keepdim=None, name=None)",
    'numpy.linalg.norm(x->input, ord->p=None, axis->dim=None, keepdims->keepdim=False)',
    'jax.numpy.linalg.norm(x->input, ord->p=None, axis->dim=None, keepdims->keepdim=False)',
  ],
  lower(c) {
    const x = c.float('input');
    const rank = x.x.shape.length;
    const dims = c.dims('dim', rank);
    const keep = c.flag('keepdim') ?? false;
    const fw = c.spelling.framework;
    const order = normOrder(c, 'p', fw === 'torch' ? 'fro' : fw === 'tf' ? 'euclidean' : 'none');
    if (order === 'nuc') c.unsupported(`${c.name}(ord='nuc')`);
    const two = order === 'fro' || order === 'euclidean' || order === 'none';
    if (typeof order === 'string' && !two) c.error(`${c.name}: invalid norm order ${order}`);
    const matrix = (dims?.length === 2 && fw !== 'torch') || (fw === 'torch' && dims?.length === 2 && c.spelling.name === 'torch.norm');
    // numpy / JAX: an order with no axis is a vector norm of a 1-D array, a matrix norm of a 2-D one, an error above.
    const npMatrix = (fw === 'numpy' || fw === 'jax') && !dims && order !== 'none';
    if (npMatrix && rank > 2) c.error('Improper number of dimensions to norm.');
    if ((npMatrix && rank === 2) || matrix) {
      const [r, k] = dims ?? [0, 1];
      if (two) return c.out(vectorNorm(c, x, 2, [r, k], keep));
      const p = order as number;
      const a = c.k.abs(x.x);
      // 1 / -1: the largest / smallest sum over rows (a column's); inf / -inf: over columns (a row's).
      const extreme = (y: Tensor, axis: number): Tensor => (p > 0 ? c.k.max(y, [axis], true) : c.k.min(y, [axis], true));
      if (Math.abs(p) === 1) return squeezeTo(c, extreme(c.k.sum(a, [r], true), k), [r, k], keep);
      if (Math.abs(p) === Infinity) return squeezeTo(c, extreme(c.k.sum(a, [k], true), r), [r, k], keep);
      return c.unsupported(`${c.name} of a matrix with order ${p}`);
    }
    return c.out(vectorNorm(c, x, two ? 2 : (order as number), dims, keep));
  },
});

/** A result reduced with keepdim over `axes`, squeezed there unless `keep`. */
function squeezeTo(c: LowerCtx, x: Tensor, axes: number[], keep: boolean): CVal {
  if (keep) return c.out(x);
  return c.out(c.k.reshape(x, x.shape.filter((_, i) => !axes.includes(i))));
}

export const l2Normalize = defineOp({
  id: 'l2_normalize',
  summary: "TensorFlow's l2_normalize: x / sqrt(max(sum(x ** 2, axis), epsilon)) (every entry when no axis is given).",
  spell: [
    'tensorflow.math.l2_normalize(x->input, axis->dim=None, epsilon=1e-12, name=None)',
    'tensorflow.nn.l2_normalize(x->input, axis->dim=None, epsilon=1e-12, name=None)',
    'tensorflow.linalg.l2_normalize(x->input, axis->dim=None, epsilon=1e-12, name=None)',
    'keras.backend.l2_normalize(x->input, axis->dim=None)',
  ],
  lower(c) {
    const x = c.float('input');
    const dims = c.dims('dim', x.x.shape.length);
    const eps = c.num('epsilon') ?? 1e-12;
    const sq = c.k.sum((c.binop('*', x, x) as CTensor).x, dims, true);
    return c.binop('/', x, c.out(c.k.sqrt(c.k.maximum(sq, c.k.fill([...sq.shape], eps, 'float')))));
  },
});

/** A stride or dilation argument of tf.nn.conv2d (an int, or a list of 1, 2 or 4 ints in NHWC order) as [h, w]; undefined when it moves along N or C. */
function hw(v: CVal | undefined, fallback: number): [number, number] | undefined {
  if (!v || v.t === 'none') return [fallback, fallback];
  if (v.t === 'num') return [v.v, v.v];
  if (v.t !== 'list' || v.items.some((i) => i.t !== 'num')) return undefined;
  const ns = v.items.map((i) => (i as { v: number }).v);
  if (ns.length === 1) return [ns[0], ns[0]];
  if (ns.length === 2) return [ns[0], ns[1]];
  if (ns.length === 4 && ns[0] === 1 && ns[3] === 1) return [ns[1], ns[2]];
  return undefined;
}

export const conv2d = defineOp({
  id: 'conv2d',
  summary: 'A 2-D convolution of NHWC input with a fixed filter (Sobel edges of a mask and a prediction).',
  spell: ['tensorflow.nn.conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None)'],
  lower(c) {
    const x = c.float('input');
    const w = c.float('filters');
    if (x.x.shape.length !== 4 || w.x.shape.length !== 4) c.error(`${c.name}: input and filters must be 4-D (got ${x.x.shape.length}-D and ${w.x.shape.length}-D)`);
    if ((c.str('data_format') ?? 'NHWC') !== 'NHWC') c.unsupported(`${c.name}(data_format=${JSON.stringify(c.str('data_format'))})`);
    if (x.x.shape[3] !== w.x.shape[2]) c.error(`${c.name}: input depth ${x.x.shape[3]} does not match the filters' in-channels ${w.x.shape[2]}`);
    const padding = (c.str('padding') ?? c.unsupported(`${c.name} with explicit paddings`)).toLowerCase();
    if (padding !== 'same' && padding !== 'valid') c.error(`${c.name}: padding must be SAME or VALID`);
    const strides = hw(c.value('strides'), 1) ?? c.unsupported(`${c.name} with these strides`);
    const dilations = hw(c.value('dilations'), 1) ?? c.unsupported(`${c.name} with these dilations`);
    if (dilations.some((d) => d !== 1) && strides.some((s) => s !== 1)) c.error(`${c.name}: strides > 1 not supported in conjunction with dilations > 1`);
    return c.out(c.k.conv2d(x.x, w.x, strides, padding === 'same' ? 'same' : 'valid', dilations));
  },
});

export const isTensor = defineOp({
  id: 'is_tensor',
  summary: 'Whether a value is a tensor (the probes pass tensors).',
  spell: ['torch.is_tensor(obj->input)', 'tensorflow.is_tensor(x->input)', 'keras.backend.is_tensor(x->input)', 'keras.ops.is_tensor(x->input)'],
  lower: (c) => ({ t: 'bool', v: c.value('input')?.t === 'tensor' }),
});

/** PyTorch's pairwise losses of two inputs and a target of 1 / -1 (torch.nn.functional, ATen's formulas). */
export const cosineEmbeddingLoss = defineOp({
  id: 'cosine_embedding_loss',
  summary: '1 - cos(x1, x2) where the target is 1, max(0, cos(x1, x2) - margin) where it is -1 (cos over the last axis, ATen\'s eps 1e-12 in each squared norm).',
  spell: ['torch.nn.functional.cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean")'],
  modules: ['torch.nn.CosineEmbeddingLoss(margin=0.0, size_average=None, reduce=None, reduction="mean")(input1, input2, target)'],
  lower(c) {
    const x1 = c.tensor('input1');
    const x2 = c.tensor('input2');
    const t = c.tensor('target');
    const rank = x1.x.shape.length;
    if (rank !== 1 && rank !== 2) c.error(`cosine_embedding_loss: 1D or 2D input expected, got ${rank}D`);
    if (x1.x.shape.join() !== x2.x.shape.join()) c.error(`cosine_embedding_loss: the size of input1 [${x1.x.shape}] must match input2 [${x2.x.shape}]`);
    if (t.x.shape.length !== rank - 1 && !(rank === 2 && t.x.shape.length === 1)) c.error(`cosine_embedding_loss: a ${rank - 1}D target is expected for ${rank}D inputs`);
    const axis = rank - 1;
    const sum = (v: CVal): CTensor => c.out(c.k.sum(c.cast(c.toTensor(v), 'float').x, [axis], false)) as CTensor;
    const num = (v: number): CVal => ({ t: 'num', v, int: false });
    const prod = sum(c.binop('*', x1, x2));
    const m1 = c.binop('+', sum(c.binop('*', x1, x1)), num(1e-12));
    const m2 = c.binop('+', sum(c.binop('*', x2, x2)), num(1e-12));
    const denom = c.out(c.k.sqrt((c.binop('*', m1, m2) as CTensor).x)) as CTensor;
    const cos = c.binop('/', prod, denom) as CTensor;
    const zeros = c.out(c.k.fill([...cos.x.shape], 0, 'float')) as CTensor;
    const pos = c.binop('-', num(1), cos) as CTensor;
    const neg = c.out(c.k.clamp((c.binop('-', cos, num(c.num('margin') ?? 0)) as CTensor).x, 0, undefined)) as CTensor;
    const pick = (test: number, v: CTensor): CTensor => {
      const m = c.compare('==', t, num(test)) as CTensor;
      const shape = c.k.broadcastShape(m.x.shape, v.x.shape);
      const bc = (x: Tensor) => (x.shape.join() === shape.join() ? x : c.k.broadcastTo(x, shape));
      return c.out(c.k.where(bc(m.x), bc(v.x), bc(zeros.x))) as CTensor;
    };
    return torchReduced(c, (c.binop('+', pick(1, pos), pick(-1, neg)) as CTensor).x);
  },
});

export const marginRankingLoss = defineOp({
  id: 'margin_ranking_loss',
  summary: 'max(0, -target * (x1 - x2) + margin): x1 should rank above x2 where the target is 1, below where it is -1.',
  spell: ['torch.nn.functional.margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean")'],
  modules: ['torch.nn.MarginRankingLoss(margin=0.0, size_average=None, reduce=None, reduction="mean")(input1, input2, target)'],
  lower(c) {
    const x1 = c.float('input1');
    const x2 = c.float('input2');
    const t = c.tensor('target');
    const [r1, r2, rt] = [x1.x.shape.length, x2.x.shape.length, t.x.shape.length];
    if (r1 !== r2 || r1 !== rt) c.error(`margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: [${x1.x.shape}], input2: [${x2.x.shape}], target: [${t.x.shape}]`);
    const d = c.binop('-', x1, x2);
    const v = c.binop('+', c.binop('*', c.binop('*', t, { t: 'num', v: -1, int: true }), d), { t: 'num', v: c.num('margin') ?? 0, int: false }) as CTensor;
    return torchReduced(c, c.k.clamp(c.cast(v, 'float').x, 0, undefined));
  },
});

export const MORE = [relu, gelu, tanh, sign, floor, ceil, round, reciprocal, rsqrt, log2, log10, isnan, isinf, isfinite, logicalAnd, logicalOr, logicalXor, logicalNot, cumsum, any, all, prod, countNonzero, std, variance, topk, sort, booleanMask, maskedSelect, laxSelect, jnpAstype, squaredDifference, atan2, divideNoNan, mseLoss, l1Loss, smoothL1Loss, matmul, dot, npDot, tensordot, addmm, normalize, norm, l2Normalize, conv2d, isTensor, cosineEmbeddingLoss, marginRankingLoss, optaxSquaredError, optaxL2Loss, optaxHuberLoss, kerasMeanSquaredError, kerasMeanAbsoluteError, kerasHuber, optaxSmoothLabels, jaxImageResize, einsum];
