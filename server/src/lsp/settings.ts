/**
 * Per-resource settings of the language server.
 *
 * Settings are pulled with `workspace/configuration` (section `losslint`, scoped to the document's
 * URI) when the client supports it, cached per URI, and dropped on every
 * `workspace/didChangeConfiguration`. They are never kept in module globals (vscode-eslint's rule):
 * two folders of one workspace may lint with different rules. A client without
 * `workspace/configuration` pushes its settings in didChangeConfiguration instead.
 *
 * Editor settings are laid over the project's `[tool.losslint]` (the nearest pyproject.toml with that
 * table, read by server/src/config) with the CLI's layering rules. `select`, `ignore` and `strict`
 * default to null in package.json, meaning "not set in the editor", so that a project file still
 * decides them (ruff's extension does the same).
 */
import { MAX_SOURCE_CHARS } from '../core/document';
import { fileURLToPath } from 'node:url';
import type { ClientCapabilities, Connection } from 'vscode-languageserver';
import { ConfigLoader, describeConfigError, mergeSettings, type FileConfig, type SettingsOverride } from '../config';
import { DEFAULT_SETTINGS, type LintSettings, type Severity } from '../core/types';
import { describeError, type Log } from './guard';

export type NumericBackend = 'auto' | 'webgpu' | 'wasm' | 'cpu';

export interface NumericSettings {
  enable: boolean;
  backend: NumericBackend;
  timeBudgetMs: number;
}

/** The settings one document is linted with. */
export interface ServerSettings {
  enable: boolean;
  lint: LintSettings;
  numeric: NumericSettings;
  /** Whether the project's `exclude` globs cover the document; it is then not linted. */
  excluded: boolean;
  /** The pyproject.toml whose `[tool.losslint]` applies, if any. */
  configPath: string | undefined;
  /** Documents longer than this (characters) are not analysed: `max-file-size`, at most MAX_SOURCE_CHARS. */
  maxFileSize: number;
}

/** What the editor set; a field is undefined when the editor leaves it to the project or the default. */
export interface EditorSettings {
  enable?: boolean;
  select?: string[];
  ignore?: string[];
  severity?: Record<string, Severity | 'off'>;
  strict?: boolean;
  numeric?: Partial<NumericSettings>;
  /** `losslint.cache.enable`: false keeps the project index off the persistent cache (it neither reads nor writes `.losslint_cache`). */
  cache?: boolean;
}

export const DEFAULT_NUMERIC: NumericSettings = { enable: true, backend: 'auto', timeBudgetMs: 2000 };

const SEVERITIES: ReadonlySet<string> = new Set(['error', 'warning', 'info', 'hint', 'off']);
const BACKENDS: ReadonlySet<string> = new Set(['auto', 'webgpu', 'wasm', 'cpu']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalBoolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function codeList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim().toUpperCase());
}

function severityMap(value: unknown): Record<string, Severity | 'off'> | undefined {
  if (!isRecord(value)) return undefined;
  const result: Record<string, Severity | 'off'> = {};
  for (const [code, level] of Object.entries(value)) {
    if (typeof level === 'string' && SEVERITIES.has(level)) result[code.trim().toUpperCase()] = level as Severity | 'off';
  }
  return result;
}

function numericSettings(value: unknown): Partial<NumericSettings> | undefined {
  if (!isRecord(value)) return undefined;
  const result: Partial<NumericSettings> = {};
  if (typeof value.enable === 'boolean') result.enable = value.enable;
  if (typeof value.backend === 'string' && BACKENDS.has(value.backend)) result.backend = value.backend as NumericBackend;
  if (typeof value.timeBudgetMs === 'number' && Number.isFinite(value.timeBudgetMs) && value.timeBudgetMs > 0) {
    result.timeBudgetMs = value.timeBudgetMs;
  }
  return result;
}

/** Reads the `losslint` section a client sent; anything of the wrong type counts as not set. */
export function parseEditorSettings(raw: unknown): EditorSettings {
  if (!isRecord(raw)) return {};
  return {
    enable: optionalBoolean(raw.enable),
    select: codeList(raw.select),
    ignore: codeList(raw.ignore),
    severity: severityMap(raw.severity),
    strict: optionalBoolean(raw.strict),
    numeric: numericSettings(raw.numeric),
    cache: isRecord(raw.cache) ? optionalBoolean(raw.cache.enable) : undefined,
  };
}

/**
 * The file-system path whose `[tool.losslint]` governs a document: the path of a `file:` URI, or
 * the notebook's path for a cell of a local notebook. Undefined for untitled and virtual documents,
 * which only the editor settings and the defaults govern.
 */
export function configPathOf(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol === 'vscode-notebook-cell:') url = new URL(`file://${url.host}${url.pathname}`);
  if (url.protocol !== 'file:') return undefined;
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}

/** The editor's lint settings as an override of the project's (see `mergeSettings`). */
function editorOverride(editor: EditorSettings): SettingsOverride {
  const override: SettingsOverride = {};
  if (editor.select) override.select = editor.select;
  if (editor.ignore) override.ignore = editor.ignore;
  if (editor.severity) override.severity = editor.severity;
  if (editor.strict !== undefined) override.strict = editor.strict;
  return override;
}

/**
 * Lays editor settings over the project's `[tool.losslint]` over the defaults, with the CLI's
 * rules (`mergeSettings`): a non-empty editor `select` redefines the selection, an editor `ignore`
 * adds to the project's, severities merge per code. `project` is the loader's answer for the
 * document, already holding the override when it came from `ConfigLoader.forFile`.
 */
export function resolveSettings(editor: EditorSettings, project: FileConfig | undefined): ServerSettings {
  return {
    enable: editor.enable ?? true,
    lint: project ? project.settings : mergeSettings(DEFAULT_SETTINGS, editorOverride(editor)),
    numeric: { ...DEFAULT_NUMERIC, ...editor.numeric },
    excluded: project?.excluded ?? false,
    configPath: project?.configPath,
    maxFileSize: Math.min(MAX_SOURCE_CHARS, project?.maxFileSize ?? MAX_SOURCE_CHARS),
  };
}

export class SettingsStore {
  private readonly cache = new Map<string, Promise<ServerSettings>>();
  private pullSupported = false;
  private pushed: EditorSettings = {};
  private changes = 0;
  private readonly projects: ConfigLoader;

  constructor(
    private readonly connection: Connection,
    private readonly log: Log,
  ) {
    // A broken [tool.losslint] is reported once per file (until it changes); linting goes on with the defaults.
    this.projects = new ConfigLoader({ onError: (error) => this.log.warn(`LossLint: ${describeConfigError(error)}`) });
  }

  /** The configuration loader behind these settings (the workspace check uses it for `exclude`). */
  get loader(): ConfigLoader {
    return this.projects;
  }

  /** Records whether the client answers `workspace/configuration` (lsp-sample checks this first). */
  setClientCapabilities(capabilities: ClientCapabilities): void {
    this.pullSupported = capabilities.workspace?.configuration === true;
  }

  /** Bumped on every change, so that results computed with older settings can be recognised and dropped. */
  get generation(): number {
    return this.changes;
  }

  /** Handles didChangeConfiguration (and pyproject.toml changes): forgets every cached setting. */
  changed(pushedSettings?: unknown): void {
    this.changes++;
    this.cache.clear();
    this.projects.clear();
    if (!this.pullSupported && isRecord(pushedSettings)) this.pushed = parseEditorSettings(pushedSettings.losslint);
  }

  /** Forgets one document's settings when it is closed. */
  forget(uri: string): void {
    this.cache.delete(uri);
  }

  /** The settings for one document; never rejects (a failed request falls back to the defaults, uncached). */
  get(uri: string): Promise<ServerSettings> {
    const cached = this.cache.get(uri);
    if (cached) return cached;
    const loading = this.load(uri).catch((error: unknown) => {
      this.log.error(`LossLint: reading the settings for ${uri} failed: ${describeError(error)}`);
      if (this.cache.get(uri) === loading) this.cache.delete(uri);
      return resolveSettings({}, undefined);
    });
    this.cache.set(uri, loading);
    return loading;
  }

  private async load(uri: string): Promise<ServerSettings> {
    return this.resolve(uri, await this.editorSettings(uri));
  }

  /** The editor's `losslint` settings for a resource (pulled, or the last pushed ones). */
  async editorSettings(scopeUri: string): Promise<EditorSettings> {
    if (!this.pullSupported) return this.pushed;
    return parseEditorSettings(await this.connection.workspace.getConfiguration({ scopeUri, section: 'losslint' }));
  }

  /** Resolves the settings of `uri` under the given editor settings, reading the project's configuration. */
  resolve(uri: string, editor: EditorSettings): ServerSettings {
    const file = configPathOf(uri);
    return resolveSettings(editor, file === undefined ? undefined : this.projects.forFile(file, editorOverride(editor)));
  }
}
