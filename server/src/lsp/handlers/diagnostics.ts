/**
 * textDocument/publishDiagnostics: turns findings into LSP diagnostics and publishes them.
 *
 * Validation is scheduled, never run inside the didOpen/didChange handler: changes within
 * CHANGE_DELAY_MS of each other are coalesced into one run, and each run is tagged with the document
 * version it analysed. A run whose document moved on meanwhile is dropped instead of published.
 *
 * Each diagnostic carries in `data` everything its code actions need (the fix, the explanation and
 * the analysed version), as ruff's server does, so quick fixes need no lookup of server state.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type Connection, type Diagnostic } from 'vscode-languageserver';
import { docsRelativePath, ruleByCode } from '../../analysis/registry';
import type { Finding, Fix, Severity } from '../../core/types';
import type { DocumentStore } from '../documents';
import { guarded, type Log } from '../guard';
import { tooLargeMessage, type Linter } from '../lint';

/** How long a document must stay unchanged before it is validated again. */
export const CHANGE_DELAY_MS = delayFromEnv(process.env.LOSSLINT_DIAGNOSTICS_DELAY_MS) ?? 100;

/** LOSSLINT_DIAGNOSTICS_DELAY_MS overrides the delay (bench/lsp-latency.mjs sets 0 to time the analysis itself). */
function delayFromEnv(value: string | undefined): number | undefined {
  const n = value === undefined || value === '' ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export const DIAGNOSTIC_SOURCE = 'losslint';

/** The payload of every LossLint diagnostic's `data` field. */
export interface DiagnosticData {
  /** The document version the finding was computed on; its fix edits refer to that text. */
  version: number;
  name: string;
  explanation: string;
  evidence?: string;
  fix?: Fix;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** The file URI of a rule's documentation page shipped next to dist/ (docs/rules/LLxxx.md). */
export function docsUri(code: string): string {
  return pathToFileURL(path.resolve(__dirname, '..', docsRelativePath(code))).href;
}

/** The rule's registered name, falling back to the one the finding carries. */
export function ruleName(finding: Pick<Finding, 'code' | 'name'>): string {
  return ruleByCode(finding.code)?.meta.name ?? finding.name;
}

export function toDiagnostic(finding: Finding, version: number): Diagnostic {
  const data: DiagnosticData = {
    version,
    name: ruleName(finding),
    explanation: finding.explanation,
    evidence: finding.evidence,
    fix: finding.fix,
  };
  const diagnostic: Diagnostic = {
    range: finding.range,
    severity: SEVERITY[finding.severity] ?? DiagnosticSeverity.Warning,
    code: finding.code,
    codeDescription: { href: docsUri(finding.code) },
    source: DIAGNOSTIC_SOURCE,
    message: finding.message,
    data,
  };
  if (finding.related?.length) {
    diagnostic.relatedInformation = finding.related.map((r) => ({ location: { uri: pathToFileURL(r.path).href, range: r.range }, message: r.message }));
  }
  return diagnostic;
}

/** The LossLint payload of a diagnostic a client sent back, or undefined if it is not one of ours. */
export function readDiagnosticData(diagnostic: Diagnostic): DiagnosticData | undefined {
  if (diagnostic.source !== DIAGNOSTIC_SOURCE) return undefined;
  const data = diagnostic.data as Partial<DiagnosticData> | null | undefined;
  if (typeof data !== 'object' || data === null || typeof data.version !== 'number') return undefined;
  return {
    version: data.version,
    name: typeof data.name === 'string' ? data.name : '',
    explanation: typeof data.explanation === 'string' ? data.explanation : '',
    evidence: typeof data.evidence === 'string' ? data.evidence : undefined,
    fix: isFix(data.fix) ? data.fix : undefined,
  };
}

function isFix(value: unknown): value is Fix {
  const fix = value as Partial<Fix> | undefined;
  return (
    typeof fix === 'object' &&
    fix !== null &&
    typeof fix.title === 'string' &&
    (fix.applicability === 'safe' || fix.applicability === 'unsafe') &&
    Array.isArray(fix.edits) &&
    fix.edits.every((e) => typeof e?.newText === 'string' && typeof e?.range?.start?.line === 'number')
  );
}

/**
 * Where a document's findings are published: undefined for its own URI, or a list of documents and
 * their findings (a notebook's module: one list per cell, in the cell's positions; lsp/notebooks.ts).
 */
export type DiagnosticRoute = (uri: string, findings: readonly Finding[]) => { uri: string; findings: Finding[] }[] | undefined;

/**
 * Publishes a document version's findings, through `route` when it has one. A routed document's
 * `extra` diagnostics (the too-large notice) go to its first target.
 */
export async function publishFindings(
  connection: Connection,
  route: DiagnosticRoute | undefined,
  uri: string,
  version: number,
  findings: readonly Finding[],
  extra: Diagnostic[] = [],
): Promise<void> {
  const routed = route?.(uri, findings);
  if (!routed) {
    await connection.sendDiagnostics({ uri, version, diagnostics: [...extra, ...findings.map((f) => toDiagnostic(f, version))] });
    return;
  }
  // A cell's own version is not the module's: the diagnostics carry the module's in `data`, where code actions check it.
  await Promise.all(
    routed.map((target, i) =>
      connection.sendDiagnostics({ uri: target.uri, diagnostics: [...(i === 0 ? extra : []), ...target.findings.map((f) => toDiagnostic(f, version))] }),
    ),
  );
}

/** A scheduled validation: a timer, or an immediate for a zero delay (a 0 ms timer still waits a 1 ms tick). */
type Pending = { timer: NodeJS.Timeout } | { immediate: NodeJS.Immediate };

function cancelPending(p: Pending | undefined): void {
  if (!p) return;
  if ('timer' in p) clearTimeout(p.timer);
  else clearImmediate(p.immediate);
}

export class DiagnosticsPublisher {
  private readonly timers = new Map<string, Pending>();
  /** Called after the static diagnostics of an analysed version are published (the numeric checks start from here). */
  onPublished: ((uri: string, version: number) => void) | undefined;
  /** Where a document's diagnostics go when not to its own URI (a notebook's cells). */
  route: DiagnosticRoute | undefined;
  /** Findings reported in a document because of values written there (lsp/project.ts `findingsIn`). */
  extraFindings: ((uri: string) => Finding[]) | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly documents: DocumentStore,
    private readonly linter: Linter,
    private readonly log: Log,
  ) {}

  /** Schedules a validation of `uri`, replacing one already scheduled (bursts of changes coalesce). */
  schedule(uri: string, delayMs = CHANGE_DELAY_MS): void {
    cancelPending(this.timers.get(uri));
    const run = guarded(this.log, `validating ${uri}`, undefined, () => this.validate(uri));
    const go = (): void => {
      this.timers.delete(uri);
      void run();
    };
    // Never inside the notification handler: after the messages already received (a burst coalesces).
    this.timers.set(uri, delayMs > 0 ? { timer: setTimeout(go, delayMs) } : { immediate: setImmediate(go) });
  }

  /** Revalidates every open document, after a settings change. */
  scheduleAll(): void {
    for (const uri of this.documents.uris()) this.schedule(uri, 0);
  }

  /** Cancels the pending validation of a closed document and clears its diagnostics. */
  clear(uri: string): void {
    this.cancel(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  /** Cancels the pending validation of `uri`, publishing nothing (a closed notebook: its cells are cleared one by one). */
  cancel(uri: string): void {
    cancelPending(this.timers.get(uri));
    this.timers.delete(uri);
  }

  /** Cancels every pending validation (on shutdown). */
  dispose(): void {
    for (const pending of this.timers.values()) cancelPending(pending);
    this.timers.clear();
  }

  private async validate(uri: string): Promise<void> {
    const document = this.documents.get(uri);
    if (!document) return;
    const version = document.version;
    const result = await this.linter.lint(uri);
    // A stale result is dropped: the change that made it stale scheduled a newer validation.
    if (result === undefined || this.documents.get(uri) !== document || document.version !== version) return;
    const extra = result.skipped === 'too-large' ? [tooLargeDiagnostic(document.text.length, result.limit)] : [];
    const findings = result.skipped ? result.findings : [...result.findings, ...(this.extraFindings?.(uri) ?? [])];
    await publishFindings(this.connection, this.route, uri, version, findings, extra);
    if (!result.skipped) this.onPublished?.(uri, version);
  }
}

/** The one diagnostic of a document too large to analyse: informational, on the first character. */
export function tooLargeDiagnostic(length: number, limit?: number): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: DIAGNOSTIC_SOURCE,
    message: tooLargeMessage(length, limit),
  };
}
