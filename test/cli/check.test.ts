/**
 * `losslint check` end to end: the built CLI on temporary projects. Covers the text format, exit
 * codes, directory walking (.gitignore, exclude), configuration precedence, per-file-ignores,
 * broken configuration, unreadable and odd files, the size cap and --fix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLEAN_SAMPLE, LL103_SAMPLE, lines, runCli, tempDir, writeTree } from './helpers';

// Each test starts the CLI one or more times; a loaded 2-core CI machine needs more than 5 s.
vi.setConfig({ testTimeout: 60_000 });

const LL103_LINE = /^(.+):8:13: LL103 \S.*$/;

let root: string;

beforeEach(() => {
  root = tempDir();
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('text output and exit codes', () => {
  it('reports LL103 at 1-based line:col with a summary, exit 1', async () => {
    writeTree(root, { 'loss.py': LL103_SAMPLE });
    const r = await runCli(['check', 'loss.py'], root);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout)).toEqual([expect.stringMatching(LL103_LINE), 'Found 1 problem (1 fixable with --fix).']);
    expect(r.stdout.startsWith('loss.py:8:13: LL103 ')).toBe(true);
    expect(r.code).toBe(1);
  });

  it('says all checks passed and exits 0 on clean code', async () => {
    writeTree(root, { 'loss.py': CLEAN_SAMPLE });
    const r = await runCli(['check', 'loss.py'], root);
    expect(r).toEqual({ code: 0, stdout: 'All checks passed!\n', stderr: '' });
  });

  it('exits 0 with --exit-zero but still prints the findings', async () => {
    writeTree(root, { 'loss.py': LL103_SAMPLE });
    const r = await runCli(['check', '--exit-zero', 'loss.py'], root);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^loss\.py:8:13: LL103 /);
  });

  it('walks the current directory by default, in path order, counting every problem', async () => {
    writeTree(root, { 'b.py': LL103_SAMPLE, 'a/z.py': LL103_SAMPLE, 'a/clean.py': CLEAN_SAMPLE, 'notes.txt': LL103_SAMPLE });
    const r = await runCli(['check'], root);
    const out = lines(r.stdout);
    expect(out.map((l) => l.split(':')[0])).toEqual([path.join('a', 'z.py'), 'b.py', 'Found 2 problems (2 fixable with --fix).']);
    expect(r.code).toBe(1);
  });

  it('says so and exits 2 when there is no Python file or notebook to check', async () => {
    writeTree(root, { 'README.md': '# x\n' });
    expect(await runCli(['check'], root)).toEqual({
      code: 2,
      stdout: 'No problems found, but 1 error (see above) kept some files from being checked.\n',
      stderr: 'error: no Python files or notebooks found under .\n',
    });
  });

  it('honours .gitignore, hidden folders and virtual environments', async () => {
    writeTree(root, {
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.gitignore': 'build/\n*_gen.py\n',
      'pkg/.gitignore': '!keep_gen.py\n',
      'build/x.py': LL103_SAMPLE,
      'pkg/model_gen.py': LL103_SAMPLE,
      'pkg/keep_gen.py': LL103_SAMPLE,
      '.hidden/x.py': LL103_SAMPLE,
      'env/pyvenv.cfg': 'home = /usr\n',
      'env/lib/x.py': LL103_SAMPLE,
      'node_modules/x.py': LL103_SAMPLE,
      'src/loss.py': LL103_SAMPLE,
    });
    const r = await runCli(['check', '.'], root);
    expect(lines(r.stdout).map((l) => l.split(':')[0])).toEqual([
      path.join('pkg', 'keep_gen.py'),
      path.join('src', 'loss.py'),
      'Found 2 problems (2 fixable with --fix).',
    ]);
  });

  it('checks a file named on the command line even when it is excluded, unless --force-exclude', async () => {
    writeTree(root, { 'pyproject.toml': '[tool.losslint]\nextend-exclude = ["legacy.py"]\n', 'legacy.py': LL103_SAMPLE });
    expect((await runCli(['check', 'legacy.py'], root)).code).toBe(1);
    expect(await runCli(['check', '--force-exclude', 'legacy.py'], root)).toMatchObject({ code: 0, stdout: 'All checks passed!\n' });
    // The directory holds nothing left to check: that is said, and is an error (a misconfiguration, or the wrong path).
    expect(await runCli(['check', '.'], root)).toMatchObject({ code: 2, stderr: 'error: no Python files or notebooks found under .\n' });
  });
});

describe('configuration', () => {
  it('applies [tool.losslint] ignore, and --select overrides it', async () => {
    writeTree(root, { 'pyproject.toml': '[tool.losslint]\nignore = ["LL103"]\n', 'src/loss.py': LL103_SAMPLE });
    expect(await runCli(['check'], root)).toMatchObject({ code: 0, stdout: 'All checks passed!\n' });
    const r = await runCli(['check', '--select', 'LL103'], root);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^src\/loss\.py:8:13: LL103 /);
  });

  it('lets --ignore turn off a rule the project selects', async () => {
    writeTree(root, { 'pyproject.toml': '[tool.losslint]\nselect = ["LL1"]\n', 'loss.py': LL103_SAMPLE });
    expect((await runCli(['check'], root)).code).toBe(1);
    expect((await runCli(['check', '--ignore', 'll103'], root)).code).toBe(0);
  });

  it('uses the nearest pyproject.toml for each file, and its severity overrides', async () => {
    writeTree(root, {
      'pyproject.toml': '[tool.losslint.severity]\nLL103 = "off"\n',
      'a/loss.py': LL103_SAMPLE,
      'b/pyproject.toml': '[tool.losslint.severity]\nLL103 = "hint"\n',
      'b/loss.py': LL103_SAMPLE,
    });
    const r = await runCli(['check', '--format', 'json'], root);
    const findings = JSON.parse(r.stdout) as { path: string; severity: string }[];
    expect(findings.map((f) => [f.path, f.severity])).toEqual([[path.join('b', 'loss.py'), 'hint']]);
  });

  it('applies per-file-ignores by glob', async () => {
    writeTree(root, {
      'pyproject.toml': '[tool.losslint.per-file-ignores]\n"tests/*" = ["LL103"]\n',
      'tests/test_loss.py': LL103_SAMPLE,
      'src/loss.py': LL103_SAMPLE,
    });
    const r = await runCli(['check'], root);
    expect(lines(r.stdout)).toEqual([expect.stringMatching(/^src\/loss\.py:8:13: LL103 /), 'Found 1 problem (1 fixable with --fix).']);
  });

  it('excludes with exclude and extend-exclude globs relative to the configuration', async () => {
    writeTree(root, {
      'pyproject.toml': '[tool.losslint]\nextend-exclude = ["generated/", "*_old.py"]\n',
      'generated/a.py': LL103_SAMPLE,
      'src/loss_old.py': LL103_SAMPLE,
      'src/loss.py': LL103_SAMPLE,
      'dist/x.py': LL103_SAMPLE,
    });
    expect(lines((await runCli(['check'], root)).stdout)[0]).toMatch(/^src\/loss\.py:/);
    // `exclude` replaces the default exclusions (dist/ among them), as in ruff.
    fs.writeFileSync(path.join(root, 'pyproject.toml'), '[tool.losslint]\nexclude = ["src/"]\n');
    const r = await runCli(['check'], root);
    expect(lines(r.stdout).map((l) => l.split(':')[0])).toEqual([
      path.join('dist', 'x.py'),
      path.join('generated', 'a.py'),
      'Found 2 problems (2 fixable with --fix).',
    ]);
  });

  it('reports a broken pyproject.toml once, uses the defaults and checks everything, exit 2', async () => {
    writeTree(root, {
      'pyproject.toml': '[tool.losslint]\nignore = ["LL103"\n',
      'a.py': LL103_SAMPLE,
      'b/c.py': LL103_SAMPLE,
    });
    const r = await runCli(['check'], root);
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(/^error: pyproject\.toml: \[tool\.losslint\] ignored, using defaults: invalid TOML at line 3/),
    ]);
    expect(lines(r.stdout).slice(0, 2)).toEqual([expect.stringMatching(/^a\.py:8:13: LL103 /), expect.stringMatching(/^b\/c\.py:8:13: LL103 /)]);
    expect(r.code).toBe(2);
  });

  it('names every problem of an invalid table on one line', async () => {
    writeTree(root, { 'pyproject.toml': '[tool.losslint]\nstrict = "yes"\nmax-file-size = "huge"\n', 'a.py': CLEAN_SAMPLE });
    const r = await runCli(['check'], root);
    expect(r.stderr).toBe(
      'error: pyproject.toml: [tool.losslint] ignored, using defaults: tool.losslint.strict: expected true or false, found the string "yes"; ' +
        'tool.losslint.max-file-size: expected a number of bytes or a size such as "2MB", found the string "huge"\n',
    );
    expect(r.code).toBe(2);
  });

  it('uses --config for every path', async () => {
    writeTree(root, { 'conf/losslint.toml': '[tool.losslint]\nignore = ["LL103"]\n', 'loss.py': LL103_SAMPLE });
    expect((await runCli(['check', '--config', 'conf/losslint.toml'], root)).code).toBe(0);
  });

  it('skips files over max-file-size with one informational line', async () => {
    writeTree(root, { 'pyproject.toml': '[tool.losslint]\nmax-file-size = "200B"\n', 'big.py': LL103_SAMPLE, 'small.py': 'x = 1\n' });
    const r = await runCli(['check'], root);
    expect(r.stderr).toBe(`big.py: skipped: ${Buffer.byteLength(LL103_SAMPLE)} bytes exceeds the 200 bytes limit (max-file-size)\n`);
    expect(r).toMatchObject({ code: 0, stdout: 'All checks passed!\n' });
  });
});

describe('paths and files that cannot be checked', () => {
  it('reports a missing path on one line, checks the rest, exit 2', async () => {
    writeTree(root, { 'loss.py': LL103_SAMPLE });
    const r = await runCli(['check', 'nope.py', 'loss.py'], root);
    expect(r.stderr).toBe('error: nope.py: no such file or directory\n');
    expect(r.stdout).toMatch(/^loss\.py:8:13: LL103 /);
    expect(r.code).toBe(2);
  });

  it('skips a binary file and reports invalid UTF-8 without crashing', async () => {
    writeTree(root, { 'blob.py': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]), 'ok.py': CLEAN_SAMPLE });
    const skipped = await runCli(['check'], root);
    expect(skipped).toEqual({ code: 0, stdout: 'All checks passed!\n', stderr: 'blob.py: skipped: binary file (contains NUL bytes)\n' });

    writeTree(root, { 'latin.py': Buffer.from('x = "caf\xe9"\n', 'latin1') });
    const invalid = await runCli(['check'], root);
    expect(invalid.stderr).toContain('error: latin.py: not valid UTF-8 text\n');
    expect(invalid.code).toBe(2);

    // With a PEP 263 declaration the same bytes are valid Python.
    writeTree(root, { 'latin.py': Buffer.from('# -*- coding: latin-1 -*-\nx = "caf\xe9"\n', 'latin1') });
    expect((await runCli(['check'], root)).code).toBe(0);
  });

  it.skipIf(process.platform === 'win32')('reports a symlink loop and does not follow directory links', async () => {
    writeTree(root, { 'src/loss.py': LL103_SAMPLE });
    fs.symlinkSync('loop.py', path.join(root, 'loop.py'));
    fs.symlinkSync(root, path.join(root, 'src', 'up'));
    const r = await runCli(['check'], root);
    expect(r.stderr).toBe('error: loop.py: cannot read: too many symbolic links encountered\n');
    expect(lines(r.stdout)).toEqual([expect.stringMatching(/^src\/loss\.py:8:13/), 'Found 1 problem (1 fixable with --fix). 1 error (see above).']);
    expect(r.code).toBe(2);
  });

  it('warns where a file is not Python as parsed, keeps its other findings, and leaves the exit code to them', async () => {
    // A statement tree-sitter cannot parse, after the loss; and a dedent Python refuses
    // (IndentationError) that tree-sitter reads without error.
    const broken = `${LL103_SAMPLE}\n\ndef helper(x:\n    return x\n`;
    const dedent = 'import torch\n\n\nclass Loss(torch.nn.Module):\n  def forward(self, x):\n      """Doc."""\n    return torch.sigmoid(x)\n';
    writeTree(root, { 'broken.py': broken, 'dedent.py': dedent, 'ok.py': CLEAN_SAMPLE });
    for (const jobs of ['1', '2']) {
      const r = await runCli(['check', '-j', jobs], root);
      expect(lines(r.stderr), `-j ${jobs}`).toEqual([
        expect.stringMatching(/^warning: broken\.py:11:\d+: could not parse this statement \(.*\); it was not analysed; the findings of this file may be incomplete$/),
        'warning: dedent.py:7:1: unindent does not match any outer indentation level (Python raises IndentationError here); the findings of this file may be incomplete',
      ]);
      expect(r.stdout, `-j ${jobs}`).toMatch(/^broken\.py:8:13: LL103 /);
      expect(r.code, `-j ${jobs}`).toBe(1);
    }
    // Only the warnings for a file with nothing else to report: exit 0, JSON output unchanged.
    const json = await runCli(['check', '--format', 'json', 'dedent.py'], root);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    expect(json.stderr).toContain('dedent.py:7:1: unindent does not match');
  });

  it('rejects usage errors with exit 2 and one line', async () => {
    for (const args of [['check', '--format', 'xml'], ['check', '--select', 'LL999'], ['check', '--backend', 'tpu'], ['check', '--bogus']]) {
      const r = await runCli(args, root);
      expect(r.code, args.join(' ')).toBe(2);
      expect(lines(r.stderr), args.join(' ')).toEqual([expect.stringMatching(/^error: /)]);
    }
  });

  it('accepts --numeric and --backend and still reports static findings', async () => {
    writeTree(root, { 'loss.py': LL103_SAMPLE });
    const r = await runCli(['check', '--numeric', '--backend', 'cpu', 'loss.py'], root);
    expect(r.stdout).toMatch(/^loss\.py:8:13: LL103 /);
    expect(r.code).toBe(1);
  });
});

describe('--fix', () => {
  it('rewrites the file with the safe fix, then a second run is clean', async () => {
    writeTree(root, { 'loss.py': LL103_SAMPLE, 'other.py': CLEAN_SAMPLE });
    const r = await runCli(['check', '--fix'], root);
    expect(r).toMatchObject({ code: 0, stdout: 'Found 1 problem (1 fixed, 0 remaining).\n', stderr: '' });
    const fixed = fs.readFileSync(path.join(root, 'loss.py'), 'utf8');
    expect(fixed).not.toBe(LL103_SAMPLE);
    expect(fixed.split('\n').slice(0, 7)).toEqual(LL103_SAMPLE.split('\n').slice(0, 7));
    expect(fixed).toMatch(/clamp/);
    expect(fs.readFileSync(path.join(root, 'other.py'), 'utf8')).toBe(CLEAN_SAMPLE);
    expect(await runCli(['check'], root)).toEqual({ code: 0, stdout: 'All checks passed!\n', stderr: '' });
  });

  it('keeps a byte order mark and CRLF line endings', async () => {
    writeTree(root, { 'loss.py': `\uFEFF${LL103_SAMPLE.replace(/\n/g, '\r\n')}` });
    expect((await runCli(['check', '--fix'], root)).code).toBe(0);
    const bytes = fs.readFileSync(path.join(root, 'loss.py'));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8').split('\r\n')).toHaveLength(LL103_SAMPLE.split('\n').length);
  });
});

describe('--output-file', () => {
  it('writes the report to the file and nothing to stdout', async () => {
    writeTree(root, { 'loss.py': LL103_SAMPLE });
    const r = await runCli(['check', '-o', 'out/report.txt'], root);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(fs.readFileSync(path.join(root, 'out/report.txt'), 'utf8')).toMatch(/^loss\.py:8:13: LL103 .*\nFound 1 problem/);
  });
});
