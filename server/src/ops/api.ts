/**
 * The shape of an op entry, and the two interfaces through which the interpreters run it.
 *
 * An op (one per operation, whatever the framework) is declared once (ops/table/*.ts) with
 *   - its spellings in every framework, each with that framework's own signature (parameter names,
 *     order, defaults) folded onto the op's canonical parameter names (signature.ts),
 *   - what a value passed to each parameter must be (`expects`: evidence from use),
 *   - the facts the rules read of a loss (`loss`),
 *   - its abstract meaning (`abstract`, run by core/interp.ts over the lattice),
 *   - its concrete lowering (`lower`, run by numeric/eval.ts on tensors).
 * This file imports types only: an entry computes on tensors through the `Kernels` the concrete
 * interpreter hands it, so loading the table never loads TensorFlow.js.
 */
import type { Call, Span } from '../core/ir-types';
import type { AbsValue } from '../core/lattice';

export type Framework = 'torch' | 'tf' | 'keras' | 'jax' | 'numpy' | 'lib';

/** A Python literal as a default value. */
export type PyLiteral = number | string | boolean | null;

export interface SigParam {
  /** The framework's own name: what a keyword argument spells. */
  name: string;
  /** Other keyword names the framework accepts for it (other versions: `torch.where(condition, x, y)` before 2.0). */
  aliases?: string[];
  /** The op's canonical name, which both interpreters read. */
  canon: string;
  hasDefault: boolean;
  default?: PyLiteral;
  /** A default that is not a simple literal (`torch.float32`), as written. */
  raw?: string;
  /** `positional`: positional or keyword; `keyword`: keyword-only (after `*`); `varargs`: `*shape`; `posonly`: before `/`. */
  kind: 'positional' | 'keyword' | 'varargs' | 'posonly' | 'kwargs';
}

export interface Signature {
  params: readonly SigParam[];
}

export type SpellingKind = 'function' | 'method' | 'module';

/** One way to write an op: a function, a tensor method, or a class whose instances apply it. */
export interface Spelling {
  /** `torch.nn.functional.softmax`; `Tensor.softmax` for a method; `torch.nn.Softmax` for a module. */
  readonly name: string;
  readonly kind: SpellingKind;
  readonly framework: Framework;
  /** The function's or method's signature (the receiver excluded); for a module, its constructor's. */
  readonly sig: Signature;
  /** For a module: the signature of a call of the instance (`(input)`, `(input, target)`, `(y_true, y_pred)`). */
  readonly callSig?: Signature;
  /** For a method: the canonical parameter the receiver binds to (`input` unless said otherwise). */
  readonly receiver?: string;
  /** Canonical parameter -> default, over the signature(s). */
  readonly defaults: Readonly<Record<string, PyLiteral>>;
  readonly op: OpDef;
}

/**
 * What a value passed to a parameter must be, as evidence of what the caller's value is (a parameter
 * fed to `sigmoid` holds logits). `strong` overrides weaker evidence found earlier (an index is an index).
 * `flag`: decided by a boolean argument (Keras `from_logits`): `yes` when true, `no` when false.
 */
export type ExpectKind = 'logits' | 'prob' | 'target' | 'target_index' | 'target_onehot';
export type Expect =
  | ExpectKind
  | { kind: ExpectKind; strong: true }
  | { flag: string; yes: ExpectKind; no: ExpectKind }
  /** `kind`, unless a bound argument is a number known here outside `within` (a clamp to [-50, 50] is not of a probability). */
  | { kind: ExpectKind; within: readonly [number, number]; bounds: readonly string[] };

/** What the rules know of a loss op (a cross-entropy or a library focal loss). */
export interface LossFacts {
  /** `sigmoid`: per element (binary or multi-label); `softmax`: one class per sample. */
  act: 'sigmoid' | 'softmax';
  /** What the prediction must hold: `flag` when `from_logits` decides (Keras). */
  input: 'logits' | 'prob' | 'logprob' | 'flag';
  /** How targets are encoded: class indices, one-hot rows, binary / soft labels per element. */
  target: 'index' | 'onehot' | 'binary';
  /**
   * When a string argument chooses the encoding (segmentation_models_pytorch's `mode`: class indices
   * for "multiclass", per-element labels for "binary" and "multilabel"): the encoding per value. While
   * that argument's value is not known, no rule assumes one (`target` is then not read).
   */
  targetBy?: { param: string; values: Record<string, 'index' | 'onehot' | 'binary'> };
  focal?: {
    /** How alpha weighs: alpha_t (positives vs negatives), one scalar on every class, a `[1 - a, a, ...]` background split, per class. */
    alpha: 'alpha_t' | 'scalar_all' | 'background' | 'per_class';
    /** Whether gamma < 1 is safe (a clamp or log-space factor inside the library). */
    gammaGuard: boolean;
    /** Alpha is applied only when this flag is true (Keras `apply_class_balancing`). */
    alphaFlag?: string;
  };
}

/** What the abstract interpreter hands an op's `abstract`. */
export interface AbsCtx {
  readonly call: Call;
  readonly spelling: Spelling;
  readonly span: Span;
  /** The value of the argument bound to canonical parameter `p`, when one was passed. */
  arg(p: string): AbsValue | undefined;
  /** Whether an argument was passed for `p`. */
  has(p: string): boolean;
  /** A string argument, else the spelling's default. */
  str(p: string): string | undefined;
  /** A boolean argument, else the spelling's default. */
  flag(p: string): boolean | undefined;
  /** A number argument with one known value, else the spelling's default. */
  num(p: string): number | undefined;
  /** The interpreter's lattice operations, for ops that are arithmetic in disguise. */
  readonly L: LatticeOps;
}

export interface LatticeOps {
  neg(a: AbsValue, span: Span): AbsValue;
  pow(base: AbsValue, exponent: AbsValue, span: Span): AbsValue;
  binop(op: string, a: AbsValue, b: AbsValue, span: Span): AbsValue;
  compare(ops: string[], vals: AbsValue[], span: Span): AbsValue;
  /** The value of `x` taken at each sample's target class. */
  gathered(x: AbsValue, span: Span): AbsValue;
  /** A per-class modulating factor (or a focal term holding one) applied to one side of the targets (algebra.ts placeOn). */
  placeOn(x: AbsValue, side: 'pos' | 'neg' | 'target'): AbsValue;
  /** A loss term on the positives and one on the negatives, as one loss (algebra.ts sideTerms); undefined unless both are loss terms. */
  sideTerms(pos: AbsValue, neg: AbsValue, span: Span): AbsValue | undefined;
  /** A reduction (`sum`/`mean`) of `x`, over `dim` when given. */
  reduce(x: AbsValue, dim: AbsValue | undefined, span: Span, how: 'sum' | 'mean'): AbsValue;
  /** A module value (a layer, a loss object) applied to arguments by canonical name, over its constructor's. */
  applyModule(m: AbsValue, args: Record<string, AbsValue>, span: Span): AbsValue;
}

// --- the concrete side -------------------------------------------------------------------------

/** A tensor of the concrete interpreter, opaque here. */
export interface Tensor {
  readonly shape: number[];
  readonly size: number;
}

/** PyTorch-style dtype classes (tfjs has float32, int32 and bool). */
export type DType = 'float' | 'int' | 'bool';

/** A runtime value of the concrete interpreter (numeric/values.ts instantiates it with tfjs tensors). */
export type ValOf<X> =
  | { t: 'tensor'; x: X; dt: DType }
  | { t: 'num'; v: number; int: boolean }
  | { t: 'bool'; v: boolean }
  | { t: 'str'; v: string }
  | { t: 'none' }
  | { t: 'list'; items: ValOf<X>[]; tuple: boolean }
  | { t: 'dtype'; dt: DType }
  | { t: 'device' }
  /** A context manager (`with torch.no_grad():`): `grad` is the grad mode its body runs in, when it sets one. */
  | { t: 'ctx'; grad?: boolean };

export type CVal = ValOf<Tensor>;
export type CTensor = { t: 'tensor'; x: Tensor; dt: DType };

/**
 * Tensor kernels with PyTorch's semantics (forward values and backward formulas), implemented by
 * numeric/kernels.ts. Axes are non-negative and in range when they reach a kernel.
 */
export interface Kernels {
  sigmoid(x: Tensor): Tensor;
  logsigmoid(x: Tensor): Tensor;
  softplus(x: Tensor, beta: number, threshold: number): Tensor;
  softmax(x: Tensor, axis: number): Tensor;
  logSoftmax(x: Tensor, axis: number): Tensor;
  logsumexp(x: Tensor, axes: number[], keepdim: boolean): Tensor;
  exp(x: Tensor): Tensor;
  log(x: Tensor): Tensor;
  log1p(x: Tensor): Tensor;
  expm1(x: Tensor): Tensor;
  sqrt(x: Tensor): Tensor;
  abs(x: Tensor): Tensor;
  neg(x: Tensor): Tensor;
  clamp(x: Tensor, min?: number, max?: number): Tensor;
  clampTensor(x: Tensor, min?: Tensor, max?: Tensor): Tensor;
  maximum(a: Tensor, b: Tensor): Tensor;
  /** atan2(a, b): the angle of (b, a), elementwise (same shapes). */
  atan2(a: Tensor, b: Tensor): Tensor;
  minimum(a: Tensor, b: Tensor): Tensor;
  where(cond: Tensor, a: Tensor, b: Tensor): Tensor;
  gatherDim(x: Tensor, dim: number, index: Tensor): Tensor;
  /** `x[indices...]` on the leading axes (advanced indexing). */
  gatherAdvanced(x: Tensor, indices: Tensor[]): Tensor;
  /** `x.index_select(axis, index)` / `tf.gather(x, index, axis)`. */
  take(x: Tensor, index: Tensor, axis: number): Tensor;
  /** Tensors of one shape but along `axis`, joined along it. */
  concat(xs: Tensor[], axis: number): Tensor;
  /** Tensors of one shape, stacked along a new `axis`. */
  stack(xs: Tensor[], axis: number): Tensor;
  oneHot(index: Tensor, depth: number, dt: DType): Tensor;
  sum(x: Tensor, axes: number[] | undefined, keepdim: boolean): Tensor;
  mean(x: Tensor, axes: number[] | undefined, keepdim: boolean): Tensor;
  max(x: Tensor, axes: number[] | undefined, keepdim: boolean): Tensor;
  min(x: Tensor, axes: number[] | undefined, keepdim: boolean): Tensor;
  argmax(x: Tensor, axis: number | undefined): Tensor;
  reshape(x: Tensor, shape: number[]): Tensor;
  squeeze(x: Tensor, axes?: number[]): Tensor;
  expandDims(x: Tensor, axis: number): Tensor;
  transpose(x: Tensor, perm?: number[]): Tensor;
  broadcastTo(x: Tensor, shape: number[]): Tensor;
  broadcastShape(a: number[], b: number[]): number[];
  cast(x: Tensor, dt: DType): Tensor;
  detach(x: Tensor): Tensor;
  fill(shape: number[], value: number, dt: DType): Tensor;
  range(start: number, stop: number, step: number, dt: DType): Tensor;
  eye(n: number, dt: DType): Tensor;
  fromData(flat: number[], shape: number[], dt: DType): Tensor;
  data(x: Tensor): ArrayLike<number>;
  /** `out = x` with `out[.., index[..], ..] = src` along `dim` (torch.scatter). */
  scatter(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor;
  bceWithLogits(x: Tensor, t: Tensor, posWeight?: Tensor): Tensor;
  /** `-(t log p + (1 - t) log(1 - p))` with PyTorch's clamp of each log at -100 and its backward. */
  bceProbs(p: Tensor, t: Tensor): Tensor;
  /** `max(x, 0)` with PyTorch's backward (0 at x = 0). */
  relu(x: Tensor): Tensor;
  tanh(x: Tensor): Tensor;
  /** Elementwise trigonometry (ops/table/pieces.ts), with the frameworks' gradients (asin's and acos's infinite at ±1). */
  trig(x: Tensor, fn: 'sin' | 'cos' | 'tan' | 'asin' | 'acos' | 'atan'): Tensor;
  /** Elementwise math with PyTorch's (zero) gradients: `sign`, `floor`, `ceil`, `round` (half to even). */
  step(x: Tensor, fn: 'sign' | 'floor' | 'ceil' | 'round'): Tensor;
  /** Boolean tests of float values (no gradient flows through them). */
  isnan(x: Tensor): Tensor;
  isinf(x: Tensor): Tensor;
  isfinite(x: Tensor): Tensor;
  logical(op: 'and' | 'or' | 'xor', a: Tensor, b: Tensor): Tensor;
  logicalNot(x: Tensor): Tensor;
  cumsum(x: Tensor, axis: number): Tensor;
  prod(x: Tensor, axes: number[] | undefined, keepdim: boolean): Tensor;
  any(x: Tensor, axes: number[] | undefined, keepdim: boolean): Tensor;
  all(x: Tensor, axes: number[] | undefined, keepdim: boolean): Tensor;
  /** TensorFlow's conv2d of NHWC input with an [h, w, in, out] filter. */
  conv2d(x: Tensor, filter: Tensor, strides: [number, number], padding: 'same' | 'valid', dilations: [number, number]): Tensor;
  /** Matrix product of two tensors of rank >= 2 with the same leading (batch) axes. */
  matmul(a: Tensor, b: Tensor): Tensor;
  /** The elements of `x` at flat (row-major) positions, in the positions' shape; gradient scattered back (a sum over repeats). */
  gatherFlat(x: Tensor, flat: Tensor): Tensor;
}

/** What the concrete interpreter hands an op's `lower`. Its helpers throw `Unsupported` / `EvalError` as the evaluator does. */
export interface LowerCtx {
  readonly k: Kernels;
  readonly call: Call;
  readonly spelling: Spelling;
  /** The callee as written, for messages. */
  readonly name: string;
  readonly line: number;
  /** Whether an argument was passed for `p`. */
  has(p: string): boolean;
  /** The argument bound to `p` (evaluated), else the spelling's default as a value, else undefined. */
  value(p: string): CVal | undefined;
  /** A required tensor argument (numbers and lists become tensors). */
  tensor(p: string): CTensor;
  /** A required tensor argument cast to float. */
  float(p: string): CTensor;
  /** A Python number (or bool) argument / default; `undefined` when absent or None; Unsupported when a tensor. */
  num(p: string): number | undefined;
  str(p: string): string | undefined;
  flag(p: string): boolean | undefined;
  /** A dim argument or default, normalised against `rank` (negative dims count from the end). */
  dim(p: string, rank: number): number | undefined;
  /** One dim or a list of dims. */
  dims(p: string, rank: number): number[] | undefined;
  /** A shape: a list of ints, or the varargs of `zeros(2, 3)`. */
  shape(p: string): number[];
  /** Wraps a kernel result, checking the element cap. */
  out(x: Tensor, dt?: DType): CVal;
  toTensor(v: CVal): CTensor;
  cast(v: CTensor, dt: DType): CTensor;
  promote(a: CTensor, b: CTensor, arith?: boolean): [CTensor, CTensor];
  /** Python/tensor arithmetic as the evaluator does it (`+ - * / ** //`). */
  binop(op: string, a: CVal, b: CVal): CVal;
  /** A tensor comparison (`== != < <= > >=`). */
  compare(op: string, a: CVal, b: CVal): CVal;
  /** Whether the argument bound to `p` is a tensor computed from the probe's logits (PyTorch: requires_grad). */
  requiresGrad(p: string): boolean;
  /** Turns autograd on or off from here on (`torch.set_grad_enabled(False)` called as a statement; a `with` restores it after its body). */
  setGradEnabled(on: boolean): void;
  /**
   * The values of a random draw of `shape` (row-major) from the probe's seeded stream
   * (numeric/draws.ts), recorded in call order under this call's spelling for the repro script;
   * unsupported where no stream is given. `key`: a JAX key's words (`jax.random.normal(key, ...)`):
   * the values then depend on the key alone (within the probe), as JAX's do, never on the draws before.
   */
  draw(shape: number[], d: RandomDraw, key?: readonly number[]): number[];
  unsupported(what: string): never;
  error(message: string): never;
}

/**
 * What a random op draws (numeric/draws.ts holds the algorithms): uniform in [low, high), normal,
 * normal truncated at 2 standard deviations, integers in [low, high), a permutation of
 * range(shape[0]), 0/1 with probability p (one per element, or one for all).
 */
export type RandomDraw =
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'normal'; mean: number; std: number }
  | { kind: 'truncated'; mean: number; std: number }
  | { kind: 'int'; low: number; high: number }
  | { kind: 'perm' }
  | { kind: 'bernoulli'; p: ArrayLike<number> | number };

export interface OpDef {
  readonly id: string;
  /** One line: what the op computes. */
  readonly summary: string;
  /** Function and method spellings (`torch.sigmoid(input, *, out=None)`, `Tensor.sigmoid()`), see signature.ts. */
  readonly spell: readonly string[];
  /** Module spellings: `torch.nn.Softmax(dim=None)(input)` (constructor, then the instance's call). */
  readonly modules?: readonly string[];
  /** Evidence from use: what a value passed to each canonical parameter must hold. */
  readonly expects?: Readonly<Record<string, Expect>>;
  /**
   * Evidence through this op (core/interp.ts `roles`): a use of its result as a probability is a use of
   * its `input` as one (`input`: a clamp, a gather), or, for a reduction over an axis of a product,
   * of the factor that is not the target mask (`selection`: `(onehot * p).sum(1)` is p at the target).
   */
  readonly evidence?: 'input' | 'selection';
  /** The facts the rules read of a loss op. */
  readonly loss?: LossFacts;
  /**
   * Whether the op can give a value one of the meanings outside the prefilter's closed set from
   * arguments inside it (core/prefilter.ts Lemma 1): activations, logs, clamps, exp, log-sum-exp, sums.
   * Losses and ops whose `expects` ask for a probability are creating without the mark
   * (prefilter.ts `isCreatingOp`); test/core/creating-ops.test.ts runs every other op on closed values.
   */
  readonly creating?: boolean;
  /**
   * The Python operator this op spells (`torch.mul(a, b)`, `tf.multiply(a, b)` are `a * b`): its
   * `input` and `other` are the operands. Rules that read the shape of a formula (a product's factors)
   * read these calls as they read the operator.
   */
  readonly operator?: '+' | '-' | '*' | '/';
  /**
   * Its tensor methods have PyTorch's in-place form: `x.abs_()` is `x.abs()` written back into `x`
   * (the result keeps `x`'s dtype, and a result PyTorch cannot cast to it is an error). ops/index.ts
   * spells `Tensor.m_` for every method spelling `Tensor.m` of the op, with the same signature;
   * test/ops/torch-signatures.test.ts checks that torch has each of them.
   */
  readonly inplace?: boolean;
  /**
   * It draws random values (`LowerCtx.draw`): a call's arguments are evaluated in source order
   * before it draws where the module draws at all, so that the draws come in Python's order.
   */
  readonly draws?: true;
  /** The rank its input must have, where the op takes no other (tf.image.sobel_edges: an image batch, 4); numeric/shape-facts.ts lays the probes out so. */
  readonly inputRank?: number;
  /** The abstract meaning (core/interp.ts). Without it the result is `unknown`. */
  abstract?(cx: AbsCtx): AbsValue;
  /**
   * The per-sample layout of the result (core/layout.ts, LL117): `v` is what `abstract` returned; the
   * function returns it with its layout set (`withLayout`). Without it the result's layout is what
   * `abstract` gave it.
   */
  layout?(cx: AbsCtx, v: AbsValue): AbsValue;
  /** The concrete lowering (numeric/eval.ts). Without it the numeric check says "unsupported". */
  lower?(cx: LowerCtx): CVal;
}

/** Declares an op (the table's entries are plain objects checked by this type). */
export function defineOp(def: OpDef): OpDef {
  return def;
}
