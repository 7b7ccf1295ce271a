/**
 * Finds and reads the project configuration that applies to a file: the nearest pyproject.toml,
 * walking up from the file's directory, that has a `[tool.losslint]` table (as ruff does with
 * `[tool.ruff]`), or one explicit file for every path.
 *
 * A broken configuration never stops analysis: the loader reports it once per file through
 * `onError`, attaches it to every result that uses it, and falls back to the defaults.
 * Lookups are cached per directory and parsed files per path; `clear` drops both (the language
 * server calls it when a pyproject.toml changes).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as SmolToml from 'smol-toml' with { 'resolution-mode': 'import' };
import { DEFAULT_SETTINGS, type LintSettings } from '../core/types';
import { registeredCodes } from './codes';
import { GlobSet } from './globs';
import { losslintSection, validateTable } from './schema';
import { mergeSettings, type SettingsOverride } from './settings';

/** A configuration file that could not be used, and everything wrong with it. */
export interface ConfigError {
  /** Absolute path of the configuration file. */
  path: string;
  problems: string[];
}

/** The configuration that applies to one file. */
export interface FileConfig {
  /** Defaults, then `[tool.losslint]`, then the caller's override, then `per-file-ignores`. */
  settings: LintSettings;
  /** The configuration file used, if any. */
  configPath: string | undefined;
  /** Whether the file matches the configuration's `exclude` or `extend-exclude` globs. */
  excluded: boolean;
  /** Files larger than this many bytes are skipped (`max-file-size`). */
  maxFileSize: number;
  /** `cache-dir`, absolute (relative to the configuration file's folder), when set. */
  cacheDir?: string;
  /** Set when the configuration file is broken; `settings` then hold the defaults. */
  error: ConfigError | undefined;
}

export interface ConfigLoaderOptions {
  /** Use this file for every path instead of searching (the CLI's `--config`). */
  configFile?: string;
  /** Rule codes that selectors are checked against; the registry's codes by default. */
  knownCodes?: readonly string[];
  /** Called once per broken configuration file. */
  onError?: (error: ConfigError) => void;
}

/** A configuration file, read and validated. */
interface LoadedConfig {
  path: string;
  settings: SettingsOverride;
  /** `exclude` and `extend-exclude` together. */
  exclude: GlobSet | undefined;
  /** Whether `exclude` is set, which replaces the default exclusions. */
  replacesDefaultExcludes: boolean;
  /** `include` (or the default) and `extend-include` together; undefined: the default alone. */
  include: GlobSet | undefined;
  maxFileSize: number | undefined;
  cacheDir?: string;
  perFileIgnores: { globs: GlobSet; codes: string[] }[];
  error: ConfigError | undefined;
}

// smol-toml ships ES module types; its CommonJS build is loaded with `require` in this CommonJS module.
const { parse: parseToml, TomlError } = require('smol-toml') as typeof SmolToml;

const CONFIG_NAME = 'pyproject.toml';

/**
 * The files a directory walk checks unless the configuration sets `include` (which replaces this
 * list; `extend-include` adds to it): Python files, stubs and Jupyter notebooks, as ruff's defaults.
 */
export const DEFAULT_INCLUDE: readonly string[] = ['*.py', '*.pyi', '*.ipynb'];

const DEFAULT_INCLUDE_EXTENSIONS = new Set(DEFAULT_INCLUDE.map((glob) => glob.slice(1)));

/** `max-file-size` when the configuration does not set it: 2 MB. */
export const DEFAULT_MAX_FILE_SIZE = 2_000_000;

/**
 * Directory names that a walk skips unless the configuration sets `exclude` (which replaces this
 * list; `extend-exclude` adds to it), as ruff's defaults. Hidden directories and virtual
 * environments (a directory holding pyvenv.cfg) are skipped by the walker too, under the same rule.
 */
export const DEFAULT_EXCLUDE: readonly string[] = [
  '__pycache__',
  '__pypackages__',
  '_build',
  'buck-out',
  'dist',
  'node_modules',
  'site-packages',
  'venv',
];

/** Formats a configuration error as one line, naming the file as `displayPath`. */
export function describeConfigError(error: ConfigError, displayPath: string = error.path): string {
  return `${displayPath}: [tool.losslint] ignored, using defaults: ${error.problems.join('; ')}`;
}

export class ConfigLoader {
  /** Directory → the configuration that applies to files in it (null: none). */
  private readonly byDirectory = new Map<string, LoadedConfig | null>();
  /** pyproject.toml path → its configuration (null: the file has no `[tool.losslint]` table). */
  private readonly byFile = new Map<string, LoadedConfig | null>();

  constructor(private readonly options: ConfigLoaderOptions = {}) {}

  /** The configuration for a file, with `override` laid over the project's settings. */
  forFile(filePath: string, override: SettingsOverride = {}): FileConfig {
    const absolute = path.resolve(filePath);
    const config = this.forDirectory(path.dirname(absolute));
    if (!config) {
      return {
        settings: mergeSettings(DEFAULT_SETTINGS, override),
        configPath: undefined,
        excluded: false,
        maxFileSize: DEFAULT_MAX_FILE_SIZE,
        error: undefined,
      };
    }
    let settings = mergeSettings(mergeSettings(DEFAULT_SETTINGS, config.settings), override);
    const fileIgnores = config.perFileIgnores.filter((p) => p.globs.matches(absolute, false)).flatMap((p) => p.codes);
    // Per-file ignores come last so that no override re-enables what the project turned off for a file.
    if (fileIgnores.length > 0) settings = mergeSettings(settings, { ignore: fileIgnores });
    return {
      settings,
      configPath: config.path,
      excluded: config.exclude?.matches(absolute, false) ?? false,
      maxFileSize: config.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
      cacheDir: config.cacheDir,
      error: config.error,
    };
  }

  /** Whether a file or directory matches the `exclude` globs of the configuration that covers it. */
  isExcluded(absolutePath: string, isDirectory: boolean): boolean {
    const config = this.forDirectory(path.dirname(absolutePath));
    return config?.exclude?.matches(absolutePath, isDirectory) ?? false;
  }

  /** Whether a directory walk checks a file: the `include` globs of its configuration, by default Python files and notebooks. */
  isIncluded(absolutePath: string): boolean {
    const include = this.forDirectory(path.dirname(absolutePath))?.include;
    return include ? include.matches(absolutePath, false) : DEFAULT_INCLUDE_EXTENSIONS.has(path.extname(absolutePath));
  }

  /**
   * Whether the default exclusions (`DEFAULT_EXCLUDE`, hidden directories, virtual environments)
   * apply to the entries of a directory: yes unless its configuration sets `exclude`.
   */
  usesDefaultExcludes(directory: string): boolean {
    return !this.forDirectory(path.resolve(directory))?.replacesDefaultExcludes;
  }

  /** Forgets every cached lookup and file, so that edited configuration files are read again. */
  clear(): void {
    this.byDirectory.clear();
    this.byFile.clear();
  }

  private forDirectory(directory: string): LoadedConfig | undefined {
    if (this.options.configFile) return this.load(path.resolve(this.options.configFile)) ?? undefined;
    const visited: string[] = [];
    let current = directory;
    let found: LoadedConfig | null = null;
    for (;;) {
      const cached = this.byDirectory.get(current);
      if (cached !== undefined) {
        found = cached;
        break;
      }
      visited.push(current);
      const candidate = path.join(current, CONFIG_NAME);
      const loaded = isFile(candidate) ? this.load(candidate) : null;
      if (loaded) {
        found = loaded;
        break;
      }
      const parent = path.dirname(current);
      if (parent === current) break;
      current = parent;
    }
    for (const dir of visited) this.byDirectory.set(dir, found);
    return found ?? undefined;
  }

  /** Reads one configuration file (cached); null when it has no `[tool.losslint]` table. */
  private load(file: string): LoadedConfig | null {
    const cached = this.byFile.get(file);
    if (cached !== undefined) return cached;
    const loaded = this.read(file);
    this.byFile.set(file, loaded);
    if (loaded?.error) this.options.onError?.(loaded.error);
    return loaded;
  }

  private read(file: string): LoadedConfig | null {
    const broken = (problems: string[]): LoadedConfig => ({
      path: file,
      settings: {},
      exclude: undefined,
      replacesDefaultExcludes: false,
      include: undefined,
      maxFileSize: undefined,
      perFileIgnores: [],
      error: { path: file, problems },
    });
    let document: Record<string, unknown>;
    try {
      document = parseToml(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      return broken([readProblem(error)]);
    }
    const section = losslintSection(document);
    if (section === undefined) return null;
    const result = validateTable(section, this.options.knownCodes ?? registeredCodes());
    if (!result.ok) return broken(result.problems);
    const root = path.dirname(file);
    const { table } = result;
    const excludes = [...(table.exclude ?? []), ...table.extendExclude];
    const includes = table.include === undefined && table.extendInclude.length === 0 ? undefined : [...(table.include ?? DEFAULT_INCLUDE), ...table.extendInclude];
    return {
      path: file,
      settings: table.settings,
      exclude: excludes.length > 0 ? new GlobSet(root, excludes) : undefined,
      replacesDefaultExcludes: table.exclude !== undefined,
      include: includes ? new GlobSet(root, includes) : undefined,
      maxFileSize: table.maxFileSize,
      cacheDir: table.cacheDir === undefined ? undefined : path.resolve(root, table.cacheDir),
      perFileIgnores: table.perFileIgnores.map((p) => ({ globs: new GlobSet(root, [p.pattern]), codes: p.codes })),
      error: undefined,
    };
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** One line saying why a configuration file could not be read or parsed. */
function readProblem(error: unknown): string {
  if (error instanceof TomlError) {
    const reason = error.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
    return `invalid TOML at line ${error.line}, column ${error.column}: ${reason}`;
  }
  const code = (error as NodeJS.ErrnoException).code;
  return `cannot read the file${code ? ` (${code})` : ''}`;
}

const defaultLoader = new ConfigLoader();

/**
 * The configuration for a file from the nearest pyproject.toml, with `override` (the editor's
 * settings) laid over it. Uses a process-wide cache; see `clearProjectConfigCache`.
 */
export function loadProjectConfig(filePath: string, override: SettingsOverride = {}): FileConfig {
  return defaultLoader.forFile(filePath, override);
}

/** Drops the cache behind `loadProjectConfig`, so that changed pyproject.toml files are read again. */
export function clearProjectConfigCache(): void {
  defaultLoader.clear();
}
