/**
 * The core's entry point: a parsed document and settings in, findings out.
 * Pure: no IO, no LSP types, never throws for any input (a crashing rule is caught and skipped).
 *
 * Flow: tree -> IR (ir.ts) -> abstract interpretation (interp.ts) -> each enabled rule's `check`
 * per function -> noqa and severity overrides -> findings sorted by position.
 *
 * The editor uses the incremental variant (incremental.ts), which runs the same `checkFunctions`
 * on the top-level statements that changed and reuses the findings of the others.
 */
import { makeContext, type Report } from '../core/context';
import type { ParsedDocument } from '../core/document';
import { interpretModule, type ExternalValues, type FunctionFacts, type ModuleFacts } from '../core/interp';
import { buildModule, kerasLossSignature, type FunctionIR, type ModuleIR, type ModulePlan } from '../core/ir';
import { allRules, effectiveSeverity, isEnabled } from './registry';
import type { ModuleSummary } from '../core/summary';
import type { Finding, LintSettings } from '../core/types';

export interface AnalyzeOptions {
  /** Polled between functions and rules; when it returns true the analysis stops early. */
  isCancelled?: () => boolean;
  /** Called when a rule throws; the analysis goes on without it. */
  onRuleError?: (code: string, error: unknown) => void;
  /** Values passed to this module's functions from other files and configs (interp.ts `ExternalValues`, built by project/). */
  external?: ExternalValues;
  /**
   * The CLI's sliced analysis (slice.ts) hands over what it built, so that the project index reads a
   * file's definitions from the same parse and IR (project/summary.ts): the plan, the module of the
   * statements it assembled, which ones, and their facts.
   */
  onSliced?: (sliced: SlicedModule) => void;
}

/** What `analyzeSliced` built of a file (`AnalyzeOptions.onSliced`). */
export interface SlicedModule {
  plan: ModulePlan;
  module: ModuleIR;
  facts: ModuleFacts;
  /** Indexes of the statements assembled into `module`. */
  built: ReadonlySet<number>;
  /** Module code left out of `module` (slice.ts: it can neither have a finding nor pass one a value). */
  skipped?: ReadonlySet<number>;
}

/** The IR and lattice of one document, for callers that need more than findings (numeric checks, hovers). */
export interface Analysis {
  module: ModuleIR;
  facts: ModuleFacts;
  findings: Finding[];
}

const PLAIN = new Set(['unknown', 'scalar', 'string', 'bool', 'none', 'tuple', 'function']);

function hasMeaning(ff: FunctionFacts): boolean {
  for (const v of ff.values.values()) if (!PLAIN.has(v.m)) return true;
  return false;
}

export function analyze(doc: ParsedDocument, settings: LintSettings, options: AnalyzeOptions = {}): Finding[] {
  return analyzeFull(doc, settings, options)?.findings ?? [];
}

/** What `checkFunctions` needs besides the functions: the module, its facts and how to answer summaries. */
export interface CheckInput {
  module: ModuleIR;
  facts: ModuleFacts;
  settings: LintSettings;
  text: string;
  anyFunction: (summary: ModuleSummary) => boolean;
}

/**
 * Runs every enabled rule on each of `fns` that was analysed and has a tensor meaning, handing each
 * finding to `sink` with its function (noqa not applied). Returns false when cancelled part way.
 */
export function checkFunctions(
  input: CheckInput,
  fns: Iterable<FunctionIR>,
  options: AnalyzeOptions,
  sink: (fn: FunctionIR, finding: Finding, key: string) => void,
  before?: (fn: FunctionIR) => void,
): boolean {
  const { module, facts, settings, text } = input;
  const rules = allRules().filter((r) => isEnabled(r.meta.code, settings));
  let rule = rules[0];
  let current: FunctionIR;
  const report = (r: Report): void => {
    const code = rule.meta.code;
    sink(
      current,
      {
        code,
        name: rule.meta.name,
        severity: effectiveSeverity(code, settings),
        message: r.message,
        range: r.span.r,
        explanation: r.explanation,
        fix: r.fix,
      },
      `${code}:${r.span.s}:${r.span.e}`,
    );
  };
  for (const fn of fns) {
    if (options.isCancelled?.()) return false;
    const ff = facts.functions.get(fn);
    // A function whose values all stayed plain (no tensor meaning at all) cannot satisfy any rule; an
    // inline lambda (a callback argument) is interpreted for its return value only (ir.ts `inline`),
    // unless it has a Keras loss's signature (`compile(loss=lambda y_true, y_pred: ...)`): a loss.
    if (!ff || !hasMeaning(ff) || (fn.inline && !kerasLossSignature(fn))) continue;
    current = fn;
    before?.(fn);
    const ctx = makeContext(fn, module, facts, settings, text, report, input.anyFunction);
    for (rule of rules) {
      try {
        rule.check(ctx);
      } catch (error) {
        options.onRuleError?.(rule.meta.code, error);
      }
    }
  }
  return true;
}

/** Findings in position order; ties broken by code, then end and message, so the order never depends on how they were found. */
export function compareByPosition(a: Finding, b: Finding): number {
  const x = a.range;
  const y = b.range;
  return (
    x.start.line - y.start.line ||
    x.start.character - y.start.character ||
    a.code.localeCompare(b.code) ||
    x.end.line - y.end.line ||
    x.end.character - y.end.character ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

/** Whether a `# noqa` comment on the finding's line silences it. */
export function silenced(noqa: ReadonlyMap<number, string[]>, f: Finding): boolean {
  const codes = noqa.get(f.range.start.line);
  return !!codes && (codes.length === 0 || codes.includes(f.code));
}

/** A `checkFunctions` sink that drops silenced and duplicate findings (same rule, same span) into `out`. */
export function collectInto(out: Finding[], noqa: ReadonlyMap<number, string[]>): (fn: FunctionIR, f: Finding, key: string) => void {
  const seen = new Set<string>();
  return (_fn, f, key) => {
    if (silenced(noqa, f) || seen.has(key)) return;
    seen.add(key);
    out.push(f);
  };
}

/** A summary answered by looking at every analysed function (memoized per run). */
export function summariesOver(facts: ModuleFacts): (summary: ModuleSummary) => boolean {
  const memo = new Map<ModuleSummary, boolean>();
  return (s) => {
    let v = memo.get(s);
    if (v === undefined) {
      v = false;
      for (const f of facts.functions.values()) {
        if (s.holds(f)) {
          v = true;
          break;
        }
      }
      memo.set(s, v);
    }
    return v;
  };
}

export function analyzeFull(doc: ParsedDocument, settings: LintSettings, options: AnalyzeOptions = {}): Analysis | undefined {
  let module: ModuleIR;
  let facts: ModuleFacts;
  try {
    module = buildModule(doc.tree.rootNode, doc.text, { excluded: doc.excluded });
    facts = interpretModule(module, undefined, { external: options.external });
    for (const e of facts.errors) options.onRuleError?.('core', e.error);
  } catch (error) {
    options.onRuleError?.('core', error);
    return undefined;
  }
  const findings: Finding[] = [];
  checkFunctions({ module, facts, settings, text: doc.text, anyFunction: summariesOver(facts) }, module.functions, options, collectInto(findings, module.noqa));
  findings.sort(compareByPosition);
  return { module, facts, findings };
}
