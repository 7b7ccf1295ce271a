/**
 * What a rule sees: one analysed function, the lattice values the abstract interpreter gave its
 * expressions, the module around it, and a `report` sink. Rules decide on `valueOf`; they read
 * source text (`text`) only to build replacement text for fixes.
 */
import type { FunctionFacts, ModuleFacts } from './interp';
import type { Call, Expr, FunctionIR, ModuleIR, Span } from './ir';
import { walkExprs } from './ir';
import type { AbsValue } from './lattice';
import type { Fix, LintSettings } from './types';

export interface Report {
  /** The flagged expression or a span inside it. */
  span: Span;
  message: string;
  /** Markdown for the hover: the math of this very finding, in a few lines. */
  explanation: string;
  fix?: Fix;
}

export interface RuleContext {
  readonly fn: FunctionIR;
  readonly module: ModuleIR;
  readonly facts: FunctionFacts;
  readonly moduleFacts: ModuleFacts;
  readonly settings: LintSettings;
  readonly source: string;
  /** The abstract value the interpreter computed for an expression of this function. */
  valueOf(e: Expr | undefined): AbsValue | undefined;
  /** Every expression of the function body (nested defs excluded), children before parents. */
  exprs(): Iterable<Expr>;
  /** Every call of the function body (nested defs excluded). */
  calls(): Iterable<Call>;
  text(span: Span): string;
  report(r: Report): void;
}

export function makeContext(
  fn: FunctionIR,
  module: ModuleIR,
  moduleFacts: ModuleFacts,
  settings: LintSettings,
  source: string,
  report: (r: Report) => void,
): RuleContext {
  const facts = moduleFacts.functions.get(fn)!;
  let cached: Expr[] | undefined;
  const all = (): Expr[] => {
    if (!cached) {
      cached = [];
      for (const root of facts.roots) for (const e of walkExprs(root)) cached.push(e);
    }
    return cached;
  };
  return {
    fn,
    module,
    facts,
    moduleFacts,
    settings,
    source,
    valueOf: (e) => (e ? facts.values.get(e) : undefined),
    exprs: all,
    *calls() {
      for (const e of all()) if (e.k === 'call') yield e;
    },
    text: (span) => source.slice(span.s, span.e),
    report,
  };
}
