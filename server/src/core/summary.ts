/**
 * Module summaries: the few facts a rule needs about the rest of the module rather than about the
 * function it checks (LL107: "some function of this file trains with a sigmoid focal loss").
 *
 * A summary is a predicate over one function's facts; a rule asks `ctx.anyFunction(summary)`. The
 * whole-module analysis answers by looking at every function; the incremental analysis
 * (incremental.ts) keeps each top-level statement's answer with its cached findings, so it can
 * answer without re-interpreting the statements that did not change, and re-checks the statements
 * whose findings read a summary whose answer changed. Rules must not look across functions any
 * other way (`ctx.moduleFacts` holds only the functions being analysed in an incremental run).
 */
import type { FunctionFacts } from './interp';

export interface ModuleSummary {
  readonly name: string;
  readonly holds: (f: FunctionFacts) => boolean;
}

const registry: ModuleSummary[] = [];

/** Declares a summary (once, at module load); its name must be unique. */
export function defineSummary(name: string, holds: (f: FunctionFacts) => boolean): ModuleSummary {
  if (registry.some((s) => s.name === name)) throw new Error(`module summary ${name} defined twice`);
  const s: ModuleSummary = { name, holds };
  registry.push(s);
  return s;
}

/** Every summary the loaded rules declared. */
export function allSummaries(): readonly ModuleSummary[] {
  return registry;
}
