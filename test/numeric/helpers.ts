/**
 * Shared by the numeric tests: the engine from the built worker bundle (TensorFlow.js loads only
 * through esbuild's bundle; see server/src/numeric/tf.ts), and a Python that imports torch.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { FunctionIR, ModuleIR } from '../../server/src/core/ir';
import type { CheckPlan } from '../../server/src/numeric/roles';
import type { NumericReport, ProbeInputs } from '../../server/src/numeric/types';

export const ROOT = path.resolve(__dirname, '../..');
export const WORKER = path.join(ROOT, 'dist/numeric-worker.js');
export const FIXTURES = path.join(__dirname, 'fixtures');

/* eslint-disable @typescript-eslint/no-explicit-any */
import type { RunOut } from '../../server/src/numeric/probes';
export type { RunOut };

export interface ProberLike {
  setup(fn: FunctionIR, plan: CheckPlan, hyper: Record<string, unknown>): any;
  run(s: any, inp: ProbeInputs, hyper: Record<string, unknown>): RunOut;
  check(fn: FunctionIR, plan: CheckPlan): NumericReport;
}

export interface Engine {
  tf: any;
  initBackend(choice: string): Promise<{ name: string; notes: string[] }>;
  Prober: new (mod: ModuleIR, opts: any) => ProberLike;
  Evaluator: new (mod: ModuleIR, opts: any) => { run(fn: FunctionIR, args: Record<string, any>): any; trace: Set<string> };
  generate(inp: ProbeInputs): { logits: Float32Array; index: Int32Array; onehot: Float32Array };
  sigmoidFocalReference(x: any, t: any, alpha: number, gamma: number, reduction: string): any;
  checkPlans(mod: ModuleIR, plans: CheckPlan[], opts: any): Promise<NumericReport[]>;
  /** server/src/numeric/torchops.ts, from the bundle (its tensors are the bundle's). */
  torchops: typeof import('../../server/src/numeric/torchops');
}

let engine: Engine | undefined;

/** The worker bundle's exports (built first when missing: `npm test` builds anyway). */
export function loadEngine(): Engine {
  if (engine) return engine;
  if (!fs.existsSync(WORKER)) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  engine = createRequire(__filename)(WORKER) as Engine;
  return engine;
}

export function prober(mod: ModuleIR, samples = 512, classes = 8): ProberLike {
  const e = loadEngine();
  return new e.Prober(mod, { samples, classes, maxElements: 1 << 22, seed: 0, deadline: Date.now() + 600_000, backend: 'wasm', backendNotes: [] });
}

/** A Python interpreter that imports torch and torchvision, or why there is none. */
export function torchPython(): { python?: string; reason?: string } {
  const candidates = [process.env.LOSSLINT_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((x): x is string => !!x);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch, torchvision; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python: py };
  }
  return { reason: `no python among ${candidates.join(', ')} imports torch and torchvision (run scripts/install-torch.sh)` };
}

export function fn(mod: ModuleIR, qualname: string): FunctionIR {
  const f = mod.functions.find((x) => x.qualname === qualname);
  if (!f) throw new Error(`no function ${qualname}`);
  return f;
}
