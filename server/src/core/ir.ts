/**
 * The intermediate representation: one module, its imports, classes and functions, built once from
 * a tree-sitter tree. Both interpreters read it: the abstract one (interp.ts) that labels values
 * with what they mean, and the concrete one (numeric/) that evaluates the same statements on tensors.
 *
 * The IR is plain data (no tree-sitter nodes), so it can be hashed, cached and posted to a worker.
 * Calls carry the canonical dotted name of their callee, resolved through imports and aliases
 * (`F.cross_entropy` -> `torch.nn.functional.cross_entropy`), and the operation it denotes
 * (ops.ts), with arguments bound to the operation's parameter names.
 */
import type Parser from 'tree-sitter';
import type { SyntaxNode, TextRange, Tree } from './document';
import { bindCall, emptyCallAfter, isNoArgumentMethod, resolveMethod, resolveQualified, type Spelling } from '../ops';

export type * from './ir-types';
import type { Call, ExceptHandler, Expr, FunctionIR, ModuleIR, Param, Span, Stmt, Target, WithItem, Comprehension, ClassIR, CallSite, BinOpName, FStringPart } from './ir-types';
import { resolveInjectedModules } from './injected';

/** Offsets of line starts, to turn offsets into positions without asking the native tree. */
let lineStarts: number[] | undefined;
/**
 * While set (ModulePlan.assemble's `keepBody`), a method whose span it rejects gets an empty body: its
 * IR is not built. Never `__init__`. A statement built so is marked `stubbed` and never cached.
 */
let bodyFilter: ((s: number, e: number) => boolean) | undefined;
let stubbed = false;
/** The filter's answers while a statement is built (method span and kept?): the same answers build the same IR. */
let filterAnswers: [number, number, boolean][] = [];
/** The text being built, when the caller gave it (enables the unit cache). */
let currentText: string | undefined;
/**
 * The text the tree leaves out (document.ts `ParsedDocument.excluded`): a statement or function whose
 * text overlaps it has a syntax error there, as it would have in a tree of the whole text.
 */
let excludedRange: TextRange | undefined;

/** Whether [s, e) overlaps the text the tree leaves out. */
function overlapsExcluded(s: number, e: number): boolean {
  return excludedRange !== undefined && excludedRange.start < e && excludedRange.end > s;
}

/** What building one top-level statement added to the module, kept to be replayed when its text recurs. */
export interface UnitEffects {
  stmt: Stmt | undefined;
  functions: FunctionIR[];
  classes: [string, ClassIR][];
  globals: [string, Expr][];
  callSites: CallSite[];
  /** Offset and line where the statement started when these effects were built. */
  s: number;
  line: number;
  /** The module's imports (`ModulePlan.importSig`) and the statement's column when it was built: both must match to reuse it. */
  sig: string;
  col: number;
  /** What `ModuleUnit` reports of it: a definition?, the top-level names it defines and the globals it assigns. */
  isDef: boolean;
  defs: string[];
  globalNames: string[];
  /**
   * Built with some method bodies left out (`bodyFilter`): never cached, and reused by another assemble
   * only when its filter gives the same answers (`filtered`) for every method it was asked about.
   */
  stubbed?: boolean;
  /** With `stubbed`: each method the filter was asked about (its span) and whether its body was kept. */
  filtered?: [number, number, boolean][];
}

/**
 * A top-level node with what `plan` reads of it once. `n` is read from the tree only when needed: a
 * statement carried over from the previous plan of the same document (`PlanCarry`) has none until then.
 */
interface TopNode {
  n: SyntaxNode | undefined;
  s: number;
  e: number;
  err: boolean;
  text: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  /** Its imports and noqa lines, once read or when carried over (valid at the same column). */
  meta: UnitMeta | undefined;
  /** Its IR effects in the previous plan, when carried over (checked against sig and column before use). */
  fx: UnitEffects | undefined;
  /**
   * Read again around an edit: most likely a statement being typed, whose text of this keystroke will
   * not come back. Its IR and imports stay out of the shared caches (the next plan carries them over).
   */
  fresh: boolean;
}

/** One text edit in offsets: [start, oldEnd) of the old text became [start, newEnd) of the new one. */
export interface TextEdit {
  start: number;
  oldEnd: number;
  newEnd: number;
  /** Lines added (negative: removed) by the edit. */
  dLine: number;
  /** The line, in the new text, where the inserted text ends. */
  endLine: number;
}

/** What one re-parse changed (ParsedDocument.lastChange): the edit and tree-sitter's changed ranges, in new offsets. */
export interface TreeChange {
  edit: TextEdit;
  changed: [number, number][];
}

/** What a plan hands to the next plan of the same document (`ModulePlan.carry`): its statements and their IR. */
export interface PlanCarry {
  tops: readonly TopNode[];
  effects: readonly (UnitEffects | undefined)[];
}

let verifyCarry = false;

/** Tests: make every carried-over plan compare its statements with a fresh read of the tree (throws on a difference). */
export function setVerifyPlanCarry(on: boolean): void {
  verifyCarry = on;
}

let unitCacheMax = 8192;

/** What the last cached build did: top-level statements seen, rebuilt from the tree, and reused shifted. */
export interface IrBuildStats {
  units: number;
  rebuilt: number;
  shifted: number;
}
let lastStats: IrBuildStats = { units: 0, rebuilt: 0, shifted: 0 };

/** Statistics of the last build that went through the unit cache (for benches and logs). */
export function irBuildStats(): IrBuildStats {
  return { ...lastStats };
}
/**
 * The IR of top-level statements by their text (the effects remember the imports and column they
 * were built under, and are rebuilt when either differs), least recently used first.
 */
const unitCache = new Map<string, UnitEffects>();

/**
 * The unit cache also stops at this many characters of statement text: a few long statements edited
 * many times (each version is a new key) must not fill memory. Its IR is some 30 times larger than the
 * text (126 MB of V8 heap at 4 M characters, which the server kept after every document was closed):
 * 2 M characters, the largest document the server parses, about 60 MB.
 */
const UNIT_CACHE_CHARS = 2_000_000;
let unitCacheChars = 0;

/** Puts a statement's IR in the unit cache, most recently used last, and evicts the oldest past the limits. */
function cacheUnit(text: string, fx: UnitEffects): void {
  if (unitCache.delete(text)) unitCacheChars -= text.length;
  unitCache.set(text, fx);
  unitCacheChars += text.length;
  evictUnits();
}

function evictUnits(): void {
  while (unitCache.size > 0 && (unitCache.size > unitCacheMax || unitCacheChars > UNIT_CACHE_CHARS)) {
    const oldest = unitCache.keys().next().value!;
    unitCache.delete(oldest);
    unitCacheChars -= oldest.length;
  }
}

/** While set (`withoutIrCache`), the unit caches are neither read nor written. */
let bypass = false;

/**
 * Runs `fn` without the unit caches: its statements' IR is neither looked up nor kept. For work
 * over many files that are not being edited (the language server's project index, project/), which
 * would otherwise push the open documents' statements out of the caches and hold the IR of
 * thousands of statements nobody types in.
 */
export function withoutIrCache<T>(fn: () => T): T {
  const saved = bypass;
  bypass = true;
  try {
    return fn();
  } finally {
    bypass = saved;
  }
}

/**
 * Sets how many top-level statements the unit cache keeps (0 turns it off). The language server
 * keeps the default; the CLI, which builds each file once, turns it off to keep memory flat.
 */
export function setIrCacheSize(max: number): void {
  unitCacheMax = Math.max(0, max);
  evictUnits();
  while (unitMeta.size > unitCacheMax) unitMeta.delete(unitMeta.keys().next().value!);
}

function isSpan(x: object): x is Span {
  const o = x as Partial<Span>;
  return typeof o.s === 'number' && typeof o.e === 'number' && typeof o.r === 'object';
}

/** A deep copy of cached IR with every span moved by (dOff, dLine); shared references stay shared. */
function shiftEffects(fx: UnitEffects, dOff: number, dLine: number, s: number, line: number): UnitEffects {
  const memo = new Map<object, unknown>();
  const clone = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object') return x;
    const seen = memo.get(x);
    if (seen !== undefined) return seen;
    if (Array.isArray(x)) {
      const out: unknown[] = [];
      memo.set(x, out);
      for (const v of x) out.push(clone(v));
      return out;
    }
    if (x instanceof Map) {
      const out = new Map();
      memo.set(x, out);
      for (const [k, v] of x) out.set(k, clone(v));
      return out;
    }
    if (isSpan(x)) {
      const sp: Span = {
        s: x.s + dOff,
        e: x.e + dOff,
        r: { start: { line: x.r.start.line + dLine, character: x.r.start.character }, end: { line: x.r.end.line + dLine, character: x.r.end.character } },
      };
      memo.set(x, sp);
      return sp;
    }
    const out: Record<string, unknown> = {};
    memo.set(x, out);
    for (const k of Object.keys(x)) {
      // Ops and their spellings are static tables, shared by every call.
      out[k] = k === 'op' || k === 'spell' ? (x as Record<string, unknown>)[k] : clone((x as Record<string, unknown>)[k]);
    }
    return out;
  };
  return {
    stmt: clone(fx.stmt) as Stmt | undefined,
    functions: clone(fx.functions) as FunctionIR[],
    classes: clone(fx.classes) as [string, ClassIR][],
    globals: clone(fx.globals) as [string, Expr][],
    callSites: clone(fx.callSites) as CallSite[],
    s,
    line,
    sig: fx.sig,
    col: fx.col,
    isDef: fx.isDef,
    defs: fx.defs,
    globalNames: fx.globalNames,
    stubbed: fx.stubbed,
    filtered: fx.filtered?.map(([a, b, keep]): [number, number, boolean] => [a + dOff, b + dOff, keep]),
  };
}

function positionOf(offset: number): { line: number; character: number } {
  const ls = lineStarts!;
  let lo = 0;
  let hi = ls.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ls[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - ls[lo] };
}

function spanOf(n: SyntaxNode): Span {
  const s = n.startIndex;
  const e = n.endIndex;
  if (lineStarts) return { s, e, r: { start: positionOf(s), end: positionOf(e) } };
  return {
    s,
    e,
    r: {
      start: { line: n.startPosition.row, character: n.startPosition.column },
      end: { line: n.endPosition.row, character: n.endPosition.column },
    },
  };
}

function computeLineStarts(text: string): number[] {
  const out = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) out.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      out.push(i + 1);
    }
  }
  return out;
}

function dotted(n: SyntaxNode): string {
  // Whitespace may surround the dots (`import os . path`); inside a name it is a syntax error that
  // tree-sitter recovered from (`torchv\n ision`), and the name is not the module's (the prefilter
  // looks for the module's name as one word).
  return n.text.replace(/\s*\.\s*/g, '.');
}

/**
 * Expressions nested deeper than this become `unknown`, so that the IR, the interpreters and the
 * rules (all recursive over expressions) stay far from the call stack's limit: 10,000 nested
 * parentheses or a 10,000-term `a + a + ...` would otherwise overflow it and lose the whole module.
 * CPython itself rejects more than 200 nested parentheses.
 */
export const MAX_EXPR_DEPTH = 300;


const IMPORT_TYPES = ['import_statement', 'import_from_statement'];

/** The (local name, canonical name) pairs bound by the imports in `root` (itself included), in order. */
function importsOf(root: SyntaxNode): [string, string][] {
  const out: [string, string][] = [];
  const nodes = IMPORT_TYPES.includes(root.type) ? [root] : importNodes(root);
  for (const n of nodes) {
    if (n.type === 'import_statement') {
      for (const c of n.childrenForFieldName('name')) {
        if (c.type === 'aliased_import') {
          const name = c.childForFieldName('name');
          const alias = c.childForFieldName('alias');
          if (name && alias) out.push([alias.text, dotted(name)]);
        } else if (c.type === 'dotted_name') {
          // `import torch.nn` binds `torch`.
          const first = dotted(c).split('.')[0];
          out.push([first, first]);
        }
      }
    } else {
      const moduleNode = n.childForFieldName('module_name');
      if (!moduleNode || moduleNode.type === 'relative_import') continue;
      const base = dotted(moduleNode);
      for (const c of n.childrenForFieldName('name')) {
        if (c.type === 'aliased_import') {
          const name = c.childForFieldName('name');
          const alias = c.childForFieldName('alias');
          if (name && alias) out.push([alias.text, `${base}.${dotted(name)}`]);
        } else if (c.type === 'dotted_name') {
          out.push([dotted(c), `${base}.${dotted(c)}`]);
        }
      }
      // `from keras.backend import *`: recorded as `*keras.backend` (qualify looks unbound names up in it).
      if (n.children.some((c) => c.type === 'wildcard_import')) out.push([`*${base}`, base]);
    }
  }
  return out;
}

/**
 * The import statements under `root`, in order. With the text, each is found from its `import`
 * keyword (a search in the text, then one lookup in the tree per hit) instead of a walk of the
 * whole tree; a tree with a syntax error may hold an import whose keyword is missing, so it is walked.
 */
function importNodes(root: SyntaxNode): SyntaxNode[] {
  const text = currentText;
  if (text === undefined || root.hasError) return root.descendantsOfType(IMPORT_TYPES);
  return nodesAtWord(root, text, 'import', (tok) => {
    if (tok.type !== 'import') return undefined;
    const p = tok.parent;
    return p && IMPORT_TYPES.includes(p.type) ? p : undefined;
  });
}

/** The distinct nodes `pick` finds at the occurrences of `word` in the text of `root`, in order. */
function nodesAtWord(root: SyntaxNode, text: string, word: string, pick: (n: SyntaxNode) => SyntaxNode | undefined, flags = 'g'): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const s = root.startIndex;
  const e = root.endIndex;
  const re = new RegExp(word, flags);
  // Search the node's own text: a search of the whole text from `s` would run on to the next hit
  // after the node, or to the end of the file, for every statement without one.
  const own = text.slice(s, e);
  let last = -1;
  for (let m = re.exec(own); m; m = re.exec(own)) {
    const at = s + m.index;
    const tok = root.descendantForIndex(at, at + word.length);
    if (!tok || tok.startIndex > at || tok.endIndex < at + word.length) continue;
    const n = pick(tok);
    if (n && n.startIndex > last) {
      out.push(n);
      last = n.startIndex;
    }
  }
  return out;
}

const NOQA = /#\s*noqa(?::\s*([A-Za-z]+[0-9]+(?:\s*,\s*[A-Za-z]+[0-9]+)*))?/i;

/**
 * The comments under `root` that may be `# noqa` comments, in order: with the text, the comments that
 * hold the word `noqa` (comments are leaves, so the node at each hit is the comment), else all of them.
 */
function noqaCandidates(root: SyntaxNode): SyntaxNode[] {
  const text = currentText;
  if (text === undefined) return root.descendantsOfType('comment');
  return nodesAtWord(root, text, 'noqa', (tok) => (tok.type === 'comment' ? tok : undefined), 'gi');
}

/** The `# noqa` comments in `root` (itself included): line (0-based) and the codes listed (empty = all). */
function noqaOf(root: SyntaxNode): [number, string[]][] {
  const out: [number, string[]][] = [];
  const nodes = root.type === 'comment' ? [root] : noqaCandidates(root);
  for (const c of nodes) {
    const m = NOQA.exec(c.text);
    if (!m) continue;
    const codes = m[1] ? m[1].split(',').map((x) => x.trim().toUpperCase()) : [];
    out.push([lineStarts ? positionOf(c.startIndex).line : c.startPosition.row, codes]);
  }
  return out;
}

/**
 * Per top-level statement text: its imports and noqa lines (relative to its first line), to skip tree
 * walks. Keyed by the statement's text itself (the same string object as the unit cache's key, so V8
 * hashes it once).
 */
interface UnitMeta {
  /** The column the statement started at: its noqa lines and imports are the same only at the same column. */
  col: number;
  imports: [string, string][];
  noqa: [number, string[]][];
}
const unitMeta = new Map<string, UnitMeta>();

const DEF_TYPES = ['function_definition', 'class_definition', 'decorated_definition'];

/** Module code (anything but definitions) is analysed as a function named `<module>`. */
function addModuleFunction(mod: ModuleIR, span: Span, hasError: boolean): void {
  if (mod.body.some((st) => st.k !== 'def' && st.k !== 'pass')) {
    mod.functions.unshift({ name: '<module>', qualname: '<module>', params: [], body: mod.body, span, nameSpan: span, hasError, isModule: true });
  }
}

/** One top-level statement of a module, as `planModule` found it. */
export interface ModuleUnit {
  /** Its place among the module's top-level statements. */
  index: number;
  /** Offsets where it starts and ends, and the positions of both, in the current text. */
  s: number;
  e: number;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  text: string;
  hasError: boolean;
  /** A function or class definition (else module code: imports, assignments, `if` blocks, ...). */
  isDef: boolean;
  /** Top-level functions and classes it defines: call sites elsewhere reach them by these names. */
  defs: string[];
  /** Module-level names it assigns (the module's `globals`). */
  globals: string[];
}

/** A module's top-level statements with their IR ready, not yet put together. */
export interface ModulePlan {
  units: ModuleUnit[];
  /** The module's imports as `local=canonical;...`: the IR of every statement depends on them. */
  importSig: string;
  imports: Map<string, string>;
  noqa: Map<number, string[]>;
  /**
   * The ModuleIR of the statements `include` selects (all when omitted), in document order, with
   * reused IR moved to where its statement is now. Imports and noqa always cover the whole text.
   * With `keepBody`, a definition built now gets empty bodies for the methods (other than `__init__`)
   * whose span it rejects; such a statement is built again by the next `assemble`.
   */
  assemble(include?: (u: ModuleUnit) => boolean, keepBody?: (s: number, e: number) => boolean): ModuleIR;
  /** For the next plan of the same document, after one edit (`planModule`'s `previous`). */
  carry: PlanCarry;
  /** Whether the statements were carried over from the previous plan rather than read from the whole tree. */
  carried: boolean;
}

/**
 * `text.slice(s, e)` as a string of its own. V8 makes a slice of a long string a view that keeps the
 * whole string alive; a statement's text is kept as a cache key across keystrokes (here and in
 * analysis/incremental.ts), and each view would keep that keystroke's whole document text (a 3,000-line
 * file: 100 KB per keystroke, 70 MB of heap after 750 keystrokes; bench/RESULTS.md, session 3).
 */
function ownSlice(text: string, s: number, e: number): string {
  const t = text.slice(s, e);
  // Shorter slices are copies already (V8's SlicedString::kMinLength is 13). Concatenating makes a
  // rope; slicing a rope flattens it into a new string of its own first.
  return t.length < 13 ? t : `${t} `.slice(0, -1);
}

/** A TopNode, always with every field in the same order (one object shape for the optimizing compiler). */
function top(
  n: SyntaxNode | undefined,
  s: number,
  e: number,
  err: boolean,
  text: string,
  line: number,
  col: number,
  endLine: number,
  endCol: number,
  meta: UnitMeta | undefined,
  fx: UnitEffects | undefined,
  fresh: boolean,
): TopNode {
  return { n, s, e, err, text, line, col, endLine, endCol, meta, fx, fresh };
}

/** Every top-level node of the tree, read from it. */
function readTops(root: SyntaxNode, text: string): TopNode[] {
  // One read of each top-level node's offsets and error flag (each is a call into the native binding).
  return root.namedChildren.map((n) => {
    const s = n.startIndex;
    const e = n.endIndex;
    const a = positionOf(s);
    const b = positionOf(e);
    return top(n, s, e, n.hasError || overlapsExcluded(s, e), ownSlice(text, s, e), a.line, a.character, b.line, b.character, undefined, undefined, false);
  });
}

/**
 * The top-level nodes after one edit, from the previous plan's: a statement that neither touches the
 * edit nor any range tree-sitter reports as changed (`Tree.getChangedRanges`: outside them the tree's
 * structure is the same, moved by the edit) is carried over, moved; only the nodes in between are read
 * from the tree (and only they are made into node objects, which also keeps the next `Tree.edit`
 * cheap: it updates every node object the tree has handed out). Undefined when the result does not fit
 * the tree (the caller then reads every node).
 */
function carryTops(root: SyntaxNode, text: string, carry: PlanCarry, change: TreeChange): TopNode[] | undefined {
  const { start: a, oldEnd: b, newEnd, dLine, endLine } = change.edit;
  const prev = carry.tops;
  const delta = newEnd - b;
  let lo = a;
  let hi = newEnd;
  for (const [s, e] of change.changed) {
    if (s < lo) lo = s;
    if (e > hi) hi = e;
  }
  // Where each old statement is now; -1 for those touching the edit.
  const ns: number[] = [];
  const ne: number[] = [];
  for (let i = 0; i < prev.length; i++) {
    const t = prev[i];
    if (t.e < a) {
      ns.push(t.s);
      ne.push(t.e);
    } else if (t.s > b) {
      ns.push(t.s + delta);
      ne.push(t.e + delta);
    } else {
      // Touches the edit: somewhere in [its start, its end moved], which the dirty range covers.
      ns.push(-1);
      ne.push(-1);
      if (t.s < lo) lo = t.s;
      if (t.e > b && t.e + delta > hi) hi = t.e + delta;
    }
  }
  // Grow the dirty range over every statement it touches (a statement is either wholly kept or read again).
  for (let grown = true; grown; ) {
    grown = false;
    for (let i = 0; i < prev.length; i++) {
      if (ns[i] < 0 || ns[i] > hi || ne[i] < lo) continue;
      if (ns[i] < lo) (lo = ns[i]), (grown = true);
      if (ne[i] > hi) (hi = ne[i]), (grown = true);
    }
  }
  const out: TopNode[] = [];
  let i = 0;
  for (; i < prev.length && ns[i] >= 0 && ne[i] < lo; i++) {
    const t = prev[i];
    out.push(top(undefined, t.s, t.e, t.err, t.text, t.line, t.col, t.endLine, t.endCol, t.meta, carry.effects[i], false));
  }
  let j = i;
  while (j < prev.length && !(ns[j] > hi)) j++;
  // The nodes of the new tree from the first that ends at or after `lo` to the last that starts at or before `hi`.
  const c = root.walk();
  const before = out.length;
  if (c.gotoFirstChildForIndex(Math.max(0, lo - 1)) !== null) {
    do {
      if (!c.nodeIsNamed) continue;
      const s = c.startIndex;
      if (s > hi) break;
      const n = c.currentNode;
      const e = c.endIndex;
      const p = positionOf(s);
      const q = positionOf(e);
      out.push(top(n, s, e, n.hasError || overlapsExcluded(s, e), ownSlice(text, s, e), p.line, p.character, q.line, q.character, undefined, undefined, true));
    } while (c.gotoNextSibling());
  }
  // The kept statements before must end before the first node read, those after start after the last.
  if (before > 0 && out.length > before && out[before - 1].e >= out[before].s) return undefined;
  const lastRead = out.length > before ? out[out.length - 1].e : before > 0 ? out[before - 1].e : -1;
  for (; j < prev.length; j++) {
    const t = prev[j];
    if (ns[j] < 0 || ns[j] <= lastRead) return undefined;
    let { line, col, endLine: el, endCol } = t;
    line += dLine;
    el += dLine;
    if (line <= endLine) {
      // Starts on the line where the edit ends: its column moved too.
      const p = positionOf(ns[j]);
      const q = positionOf(ne[j]);
      ({ line, character: col } = p);
      ({ line: el, character: endCol } = q);
    }
    out.push(top(undefined, ns[j], ne[j], t.err, t.text, line, col, el, endCol, t.meta, carry.effects[j], false));
  }
  if (out.length !== root.namedChildCount) return undefined;
  if (verifyCarry) {
    const fresh = readTops(root, text);
    for (let k = 0; k < fresh.length; k++) {
      const x = fresh[k];
      const y = out[k];
      if (x.s !== y.s || x.e !== y.e || x.err !== y.err || x.text !== y.text || x.line !== y.line || x.col !== y.col || x.endLine !== y.endLine || x.endCol !== y.endCol) {
        throw new Error(`carried plan differs at statement ${k}: ${JSON.stringify([x.s, x.e, x.line, x.col, x.err])} != ${JSON.stringify([y.s, y.e, y.line, y.col, y.err])}`);
      }
    }
  }
  return out;
}

class Builder {
  readonly mod: ModuleIR = {
    imports: new Map(),
    globals: new Map(),
    functions: [],
    classes: new Map(),
    classDefs: [],
    callSites: [],
    noqa: new Map(),
    body: [],
  };

  /** When set, the effects of the top-level statement being built are recorded here (unit cache). */
  private unit?: UnitEffects;

  build(root: SyntaxNode): ModuleIR {
    // Imports first, wherever they are (module level or inside functions), so aliases resolve everywhere.
    if (currentText !== undefined && unitCacheMax > 0) return this.plan(root, currentText).assemble();
    this.collectImports(root);
    for (const n of root.namedChildren) {
      const st = this.stmt(n, { scope: '' });
      if (st) this.mod.body.push(st);
    }
    addModuleFunction(this.mod, spanOf(root), root.hasError || excludedRange !== undefined);
    this.collectNoqa(root);
    return this.mod;
  }

  /**
   * Imports, noqa comments and every top-level statement's IR effects (reused from the unit cache
   * when the statement's text, column and the module's imports are unchanged, else built now),
   * before any module is assembled: callers can look at the statements and then assemble all of
   * them or only some (analysis/incremental.ts).
   */
  plan(root: SyntaxNode, text: string, lazy = false, previous?: { carry: PlanCarry; change: TreeChange }): ModulePlan {
    const carried = previous ? carryTops(root, text, previous.carry, previous.change) : undefined;
    const tops = carried ?? readTops(root, text);
    const node = (i: number): SyntaxNode => (tops[i].n ??= root.namedChild(i)!);
    this.collectMetaByUnit(tops, node);
    const sig = [...this.mod.imports].map(([k, v]) => `${k}=${v}`).join(';');
    const stats: IrBuildStats = { units: 0, rebuilt: 0, shifted: 0 };
    lastStats = stats;
    const units: ModuleUnit[] = [];
    const effects: (UnitEffects | undefined)[] = [];
    const build = (i: number, line: number, col: number, isDef: boolean): UnitEffects => {
      stats.rebuilt++;
      const t = tops[i];
      const built: UnitEffects = { stmt: undefined, functions: [], classes: [], globals: [], callSites: [], s: t.s, line, sig, col, isDef, defs: [], globalNames: [] };
      this.unit = built;
      stubbed = false;
      filterAnswers = [];
      try {
        built.stmt = this.stmt(node(i), { scope: '' });
      } finally {
        this.unit = undefined;
      }
      built.stubbed = stubbed;
      if (stubbed) built.filtered = filterAnswers;
      filterAnswers = [];
      built.defs = [...built.functions.filter((f) => !f.className && !f.parent).map((f) => f.name), ...built.classes.filter(([q]) => !q.includes('.')).map(([q]) => q)];
      built.globalNames = built.globals.map(([g]) => g);
      // A statement with a syntax error is never cached: error recovery depends on the text around it.
      if (!t.err && !built.stubbed && !t.fresh && !bypass) {
        cacheUnit(t.text, built);
      }
      return built;
    };
    for (let i = 0; i < tops.length; i++) {
      const t = tops[i];
      const { s, e, err, text: unitText } = t;
      stats.units++;
      const pos = { line: t.line, character: t.col };
      // The previous plan's IR of a statement carried over, else the unit cache's.
      let fx = !err && t.fx && !t.fx.stubbed && t.fx.sig === sig && t.fx.col === t.col ? t.fx : undefined;
      let isDef: boolean;
      let defs: string[];
      let globals: string[];
      if (!fx) {
        fx = err || bypass ? undefined : unitCache.get(unitText);
        if (fx && (fx.sig !== sig || fx.col !== pos.character)) fx = undefined;
        else if (fx) {
          // Most recently used last.
          unitCache.delete(unitText);
          unitCache.set(unitText, fx);
        }
      }
      if (fx) {
        ({ isDef, defs, globalNames: globals } = fx);
      } else if (lazy && DEF_TYPES.includes(node(i).type)) {
        const n = node(i);
        // Built when assembled. A definition binds its own name and no global (class bodies' assignments are not read).
        isDef = true;
        const def = n.type === 'decorated_definition' ? n.childForFieldName('definition') : n;
        defs = def?.type === 'function_definition' ? [def.childForFieldName('name')?.text ?? '<anonymous>'] : def?.type === 'class_definition' ? [def.childForFieldName('name')?.text ?? '<class>'] : [];
        globals = [];
      } else {
        fx = build(i, pos.line, pos.character, DEF_TYPES.includes(node(i).type));
        ({ isDef, defs, globalNames: globals } = fx);
      }
      units.push({ index: units.length, s, e, line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol, text: unitText, hasError: err, isDef, defs, globals });
      effects.push(fx);
    }
    const starts = lineStarts;
    const imports = this.mod.imports;
    const noqa = this.mod.noqa;
    const rootSpan = spanOf(root);
    const rootHasError = root.hasError || excludedRange !== undefined;
    return {
      units,
      importSig: sig,
      imports,
      noqa,
      assemble(include?: (u: ModuleUnit) => boolean, keepBody?: (s: number, e: number) => boolean): ModuleIR {
        const mod: ModuleIR = { imports, globals: new Map(), functions: [], classes: new Map(), classDefs: [], callSites: [], noqa, body: [] };
        for (const u of units) {
          if (include && !include(u)) continue;
          let fx = effects[u.index];
          // A statement built with bodies left out is built again unless this filter answers alike.
          if (!fx || (fx.stubbed && !(keepBody && fx.filtered?.every(([a, b, keep]) => keepBody(a, b) === keep)))) {
            const saved = [lineStarts, currentText, bodyFilter] as const;
            lineStarts = starts;
            currentText = text;
            bodyFilter = keepBody;
            try {
              fx = effects[u.index] = build(u.index, u.line, u.col, u.isDef);
            } finally {
              [lineStarts, currentText, bodyFilter] = saved;
            }
          }
          if (fx.s !== u.s || fx.line !== u.line) {
            const moved = shiftEffects(fx, u.s - fx.s, u.line - fx.line, u.s, u.line);
            if (unitCache.get(u.text) === fx) unitCache.set(u.text, moved);
            effects[u.index] = fx = moved;
            stats.shifted++;
          }
          if (fx.stmt) mod.body.push(fx.stmt);
          for (const f of fx.functions) mod.functions.push(f);
          for (const [k, c] of fx.classes) {
            mod.classes.set(k, c);
            mod.classDefs.push(c);
          }
          for (const [k, g] of fx.globals) mod.globals.set(k, g);
          for (const c of fx.callSites) mod.callSites.push(c);
        }
        addModuleFunction(mod, rootSpan, rootHasError);
        return mod;
      },
      carry: { tops, effects },
      carried: carried !== undefined,
    };
  }

  /** Imports and noqa comments, per top-level statement, reusing what an earlier build found for the same text. */
  private collectMetaByUnit(tops: TopNode[], node: (i: number) => SyntaxNode): void {
    for (let i = 0; i < tops.length; i++) {
      const t = tops[i];
      let meta = t.meta && t.meta.col === t.col ? t.meta : undefined;
      if (!meta) {
        meta = t.err || bypass ? undefined : unitMeta.get(t.text);
        if (!meta || meta.col !== t.col) {
          // Without the words `import` and `noqa` an error-free statement has neither (importNodes and
          // noqaCandidates search for them): its node is not asked for.
          const none = !t.err && !t.text.includes('import') && !/noqa/i.test(t.text);
          const n = none ? undefined : node(i);
          meta = n ? { col: t.col, imports: importsOf(n), noqa: noqaOf(n).map(([line, codes]) => [line - t.line, codes]) } : { col: t.col, imports: [], noqa: [] };
          if (!t.err && !t.fresh && !bypass) {
            unitMeta.delete(t.text);
            unitMeta.set(t.text, meta);
            if (unitMeta.size > unitCacheMax) unitMeta.delete(unitMeta.keys().next().value!);
          }
        }
        t.meta = meta;
      }
      for (const [k, v] of meta.imports) this.mod.imports.set(k, v);
      for (const [line, codes] of meta.noqa) this.mod.noqa.set(line + t.line, codes);
    }
  }

  private collectImports(root: SyntaxNode): void {
    for (const [k, v] of importsOf(root)) this.mod.imports.set(k, v);
  }

  private collectNoqa(root: SyntaxNode): void {
    for (const [line, codes] of noqaOf(root)) this.mod.noqa.set(line, codes);
  }


  /** The top-level statement being built: names made from positions are relative to it (the IR of a statement moves with it). */
  private topStart = 0;
  private topEnd = 0;
  /**
   * Whether the top-level statement being built holds a syntax error: tree-sitter's `hasError` of a
   * node covers its whole subtree, so a node under an error-free statement has none (funcAt asks a
   * node object only under one that has).
   */
  private topHasError = true;
  /** `shortHash` of the top-level statement's text, computed at its first lambda (a statement may hold thousands). */
  private topHash: string | undefined;

  /** Builds one statement (a top-level one, from the plan or a whole-module build) through a tree cursor. */
  private stmt(n: SyntaxNode, ctx: Ctx): Stmt | undefined {
    this.topStart = n.startIndex;
    this.topEnd = n.endIndex;
    this.topHasError = n.hasError;
    this.topHash = undefined;
    return this.stmtFrom(n, ctx);
  }

  private noteCallSite(call: Call): void {
    if (call.func.k === 'name' && !this.mod.imports.has(call.func.id)) {
      const site: CallSite = { callee: call.func.id, args: call.args, kwargs: call.kwargs, span: call.span };
      this.mod.callSites.push(site);
      this.unit?.callSites.push(site);
    }
  }

  /** Parameter names of the functions being built (innermost last): they shadow conventional module names. */
  private locals: ReadonlySet<string>[] = [];
  /** The qualname of the function whose body is being built (a lambda's parent). */
  private lambdaParent: string | undefined;

  /**
   * Canonical dotted name of a name or attribute chain rooted at an import, else undefined. A file
   * that uses `torch`, `F`, `nn`, `tf`, `K`, `np`, `jnp`, ... without importing them (a snippet, a
   * notebook cell, a star import) means their conventional modules, unless a parameter shadows them.
   */
  qualify(e: Expr): string | undefined {
    if (e.k === 'name') {
      const imported = this.mod.imports.get(e.id);
      if (imported !== undefined) return imported;
      if (this.locals.some((l) => l.has(e.id))) return undefined;
      const conventional = CONVENTIONAL_MODULES.get(e.id);
      if (conventional) return conventional;
      // A name a star import brings: an op of that module (`from keras.backend import *` ... `log(p)`).
      for (const m of starModules(this.mod.imports)) if (resolveQualified(`${m}.${e.id}`)) return `${m}.${e.id}`;
      return undefined;
    }
    if (e.k === 'attr') {
      const base = this.qualify(e.obj);
      return base ? `${base}.${e.attr}` : undefined;
    }
    return undefined;
  }

  /** How many `exprAt` and `targetAt` calls are on the stack (see MAX_EXPR_DEPTH). */
  private depth = 0;

  /** Sets a call's canonical callee and the operation it denotes, with its arguments bound. */
  /**
   * `noArgs`: the call's text after the method's name is `()` (ops.ts emptyCallAfter); a method of
   * NO_ARGUMENT_METHODS is the tensor op only then (`logger.log(level, msg)` is not a log).
   */
  private resolveCall(call: Call, noArgs: boolean): Call {
    const { func, args, kwargs } = call;
    const callee = this.qualify(func);
    const tuple = (items: Expr[]): Expr => ({ k: 'tuple', items, list: false, span: call.span });
    if (callee) {
      call.callee = callee;
      const spell = resolveQualified(callee);
      if (spell && spell.kind !== 'method') {
        call.op = spell.op;
        call.spell = spell;
        call.bound = bindCall(spell, args, kwargs, tuple);
      }
    } else if (func.k === 'attr') {
      const spell = resolveMethod(func.attr);
      if (spell && (noArgs || !isNoArgumentMethod(func.attr))) {
        call.op = spell.op;
        call.spell = spell;
        call.method = true;
        call.bound = bindCall(spell, args, kwargs, tuple, func.obj);
      }
    }
    return call;
  }

  // ---- The IR, read through a tree cursor ------------------------------------------------------
  // Every method below starts at the cursor's current node and leaves the cursor there, reading each
  // node's kind, field and offsets once (no node objects, which the binding registers with
  // finalizers). The IR, and the order of its effects on the module (functions, classes, globals,
  // call sites), is that of the node-object builder this replaced: test/core/ir-snapshot.test.ts
  // holds the IR that builder made for every fixture and corner case.

  /** Builds top-level statement `n` (or any statement) through a cursor of its own. */
  private stmtFrom(n: SyntaxNode, ctx: Ctx): Stmt | undefined {
    const outer = cur;
    const outerTree = curTree;
    cur = n.walk();
    curTree = n.tree;
    useLanguage(curTree);
    try {
      return this.stmtAt(ctx);
    } finally {
      cur = outer;
      curTree = outerTree;
    }
  }

  /** The statements among the current node's named children. */
  private blockAt(ctx: Ctx, out: Stmt[] = []): Stmt[] {
    const c = cur!;
    if (c.gotoFirstChild()) {
      do {
        const k = kindHere();
        if (!typeNamed[k]) continue;
        const st = this.stmtAt(ctx, k);
        if (st) out.push(st);
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return out;
  }

  /** The statements of the current node's first child in field `field` (none when it has no such child). */
  private fieldBlockAt(field: string, ctx: Ctx): Stmt[] {
    const c = cur!;
    let out: Stmt[] = [];
    if (c.gotoFirstChild()) {
      do {
        if (fieldHere() === field) {
          out = this.blockAt(ctx);
          break;
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return out;
  }

  /** `k`: the node's grammar symbol when the caller has read it already. */
  private stmtAt(ctx: Ctx, k = kindHere()): Stmt | undefined {
    const c = cur!;
    const type = typeNames[k];
    switch (type) {
      case 'comment':
      case 'import_statement':
      case 'import_from_statement':
      case 'future_import_statement':
        return undefined;
      case 'pass_statement':
        return { k: 'pass', span: spanHere() };
      case 'decorated_definition': {
        let st: Stmt | undefined;
        const decorators: Expr[] = [];
        if (c.gotoFirstChild()) {
          do {
            if (fieldHere() === 'definition') {
              st = this.stmtAt(ctx);
              break;
            }
            if (typeNames[kindHere()] === 'decorator') decorators.push(this.decoratorHere());
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        if (st?.k === 'def' && decorators.length) st.fn.decorators = decorators;
        return st;
      }
      case 'function_definition': {
        const span = spanHere();
        const fn = this.funcAt(ctx);
        return { k: 'def', fn, span };
      }
      case 'class_definition':
        this.klassAt(ctx);
        return undefined;
      case 'expression_statement': {
        const span = spanHere();
        const k = gotoNamedChild();
        if (k < 0) return undefined;
        try {
          const t = typeNames[k];
          if (t === 'assignment') return this.assignmentAt([], span, ctx);
          if (t === 'augmented_assignment') return this.augmentedAt(span);
          const value = this.exprAt(k);
          if (!ctx.fn && value.k === 'call') this.noteCallSite(value);
          return { k: 'expr', value, span };
        } finally {
          c.gotoParent();
        }
      }
      case 'return_statement': {
        const span = spanHere();
        const k = gotoNamedChild();
        if (k < 0) return { k: 'return', value: undefined, span };
        const value = this.exprAt(k);
        c.gotoParent();
        if (value.k === 'lambda') delete value.fn.inline;
        return { k: 'return', value, span };
      }
      case 'if_statement':
        return this.ifAt(ctx);
      case 'for_statement':
      case 'while_statement':
      case 'with_statement':
      case 'try_statement': {
        // The statement's own blocks and its clauses' (else, except, finally); nested statements recurse themselves.
        // The headers (for target and iterable, while test, with items) for the concrete interpreter.
        const span = spanHere();
        const inner: Stmt[] = [];
        const st: Extract<Stmt, { k: 'other' }> = { k: 'other', what: type.replace('_statement', ''), body: inner, span };
        if (c.gotoFirstChild()) {
          do {
            const k = kindHere();
            if (!typeNamed[k]) continue;
            const t = typeNames[k];
            const f = fieldHere();
            if (t === 'block') this.blockAt(ctx, inner);
            else if (t === 'with_clause') st.items = this.withItemsAt();
            else if (t.endsWith('_clause')) {
              if (t === 'else_clause') st.elseAt = inner.length;
              if (t === 'finally_clause') st.finallyAt = inner.length;
              if (t === 'except_clause' || t === 'except_group_clause') (st.handlers ??= []).push(this.exceptHandlerAt(t, inner.length));
              if (c.gotoFirstChild()) {
                do {
                  if (typeNames[kindHere()] === 'block') this.blockAt(ctx, inner);
                } while (c.gotoNextSibling());
                c.gotoParent();
              }
            } else if (type === 'for_statement' && f === 'left') st.target = this.targetAt(k);
            else if (type === 'for_statement' && f === 'right') st.iter = this.exprAt(k);
            else if (type === 'while_statement' && f === 'condition') st.test = this.exprAt(k);
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        return st;
      }
      case 'raise_statement': {
        const span = spanHere();
        const k = gotoNamedChild(true);
        if (k < 0) return { k: 'other', what: 'raise', body: [], span };
        const exc = this.exprAt(k);
        c.gotoParent();
        return { k: 'other', what: 'raise', body: [], span, exc };
      }
      case 'assert_statement': {
        const span = spanHere();
        const k = gotoNamedChild(true);
        if (k < 0) return { k: 'other', what: 'assert', body: [], span };
        const test = this.exprAt(k);
        c.gotoParent();
        return { k: 'other', what: 'assert', body: [], span, test };
      }
      default:
        return { k: 'other', what: type.replace('_statement', ''), body: [], span: spanHere() };
    }
  }

  /** An `except` clause (the current node): the type it names and its `as` name; its block is read by the caller. */
  private exceptHandlerAt(type: string, at: number): ExceptHandler {
    const c = cur!;
    const h: ExceptHandler = { at, span: spanHere(), ...(type === 'except_group_clause' ? { star: true } : {}) };
    if (c.gotoFirstChild()) {
      do {
        const k = kindHere();
        // `except* E` (an exception group's handler): the grammar marks it with a `*` token only.
        if (!typeNamed[k] && !h.type && textHere() === '*') h.star = true;
        if (!typeNamed[k] || typeNames[k] === 'block' || typeNames[k] === 'comment') continue;
        if (h.type) continue;
        if (typeNames[k] === 'as_pattern') {
          if (c.gotoFirstChild()) {
            do {
              const kk = kindHere();
              if (!typeNamed[kk]) continue;
              if (fieldHere() === 'alias') h.name = textHere().trim();
              else if (!h.type) h.type = this.exprAt(kk);
            } while (c.gotoNextSibling());
            c.gotoParent();
          }
        } else h.type = this.exprAt(k);
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return h;
  }

  /** The items of a `with_clause` (the current node): each context expression and its `as` target. */
  private withItemsAt(): WithItem[] {
    const c = cur!;
    const items: WithItem[] = [];
    if (c.gotoFirstChild()) {
      do {
        if (typeNames[kindHere()] !== 'with_item') continue;
        if (c.gotoFirstChild()) {
          do {
            if (fieldHere() !== 'value') continue;
            let k = kindHere();
            let parens = false;
            if (typeNames[k] === 'parenthesized_expression') {
              const inner = gotoNamedChild(true);
              if (inner >= 0 && typeNames[inner] === 'as_pattern') {
                parens = true;
                k = inner;
              } else if (inner >= 0) c.gotoParent();
            }
            if (typeNames[k] === 'as_pattern') {
              let ctx: Expr | undefined;
              let target: Target | undefined;
              if (c.gotoFirstChild()) {
                do {
                  const kk = kindHere();
                  if (!typeNamed[kk]) continue;
                  if (fieldHere() === 'alias') {
                    const t = gotoNamedChild(true);
                    if (t >= 0) {
                      target = this.targetAt(t);
                      c.gotoParent();
                    }
                  } else if (!ctx) ctx = this.exprAt(kk);
                } while (c.gotoNextSibling());
                c.gotoParent();
              }
              if (ctx) items.push({ ctx, target });
            } else items.push({ ctx: this.exprAt(k) });
            if (parens) c.gotoParent();
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return items;
  }

  /** A comprehension or generator expression (the current node): its element, key and clauses. */
  private comprehensionAt(type: string, span: Span): Expr {
    const c = cur!;
    const kind = type === 'list_comprehension' ? 'list' : type === 'set_comprehension' ? 'set' : type === 'dictionary_comprehension' ? 'dict' : 'generator';
    const gens: Comprehension['gens'] = [];
    let elt: Expr | undefined;
    let key: Expr | undefined;
    // The clauses first (their targets are the body's locals), then the body.
    let bodyAt = false;
    let pushed = 0;
    if (c.gotoFirstChild()) {
      do {
        const k = kindHere();
        if (!typeNamed[k]) continue;
        const t = typeNames[k];
        if (fieldHere() === 'body') bodyAt = true;
        else if (t === 'for_in_clause') {
          let target: Target | undefined;
          let iter: Expr | undefined;
          if (c.gotoFirstChild()) {
            do {
              const f = fieldHere();
              if (f === 'left' && !target) target = this.targetAt();
              else if (f === 'right' && !iter) iter = this.exprAt();
            } while (c.gotoNextSibling());
            c.gotoParent();
          }
          if (target && iter) {
            gens.push({ target, iter, ifs: [] });
            // The clause's names are local from here on (not an import's: `[F for F in fs]`).
            const names = new Set<string>();
            const collect = (x: Target): void => {
              if (x.k === 'name') names.add(x.id);
              else if (x.k === 'tuple') x.items.forEach(collect);
            };
            collect(target);
            this.locals.push(names);
            pushed++;
          }
        } else if (t === 'if_clause') {
          const kk = gotoNamedChild(true);
          if (kk >= 0) {
            const cond = this.exprAt(kk);
            c.gotoParent();
            gens[gens.length - 1]?.ifs.push(cond);
          }
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    if (bodyAt && c.gotoFirstChild()) {
      do {
        if (fieldHere() !== 'body') continue;
        if (kind === 'dict' && typeNames[kindHere()] === 'pair') {
          if (c.gotoFirstChild()) {
            do {
              const f = fieldHere();
              if (f === 'key' && !key) key = this.exprAt();
              else if (f === 'value' && !elt) elt = this.exprAt();
            } while (c.gotoNextSibling());
            c.gotoParent();
          }
        } else elt = this.exprAt();
        break;
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    this.locals.length -= pushed;
    if (!elt || !gens.length || (kind === 'dict' && !key)) return { k: 'unknown', what: type, span };
    return { k: 'unknown', what: type, span, comp: { kind, elt, ...(key ? { key } : {}), gens } };
  }

  private augmentedAt(span: Span): Stmt {
    const c = cur!;
    let target: Target | undefined;
    let value: Expr | undefined;
    let opText: string | undefined;
    let seen = 0;
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        if (f === 'left' && !(seen & 1)) {
          seen |= 1;
          target = this.targetAt();
        } else if (f === 'right' && !(seen & 2)) {
          seen |= 2;
          value = this.exprAt();
        } else if (f === 'operator' && !(seen & 4)) {
          seen |= 4;
          opText = textHere();
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    const op = (opText ?? '+=').slice(0, -1) as BinOpName;
    if (!target || !value) return { k: 'other', what: 'assignment', body: [], span };
    return { k: 'assign', targets: [target], value, aug: op, span };
  }

  private ifAt(ctx: Ctx): Stmt {
    const c = cur!;
    const span = spanHere();
    let test: Expr | undefined;
    let body: Stmt[] = [];
    let alternatives = 0;
    let seen = 0;
    let orelse: Stmt[] = [];
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        if (f === 'condition' && !(seen & 1)) {
          seen |= 1;
          test = this.exprAt();
        } else if (f === 'consequence' && !(seen & 2)) {
          seen |= 2;
          body = this.blockAt(ctx);
        } else if (f === 'alternative') alternatives++;
      } while (c.gotoNextSibling());
      // elif chains become nested ifs in the else branch, built from the last clause back.
      while (alternatives > 0) {
        if (fieldHere() === 'alternative') {
          alternatives--;
          if (typeNames[kindHere()] === 'else_clause') orelse = this.fieldBlockAt('body', ctx);
          else orelse = [this.elifAt(orelse, ctx)];
        }
        if (!c.gotoPreviousSibling()) break;
      }
      c.gotoParent();
    }
    return { k: 'if', test: test ?? { k: 'unknown', what: 'condition', span }, body, orelse, span };
  }

  private elifAt(orelse: Stmt[], ctx: Ctx): Stmt {
    const c = cur!;
    const span = spanHere();
    let test: Expr | undefined;
    let body: Stmt[] = [];
    let seen = 0;
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        if (f === 'condition' && !(seen & 1)) {
          seen |= 1;
          test = this.exprAt();
        } else if (f === 'consequence' && !(seen & 2)) {
          seen |= 2;
          body = this.blockAt(ctx);
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return { k: 'if', test: test ?? { k: 'unknown', what: 'condition', span }, body, orelse, span };
  }

  /** `a = b = value`: the current node is an assignment; `targets` holds the targets of the ones around it. */
  private assignmentAt(targets: Target[], span: Span, ctx: Ctx): Stmt {
    const c = cur!;
    let out: Stmt | undefined;
    let seen = 0;
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        if (f === 'left' && !(seen & 1)) {
          seen |= 1;
          targets.push(this.targetAt());
        } else if (f === 'right' && !(seen & 2)) {
          seen |= 2;
          const k = kindHere();
          if (typeNames[k] === 'assignment') out = this.assignmentAt(targets, span, ctx);
          else {
            const value = this.exprAt(k);
            if (value.k === 'lambda') {
              delete value.fn.inline;
              // `focal = lambda y, p: ...` is the function `focal` (its name in messages, probes and repro scripts).
              const only = targets.length === 1 ? targets[0] : undefined;
              if (only?.k === 'name') {
                value.fn.name = only.id;
                value.fn.qualname = value.fn.parent === "<module>" ? only.id : `${value.fn.parent}.${only.id}`;
              }
            }
            if (!ctx.fn && !ctx.classBody) {
              for (const t of targets) {
                if (t.k === 'tuple' && value.k === 'tuple' && t.items.length === value.items.length) {
                  // `ALPHA, GAMMA = 0.25, 2.0`: each name its item.
                  t.items.forEach((it, i) => {
                    if (it.k !== 'name') return;
                    this.mod.globals.set(it.id, value.items[i]);
                    this.unit?.globals.push([it.id, value.items[i]]);
                  });
                }
                if (t.k !== 'name') continue;
                this.mod.globals.set(t.id, value);
                this.unit?.globals.push([t.id, value]);
              }
              if (value.k === 'call') this.noteCallSite(value);
            }
            out = { k: 'assign', targets, value, span };
          }
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return out ?? { k: 'other', what: 'annotation', body: [], span };
  }

  private targetAt(k = kindHere()): Target {
    if (this.depth >= MAX_EXPR_DEPTH) return { k: 'unknown', span: spanHere() };
    this.depth++;
    try {
      return this.targetNodeAt(k);
    } finally {
      this.depth--;
    }
  }

  private targetNodeAt(k: number): Target {
    const c = cur!;
    const type = typeNames[k];
    const span = spanHere();
    switch (type) {
      case 'identifier':
        return { k: 'name', id: textOf(span.s, span.e), span };
      case 'attribute': {
        const [obj, attr] = this.attributePartsAt();
        if (obj && attr !== undefined) return { k: 'attr', obj, attr, span };
        return { k: 'unknown', span };
      }
      case 'subscript': {
        const [obj, index] = this.subscriptPartsAt();
        if (!obj) return { k: 'unknown', span };
        return { k: 'subscript', obj, index, span };
      }
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'tuple':
      case 'list': {
        const items: Target[] = [];
        let starred: { at: number; target: Target } | undefined;
        let stars = 0;
        if (c.gotoFirstChild()) {
          do {
            const k = kindHere();
            if (!typeNamed[k] || typeNames[k] === 'comment') continue;
            // `*rest`: an unknown item, and (one star only, as Python allows) its own target beside.
            if (typeNames[k] === 'list_splat_pattern') {
              stars++;
              const at = items.length;
              items.push({ k: 'unknown', span: spanHere() });
              const ik = gotoNamedChild();
              if (ik >= 0) {
                starred = { at, target: this.targetAt(ik) };
                c.gotoParent();
              }
              continue;
            }
            items.push(this.targetAt(k));
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        return starred && stars === 1 ? { k: 'tuple', items, span, starred } : { k: 'tuple', items, span };
      }
      case 'parenthesized_expression': {
        const k = gotoNamedChild();
        if (k < 0) return { k: 'unknown', span };
        const t = this.targetAt(k);
        c.gotoParent();
        return t;
      }
      default:
        return { k: 'unknown', span };
    }
  }

  /** The object and the name of an attribute node (the current node); sets `lastAttrEnd` to where the name ends. */
  private attributePartsAt(): [Expr | undefined, string | undefined] {
    const c = cur!;
    let obj: Expr | undefined;
    let attr: string | undefined;
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        if (f === 'object' && !obj) obj = this.exprAt();
        else if (f === 'attribute' && attr === undefined) {
          attr = textHere();
          lastAttrEnd = c.endIndex;
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return [obj, attr];
  }

  /** A subscript's `value` and `subscript` children. */
  private subscriptPartsAt(): [Expr | undefined, Expr[]] {
    const c = cur!;
    let obj: Expr | undefined;
    const index: Expr[] = [];
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        if (f === 'value') {
          if (!obj) obj = this.exprAt();
        } else if (f === 'subscript') index.push(this.exprAt());
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return [obj, index];
  }

  private paramsAt(): Param[] {
    const c = cur!;
    const out: Param[] = [];
    if (!c.gotoFirstChild()) return out;
    do {
      const k = kindHere();
      if (!typeNamed[k]) continue;
      const type = typeNames[k];
      switch (type) {
        case 'identifier': {
          const span = spanHere();
          out.push({ name: textOf(span.s, span.e), kind: 'plain', span });
          break;
        }
        case 'typed_parameter': {
          const span = spanHere();
          let id: string | undefined;
          let splat: string | undefined;
          let splatKind: 'star' | 'kwstar' = 'star';
          let annotation: string | undefined;
          let typeSeen = false;
          if (c.gotoFirstChild()) {
            do {
              const ck = kindHere();
              if (!typeNamed[ck]) continue;
              const ct = typeNames[ck];
              if (ct === 'identifier') {
                if (id === undefined) id = textHere();
              } else if (ct === 'list_splat_pattern' || ct === 'dictionary_splat_pattern') {
                if (splat === undefined) {
                  splat = textHere();
                  splatKind = ct === 'list_splat_pattern' ? 'star' : 'kwstar';
                }
              }
              if (!typeSeen && fieldHere() === 'type') {
                typeSeen = true;
                annotation = textHere();
              }
            } while (c.gotoNextSibling());
            c.gotoParent();
          }
          if (id !== undefined) out.push({ name: id, kind: 'plain', span, annotation });
          else if (splat !== undefined) out.push({ name: splat.replace(/^\*+/, ''), kind: splatKind, span });
          break;
        }
        case 'default_parameter':
        case 'typed_default_parameter': {
          const span = spanHere();
          let name: string | undefined;
          let value: Expr | undefined;
          let annotation: string | undefined;
          let seen = 0;
          if (c.gotoFirstChild()) {
            do {
              const f = fieldHere();
              if (f === 'name' && !(seen & 1)) {
                seen |= 1;
                name = textHere();
              } else if (f === 'value' && !(seen & 2)) {
                seen |= 2;
                value = this.exprAt();
              } else if (f === 'type' && !(seen & 4)) {
                seen |= 4;
                annotation = textHere();
              }
            } while (c.gotoNextSibling());
            c.gotoParent();
          }
          if (type !== 'typed_default_parameter') annotation = undefined;
          if (name !== undefined) out.push({ name, default: value, kind: 'plain', span, annotation });
          break;
        }
        case 'list_splat_pattern': {
          const span = spanHere();
          out.push({ name: textOf(span.s, span.e).replace(/^\*/, ''), kind: 'star', span });
          break;
        }
        case 'dictionary_splat_pattern': {
          const span = spanHere();
          out.push({ name: textOf(span.s, span.e).replace(/^\*\*/, ''), kind: 'kwstar', span });
          break;
        }
        default:
          break;
      }
    } while (c.gotoNextSibling());
    c.gotoParent();
    return out;
  }

  private funcAt(ctx: Ctx): FunctionIR {
    const c = cur!;
    const span = spanHere();
    const hasError = (this.topHasError && c.currentNode.hasError) || overlapsExcluded(span.s, span.e);
    let name = '<anonymous>';
    let nameSpan = span;
    let params: Param[] = [];
    let fn: FunctionIR | undefined;
    let seen = 0;
    const register = (): FunctionIR => {
      const qualname = ctx.scope ? `${ctx.scope}.${name}` : name;
      const f: FunctionIR = { name, qualname, params, body: [], span, nameSpan, className: ctx.className, parent: ctx.fn, hasError };
      // Register before the body so functions are listed outer first.
      this.mod.functions.push(f);
      this.unit?.functions.push(f);
      return f;
    };
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        if (f === 'name' && !(seen & 1)) {
          seen |= 1;
          nameSpan = spanHere();
          name = textOf(nameSpan.s, nameSpan.e);
        } else if (f === 'parameters' && !(seen & 2)) {
          seen |= 2;
          params = this.paramsAt();
        } else if (f === 'body' && !(seen & 4)) {
          seen |= 4;
          fn = register();
          const keep = !bodyFilter || !ctx.className || name === '__init__' || bodyFilter(span.s, span.e);
          if (bodyFilter && ctx.className && name !== '__init__') filterAnswers.push([span.s, span.e, keep]);
          if (!keep) stubbed = true;
          else {
            this.locals.push(new Set(params.map((p) => p.name)));
            const outerParent = this.lambdaParent;
            this.lambdaParent = fn.qualname;
            try {
              fn.body = this.blockAt({ scope: fn.qualname, fn: fn.qualname });
              resolveInjectedModules(fn, (e) => walkExprs(e));
            } finally {
              this.locals.pop();
              this.lambdaParent = outerParent;
            }
          }
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return fn ?? register();
  }

  private klassAt(ctx: Ctx): void {
    const c = cur!;
    const span = spanHere();
    let name = '<class>';
    const bases: string[] = [];
    let cls: ClassIR | undefined;
    let qualname = '';
    let seen = 0;
    const register = (): ClassIR => {
      qualname = ctx.scope ? `${ctx.scope}.${name}` : name;
      const k: ClassIR = { name: qualname, bases, methods: new Map(), attrs: new Map(), span };
      this.mod.classes.set(qualname, k);
      this.mod.classDefs.push(k);
      this.unit?.classes.push([qualname, k]);
      return k;
    };
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        if (f === 'name' && !(seen & 1)) {
          seen |= 1;
          name = textHere();
        } else if (f === 'superclasses' && !(seen & 2)) {
          seen |= 2;
          if (c.gotoFirstChild()) {
            do {
              const k = kindHere();
              if (!typeNamed[k] || typeNames[k] === 'keyword_argument') continue;
              const e = this.exprAt(k);
              bases.push(this.qualify(e) ?? textHere().replace(/\s+/g, ''));
            } while (c.gotoNextSibling());
            c.gotoParent();
          }
        } else if (f === 'body' && !(seen & 4)) {
          seen |= 4;
          cls = register();
          this.classBodyAt(cls, qualname, ctx);
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    if (!cls) register();
    else this.resolveBaseInit(cls);
  }

  /**
   * A class deriving from a library module (`class Focal(nn.CrossEntropyLoss)`, a subclass of
   * mmcv's `SoftmaxFocalLoss`): its `super().__init__(...)` (or `Base.__init__(self, ...)`) builds
   * that module, so the call is the module's construction, with its arguments bound.
   */
  private resolveBaseInit(cls: ClassIR): void {
    const init = cls.methods.get('__init__');
    if (!init) return;
    let base: Spelling | undefined;
    let baseName = '';
    for (const b of cls.bases) {
      const s = resolveQualified(b);
      if (s?.kind === 'module') {
        base = s;
        baseName = b;
        break;
      }
    }
    if (!base) return;
    const visit = (body: Stmt[]): void => {
      for (const st of body) {
        if (st.k === 'if' || st.k === 'other') {
          visit(st.body);
          if (st.k === 'if') visit(st.orelse);
          continue;
        }
        if (st.k !== 'expr' || st.value.k !== 'call') continue;
        const call = st.value;
        if (call.op || call.func.k !== 'attr' || call.func.attr !== '__init__') continue;
        const recv = call.func.obj;
        const viaSuper = recv.k === 'call' && recv.func.k === 'name' && recv.func.id === 'super';
        const viaBase = !viaSuper && (recv.k === 'name' || recv.k === 'attr') && this.qualify(recv) === baseName;
        if (!viaSuper && !viaBase) continue;
        const args = viaBase ? call.args.slice(1) : call.args;
        call.callee = base!.name;
        call.op = base!.op;
        call.spell = base;
        call.baseInit = true;
        call.bound = bindCall(base!, args, call.kwargs, (items) => ({ k: 'tuple', items, list: false, span: call.span }));
      }
    };
    visit(init.body);
  }

  /** The methods and nested classes of a class body (the current node). */
  private classBodyAt(cls: ClassIR, qualname: string, ctx: Ctx): void {
    const c = cur!;
    if (!c.gotoFirstChild()) return;
    do {
      const k = kindHere();
      if (!typeNamed[k]) continue;
      let t = typeNames[k];
      let down = false;
      const decorators: Expr[] = [];
      if (t === 'decorated_definition') {
        // Its `definition` child, when it has one.
        t = '';
        if (c.gotoFirstChild()) {
          down = true;
          do {
            if (fieldHere() === 'definition') {
              t = typeNames[kindHere()];
              break;
            }
            if (typeNames[kindHere()] === 'decorator') decorators.push(this.decoratorHere());
          } while (c.gotoNextSibling());
        }
      }
      if (t === 'function_definition') {
        const fn = this.funcAt({ scope: qualname, className: qualname, fn: ctx.fn });
        if (decorators.length) fn.decorators = decorators;
        cls.methods.set(fn.name, fn);
      } else if (t === 'class_definition') {
        this.klassAt({ scope: qualname, fn: ctx.fn });
      } else if (t === 'expression_statement') {
        // A class attribute: `gamma = 2.0`, `gamma: float = 2.0`.
        const st = this.stmtAt({ scope: qualname, fn: ctx.fn, classBody: true }, k);
        if (st?.k === 'assign' && !st.aug && st.targets.length === 1 && st.targets[0].k === 'name') cls.attrs.set(st.targets[0].id, st.value);
      }
      if (down) c.gotoParent();
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /** The expression of the `decorator` node under the cursor (`@jax.jit` -> `jax.jit`). */
  private decoratorHere(): Expr {
    const c = cur!;
    let e: Expr = { k: 'unknown', what: 'decorator', span: spanHere() };
    if (c.gotoFirstChild()) {
      do {
        const k = kindHere();
        if (typeNamed[k] && typeNames[k] !== 'comment') {
          e = this.exprAt(k);
          break;
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return e;
  }

  /** `k`: the node's grammar symbol when the caller has read it already. */
  /** The interpolation under the cursor (`{x!r:>4}`): its expression, conversion and spec; undefined for one it cannot read (a nested replacement field in the spec). */
  private interpolationHere(): FStringPart | undefined {
    const c = cur!;
    let expr: Expr | undefined;
    let conv: string | undefined;
    let spec: string | undefined;
    let ok = true;
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        // `f"{x=}"` writes the expression's text too: not read here.
        if (typeNames[kindHere()] === '=') ok = false;
        else if (f === 'expression' && !expr) expr = this.exprAt();
        else if (f === 'type_conversion') conv = textHere().replace(/^!/, '');
        else if (f === 'format_specifier') {
          spec = textHere().replace(/^:/, '');
          if (spec.includes('{')) ok = false;
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return ok && expr ? { expr, ...(conv ? { conv } : {}), ...(spec !== undefined ? { spec } : {}) } : undefined;
  }

  private exprAt(k = kindHere()): Expr {
    if (this.depth >= MAX_EXPR_DEPTH) return { k: 'unknown', what: 'nesting too deep', span: spanHere() };
    this.depth++;
    try {
      return this.exprNodeAt(k);
    } finally {
      this.depth--;
    }
  }

  private exprNodeAt(k: number): Expr {
    const c = cur!;
    const type = typeNames[k];
    const span = spanHere();
    switch (type) {
      case 'identifier':
        return { k: 'name', id: textOf(span.s, span.e), span };
      case 'integer':
      case 'float':
        return numberLiteral(textOf(span.s, span.e), span, type === 'integer');
      case 'string': {
        let content = '';
        let interp = false;
        // An f-string's pieces: text, and each interpolation's expression, conversion and spec.
        const parts: FStringPart[] = [];
        let whole = true;
        if (c.gotoFirstChild()) {
          do {
            const t = typeNames[kindHere()];
            if (t === 'string_content') {
              const text = textHere();
              content += text;
              parts.push(text.replace(/\{\{/g, '{').replace(/\}\}/g, '}'));
            } else if (t === 'interpolation') {
              interp = true;
              const part = this.interpolationHere();
              if (part) parts.push(part);
              else whole = false;
            }
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        if (!interp) return { k: 'str', value: content, span };
        return whole ? { k: 'unknown', what: 'f-string', span, fstr: parts } : { k: 'unknown', what: 'f-string', span };
      }
      case 'concatenated_string':
        return { k: 'unknown', what: 'string', span };
      case 'true':
        return { k: 'const', value: true, span };
      case 'false':
        return { k: 'const', value: false, span };
      case 'none':
        return { k: 'const', value: null, span };
      case 'ellipsis':
        return { k: 'ellipsis', span };
      case 'parenthesized_expression': {
        const k = gotoNamedChild(true);
        if (k < 0) return { k: 'unknown', what: '()', span };
        const e = this.exprAt(k);
        c.gotoParent();
        e.paren = span;
        return e;
      }
      case 'attribute': {
        const [obj, attr] = this.attributePartsAt();
        if (!obj || attr === undefined) return { k: 'unknown', what: 'attribute', span };
        // tree-sitter-python reads `*x.shape` as `(*x).shape`; Python's star takes the whole `x.shape`.
        if (obj.k === 'unknown' && obj.splat) {
          const inner: Expr = { k: 'attr', obj: obj.splat, attr, span: { ...span, s: obj.splat.span.s, r: { start: obj.splat.span.r.start, end: span.r.end } } };
          const q = this.qualify(inner);
          if (q) inner.qualified = q;
          return { k: 'unknown', what: 'list_splat', span, splat: inner };
        }
        const e: Expr = { k: 'attr', obj, attr, span };
        const q = this.qualify(e);
        if (q) e.qualified = q;
        return e;
      }
      case 'call':
        return this.callAt(span);
      case 'binary_operator':
      case 'boolean_operator': {
        let l: Expr | undefined;
        let r: Expr | undefined;
        let op: string | undefined;
        if (c.gotoFirstChild()) {
          do {
            const f = fieldHere();
            if (f === 'left' && !l) l = this.exprAt();
            else if (f === 'right' && !r) r = this.exprAt();
            else if (f === 'operator' && op === undefined) op = textHere();
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        if (type === 'boolean_operator') {
          if (!l || !r || (op !== 'and' && op !== 'or')) return { k: 'unknown', what: 'boolean', span };
          return { k: 'bool', op, left: l, right: r, span };
        }
        if (l && r && op && BITWISE_OPS.has(op)) return { k: 'unknown', what: `operator ${op}`, span, operands: [l, r] };
        if (!l || !r || !op || !BIN_OPS.has(op)) return { k: 'unknown', what: `operator ${op ?? '?'}`, span };
        return { k: 'bin', op: op as BinOpName, left: l, right: r, span };
      }
      case 'unary_operator':
      case 'not_operator': {
        let a: Expr | undefined;
        let op: string | undefined;
        if (c.gotoFirstChild()) {
          do {
            const f = fieldHere();
            if (f === 'argument' && !a) a = this.exprAt();
            else if (f === 'operator' && op === undefined) op = textHere();
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        if (type === 'not_operator') return a ? { k: 'unary', op: 'not', operand: a, span } : { k: 'unknown', what: 'not', span };
        if (!a || (op !== '-' && op !== '+' && op !== '~')) return { k: 'unknown', what: 'unary', span };
        return { k: 'unary', op, operand: a, span };
      }
      case 'comparison_operator': {
        const operands: Expr[] = [];
        const ops: string[] = [];
        if (c.gotoFirstChild()) {
          do {
            const k = kindHere();
            if (!typeNamed[k]) ops.push(textHere());
            else if (typeNames[k] !== 'comment') operands.push(this.exprAt(k));
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        return { k: 'cmp', ops, operands, span };
      }
      case 'subscript': {
        const [obj, index] = this.subscriptPartsAt();
        if (!obj) return { k: 'unknown', what: 'subscript', span };
        return { k: 'subscript', obj, index, span };
      }
      case 'slice': {
        // tree-sitter gives the parts positionally, with ':' tokens between them.
        const parts: (Expr | undefined)[] = [undefined, undefined, undefined];
        let i = 0;
        if (c.gotoFirstChild()) {
          do {
            const k = kindHere();
            if (!typeNamed[k]) {
              if (textHere() === ':') i++;
              continue;
            }
            if (typeNames[k] !== 'comment') parts[i] = this.exprAt(k);
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        return { k: 'slice', lower: parts[0], upper: parts[1], step: parts[2], span };
      }
      case 'tuple':
      case 'expression_list':
      case 'list': {
        const items: Expr[] = [];
        if (c.gotoFirstChild()) {
          do {
            const k = kindHere();
            if (typeNamed[k] && typeNames[k] !== 'comment') items.push(this.exprAt(k));
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        return { k: 'tuple', items, list: type === 'list', span };
      }
      case 'dictionary': {
        const keys: (Expr | null)[] = [];
        const values: Expr[] = [];
        if (c.gotoFirstChild()) {
          do {
            const k = kindHere();
            if (!typeNamed[k]) continue;
            const t = typeNames[k];
            if (t === 'pair') {
              let key: Expr | undefined;
              let value: Expr | undefined;
              if (c.gotoFirstChild()) {
                do {
                  const f = fieldHere();
                  if (f === 'key' && !key) key = this.exprAt();
                  else if (f === 'value' && !value) value = this.exprAt();
                } while (c.gotoNextSibling());
                c.gotoParent();
              }
              if (key && value) {
                keys.push(key);
                values.push(value);
              }
            } else if (t === 'dictionary_splat') {
              const inner = gotoNamedChild(true);
              if (inner >= 0) {
                keys.push(null);
                values.push(this.exprAt(inner));
                c.gotoParent();
              }
            }
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        return { k: 'dict', keys, values, span };
      }
      case 'lambda':
        return this.lambdaAt(span);
      case 'list_comprehension':
      case 'set_comprehension':
      case 'dictionary_comprehension':
      case 'generator_expression':
        return this.comprehensionAt(type, span);
      case 'named_expression': {
        let name: string | undefined;
        let value: Expr | undefined;
        if (c.gotoFirstChild()) {
          do {
            const f = fieldHere();
            if (f === 'name') name = textHere();
            else if (f === 'value') value = this.exprAt();
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        return name && value ? { k: 'unknown', what: type, span, walrus: { name, value } } : { k: 'unknown', what: type, span };
      }
      case 'conditional_expression': {
        const parts: Expr[] = [];
        if (c.gotoFirstChild()) {
          do {
            const k = kindHere();
            if (typeNamed[k] && typeNames[k] !== 'comment') parts.push(this.exprAt(k));
          } while (parts.length < 3 && c.gotoNextSibling());
          c.gotoParent();
        }
        if (parts.length < 3) return { k: 'unknown', what: 'conditional', span };
        return { k: 'cond', test: parts[1], body: parts[0], orelse: parts[2], span };
      }
      case 'list_splat': {
        // `*xs` as an item of a list or tuple display (`[*x.shape]`): the evaluator expands it there.
        const inner = gotoNamedChild(true);
        if (inner < 0) return { k: 'unknown', what: type, span };
        const splat = this.exprAt(inner);
        c.gotoParent();
        return { k: 'unknown', what: type, span, splat };
      }
      default:
        return { k: 'unknown', what: type, span };
    }
  }

  /** `lambda params: body` as a function of its own (parent: the enclosing function, or `<module>`). */
  private lambdaAt(span: Span): Expr {
    const c = cur!;
    let params: Param[] = [];
    let body: Expr | undefined;
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        if (f === 'parameters') params = this.paramsAt();
        else if (f === 'body' && !body) {
          this.locals.push(new Set(params.map((p) => p.name)));
          try {
            body = this.exprAt();
          } finally {
            this.locals.pop();
          }
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    const parent = this.lambdaParent ?? '<module>';
    const fn: FunctionIR = {
      name: '<lambda>',
      // Unique per lambda of the module (its statement's text and its place in it), the same wherever the statement moves.
      qualname: `${parent}.<lambda>@${(this.topHash ??= shortHash(textOf(this.topStart, this.topEnd)))}+${span.s - this.topStart}`,
      params,
      body: body ? [{ k: 'return', value: body, span: body.span }] : [],
      span,
      nameSpan: span,
      parent,
      hasError: overlapsExcluded(span.s, span.e),
      inline: true,
    };
    this.mod.functions.push(fn);
    this.unit?.functions.push(fn);
    return { k: 'lambda', fn, span };
  }

  private callAt(span: Span): Expr {
    const c = cur!;
    let func: Expr | undefined;
    const args: Expr[] = [];
    const kwargs: Record<string, Expr> = {};
    let splat = false;
    // The mapping of a lone `**mapping` (no `*args`): the concrete interpreter reads its keywords.
    let kwsplat: Expr | undefined;
    // The sequence of a lone `*xs` (no other splat) and how many positional arguments precede it.
    let star: { at: number; value: Expr } | undefined;
    let stars = 0;
    let seen = 0;
    let noArgs = false;
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        if (f === 'function' && !(seen & 1)) {
          seen |= 1;
          func = this.exprAt();
          // Where the method's name ends (exprAt read the attribute's name last): see resolveCall.
          if (func.k === 'attr' && isNoArgumentMethod(func.attr)) noArgs = emptyCallAfter(textOf(lastAttrEnd, span.e), 0);
        } else if (f === 'arguments' && !(seen & 2)) {
          seen |= 2;
          const t = typeNames[kindHere()];
          if (t !== 'argument_list') {
            // A generator expression as the only argument.
            args.push(t === 'generator_expression' ? this.comprehensionAt(t, spanHere()) : { k: 'unknown', what: t, span: spanHere() });
          } else if (c.gotoFirstChild()) {
            do {
              const k = kindHere();
              if (!typeNamed[k]) continue;
              const t = typeNames[k];
              if (t === 'comment') continue;
              if (t === 'keyword_argument') this.keywordAt(kwargs);
              else if (t === 'list_splat' || t === 'dictionary_splat') {
                splat = true;
                stars++;
                if (t === 'list_splat') {
                  // A lone `*xs` among the positional arguments: kept with where it goes.
                  const inner = gotoNamedChild(true);
                  if (inner >= 0) {
                    star = stars === 1 ? { at: args.length, value: this.exprAt(inner) } : undefined;
                    c.gotoParent();
                  }
                } else star = undefined;
                if (t === 'dictionary_splat' && stars === 1) {
                  const inner = gotoNamedChild(true);
                  if (inner >= 0) {
                    kwsplat = this.exprAt(inner);
                    c.gotoParent();
                  }
                } else kwsplat = undefined;
              } else args.push(this.exprAt(k));
            } while (c.gotoNextSibling());
            c.gotoParent();
          }
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    if (!func) return { k: 'unknown', what: 'call', span };
    return this.resolveCall({ k: 'call', func, args, kwargs, splat, ...(kwsplat && stars === 1 ? { kwsplat } : {}), ...(star && stars === 1 ? { star } : {}), span }, noArgs);
  }

  private keywordAt(kwargs: Record<string, Expr>): void {
    const c = cur!;
    let name: string | undefined;
    let value: Expr | undefined;
    let seen = 0;
    if (c.gotoFirstChild()) {
      do {
        const f = fieldHere();
        if (f === 'name' && !(seen & 1)) {
          seen |= 1;
          name = textHere();
        } else if (f === 'value' && !(seen & 2)) {
          seen |= 2;
          value = this.exprAt();
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    if (name !== undefined && value) kwargs[name] = value;
  }
}

/**
 * Builds the IR of a module. Pass the document's text when you have it: positions are then computed
 * from offsets in JavaScript, which is several times faster than asking the native tree for each.
 */
export function buildModule(root: SyntaxNode, text?: string, options: { excluded?: TextRange } = {}): ModuleIR {
  lineStarts = text !== undefined ? computeLineStarts(text) : undefined;
  currentText = text;
  excludedRange = options.excluded;
  try {
    return new Builder().build(root);
  } finally {
    lineStarts = undefined;
    currentText = undefined;
    excludedRange = undefined;
  }
}

/**
 * Plans a module's IR statement by statement (see `ModulePlan`), through the unit cache. The plan's
 * `assemble()` gives the same ModuleIR as `buildModule(root, text)`. With `lazy`, the IR of a
 * function or class definition that is not in the cache is built only when a module that includes it
 * is assembled (the CLI's sliced analysis, analysis/slice.ts, never builds most of them).
 */
export function planModule(
  root: SyntaxNode,
  text: string,
  options: {
    lazy?: boolean;
    lineStarts?: number[];
    previous?: { carry: PlanCarry; change: TreeChange };
    /** The text the tree leaves out (document.ts `ParsedDocument.excluded`). */
    excluded?: TextRange;
  } = {},
): ModulePlan {
  lineStarts = options.lineStarts ?? computeLineStarts(text);
  currentText = text;
  excludedRange = options.excluded;
  try {
    return new Builder().plan(root, text, options.lazy, options.previous);
  } finally {
    lineStarts = undefined;
    currentText = undefined;
    excludedRange = undefined;
  }
}

/** Whether a function has the signature Keras calls a loss with, `(y_true, y_pred)` (its prediction a probability unless from_logits). */
export function kerasLossSignature(fn: FunctionIR): boolean {
  return fn.params.some((p) => p.name === 'y_true') && fn.params.some((p) => p.name === 'y_pred');
}

/**
 * Every expression under `e`, children before parents (evaluation order), appended to `out`. Its own
 * recursion, not `forEachExpr` with a callback: the editor's interpreter calls it on every keystroke, and
 * through a callback the keystroke p90 was 0.86-0.89x the direct walk's (bench/keystroke-ab.mjs).
 */
export function walkExprs(e: Expr, out: Expr[] = []): Expr[] {
  switch (e.k) {
    case 'attr':
      walkExprs(e.obj, out);
      break;
    case 'call':
      walkExprs(e.func, out);
      for (const a of e.args) walkExprs(a, out);
      for (const k in e.kwargs) walkExprs(e.kwargs[k], out);
      if (e.kwsplat) walkExprs(e.kwsplat, out);
      if (e.star) walkExprs(e.star.value, out);
      break;
    case 'bin':
      walkExprs(e.left, out);
      walkExprs(e.right, out);
      break;
    case 'unary':
      walkExprs(e.operand, out);
      break;
    case 'cmp':
      for (const a of e.operands) walkExprs(a, out);
      break;
    case 'bool':
      walkExprs(e.left, out);
      walkExprs(e.right, out);
      break;
    case 'subscript':
      walkExprs(e.obj, out);
      for (const a of e.index) walkExprs(a, out);
      break;
    case 'slice':
      if (e.lower) walkExprs(e.lower, out);
      if (e.upper) walkExprs(e.upper, out);
      if (e.step) walkExprs(e.step, out);
      break;
    case 'tuple':
      for (const a of e.items) walkExprs(a, out);
      break;
    case 'cond':
      walkExprs(e.test, out);
      walkExprs(e.body, out);
      walkExprs(e.orelse, out);
      break;
    case 'dict':
      for (const k of e.keys) if (k) walkExprs(k, out);
      for (const v of e.values) walkExprs(v, out);
      break;
    default:
      // A lambda's body is its own function's.
      break;
  }
  out.push(e);
  return out;
}

/**
 * The calls under `e`, in `walkExprs`'s order (children before parents), appended to `out`: what the
 * interpreter's scan for call-site literals reads of every statement of a module, without an array of
 * all the expressions (a call is one expression in five or six).
 */
export function callsIn(e: Expr, out: Call[] = []): Call[] {
  switch (e.k) {
    case 'attr':
      callsIn(e.obj, out);
      break;
    case 'call':
      callsIn(e.func, out);
      for (const a of e.args) callsIn(a, out);
      for (const k in e.kwargs) callsIn(e.kwargs[k], out);
      if (e.kwsplat) callsIn(e.kwsplat, out);
      if (e.star) callsIn(e.star.value, out);
      out.push(e);
      break;
    case 'bin':
      callsIn(e.left, out);
      callsIn(e.right, out);
      break;
    case 'unary':
      callsIn(e.operand, out);
      break;
    case 'cmp':
      for (const a of e.operands) callsIn(a, out);
      break;
    case 'bool':
      callsIn(e.left, out);
      callsIn(e.right, out);
      break;
    case 'subscript':
      callsIn(e.obj, out);
      for (const a of e.index) callsIn(a, out);
      break;
    case 'slice':
      if (e.lower) callsIn(e.lower, out);
      if (e.upper) callsIn(e.upper, out);
      if (e.step) callsIn(e.step, out);
      break;
    case 'tuple':
      for (const a of e.items) callsIn(a, out);
      break;
    case 'cond':
      callsIn(e.test, out);
      callsIn(e.body, out);
      callsIn(e.orelse, out);
      break;
    case 'dict':
      for (const k of e.keys) if (k) callsIn(k, out);
      for (const v of e.values) callsIn(v, out);
      break;
    default:
      // A lambda's body is its own function's.
      break;
  }
  return out;
}

/**
 * `walkExprs` without the array: `visit` is called on every expression under `e`, children before
 * parents, in walkExprs's order (the hot scans of every function's expressions: call-site literals,
 * roles, project summaries). `visit` must not change the tree it walks.
 */
export function forEachExpr(e: Expr, visit: (x: Expr) => void): void {
  switch (e.k) {
    case 'attr':
      forEachExpr(e.obj, visit);
      break;
    case 'call':
      forEachExpr(e.func, visit);
      for (const a of e.args) forEachExpr(a, visit);
      for (const k in e.kwargs) forEachExpr(e.kwargs[k], visit);
      if (e.kwsplat) forEachExpr(e.kwsplat, visit);
      if (e.star) forEachExpr(e.star.value, visit);
      break;
    case 'bin':
      forEachExpr(e.left, visit);
      forEachExpr(e.right, visit);
      break;
    case 'unary':
      forEachExpr(e.operand, visit);
      break;
    case 'cmp':
      for (const a of e.operands) forEachExpr(a, visit);
      break;
    case 'bool':
      forEachExpr(e.left, visit);
      forEachExpr(e.right, visit);
      break;
    case 'subscript':
      forEachExpr(e.obj, visit);
      for (const a of e.index) forEachExpr(a, visit);
      break;
    case 'slice':
      if (e.lower) forEachExpr(e.lower, visit);
      if (e.upper) forEachExpr(e.upper, visit);
      if (e.step) forEachExpr(e.step, visit);
      break;
    case 'tuple':
      for (const a of e.items) forEachExpr(a, visit);
      break;
    case 'cond':
      forEachExpr(e.test, visit);
      forEachExpr(e.body, visit);
      forEachExpr(e.orelse, visit);
      break;
    case 'dict':
      for (const k of e.keys) if (k) forEachExpr(k, visit);
      for (const v of e.values) forEachExpr(v, visit);
      break;
    default:
      // A lambda's body is its own function's.
      break;
  }
  visit(e);
}

/**
 * The modules a module's star imports name (`*keras.backend` -> keras.backend), in import order: read
 * once per set of imports, not at every name `qualify` looks up. Imports are only added (a star
 * import's key names its module), so the list is read again when their count changes.
 */
const starCache = new WeakMap<ReadonlyMap<string, string>, { size: number; stars: string[] }>();
function starModules(imports: ReadonlyMap<string, string>): string[] {
  let c = starCache.get(imports);
  if (!c || c.size !== imports.size) {
    const stars: string[] = [];
    for (const [k, m] of imports) if (k.startsWith('*')) stars.push(m);
    starCache.set(imports, (c = { size: imports.size, stars }));
  }
  return c.stars;
}

// ---- Reading the tree through a cursor (the Builder's `...At` methods) ---------------------------
// The Node binding makes every node object through N-API calls and registers each with a weak
// reference and a finalizer; `childForFieldName`, `namedChildren`, `.type` and `.text` each cost one
// or more such calls per node. A tree cursor moves with one call per step and reads a node's kind,
// field and offsets with one call each, and the text comes from the document's string.

/** `classBody`: a statement of a class body (its assignments are class attributes, not globals). */
type Ctx = { scope: string; className?: string; fn?: string; classBody?: boolean };

/**
 * Module names a file may use without importing them (snippets, notebook cells, star imports): the
 * conventional module each stands for. An import or a parameter of the same name wins.
 */
export const CONVENTIONAL_MODULES: ReadonlyMap<string, string> = new Map([
  ['torch', 'torch'],
  ['F', 'torch.nn.functional'],
  ['nn', 'torch.nn'],
  ['tf', 'tensorflow'],
  ['K', 'keras.backend'],
  ['keras', 'keras'],
  ['np', 'numpy'],
  ['jnp', 'jax.numpy'],
  ['jax', 'jax'],
  ['optax', 'optax'],
]);

/** The cursor the builder is at, and its tree (for text when the caller gave none). */
let cur: Parser.TreeCursor | undefined;
let curTree: Tree | undefined;
/** Per grammar symbol: its name and whether it is named; per field id: its name. Filled on first sight. */
let typeNames: string[] = [];
let typeNamed: boolean[] = [];
let fieldNames: (string | undefined)[] = [];
let namesLanguage: unknown;

function useLanguage(tree: Tree): void {
  const language = (tree as unknown as { language?: unknown }).language;
  if (language !== namesLanguage) {
    namesLanguage = language;
    typeNames = [];
    typeNamed = [];
    fieldNames = [];
  }
}

/**
 * The grammar symbol of the cursor's node; its name and namedness are then in typeNames / typeNamed.
 * ERROR's symbol (65535) is read as 0, the end-of-input symbol that no node of a tree has, so that
 * those arrays stay small and fast (one element at 65535 turns a JavaScript array into a dictionary).
 */
function kindHere(): number {
  const c = cur!;
  let id = c.nodeTypeId;
  if (id === 0xffff) id = 0;
  if (typeNames[id] === undefined) {
    typeNames[id] = c.nodeType;
    typeNamed[id] = c.nodeIsNamed;
  }
  return id;
}

/** The field name of the cursor's node in its parent, if any. */
function fieldHere(): string | undefined {
  const c = cur!;
  const id = c.currentFieldId;
  if (id === undefined) return undefined;
  let name = fieldNames[id];
  if (name === undefined) name = fieldNames[id] = c.currentFieldName;
  return name;
}

/** The end of the last attribute name read (callAt reads it right after the callee's exprAt). */
let lastAttrEnd = 0;

/** The line of the last span's start: the next span starts on it or soon after (see lineAt). */
let lineHint = 0;

/** The line that holds `offset` (what positionOf finds), tried first at `hint` and the line after it. */
function lineAt(offset: number, hint: number): number {
  const ls = lineStarts!;
  const n = ls.length;
  if (hint < n && ls[hint] <= offset) {
    if (hint + 1 === n || ls[hint + 1] > offset) return hint;
    if (hint + 2 === n || (ls[hint + 2] > offset && ls[hint + 1] <= offset)) return hint + 1;
  }
  return positionOf(offset).line;
}

/**
 * The positions of the last span's start and end, shared by the next spans that start or end at the
 * same offset (a call, its callee and the callee's object start together): fewer objects for the
 * collector. Positions are never changed in place (shiftEffects copies them).
 */
let lastStart: { line: number; character: number } = { line: -1, character: -1 };
let lastStartAt = -1;
let lastEnd: { line: number; character: number } = { line: -1, character: -1 };
let lastEndAt = -1;

/** Whether `p` is the position of `offset` with these line starts (what lineAt would give). */
function positionHolds(ls: readonly number[], p: { line: number; character: number }, offset: number): boolean {
  const l = p.line;
  return l >= 0 && l < ls.length && ls[l] <= offset && (l + 1 === ls.length || ls[l + 1] > offset) && p.character === offset - ls[l];
}

function spanHere(): Span {
  const c = cur!;
  const s = c.startIndex;
  const e = c.endIndex;
  if (lineStarts) {
    const ls = lineStarts;
    if (s !== lastStartAt || !positionHolds(ls, lastStart, s)) {
      const a = (lineHint = lineAt(s, lineHint));
      lastStart = { line: a, character: s - ls[a] };
      lastStartAt = s;
    }
    if (e !== lastEndAt || !positionHolds(ls, lastEnd, e)) {
      const b = lineAt(e, lastStart.line);
      lastEnd = { line: b, character: e - ls[b] };
      lastEndAt = e;
    }
    return { s, e, r: { start: lastStart, end: lastEnd } };
  }
  const a = c.startPosition;
  const b = c.endPosition;
  return { s, e, r: { start: { line: a.row, character: a.column }, end: { line: b.row, character: b.column } } };
}

/** The text of [s, e): a string of its own (the IR is cached across keystrokes; see ownSlice). */
/** A short FNV-1a hash of a text, for names that must not depend on where the text is. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

function textOf(s: number, e: number): string {
  if (currentText !== undefined) return ownSlice(currentText, s, e);
  return curTree!.getText({ startIndex: s, endIndex: e } as SyntaxNode);
}

function textHere(): string {
  return textOf(cur!.startIndex, cur!.endIndex);
}

/**
 * Moves to the first named child (comments included unless `skipComments`) and returns its grammar
 * symbol; -1, not moved, when there is none.
 */
function gotoNamedChild(skipComments = false): number {
  const c = cur!;
  if (!c.gotoFirstChild()) return -1;
  do {
    const k = kindHere();
    if (typeNamed[k] && !(skipComments && typeNames[k] === 'comment')) return k;
  } while (c.gotoNextSibling());
  c.gotoParent();
  return -1;
}

const BIN_OPS: ReadonlySet<string> = new Set(['+', '-', '*', '/', '//', '%', '**', '@']);
/** Operators the IR keeps as `unknown` with their operands (numeric/eval.ts evaluates them on booleans and integers). */
const BITWISE_OPS: ReadonlySet<string> = new Set(['|', '&', '^', '<<', '>>']);

function numberLiteral(text: string, span: Span, int: boolean): Expr {
  const t = text.replace(/_/g, '').toLowerCase();
  if (/[jl]$/.test(t)) return { k: 'unknown', what: 'complex literal', span };
  const v = t.startsWith('0x') || t.startsWith('0o') || t.startsWith('0b') ? Number(t) : parseFloat(t);
  if (Number.isNaN(v)) return { k: 'unknown', what: 'number', span };
  return int ? { k: 'num', value: v, int: true, span } : { k: 'num', value: v, span };
}
