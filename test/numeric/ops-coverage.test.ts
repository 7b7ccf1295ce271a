/**
 * Ops and constructs the concrete interpreter lacked, each against its documented behaviour:
 * `tf.image.sobel_edges` (TensorFlow's Sobel filters with REFLECT padding, computed here by hand),
 * numpy's array `.copy()`, a lone `*xs` in a call (the IR keeps it: `Call.star`), `nn.Parameter`
 * (the tensor's values, a leaf of its own), a gamma that is only a slope (no focal exponent), and
 * the refusals that are the code's own bugs (a method read without a call, a tensor in a flag's place)
 * saying so.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { planModule } from '../../server/src/numeric/roles';
import { moduleOf } from '../../server/src/numeric/runner';
import { fn, loadEngine } from './helpers';

let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

type Nested = number | Nested[];

function run(src: string, name: string, args: Record<string, Nested> = {}, opts: Record<string, unknown> = {}): { v: number[]; shape: number[]; dt: string } {
  const mod = moduleOf(src);
  const ev = new E.Evaluator(mod, { maxElements: 1 << 20, ...opts });
  const vals = Object.fromEntries(Object.entries(args).map(([k, a]) => [k, { t: 'tensor', x: E.tf.tensor(a as number[]), dt: 'float' }]));
  const out = ev.run(fn(mod, name), vals);
  if (out.t === 'num') return { v: [out.v], shape: [], dt: 'num' };
  if (out.t === 'list') return { v: out.items.map((i: { v: number }) => i.v), shape: [out.items.length], dt: 'list' };
  return { v: Array.from(out.x.dataSync() as ArrayLike<number>), shape: out.x.shape, dt: out.dt };
}

function fails(src: string, name: string, args: Record<string, Nested> = {}): string {
  try {
    run(src, name, args);
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
  return 'no error';
}

/** TensorFlow's documented Sobel edges of one [h, w] channel: REFLECT padding, dy then dx, by hand. */
function sobel(img: number[][]): [number[][], number[][]] {
  const h = img.length;
  const w = img[0].length;
  const at = (r: number, c: number) => img[r < 0 ? -r : r >= h ? 2 * h - 2 - r : r][c < 0 ? -c : c >= w ? 2 * w - 2 - c : c];
  const ky = [
    [-1, -2, -1],
    [0, 0, 0],
    [1, 2, 1],
  ];
  const kx = [
    [-1, 0, 1],
    [-2, 0, 2],
    [-1, 0, 1],
  ];
  const conv = (k: number[][]) => img.map((row, r) => row.map((_, c) => [0, 1, 2].reduce((s, i) => s + [0, 1, 2].reduce((t, j) => t + k[i][j] * at(r + i - 1, c + j - 1), 0), 0)));
  return [conv(ky), conv(kx)];
}

describe('tensorflow.image.sobel_edges', () => {
  const SRC = 'import tensorflow as tf\n\ndef f(x):\n    return tf.image.sobel_edges(x)\n';

  it('is [dy, dx] per channel on a new last axis, with REFLECT padding', () => {
    const c0 = [
      [1, 4, 2, 0],
      [3, 1, 5, 2],
      [0, 2, 2, 7],
    ];
    const c1 = c0.map((row) => row.map((v) => v * v - 3));
    const image = [c0.map((row, r) => row.map((v, c) => [v, c1[r][c]]))]; // [1, 3, 4, 2]
    const out = run(SRC, 'f', { x: image });
    expect(out.shape).toEqual([1, 3, 4, 2, 2]);
    const [dy0, dx0] = sobel(c0);
    const [dy1, dx1] = sobel(c1);
    const want: number[] = [];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) want.push(dy0[r][c], dx0[r][c], dy1[r][c], dx1[r][c]);
    expect(out.v).toEqual(want);
  });

  it('is differentiable, and raises on images narrower than 2 pixels (REFLECT padding) or not of rank 4', () => {
    const mod = moduleOf('import tensorflow as tf\n\ndef f(x):\n    return tf.reduce_sum(tf.image.sobel_edges(x) ** 2)\n');
    const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
    const g = E.tf.grad((x: unknown) => ev.run(fn(mod, 'f'), { x: { t: 'tensor', x, dt: 'float' } }).x)(E.tf.tensor([[[[1], [2]], [[4], [8]]]]));
    expect(Array.from(g.dataSync() as ArrayLike<number>).every(Number.isFinite)).toBe(true);
    expect(fails(SRC, 'f', { x: [[[[1, 2]]]] })).toMatch(/EvalError: .*REFLECT padding of 1 needs a height and width of at least 2, got 1 x 1/);
    expect(fails(SRC, 'f', { x: [[1, 2]] })).toMatch(/EvalError: .*must be \[batch, height, width, channels\], got rank 2/);
  });
});

describe("numpy's .copy()", () => {
  it('is the same values, and writing into the copy leaves the original', () => {
    // A numpy function, probed for its values (numeric/numpy.ts).
    const src = 'import numpy as np\n\ndef f(x):\n    d = x.copy()\n    d[0, 0] = 9.0\n    return np.concatenate([d, x], 0)\n';
    expect(run(src, 'f', { x: [[1, 2]] }, { valuesOnly: true }).v).toEqual([9, 2, 1, 2]);
    expect(run('import numpy as np\n\ndef f(x):\n    return np.copy(x) * 2\n', 'f', { x: [[1, 2]] }, { valuesOnly: true }).v).toEqual([2, 4]);
    // A list's and a dict's copy stay Python's.
    expect(run('def f():\n    a = [1, 2]\n    b = a.copy()\n    b.append(3)\n    return len(a) + 10 * len(b)\n', 'f').v).toEqual([32]);
  });
});

describe('a lone *xs in a call', () => {
  it("binds its items where it stands: an op's varargs, a method's, a function of the module", () => {
    const src = `import torch\n\ndef helper(a, b, c=0):\n    return a * 100 + b * 10 + c\n\ndef f(x):\n    shape = x.size() + (1,)\n    v = x.view(*shape)\n    z = torch.zeros(*shape)\n    rest = (2, 3)\n    return v.sum() + z.sum() + v.dim() + helper(1, *rest)\n`;
    expect(run(src, 'f', { x: [[1, 2]] }).v).toEqual([3 + 0 + 3 + 123]);
  });

  it('fills a legacy constructor of sizes, and is a TypeError past the positional parameters', () => {
    expect(run('import torch\n\ndef f(x):\n    size = x.size()\n    return torch.Tensor(*size).fill_(2)\n', 'f', { x: [[1, 2, 3]] }).v).toEqual([2, 2, 2]);
    expect(fails('import torch\n\ndef f(x):\n    extra = (1, 2)\n    return torch.sigmoid(x, *extra)\n', 'f', { x: [[1]] })).toMatch(/EvalError: TypeError: torch\.sigmoid\(\) takes 1 positional arguments but 3 were given/);
  });
});

describe('nn.Parameter', () => {
  it("holds the tensor's values as a leaf of its own: no gradient flows back into the tensor", () => {
    const src = 'import torch\nfrom torch import nn\n\ndef f(x):\n    w = nn.Parameter(x * 2)\n    return (w * x).sum()\n';
    expect(run(src, 'f', { x: [1, 2] }).v).toEqual([10]);
    const mod = moduleOf(src);
    const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
    const g = E.tf.grad((x: unknown) => ev.run(fn(mod, 'f'), { x: { t: 'tensor', x, dt: 'float' } }).x)(E.tf.tensor([1, 2]));
    // d/dx (w * x) with w a leaf: w, not 4x.
    expect(Array.from(g.dataSync() as ArrayLike<number>)).toEqual([2, 4]);
  });
});

describe('a gamma only multiplied in', () => {
  it('is a slope, not a focal exponent: the function is probed without the focal probes', () => {
    const slope = `import torch\nimport torch.nn.functional as F\nfrom torch import nn\n\nclass PairLoss(nn.Module):\n    def __init__(self, gamma=1.0):\n        super().__init__()\n        self.gamma = gamma\n\n    def forward(self, scores, labels):\n        diff = (scores[labels == 0].mean() - scores[labels == 1]) * self.gamma\n        return F.softplus(diff).mean()\n`;
    const [p] = planModule(moduleOf(slope));
    expect(p.qualname).toBe('PairLoss.forward');
    expect(p.gamma).toBeUndefined();
    // Its twin with gamma in an exponent keeps it.
    const [q] = planModule(moduleOf(slope.replace('* self.gamma', '** self.gamma')));
    expect(q.gamma?.name).toBe('gamma');
  });
});

describe("refusals that are the code's own bugs say so", () => {
  it('a tensor method read without a call', () => {
    expect(fails('import torch\nimport torch.nn.functional as F\n\ndef f(x, t):\n    return F.nll_loss(torch.softmax(x, 1).log, t)\n', 'f', { x: [[1, 2]], t: [0] })).toMatch(/EvalError: TypeError: expected a tensor, got the method \.log \(read without a call: a bug in the code, `\.log\(\)` computes it; the framework raises here\)/);
  });

  it("a tensor in a flag's place (`binary_crossentropy(t, p, w)`: the third is from_logits)", () => {
    const src = 'from keras import backend as K\n\ndef f(t, p):\n    w = t * 20 + 1\n    return K.mean(K.binary_crossentropy(t, p, w))\n';
    expect(fails(src, 'f', { t: [[1, 0]], p: [[0.5, 0.5]] })).toMatch(/EvalError: keras\.backend\.binary_crossentropy: the flag `from_logits` is given a tensor \[1, 2\] \(a bug in the code: the argument in that place is the flag, not a weight\); TensorFlow raises/);
  });
});

describe('KL divergence', () => {
  const T = 'import torch\nimport torch.nn.functional as F\nfrom torch import nn\n';

  it("F.kl_div / nn.KLDivLoss: target * (log target - input), 0 where the target is 0, each reduction", () => {
    const x = [
      [-1.2, -0.4, -2.0],
      [-0.1, -3.0, -1.0],
    ];
    const t = [
      [0.2, 0.8, 0],
      [0.5, 0, 0.5],
    ];
    const terms = x.flatMap((row, i) => row.map((v, j) => (t[i][j] === 0 ? 0 : t[i][j] * (Math.log(t[i][j]) - v))));
    const sum = terms.reduce((a, b) => a + b, 0);
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
    close(run(`${T}def f(x, t):\n    return F.kl_div(x, t, reduction="none")\n`, 'f', { x, t }).v, terms);
    close(run(`${T}def f(x, t):\n    return F.kl_div(x, t)\n`, 'f', { x, t }).v, [sum / 6]);
    close(run(`${T}def f(x, t):\n    return F.kl_div(x, t, reduction="batchmean")\n`, 'f', { x, t }).v, [sum / 2]);
    close(run(`${T}def f(x, t):\n    return nn.KLDivLoss(reduction="sum")(x, t)\n`, 'f', { x, t }).v, [sum]);
    close(run(`${T}def f(x, t):\n    return F.kl_div(x, t, size_average=False)\n`, 'f', { x, t }).v, [sum]);
    // log_target: exp(t) * (t - x).
    const lt = x.flatMap((row, i) => row.map((v, j) => Math.exp(x[1 - i][j]) * (x[1 - i][j] - v)));
    close(run(`${T}def f(x, t):\n    return F.kl_div(x, t, reduction="none", log_target=True)\n`, 'f', { x, t: [x[1], x[0]] }).v, lt);
  });

  it('is refused where the target has a gradient (PyTorch differentiates xlogy(t, t) as t / t: NaN at 0)', async () => {
    const src = `${T}def two_way_kl_loss(p, q):\n    return F.kl_div(F.log_softmax(q, dim=-1), F.softmax(p, dim=-1), reduction="sum")\n`;
    const mod = moduleOf(src);
    const [r] = await E.checkPlans(mod, planModule(mod), { backend: 'wasm', samples: 32, classes: 4, maxElements: 1 << 20, seed: 0, deadline: Date.now() + 60_000 });
    expect(r.notChecked).toMatch(/kl_div with a target computed from the prediction/);
  });

  it("Keras' kl_divergence: clipped to [1e-7, 1], summed over the last axis", () => {
    const p = [[0.7, 0.3, 0]];
    const t = [[0.5, 0, 0.5]];
    const want = t[0].reduce((s, v, j) => s + Math.max(v, 1e-7) * Math.log(Math.max(v, 1e-7) / Math.max(p[0][j], 1e-7)), 0);
    expect(run('from tensorflow import keras\ndef f(p, t):\n    return keras.losses.kl_divergence(t, p)\n', 'f', { p, t }).v[0]).toBeCloseTo(want, 4);
    expect(run('import tensorflow as tf\ndef f(p, t):\n    return tf.keras.losses.KLDivergence()(t, p)\n', 'f', { p, t }).v[0]).toBeCloseTo(want, 4);
  });
});

describe('nonzero positions', () => {
  it('[z, rank] in row-major order; one vector per axis with as_tuple and in numpy', () => {
    const x = [
      [0, 3, 0],
      [5, 0, 1],
    ];
    const src = 'import torch\nimport numpy as np\n\ndef f(x):\n    return torch.nonzero(x)\n\ndef g(x):\n    return x.nonzero(as_tuple=True)[1]\n\ndef h(x):\n    return torch.argwhere(x)\n';
    expect(run(src, 'f', { x })).toEqual({ v: [0, 1, 1, 0, 1, 2], shape: [3, 2], dt: 'int' });
    expect(run(src, 'g', { x }).v).toEqual([1, 0, 2]);
    expect(run(src, 'h', { x }).shape).toEqual([3, 2]);
    expect(run('import numpy as np\n\ndef f(x):\n    return np.nonzero(x)[0]\n', 'f', { x }, { valuesOnly: true }).v).toEqual([0, 1, 1]);
  });
});

describe("a write into PyTorch's leaf input", () => {
  it('raises as PyTorch does while autograd records; a copy or no_grad may be written', async () => {
    const src = 'import torch\nimport torch.nn.functional as F\n\ndef written(logits, target):\n    logits[0, 0] = 0.0\n    return F.cross_entropy(logits, target)\n\ndef scaled(logits, target):\n    logits.mul_(2)\n    return F.cross_entropy(logits, target)\n\ndef copied(logits, target):\n    x = logits.clone()\n    x[0, 0] = 0.0\n    x += 1\n    return F.cross_entropy(x, target)\n\ndef unrecorded(logits, target):\n    with torch.no_grad():\n        logits[0, 0] = 0.0\n    return F.cross_entropy(logits, target)\n';
    const mod = moduleOf(src);
    const plans = planModule(mod);
    const reports = await E.checkPlans(mod, plans, { backend: 'wasm', samples: 64, classes: 4, maxElements: 1 << 20, seed: 0, deadline: Date.now() + 60_000 });
    const by = Object.fromEntries(reports.map((r) => [r.function, r.notChecked ?? 'probed']));
    expect(by.written).toMatch(/RuntimeError: a leaf Variable that requires grad is being used in an in-place operation/);
    expect(by.scaled).toMatch(/RuntimeError: a leaf Variable that requires grad is being used in an in-place operation/);
    expect(by.copied).toBe('probed');
    expect(by.unrecorded).toBe('probed');
  });
});
