/**
 * What a function's decorators do to the values and gradients the numeric checker computes. The
 * evaluator runs a function's own body; that is exact only when each decorator returns a function
 * computing the same thing (a compiler, a registration, a type marker), or a change the evaluator
 * models (a context manager used as a decorator: `@torch.no_grad()` runs the body without gradient;
 * `@jax.vmap` maps the body over the examples, eval.ts `vmapApply`). Any other decorator (`@jax.pmap`,
 * mmdet's `@weighted_loss`, a decorator of a module the check does not read) changes what is computed
 * in ways not known here: the function is refused, never run as if undecorated.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt } from '../core/ir';
import { canonicalName } from '../ops';

/** Decorators that return a function computing the same values and gradients (by canonical name). */
const SAME_FUNCTION = new Set([
  // Python: method kinds (read at attribute access), markers, caches of pure functions.
  'staticmethod',
  'classmethod',
  'property',
  'functools.cached_property',
  'abc.abstractmethod',
  'typing.overload',
  'typing.override',
  'typing.final',
  'typing_extensions.override',
  'typing_extensions.final',
  'overrides.override',
  'functools.wraps',
  // Run-time type checks: the function itself, or a TypeError on arguments of other types.
  'typeguard.typechecked',
  'beartype.beartype',
  'jaxtyping.jaxtyped',
  'functools.lru_cache',
  'functools.cache',
  // Compilers: the same function, traced or compiled.
  'jax.jit',
  'jax.checkpoint',
  'jax.remat',
  'jax.named_call',
  'equinox.filter_jit',
  'flax.nnx.jit',
  'tensorflow.function',
  'tensorflow.autograph.experimental.do_not_convert',
  'torch.jit.script',
  'torch.jit.ignore',
  'torch.jit.unused',
  'torch.jit.export',
  'torch.compile',
  'numba.jit',
  'numba.njit',
  // Mixed precision: the probes run in float32, where these cast nothing.
  'torch.cuda.amp.custom_fwd',
  'torch.cuda.amp.custom_bwd',
  'torch.amp.custom_fwd',
  'torch.amp.custom_bwd',
  // A custom autograd Function's backward run once, without recording (it runs so anyway: autograd-fn.ts).
  'torch.function.once_differentiable', // torch.autograd.function.once_differentiable, canonical
  // Registrations that return the function they are given.
  'keras.utils.register_keras_serializable',
  'keras.saving.register_keras_serializable',
]);

/** Context managers whose decorator form runs the function inside them: the gradient mode they set. */
const CONTEXT: ReadonlyMap<string, boolean | undefined> = new Map([
  ['torch.no_grad', false],
  ['torch.inference_mode', false],
  ['torch.enable_grad', true],
  ['torch.autocast', undefined],
  ['torch.amp.autocast', undefined],
  ['torch.cuda.amp.autocast', undefined],
  ['torch.cpu.amp.autocast', undefined],
]);

/** What the decorators of a function do: run it as written (with a gradient mode), or refuse. */
export type DecoratorEffect = { refuse?: undefined; grad?: boolean; vmap?: { args: Expr[]; kwargs: Record<string, Expr> } } | { refuse: string };

/** The dotted name an expression spells, its root resolved through the module's imports. */
export function dottedOf(e: Expr, mod: ModuleIR): string | undefined {
  if (e.k === 'name') return canonicalName(mod.imports.get(e.id) ?? e.id);
  if (e.k === 'attr') {
    const base = dottedOf(e.obj, mod);
    return base === undefined ? undefined : canonicalName(`${base}.${e.attr}`);
  }
  return undefined;
}

/**
 * Whether `g` returns its first parameter unchanged on every `return` (`def register(fn): ...; return fn`),
 * or, called with arguments, returns such a function defined inside it (`def register(name): def deco(fn):
 * ...; return fn; return deco`).
 */
function identityDecorator(g: FunctionIR, mod: ModuleIR, called: boolean): boolean {
  if (!called) {
    const p = g.params[0];
    if (!p || p.kind !== 'plain') return false;
    const rets = returns(g.body);
    return rets.length > 0 && rets.every((r) => r?.k === 'name' && r.id === p.name) && !rebinds(g.body, p.name);
  }
  const rets = returns(g.body);
  if (rets.length !== 1 || rets[0]?.k !== 'name') return false;
  const innerName = rets[0].id;
  const inner = mod.functions.find((f) => f.parent === g.qualname && f.name === innerName);
  return !!inner && identityDecorator(inner, mod, false);
}

/** The values of the `return` statements of a body (nested definitions excluded); undefined for a bare `return`. */
function returns(body: readonly Stmt[]): (Expr | undefined)[] {
  const out: (Expr | undefined)[] = [];
  const walk = (ss: readonly Stmt[]): void => {
    for (const s of ss) {
      if (s.k === 'return') out.push(s.value);
      else if (s.k === 'if') {
        walk(s.body);
        walk(s.orelse);
      } else if (s.k === 'other') walk(s.body);
    }
  };
  walk(body);
  return out;
}

/** Whether a body rebinds `name` (an assignment or a loop target): then `return name` may not return the parameter. */
function rebinds(body: readonly Stmt[], name: string): boolean {
  const binds = (t: { k: string; id?: string } | undefined): boolean => t?.k === 'name' && t.id === name;
  for (const s of body) {
    if (s.k === 'assign' && s.targets.some(binds)) return true;
    if (s.k === 'if' && (rebinds(s.body, name) || rebinds(s.orelse, name))) return true;
    if (s.k === 'other' && (binds(s.target) || rebinds(s.body, name))) return true;
  }
  return false;
}

/**
 * The effect of `fn`'s decorators. `customGradient`: the function's gradient rule is defined
 * (`f.defvjp(fwd, bwd)`), which `@jax.custom_vjp` / `@jax.custom_jvp` need to mean anything.
 */
export function decoratorEffect(fn: FunctionIR, mod: ModuleIR, customGradient: boolean): DecoratorEffect {
  let grad: boolean | undefined;
  let vmap: { args: Expr[]; kwargs: Record<string, Expr> } | undefined;
  for (const d of fn.decorators ?? []) {
    const called = d.k === 'call';
    const head = d.k === 'call' ? d.func : d;
    const q = d.k === 'call' && d.callee ? canonicalName(d.callee) : dottedOf(head, mod);
    const shown = q ?? 'an expression';
    if (q === undefined) return { refuse: `decorator @${shown}` };
    if (SAME_FUNCTION.has(q)) continue;
    // `@jax.vmap` / `@jax.vmap(in_axes=...)` (one of them): the evaluator maps the function itself.
    if (q === 'jax.vmap' && !vmap) {
      vmap = d.k === 'call' ? { args: d.args, kwargs: d.kwargs } : { args: [], kwargs: {} };
      continue;
    }
    if ((q === 'jax.custom_vjp' || q === 'jax.custom_jvp') && customGradient) continue;
    // `@partial(jax.jit, static_argnums=...)`: the partial of a compiler.
    if (called && (q === 'functools.partial' || q === 'partial') && d.k === 'call') {
      const first = d.args[0];
      const inner = first ? dottedOf(first, mod) : undefined;
      if (inner && SAME_FUNCTION.has(inner)) continue;
      if (inner === 'jax.vmap' && !vmap && !d.splat) {
        vmap = { args: d.args.slice(1), kwargs: d.kwargs };
        continue;
      }
      // `@partial(jax.custom_vjp, nondiff_argnums=...)`: the evaluator's custom-gradient path says what it models.
      if ((inner === 'jax.custom_vjp' || inner === 'jax.custom_jvp') && customGradient) continue;
      return { refuse: `decorator @partial(${inner ?? '...'})` };
    }
    if (CONTEXT.has(q)) {
      const g = CONTEXT.get(q);
      if (g !== undefined) grad = g;
      continue;
    }
    // A decorator of this module that returns the function it is given (a registry).
    const local = head.k === 'name' ? mod.functions.find((f) => f.name === head.id && !f.className && !f.parent) : undefined;
    if (local && identityDecorator(local, mod, called)) continue;
    return { refuse: `decorator @${q}` };
  }
  return { ...(grad === undefined ? {} : { grad }), ...(vmap ? { vmap } : {}) };
}
