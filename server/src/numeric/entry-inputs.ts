/**
 * Inputs of a loss entry point that are neither its prediction nor its target, read from the IR
 * (roles.ts asks these when no call site and no simpler use gives a required parameter a value):
 *
 * - a per-class vector (`cls_num_list`, `samples_per_cls`): a sequence whose values meet the class
 *   axis of the prediction or the targets (`w * one_hot(t)`, `matmul(m[None, :], onehot.T)`,
 *   `cross_entropy(x, t, weight=w)`), never a Python scalar;
 * - a loss module passed in (`FocalLoss(loss_fcn)`): a parameter only called on the prediction and
 *   the target (and its attributes read or set), for which the probes build a typical library loss
 *   module through the op table (never the user's code) and say that it was assumed;
 * - names a call site passes that the module binds once to a literal (`samples = [2, 3]; f(x, t,
 *   samples)`).
 *
 * Pure IR reading; no values, no names decide.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt, Target } from '../core/ir-types';
import { stmtRoots, stmtsOf, stmtsDeep } from '../core/walk';
import { isCreatingOp } from '../core/prefilter';
import { BOX_PARAMS, BOX_SETS } from '../ops/table/boxes';
import { resolveMethod } from '../ops';
import type { ImageDicts } from './gen';
import { forwardOf, forwardTail } from './forward-fn';
import { walkIR } from './ir-walk';


const isSelfAttr = (e: Expr): e is Extract<Expr, { k: 'attr' }> => e.k === 'attr' && e.obj.k === 'name' && e.obj.id === 'self';

/** Reads that give a size, not values (`x.shape[0]`, `len(x)`, `x.size(1)`, `x.dtype`, `x.device`): no flow of the values. */
function sizeRead(e: Expr): boolean {
  if (e.k === 'attr' && /^(shape|dtype|device|ndim)$/.test(e.attr)) return true;
  if (e.k === 'call' && e.func.k === 'name' && e.func.id === 'len') return true;
  return e.k === 'call' && e.func.k === 'attr' && /^(size|dim|numel|get_shape)$/.test(e.func.attr) && !e.callee?.startsWith('torch.');
}

/** Whether `e` reads one of `names` or `self.<attr>` of `attrs` as values (size reads and lambdas aside). */
function mentions(e: Expr, names: ReadonlySet<string>, attrs: ReadonlySet<string>): boolean {
  if (sizeRead(e)) return false;
  switch (e.k) {
    case 'name':
      return names.has(e.id);
    case 'attr':
      return (isSelfAttr(e) && attrs.has(e.attr)) || mentions(e.obj, names, attrs);
    case 'call':
      return mentions(e.func, names, attrs) || e.args.some((a) => mentions(a, names, attrs)) || Object.values(e.kwargs).some((a) => mentions(a, names, attrs));
    case 'bin':
    case 'bool':
      return mentions(e.left, names, attrs) || mentions(e.right, names, attrs);
    case 'unary':
      return mentions(e.operand, names, attrs);
    case 'cmp':
      return e.operands.some((a) => mentions(a, names, attrs));
    case 'subscript':
      return mentions(e.obj, names, attrs) || e.index.some((a) => mentions(a, names, attrs));
    case 'slice':
      return [e.lower, e.upper, e.step].some((a) => !!a && mentions(a, names, attrs));
    case 'tuple':
      return e.items.some((a) => mentions(a, names, attrs));
    case 'cond':
      return mentions(e.body, names, attrs) || mentions(e.orelse, names, attrs);
    case 'dict':
      return e.values.some((a) => mentions(a, names, attrs));
    case 'unknown':
      // A comprehension (`[n / c for c in counts]`) reads its iterables and element; a bitwise operator its operands.
      if (e.comp) return mentions(e.comp.elt, names, attrs) || (!!e.comp.key && mentions(e.comp.key, names, attrs)) || e.comp.gens.some((g) => mentions(g.iter, names, attrs));
      return !!e.operands && e.operands.some((a) => mentions(a, names, attrs));
    default:
      return false;
  }
}

/** The values an expression combines: a binary operator's operands, a call's arguments (its receiver included), a subscript's object and indices. */
function operands(e: Expr): Expr[] | undefined {
  if (e.k === 'bin') return [e.left, e.right];
  if (e.k === 'subscript') return [e.obj, ...e.index];
  if (e.k === 'call') return [...(e.func.k === 'attr' ? [e.func.obj] : []), ...e.args, ...Object.values(e.kwargs)];
  return undefined;
}

function everyExpr(e: Expr, on: (x: Expr) => void): void {
  on(e);
  switch (e.k) {
    case 'attr':
      return everyExpr(e.obj, on);
    case 'call':
      everyExpr(e.func, on);
      for (const a of e.args) everyExpr(a, on);
      for (const a of Object.values(e.kwargs)) everyExpr(a, on);
      return;
    case 'bin':
    case 'bool':
      everyExpr(e.left, on);
      return everyExpr(e.right, on);
    case 'unary':
      return everyExpr(e.operand, on);
    case 'cmp':
      for (const a of e.operands) everyExpr(a, on);
      return;
    case 'subscript':
      everyExpr(e.obj, on);
      for (const a of e.index) everyExpr(a, on);
      return;
    case 'tuple':
      for (const a of e.items) everyExpr(a, on);
      return;
    case 'cond':
      everyExpr(e.test, on);
      everyExpr(e.body, on);
      return everyExpr(e.orelse, on);
    case 'dict':
      for (const a of e.values) everyExpr(a, on);
      return;
    default:
      return;
  }
}

function targetNames(t: Extract<Stmt, { k: 'assign' }>['targets'][number], out: string[], attrs: string[]): void {
  if (t.k === 'name') out.push(t.id);
  else if (t.k === 'attr' && isSelfAttr(t as Expr)) attrs.push(t.attr);
  else if (t.k === 'tuple') for (const i of t.items) targetNames(i, out, attrs);
}

/** A reduction of a whole array to one number: `x.sum()`, `np.sum(x)`, `torch.mean(x)`, `x.max().item()` (no axis). */
function fullReduction(e: Expr): boolean {
  if (e.k !== 'call' || Object.keys(e.kwargs).length) return false;
  const name = e.func.k === 'attr' ? e.func.attr : e.func.k === 'name' ? e.func.id : '';
  if (!/^(sum|mean|max|min|prod|item|norm|amax|amin|reduce_sum|reduce_mean|reduce_max|reduce_min)$/.test(name)) return false;
  // A method (`x.sum()`) takes no argument; a function (`np.sum(x)`) only the array.
  const method = e.func.k === 'attr' && !e.callee?.match(/^(numpy|torch|tensorflow|jax)\./);
  return method ? e.args.length === 0 || (name === 'item' && e.args.length === 0) : e.args.length === 1;
}

/**
 * The functions a parameter of `g` flows through: `g`, and when `g` is an `__init__` (or `fn` is a
 * method of its class) every method of the class, through `self.<attr>`.
 */
function flowFunctions(g: FunctionIR, fn: FunctionIR, mod: ModuleIR): FunctionIR[] {
  const fns = [g];
  if (g !== fn) fns.push(fn);
  const cls = g.className ? mod.classes.get(g.className) : undefined;
  if (cls) for (const m of cls.methods.values()) if (!fns.includes(m)) fns.push(m);
  return fns;
}

/**
 * Forward taint of two sources through assignments (`a = f(src)`, tuple targets, `self.a = ...`,
 * `self.register_buffer("a", src)`): per function the locals, across the class its attributes.
 */
class Flow {
  readonly locals = new Map<FunctionIR, Set<string>>();
  readonly attrs = new Set<string>();

  /** `scalars`: a full reduction (`x.sum()`, `np.mean(x)`) makes a scalar, which carries no entry per class: not followed. */
  constructor(fns: FunctionIR[], seed: Map<FunctionIR, string[]>, scalars = false) {
    for (const h of fns) this.locals.set(h, new Set(seed.get(h) ?? []));
    for (let changed = true, guard = 0; changed && guard < 8; guard++) {
      changed = false;
      for (const h of fns) {
        const names = this.locals.get(h)!;
        for (const s of stmtsDeep(h.body)) {
          const add = (ns: string[], as: string[]): void => {
            for (const n of ns) if (!names.has(n)) (names.add(n), (changed = true));
            for (const a of as) if (!this.attrs.has(a)) (this.attrs.add(a), (changed = true));
          };
          if (s.k === 'assign' && mentions(s.value, names, this.attrs) && !(scalars && fullReduction(s.value))) {
            const ns: string[] = [];
            const as: string[] = [];
            for (const t of s.targets) targetNames(t, ns, as);
            add(ns, as);
          } else if (s.k === 'expr' && s.value.k === 'call' && s.value.func.k === 'attr') {
            // `self.register_buffer("w", value)`: the attribute holds the value.
            const c = s.value;
            const f = c.func as Extract<Expr, { k: 'attr' }>;
            if (f.obj.k === 'name' && f.obj.id === 'self' && /^register_(buffer|parameter)$/.test(f.attr) && c.args[0]?.k === 'str' && c.args[1] && mentions(c.args[1], names, this.attrs)) add([], [c.args[0].value]);
          }
        }
      }
    }
  }

  has(h: FunctionIR, e: Expr): boolean {
    return mentions(e, this.locals.get(h) ?? new Set(), this.attrs);
  }
}

/**
 * Whether the values of parameter `name` of `g` meet the classes of the prediction or the targets
 * of `fn` (`roles`): some operator, call or subscript in the class's methods combines a value
 * computed from the parameter with one computed from the prediction or the target (sizes aside:
 * `x.shape[0]`, `len(x)` carry no values). A vector that does so has one entry per class (or
 * broadcasts to them); a count of its length (`len(counts)`) does not.
 */
export function meetsClasses(name: string, g: FunctionIR, fn: FunctionIR, mod: ModuleIR, roles: { input: string; target: string }): boolean {
  const fns = flowFunctions(g, fn, mod);
  // A factory's parameter is a free variable of the closure probed.
  const seed = new Map([[g, [name]]]);
  if (fn !== g && fn.parent && (fn.parent === g.qualname || fn.parent.startsWith(`${g.qualname}.`)) && !fn.params.some((p) => p.name === name)) seed.set(fn, [name]);
  const param = new Flow(fns, seed, true);
  const samples = new Flow(fns, new Map([[fn, [roles.input, roles.target]]]));
  let meets = false;
  for (const h of fns) {
    for (const s of stmtsDeep(h.body)) {
      if (s.k === 'def') continue;
      // `acc += v`: the value meets what the target held (the target's own taint from this statement aside).
      if (s.k === 'assign' && s.aug && s.targets.length === 1 && s.targets[0].k !== 'tuple' && s.targets[0].k !== 'unknown') {
        const t = s.targets[0] as Expr;
        if (param.has(h, s.value) && !samples.has(h, s.value) && samples.has(h, t)) meets = true;
      }
      for (const r of stmtRoots(s))
        everyExpr(r, (e) => {
          if (meets) return;
          const ops = operands(e);
          if (!ops || ops.length < 2) return;
          for (const a of ops)
            for (const b of ops) if (a !== b && param.has(h, a) && !samples.has(h, a) && samples.has(h, b) && !param.has(h, b)) meets = true;
        });
    }
  }
  return meets;
}

/**
 * Whether some read of parameter `name` of `g` is Python scalar arithmetic: an operand of an
 * arithmetic operator or a comparison beside a number literal (`1.0 - beta`, `k > 0`), which a list
 * is not.
 */
export function scalarArithmetic(name: string, g: FunctionIR): boolean {
  let found = false;
  const isNum = (e: Expr): boolean => e.k === 'num' || (e.k === 'unary' && e.operand.k === 'num');
  for (const s of stmtsDeep(g.body))
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        if (e.k === 'bin' && ((e.left.k === 'name' && e.left.id === name && isNum(e.right)) || (e.right.k === 'name' && e.right.id === name && isNum(e.left)))) found = true;
        if (e.k === 'cmp' && e.operands.some((o) => o.k === 'name' && o.id === name) && e.operands.some(isNum)) found = true;
      });
  return found;
}

/**
 * Whether parameter `name` of `g` is a loss module passed in: every read of it (through
 * `self.<attr>` in the class's methods, and locals bound to it) is a call, the read of an attribute
 * (`loss_fcn.reduction`) or the store of one (`self.loss_fcn.reduction = "none"`), and some call in
 * `fn` passes it the prediction and the target (in that order).
 */
export function calledOnRoles(name: string, g: FunctionIR, fn: FunctionIR, mod: ModuleIR, roles: { input: string; target: string }): boolean {
  const fns = flowFunctions(g, fn, mod);
  // Pure aliases: `self.f = f`, `f = self.f`.
  const names = new Map<FunctionIR, Set<string>>(fns.map((h) => [h, new Set(h === g ? [name] : [])]));
  const attrs = new Set<string>();
  const alias = (h: FunctionIR, e: Expr): boolean => (e.k === 'name' && names.get(h)!.has(e.id)) || (isSelfAttr(e) && attrs.has(e.attr));
  for (let changed = true, guard = 0; changed && guard < 6; guard++) {
    changed = false;
    for (const h of fns)
      for (const s of stmtsDeep(h.body)) {
        if (s.k !== 'assign' || s.aug || s.targets.length !== 1 || !alias(h, s.value)) continue;
        const t = s.targets[0];
        if (t.k === 'name' && !names.get(h)!.has(t.id)) (names.get(h)!.add(t.id), (changed = true));
        else if (t.k === 'attr' && isSelfAttr(t as Expr) && !attrs.has(t.attr)) (attrs.add(t.attr), (changed = true));
      }
  }
  let onRoles = false;
  let other = false;
  const isRole = (e: Expr | undefined, role: string): boolean => !!e && e.k === 'name' && e.id === role;
  for (const h of fns) {
    for (const s of stmtsDeep(h.body)) {
      if (s.k === 'def') continue;
      // A pure alias binding is no use; a store into an attribute of it (`self.f.reduction = "none"`) is none either.
      if (s.k === 'assign' && !s.aug && s.targets.length === 1 && alias(h, s.value)) continue;
      const skipTargets = new Set<Expr>();
      if (s.k === 'assign') for (const t of s.targets) if (t.k === 'attr' && alias(h, t.obj)) skipTargets.add(t.obj);
      const used = new Set<Expr>();
      for (const r of stmtRoots(s))
        everyExpr(r, (e) => {
          if (e.k === 'call' && alias(h, e.func)) {
            used.add(e.func);
            if (h === fn && isRole(e.args[0], roles.input) && isRole(e.args[1], roles.target)) onRoles = true;
          } else if (e.k === 'attr' && alias(h, e.obj) && !(e.k === 'attr' && isSelfAttr(e) && attrs.has(e.attr))) used.add(e.obj);
        });
      for (const r of stmtRoots(s))
        everyExpr(r, (e) => {
          if (alias(h, e) && !used.has(e) && !skipTargets.has(e)) {
            // `self.f` itself: its `obj` (self) is no read of the alias.
            other = true;
          }
        });
    }
  }
  return onRoles && !other;
}

/**
 * Names bound once at module level, nested blocks included (`if __name__ == "__main__":`), to the
 * expression they hold; a name bound twice, by unpacking, a loop or a `with` is not.
 */
export function moduleOnce(mod: ModuleIR): Map<string, Expr> {
  return definedOnce(mod.body);
}

/** Local names of a body bound once (nested blocks included, not nested definitions). */
export function definedOnce(body: readonly Stmt[]): Map<string, Expr> {
  const seen = new Map<string, Expr | null>();
  const rebind = (t: unknown): void => {
    const x = t as { k?: string; id?: string; items?: unknown[] } | undefined;
    if (x?.k === 'name') seen.set(x.id!, null);
    else if (x?.k === 'tuple') x.items!.forEach(rebind);
  };
  for (const s of stmtsOf(body)) {
    if (s.k === 'assign') {
      for (const t of s.targets) {
        if (t.k === 'tuple') rebind(t);
        if (t.k !== 'name') continue;
        seen.set(t.id, seen.has(t.id) || s.aug || s.targets.length > 1 ? null : s.value);
      }
    } else if (s.k === 'other') {
      rebind(s.target);
      for (const w of s.items ?? []) rebind(w.target);
    } else if (s.k === 'def') seen.set(s.fn.name, null);
  }
  const out = new Map<string, Expr>();
  for (const [k, v] of seen) if (v) out.set(k, v);
  return out;
}

/** Functions by the name a call uses: top-level ones, and methods as `.name` (for `self.name(...)`). */
export function callableByName(mod: ModuleIR): Map<string, FunctionIR> {
  const byName = new Map<string, FunctionIR>();
  for (const g of mod.functions) if (!g.className && !g.parent && !byName.has(g.name)) byName.set(g.name, g);
  for (const g of mod.functions) if (g.className && !byName.has(`.${g.name}`)) byName.set(`.${g.name}`, g);
  return byName;
}

/** The module's function a call `f(...)` or `self.f(...)` reaches, and its plain parameters after `self`. */
function calledParams(e: Extract<Expr, { k: 'call' }>, byName: ReadonlyMap<string, FunctionIR>): { callee: FunctionIR; params: FunctionIR['params'] } | undefined {
  const callee = e.func.k === 'name' ? byName.get(e.func.id) : e.func.k === 'attr' && e.func.obj.k === 'name' && e.func.obj.id === 'self' ? byName.get(`.${e.func.attr}`) : undefined;
  if (!callee) return undefined;
  return { callee, params: callee.params.filter((p) => p.kind === 'plain').slice(callee.className && callee.params[0]?.name === 'self' ? 1 : 0) };
}

/**
 * The parameters of the module's functions (and `self` methods) that calls in `fn` pass an argument
 * `pass` holds to: by position or by keyword.
 */
function passedOn(fn: FunctionIR, mod: ModuleIR, pass: (a: Expr) => boolean): { callee: FunctionIR; param: string }[] {
  const byName = callableByName(mod);
  const out: { callee: FunctionIR; param: string }[] = [];
  for (const s of stmtsDeep(fn.body))
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        if (e.k !== 'call' || e.op) return;
        const called = calledParams(e, byName);
        if (!called || called.callee === fn) return;
        e.args.forEach((a, k) => {
          if (called.params[k] && pass(a)) out.push({ callee: called.callee, param: called.params[k].name });
        });
        for (const [k, a] of Object.entries(e.kwargs)) if (called.params.some((p) => p.name === k) && pass(a)) out.push({ callee: called.callee, param: k });
      });
  return out;
}

/**
 * Whether an expression holds the values of parameter `name` among `stmts`: the parameter, what is
 * taken out of it (subscripts, attributes, methods called on it), the names assigned such values (to
 * a fixpoint) and, with `throughOps`, the results of ops given them.
 */
function aliasesOf(name: string, stmts: Stmt[], throughOps = false): (e: Expr) => boolean {
  const names = new Set([name]);
  const rooted = (e: Expr): boolean => {
    if (e.k === 'name') return names.has(e.id);
    if (e.k === 'subscript' || e.k === 'attr') return rooted(e.obj);
    if (e.k === 'call' && e.func.k === 'attr' && !e.callee) return rooted(e.func.obj);
    if (throughOps && e.k === 'call' && e.op) return e.args.some(rooted);
    return false;
  };
  for (let changed = true, guard = 0; changed && guard < 6; guard++) {
    changed = false;
    for (const s of stmts) {
      if (s.k === 'assign' && !s.aug && s.targets.length === 1 && s.targets[0].k === 'name' && rooted(s.value) && !names.has(s.targets[0].id)) {
        names.add(s.targets[0].id);
        changed = true;
      }
      // An item of it a loop takes (`for t in targets`, `enumerate(targets)`, `zip(preds, targets)`).
      if (s.k === 'other' && s.what === 'for' && s.iter && s.target) {
        const item = loopItem(s.target, s.iter, rooted);
        if (item && !names.has(item)) {
          names.add(item);
          changed = true;
        }
      }
    }
  }
  return rooted;
}

/**
 * The name a `for` loop binds to an item of a sequence `rooted` holds: the whole target of `for t in
 * xs`, the second of `for i, t in enumerate(xs)`, the one at its position of `for a, t in zip(ys, xs)`.
 */
export function loopItem(target: Target, iter: Expr, rooted: (e: Expr) => boolean): string | undefined {
  if (rooted(iter)) return target.k === 'name' ? target.id : undefined;
  if (iter.k !== 'call' || iter.func.k !== 'name' || iter.op) return undefined;
  if (iter.func.id === 'enumerate' && iter.args.length >= 1 && rooted(iter.args[0]) && target.k === 'tuple' && target.items.length === 2 && target.items[1].k === 'name') return target.items[1].id;
  if (iter.func.id === 'zip' && target.k === 'tuple' && target.items.length === iter.args.length) {
    const k = iter.args.findIndex(rooted);
    const t = k >= 0 ? target.items[k] : undefined;
    return t?.k === 'name' ? t.id : undefined;
  }
  return undefined;
}

/**
 * Whether parameter `name` of `fn` holds boxes: followed through what is taken out of it (`a =
 * anchors[0, :, :]`, `b = batch["boxes"]`, `b = b[b[:, 4] != -1]`, `.cuda()`) and into the
 * module's functions it is passed to (`iou(anchors, gt)`: their parameter), some read takes the
 * coordinate columns of its last axis: the difference of two of them (`b[:, 2] - b[:, 0]`, a width
 * or a height) or the first four as a slice (`b[:, :4]`). A detection loss's anchors and
 * annotations are such tensors; the probes generate none (their inputs are logits and class
 * targets), which the refusal says.
 */
export function holdsBoxes(name: string, fn: FunctionIR, mod: ModuleIR, depth = 0, seen = new Set<FunctionIR>()): boolean {
  if (seen.has(fn) || depth > 2) return false;
  seen.add(fn);
  const stmts = stmtsDeep(fn.body);
  const rooted = aliasesOf(name, stmts);
  const lastIndex = (e: Expr): Expr | undefined => (e.k === 'subscript' && rooted(e.obj) ? e.index[e.index.length - 1] : undefined);
  const column = (e: Expr): number | undefined => {
    const i = lastIndex(e);
    return i?.k === 'num' && e.k === 'subscript' && e.index.length >= 2 ? i.value : undefined;
  };
  let found = false;
  const byName = callableByName(mod);
  for (const s of stmts)
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        if (found) return;
        if (e.k === 'bin' && e.op === '-') {
          const a = column(e.left);
          const b = column(e.right);
          if ((a === 2 && b === 0) || (a === 3 && b === 1)) found = true;
        }
        // The far corners less the near ones as slices (`b[:, 2:] - b[:, :2]`, `b[..., 2:4] - b[..., 0:2]`): widths and heights.
        if (e.k === 'bin' && e.op === '-') {
          const a = e.left.k === 'subscript' && e.left.index.length >= 2 ? lastIndex(e.left) : undefined;
          const b = e.right.k === 'subscript' && e.right.index.length >= 2 ? lastIndex(e.right) : undefined;
          const n = (x: Expr | undefined, v: number): boolean => x?.k === 'num' && x.value === v;
          if (a?.k === 'slice' && b?.k === 'slice' && !a.step && !b.step && n(a.lower, 2) && (!a.upper || n(a.upper, 4)) && (!b.lower || n(b.lower, 0)) && n(b.upper, 2)) found = true;
        }
        const i = e.k === 'subscript' && e.index.length >= 2 ? lastIndex(e) : undefined;
        if (i?.k === 'slice' && (!i.lower || (i.lower.k === 'num' && i.lower.value === 0)) && i.upper?.k === 'num' && i.upper.value === 4 && !i.step) found = true;
        // Passed where an op takes boxes (`box_iou(anchors, gt[:, :4])`: ops/table/boxes.ts BOX_PARAMS).
        if (e.k === 'call' && e.op && BOX_PARAMS[e.op.id] && BOX_PARAMS[e.op.id].some((p) => e.bound?.[p] && rooted(e.bound[p]))) found = true;
        // Passed on to one of the module's functions (or a method of `self`): that function's parameter.
        if (e.k === 'call' && !e.op) {
          const called = calledParams(e, byName);
          if (!called) return;
          const { callee, params: ps } = called;
          e.args.forEach((a, k) => {
            if (!found && rooted(a) && ps[k] && holdsBoxes(ps[k].name, callee, mod, depth + 1, seen)) found = true;
          });
        }
      });
  return found;
}

/**
 * What the uses of a parameter holding boxes (`holdsBoxes`) say of its layout, read the same way
 * (through what is taken out of it, and the module's functions it is passed to):
 * - `columns`: 4, or one more than the largest constant column its last axis is read at (`b[:, 4]`:
 *   a fifth column, a box's class);
 * - `padding`: some column is compared with -1 (`b[b[:, 4] != -1]`): rows of -1 pad the real boxes;
 * - `rank`: the most indices a subscript of the parameter itself takes (`anchors[0, :, :]`: 3), when
 *   at least 2 (`a[j]` says nothing of the rank of what it is taken from).
 */
export interface BoxUse {
  columns: number;
  padding: boolean;
  rank?: number;
}

/**
 * The names a parameter itself is subscripted with alone (`classifications[j]`, `regressions[j]`): the
 * index of one image of a batch, when two parameters share one (read image by image in one loop).
 */
export function imageIndices(name: string, fn: FunctionIR, mod?: ModuleIR, depth = 0): Set<string> {
  const out = new Set<string>();
  // Passed on as it is: the callee's reads, under the callee's names (`self.loss_fn(cls_preds, reg_preds)`).
  if (mod && depth < 2) for (const p of passedOn(fn, mod, (a) => a.k === 'name' && a.id === name)) for (const i of imageIndices(p.param, p.callee, mod, depth + 1)) out.add(`${p.callee.qualname}:${i}`);
  for (const s of stmtsDeep(fn.body))
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        if (e.k === 'subscript' && e.obj.k === 'name' && e.obj.id === name && e.index.length >= 1 && e.index[0].k === 'name' && e.index.slice(1).every((i) => i.k === 'slice' && !i.lower && !i.upper && !i.step)) out.add(e.index[0].id);
      });
  return out;
}

export function boxUse(name: string, fn: FunctionIR, mod: ModuleIR, depth = 0, seen = new Set<FunctionIR>()): BoxUse {
  const out: BoxUse = { columns: 4, padding: false };
  if (seen.has(fn) || depth > 2) return out;
  seen.add(fn);
  // The parameter itself, through methods that keep its values (`.cuda()`, `.float()`).
  const itself = (e: Expr): boolean => (e.k === 'name' ? e.id === name : e.k === 'call' && e.func.k === 'attr' && !e.callee && e.args.length === 0 && itself(e.func.obj));
  const stmts = stmtsDeep(fn.body);
  const rooted = aliasesOf(name, stmts);
  const column = (e: Expr): number | undefined => {
    if (e.k !== 'subscript' || e.index.length < 2 || !rooted(e.obj)) return undefined;
    const i = e.index[e.index.length - 1];
    return i.k === 'num' && Number.isInteger(i.value) && i.value >= 0 ? i.value : undefined;
  };
  const minusOne = (e: Expr): boolean => (e.k === 'num' && e.value === -1) || (e.k === 'unary' && e.op === '-' && e.operand.k === 'num' && e.operand.value === 1);
  const byName = callableByName(mod);
  for (const s of stmts)
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        const c = column(e);
        if (c !== undefined && c < 16) out.columns = Math.max(out.columns, c + 1);
        // Its rank: the indices a subscript takes, a new axis (`b[:, None, 0]`) none.
        const axes = e.k === 'subscript' ? e.index.filter((i) => !(i.k === 'const' && i.value === null)).length : 0;
        if (e.k === 'subscript' && itself(e.obj) && axes >= 2 && !e.index.some((i) => i.k === 'ellipsis')) out.rank = Math.max(out.rank ?? 0, axes);
        if (e.k === 'cmp' && e.operands.length === 2 && e.operands.some((o) => column(o) !== undefined) && e.operands.some(minusOne)) out.padding = true;
        // Passed as it is where an op takes a set of boxes [N, 4] (`box_iou(anchors, gt)`): rank 2.
        if (e.k === 'call' && e.op && BOX_SETS.has(e.op.id) && BOX_PARAMS[e.op.id].some((p) => e.bound?.[p] && itself(e.bound[p]))) out.rank = Math.max(out.rank ?? 0, 2);
        if (e.k === 'call' && !e.op) {
          const called = calledParams(e, byName);
          if (!called) return;
          const { callee, params: ps } = called;
          e.args.forEach((a, k) => {
            // What a helper reads of a slice of the boxes (`iou(anchor, ann[:, :4])`) is within those columns.
            if (!rooted(a) || !ps[k]) return;
            const u = boxUse(ps[k].name, callee, mod, depth + 1, seen);
            out.columns = Math.max(out.columns, u.columns);
            out.padding ||= u.padding;
            // Passed as it is: its rank is what the helper reads.
            if (itself(a) && u.rank) out.rank = Math.max(out.rank ?? 0, u.rank);
          });
        }
      });
  return out;
}

/**
 * Whether the values of parameter `name` of `fn` (through what is taken out of it: subscripts,
 * methods, and the results of ops given it) reach a creating op (core/prefilter.ts `isCreatingOp`: a
 * log, an activation, a loss, a clamp to probabilities) as that op's input (its first argument,
 * `input=`, or the tensor a method is called on; a clamp's bound is none): the parameter is scores a
 * loss is made of, not box offsets only subtracted and compared, nor a number passed as a bound.
 */
export function reachesCreatingOp(name: string, fn: FunctionIR, mod?: ModuleIR, depth = 0, creating: (op: NonNullable<Extract<Expr, { k: 'call' }>['op']>) => boolean = isCreatingOp): boolean {
  const stmts = stmtsDeep(fn.body);
  const rooted = aliasesOf(name, stmts, true);
  let found = false;
  // Passed on to one of the module's functions (`self.loss_fn(cls_preds, ...)`): what that function does with it.
  if (mod && depth < 2 && passedOn(fn, mod, rooted).some((p) => reachesCreatingOp(p.param, p.callee, mod, depth + 1, creating))) return true;
  for (const s of stmts)
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        // The op's input: its first argument, `input=`, or the tensor a method is called on (`x.log()`); a clamp's bound is none.
        if (found || e.k !== 'call' || !e.op || !creating(e.op)) return;
        const input = e.func.k === 'attr' && !e.callee ? e.func.obj : (e.args[0] ?? e.kwargs.input ?? e.kwargs.x);
        if (input && rooted(input)) found = true;
      });
  return found;
}

/**
 * Whether parameter `name` of a class's `__init__` is never read by the method `fn` probed: `__init__`
 * only stores it on `self` (`self.anchor = anchor`, or a value computed from it), and neither `fn` nor
 * the methods it calls through `self` (transitively) read those attributes, nor pass `self` on whole.
 * Any value then runs `fn` the same way.
 */
export function unreadByMethod(name: string, init: FunctionIR, fn: FunctionIR, mod: ModuleIR): boolean {
  const cls = init.className ? mod.classes.get(init.className) : undefined;
  if (!cls || fn.className !== init.className || fn === init) return false;
  const attrs = new Set<string>();
  const names = new Set([name]);
  // `__init__` runs in every probe: it may only store the value as it is (`self.anchor = anchor`), and read none of those attributes.
  for (const s of stmtsDeep(init.body)) {
    const reads = stmtRoots(s).some((r) => mentions(r, names, new Set()));
    if (!reads) continue;
    if (s.k !== 'assign' || s.aug || s.value.k !== 'name' || s.value.id !== name || !s.targets.every((t) => t.k === 'attr' && isSelfAttr(t as Expr))) return false;
    for (const t of s.targets) attrs.add((t as { attr: string }).attr);
  }
  const reached = new Set<FunctionIR>();
  const stack = [fn, init];
  let touched = false;
  while (stack.length && !touched) {
    const h = stack.pop()!;
    if (reached.has(h)) continue;
    reached.add(h);
    for (const s of stmtsDeep(h.body))
      for (const r of stmtRoots(s))
        everyExpr(r, (e) => {
          if (e.k === 'attr' && isSelfAttr(e) && attrs.has(e.attr)) touched = true;
          if (e.k === 'call') {
            if (e.args.some((a) => a.k === 'name' && a.id === 'self') || Object.values(e.kwargs).some((a) => a.k === 'name' && a.id === 'self')) touched = true;
            if (e.func.k === 'attr' && e.func.obj.k === 'name' && e.func.obj.id === 'self') {
              const m = cls.methods.get(e.func.attr);
              if (m) stack.push(m);
              // A method the class does not define (a base's): it may read anything.
              else if (!/^(__init__)$/.test(e.func.attr)) touched = true;
            }
          }
        });
  }
  return !touched;
}

/**
 * Whether parameter `name` of `fn` is used as class indices: it is the second index of a subscript
 * whose first is a range over the rows (`onehot[np.arange(len(p)), t] = 1`, `logp[torch.arange(n), y]`),
 * read or written: one class per row. Such a parameter is the targets whatever its annotation says
 * (`y_true: int`).
 */
export function indexesClasses(name: string, fn: FunctionIR): boolean {
  let found = false;
  const isRange = (e: Expr): boolean => e.k === 'call' && /(^|\.)(arange|range)$/.test(e.callee ?? (e.func.k === 'name' ? e.func.id : e.func.k === 'attr' ? e.func.attr : ''));
  const check = (e: Expr): void => {
    if (e.k === 'subscript' && e.index.length === 2 && isRange(e.index[0]) && e.index[1].k === 'name' && e.index[1].id === name) found = true;
  };
  for (const s of stmtsDeep(fn.body)) {
    for (const r of stmtRoots(s)) everyExpr(r, check);
    if (s.k === 'assign') for (const t of s.targets) if (t.k === 'subscript') check(t as Expr);
  }
  return found;
}

/**
 * Whether `name` is one example's class: the indices of a one-hot (`one_hot(label, n)`) or the single
 * index of the prediction (`logits[label]`). With a Python number annotation (`label: int`) it is one
 * class per call: a per-example loss (roles.ts `perExample`), where a batch loss's int parameter that
 * fills a column (`onehot[:, 0] = y`) is none.
 */
export function classOfExample(name: string, fn: FunctionIR, input: string): boolean {
  let found = false;
  const isName = (e: Expr | undefined): boolean => e?.k === 'name' && e.id === name;
  const check = (e: Expr): void => {
    if (e.k === 'call' && e.op?.id === 'one_hot' && isName(e.args[0] ?? e.kwargs.x ?? e.kwargs.indices ?? e.kwargs.tensor)) found = true;
    else if (e.k === 'subscript' && e.obj.k === 'name' && e.obj.id === input && e.index.length === 1 && isName(e.index[0])) found = true;
  };
  for (const s of stmtsDeep(fn.body)) for (const r of stmtRoots(s)) everyExpr(r, check);
  return found;
}

/**
 * Whether `name`, a parameter of `g` (a factory or the function itself), is a tensor shaped like the
 * samples that `fn` combines elementwise with its per-element terms: it is read as a tensor (reduced
 * along an axis, `x.mean(axis=...)`, `K.mean(x, axis=(1, 2, 3))`, or sliced), and a `*`, `+`, `-` or
 * `/` of `fn` has a value computed from it on one side and one computed from the prediction or the
 * target (and not from it) on the other (`err * weights`, `weights = x * w_pos + (1 - x) * w_neg`).
 * Such a tensor (a ground-truth mask a factory closes over) has the targets' shape; a scalar
 * (`eps`, only added to a divisor) is never read along an axis.
 */
export function elementwiseTensor(name: string, g: FunctionIR, fn: FunctionIR, roles: { input: string; target: string }): boolean {
  const none = new Set<string>();
  let tensorRead = false;
  const isName = (e: Expr | undefined): boolean => e?.k === 'name' && e.id === name;
  for (const s of stmtsDeep(g.body).concat(g === fn ? [] : stmtsDeep(fn.body)))
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        if (e.k === 'call' && ('axis' in e.kwargs || 'dim' in e.kwargs) && (isName(e.args[0]) || (e.func.k === 'attr' && isName(e.func.obj)))) tensorRead = true;
        else if (e.k === 'subscript' && isName(e.obj) && e.index.some((i) => i.k === 'slice')) tensorRead = true;
      });
  if (!tensorRead) return false;
  // Locals computed from the parameter, and from the prediction or the target, in `fn`.
  const mine = new Set([name]);
  const theirs = new Set([roles.input, roles.target]);
  const stmts = stmtsDeep(fn.body);
  for (let changed = true, guard = 0; changed && guard < 6; guard++) {
    changed = false;
    for (const s of stmts) {
      if (s.k !== 'assign') continue;
      const targets: string[] = [];
      for (const t of s.targets) {
        if (t.k === 'name') targets.push(t.id);
        else if (t.k === 'tuple') for (const x of t.items) if (x.k === 'name') targets.push(x.id);
      }
      for (const [set, src] of [
        [mine, mentions(s.value, mine, none)],
        [theirs, mentions(s.value, theirs, none)],
      ] as const)
        if (src) for (const t of targets) if (!set.has(t)) (set.add(t), (changed = true));
    }
  }
  let found = false;
  for (const s of stmts)
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        if (e.k !== 'bin' || !['*', '+', '-', '/'].includes(e.op)) return;
        const side = (x: Expr): 'mine' | 'theirs' | undefined => {
          const m = mentions(x, mine, none);
          const t = mentions(x, theirs, none);
          return m && !t ? 'mine' : t && !m ? 'theirs' : undefined;
        };
        const [a, b] = [side(e.left), side(e.right)];
        if (a && b && a !== b) found = true;
      });
  return found;
}

/**
 * What a parameter without a value is, read from its uses in `g` (and, for `__init__`, from its
 * stores' reads): for a refusal's reason that says why no value could be given. An object read only
 * at attributes (`args.w`), a mapping read only at string keys (`args['task']`), a callable (a model
 * or a function passed in). Undefined when no such shape of use is seen.
 */
export function unsuppliedUse(name: string, g: FunctionIR): string | undefined {
  const attrs = new Set<string>();
  const keys = new Set<string>();
  let reads = 0;
  let attrReads = 0;
  let keyReads = 0;
  let called = false;
  // Constant columns of a tensor (`t[:, 25]`, `t[:, 0:3]`): fields of a layout the file does not set.
  const columns: string[] = [];
  let columnReads = 0;
  const num = (i: Expr | undefined): boolean => !!i && (i.k === 'num' || (i.k === 'unary' && i.operand.k === 'num'));
  const constant = (i: Expr): boolean => num(i) || (i.k === 'slice' && (num(i.lower) || num(i.upper)) && (!i.lower || num(i.lower)) && (!i.upper || num(i.upper)) && !i.step);
  const text = (i: Expr): string => (i.k === 'num' ? String(i.value) : i.k === 'unary' && i.operand.k === 'num' ? `-${i.operand.value}` : i.k === 'slice' ? `${i.lower ? text(i.lower) : ''}:${i.upper ? text(i.upper) : ''}` : '...');
  const isName = (e: Expr | undefined): boolean => e?.k === 'name' && e.id === name;
  for (const s of stmtsDeep(g.body)) {
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        if (isName(e)) reads++;
        else if (e.k === 'attr' && isName(e.obj)) {
          attrs.add(e.attr);
          attrReads++;
        } else if (e.k === 'subscript' && isName(e.obj) && e.index.length === 1 && e.index[0].k === 'str') {
          keys.add(e.index[0].value);
          keyReads++;
        } else if (e.k === 'subscript' && isName(e.obj) && e.index.length > 1 && e.index.slice(1).some(constant)) {
          columnReads++;
          if (columns.length < 3) columns.push(`${name}[${e.index.map(text).join(', ')}]`);
        }
        if (e.k === 'call' && isName(e.func)) called = true;
      });
  }
  const list = (xs: Iterable<string>, fmt: (x: string) => string): string => [...xs].map(fmt).join(', ');
  if (called) return `called (\`${name}(...)\`): a model or a function passed in, which the probes do not have`;
  // Only tensor methods and attributes (`v.reshape(...)`, `v.shape`): a tensor, not an object of settings.
  const TENSOR_ATTRS = /^(shape|ndim|dtype|size|T)$/;
  if (attrs.size && reads === attrReads && [...attrs].every((a) => TENSOR_ATTRS.test(a) || resolveMethod(a))) return `a tensor (${list(attrs, (a) => `\`${name}.${a}\``)}) whose values and shape nothing in the file sets`;
  if (attrs.size && reads === attrReads) return `an object read at its attributes (${list(attrs, (a) => `\`${name}.${a}\``)}), which nothing in the file sets`;
  if (columns.length && columnReads === reads) return `a tensor read at constant columns (${columns.map((c) => `\`${c}\``).join(', ')}${columnReads > columns.length ? ', ...' : ''}), whose layout nothing in the file sets`;
  if (keys.size && reads === keyReads) return `a mapping read at its keys (${list(keys, (k) => `\`${name}[${JSON.stringify(k)}]\``)}), which nothing in the file sets`;
  return undefined;
}

/**
 * The required parameter through which `fn` gets its prediction from a model it runs: one it calls
 * (`model(batch["image"])`) or passes first to a model's `apply` (`net.apply(params, rng, x)`, haiku's
 * and flax's spelling). The probes give a prediction, never a model.
 */
export function modelParam(fn: FunctionIR, required: readonly string[]): string | undefined {
  let found: string | undefined;
  for (const s of stmtsDeep(fn.body))
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        if (found || e.k !== 'call') return;
        if (e.func.k === 'name' && required.includes(e.func.id)) found = `\`${e.func.id}\` is called (\`${e.func.id}(...)\`)`;
        else if (e.func.k === 'attr' && e.func.attr === 'apply' && e.args[0]?.k === 'name' && required.includes(e.args[0].id)) found = `\`${e.args[0].id}\` are a model's parameters (\`.apply(${e.args[0].id}, ...)\`)`;
      });
  return found;
}

/**
 * The attributes `name` is read at in `g` when it is read only so (`args.w`, never `args` alone nor
 * called, nor a method of it called: `args.get(...)`): an object of settings. Undefined otherwise.
 */
export function attributesRead(name: string, g: FunctionIR): string[] | undefined {
  const attrs = new Set<string>();
  let bare = 0;
  let asAttr = 0;
  let method = false;
  const isName = (e: Expr | undefined): boolean => e?.k === 'name' && e.id === name;
  for (const s of stmtsDeep(g.body))
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        if (isName(e)) bare++;
        else if (e.k === 'attr' && isName(e.obj)) {
          attrs.add(e.attr);
          asAttr++;
        } else if (e.k === 'call' && e.func.k === 'attr' && isName(e.func.obj)) method = true;
      });
  return attrs.size && bare === asAttr && !method ? [...attrs] : undefined;
}

/**
 * A model the function runs once, stood in by the probe's prediction (roles.ts `CheckPlan.model`).
 * The checker judges a loss's math on the prediction: where the function's only use of the model is
 * one run whose output is the prediction, the probes pass a stand-in whose run returns the probe's
 * prediction, and the gradient is taken with respect to that prediction.
 */
export interface ModelStandIn {
  /** The parameter the stand-in is passed as: the model called (`model(x)`), or the parameters a model's `apply` takes. */
  param: string;
  via: 'call' | 'apply';
  /** The run as the report shows it: `model(...)`, `.apply(params, ...)`. */
  shown: string;
  /** Required parameters read only as the run's arguments (or the receiver of its `apply`): what only the model reads. */
  inputs: string[];
  /** Keys of parameters read only at keys, whose values only the run reads (`batch["image"]`). */
  keys: Record<string, string[]>;
  /** Parameters the run reads whole (an argument of it), whatever else reads them: a target among them is given to the model. */
  passed: string[];
  /** The run's output unpacked into `n` names, the prediction the one at `at` (the others only returned as auxiliary values). */
  unpacked?: { n: number; at: number };
  /** The module's forward function computing after its last layer (forward-fn.ts): the stand-in is that layer's output, its activation the function's own. */
  tail?: string;
}

/**
 * Of a run's output unpacked into names (`logits, new_state = run(...)`), the one the function
 * computes with: every other name is only returned, as an item of the returned tuple (`return loss,
 * (new_state, logits)`), or never read. A reason where none or several are computed with, or a
 * target is no plain name (a starred or nested one).
 */
function unpackedPrediction(fn: FunctionIR, a: Extract<Stmt, { k: 'assign' }>): { n: number; at: number } | { refused: string } | undefined {
  if (a.aug || a.targets.length !== 1 || a.targets[0].k !== 'tuple') return undefined;
  const items = (a.targets[0] as unknown as { items: Expr[] }).items;
  if (!items?.length || !items.every((t) => t.k === 'name')) return undefined;
  const names = items.map((t) => (t as { id: string }).id);
  const computed = new Set<string>();
  walkIR(fn.body, (n, up) => {
    const e = n as Expr;
    if (e.k !== 'name' || !names.includes(e.id)) return;
    // A store (the unpacking itself, a later rebinding) is no read.
    const i = up.findIndex((x) => x.k === 'assign');
    if (i >= 0 && (up[i] as Extract<Stmt, { k: 'assign' }>).targets.includes((up[i + 1] ?? e) as never)) return;
    // Only returned: the name itself, or an item of tuples the return statement returns.
    let j = up.length - 1;
    while (j >= 0 && (up[j].k === 'tuple' || up[j].k === 'list')) j--;
    if (j >= 0 && up[j].k === 'return') return;
    computed.add(e.id);
  });
  const used = names.map((x, at) => ({ x, at })).filter(({ x }) => computed.has(x));
  if (used.length === 1) return { n: names.length, at: used[0].at };
  return { refused: used.length ? `the function computes with ${used.map(({ x }) => `\`${x}\``).join(', ')}` : 'none of them is computed with' };
}


/**
 * The dict display a local of `fn` is bound to once, at its top level (`variables = {"params":
 * params, "batch_stats": state.batch_stats}`, flax's variables for a run), else undefined.
 */
export function variablesDict(fn: FunctionIR, name: string): Extract<Expr, { k: 'dict' }> | undefined {
  let found: Extract<Expr, { k: 'dict' }> | undefined;
  let binds = 0;
  for (const s of stmtsDeep(fn.body))
    if (s.k === 'assign' && s.targets.some((t) => t.k === 'name' && t.id === name)) {
      binds++;
      if (!s.aug && s.targets.length === 1 && s.value.k === 'dict') found = s.value;
    }
  return binds === 1 && fn.body.some((s) => s.k === 'assign' && s.value === found) ? found : undefined;
}

/**
 * The parameters of the function enclosing a closure that the closure reads (`batch` in
 * `def train_step(state, batch): def loss_fn(params): ... batch["label"]`): names it neither takes
 * nor binds. Empty for a function that is no closure.
 */
export function outerParams(fn: FunctionIR, parent: FunctionIR | undefined): string[] {
  if (!parent) return [];
  const own = new Set(fn.params.map((p) => p.name));
  for (const s of stmtsDeep(fn.body)) if (s.k === 'assign') for (const t of s.targets) walkIR(t, (n) => void ((n as Expr).k === 'name' && own.add((n as unknown as { id: string }).id)));
  const theirs = parent.params.filter((p) => p.kind === 'plain').map((p) => p.name);
  const out = new Set<string>();
  walkIR(fn.body, (n) => {
    const e = n as Expr;
    if (e.k === 'name' && theirs.includes(e.id) && !own.has(e.id)) out.add(e.id);
  });
  return [...out];
}

/**
 * Whether `parent` reads its parameter `name` only in top-level statements after the one defining
 * `fn` (and at least once): the closure defined before never sees it.
 */
export function readOnlyAfter(parent: FunctionIR, fn: FunctionIR, name: string): boolean {
  const at = parent.body.findIndex((s) => s.k === 'def' && s.fn === fn);
  if (at < 0) return false;
  let before = false;
  let after = false;
  // The closure's own reads are its own (its parameter may shadow the name): only the enclosing function's statements count.
  parent.body.forEach((s, i) =>
    i !== at && walkIR(s, (n) => {
      const e = n as Expr;
      if (e.k === 'name' && e.id === name) {
        if (i > at) after = true;
        else before = true;
      }
    }),
  );
  return after && !before;
}

/**
 * Whether the function's model can be stood in by the probe's prediction, and what only the model
 * reads: `undefined` when the function runs no model through a required parameter (modelParam), a
 * reason when it runs one the stand-in would not be true to (run more than once or in a loop, its
 * output unpacked or read at an attribute, the model read beyond its run), else the stand-in.
 * `jax`: the function computes with JAX (a model's `.apply(params, ...)` is flax's and haiku's forward
 * pass; PyTorch's `Module.apply(fn)` is no forward pass).
 */
export function modelStandIn(fn: FunctionIR, required: readonly string[], jax: boolean, outer: readonly string[] = [], mod?: ModuleIR): ModelStandIn | { param: string; refused: string } | undefined {
  const isReq = (e: unknown): e is { k: 'name'; id: string } => !!e && (e as Expr).k === 'name' && required.includes((e as { id: string }).id);
  // The parameters an `apply` runs the model with: `params`, or `{"params": params, ...}` (flax's variables).
  const applyParams = (e: Expr | undefined): string | undefined => {
    if (isReq(e)) return e.id;
    // `variables = {"params": params, ...}` bound once, then `apply_fn(variables, x)`.
    const local = e as Expr | undefined;
    if (local?.k === 'name' && variablesDict(fn, local.id)) return applyParams(variablesDict(fn, local.id));
    if (e?.k === 'dict') {
      const i = e.keys.findIndex((k) => k?.k === 'str' && k.value === 'params');
      if (i >= 0 && isReq(e.values[i]) && e.values.every((v, j) => j === i || !v || v.k !== 'name' || !required.includes(v.id))) return (e.values[i] as { id: string }).id;
    }
    return undefined;
  };
  const runs: { call: Extract<Expr, { k: 'call' }>; param: string; via: 'call' | 'apply'; up: { k: string }[]; shown?: string; tail?: string }[] = [];
  // The module's own forward functions (`def net(params, x)`, its first parameter read only as a tree
  // of weights; or the module's `vmap(net, in_axes=(None, 0))` of one): forward-fn.ts.
  const forward = (id: string): boolean => !!mod && !!forwardOf(id, mod);
  // A local bound once to a model's apply (`forward_fn = state.apply_fn`), then called: that apply.
  const once = jax ? definedOnce(fn.body) : new Map<string, Expr>();
  const applyOf = (e: Expr): Extract<Expr, { k: 'attr' }> | undefined => {
    const v = e.k === 'name' && !required.includes(e.id) ? once.get(e.id) : undefined;
    return v?.k === 'attr' && /^apply(_fn)?$/.test(v.attr) && v.obj.k === 'name' ? v : undefined;
  };
  walkIR(fn.body, (n, up) => {
    const e = n as Expr;
    if (e.k !== 'call') return;
    const alias = applyOf(e.func);
    if (alias) {
      const p = applyParams(e.args[0]);
      if (p) runs.push({ call: e, param: p, via: 'apply', up: [...up], shown: `\`${(e.func as { id: string }).id}(${e.args[0].k === 'name' && e.args[0].id === p ? p : `{"params": ${p}}`}, ...)\` (\`${(e.func as { id: string }).id} = ${(alias.obj as { id: string }).id}.${alias.attr}\`)` });
    } else if (isReq(e.func)) runs.push({ call: e, param: e.func.id, via: 'call', up: [...up] });
    // `jax.vmap(model)(x)`: the model called on each example, its outputs stacked: one run on the batch.
    else if (jax && e.func.k === 'call' && e.func.callee === 'jax.vmap' && isReq(e.func.args[0]) && !Object.keys(e.func.kwargs).length && e.func.args.length === 1) runs.push({ call: e, param: (e.func.args[0] as { id: string }).id, via: 'call', up: [...up], shown: `\`jax.vmap(${(e.func.args[0] as { id: string }).id})(...)\`` });
    else if (jax && e.func.k === 'attr' && /^apply(_fn)?$/.test(e.func.attr)) {
      const p = applyParams(e.args[0]);
      if (p) runs.push({ call: e, param: p, via: 'apply', up: [...up] });
    } else {
      // `net(params, x)`: the module's forward function given the parameters.
      const callee = e.func as Expr;
      if (jax && callee.k === 'name' && !e.op && isReq(e.args[0]) && forward(callee.id)) {
        const fwd = forwardOf(callee.id, mod!)!;
        const run = `\`${callee.id}(${(e.args[0] as { id: string }).id}, ...)\``;
        // What it computes after its last layer runs on the prediction (eval.ts forwardOut).
        const tail = forwardTail(fwd.fn);
        runs.push({ call: e, param: (e.args[0] as { id: string }).id, via: 'apply', up: [...up], ...('fn' in tail ? { tail: fwd.fn.name } : {}), shown: 'fn' in tail ? `the last layer of ${run} (what \`${fwd.fn.name}\` computes after it running on its output)` : run });
      }
    }
  });
  if (!runs.length) return undefined;
  const run = runs[0];
  const shown = run.shown ?? (run.via === 'call' ? `\`${run.param}(...)\`` : `\`.${(run.call.func as { attr: string }).attr}(${run.call.args[0].k === 'dict' || (run.call.args[0].k === 'name' && run.call.args[0].id !== run.param) ? `{"params": ${run.param}}` : run.param}, ...)\``);
  const refuse = (refused: string) => ({ param: run.param, refused });
  // A forward function that computes after its last layer with more than that layer's value: no stand-in is true to it.
  const fwd = run.via === 'apply' && run.call.func.k === 'name' && mod ? forwardOf(run.call.func.id, mod) : undefined;
  const tail = fwd && forwardTail(fwd.fn);
  if (tail && 'refused' in tail) return refuse(tail.refused);
  if (runs.length > 1) return refuse(`the function runs its model ${runs.length} times (${shown}): the probes stand in one run by their prediction, not several`);
  if (run.up.some((a) => (a.k === 'other' && /^(for|while)$/.test((a as unknown as { what: string }).what)) || a.k === 'lambda' || a.k === 'def' || (a.k === 'unknown' && 'comp' in a))) return refuse(`the function runs its model (${shown}) in a loop, a comprehension or a nested function: the probes stand in one run by their prediction`);
  // The run's output is the prediction: bound to one name, passed on as an argument, or returned.
  const parent = run.up[run.up.length - 1] as Stmt | Expr | undefined;
  // A method called on it (`model(x).squeeze()`, `.float()`) reads it whole too, not a field of a model's output (`.logits`).
  const grand = run.up[run.up.length - 2] as Expr | undefined;
  const method = parent?.k === 'attr' && parent.obj === run.call && grand?.k === 'call' && grand.func === parent;
  const whole = method || (parent && ((parent.k === 'assign' && parent.value === run.call && !parent.aug && parent.targets.length === 1 && parent.targets[0].k === 'name') || (parent.k === 'call' && parent.func !== run.call && (parent.args.includes(run.call) || Object.values(parent.kwargs).includes(run.call))) || (parent.k === 'return' && parent.value === run.call)));
  // Several values unpacked (`logits, new_state = state.apply_fn(..., mutable=["batch_stats"])`): the
  // prediction is the one the function computes with; the others only handed back in what it returns
  // (`return loss, (new_state, logits)`, a transform's auxiliary output) or never read.
  const unpacked = !whole && parent?.k === 'assign' && parent.value === run.call ? unpackedPrediction(fn, parent) : undefined;
  if (unpacked && 'refused' in unpacked) return refuse(`the model's run (${shown}) returns several values, unpacked, and ${unpacked.refused}: the file does not say what ${unpacked.refused.startsWith('none') ? 'they hold' : 'the others hold'}, the probes stand in only the prediction`);
  if (!whole && !unpacked) {
    const many = parent?.k === 'assign' && parent.targets.some((t) => t.k === 'tuple');
    return refuse(many ? `the model's run (${shown}) returns several values, unpacked: the probes stand in only a model whose output is the prediction` : `the model's output (${shown}) is read in part (an attribute or an item of it): the probes stand in only a model whose output is the prediction`);
  }
  // Each read of a required parameter: the run's own (the model, its receiver, an argument of it) or another.
  const argOfRun = new Set<unknown>([...run.call.args, ...Object.values(run.call.kwargs)]);
  // The model's name inside `jax.vmap(model)` is the run's own read.
  if (run.call.func.k === 'call') argOfRun.add(run.call.func.args[0]);
  if (run.via === 'apply') {
    const a0 = run.call.args[0];
    const vars = a0.k === 'name' ? variablesDict(fn, a0.id) : a0;
    if (vars?.k === 'dict') for (const v of vars.values) argOfRun.add(v);
    if (run.call.func.k === 'attr') argOfRun.add(run.call.func.obj);
    // Through a local bound to the apply: the model's receiver in that binding is the run's own read.
    const alias = applyOf(run.call.func);
    if (alias) argOfRun.add(alias.obj);
  }
  const reads = new Map<string, { all: number; run: number; keys: Map<string, { all: number; run: number }>; keyed: number }>();
  // The closure's free names that are its enclosing function's parameters (`batch` of `train_step(state, batch)`): read the same way.
  for (const r of [...required, ...outer]) reads.set(r, { all: 0, run: 0, keys: new Map(), keyed: 0 });
  // Inside the run's arguments (`{"params": p, "batch_stats": state.batch_stats}`, `batch["image"] / 255`): what only the model reads.
  const inRun = (up: readonly { k: string }[]): boolean => up.some((a) => argOfRun.has(a));
  walkIR(fn.body, (n, up) => {
    const e = n as Expr;
    if (e.k !== 'name' || !reads.has(e.id)) return;
    const r = reads.get(e.id)!;
    r.all++;
    const p = up[up.length - 1] as Expr | undefined;
    if (e === run.call.func || argOfRun.has(e)) r.run++;
    else if (p?.k === 'subscript' && p.obj === e && p.index.length === 1 && p.index[0].k === 'str') {
      const k = p.index[0].value;
      const kr = r.keys.get(k) ?? { all: 0, run: 0 };
      kr.all++;
      if (argOfRun.has(p) || inRun(up.slice(0, -1))) kr.run++;
      r.keys.set(k, kr);
      r.keyed++;
    } else if (outer.includes(e.id) && inRun(up)) r.run++;
  });
  const model = reads.get(run.param)!;
  if (model.all !== model.run) return refuse(`the model${run.via === 'call' ? ` \`${run.param}\`` : `'s parameters \`${run.param}\``} ${run.via === 'call' ? 'is' : 'are'} read beyond its run (${shown}) (an attribute or another use): the probes stand in only the run`);
  const inputs: string[] = [];
  const keys: Record<string, string[]> = {};
  for (const [name, r] of reads) {
    if (name === run.param) continue;
    if (r.all > 0 && r.all === r.run) inputs.push(name);
    else if (r.all > 0 && r.keyed === r.all) {
      const only = [...r.keys].filter(([, kr]) => kr.all === kr.run).map(([k]) => k);
      if (only.length && only.length < r.keys.size) keys[name] = only;
    }
  }
  const passed = [...reads].filter(([name, r]) => name !== run.param && r.run > 0).map(([name]) => name);
  return { param: run.param, via: run.via, shown, inputs, keys, passed, ...(unpacked ? { unpacked } : {}), ...(run.tail ? { tail: run.tail } : {}) };
}

/**
 * Whether parameter `name` of `g` is a scalar hyperparameter, not a tensor role: some read of it
 * takes a place only a Python number takes (the exponent of a power through arithmetic beside
 * number literals, `x.pow(2.0 - t1)`; the special case `if t == 1.0:` a formula's limit names), and
 * no read is a tensor's (the receiver of a method or an attribute, subscripted, an
 * item of a list or tuple display, an argument of a framework op). Reads passed to one of the
 * module's own functions are that function's parameter's reads (three calls deep); a parameter
 * `__init__` stores on `self` is read where the class's methods read that attribute. A temperature
 * or an exponent (`log_t(u, t1)`, `x.pow(2.0 - t1)`) is one; a prediction or a target is not
 * (`torch.stack([activations, ...])`, `labels.shape`). Reads into a call of something else
 * (`Function.apply(x, t)`) say neither.
 */
export function scalarHyper(name: string, g: FunctionIR, mod: ModuleIR): boolean {
  // The planner asks it of each required parameter, several times: kept per module and function (the
  // answer reads the module's other functions; a function's IR may be reused in an edited module).
  let inMod = SCALAR_HYPER.get(mod);
  if (!inMod) SCALAR_HYPER.set(mod, (inMod = new WeakMap()));
  let known = inMod.get(g);
  if (!known) inMod.set(g, (known = new Map()));
  let r = known.get(name);
  if (r === undefined) {
    const verdict = { scalar: false, tensor: false };
    scalarReads(name, g, mod, 0, verdict);
    known.set(name, (r = verdict.scalar && !verdict.tensor));
  }
  return r;
}

const SCALAR_HYPER = new WeakMap<ModuleIR, WeakMap<FunctionIR, Map<string, boolean>>>();

function scalarReads(name: string, g: FunctionIR, mod: ModuleIR, depth: number, v: { scalar: boolean; tensor: boolean }): void {
  const isNum = (e: Expr): boolean => e.k === 'num' || (e.k === 'unary' && e.operand.k === 'num');
  const own = new Map<string, FunctionIR>();
  for (const f of mod.functions) if (!f.className && !f.parent && !own.has(f.name)) own.set(f.name, f);
  // The reads: the name itself, and for __init__ the attributes it stores the name at, read as `self.<attr>` in the class's methods.
  const attrs = new Set<string>();
  if (g.name === '__init__' && g.className)
    for (const s of stmtsDeep(g.body)) if (s.k === 'assign' && !s.aug && s.targets.length === 1 && s.value.k === 'name' && s.value.id === name && s.targets[0].k === 'attr' && isSelfAttr(s.targets[0] as Expr)) attrs.add((s.targets[0] as { attr: string }).attr);
  const bodies: FunctionIR[] = [g];
  if (attrs.size) for (const m of mod.classes.get(g.className!)?.methods.values() ?? []) if (m !== g) bodies.push(m);
  const onRead = (e: Expr, up: readonly { k: string }[]): void => {
    const p = up[up.length - 1] as Expr | Stmt | undefined;
    if (!p) return;
    // Only a Python number takes these places: the exponent of a power (through arithmetic beside
    // number literals, `x.pow(2.0 - t)`, `u ** (1.0 - t)`), a comparison with a number literal that an
    // `if` branches on (a tensor of several elements there raises).
    if (p.k === 'bin' || p.k === 'cmp') {
      // A comparison counts only as `== 1` (the value the code's own special case names, whose limit
      // the general formula takes: `if t == 1.0: return log(u)`); an ordering (`t < 1.0`) switches
      // regimes, and says no value.
      const one = (x: Expr): boolean => x.k === 'num' && x.value === 1;
      if (p.k === 'bin' ? !isNum(p.left === e ? p.right : p.left) : !(p.ops.length === 1 && p.ops[0] === '==' && p.operands.some(one))) return;
      let i = up.length - 1;
      let at: unknown = e;
      while (i >= 0 && (up[i] as Expr).k === 'bin' && (up[i] === p || isNum((up[i] as Extract<Expr, { k: 'bin' }>).left === at ? (up[i] as Extract<Expr, { k: 'bin' }>).right : (up[i] as Extract<Expr, { k: 'bin' }>).left))) at = up[i--];
      const q = up[i] as Expr | Stmt | undefined;
      const binAt = (up[i + 1] ?? e) as Expr;
      if (p.k === 'cmp') {
        const q = up[up.length - 2] as Expr | Stmt | undefined;
        if (q && ((q.k === 'if' && q.test === p) || (q.k === 'cond' && q.test === p) || (q.k === 'bool' && up.slice(0, -1).some((a) => a.k === 'if' || a.k === 'cond')))) v.scalar = true;
      } else if (binAt.k === 'bin' && ((q?.k === 'bin' && q.op === '**' && q.right === binAt) || (q?.k === 'call' && q.func.k === 'attr' && q.func.attr === 'pow' && q.args[0] === binAt) || (q?.k === 'call' && q.op?.id === 'pow' && q.args[1] === binAt))) v.scalar = true;
    } else if (p.k === 'attr' || p.k === 'subscript' || p.k === 'tuple') v.tensor = true;
    else if (p.k === 'call') {
      if (p.func === e) return;
      if (p.op) {
        v.tensor = true;
        return;
      }
      const callee = p.func.k === 'name' ? own.get(p.func.id) : undefined;
      if (!callee || depth >= 3) return;
      const at = p.args.indexOf(e);
      const kw = Object.entries(p.kwargs).find(([, a]) => a === e)?.[0];
      const plain = callee.params.filter((q) => q.kind === 'plain');
      const param = at >= 0 ? plain[at]?.name : kw && plain.some((q) => q.name === kw) ? kw : undefined;
      if (param) scalarReads(param, callee, mod, depth + 1, v);
    }
  };
  for (const b of bodies)
    walkIRExprs(b.body, (n, up) => {
      const e = n as Expr;
      if (b === g && e.k === 'name' && e.id === name) {
        // A store on self is no read (`self.t1 = t1`).
        const p = up[up.length - 1] as Stmt | undefined;
        if (!(p?.k === 'assign' && p.value === e && attrs.size)) onRead(e, up);
      } else if (attrs.size && e.k === 'attr' && isSelfAttr(e) && attrs.has(e.attr)) {
        const p = up[up.length - 1] as Stmt | undefined;
        if (!(p?.k === 'assign' && p.targets.includes(e as never))) onRead(e, up);
      }
    });
}

/** walkIR over the expressions of a body (nested definitions included). */
function walkIRExprs(body: readonly Stmt[], on: (n: { k: string }, up: readonly { k: string }[]) => void): void {
  walkIR(body, on);
}

/**
 * Whether parameter `name` of `g` is the class count of a one-hot its body makes (`tf.one_hot(t,
 * n)`, `F.one_hot(t, num_classes=n)`: the op's `num_classes` argument, however the framework names
 * it): a dimension the targets' one-hot shares with the prediction, so the probe's class count.
 */
export function oneHotDepth(name: string, g: FunctionIR): boolean {
  let found = false;
  walkIR(g.body, (n) => {
    const e = n as Expr;
    if (found || e.k !== 'call' || e.op?.id !== 'one_hot') return;
    const a = e.bound?.num_classes;
    if (a?.k === 'name' && a.id === name) found = true;
  });
  return found;
}

/**
 * Whether parameter `name` of `g` gets a last axis of one before it is used (`tf.expand_dims(w, -1)`,
 * `w.unsqueeze(-1)`, `w[..., None]`, `w[:, None]`): one value per row of the prediction, broadcast
 * over its classes (a per-anchor or per-sample weight), not a tensor shaped like the prediction.
 */
export function expandsLastAxis(name: string, g: FunctionIR): boolean {
  const isIt = (e: Expr | undefined): boolean => e?.k === 'name' && e.id === name;
  const minusOne = (e: Expr | undefined): boolean => (e?.k === 'unary' && e.operand.k === 'num' && e.operand.value === 1) || (e?.k === 'num' && e.value === -1);
  let found = false;
  walkIR(g.body, (n) => {
    const e = n as Expr;
    if (found) return;
    if (e.k === 'call' && e.op?.id === 'unsqueeze' && isIt(e.bound?.input) && minusOne(e.bound?.dim)) found = true;
    else if (e.k === 'subscript' && isIt(e.obj) && e.index.length === 2 && e.index[1].k === 'const' && e.index[1].value === null && (e.index[0].k === 'slice' || e.index[0].k === 'ellipsis')) found = true;
  });
  return found;
}

/**
 * Whether parameter `name` of `g` is a class count by its use, an int and never a tensor of the
 * roles: the depth of a one-hot (`oneHotDepth`), an item of a shape the body creates a tensor or a
 * variable with (`tf.get_variable(shape=(d, n))`, `tf.zeros([d, n])`, `tf.reshape(x, [-1, n])`), or
 * the bound of a `range(n)`. Such a parameter takes the probe's classes, so the prediction and the
 * target are among the others (`cal_loss(embeddings, labels, n_classes)`).
 */
export function classCountParam(name: string, g: FunctionIR): boolean {
  if (oneHotDepth(name, g)) return true;
  const isIt = (e: Expr | undefined): boolean => e?.k === 'name' && e.id === name;
  const inShape = (e: Expr | undefined): boolean => e?.k === 'tuple' && e.items.some(isIt);
  let found = false;
  walkIR(g.body, (n) => {
    const e = n as Expr;
    if (found || e.k !== 'call') return;
    if (inShape(e.kwargs.shape) || inShape(e.bound?.shape) || inShape(e.bound?.size)) found = true;
    else if (e.func.k === 'name' && e.func.id === 'range' && e.args.some(isIt)) found = true;
    else if (e.op?.id === 'reshape' && Object.values(e.bound ?? {}).some((a) => a !== e.bound?.input && inShape(a as Expr))) found = true;
  });
  return found;
}

/**
 * Two required parameters a contrastive loss compares with each other: both operands of one
 * product of matrices (`jnp.dot(zimg, ztxt.T)`, `a @ b.T`, `torch.matmul(a, b.transpose(0, 1))`,
 * an einsum of the two): embeddings whose pairs are their own targets, not a prediction and its
 * targets. Undefined where no such product holds two of them.
 */
export function contrastivePair(fn: FunctionIR, required: readonly string[]): [string, string] | undefined {
  // The parameter an operand is, through a transpose (`.T`, `.transpose(...)`, `.t()`).
  const operand = (e: Expr | undefined): string | undefined => {
    if (!e) return undefined;
    if (e.k === 'name') return required.includes(e.id) ? e.id : undefined;
    if (e.k === 'attr' && (e.attr === 'T' || e.attr === 'mT')) return operand(e.obj);
    if (e.k === 'call' && e.func.k === 'attr' && /^(transpose|t|permute)$/.test(e.func.attr)) return operand(e.func.obj);
    return undefined;
  };
  let found: [string, string] | undefined;
  walkIR(fn.body, (n) => {
    const e = n as Expr;
    if (found) return;
    let pair: (string | undefined)[] = [];
    if (e.k === 'bin' && e.op === '@') pair = [operand(e.left), operand(e.right)];
    else if (e.k === 'call' && e.op && /^(matmul|dot|np_dot|tensordot|einsum)$/.test(e.op.id)) pair = e.args.map(operand).filter((x) => x !== undefined);
    if (pair.length === 2 && pair[0] && pair[1] && pair[0] !== pair[1]) found = [pair[0], pair[1]];
  });
  return found;
}

/**
 * Whether parameter `name` of `fn` is a list of per-image dicts of targets (torchvision's detection
 * models take `[{"boxes": [M, 4], "labels": [M]}, ...]`): its items (a loop's, or `name[i]`) are read
 * at constant string keys. Each key read is given what its uses read: boxes where they hold boxes
 * (`holdsBoxes`, with the columns `boxUse` reads), else the class of each box where its values are
 * taken at computed indices (`labels[iou_argmax]`). `undefined`: no key is read; `null`: a key is read
 * otherwise (the layout is not known, the refusal stays).
 */
export function imageDicts(name: string, fn: FunctionIR, mod: ModuleIR, depth = 0): ImageDicts | null | undefined {
  const stmts = stmtsDeep(fn.body);
  const items = new Set<string>();
  const isParam = (e: Expr): boolean => e.k === 'name' && e.id === name;
  const perImage = (e: Expr): boolean => e.k === 'subscript' && isParam(e.obj) && e.index.length === 1 && e.index[0].k !== 'str' && e.index[0].k !== 'slice';
  for (const s of stmts) {
    if (s.k === 'other' && s.what === 'for' && s.iter && s.target) {
      const it = loopItem(s.target, s.iter, isParam);
      if (it) items.add(it);
    }
    if (s.k === 'assign' && s.targets.length === 1 && s.targets[0].k === 'name' && perImage(s.value)) items.add(s.targets[0].id);
  }
  // `item["key"]` (or `name[i]["key"]`), through methods that keep its values (`.to(device)`).
  const keyOf = (e: Expr): string | undefined => {
    if (e.k === 'call' && e.func.k === 'attr' && !e.callee) return keyOf(e.func.obj);
    if (e.k !== 'subscript' || e.index.length !== 1 || e.index[0].k !== 'str') return undefined;
    return (e.obj.k === 'name' && items.has(e.obj.id)) || perImage(e.obj) ? e.index[0].value : undefined;
  };
  const locals = new Map<string, string[]>();
  // Keys read inline (`box_iou(anchors, t["boxes"])`, `t["labels"][which]`): what that read says of them.
  const inline = new Map<string, 'boxes' | 'labels' | undefined>();
  const computed = (e: Expr): boolean => e.k === 'subscript' && e.index.length === 1 && !['num', 'str', 'slice'].includes(e.index[0].k);
  for (const s of stmts) {
    const bound = s.k === 'assign' && s.targets.length === 1 && s.targets[0].k === 'name' ? keyOf(s.value) : undefined;
    if (bound !== undefined && s.k === 'assign' && s.targets[0].k === 'name') {
      locals.set(bound, [...(locals.get(bound) ?? []), s.targets[0].id]);
      continue;
    }
    const told = new Set<Expr>();
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        if (e.k === 'call' && e.op && BOX_PARAMS[e.op.id])
          for (const p of BOX_PARAMS[e.op.id]) {
            const a = e.bound?.[p];
            const k = a ? keyOf(a) : undefined;
            if (a && k !== undefined) {
              told.add(a);
              if (inline.get(k) !== 'labels') inline.set(k, 'boxes');
            }
          }
        if (computed(e) && e.k === 'subscript' && keyOf(e.obj) !== undefined) {
          told.add(e.obj);
          const k = keyOf(e.obj)!;
          if (inline.get(k) !== 'boxes') inline.set(k, 'labels');
        }
        const k = keyOf(e);
        if (k !== undefined && !told.has(e) && !inline.has(k)) inline.set(k, undefined);
      });
  }
  if (!locals.size && !inline.size) {
    // Passed on as it is to one of the module's functions: what that function reads of it.
    if (depth >= 2) return undefined;
    const on = passedOn(fn, mod, (a) => a.k === 'name' && a.id === name).map((p) => imageDicts(p.param, p.callee, mod, depth + 1));
    return on.includes(null) ? null : on.find((d) => d);
  }
  const keys: ImageDicts['keys'] = {};
  for (const [key, names] of locals) {
    const boxes = names.filter((n) => holdsBoxes(n, fn, mod));
    if (boxes.length) {
      const u = boxUse(boxes[0], fn, mod);
      keys[key] = { boxes: 'truth', columns: u.columns, padding: u.padding };
      continue;
    }
    // Taken at a computed index (`labels[argmax]`, `labels[pos]`): one value per box, its class.
    const gathered = names.length > 0 && stmts.some((s) => stmtRoots(s).some((r) => { let f = false; everyExpr(r, (e) => { if (computed(e) && e.k === 'subscript' && e.obj.k === 'name' && names.includes(e.obj.id)) f = true; }); return f; }));
    if (gathered) keys[key] = { labels: true };
    else if (inline.get(key) === undefined) return null;
  }
  for (const [key, kind] of inline) {
    if (keys[key]) continue;
    if (!kind) return null;
    keys[key] = kind === 'boxes' ? { boxes: 'truth', columns: 4, padding: false } : { labels: true };
  }
  return { images: 'dicts', keys };
}

/**
 * Whether parameter `name` of `fn` holds the class of each ground-truth box: it, an image's row of it
 * (`labels = gt_labels[i]`) or a loop's item is taken at a computed index (`labels[matched]`, the
 * box each anchor is matched to), and read no way that makes it a prediction (it reaches no creating
 * op). `perImage`: read image by image (`gt_labels[i]`: a batch axis before the boxes').
 */
export function boxLabels(name: string, fn: FunctionIR, mod: ModuleIR, depth = 0): { perImage: boolean } | undefined {
  const stmts = stmtsDeep(fn.body);
  const isParam = (e: Expr): boolean => e.k === 'name' && e.id === name;
  const perImage = (e: Expr): boolean => e.k === 'subscript' && isParam(e.obj) && e.index.length === 1 && ['name', 'num'].includes(e.index[0].k);
  const rows = new Set<string>();
  for (const s of stmts) {
    if (s.k === 'other' && s.what === 'for' && s.iter && s.target) {
      const it = loopItem(s.target, s.iter, isParam);
      if (it) rows.add(it);
    }
    if (s.k === 'assign' && s.targets.length === 1 && s.targets[0].k === 'name' && perImage(s.value)) rows.add(s.targets[0].id);
  }
  const computed = (i: Expr): boolean => !['num', 'str', 'slice', 'const', 'ellipsis'].includes(i.k);
  let gathered: { perImage: boolean } | undefined;
  for (const s of stmts)
    for (const r of stmtRoots(s))
      everyExpr(r, (e) => {
        if (gathered || e.k !== 'subscript' || e.index.length !== 1 || !computed(e.index[0])) return;
        // `labels[which]` of an image's row; `gt_labels[i][which]`; the parameter itself (one image) at a computed index that is no loop counter.
        if ((e.obj.k === 'name' && rows.has(e.obj.id)) || perImage(e.obj)) gathered = { perImage: true };
      });
  if (gathered && !reachesCreatingOp(name, fn, mod)) return gathered;
  if (depth >= 2) return undefined;
  for (const p of passedOn(fn, mod, (a) => a.k === 'name' && a.id === name)) {
    const on = boxLabels(p.param, p.callee, mod, depth + 1);
    if (on) return on;
  }
  return undefined;
}
