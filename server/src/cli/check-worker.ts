/**
 * dist/check-worker.js: one thread of the `losslint check` worker pool (./pool.ts).
 *
 * Message in: a CheckJob { id, file, text, settings, project, prefiltered } (prefiltered: the main
 * thread's prefilter answer and code text, which the worker does not read again). Message out:
 * { id, findings, ruleErrors, summary }, or { id, error } when checkFile itself threw (the pool then
 * checks that file in the main thread).
 * Each job is parsed, analysed and its tree released before the answer is sent, so a worker holds
 * no tree between files. The job itself is `runCheckJob` (./check.ts), which the main thread of
 * `--jobs` N runs too on the files it takes.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { setIrCacheSize } from '../core/ir';
import { runCheckJob } from './check';
import type { CheckJob } from './pool';

if (!isMainThread && parentPort) {
  const port = parentPort;
  // Each file is analysed once, as in the main thread of the CLI (main.ts).
  setIrCacheSize(0);
  port.on('message', (job: CheckJob) => port.postMessage(runCheckJob(job)));
}
