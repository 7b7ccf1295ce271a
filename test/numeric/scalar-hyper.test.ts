/**
 * Required scalar hyperparameters read from their use (entry-inputs.ts `scalarHyper`, `oneHotDepth`)
 * and what the planner (roles.ts) makes of them; the fixture scalar_hyper.py end to end (its torch
 * agreement is repro.test.ts's).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDocumentNumerically, disposeNumericWorker, moduleOf } from '../../server/src/numeric/runner';
import { contrastivePair, oneHotDepth, scalarHyper } from '../../server/src/numeric/entry-inputs';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';
import { loadEngine, WORKER } from './helpers';

const HDR = 'import torch\nimport torch.nn.functional as F\n\n';
const LOG_T = `${HDR}def log_t(u, t):\n    if t == 1.0:\n        return torch.log(u)\n    return (u ** (1.0 - t) - 1.0) / (1.0 - t)\n\n`;

function fact(src: string, q: string, name: string): boolean {
  const mod = moduleOf(src);
  return scalarHyper(name, mod.functions.find((f) => f.qualname === q)!, mod);
}

function plan(src: string): { plans: ReturnType<typeof planModule>; skipped: PlanSkip[] } {
  const skipped: PlanSkip[] = [];
  return { plans: planModule(moduleOf(src), undefined, undefined, skipped), skipped };
}

describe('a scalar hyperparameter: only a Python number takes its places, no read is a tensor\'s', () => {
  it('special-cased at 1 in an `if` (`t == 1.0`), or the exponent of a power through arithmetic beside literals; an ordering (`t < 1.0`, a regime) is not', () => {
    expect(fact(`${HDR}def f(x, y, k):\n    if k < 1.0:\n        return x.sum()\n    return (x * k).sum()\n`, 'f', 'k')).toBe(false);
    expect(fact(LOG_T, 'log_t', 't')).toBe(true);
    expect(fact(`${HDR}def f(x, y, k):\n    return (y * x.pow(2.0 - k)).sum()\n`, 'f', 'k')).toBe(true);
  });

  it('followed into the module\'s functions it is passed to, by position or keyword, and from __init__ through `self.<attr>`', () => {
    const src = `${LOG_T}def g(p, y, t1):\n    return -(y * log_t(p, t1)).sum()\n\nclass L(torch.nn.Module):\n    def __init__(self, t1):\n        super().__init__()\n        self.t1 = t1\n\n    def forward(self, p, y):\n        return g(p, y, t1=self.t1)\n`;
    expect(fact(src, 'g', 't1')).toBe(true);
    expect(fact(src, 'L.__init__', 't1')).toBe(true);
  });

  it('not a binary target beside literals (`1 - t`, `t == 1` in a where), nor one read as a tensor', () => {
    expect(fact(`${HDR}def f(p, t):\n    w = torch.where(t == 1, p, 1 - p)\n    return -(t * torch.log(p) + (1 - t) * torch.log(1 - p) * w).mean()\n`, 'f', 't')).toBe(false);
    expect(fact(`${HDR}def f(a, y):\n    if a == 1.0:\n        return y.sum()\n    return torch.stack([a, y]).sum()\n`, 'f', 'a')).toBe(false);
    expect(fact(`${HDR}def f(p, t):\n    return (p * t).sum()\n`, 'f', 't')).toBe(false);
  });

  it('is no role: the prediction and the target are among the others, it takes 1, assumed', () => {
    const { plans } = plan(`${LOG_T}def tempered(act, y, t1, t2):\n    p = torch.softmax(act, -1) if t2 == 1.0 else torch.softmax(act * (2.0 - t2), -1)\n    return (-(y * log_t(p, t1)) + p.pow(2.0 - t1) / (2.0 - t1)).sum(-1).mean()\n`);
    const p = plans.find((x) => x.qualname === 'tempered')!;
    expect(p).toMatchObject({ input: 'act', target: 'y', fill: { t1: { value: 1, assumed: true }, t2: { value: 1, assumed: true } } });
    expect(p.fill!.t1.why).toMatch(/scalar hyperparameter/);
    // A helper whose second parameter is such a temperature has no target.
    expect(plans.find((x) => x.qualname === 'log_t')).toBeUndefined();
  });
});

describe('the class count of a one-hot', () => {
  it('is the op\'s class-count argument, however the framework names it', () => {
    const mod = moduleOf(`${HDR}import tensorflow as tf\n\ndef f(x, t, n, m):\n    a = F.one_hot(t, n)\n    b = tf.one_hot(t, depth=m)\n    return (a * x).sum() + (b * x).sum()\n`);
    const f = mod.functions.find((g) => g.name === 'f')!;
    expect(oneHotDepth('n', f)).toBe(true);
    expect(oneHotDepth('m', f)).toBe(true);
    expect(oneHotDepth('x', f)).toBe(false);
  });

  it('takes the probe\'s classes', () => {
    const { plans } = plan(`${HDR}def depth_ce(logits, labels, depth):\n    onehot = F.one_hot(labels, depth).float()\n    return -(onehot * F.log_softmax(logits, dim=1)).sum(1).mean()\n`);
    expect(plans[0].fill).toEqual({ depth: { value: { classes: true }, why: "the class count of a one-hot (`one_hot(..., depth)`): the probe's classes" } });
  });
});

describe('a contrastive pair: two embeddings compared with each other', () => {
  it('both operands of one product of matrices, through a transpose (`@`, dot, matmul)', () => {
    const fnOf = (src: string) => moduleOf(src).functions.find((g) => g.name === 'f')!;
    expect(contrastivePair(fnOf(`${HDR}def f(a, b, s):\n    return (a @ b.T * s).sum()\n`), ['a', 'b', 's'])).toEqual(['a', 'b']);
    expect(contrastivePair(fnOf(`${HDR}def f(a, b, s):\n    return torch.matmul(a, b.transpose(0, 1)).sum() * s\n`), ['a', 'b', 's'])).toEqual(['a', 'b']);
    expect(contrastivePair(fnOf(`${HDR}def f(x, w, y):\n    return F.cross_entropy(x @ W, y)\n`), ['x', 'w', 'y'])).toBeUndefined();
  });

  it('is said in the refusal of a loss whose roles the other parameters do not tell', () => {
    const { plans, skipped } = plan(`${HDR}def pair_loss(img, txt, scale):\n    logits = img @ txt.T * scale\n    d = torch.arange(logits.shape[0])\n    return F.cross_entropy(logits, d)\n`);
    expect(plans).toEqual([]);
    expect(skipped[0].reason).toMatch(/^a contrastive loss: `img` and `txt` are compared with each other/);
  });
});

describe('end to end (fixture scalar_hyper.py)', () => {
  afterAll(() => disposeNumericWorker());
  it('probes the temperatures at 1 and the one-hot depth at the classes: the wrong twin\'s NaN found, the right twin clean', async () => {
    loadEngine();
    const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'scalar_hyper.py'), 'utf8');
    const rs = await checkDocumentNumerically(src, { backend: 'wasm', workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 });
    const r = (name: string) => rs.find((x) => x.function === name)!;
    for (const n of ['tempered_nll', 'tempered_nll_stable', 'TemperedLoss.forward', 'depth_ce']) expect(r(n).notChecked, n).toBeUndefined();
    expect(r('tempered_nll').findings.map((f) => f.code)).toContain('LL301');
    expect(r('tempered_nll_stable').findings.map((f) => f.code)).toEqual([]);
    expect(r('TemperedLoss.forward').supplied?.t_a.value).toBe(1);
    expect(rs.find((x) => x.function === '_tempered_log')).toBeUndefined();
  }, 180_000);
});
