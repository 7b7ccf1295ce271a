/**
 * numpy code probed for its values only (numpy has no autograd): the plan (roles.ts `valuesOnly`,
 * `targetDataset`), the evaluator (numpy ops on the probe's tensors, the probes' Dataset object,
 * scipy.misc.derivative as scipy writes it and its float32 precision check), the probes' outputs
 * (a loss, a gradient-boosting objective's grad and hess, a metric), what the report and the
 * coverage say, and the values against real numpy (float64) where numpy is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { coverageText, type CoverageEntry } from '../../server/src/cli/probe';
import { lensTitle, probeTable } from '../../server/src/lsp/plot';
import { derivativeArgError, derivativePrecision, derivativeWeights, EPS32, outputNames, outputsOk, outputsText, summarize } from '../../server/src/numeric/numpy';
import { planModule, readsLabelsOnly, type PlanSkip } from '../../server/src/numeric/roles';
import { moduleOf } from '../../server/src/numeric/runner';
import type { OutputSummary, ProbeInputs } from '../../server/src/numeric/types';
import { FIXTURES, fn, loadEngine, prober } from './helpers';

let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

const NP = 'import numpy as np\n\n';

function plans(src: string): { plans: ReturnType<typeof planModule>; skipped: PlanSkip[] } {
  const skipped: PlanSkip[] = [];
  return { plans: planModule(moduleOf(src), undefined, undefined, skipped), skipped };
}

describe('numpy.ts: derivative weights, precision, outputs', () => {
  it("has scipy.misc.derivative's weights, which differentiate polynomials exactly", () => {
    expect(derivativeWeights(1, 3)).toEqual([-0.5, 0, 0.5]);
    expect(derivativeWeights(2, 3)).toEqual([1, -2, 1]);
    expect(derivativeWeights(3, 5)).toBeUndefined();
    // d/dx x^3 at 2 = 12, d2/dx2 = 12: central differences of order 5 are exact on cubics.
    const at = (w: number[], n: number, dx: number) => w.reduce((a, wk, k) => a + wk * (2 + (k - (w.length >> 1)) * dx) ** 3, 0) / dx ** n;
    for (const order of [5, 7, 9]) {
      expect(at(derivativeWeights(1, order)!, 1, 0.5)).toBeCloseTo(12, 9);
      expect(at(derivativeWeights(2, order)!, 2, 0.5)).toBeCloseTo(12, 8);
    }
    expect(derivativeArgError(2, 2)).toMatch(/must be at least the derivative order/);
    expect(derivativeArgError(1, 4)).toMatch(/must be odd/);
    expect(derivativeArgError(1, 3)).toBeUndefined();
  });

  it('refuses a float32 finite difference whose step or rounding float32 cannot resolve, accepts a coarse one', () => {
    const f = (x: number) => Math.log1p(Math.exp(-x));
    const x0 = [0.3, -1.2, 2.5];
    const diff = (dx: number, n: 1 | 2) => {
      const w = derivativeWeights(n, 3)!;
      const fs = w.map((_, k) => Float32Array.from(x0, (x) => f(x + (k - 1) * dx)));
      const r = Float32Array.from(x0, (_, i) => fs.reduce((a, fk, k) => a + w[k] * fk[i], 0) / dx ** n);
      return derivativePrecision(w, fs, dx, n, 2.5, r);
    };
    expect(diff(1e-6, 1)).toMatch(/^scipy\.misc\.derivative\(n=1, dx=1e-06\) in float32: numpy computes it in float64, and float32's rounding of x0 \+ dx moves the step by more than 0\.1 % at the probe's \|x0\|$/);
    expect(diff(1e-6, 2)).toMatch(/numpy computes it in float64/);
    expect(diff(1e-3, 2)).toMatch(/float32's rounding of f exceeds 0\.1 % of the result's scale$/);
    expect(diff(0.1, 1)).toBeUndefined();
    expect(diff(1, 2)).toBeUndefined();
    expect(EPS32).toBe(2 ** -23);
  });

  it('names outputs by the gradient-boosting API: (grad, hess) with a dataset, (name, value, flag) for a metric', () => {
    expect(outputNames(['float'], false, false)).toEqual(['loss']);
    expect(outputNames(['float', 'float'], true, true)).toEqual(['grad', 'hess']);
    // Without a dataset, two arrays are only outputs.
    expect(outputNames(['float', 'float'], true, false)).toEqual(['output 0', 'output 1']);
    expect(outputNames(['str', 'float', 'other'], true, true)).toEqual([undefined, 'metric', undefined]);
    expect(outputNames(['str', 'float'], true, false)).toEqual([undefined, 'metric']);
    const hess = summarize('hess', [0.5, 0, -1, NaN, Infinity]);
    expect(hess).toMatchObject({ elements: 5, nan: 1, inf: 1, negative: 1, nonPositive: 2 });
    expect(summarize('grad', [-1, 2]).nonPositive).toBeUndefined();
    expect(outputsOk([summarize('grad', [-1, 2]), summarize('hess', [1, 2])])).toBe(true);
    expect(outputsOk([summarize('hess', [1, 0])])).toBe(false);
    expect(outputsOk([summarize('loss', [NaN])])).toBe(false);
    expect(outputsText([summarize('grad', [-1, 2]), hess])).toBe('grad: finite (2); hess: 1 NaN, 1 inf, 2 <= 0 of 5');
    expect(outputsText([summarize('loss', [-1, 2])])).toBe('loss: 1 negative of 2');
  });
});

describe('plans: numpy functions are probed for values only', () => {
  it('plans a numpy loss as values only, and a dataset read through get_label() / .label as the probes\' Dataset', () => {
    const src = `${NP}def focal_loss_obj(preds, dtrain, gamma=2.0):\n    y = dtrain.get_label()\n    p = 1 / (1 + np.exp(-preds))\n    return (p - y) * (1 - p) ** gamma, p * (1 - p)\n\ndef ce_loss(logits, labels):\n    return -np.log(np.exp(logits) / np.sum(np.exp(logits)))\n`;
    const { plans: ps, skipped } = plans(src);
    expect(skipped).toEqual([]);
    expect(ps.map((p) => [p.qualname, p.framework, p.valuesOnly, p.targetDataset ?? false])).toEqual([
      ['focal_loss_obj', 'numpy', true, true],
      ['ce_loss', 'numpy', true, false],
    ]);
  });

  it('reads a parameter as a dataset only when every use of it is get_label() or .label', () => {
    const mod = moduleOf(`${NP}def a(p, d):\n    return p - d.label\n\ndef b(p, d):\n    return p - d.get_label() + d.get_weight()\n\ndef c(p, d):\n    return p - d\n`);
    expect(readsLabelsOnly(fn(mod, 'a'), 'd')).toBe(true);
    expect(readsLabelsOnly(fn(mod, 'b'), 'd')).toBe(false);
    expect(readsLabelsOnly(fn(mod, 'c'), 'd')).toBe(false);
  });

  it('plans a torch loss that calls numpy as usual (not values only): the evaluator refuses numpy on the probe tensors', () => {
    const src = `import numpy as np\nimport torch\nimport torch.nn.functional as F\n\ndef picked_loss(logits, target):\n    n = len(logits)\n    lp = F.log_softmax(logits, dim=-1)\n    return -lp[np.arange(n), target].mean()\n\ndef leaky_loss(logits, target):\n    return F.nll_loss(torch.tensor(np.log(F.softmax(logits, dim=-1))), target)\n`;
    const { plans: ps } = plans(src);
    expect(ps.map((p) => [p.qualname, p.framework, p.valuesOnly ?? false])).toEqual([
      ['picked_loss', 'torch', false],
      ['leaky_loss', 'torch', false],
    ]);
    // More numpy calls than torch ones, but a torch op: not values only (its gradient is torch's).
    const mixed = `import numpy as np\nimport torch\nimport torch.nn.functional as F\n\ndef prior_ce_loss(logits, target, counts=(1, 2, 3)):\n    c = np.array(counts)\n    w = np.log(c / np.sum(c))\n    return F.cross_entropy(logits + torch.tensor(w, dtype=torch.float32), target)\n`;
    expect(plans(mixed).plans.map((p) => p.valuesOnly ?? false)).toEqual([false]);
  });
});

describe('plans: numpy by the module and by its wrappers', () => {
  it("a loss of operators and array methods only, in a module whose only framework is numpy, is values only; a torch module's is not", () => {
    const src = `${NP}def squared_error(pred, target):\n    return ((pred - target) ** 2).mean()\n`;
    expect(plans(src).plans.map((p) => [p.qualname, p.valuesOnly ?? false])).toEqual([['squared_error', true]]);
    const torchToo = src.replace(NP, 'import numpy as np\nimport torch\n\n');
    expect(plans(torchToo).plans.map((p) => [p.qualname, p.valuesOnly ?? false])).toEqual([['squared_error', false]]);
  });

  it("HIPS autograd's numpy (`import autograd.numpy as np`) is numpy: its ops resolve, the loss is values only", () => {
    const src = `import autograd.numpy as np\n\ndef bce(y_hat, y):\n    return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))\n`;
    const ps = plans(src).plans;
    expect(ps.map((p) => [p.qualname, p.framework, p.valuesOnly ?? false])).toEqual([['bce', 'numpy', true]]);
    const mod = moduleOf(src);
    const r = prober(mod, 256, 4).check(fn(mod, 'bce'), ps[0]);
    expect(r.notChecked).toBeUndefined();
    expect(r.probes.length).toBeGreaterThan(0);
  });
});

describe('probes: values only', () => {
  const check = (src: string, name: string) => {
    const mod = moduleOf(src);
    const plan = planModule(mod).find((p) => p.qualname === name)!;
    return prober(mod, 256, 4).check(fn(mod, name), plan);
  };

  it("reports a gradient-boosting objective's grad and hess, the gradient probes as not checked, and no finding", () => {
    const r = check(fs.readFileSync(path.join(FIXTURES, 'numpy_values.py'), 'utf8'), 'focal_loss_objective');
    expect(r.notChecked).toBeUndefined();
    expect(r.valuesOnly).toMatchObject({ why: 'numpy has no autograd', precision: 'float32' });
    expect(r.valuesOnly!.notChecked).toContain('gradient NaN/inf (LL301)');
    expect(r.valuesOnly!.dataset).toMatch(/^`train_data` is the probes' Dataset/);
    expect(r.findings).toEqual([]);
    expect(new Set(r.probes.map((p) => p.probe))).toEqual(new Set(['typical', 'confident', 'gamma-sweep']));
    for (const p of r.probes) expect(p.outputs!.map((o) => o.name)).toEqual(['grad', 'hess']);
    // Saturated logistic: p (1 - p) is 0 in float32 at a margin of 30 (not in float64: 9e-14).
    const m30 = r.probes.find((p) => p.probe === 'confident' && p.inputs.margin === 30 && p.hyper.gamma === 2)!;
    expect(m30.ok).toBe(false);
    expect(m30.outputs![1].nonPositive).toBeGreaterThan(0);
    expect(m30.note).toMatch(/^values only, float32: grad: finite \(\d+\); hess: \d+ <= 0 of \d+$/);
    const typical = r.probes.find((p) => p.probe === 'typical' && p.inputs.std === 1)!;
    expect(typical.ok).toBe(true);
    // The hover's table says so too.
    expect(lensTitle(r)).toMatch(/^LossLint: \d+\/\d+ probes pass \(values only, float32, wasm, \d+ ms\)$/);
    const md = probeTable(r);
    expect(md).toContain("values only (numpy has no autograd; computed in float32, numpy's float64 not computed; gradient probes not checked)");
    expect(md).toMatch(/\| confident \| margin 30, .* \| not checked \| ✗ grad: finite \(\d+\); hess: \d+ <= 0 of \d+ \|/);
  });

  it("computes scipy.misc.derivative as written, and refuses a step float32 cannot resolve (numpy's float64)", () => {
    const src = `${NP}from scipy.misc import derivative\n\ndef fd_loss(preds, dtrain, dx=1e-6):\n    y = dtrain.label\n    f = lambda x: (x - y) ** 2\n    return derivative(f, preds, n=1, dx=dx), derivative(f, preds, n=2, dx=1.0)\n`;
    const r = check(src, 'fd_loss');
    expect(r.notChecked).toMatch(/^not checked: unsupported `scipy\.misc\.derivative\(n=1, dx=1e-06\) in float32: numpy computes it in float64, and float32's rounding of x0 \+ dx moves the step/);
    // At dx = 0.5, f a quadratic: the central differences are exact, 2 (x - y) and 2.
    const mod = moduleOf(src.replace('dx=1e-6', 'dx=0.5'));
    const plan = planModule(mod)[0];
    const pr = prober(mod, 64, 4);
    const setup = pr.setup(fn(mod, 'fd_loss'), plan, {});
    const inp: ProbeInputs = { seed: 3, shape: [64, setup.classes], std: 1, target: setup.encoding, generator: '' };
    const out = pr.run(setup, inp, {});
    const g = E.generate(inp);
    const t = setup.encoding === 'index' ? Float32Array.from(g.logits, (_, i) => g.index[Math.floor(i / setup.classes)]) : g.onehot;
    const want = g.logits.reduce((a, x, i) => a + 2 * (x - t[i]), 0);
    expect(out.outputs!.map((o: OutputSummary) => o.name)).toEqual(['grad', 'hess']);
    expect(Math.abs(out.outputs![0].sum - want)).toBeLessThan(1e-3 * Math.max(1, Math.abs(want)));
    expect(out.outputs![1].sum).toBeCloseTo(2 * g.logits.length, 1);
  });

  it("refuses derivative's invalid arguments as scipy does (ValueError), and an order it does not model", () => {
    const src = (args: string) => `${NP}from scipy.misc import derivative\n\ndef fd_loss(preds, dtrain):\n    y = dtrain.get_label()\n    return derivative(lambda x: (x - y) ** 2, preds, ${args}), preds\n`;
    expect(check(src('n=2, order=2'), 'fd_loss').notChecked).toMatch(/must be at least the derivative order/);
    expect(check(src('n=3, order=5'), 'fd_loss').notChecked).toMatch(/unsupported `scipy\.misc\.derivative with n=3, order=5 \(central_diff_weights\)`/);
  });

  it("gives the Dataset's labels through get_label() and .label, and names anything else of it as not modelled", () => {
    const mod = moduleOf(`${NP}def a(p, d):\n    return p - d.get_label() + d.label\n\ndef b(p, d):\n    return p * d.get_weight()\n`);
    const ev = () => new E.Evaluator(mod, { maxElements: 1 << 20, valuesOnly: true });
    const args = () => ({ p: { t: 'tensor', x: E.tf.tensor1d([1, 2]), dt: 'float' }, d: { t: 'dataset', label: { t: 'tensor', x: E.tf.tensor1d([0, 1]), dt: 'float' } } });
    expect(Array.from(ev().run(fn(mod, 'a'), args()).x.dataSync())).toEqual([1, 2]);
    expect(() => ev().run(fn(mod, 'b'), args())).toThrow("unsupported `.get_weight() of the probes' Dataset (only get_label() and .label are modelled)` at line 7");
    // Without valuesOnly, numpy on a float tensor stays refused where no gradient is taken.
    const m2 = moduleOf(`${NP}def c(p):\n    return np.exp(p)\n`);
    expect(() => new E.Evaluator(m2, { maxElements: 1 << 20 }).run(fn(m2, 'c'), { p: args().p })).toThrow('unsupported `numpy.exp on a tensor (numpy has no autograd)` at line 4');
    expect(Array.from(new E.Evaluator(m2, { maxElements: 1 << 20, valuesOnly: true }).run(fn(m2, 'c'), { p: args().p }).x.dataSync() as Float32Array).map((x) => +x.toFixed(4))).toEqual([2.7183, 7.3891]);
  });

  it('still refuses numpy on a tensor computed from the probe inputs in a torch loss, and takes numpy constants', () => {
    const src = `import numpy as np\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n\nclass PriorLoss(nn.Module):\n    def __init__(self, counts=(3, 1, 2, 2)):\n        super().__init__()\n        c = np.array(counts, dtype=np.float32)\n        self.adj = torch.tensor(np.log(c / np.sum(c)), dtype=torch.float32)\n\n    def forward(self, logits, target):\n        n = len(logits)\n        lp = F.log_softmax(logits + self.adj, dim=-1)\n        return -lp[np.arange(n), target].mean()\n\ndef leaky_loss(logits, target):\n    return F.nll_loss(torch.tensor(np.log(F.softmax(logits, dim=-1))), target)\n`;
    expect(check(src, 'PriorLoss.forward').notChecked).toBeUndefined();
    expect(check(src, 'leaky_loss').notChecked).toMatch(/unsupported `numpy\.log on a tensor \(numpy has no autograd\)`/);
  });

  it('an array numpy made from float literals is a constant where no gradient is taken; the probe input is not', () => {
    const mod = moduleOf(`${NP}def k(p):\n    w = np.tile(np.array([0.25, 0.75]), 2)\n    return np.exp(w), np.exp(p * w)\n`);
    const p = { t: 'tensor', x: E.tf.tensor1d([1, 2, 3, 4]), dt: 'float' } as const;
    // `0.25` is a Python float, so the array is float: numpy on it is still a constant, numpy on the probe's input is refused.
    expect(() => new E.Evaluator(mod, { maxElements: 1 << 20 }).run(fn(mod, 'k'), { p })).toThrow('unsupported `numpy.exp on a tensor (numpy has no autograd)` at line 5');
    const m2 = moduleOf(`${NP}def k(p):\n    w = np.tile(np.array([0.25, 0.75]), 2)\n    return p * np.exp(w)\n`);
    const out = new E.Evaluator(m2, { maxElements: 1 << 20 }).run(fn(m2, 'k'), { p });
    expect(Array.from(out.x.dataSync() as Float32Array).map((x) => +x.toFixed(4))).toEqual([1.284, 4.234, 3.8521, 8.468]);
  });
});

describe("numpy's memory order: reshape(order='F') and flatten('F')", () => {
  const run = (body: string, x: number[][]): { v: number[]; shape: number[] } => {
    const mod = moduleOf(`${NP}def f(x):\n    return ${body}\n`);
    const out = new E.Evaluator(mod, { maxElements: 1 << 20, valuesOnly: true }).run(fn(mod, 'f'), { x: { t: 'tensor', x: E.tf.tensor2d(x), dt: 'float' } });
    return { v: Array.from(out.x.dataSync() as Float32Array), shape: out.x.shape };
  };
  const x = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  it('reshapes in Fortran order as numpy does (column-major reading and writing)', () => {
    // np.arange(1, 7).reshape(2, 3).reshape(3, 2, order='F') == [[1, 5], [4, 3], [2, 6]]
    expect(run("x.reshape(3, 2, order='F')", x)).toEqual({ v: [1, 5, 4, 3, 2, 6], shape: [3, 2] });
    expect(run("np.reshape(x, (-1,), order='F')", x)).toEqual({ v: [1, 4, 2, 5, 3, 6], shape: [6] });
    expect(run("x.reshape(3, 2, order='C')", x)).toEqual({ v: [1, 2, 3, 4, 5, 6], shape: [3, 2] });
    expect(run("np.ravel(x, order='F')", x)).toEqual({ v: [1, 4, 2, 5, 3, 6], shape: [6] });
  });
  it("reads an array's method as numpy's in a values-only run (x.max(1) is an array, not torch's (values, indices))", () => {
    expect(run('x - x.max(1)[:, None]', x)).toEqual({ v: [-2, -1, 0, -2, -1, 0], shape: [2, 3] });
    expect(run('np.amin(x, axis=0)', x)).toEqual({ v: [1, 2, 3], shape: [3] });
    expect(run('np.std(x, axis=1) ** 2', x).v.map((v) => +v.toFixed(5))).toEqual([0.66667, 0.66667]);
    expect(run('np.sign(np.tanh(x - 2)) + np.floor(np.log2(x))', x)).toEqual({ v: [-1, 1, 2, 3, 3, 3], shape: [2, 3] });
  });
  it("flattens in the order given (ndarray.flatten('F'); a string is no torch start_dim)", () => {
    expect(run("x.flatten('F')", x)).toEqual({ v: [1, 4, 2, 5, 3, 6], shape: [6] });
    expect(run('x.flatten()', x)).toEqual({ v: [1, 2, 3, 4, 5, 6], shape: [6] });
    expect(() => run("x.reshape(3, 2, order='K')", x)).toThrow(/order/);
  });
});

describe('coverage: values only is said apart', () => {
  it('counts values-only entries as probed and says how many of them are values only', () => {
    const es: CoverageEntry[] = [
      { file: 'a.py', function: 'f', framework: 'numpy', probed: true, valuesOnly: true },
      { file: 'a.py', function: 'g', framework: 'numpy', probed: false, reason: 'x' },
      { file: 'a.py', function: 'h', framework: 'torch', probed: true },
    ];
    const text = coverageText(es, '/');
    expect(text).toContain('loss functions: 3, probed 2 (66.7 %), 1 of them values only');
    expect(text).toContain('numpy         2  probed     1 (50.0 %), 1 of them values only');
    expect(text).toContain('torch         1  probed     1 (100.0 %)\n');
  });
});

/** A Python with numpy (the one torch's tests use), or none. */
function numpyPython(): string | undefined {
  for (const py of [process.env.LOSSLINT_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((x): x is string => !!x)) {
    if (spawnSync(py, ['-c', 'import numpy'], { encoding: 'utf8', timeout: 60_000 }).status === 0) return py;
  }
  return undefined;
}

const python = numpyPython();
if (!python) console.log('[numeric/numpy] real numpy comparison skipped: no python imports numpy');

describe.skipIf(!python)('values against real numpy (float64)', () => {
  const FILE = path.join(FIXTURES, 'numpy_values.py');
  const b64 = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  type Item = { elements: number; nan: number; inf: number; negative: number; nonPositive: number; sum: number | string } | null;
  const ours = new Map<string, OutputSummary[]>();
  let theirs: Map<string, Item[]>;
  const N = 512;

  beforeAll(() => {
    const mod = moduleOf(fs.readFileSync(FILE, 'utf8'));
    const ps = planModule(mod);
    expect(ps.map((p) => p.qualname).sort()).toEqual(['bce_loss_difference_objective', 'focal_loss_metric', 'focal_loss_objective', 'softmax_cross_entropy_loss']);
    const pr = prober(mod, N, 8);
    const cases: unknown[] = [];
    for (const plan of ps) {
      const setup = pr.setup(fn(mod, plan.qualname), plan, {});
      for (const extra of [{ std: 1, seed: 1 }, { std: 2, seed: 2 }, { margin: 10, seed: 3 }, { margin: 30, seed: 4 }] as Partial<ProbeInputs>[]) {
        const inp: ProbeInputs = { seed: 0, shape: [N, setup.classes], std: 1, target: setup.encoding, generator: '', ...extra };
        const id = `${plan.qualname}::${JSON.stringify(extra)}`;
        ours.set(id, pr.run(setup, inp, {}).outputs!);
        const g = E.generate(inp);
        cases.push({ id, qualname: plan.qualname, input: plan.input, target: plan.target, dataset: !!plan.targetDataset, shape: inp.shape, targetKind: inp.target, logits: b64(g.logits), targets: b64(inp.target === 'index' ? g.index : g.onehot) });
      }
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-numpy-'));
    try {
      fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify({ file: FILE, cases }));
      const out = JSON.parse(execFileSync(python!, [path.join(__dirname, 'numpy_driver.py'), path.join(dir, 'cases.json')], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 }));
      console.log(`[numeric/numpy] numpy ${out.numpy}, scipy.misc.derivative: ${out.scipy === 'scipy' ? 'scipy' : "the driver's own formula (scipy not installed)"}`);
      theirs = new Map((out.results as { id: string; items: Item[] }[]).map((r) => [r.id, r.items]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  const pyNum = (x: number | string) => (typeof x === 'number' ? x : x === 'nan' ? NaN : x === 'inf' ? Infinity : -Infinity);

  it('agrees with numpy on every output (elements, NaN, inf, sign, sum to 1e-3) where float32 does not saturate', () => {
    const compared: string[] = [];
    for (const [id, outs] of ours) {
      if (id.includes('"margin":30')) continue;
      const items = theirs.get(id)!.filter((x): x is NonNullable<Item> => x !== null);
      expect(items.length, id).toBe(outs.length);
      outs.forEach((o, i) => {
        const t = items[i];
        expect({ id, name: o.name, elements: o.elements, nan: o.nan, inf: o.inf }).toEqual({ id, name: o.name, elements: t.elements, nan: t.nan, inf: t.inf });
        const s = pyNum(t.sum);
        expect(Math.abs(o.sum - s), `${id} ${o.name}: ${o.sum} vs ${s}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(s)));
        if (o.name === 'hess') expect(o.nonPositive, id).toBe(t.nonPositive);
      });
      compared.push(id);
    }
    expect(compared).toHaveLength(12);
  });

  it('differs from numpy where float32 saturates (why values-only probes make no finding)', () => {
    // A margin of 30: 1 - sigmoid(30) is 0 in float32, 9.4e-14 in float64.
    const ours30 = ours.get('bce_loss_difference_objective::{"margin":30,"seed":4}')!;
    const theirs30 = theirs.get('bce_loss_difference_objective::{"margin":30,"seed":4}')!;
    expect(ours30[0].nan).toBeGreaterThan(0);
    expect(theirs30[0]!.nan).toBe(0);
    const hess30 = ours.get('focal_loss_objective::{"margin":30,"seed":4}')![1];
    expect(hess30.nonPositive).toBeGreaterThan(0);
    expect(theirs.get('focal_loss_objective::{"margin":30,"seed":4}')![1]!.nonPositive).toBe(0);
  });
});
