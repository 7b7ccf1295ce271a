/**
 * No network (issue 7): the CLI and the language server do their whole job with outbound
 * connections refused, in two ways:
 *
 * - a preload (no-network.cjs, through NODE_OPTIONS) that makes every TCP/TLS/UDP/DNS/fetch
 *   attempt throw and logs it: the test then proves that none was even attempted;
 * - `unshare -n` (a new network namespace with only a downed loopback), where the system allows
 *   it (root or user namespaces); skipped with the reason otherwise.
 *
 * The flows are those of the CLI and LSP suites: check with text/json/sarif output, --fix,
 * --numeric (the probe worker, wasm), rule pages; initialize, diagnostics, hover, code actions,
 * the workspace check, shutdown.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, LL103_SAMPLE, REPO, tempDir, writeTree } from '../cli/helpers';
import { LspTestClient, SERVER_JS } from '../lsp/lspClient';

const PRELOAD = path.join(__dirname, 'no-network.cjs');

const unshareSkip: string | undefined = (() => {
  if (process.platform !== 'linux') return 'not Linux';
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return undefined;
  } catch {
    return '`unshare -n` is not permitted here (needs root or user namespaces)';
  }
})();

type Mode = { name: string; wrap: (argv: string[]) => string[]; env: NodeJS.ProcessEnv };

let netLog: string;
let work: string;
const modes: Mode[] = [];

beforeAll(() => {
  work = tempDir('losslint-offline-');
  netLog = path.join(work, 'net.log');
  fs.writeFileSync(netLog, '');
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(PRELOAD)}`.trim();
  modes.push({ name: 'preload', wrap: (argv) => argv, env: { NODE_OPTIONS: nodeOptions, LOSSLINT_NET_LOG: netLog } });
  if (!unshareSkip) modes.push({ name: 'unshare -n', wrap: (argv) => ['unshare', '-n', ...argv], env: { NODE_OPTIONS: nodeOptions, LOSSLINT_NET_LOG: netLog } });
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function cli(mode: Mode, args: string[], cwd: string) {
  const [cmd, ...argv] = mode.wrap([process.execPath, CLI, ...args]);
  return spawnSync(cmd, argv, { cwd, encoding: 'utf8', env: { ...process.env, ...mode.env, NO_COLOR: '1' }, timeout: 120_000 });
}

function netAttempts(): string {
  return fs.readFileSync(netLog, 'utf8');
}

describe.each(['preload', 'unshare -n'])('offline (%s)', (modeName) => {
  const skip = modeName === 'unshare -n' ? unshareSkip : undefined;
  const mode = () => modes.find((m) => m.name === modeName)!;

  it.skipIf(skip !== undefined)(`the CLI checks, fixes, probes and prints rule pages${skip ? ` — skipped: ${skip}` : ''}`, () => {
    const dir = fs.mkdtempSync(path.join(work, 'cli-'));
    fs.cpSync(path.join(REPO, 'examples'), path.join(dir, 'examples'), { recursive: true });
    writeTree(dir, { 'pyproject.toml': '[tool.losslint]\nstrict = false\n', 'loss.py': LL103_SAMPLE });
    for (const format of ['text', 'json', 'sarif']) {
      const r = cli(mode(), ['check', '.', '--format', format], dir);
      expect(r.status, `${format}: ${r.stderr}`).toBe(1);
      expect(r.stdout).toContain('LL103');
    }
    const numeric = cli(mode(), ['check', 'loss.py', '--numeric', '--backend', 'wasm', '--format', 'json'], dir);
    expect(numeric.status, numeric.stderr).toBe(1);
    expect(numeric.stdout).toContain('LL103');
    const fixed = cli(mode(), ['check', 'loss.py', '--fix'], dir);
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'loss.py'), 'utf8')).toContain('clamp');
    expect(cli(mode(), ['rule', 'LL103'], dir).status).toBe(0);
    expect(cli(mode(), ['rules', '--format', 'json'], dir).status).toBe(0);
    expect(netAttempts()).toBe('');
  }, 180_000);

  it.skipIf(skip !== undefined)(`the language server lints, hovers, fixes and checks the workspace${skip ? ` — skipped: ${skip}` : ''}`, async () => {
    const dir = fs.mkdtempSync(path.join(work, 'lsp-'));
    writeTree(dir, { 'pyproject.toml': '[tool.losslint]\nstrict = false\n', 'pkg/loss.py': LL103_SAMPLE });
    // The server is started through a wrapper that applies the mode (preload, or unshare -n around node).
    const wrapper = path.join(dir, 'wrapper.cjs');
    const [cmd, ...argv] = mode().wrap([process.execPath, SERVER_JS]);
    fs.writeFileSync(
      wrapper,
      `const { spawn } = require('node:child_process');\n` +
        `const env = { ...process.env, ...${JSON.stringify(mode().env)} };\n` +
        `const child = spawn(${JSON.stringify(cmd)}, ${JSON.stringify(argv)}.concat(process.argv.slice(2)), { stdio: 'inherit', env });\n` +
        `child.on('exit', (code) => process.exit(code ?? 1));\n`,
    );
    const client = new LspTestClient(wrapper);
    try {
      await client.initialize({ workspace: { configuration: true }, window: { workDoneProgress: true } }, { workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'w' }] });
      const uri = pathToFileURL(path.join(dir, 'open.py')).href;
      await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: LL103_SAMPLE } });
      const published = await client.diagnostics(uri, (p) => p.version === 1, 0, 30_000);
      expect(published.diagnostics.map((d: any) => d.code)).toEqual(['LL103']);
      const d = published.diagnostics[0];
      const hover = await client.call<any>('textDocument/hover', { textDocument: { uri }, position: d.range.start });
      expect(hover.contents.value).toContain('LL103');
      const actions = await client.call<any[]>('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } });
      expect(actions.some((a) => a.isPreferred)).toBe(true);
      const result = await client.call<any>('workspace/executeCommand', { command: 'losslint.checkWorkspace', arguments: [] });
      expect(result).toMatchObject({ files: 1, findings: 1 });
      expect(await client.stop()).toBe(0);
      expect(client.stderr).not.toContain('network access refused');
    } finally {
      client.kill();
    }
    expect(netAttempts()).toBe('');
  }, 120_000);
});

describe('the offline harness itself', () => {
  it('really refuses connections (so that the tests above prove something)', () => {
    const probe = "require('node:net').connect(443, '192.0.2.1').on('error', () => {})";
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--require ${JSON.stringify(PRELOAD)}`, LOSSLINT_NET_LOG: path.join(os.tmpdir(), `losslint-net-${process.pid}.log`) } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('network access refused by the offline test');
    const dns = spawnSync(process.execPath, ['-e', "require('node:dns').lookup('example.com', () => {})"], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--require ${JSON.stringify(PRELOAD)}` } });
    expect(dns.stderr).toContain('network access refused');
    fs.rmSync(path.join(os.tmpdir(), `losslint-net-${process.pid}.log`), { force: true });
    if (!unshareSkip) {
      const u = spawnSync('unshare', ['-n', process.execPath, '-e', "require('node:net').connect(443, '192.0.2.1').on('error', (e) => { console.log(e.code); })"], { encoding: 'utf8' });
      expect(u.stdout.trim()).toMatch(/ENETUNREACH|EHOSTUNREACH|ECONNREFUSED/);
    }
  });
});
