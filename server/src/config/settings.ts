/**
 * Layering of lint settings: defaults, then the project's `[tool.losslint]`, then an override (the
 * CLI's flags or the editor's settings), then the file's `per-file-ignores`.
 *
 * Pure: no IO. The language server calls `mergeSettings` with the editor's settings as the override.
 */
import type { LintSettings } from '../core/types';

/** Settings a layer may set; an absent field keeps the value from the layer below. */
export type SettingsOverride = Partial<LintSettings>;

/**
 * Returns `base` with `override` laid over it, following ruff's layering:
 *
 * - A non-empty `select` redefines the selection: the result takes both `select` and `ignore` from
 *   the override, so `--select LL103` enables LL103 even where the project ignores it.
 *   An empty `select` means "not set" (an empty selection already means every rule).
 * - Without a `select`, the override's `ignore` entries are added to the base's.
 * - `severity` is merged per code, the override winning.
 * - `strict` is taken from the override when it sets it.
 */
export function mergeSettings(base: LintSettings, override: SettingsOverride): LintSettings {
  const redefinesSelection = (override.select?.length ?? 0) > 0;
  return {
    select: redefinesSelection ? [...(override.select ?? [])] : [...base.select],
    ignore: redefinesSelection ? [...(override.ignore ?? [])] : unique([...base.ignore, ...(override.ignore ?? [])]),
    severity: { ...base.severity, ...(override.severity ?? {}) },
    strict: override.strict ?? base.strict,
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
