/**
 * Shared predicate of LL101 and LL102: a focal loss whose alpha is one known scalar, the same for
 * every class and every sample. Reads the final focal value's parts, so `alpha * ce * (1 - pt) ** g`
 * is seen whatever the order of the factors, and skips an alpha that a sum of a positive and a
 * negative term turned into alpha_t (`alpha * ... * t + (1 - alpha) * ... * (1 - t)`).
 */
import type { RuleContext } from '../core/context';
import type { Expr } from '../core/ir';
import { walkExprs } from '../core/ir';
import type { AbsValue, FocalParts } from '../core/lattice';

export interface ScalarAlpha {
  /** The `alpha * rest` product where alpha is an operand. */
  product: Extract<Expr, { k: 'bin' }>;
  alpha: Expr;
  rest: Expr;
  alphaValue: AbsValue;
  focal: AbsValue;
}

function isScalarAlpha(v: AbsValue | undefined): boolean {
  if (!v || v.m !== 'scalar') return false;
  if (v.values?.length === 1 && Math.abs(v.values[0]) === 1) return false;
  return !!v.hyper || !!(v.values && v.values.length > 0 && v.values.every((x) => Math.abs(x) > 0 && Math.abs(x) < 1));
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

/** Focal values with a scalar alpha and a modulating factor, each with the product where alpha is an operand. */
export function* scalarAlphaProducts(ctx: RuleContext, act: 'softmax' | 'sigmoid'): Generator<ScalarAlpha> {
  let consumed: Set<number> | undefined;
  const done = new Set<Expr>();
  for (const e of ctx.exprs()) {
    if (e.k !== 'bin' || e.op !== '*') continue;
    const v = ctx.valueOf(e);
    const parts = v?.focal;
    if (!v || v.m !== 'focal' || !parts || parts.library || !parts.modulating) continue;
    if (parts.alpha?.kind !== 'scalar' || parts.alpha.unknownKind) continue;
    const focalAct = parts.ce?.act ?? parts.modulating.act ?? v.act;
    if (focalAct !== act) continue;
    const alphaId = parts.alpha.value.id;
    consumed ??= consumedAlphas(ctx);
    if (consumed.has(alphaId)) continue;
    // The operand carrying alpha, inside this product.
    for (const inner of walkExprs(e)) {
      if (inner.k !== 'bin' || inner.op !== '*' || done.has(inner)) continue;
      const l = ctx.valueOf(inner.left);
      const r = ctx.valueOf(inner.right);
      const hit = l?.id === alphaId && isScalarAlpha(l) ? 'left' : r?.id === alphaId && isScalarAlpha(r) ? 'right' : undefined;
      if (!hit) continue;
      done.add(inner);
      yield {
        product: inner,
        alpha: hit === 'left' ? inner.left : inner.right,
        rest: hit === 'left' ? inner.right : inner.left,
        alphaValue: hit === 'left' ? l! : r!,
        focal: v,
      };
      break;
    }
  }
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
