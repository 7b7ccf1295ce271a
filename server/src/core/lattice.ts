/**
 * The abstract domain: what a value means in a loss computation, and what is known of its range.
 *
 * Each value the abstract interpreter meets gets a `Meaning` (logits, probabilities, pt, ...) and,
 * where it is known, an interval of its elements (tensors) or its value (scalars), plus the finite
 * set of values a hyperparameter can take (a default joined with the literals at call sites).
 * Rules are predicates on these values.
 */
import type { FunctionIR, Span } from './ir-types';
import type { OpDef, Spelling } from '../ops/api';

export type Meaning =
  | 'unknown'
  | 'scalar'
  | 'string'
  | 'bool'
  | 'none'
  | 'logits'
  /** Probabilities from a sigmoid or a softmax (`act`). `gathered` when taken at the target class. */
  | 'prob'
  /** Log-probabilities; `gathered` when taken at the target (log pt, which is -CE). */
  | 'logprob'
  /** Cross-entropy: per element (sigmoid/BCE), per sample (softmax), or `reduced` over the batch. */
  | 'ce'
  /** The probability of the true class, p_t. */
  | 'pt'
  /** 1 - p_t, or 1 - p for a sigmoid probability. */
  | 'one_minus_pt'
  /** (1 - p_t) ** gamma, or its log-space form exp(gamma * log(1 - p_t)). */
  | 'modulating'
  /** alpha * t + (1 - alpha) * (1 - t). */
  | 'alpha_t'
  /** A per-class weight vector (a list or tensor of numbers), not yet indexed by the target. */
  | 'class_weights'
  /** A per-class alpha gathered at each sample's target. */
  | 'alpha_class'
  | 'target_index'
  | 'target_onehot'
  /** Targets whose encoding (class indices or one-hot / binary) is not known. */
  | 'target'
  /** A product or sum that contains a modulating factor or a cross-entropy term (a focal loss). */
  | 'focal'
  /** A loss module instance (`nn.CrossEntropyLoss(...)`), callable later. */
  | 'module'
  | 'function'
  | 'tuple'
  /** Intermediate: x * mask, kept to recognise p*t + (1-p)*(1-t) and alpha*t + (1-alpha)*(1-t). */
  | 'masked';

export interface Interval {
  lo: number;
  hi: number;
}

export interface FocalParts {
  modulating?: AbsValue;
  /** The cross-entropy (or -log p_t) factor. */
  ce?: AbsValue;
  alpha?: {
    kind: 'scalar' | 'alpha_t' | 'class';
    value: AbsValue;
    span: Span;
    /** A hyperparameter whose value is not known: a scalar or a per-class vector. */
    unknownKind?: boolean;
    /** A per-class vector not indexed by the target. */
    ungathered?: boolean;
    /** For an alpha_t written as two terms: the hyperparameter weighs the negative term, its complement the positive one. */
    onNeg?: boolean;
  };
  /** The additive terms this loss was built from (pos + neg terms of a binary focal loss). */
  terms?: FocalParts[];
  /** Set when the loss comes from a library call (`sigmoid_focal_loss(...)`). */
  library?: OpDef;
}

/** The Python type of a number: `number` when it may be an int or a float. */
export type PyNumber = 'int' | 'float' | 'number';

export interface AbsValue {
  m: Meaning;
  /** Unique per abstract value; patterns such as p*t + (1-p)*(1-t) compare ids, never text. */
  id: number;
  act?: 'sigmoid' | 'softmax';
  /** For ce, pt, logprob, focal: collapsed to one number for the whole batch. */
  reduced?: boolean;
  /** For prob and logprob: taken at the target class (p_t or log p_t). */
  gathered?: boolean;
  /** For pt and one_minus_pt: computed from log-probabilities instead of probabilities. */
  fromLogProb?: boolean;
  /** For one_minus_pt: 1 - p of a softmax probability that was never gathered at the target. */
  ungathered?: boolean;
  /** For modulating: the base and exponent, and whether it is computed in log space. */
  base?: AbsValue;
  exponent?: AbsValue;
  logSpace?: boolean;
  /** Known range of the elements (tensors) or of the value (scalars). */
  range?: Interval;
  /** The finite set of values a scalar can take, when known. */
  values?: number[];
  /** A scalar from a parameter or attribute (a hyperparameter), as opposed to a literal. */
  hyper?: boolean;
  /**
   * For scalars: a Python number, never a tensor (a literal, a default or a call site's literal, its
   * negation, `float(x)`): `int` or `float` as Python types it, `number` when it may be either. What
   * `isinstance` answers on it (interp.ts `isinstanceOf`).
   */
  py?: PyNumber;
  /** The value's elements were clamped or clipped. */
  clamped?: boolean;
  str?: string;
  bool?: boolean;
  focal?: FocalParts;
  /** For module: the spelling of its class and the constructor's bound arguments. */
  module?: { spell: Spelling; args: Record<string, AbsValue> };
  /** For function values (closures). */
  fn?: FunctionIR;
  items?: AbsValue[];
  /** For masked: the masked value and the mask's id; for complements, the id of what was complemented. */
  of?: AbsValue;
  mask?: number;
  /**
   * For modulating: the factor is computed per class, not at the target: `(1 - p) ** g` (`one_minus_p`)
   * or `p ** g` (`p`) of a sigmoid's class-1 probability or of every class of a softmax. Cleared when it
   * is applied to one side of the targets (a mask, a gather, `where(t == 1, ...)`, algebra.ts placeOn).
   */
  perClass?: 'one_minus_p' | 'p';
  /**
   * For modulating: applied where it does not weigh by the true class: `(1 - p) ** g` on the negatives,
   * `p ** g` on the positives, or a per-class factor reduced over the classes.
   */
  misplaced?: 'negatives' | 'positives' | 'classes';
  /** For class_weights (and the alpha_class taken from them): how many weights, one per class, when known. */
  count?: number;
  /** For target_onehot: the number of classes of its rows, when known (`one_hot(t, num_classes=3)`). */
  classCounts?: number[];
  /** For a binary ce against constant targets (`zeros_like(p)`): every element is a negative (`neg`) or a positive. */
  targetSide?: 'pos' | 'neg';
  /**
   * For ce: the per-class (or positive-class) weights it multiplies each term by (`weight=`,
   * `pos_weight=`), a None hyperparameter included. Kept by -ce and exp(-ce): for a pt, exp(-w_t * CE)
   * is p_t ** w_t, not p_t.
   */
  classWeight?: AbsValue;
  /**
   * For alpha_t: the hyperparameter (`of`) weighs the negatives and its complement the positives
   * (`alpha * (1 - t) + (1 - alpha) * t`), the other way round from RetinaNet's alpha_t.
   */
  alphaOnNeg?: boolean;
  /**
   * For class_weights of two entries, one the complement of the other (`[alpha, 1 - alpha]`): the index
   * of the hyperparameter (`of`). Taken at a 0/1 target it is alpha_t, with alpha on the negatives
   * when it is entry 0.
   */
  alphaAt?: 0 | 1;
  /** For unknown: a scalar divided by something not known to be a number (`e / num_classes`), the scalar's id. */
  quotientOf?: number;
  /** For a comparison of a target (`t == 0`, a bool with `of`): it selects the negatives. */
  maskNeg?: boolean;
  /** For masked: when the mask is 1 - t, the id of t. */
  maskComplementOf?: number;
  complementOf?: number;
  /** For scalars: the id of the scalar this one is the negation of. */
  negOf?: number;
  /** For masked log-probabilities: negated (-t * log p). */
  negated?: boolean;
  /** For a sum over an axis: the id of the value summed (to recognise x / x.sum(-1) as a softmax). */
  sumOf?: number;
  /** A prediction of a Keras loss `(y_true, y_pred)`: a probability by Keras's convention (from_logits=False). */
  keras?: boolean;
  /** For pt: built from the binary form p*t + (1-p)*(1-t) or where(t == 1, p, 1 - p). */
  binary?: boolean;
  /** For hyperparameters: the parameter or attribute name it came from. */
  name?: string;
  /** For logprob: multiplied by this scalar (gamma * log(1 - pt)), awaiting exp. */
  scaledBy?: AbsValue;
  /** The dtype class of a tensor, when known (`.long()`, `argmax`, `dtype=torch.int64`). */
  dtype?: 'float' | 'int' | 'bool';
  /**
   * Computed under `detach` / `stop_gradient`, from `.data`, or bound under `torch.no_grad()`: no
   * gradient flows through it. Values computed from a detached one keep it (algebra.ts); where control
   * flow joins, a value is detached only when it is on every path.
   */
  detached?: boolean;
  /** For detached values: where the gradient was cut (the `.detach()` call, the `.data`, the `with` statement). */
  detachSrc?: Span;
  /** A grad-mode context or switch (`torch.no_grad()`, `torch.set_grad_enabled(False)`): whether it turns gradients off or on. */
  gradMode?: 'off' | 'on';
  /** For gradMode: `torch.set_grad_enabled(mode)`, which also takes effect when called as a statement. */
  gradSwitch?: boolean;
  /** For logits: a log-sum-exp over the classes (x - logsumexp(x) is a log-softmax). */
  lse?: boolean;
  /** exp(z): the exponent's value (of logits: an unnormalised probability). */
  expOf?: AbsValue;
  /** 1 + exp(z): the exponent's value (log of it is softplus(z)). */
  onePlusExpOf?: AbsValue;
  /**
   * exp(w) of a tensor, whatever w means: w. Kept apart from `expOf` (which makes activations) for one
   * identity: (1 - exp(w)) ** g * w is the focal loss written in w = log p_t (`expFocal`).
   */
  expArg?: AbsValue;
  /**
   * For unknown: 1 - exp(w) (no exponent yet) or (1 - exp(w)) ** g, possibly scaled by a constant.
   * Multiplied by w itself (a detached copy included: `.data`/`.detach()` keep the id), or by w
   * times a balancing weight (`weightedOf`), it is the focal loss -(1 - p_t) ** g * log p_t with
   * p_t = exp(w) (algebra.ts `mul`), whatever the lattice knew of w before.
   */
  expFocal?: { arg: AbsValue; exponent?: AbsValue };
  /** For unknown: a tensor that is no focal factor, times a balancing weight (`logpt * at`): that tensor and the weight's part. */
  weightedOf?: { value: AbsValue; alpha: NonNullable<FocalParts['alpha']> };
  /** exp(a) + exp(b) of logits (log of it is a log-sum-exp). */
  expSumOfLogits?: boolean;
  /** For logits: an affine combination that involves a target (`x - x * t`): with a softplus added, a BCE with logits. */
  withTarget?: boolean;
  /** For a sum: the summed value was exp of logits (exp(z) / sum(exp(z)) is a softmax). */
  sumExp?: boolean;
  /** The value, or None on some path (a default of None joined with a value a caller passes): `is None` is undecided. */
  orNone?: boolean;
  /** A class of this module, as a value (`Cls`); calling it makes an instance. */
  classRef?: string;
  /** An instance of a class of this module (`Cls(...)`): its attributes, methods and call. */
  instanceOf?: string;
  /** For tuple values built from a dict display: its entries by string key. */
  entries?: Record<string, AbsValue>;
  /** For a list: items appended in a loop or a comprehension (the length is not known). */
  open?: boolean;
  /** A parameter's role learnt from a use inside an `if` branch only (weaker than a convention). */
  inBranch?: boolean;
  /**
   * For such a role: the branches every use it was learnt from lies in (each `if` statement, by the
   * offset where it starts, and its side, outermost first; the statements after an `if` whose body returns are its `else`). The
   * other side of any of them does not see the role (interp.ts).
   */
  branchPath?: { at: number; side: 'body' | 'orelse' }[];
  /** A function value that is an op of the table (`activation=tf.nn.softmax`, `bce = tf.keras.losses.binary_crossentropy`): the op's id and spelling. */
  opRef?: string;
  opSpell?: Spelling;
  /** For `model.compile(...)`: what the compiled model outputs. */
  modelOutput?: AbsValue;
  /**
   * `t - p` or `p - t` of per-element targets and a sigmoid probability (algebra.ts `sub`): its
   * absolute value is 1 - p_t (`|t - sigmoid(x)| ** gamma`, the modulating factor written as a
   * distance; for soft targets, Quality Focal Loss's factor). The probability it was taken from.
   */
  residualOf?: AbsValue;
  /** `torch.finfo(dtype)` / `numpy.finfo(dtype)`: the float format whose limits its attributes are. */
  finfo?: 'float32' | 'float16' | 'bfloat16' | 'float64';
  /** A tensor filled with one value (`zeros`, `ones`, `fill_(0)`). */
  fill?: number;
  /** An identity matrix (its rows at the targets are one-hot). */
  eye?: boolean;
  /** A range (`arange(N)`): indexes every row. */
  arange?: boolean;
  /** A target index over several dimensions (row numbers stacked with the targets), for `gather_nd`. */
  nd?: boolean;
  // --- Facts for the rules LL114-LL118 and LL203-LL205 (each set by an op entry or algebra.ts) ---
  /** For ce: the ignore index its loss call was given (`ignore_index=255`): those targets add 0 to the loss but still count in a mean. */
  ignoreIndex?: { values?: number[]; span: Span };
  /** Elements picked by a boolean mask or an index (`loss[valid]`): a subset, no longer every element. */
  selected?: boolean;
  /**
   * For prob: one column picked by a constant (`probs[:, 0]`), or 1 minus such a column. Which class
   * a column is, is not known here: its focusing factor is not judged as the positive class's p.
   */
  column?: number;
  /** Label smoothing went into this value: a CE with `label_smoothing` > 0, or targets `t * (1 - e) + e / K`. */
  smoothed?: { values?: number[]; span: Span };
  /** For masked: what the mask was (a target, one-hot targets), to recognise smoothed targets. */
  maskMeaning?: Meaning;
  /**
   * The layout of a per-sample tensor relative to the batch axis: `col` is [N, 1, ...] (a class axis kept
   * with size 1: `gather(1, t[:, None])`, `sum(1, keepdim=True)`), `vec` is [N, ...] (the class axis
   * reduced away: a CE with reduction='none', `sum(1)`), `mixed` is [N, N, ...] (a `col` met a `vec`).
   */
  layout?: Layout;
  /** A 1-D tensor (a per-class weight vector made from a flat list): indexing it by [N] targets gives [N]. */
  flat?: boolean;
  /** For a `mixed` layout: the operation where the [N, 1] and [N] operands met. */
  mixedAt?: Span;
  /** A count of positive targets (`(t == 1).sum()`, `(labels > 0).float().sum()`). */
  posCount?: boolean;
  /** For a probability guarded by an added constant (`p + eps`): that constant. */
  addedEps?: { values?: number[]; span: Span };
  /** A clamp's upper bound written below 1 that float32 rounds to 1.0 (`1 - 1e-10`): it keeps nothing from 1. */
  noopMax?: { written: number; span: Span };
  /** A clamp's (or maximum's) lower bound: where the input lies below it, the gradient is zero. */
  floor?: { value?: number; span: Span };
  /** For a parameter whose meaning was learnt from one call's use of it: that call (LL114 reads `byName` there instead). */
  roleFrom?: Span;
  /** For such a parameter: what its name says by convention (`labels`: a target, `logits`, Keras' `y_pred`: a probability). */
  byName?: Meaning;
  /** Stored in a 16-bit float (`.half()`, `.to(torch.bfloat16)`): constants round to it (float16: nothing below 3e-8 but 0, nothing in (1 - 2.4e-4, 1) but 1; bfloat16: nothing in (1 - 2e-3, 1) but 1). */
  lowp?: 'float16' | 'bfloat16';
  /** Where the value was produced. */
  src?: Span;
  /** For a value joined from branches that produced it in different places: each of those places (`src` is the first). */
  joinedFrom?: Span[];
}

export type Layout = 'col' | 'vec' | 'mixed';

let nextId = 1;

export function mk(m: Meaning, props: Partial<AbsValue> = {}): AbsValue {
  return { ...props, m, id: nextId++ };
}

/** Meanings that are no tensor: nothing to detach, to exponentiate or to weigh element by element. */
export const NOT_TENSOR: ReadonlySet<Meaning> = new Set<Meaning>(['scalar', 'string', 'bool', 'none', 'module', 'function', 'tuple']);

export const UNIT: Interval = { lo: 0, hi: 1 };
export const REALS: Interval = { lo: -Infinity, hi: Infinity };

export function unknown(src?: Span): AbsValue {
  return mk('unknown', { src });
}

export function scalarOf(values: number[], props: Partial<AbsValue> = {}): AbsValue {
  const vs = [...new Set(values)].sort((a, b) => a - b).slice(0, 32);
  return mk('scalar', { ...props, values: vs, range: vs.length ? { lo: vs[0], hi: vs[vs.length - 1] } : undefined });
}

export function isScalar(v: AbsValue): boolean {
  return v.m === 'scalar';
}

/** The single known value of a scalar, if there is exactly one. */
export function constValue(v: AbsValue | undefined): number | undefined {
  return v && v.m === 'scalar' && v.values && v.values.length === 1 ? v.values[0] : undefined;
}

// --- interval arithmetic -------------------------------------------------------------------

function fix(x: number): number {
  return Number.isNaN(x) ? 0 : x;
}

export function iAdd(a: Interval, b: Interval): Interval {
  return { lo: fix(a.lo + b.lo), hi: fix(a.hi + b.hi) };
}

export function iNeg(a: Interval): Interval {
  return { lo: -a.hi, hi: -a.lo };
}

export function iSub(a: Interval, b: Interval): Interval {
  return iAdd(a, iNeg(b));
}

export function iMul(a: Interval, b: Interval): Interval {
  const c = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi].map((x) => (Number.isNaN(x) ? 0 : x));
  return { lo: Math.min(...c), hi: Math.max(...c) };
}

export function iMonotone(a: Interval, f: (x: number) => number): Interval {
  return { lo: f(a.lo), hi: f(a.hi) };
}

export function iClamp(a: Interval, min?: number, max?: number): Interval {
  let { lo, hi } = a;
  if (min !== undefined) {
    lo = Math.max(lo, min);
    hi = Math.max(hi, min);
  }
  if (max !== undefined) {
    lo = Math.min(lo, max);
    hi = Math.min(hi, max);
  }
  return { lo, hi };
}

export function iHull(a: Interval, b: Interval): Interval {
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}

/** Applies a binary function to two finite value sets, when both are small. */
export function combineValues(a: number[] | undefined, b: number[] | undefined, f: (x: number, y: number) => number): number[] | undefined {
  if (!a || !b || a.length * b.length > 64) return undefined;
  const out: number[] = [];
  for (const x of a) for (const y of b) out.push(f(x, y));
  return out.every((x) => Number.isFinite(x)) ? out : undefined;
}

/** Whether a scalar may take a value strictly between lo and hi (exclusive). */
export function mayLieIn(v: AbsValue, lo: number, hi: number): boolean | undefined {
  if (v.values && v.values.length) return v.values.some((x) => x > lo && x < hi);
  if (v.range) return v.range.hi > lo && v.range.lo < hi;
  return undefined;
}

/** Place lists `joinPlaces` made: each place in them once. */
const dedupedPlaces = new WeakSet<readonly Span[]>();

/**
 * The places of two joined values, each once (by start and end), in order of first appearance. A
 * parameter joined over hundreds of call sites (one string per `add_docstr(...)` call) keeps every
 * call site's span and each join adds one: a list this function made is known to hold each place
 * once, so only the new places are compared with it (no pass that is quadratic in the list).
 */
export function joinPlaces(xs: readonly Span[], ys: readonly Span[]): Span[] {
  let out: Span[];
  if (ys.length <= 8 && (xs.length <= 1 || dedupedPlaces.has(xs))) {
    out = xs.slice();
    for (const y of ys) {
      let dup = false;
      for (let i = 0; i < out.length && !dup; i++) dup = out[i].s === y.s && out[i].e === y.e;
      if (!dup) out.push(y);
    }
  } else {
    out = [];
    const seen = new Map<number, number[]>();
    const add = (x: Span): void => {
      const ends = seen.get(x.s);
      if (ends === undefined) seen.set(x.s, [x.e]);
      else if (ends.includes(x.e)) return;
      else ends.push(x.e);
      out.push(x);
    };
    for (const x of xs) add(x);
    for (const x of ys) add(x);
  }
  // A list of one place is never kept (`join` keeps two or more).
  if (out.length > 1) dedupedPlaces.add(out);
  return out;
}

/** The Python number type two values may have: the same type, else either. */
export function joinPy(a: PyNumber | undefined, b: PyNumber | undefined): PyNumber | undefined {
  return a && b ? (a === b ? a : 'number') : undefined;
}

/** Least upper bound of two values, used where control flow joins. */
export function join(a: AbsValue, b: AbsValue): AbsValue {
  // The same value (a detached copy keeps its id: it is detached only if both are).
  if (a.id === b.id) return !!a.detached === !!b.detached ? a : a.detached ? b : a;
  if (a.m !== b.m) {
    // One side None: the other value, which may be None (`if x is None` stays undecided).
    if (a.m === 'none') return { ...b, id: nextId++, orNone: true };
    if (b.m === 'none') return { ...a, id: nextId++, orNone: true };
    // One side unknown: keep what is known, it is still what flows on that path.
    if (a.m === 'unknown') return b;
    if (b.m === 'unknown') return a;
    return mk('unknown', { src: a.src });
  }
  const values = a.values && b.values ? [...new Set([...a.values, ...b.values])].sort((x, y) => x - y) : undefined;
  const range = a.range && b.range ? iHull(a.range, b.range) : undefined;
  const detached = a.detached && b.detached;
  // The same meaning from two activations (a sigmoid CE on one branch, a softmax CE on the other): that
  // meaning, of an activation not known here.
  const sameAct = a.act === b.act;
  const places = joinPlaces(a.joinedFrom ?? (a.src ? [a.src] : []), b.joinedFrom ?? (b.src ? [b.src] : []));
  return {
    ...a,
    id: nextId++,
    joinedFrom: places.length > 1 ? places : undefined,
    act: sameAct ? a.act : undefined,
    binary: sameAct ? a.binary : a.binary && b.binary,
    values,
    range,
    py: joinPy(a.py, b.py),
    reduced: a.reduced || b.reduced,
    clamped: a.clamped && b.clamped,
    orNone: a.orNone || b.orNone,
    detached,
    detachSrc: detached ? a.detachSrc : undefined,
    ignoreIndex: a.ignoreIndex ?? b.ignoreIndex,
    smoothed: a.smoothed ?? b.smoothed,
    layout: a.layout === b.layout ? a.layout : undefined,
    selected: a.selected && b.selected,
  };
}

/**
 * `v` with no gradient, detached at `src` (kept when it was detached already): `.detach()`, `.data`,
 * autograd off. A masked value (`(mask * (1 - p) ** g).detach()`) is its inner value under a mask: that
 * value is detached too, where the rules read it.
 */
export function detachValue(v: AbsValue, src: Span): AbsValue {
  const at = v.detachSrc ?? src;
  return { ...v, detached: true, detachSrc: at, ...(v.m === 'masked' && v.of ? { of: detachValue(v.of, at) } : {}) };
}

/** The detachment a value computed from `inputs` inherits: detached when one of them is (each input is a tensor the result is computed from). */
export function detachedFrom(...inputs: (AbsValue | undefined)[]): Pick<AbsValue, 'detached' | 'detachSrc'> {
  for (const x of inputs) if (x?.detached) return { detached: true, detachSrc: x.detachSrc };
  return {};
}

/** A balancing weight: a scalar, or a hyperparameter of unknown kind (a number or per-class weights). */
export function isWeight(v: AbsValue): boolean {
  return v.m === 'scalar' || (v.m === 'unknown' && !!v.hyper);
}
