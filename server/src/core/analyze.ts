/**
 * The core's entry point: a parsed document and settings in, findings out.
 * Pure: no IO, no LSP types, never throws for any input (a crashing rule is caught and skipped).
 *
 * Flow: tree -> IR (ir.ts) -> abstract interpretation (interp.ts) -> each enabled rule's `check`
 * per function -> noqa and severity overrides -> findings sorted by position.
 */
import { makeContext, type Report } from './context';
import type { ParsedDocument } from './document';
import { interpretModule, type FunctionFacts, type ModuleFacts } from './interp';
import { buildModule, type ModuleIR } from './ir';
import { allRules, effectiveSeverity, isEnabled } from './registry';
import type { Finding, LintSettings } from './types';

export interface AnalyzeOptions {
  /** Polled between functions and rules; when it returns true the analysis stops early. */
  isCancelled?: () => boolean;
  /** Called when a rule throws; the analysis goes on without it. */
  onRuleError?: (code: string, error: unknown) => void;
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

export function analyzeFull(doc: ParsedDocument, settings: LintSettings, options: AnalyzeOptions = {}): Analysis | undefined {
  let module: ModuleIR;
  let facts: ModuleFacts;
  try {
    module = buildModule(doc.tree.rootNode, doc.text);
    facts = interpretModule(module);
    for (const e of facts.errors) options.onRuleError?.('core', e.error);
  } catch (error) {
    options.onRuleError?.('core', error);
    return undefined;
  }
  const rules = allRules().filter((r) => isEnabled(r.meta.code, settings));
  const findings: Finding[] = [];
  const seen = new Set<string>();
  let rule = rules[0];
  const report = (r: Report): void => {
    const code = rule.meta.code;
    const line = r.span.r.start.line;
    const noqa = module.noqa.get(line);
    if (noqa && (noqa.length === 0 || noqa.includes(code))) return;
    const key = `${code}:${r.span.s}:${r.span.e}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push({
      code,
      name: rule.meta.name,
      severity: effectiveSeverity(code, settings),
      message: r.message,
      range: r.span.r,
      explanation: r.explanation,
      fix: r.fix,
    });
  };
  for (const fn of module.functions) {
    if (options.isCancelled?.()) break;
    const ff = facts.functions.get(fn);
    // A function whose values all stayed plain (no tensor meaning at all) cannot satisfy any rule.
    if (!ff || !hasMeaning(ff)) continue;
    const ctx = makeContext(fn, module, facts, settings, doc.text, report);
    for (rule of rules) {
      try {
        rule.check(ctx);
      } catch (error) {
        options.onRuleError?.(rule.meta.code, error);
      }
    }
  }
  findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.code.localeCompare(b.code));
  return { module, facts, findings };
}
