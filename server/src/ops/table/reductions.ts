/**
 * Reductions over axes: sums and means (a sum over the class axis of one-hot * v is v at the target),
 * maxima (the shift of a hand-written log-sum-exp), argmax (class indices).
 */
import { mk, unknown, type AbsValue } from '../../core/lattice';
import { reducedLayout } from '../../core/layout';
import { defineOp, type CTensor, type CVal, type LowerCtx, type Spelling, type Tensor } from '../api';

function reduceLower(c: LowerCtx, how: 'sum' | 'mean'): CVal {
  const x = c.tensor('input');
  const rank = x.x.shape.length;
  const dims = c.dims('dim', rank);
  const keep = c.flag('keepdim') ?? false;
  const tfLike = c.spelling.framework !== 'torch';
  if (how === 'mean' && x.dt !== 'float' && !tfLike) c.error('mean(): could not infer output dtype; input must be floating point');
  const src = x.dt === 'bool' ? c.cast(x, how === 'mean' ? 'float' : 'int') : x;
  const r = how === 'sum' ? c.k.sum(src.x, dims, keep) : c.k.mean(how === 'mean' && src.dt === 'int' ? c.k.cast(src.x, 'float') : src.x, dims, keep);
  return c.out(r, how === 'mean' ? 'float' : src.dt);
}

const SUM = [
  'torch.sum(input, dim=None, keepdim=False, *, dtype=None)',
  'Tensor.sum(dim=None, keepdim=False, dtype=None)',
  'tensorflow.reduce_sum(input_tensor->input, axis|reduction_indices->dim=None, keepdims|keep_dims->keepdim=False, name=None)',
  'keras.backend.sum(x->input, axis->dim=None, keepdims->keepdim=False)',
  'keras.ops.sum(x->input, axis->dim=None, keepdims->keepdim=False)',
  'jax.numpy.sum(a->input, axis->dim=None, dtype=None, out=None, keepdims->keepdim=False, initial=None, where=None)',
  'numpy.sum(a->input, axis->dim=None, dtype=None, out=None, keepdims->keepdim=False)',
];

const MEAN = [
  'torch.mean(input, dim=None, keepdim=False, *, dtype=None)',
  'Tensor.mean(dim=None, keepdim=False, dtype=None)',
  'tensorflow.reduce_mean(input_tensor->input, axis|reduction_indices->dim=None, keepdims|keep_dims->keepdim=False, name=None)',
  'keras.backend.mean(x->input, axis->dim=None, keepdims->keepdim=False)',
  'keras.ops.mean(x->input, axis->dim=None, keepdims->keepdim=False)',
  'jax.numpy.mean(a->input, axis->dim=None, dtype=None, out=None, keepdims->keepdim=False, where=None)',
  'numpy.mean(a->input, axis->dim=None, dtype=None, out=None, keepdims->keepdim=False)',
];

export const sum = defineOp({
  id: 'sum',
  summary: 'Sum over axes (all of them when no axis is given).',
  spell: SUM,
  evidence: 'selection',
  // Not creating: `sumOf` (what `div` reads as a softmax) is recorded only for a probability or an
  // exponential (algebra.ts `reduce`), values outside the closed set already.
  abstract: (c) => c.L.reduce(c.arg('input') ?? unknown(), c.arg('dim'), c.span, 'sum'),
  layout: reducedLayout,
  lower: (c) => reduceLower(c, 'sum'),
});

export const mean = defineOp({
  id: 'mean',
  summary: 'Mean over axes (all of them when no axis is given).',
  spell: MEAN,
  // Not creating: a division by a mean normalises nothing to 1, so it records no `sumOf`.
  abstract: (c) => c.L.reduce(c.arg('input') ?? unknown(), c.arg('dim'), c.span, 'mean'),
  layout: reducedLayout,
  lower: (c) => reduceLower(c, 'mean'),
});

export const average = defineOp({
  id: 'average',
  summary: "numpy's average: a mean over axes, weighted when `weights` is given (sum(a * w) / sum(w)); `returned` adds the sum of the weights.",
  spell: [
    'jax.numpy.average(a->input, axis->dim=None, weights=None, returned=False, keepdims->keepdim=False)',
    'numpy.average(a->input, axis->dim=None, weights=None, returned=False, *, keepdims->keepdim=False)',
    'keras.ops.average(x->input, axis->dim=None, weights=None)',
  ],
  // Unweighted, it is a mean (and records what a mean does, algebra.ts `reduce`).
  creating: true,
  abstract: (c) => (c.arg('weights') && c.arg('weights')!.m !== 'none' ? unknown(c.span) : c.L.reduce(c.arg('input') ?? unknown(), c.arg('dim'), c.span, 'mean')),
  layout: reducedLayout,
  lower(c) {
    const x = c.float('input');
    const rank = x.x.shape.length;
    const dims = c.dims('dim', rank);
    const keep = c.flag('keepdim') ?? false;
    const wv = c.value('weights');
    let avg: Tensor;
    let wsum: Tensor;
    if (!wv || wv.t === 'none') {
      avg = c.k.mean(x.x, dims, keep);
      const count = (dims ?? x.x.shape.map((_, i) => i)).reduce((n, d) => n * x.x.shape[d], 1);
      wsum = c.k.fill([...avg.shape], count, 'float');
    } else {
      let w = c.cast(c.toTensor(wv), 'float').x;
      if (w.shape.join() !== x.x.shape.join()) {
        const axis = dims?.length === 1 ? dims[0] : c.error(`${c.name}: axis must be specified when shapes of a and weights differ`);
        if (w.shape.length !== 1) c.error(`${c.name}: 1D weights expected when shapes of a and weights differ`);
        if (w.shape[0] !== x.x.shape[axis]) c.error(`${c.name}: length of weights not compatible with specified axis`);
        w = c.k.broadcastTo(c.k.reshape(w, x.x.shape.map((n, i) => (i === axis ? n : 1))), [...x.x.shape]);
      }
      const xw = (c.binop('*', x, c.out(w)) as CTensor).x;
      wsum = c.k.sum(w, dims, keep);
      avg = (c.binop('/', c.out(c.k.sum(xw, dims, keep)), c.out(wsum)) as CTensor).x;
    }
    const out = c.out(avg);
    return c.flag('returned') ? { t: 'list', items: [out, c.out(wsum.shape.join() === avg.shape.join() ? wsum : c.k.broadcastTo(wsum, [...avg.shape]))], tuple: true } : out;
  },
});

/**
 * Whether a max/min returns PyTorch's (values, indices): torch's function or method with a dim, but
 * not `amax`/`amin`, nor a method called numpy-style (`a.max(axis=1, keepdims=True)` on an array).
 */
function torchValuesAndIndices(s: Spelling, kwargs: Readonly<Record<string, unknown>>, withDim: boolean): boolean {
  if (s.framework !== 'torch' || !withDim || s.name.endsWith('amax') || s.name.endsWith('amin')) return false;
  return !(s.kind === 'method' && ('axis' in kwargs || 'keepdims' in kwargs));
}

/**
 * Whether a loss term masked by the targets is >= 0 where the mask holds: its cross-entropy factor is a
 * cross-entropy or a negated log-likelihood once the signs of the mask and the product are counted
 * (the other factors, alpha and the modulating factor, are non-negative).
 */
function nonNegativeTerm(x: AbsValue): boolean {
  const of = x.of;
  if (!of) return false;
  const flipped = !!x.negated !== !!of.negated;
  const ce = of.m === 'focal' ? of.focal?.ce : of;
  if (!ce || (ce.m !== 'ce' && ce.m !== 'logprob')) return false;
  const ceNegative = ce.m === 'logprob' && !ce.negated;
  return flipped === ceNegative;
}

function extremumReduction(id: 'max' | 'min', spell: string[]) {
  return defineOp({
    id,
    summary: `${id === 'max' ? 'Maximum' : 'Minimum'} over axes; torch's form with a dim gives (values, indices); with a tensor second argument, elementwise.`,
    spell,
    abstract(c) {
      const x = c.arg('input') ?? unknown();
      const d = c.arg('dim');
      // torch.max(a, b) with a tensor b is elementwise.
      if (d && d.m !== 'scalar' && d.m !== 'tuple') return unknown(c.span);
      // The largest class of a loss term masked by one-hot targets (0 off the target, >= 0 at it) is the
      // term at the target: what a sum over that axis gives (`reduce_max(alpha * t * (1-p)**g * -log p, 1)`).
      if (id === 'max' && d && x.m === 'masked' && x.maskMeaning !== 'target_index' && x.maskComplementOf === undefined && nonNegativeTerm(x)) {
        const atTarget = c.L.reduce(x, d, c.span, 'sum');
        if (atTarget.m === 'focal' || atTarget.m === 'ce') return atTarget;
      }
      const values = x.m === 'logits' ? mk('logits', { src: c.span }) : unknown(c.span);
      const torchTuple = torchValuesAndIndices(c.spelling, c.call.kwargs, d !== undefined);
      return torchTuple ? mk('tuple', { items: [values, mk('target_index', { dtype: 'int', src: c.span })], src: c.span }) : values;
    },
    lower(c) {
      const x = c.tensor('input');
      const d = c.value('dim');
      if (d && d.t === 'tensor') {
        const [a, b] = c.promote(x, d);
        const shape = c.k.broadcastShape(a.x.shape, b.x.shape);
        const bc = (t: typeof a.x) => (t.shape.join() === shape.join() ? t : c.k.broadcastTo(t, shape));
        return c.out(id === 'max' ? c.k.maximum(bc(a.x), bc(b.x)) : c.k.minimum(bc(a.x), bc(b.x)), a.dt);
      }
      const rank = x.x.shape.length;
      const dims = c.dims('dim', rank);
      const keep = c.flag('keepdim') ?? false;
      const values = c.out(id === 'max' ? c.k.max(x.x, dims, keep) : c.k.min(x.x, dims, keep), x.dt);
      if (dims !== undefined && torchValuesAndIndices(c.spelling, c.call.kwargs, true)) {
        if (dims.length !== 1) c.unsupported(`${c.name} over several dims`);
        const idx = id === 'max' ? c.k.argmax(x.x, dims[0]) : c.k.argmax(c.k.neg(x.x), dims[0]);
        const indices = c.out(keep ? c.k.expandDims(idx, dims[0]) : idx, 'int');
        return { t: 'list', items: [values, indices], tuple: true };
      }
      return values;
    },
  });
}

export const max = extremumReduction('max', [
  'torch.max(input, dim=None, keepdim=False, *, out=None)',
  'torch.amax(input, dim=None, keepdim=False, *, out=None)',
  'Tensor.max(dim=None, keepdim=False)',
  'Tensor.amax(dim=None, keepdim=False)',
  'tensorflow.reduce_max(input_tensor->input, axis|reduction_indices->dim=None, keepdims|keep_dims->keepdim=False, name=None)',
  'keras.backend.max(x->input, axis->dim=None, keepdims->keepdim=False)',
  'keras.ops.max(x->input, axis->dim=None, keepdims->keepdim=False, initial=None)',
  'jax.numpy.max(a->input, axis->dim=None, out=None, keepdims->keepdim=False, initial=None, where=None)',
  'jax.numpy.amax(a->input, axis->dim=None, out=None, keepdims->keepdim=False, initial=None, where=None)',
  'numpy.max(a->input, axis->dim=None, out=None, keepdims->keepdim=False)',
  'numpy.amax(a->input, axis->dim=None, out=None, keepdims->keepdim=False)',
]);

export const min = extremumReduction('min', [
  'torch.min(input, dim=None, keepdim=False, *, out=None)',
  'torch.amin(input, dim=None, keepdim=False, *, out=None)',
  'Tensor.min(dim=None, keepdim=False)',
  'Tensor.amin(dim=None, keepdim=False)',
  'tensorflow.reduce_min(input_tensor->input, axis|reduction_indices->dim=None, keepdims|keep_dims->keepdim=False, name=None)',
  'keras.backend.min(x->input, axis->dim=None, keepdims->keepdim=False)',
  'keras.ops.min(x->input, axis->dim=None, keepdims->keepdim=False, initial=None)',
  'jax.numpy.min(a->input, axis->dim=None, out=None, keepdims->keepdim=False, initial=None, where=None)',
  'numpy.min(a->input, axis->dim=None, out=None, keepdims->keepdim=False)',
  'numpy.amin(a->input, axis->dim=None, out=None, keepdims->keepdim=False)',
]);

export const argmax = defineOp({
  id: 'argmax',
  summary: 'Index of the largest entry: class indices (an integer tensor).',
  spell: [
    'torch.argmax(input, dim=None, keepdim=False)',
    'Tensor.argmax(dim=None, keepdim=False)',
    'tensorflow.argmax(input, axis->dim=None, output_type=None, name=None)',
    'keras.backend.argmax(x->input, axis->dim=-1)',
    'keras.ops.argmax(x->input, axis->dim=None, keepdims->keepdim=False)',
    'jax.numpy.argmax(a->input, axis->dim=None, out=None, keepdims->keepdim=None)',
    'numpy.argmax(a->input, axis->dim=None, out=None)',
  ],
  abstract: (c) => mk('target_index', { dtype: 'int', src: c.span }),
  lower(c) {
    const x = c.tensor('input');
    const rank = x.x.shape.length;
    let d = c.dim('dim', rank);
    if (d === undefined && c.spelling.framework === 'tf') d = 0;
    const flat = d === undefined ? c.k.reshape(x.x, [-1]) : x.x;
    const r = c.k.argmax(flat, d ?? 0);
    return c.out(c.flag('keepdim') && d !== undefined ? c.k.expandDims(r, d) : r, 'int');
  },
});

/**
 * Keras' losses_utils.reduce_weighted_loss (what a Keras Loss's __call__ reduces with): 'none' keeps
 * the losses; 'sum' sums them; 'sum_over_batch_size' (the default) and 'auto' divide that sum by
 * their count, 0 where there are none (Keras' _safe_mean, a div_no_nan). Reduction constants read
 * as their strings (eval.ts qualifiedAttr).
 */
export const reduceWeightedLoss = defineOp({
  id: 'keras_reduce_weighted_loss',
  summary: "Keras' reduction of weighted per-element losses: none, sum, or the sum over their count.",
  spell: [
    'tensorflow.python.keras.utils.losses_utils.reduce_weighted_loss(weighted_losses->input, reduction="sum_over_batch_size")',
    'keras.utils.losses_utils.reduce_weighted_loss(weighted_losses->input, reduction="sum_over_batch_size")',
    'keras.src.utils.losses_utils.reduce_weighted_loss(weighted_losses->input, reduction="sum_over_batch_size")',
  ],
  abstract(c) {
    const r = c.str('reduction') ?? 'sum_over_batch_size';
    const x = c.arg('input') ?? unknown();
    // The sum is left unknown: a sum records what it normalises (creating, in the prefilter's proof); a mean does not.
    return r === 'none' ? x : r === 'sum' ? unknown(c.span) : c.L.reduce(x, undefined, c.span, 'mean');
  },
  lower(c) {
    const x = c.float('input');
    const r = c.str('reduction') ?? 'sum_over_batch_size';
    if (r === 'none') return x;
    if (r !== 'sum' && r !== 'sum_over_batch_size' && r !== 'auto') c.error(`Invalid Reduction Key: ${r}`);
    const total = c.out(c.k.sum(x.x, undefined, false), 'float');
    if (r === 'sum') return total;
    return x.x.size === 0 ? c.out(c.k.fill([], 0, 'float'), 'float') : c.binop('/', total, { t: 'num', v: x.x.size, int: true });
  },
});

export const REDUCTIONS = [sum, mean, average, max, min, argmax, reduceWeightedLoss];
