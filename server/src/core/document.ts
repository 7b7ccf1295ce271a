/**
 * A parsed Python document: its text and its tree-sitter tree, kept in step.
 *
 * Parsing never throws: tree-sitter always returns a tree, with ERROR and MISSING nodes where the
 * text does not parse, so a syntax error in one function does not hide findings in the others.
 * `applyChange` edits the old tree and re-parses incrementally, as editors send changes.
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
function parseText(source: { readonly text: string }, old?: Tree): Tree {
  const p = parser();
  const text = source.text;
  // The callback form avoids the binding's size limit on string input.
  const chunk = 16 * 1024;
  const tree = p.parse((index: number) => text.slice(index, index + chunk), old);
  // With callback input the binding reads `node.text` through the callback (`tree.input`), building a
  // 16 KiB chunk per call (the IR reads the text of every name); read it from the source instead.
  const t = tree as unknown as { input: unknown; getText: (n: { startIndex: number; endIndex: number }) => string };
  t.input = undefined;
  t.getText = textReader(source);
  return tree;
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
  /** Tells documents apart without holding on to them (core/incremental.ts keeps the last one's plan by id). */
  readonly id = ++documentIds;
  /** Counts `applyChanges` calls: a plan of revision r can be carried to r + 1 (ir.ts `PlanCarry`). */
  revision = 0;
  /** The edit and the tree's changed ranges of the last `applyChanges`, when it applied exactly one ranged edit. */
  lastChange: DocumentChange | undefined;
  /** Re-parses left before the tree is settled (`settle`). */
  private unsettled = SETTLE_PARSES;

  private constructor(
    public text: string,
    public tree: Tree,
  ) {}

  static parse(text: string): ParsedDocument {
    const doc = new ParsedDocument(text, undefined as unknown as Tree);
    doc.tree = parseText(doc);
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
    if (this.unsettled <= 0) return false;
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
    this.tree = full ? parseText(this) : parseText(this, old);
    this.unsettled = full ? SETTLE_PARSES : Math.max(0, this.unsettled - 1);
    if (!full && edit && changes.length === 1) {
      const changed = old.getChangedRanges(this.tree).map((r): [number, number] => [r.startIndex, r.endIndex]);
      this.lastChange = { from, edit, changed };
    }
  }
}
