/**
 * Shared helpers of the focal-semantics rules (LL109-LL113): the focal products of a function,
 * where a span sits in the function's statements (the `if` statements around it), and whether this
 * function owns a span (not a nested function's, not another function's whose value flowed here).
 */
import type { RuleContext } from '../core/context';
import type { Expr, Span, Stmt } from '../core/ir';
import type { AbsValue } from '../core/lattice';

/** Whether `inner` lies within `outer`. */
export function within(inner: Span, outer: Span): boolean {
  return outer.s <= inner.s && inner.e <= outer.e;
}

/** Whether a span is this function's own code: inside it (module code: outside every function) and not inside a function nested in it. */
export function ownsSpan(ctx: RuleContext, span: Span | undefined): boolean {
  if (!span) return false;
  if (!ctx.fn.isModule && !within(span, ctx.fn.span)) return false;
  return !ctx.module.functions.some((f) => f !== ctx.fn && !f.isModule && within(span, f.span) && (ctx.fn.isModule || within(f.span, ctx.fn.span)));
}

/** The focal values of the function's expressions that have a modulating factor, each with its expression. */
export function* focalProducts(ctx: RuleContext): Generator<{ expr: Expr; value: AbsValue }> {
  for (const e of ctx.exprs()) {
    const v = ctx.valueOf(e);
    if (v?.m === 'focal' && v.focal?.modulating) yield { expr: e, value: v };
  }
}

/** The `if` statements (innermost last) whose body or else branch holds `span`. */
export function enclosingIfs(body: readonly Stmt[], span: Span): Extract<Stmt, { k: 'if' }>[] {
  const out: Extract<Stmt, { k: 'if' }>[] = [];
  const visit = (ss: readonly Stmt[]): void => {
    // Sibling statements do not overlap: the first one that holds the span is the one.
    const s = ss.find((x) => within(span, x.span));
    if (!s) return;
    if (s.k === 'if') {
      const inBranch = [...s.body, ...s.orelse].some((x) => within(span, x.span));
      if (!inBranch) return;
      out.push(s);
      visit(s.body);
      visit(s.orelse);
    } else if (s.k === 'other') visit(s.body);
  };
  visit(body);
  return out;
}

/**
 * Whether an `if` tests a switch: a plain name or attribute (or its negation) holding a bool, such as
 * `if self.disable_torch_grad_focal_loss:`, rather than a condition computed from data.
 */
export function isFlagTest(ctx: RuleContext, test: Expr): boolean {
  const plain = test.k === 'unary' && test.op === 'not' ? test.operand : test;
  if (plain.k !== 'name' && plain.k !== 'attr') return false;
  return ctx.valueOf(plain)?.m === 'bool';
}

/** The expression of this function whose span is exactly `span`. */
export function exprWithSpan(ctx: RuleContext, span: Span | undefined): Expr | undefined {
  if (!span) return undefined;
  for (const e of ctx.exprs()) if (e.span.s === span.s && e.span.e === span.e) return e;
  return undefined;
}

/** The statement of the function's body (at any depth) whose span is exactly `span`. */
export function stmtWithSpan(body: readonly Stmt[], span: Span): Stmt | undefined {
  for (const s of body) {
    if (s.span.s === span.s && s.span.e === span.e) return s;
    if (!within(span, s.span)) continue;
    const inner = s.k === 'if' ? (stmtWithSpan(s.body, span) ?? stmtWithSpan(s.orelse, span)) : s.k === 'other' ? stmtWithSpan(s.body, span) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

/**
 * Whether `span` is only reached behind a switch: in a branch of an `if` statement or of a conditional
 * expression (`x.detach() if self.freeze else x`) whose test is a flag (isFlagTest).
 */
export function behindSwitch(ctx: RuleContext, span: Span): boolean {
  if (enclosingIfs(ctx.fn.body, span).some((s) => isFlagTest(ctx, s.test))) return true;
  for (const e of ctx.exprs()) {
    if (e.k === 'cond' && (within(span, e.body.span) || within(span, e.orelse.span)) && isFlagTest(ctx, e.test)) return true;
  }
  return false;
}

/** Where this function uses a value: the first name or attribute that holds it. */
export function useOf(ctx: RuleContext, v: AbsValue): Expr | undefined {
  for (const e of ctx.exprs()) if ((e.k === 'name' || e.k === 'attr') && ctx.valueOf(e)?.id === v.id) return e;
  return undefined;
}
