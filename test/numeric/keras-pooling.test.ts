/**
 * 2-D pooling (ops/table/image.ts `pool2d`: K.pool2d, tf.nn.max_pool2d / avg_pool2d / max_pool /
 * avg_pool, Keras' pooling layers) against TensorFlow's documented behaviour (each output the max or
 * mean of its window; SAME pads ceil-wise, out = ceil(n / s), and its average does not count the
 * padding; VALID reads whole windows and raises where the window is wider than the image), checked
 * by hand and against tfjs' own pooling kernels (TensorFlow's semantics); tf.image.convert_image_dtype
 * (float to float a cast, integer pixels refused); tf.unstack (the slices along an axis, that axis
 * dropped); K.batch_flatten and the Flatten layer; and the probes of fixtures/keras_pooling.py.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { planModule } from '../../server/src/numeric/roles';
import { moduleOf } from '../../server/src/numeric/runner';
import { FIXTURES, fn, loadEngine, prober } from './helpers';

let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

type Nested = number | Nested[];

function run(src: string, args: Record<string, Nested>): { v: number[]; shape: number[] } {
  const mod = moduleOf(`import tensorflow as tf\nfrom tensorflow.keras import backend as K\nfrom tensorflow.keras import layers\n\n${src}`);
  const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
  const vals = Object.fromEntries(Object.entries(args).map(([k, a]) => [k, { t: 'tensor', x: E.tf.tensor(a as number[]), dt: 'float' }]));
  const out = ev.run(fn(mod, 'f'), vals);
  return { v: Array.from(out.x.dataSync() as ArrayLike<number>), shape: out.x.shape };
}

function fails(src: string, args: Record<string, Nested>): string {
  try {
    run(src, args);
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
  return 'no error';
}

/** A [b, h, w, c] batch of distinct values (ties would make a maximum's gradient arbitrary). */
function image(b: number, h: number, w: number, c: number): number[][][][] {
  let k = 0;
  return Array.from({ length: b }, () => Array.from({ length: h }, () => Array.from({ length: w }, () => Array.from({ length: c }, () => Math.sin(++k * 1.7) * 3))));
}

/** tfjs' own pooling of the same batch (TensorFlow's semantics), flattened. */
function tfjs(kind: 'avg' | 'max', x: Nested, k: [number, number], s: [number, number], pad: 'same' | 'valid'): { v: number[]; shape: number[] } {
  const t = E.tf.tensor(x as number[]) as never;
  const out = kind === 'avg' ? E.tf.avgPool(t, k, s, pad) : E.tf.maxPool(t, k, s, pad);
  return { v: Array.from(out.dataSync() as ArrayLike<number>), shape: out.shape };
}

function close(a: { v: number[]; shape: number[] }, b: { v: number[]; shape: number[] }): void {
  expect(a.shape).toEqual(b.shape);
  a.v.forEach((x, i) => expect(x).toBeCloseTo(b.v[i], 5));
}

describe('2-D pooling', () => {
  it("averages over the window's positions inside the image with SAME padding (by hand: a 3 x 3 window over 2 x 2 is the mean of all 4)", () => {
    const out = run('def f(x):\n    return K.pool2d(x, (3, 3), padding="same", pool_mode="avg")\n', { x: [[[[1], [2]], [[3], [4]]]] });
    expect(out.shape).toEqual([1, 2, 2, 1]);
    expect(out.v).toEqual([2.5, 2.5, 2.5, 2.5]);
    // Strides 1 and VALID by default: K.pool2d's max of 2 x 2 windows.
    expect(run('def f(x):\n    return K.pool2d(x, (2, 2))\n', { x: [[[[1], [5], [2]], [[3], [4], [0]]]] }).v).toEqual([5, 5]);
  });

  it('is tfjs\' avgPool / maxPool for K.pool2d, tf.nn.*_pool2d and tf.nn.*_pool, windows and strides of 1, 2 or 4 numbers', () => {
    const x = image(2, 5, 6, 3);
    close(run('def f(x):\n    return K.pool2d(x, pool_size=(3, 3), strides=(1, 1), padding="same", pool_mode="avg")\n', { x }), tfjs('avg', x, [3, 3], [1, 1], 'same'));
    close(run('def f(x):\n    return K.pool2d(x, (2, 3), strides=(2, 2), padding="same")\n', { x }), tfjs('max', x, [2, 3], [2, 2], 'same'));
    close(run('def f(x):\n    return tf.nn.max_pool2d(x, ksize=2, strides=2, padding="VALID")\n', { x }), tfjs('max', x, [2, 2], [2, 2], 'valid'));
    close(run('def f(x):\n    return tf.nn.avg_pool2d(x, [1, 3, 2, 1], [1, 2, 1, 1], "SAME")\n', { x }), tfjs('avg', x, [3, 2], [2, 1], 'same'));
    close(run('def f(x):\n    return tf.nn.avg_pool(x, [3], [2], "VALID")\n', { x }), tfjs('avg', x, [3, 3], [2, 2], 'valid'));
    close(run('def f(x):\n    return tf.nn.max_pool(x, 3, 1, "SAME")\n', { x }), tfjs('max', x, [3, 3], [1, 1], 'same'));
  });

  it("is a Keras pooling layer's call, its strides its window by default", () => {
    const x = image(1, 6, 4, 2);
    close(run('def f(x):\n    return layers.MaxPooling2D(pool_size=(2, 2))(x)\n', { x }), tfjs('max', x, [2, 2], [2, 2], 'valid'));
    close(run('def f(x):\n    return tf.keras.layers.AveragePooling2D(3, strides=1, padding="same")(x)\n', { x }), tfjs('avg', x, [3, 3], [1, 1], 'same'));
  });

  it('pools the last two axes of channels-first data', () => {
    const x = image(1, 4, 5, 2);
    const first = (E.tf.transpose(E.tf.tensor(x as number[][][][]), [0, 3, 1, 2]).arraySync() as Nested);
    const out = run('def f(x):\n    return K.pool2d(x, (2, 2), strides=(1, 1), padding="same", data_format="channels_first", pool_mode="avg")\n', { x: first });
    const want = tfjs('avg', x, [2, 2], [1, 1], 'same');
    const back = E.tf.transpose(E.tf.tensor(want.v, want.shape), [0, 3, 1, 2]);
    close(out, { v: Array.from(back.dataSync() as ArrayLike<number>), shape: back.shape });
  });

  it('is differentiable, the maximum passing its gradient to the largest value of each window', () => {
    const mod = moduleOf('import tensorflow as tf\n\ndef f(x):\n    return tf.reduce_sum(tf.nn.max_pool2d(x, 2, 2, "VALID")) + tf.reduce_sum(tf.nn.avg_pool2d(x, 3, 1, "SAME"))\n');
    const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
    const x = E.tf.tensor([[[[1], [4]], [[3], [2]]]]);
    const g = Array.from(E.tf.grad((t: unknown) => ev.run(fn(mod, 'f'), { x: { t: 'tensor', x: t, dt: 'float' } }).x)(x).dataSync() as ArrayLike<number>);
    // avg: each of the 4 outputs is the mean of all 4 inputs (1/4 each, 4 times); max: 1 at the 4.
    expect(g).toEqual([1, 2, 1, 1]);
  });

  it("raises where TensorFlow does: a window wider than the image with VALID padding, an input not of rank 4, an unknown pool_mode", () => {
    expect(fails('def f(x):\n    return K.pool2d(x, (3, 3), padding="valid")\n', { x: [[[[1], [2]], [[3], [4]]]] })).toMatch(/EvalError: .*computed output size would be negative/);
    expect(fails('def f(x):\n    return tf.nn.max_pool2d(x, 2, 2, "VALID")\n', { x: [[1, 2]] })).toMatch(/EvalError: .*must be 4-D/);
    expect(fails('def f(x):\n    return K.pool2d(x, (1, 1), pool_mode="median")\n', { x: [[[[1]]]] })).toMatch(/EvalError: .*Invalid pool_mode: median/);
    expect(fails('def f(x):\n    return tf.nn.max_pool(x, 2, 1, "VALID")\n', { x: [[[1], [2], [3]]] })).toMatch(/Unsupported: .*rank-3 input/);
  });
});

describe('tf.image.convert_image_dtype', () => {
  it('casts float pixels to a float dtype, values unchanged', () => {
    expect(run('def f(x):\n    return tf.image.convert_image_dtype(x, tf.float32)\n', { x: [[0.25, 0.75]] }).v).toEqual([0.25, 0.75]);
    expect(run('def f(x):\n    return tf.image.convert_image_dtype(x, dtype=tf.float64)\n', { x: [[0.5]] }).v).toEqual([0.5]);
  });

  it("refuses integer pixels (scaled by their integer type's maximum) and float to integer", () => {
    expect(fails('def f(x):\n    return tf.image.convert_image_dtype(tf.cast(x, tf.uint8), tf.float32)\n', { x: [[1, 2]] })).toMatch(/Unsupported: .*convert_image_dtype of an integer tensor/);
    expect(fails('def f(x):\n    return tf.image.convert_image_dtype(x, tf.uint8)\n', { x: [[0.5]] })).toMatch(/Unsupported: .*to an integer dtype/);
  });
});

describe("Keras' batch flattening", () => {
  it('flattens every axis but the batch axis, a vector becoming one column (K.batch_flatten, the Flatten layer)', () => {
    const x = image(2, 3, 2, 2);
    expect(run('def f(x):\n    return K.batch_flatten(x)\n', { x })).toEqual({ v: Array.from(new Float32Array(x.flat(3))), shape: [2, 12] });
    expect(run('def f(x):\n    return layers.Flatten()(x)\n', { x })).toEqual({ v: Array.from(new Float32Array(x.flat(3))), shape: [2, 12] });
    expect(run('def f(x):\n    return K.batch_flatten(x)\n', { x: [1, 2, 3] })).toEqual({ v: [1, 2, 3], shape: [3, 1] });
  });

  it('refuses channels-first inputs of the Flatten layer (moved to channels last first), and raises on a scalar', () => {
    expect(fails('def f(x):\n    return layers.Flatten(data_format="channels_first")(x)\n', { x: image(1, 2, 2, 2) })).toMatch(/Unsupported: .*channels_first/);
    expect(fails('def f(x):\n    return K.batch_flatten(K.sum(x))\n', { x: [1, 2] })).toMatch(/EvalError: .*scalar/);
  });
});

describe('tf.unstack', () => {
  it('is the slices along the axis, that axis dropped, as a list', () => {
    const x = [
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ]; // [1, 3, 2]
    expect(run('def f(x):\n    a, b = tf.unstack(x, axis=-1)\n    return a * 10 + b\n', { x })).toEqual({ v: [12, 34, 56], shape: [1, 3] });
    expect(run('def f(x):\n    rows = tf.unstack(x, num=3, axis=1)\n    return rows[2]\n', { x })).toEqual({ v: [5, 6], shape: [1, 2] });
    expect(run('def f(x):\n    return tf.stack(tf.unstack(x), axis=0)\n', { x }).shape).toEqual([1, 3, 2]);
  });

  it('raises where num is not the axis size, or on a scalar', () => {
    expect(fails('def f(x):\n    return tf.unstack(x, num=2, axis=1)[0]\n', { x: [[1, 2, 3]] })).toMatch(/EvalError: .*Cannot unstack 3 slices into num=2/);
    expect(fails('def f(x):\n    return tf.unstack(tf.reduce_sum(x))[0]\n', { x: [[1, 2, 3]] })).toMatch(/EvalError: .*scalar/);
  });
});

describe('the probes of losses that pool, convert or reshape a list of their own (fixtures/keras_pooling.py)', () => {
  const SRC = fs.readFileSync(path.join(FIXTURES, 'keras_pooling.py'), 'utf8');
  const check = (name: string) => {
    const mod = moduleOf(SRC);
    const plan = planModule(mod).find((p) => p.qualname === name);
    expect(plan, name).toBeDefined();
    return prober(mod).check(fn(mod, name), plan!);
  };

  it('probes a weight map from a blurred or dilated mask (images of one pixel: the pooling keeps the pixel)', () => {
    expect(check('blurred_weight_bce').notChecked).toBeUndefined();
    expect(check('border_weight_bce').notChecked).toBeUndefined();
  });

  it('refuses VALID pooling wider than every image the probes give, saying why', () => {
    expect(check('valid_pool_wider_than_image').notChecked).toMatch(/computed output size would be negative/);
  });

  it('probes float targets converted to float32, the index encoding refused by the conversion left for the one-hot one', () => {
    const r = check('converted_softmax_ce');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.encoding).toBe('onehot');
  });

  it("takes the class count of a per-class list reshaped to the function's class-count parameter", () => {
    const r = check('own_class_list_ce');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes.find((p) => p.probe === 'typical')?.inputs.shape[1]).toBe(3);
  });
});
