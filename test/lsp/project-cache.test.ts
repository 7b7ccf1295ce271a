/**
 * The language server's project index and the persistent cache (project/cache.ts, the one
 * `losslint check` writes): once the workspace is indexed and analysed, the server's diagnostics
 * with a cache it wrote (cold, then warm), with one `losslint check` wrote, after a file changed on
 * disk between runs, and with an open document whose text differs from the file its cached summary
 * was made of, are those of a server without a cache, every file's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/helpers';
import { LspTestClient } from './lspClient';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'projects', 'focal');
const NO_CACHE = { LOSSLINT_NO_CACHE: '1' };
const CACHE = { LOSSLINT_NO_CACHE: '' };

function copyProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-project-cache-'));
  fs.cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

function pythonFiles(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && e.name.endsWith('.py')) n++;
  return n;
}

/** The cache's entries (files under a build folder, manifests left out). */
function entries(root: string): string[] {
  const dir = path.join(root, '.losslint_cache');
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.includes(path.sep) && !f.split(path.sep).includes('runs') && fs.statSync(path.join(dir, f)).isFile());
}

interface Session {
  /** Each URI's last diagnostics (code, severity, range, message, related locations), by workspace-relative path. */
  state: Record<string, unknown[]>;
  /** The index's log line (`project indexed: N Python files in T ms (K from the cache).`). */
  indexed: string;
}

let clients: LspTestClient[] = [];
afterEach(() => {
  for (const c of clients) c.kill();
  clients = [];
});

/**
 * A server over `root` with `env`: `open` documents opened right after `initialized` (while the index
 * runs), then the state once the project is analysed and the diagnostics stay unchanged for a while.
 */
async function session(root: string, env: Record<string, string>, open: Record<string, string> = {}, openAt?: RegExp, editor?: Record<string, unknown>): Promise<Session> {
  const client = new LspTestClient(undefined, { LOSSLINT_DIAGNOSTICS_DELAY_MS: '0', LOSSLINT_WARMUP: '0', ...env });
  clients.push(client);
  // The editor's `losslint` section, for every resource.
  if (editor) client.configuration = (section) => (section === 'losslint' ? editor : null);
  await client.initialize({ workspace: { configuration: true }, window: { workDoneProgress: true } }, { workspaceFolders: [{ uri: pathToFileURL(root).href, name: 'p' }] });
  // With `openAt`: once the index reports a file whose path matches (the documents' files are read by then).
  if (openAt) await client.waitFor((m) => m.method === '$/progress' && openAt.test(m.params?.value?.message ?? ''), `progress at ${openAt}`, 60_000);
  for (const [rel, text] of Object.entries(open)) {
    await client.notify('textDocument/didOpen', { textDocument: { uri: pathToFileURL(path.join(root, rel)).href, languageId: 'python', version: 1, text } });
  }
  const log = (re: RegExp) => client.waitFor<{ params: { message: string } }>((m) => m.method === 'window/logMessage' && re.test(m.params?.message), `the log line ${re}`, 60_000);
  const indexed = (await log(/project indexed/)).params.message;
  await log(/project analysed/);
  // Then the revalidation of the open documents: until nothing is published for a while.
  let count = -1;
  while (count !== client.notifications('textDocument/publishDiagnostics').length) {
    count = client.notifications('textDocument/publishDiagnostics').length;
    await new Promise((r) => setTimeout(r, 700));
  }
  const state: Record<string, unknown[]> = {};
  const rel = (uri: string) => path.relative(root, new URL(uri).pathname);
  for (const n of client.notifications('textDocument/publishDiagnostics')) {
    const p = n.params as { uri: string; diagnostics: any[] };
    state[rel(p.uri)] = p.diagnostics
      .map((d) => ({
        code: d.code,
        severity: d.severity,
        range: d.range,
        message: d.message,
        related: (d.relatedInformation ?? []).map((r: any) => ({ file: rel(r.location.uri), range: r.location.range, message: r.message })),
      }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  for (const k of Object.keys(state)) if (!state[k].length) delete state[k];
  expect(await client.stop()).toBe(0);
  return { state, indexed };
}

const fromCache = (s: Session): number => Number(/\((\d+) from the cache\)/.exec(s.indexed)?.[1] ?? NaN);

describe('the language server and the persistent cache', () => {
  it('gives the diagnostics of a server without a cache: cold, warm, and after a file changed on disk', async () => {
    const root = copyProject();
    const files = pythonFiles(root);
    const loss = { 'pkg/losses/focal.py': fs.readFileSync(path.join(root, 'pkg/losses/focal.py'), 'utf8') };
    const none = await session(root, NO_CACHE, loss);
    expect(none.indexed).not.toMatch(/from the cache/);
    expect(fs.existsSync(path.join(root, '.losslint_cache'))).toBe(false);
    // Values reach the loss from elsewhere, and findings are published where they are written.
    expect(JSON.stringify(none.state['pkg/losses/focal.py'])).toContain('gamma=0.3 or 0.5 or 0.7');
    expect(Object.keys(none.state)).toEqual(expect.arrayContaining(['conf/loss/focal.yaml', 'scripts/train.py', 'pkg/models/detector.py']));

    const cold = await session(root, CACHE, loss);
    expect(fromCache(cold)).toBe(0);
    expect(entries(root).length).toBeGreaterThan(0);
    expect(cold.state).toEqual(none.state);

    // Warm: every file but the open one comes from the cache, nothing is written.
    const before = entries(root);
    const warm = await session(root, CACHE, loss);
    expect(fromCache(warm)).toBe(files - 1);
    expect(warm.state).toEqual(none.state);
    expect(entries(root)).toEqual(before);

    // A caller changed on disk between runs: its new text is read, the others' summaries come from the cache.
    const detector = path.join(root, 'pkg/models/detector.py');
    fs.writeFileSync(detector, fs.readFileSync(detector, 'utf8').replace('FocalLoss(gamma=0.5)', 'FocalLoss(gamma=0.6)'));
    const changed = await session(root, CACHE, loss);
    expect(fromCache(changed)).toBe(files - 2);
    expect(JSON.stringify(changed.state['pkg/losses/focal.py'])).toContain('0.6');
    expect(changed.state).toEqual((await session(root, NO_CACHE, loss)).state);
    // The old text's summary is no run's any more: pruned.
    expect(entries(root).length).toBeLessThanOrEqual(before.length);
    fs.rmSync(root, { recursive: true, force: true });
  }, 180_000);

  it('an open document wins over its cached summary on disk, opened before or while the index reads it', async () => {
    const root = copyProject();
    // Files after the fixture's in the index's order, so that a document can be opened once the index has read its file.
    for (let i = 0; i < 600; i++) fs.writeFileSync(path.join(root, `zz_${String(i).padStart(3, '0')}.py`), `import os\nx = os.getcwd()\n`);
    // On disk (and so in the cache) the loss class takes no `gamma` (nothing binds the callers' values);
    // open, it does again (its definitions change), and train.py passes another argparse default.
    const lossFile = path.join(root, 'pkg/losses/focal.py');
    const loss = fs.readFileSync(lossFile, 'utf8');
    fs.writeFileSync(lossFile, loss.replace('gamma=2.0, reduction="mean"):', 'focusing=2.0, reduction="mean"):').replace('self.gamma = gamma', 'self.gamma = focusing'));
    expect(fs.readFileSync(lossFile, 'utf8')).not.toBe(loss);
    const disk = await session(root, CACHE);
    expect(disk.state['pkg/models/detector.py']).toBeUndefined();
    const train = fs.readFileSync(path.join(root, 'scripts/train.py'), 'utf8');
    const edited = { 'pkg/losses/focal.py': loss, 'scripts/train.py': train.replace('default=0.3)', 'default=0.35)') };
    const warm = await session(root, CACHE, edited);
    expect(fromCache(warm)).toBe(pythonFiles(root) - 2);
    // Opened while the index runs, after it read the file from the cache.
    const late = await session(root, CACHE, edited, /^zz_/);
    expect(fromCache(late)).toBe(pythonFiles(root));
    const none = await session(root, NO_CACHE, edited);
    expect(JSON.stringify(none.state['scripts/train.py'])).toContain('0.35');
    expect(JSON.stringify(none.state['scripts/train.py'])).not.toContain('0.3 ');
    expect(JSON.stringify(none.state['pkg/models/detector.py'])).toContain('gamma=0.5');
    expect(warm.state).toEqual(none.state);
    expect(late.state).toEqual(none.state);
    fs.rmSync(root, { recursive: true, force: true });
  }, 180_000);

  it('neither reads nor writes the cache where the editor turns it off (losslint.cache.enable: false)', async () => {
    const root = copyProject();
    const off = { cache: { enable: false } };
    const none = await session(root, CACHE, {}, undefined, off);
    expect(none.indexed).not.toMatch(/from the cache/);
    expect(fs.existsSync(path.join(root, '.losslint_cache'))).toBe(false);
    // A cache the CLI wrote is not read either; the diagnostics are a cached server's.
    expect((await runCli(['check', '.', '-j', '1', '--exit-zero'], root, CACHE)).code).toBe(0);
    const written = entries(root);
    const again = await session(root, CACHE, {}, undefined, off);
    expect(again.indexed).not.toMatch(/from the cache/);
    expect(entries(root)).toEqual(written);
    const on = await session(root, CACHE, {}, undefined, { cache: { enable: true } });
    expect(fromCache(on)).toBe(pythonFiles(root));
    expect(again.state).toEqual(on.state);
    expect(none.state).toEqual(on.state);
    fs.rmSync(root, { recursive: true, force: true });
  }, 180_000);

  it('reads the summaries `losslint check` wrote', async () => {
    const root = copyProject();
    const cli = await runCli(['check', '.', '-j', '1', '--exit-zero'], root, CACHE);
    expect(cli.code).toBe(0);
    const written = entries(root).length;
    expect(written).toBeGreaterThan(0);
    const warm = await session(root, CACHE);
    expect(fromCache(warm)).toBe(pythonFiles(root));
    expect(warm.state).toEqual((await session(root, NO_CACHE)).state);
    // And the CLI still reads its own entries after the server's run (the server's run is a scope of its own).
    const again = await runCli(['check', '.', '-j', '1', '--exit-zero'], root, { ...CACHE, LOSSLINT_CACHE_STATS: '1' });
    expect(again.stdout).toBe(cli.stdout);
    expect(again.stderr).toMatch(/^cache: \d+ hits, 0 misses/m);
    fs.rmSync(root, { recursive: true, force: true });
  }, 180_000);
});
