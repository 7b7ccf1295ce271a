/**
 * What a rule sees: one analysed function, the lattice values the abstract interpreter gave its
 * expressions, the module around it, and a `report` sink. Rules decide on `valueOf`; they read
 * source text (`text`) only to build replacement text for fixes.
 */
import type { FunctionFacts, ModuleFacts } from './interp';
import type { Call, Expr, FunctionIR, ModuleIR, Span } from './ir';
import { walkExprs } from './ir';
import type { AbsValue } from './lattice';
import type { ModuleSummary } from './summary';
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
  /**
   * The facts of the functions analysed in this run: the whole module, or in an incremental run only
   * the statements being re-checked. To look beyond the function, use `unitFunctions` or `anyFunction`.
   */
  readonly moduleFacts: ModuleFacts;
  readonly settings: LintSettings;
  readonly source: string;
  /** The abstract value the interpreter computed for an expression of this function. */
  valueOf(e: Expr | undefined): AbsValue | undefined;
  /** Every expression of the function body (nested defs excluded), children before parents. */
  exprs(): Iterable<Expr>;
  /** Every call of the function body (nested defs excluded). */
  calls(): readonly Call[];
  text(span: Span): string;
  /** The source text of `span` for a message: on one line (line breaks and the indentation after them become one space). */
  code(span: Span): string;
  report(r: Report): void;
  /** The functions of the top-level statement this one belongs to (itself, nested ones, its class's methods). */
  unitFunctions(): FunctionFacts[];
  /** Whether some function of the module satisfies `summary` (summary.ts). */
  anyFunction(summary: ModuleSummary): boolean;
}

/** The top-level name a function belongs to: `f` for `f.<locals>.g`, `Cls` for `Cls.forward`. */
export function topLevelName(fn: FunctionIR): string {
  if (fn.isModule) return '<module>';
  const dot = fn.qualname.indexOf('.');
  return dot < 0 ? fn.qualname : fn.qualname.slice(0, dot);
}

export function makeContext(
  fn: FunctionIR,
  module: ModuleIR,
  moduleFacts: ModuleFacts,
  settings: LintSettings,
  source: string,
  report: (r: Report) => void,
  anyFunction: (summary: ModuleSummary) => boolean,
): RuleContext {
  const facts = moduleFacts.functions.get(fn)!;
  // Plain functions only: a generator method made here per context (`*calls() {...}`) kept the
  // context, with the document text and the run's facts, alive through V8's young-generation
  // collections until the next full one (test/core/context.test.ts, bench/RESULTS.md).
  let cached: Expr[] | undefined;
  let cachedCalls: Call[] | undefined;
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
    calls: () => {
      if (!cachedCalls) {
        cachedCalls = [];
        for (const e of all()) if (e.k === 'call') cachedCalls.push(e);
      }
      return cachedCalls;
    },
    text: (span) => source.slice(span.s, span.e),
    code: (span) => source.slice(span.s, span.e).replace(/\s*(?:\r\n|\r|\n)\s*/g, ' '),
    report,
    unitFunctions: () => {
      const top = topLevelName(fn);
      const out: FunctionFacts[] = [];
      for (const f of moduleFacts.functions.values()) if (topLevelName(f.fn) === top) out.push(f);
      return out;
    },
    anyFunction,
  };
}
