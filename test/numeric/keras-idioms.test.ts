/**
 * Keras / TensorFlow idioms the numeric checker runs (fixtures/keras_idioms.py), each with the twin it
 * still refuses: TensorBoard summaries, a Keras loss's dtype, f-strings, tf.one_hot of depth 1, values of settings modules the check cannot read (assumed only where their use
 * gives them a focal role, read from the module where it is on disk), a parameter the function
 * replaces when it is None.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { planModule } from '../../server/src/numeric/roles';
import { defaultedWhenNone } from '../../server/src/numeric/param-uses';
import { pyFloatRepr, pyFormat, pyRepr } from '../../server/src/numeric/pyformat';
import { FIXTURES, fn, loadEngine, prober } from './helpers';

const SRC = fs.readFileSync(path.join(FIXTURES, 'keras_idioms.py'), 'utf8');
let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

function check(qualname: string, src = SRC) {
  const mod = moduleOf(src);
  const plan = planModule(mod).find((p) => p.qualname === qualname);
  expect(plan, qualname).toBeDefined();
  return prober(mod).check(fn(mod, qualname), plan!);
}

describe('TensorBoard summaries', () => {
  it('are logging: the loss beside them is probed', () => {
    expect(check('summarized_ce').notChecked).toBeUndefined();
  });
  it('refuses computing with what the summary op returns, naming it', () => {
    expect(check('summary_in_loss').notChecked).toMatch(/tensorboard summary/);
  });
});

describe("a Keras loss's dtype", () => {
  it('is floatx, float32, where the constructor passes none', () => {
    expect(check('PolicyCastLoss.call').notChecked).toBeUndefined();
  });
  it('is not modelled where the constructor passes one: refused', () => {
    expect(check('HalfPolicyLoss.call').notChecked).toMatch(/self\.dtype is not set by __init__/);
  });
});

describe('f-strings', () => {
  it('format as Python does', () => {
    const n = (v: number, int = false) => ({ t: 'num', v, int }) as const;
    expect(pyFloatRepr(0.1)).toBe('0.1');
    expect(pyFloatRepr(2)).toBe('2.0');
    expect(pyFloatRepr(1e-7)).toBe('1e-07');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(12345.5)).toBe('12345.5');
    expect(pyFormat(n(0.123456), '.2f')).toBe('0.12');
    expect(pyFormat(n(7, true), '03d')).toBe('007');
    expect(pyFormat(n(-3.5), '>8.1f')).toBe('    -3.5');
    expect(pyFormat(n(1234567, true), ',')).toBe('1,234,567');
    expect(pyFormat(n(0.25), '.1%')).toBe('25.0%');
    expect(pyFormat(n(1234.5), '.2e')).toBe('1.23e+03');
    expect(pyFormat({ t: 'str', v: 'ab' }, '^6')).toBe('  ab  ');
    expect(pyFormat({ t: 'bool', v: true }, '')).toBe('True');
    expect(pyRepr({ t: 'str', v: "it's" })).toBe('"it\'s"');
    // A spec not modelled (general format, nested fields) is no guess.
    expect(pyFormat(n(0.5), '.3g')).toBeUndefined();
    expect(pyFormat({ t: 'str', v: 'a' }, 'd')).toBeUndefined();
  });

  it('are evaluated in a loss: names, and a one-element tensor under a number spec', () => {
    const mod = moduleOf('def f(i, s, x):\n    return f"w_{i:02d}_{s}_{s!r}_{x:.3f}_{{}}"\n');
    const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
    const out = ev.run(fn(mod, 'f'), { i: { t: 'num', v: 3, int: true }, s: { t: 'str', v: 'ce' }, x: { t: 'tensor', x: E.tf.scalar(0.5), dt: 'float' } });
    expect(out).toEqual({ t: 'str', v: "w_03_ce_'ce'_0.500_{}" });
    expect(check('named_by_fstring').notChecked).toBeUndefined();
  });

  it("refuses computing with a whole tensor's text", () => {
    expect(check('fstring_in_loss').notChecked).toMatch(/the text of a tensor \(an f-string\)/);
  });
});

describe('tf.one_hot of depth 1', () => {
  const oneHot = (src: string, idx: number[]) => {
    const mod = moduleOf(src);
    const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
    const out = ev.run(fn(mod, 'f'), { t: { t: 'tensor', x: E.tf.tensor1d(idx, 'int32'), dt: 'int' } });
    return { v: Array.from(out.x.dataSync() as Float32Array), shape: out.x.shape };
  };
  it('takes depth 1 and gives a negative index a row of zeros', () => {
    expect(oneHot('import tensorflow as tf\ndef f(t):\n    return tf.one_hot(t, 1)\n', [0, -1, 0])).toEqual({ v: [1, 0, 1], shape: [3, 1] });
    expect(oneHot('import tensorflow as tf\ndef f(t):\n    return tf.one_hot(t, 3)\n', [-1, 2])).toEqual({ v: [0, 0, 0, 0, 0, 1], shape: [2, 3] });
  });
  it('a class past the count raises (PyTorch does; for TensorFlow it sends the setup to the count the function holds)', () => {
    expect(() => oneHot('import torch.nn.functional as F\ndef f(t):\n    return F.one_hot(t, 2)\n', [0, 2])).toThrow(/smaller than num_classes/);
    expect(() => oneHot('import tensorflow as tf\ndef f(t):\n    return tf.one_hot(t, 1)\n', [0, 1])).toThrow(/smaller than num_classes/);
  });
});

describe('values of a settings module the check cannot read', () => {
  it('take the typical value where the lattice gives them a focal role, said assumed', () => {
    const plan = planModule(moduleOf(SRC)).find((p) => p.qualname === 'configured_focal')!;
    expect(Object.fromEntries(Object.entries(plan.assumed ?? {}).map(([k, v]) => [k, v.value]))).toEqual({ 'config.FOCAL_ALPHA': 0.25, 'config.FOCAL_GAMMA': 2 });
    const r = check('configured_focal');
    expect(r.notChecked).toBeUndefined();
    expect(r.supplied?.['config.FOCAL_ALPHA']?.why).toMatch(/a focal alpha .* read from `config`, which the check does not read: the typical 0.25, assumed/);
    // Assumed values: no comparison with a canonical loss.
    expect(r.probes.some((p) => p.probe === 'reference')).toBe(false);
  });

  it('a default read from the module, and a float format passed to set_floatx', () => {
    expect(check('configured_default').supplied?.['config.TRAIN.GAMMA']?.value).toBe(2);
    const r = check('floatx_cast');
    expect(r.notChecked).toBeUndefined();
    expect(r.supplied?.['settings.FLOAT_FORMAT']?.value).toBe('float32');
  });

  it('stays refused where the use gives no role (a scale), naming the value', () => {
    expect(planModule(moduleOf(SRC)).find((p) => p.qualname === 'configured_scale')?.assumed).toBeUndefined();
    expect(check('configured_scale').notChecked).toMatch(/config\.LOSS_SCALE \(a value of a module the check does not read\)/);
  });

  it('in-repo, where the module is on disk, its own values are read, none assumed', async () => {
    const root = path.join(FIXTURES, 'project_values');
    const file = path.join(root, 'seglib/losses/focal.py');
    const text = fs.readFileSync(file, 'utf8');
    const mod = moduleOf(text);
    const rs = await E.checkPlans(mod, planModule(mod), { backend: 'wasm', samples: 128, classes: 8, maxElements: 1 << 22, seed: 0, deadline: Date.now() + 120_000, file, text, roots: [root] });
    const r = rs.find((x) => x.function === 'ConfiguredFocal.forward')!;
    expect(r.notChecked).toBeUndefined();
    expect(Object.keys(r.supplied ?? {}).filter((k) => k.includes('.'))).toEqual([]);
  }, 120_000);
});

describe('a parameter the function replaces when None or empty', () => {
  it('is found from the code (an if before any other read, binding it outright), and given None', () => {
    const mod = moduleOf(SRC);
    expect(defaultedWhenNone('weights', fn(mod, 'weighted_bce_loss'))?.k).toBe('if');
    const other = moduleOf('def f(w, x):\n    y = w * 2\n    if w is None:\n        w = 1\n    return x * w\n');
    expect(defaultedWhenNone('w', fn(other, 'f'))).toBeUndefined();
    const r = check('weighted_bce_loss.weighted_bce');
    expect(r.notChecked).toBeUndefined();
    expect(r.supplied?.weights).toEqual({ value: null, why: 'None: the function replaces it with its own default (`if not weights: weights = ...`)' });
  });
});

describe("Keras' losses_utils.reduce_weighted_loss", () => {
  it('keeps, sums, or divides the sum by the count, as Keras reduces a Loss', () => {
    const src = (r: string) => `from tensorflow.python.keras.utils import losses_utils\ndef f(x):\n    return losses_utils.reduce_weighted_loss(x${r})\n`;
    const run = (s: string) => {
      const mod = moduleOf(s);
      const ev = new E.Evaluator(mod, { maxElements: 1 << 20 });
      const out = ev.run(fn(mod, 'f'), { x: { t: 'tensor', x: E.tf.tensor2d([[1, 2], [3, 6]]), dt: 'float' } });
      return Array.from(out.x.dataSync() as Float32Array);
    };
    expect(run(src(''))).toEqual([3]);
    expect(run(src(', reduction=losses_utils.ReductionV2.SUM'))).toEqual([12]);
    expect(run(src(', reduction=losses_utils.ReductionV2.NONE'))).toEqual([1, 2, 3, 6]);
  });
});

describe("a per-class table of the function's own class count", () => {
  it('gathered by the labels is what sets the probe\'s class count (tf.gather\'s out-of-range is retried with it)', () => {
    const r = check('sparse_focal_two_weights');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes.find((p) => p.probe === 'typical')?.inputs.shape[1]).toBe(2);
  });
  it('written with arithmetic of numbers (`[1 - 0.3, 0.3]`) is its values: the reference compares with that per-class alpha', () => {
    const r = check('sparse_focal_alpha_arithmetic');
    expect(r.notChecked).toBeUndefined();
    const ref = r.probes.find((p) => p.probe === 'reference');
    expect(ref?.ok).toBe(true);
    expect(ref?.note).toMatch(/per-class alpha/);
  });
  it('gathered from a number raises as TensorFlow does, with its reason', () => {
    expect(check('gather_from_number').notChecked).toMatch(/params must be at least 1 dimensional/);
  });
});
