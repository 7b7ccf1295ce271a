/**
 * Notebooks over LSP 3.17 notebook sync (server/src/lsp/notebooks.ts), against the built server:
 * the Python cells of one notebook are one module (imports in cell 1, the loss in cell 2), each
 * cell gets its findings in its own positions, the same as `losslint check` prints for the same
 * cells in a .ipynb file; edits, cell removal and closing update or clear them; hover and code
 * actions asked on a cell answer in that cell. A client without notebook sync keeps the per-cell
 * text documents it had.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyEdits, LspTestClient } from './lspClient';

const TIMEOUT = 30_000;
const CLI = path.resolve(__dirname, '../../dist/cli.js');

// `nnf` is no conventional name: without its import it means nothing.
const IMPORTS = 'import torch\nimport torch.nn.functional as nnf\n';
const CONSTANT = 'GAMMA = 0.5';
const LOSS = [
  'def focal_loss(logits, targets, gamma=GAMMA):',
  '    ce = nnf.cross_entropy(logits, targets, reduction="none")',
  '    pt = torch.exp(-ce)',
  '    return ((1 - pt) ** gamma * ce).mean()',
].join('\n');
const MARKDOWN = '# The loss\n(1 - pt) ** 0.5 in prose is not code';

let client: LspTestClient;
let dir: string;

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-nb-')));
  client = new LspTestClient();
});

afterEach(() => {
  client.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Cell {
  kind: 1 | 2; // markup | code
  language: string;
  text: string;
}

const code = (text: string): Cell => ({ kind: 2, language: 'python', text });

function cellUri(notebook: string, i: number): string {
  return `vscode-notebook-cell:${notebook.slice('file://'.length)}#W${i}sZmlsZQ==`;
}

async function openNotebook(uri: string, cells: Cell[]): Promise<void> {
  await client.notify('notebookDocument/didOpen', {
    notebookDocument: { uri, notebookType: 'jupyter-notebook', version: 1, cells: cells.map((c, i) => ({ kind: c.kind, document: cellUri(uri, i) })) },
    cellTextDocuments: cells.map((c, i) => ({ uri: cellUri(uri, i), languageId: c.language, version: 1, text: c.text })),
  });
}

/** The same cells as a .ipynb file, checked by the built CLI: its JSON findings. */
async function cliFindings(cells: Cell[]): Promise<{ code: string; cell: number; line: number; column: number; endLine: number; endColumn: number }[]> {
  const file = path.join(dir, 'same.ipynb');
  const notebook = {
    cells: cells.map((c) => (c.kind === 2 ? { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: c.text } : { cell_type: 'markdown', metadata: {}, source: c.text })),
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(notebook, null, 1));
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'check', '--format', 'json', '--exit-zero', file], { cwd: dir });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
  return JSON.parse(stdout);
}

function nonEmpty(p: { diagnostics: any[] }): boolean {
  return p.diagnostics.length > 0;
}

describe('notebook document sync', () => {
  it(
    'analyses the cells as one module and publishes per cell what the CLI reports for the same cells',
    async () => {
      const init = await client.initialize({ workspace: { configuration: true }, notebookDocument: { synchronization: {} } });
      expect(init.capabilities.notebookDocumentSync).toEqual({ notebookSelector: [{ notebook: '*', cells: [{ language: 'python' }] }], save: false });
      const nb = pathToFileURL(path.join(dir, 'experiment.ipynb')).href;
      const cells = [{ kind: 1 as const, language: 'markdown', text: MARKDOWN }, code(`%matplotlib inline\n${IMPORTS}`), code(CONSTANT), code(LOSS)];
      await openNotebook(nb, cells);
      const published = await client.diagnostics(cellUri(nb, 3), nonEmpty, 0, TIMEOUT);
      expect(published.diagnostics.map((d) => [d.code, d.range])).toEqual([
        ['LL103', { start: { line: 3, character: 12 }, end: { line: 3, character: 20 } }],
      ]);
      expect(published.diagnostics[0].message).toMatch(/gamma=0\.5/);
      // The import and constant cells are published too, empty; the markdown cell is not code.
      await client.diagnostics(cellUri(nb, 1), (p) => p.diagnostics.length === 0, 0, TIMEOUT);
      await client.diagnostics(cellUri(nb, 2), (p) => p.diagnostics.length === 0, 0, TIMEOUT);

      // The CLI, on the same cells in a file: the same finding (its cell counts the markdown cell, 1-based).
      const cli = await cliFindings(cells);
      expect(cli.map((f) => [f.code, f.cell, f.line - 1, f.column - 1, f.endLine - 1, f.endColumn - 1])).toEqual(
        published.diagnostics.map((d) => [d.code, 4, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character]),
      );
    },
    TIMEOUT,
  );

  it(
    'follows edits and structure: a fix typed in the cell clears it, removing the import cell silences the loss, closing clears every cell',
    async () => {
      await client.initialize({ workspace: { configuration: true }, notebookDocument: { synchronization: {} } });
      const nb = pathToFileURL(path.join(dir, 'edits.ipynb')).href;
      await openNotebook(nb, [code(IMPORTS), code(LOSS.replace('gamma=GAMMA', 'gamma=0.5'))]);
      const first = await client.diagnostics(cellUri(nb, 1), nonEmpty, 0, TIMEOUT);

      // The quick fix offered on the cell edits the cell, in the cell's positions.
      const diagnostic = first.diagnostics[0];
      const actions = await client.call<any[]>('textDocument/codeAction', {
        textDocument: { uri: cellUri(nb, 1) },
        range: diagnostic.range,
        context: { diagnostics: [diagnostic], only: ['quickfix'] },
      });
      const fix = actions.find((a) => a.isPreferred);
      expect(Object.keys(fix.edit.changes)).toEqual([cellUri(nb, 1)]);
      const fixedText = applyEdits(LOSS.replace('gamma=GAMMA', 'gamma=0.5'), fix.edit.changes[cellUri(nb, 1)]);
      expect(fixedText).toContain('((1 - pt).clamp(min=1e-6) ** gamma');
      expect(fix.diagnostics).toEqual([diagnostic]);

      // Hover on the finding, asked on the cell.
      const hover = await client.call<any>('textDocument/hover', { textDocument: { uri: cellUri(nb, 1) }, position: diagnostic.range.start });
      expect(hover.contents.value).toMatch(/LL103/);
      expect(hover.range).toEqual(diagnostic.range);

      // Typing the fix into the cell clears its diagnostic.
      let from = client.received.length;
      await client.notify('notebookDocument/didChange', {
        notebookDocument: { uri: nb, version: 2 },
        change: { cells: { textContent: [{ document: { uri: cellUri(nb, 1), version: 2 }, changes: [{ text: fixedText }] }] } },
      });
      await client.diagnostics(cellUri(nb, 1), (p) => p.diagnostics.length === 0, from, TIMEOUT);

      // Back to the wrong loss, then the import cell removed: nothing is known about F any more.
      from = client.received.length;
      await client.notify('notebookDocument/didChange', {
        notebookDocument: { uri: nb, version: 3 },
        change: { cells: { textContent: [{ document: { uri: cellUri(nb, 1), version: 3 }, changes: [{ text: LOSS.replace('gamma=GAMMA', 'gamma=0.5') }] }] } },
      });
      await client.diagnostics(cellUri(nb, 1), nonEmpty, from, TIMEOUT);
      from = client.received.length;
      await client.notify('notebookDocument/didChange', {
        notebookDocument: { uri: nb, version: 4 },
        change: { cells: { structure: { array: { start: 0, deleteCount: 1 }, didClose: [{ uri: cellUri(nb, 0) }] } } },
      });
      await client.diagnostics(cellUri(nb, 0), (p) => p.diagnostics.length === 0, from, TIMEOUT);
      await client.diagnostics(cellUri(nb, 1), (p) => p.diagnostics.length === 0, from, TIMEOUT);

      // Closing the notebook clears its cells.
      await client.notify('notebookDocument/didChange', {
        notebookDocument: { uri: nb, version: 5 },
        change: {
          cells: {
            structure: { array: { start: 0, deleteCount: 0, cells: [{ kind: 2, document: cellUri(nb, 9) }] }, didOpen: [{ uri: cellUri(nb, 9), languageId: 'python', version: 1, text: IMPORTS }] },
          },
        },
      });
      await client.diagnostics(cellUri(nb, 1), nonEmpty, from, TIMEOUT);
      from = client.received.length;
      await client.notify('notebookDocument/didClose', { notebookDocument: { uri: nb }, cellTextDocuments: [{ uri: cellUri(nb, 9) }, { uri: cellUri(nb, 1) }] });
      await client.diagnostics(cellUri(nb, 1), (p) => p.diagnostics.length === 0, from, TIMEOUT);
      await client.diagnostics(cellUri(nb, 9), (p) => p.diagnostics.length === 0, from, TIMEOUT);
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT * 2,
  );

  it(
    'survives notebook messages that make no sense, and keeps serving the notebook',
    async () => {
      await client.initialize({ workspace: { configuration: true }, notebookDocument: { synchronization: {} } });
      const nb = pathToFileURL(path.join(dir, 'odd.ipynb')).href;
      // Changes to a notebook never opened, to a cell it does not have, a close of an unknown notebook, no cells at all.
      await client.notify('notebookDocument/didChange', { notebookDocument: { uri: `${nb}-unknown`, version: 2 }, change: { cells: { data: [] } } });
      await openNotebook(nb, [code(IMPORTS), code(LOSS.replace('gamma=GAMMA', 'gamma=0.5'))]);
      await client.diagnostics(cellUri(nb, 1), nonEmpty, 0, TIMEOUT);
      await client.notify('notebookDocument/didChange', {
        notebookDocument: { uri: nb, version: 2 },
        change: { cells: { data: [{ kind: 2, document: cellUri(nb, 7) }] } },
      });
      await client.notify('notebookDocument/didClose', { notebookDocument: { uri: `${nb}-unknown` }, cellTextDocuments: [] });
      const empty = pathToFileURL(path.join(dir, 'empty.ipynb')).href;
      await client.notify('notebookDocument/didOpen', { notebookDocument: { uri: empty, notebookType: 'jupyter-notebook', version: 1, cells: [] }, cellTextDocuments: [] });
      // Still serving the notebook that makes sense.
      const hover = await client.call<any>('textDocument/hover', { textDocument: { uri: cellUri(nb, 1) }, position: { line: 3, character: 13 } });
      expect(hover.contents.value).toMatch(/LL103/);
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'keeps one document per cell for a client without notebook sync',
    async () => {
      const init = await client.initialize({ workspace: { configuration: true } });
      expect(init.capabilities.notebookDocumentSync).toBeUndefined();
      const nb = pathToFileURL(path.join(dir, 'plain.ipynb')).href;
      const uri = cellUri(nb, 0);
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: `${IMPORTS}${CONSTANT}\n${LOSS}` } });
      const published = await client.diagnostics(uri, nonEmpty, 0, TIMEOUT);
      expect(published.diagnostics.map((d) => d.code)).toEqual(['LL103']);
    },
    TIMEOUT,
  );
});
