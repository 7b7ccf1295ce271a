/**
 * The worker pool of `losslint check --jobs N`: runs `checkFile` (parse, analyse, sort) in worker
 * threads (dist/check-worker.js), one file per worker at a time (the next one or more already in its
 * hand with a `depth` past 1). `runCheck` keeps the IO, the prefilter, the ordering and every notice;
 * the pool only turns a job into its findings.
 *
 * It never rejects and never leaves a job pending: a worker that throws, exits or cannot start fails
 * the one job it was checking (`failed`, `crashed: true`; the caller checks that file in process) and is
 * replaced by a fresh one. After MAX_CRASHES crashes in a row the pool stops: every job still queued
 * or asked for later fails with `crashed: false`, and `stopReason` says why.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Finding, LintSettings } from '../core/types';
import type { FileSummary } from '../project/summary';

/** One file to check, as posted to a worker. */
export interface CheckJob {
  id: number;
  /** Absolute path (for messages only; the worker reads nothing from disk). */
  file: string;
  text: string;
  settings: LintSettings;
  /** Also summarize the file for the project index (cli/project.ts `checkFileProject`). */
  project?: boolean;
  /**
   * The prefilter's answer on `text` (core/prefilter.ts `mayHaveFindings`), which the main thread
   * read before sending it, and the code text it scanned (`sureCodeText`; `code` undefined where the
   * scan was unsure): the worker does not read them again.
   */
  prefiltered?: Prefiltered;
}

/** What the main thread's prefilter read of a file's text (see CheckJob). */
export interface Prefiltered {
  may: boolean;
  scan?: { code: string | undefined };
}

/** A rule that threw in the worker: its code and the error's message. */
export interface RuleFailure {
  code: string;
  message: string;
}

/** What a worker posts back for a job. */
export type WorkerReply = { id: number; findings: Finding[]; ruleErrors: RuleFailure[]; summary?: FileSummary } | { id: number; error: string };

export type JobOutcome =
  | { kind: 'done'; findings: Finding[]; ruleErrors: RuleFailure[]; summary?: FileSummary }
  /** `crashed`: this job's worker died or checkFile threw in it; otherwise the pool had stopped. */
  | { kind: 'failed'; reason: string; crashed: boolean };

/** The most workers `--jobs auto` starts: past this, parsing is no longer what limits a run. */
export const MAX_AUTO_JOBS = 8;

/** `--jobs auto`: one worker per core, capped. */
export function defaultJobs(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(MAX_AUTO_JOBS, cores));
}

/** Crashes in a row (no job answered in between) after which the pool gives up. */
const MAX_CRASHES = 3;

/**
 * Where the worker bundle is: `LOSSLINT_CHECK_WORKER` (used as is; tests point it at faulty
 * workers), else next to the calling bundle (dist/), else the repository's dist/.
 */
export function resolveCheckWorker(): string {
  const asked = process.env.LOSSLINT_CHECK_WORKER;
  if (asked) {
    if (fs.existsSync(asked)) return path.resolve(asked);
    throw new Error(`check worker bundle ${asked} not found`);
  }
  const candidates: string[] = [];
  const here = typeof __dirname !== 'undefined' ? __dirname : undefined;
  if (here) candidates.push(path.join(here, 'check-worker.js'), path.resolve(here, '../../../dist/check-worker.js'));
  for (const c of candidates) if (fs.existsSync(c)) return path.resolve(c);
  throw new Error('dist/check-worker.js not found (run the build, or set LOSSLINT_CHECK_WORKER)');
}

interface Waiting {
  job: CheckJob;
  resolve: (outcome: JobOutcome) => void;
}

interface Slot {
  worker: Worker;
  /**
   * The jobs posted to it, oldest first: the first is the one it checks, the others wait in its
   * message queue (at most `depth` in all).
   */
  hand: Waiting[];
  /** The uncaught error that is about to end this worker, if any. */
  error: Error | undefined;
  dead: boolean;
}

export class CheckPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Waiting[] = [];
  private nextId = 0;
  private crashesInARow = 0;
  private stopped: string | undefined;
  private closed = false;

  /**
   * `size` workers at most, started as jobs arrive. `depth`: how many jobs a worker is given at once;
   * past 1, a worker starts its next file without waiting for this thread to handle its answer (the
   * CLI's main thread checks files too and may be busy then). A worker that dies fails only the job
   * it was checking; the others it held go back to the head of the queue.
   */
  constructor(
    private readonly size: number,
    private readonly workerFile: string,
    private readonly depth = 1,
  ) {}

  /** Why the pool stopped taking jobs, once it has. */
  get stopReason(): string | undefined {
    return this.stopped;
  }

  /** Checks one file in a worker. Never rejects. */
  check(file: string, text: string, settings: LintSettings, project = false, prefiltered?: Prefiltered): Promise<JobOutcome> {
    if (this.stopped || this.closed) return Promise.resolve({ kind: 'failed', reason: this.stopped ?? 'pool closed', crashed: false });
    return new Promise((resolve) => {
      this.queue.push({ job: { id: this.nextId++, file, text, settings, project, ...(prefiltered ? { prefiltered } : {}) }, resolve });
      this.pump();
    });
  }

  /** Ends every worker; jobs not yet answered fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.failQueued('pool closed');
    const slots = this.slots.splice(0);
    for (const s of slots) {
      s.dead = true;
      for (const waiting of s.hand.splice(0)) waiting.resolve({ kind: 'failed', reason: 'pool closed', crashed: false });
    }
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.stopped && !this.closed) {
      // An idle worker first, then a new one, then one with room in its hand.
      let slot = this.slots.find((s) => s.hand.length === 0 && !s.dead);
      if (!slot && this.slots.length < this.size) {
        slot = this.spawn();
        if (!slot) return;
      }
      slot ??= this.slots.find((s) => s.hand.length < this.depth && !s.dead);
      if (!slot) return;
      const waiting = this.queue.shift()!;
      slot.hand.push(waiting);
      try {
        slot.worker.postMessage(waiting.job);
      } catch (error) {
        // A job that cannot be cloned (it always can: strings and plain settings) fails alone.
        slot.hand.pop();
        waiting.resolve({ kind: 'failed', reason: `cannot send the file to a worker: ${message(error)}`, crashed: true });
      }
    }
  }

  private spawn(): Slot | undefined {
    let worker: Worker;
    try {
      worker = new Worker(this.workerFile);
    } catch (error) {
      this.stop(`cannot start a worker: ${message(error)}`);
      return undefined;
    }
    const slot: Slot = { worker, hand: [], error: undefined, dead: false };
    this.slots.push(slot);
    worker.on('message', (reply: WorkerReply) => {
      const waiting = slot.hand[0];
      if (!waiting || reply.id !== waiting.job.id) return;
      slot.hand.shift();
      if ('error' in reply) {
        waiting.resolve({ kind: 'failed', reason: `the check threw in a worker: ${reply.error}`, crashed: true });
      } else {
        this.crashesInARow = 0;
        waiting.resolve({ kind: 'done', findings: reply.findings, ruleErrors: reply.ruleErrors, summary: reply.summary });
      }
      this.pump();
    });
    worker.on('error', (error) => {
      // An uncaught exception in the worker; 'exit' follows.
      slot.error = error instanceof Error ? error : new Error(String(error));
    });
    worker.on('messageerror', (error) => {
      slot.error = error;
      void worker.terminate();
    });
    worker.on('exit', (code) => {
      if (slot.dead) return; // close() ended it.
      slot.dead = true;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const why = slot.error ? `worker crashed: ${slot.error.message}` : `worker exited with code ${code}`;
      // The job it was checking fails; those it had not started yet are given to the next worker.
      const [waiting, ...unstarted] = slot.hand.splice(0);
      this.queue.unshift(...unstarted);
      this.crashesInARow++;
      if (this.crashesInARow >= MAX_CRASHES) this.stop(`${MAX_CRASHES} workers crashed in a row (last: ${why})`);
      waiting?.resolve({ kind: 'failed', reason: why, crashed: true });
      this.pump();
    });
    return slot;
  }

  private stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = reason;
    this.failQueued(reason);
  }

  private failQueued(reason: string): void {
    for (const waiting of this.queue.splice(0)) waiting.resolve({ kind: 'failed', reason, crashed: false });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
