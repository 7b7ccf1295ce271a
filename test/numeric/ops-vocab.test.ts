/**
 * Ops of the table's vocabulary against their documented formulas: PyTorch's in-place methods (one
 * rule for every op marked `inplace`), moveaxis / movedim, matmul and `@`, numpy's average, the
 * pairwise losses cosine_embedding_loss and margin_ranking_loss, the legacy reduction name
 * 'elementwise_mean', flax's onehot, `is_tensor`, Keras' global dtype policy, and a tensor method
 * read without a call. (The torch fixtures of test/numeric/fixtures/op_vocab.py are also compared
 * with real torch by test/numeric/torch.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { allSpellings, resolveMethod, resolveQualified } from '../../server/src/ops';
import { moduleOf } from '../../server/src/numeric/runner';
import { fn, loadEngine } from './helpers';

let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

type Arg = number[] | number[][] | number[][][] | number[][][][] | { int: number[] | number[][] } | number;

function val(a: Arg): unknown {
  const tf = E.tf;
  if (typeof a === 'number') return { t: 'num', v: a, int: Number.isInteger(a) };
  if (!Array.isArray(a)) return { t: 'tensor', x: tf.tensor(a.int, undefined, 'int32'), dt: 'int' };
  return { t: 'tensor', x: tf.tensor(a), dt: 'float' };
}

interface Out {
  v: number[];
  shape: number[];
  dt: string;
  items?: Out[];
}

function toOut(out: { t: string; v?: unknown; items?: unknown[]; x?: { dataSync(): ArrayLike<number>; shape: number[] }; dt?: string }): Out {
  if (out.t === 'num' || out.t === 'bool' || out.t === 'str') return { v: [out.v as number], shape: [], dt: out.t };
  if (out.t === 'list') return { v: [], shape: [out.items!.length], dt: 'list', items: out.items!.map((i) => toOut(i as Parameters<typeof toOut>[0])) };
  return { v: Array.from(out.x!.dataSync()), shape: out.x!.shape, dt: out.dt! };
}

function run(src: string, name: string, args: Record<string, Arg>): Out {
  const mod = moduleOf(src);
  const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
  return toOut(ev.run(fn(mod, name), Object.fromEntries(Object.entries(args).map(([k, a]) => [k, val(a)]))));
}

/** The error (`Unsupported` or `EvalError`) a run ends with. */
function fails(src: string, name: string, args: Record<string, Arg>): string {
  try {
    run(src, name, args);
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
  return 'no error';
}

function close(a: number[], b: number[], tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]))));
}

const HDR = 'import torch\nimport torch.nn.functional as F\nfrom torch import nn\n';
const TF = 'import tensorflow as tf\nfrom tensorflow.keras import backend as K\n';
const JAX = 'import jax\nimport jax.numpy as jnp\nfrom flax.training import common_utils\n';

describe('in-place tensor methods: one rule for the ops marked inplace', () => {
  it('spells Tensor.m_ for every method of an inplace op, as the same op', () => {
    expect(resolveMethod('abs_')?.op.id).toBe('abs');
    expect(resolveMethod('clamp_min_')?.op.id).toBe('clamp');
    expect(resolveMethod('mul_')?.op.id).toBe('mul');
    expect(resolveMethod('sigmoid_')?.op.id).toBe('sigmoid');
    expect(resolveMethod('eq_')?.op.id).toBe('eq');
    // Not for ops without an in-place form in PyTorch.
    expect(resolveMethod('sum_')).toBeUndefined();
    expect(resolveMethod('softmax_')).toBeUndefined();
    const inplace = allSpellings().filter((s) => s.kind === 'method' && s.name.endsWith('_') && s.op.inplace);
    for (const s of inplace) expect(resolveMethod(s.name.slice('Tensor.'.length))).toBe(s);
    expect(inplace.length).toBeGreaterThan(25);
  });

  it('a chain of in-place calls computes the ops and changes the receiver; y = x.mul_(a) changes x', () => {
    const r = run(`${HDR}def f(x, t):\n    w = (t - x).abs_().pow_(2).neg_()\n    return w\n`, 'f', { x: [0.2, 0.9], t: [1, 0] });
    close(r.v, [-(0.8 ** 2), -(0.9 ** 2)]);
    const s = run(`${HDR}def f(x):\n    y = x.mul_(3).add_(1)\n    return x + y\n`, 'f', { x: [1, 2] });
    close(s.v, [8, 14]);
    const u = run(`${HDR}def f(x):\n    x.clamp_(min=0.5).sqrt_()\n    return x\n`, 'f', { x: [0.25, 4] });
    close(u.v, [Math.sqrt(0.5), 2]);
  });

  it('the result keeps the receiver dtype, and a float result into an integer tensor is an error', () => {
    const r = run(`${HDR}def f(x, y):\n    x.eq_(y)\n    return x\n`, 'f', { x: [1, 2], y: [1, 3] });
    expect(r.dt).toBe('float');
    close(r.v, [1, 0]);
    expect(fails(`${HDR}def f(t):\n    t.mul_(0.5)\n    return t\n`, 'f', { t: { int: [1, 2] } })).toMatch(/EvalError: .*result type Float can't be cast to the desired output type Long/);
  });
});

describe('moveaxis / movedim', () => {
  it('moves one axis (torch, the method form) and several (jnp), the others keeping their order', () => {
    const x = [[[1, 2, 3], [4, 5, 6]]]; // [1, 2, 3]
    const r = run(`${HDR}def f(x):\n    return x.moveaxis(-1, 0)\n`, 'f', { x });
    expect(r.shape).toEqual([3, 1, 2]);
    close(r.v, [1, 4, 2, 5, 3, 6]);
    const m = run(`${HDR}def f(x):\n    return torch.movedim(x, 0, 2)\n`, 'f', { x });
    expect(m.shape).toEqual([2, 3, 1]);
    const j = run(`${JAX}def f(x):\n    return jnp.moveaxis(x, (0, 1), (2, 0))\n`, 'f', { x });
    // numpy: source axes 0, 1 go to 2, 0; axis 2 fills the free place: shape [2, 3, 1].
    expect(j.shape).toEqual([2, 3, 1]);
    close(j.v, [1, 2, 3, 4, 5, 6]);
  });
});

describe('matmul and @', () => {
  const a = [
    [1, 2],
    [3, 4],
  ];
  it('torch.matmul: matrix x matrix, matrix x vector, vector x vector, batched with broadcasting', () => {
    close(run(`${HDR}def f(a, b):\n    return torch.matmul(a, b)\n`, 'f', { a, b: [[5], [6]] }).v, [17, 39]);
    const mv = run(`${HDR}def f(a, b):\n    return a @ b\n`, 'f', { a, b: [5, 6] });
    expect(mv.shape).toEqual([2]);
    close(mv.v, [17, 39]);
    const dot = run(`${HDR}def f(a, b):\n    return b @ b\n`, 'f', { a, b: [5, 6] });
    expect(dot.shape).toEqual([]);
    close(dot.v, [61]);
    const batched = run(`${HDR}def f(a, b):\n    return torch.matmul(a, b)\n`, 'f', { a: [a, a], b: [1, 1] });
    expect(batched.shape).toEqual([2, 2]);
    close(batched.v, [3, 7, 3, 7]);
    expect(fails(`${HDR}def f(a, b):\n    return a @ b\n`, 'f', { a, b: [1, 2, 3] })).toMatch(/EvalError: .*cannot be multiplied/);
    expect(fails(`${HDR}def f(a, t):\n    return a @ t\n`, 'f', { a, t: { int: [1, 2] } })).toMatch(/EvalError: .*one dtype/);
  });

  it('tensordot: the last `axes` axes of a against the first of b (torch dims, tf / numpy axes)', () => {
    const b = [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ];
    const r = run(`${HDR}def f(a, b):\n    return torch.tensordot(a, b, dims=1)\n`, 'f', { a, b });
    expect(r.shape).toEqual([2, 4]);
    close(r.v, [8, 11, 14, 17, 16, 23, 30, 37]);
    close(run(`${TF}def f(a):\n    return tf.tensordot(a, a, 2)\n`, 'f', { a }).v, [30]);
    expect(run(`${JAX}def f(a):\n    return jnp.tensordot(a, a, axes=0)\n`, 'f', { a }).shape).toEqual([2, 2, 2, 2]);
    expect(fails(`${TF}def f(a, b):\n    return tf.tensordot(a, b, [[1], [0]])\n`, 'f', { a, b })).toMatch(/^Unsupported/);
  });

  it("numpy / JAX / Keras-backend dot: scalars multiply, vectors give their inner product, otherwise a's last axis against b's second-to-last", () => {
    const a = [
      [1, 2],
      [3, 4],
    ];
    close(run(`${JAX}def f(a, b):\n    return jnp.dot(a, b)\n`, 'f', { a: [1, 2, 3], b: [4, 5, 6] }).v, [32]);
    const mv = run(`${JAX}def f(a, b):\n    return jnp.dot(a, b)\n`, 'f', { a, b: [1, 1] });
    expect(mv.shape).toEqual([2]);
    close(mv.v, [3, 7]);
    close(run(`${JAX}def f(a):\n    return jnp.dot(a, a)\n`, 'f', { a }).v, [7, 10, 15, 22]);
    close(run(`${JAX}def f(a):\n    return jnp.dot(a, 2.0)\n`, 'f', { a }).v, [2, 4, 6, 8]);
    // [2, 2, 2] . [2, 2]: a's last axis against b's first (its second-to-last): numpy gives [[[1, 2], [3, 4]], [[1, 2], [3, 4]]] @ I.
    const b3 = run(`${JAX}def f(a, b):\n    return jnp.dot(a, b)\n`, 'f', { a: [a, a], b: [[1, 0], [0, 1]] });
    expect(b3.shape).toEqual([2, 2, 2]);
    close(b3.v, [1, 2, 3, 4, 1, 2, 3, 4]);
    // [2, 2] . [3, 2, 2]: the result is [2, 3, 2] (a's rows, then b's first and last axes).
    expect(run(`${JAX}def f(a, b):\n    return jnp.dot(a, b)\n`, 'f', { a, b: [a, a, a] }).shape).toEqual([2, 3, 2]);
    expect(fails(`${JAX}def f(a, b):\n    return jnp.dot(a, b)\n`, 'f', { a, b: [1, 2, 3] })).toMatch(/not aligned/);
    expect(fails(`import keras.backend as K\n\ndef f(a, b):\n    return K.dot(a, b)\n`, 'f', { a: [1, 2], b: [3, 4] })).toMatch(/matrices/);
  });

  it("torch.dot: the sum of products of two 1-D tensors of one dtype and size (also `x.dot(y)`); PyTorch's errors otherwise", () => {
    const r = run(`${HDR}def f(a, b):\n    return torch.dot(a, b)\n`, 'f', { a: [1, 2, 3], b: [4, 5, 6] });
    expect(r.shape).toEqual([]);
    close(r.v, [32]);
    close(run(`${HDR}def f(a, b):\n    return a.dot(b)\n`, 'f', { a: [1, 2], b: [3, -1] }).v, [1]);
    const i = run(`${HDR}def f(a, b):\n    return torch.dot(a, b)\n`, 'f', { a: { int: [1, 2] }, b: { int: [3, 4] } });
    expect([i.v, i.dt]).toEqual([[11], 'int']);
    expect(fails(`${HDR}def f(a, b):\n    return torch.dot(a, b)\n`, 'f', { a: [1, 2, 3], b: [[1], [2], [3]] })).toMatch(/EvalError: 1D tensors expected, but got 1D and 2D/);
    expect(fails(`${HDR}def f(a, b):\n    return torch.dot(a, b)\n`, 'f', { a: [1, 2, 3], b: [1, 2] })).toMatch(/EvalError: inconsistent tensor size/);
    expect(fails(`${HDR}def f(a, b):\n    return torch.dot(a, b)\n`, 'f', { a: [1, 2], b: { int: [1, 2] } })).toMatch(/EvalError: .*one dtype/);
  });

  it('tf.matmul: rank >= 2, transpose_b; tf.scalar_mul(s, x) is s * x', () => {
    close(run(`${TF}def f(a):\n    return tf.matmul(a, a, transpose_b=True)\n`, 'f', { a }).v, [5, 11, 11, 25]);
    expect(fails(`${TF}def f(a, b):\n    return tf.matmul(a, b)\n`, 'f', { a, b: [1, 2] })).toMatch(/EvalError: .*rank >= 2/);
    close(run(`${TF}def f(a):\n    return tf.math.scalar_mul(0.5, a)\n`, 'f', { a }).v, [0.5, 1, 1.5, 2]);
  });
});

describe('addmm, normalize, interpolate', () => {
  const a = [
    [1, 2],
    [3, 4],
  ];
  it('addmm: beta * input + alpha * mat1 @ mat2, also in the deprecated positional form addmm_(beta, alpha, mat1, mat2)', () => {
    close(run(`${HDR}def f(x, a):\n    return torch.addmm(x, a, a, beta=0.5, alpha=2)\n`, 'f', { x: [1, 1], a }).v, [0.5 + 14, 0.5 + 20, 0.5 + 30, 0.5 + 44]);
    const r = run(`${HDR}def f(x, a):\n    d = x * 1\n    d.addmm_(1, -2, a, a.t())\n    return d\n`, 'f', { x: [[1, 1], [1, 1]], a });
    close(r.v, [1 - 10, 1 - 22, 1 - 22, 1 - 50]);
  });

  it('F.normalize: rows of unit L2 (or L1) norm; at a zero row the gradient is 1 / eps, finite (the norm adds none), as in PyTorch', () => {
    close(run(`${HDR}def f(x):\n    return F.normalize(x)\n`, 'f', { x: [[3, 4], [0, 0]] }).v, [0.6, 0.8, 0, 0]);
    close(run(`${HDR}def f(x):\n    return F.normalize(x, p=1, dim=0)\n`, 'f', { x: [[1, 2], [3, 2]] }).v, [0.25, 0.5, 0.75, 0.5]);
    const tf = E.tf;
    const mod = moduleOf(`${HDR}def f(x):\n    return F.normalize(x)\n`);
    const g = tf.grad((z: unknown) => {
      const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
      return tf.sum(ev.run(fn(mod, 'f'), { x: { t: 'tensor', x: z, dt: 'float' } }).x);
    })(tf.tensor2d([[0, 0]]));
    close(Array.from(g.dataSync()), [1e12, 1e12]);
  });

  it('a gather by indices keeps trailing axes of size 1 (x[idx] of [N, 1] is [K, 1], as index_select)', () => {
    const r = run(`${HDR}def f(x, i):\n    return x[i] + x.index_select(0, i)\n`, 'f', { x: [[1], [2], [3]], i: { int: [2, 0] } });
    expect(r.shape).toEqual([2, 1]);
    close(r.v, [6, 2]);
  });

  it('F.interpolate of [N, C, H, W]: bilinear with and without aligned corners, nearest; 2-D input is an error', () => {
    const x = [[[[0, 1]]]]; // [1, 1, 1, 2]
    // align_corners=True: source x = dst * (2 - 1) / (4 - 1).
    close(run(`${HDR}def f(x):\n    return F.interpolate(x, size=(1, 4), mode="bilinear", align_corners=True)\n`, 'f', { x }).v, [0, 1 / 3, 2 / 3, 1]);
    // Half-pixel centres: source x = (dst + 0.5) / 2 - 0.5, clamped at 0: 0, 0.25, 0.75, 1.
    close(run(`${HDR}def f(x):\n    return F.interpolate(x, size=(1, 4), mode="bilinear")\n`, 'f', { x }).v, [0, 0.25, 0.75, 1]);
    const n = run(`${HDR}def f(x):\n    return F.interpolate(x, scale_factor=2)\n`, 'f', { x });
    expect(n.shape).toEqual([1, 1, 2, 4]);
    close(n.v, [0, 0, 1, 1, 0, 0, 1, 1]);
    expect(fails(`${HDR}def f(x):\n    return F.interpolate(x, size=(3,), mode="bilinear")\n`, 'f', { x: [[1, 2]] })).toMatch(/EvalError: Input Error: Only 3D, 4D and 5D/);
    expect(fails(`${HDR}def f(x):\n    return F.interpolate(x, size=(1, 4), mode="bicubic")\n`, 'f', { x })).toMatch(/^Unsupported/);
  });
});

describe('tf.nn.conv2d', () => {
  it('NHWC input, [h, w, in, out] filter, SAME and VALID padding, strides as TensorFlow writes them', () => {
    // A 1 x 3 x 3 x 1 image and a horizontal difference filter [[-1, 0, 1]].
    const x = [[[[1], [2], [4]], [[0], [1], [3]], [[2], [2], [2]]]];
    const src = (pad: string, strides: string) => `${TF}def f(x):\n    k = tf.constant([-1.0, 0.0, 1.0], shape=[1, 3, 1, 1])\n    return tf.nn.conv2d(x, k, strides=${strides}, padding="${pad}")\n`;
    const same = run(src('SAME', '[1, 1, 1, 1]'), 'f', { x });
    expect(same.shape).toEqual([1, 3, 3, 1]);
    // Zero padding at the borders: row [1, 2, 4] gives [2 - 0, 4 - 1, 0 - 2].
    close(same.v, [2, 3, -2, 1, 3, -1, 2, 0, -2]);
    const valid = run(src('VALID', '1'), 'f', { x });
    expect(valid.shape).toEqual([1, 3, 1, 1]);
    close(valid.v, [3, 3, 0]);
    expect(run(src('SAME', '[1, 2, 2, 1]'), 'f', { x }).shape).toEqual([1, 2, 2, 1]);
  });
});

describe('numpy average (jnp.average)', () => {
  const x = [
    [1, 2],
    [3, 6],
  ];
  it('unweighted is the mean; weights of the same shape or 1-D along the axis; returned adds the sum of the weights', () => {
    close(run(`${JAX}def f(x):\n    return jnp.average(x)\n`, 'f', { x }).v, [3]);
    close(run(`${JAX}def f(x, w):\n    return jnp.average(x, weights=w)\n`, 'f', { x, w: [[1, 0], [0, 1]] }).v, [3.5]);
    close(run(`${JAX}def f(x, w):\n    return jnp.average(x, axis=1, weights=w)\n`, 'f', { x, w: [1, 3] }).v, [(1 + 6) / 4, (3 + 18) / 4]);
    const r = run(`${JAX}def f(x, w):\n    return jnp.average(x, axis=0, weights=w, returned=True)\n`, 'f', { x, w: [1, 1] });
    close(r.items![0].v, [2, 4]);
    close(r.items![1].v, [2, 2]);
    expect(fails(`${JAX}def f(x, w):\n    return jnp.average(x, weights=w)\n`, 'f', { x, w: [1, 3] })).toMatch(/axis must be specified/);
  });
});

describe('PyTorch pairwise losses (ATen formulas) and the legacy reduction name', () => {
  const x1 = [
    [1, 0],
    [1, 1],
    [0, 2],
  ];
  const x2 = [
    [1, 1],
    [-1, -1],
    [0, 1],
  ];
  const cos = (a: number[], b: number[]) => (a[0] * b[0] + a[1] * b[1]) / Math.sqrt((a[0] ** 2 + a[1] ** 2 + 1e-12) * (b[0] ** 2 + b[1] ** 2 + 1e-12));
  it('cosine_embedding_loss: 1 - cos where the target is 1, max(0, cos - margin) where it is -1', () => {
    const t = [1, -1, -1];
    const per = x1.map((a, i) => (t[i] === 1 ? 1 - cos(a, x2[i]) : Math.max(0, cos(a, x2[i]) - 0.2)));
    const r = run(`${HDR}def f(x1, x2, t):\n    return F.cosine_embedding_loss(x1, x2, t, margin=0.2, reduction="none")\n`, 'f', { x1, x2, t });
    close(r.v, per);
    const m = run(`${HDR}def f(x1, x2, t):\n    return nn.CosineEmbeddingLoss(margin=0.2)(x1, x2, t)\n`, 'f', { x1, x2, t });
    close(m.v, [per.reduce((a, b) => a + b) / 3]);
  });

  it('margin_ranking_loss: max(0, -t (x1 - x2) + margin); inputs of different ranks are an error', () => {
    const a = [0.5, 2, -1];
    const b = [1, 1, 1];
    const t = [1, -1, 1];
    const per = a.map((v, i) => Math.max(0, -t[i] * (v - b[i]) + 0.5));
    close(run(`${HDR}def f(a, b, t):\n    return nn.MarginRankingLoss(margin=0.5, reduction="sum")(a, b, t)\n`, 'f', { a, b, t }).v, [per.reduce((p, q) => p + q)]);
    expect(fails(`${HDR}def f(a, b, t):\n    return F.margin_ranking_loss(a, b.unsqueeze(0), t)\n`, 'f', { a, b, t })).toMatch(/same dimension/);
  });

  it("reduction='elementwise_mean' is 'mean' for torch losses (PyTorch 0.4's name, still accepted)", () => {
    const p = [0.5, 2];
    const q = [1, 1];
    close(run(`${HDR}def f(p, q):\n    return F.l1_loss(p, q, reduction="elementwise_mean")\n`, 'f', { p, q }).v, [0.75]);
    const logits = [
      [1, 2],
      [0, 0],
    ];
    const ce = run(`${HDR}def f(x, t):\n    return F.cross_entropy(x, t, reduction="elementwise_mean")\n`, 'f', { x: logits, t: { int: [1, 0] } });
    close(ce.v, [(Math.log(Math.exp(1) + Math.exp(2)) - 2 + Math.log(2)) / 2]);
    expect(fails(`${HDR}def f(p, q):\n    return F.l1_loss(p, q, reduction="average")\n`, 'f', { p, q })).toMatch(/not a valid value for reduction/);
  });
});

describe('flax onehot, is_tensor, the Keras dtype policy', () => {
  it('common_utils.onehot: on_value at the label, off_value elsewhere, a row of off_value out of range', () => {
    const r = run(`${JAX}def f(t):\n    return common_utils.onehot(t, 3, on_value=0.9, off_value=0.05)\n`, 'f', { t: { int: [2, 0, 5] } });
    expect(r.shape).toEqual([3, 3]);
    close(r.v, [0.05, 0.05, 0.9, 0.9, 0.05, 0.05, 0.05, 0.05, 0.05]);
    expect(resolveQualified('flax.training.common_utils.onehot')?.op.expects?.input).toEqual({ kind: 'target_index', strong: true });
  });

  it('K.is_tensor / tf.is_tensor / torch.is_tensor of a tensor and of a number', () => {
    expect(run(`${TF}def f(x):\n    return K.is_tensor(x) and not tf.is_tensor(2.0)\n`, 'f', { x: [1] }).v).toEqual([true]);
    const r = run(`${TF}def f(x):\n    x = K.constant(x) if not K.is_tensor(x) else x\n    return x * 2\n`, 'f', { x: [1, 2] });
    close(r.v, [2, 4]);
    expect(run(`${HDR}def f(x):\n    return torch.is_tensor(x)\n`, 'f', { x: [1] }).v).toEqual([true]);
  });

  it('tf.print changes no value; a size from tf.shape(x)[i] (a one-element integer tensor) is a known size, a shape from tf.shape(x) too', () => {
    const src = `${TF}def f(x):\n    tf.print("shape", tf.shape(x))\n    return tf.reshape(x, [-1, tf.shape(x)[1], 1])\n`;
    expect(run(src, 'f', { x: [[1, 2, 3], [4, 5, 6]] }).shape).toEqual([2, 3, 1]);
    // A shape held in a 1-D integer tensor.
    expect(run(`${TF}def f(x):\n    return tf.zeros(tf.shape(x)[:-1], dtype=tf.int32) + tf.ones(tf.shape(x))[:, 0]\n`, 'f', { x: [[1, 2, 3], [4, 5, 6]] }).shape).toEqual([2]);
  });

  it("tf.keras.mixed_precision.global_policy(): the default policy, 'float32'", () => {
    const src = `${TF}def f(x):\n    policy = tf.keras.mixed_precision.global_policy()\n    return tf.cast(x, policy.compute_dtype) * tf.cast(2, policy.variable_dtype)\n`;
    const r = run(src, 'f', { x: { int: [1, 2] } });
    expect(r.dt).toBe('float');
    close(r.v, [2, 4]);
  });
});

describe('a tensor method read without a call', () => {
  it('is a bound method, not a tensor: an op given one raises as PyTorch does', () => {
    const src = `${HDR}def f(x, t):\n    logp = F.log_softmax(x, dim=1).log\n    return F.nll_loss(logp, t)\n`;
    expect(fails(src, 'f', { x: [[1, 2]], t: { int: [0] } })).toMatch(/EvalError: TypeError: .*the method \.log \(read without a call: a bug in the code/);
  });
});

describe('pad (constant)', () => {
  const x = [[1, 2, 3], [4, 5, 6]];
  it("F.pad: pairs from the last axis backwards, the value 0 unless given (PyTorch's documented example layout)", () => {
    const r = run(`${HDR}def f(x):\n    return F.pad(x, (1, 0, 0, 2))\n`, 'f', { x });
    expect(r.shape).toEqual([4, 4]);
    close(r.v, [0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
    const v = run(`${HDR}def f(x):\n    return F.pad(x, (1, 1), 'constant', 5)\n`, 'f', { x });
    expect(v.shape).toEqual([2, 5]);
    close(v.v, [5, 1, 2, 3, 5, 5, 4, 5, 6, 5]);
    expect(fails(`${HDR}def f(x):\n    return F.pad(x, (1, 0, 1))\n`, 'f', { x })).toMatch(/EvalError: Padding length must be divisible by 2/);
    expect(fails(`${HDR}def f(x):\n    return F.pad(x, (1, 1), mode='reflect')\n`, 'f', { x })).toMatch(/^Unsupported/);
    expect(fails(`${HDR}def f(x):\n    return F.pad(x, (-1, 0))\n`, 'f', { x })).toMatch(/^Unsupported.*negative/);
  });
  it('tf.pad takes one [before, after] pair per axis from the first; numpy / jnp.pad also take the int and one-pair shorthands', () => {
    const t = run(`${TF}def f(x):\n    return tf.pad(x, [[1, 0], [0, 1]], constant_values=-1)\n`, 'f', { x });
    expect(t.shape).toEqual([3, 4]);
    close(t.v, [-1, -1, -1, -1, 1, 2, 3, -1, 4, 5, 6, -1]);
    const j = run(`${JAX}def f(x):\n    return jnp.pad(x, 1)\n`, 'f', { x });
    expect(j.shape).toEqual([4, 5]);
    close(j.v.slice(5, 10), [0, 1, 2, 3, 0]);
    const k = run(`${JAX}def f(x):\n    return jnp.pad(x, (0, 2))\n`, 'f', { x });
    expect(k.shape).toEqual([4, 5]);
    close(k.v.slice(0, 5), [1, 2, 3, 0, 0]);
    expect(fails(`${TF}def f(x):\n    return tf.pad(x, [[1, 0]])\n`, 'f', { x })).toMatch(/EvalError: .*pad widths/);
  });
  it('the gradient reaches the original elements only', () => {
    const tf = E.tf;
    const mod = moduleOf(`${HDR}def f(x):\n    y = F.pad(x, (1, 1, 1, 0), value=3.0)\n    return (y * y).sum()\n`);
    const g = tf.grad((z: unknown) => {
      const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
      return ev.run(fn(mod, 'f'), { x: { t: 'tensor', x: z, dt: 'float' } }).x;
    })(tf.tensor2d(x));
    close(Array.from(g.dataSync()), [2, 4, 6, 8, 10, 12]);
  });
});

describe('Keras 2 backend constants under keras.backend.common', () => {
  it('K.common.epsilon(), floatx(), image_data_format(): the same constants as K.epsilon() (1e-7), float32, channels_last', () => {
    const r = run(`${TF}def f(x):\n    return tf.clip_by_value(x, K.common.epsilon(), 1 - K.common.epsilon())\n`, 'f', { x: [0, 0.5, 1] });
    close(r.v, [1e-7, 0.5, 1 - 1e-7]);
    expect(run(`${TF}def f(x):\n    return K.common.floatx()\n`, 'f', { x: 0 }).v).toEqual(['float32']);
    expect(run(`${TF}def f(x):\n    return K.common.image_data_format()\n`, 'f', { x: 0 }).v).toEqual(['channels_last']);
  });
});

describe('take', () => {
  const x = [[1, 2, 3], [4, 5, 6]];
  it('torch.take / Tensor.take and jnp.take without an axis read the flattened input (their documented semantics)', () => {
    close(run(`${HDR}def f(x, i):\n    return torch.take(x, i)\n`, 'f', { x, i: { int: [0, 5, -1] } }).v, [1, 6, 6]);
    close(run(`${HDR}def f(x, i):\n    return x.take(i)\n`, 'f', { x, i: { int: [[4, 1]] } }).v, [5, 2]);
    close(run(`${JAX}def f(x, i):\n    return jnp.take(x, i)\n`, 'f', { x, i: { int: [3] } }).v, [4]);
    expect(fails(`${HDR}def f(x, i):\n    return torch.take(x, i)\n`, 'f', { x, i: { int: [6] } })).toMatch(/EvalError: out of range/);
  });
  it("an array's .take(i, axis=a) (numpy, JAX) reads along the axis; an integer index drops it", () => {
    const r = run(`${JAX}def f(x):\n    return x.take(0, axis=-1)\n`, 'f', { x });
    expect(r.shape).toEqual([2]);
    close(r.v, [1, 4]);
    const s = run(`${JAX}def f(x, i):\n    return x.take(i, axis=0)\n`, 'f', { x, i: { int: [1, 1] } });
    expect(s.shape).toEqual([2, 3]);
    close(s.v, [4, 5, 6, 4, 5, 6]);
  });
  it('tf.gather without an axis still reads rows', () => {
    close(run(`${TF}def f(x, i):\n    return tf.gather(x, i)\n`, 'f', { x, i: { int: [1] } }).v, [4, 5, 6]);
  });
});

describe('TensorFlow DataType enum numbers as dtypes', () => {
  it('tf.ones(n, 1) is float32 (DT_FLOAT = 1), 3 is int32, 10 bool, as tf.as_dtype reads them; a number is no numpy dtype', () => {
    const r = run(`${TF}def f(x):\n    return tf.ones(3, 1)\n`, 'f', { x: 0 });
    expect(r.shape).toEqual([3]);
    expect(r.dt).toBe('float');
    expect(run(`${TF}def f(x):\n    return tf.zeros([2], 3)\n`, 'f', { x: 0 }).dt).toBe('int');
    expect(run(`${TF}def f(x):\n    return tf.ones([2], dtype=10)\n`, 'f', { x: 0 }).dt).toBe('bool');
    expect(fails(`${TF}def f(x):\n    return tf.ones([2], 7)\n`, 'f', { x: 0 })).toMatch(/^Unsupported/);
    expect(fails(`${JAX}def f(x):\n    return jnp.ones([2], 1)\n`, 'f', { x: 0 })).toMatch(/^Unsupported/);
  });
});

describe('TensorFlow 1 names', () => {
  it("tf.div: Python 2's division (true division of floats, floor division of integers)", () => {
    close(run(`${TF}def f(x):\n    return tf.div(x, 2.0)\n`, 'f', { x: [1, -3] }).v, [0.5, -1.5]);
    const i = run(`${TF}def f(x):\n    return tf.div(x, 2)\n`, 'f', { x: { int: [7, -3] } });
    expect(i.dt).toBe('int');
    close(i.v, [3, -2]);
  });
  it('tensorflow.compat.v1 context managers are the TF 2 ones (name_scope computes nothing)', () => {
    const src = 'import tensorflow.compat.v1 as tf\ndef f(x):\n    with tf.name_scope("loss"):\n        return tf.reduce_sum(x)\n';
    close(run(src, 'f', { x: [1, 2] }).v, [3]);
  });
});

describe('torch.tensor of a list of tensors', () => {
  it('one-element tensors become numbers; tensors of several elements raise as PyTorch does (ValueError)', () => {
    const r = run(`${HDR}def f(x):\n    return torch.tensor([x.sum(), x.max()])\n`, 'f', { x: [1, 2] });
    close(r.v, [3, 2]);
    expect(fails(`${HDR}def f(x):\n    return torch.tensor([x, x])\n`, 'f', { x: [1, 2] })).toMatch(/EvalError: only one element tensors can be converted to Python scalars/);
    expect(fails(`${JAX}def f(x):\n    return jnp.array([x, x])\n`, 'f', { x: [1, 2] })).toMatch(/^Unsupported/);
  });
});

describe("numpy's append and starred items of a display", () => {
  it('jnp.append: both flattened and joined without an axis; joined along the axis with one (same rank)', () => {
    const flat = run(`${JAX}def f(a, b):\n    return jnp.append(1 - a, b)\n`, 'f', { a: [[1, 2]], b: [3] });
    expect(flat.shape).toEqual([3]);
    close(flat.v, [0, -1, 3]);
    const rows = run(`${JAX}def f(a, b):\n    return jnp.append(a, b, axis=0)\n`, 'f', { a: [[1, 2]], b: [[3, 4]] });
    expect(rows.shape).toEqual([2, 2]);
    close(rows.v, [1, 2, 3, 4]);
    const mixed = run(`${JAX}def f(a, b):\n    return jnp.append(a, b)\n`, 'f', { a: { int: [1] }, b: [0.5] });
    expect([mixed.v, mixed.dt]).toEqual([[1, 0.5], 'float']);
    expect(fails(`${JAX}def f(a, b):\n    return jnp.append(a, b, axis=0)\n`, 'f', { a: [[1, 2]], b: [3, 4] })).toMatch(/EvalError: .*same number of dimensions/);
  });

  it('itertools.product: the tuples of the cartesian product, the last iterable fastest; `repeat`', () => {
    const r = run(`import itertools\ndef f(x):\n    return [a * 10 + b for a, b in itertools.product(range(2), [5, 6])]\n`, 'f', { x: [1] });
    expect(r.items!.map((i) => i.v[0])).toEqual([5, 6, 15, 16]);
    expect(run(`import itertools\ndef f(x):\n    return len(list(itertools.product([0, 1], repeat=3)))\n`, 'f', { x: [1] }).v).toEqual([8]);
  });

  it('`*xs` in a list or tuple display expands to the items (`[*x.shape][0]`, `(*x.shape[:1], 1)`)', () => {
    const r = run(`${HDR}def f(x):\n    return [*x.shape][0] + len((*x.shape[1:], 1, *[2, 3]))\n`, 'f', { x: [[1, 2, 3], [4, 5, 6]] });
    expect(r.v).toEqual([2 + 4]);
    expect(fails(`${HDR}def f(x):\n    return [*x.shape.nope]\n`, 'f', { x: [1] })).toMatch(/nope/);
  });
});

describe('Keras sparse categorical cross-entropy over a sequence', () => {
  it('takes labels of the predictions\' shape without the class axis ([N, L] of [N, L, C]), or with a trailing 1; others raise', () => {
    const p = [
      [
        [0.5, 0.25, 0.25],
        [0.1, 0.8, 0.1],
      ],
    ];
    const r = run(`${TF}def f(p, t):\n    return K.sparse_categorical_crossentropy(t, p)\n`, 'f', { p, t: { int: [[0, 1]] } });
    expect(r.shape).toEqual([1, 2]);
    close(r.v, [-Math.log(0.5), -Math.log(0.8)]);
    close(run(`${TF}def f(p, t):\n    return K.sparse_categorical_crossentropy(t, p)\n`, 'f', { p: p[0], t: [[1], [2]] }).v, [-Math.log(0.25), -Math.log(0.1)]);
    expect(fails(`${TF}def f(p, t):\n    return K.sparse_categorical_crossentropy(t, p)\n`, 'f', { p: p[0], t: [[0, 1, 0], [1, 0, 0]] })).toMatch(/EvalError: .*labels of shape \[2,3\]/);
  });
});
