/**
 * The numeric checks through the built CLI: `check --numeric` (probe findings, evidence on static
 * findings, `numeric` in JSON), `probe FILE::NAME` and `probe --repro`, whose script, run with real
 * PyTorch, reproduces the probe table (skipped when no Python imports torch).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, loadEngine, ROOT, torchPython } from './helpers';

const CLI = path.join(ROOT, 'dist/cli.js');
const fixture = (n: string) => path.join(FIXTURES, n);

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  loadEngine(); // builds dist/ when missing
});

describe('losslint check --numeric', () => {
  it('adds probe findings with their probe result to --format json', () => {
    const r = cli(['check', fixture('onehot_logsoftmax.py'), '--numeric', '--backend', 'wasm', '--format', 'json']);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { code: string; numeric?: { function: string; probe: { probe: string; inputs: { seed: number } } } }[];
    const ll304 = out.find((f) => f.code === 'LL304')!;
    expect(ll304.numeric?.function).toBe('focal_onehot');
    expect(ll304.numeric?.probe.probe).toBe('ce-at-gamma-0');
    expect(typeof ll304.numeric?.probe.inputs.seed).toBe('number');
  });

  it('puts the probe evidence on a static finding it confirms instead of repeating it', () => {
    const r = cli(['check', fixture('gamma_half.py'), '--numeric', '--backend', 'wasm', '--format', 'json']);
    const out = JSON.parse(r.stdout) as { code: string; name: string; message: string; evidence?: string }[];
    const stat = out.find((f) => f.name === 'gamma-below-one-unclamped');
    if (stat) {
      expect(stat.evidence).toMatch(/gradient is NaN for 4096 of 4096 samples when the target logit leads by 30 \(gamma=0.5\)/);
      expect(out.filter((f) => f.code === 'LL301')).toEqual([]);
    } else {
      expect(out.find((f) => f.code === 'LL301')?.message ?? '').toMatch(/gamma=0.5/);
    }
  });

  it('without --numeric, no probe runs', () => {
    const r = cli(['check', fixture('onehot_logsoftmax.py'), '--format', 'json']);
    expect((JSON.parse(r.stdout) as { code: string }[]).filter((f) => f.code.startsWith('LL30'))).toEqual([]);
  });
});

describe('losslint probe --coverage', () => {
  it('counts the loss functions probed and groups the others by reason, per framework', () => {
    const files = ['unsupported_op.py', 'entry_shapes.py', 'helpers_legacy.py'].map(fixture);
    const r = cli(['probe', '--coverage', ...files, '--backend', 'wasm', '--samples', '512', '--format', 'json']);
    expect(r.status).toBe(0);
    const entries = JSON.parse(r.stdout) as { file: string; function: string; framework: string; probed: boolean; reason?: string }[];
    const by = (name: string) => entries.find((e) => e.function === name)!;
    expect(by('ohem_focal').probed).toBe(true);
    expect(by('looped').probed).toBe(true);
    expect(by('looped_elements')).toMatchObject({ probed: false, framework: 'torch', reason: 'unsupported `a loop of 512 iterations (more than 256)`' });
    // Helpers named as losses that take no prediction and target are counted, with their reason.
    expect(by('weight_reduce_loss')).toMatchObject({ probed: false, reason: 'no prediction and target parameters' });
    expect(by('make_focal.focal').probed).toBe(true);
    const text = cli(['probe', '--coverage', ...files, '--backend', 'wasm', '--samples', '512']).stdout;
    const probed = entries.filter((e) => e.probed).length;
    expect(text).toContain(`loss functions: ${entries.length}, probed ${probed} (${((100 * probed) / entries.length).toFixed(1)} %)`);
    expect(text).toMatch(/\n {2}torch\s+\d+\s+probed\s+\d+/);
    expect(text).toMatch(/\n {6}2 {2}no prediction and target parameters {2}\(torch 2\)/);
    // Two coverage runs of three files, one with a Python loop over the samples probed end to end.
  }, 180_000);
});

describe('losslint probe', () => {
  it('prints the probe table and exits 1 on findings, 2 for an unknown function', () => {
    const r = cli(['probe', `${fixture('gamma_half.py')}::focal_unclamped`, '--backend', 'wasm', '--samples', '256']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/confident\s+gamma=0.5\s+margin 30, seed 130\s+\S+\s+2048\/0\s+256\/256/);
    expect(cli(['probe', `${fixture('gamma_half.py')}::nope`]).status).toBe(2);
  });

  it('--format json spells a non-finite loss "NaN", "Infinity" or "-Infinity"; the reference probe gives the call\'s hyper and the formula\'s', () => {
    const target = path.join(ROOT, 'test/fixtures/rules/LL104/right_nll_per_sample.py') + '::focal_nll';
    const r = cli(['probe', target, '--backend', 'wasm', '--samples', '64', '--format', 'json']);
    expect(r.stdout).not.toMatch(/"(loss|maxRelDiff|scale)": null/);
    const json = JSON.parse(r.stdout) as { probes: { probe: string; loss: number | string; hyper: Record<string, unknown>; referenceHyper?: Record<string, unknown>; calls?: unknown[] }[] };
    const spelled = new Set(json.probes.map((p) => p.loss).filter((l) => typeof l === 'string'));
    expect([...spelled].sort()).toEqual(['-Infinity', 'Infinity', 'NaN']);
    const ref = json.probes.find((p) => p.probe === 'reference')!;
    expect(ref.hyper).toEqual({});
    expect(ref.referenceHyper).toEqual({ gamma: 2, alpha: null });
    const text = cli(['probe', target, '--backend', 'wasm', '--samples', '64']).stdout;
    expect(text).toMatch(/\n {2}reference\s+defaults; reference gamma=2 alpha=null\s+std 1/);
    // check --format json: the numeric finding's probe is spelled the same way.
    const check = JSON.parse(cli(['check', target.split('::')[0], '--numeric', '--backend', 'wasm', '--format', 'json']).stdout) as { code: string; numeric?: { probe: { loss: unknown } } }[];
    expect(check.find((f) => f.code === 'LL302')?.numeric?.probe.loss).toBe('-Infinity');
  });

  const { python, reason } = torchPython();
  if (!python) console.log(`[numeric/cli] repro run skipped: ${reason}`);

  it.skipIf(!python)('--repro prints a PyTorch script that runs to the end as a program and prints one row per probe', () => {
    const target = `${fixture('module_init.py')}::FocalLoss`;
    const json = JSON.parse(cli(['probe', target, '--backend', 'wasm', '--samples', '256', '--format', 'json']).stdout) as { probes: { probe: string; loss: number | string }[] };
    const script = cli(['probe', target, '--samples', '256', '--repro']).stdout;
    expect(script).toMatch(/^#!\/usr\/bin\/env python3/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-repro-'));
    try {
      fs.writeFileSync(path.join(dir, 'repro.py'), script);
      const run = spawnSync(python!, [path.join(dir, 'repro.py')], { encoding: 'utf8', timeout: 300_000 });
      expect(run.status, run.stderr).toBe(0);
      const rows = run.stdout.trim().split('\n').slice(1).map((l) => /^\s*(\d+) (\S+)\s.*?loss=(\S+)/.exec(l)!);
      expect(rows.map((m) => m[2])).toEqual(json.probes.map((p) => p.probe));
      rows.forEach((m, k) => {
        const ours = Number(json.probes[k].loss);
        const theirs = Number(m[3]);
        expect(Math.abs(ours - theirs), `probe ${k}`).toBeLessThanOrEqual(1e-4 * Math.max(Math.abs(ours), Math.abs(theirs)));
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
