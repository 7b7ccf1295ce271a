/**
 * Notebooks in the language server (LSP 3.17 notebook document sync, `notebookDocument/*`): the
 * Python code cells of one notebook are analysed as one module in cell order, as the CLI analyses
 * a .ipynb file (server/src/notebook/module.ts builds the same text from the same cells, so both
 * give the same findings), and each cell gets its own findings, in its own positions.
 *
 * vscode-languageserver's `NotebookDocuments` follows the notebook and its cells' texts. On every
 * change the module text is rebuilt from the cells and handed to the DocumentStore under the
 * notebook's URI as one edit (the span between the unchanged head and tail), so the module keeps
 * the editor's incremental parse and analysis. Everything downstream (lint, numeric checks,
 * settings from the notebook file's pyproject.toml) sees a document with the notebook's URI;
 * this file routes its diagnostics to the cells (`route`) and maps requests made on a cell (hover,
 * code actions, CodeLens) to the module and their answers back (`toModule`, `toCell`).
 *
 * A client that does not announce notebook sync gets no `notebookDocumentSync` capability and
 * keeps sending each cell as a text document of its own, linted alone (the behaviour before).
 */
import {
  NotebookCellKind,
  NotebookDocuments,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type Diagnostic,
  type NotebookDocument,
  type TextEdit,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { ContentChange } from '../core/document';
import type { Finding, Fix, Position, Range } from '../core/types';
import { type ModuleCell, NotebookModule } from '../notebook/module';
import type { DocumentStore } from './documents';

/** The notebookDocumentSync capability: every notebook type, its Python cells. */
export const NOTEBOOK_SYNC = { notebookSelector: [{ notebook: '*', cells: [{ language: 'python' }] }], save: false };

interface OpenNotebook {
  uri: string;
  /** The module's version in the DocumentStore, bumped on every change. */
  version: number;
  /** Every cell document of the notebook, in order (the module's `index` is the position here). */
  cells: string[];
  module: NotebookModule;
  /** The module text, for positions and offsets. */
  text: TextDocument;
}

/** Findings routed to one cell document. */
export interface CellFindings {
  uri: string;
  findings: Finding[];
}

export class NotebookSync {
  private readonly notebooks = new NotebookDocuments(TextDocument);
  private readonly open = new Map<string, OpenNotebook>();
  /** Cell document URI → notebook URI. */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly documents: DocumentStore,
    /** Told after a notebook's module changed (schedule its validation) or closed (`closedCells`: clear their diagnostics). */
    private readonly events: {
      changed(uri: string, opened: boolean): void;
      closed(uri: string, closedCells: string[]): void;
    },
  ) {
    this.notebooks.onDidOpen((notebook) => this.update(notebook));
    this.notebooks.onDidChange((event) => this.update(event.notebookDocument));
    this.notebooks.onDidClose((notebook) => this.close(notebook.uri));
  }

  /** Registers the `notebookDocument/*` handlers. */
  listen(connection: Connection): void {
    this.notebooks.listen(connection);
  }

  /** Whether `uri` is a synchronised notebook (its module lives in the DocumentStore under it). */
  isNotebook(uri: string): boolean {
    return this.open.has(uri);
  }

  /** The notebook a synchronised cell belongs to. */
  notebookOf(cellUri: string): string | undefined {
    return this.owners.get(cellUri);
  }

  /** A position in a synchronised cell as a position in its notebook's module. */
  toModule(cellUri: string, position: Position): { uri: string; position: Position } | undefined {
    const found = this.cellOf(cellUri);
    if (!found) return undefined;
    return { uri: found.notebook.uri, position: found.notebook.module.fromCell(found.cell, position) };
  }

  /** A range in a synchronised cell as a range of its notebook's module. */
  rangeToModule(cellUri: string, range: Range): Range | undefined {
    const start = this.toModule(cellUri, range.start);
    const end = this.toModule(cellUri, range.end);
    return start && end ? { start: start.position, end: end.position } : undefined;
  }

  /** A module range as a cell and a range in it; undefined outside every Python cell. */
  toCell(uri: string, range: Range): { uri: string; range: Range } | undefined {
    const notebook = this.open.get(uri);
    const placed = notebook?.module.toCellRange(range);
    return notebook && placed ? { uri: notebook.cells[placed.cell.index], range: placed.range } : undefined;
  }

  /**
   * A notebook's findings, each given to its cell in the cell's positions, and every Python cell
   * listed (an empty list clears what a cell showed before). A fix is kept only when all its
   * edits lie in the finding's cell, clear of masked IPython syntax. Undefined for another URI.
   */
  route(uri: string, findings: readonly Finding[]): CellFindings[] | undefined {
    const notebook = this.open.get(uri);
    if (!notebook) return undefined;
    const byCell = new Map<ModuleCell, Finding[]>(notebook.module.cells.map((c) => [c, []]));
    for (const finding of findings) {
      const placed = notebook.module.toCellRange(finding.range);
      if (!placed) continue;
      const fix = finding.fix && this.cellFix(notebook, placed.cell, finding.fix);
      const routed: Finding = { ...finding, range: placed.range, fix };
      if (!fix) delete routed.fix;
      byCell.get(placed.cell)!.push(routed);
    }
    return [...byCell].map(([cell, list]) => ({ uri: notebook.cells[cell.index], findings: list }));
  }

  /**
   * codeAction on a cell, as a request on the module: its range, and the diagnostics the client sent
   * back (ranges and fix edits in the cell's positions) moved to the module. Undefined for another URI.
   */
  codeActionParams(params: CodeActionParams): { params: CodeActionParams; originals: Map<Diagnostic, Diagnostic> } | undefined {
    const uri = params.textDocument.uri;
    const found = this.cellOf(uri);
    if (!found) return undefined;
    const range = (r: Range) => this.rangeToModule(uri, r)!;
    const originals = new Map<Diagnostic, Diagnostic>();
    const diagnostics = params.context.diagnostics.map((d) => {
      const data = d.data as { fix?: Fix } | undefined;
      const fix = data?.fix && Array.isArray(data.fix.edits) ? { ...data.fix, edits: data.fix.edits.map((e) => ({ ...e, range: range(e.range) })) } : undefined;
      const moved: Diagnostic = { ...d, range: range(d.range), ...(fix ? { data: { ...data, fix } } : {}) };
      originals.set(moved, d);
      return moved;
    });
    return {
      params: { ...params, textDocument: { uri: found.notebook.uri }, range: range(params.range), context: { ...params.context, diagnostics } },
      originals,
    };
  }

  /** Code actions computed on the module, back on the cell `cellUri`: only their edits inside that cell, in its positions. */
  codeActionsToCell(cellUri: string, actions: readonly CodeAction[], originals: Map<Diagnostic, Diagnostic>): CodeAction[] {
    const found = this.cellOf(cellUri);
    if (!found) return [];
    const out: CodeAction[] = [];
    for (const action of actions) {
      const edits = this.editsToCell(found.notebook, found.cell, action.edit?.changes?.[found.notebook.uri] ?? []);
      if (edits.length === 0) continue;
      out.push({
        ...action,
        ...(action.diagnostics ? { diagnostics: action.diagnostics.map((d) => originals.get(d) ?? d) } : {}),
        edit: { changes: { [cellUri]: edits } },
      });
    }
    return out;
  }

  /** Module edits that fall inside `cell` (clear of masked syntax), in the cell's positions. */
  private editsToCell(notebook: OpenNotebook, cell: ModuleCell, edits: readonly TextEdit[]): TextEdit[] {
    return edits.flatMap((edit) => {
      const span = { start: notebook.text.offsetAt(edit.range.start), end: notebook.text.offsetAt(edit.range.end) };
      const placed = notebook.module.cellOfEdit(span) === cell ? notebook.module.toCellRange(edit.range) : undefined;
      return placed ? [{ range: placed.range, newText: edit.newText }] : [];
    });
  }

  /** A fix's edits in one cell's positions, or undefined when one of them falls elsewhere. */
  private cellFix(notebook: OpenNotebook, cell: ModuleCell, fix: Fix): Fix | undefined {
    const edits = this.editsToCell(notebook, cell, fix.edits);
    return edits.length === fix.edits.length ? { ...fix, edits } : undefined;
  }

  private cellOf(cellUri: string): { notebook: OpenNotebook; cell: ModuleCell } | undefined {
    const notebook = this.open.get(this.owners.get(cellUri) ?? '');
    if (!notebook) return undefined;
    const index = notebook.cells.indexOf(cellUri);
    const cell = notebook.module.cells.find((c) => c.index === index);
    return cell ? { notebook, cell } : undefined;
  }

  private update(document: NotebookDocument): void {
    const previous = this.open.get(document.uri);
    const cells = document.cells.map((c) => c.document);
    const module = NotebookModule.build(
      document.cells.map((cell, index) => {
        const text = this.notebooks.getCellTextDocument(cell);
        const notPython = cell.kind !== NotebookCellKind.Code ? 'a markdown cell' : text && text.languageId !== 'python' ? `a ${text.languageId} cell` : undefined;
        return { index, source: text?.getText() ?? '', notPython: text ? notPython : 'a cell without text' };
      }),
    );
    const version = (previous?.version ?? 0) + 1;
    const notebook: OpenNotebook = { uri: document.uri, version, cells, module, text: TextDocument.create(document.uri, 'python', version, module.text) };
    this.open.set(document.uri, notebook);
    for (const cell of previous?.cells ?? []) if (!cells.includes(cell)) this.owners.delete(cell);
    for (const cell of cells) this.owners.set(cell, document.uri);

    const open = this.documents.get(document.uri);
    if (!previous || !open) this.documents.open(document.uri, version, module.text);
    else if (!this.documents.change(document.uri, version, [spanChange(previous.text, module.text)])) this.documents.open(document.uri, version, module.text);
    const removed = (previous?.cells ?? []).filter((c) => !cells.includes(c));
    if (removed.length > 0) this.events.closed(document.uri, removed);
    this.events.changed(document.uri, !previous);
  }

  private close(uri: string): void {
    const notebook = this.open.get(uri);
    if (!notebook) return;
    this.open.delete(uri);
    for (const cell of notebook.cells) this.owners.delete(cell);
    this.documents.close(uri);
    this.events.closed(uri, notebook.cells);
  }
}

/** One change that turns `before` into `after`: the span between their common head and tail. */
function spanChange(before: TextDocument, after: string): ContentChange {
  const old = before.getText();
  let head = 0;
  const max = Math.min(old.length, after.length);
  while (head < max && old.charCodeAt(head) === after.charCodeAt(head)) head++;
  let tail = 0;
  while (tail < max - head && old.charCodeAt(old.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail++;
  return {
    range: { start: before.positionAt(head), end: before.positionAt(old.length - tail) },
    text: after.slice(head, after.length - tail),
  };
}
