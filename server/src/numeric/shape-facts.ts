/**
 * What rank and layout a function's own code reads its prediction and target at, from the IR (no
 * values): the axes it reduces, softmaxes, squeezes or reads the size of (`x.sum(dim=(2, 3))`,
 * `tf.reduce_sum(p, axis=[1, 2])`, `x.size(3)`, `x.shape[-1]`), the names it unpacks `.shape` into
 * (`n, c, h, w = x.size()`: exactly rank 4), a target axis it squeezes (`target.squeeze(1)`,
 * `tf.squeeze(y_true, axis=-1)`: the targets carry a channel of one there). probes.ts `setup` lays
 * the probe's [N, C] logits out in the layouts these facts allow first (`factLayouts`), the fixed
 * order of layouts after them as the fallback.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt } from '../core/ir';
import { walkExprs } from '../core/ir';
import { stmtRoots, stmtsOf, stmtsDeep } from '../core/walk';
import { layoutShape, type Layout } from './types';

export interface AxisFacts {
  /** The smallest rank the reads need: the largest axis read plus one (`dim=3`: 4), a negative axis -k: k. */
  minRank: number;
  /** The rank `.shape` is unpacked at (`b, c, h, w = x.shape`), when it is. */
  rank?: number;
  /** Axes the function squeezes (`squeeze(1)`, `squeeze(axis=-1)`): of size one. */
  squeezed: number[];
  /** Axes a softmax or log-softmax of it normalises over: the classes. */
  classes?: number[];
  /** Axes reduced together (`sum(p * t, axis=(1, 2))`, two or more), of it or of an elementwise product or sum with it: no class axis among them. */
  together?: number[][];
  /**
   * The axis the function reads as its count of cases: a size of it the loss is divided by (`m =
   * Y.shape[1]`, `cost = -np.sum(...) / m`), or that sizes a vector of per-case values it averages
   * (`v = np.zeros(p.shape[1])`, `v.mean()`). Axis 1: the cases are its columns ([C, N]).
   */
  batchAxis?: number;
  /** Reshaped to a row or column of its own length (`y.reshape(1, y.shape[0])`): a vector, one example's. */
  vector?: boolean;
}

/** Ops whose `dim` is an axis of their `input` the function reads the parameter at. */
const AXIS_OPS = new Set(['sum', 'mean', 'average', 'max', 'min', 'argmax', 'softmax', 'log_softmax', 'logsumexp', 'squeeze', 'norm', 'prod', 'cumsum', 'count_nonzero', 'normalize', 'l2_normalize']);
/** Calls that keep the shape of their one tensor input, an alias of the parameter goes through (`y = tf.cast(y, tf.int64)`, `t = t.long()`, `p = softmax(p, -1)`). */
const KEEPS_SHAPE = new Set(['cast', 'identity', 'detach', 'tensor', 'clamp', 'contiguous', 'sigmoid', 'softmax', 'log_softmax', 'logsigmoid', 'softplus', 'exp', 'log', 'log1p', 'neg', 'square']);

function literal(e: Expr | undefined): number | undefined {
  if (!e) return undefined;
  if (e.k === 'num' && Number.isInteger(e.value)) return e.value;
  if (e.k === 'unary' && e.op === '-' && e.operand.k === 'num' && Number.isInteger(e.operand.value)) return -e.operand.value;
  return undefined;
}

/** Names bound once, in the function, to a literal axis or tuple of axes (`dims = (0, 2, 3)`). */
function constants(stmts: Stmt[]): Map<string, Expr> {
  const count = new Map<string, number>();
  const value = new Map<string, Expr>();
  for (const s of stmts) {
    if (s.k !== 'assign') continue;
    for (const t of s.targets) {
      if (t.k !== 'name') continue;
      count.set(t.id, (count.get(t.id) ?? 0) + 1);
      value.set(t.id, s.value);
    }
  }
  const out = new Map<string, Expr>();
  for (const [id, n] of count) if (n === 1 && !(value.get(id)!.k === 'name')) out.set(id, value.get(id)!);
  return out;
}

/** The axes an expression names: a literal, a tuple or list of literals, or a name bound once to one. */
function axesOf(e: Expr | undefined, consts: Map<string, Expr>): number[] {
  if (!e) return [];
  if (e.k === 'name' && consts.has(e.id)) return axesOf(consts.get(e.id), new Map());
  const one = literal(e);
  if (one !== undefined) return [one];
  if (e.k === 'tuple') {
    const items = e.items.map(literal);
    return items.every((x) => x !== undefined) ? (items as number[]) : [];
  }
  return [];
}


/** The callee's last dotted part or method name (`tf.shape`, `x.size`: `shape`, `size`). */
function calleeName(e: Expr): string | undefined {
  if (e.k !== 'call') return undefined;
  if (e.callee) return e.callee.split('.').pop();
  return e.func.k === 'attr' ? e.func.attr : e.func.k === 'name' ? e.func.id : undefined;
}

/**
 * The axis facts of parameter `name` of `fn`: its reads and those of the names bound to it as it is
 * (or through a cast, `tf.convert_to_tensor`, `.long()`: the same shape), in the order of the
 * statements, up to where a name is bound to something else (`x = x.view(n, c, -1)`: the reads of
 * `x` after it are not the parameter's).
 */
export function axisFacts(fn: FunctionIR, name: string, mod?: ModuleIR, depth = 0): AxisFacts {
  const stmts = stmtsDeep(fn.body);
  const consts = constants(stmts);
  const names = new Set([name]);
  const rooted = (e: Expr): boolean => {
    if (e.k === 'name') return names.has(e.id);
    if (e.k !== 'call') return false;
    // `t.long()`, `t.contiguous()`, `tf.cast(t, ...)`: a method or op that keeps the shape.
    const id = e.op?.id ?? calleeName(e);
    if (!id || !KEEPS_SHAPE.has(id)) return false;
    if (e.method || (e.func.k === 'attr' && !e.callee)) return e.func.k === 'attr' && rooted(e.func.obj);
    return !!e.args[0] && rooted(e.args[0]);
  };
  // Names bound to the parameter's shape (`shape = tf.shape(y)`, `s = y.shape`): their subscripts are axes.
  const shapes = new Set<string>();
  const shapeOf = (e: Expr): boolean =>
    (e.k === 'attr' && e.attr === 'shape' && rooted(e.obj)) ||
    (e.k === 'call' && /^(size|get_shape)$/.test(calleeName(e) ?? '') && e.func.k === 'attr' && rooted(e.func.obj) && e.args.length === 0) ||
    (e.k === 'call' && calleeName(e) === 'shape' && !!e.callee && !!e.args[0] && rooted(e.args[0])) ||
    (e.k === 'name' && shapes.has(e.id));

  let minRank = 0;
  let rank: number | undefined;
  const squeezed = new Set<number>();
  const classes = new Set<number>();
  const together: number[][] = [];
  // An elementwise sum, difference, product or quotient with it (`p * onehot`): reduced together over its axes.
  const withIt = (e: Expr): boolean => rooted(e) || (e.k === 'bin' && ['+', '-', '*', '/'].includes(e.op) && (withIt(e.left) || withIt(e.right)));
  const axis = (d: number): void => {
    minRank = Math.max(minRank, d >= 0 ? d + 1 : -d);
  };
  // The rank of the parameter a guard reads (`len(x.shape)`, `len(x.size())`, `x.dim()`, `x.ndim`).
  const rankOf = (e: Expr): boolean =>
    (e.k === 'call' && e.func.k === 'name' && e.func.id === 'len' && e.args.length === 1 && shapeOf(e.args[0])) ||
    (e.k === 'call' && /^(dim|ndimension)$/.test(calleeName(e) ?? '') && e.func.k === 'attr' && rooted(e.func.obj) && e.args.length === 0) ||
    (e.k === 'attr' && e.attr === 'ndim' && rooted(e.obj));
  // A guard on the rank (`if x.dim() != 4: raise ...`, `if not len(x.shape) == 4: raise`, `assert
  // x.ndim == 4`): the code runs past it only at that rank, so the probe's input has it. `holds`: the
  // test holds on the inputs the code runs on (an assert's), else it fails there (an `if` that raises).
  const guard = (e: Expr, holds: boolean): void => {
    if (e.k === 'unary' && e.op === 'not') return guard(e.operand, !holds);
    // `a or b` fails only where both fail; `a and b` holds only where both hold.
    if (e.k === 'bool' && (e.op === 'and') === holds) {
      guard(e.left, holds);
      guard(e.right, holds);
      return;
    }
    if (e.k !== 'cmp' || e.ops.length !== 1) return;
    let [l, r] = e.operands;
    let op = e.ops[0];
    const flip: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '==': '==', '!=': '!=' };
    if (!rankOf(l) && rankOf(r) && flip[op]) [l, r, op] = [r, l, flip[op]];
    const k = literal(r);
    if (!rankOf(l) || k === undefined || k < 0) return;
    // The comparison on the inputs the code runs on.
    const negate: Record<string, string> = { '==': '!=', '!=': '==', '<': '>=', '>=': '<', '>': '<=', '<=': '>' };
    const o = holds ? op : negate[op];
    if (o === '==') rank = k;
    else if (o === '>=') minRank = Math.max(minRank, k);
    else if (o === '>') minRank = Math.max(minRank, k + 1);
  };
  // Names bound to a size of it (`m = Y.shape[1]`): the axis; and to a vector that size sizes (`v = np.zeros(p.shape[1])`).
  const sizes = new Map<string, number>();
  const perCase = new Map<string, number>();
  let batchAxis: number | undefined;
  let vector = false;
  // The axis a size read names (`Y.shape[1]`, `m` bound to it, `len(Y)`: 0).
  const sizeAxis = (e: Expr | undefined): number | undefined => {
    if (!e) return undefined;
    if (e.k === 'name') return sizes.get(e.id);
    if (e.k === 'subscript' && e.index.length === 1 && shapeOf(e.obj)) return literal(e.index[0]);
    if (e.k === 'call' && e.func.k === 'name' && e.func.id === 'len' && e.args.length === 1 && rooted(e.args[0])) return 0;
    return undefined;
  };
  const raises = (body: Stmt[]): boolean => body.length > 0 && body[body.length - 1].k === 'other' && (body[body.length - 1] as { what: string }).what === 'raise';
  for (const s of stmts) {
    if (s.k === 'if' && raises(s.body)) guard(s.test, false);
    if (s.k === 'other' && s.what === 'assert' && s.test) guard(s.test, true);
    // `n, c, h, w = x.shape`: exactly that rank; `n, c, *rest = x.shape` at least its named ones.
    if (s.k === 'assign' && s.targets.length === 1 && s.targets[0].k === 'tuple' && shapeOf(s.value)) {
      const t = s.targets[0];
      if (t.starred) minRank = Math.max(minRank, t.items.length - 1);
      else if (t.items.every((i) => i.k === 'name')) rank = t.items.length;
    }
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) {
        if (e.k === 'subscript' && shapeOf(e.obj) && e.index.length === 1) {
          const d = literal(e.index[0]);
          if (d !== undefined) axis(d);
          continue;
        }
        // Divided by a count it reads (`/ m`, `1 / Y.shape[1]`): the cases' axis.
        if (e.k === 'bin' && e.op === '/' && sizeAxis(e.right) !== undefined) {
          batchAxis ??= sizeAxis(e.right);
          continue;
        }
        if (e.k !== 'call') continue;
        const cn = calleeName(e);
        // The mean of a vector of per-case values (`loss_vector.mean()`, `np.mean(v)`): the axis that sized it.
        if (cn === 'mean' && !e.kwargs.axis && !e.kwargs.dim) {
          const v = e.func.k === 'attr' && !e.callee && e.args.length === 0 ? e.func.obj : e.args.length === 1 ? e.args[0] : undefined;
          if (v?.k === 'name' && perCase.has(v.id)) batchAxis ??= perCase.get(v.id);
        }
        // `y.reshape(1, y.shape[0])`, `np.reshape(y, (n, 1))`: every size 1 but its own first axis's.
        if (cn === 'reshape') {
          const own = e.func.k === 'attr' && !e.callee && rooted(e.func.obj);
          const shape = own ? (e.args.length === 1 && e.args[0].k === 'tuple' ? e.args[0].items : e.args) : e.args.length === 2 && rooted(e.args[0]) && e.args[1].k === 'tuple' ? e.args[1].items : [];
          if (shape.length >= 2 && shape.filter((d) => literal(d) === 1).length === shape.length - 1 && shape.some((d) => sizeAxis(d) === 0)) vector = true;
        }
        // `x.size(2)`: a size read at an axis.
        if (cn === 'size' && e.func.k === 'attr' && rooted(e.func.obj) && e.args.length === 1) {
          const d = literal(e.args[0]);
          if (d !== undefined) axis(d);
          continue;
        }
        const id = e.op?.id;
        // An op that takes its input at one rank only (an image batch): the parameter has that rank.
        if (e.op?.inputRank && e.bound?.input && rooted(e.bound.input)) rank = e.op.inputRank;
        if (!id || !AXIS_OPS.has(id) || !e.bound) continue;
        const input = e.bound.input;
        if (input && !rooted(input) && withIt(input) && (id === 'sum' || id === 'mean')) {
          const dims = axesOf(e.bound.dim ?? e.bound.axis, consts);
          if (dims.length > 1) together.push(dims);
          continue;
        }
        if (!input || !rooted(input)) continue;
        const dims = axesOf(e.bound.dim ?? e.bound.axis, consts);
        if ((id === 'softmax' || id === 'log_softmax') && dims.length === 1) classes.add(dims[0]);
        if ((id === 'sum' || id === 'mean') && dims.length > 1) together.push(dims);
        for (const d of dims) axis(d);
        if (id === 'squeeze') for (const d of dims) squeezed.add(d);
      }
    // Then the names the statement binds: an alias of the parameter (or of its shape), or no more one.
    if (s.k === 'assign' && s.targets.length === 1 && s.targets[0].k === 'name') {
      const t = s.targets[0].id;
      const alias = !s.aug && rooted(s.value);
      const shape = !s.aug && shapeOf(s.value);
      if (alias) names.add(t);
      else names.delete(t);
      const size = s.aug ? undefined : sizeAxis(s.value);
      if (size !== undefined && s.value.k !== 'name') sizes.set(t, size);
      else sizes.delete(t);
      const sized = !s.aug && s.value.k === 'call' && /^(zeros|empty|ones)$/.test(calleeName(s.value) ?? '') && s.value.args.length === 1 ? sizeAxis(s.value.args[0]) : undefined;
      if (sized !== undefined) perCase.set(t, sized);
      else perCase.delete(t);
      if (shape) shapes.add(t);
      else shapes.delete(t);
    }
  }
  // Passed as it is to a function of the module (`focal_loss(input, target)`, `self._loss(x, y)`) or
  // to an instance of the module's class built there (`FocalLoss(alpha)(input, target)`): that
  // parameter's facts too (its guards and reads are the same tensor's).
  if (mod && depth < 2)
    for (const { callee, param } of passedTo(fn, mod, (e) => e.k === 'name' && names.has(e.id))) {
      const f = axisFacts(callee, param, mod, depth + 1);
      minRank = Math.max(minRank, f.minRank);
      if (rank === undefined && f.rank !== undefined) rank = f.rank;
      for (const d of f.squeezed) squeezed.add(d);
    }
  return { minRank, ...(rank !== undefined ? { rank } : {}), squeezed: [...squeezed], ...(classes.size ? { classes: [...classes] } : {}), ...(together.length ? { together } : {}), ...(batchAxis !== undefined ? { batchAxis } : {}), ...(vector ? { vector } : {}) };
}

/**
 * The parameters of the module's functions that calls in `fn` pass an argument `pass` holds to, by
 * position or keyword: `f(x)` of a top-level function, `self.f(x)` of a method of its class, and
 * `Cls(...)(x)` of a class of the module (its `forward`, else `__call__`).
 */
function passedTo(fn: FunctionIR, mod: ModuleIR, pass: (a: Expr) => boolean): { callee: FunctionIR; param: string }[] {
  const out: { callee: FunctionIR; param: string }[] = [];
  const top = (id: string): FunctionIR | undefined => mod.functions.find((g) => g.name === id && !g.className && !g.parent);
  const method = (cls: string, id: string): FunctionIR | undefined => mod.functions.find((g) => g.className === cls && g.name === id && !g.parent);
  for (const s of stmtsDeep(fn.body))
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) {
        if (e.k !== 'call' || e.op) continue;
        let callee: FunctionIR | undefined;
        if (e.func.k === 'name') callee = top(e.func.id);
        else if (e.func.k === 'attr' && e.func.obj.k === 'name' && e.func.obj.id === 'self' && fn.className) callee = method(fn.className, e.func.attr);
        else if (e.func.k === 'call' && e.func.func.k === 'name' && mod.classes.has(e.func.func.id)) {
          const cls = e.func.func.id;
          callee = method(cls, 'forward') ?? method(cls, '__call__');
        }
        if (!callee || callee === fn) continue;
        const params = callee.params.filter((p) => p.kind === 'plain').slice(callee.className && callee.params[0]?.name === 'self' ? 1 : 0);
        e.args.forEach((a, k) => {
          if (params[k] && pass(a)) out.push({ callee: callee!, param: params[k].name });
        });
        for (const [k, a] of Object.entries(e.kwargs)) if (params.some((p) => p.name === k) && pass(a)) out.push({ callee, param: k });
      }
  return out;
}

/** Ranks of the prediction and the class-index targets in a layout. */
function ranks(layout: Layout | undefined): [number, number] {
  return [layoutShape(layout, 1, 2, true).length, layoutShape(layout, 1, 2, false).length];
}

/** Whether the facts of a tensor allow it at this shape (its rank, and size one at each axis it squeezes). */
function fits(f: AxisFacts, shape: number[]): boolean {
  if (f.rank !== undefined && f.rank !== shape.length) return false;
  if (f.minRank > shape.length) return false;
  // The class axis a softmax reads is no axis reduced together with others (`sum(axis=(1, 2))` of
  // [N, 1, C] would sum the classes with the sequence: that code reads [N, H, W, C]).
  const at = (d: number): number => (d < 0 ? shape.length + d : d);
  if (f.classes?.length && f.together?.some((ds) => ds.some((d) => f.classes!.some((c) => at(c) === at(d))))) return false;
  return f.squeezed.every((d) => shape[d < 0 ? shape.length + d : d] === 1);
}

/**
 * The layouts the facts of the prediction and the target allow, best first, when they say more than
 * the flat [N, C] / [N] probe fits (an axis it lacks, a target channel squeezed); empty otherwise.
 * Targets the function squeezes keep their channel of one (`[N, 1]` beside [N, C] logits, `[N, 1, 1,
 * 1]` beside images); channels first for PyTorch, last elsewhere; the lowest ranks first.
 */
export function factLayouts(pred: AxisFacts, target: AxisFacts | undefined, torch: boolean): Layout[] {
  const t: AxisFacts = target ?? { minRank: 0, squeezed: [] };
  // Targets fit a layout as class indices, or as dense targets of the logits' shape (one-hot,
  // multi-label: `label.sum(dim=1)` reads no channel) unless the function squeezes a channel of them.
  const targetFits = (l: Layout | undefined): boolean => fits(t, layoutShape(l, 2, 3, false)) || (!t.squeezed.length && fits(t, layoutShape(l, 2, 3, true)));
  if (fits(pred, [2, 3]) && targetFits(undefined)) return [];
  const all: Layout[] = torch ? ['nc1', 'ncl', 'nlc', 'nchw', 'nc1hw', 'nhwc', 'nhwc1'] : ['nc1', 'nlc', 'ncl', 'nhwc', 'nhwc1', 'nchw', 'nc1hw'];
  const ok = all.filter((l) => fits(pred, layoutShape(l, 2, 3, true)) && targetFits(l));
  // A squeezed target: the layouts that give it its channel (as many axes as the logits) first.
  const channel = (l: Layout): number => (t.squeezed.length && ranks(l)[1] === ranks(l)[0] ? 0 : 1);
  return ok.sort((a, b) => channel(a) - channel(b) || ranks(a)[0] - ranks(b)[0] || all.indexOf(a) - all.indexOf(b));
}
