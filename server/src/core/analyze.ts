/**
 * The core's entry point: a parsed document and settings in, findings out.
 * Pure: no IO, no LSP types, never throws for any input (a crashing rule is caught and skipped).
 *
 * Flow: tree -> IR (ir.ts) -> abstract interpretation (interp.ts) -> each enabled rule's `check`
 * per function -> noqa and severity overrides -> findings sorted by position.
 */
import { makeContext, type Report } from './context';
import type { ParsedDocument } from './document';
import { interpretModule, type ModuleFacts } from './interp';
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

export function analyze(doc: ParsedDocument, settings: LintSettings, options: AnalyzeOptions = {}): Finding[] {
  return analyzeFull(doc, settings, options)?.findings ?? [];
}

export function analyzeFull(doc: ParsedDocument, settings: LintSettings, options: AnalyzeOptions = {}): Analysis | undefined {
  let module: ModuleIR;
  let facts: ModuleFacts;
  try {
    module = buildModule(doc.tree.rootNode);
    facts = interpretModule(module);
  } catch (error) {
    options.onRuleError?.('core', error);
    return undefined;
  }
  const rules = allRules().filter((r) => isEnabled(r.meta.code, settings));
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const fn of module.functions) {
    if (options.isCancelled?.()) break;
    if (!facts.functions.has(fn)) continue;
    for (const rule of rules) {
      const code = rule.meta.code;
      const report = (r: Report): void => {
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
      try {
        rule.check(makeContext(fn, module, facts, settings, doc.text, report));
      } catch (error) {
        options.onRuleError?.(code, error);
      }
    }
  }
  findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.code.localeCompare(b.code));
  return { module, facts, findings };
}
