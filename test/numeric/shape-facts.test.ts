/**
 * The rank and layout a function's own code reads its prediction and target at (numeric/shape-facts.ts):
 * the axes it reduces, softmaxes, squeezes or reads the size of, `.shape` unpacked into names, a
 * target channel it squeezes; and the probe layouts those facts allow first (`factLayouts`). Pure IR
 * reading; the end-to-end probes of these idioms are probe-inputs.test.ts's.
 */
import { describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import type { ModuleIR } from '../../server/src/core/ir';
import { axisFacts, factLayouts, type AxisFacts } from '../../server/src/numeric/shape-facts';
import { fn } from './helpers';

const TORCH = 'import torch\nimport torch.nn.functional as F\n\n';
const TF = 'import tensorflow as tf\n\n';
const facts = (src: string, name: string, param: string): AxisFacts => {
  const mod = moduleOf(src);
  return axisFacts(fn(mod, name), param);
};

const NP = 'import numpy as np\n\n';

describe('axis facts of a parameter', () => {
  it("the cases' axis: a size the loss is divided by, or that sizes per-case values averaged (numpy columns)", () => {
    const div = `${NP}def cost(AL, Y):\n    m = Y.shape[1]\n    return np.squeeze(-1 / m * np.sum(Y * np.log(AL)))\n`;
    expect(facts(div, 'cost', 'Y').batchAxis).toBe(1);
    expect(facts(div, 'cost', 'AL').batchAxis).toBeUndefined();
    const direct = `${NP}def cost(A, Y):\n    return np.sum((A - Y) ** 2) / Y.shape[0]\n`;
    expect(facts(direct, 'cost', 'Y').batchAxis).toBe(0);
    const loop = `${NP}def ce(p, t):\n    v = np.zeros(p.shape[1])\n    for i in range(p.shape[1]):\n        v[i] = -np.sum(t[i] * np.log(p[:, i]))\n    return v.mean()\n`;
    expect(facts(loop, 'ce', 'p').batchAxis).toBe(1);
    // A size read but neither divided by nor sizing averaged values: no fact.
    const loopOnly = `${NP}def dice(p, t):\n    s = 0\n    for c in range(p.shape[1]):\n        s += np.sum(p[:, c] * t[:, c])\n    return s\n`;
    expect(facts(loopOnly, 'dice', 'p').batchAxis).toBeUndefined();
  });

  it('a vector: reshaped to a row or column of its own length', () => {
    const row = `${NP}def nll(p, y):\n    n = y.shape[0]\n    return -np.log(np.sum(y.reshape(1, n) * p))\n`;
    expect(facts(row, 'nll', 'y').vector).toBe(true);
    const col = `${NP}def nll(p, y):\n    return -np.log(np.sum(np.reshape(y, (len(y), 1)) * p))\n`;
    expect(facts(col, 'nll', 'y').vector).toBe(true);
    const other = `${NP}def nll(p, y):\n    return -np.log(np.sum(y.reshape(1, p.shape[0]) * p))\n`;
    expect(facts(other, 'nll', 'y').vector).toBeUndefined();
  });

  it('a squeezed target channel, through a cast (tf.squeeze(y_true, axis=3), t.long().squeeze(1))', () => {
    const tf = facts(`${TF}def f(y_true, y_pred):\n    y_true = tf.cast(y_true, tf.int64)\n    y = tf.squeeze(y_true, axis=3)\n    return tf.reduce_mean(y_pred)\n`, 'f', 'y_true');
    expect(tf).toEqual({ minRank: 4, squeezed: [3] });
    const torch = facts(`${TORCH}def f(x, t):\n    return F.cross_entropy(x, t.long().squeeze(1))\n`, 'f', 't');
    expect(torch).toEqual({ minRank: 2, squeezed: [1] });
    const last = facts(`${TF}def f(y_true, y_pred):\n    return tf.squeeze(y_true, axis=-1)\n`, 'f', 'y_true');
    expect(last.squeezed).toEqual([-1]);
  });

  it('the largest axis reduced, through shape-keeping ops (clip, softmax) and a name bound to a tuple of axes', () => {
    const src = `${TF}def f(y_true, y_pred):\n    y_pred = tf.clip_by_value(y_pred, -100.0, 100.0)\n    y_pred = tf.nn.softmax(y_pred, axis=-1)\n    return tf.reduce_sum(y_pred, axis=[1, 2])\n`;
    expect(facts(src, 'f', 'y_pred').minRank).toBe(3);
    const named = `${TORCH}def f(x, t):\n    dims = (0, 2, 3)\n    return x.sum(dims).mean()\n`;
    expect(facts(named, 'f', 'x').minRank).toBe(4);
  });

  it('a reduction of a value computed from the parameter says nothing of it', () => {
    const src = `${TF}def f(y_true, y_pred):\n    return tf.reduce_sum(y_true * y_pred, axis=[1, 2, 3])\n`;
    // No rank: only the axes reduced together are kept (a class axis a softmax reads is never among them).
    expect(facts(src, 'f', 'y_pred')).toEqual({ minRank: 0, squeezed: [], together: [[1, 2, 3]] });
  });

  it('`.shape` unpacked into names is that rank; its subscripts and size(d) are axes read', () => {
    expect(facts(`${TORCH}def f(x, t):\n    n, c, h, w = x.size()\n    return x.mean()\n`, 'f', 'x')).toEqual({ minRank: 0, rank: 4, squeezed: [] });
    expect(facts(`${TORCH}def f(x, t):\n    return x.sum() / x.size(2)\n`, 'f', 'x').minRank).toBe(3);
    // A starred name takes any number of axes: at least the named ones, no exact rank.
    expect(facts(`${TORCH}def f(x, t):\n    n, c, *rest = x.shape\n    return x.mean()\n`, 'f', 'x')).toEqual({ minRank: 2, squeezed: [] });
    expect(facts(`${TF}def f(y_true, y_pred):\n    s = tf.shape(y_pred)\n    return tf.reduce_sum(y_pred) / tf.cast(s[-1], tf.float32)\n`, 'f', 'y_pred').minRank).toBe(1);
  });

  it('reads after the name is bound to a reshaped value are not the parameter\'s (x = x.view(n, c, -1); x.size(2))', () => {
    const rebound = `${TORCH}def f(x, t):\n    x = x.view(x.size(0), x.size(1), -1)\n    return x.sum() / x.size(2)\n`;
    expect(facts(rebound, 'f', 'x').minRank).toBe(2);
    const kept = `${TORCH}def f(x, t):\n    y = x.view(x.size(0), x.size(1), -1)\n    return y.sum() / x.size(2)\n`;
    expect(facts(kept, 'f', 'x').minRank).toBe(3);
  });
});

describe('rank guards (a raise reached only on another rank)', () => {
  const withMod = (src: string, name: string, param: string): AxisFacts => {
    const mod: ModuleIR = moduleOf(src);
    return axisFacts(fn(mod, name), param, mod);
  };
  it('`if x.dim() != 4: raise`, `if not len(x.shape) == 4: raise`, `assert x.ndim == 4`: exactly that rank', () => {
    const raise = (test: string) => facts(`${TORCH}def f(x, t):
    if ${test}:
        raise ValueError("rank")
    return x.mean()
`, 'f', 'x');
    expect(raise('x.dim() != 4').rank).toBe(4);
    expect(raise('not len(x.shape) == 4').rank).toBe(4);
    expect(raise('len(x.size()) != 3 or t.dim() != 2').rank).toBe(3);
    expect(raise('4 != x.ndimension()').rank).toBe(4);
    // A lower bound: `if x.dim() < 3: raise`.
    expect(raise('x.dim() < 3')).toEqual({ minRank: 3, squeezed: [] });
    expect(facts(`${TORCH}def f(x, t):
    assert x.ndim == 4, "images"
    return x.mean()
`, 'f', 'x').rank).toBe(4);
  });

  it('a test that does not raise, or raises at that rank, says nothing of it', () => {
    const branch = `${TORCH}def f(x, t):
    if x.dim() == 4:
        x = x.flatten(2)
    return x.mean()
`;
    expect(facts(branch, 'f', 'x')).toEqual({ minRank: 0, squeezed: [] });
    const inverse = `${TORCH}def f(x, t):
    if x.dim() == 4:
        raise ValueError("no images")
    return x.mean()
`;
    expect(facts(inverse, 'f', 'x')).toEqual({ minRank: 0, squeezed: [] });
    // Another tensor's guard is not this one's.
    const other = `${TORCH}def f(x, t):
    if t.dim() != 3:
        raise ValueError("labels")
    return x.mean()
`;
    expect(facts(other, 'f', 'x')).toEqual({ minRank: 0, squeezed: [] });
  });

  it("a parameter passed on as it is to the module's function, method or class instance has its facts too", () => {
    const guarded = `${TORCH}import torch.nn as nn

class L(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a

    def forward(self, x, t):
        if x.dim() != 4:
            raise ValueError("images")
        return x.mean()

`;
    expect(withMod(`${guarded}def wrap(x, t, a=1.0):
    return L(a)(x, t)
`, 'wrap', 'x').rank).toBe(4);
    expect(withMod(`${guarded}def helper(p, q):
    return L(1.0)(p, q)

def wrap(x, t):
    return helper(x, t)
`, 'wrap', 'x').rank).toBe(4);
    // Without the module, or passed something computed from it, nothing is followed.
    expect(facts(`${guarded}def wrap(x, t):
    return L(1.0)(x, t)
`, 'wrap', 'x').rank).toBeUndefined();
    expect(withMod(`${guarded}def wrap(x, t):
    return L(1.0)(x.flatten(2), t)
`, 'wrap', 'x').rank).toBeUndefined();
  });
});

describe('layouts the facts allow', () => {
  const none: AxisFacts = { minRank: 0, squeezed: [] };
  it('none where the flat [N, C] / [N] probe fits', () => {
    expect(factLayouts({ minRank: 2, squeezed: [] }, { minRank: 1, squeezed: [] }, true)).toEqual([]);
    expect(factLayouts(none, undefined, false)).toEqual([]);
    // Targets summed over axis 1 without a squeeze: dense [N, C] targets, which the flat probe has
    // (not class indices of one column, whose sum over the column divides each by itself).
    expect(factLayouts({ minRank: 2, squeezed: [] }, { minRank: 2, squeezed: [] }, true)).toEqual([]);
  });

  it('targets squeezed at axis 1 beside flat logits: [N, 1] targets first, then images with a target channel', () => {
    const ls = factLayouts({ minRank: 2, squeezed: [] }, { minRank: 2, squeezed: [1] }, true);
    expect(ls[0]).toBe('nc1');
    expect(ls.indexOf('nc1hw')).toBeLessThan(ls.indexOf('nchw'));
  });

  it('targets squeezed at axis 3 or -1 beside logits of rank 3 or more: channels last for Keras, first for PyTorch', () => {
    expect(factLayouts(none, { minRank: 4, squeezed: [3] }, false)[0]).toBe('nhwc1');
    expect(factLayouts({ minRank: 3, squeezed: [] }, { minRank: 1, squeezed: [-1] }, false)[0]).toBe('nhwc1');
    expect(factLayouts({ minRank: 3, squeezed: [] }, { minRank: 1, squeezed: [-1] }, true)[0]).toBe('nc1hw');
  });

  it('a prediction of exactly rank 4: images only, channels first for PyTorch', () => {
    const ls = factLayouts({ minRank: 0, rank: 4, squeezed: [] }, none, true);
    expect(ls[0]).toBe('nchw');
    expect(ls.every((l) => ['nchw', 'nc1hw', 'nhwc', 'nhwc1'].includes(l))).toBe(true);
  });
});
