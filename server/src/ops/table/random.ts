/**
 * Random draws: uniform and normal floats (noise, masks, a center's initial value), integers (class
 * indices, negative samples), permutations, Bernoulli masks. The concrete interpreter draws them from
 * the probe's seeded stream (`LowerCtx.draw`, numeric/draws.ts: the algorithms, and the repro script's
 * replay of them in PyTorch); a verdict holds for that draw. Integers in [0, C) are class indices to
 * the abstract interpreter (a test's `randint(0, C, (N,))`), 0/1 ones binary labels.
 */
import { mk, type AbsValue } from '../../core/lattice';
import { defineOp, type AbsCtx, type CVal, type CTensor, type DType, type LowerCtx, type RandomDraw } from '../api';
import { askedDtype } from './creation';
import { dtypeClass } from './shape';

const floatValue = (c: AbsCtx): AbsValue => mk('unknown', { dtype: 'float', src: c.span });

/** The shape asked for: `size` (sizes, one sequence, a torch.Size), else the shape of `input` (`rand_like`); none: one number (numpy's size=None). */
function drawShape(c: LowerCtx): number[] | undefined {
  const v = c.value('shape');
  if (v && v.t !== 'none') return c.shape('shape');
  if (c.has('input')) return c.tensor('input').x.shape;
  if (c.spelling.framework === 'numpy') return undefined;
  // jax.random's shape=(): one value, a 0-d array.
  if (c.spelling.framework === 'jax') return [];
  return c.error(`${c.name}() needs a size`);
}

/** The draw as a tensor of `shape` (a Python number for numpy without a size), no gradient. */
function drawn(c: LowerCtx, shape: number[] | undefined, d: RandomDraw, dt: DType): CVal {
  const vals = c.draw(shape ?? [], d, keyWords(c));
  if (!shape) return { t: 'num', v: vals[0], int: dt !== 'float' };
  return c.out(c.k.fromData(vals, shape, dt), dt);
}

/** A number argument, else `dflt`: a bound given as a tensor is no Python number here. */
function bound(c: LowerCtx, p: string, dflt: number): number {
  return c.num(p) ?? dflt;
}

/** The dtype of the result: asked for, else the input's (`*_like`, in-place), else `dflt`. */
function resultDtype(c: LowerCtx, dflt: DType): DType {
  const asked = askedDtype(c);
  if (asked) return asked;
  const x = c.has('input') ? c.value('input') : undefined;
  return x?.t === 'tensor' ? x.dt : dflt;
}

export const uniform = defineOp({
  id: 'rand',
  summary: 'Random floats, uniform in [low, high).',
  draws: true,
  spell: [
    'torch.rand(*size->shape, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False)',
    'torch.rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None)',
    'Tensor.uniform_(from->low=0, to->high=1)',
    'numpy.random.rand(*d->shape)',
    'numpy.random.random(size->shape=None)',
    'numpy.random.random_sample(size->shape=None)',
    'numpy.random.uniform(low=0.0, high=1.0, size->shape=None)',
    'tensorflow.random.uniform(shape, minval->low=0, maxval->high=None, dtype="float32", seed=None, name=None)',
    'tensorflow.random_uniform(shape, minval->low=0, maxval->high=None, dtype="float32", seed=None, name=None)',
    'keras.backend.random_uniform(shape, minval->low=0.0, maxval->high=1.0, dtype=None, seed=None)',
    'jax.random.uniform(key, shape=None, dtype=None, minval->low=0.0, maxval->high=1.0)',
  ],
  abstract: floatValue,
  lower(c) {
    const shape = drawShape(c);
    const dt = resultDtype(c, 'float');
    // tf.random.uniform of an integer dtype: integers in [minval, maxval), maxval required.
    if (dt === 'int') {
      const high = c.num('high') ?? c.error(`${c.name}: an integer dtype needs maxval`);
      return drawn(c, shape, { kind: 'int', low: bound(c, 'low', 0), high }, 'int');
    }
    return drawn(c, shape, { kind: 'uniform', low: bound(c, 'low', 0), high: bound(c, 'high', 1) }, dt === 'bool' ? 'float' : dt);
  },
});

export const normal = defineOp({
  id: 'randn',
  summary: 'Random floats, normal(mean, std).',
  draws: true,
  spell: [
    'torch.randn(*size->shape, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False)',
    'torch.randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None)',
    'torch.normal(mean, std=1.0, size->shape=None, *, generator=None, out=None)',
    'Tensor.normal_(mean=0, std=1)',
    'numpy.random.randn(*d->shape)',
    'numpy.random.normal(loc->mean=0.0, scale->std=1.0, size->shape=None)',
    'tensorflow.random.normal(shape, mean=0.0, stddev->std=1.0, dtype="float32", seed=None, name=None)',
    'tensorflow.random_normal(shape, mean=0.0, stddev->std=1.0, dtype="float32", seed=None, name=None)',
    'keras.backend.random_normal(shape, mean=0.0, stddev->std=1.0, dtype=None, seed=None)',
    'jax.random.normal(key, shape=None, dtype=None)',
  ],
  abstract: floatValue,
  lower(c) {
    const mean = c.value('mean');
    const std = c.value('std');
    // normal(mean, std) of tensors (torch.normal, numpy's loc / scale arrays): mean + std * z
    // elementwise, z drawn in their broadcast shape (PyTorch's gradients: 1 for mean, z for std).
    if ((mean?.t === 'tensor' || std?.t === 'tensor' || mean?.t === 'list' || std?.t === 'list') && !(c.value('shape') && c.value('shape')!.t !== 'none')) {
      const m = c.toTensor(mean ?? { t: 'num', v: 0, int: false });
      const s = c.toTensor(std ?? { t: 'num', v: 1, int: false });
      const shape = c.k.broadcastShape(m.x.shape, s.x.shape);
      const z = drawn(c, shape, { kind: 'normal', mean: 0, std: 1 }, 'float');
      return c.binop('+', m, c.binop('*', s, z));
    }
    const shape = drawShape(c);
    return drawn(c, shape, { kind: 'normal', mean: bound(c, 'mean', 0), std: bound(c, 'std', 1) }, resultDtype(c, 'float'));
  },
});

export const truncatedNormal = defineOp({
  id: 'truncated_normal',
  summary: 'Random floats, normal(mean, std) redrawn beyond 2 standard deviations.',
  draws: true,
  spell: [
    'tensorflow.random.truncated_normal(shape, mean=0.0, stddev->std=1.0, dtype="float32", seed=None, name=None)',
    'tensorflow.truncated_normal(shape, mean=0.0, stddev->std=1.0, dtype="float32", seed=None, name=None)',
    'keras.backend.truncated_normal(shape, mean=0.0, stddev->std=1.0, dtype=None, seed=None)',
  ],
  abstract: floatValue,
  lower: (c) => drawn(c, drawShape(c), { kind: 'truncated', mean: bound(c, 'mean', 0), std: bound(c, 'std', 1) }, 'float'),
});

/**
 * randint(0, C, (N,)) draws class indices; randint(0, 2, ...) 0/1 labels, binary labels as much as
 * indices of two classes. The dtype is the one asked for, else the input's where there is one
 * (`randint_like`, the in-place `random_`: a float tensor's `random_(2)` holds the floats 0. and 1.),
 * else int; integers of another or an unknown dtype are no class indices.
 */
function intAbstract(c: AbsCtx): AbsValue {
  // (fvcore's tests feed randint(0, 2, (N,)).float() to a sigmoid focal loss on [N] logits: labels, with no claim of class indices.)
  // randint(high, size) / random_(to): one bound is the end (the lowering's reading too).
  const high = c.num('high') ?? c.num('low');
  const dtype = dtypeClass(c.str('dtype')) ?? (c.has('input') ? c.arg('input')?.dtype : 'int');
  if (high === 2) return mk('target', { dtype, src: c.span });
  if (dtype !== 'int') return mk('unknown', { dtype, src: c.span });
  return mk('target_index', { dtype: 'int', src: c.span });
}

export const randint = defineOp({
  id: 'randint',
  summary: 'Random integers in [low, high): class indices.',
  draws: true,
  spell: [
    'torch.randint(low, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False)',
    'torch.randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None)',
    'Tensor.random_(from->low=0, to->high=None)',
    'numpy.random.randint(low, high=None, size=None, dtype="int64")',
    'jax.random.randint(key, shape->size, minval->low, maxval->high, dtype=None)',
  ],
  abstract: intAbstract,
  lower(c) {
    let low = c.value('low');
    let high = c.value('high');
    let size = c.value('size');
    let sizeParam = 'size';
    // torch.randint(high, size): the size went to `high` (a sequence), the bound to `low`.
    if (c.spelling.name === 'torch.randint' && (!size || size.t === 'none') && high?.t === 'list') {
      [low, high, size] = [{ t: 'num', v: 0, int: true }, low, high];
      sizeParam = 'high';
    }
    // randint(high) / random_(to) / randint_like(input, high): one bound is the end, from 0.
    if (!high || high.t === 'none') [low, high] = [{ t: 'num', v: 0, int: true }, low];
    if (!high || high.t !== 'num' || !low || low.t !== 'num') return c.unsupported(`${c.name} without number bounds`);
    if (high.v <= low.v) return c.error(`${c.name}: random_ expects 'from' to be less than 'to', but got from=${low.v} >= to=${high.v}`);
    const shape = size && size.t !== 'none' ? c.shape(sizeParam) : c.has('input') ? c.tensor('input').x.shape : c.spelling.framework === 'numpy' ? undefined : c.error(`${c.name}() needs a size`);
    const dt = c.has('input') ? resultDtype(c, 'int') : (askedDtype(c) ?? 'int');
    return drawn(c, shape, { kind: 'int', low: low.v, high: high.v }, dt === 'bool' ? 'int' : dt);
  },
});

export const choice = defineOp({
  id: 'choice',
  summary: 'Random picks from range(a) or from a sequence, with or without replacement.',
  draws: true,
  spell: ['numpy.random.choice(a, size=None, replace=True, p=None)', 'jax.random.choice(key, a, shape->size=None, replace=True, p=None, axis=0)'],
  abstract: intAbstract,
  lower(c) {
    if (c.value('p') && c.value('p')!.t !== 'none') c.unsupported(`${c.name} with p`);
    if ((c.num('axis') ?? 0) !== 0) c.unsupported(`${c.name} along an axis other than 0`);
    const a = c.value('a') ?? c.error(`${c.name}: missing a`);
    const pool: CTensor | undefined = a.t === 'num' ? undefined : c.toTensor(a);
    if (pool && pool.x.shape.length !== 1) c.error('a must be 1-dimensional');
    const n = a.t === 'num' ? a.v : pool!.x.shape[0];
    const shape = c.value('size') && c.value('size')!.t !== 'none' ? c.shape('size') : undefined;
    const k = (shape ?? []).reduce((x, y) => x * y, 1);
    let idx: number[];
    if (c.flag('replace') === false) {
      if (k > n) c.error('Cannot take a larger sample than population when replace is False');
      idx = c.draw([n], { kind: 'perm' }).slice(0, k);
    } else idx = c.draw(shape ?? [], { kind: 'int', low: 0, high: n });
    const picked = c.k.fromData(idx, shape ?? [], 'int');
    if (!pool) return shape ? c.out(picked, 'int') : { t: 'num', v: idx[0], int: true };
    const out = c.k.take(pool.x, picked, 0);
    return c.out(out, pool.dt);
  },
});

export const permutation = defineOp({
  id: 'randperm',
  summary: 'A random permutation of range(n), or of an array along its first axis.',
  draws: true,
  spell: [
    'torch.randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False)',
    'numpy.random.permutation(x->n)',
    'jax.random.permutation(key, x->n, axis=0, independent=False)',
  ],
  abstract: (c) => mk('unknown', { dtype: 'int', src: c.span }),
  lower(c) {
    if ((c.num('axis') ?? 0) !== 0 || c.flag('independent')) c.unsupported(`${c.name} along an axis other than 0`);
    const v = c.value('n') ?? c.error(`${c.name}: missing n`);
    if (v.t === 'num') return c.out(c.k.fromData(c.draw([v.v], { kind: 'perm' }), [v.v], 'int'), askedDtype(c) ?? 'int');
    // numpy.random.permutation(array): a shuffled copy along the first axis.
    const x = c.toTensor(v);
    const order = c.k.fromData(c.draw([x.x.shape[0]], { kind: 'perm' }), [x.x.shape[0]], 'int');
    return c.out(c.k.take(x.x, order, 0), x.dt);
  },
});

export const bernoulli = defineOp({
  id: 'bernoulli',
  summary: 'Random 0/1 values, 1 with probability p (per element, or one p for all).',
  draws: true,
  spell: ['torch.bernoulli(input, *, generator=None, out=None)', 'Tensor.bernoulli(*, generator=None)', 'Tensor.bernoulli_(p=0.5, *, generator=None)', 'jax.random.bernoulli(key, p=0.5, shape=None)'],
  abstract: floatValue,
  lower(c) {
    // jax.random.bernoulli(key, p, shape): booleans, True with probability p (a number, or one per element broadcast to shape).
    if (c.has('key')) {
      const pv = c.value('p');
      const pt = pv && pv.t !== 'num' && pv.t !== 'none' ? c.cast(c.toTensor(pv), 'float') : undefined;
      const sv = c.value('shape');
      const shape = sv && sv.t !== 'none' ? c.shape('shape') : pt ? pt.x.shape : [];
      const probs: number | ArrayLike<number> = pt ? c.k.data(c.k.broadcastTo(pt.x, shape)) : (c.num('p') ?? 0.5);
      return drawn(c, shape, { kind: 'bernoulli', p: probs }, 'bool');
    }
    const x = c.tensor('input');
    const p = c.value('p');
    // No gradient flows through a draw (PyTorch: bernoulli's derivative is zero).
    const probs: number | ArrayLike<number> = p && p.t !== 'none' ? (c.num('p') ?? 0) : c.k.data(c.cast(x, 'float').x);
    if (typeof probs !== 'number' && Array.prototype.some.call(probs, (v: number) => !(v >= 0 && v <= 1))) c.error('Expected p_in >= 0 && p_in <= 1 to be true');
    return drawn(c, x.x.shape, { kind: 'bernoulli', p: probs }, x.dt === 'int' ? 'int' : 'float');
  },
});

/**
 * JAX keys. A key is a value (`jax.random.PRNGKey(0)`, passed in as `rng`): a draw with it
 * (`jax.random.normal(key, shape)`) takes its values from a stream of its own, the probe's seed
 * mixed with the key's words (numeric/draws.ts `keyStream`), so one key always draws the same values
 * and `split` / `fold_in` make new keys deterministically from it, as JAX's do (the values are the
 * probe's, not JAX's threefry bits: a verdict holds for those draws, as for torch's). A key is held
 * as an integer array of two words (`PRNGKey`'s uint32[2], words under 2^31 here; a new-style
 * `jax.random.key(seed)` too, whose shape JAX gives as ()).
 */
export const PRNG_KEY_WORDS = 2;

/** Mixes words into one (murmur3's finaliser over a running hash): keys from keys, and a key's stream seed. */
export function mixWords(words: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    h = Math.imul(h ^ (w >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** The words of the key argument (`key`) of a keyed draw, else undefined (a draw of the probe's own stream). */
function keyWords(c: LowerCtx): number[] | undefined {
  if (!c.has('key')) return undefined;
  const k = c.tensor('key');
  if (k.dt !== 'int' || k.x.shape.length !== 1 || k.x.shape[0] !== PRNG_KEY_WORDS) return c.unsupported(`${c.name} with a key that is not one JAX key (int[${PRNG_KEY_WORDS}])`);
  return Array.from(c.k.data(k.x));
}

const keyValue = (c: AbsCtx): AbsValue => mk('unknown', { dtype: 'int', src: c.span });

export const prngKey = defineOp({
  id: 'prng_key',
  summary: "A JAX random key from a seed: the key's draws are the probe's, the same for the same key.",
  spell: ['jax.random.PRNGKey(seed, impl=None)', 'jax.random.key(seed, *, impl=None)'],
  abstract: keyValue,
  lower(c) {
    const seed = c.num('seed') ?? c.unsupported(`${c.name} of a seed that is not a Python number`);
    if (!Number.isInteger(seed)) c.error(`${c.name}: the seed must be an integer`);
    // PRNGKey(seed) is [0, seed] for a seed under 2^32 (JAX's threefry key); words kept under 2^31.
    return c.out(c.k.fromData([0, (seed >>> 0) & 0x7fffffff], [PRNG_KEY_WORDS], 'int'), 'int');
  },
});

export const prngSplit = defineOp({
  id: 'prng_split',
  summary: 'num new JAX keys made from one, deterministically ([num, 2]; unpacked as keys).',
  spell: ['jax.random.split(key, num=2)'],
  abstract: keyValue,
  lower(c) {
    const key = keyWords(c)!;
    const num = c.num('num') ?? 2;
    if (!Number.isInteger(num) || num < 0) c.error(`${c.name}: num must be a non-negative integer`);
    const out: number[] = [];
    for (let i = 0; i < num; i++) for (let w = 0; w < PRNG_KEY_WORDS; w++) out.push(mixWords([...key, i, w]) & 0x7fffffff);
    return c.out(c.k.fromData(out, [num, PRNG_KEY_WORDS], 'int'), 'int');
  },
});

export const prngFoldIn = defineOp({
  id: 'prng_fold_in',
  summary: 'A new JAX key made from a key and an integer, deterministically.',
  spell: ['jax.random.fold_in(key, data)'],
  abstract: keyValue,
  lower(c) {
    const key = keyWords(c)!;
    const dv = c.value('data');
    const data = dv?.t === 'num' ? dv.v : dv?.t === 'tensor' && dv.x.size === 1 && dv.dt === 'int' ? c.k.data(dv.x)[0] : c.unsupported(`${c.name} with data that is not one integer`);
    const out = Array.from({ length: PRNG_KEY_WORDS }, (_, w) => mixWords([...key, 0x7fffffff, data >>> 0, w]) & 0x7fffffff);
    return c.out(c.k.fromData(out, [PRNG_KEY_WORDS], 'int'), 'int');
  },
});

/**
 * A draw of class indices from the categorical distribution whose unnormalised log-probabilities are
 * `input` (the Gumbel-max trick in JAX; TensorFlow's multinomial sampler). An entry of -inf is a class
 * of probability 0, never drawn; the draw is an integer with no gradient, so a log-probability of 0
 * here is harmless (LL202 reads it: rules/log-of-probability.ts). No lowering: a loss does not sample,
 * and the numeric check says it does not run this.
 */
export const categoricalSample = defineOp({
  id: 'categorical_sample',
  summary: 'Class indices drawn from a categorical distribution given by its logits (unnormalised log-probabilities).',
  draws: true,
  spell: [
    'jax.random.categorical(key, logits->input, axis=-1, shape=None, replace=True)',
    'tensorflow.random.categorical(logits->input, num_samples, dtype=None, seed=None, name=None)',
    'tensorflow.multinomial(logits->input, num_samples, seed=None, name=None, output_dtype=None)',
  ],
  expects: { input: 'logits' },
  abstract: (c) => mk('unknown', { dtype: 'int', src: c.span }),
});

export const RANDOM = [uniform, normal, truncatedNormal, randint, choice, permutation, bernoulli, prngKey, prngSplit, prngFoldIn, categoricalSample];
