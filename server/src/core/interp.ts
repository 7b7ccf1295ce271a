/**
 * The abstract interpreter: runs each function of a ModuleIR over the lattice (lattice.ts) and
 * records, for every expression, what its value means (logits, probabilities, pt, a modulating
 * factor, ...) and what is known of scalars (their values and ranges).
 *
 * It never executes anything. Control flow: an `if` on a known scalar takes its branch, an `if` on
 * anything else runs both branches and joins; loop, with and try bodies run once. Parameters are
 * seeded from their defaults joined with the literals passed at call sites in the same file, and
 * from how the function uses them (a parameter fed to `sigmoid` is logits). `self.x` resolves
 * through the class's `__init__`, closures see their parent's final environment.
 */
import { FINFO_CALLS, FLOAT_INFO, floatFormatOf, type FloatInfo } from './floats';
import * as A from './algebra';
import { binaryLayout, indexLayout, unsqueezed, withLayout } from './layout';
import type { Call, ClassIR, Expr, FunctionIR, ModuleIR, Param, Span, Stmt, Target } from './ir';
import { callsIn, kerasLossSignature, walkExprs } from './ir';
import { argparseOption, parsedNamespaces } from './argparse';
import { stmtsOf } from './walk';
import {
  combineValues,
  constValue,
  detachValue,
  NOT_TENSOR,
  iClamp,
  iHull,
  iMul,
  iNeg,
  iAdd,
  join,
  joinPy,
  mk,
  REALS,
  scalarOf,
  UNIT,
  unknown,
  type AbsValue,
  type FocalParts,
  type PyNumber,
} from './lattice';
import { bindCall, bindModuleCall, resolveQualified, type AbsCtx, type Expect, type ExpectKind, type OpDef, type Spelling } from '../ops';
import type { LatticeOps } from '../ops/api';

export interface FunctionFacts {
  fn: FunctionIR;
  /** The value of every expression of the body (nested defs excluded). */
  values: Map<Expr, AbsValue>;
  /** The seeded value of each parameter. */
  params: Map<string, AbsValue>;
  /** The values of its `return` statements. */
  returns: AbsValue[];
  /**
   * The values of the `return` statements reached on the path the function takes at its defaults:
   * none after a branch that the defaults decide and that returns (`if indexes is None: return xs`),
   * or after a `return` or `raise` of the same block. `returns` holds them all.
   */
  returnsAtDefaults: AbsValue[];
  /** The root expressions of the body's statements (nested defs excluded), in order. */
  roots: Expr[];
}

/**
 * Values that reach a module's functions from elsewhere (server/src/project/: call sites in other
 * files, argparse defaults, config files): per function qualname (`FocalLoss.__init__`, `focal_loss`),
 * per parameter name, literal expressions (numbers, strings, booleans, None, lists of numbers). They
 * are joined with the defaults and the same file's call-site literals, as one more call site each.
 * The project index builds them; this is the only way values from other files enter the interpreter.
 */
export type ExternalValues = ReadonlyMap<string, ReadonlyMap<string, readonly Expr[]>>;

export interface ModuleFacts {
  functions: Map<FunctionIR, FunctionFacts>;
  /** `self.x` values per class, from `__init__`. */
  classAttrs: Map<string, Map<string, AbsValue>>;
  /** Functions whose interpretation failed (an interpreter bug): they are left out, the others go on. */
  errors: { fn: string; error: unknown }[];
}

type Env = { vars: Map<string, AbsValue>; parent?: Env };

const TARGET_NAME = /^(y_?true|y|t|gt|gts|truth|targets?|labels?|label_ids?|gt_\w+|\w+_targets?|\w+_labels?|target_\w+|one_?hot\w*)$/i;
/** A variable named for logits (`logits`, `real_logits`, `cls_logit`). */
const LOGITS_NAME = /(^|_)logits?$/i;
/** Roots of qualified names that are a framework's or Python's own modules, never a project's settings. */
const FRAMEWORK_ROOT = /^(torch|torchvision|tensorflow|keras|tf_keras|jax|flax|optax|haiku|numpy|scipy|math|builtins|os|sys)(\.|$)/;

/** Whether qualified name `q` is a framework's or Python's (not a settings module's, `config.ALPHA`). */
export function frameworkName(q: string): boolean {
  return FRAMEWORK_ROOT.test(q);
}

const HYPER_NAME = /^(gamma|alpha|beta|eps|epsilon|smooth\w*|weight|gamma_\w+|alpha_\w+|\w+_gamma|\w+_alpha|focusing_param\w*|balance\w*)$/i;

/** What a qualified attribute read as a value is (see `eval`), per qualified name (read once each). */
const qualifiedValues = new Map<string, 'none' | 'dtype' | Spelling | undefined>();
function qualifiedValue(q: string): 'none' | 'dtype' | Spelling | undefined {
  if (qualifiedValues.has(q)) return qualifiedValues.get(q);
  let v: 'none' | 'dtype' | Spelling | undefined;
  if (/\.Reduction(V2)?\.NONE$/.test(q)) v = 'none';
  // A dtype (`torch.long`, `tf.float32`, `np.int64`): its name, which casts read.
  else if (/^(torch|tensorflow|numpy|jax\.numpy|keras\.backend)\.(u?int\d*|long|short|float\d*|double|half|bfloat16|bool)$/.test(q)) v = 'dtype';
  else {
    // An op named as a value (`activation=tf.nn.softmax`).
    const spell = resolveQualified(q);
    if (spell && spell.kind !== 'method') v = spell;
  }
  if (qualifiedValues.size >= 20_000) qualifiedValues.clear();
  qualifiedValues.set(q, v);
  return v;
}

function lookup(env: Env | undefined, name: string): AbsValue | undefined {
  for (let e = env; e; e = e.parent) {
    const v = e.vars.get(name);
    if (v) return v;
  }
  return undefined;
}

class Interp {
  readonly facts: ModuleFacts = { functions: new Map(), classAttrs: new Map(), errors: [] };
  private readonly moduleEnv: Env = { vars: new Map() };
  private readonly globalsBusy = new Set<string>();
  private readonly callLiterals = new Map<string, Map<string, AbsValue[]>>();
  /** The numeric literal defaults of the parameters of the function whose roles are being read (`max_ratio=50`). */
  private paramDefaults: ReadonlyMap<string, number> = new Map();
  /** Call-site values `self.<attr>` waiting for the values of the `__init__` parameter stored there. */
  private readonly forwarded: { list: AbsValue[]; at: AbsValue; arg: Expr; self: string; stored: Map<string, { init: FunctionIR; param: Param }> }[] = [];
  private readonly onceIn = new Map<FunctionIR, Map<string, Expr>>();
  /** argparse options' defaults by dest, names bound to a parsed command line, and call-site values read from one. */
  private readonly argDefaults = new Map<string, Expr>();
  private readonly namespaces = new Set<string>();
  private readonly fromArgs: { list: AbsValue[]; at: AbsValue; arg: Expr }[] = [];
  /** Call-site values that are a parameter of the calling function passed on (`helper(x, gamma)`), waiting for that parameter's values. */
  private readonly passedOn: { list: AbsValue[]; at: AbsValue; from: FunctionIR; param: Param }[] = [];
  private readonly initParams = new Map<ClassIR, Map<string, { init: FunctionIR; param: Param } | undefined>>();
  private readonly finalEnv = new Map<FunctionIR, Env>();
  private cur!: FunctionFacts;
  /** The value of each settings module name a function reads (`setting`). */
  private readonly settings = new WeakMap<object, Map<string, AbsValue>>();
  private curClass?: ClassIR;
  private recordValues = true;
  /**
   * Autograd is off here: inside `with torch.no_grad():` (the span of `torch.no_grad()`) or after
   * `torch.set_grad_enabled(False)` called as a statement (the span of that call). What is bound
   * meanwhile is detached there.
   */
  private gradOff: Expr['span'] | undefined;
  /** The current function's parameters whose role was learnt inside a branch: their value without it. */
  private unroled = new Map<string, { role: AbsValue; plain: AbsValue }>();

  /** Top-level functions by name (the first definition wins, as call sites bind at run time) and every function by qualname. */
  private readonly topLevel = new Map<string, FunctionIR>();
  private readonly byQualname = new Map<string, FunctionIR>();

  /** Each method's own class definition (a name defined twice has two: each method belongs to its own). */
  private readonly classOf = new Map<FunctionIR, ClassIR>();
  /** The attributes each class definition's `__init__` sets on `self`. */
  private readonly attrsOf = new Map<ClassIR, Map<string, AbsValue>>();

  constructor(
    private readonly mod: ModuleIR,
    private readonly external?: ExternalValues,
  ) {
    for (const f of mod.functions) {
      if (!f.className && !f.parent && !f.isModule && !this.topLevel.has(f.name)) this.topLevel.set(f.name, f);
      if (!this.byQualname.has(f.qualname)) this.byQualname.set(f.qualname, f);
    }
    for (const c of mod.classDefs) for (const m of c.methods.values()) this.classOf.set(m, c);
  }

  run(only?: (fn: FunctionIR) => boolean): ModuleFacts {
    this.collectCallLiterals();
    // Every class's `__init__` first, also of a class whose statement is not re-checked (the incremental
    // analysis): its methods, and those of the re-checked statements that use its instances, read the
    // attributes it sets (`self.act = nn.Softmax(dim=1)` in `__init__`, `self.act(x)` in `forward`).
    for (const cls of this.mod.classDefs) {
      const init = cls.methods.get('__init__');
      if (init) this.guarded(init);
    }
    for (const fn of this.mod.functions) {
      if ((!only || only(fn)) && !this.facts.functions.has(fn)) this.guarded(fn);
    }
    return this.facts;
  }

  /** Analyses one function; an exception drops that function only, never the module. */
  private guarded(fn: FunctionIR): void {
    const savedFacts = this.cur;
    const savedClass = this.curClass;
    const savedRecord = this.recordValues;
    const savedGrad = this.gradOff;
    try {
      this.analyze(fn);
    } catch (error) {
      this.facts.functions.delete(fn);
      this.facts.errors.push({ fn: fn.qualname, error });
      this.cur = savedFacts;
      this.curClass = savedClass;
      this.recordValues = savedRecord;
    } finally {
      this.gradOff = savedGrad;
    }
  }

  // --- hyperparameters from call sites ------------------------------------------------------

  private collectCallLiterals(): void {
    const names = new Set<string>();
    for (const fn of this.mod.functions) if (!fn.className && !fn.parent) names.add(fn.name);
    for (const c of this.mod.classes.keys()) names.add(c);
    const visit = (e: Expr, from?: FunctionIR, instances?: Map<string, ClassIR>): void => {
      for (const x of callsIn(e)) {
        // `crit = Focal()` then `crit(p, t)`: the instance's call passes its arguments to the class's
        // forward (nn.Module), `__call__` or Keras `call`, as a call of a function passes them to it.
        const cls = x.func.k === 'name' ? instances?.get(x.func.id) : undefined;
        const method = cls && (cls.methods.get('forward') ?? cls.methods.get('__call__') ?? cls.methods.get('call'));
        if (method) {
          this.noteCallOf(method, true, x, from);
          continue;
        }
        const option = argparseOption(x);
        if (option) this.argDefaults.set(option.dest, option.default);
        // functools.partial(f, gamma=0.5): the arguments it binds are passed at every call of the partial.
        if (x.callee === 'functools.partial' && x.args[0]?.k === 'name' && names.has(x.args[0].id)) {
          this.noteCall(x.args[0].id, { ...x, args: x.args.slice(1) }, from);
          continue;
        }
        if (x.func.k !== 'name' || !names.has(x.func.id)) continue;
        this.noteCall(x.func.id, x, from);
      }
    };
    const stmts = (ss: Stmt[], from?: FunctionIR, instances = new Map<string, ClassIR>()): void => {
      for (const s of ss) {
        if (s.k === 'assign' || s.k === 'expr') visit(s.value, from, instances);
        else if (s.k === 'return' && s.value) visit(s.value, from, instances);
        else if (s.k === 'if') {
          visit(s.test, from, instances);
          stmts(s.body, from, instances);
          stmts(s.orelse, from, instances);
        } else if (s.k === 'other') stmts(s.body, from, instances);
        if (s.k !== 'assign' || s.aug) continue;
        // `crit = Focal()` then `crit.gamma = 0.5`: the attribute set on the instance is one more value
        // of the constructor parameter `__init__` stores in it.
        const [t] = s.targets;
        for (const n of parsedNamespaces(s.targets, s.value)) this.namespaces.add(n);
        if (s.targets.length === 1 && t.k === 'name') {
          const cls = s.value.k === 'call' && s.value.func.k === 'name' ? this.mod.classes.get(s.value.func.id) : undefined;
          if (cls) instances.set(t.id, cls);
          else instances.delete(t.id);
        } else if (s.targets.length === 1 && t.k === 'attr' && t.obj.k === 'name' && instances.has(t.obj.id)) {
          const stored = this.initParamOf(instances.get(t.obj.id)!, t.attr);
          if (stored) this.addCallLiteral(stored.init.qualname, stored.param.name, this.literal(s.value));
        }
      }
    };
    stmts(this.mod.body);
    for (const fn of this.mod.functions) stmts(fn.body, fn);
    // Values from other files and configs (project/): one more call site per value.
    if (this.external) {
      for (const [qualname, params] of this.external) {
        const fn = this.byQualname.get(qualname);
        if (!fn) continue;
        let m = this.callLiterals.get(qualname);
        if (!m) this.callLiterals.set(qualname, (m = new Map()));
        for (const [name, exprs] of params) {
          const list = m.get(name) ?? [];
          for (const e of exprs) list.push(this.literal(e));
          m.set(name, list);
        }
      }
    }
    // `args.gamma` passed at a call site, `args` a parsed command line: the option's default.
    for (const { list, at, arg } of this.fromArgs) {
      const i = list.indexOf(at);
      const d = arg.k === 'attr' && arg.obj.k === 'name' && this.namespaces.has(arg.obj.id) ? this.argDefaults.get(arg.attr) : undefined;
      if (i >= 0 && d) list[i] = this.literal(d);
    }
    this.fromArgs.length = 0;
    // `self.gamma` passed at a call site in a method: the values of what `__init__` stored in it, now
    // that every call site of the class is known.
    for (const { list, at, arg, self, stored } of this.forwarded) {
      const i = list.indexOf(at);
      if (i < 0) continue;
      const valuesOf = ({ init, param }: { init: FunctionIR; param: Param }): AbsValue[] => [
        ...(param.default ? [this.literal(param.default)] : []),
        ...(this.callLiterals.get(init.qualname)?.get(param.name) ?? []),
      ];
      const direct = arg.k === 'attr' && arg.obj.k === 'name' && arg.obj.id === self ? stored.get(arg.attr) : undefined;
      if (direct) {
        // `helper(ce, self.gamma)`: each value of the parameter is one more value here.
        const values = valuesOf(direct);
        if (values.length > 0) list.splice(i, 1, ...values);
        continue;
      }
      // An op call reading `self` (`F.cross_entropy(x, t, weight=self.weight)`): evaluated with each
      // attribute's values joined, as the parameter itself would be.
      if (arg.k !== 'call' || !arg.op || !arg.spell || arg.method) continue;
      const env: Env = { vars: new Map([[self, mk('unknown', { name: 'self', src: arg.span })]]), parent: this.moduleEnv };
      for (const [attr, s] of stored) {
        const v = this.seedParam(s.param.name, s.param.default, valuesOf(s).slice(s.param.default ? 1 : 0), undefined, { vars: new Map(), parent: this.moduleEnv });
        // As `__init__` stores it (bind): a scalar or None hyperparameter, named.
        env.vars.set(`self.${attr}`, v.m === 'scalar' || v.m === 'none' ? { ...v, hyper: true, name: v.name ?? attr } : v);
      }
      const saved = this.recordValues;
      this.recordValues = false;
      try {
        list[i] = this.expr(arg, env);
      } finally {
        this.recordValues = saved;
      }
    }
    this.forwarded.length = 0;
    // A parameter of the calling function passed on (`gather(x, indexes=class_indexes)`): each of its
    // values (its default, its own call sites' values) is one more value here; a chain of helpers is
    // followed a few calls deep. One with no value known stays unknown.
    for (let round = 0; round < 4 && this.passedOn.length; round++) {
      const waiting = this.passedOn.splice(0);
      for (const w of waiting) {
        const i = w.list.indexOf(w.at);
        if (i < 0) continue;
        const own = this.callLiterals.get(w.from.qualname)?.get(w.param.name) ?? [];
        if (own.some((x) => this.passedOn.some((o) => o.at === x) || waiting.some((o) => o.at === x && o !== w))) {
          this.passedOn.push(w);
          continue;
        }
        const values = [...(w.param.default ? [this.literal(w.param.default)] : []), ...own];
        if (values.length > 0 && values.every((x) => x.m !== 'unknown')) w.list.splice(i, 1, ...values);
      }
    }
    this.passedOn.length = 0;
  }

  /** `definedOnce` of a function's body, computed once per interpretation. */
  private definedOnceIn(fn: FunctionIR): Map<string, Expr> {
    let m = this.onceIn.get(fn);
    if (!m) this.onceIn.set(fn, (m = definedOnce(fn.body)));
    return m;
  }

  private addCallLiteral(qualname: string, param: string, v: AbsValue): void {
    let m = this.callLiterals.get(qualname);
    if (!m) this.callLiterals.set(qualname, (m = new Map()));
    const list = m.get(param) ?? [];
    list.push(v);
    m.set(param, list);
  }

  /**
   * The `__init__` parameter stored in `self.<attr>` in class `cls` (`self.gamma = gamma`), when that
   * is the attribute's only assignment in `__init__`.
   */
  private initParamOf(cls: ClassIR, attr: string): { init: FunctionIR; param: Param } | undefined {
    let known = this.initParams.get(cls);
    if (!known) this.initParams.set(cls, (known = new Map()));
    if (!known.has(attr)) known.set(attr, this.findInitParam(cls, attr));
    return known.get(attr);
  }

  private findInitParam(cls: ClassIR, attr: string): { init: FunctionIR; param: Param } | undefined {
    const init = cls.methods.get('__init__');
    const self = init?.params[0]?.name;
    if (!init || !self) return undefined;
    const sets: Expr[] = [];
    for (const s of stmtsOf(init.body)) {
      if (s.k !== 'assign') continue;
      for (const t of s.targets) if (t.k === 'attr' && t.attr === attr && t.obj.k === 'name' && t.obj.id === self) sets.push(s.aug ? { k: 'unknown', what: 'augmented', span: s.span } : s.value);
    }
    if (sets.length !== 1 || sets[0].k !== 'name') return undefined;
    const id = sets[0].id;
    const param = init.params.find((p, i) => i > 0 && p.kind === 'plain' && p.name === id);
    return param ? { init, param } : undefined;
  }

  private noteCall(callee: string, call: Call, from?: FunctionIR): void {
    const cls = this.mod.classes.get(callee);
    const fn = cls ? cls.methods.get('__init__') : this.topLevel.get(callee);
    if (fn) this.noteCallOf(fn, !!cls, call, from);
  }

  /** The values a call passes to `fn`'s parameters (`bound`: a method, called on an instance: `self` is not passed). */
  private noteCallOf(fn: FunctionIR, bound_: boolean, call: Call, from?: FunctionIR): void {
    const params = fn.params.filter((p) => p.kind === 'plain').slice(bound_ ? 1 : 0);
    let m = this.callLiterals.get(fn.qualname);
    if (!m) this.callLiterals.set(fn.qualname, (m = new Map()));
    const owner = from?.className && from.name !== '__init__' ? this.classOf.get(from) : undefined;
    const self = owner ? from!.params[0]?.name : undefined;
    const add = (name: string, e: Expr): void => {
      // A local of the calling function bound once to a table op call is that call (`ce =
      // F.cross_entropy(...)` then `helper(ce)`), evaluated as if written in the argument list.
      const once = e.k === 'name' && from && !from.params.some((p) => p.name === e.id) ? this.definedOnceIn(from).get(e.id) : undefined;
      const arg = once && once.k === 'call' && once.op && once.spell && !once.method ? once : e;
      // What it reads of `self` (`self.gamma`, `weight=self.weight`): the values `__init__` stored
      // there, known once every call site of the class is (collectCallLiterals' end).
      const stored = new Map<string, { init: FunctionIR; param: Param }>();
      if (owner && self) {
        for (const x of walkExprs(arg)) {
          if (x.k !== 'attr' || x.obj.k !== 'name' || x.obj.id !== self || stored.has(x.attr)) continue;
          const s = this.initParamOf(owner, x.attr);
          if (s) stored.set(x.attr, s);
        }
      }
      const v = stored.size > 0 ? unknown(arg.span) : this.literal(arg);
      const list = m!.get(name) ?? [];
      list.push(v);
      m!.set(name, list);
      if (stored.size > 0) this.forwarded.push({ list, at: v, arg, self: self!, stored });
      else if (arg.k === 'attr' && arg.obj.k === 'name') this.fromArgs.push({ list, at: v, arg });
      else if (arg.k === 'name' && from) {
        const param = from.params.find((p) => p.name === arg.id && p.kind === 'plain');
        if (param && !assignedIn(from.body, arg.id)) this.passedOn.push({ list, at: v, from, param });
      }
    };
    // Positional arguments fill the parameters before a `*args` one (those after it are keyword-only).
    const star = fn.params.findIndex((p) => p.kind === 'star');
    const positional = star < 0 ? params : params.filter((p) => fn.params.indexOf(p) < star);
    const bound = new Set<string>();
    call.args.forEach((a, i) => {
      if (i < positional.length && !(call.star && i >= call.star.at)) {
        add(positional[i].name, a);
        bound.add(positional[i].name);
      }
    });
    for (const [k, v] of Object.entries(call.kwargs)) {
      add(k, v);
      bound.add(k);
    }
    // A splat may hold any other parameter (one already given, by position or by name, it cannot: Python raises).
    if (call.splat) for (const p of params) if (!bound.has(p.name)) add(p.name, { k: 'unknown', what: 'splat', span: call.span });
  }

  /** Evaluates a literal expression (numbers, constants, lists of numbers, op calls) without any environment. */
  private literal(e: Expr): AbsValue {
    const saved = this.recordValues;
    this.recordValues = false;
    try {
      // A call of a table op passed straight in (`weigh(F.cross_entropy(x, t, reduction="none"), 0.5)`):
      // what the op makes of its arguments as far as they are known without the caller's locals.
      // A loss module built in the call (`Focal(nn.BCEWithLogitsLoss(reduction="none"))`) is a module value.
      if (e.k === 'call' && e.op && e.spell && !e.method) return this.expr(e, this.moduleEnv);
      if (e.k === 'name' || e.k === 'attr' || e.k === 'call') {
        // Module-level constants are fine; anything computed is not a literal.
        if (e.k === 'name' && this.mod.globals.has(e.id)) return this.global(e.id);
        return unknown(e.span);
      }
      return this.expr(e, this.moduleEnv);
    } finally {
      this.recordValues = saved;
    }
  }

  /**
   * A module value read through an import of a settings module (`cfg.ALPHA` of `import config as
   * cfg`, `config.TRAIN.GAMMA`), not a framework's: a hyperparameter whose value the file does not
   * hold. Every read of one name in a function is the same value (`a * t + (1 - a) * (1 - t)` with
   * `a` read twice is an alpha_t), as a parameter's reads are.
   */
  private settingRead(e: Extract<Expr, { k: 'attr' }>): boolean {
    let root: Expr = e;
    while (root.k === 'attr') root = root.obj;
    return root.k === 'name' && this.mod.imports.has(root.id) && !!e.qualified && !frameworkName(e.qualified);
  }

  private setting(q: string, attr: string, span: Span): AbsValue {
    // Module-level code (a global's value) has no function's facts: its environment keys its names.
    const owner: object = this.cur ?? this.moduleEnv;
    let held = this.settings.get(owner);
    if (!held) this.settings.set(owner, (held = new Map()));
    let v = held.get(q);
    if (!v) held.set(q, (v = mk('unknown', { hyper: true, name: attr, src: span })));
    return v;
  }

  private global(name: string): AbsValue {
    const cached = this.moduleEnv.vars.get(name);
    if (cached) return cached;
    const e = this.mod.globals.get(name);
    if (!e || this.globalsBusy.has(name)) return unknown();
    this.globalsBusy.add(name);
    const saved = this.recordValues;
    this.recordValues = false;
    try {
      const v = this.expr(e, this.moduleEnv);
      this.moduleEnv.vars.set(name, v);
      return v;
    } finally {
      this.recordValues = saved;
      this.globalsBusy.delete(name);
    }
  }

  // --- functions -----------------------------------------------------------------------------

  private analyze(fn: FunctionIR): FunctionFacts {
    const done = this.facts.functions.get(fn);
    if (done) return done;
    this.busy.add(fn);
    try {
      return this.analyzeNew(fn);
    } finally {
      this.busy.delete(fn);
    }
  }

  private analyzeNew(fn: FunctionIR): FunctionFacts {
    const facts: FunctionFacts = { fn, values: new Map(), params: new Map(), returns: [], returnsAtDefaults: [], roots: [] };
    this.facts.functions.set(fn, facts);
    let parentEnv: Env = this.moduleEnv;
    if (fn.parent) {
      const parent = this.byQualname.get(fn.parent);
      if (parent) {
        this.analyze(parent);
        parentEnv = this.finalEnv.get(parent) ?? this.moduleEnv;
      }
    }
    const savedFacts = this.cur;
    const savedClass = this.curClass;
    this.cur = facts;
    this.curClass = this.classOf.get(fn) ?? (fn.className ? this.mod.classes.get(fn.className) : undefined);
    const env: Env = { vars: new Map(), parent: parentEnv };
    const savedGrad = this.gradOff;
    this.gradOff = undefined;
    const [savedUnreached, savedCut] = [this.unreached, this.cut];
    [this.unreached, this.cut] = [false, false];
    const roles = this.roles(fn);
    const literals = this.callLiterals.get(fn.qualname);
    const savedUnroled = this.unroled;
    this.unroled = new Map();
    fn.params.forEach((p, i) => {
      let v: AbsValue;
      if (i === 0 && fn.className && (p.name === 'self' || p.name === 'cls')) v = mk('unknown', { name: 'self', src: p.span });
      else if (p.kind !== 'plain') v = unknown(p.span);
      else v = this.seedParam(p.name, p.default, literals?.get(p.name), roles.get(p.name), env);
      // `alpha: float` is a scalar even when no value reaches it; `cfg: LossConfig` an instance of that class.
      if ((v.m === 'unknown' || v.m === 'none') && (p.annotation === 'float' || p.annotation === 'int')) v = mk('scalar', { hyper: true, name: p.name, src: p.span });
      if (v.m === 'unknown' && !v.hyper && p.annotation && this.mod.classes.has(p.annotation)) v = mk('unknown', { instanceOf: p.annotation, src: p.span });
      // Keras calls a loss as fn(y_true, y_pred) with y_pred the model's output: a probability unless from_logits.
      if (((v.m === 'unknown' && !v.hyper) || (v.m === 'prob' && !v.act) || v.inBranch) && p.name === 'y_pred' && kerasLossSignature(fn)) {
        v = mk('prob', { range: UNIT, keras: true, src: p.span });
      } else if (v.roleFrom && p.name === 'y_pred' && kerasLossSignature(fn)) {
        // The role came from one call; by Keras's convention y_pred is still the prediction.
        v = { ...v, byName: 'prob' };
      }
      if (v.m === 'scalar' || v.m === 'none' || v.m === 'unknown') v = { ...v, name: v.name ?? p.name, hyper: v.m === 'scalar' ? true : v.hyper };
      v.src ??= p.span;
      facts.params.set(p.name, v);
      env.vars.set(p.name, v);
      if (v.branchPath && p.kind === 'plain') {
        // What the parameter is on the branches that did not teach the role.
        let plain = this.seedParam(p.name, p.default, literals?.get(p.name), undefined, env);
        if (plain.m === 'scalar' || plain.m === 'none' || plain.m === 'unknown') plain = { ...plain, name: plain.name ?? p.name, hyper: plain.m === 'scalar' ? true : plain.hyper };
        plain.src ??= p.span;
        this.unroled.set(p.name, { role: v, plain });
      }
    });
    this.block(fn.body, env, true);
    [this.unreached, this.cut] = [savedUnreached, savedCut];
    this.unroled = savedUnroled;
    this.gradOff = savedGrad;
    this.finalEnv.set(fn, env);
    this.cur = savedFacts;
    this.curClass = savedClass;
    return facts;
  }

  private seedParam(name: string, def: Expr | undefined, lits: AbsValue[] | undefined, role: AbsValue | undefined, env: Env): AbsValue {
    let v: AbsValue | undefined;
    if (def) {
      const saved = this.recordValues;
      this.recordValues = false;
      v = this.expr(def, env.parent ?? this.moduleEnv);
      this.recordValues = saved;
    }
    // Data passed by a test call (`loss(tf.reshape(tf.Variable([[1, 2, 0, 1]]), [4, 1]), ...)`) does not make a
    // prediction or target parameter a constant: its role (from its uses, or its name) stands. What a call
    // passes that means something (`loss(tf.nn.softmax(z), y)`: probabilities) still counts.
    const roleNamed = role !== undefined || /logit/i.test(name) || TARGET_NAME.test(name);
    if (lits && !def && roleNamed) lits = lits.filter((l) => !(['tuple', 'scalar', 'bool', 'string'] as AbsValue['m'][]).includes(l.m));
    if (lits) {
      for (const l of lits) {
        if (!v) v = l;
        else if (v.m === 'scalar' && l.m === 'scalar' && v.values && l.values) v = scalarOf([...v.values, ...l.values], { hyper: true, py: joinPy(v.py, l.py) });
        else if (v.m === 'none' && l.m !== 'none') v = { ...l, orNone: true };
        else if (l.m !== 'none' || v.m !== 'none') v = join(v, l);
        // A call site passing something unknown makes the scalar's values unknown.
        if (l.m === 'unknown' && v.m === 'scalar') v = mk('scalar', { hyper: true, name });
      }
    }
    if (v && v.m !== 'unknown') return v;
    if (role) {
      const byName = /logit/i.test(name) ? 'logits' : TARGET_NAME.test(name) ? 'target' : undefined;
      return role.roleFrom && byName && !role.byName ? { ...role, byName } : role;
    }
    if (HYPER_NAME.test(name)) return mk('unknown', { name, hyper: true });
    if (/logit/i.test(name)) return mk('logits', { name });
    if (TARGET_NAME.test(name)) return mk('target', { name });
    return v ?? unknown();
  }

  /** Infers what an un-defaulted parameter holds from how the body uses it. */
  private roles(fn: FunctionIR): Map<string, AbsValue> {
    const names = new Set(fn.params.filter((p) => p.kind === 'plain' && !p.default).map((p) => p.name));
    const defaults = new Map<string, number>();
    for (const p of fn.params) {
      const n = p.default ? literalNumber(p.default, new Map()) : undefined;
      if (n !== undefined) defaults.set(p.name, n);
    }
    this.paramDefaults = defaults;
    const out = new Map<string, AbsValue>();
    const defs = definedOnce(fn.body);
    const set = (e: Expr | undefined, v: () => AbsValue, strong = false): void => {
      const base = e && stripCasts(e);
      if (base && base.k === 'name' && names.has(base.id) && (strong || !out.has(base.id))) {
        const nv = v();
        const old = out.get(base.id);
        // The same role learnt on two branches holds where both do (their common enclosing branches).
        if (old && old.m === nv.m) out.set(base.id, { ...nv, branchPath: commonPath(old.branchPath, nv.branchPath), inBranch: old.inBranch && nv.inBranch ? true : undefined });
        else out.set(base.id, nv);
      }
      // A use as a probability reaches back through what the value was made of (`p_t = (onehot * p).sum(1)`
      // then `log(p_t + eps)`: p is a probability), never over an earlier, direct use.
      else if (base && !strong) {
        const r = v();
        if (r.m === 'prob') for (const src of probabilitySources(base, defs, names, 0)) if (!out.has(src)) out.set(src, r);
      }
    };
    type Path = NonNullable<AbsValue['branchPath']>;
    let path: Path = [];
    const visitAll = (ss: Stmt[]): void => {
      for (let i = 0; i < ss.length; i++) {
        const s = ss[i];
        const roots: Expr[] = [];
        if (s.k === 'assign' || s.k === 'expr') roots.push(s.value);
        else if (s.k === 'return' && s.value) roots.push(s.value);
        else if (s.k === 'if') {
          roots.push(s.test);
          const saved = path;
          path = [...saved, { at: s.span.s, side: 'body' }];
          visitAll(s.body);
          path = [...saved, { at: s.span.s, side: 'orelse' }];
          visitAll(s.orelse);
          // `if c: return ...` with no else: the statements after it are its else.
          if (!s.orelse.length && terminates(s.body)) {
            visitAll(ss.slice(i + 1));
            path = saved;
            this.markRoots(roots, path, set);
            return;
          }
          path = saved;
        } else if (s.k === 'other') visitAll(s.body);
        this.markRoots(roots, path, set);
      }
    };
    visitAll(fn.body);
    return out;
  }

  /**
   * Records the roles the uses in `roots` give. A use inside an `if` holds on that branch only: a
   * Keras prediction passed to sigmoid under `if self.from_logits:` is a probability otherwise, and
   * targets used as class indices on the softmax branch are not indices on the sigmoid one.
   */
  private markRoots(roots: Expr[], path: NonNullable<AbsValue['branchPath']>, set: (e: Expr | undefined, v: () => AbsValue, strong?: boolean) => void): void {
    const mark = (v: () => AbsValue) => (path.length > 0 ? () => ({ ...v(), inBranch: true, branchPath: path }) : v);
    for (const r of roots) for (const e of walkExprs(r)) this.roleOf(e, (x, v, strong) => set(x, mark(v), strong));
  }

  /** In `env` (one side of `if` statement `stmt`), parameters whose role was learnt on `side` only get their value without it. */
  private withoutRolesOf(stmt: Stmt, side: 'body' | 'orelse', env: Env): void {
    if (!this.unroled.size) return;
    for (const [name, { role, plain }] of this.unroled) {
      if (!role.branchPath?.some((b) => b.at === stmt.span.s && b.side === side)) continue;
      if (env.vars.get(name) === role) env.vars.set(name, plain);
    }
  }

  private roleOf(e: Expr, set: (e: Expr | undefined, v: () => AbsValue, strong?: boolean) => void): void {
    if (e.k === 'call' && e.op && e.bound && e.spell) {
      if (e.spell.kind === 'module') return;
      const expects = e.op.expects;
      if (!expects) return;
      for (const [p, spec] of Object.entries(expects)) {
        const arg = e.bound[p];
        if (!arg) continue;
        const r = this.expectation(spec, e);
        // The call a role came from: a rule about that very call (LL114) reads the name's convention instead.
        if (r) set(arg, () => ({ ...roleValue(r.kind, e.op!, e.spell!), roleFrom: e.span }), r.strong);
      }
      return;
    }
    if (e.k === 'subscript') {
      // alpha[target], probs[range(n), target]
      const last = e.index[e.index.length - 1];
      if (last && last.k === 'name') set(last, () => mk('target_index'), true);
    }
  }

  /** What an `expects` entry asks of an argument in this call (a `from_logits` flag read from a literal or the default). */
  private expectation(spec: Expect, call: Call): { kind: ExpectKind; strong: boolean } | undefined {
    if (typeof spec === 'string') return { kind: spec, strong: false };
    if ('within' in spec) {
      for (const b of spec.bounds) {
        const x = call.bound?.[b];
        const n = x ? literalNumber(x, this.paramDefaults) : undefined;
        if (n !== undefined && (n < spec.within[0] || n > spec.within[1])) return undefined;
      }
      return { kind: spec.kind, strong: false };
    }
    if ('kind' in spec) return { kind: spec.kind, strong: true };
    const flag = call.bound?.[spec.flag];
    const d = call.spell?.defaults[spec.flag];
    const on = flag ? (flag.k === 'const' && typeof flag.value === 'boolean' ? flag.value : undefined) : typeof d === 'boolean' ? d : undefined;
    if (on === undefined) return undefined;
    return { kind: on ? spec.yes : spec.no, strong: false };
  }

  // --- statements ----------------------------------------------------------------------------

  /** Whether the statements being interpreted lie after a return of the path at the defaults (`returnsAtDefaults`). */
  private unreached = false;
  /** Set by a statement after which the rest of its block is not reached at the defaults. */
  private cut = false;

  private block(stmts: Stmt[], env: Env, top = false): void {
    const saved = this.unreached;
    for (const s of stmts) {
      this.stmt(s, env, top);
      if (this.cut) this.unreached = true;
      this.cut = false;
    }
    this.unreached = saved;
  }

  private root(e: Expr, env: Env, top: boolean): AbsValue {
    if (top || this.recordValues) this.cur.roots.push(e);
    return this.expr(e, env);
  }

  private stmt(s: Stmt, env: Env, top: boolean): void {
    switch (s.k) {
      case 'assign': {
        let v = this.root(s.value, env, top);
        if (s.aug && s.targets[0]) {
          const t = s.targets[0];
          const old = t.k === 'name' ? (lookup(env, t.id) ?? unknown()) : t.k === 'attr' ? this.attrValue(t.obj, t.attr, env) : unknown();
          v = binaryLayout(old, v, A.binop(s.aug, old, v, s.span), s.span);
        }
        if (this.gradOff) v = detachedUnder(v, this.gradOff);
        for (const t of s.targets) this.bind(t, v, env);
        return;
      }
      case 'return': {
        const v = s.value ? this.root(s.value, env, top) : mk('none');
        this.cur.returns.push(v);
        if (!this.unreached) this.cur.returnsAtDefaults.push(v);
        this.cut = true;
        return;
      }
      case 'expr': {
        const v = this.root(s.value, env, top);
        // `torch.set_grad_enabled(False)` as a statement: autograd off from here on (until it is turned on again).
        if (v.gradSwitch && v.gradMode) {
          this.gradOff = v.gradMode === 'off' ? s.span : undefined;
          return;
        }
        // An in-place tensor method (`onehot.scatter_(1, t, 1)`, `x.clamp_(min=eps)`) rebinds its receiver.
        const c = s.value;
        // `model.add(layer)` on a Sequential model: one more layer.
        if (c.k === 'call' && c.func.k === 'attr' && c.func.attr === 'add' && c.func.obj.k === 'name') {
          const model = lookup(env, c.func.obj.id);
          const layer = c.args[0] ? (this.cur?.values.get(c.args[0]) ?? unknown()) : unknown();
          if (model?.m === 'module' && model.module?.spell.op.id === 'sequential') {
            const prev = model.module.args.layers;
            const items = prev?.m === 'tuple' ? (prev.items?.length === 1 && prev.items[0].m === 'tuple' ? (prev.items[0].items ?? []) : (prev.items ?? [])) : [];
            env.vars.set(c.func.obj.id, { ...model, id: mk('unknown').id, module: { spell: model.module.spell, args: { ...model.module.args, layers: mk('tuple', { items: [...items, layer] }) } } });
            return;
          }
        }
        // `weights.append(w)` on a list: the list grows (in a loop, by an unknown number of items).
        if (c.k === 'call' && !c.op && c.func.k === 'attr' && (c.func.attr === 'append' || c.func.attr === 'extend') && c.func.obj.k === 'name') {
          const list = lookup(env, c.func.obj.id);
          const item = c.args[0] ? (this.cur?.values.get(c.args[0]) ?? unknown()) : unknown();
          if (list?.m === 'tuple' && list.items && !list.entries) {
            env.vars.set(c.func.obj.id, mk('tuple', { items: c.func.attr === 'append' ? [...list.items, item] : list.items, open: true, src: c.span }));
          }
          return;
        }
        if (c.k === 'call' && c.method && c.spell?.name.endsWith('_') && c.func.k === 'attr') {
          const recv = c.func.obj;
          if (recv.k === 'name') env.vars.set(recv.id, v);
          else if (recv.k === 'attr' && recv.obj.k === 'name') this.bind({ k: 'attr', obj: recv.obj, attr: recv.attr, span: recv.span }, v, env);
        }
        return;
      }
      case 'if': {
        const test = this.root(s.test, env, top);
        const known = truthy(test);
        if (known !== undefined) {
          const taken = known ? s.body : s.orelse;
          this.block(taken, env, top);
          this.cut = terminates(taken);
          return;
        }
        const a: Env = { vars: new Map(env.vars), parent: env.parent };
        const b: Env = { vars: new Map(env.vars), parent: env.parent };
        // A parameter's role learnt on one side only is not seen on the other.
        this.withoutRolesOf(s, 'orelse', a);
        this.withoutRolesOf(s, 'body', b);
        // `if x is not None:` / `if self.alpha:`: on the side where it holds, a value that may be None is not.
        const narrowed = this.notNoneSide(s.test, env);
        const keep = narrowed ? (narrowed.side === 'body' ? a : b) : undefined;
        if (narrowed && keep) keep.vars.set(narrowed.key, narrowed.value);
        // A hyperparameter None by default decides the path at the defaults: the side where it is None.
        const defaultsSide = narrowed?.noneByDefault ? (narrowed.side === 'body' ? 'orelse' : 'body') : undefined;
        const reachedBefore = this.unreached;
        const gradBefore = this.gradOff;
        this.unreached = reachedBefore || defaultsSide === 'orelse';
        this.block(s.body, a, top);
        const gradA = this.gradOff;
        this.gradOff = gradBefore;
        this.unreached = reachedBefore || defaultsSide === 'body';
        this.block(s.orelse, b, top);
        this.unreached = reachedBefore;
        // The narrowing holds inside its branch only: a name it left untouched is what it was after the `if`.
        if (narrowed && keep && keep.vars.get(narrowed.key) === narrowed.value) {
          if (narrowed.before) keep.vars.set(narrowed.key, narrowed.before);
          else keep.vars.delete(narrowed.key);
        }
        // Autograd is off after the `if` only when it is off at the end of both branches.
        if (!gradA) this.gradOff = undefined;
        // A branch that returns (or raises) does not reach the statements after the `if`.
        const [endA, endB] = [terminates(s.body), terminates(s.orelse)];
        this.cut = (endA && endB) || (defaultsSide === 'body' && endA) || (defaultsSide === 'orelse' && endB);
        const names = new Set([...a.vars.keys(), ...b.vars.keys()]);
        // The path the loss takes at its defaults (`if self.weights is not None: ... else: ...` with weights None
        // by default: the else) leads the join, so what the rules see of a value is what it is at the defaults.
        const defaultsFirst = !!narrowed?.noneByDefault && narrowed.side === 'body';
        for (const n of names) {
          const va = endA && !endB ? b.vars.get(n) : a.vars.get(n);
          const vb = endB && !endA ? a.vars.get(n) : b.vars.get(n);
          const v = va && vb ? (va === vb ? va : defaultsFirst ? join(vb, va) : join(va, vb)) : (va ?? vb)!;
          env.vars.set(n, v);
          // `self.alpha = None` on one branch of __init__, a tensor on the other: the attribute is either.
          if (n.startsWith('self.') && va !== vb && this.cur.fn.name === '__init__' && this.curClass) this.attrsOf.get(this.curClass)?.set(n.slice('self.'.length), v);
        }
        return;
      }
      case 'def':
        env.vars.set(s.fn.name, mk('function', { fn: s.fn, src: s.span }));
        return;
      case 'other': {
        if (!s.items?.length) {
          this.block(s.body, env, top);
          // `raise`, `continue`, `break`: the rest of the block is not reached.
          if (s.what === 'raise' || s.what === 'continue' || s.what === 'break') this.cut = true;
          return;
        }
        // `with torch.no_grad():` turns autograd off for its body; `with torch.enable_grad():` back on.
        let mode: 'off' | 'on' | undefined;
        let where: Expr['span'] | undefined;
        for (const item of s.items) {
          const m = this.root(item.ctx, env, top).gradMode;
          if (m) [mode, where] = [m, item.ctx.span];
        }
        const saved = this.gradOff;
        if (mode === 'off') this.gradOff ??= where;
        else if (mode === 'on') this.gradOff = undefined;
        this.block(s.body, env, top);
        this.gradOff = saved;
        return;
      }
      case 'pass':
        return;
    }
  }

  private bind(t: Target, v: AbsValue, env: Env): void {
    switch (t.k) {
      case 'name':
        // `real_logits = disc(real)`: a tensor nothing else tells about, named logits by its author.
        if (v.m === 'unknown' && !v.hyper && !v.instanceOf && !v.classRef && !v.expOf && !v.onePlusExpOf && !v.sumOf && LOGITS_NAME.test(t.id)) v = mk('logits', { src: v.src, name: t.id });
        env.vars.set(t.id, v);
        return;
      case 'tuple':
        t.items.forEach((item, i) => this.bind(item, v.m === 'tuple' && v.items && v.items[i] ? v.items[i] : unknown(), env));
        return;
      case 'subscript': {
        // onehot[range(n), t] = 1: a one-hot encoding of t written in place.
        if (t.obj.k !== 'name') return;
        const idx = t.index.map((i) => this.expr(i, env));
        const flat = idx.length === 1 && idx[0].m === 'tuple' && idx[0].items ? idx[0].items : idx;
        if (flat.some((i) => i.m === 'target_index' || i.m === 'target') && constValue(v) === 1) env.vars.set(t.obj.id, mk('target_onehot', { src: t.span }));
        return;
      }
      case 'attr': {
        // `self.loss_fcn.reduction = 'none'`: a loss module's constructor parameter set on the instance
        // is what passing it would have been; the holder of the module gets the changed one.
        if (t.obj.k === 'name' || t.obj.k === 'attr') {
          const holder = t.obj.k === 'name' ? lookup(env, t.obj.id) : this.attrValue(t.obj.obj, t.obj.attr, env);
          const param = holder?.m === 'module' && holder.module ? holder.module.spell.sig.params.find((p) => p.name === t.attr) : undefined;
          if (holder?.module && param) {
            const changed = mk('module', { module: { spell: holder.module.spell, args: { ...holder.module.args, [param.canon]: v } }, src: holder.src });
            this.bind(t.obj.k === 'name' ? { k: 'name', id: t.obj.id, span: t.obj.span } : { k: 'attr', obj: t.obj.obj, attr: t.obj.attr, span: t.obj.span }, changed, env);
            return;
          }
        }
        if (t.obj.k === 'name' && lookup(env, t.obj.id)?.name === 'self' && this.curClass) {
          let attrs = this.attrsOf.get(this.curClass);
          if (!attrs) this.attrsOf.set(this.curClass, (attrs = new Map()));
          // The facts rules read name classes as callers do: the last definition of the name.
          if (this.mod.classes.get(this.curClass.name) === this.curClass) this.facts.classAttrs.set(this.curClass.name, attrs);
          const isInit = this.cur.fn.name === '__init__';
          const hv = v.m === 'scalar' || v.m === 'none' ? { ...v, hyper: true, name: v.name ?? t.attr } : v;
          if (isInit) attrs.set(t.attr, hv);
          env.vars.set(`self.${t.attr}`, hv);
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * The branch of `if <test>:` where a name or `self.<attr>` that may be None (a hyperparameter left at
   * its default None, or a value joined with None) is not None, and its value there: `x is not None`
   * and `x` hold in the body, `x is None` and `not x` in the else branch.
   */
  private notNoneSide(test: Expr, env: Env): { side: 'body' | 'orelse'; key: string; value: AbsValue; before?: AbsValue; noneByDefault: boolean } | undefined {
    // Each `not` and an `is None` move the not-None side to the else branch: `not x`, `x is None`, and
    // `not x is None` (which Python reads as `not (x is None)`) puts it back in the body.
    let flipped = false;
    let x = test;
    while (x.k === 'unary' && x.op === 'not') [x, flipped] = [x.operand, !flipped];
    if (x.k === 'cmp' && x.ops.length === 1 && x.operands.length === 2 && x.operands[1].k === 'const' && x.operands[1].value === null) {
      if (x.ops[0] === 'is') flipped = !flipped;
      else if (x.ops[0] !== 'is not' && x.ops[0] !== 'isnot') return undefined;
      x = x.operands[0];
    }
    const side: 'body' | 'orelse' = flipped ? 'orelse' : 'body';
    let key: string | undefined;
    let v: AbsValue | undefined;
    if (x.k === 'name') [key, v] = [x.id, lookup(env, x.id)];
    else if (x.k === 'attr' && x.obj.k === 'name' && lookup(env, x.obj.id)?.name === 'self') [key, v] = [`self.${x.attr}`, this.attrValue(x.obj, x.attr, env)];
    if (!key || !v) return undefined;
    // Of a None default only that it is not None is known: no kind (a number or per-class weights), no hyperparameter the rules may judge.
    const value = A.noneByDefault(v) ? mk('unknown', { name: v.name }) : v.orNone ? { ...v, orNone: undefined } : undefined;
    return value ? { side, key, value, before: env.vars.get(key), noneByDefault: A.noneByDefault(v) } : undefined;
  }

  private attrValue(obj: Expr, attr: string, env: Env): AbsValue {
    if (obj.k === 'name') {
      const o = lookup(env, obj.id);
      if (o?.name === 'self') {
        const local = lookup(env, `self.${attr}`);
        if (local) return local;
        if (this.curClass) {
          const v = this.instanceAttr(this.curClass, attr, obj.span, true);
          if (informative(v)) return v;
        }
        if (HYPER_NAME.test(attr)) return mk('unknown', { name: attr, hyper: true });
        return unknown();
      }
    }
    return unknown();
  }

  // --- expressions ---------------------------------------------------------------------------

  expr(e: Expr, env: Env): AbsValue {
    const v = this.eval(e, env);
    if (this.recordValues && this.cur) this.cur.values.set(e, v);
    return v;
  }

  private eval(e: Expr, env: Env): AbsValue {
    switch (e.k) {
      case 'num':
        return scalarOf([e.value], { src: e.span, py: e.int ? 'int' : 'float' });
      case 'str':
        return mk('string', { str: e.value, src: e.span });
      case 'const':
        return e.value === null ? mk('none', { src: e.span }) : mk('bool', { bool: e.value, src: e.span });
      case 'name': {
        const v = lookup(env, e.id);
        if (v) return v;
        if (this.mod.globals.has(e.id)) return this.global(e.id);
        const fn = this.topLevel.get(e.id);
        if (fn) return mk('function', { fn, src: e.span });
        if (this.mod.classes.has(e.id)) return mk('unknown', { classRef: e.id, src: e.span });
        return unknown(e.span);
      }
      case 'attr': {
        const obj = this.expr(e.obj, env);
        if (e.qualified) {
          const q = qualifiedValue(e.qualified);
          if (q === 'none') return mk('string', { str: 'none', src: e.span });
          if (q === 'dtype') return mk('string', { str: e.attr, src: e.span });
          if (q) return mk('function', { opRef: q.op.id, opSpell: q, src: e.span });
          if (this.settingRead(e)) return this.setting(e.qualified, e.attr, e.span);
          return unknown(e.span);
        }
        if (obj.name === 'self') return this.attrValue(e.obj, e.attr, env);
        if (obj.instanceOf) return this.instanceAttr(obj.instanceOf, e.attr, e.span);
        if (obj.classRef) return this.classAttr(obj.classRef, e.attr, e.span);
        // `.data`: the same values (the same id), cut from the graph; of an unknown value only when it
        // may be a tensor (not a hyperparameter, an instance or a class, whose `.data` is an attribute).
        if (e.attr === 'data') return obj.m === 'unknown' && (obj.hyper || obj.instanceOf || obj.classRef) ? obj : detachValue(obj, e.span);
        if (obj.finfo && e.attr in FLOAT_INFO[obj.finfo]) return scalarOf([FLOAT_INFO[obj.finfo][e.attr as keyof FloatInfo]], { src: e.span });
        if (e.attr === 'T') return obj;
        // A tensor's sizes are non-negative integers (`x.shape[1]`: the class count).
        if (e.attr === 'shape' && obj.m !== 'tuple' && obj.m !== 'string') return mk('scalar', { range: { lo: 0, hi: Infinity }, src: e.span });
        return unknown(e.span);
      }
      case 'lambda':
        return mk('function', { fn: e.fn, src: e.span });
      case 'dict': {
        const entries: Record<string, AbsValue> = {};
        e.values.forEach((v, i) => {
          const k = e.keys[i];
          const value = this.expr(v, env);
          if (k?.k === 'str') entries[k.value] = value;
          else if (k) this.expr(k, env);
        });
        return mk('tuple', { entries, src: e.span });
      }
      case 'call':
        return this.call(e, env);
      case 'bin': {
        const l = this.expr(e.left, env);
        const r = this.expr(e.right, env);
        const v = A.binop(e.op, l, r, e.span);
        return e.op === '@' ? v : binaryLayout(l, r, v, e.span);
      }
      case 'unary': {
        const a = this.expr(e.operand, env);
        if (e.op === '-') return withLayout(A.neg(a, e.span), a.layout, a.mixedAt);
        if (e.op === '+') return a;
        if (e.op === 'not') {
          const t = truthy(a);
          return t === undefined ? mk('bool', { src: e.span }) : mk('bool', { bool: !t, src: e.span });
        }
        return unknown(e.span);
      }
      case 'cmp':
        return A.compare(e.ops, e.operands.map((o) => this.expr(o, env)), e.span);
      case 'bool': {
        const l = this.expr(e.left, env);
        const r = this.expr(e.right, env);
        const tl = truthy(l);
        if (e.op === 'and') return tl === false ? l : tl === true ? r : join(l, r);
        return tl === true ? l : tl === false ? r : join(l, r);
      }
      case 'subscript':
        return this.subscript(e, env);
      case 'tuple': {
        const items = e.items.map((x) => this.expr(x, env));
        if (items.length > 0 && items.every((x) => x.m === 'scalar' && x.values?.length === 1)) {
          return mk('tuple', { items, values: items.map((x) => x.values![0]), src: e.span });
        }
        return mk('tuple', { items, src: e.span });
      }
      case 'cond': {
        // As for an `if` statement: a branch the test rules out is not evaluated (`1.0 if alpha is None
        // else alpha[t]` with alpha left at None never indexes it).
        const k = truthy(this.expr(e.test, env));
        if (k === true) return this.expr(e.body, env);
        if (k === false) return this.expr(e.orelse, env);
        return join(this.expr(e.body, env), this.expr(e.orelse, env));
      }
      case 'slice':
        if (e.lower) this.expr(e.lower, env);
        if (e.upper) this.expr(e.upper, env);
        if (e.step) this.expr(e.step, env);
        return unknown(e.span);
      default:
        return unknown(e.span);
    }
  }

  private subscript(e: Extract<Expr, { k: 'subscript' }>, env: Env): AbsValue {
    const obj = this.expr(e.obj, env);
    const idx = e.index.map((i) => this.expr(i, env));
    if (obj.m === 'tuple' && obj.entries && idx.length === 1) {
      const k = idx[0].m === 'string' ? idx[0].str : undefined;
      return (k !== undefined && obj.entries[k]) || unknown(e.span);
    }
    if (obj.m === 'tuple' && obj.items && idx.length === 1) {
      const i = constValue(idx[0]);
      if (i !== undefined && obj.items[i < 0 ? obj.items.length + i : i]) return obj.items[i < 0 ? obj.items.length + i : i];
      return unknown(e.span);
    }
    const byTarget = idx.some((i) => i.m === 'target_index' || i.m === 'target');
    // alpha[t]: one entry per sample, laid out as the index is ([N] for targets as given).
    if (byTarget) return withLayout(A.gathered(obj, e.span), obj.flat ? indexLayout(idx.find((i) => i.m === 'target_index' || i.m === 'target')) : undefined);
    // t[:, None], ce[..., None]: a size-1 axis after the batch axis of a per-sample value.
    if (newAxisAfterBatch(e.index) && unsqueezed(obj)) return withLayout(obj, 'col');
    // Slicing, None-indexing and masks keep the meaning; a mask or an index picks a subset (`loss[valid]`).
    // An exponential or a normaliser reshaped (`np.sum(z, axis=1)[:, None]`) is still one: `z / it` stays a softmax.
    if (obj.m === 'unknown') return (obj.sumOf !== undefined || obj.expOf !== undefined) && e.index.every(isLayoutIndex) ? obj : unknown(e.span);
    // probs[:, 0]: the probability of one class, which one not known here.
    const col = e.index.length >= 2 && e.index.slice(0, -1).every((i) => i.k === 'slice') ? constValue(idx[idx.length - 1]) : undefined;
    if (obj.m === 'prob' && !obj.gathered && col !== undefined && Number.isInteger(col)) return { ...obj, column: col, selected: true };
    return obj.selected || e.index.every(isLayoutIndex) ? obj : { ...obj, selected: true };
  }

  // --- calls ---------------------------------------------------------------------------------

  private call(e: Call, env: Env): AbsValue {
    const fv = e.func.k === 'attr' && e.method ? undefined : this.expr(e.func, env);
    if (e.method && e.func.k === 'attr') this.expr(e.func.obj, env);
    const args = e.args.map((a) => this.expr(a, env));
    for (const a of Object.values(e.kwargs)) this.expr(a, env);
    if (e.op && e.bound && e.spell) {
      const b = this.boundValues(e.bound, env);
      if (e.spell.kind === 'module') {
        const m = mk('module', { module: { spell: e.spell, args: b }, src: e.span });
        if (e.baseInit && this.curClass) this.baseModuleOf.set(this.curClass, m);
        return m;
      }
      return this.applyOp(e.spell, b, e);
    }
    if (fv?.m === 'module' && fv.module) return this.applyModule(fv.module, e, env);
    // torch.finfo(torch.float16), np.finfo(np.float32): a float format's limits (`.eps`, `.tiny`, `.min`, ...).
    if (e.callee && FINFO_CALLS.has(e.callee)) {
      const d = args[0] ?? (e.kwargs.type ? this.expr(e.kwargs.type, env) : e.kwargs.dtype ? this.expr(e.kwargs.dtype, env) : undefined);
      const finfo = d === undefined ? (e.callee === 'torch.finfo' ? 'float32' : undefined) : d.m === 'string' ? floatFormatOf(d.str) : undefined;
      return finfo ? mk('unknown', { finfo, src: e.span }) : unknown(e.span);
    }
    // float(x), int(x): a Python number of that type (the same value otherwise: its id is what the rules follow).
    if (e.func.k === 'name' && (e.func.id === 'float' || e.func.id === 'int') && !lookup(env, e.func.id) && !this.mod.globals.has(e.func.id) && args[0]?.m === 'scalar') {
      return { ...args[0], py: e.func.id };
    }
    if (e.func.k === 'name' && e.func.id === 'isinstance' && !lookup(env, 'isinstance') && !this.mod.globals.has('isinstance') && args[0]) {
      const known = this.isinstanceOf(args[0], e.args[1], env);
      if (known !== undefined) return mk('bool', { bool: known, src: e.span });
    }
    // `x.size(1)`, `x.dim()`, `x.numel()`: non-negative integers.
    if (e.func.k === 'attr' && !e.op && SIZE_METHODS.has(e.func.attr) && e.args.length <= 1 && Object.keys(e.kwargs).length === 0) return mk('scalar', { range: { lo: 0, hi: Infinity }, src: e.span });
    // An op held in a variable (`bce = tf.keras.losses.binary_crossentropy` ... `bce(y, p)`).
    if (fv?.opSpell && fv.opSpell.kind === 'function') {
      const tuple = (items: Expr[]): Expr => ({ k: 'tuple', items, list: false, span: e.span });
      return this.applyOp(fv.opSpell, this.boundValues(bindCall(fv.opSpell, e.args, e.kwargs, tuple), env), e);
    }
    // Functions and classes of this module: what they return (their own analysis, context-free; a
    // parameter returned as it came in is the argument given: `passThrough`).
    if (fv?.m === 'function' && fv.fn) return this.oneExpression(fv.fn, e, args, env) ?? this.passThrough(fv.fn, this.returnOf(fv.fn, e.span), e, args, env, false);
    if (fv?.classRef) return mk('unknown', { instanceOf: fv.classRef, src: e.span });
    // `self(x)` in a method (a Lightning training_step): the class's own forward.
    if (fv?.name === 'self' && fv.m === 'unknown' && !fv.instanceOf && this.curClass && e.func.k === 'name') {
      const m = this.method(this.curClass, 'forward') ?? this.method(this.curClass, '__call__') ?? this.method(this.curClass, 'call');
      if (m && m !== this.cur?.fn) return this.returnOf(m, e.span);
    }
    if (fv?.instanceOf) {
      const cls = this.mod.classes.get(fv.instanceOf);
      const m = cls && (this.method(cls, 'forward') ?? this.method(cls, '__call__') ?? this.method(cls, 'call'));
      return m ? this.returnOf(m, e.span) : unknown(e.span);
    }
    if (e.func.k === 'attr' && !e.op) {
      const recv = e.func.obj;
      const rv = this.cur?.values.get(recv) ?? this.exprQuiet(recv, env);
      // self.helper(...), obj.method(...), super().forward(...)
      const owner = rv.name === 'self' && this.curClass ? this.curClass : rv.instanceOf ? this.mod.classes.get(rv.instanceOf) : undefined;
      const isSuper = recv.k === 'call' && recv.func.k === 'name' && recv.func.id === 'super';
      const m = isSuper && this.curClass ? this.baseMethod(this.curClass, e.func.attr) : owner ? this.method(owner, e.func.attr) : undefined;
      if (m) return this.passThrough(m, this.returnOf(m, e.span), e, args, env, true);
      // super().forward(x, t) in a subclass of a library module: that module applied.
      const lib = isSuper && this.curClass && MODULE_APPLY.has(e.func.attr) ? this.baseModule(this.curClass) : undefined;
      if (lib?.module) return this.applyModule(lib.module, e, env);
      if (e.callee === 'functools.partial' || (e.func.attr === 'partial' && e.callee?.endsWith('.partial'))) return args[0] ?? unknown(e.span);
    }
    if (e.callee === 'functools.partial' && args[0]?.m === 'function') return args[0];
    return unknown(e.span);
  }

  /** The functions being analysed (a call into one of them while it is being analysed returns unknown). */
  private readonly busy = new Set<FunctionIR>();

  /**
   * What `isinstance(v, types)` answers where the value's Python type is known here: None (a
   * hyperparameter left at None: False but for NoneType), a Python number (a literal, a default or a
   * call site's literal: `int` or `float`), a string. A number is no tensor, array, container or
   * string, so `isinstance(self.alpha, torch.Tensor)` is False for an alpha left at its default of 1
   * and the loss's path at its defaults is the one read. A type this cannot name (a class of the
   * user's, a name bound here), or `int` alone on a number that may be a float, leaves it undecided.
   */
  private isinstanceOf(v: AbsValue, types: Expr | undefined, env: Env): boolean | undefined {
    if (!types || v.orNone) return undefined;
    if (v.m === 'none') return mentionsNoneType(types) ? undefined : false;
    const kind: PyKind | undefined = v.m === 'scalar' && v.py ? v.py : v.m === 'string' ? 'str' : undefined;
    if (!kind) return undefined;
    let undecided = false;
    const named = new Set<string>();
    const visit = (t: Expr): boolean => {
      if (t.k === 'tuple') return t.items.some(visit);
      const name = t.k === 'name' ? (lookup(env, t.id) || this.mod.globals.has(t.id) || this.mod.classes.has(t.id) ? undefined : (this.mod.imports.get(t.id) ?? `builtins.${t.id}`)) : t.k === 'attr' ? t.qualified : undefined;
      if (name) named.add(name);
      const holds = name === undefined ? undefined : pyTypeHolds(kind, name);
      if (holds === undefined) undecided = true;
      return holds === true;
    };
    if (visit(types)) return true;
    // A number that may be an int or a float is one of `(int, float)`.
    if (kind === 'number' && named.has('builtins.int') && named.has('builtins.float')) return true;
    return undecided ? undefined : false;
  }

  /** What a function of this module returns: the join of its `return` values, from its own analysis. */
  private returnOf(fn: FunctionIR, span: Expr['span']): AbsValue {
    if (this.busy.has(fn)) return unknown(span);
    let facts = this.facts.functions.get(fn);
    if (!facts) {
      const saved = this.recordValues;
      this.recordValues = true;
      try {
        this.guarded(fn);
      } finally {
        this.recordValues = saved;
      }
      facts = this.facts.functions.get(fn);
    }
    if (!facts || facts.returns.length === 0) return unknown(span);
    let v = facts.returns[0];
    for (const r of facts.returns.slice(1)) v = join(v, r);
    return v.m === 'none' ? unknown(span) : v;
  }

  /**
   * A one-expression function defined in the body that calls it (`clip = lambda x: tf.clip_by_value(x,
   * eps, 1 - eps)`, `log = lambda x: tf.math.log(x)`) is read at the call: its expression with the
   * call's arguments for its parameters, its free names those of the body (the closure's own). Only
   * plain positional calls that give every parameter; anything else is read context-free.
   */
  private oneExpression(fn: FunctionIR, e: Call, args: AbsValue[], env: Env): AbsValue | undefined {
    const ret = fn.body.length === 1 && fn.body[0].k === 'return' ? fn.body[0].value : undefined;
    if (!ret || fn.parent === undefined || fn.parent !== this.cur?.fn.qualname || this.busy.has(fn)) return undefined;
    if (e.star || e.splat || Object.keys(e.kwargs).length || args.length !== fn.params.length || fn.params.some((p) => p.kind !== 'plain')) return undefined;
    const vars = new Map<string, AbsValue>();
    fn.params.forEach((p, i) => vars.set(p.name, args[i]));
    this.busy.add(fn);
    try {
      return this.exprQuiet(ret, { vars, parent: env });
    } finally {
      this.busy.delete(fn);
    }
  }

  /**
   * A helper that returns a parameter as it came in (`return x`, `return a, b`, `return xs` of `*xs`,
   * as shape checks and channel pickers do when given no indexes) returns, at a call, the argument
   * given there: the context-free return `v` is the parameter's seeded value (the same id), which the
   * call's argument replaces, item by item in a returned tuple. Calls with a splat (`**kwargs` aside)
   * or a parameter bound twice keep `v`. `self` is skipped for methods called on an object.
   */
  private passThrough(fn: FunctionIR, v: AbsValue, e: Call, args: AbsValue[], env: Env, bound: boolean): AbsValue {
    const facts = this.facts.functions.get(fn);
    if (!facts || e.star || (e.splat && !e.kwsplat)) return v;
    const params = bound && fn.className && (fn.params[0]?.name === 'self' || fn.params[0]?.name === 'cls') ? fn.params.slice(1) : fn.params;
    const byId = new Map<number, AbsValue>();
    let i = 0;
    for (const p of params) {
      const seed = facts.params.get(p.name);
      if (!seed) continue;
      if (p.kind === 'star') {
        byId.set(seed.id, mk('tuple', { items: args.slice(i), src: e.span }));
        i = args.length;
        continue;
      }
      if (p.kind !== 'plain') continue;
      const kw = e.kwargs[p.name];
      if (i < args.length && kw) return v;
      const given = i < args.length ? args[i++] : kw ? (this.cur?.values.get(kw) ?? this.exprQuiet(kw, env)) : undefined;
      if (given) byId.set(seed.id, given);
    }
    if (!byId.size) return v;
    // The returns the path at the defaults reaches (a call passing other values is joined into the
    // defaults' path by the call-site literals, which leave the deciding test undecided).
    const reached = facts.returnsAtDefaults.length ? facts.returnsAtDefaults.reduce((a, b) => join(a, b)) : v;
    const swap = (x: AbsValue, depth: number): AbsValue => {
      const hit = byId.get(x.id);
      if (hit) return hit;
      if (depth < 2 && x.m === 'tuple' && x.items && !x.entries) {
        const items = x.items.map((it) => swap(it, depth + 1));
        return items.some((it, k) => it !== x.items![k]) ? { ...x, items, id: mk('unknown').id } : x;
      }
      return x;
    };
    const out = swap(reached, 0);
    return out === reached ? v : out;
  }

  /** A method of a class definition, looked up through its bases (by name, as Python resolves them) in this module. */
  private method(c: ClassIR, name: string, seen = new Set<ClassIR>()): FunctionIR | undefined {
    if (seen.has(c)) return undefined;
    seen.add(c);
    const m = c.methods.get(name);
    if (m) return m;
    for (const b of c.bases) {
      const bc = this.mod.classes.get(b);
      const found = bc && this.method(bc, name, seen);
      if (found) return found;
    }
    return undefined;
  }

  /** The library module a class's `__init__` constructs through `super().__init__(...)`, by class. */
  private readonly baseModuleOf = new Map<ClassIR, AbsValue>();

  /** The library module behind `super()` in a class (or a base of it in this module), from its `__init__`. */
  private baseModule(c: ClassIR, seen = new Set<ClassIR>()): AbsValue | undefined {
    if (seen.has(c)) return undefined;
    seen.add(c);
    const init = c.methods.get('__init__');
    if (init && !this.facts.functions.has(init) && !this.busy.has(init)) this.returnOf(init, c.span);
    const v = this.baseModuleOf.get(c);
    if (v) return v;
    for (const b of c.bases) {
      const bc = this.mod.classes.get(b);
      const bv = bc && this.baseModule(bc, seen);
      if (bv) return bv;
    }
    return undefined;
  }

  /** `super().name`: the method of a base class. */
  private baseMethod(c: ClassIR, name: string): FunctionIR | undefined {
    for (const b of c.bases) {
      const bc = this.mod.classes.get(b);
      const m = bc && this.method(bc, name);
      if (m) return m;
    }
    return undefined;
  }

  /** An attribute of an instance: set by `__init__` (of the class or a base), else a class attribute. */
  private instanceAttr(c: ClassIR | string, attr: string, span: Expr['span'], selfOnly = false, seen = new Set<ClassIR>()): AbsValue {
    const cls = typeof c === 'string' ? this.mod.classes.get(c) : c;
    if (!cls || seen.has(cls)) return unknown(span);
    seen.add(cls);
    const init = cls.methods.get('__init__');
    if (init && !this.facts.functions.has(init) && !this.busy.has(init) && !selfOnly) this.returnOf(init, span);
    const v = this.attrsOf.get(cls)?.get(attr);
    if (v) return v;
    const ca = this.classAttr(cls, attr, span);
    if (informative(ca)) return ca;
    for (const b of cls.bases) {
      const bc = this.mod.classes.get(b);
      if (!bc) continue;
      const bv = this.instanceAttr(bc, attr, span, selfOnly, seen);
      if (informative(bv)) return bv;
    }
    return unknown(span);
  }

  /** A class attribute (`gamma = 2.0` in the class body): a hyperparameter. */
  private classAttr(c: ClassIR | string, attr: string, span: Expr['span']): AbsValue {
    const cls = typeof c === 'string' ? this.mod.classes.get(c) : c;
    const e = cls?.attrs.get(attr);
    if (!e) return unknown(span);
    const v = this.literal(e);
    return v.m === 'scalar' || v.m === 'none' || v.m === 'string' || v.m === 'bool' ? { ...v, hyper: v.m === 'scalar' ? true : v.hyper, name: v.name ?? attr } : v;
  }

  /** The values of a call's bound arguments (already evaluated, or evaluated now without recording: a synthesised varargs tuple). */
  private boundValues(bound: Record<string, Expr>, env: Env): Record<string, AbsValue> {
    const b: Record<string, AbsValue> = {};
    for (const [k, x] of Object.entries(bound)) b[k] = this.cur?.values.get(x) ?? this.exprQuiet(x, env);
    return b;
  }

  private exprQuiet(x: Expr, env: Env): AbsValue {
    const saved = this.recordValues;
    this.recordValues = false;
    try {
      return this.expr(x, env);
    } finally {
      this.recordValues = saved;
    }
  }

  /** A call of a module instance (`criterion(logits, t)`, `self.act(x)`): the call's arguments over the constructor's. */
  private applyModule(m: { spell: Spelling; args: Record<string, AbsValue> }, e: Call, env: Env): AbsValue {
    const tuple = (items: Expr[]): Expr => ({ k: 'tuple', items, list: false, span: e.span });
    const b = { ...m.args, ...this.boundValues(bindModuleCall(m.spell, e.args, e.kwargs, tuple), env) };
    return this.applyOp(m.spell, b, e);
  }

  /** Runs an op's abstract meaning (ops/) on bound argument values. */
  private applyOp(spell: Spelling, b: Record<string, AbsValue>, e: Call): AbsValue {
    return applyOpAbstract(spell, b, e);
  }

}

/**
 * Runs an op's abstract meaning (ops/) on bound argument values, with the context the interpreter
 * gives every op (its lattice operations apply a module value through this same function). Exported
 * for test/core/creating-ops.test.ts, which runs every op this way (core/prefilter.ts Lemma 1).
 */
export function applyOpAbstract(spell: Spelling, b: Record<string, AbsValue>, e: Call): AbsValue {
  const op = spell.op;
  if (!op.abstract) return unknown(e.span);
  const def = (p: string): unknown => (Object.prototype.hasOwnProperty.call(spell.defaults, p) ? spell.defaults[p] : undefined);
  const cx: AbsCtx = {
    call: e,
    spelling: spell,
    span: e.span,
    arg: (p) => b[p],
    has: (p) => b[p] !== undefined,
    str: (p) => {
      const v = b[p];
      if (v?.m === 'string' && v.str !== undefined) return v.str;
      const d = def(p);
      return typeof d === 'string' ? d : undefined;
    },
    flag: (p) => {
      const v = b[p];
      if (v) return v.m === 'bool' ? v.bool : v.m === 'none' ? false : v.m === 'scalar' && v.values?.length === 1 ? v.values[0] !== 0 : undefined;
      const d = def(p);
      return typeof d === 'boolean' ? d : undefined;
    },
    num: (p) => {
      const v = b[p];
      if (v) return constValue(v);
      const d = def(p);
      return typeof d === 'number' ? d : undefined;
    },
    L: LATTICE_OPS,
  };
  const v = op.abstract(cx);
  return op.layout ? op.layout(cx, v) : v;
}

const LATTICE_OPS: LatticeOps = {
  neg: A.neg,
  pow: A.pow,
  binop: A.binop,
  compare: A.compare,
  gathered: A.gathered,
  placeOn: A.placeOn,
  sideTerms: A.sideTerms,
  reduce: A.reduce,
  applyModule: (m, args, span) => {
    if (m.m !== 'module' || !m.module) return unknown(span);
    const call: Call = { k: 'call', func: { k: 'unknown', what: 'module', span }, args: [], kwargs: {}, splat: false, span };
    return applyOpAbstract(m.module.spell, { ...m.module.args, ...args }, call);
  },
};

/** The Python type of a value isinstance can be answered on: a number (lattice `py`) or a string. */
type PyKind = PyNumber | 'str';

/** Builtin types no number or string is an instance of. */
const CONTAINER_TYPES: ReadonlySet<string> = new Set(['list', 'tuple', 'dict', 'set', 'frozenset', 'bytes', 'bytearray', 'complex', 'bool', 'type', 'range', 'slice']);
/** Abstract collection types (typing, collections.abc) a number is never an instance of. */
const COLLECTION_ABCS: ReadonlySet<string> = new Set(['Iterable', 'Iterator', 'Sequence', 'MutableSequence', 'Mapping', 'MutableMapping', 'Collection', 'Container', 'Sized', 'List', 'Tuple', 'Dict', 'Set']);
/** Modules whose types (tensors, arrays, parameters, variables) no Python number or string is an instance of. */
const TENSOR_MODULES = ['torch.', 'tensorflow.', 'keras.', 'numpy.', 'jax.', 'jaxlib.', 'mxnet.', 'paddle.', 'cupy.'];

/**
 * Whether a Python value of `kind` is an instance of the type named `name` (canonical: `builtins.int`,
 * `torch.Tensor`, `numbers.Real`), or undefined where that cannot be told (`int` on a number that may
 * be a float, a type of unknown origin).
 */
export function pyTypeHolds(kind: PyKind, name: string): boolean | undefined {
  const number = kind !== 'str';
  if (name.startsWith('builtins.')) {
    const t = name.slice('builtins.'.length);
    if (t === 'object') return true;
    if (t === 'str') return !number;
    if (t === 'int' || t === 'float') return !number ? false : kind === 'number' ? undefined : kind === t;
    if (CONTAINER_TYPES.has(t)) return false;
    return undefined;
  }
  if (name === 'numbers.Number' || name === 'numbers.Complex' || name === 'numbers.Real') return number;
  if (name === 'numbers.Integral' || name === 'numbers.Rational') return !number ? false : kind === 'number' ? undefined : kind === 'int';
  const [mod, last] = [name.slice(0, name.lastIndexOf('.')), name.slice(name.lastIndexOf('.') + 1)];
  if ((mod === 'typing' || mod === 'collections.abc' || mod === 'collections') && COLLECTION_ABCS.has(last)) return number ? false : undefined;
  if (TENSOR_MODULES.some((m) => name.startsWith(m))) return false;
  return undefined;
}

/** Whether a type argument of isinstance names NoneType (`type(None)`, `types.NoneType`, `None`). */
function mentionsNoneType(e: Expr | undefined): boolean {
  if (!e) return true;
  for (const x of walkExprs(e)) {
    if (x.k === 'const' && x.value === null) return true;
    if (x.k === 'name' && x.id === 'NoneType') return true;
    if (x.k === 'attr' && x.attr === 'NoneType') return true;
  }
  return false;
}

/** Meanings that are not tensors (nothing to detach). */

/** A value bound while autograd is off (`with torch.no_grad():`): the same values, detached at `where`. */
function detachedUnder(v: AbsValue, where: Expr['span']): AbsValue {
  if (NOT_TENSOR.has(v.m) || v.detached || (v.m === 'unknown' && (v.hyper || v.instanceOf || v.classRef))) return v;
  return detachValue(v, where);
}

/** Whether a value says anything: a meaning, or an unknown that is a hyperparameter, an instance, a class or an op. */
function informative(v: AbsValue): boolean {
  return v.m !== 'unknown' || !!v.hyper || !!v.instanceOf || !!v.classRef || !!v.opSpell;
}

/** The methods that apply a module to its inputs. */
const MODULE_APPLY: ReadonlySet<string> = new Set(['forward', '__call__', 'call']);

/** Whether a value is known truthy (true), known falsy (false), or not known. */
/** Whether a block always leaves the function or the loop (its last statement returns or raises). */
function terminates(body: Stmt[]): boolean {
  const last = body[body.length - 1];
  return !!last && (last.k === 'return' || (last.k === 'other' && (last.what === 'raise' || last.what === 'continue' || last.what === 'break')));
}

/** The branches two paths share (the enclosing ones common to both); undefined when either holds everywhere. */
function commonPath(a: AbsValue['branchPath'], b: AbsValue['branchPath']): AbsValue['branchPath'] {
  if (!a || !b) return undefined;
  const out: NonNullable<AbsValue['branchPath']> = [];
  for (let i = 0; i < a.length && i < b.length && a[i].at === b[i].at && a[i].side === b[i].side; i++) out.push(a[i]);
  return out.length ? out : undefined;
}

function truthy(v: AbsValue): boolean | undefined {
  if (v.orNone || A.noneByDefault(v)) return undefined;
  if (v.m === 'bool') return v.bool;
  if (v.m === 'none') return false;
  if (v.m === 'scalar' && v.values?.length === 1) return v.values[0] !== 0;
  if (v.m === 'string' && v.str !== undefined) return v.str.length > 0;
  return undefined;
}

/** Local names assigned exactly once in a body (nested blocks included), with the expression they hold. */
/**
 * The bindings of a body, nested defs aside: `assign` for each assignment statement, `other` for each
 * target a loop or a `with` binds (nested blocks visited).
 */
function forEachBinding(body: Stmt[], assign: (s: Stmt & { k: 'assign' }) => void, other: (t: Target | undefined) => void): void {
  const visit = (ss: Stmt[]): void => {
    for (const s of ss) {
      if (s.k === 'assign') assign(s);
      else if (s.k === 'if') {
        visit(s.body);
        visit(s.orelse);
      } else if (s.k === 'other') {
        other(s.target);
        for (const w of s.items ?? []) other(w.target);
        visit(s.body);
      }
    }
  };
  visit(body);
}

const boundNamesOf = new WeakMap<Stmt[], Set<string>>();

/** Whether `name` is bound anywhere in `body` (an assignment, an unpacking, a loop or `with` target), nested defs aside. */
function assignedIn(body: Stmt[], name: string): boolean {
  let names = boundNamesOf.get(body);
  if (!names) {
    const out = new Set<string>();
    const bind = (t: Target | undefined): void => {
      if (t?.k === 'name') out.add(t.id);
      else if (t?.k === 'tuple') t.items.forEach(bind);
    };
    forEachBinding(body, (s) => s.targets.forEach(bind), bind);
    boundNamesOf.set(body, (names = out));
  }
  return names.has(name);
}

function definedOnce(body: Stmt[]): Map<string, Expr> {
  const seen = new Map<string, Expr | null>();
  // A name bound by unpacking, a loop or a `with` is not bound once to one expression.
  const rebind = (t: Target | undefined): void => {
    if (t?.k === 'name') seen.set(t.id, null);
    else if (t?.k === 'tuple') t.items.forEach(rebind);
  };
  forEachBinding(
    body,
    (s) => {
      for (const t of s.targets) {
        if (t.k === 'tuple') rebind(t);
        if (t.k !== 'name') continue;
        seen.set(t.id, seen.has(t.id) || s.aug || s.targets.length > 1 ? null : s.value);
      }
    },
    rebind,
  );
  const out = new Map<string, Expr>();
  for (const [k, v] of seen) if (v) out.set(k, v);
  return out;
}

/** A small positive constant added as a guard (`p + 1e-7`, `p + K.epsilon()`). */
function isGuardConstant(e: Expr): boolean {
  if (e.k === 'num') return e.value > 0 && e.value < 1e-2;
  return e.k === 'call' && e.op?.id === 'epsilon';
}

/** A target mask by its name or its making (`onehot`, `F.one_hot(t, C)`): never the probability factor. */
function isTargetMask(e: Expr): boolean {
  const b = stripCasts(e);
  if (b.k === 'name') return TARGET_NAME.test(b.id);
  return b.k === 'call' && b.op?.id === 'one_hot';
}

/**
 * The parameters a value used as a probability was made of, through the ops that carry that evidence
 * (`OpDef.evidence`), guard constants, indexing and the locals defined once on the way.
 */
/**
 * A number written in the source: a literal, its negation, sums, differences and products of them,
 * and names of parameters whose defaults are such numbers (`-1 * max_ratio` with `max_ratio=50`).
 */
export function literalNumber(e: Expr, names: ReadonlyMap<string, number>): number | undefined {
  if (e.k === 'num') return e.value;
  if (e.k === 'name') return names.get(e.id);
  if (e.k === 'unary' && (e.op === '-' || e.op === '+')) {
    const x = literalNumber(e.operand, names);
    return x === undefined ? undefined : e.op === '-' ? -x : x;
  }
  if (e.k === 'bin' && (e.op === '*' || e.op === '+' || e.op === '-')) {
    const [a, b] = [literalNumber(e.left, names), literalNumber(e.right, names)];
    if (a === undefined || b === undefined) return undefined;
    return e.op === '*' ? a * b : e.op === '+' ? a + b : a - b;
  }
  return undefined;
}

function probabilitySources(e: Expr, defs: ReadonlyMap<string, Expr>, params: ReadonlySet<string>, depth: number): string[] {
  if (depth > 6) return [];
  const b = stripCasts(e);
  const next = (x: Expr | undefined): string[] => (x ? probabilitySources(x, defs, params, depth + 1) : []);
  if (b.k === 'name') {
    if (params.has(b.id)) return depth > 0 ? [b.id] : [];
    return next(defs.get(b.id));
  }
  if (b.k === 'bin' && b.op === '+') return isGuardConstant(b.right) ? next(b.left) : isGuardConstant(b.left) ? next(b.right) : [];
  if (b.k === 'subscript') return next(b.obj);
  if (b.k === 'call' && b.op?.evidence && b.bound?.input) {
    if (b.op.evidence === 'input') return next(b.bound.input);
    if (!b.bound.dim) return [];
    const prod = stripCasts(b.bound.input);
    if (prod.k !== 'bin' || prod.op !== '*') return [];
    const factors = [prod.left, prod.right].filter((x) => !isTargetMask(x));
    return factors.length === 1 ? next(factors[0]) : [];
  }
  return [];
}

/** Tensor methods that return a size: a Python integer (`size(d)`), or a torch.Size read through an index. */
const SIZE_METHODS: ReadonlySet<string> = new Set(['size', 'dim', 'numel', 'nelement', 'ndimension']);

/** Ops that keep what a value means (reshapes, casts, copies): a parameter seen through them is still the parameter. */
const MEANING_PRESERVING: ReadonlySet<string> = new Set(['cast', 'reshape', 'flatten', 'permute', 'transpose', 'squeeze', 'unsqueeze', 'expand', 'identity', 'detach']);

/** A value seen through reshapes, casts and copies (`t.long().view(-1)` is `t`). */
export function stripCasts(e: Expr): Expr {
  let cur = e;
  for (let i = 0; i < 8; i++) {
    if (cur.k === 'call' && cur.op && MEANING_PRESERVING.has(cur.op.id) && cur.bound?.input) cur = cur.bound.input;
    // `k[:, None]`, `t[..., None]`: a new axis or a full slice, the same values.
    else if (cur.k === 'subscript' && cur.index.every(isLayoutIndex)) cur = cur.obj;
    else break;
  }
  return cur;
}

/** `[:, None]` or `[..., None]` on a 1-D per-sample value: [N] becomes [N, 1]. */
function newAxisAfterBatch(index: Expr[]): boolean {
  const items = index.length === 1 && index[0].k === 'tuple' ? index[0].items : index;
  if (items.length !== 2) return false;
  const [a, b] = items;
  return isNewAxis(b) && ((a.k === 'slice' && !a.lower && !a.upper && !a.step) || a.k === 'ellipsis');
}

/** `None` in an index, or its alias `np.newaxis` / `tf.newaxis`: a new axis of size 1. */
function isNewAxis(i: Expr): boolean {
  return (i.k === 'const' && i.value === null) || (i.k === 'attr' && /^(numpy|jax\.numpy|tensorflow)\.newaxis$/.test(i.qualified ?? ''));
}

function isLayoutIndex(i: Expr): boolean {
  if (i.k === 'tuple') return i.items.every(isLayoutIndex);
  return (i.k === 'slice' && !i.lower && !i.upper && !i.step) || i.k === 'ellipsis' || isNewAxis(i);
}

/** The value an expectation gives a parameter: a prediction of a Keras or library loss knows its activation. */
function roleValue(kind: ExpectKind, op: OpDef, spell: Spelling): AbsValue {
  switch (kind) {
    case 'logits':
      return mk('logits');
    case 'prob':
      return op.loss ? mk('prob', { range: UNIT, act: op.loss.act, keras: spell.framework === 'keras' || op.loss.input === 'flag' }) : mk('prob', { range: UNIT });
    case 'target_index':
      return mk('target_index');
    case 'target_onehot':
      return mk('target_onehot');
    default:
      return mk('target');
  }
}

/**
 * Interprets the module's functions, or only those `only` selects (with their enclosing functions,
 * whose final environment closures read). Call-site literals are gathered from every function of
 * `mod` either way, so a function's facts are the same as in a whole-module run as long as `mod`
 * holds every statement that calls it and every module-level name it reads (analysis/incremental.ts).
 */
export function interpretModule(mod: ModuleIR, only?: (fn: FunctionIR) => boolean, options: { external?: ExternalValues } = {}): ModuleFacts {
  return new Interp(mod, options.external).run(only);
}
