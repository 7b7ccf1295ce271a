/**
 * The ops of ops/table/pieces.ts on the evaluator, against PyTorch's documented semantics (values
 * checked with torch 1.13 by hand; fixtures/pieces_ops.py is compared with real torch in torch.test.ts):
 * piece sizes of split and chunk, tile's leading ones, repeat_interleave's counts and flattening,
 * flip's dims, argmin's first smallest, numpy's delete, the trigonometric gradients at the edge of their domain.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { fn, loadEngine } from './helpers';

let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

const T = 'import torch\nimport numpy as np\n';

type Out = { v: number[]; shape: number[] }[];

/** The function's output: each tensor of a tuple (or the one tensor), flattened with its shape. */
function run(body: string, x: number[] | number[][], head = T): Out {
  const mod = moduleOf(`${head}def f(x):\n    return ${body}\n`);
  const out = new E.Evaluator(mod, { maxElements: 1 << 20 }).run(fn(mod, 'f'), { x: { t: 'tensor', x: E.tf.tensor(x), dt: 'float' } });
  const items = out.t === 'list' ? out.items : [out];
  return items.map((i: { x: { dataSync(): ArrayLike<number>; shape: number[] } }) => ({ v: Array.from(i.x.dataSync()), shape: i.x.shape }));
}

/** The gradient of sum(f(x)) w.r.t. x. */
function grad(body: string, x: number[], head = T): number[] {
  const mod = moduleOf(`${head}def f(x):\n    return ${body}\n`);
  const g = E.tf.grad((z: unknown) => E.tf.sum(new E.Evaluator(mod, { maxElements: 1 << 20 }).run(fn(mod, 'f'), { x: { t: 'tensor', x: z, dt: 'float' } }).x))(E.tf.tensor(x));
  return Array.from(g.dataSync() as Float32Array);
}

const shapes = (o: Out) => o.map((p) => p.shape);

describe('pieces of a tensor', () => {
  const x = [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]];

  it('torch.split by a size: pieces of that size, the last one smaller; by sizes: those; sizes that do not sum raise', () => {
    expect(shapes(run('torch.split(x, 2, dim=1)', x))).toEqual([[2, 2], [2, 2], [2, 1]]);
    expect(run('x.split(2, 1)', x)[2].v).toEqual([4, 9]);
    expect(shapes(run('torch.split(x, [1, 4], dim=1)', x))).toEqual([[2, 1], [2, 4]]);
    expect(shapes(run('torch.split(x, 1)', x))).toEqual([[1, 5], [1, 5]]);
    expect(() => run('torch.split(x, [1, 3], dim=1)', x)).toThrow("split_with_sizes expects split_sizes to sum exactly to 5 (input tensor's size at dimension 1), but got split_sizes=[1, 3]");
  });

  it('chunk: pieces of ceil(size / chunks), so fewer pieces than asked when they run out (6 in 4: three of 2)', () => {
    expect(shapes(run('x.chunk(3, dim=1)', x))).toEqual([[2, 2], [2, 2], [2, 1]]);
    expect(shapes(run('torch.chunk(torch.arange(6.0), 4)', [0]))).toEqual([[2], [2], [2]]);
    expect(run('torch.chunk(x, 2, -1)', x)[1].v).toEqual([3, 4, 8, 9]);
  });

  it('the pieces carry the gradient back to their places', () => {
    expect(grad('torch.split(x, [1, 2])[1] * 3', [1, 2, 3])).toEqual([0, 3, 3]);
  });
});

describe('flips, tiles, repeats, argmin', () => {
  it('flip along dims given as a list or as the method varargs; fliplr / flipud; numpy without an axis flips every one', () => {
    const x = [[1, 2, 3], [4, 5, 6]];
    expect(run('torch.flip(x, [1])', x)[0].v).toEqual([3, 2, 1, 6, 5, 4]);
    expect(run('x.flip(0, 1)', x)[0].v).toEqual([6, 5, 4, 3, 2, 1]);
    expect(run('x.flip((0,))', x)[0].v).toEqual([4, 5, 6, 1, 2, 3]);
    expect(run('torch.fliplr(x)', x)[0].v).toEqual([3, 2, 1, 6, 5, 4]);
    expect(run('torch.flipud(x)', x)[0].v).toEqual([4, 5, 6, 1, 2, 3]);
    expect(() => run('torch.fliplr(x[0])', x)).toThrow('Input must be >= 2-d.');
  });

  it('tile: fewer repeats than dims count from the last (ones in front), more add leading dims; numpy.tile alike', () => {
    expect(run('torch.tile(x, (2,))', [[1, 2]])[0]).toEqual({ v: [1, 2, 1, 2], shape: [1, 4] });
    expect(run('torch.tile(x, (2, 1, 1))', [[1, 2]])[0].shape).toEqual([2, 1, 2]);
    expect(run('torch.tensor(np.tile(np.array([1.0, 2.0]), 2))', [0])[0].v).toEqual([1, 2, 1, 2]);
  });

  it('repeat_interleave: each element in place, flattened without a dim; per-element counts from a tensor', () => {
    expect(run('x.repeat_interleave(2)', [[1, 2], [3, 4]])[0]).toEqual({ v: [1, 1, 2, 2, 3, 3, 4, 4], shape: [8] });
    expect(run('torch.repeat_interleave(x, 2, dim=0)', [[1, 2], [3, 4]])[0]).toEqual({ v: [1, 2, 1, 2, 3, 4, 3, 4], shape: [4, 2] });
    expect(run('torch.repeat_interleave(x, torch.tensor([0, 3]), dim=1)', [[1, 2], [3, 4]])[0]).toEqual({ v: [2, 2, 2, 4, 4, 4], shape: [2, 3] });
    expect(() => run('torch.repeat_interleave(x, torch.tensor([1, 2, 3]), dim=1)', [[1, 2], [3, 4]])).toThrow('repeats must have the same size as input along dim');
  });

  it('delete (numpy, JAX): the entries at the indices left out, along an axis or of the flattened array', () => {
    // Values as numpy 1.24 gives them: np.delete([[1, 2, 3], [4, 5, 6]], 1) is [1, 3, 4, 5, 6].
    const J = 'import jax.numpy as jnp\n';
    expect(run('jnp.delete(x, 1)', [[1, 2, 3], [4, 5, 6]], J)[0]).toEqual({ v: [1, 3, 4, 5, 6], shape: [5] });
    expect(run('jnp.delete(x, [0, -1, 0], axis=1)', [[1, 2, 3], [4, 5, 6]], J)[0]).toEqual({ v: [2, 5], shape: [2, 1] });
    expect(run('jnp.delete(x, 0, 0)', [[1, 2, 3], [4, 5, 6]], J)[0]).toEqual({ v: [4, 5, 6], shape: [1, 3] });
    expect(() => run('jnp.delete(x, 3, axis=1)', [[1, 2, 3], [4, 5, 6]], J)).toThrow('index 3 is out of bounds for axis 1 with size 3');
    expect(() => run('jnp.delete(x, x > 2)', [[1, 2, 3], [4, 5, 6]], J)).toThrow(/unsupported `jax.numpy.delete with a boolean mask/);
    expect(grad('jnp.delete(x, 1) * 2', [1, 2, 3], J)).toEqual([2, 0, 2]);
  });

  it('argmin: the first smallest entry, of the flattened tensor without a dim', () => {
    expect(run('torch.argmin(x, dim=1)', [[3, 1, 1], [0, 2, 0]])[0].v).toEqual([1, 0]);
    expect(run('x.argmin()', [[3, 1, 1], [0, 2, 0]])[0].v).toEqual([3]);
    expect(run('x.argmin(dim=0, keepdim=True)', [[3, 1, 1], [0, 2, 0]])[0].shape).toEqual([1, 3]);
  });
});

describe('trigonometry', () => {
  it('values, and acos / asin gradients infinite at ±1 as torch\'s are', () => {
    const v = run('torch.stack([torch.sin(x), torch.cos(x), torch.tan(x), torch.atan(x)])', [0.5])[0].v;
    [Math.sin(0.5), Math.cos(0.5), Math.tan(0.5), Math.atan(0.5)].forEach((e, i) => expect(v[i]).toBeCloseTo(e, 6));
    expect(run('torch.acos(x)', [1, 2])[0].v[1]).toBeNaN();
    const g = grad('torch.acos(x) + torch.arcsin(x)', [0.5, 1]);
    expect(g[0]).toBeCloseTo(0, 5);
    expect(Number.isFinite(g[1])).toBe(false);
    expect(grad('torch.atan(x)', [1])[0]).toBeCloseTo(0.5, 6);
  });
});
