/**
 * The numeric checks' main-thread API. Plans the checks (roles.ts, no tensors), serves repeated
 * functions from a cache keyed by their IR hash, and sends the rest to a worker thread
 * (dist/numeric-worker.js) under a time budget. Aborting cancels the run in the worker, which stops
 * before its next probe and stays up (its backend ready) for the next run; running out of time
 * terminates the worker, so a runaway probe never blocks the CLI or the language server.
 *
 *   checkDocumentNumerically(text | ModuleIR, { backend, timeBudgetMs, signal }) -> NumericReport[]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { interpretModule, type ModuleFacts } from '../core/interp';
import type { ModuleIR } from '../core/ir';
import type { CurveRequest, LossCurve } from './curve';
import type { EngineOptions } from './engine';
import { fileStamp } from './imported';
import { moduleOf, outlineOf, portableModule } from './module-of';
import { type CheckPlan, planModule } from './roles';
import type { CheckOptions, ModuleOutline, NumericReport } from './types';

export type { CheckOptions, ModuleOutline, NumericReport } from './types';

const DEFAULTS = { backend: 'auto' as const, samples: 4096, classes: 8, maxElements: 1 << 22, seed: 0, timeBudgetMs: 20_000 };

/**
 * Where the worker bundle is: `explicit` (CheckOptions.workerPath), else `LOSSLINT_NUMERIC_WORKER`,
 * else next to the calling bundle (dist/), else the repository's dist/. A path that was asked for
 * (option or environment variable) is used as is: when it does not exist the check is unavailable
 * rather than silently served by another bundle (test/numeric/faults.test.ts relies on this).
 */
export function resolveWorkerPath(explicit?: string): string {
  const asked = explicit || process.env.LOSSLINT_NUMERIC_WORKER;
  if (asked) {
    if (fs.existsSync(asked)) return path.resolve(asked);
    throw new Error(`numeric worker bundle ${asked} not found`);
  }
  const candidates: string[] = [];
  const here = typeof __dirname !== 'undefined' ? __dirname : undefined;
  if (here) candidates.push(path.join(here, 'numeric-worker.js'), path.resolve(here, '../../../dist/numeric-worker.js'));
  candidates.push(path.resolve(process.cwd(), 'dist/numeric-worker.js'));
  for (const c of candidates) if (fs.existsSync(c)) return path.resolve(c);
  throw new Error('dist/numeric-worker.js not found (run the build, or set LOSSLINT_NUMERIC_WORKER)');
}

/** The prefix of a report whose check could not run at all (no worker, worker crashed, no backend). */
export const UNAVAILABLE = 'numeric check unavailable';

const live = new Set<Worker>();
let starts = 0;
let lowPriority = false;

/**
 * Whether worker threads started from now on lower their CPU priority (nice 19, worker.ts): the
 * language server's probes are background work beside typing; the CLI's are the job itself.
 */
export function setNumericWorkerLowPriority(on: boolean): void {
  lowPriority = on;
}

/** What the checks run on: a module, or the source text it is built from (then the worker builds it). */
type Source = { mod: ModuleIR; text?: string } | { mod?: undefined; text: string };

/** The worker's answer to a plan: the checks, and the outline of the module it built. */
interface Planned {
  plans: CheckPlan[];
  outline: ModuleOutline;
}

interface Pending {
  resolve(r: any): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  reject(e: Error): void;
}

/** A request in flight in the worker. */
interface Job<R> {
  result: Promise<R>;
  /**
   * Cancels it: the worker sees the shared flag before its next probe and answers 'cancelled'
   * (ignored). Terminating the worker instead cost the next keystrokes 6-14 ms each (2-3 ms
   * otherwise) while the thread and its backend were torn down, and the next run a new backend
   * (bench/RESULTS.md, session 5).
   */
  cancel(): void;
}

class WorkerHost {
  private worker: Worker | undefined;
  private file: string | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /**
   * The module last posted to this worker (by its text, or the module itself), which keeps it: a
   * request about the same module (the check after the plan, the curves after a check) names it
   * instead of sending it again.
   */
  private sent: { key: string | ModuleIR; id: number } | undefined;

  private spawn(file: string): Worker {
    if (this.worker && this.file === file) return this.worker;
    this.kill(new Error('worker replaced'));
    const w = new Worker(file, { stderr: false, workerData: { lowPriority } });
    live.add(w);
    starts++;
    w.on('message', (msg: { id: number; planned?: Planned; reports?: NumericReport[]; curve?: LossCurve; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) w.unref();
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.curve ?? msg.planned ?? msg.reports ?? []);
    });
    w.on('error', (e) => this.kill(e instanceof Error ? e : new Error(String(e))));
    w.on('exit', (code) => {
      live.delete(w);
      if (this.worker === w) this.kill(new Error(`numeric worker exited with code ${code}`));
    });
    this.worker = w;
    this.file = file;
    this.sent = undefined;
    return w;
  }

  /** Terminates the worker and fails whatever was in flight. */
  kill(reason: Error): void {
    const w = this.worker;
    this.worker = undefined;
    this.sent = undefined;
    const pending = [...this.pending.values()];
    this.pending.clear();
    if (w) void w.terminate();
    for (const p of pending) p.reject(reason);
  }

  /**
   * Sends one message about `source` (a check, a plan or `{ kind: 'curve' }`); the job resolves with
   * the worker's answer. The module goes as its text when there is one (the worker builds its own: a
   * 3,000-line module is 2.4 MB to clone, 30-50 ms of this thread, and building it here costs as
   * much), else as the module itself, and not at all when the worker has it already.
   */
  post<R>(file: string, payload: Record<string, unknown>, source: Source): Job<R> {
    const w = this.spawn(file);
    w.ref();
    const id = this.nextId++;
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const key = source.text ?? source.mod!;
    let message: Record<string, unknown>;
    if (this.sent?.key === key) message = { id, ...payload, modId: this.sent.id, cancel: flag };
    else {
      message = { id, ...payload, ...(source.text !== undefined ? { text: source.text } : { mod: portableModule(source.mod!) }), modId: id, cancel: flag };
      this.sent = { key, id };
    }
    const result = new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage(message);
    });
    const cancel = (): void => {
      Atomics.store(flag, 0, 1);
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if (this.pending.size === 0 && this.worker === w) w.unref();
      p.reject(abortError());
    };
    return { result, cancel };
  }
}

const host = new WorkerHost();

/** Worker threads started and not yet exited (0 after a crash or dispose once the exit is seen). */
export function liveNumericWorkers(): number {
  return live.size;
}

/** Worker threads started so far (tests: a cancelled run keeps its worker). */
export function numericWorkerStarts(): number {
  return starts;
}

/** Ends the worker thread (tests, language server shutdown). */
export function disposeNumericWorker(): void {
  host.kill(new Error('disposed'));
}

const cache = new Map<string, NumericReport>();
const CACHE_MAX = 512;

export function clearNumericCache(): void {
  cache.clear();
}

export class TimeBudgetExceeded extends Error {}

function abortError(): Error {
  const e = new Error('numeric check aborted');
  e.name = 'AbortError';
  return e;
}

export { moduleOf };

/**
 * Probes every loss-like function of a document. Per function: the probes table, the backend, the
 * time, the findings (LL301-LL305), or a `not checked: ...` reason. Rejects with an AbortError
 * when `signal` aborts; functions that the time budget did not reach say so. Never rejects for a
 * broken environment: then every function's report says `numeric check unavailable: <why>`.
 * A text is not built into a module here: the worker builds it (see checkTextNumerically).
 */
export async function checkDocumentNumerically(input: string | ModuleIR, options: CheckOptions = {}): Promise<NumericReport[]> {
  return (await runChecks(typeof input === 'string' ? { text: input } : { mod: input, text: options.text }, options)).reports;
}

/**
 * checkDocumentNumerically on a text, with the outline of its module (what mergeFindings needs): the
 * worker parses the text and builds the module, so that this thread builds nothing (the language
 * server: building a whole module held its thread and filled its young generation with IR that the
 * next keystrokes' collections then copied, 8-16 ms each).
 */
export async function checkTextNumerically(text: string, options: CheckOptions = {}): Promise<{ reports: NumericReport[]; outline: ModuleOutline }> {
  return runChecks({ text }, options);
}

async function runChecks(source: Source, options: CheckOptions): Promise<{ reports: NumericReport[]; outline: ModuleOutline }> {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS & CheckOptions;
  if (o.signal?.aborted) throw abortError();
  const planned = await planSource(source, o);
  const outline = planned.outline;
  let plans = planned.plans;
  if (o.only) plans = plans.filter((p) => o.only!.includes(p.qualname) || o.only!.includes(p.qualname.split('.').pop()!));
  const nameRange = new Map(outline.functions.map((f) => [f.qualname, f.nameSpan.r]));
  const rangeOf = (qualname: string) => nameRange.get(qualname)!;
  // The file is in the key: a function calling a helper imported from another file runs what that file's folder holds.
  const optKey = `${o.backend}|${o.samples}|${o.classes}|${o.maxElements}|${o.seed}|${o.file ?? ''}`;
  const results = new Map<string, NumericReport>();
  const todo: CheckPlan[] = [];
  for (const p of plans) {
    let hit = cache.get(`${p.key}|${optKey}`);
    if (hit && !unchanged(hit.imported)) {
      cache.delete(`${p.key}|${optKey}`);
      hit = undefined;
    }
    if (hit) results.set(p.qualname, relocate(hit, rangeOf(p.qualname), true));
    else todo.push(p);
  }
  if (todo.length) {
    const deadline = Date.now() + o.timeBudgetMs;
    const engine: EngineOptions = { backend: o.backend, samples: o.samples, classes: o.classes, maxElements: o.maxElements, seed: o.seed, deadline, functionBudgetMs: o.functionBudgetMs, file: o.file, roots: o.roots };
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let job: Job<NumericReport[]> | undefined;
    const started = Date.now();
    try {
      job = host.post<NumericReport[]>(resolveWorkerPath(o.workerPath), { plans: todo, opts: engine }, source);
      const work = job.result;
      const guard = new Promise<never>((_, reject) => {
        // The worker stops starting probes at the deadline; a probe stuck past it (+ grace) is killed.
        timer = setTimeout(() => reject(new TimeBudgetExceeded()), o.timeBudgetMs + 2000);
        onAbort = () => reject(abortError());
        o.signal?.addEventListener('abort', onAbort, { once: true });
      });
      const reports = await Promise.race([work, guard]);
      for (const r of reports) {
        const plan = todo.find((p) => p.qualname === r.function);
        if (plan && !/time budget/.test(r.notChecked ?? '')) {
          if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
          cache.set(`${plan.key}|${optKey}`, r);
        }
        results.set(r.function, r);
      }
    } catch (e) {
      if (e instanceof Error && e.name === 'AbortError') {
        job?.cancel();
        throw e;
      } else if (e instanceof TimeBudgetExceeded) {
        host.kill(e);
        for (const p of todo) {
          results.set(p.qualname, { function: p.qualname, range: rangeOf(p.qualname), notChecked: `not checked: time budget of ${o.timeBudgetMs} ms exhausted`, probes: [], findings: [], ms: o.timeBudgetMs });
        }
      } else {
        // The environment failed (no worker bundle, the worker crashed, no backend could start):
        // every function says why, nothing is cached, and the next call starts a fresh worker.
        const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
        for (const p of todo) {
          results.set(p.qualname, { function: p.qualname, range: rangeOf(p.qualname), notChecked: `${UNAVAILABLE}: ${why}`, probes: [], findings: [], ms: Date.now() - started });
        }
      }
    } finally {
      if (timer) clearTimeout(timer);
      if (onAbort) o.signal?.removeEventListener('abort', onAbort);
    }
  }
  return { reports: plans.map((p) => results.get(p.qualname)).filter((r): r is NumericReport => !!r), outline };
}

/**
 * The checks of `mod`, planned in the worker (which then keeps the module for the checks and curves
 * that follow): the abstract interpreter and the keys take some 60-100 ms of a 3,000-line module. When
 * the worker cannot plan (no bundle, a crash), they are planned here, in steps with the event loop's
 * other work in between, and the checks then report why they could not run.
 */
export async function planChecks(mod: ModuleIR, o: CheckOptions = {}): Promise<CheckPlan[]> {
  return (await planSource({ mod, text: o.text }, o)).plans;
}

/** planChecks for a module or a text (built into a module here only when there is no worker to do it). */
async function planSource(source: Source, o: CheckOptions): Promise<Planned> {
  if (o.signal?.aborted) throw abortError();
  let file: string | undefined;
  try {
    file = resolveWorkerPath(o.workerPath);
  } catch {
    file = undefined;
  }
  if (file) {
    let onAbort: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let job: Job<Planned> | undefined;
    try {
      const guard = new Promise<never>((_, reject) => {
        onAbort = () => reject(abortError());
        o.signal?.addEventListener('abort', onAbort, { once: true });
        // A worker that does not answer (stuck behind a runaway probe) is replaced; planning goes on here.
        timer = setTimeout(() => reject(new TimeBudgetExceeded()), PLAN_TIMEOUT_MS);
      });
      job = host.post<Planned>(file, { kind: 'plan' }, source);
      return await Promise.race([job.result, guard]);
    } catch (e) {
      if (e instanceof Error && e.name === 'AbortError') {
        job?.cancel();
        throw e;
      }
      if (e instanceof TimeBudgetExceeded) host.kill(e);
    } finally {
      if (onAbort) o.signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    }
  }
  await nextTurn(o.signal);
  const mod = source.mod ?? moduleOf(source.text);
  await nextTurn(o.signal);
  const facts = interpretOrUndefined(mod);
  await nextTurn(o.signal);
  const plans = planModule(mod, facts);
  await nextTurn(o.signal);
  return { plans, outline: outlineOf(mod) };
}

/** How long the worker may take to plan the checks of a module before it is replaced. */
const PLAN_TIMEOUT_MS = 10_000;

/** Resolves on a later turn of the event loop; rejects with an AbortError when `signal` has aborted by then. */
function nextTurn(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => setImmediate(() => (signal?.aborted ? reject(abortError()) : resolve())));
}

/** The abstract interpreter's facts (planModule reads roles from them), or none when it fails. */
function interpretOrUndefined(mod: ModuleIR): ModuleFacts | undefined {
  try {
    return interpretModule(mod);
  } catch {
    return undefined;
  }
}

/** Whether the other files a report's check read (imported.ts) are as they were then. */
function unchanged(imported: NumericReport['imported']): boolean {
  return !imported || Object.entries(imported).every(([file, stamp]) => fileStamp(file) === stamp);
}

/** A cached report moved to where its function is now. */
function relocate(r: NumericReport, range: NumericReport['range'], cached: boolean): NumericReport {
  return { ...r, range, cached, findings: r.findings.map((f) => ({ ...f, range })) };
}

/**
 * The loss curve of one checked function (curve.ts): its loss and gradient against pt beside the
 * reference focal loss, computed in the worker. Rejects with an AbortError when `signal` aborts.
 */
export async function lossCurve(input: string | ModuleIR, req: CurveRequest, options: { signal?: AbortSignal; workerPath?: string; timeoutMs?: number; text?: string } = {}): Promise<LossCurve> {
  if (options.signal?.aborted) throw abortError();
  const source: Source = typeof input === 'string' ? { text: input } : { mod: input, text: options.text };
  const file = resolveWorkerPath(options.workerPath);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let job: Job<LossCurve> | undefined;
  try {
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeBudgetExceeded()), options.timeoutMs ?? 10_000);
      onAbort = () => reject(abortError());
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    job = host.post<LossCurve>(file, { kind: 'curve', req }, source);
    return await Promise.race([job.result, guard]);
  } catch (e) {
    if (e instanceof TimeBudgetExceeded) host.kill(e);
    else if (e instanceof Error && e.name === 'AbortError') job?.cancel();
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}
