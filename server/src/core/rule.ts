/**
 * The contract every rule file implements (one file per rule under server/src/rules/).
 *
 * A rule is a predicate over the abstract interpreter's lattice: it reads the meanings that
 * `interp.ts` assigned to values and reports through the context. Rules never look at source text
 * to decide; they may read it only to build a fix's replacement text.
 */
import type { RuleContext } from './context';
import type { Severity } from './types';

export interface RuleMeta {
  /** `LL` + three digits; the hundreds digit is the family (1 focal-loss math, 2 numerics of logs and logits, 3 numeric probes). */
  code: string;
  /** kebab-case, unique. */
  name: string;
  severity: Severity;
  /** One line for tables and SARIF `shortDescription`. */
  summary: string;
  fixable: boolean;
}

export interface Rule {
  meta: RuleMeta;
  /**
   * The rule's documentation page in Markdown, with the headings `## What it does`,
   * `## Why is this bad?`, `## Example`, `## Use instead`, `## Fix safety`, `## References`.
   * `docs/rules/<code>.md` is generated from it (a test keeps them equal).
   */
  docs: string;
  /** Called once per analysed function. */
  check(ctx: RuleContext): void;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
