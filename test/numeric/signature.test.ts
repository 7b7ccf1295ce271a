/**
 * Entry-point signatures the planner (roles.ts) reads from the use: a per-example loss (its
 * prediction or target annotated as one Python number, mapped over the probe batch as jax.vmap
 * would), a matrix the prediction is multiplied by (a linear classifier's weights: the identity),
 * the coefficient of an added term (1), and the reasons of those that stay refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDocumentNumerically, disposeNumericWorker, moduleOf } from '../../server/src/numeric/runner';
import { loadEngine, WORKER } from './helpers';
import { attributesRead, classOfExample, elementwiseTensor, modelParam, unsuppliedUse } from '../../server/src/numeric/entry-inputs';
import { ParamUses } from '../../server/src/numeric/param-uses';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';
import type { FunctionIR, ModuleIR } from '../../server/src/core/ir-types';

const J = 'import jax\nimport jax.numpy as jnp\n\n';
const NP = 'import numpy as np\n\n';
const fnOf = (mod: ModuleIR, q: string): FunctionIR => mod.functions.find((f) => f.qualname === q)!;

function plan(src: string): { plans: ReturnType<typeof planModule>; skipped: PlanSkip[] } {
  const skipped: PlanSkip[] = [];
  const plans = planModule(moduleOf(src), undefined, undefined, skipped);
  return { plans, skipped };
}

describe('a per-example loss: its prediction or target annotated as one number', () => {
  it('both numbers (`target: int, score: float`): mapped over the batch, one logit per example, binary targets, sigmoid', () => {
    const { plans } = plan(`${J}def bern_loss(target: int, score: float) -> float:\n    return jax.nn.softplus(score) - target * score\n`);
    expect(plans[0]).toMatchObject({ input: 'score', target: 'target', perExample: ['score', 'target'], classCounts: [1], encodings: ['binary'], act: 'sigmoid' });
  });

  it("an int target that is one example's class (`one_hot(label, n)`, `logits[label]`) beside a vector prediction", () => {
    const src = `${J}def cat_loss(label: int, logits: jnp.ndarray) -> float:\n    return jax.scipy.special.logsumexp(logits) - jnp.dot(logits, jax.nn.one_hot(label, logits.shape[0]))\n`;
    expect(classOfExample('label', fnOf(moduleOf(src), 'cat_loss'), 'logits')).toBe(true);
    const p = plan(src).plans[0];
    expect(p).toMatchObject({ input: 'logits', target: 'label', perExample: ['logits', 'label'] });
    // The prediction is a vector: the probes' classes, any encoding.
    expect(p.classCounts).toBeUndefined();
    const indexed = `${J}def pick_loss(label: int, logits: jnp.ndarray) -> float:\n    return jax.scipy.special.logsumexp(logits) - logits[label]\n`;
    expect(plan(indexed).plans[0]).toMatchObject({ perExample: ['logits', 'label'] });
  });

  it("a batch loss's int parameter that fills a column is no example's class: still no roles", () => {
    const src = `${NP}def column_loss(preds: np.ndarray, labels: int) -> float:\n    t = np.zeros_like(preds)\n    t[:, 0] = labels\n    return float(np.mean((preds - t) ** 2))\n`;
    expect(classOfExample('labels', fnOf(moduleOf(src), 'column_loss'), 'preds')).toBe(false);
    expect(plan(src).skipped).toEqual([{ qualname: 'column_loss', reason: 'no prediction and target parameters' }]);
    // A hyperparameter annotated as a number is no role either (`gamma: float`).
    expect(plan(`${J}def g_loss(score: float, gamma: float) -> float:\n    return jax.nn.softplus(score) * gamma\n`).plans).toEqual([]);
  });
});

describe('values read from the use: a matrix the prediction is multiplied by, a coefficient of an added term', () => {
  const LIN = `${NP}def lin_loss(W, X, y, reg):\n    s = X.dot(W)\n    p = np.exp(s) / np.sum(np.exp(s), axis=1, keepdims=True)\n    loss = -np.mean(np.log(p[np.arange(X.shape[0]), y]))\n    loss += 0.5 * reg * np.sum(W * W)\n    return loss\n`;
  it('the C x C identity for `X.dot(W)`, `X[i].dot(W)`, `np.dot(X, W)`, `X @ W`; not for `W.dot(X)`', () => {
    for (const [expr, want] of [
      ['X.dot(W)', true],
      ['X[0].dot(W)', true],
      ['np.dot(X, W)', true],
      ['X @ W', true],
      ['W.dot(X)', false],
      ['np.dot(W, X)', false],
    ] as const) {
      const mod = moduleOf(`${NP}def f(W, X, y):\n    return ${expr}\n`);
      expect(new ParamUses('W', fnOf(mod, 'f'), mod).rightMatmulOf('X'), expr).toBe(want);
    }
    const p = plan(LIN).plans[0];
    expect(p.fill?.W).toMatchObject({ value: { eye: 'classes' }, assumed: true });
  });

  it('1 for the coefficient of an added term, assumed; none for a factor of the whole loss', () => {
    expect(plan(LIN).plans[0].fill?.reg).toMatchObject({ value: 1, assumed: true });
    const mod = moduleOf(`${NP}def f(a, b, c, d):\n    x = a + c * b\n    y = d * a\n    return x + y\n`);
    const f = fnOf(mod, 'f');
    expect(new ParamUses('c', f, mod).onlyAddedTermFactor).toBe(true);
    expect(new ParamUses('d', f, mod).onlyAddedTermFactor).toBe(false);
    expect(plan(`${NP}def scaled_loss(x, y, k):\n    return np.mean((x - y) ** 2) * k\n`).skipped).toEqual([{ qualname: 'scaled_loss', reason: 'required parameter `k` has no value' }]);
  });
});

describe("a factory's tensor combined elementwise with the loss's terms, and a stabiliser", () => {
  const K = 'import keras.backend as K\n\n';
  const SRC = `${K}def weighted(mask, eps):\n    def loss(y_true, y_pred):\n        err = K.square(y_true - y_pred)\n        frac = K.mean(mask, axis=(1, 2, 3), keepdims=True)\n        w = mask / (frac + eps) + (1 - mask) / ((1 - frac) + eps)\n        return K.mean(err * w)\n    return loss\n`;
  it('the tensor (read along its axes, its weights times the error) takes the targets, assumed; eps 1e-7', () => {
    const mod = moduleOf(SRC);
    const roles = { input: 'y_pred', target: 'y_true' };
    expect(elementwiseTensor('mask', fnOf(mod, 'weighted'), fnOf(mod, 'weighted.loss'), roles)).toBe(true);
    // eps is combined too, but never read along an axis: no tensor.
    expect(elementwiseTensor('eps', fnOf(mod, 'weighted'), fnOf(mod, 'weighted.loss'), roles)).toBe(false);
    const p = plan(SRC).plans.find((x) => x.qualname === 'weighted.loss')!;
    expect(p.fill?.mask).toMatchObject({ value: { like: 'target' }, assumed: true });
    expect(p.fill?.eps).toMatchObject({ value: 1e-7, assumed: true });
  });

  it('a tensor read along an axis that meets the terms in a product counts (a broadcast product); one that never meets them does not', () => {
    const whole = `${K}def f(m):\n    def loss(y_true, y_pred):\n        return K.mean(K.square(y_true - y_pred)) * K.sum(m, axis=0)\n    return loss\n`;
    const mod = moduleOf(whole);
    expect(elementwiseTensor('m', fnOf(mod, 'f'), fnOf(mod, 'f.loss'), { input: 'y_pred', target: 'y_true' })).toBe(true);
    const apart = `${K}def f(m):\n    def loss(y_true, y_pred):\n        s = K.sum(m, axis=0)\n        return K.mean(K.square(y_true - y_pred))\n    return loss\n`;
    const mod2 = moduleOf(apart);
    expect(elementwiseTensor('m', fnOf(mod2, 'f'), fnOf(mod2, 'f.loss'), { input: 'y_pred', target: 'y_true' })).toBe(false);
  });
});

describe('refusals that say why: what the signature holds', () => {
  const T = 'import tensorflow as tf\n\n';
  it('a model the function runs on a batch (`model(x)`, `net.apply(params, ...)`): the probes give a prediction, never a model (where the model cannot be stood in by it: model-standin.test.ts)', () => {
    const called = `${T}def step_loss(model, batch, train):\n    logits = model(batch["image"], train)\n    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=batch["label"], logits=logits))\n`;
    expect(modelParam(fnOf(moduleOf(called), 'step_loss'), ['model', 'batch', 'train'])).toBe('`model` is called (`model(...)`)');
    // One run whose output is the prediction: stood in by the probe's prediction.
    expect(plan(called).plans[0].model).toEqual({ via: 'call', shown: '`model(...)`' });
    // Its output unpacked: no stand-in; the refusal says why.
    const unpacked = `${T}def step_loss(model, batch, train):\n    logits, aux = model(batch["image"], train)\n    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=batch["label"], logits=logits)) + aux\n`;
    expect(plan(unpacked).skipped[0].reason).toBe("the model's run (`model(...)`) returns several values, unpacked, and the function computes with `logits`, `aux`: the file does not say what the others hold, the probes stand in only the prediction");
    // (`net` imported: a name nothing binds would be Python's NameError first, unbound.test.ts.)
    const applied = `${T}from model import net\n\ndef elbo_loss(params, rng, batch):\n    logits = net.apply(params, rng, batch.image)\n    return -tf.reduce_mean(batch.image * logits)\n`;
    expect(plan(applied).skipped[0].reason).toMatch(/`params` are a model's parameters \(`\.apply\(params, \.\.\.\)`\)/);
  });

  it('roles packed in `*targets`; several tensors none of which a use or name says is which, named', () => {
    expect(plan(`${T}def packed_loss(output, *targets):\n    t, w = targets\n    return tf.reduce_mean(tf.square(output - t)) * w\n`).skipped[0].reason).toBe('the prediction or the target comes through `*targets` (unpacked in the body), which the probes do not fill');
    expect(plan(`${T}def tri_loss(a, labels, c):\n    return tf.reduce_mean(tf.square(a - labels) * c)\n`).skipped[0].reason).toBe('cannot tell prediction and target among 3 required parameters (`a`, `labels`, `c`): `labels` is the target; no use or name says which of the others is the prediction');
    expect(plan(`${T}def pair_loss(a, b, c):\n    return tf.reduce_mean(tf.square(a - b) * c)\n`).skipped[0].reason).toBe('cannot tell prediction and target among 3 required parameters (`a`, `b`, `c`): no use or name says which is which');
  });

  it('a parameter with no value: an object read at attributes, a mapping read at keys; a plain number keeps the short reason', () => {
    const K = 'import keras.backend as K\nfrom keras.losses import Loss\n\n';
    const attrs = `${K}class CfgLoss(Loss):\n    def __init__(self, opts):\n        super().__init__()\n        self.w = opts.pos_weight\n\n    def call(self, y_true, y_pred):\n        return K.mean(K.binary_crossentropy(y_true, y_pred)) * self.w\n`;
    expect(unsuppliedUse('opts', fnOf(moduleOf(attrs), 'CfgLoss.__init__'))).toBe('an object read at its attributes (`opts.pos_weight`), which nothing in the file sets');
    expect(plan(attrs).skipped[0].reason).toBe('required parameter `opts` has no value: an object read at its attributes (`opts.pos_weight`), which nothing in the file sets');
    const keys = attrs.replace('opts.pos_weight', 'opts["pos_weight"]');
    expect(plan(keys).skipped[0].reason).toBe('required parameter `opts` has no value: a mapping read at its keys (`opts["pos_weight"]`), which nothing in the file sets');
    expect(unsuppliedUse('k', fnOf(moduleOf(`${T}def f(x, y, k):\n    return tf.reduce_mean(x - y) * k\n`), 'f'))).toBeUndefined();
  });
});

describe('an object of settings read only at attributes (`opts.w`)', () => {
  const H = 'import torch\nimport torch.nn.functional as F\n\n';
  const SRC = `${H}class WLoss(torch.nn.Module):\n    def __init__(self, opts):\n        super().__init__()\n        self.w = torch.tensor([opts.share, 1 - opts.share])\n\n    def forward(self, logits, labels):\n        return (F.cross_entropy(logits, labels, reduction="none") * self.w[labels]).mean()\n`;
  it('each attribute takes the value its own uses give (a weight and its complement: 0.1), assumed', () => {
    const mod = moduleOf(SRC);
    expect(attributesRead('opts', fnOf(mod, 'WLoss.__init__'))).toEqual(['share']);
    expect(new ParamUses('opts', fnOf(mod, 'WLoss.__init__'), mod, new Set(), 'share').mixingWeight).toBe(true);
    expect(plan(SRC).plans[0].fill?.opts).toMatchObject({ value: { attrs: { share: 0.1 } }, assumed: true });
  });

  it('none when an attribute has no value from its uses, or the object is used otherwise (a method called, passed whole)', () => {
    expect(plan(SRC.replace('1 - opts.share', 'opts.other')).skipped[0].reason).toBe('required parameter `opts` has no value: an object read at its attributes (`opts.share`, `opts.other`), which nothing in the file sets');
    const mod = moduleOf(SRC.replace('self.w = torch.tensor([opts.share, 1 - opts.share])', 'self.w = torch.tensor([opts.get("share"), 1 - opts.share])'));
    expect(attributesRead('opts', fnOf(mod, 'WLoss.__init__'))).toBeUndefined();
  });
});

describe('the fixture on the engine', () => {
  afterAll(() => disposeNumericWorker());
  it('probes the per-example twins once per example (the naive ones raise LL301/LL302, the stable ones nothing) and the linear classifier with the identity', async () => {
    loadEngine();
    const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'per_example.py'), 'utf8');
    const rs = await checkDocumentNumerically(src, { backend: 'wasm', workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 });
    const r = (name: string) => rs.find((x) => x.function === name)!;
    for (const name of ['bernoulli_nll_stable', 'bernoulli_nll_naive', 'categorical_nll_stable', 'categorical_nll_naive', 'linear_softmax_loss']) expect(r(name)?.notChecked, name).toBeUndefined();
    expect(r('bernoulli_nll_stable').roles).toMatchObject({ perExample: ['score', 'target'], encoding: 'binary' });
    const ids = (name: string) => (r(name).findings ?? []).map((f) => f.code).sort();
    expect(ids('bernoulli_nll_stable')).toEqual([]);
    expect(ids('categorical_nll_stable')).toEqual([]);
    expect(ids('bernoulli_nll_naive')).toEqual(expect.arrayContaining(['LL302']));
    expect(ids('categorical_nll_naive')).toEqual(expect.arrayContaining(['LL301', 'LL302']));
    // The stable twins agree with the canonical losses (the reference probe compares their gradients).
    expect(r('categorical_nll_stable').probes.map((p) => p.probe)).toContain('reference');
    expect(r('linear_softmax_loss').supplied).toMatchObject({ W: { value: 'eye_classes' }, reg: { value: 1 } });
    expect(r('batch_scores_loss')).toBeUndefined();
  }, 180_000);

  it("probes the factories' masked twins with the targets as the mask (the unclipped one raises LL301/LL302, the clipped one nothing) and leaves the whole-loss scale refused", async () => {
    loadEngine();
    const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'factory_tensor.py'), 'utf8');
    const rs = await checkDocumentNumerically(src, { backend: 'wasm', workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 });
    const r = (name: string) => rs.find((x) => x.function === name)!;
    for (const name of ['masked_bce_unclipped.loss', 'masked_bce_clipped.loss']) expect(r(name)?.notChecked, name).toBeUndefined();
    expect(r('masked_bce_clipped.loss').supplied).toMatchObject({ mask: { value: 'like_target' }, eps: { value: 1e-7 } });
    const ids = (name: string) => (r(name).findings ?? []).map((f) => f.code).sort();
    expect(ids('masked_bce_clipped.loss')).toEqual([]);
    expect(ids('masked_bce_unclipped.loss')).toEqual(expect.arrayContaining(['LL301', 'LL302']));
    expect(r('scaled_bce.loss')).toBeUndefined();
  }, 180_000);

  it('probes the settings-object twins: the [N] * [N, 1] weight mixes the samples (LL308), the per-row one does not', async () => {
    loadEngine();
    const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'settings_object.py'), 'utf8');
    const rs = await checkDocumentNumerically(src, { backend: 'wasm', workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 });
    const r = (name: string) => rs.find((x) => x.function === name)!;
    for (const name of ['PairedWeightFocal.forward', 'RowWeightFocal.forward']) expect(r(name)?.notChecked, name).toBeUndefined();
    expect(r('RowWeightFocal.forward').supplied?.opts.value).toBe('attrs {"pos_share":0.1}');
    const ids = (name: string) => (r(name).findings ?? []).map((f) => f.code);
    expect(ids('PairedWeightFocal.forward')).toContain('LL308');
    expect(ids('RowWeightFocal.forward')).not.toContain('LL308');
  }, 180_000);

  it("passes a constructor's empty **kwargs on to the Keras base though another parameter holds a mapping (the unclipped twin raises LL302, the clipped one nothing)", async () => {
    loadEngine();
    const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'kwargs_passthrough.py'), 'utf8');
    const rs = await checkDocumentNumerically(src, { backend: 'wasm', workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 });
    const r = (name: string) => rs.find((x) => x.function === name)!;
    for (const name of ['DictWeightedCEUnclipped.call', 'DictWeightedCEClipped.call']) expect(r(name)?.notChecked, name).toBeUndefined();
    const ids = (name: string) => (r(name).findings ?? []).map((f) => f.code).sort();
    expect(ids('DictWeightedCEClipped.call')).toEqual([]);
    expect(ids('DictWeightedCEUnclipped.call')).toEqual(expect.arrayContaining(['LL302']));
  }, 180_000);
});
