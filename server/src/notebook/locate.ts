/**
 * Where a cell's text lies in the notebook file: a position in a cell's source as a line and
 * column of the .ipynb file itself, for tools that know only files (SARIF for GitHub code
 * scanning). nbformat stores a source as JSON strings, one per line, so a source line is usually a
 * line of the file, shifted by the indentation and the opening quote, and by escapes (`\"`, `\\`,
 * `\t`, `\u00e9`), which this follows character by character.
 */
import type { Node } from 'jsonc-parser';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Position, Range } from '../core/types';
import { sourceFragments, sourceNode } from './nbformat';

export class FileLocator {
  private readonly file: TextDocument;
  private readonly cells = new Map<number, CellFragments>();

  constructor(
    private readonly text: string,
    private readonly tree: Node,
  ) {
    this.file = TextDocument.create('file:///notebook.ipynb', 'json', 0, text);
  }

  /** A range in cell `index`'s source (0-based lines and UTF-16 columns) as a range of the file. */
  fileRange(index: number, range: Range): Range {
    const cell = this.cell(index);
    return {
      start: this.file.positionAt(cell.fileOffset(cell.offsetAt(range.start), false)),
      end: this.file.positionAt(cell.fileOffset(cell.offsetAt(range.end), true)),
    };
  }

  private cell(index: number): CellFragments {
    let cell = this.cells.get(index);
    if (!cell) this.cells.set(index, (cell = new CellFragments(this.text, sourceFragments(sourceNode(this.tree, index)))));
    return cell;
  }
}

/** One cell's source as the JSON strings that hold it. */
class CellFragments {
  /** Decoded start offset of each fragment in the source. */
  private readonly starts: number[] = [];
  private readonly source: TextDocument;

  constructor(
    private readonly text: string,
    private readonly fragments: Node[],
  ) {
    let offset = 0;
    for (const f of fragments) {
      this.starts.push(offset);
      offset += String(f.value).length;
    }
    this.source = TextDocument.create('file:///cell.py', 'python', 0, fragments.map((f) => String(f.value)).join(''));
  }

  /** A position in the source as an offset in it (LSP rules: a column past the line's end is its end). */
  offsetAt(position: Position): number {
    return this.source.offsetAt(position);
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
