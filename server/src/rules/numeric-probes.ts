/**
 * LL301-LL309: the numeric probe rules. Their findings come from the concrete interpreter
 * (server/src/numeric/), not from a static `check`; they are registered here so that selection,
 * severity overrides, `losslint rule LL301`, SARIF rule metadata and docs pages treat them like
 * every other rule. Their pages live beside the probes in server/src/numeric/rules/.
 */
import { defineRule, type Rule } from '../core/rule';
import { NUMERIC_RULES } from '../numeric/rules';

export const NUMERIC_PROBE_RULES: readonly Rule[] = NUMERIC_RULES.map((r) =>
  defineRule({
    meta: { ...r.meta },
    docs: r.docs.startsWith('# ') ? r.docs : `# ${r.meta.code} ${r.meta.name}\n\n${r.docs}`,
    // Numeric findings are produced by the probes (numeric/probes.ts); nothing to check statically.
    check() {},
  }),
);
