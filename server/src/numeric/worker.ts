/**
 * dist/numeric-worker.js: the numeric checks' worker thread (worker_threads).
 *
 * Messages in: { id, mod: ModuleIR, plans: CheckPlan[], opts: EngineOptions }.
 * Messages out: { id, reports } or { id, error }.
 * Required from the main thread instead (tests, bench), it exports the engine.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import type { ModuleIR } from '../core/ir';
import { checkPlans, type EngineOptions } from './engine';
import type { CheckPlan } from './roles';

export { checkPlans, DEFAULT_ENGINE, initBackend, tf } from './engine';
export { Evaluator, forbiddenCall, sigmoidFocalReference, softmaxFocalReference } from './eval';
export { generate } from './gen';
export { Prober } from './probes';

interface Request {
  id: number;
  mod: ModuleIR;
  plans: CheckPlan[];
  opts: EngineOptions;
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  // One request at a time: checks are synchronous tensor work, a queue keeps them ordered.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (msg: Request) => {
    chain = chain.then(async () => {
      try {
        const reports = await checkPlans(msg.mod, msg.plans, msg.opts);
        port.postMessage({ id: msg.id, reports });
      } catch (e) {
        port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
      }
    });
  });
}
