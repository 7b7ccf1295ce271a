/**
 * Environment faults of the numeric checks in the language server (issue 7), over stdio against the
 * built dist/server.js: with LOSSLINT_NUMERIC_WORKER pointing at a missing bundle, or at a worker
 * that exits mid-check, the static diagnostics still arrive (LL103 on the standard sample), the
 * failure is logged once per session (window/logMessage, "numeric check unavailable: <why>") and
 * shown in the CodeLens, edits keep working, and the server shuts down cleanly.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LspTestClient } from './lspClient';
import { FOCAL } from './samples';

const TIMEOUT = 30_000;
const NUMERIC = { enable: true, backend: 'cpu', timeBudgetMs: 20_000 };

let client: LspTestClient | undefined;
let dir: string;

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-numeric-faults-')));
});

afterEach(() => {
  client?.kill();
  client = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A server whose numeric worker is `worker` (the variable is inherited by the spawned server only). */
function serverWith(worker: string): LspTestClient {
  const saved = { w: process.env.LOSSLINT_NUMERIC_WORKER, d: process.env.LOSSLINT_NUMERIC_DELAY_MS };
  process.env.LOSSLINT_NUMERIC_WORKER = worker;
  process.env.LOSSLINT_NUMERIC_DELAY_MS = '50';
  try {
    const c = new LspTestClient();
    c.configuration = (section) => (section === 'losslint' ? { numeric: NUMERIC } : null);
    return c;
  } finally {
    for (const [k, v] of [['LOSSLINT_NUMERIC_WORKER', saved.w], ['LOSSLINT_NUMERIC_DELAY_MS', saved.d]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const unavailableLogs = (c: LspTestClient) =>
  c.notifications('window/logMessage').map((n) => (n.params as { message: string }).message).filter((m) => /numeric check unavailable/.test(m));

async function faultScenario(c: LspTestClient, expectedWhy: RegExp): Promise<void> {
  await c.initialize({ workspace: { configuration: true, codeLens: { refreshSupport: true } } });
  const uri = pathToFileURL(path.join(dir, 'focal.py')).href;
  await c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: FOCAL } });

  // Static diagnostics arrive regardless.
  const first = await c.diagnostics(uri, (p) => p.version === 1);
  expect(first.diagnostics.map((d: any) => d.code)).toEqual(['LL103']);

  // The numeric failure: one log line, the CodeLens says so.
  await c.waitFor((m) => m.method === 'window/logMessage' && /numeric check unavailable/.test((m.params as any).message), 'the unavailable log', 15_000);
  await c.waitFor((m) => m.method === 'losslint/status' && (m.params as any).numericRunning === false, 'the numeric run to end', 15_000);
  const lenses = await c.call<any[]>('textDocument/codeLens', { textDocument: { uri } });
  expect(lenses).toHaveLength(1);
  expect(lenses[0].command.title).toMatch(expectedWhy);
  expect(lenses[0].command.title).toMatch(/^LossLint: numeric check unavailable: /);
  // Whatever the numeric side published for v1 holds exactly the static findings.
  for (const p of c.notifications('textDocument/publishDiagnostics').map((n) => n.params as any).filter((p) => p.uri === uri)) {
    expect(p.diagnostics.map((d: any) => d.code)).toEqual(['LL103']);
  }

  // An edit: static diagnostics for v2, the numeric run fails the same way and is not logged again.
  const from = c.received.length;
  await c.notify('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line: 8, character: 0 }, end: { line: 8, character: 0 } }, text: '# edited\n' }],
  });
  const v2 = await c.diagnostics(uri, (p) => p.version === 2);
  expect(v2.diagnostics.map((d: any) => d.code)).toEqual(['LL103']);
  await c.waitFor((m) => m.method === 'losslint/status' && (m.params as any).numericRunning === true, 'the second numeric run to start', 15_000, from);
  const started = c.received.findIndex((m, i) => i >= from && m.method === 'losslint/status' && (m.params as any).numericRunning === true);
  await c.waitFor((m) => m.method === 'losslint/status' && (m.params as any).numericRunning === false, 'the second numeric run to end', 15_000, started + 1);
  expect(unavailableLogs(c)).toHaveLength(1);
  expect(unavailableLogs(c)[0]).toMatch(expectedWhy);
  expect(unavailableLogs(c)[0]).toMatch(/static checks are unaffected/);

  // Nothing crashed: no uncaught error, a clean shutdown.
  expect(c.stderr).not.toMatch(/Uncaught|TypeError|ReferenceError/);
  expect(await c.stop()).toBe(0);
}

describe('numeric environment faults in the language server', () => {
  it(
    'a missing worker bundle: static LL103 arrives, "numeric check unavailable" once, the server keeps going',
    async () => {
      const missing = path.join(dir, 'missing', 'numeric-worker.js');
      client = serverWith(missing);
      await faultScenario(client, /numeric worker bundle .*missing[\\/]numeric-worker\.js not found/);
    },
    TIMEOUT,
  );

  it(
    'a worker that exits mid-check: the same, and each run starts (and loses) a fresh worker',
    async () => {
      const exits = path.join(dir, 'exits.js');
      fs.writeFileSync(exits, "require('node:worker_threads').parentPort.on('message', () => process.exit(7));\n");
      client = serverWith(exits);
      await faultScenario(client, /numeric worker exited with code 7/);
    },
    TIMEOUT,
  );
});
