/**
 * The focal losses libraries ship, with what each does with alpha and gamma
 * (shared/recipes/reference-implementations.md), and the formula of those the numeric checker runs.
 */
import { mk } from '../../core/lattice';
import { defineOp, type AbsCtx, type CVal, type LossFacts, type LowerCtx, type OpDef } from '../api';
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
  const gamma = hyper(c, 'gamma', 2)!;
  const alpha = hyper(c, 'alpha', alphaDefault);
  return reduced(c, sigmoidFocal(c, c.tensor('input'), c.tensor('target'), alpha, gamma), reductionOf(c));
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
    summary: 'segmentation_models_pytorch FocalLoss: alpha off by default; multiclass as per-class sigmoids.',
    modules: ['segmentation_models_pytorch.losses.FocalLoss(mode, alpha=None, gamma=2.0, ignore_index=None, reduction="mean", normalized=False, reduced_threshold=None)(y_pred->input, y_true->target)'],
    loss: { act: 'sigmoid', input: 'logits', target: 'binary', focal: { alpha: 'alpha_t', gammaGuard: false } },
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
  }),
  lib({
    id: 'keras_categorical_focal_crossentropy',
    summary: 'Keras categorical focal cross-entropy: a scalar alpha multiplies every class.',
    spell: ['keras.losses.categorical_focal_crossentropy(y_true->target, y_pred->input, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis->dim=-1)'],
    modules: ['keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis->dim=-1, reduction="sum_over_batch_size", name="categorical_focal_crossentropy")(y_true->target, y_pred->input, sample_weight=None)'],
    loss: { act: 'softmax', input: 'flag', target: 'onehot', focal: { alpha: 'scalar_all', gammaGuard: true } },
  }),
  lib({
    id: 'tfa_sigmoid_focal_crossentropy',
    summary: 'TF Addons sigmoid focal cross-entropy: alpha_t (`if alpha:` turns alpha=0 off), probabilities unless from_logits.',
    spell: ['tensorflow_addons.losses.sigmoid_focal_crossentropy(y_true->target, y_pred->input, alpha=0.25, gamma=2.0, from_logits=False)'],
    modules: ['tensorflow_addons.losses.SigmoidFocalCrossEntropy(from_logits=False, alpha=0.25, gamma=2.0, reduction="none", name="sigmoid_focal_crossentropy")(y_true->target, y_pred->input, sample_weight=None)'],
    loss: { act: 'sigmoid', input: 'flag', target: 'binary', focal: { alpha: 'alpha_t', gammaGuard: false } },
  }),
  lib({
    id: 'optax_sigmoid_focal_loss',
    summary: 'optax.sigmoid_focal_loss: alpha_t (off by default); 1 - p_t clamped in recent versions.',
    spell: ['optax.sigmoid_focal_loss(logits->input, labels->target, alpha=None, gamma=2.0)'],
    loss: { act: 'sigmoid', input: 'logits', target: 'binary', focal: { alpha: 'alpha_t', gammaGuard: true } },
  }),
];
