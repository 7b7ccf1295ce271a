/**
 * Roles (numeric/roles.ts planModule) read from more than names: annotations that say a parameter
 * is a Python scalar or a tensor. Each case also says what is still refused, and why.
 */
import { describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';

function plan(src: string): { plans: ReturnType<typeof planModule>; skipped: PlanSkip[] } {
  const skipped: PlanSkip[] = [];
  const plans = planModule(moduleOf(src), undefined, undefined, skipped);
  return { plans, skipped };
}

const HDR = 'import torch\nimport torch.nn.functional as F\n\n';

describe('roles from annotations', () => {
  it('a parameter annotated bool is a flag: not a role, given True and said so', () => {
    const src = `${HDR}def flagged_loss(logits: torch.Tensor, mask: torch.Tensor, exclusive: bool):\n    return F.cross_entropy(logits, mask) if exclusive else F.binary_cross_entropy_with_logits(logits, mask)\n`;
    const { plans } = plan(src);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ input: 'logits', target: 'mask' });
    expect(plans[0].fill).toEqual({ exclusive: { value: true, why: 'a bool flag: True probed, False not' } });
    // Without the annotation the facts still find the roles, but the flag takes no guessed value.
    const { plans: none, skipped } = plan(src.replace(': bool', ''));
    expect(none).toEqual([]);
    expect(skipped).toEqual([{ qualname: 'flagged_loss', reason: 'required parameter `exclusive` has no value' }]);
  });

  it('a required int / float / str annotation is no role either, and takes no guessed value', () => {
    const { plans, skipped } = plan(`${HDR}def tempered_loss(x: torch.Tensor, y: torch.Tensor, t1: float):\n    return ((x - y) ** 2).mean() * t1\n`);
    expect(plans).toEqual([]);
    expect(skipped).toEqual([{ qualname: 'tempered_loss', reason: 'required parameter `t1` has no value' }]);
  });

  it('a tensor annotation wins over a name that reads as a hyperparameter (eps: the noise, not an epsilon)', () => {
    const src = `${HDR}def diffusion_loss(eps: torch.Tensor, eps_pred: torch.Tensor):\n    return ((eps - eps_pred) ** 2).mean()\n`;
    expect(plan(src).plans[0]).toMatchObject({ input: 'eps_pred', target: 'eps' });
    // Unannotated, `eps` reads as an epsilon: one tensor parameter left.
    expect(plan(src.replace(/: torch\.Tensor/g, '')).skipped).toEqual([{ qualname: 'diffusion_loss', reason: 'no prediction and target parameters' }]);
  });
});

describe('a framework module injected by keyword (`backend = kwargs["backend"]`)', () => {
  const SRC = [
    'def _axis(**kwargs):',
    '    backend = kwargs["backend"]',
    '    return 3 if backend.image_data_format() == "channels_last" else 1',
    '',
    'def injected_ce(y_true, y_pred, **kwargs):',
    '    backend = kwargs["backend"]',
    '    y_pred = y_pred / backend.sum(y_pred, axis=_axis(**kwargs), keepdims=True)',
    '    return -backend.mean(y_true * backend.log(backend.clip(y_pred, 1e-7, 1.0)))',
    '',
  ].join('\n');

  it('is the one framework module spelling every op called on it, read by the facts as that module', () => {
    const { plans } = plan(SRC);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ input: 'y_pred', target: 'y_true', inputIsProb: true, framework: 'tf/keras', encodings: ['onehot', 'binary', 'index'] });
    expect(plans[0].fill).toEqual({ backend: { value: { module: 'keras.backend' }, why: 'the only framework module spelling clip, image_data_format, log, mean, sum' } });
  });

  it('modules of one framework that spell the ops alike are one value; of several frameworks, refused with why', () => {
    const alike = plan('def bce_loss(y_true, y_pred, **kwargs):\n    backend = kwargs["backend"]\n    return backend.mean(backend.binary_crossentropy(y_true, y_pred))\n');
    expect(alike.plans[0].fill?.backend).toEqual({ value: { module: 'keras.backend' }, why: 'spells binary_crossentropy, mean as keras.ops does' });
    const several = plan('def mse_loss(y_true, y_pred, **kwargs):\n    xp = kwargs["xp"]\n    return xp.mean((y_true - y_pred) ** 2)\n');
    expect(several.plans).toEqual([]);
    expect(several.skipped[0].reason).toMatch(/^keyword `xp` of \*\*kwargs is a module the probes cannot tell: its ops are spelled differently in keras\.backend, keras\.ops, .*torch, jax\.numpy, numpy$/);
  });

  it('a keyword read as a value (not a module) has no value the probes could give', () => {
    const { plans, skipped } = plan('def scaled_loss(y_true, y_pred, **kwargs):\n    s = kwargs["scale"]\n    return ((y_true - y_pred) ** 2).mean() * s\n');
    expect(plans).toEqual([]);
    expect(skipped).toEqual([{ qualname: 'scaled_loss', reason: 'keyword `scale` of **kwargs has no value' }]);
  });
});

describe('values for required parameters, from what the function does with them', () => {
  const TF = 'import tensorflow as tf\n\n';
  it('a normaliser the loss is only divided by (through a cast) takes 1, and says so', () => {
    const { plans } = plan(`${HDR}def box_loss(inputs, targets, num_boxes):\n    loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")\n    return loss.sum() / num_boxes\n`);
    expect(plans[0].fill).toEqual({ num_boxes: { value: 1, why: 'a normaliser the loss is divided by: 1' } });
    const tf1 = plan(`${TF}def norm_loss(y_pred, y_true, normalizer):\n    normalizer = tf.cast(normalizer, dtype=y_pred.dtype)\n    ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)\n    return (1 / normalizer) * ce\n`);
    expect(tf1.plans[0].fill?.normalizer.value).toBe(1);
    // Used otherwise too (a factor): its meaning is unknown, no value.
    const other = plan(`${HDR}def odd_loss(inputs, targets, num_boxes):\n    return (inputs - targets).pow(2).sum() / num_boxes * num_boxes\n`);
    expect(other.skipped).toEqual([{ qualname: 'odd_loss', reason: 'required parameter `num_boxes` has no value' }]);
  });

  it('a parameter never read takes None; one that only names ops takes the function name', () => {
    const unread = plan(`${HDR}def plain_loss(logits, labels, unused_flag):\n    return F.cross_entropy(logits, labels)\n`);
    expect(unread.plans[0].fill).toEqual({ unused_flag: { value: null, why: 'never read by the function: None' } });
    const named = plan(`${TF}def named_loss(labels, logits, name):\n    loss = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))\n    return tf.divide(loss, 2.0, name=name)\n`);
    expect(named.plans[0].fill).toEqual({ name: { value: 'named_loss', why: "only names ops (`name=`): the function's name" } });
  });

  it("a factory's parameter only its other closures read takes None for the closure probed", () => {
    const src = `${TF}def mixed(frac):\n    def xent(y_true, y_pred):\n        return tf.reduce_mean(tf.keras.losses.categorical_crossentropy(y_true, y_pred))\n    def total(y_true, y_pred):\n        return frac * xent(y_true, y_pred)\n    return total\n`;
    const { plans } = plan(src);
    const x = plans.find((p) => p.qualname === 'mixed.xent');
    // It reads nothing of the factory, which it runs without: `frac` needs no value at all.
    expect(x).toBeDefined();
    expect(x?.fill).toBeUndefined();
    // The closure that reads it: no value.
    expect(plans.find((p) => p.qualname === 'mixed.total')).toBeUndefined();
  });

  it('a weight only multiplied in takes ones like the input; a per-class count list one count per class', () => {
    const w = plan(`${TF}def wloss(y_true, y_pred, positive_weights, negative_weights):\n    return tf.reduce_mean(-y_true * tf.math.log(y_pred) * positive_weights - (1.0 - y_true) * tf.math.log(1.0 - y_pred) * negative_weights)\n`);
    expect(w.plans[0].fill?.positive_weights).toEqual({ value: { ones: 'input' }, why: 'a weight only multiplied in: ones like the input' });
    const counts = plan(`${HDR}class CountLoss(torch.nn.Module):\n    def __init__(self, cls_num_list):\n        super().__init__()\n        n = torch.tensor(cls_num_list, dtype=torch.float)\n        self.w = n.sum() / n\n\n    def forward(self, logits, target):\n        return F.cross_entropy(logits, target, weight=self.w)\n`);
    expect(counts.plans[0].fill?.cls_num_list).toEqual({ value: { counts: 'classes' }, why: 'a per-class count list: one count of 1 per class' });
  });

  it("a required alpha indexed by the targets, whose None the code handles, takes None (not a typical scalar)", () => {
    const src = `${HDR}class TableLoss(torch.nn.Module):\n    def __init__(self, alpha, gamma=2):\n        super().__init__()\n        self.alpha = torch.ones(4) if alpha is None else alpha\n        self.gamma = gamma\n\n    def forward(self, logits, target):\n        return (self.alpha[target] * F.cross_entropy(logits, target, reduction="none")).mean()\n`;
    const { plans } = plan(src);
    expect(plans[0].fill?.alpha).toEqual({ value: null, why: 'a table indexed by the targets, whose None the function handles: None' });
    expect(plans[0].alpha?.values).toEqual([null]);
  });

  it("a call site passing the caller's own parameter gives that parameter's default", () => {
    const src = `${HDR}def ce_loss(logits, targets, z_loss: float):\n    return -(targets * F.log_softmax(logits, -1)).sum(-1) + z_loss * logits.logsumexp(-1) ** 2\n\ndef caller(logits, targets, z_loss: float = 0.0):\n    return ce_loss(logits, targets, z_loss=z_loss)\n`;
    const { plans } = plan(src);
    expect(plans.find((p) => p.qualname === "ce_loss")?.fill).toEqual({ z_loss: { value: 0, why: 'a call site' } });
  });

  it('a loss module a call site builds and passes takes that module, its literal keywords kept', () => {
    const src = `${HDR}class WrapLoss(torch.nn.Module):\n    def __init__(self, loss_fn, gamma=2.0):\n        super().__init__()\n        self.loss_fn = loss_fn\n        self.gamma = gamma\n\n    def forward(self, pred, true):\n        return (self.loss_fn(pred, true) * self.gamma).mean()\n\ndef make(h):\n    crit = torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=h)\n    return WrapLoss(crit, 2.0)\n`;
    expect(plan(src).plans[0].fill?.loss_fn).toEqual({ value: { op: 'torch.nn.BCEWithLogitsLoss', kwargs: { reduction: 'none' }, dropped: ['pos_weight'] }, why: 'the BCEWithLogitsLoss a call site builds (pos_weight not a literal: the default)' });
    // No call site builds one: its meaning is not invented.
    expect(plan(src.replace(/\ndef make[\s\S]*$/, '\n')).skipped).toEqual([{ qualname: "WrapLoss.forward", reason: 'required parameter `loss_fn` has no value' }]);
  });
});

describe("probe layouts from the function's operations", () => {
  it('a target squeezed at dim 1 asks for image targets with a channel of one', () => {
    expect(plan(`${HDR}def seg_loss(logits, target):\n    return F.cross_entropy(logits, target.long().squeeze(1))\n`).plans[0].targetChannel).toBe(true);
    expect(plan(`${HDR}def seg_loss(logits, target):\n    return F.cross_entropy(logits, torch.squeeze(target, dim=1))\n`).plans[0].targetChannel).toBe(true);
    // The logits squeezed, or the target squeezed elsewhere: nothing said.
    expect(plan(`${HDR}def bin_loss(logits, target):\n    return F.binary_cross_entropy_with_logits(logits.squeeze(1), target)\n`).plans[0].targetChannel).toBeUndefined();
    expect(plan(`${HDR}def seg_loss(logits, target):\n    return F.cross_entropy(logits, target.squeeze(-1))\n`).plans[0].targetChannel).toBeUndefined();
  });
});


describe('closures that read nothing of their factories', () => {
  const J = 'import jax\nimport jax.numpy as jnp\n\n';
  it('run without the factory (its required parameters need no value); one that reads a factory local still needs them', () => {
    const free = `${J}def make_step(apply_fn, scale):\n    def step(params, batch):\n        key = jax.random.PRNGKey(0)\n        def xent(*, logits, labels):\n            return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * labels, axis=1))\n        return xent\n    return step\n`;
    const { plans } = plan(free);
    expect(plans.map((p) => p.qualname)).toContain('make_step.step.xent');
    expect(plans.find((p) => p.qualname === 'make_step.step.xent')).toMatchObject({ input: 'logits', target: 'labels' });
    const bound = free.replace('* labels, axis=1))', '* labels, axis=1)) * scale');
    const r = plan(bound);
    expect(r.plans.map((p) => p.qualname)).not.toContain('make_step.step.xent');
    expect(r.skipped).toContainEqual({ qualname: 'make_step.step.xent', reason: expect.stringMatching(/required parameter `(params|batch|apply_fn|scale)` has no value/) });
    // Its own parameter named as a factory's is its own; a default naming a factory local is read there.
    const shadow = free.replace('def xent(*, logits, labels):', 'def xent(*, logits, labels, params=None):').replace('* labels, axis=1))', '* labels, axis=1)) + (0 if params is None else 1)');
    expect(plan(shadow).plans.map((p) => p.qualname)).toContain('make_step.step.xent');
    const dflt = free.replace('def xent(*, logits, labels):', 'def xent(*, logits, labels, s=scale):');
    expect(plan(dflt).plans.map((p) => p.qualname)).not.toContain('make_step.step.xent');
  });
});
