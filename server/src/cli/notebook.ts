/**
 * Jupyter notebooks (`.ipynb`) in `losslint check`: reading one into the Python module of its
 * code cells (server/src/notebook/), fixing it cell by cell and writing it back, and placing each
 * finding in its cell (and in the file, for SARIF).
 *
 * Everything after the read sees the module text like a Python file's (prefilter, worker pool,
 * numeric probes): only positions and `--fix` differ, and both go through here.
 */
import * as fs from 'node:fs';
import { TextDecoder } from 'node:util';
import { MAX_SOURCE_CHARS, ParsedDocument } from '../core/document';
import type { Finding, Range } from '../core/types';
import { FileLocator } from '../notebook/locate';
import { fromNotebook, type ModuleEdit, type NotebookModule } from '../notebook/module';
import { isPythonNotebook, type Notebook, notebookTree, readNotebook } from '../notebook/nbformat';
import { withCellSources } from '../notebook/write';
import type { FixRewriter } from './fix';
import { describeIoError, formatBytes, type Source } from './source';

/** The extension of the files read as notebooks. */
export const NOTEBOOK_EXTENSION = '.ipynb';

/**
 * Notebook files larger than this are skipped whatever `max-file-size` says: outputs (plots as
 * base64 images) make notebooks large, so `max-file-size` applies to their code, not to the file.
 */
export const MAX_NOTEBOOK_BYTES = 100_000_000;

export function isNotebookPath(file: string): boolean {
  return file.toLowerCase().endsWith(NOTEBOOK_EXTENSION);
}

/** A notebook being checked: the file and the module of its code cells. */
export interface NotebookSource {
  notebook: Notebook;
  module: NotebookModule;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a notebook: a text Source whose text is the module of its code cells, with the notebook
 * attached; an error for a file that is not UTF-8 JSON in nbformat 4, so that it is reported and
 * never written; skipped when no cell is Python or the code exceeds `maxCodeChars`.
 */
export function readNotebookSource(file: string, maxCodeChars: number): Source {
  let bytes: Buffer;
  try {
    const stats = fs.statSync(file);
    if (!stats.isFile()) return { kind: 'error', reason: 'not a regular file' };
    if (stats.size > MAX_NOTEBOOK_BYTES) {
      return { kind: 'skipped', reason: `notebook of ${formatBytes(stats.size)} exceeds the ${formatBytes(MAX_NOTEBOOK_BYTES)} limit` };
    }
    bytes = fs.readFileSync(file);
  } catch (error) {
    return { kind: 'error', reason: `cannot read: ${describeIoError(error)}` };
  }
  let text: string;
  try {
    text = utf8.decode(bytes); // Drops a byte order mark, which `bom` restores on write.
  } catch {
    return { kind: 'error', reason: 'not a valid notebook: not UTF-8 text' };
  }
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return notebookSource(text, bom, maxCodeChars);
}

/** `readNotebookSource` for a text already read. */
export function notebookSource(text: string, bom: boolean, maxCodeChars: number): Source {
  const read = readNotebook(text);
  if (!read.ok) return { kind: 'error', reason: read.reason };
  const { notebook } = read;
  if (!isPythonNotebook(notebook)) return { kind: 'skipped', reason: `not a Python notebook (language: ${notebook.language})` };
  const module = fromNotebook(notebook);
  if (module.text.length > maxCodeChars) {
    return { kind: 'skipped', reason: `its code cells hold ${formatBytes(module.text.length)}, over the ${formatBytes(maxCodeChars)} limit (max-file-size)` };
  }
  return { kind: 'text', text: module.text, bom, notebook: { notebook, module } };
}

/** The module of a notebook's code cells (`losslint probe nb.ipynb::NAME`); throws with the reason a notebook cannot be read. */
export function notebookModuleText(file: string): string {
  const source = readNotebookSource(file, MAX_SOURCE_CHARS);
  if (source.kind !== 'text') throw new Error(source.reason);
  return source.text;
}

/**
 * `--fix` on a notebook: fixes are applied to the cells they fall in (a fix that would cross a
 * cell boundary or overwrite IPython syntax is left out), and the module is rebuilt from the new
 * cell sources after each pass. `current` follows the sources as they change.
 */
export class NotebookFixer implements FixRewriter {
  /** Every cell changed so far: index among all cells → its new source. */
  readonly sources = new Map<number, string>();
  module: NotebookModule;

  constructor(private readonly source: NotebookSource) {
    this.module = source.module;
  }

  admits = (edit: ModuleEdit): boolean => this.module.cellOfEdit(edit) !== undefined;

  rewrite = (_doc: ParsedDocument, edits: readonly ModuleEdit[]): ParsedDocument => {
    for (const [index, text] of this.module.editedSources(edits)) this.sources.set(index, text);
    this.module = fromNotebook(this.source.notebook, this.sources);
    return ParsedDocument.parse(this.module.text);
  };

  /** The notebook file's new text, with the changed cells' sources (throws if it cannot be written faithfully). */
  fileText(): string {
    const forms = new Map(this.source.notebook.cells.map((c) => [c.index, c.form] as const));
    return withCellSources(this.source.notebook.text, this.sources, forms);
  }
}

/** Where a finding (or one of its fix's edits) is: its cell (1-based, counting every cell), its range there, and in the file. */
export interface CellLocation {
  /** 1-based, counting every cell of the notebook (markdown and raw ones too), as ruff and Jupyter's cell list. */
  cell: number;
  /** 0-based, in the cell's source. */
  range: Range;
  /** 0-based, in the .ipynb file's text; only when asked for (SARIF). */
  file?: Range;
}

export interface FindingCells {
  at: CellLocation;
  /** One per edit of the finding's fix, in order; absent without a fix. */
  edits?: CellLocation[];
}

/**
 * The cell locations of findings in module coordinates; `text` is the notebook file's text they
 * refer to. With `inFile`, also where each is in that text (SARIF), which parses the file's JSON
 * again with offsets.
 */
export function locateFindings(text: string, module: NotebookModule, findings: readonly Finding[], inFile: boolean): FindingCells[] {
  if (findings.length === 0) return [];
  const locator = inFile ? new FileLocator(text, notebookTree(text)) : undefined;
  const locate = (range: Range): CellLocation => {
    const placed = module.toCellRange(range);
    if (!placed) throw new Error('a finding outside every code cell');
    const at: CellLocation = { cell: placed.cell.index + 1, range: placed.range };
    if (locator) at.file = locator.fileRange(placed.cell.index, placed.range);
    return at;
  };
  return findings.map((f) => ({ at: locate(f.range), ...(f.fix ? { edits: f.fix.edits.map((e) => locate(e.range)) } : {}) }));
}
