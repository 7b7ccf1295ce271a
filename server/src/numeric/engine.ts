/**
 * The worker side of the numeric checks: starts a backend and probes planned functions.
 * Loaded only inside dist/numeric-worker.js (it imports TensorFlow.js), and by tests and the bench
 * through that bundle's exports.
 */
import type { ModuleIR } from '../core/ir';
import { importResolver } from './imported';
import { unpackedView } from './packed-args';
import { graphLoss } from './graph-loss';
import { Cancelled, cancelRequested, Prober } from './probes';
import type { CheckPlan } from './roles';
import { initBackend, rebuildWasmBackend, tf, wasmHealthy, wasmTraps } from './tf';
import type { BackendChoice, NumericReport } from './types';

export interface EngineOptions {
  backend: BackendChoice;
  samples: number;
  classes: number;
  maxElements: number;
  seed: number;
  /** Absolute deadline (Date.now()) for the whole batch. */
  deadline: number;
  /** Time cap of one function's check (its probes stop starting after it). */
  functionBudgetMs?: number;
  /**
   * Set to non-zero by the main thread to cancel (a SharedArrayBuffer, shared with the worker):
   * checkPlans then throws Cancelled before its next probe, and the worker stays up for the next run.
   */
  cancel?: Int32Array;
  /** The checked document's path and text, and the project's folders: imported.ts reads its imports from them. */
  file?: string;
  text?: string;
  roots?: string[];
}

export const DEFAULT_ENGINE: Omit<EngineOptions, 'deadline'> = { backend: 'auto', samples: 4096, classes: 8, maxElements: 1 << 22, seed: 0 };

export async function checkPlans(mod: ModuleIR, plans: CheckPlan[], opts: EngineOptions): Promise<NumericReport[]> {
  const info = await initBackend(opts.backend);
  // One resolver for the batch: a helper module is read and built once for all the functions using it.
  const imported = opts.file ? importResolver(opts.file, opts.text, opts.roots) : undefined;
  const prober = (): Prober =>
    new Prober(mod, {
      // The probe tensor itself must fit under the element cap.
      samples: Math.max(1, Math.min(opts.samples, Math.floor(opts.maxElements / opts.classes))),
      classes: opts.classes,
      maxElements: opts.maxElements,
      seed: opts.seed,
      deadline: Math.min(opts.deadline, Date.now() + (opts.functionBudgetMs ?? 15_000)),
      backend: info.name,
      backendNotes: info.notes,
      cancel: opts.cancel,
      imported,
    });
  const out: NumericReport[] = [];
  // A heap broken since the last batch (a curve, a batch cut short) is replaced before anything runs on it.
  if (info.name === 'wasm' && !wasmHealthy()) await rebuildWasmBackend();
  let traps = wasmTraps();
  for (const plan of plans) {
    const written = mod.functions.find((f) => f.qualname === plan.qualname);
    if (!written) continue;
    // A plan of roles packed in one parameter runs the unpacked view it was made of (packed-args.ts).
    // A TensorFlow graph-mode loss runs its view (graph-loss.ts).
    const graphed = plan.graph ? graphLoss(written, mod) : undefined;
    const fn = plan.packed ? unpackedView(written, plan.packed) : graphed && 'view' in graphed ? graphed.view : written;
    if (cancelRequested(opts.cancel)) throw new Cancelled();
    if (Date.now() > opts.deadline) {
      out.push({ function: plan.qualname, range: fn.nameSpan.r, notChecked: 'not checked: time budget exhausted', probes: [], findings: [], ms: 0, backend: info.name, backendNotes: info.notes });
      continue;
    }
    let report = prober().check(fn, plan);
    // The wasm backend's heap (issue 16): a check that met a WebAssembly trap, or after which the
    // heap check fails, may have computed on a corrupted heap (by this function or an earlier one).
    // It runs again on a fresh backend; when that one breaks too, the function is refused.
    if (info.name === 'wasm') {
      const first = heapTrouble(traps);
      if (first) {
        await rebuildWasmBackend();
        traps = wasmTraps();
        const again = prober().check(fn, plan);
        const second = heapTrouble(traps);
        if (second) {
          await rebuildWasmBackend();
          report = { function: plan.qualname, range: fn.nameSpan.r, notChecked: `not checked: the wasm backend's memory was corrupted while probing this function (${second}), on a fresh backend as on the first run; nothing computed on it is trusted`, probes: [], findings: [], ms: report.ms + again.ms, backend: info.name, backendNotes: info.notes };
        } else report = { ...again, backendNotes: [...(again.backendNotes ?? []), `probed again on a fresh wasm backend: the first run met ${first}`] };
        traps = wasmTraps();
      }
    }
    // The files read so far in the batch (a superset of this function's: a cached report is dropped a little more often, never kept wrongly).
    if (imported?.read.size) report.imported = Object.fromEntries(imported.read);
    out.push(report);
  }
  return out;
}

export { Cancelled, initBackend, tf };

/** Why the wasm heap is not trusted after a check: a trap since `traps` was read, or a failed heap check. */
function heapTrouble(traps: number): string | undefined {
  if (wasmTraps() > traps) return 'a WebAssembly trap';
  if (!wasmHealthy()) return 'the heap check after it failed';
  return undefined;
}
