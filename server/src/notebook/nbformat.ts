/**
 * Reads a Jupyter notebook (nbformat 4, the JSON format every Jupyter since 2015 writes) into its
 * cells, without executing or importing anything.
 *
 * `readNotebook` parses with `JSON.parse` (native, fast) and checks the shape the CLI relies on:
 * an object with `nbformat: 4` and a `cells` list whose cells have a `cell_type` and a `source`
 * (a string, or a list of strings that are joined). Any other input is refused with a one-line
 * reason: the caller reports it and leaves the file untouched. The syntax tree with offsets
 * (jsonc-parser's `parseTree`) is built only when needed, for writing fixes back (./write.ts) and
 * for locating a cell's text inside the file (./locate.ts).
 */
import { type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';

export interface NotebookCell {
  /** 0-based position among all the notebook's cells (markdown and raw ones included). */
  index: number;
  /** `code`, `markdown` or `raw` (nbformat 4); anything else is kept as written. */
  type: string;
  /** The cell's text: the string, or the list's strings joined. */
  source: string;
  /** How the file stores `source`: one string, or a list of strings (nbformat writes one per line). */
  form: 'string' | 'lines';
  /** The cell's language where an editor recorded one (`metadata.vscode.languageId`). */
  languageId: string | undefined;
}

export interface Notebook {
  /** The file's text, exactly as read. */
  text: string;
  cells: NotebookCell[];
  /** `metadata.language_info.name` or `metadata.kernelspec.language`, when the notebook says. */
  language: string | undefined;
}

export type NotebookRead = { ok: true; notebook: Notebook } | { ok: false; reason: string };

/** Reads a notebook's text; never throws. */
export function readNotebook(text: string): NotebookRead {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: `not a valid notebook: ${jsonProblem(text)}` };
  }
  if (!isObject(json)) return { ok: false, reason: 'not a valid notebook: the JSON is not an object' };
  if (json.nbformat !== 4) {
    const found = json.nbformat === undefined ? 'no "nbformat" field' : `nbformat ${JSON.stringify(json.nbformat)}`;
    return { ok: false, reason: `not an nbformat 4 notebook (${found})` };
  }
  if (!Array.isArray(json.cells)) return { ok: false, reason: 'not a valid notebook: "cells" is not a list' };
  const cells: NotebookCell[] = [];
  for (let index = 0; index < json.cells.length; index++) {
    const cell: unknown = json.cells[index];
    const where = `cell ${index + 1}`;
    if (!isObject(cell) || typeof cell.cell_type !== 'string') return { ok: false, reason: `not a valid notebook: ${where} has no "cell_type"` };
    const source = cell.source;
    let text: string;
    let form: NotebookCell['form'];
    if (typeof source === 'string') {
      text = source;
      form = 'string';
    } else if (Array.isArray(source) && source.every((s) => typeof s === 'string')) {
      text = source.join('');
      form = 'lines';
    } else {
      return { ok: false, reason: `not a valid notebook: the "source" of ${where} is neither a string nor a list of strings` };
    }
    const metadata = isObject(cell.metadata) ? cell.metadata : undefined;
    const vscode = metadata && isObject(metadata.vscode) ? metadata.vscode : undefined;
    const languageId = typeof vscode?.languageId === 'string' ? vscode.languageId : undefined;
    cells.push({ index, type: cell.cell_type, source: text, form, languageId });
  }
  return { ok: true, notebook: { text, cells, language: notebookLanguage(json.metadata) } };
}

function notebookLanguage(metadata: unknown): string | undefined {
  if (!isObject(metadata)) return undefined;
  const info = isObject(metadata.language_info) ? metadata.language_info : undefined;
  if (typeof info?.name === 'string') return info.name;
  const kernel = isObject(metadata.kernelspec) ? metadata.kernelspec : undefined;
  return typeof kernel?.language === 'string' ? kernel.language : undefined;
}

/** Whether a notebook's declared language is Python (or undeclared, which Jupyter reads as Python). */
export function isPythonNotebook(notebook: Notebook): boolean {
  return notebook.language === undefined || /^(i?python[\d.]*|py)$/i.test(notebook.language.trim());
}

/** The syntax tree of a notebook's text (jsonc-parser: nodes with offsets), strict JSON only. */
export function notebookTree(text: string): Node {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (!tree || errors.length > 0) throw new Error(`not a valid notebook: ${jsonProblem(text)}`);
  return tree;
}

/** The `source` value node of cell `index` (0-based among all cells). */
export function sourceNode(tree: Node, index: number): Node {
  const cells = propertyValue(tree, 'cells');
  const cell = cells?.type === 'array' ? cells.children?.[index] : undefined;
  const source = cell ? propertyValue(cell, 'source') : undefined;
  if (!source) throw new Error(`cell ${index + 1} has no "source"`);
  return source;
}

/** The string nodes that make up a cell's source, in order (one for a string, one per list item). */
export function sourceFragments(source: Node): Node[] {
  if (source.type === 'string') return [source];
  return (source.children ?? []).filter((n) => n.type === 'string');
}

function propertyValue(object: Node, key: string): Node | undefined {
  if (object.type !== 'object') return undefined;
  const property = object.children?.find((p) => p.type === 'property' && p.children?.[0]?.value === key);
  return property?.children?.[1];
}

/** "line 3, column 7: CommaExpected", from jsonc-parser's error list (JSON.parse's messages vary by Node version). */
function jsonProblem(text: string): string {
  if (text.trim() === '') return 'the file is empty';
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return 'invalid JSON';
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length;
  const column = first.offset - (before.lastIndexOf('\n') + 1) + 1;
  return `invalid JSON at line ${line}, column ${column} (${describeCode(printParseErrorCode(first.error))})`;
}

/** jsonc-parser's error codes in words ("CommaExpected" → "comma expected"). */
function describeCode(code: string): string {
  return code
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/^<unknown parse error code>$/, 'unknown error');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
