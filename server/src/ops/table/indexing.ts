/**
 * Indexing by targets: gathers (a probability at the target class is p_t, class weights at the
 * target are alpha_t), one-hot encodings, scatters that build them in place, masked fills.
 */
import { constValue, mk, unknown, type AbsValue } from '../../core/lattice';
import { classAxis, indexLayout, withLayout } from '../../core/layout';
import { defineOp, type CTensor } from '../api';

function byTarget(v: AbsValue | undefined): boolean {
  return !!v && (v.m === 'target_index' || v.m === 'target');
}

export const gather = defineOp({
  id: 'gather',
  summary: 'Elementwise gather along a dim (`x.gather(1, t)`): a probability at the target class is p_t.',
  spell: [
    'torch.gather(input, dim, index, *, sparse_grad=False, out=None)',
    'Tensor.gather(dim, index)',
    'torch.take_along_dim(input, indices->index, dim=None, *, out=None)',
    'jax.numpy.take_along_axis(arr->input, indices->index, axis->dim)',
    'numpy.take_along_axis(arr->input, indices->index, axis->dim)',
    'keras.ops.take_along_axis(x->input, indices->index, axis->dim=None)',
  ],
  expects: { index: { kind: 'target_index', strong: true } },
  evidence: 'input',
  abstract: (c) => (byTarget(c.arg('index')) ? c.L.gathered(c.arg('input') ?? unknown(), c.span) : unknown(c.span)),
  // The result has the index's shape: `alpha.gather(0, t)` is [N]; `p.gather(1, t[:, None])` is [N, 1].
  layout(c, v) {
    const d = c.arg('dim');
    const at = d?.m === 'scalar' && d.values?.length === 1 && d.values[0] === 0 ? indexLayout(c.arg('index')) : classAxis(d) && c.arg('index')?.layout === 'col' ? 'col' : undefined;
    return withLayout(v, at);
  },
  lower(c) {
    const x = c.tensor('input');
    const idx = c.tensor('index');
    const d = c.dim('dim', x.x.shape.length) ?? c.error('gather needs dim');
    if (idx.dt !== 'int') c.error('gather(): Expected dtype int64 for index');
    if (idx.x.shape.length !== x.x.shape.length) c.error('Index tensor must have the same number of dimensions as input tensor');
    const size = x.x.shape[d];
    for (const q of Array.from(c.k.data(idx.x))) if (q < 0 || q >= size) c.error(`index ${q} is out of bounds for dimension ${d} with size ${size}`);
    return c.out(c.k.gatherDim(x.x, d, idx.x), x.dt);
  },
});

export const take = defineOp({
  id: 'take',
  summary: 'Rows (or entries) selected by an index tensor: a per-class alpha taken at the targets is alpha_t.',
  spell: [
    'torch.index_select(input, dim, index, *, out=None)',
    'Tensor.index_select(dim, index)',
    'torch.take(input, index)',
    // PyTorch's method has no axis; numpy's and JAX's array method `a.take(indices, axis=None)` does:
    // `axis=` binds to the hidden dim (signature.ts KEYWORD_FALLBACK). Without one, both flatten.
    'Tensor.take(index, *, __dim->dim=None)',
    'tensorflow.gather(params->input, indices->index, validate_indices=None, axis->dim=None, batch_dims=0, name=None)',
    'keras.backend.gather(reference->input, indices->index)',
    'keras.ops.take(x->input, indices->index, axis->dim=None)',
    'jax.numpy.take(a->input, indices->index, axis->dim=None, out=None, mode=None, unique_indices=False, indices_are_sorted=False, fill_value=None)',
    'numpy.take(a->input, indices->index, axis->dim=None, out=None, mode="raise")',
  ],
  expects: { index: { kind: 'target_index', strong: true } },
  evidence: 'input',
  abstract: (c) => (byTarget(c.arg('index')) ? c.L.gathered(c.arg('input') ?? unknown(), c.span) : unknown(c.span)),
  // Rows at the index (`alpha.index_select(0, t)`, `tf.gather(alpha, t)`): laid out as the index.
  layout(c, v) {
    const d = c.arg('dim');
    const first = !d || d.m === 'none' || (d.m === 'scalar' && d.values?.length === 1 && d.values[0] === 0);
    return withLayout(v, first && c.arg('input')?.flat ? indexLayout(c.arg('index')) : undefined);
  },
  lower(c) {
    const x = c.tensor('input');
    const idx = c.tensor('index');
    if (idx.dt !== 'int') c.error(`${c.name}: indices must be integers`);
    const rank = x.x.shape.length;
    const bd = c.num('batch_dims') ?? 0;
    if (bd !== 0) {
      // tf.gather(params [N, C], indices [N] or [N, K], axis=1, batch_dims=1): each row's own entries.
      const axis = c.dim('dim', rank) ?? bd;
      if (bd !== 1 || rank !== 2 || axis !== 1 || idx.x.shape[0] !== x.x.shape[0] || idx.x.shape.length > 2) c.unsupported(`${c.name}(batch_dims=${bd}) on these shapes`);
      const size = x.x.shape[1];
      for (const q of Array.from(c.k.data(idx.x))) if (q < 0 || q >= size) c.error(`indices[${q}] is not in [0, ${size})`);
      const rows = idx.x.shape.length === 1;
      const g = c.k.gatherDim(x.x, 1, rows ? c.k.reshape(idx.x, [-1, 1]) : idx.x);
      return c.out(rows ? c.k.reshape(g, [-1]) : g, x.dt);
    }
    // A 0-d tensor has no axis to gather along (TensorFlow: "params must be at least 1 dimensional").
    if (rank === 0 && !/(^|\.)take$/.test(c.spelling.name)) c.error(`${c.name}: params must be at least 1 dimensional, got a 0-d tensor`);
    let d = c.dim('dim', rank);
    if (d === undefined) {
      // take without an axis (torch.take, Tensor.take, numpy / JAX / Keras take) reads the flattened input;
      // tf.gather and keras.backend.gather read rows.
      if (/(^|\.)take$/.test(c.spelling.name)) {
        const size = x.x.size;
        for (const q of Array.from(c.k.data(idx.x))) if (q < -size || q >= size) c.error(`out of range: tried to access index ${q} on a tensor of ${size} elements`);
        return c.out(c.k.take(c.k.reshape(x.x, [-1]), idx.x, 0), x.dt);
      }
      d = 0;
    }
    const size = x.x.shape[d];
    for (const q of Array.from(c.k.data(idx.x))) if (q < -size || q >= size) c.error(`index ${q} is out of range for dimension ${d} with size ${size}`);
    return c.out(c.k.take(x.x, idx.x, d), x.dt);
  },
});

export const oneHot = defineOp({
  id: 'one_hot',
  summary: 'One-hot encoding of class indices.',
  spell: [
    'torch.nn.functional.one_hot(tensor->input, num_classes=-1)',
    'tensorflow.one_hot(indices->input, depth->num_classes, on_value=None, off_value=None, axis=None, dtype=None, name=None)',
    'keras.backend.one_hot(indices->input, num_classes)',
    'keras.ops.one_hot(x->input, num_classes, axis=-1, dtype=None, sparse=False)',
    'keras.utils.to_categorical(x->input, num_classes=None)',
    'jax.nn.one_hot(x->input, num_classes, *, dtype=None, axis=-1)',
  ],
  expects: { input: { kind: 'target_index', strong: true } },
  abstract(c) {
    // The class count, when known: a one-hot row has one entry per class.
    const k = c.arg('num_classes');
    const counts = k?.m === 'scalar' && k.values?.length && k.values.every((x) => Number.isInteger(x) && x > 0) ? k.values : undefined;
    return mk('target_onehot', { src: c.span, of: c.arg('input'), classCounts: counts });
  },
  lower(c) {
    const t = c.tensor('input');
    if (t.dt !== 'int') c.error('one_hot is only applicable to index tensor');
    if (c.has('on_value') || c.has('off_value') || (c.has('axis') && c.num('axis') !== -1)) c.unsupported(`${c.name} with on/off values or an axis`);
    let k = c.num('num_classes') ?? -1;
    const flat = c.k.reshape(t.x, [-1]);
    if (k < 0) k = Math.max(-1, ...Array.from(c.k.data(flat))) + 1;
    // A class past the count raises here in every framework: PyTorch and to_categorical do, and for
    // TensorFlow's and JAX's one_hot (a row of zeros there) the error is what sends the probes' setup
    // to the class count the function holds itself (probes.ts trySetup). A negative index is a row of
    // zeros in TensorFlow and JAX (tf.one_hot's documented example: -1 is [0, 0, 0]); a depth of 1 is
    // allowed, as TensorFlow allows it (the kernel builds it where tfjs's oneHot refuses).
    for (const q of Array.from(c.k.data(flat))) if (q >= k || (q < 0 && c.spelling.framework === 'torch')) c.error('Class values must be smaller than num_classes.');
    const dt = c.spelling.framework === 'torch' ? 'int' : 'float';
    return c.out(c.k.reshape(c.k.oneHot(flat, k, dt), [...t.x.shape, k]), dt);
  },
});

/** flax's `common_utils.onehot`: `labels[..., None] == arange(num_classes)`, on_value where true and off_value elsewhere (an out-of-range label is a row of off_value). */
export const flaxOnehot = defineOp({
  id: 'flax_onehot',
  summary: "flax.training.common_utils.onehot: one-hot rows of on_value / off_value (label smoothing's soft targets when they are not 1 / 0).",
  spell: ['flax.training.common_utils.onehot(labels->input, num_classes, on_value=1.0, off_value=0.0)'],
  expects: { input: { kind: 'target_index', strong: true } },
  abstract(c) {
    const [on, off] = [constValue(c.arg('on_value')) ?? c.num('on_value'), constValue(c.arg('off_value')) ?? c.num('off_value')];
    if ((c.arg('on_value') && on !== 1) || (c.arg('off_value') && off !== 0)) return unknown(c.span);
    const k = c.arg('num_classes');
    const counts = k?.m === 'scalar' && k.values?.length && k.values.every((x) => Number.isInteger(x) && x > 0) ? k.values : undefined;
    return mk('target_onehot', { src: c.span, of: c.arg('input'), classCounts: counts });
  },
  lower(c) {
    const t = c.tensor('input');
    const k = c.num('num_classes') ?? c.error(`${c.name}() needs num_classes`);
    const eq = c.compare('==', c.out(c.k.expandDims(t.x, t.x.shape.length), t.dt), c.out(c.k.range(0, k, 1, 'int'), 'int')) as CTensor;
    const on = c.value('on_value') ?? { t: 'num', v: 1, int: false };
    const off = c.value('off_value') ?? { t: 'num', v: 0, int: false };
    // jnp.where(eq, on, off): float32 from Python numbers (their weak type), their own dtype from tensors.
    return c.binop('+', c.binop('*', c.cast(eq, 'float'), c.binop('-', on, off)), off);
  },
});

export const scatter = defineOp({
  id: 'scatter',
  summary: 'Writes a value at indices along a dim: `zeros.scatter_(1, t, 1)` is the one-hot of t.',
  spell: [
    'torch.scatter(input, dim, index, src->value)',
    'Tensor.scatter(dim, index, src->value)',
    'Tensor.scatter_(dim, index, src->value, reduce=None)',
  ],
  expects: { index: { kind: 'target_index', strong: true } },
  abstract(c) {
    const v = c.arg('value');
    const x = c.arg('input');
    if (byTarget(c.arg('index')) && constValue(v) === 1 && (x?.fill === 0 || x?.m === 'unknown')) return mk('target_onehot', { src: c.span });
    return unknown(c.span);
  },
  lower(c) {
    const x = c.tensor('input');
    const idx = c.tensor('index');
    if (c.has('reduce')) c.unsupported(`${c.name}(reduce=)`);
    const d = c.dim('dim', x.x.shape.length) ?? c.error('scatter needs dim');
    if (idx.dt !== 'int') c.error('scatter(): Expected dtype int64 for index');
    const size = x.x.shape[d];
    for (const q of Array.from(c.k.data(idx.x))) if (q < 0 || q >= size) c.error(`index ${q} is out of bounds for dimension ${d} with size ${size}`);
    const v = c.value('value') ?? c.error('scatter needs a value');
    const src = v.t === 'tensor' ? c.cast(v, x.dt).x : c.k.fill([...idx.x.shape], v.t === 'num' ? v.v : v.t === 'bool' ? Number(v.v) : c.unsupported('scatter value'), x.dt);
    return c.out(c.k.scatter(x.x, d, idx.x, src), x.dt);
  },
});

export const maskedFill = defineOp({
  id: 'masked_fill',
  inplace: true,
  summary: 'Replaces the entries where a mask holds (ignored targets, padding): the meaning stays.',
  spell: ['torch.masked_fill(input, mask, value)', 'Tensor.masked_fill(mask, value)'],
  abstract: (c) => c.arg('input') ?? unknown(c.span),
  lower(c) {
    const x = c.tensor('input');
    const m = c.cast(c.tensor('mask'), 'bool');
    const v = c.cast(c.tensor('value'), x.dt);
    const shape = c.k.broadcastShape(x.x.shape, m.x.shape);
    if (shape.join() !== x.x.shape.join()) c.error('masked_fill: the mask must broadcast to the input');
    const mm = m.x.shape.join() === shape.join() ? m.x : c.k.broadcastTo(m.x, shape);
    return c.out(c.k.where(mm, c.k.broadcastTo(v.x, shape), x.x), x.dt);
  },
});

export const INDEXING = [gather, take, oneHot, flaxOnehot, scatter, maskedFill];
