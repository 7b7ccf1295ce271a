/**
 * What a function's own code says of the shape or range of the values the probes pass it, read from
 * the IR (roles.ts and probes.ts build the probe plan with these): a prediction asserted to lie in
 * [0, 1] (`assert torch.all((x >= 0) & (x <= 1))`: probabilities, not logits); a target whose last
 * axis holds fields read one by one (`y_true[:, :, 0]` the labels, `y_true[:, :, 1]` a mask). Pure IR
 * reading; no values.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt } from '../core/ir';
import { stmtsOf } from '../core/walk';
import { ParamUses } from './param-uses';

/** Every expression node under `root` (IR objects and arrays; spans, ops and nested functions skipped). */
function* nodes(root: unknown): Generator<Expr> {
  if (typeof root !== 'object' || root === null || root instanceof Map) return;
  if (Array.isArray(root)) {
    for (const x of root) yield* nodes(x);
    return;
  }
  const node = root as Record<string, unknown>;
  if (typeof node.k === 'string') yield node as unknown as Expr;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'span' || k === 'nameSpan' || k === 'paren' || k === 'op' || k === 'spell' || k === 'bound' || k === 'parent' || k === 'fn') continue;
    yield* nodes(v);
  }
}

/** What a tensor holds besides its values: `x.shape`, `x.dim()`, `len(x)` bound no value of it. */
const NOT_VALUES = new Set(['shape', 'ndim', 'dim', 'size', 'numel', 'ndimension', 'dtype', 'device', 'nelement']);

/** Whether `e` reads the values of the name `id` (`x`, `x.min()`, `torch.all(x >= 0)`'s operand; not `x.dim()`). */
function readsValues(e: Expr, id: string): boolean {
  let found = false;
  for (const n of nodes(e)) {
    if (n.k === 'attr' && NOT_VALUES.has(n.attr)) return false;
    if (n.k === 'call' && n.func.k === 'name' && n.func.id === 'len') return false;
    if (n.k === 'name' && n.id === id) found = true;
  }
  return found;
}

function literal(e: Expr): number | undefined {
  if (e.k === 'num') return e.value;
  if (e.k === 'unary' && e.op === '-' && e.operand.k === 'num') return -e.operand.value;
  return undefined;
}

/**
 * Whether an `assert` of `fn` bounds the parameter `name` below by 0 and above by 1 (`x >= 0` and
 * `x <= 1`, `0 <= x <= 1`, `x.min() >= 0` and `x.max() <= 1`, in any boolean or bitwise
 * combination): the function takes probabilities, and raises on logits.
 */
export function assertsUnitInterval(fn: FunctionIR, name: string): boolean {
  let lower = false;
  let upper = false;
  for (const s of stmtsOf(fn.body) as Iterable<Stmt>) {
    if (s.k !== 'other' || s.what !== 'assert' || !s.test) continue;
    for (const n of nodes(s.test)) {
      if (n.k !== 'cmp') continue;
      for (let i = 0; i < n.ops.length; i++) {
        const [l, r, op] = [n.operands[i], n.operands[i + 1], n.ops[i]];
        // As `param OP bound`: a bound on the left flips the operator.
        const flip: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
        const [bound, rel] = readsValues(l, name) && literal(r) !== undefined ? [literal(r)!, op] : readsValues(r, name) && literal(l) !== undefined ? [literal(l)!, flip[op]] : [undefined, undefined];
        if (bound === undefined || !rel) continue;
        if (bound === 0 && (rel === '>=' || rel === '>')) lower = true;
        if (bound === 1 && (rel === '<=' || rel === '<')) upper = true;
      }
    }
  }
  return lower && upper;
}

/**
 * The number of fields on the last axis of the parameter `name` of `fn`, when the function reads
 * them one by one with constant indices after full slices (`t[:, :, 0]` and `t[:, :, 1]`, or
 * `t[..., 0]` and `t[..., 1]`: the labels and a mask); undefined unless two fields or more are read
 * so and no read of that shape takes a slice of the last axis. The probes try it (probes.ts setup)
 * only where the plain targets fail: `t[:, 0]`, `t[:, 1]` are also the columns of a two-class target.
 */
export function targetFields(fn: FunctionIR, name: string, mod: ModuleIR): number | undefined {
  const seen = new Set<number>();
  for (const r of new ParamUses(name, fn, mod).reads) {
    const p = r.parents[0] as Expr | undefined;
    if (!p || p.k !== 'subscript' || p.obj !== r.node || p.index.length < 2) continue;
    const lead = p.index.slice(0, -1);
    if (!lead.every((i) => i.k === 'ellipsis' || (i.k === 'slice' && !i.lower && !i.upper && !i.step))) continue;
    const last = p.index[p.index.length - 1];
    if (last.k !== 'num' || !Number.isInteger(last.value) || last.value < 0) return undefined;
    seen.add(last.value);
  }
  return seen.size >= 2 ? Math.max(...seen) + 1 : undefined;
}

/**
 * Whether the function reads the parameter `name` of `g` as a mapping: it calls `.items()`,
 * `.keys()` or `.values()` on it (a constructor's `{class: weight}` dict). A per-class weight the
 * probes give it is then a dict of one weight per class (roles.ts).
 */
export function readAsMapping(name: string, g: FunctionIR, mod: ModuleIR): boolean {
  return new ParamUses(name, g, mod).reads.some((r) => {
    const [a, c] = r.parents as Expr[];
    return a?.k === 'attr' && a.obj === r.node && ['items', 'keys', 'values'].includes(a.attr) && c?.k === 'call' && c.func === a && c.args.length === 0;
  });
}

/** The name a method chain reads (`t.unsqueeze(1).long()` reads `t`), else undefined. */
function chainRoot(e: Expr): string | undefined {
  let x = e;
  for (;;) {
    if (x.k === 'name') return x.id;
    if (x.k === 'call' && x.func.k === 'attr') x = x.func.obj;
    else if (x.k === 'attr') x = x.obj;
    else return undefined;
  }
}

/** Whether `e` is `arange(1, ...)` (any framework), possibly under a method chain (`.unsqueeze(0)`, `.to(device)`). */
function arangeFromOne(e: Expr): boolean {
  let x = e;
  while (x.k === 'call' && x.func.k === 'attr' && !/(^|\.)arange$/.test(x.callee ?? '')) x = x.func.obj;
  return x.k === 'call' && /(^|\.)arange$/.test(x.callee ?? (x.func.k === 'attr' ? x.func.attr : '')) && x.args.length >= 2 && literal(x.args[0]) === 1;
}

/**
 * Whether the function takes class indices counted from 1, 0 left for the background: it compares
 * the target parameter `name` (or a local it binds to a method chain on it, `t = targets.unsqueeze(1)`)
 * with `arange(1, C + 1)` (`t == class_range`, FCOS's sigmoid focal loss). The probes then pass
 * their class indices plus one (probes.ts), so that class c is the function's column c.
 */
export function oneBasedLabels(fn: FunctionIR, name: string, mod?: ModuleIR, depth = 0): boolean {
  const aliases = new Set([name]);
  const ranges = new Set<string>();
  const stmts = [...(stmtsOf(fn.body) as Iterable<Stmt>)];
  for (const st of stmts) {
    if (st.k !== 'assign' || st.targets.length !== 1 || st.targets[0].k !== 'name') continue;
    const root = chainRoot(st.value);
    if (root && aliases.has(root)) aliases.add(st.targets[0].id);
    else if (arangeFromOne(st.value)) ranges.add(st.targets[0].id);
  }
  const isRange = (e: Expr): boolean => (e.k === 'name' && ranges.has(e.id)) || arangeFromOne(e);
  const isTarget = (e: Expr): boolean => {
    const r = chainRoot(e);
    return !!r && aliases.has(r) && !(e.k === 'name' && ranges.has(e.id));
  };
  for (const st of stmts)
    for (const n of nodes(st.k === 'def' ? [] : st)) {
      if (n.k !== 'cmp') continue;
      for (let i = 0; i < n.ops.length; i++) {
        if (n.ops[i] !== '==' && n.ops[i] !== '!=') continue;
        const [l, r] = [n.operands[i], n.operands[i + 1]];
        if ((isTarget(l) && isRange(r)) || (isTarget(r) && isRange(l))) return true;
      }
    }
  if (!mod || depth >= 2) return false;
  // Passed on to a function of the module (directly, or through a local bound to one: `loss_func =
  // sigmoid_focal_loss_cpu`): that function's parameter at the same position.
  const moduleFn = (id: string): FunctionIR | undefined => mod.functions.find((g) => g.name === id && !g.className && !g.parent);
  const bound = new Map<string, FunctionIR[]>();
  for (const st of stmts) {
    if (st.k !== 'assign' || st.targets.length !== 1 || st.targets[0].k !== 'name' || st.value.k !== 'name') continue;
    const g = moduleFn(st.value.id);
    if (g) bound.set(st.targets[0].id, [...(bound.get(st.targets[0].id) ?? []), g]);
  }
  for (const st of stmts)
    for (const n of nodes(st)) {
      if (n.k !== 'call' || n.func.k !== 'name') continue;
      const at = n.args.findIndex((a) => a.k === 'name' && aliases.has(a.id));
      if (at < 0) continue;
      const callees = bound.get(n.func.id) ?? [moduleFn(n.func.id)].filter((g): g is FunctionIR => !!g);
      for (const g of callees) {
        const p = g.params.filter((q) => q.kind === 'plain')[at];
        if (p && oneBasedLabels(g, p.name, mod, depth + 1)) return true;
      }
    }
  return false;
}

/**
 * The module's own `jax.vmap` of the top-level function `fn` (`batched = vmap(loss, in_axes=(0, 0))`):
 * the function is written for one example and mapped over the batch by that assignment; the
 * arguments of that vmap after the function (in_axes, out_axes). Undefined for a method, a closure,
 * a decorated function (its decorators map it themselves) or a function no module-level vmap maps.
 */
export function moduleVmap(fn: FunctionIR, mod: ModuleIR): { args: Expr[]; kwargs: Record<string, Expr> } | undefined {
  if (fn.className || (fn.parent && fn.parent !== '<module>') || fn.decorators?.length) return undefined;
  for (const e of mod.globals.values()) {
    if (e.k !== 'call' || e.callee !== 'jax.vmap' || e.splat) continue;
    const f = e.args[0];
    if (f?.k === 'name' && f.id === fn.name) return { args: e.args.slice(1), kwargs: e.kwargs };
  }
  return undefined;
}

/**
 * Whether the function contracts the parameter `name` with another operand (`jnp.dot(log_probs, t)`,
 * `t @ w`, matmul, inner, vdot, tensordot): the parameter carries an axis of its own to sum over, so
 * as a target it holds one value per class (one-hot), not a class index.
 */
export function contracted(fn: FunctionIR, name: string, mod: ModuleIR): boolean {
  return new ParamUses(name, fn, mod).reads.some((r) => {
    const p = r.parents[0] as Expr | undefined;
    if (p?.k === 'call') return (p.args as Expr[]).includes(r.node) && /(^|\.)(dot|matmul|inner|vdot|tensordot)$/.test(p.callee ?? '');
    return p?.k === 'bin' && p.op === '@';
  });
}

/**
 * Whether field 0 of the target `name` read field by field (`targetFields`) holds class indices: the
 * read `t[:, :, 0]`, or a local bound to it, is the target of a loss taking class indices
 * (`sparse_categorical_crossentropy(t[:, :, 0], p)`). A one-hot column is no class index: the last
 * axis is then fields, and the probes try the targets with fields first (probes.ts `setup`).
 */
export function labelField(fn: FunctionIR, name: string, mod: ModuleIR): boolean {
  const isField0 = (e: Expr): boolean =>
    e.k === 'subscript' && e.obj.k === 'name' && e.obj.id === name && e.index.length >= 2 && e.index.slice(0, -1).every((i) => i.k === 'ellipsis' || (i.k === 'slice' && !i.lower && !i.upper && !i.step)) && literal(e.index[e.index.length - 1]) === 0;
  const locals = new Set<string>();
  for (const s of stmtsOf(fn.body)) if (s.k === 'assign' && !s.aug && s.targets.length === 1 && s.targets[0].k === 'name' && isField0(s.value)) locals.add(s.targets[0].id);
  const labels = (e: Expr | undefined): boolean => !!e && (isField0(e) || (e.k === 'name' && locals.has(e.id)));
  let found = false;
  const visit = (x: unknown): void => {
    if (found || typeof x !== 'object' || x === null) return;
    if (Array.isArray(x)) return x.forEach(visit);
    const n = x as Record<string, unknown>;
    if (n.k === 'call') {
      const c = n as unknown as Extract<Expr, { k: 'call' }>;
      if (c.op?.loss?.target === 'index' && labels(c.bound?.target)) found = true;
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'span' && k !== 'op' && k !== 'spell' && k !== 'parent') visit(v);
  };
  visit(fn.body);
  return found;
}
