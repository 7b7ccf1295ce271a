/**
 * `losslint.checkWorkspace`: analyses every Python file of the workspace folders and publishes
 * their diagnostics, so that the Problems panel lists files that are not open.
 *
 * The walk skips hidden folders, node_modules, __pycache__ and virtual environments (a folder
 * holding pyvenv.cfg), honours the .gitignore files from each workspace folder down, and the
 * `exclude` globs of the `[tool.losslint]` that covers each path. It is asynchronous and yields to
 * the event loop between files, so that edits, hovers and cancellation are served while it runs.
 * Open documents are not read from disk: their live diagnostics stay as they are.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CancellationToken, Diagnostic } from 'vscode-languageserver';
import { GlobSet } from '../config';
import { MAX_SOURCE_CHARS, ParsedDocument } from '../core/document';
import type { DocumentStore } from './documents';
import { describeError, type Log } from './guard';
import { toDiagnostic } from './handlers/diagnostics';
import { analyzeParsed, type ProjectValues } from './lint';
import type { Finding } from '../core/types';
import type { CheckWorkspaceResult } from '../../../common/protocol';
import type { EditorSettings, SettingsStore } from './settings';

const PYTHON_EXTENSIONS = new Set(['.py', '.pyi']);
const SKIPPED_DIRECTORIES = new Set(['node_modules', '__pycache__', '__pypackages__', 'site-packages']);
/** A workspace check stops collecting files beyond this many, and says so in the log. */
export const MAX_WORKSPACE_FILES = 20_000;

/** What the check reports progress to; a WorkDoneProgress reporter fits. */
export interface ProgressSink {
  report(percentage: number, message?: string): void;
}

/** Diagnostics of files published by a workspace check carry this version: they come from disk, not from an editor. */
export const DISK_VERSION = -1;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The .gitignore of `directory` stacked on the inherited ones, deepest last. */
async function withGitignore(directory: string, inherited: readonly GlobSet[]): Promise<readonly GlobSet[]> {
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(directory, '.gitignore'), 'utf8');
  } catch {
    return inherited;
  }
  return [...inherited, new GlobSet(directory, text.split(/\r?\n/))];
}

/** Whether stacked .gitignore files ignore a path: the deepest file with a verdict decides. */
function gitIgnored(ignores: readonly GlobSet[], absolute: string, isDirectory: boolean): boolean {
  for (let i = ignores.length - 1; i >= 0; i--) {
    const verdict = ignores[i].verdict(absolute, isDirectory);
    if (verdict) return verdict === 'matched';
  }
  return false;
}

/**
 * Every Python file under `roots`, sorted, honouring .gitignore and `isExcluded`. Stops early (with
 * what it has) when `token` is cancelled or MAX_WORKSPACE_FILES is reached.
 */
export async function collectPythonFiles(
  roots: readonly string[],
  isExcluded: (absolute: string, isDirectory: boolean) => boolean,
  token: CancellationToken,
): Promise<{ files: string[]; truncated: boolean }> {
  const files = new Set<string>();
  let truncated = false;
  const walk = async (directory: string, inherited: readonly GlobSet[]): Promise<void> => {
    if (token.isCancellationRequested || truncated) return;
    const ignores = await withGitignore(directory, inherited);
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(directory, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (token.isCancellationRequested || truncated) return;
      const absolute = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        if (entry.name.startsWith('.') || SKIPPED_DIRECTORIES.has(entry.name)) continue;
        if (gitIgnored(ignores, absolute, true) || isExcluded(absolute, true)) continue;
        if (await isFile(path.join(absolute, 'pyvenv.cfg'))) continue;
        await walk(absolute, ignores);
      } else if (entry.isFile() && PYTHON_EXTENSIONS.has(path.extname(entry.name))) {
        if (gitIgnored(ignores, absolute, false) || isExcluded(absolute, false)) continue;
        if (files.size >= MAX_WORKSPACE_FILES) {
          truncated = true;
          return;
        }
        files.add(absolute);
      }
    }
  };
  for (const root of roots) await walk(path.resolve(root), []);
  return { files: [...files].sort(), truncated };
}

export class WorkspaceChecker {
  /** URIs of closed files that the last check published diagnostics for. */
  private published = new Set<string>();
  /** The project index (lsp/project.ts): values from elsewhere, and findings reported where they are written. */
  project: Pick<ProjectValues, 'externalFor'> & { findingsIn(uri: string): Finding[] } | undefined;

  constructor(
    private readonly documents: DocumentStore,
    private readonly settings: SettingsStore,
    private readonly publish: (uri: string, diagnostics: Diagnostic[]) => void,
    private readonly log: Log,
  ) {}

  /** Checks every Python file under the folders; each folder's editor settings are read for its URI. */
  async check(
    folders: readonly { path: string; uri: string }[],
    progress: ProgressSink,
    token: CancellationToken,
  ): Promise<CheckWorkspaceResult> {
    const result: CheckWorkspaceResult = { files: 0, findings: 0, skipped: 0, cancelled: false };
    const previous = this.published;
    this.published = new Set();
    for (const folder of folders) {
      const editor = await this.settings.editorSettings(folder.uri);
      if (editor.enable === false) continue;
      progress.report(0, `collecting files in ${folder.path}`);
      const { files, truncated } = await collectPythonFiles(
        [folder.path],
        (absolute, isDirectory) => this.settings.loader.isExcluded(absolute, isDirectory),
        token,
      );
      if (truncated) this.log.warn(`LossLint: ${folder.path} has more than ${MAX_WORKSPACE_FILES} Python files; only the first ones were checked.`);
      for (let i = 0; i < files.length; i++) {
        if (token.isCancellationRequested) break;
        progress.report(Math.floor((i / files.length) * 100), path.relative(folder.path, files[i]));
        const uri = pathToFileURL(files[i]).href;
        if (this.documents.get(uri)) continue;
        const diagnostics = await this.checkFile(files[i], uri, editor, token);
        if (diagnostics === undefined) {
          result.skipped++;
          continue;
        }
        result.files++;
        result.findings += diagnostics.length;
        if (diagnostics.length > 0 || previous.has(uri)) this.publish(uri, diagnostics);
        if (diagnostics.length > 0) this.published.add(uri);
        await yieldToEventLoop();
      }
    }
    result.cancelled = token.isCancellationRequested;
    // Files that had findings before and were not covered now (deleted, excluded) lose them; a
    // cancelled run keeps the old ones it did not reach.
    for (const uri of previous) {
      if (this.published.has(uri)) continue;
      if (result.cancelled) this.published.add(uri);
      else if (!this.documents.get(uri)) this.publish(uri, []);
    }
    return result;
  }

  /** One file's diagnostics, or undefined when it cannot be read or is too large (logged). */
  private async checkFile(
    file: string,
    uri: string,
    editor: EditorSettings,
    token: CancellationToken,
  ): Promise<Diagnostic[] | undefined> {
    let text: string;
    try {
      // Sized before it is read: a file that cannot fit under the limit (a UTF-16 code unit takes
      // at most 3 bytes of UTF-8) is never loaded into memory.
      const stats = await fs.promises.stat(file);
      if (!stats.isFile() || stats.size > 3 * MAX_SOURCE_CHARS) {
        this.log.info(`LossLint: ${file} is over ${MAX_SOURCE_CHARS} characters or not a regular file; not analysed.`);
        return undefined;
      }
      text = await fs.promises.readFile(file, 'utf8');
    } catch (error) {
      this.log.warn(`LossLint: cannot read ${file}: ${describeError(error)}`);
      return undefined;
    }
    if (text.length > MAX_SOURCE_CHARS) {
      this.log.info(`LossLint: ${file} is over ${MAX_SOURCE_CHARS} characters; not analysed.`);
      return undefined;
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const settings = this.settings.resolve(uri, editor);
    if (settings.excluded) return [];
    const external = this.project?.externalFor(uri).external;
    const findings = analyzeParsed(ParsedDocument.parse(text), settings.lint, uri, this.log, () => token.isCancellationRequested, external);
    return [...findings, ...(this.project?.findingsIn(uri) ?? [])].map((f) => toDiagnostic(f, DISK_VERSION));
  }
}
