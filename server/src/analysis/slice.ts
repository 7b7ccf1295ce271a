/**
 * The CLI's analysis of one file: `analyze`'s findings, computed on the statements that can have any.
 *
 * The file prefilter (prefilter.ts) proves whole files silent; inside a file that passes it, most
 * top-level definitions still cannot produce a finding, and their IR (built through the native
 * binding, the largest cost of a scan) is never built here. A definition is checked when
 *   - its text may hold a creating call, an alias string or a seed word (`statementMayCreate`: a
 *     creating method after a dot, a creating function's or module's name beside a framework root or a
 *     name an import binds to one), or it names a definition that is checked for this reason
 *     (a call of the module's own function returns what that function computes), or
 *   - it mentions a "hot" global: one assigned by module code that may create, or that mentions a hot
 *     global itself (values flow into functions only through their own code, their own statement,
 *     globals and call-site literals, interp.ts), or
 *   - it is called from a statement that mentions a hot global (a global passed as a literal), or
 *   - it defines the same name as a checked definition (their functions share `ctx.unitFunctions`), or
 *   - values from other files reach it (`AnalyzeOptions.external`: a call site elsewhere, as one here).
 * A class deriving from a library module (`class Focal(nn.CrossEntropyLoss)`) is built and checked in
 * full: its `super().__init__(...)` and `super().forward(...)` build and apply that module.
 * By the prefilter's Lemma 1 and 2 any other definition has only meanings no rule reports on. Inside a
 * checked definition the same test picks the functions to interpret, and the methods whose IR is built:
 * a big class gets the bodies of `__init__`, of the methods that may create or name a hot global, of
 * those that name a checked definition (their literals reach its parameters, its return value them)
 * and of those that name a built method of their class (`self.helper(...)`); the other methods get
 * empty bodies. A class whose `__init__` turns out hot is built again in full (its methods read its
 * attributes).
 * Module code is always checked. As in analysis/incremental.ts, the module given to the interpreter holds
 * the checked statements, all module code and the statements that call a checked definition, and only
 * the checked ones are interpreted. test/perf/prefilter.test.ts requires `analyzeSliced` to give
 * exactly `analyze`'s findings on the fixtures, the examples and the standard library.
 */
import { checkFunctions, collectInto, compareByPosition, summariesOver, type AnalyzeOptions } from './analyze';
import type { ParsedDocument } from '../core/document';
import { definersOf, functionUnits, identifiers } from './incremental';
import { interpretModule } from '../core/interp';
import { planModule, type ClassIR, type FunctionIR } from '../core/ir';
import { resolveQualified } from '../ops';
import { codeText, statementMayCreate } from '../core/prefilter';
import type { Finding, LintSettings } from '../core/types';

/** Whether a class derives from a module of the op table (ir.ts `resolveBaseInit`). */
function derivesFromLibraryModule(cls: ClassIR): boolean {
  return cls.bases.some((b) => resolveQualified(b)?.kind === 'module');
}

/** What the last `analyzeSliced` did, for benches. */
export interface SliceStats {
  units: number;
  checked: number;
  built: number;
}
let lastStats: SliceStats = { units: 0, checked: 0, built: 0 };

export function sliceStats(): SliceStats {
  return { ...lastStats };
}

/** Whether two sets share an element (the smaller one is walked; nothing is allocated). */
function meets(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size > b.size) [a, b] = [b, a];
  for (const x of a) if (b.has(x)) return true;
  return false;
}

export function analyzeSliced(doc: ParsedDocument, settings: LintSettings, options: AnalyzeOptions = {}): Finding[] {
  try {
    return run(doc, settings, options);
  } catch (error) {
    options.onRuleError?.('core', error);
    return [];
  }
}

function run(doc: ParsedDocument, settings: LintSettings, options: AnalyzeOptions): Finding[] {
  const plan = planModule(doc.tree.rootNode, doc.text, { lazy: true, excluded: doc.excluded });
  const units = plan.units;
  const idents = units.map((u) => identifiers(u.text));
  // The words are looked for in the code (prefilter.ts `codeText`: comments, docstrings and the
  // contents of strings that are no alias string blanked, offsets kept).
  const code = codeText(doc.text);
  const creates = units.map((u) => statementMayCreate(code === doc.text ? u.text : code.slice(u.s, u.e), plan.imports));

  // Hot globals: assigned by module code that may create or that mentions a hot global (to a fixpoint).
  const hot = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const u of units) {
      if (u.isDef || u.globals.every((g) => hot.has(g))) continue;
      if (creates[u.index] || meets(hot, idents[u.index])) {
        for (const g of u.globals) hot.add(g);
        changed = true;
      }
    }
  }
  const mentionsHot = units.map((u) => hot.size > 0 && meets(hot, idents[u.index]));

  const definers = definersOf(units);
  // Names that other files or configs pass values to (project/): as if a hot statement called them.
  const externalNames = new Set<string>();
  for (const q of options.external?.keys() ?? []) externalNames.add(q.split('.')[0]);
  /** Top-level names that a statement naming a hot global also names: it may pass the global to them. */
  let calledHotMemo: Set<string> | undefined;
  const calledHotNames = (): Set<string> => {
    if (calledHotMemo) return calledHotMemo;
    calledHotMemo = new Set<string>(externalNames);
    for (const u of units) if (mentionsHot[u.index]) for (const id of idents[u.index]) if (definers.has(id)) calledHotMemo.add(id);
    return calledHotMemo;
  };

  // Definitions that can hold meaning: they may create, name a hot global, or call (name) a definition
  // that can (a call of the module's own function returns what it computes, interp.ts), to a fixpoint.
  const producing = new Set<number>();
  for (const u of units) if (u.isDef && (creates[u.index] || mentionsHot[u.index])) producing.add(u.index);
  const producingNames = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const i of producing) for (const d of units[i].defs) producingNames.add(d);
    for (const u of units) {
      if (!u.isDef || producing.has(u.index)) continue;
      for (const id of idents[u.index]) {
        if (producingNames.has(id) && !u.defs.includes(id)) {
          producing.add(u.index);
          changed = true;
          break;
        }
      }
    }
  }

  const check = new Set<number>();
  for (const u of units) if (!u.isDef || producing.has(u.index)) check.add(u.index);
  // A definition called from a statement that mentions a hot global may receive it as a literal.
  for (const u of units) {
    if (!mentionsHot[u.index]) continue;
    for (const id of idents[u.index]) for (const j of definers.get(id) ?? []) check.add(j);
  }
  for (const n of externalNames) for (const j of definers.get(n) ?? []) check.add(j);
  for (const i of [...check]) for (const d of units[i].defs) for (const j of definers.get(d) ?? []) check.add(j);

  // The interpreter sees the checked statements, all module code, the definitions they name (a helper
  // they call, a config class whose attributes they read) and the call sites feeding all of these.
  const include = new Set(check);
  for (const i of [...include]) {
    const stack = [i];
    while (stack.length) {
      const j = stack.pop()!;
      for (const id of idents[j]) for (const d of definers.get(id) ?? []) if (!include.has(d)) {
        include.add(d);
        stack.push(d);
      }
    }
  }
  const names = new Set<string>();
  for (const i of include) for (const d of units[i].defs) names.add(d);
  if (names.size) for (const u of units) if (!include.has(u.index) && meets(names, idents[u.index])) include.add(u.index);
  // A method body is built only when the method may be checked (its text may create or names a hot
  // global) or feeds a checked definition's parameters (it names one); `__init__` always. When a class's
  // `__init__` turns out hot, all its methods are (they read its attributes): that class is built again
  // in full.
  // The words and the creating test of a method's or a function's text, read once each (the module is
  // assembled again while methods are added, and `isHot` asks again).
  const idsMemo = new Map<string, Set<string>>();
  const idsOf = (s: number, e: number): Set<string> => {
    const key = `${s}:${e}`;
    let v = idsMemo.get(key);
    if (v === undefined) idsMemo.set(key, (v = identifiers(doc.text.slice(s, e))));
    return v;
  };
  const createsMemo = new Map<string, boolean>();
  const createsAt = (s: number, e: number): boolean => {
    const key = `${s}:${e}`;
    let v = createsMemo.get(key);
    if (v === undefined) createsMemo.set(key, (v = statementMayCreate(code.slice(s, e), plan.imports)));
    return v;
  };
  const full = new Set<number>();
  /** Methods built because a built method of their class is named in them (`self.helper(...)` returns what helper computes). */
  const forced = new Set<number>();
  let unitAt = 0;
  const keepBody = (s: number, e: number): boolean => {
    if (forced.has(s)) return true;
    while (unitAt < units.length && units[unitAt].e <= s) unitAt++;
    if (unitAt >= units.length || units[unitAt].s > s) unitAt = units.findIndex((u) => u.s <= s && s < u.e);
    if (unitAt >= 0 && full.has(unitAt)) return true;
    if (createsAt(s, e)) return true;
    if (hot.size === 0 && names.size === 0) return false;
    const ids = idsOf(s, e);
    return meets(hot, ids) || meets(names, ids);
  };
  let mod = plan.assemble((u) => include.has(u.index), keepBody);
  for (const cls of mod.classes.values()) {
    const init = cls.methods.get('__init__');
    if (!init || cls.name.includes('.')) continue;
    const initHot = createsAt(init.span.s, init.span.e) || meets(hot, idsOf(init.span.s, init.span.e)) || calledHotNames().has(cls.name) || derivesFromLibraryModule(cls);
    if (initHot) {
      const u = units.findIndex((x) => x.s <= cls.span.s && cls.span.s < x.e);
      if (u >= 0) full.add(u);
    }
  }
  // A method left out that names a built method of its class (or of the module) is built too, to a fixpoint.
  for (let round = 0; round < 8; round++) {
    let more = false;
    for (const cls of mod.classDefs) {
      const built = new Set<string>();
      for (const [n, m] of cls.methods) if (m.body.length > 0) built.add(n);
      for (const m of cls.methods.values()) {
        if (m.body.length > 0 || forced.has(m.span.s)) continue;
        const ids = idsOf(m.span.s, m.span.e);
        if (meets(built, ids) || meets(producingNames, ids)) {
          forced.add(m.span.s);
          more = true;
        }
      }
    }
    if (!more && (round > 0 || full.size === 0)) break;
    unitAt = 0;
    mod = plan.assemble((u) => include.has(u.index), keepBody);
  }
  const unitOf = functionUnits(mod.functions, units, include);
  // Inside a checked definition, a function is checked when its own text may create or names a hot
  // global, when it is a method of a class whose `__init__` is checked (`self.x` comes from there), a
  // closure of a checked function, or a function or `__init__` that a hot statement may call.
  const calledHot = calledHotNames();
  const classOfFn = new Map<FunctionIR, (typeof mod.classDefs)[number]>();
  for (const c of mod.classDefs) for (const m of c.methods.values()) classOfFn.set(m, c);
  const byQualname = new Map<string, FunctionIR>();
  for (const fn of mod.functions) if (!byQualname.has(fn.qualname)) byQualname.set(fn.qualname, fn);
  const hotFn = new Map<FunctionIR, boolean>();
  const isHot = (fn: FunctionIR): boolean => {
    let v = hotFn.get(fn);
    if (v !== undefined) return v;
    hotFn.set(fn, false); // cycles (none expected) end here
    v = createsAt(fn.span.s, fn.span.e) || (hot.size > 0 && meets(hot, idsOf(fn.span.s, fn.span.e)));
    if (!v && !fn.parent && !fn.className && calledHot.has(fn.name)) v = true;
    // A method of a subclass of a library loss module: its `super()` builds and applies that module.
    if (!v && fn.className) {
      const cls = classOfFn.get(fn);
      if (cls && derivesFromLibraryModule(cls)) v = true;
    }
    // It calls a definition of the module, or a method of its class, that can hold meaning.
    if (!v) {
      const ids = idsOf(fn.span.s, fn.span.e);
      if ([...producingNames].some((n) => ids.has(n) && n !== fn.name)) v = true;
      const cls = fn.className ? classOfFn.get(fn) : undefined;
      if (!v && cls) for (const [n, m] of cls.methods) if (m !== fn && ids.has(n) && isHot(m)) v = true;
    }
    if (!v && fn.className) {
      const cls = mod.classes.get(fn.className);
      const init = cls?.methods.get('__init__');
      if (fn === init && !fn.className.includes('.') && calledHot.has(fn.className)) v = true;
      else if (init && init !== fn && isHot(init)) v = true;
    }
    if (!v && fn.parent) {
      const parent = byQualname.get(fn.parent);
      if (parent && isHot(parent)) v = true;
    }
    hotFn.set(fn, v);
    return v;
  };
  const checked = (fn: FunctionIR): boolean => {
    const u = unitOf.get(fn);
    if (u === undefined || u < 0 || !units[u].isDef) return true;
    if (!check.has(u)) return false;
    if (isHot(fn)) return true;
    // `__init__` gives the other methods their `self.x` values (plain hyperparameters too).
    const cls = fn.className !== undefined && fn.name === '__init__' ? mod.classes.get(fn.className) : undefined;
    return !!cls && cls.methods.get('__init__') === fn && [...cls.methods.values()].some((m) => m !== fn && isHot(m));
  };
  const facts = interpretModule(mod, checked, { external: options.external });
  for (const e of facts.errors) options.onRuleError?.('core', e.error);
  lastStats = { units: units.length, checked: check.size, built: include.size };
  options.onSliced?.({ plan, module: mod, facts, built: include });

  const findings: Finding[] = [];
  checkFunctions({ module: mod, facts, settings, text: doc.text, anyFunction: summariesOver(facts) }, mod.functions.filter(checked), options, collectInto(findings, plan.noqa));
  return findings.sort(compareByPosition);
}
