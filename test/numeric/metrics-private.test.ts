/**
 * Metrics beside losses (fixtures/metrics_private.py): a function whose output reaches the prediction
 * only through comparisons, argmax or rounding is refused as a metric, naming those operations; a
 * comparison of argmax indices weighing a term with a gradient is a loss and runs. Private loss
 * methods: the public method that calls one is the entry; one no public method calls is an entry
 * itself. An `__init__` framework call left unlowered refuses only where the loss reads its attribute.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { planModule } from '../../server/src/numeric/roles';
import { stepOpsIn } from '../../server/src/numeric/no-gradient';
import { publicCallers } from '../../server/src/numeric/private-entry';
import { FIXTURES, fn, loadEngine, prober } from './helpers';

const SRC = fs.readFileSync(path.join(FIXTURES, 'metrics_private.py'), 'utf8');
let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

function check(qualname: string) {
  const mod = moduleOf(SRC);
  const plan = planModule(mod).find((p) => p.qualname === qualname);
  expect(plan, qualname).toBeDefined();
  return prober(mod).check(fn(mod, qualname), plan!);
}

describe('metrics: no gradient path', () => {
  it('an accuracy of argmax indices is refused as a metric, naming the ops', () => {
    const r = check('match_rate');
    expect(r.notChecked).toMatch(/no gradient with respect to the prediction: it is computed through `tensorflow\.equal`, `tensorflow\.argmax`, which have no gradient \(a metric, not a loss/);
  });
  it('a comparison of argmax indices weighing a term with a gradient runs (the comparison cuts the tape)', () => {
    const r = check('wrong_confidence_loss');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes.length).toBeGreaterThan(0);
  });
  it('Keras backend round, all and equal lower; an F-score of rounded predictions is a metric', () => {
    expect(check('rounded_f_score').notChecked).toMatch(/computed through `keras\.backend\.round`, which has no gradient/);
    expect(check('rounded_agreement').notChecked).toMatch(/`keras\.backend\.all`, `keras\.backend\.equal`, `keras\.backend\.round`/);
  });
  it('names the step ops of the module functions it calls', () => {
    const mod = moduleOf('import tensorflow as tf\n\ndef iou(t, p):\n    return tf.cast(tf.equal(tf.argmax(t, -1), tf.argmax(p, -1)), tf.float32)\n\ndef iou_metric(y_true, y_pred):\n    return tf.reduce_mean(iou(y_true, y_pred))\n');
    expect(stepOpsIn(fn(mod, 'iou_metric'), mod).map((s) => s.shown)).toEqual(['tensorflow.equal', 'tensorflow.argmax']);
  });
  it('a loss cut on purpose (`.detach()`) keeps the plain refusal, though it compares tensors and Python values', () => {
    const r = check('detached_focal');
    expect(r.notChecked).toMatch(/no gradient with respect to the prediction \(computed without gradient/);
  });
});

describe('private loss methods', () => {
  it('one no public method calls is an entry, probed; its unread optimizer in __init__ does not refuse it', () => {
    const mod = moduleOf(SRC);
    expect(publicCallers(fn(mod, 'Trainer._loss_fn'), mod)).toEqual([]);
    const r = check('Trainer._loss_fn');
    expect(r.notChecked).toBeUndefined();
    // The dice branch runs (mode "dice"): no logarithm, so no focal reference is compared with.
    expect(r.probes.some((p) => p.probe === 'reference')).toBe(false);
    expect(r.findings.filter((f) => f.code === 'LL305' || f.code === 'LL309')).toEqual([]);
  });
  it('one a public method calls is refused naming that method, the entry', () => {
    const mod = moduleOf(SRC);
    expect(publicCallers(fn(mod, 'Wrapped._loss_fn'), mod)).toEqual(['loss']);
    const skipped: { qualname: string; reason: string }[] = [];
    expect(planModule(mod, undefined, undefined, skipped).map((p) => p.qualname)).not.toContain('Wrapped._loss_fn');
    expect(skipped).toContainEqual({ qualname: 'Wrapped._loss_fn', reason: 'a private method: `loss` of its class calls it and is the entry point' });
    expect(check('Wrapped.loss').notChecked).toBeUndefined();
  });
  it('an __init__ value the loss reads keeps its refusal', () => {
    expect(check('ReadsOptimizer.loss').notChecked).toMatch(/unsupported `optax\.adam`/);
  });
});

describe('a parameter unpacked into names', () => {
  it('the refusal names the unpacking, a tuple the probes do not build', () => {
    expect(check('NormalizedFocal.call').notChecked).toMatch(/`y_true` is unpacked into 2 values \(`normalizer, y_true = y_true`, line \d+\): a tuple of 2 the function takes there, which the probes \(one tensor\) do not build/);
  });
});

describe('keras.backend round, sign, all, any (their documented formulas; TensorFlow does not install here)', () => {
  const SRC_K = 'import keras.backend as K\n\ndef r(x):\n    return K.round(x)\n\ndef s(x):\n    return K.sign(x)\n\ndef a(x):\n    return K.cast(K.all(x, axis=-1), "float32")\n\ndef n(x):\n    return K.cast(K.any(x, axis=0, keepdims=True), "float32")\n';
  function run(name: string, x: number[][]): { v: number[]; shape: number[] } {
    const mod = moduleOf(SRC_K);
    const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
    const out = ev.run(fn(mod, name), { x: { t: 'tensor', x: E.tf.tensor(x), dt: 'float' } });
    return { v: Array.from(out.x.dataSync() as Float32Array), shape: out.x.shape };
  }
  it('round: to the closest integer, ties half to even', () => {
    expect(run('r', [[0.5, 1.5, 2.5, -0.5, -1.5, 0.4, 2.6]]).v).toEqual([0, 2, 2, -0, -2, 0, 3]);
  });
  it('sign: -1, 0 or 1', () => {
    expect(run('s', [[-3, 0, 0.2]]).v).toEqual([-1, 0, 1]);
  });
  it('all and any: the input cast to bool (non-zero), reduced over the axis, keepdims kept', () => {
    expect(run('a', [[1, 2, 0], [1, -1, 3]])).toEqual({ v: [0, 1], shape: [2] });
    expect(run('n', [[0, 2, 0], [0, 0, 3]])).toEqual({ v: [0, 1, 1], shape: [1, 3] });
  });
});
