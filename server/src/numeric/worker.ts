/**
 * dist/numeric-worker.js: the numeric checks' worker thread (worker_threads).
 *
 * Messages in: { id, kind: 'plan', mod } (plan the checks: the abstract interpreter and the keys, kept
 * off the main thread), { id, mod: ModuleIR, plans: CheckPlan[], opts: EngineOptions }, or
 * { id, kind: 'curve', mod, req: CurveRequest } (curve.ts, the language server's hover plot). Each
 * carries a `modId`; instead of `mod` it may carry the module's source `text` (the worker parses it
 * and builds the module itself), and a message with neither is about the module last sent with that
 * `modId`, which the worker keeps (runner.ts sends a module once for a check and its curves).
 * Any message may carry `cancel`, an Int32Array on a SharedArrayBuffer: once the main thread sets it,
 * the request is answered { id, error: 'cancelled' } before its next probe (or at once if it has not
 * started), and the worker stays up, its backend ready, for the next one.
 * Messages out: { id, planned: { plans, outline } }, { id, reports }, { id, curve } or { id, error }.
 * Required from the main thread instead (tests, bench), it exports the engine.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ModuleIR } from '../core/ir';
import type { CurveRequest } from './curve';
import { computeLossCurve } from './curve-eval';
import { Cancelled, checkPlans, type EngineOptions } from './engine';
import { cancelRequested } from './probes';
import { moduleOf, outlineOf, revivedModule } from './module-of';
import { planModule, PlanStopped, type CheckPlan } from './roles';

export { Cancelled, checkPlans, DEFAULT_ENGINE, initBackend, tf } from './engine';
export { rebuildWasmBackend, wasmHealthy, wasmRebuilds, wasmTraps } from './tf';
export { Evaluator } from './eval';
export { forbiddenCall } from './gate';
export { sigmoidFocalReference, softmaxFocalReference } from './reference';
export { generate } from './gen';
export { Prober } from './probes';
export * as torchops from './torchops';

/** What every message carries: which module it is about, how it comes, and the cancel flag. */
interface ModuleMessage {
  id: number;
  modId: number;
  cancel?: Int32Array;
  mod?: ModuleIR;
  /** The source text of the module, sent instead of `mod`: the worker builds the module itself. */
  text?: string;
}

interface Request extends ModuleMessage {
  plans: CheckPlan[];
  opts: EngineOptions;
}

/** Plans the checks of a module (roles.ts, the abstract interpreter included): answered with { id, plans }. */
interface PlanMessage extends ModuleMessage {
  kind: 'plan';
}

/** The language server's hover plot (curve.ts): answered with { id, curve }. */
interface CurveMessage extends ModuleMessage {
  kind: 'curve';
  req: CurveRequest;
}

/**
 * Lowers this thread's CPU priority to the least (nice 19; Linux, where a thread has its own), when
 * the runner asks (the language server: the probes are background work, and on a machine with few
 * cores they must not take a core from the thread that answers keystrokes). Elsewhere, or when
 * refused, nothing changes.
 */
function lowerThreadPriority(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const tid = Number(path.basename(fs.readlinkSync('/proc/thread-self')));
    if (!Number.isInteger(tid) || tid <= 0) return false;
    os.setPriority(tid, 19);
    return os.getPriority(tid) === 19;
  } catch {
    return false;
  }
}

if (!isMainThread && parentPort) {
  if ((workerData as { lowPriority?: boolean } | undefined)?.lowPriority) lowerThreadPriority();
  const port = parentPort;
  // One request at a time: checks are synchronous tensor work, a queue keeps them ordered.
  let chain: Promise<void> = Promise.resolve();
  // The module last sent, or its text until a request needs the module (a request cancelled before
  // then leaves the text: the next request about the same module builds it).
  let kept: { id: number; mod?: ModuleIR; text?: string } | undefined;
  port.on('message', (msg: Request | CurveMessage | PlanMessage) => {
    chain = chain.then(async () => {
      try {
        if (msg.mod) kept = { id: msg.modId, mod: revivedModule(msg.mod) };
        else if (msg.text !== undefined) kept = { id: msg.modId, text: msg.text };
        const entry = kept?.id === msg.modId ? kept : undefined;
        if (!entry) throw new Error(`module ${msg.modId} was not sent to this worker`);
        if (cancelRequested(msg.cancel)) throw new Cancelled();
        const mod = (entry.mod ??= moduleOf(entry.text!));
        if (cancelRequested(msg.cancel)) throw new Cancelled();
        if ('kind' in msg && msg.kind === 'plan') {
          const plans = planModule(mod, undefined, () => cancelRequested(msg.cancel));
          port.postMessage({ id: msg.id, planned: { plans, outline: outlineOf(mod) } });
          return;
        }
        if ('kind' in msg) {
          port.postMessage({ id: msg.id, curve: await computeLossCurve(mod, msg.req) });
          return;
        }
        const check = msg as Request;
        const reports = await checkPlans(mod, check.plans, { ...check.opts, cancel: check.cancel, text: check.opts.text ?? entry.text });
        port.postMessage({ id: msg.id, reports });
      } catch (e) {
        const cancelled = e instanceof Cancelled || e instanceof PlanStopped;
        port.postMessage({ id: msg.id, error: cancelled ? 'cancelled' : e instanceof Error ? e.message : String(e) });
      }
    });
  });
}
