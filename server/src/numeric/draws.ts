/**
 * Random draws inside a probed function (`torch.randint` for negative sampling, `torch.randn` for
 * noise or a center's initial value, `tf.random.uniform` for a mask, ...). The user's generator is
 * not reproducible from the file (its state depends on everything the program ran before), so the
 * concrete interpreter draws from a stream of its own: mulberry32 of the probe's seed plus
 * DRAW_SEED_OFFSET, started afresh for each call of the function, every draw recorded in call order
 * (which op, which shape). A verdict holds for that draw, and the probe output says so.
 *
 * The `--repro` script (repro.ts) carries the same algorithms in Python (PY_DRAWS below, kept beside
 * the TypeScript so that the two change together): while the function runs there, each random
 * function of torch and numpy it calls returns the values drawn here, and a call that is not the
 * one recorded (another op or shape) raises instead of going on with other values. So the script's
 * real torch computes on exactly the values the checker computed on.
 *
 * Each draw takes doubles u in [0, 1) from the stream:
 * - uniform(low, high): low + (high - low) * u24, u24 = floor(u * 2^24) / 2^24 (exact in float32, < 1);
 * - normal(mean, std): mean + std * sqrt(-2 ln(1 - u1)) * cos(2 pi u2) (two u per value, u1 first);
 * - int(low, high): low + min(n - 1, floor(u * n)), n = high - low;
 * - perm(n): Fisher-Yates from the last position down, j = floor(u * (i + 1));
 * - bernoulli(p): 1 where u < p, else 0 (one u per element);
 * - truncated(mean, std): normal values redrawn while |z| > 2 (TensorFlow's truncated normal);
 * each value rounded to float32 where the result is a float.
 */
import type { RandomDraw } from '../ops/api';
import { mixWords } from '../ops/table/random';
import { mulberry32 } from './gen';

/** The stream of the draws: mulberry32 of the probe's seed plus this (mod 2^32). */
export const DRAW_SEED_OFFSET = 0x2545f491;


/** One recorded draw: the function called (as the op table spells it) and the shape drawn; `key`: the JAX key it drew with. */
export interface Draw {
  op: string;
  shape: number[];
  key?: number[];
}

/** The seed of a JAX key's own stream: the probe's draw seed and the key's words, mixed (`mixWords`). */
export function keyStream(seed: number, key: readonly number[]): number {
  return mixWords([(seed + DRAW_SEED_OFFSET) >>> 0, ...key]);
}

export class Draws {
  private readonly rnd: () => number;
  readonly log: Draw[] = [];

  constructor(readonly seed: number) {
    this.rnd = mulberry32((seed + DRAW_SEED_OFFSET) >>> 0);
  }

  /**
   * The values of one draw of `shape` (row-major), recorded as `op`. `perm`: a permutation of
   * range(shape[0]). `key`: a JAX key's words (ops/table/random.ts `PRNG_KEY`): the values come from
   * a stream of their own, mulberry32 of the probe's seed mixed with the key (`keyStream`), so the
   * same key draws the same values and the draws before it change nothing, as in JAX.
   */
  draw(op: string, shape: readonly number[], d: RandomDraw, key?: readonly number[]): number[] {
    const n = shape.reduce((a, b) => a * b, 1);
    this.log.push({ op, shape: [...shape], ...(key ? { key: [...key] } : {}) });
    const u = key ? mulberry32(keyStream(this.seed, key)) : this.rnd;
    const out = new Array<number>(n);
    switch (d.kind) {
      case 'uniform':
        for (let i = 0; i < n; i++) out[i] = Math.fround(d.low + (d.high - d.low) * (Math.floor(u() * 16777216) / 16777216));
        return out;
      case 'normal':
        for (let i = 0; i < n; i++) out[i] = Math.fround(d.mean + d.std * normal(u));
        return out;
      case 'truncated':
        for (let i = 0; i < n; i++) {
          let z = normal(u);
          while (Math.abs(z) > 2) z = normal(u);
          out[i] = Math.fround(d.mean + d.std * z);
        }
        return out;
      case 'int': {
        const m = d.high - d.low;
        for (let i = 0; i < n; i++) out[i] = d.low + Math.min(m - 1, Math.floor(u() * m));
        return out;
      }
      case 'perm': {
        for (let i = 0; i < n; i++) out[i] = i;
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(u() * (i + 1));
          const t = out[i];
          out[i] = out[j];
          out[j] = t;
        }
        return out;
      }
      case 'bernoulli':
        for (let i = 0; i < n; i++) out[i] = u() < (typeof d.p === 'number' ? d.p : d.p[i]) ? 1 : 0;
        return out;
    }
  }
}

function normal(u: () => number): number {
  const u1 = u();
  const u2 = u();
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/** How a report names a probe's draws: `torch.randint [32, 1], torch.randn [8, 2]`. */
export function drawsText(draws: readonly Draw[]): string {
  return draws.map((d) => `${d.op} [${d.shape.join(', ')}]`).join(', ');
}

/**
 * The same draws in Python, for the repro script: `_DRAWS.start(seed, expected)` before each call of
 * the function, and while it runs the random functions of torch and numpy it calls (REPLAYED, patched
 * on their modules and on the user's module where it imported them by name) return the values drawn
 * here. `expected` (the checker's record of the call reported: [op, shape] each) is compared draw by
 * draw; None skips the comparison (an earlier call of the same probe).
 */
export const PY_DRAWS = `
class _Draws:
    """LossLint's random draws (numeric/draws.ts), replayed in call order."""

    def __init__(self):
        self.rnd = None
        self.expected = None
        self.k = 0

    def start(self, seed, expected):
        self.rnd = _mulberry32((seed + ${DRAW_SEED_OFFSET}) & 0xFFFFFFFF)
        self.expected = expected
        self.k = 0

    def finish(self):
        if self.expected is not None and self.k != len(self.expected):
            raise RuntimeError("the function made %d random draws where LossLint's checker made %d" % (self.k, len(self.expected)))

    def take(self, op, shape, kind, *params):
        shape = [int(s) for s in shape]
        if self.rnd is None:
            raise RuntimeError("%s: a random draw outside the probed call" % op)
        if self.expected is not None:
            if self.k >= len(self.expected) or list(self.expected[self.k]) != [op, shape]:
                want = self.expected[self.k] if self.k < len(self.expected) else "no draw"
                raise RuntimeError("draw %d: the function called %s %s where LossLint's checker drew %s" % (self.k, op, shape, want))
        self.k += 1
        n = 1
        for s in shape:
            n *= s
        u = self.rnd
        if kind == "uniform":
            low, high = params
            return [_f32(low + (high - low) * (math.floor(u() * 16777216) / 16777216.0)) for _ in range(n)]
        if kind == "normal":
            mean, std = params
            return [_f32(mean + std * _normal(u)) for _ in range(n)]
        if kind == "truncated":
            mean, std = params
            out = []
            for _ in range(n):
                z = _normal(u)
                while abs(z) > 2:
                    z = _normal(u)
                out.append(_f32(mean + std * z))
            return out
        if kind == "int":
            low, high = params
            m = high - low
            return [low + min(m - 1, int(math.floor(u() * m))) for _ in range(n)]
        if kind == "perm":
            out = list(range(n))
            for i in range(n - 1, 0, -1):
                j = int(math.floor(u() * (i + 1)))
                out[i], out[j] = out[j], out[i]
            return out
        if kind == "bernoulli":
            (p,) = params
            return [1.0 if u() < (p if isinstance(p, float) else p[i]) else 0.0 for i in range(n)]
        raise ValueError(kind)


def _normal(u):
    u1 = u()
    u2 = u()
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


_DRAWS = _Draws()


def _size(args, kw, key="size"):
    """A size given as sizes (\`randn(2, 3)\`), as one sequence (\`randn((2, 3))\`) or by keyword."""
    if key in kw:
        s = kw.pop(key)
    elif len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size)):
        s = args[0]
    else:
        s = args
    return [int(x) for x in ([s] if isinstance(s, int) else s)]


def _tensor(vals, shape, dtype, device=None, requires_grad=False):
    t = torch.tensor(vals, dtype=dtype).reshape(shape)
    if device is not None:
        t = t.to(device)
    return t.requires_grad_(True) if requires_grad else t


def _t_rand(*args, **kw):
    shape = _size(args, kw)
    return _tensor(_DRAWS.take("torch.rand", shape, "uniform", 0.0, 1.0), shape, kw.get("dtype") or torch.float32, kw.get("device"), kw.get("requires_grad", False))


def _t_randn(*args, **kw):
    shape = _size(args, kw)
    return _tensor(_DRAWS.take("torch.randn", shape, "normal", 0.0, 1.0), shape, kw.get("dtype") or torch.float32, kw.get("device"), kw.get("requires_grad", False))


def _t_rand_like(input, **kw):
    shape = list(input.shape)
    return _tensor(_DRAWS.take("torch.rand_like", shape, "uniform", 0.0, 1.0), shape, kw.get("dtype") or input.dtype, kw.get("device") or input.device)


def _t_randn_like(input, **kw):
    shape = list(input.shape)
    return _tensor(_DRAWS.take("torch.randn_like", shape, "normal", 0.0, 1.0), shape, kw.get("dtype") or input.dtype, kw.get("device") or input.device)


def _t_randint(*args, **kw):
    args = list(args)
    shape = [int(x) for x in (kw.pop("size") if "size" in kw else args.pop())]
    high = kw.pop("high") if "high" in kw else args.pop()
    low = kw.pop("low") if "low" in kw else (args.pop() if args else 0)
    return _tensor(_DRAWS.take("torch.randint", shape, "int", int(low), int(high)), shape, kw.get("dtype") or torch.int64, kw.get("device"))


def _t_randint_like(input, *args, **kw):
    args = list(args)
    high = kw.pop("high") if "high" in kw else args.pop()
    low = kw.pop("low") if "low" in kw else (args.pop() if args else 0)
    shape = list(input.shape)
    return _tensor(_DRAWS.take("torch.randint_like", shape, "int", int(low), int(high)), shape, kw.get("dtype") or input.dtype, kw.get("device") or input.device)


def _t_randperm(n, **kw):
    return _tensor(_DRAWS.take("torch.randperm", [int(n)], "perm"), [int(n)], kw.get("dtype") or torch.int64, kw.get("device"))


def _t_normal(mean, std=1.0, size=None, **kw):
    if size is not None or not (torch.is_tensor(mean) or torch.is_tensor(std)):
        shape = [int(x) for x in (size or [])]
        return _tensor(_DRAWS.take("torch.normal", shape, "normal", float(mean), float(std)), shape, kw.get("dtype") or torch.float32, kw.get("device"))
    mean = torch.as_tensor(mean)
    std = torch.as_tensor(std)
    shape = list(torch.broadcast_shapes(mean.shape, std.shape))
    z = _tensor(_DRAWS.take("torch.normal", shape, "normal", 0.0, 1.0), shape, torch.float32, mean.device)
    return mean + std * z


def _t_bernoulli(input, p=None, **kw):
    shape = list(input.shape)
    probs = [float(p)] * (input.numel()) if p is not None else [float(v) for v in input.detach().reshape(-1).float().tolist()]
    return _tensor(_DRAWS.take("torch.bernoulli", shape, "bernoulli", [_f32(v) for v in probs]), shape, input.dtype, input.device)


def _inplace(name, kind, defaults):
    def method(self, *args, **kw):
        names = list(defaults)
        vals = dict(defaults)
        vals.update(zip(names, args))
        vals.update((k, v) for k, v in kw.items() if k in vals)
        shape = list(self.shape)
        if kind == "int":
            low, high = (0, vals["from"]) if vals["to"] is None else (vals["from"], vals["to"])
            params = (int(low), int(high))
        elif kind == "bernoulli":
            params = ([_f32(float(vals["p"]))] * self.numel(),)
        else:
            params = tuple(float(vals[k]) for k in names[:2])
        vals_drawn = _DRAWS.take(name, shape, kind, *params)
        with torch.no_grad():
            self.copy_(torch.tensor(vals_drawn, dtype=torch.float64 if self.dtype.is_floating_point else torch.int64).reshape(shape))
        return self

    return method


def _np_shape(size):
    return [] if size is None else [int(x) for x in ([size] if isinstance(size, int) else size)]


def _np_out(vals, shape, dtype):
    a = numpy.asarray(vals, dtype=dtype).reshape(shape)
    return a[()] if not shape else a


def _np_rand(*d):
    return _np_out(_DRAWS.take("numpy.random.rand", list(d), "uniform", 0.0, 1.0), list(d), numpy.float64)


def _np_randn(*d):
    return _np_out(_DRAWS.take("numpy.random.randn", list(d), "normal", 0.0, 1.0), list(d), numpy.float64)


def _np_random(size=None):
    shape = _np_shape(size)
    return _np_out(_DRAWS.take("numpy.random.random", shape, "uniform", 0.0, 1.0), shape, numpy.float64)


def _np_uniform(low=0.0, high=1.0, size=None):
    shape = _np_shape(size)
    return _np_out(_DRAWS.take("numpy.random.uniform", shape, "uniform", float(low), float(high)), shape, numpy.float64)


def _np_normal(loc=0.0, scale=1.0, size=None):
    shape = _np_shape(size)
    return _np_out(_DRAWS.take("numpy.random.normal", shape, "normal", float(loc), float(scale)), shape, numpy.float64)


def _np_randint(low, high=None, size=None, dtype=int):
    low, high = (0, low) if high is None else (low, high)
    shape = _np_shape(size)
    return _np_out(_DRAWS.take("numpy.random.randint", shape, "int", int(low), int(high)), shape, numpy.int64)


def _np_permutation(x):
    n = int(x) if isinstance(x, int) else len(x)
    order = _DRAWS.take("numpy.random.permutation", [n], "perm")
    return numpy.asarray(order, dtype=numpy.int64) if isinstance(x, int) else numpy.asarray(x)[order]


def _np_choice(a, size=None, replace=True, p=None):
    if p is not None:
        raise RuntimeError("numpy.random.choice with p: LossLint's checker does not draw it")
    n = int(a) if isinstance(a, int) else len(a)
    shape = _np_shape(size)
    if replace:
        idx = _DRAWS.take("numpy.random.choice", shape, "int", 0, n)
    else:
        # Without replacement: the first k of a permutation of range(n).
        k = 1
        for s in shape:
            k *= s
        idx = _DRAWS.take("numpy.random.choice", [n], "perm")[:k]
    out = numpy.asarray(idx, dtype=numpy.int64) if isinstance(a, int) else numpy.asarray(a)[idx]
    return out.reshape(shape) if shape else out[()]


REPLAYED = {
    "torch.rand": (torch, "rand", _t_rand),
    "torch.randn": (torch, "randn", _t_randn),
    "torch.rand_like": (torch, "rand_like", _t_rand_like),
    "torch.randn_like": (torch, "randn_like", _t_randn_like),
    "torch.randint": (torch, "randint", _t_randint),
    "torch.randint_like": (torch, "randint_like", _t_randint_like),
    "torch.randperm": (torch, "randperm", _t_randperm),
    "torch.normal": (torch, "normal", _t_normal),
    "torch.bernoulli": (torch, "bernoulli", _t_bernoulli),
    "Tensor.bernoulli": (torch.Tensor, "bernoulli", lambda self, **kw: _t_bernoulli(self, **kw)),
    "Tensor.uniform_": (torch.Tensor, "uniform_", _inplace("Tensor.uniform_", "uniform", {"from": 0.0, "to": 1.0})),
    "Tensor.normal_": (torch.Tensor, "normal_", _inplace("Tensor.normal_", "normal", {"mean": 0.0, "std": 1.0})),
    "Tensor.random_": (torch.Tensor, "random_", _inplace("Tensor.random_", "int", {"from": 0, "to": None})),
    "Tensor.bernoulli_": (torch.Tensor, "bernoulli_", _inplace("Tensor.bernoulli_", "bernoulli", {"p": 0.5})),
}
try:
    import numpy

    REPLAYED.update({
        "numpy.random.rand": (numpy.random, "rand", _np_rand),
        "numpy.random.randn": (numpy.random, "randn", _np_randn),
        "numpy.random.random": (numpy.random, "random", _np_random),
        "numpy.random.random_sample": (numpy.random, "random_sample", _np_random),
        "numpy.random.uniform": (numpy.random, "uniform", _np_uniform),
        "numpy.random.normal": (numpy.random, "normal", _np_normal),
        "numpy.random.randint": (numpy.random, "randint", _np_randint),
        "numpy.random.permutation": (numpy.random, "permutation", _np_permutation),
        "numpy.random.choice": (numpy.random, "choice", _np_choice),
    })
except ImportError:
    pass


def _replay_draws(module, names):
    """Patches the random functions the checker drew with (torch's, numpy's, and the names the user's module bound to them)."""
    for name in names:
        if name not in REPLAYED:
            raise RuntimeError("%s: a random draw this script cannot replay" % name)
        owner, attr, fake = REPLAYED[name]
        real = getattr(owner, attr)
        setattr(owner, attr, fake)
        for k, v in list(vars(module).items()):
            if v is real:
                setattr(module, k, fake)
`;
