/**
 * `losslint check`: collects the files, reads them ahead asynchronously, checks them (in worker
 * threads with `--jobs` > 1, see ./pool.ts) and hands each result to the output in path order as
 * soon as it and every file before it are done, so output streams and no syntax tree outlives the
 * check of its file.
 *
 * `checkFile` is the whole per-file work (parse, analyze, sort) and depends only on its arguments,
 * so that the worker pool can call it in other threads; `runCheck` does the IO, the prefilter (files
 * it rejects never travel to a worker), the ordering and every notice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigLoader, describeConfigError, type SettingsOverride } from '../config';
import { MAX_SOURCE_CHARS, ParsedDocument } from '../core/document';
import { knownCodeText, mayHaveFindings, rememberCodeText } from '../core/prefilter';
import { PARSE_PROBLEM, reportParseProblems } from '../core/syntax';
import { analyzeSliced } from '../analysis/slice';
import { DEFAULT_SETTINGS, type Finding, type LintSettings } from '../core/types';
import { fixUntilStable } from './fix';
import { isNotebookPath, locateFindings, NotebookFixer, readNotebookSource } from './notebook';
import { type CheckJob, CheckPool, type JobOutcome, resolveCheckWorker, type RuleFailure, type WorkerReply } from './pool';
import { displayPath } from './formats/location';
import { type NumericFile, type NumericLog, type NumericOptions, numericRunner } from './numeric';
import { type CheckReport, compareFindings, type FileResult, type Notice } from './report';
import { readSource, type Source, writeSource } from './source';
import { collectFiles } from './walk';
import { checkFileProject, lightSummary, runProjectPass, type LightSummary, type ProjectInput } from './project';
import type { FileSummary } from '../project/summary';
import { needsParse } from '../project/summary';
import { releaseTree } from '../core/trees';
import { CheckCache, type CheckMode, contentHash, lookupCheck, stableJson, storeCheck } from './cache';
import { cacheDirFromEnv, cacheOffByEnv, DEFAULT_CACHE_DIR } from '../project/cache';

/** Called when a rule throws on a file; the other rules' findings are still returned. */
export type RuleErrorHandler = (code: string, error: unknown) => void;

/** Parses and analyses one file's text; findings come back sorted by position, then code. */
export function checkFile(file: string, text: string, settings: LintSettings, onRuleError?: RuleErrorHandler, may?: boolean): Finding[] {
  void file; // Part of the contract for workers and error messages; the core needs only the text.
  // No framework import and no tensor method that makes a probability: nothing to find (core/prefilter.ts).
  // `may`: that answer, already read (a worker is handed the main thread's).
  if (!(may ?? mayHaveFindings(text))) return [];
  const doc = ParsedDocument.parse(text);
  try {
    reportParseProblems(doc, onRuleError);
    return lintDocument(doc, settings, onRuleError);
  } finally {
    releaseDocument(doc);
  }
}

/**
 * One job of `--jobs`: what a worker thread (check-worker.ts) does with a file, and what the main
 * thread does with the files it takes itself (`runCheck`), so that both give the same answer. A rule
 * that fails is reported once per code; a throw of the check itself comes back as `error`.
 */
export function runCheckJob(job: CheckJob): WorkerReply {
  try {
    const ruleErrors: RuleFailure[] = [];
    const seen = new Set<string>();
    const onRuleError = (code: string, error: unknown): void => {
      if (seen.has(code)) return; // The main thread reports a rule once per file anyway.
      seen.add(code);
      ruleErrors.push({ code, message: error instanceof Error ? error.message : String(error) });
    };
    // What the main thread's prefilter read of the text: not read again here.
    const pre = job.prefiltered;
    if (pre?.scan) rememberCodeText(job.text, pre.scan.code);
    if (job.project) {
      const { findings, summary } = checkFileProject(job.file, job.text, job.settings, onRuleError, pre?.may);
      return { id: job.id, findings, ruleErrors, summary };
    }
    return { id: job.id, findings: checkFile(job.file, job.text, job.settings, onRuleError, pre?.may), ruleErrors };
  } catch (error) {
    return { id: job.id, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Analyses an already parsed document; findings sorted by position, then code. Only the statements
 * that can have findings are built and checked (analysis/slice.ts: the same findings as `analyze`).
 */
export function lintDocument(doc: ParsedDocument, settings: LintSettings, onRuleError?: RuleErrorHandler): Finding[] {
  return analyzeSliced(doc, settings, { onRuleError }).sort(compareFindings);
}

/** The document is dropped: its tree's native memory is freed now or soon (core/trees.ts). */
function releaseDocument(doc: ParsedDocument): void {
  releaseTree(doc.tree, doc.text.length);
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
  /** How many files are read ahead of the one being checked (at least 4 per job). */
  readAhead?: number;
  /** `--jobs`: worker threads that parse and analyse; 1 (the default) checks in this thread. */
  jobs?: number;
  /** Place notebook findings in the .ipynb text too (`CellLocation.file`), for SARIF. */
  fileLocations?: boolean;
  /**
   * Project analysis (server/src/project/): values passed to a loss from other files and configs.
   * Results are then handed to the sink once every file is checked (still in path order). Default on.
   * Notebooks take no part in it (their findings are placed in their cells).
   */
  project?: boolean;
  /**
   * The persistent cache (cli/cache.ts): false turns it off (`--no-cache`); a folder (`--cache-dir`)
   * puts it there (LOSSLINT_NO_CACHE=1 turns it off all the same); else LOSSLINT_CACHE_DIR, the configuration's `cache-dir`, or `.losslint_cache` at
   * the project root (the folder of the configuration that covers `cwd`, else `cwd`). Default off
   * (the command line turns it on); never used with `--fix`.
   */
  cache?: boolean | string;
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
  /** What the worker pool made of the file; absent when it is checked here (or not at all). */
  outcome?: JobOutcome;
  /** The prefilter rejected the text: no finding, nothing to parse. */
  nothingToFind?: boolean;
  /** What the project pass reads of a file with no summary, taken before its text is dropped. */
  light?: LightSummary;
  /** The text's content hash, when a cache is in use. */
  hash?: string;
  /** Whether the prefilter kept the text, when it ran in the main thread. */
  may?: boolean;
  /** The outcome came from the cache (nothing to store). */
  cached?: boolean;
}

/** The cache folder of a run (see `CheckOptions.cache`), or undefined when off. */
export function cacheFolder(options: Pick<CheckOptions, 'cache' | 'cwd' | 'fix' | 'configFile'>, evenIfOff = false): string | undefined {
  if (options.fix || options.cache === false || options.cache === undefined) return undefined;
  // As ruff's RUFF_NO_CACHE: the same as --no-cache (the CLI tests set it for the runs that are not about the cache).
  if (cacheOffByEnv() && !evenIfOff) return undefined;
  if (typeof options.cache === 'string') return path.resolve(options.cwd, options.cache);
  const env = cacheDirFromEnv(options.cwd);
  if (env) return env;
  // A loader of its own, which reports nothing: the run's loader reports a broken configuration where it always has.
  const loader = new ConfigLoader({ configFile: options.configFile ? path.resolve(options.cwd, options.configFile) : undefined });
  const config = loader.forFile(path.join(options.cwd, 'x.py'));
  if (config.cacheDir) return config.cacheDir;
  return path.join(config.configPath && !config.error ? path.dirname(config.configPath) : options.cwd, DEFAULT_CACHE_DIR);
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
    // Nothing to check is an error (exit 2), not a pass: a wrong path must not look like clean code.
    // Files named on the command line that --force-exclude left out are the one exception: the
    // project excluded them on purpose (pre-commit passes every staged file).
    if (walk.forceExcluded > 0) notify('info', undefined, `every file given is excluded by the configuration (--force-exclude)`);
    else notify('error', undefined, `no Python files or notebooks found under ${options.paths.join(', ')}`);
  } else {
    for (const empty of walk.emptyDirectories) notify('warning', empty, `no Python files or notebooks found under ${displayPath(empty, cwd)}`);
  }

  const project = options.project !== false;
  const cacheDir = cacheFolder(options);
  const cache = cacheDir ? new CheckCache(cacheDir) : undefined;
  const projectInputs: ProjectInput[] = [];
  const runner = options.numeric.enabled ? numericRunner() : undefined;
  if (options.numeric.enabled && !runner) notify('info', undefined, 'numeric checks: not available');
  const numericLog: NumericLog = { notice: (level, message) => notify(level, undefined, message) };

  // Never rejects: a read-ahead promise that nobody awaits yet must not become an unhandled rejection.
  const prepare = async (file: string): Promise<Prepared> => {
    try {
      const config = loader.forFile(file, options.override);
      const notebook = isNotebookPath(file);
      const source = notebook ? readNotebookSource(file, Math.min(config.maxFileSize, MAX_SOURCE_CHARS)) : await readSource(file, config.maxFileSize);
      return { file, settings: config.settings, source };
    } catch (error) {
      const reason = `cannot prepare: ${error instanceof Error ? error.message : String(error)}`;
      return { file, settings: DEFAULT_SETTINGS, source: { kind: 'error', reason } };
    }
  };
  // One worker pool per run, only when there is more than one file and --fix is off (fixes are
  // applied and re-checked in this thread). A pool that cannot start leaves everything to this thread.
  // This thread is one of the `--jobs` N: N - 1 workers, and it checks a file itself when every
  // worker has one in hand and its next (`runCheckJob`, as a worker does): one thread fewer warms
  // its JIT, and the project pass runs in a thread that ran the analysis. A worker bundle named by
  // LOSSLINT_CHECK_WORKER (tests, diagnosis) runs every check: N workers, as that bundle is what is tried.
  const jobs = Math.min(Math.max(1, Math.floor(options.jobs ?? 1)), walk.files.length);
  const takesPart = !process.env.LOSSLINT_CHECK_WORKER;
  let pool: CheckPool | undefined;
  if (jobs > 1 && !options.fix) {
    try {
      // Each worker holds its next file (depth 2) when this thread checks files too: it may be busy
      // with one when a worker answers.
      pool = takesPart ? new CheckPool(jobs - 1, resolveCheckWorker(), 2) : new CheckPool(jobs, resolveCheckWorker());
    } catch (error) {
      notify('warning', undefined, `worker pool not available (${error instanceof Error ? error.message : String(error)}); checking in one thread`);
    }
  }
  // With a pool, the prefilter runs as soon as a file is read and only the files it keeps go to a
  // worker. A text is dropped once nothing needs it any more (its findings are known and the numeric
  // runner, which reads it, is off), so what the window holds is mostly small results.
  let checking = 0;
  /** Files in the workers' hands (one checked, one next) past which this thread takes the next. */
  const maxPooled = 2 * (takesPart ? jobs - 1 : jobs);
  const dispatch = (prepared: Prepared): Promise<Prepared> | Prepared => {
    const { source } = prepared;
    if (source.kind !== 'text') return prepared;
    // A notebook stays only while its findings need placing in its cells.
    const done = (p: Prepared, found: boolean): Prepared =>
      runner ? p : { ...p, source: { ...source, text: '', notebook: found ? source.notebook : undefined } };
    const projectFile = project && !source.notebook;
    if (cache) {
      // A file checked before with the same text (and settings, module name, build): nothing to parse.
      const hash = contentHash(source.text);
      const hit = lookupCheck(cache, prepared.file, hash, prepared.settings, projectFile ? 'project' : 'single');
      if (hit) {
        const p: Prepared = { ...prepared, hash, cached: true, light: hit.light, outcome: { kind: 'done', findings: hit.findings, ruleErrors: hit.ruleErrors, summary: hit.summary } };
        return pool ? done(p, hit.findings.length > 0) : p;
      }
      prepared = { ...prepared, hash };
    }
    if (!pool) return prepared;
    const may = mayHaveFindings(source.text);
    prepared = { ...prepared, may };
    if (!may && !(projectFile && needsParse(source.text, undefined, may))) {
      return done({ ...prepared, nothingToFind: true, light: projectFile ? lightSummary(source.text) : undefined }, false);
    }
    // The worker is handed what the prefilter read (its scan of the code text is the larger part).
    const scan = may ? knownCodeText(source.text) : undefined;
    const prefiltered = { may, ...(scan ? { scan } : {}) };
    const kept = prepared;
    const toPool = (): Promise<Prepared> => {
      checking++;
      return pool!.check(kept.file, source.text, kept.settings, projectFile, prefiltered).then((outcome) => {
        checking--;
        return outcome.kind === 'done' ? done({ ...kept, outcome }, outcome.findings.length > 0) : { ...kept, outcome };
      });
    };
    if (!takesPart || checking < maxPooled) return toPool();
    // Every worker is busy: this thread takes the file, unless one is free by its turn (below).
    return new Promise<Prepared>((resolve) => {
      local.push(() => {
        if (checking < maxPooled) return void toPool().then(resolve);
        const reply = runCheckJob({ id: -1, file: kept.file, text: source.text, settings: kept.settings, project: projectFile, prefiltered });
        // A check that threw is done again in finishFile, as with one job (the same error then).
        resolve('error' in reply ? kept : done({ ...kept, outcome: { kind: 'done', findings: reply.findings, ruleErrors: reply.ruleErrors, summary: reply.summary } }, reply.findings.length > 0));
      });
      if (local.length === 1) setImmediate(runLocal);
    });
  };
  /**
   * The files this thread takes, checked one per turn of the event loop: a worker's answer is handled
   * (and the worker given its next file) between two of them.
   */
  const local: (() => void)[] = [];
  const runLocal = (): void => {
    local[0]?.();
    local.shift();
    if (local.length) setImmediate(runLocal);
  };
  let poolStopNoticed = false;

  // Files are started in path order and finished (output) in path order. Without a pool, at most
  // `readAhead` files are read ahead of the one being checked. With a pool, reading goes on while the
  // output waits for a slow file, up to WINDOW files ahead, as long as every worker has at most two
  // files in hand (one checked, one next) or this thread has none waiting: that bounds the texts
  // held to about 2 x jobs, and those read ahead (`readAhead`).
  const readAhead = Math.max(1, options.readAhead ?? 16);
  const window = pool ? Math.max(readAhead, 64 * jobs) : readAhead;
  const started: Promise<Prepared>[] = [];
  let reading = 0;
  let finished = 0;
  const fill = (): void => {
    while (started.length < walk.files.length && started.length - finished < window && reading < readAhead && (!pool || checking < maxPooled || (takesPart && local.length === 0))) {
      reading++;
      started.push(
        prepare(walk.files[started.length]).then((prepared) => {
          reading--;
          const next = dispatch(prepared);
          fill();
          return Promise.resolve(next).then((p) => {
            fill();
            return p;
          });
        }),
      );
    }
  };

  try {
    for (let i = 0; i < walk.files.length && !sink.stopped?.(); i++) {
      // Files are read synchronously (cli/source.ts), so without this the loop could run on microtasks
      // alone: the event loop must turn now and then for tree-sitter to free the trees of checked files
      // (their native memory is released by finalizers) and for the output to drain.
      if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
      fill();
      const prepared = await started[i];
      delete started[i];
      finished = i + 1;
      await finishFile(prepared);
    }
  } finally {
    await pool?.close();
  }
  if (project && !sink.stopped?.()) await finishProject();
  // The run's manifest, then pruning (project/cache.ts): a command line is a scope of its own, as
  // ESLint's cache holds the files of its last run; a run cut short lists only part of what it covers.
  if (cache && !sink.stopped?.()) {
    const paths = options.paths.map((p) => path.resolve(cwd, p)).sort();
    cache.finish(stableJson({ tool: 'check', cwd, paths, project, override: options.override ?? null, config: options.configFile ?? null, force: !!options.forceExclude }));
  }
  // LOSSLINT_CACHE_STATS=1: what the cache gave (tests, bench/project.mjs).
  if (cache && process.env.LOSSLINT_CACHE_STATS) {
    const st = cache.stats;
    process.stderr.write(`cache: ${st.hits} hits, ${st.misses} misses, ${st.bad} ignored, ${st.written} written, ${st.removed} removed (${cache.dir})\n`);
  }
  return report;

  /** The project pass (cli/project.ts), then every result to the sink in path order. */
  async function finishProject(): Promise<void> {
    const roots = [...new Set(options.paths.map((p) => path.resolve(cwd, p)))].map((p) => {
      try {
        return fs.statSync(p).isDirectory() ? p : path.dirname(p);
      } catch {
        return path.dirname(p);
      }
    });
    if (!roots.includes(cwd)) roots.push(cwd);
    let pass: ReturnType<typeof runProjectPass> | undefined;
    try {
      pass = runProjectPass(
        roots,
        projectInputs,
        (f) => displayPath(f, cwd),
        (file, code, error) => notify('error', file, `${displayPath(file, cwd)}: ${code === 'project' ? 'project analysis' : `rule ${code}`} failed: ${error instanceof Error ? error.message : String(error)}`),
        cache,
      );
    } catch (error) {
      notify('error', undefined, `project analysis failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const p of pass?.problems ?? []) notify('warning', p.file, p.message);
    const byPath = new Map(report.files.map((f) => [f.path, f]));
    for (const [file, findings] of pass?.findings ?? []) {
      const existing = byPath.get(file);
      if (existing) existing.findings = findings.sort(compareFindings);
      else {
        const added: FileResult = { path: file, findings: findings.sort(compareFindings), fixed: 0 };
        report.files.push(added);
        byPath.set(file, added);
      }
    }
    report.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const result of report.files) {
      if (sink.stopped?.()) break;
      await sink.file(result);
    }
  }

  async function finishFile({ file, settings, source, outcome: pooled, nothingToFind, light, hash, may: mayHere, cached }: Prepared): Promise<void> {
    const shown = displayPath(file, cwd);
    if (source.kind === 'error') {
      notify('error', file, `${shown}: ${source.reason}`);
      return;
    }
    if (source.kind === 'skipped') {
      notify('info', file, `${shown}: skipped: ${source.reason}`);
      return;
    }
    const failedRules = new Set<string>();
    /** What the check reported, for the cache (a pooled outcome brings its own). */
    const reported: { code: string; message: string }[] = [];
    const onRuleError: RuleErrorHandler = (code, error) => {
      reported.push({ code, message: error instanceof Error ? error.message : String(error) });
      // Once per rule and file: a rule that throws usually throws for every function.
      if (failedRules.has(code)) return;
      failedRules.add(code);
      if (code === PARSE_PROBLEM) {
        // A notebook's module text is its cells joined: its lines are not the file's.
        if (!source.notebook) notify('warning', file, `${shown}:${error instanceof Error ? error.message : String(error)}; the findings of this file may be incomplete`);
        return;
      }
      notify('error', file, `${shown}: rule ${code} failed: ${error instanceof Error ? error.message : String(error)}`);
    };

    let findings: Finding[];
    let summary: FileSummary | undefined;
    /** How the findings were made, when they may be cached: the mode and whether the prefilter kept the text. */
    let cacheAs: { mode: CheckMode; may: boolean } | undefined;
    let fixed = 0;
    let text = source.text;
    let notebook = source.notebook;
    if (options.fix && notebook) {
      const fixer = new NotebookFixer(notebook);
      const outcome = fixUntilStable(ParsedDocument.parse(text), (doc) => lintDocument(doc, settings, onRuleError), fixer);
      findings = outcome.findings;
      if (outcome.fixed > 0) {
        try {
          const fileText = fixer.fileText();
          await writeSource(file, fileText, source.bom);
          fixed = outcome.fixed;
          text = outcome.doc.text;
          notebook = { notebook: { ...notebook.notebook, text: fileText }, module: fixer.module };
        } catch (error) {
          notify('error', file, `${shown}: cannot write fixes: ${error instanceof Error ? error.message : String(error)}`);
          findings = checkFile(file, text, settings, onRuleError);
        }
      }
      releaseDocument(outcome.doc);
    } else if (options.fix) {
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
    } else if (nothingToFind) {
      findings = [];
      cacheAs = { mode: project && !notebook ? 'project' : 'single', may: false };
    } else if (pooled?.kind === 'done') {
      for (const failure of pooled.ruleErrors) onRuleError(failure.code, new Error(failure.message));
      findings = pooled.findings;
      summary = pooled.summary;
      if (!cached && mayHere !== undefined) cacheAs = { mode: project && !notebook ? 'project' : 'single', may: mayHere };
    } else if (project && !pooled && !notebook) {
      let may: boolean;
      ({ findings, summary, may } = checkFileProject(file, text, settings, onRuleError));
      cacheAs = { mode: 'project', may };
    } else if (!pooled) {
      findings = checkFile(file, text, settings, onRuleError);
      cacheAs = { mode: 'single', may: true };
    } else {
      if (pooled?.crashed) {
        notify('warning', file, `${shown}: ${pooled.reason}; checked in the main thread instead`);
      } else if (pooled && !poolStopNoticed) {
        poolStopNoticed = true;
        notify('warning', undefined, `worker pool stopped: ${pooled.reason}; checking the remaining files in the main thread`);
      }
      findings = checkFile(file, text, settings, onRuleError);
    }

    const fileLight = project && !notebook && !summary ? (light ?? (text ? lightSummary(text) : undefined)) : undefined;
    if (cache && hash && cacheAs) storeCheck(cache, file, hash, settings, cacheAs.mode, cacheAs.may, { findings, ruleErrors: reported, summary, light: fileLight }, PARSE_PROBLEM);

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
    if (notebook) {
      try {
        result.cells = locateFindings(notebook.notebook.text, notebook.module, findings, options.fileLocations === true);
      } catch (error) {
        notify('error', file, `${shown}: cannot place the findings in their cells: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
    }
    report.files.push(result);
    if (project) {
      if (notebook) return; // its result goes out with the others, after the project pass
      if (options.fix && !summary && text) summary = checkFileProject(file, text, settings).summary;
      projectInputs.push({ file, settings, summary, findings, light: summary ? undefined : fileLight });
      return;
    }
    await sink.file(result);
  }
}
