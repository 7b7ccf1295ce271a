/**
 * The language server's project index (server/src/project/, the same as `losslint check`'s).
 *
 * On `initialized` it indexes the workspace folders in the background, one file per turn of the event
 * loop (a message waits for one file's summary at most), with `window/workDoneProgress` when the
 * client supports it. Until the index is complete, open documents are checked alone; once it is, the
 * open losses that receive values from elsewhere are checked again with them (`externalFor`, read by
 * lint.ts through `AnalyzeOptions.external`), and the findings those values cause are published where
 * they are written: open Python files get them with their own diagnostics (`findingsIn`, merged by
 * handlers/diagnostics.ts), config files and closed files directly.
 *
 * Edits: a config file's edit (YAML/JSON/TOML, open in the editor or changed on disk) goes straight
 * to the index and re-checks the losses it feeds on the next turn; a Python file's summary is rebuilt
 * after it stays unchanged for SUMMARY_DELAY_MS (its defaults and own call sites are the interpreter's
 * business on every keystroke anyway). Nothing here runs on the keystroke path but a map lookup.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CancellationToken, Diagnostic } from 'vscode-languageserver';
import { ParsedDocument, type ContentChange } from '../core/document';
import type { ExternalValues } from '../core/interp';
import type { Finding, LintSettings, RelatedLocation } from '../core/types';
import { attribute, checkLibraryUses, withoutNoqa } from '../project/check';
import { isConfigFile } from '../project/configs';
import { moduleNameOf, ProjectIndex, readSmallFile, textHash, type ValueSource } from '../project/index';
import { CheckCache, contentHash, type FileEntry } from '../project/cache';
import { mayHaveFindings } from '../core/prefilter';
import { releaseTree } from '../core/trees';
import { EMPTY_SUMMARY, importsFromText, needsParse, pendingNames, summarize, type FileSummary } from '../project/summary';
import { withoutIrCache } from '../core/ir';
import { IncrementalAnalyzer } from '../analysis/incremental';
import type { DocumentStore } from './documents';
import { describeError, type Log } from './guard';
import { toDiagnostic } from './handlers/diagnostics';
import { collectPythonFiles, DISK_VERSION } from './workspace';

/** How long an open Python file stays unchanged before its summary is rebuilt. */
export const SUMMARY_DELAY_MS = 300;

export interface ProjectProgress {
  begin(title: string, percentage?: number, message?: string): void;
  report(percentage: number, message?: string): void;
  done(): void;
}

export interface ProjectDeps {
  documents: DocumentStore;
  log: Log;
  /** Publishes diagnostics for a file that is not an open Python document. */
  publish(uri: string, diagnostics: Diagnostic[]): void;
  /** Re-validates open Python documents (their diagnostics merge `findingsIn`). */
  revalidate(uri: string): void;
  /** The lint settings of a file, or undefined when LossLint is off for it. */
  settings(uri: string): Promise<LintSettings | undefined>;
  /** Whether a path is excluded by `[tool.losslint]`. */
  isExcluded(file: string, isDirectory: boolean): boolean;
  /** A progress reporter, when the client supports one. */
  progress(): Promise<ProjectProgress | undefined>;
  /** The persistent cache folder of a workspace folder (as `losslint check` run there uses), or undefined for none. */
  cacheDir?(folder: string): string | undefined | Promise<string | undefined>;
}

const NEVER: CancellationToken = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) };

function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

function findingKey(f: Finding): string {
  const r = f.range;
  return `${f.code}:${r.start.line}:${r.start.character}:${r.end.line}:${r.end.character}`;
}

/** The URI of a config document the editor sent (only its extension decides). */
export function isConfigUri(uri: string): boolean {
  const p = uriToPath(uri);
  return p !== undefined && isConfigFile(p);
}

export class ProjectService {
  private index: ProjectIndex | undefined;
  /** Set once the first indexing of the workspace is done: externals are handed out from then on. */
  complete = false;
  /** Per loss file: the findings its values cause elsewhere, by file. */
  private elsewhere = new Map<string, Map<string, Finding[]>>();
  /** Findings of mmdet config dicts that name a library loss, by file. */
  private library = new Map<string, Finding[]>();
  /** Per loss file: related locations and explanations of its findings caused by values from elsewhere. */
  private own = new Map<string, Map<string, { related: RelatedLocation[]; explanation: string }>>();
  /** Files (not open Python documents) with project diagnostics published. */
  private published = new Set<string>();
  private readonly configDocs = new Map<string, TextDocument>();
  private readonly summaryTimers = new Map<string, NodeJS.Timeout>();
  private refreshQueued = false;
  private refreshing: Promise<void> | undefined;
  private disposed = false;
  /** The external values handed out per file, with the key lint.ts caches by. */
  private externals = new Map<string, { generation: number; key: string; external: ExternalValues | undefined }>();

  /** The persistent cache of each workspace folder (project/cache.ts), longest folder first. */
  private caches: { folder: string; cache: CheckCache }[] = [];
  /** Files whose first summary came from the cache. */
  private fromCache = 0;
  /** Python documents opened or edited while the first index runs. */
  private readonly openedWhileIndexing = new Set<string>();

  private readonly analyzers = new Map<string, IncrementalAnalyzer>();
  /** The last attribution of each loss file, with what it depends on. */
  private readonly attributed = new Map<string, { key: string; found: ReturnType<typeof attribute> }>();

  constructor(private readonly deps: ProjectDeps) {}

  /** Indexes the folders in the background; resolves when the first index is complete. */
  async start(folders: readonly string[]): Promise<void> {
    if (!folders.length || this.index) return;
    const index = new ProjectIndex(folders, (file) => this.readConfigText(file));
    this.index = index;
    this.caches = [];
    for (const folder of folders) {
      const dir = await Promise.resolve(this.deps.cacheDir?.(folder)).catch(() => undefined);
      if (dir) this.caches.push({ folder, cache: new CheckCache(dir) });
    }
    this.caches.sort((a, b) => b.folder.length - a.folder.length);
    const progress = await this.deps.progress().catch(() => undefined);
    progress?.begin('LossLint: indexing the project', 0, 'collecting files');
    const started = Date.now();
    try {
      const { files } = await collectPythonFiles(folders, (f, d) => this.deps.isExcluded(f, d), NEVER);
      // First pass: every file's definitions and the calls through its imports.
      for (let i = 0; i < files.length && !this.disposed; i++) {
        if (i % 20 === 0) progress?.report(Math.floor((i / files.length) * 90), path.relative(folders[0], files[i]));
        await turn();
        this.summarizeFile(files[i]);
      }
      // Documents opened or edited meanwhile: their text, not the file's, whenever the first pass read it.
      // Second pass: files whose other statements call a name the project defines.
      do {
        const opened = [...this.openedWhileIndexing];
        this.openedWhileIndexing.clear();
        for (const file of opened) {
          await turn();
          this.summarizeFile(file);
        }
        await this.settle();
      } while (this.openedWhileIndexing.size && !this.disposed);
      // The index's manifest in each cache, and pruning (project/cache.ts): the server's workspace is a scope of its own.
      const scope = JSON.stringify({ tool: 'server', folders: [...folders].sort() });
      for (const { cache } of this.caches) for (const _ of cache.finishing(scope)) await turn();
      this.deps.log.log(`LossLint: project indexed: ${files.length} Python files in ${Date.now() - started} ms${this.caches.length ? ` (${this.fromCache} from the cache)` : ''}.`);
    } catch (error) {
      this.deps.log.error(`LossLint: project indexing failed: ${describeError(error)}`);
    } finally {
      progress?.done();
    }
    this.complete = true;
    await this.refresh();
    this.deps.log.log('LossLint: project analysed.');
  }

  /** Summarizes again the files whose unread statements call a name the project defines (`ProjectIndex.unsettled`). */
  private async settle(): Promise<boolean> {
    const index = this.index;
    let changed = false;
    for (let round = 0; index && round < 4 && !this.disposed; round++) {
      const files = index.unsettled();
      if (!files.length) break;
      const wanted = index.definedNames();
      for (const file of files) {
        await turn();
        changed = this.summarizeFile(file, wanted) || changed;
      }
    }
    return changed;
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.summaryTimers.values()) clearTimeout(t);
    this.summaryTimers.clear();
  }

  /** The cache of the workspace folder that holds `file`. */
  private cacheOf(file: string): CheckCache | undefined {
    for (const c of this.caches) if (file === c.folder || file.startsWith(c.folder.endsWith(path.sep) ? c.folder : c.folder + path.sep)) return c.cache;
    return undefined;
  }

  /** Reads and summarizes one Python file (the open document's text when it is open). `wanted`: the second pass. */
  private summarizeFile(file: string, wanted?: ReadonlySet<string>): boolean {
    const index = this.index;
    if (!index) return false;
    const open = this.deps.documents.get(pathToFileURL(file).href);
    const doc: ParsedDocument | undefined = open?.parsedDocument;
    let text = doc?.text;
    if (text === undefined) {
      try {
        const st = fs.statSync(file);
        if (!st.isFile() || st.size > 3_000_000) return index.remove(file);
        text = fs.readFileSync(file, 'utf8');
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      } catch {
        // Deleted while indexed: it is no longer part of the project.
        return index.remove(file);
      }
    }
    const hash = textHash(text);
    const old = index.summaryOf(file);
    if (!wanted && old && index.hashOf(file) === hash) return false;
    let summary: FileSummary;
    try {
      const names = wanted ?? (this.complete ? index.definedNames() : undefined);
      // The persistent cache (project/cache.ts), for a file read from disk: the first summary under the
      // CLI's `file` key (cli/cache.ts: the same computation, `checkFileProject`'s) and the second under
      // its `uses` key. An open document is summarized from its text, never from the cache.
      const cache = open ? undefined : this.cacheOf(file);
      const content = cache && (!names || (wanted && old)) ? contentHash(text) : undefined;
      const usesKey = content && wanted && old ? [content, [...wanted].sort().join('\u0000')] : undefined;
      const fileKey = content && !names ? [content, moduleNameOf(file)] : undefined;
      const kept = fileKey ? cache!.get<FileEntry>('file', fileKey) : undefined;
      const may = kept ? false : mayHaveFindings(text);
      let keptUses: FileSummary | undefined;
      if (kept) {
        summary = kept.summary ?? { ...EMPTY_SUMMARY, ...kept.light };
        this.fromCache++;
      } else if (!open && !needsParse(text, names, may)) {
        // Nothing to read in it but its imports (a package's re-exports) and the names it calls: not parsed.
        const light = { imports: importsFromText(text), pending: pendingNames(text) };
        summary = { ...EMPTY_SUMMARY, ...light };
        if (fileKey) cache!.set('file', fileKey, { may, light } satisfies FileEntry);
      } else if (usesKey && (keptUses = cache!.get<FileSummary>('uses', usesKey))) {
        // A second summary (a file that is parsed for it, as without the cache).
        summary = { ...keptUses, defs: old!.defs };
      } else {
        // Statements of files nobody edits stay out of the IR caches (core/ir.ts withoutIrCache).
        const d = doc ?? ParsedDocument.parse(text);
        try {
          if (wanted && old) {
            const uses = withoutIrCache(() => summarize(d, { wanted, usesOnly: true }));
            if (usesKey) cache!.set('uses', usesKey, uses);
            summary = { ...uses, defs: old.defs };
          } else {
            summary = withoutIrCache(() => summarize(d, { wanted: names, moduleName: moduleNameOf(file) }));
            if (fileKey) cache!.set('file', fileKey, { may, summary } satisfies FileEntry);
          }
        } finally {
          // A file parsed only to be summarized: its tree goes (an open document keeps its own).
          if (d !== doc) releaseTree(d.tree, text.length);
        }
      }
    } catch (error) {
      this.deps.log.error(`LossLint: cannot index ${file}: ${describeError(error)}`);
      return false;
    }
    return index.put(file, hash, summary);
  }

  // --- documents ---------------------------------------------------------------------------------

  /** An open Python document changed (or opened): its summary is rebuilt once it stays unchanged a while. */
  pythonChanged(uri: string): void {
    const file = uriToPath(uri);
    if (!file || !this.index) return;
    // While the first index runs: summarized again from the document before it completes (the open
    // document wins over the file on disk and over the cache, whenever the index read the file).
    if (!this.complete) {
      this.openedWhileIndexing.add(file);
      return;
    }
    clearTimeout(this.summaryTimers.get(file));
    this.summaryTimers.set(
      file,
      setTimeout(() => {
        this.summaryTimers.delete(file);
        if (this.summarizeFile(file)) void this.settle().then(() => this.queueRefresh());
        // Its text changed: the findings its values cause elsewhere may have too.
        else if (this.index?.resolve().byTarget.has(file)) this.queueRefresh();
      }, SUMMARY_DELAY_MS),
    );
  }

  configOpened(uri: string, version: number, text: string): void {
    this.configDocs.set(uri, TextDocument.create(uri, 'yaml', version, text));
    this.configText(uri, text);
  }

  configChanged(uri: string, version: number, changes: readonly ContentChange[]): void {
    const doc = this.configDocs.get(uri);
    if (!doc) return;
    TextDocument.update(doc, [...changes] as Parameters<typeof TextDocument.update>[1], version);
    this.configText(uri, doc.getText());
  }

  configClosed(uri: string): void {
    this.configDocs.delete(uri);
    this.configText(uri, undefined);
  }

  private configText(uri: string, text: string | undefined): void {
    const file = uriToPath(uri);
    if (!file || !this.index) return;
    if (this.index.setConfigText(file, text)) this.queueRefresh();
  }

  /** Files changed on disk (the client's file watcher). */
  watched(changes: readonly { uri: string; type: number }[]): void {
    if (!this.index) return;
    let any = false;
    for (const c of changes) {
      const file = uriToPath(c.uri);
      if (!file) continue;
      if (isConfigFile(file)) {
        if (!this.configDocs.has(c.uri)) any = this.index.configChanged(file) || any;
      } else if (file.endsWith('.py') && !this.deps.documents.get(c.uri)) {
        any = this.summarizeFile(file) || any;
      }
    }
    if (any) void this.settle().then(() => this.queueRefresh());
  }

  private readConfigText(file: string): string | undefined {
    const open = this.configDocs.get(pathToFileURL(file).href);
    return open ? open.getText() : readSmallFile(file);
  }

  // --- what lint.ts and the handlers read ---------------------------------------------------------

  /** The values that reach `uri`'s functions from elsewhere, and a key that changes when they do. */
  externalFor(uri: string): { key: string; external: ExternalValues | undefined } {
    const index = this.index;
    const file = uriToPath(uri);
    if (!index || !this.complete || !file) return { key: '', external: undefined };
    const cached = this.externals.get(file);
    if (cached && cached.generation === index.generation) return cached;
    const sources = index.resolve().byTarget.get(file) ?? [];
    const external = index.externalFor(file);
    const key = sources.map((s) => `${s.target}:${s.param}=${s.text}`).sort().join(',');
    const entry = { generation: index.generation, key, external };
    this.externals.set(file, entry);
    return entry;
  }

  /** Related locations and the path of the values, on the findings those values cause. */
  decorate(uri: string, findings: Finding[]): Finding[] {
    const file = uriToPath(uri);
    const own = file ? this.own.get(file) : undefined;
    if (!own?.size) return findings;
    return findings.map((f) => {
      const extra = own.get(findingKey(f));
      return extra ? { ...f, related: extra.related, explanation: extra.explanation } : f;
    });
  }

  /** Findings reported in `uri` because of values written there. */
  findingsIn(uri: string): Finding[] {
    const file = uriToPath(uri);
    if (!file) return [];
    const out: Finding[] = [...(this.library.get(file) ?? [])];
    for (const m of this.elsewhere.values()) out.push(...(m.get(file) ?? []));
    if (!out.length || !this.index) return out;
    return withoutNoqa(out, this.index.summaryOf(file)?.noqa ?? this.index.resolve().configs.get(file)?.noqa);
  }

  // --- refresh -------------------------------------------------------------------------------------

  private queueRefresh(): void {
    if (this.refreshQueued || !this.complete) return;
    this.refreshQueued = true;
    setImmediate(() => {
      this.refreshQueued = false;
      void this.refresh();
    });
  }

  /** Re-checks the open losses whose values changed and recomputes the findings published elsewhere. */
  private async refresh(): Promise<void> {
    if (this.refreshing) {
      await this.refreshing;
      return this.queueRefresh();
    }
    this.refreshing = this.doRefresh().catch((error) => this.deps.log.error(`LossLint: project analysis failed: ${describeError(error)}`));
    try {
      await this.refreshing;
    } finally {
      this.refreshing = undefined;
    }
  }

  private async doRefresh(): Promise<void> {
    const index = this.index;
    if (!index || this.disposed) return;
    const resolution = index.resolve();
    // Open losses whose values changed are checked again first (their diagnostics are what the user looks at).
    for (const uri of this.deps.documents.uris()) {
      const file = uriToPath(uri);
      if (!file) continue;
      const before = this.externals.get(file)?.key;
      if (before === undefined && !resolution.byTarget.has(file)) continue;
      if (this.externalFor(uri).key !== before) this.deps.revalidate(uri);
    }
    const touched = new Set<string>([...this.published]);
    const elsewhere = new Map<string, Map<string, Finding[]>>();
    const own = new Map<string, Map<string, { related: RelatedLocation[]; explanation: string }>>();
    for (const [file, sources] of resolution.byTarget) {
      await turn();
      if (this.disposed) return;
      const found = await this.attributeFile(file, sources);
      if (!found) continue;
      elsewhere.set(file, found.elsewhere);
      const m = new Map<string, { related: RelatedLocation[]; explanation: string }>();
      for (const f of found.own) if (f.related?.length) m.set(findingKey(f), { related: f.related, explanation: f.explanation });
      if (m.size) own.set(file, m);
      for (const where of found.elsewhere.keys()) touched.add(where);
      if (m.size) touched.add(file);
    }
    const library = new Map<string, Finding[]>();
    if (resolution.library.length) {
      const settings = new Map<string, LintSettings | undefined>();
      for (const use of resolution.library) settings.set(use.file, await this.deps.settings(pathToFileURL(use.file).href));
      for (const [where, list] of checkLibraryUses(resolution.library.filter((u) => settings.get(u.file)), (f) => settings.get(f)!, (f) => index.rel(f))) {
        library.set(where, list);
        touched.add(where);
      }
    }
    for (const [file, doc] of resolution.configs) if (doc.error) this.deps.log.warn(`LossLint: ${file}: cannot read the config: ${doc.error}`);
    this.elsewhere = elsewhere;
    this.own = own;
    this.library = library;
    // Publish: open Python documents through their own validation, the others directly.
    this.published = new Set();
    for (const file of touched) {
      const uri = pathToFileURL(file).href;
      if (this.deps.documents.get(uri)) {
        this.deps.revalidate(uri);
        continue;
      }
      const kept = this.findingsIn(uri);
      this.deps.publish(uri, kept.map((f) => toDiagnostic(f, DISK_VERSION)));
      if (kept.length) this.published.add(file);
    }
  }

  private async attributeFile(file: string, sources: readonly ValueSource[]) {
    const uri = pathToFileURL(file).href;
    const settings = await this.deps.settings(uri);
    if (!settings) return undefined;
    let doc = this.deps.documents.get(uri)?.parsedDocument;
    if (!doc) {
      try {
        doc = ParsedDocument.parse(fs.readFileSync(file, 'utf8'));
      } catch {
        return undefined;
      }
    }
    // The same values, text and settings give the same attribution (a config edit re-attributes only the losses it feeds).
    const key = `${JSON.stringify(settings)}\u0000${textHash(doc.text)}\u0000${sources.map((s) => JSON.stringify([s.file, s.range, s.text, s.target, s.param, s.via, s.how])).join('\u0001')}`;
    const memo = this.attributed.get(file);
    if (memo && memo.key === key) return memo.found;
    const d = doc;
    // An incremental analyzer per loss file: each run with other values re-checks only the definitions they reach.
    let inc = this.analyzers.get(file);
    if (!inc) {
      if (this.analyzers.size >= 16) this.analyzers.delete(this.analyzers.keys().next().value!);
      this.analyzers.set(file, (inc = new IncrementalAnalyzer()));
    }
    const a = inc;
    const found = attribute(file, sources, (external) => a.analyze(d, settings, { external }), (f) => this.index?.rel(f) ?? f);
    if (this.attributed.size >= 64 && !this.attributed.has(file)) this.attributed.delete(this.attributed.keys().next().value!);
    this.attributed.set(file, { key, found });
    return found;
  }
}

/** One turn of the event loop: what the client sent meanwhile is served first. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
