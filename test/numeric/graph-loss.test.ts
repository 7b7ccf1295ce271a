/**
 * TensorFlow 1 graph-mode losses (numeric/graph-loss.ts): a loss built on placeholders (or the
 * attributes `__init__` stores) and a model's output, in a method, a function without parameters or
 * a script, is probed on its view: the model's output the loss reads is the probe's prediction, the
 * placeholder it compares that with the probe's targets (fixtures/tf1_graph.py, wrong and right twins).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphLoss, type GraphLoss } from '../../server/src/numeric/graph-loss';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';
import { moduleOf } from '../../server/src/numeric/runner';
import { FIXTURES, fn, loadEngine, prober } from './helpers';

const SRC = fs.readFileSync(path.join(FIXTURES, 'tf1_graph.py'), 'utf8');

const SCRIPT = `import tensorflow as tf

if __name__ == "__main__":
    pixels = tf.placeholder(tf.float32, [None, 16])
    W = tf.Variable(tf.zeros([16, 8]))
    b = tf.Variable(tf.zeros([8]))
    out = tf.nn.softmax(tf.matmul(pixels, W) + b)
    truth = tf.placeholder(tf.float32, [None, 8])
    xent = tf.reduce_mean(-tf.reduce_sum(truth * tf.log(out), reduction_indices=[1]))
    train = tf.train.GradientDescentOptimizer(0.5).minimize(xent)
    hits = tf.equal(tf.argmax(out, 1), tf.argmax(truth, 1))
    acc = tf.reduce_mean(tf.cast(hits, tf.float32))
`;

const TWINS = `import tensorflow as tf


def summed(probs, onehot):
    return -tf.reduce_sum(onehot * tf.log(probs))


def row_mean(probs, onehot):
    return tf.reduce_mean(-tf.reduce_sum(onehot * tf.log(probs), axis=1))
`;

beforeAll(async () => {
  await loadEngine().initBackend('wasm');
});

function graphOf(src: string, name: string): GraphLoss {
  const mod = moduleOf(src);
  const g = graphLoss(fn(mod, name), mod);
  if (!g || 'refused' in g) throw new Error(`no graph loss in ${name}: ${JSON.stringify(g)}`);
  return g;
}

describe('graphLoss', () => {
  it('reads the loss, the model output it reads and the placeholder or attribute it compares with', () => {
    const un = graphOf(SRC, 'Regression.unguarded');
    expect([un.loss, un.prediction.name, un.target]).toEqual(['cost', 'probs', { name: 'onehot', shown: 'self.onehot' }]);
    expect(un.view.params.map((p) => p.name)).toEqual(['probs', 'onehot']);
    // The model's statements are not in the view, the loss's are, and it returns the loss.
    expect(un.view.body.map((s) => s.k)).toEqual(['assign', 'return']);
    const layers = graphOf(SRC, 'Regression.layers');
    expect([layers.loss, layers.prediction.name, layers.prediction.shown]).toEqual(['cost', 'scores', 'tensorflow.layers.dense(...)']);
    // Inside `with` blocks; the optimizer's `minimize` names the loss; the session code is not the loss.
    const dense = graphOf(SRC, 'fit_dense');
    expect([dense.loss, dense.prediction.name, dense.target.name]).toEqual(['objective', 'scores', 'labels']);
    expect(dense.view.body).toHaveLength(3);
    // Attributes the method sets (`self.loss = ...`, placeholders on `self`): locals of the view.
    const built = graphOf(SRC, 'Built.build');
    expect([built.loss, built.prediction.name, built.target]).toEqual(['self.loss', 'logits', { name: 'targets', shown: 'self.targets (a tf.placeholder)' }]);
    expect(built.view.params.map((p) => p.name)).toEqual(['logits', 'targets']);
    // A script's `if __name__ == "__main__":` block.
    const script = graphOf(SCRIPT, '<module>');
    expect([script.loss, script.prediction.name, script.target.name]).toEqual(['xent', 'out', 'truth']);
  });

  it('refuses weights read beyond the model output, and is none without trainable weights or with parameters', () => {
    const mod = moduleOf(SRC);
    expect(graphLoss(fn(mod, 'decayed_loss'), mod)).toEqual({ refused: expect.stringContaining('reads the model beyond one output (`scores`, `kernel`') });
    expect(graphLoss(fn(mod, 'no_model'), mod)).toBeUndefined();
    // A learning-rate schedule's log of a step counter (`trainable=False`) over a setting is no loss.
    const sched = moduleOf(`import tensorflow as tf


class Trainer:
    def __init__(self, config):
        self.peak = config.peak

    def schedule(self):
        self.step = tf.get_variable("step", shape=[], dtype=tf.int32, trainable=False)
        self.lr = tf.minimum(self.peak, 0.001 / tf.log(999.0) * tf.log(tf.cast(self.step, tf.float32) + 1))
`);
    expect(graphLoss(fn(sched, 'Trainer.schedule'), sched)).toBeUndefined();
    const twins = moduleOf(TWINS);
    expect(graphLoss(fn(twins, 'summed'), twins)).toBeUndefined();
  });

  it('is planned on the view, the model output as the prediction, and the coverage names the refusal', () => {
    const plans = planModule(moduleOf(SRC));
    expect(plans.find((p) => p.qualname === 'Regression.unguarded')).toMatchObject({ input: 'probs', target: 'onehot', inputIsProb: true, graph: { loss: 'cost', prediction: { name: 'probs' } } });
    expect(plans.find((p) => p.qualname === 'fit_dense')).toMatchObject({ input: 'scores', target: 'labels', inputIsProb: false });
    expect(plans.find((p) => p.qualname === 'decayed_loss')).toBeUndefined();
    const skipped: PlanSkip[] = [];
    planModule(moduleOf(SRC), undefined, undefined, skipped);
    expect(skipped.find((s) => s.qualname === 'decayed_loss')?.reason).toMatch(/weight decay/);
  });
});

describe('a graph-mode loss probed', () => {
  function run(src: string, name: string) {
    const mod = moduleOf(src);
    const plan = planModule(mod).find((p) => p.qualname === name)!;
    const g = graphLoss(fn(mod, name), mod) as GraphLoss;
    return prober(mod).check(g.view, plan);
  }
  function twin(name: string) {
    const mod = moduleOf(TWINS);
    const plan = planModule(mod).find((p) => p.qualname === name)!;
    return prober(mod).check(fn(mod, name), plan);
  }

  it('gives the losses of the loss written on the prediction and the target', () => {
    const r = run(SRC, 'Regression.unguarded');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.graph?.target.shown).toBe('self.onehot');
    const t = twin('summed');
    expect(r.probes.map((p) => [p.probe, p.loss])).toEqual(t.probes.map((p) => [p.probe, p.loss]));
    // reduction_indices is TF1's name of the axis: a mean of the rows' sums, as axis=1.
    const s = run(SCRIPT, '<module>');
    const u = twin('row_mean');
    expect(s.probes.filter((p) => p.probe === 'typical').map((p) => p.loss)).toEqual(u.probes.filter((p) => p.probe === 'typical').map((p) => p.loss));
  });

  it('finds the unguarded log of a softmax (the classic TF1 NaN), not the clipped twin', () => {
    expect(run(SRC, 'Regression.unguarded').findings.map((f) => f.code)).toContain('LL301');
    expect(run(SRC, 'Regression.clipped').findings.map((f) => f.code)).toEqual([]);
    expect(run(SRC, 'fit_dense').findings.map((f) => f.code)).toEqual([]);
    expect(run(SRC, 'Regression.layers').findings.map((f) => f.code)).toEqual([]);
    const built = run(SRC, 'Built.build');
    expect(built.notChecked).toBeUndefined();
    expect(built.findings.map((f) => f.code)).toEqual([]);
  });
});
