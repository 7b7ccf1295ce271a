/**
 * Elementwise math: exp and log (and their accurate forms), powers, clamps, maxima, `where`, and
 * the arithmetic and comparison functions that spell an operator (`torch.mul`, `tf.equal`).
 */
import type { Span } from '../../core/ir-types';
import { constValue, detachedFrom, iClamp, iHull, isWeight, join, mk, NOT_TENSOR, REALS, scalarOf, unknown, UNIT, type AbsValue } from '../../core/lattice';
import { defineOp, type AbsCtx, type CVal, type LowerCtx } from '../api';
import { combineLayout, keepLayout } from '../../core/layout';

function isTargetish(v: AbsValue | undefined): boolean {
  return !!v && (v.m === 'target' || v.m === 'target_index' || v.m === 'target_onehot');
}

/** log of a value: log p (a log-probability, log p_t when p is gathered), log(1 + exp(z)) = softplus(z). */
export function logOf(x: AbsValue, span: Span): AbsValue {
  if (x.m === 'prob' || x.m === 'pt') return mk('logprob', { act: x.act, gathered: x.m === 'pt' || x.gathered, clamped: x.clamped, keras: x.keras, src: span, of: x, ...detachedFrom(x) });
  if (x.m === 'one_minus_pt') return mk('logprob', { act: x.act, src: span, of: x, ...detachedFrom(x) });
  // log(1 + exp(z)) of logits is softplus(z), log(exp(a) + exp(b)) its shifted form: a log-sum-exp
  // of two logits (with a target: one side's binary cross-entropy, algebra.ts).
  if (x.onePlusExpOf?.m === 'logits' || x.expSumOfLogits) return mk('logits', { lse: true, act: 'sigmoid', src: span });
  // log(sum(exp(z), axis)): the log-sum-exp over the classes, the softmax's normaliser.
  if (x.sumExp) return mk('logits', { lse: true, act: 'softmax', src: span });
  return unknown(span);
}

/** |x|: of a residual `t - p` (per-element targets and a sigmoid probability, algebra.ts `sub`), 1 - p_t; of a scalar, a scalar. */
export function absOf(x: AbsValue, span: Span): AbsValue {
  if (x.residualOf) {
    const p = x.residualOf;
    return mk('one_minus_pt', { act: 'sigmoid', range: UNIT, binary: true, clamped: p.clamped, keras: p.keras, src: span, ...detachedFrom(x) });
  }
  return x.m === 'scalar' ? mk('scalar', { src: span }) : unknown(span);
}

function expOf(c: AbsCtx): AbsValue {
  const x = c.arg('input') ?? unknown();
  if (x.m === 'logprob' && x.scaledBy) {
    const base = x.of && x.of.m === 'one_minus_pt' ? x.of : x.of && x.of.m === 'prob' ? x.of : mk('one_minus_pt', { act: x.act });
    return mk('modulating', { base, exponent: x.scaledBy, logSpace: true, act: x.act, range: UNIT, src: c.span, ...detachedFrom(x, base) });
  }
  if (x.m === 'logprob' && x.gathered) return mk('pt', { act: x.act, reduced: x.reduced, range: UNIT, src: c.span, of: x, keras: x.keras, classWeight: x.classWeight, ...detachedFrom(x) });
  if (x.m === 'logprob') return mk('prob', { act: x.act, range: UNIT, src: c.span, fromLogProb: true, ...detachedFrom(x) });
  // exp of logits (or of a tensor not known to be anything else): 1 / (1 + exp(-x)) and exp(x) / sum(exp(x)) are activations whatever x is called.
  if (x.m === 'logits' || (x.m === 'unknown' && !x.hyper && !x.expOf)) return mk('unknown', { expOf: x, expArg: x, range: { lo: 0, hi: Infinity }, src: c.span, ...detachedFrom(x) });
  // exp of any other tensor (a probability named as a log-probability, `exp(p)`): its argument, for the
  // identity (1 - exp(w)) ** g * w of the focal loss in w (algebra.ts `mul`).
  if (!NOT_TENSOR.has(x.m) && x.m !== 'focal' && x.m !== 'ce' && x.m !== 'modulating' && !x.hyper) return mk('unknown', { expArg: x, range: { lo: 0, hi: Infinity }, src: c.span, ...detachedFrom(x) });
  return unknown(c.span);
}

/** An op that spells a binary operator: `torch.mul(a, b)` is `a * b`. */
function arith(id: string, op: '+' | '-' | '*' | '/', summary: string, spell: string[]) {
  return defineOp({
    id,
    summary,
    spell,
    operator: op,
    inplace: true,
    abstract(c) {
      if (c.has('alpha') && c.num('alpha') !== 1) return unknown(c.span);
      return c.L.binop(op, c.arg('input') ?? unknown(), c.arg('other') ?? unknown(), c.span);
    },
    layout: combineLayout,
    lower(c) {
      if (c.has('alpha') && c.num('alpha') !== 1) c.unsupported(`${c.name}(alpha=)`);
      if (c.has('rounding_mode') && c.str('rounding_mode') !== undefined) c.unsupported(`${c.name}(rounding_mode=)`);
      const a = c.value('input') ?? c.error(`${c.name}() missing an operand`);
      const b = c.value('other') ?? c.error(`${c.name}() missing an operand`);
      // TF 1's tf.div has Python 2's division: floor division of integers, true division of floats.
      const isInt = (v: typeof a) => (v.t === 'num' && v.int) || (v.t === 'tensor' && v.dt !== 'float');
      if (c.spelling.name === 'tensorflow.div' && isInt(a) && isInt(b)) return c.binop('//', a, b);
      return c.binop(op, a, b);
    },
  });
}

function cmp(id: string, op: string, spell: string[]) {
  return defineOp({
    id,
    summary: `Elementwise comparison \`${op}\`.`,
    spell,
    inplace: true,
    abstract: (c) => c.L.compare([op], [c.arg('input') ?? unknown(), c.arg('other') ?? unknown()], c.span),
    lower(c) {
      const a = c.value('input') ?? c.error(`${c.name}() missing an operand`);
      const b = c.value('other') ?? c.error(`${c.name}() missing an operand`);
      return c.compare(op, a, b);
    },
  });
}

function unary(id: string, summary: string, spell: string[], kernel: (c: LowerCtx) => CVal, abstract?: (c: AbsCtx) => AbsValue) {
  return defineOp({ id, summary, spell, inplace: true, abstract: abstract ?? ((c) => (c.arg('input')?.m === 'scalar' ? mk('scalar', { src: c.span }) : unknown(c.span))), layout: keepLayout, lower: kernel });
}

export const exp = defineOp({
  id: 'exp',
  inplace: true,
  summary: 'e to the x: of a log-probability, a probability (exp(-CE) is p_t).',
  spell: ['torch.exp(input, *, out=None)', 'Tensor.exp()', 'tensorflow.exp(x->input, name=None)', 'keras.backend.exp(x->input)', 'keras.ops.exp(x->input)', 'jax.numpy.exp(x->input)', 'numpy.exp(x->input)'],
  // exp(z) of logits or of any tensor is what 1 / (1 + exp(-z)) and exp(z) / exp(z).sum(1) are made of (algebra.ts).
  creating: true,
  abstract: expOf,
  layout: keepLayout,
  lower: (c) => c.out(c.k.exp(c.float('input').x)),
});

export const log = defineOp({
  id: 'log',
  inplace: true,
  summary: 'Natural log: of a probability, a log-probability (-inf where the probability underflows to 0).',
  spell: ['torch.log(input, *, out=None)', 'Tensor.log()', 'tensorflow.log(x->input, name=None)', 'keras.backend.log(x->input)', 'keras.ops.log(x->input)', 'jax.numpy.log(x->input)', 'numpy.log(x->input)'],
  expects: { input: 'prob' },
  creating: true,
  abstract: (c) => logOf(c.arg('input') ?? unknown(), c.span),
  layout: keepLayout,
  lower: (c) => c.out(c.k.log(c.float('input').x)),
});

export const log1p = defineOp({
  id: 'log1p',
  inplace: true,
  summary: 'log(1 + x), accurate for small x: log1p(-p) is log(1 - p), log1p(exp(z)) is softplus(z).',
  spell: ['torch.log1p(input, *, out=None)', 'torch.special.log1p(input, *, out=None)', 'Tensor.log1p()', 'tensorflow.log1p(x->input, name=None)', 'keras.ops.log1p(x->input)', 'jax.numpy.log1p(x->input)', 'numpy.log1p(x->input)'],
  abstract(c) {
    const x = c.arg('input') ?? unknown();
    const one = scalarOf([1]);
    return logOf(c.L.binop('+', one, x, c.span), c.span);
  },
  layout: keepLayout,
  lower: (c) => c.out(c.k.log1p(c.float('input').x)),
});

export const expm1 = unary(
  'expm1',
  'exp(x) - 1, accurate for small x.',
  ['torch.expm1(input, *, out=None)', 'torch.special.expm1(input, *, out=None)', 'Tensor.expm1()', 'tensorflow.expm1(x->input, name=None)', 'keras.ops.expm1(x->input)', 'jax.numpy.expm1(x->input)', 'numpy.expm1(x->input)'],
  (c) => c.out(c.k.expm1(c.float('input').x)),
);

export const sqrt = unary(
  'sqrt',
  'Square root.',
  ['torch.sqrt(input, *, out=None)', 'Tensor.sqrt()', 'tensorflow.sqrt(x->input, name=None)', 'keras.backend.sqrt(x->input)', 'keras.ops.sqrt(x->input)', 'jax.numpy.sqrt(x->input)', 'numpy.sqrt(x->input)'],
  (c) => c.out(c.k.sqrt(c.float('input').x)),
);

export const abs = unary(
  'abs',
  'Absolute value.',
  ['torch.abs(input, *, out=None)', 'torch.absolute(input, *, out=None)', 'Tensor.abs()', 'tensorflow.abs(x->input, name=None)', 'keras.backend.abs(x->input)', 'keras.ops.abs(x->input)', 'jax.numpy.abs(x->input)', 'numpy.abs(x->input)'],
  (c) => {
    const x = c.tensor('input');
    return c.out(x.dt === 'float' ? c.k.abs(x.x) : c.k.abs(c.k.cast(x.x, 'float')), x.dt === 'float' ? 'float' : x.dt);
  },
  (c) => absOf(c.arg('input') ?? unknown(), c.span),
);

export const neg = defineOp({
  id: 'neg',
  inplace: true,
  summary: 'Negation.',
  spell: ['torch.neg(input, *, out=None)', 'torch.negative(input, *, out=None)', 'Tensor.neg()', 'Tensor.negative()', 'tensorflow.negative(x->input, name=None)', 'keras.ops.negative(x->input)', 'jax.numpy.negative(x->input)', 'numpy.negative(x->input)'],
  abstract: (c) => c.L.neg(c.arg('input') ?? unknown(), c.span),
  layout: keepLayout,
  lower(c) {
    const x = c.tensor('input');
    return c.out(c.k.neg(x.x), x.dt === 'bool' ? 'int' : x.dt);
  },
});

export const square = defineOp({
  id: 'square',
  inplace: true,
  summary: 'x ** 2.',
  spell: ['torch.square(input, *, out=None)', 'Tensor.square()', 'tensorflow.square(x->input, name=None)', 'keras.backend.square(x->input)', 'keras.ops.square(x->input)', 'jax.numpy.square(x->input)', 'jax.lax.square(x->input)', 'numpy.square(x->input)'],
  abstract: (c) => c.L.pow(c.arg('input') ?? unknown(), scalarOf([2]), c.span),
  layout: keepLayout,
  lower: (c) => c.binop('**', c.tensor('input'), { t: 'num', v: 2, int: true }),
});

export const pow = defineOp({
  id: 'pow',
  inplace: true,
  summary: 'x ** e: of 1 - p_t, the focal modulating factor.',
  spell: [
    'torch.pow(input, exponent, *, out=None)',
    'torch.float_power(input, exponent, *, out=None)',
    'Tensor.pow(exponent)',
    'tensorflow.pow(x->input, y->exponent, name=None)',
    'keras.backend.pow(x->input, a->exponent)',
    'keras.ops.power(x1->input, x2->exponent)',
    'jax.numpy.power(x1->input, x2->exponent)',
    'numpy.power(x1->input, x2->exponent)',
  ],
  abstract: (c) => c.L.pow(c.arg('input') ?? unknown(), c.arg('exponent') ?? unknown(), c.span),
  layout: keepLayout,
  lower(c) {
    const a = c.value('input') ?? c.error(`${c.name}() missing input`);
    return c.binop('**', a, c.value('exponent') ?? { t: 'none' });
  },
});

/** A clamp's abstract value: the range narrows; a lower bound above 0 (or an upper one below 1 on a probability) guards a log or a power. */
function clampValue(x: AbsValue, lo: number | undefined, hi: number | undefined, loUnknown: boolean, span: Span): AbsValue {
  // A tensor of no known meaning clamped above 0 (`counts.clamp(eps)`): positive, which a normalisation keeps (algebra.ts `div`).
  // (a floor given by a value not known here, `clamp(min=eps)`, is one too, as for a probability below).
  if (x.m === 'unknown') return !x.hyper && ((lo !== undefined && lo > 0) || loUnknown) ? mk('unknown', { range: lo !== undefined && lo > 0 ? iClamp(REALS, lo, hi) : undefined, clamped: true, src: span }) : unknown(span);
  const guarded = (lo !== undefined && lo > 0) || (hi !== undefined && hi < 1 && (x.m === 'prob' || x.m === 'pt'));
  return { ...x, id: x.id, range: iClamp(x.range ?? REALS, lo, hi), clamped: x.clamped || guarded || loUnknown };
}

/**
 * What a clamp's bounds do to a tensor (not a Python number): a lower bound above 0 is a floor below
 * which the gradient is zero (LL204); an upper bound written below 1 that float32 rounds to 1.0
 * (`1 - 1e-10`) keeps nothing from 1 (LL203). numpy computes in float64, where it does.
 */
function boundFacts(v: AbsValue, x: AbsValue, lo: AbsValue | undefined, hi: AbsValue | undefined, numpy: boolean, span: Span): AbsValue {
  if (v.m === 'unknown' || x.m === 'scalar') return v;
  const l = constValue(lo);
  const h = constValue(hi);
  const out: Partial<AbsValue> = {};
  if (lo && (l === undefined ? lo.m === 'scalar' || lo.hyper : l > 0)) out.floor = { value: l, span: lo.src ?? span };
  if (!numpy && h !== undefined && h < 1 && Math.fround(h) === 1) out.noopMax = { written: h, span: hi?.src ?? span };
  return Object.keys(out).length ? { ...v, ...out } : v;
}

export const clamp = defineOp({
  id: 'clamp',
  inplace: true,
  summary: 'Clamp to [min, max]: keeps a probability away from 0 (and 1) before a log or a power.',
  spell: [
    'torch.clamp(input, min=None, max=None, *, out=None)',
    'torch.clip(input, min=None, max=None, *, out=None)',
    'Tensor.clamp(min=None, max=None)',
    'Tensor.clip(min=None, max=None)',
    'Tensor.clamp_min(min)',
    'Tensor.clamp_max(max)',
    'torch.clamp_min(input, min)',
    'torch.clamp_max(input, max)',
    'tensorflow.clip_by_value(t->input, clip_value_min->min, clip_value_max->max, name=None)',
    'keras.backend.clip(x->input, min_value->min, max_value->max)',
    'keras.ops.clip(x->input, x_min->min, x_max->max)',
    'jax.numpy.clip(a->input, a_min->min=None, a_max->max=None)',
    'numpy.clip(a->input, a_min->min, a_max->max)',
  ],
  // A clamp into [0, 1] (or one side of it) keeps a probability off its ends; a bound outside it (`logits.clamp(-50, 50)`) clamps something else.
  expects: { input: { kind: 'prob', within: [0, 1], bounds: ['min', 'max'] } },
  evidence: 'input',
  creating: true,
  abstract(c) {
    const x = c.arg('input') ?? unknown();
    // Bounds applied to a float32 tensor are float32: `1 - 1e-10` is exactly 1.0 there (numpy's default is float64).
    const f32 = (v: number | undefined): number | undefined => (v === undefined || x.m === 'scalar' || c.spelling.framework === 'numpy' ? v : Math.fround(v));
    const v = clampValue(x, f32(constValue(c.arg('min'))), f32(constValue(c.arg('max'))), c.arg('min') !== undefined && constValue(c.arg('min')) === undefined, c.span);
    return boundFacts(v, x, c.arg('min'), c.arg('max'), c.spelling.framework === 'numpy', c.span);
  },
  layout: keepLayout,
  lower(c) {
    const x = c.tensor('input');
    const lo = c.value('min');
    const hi = c.value('max');
    if ((lo && lo.t === 'tensor') || (hi && hi.t === 'tensor')) {
      // PyTorch takes both bounds as tensors or both as numbers: a tensor beside a number raises TypeError.
      const number = (v: typeof lo): boolean => !!v && (v.t === 'num' || v.t === 'bool');
      if (c.spelling.framework === 'torch' && (number(lo) || number(hi))) c.error('clamp() received an invalid combination of arguments: a tensor bound beside a number (PyTorch raises TypeError; a bug in the code)');
      const xf = c.cast(x, 'float');
      return c.out(c.k.clampTensor(xf.x, lo?.t === 'tensor' ? c.cast(lo, 'float').x : undefined, hi?.t === 'tensor' ? c.cast(hi, 'float').x : undefined));
    }
    const nlo = c.num('min');
    const nhi = c.num('max');
    if (nlo === undefined && nhi === undefined) c.error('clamp needs min or max');
    if (x.dt !== 'float') return c.out(c.k.clamp(x.x, nlo ?? -2147483648, nhi ?? 2147483647), x.dt);
    return c.out(c.k.clamp(x.x, nlo, nhi));
  },
});

function extremum(id: 'maximum' | 'minimum', spell: string[]) {
  return defineOp({
    id,
    summary: id === 'maximum' ? 'Elementwise maximum: with a small constant, a lower clamp (tf.maximum(p, eps)).' : 'Elementwise minimum: with a constant below 1, an upper clamp.',
    spell,
    abstract(c) {
      const a = c.arg('input') ?? unknown();
      const b = c.arg('other') ?? unknown();
      const [x, s] = a.m === 'scalar' && b.m !== 'scalar' ? [b, a] : [a, b];
      const k = constValue(s);
      if (s.m !== 'scalar' || x.m === 'scalar') return x.m === 'scalar' && s.m === 'scalar' ? mk('scalar', { src: c.span }) : unknown(c.span);
      const numpy = c.spelling.framework === 'numpy';
      return id === 'maximum' ? boundFacts(clampValue(x, k, undefined, k === undefined, c.span), x, s, undefined, numpy, c.span) : boundFacts(clampValue(x, undefined, k, false, c.span), x, undefined, s, numpy, c.span);
    },
    layout: combineLayout,
    lower(c) {
      const [a, b] = c.promote(c.toTensor(c.value('input') ?? c.error(`${c.name}() missing input`)), c.toTensor(c.value('other') ?? c.error(`${c.name}() missing other`)));
      const shape = c.k.broadcastShape(a.x.shape, b.x.shape);
      const bc = (t: typeof a.x) => (t.shape.join() === shape.join() ? t : c.k.broadcastTo(t, shape));
      return c.out(id === 'maximum' ? c.k.maximum(bc(a.x), bc(b.x)) : c.k.minimum(bc(a.x), bc(b.x)), a.dt);
    },
  });
}

export const maximum = extremum('maximum', [
  'torch.maximum(input, other, *, out=None)',
  'torch.fmax(input, other, *, out=None)',
  'Tensor.maximum(other)',
  'tensorflow.maximum(x->input, y->other, name=None)',
  'keras.backend.maximum(x->input, y->other)',
  'keras.ops.maximum(x1->input, x2->other)',
  'jax.numpy.maximum(x1->input, x2->other)',
  'numpy.maximum(x1->input, x2->other)',
]);

export const minimum = extremum('minimum', [
  'torch.minimum(input, other, *, out=None)',
  'torch.fmin(input, other, *, out=None)',
  'Tensor.minimum(other)',
  'tensorflow.minimum(x->input, y->other, name=None)',
  'keras.backend.minimum(x->input, y->other)',
  'keras.ops.minimum(x1->input, x2->other)',
  'jax.numpy.minimum(x1->input, x2->other)',
  'numpy.minimum(x1->input, x2->other)',
]);

export const where = defineOp({
  id: 'where',
  summary: 'Elementwise choice by a condition: where(t == 1, p, 1 - p) is the binary p_t.',
  spell: [
    'torch.where(condition, input|x, other|y)',
    'Tensor.where(condition, other|y)',
    'tensorflow.where(condition, x->input=None, y->other=None, name=None)',
    'keras.backend.switch(condition, then_expression->input, else_expression->other)',
    'keras.ops.where(condition, x1->input=None, x2->other=None)',
    'jax.numpy.where(condition, x->input=None, y->other=None)',
    'numpy.where(condition, x->input, y->other)',
  ],
  abstract(c) {
    const cond = c.arg('condition');
    const given = [c.arg('input') ?? unknown(), c.arg('other') ?? unknown()];
    // A comparison of the targets (`t == 1`), or binary targets themselves as the condition (`t.bool()`).
    const onTargets = !!cond && ((!!cond.of && isTargetish(cond.of)) || isTargetish(cond));
    if (onTargets) {
      // The value on the positives first: where(t == 0, 1 - p, p) is where(t == 1, p, 1 - p).
      const negFirst = cond!.maskNeg || (isTargetish(cond) && cond!.complementOf !== undefined);
      const [pos0, neg0] = negFirst ? [given[1], given[0]] : given;
      // Per-class modulating factors (and focal terms holding one) are applied to their side.
      const pos = c.L.placeOn(pos0, 'pos');
      const neg = c.L.placeOn(neg0, 'neg');
      const p = pos.complementOf === neg.id ? neg : pos;
      const q = p === pos ? neg : pos;
      if (pos.m === 'prob' && neg.m === 'prob' && q.complementOf === p.id) {
        // p on the positives is p_t; 1 - p on the positives is 1 - p_t.
        const props = { act: p.act ?? 'sigmoid', range: iHull(p.range ?? UNIT, q.range ?? UNIT), clamped: p.clamped, src: c.span, binary: true, keras: p.keras, ...detachedFrom(p) };
        return mk(p === pos ? 'pt' : 'one_minus_pt', props);
      }
      if (isWeight(pos) && isWeight(neg) && q.complementOf === p.id) return mk('alpha_t', { of: p, alphaOnNeg: p === neg || undefined, src: c.span });
      // A loss term on each side: where(t == 1, alpha * fl, (1 - alpha) * fl) is alpha_t * fl.
      const terms = c.L.sideTerms(pos, neg, c.span);
      if (terms) return terms;
      if (pos !== pos0 || neg !== neg0) return join(pos, neg);
    }
    // Two scalars chosen element by element by a condition the facts do not read as the targets'
    // (`where(built_targets == 1, 0.25, 0.75)`): one value or the other at each element, which is no
    // scalar (a join would claim one scalar, "0.25 or 0.75", multiplying every element alike).
    if (cond && given[0].m === 'scalar' && given[1].m === 'scalar') return unknown(c.span);
    return join(given[0], given[1]);
  },
  layout: combineLayout,
  lower(c) {
    const cond = c.tensor('condition');
    if (!c.has('input') && !c.has('other')) {
      // where(cond): the indices of the true elements; TensorFlow's as one [K, rank] tensor, the others' one vector per axis.
      const shape = cond.x.shape;
      const m = Array.from(c.k.data(c.cast(cond, 'bool').x));
      const coords: number[][] = [];
      m.forEach((v, i) => {
        if (!v) return;
        const at: number[] = [];
        let r = i;
        for (let a = shape.length - 1; a >= 0; a--) {
          at.unshift(r % shape[a]);
          r = Math.floor(r / shape[a]);
        }
        coords.push(at);
      });
      if (c.spelling.framework === 'tf') return c.out(c.k.fromData(coords.flat(), [coords.length, shape.length], 'int'), 'int');
      return { t: 'list', items: shape.map((_, a) => c.out(c.k.fromData(coords.map((q) => q[a]), [coords.length], 'int'), 'int')), tuple: true };
    }
    if (!c.has('input') || !c.has('other')) c.unsupported('where with one of x and y');
    const [p, q] = c.promote(c.tensor('input'), c.tensor('other'));
    const shape = c.k.broadcastShape(c.k.broadcastShape(cond.x.shape, p.x.shape), q.x.shape);
    const bc = (t: typeof p.x) => (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) ? t : c.k.broadcastTo(t, shape));
    return c.out(c.k.where(bc(c.cast(cond, 'bool').x), bc(p.x), bc(q.x)), p.dt);
  },
});

export const ELEMENTWISE = [
  exp,
  log,
  log1p,
  expm1,
  sqrt,
  abs,
  neg,
  square,
  pow,
  clamp,
  maximum,
  minimum,
  where,
  arith('add', '+', 'a + b.', ['torch.add(input, other, *, alpha=1, out=None)', 'Tensor.add(other, *, alpha=1)', 'tensorflow.add(x->input, y->other, name=None)', 'keras.ops.add(x1->input, x2->other)', 'jax.numpy.add(x1->input, x2->other)', 'numpy.add(x1->input, x2->other)']),
  arith('sub', '-', 'a - b.', [
    'torch.sub(input, other, *, alpha=1, out=None)',
    'torch.subtract(input, other, *, alpha=1, out=None)',
    'Tensor.sub(other, *, alpha=1)',
    'Tensor.subtract(other, *, alpha=1)',
    'tensorflow.subtract(x->input, y->other, name=None)',
    'keras.ops.subtract(x1->input, x2->other)',
    'jax.numpy.subtract(x1->input, x2->other)',
    'numpy.subtract(x1->input, x2->other)',
  ]),
  arith('rsub', '-', '`torch.rsub(x, y)` is y - x.', ['torch.rsub(input->other, other->input, *, alpha=1)']),
  arith('mul', '*', 'a * b.', [
    'torch.mul(input, other, *, out=None)',
    'torch.multiply(input, other, *, out=None)',
    'Tensor.mul(other)',
    'Tensor.multiply(other)',
    'tensorflow.multiply(x->input, y->other, name=None)',
    'tensorflow.scalar_mul(scalar->other, x->input, name=None)',
    'keras.ops.multiply(x1->input, x2->other)',
    'jax.numpy.multiply(x1->input, x2->other)',
    'numpy.multiply(x1->input, x2->other)',
  ]),
  arith('div', '/', 'a / b.', [
    'torch.div(input, other, *, rounding_mode=None, out=None)',
    'torch.divide(input, other, *, rounding_mode=None, out=None)',
    'torch.true_divide(input, other, *, out=None)',
    'Tensor.div(other, *, rounding_mode=None)',
    'Tensor.divide(other, *, rounding_mode=None)',
    'Tensor.true_divide(other)',
    'tensorflow.divide(x->input, y->other, name=None)',
    'tensorflow.truediv(x->input, y->other, name=None)',
    'tensorflow.div(x->input, y->other, name=None)',
    'keras.ops.divide(x1->input, x2->other)',
    'keras.ops.true_divide(x1->input, x2->other)',
    'jax.numpy.divide(x1->input, x2->other)',
    'jax.numpy.true_divide(x1->input, x2->other)',
    'numpy.divide(x1->input, x2->other)',
    'numpy.true_divide(x1->input, x2->other)',
  ]),
  cmp('eq', '==', ['torch.eq(input, other, *, out=None)', 'Tensor.eq(other)', 'tensorflow.equal(x->input, y->other, name=None)', 'keras.backend.equal(x->input, y->other)', 'keras.ops.equal(x1->input, x2->other)', 'jax.numpy.equal(x1->input, x2->other)', 'numpy.equal(x1->input, x2->other)']),
  cmp('ne', '!=', ['torch.ne(input, other, *, out=None)', 'torch.not_equal(input, other, *, out=None)', 'Tensor.ne(other)', 'tensorflow.not_equal(x->input, y->other, name=None)', 'keras.backend.not_equal(x->input, y->other)', 'keras.ops.not_equal(x1->input, x2->other)', 'jax.numpy.not_equal(x1->input, x2->other)', 'numpy.not_equal(x1->input, x2->other)']),
  cmp('gt', '>', ['torch.gt(input, other, *, out=None)', 'torch.greater(input, other, *, out=None)', 'Tensor.gt(other)', 'tensorflow.greater(x->input, y->other, name=None)', 'keras.backend.greater(x->input, y->other)', 'keras.ops.greater(x1->input, x2->other)', 'jax.numpy.greater(x1->input, x2->other)', 'numpy.greater(x1->input, x2->other)']),
  cmp('ge', '>=', ['torch.ge(input, other, *, out=None)', 'torch.greater_equal(input, other, *, out=None)', 'Tensor.ge(other)', 'tensorflow.greater_equal(x->input, y->other, name=None)', 'keras.backend.greater_equal(x->input, y->other)', 'keras.ops.greater_equal(x1->input, x2->other)', 'jax.numpy.greater_equal(x1->input, x2->other)', 'numpy.greater_equal(x1->input, x2->other)']),
  cmp('lt', '<', ['torch.lt(input, other, *, out=None)', 'torch.less(input, other, *, out=None)', 'Tensor.lt(other)', 'tensorflow.less(x->input, y->other, name=None)', 'keras.backend.less(x->input, y->other)', 'keras.ops.less(x1->input, x2->other)', 'jax.numpy.less(x1->input, x2->other)', 'numpy.less(x1->input, x2->other)']),
  cmp('le', '<=', ['torch.le(input, other, *, out=None)', 'torch.less_equal(input, other, *, out=None)', 'Tensor.le(other)', 'tensorflow.less_equal(x->input, y->other, name=None)', 'keras.backend.less_equal(x->input, y->other)', 'keras.ops.less_equal(x1->input, x2->other)', 'jax.numpy.less_equal(x1->input, x2->other)', 'numpy.less_equal(x1->input, x2->other)']),
];
