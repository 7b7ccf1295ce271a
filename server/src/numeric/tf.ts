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
  const ok = await tf.setBackend('wasm').catch(() => false);
  return ok ? undefined : 'wasm: the backend failed to start';
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
  current = { name, notes };
  currentChoice = choice;
  return current;
}
