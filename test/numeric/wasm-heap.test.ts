/**
 * The wasm backend's heap (issue 16). tfjs-backend-wasm 4.22's Select (where) and Reverse read and
 * write their value inputs as float32 whatever the dtype: on bool tensors (one byte an element) they
 * wrote past their output and corrupted the heap, so that a later function's allocation trapped
 * ("memory access out of bounds") and every function after it was refused. tf.ts takes their bool
 * inputs through int32. Whatever the cause, a check that met a WebAssembly trap, or after which the
 * heap check fails, is run again on a fresh backend, and refused when that one breaks too
 * (engine.ts): no verdict is computed on a corrupted heap.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planModule } from '../../server/src/numeric/roles';
import { moduleOf } from '../../server/src/numeric/runner';
import type { NumericReport } from '../../server/src/numeric/types';
import { FIXTURES, loadEngine, ROOT } from './helpers';

/* eslint-disable @typescript-eslint/no-explicit-any */
interface HeapEngine {
  tf: any;
  initBackend(choice: string): Promise<{ name: string }>;
  checkPlans(mod: any, plans: any[], opts: any): Promise<NumericReport[]>;
  wasmHealthy(): boolean;
  wasmTraps(): number;
  wasmRebuilds(): number;
}

const FILE = path.join(FIXTURES, 'wasm_heap.py');
const TEXT = fs.readFileSync(FILE, 'utf8');
let e: HeapEngine;

beforeAll(async () => {
  e = loadEngine() as unknown as HeapEngine;
  await e.initBackend('wasm');
});

/** Corrupts the wasm module's allocator as a stray write does: a freed block's free-list links overwritten. */
function corruptHeap(): void {
  const wasm = e.tf.backend().wasm;
  const p = wasm._malloc(64) >>> 0;
  wasm._free(p);
  wasm.HEAPU32[p >> 2] = 0xfffffff0;
  wasm.HEAPU32[(p + 4) >> 2] = 0xfffffff0;
}

async function check(only?: string[]): Promise<NumericReport[]> {
  const mod = moduleOf(TEXT);
  const plans = planModule(mod).filter((p) => !only || only.includes(p.qualname));
  return e.checkPlans(mod, plans, { backend: 'wasm', samples: 128, classes: 8, maxElements: 1 << 22, seed: 0, deadline: Date.now() + 120_000 });
}

/** What a verdict is made of: each probe's loss and gradient counts, and the findings. */
function verdict(r: NumericReport): unknown {
  return { notChecked: r.notChecked, probes: r.probes.map((p) => [p.probe, p.loss, p.gradNaN, p.gradInf, p.samplesNonFinite]), findings: r.findings.map((f) => f.code) };
}

describe('bool tensors through the wasm kernels that read them as float32', () => {
  const ops: Record<string, (tf: any) => any> = {
    where: (tf) => tf.where(tf.tensor1d([1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], 'bool'), tf.tensor1d([1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1], 'bool'), tf.tensor1d([0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0], 'bool')),
    reverse: (tf) => tf.reverse(tf.tensor2d([1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1], [2, 6], 'bool'), 1),
  };
  afterEach(async () => {
    await e.initBackend('wasm');
  });
  for (const [name, op] of Object.entries(ops)) {
    it(`${name}: the values of the cpu backend, and the heap left whole`, async () => {
      await e.initBackend('cpu');
      const want = Array.from(op(e.tf).dataSync());
      await e.initBackend('wasm');
      const traps = e.wasmTraps();
      // Many times over: one write past the output was enough to break a later allocation.
      for (let i = 0; i < 50; i++) {
        const out = op(e.tf);
        expect(out.dtype).toBe('bool');
        expect(Array.from(out.dataSync())).toEqual(want);
        out.dispose();
      }
      expect(e.wasmHealthy()).toBe(true);
      expect(e.wasmTraps()).toBe(traps);
    });
  }
});

describe('a check on a corrupted wasm heap', () => {
  /** Runs `f` with the wasm kernel `name` replaced by `kernelFunc` (given the original), then puts it back. */
  async function withKernel<R>(name: string, kernelFunc: (original: any) => (args: any) => unknown, f: () => Promise<R>): Promise<R> {
    const tf = e.tf;
    const original = tf.getKernel(name, 'wasm');
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: kernelFunc(original) });
    try {
      return await f();
    } finally {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(original);
    }
  }

  it('is run again on a fresh backend when the heap breaks during it, with the verdict of a clean run', async () => {
    const [clean] = await check(['focal_loss']);
    expect(clean.notChecked).toBeUndefined();
    const rebuilds = e.wasmRebuilds();
    // The heap corrupted once, in the middle of the check (its first exp).
    let calls = 0;
    const [again] = await withKernel(
      'Exp',
      (original) => (args) => {
        if (calls++ === 0) corruptHeap();
        return original.kernelFunc(args);
      },
      () => check(['focal_loss']),
    );
    expect(calls).toBeGreaterThan(1);
    expect(e.wasmRebuilds()).toBe(rebuilds + 1);
    expect(verdict(again)).toEqual(verdict(clean));
    expect(again.backendNotes?.some((n) => /^probed again on a fresh wasm backend: the first run met /.test(n))).toBe(true);
    expect(e.wasmHealthy()).toBe(true);
  });

  it('is not started on a heap broken before it: the backend is replaced first', async () => {
    const [clean] = await check(['focal_loss']);
    corruptHeap();
    expect(e.wasmHealthy()).toBe(false);
    const rebuilds = e.wasmRebuilds();
    const [after] = await check(['focal_loss']);
    expect(e.wasmRebuilds()).toBe(rebuilds + 1);
    expect(verdict(after)).toEqual(verdict(clean));
    expect(after.backendNotes?.some((n) => /probed again/.test(n))).toBeFalsy();
    expect(e.wasmHealthy()).toBe(true);
  });

  it('is refused when it breaks the fresh backend too, and the next function is checked on a clean one', async () => {
    const [clean] = await check(['focal_loss']);
    // A kernel that corrupts the heap whenever it meets bool values (as Select did): only
    // pair_mask_loss writes into a bool tensor.
    const reports = await withKernel(
      'Select',
      (original) => (args) => {
        if (args.inputs.t.dtype === 'bool') corruptHeap();
        return original.kernelFunc(args);
      },
      () => check(['pair_mask_loss', 'focal_loss']),
    );
    const [pair, focal] = reports;
    expect(pair.function).toBe('pair_mask_loss');
    expect(pair.notChecked).toMatch(/^not checked: the wasm backend's memory was corrupted while probing this function \(.*\), on a fresh backend as on the first run/);
    expect(pair.probes).toEqual([]);
    expect(focal.function).toBe('focal_loss');
    expect(verdict(focal)).toEqual(verdict(clean));
    expect(focal.backendNotes?.some((n) => /probed again/.test(n))).toBeFalsy();
    expect(e.wasmHealthy()).toBe(true);
  });
});

describe('losslint probe --coverage --backend wasm', () => {
  it('checks a function after one that writes into a bool tensor (which corrupted the heap) as it checks it alone', () => {
    const cli = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    const both = cli(['probe', '--coverage', '--format', 'json', '--backend', 'wasm', '--samples', '256', FILE]);
    expect(both.status).toBe(0);
    const entries = JSON.parse(both.stdout) as { function: string; probed: boolean; reason?: string }[];
    expect(entries.map((x) => [x.function, x.probed, x.reason])).toEqual([
      ['pair_mask_loss', true, undefined],
      ['focal_loss', true, undefined],
    ]);
    // The bool item assignment computes on wasm what it computes on cpu.
    const table = (backend: string) => JSON.parse(cli(['probe', `${FILE}::pair_mask_loss`, '--format', 'json', '--backend', backend, '--samples', '256']).stdout) as NumericReport;
    const [wasm, cpu] = [table('wasm'), table('cpu')];
    expect(wasm.notChecked).toBeUndefined();
    expect(wasm.probes.map((p) => p.probe)).toEqual(cpu.probes.map((p) => p.probe));
    wasm.probes.forEach((p, i) => expect(Number(p.loss)).toBeCloseTo(Number(cpu.probes[i].loss), 4));
    expect(wasm.findings.map((f) => f.code)).toEqual(cpu.findings.map((f) => f.code));
  });
});
