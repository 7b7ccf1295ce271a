/**
 * Validation of rule selectors (`LL103`, the prefix `LL1`, or `ALL`) against the registry's codes.
 * Shared by the `[tool.losslint]` reader and the CLI's `--select`/`--ignore` flags, so both reject
 * the same typos with the same words.
 */
import { allRules } from '../analysis/registry';

/** The codes of every registered rule. */
export function registeredCodes(): string[] {
  return allRules().map((rule) => rule.meta.code);
}

/** Upper-cases and trims a selector as written by a user. */
export function normalizeSelector(selector: string): string {
  return selector.trim().toUpperCase();
}

/**
 * Returns why a selector is invalid, or undefined when some registered rule matches it.
 * A selector is `ALL`, a full code, or a code prefix such as `LL1`.
 */
export function selectorProblem(selector: string, knownCodes: readonly string[]): string | undefined {
  const s = normalizeSelector(selector);
  if (s === 'ALL') return undefined;
  if (!/^LL\d{0,3}$/.test(s)) return `"${selector}" is not a rule code (expected LL and up to three digits, or ALL)`;
  if (!knownCodes.some((code) => code.startsWith(s))) return `unknown rule code "${selector}"`;
  return undefined;
}

/** Returns why a severity key is invalid: it must be one registered rule's full code. */
export function codeProblem(code: string, knownCodes: readonly string[]): string | undefined {
  const c = normalizeSelector(code);
  if (!/^LL\d{3}$/.test(c)) return `"${code}" is not a full rule code (expected LL and three digits)`;
  if (!knownCodes.includes(c)) return `unknown rule code "${code}"`;
  return undefined;
}
