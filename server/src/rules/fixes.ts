/**
 * Helpers that rules share to build fix text: the framework a function is written in, the local
 * names of its modules, and an `eps` already in scope. Fixes read source text only to copy the
 * user's own sub-expressions into the replacement.
 */
import type { RuleContext } from '../core/context';
import type { Expr, Span } from '../core/ir';
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
