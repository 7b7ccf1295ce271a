/**
 * Environment faults for the CLI (issue 7): missing paths, unreadable files and directories,
 * symbolic-link loops, dangling links, FIFOs named *.py, broken pyproject.toml, invalid UTF-8, NUL
 * bytes, files over the size cap, unwritable output, usage errors. Each problem is one line on
 * stderr, the exit code is 2, and every other file is still checked.
 *
 * Unreadable files need a user that permissions apply to: as root (which bypasses them) the CLI
 * is run as `nobody` through setpriv; without setpriv those cases are skipped, saying why.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, CLEAN_SAMPLE, LL103_SAMPLE, lines, type RunResult, runCli, tempDir, writeTree } from '../cli/helpers';

const isRoot = process.getuid?.() === 0;
const hasSetpriv = (() => {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
/** Why permission tests cannot run here, if they cannot. */
const permissionSkip = process.platform === 'win32' ? 'no POSIX permissions' : isRoot && !hasSetpriv ? 'running as root without setpriv to drop to nobody' : undefined;

/** Runs the CLI as a user that file permissions apply to (nobody when we are root). */
function runUnprivileged(args: readonly string[], cwd: string): Promise<RunResult> {
  const [cmd, argv] = isRoot
    ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args]]
    : [process.execPath, [CLI, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, NO_COLOR: '1', HOME: cwd } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every stderr line is a one-line message, never a stack trace. */
function expectOneLiners(stderr: string): string[] {
  const all = lines(stderr);
  for (const line of all) expect(line, stderr).not.toMatch(/^\s+at |Error: .*\n\s+at /);
  return all;
}

let dir: string;
beforeEach(() => {
  dir = tempDir('losslint-env-');
  fs.chmodSync(dir, 0o755);
});
afterEach(() => {
  // Give permissions back so that the temporary tree can be removed.
  const restore = (p: string) => {
    try {
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) return;
      fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
      if (st.isDirectory()) for (const e of fs.readdirSync(p)) restore(path.join(p, e));
    } catch {
      // Already gone.
    }
  };
  restore(dir);
  fs.rmSync(dir, { recursive: true, force: true });
});

const TIMEOUT = 60_000;

describe('CLI under environment faults', () => {
  it('a missing path: one error line, exit 2, the other paths still checked', async () => {
    writeTree(dir, { 'good.py': LL103_SAMPLE });
    const r = await runCli(['check', 'missing.py', 'missing-dir/', 'good.py'], dir);
    expect(r.code).toBe(2);
    const err = expectOneLiners(r.stderr);
    expect(err.filter((l) => l.startsWith('error: ')).map((l) => l.replace(/: .*$/, ''))).toEqual(['error', 'error']);
    expect(err.some((l) => l.includes('missing.py') && /no such file/i.test(l))).toBe(true);
    expect(err.some((l) => l.includes('missing-dir'))).toBe(true);
    expect(r.stdout).toContain('good.py:8:13: LL103');
  }, TIMEOUT);

  it.skipIf(permissionSkip !== undefined)(`an unreadable file and an unreadable directory (chmod 000)${permissionSkip ? ` — skipped: ${permissionSkip}` : ''}`, async () => {
    writeTree(dir, { 'pkg/good.py': LL103_SAMPLE, 'pkg/secret.py': LL103_SAMPLE, 'pkg/locked/inner.py': LL103_SAMPLE });
    fs.chmodSync(path.join(dir, 'pkg/secret.py'), 0o000);
    fs.chmodSync(path.join(dir, 'pkg/locked'), 0o000);
    const r = await runUnprivileged(['check', 'pkg', 'pkg/secret.py'], dir);
    expect(r.code).toBe(2);
    const err = expectOneLiners(r.stderr);
    expect(err.filter((l) => l.includes('pkg/secret.py'))).toEqual([expect.stringMatching(/^error: pkg\/secret\.py: cannot read: permission denied/)]);
    expect(err.filter((l) => l.includes('pkg/locked'))).toEqual([expect.stringMatching(/^error: pkg\/locked: cannot read directory: permission denied/)]);
    expect(lines(r.stdout).filter((l) => l.includes('LL103'))).toEqual([expect.stringContaining('pkg/good.py:8:13')]);
  }, TIMEOUT);

  it('symbolic-link loops, dangling links and a directory cycle: one line each, the rest checked, no hang', async () => {
    writeTree(dir, { 'src/good.py': LL103_SAMPLE, 'src/sub/clean.py': CLEAN_SAMPLE });
    fs.symlinkSync('loop_b.py', path.join(dir, 'src/loop_a.py'));
    fs.symlinkSync('loop_a.py', path.join(dir, 'src/loop_b.py'));
    fs.symlinkSync('nowhere.py', path.join(dir, 'src/dangling.py'));
    fs.symlinkSync('..', path.join(dir, 'src/sub/up')); // a directory cycle
    fs.symlinkSync('good.py', path.join(dir, 'src/alias.py')); // a good link is checked
    const started = Date.now();
    const r = await runCli(['check', 'src'], dir);
    const named = await runCli(['check', 'src/loop_a.py', 'src/good.py'], dir);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(named.code).toBe(2);
    expect(lines(named.stderr)).toEqual(['error: src/loop_a.py: too many symbolic links encountered']);
    expect(named.stdout).toContain('src/good.py:8:13: LL103');
    expect(r.code).toBe(2);
    const err = expectOneLiners(r.stderr);
    expect(err.filter((l) => l.includes('loop_a.py')).length).toBe(1);
    expect(err.filter((l) => l.includes('loop_b.py')).length).toBe(1);
    expect(err.filter((l) => l.includes('dangling.py'))).toEqual([expect.stringMatching(/^error: .*dangling\.py: cannot read: no such file/)]);
    expect(err.filter((l) => l.includes('loop_'))).toEqual([
      'error: src/loop_a.py: cannot read: too many symbolic links encountered',
      'error: src/loop_b.py: cannot read: too many symbolic links encountered',
    ]);
    expect(lines(r.stdout).filter((l) => l.includes('LL103')).map((l) => l.split(':')[0]).sort()).toEqual(['src/alias.py', 'src/good.py']);
  }, TIMEOUT);

  it('a FIFO named *.py is refused at once (it used to block the CLI forever), the rest checked', async () => {
    writeTree(dir, { 'good.py': LL103_SAMPLE });
    execFileSync('mkfifo', [path.join(dir, 'pipe.py')]);
    const started = Date.now();
    const named = await runCli(['check', 'pipe.py', 'good.py'], dir);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(named.code).toBe(2);
    expect(expectOneLiners(named.stderr).filter((l) => l.startsWith('error'))).toEqual(['error: pipe.py: not a regular file']);
    expect(named.stdout).toContain('good.py:8:13: LL103');
    // Walking the directory leaves the FIFO out.
    const walked = await runCli(['check', '.'], dir);
    expect(walked.code).toBe(1);
    expect(walked.stderr).toBe('');
  }, TIMEOUT);

  it('a broken pyproject.toml: one error line, defaults used, the files still checked', async () => {
    writeTree(dir, {
      'bad_toml/pyproject.toml': '[tool.losslint\nselect = [',
      'bad_toml/loss.py': LL103_SAMPLE,
      'bad_values/pyproject.toml': '[tool.losslint]\nselect = 42\nmax-file-size = "lots"\nbogus = 1\n',
      'bad_values/loss.py': LL103_SAMPLE,
      'binary_toml/pyproject.toml': Buffer.from([0xff, 0xfe, 0x00, 0x5b]),
      'binary_toml/loss.py': LL103_SAMPLE,
    });
    const r = await runCli(['check', 'bad_toml', 'bad_values', 'binary_toml'], dir);
    expect(r.code).toBe(2);
    const err = expectOneLiners(r.stderr).filter((l) => l.startsWith('error'));
    expect(err).toHaveLength(3);
    for (const name of ['bad_toml', 'bad_values', 'binary_toml']) {
      expect(err.filter((l) => l.startsWith(`error: ${name}/pyproject.toml: `))).toHaveLength(1);
    }
    expect(lines(r.stdout).filter((l) => l.includes('LL103'))).toHaveLength(3);
    // A --config that does not exist is the same kind of error.
    const missing = await runCli(['check', '--config', 'nope.toml', 'bad_toml/loss.py'], dir);
    expect(missing.code).toBe(2);
    expect(lines(missing.stderr)).toEqual([expect.stringMatching(/^error: nope\.toml: /)]);
    expect(missing.stdout).toContain('LL103');
  }, TIMEOUT);

  it('invalid UTF-8, an unknown coding, NUL bytes and a directory named *.py', async () => {
    writeTree(dir, {
      'bad_utf8.py': Buffer.concat([Buffer.from(LL103_SAMPLE), Buffer.from([0xc3, 0x28, 0xff])]),
      'bad_coding.py': `# -*- coding: no-such-codec -*-\n${LL103_SAMPLE}`,
      'nul.py': Buffer.concat([Buffer.from(LL103_SAMPLE), Buffer.from([0])]),
      'latin1.py': Buffer.concat([Buffer.from('# -*- coding: latin-1 -*-\n# caf'), Buffer.from([0xe9]), Buffer.from(`\n${LL103_SAMPLE}`)]),
      'dir.py/inner.py': LL103_SAMPLE,
      'good.py': LL103_SAMPLE,
    });
    const r = await runCli(['check', '.'], dir);
    expect(r.code).toBe(2);
    const err = expectOneLiners(r.stderr);
    expect(err.filter((l) => l.startsWith('error'))).toEqual([
      'error: bad_coding.py: unknown encoding "no-such-codec" in the coding declaration',
      'error: bad_utf8.py: not valid UTF-8 text',
    ]);
    expect(err).toContain('nul.py: skipped: binary file (contains NUL bytes)');
    expect(lines(r.stdout).filter((l) => l.includes('LL103')).map((l) => l.split(':')[0])).toEqual(['dir.py/inner.py', 'good.py', 'latin1.py']);
  }, TIMEOUT);

  it('files over the size cap are skipped with one informational message, never read whole', async () => {
    // A file over the default 2 MB cap, and one over a cap of 1 kB set in pyproject.toml.
    const big = `${LL103_SAMPLE}#${'x'.repeat(2_100_000)}\n`;
    writeTree(dir, { 'big/huge.py': big, 'big/good.py': LL103_SAMPLE, 'small/pyproject.toml': '[tool.losslint]\nmax-file-size = "1kB"\n', 'small/loss.py': `${LL103_SAMPLE}${'#\n'.repeat(600)}`, 'small/tiny.py': LL103_SAMPLE });
    // A sparse 3 GB file: reading it whole would take seconds and gigabytes; skipping it takes neither.
    const sparse = path.join(dir, 'big/sparse.py');
    fs.closeSync(fs.openSync(sparse, 'w'));
    fs.truncateSync(sparse, 3 * 1024 ** 3);
    const started = Date.now();
    const r = await runCli(['check', 'big', 'small'], dir);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.code).toBe(1);
    const err = expectOneLiners(r.stderr);
    expect(err).toEqual([
      'big/huge.py: skipped: 2.1 MB exceeds the 2 MB limit (max-file-size)',
      'big/sparse.py: skipped: 3221 MB exceeds the 2 MB limit (max-file-size)',
      'small/loss.py: skipped: 1.4 kB exceeds the 1 kB limit (max-file-size)',
    ]);
    expect(lines(r.stdout).filter((l) => l.includes('LL103')).map((l) => l.split(':')[0])).toEqual(['big/good.py', 'small/tiny.py']);
  }, TIMEOUT);

  it('usage errors and an unwritable output file: exit 2, an error line, no stack trace', async () => {
    writeTree(dir, { 'good.py': LL103_SAMPLE });
    const cases: string[][] = [
      ['check', '--nope', 'good.py'],
      ['check', '--format', 'xml', 'good.py'],
      ['check', '--select', 'LL999', 'good.py'],
      ['check', '--select', '', 'good.py', '--ignore'],
      ['frobnicate'],
      ['rule', 'LL999'],
      ['rule'],
      ['check', '-o', 'good.py/out.json', 'good.py'], // the output's folder is a file
    ];
    for (const args of cases) {
      const r = await runCli(args, dir);
      expect(r.code, args.join(' ')).toBe(2);
      const err = expectOneLiners(r.stderr);
      expect(err[0], args.join(' ')).toMatch(/^error: /);
      // Commander may add one "(Did you mean ...?)" hint line.
      expect(err.length, `${args.join(' ')}: ${r.stderr}`).toBeLessThanOrEqual(2);
    }
  }, TIMEOUT);
});
