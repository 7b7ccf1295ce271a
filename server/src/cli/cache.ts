/**
 * What `losslint check` keeps in its persistent cache (project/cache.ts, the store) and under which
 * keys. Each key holds everything the value is computed from, read from the code that computes it:
 *
 *   - `file` (content hash, dotted module name): what the project index keeps of a file: whether the
 *     prefilter keeps it, its summary or, without one, its imports and called names (`lightSummary`).
 *     `checkFileProject` computes them from the text alone, but for the module name that leaves out
 *     definitions the op table models (`moduleNameOf`: which folders above it are packages); the
 *     sliced module the summary reads does not depend on the settings (analysis/slice.ts uses them
 *     only in `checkFunctions`). The language server reads and writes these too (lsp/project.ts),
 *     and the `uses` entries below, when it indexes a workspace.
 *   - `findings` (content hash, mode, settings): the file's own findings and the parse problems its
 *     check reported. `checkFile` / `checkFileProject` compute them from the text and the settings
 *     (select, ignore, severities, strict: per file, the configuration's and the flags' together,
 *     per-file-ignores included); the file's path is not read (analysis is pure, invariant 2). `mode`
 *     is `project` (`checkFileProject`'s order) or `single` (`checkFile`: `--no-project`, notebooks).
 *   - `uses` (content hash, the project's definition names): a file's second summary
 *     (`summarize(..., { wanted, usesOnly })`, runProjectPass).
 *   - `attribute` (content hash, settings, path, path as shown, the values from elsewhere in full):
 *     the findings of a file checked with the values that reach it, and theirs where each value is
 *     written (project/check.ts `attribute`); the values (`ValueSource`: expressions, where they are
 *     written, the path each took, as messages quote them) change with any file or config they come
 *     from, so a callee, a caller or a config changed elsewhere gives a new key.
 * The tool version (the build's identity: version, sources, locked dependencies) is the folder every
 * entry is under. A result with a rule error (a rule that threw) is never stored.
 *
 * Nothing from a cache changes what is printed: a run that reads one prints what a run without one
 * prints, byte for byte (test/cli/cache.test.ts).
 */
import type { Finding, LintSettings } from '../core/types';
import { CheckCache, contentHash, type FileEntry } from '../project/cache';
import { moduleNameOf } from '../project/index';
import type { FileSummary } from '../project/summary';
import type { RuleFailure } from './pool';

export { CheckCache, contentHash, type FileEntry };


export interface FindingsEntry {
  findings: Finding[];
  ruleErrors: RuleFailure[];
}

export type CheckMode = 'project' | 'single';

/** A stable text of the settings (object keys sorted). */
export function settingsKey(settings: LintSettings): string {
  return stableJson(settings);
}

/**
 * A key's text of plain data: object keys sorted; what JSON would merge kept apart (a number JSON cannot
 * write, -0, undefined, a Map, a Set), so that two values with the same text are the same value.
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === undefined) return '\u0000undefined';
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return `\u0000number:${Object.is(v, -0) ? '-0' : String(v)}`;
    if (typeof v === 'bigint') return `\u0000bigint:${v}`;
    if (v instanceof Map) return { '\u0000map': [...v] };
    if (v instanceof Set) return { '\u0000set': [...v] };
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
      return out;
    }
    return v;
  });
}

/** A file's cached check: findings, the problems its check reported, and what the index keeps. */
export interface CachedCheck {
  findings: Finding[];
  ruleErrors: RuleFailure[];
  summary?: FileSummary;
  light?: FileEntry['light'];
}

export function lookupCheck(cache: CheckCache, file: string, hash: string, settings: LintSettings, mode: CheckMode): CachedCheck | undefined {
  if (mode === 'single') {
    const f = cache.get<FindingsEntry>('findings', [hash, mode, settingsKey(settings)]);
    return f && { findings: f.findings, ruleErrors: f.ruleErrors };
  }
  const e = cache.get<FileEntry>('file', [hash, moduleNameOf(file)]);
  if (!e) return undefined;
  if (!e.may) return { findings: [], ruleErrors: [], summary: e.summary, light: e.light };
  const f = cache.get<FindingsEntry>('findings', [hash, mode, settingsKey(settings)]);
  return f && { findings: f.findings, ruleErrors: f.ruleErrors, summary: e.summary, light: e.light };
}

/** Stores a file's check (nothing when a rule threw: only parse problems are part of a result). */
export function storeCheck(cache: CheckCache, file: string, hash: string, settings: LintSettings, mode: CheckMode, may: boolean, result: CachedCheck, parseCode: string): void {
  if (result.ruleErrors.some((e) => e.code !== parseCode)) return;
  if (mode === 'project') {
    const entry: FileEntry = { may };
    if (result.summary) entry.summary = result.summary;
    else if (result.light) entry.light = result.light;
    cache.set('file', [hash, moduleNameOf(file)], entry);
    if (!may) return;
  }
  const f: FindingsEntry = { findings: result.findings, ruleErrors: result.ruleErrors };
  cache.set('findings', [hash, mode, settingsKey(settings)], f);
}
