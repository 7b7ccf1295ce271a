/**
 * Reads and validates the `[tool.losslint]` table of a parsed pyproject.toml.
 *
 * Every problem is collected (not only the first), each naming the key it is about, so that one
 * run shows the user everything to fix. The caller decides what to do with a table that has
 * problems; the loader falls back to the defaults for the whole table.
 */
import type { Severity } from '../core/types';
import { codeProblem, normalizeSelector, selectorProblem } from './codes';
import type { SettingsOverride } from './settings';

/** The `[tool.losslint]` table, validated and normalized (codes upper-cased). */
export interface LossLintTable {
  settings: SettingsOverride;
  /** `exclude`: replaces the default exclusions when set (as in ruff). */
  exclude: string[] | undefined;
  /** `extend-exclude`: added to `exclude` or to the defaults. */
  extendExclude: string[];
  /** `include`: the files a directory walk checks; replaces the default (`*.py`, `*.pyi`, `*.ipynb`) when set. */
  include: string[] | undefined;
  /** `extend-include`: added to `include` or to the default. */
  extendInclude: string[];
  perFileIgnores: { pattern: string; codes: string[] }[];
  /** `max-file-size` in bytes, when set. */
  maxFileSize: number | undefined;
  /** `cache-dir`: where `losslint check` keeps its cache, as written (relative to the file's folder). */
  cacheDir: string | undefined;
}

export type TableResult = { ok: true; table: LossLintTable } | { ok: false; problems: string[] };

const KEYS = [
  'select',
  'ignore',
  'severity',
  'strict',
  'include',
  'extend-include',
  'exclude',
  'extend-exclude',
  'per-file-ignores',
  'max-file-size',
  'cache-dir',
] as const;
const LEVELS: readonly (Severity | 'off')[] = ['error', 'warning', 'info', 'hint', 'off'];

/** Returns the `tool.losslint` value of a parsed TOML document, or undefined when it has none. */
export function losslintSection(document: Record<string, unknown>): unknown {
  const tool = document.tool;
  return isTable(tool) ? tool.losslint : undefined;
}

/** Validates a `tool.losslint` value against the registry's codes. */
export function validateTable(value: unknown, knownCodes: readonly string[]): TableResult {
  const problems: string[] = [];
  const where = 'tool.losslint';
  if (!isTable(value)) return { ok: false, problems: [`${where}: expected a table, found ${describe(value)}`] };

  for (const key of Object.keys(value)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      const hint = closest(key, KEYS);
      problems.push(`${where}: unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
  }

  const settings: SettingsOverride = {};
  const select = codeList(value.select, `${where}.select`, knownCodes, problems);
  if (select) settings.select = select;
  const ignored = codeList(value.ignore, `${where}.ignore`, knownCodes, problems);
  if (ignored) settings.ignore = ignored;
  const severity = severityTable(value.severity, `${where}.severity`, knownCodes, problems);
  if (severity) settings.severity = severity;
  if (value.strict !== undefined) {
    if (typeof value.strict === 'boolean') settings.strict = value.strict;
    else problems.push(`${where}.strict: expected true or false, found ${describe(value.strict)}`);
  }
  const exclude = stringList(value.exclude, `${where}.exclude`, problems);
  const extendExclude = stringList(value['extend-exclude'], `${where}.extend-exclude`, problems) ?? [];
  const include = stringList(value.include, `${where}.include`, problems);
  const extendInclude = stringList(value['extend-include'], `${where}.extend-include`, problems) ?? [];
  const perFileIgnores = perFileTable(value['per-file-ignores'], `${where}.per-file-ignores`, knownCodes, problems);
  const maxFileSize = fileSize(value['max-file-size'], `${where}.max-file-size`, problems);
  let cacheDir: string | undefined;
  if (value['cache-dir'] !== undefined) {
    if (typeof value['cache-dir'] === 'string' && value['cache-dir'].length > 0) cacheDir = value['cache-dir'];
    else problems.push(`${where}.cache-dir: expected a folder path, found ${describe(value['cache-dir'])}`);
  }

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, table: { settings, exclude, extendExclude, include, extendInclude, perFileIgnores, maxFileSize, cacheDir } };
}

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 };

/**
 * Parses a file size: a whole number of bytes, or a string such as "500KB", "2MB" or "1.5 MiB"
 * (KB and MB are decimal, KiB and MiB binary). Returns bytes.
 */
export function parseFileSize(value: unknown): number | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = match ? SIZE_UNITS[match[2].toUpperCase()] : undefined;
  if (!match || unit === undefined) return undefined;
  return Math.round(Number(match[1]) * unit);
}

function fileSize(value: unknown, where: string, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const bytes = parseFileSize(value);
  if (bytes === undefined) {
    problems.push(`${where}: expected a number of bytes or a size such as "2MB", found ${describe(value)}`);
  }
  return bytes;
}

function stringList(value: unknown, where: string, problems: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    problems.push(`${where}: expected an array of strings, found ${describe(value)}`);
    return undefined;
  }
  const out: string[] = [];
  value.forEach((item, i) => {
    if (typeof item === 'string') out.push(item);
    else problems.push(`${where}[${i}]: expected a string, found ${describe(item)}`);
  });
  return out;
}

function codeList(value: unknown, where: string, knownCodes: readonly string[], problems: string[]): string[] | undefined {
  const list = stringList(value, where, problems);
  if (!list) return undefined;
  for (const selector of list) {
    const problem = selectorProblem(selector, knownCodes);
    if (problem) problems.push(`${where}: ${problem}`);
  }
  return list.map(normalizeSelector);
}

function severityTable(
  value: unknown,
  where: string,
  knownCodes: readonly string[],
  problems: string[],
): Record<string, Severity | 'off'> | undefined {
  if (value === undefined) return undefined;
  if (!isTable(value)) {
    problems.push(`${where}: expected a table of rule code = level, found ${describe(value)}`);
    return undefined;
  }
  const out: Record<string, Severity | 'off'> = {};
  for (const [code, level] of Object.entries(value)) {
    const problem = codeProblem(code, knownCodes);
    if (problem) problems.push(`${where}: ${problem}`);
    if (typeof level === 'string' && (LEVELS as readonly string[]).includes(level)) {
      out[normalizeSelector(code)] = level as Severity | 'off';
    } else {
      problems.push(`${where}.${code}: expected one of ${LEVELS.join(', ')}, found ${describe(level)}`);
    }
  }
  return out;
}

function perFileTable(
  value: unknown,
  where: string,
  knownCodes: readonly string[],
  problems: string[],
): { pattern: string; codes: string[] }[] {
  if (value === undefined) return [];
  if (!isTable(value)) {
    problems.push(`${where}: expected a table of glob = [rule codes], found ${describe(value)}`);
    return [];
  }
  const out: { pattern: string; codes: string[] }[] = [];
  for (const [pattern, codes] of Object.entries(value)) {
    const list = codeList(codes, `${where}."${pattern}"`, knownCodes, problems);
    if (list) out.push({ pattern, codes: list });
  }
  return out;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Names a TOML value's type for messages ("a string", "an array", ...). */
function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (value === undefined || value === null) return 'nothing';
  return 'a table';
}

/** The candidate within edit distance 2 of `word`, for "did you mean" hints. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
