/**
 * Jupyter notebooks in the built CLI: `check` on .ipynb files named or found in directories, the
 * code cells analysed as one module, positions by cell in text, JSON and SARIF, `--fix` writing
 * the notebook back byte for byte outside the fixed cell, broken notebooks reported and left
 * alone, `--numeric` and `probe` on functions defined in notebooks, and the exit code when a path
 * holds nothing to check. Fixtures: test/fixtures/notebooks/ (nbformat's own layout, except
 * wrong_focal_strings.ipynb: two-space indentation, sources as single strings, no final newline).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Sarif from 'sarif';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLEAN_SAMPLE, LL103_SAMPLE, lines, runCli, sarifValidator, tempDir, writeTree } from './helpers';

vi.setConfig({ testTimeout: 60_000 });

const FIXTURES = path.resolve(__dirname, '../fixtures/notebooks');

function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** The LL103 of the wrong twins: cell 4 (a markdown cell comes first), line 5, `(1 - pt)` at columns 13-21. */
const LL103_IN_CELL = /^wrong_focal(_strings)?\.ipynb:cell 4:5:13: LL103 `1 - pt` raised to gamma=0\.5 /;

/** A notebook of code cells (nbformat's layout: one-space indentation, sources as lists of lines). */
function notebook(...cells: string[]): string {
  const toLines = (s: string) => s.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const json = {
    cells: cells.map((source, i) => ({ cell_type: 'code', execution_count: i + 1, metadata: {}, outputs: [], source: toLines(source) })),
    metadata: { language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return `${JSON.stringify(json, null, 1)}\n`;
}

// `nnf` is no conventional name: without its import it means nothing.
const IMPORTS = 'import torch\nimport torch.nn.functional as nnf\n';
const CONSTANT = 'GAMMA = 0.5\n';
const LOSS = [
  'def focal_loss(logits, targets, gamma=GAMMA):',
  '    ce = nnf.cross_entropy(logits, targets, reduction="none")',
  '    pt = torch.exp(-ce)',
  '    return ((1 - pt) ** gamma * ce).mean()',
  '',
].join('\n');

let root: string;

beforeEach(() => {
  root = tempDir();
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('check on notebooks', () => {
  it('reports the wrong twin by cell, line and column (ruff: path:cell N:line:col), and passes the right twin', async () => {
    writeTree(root, { 'wrong_focal.ipynb': fixture('wrong_focal.ipynb'), 'right_focal.ipynb': fixture('right_focal.ipynb') });
    const wrong = await runCli(['check', 'wrong_focal.ipynb'], root);
    expect(wrong.stderr).toBe('');
    expect(lines(wrong.stdout)).toEqual([expect.stringMatching(LL103_IN_CELL), 'Found 1 problem (1 fixable with --fix).']);
    expect(wrong.code).toBe(1);
    expect(await runCli(['check', 'right_focal.ipynb'], root)).toEqual({ code: 0, stdout: 'All checks passed!\n', stderr: '' });
  });

  it('analyses the code cells as one module: imports in one cell, the constant in another, the loss in a third', async () => {
    writeTree(root, {
      'together.ipynb': notebook(IMPORTS, CONSTANT, LOSS),
      'alone.ipynb': notebook(LOSS),
      'no_constant.ipynb': notebook(IMPORTS, LOSS),
      'imports_last.ipynb': notebook(CONSTANT, LOSS, IMPORTS),
    });
    const r = await runCli(['check', '.'], root);
    // Alone, `nnf` and GAMMA mean nothing; without the constant's cell gamma is unknown: nothing is
    // reported. The imports may come in a later cell, as in a module: a function body reads its
    // globals when it runs.
    expect(lines(r.stdout)).toEqual([
      expect.stringMatching(/^imports_last\.ipynb:cell 2:4:13: LL103 `1 - pt` raised to gamma=0\.5 /),
      expect.stringMatching(/^together\.ipynb:cell 3:4:13: LL103 `1 - pt` raised to gamma=0\.5 /),
      'Found 2 problems (2 fixable with --fix).',
    ]);
  });

  it('reads the layout of other writers: two-space indentation and sources as strings', async () => {
    writeTree(root, { 'wrong_focal_strings.ipynb': fixture('wrong_focal_strings.ipynb') });
    const r = await runCli(['check', 'wrong_focal_strings.ipynb'], root);
    expect(lines(r.stdout)[0]).toMatch(LL103_IN_CELL);
  });

  it('walks directories for notebooks next to Python files, honouring exclude, in path order', async () => {
    writeTree(root, {
      'a.py': LL103_SAMPLE,
      'nb/wrong_focal.ipynb': fixture('wrong_focal.ipynb'),
      'nb/.ipynb_checkpoints/wrong_focal-checkpoint.ipynb': fixture('wrong_focal.ipynb'),
      'old/wrong_focal.ipynb': fixture('wrong_focal.ipynb'),
      'pyproject.toml': '[tool.losslint]\nextend-exclude = ["old/"]\n',
    });
    const r = await runCli(['check'], root);
    expect(lines(r.stdout).map((l) => l.split(':').slice(0, 2).join(':'))).toEqual([
      'a.py:8',
      `${path.join('nb', 'wrong_focal.ipynb')}:cell 4`,
      'Found 2 problems (2 fixable with --fix).',
    ]);
  });

  it('checks only the files `include` names, and more with `extend-include`', async () => {
    writeTree(root, { 'loss.py': LL103_SAMPLE, 'wrong_focal.ipynb': fixture('wrong_focal.ipynb'), 'loss.pyw': LL103_SAMPLE });
    fs.writeFileSync(path.join(root, 'pyproject.toml'), '[tool.losslint]\ninclude = ["*.py"]\n');
    expect(lines((await runCli(['check'], root)).stdout).map((l) => l.split(':')[0])).toEqual(['loss.py', 'Found 1 problem (1 fixable with --fix).']);
    fs.writeFileSync(path.join(root, 'pyproject.toml'), '[tool.losslint]\nextend-include = ["*.pyw"]\n');
    expect(lines((await runCli(['check'], root)).stdout).map((l) => l.split(':')[0])).toEqual([
      'loss.py',
      'loss.pyw',
      'wrong_focal.ipynb',
      'Found 3 problems (3 fixable with --fix).',
    ]);
  });

  it('gives the same output with worker threads as in one thread', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 6; i++) {
      files[`n${i}.ipynb`] = fixture(i % 2 ? 'wrong_focal.ipynb' : 'right_focal.ipynb');
      files[`p${i}.py`] = i % 3 ? LL103_SAMPLE : CLEAN_SAMPLE;
    }
    writeTree(root, files);
    const one = await runCli(['check', '-j', '1', '--format', 'json'], root);
    const two = await runCli(['check', '-j', '2', '--format', 'json'], root);
    expect(two).toEqual(one);
    expect(JSON.parse(one.stdout).filter((f: { cell?: number }) => f.cell === 4)).toHaveLength(3);
  });

  it('skips markdown, raw and non-Python cells and masks magics: findings keep their columns', async () => {
    // A Python-looking `(1 - pt) ** 0.5` sits in a raw cell and a %%bash cell of the fixture; the
    // magics (%matplotlib, !pip, %%time, focal_loss?) would be syntax errors if they were not masked.
    writeTree(root, { 'nb.ipynb': notebook(`%matplotlib inline\n!pip install torch\n${IMPORTS}${CONSTANT}`, `%%time\nx = 1\nx?\n${LOSS}`) });
    const r = await runCli(['check', 'nb.ipynb'], root);
    expect(lines(r.stdout)[0]).toMatch(/^nb\.ipynb:cell 2:7:13: LL103 /);
  });
});

describe('notebook locations in JSON and SARIF', () => {
  it('puts `cell` next to line and column in JSON, fix edits included', async () => {
    writeTree(root, { 'wrong_focal.ipynb': fixture('wrong_focal.ipynb') });
    const [finding] = JSON.parse((await runCli(['check', '--format', 'json'], root)).stdout);
    expect(finding).toMatchObject({ code: 'LL103', path: 'wrong_focal.ipynb', cell: 4, line: 5, column: 13, endLine: 5, endColumn: 21 });
    expect(Object.keys(finding).slice(0, 7)).toEqual(['code', 'name', 'path', 'cell', 'line', 'column', 'endLine']);
    expect(finding.fix.edits).toEqual([{ cell: 4, line: 5, column: 13, endLine: 5, endColumn: 21, newText: '(1 - pt).clamp(min=1e-6)' }]);
  });

  it.each(['wrong_focal.ipynb', 'wrong_focal_strings.ipynb'])(
    'locates the finding of %s in the .ipynb text itself in valid SARIF, naming the cell',
    async (name) => {
      writeTree(root, { [name]: fixture(name) });
      const r = await runCli(['check', '--format', 'sarif'], root);
      const log = JSON.parse(r.stdout) as Sarif.Log;
      const validate = sarifValidator();
      expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
      const [result] = log.runs[0].results!;
      const location = result.locations![0];
      expect(location.physicalLocation!.artifactLocation).toEqual({ uri: name, uriBaseId: '%SRCROOT%' });
      expect(location.properties).toEqual({ cell: 4, cellRegion: { startLine: 5, startColumn: 13, endLine: 5, endColumn: 21 } });
      // The region is where `(1 - pt)` is written in the file (GitHub shows that line of the .ipynb).
      const region = location.physicalLocation!.region!;
      const fileLines = fixture(name).split('\n');
      expect(region.startLine).toBe(region.endLine);
      expect(fileLines[region.startLine! - 1].slice(region.startColumn! - 1, region.endColumn! - 1)).toBe('(1 - pt)');
      // Applying the SARIF fix to the file's text gives valid JSON with the fixed source.
      const [replacement] = result.fixes![0].artifactChanges[0].replacements;
      const line = fileLines[replacement.deletedRegion.startLine! - 1];
      fileLines[replacement.deletedRegion.startLine! - 1] =
        line.slice(0, replacement.deletedRegion.startColumn! - 1) + replacement.insertedContent!.text + line.slice(replacement.deletedRegion.endColumn! - 1);
      const fixed = JSON.parse(fileLines.join('\n'));
      expect([fixed.cells[3].source].flat().join('')).toContain('((1 - pt).clamp(min=1e-6) ** gamma * ce)');
    },
  );
});

describe('--fix on notebooks', () => {
  it.each(['wrong_focal.ipynb', 'wrong_focal_strings.ipynb'])('rewrites only the fixed cell of %s; every other byte stays', async (name) => {
    writeTree(root, { [name]: fixture(name) });
    const before = fixture(name);
    const r = await runCli(['check', '--fix', name], root);
    expect(r).toMatchObject({ code: 0, stdout: 'Found 1 problem (1 fixed, 0 remaining).\n', stderr: '' });
    const after = fs.readFileSync(path.join(root, name), 'utf8');
    // One line changed, in place: outputs, execution counts, metadata, ids, indentation and the end of file are as they were.
    const [a, b] = [before.split('\n'), after.split('\n')];
    expect(b.length).toBe(a.length);
    const changed = b.flatMap((line, i) => (line === a[i] ? [] : [i]));
    expect(changed).toHaveLength(1);
    const i = changed[0];
    expect(b[i]).toBe(a[i].replace('((1 - pt) ** gamma', '((1 - pt).clamp(min=1e-6) ** gamma'));
    expect(after.endsWith('\n')).toBe(before.endsWith('\n'));
    // Valid nbformat that a second run finds clean.
    expect(JSON.parse(after).nbformat).toBe(4);
    expect(await runCli(['check', name], root)).toEqual({ code: 0, stdout: 'All checks passed!\n', stderr: '' });
  });

  it('keeps a byte order mark and CRLF line breaks of the file', async () => {
    const crlf = `\uFEFF${fixture('wrong_focal.ipynb').replace(/\n/g, '\r\n')}`;
    writeTree(root, { 'nb.ipynb': crlf });
    expect((await runCli(['check', '--fix', 'nb.ipynb'], root)).code).toBe(0);
    const after = fs.readFileSync(path.join(root, 'nb.ipynb'), 'utf8');
    expect(after).toBe(crlf.replace('((1 - pt) ** gamma', '((1 - pt).clamp(min=1e-6) ** gamma'));
  });
});

describe('notebooks that cannot be checked', () => {
  it('reports a notebook that is not valid JSON (exit 2) and leaves it untouched under --fix', async () => {
    writeTree(root, { 'broken.ipynb': fixture('broken.ipynb'), 'loss.py': LL103_SAMPLE });
    const r = await runCli(['check', '--fix', '.'], root);
    expect(r.stderr).toBe('error: broken.ipynb: not a valid notebook: invalid JSON at line 6, column 3 (comma expected)\n');
    expect(r.code).toBe(2);
    expect(fs.readFileSync(path.join(root, 'broken.ipynb'), 'utf8')).toBe(fixture('broken.ipynb'));
    // The rest is still checked and fixed.
    expect(fs.readFileSync(path.join(root, 'loss.py'), 'utf8')).toContain('clamp');
  });

  it('reports an nbformat 3 notebook and a file that is not UTF-8', async () => {
    writeTree(root, { 'old.ipynb': '{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}\n', 'latin.ipynb': Buffer.from([0x7b, 0xe9, 0x7d]) });
    const r = await runCli(['check', '.'], root);
    expect(r.stderr.split('\n').filter(Boolean).sort()).toEqual([
      'error: latin.ipynb: not a valid notebook: not UTF-8 text',
      'error: old.ipynb: not an nbformat 4 notebook (nbformat 3)',
    ]);
    expect(r.code).toBe(2);
  });

  it('passes a notebook with no code cells, and skips one in another language', async () => {
    const r = notebook('x <- 1\n').replace('"name": "python"', '"name": "R"');
    writeTree(root, { 'no_code.ipynb': fixture('no_code.ipynb'), 'r.ipynb': r });
    expect(await runCli(['check', 'no_code.ipynb'], root)).toEqual({ code: 0, stdout: 'All checks passed!\n', stderr: '' });
    expect(await runCli(['check', '--fix', 'no_code.ipynb'], root)).toEqual({ code: 0, stdout: 'All checks passed!\n', stderr: '' });
    expect(fs.readFileSync(path.join(root, 'no_code.ipynb'), 'utf8')).toBe(fixture('no_code.ipynb'));
    expect(await runCli(['check', 'r.ipynb'], root)).toEqual({
      code: 0,
      stdout: 'All checks passed!\n',
      stderr: 'r.ipynb: skipped: not a Python notebook (language: R)\n',
    });
  });
});

describe('nothing to check', () => {
  it('says so and exits 2 for a directory with no Python file or notebook', async () => {
    writeTree(root, { 'README.md': '# x\n', 'data/x.csv': '1\n' });
    expect(await runCli(['check', 'data'], root)).toEqual({
      code: 2,
      stdout: 'No problems found, but 1 error (see above) kept some files from being checked.\n',
      stderr: 'error: no Python files or notebooks found under data\n',
    });
  });

  it('warns about one empty directory among others that hold files, without failing', async () => {
    writeTree(root, { 'src/loss.py': CLEAN_SAMPLE, 'docs/index.md': '# x\n' });
    expect(await runCli(['check', 'src', 'docs'], root)).toEqual({
      code: 0,
      stdout: 'All checks passed!\n',
      stderr: 'warning: no Python files or notebooks found under docs\n',
    });
  });

  it('exits 0 when every file named is excluded on purpose (--force-exclude, as pre-commit runs it)', async () => {
    writeTree(root, { 'pyproject.toml': '[tool.losslint]\nextend-exclude = ["legacy/"]\n', 'legacy/nb.ipynb': fixture('wrong_focal.ipynb') });
    expect(await runCli(['check', '--force-exclude', 'legacy/nb.ipynb'], root)).toEqual({
      code: 0,
      stdout: 'All checks passed!\n',
      stderr: 'every file given is excluded by the configuration (--force-exclude)\n',
    });
  });
});

describe('numeric probes of notebook functions', () => {
  it('confirms the finding with --numeric, and probes nb.ipynb::focal_loss', async () => {
    writeTree(root, { 'wrong_focal.ipynb': fixture('wrong_focal.ipynb') });
    const checked = await runCli(['check', '--numeric', '--backend', 'cpu', 'wrong_focal.ipynb'], root);
    expect(lines(checked.stdout)[0]).toMatch(LL103_IN_CELL);
    expect(lines(checked.stdout)[0]).toMatch(/confirmed by a numeric probe/);
    const probed = await runCli(['probe', 'wrong_focal.ipynb::focal_loss', '--backend', 'cpu', '--samples', '256'], root);
    expect(probed.code).toBe(1);
    expect(probed.stdout).toMatch(/^focal_loss: softmax focal loss, input `logits`, target `targets`/);
    expect(probed.stdout).toMatch(/LL301 non-finite-gradient/);
    const repro = await runCli(['probe', 'wrong_focal.ipynb::focal_loss', '--repro'], root);
    expect(repro).toMatchObject({ code: 2, stderr: expect.stringMatching(/--repro needs a Python file/) });
    const broken = await runCli(['probe', 'nb.ipynb::focal_loss'], root);
    expect(broken).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: nb\.ipynb: cannot read/) });
  });
});
