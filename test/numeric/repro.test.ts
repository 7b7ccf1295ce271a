/**
 * `losslint probe FILE::NAME --repro` against real PyTorch, on every fixture loss the checker probes
 * (test/numeric/fixtures and the rule fixtures test/fixtures/rules): the generated script makes the
 * calls the checker made (one row per probe, every probe), runs to the end (exit status 0), and
 * prints per probe the loss the checker reported, within 1e-4 relative (NaN, inf and -inf alike),
 * and the same counts of NaN and infinite gradient entries.
 *
 * The scripts run in one Python process (test/numeric/repro_runner.py, torch imported once).
 * Fixtures that import a package this Python lacks (TensorFlow, Keras, JAX, kornia...) are left
 * out and named. Skipped (with the reason printed) when no Python imports torch.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moduleCandidates } from '../../server/src/core/modules';
import { planModule } from '../../server/src/numeric/roles';
import { reproScript } from '../../server/src/numeric/repro';
import { moduleOf } from '../../server/src/numeric/runner';
import type { NumericReport } from '../../server/src/numeric/types';
import { FIXTURES, loadEngine, ROOT, torchPython } from './helpers';

const { python, reason } = torchPython();
if (!python) console.log(`[numeric/repro] skipped: ${reason}`);

const SAMPLES = 256;
const REL = 1e-4;

function pyFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? pyFiles(path.join(dir, e.name)) : e.name.endsWith('.py') ? [path.join(dir, e.name)] : []));
}

/** Top-level packages a file imports (`import a.b`, `from a.b import c`; relative imports left out). */
function importedPackages(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import|import\s+([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*))/gm)) {
    for (const n of (m[1] ?? m[2]).split(',')) names.add(n.trim().split('.')[0]);
  }
  return [...names];
}

/** The smallest normal float32: below it (denormals) float32 has fewer digits than 1e-4 asks. */
const FLT_MIN = 2 ** -126;

/** Same value within 1e-4 relative (or FLT_MIN); NaN only with NaN, an infinity only with the same infinity. */
function sameLoss(ours: number, theirs: number): boolean {
  if (Number.isNaN(ours) || Number.isNaN(theirs)) return Number.isNaN(ours) && Number.isNaN(theirs);
  if (!Number.isFinite(ours) || !Number.isFinite(theirs)) return ours === theirs;
  return Math.abs(ours - theirs) <= Math.max(REL * Math.max(Math.abs(ours), Math.abs(theirs)), FLT_MIN);
}

/** Python's %g of a float: nan, inf, -inf or a number. */
function pyFloat(s: string): number {
  return s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
}

describe.skipIf(!python)('--repro scripts vs the checker, run with real PyTorch', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-repro-'));
  const probed: { id: string; report: NumericReport; script: string }[] = [];
  const leftOut: string[] = [];
  let results: Record<string, { status: number; stdout: string }>;

  beforeAll(async () => {
    const engine = loadEngine();
    const files = [...pyFiles(FIXTURES), ...pyFiles(path.join(ROOT, 'test/fixtures/rules'))].sort();
    const texts = new Map(files.map((f) => [f, fs.readFileSync(f, 'utf8')]));
    // And the frameworks whose modules a probe may pass by keyword (report.supplied `module NAME`).
    const packages = [...new Set([...[...texts.values()].flatMap(importedPackages), 'keras', 'tensorflow', 'jax', 'numpy'])];
    const importable = new Set(JSON.parse(execFileSync(python!, [path.join(__dirname, 'repro_runner.py'), '--importable', ...packages], { encoding: 'utf8' })) as string[]);
    for (const file of files) {
      const text = texts.get(file)!;
      // A package of the project itself (test/numeric/fixtures/project_helpers) is found from the file's folder, as the script finds it.
      const missing = importedPackages(text).filter((p) => !importable.has(p) && !moduleCandidates(file, p, 0, []).some((c) => fs.existsSync(c)));
      const mod = moduleOf(text);
      const plans = planModule(mod);
      if (!plans.length) continue;
      const reports = await engine.checkPlans(mod, plans, { backend: 'wasm', samples: SAMPLES, classes: 8, maxElements: 1 << 22, seed: 0, deadline: Date.now() + 600_000, file, text });
      // numpy functions are probed for their values only: no PyTorch script (cli/probe.ts --repro refuses them).
      for (const r of reports.filter((x) => x.probes.length && x.roles && !x.valuesOnly)) {
        const id = `${path.relative(ROOT, file)}::${r.function}`;
        const modules = Object.values(r.supplied ?? {}).flatMap(({ value }) => (typeof value === 'string' && value.startsWith('module ') ? [value.slice(7).split('.')[0]] : []));
        const lacking = [...missing, ...modules.filter((p) => !importable.has(p))];
        if (lacking.length) {
          leftOut.push(`${id} (imports ${lacking.join(', ')})`);
          continue;
        }
        const script = path.join(dir, `repro_${probed.length}.py`);
        fs.writeFileSync(script, reproScript(file, r));
        probed.push({ id, report: r, script });
      }
    }
    const list = path.join(dir, 'scripts.json');
    fs.writeFileSync(list, JSON.stringify(probed.map((p) => p.script)));
    results = JSON.parse(execFileSync(python!, [path.join(__dirname, 'repro_runner.py'), list], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 }));
    console.log(`[numeric/repro] ${probed.length} probed functions, ${probed.reduce((n, p) => n + p.report.probes.length, 0)} probes; left out (imports missing here): ${leftOut.length ? leftOut.join(', ') : 'none'}`);
  }, 900_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('covers the probed fixture losses, ce-at-gamma-0 and reference probes included', () => {
    expect(probed.length).toBeGreaterThanOrEqual(22);
    // Losses calling helpers of other project files (numeric/imported.ts): the script imports the file as its package's module.
    const helpers = ['sigmoid_focal_relative', 'sigmoid_focal_reexported', 'sigmoid_focal_absolute', 'sigmoid_focal_half_gamma'];
    expect(probed.map((p) => p.id)).toEqual(expect.arrayContaining(helpers.map((f) => `test/numeric/fixtures/project_helpers/detlib/losses/focal.py::${f}`)));
    const kinds = new Set(probed.flatMap((p) => p.report.probes.map((x) => x.probe)));
    expect([...kinds].sort()).toEqual(['alpha-effect', 'anchor-scaling', 'ce-at-gamma-0', 'confident', 'gamma-sweep', 'hard-examples', 'ignore-index', 'reference', 'sample-mixing', 'typical']);
  });

  it('every script runs to the end and prints, per probe, the checker\'s loss and NaN/inf counts', () => {
    const problems: string[] = [];
    for (const p of probed) {
      const res = results[p.script];
      if (res.status !== 0) problems.push(`${p.id}: exit status ${res.status}\n${res.stdout.split('\n').filter((l) => /error|Error/.test(l)).slice(0, 3).join('\n')}`);
      const rows = new Map<number, RegExpExecArray>();
      for (const line of res.stdout.split('\n')) {
        const m = /^\s*(\d+) (\S+)\s.*?loss=(\S+)\s+grad NaN=(\d+) inf=(\d+)/.exec(line);
        if (m) rows.set(Number(m[1]), m);
      }
      p.report.probes.forEach((probe, k) => {
        const m = rows.get(k);
        if (!m) return problems.push(`${p.id} probe ${k} (${probe.probe}): no row`);
        if (m[2] !== probe.probe) problems.push(`${p.id} probe ${k}: row is ${m[2]}, not ${probe.probe}`);
        const ours = probe.loss ?? NaN;
        if (!sameLoss(ours, pyFloat(m[3]))) problems.push(`${p.id} probe ${k} (${probe.probe} ${JSON.stringify(probe.hyper)}): loss ${ours} vs torch ${m[3]}`);
        if (Number(m[4]) !== probe.gradNaN || Number(m[5]) !== probe.gradInf) problems.push(`${p.id} probe ${k} (${probe.probe}): grad NaN/inf ${probe.gradNaN}/${probe.gradInf} vs torch ${m[4]}/${m[5]}`);
      });
    }
    expect(problems).toEqual([]);
  });
});
