/**
 * The operations LossLint understands, with every PyTorch, TensorFlow and Keras spelling that
 * denotes each one. The IR builder resolves calls to these specs; the abstract interpreter gives
 * each op a meaning and the numeric interpreter evaluates the same ops on tensors. An op missing
 * here is "unknown" to the abstract interpreter and "unsupported" to the numeric one.
 */
import type { Expr } from './ir';

export type OpId =
  // activations and their logs
  | 'sigmoid'
  | 'softmax'
  | 'log_softmax'
  | 'logsigmoid'
  // elementwise
  | 'exp'
  | 'log'
  | 'log1p'
  | 'sqrt'
  | 'abs'
  | 'neg'
  | 'pow'
  | 'clamp'
  | 'where'
  // indexing and shape
  | 'gather'
  | 'one_hot'
  | 'sum'
  | 'mean'
  | 'reshape'
  | 'squeeze'
  | 'unsqueeze'
  | 'cast'
  | 'detach'
  | 'tensor'
  | 'arange'
  | 'ones_like'
  | 'zeros_like'
  // losses (functional)
  | 'cross_entropy'
  | 'nll_loss'
  | 'binary_cross_entropy'
  | 'binary_cross_entropy_with_logits'
  | 'tf_sigmoid_ce_with_logits'
  | 'tf_softmax_ce_with_logits'
  | 'tf_sparse_softmax_ce_with_logits'
  | 'keras_binary_crossentropy'
  | 'keras_categorical_crossentropy'
  | 'keras_sparse_categorical_crossentropy'
  // loss modules (constructors; calling the instance applies the loss)
  | 'CrossEntropyLoss'
  | 'NLLLoss'
  | 'BCELoss'
  | 'BCEWithLogitsLoss'
  | 'KerasBinaryCrossentropy'
  | 'KerasCategoricalCrossentropy'
  | 'KerasSparseCategoricalCrossentropy'
  // library focal losses
  | 'torchvision_sigmoid_focal_loss'
  | 'fvcore_sigmoid_focal_loss'
  | 'fvcore_sigmoid_focal_loss_star'
  | 'kornia_focal_loss'
  | 'KorniaFocalLoss'
  | 'SmpFocalLoss'
  | 'MonaiFocalLoss'
  | 'mmcv_sigmoid_focal_loss'
  | 'mmcv_softmax_focal_loss'
  | 'keras_binary_focal_crossentropy'
  | 'keras_categorical_focal_crossentropy'
  | 'KerasBinaryFocalCrossentropy'
  | 'KerasCategoricalFocalCrossentropy'
  | 'TfaSigmoidFocalCrossEntropy'
  | 'tfa_sigmoid_focal_crossentropy';

export interface OpSpec {
  id: OpId;
  /** Parameter names in positional order; keyword aliases are folded onto these names. */
  params: string[];
  /** Defaults that matter to the analysis (reductions, flags, hyperparameters). */
  defaults?: Record<string, number | string | boolean | null>;
  framework: 'torch' | 'tf' | 'keras' | 'lib';
  /** True for classes whose instances are called later (loss modules). */
  ctor?: boolean;
}

/** Keyword spellings folded onto canonical parameter names. */
const KW_ALIASES: Record<string, string> = {
  axis: 'dim',
  keepdims: 'keepdim',
  x: 'input',
  input_tensor: 'input',
  logits: 'input',
  min_value: 'min',
  max_value: 'max',
  clip_value_min: 'min',
  clip_value_max: 'max',
  x_min: 'min',
  x_max: 'max',
  t: 'input',
  y: 'exponent',
  indices: 'input',
  depth: 'num_classes',
};

const T = 'torch';
const CE_PARAMS = ['input', 'target', 'weight', 'size_average', 'ignore_index', 'reduce', 'reduction', 'label_smoothing'];
const BCE_PARAMS = ['input', 'target', 'weight', 'size_average', 'reduce', 'reduction'];

type Entry = [OpSpec, string[]];

/** Names are normalized by `normalize` first: `F.` is torch.nn.functional, `tf.` tensorflow, `K.` the Keras backend, `kops.` keras.ops. */
const TABLE: Entry[] = [
  [{ id: 'sigmoid', params: ['input'], framework: T }, ['torch.sigmoid', 'F.sigmoid', 'torch.expit', 'tf.sigmoid', 'tf.nn.sigmoid', 'keras.activations.sigmoid', 'K.sigmoid', 'kops.sigmoid']],
  [{ id: 'softmax', params: ['input', 'dim'], defaults: { dim: -1 }, framework: T }, ['torch.softmax', 'F.softmax', 'tf.nn.softmax', 'tf.softmax', 'keras.activations.softmax', 'K.softmax', 'kops.softmax']],
  [{ id: 'log_softmax', params: ['input', 'dim'], defaults: { dim: -1 }, framework: T }, ['torch.log_softmax', 'F.log_softmax', 'tf.nn.log_softmax', 'tf.log_softmax', 'kops.log_softmax']],
  [{ id: 'logsigmoid', params: ['input'], framework: T }, ['F.logsigmoid', 'tf.log_sigmoid', 'kops.log_sigmoid']],
  [{ id: 'exp', params: ['input'], framework: T }, ['torch.exp', 'tf.exp', 'K.exp', 'kops.exp']],
  [{ id: 'log', params: ['input'], framework: T }, ['torch.log', 'tf.log', 'K.log', 'kops.log']],
  [{ id: 'log1p', params: ['input'], framework: T }, ['torch.log1p', 'tf.log1p', 'kops.log1p']],
  [{ id: 'sqrt', params: ['input'], framework: T }, ['torch.sqrt', 'tf.sqrt', 'K.sqrt', 'kops.sqrt']],
  [{ id: 'abs', params: ['input'], framework: T }, ['torch.abs', 'tf.abs', 'K.abs', 'kops.abs']],
  [{ id: 'neg', params: ['input'], framework: T }, ['torch.neg', 'tf.negative']],
  [{ id: 'pow', params: ['input', 'exponent'], framework: T }, ['torch.pow', 'tf.pow', 'K.pow', 'kops.power']],
  [{ id: 'clamp', params: ['input', 'min', 'max'], framework: T }, ['torch.clamp', 'torch.clip', 'tf.clip_by_value', 'K.clip', 'kops.clip']],
  [{ id: 'where', params: ['condition', 'input', 'other'], framework: T }, ['torch.where', 'tf.where', 'kops.where']],
  [{ id: 'gather', params: ['input', 'dim', 'index'], framework: T }, ['torch.gather']],
  [{ id: 'one_hot', params: ['input', 'num_classes'], framework: T }, ['F.one_hot', 'tf.one_hot', 'kops.one_hot']],
  [{ id: 'sum', params: ['input', 'dim', 'keepdim'], framework: T }, ['torch.sum', 'tf.reduce_sum', 'K.sum', 'kops.sum']],
  [{ id: 'mean', params: ['input', 'dim', 'keepdim'], framework: T }, ['torch.mean', 'tf.reduce_mean', 'K.mean', 'kops.mean']],
  [{ id: 'reshape', params: ['input', 'shape'], framework: T }, ['torch.reshape', 'tf.reshape', 'K.reshape', 'kops.reshape']],
  [{ id: 'squeeze', params: ['input', 'dim'], framework: T }, ['torch.squeeze', 'tf.squeeze', 'kops.squeeze']],
  [{ id: 'unsqueeze', params: ['input', 'dim'], framework: T }, ['torch.unsqueeze', 'tf.expand_dims', 'K.expand_dims', 'kops.expand_dims']],
  [{ id: 'cast', params: ['input', 'dtype'], framework: T }, ['tf.cast', 'K.cast', 'kops.cast']],
  [{ id: 'tensor', params: ['data'], framework: T }, ['torch.tensor', 'torch.as_tensor', 'torch.Tensor', 'torch.FloatTensor', 'tf.constant', 'tf.convert_to_tensor', 'K.constant']],
  [{ id: 'arange', params: ['end'], framework: T }, ['torch.arange', 'tf.range']],
  [{ id: 'ones_like', params: ['input'], framework: T }, ['torch.ones_like', 'tf.ones_like', 'K.ones_like']],
  [{ id: 'zeros_like', params: ['input'], framework: T }, ['torch.zeros_like', 'tf.zeros_like', 'K.zeros_like']],
  [{ id: 'cross_entropy', params: CE_PARAMS, defaults: { reduction: 'mean' }, framework: T }, ['F.cross_entropy']],
  [{ id: 'nll_loss', params: CE_PARAMS.slice(0, 7), defaults: { reduction: 'mean' }, framework: T }, ['F.nll_loss']],
  [{ id: 'binary_cross_entropy', params: BCE_PARAMS, defaults: { reduction: 'mean' }, framework: T }, ['F.binary_cross_entropy']],
  [{ id: 'binary_cross_entropy_with_logits', params: [...BCE_PARAMS, 'pos_weight'], defaults: { reduction: 'mean' }, framework: T }, ['F.binary_cross_entropy_with_logits']],
  [{ id: 'tf_sigmoid_ce_with_logits', params: ['labels', 'input'], framework: 'tf' }, ['tf.nn.sigmoid_cross_entropy_with_logits']],
  [{ id: 'tf_softmax_ce_with_logits', params: ['labels', 'input', 'dim'], framework: 'tf' }, ['tf.nn.softmax_cross_entropy_with_logits', 'tf.nn.softmax_cross_entropy_with_logits_v2']],
  [{ id: 'tf_sparse_softmax_ce_with_logits', params: ['labels', 'input'], framework: 'tf' }, ['tf.nn.sparse_softmax_cross_entropy_with_logits']],
  [{ id: 'keras_binary_crossentropy', params: ['y_true', 'y_pred', 'from_logits', 'label_smoothing', 'dim'], defaults: { from_logits: false }, framework: 'keras' }, ['keras.losses.binary_crossentropy', 'keras.metrics.binary_crossentropy']],
  [{ id: 'keras_categorical_crossentropy', params: ['y_true', 'y_pred', 'from_logits', 'label_smoothing', 'dim'], defaults: { from_logits: false }, framework: 'keras' }, ['keras.losses.categorical_crossentropy', 'keras.metrics.categorical_crossentropy']],
  [{ id: 'keras_sparse_categorical_crossentropy', params: ['y_true', 'y_pred', 'from_logits', 'dim'], defaults: { from_logits: false }, framework: 'keras' }, ['keras.losses.sparse_categorical_crossentropy']],
  // Keras backend spells the target first and calls the prediction `output`.
  [{ id: 'keras_binary_crossentropy', params: ['y_true', 'y_pred', 'from_logits'], defaults: { from_logits: false }, framework: 'keras' }, ['K.binary_crossentropy']],
  [{ id: 'keras_categorical_crossentropy', params: ['y_true', 'y_pred', 'from_logits', 'dim'], defaults: { from_logits: false }, framework: 'keras' }, ['K.categorical_crossentropy']],
  [{ id: 'keras_sparse_categorical_crossentropy', params: ['y_true', 'y_pred', 'from_logits', 'dim'], defaults: { from_logits: false }, framework: 'keras' }, ['K.sparse_categorical_crossentropy']],
  [{ id: 'CrossEntropyLoss', params: ['weight', 'size_average', 'ignore_index', 'reduce', 'reduction', 'label_smoothing'], defaults: { reduction: 'mean' }, framework: T, ctor: true }, ['torch.nn.CrossEntropyLoss']],
  [{ id: 'NLLLoss', params: ['weight', 'size_average', 'ignore_index', 'reduce', 'reduction'], defaults: { reduction: 'mean' }, framework: T, ctor: true }, ['torch.nn.NLLLoss']],
  [{ id: 'BCELoss', params: ['weight', 'size_average', 'reduce', 'reduction'], defaults: { reduction: 'mean' }, framework: T, ctor: true }, ['torch.nn.BCELoss']],
  [{ id: 'BCEWithLogitsLoss', params: ['weight', 'size_average', 'reduce', 'reduction', 'pos_weight'], defaults: { reduction: 'mean' }, framework: T, ctor: true }, ['torch.nn.BCEWithLogitsLoss']],
  [{ id: 'KerasBinaryCrossentropy', params: ['from_logits', 'label_smoothing', 'dim', 'reduction'], defaults: { from_logits: false }, framework: 'keras', ctor: true }, ['keras.losses.BinaryCrossentropy']],
  [{ id: 'KerasCategoricalCrossentropy', params: ['from_logits', 'label_smoothing', 'dim', 'reduction'], defaults: { from_logits: false }, framework: 'keras', ctor: true }, ['keras.losses.CategoricalCrossentropy']],
  [{ id: 'KerasSparseCategoricalCrossentropy', params: ['from_logits', 'ignore_class', 'reduction'], defaults: { from_logits: false }, framework: 'keras', ctor: true }, ['keras.losses.SparseCategoricalCrossentropy']],
  [{ id: 'torchvision_sigmoid_focal_loss', params: ['input', 'target', 'alpha', 'gamma', 'reduction'], defaults: { alpha: 0.25, gamma: 2, reduction: 'none' }, framework: 'lib' }, ['torchvision.ops.sigmoid_focal_loss', 'torchvision.ops.focal_loss.sigmoid_focal_loss']],
  [{ id: 'fvcore_sigmoid_focal_loss', params: ['input', 'target', 'alpha', 'gamma', 'reduction'], defaults: { alpha: -1, gamma: 2, reduction: 'none' }, framework: 'lib' }, ['fvcore.nn.sigmoid_focal_loss', 'fvcore.nn.focal_loss.sigmoid_focal_loss']],
  [{ id: 'fvcore_sigmoid_focal_loss_star', params: ['input', 'target', 'alpha', 'gamma', 'reduction'], defaults: { alpha: -1, gamma: 1, reduction: 'none' }, framework: 'lib' }, ['fvcore.nn.sigmoid_focal_loss_star', 'fvcore.nn.focal_loss.sigmoid_focal_loss_star']],
  [{ id: 'kornia_focal_loss', params: ['input', 'target', 'alpha', 'gamma', 'reduction', 'eps', 'weight'], defaults: { alpha: null, gamma: 2, reduction: 'none' }, framework: 'lib' }, ['kornia.losses.focal_loss', 'kornia.losses.focal.focal_loss']],
  [{ id: 'KorniaFocalLoss', params: ['alpha', 'gamma', 'reduction', 'eps', 'weight'], defaults: { gamma: 2, reduction: 'none' }, framework: 'lib', ctor: true }, ['kornia.losses.FocalLoss', 'kornia.losses.focal.FocalLoss']],
  [{ id: 'SmpFocalLoss', params: ['mode', 'alpha', 'gamma', 'ignore_index', 'reduction', 'normalized', 'reduced_threshold'], defaults: { alpha: null, gamma: 2, reduction: 'mean' }, framework: 'lib', ctor: true }, ['segmentation_models_pytorch.losses.FocalLoss']],
  [{ id: 'MonaiFocalLoss', params: ['include_background', 'to_onehot_y', 'gamma', 'alpha', 'weight', 'reduction', 'use_softmax'], defaults: { gamma: 2, alpha: null, use_softmax: false, reduction: 'mean' }, framework: 'lib', ctor: true }, ['monai.losses.FocalLoss', 'monai.losses.focal_loss.FocalLoss']],
  [{ id: 'mmcv_sigmoid_focal_loss', params: ['input', 'target', 'gamma', 'alpha', 'weight', 'reduction'], defaults: { gamma: 2, alpha: 0.25, reduction: 'mean' }, framework: 'lib' }, ['mmcv.ops.sigmoid_focal_loss']],
  [{ id: 'mmcv_softmax_focal_loss', params: ['input', 'target', 'gamma', 'alpha', 'weight', 'reduction'], defaults: { gamma: 2, alpha: 0.25, reduction: 'mean' }, framework: 'lib' }, ['mmcv.ops.softmax_focal_loss']],
  [{ id: 'keras_binary_focal_crossentropy', params: ['y_true', 'y_pred', 'apply_class_balancing', 'alpha', 'gamma', 'from_logits', 'label_smoothing', 'dim'], defaults: { apply_class_balancing: false, alpha: 0.25, gamma: 2, from_logits: false }, framework: 'keras' }, ['keras.losses.binary_focal_crossentropy', 'keras.metrics.binary_focal_crossentropy']],
  [{ id: 'keras_categorical_focal_crossentropy', params: ['y_true', 'y_pred', 'alpha', 'gamma', 'from_logits', 'label_smoothing', 'dim'], defaults: { alpha: 0.25, gamma: 2, from_logits: false }, framework: 'keras' }, ['keras.losses.categorical_focal_crossentropy']],
  [{ id: 'KerasBinaryFocalCrossentropy', params: ['apply_class_balancing', 'alpha', 'gamma', 'from_logits', 'label_smoothing', 'dim', 'reduction'], defaults: { apply_class_balancing: false, alpha: 0.25, gamma: 2, from_logits: false }, framework: 'keras', ctor: true }, ['keras.losses.BinaryFocalCrossentropy']],
  [{ id: 'KerasCategoricalFocalCrossentropy', params: ['alpha', 'gamma', 'from_logits', 'label_smoothing', 'dim', 'reduction'], defaults: { alpha: 0.25, gamma: 2, from_logits: false }, framework: 'keras', ctor: true }, ['keras.losses.CategoricalFocalCrossentropy']],
  [{ id: 'TfaSigmoidFocalCrossEntropy', params: ['from_logits', 'alpha', 'gamma', 'reduction'], defaults: { from_logits: false, alpha: 0.25, gamma: 2 }, framework: 'lib', ctor: true }, ['tensorflow_addons.losses.SigmoidFocalCrossEntropy']],
  [{ id: 'tfa_sigmoid_focal_crossentropy', params: ['y_true', 'y_pred', 'alpha', 'gamma', 'from_logits'], defaults: { from_logits: false, alpha: 0.25, gamma: 2 }, framework: 'lib' }, ['tensorflow_addons.losses.sigmoid_focal_crossentropy']],
];

/** Tensor methods (`x.sigmoid()`, `t.pow(g)`, ...): the receiver is the first parameter. */
const METHODS: Record<string, OpSpec> = {
  sigmoid: { id: 'sigmoid', params: ['input'], framework: T },
  softmax: { id: 'softmax', params: ['input', 'dim'], defaults: { dim: -1 }, framework: T },
  log_softmax: { id: 'log_softmax', params: ['input', 'dim'], defaults: { dim: -1 }, framework: T },
  exp: { id: 'exp', params: ['input'], framework: T },
  log: { id: 'log', params: ['input'], framework: T },
  log1p: { id: 'log1p', params: ['input'], framework: T },
  sqrt: { id: 'sqrt', params: ['input'], framework: T },
  abs: { id: 'abs', params: ['input'], framework: T },
  neg: { id: 'neg', params: ['input'], framework: T },
  pow: { id: 'pow', params: ['input', 'exponent'], framework: T },
  clamp: { id: 'clamp', params: ['input', 'min', 'max'], framework: T },
  clip: { id: 'clamp', params: ['input', 'min', 'max'], framework: T },
  clamp_min: { id: 'clamp', params: ['input', 'min'], framework: T },
  clamp_max: { id: 'clamp', params: ['input', 'max'], framework: T },
  gather: { id: 'gather', params: ['input', 'dim', 'index'], framework: T },
  sum: { id: 'sum', params: ['input', 'dim', 'keepdim'], framework: T },
  mean: { id: 'mean', params: ['input', 'dim', 'keepdim'], framework: T },
  view: { id: 'reshape', params: ['input', 'shape'], framework: T },
  reshape: { id: 'reshape', params: ['input', 'shape'], framework: T },
  view_as: { id: 'reshape', params: ['input', 'other'], framework: T },
  squeeze: { id: 'squeeze', params: ['input', 'dim'], framework: T },
  unsqueeze: { id: 'unsqueeze', params: ['input', 'dim'], framework: T },
  float: { id: 'cast', params: ['input'], framework: T },
  double: { id: 'cast', params: ['input'], framework: T },
  long: { id: 'cast', params: ['input'], framework: T },
  type: { id: 'cast', params: ['input', 'dtype'], framework: T },
  type_as: { id: 'cast', params: ['input', 'other'], framework: T },
  to: { id: 'cast', params: ['input', 'dtype'], framework: T },
  detach: { id: 'detach', params: ['input'], framework: T },
  permute: { id: 'reshape', params: ['input'], framework: T },
  transpose: { id: 'reshape', params: ['input'], framework: T },
  flatten: { id: 'reshape', params: ['input'], framework: T },
  expand_as: { id: 'reshape', params: ['input', 'other'], framework: T },
  clone: { id: 'detach', params: ['input'], framework: T },
  cpu: { id: 'detach', params: ['input'], framework: T },
  cuda: { id: 'detach', params: ['input'], framework: T },
  contiguous: { id: 'detach', params: ['input'], framework: T },
};

/** Folds module prefixes so each op is listed once per framework. */
const NORMALIZE_RULES: [string, string][] = [
  ['torch.nn.functional.', 'F.'],
  ['torch.special.', 'torch.'],
  ['tensorflow.keras.backend.', 'K.'],
  ['tensorflow.keras.', 'keras.'],
  ['tensorflow.compat.v1.', 'tf.'],
  ['tensorflow.compat.v2.', 'tf.'],
  ['tensorflow.math.', 'tf.'],
  ['tensorflow.', 'tf.'],
  ['keras.src.', 'keras.'],
  ['keras.backend.', 'K.'],
  ['keras.ops.', 'kops.'],
  ['tf.keras.backend.', 'K.'],
  ['tf.keras.', 'keras.'],
  ['torch.nn.modules.loss.', 'torch.nn.'],
];

export function normalize(name: string): string {
  let n = name;
  for (const [from, to] of NORMALIZE_RULES) {
    if (n.startsWith(from)) n = to + n.slice(from.length);
  }
  return n;
}

const BY_NAME = new Map<string, OpSpec>();
for (const [spec, names] of TABLE) for (const n of names) BY_NAME.set(n, spec);

export function qualifiedOp(callee: string): OpSpec | undefined {
  return BY_NAME.get(normalize(callee));
}

/**
 * Every spelling that resolves to an op, for core/prefilter.ts: the canonical dotted names of the
 * table, the prefixes `normalize` rewrites, and the tensor methods with the op each denotes.
 */
export function opSpellings(): { qualified: string[]; prefixes: string[]; methods: [string, OpId][] } {
  return {
    qualified: [...BY_NAME.keys()],
    prefixes: NORMALIZE_RULES.map(([from]) => from),
    methods: Object.entries(METHODS).map(([name, spec]) => [name, spec.id]),
  };
}

/**
 * Tensor methods that take no arguments (`x.log()`, `x.sigmoid()`): a call of one of these names
 * with anything between its parentheses (`logger.log(level, msg)`, `self.log(x)`) is some other
 * object's method, not the op. The IR (ir.ts `callAt`) and the prefilter (prefilter.ts) both decide
 * this with `emptyCallAfter` on the text that follows the method's name, so they always agree.
 */
export const NO_ARGUMENT_METHODS: ReadonlySet<string> = new Set(['sigmoid', 'log', 'exp', 'log1p', 'sqrt', 'abs', 'neg']);

/**
 * Whether `text` from `at` (just after a method's name) reads `(` `)` with only whitespace, line
 * continuations and comments around and between them. A missing or extra token answers false.
 */
export function emptyCallAfter(text: string, at: number): boolean {
  let i = skipExtras(text, at);
  if (text.charCodeAt(i) !== 40) return false; // (
  i = skipExtras(text, i + 1);
  return text.charCodeAt(i) === 41; // )
}

function skipExtras(text: string, at: number): number {
  let i = at;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) i++;
    else if (c === 92 && (text.charCodeAt(i + 1) === 10 || text.charCodeAt(i + 1) === 13)) i += 2; // \ newline
    else if (c === 35) {
      // # comment, to the end of the line
      while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
    } else break;
  }
  return i;
}

export function methodOp(name: string): OpSpec | undefined {
  return Object.prototype.hasOwnProperty.call(METHODS, name) ? METHODS[name] : undefined;
}

/** Binds positional and keyword arguments to the op's parameter names. */
export function bindOp(op: OpSpec, args: Expr[], kwargs: Record<string, Expr>): Record<string, Expr> {
  const out: Record<string, Expr> = {};
  args.forEach((a, i) => {
    if (i < op.params.length) out[op.params[i]] = a;
  });
  for (const [k, v] of Object.entries(kwargs)) {
    const name = op.params.includes(k) ? k : KW_ALIASES[k] && op.params.includes(KW_ALIASES[k]) ? KW_ALIASES[k] : k;
    out[name] = v;
  }
  // Keras spells the prediction `y_pred` and TF the labels `labels`; callers use `input` and `target`.
  if (out.y_pred && !out.input) out.input = out.y_pred;
  if (out.y_true && !out.target) out.target = out.y_true;
  if (out.labels && !out.target) out.target = out.labels;
  if (out.output && !out.input) out.input = out.output;
  return out;
}

/** Op ids whose first input must be logits. */
export const EXPECTS_LOGITS: ReadonlySet<OpId> = new Set<OpId>([
  'cross_entropy',
  'binary_cross_entropy_with_logits',
  'tf_sigmoid_ce_with_logits',
  'tf_softmax_ce_with_logits',
  'tf_sparse_softmax_ce_with_logits',
  'torchvision_sigmoid_focal_loss',
  'fvcore_sigmoid_focal_loss',
  'fvcore_sigmoid_focal_loss_star',
  'kornia_focal_loss',
  'mmcv_sigmoid_focal_loss',
  'mmcv_softmax_focal_loss',
]);
