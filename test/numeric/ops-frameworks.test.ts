/**
 * TensorFlow, Keras and JAX lowerings against their documented formulas, on tfjs: neither
 * TensorFlow nor JAX installs here, so each lowering is checked against the formula its framework
 * documents (computed by hand below), with that framework's semantics (axis defaults, what a loss
 * class reduces, TensorFlow's `where(cond)` as coordinates, `gather(batch_dims=1)`), and entry
 * points written as Keras code writes them (a factory's inner loss, a Loss subclass's `call`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { planModule } from '../../server/src/numeric/roles';
import { canonicalName } from '../../server/src/ops';
import { moduleOf } from '../../server/src/numeric/runner';
import { fn, loadEngine } from './helpers';

let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

type Arg = number[] | number[][] | number[][][] | { int: number[] | number[][] } | number;

function val(a: Arg): unknown {
  const tf = E.tf;
  if (typeof a === 'number') return { t: 'num', v: a, int: Number.isInteger(a) };
  if (!Array.isArray(a)) return { t: 'tensor', x: tf.tensor(a.int, undefined, 'int32'), dt: 'int' };
  return { t: 'tensor', x: tf.tensor(a), dt: 'float' };
}

function run(src: string, name: string, args: Record<string, Arg>, valuesOnly = false): { v: number[]; shape: number[] } {
  const mod = moduleOf(src);
  const ev = new E.Evaluator(mod, { maxElements: 1 << 20, ...(valuesOnly ? { valuesOnly } : {}) });
  const out = ev.run(fn(mod, name), Object.fromEntries(Object.entries(args).map(([k, a]) => [k, val(a)])));
  if (out.t === 'num') return { v: [out.v], shape: [] };
  if (out.t === 'list') return { v: out.items.flatMap((i: { x: { dataSync(): ArrayLike<number> } }) => Array.from(i.x.dataSync())), shape: [out.items.length] };
  return { v: Array.from(out.x.dataSync() as Float32Array), shape: out.x.shape };
}

function close(a: number[], b: number[], tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]))));
}

const EPS = 1e-7;
const clip = (p: number) => Math.min(Math.max(p, EPS), 1 - EPS);
const sig = (z: number) => 1 / (1 + Math.exp(-z));
const TF = 'import tensorflow as tf\nfrom tensorflow import keras\nfrom tensorflow.keras import backend as K\n';

describe('Keras and TF Addons focal losses (their documented formulas)', () => {
  const y = [
    [1, 0],
    [0, 1],
  ];
  const p = [
    [0.9, 0.2],
    [0.3, 0.6],
  ];
  const bce = (t: number, q: number) => -(t * Math.log(clip(q)) + (1 - t) * Math.log(1 - clip(q)));

  it('keras.losses.binary_focal_crossentropy: (1 - p_t)^gamma * bce, alpha_t only with apply_class_balancing, mean over the last axis', () => {
    const fl = (t: number, q: number, g: number, a?: number) => {
      const pt = t * q + (1 - t) * (1 - q);
      const w = a === undefined ? 1 : t * a + (1 - t) * (1 - a);
      return w * (1 - pt) ** g * bce(t, q);
    };
    const r = run(`${TF}def f(y_true, y_pred):\n    return keras.losses.binary_focal_crossentropy(y_true, y_pred, gamma=2.0)\n`, 'f', { y_true: y, y_pred: p });
    close(r.v, y.map((row, i) => (fl(row[0], p[i][0], 2) + fl(row[1], p[i][1], 2)) / 2));
    const b = run(`${TF}def f(y_true, y_pred):\n    return keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25, gamma=2.0)(y_true, y_pred)\n`, 'f', { y_true: y, y_pred: p });
    const per = y.map((row, i) => (fl(row[0], p[i][0], 2, 0.25) + fl(row[1], p[i][1], 2, 0.25)) / 2);
    close(b.v, [(per[0] + per[1]) / 2]);
  });

  it('keras.losses.categorical_focal_crossentropy: sum over classes of alpha (1 - p)^gamma (-t log p), p renormalised and clipped', () => {
    const q = [
      [0.7, 0.2, 0.1],
      [0.1, 0.1, 0.8],
    ];
    const t = [
      [1, 0, 0],
      [0, 1, 0],
    ];
    const r = run(`${TF}def f(y_true, y_pred):\n    return keras.losses.categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0)\n`, 'f', { y_true: t, y_pred: q });
    close(
      r.v,
      t.map((row, i) => row.reduce((s, ti, j) => s + 0.25 * (1 - clip(q[i][j])) ** 2 * -ti * Math.log(clip(q[i][j])), 0)),
    );
  });

  it('tfa.losses.sigmoid_focal_crossentropy: alpha_t and (1 - p_t)^gamma times Keras bce, summed over the last axis; from_logits takes the sigmoid', () => {
    const z = [
      [2, -1],
      [-0.5, 0.5],
    ];
    const fl = (t: number, x: number) => {
      const q = sig(x);
      const ce = Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
      const pt = t * q + (1 - t) * (1 - q);
      return (t * 0.25 + (1 - t) * 0.75) * (1 - pt) ** 2 * ce;
    };
    const r = run('import tensorflow_addons as tfa\ndef f(y_true, y_pred):\n    return tfa.losses.sigmoid_focal_crossentropy(y_true, y_pred, from_logits=True)\n', 'f', { y_true: y, y_pred: z });
    close(r.v, y.map((row, i) => fl(row[0], z[i][0]) + fl(row[1], z[i][1])));
  });

  it('Keras 3: a loss class with reduction=None does not reduce', () => {
    const r = run(`${TF}def f(y_true, y_pred):\n    return keras.losses.BinaryFocalCrossentropy(reduction=None)(y_true, y_pred)\n`, 'f', { y_true: y, y_pred: p });
    expect(r.shape).toEqual([2]);
  });
});

describe('TF1 losses (SUM_BY_NONZERO_WEIGHTS)', () => {
  it('tf.losses.softmax_cross_entropy / sigmoid_cross_entropy / sparse_softmax_cross_entropy: weighted mean over the non-zero weights', () => {
    const z = [
      [1, 2, 0],
      [0.5, -1, 2],
    ];
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const ce = [lse(z[0]) - z[0][1], lse(z[1]) - z[1][2]];
    close(run(`${TF}def f(labels, logits):\n    return tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)\n`, 'f', { labels: { int: [1, 2] }, logits: z }).v, [(ce[0] + ce[1]) / 2]);
    close(
      run(`${TF}def f(onehot, logits):\n    return tf.losses.softmax_cross_entropy(onehot, logits, weights=tf.constant([1.0, 0.0]))\n`, 'f', {
        onehot: [
          [0, 1, 0],
          [0, 0, 1],
        ],
        logits: z,
      }).v,
      [ce[0]],
    );
    const b = (t: number, x: number) => Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    close(run(`${TF}def f(t, x):\n    return tf.losses.sigmoid_cross_entropy(t, x)\n`, 'f', { t: [[1, 0]], x: [[0.5, -2]] }).v, [(b(1, 0.5) + b(0, -2)) / 2]);
  });
});

describe('TF and JAX ops: shapes, gathers, selections', () => {
  it('tf.where(cond) gives [K, rank] coordinates; torch.where(cond) one index vector per axis', () => {
    const tfw = run(`${TF}def f(x):\n    return tf.where(x > 0)\n`, 'f', { x: [[1, -1], [-2, 3]] });
    close(tfw.v, [0, 0, 1, 1]);
    expect(tfw.shape).toEqual([2, 2]);
    const tw = run('import torch\ndef f(x):\n    return torch.where(x > 0)\n', 'f', { x: [[1, -1], [-2, 3]] });
    close(tw.v, [0, 1, 0, 1]);
  });

  it('tf.gather_nd, tf.boolean_mask, tf.gather(batch_dims=1), tf.range of a shape, tf.shape', () => {
    close(run(`${TF}def f(x, i):\n    return tf.gather_nd(x, i)\n`, 'f', { x: [[1, 2], [3, 4]], i: { int: [[0, 1], [1, 0]] } }).v, [2, 3]);
    close(run(`${TF}def f(x):\n    return tf.boolean_mask(x, x > 1)\n`, 'f', { x: [1, 2, 3] }).v, [2, 3]);
    close(run(`${TF}def f(x, t):\n    return tf.gather(x, t, axis=-1, batch_dims=1)\n`, 'f', { x: [[1, 2], [3, 4]], t: { int: [[1, 1], [0, 1]] } }).v, [2, 2, 3, 4]);
    const r = run(`${TF}def f(x):\n    idx = tf.stack([tf.range(tf.shape(x)[0]), tf.range(tf.shape(x)[0])], axis=1)\n    return tf.gather_nd(x, idx)\n`, 'f', { x: [[1, 2], [3, 4]] });
    close(r.v, [1, 4]);
  });

  it('TF and JAX reductions keep their defaults: reduce_std is the population deviation, jnp.cumsum flattens without an axis', () => {
    close(run(`${TF}def f(x):\n    return tf.math.reduce_std(x)\n`, 'f', { x: [1, 3] }).v, [1]);
    close(run('import torch\ndef f(x):\n    return torch.std(x)\n', 'f', { x: [1, 3] }).v, [Math.SQRT2]);
    close(run('import jax.numpy as jnp\ndef f(x):\n    return jnp.cumsum(x)\n', 'f', { x: [[1, 2], [3, 4]] }).v, [1, 3, 6, 10]);
    close(run(`${TF}def f(x):\n    return tf.math.divide_no_nan(x, x - 1)\n`, 'f', { x: [1, 2] }).v, [0, 2]);
  });

  it('flax.linen activations are jax.nn\'s; jnp.astype casts; jax.lax.select wants one shape', () => {
    const x = [1, 2, 3];
    const lse = Math.log(x.reduce((s, v) => s + Math.exp(v), 0));
    close(run('from flax import linen as nn\ndef f(x):\n    return nn.log_softmax(x)\n', 'f', { x }).v, x.map((v) => v - lse));
    expect(run('import jax.numpy as jnp\ndef f(x):\n    return jnp.astype(x > 1, jnp.float32) * 2\n', 'f', { x }).v).toEqual([0, 2, 2]);
    expect(() => run('import jax\nimport jax.numpy as jnp\ndef f(x):\n    return jax.lax.select(x > 1, x, 0.0)\n', 'f', { x })).toThrow();
  });

  it("flax.nnx's activations are jax.nn's; jax.nn.gelu is the tanh approximation (approximate=False refused)", () => {
    const x = [-2, 0, 1, 3];
    // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), computed by hand.
    close(run('from flax import nnx\ndef f(x):\n    return nnx.gelu(x)\n', 'f', { x }).v, [-0.0454023, 0, 0.841192, 2.9963626]);
    const lse = Math.log(x.reduce((s, v) => s + Math.exp(v), 0));
    close(run('from flax import nnx\ndef f(x):\n    return nnx.log_softmax(x)\n', 'f', { x }).v, x.map((v) => v - lse));
    expect(() => run('import jax\ndef f(x):\n    return jax.nn.gelu(x, approximate=False)\n', 'f', { x })).toThrow(/approximate=False/);
    // nnx's own transforms are no jax.nn names: `@nnx.jit` stays nnx's (decorators.ts keeps it).
    expect(canonicalName('flax.nnx.jit')).toBe('flax.nnx.jit');
    expect(canonicalName('flax.nnx.gelu')).toBe('jax.nn.gelu');
  });

  it('a cast to a Python type casts to that kind (`(y == 1.).astype(int)`, `.astype(float)`, `.astype(bool)`)', () => {
    const x = [0.5, 1, 3];
    // An int cast truncates, a bool cast is non-zero: `(x * 2).astype(int)` is [1, 2, 6], `(x - 1).astype(bool)` [True, False, True].
    expect(run('import jax.numpy as jnp\ndef f(x):\n    return (x * 2).astype(int) + (x == 1.).astype(int)\n', 'f', { x }).v).toEqual([1, 3, 6]);
    expect(run('import jax.numpy as jnp\ndef f(x):\n    return jnp.sum((x - 1).astype(bool).astype(float))\n', 'f', { x }).v).toEqual([2]);
    expect(run('import numpy as np\ndef f(x):\n    return (x > 1).astype(float) * 2\n', 'f', { x }).v).toEqual([0, 0, 2]);
    // A type that is no dtype stays refused.
    expect(() => run('import jax.numpy as jnp\ndef f(x):\n    return x.astype(str)\n', 'f', { x })).toThrow(/cast to type/);
  });

  it('tf.cond and jax.lax.cond take the branch their (known) predicate picks', () => {
    close(run(`${TF}def f(x, k=2):\n    return tf.cond(k > 1, lambda: x * 2, lambda: x * 3)\n`, 'f', { x: [1] }).v, [2]);
    close(run('import jax\ndef f(x):\n    return jax.lax.cond(False, lambda v: v * 2, lambda v: v * 3, x)\n', 'f', { x: [1] }).v, [3]);
  });

  it('jax.jit, partial(jax.jit, static_argnums=...) and jax.checkpoint evaluate the function they wrap; jit of a non-function is refused', () => {
    const cls = 'import jax\nimport jax.numpy as jnp\nclass L:\n    def __init__(self, eps=0.5):\n        self.eps = eps\n        self.loss = jax.jit(self.loss)\n    def loss(self, p, t):\n        return -jnp.mean(t * jnp.log(p + self.eps))\n    def __call__(self, p, t):\n        return self.loss(p, t)\n';
    close(run(cls, 'L.__call__', { p: [0.5, 1.5], t: [1, 1] }).v, [-(Math.log(1) + Math.log(2)) / 2]);
    const st = 'import jax\nimport jax.numpy as jnp\nfrom functools import partial\ndef g(x, k):\n    return jnp.sum(x) * k\ndef f(x):\n    h = partial(jax.jit, static_argnums=(1,))(g)\n    return jax.checkpoint(h)(x, 3)\n';
    close(run(st, 'f', { x: [1, 2] }).v, [9]);
    expect(() => run('import jax\ndef f(x):\n    return jax.jit(2)(x)\n', 'f', { x: [1] })).toThrow(/unsupported `jax.jit of/);
  });

  it('a tensor compared with None by == or != is an identity test (a Python bool), as in PyTorch, TensorFlow and JAX', () => {
    const src = 'import jax.numpy as jnp\ndef f(x, w):\n    l = x * 2\n    if w != None:\n        l = l * w\n    if x == None:\n        l = l * 0\n    return l\n';
    close(run(src, 'f', { x: [1, 2], w: [3, 4] }).v, [6, 16]);
  });

  /** Values and gradient of sum(f(x, ...)) w.r.t. x. */
  function vg(src: string, name: string, x: number[], args: Record<string, Arg> = {}): { v: number[]; g: number[] } {
    const mod = moduleOf(src);
    const tf = E.tf;
    let v: number[] = [];
    const g = tf.grad((z: unknown) => {
      const out = new E.Evaluator(mod, { maxElements: 1 << 20 }).run(fn(mod, name), { x: { t: 'tensor', x: z, dt: 'float' }, ...Object.fromEntries(Object.entries(args).map(([k, a]) => [k, val(a)])) });
      v = Array.from(out.x.dataSync() as Float32Array);
      return tf.sum(out.x);
    })(tf.tensor(x));
    return { v, g: Array.from(g.dataSync() as Float32Array) };
  }
  const VJP = 'import jax\nimport jax.numpy as jnp\n@jax.custom_vjp\ndef f(x, k):\n    return x ** 2 * k\ndef f_fwd(x, k):\n    return f(x, k), (x * 1.0, k)\ndef f_bwd(res, g):\n    x, k = res\n    return (jnp.where(x > 5, jnp.nan, g * 10 * x), None)\nf.defvjp(f_fwd, f_bwd)\n';

  it('jax.custom_vjp: the value is the primal function\'s, the gradient the user\'s bwd rule (a NaN it returns shows)', () => {
    const r = vg(VJP, 'f', [1, 2, 10], { k: 3 });
    close(r.v, [3, 12, 300]);
    expect(r.g.slice(0, 2)).toEqual([10, 20]);
    expect(r.g[2]).toBeNaN();
    const caller = `${VJP}def loss(x):\n    return jnp.mean(f(x, 1.0))\n`;
    close(vg(caller, 'loss', [1, 2]).g, [5, 10]);
  });

  it('jax.custom_vjp with a tuple output: bwd gets the cotangents as a tuple; an unused output\'s cotangent is zero', () => {
    const src = 'import jax\nimport jax.numpy as jnp\n@jax.custom_vjp\ndef f(x):\n    return x * 2, jnp.sum(x)\ndef fwd(x):\n    return f(x), x\ndef bwd(x, g):\n    ga, gb = g\n    return (ga * 7 + gb * 100,)\nf.defvjp(fwd, bwd)\ndef loss(x):\n    a, b = f(x)\n    return a\n';
    const r = vg(src, 'loss', [1, 2]);
    close(r.v, [2, 4]);
    close(r.g, [7, 7]);
  });

  it('jax.custom_jvp: the gradient is the transpose of the rule\'s tangent map; zero tangents of the other arguments add nothing', () => {
    const src = 'import jax\nimport jax.numpy as jnp\n@jax.custom_jvp\ndef f(x, w):\n    return w * jax.nn.log_softmax(x)\ndef f_jvp(primals, tangents):\n    x, w = primals\n    x_dot, w_dot = tangents\n    y = f(x, w)\n    return y, 3.0 * w * x_dot + w_dot * jnp.log(w * 0.0)\nf.defjvp(f_jvp)\n';
    const x = [1, 2];
    const lse = Math.log(Math.exp(1) + Math.exp(2));
    const r = vg(src, 'f', x, { w: [1, 0.5] });
    close(r.v, [1 - lse, 0.5 * (2 - lse)]);
    close(r.g, [3, 1.5]);
  });

  it('custom rules taking nondiff_argnums (more than two parameters) stay refused', () => {
    const src = 'import jax\nfrom functools import partial\n@partial(jax.custom_vjp, nondiff_argnums=(1,))\ndef f(x, k):\n    return x * k\ndef fwd(x, k):\n    return f(x, k), None\ndef bwd(k, res, g):\n    return (g * k,)\nf.defvjp(fwd, bwd)\n';
    expect(() => run(src, 'f', { x: [1, 2], k: 2 })).toThrow(/defines its own gradient \(jax.custom_vjp: a rule of 3 parameters\)/);
  });
});

describe('Keras entry points', () => {
  it('a Loss subclass reads self.reduction set by Loss.__init__ (Keras 3: sum_over_batch_size)', () => {
    const src = `${TF}class Focal(keras.losses.Loss):\n    def __init__(self, gamma=2.0, **kwargs):\n        super().__init__(**kwargs)\n        self.gamma = gamma\n    def call(self, y_true, y_pred):\n        loss = y_true * tf.pow(1.0 - y_pred, self.gamma)\n        if self.reduction == "sum_over_batch_size":\n            return tf.reduce_mean(loss)\n        return loss\n`;
    close(run(src, 'Focal.call', { y_true: [1, 1], y_pred: [0.5, 0] }).v, [(0.25 + 1) / 2]);
  });

  it('a factory with required hyperparameters: the probe plan supplies typical values and names them', () => {
    const mod = moduleOf(`${TF}def focal_loss(alpha, gamma):\n    def focal_loss_fixed(y_true, y_pred):\n        y_pred = tf.clip_by_value(y_pred, K.epsilon(), 1 - K.epsilon())\n        return -alpha * tf.pow(1 - y_pred, gamma) * y_true * tf.math.log(y_pred)\n    return focal_loss_fixed\n`);
    const plan = planModule(mod).find((p) => p.qualname === 'focal_loss.focal_loss_fixed')!;
    expect(plan.fill).toEqual({ alpha: { value: 0.25, why: 'typical' }, gamma: { value: 2, why: 'typical' } });
    expect(plan.gamma?.values).toEqual([2, 0.5]);
  });
});

describe('optax losses (their documented formulas)', () => {
  const OX = 'import optax\nimport jax.numpy as jnp\n';
  const soft = (z: number) => Math.log1p(Math.exp(z));

  it('optax.sigmoid_focal_loss: ce (1 - p_t)^gamma, alpha_t only when alpha is given, soft labels, labels broadcast; finite gradient at gamma < 1 where p_t rounds to 1', () => {
    const x = [2, -1, 0.5, 3];
    const y = [1, 0, 0.3, 1];
    const fl = (z: number, t: number, g: number, a?: number) => {
      const p = sig(z);
      const pt = p * t + (1 - p) * (1 - t);
      const ce = t * soft(-z) + (1 - t) * soft(z);
      const l = ce * (1 - pt) ** g;
      return a === undefined ? l : (a * t + (1 - a) * (1 - t)) * l;
    };
    close(run(`${OX}def f(x, y):\n    return optax.sigmoid_focal_loss(x, y)\n`, 'f', { x, y }).v, x.map((z, i) => fl(z, y[i], 2)), 1e-4);
    close(run(`${OX}def f(x, y):\n    return optax.losses.sigmoid_focal_loss(x, y, alpha=0.25, gamma=0.5)\n`, 'f', { x, y }).v, x.map((z, i) => fl(z, y[i], 0.5, 0.25)), 1e-4);
    const b = run(`${OX}def f(x, y):\n    return optax.sigmoid_focal_loss(x, y, gamma=1.0)\n`, 'f', { x: [[1, -2], [0, 3]], y: [1, 0] });
    expect(b.shape).toEqual([2, 2]);
    close(b.v, [fl(1, 1, 1), fl(-2, 0, 1), fl(0, 1, 1), fl(3, 0, 1)], 1e-4);
    const mod = moduleOf(`${OX}def f(x, y):\n    return optax.sigmoid_focal_loss(x, y, gamma=0.5).sum()\n`);
    const tf = E.tf;
    const g = tf.grad((z: unknown) => new E.Evaluator(mod, { maxElements: 1 << 20 }).run(fn(mod, 'f'), { x: { t: 'tensor', x: z, dt: 'float' }, y: val([1, 0]) }).x)(tf.tensor([40, -40]));
    expect(Array.from(g.dataSync() as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('optax.sigmoid_binary_cross_entropy broadcasts labels; softmax_cross_entropy_with_integer_labels keeps leading axes; where= is refused', () => {
    const r = run(`${OX}def f(x, y):\n    return optax.sigmoid_binary_cross_entropy(x, y)\n`, 'f', { x: [[1, -2], [0, 3]], y: [1, 0] });
    close(r.v, [soft(-1), soft(-2), soft(0), soft(3)]);
    const x = [[[1, 2, 3], [0, 0, 0]]];
    const lse = (v: number[]) => Math.log(v.reduce((s, q) => s + Math.exp(q), 0));
    const s = run(`${OX}def f(x, y):\n    return optax.softmax_cross_entropy_with_integer_labels(x, y)\n`, 'f', { x, y: { int: [[2, 1]] } });
    expect(s.shape).toEqual([1, 2]);
    close(s.v, [lse([1, 2, 3]) - 3, lse([0, 0, 0])]);
    expect(() => run(`${OX}def f(x, y):\n    return optax.softmax_cross_entropy(x, y, where=y > 0)\n`, 'f', { x: [1, 2], y: [0, 1] })).toThrow(/unsupported `optax.softmax_cross_entropy\(where=\)`/);
  });

  it('optax.squared_error, l2_loss, huber_loss (targets optional) and smooth_labels', () => {
    close(run(`${OX}def f(x, y):\n    return optax.squared_error(x, y)\n`, 'f', { x: [1, 3], y: [0, 1] }).v, [1, 4]);
    close(run(`${OX}def f(x):\n    return optax.l2_loss(x)\n`, 'f', { x: [1, 3] }).v, [0.5, 4.5]);
    close(run(`${OX}def f(x, y):\n    return optax.huber_loss(x, y, delta=2.0)\n`, 'f', { x: [1, 5, -4], y: [0, 0, 0] }).v, [0.5, 0.5 * 4 + 2 * 3, 0.5 * 4 + 2 * 2]);
    close(run(`${OX}def f(y):\n    return optax.smooth_labels(y, 0.1)\n`, 'f', { y: [[0, 1, 0, 0]] }).v, [0.025, 0.925, 0.025, 0.025]);
  });
});

describe('jax.image.resize', () => {
  it('is the image itself at its own shape (any method), nearest-neighbour picks floor((i + 0.5) in / out) otherwise; antialiased methods to another shape are refused', () => {
    const src = (shape: string, method: string) => `import jax\ndef f(x):\n    return jax.image.resize(x, shape=${shape}, method="${method}", antialias=True)\n`;
    const x = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ];
    expect(run(src('[2, 4]', 'linear'), 'f', { x }).v).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const down = run(src('(2, 2)', 'nearest'), 'f', { x });
    expect(down.shape).toEqual([2, 2]);
    expect(down.v).toEqual([2, 4, 6, 8]);
    const up = run(src('[4, 4]', 'nearest'), 'f', { x });
    expect(up.v).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8]);
    expect(() => run(src('[2, 2]', 'bilinear'), 'f', { x })).toThrow(/unsupported `jax.image.resize\(method=bilinear\) to another shape`/);
  });
});

describe('einsum', () => {
  it('jnp.einsum: explicit and implicit outputs, batched products, transposes, ellipses; diagonals refused', () => {
    const J = 'import jax.numpy as jnp\n';
    const a = [
      [1, 2],
      [3, 4],
    ];
    const b = [
      [5, 6],
      [7, 8],
    ];
    expect(run(`${J}def f(x, y):\n    return jnp.einsum('ij,jk->ik', x, y)\n`, 'f', { x: a, y: b }).v).toEqual([19, 22, 43, 50]);
    expect(run(`${J}def f(x, y):\n    return jnp.einsum('ij,jk', x, y)\n`, 'f', { x: a, y: b }).v).toEqual([19, 22, 43, 50]);
    expect(run(`${J}def f(x):\n    return jnp.einsum('ij->ji', x)\n`, 'f', { x: a }).v).toEqual([1, 3, 2, 4]);
    const bn = run(`${J}def f(x, y):\n    return jnp.einsum('bnp,bnp->bn', x, y)\n`, 'f', { x: [[[1, 2], [3, 4]]], y: [[[5, 6], [7, 8]]] });
    expect(bn.shape).toEqual([1, 2]);
    expect(bn.v).toEqual([17, 53]);
    const pairs = run(`${J}def f(x, y):\n    return jnp.einsum('bnp,bkp->bnk', x, y)\n`, 'f', { x: [[[1, 2], [3, 4]]], y: [[[5, 6], [7, 8], [1, 0]]] });
    expect(pairs.shape).toEqual([1, 2, 3]);
    expect(pairs.v).toEqual([17, 23, 1, 39, 53, 3]);
    expect(() => run(`${J}def f(x):\n    return jnp.einsum('ii->i', x)\n`, 'f', { x: a })).toThrow(/unsupported `jax.numpy.einsum with a repeated index/);
    // An ellipsis: the axes the letters leave, broadcast between operands on the right, leading an implicit output.
    const w = run(`${J}def f(x, y):\n    return jnp.einsum('...y,y->...', x, y)\n`, 'f', { x: [[[1, 0], [0, 1], [1, 1]]], y: [2, 3] });
    expect(w).toEqual({ v: [2, 3, 5], shape: [1, 3] });
    expect(run(`${J}def f(x, y):\n    return jnp.einsum('...y,y', x, y)\n`, 'f', { x: [[[1, 0], [0, 1], [1, 1]]], y: [2, 3] }).shape).toEqual([1, 3]);
    const bm = run(`${J}def f(x, y):\n    return jnp.einsum('...ij,...jk->...ik', x, y)\n`, 'f', { x: [a, b], y: a });
    expect(bm.shape).toEqual([2, 2, 2]);
    expect(bm.v).toEqual([7, 10, 15, 22, 23, 34, 31, 46]);
    expect(run(`${J}def f(x, y):\n    return jnp.einsum('i...,i...->...', x, y)\n`, 'f', { x: a, y: [[1], [2]] }).v).toEqual([7, 10]);
    expect(() => run(`${J}def f(x):\n    return jnp.einsum('...i->i', x)\n`, 'f', { x: a })).toThrow(/unsupported `jax.numpy.einsum with an ellipsis its output leaves out/);
    expect(() => run(`${J}def f(x, y):\n    return jnp.einsum('ij,jk->ik', x, y)\n`, 'f', { x: a, y: [1, 2] })).toThrow(/rank/);
  });
});

describe('closures that read nothing of their factories', () => {
  it('are evaluated without running the factory (whose own statements may not be evaluable)', () => {
    const src = 'import jax\nimport jax.numpy as jnp\ndef make(params, rng):\n    key = jax.random.split(rng)\n    def sq(x):\n        return jnp.sum(x * x)\n    return sq\n';
    close(run(src, 'make.sq', { x: [1, 2] }).v, [5]);
  });
});

describe('norms (numpy, JAX, PyTorch, TensorFlow) and TensorFlow l2_normalize, by their documented formulas', () => {
  const x = [
    [1, -2, 3],
    [-4, 5, -6],
  ];
  const flat = x.flat();
  const p = (v: number[], q: number) => Math.pow(v.reduce((s, a) => s + Math.pow(Math.abs(a), q), 0), 1 / q);
  const rows = x;
  const cols = [0, 1, 2].map((j) => x.map((r) => r[j]));

  it('numpy / JAX: no order is the 2-norm of every entry; an order of a 2-D array with no axis a matrix norm; with an axis a vector norm', () => {
    // numpy has no autograd: its code runs values only, as the checker runs it.
    for (const [mod, vo] of [['import numpy as np\nla = np.linalg\n', true], ['import jax.numpy as np\nla = np.linalg\n', false]] as const) {
      const src = `${mod}
def fro(x):
    return la.norm(x)
def one(x):
    return la.norm(x, 1)
def inf(x):
    return la.norm(x, np.inf)
def rows2(x):
    return la.norm(x, axis=1)
def rows3(x):
    return la.norm(x, 3, axis=1)
def cols_min(x):
    return la.norm(x, -np.inf, axis=0)
`;
      close(run(src, 'fro', { x }, vo).v, [p(flat, 2)]);
      // The largest column sum of |x| and the largest row sum (not the vector norms of every entry).
      close(run(src, 'one', { x }, vo).v, [Math.max(...cols.map((c) => p(c, 1)))]);
      close(run(src, 'inf', { x }, vo).v, [Math.max(...rows.map((r) => p(r, 1)))]);
      close(run(src, 'rows2', { x }, vo).v, rows.map((r) => p(r, 2)));
      close(run(src, 'rows3', { x }, vo).v, rows.map((r) => p(r, 3)), 1e-4);
      close(run(src, 'cols_min', { x }, vo).v, cols.map((c) => Math.min(...c.map(Math.abs))));
    }
  });

  it('torch.norm and linalg.vector_norm are vector norms of the entries (p=1 sums every |x|); tf.norm too', () => {
    const src = `import torch
import tensorflow as tf
def t_fro(x):
    return torch.norm(x)
def t_one(x):
    return torch.norm(x, p=1)
def t_rows(x):
    return torch.norm(x, dim=1, keepdim=True)
def t_inf(x):
    return torch.linalg.vector_norm(x, ord=float("inf"))
def tf_rows(x):
    return tf.norm(x, axis=-1)
def tf_one(x):
    return tf.norm(x, ord=1)
`;
    close(run(src, 't_fro', { x }).v, [p(flat, 2)]);
    close(run(src, 't_one', { x }).v, [p(flat, 1)]);
    const r = run(src, 't_rows', { x });
    expect(r.shape).toEqual([2, 1]);
    close(r.v, rows.map((v) => p(v, 2)));
    close(run(src, 't_inf', { x }).v, [6]);
    close(run(src, 'tf_rows', { x }).v, rows.map((v) => p(v, 2)));
    close(run(src, 'tf_one', { x }).v, [p(flat, 1)]);
  });

  it('tf.math.l2_normalize: x / sqrt(max(sum(x ** 2, axis), epsilon)), every entry without an axis', () => {
    const src = `import tensorflow as tf
def by_row(x):
    return tf.math.l2_normalize(x, axis=1)
def whole(x):
    return tf.nn.l2_normalize(x)
def tiny(x):
    return tf.math.l2_normalize(x * 0.0, axis=1, epsilon=1e-4)
`;
    close(run(src, 'by_row', { x }).v, rows.flatMap((r) => r.map((a) => a / p(r, 2))));
    close(run(src, 'whole', { x }).v, flat.map((a) => a / p(flat, 2)));
    close(run(src, 'tiny', { x }).v, flat.map(() => 0));
  });
});

describe('Keras regression losses and mapped functions (tf.map_fn, tf.vectorized_map, jax.lax.map)', () => {
  const yp = [
    [0.5, -1, 2],
    [3, 0, -0.5],
  ];
  const yt = [
    [0, 1, 2],
    [1, 1, 4],
  ];
  const err = yp.map((r, i) => r.map((a, j) => a - yt[i][j]));
  const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
  const huber = (e: number, d: number) => (Math.abs(e) <= d ? 0.5 * e * e : d * Math.abs(e) - 0.5 * d * d);

  it('keras.losses: mean over the last axis per sample; the loss classes take the mean over the batch', () => {
    const src = `${TF}
def mse(y_true, y_pred):
    return tf.keras.losses.mean_squared_error(y_true, y_pred)
def mae_alias(y_true, y_pred):
    return keras.losses.MAE(y_true, y_pred)
def mse_class(y_true, y_pred):
    return tf.keras.losses.MeanSquaredError()(y_true, y_pred)
def huber_class(y_true, y_pred):
    return keras.losses.Huber(delta=0.75)(y_true, y_pred)
def tf2_alias(y_true, y_pred):
    return tf.losses.MSE(y_true, y_pred)
`;
    const perMse = err.map((r) => mean(r.map((e) => e * e)));
    const r = run(src, 'mse', { y_true: yt, y_pred: yp });
    expect(r.shape).toEqual([2]);
    close(r.v, perMse);
    close(run(src, 'mae_alias', { y_true: yt, y_pred: yp }).v, err.map((r) => mean(r.map(Math.abs))));
    close(run(src, 'mse_class', { y_true: yt, y_pred: yp }).v, [mean(perMse)]);
    close(run(src, 'huber_class', { y_true: yt, y_pred: yp }).v, [mean(err.map((r) => mean(r.map((e) => huber(e, 0.75)))))]);
    close(run(src, 'tf2_alias', { y_true: yt, y_pred: yp }).v, perMse);
  });

  it('tf.map_fn / tf.vectorized_map / jax.lax.map: the function on each slice along axis 0 (a tuple sliced leaf by leaf), the results stacked', () => {
    const src = `${TF}
import jax
import jax.numpy as jnp
def per_row(y_true, y_pred):
    return tf.map_fn(lambda r: tf.reduce_sum(r * r), y_pred - y_true)
def pairs(y_true, y_pred):
    def one(args):
        t, p = args
        return tf.reduce_max(p - t)
    return tf.map_fn(one, (y_true, y_pred), fn_output_signature=tf.float32)
def vectorized(y_true, y_pred):
    return tf.vectorized_map(lambda r: tf.reduce_mean(r), y_pred)
def lax_map(y_true, y_pred):
    return jax.lax.map(lambda r: jnp.sum(jnp.abs(r)), y_pred - y_true)
`;
    close(run(src, 'per_row', { y_true: yt, y_pred: yp }).v, err.map((r) => r.reduce((s, e) => s + e * e, 0)));
    close(run(src, 'pairs', { y_true: yt, y_pred: yp }).v, err.map((r) => Math.max(...r)));
    close(run(src, 'vectorized', { y_true: yt, y_pred: yp }).v, yp.map(mean));
    close(run(src, 'lax_map', { y_true: yt, y_pred: yp }).v, err.map((r) => r.reduce((s, e) => s + Math.abs(e), 0)));
  });
});

describe('operator.getitem', () => {
  it('is subscription: per example under jax.vmap (each row at its label), and of a list', () => {
    const src = `import jax
import jax.numpy as jnp
from operator import getitem
import operator
def picked(labels, logits):
    return jax.vmap(getitem)(logits, labels)
def second(labels, logits):
    return operator.getitem([logits, labels], 0) * 2.0
`;
    const logits = [
      [0.5, -1, 2],
      [3, 0, -0.5],
    ];
    const r = run(src, 'picked', { labels: { int: [2, 0] }, logits });
    expect(r.shape).toEqual([2]);
    close(r.v, [2, 3]);
    close(run(src, 'second', { labels: { int: [2, 0] }, logits }).v, logits.flat().map((x) => 2 * x));
  });
});
