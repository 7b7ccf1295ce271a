/**
 * A linear model whose weights are the loss's parameters (issue 16), the commonest JAX tutorial idiom:
 * `def loss(W, b, X, y): preds = sigmoid(jnp.dot(X, W) + b)`, written in the function or in a module
 * function it passes them to (`predict(W, b, X)`). Read from the IR, never from a name:
 *
 *   weights  a parameter that is the right operand of a matrix product (`X @ W`, `jnp.dot(X, W)`,
 *            `X.dot(W)`, `matmul(X, W)`);
 *   biases   a parameter added to such a product (`X @ W + b`, or to a local bound once to it);
 *   data     the product's left operand: a parameter of the function, or a value of the module
 *            (`inputs = jnp.array([...])` at module level) that no parameter brings in.
 *
 * roles.ts gives the weights the identity of the probe's classes and the biases 0 where the data is a
 * parameter (its scores are then the probe's prediction, the data that parameter); where the data is
 * the module's own, the loss's inputs are fixed by the file and the probes, which give a prediction
 * and its targets, refuse it saying so.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt } from '../core/ir-types';
import { stmtRoots, stmtsDeep } from '../core/walk';

export interface LinearModel {
  /** Parameters of the function that are a product's right operand (weights). */
  weights: string[];
  /** Parameters of the function added to such a product (biases). */
  biases: string[];
  /** The product's left operand: a parameter of the function, or a module-level value. */
  data: { param: string } | { global: string };
  /** The product as the code writes it, for messages (`X @ W`; through a function, `predict(W, b, inputs)`: `dot(inputs, W)`). */
  shown: string;
}

type Held = { param: string } | { global: string };

const PRODUCT = /(^|\.)(dot|matmul)$/;

/** The operands of a matrix product `a @ b`, `dot(a, b)`, `matmul(a, b)`, `a.dot(b)`; else undefined. */
function product(e: Expr): [Expr, Expr, string] | undefined {
  if (e.k === 'bin' && e.op === '@') return [e.left, e.right, '@'];
  if (e.k !== 'call' || e.splat) return undefined;
  if (e.func.k === 'attr' && e.func.attr === 'dot' && e.args.length === 1) return [e.func.obj, e.args[0], '.dot'];
  if (PRODUCT.test(e.callee ?? '') && e.args.length === 2) return [e.args[0], e.args[1], e.callee!.split('.').pop()!];
  return undefined;
}

/** Every expression of a statement list (nested blocks included). */
function eachExpr(body: readonly Stmt[], on: (e: Expr) => void): void {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const x of node) walk(x);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (typeof o.k !== 'string') return;
    on(o as unknown as Expr);
    for (const [key, v] of Object.entries(o)) if (key !== 'op' && key !== 'spell' && key !== 'bound' && key !== 'span' && v && typeof v === 'object') walk(v);
  };
  for (const s of stmtsDeep(body as Stmt[])) for (const r of stmtRoots(s)) walk(r);
}

/** Names a body binds (assignment targets, loop targets, nested defs): locals, not the module's. */
function locals(g: FunctionIR): Set<string> {
  const out = new Set(g.params.map((p) => p.name));
  const add = (t: unknown): void => {
    const x = t as { k?: string; id?: string; items?: unknown[] };
    if (x?.k === 'name' && x.id) out.add(x.id);
    else if (x?.k === 'tuple') for (const i of x.items ?? []) add(i);
  };
  for (const s of stmtsDeep(g.body)) {
    if (s.k === 'assign') for (const t of s.targets) add(t);
    else if (s.k === 'def') out.add(s.fn.name);
    const o = s as unknown as { target?: unknown };
    if (o.target) add(o.target);
  }
  return out;
}

function shownOf(l: Expr, r: Expr, how: string): string {
  const n = (e: Expr): string => (e.k === 'name' ? e.id : '...');
  return how === '@' ? `${n(l)} @ ${n(r)}` : how === '.dot' ? `${n(l)}.dot(${n(r)})` : `${how}(${n(l)}, ${n(r)})`;
}

/**
 * Reads `g` with `held`: what each of its names holds of the probed function's parameters (or of the
 * module's values); follows calls of the module's top-level functions one level down.
 */
function scan(g: FunctionIR, mod: ModuleIR, held: Map<string, Held>, out: { weights: Set<string>; biases: Set<string>; data?: Held; shown?: string; conflict: boolean }, depth: number, via = ''): void {
  const own = locals(g);
  const hold = (e: Expr): Held | undefined => {
    if (e.k !== 'name') return undefined;
    const h = held.get(e.id);
    if (h) return h;
    return !own.has(e.id) && mod.globals.has(e.id) ? { global: e.id } : undefined;
  };
  // Locals bound to a product of weights (`logits = X @ W`), so that `logits + b` is a bias too.
  const scores = new Set<string>();
  for (const s of stmtsDeep(g.body)) if (s.k === 'assign' && s.targets.length === 1 && s.targets[0].k === 'name' && product(s.value)) scores.add(s.targets[0].id);
  const isScores = (e: Expr): boolean => !!product(e) || (e.k === 'name' && scores.has(e.id));
  const byName = new Map<string, FunctionIR>();
  for (const f of mod.functions) if (!f.className && !f.parent && !byName.has(f.name)) byName.set(f.name, f);
  eachExpr(g.body, (e) => {
    const p = product(e);
    if (p) {
      const [l, r, how] = p;
      const w = hold(r);
      const d = hold(l);
      if (w && 'param' in w && d && !('param' in d && d.param === w.param)) {
        out.weights.add(w.param);
        const same = out.data && JSON.stringify(out.data) === JSON.stringify(d);
        if (out.data && !same) out.conflict = true;
        out.data ??= d;
        out.shown ??= via + shownOf(l, r, how);
      }
    }
    if (e.k === 'bin' && e.op === '+') {
      for (const [a, b] of [[e.left, e.right], [e.right, e.left]] as const) {
        const h = hold(b);
        if (isScores(a) && h && 'param' in h) out.biases.add(h.param);
      }
    }
    // A module function given the parameters (`predict(W, b, inputs)`): read with what each argument holds.
    if (depth < 1 && e.k === 'call' && !e.op && !e.splat && e.func.k === 'name' && byName.has(e.func.id) && byName.get(e.func.id) !== g) {
      const callee = byName.get(e.func.id)!;
      const ps = callee.params.filter((q) => q.kind === 'plain');
      const inner = new Map<string, Held>();
      e.args.forEach((a, k) => {
        const h = hold(a);
        if (h && ps[k]) inner.set(ps[k].name, h);
      });
      for (const [k, a] of Object.entries(e.kwargs)) {
        const h = hold(a);
        if (h && ps.some((q) => q.name === k)) inner.set(k, h);
      }
      const arg = (a: Expr): string => (a.k === 'name' ? a.id : '...');
      if (inner.size) scan(callee, mod, inner, out, depth + 1, `${e.func.id}(${e.args.map(arg).join(', ')})\`: \``);
    }
  });
}

/**
 * The linear model `fn` computes from its parameters `required`, where every weight and bias found is
 * one of them and the data is one source; else undefined.
 */
export function linearModel(fn: FunctionIR, mod: ModuleIR, required: readonly string[]): LinearModel | undefined {
  const held = new Map<string, Held>(required.map((n) => [n, { param: n }]));
  const out = { weights: new Set<string>(), biases: new Set<string>(), conflict: false } as { weights: Set<string>; biases: Set<string>; data?: Held; shown?: string; conflict: boolean };
  scan(fn, mod, held, out, 0);
  if (!out.weights.size || !out.data || out.conflict) return undefined;
  const biases = [...out.biases].filter((b) => !out.weights.has(b) && !('param' in out.data! && out.data.param === b));
  return { weights: [...out.weights], biases, data: out.data, shown: out.shown! };
}
