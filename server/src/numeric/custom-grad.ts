/**
 * Functions that define their own gradient in JAX (`jax.custom_vjp` with `f.defvjp(fwd, bwd)`,
 * `jax.custom_jvp` with `f.defjvp(jvp)`), evaluated with the user's rule as their gradient:
 * the value is the primal function's (what the function computes), the gradient the rule's.
 *
 * custom_vjp: one tfjs `customGrad` over the float tensors among the arguments. Its forward runs
 * the primal function (the value) and `fwd` (the residuals); its backward calls `bwd(res, g)`, `g`
 * with the output's structure (a tuple output's cotangents as a tuple), and takes the cotangent of
 * each float tensor argument from the tuple it returns (None: zero). Several output tensors travel
 * through the custom op as one flat tensor, sliced back afterwards (tfjs custom ops have one output).
 *
 * custom_jvp: the rule is forward-mode; reverse mode transposes it, as JAX does. Its tangent output
 * is linear in the tangents, so with the primals taken off the tape and each float argument's tangent
 * `x - stop_gradient(x)` (zero, with gradient one), the tape holds exactly that linear map from x to
 * the tangent output, and backpropagating through it is its transpose. Each output carries the primal
 * function's value and passes its gradient into the matching tangent output. Terms of the tangent
 * output in other arguments' (zero) tangents are off the path from the probe's logits, as JAX's
 * symbolic zeros are.
 *
 * Neither form with `nondiff_argnums` (the decorator's arguments are not in the IR; a rule that
 * takes more than two parameters is refused) nor `defvjp(..., symbolic_zeros=True)` is evaluated.
 */
import { tf } from './tf';
import { cg } from './torchops';
import { EvalError, Unsupported, type Val } from './values';

type T = tf.Tensor;
type Tensor = Extract<Val, { t: 'tensor' }>;

const isFloat = (v: Val): boolean => v.t === 'tensor' && v.dt === 'float';
const tensorOf = (v: Val): T => (v as Tensor).x;

/** The leaves of a (nested) tuple or list, and how to put other leaves in their place. */
function flatten(v: Val): { leaves: Val[]; rebuild: (xs: Val[]) => Val } {
  if (v.t !== 'list') return { leaves: [v], rebuild: (xs) => xs[0] };
  const parts = v.items.map(flatten);
  return {
    leaves: parts.flatMap((p) => p.leaves),
    rebuild: (xs) => {
      let i = 0;
      return { t: 'list', tuple: v.tuple, items: parts.map((p) => p.rebuild(xs.slice(i, (i += p.leaves.length)))) };
    },
  };
}

/** `v` with each tensor in it (through tuples, lists and dicts) replaced by `f` of it. */
function mapTensors(v: Val, f: (x: T) => T): Val {
  if (v.t === 'tensor') return { ...v, x: f(v.x) };
  if (v.t === 'list') return { ...v, items: v.items.map((x) => mapTensors(x, f)) };
  if (v.t === 'dict') return { ...v, entries: v.entries.map(([k, x]) => [k, mapTensors(x, f)] as [Val, Val]) };
  return v;
}

function pair(v: Val, what: string, line: number): [Val, Val] {
  if (v.t !== 'list' || v.items.length !== 2) throw new EvalError(`TypeError: ${what} must return a pair (a tuple of two)`, line, 'TypeError');
  return [v.items[0], v.items[1]];
}

/** A cotangent the rule returned for an argument of this shape: None is zero, a number fills it; another shape is not modelled. */
function cotangent(v: Val | undefined, shape: number[], line: number): T {
  if (!v || v.t === 'none') return tf.zeros(shape);
  if (v.t === 'num' || v.t === 'bool') return tf.fill(shape, Number(v.t === 'num' ? v.v : v.v), 'float32');
  if (v.t !== 'tensor') throw new Unsupported(`a custom gradient of type ${v.t}`, line);
  if (v.x.shape.join() !== shape.join()) throw new Unsupported(`a custom gradient of shape [${v.x.shape}] for an argument of shape [${shape}]`, line);
  return v.x.dtype === 'float32' ? v.x : tf.cast(v.x, 'float32');
}

/** `fn(*args)` of a jax.custom_vjp function: the primal's value, `bwd`'s gradient. */
export function customVjp(args: Val[], primal: (a: Val[]) => Val, fwd: (a: Val[]) => Val, bwd: (res: Val, g: Val) => Val, line: number): Val {
  const diff = args.flatMap((a, i) => (isFloat(a) ? [i] : []));
  if (!diff.length) return primal(args);
  let value: Val | undefined;
  const op = cg((...xs: unknown[]) => {
    // The residuals outlive the forward pass (whose tensors tfjs disposes): kept through `save`.
    const save = xs.pop() as (ts: T[]) => void;
    const a = args.slice();
    diff.forEach((i, k) => (a[i] = { t: 'tensor', x: xs[k] as T, dt: 'float' }));
    const v = primal(a);
    value = v;
    const [, res0] = pair(fwd(a), 'a custom_vjp fwd rule', line);
    const kept: T[] = [];
    mapTensors(res0, (x) => (kept.push(x), x));
    save(kept);
    const { leaves, rebuild } = flatten(v);
    const floats = leaves.filter(isFloat);
    if (!floats.length) throw new Unsupported('a custom_vjp function with no float output', line);
    const packed = tf.concat(floats.map((l) => tf.reshape(tensorOf(l), [-1])));
    return {
      value: packed,
      gradFunc: (dy: T, saved: T[]) => {
        let k = 0;
        const res = mapTensors(res0, () => saved[k++]);
        let at = 0;
        const gs = leaves.map((l): Val => {
          if (!isFloat(l)) return { t: 'tensor', x: tf.zeros(l.t === 'tensor' ? l.x.shape : []), dt: 'float' };
          const x = tensorOf(l);
          const g = tf.reshape(tf.slice(dy, [at], [x.size]), x.shape);
          at += x.size;
          return { t: 'tensor', x: g, dt: 'float' };
        });
        const out = bwd(res, rebuild(gs));
        if (out.t !== 'list' || out.items.length !== args.length) throw new EvalError(`TypeError: a custom_vjp bwd rule must return a tuple of ${args.length} cotangents, one per argument`, line, 'TypeError');
        return diff.map((i) => cotangent(out.items[i], (args[i] as Tensor).x.shape, line));
      },
    };
  });
  const packed = op(...diff.map((i) => (args[i] as Tensor).x));
  const { leaves, rebuild } = flatten(value!);
  let at = 0;
  return rebuild(
    leaves.map((l) => {
      if (!isFloat(l)) return l;
      const v = tensorOf(l);
      const x = tf.reshape(tf.slice(packed, [at], [v.size]), v.shape);
      at += v.size;
      return { t: 'tensor', x, dt: 'float' } as Val;
    }),
  );
}

/** The value `v`, with the gradient passed into `t` (of the same shape). */
function carry(v: T, t: T): T {
  return cg((_x: T) => ({ value: tf.clone(v), gradFunc: (dy: T) => dy }))(t);
}

/** `fn(*args)` of a jax.custom_jvp function: the primal's value, the transpose of the rule's tangent map as gradient. */
export function customJvp(args: Val[], primal: (a: Val[]) => Val, jvp: (primals: Val, tangents: Val) => Val, cut: (x: T) => T, line: number): Val {
  if (!args.some(isFloat)) return primal(args);
  const fixed = args.map((a): Val => (isFloat(a) ? { t: 'tensor', x: cut(tensorOf(a)), dt: 'float' } : a));
  const tangents = args.map((a): Val => {
    if (isFloat(a)) return { t: 'tensor', x: tf.sub(tensorOf(a), cut(tensorOf(a))), dt: 'float' };
    if (a.t === 'tensor') return { t: 'tensor', x: tf.zerosLike(a.x), dt: a.dt };
    if (a.t === 'num') return { t: 'num', v: 0, int: false };
    return a;
  });
  const value = primal(fixed);
  const [, tOut] = pair(jvp({ t: 'list', items: fixed, tuple: true }, { t: 'list', items: tangents, tuple: true }), 'a custom_jvp rule', line);
  const vs = flatten(value);
  const ts = flatten(tOut).leaves;
  if (ts.length !== vs.leaves.length) throw new EvalError('TypeError: a custom_jvp rule must return tangents with the structure of its outputs', line, 'TypeError');
  return vs.rebuild(
    vs.leaves.map((l, i) => {
      if (!isFloat(l)) return l;
      const v = tensorOf(l);
      const t = ts[i];
      if (t.t !== 'tensor' || t.x.shape.join() !== v.shape.join()) throw new EvalError(`TypeError: a custom_jvp rule's tangent output must have its primal output's shape [${v.shape}]`, line, 'TypeError');
      return { t: 'tensor', x: carry(v, t.x.dtype === 'float32' ? t.x : tf.cast(t.x, 'float32')), dt: 'float' } as Val;
    }),
  );
}
