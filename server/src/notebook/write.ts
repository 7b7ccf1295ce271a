/**
 * Writes new cell sources into a notebook's text, changing nothing else: outputs, execution
 * counts, metadata, key order, indentation, line breaks and the final newline stay as they are,
 * byte for byte, outside the `source` values of the cells that changed.
 *
 * Each `source` value is replaced with jsonc-parser's `modify` (Microsoft's JSON editing library,
 * VS Code's own): a list of lines stays a list of lines (nbformat's form, a line break ending every
 * item but the last), a string stays a string. Where the list was laid out one item per line, the
 * new list is formatted with the file's own indentation unit and line break (read from the file);
 * otherwise it is written compactly. The result is checked before it is returned: it must parse,
 * every changed cell must read back as its new source and every byte outside the replaced values
 * must be unchanged; if not, this throws and the caller writes nothing.
 */
import { applyEdits, type FormattingOptions, modify, type Node } from 'jsonc-parser';
import { notebookTree, readNotebook, sourceNode } from './nbformat';

/** The notebook's text with the sources of some cells (by index among all cells) replaced. */
export function withCellSources(text: string, sources: ReadonlyMap<number, string>, forms: ReadonlyMap<number, 'string' | 'lines'>): string {
  let out = text;
  // From the last cell back, so that an earlier cell's offsets are still those of `text`.
  for (const index of [...sources.keys()].sort((a, b) => b - a)) {
    const source = sources.get(index)!;
    const node = sourceNode(notebookTree(out), index);
    const value = forms.get(index) === 'string' ? source : splitLinesKeepEnds(source);
    out = replaceValue(out, node, ['cells', index, 'source'], value);
  }
  verify(text, out, sources);
  return out;
}

/** nbformat's list form of a source: each line with its line break, the last one without if it has none. */
export function splitLinesKeepEnds(source: string): string[] {
  return source.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

function replaceValue(text: string, node: Node, path: (string | number)[], value: string | string[]): string {
  const before = text.slice(0, node.offset);
  const after = text.slice(node.offset + node.length);
  const formattingOptions = layoutOf(text, node);
  if (formattingOptions) {
    const formatted = applyEdits(text, modify(text, path, value, { formattingOptions }));
    // The formatter may touch the whole line the value starts on; keep its result only when it did not.
    if (formatted.startsWith(before) && formatted.endsWith(after)) return formatted;
  }
  return applyEdits(text, modify(text, path, value, {}));
}

/**
 * The formatting of a `source` list laid out one item per line: the indentation unit is the
 * difference between an item's indentation and the indentation of the line the list opens on.
 * Undefined for a string or a list on one line (written compactly).
 */
function layoutOf(text: string, node: Node): FormattingOptions | undefined {
  const first = node.type === 'array' ? node.children?.[0] : undefined;
  if (!first) return undefined;
  const between = text.slice(node.offset + 1, first.offset);
  if (!/[\r\n]/.test(between)) return undefined;
  const itemIndent = /[ \t]*$/.exec(between)![0];
  const openLineStart = Math.max(text.lastIndexOf('\n', node.offset), text.lastIndexOf('\r', node.offset)) + 1;
  const openIndent = /^[ \t]*/.exec(text.slice(openLineStart, node.offset))![0];
  const insertSpaces = !itemIndent.includes('\t');
  const unit = insertSpaces ? itemIndent.length - openIndent.length : itemIndent.split('\t').length - 1 - (openIndent.split('\t').length - 1);
  if (unit < 1) return undefined;
  const eol = /\r\n/.test(between) ? '\r\n' : /\r/.test(between) ? '\r' : '\n';
  return { insertSpaces, tabSize: unit, eol, keepLines: false };
}

/** Throws unless `out` is the notebook `text` with exactly these sources changed. */
function verify(text: string, out: string, sources: ReadonlyMap<number, string>): void {
  const before = readNotebook(text);
  const after = readNotebook(out);
  if (!before.ok || !after.ok) throw new Error(`the rewritten notebook does not read back${after.ok ? '' : `: ${after.reason}`}`);
  if (after.notebook.cells.length !== before.notebook.cells.length) throw new Error('the rewritten notebook has another number of cells');
  for (const cell of after.notebook.cells) {
    const expected = sources.get(cell.index) ?? before.notebook.cells[cell.index].source;
    if (cell.source !== expected) throw new Error(`cell ${cell.index + 1} does not read back as written`);
  }
  // Every byte outside the replaced values: the text before the first changed value and after the last one.
  const tree = notebookTree(text);
  const nodes = [...sources.keys()].map((i) => sourceNode(tree, i));
  const first = Math.min(...nodes.map((n) => n.offset));
  const last = Math.max(...nodes.map((n) => n.offset + n.length));
  if (!out.startsWith(text.slice(0, first)) || !out.endsWith(text.slice(last))) throw new Error('the rewrite changed text outside the cells');
}
