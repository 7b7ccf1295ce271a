/**
 * Inputs read from their use (issue 16): a parameter that sizes a one-hot, a shape or a range is a
 * class count (the probe's classes), so the prediction and the target are the others; a weight the
 * function gives a last axis of one (`tf.expand_dims(w, -1)`) is one per row of the prediction
 * (fixtures/tf_counts_rows.py).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classCountParam, expandsLastAxis } from '../../server/src/numeric/entry-inputs';
import { planModule } from '../../server/src/numeric/roles';
import { moduleOf } from '../../server/src/numeric/runner';
import { FIXTURES, fn, loadEngine, prober } from './helpers';

const SRC = fs.readFileSync(path.join(FIXTURES, 'tf_counts_rows.py'), 'utf8');

beforeAll(async () => {
  await loadEngine().initBackend('wasm');
});

describe('classCountParam and expandsLastAxis', () => {
  it('reads a one-hot depth, a shape item and a range bound as a class count; nothing else', () => {
    const mod = moduleOf(SRC);
    expect(classCountParam('n_classes', fn(mod, 'counted_ce'))).toBe(true);
    expect(classCountParam('k', fn(mod, 'reshaped_ce'))).toBe(true);
    expect(classCountParam('scores', fn(mod, 'reshaped_ce'))).toBe(false);
    const loop = moduleOf('def f(p, t, k):\n    s = 0\n    for i in range(k):\n        s = s + p[:, i] * t[:, i]\n    return s\n');
    expect(classCountParam('k', fn(loop, 'f'))).toBe(true);
    expect(classCountParam('p', fn(loop, 'f'))).toBe(false);
  });

  it('reads expand_dims(w, -1), unsqueeze(-1) and w[..., None] as a last axis of one, not another axis', () => {
    const mod = moduleOf(SRC);
    expect(expandsLastAxis('row_weights', fn(mod, 'row_weighted_focal'))).toBe(true);
    expect(expandsLastAxis('sample_weights', fn(mod, 'elementwise_weighted_bce'))).toBe(false);
    const t = moduleOf('def f(p, t, w):\n    return (w.unsqueeze(-1) * p * t).sum()\n\ndef g(p, t, w):\n    return (w[..., None] * p * t).sum()\n\ndef h(p, t, w):\n    return (w.unsqueeze(0) * p * t).sum()\n');
    expect(expandsLastAxis('w', fn(t, 'f'))).toBe(true);
    expect(expandsLastAxis('w', fn(t, 'g'))).toBe(true);
    expect(expandsLastAxis('w', fn(t, 'h'))).toBe(false);
  });
});

describe('planned and probed', () => {
  const plans = () => planModule(moduleOf(SRC));

  it('takes the class count out of the roles and gives it the probe classes, assumed', () => {
    const p = plans().find((x) => x.qualname === 'counted_ce');
    expect(p).toMatchObject({ input: 'scores', target: 'labels' });
    const r = plans().find((x) => x.qualname === 'reshaped_ce');
    expect(r).toMatchObject({ input: 'scores', target: 'labels' });
    expect(r?.fill?.k).toMatchObject({ value: { classes: true }, assumed: true });
    const mod = moduleOf(SRC);
    for (const q of ['counted_ce', 'reshaped_ce']) {
      const rep = prober(mod).check(fn(mod, q), plans().find((x) => x.qualname === q)!);
      expect(rep.notChecked).toBeUndefined();
      expect(rep.findings.map((f) => f.code)).toEqual([]);
    }
  });

  it('gives a weight expanded over the classes one 1 per row; an elementwise weight ones like the input', () => {
    const p = plans().find((x) => x.qualname === 'row_weighted_focal')!;
    expect(p.fill?.row_weights?.value).toEqual({ ones: 'rows' });
    expect(plans().find((x) => x.qualname === 'elementwise_weighted_bce')?.fill?.sample_weights?.value).toEqual({ ones: 'input' });
    const mod = moduleOf(SRC);
    const rep = prober(mod).check(fn(mod, 'row_weighted_focal'), p);
    expect(rep.notChecked).toBeUndefined();
    expect(rep.supplied?.row_weights?.value).toBe('row_ones');
  });
});

describe("TensorFlow's static shape reads", () => {
  const SHAPES = `import tensorflow as tf


def shaped_ce(logits, labels):
    n = logits.get_shape().as_list()[-1]
    d = logits.shape[1].value
    k = logits.get_shape().ndims
    m = logits.shape.num_elements() // logits.shape.as_list()[0]
    onehot = tf.one_hot(labels, n)
    return tf.reduce_mean(-tf.reduce_sum(onehot * tf.nn.log_softmax(logits), axis=k - 1)) * (d / m)


def plain_ce(logits, labels):
    onehot = tf.one_hot(labels, 8)
    return tf.reduce_mean(-tf.reduce_sum(onehot * tf.nn.log_softmax(logits), axis=1))
`;

  it('reads get_shape(), as_list(), ndims, num_elements() and a size as its TF1 Dimension value', () => {
    const mod = moduleOf(SHAPES);
    const plans = planModule(mod);
    const r = prober(mod).check(fn(mod, 'shaped_ce'), plans.find((p) => p.qualname === 'shaped_ce')!);
    expect(r.notChecked).toBeUndefined();
    const t = prober(mod).check(fn(mod, 'plain_ce'), plans.find((p) => p.qualname === 'plain_ce')!);
    expect(r.probes.filter((p) => p.probe === 'typical').map((p) => p.loss)).toEqual(t.probes.filter((p) => p.probe === 'typical').map((p) => p.loss));
  });
});
