/**
 * Names a function reads that nothing binds: no local, parameter or enclosing function's name, no
 * module-level name (assignment, import, definition, class), no builtin. Python raises NameError
 * where it reads one (a typo, `preds` for the parameter `prefds`; a class's attribute read without
 * `self.`; a helper the file never imports), so the checker says that, as Python says it, instead of
 * "unsupported". Pure IR reading, conservative: a module whose names can come from elsewhere (a star
 * import, `globals()`, `exec`, a `match` statement's captures, a target the IR does not read) claims
 * nothing.
 */
import type { ClassIR, Expr, FunctionIR, ModuleIR, Stmt, Target } from '../core/ir-types';
import { importsFromText } from '../core/modules';

/**
 * The names each module's imports bind, relative ones included (the IR keeps only absolute ones),
 * read from its text where the module was built from one (module-of.ts): a property of the module
 * object that no copy of it carries (not enumerable: a module sent to a worker, or spread into another,
 * claims nothing), and that the bundles of the main thread and of the worker both read.
 */
const IMPORTED = '__importedNames';

/** Records the names `text`'s imports bind for `mod`, built from it. */
export function noteImports(mod: ModuleIR, text: string): void {
  const names = new Set(importsFromText(text).map((i) => i.local));
  // A notebook's masked IPython line (notebook/magics.ts: `0` padded with spaces) may have bound names
  // (`%run other.py`, `%pylab`): as a star import, any name may be the module's.
  if (/^[ \t]*0[ \t]+$/m.test(text)) names.add('*');
  Object.defineProperty(mod, IMPORTED, { value: names, enumerable: false, configurable: true });
}

function importedNames(mod: ModuleIR): ReadonlySet<string> | undefined {
  return (mod as unknown as Record<string, ReadonlySet<string> | undefined>)[IMPORTED];
}

/**
 * Python 3's builtins (3.8 to 3.13, `dir(builtins)`), the names every module has, and those IPython
 * adds to a notebook's namespace.
 */
const BUILTINS: ReadonlySet<string> = new Set(
  (
    'ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError BrokenPipeError BufferError BytesWarning ' +
    'ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError DeprecationWarning EOFError Ellipsis ' +
    'EncodingWarning EnvironmentError Exception ExceptionGroup False FileExistsError FileNotFoundError FloatingPointError FutureWarning ' +
    'GeneratorExit IOError ImportError ImportWarning IndentationError IndexError InterruptedError IsADirectoryError KeyError KeyboardInterrupt ' +
    'LookupError MemoryError ModuleNotFoundError NameError None NotADirectoryError NotImplemented NotImplementedError OSError OverflowError ' +
    'PendingDeprecationWarning PermissionError ProcessLookupError PythonFinalizationError RecursionError ReferenceError ResourceWarning ' +
    'RuntimeError RuntimeWarning StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError TimeoutError True ' +
    'TypeError UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning UserWarning ' +
    'ValueError Warning ZeroDivisionError _IncompleteInputError __build_class__ __debug__ __doc__ __import__ __loader__ __name__ __package__ ' +
    '__spec__ __file__ __cached__ __builtins__ __annotations__ __path__ __class__ abs aiter all anext any ascii bin bool breakpoint bytearray ' +
    'bytes callable chr classmethod compile complex copyright credits delattr dict dir divmod enumerate eval exec exit filter float format ' +
    'frozenset getattr globals hasattr hash help hex id input int isinstance issubclass iter len license list locals map max memoryview min ' +
    'next object oct open ord pow print property quit range repr reversed round set setattr slice sorted staticmethod str sum super tuple type ' +
    'vars zip display get_ipython In Out _ __ ___ __IPYTHON__'
  ).split(' '),
);

/** Whether `id` is one of Python's builtins (or a name every module or notebook has). */
export function isBuiltin(id: string): boolean {
  return BUILTINS.has(id);
}

/** Calls that read or write a namespace by name: a module making one claims nothing. */
const DYNAMIC = /^(globals|locals|vars|exec|eval|__import__|execfile)$/;

interface Scope {
  names: Set<string>;
  /** Something binds names the IR does not say (a starred or unread target, a `match` statement). */
  opaque: boolean;
  /** Holds a `global` statement: its bound names may be the module's. */
  global: boolean;
  /** Calls `globals()`, `exec`, ... */
  dynamic: boolean;
  /** Yields or awaits: a call runs none of the body. */
  generator?: boolean;
}

function targetNames(t: Target, sc: Scope): void {
  if (t.k === 'name') sc.names.add(t.id);
  else if (t.k === 'tuple') for (const x of t.items) targetNames(x, sc);
  else if (t.k === 'unknown') sc.opaque = true;
}

/** Every node under `root` (IR objects and arrays) but nested functions' bodies (lambdas', defs'). */
function visitNodes(root: unknown, on: (n: Record<string, unknown>) => void): void {
  if (typeof root !== 'object' || root === null || root instanceof Map) return;
  if (Array.isArray(root)) {
    for (const x of root) visitNodes(x, on);
    return;
  }
  const n = root as Record<string, unknown>;
  on(n);
  for (const [k, v] of Object.entries(n)) {
    if (k === 'span' || k === 'nameSpan' || k === 'paren' || k === 'op' || k === 'spell' || k === 'bound' || k === 'fn') continue;
    visitNodes(v, on);
  }
}

/** The names a body binds (its own scope's; nested functions only by their names). */
function scopeOf(body: readonly Stmt[], params: readonly string[] = []): Scope {
  const sc: Scope = { names: new Set(params), opaque: false, global: false, dynamic: false };
  visitNodes(body, (n) => {
    if (n.k === 'def') sc.names.add((n.fn as FunctionIR).name);
    if (n.k === 'other') {
      const s = n as Extract<Stmt, { k: 'other' }>;
      if (s.what === 'global') sc.global = true;
      // A `match` statement's captures, Python 2's `exec` statement: names the IR does not read.
      if (s.what === 'match' || s.what === 'exec') sc.opaque = true;
      for (const h of s.handlers ?? []) if (h.name) sc.names.add(h.name);
    }
    if (n.k === 'assign') for (const t of (n as Extract<Stmt, { k: 'assign' }>).targets) targetNames(t, sc);
    // A `for` statement's or a comprehension's target, a `with` item's (a comprehension's binds in its
    // own scope: counting it here claims less).
    if ((n.k === 'other' || 'iter' in n || 'ctx' in n) && n.target && typeof n.target === 'object') targetNames(n.target as Target, sc);
    if (n.k === 'unknown' && n.walrus) sc.names.add((n.walrus as { name: string }).name);
    // A generator (calling it runs nothing) or a coroutine: no claim of what a call raises.
    if (n.k === 'unknown' && /yield|await/.test(String(n.what))) sc.generator = true;
    if (n.k === 'call') {
      const f = n.func as Expr;
      if (f.k === 'name' && DYNAMIC.test(f.id)) sc.dynamic = true;
    }
  });
  return sc;
}

const SCOPES = new WeakMap<FunctionIR, Scope>();

function functionScope(fn: FunctionIR): Scope {
  let sc = SCOPES.get(fn);
  if (!sc) SCOPES.set(fn, (sc = scopeOf(fn.body, fn.params.map((p) => p.name))));
  return sc;
}

interface ModuleScope {
  names: Set<string>;
  /** Names may come from elsewhere: claim nothing. */
  open: boolean;
}

const MODULES = new WeakMap<ModuleIR, ModuleScope>();

function moduleScope(mod: ModuleIR): ModuleScope {
  let ms = MODULES.get(mod);
  if (ms) return ms;
  const top = scopeOf(mod.body);
  const fromText = importedNames(mod);
  const names = new Set([...top.names, ...mod.globals.keys(), ...(fromText ?? [])]);
  // `from m import *` (the text's `*`, the IR's `*m`): any name may be the module's.
  let open = !fromText || fromText.has('*') || top.opaque || top.dynamic;
  for (const k of mod.imports.keys()) {
    if (k.startsWith('*')) open = true;
    names.add(k.split('.')[0]);
  }
  for (const g of mod.functions) {
    if (!g.className && !g.parent) names.add(g.name);
    const sc = functionScope(g);
    if (sc.dynamic) open = true;
    // `global x` then `x = ...`: the function binds a module name.
    if (sc.global) for (const x of sc.names) names.add(x);
  }
  for (const c of mod.classDefs) names.add(c.name.split('.').pop()!);
  MODULES.set(mod, (ms = { names, open }));
  return ms;
}

/** The functions whose scopes `fn` sees: itself, then the functions it is nested in (by qualname), innermost first. */
function enclosing(fn: FunctionIR, mod: ModuleIR): FunctionIR[] {
  const out = [fn];
  for (const g of mod.functions) if (g !== fn && !g.isModule && fn.qualname.startsWith(`${g.qualname}.`)) out.push(g);
  return out.sort((a, b) => b.qualname.length - a.qualname.length);
}

/** What Python's NameError says after the name: a hint (`self.x`), else the nearest name in scope. */
export interface Unbound {
  /** Python's message: `NameError: name 'x' is not defined`, with its suggestion. */
  message: string;
}

/**
 * Python's suggestion distance (its traceback module's): a weighted Levenshtein distance where a
 * change of case costs 1 and any other edit 2; undefined past `max`.
 */
function distance(a: string, b: string, max: number): number {
  if (a === b) return 0;
  const cost = (x: string, y: string): number => (x === y ? 0 : x.toLowerCase() === y.toLowerCase() ? 1 : 2);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j * 2);
  for (let i = 1; i <= a.length; i++) {
    const row = [i * 2];
    let best = row[0];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 2, row[j - 1] + 2, prev[j - 1] + cost(a[i - 1], b[j - 1]));
      best = Math.min(best, row[j]);
    }
    if (best > max) return max + 1;
    prev = row;
  }
  return prev[b.length];
}

/** The name Python would suggest for `wrong` among `candidates` (its rule: the nearest within a bound that grows with the lengths). */
function suggestion(wrong: string, candidates: Iterable<string>): string | undefined {
  let best = wrong.length;
  let out: string | undefined;
  for (const c of [...new Set(candidates)].sort()) {
    if (c === wrong) continue;
    const max = Math.min(Math.floor(((c.length + wrong.length + 3) * 2) / 6), best - 1);
    const d = distance(wrong, c, max);
    if (d > max) continue;
    if (!out || d < best) {
      out = c;
      best = d;
    }
  }
  return out;
}

/** The attributes `__init__` (or a base's, in the module) stores on `self`, and the class attributes. */
function instanceAttrs(cls: ClassIR | undefined, mod: ModuleIR, depth = 0): Set<string> {
  const out = new Set<string>();
  if (!cls || depth > 4) return out;
  for (const a of cls.attrs.keys()) out.add(a);
  for (const m of cls.methods.values())
    visitNodes(m.body, (n) => {
      if (n.k !== 'assign') return;
      const each = (t: Target): void => {
        if (t.k === 'attr' && t.obj.k === 'name' && t.obj.id === 'self') out.add(t.attr);
        else if (t.k === 'tuple') t.items.forEach(each);
      };
      (n as Extract<Stmt, { k: 'assign' }>).targets.forEach(each);
    });
  for (const b of cls.bases) for (const a of instanceAttrs(mod.classes.get(b), mod, depth + 1)) out.add(a);
  return out;
}

/**
 * Whether `id`, read in `fn`, is bound nowhere Python would look (its own scope, its enclosing
 * functions', the module's, the builtins): then Python raises NameError on reading it, with this
 * message (its suggestion: `self.x` where the instance has that attribute, as Python 3.12 says, else
 * the nearest name in scope). `selfHas`: whether the running instance has an attribute (else the
 * attributes its class's methods store and its class attributes). Undefined where it is bound somewhere, or the module's names can come
 * from elsewhere.
 */
export function unboundName(id: string, fn: FunctionIR, mod: ModuleIR, selfHas?: (attr: string) => boolean): Unbound | undefined {
  if (BUILTINS.has(id)) return undefined;
  const ms = moduleScope(mod);
  if (ms.open || ms.names.has(id)) return undefined;
  const chain = enclosing(fn, mod);
  const scopes = chain.map(functionScope);
  if (scopes.some((s) => s.opaque || s.dynamic || s.names.has(id))) return undefined;
  const base = `NameError: name '${id}' is not defined`;
  // A method reading one of its instance's attributes without `self.`.
  const method = chain.find((g) => g.className && g.params[0]?.kind === 'plain' && g.params[0].name === 'self');
  if (method && (selfHas ? selfHas(id) : instanceAttrs(mod.classes.get(method.className!), mod).has(id))) return { message: `${base}. Did you mean: 'self.${id}'?` };
  const near = suggestion(id, [...scopes.flatMap((s) => [...s.names]), ...ms.names, ...BUILTINS]);
  return { message: near ? `${base}. Did you mean: '${near}'?` : base };
}

/** The names an expression reads wherever it is evaluated: not in a lambda's body, a conditional's branches, `and`/`or`'s right side, a comprehension's parts but its first iterable. */
function unconditionalNames(e: Expr, out: Extract<Expr, { k: 'name' }>[]): void {
  switch (e.k) {
    case 'name':
      out.push(e);
      return;
    case 'attr':
      return unconditionalNames(e.obj, out);
    case 'call':
      unconditionalNames(e.func, out);
      e.args.forEach((a) => unconditionalNames(a, out));
      for (const k in e.kwargs) unconditionalNames(e.kwargs[k], out);
      // `f(*xs)`, `f(**opts)`: the sequence and the mapping are read before the call, like any argument.
      if (e.star) unconditionalNames(e.star.value, out);
      if (e.kwsplat) unconditionalNames(e.kwsplat, out);
      return;
    case 'bin':
      unconditionalNames(e.left, out);
      return unconditionalNames(e.right, out);
    case 'unary':
      return unconditionalNames(e.operand, out);
    case 'cmp':
      // A chain stops at the first false comparison: its first two operands are always read.
      e.operands.slice(0, 2).forEach((a) => unconditionalNames(a, out));
      return;
    case 'bool':
      return unconditionalNames(e.left, out);
    case 'subscript':
      unconditionalNames(e.obj, out);
      e.index.forEach((a) => unconditionalNames(a, out));
      return;
    case 'slice':
      for (const x of [e.lower, e.upper, e.step]) if (x) unconditionalNames(x, out);
      return;
    case 'tuple':
      e.items.forEach((a) => unconditionalNames(a, out));
      return;
    case 'cond':
      return unconditionalNames(e.test, out);
    case 'dict':
      e.keys.forEach((k) => k && unconditionalNames(k, out));
      e.values.forEach((v) => unconditionalNames(v, out));
      return;
    case 'unknown':
      if (e.comp) unconditionalNames(e.comp.gens[0].iter, out);
      if (e.operands) e.operands.forEach((a) => unconditionalNames(a, out));
      if (e.walrus) unconditionalNames(e.walrus.value, out);
      if (e.splat) unconditionalNames(e.splat, out);
      return;
    default:
      return;
  }
}

/** Whether a statement may leave the function: a `return` or a `raise` inside it. */
function mayLeave(s: Stmt): boolean {
  let leaves = false;
  visitNodes(s, (n) => {
    if (n.k === 'return' || (n.k === 'other' && n.what === 'raise')) leaves = true;
  });
  return leaves;
}

/**
 * The first read of an unbound name (`unboundName`) that every call of `fn` reaches unless an earlier
 * statement raises: in the statements of its body before the first that may return (one holding a
 * `return` or a `raise`), at their own level (an `if`'s test, a loop's or a `with`'s header; not
 * inside a block, a lambda, a conditional's branches or a comprehension's element). Such a function can never return a value: Python raises NameError there
 * whatever its arguments are.
 */
export function alwaysUnbound(fn: FunctionIR, mod: ModuleIR): { id: string; line: number; message: string } | undefined {
  if (functionScope(fn).generator) return undefined;
  for (const s of fn.body) {
    const roots: Expr[] = [];
    if (s.k === 'assign') roots.push(s.value, ...s.targets.flatMap((t) => (t.k === 'attr' ? [t.obj] : t.k === 'subscript' ? [t.obj, ...t.index] : [])));
    else if (s.k === 'expr') roots.push(s.value);
    else if (s.k === 'return' && s.value) roots.push(s.value);
    else if (s.k === 'if') roots.push(s.test);
    else if (s.k === 'other') {
      if (s.what === 'for' && s.iter) roots.push(s.iter);
      else if (s.what === 'while' && s.test) roots.push(s.test);
      else if (s.what === 'with') roots.push(...(s.items ?? []).map((w) => w.ctx));
      else if (s.what === 'assert' && s.test) roots.push(s.test);
      else if (s.what === 'raise' && s.exc) roots.push(s.exc);
    }
    const names: Extract<Expr, { k: 'name' }>[] = [];
    for (const r of roots) unconditionalNames(r, names);
    for (const n of names) {
      const u = unboundName(n.id, fn, mod);
      if (u) return { id: n.id, line: n.span.r.start.line, message: u.message };
    }
    if (s.k === 'return' || (s.k === 'other' && s.what === 'match') || mayLeave(s)) return undefined;
  }
  return undefined;
}
