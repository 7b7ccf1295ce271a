/**
 * The focal losses libraries ship, with what each does with alpha and gamma
 * (shared/recipes/reference-implementations.md), and the formula of those the numeric checker runs.
 */
import { mk } from '../../core/lattice';
import { defineOp, type AbsCtx, type CTensor, type CVal, type LossFacts, type LowerCtx, type OpDef } from '../api';
import { reductionOf } from './losses';

function focalValue(c: AbsCtx, act: 'sigmoid' | 'softmax') {
  return mk('focal', { focal: { library: c.spelling.op }, reduced: reductionOf(c) !== 'none', act, src: c.span });
}

/** A tensor step through the evaluator (PyTorch broadcasting and dtypes). */
function ar(c: LowerCtx, op: string, a: CVal | number, b: CVal | number): CVal {
  const v = (x: CVal | number): CVal => (typeof x === 'number' ? { t: 'num', v: x, int: Number.isInteger(x) } : x);
  return c.binop(op, v(a), v(b));
}

/**
 * The sigmoid focal loss op for op as torchvision writes it (torchvision/ops/focal_loss.py):
 * p = sigmoid(x); ce = BCE-with-logits; p_t = p t + (1 - p)(1 - t); ce (1 - p_t)^gamma; times alpha_t
 * when alpha >= 0.
 */
export function sigmoidFocal(c: LowerCtx, x: CVal, t: CVal, alpha: number | undefined, gamma: number): CVal {
  const xt = c.cast(c.toTensor(x), 'float');
  const tt = c.cast(c.toTensor(t), 'float');
  if (xt.x.shape.join() !== tt.x.shape.join()) c.error(`${c.name}: target size [${tt.x.shape}] must be the same as input size [${xt.x.shape}]`);
  const p: CVal = c.out(c.k.sigmoid(xt.x));
  const ce: CVal = c.out(c.k.bceWithLogits(xt.x, tt.x));
  const pt = ar(c, '+', ar(c, '*', p, tt), ar(c, '*', ar(c, '-', 1, p), ar(c, '-', 1, tt)));
  let loss = ar(c, '*', ce, ar(c, '**', ar(c, '-', 1, pt), gamma));
  if (alpha !== undefined && alpha >= 0) loss = ar(c, '*', ar(c, '+', ar(c, '*', tt, alpha), ar(c, '*', ar(c, '-', 1, tt), 1 - alpha)), loss);
  return loss;
}

function reduced(c: LowerCtx, v: CVal, how: string): CVal {
  const x = c.toTensor(v);
  if (how === 'none') return x;
  if (how === 'sum') return c.out(c.k.sum(x.x, undefined, false));
  if (how === 'mean' || how === 'sum_over_batch_size' || how === 'auto') return c.out(c.k.mean(x.x, undefined, false));
  return c.error(`${how} is not a valid value for reduction`);
}

function hyper(c: LowerCtx, p: string, fallback?: number): number | undefined {
  const v = c.value(p);
  if (!v || v.t === 'none') return fallback;
  if (v.t === 'num') return v.v;
  return c.unsupported(`${c.name} with a tensor ${p}`);
}

interface LibSpec {
  id: string;
  summary: string;
  spell?: string[];
  modules?: string[];
  loss: LossFacts;
  lower?: (c: LowerCtx) => CVal;
}

function lib(s: LibSpec): OpDef {
  const input = s.loss.input === 'flag' ? ({ flag: 'from_logits', yes: 'logits', no: 'prob' } as const) : s.loss.input === 'logits' ? 'logits' : 'prob';
  return defineOp({
    id: s.id,
    summary: s.summary,
    spell: s.spell ?? [],
    modules: s.modules,
    loss: s.loss,
    expects: { input, target: s.loss.target === 'index' ? { kind: 'target_index', strong: true } : s.loss.target === 'onehot' ? 'target_onehot' : 'target' },
    abstract: (c) => focalValue(c, s.loss.act),
    lower: s.lower,
  });
}

const SIGMOID_ALPHA_T = { act: 'sigmoid', input: 'logits', target: 'binary', focal: { alpha: 'alpha_t', gammaGuard: false } } as const;

function torchvisionLike(c: LowerCtx, alphaDefault: number, star: boolean): CVal {
  if (star) c.unsupported(`${c.name} (FL*)`);
  // Its binary_cross_entropy_with_logits (torchvision, fvcore: PyTorch) refuses an integer target.
  const t = c.value('target');
  if (t?.t === 'tensor' && t.dt !== 'float') c.error(`result type Float can't be cast to the desired output type ${t.dt === 'int' ? 'Long' : 'Bool'}`);
  const gamma = hyper(c, 'gamma', 2)!;
  const alpha = hyper(c, 'alpha', alphaDefault);
  return reduced(c, sigmoidFocal(c, c.tensor('input'), c.tensor('target'), alpha, gamma), reductionOf(c));
}

const KERAS_EPS = 1e-7;

/**
 * Keras' binary cross-entropy of probabilities, elementwise: -(t log p + (1 - t) log(1 - p)) with p
 * clipped to [eps, 1 - eps] (keras.ops.binary_crossentropy, from_logits=False).
 */
function kerasBceProbs(c: LowerCtx, p: CTensor, t: CTensor): CTensor {
  const pc = c.out(c.k.clamp(p.x, KERAS_EPS, 1 - KERAS_EPS)) as CTensor;
  const logp = c.out(c.k.log(pc.x)) as CTensor;
  const log1m = c.out(c.k.log((ar(c, '-', 1, pc) as CTensor).x)) as CTensor;
  return ar(c, '-', 0, ar(c, '+', ar(c, '*', t, logp), ar(c, '*', ar(c, '-', 1, t), log1m))) as CTensor;
}

/** A Keras loss class reduces the per-sample losses (`sum_over_batch_size` by default); the function does not. */
function kerasReduced(c: LowerCtx, per: CVal): CVal {
  if (c.has('sample_weight') && c.value('sample_weight')?.t !== 'none') c.unsupported(`${c.name}(sample_weight=)`);
  // Keras 3: reduction=None is no reduction.
  if (c.spelling.kind === 'module' && c.has('reduction') && c.value('reduction')?.t === 'none') return per;
  return c.spelling.kind === 'module' ? reduced(c, per, reductionOf(c)) : per;
}

/**
 * keras.losses.binary_focal_crossentropy (Keras 3): from_logits takes the sigmoid first; bce of the
 * probabilities; focal factor (1 - p_t)^gamma; alpha_t only with apply_class_balancing; mean over
 * the last axis.
 */
/** What a Keras focal loss reads: prediction and target of one shape, gamma and alpha (defaults 2 and 0.25). */
function kerasFocalArgs(c: LowerCtx): { x: CTensor; t: CTensor; gamma: number; alpha: number } {
  const x = c.float('input');
  const t = c.float('target');
  if (x.x.shape.join() !== t.x.shape.join()) c.error(`${c.name}: target size [${t.x.shape}] must be the same as input size [${x.x.shape}]`);
  if ((c.num('label_smoothing') ?? 0) !== 0) c.unsupported(`${c.name}(label_smoothing=)`);
  return { x, t, gamma: hyper(c, 'gamma', 2)!, alpha: hyper(c, 'alpha', 0.25)! };
}

function kerasBinaryFocal(c: LowerCtx): CVal {
  const { x, t, gamma, alpha } = kerasFocalArgs(c);
  const p = c.flag('from_logits') ? (c.out(c.k.sigmoid(x.x)) as CTensor) : x;
  const bce = kerasBceProbs(c, p, t);
  const pt = ar(c, '+', ar(c, '*', t, p), ar(c, '*', ar(c, '-', 1, t), ar(c, '-', 1, p)));
  let loss = ar(c, '*', ar(c, '**', ar(c, '-', 1, pt), gamma), bce);
  if (c.flag('apply_class_balancing')) loss = ar(c, '*', ar(c, '+', ar(c, '*', t, alpha), ar(c, '*', ar(c, '-', 1, t), 1 - alpha)), loss);
  const lt = c.toTensor(loss);
  return kerasReduced(c, c.out(c.k.mean(lt.x, [lt.x.shape.length - 1], false)));
}

/**
 * keras.losses.categorical_focal_crossentropy: softmax first when from_logits; probabilities
 * renormalised over the last axis and clipped to [eps, 1 - eps]; sum over classes of
 * alpha (1 - p)^gamma (-t log p).
 */
function kerasCategoricalFocal(c: LowerCtx): CVal {
  const { x, t, gamma, alpha } = kerasFocalArgs(c);
  const last = x.x.shape.length - 1;
  const p = c.flag('from_logits') ? (c.out(c.k.softmax(x.x, last)) as CTensor) : x;
  const norm = ar(c, '/', p, c.out(c.k.sum(p.x, [last], true))) as CTensor;
  const out = c.out(c.k.clamp(norm.x, KERAS_EPS, 1 - KERAS_EPS)) as CTensor;
  const cce = ar(c, '-', 0, ar(c, '*', t, c.out(c.k.log(out.x))));
  const loss = c.toTensor(ar(c, '*', ar(c, '*', ar(c, '**', ar(c, '-', 1, out), gamma), alpha), cce));
  return kerasReduced(c, c.out(c.k.sum(loss.x, [last], false)));
}

/**
 * tfa.losses.sigmoid_focal_crossentropy: Keras' bce (of logits or probabilities), alpha_t when
 * alpha is truthy, (1 - p_t)^gamma when gamma is truthy, summed over the last axis.
 */
function tfaSigmoidFocal(c: LowerCtx): CVal {
  const x = c.float('input');
  const t = c.float('target');
  if (x.x.shape.join() !== t.x.shape.join()) c.error(`${c.name}: target size [${t.x.shape}] must be the same as input size [${x.x.shape}]`);
  const gamma = hyper(c, 'gamma', 2)!;
  const alpha = hyper(c, 'alpha', 0.25)!;
  if (gamma < 0) c.error('Value of gamma should be greater than or equal to zero.');
  const fromLogits = c.flag('from_logits') ?? false;
  const ce = fromLogits ? (c.out(c.k.bceWithLogits(x.x, t.x)) as CTensor) : kerasBceProbs(c, x, t);
  const p = fromLogits ? (c.out(c.k.sigmoid(x.x)) as CTensor) : x;
  const pt = ar(c, '+', ar(c, '*', t, p), ar(c, '*', ar(c, '-', 1, t), ar(c, '-', 1, p)));
  let loss: CVal = ce;
  if (alpha) loss = ar(c, '*', ar(c, '+', ar(c, '*', t, alpha), ar(c, '*', ar(c, '-', 1, t), 1 - alpha)), loss);
  if (gamma) loss = ar(c, '*', ar(c, '**', ar(c, '-', 1, pt), gamma), loss);
  const lt = c.toTensor(loss);
  return kerasReduced(c, c.out(c.k.sum(lt.x, [lt.x.shape.length - 1], false)));
}

/**
 * optax.sigmoid_focal_loss (optax >= 0.2.5, as its documentation writes it): ce = sigmoid BCE of the
 * logits; log(1 - p_t) in log space, branching on y >= 0.5: y' = y or 1 - y, x' = -x or x,
 * log(1 - p_t) = log_sigmoid(x') + log(y') + softplus(-x' + log1p(-y') - log(y')); loss = ce *
 * exp(gamma log(1 - p_t)), times alpha_t = alpha y + (1 - alpha)(1 - y) when alpha is not None.
 * Labels broadcast against the logits; no reduction.
 */
function optaxSigmoidFocal(c: LowerCtx): CVal {
  const x = c.float('input');
  const t = c.float('target');
  let shape: number[];
  try {
    shape = c.k.broadcastShape(t.x.shape, x.x.shape);
  } catch {
    return c.error(`${c.name}: labels of shape [${t.x.shape}] do not broadcast with logits of shape [${x.x.shape}]`);
  }
  const xb = c.out(c.k.broadcastTo(x.x, shape)) as CTensor;
  const tb = c.out(c.k.broadcastTo(t.x, shape)) as CTensor;
  const gamma = hyper(c, 'gamma', 2)!;
  const alpha = hyper(c, 'alpha');
  const ce = c.out(c.k.bceWithLogits(xb.x, tb.x)) as CTensor;
  const hi = (c.compare('>=', tb, { t: 'num', v: 0.5, int: false }) as CTensor).x;
  const yp = c.out(c.k.where(hi, tb.x, (ar(c, '-', 1, tb) as CTensor).x)) as CTensor;
  const xp = c.out(c.k.where(hi, c.k.neg(xb.x), xb.x)) as CTensor;
  const logY = c.out(c.k.log(yp.x)) as CTensor;
  const inner = ar(c, '-', ar(c, '+', ar(c, '-', 0, xp), c.out(c.k.log1p(c.k.neg(yp.x)))), logY) as CTensor;
  const log1mPt = ar(c, '+', ar(c, '+', c.out(c.k.logsigmoid(xp.x)), logY), c.out(c.k.softplus(inner.x, 1, 20))) as CTensor;
  const loss = ar(c, '*', ce, c.out(c.k.exp((ar(c, '*', gamma, log1mPt) as CTensor).x)));
  if (alpha === undefined) return loss;
  return ar(c, '*', ar(c, '+', ar(c, '*', alpha, tb), ar(c, '*', 1 - alpha, ar(c, '-', 1, tb))), loss);
}

export const LIBRARY: OpDef[] = [
  lib({
    id: 'torchvision_sigmoid_focal_loss',
    summary: 'torchvision.ops.sigmoid_focal_loss: alpha_t with alpha=0.25, no guard for gamma < 1.',
    spell: ['torchvision.ops.sigmoid_focal_loss(inputs->input, targets->target, alpha=0.25, gamma=2, reduction="none")'],
    loss: SIGMOID_ALPHA_T,
    lower: (c) => torchvisionLike(c, 0.25, false),
  }),
  lib({
    id: 'fvcore_sigmoid_focal_loss',
    summary: "fvcore's sigmoid_focal_loss: torchvision's formula with alpha off (-1) by default.",
    spell: ['fvcore.nn.sigmoid_focal_loss(inputs->input, targets->target, alpha=-1, gamma=2, reduction="none")', 'fvcore.nn.sigmoid_focal_loss_jit(inputs->input, targets->target, alpha=-1, gamma=2, reduction="none")'],
    loss: SIGMOID_ALPHA_T,
    lower: (c) => torchvisionLike(c, -1, false),
  }),
  lib({
    id: 'fvcore_sigmoid_focal_loss_star',
    summary: "fvcore's FL*: a log-space variant with gamma=1.",
    spell: ['fvcore.nn.sigmoid_focal_loss_star(inputs->input, targets->target, alpha=-1, gamma=1, reduction="none")', 'fvcore.nn.sigmoid_focal_loss_star_jit(inputs->input, targets->target, alpha=-1, gamma=1, reduction="none")'],
    loss: { act: 'sigmoid', input: 'logits', target: 'binary', focal: { alpha: 'alpha_t', gammaGuard: true } },
  }),
  lib({
    id: 'kornia_focal_loss',
    summary: "kornia's softmax focal loss (alpha: [1 - a, a, ...] with class 0 the background in recent versions).",
    spell: [
      'kornia.losses.focal_loss(pred->input, target, alpha, gamma=2.0, reduction="none", weight=None)',
    ],
    modules: ['kornia.losses.FocalLoss(alpha, gamma=2.0, reduction="none", weight=None)(pred->input, target)'],
    loss: { act: 'softmax', input: 'logits', target: 'index', focal: { alpha: 'background', gammaGuard: false } },
  }),
  lib({
    id: 'kornia_binary_focal_loss',
    summary: "kornia's binary focal loss with logits: alpha_t.",
    spell: ['kornia.losses.binary_focal_loss_with_logits(pred->input, target, alpha=0.25, gamma=2.0, reduction="none", pos_weight=None, weight=None)'],
    modules: ['kornia.losses.BinaryFocalLossWithLogits(alpha, gamma=2.0, reduction="none", pos_weight=None, weight=None)(pred->input, target)'],
    loss: SIGMOID_ALPHA_T,
  }),
  lib({
    id: 'smp_focal_loss',
    summary: 'segmentation_models_pytorch FocalLoss: alpha off by default; multiclass as per-class sigmoids of class-index targets; probabilities with from_logits=False (0.5).',
    modules: ['segmentation_models_pytorch.losses.FocalLoss(mode, alpha=None, gamma=2.0, ignore_index=None, from_logits=True, eps=1e-7, reduction="mean", normalized=False, reduced_threshold=None, class_weights=None)(y_pred->input, y_true->target)'],
    loss: { act: 'sigmoid', input: 'flag', target: 'binary', targetBy: { param: 'mode', values: { binary: 'binary', multilabel: 'binary', multiclass: 'index' } }, focal: { alpha: 'alpha_t', gammaGuard: false } },
  }),
  lib({
    id: 'monai_focal_loss',
    summary: 'MONAI FocalLoss: log-space modulating factor on its sigmoid path (safe for gamma < 1).',
    modules: ['monai.losses.FocalLoss(include_background=True, to_onehot_y=False, gamma=2.0, alpha=None, weight=None, reduction="mean", use_softmax=False)(input, target)'],
    loss: { act: 'sigmoid', input: 'logits', target: 'onehot', focal: { alpha: 'alpha_t', gammaGuard: true } },
  }),
  lib({
    id: 'mmcv_sigmoid_focal_loss',
    summary: "mmcv's sigmoid focal kernel: alpha_t, an analytic gradient safe for gamma < 1.",
    spell: ['mmcv.ops.sigmoid_focal_loss(input, target, gamma=2.0, alpha=0.25, weight=None, reduction="mean")'],
    modules: ['mmcv.ops.SigmoidFocalLoss(gamma, alpha, weight=None, reduction="mean")(input, target)', 'mmdet.models.losses.FocalLoss(use_sigmoid=True, gamma=2.0, alpha=0.25, reduction="mean", loss_weight=1.0, activated=False)(pred->input, target, weight=None, avg_factor=None, reduction_override=None)'],
    loss: { act: 'sigmoid', input: 'logits', target: 'index', focal: { alpha: 'alpha_t', gammaGuard: true } },
  }),
  lib({
    id: 'mmcv_softmax_focal_loss',
    summary: "mmcv's softmax focal kernel: one scalar alpha on every class; its backward has pow(1 - p, gamma - 1).",
    spell: ['mmcv.ops.softmax_focal_loss(input, target, gamma=2.0, alpha=0.25, weight=None, reduction="mean")'],
    modules: ['mmcv.ops.SoftmaxFocalLoss(gamma, alpha, weight=None, reduction="mean")(input, target)'],
    loss: { act: 'softmax', input: 'logits', target: 'index', focal: { alpha: 'scalar_all', gammaGuard: false } },
  }),
  lib({
    id: 'keras_binary_focal_crossentropy',
    summary: 'Keras binary focal cross-entropy: alpha only with apply_class_balancing=True; probabilities unless from_logits.',
    spell: [
      'keras.losses.binary_focal_crossentropy(y_true->target, y_pred->input, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis->dim=-1)',
      'keras.metrics.binary_focal_crossentropy(y_true->target, y_pred->input, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis->dim=-1)',
    ],
    modules: ['keras.losses.BinaryFocalCrossentropy(apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis->dim=-1, reduction="sum_over_batch_size", name="binary_focal_crossentropy")(y_true->target, y_pred->input, sample_weight=None)'],
    loss: { act: 'sigmoid', input: 'flag', target: 'binary', focal: { alpha: 'alpha_t', gammaGuard: false, alphaFlag: 'apply_class_balancing' } },
    lower: kerasBinaryFocal,
  }),
  lib({
    id: 'keras_categorical_focal_crossentropy',
    summary: 'Keras categorical focal cross-entropy: a scalar alpha multiplies every class.',
    spell: ['keras.losses.categorical_focal_crossentropy(y_true->target, y_pred->input, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis->dim=-1)'],
    modules: ['keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis->dim=-1, reduction="sum_over_batch_size", name="categorical_focal_crossentropy")(y_true->target, y_pred->input, sample_weight=None)'],
    loss: { act: 'softmax', input: 'flag', target: 'onehot', focal: { alpha: 'scalar_all', gammaGuard: true } },
    lower: kerasCategoricalFocal,
  }),
  lib({
    id: 'tfa_sigmoid_focal_crossentropy',
    summary: 'TF Addons sigmoid focal cross-entropy: alpha_t (`if alpha:` turns alpha=0 off), probabilities unless from_logits.',
    spell: ['tensorflow_addons.losses.sigmoid_focal_crossentropy(y_true->target, y_pred->input, alpha=0.25, gamma=2.0, from_logits=False)'],
    modules: ['tensorflow_addons.losses.SigmoidFocalCrossEntropy(from_logits=False, alpha=0.25, gamma=2.0, reduction="none", name="sigmoid_focal_crossentropy")(y_true->target, y_pred->input, sample_weight=None)'],
    loss: { act: 'sigmoid', input: 'flag', target: 'binary', focal: { alpha: 'alpha_t', gammaGuard: false } },
    lower: tfaSigmoidFocal,
  }),
  lib({
    id: 'optax_sigmoid_focal_loss',
    summary: 'optax.sigmoid_focal_loss: alpha_t (off by default); (1 - p_t)^gamma computed in log space since optax 0.2.5.',
    spell: ['optax.sigmoid_focal_loss(logits->input, labels->target, alpha=None, gamma=2.0)'],
    loss: { act: 'sigmoid', input: 'logits', target: 'binary', focal: { alpha: 'alpha_t', gammaGuard: true } },
    lower: optaxSigmoidFocal,
  }),
];
