/**
 * JAX random keys (ops/table/random.ts `prng_key`, `prng_split`, `prng_fold_in`, the jax.random
 * spellings of the draws; numeric/draws.ts `keyStream`; numeric/jax-keys.ts): a key is a value, its
 * draws come from the probe's seeded stream mixed with the key (the same key draws the same values,
 * split and fold_in make new keys deterministically), and a key passed in is no role: the probes
 * give it PRNGKey(0) and say so. The fixture jax_keys.py runs end to end.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Draws } from '../../server/src/numeric/draws';
import { jaxKeyParam } from '../../server/src/numeric/jax-keys';
import { checkDocumentNumerically, disposeNumericWorker, moduleOf } from '../../server/src/numeric/runner';
import { planModule } from '../../server/src/numeric/roles';
import { fn, loadEngine, WORKER } from './helpers';

let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

const J = 'import jax\nimport jax.numpy as jnp\nfrom jax import random\n\n';

/** Runs `name` of `src` with a draw stream of `seed`: its output's values (lists: each item's) and the draws. */
function run(src: string, name: string, seed = 3): { out: number[][]; shapes: number[][]; dts: string[]; draws: Draws } {
  const mod = moduleOf(src);
  const draws = new Draws(seed);
  const out = new E.Evaluator(mod, { maxElements: 1 << 20, draws }).run(fn(mod, name), {});
  const items = out.t === 'list' ? out.items : [out];
  return { out: items.map((v: { x: { dataSync(): ArrayLike<number> } }) => Array.from(v.x.dataSync())), shapes: items.map((v: { x: { shape: number[] } }) => v.x.shape), dts: items.map((v: { dt: string }) => v.dt), draws };
}

describe('keys are values', () => {
  it('PRNGKey(seed) holds [0, seed]; split gives num keys [num, 2], deterministic on the key; fold_in a new key', () => {
    const r = run(`${J}def f():\n    k = jax.random.PRNGKey(7)\n    return k, jax.random.split(k), jax.random.split(k, 3), jax.random.split(k)[0], jax.random.fold_in(k, 1), jax.random.fold_in(k, 1)\n`, 'f');
    expect(r.out[0]).toEqual([0, 7]);
    expect(r.shapes.slice(1, 3)).toEqual([
      [2, 2],
      [3, 2],
    ]);
    // The first two keys of split(k, 3) are not split(k)'s in JAX either; split(k)[0] is split(k)'s first row.
    expect(r.out[3]).toEqual(r.out[1].slice(0, 2));
    expect(r.out[4]).toEqual(r.out[5]);
    expect(r.out[4]).not.toEqual(r.out[0]);
    expect(r.dts.every((d) => d === 'int')).toBe(true);
  });

  it('one key draws the same values each time; another key, other values; no draw before it changes them', () => {
    const src = `${J}def f():\n    k1, k2 = random.split(random.PRNGKey(0))\n    return random.normal(k1, (4,)), random.normal(k1, (4,)), random.normal(k2, (4,))\n`;
    const r = run(src, 'f');
    expect(r.out[0]).toEqual(r.out[1]);
    expect(r.out[0]).not.toEqual(r.out[2]);
    const later = run(`${J}def f():\n    k1, k2 = random.split(random.PRNGKey(0))\n    random.uniform(k2, (9,))\n    return random.normal(k1, (4,))\n`, 'f');
    expect(later.out[0]).toEqual(r.out[0]);
    expect(r.draws.log.map((d) => d.op)).toEqual(['jax.random.normal', 'jax.random.normal', 'jax.random.normal']);
    expect(r.draws.log[0].key).toBeDefined();
  });

  it("the probe's seed changes a key's draws (the stream is the probe's)", () => {
    const src = `${J}def f():\n    return random.uniform(random.PRNGKey(0), (4,))\n`;
    expect(run(src, 'f', 1).out[0]).not.toEqual(run(src, 'f', 2).out[0]);
  });

  it('the draws of jax.random: shape () by default, bounds, booleans, integers, permutations', () => {
    const r = run(`${J}def f():\n    k = random.PRNGKey(1)\n    return random.normal(k), random.uniform(k, (500,), minval=2.0, maxval=3.0), random.bernoulli(k, 0.5, (6,)), random.randint(k, (500,), 0, 4), random.permutation(k, 5)\n`, 'f');
    expect(r.shapes[0]).toEqual([]);
    expect(Math.min(...r.out[1])).toBeGreaterThanOrEqual(2);
    expect(Math.max(...r.out[1])).toBeLessThan(3);
    expect(r.dts[2]).toBe('bool');
    expect(new Set(r.out[3])).toEqual(new Set([0, 1, 2, 3]));
    expect([...r.out[4]].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('a key that is not one key is refused', () => {
    const mod = moduleOf(`${J}def f():\n    return random.normal(jnp.ones((3,), dtype=jnp.int32), (2,))\n`);
    expect(() => new E.Evaluator(mod, { maxElements: 1 << 20, draws: new Draws(1) }).run(fn(mod, 'f'), {})).toThrow(/not one JAX key/);
  });
});

describe('a key passed in (jax-keys.ts)', () => {
  const key = (src: string, name: string, p: string) => jaxKeyParam(p, moduleOf(src).functions.find((f) => f.qualname === name)!);
  it('is one only drawn with, split, folded, or given as a run\'s rngs', () => {
    expect(key(`${J}def f(x, rng):\n    rng, sub = random.split(rng)\n    return x + random.normal(sub, x.shape) + random.normal(rng, x.shape)\n`, 'f', 'rng')).toBe(true);
    expect(key(`${J}def f(params, x, dropout_rng):\n    return model.apply(params, x, rngs={"dropout": dropout_rng})\n`, 'f', 'dropout_rng')).toBe(true);
    expect(key(`${J}def f(x, step, key):\n    return x + random.uniform(random.fold_in(key, step), x.shape)\n`, 'f', 'key')).toBe(true);
  });
  it('is not one read otherwise (arithmetic, a model run\'s argument, never read)', () => {
    expect(key(`${J}def f(x, rng):\n    return x + rng + random.normal(rng, x.shape)\n`, 'f', 'rng')).toBe(false);
    expect(key(`${J}def f(params, rng, x):\n    return net.apply(params, rng, x)\n`, 'f', 'rng')).toBe(false);
    expect(key(`${J}def f(x, rng):\n    return x\n`, 'f', 'rng')).toBe(false);
  });
  it('is no role: the roles are among the other parameters, the key given PRNGKey(0)', () => {
    const [p] = planModule(moduleOf(`${J}import optax\n\ndef loss(logits, rng, labels):\n    return optax.softmax_cross_entropy_with_integer_labels(logits + random.normal(rng, logits.shape), labels).mean()\n`));
    expect(p).toMatchObject({ input: 'logits', target: 'labels' });
    expect(p.fill?.rng?.value).toEqual({ prngKey: true });
  });
});

describe('end to end (fixture jax_keys.py)', () => {
  afterAll(() => disposeNumericWorker());
  it("probes losses that draw with keys: the wrong twin's log of softmax found, the right one clean, the draws named", async () => {
    loadEngine();
    const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'jax_keys.py'), 'utf8');
    const rs = await checkDocumentNumerically(src, { backend: 'wasm', workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 });
    const r = (name: string) => rs.find((x) => x.function === name)!;
    for (const n of ['noisy_label_loss', 'noisy_label_loss_naive', 'seeded_mix_loss']) expect(r(n).notChecked, n).toBeUndefined();
    // (Its noise makes it differ from the canonical cross-entropy, LL305, as it should.)
    expect(r('noisy_label_loss').findings.map((f) => f.code)).not.toContain('LL301');
    expect(r('noisy_label_loss_naive').findings.map((f) => f.code)).toContain('LL301');
    expect(r('noisy_label_loss').supplied?.rng?.value).toBe('prng_key');
    expect(r('noisy_label_loss').probes.some((p) => (p.draws ?? []).some((d) => d.op === 'jax.random.normal' && d.key))).toBe(true);
    // One key drew a and b alike: the loss is the cross-entropy itself.
    expect(r('seeded_mix_loss').findings.map((f) => f.code)).toEqual([]);
  }, 180_000);
});
