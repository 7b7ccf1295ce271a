/**
 * Activations and their logs: logits in, probabilities or log-probabilities out.
 */
import { mk, unknown, UNIT } from '../../core/lattice';
import { keepLayout, reducedLayout } from '../../core/layout';
import { defineOp, type LowerCtx } from '../api';

/** PyTorch's `_get_softmax_dim`: the class axis `F.softmax(x)` picks when no dim is given. */
export function implicitSoftmaxDim(rank: number): number {
  return rank === 0 || rank === 1 || rank === 3 ? 0 : 1;
}

/** The class axis of a softmax-like op: the dim passed or defaulted, else PyTorch's implicit rule (torch), else the last axis. */
export function softmaxAxis(c: LowerCtx, rank: number): number {
  const d = c.dim('dim', rank);
  if (d !== undefined) return d;
  if (c.spelling.framework === 'torch') {
    if (c.spelling.name === 'torch.nn.functional.softmax' || c.spelling.name === 'torch.nn.functional.log_softmax' || c.spelling.kind === 'module') return implicitSoftmaxDim(rank);
    c.error(`${c.name}() missing required argument 'dim'`);
  }
  if (c.spelling.framework === 'numpy') c.unsupported(`${c.name} over all elements (axis=None)`);
  return Math.max(0, rank - 1);
}

export const sigmoid = defineOp({
  id: 'sigmoid',
  inplace: true,
  summary: 'Logistic sigmoid: logits to per-element probabilities.',
  spell: [
    'torch.sigmoid(input, *, out=None)',
    'torch.special.expit(input, *, out=None)',
    'torch.nn.functional.sigmoid(input)',
    'Tensor.sigmoid()',
    'tensorflow.sigmoid(x->input, name=None)',
    'tensorflow.nn.sigmoid(x->input, name=None)',
    'keras.activations.sigmoid(x->input)',
    'keras.backend.sigmoid(x->input)',
    'keras.ops.sigmoid(x->input)',
    'jax.nn.sigmoid(x->input)',
    'scipy.special.expit(x->input)',
  ],
  modules: ['torch.nn.Sigmoid()(input)'],
  expects: { input: 'logits' },
  creating: true,
  abstract: (c) => mk('prob', { act: 'sigmoid', range: UNIT, src: c.span, of: c.arg('input') }),
  layout: keepLayout,
  lower: (c) => c.out(c.k.sigmoid(c.float('input').x)),
});

export const softmax = defineOp({
  id: 'softmax',
  summary: 'Softmax over the class axis: logits to probabilities that sum to 1.',
  spell: [
    'torch.softmax(input, dim, dtype=None)',
    'torch.nn.functional.softmax(input, dim=None, _stacklevel=3, dtype=None)',
    'torch.special.softmax(input, dim, *, dtype=None)',
    'Tensor.softmax(dim, dtype=None)',
    'tensorflow.nn.softmax(logits->input, axis->dim=None, name=None)',
    'tensorflow.softmax(logits->input, axis->dim=None, name=None)',
    'keras.activations.softmax(x->input, axis->dim=-1)',
    'keras.backend.softmax(x->input, axis->dim=-1)',
    'keras.ops.softmax(x->input, axis->dim=-1)',
    'jax.nn.softmax(x->input, axis->dim=-1, where=None, initial=None)',
    'scipy.special.softmax(x->input, axis->dim=None)',
  ],
  modules: ['torch.nn.Softmax(dim=None)(input)', 'keras.layers.Softmax(axis->dim=-1)(inputs->input, mask=None)'],
  expects: { input: 'logits' },
  creating: true,
  abstract: (c) => mk('prob', { act: 'softmax', range: UNIT, src: c.span, of: c.arg('input') }),
  layout: keepLayout,
  lower(c) {
    const x = c.float('input');
    return c.out(c.k.softmax(x.x, softmaxAxis(c, x.x.shape.length)));
  },
});

export const logSoftmax = defineOp({
  id: 'log_softmax',
  summary: 'Log of the softmax, computed stably: logits to log-probabilities.',
  spell: [
    'torch.log_softmax(input, dim, dtype=None)',
    'torch.nn.functional.log_softmax(input, dim=None, _stacklevel=3, dtype=None)',
    'torch.special.log_softmax(input, dim, *, dtype=None)',
    'Tensor.log_softmax(dim)',
    'tensorflow.nn.log_softmax(logits->input, axis->dim=None, name=None)',
    'tensorflow.log_softmax(logits->input, axis->dim=None, name=None)',
    'keras.ops.log_softmax(x->input, axis->dim=-1)',
    'keras.activations.log_softmax(x->input, axis->dim=-1)',
    'jax.nn.log_softmax(x->input, axis->dim=-1, where=None, initial=None)',
    'scipy.special.log_softmax(x->input, axis->dim=None)',
  ],
  modules: ['torch.nn.LogSoftmax(dim=None)(input)'],
  expects: { input: 'logits' },
  creating: true,
  abstract: (c) => mk('logprob', { act: 'softmax', range: { lo: -Infinity, hi: 0 }, src: c.span, of: c.arg('input') }),
  layout: keepLayout,
  lower(c) {
    const x = c.float('input');
    return c.out(c.k.logSoftmax(x.x, softmaxAxis(c, x.x.shape.length)));
  },
});

export const logsigmoid = defineOp({
  id: 'logsigmoid',
  summary: 'Log of the sigmoid, computed stably: log p = -softplus(-x).',
  spell: [
    'torch.nn.functional.logsigmoid(input)',
    'tensorflow.log_sigmoid(x->input, name=None)',
    'keras.ops.log_sigmoid(x->input)',
    'keras.activations.log_sigmoid(x->input)',
    'jax.nn.log_sigmoid(x->input)',
  ],
  modules: ['torch.nn.LogSigmoid()(input)'],
  expects: { input: 'logits' },
  creating: true,
  abstract: (c) => mk('logprob', { act: 'sigmoid', range: { lo: -Infinity, hi: 0 }, src: c.span, of: c.arg('input') }),
  layout: keepLayout,
  lower: (c) => c.out(c.k.logsigmoid(c.float('input').x)),
});

export const softplus = defineOp({
  id: 'softplus',
  summary: 'log(1 + exp(x)): of logits, the binary cross-entropy of the other side (softplus(-x) = -log sigmoid(x)).',
  spell: [
    'torch.nn.functional.softplus(input, beta=1, threshold=20)',
    'tensorflow.nn.softplus(features->input, name=None)',
    'tensorflow.softplus(features->input, name=None)',
    'keras.activations.softplus(x->input)',
    'keras.backend.softplus(x->input)',
    'keras.ops.softplus(x->input)',
    'jax.nn.softplus(x->input)',
  ],
  modules: ['torch.nn.Softplus(beta=1, threshold=20)(input)'],
  expects: { input: 'logits' },
  creating: true,
  abstract(c) {
    const x = c.arg('input');
    // softplus(z) = log(1 + exp(z)) of logits: a log-sum-exp, -log sigmoid(-z) (masked by a target: one side's cross-entropy).
    if (x?.m === 'logits') return mk('logits', { lse: true, act: 'sigmoid', src: c.span });
    return unknown(c.span);
  },
  layout: keepLayout,
  lower(c) {
    const beta = c.num('beta') ?? 1;
    const threshold = c.num('threshold') ?? 20;
    return c.out(c.k.softplus(c.float('input').x, beta, threshold));
  },
});

export const logsumexp = defineOp({
  id: 'logsumexp',
  summary: 'log(sum(exp(x))) over an axis, computed stably: of logits, the log of the softmax normaliser.',
  spell: [
    'torch.logsumexp(input, dim, keepdim=False, *, out=None)',
    'torch.special.logsumexp(input, dim, keepdim=False, *, out=None)',
    'Tensor.logsumexp(dim, keepdim=False)',
    'tensorflow.reduce_logsumexp(input_tensor->input, axis|reduction_indices->dim=None, keepdims|keep_dims->keepdim=False, name=None)',
    'keras.backend.logsumexp(x->input, axis->dim=None, keepdims->keepdim=False)',
    'keras.ops.logsumexp(x->input, axis->dim=None, keepdims->keepdim=False)',
    'jax.nn.logsumexp(a->input, axis->dim=None, b=None, keepdims->keepdim=False, return_sign=False, where=None)',
    'scipy.special.logsumexp(a->input, axis->dim=None, b=None, keepdims->keepdim=False, return_sign=False)',
  ],
  expects: { input: 'logits' },
  // Of logits, a log-sum-exp: x - logsumexp(x) is a log-softmax (algebra.ts).
  creating: true,
  abstract(c) {
    const x = c.arg('input');
    if (x?.m === 'logits') return mk('logits', { lse: true, act: 'softmax', src: c.span });
    return unknown(c.span);
  },
  layout: reducedLayout,
  lower(c) {
    const x = c.float('input');
    const rank = x.x.shape.length;
    const axes = c.dims('dim', rank) ?? Array.from({ length: rank }, (_, i) => i);
    return c.out(c.k.logsumexp(x.x, axes, c.flag('keepdim') ?? false));
  },
});

export const ACTIVATIONS = [sigmoid, softmax, logSoftmax, logsigmoid, softplus, logsumexp];
