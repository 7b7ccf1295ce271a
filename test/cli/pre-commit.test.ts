/**
 * The pre-commit hooks of .pre-commit-hooks.yaml, run by pre-commit itself (Debian's `pre-commit`
 * package, installed by .ci/run) on a fixture repository made here whose .pre-commit-config.yaml
 * pins this checkout (`repo:` its path, `rev:` its HEAD commit, which pre-commit clones).
 *
 * - `losslint-system` always: it runs the `losslint` on the PATH, here the built dist/cli.js.
 * - `losslint` (scripts/pre-commit-hook.sh builds LossLint in pre-commit's clone: `npm ci`, about a
 *   minute from npm's cache) only with LOSSLINT_PRECOMMIT_INSTALL=1.
 *
 * pre-commit reads the hooks from the commit, so an edit of .pre-commit-hooks.yaml must be
 * committed before this test means anything; the test says so instead of testing the old file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLEAN_SAMPLE, CLI, LL103_SAMPLE, REPO, tempDir, writeTree } from './helpers';

// pre-commit clones the hook repository and starts the CLI per run: seconds each on a loaded machine.
vi.setConfig({ testTimeout: 120_000 });

const hasPreCommit = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' }).status === 0;
const isCheckout = spawnSync('git', ['-C', REPO, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).status === 0;

const NOTEBOOK = fs.readFileSync(path.join(REPO, 'test/fixtures/notebooks/wrong_focal.ipynb'), 'utf8');

let home: string;
let bin: string;

beforeAll(() => {
  if (!hasPreCommit || !isCheckout) return;
  home = tempDir('losslint-pre-commit-home-');
  // The `losslint` command of the system hook: this checkout's build.
  bin = path.join(home, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'losslint'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
});

afterAll(() => {
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } }).trim();
}

/** A fresh repository holding `files`, staged, whose .pre-commit-config.yaml uses hook `id` of this checkout. */
function fixtureRepository(id: string, files: Record<string, string>, args: string[] = []): string {
  const root = tempDir('losslint-pre-commit-');
  git(root, 'init', '-q');
  const rev = git(REPO, 'rev-parse', 'HEAD');
  const config = ['repos:', `  - repo: ${REPO}`, `    rev: ${rev}`, '    hooks:', `      - id: ${id}`, ...(args.length ? [`        args: [${args.join(', ')}]`] : [])];
  writeTree(root, { ...files, '.pre-commit-config.yaml': `${config.join('\n')}\n` });
  git(root, 'add', '-A');
  return root;
}

function preCommit(root: string, id: string, timeout = 120_000): { status: number | null; output: string } {
  const r = spawnSync('pre-commit', ['run', id, '--all-files', '--color', 'never'], {
    cwd: root,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, PRE_COMMIT_HOME: path.join(home, 'cache'), PATH: `${bin}${path.delimiter}${process.env.PATH}`, GIT_CONFIG_GLOBAL: '/dev/null' },
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const FILES = {
  'src/loss.py': LL103_SAMPLE,
  'src/clean.py': CLEAN_SAMPLE,
  'notebooks/experiment.ipynb': NOTEBOOK,
  // Not Python by name: pre-commit's `types_or` keeps it away from the hook (losslint would check a file it is given).
  'notes/loss.txt': LL103_SAMPLE,
};

describe.skipIf(!hasPreCommit || !isCheckout)('pre-commit hooks (.pre-commit-hooks.yaml)', () => {
  it('has the committed .pre-commit-hooks.yaml under test', () => {
    const committed = git(REPO, 'show', 'HEAD:.pre-commit-hooks.yaml');
    expect(committed, 'commit .pre-commit-hooks.yaml: pre-commit reads it from HEAD').toBe(fs.readFileSync(path.join(REPO, '.pre-commit-hooks.yaml'), 'utf8').trim());
    expect(spawnSync('pre-commit', ['validate-manifest', path.join(REPO, '.pre-commit-hooks.yaml')]).status).toBe(0);
  });

  it('fails on the staged Python file and notebook with findings, and only on those', () => {
    const root = fixtureRepository('losslint-system', FILES);
    try {
      const r = preCommit(root, 'losslint-system');
      expect(r.output).toMatch(/^losslint \(installed\)\.+Failed$/m);
      expect(r.output).toContain(`${path.join('notebooks', 'experiment.ipynb')}:cell 4:5:13: LL103 `);
      expect(r.output).toContain(`${path.join('src', 'loss.py')}:8:13: LL103 `);
      expect(r.output).not.toContain('loss.txt');
      expect(r.output).toContain('Found 2 problems (2 fixable with --fix).');
      expect(r.status).toBe(1);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("passes when the project's exclude covers the staged files (--force-exclude)", () => {
    const root = fixtureRepository('losslint-system', { ...FILES, 'pyproject.toml': '[tool.losslint]\nextend-exclude = ["notebooks/", "src/loss.py"]\n' });
    try {
      const r = preCommit(root, 'losslint-system');
      expect(r.output).toMatch(/^losslint \(installed\)\.+Passed$/m);
      expect(r.status).toBe(0);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('fixes the files with args: [--fix], which pre-commit reports as modified', () => {
    const root = fixtureRepository('losslint-system', FILES, ['--fix']);
    try {
      const r = preCommit(root, 'losslint-system');
      expect(r.output).toContain('files were modified by this hook');
      expect(r.status).toBe(1);
      expect(fs.readFileSync(path.join(root, 'src/loss.py'), 'utf8')).toContain('(1 - pt).clamp(min=1e-6) ** gamma');
      const notebook = JSON.parse(fs.readFileSync(path.join(root, 'notebooks/experiment.ipynb'), 'utf8'));
      expect(notebook.cells[3].source.join('')).toContain('(1 - pt).clamp(min=1e-6) ** gamma');
      git(root, 'add', '-A');
      expect(preCommit(root, 'losslint-system')).toMatchObject({ status: 0 });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it.skipIf(process.env.LOSSLINT_PRECOMMIT_INSTALL !== '1')(
    'installs and builds LossLint in its clone for the `losslint` hook (LOSSLINT_PRECOMMIT_INSTALL=1)',
    () => {
      const root = fixtureRepository('losslint', FILES);
      try {
        const r = preCommit(root, 'losslint', 600_000);
        expect(r.output).toMatch(/^losslint\.+Failed$/m);
        expect(r.output).toContain(`${path.join('notebooks', 'experiment.ipynb')}:cell 4:5:13: LL103 `);
        expect(r.status).toBe(1);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
    660_000,
  );
});
