/**
 * `losslint check`: collects the files, reads them ahead asynchronously, checks them one by one in
 * path order and hands each result to the output as soon as it is ready, so output streams and no
 * syntax tree outlives the check of its file.
 *
 * `checkFile` is the whole per-file work (parse, analyze, sort) and depends only on its arguments,
 * so that a worker pool can call it in other threads; `runCheck` does the IO and the ordering.
 */
import * as path from 'node:path';
import { ConfigLoader, describeConfigError, type SettingsOverride } from '../config';
import { ParsedDocument } from '../core/document';
import { mayHaveFindings } from '../core/prefilter';
import { analyzeSliced } from '../core/slice';
import { DEFAULT_SETTINGS, type Finding, type LintSettings } from '../core/types';
import { fixUntilStable } from './fix';
import { displayPath } from './formats/location';
import { type NumericFile, type NumericLog, type NumericOptions, numericRunner } from './numeric';
import { type CheckReport, compareFindings, type FileResult, type Notice } from './report';
import { readSource, type Source, writeSource } from './source';
import { collectFiles } from './walk';

/** Called when a rule throws on a file; the other rules' findings are still returned. */
export type RuleErrorHandler = (code: string, error: unknown) => void;

/** Parses and analyses one file's text; findings come back sorted by position, then code. */
export function checkFile(file: string, text: string, settings: LintSettings, onRuleError?: RuleErrorHandler): Finding[] {
  void file; // Part of the contract for workers and error messages; the core needs only the text.
  // No framework import and no tensor method that makes a probability: nothing to find (core/prefilter.ts).
  if (!mayHaveFindings(text)) return [];
  const doc = ParsedDocument.parse(text);
  try {
    return lintDocument(doc, settings, onRuleError);
  } finally {
    releaseDocument(doc);
  }
}

/**
 * Analyses an already parsed document; findings sorted by position, then code. Only the statements
 * that can have findings are built and checked (core/slice.ts: the same findings as `analyze`).
 */
export function lintDocument(doc: ParsedDocument, settings: LintSettings, onRuleError?: RuleErrorHandler): Finding[] {
  return analyzeSliced(doc, settings, { onRuleError }).sort(compareFindings);
}

/** Frees a tree's native memory now where the binding allows it (web-tree-sitter does). */
function releaseDocument(doc: ParsedDocument): void {
  (doc.tree as { delete?: () => void }).delete?.();
}

export interface CheckOptions {
  /** As given on the command line; `.` when none. */
  paths: string[];
  cwd: string;
  /** The flags' settings, laid over each file's project configuration. */
  override: SettingsOverride;
  /** `--fix`: apply safe fixes and write the files back. */
  fix: boolean;
  /** `--config`: one configuration file for every path. */
  configFile?: string;
  /** `--force-exclude`: apply `exclude` to files named on the command line too. */
  forceExclude?: boolean;
  numeric: NumericOptions;
  /** How many files are read ahead of the one being checked. */
  readAhead?: number;
}

/** Receives results as the run produces them. */
export interface CheckSink {
  /** Each checked file, in path order, as soon as it is done. */
  file(result: FileResult): void | Promise<void>;
  /** Each notice, as it happens. */
  notice(notice: Notice): void;
  /** When this returns true (the reader of the output went away), the run stops early. */
  stopped?(): boolean;
}

interface Prepared {
  file: string;
  settings: LintSettings;
  source: Source;
}

/** Runs the whole check; never throws for bad input, reporting it as notices instead. */
export async function runCheck(options: CheckOptions, sink: CheckSink): Promise<CheckReport> {
  const { cwd } = options;
  const report: CheckReport = { cwd, files: [], notices: [], fixMode: options.fix };
  const notify = (level: Notice['level'], file: string | undefined, message: string) => {
    const notice: Notice = { level, path: file, message };
    report.notices.push(notice);
    sink.notice(notice);
  };
  const loader = new ConfigLoader({
    configFile: options.configFile ? path.resolve(cwd, options.configFile) : undefined,
    onError: (error) => notify('error', error.path, describeConfigError(error, displayPath(error.path, cwd))),
  });
  if (options.configFile) loader.forFile(path.join(cwd, 'x.py')); // Reports a broken --config before anything else.

  const walk = collectFiles(options.paths, cwd, loader, { forceExclude: options.forceExclude });
  for (const problem of walk.problems) notify('error', problem.path, `${displayPath(problem.path, cwd)}: ${problem.reason}`);
  if (walk.files.length === 0 && walk.problems.length === 0) {
    notify('warning', undefined, `no Python files found under ${options.paths.join(', ')}`);
  }

  const runner = options.numeric.enabled ? numericRunner() : undefined;
  if (options.numeric.enabled && !runner) notify('info', undefined, 'numeric checks: not available');
  const numericLog: NumericLog = { notice: (level, message) => notify(level, undefined, message) };

  // Never rejects: a read-ahead promise that nobody awaits yet must not become an unhandled rejection.
  const prepare = async (file: string): Promise<Prepared> => {
    try {
      const config = loader.forFile(file, options.override);
      return { file, settings: config.settings, source: await readSource(file, config.maxFileSize) };
    } catch (error) {
      const reason = `cannot prepare: ${error instanceof Error ? error.message : String(error)}`;
      return { file, settings: DEFAULT_SETTINGS, source: { kind: 'error', reason } };
    }
  };
  // Reads run ahead of the (synchronous) checking, so that IO and parsing overlap.
  const readAhead = Math.max(1, options.readAhead ?? 16);
  const pending: Promise<Prepared>[] = walk.files.slice(0, readAhead).map(prepare);
  for (let i = 0; i < walk.files.length && !sink.stopped?.(); i++) {
    const next = i + readAhead;
    if (next < walk.files.length) pending.push(prepare(walk.files[next]));
    const { file, settings, source } = await pending[i];
    delete pending[i];
    const shown = displayPath(file, cwd);
    if (source.kind === 'error') {
      notify('error', file, `${shown}: ${source.reason}`);
      continue;
    }
    if (source.kind === 'skipped') {
      notify('info', file, `${shown}: skipped: ${source.reason}`);
      continue;
    }
    const failedRules = new Set<string>();
    const onRuleError: RuleErrorHandler = (code, error) => {
      // Once per rule and file: a rule that throws usually throws for every function.
      if (failedRules.has(code)) return;
      failedRules.add(code);
      notify('error', file, `${shown}: rule ${code} failed: ${error instanceof Error ? error.message : String(error)}`);
    };

    let findings: Finding[];
    let fixed = 0;
    let text = source.text;
    if (options.fix) {
      const outcome = fixUntilStable(ParsedDocument.parse(text), (doc) => lintDocument(doc, settings, onRuleError));
      findings = outcome.findings;
      if (outcome.fixed > 0) {
        if (source.encoding) {
          notify('warning', file, `${shown}: fixes not written: the file is ${source.encoding}, not UTF-8`);
          findings = checkFile(file, text, settings, onRuleError);
        } else {
          try {
            await writeSource(file, outcome.doc.text, source.bom);
            fixed = outcome.fixed;
            text = outcome.doc.text;
          } catch (error) {
            notify('error', file, `${shown}: cannot write fixes: ${error instanceof Error ? error.message : String(error)}`);
            findings = checkFile(file, text, settings, onRuleError);
          }
        }
      }
      releaseDocument(outcome.doc);
    } else {
      findings = checkFile(file, text, settings, onRuleError);
    }

    // numeric: the one call site of the numeric runner (server/src/numeric/ registers it).
    if (runner) {
      const input: NumericFile = { path: file, text, settings, findings };
      try {
        findings = ((await runner([input], options.numeric, numericLog))[0] ?? findings).sort(compareFindings);
      } catch (error) {
        notify('error', file, `${shown}: numeric checks failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }

    const result: FileResult = { path: file, findings, fixed };
    report.files.push(result);
    await sink.file(result);
  }
  return report;
}
