/** Walking the IR's statements (types only: ir.ts and the passes it runs may import it). */
import type { Expr, Stmt } from './ir-types';

/** Statements of a body, nested ones included (not those of nested definitions). */
export function* stmtsOf(ss: readonly Stmt[]): Generator<Stmt> {
  for (const s of ss) {
    yield s;
    if (s.k === 'if') {
      yield* stmtsOf(s.body);
      yield* stmtsOf(s.orelse);
    } else if (s.k === 'other') yield* stmtsOf(s.body);
  }
}

/** Statements of a body, nested blocks and nested definitions included (a closure reads the same names). */
export function stmtsDeep(body: readonly Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  for (const s of stmtsOf(body)) {
    out.push(s);
    if (s.k === 'def') out.push(...stmtsDeep(s.fn.body));
  }
  return out;
}

/** The expressions a statement holds at its own level (an assignment's target objects and indices included). */
export function stmtRoots(s: Stmt): Expr[] {
  switch (s.k) {
    case 'assign':
      return [s.value, ...s.targets.flatMap((t) => (t.k === 'attr' ? [t.obj] : t.k === 'subscript' ? [t.obj, ...t.index] : []))];
    case 'expr':
      return [s.value];
    case 'return':
      return s.value ? [s.value] : [];
    case 'if':
      return [s.test];
    case 'other':
      return [...(s.iter ? [s.iter] : []), ...(s.test ? [s.test] : []), ...(s.items ?? []).map((w) => w.ctx)];
    default:
      return [];
  }
}
