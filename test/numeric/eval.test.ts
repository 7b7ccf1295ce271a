/**
 * Unit tests of the concrete interpreter (server/src/numeric/eval.ts): each lowering against values
 * computed by hand, PyTorch's semantics (broadcasting, dim/keepdim, reductions, target dtypes) and
 * PyTorch's backward formulas where they differ from tfjs's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { fn, loadEngine } from './helpers';

let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

type Arg = number[] | number[][] | { int: number[] } | number | string | null;

function val(a: Arg): unknown {
  const tf = E.tf;
  if (a === null) return { t: 'none' };
  if (typeof a === 'number') return { t: 'num', v: a, int: Number.isInteger(a) };
  if (typeof a === 'string') return { t: 'str', v: a };
  if (!Array.isArray(a)) return { t: 'tensor', x: tf.tensor1d(a.int, 'int32'), dt: 'int' };
  return { t: 'tensor', x: tf.tensor(a), dt: 'float' };
}

/** Evaluates `name` in `src` with these arguments; returns [values, shape, dtype] of the result. */
function run(src: string, name: string, args: Record<string, Arg>): { v: number[]; shape: number[]; dt: string } {
  const mod = moduleOf(src);
  const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
  const out = ev.run(fn(mod, name), Object.fromEntries(Object.entries(args).map(([k, a]) => [k, val(a)])));
  if (out.t === 'num') return { v: [out.v], shape: [], dt: 'py' };
  return { v: Array.from(out.x.dataSync() as Float32Array), shape: out.x.shape, dt: out.dt };
}

/** Gradient of sum(f(x, ...)) w.r.t. x. */
function grad(src: string, name: string, x: number[][], args: Record<string, Arg>): number[] {
  const mod = moduleOf(src);
  const tf = E.tf;
  const f = (z: unknown) => {
    const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
    const out = ev.run(fn(mod, name), { x: { t: 'tensor', x: z, dt: 'float' }, ...Object.fromEntries(Object.entries(args).map(([k, a]) => [k, val(a)])) });
    return tf.sum(out.x);
  };
  return Array.from(tf.grad(f)(tf.tensor2d(x)).dataSync() as Float32Array);
}

function close(a: number[], b: number[], tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]))));
}

const HDR = 'import torch\nimport torch.nn.functional as F\nfrom torch import nn\n';
const lse = (xs: number[]) => Math.log(xs.reduce((a, b) => a + Math.exp(b), 0));

describe('lowering of elementwise ops and arithmetic', () => {
  it('computes arithmetic with broadcasting and Python scalars', () => {
    const r = run(`${HDR}def f(x, y):\n    return (1 - x) * y + x / 2 - x ** 2\n`, 'f', { x: [[1, 2], [3, 4]], y: [10, 20] });
    close(r.v, [0 * 10 + 0.5 - 1, -1 * 20 + 1 - 4, -2 * 10 + 1.5 - 9, -3 * 20 + 2 - 16]);
    expect(r.shape).toEqual([2, 2]);
  });

  it('rejects shapes that do not broadcast, as PyTorch', () => {
    expect(() => run(`${HDR}def f(x, y):\n    return x * y\n`, 'f', { x: [[1, 2, 3]], y: [1, 2] })).toThrow(/do not broadcast/);
  });

  it('evaluates exp, log, log1p, sqrt, abs, neg, sigmoid, logsigmoid', () => {
    const r = run(`${HDR}def f(x):\n    return torch.exp(x) + torch.log(x) + torch.log1p(x) + x.sqrt() + torch.abs(-x) + torch.neg(x) + torch.sigmoid(x) + F.logsigmoid(x)\n`, 'f', { x: [0.5, 2] });
    const h = (x: number) => Math.exp(x) + Math.log(x) + Math.log1p(x) + Math.sqrt(x) + x - x + 1 / (1 + Math.exp(-x)) + Math.log(1 / (1 + Math.exp(-x)));
    close(r.v, [h(0.5), h(2)]);
  });

  it('takes softmax and log_softmax along dim, sum/mean with dim and keepdim', () => {
    const x = [[1, 2, 3], [0, 0, 0]];
    const r = run(`${HDR}def f(x):\n    return F.log_softmax(x, dim=1)\n`, 'f', { x });
    close(r.v, [1 - lse([1, 2, 3]), 2 - lse([1, 2, 3]), 3 - lse([1, 2, 3]), -Math.log(3), -Math.log(3), -Math.log(3)]);
    const s = run(`${HDR}def f(x):\n    return x.softmax(0).sum(dim=0, keepdim=True)\n`, 'f', { x });
    expect(s.shape).toEqual([1, 3]);
    close(s.v, [1, 1, 1]);
    const m = run(`${HDR}def f(x):\n    return torch.mean(x, dim=(0, 1))\n`, 'f', { x });
    close(m.v, [1]);
  });

  it('clamps with min only, and the gradient is masked where clamped (x >= min passes)', () => {
    const r = run(`${HDR}def f(x):\n    return x.clamp(min=0.5)\n`, 'f', { x: [0.2, 0.5, 0.9] });
    close(r.v, [0.5, 0.5, 0.9]);
    close(grad(`${HDR}def f(x):\n    return torch.clamp(x, min=0.5, max=0.8)\n`, 'f', [[0.2, 0.5, 0.9]], {}), [0, 1, 0]);
  });

  it('clamps integer tensors as integers on wasm (its ClipByValue read int32 as float32): a count clamped at 1', () => {
    const r = run(`${HDR}def f(t):\n    return (t != -100).sum().clamp(min=1)\n`, 'f', { t: { int: [3, 1, -100, 2] } });
    expect(r).toEqual({ v: [3], shape: [], dt: 'int' });
    expect(run(`${HDR}def f(t):\n    return t.clamp(min=0, max=2)\n`, 'f', { t: { int: [-3, 1, 5] } }).v).toEqual([0, 1, 2]);
  });

  it('gives x ** 0 a zero gradient at x = 0 (PyTorch), and x ** 0.5 an infinite one', () => {
    close(grad(`${HDR}def f(x, g):\n    return x ** g\n`, 'f', [[0, 1]], { g: 0 }), [0, 0]);
    const g = grad(`${HDR}def f(x, g):\n    return x ** g\n`, 'f', [[0, 4]], { g: 0.5 });
    expect(g[0]).toBe(Infinity);
    close([g[1]], [0.25]);
  });

  it('keeps integer targets integer: one_hot is int64-like, float() casts, mean of ints raises', () => {
    const r = run(`${HDR}def f(t):\n    return F.one_hot(t, num_classes=3)\n`, 'f', { t: { int: [2, 0] } });
    expect(r.dt).toBe('int');
    expect(r.v).toEqual([0, 0, 1, 1, 0, 0]);
    expect(run(`${HDR}def f(t):\n    return F.one_hot(t, 3).float() * 0.5\n`, 'f', { t: { int: [1] } }).dt).toBe('float');
    expect(() => run(`${HDR}def f(t):\n    return t.mean()\n`, 'f', { t: { int: [1, 2] } })).toThrow(/floating point/);
  });

  it("`x.type()` without a dtype is the tensor's type name, not a cast; with one it casts", () => {
    const names = `${HDR}def f(x, t):\n    return 1.0 if (x.type() == 'torch.FloatTensor' and t.type() == 'torch.LongTensor' and x.type() != t.type()) else 0.0\n`;
    expect(run(names, 'f', { x: [1, 2], t: { int: [1] } }).v).toEqual([1]);
    expect(run(`${HDR}def f(t):\n    return t.type(torch.FloatTensor) * 0.5\n`, 'f', { t: { int: [3] } })).toEqual({ v: [1.5], shape: [1], dt: 'float' });
  });
});

describe('reductions of nothing selected (torch: sum 0, mean NaN), on wasm too', () => {
  it('sums an empty selection to 0 and means it to NaN, with an all-zero gradient', () => {
    const src = `${HDR}def s(x):\n    return x[x > 1000.0].sum()\n\ndef m(x):\n    return x[x > 1000.0].mean()\n\ndef d(x):\n    return x[x > 1000.0].sum() / 0.0\n`;
    const x = [[1, 2], [3, 4]];
    expect(run(src, 's', { x }).v).toEqual([0]);
    expect(run(src, 'm', { x }).v[0]).toBeNaN();
    expect(run(src, 'd', { x }).v[0]).toBeNaN();
    expect(grad(src, 's', x, {})).toEqual([0, 0, 0, 0]);
  });
});

describe('lowering of indexing by target', () => {
  const x = [[1, 2, 3], [4, 5, 6]];
  it('x[range(N), t] and x[torch.arange(N), t]', () => {
    close(run(`${HDR}def f(x, t):\n    return x[range(len(t)), t]\n`, 'f', { x, t: { int: [2, 0] } }).v, [3, 4]);
    close(run(`${HDR}def f(x, t):\n    return x[torch.arange(x.size(0)), t]\n`, 'f', { x, t: { int: [1, 1] } }).v, [2, 5]);
  });

  it('.gather(1, t.view(-1, 1)).squeeze(1), and its gradient scatters into zeros', () => {
    close(run(`${HDR}def f(x, t):\n    return x.gather(1, t.view(-1, 1)).squeeze(1)\n`, 'f', { x, t: { int: [2, 1] } }).v, [3, 5]);
    close(grad(`${HDR}def f(x, t):\n    return x.gather(1, t.view(-1, 1)) * 2\n`, 'f', x, { t: { int: [2, 2] } }), [0, 0, 2, 0, 0, 2]);
  });

  it('alpha[t] on a per-class tensor, slices, None and int indices', () => {
    close(run(`${HDR}def f(t):\n    alpha = torch.tensor([0.1, 0.2, 0.7])\n    return alpha[t]\n`, 'f', { t: { int: [2, 0, 2] } }).v, [0.7, 0.1, 0.7]);
    const r = run(`${HDR}def f(x):\n    return x[:, 1][None]\n`, 'f', { x });
    expect(r.shape).toEqual([1, 2]);
    close(r.v, [2, 5]);
    close(run(`${HDR}def f(x):\n    return x[-1, :2]\n`, 'f', { x }).v, [4, 5]);
  });

  it('alpha[t] on a [C, 1] table keeps the trailing dim of size 1 ([N, 1], as PyTorch)', () => {
    const r = run(`${HDR}def f(t):\n    alpha = torch.tensor([[0.1], [0.2], [0.7]])\n    return alpha[t]\n`, 'f', { t: { int: [2, 0] } });
    expect(r.shape).toEqual([2, 1]);
    close(r.v, [0.7, 0.1]);
    expect(run(`${HDR}def f(x, t):\n    return x[None][:, t]\n`, 'f', { x: [[1], [2]], t: { int: [1, 1, 0] } }).shape).toEqual([1, 3, 1]);
  });

  it("a loss module's constructor argument read and set afterwards (`crit.reduction = 'none'`)", () => {
    const src = `${HDR}def f(x, t):\n    crit = nn.BCEWithLogitsLoss()\n    r = crit.reduction\n    crit.reduction = 'none'\n    out = crit(x, t)\n    return out.sum() if r == 'mean' else out.mean()\n`;
    const r = run(src, 'f', { x: [[0, 0]], t: [[1, 0]] });
    close(r.v, [2 * Math.log(2)]);
  });

  it('assigning through an all-False mask writes nothing (and reads an empty selection)', () => {
    const src = `${HDR}def f(x):\n    y = x.clone()\n    big = x > 100\n    y[big] = y[big] - 1.0\n    return y\n`;
    close(run(src, 'f', { x: [[1, 2], [3, 4]] }).v, [1, 2, 3, 4]);
  });

  it('`t is not None` and `t is None` of a tensor are identity tests, not elementwise ones', () => {
    const src = `${HDR}def f(x):\n    m = x > 1\n    y = x * 2.0 if m is not None else x\n    return y * 0.0 if m is None else y\n`;
    close(run(src, 'f', { x: [[1, 2]] }).v, [2, 4]);
  });

  it('raises on an out-of-range target, as PyTorch', () => {
    expect(() => run(`${HDR}def f(x, t):\n    return x.gather(1, t.view(-1, 1))\n`, 'f', { x, t: { int: [3, 0] } })).toThrow(/out of bounds/);
  });
});

describe('lowering of losses', () => {
  const x = [[1, 2, 3], [1, 0, -1]];
  const ce = [lse([1, 2, 3]) - 3, lse([1, 0, -1]) - 1];

  it('F.cross_entropy with reduction none / mean / weight', () => {
    close(run(`${HDR}def f(x, t):\n    return F.cross_entropy(x, t, reduction="none")\n`, 'f', { x, t: { int: [2, 0] } }).v, ce);
    close(run(`${HDR}def f(x, t):\n    return F.cross_entropy(x, t)\n`, 'f', { x, t: { int: [2, 0] } }).v, [(ce[0] + ce[1]) / 2]);
    // Weighted mean divides by the sum of the targets' weights.
    close(run(`${HDR}def f(x, t):\n    return F.cross_entropy(x, t, weight=torch.tensor([1.0, 2.0, 3.0]))\n`, 'f', { x, t: { int: [2, 0] } }).v, [(3 * ce[0] + 1 * ce[1]) / 4]);
  });

  it('F.nll_loss on log_softmax equals cross_entropy; class-probability targets work', () => {
    close(run(`${HDR}def f(x, t):\n    return F.nll_loss(F.log_softmax(x, 1), t, reduction="sum")\n`, 'f', { x, t: { int: [2, 0] } }).v, [ce[0] + ce[1]]);
    close(run(`${HDR}def f(x, t):\n    return F.cross_entropy(x, t, reduction="none")\n`, 'f', { x, t: [[0, 0, 1], [1, 0, 0]] }).v, ce);
  });

  it('nn.CrossEntropyLoss built in __init__ and called in forward, hyperparameters from __init__', () => {
    const src = `${HDR}class L(nn.Module):\n    def __init__(self, gamma=2.0):\n        super().__init__()\n        self.gamma = gamma\n        self.ce = nn.CrossEntropyLoss(reduction="none")\n    def forward(self, x, t):\n        c = self.ce(x, t)\n        return (1 - torch.exp(-c)) ** self.gamma * c\n`;
    const r = run(src, 'L.forward', { x, t: { int: [2, 0] } });
    close(r.v, ce.map((c) => (1 - Math.exp(-c)) ** 2 * c));
  });

  it('F.binary_cross_entropy_with_logits with pos_weight, and F.binary_cross_entropy', () => {
    const bce = (z: number, t: number, pw = 1) => -(pw * t * Math.log(1 / (1 + Math.exp(-z))) + (1 - t) * Math.log(1 - 1 / (1 + Math.exp(-z))));
    close(run(`${HDR}def f(x, t):\n    return F.binary_cross_entropy_with_logits(x, t, reduction="none", pos_weight=torch.tensor(2.0))\n`, 'f', { x: [0.5, -1], t: [1, 0] }).v, [bce(0.5, 1, 2), bce(-1, 0)]);
    close(run(`${HDR}def f(x, t):\n    return F.binary_cross_entropy(torch.sigmoid(x), t, reduction="sum")\n`, 'f', { x: [0.5, -1], t: [1, 0] }).v, [bce(0.5, 1) + bce(-1, 0)]);
  });

  it('Keras backend shapes: K.shape a 1-D int tensor, K.int_shape a tuple of ints, K.ndim the rank', () => {
    const src = 'from tensorflow.keras import backend as K\ndef f(y):\n    n = K.int_shape(y)[-1]\n    s = K.shape(y)[0]\n    return K.sum(y) * n + K.cast(s, "float32") * K.ndim(y)\n';
    close(run(src, 'f', { y: [[1, 2, 3], [4, 5, 6]] }).v, [21 * 3 + 2 * 2]);
  });

  it('tf.nn.weighted_cross_entropy_with_logits: labels (TF2) or targets (TF1) times pos_weight on the positives', () => {
    const bce = (z: number, t: number, pw = 1) => -(pw * t * Math.log(1 / (1 + Math.exp(-z))) + (1 - t) * Math.log(1 - 1 / (1 + Math.exp(-z))));
    const want = [bce(0.5, 1, 3), bce(-1, 0, 3)];
    close(run('import tensorflow as tf\ndef f(x, t):\n    return tf.nn.weighted_cross_entropy_with_logits(labels=t, logits=x, pos_weight=3.0)\n', 'f', { x: [0.5, -1], t: [1, 0] }).v, want);
    close(run('import tensorflow as tf\ndef f(x, t):\n    return tf.nn.weighted_cross_entropy_with_logits(targets=t, logits=x, pos_weight=3.0)\n', 'f', { x: [0.5, -1], t: [1, 0] }).v, want);
  });

  it('torchvision.ops.sigmoid_focal_loss follows torchvision formula', () => {
    const src = 'from torchvision.ops import sigmoid_focal_loss\ndef f(x, t):\n    return sigmoid_focal_loss(x, t, alpha=0.25, gamma=2, reduction="sum")\n';
    const z = [2, -1];
    const t = [1, 0];
    const want = z.map((zi, i) => {
      const p = 1 / (1 + Math.exp(-zi));
      const c = -(t[i] * Math.log(p) + (1 - t[i]) * Math.log(1 - p));
      const pt = p * t[i] + (1 - p) * (1 - t[i]);
      return (0.25 * t[i] + 0.75 * (1 - t[i])) * c * (1 - pt) ** 2;
    });
    close(run(src, 'f', { x: z, t }).v, [want[0] + want[1]]);
  });

  it('TF/Keras counterparts: sparse softmax CE with logits, reduce_sum with axis', () => {
    const src = 'import tensorflow as tf\ndef f(x, t):\n    return tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=t, logits=x), axis=0)\n';
    close(run(src, 'f', { x, t: { int: [2, 0] } }).v, [ce[0] + ce[1]]);
  });
});

describe('joins (ops/table/joins.ts)', () => {
  it('cat and stack along a dim, promoting dtypes as PyTorch; gather_nd by stacked row numbers and targets', () => {
    const c = run(`${HDR}def f(x, y):\n    return torch.cat([x, y], dim=1)\n`, 'f', { x: [[1], [2]], y: [[3, 4], [5, 6]] });
    expect(c.shape).toEqual([2, 3]);
    close(c.v, [1, 3, 4, 2, 5, 6]);
    const s = run(`${HDR}def f(x, y):\n    return torch.stack([x, y], 1)\n`, 'f', { x: [1, 2], y: [3, 4] });
    expect(s.shape).toEqual([2, 2]);
    close(s.v, [1, 3, 2, 4]);
    expect(() => run(`${HDR}def f(x, y):\n    return torch.stack([x, y])\n`, 'f', { x: [1, 2], y: [3, 4, 5] })).toThrow(/equal size/);
    const g = run('import tensorflow as tf\ndef f(p, t):\n    idx = tf.stack([tf.range(2), t], axis=1)\n    return tf.gather_nd(p, idx)\n', 'f', { p: [[0.1, 0.9], [0.7, 0.3]], t: { int: [1, 0] } });
    close(g.v, [0.9, 0.7]);
    expect(() => run('import tensorflow as tf\ndef f(p, t):\n    return tf.gather_nd(p, tf.stack([tf.range(2), t], axis=1))\n', 'f', { p: [[0.1, 0.9], [0.7, 0.3]], t: { int: [1, 2] } })).toThrow(/out of bounds/);
  });
});

describe('control flow and the whitelist', () => {
  it('takes `if` on known hyperparameters and strings', () => {
    const src = `${HDR}def f(x, reduction="sum", alpha=None):\n    if alpha is not None:\n        x = x * alpha\n    if reduction == "mean":\n        return x.mean()\n    elif reduction == "sum":\n        return x.sum()\n    return x\n`;
    close(run(src, 'f', { x: [1, 2, 3] }).v, [6]);
    close(run(src, 'f', { x: [1, 2, 3], reduction: 'mean', alpha: 2 }).v, [4]);
  });

  it('takes `if` on a one-element tensor by its value, as bool(t); raises on a larger one', () => {
    const src = `${HDR}def f(x):\n    if x.sum() > 0:\n        return x\n    return -x\n`;
    close(run(src, 'f', { x: [1] }).v, [1]);
    close(run(src, 'f', { x: [-1] }).v, [1]);
    expect(() => run(`${HDR}def f(x):\n    if x > 0:\n        return x\n    return -x\n`, 'f', { x: [1, 2] })).toThrow(/ambiguous \(line 5\)/);
  });

  it('refuses a loop past the iteration cap and unknown calls, naming the construct and line', () => {
    expect(() => run(`${HDR}def f(x):\n    for i in range(10000):\n        x = x + 1\n    return x\n`, 'f', { x: [1] })).toThrow(/unsupported `a loop of 10000 iterations \(more than 256\)` at line 5/);
    expect(() => run(`${HDR}def f(x):\n    while True:\n        x = x + 1\n    return x\n`, 'f', { x: [1] })).toThrow(/unsupported `a loop of more than 256 iterations` at line 5/);
    expect(() => run(`${HDR}def f(x):\n    return torch.svd(x)\n`, 'f', { x: [1] })).toThrow(/unsupported `torch.svd` at line 5/);
    expect(() => run(`${HDR}def f(x):\n    match x.dim():\n        case 1:\n            return x\n    return -x\n`, 'f', { x: [1] })).toThrow(/unsupported `match` at line 5/);
  });
});

describe('Python as losses are written', () => {
  it('runs for and while loops (break, continue, else), augmented assignment, ranges with steps', () => {
    const src = `${HDR}def f(x):\n    total = 0\n    for i in range(0, 10, 3):\n        if i == 6:\n            continue\n        total += i\n    else:\n        total += 100\n    n = 0\n    while n < 5:\n        n += 1\n        if n == 3:\n            break\n    return x * total + n\n`;
    close(run(src, 'f', { x: [1, 2] }).v, [1 * 112 + 3, 2 * 112 + 3]);
  });

  it('builds lists, tuples and dicts with comprehensions, append, zip, enumerate, sum and in', () => {
    const src = `${HDR}def f(x):\n    parts = []\n    for i, w in enumerate([1.0, 2.0, 3.0]):\n        parts.append(x * w)\n    d = {k: v for k, v in zip(["a", "b"], [10, 20])}\n    d["c"] = 30\n    squares = [i * i for i in range(4) if i % 2 == 1]\n    assert "c" in d\n    return sum(parts) + d.get("b", 0) + sum(squares) + len(d)\n`;
    close(run(src, 'f', { x: [1] }).v, [6 + 20 + 10 + 3]);
  });

  it('assigns into tensors by index, slice and boolean mask (a copy, the gradient routed to the values)', () => {
    const src = `${HDR}def f(x, t):\n    y = x.clone()\n    y[t > 0.5] = 0\n    y[:, 0] = y[:, 0] * 3\n    onehot = torch.zeros(2, 3)\n    onehot[torch.arange(2), t.long().sum(1)] = 1\n    return y + onehot\n`;
    const r = run(src, 'f', { x: [[1, 2, 3], [4, 5, 6]], t: [[0, 1, 0], [1, 1, 0]] });
    // y = [[3, 0, 3], [0, 0, 6]]; onehot at (0, 1), (1, 2)
    close(r.v, [3, 1, 3, 0, 0, 7]);
    const g = grad(`${HDR}def f(x, t):\n    y = x * 1\n    y[t > 0.5] = x[t > 0.5] * 2\n    return y\n`, 'f', [[1, 2, 3]], { t: [[0, 1, 0]] });
    close(g, [1, 2, 1]);
  });

  it('reads boolean masks and advanced indices after a slice, as numpy places the result', () => {
    const r = run(`${HDR}def f(x, t):\n    return x[t > 0]\n`, 'f', { x: [[1, 2], [3, 4]], t: [[1, 0], [0, 1]] });
    close(r.v, [1, 4]);
    const s = run(`${HDR}def f(x):\n    return x[:, [2, 0]]\n`, 'f', { x: [[1, 2, 3], [4, 5, 6]] });
    close(s.v, [3, 1, 6, 4]);
    expect(s.shape).toEqual([2, 2]);
    const st = run(`${HDR}def f(x):\n    return x[::-1, ::2]\n`, 'f', { x: [[1, 2, 3], [4, 5, 6]] });
    close(st.v, [4, 6, 1, 3]);
  });

  it('detaches what torch.no_grad() and set_grad_enabled(False) compute; autocast changes nothing', () => {
    const g = grad(`${HDR}def f(x):\n    with torch.no_grad():\n        w = x * 2\n    with torch.autocast("cpu"):\n        y = x * 3\n    return w * x + y\n`, 'f', [[1, 2]], {});
    // d/dx (w x + 3x) with w constant = w + 3 = 2x + 3
    close(g, [5, 7]);
    const h = grad(`${HDR}def f(x):\n    torch.set_grad_enabled(False)\n    w = x * 2\n    torch.set_grad_enabled(True)\n    return w * x\n`, 'f', [[1, 2]], {});
    close(h, [2, 4]);
  });

  it('calls instances of the module\'s classes (forward), super() methods, functools.partial and module constants', () => {
    const src = `${HDR}import functools\nSCALE = 2.0\nclass Base(nn.Module):\n    def weight(self):\n        return 3.0\nclass Inner(Base):\n    def __init__(self, k=1.0):\n        super().__init__()\n        self.k = k\n    def forward(self, x):\n        return x * self.k * super().weight()\nclass Outer(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.inner = Inner(k=SCALE)\n    def forward(self, x):\n        scale = functools.partial(torch.mul, other=10.0)\n        return scale(self.inner(x))\n`;
    close(run(src, 'Outer.forward', { x: [1, 2] }).v, [60, 120]);
  });

  it('probes a Keras factory\'s inner loss with the factory\'s values, and a lambda bound to a name', () => {
    const src = `import tensorflow as tf\ndef focal(gamma=2.0, alpha=0.25):\n    def loss(y_true, y_pred):\n        return alpha * tf.pow(1.0 - y_pred, gamma) * y_true\n    return loss\nscaled = lambda y_true, y_pred: y_true * y_pred * 3\n`;
    close(run(src, 'focal.loss', { y_true: [1, 1], y_pred: [0.5, 0] }).v, [0.25 * 0.25, 0.25]);
    close(run(src, 'scaled', { y_true: [1, 2], y_pred: [2, 2] }).v, [6, 12]);
  });

  it('maps PyTorch\'s legacy size_average / reduce onto the reduction', () => {
    const src = `${HDR}def f(x, t):\n    return F.binary_cross_entropy_with_logits(x, t, reduce=False)\n`;
    expect(run(src, 'f', { x: [0, 0], t: [1, 0] }).shape).toEqual([2]);
    const sum = run(`${HDR}def f(x, t):\n    return F.binary_cross_entropy_with_logits(x, t, size_average=False)\n`, 'f', { x: [0, 0], t: [1, 0] });
    close(sum.v, [2 * Math.log(2)]);
  });

  it('raises as Python does: a raise reached, None compared, a number indexed, a failing assert', () => {
    expect(() => run(`${HDR}def f(x):\n    if x.dim() != 3:\n        raise ValueError("expected images")\n    return x\n`, 'f', { x: [1] })).toThrow(/it raises ValueError\("expected images"\) \(line 6\)/);
    expect(() => run(`${HDR}def f(x, w=None):\n    return x[w > 0]\n`, 'f', { x: [1] })).toThrow(/TypeError/);
    expect(() => run(`${HDR}def f(x, a=0.25):\n    return x * a[0]\n`, 'f', { x: [1] })).toThrow(/not subscriptable/);
    expect(() => run(`${HDR}def f(x):\n    assert x.shape[0] == 2\n    return x\n`, 'f', { x: [1] })).toThrow(/assert fails/);
  });

  it('lowers the ops the table spells for TF and JAX, and torch tensor methods through torch functions', () => {
    close(run(`import tensorflow as tf\ndef f(x):\n    return tf.reduce_sum(tf.concat([x, x * 2], axis=0))\n`, 'f', { x: [1, 2] }).v, [9]);
    close(run(`import jax.numpy as jnp\nimport jax\ndef f(x):\n    return jax.lax.select(x > 1, x, jnp.zeros_like(x))\n`, 'f', { x: [1, 2] }).v, [0, 2]);
    close(run(`${HDR}def f(x):\n    return x.cumsum(0)\n`, 'f', { x: [1, 2, 3] }).v, [1, 3, 6]);
    const tk = run(`${HDR}def f(x):\n    v, i = x.topk(2)\n    return v\n`, 'f', { x: [3, 1, 2] });
    close(tk.v, [3, 2]);
    close(run(`import tensorflow as tf\ndef f(x, t):\n    return tf.gather(x, t, axis=1, batch_dims=1)\n`, 'f', { x: [[1, 2], [3, 4]], t: { int: [1, 0] } }).v, [2, 3]);
  });

  it('passes **kwargs on to a function of the module; parameters after *args are keyword-only; an op given **kwargs is refused', () => {
    const src = `${HDR}def g(*xs, k=None, **kw):\n    return xs[0] * (1 if k is None else k) + kw["b"]\ndef f(x, **kwargs):\n    return g(x, x, **kwargs)\n`;
    close(run(src, 'f', { x: [1, 2], b: 10 }).v, [11, 12]);
    close(run(src, 'f', { x: [1, 2], b: 10, k: 3 }).v, [13, 16]);
    const dup = `${HDR}def g(x, b=0):\n    return x + b\ndef f(x, **kwargs):\n    return g(x, b=1, **kwargs)\n`;
    expect(() => run(dup, 'f', { x: [1], b: 2 })).toThrow(/multiple values for keyword argument 'b'/);
    const op = `${HDR}def f(x, **kwargs):\n    return torch.sum(x, **kwargs)\n`;
    expect(() => run(op, 'f', { x: [1, 2] })).toThrow(/unsupported `\*args in a call`/);
  });

  it('atan2 as torch and TensorFlow spell it, broadcast; its gradient is d/dy = x / (x^2 + y^2)', () => {
    close(run(`${HDR}def f(x, y):\n    return torch.atan2(x, y)\n`, 'f', { x: [1, -1, 0], y: [1, 1, -1] }).v, [Math.PI / 4, -Math.PI / 4, Math.PI]);
    close(run(`import tensorflow as tf\ndef f(x, y):\n    return tf.math.atan2(x, y)\n`, 'f', { x: [[1], [2]], y: [1, 2] }).v, [Math.atan2(1, 1), Math.atan2(1, 2), Math.atan2(2, 1), Math.atan2(2, 2)]);
    close(grad(`${HDR}def f(x, y):\n    return torch.atan2(x, y)\n`, 'f', [[1, 2]], { y: [3, 4] }), [3 / 10, 4 / 20]);
  });

  it('takes a range as the axes of a reduction (numpy, JAX); an empty range reduces nothing', () => {
    const src = `import jax.numpy as jnp\ndef f(x, k):\n    return jnp.mean(x, axis=range(k, x.ndim))\n`;
    const all = run(src, 'f', { x: [[1, 2], [3, 5]], k: 0 });
    expect(all.shape).toEqual([]);
    close(all.v, [2.75]);
    const rows = run(src, 'f', { x: [[1, 2], [3, 5]], k: 1 });
    expect(rows.shape).toEqual([2]);
    close(rows.v, [1.5, 4]);
    const none = run(src, 'f', { x: [[1, 2], [3, 5]], k: 2 });
    expect(none.shape).toEqual([2, 2]);
    close(none.v, [1, 2, 3, 5]);
  });
});

describe('control flow and the whitelist (continued)', () => {

  it('caps the number of elements of any tensor', () => {
    const mod = moduleOf(`${HDR}def f(x):\n    return x.view(-1, 1) * x.view(1, -1)\n`);
    const ev = new E.Evaluator(mod, { maxElements: 1000 });
    expect(() => ev.run(fn(mod, 'f'), { x: { t: 'tensor', x: E.tf.zeros([100]), dt: 'float' } })).toThrow(/exceeds the cap of 1000/);
  });
});

describe('Python constructs: try, :=, super().forward of a library module, Python errors by class', () => {
  /** The check's refusal (values.ts Unsupported), as the bundle throws it. */
  const UNSUPPORTED = { message: expect.stringMatching(/^unsupported `/) };
  const err = (src: string, name: string, args: Record<string, Arg>): unknown => {
    try {
      run(src, name, args);
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('runs a handler only for the error classes it names (or a base); else and finally as Python does', () => {
    const src = `${HDR}def f(x, g=0.5):\n    try:\n        h = g[0]\n    except (KeyError, TypeError) as e:\n        h = g\n    else:\n        h = h * 10\n    finally:\n        x = x * 2\n    return x * h\n`;
    close(run(src, 'f', { x: [1, 2] }).v, [1, 2]);
    close(run(src, 'f', { x: [1, 2], g: [3] }).v, [60, 120]);
    // LookupError is IndexError's base; ValueError is not.
    close(run(`${HDR}def f(x, k=5):\n    xs = [1, 2]\n    try:\n        return x * xs[k]\n    except LookupError:\n        return x * 0\n`, 'f', { x: [1] }).v, [0]);
    expect(err(`${HDR}def f(x, k=5):\n    xs = [1, 2]\n    try:\n        return x * xs[k]\n    except ValueError:\n        return x * 0\n`, 'f', { x: [1] })).toMatchObject({ pyType: 'IndexError' });
    // An attribute a float does not have is AttributeError (a tf.Variable's read_value() given a number).
    close(run(`${HDR}def f(x, g=2.0):\n    try:\n        g = g.read_value()\n    except Exception:\n        pass\n    return x * g\n`, 'f', { x: [1] }).v, [2]);
    // `return` in finally wins; a bare raise in a handler raises the error again; the `as` name is unbound after it.
    close(run(`${HDR}def f(x):\n    try:\n        return x\n    finally:\n        return x * 3\n`, 'f', { x: [1] }).v, [3]);
    expect(err(`${HDR}def f(x):\n    try:\n        y = {}["k"]\n    except KeyError:\n        raise\n    return x\n`, 'f', { x: [1] })).toMatchObject({ pyType: 'KeyError', line: 6 });
    expect(err(`${HDR}def f(x):\n    try:\n        y = {}["k"]\n    except KeyError as e:\n        pass\n    return x * e\n`, 'f', { x: [1] })).toMatchObject(UNSUPPORTED);
    // A class of the module: caught by its own name and by the built-in base it derives from.
    const own = `${HDR}class Bad(ValueError):\n    pass\ndef f(x, n=1):\n    try:\n        if n > 0:\n            raise Bad("n")\n    except ValueError:\n        return x * 7\n    return x\n`;
    close(run(own, 'f', { x: [1] }).v, [7]);
    // An attribute no __init__ here sets: AttributeError for a class of this module alone; with a
    // framework base (nn.Module may set it) whether `except AttributeError` catches it is not known.
    const attr = (base: string) => `${HDR}class L${base}:\n    def __init__(self):\n        self.k = 2\n    def forward(self, x):\n        try:\n            s = self.scale\n        except AttributeError:\n            s = 1\n        return x * s * self.k\n`;
    close(run(attr(''), 'L.forward', { x: [1] }).v, [2]);
    expect(err(attr('(nn.Module)'), 'L.forward', { x: [1] })).toMatchObject(UNSUPPORTED);
  });

  it('never catches what the check cannot evaluate; a framework error only where every exception is caught', () => {
    // An unsupported call stays a refusal, whatever the handler.
    expect(err(`${HDR}import mylib\ndef f(x):\n    try:\n        y = mylib.thing(x)\n    except Exception:\n        y = x\n    return y\n`, 'f', { x: [1] })).toMatchObject(UNSUPPORTED);
    // A shape mismatch is some framework exception: `except Exception` catches it; whether `except ValueError` does is not known.
    const shapes = (h: string) => `${HDR}def f(x, y):\n    try:\n        z = x + y\n    except ${h}:\n        z = x\n    return z\n`;
    close(run(shapes('Exception'), 'f', { x: [1, 2], y: [1, 2, 3] }).v, [1, 2]);
    const e = err(shapes('ValueError'), 'f', { x: [1, 2], y: [1, 2, 3] });
    expect(e).toMatchObject(UNSUPPORTED);
    expect(String((e as Error).message)).toMatch(/unsupported `whether this except clause catches: shapes \[2\] and \[3\] do not broadcast for \+ \(line 6\)` at line 7/);
    // A handler naming a variable is not known either; `except*` is not modelled.
    expect(err(`${HDR}def f(x, y, errs=(ValueError,)):\n    try:\n        z = x + y\n    except errs:\n        z = x\n    return z\n`, 'f', { x: [1, 2], y: [1, 2, 3] })).toMatchObject(UNSUPPORTED);
    expect(err(`${HDR}def f(x):\n    try:\n        z = x\n    except* ValueError:\n        z = x\n    return z\n`, 'f', { x: [1] })).toMatchObject(UNSUPPORTED);
  });

  it('binds := in the function (a comprehension\'s enclosing scope); operator.index', () => {
    close(run(`${HDR}import operator\ndef f(x, axis=-1):\n    if 0 <= (a := operator.index(axis) + x.dim()) < 2:\n        return x * a\n    return x\n`, 'f', { x: [1, 2] }).v, [0, 0]);
    close(run(`${HDR}def f(x):\n    ys = [(last := v * 2) for v in [1, 2, 3]]\n    return x * last + len(ys)\n`, 'f', { x: [1] }).v, [9]);
    expect(err(`${HDR}import operator\ndef f(x, axis=None):\n    return x * operator.index(axis)\n`, 'f', { x: [1] })).toMatchObject({ pyType: 'TypeError' });
  });

  it('super().forward of a PyTorch loss module the class derives from: the op with its constructor arguments, read back from the instance', () => {
    const src = `${HDR}class Scaled(nn.CrossEntropyLoss):\n    def __init__(self, ignore_index=-100):\n        super().__init__(ignore_index=ignore_index, reduction="none")\n        self.ignore_index = ignore_index\n    def forward(self, x, t):\n        return super().forward(x, t) * 2\nclass Summed(nn.CrossEntropyLoss):\n    def __init__(self):\n        super().__init__(reduction="none")\n        self.reduction = "sum"\n    def forward(self, x, t):\n        return super().forward(x, t)\n`;
    const x = [[0, 1], [2, 0]];
    const ce = [lse([0, 1]) - 0, lse([2, 0]) - 0];
    const r = run(src, 'Scaled.forward', { x, t: { int: [0, 1] } });
    expect(r.shape).toEqual([2]);
    close(r.v, ce.map((v) => 2 * v));
    close(run(src, 'Summed.forward', { x, t: { int: [0, 1] } }).v, [ce[0] + ce[1]]);
    // An unknown base: still refused.
    expect(err(`${HDR}from somewhere import Base\nclass L(Base):\n    def forward(self, x, t):\n        return super().forward(x, t)\n`, 'L.forward', { x, t: { int: [0, 1] } })).toMatchObject(UNSUPPORTED);
  });

  it('names what it cannot read and what Python raises: a module\'s value, a string index, Variable(None), strings', () => {
    const cfg = err(`${HDR}import config as cfg\ndef f(x):\n    return x * cfg.alpha\n`, 'f', { x: [1] });
    expect(cfg).toMatchObject(UNSUPPORTED);
    expect(String((cfg as Error).message)).toMatch(/config\.alpha/);
    expect(String((err(`${HDR}def f(batch):\n    return batch["logits"]\n`, 'f', { batch: [1] }) as Error).message)).toMatch(/indexed by the string "logits"/);
    expect(run(`${HDR}from torch.autograd import Variable\ndef f(x, w=None):\n    return Variable(w)\n`, 'f', { x: [1] }).shape).toEqual([0]);
    close(run(`${HDR}def f(x, a="ab", b="c"):\n    return x * len(a + b * 2)\n`, 'f', { x: [1] }).v, [4]);
    expect(err(`${HDR}def f(x, a="ab"):\n    return x * (a + 1)\n`, 'f', { x: [1] })).toMatchObject({ pyType: 'TypeError' });
    expect(String((err(`${HDR}def f(x, gamma=2):\n    return x * gamma[0]\n`, 'f', { x: [1] }) as Error).message)).toMatch(/'int' object is not subscriptable \(`gamma` is 2\)/);
    expect(String((err(`${HDR}def f(x):\n    return x * torch.randn(2)\n`, 'f', { x: [1] }) as Error).message)).toMatch(/^unsupported `torch.randn \(a random draw/);
  });
});

describe('decorated functions (numeric/decorators.ts)', () => {
  it('a registry that returns the function, a staticmethod read from self and a property run as written', () => {
    const reg = `${HDR}REG = {}\ndef keep(fn):\n    REG[fn.__name__] = fn\n    return fn\ndef keep_as(k):\n    def w(fn):\n        REG[k] = fn\n        return fn\n    return w\n@keep\ndef f(x):\n    return x * 2\n@keep_as("g")\ndef g(x):\n    return x * 3\n`;
    close(run(reg, 'f', { x: [1, 2] }).v, [2, 4]);
    close(run(reg, 'g', { x: [1, 2] }).v, [3, 6]);
    const cls = `${HDR}class L(nn.Module):\n    def __init__(self, g=2.0):\n        super().__init__()\n        self.g = g\n    @staticmethod\n    def sq(v, p):\n        return v ** p\n    @property\n    def power(self):\n        return self.g + 1\n    def forward(self, x):\n        return self.sq(x, self.power)\n`;
    close(run(cls, 'L.forward', { x: [2, 3] }).v, [8, 27]);
  });

  it('a decorator that changes what is computed, or is not known, refuses the function', () => {
    expect(() => run('import jax\nimport jax.numpy as jnp\n@jax.pmap\ndef f(x):\n    return jnp.sum(x)\n', 'f', { x: [[1, 2], [3, 4]] })).toThrow(/unsupported `decorator @jax.pmap`/);
    expect(() => run(`${HDR}from mmdet.models.losses.utils import weighted_loss\n@weighted_loss\ndef f(x):\n    return x * 2\n`, 'f', { x: [1] })).toThrow(/unsupported `decorator @mmdet.models.losses.utils.weighted_loss`/);
    // A decorator of this module that does not return the function it is given.
    expect(() => run(`${HDR}def twice(fn):\n    def w(x):\n        return 2 * fn(x)\n    return w\n@twice\ndef f(x):\n    return x\n`, 'f', { x: [1] })).toThrow(/unsupported `decorator @twice`/);
    expect(() => run(`${HDR}import functools\nimport jax\n@functools.partial(jax.pmap, axis_name="i")\ndef f(x):\n    return x\n`, 'f', { x: [1] })).toThrow(/unsupported `decorator @partial\(jax.pmap\)`/);
    close(run(`${HDR}import functools\nimport jax\n@functools.partial(jax.jit, static_argnums=(1,))\ndef f(x, k=2):\n    return x * k\n`, 'f', { x: [1] }).v, [2]);
  });

  it('@torch.no_grad() runs the body without gradient; @torch.enable_grad() with it', () => {
    const src = `${HDR}@torch.no_grad()\ndef f(x):\n    return x * x\n@torch.enable_grad()\ndef g(x):\n    return x * x\n`;
    expect(() => grad(src, 'f', [[1, 2]], {})).toThrow(/Cannot compute gradient/);
    close(grad(src, 'g', [[1, 2]], {}), [2, 4]);
  });
});

describe('jax.vmap', () => {
  const J = 'import jax\nimport jax.numpy as jnp\nfrom functools import partial\n';
  it('maps a per-example function over axis 0 (decorator, partial with in_axes, or called), outputs stacked', () => {
    // Per example: the sum of the row times a scalar that is not mapped.
    close(run(`${J}@jax.vmap\ndef f(x):\n    return jnp.sum(x) * 2\n`, 'f', { x: [[1, 2], [3, 4]] }).v, [6, 14]);
    close(run(`${J}@partial(jax.vmap, in_axes=(0, None))\ndef f(x, k):\n    return jnp.sum(x) * k\n`, 'f', { x: [[1, 2], [3, 4]], k: 3 }).v, [9, 21]);
    close(run(`${J}def g(x, y):\n    return jnp.sum(x * y)\ndef f(x):\n    return jax.vmap(g)(x, x * 2)\n`, 'f', { x: [[1, 2], [3, 4]] }).v, [10, 50]);
    // Mapped along axis 1, and a tuple output stacked leaf by leaf.
    close(run(`${J}def f(x):\n    a, b = jax.vmap(lambda c: (jnp.max(c), jnp.min(c)), in_axes=1)(x)\n    return a - b\n`, 'f', { x: [[1, 5], [3, 2]] }).v, [2, 3]);
  });

  it('differentiates through the examples, and says what it does not model', () => {
    close(grad(`${J}@jax.vmap\ndef f(x):\n    return jnp.sum(x * x)\n`, 'f', [[1, 2], [3, 4]], {}), [2, 4, 6, 8]);
    expect(() => run(`${J}def f(x):\n    return jax.vmap(lambda a, b: a + b)(x, jnp.ones(3))\n`, 'f', { x: [[1, 2], [3, 4]] })).toThrow(/inconsistent sizes/);
    expect(() => run(`${J}def f(x):\n    return jax.vmap(jnp.sum, out_axes=1)(x)\n`, 'f', { x: [[1, 2]] })).toThrow(/unsupported `jax.vmap with out_axes other than 0`/);
  });
});

describe('devices', () => {
  it('two tensors of the probes are on the same device (a loss that checks it runs on)', () => {
    const src = `${HDR}def f(x, t):\n    if not x.device == t.device:\n        raise ValueError('devices differ')\n    return x * 2\n`;
    expect(run(src, 'f', { x: [1, 2], t: [0, 1] }).v).toEqual([2, 4]);
  });
});
