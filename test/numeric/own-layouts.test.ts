/**
 * Probe shapes the function's own code fixes, end to end (worker, setup, report): the feature width
 * of a matrix the function multiplies the prediction with (`torch.mm(emb, self.protos.t())`, protos
 * of `dim` columns, drawn by `torch.randn`: fixtures/random, whose draws only the repro script replays) is the probe's width; numpy networks that hold a case per column (`m =
 * Y.shape[1]`, `cost = np.sum(...) / m`; a vector of per-case values sized by `p.shape[1]` and
 * averaged) get their cases in columns, and a target reshaped to a row of its own length
 * (`y.reshape(1, y.shape[0])`) is one example's: called per example. The torch agreement of these
 * fixtures is repro.test.ts's; the numpy ones are compared with real numpy here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planModule } from '../../server/src/numeric/roles';
import { checkDocumentNumerically, disposeNumericWorker, moduleOf } from '../../server/src/numeric/runner';
import type { NumericReport, OutputSummary, ProbeInputs } from '../../server/src/numeric/types';
import { fn, loadEngine, prober, WORKER } from './helpers';

const opts = { backend: 'wasm' as const, workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 };
const read = (f: string): string => fs.readFileSync(path.join(__dirname, 'fixtures', f), 'utf8');
let width: NumericReport[] = [];
let columns: NumericReport[] = [];
const report = (rs: NumericReport[], name: string) => rs.find((r) => r.function === name)!;

beforeAll(async () => {
  loadEngine();
  width = await checkDocumentNumerically(read('random/own_feature_width.py'), opts);
  columns = await checkDocumentNumerically(read('numpy_columns.py'), opts);
}, 240_000);

afterAll(() => disposeNumericWorker());

describe("the prediction's width from the function's own matrices", () => {
  it('a product with prototypes of `dim` columns: the probe gives `dim` features', () => {
    const r = report(width, 'PrototypeDistanceLoss.forward');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes[0].inputs.shape[1]).toBe(3);
  });
});

describe('numpy networks that hold a case per column', () => {
  it('a cost divided by an axis-1 size (`m = Y.shape[1]`): logits and targets [C, N]', () => {
    const r = report(columns, 'column_cost');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes[0].inputs.layout).toBe('cn');
  });

  it('per-case values sized by `p.shape[1]` and averaged, the targets read a case per row (`rows[k]`): logits [C, N], targets [N, C]', () => {
    const r = report(columns, 'column_case_loop_loss');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes[0].inputs.layout).toBe('cnt');
    expect(r.roles?.encoding).toBe('onehot');
  });

  it('a target reshaped to a row of its own length is one example: called once per example', () => {
    const r = report(columns, 'one_example_nll');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.perExample).toEqual(['probs', 'onehot']);
    expect(r.roles?.encoding).toBe('onehot');
  });
});

/** A Python with numpy, or none. */
function numpyPython(): string | undefined {
  for (const py of [process.env.LOSSLINT_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((x): x is string => !!x)) {
    if (spawnSync(py, ['-c', 'import numpy'], { encoding: 'utf8', timeout: 60_000 }).status === 0) return py;
  }
  return undefined;
}
const python = numpyPython();

describe.skipIf(!python)('cases in columns and one example per call against real numpy (float64)', () => {
  it('agrees on every output (elements, NaN, inf, sum to 1e-3) at moderate inputs', async () => {
    const E = loadEngine();
    await E.initBackend('wasm');
    const file = path.join(__dirname, 'fixtures', 'numpy_columns.py');
    const mod = moduleOf(fs.readFileSync(file, 'utf8'));
    const pr = prober(mod, 256, 8);
    const b64 = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
    const ours = new Map<string, OutputSummary[]>();
    const cases: unknown[] = [];
    for (const plan of planModule(mod)) {
      const setup = pr.setup(fn(mod, plan.qualname), plan, {});
      expect(typeof setup, plan.qualname).not.toBe('string');
      for (const extra of [{ std: 1, seed: 1 }, { std: 2, seed: 2 }, { margin: 5, seed: 3 }] as Partial<ProbeInputs>[]) {
        const activation = setup.plan.inputIsProb ? setup.formulation : undefined;
        const inp: ProbeInputs = { seed: 0, shape: [256, setup.classes], std: 1, target: setup.encoding, generator: '', ...(setup.layout ? { layout: setup.layout } : {}), ...(activation ? { activation } : {}), ...extra };
        const id = `${plan.qualname}::${JSON.stringify(extra)}`;
        ours.set(id, pr.run(setup, inp, {}).outputs!);
        const g = E.generate(inp);
        const flip = setup.layout === 'cn' || setup.layout === 'cnt';
        cases.push({ id, qualname: plan.qualname, input: plan.input, target: plan.target, shape: inp.shape, targetKind: inp.target, logits: b64(g.logits), targets: b64(inp.target === 'index' ? g.index : g.onehot), activation, transpose: flip, targetTranspose: setup.layout === 'cn', perExample: !!setup.plan.perExample });
      }
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-columns-'));
    let theirs: Map<string, ({ elements: number; nan: number; inf: number; sum: number | string } | null)[]>;
    try {
      fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify({ file, cases }));
      const out = JSON.parse(execFileSync(python!, [path.join(__dirname, 'numpy_driver.py'), path.join(dir, 'cases.json')], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 }));
      theirs = new Map((out.results as { id: string; items: never[] }[]).map((r) => [r.id, r.items]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(ours.size).toBe(9);
    for (const [id, outs] of ours) {
      const items = theirs.get(id)!.filter((x) => x !== null);
      expect(items.length, id).toBe(outs.length);
      outs.forEach((o, i) => {
        const t = items[i]!;
        expect({ id, elements: o.elements, nan: o.nan, inf: o.inf }).toEqual({ id, elements: t.elements, nan: t.nan, inf: t.inf });
        const s = typeof t.sum === 'number' ? t.sum : NaN;
        expect(Math.abs(o.sum - s), `${id}: ${o.sum} vs ${s}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(s)));
      });
    }
  }, 120_000);
});
