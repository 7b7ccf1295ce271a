/**
 * A parsed Python document: its text and its tree-sitter tree, kept in step.
 *
 * Parsing never throws: tree-sitter always returns a tree, with ERROR and MISSING nodes where the
 * text does not parse, so a syntax error in one function does not hide findings in the others.
 * `applyChanges` edits the old tree and re-parses incrementally, as editors send changes; when
 * tree-sitter's error recovery lets the error of an edit spread over the statements after it, the
 * tree leaves the edited lines out instead (`excluded`, see `contain`).
 */
import Parser from 'tree-sitter';
import Python from 'tree-sitter-python';
import type { TreeChange, TextEdit } from './ir';
import type { Position } from './types';

export type Tree = Parser.Tree;
export type SyntaxNode = Parser.SyntaxNode;

let sharedParser: Parser | undefined;

/** One parser per thread; tree-sitter parsers are not re-entrant but parsing is synchronous. */
export function parser(): Parser {
  if (!sharedParser) {
    sharedParser = new Parser();
    sharedParser.setLanguage(Python as unknown as Parser.Language);
  }
  return sharedParser;
}

/** Files larger than this are not parsed at all; the caller reports why. */
export const MAX_SOURCE_CHARS = 2_000_000;

/**
 * Parses `source.text`. tree-sitter's Node binding reads the input in chunks; this keeps large
 * strings working. The tree reads node texts from `source` (its current text), not from a string of
 * its own: a tree lives until the garbage collector finalizes it, and one that held its text would
 * keep every replaced text of a document alive (and copied by each young-generation GC) until then.
 */
function parseText(source: { readonly text: string }, old?: Tree, includedRanges?: Parser.Range[]): Tree;
function parseText(source: { readonly text: string }, old: Tree, includedRanges: undefined, haltPast: number): Tree | undefined;
function parseText(source: { readonly text: string }, old?: Tree, includedRanges?: Parser.Range[], haltPast?: number): Tree | undefined {
  const p = parser();
  const text = source.text;
  // The callback form avoids the binding's size limit on string input.
  const chunk = 16 * 1024;
  const input = (index: number): string => text.slice(index, index + chunk);
  let tree: Tree | null;
  if (haltPast === undefined) tree = p.parse(input, old, includedRanges ? { includedRanges } : undefined);
  else {
    haltOffset = haltPast;
    tree = p.parse(input, old, { progressCallback: haltWhenRecoveringPast });
    if (!tree) {
      parseCounts.halted++;
      // A halted parse is resumed by the next call unless the parser is reset.
      p.reset();
      return undefined;
    }
  }
  // With callback input the binding reads `node.text` through the callback (`tree.input`), building a
  // 16 KiB chunk per call (the IR reads the text of every name); read it from the source instead.
  const t = tree as unknown as { input: unknown; getText: (n: { startIndex: number; endIndex: number }) => string };
  t.input = undefined;
  t.getText = textReader(source);
  return tree;
}

/** Counts since the process started (bench/incremental.mjs prints them): see `ParsedDocument.contain`. */
export const parseCounts = { contained: 0, halted: 0 };

/** See `haltWhenRecoveringPast`. */
let haltOffset = Infinity;

/**
 * The progress callback of a parse that stops once error recovery runs past `haltOffset`. tree-sitter
 * calls it every 100 parse operations with the offset reached (bytes: two per UTF-16 unit) and
 * whether every version of the parse stack is recovering from an error. One function for all parses:
 * the binding keeps a reference to each callback it is given and never releases it.
 */
function haltWhenRecoveringPast(index: number, recovering: boolean): boolean {
  return recovering && index / 2 >= haltOffset;
}

/** Made outside parseText: a closure made there would share its scope, and with it `text`, with the input callback. */
function textReader(source: { readonly text: string }): (n: { startIndex: number; endIndex: number }) => string {
  return (n) => source.text.substring(n.startIndex, n.endIndex);
}

/**
 * The line starts after replacing [from, to) of `old` with `inserted`, from those before: the starts up
 * to `from` stay, those inside the replaced text go, the inserted text's own come in, and the rest
 * move by the change in length. Undefined (recompute) when a `\r` is involved at either seam, where a
 * `\r\n` pair may be made or split.
 */
function shiftLineStarts(starts: number[], old: string, from: number, to: number, inserted: string): number[] | undefined {
  if (inserted.includes('\r') || old.charCodeAt(from - 1) === 13 || old.charCodeAt(to - 1) === 13 || old.charCodeAt(to) === 10 && old.charCodeAt(to - 1) === 13) return undefined;
  // A new array (a plan being built may still read the old one), made with one copy of the unchanged
  // head: this runs on every keystroke, on every line of the document.
  let i = firstAfter(starts, from);
  const out = starts.slice(0, i);
  for (let k = 0; k < inserted.length; k++) if (inserted.charCodeAt(k) === 10) out.push(from + k + 1);
  i = firstAfter(starts, to);
  const delta = inserted.length - (to - from);
  while (i < starts.length) out.push(starts[i++] + delta);
  return out;
}

/** The index of the first of the ascending `xs` above `x` (`xs.length` when none is). */
function firstAfter(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A range of UTF-16 offsets, [start, end). */
export interface TextRange {
  start: number;
  end: number;
}

/** `range` moved by `edit`, when the edit is wholly before or after it (not touching it); else undefined. */
function movedBy(range: TextRange, edit: TextEdit): TextRange | undefined {
  if (edit.start > range.end) return range;
  if (edit.oldEnd >= range.start) return undefined;
  const d = edit.newEnd - edit.oldEnd;
  return { start: range.start + d, end: range.end + d };
}

export interface ContentChange {
  /** Absent for a full-text replacement. */
  range?: { start: Position; end: Position };
  text: string;
}

/** What the last `applyChanges` did, when it was one edit: see ir.ts `TreeChange`. */
export interface DocumentChange extends TreeChange {
  /** The revision the edit was applied to (the document's `revision` is then one more). */
  from: number;
}

let documentIds = 0;

/** Re-parses after a full parse until incremental parses run at their usual speed (`ParsedDocument.settle`). */
const SETTLE_PARSES = 3;

export class ParsedDocument {
  private lineStarts: number[] | undefined;
  /** Tells documents apart without holding on to them (analysis/incremental.ts keeps the last one's plan by id). */
  readonly id = ++documentIds;
  /** Counts `applyChanges` calls: a plan of revision r can be carried to r + 1 (ir.ts `PlanCarry`). */
  revision = 0;
  /** The edit and the tree's changed ranges of the last `applyChanges`, when it applied exactly one ranged edit. */
  lastChange: DocumentChange | undefined;
  /** Re-parses left before the tree is settled (`settle`). */
  private unsettled = SETTLE_PARSES;
  /**
   * The text the tree leaves out, when the last edit's syntax error was contained (`contain`): the
   * tree is then `ParsedDocument.parse(text, { excluded })`'s. Undefined when the tree is the whole text's.
   */
  excluded: TextRange | undefined;
  /** The top-level statements around `excluded` (`statementsAround`). */
  private excludedStatements: TextRange | undefined;
  /** Whether the last edit's syntax error spread past its statement (`contain`). */
  private spreadLast = false;

  private constructor(
    public text: string,
    public tree: Tree,
  ) {}

  /** Parses `text`; with `excluded`, as if that range of it were not there (see `excluded`). */
  static parse(text: string, options: { excluded?: TextRange } = {}): ParsedDocument {
    const doc = new ParsedDocument(text, undefined as unknown as Tree);
    const ex = options.excluded;
    doc.tree = ex ? parseText(doc, undefined, doc.rangesWithout(ex)) : parseText(doc);
    if (ex) {
      doc.excluded = { start: ex.start, end: ex.end };
      doc.excludedStatements = doc.statementsAround(doc.tree, ex.start, ex.end) ?? doc.excluded;
    }
    return doc;
  }

  /** Offsets of line starts (UTF-16 offsets; `\n`, `\r\n` and `\r` end lines), kept up to date across edits. */
  lineOffsets(): number[] {
    return this.starts();
  }

  /** Offsets of line starts, computed on demand (UTF-16 offsets). */
  private starts(): number[] {
    if (!this.lineStarts) {
      const s = [0];
      const t = this.text;
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        if (c === 10) s.push(i + 1);
        else if (c === 13) {
          if (t.charCodeAt(i + 1) === 10) i++;
          s.push(i + 1);
        }
      }
      this.lineStarts = s;
    }
    return this.lineStarts;
  }

  offsetAt(pos: Position): number {
    const s = this.starts();
    if (pos.line >= s.length) return this.text.length;
    if (pos.line < 0) return 0;
    let lineEnd = pos.line + 1 < s.length ? s[pos.line + 1] : this.text.length;
    // LSP: a character past the end of the line means the end of the line, before its line break.
    while (lineEnd > s[pos.line] && (this.text.charCodeAt(lineEnd - 1) === 10 || this.text.charCodeAt(lineEnd - 1) === 13)) lineEnd--;
    return Math.min(s[pos.line] + Math.max(0, pos.character), lineEnd);
  }

  positionAt(offset: number): Position {
    const s = this.starts();
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - s[lo] };
  }

  /**
   * One step of settling a freshly parsed tree, for idle time; false once there is nothing left to do.
   *
   * tree-sitter's first incremental parses after a full parse are several times slower than later
   * ones (on a 3,000-line file: 3.2, 2.3 and 1.9 ms, then 0.3-0.5 ms; it rebalances the tree a part
   * at a time). Re-parsing the unchanged text with the tree as the old tree does that work ahead of
   * the first keystrokes. The text, the revision and the last change stay as they are.
   */
  settle(): boolean {
    // A re-parse of the whole text would bring back the error the tree keeps out.
    if (this.unsettled <= 0 || this.excluded) return false;
    this.tree = parseText(this, this.tree);
    this.unsettled--;
    return this.unsettled > 0;
  }

  /**
   * Applies editor changes in order: each edits the old tree (tree.edit) and the text; the tree is
   * re-parsed once at the end, reusing every unchanged subtree.
   */
  applyChanges(changes: ContentChange[]): void {
    const from = this.revision++;
    this.lastChange = undefined;
    let edit: TextEdit | undefined;
    let full = false;
    for (const c of changes) {
      if (!c.range) {
        this.text = c.text;
        this.lineStarts = undefined;
        full = true;
        continue;
      }
      // A reversed range (end before start) is read as the same range the right way round, as
      // vscode-languageserver-textdocument does; tree.edit must never see oldEndIndex < startIndex.
      const [startIndex, oldEndIndex] = [this.offsetAt(c.range.start), this.offsetAt(c.range.end)].sort((a, b) => a - b);
      const startPosition = this.positionAt(startIndex);
      const oldEndPosition = this.positionAt(oldEndIndex);
      const text = this.text.slice(0, startIndex) + c.text + this.text.slice(oldEndIndex);
      this.lineStarts = this.lineStarts && shiftLineStarts(this.lineStarts, this.text, startIndex, oldEndIndex, c.text);
      this.text = text;
      const newEndIndex = startIndex + c.text.length;
      const newEndPosition = this.positionAt(newEndIndex);
      edit = { start: startIndex, oldEnd: oldEndIndex, newEnd: newEndIndex, dLine: newEndPosition.line - oldEndPosition.line, endLine: newEndPosition.line };
      if (!full) {
        this.tree.edit({
          startIndex,
          oldEndIndex,
          newEndIndex,
          startPosition: { row: startPosition.line, column: startPosition.character },
          oldEndPosition: { row: oldEndPosition.line, column: oldEndPosition.character },
          newEndPosition: { row: newEndPosition.line, column: newEndPosition.character },
        });
      }
    }
    const old = this.tree;
    const wasExcluded = this.excluded;
    this.excluded = undefined;
    this.excludedStatements = undefined;
    if (full) this.tree = parseText(this);
    else if (edit && changes.length === 1) this.tree = this.contain(old, edit, wasExcluded && movedBy(wasExcluded, edit));
    else this.tree = parseText(this, old);
    this.unsettled = full ? SETTLE_PARSES : Math.max(0, this.unsettled - 1);
    if (!full && edit && changes.length === 1) {
      const changed = old.getChangedRanges(this.tree).map((r): [number, number] => [r.startIndex, r.endIndex]);
      this.lastChange = { from, edit, changed };
    }
  }

  /**
   * The text, with the top-level statements around `excluded` blanked out (spaces; line breaks and
   * offsets kept) while an error is kept out: for what parses the text afresh (the numeric checks, in
   * their worker), which would otherwise read the spread error. The broken statement is not there to
   * check at all rather than checked without its broken lines.
   */
  textWithoutExcluded(): string {
    const r = this.excludedStatements;
    if (!r) return this.text;
    return this.text.slice(0, r.start) + this.text.slice(r.start, r.end).replace(/[^\r\n]/g, ' ') + this.text.slice(r.end);
  }

  /**
   * Re-parses after one edit, keeping a syntax error typed there inside the top-level statement it
   * was typed in. tree-sitter's error recovery sometimes lets an error spread: `max(1, targets.)` in
   * one function can turn the rest of the file, or the whole module, into one ERROR node, and every
   * finding of every other function would go for that keystroke (and the re-parse costs 10-20 ms
   * instead of 1). Python tools recover at the statement (pyright and ruff report the error and go
   * on), so the editor does too: when the error reaches outside the edited statement, the tree is
   * parsed again without the edited lines (tree-sitter's included ranges; the old tree is reused),
   * and failing that, without the edited statement. `excluded` says what was left out; the IR marks
   * what overlaps it as having a syntax error (ir.ts), as tree-sitter would have.
   */
  private contain(old: Tree, edit: TextEdit, kept: TextRange | undefined): Tree {
    let tree: Tree | undefined;
    // Most keystrokes: one parse, no error, nothing else to read.
    if (!kept && !this.spreadLast) {
      tree = parseText(this, old);
      if (!tree.rootNode.hasError) return tree;
    }
    const region = this.statementsAround(old, edit.start, edit.newEnd);
    const keptRegion = kept && this.statementsAround(old, kept.start, kept.end);
    if (kept && keptRegion) {
      // An edit elsewhere while an earlier error is left out (the user went to add an import, say):
      // the left-out lines stay out for as long as they would spread, checked by a parse that stops as
      // soon as its error recovery runs past their statement.
      tree = parseText(this, old, undefined, keptRegion.end);
      if (!tree || this.spreads(tree, keptRegion)) {
        const without = parseText(this, old, this.rangesWithout(kept));
        if (!region || !this.spreads(without, region)) {
          parseCounts.contained++;
          this.excluded = kept;
          this.excludedStatements = keptRegion;
          return without;
        }
        tree = undefined;
      }
    }
    // After a keystroke whose error spread, the next is likely to spread too: the parse stops as soon
    // as its error recovery runs past the edited statement, instead of going on to the end of the file.
    tree ??= region && this.spreadLast ? parseText(this, old, undefined, region.end) : parseText(this, old);
    this.spreadLast = false;
    if (!region || (tree && !this.spreads(tree, region))) return tree ?? parseText(this, old);
    this.spreadLast = true;
    // The edited lines: an insertion that ends with a line break ends on the line before the next one.
    const endsLine = edit.newEnd > edit.start && (this.text.charCodeAt(edit.newEnd - 1) === 10 || this.text.charCodeAt(edit.newEnd - 1) === 13);
    const lines = { start: this.lineStart(edit.start), end: this.lineEnd(endsLine ? edit.newEnd - 1 : edit.newEnd) };
    for (const excluded of [lines, region]) {
      const contained = parseText(this, old, this.rangesWithout(excluded));
      if (!this.spreads(contained, region)) {
        parseCounts.contained++;
        this.excluded = excluded;
        this.excludedStatements = region;
        return contained;
      }
    }
    return tree ?? parseText(this, old);
  }

  /**
   * [start of the top-level statement that `from` is in (or of its line, if earlier), start of the
   * first top-level statement after `to`), read from the old tree after `tree.edit` (its offsets are
   * then the new text's). Undefined when no statement follows: an error at the end of the file has
   * nowhere to spread.
   */
  private statementsAround(old: Tree, from: number, to: number): TextRange | undefined {
    const c = old.rootNode.walk();
    const lineStart = this.lineStart(from);
    if (c.gotoFirstChildForIndex(from) === null) return undefined;
    const start = Math.min(c.startIndex, lineStart);
    while (c.endIndex <= to) if (!c.gotoNextSibling()) return undefined;
    if (c.startIndex <= to && !c.gotoNextSibling()) return undefined;
    return { start, end: c.startIndex };
  }

  /** Whether a top-level node of `tree` with a syntax error reaches outside `region` from inside it. */
  private spreads(tree: Tree, region: TextRange): boolean {
    const root = tree.rootNode;
    if (!root.hasError) return false;
    const c = root.walk();
    if (c.gotoFirstChildForIndex(Math.max(0, region.start - 1)) === null) return false;
    do {
      const s = c.startIndex;
      if (s >= region.end) break;
      if ((s < region.start || c.endIndex > region.end) && (c.nodeType === 'ERROR' || c.currentNode.hasError)) return true;
    } while (c.gotoNextSibling());
    return false;
  }

  /** The included ranges of a parse that leaves `excluded` out. */
  private rangesWithout(excluded: TextRange): Parser.Range[] {
    const point = (offset: number): Parser.Point => {
      const p = this.positionAt(offset);
      return { row: p.line, column: p.character };
    };
    const range = (startIndex: number, endIndex: number): Parser.Range => ({ startIndex, endIndex, startPosition: point(startIndex), endPosition: point(endIndex) });
    const out: Parser.Range[] = [];
    if (excluded.start > 0) out.push(range(0, excluded.start));
    if (excluded.end < this.text.length) out.push(range(excluded.end, this.text.length));
    return out;
  }

  /** The offset where the line holding `offset` starts. */
  private lineStart(offset: number): number {
    return this.offsetAt({ line: this.positionAt(offset).line, character: 0 });
  }

  /** The offset where the line holding `offset` ends, before its line break. */
  private lineEnd(offset: number): number {
    return this.offsetAt({ line: this.positionAt(offset).line, character: Number.MAX_SAFE_INTEGER });
  }
}
