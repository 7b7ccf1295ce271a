/**
 * Cross-entropy losses in every framework, as functions and as loss classes (torch.nn.*Loss, Keras
 * `losses.*` classes: their instances are modules).
 */
import { mk, type AbsValue } from '../../core/lattice';
import { keepLayout, withLayout } from '../../core/layout';
import { defineOp, type AbsCtx, type CTensor, type CVal, type LowerCtx, type Tensor } from '../api';

const CE_RANGE = { lo: 0, hi: Infinity };

/**
 * The reduction a loss call applies: its `reduction` (argument or default), PyTorch's legacy
 * `reduce`/`size_average` when given without one, `none` for a spelling without a reduction
 * (`keras.losses.binary_crossentropy` returns one loss per sample).
 */
export function reductionOf(c: { has(p: string): boolean; str(p: string): string | undefined; flag(p: string): boolean | undefined; arg?(p: string): AbsValue | undefined; spelling?: { framework: string } }): string {
  if (!c.has('reduction')) {
    if (c.has('reduce')) return c.flag('reduce') === false ? 'none' : 'mean';
    if (c.has('size_average')) return c.flag('size_average') === false ? 'sum' : 'mean';
  }
  const r = c.str('reduction');
  if (r === undefined) return c.has('reduction') ? 'mean' : 'none';
  // PyTorch 0.4's name for 'mean', still accepted (with a deprecation warning) by torch.nn._reduction.get_enum.
  if (r === 'elementwise_mean' && c.spelling?.framework === 'torch') return 'mean';
  return r.toLowerCase();
}

function ceValue(c: AbsCtx, act: 'sigmoid' | 'softmax'): AbsValue {
  return mk('ce', { act, reduced: reductionOf(c) !== 'none', range: CE_RANGE, src: c.span, classWeight: classWeightOf(c), targetSide: targetSideOf(c), ...ceFacts(c) });
}

/** A binary cross-entropy against constant targets (`zeros_like(p)`: every element a negative) is one side's loss only. */
function targetSideOf(c: AbsCtx): 'pos' | 'neg' | undefined {
  if (c.spelling.op.loss?.target !== 'binary') return undefined;
  const t = c.arg('target');
  return t?.fill === 0 ? 'neg' : t?.fill === 1 ? 'pos' : undefined;
}

/**
 * The weights a cross-entropy multiplies each term by, when they weigh classes: `weight=` of the
 * class-index losses (one weight per class), `pos_weight=` of the binary ones (the positives' weight),
 * and a binary `weight=` only when it is known to hold weights other than 0 and 1 (a 0/1 weight is a
 * mask, and exp(-ce) of a masked term is harmless). A literal None weighs nothing; a None
 * hyperparameter (`weight=None` in a signature) is kept: it weighs as soon as a caller passes weights.
 */
function classWeightOf(c: AbsCtx): AbsValue | undefined {
  const perClass = c.spelling.op.loss?.target === 'index';
  for (const p of perClass ? ['weight'] : ['pos_weight', 'weight']) {
    const w = c.arg(p);
    if (!w || (w.m === 'none' && !w.name) || w.fill === 1) continue;
    if (w.values?.length && w.values.every((x) => x === 1)) continue;
    if (!perClass && p === 'weight' && !(w.m === 'class_weights' && w.values?.some((x) => x !== 0 && x !== 1))) continue;
    return w;
  }
  return undefined;
}

/**
 * What a loss call's arguments say beyond its value: an explicit `ignore_index` (Keras: `ignore_class`),
 * whose targets add 0 to an unreduced loss (LL116), and a `label_smoothing` above 0, which mixes every
 * class into the loss (LL118).
 */
export function ceFacts(c: Pick<AbsCtx, 'arg' | 'span'>): Partial<AbsValue> {
  const out: Partial<AbsValue> = {};
  const ii = c.arg('ignore_index') ?? c.arg('ignore_class');
  // Targets already picked by a mask (`y = y[y != ignore_index]`) may hold no ignored entry.
  const picked = c.arg('target')?.selected || c.arg('input')?.selected;
  if (ii && ii.m !== 'none' && !picked) out.ignoreIndex = { values: ii.m === 'scalar' ? ii.values : undefined, span: ii.src ?? c.span };
  const ls = c.arg('label_smoothing');
  const positive = ls?.m === 'scalar' ? ls.values?.filter((v) => v > 0) : undefined;
  if (positive?.length) out.smoothed = { values: positive, span: ls!.src ?? c.span };
  return out;
}

function checkedReduction(c: LowerCtx): string {
  const r = reductionOf(c);
  if (!['none', 'mean', 'sum', 'sum_over_batch_size', 'auto'].includes(r)) c.error(`${r} is not a valid value for reduction`);
  return r;
}

function reduce(c: LowerCtx, x: Tensor, r: string): Tensor {
  return r === 'none' ? x : r === 'sum' ? c.k.sum(x, undefined, false) : c.k.mean(x, undefined, false);
}

function sameShape(c: LowerCtx, x: Tensor, y: Tensor): void {
  if (x.shape.join() !== y.shape.join()) c.error(`${c.name}: target size [${y.shape}] must be the same as input size [${x.shape}]`);
}

/** optax's losses compute with jnp arithmetic: labels broadcast against the logits; the others want one shape. */
function labelsLike(c: LowerCtx, x: Tensor, t: Tensor): [Tensor, Tensor] {
  if (c.spelling.framework !== 'jax') {
    sameShape(c, x, t);
    return [x, t];
  }
  let shape: number[];
  try {
    shape = c.k.broadcastShape(x.shape, t.shape);
  } catch {
    return c.error(`${c.name}: labels of shape [${t.shape}] do not broadcast with logits of shape [${x.shape}]`);
  }
  const b = (v: Tensor) => (c.out(c.k.broadcastTo(v, shape)) as CTensor).x;
  return [b(x), b(t)];
}

/**
 * PyTorch's reduction of a loss call: when `size_average` or `reduce` (the legacy arguments) is
 * given, they decide and `reduction` is ignored (torch.nn._reduction.legacy_get_string: both
 * default to True; mean when both, sum when only `reduce`, none when `reduce` is False).
 */
export function torchReduction(c: LowerCtx): string {
  const given = (p: string): boolean => c.has(p) && c.value(p)?.t !== 'none';
  if (given('size_average') || given('reduce')) {
    const sizeAverage = given('size_average') ? (c.flag('size_average') ?? true) : true;
    const reduceFlag = given('reduce') ? (c.flag('reduce') ?? true) : true;
    return sizeAverage && reduceFlag ? 'mean' : reduceFlag ? 'sum' : 'none';
  }
  return checkedReduction(c);
}

function floatOpt(c: LowerCtx, p: string): Tensor | undefined {
  const v = c.value(p);
  return v && v.t !== 'none' ? c.cast(c.toTensor(v), 'float').x : undefined;
}

/** PyTorch's cross_entropy / nll_loss: class indices (with ignore_index, weight, label smoothing) or class probabilities as targets. */
function torchCE(c: LowerCtx, fromLogits: boolean): CVal {
  const x0 = c.tensor('input');
  const t0 = c.tensor('target');
  const red = torchReduction(c);
  if (x0.x.shape.length < 2) c.unsupported(`${c.name} on 1-D input`);
  // Inputs over images [N, C, d1, ...]: the classes move last and the pixels become samples; a
  // per-pixel loss ('none') goes back to [N, d1, ...].
  let x = x0;
  let t = t0;
  let spatial: number[] | undefined;
  let logits = fromLogits;
  if (x0.x.shape.length > 2) {
    const [n, classes, ...rest] = x0.x.shape;
    const perm = [0, ...rest.map((_, i) => i + 2), 1];
    // log_softmax over the class axis where it stands (ATen adds over a middle axis in turn, not in lanes).
    const lp = fromLogits ? c.k.logSoftmax(c.cast(x0, 'float').x, 1) : x0.x;
    logits = false;
    x = c.out(c.k.reshape(c.k.transpose(lp, perm), [-1, classes]), x0.dt) as CTensor;
    if (t0.dt === 'float') {
      if (t0.x.shape.join() !== x0.x.shape.join()) c.error(`${c.name}: target size [${t0.x.shape}] must be the same as input size [${x0.x.shape}]`);
      t = c.out(c.k.reshape(c.k.transpose(t0.x, perm), [-1, classes]), t0.dt) as CTensor;
    } else {
      if (t0.x.shape.join() !== [n, ...rest].join()) c.error(`${c.name}: expected target of shape [${[n, ...rest]}], got [${t0.x.shape}]`);
      t = c.out(c.k.reshape(t0.x, [-1]), t0.dt) as CTensor;
    }
    spatial = [n, ...rest];
  }
  const back = (v: CVal): CVal => (spatial && red === 'none' && v.t === 'tensor' ? c.out(c.k.reshape(v.x, spatial), v.dt) : v);
  return back(torchCE2(c, logits, x, t, red));
}

function torchCE2(c: LowerCtx, fromLogits: boolean, x: CTensor, t: CTensor, red: string): CVal {
  const xf = c.cast(x, 'float').x;
  const logp = fromLogits ? c.k.logSoftmax(xf, 1) : xf;
  const w = floatOpt(c, 'weight');
  const ls = c.num('label_smoothing') ?? 0;
  if (t.dt === 'float') {
    sameShape(c, x.x, t.x);
    if (w || ls) c.unsupported(`${c.name} with probability targets and weight/label_smoothing`);
    const per = c.k.neg(c.k.sum(elementwise(c, '*', logp, t.x), [1], false));
    return c.out(reduce(c, per, red));
  }
  if (t.x.shape.length !== x.x.shape.length - 1 || t.x.shape[0] !== x.x.shape[0]) c.error(`${c.name}: expected target of shape [${[x.x.shape[0], ...x.x.shape.slice(2)]}], got [${t.x.shape}]`);
  const C = x.x.shape[1];
  if (w && w.size !== C) c.error(`weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: [${w.shape}]`);
  const ii = c.num('ignore_index') ?? -100;
  let anyIgnored = false;
  for (const q of Array.from(c.k.data(t.x))) {
    if (q === ii) anyIgnored = true;
    else if (q < 0 || q >= C) c.error(`Target ${q} is out of bounds.`);
  }
  if (x.x.shape.length !== 2) c.unsupported(`${c.name} on inputs of rank ${x.x.shape.length}`);
  const isIgnored = c.k.cast(elementwiseCmp(c, '==', t.x, c.k.fill([], ii, 'int')), 'bool');
  const safeT = c.k.where(isIgnored, c.k.fill([...t.x.shape], 0, 'int'), t.x);
  const picked = c.k.reshape(c.k.gatherDim(logp, 1, c.k.reshape(safeT, [-1, 1])), [-1]);
  const valid = c.k.cast(c.k.where(isIgnored, c.k.fill([...t.x.shape], 0, 'int'), c.k.fill([...t.x.shape], 1, 'int')), 'float');
  const wt = w ? elementwise(c, '*', c.k.take(w, safeT, 0), valid) : valid;
  // An ignored row's loss is 0 by a where, not by a product with 0: PyTorch's nll_loss backward
  // writes no gradient there, so a NaN coming down from the loss does not reach it.
  // (Without an ignored row the where changes nothing, and costs three kernels a probe run.)
  const zeros = c.k.fill([...t.x.shape], 0, 'float');
  const masked = (v: Tensor): Tensor => (anyIgnored ? c.k.where(isIgnored, zeros, v) : v);
  let per = masked(c.k.neg(w ? elementwise(c, '*', picked, c.k.take(w, safeT, 0)) : picked));
  if (ls > 0) {
    if (w) c.unsupported(`${c.name}(weight=, label_smoothing=)`);
    const smooth = masked(c.k.neg(c.k.sum(logp, [1], false)));
    per = elementwise(c, '+', elementwise(c, '*', per, c.k.fill([], 1 - ls, 'float')), elementwise(c, '*', smooth, c.k.fill([], ls / C, 'float')));
  }
  const r = red === 'mean' ? elementwise(c, '/', c.k.sum(per, undefined, false), c.k.sum(wt, undefined, false)) : reduce(c, per, red);
  return c.out(r);
}

/** A tensor arithmetic step through the evaluator (broadcasting and dtypes as PyTorch). */
function elementwise(c: LowerCtx, op: string, a: Tensor, b: Tensor): Tensor {
  const r = c.binop(op, { t: 'tensor', x: a, dt: 'float' }, { t: 'tensor', x: b, dt: 'float' });
  return (r as CTensor).x;
}

function elementwiseCmp(c: LowerCtx, op: string, a: Tensor, b: Tensor): Tensor {
  return (c.compare(op, { t: 'tensor', x: a, dt: 'int' }, { t: 'tensor', x: b, dt: 'int' }) as CTensor).x;
}

/** Keras's reduction of a per-sample loss by a loss class (`sum_over_batch_size` by default). */
export function kerasReduce(c: LowerCtx, per: Tensor): CVal {
  if (c.has('sample_weight') && c.value('sample_weight')?.t !== 'none') c.unsupported(`${c.name}(sample_weight=)`);
  if (c.spelling.kind !== 'module') return c.out(per);
  // Keras 3: reduction=None is no reduction.
  if (c.has('reduction') && c.value('reduction')?.t === 'none') return c.out(per);
  const r = checkedReduction(c);
  return c.out(r === 'none' ? per : r === 'sum' ? c.k.sum(per, undefined, false) : c.k.mean(per, undefined, false));
}

/** A softmax CE over class indices, unreduced: one loss per sample, [N] (the class axis reduced away). */
function perSample(c: AbsCtx, v: AbsValue): AbsValue {
  return withLayout(v, v.reduced ? undefined : 'vec');
}

const KERAS_EPS = 1e-7;

export const crossEntropy = defineOp({
  id: 'cross_entropy',
  summary: 'Softmax cross-entropy of logits against class indices (or class probabilities).',
  spell: ['torch.nn.functional.cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean", label_smoothing=0.0)'],
  modules: ['torch.nn.CrossEntropyLoss(weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean", label_smoothing=0.0)(input, target)'],
  expects: { input: 'logits', target: { kind: 'target_index', strong: true } },
  loss: { act: 'softmax', input: 'logits', target: 'index' },
  abstract: (c) => ceValue(c, 'softmax'),
  layout: perSample,
  lower: (c) => torchCE(c, true),
});

export const nllLoss = defineOp({
  id: 'nll_loss',
  summary: 'Negative log-likelihood of log-probabilities at class indices.',
  spell: ['torch.nn.functional.nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean")'],
  modules: ['torch.nn.NLLLoss(weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean")(input, target)'],
  expects: { target: { kind: 'target_index', strong: true } },
  loss: { act: 'softmax', input: 'logprob', target: 'index' },
  abstract(c) {
    const given = c.arg('input');
    // Per-class focal terms picked at the target ((1 - p) ** g * log p): the focal loss itself; a
    // `weight` is a per-class weight taken at each sample's target.
    const x = given?.m === 'focal' ? c.L.placeOn(given, 'target') : given;
    if (x?.m === 'focal' && x.focal) {
      const w = c.arg('weight');
      const focal = w && w.m !== 'none' ? { ...x.focal, alpha: { kind: 'class' as const, value: w, span: w.src ?? c.span } } : x.focal;
      return mk('focal', { focal, act: 'softmax', reduced: reductionOf(c) !== 'none', src: c.span, ...ceFacts(c) });
    }
    return ceValue(c, 'softmax');
  },
  layout: perSample,
  lower: (c) => torchCE(c, false),
});

export const binaryCrossEntropy = defineOp({
  id: 'binary_cross_entropy',
  summary: 'Binary cross-entropy of probabilities (each log clamped at -100, as PyTorch does).',
  spell: ['torch.nn.functional.binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean")'],
  modules: ['torch.nn.BCELoss(weight=None, size_average=None, reduce=None, reduction="mean")(input, target)'],
  expects: { input: 'prob', target: 'target' },
  loss: { act: 'sigmoid', input: 'prob', target: 'binary' },
  abstract: (c) => ceValue(c, 'sigmoid'),
  layout: keepLayout,
  lower(c) {
    if (c.spelling.framework === 'torch' && c.requiresGrad('weight')) c.error("the derivative for 'weight' is not implemented.");
    floatTarget(c);
    const p = c.float('input').x;
    const t = c.float('target').x;
    sameShape(c, p, t);
    let l = c.k.bceProbs(p, t);
    const w = floatOpt(c, 'weight');
    if (w) l = elementwise(c, '*', l, w);
    return c.out(reduce(c, l, torchReduction(c)));
  },
});

/** PyTorch (1.13 and 2.x) refuses a loss weight that requires a gradient: `weight` is not differentiable there. */
function weightWithoutGrad(c: LowerCtx, fn: string): void {
  if (c.spelling.framework === 'torch' && c.requiresGrad('weight')) c.error(`The function '${fn}' is not differentiable with respect to argument 'weight'. This input cannot have requires_grad True.`);
}

/** PyTorch's binary cross-entropies compute in the input's float dtype, and an integer target cannot be cast to it. */
export function floatTarget(c: LowerCtx): void {
  const t = c.value('target');
  if (c.spelling.framework === 'torch' && t?.t === 'tensor' && t.dt !== 'float') c.error(`result type Float can't be cast to the desired output type ${t.dt === 'int' ? 'Long' : 'Bool'}`);
}

function bceLogitsLower(c: LowerCtx): CVal {
  weightWithoutGrad(c, 'binary_cross_entropy_with_logits');
  floatTarget(c);
  const [x, t] = labelsLike(c, c.float('input').x, c.float('target').x);
  const pw = floatOpt(c, 'pos_weight');
  let pwShape: number[] | undefined;
  try {
    pwShape = pw && c.k.broadcastShape(pw.shape, x.shape);
  } catch {
    c.error(`pos_weight of shape [${pw!.shape}] does not broadcast with the input's shape [${x.shape}]`);
  }
  let l = c.k.bceWithLogits(x, t, pw && pwShape ? c.k.broadcastTo(pw, pwShape) : undefined);
  const w = floatOpt(c, 'weight');
  if (w) l = elementwise(c, '*', l, w);
  return c.out(reduce(c, l, c.spelling.framework === 'torch' ? torchReduction(c) : checkedReduction(c)));
}

export const bceWithLogits = defineOp({
  id: 'binary_cross_entropy_with_logits',
  summary: 'Binary cross-entropy of logits, computed stably (also `tf.nn.sigmoid_cross_entropy_with_logits`).',
  spell: [
    'torch.nn.functional.binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None)',
    'tensorflow.nn.sigmoid_cross_entropy_with_logits(labels->target=None, logits->input=None, name=None)',
    'tensorflow.nn.weighted_cross_entropy_with_logits(labels|targets->target, logits->input, pos_weight, name=None)',
    'optax.sigmoid_binary_cross_entropy(logits->input, labels->target)',
  ],
  modules: ['torch.nn.BCEWithLogitsLoss(weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None)(input, target)'],
  expects: { input: 'logits', target: 'target' },
  loss: { act: 'sigmoid', input: 'logits', target: 'binary' },
  abstract: (c) => ceValue(c, 'sigmoid'),
  layout: keepLayout,
  lower: bceLogitsLower,
});

/** optax's `where=` mask (which entries the log-softmax and the sum see) is not modelled: refused when passed. */
function noWhere(c: LowerCtx): void {
  if (c.has('where') && c.value('where')?.t !== 'none') c.unsupported(`${c.name}(where=)`);
}

export const tfSoftmaxCE = defineOp({
  id: 'softmax_ce_with_logits',
  summary: 'Softmax cross-entropy of logits against one-hot (or probability) labels.',
  spell: [
    'tensorflow.nn.softmax_cross_entropy_with_logits(labels->target, logits->input, axis->dim=-1, name=None)',
    'tensorflow.nn.softmax_cross_entropy_with_logits_v2(labels->target, logits->input, axis->dim=-1, name=None)',
    'optax.softmax_cross_entropy(logits->input, labels->target, axis->dim=-1, where=None)',
  ],
  expects: { input: 'logits', target: 'target_onehot' },
  loss: { act: 'softmax', input: 'logits', target: 'onehot' },
  abstract: (c) => ceValue(c, 'softmax'),
  lower(c) {
    const t = c.float('target').x;
    const x = c.float('input').x;
    labelsLike(c, x, t);
    noWhere(c);
    const axis = c.dim('dim', x.shape.length) ?? x.shape.length - 1;
    return c.out(c.k.neg(c.k.sum(elementwise(c, '*', t, c.k.logSoftmax(x, axis)), [axis], false)));
  },
});

export const tfSparseSoftmaxCE = defineOp({
  id: 'sparse_softmax_ce_with_logits',
  summary: 'Softmax cross-entropy of logits at class indices.',
  spell: ['tensorflow.nn.sparse_softmax_cross_entropy_with_logits(labels->target=None, logits->input=None, name=None)', 'optax.softmax_cross_entropy_with_integer_labels(logits->input, labels->target, axis->dim=-1, where=None)'],
  expects: { input: 'logits', target: { kind: 'target_index', strong: true } },
  loss: { act: 'softmax', input: 'logits', target: 'index' },
  abstract: (c) => ceValue(c, 'softmax'),
  lower(c) {
    const t = c.tensor('target');
    const x = c.float('input').x;
    const rank = x.shape.length;
    if ((c.dim('dim', rank) ?? rank - 1) !== rank - 1) c.unsupported(`${c.name}(axis=) other than the last`);
    noWhere(c);
    // Labels hold the logits' shape without the class axis (optax's take_along_axis would broadcast: not modelled).
    if (t.x.shape.join() !== x.shape.slice(0, -1).join()) {
      if (c.spelling.framework === 'jax') c.unsupported(`${c.name} with labels of shape [${t.x.shape}] for logits of shape [${x.shape}]`);
      c.error(`labels of shape [${t.x.shape}] must be the logits' shape [${x.shape}] without its last axis`);
    }
    const lp = c.k.reshape(c.k.logSoftmax(x, rank - 1), [-1, x.shape[rank - 1]]);
    return c.out(c.k.neg(c.k.reshape(c.k.gatherDim(lp, 1, c.k.reshape(c.cast(t, 'int').x, [-1, 1])), t.x.shape)));
  },
});

/** Keras's `from_logits` convention: what the prediction holds. */
const FROM_LOGITS = { flag: 'from_logits', yes: 'logits', no: 'prob' } as const;

function kerasCE(c: LowerCtx, kind: 'binary' | 'categorical' | 'sparse'): CVal {
  const t = c.tensor('target');
  const x = c.float('input').x;
  const fromLogits = c.flag('from_logits') ?? false;
  if ((c.num('label_smoothing') ?? 0) !== 0) c.unsupported(`${c.name}(label_smoothing=)`);
  const last = x.shape.length - 1;
  if (kind === 'binary') {
    const tt = c.cast(t, 'float').x;
    sameShape(c, x, tt);
    let per: Tensor;
    if (fromLogits) per = c.k.bceWithLogits(x, tt);
    else {
      const p = c.k.clamp(x, KERAS_EPS, 1 - KERAS_EPS);
      const one = c.k.fill([], 1, 'float');
      per = c.k.neg(elementwise(c, '+', elementwise(c, '*', tt, c.k.log(p)), elementwise(c, '*', elementwise(c, '-', one, tt), c.k.log(elementwise(c, '-', one, p)))));
    }
    // keras.backend / keras.ops binary_crossentropy are elementwise; keras.losses' takes the mean over the last axis.
    if (/^keras\.(backend|ops)\./.test(c.spelling.name)) return c.out(per);
    return kerasReduce(c, c.k.mean(per, [last], false));
  }
  let logp: Tensor;
  if (fromLogits) logp = c.k.logSoftmax(x, last);
  else logp = c.k.log(c.k.clamp(elementwise(c, '/', x, c.k.sum(x, [last], true)), KERAS_EPS, 1 - KERAS_EPS));
  if (kind === 'sparse') {
    // Labels of the predictions' leading shape (or with a trailing 1): one value per leading position
    // (`[N, L]` labels of `[N, L, C]` predictions: a sequence), as Keras.
    const lead = x.shape.slice(0, -1);
    const ts = t.x.shape;
    if (ts.join() !== lead.join() && !(ts.length === lead.length + 1 && ts[ts.length - 1] === 1 && ts.slice(0, -1).join() === lead.join())) c.error(`${c.name}: labels of shape [${ts}] do not match the predictions' shape [${x.shape}] without its last axis`);
    const idx = c.k.reshape(c.cast(t, 'int').x, [-1, 1]);
    return kerasReduce(c, c.k.neg(c.k.reshape(c.k.gatherDim(c.k.reshape(logp, [-1, x.shape[last]]), 1, idx), lead)));
  }
  const tt = c.cast(t, 'float').x;
  sameShape(c, x, tt);
  return kerasReduce(c, c.k.neg(c.k.sum(elementwise(c, '*', tt, logp), [last], false)));
}

export const kerasBinaryCE = defineOp({
  id: 'keras_binary_crossentropy',
  summary: 'Keras binary cross-entropy: probabilities unless from_logits (clipped to [1e-7, 1 - 1e-7]), mean over the last axis.',
  spell: [
    'keras.losses.binary_crossentropy(y_true->target, y_pred->input, from_logits=False, label_smoothing=0.0, axis->dim=-1)',
    'keras.metrics.binary_crossentropy(y_true->target, y_pred->input, from_logits=False, label_smoothing=0.0, axis->dim=-1)',
    'keras.backend.binary_crossentropy(target, output->input, from_logits=False)',
    'keras.ops.binary_crossentropy(target, output->input, from_logits=False)',
  ],
  modules: ['keras.losses.BinaryCrossentropy(from_logits=False, label_smoothing=0.0, axis->dim=-1, reduction="sum_over_batch_size", name="binary_crossentropy")(y_true->target, y_pred->input, sample_weight=None)'],
  expects: { input: FROM_LOGITS, target: 'target' },
  loss: { act: 'sigmoid', input: 'flag', target: 'binary' },
  abstract: (c) => ceValue(c, 'sigmoid'),
  lower: (c) => kerasCE(c, 'binary'),
});

export const kerasCategoricalCE = defineOp({
  id: 'keras_categorical_crossentropy',
  summary: 'Keras categorical cross-entropy of one-hot targets: probabilities (renormalised, clipped) unless from_logits.',
  spell: [
    'keras.losses.categorical_crossentropy(y_true->target, y_pred->input, from_logits=False, label_smoothing=0.0, axis->dim=-1)',
    'keras.metrics.categorical_crossentropy(y_true->target, y_pred->input, from_logits=False, label_smoothing=0.0, axis->dim=-1)',
    'keras.backend.categorical_crossentropy(target, output->input, from_logits=False, axis->dim=-1)',
    'keras.ops.categorical_crossentropy(target, output->input, from_logits=False, axis->dim=-1)',
  ],
  modules: ['keras.losses.CategoricalCrossentropy(from_logits=False, label_smoothing=0.0, axis->dim=-1, reduction="sum_over_batch_size", name="categorical_crossentropy")(y_true->target, y_pred->input, sample_weight=None)'],
  expects: { input: FROM_LOGITS, target: 'target_onehot' },
  loss: { act: 'softmax', input: 'flag', target: 'onehot' },
  abstract: (c) => ceValue(c, 'softmax'),
  lower: (c) => kerasCE(c, 'categorical'),
});

export const kerasSparseCE = defineOp({
  id: 'keras_sparse_categorical_crossentropy',
  summary: 'Keras sparse categorical cross-entropy of class indices: probabilities unless from_logits.',
  spell: [
    'keras.losses.sparse_categorical_crossentropy(y_true->target, y_pred->input, from_logits=False, axis->dim=-1, ignore_class=None)',
    'keras.metrics.sparse_categorical_crossentropy(y_true->target, y_pred->input, from_logits=False, axis->dim=-1, ignore_class=None)',
    'keras.backend.sparse_categorical_crossentropy(target, output->input, from_logits=False, axis->dim=-1)',
    'keras.ops.sparse_categorical_crossentropy(target, output->input, from_logits=False, axis->dim=-1)',
  ],
  modules: ['keras.losses.SparseCategoricalCrossentropy(from_logits=False, ignore_class=None, reduction="sum_over_batch_size", name="sparse_categorical_crossentropy")(y_true->target, y_pred->input, sample_weight=None)'],
  expects: { input: FROM_LOGITS, target: { kind: 'target_index', strong: true } },
  loss: { act: 'softmax', input: 'flag', target: 'index' },
  abstract: (c) => ceValue(c, 'softmax'),
  lower: (c) => kerasCE(c, 'sparse'),
});

export const tf1Losses = defineOp({
  id: 'tf1_softmax_cross_entropy',
  summary: 'TF1 `tf.losses.softmax_cross_entropy`: logits against one-hot labels, reduced to a scalar.',
  spell: [
    'tensorflow.losses.softmax_cross_entropy(onehot_labels->target, logits->input, weights=1.0, label_smoothing=0, scope=None, loss_collection=None, __r->reduction="mean")',
  ],
  expects: { input: 'logits', target: 'target_onehot' },
  loss: { act: 'softmax', input: 'logits', target: 'onehot' },
  abstract: (c) => ceValue(c, 'softmax'),
  lower(c) {
    const x = c.float('input').x;
    let t = c.float('target').x;
    sameShape(c, x, t);
    const ls = c.num('label_smoothing') ?? 0;
    const C = x.shape[x.shape.length - 1];
    if (ls) t = elementwise(c, '+', elementwise(c, '*', t, c.k.fill([], 1 - ls, 'float')), c.k.fill([], ls / C, 'float'));
    const per = c.k.neg(c.k.sum(elementwise(c, '*', t, c.k.logSoftmax(x, x.shape.length - 1)), [x.shape.length - 1], false));
    return tf1Reduce(c, per);
  },
});

/**
 * TF1's losses reduce by SUM_BY_NONZERO_WEIGHTS (the spelling's hidden `reduction="mean"`): the sum
 * of the weighted losses over the number of non-zero weights (weights broadcast to the losses).
 */
function tf1Reduce(c: LowerCtx, per: Tensor): CVal {
  const wv = c.value('weights');
  const w = wv && wv.t !== 'none' ? c.cast(c.toTensor(wv), 'float').x : c.k.fill([], 1, 'float');
  const shape = c.k.broadcastShape(per.shape, w.shape);
  if (shape.join() !== per.shape.join()) c.error(`${c.name}: weights of shape [${w.shape}] do not broadcast to the losses [${per.shape}]`);
  const wb = w.shape.join() === shape.join() ? w : c.k.broadcastTo(w, shape);
  const total = c.k.sum(elementwise(c, '*', per, wb), undefined, false);
  const nonzero = c.k.sum(c.k.cast(elementwiseCmp(c, '!=', wb, c.k.fill([], 0, 'float')), 'float'), undefined, false);
  // A zero count gives 0 (tf.compat.v1.losses: div_no_nan).
  const count = Array.from(c.k.data(nonzero))[0];
  return c.out(count > 0 ? elementwise(c, '/', total, nonzero) : c.k.fill([], 0, 'float'));
}

export const tf1SigmoidLoss = defineOp({
  id: 'tf1_sigmoid_cross_entropy',
  summary: 'TF1 `tf.losses.sigmoid_cross_entropy`: logits against binary labels, reduced to a scalar.',
  spell: ['tensorflow.losses.sigmoid_cross_entropy(multi_class_labels->target, logits->input, weights=1.0, label_smoothing=0, scope=None, loss_collection=None, __r->reduction="mean")'],
  expects: { input: 'logits', target: 'target' },
  loss: { act: 'sigmoid', input: 'logits', target: 'binary' },
  abstract: (c) => ceValue(c, 'sigmoid'),
  lower(c) {
    const x = c.float('input').x;
    let t = c.float('target').x;
    sameShape(c, x, t);
    const ls = c.num('label_smoothing') ?? 0;
    if (ls) t = elementwise(c, '+', elementwise(c, '*', t, c.k.fill([], 1 - ls, 'float')), c.k.fill([], 0.5 * ls, 'float'));
    return tf1Reduce(c, c.k.bceWithLogits(x, t));
  },
});

export const tf1SparseLoss = defineOp({
  id: 'tf1_sparse_softmax_cross_entropy',
  summary: 'TF1 `tf.losses.sparse_softmax_cross_entropy`: logits at class indices, reduced to a scalar.',
  spell: ['tensorflow.losses.sparse_softmax_cross_entropy(labels->target, logits->input, weights=1.0, scope=None, loss_collection=None, __r->reduction="mean")'],
  expects: { input: 'logits', target: { kind: 'target_index', strong: true } },
  loss: { act: 'softmax', input: 'logits', target: 'index' },
  abstract: (c) => ceValue(c, 'softmax'),
  lower(c) {
    const t = c.tensor('target');
    const x = c.float('input').x;
    if (t.dt === 'float') c.error(`${c.name}: labels must be integers`);
    if (t.x.shape.join() !== x.shape.slice(0, -1).join()) c.error(`${c.name}: labels of shape [${t.x.shape}] do not match logits [${x.shape}]`);
    const C = x.shape[x.shape.length - 1];
    for (const q of Array.from(c.k.data(t.x))) if (q < 0 || q >= C) c.error(`Received a label value of ${q} which is outside the valid range of [0, ${C})`);
    const lp = c.k.reshape(c.k.logSoftmax(x, x.shape.length - 1), [-1, C]);
    const per = c.k.reshape(c.k.neg(c.k.gatherDim(lp, 1, c.k.reshape(t.x, [-1, 1]))), [...t.x.shape]);
    return tf1Reduce(c, per);
  },
});

/** PyTorch's multi-label soft margin loss (torch.nn.functional's composition of logsigmoid terms). */
export const multilabelSoftMarginLoss = defineOp({
  id: 'multilabel_soft_margin_loss',
  summary: 'Per sample, the mean over the last axis of -(t * logsigmoid(x) + (1 - t) * logsigmoid(-x)), times an optional per-class weight; then the reduction.',
  spell: ['torch.nn.functional.multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean")'],
  modules: ['torch.nn.MultiLabelSoftMarginLoss(weight=None, size_average=None, reduce=None, reduction="mean")(input, target)'],
  expects: { input: 'logits', target: 'target' },
  loss: { act: 'sigmoid', input: 'logits', target: 'binary' },
  abstract: (c) => ceValue(c, 'sigmoid'),
  lower(c) {
    const x = c.float('input');
    const t = c.tensor('target');
    const one: CVal = { t: 'num', v: 1, int: true };
    const pos = c.binop('*', t, c.out(c.k.logsigmoid(x.x)));
    const neg = c.binop('*', c.binop('-', one, t), c.out(c.k.logsigmoid(c.k.neg(x.x))));
    let loss = c.binop('-', { t: 'num', v: 0, int: true }, c.binop('+', pos, neg)) as CTensor;
    const w = c.value('weight');
    if (w && w.t !== 'none') loss = c.binop('*', loss, w) as CTensor;
    const axis = x.x.shape.length - 1;
    if (axis < 0) c.error('multilabel_soft_margin_loss: the input has no class dimension');
    const C = x.x.shape[axis];
    const perSample = c.binop('/', c.out(c.k.sum(c.cast(loss, 'float').x, [axis], false)), { t: 'num', v: C, int: true }) as CTensor;
    return c.out(reduce(c, perSample.x, torchReduction(c)));
  },
});

export const LOSSES = [crossEntropy, nllLoss, binaryCrossEntropy, bceWithLogits, tfSoftmaxCE, tfSparseSoftmaxCE, kerasBinaryCE, kerasCategoricalCE, kerasSparseCE, tf1Losses, tf1SigmoidLoss, tf1SparseLoss, multilabelSoftMarginLoss];
