/**
 * End-to-end tests of the language server over the real protocol: the built dist/server.js is
 * spawned with --stdio and driven with vscode-jsonrpc's stream reader and writer (lspClient.ts).
 * These are the "heavy" tests; they need `npm run build` first (npm test does it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyEdits, LspTestClient, positionAt, type ResponseLike } from './lspClient';
import { FOCAL } from './samples';


/** The range of the first `needle` in `text`, computed from the text rather than hard-coded. */
function rangeOf(text: string, needle: string) {
  const start = text.indexOf(needle);
  if (start < 0) throw new Error(`${needle} not in text`);
  return { start: positionAt(text, start), end: positionAt(text, start + needle.length) };
}

const TIMEOUT = 30_000;

let client: LspTestClient;
let dir: string;

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-lsp-')));
  client = new LspTestClient();
});

afterEach(() => {
  client.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('language server over stdio', () => {
  it(
    'publishes LL103, hovers it, fixes it with the returned edit, then clears the diagnostic and exits 0',
    async () => {
      const init = await client.initialize();
      expect(init.capabilities.textDocumentSync).toMatchObject({ openClose: true, change: 2 });
      expect(init.capabilities.hoverProvider).toBe(true);
      expect(init.capabilities.codeActionProvider.codeActionKinds).toEqual(['quickfix', 'source.fixAll.losslint']);
      expect(init.capabilities.executeCommandProvider.commands).toContain('losslint.checkWorkspace');

      const uri = pathToFileURL(path.join(dir, 'focal.py')).href;
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: FOCAL } });
      const published = await client.diagnostics(uri, (p) => p.version === 1);
      expect(published.diagnostics).toHaveLength(1);
      const diagnostic = published.diagnostics[0];
      const base = rangeOf(FOCAL, '(1 - pt)');
      // The brief's position: line 8, column 13 (1-based) is where `(1 - pt)` starts.
      expect([base.start.line + 1, base.start.character + 1]).toEqual([8, 13]);
      expect(diagnostic).toMatchObject({ code: 'LL103', source: 'losslint', range: base, severity: expect.any(Number) });
      expect(diagnostic.message).toContain('gamma');
      const href: string = diagnostic.codeDescription.href;
      expect(href.startsWith('file://')).toBe(true);
      expect(fileURLToPath(href)).toBe(path.resolve(__dirname, '../../docs/rules/LL103.md'));
      expect(diagnostic.data.fix.title).toMatch(/^Clamp/);
      expect(diagnostic.data.version).toBe(1);

      const hover = await client.call<any>('textDocument/hover', { textDocument: { uri }, position: { line: base.start.line, character: base.start.character + 2 } });
      expect(hover.contents.kind).toBe('markdown');
      expect(hover.contents.value).toContain('LL103');
      expect(hover.contents.value).toContain(diagnostic.data.explanation.trim().split('\n')[0]);
      expect(hover.range).toEqual(base);
      const nowhere = await client.call('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
      expect(nowhere).toBeNull();

      const actions = await client.call<any[]>('textDocument/codeAction', {
        textDocument: { uri },
        range: diagnostic.range,
        context: { diagnostics: [diagnostic] },
      });
      const quickFix = actions.find((a) => a.isPreferred);
      expect(quickFix).toMatchObject({ kind: 'quickfix', title: expect.stringMatching(/^Clamp/) });
      expect(actions.map((a) => a.title)).toContain('Disable LL103 for this line');
      const fixAll = actions.find((a) => a.kind === 'source.fixAll.losslint');
      expect(fixAll).toBeDefined();

      const edits = quickFix.edit.changes[uri];
      const fixed = applyEdits(FOCAL, edits);
      expect(fixed).not.toBe(FOCAL);
      expect(fixed).toContain('clamp');
      // The fix-all action makes the same (only, safe) fix.
      expect(applyEdits(FOCAL, fixAll.edit.changes[uri])).toBe(fixed);

      // Send the fix as incremental changes, in reverse document order so that each range is still valid.
      const changes = [...edits]
        .sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character)
        .map((e) => ({ range: e.range, text: e.newText }));
      await client.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: changes });
      const after = await client.diagnostics(uri, (p) => p.version === 2);
      expect(after.diagnostics).toEqual([]);

      // A quick fix computed for version 1 is no longer offered on version 2.
      const stale = await client.call<any[]>('textDocument/codeAction', {
        textDocument: { uri },
        range: diagnostic.range,
        context: { diagnostics: [diagnostic], only: ['quickfix'] },
      });
      expect(stale.filter((a) => a.isPreferred)).toEqual([]);

      const status = client.notifications('losslint/status');
      expect(status[0]?.params).toMatchObject({ state: 'ready' });
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'answers malformed input with errors and keeps running',
    async () => {
      const early = await client.request('textDocument/hover', { textDocument: { uri: 'file:///x.py' }, position: { line: 0, character: 0 } });
      expect(early.error?.code).toBe(-32002); // ServerNotInitialized

      const from = client.received.length;
      client.writeRawFrame('{"jsonrpc": "2.0", "id": 99, "method": ');
      const parseError = await client.waitFor<ResponseLike>((m) => (m as ResponseLike).id === null, 'a parse error', 10_000, from);
      expect(parseError.error?.code).toBe(-32700);

      await client.initialize();
      const unknown = await client.request('losslint/noSuchMethod', {});
      expect(unknown.error?.code).toBe(-32601); // MethodNotFound
      const badHover = await client.request('textDocument/hover', { position: { line: 0, character: 0 } });
      expect(badHover.error?.code).toBe(-32602); // InvalidParams
      const badAction = await client.request('textDocument/codeAction', {
        textDocument: { uri: 'file:///x.py' },
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        context: {},
      });
      expect(badAction.error?.code).toBe(-32602);
      const badCommand = await client.request('workspace/executeCommand', { command: 'losslint.noSuchCommand' });
      expect(badCommand.error?.code).toBe(-32602);
      // Without a document URI, the numeric commands say what they need instead of failing.
      expect(await client.call('workspace/executeCommand', { command: 'losslint.rerunNumeric', arguments: [] })).toMatchObject({ available: false });
      expect(await client.call('workspace/executeCommand', { command: 'losslint.reproduceInPyTorch' })).toMatchObject({ available: false });
      // A didChange for a document that is not open and a hover on one are harmless.
      await client.notify('textDocument/didChange', { textDocument: { uri: 'file:///nope.py', version: 3 }, contentChanges: [{ text: 'x' }] });
      expect(await client.call('textDocument/hover', { textDocument: { uri: 'file:///nope.py' }, position: { line: 0, character: 0 } })).toBeNull();

      // Still alive: a full round trip works after all of the above.
      const uri = pathToFileURL(path.join(dir, 'ok.py')).href;
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: 'x = (\n' } });
      expect((await client.diagnostics(uri, (p) => p.version === 1)).diagnostics).toEqual([]);

      // exit without shutdown ends the process with 1, as the specification says.
      await client.notify('exit');
      expect(await client.exited).toBe(1);
    },
    TIMEOUT,
  );

  it(
    'drops stale results: a burst of changes publishes diagnostics once, for the last version',
    async () => {
      await client.initialize();
      const uri = pathToFileURL(path.join(dir, 'burst.py')).href;
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: '' } });
      await client.diagnostics(uri, (p) => p.version === 1);
      const from = client.received.length;
      // Type the buggy file one line at a time, as fast as the pipe allows.
      const lines = FOCAL.split('\n');
      let text = '';
      for (let i = 0; i < lines.length; i++) {
        const line = (i > 0 ? '\n' : '') + lines[i];
        const end = positionAt(text, text.length);
        text += line;
        void client.notify('textDocument/didChange', { textDocument: { uri, version: i + 2 }, contentChanges: [{ range: { start: end, end }, text: line }] });
      }
      expect(text).toBe(FOCAL);
      const last = lines.length + 1;
      const final = await client.diagnostics(uri, (p) => p.version === last, from);
      expect(final.diagnostics.map((d: any) => d.code)).toEqual(['LL103']);
      expect(final.diagnostics[0].range).toEqual(rangeOf(FOCAL, '(1 - pt)'));
      const versions = client
        .notifications('textDocument/publishDiagnostics')
        .filter((n) => (n.params as any).uri === uri)
        .map((n) => (n.params as any).version);
      expect(versions).toEqual([1, last]);
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'reports a file over the size limit with one informational diagnostic and does not analyse it',
    async () => {
      await client.initialize();
      const uri = pathToFileURL(path.join(dir, 'huge.py')).href;
      const huge = FOCAL + '#'.repeat(2_000_001);
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: huge } });
      const published = await client.diagnostics(uri, (p) => p.version === 1);
      expect(published.diagnostics).toHaveLength(1);
      expect(published.diagnostics[0]).toMatchObject({ severity: 3, source: 'losslint' });
      expect(published.diagnostics[0].message).toContain('did not analyse');
      // Deleting the padding brings it under the limit: it is parsed and analysed again.
      const start = positionAt(huge, FOCAL.length);
      const end = positionAt(huge, huge.length);
      await client.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start, end }, text: '' }] });
      const after = await client.diagnostics(uri, (p) => p.version === 2);
      expect(after.diagnostics.map((d: any) => d.code)).toEqual(['LL103']);
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'applies max-file-size from [tool.losslint] to open documents',
    async () => {
      fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.losslint]\nmax-file-size = 100\n');
      client.configuration = (section) => (section === 'losslint' ? {} : null);
      await client.initialize({ workspace: { configuration: true } });
      const uri = pathToFileURL(path.join(dir, 'focal.py')).href;
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: FOCAL } });
      const published = await client.diagnostics(uri, (p) => p.version === 1);
      expect(published.diagnostics).toHaveLength(1);
      expect(published.diagnostics[0]).toMatchObject({ severity: 3, source: 'losslint' });
      expect(published.diagnostics[0].message).toContain('over the limit of 100');
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'layers [tool.losslint] below the editor settings',
    async () => {
      fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.losslint]\nignore = ["LL103"]\n');
      let editor: Record<string, unknown> = {};
      client.configuration = (section) => (section === 'losslint' ? editor : null);
      await client.initialize({ workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } } });
      const uri = pathToFileURL(path.join(dir, 'focal.py')).href;
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: FOCAL } });
      expect((await client.diagnostics(uri, (p) => p.version === 1)).diagnostics).toEqual([]);

      // The editor's select redefines the selection, as the CLI's --select does.
      editor = { select: ['LL103'], severity: { LL103: 'error' } };
      let from = client.received.length;
      await client.notify('workspace/didChangeConfiguration', { settings: null });
      const selected = await client.diagnostics(uri, () => true, from);
      expect(selected.diagnostics.map((d: any) => [d.code, d.severity])).toEqual([['LL103', 1]]);

      editor = { enable: false };
      from = client.received.length;
      await client.notify('workspace/didChangeConfiguration', { settings: null });
      expect((await client.diagnostics(uri, () => true, from)).diagnostics).toEqual([]);
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'checks the workspace, honouring .gitignore and [tool.losslint] exclude',
    async () => {
      const write = (name: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
      };
      write('pyproject.toml', '[tool.losslint]\nexclude = ["generated/"]\n');
      write('.gitignore', 'build/\n*_tmp.py\n');
      write('pkg/loss.py', FOCAL);
      write('pkg/clean.py', 'import torch\n');
      write('pkg/scratch_tmp.py', FOCAL);
      write('build/loss.py', FOCAL);
      write('generated/loss.py', FOCAL);
      write('.hidden/loss.py', FOCAL);
      write('venv/pyvenv.cfg', '');
      write('venv/lib/loss.py', FOCAL);

      await client.initialize({ workspace: { configuration: true }, window: { workDoneProgress: true } }, {
        workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'w' }],
      });
      const result = await client.call<any>('workspace/executeCommand', { command: 'losslint.checkWorkspace', arguments: [] });
      expect(result).toEqual({ files: 2, findings: 1, skipped: 0, cancelled: false });
      const published = client
        .notifications('textDocument/publishDiagnostics')
        .map((n) => n.params as any)
        .filter((p) => p.diagnostics.length > 0);
      expect(published.map((p) => fileURLToPath(p.uri))).toEqual([path.join(dir, 'pkg/loss.py')]);
      expect(published[0].diagnostics[0].code).toBe('LL103');
      // Progress was reported through a server-created token, and ended.
      const progress = client.notifications('$/progress').map((n) => (n.params as any).value.kind);
      expect(progress[0]).toBe('begin');
      expect(progress.at(-1)).toBe('end');

      // After the finding is fixed on disk, a second check clears the file's diagnostics.
      write('pkg/loss.py', 'import torch\n');
      const from = client.received.length;
      const again = await client.call<any>('workspace/executeCommand', { command: 'losslint.checkWorkspace' });
      expect(again.findings).toBe(0);
      const cleared = await client.diagnostics(pathToFileURL(path.join(dir, 'pkg/loss.py')).href, () => true, from);
      expect(cleared.diagnostics).toEqual([]);
      expect(await client.stop()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'warms up in idle time without publishing anything, and stops at the first edit',
    async () => {
      const logs = () => client.notifications('window/logMessage').map((n) => n.params as { type: number; message: string });
      await client.initialize();
      const done = await client.waitFor((m) => m.method === 'window/logMessage' && /warm-up/.test((m.params as any).message), 'the warm-up log', 20_000);
      expect((done.params as any).message).toMatch(/^LossLint: warm-up done after 400 keystrokes \(\d+ ms\)\.$/);
      expect(client.notifications('textDocument/publishDiagnostics')).toEqual([]);
      expect(logs().filter((l) => l.type === 1)).toEqual([]);
      expect(await client.stop()).toBe(0);

      // A second server, edited at once: the warm-up ends there and the edit is analysed as usual.
      const second = new LspTestClient();
      try {
        await second.initialize();
        const uri = pathToFileURL(path.join(dir, 'focal.py')).href;
        await second.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: FOCAL } });
        await second.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: `${FOCAL}\n` }] });
        const published = await second.diagnostics(uri, (p) => p.version === 2);
        expect(published.diagnostics.map((d: any) => d.code)).toEqual(['LL103']);
        const stopped = await second.waitFor((m) => m.method === 'window/logMessage' && /warm-up/.test((m.params as any).message), 'the warm-up log', 10_000);
        const n = Number(/stopped by an edit after (\d+) keystrokes/.exec((stopped.params as any).message)?.[1]);
        expect(n).toBeGreaterThanOrEqual(0);
        expect(n).toBeLessThan(400);
        expect(await second.stop()).toBe(0);
      } finally {
        second.kill();
      }
    },
    TIMEOUT,
  );
});
