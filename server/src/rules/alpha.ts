/**
 * Shared predicate of LL101 and LL102: a focal product `alpha * <focal term>` where alpha is one
 * known scalar, the same for every class and every sample.
 */
import type { RuleContext } from '../core/context';
import type { Expr } from '../core/ir';
import type { AbsValue } from '../core/lattice';

export interface ScalarAlpha {
  /** The `alpha * rest` product. */
  product: Extract<Expr, { k: 'bin' }>;
  alpha: Expr;
  rest: Expr;
  alphaValue: AbsValue;
  focal: AbsValue;
}

function isScalarAlpha(v: AbsValue | undefined): boolean {
  if (!v || v.m !== 'scalar') return false;
  if (v.values?.length === 1 && Math.abs(v.values[0]) === 1) return false;
  return !!v.hyper || !!(v.values && v.values.length > 0 && v.values.every((x) => x > 0 && x < 1));
}

/** Products whose final focal value carries a scalar alpha and a modulating factor. */
export function* scalarAlphaProducts(ctx: RuleContext, act: 'softmax' | 'sigmoid'): Generator<ScalarAlpha> {
  for (const e of ctx.exprs()) {
    if (e.k !== 'bin' || e.op !== '*') continue;
    const v = ctx.valueOf(e);
    const parts = v?.focal;
    if (!v || v.m !== 'focal' || !parts || parts.library || !parts.modulating) continue;
    if (parts.alpha?.kind !== 'scalar' || parts.alpha.unknownKind) continue;
    const focalAct = parts.ce?.act ?? parts.modulating.act ?? v.act;
    if (focalAct !== act) continue;
    const l = ctx.valueOf(e.left);
    const r = ctx.valueOf(e.right);
    if (isScalarAlpha(l) && r && (r.m === 'focal' || r.m === 'modulating' || r.m === 'ce' || r.m === 'logprob')) {
      yield { product: e, alpha: e.left, rest: e.right, alphaValue: l!, focal: v };
    } else if (isScalarAlpha(r) && l && (l.m === 'focal' || l.m === 'modulating' || l.m === 'ce' || l.m === 'logprob')) {
      yield { product: e, alpha: e.right, rest: e.left, alphaValue: r!, focal: v };
    }
  }
}

export function alphaText(v: AbsValue): string {
  const name = v.name && !v.name.includes(' ') ? v.name : 'alpha';
  return v.values && v.values.length ? `${name}=${v.values.join(' or ')}` : name;
}
