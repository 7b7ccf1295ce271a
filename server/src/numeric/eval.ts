/**
 * The concrete interpreter: evaluates a function of the IR (core/ir.ts) on tfjs tensors with
 * PyTorch's semantics (broadcasting, dim/keepdim, reductions, target dtypes), over a closed
 * whitelist of operations. Anything outside the whitelist ends the check with `Unsupported`.
 *
 * Nothing is ever executed: Python is never run, only the IR's whitelisted operations are mapped
 * onto tensor kernels. `if` is taken only on known Python values (hyperparameters, strings, None);
 * loops, `with`, `try` and every call that is not a known tensor operation, a loss, a function of the
 * same module or a small set of pure builtins (len, range, float, int, min, max, isinstance) stop it.
 */
import type { Call, ClassIR, Expr, FunctionIR, ModuleIR, Stmt, Target } from '../core/ir';
import { bindModuleCall, type LowerCtx, type Spelling } from '../ops';
import type { CVal, PyLiteral } from '../ops/api';
import { KERNELS, tfDtype } from './kernels';
import { tf } from './tf';
import * as P from './torchops';
import { cg } from './torchops';
import { type DType, ElementCap, EvalError, NONE, num, Unsupported, type Val } from './values';

type T = tf.Tensor;


export interface EvalOptions {
  /** Largest number of elements any tensor may have. */
  maxElements: number;
  /** Hyperparameter overrides by parameter name (of the checked function and of `__init__`). */
  hyper?: Record<string, Val>;
  /** Called with the operand shapes and the result shape of every broadcasting arithmetic operation (LL308). */
  onBroadcast?: (a: readonly number[], b: readonly number[], out: readonly number[], op: string, line: number) => void;
}

/** Callees that are never evaluated, wherever they appear: the security pre-scan refuses them. */
const FORBIDDEN_NAMES = new Set(['eval', 'exec', 'compile', 'open', '__import__', 'input', 'globals', 'locals', 'vars', 'getattr', 'setattr', 'delattr', 'breakpoint', 'memoryview', 'help']);
const FORBIDDEN_PREFIXES = ['os.', 'subprocess.', 'sys.', 'shutil.', 'socket.', 'pickle.', 'importlib.', 'builtins.', 'ctypes.', 'multiprocessing.', 'urllib.', 'requests.', 'pathlib.', 'io.', 'tempfile.', 'signal.', 'pty.', 'marshal.', 'runpy.', 'code.', 'torch.hub.', 'torch.load', 'numpy.load', 'torch.save'];

function lineOf(e: { span: { r: { start: { line: number } } } }): number {
  return e.span.r.start.line + 1;
}

/** Dotted source-like name of a callee, for messages. */
export function calleeName(call: Call): string {
  if (call.callee) return call.callee;
  const d = (e: Expr): string | undefined => {
    if (e.k === 'name') return e.id;
    if (e.k === 'attr') {
      const o = d(e.obj);
      return o ? `${o}.${e.attr}` : `….${e.attr}`;
    }
    if (e.k === 'call') {
      const o = d(e.func);
      return o ? `${o}()` : undefined;
    }
    return undefined;
  };
  return d(call.func) ?? 'call';
}

function* stmtExprs(ss: Stmt[]): Generator<Expr> {
  for (const s of ss) {
    if (s.k === 'assign') {
      yield s.value;
      for (const t of s.targets) yield* targetExprs(t);
    } else if (s.k === 'expr') yield s.value;
    else if (s.k === 'return' && s.value) yield s.value;
    else if (s.k === 'if') {
      yield s.test;
      yield* stmtExprs(s.body);
      yield* stmtExprs(s.orelse);
    } else if (s.k === 'other') yield* stmtExprs(s.body);
    else if (s.k === 'def') {
      for (const p of s.fn.params) if (p.default) yield p.default;
      yield* stmtExprs(s.fn.body);
    }
  }
}

function* targetExprs(t: Target): Generator<Expr> {
  if (t.k === 'attr') yield t.obj;
  else if (t.k === 'subscript') {
    yield t.obj;
    yield* t.index;
  } else if (t.k === 'tuple') for (const i of t.items) yield* targetExprs(i);
}

function* allSubExprs(e: Expr): Generator<Expr> {
  yield e;
  switch (e.k) {
    case 'attr':
      yield* allSubExprs(e.obj);
      break;
    case 'call':
      yield* allSubExprs(e.func);
      for (const a of e.args) yield* allSubExprs(a);
      for (const a of Object.values(e.kwargs)) yield* allSubExprs(a);
      break;
    case 'bin':
      yield* allSubExprs(e.left);
      yield* allSubExprs(e.right);
      break;
    case 'unary':
      yield* allSubExprs(e.operand);
      break;
    case 'cmp':
      for (const a of e.operands) yield* allSubExprs(a);
      break;
    case 'bool':
      yield* allSubExprs(e.left);
      yield* allSubExprs(e.right);
      break;
    case 'subscript':
      yield* allSubExprs(e.obj);
      for (const a of e.index) yield* allSubExprs(a);
      break;
    case 'slice':
      for (const x of [e.lower, e.upper, e.step]) if (x) yield* allSubExprs(x);
      break;
    case 'tuple':
      for (const a of e.items) yield* allSubExprs(a);
      break;
    case 'cond':
      yield* allSubExprs(e.test);
      yield* allSubExprs(e.body);
      yield* allSubExprs(e.orelse);
      break;
    case 'dict':
      for (const k of e.keys) if (k) yield* allSubExprs(k);
      for (const v of e.values) yield* allSubExprs(v);
      break;
    case 'lambda':
      yield* stmtExprs(e.fn.body);
      break;
    default:
      break;
  }
}

/**
 * The security pre-scan: any call to a process, file, import or reflection API anywhere in these
 * functions (taken branch or not) refuses the whole check before anything is evaluated.
 */
export function forbiddenCall(fns: FunctionIR[], mod: ModuleIR): Unsupported | undefined {
  const calls: Call[] = [];
  for (const fn of fns) for (const root of stmtExprs(fn.body)) for (const e of allSubExprs(root)) if (e.k === 'call') calls.push(e);
  // Names first (`open(...).write` is reported as `open`), then dangerous method names on anything.
  for (const e of calls) {
    let name = e.callee;
    if (!name && e.func.k === 'name') name = mod.imports.get(e.func.id) ?? e.func.id;
    if (!name) continue;
    if (FORBIDDEN_NAMES.has(name) || FORBIDDEN_PREFIXES.some((p) => name!.startsWith(p) || name === p.replace(/\.$/, ''))) {
      return new Unsupported(name, lineOf(e));
    }
  }
  for (const e of calls) {
    if (e.func.k === 'attr' && ['system', 'popen', 'spawn', 'remove', 'unlink', 'rmtree', 'write', 'read'].includes(e.func.attr)) {
      return new Unsupported(calleeName(e), lineOf(e));
    }
  }
  return undefined;
}

class ReturnSignal {
  constructor(readonly value: Val) {}
}

interface Frame {
  vars: Map<string, Val>;
  parent?: Frame;
  self?: Val;
  cls?: ClassIR;
}

const TORCH_DTYPES: Record<string, DType> = {
  float32: 'float',
  float: 'float',
  float64: 'float',
  double: 'float',
  float16: 'float',
  half: 'float',
  bfloat16: 'float',
  int64: 'int',
  long: 'int',
  int32: 'int',
  int: 'int',
  int16: 'int',
  int8: 'int',
  uint8: 'int',
  bool: 'bool',
};

function isTensor(v: Val): v is Extract<Val, { t: 'tensor' }> {
  return v.t === 'tensor';
}

function pyNumber(v: Val): number | undefined {
  if (v.t === 'num') return v.v;
  if (v.t === 'bool') return v.v ? 1 : 0;
  return undefined;
}

function truthy(v: Val, line: number): boolean {
  switch (v.t) {
    case 'num':
      return v.v !== 0;
    case 'bool':
      return v.v;
    case 'str':
      return v.v.length > 0;
    case 'none':
      return false;
    case 'list':
      return v.items.length > 0;
    case 'tensor':
      throw new Unsupported('if on a tensor', line);
    default:
      return true;
  }
}

export class Evaluator {
  /** Operations met while evaluating (op ids and a few markers), for the formulation. */
  readonly trace = new Set<string>();
  private depth = 0;
  private readonly globalCache = new Map<string, Val>();

  constructor(
    private readonly mod: ModuleIR,
    private readonly opts: EvalOptions,
  ) {}

  // --- entry points ----------------------------------------------------------------------------

  /** Calls `fn` with named arguments; for a method, `__init__` runs first to build `self`. */
  run(fn: FunctionIR, args: Record<string, Val>): Val {
    let self: Val | undefined;
    if (fn.className) {
      const cls = this.mod.classes.get(fn.className);
      if (!cls) throw new Unsupported(`class ${fn.className}`, lineOf(fn));
      self = this.instantiate(cls, {});
    }
    return this.callFunction(fn, [], args, self);
  }

  instantiate(cls: ClassIR, kwargs: Record<string, Val>, args: Val[] = []): Val {
    const self: Val = { t: 'self', attrs: new Map(), cls };
    const init = cls.methods.get('__init__');
    if (init) this.callFunction(init, args, kwargs, self);
    return self;
  }

  callFunction(fn: FunctionIR, args: Val[], kwargs: Record<string, Val>, self?: Val, closure?: Map<string, Val>): Val {
    if (this.depth > 8) throw new Unsupported('recursion', lineOf(fn));
    const frame: Frame = { vars: new Map(), self, parent: closure ? { vars: closure } : undefined };
    if (self?.t === 'self') frame.cls = self.cls;
    let params = fn.params;
    if (self && params.length && params[0].kind === 'plain') {
      frame.vars.set(params[0].name, self);
      params = params.slice(1);
    }
    const top = this.depth === 0 || fn.name === '__init__';
    let i = 0;
    for (const p of params) {
      if (p.kind !== 'plain') {
        if (p.kind === 'star') frame.vars.set(p.name, { t: 'list', items: args.slice(i), tuple: true });
        continue;
      }
      let v: Val | undefined;
      if (i < args.length) v = args[i];
      else if (p.name in kwargs) v = kwargs[p.name];
      else if (top && this.opts.hyper && p.name in this.opts.hyper) v = this.opts.hyper[p.name];
      else if (p.default) v = this.expr(p.default, { vars: new Map() });
      else throw new EvalError(`missing argument \`${p.name}\` of ${fn.qualname}`, lineOf(fn));
      i++;
      frame.vars.set(p.name, v);
    }
    this.depth++;
    try {
      this.block(fn.body, frame);
      return NONE;
    } catch (e) {
      if (e instanceof ReturnSignal) return e.value;
      throw e;
    } finally {
      this.depth--;
    }
  }

  // --- statements ------------------------------------------------------------------------------

  private block(ss: Stmt[], f: Frame): void {
    for (const s of ss) this.stmt(s, f);
  }

  private stmt(s: Stmt, f: Frame): void {
    switch (s.k) {
      case 'pass':
        return;
      case 'expr': {
        // Docstrings and bare names are inert; calls are evaluated (and must be whitelisted).
        if (s.value.k === 'str' || s.value.k === 'name') return;
        const v = this.expr(s.value, f);
        // An in-place tensor method (`onehot.scatter_(1, t, 1)`) rebinds its receiver.
        const c = s.value;
        if (c.k === 'call' && c.method && c.spell?.name.endsWith('_') && c.func.k === 'attr') this.assignTo(c.func.obj, v, f);
        return;
      }
      case 'return':
        throw new ReturnSignal(s.value ? this.expr(s.value, f) : NONE);
      case 'assign': {
        let value = this.expr(s.value, f);
        if (s.aug) {
          const cur = this.readTarget(s.targets[0], f);
          value = this.binop(s.aug, cur, value, lineOf(s));
        }
        for (const t of s.targets) this.assign(t, value, f);
        return;
      }
      case 'if': {
        const test = this.expr(s.test, f);
        if (truthy(test, lineOf(s))) this.block(s.body, f);
        else this.block(s.orelse, f);
        return;
      }
      case 'def':
        f.vars.set(s.fn.name, { t: 'fn', fn: s.fn, env: f.vars });
        return;
      case 'other':
        if (s.what === 'assert') return;
        if (s.what === 'raise') throw new EvalError('the function raises on the probe inputs', lineOf(s));
        throw new Unsupported(s.what, lineOf(s));
    }
  }

  /** Rebinds the receiver of an in-place method: a name or an attribute of `self`. */
  private assignTo(recv: Expr, v: Val, f: Frame): void {
    if (recv.k === 'name') this.assign({ k: 'name', id: recv.id, span: recv.span }, v, f);
    else if (recv.k === 'attr') this.assign({ k: 'attr', obj: recv.obj, attr: recv.attr, span: recv.span }, v, f);
  }

  private readTarget(t: Target, f: Frame): Val {
    if (t.k === 'name') return this.name(t.id, f, lineOf(t));
    if (t.k === 'attr') return this.attr(this.expr(t.obj, f), t.attr, lineOf(t));
    throw new Unsupported('augmented assignment', lineOf(t));
  }

  private assign(t: Target, v: Val, f: Frame): void {
    switch (t.k) {
      case 'name':
        f.vars.set(t.id, v);
        return;
      case 'attr': {
        const o = this.expr(t.obj, f);
        if (o.t !== 'self') throw new Unsupported(`attribute assignment .${t.attr}`, lineOf(t));
        o.attrs.set(t.attr, v);
        return;
      }
      case 'tuple': {
        let items: Val[];
        if (v.t === 'list') items = v.items;
        else throw new Unsupported('tuple unpacking of a non-tuple', lineOf(t));
        if (items.length !== t.items.length) throw new EvalError('wrong number of values to unpack', lineOf(t));
        t.items.forEach((ti, i) => this.assign(ti, items[i], f));
        return;
      }
      case 'subscript':
        throw new Unsupported('item assignment', lineOf(t));
      default:
        throw new Unsupported('assignment target', lineOf(t));
    }
  }

  // --- expressions -----------------------------------------------------------------------------

  private name(id: string, f: Frame, line: number): Val {
    for (let fr: Frame | undefined = f; fr; fr = fr.parent) {
      const v = fr.vars.get(id);
      if (v) return v;
    }
    const g = this.global(id, line);
    if (g) return g;
    const imp = this.mod.imports.get(id);
    if (imp) return { t: 'ns', name: imp };
    const fn = this.mod.functions.find((x) => x.name === id && !x.className && !x.parent);
    if (fn) return { t: 'fn', fn };
    const cls = this.mod.classes.get(id);
    if (cls) return { t: 'ns', name: `class:${id}` };
    switch (id) {
      case 'range':
      case 'len':
      case 'min':
      case 'max':
      case 'abs':
      case 'print':
      case 'isinstance':
      case 'super':
      case 'round':
        return { t: 'builtin', name: id };
      case 'float':
      case 'int':
      case 'bool':
      case 'str':
      case 'list':
      case 'tuple':
        return { t: 'type', name: id };
      default:
        throw new Unsupported(id, line);
    }
  }

  private global(id: string, line: number): Val | undefined {
    if (this.globalCache.has(id)) return this.globalCache.get(id);
    const e = this.mod.globals.get(id);
    if (!e) return undefined;
    // Module-level constants only: numbers, strings, lists of them, arithmetic on them.
    const ok = [...allSubExprs(e)].every((x) => ['num', 'str', 'const', 'tuple', 'unary', 'bin', 'name'].includes(x.k));
    if (!ok) throw new Unsupported(`module-level ${id}`, line);
    this.globalCache.set(id, NONE);
    const v = this.expr(e, { vars: new Map() });
    this.globalCache.set(id, v);
    return v;
  }

  expr(e: Expr, f: Frame): Val {
    const line = lineOf(e);
    switch (e.k) {
      case 'num':
        return num(e.value);
      case 'str':
        return { t: 'str', v: e.value };
      case 'const':
        return e.value === null ? NONE : { t: 'bool', v: e.value };
      case 'name':
        return this.name(e.id, f, line);
      case 'attr': {
        if (e.qualified) {
          const q = this.qualifiedAttr(e.qualified);
          if (q) return q;
        }
        return this.attr(this.expr(e.obj, f), e.attr, line);
      }
      case 'call':
        return this.call(e, f);
      case 'bin':
        return this.binop(e.op, this.expr(e.left, f), this.expr(e.right, f), line);
      case 'unary': {
        const v = this.expr(e.operand, f);
        if (e.op === 'not') return { t: 'bool', v: !truthy(v, line) };
        if (e.op === '+') return v;
        if (e.op === '-') {
          if (v.t === 'num') return num(-v.v, v.int);
          if (isTensor(v)) return { t: 'tensor', x: tf.neg(v.x), dt: v.dt === 'bool' ? 'int' : v.dt };
          throw new EvalError('bad operand for unary -', line);
        }
        if (isTensor(v) && v.dt === 'bool') return { t: 'tensor', x: tf.logicalNot(v.x), dt: 'bool' };
        throw new Unsupported('~', line);
      }
      case 'cmp':
        return this.compare(e, f, line);
      case 'bool': {
        const l = this.expr(e.left, f);
        if (isTensor(l)) throw new Unsupported(`${e.op} on a tensor`, line);
        if (e.op === 'and') return truthy(l, line) ? this.expr(e.right, f) : l;
        return truthy(l, line) ? l : this.expr(e.right, f);
      }
      case 'tuple':
        return { t: 'list', items: e.items.map((x) => this.expr(x, f)), tuple: !e.list };
      case 'cond':
        return truthy(this.expr(e.test, f), line) ? this.expr(e.body, f) : this.expr(e.orelse, f);
      case 'subscript':
        return this.subscript(e.obj, e.index, f, line);
      case 'slice':
      case 'ellipsis':
        throw new Unsupported(e.k, line);
      case 'lambda':
        return { t: 'fn', fn: e.fn, env: f.vars };
      case 'dict':
        throw new Unsupported('dict', line);
      case 'unknown':
        throw new Unsupported(e.what, line);
    }
  }

  private qualifiedAttr(q: string): Val | undefined {
    const m = /^(?:torch|tensorflow|tensorflow\.dtypes|numpy|keras\.ops)\.(\w+)$/.exec(q);
    if (m && m[1] in TORCH_DTYPES) return { t: 'dtype', dt: TORCH_DTYPES[m[1]] };
    return undefined;
  }

  private attr(o: Val, a: string, line: number): Val {
    if (o.t === 'self') {
      const v = o.attrs.get(a);
      if (v) return v;
      const m = o.cls.methods.get(a);
      if (m) return { t: 'bound', fn: m, self: o };
      throw new EvalError(`self.${a} is not set by __init__`, line);
    }
    if (o.t === 'tensor') {
      switch (a) {
        case 'shape':
          return { t: 'list', items: o.x.shape.map((d) => num(d, true)), tuple: true };
        case 'ndim':
          return num(o.x.shape.length, true);
        case 'dtype':
          return { t: 'dtype', dt: o.dt };
        case 'device':
          return { t: 'device' };
        case 'is_cuda':
          return { t: 'bool', v: false };
        case 'data':
          return { t: 'tensor', x: P.detach(o.x), dt: o.dt };
        case 'T':
          return { t: 'tensor', x: tf.transpose(o.x), dt: o.dt };
        default:
          break;
      }
    }
    if (o.t === 'ns') {
      const full = `${o.name}.${a}`;
      const q = this.qualifiedAttr(full);
      if (q) return q;
      return { t: 'ns', name: full };
    }
    throw new Unsupported(`.${a}`, line);
  }

  private compare(e: Extract<Expr, { k: 'cmp' }>, f: Frame, line: number): Val {
    const vals = e.operands.map((x) => this.expr(x, f));
    if (vals.some(isTensor)) {
      if (vals.length !== 2) throw new Unsupported('chained comparison of tensors', line);
      return this.compareValues(e.ops[0], vals[0], vals[1], line);
    }
    let ok = true;
    for (let i = 0; i < e.ops.length; i++) {
      ok = ok && this.pyCompare(e.ops[i], vals[i], vals[i + 1], line);
    }
    return { t: 'bool', v: ok };
  }

  /** An elementwise comparison of two values, one of them a tensor. */
  compareValues(op: string, av: Val, bv: Val, line: number): Val {
    const [x, y] = this.promote(this.toTensor(av, line), this.toTensor(bv, line));
    const fns: Record<string, (p: T, q: T) => T> = { '<': tf.less, '<=': tf.lessEqual, '>': tf.greater, '>=': tf.greaterEqual, '==': tf.equal, '!=': tf.notEqual };
    const fn = fns[op];
    if (!fn) throw new Unsupported(op, line);
    return { t: 'tensor', x: fn(x.x, y.x), dt: 'bool' };
  }

  private pyCompare(op: string, a: Val, b: Val, line: number): boolean {
    const key = (v: Val): unknown => (v.t === 'num' ? v.v : v.t === 'bool' ? (v.v ? 1 : 0) : v.t === 'str' ? `s:${v.v}` : v.t === 'none' ? null : v.t === 'dtype' ? `d:${v.dt}` : v);
    const norm = op.replace(/\s+/g, ' ');
    switch (norm) {
      case 'is':
      case '==':
        return key(a) === key(b);
      case 'is not':
      case '!=':
        return key(a) !== key(b);
      case 'in':
      case 'not in': {
        if (b.t !== 'list') throw new Unsupported(norm, line);
        const found = b.items.some((x) => key(x) === key(a));
        return norm === 'in' ? found : !found;
      }
      default: {
        const x = pyNumber(a);
        const y = pyNumber(b);
        if (x === undefined || y === undefined) throw new Unsupported(`${op} on non-numbers`, line);
        return norm === '<' ? x < y : norm === '<=' ? x <= y : norm === '>' ? x > y : norm === '>=' ? x >= y : false;
      }
    }
  }

  // --- arithmetic --------------------------------------------------------------------------------

  private checkSize(shape: number[], line: number): void {
    const n = shape.reduce((a, b) => a * b, 1);
    if (n > this.opts.maxElements) throw new ElementCap(n, this.opts.maxElements, line);
  }

  toTensor(v: Val, line: number): Extract<Val, { t: 'tensor' }> {
    if (isTensor(v)) return v;
    if (v.t === 'num') return { t: 'tensor', x: tf.scalar(v.v, v.int ? 'int32' : 'float32'), dt: v.int ? 'int' : 'float' };
    if (v.t === 'bool') return { t: 'tensor', x: tf.scalar(v.v, 'bool'), dt: 'bool' };
    if (v.t === 'list') return this.tensorFromData(v, undefined, line);
    throw new EvalError(`expected a tensor, got ${v.t}`, line);
  }

  private cast(v: Extract<Val, { t: 'tensor' }>, dt: DType): Extract<Val, { t: 'tensor' }> {
    if (v.dt === dt) return v;
    return { t: 'tensor', x: tf.cast(v.x, tfDtype(dt)), dt };
  }

  /** Type promotion for two operands: float wins; bool becomes int for arithmetic. */
  private promote(a: Extract<Val, { t: 'tensor' }>, b: Extract<Val, { t: 'tensor' }>, arith = false): [Extract<Val, { t: 'tensor' }>, Extract<Val, { t: 'tensor' }>] {
    let dt: DType = a.dt === 'float' || b.dt === 'float' ? 'float' : a.dt === 'int' || b.dt === 'int' ? 'int' : 'bool';
    if (arith && dt === 'bool') dt = 'int';
    return [this.cast(a, dt), this.cast(b, dt)];
  }

  binop(op: string, a: Val, b: Val, line: number): Val {
    const x = pyNumber(a);
    const y = pyNumber(b);
    if (x !== undefined && y !== undefined) {
      const bothInt = (a.t !== 'num' || a.int) && (b.t !== 'num' || b.int);
      switch (op) {
        case '+':
          return num(x + y, bothInt);
        case '-':
          return num(x - y, bothInt);
        case '*':
          return num(x * y, bothInt);
        case '/':
          if (y === 0) throw new EvalError('division by zero', line);
          return num(x / y, false);
        case '//':
          if (y === 0) throw new EvalError('division by zero', line);
          return num(Math.floor(x / y), bothInt);
        case '%':
          return num(x - y * Math.floor(x / y), bothInt);
        case '**':
          return num(x ** y, bothInt && y >= 0);
        default:
          throw new Unsupported(op, line);
      }
    }
    if (a.t === 'list' && b.t === 'list' && op === '+') return { t: 'list', items: [...a.items, ...b.items], tuple: a.tuple };
    if (!isTensor(a) && !isTensor(b)) throw new EvalError(`unsupported operand types for ${op}: ${a.t} and ${b.t}`, line);
    if (op === '@') throw new Unsupported('@', line);
    if (op === '**') return this.pow(a, b, line);
    const ta = this.toTensor(a, line);
    const tb = this.toTensor(b, line);
    let shape: number[];
    try {
      shape = tf.broadcast_util.assertAndGetBroadcastShape(ta.x.shape, tb.x.shape);
    } catch {
      throw new EvalError(`shapes [${ta.x.shape}] and [${tb.x.shape}] do not broadcast for ${op}`, line);
    }
    this.opts.onBroadcast?.(ta.x.shape, tb.x.shape, shape, op, line);
    this.checkSize(shape, line);
    if (op === '/') {
      const [p, q] = [this.cast(ta, 'float'), this.cast(tb, 'float')];
      return { t: 'tensor', x: tf.div(p.x, q.x), dt: 'float' };
    }
    const [p, q] = this.promote(ta, tb, true);
    switch (op) {
      case '+':
        return { t: 'tensor', x: tf.add(p.x, q.x), dt: p.dt };
      case '-':
        return { t: 'tensor', x: tf.sub(p.x, q.x), dt: p.dt };
      case '*':
        return { t: 'tensor', x: tf.mul(p.x, q.x), dt: p.dt };
      case '//':
        return { t: 'tensor', x: tf.floorDiv(p.x, q.x), dt: p.dt };
      case '%':
        return { t: 'tensor', x: tf.mod(p.x, q.x), dt: p.dt };
      default:
        throw new Unsupported(op, line);
    }
  }

  private pow(a: Val, b: Val, line: number): Val {
    const e = pyNumber(b);
    if (isTensor(a) && e !== undefined) {
      const base = this.cast(a, a.dt === 'int' && Number.isInteger(e) && e >= 0 ? 'int' : 'float');
      if (base.dt === 'int') return { t: 'tensor', x: tf.pow(base.x, tf.scalar(e, 'int32')), dt: 'int' };
      return { t: 'tensor', x: P.powScalar(base.x, e), dt: 'float' };
    }
    const ta = this.cast(this.toTensor(a, line), 'float');
    const tb = this.cast(this.toTensor(b, line), 'float');
    this.checkSize(tf.broadcast_util.assertAndGetBroadcastShape(ta.x.shape, tb.x.shape), line);
    return { t: 'tensor', x: P.powTensor(ta.x, tb.x), dt: 'float' };
  }

  // --- indexing ----------------------------------------------------------------------------------

  private subscript(objE: Expr, index: Expr[], f: Frame, line: number): Val {
    const obj = this.expr(objE, f);
    // `x[a, b]` arrives as one tuple index or as several; flatten either way.
    let items: Expr[] = index;
    if (items.length === 1 && items[0].k === 'tuple' && !items[0].list) items = items[0].items;
    if (obj.t === 'list') {
      if (items.length !== 1) throw new Unsupported('multi-index of a list', line);
      const i = this.expr(items[0], f);
      const k = pyNumber(i);
      if (k === undefined) throw new Unsupported('list index', line);
      const v = obj.items[k < 0 ? obj.items.length + k : k];
      if (!v) throw new EvalError('list index out of range', line);
      return v;
    }
    if (!isTensor(obj)) throw new Unsupported(`indexing of ${obj.t}`, line);
    let x = obj.x;
    // Basic indexing first: slices, None, Ellipsis, ints. Advanced (tensor) indices are collected.
    const adv: { axis: number; t: T }[] = [];
    let axis = 0;
    const ellipsisAt = items.findIndex((i) => i.k === 'ellipsis');
    const consumed = items.filter((i) => i.k !== 'ellipsis' && !(i.k === 'const' && i.value === null)).length;
    const ops: (() => void)[] = [];
    const squeezeAxes: number[] = [];
    for (let k = 0; k < items.length; k++) {
      const it = items[k];
      if (it.k === 'ellipsis') {
        axis += x.shape.length - consumed;
        continue;
      }
      if (it.k === 'const' && it.value === null) {
        const at = axis;
        ops.push(() => void 0);
        x = tf.expandDims(x, at);
        axis++;
        continue;
      }
      if (it.k === 'slice') {
        const lo = it.lower ? pyNumber(this.expr(it.lower, f)) : undefined;
        const hi = it.upper ? pyNumber(this.expr(it.upper, f)) : undefined;
        if (it.step) throw new Unsupported('slice step', line);
        if ((it.lower && lo === undefined) || (it.upper && hi === undefined)) throw new Unsupported('slice bound', line);
        if (lo !== undefined || hi !== undefined) {
          const size = x.shape[axis];
          const s = lo === undefined ? 0 : lo < 0 ? Math.max(0, size + lo) : Math.min(lo, size);
          const en = hi === undefined ? size : hi < 0 ? Math.max(0, size + hi) : Math.min(hi, size);
          const begin = x.shape.map((_, i) => (i === axis ? s : 0));
          const sz = x.shape.map((d, i) => (i === axis ? Math.max(0, en - s) : d));
          x = tf.slice(x, begin, sz);
        }
        axis++;
        continue;
      }
      const v = this.expr(it, f);
      const n = pyNumber(v);
      if (n !== undefined && v.t !== 'bool') {
        const size = x.shape[axis];
        const i = n < 0 ? size + n : n;
        if (i < 0 || i >= size) throw new EvalError('index out of range', line);
        x = tf.slice(x, x.shape.map((_, j) => (j === axis ? i : 0)), x.shape.map((d, j) => (j === axis ? 1 : d)));
        squeezeAxes.push(axis);
        axis++;
        continue;
      }
      if (v.t === 'range') {
        adv.push({ axis, t: tf.range(v.start, v.stop, 1, 'int32') });
        axis++;
        continue;
      }
      if (isTensor(v) || v.t === 'list') {
        const tv = this.toTensor(v, line);
        if (tv.dt === 'bool') throw new Unsupported('boolean mask indexing', line);
        if (tv.dt === 'float') throw new EvalError('tensors used as indices must be long, int or bool', line);
        adv.push({ axis, t: tv.x });
        axis++;
        continue;
      }
      throw new Unsupported('index', line);
    }
    if (adv.length) {
      if (squeezeAxes.length) throw new Unsupported('mixed int and tensor indexing', line);
      // Advanced indices must be on the leading dims, contiguous (x[idx], x[rows, cols]).
      if (!adv.every((a, i) => a.axis === i)) throw new Unsupported('tensor index after a slice', line);
      adv.forEach((a, i) => {
        if (a.t.shape.length && false) void i;
      });
      for (const a of adv) {
        const size = x.shape[a.axis];
        const vals = a.t.dataSync();
        for (const q of vals) if (q >= size || q < -size) throw new EvalError(`index ${q} is out of bounds for dimension ${a.axis} with size ${size}`, line);
      }
      x = P.gatherAdvanced(x, adv.map((a) => a.t));
    }
    if (squeezeAxes.length) x = tf.squeeze(x, squeezeAxes);
    return { t: 'tensor', x, dt: obj.dt };
  }

  // --- calls -------------------------------------------------------------------------------------

  private call(c: Call, f: Frame): Val {
    const line = lineOf(c);
    if (c.splat) throw new Unsupported('*args in a call', line);
    const name = calleeName(c);
    // Special forms before evaluating the callee.
    if (c.func.k === 'call' && c.func.func.k === 'name' && c.func.func.id === 'super') {
      if (c.func.k === 'call' && c.func.func.k === 'name' && (c.func.func as { id: string }).id === 'super' && (c as Call).func.k === 'call') {
        // super().__init__() of nn.Module: nothing to do.
      }
      return NONE;
    }
    if (c.func.k === 'attr' && c.func.attr === '__init__') return NONE;
    if (c.func.k === 'attr' && c.func.attr === 'register_buffer') {
      const self = this.expr(c.func.obj, f);
      const key = this.expr(c.args[0] ?? c.kwargs.name, f);
      if (self.t === 'self' && key.t === 'str') self.attrs.set(key.v, this.expr(c.args[1] ?? c.kwargs.tensor, f));
      return NONE;
    }
    if (c.op && c.spell && c.bound && !(c.method && c.func.k === 'attr' && this.isSelfCallable(c.func.obj, c.func.attr, f))) {
      this.trace.add(c.op.id);
      const args = this.lazyArgs(c.bound, f);
      if (c.spell.kind === 'module') return { t: 'module', spell: c.spell, args: this.forceArgs(args), line };
      return this.lowerOp(c.spell, args, c, line);
    }
    if (c.func.k === 'attr' && !c.callee) {
      const recv = this.expr(c.func.obj, f);
      if (recv.t === 'tensor') return this.tensorMethod(recv, c.func.attr, c, f, line);
      if (recv.t === 'self') {
        const v = this.attr(recv, c.func.attr, line);
        return this.apply(v, c, f, line, name);
      }
      if (recv.t === 'ns') return this.nsCall(`${recv.name}.${c.func.attr}`, c, f, line);
      throw new Unsupported(name, line);
    }
    if (c.callee) return this.nsCall(c.callee, c, f, line);
    const fv = this.expr(c.func, f);
    return this.apply(fv, c, f, line, name);
  }

  private isSelfCallable(obj: Expr, attr: string, f: Frame): boolean {
    if (obj.k !== 'name' || obj.id !== 'self') return false;
    const s = this.name('self', f, 0);
    return s.t === 'self' && (s.attrs.has(attr) || s.cls.methods.has(attr));
  }

  private args(c: Call, f: Frame): { pos: Val[]; kw: Record<string, Val> } {
    const pos = c.args.map((a) => this.expr(a, f));
    const kw: Record<string, Val> = {};
    for (const [k, v] of Object.entries(c.kwargs)) kw[k] = this.expr(v, f);
    return { pos, kw };
  }

  private apply(fv: Val, c: Call, f: Frame, line: number, name: string): Val {
    if (fv.t === 'fn') {
      const { pos, kw } = this.args(c, f);
      return this.callFunction(fv.fn, pos, kw, undefined, fv.env);
    }
    if (fv.t === 'bound') {
      const { pos, kw } = this.args(c, f);
      return this.callFunction(fv.fn, pos, kw, fv.self);
    }
    if (fv.t === 'module') return this.applyModule(fv, c, f, line);
    if (fv.t === 'builtin') return this.builtin(fv.name, c, f, line);
    if (fv.t === 'type') return this.typeCall(fv.name, c, f, line);
    if (fv.t === 'ns' && fv.name.startsWith('class:')) {
      const cls = this.mod.classes.get(fv.name.slice(6));
      if (cls) {
        const { pos, kw } = this.args(c, f);
        return this.instantiate(cls, kw, pos);
      }
    }
    throw new Unsupported(name, line);
  }

  private nsCall(q: string, c: Call, f: Frame, line: number): Val {
    const tail = q.replace(/^(tensorflow\.keras|keras)\.backend\./, 'K.');
    if (tail === 'K.epsilon') return num(1e-7, false);
    if (/^(torch|tensorflow|numpy)\.(float32|float|long|int64)$/.test(q)) throw new Unsupported(q, line);
    if (q === 'torch.nn.Module.__init__') return NONE;
    if (q === 'torch.numel' || q === 'torch.is_tensor') {
      const v = this.expr(c.args[0], f);
      return q === 'torch.is_tensor' ? { t: 'bool', v: isTensor(v) } : num(isTensor(v) ? v.x.size : 1, true);
    }
    // A class or function of this module imported under its own name is still ours.
    throw new Unsupported(q, line);
  }

  private builtin(name: string, c: Call, f: Frame, line: number): Val {
    const { pos } = this.args(c, f);
    switch (name) {
      case 'range': {
        const ns = pos.map(pyNumber);
        if (ns.some((x) => x === undefined) || ns.length < 1 || ns.length > 2) throw new Unsupported('range', line);
        return ns.length === 1 ? { t: 'range', start: 0, stop: ns[0]! } : { t: 'range', start: ns[0]!, stop: ns[1]! };
      }
      case 'len': {
        const v = pos[0];
        if (v?.t === 'tensor') return num(v.x.shape[0] ?? 0, true);
        if (v?.t === 'list') return num(v.items.length, true);
        if (v?.t === 'str') return num(v.v.length, true);
        throw new EvalError('len() of an unsized value', line);
      }
      case 'min':
      case 'max':
      case 'abs':
      case 'round': {
        const ns = (pos.length === 1 && pos[0].t === 'list' ? pos[0].items : pos).map(pyNumber);
        if (ns.some((x) => x === undefined)) throw new Unsupported(`${name} of tensors`, line);
        const xs = ns as number[];
        const r = name === 'min' ? Math.min(...xs) : name === 'max' ? Math.max(...xs) : name === 'abs' ? Math.abs(xs[0]) : Math.round(xs[0]);
        return num(r);
      }
      case 'print':
        return NONE;
      case 'isinstance': {
        const [v, ty] = pos;
        const types = ty?.t === 'list' ? ty.items : [ty];
        const is = types.some((t) => {
          if (t?.t === 'type') {
            if (t.name === 'float') return v.t === 'num';
            if (t.name === 'int') return v.t === 'num' && v.int;
            if (t.name === 'bool') return v.t === 'bool';
            if (t.name === 'str') return v.t === 'str';
            if (t.name === 'list') return v.t === 'list' && !v.tuple;
            if (t.name === 'tuple') return v.t === 'list' && v.tuple;
          }
          if (t?.t === 'ns' && /(^|\.)Tensor$/.test(t.name)) return v.t === 'tensor';
          if (t?.t === 'ns' && /^(torch\.)?(nn\.)?Module$/.test(t.name)) return false;
          throw new Unsupported('isinstance', line);
        });
        return { t: 'bool', v: is };
      }
      default:
        throw new Unsupported(name, line);
    }
  }

  private typeCall(name: string, c: Call, f: Frame, line: number): Val {
    const { pos } = this.args(c, f);
    const v = pos[0];
    if (name === 'float' || name === 'int') {
      if (v === undefined) return num(0, name === 'int');
      if (v.t === 'tensor') {
        if (v.x.size !== 1) throw new EvalError('only one element tensors can be converted to Python scalars', line);
        const x = v.x.dataSync()[0];
        return num(name === 'int' ? Math.trunc(x) : x, name === 'int');
      }
      if (v.t === 'str') {
        const x = Number(v.v);
        if (Number.isNaN(x)) throw new EvalError('could not convert string to number', line);
        return num(name === 'int' ? Math.trunc(x) : x, name === 'int');
      }
      const x = pyNumber(v);
      if (x === undefined) throw new EvalError(`${name}() of ${v.t}`, line);
      return num(name === 'int' ? Math.trunc(x) : x, name === 'int');
    }
    if (name === 'bool') return { t: 'bool', v: v ? truthy(v, line) : false };
    if (name === 'list' || name === 'tuple') {
      if (v?.t === 'list') return { t: 'list', items: v.items, tuple: name === 'tuple' };
      if (v?.t === 'range') return { t: 'list', items: Array.from({ length: Math.max(0, v.stop - v.start) }, (_, i) => num(v.start + i, true)), tuple: name === 'tuple' };
    }
    throw new Unsupported(name, line);
  }

  // --- tensor methods without an op spec ----------------------------------------------------------

  private tensorMethod(x: Extract<Val, { t: 'tensor' }>, m: string, c: Call, f: Frame, line: number): Val {
    const { pos, kw } = this.args(c, f);
    switch (m) {
      case 'size': {
        const d = pos[0] ?? kw.dim;
        if (d) {
          const n = pyNumber(d)!;
          return num(x.x.shape[n < 0 ? x.x.shape.length + n : n], true);
        }
        return { t: 'list', items: x.x.shape.map((n) => num(n, true)), tuple: true };
      }
      case 'dim':
      case 'ndimension':
        return num(x.x.shape.length, true);
      case 'numel':
      case 'nelement':
        return num(x.x.size, true);
      case 'item': {
        if (x.x.size !== 1) throw new EvalError('a Tensor with more than one element cannot be converted to a scalar', line);
        return num(x.x.dataSync()[0], x.dt !== 'float');
      }
      default:
        throw new Unsupported(`.${m}()`, line);
    }
  }

  // --- whitelisted operations ----------------------------------------------------------------------

  private dimArg(v: Val | undefined, rank: number, line: number): number | undefined {
    if (!v || v.t === 'none') return undefined;
    const d = pyNumber(v);
    if (d === undefined) throw new Unsupported('non-integer dim', line);
    const r = d < 0 ? d + rank : d;
    if (r < 0 || r >= Math.max(rank, 1)) throw new EvalError(`dim ${d} is out of range for a tensor of rank ${rank}`, line);
    return r;
  }

  private dimsArg(v: Val | undefined, rank: number, line: number): number[] | undefined {
    if (!v || v.t === 'none') return undefined;
    if (v.t === 'list') return v.items.map((i) => this.dimArg(i, rank, line)!);
    return [this.dimArg(v, rank, line)!];
  }

  tensorFromData(v: Val, dt: DType | undefined, line: number): Extract<Val, { t: 'tensor' }> {
    const flat: number[] = [];
    let allInt = true;
    let allBool = true;
    const walk = (x: Val): number[] => {
      if (x.t === 'list') {
        const shapes = x.items.map(walk);
        const s0 = shapes[0] ?? [];
        if (!shapes.every((s) => s.join() === s0.join())) throw new EvalError('ragged nested sequence', line);
        return [x.items.length, ...s0];
      }
      const n = pyNumber(x);
      if (n === undefined) {
        if (x.t === 'tensor' && x.x.size === 1) {
          flat.push(x.x.dataSync()[0]);
          if (x.dt === 'float') allInt = false;
          allBool = false;
          return [];
        }
        throw new Unsupported(`tensor() of ${x.t}`, line);
      }
      if (x.t !== 'bool') allBool = false;
      if (x.t === 'num' && !x.int) allInt = false;
      flat.push(n);
      return [];
    };
    const shape = walk(v);
    const d: DType = dt ?? (allBool && flat.length ? 'bool' : allInt ? 'int' : 'float');
    return { t: 'tensor', x: tf.tensor(flat, shape, tfDtype(d)), dt: d };
  }

  /** Arguments by canonical name, each evaluated once, when a lowering first reads it. */
  private lazyArgs(bound: Record<string, Expr>, f: Frame): Record<string, () => Val> {
    const out: Record<string, () => Val> = {};
    for (const [k, e] of Object.entries(bound)) {
      let v: Val | undefined;
      out[k] = () => (v ??= this.expr(e, f));
    }
    return out;
  }

  private forceArgs(args: Record<string, () => Val>): Record<string, Val> {
    const out: Record<string, Val> = {};
    for (const [k, get] of Object.entries(args)) out[k] = get();
    return out;
  }

  /** Runs an op's lowering (ops/) on its arguments; an op without one is unsupported. */
  private lowerOp(spell: Spelling, args: Record<string, () => Val>, c: Call, line: number): Val {
    const op = spell.op;
    const name = calleeName(c);
    if (!op.lower) throw new Unsupported(c.callee ?? spell.name.replace(/^Tensor\./, '.'), line);
    const lit = (d: PyLiteral): Val => (d === null ? NONE : typeof d === 'number' ? num(d) : typeof d === 'boolean' ? { t: 'bool', v: d } : { t: 'str', v: d });
    const value = (p: string): Val | undefined => {
      const get = args[p];
      if (get) return get();
      return Object.prototype.hasOwnProperty.call(spell.defaults, p) ? lit(spell.defaults[p]) : undefined;
    };
    const present = (p: string): Val => {
      const v = value(p);
      if (!v || v.t === 'none') throw new EvalError(`${name}: missing ${p}`, line);
      return v;
    };
    const ev = this;
    const cx: LowerCtx = {
      k: KERNELS,
      call: c,
      spelling: spell,
      name,
      line,
      has: (p) => args[p] !== undefined,
      value: (p) => value(p) as CVal | undefined,
      tensor: (p) => ev.toTensor(present(p), line) as unknown as ReturnType<LowerCtx['tensor']>,
      float: (p) => ev.cast(ev.toTensor(present(p), line), 'float') as unknown as ReturnType<LowerCtx['tensor']>,
      num(p) {
        const v = value(p);
        if (!v || v.t === 'none') return undefined;
        const n = pyNumber(v);
        if (n === undefined) throw new Unsupported(`${name} with a non-number ${p}`, line);
        return n;
      },
      str(p) {
        const v = value(p);
        return v?.t === 'str' ? v.v : undefined;
      },
      flag(p) {
        const v = value(p);
        return v ? truthy(v, line) : undefined;
      },
      dim: (p, rank) => ev.dimArg(value(p), rank, line),
      dims: (p, rank) => ev.dimsArg(value(p), rank, line),
      shape(p) {
        const v = present(p);
        let items: Val[] = v.t === 'list' ? v.items : [v];
        if (items.length === 1 && items[0].t === 'list') items = items[0].items;
        return items.map((d) => {
          const n = pyNumber(d);
          if (n === undefined || !Number.isInteger(n)) throw new Unsupported(`${name} with a non-integer size`, line);
          return n;
        });
      },
      out(x, dt = 'float') {
        ev.checkSize(x.shape, line);
        return { t: 'tensor', x, dt };
      },
      toTensor: (v) => ev.toTensor(v as Val, line) as unknown as ReturnType<LowerCtx['tensor']>,
      cast: (v, dt) => ev.cast(v as unknown as Extract<Val, { t: 'tensor' }>, dt) as unknown as ReturnType<LowerCtx['tensor']>,
      promote: (a, b, arith) => ev.promote(a as unknown as Extract<Val, { t: 'tensor' }>, b as unknown as Extract<Val, { t: 'tensor' }>, arith) as unknown as ReturnType<LowerCtx['promote']>,
      binop: (o, a, b) => ev.binop(o, a as Val, b as Val, line) as CVal,
      compare: (o, a, b) => ev.compareValues(o, a as Val, b as Val, line) as CVal,
      unsupported(what) {
        throw new Unsupported(what, line);
      },
      error(message) {
        throw new EvalError(message, line);
      },
    };
    return op.lower(cx) as Val;
  }

  private applyModule(m: Extract<Val, { t: 'module' }>, c: Call, f: Frame, line: number): Val {
    this.trace.add(m.spell.op.id);
    const tuple = (items: Expr[]): Expr => ({ k: 'tuple', items, list: false, span: c.span });
    const args = { ...this.lazyArgs(bindModuleCall(m.spell, c.args, c.kwargs, tuple), f) };
    for (const [k, v] of Object.entries(m.args)) if (!(k in args)) args[k] = () => v;
    return this.lowerOp(m.spell, args, c, line);
  }

}

/** The torchvision / fvcore formula, op for op (torchvision/ops/focal_loss.py). */
export function sigmoidFocalReference(x: T, t: T, alpha: number, gamma: number, reduction: string): T {
  const p = P.sigmoid(x);
  const ce = P.bceWithLogits(x, t);
  const pt = tf.add(tf.mul(p, t), tf.mul(tf.sub(1, p), tf.sub(1, t)));
  let loss = tf.mul(ce, P.powScalar(tf.sub(1, pt), gamma));
  if (alpha >= 0) {
    const at = tf.add(tf.mul(alpha, t), tf.mul(1 - alpha, tf.sub(1, t)));
    loss = tf.mul(at, loss);
  }
  return reduction === 'mean' ? P.mean(loss) : reduction === 'sum' ? P.sum(loss) : loss;
}

/** Softmax focal loss with per-class alpha: -alpha[t] * (1 - p_t)^gamma * log p_t per sample. */
export function softmaxFocalReference(x: T, target: T, alpha: number[] | undefined, gamma: number, reduction: string): T {
  const logp = P.logSoftmax(x, 1);
  const logpt = tf.reshape(P.gatherDim(logp, 1, tf.reshape(target, [-1, 1])), [-1]);
  const pt = tf.exp(logpt);
  let loss = tf.mul(tf.neg(P.powScalar(tf.sub(1, pt), gamma)), logpt);
  if (alpha) loss = tf.mul(tf.gather(tf.tensor1d(alpha), target), loss);
  return reduction === 'mean' ? P.mean(loss) : reduction === 'sum' ? P.sum(loss) : loss;
}
