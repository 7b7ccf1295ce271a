/**
 * Shared predicate of LL101 and LL102: a focal loss whose alpha is one known scalar, the same for
 * every class and every sample. Reads the final focal value's parts, so `alpha * ce * (1 - pt) ** g`
 * is seen whatever the order of the factors, and skips an alpha that a sum of a positive and a
 * negative term turned into alpha_t (`alpha * ... * t + (1 - alpha) * ... * (1 - t)`).
 */
import type { RuleContext } from '../core/context';
import type { Expr } from '../core/ir';
import { stmtsOf } from '../core/walk';
import { factorParts } from '../core/algebra';
import type { AbsValue, FocalParts } from '../core/lattice';

export interface ScalarAlpha {
  /** The `alpha * rest` product where alpha is an operand; absent when alpha is applied by `x *= alpha` or in more than one product. */
  product?: Extract<Expr, { k: 'bin' }>;
  alpha: Expr;
  rest?: Expr;
  alphaValue: AbsValue;
  focal: AbsValue;
}

/** A scalar the lattice counts as an alpha factor (algebra.ts `factorParts`): the same predicate that built the focal parts. */
function isScalarAlpha(v: AbsValue | undefined): boolean {
  return !!v && (v.m === 'scalar' || alphaNamed(v)) && factorParts(v)?.alpha?.kind === 'scalar';
}

/**
 * A hyperparameter named alpha whose value is not known here (a factory's parameter without a
 * default) is taken for the RetinaNet scalar: a per-class weight vector would be a `weight` or a
 * `class_weights`, and in a softmax loss a vector could not multiply one loss per sample at all.
 */
function alphaNamed(v: AbsValue): boolean {
  return !!v.name && /alpha/i.test(v.name);
}

/** Ids of alpha values that a sum of terms turned into alpha_t (or that weigh one term only). */
function consumedAlphas(ctx: RuleContext): Set<number> {
  const out = new Set<number>();
  const visit = (p: FocalParts | undefined): void => {
    if (!p?.terms || p.alpha?.kind !== 'alpha_t') return;
    for (const t of p.terms) if (t.alpha) out.add(t.alpha.value.id);
  };
  // The same statement only: an alpha consumed correctly by another function does not excuse this one.
  for (const f of ctx.unitFunctions()) for (const v of f.values.values()) if (v.m === 'focal') visit(v.focal);
  return out;
}

/**
 * Ids of alphas of a term added to something the algebra could not read (`-alpha * a * log(p) - (1 -
 * alpha) * b * log(1 - p)` with `a` unknown): that term is a part of the loss, not the whole of it, so
 * its alpha is not known to weigh both sides alike. A focal loss already reduced (`focal.mean() +
 * dice`) is a whole loss added to another one: its alpha still scales all of it.
 */
function partialAlphas(ctx: RuleContext): Set<number> {
  const out = new Set<number>();
  for (const e of ctx.exprs()) {
    const sides = operands(e, '+') ?? operands(e, '-');
    if (!sides) continue;
    if (ctx.valueOf(e)?.m === 'focal') continue;
    const l = ctx.valueOf(sides[0]);
    const r = ctx.valueOf(sides[1]);
    for (const [x, other] of [
      [l, r],
      [r, l],
    ]) {
      if (x?.m === 'focal' && !x.reduced && x.focal?.alpha?.kind === 'scalar' && other && other.m !== 'scalar' && other.m !== 'none') out.add(x.focal.alpha.value.id);
    }
    // A scalar times a focal loss already reduced, added to another loss (`w * focal.mean() + dice`,
    // `bce + delta * FocalLoss()(x, t)`): the weight of a whole loss in a combination of losses, not a
    // factor of every element (alpha applied before the reduction, `(alpha * f).mean() + dice`, still is).
    for (const [side, other] of [
      [sides[0], r],
      [sides[1], l],
    ] as const) {
      const prod = operands(side, '*');
      const weighted = ctx.valueOf(side);
      if (!prod || !other || other.m === 'scalar' || other.m === 'none' || weighted?.m !== 'focal' || weighted.focal?.alpha?.kind !== 'scalar') continue;
      const alphaId = weighted.focal.alpha.value.id;
      const [a, b] = prod.map((p) => ctx.valueOf(p));
      for (const [w, loss] of [
        [a, b],
        [b, a],
      ]) {
        if (w?.id === alphaId && loss?.m === 'focal' && loss.reduced) out.add(alphaId);
      }
    }
  }
  return out;
}

/**
 * Ids of alphas of a binary loss that weigh the negatives only: inside a term masked by the negatives
 * (`(1 - pos_mask) * alpha * p ** g`, Varifocal Loss's weight of the negatives) and on no term of the
 * positives. (On the positives only, a scalar alpha is the categorical form's one weight for every
 * class, LL101; on both sides it is one scalar for every element.)
 */
function negativesOnlyAlphas(ctx: RuleContext): Set<number> {
  // By the hyperparameter's name where it has one (each read of `self.alpha` is a value of its own).
  const sides = new Map<string, { ids: number[]; sides: Set<string> }>();
  for (const f of ctx.unitFunctions()) {
    for (const v of f.values.values()) {
      if (v.m !== 'masked' || v.of?.m !== 'focal' || v.of.focal?.alpha?.kind !== 'scalar') continue;
      const alpha = v.of.focal.alpha.value;
      const key = alpha.name ?? `#${alpha.id}`;
      const e = sides.get(key) ?? { ids: [], sides: new Set<string>() };
      e.ids.push(alpha.id);
      e.sides.add(v.maskComplementOf !== undefined ? 'neg' : 'pos');
      sides.set(key, e);
    }
  }
  return new Set([...sides.values()].filter((e) => e.sides.size === 1 && e.sides.has('neg')).flatMap((e) => e.ids));
}

/**
 * Alphas whose complement `1 - alpha` is also used in the function of a binary loss (`pos = alpha * pos.sum() / n`,
 * `neg = (1 - alpha) * neg.sum() / n`; or `alpha * focal + (1 - alpha) * dice`): alpha is split
 * between two parts, an alpha_t written on parts the algebra did not join or a mixing weight, not one
 * scalar on every element. By the hyperparameter's name where it has one (each read of `self.alpha`
 * is a value of its own).
 */
function complementedAlphas(ctx: RuleContext): Set<string> {
  const names = new Map<number, string>();
  const complements: AbsValue[] = [];
  const reads = new Map<number, number>();
  for (const e of ctx.exprs()) {
    const v = ctx.valueOf(e);
    if (!v) continue;
    if (v.name) names.set(v.id, v.name);
    if (v.m === 'scalar' && v.complementOf !== undefined) complements.push(v);
    if (v.m === 'scalar') reads.set(v.id, (reads.get(v.id) ?? 0) + 1);
  }
  const key = (id: number): string => names.get(id) ?? `#${id}`;
  const out = new Set(complements.map((c) => key(c.complementOf!)));
  // The complement as the factor (`(1 - a) * s ** g` beside `a * s2 ** g`, alpha_t written entry by entry):
  // split too when alpha itself is read other than inside its complements.
  const inside = new Map<number, number>();
  // (`-(1 - a)` carries the complement's mark too: one read of `a` per complement written, not per negation of one.)
  for (const c of complements) if (c.negOf === undefined) inside.set(c.complementOf!, (inside.get(c.complementOf!) ?? 0) + 1);
  for (const c of complements) if ((reads.get(c.complementOf!) ?? 0) > (inside.get(c.complementOf!) ?? 0)) out.add(`#${c.id}`);
  return out;
}

/** The statements of a body, nested blocks included. */
/**
 * The two operands of an arithmetic operation written with the operator (`a * b`) or with a call of
 * an op that spells it (`tf.multiply(a, b)`, `torch.mul(a, b)`, `a.mul(b)`: the op table's `operator`).
 */
export function operands(e: Expr, op: '+' | '-' | '*' | '/'): [Expr, Expr] | undefined {
  if (e.k === 'bin') return e.op === op ? [e.left, e.right] : undefined;
  if (e.k === 'call' && e.op?.operator === op && e.bound?.input && e.bound.other && !e.splat) return [e.bound.input, e.bound.other];
  return undefined;
}

/** Where alpha multiplies the loss: an operand of a product (`alpha * ce`), or `x *= alpha` a statement earlier. */
function alphaSite(ctx: RuleContext, alphaId: number): Omit<ScalarAlpha, 'focal'> | undefined {
  let found: Omit<ScalarAlpha, 'focal'> | undefined;
  for (const inner of ctx.exprs()) {
    const sides = operands(inner, '*');
    if (!sides) continue;
    const [left, right] = sides;
    const l = ctx.valueOf(left);
    const r = ctx.valueOf(right);
    const hit = l?.id === alphaId && isScalarAlpha(l) ? 'left' : r?.id === alphaId && isScalarAlpha(r) ? 'right' : undefined;
    if (!hit) continue;
    // The same alpha in two products (`where(t == 1, alpha * a, alpha * b)`): reported at the first,
    // with no product to rewrite (a fix of one would leave the other).
    if (found) return { ...found, product: undefined };
    // A product spelled as a call (`tf.multiply(alpha, x)`) is reported without a rewrite.
    found = { product: inner.k === 'bin' ? inner : undefined, alpha: hit === 'left' ? left : right, rest: hit === 'left' ? right : left, alphaValue: hit === 'left' ? l! : r! };
  }
  if (found) return found;
  for (const s of stmtsOf(ctx.fn.body)) {
    if (s.k !== 'assign' || s.aug !== '*') continue;
    const v = ctx.valueOf(s.value);
    if (v?.id === alphaId && isScalarAlpha(v)) return { alpha: s.value, alphaValue: v };
  }
  return undefined;
}

/**
 * Focal losses of the given activation with one scalar alpha and a modulating factor, each with
 * where alpha enters: in the same expression or statements earlier (`logpt = logpt * alpha`,
 * `logpt *= alpha`). Each alpha is reported once, at that place.
 */
export function* scalarAlphaProducts(ctx: RuleContext, act: 'softmax' | 'sigmoid'): Generator<ScalarAlpha> {
  let consumed: Set<number> | undefined;
  let complemented: Set<string> | undefined;
  const done = new Set<number>();
  for (const e of ctx.exprs()) {
    const v = ctx.valueOf(e);
    const parts = v?.focal;
    if (!v || v.m !== 'focal' || !parts || parts.library || !parts.modulating) continue;
    if (parts.alpha?.kind !== 'scalar' || (parts.alpha.unknownKind && !alphaNamed(parts.alpha.value))) continue;
    const focalAct = parts.ce?.act ?? parts.modulating.act ?? v.act;
    if (focalAct !== act) continue;
    const alphaId = parts.alpha.value.id;
    if (done.has(alphaId)) continue;
    consumed ??= new Set([...consumedAlphas(ctx), ...partialAlphas(ctx), ...(act === 'sigmoid' ? negativesOnlyAlphas(ctx) : [])]);
    if (consumed.has(alphaId)) continue;
    // (Binary losses only: in a softmax loss 1 - alpha on a sigmoid branch beside it splits nothing of the softmax one's.)
    if (act === 'sigmoid') {
      complemented ??= complementedAlphas(ctx);
      const a = parts.alpha.value;
      if (complemented.has(a.name ?? `#${alphaId}`) || (a.negOf !== undefined && complemented.has(`#${a.negOf}`))) continue;
    }
    const site = alphaSite(ctx, alphaId);
    if (!site) continue;
    done.add(alphaId);
    yield { ...site, focal: v };
  }
}

/** Whether alpha's only known value is 1: a no-op as written, a rescale for any other value passed. */
export function alphaIsOne(v: AbsValue): boolean {
  const values = v.values?.map((x) => (v.negOf !== undefined ? -x : x));
  return !!values && values.length === 1 && values[0] === 1;
}

/** `alpha=0.25` for display, with the sign of the hyperparameter itself (not of `-alpha`). */
export function alphaText(v: AbsValue): string {
  const name = v.name && !v.name.includes(' ') ? v.name : 'alpha';
  const values = v.values?.map((x) => (v.negOf !== undefined ? -x : x));
  return values && values.length ? `${name}=${values.join(' or ')}` : name;
}

/** The alpha expression without a leading unary minus, and whether there was one. */
export function unnegated(e: Expr): { expr: Expr; negated: boolean } {
  if (e.k === 'unary' && e.op === '-') return { expr: e.operand, negated: true };
  return { expr: e, negated: false };
}
