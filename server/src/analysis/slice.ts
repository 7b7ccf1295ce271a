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
 *   - it is called from a statement that mentions a hot global (a global passed as a literal: a call
 *     `name(`, or `partial(name, ...)`, `calledIn`; a name written as a value passes nothing), or
 *   - it defines the same name as a checked definition (their functions share `ctx.unitFunctions`), or
 *   - values from other files reach it (`AnalyzeOptions.external`: a call site elsewhere, as one here).
 * A class deriving from a library module (`class Focal(nn.CrossEntropyLoss)`) is built and checked in
 * full: its `super().__init__(...)` and `super().forward(...)` build and apply that module.
 * By the prefilter's Lemma 1 and 2 any other definition has only meanings no rule reports on. Inside a
 * checked definition the same test picks the functions to interpret, and the methods whose IR is built:
 * a big class gets the bodies of `__init__`, of the methods that may create or name a hot global, of
 * those that name a checked definition (their literals reach its parameters, its return value them)
 * and of those that name a built method of their class (`self.helper(...)`); the other methods get
 * empty bodies. A class whose `__init__` turns out hot is built in full (its methods read its
 * attributes). Which classes are built in full and which methods are forced is found on the classes'
 * outlines (no method body but `__init__`) before any other method body is built, so a class is
 * built once with the bodies it needs.
 * Module code is checked, except a simple statement that can neither have a finding nor pass anything
 * to one (`inertModuleCode`: it may not create, names no hot global nor a definition that can hold
 * meaning) and that no statement kept needs: none reads a name it binds, it calls no definition
 * included, and it changes no global that kept module code binds (to a fixpoint). The words are
 * looked for in the code text (prefilter.ts `codeText`: comments, docstrings and the content of
 * strings that are no alias string blanked). As in analysis/incremental.ts, the module given to the
 * interpreter holds the checked statements, the module code kept, the definitions they name in
 * their code (`namesOutsideStrings`: a word of a string names nothing the interpreter resolves) and
 * the statements that call a checked definition, and only the checked ones are interpreted; the module code left out is
 * `SlicedModule.skipped` (the project summary reads its calls as before). test/perf/prefilter.test.ts requires `analyzeSliced` to give
 * exactly `analyze`'s findings on the fixtures, the examples and the standard library.
 */
import { checkFunctions, collectInto, compareByPosition, summariesOver, type AnalyzeOptions } from './analyze';
import type { ParsedDocument } from '../core/document';
import { definersOf, functionUnits, identifiers } from './incremental';
import { interpretModule } from '../core/interp';
import { planModule, type ClassIR, type FunctionIR } from '../core/ir';
import { resolveQualified } from '../ops';
import { sureCodeText, statementMayCreate } from '../core/prefilter';
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

/** Whether two sets share an element other than `but` (the smaller one is walked; nothing is allocated). */
function meetsBut(a: ReadonlySet<string>, b: ReadonlySet<string>, but: string): boolean {
  if (a.size > b.size) [a, b] = [b, a];
  for (const x of a) if (x !== but && b.has(x)) return true;
  return false;
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
  // The words are looked for in the code (prefilter.ts `codeText`: comments, docstrings and the
  // contents of strings that are no alias string blanked, offsets kept).
  const sure = sureCodeText(doc.text);
  const code = sure ?? doc.text;
  const plan = planModule(doc.tree.rootNode, doc.text, { lazy: true, excluded: doc.excluded });
  const units = plan.units;
  const idents = units.map((u) => identifiers(u.text));
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
  /**
   * The names a statement naming a hot global calls: only a call passes values to a definition's
   * parameters (interp.ts `collectCallLiterals`: `f(...)`, `Cls(...)`, `functools.partial(f, ...)`),
   * a name merely written there (`ops = [softmax_ref, helper]`, `__all__ = ["helper"]`) passes none.
   */
  const callsMemo = new Map<number, Set<string>>();
  const callsOf = (i: number): Set<string> => {
    let v = callsMemo.get(i);
    // Error recovery may make a call of words the text does not write as one (`f $(x)`): every word then.
    if (v === undefined) callsMemo.set(i, (v = units[i].hasError ? identifiers(units[i].text) : calledIn(code, units[i].s, units[i].e)));
    return v;
  };
  /** Top-level names that a statement naming a hot global calls: it may pass the global to them. */
  let calledHotMemo: Set<string> | undefined;
  const calledHotNames = (): Set<string> => {
    if (calledHotMemo) return calledHotMemo;
    calledHotMemo = new Set<string>(externalNames);
    for (const u of units) if (mentionsHot[u.index]) for (const id of callsOf(u.index)) if (definers.has(id)) calledHotMemo.add(id);
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

  // Module code that can neither have a finding nor pass anything to a statement that can (`inert`,
  // below) is left out unless a statement kept reads or passes what it binds; the rest is kept.
  const inert = inertModuleCode(units, sure === undefined ? undefined : code, creates, hot, producingNames);
  // What kept module code may bind: its targets when it is a simple statement, else every name in it.
  const boundMemo = new Map<number, string[]>();
  const boundOf = (i: number): string[] => {
    let b = boundMemo.get(i);
    if (!b) {
      const t = inert.bound[i] ?? (sure === undefined ? undefined : simpleTargets(code, units[i].s, units[i].e));
      boundMemo.set(i, (b = t ? [...t, ...units[i].globals] : [...idents[i], ...units[i].globals]));
    }
    return b;
  };
  const keptCode = new Set<number>();
  for (const u of units) if (!u.isDef && !inert[u.index]) keptCode.add(u.index);

  const check = new Set<number>();
  for (const u of units) if (keptCode.has(u.index) || producing.has(u.index)) check.add(u.index);
  // A definition called from a statement that mentions a hot global may receive it as a literal.
  for (const u of units) {
    if (!mentionsHot[u.index]) continue;
    for (const id of callsOf(u.index)) for (const j of definers.get(id) ?? []) check.add(j);
  }
  for (const n of externalNames) for (const j of definers.get(n) ?? []) check.add(j);
  for (const i of [...check]) for (const d of units[i].defs) for (const j of definers.get(d) ?? []) check.add(j);

  // The interpreter sees the checked statements, the module code kept, the definitions they name (a
  // helper they call, a config class whose attributes they read: `closed` under naming) and the call
  // sites feeding all of these (statements naming a definition of `closed`; for inert module code, the
  // names of its code: a word in a string is no call). Inert module code is kept (and checked, like
  // all module code) when it is such a call site, when a statement included reads a name it binds, or
  // when it reads (and so may change: `crit.gamma = 0.5`) a global that kept module code binds; to a
  // fixpoint, worked through from each statement added.
  const closed = new Set<number>();
  // The names a statement refers to: its code's identifiers but the content of strings (`__all__ =
  // ["helper", ...]` names no definition: the interpreter resolves no string to one); all its words
  // when the code text is not sure or the statement has a syntax error (error recovery may read a
  // name anywhere).
  const refsMemo = new Map<number, Set<string>>();
  const refsOf = (i: number): ReadonlySet<string> => {
    if (sure === undefined || units[i].hasError) return idents[i];
    let v = refsMemo.get(i);
    if (v === undefined) refsMemo.set(i, (v = namesOutsideStrings(code, units[i].s, units[i].e)));
    return v;
  };
  const include = new Set<number>();
  const names = new Set<string>();
  const wordsOf = (i: number): ReadonlySet<string> => inert.codeIds[i] ?? idents[i];
  const index = (get: (i: number) => Iterable<string> | undefined): Map<string, number[]> => {
    const m = new Map<string, number[]>();
    for (const u of units) for (const w of get(u.index) ?? []) (m.get(w) ?? m.set(w, []).get(w)!).push(u.index);
    return m;
  };
  const byBound = index((i) => (keptCode.has(i) ? undefined : inert.bound[i]));
  const byTouched = index((i) => (keptCode.has(i) ? undefined : inert.touched[i]));
  let byWord: Map<string, number[]> | undefined;
  const read = new Set<string>();
  const boundByKept = new Set<string>();
  const queue: number[] = [];
  const keep = (i: number): void => {
    if (keptCode.has(i)) return;
    keptCode.add(i);
    queue.push(i);
  };
  const included = (i: number): void => {
    if (include.has(i)) return;
    include.add(i);
    for (const id of idents[i]) {
      if (read.has(id)) continue;
      read.add(id);
      for (const j of byBound.get(id) ?? []) keep(j);
    }
    if (!units[i].isDef && inert[i]) keep(i);
  };
  const addNames = (i: number): void => {
    for (const d of units[i].defs) {
      if (names.has(d)) continue;
      names.add(d);
      byWord ??= index(wordsOf);
      for (const j of byWord.get(d) ?? []) included(j);
    }
  };
  const expand = (start: number): void => {
    if (closed.has(start)) return;
    const stack = [start];
    closed.add(start);
    while (stack.length) {
      const j = stack.pop()!;
      included(j);
      addNames(j);
      for (const id of refsOf(j)) for (const d of definers.get(id) ?? []) if (!closed.has(d)) {
        closed.add(d);
        stack.push(d);
      }
    }
  };
  const kept = (i: number): void => {
    for (const g of boundOf(i)) {
      if (boundByKept.has(g)) continue;
      boundByKept.add(g);
      for (const j of byTouched.get(g) ?? []) keep(j);
    }
  };
  for (const i of check) expand(i);
  for (const i of keptCode) kept(i);
  while (queue.length) {
    const i = queue.pop()!;
    check.add(i);
    expand(i);
    kept(i);
  }
  // A method body is built only when the method may be checked (its text may create or names a hot
  // global) or feeds a checked definition's parameters (it names one); `__init__` always. When a class's
  // `__init__` turns out hot, all its methods are (they read its attributes): that class is built in
  // full.
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
  // First the classes' outlines: every method but `__init__` left out (cheap), which is enough to find
  // the classes built in full and the methods forced (below) before any method body is built.
  let mod = plan.assemble((u) => include.has(u.index), () => false);
  for (const cls of mod.classes.values()) {
    const init = cls.methods.get('__init__');
    if (!init || cls.name.includes('.')) continue;
    const initHot = createsAt(init.span.s, init.span.e) || meets(hot, idsOf(init.span.s, init.span.e)) || calledHotNames().has(cls.name) || derivesFromLibraryModule(cls);
    if (initHot) {
      const u = units.findIndex((x) => x.s <= cls.span.s && cls.span.s < x.e);
      if (u >= 0) full.add(u);
    }
  }
  // A method left out that names a built method of its class (or of the module) is built too, to a
  // fixpoint. The fixpoint is first found on the outlines without building anything (a method the
  // filter keeps, its class built in full or the method forced, counts as built), so that each class
  // is built once, not once per round; the rounds below then build what that reveals (a class inside a
  // method now built) and check the guess on the bodies built.
  const builtNow = (m: FunctionIR): boolean => (m.name === '__init__' ? m.body.length > 0 : keepBody(m.span.s, m.span.e));
  for (let changed = true; changed; ) {
    changed = false;
    for (const cls of mod.classDefs) {
      const built = new Set<string>();
      for (const [n, m] of cls.methods) if (builtNow(m)) built.add(n);
      for (const m of cls.methods.values()) {
        if (builtNow(m)) continue;
        const ids = idsOf(m.span.s, m.span.e);
        if (meets(built, ids) || meets(producingNames, ids)) {
          forced.add(m.span.s);
          changed = true;
        }
      }
    }
  }
  unitAt = 0;
  mod = plan.assemble((u) => include.has(u.index), keepBody);
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
    if (!more) break;
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
      if (meetsBut(producingNames, ids, fn.name)) v = true;
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
    if (!cls || cls.methods.get('__init__') !== fn) return false;
    for (const m of cls.methods.values()) if (m !== fn && isHot(m)) return true;
    return false;
  };
  const facts = interpretModule(mod, checked, { external: options.external });
  for (const e of facts.errors) options.onRuleError?.('core', e.error);
  lastStats = { units: units.length, checked: check.size, built: include.size };
  const skipped = new Set<number>();
  for (const u of units) if (!u.isDef && !include.has(u.index)) skipped.add(u.index);
  options.onSliced?.({ plan, module: mod, facts, built: include, skipped });

  const findings: Finding[] = [];
  checkFunctions({ module: mod, facts, settings, text: doc.text, anyFunction: summariesOver(facts) }, mod.functions.filter(checked), options, collectInto(findings, plan.noqa));
  return findings.sort(compareByPosition);
}

function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** A character of a word as `identifiers` reads them (non-ASCII ones included). */
function isWordChar(c: number): boolean {
  return isIdentChar(c) || c >= 0x80;
}

/** Whitespace, line breaks and a backslash (a line continuation): what may stand between a callee and its `(`. */
function isGap(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 92;
}

/**
 * The names the text at [s, e) may call: every identifier followed by `(` (over whitespace and line
 * continuations; `f(x)`, `obj.f(x)`, `Cls (x)`), and the first argument of a call of `partial`
 * (`functools.partial(f, gamma=0.5)` passes its arguments at every call of the partial). A superset
 * of the callees interp.ts records call-site values for (`noteCall`: a call whose function is a name,
 * or `functools.partial` of one); a word inside a string may count too (more calls, never fewer).
 */
export function calledIn(text: string, s: number, e: number): Set<string> {
  const out = new Set<string>();
  for (let i = text.indexOf('(', s); i >= 0 && i < e; i = text.indexOf('(', i + 1)) {
    let b = i;
    while (b > s && isGap(text.charCodeAt(b - 1))) b--;
    let a = b;
    while (a > s && isWordChar(text.charCodeAt(a - 1))) a--;
    while (a < b && text.charCodeAt(a) >= 48 && text.charCodeAt(a) <= 57) a++;
    if (a === b) continue;
    const name = text.slice(a, b);
    out.add(name);
    if (name !== 'partial') continue;
    let j = i + 1;
    while (j < e && isGap(text.charCodeAt(j))) j++;
    let k = j;
    while (k < e && isWordChar(text.charCodeAt(k))) k++;
    if (k > j) out.add(text.slice(j, k));
  }
  return out;
}

/**
 * The identifiers of the code text at [s, e) (prefilter.ts `codeText`: comments and the content of
 * strings that are no name blanked) but those of the strings it keeps: a run of name characters and
 * dots with the same quote right before and right after it is a string's content (`"helper"`,
 * `'torch.nn'`; in code a name is never directly between two quotes of the same kind). The same
 * words as `identifiers` otherwise.
 */
export function namesOutsideStrings(code: string, s: number, e: number): Set<string> {
  const out = new Set<string>();
  let i = s;
  while (i < e) {
    const c = code.charCodeAt(i);
    if (!isWordChar(c) && c !== 46) {
      i++;
      continue;
    }
    // A run of name characters and dots at [i, j).
    let j = i + 1;
    while (j < e && (isWordChar(code.charCodeAt(j)) || code.charCodeAt(j) === 46)) j++;
    const q = i > s ? code.charCodeAt(i - 1) : 0;
    if ((q === 34 || q === 39) && j < e && code.charCodeAt(j) === q) {
      i = j;
      continue;
    }
    // Its identifiers, as `identifiers` reads them (a word starts at a letter or `_`).
    let k = i;
    while (k < j) {
      const d = code.charCodeAt(k);
      if (d === 46 || (d >= 48 && d <= 57)) {
        k++;
        continue;
      }
      let m = k + 1;
      while (m < j && code.charCodeAt(m) !== 46) m++;
      out.add(code.slice(k, m));
      k = m;
    }
    i = j;
  }
  return out;
}

/** Statement keywords: a statement starting with one is never inert (it may bind names, branch or raise). */
const KEYWORDS = new Set(['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', 'match', 'case', 'type']);

/**
 * Module code that can contribute nothing by itself: a simple statement (an assignment or an
 * expression, no keyword first, no `:=`, no syntax error) that defines no function or class, may
 * make no creating call nor hold an alias string or a seed word (`statementMayCreate` false), names
 * in its code (strings but f-strings blanked: a word in a string is no name) no hot global and no
 * definition that can hold meaning, and holds no `add_argument` (argparse defaults are read from
 * every call). By Lemma 1 and 2 of the prefilter every value it computes is
 * closed and no rule reports on it; it matters to other statements only through the names it binds
 * (`bound`: the identifiers left of its last `=` outside brackets, a superset of its targets; none
 * for an expression), the objects it may change (`touched`: those, or the receiver of an expression
 * statement's call, `model.add(...)`, `xs.append(...)`, an in-place method) and the calls it makes,
 * which the caller checks (`codeIds`: the names in its code, strings but f-strings blanked). These
 * are set for inert statements only. Without a sure code text (`code`
 * undefined: a string or bracket the scan could not follow) nothing is inert.
 */
function inertModuleCode(
  units: readonly { index: number; s: number; e: number; isDef: boolean; hasError: boolean; defs: string[]; text: string }[],
  code: string | undefined,
  creates: readonly boolean[],
  hot: ReadonlySet<string>,
  producingNames: ReadonlySet<string>,
): boolean[] & { bound: (string[] | undefined)[]; touched: (string[] | undefined)[]; codeIds: (Set<string> | undefined)[] } {
  const out = units.map(() => false) as boolean[] & { bound: (string[] | undefined)[]; touched: (string[] | undefined)[]; codeIds: (Set<string> | undefined)[] };
  out.bound = units.map(() => undefined);
  out.touched = units.map(() => undefined);
  out.codeIds = units.map(() => undefined);
  if (code === undefined) return out;
  for (const u of units) {
    if (u.isDef || u.hasError || u.defs.length || creates[u.index] || u.text.includes('add_argument')) continue;
    const ids = identifiersIn(code, u.s, u.e);
    if (meets(hot, ids) || meets(producingNames, ids)) continue;
    const bound = simpleTargets(code, u.s, u.e);
    if (!bound) continue;
    out[u.index] = true;
    out.bound[u.index] = bound;
    out.codeIds[u.index] = ids;
    out.touched[u.index] = bound.length ? bound : receivers(code, u.s, u.e, ids);
  }
  return out;
}

/**
 * The names a simple statement at [s, e) of the code text may bind: the identifiers before its last
 * `=` outside brackets that is no part of `==` (an assignment's targets, chained ones included, with
 * some extra words: `x <= y` gives `x`); none for an expression. Undefined when the statement starts
 * with a keyword or anything but a name, a bracket, a quote or `*`, or holds `:=`.
 */
function simpleTargets(code: string, s: number, e: number): string[] | undefined {
  let i = s;
  while (i < e && (code.charCodeAt(i) === 32 || code.charCodeAt(i) === 9)) i++;
  const c0 = code.charCodeAt(i);
  const identStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  if (identStart(c0)) {
    let j = i;
    while (j < e && (identStart(code.charCodeAt(j)) || (code.charCodeAt(j) >= 48 && code.charCodeAt(j) <= 57))) j++;
    if (j < e && code.charCodeAt(j) > 127) return undefined;
    if (KEYWORDS.has(code.slice(i, j))) return undefined;
  } else if (c0 !== 40 && c0 !== 91 && c0 !== 123 && c0 !== 34 && c0 !== 39 && c0 !== 42) return undefined;
  let depth = 0;
  let last = -1;
  for (let k = i; k < e; k++) {
    const c = code.charCodeAt(k);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 61) {
      if (code.charCodeAt(k - 1) === 58) return undefined; // :=
      if (code.charCodeAt(k + 1) === 61) {
        k++;
        continue;
      }
      if (depth === 0) last = k;
    } else if (c > 127) return undefined;
  }
  if (depth !== 0) return undefined;
  return last < 0 ? [] : [...identifiersIn(code, i, last)];
}

function identifiersIn(text: string, s: number, e: number): Set<string> {
  return identifiers(text.slice(s, e));
}

/**
 * The names an expression statement may change through its call (interp.ts, the statement's own
 * call only: `model.add(layer)`, `xs.append(x)`, an in-place method of a name or of `name.attr`):
 * the identifiers before its first bracket when a dot is among them (else its call, if it is one, is
 * of a name or of something that is no name: it changes nothing); every name of it when it starts
 * with a bracket or a quote.
 */
function receivers(code: string, s: number, e: number, ids: ReadonlySet<string>): string[] {
  let i = s;
  while (i < e && (code.charCodeAt(i) === 32 || code.charCodeAt(i) === 9)) i++;
  let j = i;
  while (j < e) {
    const c = code.charCodeAt(j);
    if (c === 40 || c === 91 || c === 123 || c === 34 || c === 39) break;
    j++;
  }
  if (j === i) return [...ids];
  // `f(...)`, `a[0].append(x)`, `f(x).add(y)`: no name is the receiver of the statement's call.
  if (code.indexOf('.', i) < 0 || code.indexOf('.', i) >= j) return [];
  return [...identifiersIn(code, i, j)];
}
