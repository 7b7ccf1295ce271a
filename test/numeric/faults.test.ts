/**
 * Environment faults of the numeric checks (issue 7): a missing worker bundle, a worker that
 * crashes, missing or broken .wasm files, no GPU, a GPU adapter that fails while the backend starts.
 * The runner never rejects for these: every function's report says `numeric check unavailable:
 * <why>` (or the check falls back to another backend and says why in `backendNotes`), nothing is
 * cached, the next call starts a fresh worker, and no worker thread is left behind (the runner's
 * liveNumericWorkers(): Node 20's process.getActiveResourcesInfo() does not list worker threads).
 * "No GPU + forced webgpu falls back" is in runner.test.ts (not repeated here).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkDocumentNumerically, clearNumericCache, disposeNumericWorker, liveNumericWorkers } from '../../server/src/numeric/runner';
import { FIXTURES, loadEngine, WORKER } from './helpers';

const SRC = fs.readFileSync(path.join(FIXTURES, 'gamma_half.py'), 'utf8');
const opts = { backend: 'cpu' as const, workerPath: WORKER, samples: 256, timeBudgetMs: 30_000, only: ['focal_clamped'] };
let tmp: string;

async function settled(): Promise<void> {
  // A terminated worker's 'exit' arrives a little later.
  for (let i = 0; i < 200 && liveNumericWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 10));
}

/** A fake worker bundle with this body. */
function fakeWorker(name: string, body: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, `const { parentPort } = require('node:worker_threads');\n${body}\n`);
  return file;
}

beforeAll(() => {
  loadEngine(); // builds dist/ when missing
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-faults-')));
});

afterEach(async () => {
  delete process.env.LOSSLINT_NUMERIC_WORKER;
  delete process.env.LOSSLINT_WASM_DIR;
  disposeNumericWorker();
  clearNumericCache();
  await settled();
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The checker works again after a fault: a fresh worker, a real (uncached) verdict. */
async function recovers(): Promise<void> {
  const rs = await checkDocumentNumerically(SRC, opts);
  expect(rs[0].notChecked).toBeUndefined();
  expect(rs[0].cached).toBeFalsy();
  expect(rs[0].backend).toBe('cpu');
  expect(liveNumericWorkers()).toBe(1);
}

describe('worker faults: the promise resolves with "numeric check unavailable: <why>"', () => {
  it('a missing worker bundle (option, then LOSSLINT_NUMERIC_WORKER) starts no worker', async () => {
    const missing = path.join(tmp, 'nope', 'numeric-worker.js');
    const rs = await checkDocumentNumerically(SRC, { ...opts, only: undefined, workerPath: missing });
    expect(rs.map((r) => r.function)).toEqual(['focal_unclamped', 'focal_clamped']);
    for (const r of rs) {
      expect(r.notChecked).toBe(`numeric check unavailable: numeric worker bundle ${missing} not found`);
      expect(r).toMatchObject({ probes: [], findings: [] });
    }
    expect(liveNumericWorkers()).toBe(0);

    process.env.LOSSLINT_NUMERIC_WORKER = missing;
    const env = await checkDocumentNumerically(SRC, { ...opts, workerPath: undefined });
    expect(env[0].notChecked).toBe(`numeric check unavailable: numeric worker bundle ${missing} not found`);
    delete process.env.LOSSLINT_NUMERIC_WORKER;
    await recovers();
  });

  it('a worker that calls process.exit mid-check: unavailable, not cached, a fresh worker next time, none left', async () => {
    const exits = fakeWorker('exits.js', "parentPort.on('message', () => process.exit(3));");
    const rs = await checkDocumentNumerically(SRC, { ...opts, workerPath: exits });
    expect(rs[0].notChecked).toBe('numeric check unavailable: numeric worker exited with code 3');
    await settled();
    expect(liveNumericWorkers()).toBe(0);
    // Same fault twice: each call starts its own worker and each ends.
    const again = await checkDocumentNumerically(SRC, { ...opts, workerPath: exits });
    expect(again[0].notChecked).toBe('numeric check unavailable: numeric worker exited with code 3');
    await settled();
    expect(liveNumericWorkers()).toBe(0);
    await recovers();
    disposeNumericWorker();
    await settled();
    expect(liveNumericWorkers()).toBe(0);
  });

  it('a worker that throws (at load, or inside its message handler)', async () => {
    const atLoad = fakeWorker('throws-at-load.js', "throw new Error('worker bundle is corrupt');");
    const rs = await checkDocumentNumerically(SRC, { ...opts, workerPath: atLoad });
    expect(rs[0].notChecked).toBe('numeric check unavailable: worker bundle is corrupt');
    const inHandler = fakeWorker('throws-in-handler.js', "parentPort.on('message', () => { throw new Error('tensor engine blew up'); });");
    const rs2 = await checkDocumentNumerically(SRC, { ...opts, workerPath: inHandler });
    expect(rs2[0].notChecked).toBe('numeric check unavailable: tensor engine blew up');
    await settled();
    expect(liveNumericWorkers()).toBe(0);
    await recovers();
  });

  it('a worker that answers with an error (no backend could start) is unavailable too; the worker stays usable', async () => {
    const errs = fakeWorker('answers-error.js', "parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, error: 'no TensorFlow.js backend could start: cpu: the backend failed to start' }));");
    const rs = await checkDocumentNumerically(SRC, { ...opts, workerPath: errs });
    expect(rs[0].notChecked).toBe('numeric check unavailable: no TensorFlow.js backend could start: cpu: the backend failed to start');
    expect(liveNumericWorkers()).toBe(1);
    await recovers(); // another bundle: the fake is replaced
    await settled();
    expect(liveNumericWorkers()).toBe(1);
  });
});

describe('wasm faults: the built worker falls back to cpu and says why', () => {
  const wasmDist = path.join(path.dirname(WORKER), 'wasm');

  async function wasmCheck(dir: string) {
    disposeNumericWorker(); // the worker reads LOSSLINT_WASM_DIR when it starts its backend
    await settled();
    clearNumericCache();
    process.env.LOSSLINT_WASM_DIR = dir;
    const rs = await checkDocumentNumerically(SRC, { ...opts, backend: 'wasm' });
    expect(rs[0].notChecked).toBeUndefined();
    return rs[0];
  }

  it('LOSSLINT_WASM_DIR pointing at an empty directory', async () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'wasm-empty-'));
    const r = await wasmCheck(empty);
    expect(r.backend).toBe('cpu');
    expect(r.backendNotes).toEqual(['wasm: tfjs-backend-wasm.wasm not found; falling back']);
    expect(r.findings.map((f) => f.code)).toEqual([]);
  });

  it('a corrupt tfjs-backend-wasm*.wasm (zero bytes)', async () => {
    const bad = fs.mkdtempSync(path.join(tmp, 'wasm-bad-'));
    for (const f of fs.readdirSync(wasmDist)) fs.writeFileSync(path.join(bad, f), '');
    const r = await wasmCheck(bad);
    expect(r.backend).toBe('cpu');
    expect(r.backendNotes).toEqual(['wasm: the backend failed to start; falling back']);
  });

  it('the real dist/wasm through the same variable still gives wasm (the seam itself works)', async () => {
    const r = await wasmCheck(wasmDist);
    expect(r.backend).toBe('wasm');
    expect(r.backendNotes).toEqual([]);
  });
});

describe('GPU adapter faults (a fake `webgpu` package in the engine loaded on this thread)', () => {
  type Fake = { create(flags: string[]): { requestAdapter(): Promise<unknown> }; globals: Record<string, unknown> };
  function withFakeWebgpu(fake: Fake): () => void {
    const req = createRequire(WORKER);
    const id = req.resolve('webgpu');
    const saved = req.cache[id];
    req.cache[id] = { id, filename: id, loaded: true, exports: fake } as NodeJS.Module;
    return () => {
      if (saved) req.cache[id] = saved;
      else delete req.cache[id];
    };
  }

  it('requestAdapter rejects, then requestDevice rejects: webgpu says why and wasm takes over', async () => {
    const engine = loadEngine();
    const restore = withFakeWebgpu({ globals: {}, create: () => ({ requestAdapter: () => Promise.reject(new Error('adapter lost')) }) });
    try {
      const noAdapter = await engine.initBackend('webgpu');
      expect(noAdapter).toEqual({ name: 'wasm', notes: ['webgpu: no GPU adapter found; falling back'] });
      await engine.initBackend('cpu'); // another choice, so that 'webgpu' starts again
      restore();
      const device = { requestDevice: () => Promise.reject(new Error('device lost')), features: new Set(), limits: {}, info: {} };
      const restore2 = withFakeWebgpu({ globals: {}, create: () => ({ requestAdapter: () => Promise.resolve(device) }) });
      try {
        const noDevice = await engine.initBackend('webgpu');
        expect(noDevice).toEqual({ name: 'wasm', notes: ['webgpu: the backend failed to start; falling back'] });
        expect(engine.tf.getBackend()).toBe('wasm');
      } finally {
        restore2();
      }
    } finally {
      restore();
      await engine.initBackend('cpu');
    }
  });
});
