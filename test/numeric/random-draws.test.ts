/**
 * Random draws inside a probed function (numeric/draws.ts, ops/table/random.ts): every random op of
 * the table draws from the probe's seeded stream with its documented distribution and shape, records
 * each draw in call order (in Python's order of evaluation), and is refused without a stream; the
 * repro script's Python replay (PY_DRAWS) draws the very same values as the TypeScript stream. (The
 * fixture losses of test/numeric/fixtures/random run end to end against real torch in repro.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { Draws } from '../../server/src/numeric/draws';
import { PY_DRAWS } from '../../server/src/numeric/draws';
import { PY_GENERATOR } from '../../server/src/numeric/repro';
import { moduleOf } from '../../server/src/numeric/runner';
import { fn, loadEngine, torchPython } from './helpers';

let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

interface Out {
  v: number[];
  shape: number[];
  dt: string;
}

function toOut(out: { t: string; v?: number; x?: { dataSync(): ArrayLike<number>; shape: number[] }; dt?: string; items?: unknown[] }): Out {
  if (out.t === 'num') return { v: [out.v!], shape: [], dt: 'num' };
  return { v: Array.from(out.x!.dataSync()), shape: out.x!.shape, dt: out.dt! };
}

/** Runs `name` of `src` with a stream of `seed`: its output and the draws recorded. */
function run(src: string, name: string, args: Record<string, number[][]> = {}, seed = 3): { out: Out; draws: Draws } {
  const mod = moduleOf(src);
  const draws = new Draws(seed);
  const ev = new E.Evaluator(mod, { maxElements: 1 << 20, draws });
  const vals = Object.fromEntries(Object.entries(args).map(([k, a]) => [k, { t: 'tensor', x: E.tf.tensor(a), dt: 'float' }]));
  return { out: toOut(ev.run(fn(mod, name), vals)), draws };
}

function fails(src: string, name: string, opts: Record<string, unknown> = {}): string {
  const mod = moduleOf(src);
  try {
    new E.Evaluator(mod, { maxElements: 1 << 20, ...opts }).run(fn(mod, name), {});
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
  return 'no error';
}

const T = 'import torch\nimport numpy as np\nimport tensorflow as tf\nfrom tensorflow.keras import backend as K\n';

describe('the stream (numeric/draws.ts)', () => {
  it('is the same for the same seed, another for another seed, and records each draw', () => {
    const a = new Draws(1);
    const b = new Draws(1);
    expect(a.draw('torch.rand', [4], { kind: 'uniform', low: 0, high: 1 })).toEqual(b.draw('torch.rand', [4], { kind: 'uniform', low: 0, high: 1 }));
    expect(new Draws(2).draw('torch.rand', [4], { kind: 'uniform', low: 0, high: 1 })).not.toEqual(new Draws(1).draw('torch.rand', [4], { kind: 'uniform', low: 0, high: 1 }));
    a.draw('torch.randint', [2, 3], { kind: 'int', low: 0, high: 5 });
    expect(a.log).toEqual([
      { op: 'torch.rand', shape: [4] },
      { op: 'torch.randint', shape: [2, 3] },
    ]);
  });

  it('draws each distribution in its range', () => {
    const d = new Draws(7);
    const u = d.draw('u', [2000], { kind: 'uniform', low: -2, high: 3 });
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
    expect(u.reduce((x, y) => x + y, 0) / u.length).toBeCloseTo(0.5, 0);
    const z = d.draw('n', [4000], { kind: 'normal', mean: 1, std: 2 });
    const mz = z.reduce((x, y) => x + y, 0) / z.length;
    expect(mz).toBeCloseTo(1, 0);
    expect(Math.sqrt(z.reduce((x, y) => x + (y - mz) ** 2, 0) / z.length)).toBeCloseTo(2, 0);
    const tz = d.draw('t', [2000], { kind: 'truncated', mean: 0, std: 1 });
    expect(Math.max(...tz.map(Math.abs))).toBeLessThanOrEqual(2);
    const k = d.draw('i', [2000], { kind: 'int', low: 3, high: 7 });
    expect(new Set(k)).toEqual(new Set([3, 4, 5, 6]));
    const p = d.draw('p', [50], { kind: 'perm' });
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(d.draw('b', [3], { kind: 'bernoulli', p: [0, 1, 0] })).toEqual([0, 1, 0]);
  });
});

describe('random ops of the table, on the stream', () => {
  it('torch.rand / randn / rand_like / randn_like: the shape asked for, uniform in [0, 1), float', () => {
    const { out, draws } = run(`${T}def f(x):\n    return torch.rand(2, 3) + 0 * torch.randn((2, 3)) + 0 * torch.rand_like(x) + 0 * torch.randn_like(x)\n`, 'f', { x: [[1, 2, 3], [4, 5, 6]] });
    expect(out.shape).toEqual([2, 3]);
    expect(out.dt).toBe('float');
    expect(out.v.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(draws.log.map((d) => `${d.op} ${d.shape}`)).toEqual(['torch.rand 2,3', 'torch.randn 2,3', 'torch.rand_like 2,3', 'torch.randn_like 2,3']);
    // The values are the stream's own: the same draws made directly.
    const again = new Draws(3);
    expect(out.v).toEqual(again.draw('torch.rand', [2, 3], { kind: 'uniform', low: 0, high: 1 }));
  });

  it('torch.randint in both of its forms, randint_like, Tensor.random_: integers in [low, high)', () => {
    const { out, draws } = run(`${T}def f():\n    a = torch.randint(5, (40,))\n    b = torch.randint(2, 4, size=(40,))\n    c = torch.randint_like(a, 3)\n    d = torch.zeros(40, dtype=torch.long).random_(6)\n    return torch.stack([a, b, c, d])\n`, 'f');
    expect(out.dt).toBe('int');
    const rows = [0, 1, 2, 3].map((r) => out.v.slice(r * 40, r * 40 + 40));
    expect(Math.max(...rows[0])).toBeLessThan(5);
    expect(new Set(rows[1])).toEqual(new Set([2, 3]));
    expect(Math.max(...rows[2])).toBeLessThan(3);
    expect(Math.max(...rows[3])).toBeLessThan(6);
    expect(draws.log.map((d) => d.op)).toEqual(['torch.randint', 'torch.randint', 'torch.randint_like', 'Tensor.random_']);
  });

  it('torch.randperm and numpy.random.permutation: permutations', () => {
    const { out } = run(`${T}def f():\n    return torch.randperm(10)\n`, 'f');
    expect([...out.v].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const rows = run(`${T}def f():\n    return np.random.permutation([[1, 1], [2, 2], [3, 3]])\n`, 'f').out;
    expect(rows.shape).toEqual([3, 2]);
    expect([...rows.v].sort()).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('torch.normal of tensors: mean + std * z, with the gradient of the mean', () => {
    const mod = moduleOf(`${T}def f(x):\n    return torch.normal(x, torch.zeros_like(x)).sum()\n`);
    const ev = new E.Evaluator(mod, { maxElements: 1 << 20, draws: new Draws(0) });
    const g = E.tf.grad((x: unknown) => (ev.run(fn(mod, 'f'), { x: { t: 'tensor', x, dt: 'float' } }) as { x: unknown }).x)(E.tf.tensor([1, 2, 3]));
    expect(Array.from(g.dataSync())).toEqual([1, 1, 1]);
    const { out } = run(`${T}def f(x):\n    return torch.normal(x, torch.zeros_like(x))\n`, 'f', { x: [[1, 2, 3]] });
    expect(out.v).toEqual([1, 2, 3]);
  });

  it('bernoulli and bernoulli_: 1 with probability p, each element its own', () => {
    const { out } = run(`${T}def f(x):\n    return torch.bernoulli(x) + torch.zeros_like(x).bernoulli_(1.0)\n`, 'f', { x: [[0, 1, 0, 1]] });
    expect(out.v).toEqual([1, 2, 1, 2]);
  });

  it('in-place draws write into the receiver: uniform_(a, b), normal_', () => {
    const { out } = run(`${T}def f(x):\n    y = torch.zeros_like(x)\n    y.uniform_(-0.5, 0.5)\n    return y\n`, 'f', { x: [[0, 0, 0, 0]] });
    expect(out.v.every((v) => v >= -0.5 && v < 0.5 && v !== 0)).toBe(true);
  });

  it('numpy: a size of None is one Python number; choice with and without replacement', () => {
    expect(run(`${T}def f():\n    return np.random.randint(3) + np.random.rand() * 0\n`, 'f').out.shape).toEqual([]);
    const { out } = run(`${T}def f():\n    return np.random.choice(6, 6, replace=False)\n`, 'f');
    expect([...out.v].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const pick = run(`${T}def f():\n    return np.random.choice([5, 7], 30)\n`, 'f').out;
    expect(new Set(pick.v)).toEqual(new Set([5, 7]));
  });

  it('TensorFlow and Keras: uniform (an integer dtype draws integers), normal, truncated normal', () => {
    const { out } = run(`${T}def f():\n    return tf.cast(tf.random.uniform([50], 0, 4, dtype=tf.int32), tf.float32) + tf.random.normal([50], 0.0, 0.0) + K.random_uniform((50,), 0.0, 0.0)\n`, 'f');
    expect(new Set(out.v)).toEqual(new Set([0, 1, 2, 3]));
    const t = run(`${T}def f():\n    return tf.random.truncated_normal([500], stddev=0.1)\n`, 'f').out;
    expect(Math.max(...t.v.map(Math.abs))).toBeLessThanOrEqual(0.2 + 1e-6);
  });

  it('draws in the order Python evaluates the arguments, whatever order the op reads them in', () => {
    // binary_cross_entropy_with_logits reads `input` first; Python evaluates `target=` first, as written.
    const { draws } = run(`${T}import torch.nn.functional as F\ndef f():\n    return F.binary_cross_entropy_with_logits(target=torch.rand(3), input=torch.randn(3))\n`, 'f');
    expect(draws.log.map((d) => d.op)).toEqual(['torch.rand', 'torch.randn']);
  });

  it('is refused without a stream, and on bad bounds as the framework raises', () => {
    expect(fails(`${T}def f():\n    return torch.rand(3)\n`, 'f')).toMatch(/Unsupported: .*torch\.rand \(a random draw outside a probe's seeded stream\)/);
    expect(fails(`${T}def f():\n    return torch.randint(3, 3, (2,))\n`, 'f', { draws: new Draws(0) })).toMatch(/EvalError: .*from=3 >= to=3/);
  });
});

const { python, reason } = torchPython();
if (!python) console.log(`[numeric/random-draws] Python replay skipped: ${reason}`);

describe.skipIf(!python)("the repro script's replay (PY_DRAWS) in real Python", () => {
  it('draws the very values the checker drew, and raises on a draw the checker did not make', () => {
    const kinds: [string, number[], string, number[]][] = [
      ['torch.rand', [5], 'uniform', [0, 1]],
      ['torch.randn', [2, 3], 'normal', [0, 1]],
      ['x', [7], 'truncated', [0.5, 2]],
      ['torch.randint', [9], 'int', [-2, 4]],
      ['torch.randperm', [11], 'perm', []],
    ];
    const ours = new Draws(42);
    const expected = kinds.map(([op, shape, kind, p]) =>
      ours.draw(op, shape, kind === 'uniform' ? { kind, low: p[0], high: p[1] } : kind === 'normal' || kind === 'truncated' ? { kind, mean: p[0], std: p[1] } : kind === 'int' ? { kind, low: p[0], high: p[1] } : { kind: 'perm' }),
    );
    const script = `import json, math, struct, sys\nimport torch\n${PY_GENERATOR}\n${PY_DRAWS}\n_DRAWS.start(42, ${JSON.stringify(kinds.map(([op, shape]) => [op, shape]))})\nout = [_DRAWS.take(op, shape, kind, *p) for op, shape, kind, p in ${JSON.stringify(kinds)}]\n_DRAWS.finish()\nprint(json.dumps(out))\n_DRAWS.start(42, [["torch.rand", [5]]])\ntry:\n    _DRAWS.take("torch.randn", [5], "normal", 0.0, 1.0)\n    print("no error")\nexcept RuntimeError as e:\n    print(e)\n`;
    const [values, mismatch] = execFileSync(python!, ['-c', script], { encoding: 'utf8' }).trim().split('\n');
    expect(JSON.parse(values)).toEqual(expected);
    expect(mismatch).toMatch(/draw 0: the function called torch\.randn \[5\] where LossLint's checker drew \['torch\.rand', \[5\]\]/);
  });
});
