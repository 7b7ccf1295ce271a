/**
 * action.yml, the composite GitHub Action, tested offline: it parses (js-yaml), every expression
 * names an input or step that exists, the commands and paths it uses exist in this checkout, and
 * its check step, run with bash as the runner would run it, writes a valid SARIF report and the
 * exit code output. (The install and upload steps need a runner and the network.)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import type * as Sarif from 'sarif';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLEAN_SAMPLE, REPO, sarifValidator, tempDir, writeTree } from './helpers';

vi.setConfig({ testTimeout: 60_000 });

interface Step {
  id?: string;
  name: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  'working-directory'?: string;
}

interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const ACTION_TEXT = fs.readFileSync(path.join(REPO, 'action.yml'), 'utf8');
const action = load(ACTION_TEXT) as Action;
const NOTEBOOK = fs.readFileSync(path.join(REPO, 'test/fixtures/notebooks/wrong_focal.ipynb'), 'utf8');

function step(name: string): Step {
  const found = action.runs.steps.find((s) => s.name === name);
  if (!found) throw new Error(`no step "${name}" in action.yml`);
  return found;
}

/** Replaces `${{ inputs.X }}` with the inputs given (or their defaults), as the runner does. */
function expand(value: string, inputs: Record<string, string>): string {
  return value.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, name: string) => inputs[name] ?? action.inputs[name]?.default ?? '');
}

let workspace: string;

beforeEach(() => {
  workspace = tempDir('losslint-action-');
});

afterEach(() => {
  fs.rmSync(workspace, { recursive: true, force: true });
});

/** Runs the check step's script with bash in `workspace`, as a runner would; returns its status and outputs. */
function runCheckStep(inputs: Record<string, string> = {}): { status: number | null; stderr: string; outputs: Record<string, string> } {
  const check = step('Check');
  const outputFile = path.join(workspace, '.github-output');
  fs.writeFileSync(outputFile, '');
  const env = Object.fromEntries(Object.entries(check.env ?? {}).map(([k, v]) => [k, expand(v, inputs)]));
  const r = spawnSync('bash', ['-e', '-c', check.run!], {
    cwd: workspace,
    encoding: 'utf8',
    env: { ...process.env, ...env, GITHUB_ACTION_PATH: REPO, GITHUB_OUTPUT: outputFile, NO_COLOR: '1' },
  });
  const outputs = Object.fromEntries(
    fs
      .readFileSync(outputFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  return { status: r.status, stderr: r.stderr, outputs };
}

describe('action.yml', () => {
  it('is a composite action whose expressions name declared inputs and steps', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.name).toBe('LossLint');
    const ids = new Set(action.runs.steps.flatMap((s) => (s.id ? [s.id] : [])));
    for (const [, kind, name] of ACTION_TEXT.matchAll(/\$\{\{[^}]*?\b(inputs|steps)\.([\w-]+)/g)) {
      if (kind === 'inputs') expect(Object.keys(action.inputs), `inputs.${name}`).toContain(name);
      else expect([...ids], `steps.${name}`).toContain(name);
    }
    // Every run step names its shell, as composite actions require.
    for (const s of action.runs.steps.filter((s) => s.run)) expect(s.shell, s.name).toBe('bash');
  });

  it('installs with the commands this checkout has, and uploads the file the check writes', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const install = step('Install LossLint');
    expect(install['working-directory']).toBe('${{ github.action_path }}');
    expect(install.run).toContain('npm ci');
    expect(install.run).toContain('npm run build');
    expect(pkg.scripts.build).toBeTruthy();
    expect(fs.existsSync(path.join(REPO, 'package-lock.json'))).toBe(true);
    // The check runs the bundle the build writes (dist/cli.js, package.json's `losslint` bin).
    expect(step('Check').run).toContain('"$GITHUB_ACTION_PATH/dist/cli.js" check');
    expect(pkg.bin.losslint).toBe('dist/cli.js');
    const upload = step('Upload to code scanning');
    expect(upload.uses).toMatch(/^github\/codeql-action\/upload-sarif@v\d+$/);
    expect(upload.with?.sarif_file).toBe('${{ inputs.sarif-file }}');
    expect(step('Check').env?.LOSSLINT_SARIF).toBe('${{ inputs.sarif-file }}');
  });

  it('writes valid SARIF and exit-code 1 when there are findings, without failing the step', () => {
    writeTree(workspace, { 'nb/experiment.ipynb': NOTEBOOK, 'clean.py': CLEAN_SAMPLE });
    const r = runCheckStep();
    expect(r.status, r.stderr).toBe(0);
    expect(r.outputs['exit-code']).toBe('1');
    const log = JSON.parse(fs.readFileSync(path.join(workspace, 'losslint.sarif'), 'utf8')) as Sarif.Log;
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(log.runs[0].results?.map((x) => [x.ruleId, x.locations?.[0].physicalLocation?.artifactLocation?.uri])).toEqual([['LL103', 'nb/experiment.ipynb']]);
  });

  it('passes paths and flags through, and fails the step on exit 2 (nothing to check)', () => {
    writeTree(workspace, { 'src/loss.py': CLEAN_SAMPLE, 'nb/experiment.ipynb': NOTEBOOK });
    const clean = runCheckStep({ paths: 'src', 'sarif-file': 'out/report.sarif', args: '--select LL1 --strict' });
    expect(clean.status, clean.stderr).toBe(0);
    expect(clean.outputs['exit-code']).toBe('0');
    expect(JSON.parse(fs.readFileSync(path.join(workspace, 'out/report.sarif'), 'utf8')).runs[0].results).toEqual([]);
    const empty = runCheckStep({ paths: 'docs' });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/docs/);
  });
});
