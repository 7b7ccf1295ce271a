/**
 * Runs the core's `analyze` for open documents, at most once per document version and settings
 * generation; diagnostics, hover and fix-all all read the same result.
 *
 * A result is dropped (undefined) when the document changed, closed, or got new settings while it
 * was computed: whoever made it stale has already scheduled a newer validation.
 */
import { analyze } from '../analysis/analyze';
import { MAX_SOURCE_CHARS, type ParsedDocument } from '../core/document';
import { IncrementalAnalyzer } from '../analysis/incremental';
import type { ExternalValues } from '../core/interp';
import type { Finding, LintSettings } from '../core/types';
import type { DocumentStore, OpenDocument } from './documents';
import { describeError, type Log } from './guard';
import type { SettingsStore } from './settings';

/** Why a document was not analysed. */
export type SkipReason = 'disabled' | 'excluded' | 'too-large';

export interface LintResult {
  findings: Finding[];
  /** Set when the document was not analysed; `findings` is then empty. */
  skipped?: SkipReason;
  /** For `too-large`: the limit in characters that applied. */
  limit?: number;
}

interface CachedResult {
  version: number;
  generation: number;
  /** The key of the values from elsewhere it was computed with. */
  external: string;
  result: LintResult;
}

/**
 * The one informational message shown for a document over its size limit: `max-file-size` from
 * `[tool.losslint]` when set (clamped to MAX_SOURCE_CHARS, above which the server never parses), else
 * MAX_SOURCE_CHARS.
 */
export function tooLargeMessage(length: number, limit: number = MAX_SOURCE_CHARS): string {
  return (
    `LossLint did not analyse this file: it has ${length.toLocaleString('en-US')} characters, ` +
    `over the limit of ${limit.toLocaleString('en-US')}.`
  );
}

/** Runs `analyze`, reporting rule failures to the log (shared by open documents and the workspace check). */
export function analyzeParsed(
  parsed: ParsedDocument,
  settings: LintSettings,
  uri: string,
  log: Log,
  isCancelled?: () => boolean,
  external?: ExternalValues,
): Finding[] {
  return analyze(parsed, settings, {
    isCancelled,
    external,
    onRuleError: (code, error) => log.error(`LossLint: rule ${code} failed on ${uri}: ${describeError(error)}`),
  });
}

/** Values from other files and configs (lsp/project.ts): what lint.ts asks of the project index. */
export interface ProjectValues {
  externalFor(uri: string): { key: string; external: ExternalValues | undefined };
  decorate(uri: string, findings: Finding[]): Finding[];
}

export class Linter {
  private readonly cache = new WeakMap<OpenDocument, CachedResult>();
  /** Set by server.ts once the project index exists. */
  project: ProjectValues | undefined;
  /** Per open document: findings of its top-level statements, reused across keystrokes (analysis/incremental.ts). */
  private readonly incremental = new WeakMap<OpenDocument, IncrementalAnalyzer>();

  constructor(
    private readonly documents: DocumentStore,
    private readonly settings: SettingsStore,
    private readonly log: Log,
  ) {}

  /** The findings for the current version of `uri`, or undefined when the result went stale. */
  async findings(uri: string): Promise<Finding[] | undefined> {
    return (await this.lint(uri))?.findings;
  }

  /** The lint result for the current version of `uri`, or undefined when it went stale or `uri` is not open. */
  async lint(uri: string): Promise<LintResult | undefined> {
    const document = this.documents.get(uri);
    if (!document) return undefined;
    const version = document.version;
    const generation = this.settings.generation;
    const values = this.project?.externalFor(uri) ?? { key: '', external: undefined };
    const cached = this.cache.get(document);
    if (cached && cached.version === version && cached.generation === generation && cached.external === values.key) return this.decorated(uri, cached.result);

    const settings = await this.settings.get(uri);
    const isStale = () =>
      this.documents.get(uri) !== document || document.version !== version || this.settings.generation !== generation;
    if (isStale()) return undefined;
    let result: LintResult;
    if (!settings.enable) result = { findings: [], skipped: 'disabled' };
    else if (settings.excluded) result = { findings: [], skipped: 'excluded' };
    else if (!document.parsedDocument) result = { findings: [], skipped: 'too-large', limit: MAX_SOURCE_CHARS };
    else if (document.parsedDocument.text.length > settings.maxFileSize) result = { findings: [], skipped: 'too-large', limit: settings.maxFileSize };
    else {
      let inc = this.incremental.get(document);
      if (!inc) this.incremental.set(document, (inc = new IncrementalAnalyzer()));
      const findings = inc.analyze(document.parsedDocument, settings.lint, {
        isCancelled: isStale,
        onRuleError: (code, error) => this.log.error(`LossLint: rule ${code} failed on ${uri}: ${describeError(error)}`),
        external: values.external,
      });
      result = { findings };
    }
    if (isStale()) return undefined;
    this.cache.set(document, { version, generation, external: values.key, result });
    return this.decorated(uri, result);
  }

  /** The findings with where their values from elsewhere come from (lsp/project.ts computes that after the analysis). */
  private decorated(uri: string, result: LintResult): LintResult {
    if (!this.project || !result.findings.length) return result;
    const findings = this.project.decorate(uri, result.findings);
    return findings === result.findings ? result : { ...result, findings };
  }
}
