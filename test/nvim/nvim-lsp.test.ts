/**
 * A second, independent LSP client: Neovim's built-in one (Debian's nvim 0.7.2), started headless on
 * a temporary file holding the LL103 sample. client.lua talks to `node dist/server.js --stdio`, writes
 * what Neovim received as JSON, and this test checks it: the diagnostic's code and place, the hover,
 * the quick fix applied through Neovim's own workspace-edit code and written to disk, and the
 * diagnostic gone afterwards. Needs dist/ built (`npm test` builds it first). Skipped only when
 * `nvim` is not installed (`scripts/e2e-setup.sh` or `apt-get install neovim` installs it).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIX_TITLE_PREFIX, FIXED_SAMPLE, FLAGGED_CHARACTER, FLAGGED_LINE, LL103_SAMPLE } from '../e2e/sample';

const ROOT = path.resolve(__dirname, '../..');
const SERVER = path.join(ROOT, 'dist/server.js');
const NVIM = process.env.LOSSLINT_NVIM ?? 'nvim';
const nvimVersion = spawnSync(NVIM, ['--version'], { encoding: 'utf8' });
const HAVE_NVIM = nvimVersion.status === 0;
if (!HAVE_NVIM) console.warn(`test/nvim skipped: '${NVIM}' is not installed (run scripts/e2e-setup.sh or apt-get install neovim).`);

interface NvimDiagnostic {
  lnum: number;
  col: number;
  end_lnum: number;
  end_col: number;
  severity: number;
  message: string;
  source?: string;
  code?: string;
}

interface NvimResult {
  nvim: string;
  error?: string;
  initialized: boolean;
  diagnostics_arrived: boolean;
  diagnostics: NvimDiagnostic[];
  hover?: { contents: { kind: string; value: string } | string };
  code_actions?: string[];
  applied?: string;
  fix_cleared?: boolean;
  diagnostics_after_fix?: NvimDiagnostic[];
  server_errors: string[];
  server_exit?: { code: number; signal: number };
  server_stopped: boolean;
}

/** Runs nvim headless on `file` with client.lua, in its own process group, killed (group) on time-out. */
function runNvim(file: string, out: string, timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NVIM, ['--headless', '--clean', '-n', '-c', `luafile ${path.join(__dirname, 'client.lua')}`, file], {
      cwd: path.dirname(file),
      detached: true, // Its own process group: the server nvim starts is in it, and ends with it.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        LOSSLINT_NODE: process.execPath,
        LOSSLINT_SERVER: SERVER,
        LOSSLINT_OUT: out,
        LOSSLINT_FIX_PREFIX: FIX_TITLE_PREFIX,
        LOSSLINT_TIMEOUT_MS: '15000',
      },
    });
    let stderr = '';
    child.stdout.on('data', () => undefined);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
      reject(new Error(`nvim did not finish within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // Whatever nvim left in its group (a server that ignored shutdown) ends here.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Nothing left.
      }
      resolve({ code, stderr });
    });
  });
}

describe.skipIf(!HAVE_NVIM)('Neovim built-in LSP client (nvim --headless)', () => {
  let dir: string;
  let file: string;
  let result: NvimResult;

  beforeAll(async () => {
    if (!fs.existsSync(SERVER)) throw new Error(`${SERVER} is missing: run 'npm run build' first.`);
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-nvim-')));
    file = path.join(dir, 'focal.py');
    fs.writeFileSync(file, LL103_SAMPLE);
    const out = path.join(dir, 'result.json');
    const { code, stderr } = await runNvim(file, out, 60_000);
    expect(fs.existsSync(out), `nvim wrote no result (exit ${code}); stderr:\n${stderr}`).toBe(true);
    result = JSON.parse(fs.readFileSync(out, 'utf8')) as NvimResult;
    // Kept next to the other end-to-end artifacts, for a look when this fails in CI.
    const artifacts = path.join(ROOT, 'test-artifacts/nvim');
    fs.mkdirSync(artifacts, { recursive: true });
    fs.writeFileSync(path.join(artifacts, 'result.json'), JSON.stringify(result, null, 2));
    expect(result.error, 'client.lua failed').toBeUndefined();
    expect(code).toBe(0);
  }, 90_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('publishes LL103 on (1 - pt) in the return line', () => {
    expect(result.nvim).toMatch(/^0\.\d+\.\d+$/);
    expect(result.initialized).toBe(true);
    expect(result.diagnostics_arrived).toBe(true);
    const ll103 = result.diagnostics.filter((d) => d.code === 'LL103');
    expect(ll103).toHaveLength(1);
    expect(ll103[0]).toMatchObject({ lnum: FLAGGED_LINE, col: FLAGGED_CHARACTER, end_lnum: FLAGGED_LINE, end_col: FLAGGED_CHARACTER + '(1 - pt)'.length });
    expect(ll103[0].source).toBe('losslint');
    expect(ll103[0].message).toMatch(/gamma|NaN|clamp/i);
  });

  it('answers hover on the finding with the rule and its explanation', () => {
    const contents = result.hover?.contents;
    const text = typeof contents === 'string' ? contents : contents?.value ?? '';
    expect(text).toContain('LL103');
    expect(text).toMatch(/NaN|gradient/i);
  });

  it('offers the Clamp quick fix, which Neovim applies and writes, and the finding goes', () => {
    expect(result.code_actions).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${FIX_TITLE_PREFIX}`))]));
    expect(result.applied).toMatch(new RegExp(`^${FIX_TITLE_PREFIX}`));
    expect(fs.readFileSync(file, 'utf8')).toBe(FIXED_SAMPLE);
    expect(result.fix_cleared).toBe(true);
    expect(result.diagnostics_after_fix?.filter((d) => d.code === 'LL103')).toEqual([]);
  });

  it('logs no server error and exits cleanly on shutdown', () => {
    expect(result.server_errors).toEqual([]);
    expect(result.server_stopped).toBe(true);
    expect(result.server_exit).toEqual({ code: 0, signal: 0 });
  });
});
