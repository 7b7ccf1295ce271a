/**
 * Loads TensorFlow.js (core, every gradient, the cpu, wasm and webgpu backends) and picks a backend.
 *
 * Only the worker bundle (dist/numeric-worker.js) imports this file: tfjs-core's gradients ship as
 * extensionless ES modules that Node cannot load directly, so esbuild bundles them (with
 * `mainFields: ['module', 'main']`, one copy of the engine). Nothing on the CLI's or the language
 * server's main thread loads TensorFlow.js.
 *
 * `auto` tries webgpu when a GPU adapter exists (the `webgpu` npm package: Dawn, prebuilt), then
 * wasm, then cpu. A backend that was asked for and cannot start says why, and the next one is used.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as fs from 'node:fs';
import * as path from 'node:path';

export { tf };

import type { BackendChoice, BackendName } from './backend-names';

export type { BackendChoice, BackendName };

export interface BackendInfo {
  /** The backend in use. */
  name: BackendName;
  /** One line per backend that was tried and could not start, and why. */
  notes: string[];
}

// tfjs-backend-cpu greets Node users on its first write; the checker has nothing to gain from it.
const quietWarn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('looks like you are running TensorFlow.js in Node.js')) return;
  quietWarn(...args);
};

/**
 * Where the .wasm files are: `wasm/` next to this bundle (the build copies them there so the VSIX
 * carries them), else the package in node_modules. `LOSSLINT_WASM_DIR` overrides both.
 */
export function wasmDir(): string | undefined {
  // Asked for, it is the only place looked at: a directory without the files means no wasm backend
  // (test/numeric/faults.test.ts points it at an empty directory), not another copy.
  const candidates: string[] = [];
  if (process.env.LOSSLINT_WASM_DIR) candidates.push(process.env.LOSSLINT_WASM_DIR);
  else candidates.push(path.join(__dirname, 'wasm'));
  if (!process.env.LOSSLINT_WASM_DIR) {
    try {
      candidates.push(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
    } catch {
      // not installed next to us: only the copied files can work
    }
  }
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'tfjs-backend-wasm.wasm'))) return dir;
  }
  return undefined;
}

/** Whether this machine shows any GPU device node at all (Linux); elsewhere we just try. */
function mayHaveGpu(): boolean {
  if (process.platform !== 'linux') return true;
  return fs.existsSync('/dev/dri') || fs.existsSync('/dev/nvidia0') || fs.existsSync('/dev/dxg');
}

let webgpuLoaded = false;

async function tryWebgpu(forced: boolean): Promise<string | undefined> {
  if (!forced && !mayHaveGpu()) return 'webgpu: no GPU device on this machine';
  let gpu: { requestAdapter(): Promise<unknown> };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const webgpu = require('webgpu') as { create(flags: string[]): typeof gpu; globals: Record<string, unknown> };
    Object.assign(globalThis, webgpu.globals);
    gpu = webgpu.create([]);
    const nav = ((globalThis as { navigator?: Record<string, unknown> }).navigator ??= {} as Record<string, unknown>);
    try {
      nav.gpu = gpu;
    } catch {
      Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu }, configurable: true });
    }
  } catch (e) {
    return `webgpu: cannot load the webgpu package (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return 'webgpu: no GPU adapter found';
  if (!webgpuLoaded) {
    await import('@tensorflow/tfjs-backend-webgpu');
    webgpuLoaded = true;
  }
  const ok = await tf.setBackend('webgpu').catch(() => false);
  return ok ? undefined : 'webgpu: the backend failed to start';
}

async function tryWasm(): Promise<string | undefined> {
  const dir = wasmDir();
  if (!dir) return 'wasm: tfjs-backend-wasm.wasm not found';
  setWasmPaths(dir.endsWith(path.sep) ? dir : dir + path.sep);
  guardWasmKernels();
  const ok = await tf.setBackend('wasm').catch(() => false);
  return ok ? undefined : 'wasm: the backend failed to start';
}

// --- the wasm backend's heap (issue 16) ------------------------------------------------------

/**
 * Kernels of tfjs-backend-wasm (4.22) that read and write some inputs as float32 whatever their
 * dtype, and the inputs: a bool tensor (one byte an element) is read four times over and the bool
 * output written four times past its end, which corrupts the module's heap (a later allocation or
 * free traps: "memory access out of bounds", in this function or any later one) and gives wrong
 * values (test/numeric/wasm-heap.test.ts). Their bool inputs are widened to int32 (four bytes, as
 * the kernels read them) and the output cast back to bool.
 */
const BOOL_AS_INT32: Record<string, string[]> = { Select: ['t', 'e'], Reverse: ['x'] };

/** WebAssembly traps met in the wasm backend's code (kernels, allocations, frees) since the start. */
let traps = 0;

/** How many WebAssembly traps the wasm backend has met so far: a function that adds one ran on a broken heap. */
export function wasmTraps(): number {
  return traps;
}

/** WebAssembly.RuntimeError (the typings of this project have no WebAssembly namespace). */
const RuntimeError = (globalThis as { WebAssembly?: { RuntimeError?: new () => Error } }).WebAssembly?.RuntimeError;

function isTrap(e: unknown): boolean {
  return !!RuntimeError && e instanceof RuntimeError;
}

/** `f` with every WebAssembly trap it throws counted. */
function counting<A extends unknown[], R>(f: (...a: A) => R): (...a: A) => R {
  return (...a: A): R => {
    try {
      return f(...a);
    } catch (e) {
      if (isTrap(e)) traps++;
      throw e;
    }
  };
}

let kernelsGuarded = false;

/**
 * Re-registers the wasm backend's kernels (once, before it starts): every kernel counts its traps,
 * and the BOOL_AS_INT32 ones take bool inputs through int32.
 */
function guardWasmKernels(): void {
  if (kernelsGuarded) return;
  kernelsGuarded = true;
  const castConfig = tf.getKernel('Cast', 'wasm');
  for (const config of tf.getKernelsForBackend('wasm')) {
    const run = config.kernelFunc;
    const widen = BOOL_AS_INT32[config.kernelName];
    const kernelFunc: tf.KernelFunc = widen && castConfig
      ? (args) => {
          const inputs = args.inputs as Record<string, tf.TensorInfo | undefined>;
          if (!widen.some((k) => inputs[k]?.dtype === 'bool')) return run(args);
          const cast = (x: tf.TensorInfo, dtype: tf.DataType): tf.TensorInfo => castConfig.kernelFunc({ inputs: { x }, attrs: { dtype }, backend: args.backend }) as tf.TensorInfo;
          const wide: Record<string, tf.TensorInfo | undefined> = { ...inputs };
          const temps: tf.TensorInfo[] = [];
          for (const k of widen) {
            const x = inputs[k];
            if (x?.dtype !== 'bool') continue;
            wide[k] = cast(x, 'int32');
            temps.push(wide[k]!);
          }
          const out = run({ ...args, inputs: wide as tf.NamedTensorInfoMap }) as tf.TensorInfo;
          const back = cast(out, 'bool');
          for (const t of [...temps, out]) (args.backend as tf.KernelBackend).disposeData(t.dataId);
          return back;
        }
      : run;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: counting(kernelFunc) });
  }
}

/** The wasm module under the backend: its allocator and the tensor memory in and out. */
interface WasmModule {
  _malloc(n: number): number;
  _free(p: number): void;
}

/** Counts the traps of the backend's own calls into the module (allocation, upload, free). */
function countBackendTraps(backend: tf.KernelBackend): void {
  const b = backend as unknown as Record<string, unknown>;
  for (const m of ['move', 'disposeData', 'readSync', 'read']) {
    const f = b[m];
    if (typeof f === 'function') b[m] = counting((f as (...a: unknown[]) => unknown).bind(backend));
  }
}

/**
 * A cheap check that the wasm backend's heap still works, run between functions: allocations and
 * frees of several sizes through its allocator (a corrupted free list traps here), and a small
 * computation with a known result. False when anything traps or the result is wrong.
 */
export function wasmHealthy(): boolean {
  if (tf.getBackend() !== 'wasm') return true;
  try {
    const wasm = (tf.backend() as unknown as { wasm: WasmModule }).wasm;
    const blocks = [16, 256, 4096, 1 << 16, 1 << 20].map((n) => wasm._malloc(n));
    for (const p of blocks.reverse()) wasm._free(p);
    const n = 1031;
    const sum = tf.tidy(() => tf.sum(tf.where(tf.greater(tf.range(0, n, 1, 'int32'), n >> 1), tf.fill([n], 2, 'int32'), tf.fill([n], 1, 'int32'))).dataSync()[0]);
    return sum === n + (n - (n >> 1) - 1);
  } catch (e) {
    if (isTrap(e)) traps++;
    return false;
  }
}

/**
 * Replaces the wasm backend by a fresh one (a new module, a new heap): after a trap or a failed
 * wasmHealthy, nothing computed on the old heap is trusted. The old module is dropped without its
 * own dispose (which walks the corrupted heap). Tensors of the old backend must not be used after.
 */
export async function rebuildWasmBackend(): Promise<void> {
  const factory = tf.findBackendFactory('wasm');
  if (!factory) throw new Error('the wasm backend is not registered');
  const engine = tf.engine() as unknown as { registry: Record<string, { dispose(): void } | undefined> };
  const old = engine.registry.wasm;
  if (old) old.dispose = () => {};
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, 2);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to start again');
  await tf.ready();
  countBackendTraps(tf.backend());
  rebuilds++;
}

let rebuilds = 0;

/** How many times the wasm backend was rebuilt (tests). */
export function wasmRebuilds(): number {
  return rebuilds;
}

let current: BackendInfo | undefined;
let currentChoice: BackendChoice | undefined;

/** Starts the chosen backend (once per choice; switching is allowed). */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (current && currentChoice === choice) return current;
  const notes: string[] = [];
  const order: BackendName[] = choice === 'auto' ? ['webgpu', 'wasm', 'cpu'] : choice === 'webgpu' ? ['webgpu', 'wasm', 'cpu'] : choice === 'wasm' ? ['wasm', 'cpu'] : ['cpu'];
  let name: BackendName | undefined;
  for (const b of order) {
    let why: string | undefined;
    if (b === 'webgpu') why = await tryWebgpu(choice === 'webgpu');
    else if (b === 'wasm') why = await tryWasm();
    else why = (await tf.setBackend('cpu')) ? undefined : 'cpu: the backend failed to start';
    if (!why) {
      name = b;
      break;
    }
    // `auto` skipping webgpu on a machine without a GPU is expected; it is only news when asked for.
    if (choice !== 'auto' || b !== 'webgpu') notes.push(`${why}; falling back`);
  }
  if (!name) throw new Error(`no TensorFlow.js backend could start: ${notes.join('; ')}`);
  await tf.ready();
  if (name === 'wasm') countBackendTraps(tf.backend());
  current = { name, notes };
  currentChoice = choice;
  return current;
}
