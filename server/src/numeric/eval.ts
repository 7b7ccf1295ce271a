/**
 * The concrete interpreter: evaluates a function of the IR (core/ir.ts) on tfjs tensors with
 * PyTorch's semantics (broadcasting, dim/keepdim, reductions, target dtypes), over a closed
 * whitelist of operations. Anything outside the whitelist ends the check with `Unsupported`.
 *
 * Nothing is ever executed: Python is never run, only the IR's whitelisted operations are mapped
 * onto tensor kernels. The statements losses are written with are interpreted: `if` on known values
 * (hyperparameters, strings, None, and a one-element tensor's value, as Python's `bool(t)`), `for`
 * over ranges, lists, dicts and tensors and `while` (each loop at most `MAX_LOOP` iterations),
 * `break`/`continue`, `with` over the context managers PyTorch, TensorFlow and the standard library
 * spell for gradients and precision (`torch.no_grad()` detaches what its block computes, autocast
 * changes nothing in float32), `assert`, `raise` (an error on the probe inputs), lists, tuples and
 * dicts with their comprehensions and methods, item assignment to tensors (a scatter into a copy
 * that rebinds the name) and in-place tensor methods, `:=`, and `try` (a handler runs only for an
 * error of a Python class it is known to catch: `tryBlock`). Every call that is not a known tensor
 * operation, a loss, a function or class of the same module or a small set of pure builtins stops
 * it with `Unsupported`, which no `try` catches.
 */
import * as path from 'node:path';
import { FINFO_CALLS, FLOAT_INFO, floatFormatOf } from '../core/floats';
import { forEachExpr, type Call, type ClassIR, type Comprehension, type Expr, type FStringPart, type FunctionIR, type ModuleIR, type Stmt, type Target } from '../core/ir';
import { pyFormat, pyRepr, pyStr } from './pyformat';
import { stmtRoots, stmtsOf } from '../core/walk';
import { bindCall, bindModuleCall, resolveMethod, resolveQualified, type LowerCtx, type Spelling } from '../ops';
import { matmulTensors } from '../ops/table/more';
import type { CVal, PyLiteral } from '../ops/api';
import { KERNELS, tfDtype } from './kernels';
import { tf } from './tf';
import * as P from './torchops';
import { cg } from './torchops';
import { forwardOf, forwardTail } from './forward-fn';
import { describe, type DType, ElementCap, EvalError, NONE, num, Unsupported, type Val } from './values';
import { calleeName, forbiddenCall, lineOf, reachableFunctions as reachable, selfContained } from './gate';
import { decoratorEffect, dottedOf } from './decorators';
import { customJvp, customVjp } from './custom-grad';
import { appliedForward, applyFunction, ctxMethod, isAutogradFunction, isCtx } from './autograd-fn';
import type { ImportedFunction, ImportedGlobal, ImportResolver } from './imported';
import type { Draws } from './draws';
import { derivativeArgError, derivativePrecision, derivativeWeights } from './numpy';
import { unboundName } from './unbound';
import { unfilledReason, uninitialisedCreation } from './uninit';

type T = tf.Tensor;


/**
 * What an in-place method call changes: the receiver under a chain of in-place calls
 * (`x.abs_().pow_(g)` changes `x`), undefined when the call is not one.
 */
function inplaceReceiver(e: Expr): Expr | undefined {
  let root: Expr | undefined;
  let c = e;
  while (c.k === 'call' && c.method && c.spell?.name.endsWith('_') && c.func.k === 'attr') {
    root = c.func.obj;
    c = c.func.obj;
  }
  return root;
}

/** TensorBoard summary ops (`tf.summary.scalar(name, value)` and kin, TF1, TF2 and tf.contrib): logging only. */
const SUMMARY_CALL = /^tensorflow\.(compat\.v[12]\.|contrib\.)?summary\.(scalar|histogram|image|audio|text|tensor_summary)$/;

/** The dtype attributes of a Keras layer or loss (eval.ts `kerasDtypeBase`). */
const KERAS_DTYPE_ATTRS = new Set(['dtype', 'compute_dtype', 'variable_dtype']);

const DTYPE_RANK: Record<DType, number> = { bool: 0, int: 1, float: 2 };
const DTYPE_NAME: Record<DType, string> = { bool: 'Bool', int: 'Long', float: 'Float' };

/** The result of an in-place method: written into the receiver, so in its dtype; PyTorch refuses a result it cannot cast to it (a float into an integer tensor). */
function inplaceResult(recv: Val | undefined, r: Val, name: string, line: number): Val {
  if (!recv || !isTensor(recv) || !isTensor(r) || r.dt === recv.dt) return r;
  if (DTYPE_RANK[r.dt] > DTYPE_RANK[recv.dt]) throw new EvalError(`${name}: result type ${DTYPE_NAME[r.dt]} can't be cast to the desired output type ${DTYPE_NAME[recv.dt]}`, line);
  return { t: 'tensor', x: tf.cast(r.x, tfDtype(recv.dt)), dt: recv.dt };
}

export interface EvalOptions {
  /** Largest number of elements any tensor may have. */
  maxElements: number;
  /** Hyperparameter overrides by parameter name (of the checked function, of `__init__` and of the factory that returns it). */
  hyper?: Record<string, Val>;
  /** Values assumed for reads of modules not on disk, by qualified name (`config.focal_loss_alpha`; roles.ts `CheckPlan.assumed`). */
  assumed?: ReadonlyMap<string, Val>;
  /** Called with the operand shapes and the result shape of every broadcasting arithmetic operation (LL308). */
  onBroadcast?: (a: readonly number[], b: readonly number[], out: readonly number[], op: string, line: number) => void;
  /** The tensor gradients are taken with respect to (the probe's logits): what `requires_grad` means. */
  gradSource?: tf.Tensor;
  /** Functions of other project files, as this module's imports name them (imported.ts); none: such calls are unsupported. */
  imported?: ImportResolver;
  /**
   * A numpy function probed for its values only (roles.ts `valuesOnly`): numpy ops take the probe's
   * tensors (float32 standing for numpy's float64) instead of being refused for lack of autograd.
   */
  valuesOnly?: boolean;
  /**
   * Hyperparameters (of `hyper`) whose Python number stands for one value per example of a
   * `jax.vmap` that maps them (in_axes not None; probes.ts `setup`): passed as that number repeated
   * along the mapped axis, the size of the other mapped arguments' axes.
   */
  perRow?: string[];
  /**
   * A per-example loss (roles.ts `CheckPlan.perExample`): `run` calls the function once per example,
   * these arguments sliced along their first axis, the others given whole, and stacks the outputs
   * along a new first axis, as `jax.vmap(fn)` with those in_axes would.
   */
  perExample?: string[];
  /**
   * The entry function called through the module's own `jax.vmap` of it (input-facts.ts `moduleVmap`:
   * the function is written for one example): that vmap's arguments after the function.
   */
  vmapped?: { args: Expr[]; kwargs: Record<string, Expr> };
  /**
   * The stream random ops draw from (draws.ts: the probe's seed, started afresh for each call of the
   * function), shared with the evaluators of other project files; none: a random draw is unsupported.
   */
  draws?: Draws;
  /**
   * PyTorch's leaf that requires grad among the probe's inputs (the logits passed as they are, `leaf`)
   * or a view of it (reshaped to the probe's layout, `view`): a write into it with autograd on raises
   * in PyTorch (writeIntoLeaf), so the checker raises too.
   */
  leaf?: { x: tf.Tensor; view: boolean };
}

/** The most iterations one loop may run (a loop over the probe's 4096 samples is out of reach). */
export const MAX_LOOP = 256;

/** jax.vmap's in_axes (an int, None, or a tuple of them per positional argument); out_axes other than 0 refused. */
function vmapAxes(inAxes: Val | undefined, outAxes: Val | undefined, line: number): (number | null)[] | number | null {
  if (outAxes && !(outAxes.t === 'num' && outAxes.v === 0)) throw new Unsupported('jax.vmap with out_axes other than 0', line);
  const one = (v: Val): number | null => {
    if (v.t === 'none') return null;
    if (v.t === 'num' && v.int) return v.v;
    throw new Unsupported(`jax.vmap in_axes of ${v.t}`, line);
  };
  if (!inAxes) return 0;
  if (inAxes.t === 'list') return inAxes.items.map(one);
  return one(inAxes);
}

class ReturnSignal {
  constructor(readonly value: Val) {}
}

class BreakSignal {}
class ContinueSignal {}

interface Frame {
  vars: Map<string, Val>;
  parent?: Frame;
  self?: Val;
  cls?: ClassIR;
  /** The class that defines the running method (what `super()` starts from). */
  defCls?: ClassIR;
  /** A comprehension's scope: `:=` in it binds in the enclosing function's. */
  comp?: boolean;
  /** The running function's `*args` / `**kwargs` parameters (what `f(*args, **kwargs)` passes on). */
  varargs?: string[];
  /** The function running in this frame (a comprehension's frame: its parent's). */
  fn?: FunctionIR;
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

/** A Python value as a key: equal keys are equal values (`1 == 1.0 == True`, tuples by their items). */
export function pyKey(v: Val): unknown {
  switch (v.t) {
    case 'num':
      return v.v;
    case 'bool':
      return v.v ? 1 : 0;
    case 'str':
      return `s:${v.v}`;
    case 'none':
      return null;
    case 'dtype':
      return `d:${v.dt}`;
    case 'list':
      return `l:${v.tuple ? 't' : 'l'}[${v.items.map((x) => String(pyKey(x))).join(',')}]`;
    case 'ns':
      return `n:${v.name}`;
    // Every tensor the probes make lives on one device: `input.device == target.device` holds.
    case 'device':
      return 'device';
    default:
      return v;
  }
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
    case 'dict':
      return v.entries.length > 0;
    case 'range':
      return rangeItems(v).length > 0;
    case 'tensor': {
      // Python's bool(t): the value of a one-element tensor (the probes run on concrete inputs).
      if (v.x.size !== 1) throw new EvalError(`Boolean value of Tensor with more than one value is ambiguous`, line);
      return v.x.dataSync()[0] !== 0;
    }
    default:
      return true;
  }
}

function rangeItems(r: Extract<Val, { t: 'range' }>): Val[] {
  const step = r.step ?? 1;
  const out: Val[] = [];
  if (step > 0) for (let i = r.start; i < r.stop; i += step) out.push(num(i, true));
  else for (let i = r.start; i > r.stop; i += step) out.push(num(i, true));
  return out;
}

/** Builtins of Python 2 that Python 3 removed: reading one is a NameError in Python 3. */
const PY2_BUILTINS: ReadonlySet<string> = new Set(['long', 'unicode', 'basestring', 'xrange', 'unichr', 'raw_input', 'execfile', 'cmp', 'file', 'reload', 'buffer', 'apply', 'intern', 'coerce']);
/** torch.nn._reduction.get_enum: PyTorch's reduction strings as its enum. */
const REDUCTION_ENUM: ReadonlyMap<string, number> = new Map([['none', 0], ['mean', 1], ['elementwise_mean', 1], ['sum', 2]]);

/** Python's built-in exception classes the interpreter raises or a handler may name, each with its base. */
const EXC_BASE: Record<string, string | undefined> = {
  BaseException: undefined,
  Exception: 'BaseException',
  ArithmeticError: 'Exception',
  ZeroDivisionError: 'ArithmeticError',
  OverflowError: 'ArithmeticError',
  FloatingPointError: 'ArithmeticError',
  LookupError: 'Exception',
  IndexError: 'LookupError',
  KeyError: 'LookupError',
  TypeError: 'Exception',
  ValueError: 'Exception',
  AttributeError: 'Exception',
  NameError: 'Exception',
  AssertionError: 'Exception',
  RuntimeError: 'Exception',
  NotImplementedError: 'RuntimeError',
};

function excSubclass(t: string, base: string): boolean {
  for (let c: string | undefined = t; c; c = EXC_BASE[c]) if (c === base) return true;
  return false;
}

/** Attributes Python's int, float and bool have (any other one raises AttributeError; None has none). */
const NUMBER_ATTRS = new Set(['real', 'imag', 'conjugate', 'as_integer_ratio', 'is_integer', 'hex', 'fromhex', 'bit_length', 'bit_count', 'to_bytes', 'from_bytes', 'numerator', 'denominator']);

/** The Python type name of a value that is not a tensor (for Python's own error messages). */
function pyTypeName(v: Val): string {
  return v.t === 'num' ? (v.int ? 'int' : 'float') : v.t === 'none' ? 'NoneType' : v.t === 'bool' ? 'bool' : v.t === 'str' ? 'str' : v.t;
}

export class Evaluator {
  private depth = 0;
  /** Tensors numpy made from Python data alone (constants: numpy on them is no autograd break). */
  private readonly numpyConstants = new WeakSet<object>();
  private readonly globalCache = new Map<string, Val>();
  /** The functions whose parameters take `opts.hyper` (the checked one, its `__init__`, its factories); by default the outermost call and `__init__`. */
  private hyperFns: Set<FunctionIR> | undefined;
  /** A closure being looked for while its factory runs (`run`): the environment of its `def` or lambda. */
  private capture: { fn: FunctionIR; env?: Map<string, Val> } | undefined;
  /** False inside `torch.no_grad()` (and after `torch.set_grad_enabled(False)`): what is computed is detached. */
  private gradEnabled = true;

  /** Evaluators of other project files' modules this one called into (callForeign). */
  private readonly foreign = new Map<ModuleIR, Evaluator>();

  /** The most iterations a `for` or `while` loop of this evaluator ran (the probes size their samples by it). */
  maxLoop = 0;

  constructor(
    private readonly mod: ModuleIR,
    private readonly opts: EvalOptions,
    /** Operations met while evaluating: shared with the evaluator of the module that calls into this one. */
    readonly trace = new Set<string>(),
  ) {}

  // --- entry points ----------------------------------------------------------------------------

  /**
   * Calls `fn` with named arguments: for a method, `__init__` runs first to build `self`; for a
   * closure (a Keras factory's inner loss), its factory runs first, with its own defaults and the
   * hyperparameters, and the closure is called in the environment the factory left.
   */
  run(fn: FunctionIR, args: Record<string, Val>): Val {
    this.hyperFns = new Set([fn]);
    // The forward of a custom autograd Function runs as torch runs it: through `apply`, its backward the gradient.
    const fcls = appliedForward(fn, this.mod);
    if (fcls) return this.functionApply(fcls, this.positional(fn, fn.params.slice(1), args), {}, lineOf(fn));
    const { self, env } = this.entry(fn);
    const mapped = this.opts.perExample;
    if (mapped?.length) {
      const each = Object.fromEntries(Object.entries(args).filter(([k]) => mapped.includes(k)));
      const whole = Object.fromEntries(Object.entries(args).filter(([k]) => !mapped.includes(k)));
      return this.vmapApply(null, [], each, (_, k) => this.callFunction(fn, [], { ...whole, ...k }, self, env), lineOf(fn));
    }
    if (this.opts.vmapped) return this.callMapped(fn, this.opts.vmapped, [], args, self, env);
    return this.callFunction(fn, [], args, self, env);
  }

  private entry(fn: FunctionIR): { self?: Val; env?: Map<string, Val> } {
    if (fn.parent && fn.parent !== '<module>' && !selfContained(fn, this.mod)) {
      const factory = this.mod.functions.find((g) => g.qualname === fn.parent);
      if (!factory) throw new Unsupported(`the function enclosing ${fn.qualname}`, lineOf(fn));
      this.hyperFns?.add(factory);
      const outer = this.entry(factory);
      const saved = this.capture;
      this.capture = { fn };
      try {
        try {
          this.callFunction(factory, [], {}, outer.self, outer.env);
        } catch (e) {
          // The factory may stop after defining it (an unsupported call on the way out).
          if (!(e instanceof Unsupported) || !this.capture.env) throw e;
        }
        if (!this.capture.env) throw new Unsupported(`${factory.qualname} without defining ${fn.name}`, lineOf(fn));
        // A closure of a method reads the method's `self` from its environment; its own first parameter is its own.
        return { env: this.capture.env };
      } finally {
        this.capture = saved;
      }
    }
    if (fn.className) {
      const cls = this.mod.classes.get(fn.className);
      if (!cls) throw new Unsupported(`class ${fn.className}`, lineOf(fn));
      const init = this.initOf(cls);
      if (init) this.hyperFns?.add(init);
      return { self: this.instantiate(cls, {}) };
    }
    return {};
  }

  /** The `__init__` that builds an instance of `cls`: its own, else the first of its bases defined in this module. */
  private initOf(cls: ClassIR, seen = new Set<ClassIR>()): FunctionIR | undefined {
    if (seen.has(cls)) return undefined;
    seen.add(cls);
    const own = cls.methods.get('__init__');
    if (own) return own;
    for (const b of cls.bases) {
      const base = this.mod.classes.get(b);
      const init = base && this.initOf(base, seen);
      if (init) return init;
    }
    return undefined;
  }

  /** A method of `cls` or of its bases defined in this module (Python's attribute lookup, first base first). */
  private methodOf(cls: ClassIR, name: string, seen = new Set<ClassIR>()): FunctionIR | undefined {
    if (seen.has(cls)) return undefined;
    seen.add(cls);
    const own = cls.methods.get(name);
    if (own) return own;
    for (const b of cls.bases) {
      const base = this.mod.classes.get(b);
      const m = base && this.methodOf(base, name, seen);
      if (m) return m;
    }
    return undefined;
  }

  instantiate(cls: ClassIR, kwargs: Record<string, Val>, args: Val[] = []): Val {
    const self: Extract<Val, { t: 'self' }> = { t: 'self', attrs: new Map(), cls };
    // Class attributes first (`gamma = 2.0` in the class body); __init__ may replace them.
    for (const [k, e] of cls.attrs) {
      try {
        self.attrs.set(k, this.expr(e, { vars: new Map() }));
      } catch (err) {
        if (!(err instanceof Unsupported)) throw err;
      }
    }
    const init = this.initOf(cls);
    if (init) this.callFunction(init, args, kwargs, self);
    return self;
  }

  /** Top-level functions given a gradient of their own (`f.defvjp(fwd, bwd)`: jax.custom_vjp; `f.defjvp(jvp)`), by name: the call that gives it. */
  private customGrad: Map<string, Call> | undefined;
  /** True while a custom-gradient function's primal body or rules run (custom-grad.ts): there, as in JAX, such functions are evaluated as written (no gradient is taken through them). */
  private inRule = false;

  /** The `defvjp` / `defjvp` call that gives `fn` its own gradient, if one does. */
  private customGradient(fn: FunctionIR): Call | undefined {
    if (!this.customGrad) {
      this.customGrad = new Map();
      for (const st of this.mod.body) {
        const e = st.k === 'expr' ? st.value : undefined;
        if (e?.k === 'call' && e.func.k === 'attr' && ['defvjp', 'defjvp', 'defvjps', 'defjvps'].includes(e.func.attr) && e.func.obj.k === 'name') this.customGrad.set(e.func.obj.id, e);
      }
    }
    return !fn.className && !fn.parent && !this.inRule ? this.customGrad.get(fn.name) : undefined;
  }

  /** A call of a function that defines its own gradient: its value, with the user's rule as gradient (custom-grad.ts). */
  private callCustom(fn: FunctionIR, def: Call, args: Val[], kwargs: Record<string, Val>): Val {
    const line = lineOf(fn);
    const attr = def.func.k === 'attr' ? def.func.attr : '';
    const kind = attr.startsWith('defjvp') ? 'jax.custom_jvp' : 'jax.custom_vjp';
    const refuse = (why: string): never => {
      throw new Unsupported(`${fn.name}, which defines its own gradient (${kind}${why})`, line);
    };
    const rules = def.args.map((a) => (a.k === 'name' ? this.mod.functions.find((g) => g.name === a.id && !g.className && !g.parent) : undefined));
    if ((attr !== 'defvjp' && attr !== 'defjvp') || def.splat || Object.keys(def.kwargs).length || rules.length !== (attr === 'defvjp' ? 2 : 1) || rules.some((g) => !g)) refuse(` with rules not written as functions of this module`);
    // With nondiff_argnums the rules take those arguments first: not modelled.
    const last = rules[rules.length - 1]!;
    if (last.params.length !== 2 || last.params.some((q) => q.kind !== 'plain')) refuse(`: a rule of ${last.params.length} parameters`);
    const bad = forbiddenCall(rules.flatMap((g) => reachable(this.mod, g!)), this.mod);
    if (bad) throw bad;
    // JAX binds the arguments by the primal's signature, then calls every rule positionally.
    const top = this.hyperFns ? this.hyperFns.has(fn) : this.depth === 0;
    const bound: Val[] = [];
    fn.params.forEach((q, i) => {
      if (q.kind !== 'plain') refuse(': *args or **kwargs');
      const hyper = top && this.opts.hyper && q.name in this.opts.hyper ? this.opts.hyper[q.name] : undefined;
      const v = i < args.length ? args[i] : q.name in kwargs ? kwargs[q.name] : (hyper ?? (q.default ? this.expr(q.default, { vars: new Map() }) : undefined));
      if (!v) throw new EvalError(`missing argument \`${q.name}\` of ${fn.qualname}`, line, 'TypeError');
      bound.push(v);
    });
    const plain = (g: FunctionIR, a: Val[]): Val => {
      const saved = this.inRule;
      this.inRule = true;
      try {
        return this.callFunction(g, a, {});
      } finally {
        this.inRule = saved;
      }
    };
    const primal = (a: Val[]): Val => plain(fn, a);
    if (kind === 'jax.custom_jvp') return customJvp(bound, primal, (p, t) => plain(rules[0]!, [p, t]), P.cut, line);
    return customVjp(bound, primal, (a) => plain(rules[0]!, a), (res, g) => plain(rules[1]!, [res, g]), line);
  }

  /** Whether `cls` derives from torch's autograd Function (through classes of this module too). */
  private isAutogradFunction(cls: ClassIR): boolean {
    return isAutogradFunction(cls, this.mod);
  }

  /** The values of `params` in order, for a positional call: given by name, else the probe's hyperparameter, else the default. */
  private positional(fn: FunctionIR, params: FunctionIR['params'], args: Record<string, Val>): Val[] {
    return params.map((q) => {
      if (q.kind !== 'plain') throw new Unsupported(`*args or **kwargs of ${fn.qualname}`, lineOf(fn));
      const v = q.name in args ? args[q.name] : this.opts.hyper && q.name in this.opts.hyper ? this.opts.hyper[q.name] : q.default ? this.expr(q.default, { vars: new Map() }) : undefined;
      if (!v) throw new EvalError(`missing argument \`${q.name}\` of ${fn.qualname}`, lineOf(fn), 'TypeError');
      return v;
    });
  }

  /** `Cls.apply(*args)` of a custom autograd Function: the user's forward's value, its backward's gradient (autograd-fn.ts). */
  private functionApply(cls: ClassIR, args: Val[], kw: Record<string, Val>, line: number): Val {
    if (Object.keys(kw).length) throw new EvalError('TypeError: apply() takes no keyword arguments', line, 'TypeError');
    const fwd = this.methodOf(cls, 'forward');
    const bwd = this.methodOf(cls, 'backward') ?? this.methodOf(cls, 'vjp');
    if (!fwd) throw new EvalError(`NotImplementedError: You must implement the forward function for custom autograd.Function.`, line, 'NotImplementedError');
    // torch 2's form: forward without ctx, ctx filled by setup_context(ctx, inputs, output). Not modelled.
    if (this.methodOf(cls, 'setup_context')) throw new Unsupported(`${cls.name}.setup_context (an autograd Function whose forward takes no ctx)`, line);
    const bad = forbiddenCall([fwd, ...(bwd ? [bwd] : [])].flatMap((g) => reachable(this.mod, g)), this.mod);
    if (bad) throw bad;
    // torch runs both with gradient recording off.
    const run = (g: FunctionIR, a: Val[]): Val => {
      const saved = this.gradEnabled;
      this.gradEnabled = false;
      try {
        return this.callFunction(g, a, {});
      } finally {
        this.gradEnabled = saved;
      }
    };
    return applyFunction(args, {
      name: cls.name,
      forward: (ctx, a) => run(fwd, [ctx, ...a]),
      backward: (ctx, g) => {
        if (!bwd) throw new EvalError('NotImplementedError: You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.', line, 'NotImplementedError');
        return run(bwd, [ctx, ...g]);
      },
      requiresGrad: (x) => this.gradEnabled && this.requiresGrad(x),
      cut: P.cut,
      line,
    });
  }

  /**
   * The function mapped by a `jax.vmap` (its decorator, or the module's own `vmap(fn, ...)` of the
   * entry function, EvalOptions.vmapped): `vm` holds that vmap's arguments after the function.
   */
  private callMapped(fn: FunctionIR, vm: { args: Expr[]; kwargs: Record<string, Expr> }, args: Val[], kwargs: Record<string, Val>, self?: Val, closure?: Map<string, Val>): Val {
    const args0 = vm.args.map((e) => this.expr(e, { vars: new Map() }));
    const kw0 = Object.fromEntries(Object.entries(vm.kwargs).map(([k, e]) => [k, this.expr(e, { vars: new Map() })]));
    const axes = vmapAxes(kw0.in_axes ?? args0[0], kw0.out_axes ?? args0[1], lineOf(fn));
    // Arguments passed by name to the function's leading parameters are its positional ones (the
    // probes pass every argument by name; in_axes counts positions).
    // So are the values the probes give the parameters (`hyper`), as they give them by name.
    const pos = [...args];
    const rest = { ...kwargs };
    const top = this.hyperFns ? this.hyperFns.has(fn) : this.depth === 0;
    const perRow = new Set<number>();
    for (const p of fn.params.slice(self && fn.params[0]?.kind === 'plain' ? 1 + pos.length : pos.length)) {
      const given = p.name in rest ? rest[p.name] : top && this.opts.hyper && p.name in this.opts.hyper ? this.opts.hyper[p.name] : undefined;
      if (p.kind !== 'plain' || !given) break;
      if (this.opts.perRow?.includes(p.name) && given.t === 'num') perRow.add(pos.length);
      pos.push(given);
      delete rest[p.name];
    }
      return this.vmapApply(axes, pos, rest, (p, k) => this.callUndecorated(fn, p, k, self, closure), lineOf(fn), perRow);
  }

  /**
   * The output of the module's forward function `id` given the stand-in (forward-fn.ts): what it
   * computes after its last layer, on the prediction at that layer's place (per example where the
   * module maps it with `vmap(f, in_axes=(None, 0))`); the prediction itself where it computes nothing
   * after, or where `id` is no forward function (a model's apply bound to a local).
   */
  private forwardOut(id: string, out: Val, line: number): Val {
    const fwd = forwardOf(id, this.mod);
    const tail = fwd && forwardTail(fwd.fn);
    if (!fwd || !tail || 'identity' in tail) return out;
    if ('refused' in tail) throw new Unsupported(tail.refused, line);
    if (fwd.vmapped) return this.vmapApply(0, [out], {}, (p) => this.callUndecorated(tail.fn, p, {}), line);
    return this.callUndecorated(tail.fn, [out], {});
  }

  callFunction(fn: FunctionIR, args: Val[], kwargs: Record<string, Val>, self?: Val, closure?: Map<string, Val>): Val {
    if (this.depth > 8) throw new Unsupported('recursion', lineOf(fn));
    // Its gradient is the user's rule, not the derivative of what it computes.
    const custom = this.customGradient(fn);
    if (fn.decorators) {
      // Run as written only where the decorators keep what it computes (numeric/decorators.ts); a
      // custom_vjp / custom_jvp function whose rule is defined runs as written inside its own rule.
      const ruled = !!custom || (this.inRule && !fn.className && !fn.parent && !!this.customGrad?.has(fn.name));
      const effect = decoratorEffect(fn, this.mod, ruled);
      if (effect.refuse !== undefined) throw new Unsupported(effect.refuse, lineOf(fn));
      if (effect.vmap) return this.callMapped(fn, effect.vmap, args, kwargs, self, closure);
      if (effect.grad !== undefined && !custom) {
        const saved = this.gradEnabled;
        this.gradEnabled = effect.grad;
        try {
          return this.callUndecorated(fn, args, kwargs, self, closure);
        } finally {
          this.gradEnabled = saved;
        }
      }
    }
    if (custom) return this.callCustom(fn, custom, args, kwargs);
    return this.callUndecorated(fn, args, kwargs, self, closure);
  }

  /**
   * `jax.vmap`: the function called once per example, each mapped argument sliced along its axis
   * (keywords along axis 0), the outputs stacked along axis 0 (tuples, lists and dicts of them leaf by
   * leaf). The examples count as the iterations of a loop (MAX_LOOP, `maxLoop`).
   */
  private vmapApply(inAxes: (number | null)[] | number | null, pos: Val[], kw: Record<string, Val>, call: (pos: Val[], kw: Record<string, Val>) => Val, line: number, perRow: ReadonlySet<number> = new Set()): Val {
    if (Array.isArray(inAxes) && inAxes.length !== pos.length) throw new EvalError(`vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional arguments passed to the function, but got len(in_axes)=${inAxes.length}, len(args)=${pos.length}`, line, 'ValueError');
    let n: number | undefined;
    const split = (v: Val, axis: number | null): ((i: number) => Val) => {
      if (axis === null) return () => v;
      if (v.t === 'list') {
        const parts = v.items.map((x) => split(x, axis));
        return (i) => ({ t: 'list', items: parts.map((p) => p(i)), tuple: v.tuple });
      }
      if (v.t === 'dict') {
        const parts = v.entries.map(([k, x]) => [k, split(x, axis)] as const);
        return (i) => ({ t: 'dict', entries: parts.map(([k, p]) => [k, p(i)]) });
      }
      if (v.t !== 'tensor') throw new EvalError(`vmap was requested to map its argument along axis ${axis}, which implies that its rank should be at least ${axis + 1}, but is only 0`, line, 'ValueError');
      const rank = v.x.shape.length;
      const ax = axis < 0 ? axis + rank : axis;
      if (ax < 0 || ax >= rank) throw new EvalError(`vmap was requested to map its argument along axis ${axis}, which implies that its rank should be at least ${axis + 1}, but is only ${rank}`, line, 'ValueError');
      const size = v.x.shape[ax];
      if (n !== undefined && size !== n) throw new EvalError('vmap got inconsistent sizes for array axes to be mapped', line, 'ValueError');
      n = size;
      if (size > MAX_LOOP) throw new Unsupported(`jax.vmap over ${size} examples (more than ${MAX_LOOP})`, line);
      const rows = tf.unstack(v.x, ax);
      return (i) => ({ t: 'tensor', x: rows[i], dt: v.dt });
    };
    const axisOf = (i: number): number | null => (Array.isArray(inAxes) ? inAxes[i] : inAxes);
    // A probe's number for a mapped parameter (EvalOptions.perRow): the same value for every example.
    const posParts = pos.map((v, i) => (perRow.has(i) && axisOf(i) !== null ? () => v : split(v, axisOf(i))));
    const kwParts = Object.entries(kw).map(([k, v]) => [k, split(v, 0)] as const);
    if (n === undefined) throw new EvalError('vmap must have at least one non-None value in in_axes', line, 'ValueError');
    this.maxLoop = Math.max(this.maxLoop, n);
    const outs: Val[] = [];
    for (let i = 0; i < n; i++) outs.push(call(posParts.map((p) => p(i)), Object.fromEntries(kwParts.map(([k, p]) => [k, p(i)]))));
    const stack = (vs: Val[]): Val => {
      const v0 = vs[0];
      if (v0.t === 'tensor') return { t: 'tensor', x: tf.stack(vs.map((v) => (v as Extract<Val, { t: 'tensor' }>).x), 0), dt: v0.dt };
      if (v0.t === 'num') return { t: 'tensor', x: tf.tensor1d(vs.map((v) => (v as Extract<Val, { t: 'num' }>).v), v0.int ? 'int32' : 'float32'), dt: v0.int ? 'int' : 'float' };
      if (v0.t === 'list') return { t: 'list', items: v0.items.map((_, j) => stack(vs.map((v) => (v as Extract<Val, { t: 'list' }>).items[j]))), tuple: v0.tuple };
      if (v0.t === 'dict') return { t: 'dict', entries: v0.entries.map(([k], j) => [k, stack(vs.map((v) => (v as Extract<Val, { t: 'dict' }>).entries[j][1]))]) };
      throw new Unsupported(`jax.vmap of a function returning ${v0.t}`, line);
    };
    return stack(outs);
  }

  private callUndecorated(fn: FunctionIR, args: Val[], kwargs: Record<string, Val>, self?: Val, closure?: Map<string, Val>): Val {
    const frame: Frame = { vars: new Map(), self, parent: closure ? { vars: closure } : undefined, fn };
    if (self?.t === 'self') frame.cls = self.cls;
    if (fn.className) frame.defCls = this.mod.classDefs.find((k) => k.methods.get(fn.name) === fn) ?? this.mod.classes.get(fn.className);
    let params = fn.params;
    if (self && params.length && params[0].kind === 'plain') {
      frame.vars.set(params[0].name, self);
      params = params.slice(1);
    }
    const top = this.hyperFns ? this.hyperFns.has(fn) : this.depth === 0 || fn.name === '__init__';
    let i = 0;
    const used = new Set<string>();
    for (const p of params) {
      if (p.kind !== 'plain') {
        (frame.varargs ??= []).push(p.name);
        if (p.kind === 'star') {
          frame.vars.set(p.name, { t: 'list', items: args.slice(i), tuple: true });
          // The parameters after *args are keyword-only: no positional argument is left for them.
          i = args.length;
        } else frame.vars.set(p.name, { t: 'dict', entries: Object.entries(kwargs).filter(([k]) => !used.has(k)).map(([k, v]) => [{ t: 'str', v: k }, v] as [Val, Val]) });
        continue;
      }
      used.add(p.name);
      let v: Val | undefined;
      if (i < args.length) v = args[i];
      else if (p.name in kwargs) v = kwargs[p.name];
      else if (top && this.opts.hyper && p.name in this.opts.hyper) v = this.opts.hyper[p.name];
      else if (p.default) v = this.expr(p.default, { vars: closure ? new Map(closure) : new Map() });
      else throw new EvalError(`missing argument \`${p.name}\` of ${fn.qualname}`, lineOf(fn), 'TypeError');
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

  /** The values a `for` runs over: a range, a list or tuple, a dict's keys, a tensor's rows. */
  private iterate(v: Val, line: number): Val[] {
    switch (v.t) {
      case 'range':
        return rangeItems(v);
      case 'list':
        return v.items;
      case 'dict':
        return v.entries.map(([k]) => k);
      case 'str':
        return [...v.v].map((ch) => ({ t: 'str', v: ch }));
      case 'tensor': {
        if (!v.x.shape.length) throw new EvalError('iteration over a 0-d tensor', line, 'TypeError');
        const n = v.x.shape[0];
        if (n > MAX_LOOP) throw new Unsupported(`a loop of ${n} iterations (more than ${MAX_LOOP})`, line);
        this.maxLoop = Math.max(this.maxLoop, n);
        const rows = tf.unstack(v.x, 0);
        return rows.map((x) => ({ t: 'tensor', x, dt: v.dt }));
      }
      default:
        throw new Unsupported(`iteration over ${v.t}`, line);
    }
  }

  private loop(s: Extract<Stmt, { k: 'other' }>, f: Frame): void {
    const line = lineOf(s);
    const body = s.elseAt === undefined ? s.body : s.body.slice(0, s.elseAt);
    const orelse = s.elseAt === undefined ? [] : s.body.slice(s.elseAt);
    let broke = false;
    const once = (): boolean => {
      try {
        this.block(body, f);
      } catch (e) {
        if (e instanceof BreakSignal) return false;
        if (!(e instanceof ContinueSignal)) throw e;
      }
      return true;
    };
    if (s.what === 'for') {
      if (!s.iter || !s.target) throw new Unsupported('for', line);
      const items = this.iterate(this.expr(s.iter, f), line);
      if (items.length > MAX_LOOP) throw new Unsupported(`a loop of ${items.length} iterations (more than ${MAX_LOOP})`, line);
      this.maxLoop = Math.max(this.maxLoop, items.length);
      for (const it of items) {
        this.assign(s.target, it, f);
        if (!once()) {
          broke = true;
          break;
        }
      }
    } else {
      if (!s.test) throw new Unsupported('while', line);
      let n = 0;
      while (truthy(this.expr(s.test, f), line)) {
        if (++n > MAX_LOOP) throw new Unsupported(`a loop of more than ${MAX_LOOP} iterations`, line);
        this.maxLoop = Math.max(this.maxLoop, n);
        if (!once()) {
          broke = true;
          break;
        }
      }
    }
    if (!broke) this.block(orelse, f);
  }

  /** `with` over the context managers the interpreter knows (grad mode, autocast, GradientTape, nullcontext). */
  private withBlock(s: Extract<Stmt, { k: 'other' }>, f: Frame): void {
    const line = lineOf(s);
    const saved = this.gradEnabled;
    try {
      for (const it of s.items ?? []) {
        const v = this.expr(it.ctx, f);
        if (v.t !== 'ctx') throw new Unsupported(`with ${it.ctx.k === 'call' ? calleeName(it.ctx) : v.t}`, line);
        if (v.grad !== undefined) this.gradEnabled = v.grad;
        if (it.target) this.assign(it.target, v, f);
      }
      if (!s.items) throw new Unsupported('with', line);
      this.block(s.body, f);
    } finally {
      this.gradEnabled = saved;
    }
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
        const root = inplaceReceiver(s.value);
        // A fresh tensor (`(a - b).abs_()`) changes nothing else; what else (a view) is not modelled.
        if (root && root.k !== 'bin' && root.k !== 'unary') this.assignTo(root, v, f);
        return;
      }
      case 'return':
        throw new ReturnSignal(s.value ? this.expr(s.value, f) : NONE);
      case 'assign': {
        // `__init__` building what the probed method may never read (`self.optimizer = optax.adam(lr)`,
        // a layer, an initializer): a framework call left unlowered there binds nothing, and the
        // attribute raises that refusal where it is read (framework constructors change no other value).
        let value: Val;
        if (f.fn?.name === '__init__' && f.self?.t === 'self' && s.targets.length === 1 && !s.aug && initAttr(s.targets[0], f.fn) && frameworkCall(s.value)) {
          try {
            value = this.expr(s.value, f);
          } catch (e) {
            if (!(e instanceof Unsupported)) throw e;
            const attr = initAttr(s.targets[0], f.fn)!;
            f.self.attrs.delete(attr);
            (f.self.unset ??= new Map()).set(attr, e);
            return;
          }
        } else value = this.expr(s.value, f);
        if (s.aug) {
          const cur = this.readTarget(s.targets[0], f);
          if (isTensor(cur)) this.writeIntoLeaf(cur.x, lineOf(s));
          value = this.binop(s.aug, cur, value, lineOf(s));
        }
        // `y = x.mul_(a)`: x is changed too (a receiver that is a name, an attribute or an item).
        const root = s.aug ? undefined : inplaceReceiver(s.value);
        if (root && (root.k === 'name' || root.k === 'attr' || root.k === 'subscript')) this.assignTo(root, value, f);
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
        if (this.capture?.fn === s.fn) this.capture.env = f.vars;
        return;
      case 'other':
        switch (s.what) {
          case 'assert': {
            // An assert changes no value: it only raises. One we cannot evaluate is passed over.
            if (!s.test) return;
            let ok = true;
            try {
              ok = truthy(this.expr(s.test, f), lineOf(s));
            } catch (e) {
              if (!(e instanceof Unsupported)) throw e;
            }
            if (!ok) throw new EvalError('an assert fails on the probe inputs', lineOf(s), 'AssertionError');
            return;
          }
          case 'raise':
            return this.raise(s, f);
          case 'try':
            return this.tryBlock(s, f);
          case 'for':
          case 'while':
            return this.loop(s, f);
          case 'with':
            return this.withBlock(s, f);
          case 'break':
            throw new BreakSignal();
          case 'continue':
            throw new ContinueSignal();
          case 'global':
          case 'nonlocal':
          case 'delete':
            return;
          default:
            throw new Unsupported(s.what, lineOf(s));
        }
    }
  }

  /** The exceptions being handled (innermost last): what a bare `raise` raises again. */
  private handling: EvalError[] = [];

  /**
   * `raise E(...)` / `raise E`: an error of the class it names, its message the literal string
   * passed, if any (nothing else of it is evaluated). A bare `raise` in a handler raises the
   * exception being handled again; `raise e` the one caught as `e`.
   */
  private raise(s: Extract<Stmt, { k: 'other' }>, f: Frame): void {
    const line = lineOf(s);
    if (!s.exc) {
      const cur = this.handling[this.handling.length - 1];
      if (cur) throw cur;
      throw new EvalError('RuntimeError: No active exception to reraise', line, 'RuntimeError');
    }
    const e = s.exc;
    const callee = e.k === 'call' ? e.func : e;
    if (callee.k === 'name') {
      const v = this.lookup(callee.id, f);
      if (v?.t === 'exc') throw v.err;
    }
    const type = this.excType(callee, f);
    const cls = type === undefined ? 'an exception' : type.startsWith('class:') ? type.slice(6) : type.replace(/^q:/, '');
    const arg = e.k === 'call' && e.args[0]?.k === 'str' ? `(${JSON.stringify(e.args[0].value)})` : '';
    throw new EvalError(`it raises ${cls}${arg}`, line, type && !type.startsWith('q:') ? type : undefined);
  }

  /** A local, enclosing or global value bound to `id`, if any (no builtin or import). */
  private lookup(id: string, f: Frame): Val | undefined {
    for (let fr: Frame | undefined = f; fr; fr = fr.parent) {
      const v = fr.vars.get(id);
      if (v) return v;
    }
    return undefined;
  }

  /**
   * The exception class an expression names, without evaluating it: a built-in exception, a class of
   * this module (`class:Name`), a library's class (`q:qualified.Name`); undefined when not known
   * (a variable, an unknown name).
   */
  private excType(e: Expr, f: Frame): string | undefined {
    if (e.k === 'name') {
      if (this.lookup(e.id, f) || this.mod.globals.has(e.id)) return undefined;
      if (this.mod.classes.has(e.id)) return `class:${e.id}`;
      const imp = this.mod.imports.get(e.id);
      if (imp) return imp.startsWith('builtins.') && imp.slice(9) in EXC_BASE ? imp.slice(9) : `q:${imp}`;
      return e.id in EXC_BASE ? e.id : undefined;
    }
    if (e.k === 'attr') {
      const dotted = (x: Expr): string | undefined => (x.k === 'name' ? (this.lookup(x.id, f) ? undefined : (this.mod.imports.get(x.id) ?? undefined)) : x.k === 'attr' ? ((d) => (d ? `${d}.${x.attr}` : undefined))(dotted(x.obj)) : undefined);
      const q = e.qualified ?? dotted(e);
      if (!q) return undefined;
      return q.startsWith('builtins.') && q.slice(9) in EXC_BASE ? q.slice(9) : `q:${q}`;
    }
    return undefined;
  }

  /** The built-in exception classes a class of this module derives from (through its bases here); undefined when a base is not known. */
  private classExcBases(name: string, seen = new Set<string>()): { classes: Set<string>; builtins: string[] } | undefined {
    const classes = new Set<string>([name]);
    const builtins: string[] = [];
    const walk = (n: string): boolean => {
      if (seen.has(n)) return true;
      seen.add(n);
      const cls = this.mod.classes.get(n);
      if (!cls) return false;
      for (const b of cls.bases) {
        if (this.mod.classes.has(b)) {
          classes.add(b);
          if (!walk(b)) return false;
        } else if (b in EXC_BASE && !this.mod.imports.has(b)) builtins.push(b);
        else return false;
      }
      return true;
    };
    return walk(name) ? { classes, builtins } : undefined;
  }

  /** Whether a handler naming `h` catches `err`: true, false, or undefined when that is not known here. */
  private catches(h: string | undefined, err: EvalError): boolean | undefined {
    if (h === undefined) return undefined;
    const t = err.pyType;
    if (t === undefined) {
      // A framework's exception: some subclass of Exception, which only Exception and BaseException are sure to catch.
      if (h === 'Exception' || h === 'BaseException') return true;
      return h.startsWith('class:') ? false : undefined;
    }
    if (t.startsWith('class:')) {
      const bases = this.classExcBases(t.slice(6));
      if (h.startsWith('class:') && bases?.classes.has(h.slice(6))) return true;
      if (!bases) return undefined;
      if (h.startsWith('class:')) return false;
      if (h.startsWith('q:')) return bases.builtins.length ? false : undefined;
      return bases.builtins.some((b) => excSubclass(b, h));
    }
    // A built-in exception: only a built-in base catches it (no class of a module or a library is one).
    if (h.startsWith('class:') || h.startsWith('q:')) return false;
    return excSubclass(t, h);
  }

  /**
   * `try` / `except` / `else` / `finally`, as Python runs it. Only an error of the function on the
   * probe inputs (EvalError) is an exception a handler may catch, and only a handler known to catch
   * its class does (a bare `except:`, `except Exception`, the class or a base); where that is not
   * known the check is refused. An unsupported construct, the element cap or the time budget ends
   * the check whatever the handlers say (no `finally` runs then: nothing after it is evaluated).
   */
  private tryBlock(s: Extract<Stmt, { k: 'other' }>, f: Frame): void {
    const line = lineOf(s);
    const hs = s.handlers ?? [];
    if (hs.some((h) => h.star)) throw new Unsupported('except*', line);
    const n = s.body.length;
    const ends = (at: number): number => Math.min(...[...hs.map((h) => h.at), s.elseAt ?? n, s.finallyAt ?? n, n].filter((x) => x > at));
    const tryBody = s.body.slice(0, Math.min(hs[0]?.at ?? n, s.elseAt ?? n, s.finallyAt ?? n));
    const elseBody = s.elseAt === undefined ? [] : s.body.slice(s.elseAt, ends(s.elseAt));
    const finallyBody = s.finallyAt === undefined ? [] : s.body.slice(s.finallyAt);
    const signal = (e: unknown): boolean => e instanceof ReturnSignal || e instanceof BreakSignal || e instanceof ContinueSignal;
    let pending: { err: unknown } | undefined;
    try {
      let caught: EvalError | undefined;
      try {
        this.block(tryBody, f);
      } catch (e) {
        if (!(e instanceof EvalError)) throw e;
        caught = e;
      }
      if (caught) {
        const err = caught;
        const h = hs.find((hd) => {
          const types = hd.type === undefined ? ['BaseException'] : hd.type.k === 'tuple' ? hd.type.items.map((x) => this.excType(x, f)) : [this.excType(hd.type, f)];
          const r = types.map((t) => this.catches(t, err));
          if (r.includes(true)) return true;
          if (r.includes(undefined)) throw new Unsupported(`whether this except clause catches: ${err.message}`, lineOf(hd));
          return false;
        });
        if (!h) throw err;
        if (h.name) f.vars.set(h.name, { t: 'exc', err });
        this.handling.push(err);
        try {
          this.block(s.body.slice(h.at, ends(h.at)), f);
        } finally {
          this.handling.pop();
          // Python unbinds the `as` name at the end of the handler.
          if (h.name) f.vars.delete(h.name);
        }
      } else this.block(elseBody, f);
    } catch (e) {
      if (!(e instanceof EvalError) && !signal(e)) throw e;
      pending = { err: e };
    }
    // A return, break, continue or raise in `finally` replaces what was pending.
    this.block(finallyBody, f);
    if (pending) throw pending.err;
  }

  /** Rebinds the receiver of an in-place method or item assignment: a name, an attribute of `self`, an item of one. */
  private assignTo(recv: Expr, v: Val, f: Frame): void {
    if (recv.k === 'name') this.assign({ k: 'name', id: recv.id, span: recv.span }, v, f);
    else if (recv.k === 'attr') this.assign({ k: 'attr', obj: recv.obj, attr: recv.attr, span: recv.span }, v, f);
    else if (recv.k === 'subscript') this.assign({ k: 'subscript', obj: recv.obj, index: recv.index, span: recv.span }, v, f);
    else throw new Unsupported('an in-place change of an expression', lineOf(recv));
  }

  private readTarget(t: Target, f: Frame): Val {
    if (t.k === 'name') return this.name(t.id, f, lineOf(t));
    if (t.k === 'attr') return this.attr(this.expr(t.obj, f), t.attr, lineOf(t));
    if (t.k === 'subscript') return this.subscript(t.obj, t.index, f, lineOf(t));
    throw new Unsupported('augmented assignment', lineOf(t));
  }

  /**
   * `obj[index] = v`: a list or dict item, or a tensor's elements. A tensor is not written in place:
   * the name (or `self` attribute) it came from is rebound to a copy with those elements replaced,
   * whose gradient flows to `v` where written and to the old tensor elsewhere (an alias of the old
   * tensor keeps the old values). The positions written are those the same index reads.
   */
  private assignItem(t: Extract<Target, { k: 'subscript' }>, v: Val, f: Frame): void {
    const line = lineOf(t);
    const obj = this.expr(t.obj, f);
    let items: Expr[] = t.index;
    if (items.length === 1 && items[0].k === 'tuple' && !items[0].list) items = items[0].items;
    if (obj.t === 'list') {
      if (obj.tuple) throw new EvalError("'tuple' object does not support item assignment", line, 'TypeError');
      const k = pyNumber(this.expr(items[0], f));
      if (items.length !== 1 || k === undefined) throw new Unsupported('list item assignment', line);
      const i = k < 0 ? obj.items.length + k : k;
      if (i < 0 || i >= obj.items.length) throw new EvalError('list assignment index out of range', line, 'IndexError');
      obj.items[i] = v;
      return;
    }
    if (obj.t === 'dict') {
      const key = this.expr(t.index.length === 1 ? t.index[0] : { k: 'tuple', items: t.index, list: false, span: t.span }, f);
      const at = obj.entries.findIndex(([k]) => pyKey(k) === pyKey(key));
      if (at >= 0) obj.entries[at][1] = v;
      else obj.entries.push([key, v]);
      return;
    }
    if (!isTensor(obj)) throw new Unsupported(`item assignment to ${obj.t}`, line);
    this.writeIntoLeaf(obj.x, line);
    const x = obj.x;
    const positions = { t: 'tensor' as const, x: tf.reshape(tf.range(0, x.size, 1, 'int32'), x.shape), dt: 'int' as const };
    this.assignTo(t.obj, this.scatterInto(obj, this.indexTensor(positions, items, f, line).x, v, line), f);
  }

  /** `x.index_put_(indices, v)`: as `x[indices] = v` with the indices evaluated already. */
  private putItems(obj: Extract<Val, { t: 'tensor' }>, indices: Val[], v: Val, line: number): Val {
    const positions = { t: 'tensor' as const, x: tf.reshape(tf.range(0, obj.x.size, 1, 'int32'), obj.x.shape), dt: 'int' as const };
    // The index values stand in as literal expressions of a frame that holds them.
    const frame: Frame = { vars: new Map(indices.map((val, i) => [`__i${i}`, val])) };
    const span = { s: 0, e: 0, r: { start: { line: line - 1, character: 0 }, end: { line: line - 1, character: 0 } } };
    const exprs: Expr[] = indices.map((_, i) => ({ k: 'name', id: `__i${i}`, span }));
    return this.scatterInto(obj, this.indexTensor(positions, exprs, frame, line).x, v, line);
  }

  /** A copy of `obj` with the elements at flat positions `sel` replaced by `v` (broadcast to sel's shape). */
  private scatterInto(obj: Extract<Val, { t: 'tensor' }>, sel: T, v: Val, line: number): Val {
    const x = obj.x;
    const value = this.cast(this.toTensor(v, line), obj.dt);
    let src: T;
    try {
      src = tf.broadcastTo(value.x, sel.shape);
    } catch {
      throw new EvalError(`shape mismatch: value tensor of shape [${value.x.shape}] cannot be broadcast to indexing result of shape [${sel.shape}]`, line);
    }
    // Nothing selected (an all-False mask): nothing written.
    if (sel.size === 0) return obj;
    const pos = sel.dataSync();
    const from = new Int32Array(x.size).fill(-1);
    for (let i = 0; i < pos.length; i++) from[pos[i]] = i;
    const written = tf.reshape(tf.tensor1d(Array.from(from, (q) => (q >= 0 ? 1 : 0)), 'bool'), x.shape);
    const at = tf.reshape(tf.tensor1d(Array.from(from, (q) => Math.max(q, 0)), 'int32'), x.shape);
    const gathered = obj.dt === 'float' ? P.gatherFlat(tf.reshape(src, [-1]), at) : tf.reshape(tf.gather(tf.reshape(src, [-1]), tf.reshape(at, [-1])), x.shape);
    return { t: 'tensor', x: P.where(written, gathered, x), dt: obj.dt };
  }

  private assign(t: Target, v: Val, f: Frame): void {
    switch (t.k) {
      case 'name':
        f.vars.set(t.id, v);
        return;
      case 'attr': {
        const o = this.expr(t.obj, f);
        // A loss module's constructor argument set afterwards (`self.loss_fcn.reduction = 'none'`): its next calls see it.
        const mp = o.t === 'module' ? o.spell.sig.params.find((x) => x.name === t.attr) : undefined;
        if (o.t === 'module' && mp) {
          o.args[mp.canon] = v;
          return;
        }
        if (o.t !== 'self') throw new Unsupported(`attribute assignment .${t.attr}`, lineOf(t));
        o.attrs.set(t.attr, v);
        return;
      }
      case 'tuple': {
        let items: Val[];
        if (v.t === 'list') items = v.items;
        else if (v.t === 'tensor' && v.x.shape.length) items = this.iterate(v, lineOf(t));
        else if (v.t === 'range' || v.t === 'dict' || v.t === 'str') items = this.iterate(v, lineOf(t));
        else throw new Unsupported(`tuple unpacking of ${v.t}`, lineOf(t));
        // `a, *rest, z = v`: the starred target takes the items between as a list, as Python does.
        if (t.starred) {
          const { at, target } = t.starred;
          const after = t.items.length - 1 - at;
          if (items.length < t.items.length - 1) throw new EvalError(`not enough values to unpack (expected at least ${t.items.length - 1}, got ${items.length})`, lineOf(t), 'ValueError');
          t.items.forEach((ti, i) => {
            if (i < at) this.assign(ti, items[i], f);
            else if (i > at) this.assign(ti, items[items.length - (t.items.length - i)], f);
          });
          this.assign(target, { t: 'list', items: items.slice(at, items.length - after), tuple: false }, f);
          return;
        }
        if (items.length !== t.items.length) throw new EvalError(`wrong number of values to unpack (expected ${t.items.length}, got ${items.length})`, lineOf(t), 'ValueError');
        t.items.forEach((ti, i) => this.assign(ti, items[i], f));
        return;
      }
      case 'subscript':
        return this.assignItem(t, v, f);
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
    if (imp) {
      // `from config import ALPHA`: a value of another project file.
      const g = this.opts.imported?.resolveGlobal(imp);
      if (g) return this.foreignGlobal(g, line);
      return this.opts.assumed?.get(imp) ?? { t: 'ns', name: imp };
    }
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
      case 'callable':
      case 'super':
      case 'round':
      case 'sum':
      case 'any':
      case 'all':
      case 'zip':
      case 'enumerate':
      case 'reversed':
      case 'sorted':
      case 'divmod':
      case 'pow':
      case 'hasattr':
        return { t: 'builtin', name: id };
      case 'float':
      case 'int':
      case 'bool':
      case 'str':
      case 'list':
      case 'tuple':
      case 'dict':
        return { t: 'type', name: id };
      default: {
        // A name a relative import binds (the IR leaves it unbound): a function of another project file.
        const foreign = this.opts.imported?.resolve(id);
        if (foreign) return { t: 'fn', fn: foreign.fn, foreign };
        const g = this.opts.imported?.resolveGlobal(id);
        if (g) return this.foreignGlobal(g, line);
        // `from . import utils`: a project module, read at its attributes (`utils.f(...)`).
        if (this.opts.imported?.isModule(id)) return { t: 'ns', name: id };
        // Python 2's builtins are no names in Python 3: reading one raises NameError there (a
        // `try: long / except NameError: long = int` shim catches it).
        if (PY2_BUILTINS.has(id)) throw new EvalError(`NameError: name '${id}' is not defined (\`${id}\` is a Python 2 builtin; Python 3 raises here)`, line, 'NameError');
        // A name nothing binds (no local, enclosing or module name, no builtin): Python raises NameError
        // reading it, in a function (a class body's or a default's names are read elsewhere).
        let running: Frame | undefined = f;
        while (running && !running.fn) running = running.parent;
        const self = running?.self;
        const selfHas = self?.t === 'self' ? (a: string): boolean => self.attrs.has(a) || self.cls.attrs.has(a) : undefined;
        const unbound = running?.fn && !this.opts.imported?.missing(id) ? unboundName(id, running.fn, this.mod, selfHas) : undefined;
        if (unbound) throw new EvalError(unbound.message, line, 'NameError');
        throw new Unsupported(this.unfound(id), line);
      }
    }
  }

  private global(id: string, line: number): Val | undefined {
    if (this.globalCache.has(id)) return this.globalCache.get(id);
    const e = this.mod.globals.get(id);
    if (!e) return undefined;
    // A module-level value: evaluated by the same whitelist, after the same security pre-scan.
    const bad = forbiddenCall([], this.mod, [e]);
    if (bad) throw new Unsupported(`module-level ${id}: ${bad.what}`, line);
    this.globalCache.set(id, NONE);
    let v: Val;
    try {
      v = this.expr(e, { vars: new Map() });
    } catch (err) {
      this.globalCache.delete(id);
      if (err instanceof Unsupported) throw new Unsupported(`module-level ${id}: ${err.what}`, line);
      throw err;
    }
    this.globalCache.set(id, v);
    return v;
  }

  expr(e: Expr, f: Frame): Val {
    const v = this.exprValue(e, f);
    // Under torch.no_grad() what is computed carries no gradient.
    if (!this.gradEnabled && v.t === 'tensor' && v.dt === 'float' && (e.k === 'call' || e.k === 'bin' || e.k === 'unary' || e.k === 'subscript')) return { t: 'tensor', x: P.detach(v.x), dt: v.dt };
    return v;
  }

  private exprValue(e: Expr, f: Frame): Val {
    const line = lineOf(e);
    switch (e.k) {
      case 'num':
        return num(e.value, !!e.int);
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
        if (v.t === 'num' && v.int) return num(-v.v - 1, true);
        if (v.t === 'bool') return num(v.v ? -2 : -1, true);
        throw new Unsupported('~', line);
      }
      case 'cmp':
        return this.compare(e, f, line);
      case 'bool': {
        const l = this.expr(e.left, f);
        if (e.op === 'and') return truthy(l, line) ? this.expr(e.right, f) : l;
        return truthy(l, line) ? l : this.expr(e.right, f);
      }
      case 'tuple':
        // `*xs` items (`[*x.shape, 1]`) expand to the items of the iterable.
        return { t: 'list', items: e.items.flatMap((x) => (x.k === 'unknown' && x.splat ? this.iterate(this.expr(x.splat, f), lineOf(x)) : [this.expr(x, f)])), tuple: !e.list };
      case 'cond':
        return truthy(this.expr(e.test, f), line) ? this.expr(e.body, f) : this.expr(e.orelse, f);
      case 'subscript':
        return this.subscript(e.obj, e.index, f, line);
      case 'slice':
      case 'ellipsis':
        throw new Unsupported(e.k, line);
      case 'lambda':
        if (this.capture?.fn === e.fn) this.capture.env = f.vars;
        return { t: 'fn', fn: e.fn, env: f.vars };
      case 'dict': {
        const d: Extract<Val, { t: 'dict' }> = { t: 'dict', entries: [] };
        e.keys.forEach((k, i) => {
          const v = this.expr(e.values[i], f);
          if (k === null) {
            if (v.t !== 'dict') throw new EvalError(`'${v.t}' object is not a mapping`, line, 'TypeError');
            for (const [kk, vv] of v.entries) this.dictSet(d, kk, vv);
          } else this.dictSet(d, this.expr(k, f), v);
        });
        return d;
      }
      case 'unknown':
        if (e.comp) return this.comprehension(e.comp, f, line);
        if (e.walrus) {
          // `name := value`: binds in the function's scope (a comprehension's enclosing one).
          const v = this.expr(e.walrus.value, f);
          let scope = f;
          while (scope.comp && scope.parent) scope = scope.parent;
          scope.vars.set(e.walrus.name, v);
          return v;
        }
        if (e.operands) return this.bitwise(e.what.replace(/^operator /, ''), this.expr(e.operands[0], f), this.expr(e.operands[1], f), line);
        if (e.fstr) return this.fstring(e.fstr, f, line);
        throw new Unsupported(e.what, line);
    }
  }

  /**
   * An f-string: its pieces' text, each interpolation's value converted (`!r`, `!s`) and formatted by
   * its spec as Python does for strings, numbers, booleans and None (pyformat.ts); a tensor or
   * another value, or a spec not modelled, is refused.
   */
  private fstring(parts: FStringPart[], f: Frame, line: number): Val {
    let out = '';
    let tensorText = false;
    for (const p of parts) {
      if (typeof p === 'string') {
        out += p;
        continue;
      }
      let v = this.expr(p.expr, f);
      // A one-element tensor under a number's spec (`f"{loss:.4f}"`) formats its number (PyTorch's and
      // TensorFlow's __format__ do); any other tensor's text (its repr) is not modelled: the f-string
      // is then opaque text, which printing or naming takes and computing with refuses.
      if (isTensor(v)) {
        if (!p.spec || p.conv || v.x.size !== 1) tensorText = true;
        else v = num(v.x.dataSync()[0], v.dt !== 'float');
        if (tensorText) continue;
      }
      const conv = p.conv === 'r' || p.conv === 'a' ? pyRepr(v) : p.conv === 's' ? pyStr(v) : undefined;
      const text = conv !== undefined ? pyFormat({ t: 'str', v: conv }, p.spec ?? '') : pyFormat(v, p.spec ?? '');
      if (text === undefined) throw new Unsupported(`f-string of ${this.what(v)}${p.spec ? ` with format spec '${p.spec}'` : ''}`, line);
      out += text;
    }
    return tensorText ? { t: 'ns', name: 'the text of a tensor (an f-string)' } : { t: 'str', v: out };
  }

  private dictSet(d: Extract<Val, { t: 'dict' }>, k: Val, v: Val): void {
    const at = d.entries.findIndex(([kk]) => pyKey(kk) === pyKey(k));
    if (at >= 0) d.entries[at][1] = v;
    else d.entries.push([k, v]);
  }

  /** A list, set, dict or generator comprehension (a generator is evaluated at once, as a list). */
  private comprehension(c: Comprehension, f: Frame, line: number): Val {
    const inner: Frame = { vars: new Map(), parent: f, self: f.self, cls: f.cls, comp: true };
    const items: Val[] = [];
    const entries: [Val, Val][] = [];
    let n = 0;
    const run = (g: number): void => {
      if (g === c.gens.length) {
        if (++n > MAX_LOOP * 16) throw new Unsupported(`a comprehension of more than ${MAX_LOOP * 16} items`, line);
        if (c.kind === 'dict') entries.push([this.expr(c.key!, inner), this.expr(c.elt, inner)]);
        else items.push(this.expr(c.elt, inner));
        return;
      }
      const gen = c.gens[g];
      for (const it of this.iterate(this.expr(gen.iter, g === 0 ? f : inner), line)) {
        this.assign(gen.target, it, inner);
        if (gen.ifs.every((cond) => truthy(this.expr(cond, inner), line))) run(g + 1);
      }
    };
    run(0);
    if (c.kind === 'dict') {
      const d: Extract<Val, { t: 'dict' }> = { t: 'dict', entries: [] };
      for (const [k, v] of entries) this.dictSet(d, k, v);
      return d;
    }
    if (c.kind === 'set') {
      const seen = new Set<unknown>();
      return { t: 'list', items: items.filter((x) => !seen.has(pyKey(x)) && !!seen.add(pyKey(x))), tuple: false };
    }
    return { t: 'list', items, tuple: false };
  }

  /** `| & ^ << >>` on Python ints and bools, and `| & ^` on boolean tensors (logical). */
  private bitwise(op: string, a: Val, b: Val, line: number): Val {
    const x = pyNumber(a);
    const y = pyNumber(b);
    if (x !== undefined && y !== undefined) {
      const r = op === '|' ? x | y : op === '&' ? x & y : op === '^' ? x ^ y : op === '<<' ? x << y : x >> y;
      if (a.t === 'bool' && b.t === 'bool' && ['|', '&', '^'].includes(op)) return { t: 'bool', v: r !== 0 };
      return num(r, true);
    }
    if (!isTensor(a) && !isTensor(b)) throw new Unsupported(`operator ${op} on ${a.t}`, line);
    const ta = this.toTensor(a, line);
    const tb = this.toTensor(b, line);
    if (ta.dt !== 'bool' || tb.dt !== 'bool' || !['|', '&', '^'].includes(op)) throw new Unsupported(`operator ${op} on ${ta.dt} tensors`, line);
    this.checkSize(tf.broadcast_util.assertAndGetBroadcastShape(ta.x.shape, tb.x.shape), line);
    const fn = op === '|' ? tf.logicalOr : op === '&' ? tf.logicalAnd : tf.logicalXor;
    return { t: 'tensor', x: fn(ta.x, tb.x), dt: 'bool' };
  }

  private qualifiedAttr(q: string): Val | undefined {
    const m = /^(?:torch|tensorflow|tensorflow\.dtypes|numpy|jax\.numpy|keras\.ops|keras\.backend)\.(\w+)$/.exec(q);
    if (m && m[1] in TORCH_DTYPES) return { t: 'dtype', dt: TORCH_DTYPES[m[1]] };
    const c = /^(?:math|numpy|jax\.numpy|torch)\.(inf|pi|e|nan|newaxis)$/.exec(q);
    if (c) return c[1] === 'newaxis' ? NONE : num(c[1] === 'inf' ? Infinity : c[1] === 'pi' ? Math.PI : c[1] === 'e' ? Math.E : NaN, false);
    // Keras' reduction constants are their strings.
    const r = /(?:^|\.)(?:losses(?:\.loss)?|losses_utils|loss_reduction)\.Reduction(?:V2)?\.(NONE|SUM|AUTO|SUM_OVER_BATCH_SIZE)$/.exec(q);
    if (r) return { t: 'str', v: r[1].toLowerCase() };
    return undefined;
  }

  private attr(o: Val, a: string, line: number): Val {
    // A value only the stood-in model's run reads (`state.batch_stats` in flax's variables): so is its attribute.
    if (o.t === 'model_input') return o;
    if (o.t === 'self') {
      const v = o.attrs.get(a);
      if (v) return v;
      const unset = o.unset?.get(a);
      if (unset) throw unset;
      const m = this.methodOf(o.cls, a);
      if (m) {
        // A staticmethod read from an instance is the plain function; a property is its getter's value.
        const kinds = m.decorators?.map((d) => dottedOf(d, this.mod));
        if (kinds?.includes('staticmethod')) return { t: 'fn', fn: m };
        if (kinds?.includes('property') || kinds?.includes('functools.cached_property')) return this.callFunction(m, [], {}, o);
        if (kinds?.includes('classmethod')) throw new Unsupported('a classmethod called on an instance', line);
        return { t: 'bound', fn: m, self: o };
      }
      // A Keras layer's or loss's dtype (`tf.cast(x, self.dtype)`): its dtype policy's, Keras'
      // default floatx 'float32' (the probes' dtype) where the constructor names none; Keras 3's Loss
      // has `dtype` too (`Loss(dtype=None)` is floatx), a Layer `compute_dtype` and `variable_dtype`.
      if (KERAS_DTYPE_ATTRS.has(a) && this.kerasDtypeBase(o.cls, a)) return { t: 'str', v: 'float32' };
      // AttributeError only where every base is a class of this module: a framework's base (nn.Module's
      // `training`) may set what is not modelled, so what catches the error is not known.
      const own = this.allBases(o.cls).every((b) => b === 'object' || this.mod.classes.has(b));
      throw new EvalError(`self.${a} is not set by __init__`, line, own ? 'AttributeError' : undefined);
    }
    if (o.t === 'ns' && o.name.startsWith('finfo:')) {
      // torch.finfo / numpy.finfo: the limits of the format asked for (core/floats.ts, as the abstract interpreter reads them).
      const v = FLOAT_INFO[o.name.slice(6) as keyof typeof FLOAT_INFO] as unknown as Record<string, number> | undefined;
      if (v && a in v) return num(v[a], false);
      throw new Unsupported(`finfo.${a}`, line);
    }
    if (o.t === 'ns' && o.name.startsWith('policy:')) {
      if (a === 'compute_dtype' || a === 'variable_dtype' || a === 'name') return { t: 'str', v: o.name.slice(7) };
      throw new Unsupported(`dtype policy .${a}`, line);
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
        case 'requires_grad':
          return { t: 'bool', v: o.dt === 'float' };
        case 'grad':
          return NONE;
        case 'is_leaf':
          return { t: 'bool', v: false };
        default:
          // A tensor method read without a call (`p.log` for `p.log()`): a bound method, not a tensor.
          if (resolveMethod(a) || resolveQualified(`torch.${a}`)) return { t: 'pymethod', recv: o, name: a };
          break;
      }
    }
    if (o.t === 'dtype') {
      if (a === 'base_dtype' || a === 'real_dtype') return o;
      if (a === 'is_floating') return { t: 'bool', v: o.dt === 'float' };
      if (a === 'is_floating_point') return { t: 'bool', v: o.dt === 'float' };
      if (a === 'is_signed') return { t: 'bool', v: o.dt !== 'bool' };
    }
    if (o.t === 'list' && o.tuple && a === 'rank') return num(o.items.length, true);
    // A TensorFlow TensorShape read as a tuple of its sizes: `.ndims` is its rank, `.dims` its sizes; a
    // size's `.value` is TensorFlow 1's Dimension read as the int it holds.
    if (o.t === 'list' && o.tuple && a === 'ndims' && o.items.every((d) => d.t === 'num' && d.int)) return num(o.items.length, true);
    if (o.t === 'list' && o.tuple && a === 'dims' && o.items.every((d) => d.t === 'num' && d.int)) return o;
    if (o.t === 'num' && o.int && a === 'value') return o;
    if (o.t === 'dataset') {
      if (a === 'label') return o.label;
      if (a === 'get_label') return { t: 'pymethod', recv: o, name: a };
      throw new Unsupported(`.${a} of the probes' Dataset (only get_label() and .label are modelled)`, line);
    }
    // A loss module's constructor argument (`loss_fcn.reduction`): the value it was built with, else its default.
    if (o.t === 'module') {
      const p = o.spell.sig.params.find((x) => x.name === a);
      if (p) {
        const v = o.args[p.canon];
        if (v) return v;
        if (p.hasDefault && p.raw === undefined) return moduleDefault(p.default ?? null);
      }
    }
    if (o.t === 'ns') {
      const full = `${o.name}.${a}`;
      const q = this.qualifiedAttr(full);
      if (q) return q;
      // `cfg.focal_loss_alpha` of `import config as cfg`: a value of another project file.
      const g = o.name.startsWith('class:') ? undefined : this.opts.imported?.resolveGlobal(full);
      if (g) return this.foreignGlobal(g, line);
      // A value of a module the check cannot read whose role the probes assumed a typical value for (absent-values.ts).
      return this.opts.assumed?.get(full) ?? { t: 'ns', name: full };
    }
    this.noAttribute(o, a, line);
    throw new Unsupported(`.${a}`, line);
  }

  /** Python's AttributeError for an attribute that a number, a bool or None does not have (`gamma.read_value()` of a float). */
  private noAttribute(o: Val, a: string, line: number): void {
    const known = o.t === 'num' || o.t === 'bool' ? NUMBER_ATTRS.has(a) : o.t === 'none' ? false : true;
    if (!known && !a.startsWith('__')) throw new EvalError(`AttributeError: '${pyTypeName(o)}' object has no attribute '${a}'`, line, 'AttributeError');
  }

  private compare(e: Extract<Expr, { k: 'cmp' }>, f: Frame, line: number): Val {
    const vals = e.operands.map((x) => this.expr(x, f));
    // `mask is not None` with a tensor: identity, never an elementwise comparison.
    if (vals.some(isTensor) && e.ops.every((op) => /^is( not)?$/.test(op.replace(/\s+/g, ' ')))) {
      const same = (a: Val, b: Val): boolean => a === b || (a.t === 'none' && b.t === 'none') || (isTensor(a) && isTensor(b) && a.x === b.x);
      return { t: 'bool', v: e.ops.every((op, i) => same(vals[i], vals[i + 1]) === (op.replace(/\s+/g, ' ') === 'is')) };
    }
    // `weights != None` with a tensor: PyTorch, TensorFlow and JAX answer by identity (a Python bool:
    // False for ==, True for !=), not elementwise; the probes' tensors are those frameworks' own.
    if (vals.length === 2 && vals.some(isTensor) && vals.some((v) => v.t === 'none') && /^[!=]=$/.test(e.ops[0])) return { t: 'bool', v: e.ops[0] === '!=' };
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
    let shape: number[];
    try {
      shape = tf.broadcast_util.assertAndGetBroadcastShape(x.x.shape, y.x.shape);
    } catch {
      throw new EvalError(`shapes [${x.x.shape}] and [${y.x.shape}] do not broadcast for ${op}`, line);
    }
    this.checkSize(shape, line);
    // A comparison ends the graph in PyTorch; tfjs would try to differentiate it (torchops.ts cut).
    // Traced as `cmp:<op>` (a refusal for a loss with no gradient names it, no-gradient.ts).
    this.trace.add(`cmp:${op}`);
    return { t: 'tensor', x: fn(P.cut(x.x), P.cut(y.x)), dt: 'bool' };
  }

  private pyCompare(op: string, a: Val, b: Val, line: number): boolean {
    const key = pyKey;
    const norm = op.replace(/\s+/g, ' ');
    switch (norm) {
      case 'is':
        return a.t === 'list' || a.t === 'dict' ? a === b : key(a) === key(b);
      case '==':
        return key(a) === key(b);
      case 'is not':
        return a.t === 'list' || a.t === 'dict' ? a !== b : key(a) !== key(b);
      case '!=':
        return key(a) !== key(b);
      case 'in':
      case 'not in': {
        let found: boolean;
        if (b.t === 'list') found = b.items.some((x) => key(x) === key(a));
        else if (b.t === 'dict') found = b.entries.some(([x]) => key(x) === key(a));
        else if (b.t === 'range') found = rangeItems(b).some((x) => key(x) === key(a));
        else if (b.t === 'str' && a.t === 'str') found = b.v.includes(a.v);
        else throw new Unsupported(`${norm} ${b.t}`, line);
        return norm === 'in' ? found : !found;
      }
      default: {
        const x = pyNumber(a);
        const y = pyNumber(b);
        // `None > 0` raises TypeError in Python 3.
        if ((a.t === 'none' && (y !== undefined || b.t === 'none')) || (b.t === 'none' && x !== undefined)) throw new EvalError(`TypeError: '${norm}' not supported between ${a.t} and ${b.t}`, line, 'TypeError');
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
    // A value read from a module the interpreter does not know (`cfg.alpha` of `import config as cfg`).
    if (v.t === 'ns') throw new Unsupported(this.what(v), line);
    // `p.log` for `p.log()`: the code's own bug, which Python passes on as a bound method and the op raises on.
    if (v.t === 'pymethod') throw new EvalError(`TypeError: expected a tensor, got the method .${v.name} (read without a call: a bug in the code, \`.${v.name}()\` computes it; the framework raises here)`, line, 'TypeError');
    throw new EvalError(`expected a tensor, got ${v.t}`, line);
  }

  /** A value for a message: a name read from a module is that name (`config.focal_loss_alpha`). */
  private what(v: Val): string {
    if (v.t === 'ns') {
      if (v.name.startsWith('class:')) return `class ${v.name.slice(6)}`;
      // An opaque value the interpreter names in words (a TensorBoard summary, a tensor's text), no module's.
      if (/\s/.test(v.name)) return v.name;
      const why = this.opts.imported?.missing(v.name);
      return `${v.name} (${why ?? 'a value of a module the check does not read'})`;
    }
    return pyTypeName(v);
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
          if (y === 0) throw new EvalError('ZeroDivisionError: division by zero', line, 'ZeroDivisionError');
          return num(x / y, false);
        case '//':
          if (y === 0) throw new EvalError('ZeroDivisionError: division by zero', line, 'ZeroDivisionError');
          return num(Math.floor(x / y), bothInt);
        case '%':
          if (y === 0) throw new EvalError('ZeroDivisionError: modulo by zero', line, 'ZeroDivisionError');
          return num(x - y * Math.floor(x / y), bothInt);
        case '**':
          return num(x ** y, bothInt && y >= 0);
        default:
          throw new Unsupported(op, line);
      }
    }
    if (a.t === 'list' && b.t === 'list' && op === '+') {
      if (a.tuple !== b.tuple) throw new EvalError(`TypeError: can only concatenate ${a.tuple ? 'tuple' : 'list'} (not "${b.tuple ? 'tuple' : 'list'}") to ${a.tuple ? 'tuple' : 'list'}`, line, 'TypeError');
      return { t: 'list', items: [...a.items, ...b.items], tuple: a.tuple };
    }
    if (a.t === 'str' && b.t === 'str' && op === '+') return { t: 'str', v: a.v + b.v };
    if (op === '*' && (a.t === 'str' || a.t === 'list' || b.t === 'str' || b.t === 'list')) {
      const [seq, k] = a.t === 'str' || a.t === 'list' ? [a, b] : [b, a];
      const n = k.t === 'bool' ? Number(k.v) : k.t === 'num' && k.int ? k.v : undefined;
      if (n !== undefined && n <= MAX_LOOP * 16) {
        if (seq.t === 'str') return { t: 'str', v: seq.v.repeat(Math.max(0, n)) };
        if (seq.t === 'list') return { t: 'list', items: Array.from({ length: Math.max(0, n) }, () => seq.items).flat(), tuple: seq.tuple };
      }
    }
    // Python values of the kinds modelled here: their other combinations raise TypeError (string formatting with % aside).
    const plain = (v: Val): boolean => ['num', 'bool', 'none', 'str', 'list', 'dict'].includes(v.t);
    if (!isTensor(a) && !isTensor(b)) {
      if (plain(a) && plain(b) && !(op === '%' && a.t === 'str')) throw new EvalError(`TypeError: unsupported operand type(s) for ${op}: '${pyTypeName(a)}' and '${pyTypeName(b)}'`, line, 'TypeError');
      throw new Unsupported(`${op} on ${this.what(a)} and ${this.what(b)}`, line);
    }
    if (a.t === 'ns' || b.t === 'ns') throw new Unsupported(this.what(a.t === 'ns' ? a : b), line);
    if (op === '@') {
      const [ta, tb] = [this.toTensor(a, line), this.toTensor(b, line)];
      if (ta.dt !== tb.dt) throw new EvalError(`@: expected both operands of one dtype, got ${ta.dt} and ${tb.dt}`, line);
      const f = (x: T): T => (ta.dt === 'float' ? x : tf.cast(x, 'float32'));
      const r = matmulTensors(KERNELS, f(ta.x), f(tb.x), (m) => {
        throw new EvalError(m, line);
      }) as T;
      const dt: DType = ta.dt === 'float' ? 'float' : 'int';
      this.checkSize(r.shape, line);
      return { t: 'tensor', x: dt === 'float' ? r : tf.cast(r, 'int32'), dt };
    }
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
    if (obj.t === 'dict') {
      const key = this.expr(index.length === 1 ? index[0] : { k: 'tuple', items: index, list: false, span: index[0].span }, f);
      const hit = obj.entries.find(([k]) => pyKey(k) === pyKey(key));
      if (!hit) throw new EvalError(`KeyError: ${describe(key)}`, line, 'KeyError');
      return hit[1];
    }
    if (obj.t === 'list' || obj.t === 'str' || obj.t === 'range') {
      const seq: Val[] = obj.t === 'list' ? obj.items : obj.t === 'range' ? rangeItems(obj) : [...obj.v].map((ch) => ({ t: 'str', v: ch }) as Val);
      if (items.length !== 1) throw new Unsupported(`multi-index of a ${obj.t}`, line);
      const it = items[0];
      if (it.k === 'slice') {
        const idx = this.sliceIndices(it, seq.length, f, line);
        const out = idx.map((i) => seq[i]);
        if (obj.t === 'str') return { t: 'str', v: out.map((x) => (x.t === 'str' ? x.v : '')).join('') };
        return { t: 'list', items: out, tuple: obj.t === 'list' ? obj.tuple : true };
      }
      const k = pyNumber(this.expr(it, f));
      if (k === undefined || !Number.isInteger(k)) throw new Unsupported(`${obj.t} index`, line);
      const v = seq[k < 0 ? seq.length + k : k];
      if (!v) throw new EvalError(`${obj.t} index out of range`, line, 'IndexError');
      return v;
    }
    // Python: TypeError ('float' object is not subscriptable).
    if (obj.t === 'num' || obj.t === 'none' || obj.t === 'bool') {
      const named = objE.k === 'name' ? objE.id : objE.k === 'attr' && objE.obj.k === 'name' ? `${objE.obj.id}.${objE.attr}` : undefined;
      throw new EvalError(`TypeError: '${pyTypeName(obj)}' object is not subscriptable${named ? ` (\`${named}\` is ${obj.t === 'none' ? 'None' : obj.t === 'bool' ? (obj.v ? 'True' : 'False') : describe(obj)})` : ''}`, line, 'TypeError');
    }
    if (!isTensor(obj)) throw new Unsupported(`indexing of ${obj.t}`, line);
    return this.indexTensor(obj, items, f, line);
  }

  /** The positions a Python slice `lo:hi:step` takes of a sequence of `size` items. */
  private sliceIndices(it: Extract<Expr, { k: 'slice' }>, size: number, f: Frame, line: number): number[] {
    const bound = (e: Expr | undefined): number | undefined => {
      if (!e) return undefined;
      const v = this.expr(e, f);
      if (v.t === 'none') return undefined;
      const n = pyNumber(v) ?? (isTensor(v) && v.x.size === 1 && v.dt !== 'float' ? v.x.dataSync()[0] : undefined);
      if (n === undefined || !Number.isInteger(n)) throw new Unsupported('slice bound', line);
      return n;
    };
    const step = bound(it.step) ?? 1;
    if (step === 0) throw new EvalError('slice step cannot be zero', line, 'ValueError');
    let lo = bound(it.lower);
    let hi = bound(it.upper);
    const out: number[] = [];
    if (step > 0) {
      lo = lo === undefined ? 0 : lo < 0 ? Math.max(0, size + lo) : Math.min(lo, size);
      hi = hi === undefined ? size : hi < 0 ? Math.max(0, size + hi) : Math.min(hi, size);
      for (let i = lo; i < hi; i += step) out.push(i);
    } else {
      lo = lo === undefined ? size - 1 : lo < 0 ? Math.max(-1, size + lo) : Math.min(lo, size - 1);
      hi = hi === undefined ? -1 : hi < 0 ? Math.max(-1, size + hi) : Math.min(hi, size - 1);
      for (let i = lo; i > hi; i += step) out.push(i);
    }
    return out;
  }

  /**
   * PyTorch's (numpy's) indexing of a tensor: slices (any step), ints, None, Ellipsis, and advanced
   * indices (integer tensors or lists, boolean masks as the integer indices of their true elements,
   * ranges); ints count as advanced indices when there are some. Advanced indices go first in the
   * result, or where they stand when they are next to each other.
   */
  private indexTensor(obj: Extract<Val, { t: 'tensor' }>, items: Expr[], f: Frame, line: number): Extract<Val, { t: 'tensor' }> {
    // One list holding a tensor (`x[[rows, cols]]`, `mask = [a, arange(c), *b]; x[mask]`): PyTorch
    // reads it as the tuple of its items (numpy's legacy rule, which torch keeps).
    if (items.length === 1 && items[0].k !== 'slice' && items[0].k !== 'ellipsis' && !(items[0].k === 'const' && items[0].value === null)) {
      const v = this.expr(items[0], f);
      const asTuple = v.t === 'list' && !v.tuple && v.items.some(isTensor);
      const vals = asTuple ? (v as Extract<Val, { t: 'list' }>).items : [v];
      const frame: Frame = { vars: new Map(vals.map((val, i): [string, Val] => [`__idx${i}`, val])), parent: f };
      const span = items[0].span;
      return this.indexTensorOf(obj, vals.map((_, i): Expr => ({ k: 'name', id: `__idx${i}`, span })), frame, line);
    }
    return this.indexTensorOf(obj, items, f, line);
  }

  private indexTensorOf(obj: Extract<Val, { t: 'tensor' }>, items: Expr[], f: Frame, line: number): Extract<Val, { t: 'tensor' }> {
    type D = { k: 'ellipsis' } | { k: 'new' } | { k: 'slice'; e: Extract<Expr, { k: 'slice' }> } | { k: 'int'; n: number } | { k: 'adv'; t: T } | { k: 'mask'; t: T };
    const ds: D[] = items.map((it): D => {
      if (it.k === 'ellipsis') return { k: 'ellipsis' };
      if (it.k === 'const' && it.value === null) return { k: 'new' };
      if (it.k === 'slice') return { k: 'slice', e: it };
      const v = this.expr(it, f);
      if (v.t === 'none') return { k: 'new' };
      const n = pyNumber(v);
      if (n !== undefined && v.t !== 'bool') {
        if (!Number.isInteger(n)) throw new EvalError('only integers, slices, None, Ellipsis and integer or boolean tensors are valid indices', line);
        return { k: 'int', n };
      }
      if (v.t === 'range') return { k: 'adv', t: tf.tensor1d(rangeItems(v).map((x) => (x as { v: number }).v), 'int32') };
      if (isTensor(v) || v.t === 'list') {
        const tv = this.toTensor(v, line);
        if (tv.dt === 'bool') return { k: 'mask', t: tv.x };
        if (tv.dt === 'float') throw new EvalError('tensors used as indices must be long, int or bool', line);
        return { k: 'adv', t: tv.x };
      }
      // PyTorch raises TypeError; a function that does this reads a mapping (`batch["logits"]`), which the probes do not pass.
      if (v.t === 'str') throw new Unsupported(`a tensor indexed by the string ${JSON.stringify(v.v)} (the function reads a mapping where the probes pass a tensor)`, line);
      throw new Unsupported(`index of ${v.t}`, line);
    });
    let x = obj.x;
    const consumed = ds.reduce((n, d) => n + (d.k === 'mask' ? d.t.shape.length || 1 : d.k === 'ellipsis' || d.k === 'new' ? 0 : 1), 0);
    if (consumed > x.shape.length) throw new EvalError(`too many indices for tensor of dimension ${x.shape.length}`, line);
    const hasAdv = ds.some((d) => d.k === 'adv' || d.k === 'mask');
    const adv: { axis: number; t: T }[] = [];
    const squeeze: number[] = [];
    let axis = 0;
    for (const d of ds) {
      switch (d.k) {
        case 'ellipsis':
          axis += obj.x.shape.length - consumed;
          break;
        case 'new':
          x = tf.expandDims(x, axis);
          axis++;
          break;
        case 'slice': {
          const size = x.shape[axis];
          const idx = this.sliceIndices(d.e, size, f, line);
          const step = idx.length > 1 ? idx[1] - idx[0] : 1;
          if (idx.length === size && step === 1) {
            // x[:] and friends: nothing to do.
          } else if (step === 1 && idx.length) {
            x = tf.slice(x, x.shape.map((_, i) => (i === axis ? idx[0] : 0)), x.shape.map((s0, i) => (i === axis ? idx.length : s0)));
          } else if (!idx.length) {
            x = tf.slice(x, x.shape.map(() => 0), x.shape.map((s0, i) => (i === axis ? 0 : s0)));
          } else x = KERNELS.take(x, tf.tensor1d(idx, 'int32'), axis) as T;
          axis++;
          break;
        }
        case 'int': {
          const size = x.shape[axis];
          const i = d.n < 0 ? size + d.n : d.n;
          if (i < 0 || i >= size) throw new EvalError(`index ${d.n} is out of bounds for dimension ${axis} with size ${size}`, line);
          if (hasAdv) adv.push({ axis, t: tf.scalar(i, 'int32') });
          else {
            x = tf.slice(x, x.shape.map((_, j) => (j === axis ? i : 0)), x.shape.map((s0, j) => (j === axis ? 1 : s0)));
            squeeze.push(axis);
          }
          axis++;
          break;
        }
        case 'adv': {
          const size = x.shape[axis];
          for (const q of d.t.dataSync()) if (q >= size || q < -size) throw new EvalError(`index ${q} is out of bounds for dimension ${axis} with size ${size}`, line);
          adv.push({ axis, t: tf.cast(d.t, 'int32') });
          axis++;
          break;
        }
        case 'mask': {
          const k = d.t.shape.length;
          if (k === 0) throw new Unsupported('a 0-d boolean index', line);
          const dims = x.shape.slice(axis, axis + k);
          if (dims.join() !== d.t.shape.join()) throw new EvalError(`The shape of the mask [${d.t.shape}] at index ${axis} does not match the shape of the indexed tensor [${x.shape}]`, line);
          // The mask's true elements, as k integer index vectors (torch: mask.nonzero()).
          const m = d.t.dataSync();
          const strides = tf.util.computeStrides(d.t.shape);
          const coords: number[][] = Array.from({ length: k }, () => []);
          for (let i = 0; i < m.length; i++) {
            if (!m[i]) continue;
            let r = i;
            for (let a = 0; a < k; a++) {
              const st = a < k - 1 ? strides[a] : 1;
              coords[a].push(Math.floor(r / st));
              r %= st;
            }
          }
          for (let a = 0; a < k; a++) adv.push({ axis: axis + a, t: tf.tensor1d(coords[a], 'int32') });
          axis += k;
          break;
        }
      }
    }
    if (adv.length) {
      const axes = adv.map((a) => a.axis);
      const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const perm = [...axes, ...rest];
      const moved = perm.every((p, i) => p === i) ? x : tf.transpose(x, perm);
      let g = P.gatherAdvanced(moved, adv.map((a) => a.t));
      const adjacent = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
      const b = g.shape.length - rest.length;
      if (adjacent && axes[0] > 0) {
        // The advanced dims stand where the advanced indices stood.
        const a0 = rest.filter((r) => r < axes[0]).length;
        const order = [...Array.from({ length: a0 }, (_, i) => b + i), ...Array.from({ length: b }, (_, i) => i), ...Array.from({ length: rest.length - a0 }, (_, i) => b + a0 + i)];
        g = tf.transpose(g, order);
      }
      x = g;
    }
    if (squeeze.length) x = tf.squeeze(x, squeeze);
    this.checkSize(x.shape, line);
    return { t: 'tensor', x, dt: obj.dt };
  }

  // --- calls -------------------------------------------------------------------------------------

  private call(c: Call, f: Frame): Val {
    const line = lineOf(c);
    const name = calleeName(c);
    // Special forms before evaluating the callee.
    if (c.func.k === 'call' && c.func.func.k === 'name' && c.func.func.id === 'super') return NONE;
    // A model's forward pass given the stand-in as its parameters (`net.apply(params, x)`,
    // `state.apply_fn({"params": params}, x)`): the probe's prediction, the model itself never read.
    // The model run through `jax.vmap(model)(x)`, or the module's forward function given the stand-in
    // (`net(params, x)`; entry-inputs.ts modelStandIn): the probe's prediction for the whole batch.
    const held0 = c.func.k === 'call' && c.func.callee === 'jax.vmap' ? c.func.args[0] : c.func.k === 'name' && !c.op ? c.args[0] : undefined;
    if (held0?.k === 'name') {
      let v: Val | undefined;
      for (let fr: Frame | undefined = f; fr && !v; fr = fr.parent) v = fr.vars.get(held0.id);
      if (v?.t === 'standin') return c.func.k === 'name' ? this.forwardOut(c.func.id, v.out, line) : v.out;
      // A local bound to a model's apply (`forward = state.apply_fn`) given flax's variables built before it.
      const at = v?.t === 'dict' ? v.entries.find(([k]) => k.t === 'str' && k.v === 'params')?.[1] : undefined;
      if (at?.t === 'standin' && c.func.k === 'name') return at.out;
    }
    // The same local given `{"params": params}` written in the call.
    if (c.func.k === 'name' && !c.op && held0?.k === 'dict') {
      const i = held0.keys.findIndex((k) => k?.k === 'str' && k.value === 'params');
      const h = i >= 0 ? held0.values[i] : undefined;
      let v: Val | undefined;
      for (let fr: Frame | undefined = f; fr && !v && h?.k === 'name'; fr = fr.parent) v = fr.vars.get(h.id);
      if (v?.t === 'standin') return v.out;
    }
    if (c.func.k === 'attr' && /^apply(_fn)?$/.test(c.func.attr) && c.args[0]) {
      const a0 = c.args[0];
      const held = a0.k === 'name' ? [a0] : a0.k === 'dict' ? a0.values.filter((v, i) => { const k = a0.keys[i]; return k?.k === 'str' && k.value === 'params' && v.k === 'name'; }) : [];
      for (const h of held) {
        let v: Val | undefined;
        for (let fr: Frame | undefined = f; fr && !v && h.k === 'name'; fr = fr.parent) v = fr.vars.get(h.id);
        if (v?.t === 'standin') return v.out;
        // flax's variables built before the run (`variables = {"params": params, ...}`): the stand-in at "params".
        const at = v?.t === 'dict' ? v.entries.find(([k]) => k.t === 'str' && k.v === 'params')?.[1] : undefined;
        if (at?.t === 'standin') return at.out;
      }
    }
    if (c.func.k === 'attr' && c.func.obj.k === 'call' && c.func.obj.func.k === 'name' && c.func.obj.func.id === 'super') {
      // super().method(...): the method of a base class defined in this module; a framework base's
      // __init__ (nn.Module, keras Loss) sets nothing the probes read.
      const self = this.name('self', f, line);
      const m = f.defCls && this.baseMethod(f.defCls, c.func.attr);
      if (m && self.t === 'self') {
        if (c.splat && !c.star) throw new Unsupported('*args in a call', line);
        const { pos, kw } = this.args(c, f);
        return this.callFunction(m, pos, kw, self);
      }
      if (c.func.attr === '__init__') {
        // A library module as the base (`class Focal(nn.CrossEntropyLoss)`): the IR bound its constructor's arguments.
        if (c.baseInit && c.spell?.kind === 'module' && c.bound && self.t === 'self') {
          if (c.splat && !this.emptyVarargs(f, c)) throw new Unsupported('*args in a call', line);
          self.base = { t: 'module', spell: c.spell, args: this.forceArgs(this.lazyArgs(c.bound, f)), line };
        }
        return this.frameworkInit(self, f.defCls, c, f);
      }
      if (c.func.attr === 'forward' && self.t === 'self' && (self.base?.spell.framework === 'torch' || self.base?.spell.framework === 'lib')) return this.baseForward(self, self.base, c, f, line);
      throw new Unsupported(`super().${c.func.attr}`, line);
    }
    if (c.func.k === 'attr' && c.func.attr === '__init__') {
      // Base.__init__(self, ...): a base of this module runs; a framework's sets nothing we read.
      const base = c.func.obj.k === 'name' ? this.mod.classes.get(c.func.obj.id) : undefined;
      const init = base && this.initOf(base);
      if (init && c.args.length) {
        if (c.splat && !c.star) throw new Unsupported('*args in a call', line);
        const { pos, kw } = this.args(c, f);
        return this.callFunction(init, pos.slice(1), kw, pos[0]);
      }
      if (c.func.obj.k === 'name' || c.func.obj.k === 'attr') {
        const self = c.args[0] ? this.expr(c.args[0], f) : NONE;
        return this.frameworkInit(self, f.defCls, { ...c, args: c.args.slice(1) }, f);
      }
      return NONE;
    }
    if (c.func.k === 'attr' && c.func.attr === 'register_buffer') {
      const self = this.expr(c.func.obj, f);
      const key = this.expr(c.args[0] ?? c.kwargs.name, f);
      if (self.t === 'self' && key.t === 'str') self.attrs.set(key.v, this.expr(c.args[1] ?? c.kwargs.tensor, f));
      return NONE;
    }
    // `f(x, **kwargs)` of a function of this module (not of an op: its binding is the IR's, made
    // without the mapping's keys) passes the mapping's keywords on (args()).
    // A lone `*xs` (`Call.star`): its items are spliced into the positional arguments (args()), and an
    // op's binding, made without them, is made again (starBound).
    if (c.splat && !c.star && !(c.kwsplat && !c.op)) throw new Unsupported('*args in a call', line);
    // torch.FloatTensor(N, C) (a legacy constructor given sizes): a tensor of that size. Its memory is
    // not initialised in PyTorch; here it is zeros (the code that builds one fills it: `.zero_()`).
    const legacy = c.spell?.op.id === 'tensor' && /^torch\.(cuda\.)?(Float|Long|Double|Int|Byte|Bool|Half)?Tensor$/.test(c.spell.name) ? /^torch\.(?:cuda\.)?(\w*)Tensor$/.exec(c.spell.name)![1] : undefined;
    if (legacy !== undefined && (c.args.length >= 1 || c.star) && !Object.keys(c.kwargs).length) {
      const sizes = this.args(c, f).pos;
      const flat = sizes.length === 1 && sizes[0].t === 'list' && sizes[0].tuple ? sizes[0].items : sizes;
      if (flat.every((v) => v.t === 'num' && v.int)) {
        this.uninitialised(c, f, line, true);
        const shape = flat.map((v) => (v as { v: number }).v);
        this.checkSize(shape, line);
        const dt: DType = legacy === 'Long' || legacy === 'Int' || legacy === 'Byte' ? 'int' : legacy === 'Bool' ? 'bool' : 'float';
        return { t: 'tensor', x: tf.zeros(shape, tfDtype(dt)), dt };
      }
    }
    if (c.op && c.spell && c.bound && !(c.method && c.func.k === 'attr' && this.isSelfCallable(c.func.obj, c.func.attr, f))) {
      if (c.op.id === 'zeros' || c.op.id === 'zeros_like') this.uninitialised(c, f, line, false);
      if (c.method && c.func.k === 'attr') {
        // A method spelled like a tensor op applies only to a tensor (`xs.sort()` of a list does not).
        const recv = this.expr(c.func.obj, f);
        // A module held in a variable (an injected `backend`): `backend.sum(x)` is the module's function.
        if (recv.t === 'ns' && !recv.name.includes(':')) return this.nsCall(`${recv.name}.${c.func.attr}`, c, f, line);
        if (!isTensor(recv) && recv.t !== 'num' && recv.t !== 'bool') return this.pyMethod(recv, c.func.attr, c, f, line);
        this.trace.add(c.op.id);
        if (c.star) return this.lowerOp(c.spell, this.starBound(c, f, line, recv), c, line);
        const args = this.lazyArgs(c.bound, f);
        args[c.spell.receiver ?? 'input'] = () => recv;
        return this.lowerOp(c.spell, args, c, line);
      }
      this.trace.add(c.op.id);
      if (c.star) {
        const bound = this.starBound(c, f, line);
        if (c.spell.kind === 'module') return { t: 'module', spell: c.spell, args: this.forceArgs(bound), line };
        return this.lowerOp(c.spell, bound, c, line);
      }
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
      if (recv.t === 'ns') {
        if (recv.name.startsWith('class:')) {
          // Class.method(...): a function of the class (a staticmethod, or an explicit self).
          const cls = this.mod.classes.get(recv.name.slice(6));
          if (cls && c.func.attr === 'apply' && this.isAutogradFunction(cls)) {
            const { pos, kw } = this.args(c, f);
            return this.functionApply(cls, pos, kw, line);
          }
          const m = cls && this.methodOf(cls, c.func.attr);
          if (m) {
            const { pos, kw } = this.args(c, f);
            return this.callFunction(m, pos, kw);
          }
        }
        return this.nsCall(`${recv.name}.${c.func.attr}`, c, f, line);
      }
      return this.pyMethod(recv, c.func.attr, c, f, line);
    }
    if (c.callee) return this.nsCall(c.callee, c, f, line);
    const fv = this.expr(c.func, f);
    return this.apply(fv, c, f, line, name);
  }

  /**
   * `super().forward(input, target)` in a subclass of a PyTorch library module: the module's op with
   * its constructor's arguments, each read again from the instance's attribute of the same name when
   * the subclass set one (PyTorch's modules read `self.reduction`, `self.ignore_index`, ... at call time;
   * `size_average` and `reduce` are folded into `reduction` by the constructor and not read).
   */
  private baseForward(self: Extract<Val, { t: 'self' }>, base: Extract<Val, { t: 'module' }>, c: Call, f: Frame, line: number): Val {
    if (c.splat) throw new Unsupported('*args in a call', line);
    const args = { ...base.args };
    const torchNn = base.spell.name.startsWith('torch.nn.');
    for (const p of base.spell.sig.params) {
      if (p.name === 'size_average' || p.name === 'reduce') continue;
      const v = self.attrs.get(p.name);
      if (!v) continue;
      // Another library's module may not read that attribute back: what it computes is not known.
      if (!torchNn) throw new Unsupported(`super().forward of ${base.spell.name} after self.${p.name} is set`, line);
      args[p.canon] = v;
    }
    const { pos, kw } = this.args(c, f);
    return this.applyValues({ ...base, args }, pos, kw, c, line, `super().forward`);
  }

  /**
   * Whether `cls` derives from a Keras class that holds dtype attribute `a`: a Layer (a Model is one)
   * holds dtype, compute_dtype and variable_dtype, a Loss only dtype.
   */
  private kerasDtypeBase(cls: ClassIR, a: string): boolean {
    const bases = this.allBases(cls).map((b) => this.qualifiedBase(b));
    const keras = /^(tensorflow\.keras|keras|tf_keras|tensorflow\.python\.keras)(\.src)?\./;
    const layer = bases.some((b) => keras.test(b) && /\.(layers\.(\w+\.)?Layer|engine\.base_layer\.Layer|Model|models\.Model)$/.test(b));
    const loss = bases.some((b) => keras.test(b) && /\.losses(\.loss)?\.Loss$/.test(b));
    if (!layer && !(loss && a === 'dtype')) return false;
    // A dtype passed on by name (`super().__init__(dtype=...)`) is not modelled; `**kwargs` passed on
    // are the probes' (none).
    const init = this.methodOf(cls, '__init__');
    let named = false;
    for (const st of init ? stmtsOf(init.body) : []) for (const r of stmtRoots(st)) forEachExpr(r, (e) => void (named ||= e.k === 'call' && e.func.k === 'attr' && e.func.attr === '__init__' && 'dtype' in e.kwargs));
    return !named;
  }

  /** A base class name as its qualified name (`nn.Module` -> `torch.nn.Module`). */
  private qualifiedBase(b: string): string {
    const [head, ...rest] = b.split('.');
    const imp = this.mod.imports.get(head);
    return imp ? [imp, ...rest].join('.') : b;
  }

  /**
   * A framework base's __init__ (through super() or Base.__init__(self)): what it sets that losses
   * read. PyTorch's `_Loss` sets `reduction` (from the legacy `size_average` / `reduce` when given)
   * and `_WeightedLoss` also `weight`; a Keras `Loss` sets `reduction` and `name`. Other bases
   * (nn.Module, a Keras Layer) set nothing the probes read.
   */
  private frameworkInit(self: Val, cls: ClassIR | undefined, c: Call, f: Frame): Val {
    if (self.t !== 'self' || !cls) return NONE;
    const bases = this.allBases(cls).map((b) => this.qualifiedBase(b));
    const torchLoss = bases.some((b) => /^torch\.nn\.(modules\.loss\.)?_(Weighted)?Loss$/.test(b));
    const kerasLoss = bases.some((b) => /^(tensorflow\.keras|keras|tf_keras)(\.src)?\.losses(\.loss)?\.Loss$/.test(b));
    if (!torchLoss && !kerasLoss) return NONE;
    // `super().__init__(**kwargs)`: the IR keeps no splatted expression; passing on the caller's own
    // *args / **kwargs is passing nothing when those are empty (the probes build with no arguments).
    if (c.splat && !this.emptyVarargs(f, c)) throw new Unsupported('*args in a call', lineOf(c));
    const { pos, kw } = this.args(c, f);
    if (torchLoss) {
      const weighted = bases.some((b) => /_WeightedLoss$/.test(b));
      const names = weighted ? ['weight', 'size_average', 'reduce', 'reduction'] : ['size_average', 'reduce', 'reduction'];
      const arg = (n: string): Val | undefined => kw[n] ?? pos[names.indexOf(n)];
      const sa = arg('size_average');
      const rd = arg('reduce');
      let reduction: Val = arg('reduction') ?? { t: 'str', v: 'mean' };
      if ((sa && sa.t !== 'none') || (rd && rd.t !== 'none')) {
        const s0 = sa && sa.t !== 'none' ? truthy(sa, lineOf(c)) : true;
        const r0 = rd && rd.t !== 'none' ? truthy(rd, lineOf(c)) : true;
        reduction = { t: 'str', v: s0 && r0 ? 'mean' : r0 ? 'sum' : 'none' };
      }
      self.attrs.set('reduction', reduction);
      if (weighted) self.attrs.set('weight', arg('weight') ?? NONE);
    } else {
      self.attrs.set('reduction', kw.reduction ?? pos[0] ?? { t: 'str', v: 'sum_over_batch_size' });
      self.attrs.set('name', kw.name ?? pos[1] ?? NONE);
    }
    return NONE;
  }

  /** Whether the running function's *args and **kwargs (if any) are empty. */
  private emptyVarargs(f: Frame, c?: Call): boolean {
    // The running function's own *args / **kwargs, where known and the call passes its `**kwargs`
    // (the only splat): another parameter holding a dict (a class-weight mapping the probes gave) is
    // not what the call passes on.
    if (f.varargs && c?.kwsplat?.k === 'name' && f.varargs.includes(c.kwsplat.id)) {
      return f.varargs.every((n) => {
        const v = f.vars.get(n);
        return !v || (v.t === 'dict' && !v.entries.length) || (v.t === 'list' && !v.items.length);
      });
    }
    for (const v of f.vars.values()) {
      if (v.t === 'dict' && v.entries.length) return false;
    }
    for (const v of f.vars.values()) if (v.t === 'list' && v.tuple && v.items.length && f.vars.size > 0) return false;
    return true;
  }

  /** Every base class name of `cls` and of its bases defined in this module. */
  private allBases(cls: ClassIR, seen = new Set<ClassIR>()): string[] {
    if (seen.has(cls)) return [];
    seen.add(cls);
    const out: string[] = [];
    for (const b of cls.bases) {
      out.push(b);
      const own = this.mod.classes.get(b);
      if (own) out.push(...this.allBases(own, seen));
    }
    return out;
  }

  /** A method of a base of `cls` (not of `cls` itself): what `super().name` finds in this module. */
  private baseMethod(cls: ClassIR, name: string): FunctionIR | undefined {
    for (const b of cls.bases) {
      const base = this.mod.classes.get(b);
      const m = base && this.methodOf(base, name);
      if (m) return m;
    }
    return undefined;
  }

  private isSelfCallable(obj: Expr, attr: string, f: Frame): boolean {
    if (obj.k !== 'name' || obj.id !== 'self') return false;
    const s = this.name('self', f, 0);
    return s.t === 'self' && (s.attrs.has(attr) || !!this.methodOf(s.cls, attr));
  }

  private args(c: Call, f: Frame): { pos: Val[]; kw: Record<string, Val> } {
    const pos = c.args.map((a) => this.expr(a, f));
    // `*xs`: its items where it stands among the positional arguments (evaluated after those before it, as Python does).
    if (c.star) pos.splice(c.star.at, 0, ...this.iterate(this.expr(c.star.value, f), lineOf(c)));
    const kw: Record<string, Val> = {};
    for (const [k, v] of Object.entries(c.kwargs)) kw[k] = this.expr(v, f);
    if (c.kwsplat) {
      const m = this.expr(c.kwsplat, f);
      if (m.t !== 'dict') throw new Unsupported(`** of a ${m.t}`, lineOf(c));
      for (const [k, v] of m.entries) {
        if (k.t !== 'str') throw new EvalError('TypeError: keywords must be strings', lineOf(c), 'TypeError');
        if (k.v in kw) throw new EvalError(`TypeError: got multiple values for keyword argument '${k.v}'`, lineOf(c), 'TypeError');
        kw[k.v] = v;
      }
    }
    return { pos, kw };
  }

  /**
   * An op's arguments bound again with the items of a `*xs` (`x.view(*shape)`, `torch.zeros(*size)`):
   * the IR's binding is made without them. More positional arguments than the signature takes is
   * Python's TypeError.
   */
  private starBound(c: Call, f: Frame, line: number, recv?: Val): Record<string, () => Val> {
    const { pos, kw } = this.args(c, f);
    const spell = c.spell!;
    const sig = spell.sig.params;
    if (!sig.some((p) => p.kind === 'varargs')) {
      const room = sig.filter((p) => p.kind === 'positional' || p.kind === 'posonly').length;
      if (pos.length > room) throw new EvalError(`TypeError: ${calleeName(c)}() takes ${room} positional arguments but ${pos.length} were given`, line, 'TypeError');
    }
    const bound = bindCall(spell, pos, kw, (items: Val[]): Val => ({ t: 'list', items, tuple: true }), recv);
    const out: Record<string, () => Val> = {};
    for (const [k, v] of Object.entries(bound)) out[k] = () => v;
    return out;
  }

  private apply(fv: Val, c: Call, f: Frame, line: number, name: string): Val {
    const { pos, kw } = this.args(c, f);
    return this.applyValues(fv, pos, kw, c, line, name);
  }

  /** Calls a value with evaluated arguments: a function, a method, a module, an instance, a partial, an op named by its qualified name. */
  private applyValues(fv: Val, pos: Val[], kw: Record<string, Val>, c: Call, line: number, name: string): Val {
    switch (fv.t) {
      case 'fn':
        if (fv.foreign) return this.callForeign(fv.foreign, pos, kw, line);
        return this.callFunction(fv.fn, pos, kw, undefined, fv.env);
      case 'bound':
        return this.callFunction(fv.fn, pos, kw, fv.self);
      case 'module': {
        this.trace.add(fv.spell.op.id);
        const tuple = (items: Val[]): Val => ({ t: 'list', items, tuple: true });
        const args: Record<string, () => Val> = {};
        for (const [k, v] of Object.entries(bindModuleCall(fv.spell, pos, kw, tuple))) args[k] = () => v;
        for (const [k, v] of Object.entries(fv.args)) if (!(k in args)) args[k] = () => v;
        return this.lowerOp(fv.spell, args, c, line);
      }
      case 'standin':
        // The model stood in by the probe's prediction: its run returns the prediction.
        return fv.out;
      case 'builtin':
        return this.builtin(fv.name, pos, kw, line);
      case 'type':
        return this.typeCall(fv.name, pos, line);
      case 'partial':
        return this.applyValues(fv.fn, [...fv.args, ...pos], { ...fv.kwargs, ...kw }, c, line, name);
      case 'vmap':
        return this.vmapApply(fv.inAxes, pos, kw, (p, k) => this.applyValues(fv.fn, p, k, c, line, name), line);
      case 'pymethod':
        return this.pyMethodValues(fv.recv, fv.name, pos, kw, line);
      case 'self': {
        // An instance of a class of this module called: its __call__, Keras' call, or nn.Module's forward.
        for (const m of ['__call__', 'call', 'forward']) {
          const fn = this.methodOf(fv.cls, m);
          if (fn) return this.callFunction(fn, pos, kw, fv);
        }
        throw new Unsupported(`${fv.cls.name}(...) called`, line);
      }
      case 'ns': {
        if (fv.name.startsWith('class:')) {
          const cls = this.mod.classes.get(fv.name.slice(6));
          if (cls) return this.instantiate(cls, kw, pos);
          // `fn = MyFunction.apply` called later.
          const applied = /^class:(.+)\.apply$/.exec(fv.name);
          const fcls = applied ? this.mod.classes.get(applied[1]) : undefined;
          if (fcls && this.isAutogradFunction(fcls)) return this.functionApply(fcls, pos, kw, line);
        }
        return this.nsValues(fv.name, pos, kw, c, line);
      }
      default:
        throw new Unsupported(name, line);
    }
  }

  /**
   * scipy.misc.derivative(func, x0, dx=1.0, n=1, args=(), order=3) as scipy writes it: the weighted
   * sum of func at x0 + (k - order // 2) * dx (every point, a zero weight's too), divided by dx ** n.
   * Refused where float32 cannot stand for numpy's float64 result (numpy.ts derivativePrecision).
   */
  private derivative(pos: Val[], kw: Record<string, Val>, c: Call, line: number): Val {
    const names = ['func', 'x0', 'dx', 'n', 'args', 'order'];
    const a: Record<string, Val> = {};
    pos.forEach((v, i) => {
      if (i >= names.length) throw new EvalError('derivative() takes at most 6 arguments', line, 'TypeError');
      a[names[i]] = v;
    });
    for (const [k, v] of Object.entries(kw)) {
      if (!names.includes(k)) throw new EvalError(`derivative() got an unexpected keyword argument '${k}'`, line, 'TypeError');
      a[k] = v;
    }
    if (!a.func || !a.x0) throw new EvalError('derivative() missing required argument', line, 'TypeError');
    const number = (k: string, d: number): number => {
      const v = a[k];
      if (!v) return d;
      const x = pyNumber(v);
      if (x === undefined) throw new Unsupported(`scipy.misc.derivative with a non-number ${k}`, line);
      return x;
    };
    const dx = number('dx', 1);
    const n = number('n', 1);
    const order = number('order', 3);
    const extra = a.args ? this.iterate(a.args, line) : [];
    const bad = derivativeArgError(n, order);
    if (bad) throw new EvalError(bad, line, 'ValueError');
    const w = derivativeWeights(n, order);
    if (!w) throw new Unsupported(`scipy.misc.derivative with n=${n}, order=${order} (central_diff_weights)`, line);
    const x0 = this.cast(this.toTensor(a.x0, line), 'float');
    const ho = order >> 1;
    const fs: Val[] = [];
    let val: Val = num(0, false);
    for (let k = 0; k < order; k++) {
      const xk: Val = { t: 'tensor', x: tf.add(x0.x, tf.scalar((k - ho) * dx)), dt: 'float' };
      const fk = this.applyValues(a.func, [xk, ...extra], {}, c, line, 'derivative func');
      fs.push(fk);
      val = this.binop('+', val, this.binop('*', num(w[k], false), fk, line), line);
    }
    const out = this.binop('/', val, num(dx ** n, false), line);
    const flat = (v: Val): Float32Array => (isTensor(v) ? (this.cast(v, 'float').x.dataSync() as Float32Array) : Float32Array.of(pyNumber(v) ?? NaN));
    const x0abs = flat(a.x0).reduce((m, x) => (Number.isFinite(x) ? Math.max(m, Math.abs(x)) : m), 0);
    const why = derivativePrecision(w, fs.map(flat), dx, n, x0abs, flat(out));
    if (why) throw new Unsupported(why, line);
    return out;
  }

  /** A call of an op by its qualified name, on evaluated arguments (a function kept in a variable: `self.bce = F.binary_cross_entropy_with_logits`). */
  private opByName(q: string, pos: Val[], kw: Record<string, Val>, c: Call, line: number): Val | undefined {
    const spell = resolveQualified(q);
    if (!spell) return undefined;
    this.trace.add(spell.op.id);
    const tuple = (items: Val[]): Val => ({ t: 'list', items, tuple: true });
    const bound = bindCall(spell, pos, kw, tuple);
    if (spell.kind === 'module') return { t: 'module', spell, args: bound, line };
    const args: Record<string, () => Val> = {};
    for (const [k, v] of Object.entries(bound)) args[k] = () => v;
    return this.lowerOp(spell, args, c, line);
  }

  private nsCall(q: string, c: Call, f: Frame, line: number): Val {
    if (c.splat && !c.star) throw new Unsupported('*args in a call', line);
    const { pos, kw } = this.args(c, f);
    return this.nsValues(q, pos, kw, c, line);
  }

  /**
   * Calls of qualified names that are not ops: grad-mode and precision context managers, devices,
   * `Variable`, functools.partial, assertion helpers (chex, optax's own checks), Python's math
   * module, the shape of a tensor in TensorFlow, warnings and logging (which compute nothing).
   */
  private nsValues(q: string, pos: Val[], kw: Record<string, Val>, c: Call, line: number): Val {
    const tail = q.replace(/^(tensorflow\.keras|keras|tensorflow\.python\.keras)\.(backend|backend_config)\./, 'K.');
    if (tail === 'K.epsilon') return num(1e-7, false);
    if (tail === 'K.floatx') return { t: 'str', v: 'float32' };
    if (tail === 'K.shape' || tail === 'K.int_shape' || tail === 'K.ndim') {
      const x = pos[0];
      if (!x || !isTensor(x)) throw new EvalError(`${q}() of a non-tensor`, line);
      // Keras 2's K.shape: a 1-D int32 tensor (tf.shape); K.int_shape: the static shape as a tuple of
      // ints (eager execution's, where every dimension is known); K.ndim: the rank.
      if (tail === 'K.shape') return { t: 'tensor', x: tf.tensor1d(x.x.shape, 'int32'), dt: 'int' };
      if (tail === 'K.ndim') return num(x.x.shape.length, true);
      return { t: 'list', items: x.x.shape.map((d) => num(d, true)), tuple: true };
    }
    const op = this.opByName(q, pos, kw, c, line);
    if (op) return op;
    const a0 = pos[0];
    if (FINFO_CALLS.has(q)) {
      if (a0 && a0.t === 'dtype' && a0.dt !== 'float') throw new Unsupported(`${q} of an integer type`, line);
      // The format named (`np.float16`, `"float64"`), else float32 (the probes' dtype, PyTorch's default).
      return { t: 'ns', name: `finfo:${floatFormatOf(c.args[0]?.k === 'attr' ? c.args[0].attr : c.args[0]?.k === 'str' ? c.args[0].value : undefined) ?? 'float32'}` };
    }
    // `import tensorflow.compat.v1 as tf`: tf.name_scope is tensorflow.name_scope (as ops/index.ts folds it).
    switch (q.replace(/^tensorflow\.compat\.v[12]\./, 'tensorflow.')) {
      case 'torch.nn.Module.__init__':
        return NONE;
      case 'torch.numel':
        return num(a0 && isTensor(a0) ? a0.x.size : 1, true);
      case 'torch.is_floating_point':
        return { t: 'bool', v: !!a0 && isTensor(a0) && a0.dt === 'float' };
      case 'torch.is_grad_enabled':
        return { t: 'bool', v: this.gradEnabled };
      case 'torch.autocast':
      case 'torch.amp.autocast':
      case 'torch.cuda.amp.autocast':
      case 'torch.cpu.amp.autocast':
      case 'tensorflow.GradientTape':
      case 'tensorflow.variable_scope':
      case 'tensorflow.name_scope':
      case 'tensorflow.device':
      case 'torch.cuda.device':
      case 'jax.named_scope':
      case 'contextlib.nullcontext':
      case 'contextlib.suppress':
        // The probes run in float32 on the CPU: autocast there changes nothing they compute.
        if (q === 'contextlib.suppress') throw new Unsupported(q, line);
        return { t: 'ctx' };
      case 'torch.device':
      case 'torch.cuda.current_device':
        return { t: 'device' };
      case 'torch.cuda.is_available':
      case 'torch.backends.mps.is_available':
        return { t: 'bool', v: false };
      case 'torch.cuda.device_count':
        return num(0, true);
      case 'torch.Variable':
      case 'torch.autograd.Variable':
      case 'torch.autograd.variable.Variable':
        // Variable(x) is x since PyTorch 0.4.
        if (!a0) throw new EvalError('Variable() without data', line);
        return a0;
      case 'jax.jit':
      case 'jax.checkpoint':
      case 'jax.remat':
      case 'jax.ad_checkpoint.checkpoint':
      case 'jax.named_call':
      case 'equinox.filter_jit':
        // Compiling (static_argnums, donate_argnums, ...) and rematerialising change neither a
        // function's values nor its gradients: the wrapped function is evaluated as it is.
        if (!a0 || !['fn', 'bound', 'partial', 'builtin', 'module', 'self', 'ns'].includes(a0.t)) throw new Unsupported(`${q} of ${a0 ? this.what(a0) : 'nothing'}`, line);
        return a0;
      case 'scipy.misc.derivative':
        return this.derivative(pos, kw, c, line);
      case 'jax.vmap': {
        if (!a0) throw new EvalError('vmap() without a function', line);
        return { t: 'vmap', fn: a0, inAxes: vmapAxes(kw.in_axes ?? pos[1], kw.out_axes ?? pos[2], line) };
      }
      case 'operator.getitem': {
        // getitem(a, b) is a[b], evaluated as the subscript of two names bound to the values.
        if (pos.length !== 2) throw new EvalError(`getitem expected 2 arguments, got ${pos.length}`, line, 'TypeError');
        const at = (id: string): Expr => ({ k: 'name', id, span: c.span });
        return this.subscript(at('__getitem_a'), [at('__getitem_b')], { vars: new Map([['__getitem_a', pos[0]], ['__getitem_b', pos[1]]]) }, line);
      }
      case 'tensorflow.map_fn':
      case 'tensorflow.vectorized_map':
      case 'jax.lax.map': {
        // fn applied to each slice of `elems` along axis 0 (a tuple or dict of tensors sliced leaf by
        // leaf, handed to fn as one argument), the results stacked: jax.vmap's evaluation with one
        // mapped argument. TF's output signature / dtype only describe that result.
        const f = a0 ?? kw.fn ?? kw.f;
        const elems = pos[1] ?? kw.elems ?? kw.xs;
        if (!f || !elems) throw new EvalError(`${q.split('.').pop()}() missing a function or its elements`, line, 'TypeError');
        if (q === 'jax.lax.map' && kw.batch_size && kw.batch_size.t !== 'none') throw new Unsupported('jax.lax.map(batch_size=)', line);
        return this.vmapApply(0, [elems], {}, (p) => this.applyValues(f, p, {}, c, line, q), line);
      }
      case 'itertools.product': {
        // The cartesian product of the iterables (`repeat` times over), as tuples, the last one fastest.
        const r = kw.repeat ? pyNumber(kw.repeat) : 1;
        if (r === undefined || !Number.isInteger(r) || r < 0) throw new EvalError('product() repeat must be a non-negative integer', line, 'TypeError');
        const seqs = Array.from({ length: r }, () => pos.map((p) => this.iterate(p, line))).flat();
        const size = seqs.reduce((n, q) => n * q.length, 1);
        if (size > MAX_LOOP * MAX_LOOP) throw new Unsupported(`itertools.product of ${size} tuples`, line);
        let out: Val[][] = [[]];
        for (const q of seqs) out = out.flatMap((head) => q.map((x) => [...head, x]));
        return { t: 'list', items: out.map((items) => ({ t: 'list', items, tuple: true }) as Val), tuple: false };
      }
      case 'functools.partial':
        if (!a0) throw new EvalError('partial() without a function', line);
        return { t: 'partial', fn: a0, args: pos.slice(1), kwargs: kw };
      case 'tensorflow.shape':
      case 'keras.ops.shape':
      case 'jax.numpy.shape':
      case 'numpy.shape':
        if (!a0 || !isTensor(a0)) throw new EvalError(`${q}() of a non-tensor`, line);
        if (q.startsWith('tensorflow')) return { t: 'tensor', x: tf.tensor1d(a0.x.shape, 'int32'), dt: 'int' };
        return { t: 'list', items: a0.x.shape.map((d) => num(d, true)), tuple: true };
      case 'tensorflow.size':
        if (!a0 || !isTensor(a0)) throw new EvalError('tf.size() of a non-tensor', line);
        return { t: 'tensor', x: tf.scalar(a0.x.size, 'int32'), dt: 'int' };
      case 'tensorflow.rank':
        if (!a0 || !isTensor(a0)) throw new EvalError('tf.rank() of a non-tensor', line);
        return { t: 'tensor', x: tf.scalar(a0.x.shape.length, 'int32'), dt: 'int' };
      case 'jax.numpy.ndim':
      case 'numpy.ndim':
        return num(a0 && isTensor(a0) ? a0.x.shape.length : 0, true);
      case 'jax.numpy.size':
      case 'numpy.size':
        return num(a0 && isTensor(a0) ? a0.x.size : 1, true);
      case 'math.log':
      case 'math.exp':
      case 'math.sqrt':
      case 'math.log1p':
      case 'math.expm1':
      case 'math.floor':
      case 'math.ceil':
      case 'math.fabs':
      case 'math.log2':
      case 'math.log10':
      case 'math.isnan':
      case 'math.isinf':
      case 'math.pow': {
        const xs = pos.map(pyNumber);
        if (xs.some((x) => x === undefined) || !xs.length) throw new Unsupported(`${q} of a non-number`, line);
        const [x, y] = xs as number[];
        const fn = q.slice(5);
        if (fn === 'isnan') return { t: 'bool', v: Number.isNaN(x) };
        if (fn === 'isinf') return { t: 'bool', v: Math.abs(x) === Infinity };
        if ((fn === 'log' || fn === 'log2' || fn === 'log10' || fn === 'sqrt') && (x < 0 || (x === 0 && fn !== 'sqrt'))) throw new EvalError('math domain error', line, 'ValueError');
        const r = fn === 'log' ? (y !== undefined ? Math.log(x) / Math.log(y) : Math.log(x)) : fn === 'exp' ? Math.exp(x) : fn === 'sqrt' ? Math.sqrt(x) : fn === 'log1p' ? Math.log1p(x) : fn === 'expm1' ? Math.expm1(x) : fn === 'floor' ? Math.floor(x) : fn === 'ceil' ? Math.ceil(x) : fn === 'fabs' ? Math.abs(x) : fn === 'log2' ? Math.log2(x) : fn === 'log10' ? Math.log10(x) : x ** y;
        return num(r, fn === 'floor' || fn === 'ceil');
      }
      case 'torch.nn.functional._Reduction.get_enum':
      case 'torch.nn._reduction.get_enum': {
        // PyTorch's reduction string as its enum (torch/nn/_reduction.py; mmdetection's reduce_loss reads it).
        const r = pos[0] ?? kw.reduction;
        const code = r?.t === 'str' ? REDUCTION_ENUM.get(r.v) : undefined;
        if (code === undefined) {
          if (r?.t === 'str') throw new EvalError(`ValueError: ${r.v} is not a valid value for reduction`, line, 'ValueError');
          throw new Unsupported(`${q} of ${r ? this.what(r) : 'nothing'}`, line);
        }
        return num(code, true);
      }
      case 'warnings.warn':
      case 'tensorflow.print':
        // Printing changes no value (tf.print returns None when eager).
        return NONE;
      case 'operator.index':
        // An int (a bool is one) as itself; anything else that is not a tensor raises TypeError.
        if (a0?.t === 'num' && a0.int) return a0;
        if (a0?.t === 'bool') return num(a0.v ? 1 : 0, true);
        if (a0 && a0.t !== 'tensor' && a0.t !== 'ns' && a0.t !== 'self') throw new EvalError(`TypeError: '${pyTypeName(a0)}' object cannot be interpreted as an integer`, line, 'TypeError');
        throw new Unsupported(`${q} of ${a0 ? this.what(a0) : 'nothing'}`, line);
      case 'tensorflow.cond':
      case 'tensorflow.python.framework.smart_cond.smart_cond':
      case 'jax.lax.cond': {
        // A condition known on the probe inputs: the branch it takes (as eager TensorFlow and JAX do).
        const pred = pos[0] ?? kw.pred;
        const yes = pos[1] ?? kw.true_fn ?? kw.true_fun;
        const no = pos[2] ?? kw.false_fn ?? kw.false_fun;
        if (!pred || !yes || !no) throw new EvalError(`${q}() needs a predicate and two branches`, line);
        const branch = truthy(pred, line) ? yes : no;
        return this.applyValues(branch, q === 'jax.lax.cond' ? pos.slice(3) : [], {}, c, line, q);
      }
      case 'keras.mixed_precision.global_policy':
      case 'keras.mixed_precision.experimental.global_policy':
      case 'tensorflow.keras.mixed_precision.global_policy':
      case 'tensorflow.keras.mixed_precision.experimental.global_policy':
      case 'keras.config.dtype_policy':
        // Keras' default dtype policy, 'float32' (the probes run in float32).
        return { t: 'ns', name: 'policy:float32' };
      default:
        break;
    }
    // A summary written for TensorBoard (TF1's tf.summary.scalar, TF2's, tf.contrib.summary) is a
    // logging side effect: no value of the function depends on it. What it returns (TF1: the
    // serialized Summary as a string tensor; TF2: whether a default writer took it) is opaque here,
    // so code that goes on to compute with it is refused where it does.
    if (SUMMARY_CALL.test(q)) return { t: 'ns', name: 'tensorboard summary' };
    // Assertions change no value (they raise only on input that is not valid).
    if (/^(chex\.assert_|optax\._src\.utils\.check_|tensorflow\.debugging\.assert_|tensorflow\.assert_|jax\.debug\.|logging\.)/.test(q)) return NONE;
    const foreign = this.opts.imported?.resolve(q);
    if (foreign) return this.callForeign(foreign, pos, kw, line);
    throw new Unsupported(this.unfound(q), line);
  }

  /** A name nothing here runs, for a refusal: with the module and the files looked for where a project import binds it (imported.ts `missing`). */
  private unfound(name: string): string {
    const why = this.opts.imported?.missing(name);
    return why ? `${name} (${why})` : name;
  }

  /** The evaluator of another project module (its globals, its own helpers and imports), one per module, sharing this one's trace. */
  private foreignEvaluator(mod: ModuleIR, imports: ImportResolver): Evaluator {
    let ev = this.foreign.get(mod);
    if (!ev) {
      ev = new Evaluator(mod, { ...this.opts, hyper: undefined, assumed: undefined, imported: imports }, this.trace);
      this.foreign.set(mod, ev);
    }
    return ev;
  }

  /** A module-level value of another project file, evaluated there (its own globals, the same whitelist and security scan). */
  private foreignGlobal(g: ImportedGlobal, line: number): Val {
    const ev = this.foreignEvaluator(g.mod, g.imports);
    try {
      return ev.moduleValue(g.name, line) ?? NONE;
    } catch (err) {
      if (err instanceof Unsupported) throw new Unsupported(`${err.what} in ${path.basename(g.file)}`, line);
      throw err;
    }
  }

  /** The module-level value `id` of this evaluator's module (for another module's evaluator). */
  moduleValue(id: string, line: number): Val | undefined {
    return this.global(id, line);
  }

  /**
   * Calls a function of another project file: in an evaluator of its module (its globals, its own
   * helpers and imports), sharing this one's trace, grad mode and recursion depth, after the same
   * security scan as the checked function. Hyperparameter overrides are not passed: they name the
   * checked function's parameters.
   */
  private callForeign(g: ImportedFunction, pos: Val[], kw: Record<string, Val>, line: number): Val {
    const bad = forbiddenCall(reachable(g.mod, g.fn), g.mod);
    if (bad) throw new Unsupported(`${bad.what} in ${path.basename(g.file)}:${bad.line}`, line);
    const ev = this.foreignEvaluator(g.mod, g.imports);
    ev.gradEnabled = this.gradEnabled;
    ev.depth = this.depth + 1;
    try {
      return ev.callFunction(g.fn, pos, kw);
    } finally {
      this.gradEnabled = ev.gradEnabled;
    }
  }

  /** Methods of Python values: lists, dicts, strings, module instances (`.cuda()` is the same module), a GradientTape's `watch`. */
  private pyMethod(recv: Val, m: string, c: Call, f: Frame, line: number): Val {
    if (c.splat && !c.star) throw new Unsupported('*args in a call', line);
    if (recv.t === 'self') return this.apply(this.attr(recv, m, line), c, f, line, `self.${m}`);
    const { pos, kw } = this.args(c, f);
    return this.pyMethodValues(recv, m, pos, kw, line);
  }

  private pyMethodValues(recv: Val, m: string, pos: Val[], kw: Record<string, Val>, line: number): Val {
    if (isCtx(recv)) return ctxMethod(recv, m, pos, kw, line);
    const a0 = pos[0];
    if (recv.t === 'dataset') {
      if (m === 'get_label' && !pos.length) return recv.label;
      throw new Unsupported(`.${m}() of the probes' Dataset (only get_label() and .label are modelled)`, line);
    }
    // A TensorShape (a tensor's `.shape` / `.get_shape()`, a tuple of ints): `as_list()` its sizes as a list, `num_elements()` their product.
    if (recv.t === 'list' && recv.tuple && !pos.length && recv.items.every((d) => d.t === 'num' && d.int)) {
      if (m === 'as_list') return { t: 'list', items: [...recv.items], tuple: false };
      if (m === 'num_elements') return num(recv.items.reduce((p, d) => p * (d as { v: number }).v, 1), true);
    }
    if (recv.t === 'list' && !recv.tuple) {
      switch (m) {
        case 'append':
          recv.items.push(a0 ?? NONE);
          return NONE;
        case 'extend':
          recv.items.push(...(a0 ? this.iterate(a0, line) : []));
          return NONE;
        case 'insert': {
          const i = pyNumber(a0 ?? NONE) ?? 0;
          recv.items.splice(i < 0 ? recv.items.length + i : i, 0, pos[1] ?? NONE);
          return NONE;
        }
        case 'pop': {
          const i = a0 ? (pyNumber(a0) ?? -1) : -1;
          const at = i < 0 ? recv.items.length + i : i;
          if (at < 0 || at >= recv.items.length) throw new EvalError('pop index out of range', line, 'IndexError');
          return recv.items.splice(at, 1)[0];
        }
        case 'copy':
          return { t: 'list', items: [...recv.items], tuple: false };
        case 'reverse':
          recv.items.reverse();
          return NONE;
        default:
          break;
      }
    }
    if (recv.t === 'list') {
      switch (m) {
        case 'index': {
          const i = recv.items.findIndex((x) => pyKey(x) === pyKey(a0 ?? NONE));
          if (i < 0) throw new EvalError('value is not in list', line, 'ValueError');
          return num(i, true);
        }
        case 'count':
          return num(recv.items.filter((x) => pyKey(x) === pyKey(a0 ?? NONE)).length, true);
        default:
          break;
      }
    }
    if (recv.t === 'dict') {
      switch (m) {
        case 'get': {
          const hit = recv.entries.find(([k]) => pyKey(k) === pyKey(a0 ?? NONE));
          return hit ? hit[1] : (pos[1] ?? kw.default ?? NONE);
        }
        case 'pop': {
          const at = recv.entries.findIndex(([k]) => pyKey(k) === pyKey(a0 ?? NONE));
          if (at < 0) {
            if (pos.length > 1) return pos[1];
            throw new EvalError(`KeyError: ${describe(a0 ?? NONE)}`, line, 'KeyError');
          }
          return recv.entries.splice(at, 1)[0][1];
        }
        case 'setdefault': {
          const hit = recv.entries.find(([k]) => pyKey(k) === pyKey(a0 ?? NONE));
          if (hit) return hit[1];
          recv.entries.push([a0 ?? NONE, pos[1] ?? NONE]);
          return pos[1] ?? NONE;
        }
        case 'items':
          return { t: 'list', items: recv.entries.map(([k, v]) => ({ t: 'list', items: [k, v], tuple: true }) as Val), tuple: false };
        case 'keys':
          return { t: 'list', items: recv.entries.map(([k]) => k), tuple: false };
        case 'values':
          return { t: 'list', items: recv.entries.map(([, v]) => v), tuple: false };
        case 'update':
          if (a0?.t === 'dict') for (const [k, v] of a0.entries) this.dictSet(recv, k, v);
          for (const [k, v] of Object.entries(kw)) this.dictSet(recv, { t: 'str', v: k }, v);
          return NONE;
        case 'copy':
          return { t: 'dict', entries: recv.entries.map(([k, v]) => [k, v]) };
        default:
          break;
      }
    }
    if (recv.t === 'str') {
      switch (m) {
        case 'lower':
          return { t: 'str', v: recv.v.toLowerCase() };
        case 'upper':
          return { t: 'str', v: recv.v.toUpperCase() };
        case 'strip':
          return { t: 'str', v: recv.v.trim() };
        case 'startswith':
        case 'endswith':
          return { t: 'bool', v: a0?.t === 'str' && (m === 'startswith' ? recv.v.startsWith(a0.v) : recv.v.endsWith(a0.v)) };
        case 'format':
          return { t: 'str', v: recv.v };
        case 'replace':
          return { t: 'str', v: a0?.t === 'str' && pos[1]?.t === 'str' ? recv.v.split(a0.v).join(pos[1].v) : recv.v };
        default:
          break;
      }
    }
    if (recv.t === 'module' && ['cuda', 'cpu', 'to', 'float', 'double', 'half', 'train', 'eval', 'requires_grad_'].includes(m)) return recv;
    if (recv.t === 'ctx' && m === 'watch') return NONE;
    this.noAttribute(recv, m, line);
    throw new Unsupported(`.${m}() of ${recv.t === 'list' ? (recv.tuple ? 'a tuple' : 'a list') : recv.t}`, line);
  }

  private builtin(name: string, pos: Val[], kw: Record<string, Val>, line: number): Val {
    switch (name) {
      case 'range': {
        const ns = pos.map(pyNumber);
        if (ns.some((x) => x === undefined) || ns.length < 1 || ns.length > 3) throw new Unsupported('range', line);
        if (ns.length === 1) return { t: 'range', start: 0, stop: ns[0]! };
        if (ns[2] === 0) throw new EvalError('range() arg 3 must not be zero', line, 'ValueError');
        return { t: 'range', start: ns[0]!, stop: ns[1]!, ...(ns.length === 3 ? { step: ns[2]! } : {}) };
      }
      case 'len': {
        const v = pos[0];
        if (v?.t === 'tensor') {
          if (!v.x.shape.length) throw new EvalError('len() of a 0-d tensor', line);
          return num(v.x.shape[0], true);
        }
        if (v?.t === 'list') return num(v.items.length, true);
        if (v?.t === 'str') return num(v.v.length, true);
        if (v?.t === 'dict') return num(v.entries.length, true);
        if (v?.t === 'range') return num(rangeItems(v).length, true);
        // A value the interpreter does not read (a module's, an opaque text): its length is not known.
        if (v?.t === 'ns') throw new Unsupported(`len() of ${this.what(v)}`, line);
        throw new EvalError('len() of an unsized value', line, 'TypeError');
      }
      case 'min':
      case 'max':
      case 'abs':
      case 'round': {
        const ns = (pos.length === 1 && (pos[0].t === 'list' || pos[0].t === 'range') ? this.iterate(pos[0], line) : pos).map(pyNumber);
        if (ns.some((x) => x === undefined)) throw new Unsupported(`${name} of tensors`, line);
        const xs = ns as number[];
        if ((name === 'min' || name === 'max') && !xs.length) throw new EvalError(`${name}() arg is an empty sequence`, line, 'ValueError');
        const digits = name === 'round' && pos[1] ? pyNumber(pos[1]) : undefined;
        const r = name === 'min' ? Math.min(...xs) : name === 'max' ? Math.max(...xs) : name === 'abs' ? Math.abs(xs[0]) : digits !== undefined ? Number(xs[0].toFixed(digits)) : Math.round(xs[0]);
        const allInt = pos.every((v) => (v.t === 'num' && v.int) || v.t === 'bool' || v.t === 'range' || (v.t === 'list' && v.items.every((x) => x.t === 'num' && x.int)));
        return num(r, name === 'round' ? digits === undefined : allInt);
      }
      case 'sum': {
        const items = pos[0] ? this.iterate(pos[0], line) : [];
        let acc: Val = pos[1] ?? num(0, true);
        for (const it of items) acc = this.binop('+', acc, it, line);
        return acc;
      }
      case 'any':
      case 'all': {
        const items = pos[0] ? this.iterate(pos[0], line) : [];
        const bs = items.map((x) => truthy(x, line));
        return { t: 'bool', v: name === 'any' ? bs.some(Boolean) : bs.every(Boolean) };
      }
      case 'zip': {
        const seqs = pos.map((p) => this.iterate(p, line));
        const n = seqs.length ? Math.min(...seqs.map((q) => q.length)) : 0;
        return { t: 'list', items: Array.from({ length: n }, (_, i) => ({ t: 'list', items: seqs.map((q) => q[i]), tuple: true }) as Val), tuple: false };
      }
      case 'enumerate': {
        const start = pos[1] ?? kw.start;
        const s0 = start ? (pyNumber(start) ?? 0) : 0;
        const items = pos[0] ? this.iterate(pos[0], line) : [];
        return { t: 'list', items: items.map((x, i) => ({ t: 'list', items: [num(s0 + i, true), x], tuple: true }) as Val), tuple: false };
      }
      case 'reversed':
        return { t: 'list', items: [...(pos[0] ? this.iterate(pos[0], line) : [])].reverse(), tuple: false };
      case 'sorted': {
        const items = [...(pos[0] ? this.iterate(pos[0], line) : [])];
        const ns = items.map(pyNumber);
        if (ns.some((x) => x === undefined) || Object.keys(kw).some((k) => k !== 'reverse')) throw new Unsupported('sorted of non-numbers', line);
        const order = items.map((v, i) => [ns[i]!, v] as const).sort((p, q) => p[0] - q[0]);
        if (kw.reverse && truthy(kw.reverse, line)) order.reverse();
        return { t: 'list', items: order.map(([, v]) => v), tuple: false };
      }
      case 'divmod': {
        const [x, y] = pos.map(pyNumber);
        if (x === undefined || y === undefined) throw new Unsupported('divmod of tensors', line);
        if (y === 0) throw new EvalError('integer division or modulo by zero', line, 'ZeroDivisionError');
        return { t: 'list', items: [num(Math.floor(x / y)), num(x - y * Math.floor(x / y))], tuple: true };
      }
      case 'pow':
        return this.binop('**', pos[0] ?? NONE, pos[1] ?? NONE, line);
      case 'hasattr': {
        const [o, a] = pos;
        if (o?.t === 'self' && a?.t === 'str') return { t: 'bool', v: o.attrs.has(a.v) || !!this.methodOf(o.cls, a.v) };
        if (o && isTensor(o) && a?.t === 'str') return { t: 'bool', v: ['shape', 'dtype', 'device', 'ndim', 'data'].includes(a.v) };
        throw new Unsupported('hasattr', line);
      }
      case 'print':
        return NONE;
      case 'callable': {
        // Python's callable(): functions, classes and types, loss modules; not numbers, strings, containers or tensors.
        const v = pos[0];
        if (!v) throw new EvalError('TypeError: callable() takes exactly one argument (0 given)', line, 'TypeError');
        if (['fn', 'bound', 'builtin', 'type', 'partial', 'vmap', 'pymethod', 'module'].includes(v.t)) return { t: 'bool', v: true };
        if (['num', 'bool', 'str', 'none', 'list', 'dict', 'tensor', 'range', 'dtype', 'device'].includes(v.t)) return { t: 'bool', v: false };
        // A class of this module, an op of the table (`F.log_softmax`), a function of another project file.
        if (v.t === 'ns' && (v.name.startsWith('class:') || resolveQualified(v.name) || this.opts.imported?.resolve(v.name))) return { t: 'bool', v: true };
        if (v.t === 'self' && ['__call__', 'call', 'forward'].some((m) => this.methodOf(v.cls, m))) return { t: 'bool', v: true };
        throw new Unsupported(`callable of ${this.what(v)}`, line);
      }
      case 'isinstance': {
        const [v, ty] = pos;
        const types = ty?.t === 'list' ? ty.items : [ty];
        const is = types.some((t) => {
          if (t?.t === 'type') {
            if (t.name === 'float') return v.t === 'num' && !v.int;
            if (t.name === 'int') return (v.t === 'num' && v.int) || v.t === 'bool';
            if (t.name === 'bool') return v.t === 'bool';
            if (t.name === 'str') return v.t === 'str';
            if (t.name === 'list') return v.t === 'list' && !v.tuple;
            if (t.name === 'tuple') return v.t === 'list' && v.tuple;
            if (t.name === 'dict') return v.t === 'dict';
          }
          if (t?.t === 'ns' && /(^|\.)(Tensor|Variable|ndarray|Array)$/.test(t.name) && /^(torch|tensorflow|jax|numpy)\b/.test(t.name)) {
            // The probes' tensors are the framework's own tensors; a numpy array they are not, in PyTorch or TensorFlow.
            if (/^numpy\./.test(t.name)) return false;
            return v.t === 'tensor';
          }
          if (t?.t === 'ns' && /^(numbers\.Number|numbers\.Real)$/.test(t.name)) return v.t === 'num';
          if (t?.t === 'ns' && /^(torch\.)?(nn\.)?Module$|^torch\.nn\.Module$/.test(t.name)) return v.t === 'module' || v.t === 'self';
          if (t?.t === 'ns' && t.name.startsWith('class:')) return v.t === 'self' && v.cls.name === t.name.slice(6);
          throw new Unsupported('isinstance', line);
        });
        return { t: 'bool', v: is };
      }
      default:
        throw new Unsupported(name, line);
    }
  }

  private typeCall(name: string, pos: Val[], line: number): Val {
    const v = pos[0];
    if (name === 'float' || name === 'int') {
      if (v === undefined) return num(0, name === 'int');
      if (v.t === 'tensor') {
        if (v.x.size !== 1) throw new EvalError('only one element tensors can be converted to Python scalars', line);
        const x = v.x.dataSync()[0];
        return num(name === 'int' ? Math.trunc(x) : x, name === 'int');
      }
      if (v.t === 'str') {
        const t = v.v.trim().toLowerCase();
        const x = t === 'inf' || t === '+inf' || t === 'infinity' ? Infinity : t === '-inf' || t === '-infinity' ? -Infinity : t === 'nan' ? NaN : Number(t);
        if (Number.isNaN(x) && t !== 'nan') throw new EvalError('could not convert string to number', line, 'ValueError');
        if (name === 'int' && !Number.isFinite(x)) throw new EvalError('cannot convert float infinity to integer', line, 'OverflowError');
        return num(name === 'int' ? Math.trunc(x) : x, name === 'int');
      }
      const x = pyNumber(v);
      if (x === undefined) throw new EvalError(`${name}() of ${v.t}`, line);
      return num(name === 'int' ? Math.trunc(x) : x, name === 'int');
    }
    if (name === 'bool') return { t: 'bool', v: v ? truthy(v, line) : false };
    if (name === 'str') {
      if (v?.t === 'str') return v;
      if (v?.t === 'num') return { t: 'str', v: String(v.v) };
      throw new Unsupported('str()', line);
    }
    if (name === 'list' || name === 'tuple') return { t: 'list', items: v ? [...this.iterate(v, line)] : [], tuple: name === 'tuple' };
    if (name === 'dict') {
      const d: Extract<Val, { t: 'dict' }> = { t: 'dict', entries: [] };
      if (v?.t === 'dict') for (const [k, x] of v.entries) this.dictSet(d, k, x);
      else if (v) for (const it of this.iterate(v, line)) if (it.t === 'list' && it.items.length === 2) this.dictSet(d, it.items[0], it.items[1]);
      return d;
    }
    throw new Unsupported(name, line);
  }

  // --- tensor methods without an op spec ----------------------------------------------------------

  private tensorMethod(x: Extract<Val, { t: 'tensor' }>, m: string, c: Call, f: Frame, line: number): Val {
    const { pos, kw } = this.args(c, f);
    switch (m) {
      // TensorFlow's static shape: the sizes, as `.shape` reads them.
      case 'get_shape':
        if (!pos.length && !Object.keys(kw).length) return { t: 'list', items: x.x.shape.map((d) => num(d, true)), tuple: true };
        throw new EvalError('get_shape() takes no arguments', line, 'TypeError');
      case 'size': {
        const d = pos[0] ?? kw.dim;
        if (d) {
          // PyTorch's dim check: an axis the tensor does not have raises IndexError (a layout retry may follow).
          const n = pyNumber(d);
          if (n === undefined || !Number.isInteger(n)) throw new Unsupported('Tensor.size of a non-integer dim', line);
          const rank = x.x.shape.length;
          const r = n < 0 ? rank + n : n;
          if (r < 0 || r >= rank) throw new EvalError(`Dimension out of range (expected to be in range of [${-Math.max(rank, 1)}, ${Math.max(rank, 1) - 1}], but got ${n})`, line, 'IndexError');
          return num(x.x.shape[r], true);
        }
        return { t: 'list', items: x.x.shape.map((n) => num(n, true)), tuple: true };
      }
      case 'dim':
      case 'ndimension':
        return num(x.x.shape.length, true);
      case 'numel':
      case 'nelement':
        return num(x.x.size, true);
      // Its dtype's kind, as torch.is_floating_point(x) (below).
      case 'is_floating_point':
        return { t: 'bool', v: x.dt === 'float' };
      case 'item': {
        if (x.x.size !== 1) throw new EvalError('a Tensor with more than one element cannot be converted to a scalar', line);
        return num(x.x.dataSync()[0], x.dt !== 'float');
      }
      case 'tolist': {
        const data = Array.from(x.x.dataSync());
        const build = (shape: number[], at: number): Val => {
          if (!shape.length) return x.dt === 'bool' ? { t: 'bool', v: data[at] !== 0 } : num(data[at], x.dt !== 'float');
          const step = shape.slice(1).reduce((a, b) => a * b, 1);
          return { t: 'list', items: Array.from({ length: shape[0] }, (_, i) => build(shape.slice(1), at + i * step)), tuple: false };
        };
        return build(x.x.shape, 0);
      }
      case 'index_put_':
      case 'index_put': {
        // x.index_put_((i, j), v) is x[i, j] = v.
        const idx = pos[0] ?? kw.indices;
        const v = pos[1] ?? kw.values;
        if (!idx || idx.t !== 'list' || !v) throw new EvalError('index_put_ needs a tuple of indices and values', line);
        if ((pos[2] ?? kw.accumulate) && truthy(pos[2] ?? kw.accumulate, line)) throw new Unsupported('index_put_(accumulate=True)', line);
        const out = this.putItems(x, idx.items, v, line);
        if (m === 'index_put_' && c.func.k === 'attr') this.assignTo(c.func.obj, out, f);
        return out;
      }
      case 'get_device':
        return num(-1, true);
      case 'is_contiguous':
        return { t: 'bool', v: true };
      default: {
        // x.op(...) is torch.op(x, ...) for the torch functions the table spells without a method
        // (ops/table/more.ts: a method spelling would also take over `self.op(...)` in the IR).
        // numpy code (values only): `a.dot(b)` is numpy.dot(a, b), a matrix product of matrices (torch's takes vectors only).
        const spell = resolveQualified(m === 'dot' && this.opts.valuesOnly ? 'numpy.dot' : `torch.${m}`);
        if (spell && spell.kind === 'function' && spell.sig.params[0]?.canon === 'input') {
          this.trace.add(spell.op.id);
          const tuple = (items: Val[]): Val => ({ t: 'list', items, tuple: true });
          const bound = bindCall(spell, [x, ...pos], kw, tuple);
          const args: Record<string, () => Val> = {};
          for (const [k, v] of Object.entries(bound)) args[k] = () => v;
          return this.lowerOp(spell, args, c, line);
        }
        throw new Unsupported(`.${m}()`, line);
      }
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
    // `axis=range(1, x.ndim)` (numpy, JAX): the range's dims; an empty one reduces nothing.
    if (v.t === 'range') return rangeItems(v).map((i) => this.dimArg(i, rank, line)!);
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

  /** PyTorch refuses an in-place write into a leaf that requires grad, or into a view of one, while autograd records. */
  private writeIntoLeaf(x: T, line: number): void {
    const leaf = this.opts.leaf;
    if (!leaf || x.id !== leaf.x.id || !this.gradEnabled || !this.tapeActive()) return;
    throw new EvalError(`RuntimeError: ${leaf.view ? 'a view of a leaf Variable' : 'a leaf Variable'} that requires grad is being used in an in-place operation.`, line, 'RuntimeError');
  }

  private drawing: boolean | undefined;

  /** Whether the module calls an op that draws random values. */
  private modDraws(): boolean {
    if (this.drawing === undefined) {
      let found = false;
      for (const fn of this.mod.functions) for (const s of stmtsOf(fn.body)) for (const r of stmtRoots(s)) if (!found) forEachExpr(r, (e) => void (found ||= e.k === 'call' && !!e.op?.draws));
      this.drawing = found;
    }
    return this.drawing;
  }

  private forceArgs(args: Record<string, () => Val>): Record<string, Val> {
    const out: Record<string, Val> = {};
    for (const [k, get] of Object.entries(args)) out[k] = get();
    return out;
  }

  /**
   * Whether `x` is computed from the probe's logits (`gradSource`): a path back to them on tfjs's
   * gradient tape. Without a tape (no gradient being taken) nothing requires a gradient.
   */
  requiresGrad(x: T): boolean {
    const src = this.opts.gradSource;
    const tape = (tf.engine() as unknown as { state: { activeTape?: { outputs: T[]; inputs: Record<string, T> }[] } }).state.activeTape;
    if (!src || !tape || x.dtype !== 'float32') return false;
    if (x.id === src.id) return true;
    const producer = new Map<number, { inputs: Record<string, T> }>();
    for (const node of tape) for (const o of node.outputs) if (o) producer.set(o.id, node);
    const seen = new Set<number>();
    const stack = [x.id];
    while (stack.length) {
      const id = stack.pop()!;
      if (id === src.id) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      const node = producer.get(id);
      if (node) for (const inp of Object.values(node.inputs)) if (inp) stack.push(inp.id);
    }
    return false;
  }

  /** Whether a gradient is being taken (tfjs's tape is recording). */
  private tapeActive(): boolean {
    return !!this.opts.gradSource && !!(tf.engine() as unknown as { state: { activeTape?: unknown[] } }).state.activeTape;
  }

  /** Runs an op's lowering (ops/) on its arguments; an op without one is unsupported. */
  /**
   * A tensor PyTorch leaves uninitialised (a legacy constructor given sizes, `torch.empty`, `x.new(N, C)`)
   * runs as zeros only where the code writes every entry before reading any (uninit.ts); else refused.
   */
  private uninitialised(c: Call, f: Frame, line: number, legacySizes: boolean): void {
    const what = uninitialisedCreation(c, legacySizes);
    if (!what) return;
    const fn = f.fn;
    const why = fn ? unfilledReason(fn, c, what) : `${what} read before every entry is written: PyTorch leaves its memory uninitialised`;
    if (why) throw new Unsupported(why, line);
  }

  private lowerOp(spell: Spelling, args: Record<string, () => Val>, c: Call, line: number): Val {
    const op = spell.op;
    const name = calleeName(c);
    if (!op.lower) throw new Unsupported(c.callee ?? spell.name.replace(/^Tensor\./, '.'), line);
    // In a module that draws random values, arguments holding a call are evaluated whole and in
    // source order first (Python's order; a lowering reads them lazily, in its own order), so that
    // the draws come in the order the repro script replays them.
    const bound = c.bound;
    if (bound && this.opts.draws && this.modDraws() && Object.values(bound).some(holdsCall)) {
      for (const k of Object.keys(bound).sort((a, b) => bound[a].span.s - bound[b].span.s)) args[k]?.();
    }
    let numpyConst = false;
    if (spell.framework === 'numpy' && !/^(jax|tensorflow|keras|torch)\./.test(c.callee ?? '')) {
      // numpy has no autograd: on a shape, a Python list or a constant array it computes a constant;
      // on a tensor computed from the probe's inputs (any float tensor when no gradient is taken) the
      // framework would raise (PyTorch) or trace nothing (JAX). A numpy function probed for its
      // values only computes on the probe's tensors.
      // An array numpy made from Python data alone (`np.array([1.0, 2.0])`, `np.tile` of one) is a constant.
      numpyConst = true;
      for (const get of Object.values(args)) {
        const v = get();
        if (isTensor(v) && this.numpyConstants.has(v.x)) continue;
        if (holdsTensor(v)) numpyConst = false;
        if (!this.opts.valuesOnly && isTensor(v) && v.dt === 'float' && (!this.tapeActive() || this.requiresGrad(v.x))) throw new Unsupported(`${name} on a tensor (numpy has no autograd)`, line);
      }
    }
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
      // In a numpy function probed for its values, an array's method is numpy's ndarray method
      // (`x.max(1)` is an array, not PyTorch's (values, indices)): the lowering reads numpy's spelling.
      spelling: this.opts.valuesOnly && spell.kind === 'method' ? { ...spell, framework: 'numpy' } : spell,
      name,
      line,
      has: (p) => args[p] !== undefined,
      value: (p) => value(p) as CVal | undefined,
      tensor: (p) => ev.toTensor(present(p), line) as unknown as ReturnType<LowerCtx['tensor']>,
      float: (p) => ev.cast(ev.toTensor(present(p), line), 'float') as unknown as ReturnType<LowerCtx['tensor']>,
      num(p) {
        const v = value(p);
        if (!v || v.t === 'none') return undefined;
        // A one-element tensor holds one known number on the probe inputs (a tf.shape(x)[0], a t.sum()).
        // (integers only: a float tensor's gradient would be lost).
        const n = pyNumber(v) ?? (isTensor(v) && v.x.size === 1 && v.dt !== 'float' ? v.x.dataSync()[0] : undefined);
        if (n === undefined) throw new Unsupported(`${name} with a non-number ${p}`, line);
        return n;
      },
      str(p) {
        const v = value(p);
        return v?.t === 'str' ? v.v : undefined;
      },
      flag(p) {
        const v = value(p);
        // A tensor passed where a flag goes (`binary_crossentropy(t, p, w)`: from_logits=w) is tested as Python tests it.
        // The code's own bug (a weight passed in the flag's place: `binary_crossentropy(t, p, w)`); the framework raises on its truth value.
        if (v && isTensor(v) && v.x.size !== 1) {
          const raised = spell.framework === 'torch' ? 'PyTorch raises: Boolean value of Tensor with more than one value is ambiguous' : spell.framework === 'numpy' ? 'numpy raises: The truth value of an array with more than one element is ambiguous' : "TensorFlow raises on the tensor's truth value (eager: ambiguous for more than one element; in a graph, a tensor as a Python bool is not allowed)";
          throw new EvalError(`${name}: the flag \`${p}\` is given a tensor [${v.x.shape.join(', ')}] (a bug in the code: the argument in that place is the flag, not a weight); ${raised}`, line);
        }
        return v ? truthy(v, line) : undefined;
      },
      dim: (p, rank) => ev.dimArg(value(p), rank, line),
      dims: (p, rank) => ev.dimsArg(value(p), rank, line),
      shape(p) {
        const v = present(p);
        // A shape held in a 1-D integer tensor (`tf.zeros(tf.shape(y)[:-1])`): its values.
        if (isTensor(v) && v.dt === 'int' && v.x.shape.length === 1) return Array.from(v.x.dataSync());
        let items: Val[] = v.t === 'list' ? v.items : [v];
        if (items.length === 1 && items[0].t === 'list') items = items[0].items;
        return items.map((d) => {
          // A one-element integer tensor holds a known size on the probe inputs (`tf.shape(x)[1]`).
          const n = pyNumber(d) ?? (isTensor(d) && d.x.size === 1 && d.dt === 'int' ? d.x.dataSync()[0] : undefined);
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
      // numpy's and jax.numpy's functions take a list as an array (`np.power(beta, counts)`); a Python operator does not.
      binop: (o, a, b) => {
        const arr = (v: Val): Val => ((spell.framework === 'numpy' || spell.framework === 'jax') && v.t === 'list' ? ev.toTensor(v, line) : v);
        return ev.binop(o, arr(a as Val), arr(b as Val), line) as CVal;
      },
      compare: (o, a, b) => ev.compareValues(o, a as Val, b as Val, line) as CVal,
      requiresGrad(p) {
        const v = value(p);
        return !!v && isTensor(v) && ev.requiresGrad(v.x);
      },
      setGradEnabled(on) {
        ev.gradEnabled = on;
      },
      draw(shape, d, key) {
        if (!ev.opts.draws) throw new Unsupported(`${name} (a random draw outside a probe's seeded stream)`, line);
        ev.checkSize(shape, line);
        return ev.opts.draws.draw(spell.name, shape, d, key);
      },
      unsupported(what) {
        throw new Unsupported(what, line);
      },
      error(message) {
        throw new EvalError(message, line);
      },
    };
    if (spell.kind === 'method' && spell.name.endsWith('_')) {
      const recv = value('input');
      if (recv && isTensor(recv)) this.writeIntoLeaf(recv.x, line);
    }
    const r = op.lower(cx) as Val;
    if (numpyConst && isTensor(r)) this.numpyConstants.add(r.x);
    return spell.kind === 'method' && spell.name.endsWith('_') ? inplaceResult(value('input'), r, name, line) : r;
  }



}

/** Whether a value is or holds a tensor (in a list, tuple or dict). */
function holdsTensor(v: Val): boolean {
  if (isTensor(v)) return true;
  if (v.t === 'list') return v.items.some(holdsTensor);
  if (v.t === 'dict') return v.entries.some(([, x]) => holdsTensor(x));
  return false;
}

/** Whether an expression holds a call (one that may draw random values). */
function holdsCall(e: Expr): boolean {
  let found = false;
  forEachExpr(e, (x) => void (found ||= x.k === 'call'));
  return found;
}

/** A module constructor's literal default as a value (`reduction='mean'`). */
function moduleDefault(d: PyLiteral): Val {
  return d === null ? NONE : typeof d === 'number' ? num(d) : typeof d === 'boolean' ? { t: 'bool', v: d } : { t: 'str', v: d };
}

/** The attribute an `__init__` assigns to `self.<attr>` (its first parameter's), else undefined. */
function initAttr(t: Target, init: FunctionIR): string | undefined {
  const self = init.params[0]?.name;
  return t.k === 'attr' && t.obj.k === 'name' && t.obj.id === self ? t.attr : undefined;
}

/** A call of a framework's API (optax, TensorFlow, Keras, JAX, flax, haiku, PyTorch): no effect on other values. */
function frameworkCall(e: Expr): boolean {
  return e.k === 'call' && !!e.callee && /^(optax|tensorflow|keras|jax|flax|haiku|torch|tf_keras)\./.test(e.callee);
}
