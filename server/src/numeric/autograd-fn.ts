/**
 * PyTorch's custom autograd Functions (`class F(torch.autograd.Function)` with static `forward(ctx,
 * ...)` and `backward(ctx, *grad_outputs)`), called as `F.apply(x, y, ...)`: the value is the user's
 * `forward`, the gradient the user's `backward`, as torch runs them (the way jax.custom_vjp is
 * modelled in custom-grad.ts).
 *
 * - `forward` runs with gradient recording off (torch runs it so); its float tensor outputs (a tensor or
 *   a tuple of them) are the Function's outputs, other outputs pass through as values.
 * - `ctx` holds what `forward` stores: attributes (`ctx.gamma = g`, tensors included), the tensors of
 *   `ctx.save_for_backward(...)` read back as `ctx.saved_tensors` (or `saved_variables`), and
 *   `ctx.needs_input_grad`, one bool per argument: whether it is a tensor whose gradient is taken.
 *   Tensors on `ctx` outlive the forward pass through tfjs's `save`, as custom_vjp's residuals do.
 * - `backward` gets one gradient per output (zeros for an output the loss does not use: torch's
 *   materialized gradients) and returns one per argument: None is zero; a tensor of another shape is
 *   summed to the argument's shape where it broadcasts to it, else torch's "invalid gradient" error;
 *   too few gradients, or a non-None gradient for a non-tensor argument, is torch's error.
 * - `ctx.mark_non_differentiable(out)`: that output carries no gradient. `ctx.set_materialize_grads(False)`
 *   (None for unused outputs) and `ctx.mark_dirty` (in-place outputs) are not modelled: refused.
 */
import type { ClassIR, FunctionIR, ModuleIR } from '../core/ir';
import { canonicalName } from '../ops';
import { tf } from './tf';
import { cg, reduceTo } from './torchops';
import { EvalError, NONE, Unsupported, type Val } from './values';

type T = tf.Tensor;
type Tensor = Extract<Val, { t: 'tensor' }>;
type Ctx = Extract<Val, { t: 'self' }>;

/** The canonical names of torch's Function base class. */
const FUNCTION_BASES: ReadonlySet<string> = new Set(['torch.autograd.Function', 'torch.autograd.function.Function'].map(canonicalName));

/** Whether `cls` derives from torch's autograd Function, directly or through classes of `mod`. */
export function isAutogradFunction(cls: ClassIR, mod: ModuleIR, seen = new Set<ClassIR>()): boolean {
  if (seen.has(cls)) return false;
  seen.add(cls);
  return cls.bases.some((b) => {
    const own = mod.classes.get(b);
    if (own) return isAutogradFunction(own, mod, seen);
    const [head, ...rest] = b.split('.');
    const imp = mod.imports.get(head);
    return FUNCTION_BASES.has(canonicalName(imp ? [imp, ...rest].join('.') : b));
  });
}

/** The autograd Function class whose `forward` `fn` is: probed as torch calls it, through `apply`. */
export function appliedForward(fn: FunctionIR, mod: ModuleIR): ClassIR | undefined {
  if (!fn.className || fn.name !== 'forward') return undefined;
  const cls = mod.classes.get(fn.className);
  return cls && cls.methods.get('forward') === fn && isAutogradFunction(cls, mod) ? cls : undefined;
}

/** Methods of `ctx` (torch's FunctionCtx), read as attributes and called through the evaluator's Python methods. */
export const CTX_METHODS: ReadonlySet<string> = new Set(['save_for_backward', 'save_for_forward', 'mark_non_differentiable', 'set_materialize_grads', 'mark_dirty']);

const isFloat = (v: Val): boolean => v.t === 'tensor' && v.dt === 'float';
const tx = (v: Val): T => (v as Tensor).x;

/** State of one `apply` call's ctx, beside its attributes. */
interface CtxState {
  nonDiff: Set<number>;
}

const STATES = new WeakMap<Ctx, CtxState>();

/** Whether `v` is the ctx of a custom Function's call. */
export function isCtx(v: Val): v is Ctx {
  return v.t === 'self' && STATES.has(v);
}

/** A fresh ctx (a stand-in class with no methods: its methods are the CTX_METHODS, its attributes what the Function sets). */
function newCtx(fnName: string, needs: boolean[]): Ctx {
  const cls: ClassIR = { name: `${fnName}Backward`, bases: ['object'], methods: new Map(), attrs: new Map(), span: { start: { line: 0, col: 0 }, end: { line: 0, col: 0 } } } as unknown as ClassIR;
  const ctx: Ctx = { t: 'self', attrs: new Map(), cls };
  for (const m of CTX_METHODS) ctx.attrs.set(m, { t: 'pymethod', recv: ctx, name: m });
  ctx.attrs.set('needs_input_grad', { t: 'list', items: needs.map((v) => ({ t: 'bool', v })), tuple: true });
  ctx.attrs.set('saved_tensors', { t: 'list', items: [], tuple: true });
  ctx.attrs.set('materialize_grads', { t: 'bool', v: true });
  STATES.set(ctx, { nonDiff: new Set() });
  return ctx;
}

/** `ctx.<m>(*args)`: the methods of torch's FunctionCtx that the checker models. */
export function ctxMethod(ctx: Ctx, m: string, pos: Val[], kw: Record<string, Val>, line: number): Val {
  const st = STATES.get(ctx)!;
  if (Object.keys(kw).length) throw new EvalError(`TypeError: ${m}() got an unexpected keyword argument '${Object.keys(kw)[0]}'`, line, 'TypeError');
  switch (m) {
    case 'save_for_backward':
      for (const v of pos) if (v.t !== 'tensor' && v.t !== 'none') throw new EvalError('TypeError: save_for_backward can only save variables, but argument 0 is of type ' + v.t, line, 'TypeError');
      ctx.attrs.set('saved_tensors', { t: 'list', items: [...pos], tuple: true });
      return NONE;
    case 'mark_non_differentiable':
      for (const v of pos) if (v.t === 'tensor') st.nonDiff.add(v.x.id);
      return NONE;
    case 'set_materialize_grads':
      if (pos[0]?.t === 'bool' && pos[0].v) return NONE;
      throw new Unsupported('ctx.set_materialize_grads(False) (None gradients for unused outputs)', line);
    default:
      throw new Unsupported(`ctx.${m}`, line);
  }
}

/** `v` with each tensor in it (through tuples, lists and dicts) replaced by `f` of it. */
function mapTensors(v: Val, f: (x: T) => T): Val {
  if (v.t === 'tensor') return { ...v, x: f(v.x) };
  if (v.t === 'list') return { ...v, items: v.items.map((x) => mapTensors(x, f)) };
  if (v.t === 'dict') return { ...v, entries: v.entries.map(([k, x]) => [k, mapTensors(x, f)] as [Val, Val]) };
  return v;
}

export interface FunctionCall {
  /** The Function class's name (torch names its backward node `<Name>Backward`). */
  name: string;
  /** Runs the user's forward(ctx, *args), gradient recording off. */
  forward: (ctx: Val, args: Val[]) => Val;
  /** Runs the user's backward(ctx, *grads), gradient recording off. */
  backward: (ctx: Val, grads: Val[]) => Val;
  /** Whether the gradient of a tensor argument is taken (torch's requires_grad). */
  requiresGrad: (x: T) => boolean;
  /** Cuts a tensor off the gradient (an output marked non-differentiable). */
  cut: (x: T) => T;
  line: number;
}

/** `F.apply(*args)`: the user's forward's value, the user's backward's gradient. */
export function applyFunction(args: Val[], h: FunctionCall): Val {
  const { line } = h;
  const node = `${h.name}Backward`;
  const needs = args.map((a) => isFloat(a) && h.requiresGrad(tx(a)));
  const diff = args.flatMap((a, i) => (isFloat(a) ? [i] : []));
  const ctx = newCtx(h.name, needs);
  const outputs = (v: Val): Val[] => {
    const items = v.t === 'list' && v.tuple ? v.items : [v];
    for (const it of items) if (it.t !== 'tensor' && it.t !== 'none' && it.t !== 'num' && it.t !== 'bool') throw new Unsupported(`an autograd Function returning ${it.t}`, line);
    return items;
  };
  if (!diff.length) {
    const v = h.forward(ctx, args);
    outputs(v);
    return v;
  }
  let value: Val | undefined;
  const op = cg((...xs: unknown[]) => {
    const save = xs.pop() as (ts: T[]) => void;
    const a = args.slice();
    diff.forEach((i, k) => (a[i] = { t: 'tensor', x: xs[k] as T, dt: 'float' }));
    // The inputs themselves are the tensors torch hands to forward.
    const v = h.forward(ctx, a);
    value = v;
    const outs = outputs(v);
    const floats = outs.filter(isFloat);
    if (!floats.length) throw new Unsupported('an autograd Function with no float output', line);
    // What ctx holds outlives the forward pass.
    const kept: T[] = [];
    const attrs = [...ctx.attrs.entries()];
    for (const [, x] of attrs) mapTensors(x, (t) => (kept.push(t), t));
    save(kept);
    const packed = tf.concat(floats.map((l) => tf.reshape(tx(l), [-1])));
    return {
      value: packed,
      gradFunc: (dy: T, saved: T[]) => {
        let k = 0;
        for (const [name, x] of attrs) ctx.attrs.set(name, mapTensors(x, () => saved[k++]));
        let at = 0;
        const grads = outs.map((o): Val => {
          if (!isFloat(o)) return o.t === 'tensor' ? { t: 'tensor', x: tf.zerosLike((o as Tensor).x), dt: (o as Tensor).dt } : NONE;
          const g = tf.reshape(tf.slice(dy, [at], [tx(o).size]), tx(o).shape);
          at += tx(o).size;
          return { t: 'tensor', x: g, dt: 'float' };
        });
        const r = h.backward(ctx, grads);
        const got = r.t === 'list' && r.tuple ? r.items : [r];
        const wrong = `RuntimeError: function ${node} returned an incorrect number of gradients (expected ${args.length}, got ${got.length})`;
        if (got.length < args.length || got.slice(args.length).some((g) => g.t !== 'none')) throw new EvalError(wrong, line, 'RuntimeError');
        got.forEach((g, i) => {
          if (i < args.length && args[i].t !== 'tensor' && g.t !== 'none') throw new EvalError(`RuntimeError: function ${node} returned a gradient different than None at position ${i + 1}, but the corresponding forward input was not a Variable`, line, 'RuntimeError');
        });
        return diff.map((i) => {
          const g = got[i];
          const shape = (args[i] as Tensor).x.shape;
          if (g.t === 'none') return tf.zeros(shape);
          if (g.t !== 'tensor') throw new EvalError(`RuntimeError: expected Variable or None (got ${g.t === 'num' ? (g.int ? 'int' : 'float') : g.t === 'list' ? (g.tuple ? 'tuple' : 'list') : g.t})`, line, 'RuntimeError');
          const x = g.x.dtype === 'float32' ? g.x : tf.cast(g.x, 'float32');
          if (x.shape.join() === shape.join()) return x;
          if (!expandable(shape, x.shape)) throw new EvalError(`RuntimeError: Function ${node} returned an invalid gradient at index ${i} - got [${x.shape.join(', ')}] but expected shape compatible with [${shape.join(', ')}]`, line, 'RuntimeError');
          return reduceTo(x, shape);
        });
      },
    };
  });
  const packed = op(...diff.map((i) => (args[i] as Tensor).x));
  const st = STATES.get(ctx)!;
  let at = 0;
  const rebuilt = outputs(value!).map((o): Val => {
    if (!isFloat(o)) return o;
    const x = tf.reshape(tf.slice(packed, [at], [tx(o).size]), tx(o).shape);
    at += tx(o).size;
    return { t: 'tensor', x: st.nonDiff.has(tx(o).id) ? h.cut(x) : x, dt: 'float' };
  });
  return value!.t === 'list' && value!.tuple ? { t: 'list', items: rebuilt, tuple: true } : rebuilt[0];
}

/** Whether a tensor of shape `shape` broadcasts to `to` (torch's is_expandable_to). */
function expandable(shape: number[], to: number[]): boolean {
  if (shape.length > to.length) return false;
  for (let i = 1; i <= shape.length; i++) {
    const s = shape[shape.length - i];
    const d = to[to.length - i];
    if (s !== d && s !== 1) return false;
  }
  return true;
}
