/**
 * Where a cell's text lies in the notebook file: a position in a cell's source as a line and
 * column of the .ipynb file itself, for tools that know only files (SARIF for GitHub code
 * scanning). nbformat stores a source as JSON strings, one per line, so a source line is usually a
 * line of the file, shifted by the indentation and the opening quote, and by escapes (`\"`, `\\`,
 * `\t`, `\u00e9`), which this follows character by character.
 */
import type { Node } from 'jsonc-parser';
import type { Position, Range } from '../core/types';
import { sourceFragments, sourceNode } from './nbformat';

export class FileLocator {
  private lineStarts: number[] | undefined;
  private readonly cells = new Map<number, CellFragments>();

  constructor(
    private readonly text: string,
    private readonly tree: Node,
  ) {}

  /** A range in cell `index`'s source (0-based lines and UTF-16 columns) as a range of the file. */
  fileRange(index: number, range: Range): Range {
    const cell = this.cell(index);
    return {
      start: this.position(cell.fileOffset(cell.offsetAt(range.start), false)),
      end: this.position(cell.fileOffset(cell.offsetAt(range.end), true)),
    };
  }

  private cell(index: number): CellFragments {
    let cell = this.cells.get(index);
    if (!cell) this.cells.set(index, (cell = new CellFragments(this.text, sourceFragments(sourceNode(this.tree, index)))));
    return cell;
  }

  private position(offset: number): Position {
    if (!this.lineStarts) {
      const starts = [0];
      for (let i = 0; i < this.text.length; i++) {
        const c = this.text.charCodeAt(i);
        if (c === 10 || (c === 13 && this.text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
      }
      this.lineStarts = starts;
    }
    const s = this.lineStarts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - s[lo] };
  }
}

/** One cell's source as the JSON strings that hold it. */
class CellFragments {
  /** Decoded start offset of each fragment in the source. */
  private readonly starts: number[] = [];
  private readonly source: string;
  private lineStarts: number[] | undefined;

  constructor(
    private readonly text: string,
    private readonly fragments: Node[],
  ) {
    let offset = 0;
    for (const f of fragments) {
      this.starts.push(offset);
      offset += String(f.value).length;
    }
    this.source = fragments.map((f) => String(f.value)).join('');
  }

  /** A position in the source as an offset in it (LSP rules: a column past the line's end is its end). */
  offsetAt(position: Position): number {
    if (!this.lineStarts) {
      const starts = [0];
      const s = this.source;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c === 10 || (c === 13 && s.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
      }
      this.lineStarts = starts;
    }
    const starts = this.lineStarts;
    if (position.line >= starts.length) return this.source.length;
    const lineStart = starts[position.line];
    let lineEnd = position.line + 1 < starts.length ? starts[position.line + 1] : this.source.length;
    while (lineEnd > lineStart && /[\r\n]/.test(this.source[lineEnd - 1])) lineEnd--;
    return Math.min(lineStart + Math.max(0, position.character), lineEnd);
  }

  /**
   * The file offset of a source offset. At the seam of two fragments, a start goes to the next
   * fragment's first character and an end (`end`) stays after the previous fragment's last one.
   */
  fileOffset(offset: number, end: boolean): number {
    if (this.fragments.length === 0) return 0;
    let k = this.fragments.length - 1;
    for (let i = 0; i < this.fragments.length; i++) {
      const length = String(this.fragments[i].value).length;
      const inside = end ? offset <= this.starts[i] + length : offset < this.starts[i] + length;
      if (inside) {
        k = i;
        break;
      }
    }
    return rawOffset(this.text, this.fragments[k], offset - this.starts[k]);
  }
}

/** The file offset of the `decoded`-th UTF-16 unit of a JSON string node's value. */
function rawOffset(text: string, node: Node, decoded: number): number {
  const last = node.offset + node.length - 1; // the closing quote
  let raw = node.offset + 1;
  for (let n = 0; n < decoded && raw < last; n++) raw += text[raw] === '\\' ? (text[raw + 1] === 'u' ? 6 : 2) : 1;
  return Math.min(raw, last);
}
