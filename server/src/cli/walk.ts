/**
 * Turns the paths given on the command line into the sorted list of Python files and notebooks to
 * check.
 *
 * A named file is always checked, whatever its extension (unless `forceExclude` is set, as ruff's
 * `--force-exclude`). A named directory is walked for the files the configuration's `include`
 * and `extend-include` globs name (by default *.py, *.pyi and *.ipynb), honouring .gitignore
 * files (from the repository root down) and the configuration's `exclude` and `extend-exclude`
 * globs. Unless the configuration sets `exclude`, the walk also skips hidden directories, virtual
 * environments (any directory holding a pyvenv.cfg) and the names in `DEFAULT_EXCLUDE`.
 * Symbolic links to directories are not followed, so a link cycle cannot trap the walk.
 * Problems are collected per path; the walk never stops early.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ConfigLoader, DEFAULT_EXCLUDE, GlobSet } from '../config';
import { describeIoError } from './source';

export interface WalkProblem {
  /** The absolute path the problem is about. */
  path: string;
  reason: string;
}

export interface WalkResult {
  /** Absolute paths, sorted and without duplicates. */
  files: string[];
  problems: WalkProblem[];
  /** Named files that `forceExclude` left out. */
  forceExcluded: number;
  /** Named directories under which nothing was found (absolute). */
  emptyDirectories: string[];
}
const SKIPPED_DIRECTORIES = new Set(DEFAULT_EXCLUDE);

export interface WalkOptions {
  /** Apply `exclude` to files named on the command line too. */
  forceExclude?: boolean;
}

export function collectFiles(paths: readonly string[], cwd: string, config: ConfigLoader, options: WalkOptions = {}): WalkResult {
  const files = new Set<string>();
  const problems: WalkProblem[] = [];
  const emptyDirectories: string[] = [];
  let forceExcluded = 0;
  for (const given of paths) {
    const absolute = path.resolve(cwd, given);
    let stats: fs.Stats;
    try {
      stats = fs.statSync(absolute);
    } catch (error) {
      problems.push({ path: absolute, reason: describeIoError(error) });
      continue;
    }
    if (stats.isDirectory()) {
      const found: Set<string> = new Set();
      walkDirectory(absolute, repositoryIgnores(absolute), { files: found, problems, config });
      if (found.size === 0) emptyDirectories.push(absolute);
      for (const file of found) files.add(file);
    } else if (!options.forceExclude || !config.isExcluded(absolute, false)) {
      files.add(absolute);
    } else {
      forceExcluded++;
    }
  }
  return { files: [...files].sort(compareCodeUnits), problems, forceExcluded, emptyDirectories };
}

interface WalkState {
  files: Set<string>;
  problems: WalkProblem[];
  config: ConfigLoader;
}

function walkDirectory(directory: string, inherited: readonly GlobSet[], state: WalkState): void {
  const ignores = withGitignore(directory, inherited);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(directory, { withFileTypes: true });
  } catch (error) {
    state.problems.push({ path: directory, reason: `cannot read directory: ${describeIoError(error)}` });
    return;
  }
  entries.sort((a, b) => compareCodeUnits(a.name, b.name));
  for (const entry of entries) {
    const absolute = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      const skipped = state.config.usesDefaultExcludes(directory) && isSkippedDirectory(absolute, entry.name);
      if (!skipped && !isIgnored(absolute, true, ignores, state.config)) {
        walkDirectory(absolute, ignores, state);
      }
    } else if ((entry.isFile() || entry.isSymbolicLink()) && state.config.isIncluded(absolute)) {
      if (!isIgnored(absolute, false, ignores, state.config)) state.files.add(absolute);
    }
  }
}

function isSkippedDirectory(absolute: string, name: string): boolean {
  return name.startsWith('.') || SKIPPED_DIRECTORIES.has(name) || fs.existsSync(path.join(absolute, 'pyvenv.cfg'));
}

/** Whether .gitignore files or the configuration's `exclude` leave a path out. */
function isIgnored(absolute: string, isDirectory: boolean, ignores: readonly GlobSet[], config: ConfigLoader): boolean {
  // The deepest .gitignore with an opinion wins, as in git.
  let ignored = false;
  for (const set of ignores) {
    const verdict = set.verdict(absolute, isDirectory);
    if (verdict) ignored = verdict === 'matched';
  }
  return ignored || config.isExcluded(absolute, isDirectory);
}

/** The inherited .gitignore sets plus this directory's own, if it has one. */
function withGitignore(directory: string, inherited: readonly GlobSet[]): readonly GlobSet[] {
  const own = readGitignore(directory);
  return own ? [...inherited, own] : inherited;
}

/**
 * The .gitignore files that apply to a walked directory from above it: those of its ancestors up
 * to the repository root (the nearest directory holding .git). Outside a repository there are none.
 */
function repositoryIgnores(directory: string): GlobSet[] {
  if (fs.existsSync(path.join(directory, '.git'))) return [];
  const ancestors: string[] = [];
  for (let dir = directory; path.dirname(dir) !== dir; ) {
    dir = path.dirname(dir);
    ancestors.push(dir);
    if (fs.existsSync(path.join(dir, '.git'))) {
      return ancestors
        .reverse()
        .map(readGitignore)
        .filter((set): set is GlobSet => set !== undefined);
    }
  }
  return [];
}

function readGitignore(directory: string): GlobSet | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(directory, '.gitignore'), 'utf8');
  } catch {
    return undefined;
  }
  return new GlobSet(directory, text.split(/\r?\n/));
}

/** Locale-independent ordering, so every machine lists files in the same order. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
