/**
 * The algebra of meanings: what arithmetic, comparisons, gathers and reductions do to the lattice's
 * values (lattice.ts), as pure functions. The abstract interpreter (interp.ts) applies them to the
 * values of an expression's operands; the ops' abstract meanings (ops/table) call them through
 * `LatticeOps`; test/core/algebra.test.ts states each fact on its own.
 *
 * Patterns are recognised by value ids, never by text: p*t + (1-p)*(1-t) is p_t because the second
 * product's factors are the complements of the first's (`complementOf`), whatever they are named.
 *
 * Signs: a product with a negated target (`-t * log p`) or a negated product is a `masked` value
 * with `negated` set; a negated modulating factor keeps its meaning (a focal product's sign does not
 * change what the rules read).
 */
import type { Span } from './ir';
import { combineValues, constValue, detachedFrom, iAdd, iHull, iMul, iNeg, isWeight, mk, NOT_TENSOR, scalarOf, unknown, UNIT, type AbsValue, type FocalParts, type Interval } from './lattice';

export function isTargetish(v: AbsValue): boolean {
  return v.m === 'target' || v.m === 'target_index' || v.m === 'target_onehot';
}

export function isNum(v: AbsValue, x: number): boolean {
  return constValue(v) === x;
}

export function probLike(v: AbsValue): boolean {
  return v.m === 'prob' || v.m === 'pt' || v.m === 'one_minus_pt';
}

/** The CE-like factor of a product: a cross-entropy, or -log p_t. */
export function ceLike(v: AbsValue): boolean {
  return v.m === 'ce' || (v.m === 'logprob' && !!v.gathered);
}

/** A copy with a fresh id (a new value computed from `v`, with the same meaning). */
function fresh(v: AbsValue, props: Partial<AbsValue> = {}): AbsValue {
  return { ...v, ...props, id: mk('unknown').id };
}

/** A hyperparameter left at its default None (`alpha=None`): None now, a value for any caller that passes one. */
export function noneByDefault(v: AbsValue): boolean {
  return v.m === 'none' && !!v.hyper;
}

function complement(r: Interval | undefined): Interval | undefined {
  return r ? { lo: 1 - r.hi, hi: 1 - r.lo } : undefined;
}

// --- comparisons ---------------------------------------------------------------------------

export function compare(ops: string[], vals: AbsValue[], span: Span): AbsValue {
  if (ops.length === 1 && vals.length === 2) {
    const [a, b] = vals;
    const op = ops[0];
    if (op === 'is' || op === 'is not' || op === 'isnot') {
      // A value that may be None, and a hyperparameter whose default is None (a caller may pass one): either way.
      if (a.orNone || b.orNone || noneByDefault(a) || noneByDefault(b)) return mk('bool', { src: span });
      const eq = a.m === 'none' && b.m === 'none' ? true : (a.m === 'none') !== (b.m === 'none') && a.m !== 'unknown' && b.m !== 'unknown' ? false : undefined;
      if (eq === undefined) return mk('bool', { src: span });
      return mk('bool', { bool: op === 'is' ? eq : !eq, src: span });
    }
    const x = constValue(a);
    const y = constValue(b);
    if (x !== undefined && y !== undefined) {
      const r = op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : op === '>=' ? x >= y : op === '==' ? x === y : op === '!=' ? x !== y : undefined;
      if (r !== undefined) return mk('bool', { bool: r, src: span });
    }
    // t == 1 on a target: a mask selecting the positives; t == 0, t < 0.5: the negatives.
    if (isTargetish(a) && b.m === 'scalar') {
      const side = targetTestSide(op, constValue(b));
      if (side) return mk('bool', { of: a, maskNeg: side === 'neg' || undefined, src: span });
    }
    if ((op === '==' || op === '!=') && isTargetish(b) && a.m === 'scalar') {
      const side = targetTestSide(op, constValue(a));
      if (side) return mk('bool', { of: b, maskNeg: side === 'neg' || undefined, src: span });
    }
  }
  return mk('bool', { src: span });
}

/**
 * Which elements a comparison of a binary target with a number selects: `t == 1`, `t > 0`, `t >= 0.5`
 * the positives; `t == 0`, `t != 1`, `t < 0.5`, `t <= 0` the negatives (`t == k` for another k, a
 * class index: the samples of that class, counted as positives as before).
 */
function targetTestSide(op: string, c: number | undefined): 'pos' | 'neg' | undefined {
  switch (op) {
    case '==':
      return c === 0 ? 'neg' : 'pos';
    case '!=':
      return c === 0 ? 'pos' : c === 1 ? 'neg' : undefined;
    // Thresholds between 0 and 1 split 0/1 targets (and `labels > 0` the foreground of detection labels);
    // `t >= 0` keeps every valid target (the ignored ones are negative), no side.
    case '>':
      return c !== undefined && c >= 0 && c < 1 ? 'pos' : undefined;
    case '>=':
      return c !== undefined && c > 0 && c <= 1 ? 'pos' : undefined;
    case '<':
      return c !== undefined && c > 0 && c <= 1 ? 'neg' : undefined;
    case '<=':
      return c !== undefined && c >= 0 && c < 1 ? 'neg' : undefined;
    default:
      return undefined;
  }
}

// --- indexing by the target ----------------------------------------------------------------

/** The value of `x` taken at each sample's target class. */
export function gathered(x: AbsValue, span: Span): AbsValue {
  if (x.m === 'prob') return x.act === 'sigmoid' ? fresh(x, { gathered: true }) : mk('pt', { act: x.act, range: x.range ?? UNIT, clamped: x.clamped, reduced: x.reduced, keras: x.keras, src: span, ...detachedFrom(x) });
  if (x.m === 'logprob') return mk('logprob', { act: x.act, gathered: true, clamped: x.clamped, negated: x.negated, src: span, ...detachedFrom(x) });
  // `[alpha, 1 - alpha][t]` at 0/1 targets: alpha_t, alpha on the negatives when it is entry 0.
  if (x.m === 'class_weights' && x.alphaAt !== undefined && x.of) return mk('alpha_t', { src: span, of: x.of, range: { lo: 0, hi: 1 }, alphaOnNeg: x.alphaAt === 0 || undefined });
  if (x.m === 'class_weights') return mk('alpha_class', { src: span, range: x.range, count: x.count, of: x });
  if (x.m === 'scalar' || (x.m === 'unknown' && x.hyper)) return mk('alpha_class', { src: span, name: x.name });
  // Per-class focal terms taken at the target (`nll_loss((1 - p) ** g * log p, t)`): the focal loss itself.
  if (x.m === 'focal' || x.m === 'modulating' || x.m === 'one_minus_pt') return placeOn(fresh(x, { ungathered: false, src: span }), 'target');
  if (x.m === 'logits') return fresh(x, { gathered: true, src: span });
  // The rows of an identity matrix at the targets: their one-hot encoding.
  if (x.eye) return mk('target_onehot', { src: span });
  return unknown(span);
}

// --- arithmetic ----------------------------------------------------------------------------

export function binop(op: string, a: AbsValue, b: AbsValue, span: Span): AbsValue {
  if (a.m === 'scalar' && b.m === 'scalar') return scalarArith(op, a, b, span);
  switch (op) {
    case '-':
      return sub(a, b, span);
    case '+':
      return add(a, b, span);
    case '*':
      return mul(a, b, span);
    case '/':
      return div(a, b, span);
    case '**':
      return pow(a, b, span);
    default:
      return unknown(span);
  }
}

export function scalarArith(op: string, a: AbsValue, b: AbsValue, span: Span): AbsValue {
  const f: Record<string, (x: number, y: number) => number> = {
    '+': (x, y) => x + y,
    '-': (x, y) => x - y,
    '*': (x, y) => x * y,
    '/': (x, y) => x / y,
    '//': (x, y) => Math.floor(x / y),
    '%': (x, y) => x % y,
    '**': (x, y) => x ** y,
  };
  const fn = f[op];
  if (!fn) return mk('scalar', { src: span });
  const values = combineValues(a.values, b.values, fn);
  const hyper = a.hyper || b.hyper;
  const out = values ? scalarOf(values, { hyper, src: span }) : mk('scalar', { hyper, src: span });
  if (op === '-' && isNum(a, 1)) out.complementOf = b.id;
  if (op === '-' && isNum(a, 1)) out.name = b.name ? `1 - ${b.name}` : undefined;
  if (!values && a.range && b.range && (op === '+' || op === '-' || op === '*')) {
    out.range = op === '+' ? iAdd(a.range, b.range) : op === '-' ? iAdd(a.range, iNeg(b.range)) : iMul(a.range, b.range);
  }
  return out;
}

export function neg(a: AbsValue, span: Span): AbsValue {
  if (a.m === 'scalar') {
    const props = { hyper: a.hyper, name: a.name, negOf: a.negOf ?? a.id, complementOf: a.complementOf, py: a.py, src: span };
    return a.values ? scalarOf(a.values.map((x) => -x), props) : mk('scalar', { ...props, range: a.range && iNeg(a.range) });
  }
  // -p: kept so that -p + 1 is recognised as 1 - p.
  if (a.m === 'prob') return mk('unknown', { of: a, negated: true, src: span });
  // -t: a mask that negates what it selects (`-t * log p`), still the mask of t.
  if (isTargetish(a)) return a.negated ? { ...a, id: a.negOf!, negated: false, negOf: undefined } : fresh(a, { negated: true, negOf: a.id, src: span });
  if (a.m === 'ce') return mk('logprob', { gathered: true, act: a.act, reduced: a.reduced, binary: a.binary, src: span, of: a, classWeight: a.classWeight, ...detachedFrom(a) });
  if (a.m === 'logprob' && a.gathered) return mk('ce', { act: a.act, reduced: a.reduced, binary: a.binary, src: span, classWeight: a.classWeight, smoothed: a.smoothed, ...detachedFrom(a) });
  if (a.m === 'logprob' && a.scaledBy) return fresh(a, { scaledBy: negScalar(a.scaledBy) });
  if (a.m === 'logprob') return fresh(a, { negated: !a.negated, src: span });
  if (a.m === 'masked') return fresh(a, { negated: !a.negated });
  if (a.m === 'unknown' && a.expFocal?.exponent) return fresh(a, { src: span });
  if (a.m === 'focal' || a.m === 'modulating' || a.m === 'one_minus_pt') return fresh(a, { negated: !a.negated });
  // -softplus(z) is log sigmoid(-z): a log-probability.
  if (a.m === 'logits' && a.lse) return mk('logprob', { act: a.act ?? 'sigmoid', src: span });
  if (a.m === 'logits') return a;
  return unknown(span);
}

export function negScalar(s: AbsValue): AbsValue {
  return s.m === 'scalar' && s.values ? scalarOf(s.values.map((x) => -x)) : s;
}

/** A value computed from logits by shifts, scales, clamps and products with targets (`x - x * t`, `(-x).clamp(min=0)`). */
function logitsLike(v: AbsValue): boolean {
  return v.m === 'logits' || (v.m === 'masked' && v.of?.m === 'logits');
}

export function sub(a: AbsValue, b: AbsValue, span: Span): AbsValue {
  if (isNum(a, 1)) {
    // 1 - x
    if (b.m === 'pt') return mk('one_minus_pt', { act: b.act, reduced: b.reduced, fromLogProb: b.fromLogProb, range: complement(b.range), clamped: false, src: span, of: b, ...detachedFrom(b) });
    if (b.m === 'prob') {
      if (b.gathered || b.act === 'sigmoid' || b.act === undefined || b.column !== undefined) return mk('prob', { act: b.act, gathered: b.gathered, keras: b.keras, complementOf: b.id, of: b, range: complement(b.range), src: span, column: b.column, ...detachedFrom(b) });
      return mk('one_minus_pt', { act: b.act, ungathered: true, range: complement(b.range), src: span, of: b, ...detachedFrom(b) });
    }
    if (b.m === 'logprob') return mk('one_minus_pt', { act: b.act, fromLogProb: true, range: { lo: 1, hi: Infinity }, reduced: b.reduced, src: span, of: b, ...detachedFrom(b) });
    // 1 - (1 - p_t) is p_t (mmdet's `pt`, which is 1 - p_t, complemented again).
    if (b.m === 'one_minus_pt' && !b.ungathered && !b.fromLogProb) return mk('pt', { act: b.act, reduced: b.reduced, binary: b.binary, range: complement(b.range), src: span, ...detachedFrom(b) });
    if (isTargetish(b)) return fresh(b, { complementOf: b.id, src: span });
    // 1 - (t == 1).float(): the other side's mask (`1.0 - pos_mask` is the negatives).
    if (b.m === 'bool' && !b.negated && b.of?.m === 'target') return fresh(b, { maskNeg: b.maskNeg ? undefined : true, src: span });
    // 1 - alpha of a hyperparameter nothing tells more about (a number, or per-class weights).
    if (b.m === 'unknown' && b.hyper) return mk('unknown', { hyper: true, complementOf: b.id, src: span });
    if (b.m === 'masked' && b.of?.m === 'logprob') return mk('one_minus_pt', { act: b.of.act, fromLogProb: true, src: span });
    // 1 - exp(w): 1 - p_t if w is log p_t, which a product with w says (`mul`, `expFocal`).
    if (b.m === 'unknown' && b.expArg && !b.expFocal) return mk('unknown', { expFocal: { arg: b.expArg }, src: span, ...detachedFrom(b) });
    return unknown(span);
  }
  // t - p and p - t of per-element targets and a sigmoid probability: a signed residual, |.| = 1 - p_t.
  if (a.m === 'target' && sigmoidProb(b)) return mk('unknown', { residualOf: b, src: span, ...detachedFrom(b) });
  if (b.m === 'target' && sigmoidProb(a)) return mk('unknown', { residualOf: a, src: span, ...detachedFrom(a) });
  if (b.m === 'scalar' && constValue(b) !== undefined && Math.abs(constValue(b)!) < 1e-2 && (a.m === 'prob' || a.m === 'pt' || a.m === 'one_minus_pt')) {
    // p - eps: still a probability, not guarded.
    return a;
  }
  // x - logsumexp(x) is a log-softmax; x - softplus(x) a log-sigmoid; logsumexp(x) - x[t] the cross-entropy.
  // (x may be a tensor not known as logits: subtracting a log-sum-exp makes it their log-probabilities.)
  if ((a.m === 'logits' || (a.m === 'unknown' && !a.hyper)) && b.m === 'logits' && b.lse && !a.lse) return mk('logprob', { act: b.act ?? 'softmax', gathered: a.gathered, src: span });
  if (a.m === 'logits' && a.lse && b.m === 'logits' && b.gathered) return mk('ce', { act: a.act ?? 'softmax', reduced: false, range: { lo: 0, hi: Infinity }, src: span });
  if (a.m === 'masked' && b.m === 'masked') return add(a, neg(b, span), span);
  if (logitsLike(a) && logitsLike(b)) return mk('logits', { src: span, withTarget: a.withTarget || b.withTarget || a.m === 'masked' || b.m === 'masked' });
  if (a.m === 'logits' && (b.m === 'unknown' || b.m === 'scalar')) return a;
  if (termLike(a) && termLike(b)) return mergeFocal(a.m === 'masked' ? a.of! : a, b.m === 'masked' ? b.of! : b, span);
  return unknown(span);
}

/** A per-element sigmoid probability (not gathered at the target, not a complement). */
function sigmoidProb(v: AbsValue): boolean {
  return v.m === 'prob' && v.act === 'sigmoid' && !v.gathered && v.complementOf === undefined && v.column === undefined;
}

export function add(a: AbsValue, b: AbsValue, span: Span): AbsValue {
  if (isNum(a, 1) && b.negated && b.of?.m === 'prob') return sub(a, b.of, span);
  if (isNum(b, 1) && a.negated && a.of?.m === 'prob') return sub(b, a.of, span);
  // 1 + exp(z): its log is softplus(z).
  if (isNum(a, 1) && b.expOf) return mk('unknown', { onePlusExpOf: b.expOf, range: { lo: 1, hi: Infinity }, src: span });
  if (isNum(b, 1) && a.expOf) return mk('unknown', { onePlusExpOf: a.expOf, range: { lo: 1, hi: Infinity }, src: span });
  // exp(a) + exp(b) of logits: its log is a log-sum-exp.
  if (a.expOf?.m === 'logits' && b.expOf?.m === 'logits') return mk('unknown', { expSumOfLogits: true, range: { lo: 0, hi: Infinity }, src: span });
  // t * (1 - e) + e / K: label-smoothed targets (the multiplier written as a complement, `1 - e`); K
  // may be a class count the lattice does not hold as a number, when the numerator is that same e.
  const spread = (m: AbsValue, x: AbsValue): boolean => x.m === 'scalar' || (x.m === 'unknown' && x.quotientOf !== undefined && x.quotientOf === m.of?.complementOf);
  if (a.m === 'masked' && spread(a, b) && !a.negated) {
    const s = smoothedTargets(a, undefined, span);
    if (s) return s;
  }
  if (b.m === 'masked' && spread(b, a) && !b.negated) {
    const s = smoothedTargets(b, undefined, span);
    if (s) return s;
  }
  // t + (1 - t) * f of per-element targets and a focal term (varifocal's weight: the target's quality on
  // the positives, a focal factor on the negatives): on the negatives the sum is f, so it keeps the
  // negatives' focal term (the positives' weight is the target, which no rule reads as a factor).
  const negFocal = (t: AbsValue, f: AbsValue): boolean => t.m === 'target' && f.m === 'masked' && f.maskComplementOf !== undefined && f.maskMeaning === 'target' && f.of?.m === 'focal' && !f.negated;
  if (negFocal(a, b)) return fresh(b, { src: span });
  if (negFocal(b, a)) return fresh(a, { src: span });
  // p*t + (1-p)*(1-t) -> pt; alpha*t + (1-alpha)*(1-t) -> alpha_t; t log p + (1-t) log(1-p) -> -BCE
  if (a.m === 'masked' && b.m === 'masked' && a.of && b.of) {
    const r = pair(a, b, span) ?? pair(b, a, span);
    if (r) return r;
  }
  const small = b.m === 'scalar' && (b.values ? b.values.length > 0 && b.values.every((x) => x > 0 && x < 1e-2) : !!b.name && /^(self\.)?(eps|epsilon|smooth)/i.test(b.name));
  if (small && probLike(a)) {
    // p + eps: guarded away from 0.
    const lo = b.values ? Math.min(...b.values) : 0;
    return fresh(a, { clamped: true, range: a.range ? { lo: a.range.lo + lo, hi: a.range.hi + (b.values ? Math.max(...b.values) : 1e-2) } : undefined, addedEps: { values: b.values, span: b.src ?? span } });
  }
  if (a.m === 'scalar' && b.m !== 'scalar') return add(b, a, span);
  // A hand-written BCE with logits: x - x * t + softplus(-x) (also with its log-sum-exp written out).
  if (a.m === 'logits' && b.m === 'logits' && (a.lse || b.lse) && (a.withTarget || b.withTarget)) return mk('ce', { act: 'sigmoid', reduced: false, binary: true, range: { lo: 0, hi: Infinity }, src: span });
  if (logitsLike(a) && logitsLike(b)) return mk('logits', { src: span, lse: a.lse || b.lse, act: a.lse ? a.act : b.lse ? b.act : undefined, withTarget: a.withTarget || b.withTarget || a.m === 'masked' || b.m === 'masked' });
  // m + log(sum(exp(z - m))): the max shift added back to a log-sum-exp.
  if (a.m === 'logits' && a.lse && b.m === 'unknown' && !b.hyper) return a;
  if (b.m === 'logits' && b.lse && a.m === 'unknown' && !a.hyper) return b;
  if (termLike(a) && termLike(b)) return mergeFocal(a.m === 'masked' ? a.of! : a, b.m === 'masked' ? b.of! : b, span);
  return unknown(span);
}

/**
 * Label-smoothed targets: `t * (1 - e)` (a target mask of a scalar written as a complement) plus a
 * scalar, or plus `(1 - t) * s` (the complement's mask of another scalar). The result is the target
 * with `smoothed` set; a weight `alpha * t + (1 - alpha) * (1 - t)` (complementary scalars) is alpha_t.
 */
function smoothedTargets(pos: AbsValue, neg: AbsValue | undefined, span: Span): AbsValue | undefined {
  const m = pos.maskMeaning;
  if (pos.m !== 'masked' || pos.maskComplementOf !== undefined || !pos.of || pos.of.m !== 'scalar' || pos.of.complementOf === undefined) return undefined;
  if (m !== 'target' && m !== 'target_onehot' && m !== 'target_index') return undefined;
  if (neg && (neg.m !== 'masked' || neg.maskComplementOf !== pos.mask || neg.of?.m !== 'scalar')) return undefined;
  // The multiplier 1 - e must be a weight in (0.5, 1) when its value is known (e = 0.1, not alpha = 0.75).
  const w = pos.of.values;
  if (w && !w.every((x) => x > 0.5 && x < 1)) return undefined;
  return mk(m === 'target_index' ? 'target_onehot' : m, { smoothed: { values: w?.map((x) => Number((1 - x).toPrecision(12))), span }, src: span });
}

/** Whether two masks are a target and its complement (`t` and `1 - t`). */
function complementaryMasks(x: AbsValue, y: AbsValue): boolean {
  return (y.maskComplementOf !== undefined && y.maskComplementOf === x.mask) || (x.maskComplementOf !== undefined && x.maskComplementOf === y.mask);
}

/** Of two terms masked by a target and its complement, the masked value on the positives (the one whose mask is not the complement). */
function positiveTerm(x: AbsValue, y: AbsValue): AbsValue {
  return y.maskComplementOf !== undefined && y.maskComplementOf === x.mask ? x.of! : y.of!;
}

/** The sum of two terms masked by a target and its complement, when it is a known pattern. */
function pair(x: AbsValue, y: AbsValue, span: Span): AbsValue | undefined {
  if (!complementaryMasks(x, y)) return undefined;
  const xo = x.of!;
  const yo = y.of!;
  if (xo.m === 'prob' && yo.m === 'prob' && (yo.complementOf === xo.id || xo.complementOf === yo.id)) {
    const p = xo.complementOf === yo.id ? yo : xo;
    const q = xo.complementOf === yo.id ? xo : yo;
    const props = { act: p.act ?? 'sigmoid', range: iHull(p.range ?? UNIT, q.range ?? UNIT), clamped: p.clamped, src: span, binary: true, keras: p.keras, smoothed: x.smoothed ?? y.smoothed, ...detachedFrom(p) };
    // p on the positives and 1 - p on the negatives is p_t; the other way round (mmdet's `pt`) it is 1 - p_t.
    return positiveTerm(x, y) === q ? mk('one_minus_pt', props) : mk('pt', props);
  }
  if (isWeight(xo) && isWeight(yo) && (yo.complementOf === xo.id || xo.complementOf === yo.id)) {
    const al = xo.complementOf === yo.id ? yo : xo;
    // alpha on the negatives and 1 - alpha on the positives: alpha weighs the other class than RetinaNet's.
    return mk('alpha_t', { src: span, of: al, range: { lo: 0, hi: 1 }, alphaOnNeg: positiveTerm(x, y) !== al || undefined });
  }
  // t * (1 - e) + (1 - t) * e / (K - 1): targets smoothed towards the other classes.
  const smooth = smoothedTargets(x, y, span) ?? smoothedTargets(y, x, span);
  if (smooth) return smooth;
  // t log p + (1 - t) log(1 - p): the binary log-likelihood (negated: the binary cross-entropy).
  if (xo.m === 'logprob' && yo.m === 'logprob' && !xo.gathered && !yo.gathered) {
    const nx = !!x.negated !== !!xo.negated;
    const ny = !!y.negated !== !!yo.negated;
    if (nx !== ny) return undefined;
    const act = xo.act ?? yo.act ?? 'sigmoid';
    return nx ? mk('ce', { act, binary: true, reduced: false, range: { lo: 0, hi: Infinity }, src: span }) : mk('logprob', { act, gathered: true, binary: true, clamped: xo.clamped && yo.clamped, src: span });
  }
  // t softplus(-x) + (1 - t) softplus(x): the binary cross-entropy with logits.
  if (xo.m === 'logits' && yo.m === 'logits' && xo.lse && yo.lse) return mk('ce', { act: 'sigmoid', binary: true, reduced: false, range: { lo: 0, hi: Infinity }, src: span });
  if ((xo.m === 'focal' || ceLike(xo)) && (yo.m === 'focal' || ceLike(yo))) {
    const f = mergeFocal(xo, yo, span, positiveTerm(x, y) === xo);
    return f.act ? f : fresh(f, { act: 'sigmoid' });
  }
  return undefined;
}

/**
 * The focal loss written in w = log p_t: `(1 - exp(w)) ** g` (`m.expFocal`) times w, is
 * -(1 - p_t) ** g * log p_t up to its sign, whatever w was known as (a tensor parameter, or a
 * probability named `logpt`). A balancing weight on either side (`w * at`, `alpha * (1 - pt) ** g`:
 * `weightedOf`) is the product's alpha. Detaching w for the factor (`w.data`, `w.detach()`) keeps its
 * id, so the factor's detachment is the factor's own. A constant scale of the factor (`-1 * (1 - pt)
 * ** g`) keeps the identity (`mul` by a scalar, `neg`). Undefined otherwise.
 */
function expFocalProduct(m: AbsValue, w: AbsValue, span: Span): AbsValue | undefined {
  const factor = m.m === 'unknown' && m.weightedOf ? m.weightedOf.value : m;
  const f = factor.m === 'unknown' ? factor.expFocal : undefined;
  if (!f?.exponent) return undefined;
  if (w.m === 'scalar' && !w.hyper) return fresh(m, { src: span });
  const other = w.m === 'unknown' && w.weightedOf ? w.weightedOf.value : w;
  if (other.id !== f.arg.id) return undefined;
  const logPt = mk('logprob', { gathered: true, src: other.src, ...detachedFrom(other) });
  const pt = mk('pt', { of: logPt, range: UNIT, src: f.arg.src, ...detachedFrom(f.arg) });
  const base = mk('one_minus_pt', { of: pt, range: UNIT, src: factor.src, ...detachedFrom(pt) });
  const modulating = mk('modulating', { base, exponent: f.exponent, range: UNIT, src: factor.src, ...detachedFrom(factor) });
  const alpha = (m.m === 'unknown' ? m.weightedOf?.alpha : undefined) ?? (w.m === 'unknown' ? w.weightedOf?.alpha : undefined);
  return mk('focal', { focal: { modulating, ce: logPt, alpha }, src: span });
}

export function mul(a: AbsValue, b: AbsValue, span: Span): AbsValue {
  // Put the scalar on the right.
  if (a.m === 'scalar' && b.m !== 'scalar') return mul(b, a, span);
  if (b.m === 'scalar' && isNum(b, -1) && !b.hyper) return neg(a, span);
  if (b.m === 'scalar' && isNum(b, 1) && !b.hyper) return a;
  const inW = expFocalProduct(a, b, span) ?? expFocalProduct(b, a, span);
  if (inW) return inW;
  // A tensor of ones times a value (`torch.ones(t.shape) * alpha`, RetinaNet's alpha_factor): that
  // value at every element, the same value to what reads it (`1 - alpha_factor` its complement).
  if (a.m === 'unknown' && a.fill === 1 && !a.expOf && (b.m === 'scalar' || (b.m === 'unknown' && b.hyper))) return b;
  if (b.m === 'unknown' && b.fill === 1 && !b.expOf && (a.m === 'scalar' || (a.m === 'unknown' && a.hyper))) return a;
  // Targets times a 0/1 mask (`t * (t != 255).long()`, `t * (t >= 0)`): still targets, the masked-out
  // ones set to 0 (class indices stay class indices).
  if (isTargetish(a) && b.m === 'bool' && !b.negated) return fresh(a, { src: span });
  if (isTargetish(b) && a.m === 'bool' && !a.negated) return fresh(b, { src: span });
  // A 0/1 mask of binary targets' side (`(t == 1).float()`, `(t == 0)`) masks as t or 1 - t does.
  const sideA = sideMaskTarget(a);
  const sideB = sideMaskTarget(b);
  // Such a side mask times another 0/1 mask (`pos_mask * valid_mask`) is still that side, some elements dropped.
  if (sideA && b.m === 'bool' && !b.negated && !sideB) return fresh(a, { src: span });
  if (sideB && a.m === 'bool' && !a.negated && !sideA) return fresh(b, { src: span });
  if (sideB && !isTargetish(a) && !sideA) return masked(a, sideB, span);
  if (sideA && !isTargetish(b) && !sideB) return masked(b, sideA, span);
  // Masking by a target: x * t, x * (1 - t), x * -t.
  if (isTargetish(b) && !isTargetish(a)) return masked(a, b, span);
  if (isTargetish(a) && !isTargetish(b)) return masked(b, a, span);
  // gamma * log(1 - pt) (log-space modulating factor, awaiting exp)
  if (a.m === 'logprob' && (b.m === 'scalar' || b.hyper) && !a.gathered) return fresh(a, { scaledBy: b, src: span });
  if (b.m === 'logprob' && (a.m === 'scalar' || a.hyper) && !b.gathered) return fresh(b, { scaledBy: a, src: span });
  if (a.m === 'logits' && b.m === 'scalar') return a;
  if (a.m === 'logits' && b.m === 'logits') return unknown(span);
  // exp(x) times weights that are not targets or another exponential (`torch.exp(x).mul(w)`, a weighted
  // or masked softmax's numerator): still an exponential of x to a normaliser, so the log of its sum is
  // a (weighted) log-sum-exp and x minus it a log-probability.
  for (const [e, w] of [
    [a, b],
    [b, a],
  ]) {
    if (e.m === 'unknown' && e.expOf && !w.expOf && (w.m === 'class_weights' || (w.m === 'scalar' && (w.range?.lo ?? -1) > 0) || (w.m === 'unknown' && w.sumOf === undefined))) {
      return mk('unknown', { expOf: e.expOf, range: { lo: 0, hi: Infinity }, src: span });
    }
  }
  // Two values masked by the same targets: t * t is t for 0/1 targets, so the product keeps one mask
  // (`(alpha * t * (1 - p) ** g) * (-t * log p)`, the categorical focal loss written per class).
  if (a.m === 'masked' && a.of && b.m === 'masked' && b.of && a.mask === b.mask && a.maskComplementOf === b.maskComplementOf) {
    return fresh(a, { of: placeOn(mul(a.of, b.of, span), maskSide(a)), negated: !!a.negated !== !!b.negated, act: a.act ?? b.act, src: span });
  }
  // A masked value times something else keeps the mask (alpha * t * log p).
  if (a.m === 'masked' && a.of) return fresh(a, { of: placeOn(mul(a.of, b, span), maskSide(a)) });
  if (b.m === 'masked' && b.of) return fresh(b, { of: placeOn(mul(a, b.of, span), maskSide(b)) });
  const parts = factorParts(a);
  const partsB = factorParts(b);
  if (parts && partsB) {
    const merged = mergeParts(parts, partsB);
    if (merged && (merged.modulating || merged.ce)) return mk('focal', { focal: merged, act: a.act ?? b.act, reduced: a.reduced || b.reduced, src: span });
  }
  if (a.m === 'scalar' && b.m === 'scalar') return scalarArith('*', a, b, span);
  // A tensor that is no factor times a balancing weight (`logpt * at`), kept for `expFocalProduct`.
  for (const [x, wt] of [
    [a, b],
    [b, a],
  ]) {
    const alpha = factorParts(wt)?.alpha;
    if (alpha && !factorParts(x) && !NOT_TENSOR.has(x.m) && !x.hyper) return mk('unknown', { weightedOf: { value: x, alpha }, src: span });
  }
  return unknown(span);
}

const ALPHA_NAME = /alpha|balanc/i;
const SCALE_NAME = /(^|_)(loss_?weights?|weights?|scales?|lambdas?|lam|coefs?|coeffs?|coefficients?|factors?|multipliers?|mult|norm|beta|temperature|temp|ratio)$/i;

/** What a factor contributes to a focal product, or undefined when it is not a recognised factor. */
export function factorParts(v: AbsValue): FocalParts | undefined {
  switch (v.m) {
    case 'modulating':
      return { modulating: v };
    case 'ce':
      return { ce: v };
    case 'logprob':
      return { ce: v };
    case 'focal':
      return v.focal ?? {};
    case 'alpha_t':
      return { alpha: { kind: 'alpha_t', value: v, span: v.src! } };
    case 'alpha_class':
      return { alpha: { kind: 'class', value: v, span: v.src! } };
    case 'scalar': {
      // What a constant factor is meant to be is in its name: a `loss_weight` or a `scale` is meant to
      // rescale; an `alpha` is meant to balance classes, whatever its default (alpha=1 is a rescale for
      // every other value a caller passes). A literal 1 or -1 is no factor at all.
      const alphaNamed = !!v.name && ALPHA_NAME.test(v.name);
      if (v.hyper && v.name && SCALE_NAME.test(v.name) && !alphaNamed) return {};
      if ((isNum(v, 1) || isNum(v, -1)) && !(v.hyper && alphaNamed)) return {};
      if (v.hyper || (v.values && v.values.every((x) => x > 0 && x < 1))) return { alpha: { kind: 'scalar', value: v, span: v.src! } };
      return {};
    }
    case 'unknown':
      return v.hyper ? { alpha: { kind: 'scalar', value: v, span: v.src!, unknownKind: true } } : undefined;
    case 'class_weights':
      return { alpha: { kind: 'class', value: v, span: v.src!, ungathered: true } };
    default:
      return undefined;
  }
}

function mergeParts(a: FocalParts, b: FocalParts): FocalParts | undefined {
  if ((a.modulating && b.modulating) || (a.ce && b.ce) || (a.alpha && b.alpha)) {
    // Two of the same factor: keep the first of each (e.g. alpha * alpha_t is unusual; stay quiet).
    return { modulating: a.modulating ?? b.modulating, ce: a.ce ?? b.ce, alpha: a.alpha && b.alpha ? undefined : (a.alpha ?? b.alpha) };
  }
  return { modulating: a.modulating ?? b.modulating, ce: a.ce ?? b.ce, alpha: a.alpha ?? b.alpha, library: a.library ?? b.library };
}

/** Whether one scalar is 1 - the other (through negations). */
function complementary(a: AbsValue, b: AbsValue): boolean {
  const ida = a.negOf ?? a.id;
  const idb = b.negOf ?? b.id;
  return (a.complementOf !== undefined && a.complementOf === idb) || (b.complementOf !== undefined && b.complementOf === ida);
}

/** A term of a loss sum: a focal product, a CE-like value, or either masked by a target. */
function termLike(v: AbsValue): boolean {
  if (v.m === 'masked') return !!v.of && termLike(v.of);
  return v.m === 'focal' || v.m === 'ce' || v.m === 'logprob';
}

/**
 * The sum of two loss terms. `aOnPositives`: `a` is the term on the positives and `b` the one on the
 * negatives (a pair of terms masked by t and 1 - t), when known.
 */
export function mergeFocal(a: AbsValue, b: AbsValue, span: Span, aOnPositives?: boolean): AbsValue {
  const pa = factorParts(a) ?? {};
  const pb = factorParts(b) ?? {};
  const parts: FocalParts = { ...pa, ...pb, terms: [...(pa.terms ?? [pa]), ...(pb.terms ?? [pb])] };
  // alpha on the positive term and 1 - alpha on the negative one is alpha_t written out.
  if (pa.alpha?.kind === 'scalar' && pb.alpha?.kind === 'scalar' && complementary(pa.alpha.value, pb.alpha.value)) {
    parts.alpha = { kind: 'alpha_t', value: pa.alpha.value, span: pa.alpha.span };
    // Which side the hyperparameter (the scalar that is not a complement) weighs.
    if (aOnPositives !== undefined) {
      const aIsBase = pa.alpha.value.complementOf === undefined;
      const base = aIsBase ? pa.alpha : pb.alpha;
      parts.alpha = { kind: 'alpha_t', value: base.value, span: base.span, onNeg: aIsBase !== aOnPositives || undefined };
    }
  } else if (pa.alpha && pb.alpha === undefined && pb.ce) {
    // alpha on one term only: a weight on the positives, not a constant scale.
    parts.alpha = { ...pa.alpha, kind: 'alpha_t' };
  } else if (pb.alpha && pa.alpha === undefined && pa.ce) {
    parts.alpha = { ...pb.alpha, kind: 'alpha_t' };
  }
  return mk('focal', { focal: parts, act: a.act ?? b.act, reduced: a.reduced || b.reduced, src: span });
}

/**
 * `where(t == 1, a, b)` of two loss terms: `a` on the positives and `b` on the negatives, the same as
 * `a * t + b * (1 - t)` (so `where(t == 1, alpha * fl, (1 - alpha) * fl)` is alpha_t * fl). Undefined
 * unless both are loss terms.
 */
export function sideTerms(pos: AbsValue, neg: AbsValue, span: Span): AbsValue | undefined {
  if (!termLike(pos) || !termLike(neg)) return undefined;
  return mergeFocal(pos.m === 'masked' ? pos.of! : pos, neg.m === 'masked' ? neg.of! : neg, span, true);
}

/** x * t: `x` where the target holds; the mask of `-t` is still t's, the product negated. */
/**
 * The targets a 0/1 mask of one side of binary targets stands for: `t == 1` (or `t > 0.5`) is t, `t == 0`
 * is 1 - t, for per-element 0/1 targets (class indices compared with 1 pick one class, not a side).
 */
function sideMaskTarget(v: AbsValue): AbsValue | undefined {
  if (v.m !== 'bool' || v.negated || v.of?.m !== 'target') return undefined;
  return v.maskNeg ? fresh(v.of, { complementOf: v.of.id, src: v.src }) : v.of;
}

export function masked(x: AbsValue, t: AbsValue, span: Span): AbsValue {
  const mask = t.negated && t.negOf !== undefined ? t.negOf : t.id;
  return mk('masked', { of: placeOn(x, t.complementOf !== undefined ? 'neg' : 'pos'), mask, maskComplementOf: t.complementOf, negated: !!t.negated, act: x.act, src: span, smoothed: t.smoothed, maskMeaning: t.m });
}

/** The side of the targets a masked value is on: `x * (1 - t)` the negatives, `x * t` the positives. */
function maskSide(m: AbsValue): 'pos' | 'neg' {
  return m.maskComplementOf !== undefined ? 'neg' : 'pos';
}

/**
 * A modulating factor computed per class (`(1 - p) ** g` of a sigmoid's class-1 probability or of
 * every class of a softmax; `p ** g`), as it is applied to one side of the targets: on the positives
 * (or at the target class) `(1 - p) ** g` is (1 - p_t) ** g, on the negatives `p ** g` is. The other
 * way round, for a binary (sigmoid) probability, it is misplaced: easy examples of that side get the
 * larger weight. A softmax factor on the non-target classes stays unjudged. `x` is the factor, a
 * focal product holding it, or anything else (returned as it is).
 */
export function placeOn(x: AbsValue, side: 'pos' | 'neg' | 'target'): AbsValue {
  // A factor beside one side's log-likelihood is judged against that side, whichever target selects
  // the term: `t * log(1 - p) * p ** g` scores class 0 where t = 1 (the file's own label convention)
  // and its factor is (1 - p_t) ** g there.
  if (x.m === 'focal' && x.focal?.modulating?.perClass) return fresh(x, { focal: { ...x.focal, modulating: placeOn(x.focal.modulating, logSide(x.focal.ce) ?? side) } });
  if (x.m !== 'modulating' || !x.perClass) return x;
  const binary = x.act !== 'softmax';
  const wrong = side === 'pos' && x.perClass === 'p' && binary ? 'positives' : side === 'neg' && x.perClass === 'one_minus_p' && binary ? 'negatives' : undefined;
  return fresh(x, { perClass: undefined, misplaced: wrong });
}

/** The side a binary log-likelihood term scores: log p the positives (class 1), log(1 - p) the negatives. */
function logSide(ce: AbsValue | undefined): 'pos' | 'neg' | undefined {
  if (ce?.m !== 'logprob' || ce.act === 'softmax' || ce.gathered || ce.binary || !ce.of) return undefined;
  const p = ce.of;
  if (p.m === 'one_minus_pt' && p.ungathered) return 'neg';
  if (p.m !== 'prob' || p.gathered || p.column !== undefined) return undefined;
  return p.complementOf !== undefined ? 'neg' : 'pos';
}

/** What a modulating factor's base makes of it: per class (`1 - p`, `p` not taken at the target) or not. */
function perClassOf(base: AbsValue): AbsValue['perClass'] {
  if (base.m === 'one_minus_pt' && base.ungathered) return 'one_minus_p';
  if (base.m === 'prob' && !base.gathered && base.column === undefined) return base.complementOf !== undefined ? 'one_minus_p' : 'p';
  return undefined;
}

export function div(a: AbsValue, b: AbsValue, span: Span): AbsValue {
  // p / p.sum(-1), exp(z) / exp(z).sum(-1): a non-negative tensor normalised over the classes (`reduce`), a softmax probability.
  if (b.sumOf !== undefined && (b.sumOf === a.id || (b.sumExp && a.expOf !== undefined)) && (a.m === 'prob' || a.m === 'unknown')) {
    // A tensor clamped away from 0 (`h.clamp(eps)`) stays away from 0 once normalised: a guarded probability.
    const guarded = a.clamped || (a.range !== undefined && a.range.lo > 0);
    return mk('prob', { act: 'softmax', range: UNIT, keras: a.keras, src: span, clamped: guarded || undefined });
  }
  // 1 / (1 + exp(-x)) and exp(x) / (1 + exp(x)): a hand-written sigmoid.
  if (b.onePlusExpOf !== undefined && (isNum(a, 1) || a.expOf !== undefined)) return mk('prob', { act: 'sigmoid', range: UNIT, src: span });
  if (b.m === 'scalar' || b.m === 'unknown') {
    if (a.m === 'logits' || a.m === 'ce' || a.m === 'focal' || a.m === 'masked') return a;
  }
  // e / K with K a class count the lattice does not hold as a number (`tf.shape(y)[-1]`, a parameter).
  if (a.m === 'scalar' && b.m === 'unknown') return mk('unknown', { quotientOf: a.negOf ?? a.id, src: span });
  return unknown(span);
}

export function pow(base: AbsValue, exponent: AbsValue, span: Span): AbsValue {
  if (base.m === 'one_minus_pt' || base.m === 'prob' || base.m === 'pt') {
    return mk('modulating', { base, exponent, act: base.act, range: UNIT, src: span, fromLogProb: base.fromLogProb, perClass: perClassOf(base), ...detachedFrom(base) });
  }
  if (base.m === 'scalar' && exponent.m === 'scalar') return scalarArith('**', base, exponent, span);
  // (1 - exp(w)) ** g: the modulating factor if w is log p_t (`expFocal`).
  if (base.m === 'unknown' && base.expFocal && !base.expFocal.exponent && isWeight(exponent)) {
    return mk('unknown', { expFocal: { arg: base.expFocal.arg, exponent }, src: span, ...detachedFrom(base) });
  }
  return unknown(span);
}

// --- reductions ----------------------------------------------------------------------------

/**
 * A sum or mean of `x`, over `dim` when given. A sum over the class axis of a one-hot mask times a
 * per-class value is that value at the target; a lone masked log-likelihood (no complementary term)
 * is a categorical cross-entropy, so its activation, if not known yet, is a softmax.
 */
export function reduce(x: AbsValue, dim: AbsValue | undefined, span: Span, how: 'sum' | 'mean'): AbsValue {
  if (!dim || dim.m === 'none') {
    // (t == 1).sum(), (labels > 0).float().sum(), t.sum() of binary targets: how many targets are positive.
    if (how === 'sum' && ((x.m === 'bool' && x.of && isTargetish(x.of)) || x.m === 'target' || x.m === 'target_onehot')) {
      return mk('scalar', { posCount: true, range: { lo: 0, hi: Infinity }, src: span });
    }
    if (x.m === 'ce' || x.m === 'focal' || x.m === 'pt' || x.m === 'logprob') return fresh(x, { reduced: true, src: span });
    if (x.m === 'masked' && x.of && (x.of.m === 'focal' || ceLike(x.of))) return fresh(x.of, { reduced: true, act: x.of.act ?? 'softmax', src: span });
    // A sum over every entry of a non-negative tensor normalises it too: `z / np.sum(z)` with `z = np.exp(x)` is the
    // softmax of a single example's scores (and of a batch, a distribution over all its entries).
    return sumNormaliser(x, how, span) ?? unknown(span);
  }
  if (x.m === 'masked' && x.of) {
    // sum over classes of onehot * v: v at the target
    if (x.of.m === 'logprob') {
      const lp = mk('logprob', { act: x.of.act ?? 'softmax', gathered: true, clamped: x.of.clamped, keras: x.of.keras, src: span, smoothed: x.smoothed });
      return !!x.negated !== !!x.of.negated ? neg(lp, span) : lp;
    }
    // A clamp of the probabilities before the mask holds for the one at the target.
    if (x.of.m === 'prob') return mk('pt', { act: x.of.act ?? 'softmax', range: x.of.range ?? UNIT, clamped: x.of.clamped, keras: x.of.keras, src: span, smoothed: x.smoothed });
    if (x.of.m === 'focal' || ceLike(x.of)) return x.of.act ? x.of : fresh(x.of, { act: 'softmax' });
    if (x.of.m === 'scalar' || x.of.m === 'class_weights') return mk('alpha_class', { src: span, count: x.of.count, of: x.of.m === 'class_weights' ? x.of : undefined });
  }
  if (x.m === 'ce' || x.m === 'focal') return x;
  // A per-class factor summed or averaged over an axis: one number per sample that is no class's (1 - p_t) ** g.
  if (x.m === 'modulating' && x.perClass) return fresh(x, { perClass: undefined, misplaced: 'classes', src: span });
  // A sum over an axis of a known non-negative tensor (probabilities, an exponential, a positive clamp) is what `div`
  // normalises it by into a distribution (x / x.sum(1)). Of any other tensor it normalises nothing
  // (its terms may have either sign), and a mean never does (its quotient sums to the axis length).
  // A tensor clamped above 0 (`counts.clamp(eps)`) is one too.
  return sumNormaliser(x, how, span) ?? unknown(span);
}

/** The sum of a known non-negative tensor (probabilities, an exponential, a positive clamp): what `div` normalises it by. */
function sumNormaliser(x: AbsValue, how: 'sum' | 'mean', span: Span): AbsValue | undefined {
  const positive = x.m === 'unknown' && !!x.clamped && x.range !== undefined && x.range.lo > 0;
  if (how === 'sum' && (x.m === 'prob' || (x.m === 'unknown' && x.expOf !== undefined) || positive)) return mk('unknown', { sumOf: x.id, sumExp: !!x.expOf, src: span });
  return undefined;
}
