/**
 * Incremental analysis for the editor: after a keystroke, re-check only the top-level statements
 * whose findings can have changed, and reuse (moved to their new lines) the findings of the others.
 * The result is exactly `analyze(doc, settings)`'s; test/core/incremental.test.ts checks that on
 * random edit sequences.
 *
 * ## What a statement's findings depend on
 *
 * A top-level function or class ("definition") is interpreted (interp.ts) from
 *   1. its own text (closures, `self.x` through its own `__init__`, nested functions),
 *   2. the module's imports, wherever they are (they decide what every name resolves to),
 *   3. the module code, i.e. every statement that is not a definition (globals, module-level calls),
 *   4. the literals that call sites pass to it: the statements that mention one of its names, and
 *      those that mention theirs in turn (a caller passes on its own parameters' values),
 *   5. what the file's own functions it calls return (interp.ts `returnOf`): the definitions whose names
 *      it mentions, theirs in turn, and the call sites that feed those,
 *   6. which definition of each of its names is the last one (a class defined twice),
 *   7. the values other files and configs pass to it or to the definitions of 5 and 6
 *      (`AnalyzeOptions.external`, project/): their entries in that map, written out.
 * Its rules read its facts, the facts of its own statement (`ctx.unitFunctions`), the module
 * code's facts (a module-level `nn.CrossEntropyLoss()` a fix rewrites), and module summaries
 * (`ctx.anyFunction`, summary.ts), whose answers are kept with the findings.
 *
 * So the cache key of a definition is: settings, imports, the text of all module code, its column and
 * text, and the texts of the statements that mention a name it defines (transitively), of the definitions it calls
 * (transitively) and their callers, and of the other definitions of its names. A statement with a syntax
 * error counts by its IR instead of its text: tree-sitter's error recovery depends on the text around
 * it, so the same text can be read differently after an edit elsewhere. A definition whose key is new
 * is re-checked; so is every definition of the same name (their functions share `unitFunctions`);
 * module code is re-checked every time. The module passed to the interpreter holds the statements
 * re-checked, all module code and the statements that call them; only the re-checked ones are
 * interpreted. A statement with a syntax error is never cached, and neither are findings with a
 * range or edit outside their statement, nor those of a statement whose rules or interpretation failed.
 */
import { checkFunctions, compareByPosition, silenced, type AnalyzeOptions } from './analyze';
import type { ParsedDocument } from '../core/document';
import { interpretModule, type ExternalValues, type FunctionFacts } from '../core/interp';
import { planModule, type FunctionIR, type ModuleUnit, type PlanCarry, type UnitEffects } from '../core/ir';
import { allSummaries, type ModuleSummary } from '../core/summary';
import type { Finding, LintSettings, Position } from '../core/types';

/** What the last run did, for benches and logs. */
export interface IncrementalStats {
  /** Top-level statements in the document. */
  units: number;
  /** Statements whose findings were reused. */
  reused: number;
  /** Statements re-checked (module code included). */
  checked: number;
  /** Statements given to the interpreter (re-checked ones and the call sites that feed them). */
  assembled: number;
  /** Functions interpreted and checked. */
  functions: number;
  /** Whether the statements were carried over from the previous run's plan (one edit since) instead of read from the whole tree. */
  carried: boolean;
}

interface TextInfo {
  idents: Set<string>;
  hash: string;
  /** Its identifiers that are top-level names of the module, for the names of generation `gen`. */
  mentions: string[] | undefined;
  gen: number;
  /** The last run whose document had a statement with this text. */
  seen: number;
}

const NO_UNITS: readonly number[] = [];

interface UnitRecord {
  /** What the findings depend on besides the statement's own text (settings aside): see the header. */
  ctx: string;
  /** The line the statement started on when these findings were computed. */
  line: number;
  findings: Finding[];
  /** The summaries some function of the statement satisfies. */
  holds: Set<string>;
  /** The summaries its rules asked for, with the answers they got. */
  read: Map<string, boolean>;
  /** The last run that used it. */
  used: number;
}

/** A UnitRecord, always with the same fields in the same order (one object shape). */
function record(ctx: string, line: number, findings: Finding[], holds: Set<string>, read: Map<string, boolean>, used: number): UnitRecord {
  return { ctx, line, findings, holds, read, used };
}

/** Records kept at least (more for documents with more statements: three per statement). */
const MIN_RECORDS = 1024;

/** A character that may start an identifier-like word: an ASCII letter, `_`, or any code unit from U+0080. */
function identStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0x80;
}

/**
 * Every identifier-like word of a text (a superset of the names its code uses): the maximal runs of
 * an ASCII letter, `_` or a code unit from U+0080, then those or ASCII digits, scanned by character code
 * (a regular expression's match objects were most of its cost).
 */
export function identifiers(text: string): Set<string> {
  const out = new Set<string>();
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!identStart(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (!identStart(c) && !(c >= 48 && c <= 57)) break;
    }
    out.add(text.slice(i, j));
    i = j;
  }
  return out;
}

const IR_KEY_SKIP = new Set(['span', 'nameSpan', 'op', 'spell', 'bound', 'parent']);
let unkeyable = 0;

/**
 * What the interpreter reads of a statement's IR, as text (spans, op tables and closures' parent
 * links left out). A statement that cannot be written out gets a key of its own (re-checked every time).
 */
function irKey(fx: UnitEffects | undefined): string {
  if (!fx) return '';
  try {
    return JSON.stringify([fx.stmt, fx.functions, fx.globals, fx.callSites], (k, v) => (IR_KEY_SKIP.has(k) ? undefined : v));
  } catch {
    return `\u0000unkeyable ${++unkeyable}`;
  }
}

/** cyrb53: a fast 53-bit string hash (collisions are astronomically unlikely at these sizes). */
export function hash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

function shiftPos(p: Position, d: number): Position {
  return { line: p.line + d, character: p.character };
}

function shiftFinding(f: Finding, d: number): Finding {
  if (d === 0) return f;
  const range = { start: shiftPos(f.range.start, d), end: shiftPos(f.range.end, d) };
  const fix = f.fix && { ...f.fix, edits: f.fix.edits.map((e) => ({ ...e, range: { start: shiftPos(e.range.start, d), end: shiftPos(e.range.end, d) } })) };
  return { ...f, range, ...(fix ? { fix } : {}) };
}

function within(u: ModuleUnit, p: Position): boolean {
  if (p.line < u.line || p.line > u.endLine) return false;
  if (p.line === u.line && p.character < u.col) return false;
  if (p.line === u.endLine && p.character > u.endCol) return false;
  return true;
}

/** Whether every position of the finding lies in its statement (so it moves with it). */
function movesWith(u: ModuleUnit, f: Finding): boolean {
  if (!within(u, f.range.start) || !within(u, f.range.end)) return false;
  for (const e of f.fix?.edits ?? []) if (!within(u, e.range.start) || !within(u, e.range.end)) return false;
  return true;
}

/** The statements defining each top-level name (more than one when a name is defined again). */
export function definersOf(units: readonly ModuleUnit[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const u of units) for (const d of u.defs) (out.get(d) ?? out.set(d, []).get(d)!).push(u.index);
  return out;
}

/**
 * The top-level statement (index into `units`) of each function of a module assembled from the
 * statements in `include`; -1 for `<module>`. Functions are listed in document order, as statements.
 */
export function functionUnits(functions: FunctionIR[], units: ModuleUnit[], include: Iterable<number>): Map<FunctionIR, number> {
  const unitOf = new Map<FunctionIR, number>();
  const sorted = [...include].sort((a, b) => a - b);
  let k = 0;
  for (const fn of functions) {
    if (fn.isModule) {
      unitOf.set(fn, -1);
      continue;
    }
    while (k < sorted.length && units[sorted[k]].e <= fn.span.s) k++;
    unitOf.set(fn, k < sorted.length && units[sorted[k]].s <= fn.span.s ? sorted[k] : -1);
  }
  return unitOf;
}

/**
 * The external values (interp.ts `ExternalValues`) of each top-level name, written out: part of the
 * key of the definitions of that name (`Cls` for `Cls.__init__`, `f` for `f`).
 */
const externalKeyCache = new WeakMap<ExternalValues, Map<string, string>>();

function externalKeys(external: ExternalValues | undefined): Map<string, string> | undefined {
  if (!external || external.size === 0) return undefined;
  // The language server hands the same map on every keystroke until the values change.
  const cached = externalKeyCache.get(external);
  if (cached) return cached;
  const out = new Map<string, string>();
  externalKeyCache.set(external, out);
  for (const [qualname, params] of external) {
    const top = qualname.split('.')[0];
    const values = [...params].map(([p, exprs]) => [p, exprs.map((e) => JSON.stringify(e, (k, v) => (k === 'span' ? undefined : v)))]);
    out.set(top, `${out.get(top) ?? ''}${qualname}=${JSON.stringify(values)};`);
  }
  // Hashed: a loss built at hundreds of call sites elsewhere must not make every key it enters that long.
  for (const [top, text] of out) out.set(top, `${text.length}:${hash(text)};`);
  return out;
}

/**
 * How many analyzers keep their last plan (`PlanCarry`: every statement's IR) for the next keystroke.
 * One per open document would keep the IR of every open file alive (1,000 open files: 1 GB); a
 * keystroke only needs the plan of the document being typed in.
 */
export const MAX_CARRIED_PLANS = 8;
const carrying = new Set<IncrementalAnalyzer>();

export class IncrementalAnalyzer {
  private records = new Map<string, UnitRecord>();
  private settingsKey = '';
  private texts = new Map<string, TextInfo>();
  private textRuns = 0;
  /** The module's top-level names at the last run, and a counter bumped whenever they change (TextInfo.gen). */
  private definerNames = '';
  private definerGen = 0;
  /** Runs so far: a record's `used` is the last run that used it (the least recently used go first). */
  private runs = 0;
  /** The last plan, for the next run on the same document one edit later. */
  private lastPlan: { id: number; revision: number; carry: PlanCarry } | undefined;
  private stats: IncrementalStats = { units: 0, reused: 0, checked: 0, assembled: 0, functions: 0, carried: false };

  lastStats(): IncrementalStats {
    return { ...this.stats };
  }

  /** The findings of `doc`, as `analyze` gives them. When cancelled, returns none (the caller drops a stale result) and keeps the previous records. */
  analyze(doc: ParsedDocument, settings: LintSettings, options: AnalyzeOptions = {}): Finding[] {
    try {
      return this.run(doc, settings, options);
    } catch (error) {
      // An internal failure must not lose the document's findings for good: start from scratch next time.
      this.records.clear();
      options.onRuleError?.('core', error);
      return [];
    }
  }

  private run(doc: ParsedDocument, settings: LintSettings, options: AnalyzeOptions): Finding[] {
    const settingsKey = JSON.stringify(settings);
    if (settingsKey !== this.settingsKey) {
      this.records.clear();
      this.settingsKey = settingsKey;
    }
    // The previous plan's statements carry over when the document moved on by one edit since.
    const last = this.lastPlan;
    const change = doc.lastChange;
    const previous = last && last.id === doc.id && change && change.from === last.revision ? { carry: last.carry, change } : undefined;
    this.lastPlan = undefined;
    const plan = planModule(doc.tree.rootNode, doc.text, { lineStarts: doc.lineOffsets(), previous, excluded: doc.excluded });
    try {
      return this.runPlan(plan, doc, settings, options);
    } finally {
      // Kept without its node objects, which would keep this tree alive (the next plan reads its own).
      for (const t of plan.carry.tops) t.n = undefined;
      this.lastPlan = { id: doc.id, revision: doc.revision, carry: plan.carry };
      carrying.delete(this);
      carrying.add(this);
      for (const a of carrying) {
        if (carrying.size <= MAX_CARRIED_PLANS) break;
        carrying.delete(a);
        a.lastPlan = undefined;
      }
    }
  }

  private runPlan(plan: ReturnType<typeof planModule>, doc: ParsedDocument, settings: LintSettings, options: AnalyzeOptions): Finding[] {
    const units = plan.units;

    // Identifiers each statement mentions (a superset of the names it uses) and its hash, cached by
    // text. Texts no statement has any more go when the cache is twice the statements (not on every
    // keystroke: this runs once per keystroke over every statement, so it allocates nothing per statement).
    const texts = this.texts;
    const seen = ++this.textRuns;
    const infos: TextInfo[] = new Array(units.length);
    for (const u of units) {
      let info = texts.get(u.text);
      if (!info) texts.set(u.text, (info = { idents: identifiers(u.text), hash: hash(u.text), mentions: undefined, gen: -1, seen }));
      info.seen = seen;
      infos[u.index] = info;
    }
    if (texts.size > 2 * units.length + 64) for (const [text, info] of texts) if (info.seen !== seen) texts.delete(text);

    // Who defines and who mentions each top-level name.
    const definers = definersOf(units);
    const names = [...definers.keys()].join('\u0000');
    if (names !== this.definerNames) {
      this.definerNames = names;
      this.definerGen++;
    }
    const mentionedBy = new Map<string, number[]>();
    for (const u of units) {
      const info = infos[u.index];
      if (info.gen !== this.definerGen) {
        info.mentions = [];
        for (const id of info.idents) if (definers.has(id)) info.mentions.push(id);
        info.gen = this.definerGen;
      }
      for (const id of info.mentions!) (mentionedBy.get(id) ?? mentionedBy.set(id, []).get(id)!).push(u.index);
    }
    /**
     * The statements other than `self` that mention one of `names`, in document order. Each name's
     * list is in document order without repeats (statements are visited in order, and a statement's
     * mentions are distinct): one name's list is returned as it is, when `self` is not in it.
     */
    const mentioners = (names: Iterable<string>, self: number): readonly number[] => {
      let out: readonly number[] = NO_UNITS;
      let lists = 0;
      for (const d of names) {
        const list = mentionedBy.get(d);
        if (!list) continue;
        out = lists++ === 0 ? list : out.concat(list);
      }
      if (lists > 1) out = [...new Set(out)].sort((a, b) => a - b);
      return out.includes(self) ? out.filter((i) => i !== self) : out;
    };

    // A statement with a syntax error may be read differently with the same text (tree-sitter's error
    // recovery depends on the text around it): its key is its IR (what the interpreter sees), not its text.
    const errorKeys = new Map<number, string>();
    const keyOf = (i: number): string => {
      if (!units[i].hasError) return infos[i].hash;
      let k = errorKeys.get(i);
      if (k === undefined) errorKeys.set(i, (k = hash(irKey(plan.carry.effects[i]))));
      return k;
    };
    const moduleCode = units
      .filter((u) => !u.isDef)
      .map((u) => `${u.col}:${u.hasError ? keyOf(u.index) : u.text}`)
      .join('\u0000');
    const prefix = `${plan.importSig}\u0000${hash(moduleCode)}\u0000`;
    const externalOf = externalKeys(options.external);
    // A definition's context: imports, module code, its column and its callers' texts. Records are
    // keyed by the statement's text itself (one V8 hash per text), with the context in the record.
    // The definitions a statement calls (the names it mentions that the module defines), and theirs in
    // turn: a call of the module's own function returns what that function computes (interp.ts), so a
    // definition's findings depend on its callees' texts and on the call sites that feed them.
    const calleeMemo = new Map<number, readonly number[]>();
    const callees = (i: number): readonly number[] => {
      const known = calleeMemo.get(i);
      if (known) return known;
      const out = new Set<number>();
      const stack = [i];
      while (stack.length) {
        const j = stack.pop()!;
        for (const id of infos[j].mentions!) {
          for (const d of definers.get(id) ?? NO_UNITS) {
            if (d === i || out.has(d)) continue;
            out.add(d);
            stack.push(d);
          }
        }
      }
      const list = out.size ? [...out].sort((a, b) => a - b) : NO_UNITS;
      calleeMemo.set(i, list);
      return list;
    };
    /**
     * What a definition's interpretation reads besides its own text: its callers, its callees and the
     * callees' callers, and the other definitions of its own names (a class defined twice: which one
     * is last decides what its name means, and an edit elsewhere can add or remove one).
     */
    /**
     * The statements that mention one of `names`, and those that mention a name these define, in
     * turn: a value a caller passes travels on through its own parameters (`helper(x, self.alpha)`,
     * interp.ts `passedOn` and the values `__init__` stored), so the callers of callers feed it too.
     */
    const callersOf = (names: Iterable<string>, self: number): readonly number[] => {
      const out = new Set<number>();
      const stack = [...mentioners(names, self)];
      while (stack.length) {
        const j = stack.pop()!;
        if (out.has(j)) continue;
        out.add(j);
        if (units[j].isDef) for (const k of mentioners(units[j].defs, self)) if (!out.has(k)) stack.push(k);
      }
      return out.size ? [...out].sort((a, b) => a - b) : NO_UNITS;
    };
    const dependencies = (i: number): readonly number[] => {
      const u = units[i];
      const cs = callees(i);
      let siblings = false;
      for (const d of u.defs) if ((definers.get(d)?.length ?? 0) > 1) siblings = true;
      if (cs.length === 0 && !siblings) return callersOf(u.defs, i);
      const names = new Set(u.defs);
      for (const c of cs) for (const d of units[c].defs) names.add(d);
      const out = new Set<number>([...callersOf(names, i), ...cs]);
      for (const d of u.defs) for (const j of definers.get(d) ?? NO_UNITS) out.add(j);
      out.delete(i);
      return [...out].sort((a, b) => a - b);
    };
    const ctxs: (string | undefined)[] = units.map((u) => {
      if (!u.isDef || u.hasError) return undefined;
      let deps = '';
      let ext = '';
      if (externalOf) for (const d of u.defs) ext += externalOf.get(d) ?? '';
      for (const i of dependencies(u.index)) {
        deps += `${deps ? ',' : ''}${units[i].col}:${keyOf(i)}`;
        // What a callee returns depends on the values that reach it from elsewhere too.
        if (externalOf) for (const d of units[i].defs) ext += externalOf.get(d) ?? '';
      }
      return `${prefix}${deps}\u0000${u.col}${ext ? `\u0000${ext}` : ''}`;
    });
    const recordOf = (u: ModuleUnit): UnitRecord | undefined => {
      const ctx = ctxs[u.index];
      if (ctx === undefined) return undefined;
      const rec = this.records.get(u.text);
      return rec && rec.ctx === ctx ? rec : undefined;
    };

    // Statements to re-check: module code, new keys, and every definition of a name they define.
    const check = new Set<number>();
    const reuse: (UnitRecord | undefined)[] = units.map(recordOf);
    for (const u of units) if (!reuse[u.index]) check.add(u.index);
    const expand = (): void => {
      for (const i of [...check]) for (const d of units[i].defs) for (const j of definers.get(d) ?? []) check.add(j);
    };
    expand();

    // The set only grows, so this ends; a second round is rare (a summary's answer changed).
    for (;;) {
      const result = this.checkUnits(plan, units, check, reuse, doc.text, settings, options, mentioners, callees);
      if (!result) return [];
      // A reused statement whose rules asked a summary that now answers differently is re-checked too.
      let more = false;
      for (const u of units) {
        if (check.has(u.index)) continue;
        const rec = reuse[u.index]!;
        for (const [name, v] of rec.read) {
          if (result.answer(name) !== v) {
            check.add(u.index);
            more = true;
          }
        }
      }
      if (!more) return this.finish(plan, units, check, ctxs, reuse, result);
      expand();
    }
  }

  private checkUnits(
    plan: ReturnType<typeof planModule>,
    units: ModuleUnit[],
    check: Set<number>,
    reuse: (UnitRecord | undefined)[],
    text: string,
    settings: LintSettings,
    options: AnalyzeOptions,
    mentioners: (names: Iterable<string>, self: number) => readonly number[],
    callees: (i: number) => readonly number[],
  ): CheckResult | undefined {
    // The interpreter sees the re-checked statements, all module code, the definitions they call (and
    // those call), and the call sites feeding all of these.
    const include = new Set<number>(check);
    for (const u of units) if (!u.isDef) include.add(u.index);
    for (const i of [...include]) for (const c of callees(i)) include.add(c);
    const names = new Set<string>();
    for (const i of include) if (units[i].isDef) for (const d of units[i].defs) names.add(d);
    for (const i of mentioners(names, -1)) include.add(i);
    const mod = plan.assemble((u) => include.has(u.index));

    const unitOf = functionUnits(mod.functions, units, include);
    const checked = (fn: FunctionIR): boolean => {
      const u = unitOf.get(fn);
      return u === undefined || u < 0 || check.has(u);
    };
    const facts = interpretModule(mod, checked, { external: options.external });
    const failed = new Set<number>();
    for (const e of facts.errors) {
      options.onRuleError?.('core', e.error);
      for (const [fn, u] of unitOf) if (fn.qualname === e.fn) failed.add(u);
    }

    // Summaries: fresh for the re-checked statements, from the records for the others.
    const holds = new Map<number, Set<string>>();
    for (const f of facts.functions.values()) {
      const u = unitOf.get(f.fn) ?? -1;
      let set = holds.get(u);
      if (!set) holds.set(u, (set = new Set()));
      for (const s of allSummaries()) if (!set.has(s.name) && s.holds(f)) set.add(s.name);
    }
    const answers = new Map<string, boolean>();
    const answer = (name: string): boolean => {
      let v = answers.get(name);
      if (v === undefined) {
        v = false;
        for (const set of holds.values()) if (set.has(name)) v = true;
        if (!v) {
          for (const u of units) {
            if (check.has(u.index)) continue;
            if (reuse[u.index]?.holds.has(name)) {
              v = true;
              break;
            }
          }
        }
        answers.set(name, v);
      }
      return v;
    };

    const found = new Map<number, Finding[]>();
    const read = new Map<number, Map<string, boolean>>();
    const seen = new Set<string>();
    let cur = -1;
    const rulesFailed = new Set<number>();
    const onRuleError = (code: string, error: unknown): void => {
      rulesFailed.add(cur);
      options.onRuleError?.(code, error);
    };
    const fns = mod.functions.filter((fn) => checked(fn));
    const complete = checkFunctions(
      {
        module: mod,
        facts,
        settings,
        text,
        anyFunction: (s: ModuleSummary) => {
          const v = answer(s.name);
          let m = read.get(cur);
          if (!m) read.set(cur, (m = new Map()));
          m.set(s.name, v);
          return v;
        },
      },
      fns,
      { isCancelled: options.isCancelled, onRuleError },
      (fn, finding, key) => {
        if (seen.has(key)) return;
        seen.add(key);
        const u = unitOf.get(fn) ?? -1;
        (found.get(u) ?? found.set(u, []).get(u)!).push(finding);
      },
      (fn) => {
        cur = unitOf.get(fn) ?? -1;
      },
    );
    if (!complete) return undefined;
    this.stats = {
      units: units.length,
      reused: units.length - check.size,
      checked: check.size,
      assembled: include.size,
      functions: fns.length,
      carried: plan.carried,
    };
    return { found, holds, read, answer, failed: new Set([...failed, ...rulesFailed]) };
  }

  private finish(
    plan: ReturnType<typeof planModule>,
    units: ModuleUnit[],
    check: Set<number>,
    ctxs: (string | undefined)[],
    reuse: (UnitRecord | undefined)[],
    result: CheckResult,
  ): Finding[] {
    // Records of statements that just went away stay a while (least recently used first out): a
    // keystroke that briefly turns the rest of the file into one syntax error must not cost a
    // whole re-check when the next keystroke repairs it.
    const next = this.records;
    const run = ++this.runs;
    const touch = (key: string, rec: UnitRecord): void => {
      rec.used = run;
      if (next.get(key) !== rec) next.set(key, rec);
    };
    const all: Finding[] = [];
    for (const u of units) {
      const ctx = ctxs[u.index];
      if (check.has(u.index)) {
        const findings = result.found.get(u.index) ?? [];
        all.push(...findings);
        if (ctx !== undefined && !result.failed.has(u.index) && findings.every((f) => movesWith(u, f))) {
          touch(u.text, record(ctx, u.line, findings, result.holds.get(u.index) ?? new Set(), result.read.get(u.index) ?? new Map(), run));
        }
      } else {
        let rec = reuse[u.index]!;
        if (rec.line !== u.line) rec = record(rec.ctx, u.line, rec.findings.map((f) => shiftFinding(f, u.line - rec.line)), rec.holds, rec.read, run);
        all.push(...rec.findings);
        touch(u.text, rec);
      }
    }
    // Module code (and anything that was not inside a statement) comes in fresh every time.
    all.push(...(result.found.get(-1) ?? []));
    const max = Math.max(MIN_RECORDS, 3 * units.length);
    if (next.size > max) {
      // Down to three quarters at once, least recently used first (this run's records are the newest).
      const byUse = [...next].sort((a, b) => a[1].used - b[1].used);
      for (const [key] of byUse.slice(0, next.size - Math.floor((max * 3) / 4))) next.delete(key);
    }
    const out = all.filter((f) => !silenced(plan.noqa, f));
    return out.sort(compareByPosition);
  }
}

interface CheckResult {
  found: Map<number, Finding[]>;
  holds: Map<number, Set<string>>;
  read: Map<number, Map<string, boolean>>;
  answer: (name: string) => boolean;
  failed: Set<number>;
}

export type { FunctionFacts };
