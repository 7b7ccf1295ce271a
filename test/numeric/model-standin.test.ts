/**
 * A model the loss runs, stood in by the probe's prediction (entry-inputs.ts `modelStandIn`, roles.ts
 * `CheckPlan.model`): one fact per case, what the planner makes of it, and the fixtures end to end
 * (their torch agreement is repro.test.ts's).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDocumentNumerically, disposeNumericWorker, moduleOf } from '../../server/src/numeric/runner';
import { modelStandIn } from '../../server/src/numeric/entry-inputs';
import { forwardOf, forwardTail, weightTree } from '../../server/src/numeric/forward-fn';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';
import { loadEngine, WORKER } from './helpers';

const TORCH = 'import torch\nimport torch.nn.functional as F\n\n';
const JAX = 'import jax\nimport jax.numpy as jnp\nimport optax\n\n';

function standIn(src: string, name: string, jax = false): ReturnType<typeof modelStandIn> {
  const fn = moduleOf(src).functions.find((f) => f.qualname === name)!;
  return modelStandIn(fn, fn.params.filter((p) => p.kind === 'plain' && !p.default).map((p) => p.name), jax);
}

function plan(src: string): { plans: ReturnType<typeof planModule>; skipped: PlanSkip[] } {
  const skipped: PlanSkip[] = [];
  return { plans: planModule(moduleOf(src), undefined, undefined, skipped), skipped };
}

describe('the model run: one run whose output is the prediction', () => {
  it('a called parameter; what only the run reads: parameters passed to it, keys of a mapping read only there', () => {
    expect(standIn(`${TORCH}def f(model, batch, flag, y):\n    out = model(batch["x"], flag)\n    return F.cross_entropy(out, batch["y"])\n`, 'f')).toEqual({ param: 'model', via: 'call', shown: '`model(...)`', inputs: ['flag'], keys: { batch: ['x'] }, passed: ['flag'] });
  });

  it('its output passed on as an argument, or returned, is whole', () => {
    expect(standIn(`${TORCH}def f(net, x, t):\n    return F.cross_entropy(net(x), t)\n`, 'f')).toMatchObject({ param: 'net', inputs: ['x'] });
  });

  it("in JAX, the parameters a model's apply takes, alone or as flax's variables, the receiver only read there", () => {
    expect(standIn(`${JAX}def f(params, x, t):\n    z = net.apply(params, x)\n    return z.sum()\n`, 'f', true)).toMatchObject({ param: 'params', via: 'apply', inputs: ['x'] });
    expect(standIn(`${JAX}def f(p, state, x, t):\n    z = state.apply_fn({"params": p}, x)\n    return z.sum()\n`, 'f', true)).toMatchObject({ param: 'p', via: 'apply', shown: '`.apply_fn({"params": p}, ...)`', inputs: ['state', 'x'] });
  });

  it("not PyTorch's Module.apply(fn), which is no forward pass", () => {
    expect(standIn(`${TORCH}def f(fn, x, t):\n    z = net.apply(fn)\n    return z.sum()\n`, 'f', false)).toBeUndefined();
  });

  it('refused where one prediction cannot be true to it: two runs, a run in a loop, an unpacked or partly read output, the model read beyond its run', () => {
    const why = (src: string, jax = false) => {
      const r = standIn(src, 'f', jax);
      return r && 'refused' in r ? r.refused : undefined;
    };
    expect(why(`${TORCH}def f(m, a, b, t):\n    return F.cross_entropy(m(a) - m(b), t)\n`)).toMatch(/runs its model 2 times/);
    expect(why(`${TORCH}def f(m, xs, t):\n    s = 0\n    for x in xs:\n        s = s + m(x)\n    return s\n`)).toMatch(/in a loop/);
    expect(why(`${TORCH}def f(m, x, t):\n    z, aux = m(x)\n    return F.cross_entropy(z, t) + aux\n`)).toMatch(/returns several values/);
    expect(why(`${TORCH}def f(m, x, t):\n    z = m(x).logits\n    return F.cross_entropy(z, t)\n`)).toMatch(/read in part/);
    expect(why(`${TORCH}def f(m, x, t):\n    return F.cross_entropy(m(x), t) * m.scale\n`)).toMatch(/`m` is read beyond its run/);
    expect(why(`${JAX}def f(params, x, t):\n    z = net.apply(params, x)\n    return optax.softmax_cross_entropy_with_integer_labels(z, t).mean() + 0.1 * params["w"].sum()\n`, true)).toMatch(/parameters `params` are read beyond its run/);
  });
});

describe('the planner', () => {
  it('passes the stand-in as the prediction parameter, the target read by the loss itself, the run\'s inputs given a value only it reads', () => {
    const { plans } = plan(`${TORCH}def step_loss(model, inputs, labels):\n    return F.cross_entropy(model(inputs), labels)\n`);
    expect(plans[0]).toMatchObject({ input: 'model', target: 'labels', model: { via: 'call', shown: '`model(...)`' }, fill: { inputs: { value: { modelInput: true } } } });
  });

  it('a mapping: its target key the tensor, a key only the run reads a model input', () => {
    const { plans } = plan(`${TORCH}def batch_loss(net, batch):\n    return F.cross_entropy(net(batch["image"]), batch["label"])\n`);
    expect(plans[0]).toMatchObject({ input: 'net', target: 'batch', mapped: { batch: { image: 'model_input', label: 'tensor' } } });
  });

  it('a run given the target is no prediction (its output may be the loss): refused with that reason', () => {
    const { plans, skipped } = plan(`${TORCH}def seq_loss(model, tokens, labels):\n    return model(tokens, labels).mean()\n`);
    expect(plans).toEqual([]);
    expect(skipped[0].reason).toMatch(/is given the target \(`labels`\)/);
  });

  it('a loss module called on the prediction and the target stays one (not a model)', () => {
    const { plans } = plan(`${TORCH}def wrapped_loss(crit, logits, target):\n    return crit(logits, target) * 2\n`);
    expect(plans[0]).toMatchObject({ input: 'logits', target: 'target' });
    expect(plans[0].model).toBeUndefined();
  });
});

describe('end to end (fixtures model_standin.py and model_standin_jax.py)', () => {
  afterAll(() => disposeNumericWorker());
  const run = async (file: string) => {
    loadEngine();
    const src = fs.readFileSync(path.join(__dirname, 'fixtures', file), 'utf8');
    return checkDocumentNumerically(src, { backend: 'wasm', workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 });
  };
  it('probes the loss on the stood-in prediction: the wrong twin\'s NaN gradient found, the right one clean, the refusals named', async () => {
    const rs = await run('model_standin.py');
    const r = (name: string) => rs.find((x) => x.function === name)!;
    for (const n of ['step_loss', 'step_loss_naive', 'batch_loss']) {
      expect(r(n).notChecked, n).toBeUndefined();
      expect(r(n).roles?.model?.via).toBe('call');
    }
    expect(r('step_loss').findings.map((f) => f.code)).toEqual([]);
    expect(r('step_loss_naive').findings.map((f) => f.code)).toContain('LL301');
    expect(r('batch_loss').supplied).toEqual({ train: { value: 'model_input', why: "read only by the model's run (`net(...)`), which the probe's prediction stands in for" } });
    for (const n of ['twice_loss', 'aux_loss', 'scaled_loss', 'seq_loss']) expect(rs.find((x) => x.function === n), n).toBeUndefined();
  }, 180_000);

  it('in JAX through apply and apply_fn; a weight decay on the parameters refused', async () => {
    const rs = await run('model_standin_jax.py');
    const r = (name: string) => rs.find((x) => x.function === name)!;
    expect(r('params_loss').notChecked).toBeUndefined();
    expect(r('params_loss').findings.map((f) => f.code)).toEqual([]);
    expect(r('state_loss').roles?.model?.via).toBe('apply');
    expect(r('state_loss').findings.map((f) => f.code)).toContain('LL301');
    expect(rs.find((x) => x.function === 'decay_loss')).toBeUndefined();
  }, 180_000);
});

describe('a loss closure of a training step (flax): the batch from the enclosing function, outputs unpacked', () => {
  it("reads the enclosing function's parameters the closure reads, and the run's output unpacked into the prediction and values only returned", () => {
    const src = `${JAX}def train_step(state, batch):\n    def loss_fn(params):\n        variables = {"params": params, "batch_stats": state.batch_stats}\n        logits, new_state = state.apply_fn(variables, batch["image"], mutable=["batch_stats"])\n        return optax.softmax_cross_entropy_with_integer_labels(logits, batch["label"]).mean(), (new_state, logits)\n    return loss_fn\n`;
    const fn = moduleOf(src).functions.find((f) => f.qualname === 'train_step.loss_fn')!;
    expect(modelStandIn(fn, ['params'], true, ['state', 'batch'])).toMatchObject({ param: 'params', via: 'apply', inputs: ['state'], keys: { batch: ['image'] }, unpacked: { n: 2, at: 0 } });
  });

  it('refuses outputs the loss computes with besides the prediction', () => {
    const r = standIn(`${JAX}def f(params, x, t):\n    logits, aux = net.apply(params, x)\n    return optax.softmax_cross_entropy_with_integer_labels(logits, t).mean() + aux\n`, 'f', true);
    expect(r && 'refused' in r ? r.refused : '').toMatch(/unpacked, and the function computes with `logits`, `aux`/);
  });

  it('plans the closure: the target a parameter of the enclosing function, a parameter read only after the def None', () => {
    const src = `${JAX}def step(state, images, labels, lr_fn):\n    def loss_fn(params):\n        logits = state.apply_fn({"params": params}, images)\n        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()\n    lr = lr_fn(state.step)\n    return jax.grad(loss_fn)(state.params), lr\n`;
    const p = plan(src).plans.find((x) => x.qualname === 'step.loss_fn')!;
    expect(p).toMatchObject({ input: 'params', target: 'labels', outerTarget: 'step', model: { via: 'apply' } });
    expect(p.fill?.images?.value).toEqual({ modelInput: true });
    expect(p.fill?.state?.value).toEqual({ modelInput: true });
    expect(p.fill?.lr_fn?.value).toBeNull();
  });

  it('a target the run is also given whole is not stood in (the output may be the loss)', () => {
    const { plans } = plan(`${JAX}from model import net\n\ndef eval_loss(params, batch):\n    logits = net.apply(params, batch)\n    return optax.softmax_cross_entropy_with_integer_labels(logits, batch["labels"]).mean()\n`);
    expect(plans.find((p) => p.qualname === 'eval_loss')?.model).toBeUndefined();
  });

  it('end to end (fixture model_closure_jax.py): probed through the enclosing function, the wrong twin found, the aux refusal named', async () => {
    loadEngine();
    const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'model_closure_jax.py'), 'utf8');
    const rs = await checkDocumentNumerically(src, { backend: 'wasm', workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 });
    const r = (name: string) => rs.find((x) => x.function === name)!;
    expect(r('train_step.loss_fn').notChecked).toBeUndefined();
    expect(r('train_step.loss_fn').roles).toMatchObject({ target: 'batch', outerTarget: 'train_step', model: { unpacked: { n: 2, at: 0 } } });
    expect(r('train_step.loss_fn').findings.map((f) => f.code)).toEqual([]);
    expect(r('train_step_naive.loss_fn').notChecked).toBeUndefined();
    expect(r('train_step_naive.loss_fn').findings.map((f) => f.code)).toContain('LL301');
    expect(rs.find((x) => x.function === 'train_step_aux.loss_fn')).toBeUndefined();
    const skipped: PlanSkip[] = [];
    planModule(moduleOf(src), undefined, undefined, skipped);
    expect(skipped.find((s) => s.qualname === 'train_step_aux.loss_fn')?.reason).toMatch(/computes with `logits`, `aux`/);
  }, 180_000);
});

describe("JAX runs without apply: the module's forward function given the weights, jax.vmap(model)", () => {
  const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'model_forward_jax.py'), 'utf8');
  it('plans them as stand-ins, a helper reading a tensor not', () => {
    const { plans } = plan(src);
    const p = (n: string) => plans.find((x) => x.qualname === n)!;
    expect(p('forward_loss').model).toMatchObject({ via: 'apply', shown: '`net(params, ...)`' });
    expect(p('mapped_loss').model).toMatchObject({ via: 'call', shown: '`jax.vmap(model)(...)`' });
    expect(p('helper_is_no_model').model).toBeUndefined();
    expect(p('helper_is_no_model')).toMatchObject({ input: 'logits', target: 'labels' });
  });

  it('end to end: the naive softmax twin found, the log-sum-exp one clean', async () => {
    loadEngine();
    const rs = await checkDocumentNumerically(src, { backend: 'wasm', workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 });
    const r = (name: string) => rs.find((x) => x.function === name)!;
    for (const n of ['forward_loss', 'forward_loss_naive', 'mapped_loss']) expect(r(n).notChecked, n).toBeUndefined();
    expect(r('forward_loss').findings.map((f) => f.code)).not.toContain('LL301');
    expect(r('forward_loss_naive').findings.map((f) => f.code)).toContain('LL301');
    expect(r('mapped_loss').findings.map((f) => f.code)).not.toContain('LL301');
  }, 180_000);
});

describe("pure-JAX forward functions (forward-fn.ts): a tree of weights read at fields, items and in loops; what follows the last layer", () => {
  const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'forward_tree_jax.py'), 'utf8');
  const mod = moduleOf(src);
  const g = (n: string) => mod.functions.find((f) => f.qualname === n)!;

  it('reads the weights as a tree where a part of it is a product operand (items, fields, loop items) and every read is a tree read', () => {
    expect(weightTree('params', g('scores'))).toBe(true);
    expect(weightTree('weights', g('mlp'))).toBe(true);
    expect(weightTree('layers', g('binary_net'))).toBe(true);
    // A tensor: its own attributes, a method of it, or the whole of it in a product are no tree's.
    const t = moduleOf('import jax.numpy as jnp\ndef f(a, b):\n    return jnp.dot(a.T, b) + a.sum()\ndef h(a, b):\n    return (a @ b)[0]\n');
    expect(weightTree('a', t.functions[0])).toBe(false);
    expect(weightTree('a', t.functions[1])).toBe(false);
  });

  it("finds the module's vmap of a forward function with the weights shared, not one mapping them", () => {
    expect(forwardOf('scores_batch', mod)).toMatchObject({ fn: { name: 'scores' }, vmapped: true });
    expect(forwardOf('mlp', mod)).toMatchObject({ fn: { name: 'mlp' }, vmapped: false });
    const m2 = moduleOf('import jax\nimport jax.numpy as jnp\ndef net(p, x):\n    return jnp.dot(p[0], x)\nb = jax.vmap(net, in_axes=(0, 0))\n');
    expect(forwardOf('b', m2)).toBeUndefined();
  });

  it('keeps what follows the last layer (an activation, a log-softmax, the rest of a loop round); refuses a tail reading other values', () => {
    expect(forwardTail(g('mlp'))).toEqual({ identity: true });
    expect('fn' in forwardTail(g('scores'))).toBe(true);
    expect('fn' in forwardTail(g('binary_net'))).toBe(true);
    expect(forwardTail(g('residual_net'))).toMatchObject({ refused: expect.stringMatching(/after its last layer with `x`/) });
  });

  it('plans the losses with the model stood in, the activation the forward function\'s', () => {
    const { plans, skipped } = plan(src);
    const p = (n: string) => plans.find((x) => x.qualname === n)!;
    expect(p('nll_of_scores')).toMatchObject({ input: 'params', target: 'onehot', inputIsProb: false });
    expect(p('mlp_loss')).toMatchObject({ input: 'weights', target: 'labels', model: { shown: '`mlp(weights, ...)`' } });
    expect(p('bce_of_net')).toMatchObject({ input: 'layers', target: 'y', inputIsProb: false, act: 'sigmoid' });
    expect(skipped.find((s) => s.qualname === 'residual_loss')?.reason).toMatch(/forward function `residual_net` computes after its last layer with `x`/);
  });

  it('end to end: a log-softmax tail clean, a softmax then log found, a sigmoid tail under an unclamped BCE found', async () => {
    loadEngine();
    const rs = await checkDocumentNumerically(src, { backend: 'wasm', workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 });
    const r = (name: string) => rs.find((x) => x.function === name)!;
    for (const n of ['nll_of_scores', 'nll_of_probs_naive', 'mlp_loss', 'bce_of_net']) expect(r(n).notChecked, n).toBeUndefined();
    expect(r('nll_of_scores').findings.map((f) => f.code)).toEqual([]);
    expect(r('mlp_loss').findings.map((f) => f.code)).toEqual([]);
    expect(r('nll_of_probs_naive').findings.map((f) => f.code)).toContain('LL301');
    expect(r('bce_of_net').findings.map((f) => f.code)).toContain('LL302');
  }, 240_000);
});
