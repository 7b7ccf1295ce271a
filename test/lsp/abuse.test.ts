/**
 * Abuse of the language server over its real protocol (issue 7): the built dist/server.js --stdio
 * gets malformed JSON-RPC frames, unknown methods, requests before initialize and after shutdown,
 * didChange notifications with out-of-range, reversed and overlapping ranges, versions out of
 * order, malformed content changes, a storm of 5,000 edits in about a second, and 10,000 edit
 * cycles while its resident memory is sampled from /proc/<pid>/status.
 *
 * Each test asserts that the server answers errors where LSP says so, never exits, and that its
 * last diagnostics equal those of a fresh in-process analysis of the text the client holds
 * (computed with the same LSP rules for positions as the server must follow).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyze } from '../../server/src/analysis/analyze';
import { ParsedDocument } from '../../server/src/core/document';
import { DEFAULT_SETTINGS } from '../../server/src/core/types';
import { LspTestClient, type ResponseLike } from './lspClient';
import { FOCAL } from './samples';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/robust');
/** Edit cycles of the memory test; LOSSLINT_RSS_CYCLES=30000 shows where the curve levels off. */
const CYCLES = Math.max(2_000, Number(process.env.LOSSLINT_RSS_CYCLES ?? 10_000));

interface Pos {
  line: number;
  character: number;
}
interface Change {
  range?: { start: Pos; end: Pos };
  text: string;
}

/** LSP's reading of a position: clamped to the text, and to the end of its line (before the break). */
function offsetAt(text: string, p: Pos): number {
  const lines = text.split(/(?<=\r\n|\n|\r(?!\n))/);
  if (p.line < 0) return 0;
  if (p.line >= lines.length) return text.length;
  const start = lines.slice(0, p.line).join('').length;
  return start + Math.min(Math.max(0, p.character), lines[p.line].replace(/(\r\n|\n|\r)$/, '').length);
}

/** The text after `changes`, applied in order as LSP says (a reversed range read the right way round). */
function apply(text: string, changes: readonly Change[]): string {
  for (const c of changes) {
    if (!c.range) {
      text = c.text;
      continue;
    }
    const [a, b] = [offsetAt(text, c.range.start), offsetAt(text, c.range.end)].sort((x, y) => x - y);
    text = text.slice(0, a) + c.text + text.slice(b);
  }
  return text;
}

function positionAt(text: string, offset: number): Pos {
  const before = text.slice(0, offset);
  const lines = before.split(/\r\n|\n|\r/);
  return { line: lines.length - 1, character: lines[lines.length - 1].length };
}

/** What the server should publish for `text`: code, range and message of a fresh analysis. */
function expected(text: string) {
  return analyze(ParsedDocument.parse(text), DEFAULT_SETTINGS).map((f) => ({ code: f.code, range: f.range, message: f.message }));
}
const published = (diagnostics: any[]) => diagnostics.map((d) => ({ code: d.code, range: d.range, message: d.message }));

/** A seeded generator (mulberry32), so every run sends the same edits. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!m) throw new Error('no VmRSS in /proc/<pid>/status');
  return Number(m[1]);
}

let client: LspTestClient;
let dir: string;

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-abuse-')));
  client = new LspTestClient();
});

afterEach(() => {
  client.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The server is alive and answering: a request gets its response and the process has not exited. */
async function expectAlive(): Promise<void> {
  expect(client.process.exitCode).toBeNull();
  const r = await client.request('losslint/ping-that-does-not-exist', {});
  expect(r.error?.code).toBe(-32601);
}

describe('language server under abuse', () => {
  it('answers malformed frames and bad messages with errors and keeps running', async () => {
    const frames: [string, number | undefined][] = [
      ['{"jsonrpc": "2.0", "id": 99, "method": ', -32700], // not JSON
      ['not json at all \u0000\u00ff', -32700],
      ['', -32700], // empty body
      ['[]', undefined], // JSON, but not a message
      ['42', undefined],
      ['"hello"', undefined],
      ['null', undefined],
      ['{}', undefined],
      ['{"jsonrpc": "2.0"}', undefined],
      ['{"jsonrpc": "1.0", "id": 7, "method": "initialize"}', undefined],
      ['{"jsonrpc": "2.0", "id": 8, "method": 42}', undefined],
      ['{"jsonrpc": "2.0", "id": {"a": 1}, "method": "textDocument/hover"}', undefined],
      ['{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": "nonsense"}', undefined],
      [`{"jsonrpc": "2.0", "id": 9, "method": "x", "params": ${'['.repeat(5000)}${']'.repeat(5000)}}`, undefined],
    ];
    for (const [body, code] of frames) {
      const from = client.received.length;
      client.writeRawFrame(body);
      if (code !== undefined) {
        const answer = await client.waitFor<ResponseLike>((m) => (m as ResponseLike).id === null && 'error' in m, `an error for ${body}`, 10_000, from);
        expect(answer.error?.code).toBe(code);
      }
      await expectAlive();
    }
    // Headers: unknown ones are ignored; a body in another charset is refused; the stream recovers.
    client.process.stdin.write(`Content-Length: 2\r\nX-Whatever: 1\r\n\r\n{}`);
    await expectAlive();
    const from = client.received.length;
    client.process.stdin.write(`Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=latin1\r\n\r\n{}`);
    await client.waitFor((m) => (m as ResponseLike).id === null && 'error' in m, 'an error for an unsupported charset', 10_000, from).catch(() => undefined);
    await expectAlive();
    // Multi-byte UTF-8 in a body: Content-Length counts bytes.
    client.writeRawFrame('{"jsonrpc": "2.0", "method": "x/\u00e9\ud83d\ude00", "params": {}}');
    await expectAlive();
    expect(client.stderr).toContain('LossLint: unreadable message');
  }, 60_000);

  it('follows the lifecycle: errors before initialize, after shutdown, for unknown methods and a second initialize', async () => {
    const position = { line: 0, character: 0 };
    const uri = pathToFileURL(path.join(dir, 'early.py')).href;
    // Before initialize: requests get ServerNotInitialized, notifications are dropped.
    for (const [method, params] of [
      ['textDocument/hover', { textDocument: { uri }, position }],
      ['textDocument/codeAction', { textDocument: { uri }, range: { start: position, end: position }, context: { diagnostics: [] } }],
      ['workspace/executeCommand', { command: 'losslint.checkWorkspace', arguments: [] }],
      ['shutdown', undefined],
    ] as const) {
      expect((await client.request(method, params)).error?.code, method).toBe(-32002);
    }
    await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: FOCAL } });
    await client.initialize();
    // The didOpen before initialize was dropped: the document is not open.
    expect(await client.call('textDocument/hover', { textDocument: { uri }, position: { line: 7, character: 13 } })).toBeNull();
    expect((await client.request('initialize', { processId: null, rootUri: null, capabilities: {} })).error?.code).toBe(-32600);
    expect((await client.request('$/noSuchRequest', {})).error?.code).toBe(-32601);
    await client.notify('$/noSuchNotification', {});
    await client.notify('losslint/noSuchNotification', { x: 1 });
    await client.notify('$/cancelRequest', { id: 123456 });
    await client.notify('$/setTrace', { value: 'verbose' });
    await expectAlive();
    // Bad parameters on notifications are logged, never fatal.
    for (const [method, params] of [
      ['textDocument/didOpen', {}],
      ['textDocument/didOpen', { textDocument: { uri, version: 'x', text: 42 } }],
      ['textDocument/didChange', { textDocument: { uri } }],
      ['textDocument/didChange', null],
      ['textDocument/didClose', { textDocument: {} }],
      ['workspace/didChangeConfiguration', { settings: { losslint: { select: 42, severity: 'x', strict: 'yes' } } }],
      ['workspace/didChangeWatchedFiles', { changes: 'nope' }],
    ] as const) {
      await client.notify(method, params);
    }
    await expectAlive();
    // Still fully working after all that.
    await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: FOCAL } });
    expect(published((await client.diagnostics(uri, (p) => p.version === 1)).diagnostics)).toEqual(expected(FOCAL));
    // After shutdown: InvalidRequest for requests; exit then ends the process with 0.
    await client.call('shutdown');
    expect((await client.request('textDocument/hover', { textDocument: { uri }, position })).error?.code).toBe(-32600);
    await client.notify('exit');
    expect(await client.exited).toBe(0);
  }, 60_000);

  it('applies out-of-range, reversed and overlapping edits and versions out of order as LSP reads them', async () => {
    await client.initialize();
    const uri = pathToFileURL(path.join(dir, 'edits.py')).href;
    let text = FOCAL;
    await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 10, text } });
    await client.diagnostics(uri, (p) => p.version === 10);
    const r = (sl: number, sc: number, el: number, ec: number) => ({ start: { line: sl, character: sc }, end: { line: el, character: ec } });
    const batches: [number, Change[]][] = [
      [11, [{ range: r(0, 500, 0, 900), text: '  # past the end of line 0' }]],
      [12, [{ range: r(1000, 0, 2000, 5), text: '\n# past the end of the text\n' }]],
      [9, [{ range: r(-5, -5, -1, 0), text: '# before the start\n' }]], // version going backwards
      [9, [{ range: r(3, 4, 2, 0), text: '' }]], // same version again, reversed range
      [
        13,
        [
          // Overlapping changes, each applied to the result of the previous one.
          { range: r(4, 0, 6, 10), text: 'def focal_loss(logits, targets, gamma=0.5):\n    ce = F.cross_entropy(logits, targets, reduction="none")\n    pt' },
          { range: r(4, 4, 5, 2), text: 'focal_loss(logits, targets, gamma=0.5):\n ' },
          { range: r(6, 0, 6, 0), text: '' },
        ],
      ],
      [2, [{ range: r(0, 0, 0, 0), text: '\r\n' }, { range: r(1, 0, 1, 1), text: 'i' }]], // CRLF inserted, version far back
      [14, [{ range: r(7, 2, 7, 2), text: '\ud83d\ude00' }, { range: r(7, 3, 7, 3), text: 'x' }]], // splits a surrogate pair
      [15, [{ range: r(7, 0, 7, 5), text: '' }]],
      [16, [{ text: 'full = "replacement"\n' }, { range: r(0, 4, 0, 4), text: '_text' }, { text: FOCAL }, { range: r(99, 0, 99, 0), text: '\nx = 1\n' }]],
    ];
    for (const [version, changes] of batches) {
      text = apply(text, changes);
      await client.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    }
    // Malformed changes (not ranges at all) are refused as a whole and logged; the text stays as it was.
    for (const bad of [[{ range: {}, text: 'x' }], [{ range: r(0, 0, 0, 0) }], [{ range: { start: { line: 'a', character: 0 }, end: { line: 0, character: 0 } }, text: 'x' }], 'nope', [null]]) {
      await client.notify('textDocument/didChange', { textDocument: { uri, version: 17 }, contentChanges: bad });
    }
    await expectAlive();
    // The last, well-formed change decides the published version.
    const last = { range: r(0, 0, 0, 0), text: '# last\n' };
    text = apply(text, [last]);
    const from = client.received.length;
    await client.notify('textDocument/didChange', { textDocument: { uri, version: 1000 }, contentChanges: [last] });
    const final = await client.diagnostics(uri, (p) => p.version === 1000, from);
    expect(published(final.diagnostics)).toEqual(expected(text));
    expect(expected(text).map((d) => d.code)).toContain('LL103');
    // Hover agrees with the same text: the LL103 finding is where a fresh analysis puts it.
    const ll103 = expected(text).find((d) => d.code === 'LL103')!;
    const hover = await client.call<any>('textDocument/hover', { textDocument: { uri }, position: ll103.range.start });
    expect(hover.range).toEqual(ll103.range);
    expect(client.process.exitCode).toBeNull();
  }, 60_000);

  it('survives a storm of 5,000 edits in about a second and publishes the diagnostics of the final text', async () => {
    await client.initialize();
    const uri = pathToFileURL(path.join(dir, 'storm.py')).href;
    let text = FOCAL;
    await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
    await client.diagnostics(uri, (p) => p.version === 1);
    const random = rng(5000);
    const from = client.received.length;
    const started = performance.now();
    const pieces = ['x', ' ', '(', ')', '\n', '    ', 'pt', '1 - ', '** gamma', '.clamp(min=1e-6)', '#', '"', '\r\n', '\t', 'é'];
    let version = 1;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 5_000; i++) {
      const a = Math.floor(random() * (text.length + 1));
      const b = Math.min(text.length, a + Math.floor(random() * 4));
      // Inserts and deletes in equal measure, so the text stays about the size of a loss file.
      const insert = random() < 0.5 ? pieces[Math.floor(random() * pieces.length)] : '';
      const change = { range: { start: positionAt(text, a), end: positionAt(text, b) }, text: insert };
      text = apply(text, [change]);
      writes.push(client.notify('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [change] }));
    }
    await Promise.all(writes);
    const sentMs = performance.now() - started;
    // Then the buggy loss back in full, as a last incremental replacement of everything.
    const end = positionAt(text, text.length);
    text = apply(text, [{ range: { start: { line: 0, character: 0 }, end }, text: FOCAL }]);
    await client.notify('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end }, text: FOCAL }] });
    const final = await client.diagnostics(uri, (p) => p.version === version, from, 60_000);
    const settledMs = performance.now() - started;
    expect(text).toBe(FOCAL);
    expect(published(final.diagnostics)).toEqual(expected(FOCAL));
    const publishes = client.notifications('textDocument/publishDiagnostics').slice(0).filter((n) => (n.params as any).uri === uri).length;
    console.log(`storm: 5,000 didChange sent in ${Math.round(sentMs)} ms; final diagnostics after ${Math.round(settledMs)} ms; ${publishes} publications in all`);
    expect(sentMs).toBeLessThan(5_000);
    // Debounced: far fewer publications than changes.
    expect(publishes).toBeLessThan(100);
    // The document was edited into nonsense many times: the text before the last change too must match.
    await expectAlive();
  }, 120_000);

  it('never parses a document over the size cap: a 40 MB didOpen and its edits are answered at once', async () => {
    await client.initialize();
    const uri = pathToFileURL(path.join(dir, 'huge.py')).href;
    // Unbalanced brackets and quotes: the slowest kind of text for tree-sitter's error recovery, so
    // that a parse of it, had one happened, would take minutes rather than milliseconds.
    const huge = `${FOCAL}${'(["\'{'.repeat(8_000_000)}`;
    const started = performance.now();
    await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: huge } });
    const first = await client.diagnostics(uri, (p) => p.version === 1, 0, 30_000);
    expect(first.diagnostics).toHaveLength(1);
    expect(first.diagnostics[0]).toMatchObject({ severity: 3, source: 'losslint', range: { start: { line: 0, character: 0 } } });
    expect(first.diagnostics[0].message).toMatch(/did not analyse this file: it has 40,000,\d{3} characters, over the limit of 2,000,000/);
    // Requests on it answer without analysing it.
    expect(await client.call('textDocument/hover', { textDocument: { uri }, position: { line: 7, character: 14 } })).toBeNull();
    const actions = await client.call<any[]>('textDocument/codeAction', { textDocument: { uri }, range: first.diagnostics[0].range, context: { diagnostics: first.diagnostics } });
    expect(actions.filter((a) => a.isPreferred)).toEqual([]);
    // Edits that keep it over the cap: still one informational diagnostic, still no parse.
    const from = client.received.length;
    for (let v = 2; v <= 20; v++) {
      await client.notify('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ range: { start: { line: 8, character: 0 }, end: { line: 8, character: 3 } }, text: '((' }] });
    }
    const edited = await client.diagnostics(uri, (p) => p.version === 20, from, 30_000);
    expect(edited.diagnostics).toHaveLength(1);
    const elapsed = performance.now() - started;
    console.log(`40 MB document: open, hover, code action and 19 edits answered in ${Math.round(elapsed)} ms`);
    expect(elapsed).toBeLessThan(30_000);
    // Cut back under the cap, it is parsed and analysed again.
    const end = { line: 8, character: 40_000_000 };
    const cut = client.received.length;
    await client.notify('textDocument/didChange', { textDocument: { uri, version: 21 }, contentChanges: [{ range: { start: { line: 8, character: 0 }, end }, text: '' }] });
    const small = await client.diagnostics(uri, (p) => p.version === 21, cut, 30_000);
    expect(published(small.diagnostics)).toEqual(expected(FOCAL));
    await expectAlive();
  }, 120_000);

  it('keeps its memory flat over 10,000 edit cycles (RSS sampled every 1,000)', async () => {
    await client.initialize();
    const uri = pathToFileURL(path.join(dir, 'cycles.py')).href;
    let text = `# 0\n${FOCAL}`;
    await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
    await client.diagnostics(uri, (p) => p.version === 1);
    const pid = client.process.pid!;
    const samples: { cycle: number; rssKb: number }[] = [{ cycle: 0, rssKb: rssKb(pid) }];
    let version = 1;
    const started = performance.now();
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      // Replace the counter comment on line 0, then hover the finding: the hover awaits an analysis
      // of this very version, so every cycle parses incrementally and runs every rule.
      const change = { range: { start: { line: 0, character: 2 }, end: positionAt(text, text.indexOf('\n')) }, text: String(cycle) };
      text = apply(text, [change]);
      await client.notify('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [change] });
      if (cycle % 10 === 0) {
        const hover = await client.call<any>('textDocument/hover', { textDocument: { uri }, position: { line: 8, character: 14 } });
        expect(hover?.contents.value).toContain('LL103');
      }
      // Other documents come and go.
      if (cycle % 100 === 0) {
        const other = pathToFileURL(path.join(dir, `other-${cycle}.py`)).href;
        await client.notify('textDocument/didOpen', { textDocument: { uri: other, languageId: 'python', version: 1, text: FOCAL } });
        await client.call('textDocument/hover', { textDocument: { uri: other }, position: { line: 7, character: 14 } });
        await client.notify('textDocument/didClose', { textDocument: { uri: other } });
      }
      if (cycle % 1_000 === 0) samples.push({ cycle, rssKb: rssKb(pid) });
    }
    const final = await client.diagnostics(uri, (p) => p.version === version, 0, 30_000);
    expect(published(final.diagnostics)).toEqual(expected(text));
    const seconds = (performance.now() - started) / 1000;
    const mb = (kb: number) => Math.round(kb / 102.4) / 10;
    const curve = samples.map((s) => `${s.cycle}: ${mb(s.rssKb)} MB`).join(', ');
    console.log(`RSS over ${CYCLES} edit cycles (${seconds.toFixed(1)} s): ${curve}`);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS, 'lsp-rss.json'), `${JSON.stringify({ cycles: CYCLES, seconds, samples }, null, 2)}\n`);
    // Flat: after the first 1,000 cycles (warm-up: JIT, heap sizing), growth stays under 64 MB.
    const warm = samples[1].rssKb;
    const peakAfterWarm = Math.max(...samples.slice(1).map((s) => s.rssKb));
    expect(peakAfterWarm - warm).toBeLessThan(64 * 1024);
    expect(samples.at(-1)!.rssKb - warm).toBeLessThan(64 * 1024);
    await expectAlive();
  }, 900_000);
});
