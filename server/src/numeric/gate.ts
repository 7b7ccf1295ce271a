/**
 * The security gate of the concrete interpreter: before anything runs, every call a function (its
 * class, the factories it comes from) could make is scanned, and callees that reach the system (`os.`,
 * `subprocess.`, `open`, `eval`, pickle and model loading, ...) refuse the whole function. The evaluator
 * (eval.ts) runs only the op table's lowerings and the Python it models; this scan is the second wall.
 * Also the callee names both use in messages.
 */
import type { Call, Expr, FunctionIR, ModuleIR, Stmt, Target } from '../core/ir-types';
import { Unsupported } from './values';

/** Callees that are never evaluated, wherever they appear: the security pre-scan refuses them. */
const FORBIDDEN_NAMES = new Set(['eval', 'exec', 'compile', 'open', '__import__', 'input', 'globals', 'locals', 'vars', 'getattr', 'setattr', 'delattr', 'breakpoint', 'memoryview', 'help']);
const FORBIDDEN_PREFIXES = ['os.', 'subprocess.', 'sys.', 'shutil.', 'socket.', 'pickle.', 'importlib.', 'builtins.', 'ctypes.', 'multiprocessing.', 'urllib.', 'requests.', 'pathlib.', 'io.', 'tempfile.', 'signal.', 'pty.', 'marshal.', 'runpy.', 'code.', 'torch.hub.', 'torch.load', 'numpy.load', 'torch.save'];

export function lineOf(e: { span: { r: { start: { line: number } } } }): number {
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
    } else if (s.k === 'other') {
      if (s.iter) yield s.iter;
      if (s.test) yield s.test;
      if (s.target) yield* targetExprs(s.target);
      if (s.exc) yield s.exc;
      for (const h of s.handlers ?? []) if (h.type) yield h.type;
      for (const it of s.items ?? []) {
        yield it.ctx;
        if (it.target) yield* targetExprs(it.target);
      }
      yield* stmtExprs(s.body);
    } else if (s.k === 'def') {
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
      if (e.kwsplat) yield* allSubExprs(e.kwsplat);
      if (e.star) yield* allSubExprs(e.star.value);
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
    case 'unknown':
      if (e.operands) for (const a of e.operands) yield* allSubExprs(a);
      if (e.walrus) yield* allSubExprs(e.walrus.value);
      if (e.splat) yield* allSubExprs(e.splat);
      if (e.fstr) for (const p of e.fstr) if (typeof p !== 'string') yield* allSubExprs(p.expr);
      if (e.comp) {
        yield* allSubExprs(e.comp.elt);
        if (e.comp.key) yield* allSubExprs(e.comp.key);
        for (const g of e.comp.gens) {
          yield* allSubExprs(g.iter);
          for (const c of g.ifs) yield* allSubExprs(c);
          for (const t of targetExprs(g.target)) yield* allSubExprs(t);
        }
      }
      break;
    default:
      break;
  }
}

/**
 * The security pre-scan: any call to a process, file, import or reflection API anywhere in these
 * functions (taken branch or not) refuses the whole check before anything is evaluated.
 */
export function forbiddenCall(fns: FunctionIR[], mod: ModuleIR, exprs: Expr[] = []): Unsupported | undefined {
  const calls: Call[] = [];
  for (const fn of fns) {
    for (const p of fn.params) if (p.default) for (const e of allSubExprs(p.default)) if (e.k === 'call') calls.push(e);
    for (const root of stmtExprs(fn.body)) for (const e of allSubExprs(root)) if (e.k === 'call') calls.push(e);
  }
  for (const root of exprs) for (const e of allSubExprs(root)) if (e.k === 'call') calls.push(e);
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

/**
 * Whether the closure `fn` reads no name its enclosing functions bind (their parameters, assigned
 * names, loop / with / except targets, nested definitions, `:=` targets): it then computes the same
 * whatever they were called with and runs without them, its free names being the module's.
 */
export function selfContained(fn: FunctionIR, mod: ModuleIR): boolean {
  if (!fn.parent || fn.parent === '<module>' || fn.className) return false;
  // Its own parameters are its locals in its body; defaults are read in the enclosing scope.
  const own = new Set(fn.params.map((p) => p.name));
  const reads = new Set<string>();
  for (const root of stmtExprs(fn.body)) for (const e of allSubExprs(root)) if (e.k === 'name' && !own.has(e.id)) reads.add(e.id);
  for (const p of fn.params) if (p.default) for (const e of allSubExprs(p.default)) if (e.k === 'name') reads.add(e.id);
  for (let q: string | undefined = fn.parent; q && q !== '<module>'; ) {
    const g = mod.functions.find((x) => x.qualname === q);
    if (!g) return false;
    const bound = new Set(g.params.map((p) => p.name));
    const target = (t: Target): void => {
      if (t.k === 'name') bound.add(t.id);
      else if (t.k === 'tuple') t.items.forEach(target);
    };
    const walk = (ss: Stmt[]): void => {
      for (const s of ss) {
        if (s.k === 'assign') s.targets.forEach(target);
        else if (s.k === 'def') bound.add(s.fn.name);
        else if (s.k === 'if') {
          walk(s.body);
          walk(s.orelse);
        } else if (s.k === 'other') {
          if (s.target) target(s.target);
          for (const it of s.items ?? []) if (it.target) target(it.target);
          for (const h of s.handlers ?? []) if (h.name) bound.add(h.name);
          walk(s.body);
        }
      }
    };
    walk(g.body);
    for (const root of stmtExprs(g.body)) for (const e of allSubExprs(root)) if (e.k === 'unknown' && e.walrus) bound.add(e.walrus.name);
    for (const n of reads) if (bound.has(n)) return false;
    q = g.parent;
  }
  return true;
}

/**
 * `fn` and the top-level functions of `mod` it calls by name, transitively: what a call of `fn`
 * from another module can run of `mod` (callForeign in eval.ts scans them before the call).
 */
export function reachableFunctions(mod: ModuleIR, fn: FunctionIR): FunctionIR[] {
  const top = new Map(mod.functions.filter((f) => !f.className && !f.parent).map((f) => [f.name, f]));
  const out = [fn];
  for (let i = 0; i < out.length; i++) {
    for (const root of stmtExprs(out[i].body)) {
      for (const e of allSubExprs(root)) {
        const g = e.k === 'call' && e.func.k === 'name' ? top.get(e.func.id) : e.k === 'name' ? top.get(e.id) : undefined;
        if (g && !out.includes(g)) out.push(g);
      }
    }
  }
  return out;
}
