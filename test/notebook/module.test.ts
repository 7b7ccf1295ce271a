/**
 * The notebook as one module (server/src/notebook/module.ts, nbformat.ts, locate.ts, write.ts):
 * reading nbformat, cell order and positions, edits by cell, writing sources back byte for byte
 * and finding a cell's text in the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLocator } from '../../server/src/notebook/locate';
import { fromNotebook, NotebookModule } from '../../server/src/notebook/module';
import { notebookTree, readNotebook } from '../../server/src/notebook/nbformat';
import { splitLinesKeepEnds, withCellSources } from '../../server/src/notebook/write';

const FIXTURES = path.resolve(__dirname, '../fixtures/notebooks');

function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

function notebookOf(text: string) {
  const read = readNotebook(text);
  if (!read.ok) throw new Error(read.reason);
  return read.notebook;
}

describe('readNotebook', () => {
  it('reads cells of every kind, in order, sources joined', () => {
    const nb = notebookOf(fixture('wrong_focal.ipynb'));
    expect(nb.cells.map((c) => c.type)).toEqual(['markdown', 'code', 'code', 'code', 'raw', 'code', 'code']);
    expect(nb.cells[2]).toMatchObject({ index: 2, source: 'GAMMA = 0.5  # below 1: the gradient of (1 - pt) ** gamma needs a clamp', form: 'lines' });
    expect(nb.language).toBe('python');
    expect(notebookOf(fixture('wrong_focal_strings.ipynb')).cells[3].form).toBe('string');
  });

  it('refuses what is not nbformat 4 JSON, with the place of a JSON error', () => {
    expect(readNotebook(fixture('broken.ipynb'))).toEqual({ ok: false, reason: 'not a valid notebook: invalid JSON at line 6, column 3 (comma expected)' });
    expect(readNotebook('')).toEqual({ ok: false, reason: 'not a valid notebook: the file is empty' });
    expect(readNotebook('[]')).toEqual({ ok: false, reason: 'not a valid notebook: the JSON is not an object' });
    expect(readNotebook('{"nbformat": 3, "worksheets": []}')).toEqual({ ok: false, reason: 'not an nbformat 4 notebook (nbformat 3)' });
    expect(readNotebook('{"nbformat": 4}')).toEqual({ ok: false, reason: 'not a valid notebook: "cells" is not a list' });
    expect(readNotebook('{"nbformat": 4, "cells": [{"cell_type": "code", "source": [1]}]}')).toEqual({
      ok: false,
      reason: 'not a valid notebook: the "source" of cell 1 is neither a string nor a list of strings',
    });
  });
});

describe('NotebookModule', () => {
  const module = NotebookModule.build([
    { index: 0, source: '# Title', notPython: 'a markdown cell' },
    { index: 1, source: 'import torch\n' },
    { index: 2, source: '%%bash\necho hi' },
    { index: 3, source: '%matplotlib inline\nGAMMA = 0.5' },
  ]);

  it('joins the Python cells with one line break each, IPython syntax masked, and says what it skipped', () => {
    expect(module.text).toBe('import torch\n\n0                 \nGAMMA = 0.5\n');
    expect(module.cells.map((c) => [c.index, c.startLine, c.breaks])).toEqual([
      [1, 0, 1],
      [3, 2, 1],
    ]);
    expect(module.skipped).toEqual([
      { index: 0, reason: 'a markdown cell' },
      { index: 2, reason: 'the cell runs the cell magic `%%bash`, not Python' },
    ]);
  });

  it('maps module positions to cell positions and back', () => {
    const placed = module.toCellRange({ start: { line: 3, character: 0 }, end: { line: 3, character: 5 } });
    expect(placed?.cell.index).toBe(3);
    expect(placed?.range).toEqual({ start: { line: 1, character: 0 }, end: { line: 1, character: 5 } });
    expect(module.fromCell(placed!.cell, { line: 1, character: 8 })).toEqual({ line: 3, character: 8 });
    // The module's last (empty) line belongs to no cell: it is the end of the last one.
    expect(module.toCell({ line: 4, character: 0 })?.position).toEqual({ line: 1, character: 11 });
  });

  it('admits edits inside one cell and clear of masked syntax only, and applies them to the written source', () => {
    const gamma = module.text.indexOf('0.5');
    expect(module.cellOfEdit({ start: gamma, end: gamma + 3 })?.index).toBe(3);
    expect(module.cellOfEdit({ start: 2, end: 16 })).toBeUndefined(); // crosses into the next cell
    expect(module.cellOfEdit({ start: 15, end: 16 })).toBeUndefined(); // the masked `%matplotlib`
    expect(module.editedSources([{ start: gamma, end: gamma + 3, newText: '2.0' }])).toEqual(new Map([[3, '%matplotlib inline\nGAMMA = 2.0']]));
  });

  it('builds the same module from a file as from the same cells given one by one (the CLI and the server)', () => {
    const nb = notebookOf(fixture('wrong_focal.ipynb'));
    const fromFile = fromNotebook(nb);
    const fromCells = NotebookModule.build(nb.cells.filter((c) => c.type === 'code').map((c, i) => ({ index: i, source: c.source })));
    expect(fromCells.text).toBe(fromFile.text);
  });
});

describe('withCellSources', () => {
  it.each(['wrong_focal.ipynb', 'wrong_focal_strings.ipynb'])('rewrites one cell of %s and leaves every other byte alone', (name) => {
    const text = fixture(name);
    const nb = notebookOf(text);
    const source = nb.cells[3].source.replace('((1 - pt) ** gamma', '((1 - pt).clamp(min=1e-6) ** gamma');
    const out = withCellSources(text, new Map([[3, source]]), new Map(nb.cells.map((c) => [c.index, c.form])));
    const after = notebookOf(out);
    expect(after.cells.map((c) => c.source)).toEqual(nb.cells.map((c, i) => (i === 3 ? source : c.source)));
    // Only the changed line differs: the file's layout (indentation, key order, final newline) is kept.
    const [a, b] = [text.split('\n'), out.split('\n')];
    expect(b.length).toBe(a.length);
    expect(b.filter((line, i) => line !== a[i])).toEqual([expect.stringContaining('.clamp(min=1e-6) ** gamma')]);
  });

  it('writes a list of lines in nbformat style when a fix adds lines, formatted like the file', () => {
    const text = fixture('wrong_focal.ipynb');
    const nb = notebookOf(text);
    const out = withCellSources(text, new Map([[2, 'GAMMA = 0.5\nALPHA = 0.25\n']]), new Map([[2, 'lines']]));
    expect(out).toContain('   "source": [\n    "GAMMA = 0.5\\n",\n    "ALPHA = 0.25\\n"\n   ]');
    expect(notebookOf(out).cells[2].source).toBe('GAMMA = 0.5\nALPHA = 0.25\n');
    expect(nb.cells.length).toBe(notebookOf(out).cells.length);
  });

  it('splits a source as nbformat does: a line break ends each item but the last', () => {
    expect(splitLinesKeepEnds('a\nb\r\nc')).toEqual(['a\n', 'b\r\n', 'c']);
    expect(splitLinesKeepEnds('a\n')).toEqual(['a\n']);
    expect(splitLinesKeepEnds('')).toEqual([]);
  });
});

describe('FileLocator', () => {
  it.each(['wrong_focal.ipynb', 'wrong_focal_strings.ipynb'])('finds a cell range in the JSON text of %s, through escapes', (name) => {
    const text = fixture(name);
    const locator = new FileLocator(text, notebookTree(text));
    const lines = text.split('\n');
    const at = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) =>
      lines[r.start.line].slice(r.start.character, r.end.character);
    // `(1 - pt)` on line 4 (0-based), columns 12-20, of cell 4, after a line holding escaped quotes.
    expect(at(locator.fileRange(3, { start: { line: 4, character: 12 }, end: { line: 4, character: 20 } }))).toBe('(1 - pt)');
    // `"none"` is written `\"none\"` in the file.
    const ce = locator.fileRange(3, { start: { line: 2, character: 52 }, end: { line: 2, character: 58 } });
    expect(at(ce)).toBe('\\"none\\"');
  });
});
