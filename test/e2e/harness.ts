/**
 * Processes for the code-server end-to-end test: the tools scripts/e2e-setup.sh installed, a
 * code-server with its own user-data and extensions folders, and a headless Chromium driven by
 * playwright-core. Every process is started in its own process group and ended by that group's id
 * (`stopGroup`), so the extension host, the language server and the file watcher end with it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserServer } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '../..');

/** What scripts/e2e-setup.sh wrote to `$LOSSLINT_CACHE/env.json`. */
export interface E2eTools {
  node24: string;
  codeServer: string;
  codeServerVersion: string;
  chromium: string;
}

export function cacheDir(): string {
  return process.env.LOSSLINT_CACHE ?? path.join(os.homedir(), '.cache/losslint-e2e');
}

/** The installed tools, or an error that says how to install them. */
export function loadTools(): E2eTools {
  const file = path.join(cacheDir(), 'env.json');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run scripts/e2e-setup.sh first (it installs code-server, Node 24 and chromium).`);
  const tools = JSON.parse(fs.readFileSync(file, 'utf8')) as E2eTools;
  for (const key of ['node24', 'codeServer', 'chromium'] as const) {
    if (!tools[key] || !fs.existsSync(tools[key])) throw new Error(`${key} (${tools[key]}) from ${file} is missing: run scripts/e2e-setup.sh again.`);
  }
  return tools;
}

/**
 * The environment code-server and Chromium run in: Node 24 first on PATH, the XDG folders (where
 * code-server keeps its config.yaml and heartbeat, Chromium its crash reports) under `tmp` so that
 * nothing is written to the user's home, and nothing inherited that points at another VS Code.
 */
function isolatedEnv(tools: E2eTools, tmp: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(tools.node24)}:${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: path.join(tmp, 'xdg/config'),
    XDG_DATA_HOME: path.join(tmp, 'xdg/data'),
    XDG_CACHE_HOME: path.join(tmp, 'xdg/cache'),
  };
  for (const key of Object.keys(env)) if (key.startsWith('VSCODE_') || key.startsWith('npm_') || key === 'NODE_OPTIONS') delete env[key];
  return env;
}

export interface CodeServerDirs {
  userDataDir: string;
  extensionsDir: string;
}

/** `code-server --install-extension VSIX` into the given folders; returns its output. */
export function installExtension(tools: E2eTools, dirs: CodeServerDirs, vsix: string, tmp: string): string {
  const run = spawnSync(
    tools.node24,
    [tools.codeServer, '--user-data-dir', dirs.userDataDir, '--extensions-dir', dirs.extensionsDir, '--install-extension', vsix],
    { encoding: 'utf8', env: isolatedEnv(tools, tmp), timeout: 120_000 },
  );
  const output = `${run.stdout}\n${run.stderr}`;
  if (run.status !== 0) throw new Error(`code-server --install-extension failed (${run.status ?? run.signal}):\n${output}`);
  return output;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Group {
  child: ChildProcess;
  /** Everything the process wrote on stdout and stderr so far. */
  output(): string;
}

/** Process groups started here and not yet stopped: a last SIGKILL when this process exits without stopping them. */
const groups = new Set<number>();
process.on('exit', () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/** Starts `command` as the leader of a new process group, keeping its output. */
export function startGroup(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Group {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid) groups.add(child.pid);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

/** The pids still in process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const ps = spawnSync('ps', ['-o', 'pid=', '-g', String(pgid)], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
}

/** Ends process group `pgid`: SIGTERM, up to `graceMs` for it to go, then SIGKILL. Returns the pids that needed SIGKILL. */
export async function stopGroup(pgid: number | undefined, graceMs = 5000): Promise<number[]> {
  if (!pgid) return [];
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, s);
    } catch {
      // The group is already empty.
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groupMembers(pgid).length > 0) await new Promise((r) => setTimeout(r, 100));
  const left = groupMembers(pgid);
  if (left.length > 0) signal('SIGKILL');
  groups.delete(pgid);
  return left;
}

export interface CodeServer extends Group {
  url: string;
}

/** Starts code-server on a free port with the given folders and waits until it answers HTTP. */
export async function startCodeServer(tools: E2eTools, dirs: CodeServerDirs, tmp: string): Promise<CodeServer> {
  const port = await freePort();
  const config = path.join(tmp, 'code-server.yaml');
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  const args = [
    tools.codeServer,
    '--config', config,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir', dirs.userDataDir,
    '--extensions-dir', dirs.extensionsDir,
    '--log', 'info',
  ];
  const group = startGroup(tools.node24, args, isolatedEnv(tools, tmp), tmp);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (group.child.exitCode !== null) throw new Error(`code-server exited (${group.child.exitCode}):\n${group.output()}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stopGroup(group.child.pid);
      throw new Error(`code-server did not answer on ${url} within 60 s:\n${group.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { ...group, url };
}

export interface Chromium {
  server: BrowserServer;
  browser: Browser;
  pid: number;
}

/** Debian's Chromium, headless, as a playwright BrowserServer (its pid is known and ended with its group). */
export async function startChromium(tools: E2eTools, tmp: string): Promise<Chromium> {
  const server = await chromium.launchServer({
    executablePath: tools.chromium,
    headless: true,
    env: isolatedEnv(tools, tmp),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const pid = server.process().pid!;
  groups.add(pid);
  const browser = await chromium.connect(server.wsEndpoint());
  return { server, browser, pid };
}

export async function stopChromium(c: Chromium | undefined): Promise<void> {
  if (!c) return;
  await c.browser.close().catch(() => undefined);
  await c.server.close().catch(() => undefined);
  // Playwright starts Chromium as a group leader; whatever of it is left ends here.
  await stopGroup(c.pid, 2000);
}

/** Every file under `dir` whose name matches `pattern`. */
export function findFiles(dir: string, pattern: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && pattern.test(entry.name)) found.push(path.join(entry.parentPath, entry.name));
  }
  return found.sort();
}
