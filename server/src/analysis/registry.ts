/**
 * The rule registry: every rule by code, rule selection (select/ignore with prefixes, as ruff and
 * torchfix do) and severity overrides.
 */
import { RULES } from '../rules';
import type { Rule } from '../core/rule';
import type { LintSettings, Severity } from '../core/types';

const byCode = new Map<string, Rule>(RULES.map((r) => [r.meta.code, r]));

export function allRules(): readonly Rule[] {
  return RULES;
}

export function ruleByCode(code: string): Rule | undefined {
  return byCode.get(code.toUpperCase());
}

function matches(code: string, selector: string): boolean {
  const s = selector.trim().toUpperCase();
  return s === 'ALL' || (s.length > 0 && code.startsWith(s));
}

/** Whether a rule runs under these settings: selected (or no selection), not ignored, not `off`. */
export function isEnabled(code: string, settings: LintSettings): boolean {
  if (settings.severity[code] === 'off') return false;
  if (settings.select.length > 0 && !settings.select.some((s) => matches(code, s))) return false;
  // The longest matching selector wins, so `select = ["LL103"]` beats `ignore = ["LL1"]`.
  const sel = Math.max(-1, ...settings.select.filter((s) => matches(code, s)).map((s) => s.length));
  const ign = Math.max(-1, ...settings.ignore.filter((s) => matches(code, s)).map((s) => s.length));
  return !(ign >= 0 && ign >= sel);
}

export function effectiveSeverity(code: string, settings: LintSettings): Severity {
  const o = settings.severity[code];
  if (o && o !== 'off') return o;
  return ruleByCode(code)?.meta.severity ?? 'warning';
}

/** Path of a rule's page relative to the package root. */
export function docsRelativePath(code: string): string {
  return `docs/rules/${code.toUpperCase()}.md`;
}
