/**
 * Functions a loss imports from other files of its project (numeric/imported.ts): found through
 * relative and absolute imports and package re-exports, run by an evaluator of their own module,
 * refused when they reach the system or are not there, and what a cached result depends on.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileStamp, importResolver } from '../../server/src/numeric/imported';
import { moduleCandidates, packagedName } from '../../server/src/core/modules';
import { FIXTURES, loadEngine, ROOT } from './helpers';
import { checkTextNumerically, clearNumericCache, moduleOf } from '../../server/src/numeric/runner';
import { planModule } from '../../server/src/numeric/roles';

const PROJECT = path.join(FIXTURES, 'project_helpers');
const LOSSES = path.join(PROJECT, 'detlib/losses');

describe('core/modules: where an import finds its module', () => {
  it('tries a relative import from the folder its dots name, an absolute one from every folder up to a root', () => {
    const from = '/p/pkg/sub/mod.py';
    expect(moduleCandidates(from, 'utils', 2, [])).toEqual(['/p/pkg/utils.py', '/p/pkg/utils/__init__.py']);
    expect(moduleCandidates(from, '', 1, [])).toEqual(['/p/pkg/sub/__init__.py']);
    expect(moduleCandidates(from, 'a.b', 0, ['/p'])).toEqual(['/p/pkg/sub/a/b.py', '/p/pkg/sub/a/b/__init__.py', '/p/pkg/a/b.py', '/p/pkg/a/b/__init__.py', '/p/a/b.py', '/p/a/b/__init__.py']);
  });

  it('names a file by the packages above it', () => {
    const isPackage = (d: string) => d.startsWith('/p/pkg');
    expect(packagedName('/p/pkg/sub/mod.py', isPackage)).toEqual({ name: 'pkg.sub.mod', root: '/p' });
    expect(packagedName('/p/pkg/__init__.py', isPackage)).toEqual({ name: 'pkg', root: '/p' });
    expect(packagedName('/q/script.py', isPackage)).toEqual({ name: 'script', root: '/q' });
  });
});

describe('numeric/imported: functions of other project files', () => {
  const file = path.join(LOSSES, 'focal.py');
  const r = importResolver(file);

  it('resolves a relative import, a package re-export and an absolute import to the defining function', () => {
    const rel = r.resolve('reduce_weighted');
    expect(rel && path.relative(PROJECT, rel.file)).toBe('detlib/ops/reduction.py');
    expect(rel?.fn.name).toBe('reduce_weighted');
    const re = r.resolve('reduce_reexported');
    expect(re && path.relative(PROJECT, re.file)).toBe('detlib/ops/reduction.py');
    expect(re?.fn.name).toBe('reduce_weighted');
    const abs = r.resolve('detlib.ops.reduction.mean_over');
    expect(abs?.fn.name).toBe('mean_over');
    // The resolver of the helper's own file resolves what the helper calls in turn.
    expect(rel?.imports.resolve('torch.sum')).toBeUndefined();
  });

  it('leaves out what is not a function of a project file: library names, classes, missing modules, the file itself', () => {
    expect(r.resolve('torch.nn.functional.sigmoid')).toBeUndefined();
    expect(r.resolve('F')).toBeUndefined();
    expect(r.resolve('detlib.ops.reduction.torch')).toBeUndefined();
    expect(importResolver(path.join(LOSSES, 'focal_refused.py')).resolve('not_there')).toBeUndefined();
    expect(r.resolve('detlib.losses.focal.sigmoid_focal_relative')).toBeUndefined();
  });

  it('reads the checked file\'s imports from the text it is given (an unsaved buffer), other files from disk', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-imported-'));
    try {
      fs.writeFileSync(path.join(dir, 'helpers.py'), 'def halve(x):\n    return x / 2\n');
      const own = path.join(dir, 'loss.py');
      fs.writeFileSync(own, 'import torch\n');
      const fromDisk = importResolver(own);
      expect(fromDisk.resolve('halve')).toBeUndefined();
      const fromText = importResolver(own, 'from .helpers import halve\n');
      expect(fromText.resolve('halve')?.fn.name).toBe('halve');
      const stamp = fileStamp(path.join(dir, 'helpers.py'));
      expect(fromText.read.get(path.join(dir, 'helpers.py'))).toBe(stamp);
      fs.writeFileSync(path.join(dir, 'helpers.py'), 'def halve(x):\n    return x * 0.5  # changed\n');
      expect(fileStamp(path.join(dir, 'helpers.py'))).not.toBe(stamp);
      expect(fileStamp(path.join(dir, 'gone.py'))).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('numeric checks of losses calling helpers of other files', () => {
  async function reports(name: string, withFile = true) {
    const engine = loadEngine();
    const file = path.join(LOSSES, name);
    const text = fs.readFileSync(file, 'utf8');
    const mod = moduleOf(text);
    const plans = planModule(mod);
    return engine.checkPlans(mod, plans, { backend: 'wasm', samples: 128, classes: 8, maxElements: 1 << 22, seed: 0, deadline: Date.now() + 120_000, ...(withFile ? { file, text } : {}) });
  }

  it('probes them, and the probes see through the helper (LL301 on an unclamped gamma 0.5 reduced by another file)', async () => {
    const rs = await reports('focal.py');
    const by = (f: string) => rs.find((r) => r.function === f)!;
    for (const f of ['sigmoid_focal_relative', 'sigmoid_focal_reexported', 'sigmoid_focal_absolute']) {
      expect(by(f).notChecked).toBeUndefined();
      expect(by(f).findings).toEqual([]);
      expect(Object.keys(by(f).imported ?? {}).map((x) => path.relative(PROJECT, x))).toContain('detlib/ops/reduction.py');
    }
    expect(by('sigmoid_focal_relative').formulation).toBe('sigmoid');
    expect(by('sigmoid_focal_half_gamma').findings.map((x) => x.code)).toContain('LL301');
  }, 120_000);

  it('without the file\'s path, says which name it could not run', async () => {
    const rs = await reports('focal.py', false);
    expect(rs.find((r) => r.function === 'sigmoid_focal_relative')?.notChecked).toMatch(/unsupported `reduce_weighted`/);
    expect(rs.find((r) => r.function === 'sigmoid_focal_absolute')?.notChecked).toMatch(/unsupported `detlib\.ops\.reduction\.mean_over`/);
  }, 120_000);

  it('refuses a helper that reaches the system (the security scan of its module) and one that is not there', async () => {
    const rs = await reports('focal_refused.py');
    expect(rs.find((r) => r.function === 'sigmoid_focal_unsafe_helper')?.notChecked).toMatch(/unsupported `os\.system in unsafe\.py:5`/);
    expect(rs.find((r) => r.function === 'sigmoid_focal_missing_helper')?.notChecked).toMatch(/unsupported `not_there \(module \.\.ops\.missing not found: no \.\.[/\\]ops[/\\]missing\.py or /);
  }, 120_000);
});

describe('the runner\'s cache and helpers of other files', () => {
  it('serves a check again from its cache only while the files it read are unchanged', async () => {
    loadEngine();
    clearNumericCache();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-imported-cache-'));
    try {
      const helper = path.join(dir, 'reduce.py');
      fs.writeFileSync(helper, 'def reduce_mean(x):\n    return x.mean()\n');
      const file = path.join(dir, 'loss.py');
      const text = [
        'import torch',
        'import torch.nn.functional as F',
        'from reduce import reduce_mean',
        '',
        'def softmax_focal(logits, target, gamma=2.0):',
        '    logp = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)',
        '    return reduce_mean(-((1 - logp.exp()) ** gamma) * logp)',
        '',
      ].join('\n');
      fs.writeFileSync(file, text);
      const opts = { backend: 'wasm' as const, samples: 128, file, workerPath: path.join(ROOT, 'dist/numeric-worker.js') };
      const first = (await checkTextNumerically(text, opts)).reports[0];
      expect(first.notChecked).toBeUndefined();
      expect(first.cached).toBeFalsy();
      expect((await checkTextNumerically(text, opts)).reports[0].cached).toBe(true);
      // The helper changes on disk (a sum instead of a mean): the check runs again and sees it.
      fs.writeFileSync(helper, 'def reduce_mean(x):\n    return x.sum()  # no longer a mean\n');
      const later = new Date(Date.now() + 5000);
      fs.utimesSync(helper, later, later);
      const again = (await checkTextNumerically(text, opts)).reports[0];
      expect(again.cached).toBeFalsy();
      const typical = (r: typeof first) => r.probes.find((p) => p.probe === 'typical')!.loss!;
      expect(typical(again) / typical(first)).toBeCloseTo(128, 3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/**
 * Values, modules and missing modules of other project files (test/numeric/fixtures/project_values):
 * a root `config` module read as `cfg.FOCAL_ALPHA` and `from config import NEG_WEIGHT`, a package's
 * settings read by a relative import, a sibling module imported as a module (`from .. import utils`),
 * PyTorch's reduction enum in a helper, and refusals that name the module and the files looked for.
 */
const VALUES = path.join(FIXTURES, 'project_values');
const SEG = path.join(VALUES, 'seglib/losses');

describe('numeric/imported: module-level values and modules of other project files', () => {
  const r = importResolver(path.join(SEG, 'focal.py'), undefined, [VALUES]);

  it('resolves a module value through an absolute module import, a from-import and a relative one', () => {
    const rel = (g: { file: string } | undefined) => g && path.relative(VALUES, g.file);
    expect(rel(r.resolveGlobal('config.FOCAL_ALPHA'))).toBe('config.py');
    expect(r.resolveGlobal('config.NEG_WEIGHT')?.name).toBe('NEG_WEIGHT');
    expect(rel(r.resolveGlobal('SOFT_GAMMA'))).toBe('seglib/settings.py');
    expect(rel(r.resolveGlobal('seglib.settings.SAFE_GAMMA'))).toBe('seglib/settings.py');
    // A function is no value here (resolve finds it), nor is a library's name or the module itself.
    expect(r.resolveGlobal('scaled_reduce')).toBeUndefined();
    expect(r.resolveGlobal('torch.float32')).toBeUndefined();
    expect(r.resolveGlobal('config')).toBeUndefined();
  });

  it('knows a sibling module imported as a module, and resolves its functions', () => {
    expect(r.isModule('utils')).toBe(true);
    expect(r.isModule('scaled_reduce')).toBe(false);
    expect(r.isModule('torch')).toBe(false);
    expect(path.relative(VALUES, r.resolve('utils.scaled_reduce')!.file)).toBe('seglib/utils.py');
  });

  it('names the module and the files looked for where a project import finds nothing, and nothing for a library', () => {
    const refused = importResolver(path.join(SEG, 'refused.py'), undefined, [VALUES]);
    expect(refused.missing('BETA')).toBe(`module ..absent not found: no ${path.join('..', 'absent.py')} or ${path.join('..', 'absent', '__init__.py')}`);
    expect(refused.missing('missing_utils')).toMatch(/^module \.\.missing_utils not found: no \.\.[/\\]missing_utils\.py/);
    expect(refused.missing('missing_utils.reduce_mean')).toMatch(/^module \.\.missing_utils not found/);
    expect(refused.missing('RUN_GAMMA')).toBeUndefined();
    expect(r.missing('torch.nn.functional.sigmoid')).toBeUndefined();
    expect(r.missing('config.FOCAL_ALPHA')).toBeUndefined();
    // An absolute import whose first package the project holds, but not the module.
    const abs = importResolver(path.join(SEG, 'focal.py'), 'from seglib.nowhere import f\nimport elsewhere.pkg\n', [VALUES]);
    expect(abs.missing('seglib.nowhere.f')).toMatch(/^module seglib\.nowhere not found: no /);
    expect(abs.missing('elsewhere.pkg.f')).toBeUndefined();
  });
});

describe('numeric checks of losses reading values of other project files', () => {
  async function reports(dir: string, name: string, withFile = true) {
    const engine = loadEngine();
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, 'utf8');
    const mod = moduleOf(text);
    return engine.checkPlans(mod, planModule(mod), { backend: 'wasm', samples: 128, classes: 8, maxElements: 1 << 22, seed: 0, deadline: Date.now() + 120_000, ...(withFile ? { file, text, roots: [VALUES] } : {}) });
  }

  it('probes them with the values written there: gamma 0.5 of the settings module gives LL301, its gamma 2 twin none', async () => {
    const rs = await reports(SEG, 'focal.py');
    const by = (f: string) => rs.find((x) => x.function === f)!;
    for (const f of ['ConfiguredFocal.forward', 'focal_soft_gamma', 'focal_safe_gamma', 'focal_absolute_module', 'focal_module_helper', 'focal_checked_gamma']) expect(by(f).notChecked).toBeUndefined();
    expect(by('focal_soft_gamma').findings.map((x) => x.code)).toContain('LL301');
    expect(by('focal_safe_gamma').findings.map((x) => x.code)).not.toContain('LL301');
    expect(Object.keys(by('ConfiguredFocal.forward').imported ?? {}).map((x) => path.relative(VALUES, x))).toEqual(expect.arrayContaining(['config.py', 'seglib/utils.py']));
    // alpha 0.25 on the positives and 1 - 0.25 on the negatives, read from config.py: the canonical alpha-balanced focal loss.
    expect(by('ConfiguredFocal.forward').findings.map((x) => x.code)).toEqual([]);
    // PyTorch's reduction enum: the mean of the same terms is the sum over the 128 x 8 probe elements.
    const typical = (f: string) => by(f).probes.find((p) => p.probe === 'typical')!.loss!;
    expect(typical('focal_safe_gamma') / typical('focal_module_helper')).toBeCloseTo(128 * 8, 0);
  }, 120_000);

  it('alone (no path), a value of a module it cannot read stays refused as before', async () => {
    const rs = await reports(SEG, 'focal.py', false);
    expect(rs.find((x) => x.function === 'ConfiguredFocal.forward')?.notChecked).toMatch(/config\.FOCAL_ALPHA|config\.NEG_WEIGHT|scaled_reduce/);
  }, 120_000);

  it('refuses a value computed from the environment, and names the module and files of an absent one', async () => {
    const rs = await reports(SEG, 'refused.py');
    const why = (f: string) => rs.find((x) => x.function === f)?.notChecked;
    expect(why('focal_environment_gamma')).toMatch(/unsupported `module-level RUN_GAMMA: os\.environ\.get in settings\.py`/);
    expect(why('focal_absent_value')).toMatch(/unsupported `BETA \(module \.\.absent not found: no \.\.[/\\]absent\.py or /);
    expect(why('focal_absent_helper')).toMatch(/unsupported `missing_utils \(module \.\.missing_utils not found/);
    expect(why('focal_unknown_reduction')).toMatch(/ValueError: average is not a valid value for reduction/);
    expect(why('focal_reducer_class')).toMatch(/unsupported `Reducer \(a class of \.\.[/\\]utils\.py, which the check does not run from another file\)`/);
  }, 120_000);
});
