/**
 * `losslint rule CODE` (a rule's documentation page) and `losslint rules` / `losslint rule --all`
 * (the table of rules), read from the registry.
 */
import { allRules, ruleByCode } from '../analysis/registry';
import type { Rule } from '../core/rule';

/** The rule's page in Markdown, ending with one newline; undefined for an unknown code. */
export function rulePage(code: string): string | undefined {
  const rule = ruleByCode(code.trim());
  return rule ? `${rule.docs.trimEnd()}\n` : undefined;
}

/** One line per rule: code, name, fixable mark, summary, in aligned columns. */
export function rulesTable(rules: readonly Rule[] = allRules()): string {
  if (rules.length === 0) return 'No rules are registered.\n';
  const nameWidth = Math.max(4, ...rules.map((r) => r.meta.name.length));
  const header = `${'Code'.padEnd(6)}  ${'Name'.padEnd(nameWidth)}  Fix  Summary`;
  const lines = rules.map(
    (r) => `${r.meta.code.padEnd(6)}  ${r.meta.name.padEnd(nameWidth)}  ${(r.meta.fixable ? 'yes' : '-').padEnd(3)}  ${r.meta.summary}`,
  );
  return `${[header, ...lines].join('\n')}\n`;
}

/** The rules as JSON, for scripts: code, name, severity, summary, fixable. */
export function rulesJson(rules: readonly Rule[] = allRules()): string {
  const list = rules.map(({ meta }) => ({
    code: meta.code,
    name: meta.name,
    severity: meta.severity,
    summary: meta.summary,
    fixable: meta.fixable,
  }));
  return `${JSON.stringify(list, null, 2)}\n`;
}
