/**
 * Numeric checks of open documents (`losslint.numeric.*` settings): after the static diagnostics of
 * a version are published, the probes run in the worker (numeric/runner.ts), debounced per
 * document and cancelled through an AbortSignal when the document changes or closes. Their result
 * is published as merged diagnostics (static + probe findings, numeric/merge.ts), and kept for the
 * CodeLens, the hover (probe table and loss curve) and the PyTorch repro command.
 *
 * Static diagnostics never wait for these: nothing here runs before the static publish, and a
 * result is dropped unless the document is still at the version it checked.
 */
import { fileURLToPath } from 'node:url';
import { CodeLensRefreshRequest, type Connection } from 'vscode-languageserver';
import type { Finding } from '../core/types';
import { curveRequest, type LossCurve } from '../numeric/curve';
import { mergeFindings } from '../numeric/merge';
import { reproScript } from '../numeric/repro';
import { checkTextNumerically, clearNumericCache, disposeNumericWorker, lossCurve, setNumericWorkerLowPriority, UNAVAILABLE } from '../numeric/runner';
import type { NumericReport } from '../numeric/types';
import type { DocumentStore } from './documents';
import { describeError, type Log } from './guard';
import { type DiagnosticRoute, publishFindings } from './handlers/diagnostics';
import type { Linter } from './lint';
import type { StatusParams } from '../../../common/protocol';
import type { SettingsStore } from './settings';

/** How long a document must stay unchanged after its static publish before the probes run. */
export const NUMERIC_DELAY_MS = delayFromEnv(process.env.LOSSLINT_NUMERIC_DELAY_MS) ?? 400;

function delayFromEnv(value: string | undefined): number | undefined {
  const n = value === undefined || value === '' ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The numeric result of one document version. */
export interface NumericResult {
  version: number;
  reports: NumericReport[];
  /** Static findings merged with the probe findings (what was published). */
  findings: Finding[];
  /** Loss curves by function qualname, filled in after the diagnostics are published. */
  curves: Map<string, LossCurve>;
}

export class NumericChecker {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, AbortController>();
  private readonly results = new Map<string, NumericResult>();
  private active = 0;
  private backend: string | undefined;
  private codeLensRefresh = false;
  /** "numeric check unavailable" reasons already logged (each is logged once per session). */
  private readonly unavailableLogged = new Set<string>();
  /** Runs that were cancelled before publishing (tests read it through the log). */
  cancelled = 0;
  /** Where a document's diagnostics go when not to its own URI (a notebook's cells). */
  route: DiagnosticRoute | undefined;
  /** Findings reported in a document because of values written there (lsp/project.ts `findingsIn`), published with its own as the static publish does. */
  extraFindings: ((uri: string) => Finding[]) | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly documents: DocumentStore,
    private readonly settings: SettingsStore,
    private readonly linter: Linter,
    private readonly log: Log,
    private readonly sendStatus: (status: StatusParams) => void,
  ) {
    // Probes are background work here: their thread must not take a core from the one that answers keystrokes.
    setNumericWorkerLowPriority(true);
  }

  /** Whether the client answers workspace/codeLens/refresh. */
  setCodeLensRefresh(supported: boolean): void {
    this.codeLensRefresh = supported;
  }

  /** The backend the last check ran on, for the status bar. */
  get backendInUse(): string | undefined {
    return this.backend;
  }

  /** Schedules the probes of `uri` (after a static publish), replacing a scheduled or running one. */
  schedule(uri: string, delayMs = NUMERIC_DELAY_MS): void {
    this.cancel(uri);
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        this.run(uri).catch((error: unknown) => this.log.error(`LossLint: numeric checks of ${uri} failed: ${describeError(error)}`));
      }, delayMs),
    );
  }

  /** Cancels the scheduled or running check of `uri` (the document changed). */
  cancel(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    const running = this.running.get(uri);
    if (running) {
      this.running.delete(uri);
      running.abort();
    }
  }

  /** Forgets a closed document. */
  clear(uri: string): void {
    this.cancel(uri);
    this.results.delete(uri);
  }

  /** Runs the checks of `uri` again, from scratch (the runner's cache is cleared). */
  rerun(uri: string): boolean {
    if (!this.documents.get(uri)) return false;
    clearNumericCache();
    this.results.delete(uri);
    this.schedule(uri, 0);
    return true;
  }

  /** The result for the current version of `uri`, if the probes have run on it. */
  result(uri: string): NumericResult | undefined {
    const document = this.documents.get(uri);
    const result = this.results.get(uri);
    return document && result && result.version === document.version ? result : undefined;
  }

  /** The last result of `uri`, whatever its version (CodeLens keeps its place while the probes re-run). */
  lastResult(uri: string): NumericResult | undefined {
    return this.documents.get(uri) ? this.results.get(uri) : undefined;
  }

  /** A self-contained PyTorch script reproducing the probes of `fn` (or of the first checked function) in `uri`. */
  reproduce(uri: string, fn?: string): { script: string; function: string } | string {
    const result = this.lastResult(uri);
    if (!result) return 'LossLint: the numeric checks have not run on this document yet.';
    const report = result.reports.find((r) => (fn === undefined || r.function === fn || r.function.split('.').pop() === fn) && r.roles);
    if (!report) return fn ? `LossLint: no numeric check of ${fn} to reproduce.` : 'LossLint: no checked loss function in this document.';
    const file = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
    return { script: reproScript(file, report), function: report.function };
  }

  dispose(): void {
    for (const uri of [...this.timers.keys(), ...this.running.keys()]) this.cancel(uri);
    this.results.clear();
    disposeNumericWorker();
  }

  private status(): void {
    if (this.active > 0) this.sendStatus({ state: 'busy', backend: this.backend, numericRunning: true, message: 'Running the numeric probes.' });
    else this.sendStatus({ state: 'ready', backend: this.backend, numericRunning: false, message: 'Static checks run as you type; numeric probes after each pause.' });
  }

  private async run(uri: string): Promise<void> {
    const document = this.documents.get(uri);
    if (!document) return;
    const version = document.version;
    const isStale = () => this.documents.get(uri) !== document || document.version !== version;
    const settings = await this.settings.get(uri);
    if (!settings.enable || !settings.numeric.enable || settings.excluded || !document.parsedDocument) {
      this.results.delete(uri);
      return;
    }
    const lint = await this.linter.lint(uri);
    if (!lint || lint.skipped || isStale()) return;
    const controller = new AbortController();
    this.running.set(uri, controller);
    const signal = controller.signal;
    // While the editor's tree keeps a syntax error out (core/document.ts `contain`), the worker, which
    // parses the text afresh, gets it without the broken statement, not with the error spread.
    const text = document.parsedDocument.textWithoutExcluded();
    this.active++;
    this.status();
    let reports: NumericReport[];
    try {
      // The worker gets the text and builds the module: this thread builds none (a whole module, even
      // from the IR unit cache, held it and filled its young generation with IR that the next
      // keystrokes' collections copied, 8-16 ms each), and sends none (a 2.4 MB clone, 30-50 ms).
      // A file on disk: functions it imports from other project files are read from there (numeric/imported.ts).
      const file = uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
      const checked = await checkTextNumerically(text, { backend: settings.numeric.backend, timeBudgetMs: settings.numeric.timeBudgetMs, signal, file });
      reports = checked.reports;
      if (signal.aborted || isStale()) {
        this.cancelled++;
        return;
      }
      this.backend = reports.find((r) => r.backend)?.backend ?? this.backend;
      for (const note of new Set(reports.flatMap((r) => r.backendNotes ?? []))) {
        if (settings.numeric.backend !== 'auto') this.log.info(`LossLint: numeric: ${note}`);
      }
      for (const why of new Set(reports.map((r) => r.notChecked ?? '').filter((n) => n.startsWith(UNAVAILABLE)))) {
        if (this.unavailableLogged.has(why)) continue;
        this.unavailableLogged.add(why);
        this.log.warn(`LossLint: ${why} (static checks are unaffected)`);
      }
      // The outline of the module the checks ran on (building it again from the text: ~160 ms of this thread for a 3,000-line file).
      const findings = mergeFindings(checked.outline, lint.findings, reports, settings.lint);
      const result: NumericResult = { version, reports, findings, curves: new Map() };
      this.results.set(uri, result);
      await publishFindings(this.connection, this.route, uri, version, [...findings, ...(this.extraFindings?.(uri) ?? [])]);
      this.refreshCodeLenses();
      // The hover's curves, one function at a time, after the diagnostics are out.
      for (const r of reports) {
        const req = curveRequest(r, settings.numeric.backend);
        if (!req) continue;
        try {
          const curve = await lossCurve(text, { ...req, file }, { signal });
          if (isStale()) return;
          result.curves.set(r.function, curve);
        } catch (error) {
          if (signal.aborted) return;
          this.log.warn(`LossLint: loss curve of ${r.function}: ${describeError(error)}`);
        }
      }
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') {
        this.cancelled++;
        return;
      }
      throw error;
    } finally {
      if (this.running.get(uri) === controller) this.running.delete(uri);
      this.active--;
      this.status();
    }
  }

  private refreshCodeLenses(): void {
    if (!this.codeLensRefresh) return;
    this.connection.sendRequest(CodeLensRefreshRequest.type).catch((error: unknown) => this.log.warn(`LossLint: codeLens refresh: ${describeError(error)}`));
  }
}
