/**
 * JAX training idioms the probes read (issue 16), from fixtures/jax_training_idioms.py and
 * fixtures/reference_scope.py (LossLint's own code): a linear model's weights and bias taken as the
 * loss's parameters (linear-model.ts: the identity and 0 over the data passed in; a refusal that says
 * so over the module's own data), a training step written as a method (its closure's first parameter
 * is its own, not the method's `self`), a state handed back unchanged (None), flax's apply bound to a
 * local first, a segmentation loss with an einsum ellipsis and `jnp.delete`, the layout its axis reads
 * need (the class axis a softmax reads is never reduced with others), targets the function one-hots
 * (class indices), and what the canonical comparisons leave out: classes whose targets the loss
 * ignores, label smoothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDocumentNumerically, disposeNumericWorker, moduleOf } from '../../server/src/numeric/runner';
import { linearModel } from '../../server/src/numeric/linear-model';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';
import { axisFacts, factLayouts } from '../../server/src/numeric/shape-facts';
import { unsuppliedUse } from '../../server/src/numeric/entry-inputs';
import type { NumericReport } from '../../server/src/numeric/types';
import { FIXTURES, loadEngine, WORKER } from './helpers';

const opts = { backend: 'wasm' as const, workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 };
const SRC = fs.readFileSync(path.join(FIXTURES, 'jax_training_idioms.py'), 'utf8');
const REF = fs.readFileSync(path.join(FIXTURES, 'reference_scope.py'), 'utf8');
let jax: NumericReport[] = [];
let ref: NumericReport[] = [];
const report = (rs: NumericReport[], name: string) => rs.find((r) => r.function === name)!;
const codes = (r: NumericReport) => r.findings.map((f) => f.code);

function plan(src: string): { plans: ReturnType<typeof planModule>; skipped: PlanSkip[] } {
  const skipped: PlanSkip[] = [];
  return { plans: planModule(moduleOf(src), undefined, undefined, skipped), skipped };
}

beforeAll(async () => {
  const E = loadEngine();
  await E.initBackend('wasm');
  jax = await checkDocumentNumerically(SRC, opts);
  ref = await checkDocumentNumerically(REF, opts);
}, 240_000);

afterAll(() => disposeNumericWorker());

describe('a linear model whose weights are the parameters', () => {
  const J = 'import jax\nimport jax.numpy as jnp\n\n';
  const lin = (src: string, name: string) => {
    const mod = moduleOf(J + src);
    const fn = mod.functions.find((f) => f.qualname === name)!;
    return linearModel(fn, mod, fn.params.filter((p) => !p.default).map((p) => p.name));
  };

  it('reads the weights (a product\'s right operand), the biases added to it, and the data, through a module function too', () => {
    expect(lin('def f(w, b, X, y):\n    z = X @ w + b\n    return z.sum()\n', 'f')).toEqual({ weights: ['w'], biases: ['b'], data: { param: 'X' }, shown: 'X @ w' });
    expect(lin('def f(W, X, y, b):\n    logits = jnp.dot(X, W)\n    return (logits + b).sum()\n', 'f')).toMatchObject({ weights: ['W'], biases: ['b'], data: { param: 'X' } });
    expect(lin('def g(W, b, inputs):\n    return jnp.dot(inputs, W) + b\n\ndef f(W, b, X, y):\n    return g(W, b, X).sum()\n', 'f')).toMatchObject({ weights: ['W'], biases: ['b'], data: { param: 'X' } });
    expect(lin('data = jnp.ones((4, 3))\n\ndef f(W, b):\n    return (data.dot(W) + b).sum()\n', 'f')).toMatchObject({ weights: ['W'], data: { global: 'data' } });
  });

  it('is no linear model where nothing multiplies a parameter, or a parameter by itself', () => {
    expect(lin('def f(logits, y):\n    return (logits * y).sum()\n', 'f')).toBeUndefined();
    expect(lin('def f(z, y):\n    return (z @ z).sum()\n', 'f')).toBeUndefined();
  });

  it('probes the data passed in as the prediction, the weights the identity and the bias 0 (assumed); the wrong twin\'s log of a saturated sigmoid is found', () => {
    const r = report(jax, 'logistic_nll');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles).toMatchObject({ input: 'X', target: 'y' });
    expect(codes(r)).toEqual(expect.arrayContaining(['LL301', 'LL302']));
    const s = report(jax, 'logistic_nll_stable');
    expect(s.notChecked).toBeUndefined();
    expect(codes(s)).toEqual([]);
    const m = report(jax, 'softmax_regression');
    expect(m.notChecked).toBeUndefined();
    expect(m.roles).toMatchObject({ input: 'X', target: 'labels' });
    const p = plan(SRC).plans.find((q) => q.qualname === 'softmax_regression')!;
    expect(p.fill).toMatchObject({ W: { value: { eye: 'classes' }, assumed: true }, b: { value: 0, assumed: true } });
  });

  it('refuses, saying why, a loss over the module\'s own data whose parameters are only the weights', () => {
    const s = plan(SRC).skipped.find((q) => q.qualname === 'fixed_data_loss')!;
    expect(s.reason).toMatch(/^the parameters \(`W`, `b`\) are a linear model's weights over the module's own data \(`scores_of\(W, b, features\)`: `dot\(X, W\)`, `features` set at module level\)/);
  });
});

describe('training steps and states', () => {
  it('a closure of a method: its target the method\'s parameter, its own first parameter the stand-in', () => {
    const r = report(jax, 'Trainer.train_step.loss_fn');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles).toMatchObject({ input: 'params', target: 'targets', outerTarget: 'Trainer.train_step' });
    expect(r.probes.length).toBeGreaterThan(3);
  });

  it('a state only returned after the loss is None', () => {
    const p = plan(SRC).plans.find((q) => q.qualname === 'loss_and_state')!;
    expect(p.fill?.carry).toMatchObject({ value: null });
    expect(report(jax, 'loss_and_state').notChecked).toBeUndefined();
  });

  it("flax's apply bound to a local, then run: stood in; refused where the parameters are read beyond the run", () => {
    const r = report(jax, 'aliased_apply');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.model?.shown).toBe('`forward({"params": params}, ...)` (`forward = state.apply_fn`)');
    const s = plan(SRC).skipped.find((q) => q.qualname === 'decayed_loss_aliased')!;
    expect(s.reason).toMatch(/^the model's parameters `variables` are read beyond its run/);
  });
});

describe('segmentation losses', () => {
  it('run channels last: the class axis a softmax reads is never one reduced with others', () => {
    const mod = moduleOf(SRC);
    const fn = mod.functions.find((f) => f.name === 'dice_without_background')!;
    const f = axisFacts(fn, 'logits');
    expect(f).toMatchObject({ classes: [-1], together: [[1, 2], [1, 2]] });
    expect(factLayouts(f, axisFacts(fn, 'masks'), false)).not.toContain('nlc');
    const d = report(jax, 'dice_without_background');
    expect(d.notChecked).toBeUndefined();
    expect(d.probes[0].inputs.layout).toBe('nhwc');
    // [N, 1, C] would sum the classes over (1, 2) and delete from a scalar: an empty mean, NaN.
    expect(codes(d)).not.toContain('LL302');
  });

  it('an einsum with an ellipsis weighs each pixel by its class; the targets it one-hots are class indices', () => {
    const r = report(jax, 'weighted_pixel_ce');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.encoding).toBe('index');
    expect(plan(SRC).plans.find((q) => q.qualname === 'weighted_pixel_ce')!.encodings).toEqual(['index']);
    expect(codes(r)).toEqual([]);
  });
});

describe('refusals that say what a parameter is', () => {
  it('a tensor read at constant columns, or only through tensor methods', () => {
    const fn = (src: string) => moduleOf(`import jax.numpy as jnp\n\n${src}`).functions[0];
    expect(unsuppliedUse('extra', fn('def f(x, t, extra):\n    w = extra[:, 3]\n    v = extra[:, 0:2]\n    return (w * x).sum() + v.sum()\n'))).toBe('a tensor read at constant columns (`extra[:, 3]`, `extra[:, 0:2]`), whose layout nothing in the file sets');
    expect(unsuppliedUse('offs', fn('def f(x, t, offs):\n    return (x * offs.reshape(1, -1)).sum()\n'))).toBe('a tensor (`offs.reshape`) whose values and shape nothing in the file sets');
  });
});

describe('what the canonical comparisons leave out', () => {
  it('targets of a class the loss ignores, named in the note; the other rows still compared', () => {
    const ok = report(ref, 'ce_ignoring_background').probes.find((p) => p.probe === 'reference')!;
    expect(ok.ok).toBe(true);
    expect(ok.note).toMatch(/targets of class 0 ignored by the loss \(gradient 0 on their rows\): compared on the others/);
    expect(codes(report(ref, 'ce_ignoring_background'))).toEqual([]);
    expect(codes(report(ref, 'ce_squared_ignoring_background'))).toContain('LL305');
  });

  it('no reference for a label-smoothed loss', () => {
    const r = report(ref, 'ce_label_smoothed');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes.some((p) => p.probe === 'reference')).toBe(false);
    expect(codes(r)).toEqual([]);
  });

  it('no cross-entropy comparison at gamma = 0 for a focal loss on label-smoothed targets', () => {
    const r = report(ref, 'focal_label_smoothed');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes.some((p) => p.probe === 'ce-at-gamma-0' || p.probe === 'reference')).toBe(false);
    expect(r.probes.some((p) => p.probe === 'gamma-sweep')).toBe(true);
    expect(codes(r)).not.toContain('LL304');
  });
});
