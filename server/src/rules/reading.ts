/**
 * Helpers that rules LL114-LL118 and LL203-LL205 share to place a finding and to build a fix: an
 * expression's parent in the function's IR, the names a function assigns, whether an expression's
 * text can be repeated elsewhere in the function. They read the IR's structure and never decide from
 * source text.
 */
import type { RuleContext } from '../core/context';
import type { Expr, Stmt, Target } from '../core/ir';

/** The parent of each expression of the function body (nested defs excluded). */
export function parents(ctx: RuleContext): Map<Expr, Expr> {
  const out = new Map<Expr, Expr>();
  for (const e of ctx.exprs()) for (const c of children(e)) out.set(c, e);
  return out;
}

function children(e: Expr): Expr[] {
  switch (e.k) {
    case 'attr':
      return [e.obj];
    case 'call':
      return [e.func, ...e.args, ...Object.values(e.kwargs)];
    case 'bin':
    case 'bool':
      return [e.left, e.right];
    case 'unary':
      return [e.operand];
    case 'cmp':
      return e.operands;
    case 'subscript':
      return [e.obj, ...e.index];
    case 'tuple':
      return e.items;
    case 'cond':
      return [e.test, e.body, e.orelse];
    case 'dict':
      return [...(e.keys.filter(Boolean) as Expr[]), ...e.values];
    case 'slice':
      return [e.lower, e.upper, e.step].filter(Boolean) as Expr[];
    default:
      return [];
  }
}

/** Every name the function binds by an assignment (augmented, tuple and loop-free forms). */
export function assignedNames(body: Stmt[], out = new Set<string>()): Set<string> {
  const target = (t: Target): void => {
    if (t.k === 'name') out.add(t.id);
    else if (t.k === 'tuple') t.items.forEach(target);
  };
  for (const s of body) {
    if (s.k === 'assign') s.targets.forEach(target);
    else if (s.k === 'if') {
      assignedNames(s.body, out);
      assignedNames(s.orelse, out);
    } else if (s.k === 'other') assignedNames(s.body, out);
    else if (s.k === 'def') out.add(s.fn.name);
  }
  return out;
}

/** How many times each name is bound by an assignment, and whether only at the function's top level. */
function bindings(body: Stmt[]): Map<string, { count: number; nested: boolean }> {
  const out = new Map<string, { count: number; nested: boolean }>();
  const walk = (ss: Stmt[], nested: boolean): void => {
    const target = (t: Target): void => {
      if (t.k === 'name') {
        const b = out.get(t.id) ?? { count: 0, nested: false };
        b.count++;
        b.nested ||= nested;
        out.set(t.id, b);
      } else if (t.k === 'tuple') t.items.forEach(target);
    };
    for (const s of ss) {
      if (s.k === 'assign') s.targets.forEach(target);
      else if (s.k === 'if') {
        walk(s.body, true);
        walk(s.orelse, true);
      } else if (s.k === 'other') walk(s.body, true);
    }
  };
  walk(body, false);
  return out;
}

/**
 * Whether `e` means the same anywhere after its value was made: a literal, a parameter the body never
 * rebinds, a local assigned exactly once at the function's top level, or `self.x`. Only such
 * expressions are copied into a fix away from where they were written.
 */
export function stable(ctx: RuleContext, e: Expr | undefined): boolean {
  if (!e) return false;
  if (e.k === 'num' || e.k === 'str' || e.k === 'const') return true;
  if (e.k === 'unary' && e.op === '-' && e.operand.k === 'num') return true;
  if (e.k === 'name') {
    const b = bindings(ctx.fn.body).get(e.id);
    const param = ctx.fn.params.some((p) => p.name === e.id);
    return param ? !b : !!b && b.count === 1 && !b.nested;
  }
  if (e.k === 'attr') return e.obj.k === 'name' && e.obj.id === 'self';
  return false;
}

/** `1e-08` as written by `String`: a short decimal or exponent form for messages. */
export function num(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a < 1e-3 || a >= 1e6 ? x.toExponential().replace(/\.?0+e/, 'e') : String(Number(x.toPrecision(6)));
}

/** The 1-based line of an expression, for messages that point at another line. */
export function lineOf(e: { span: { r: { start: { line: number } } } }): number {
  return e.span.r.start.line + 1;
}
