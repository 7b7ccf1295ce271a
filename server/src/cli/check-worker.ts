/**
 * dist/check-worker.js: one thread of the `losslint check` worker pool (./pool.ts).
 *
 * Message in: a CheckJob { id, file, text, settings, project, prefiltered } (prefiltered: the main
 * thread's prefilter answer and code text, which the worker does not read again). Message out:
 * { id, findings, ruleErrors, summary }, or { id, error } when checkFile itself threw (the pool then
 * checks that file in the main thread).
 * Each job is parsed, analysed and its tree released before the answer is sent, so a worker holds
 * no tree between files.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { setIrCacheSize } from '../core/ir';
import { rememberCodeText } from '../core/prefilter';
import { checkFile } from './check';
import { checkFileProject } from './project';
import type { CheckJob, RuleFailure, WorkerReply } from './pool';

if (!isMainThread && parentPort) {
  const port = parentPort;
  // Each file is analysed once, as in the main thread of the CLI (main.ts).
  setIrCacheSize(0);
  port.on('message', (job: CheckJob) => {
    let reply: WorkerReply;
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
        reply = { id: job.id, findings, ruleErrors, summary };
      } else reply = { id: job.id, findings: checkFile(job.file, job.text, job.settings, onRuleError, pre?.may), ruleErrors };
    } catch (error) {
      reply = { id: job.id, error: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  });
}
