/**
 * Helpers that rules share to build fix text: the framework a function is written in, the local
 * names of its modules, and an `eps` already in scope. Fixes read source text only to copy the
 * user's own sub-expressions into the replacement.
 */
import type { RuleContext } from '../core/context';
import { walkExprs, type Call, type Expr, type ModuleIR, type Span } from '../core/ir';
import { stmtRoots, stmtsOf } from '../core/walk';
import type { TextEdit } from '../core/types';

export type Framework = 'torch' | 'tf' | 'keras';

/** The framework of a function: the first one whose calls appear in it, then the module's imports. */
export function frameworkOf(ctx: RuleContext): Framework {
  for (const c of ctx.calls()) {
    const q = c.callee ?? '';
    if (q.startsWith('torch')) return 'torch';
    if (q.startsWith('tensorflow.keras.backend') || q.startsWith('keras.backend')) return 'keras';
    if (q.startsWith('tensorflow')) return 'tf';
    if (q.startsWith('keras')) return 'keras';
  }
  const mods = [...ctx.module.imports.values()];
  if (mods.some((m) => m.startsWith('torch'))) return 'torch';
  if (mods.some((m) => m.startsWith('tensorflow'))) return 'tf';
  if (mods.some((m) => m.startsWith('keras'))) return 'keras';
  return 'torch';
}

/** The local name bound to a module (`tf` for tensorflow, `K` for keras.backend), if imported. */
export function localName(ctx: RuleContext, module: string | string[]): string | undefined {
  const wanted = Array.isArray(module) ? module : [module];
  for (const [local, full] of ctx.module.imports) if (wanted.includes(full)) return local;
  return undefined;
}

/** An epsilon already available in the function (`eps` parameter, `self.eps`), else a literal. */
export function epsilonIn(ctx: RuleContext, fallback = '1e-6'): string {
  const names = ['eps', 'epsilon', 'smooth'];
  for (const p of ctx.fn.params) if (names.includes(p.name)) return p.name;
  if (ctx.fn.className) {
    const attrs = ctx.moduleFacts.classAttrs.get(ctx.fn.className);
    for (const n of names) if (attrs?.has(n)) return `self.${n}`;
  }
  return fallback;
}

/** The span an expression occupies including its own parentheses. */
export function outerSpan(e: Expr): Span {
  return e.paren ?? e.span;
}

/** Source text of an expression, parenthesised when it is not atomic. */
export function atomText(ctx: RuleContext, e: Expr): string {
  const text = ctx.text(outerSpan(e));
  if (e.paren || e.k === 'name' || e.k === 'attr' || e.k === 'call' || e.k === 'subscript' || e.k === 'num') return text;
  return `(${text})`;
}

export function replace(span: Span, newText: string): TextEdit {
  return { range: span.r, newText };
}

/** An edit that adds `name=value` as the last argument of a call (or replaces the argument if present). */
export function setKeyword(ctx: RuleContext, call: Call, name: string, value: string): TextEdit {
  const existing = call.kwargs[name];
  if (existing) return replace(existing.span, value);
  const end = call.span.r.end;
  const before = ctx.source.slice(call.span.s, call.span.e - 1).trimEnd();
  const open = before.endsWith('(');
  const sep = open ? '' : before.endsWith(',') ? ' ' : ', ';
  return { range: { start: { line: end.line, character: end.character - 1 }, end: { line: end.line, character: end.character - 1 } }, newText: `${sep}${name}=${value}` };
}

/** The local spelling of torch.nn.functional (`F`), or the full path. */
export function functionalName(ctx: RuleContext): string {
  return localName(ctx, 'torch.nn.functional') ?? (localName(ctx, 'torch') ? `${localName(ctx, 'torch')}.nn.functional` : 'torch.nn.functional');
}

export function torchName(ctx: RuleContext): string {
  return localName(ctx, 'torch') ?? 'torch';
}

/** The Expr in this function whose span is exactly `span` (values remember where they were produced). */
export function exprAt(ctx: RuleContext, span: Span | undefined): Expr | undefined {
  if (!span) return undefined;
  for (const e of ctx.exprs()) if (e.span.s === span.s && e.span.e === span.e) return e;
  return undefined;
}

/** Every function's facts in the module: for rules that look across functions (LL104 modules, LL107). */
export function findCallBySpan(ctx: RuleContext, span: Span | undefined): Call | undefined {
  if (!span) return undefined;
  for (const facts of ctx.moduleFacts.functions.values()) {
    for (const e of facts.values.keys()) if (e.k === 'call' && e.span.s === span.s && e.span.e === span.e) return e;
  }
  // A call evaluated as another function's call-site value (`helper(F.cross_entropy(...))`, or a local
  // bound once to one) is in the IR whether or not its own function was interpreted in this run (the
  // editor's incremental analysis interprets only the statements it re-checks).
  return callInIR(ctx.module, span);
}

/** The call at exactly `span` in the module's IR, looking only into functions and statements that enclose it. */
function callInIR(module: ModuleIR, span: Span): Call | undefined {
  const encloses = (x: { span: Span }): boolean => x.span.s <= span.s && x.span.e >= span.e;
  for (const body of [...module.functions.filter(encloses).map((f) => f.body), module.body]) {
    for (const s of stmtsOf(body)) {
      if (!encloses(s)) continue;
      for (const r of stmtRoots(s)) {
        if (!encloses(r)) continue;
        for (const x of walkExprs(r)) if (x.k === 'call' && x.span.s === span.s && x.span.e === span.e) return x;
      }
    }
  }
  return undefined;
}
