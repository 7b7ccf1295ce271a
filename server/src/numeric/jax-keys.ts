/**
 * A JAX random key passed in (`def loss_fn(params, rng, batch)`): a parameter every use of which is a
 * key's (the key of a keyed draw `jax.random.normal(rng, shape)`, of `split(rng)` or `fold_in(rng, i)`,
 * or a value of the `rngs={"dropout": rng}` mapping a model's run takes). It is no prediction or target: the probes give it a key (`PRNGKey(0)`, whose draws come
 * from the probe's seeded stream, ops/table/random.ts), and say so. Pure IR reading.
 */
import type { Expr, FunctionIR } from '../core/ir-types';

/** The op ids whose `key` parameter takes a JAX key (ops/table/random.ts). */
function keyedOp(e: Expr | undefined, read: Expr): boolean {
  return !!e && e.k === 'call' && !!e.op && !!e.spell && e.spell.framework === 'jax' && e.bound?.key === read;
}

/** Every node of an IR subtree with its parents (nearest last); the op table's references and spans skipped. */
function walk(node: unknown, on: (n: Expr, up: readonly unknown[]) => void, up: unknown[] = []): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, on, up);
    return;
  }
  if (!node || typeof node !== 'object' || node instanceof Map) return;
  const o = node as Record<string, unknown>;
  const isNode = typeof o.k === 'string';
  if (isNode) on(o as unknown as Expr, up);
  if (isNode) up.push(o);
  for (const [key, v] of Object.entries(o)) if (key !== 'op' && key !== 'spell' && key !== 'bound' && key !== 'span' && key !== 'nameSpan' && v && typeof v === 'object') walk(v, on, up);
  if (isNode) up.pop();
}

/**
 * Whether parameter `name` of `g` is a JAX key: read at least once, and every read a key's use (a
 * keyed op's `key`, an item of a call's `rngs=` mapping; a model's `.apply(params, rng, x)` reads
 * whatever it is given, so an argument there says nothing). Names bound from it by `split` (`rng, sub = jax.random.split(rng)`) are reads of
 * the same name where they rebind it; other locals are not followed.
 */
export function jaxKeyParam(name: string, g: FunctionIR): boolean {
  let reads = 0;
  let keyed = 0;
  walk(g.body, (e, up) => {
    if (e.k !== 'name' || e.id !== name) return;
    const p = up[up.length - 1] as Expr | undefined;
    // A store (`rng, sub = split(rng)`) is no read.
    if (p && ((p as { k: string }).k === 'assign' || p.k === 'tuple') && isStore(e, up)) return;
    reads++;
    if (keyedOp(p, e)) keyed++;
    else if (p?.k === 'dict') {
      const call = up[up.length - 2] as Expr | undefined;
      if (call?.k === 'call' && call.kwargs.rngs === p) keyed++;
    }
  });
  return reads > 0 && reads === keyed;
}

/** Whether the name `e` is an assignment's target (directly or in a tuple of targets). */
function isStore(e: Expr, up: readonly unknown[]): boolean {
  for (let i = up.length - 1; i >= 0; i--) {
    const a = up[i] as { k: string; targets?: unknown[] };
    if (a.k === 'tuple' || a.k === 'list') continue;
    if (a.k === 'assign') {
      const inner = (up[i + 1] ?? e) as unknown;
      return !!a.targets?.includes(inner);
    }
    return false;
  }
  return false;
}
