/**
 * The code cells of a notebook as one Python module, in cell order, as the kernel runs them when
 * the notebook is run from the top: imports in one cell, a constant in another and the loss in a
 * third are analysed together.
 *
 * The module is each Python code cell's text, its IPython syntax masked (./magics.ts), followed by
 * one `\n` (ruff's synthetic cell separator, also after a cell that already ends with a line
 * break), so that cell k starts on a line of its own and the lines of a cell are the module's lines
 * from its start line on. A position in the module maps to a cell and a position in that cell by
 * subtracting the cell's start line; columns never change.
 *
 * The CLI builds it from a notebook file (`fromNotebook`), the language server from the cells an
 * editor synchronises (`NotebookModule.build`); both give the same text for the same cells, so the
 * same findings.
 */
import type { Position, Range } from '../core/types';
import { maskMagics } from './magics';
import type { Notebook } from './nbformat';

export interface CellInput {
  /** What the caller names the cell by: the index among all cells (CLI), or the index of the synchronised cell (server). */
  index: number;
  source: string;
  /** Set for cells that are not Python code (markdown, raw, another language): they are left out. */
  notPython?: string;
}

export interface ModuleCell {
  index: number;
  /** The cell's text as written. */
  source: string;
  /** The same text with its IPython syntax masked. */
  masked: string;
  /** Masked spans in the cell, [start, end) offsets. */
  maskedSpans: [number, number][];
  /** Offset of the cell's first character in the module. */
  start: number;
  /** Line of the cell's first line in the module. */
  startLine: number;
  /** Line breaks in the cell's text: its last line is `startLine + breaks`. */
  breaks: number;
}

/** A cell left out of the module, and why. */
export interface SkippedCell {
  index: number;
  reason: string;
}

/** An edit in module offsets. */
export interface ModuleEdit {
  start: number;
  end: number;
  newText: string;
}

const SEPARATOR = '\n';

export class NotebookModule {
  private constructor(
    /** The Python module: every Python cell's masked text, each followed by SEPARATOR. */
    readonly text: string,
    readonly cells: readonly ModuleCell[],
    readonly skipped: readonly SkippedCell[],
  ) {}

  /** The module of these cells, in this order; cells marked `notPython` and cells with a non-Python cell magic are skipped. */
  static build(inputs: readonly CellInput[]): NotebookModule {
    const cells: ModuleCell[] = [];
    const skipped: SkippedCell[] = [];
    let text = '';
    let line = 0;
    for (const input of inputs) {
      if (input.notPython !== undefined) {
        skipped.push({ index: input.index, reason: input.notPython });
        continue;
      }
      const mask = maskMagics(input.source);
      if (!mask.ok) {
        skipped.push({ index: input.index, reason: mask.reason });
        continue;
      }
      const breaks = countBreaks(input.source);
      cells.push({ index: input.index, source: input.source, masked: mask.text, maskedSpans: mask.masked, start: text.length, startLine: line, breaks });
      text += mask.text + SEPARATOR;
      line += breaks + 1;
    }
    return new NotebookModule(text, cells, skipped);
  }

  /** The cell that holds a module line; a line past the last cell (the module's final empty line) maps to the last cell. */
  cellAtLine(line: number): ModuleCell | undefined {
    let lo = 0;
    let hi = this.cells.length - 1;
    if (hi < 0) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cells[mid].startLine <= line) lo = mid;
      else hi = mid - 1;
    }
    return this.cells[lo];
  }

  /** A module position as a position in its cell (clamped to the cell's last line). */
  toCell(position: Position): { cell: ModuleCell; position: Position } | undefined {
    const cell = this.cellAtLine(position.line);
    if (!cell) return undefined;
    const line = position.line - cell.startLine;
    if (line > cell.breaks) return { cell, position: { line: cell.breaks, character: lastLineLength(cell.source) } };
    return { cell, position: { line: Math.max(0, line), character: position.character } };
  }

  /**
   * A module range as a range in one cell. A range that ends in a later cell (it never does for
   * a finding: statements do not cross cells) is cut at the end of its first cell.
   */
  toCellRange(range: Range): { cell: ModuleCell; range: Range } | undefined {
    const start = this.toCell(range.start);
    if (!start) return undefined;
    const end = this.toCell(range.end);
    const endPosition =
      end && end.cell === start.cell ? end.position : { line: start.cell.breaks, character: lastLineLength(start.cell.source) };
    return { cell: start.cell, range: { start: start.position, end: endPosition } };
  }

  /** A position in a cell as a module position. */
  fromCell(cell: ModuleCell, position: Position): Position {
    return { line: cell.startLine + position.line, character: position.character };
  }

  /** The cell an edit falls in, when it lies inside one cell's text and clear of its masked IPython syntax. */
  cellOfEdit(edit: { start: number; end: number }): ModuleCell | undefined {
    const cell = this.cells.find((c) => c.start <= edit.start && edit.end <= c.start + c.source.length);
    if (!cell) return undefined;
    const from = edit.start - cell.start;
    const to = edit.end - cell.start;
    const clash = cell.maskedSpans.some(([s, e]) => (from < e && s < to) || (from === to && s < from && from < e));
    return clash ? undefined : cell;
  }

  /**
   * The cells' new sources after edits (module offsets, none overlapping, each inside one cell and
   * clear of masked syntax: `cellOfEdit`); only the cells an edit touched are in the map.
   */
  editedSources(edits: readonly ModuleEdit[]): Map<number, string> {
    const byCell = new Map<ModuleCell, ModuleEdit[]>();
    for (const edit of edits) {
      const cell = this.cellOfEdit(edit);
      if (!cell) throw new Error('an edit crosses a cell boundary or overwrites IPython syntax');
      byCell.set(cell, [...(byCell.get(cell) ?? []), edit]);
    }
    const out = new Map<number, string>();
    for (const [cell, list] of byCell) {
      let source = cell.source;
      for (const e of [...list].sort((a, b) => b.start - a.start || b.end - a.end)) {
        source = source.slice(0, e.start - cell.start) + e.newText + source.slice(e.end - cell.start);
      }
      out.set(cell.index, source);
    }
    return out;
  }
}

/** The module of a notebook read from a file: cells named by their index among all cells. */
export function fromNotebook(notebook: Notebook, sources?: ReadonlyMap<number, string>): NotebookModule {
  return NotebookModule.build(
    notebook.cells.map((cell) => ({
      index: cell.index,
      source: sources?.get(cell.index) ?? cell.source,
      notPython: notebookCellSkip(cell.type, cell.languageId),
    })),
  );
}

/** Why a notebook cell is not Python code, if it is not: markdown, raw, or a code cell of another language. */
export function notebookCellSkip(type: string, languageId: string | undefined): string | undefined {
  if (type !== 'code') return `a ${type} cell`;
  if (languageId !== undefined && languageId !== 'python') return `a ${languageId} cell`;
  return undefined;
}

function countBreaks(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13) {
      if (text.charCodeAt(i + 1) !== 10) n++;
    }
  }
  return n;
}

function lastLineLength(text: string): number {
  return text.length - (Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r')) + 1);
}
