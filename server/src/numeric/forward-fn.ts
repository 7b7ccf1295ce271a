/**
 * A pure-JAX model: the module's own forward function given a tree of weights (issue 16), the idiom of
 * JAX's tutorials and of many training scripts:
 *
 *   def predict(params, x):                       def net(params, x):
 *       for w, b in params[:-1]:                      h = jax.nn.relu(x @ params.w1 + params.b1)
 *           x = jnp.tanh(jnp.dot(w, x) + b)           return h @ params.w2 + params.b2
 *       w, b = params[-1]
 *       logits = jnp.dot(w, x) + b
 *       return logits - logsumexp(logits)
 *   batched_predict = jax.vmap(predict, in_axes=(None, 0))
 *
 * Read from the IR, never from a name. `weightTree`: the first parameter is read only as a tree of
 * weights (subscripted, unpacked, iterated, read at a field) and some value taken from it is a
 * matrix product's operand or is read at a string key (a tensor is neither read at a field nor at a
 * string key, and a loss helper's tensor is no product's operand through its items). `forwardOf`:
 * such a function called by its name, or through the module's `vmap(f, in_axes=(None, 0))` of it
 * (the weights shared, the examples mapped).
 *
 * The probes stand in the model by their prediction (entry-inputs.ts `modelStandIn`): the value its
 * last layer computes (the last statement holding a product with the weights). What the function does
 * after it (`logits - logsumexp(logits)`, `jax.nn.sigmoid(logits)`, `log_softmax(x @ w + b)`) is part
 * of what the loss is given, so `forwardTail` keeps it: those statements with the stand-in at the last
 * layer's place, evaluated by eval.ts on the prediction (per example through a vmap). Where they read
 * anything else of the function (its input, another layer's output), no tail is true to it: refused.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt } from '../core/ir-types';
import { walkIR } from './ir-walk';

/** The name the stand-in takes in a tail (no Python name starts so). */
export const HOLE = '$standin';

/** A walk of the body that leaves nested definitions out (their parameters may shadow the names). */
function walk(node: unknown, on: (n: { k: string }, up: readonly { k: string }[]) => void): void {
  walkIR(node, on, [], false);
}

const PRODUCT = /(^|\.)(dot|matmul|inner)$/;

/** The operands of a matrix product (`a @ b`, `jnp.dot(a, b)`, `jnp.matmul(a, b)`, `a.dot(b)`), else undefined. */
function productOperands(e: Expr): Expr[] | undefined {
  if (e.k === 'bin' && e.op === '@') return [e.left, e.right];
  if (e.k !== 'call' || e.splat) return undefined;
  if (e.func.k === 'attr' && e.func.attr === 'dot' && e.args.length === 1 && !e.callee) return [e.func.obj, e.args[0]];
  if (PRODUCT.test(e.callee ?? '') && e.args.length === 2) return [e.args[0], e.args[1]];
  return undefined;
}

/** A tensor's own attributes and methods read without a call: not fields of a tree. */
const TENSOR_ATTRS = new Set(['shape', 'dtype', 'ndim', 'size', 'T', 'mT', 'H', 'at', 'real', 'imag', 'itemsize', 'nbytes', 'device', 'sharding', 'aval', 'weak_type']);

/** Names of `g` that hold parts of parameter `name`: itself, its items and fields unpacked or iterated. */
function derivedNames(name: string, g: FunctionIR): Set<string> {
  const derived = new Set([name]);
  const from = (e: Expr | undefined): boolean => {
    if (!e) return false;
    if (e.k === 'name') return derived.has(e.id);
    if (e.k === 'subscript' || e.k === 'attr') return from(e.obj);
    // `enumerate(params)`, `zip(params, ...)`, `reversed(params)`: their items are the tree's.
    if (e.k === 'call' && e.func.k === 'name' && /^(enumerate|zip|reversed)$/.test(e.func.id)) return e.args.some(from);
    return false;
  };
  for (let round = 0; round < 3; round++)
    walk(g.body, (n) => {
      const st = n as Stmt;
      const src = st.k === 'assign' && !st.aug ? st.value : st.k === 'other' && st.what === 'for' ? st.iter : undefined;
      if (!from(src)) return;
      walk(st.k === 'assign' ? st.targets : (st as { target?: unknown }).target, (t) => void ((t as Expr).k === 'name' && derived.add((t as unknown as { id: string }).id)));
    });
  return derived;
}

/** Whether `e` is a part of the tree (a name holding one, its item or field). */
function partOf(e: Expr, derived: ReadonlySet<string>): boolean {
  if (e.k === 'name') return derived.has(e.id);
  if (e.k === 'subscript') return partOf(e.obj, derived);
  if (e.k === 'attr') return !TENSOR_ATTRS.has(e.attr) && partOf(e.obj, derived);
  return false;
}

/**
 * Whether every read of parameter `name` in `g` takes it as a tree of weights (subscripted, unpacked,
 * iterated, read at a field that is no tensor's, counted with `len`), and some part of it is read at
 * a string key or is an operand of a matrix product.
 */
export function weightTree(name: string, g: FunctionIR): boolean {
  const derived = derivedNames(name, g);
  let evidence = false;
  walk(g.body, (n) => {
    const e = n as Expr;
    if (e.k === 'subscript' && partOf(e.obj, derived) && e.index.length === 1 && e.index[0].k === 'str') evidence = true;
    const ops = productOperands(e);
    if (ops && ops.some((o) => o.k !== 'name' || o.id !== name ? partOf(o, derived) : false)) evidence = true;
  });
  if (!evidence) return false;
  let reads = 0;
  let tree = 0;
  walk(g.body, (n, up) => {
    const e = n as Expr;
    if (e.k !== 'name' || e.id !== name) return;
    const p = up[up.length - 1] as { k: string; [key: string]: unknown } | undefined;
    if (p?.k === 'assign' && (p.targets as unknown[]).includes(e)) return;
    reads++;
    const grand = up[up.length - 2] as Expr | undefined;
    if (p?.k === 'subscript' && p.obj === e) tree++;
    else if (p?.k === 'attr' && p.obj === e && !TENSOR_ATTRS.has(p.attr as string) && !(grand?.k === 'call' && grand.func === (p as unknown))) tree++;
    else if (p?.k === 'assign' && p.value === e && (p.targets as { k: string }[]).every((t) => t.k === 'tuple')) tree++;
    else if (p?.k === 'other' && p.iter === e) tree++;
    else if (p?.k === 'call' && (p as unknown as Extract<Expr, { k: 'call' }>).func.k === 'name' && /^(len|enumerate|zip|reversed)$/.test(((p as unknown as Extract<Expr, { k: 'call' }>).func as { id: string }).id)) tree++;
  });
  return reads > 0 && reads === tree;
}

/** A forward function: a top-level function of two or more parameters whose first is a tree of weights. */
function isForward(g: FunctionIR | undefined): g is FunctionIR {
  const first = g?.params[0];
  return !!g && !g.className && !g.parent && !!first && first.kind === 'plain' && g.params.length >= 2 && weightTree(first.name, g);
}

/**
 * The module's forward function a call by name `id` runs: a top-level function given a tree of
 * weights, or the module's `vmap(f, in_axes=(None, 0))` of one (`vmapped`: the weights shared, each
 * example mapped); else undefined.
 */
export function forwardOf(id: string, mod: ModuleIR): { fn: FunctionIR; vmapped: boolean } | undefined {
  const top = (n: string) => mod.functions.find((f) => f.name === n && !f.className && !f.parent);
  const g = top(id);
  if (g) return isForward(g) ? { fn: g, vmapped: false } : undefined;
  // A module global bound once to a vmap of one (`batched_predict = vmap(predict, in_axes=(None, 0))`).
  const v = mod.globals.get(id);
  if (v?.k !== 'call' || v.callee !== 'jax.vmap' || v.args[0]?.k !== 'name') return undefined;
  const f = top(v.args[0].id);
  const axes = v.kwargs.in_axes ?? v.args[1];
  // The weights shared (None), the examples mapped (0), further arguments either (`in_axes=(None, 0, None, None)`: a key, a flag).
  const isNone = (a: Expr | undefined) => a?.k === 'const' && a.value === null;
  const isZero = (a: Expr | undefined) => a?.k === 'num' && a.value === 0;
  const shared = axes?.k === 'tuple' && isNone(axes.items[0]) && isZero(axes.items[1]) && axes.items.slice(2).every((a) => isNone(a) || isZero(a));
  return shared && isForward(f) && Object.keys(v.kwargs).every((k) => k === 'in_axes') && v.args.length <= 2 ? { fn: f, vmapped: true } : undefined;
}

/** The statements after the forward function's last layer, the stand-in at its place: a function of `HOLE`. */
export type ForwardTail = { identity: true } | { fn: FunctionIR } | { refused: string };

const TAILS = new WeakMap<FunctionIR, ForwardTail>();

/** A copy of `node` with `hole` replaced by the stand-in's name (shared references kept shared: an op's `bound` arguments). */
function substitute<T>(node: T, hole: unknown): T {
  const memo = new Map<unknown, unknown>();
  const copy = (x: unknown): unknown => {
    if (!x || typeof x !== 'object') return x;
    if (x === hole) return { k: 'name', id: HOLE, span: (x as { span: unknown }).span };
    if (memo.has(x)) return memo.get(x);
    if (Array.isArray(x)) {
      const out: unknown[] = [];
      memo.set(x, out);
      for (const i of x) out.push(copy(i));
      return out;
    }
    const out: Record<string, unknown> = {};
    memo.set(x, out);
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) out[k] = k === 'op' || k === 'spell' || k === 'span' || k === 'fn' ? v : copy(v);
    return out;
  };
  return copy(node) as T;
}

/** Names a body binds (assignment and loop targets, definitions). */
function boundIn(body: readonly Stmt[]): Set<string> {
  const out = new Set<string>();
  walk(body, (n) => {
    const s = n as Stmt;
    const ts = s.k === 'assign' ? s.targets : s.k === 'other' ? [s.target] : s.k === 'def' ? [] : undefined;
    if (s.k === 'def') out.add(s.fn.name);
    if (ts) walk(ts, (t) => void ((t as Expr).k === 'name' && out.add((t as unknown as { id: string }).id)));
    const e = n as Expr;
    if (e.k === 'unknown' && 'walrus' in e) walk((e as unknown as { walrus: unknown }).walrus, (t) => void ((t as Expr).k === 'name' && out.add((t as unknown as { id: string }).id)));
  });
  return out;
}

/** Names a body reads (not as a target). */
function readIn(body: readonly Stmt[]): Set<string> {
  const out = new Set<string>();
  walk(body, (n, up) => {
    const e = n as Expr;
    if (e.k !== 'name') return;
    // Under an assignment's or a loop's target (`w, b = ...`, `for i, (w, b) in ...`): bound, not read.
    const chain = [...up, e];
    for (let i = 0; i < chain.length - 1; i++) {
      const a = chain[i] as { k: string; targets?: unknown[]; target?: unknown };
      if ((a.k === 'assign' && a.targets?.includes(chain[i + 1])) || (a.k === 'other' && a.target === chain[i + 1])) return;
    }
    out.add(e.id);
  });
  return out;
}

/**
 * What the forward function `g` does after its last layer: nothing (`identity`), a function of the
 * stand-in (`fn`: the statements after it, the layer's value at its place), or why no tail is true to
 * it (`refused`). Kept per function.
 */
export function forwardTail(g: FunctionIR): ForwardTail {
  let t = TAILS.get(g);
  if (!t) TAILS.set(g, (t = tailOf(g)));
  return t;
}

function tailOf(g: FunctionIR): ForwardTail {
  const weights = g.params[0].name;
  const derived = derivedNames(weights, g);
  const layerOf = (root: unknown): Expr | undefined => {
    let found: Expr | undefined;
    walk(root, (n) => {
      const ops = productOperands(n as Expr);
      if (ops && ops.some((o) => partOf(o, derived))) found = n as Expr;
    });
    return found;
  };
  let k = -1;
  for (let i = g.body.length - 1; i >= 0 && k < 0; i--) if (layerOf(g.body[i])) k = i;
  const refuse = (why: string): ForwardTail => ({ refused: `the forward function \`${g.name}\` ${why}: the probes stand in its last layer's output by their prediction` });
  if (k < 0) return refuse('computes no layer at its top level');
  const last = g.body[k];
  // The layer's value: the product, with a bias from the weights added (`x @ w + b`).
  const affine = (root: unknown): Expr | undefined => {
    const p = layerOf(root);
    let a: Expr | undefined = p;
    let changed = true;
    while (a && changed) {
      changed = false;
      walk(root, (n) => {
        const e = n as Expr;
        if (!changed && e.k === 'bin' && (e.op === '+' || e.op === '-') && ((e.left === a && partOf(e.right, derived)) || (e.right === a && partOf(e.left, derived)))) {
          a = e;
          changed = true;
        }
      });
    }
    return a;
  };
  let body: Stmt[];
  if (last.k === 'return' && last.value) {
    const a = affine(last.value);
    if (a === last.value) return g.body.slice(k + 1).length ? refuse('goes on after its last layer') : { identity: true };
    body = [substitute(last, a)];
  } else if (last.k === 'assign' && !last.aug && last.targets.length === 1 && last.targets[0].k === 'name') {
    const a = affine(last.value);
    const rest = g.body.slice(k + 1);
    body = a === last.value ? [{ k: 'assign', targets: [last.targets[0]], value: { k: 'name', id: HOLE, span: last.span }, span: last.span } as Stmt, ...rest] : [substitute(last, a), ...rest];
  } else if (last.k === 'other' && last.what === 'for' && last.elseAt === undefined) {
    // The layers in a loop: its last round from the layer on (`h = jnp.tanh(w @ h + b)`, the layer at
    // the stand-in's place), then the statements after it; the one value those read of the names
    // the loop binds is its output.
    const j = last.body.findIndex((x) => layerOf(x));
    const stmt = last.body[j];
    if (last.body.some((x, i) => i > j && layerOf(x)) || !(stmt.k === 'assign' && !stmt.aug && stmt.targets.length === 1 && stmt.targets[0].k === 'name')) return refuse('computes its layers in a loop the probes do not separate');
    const round = [substitute(stmt, affine(stmt.value)), ...last.body.slice(j + 1)];
    const rest = g.body.slice(k + 1);
    const loopBound = boundIn([last]);
    const carried = [...readIn(rest)].filter((n) => loopBound.has(n) && !derived.has(n));
    if (carried.length !== 1) return refuse(`computes its layers in a loop whose output is ${carried.length ? 'several values' : 'no value read after it'}`);
    if (round.some((x) => x.k !== 'assign' && x.k !== 'expr' && x.k !== 'pass')) return refuse('computes its layers in a loop the probes do not separate');
    body = [...round, ...rest];
  } else return refuse('computes its last layer in a statement the probes do not separate');
  if (!body.some((s) => s.k === 'return')) return refuse('returns no value after its last layer');
  // The tail reads nothing of the function but the layer's value and what it binds itself.
  const own = new Set([...g.params.map((p) => p.name), ...boundIn(g.body)]);
  const tailBound = boundIn(body);
  const other = [...readIn(body)].filter((n) => n !== HOLE && own.has(n) && !tailBound.has(n));
  if (other.length) return refuse(`computes after its last layer with ${other.map((n) => `\`${n}\``).join(', ')}`);
  return { fn: { ...g, qualname: `${g.qualname}.<after its last layer>`, params: [{ name: HOLE, kind: 'plain', span: g.span }], body, decorators: undefined } };
}
