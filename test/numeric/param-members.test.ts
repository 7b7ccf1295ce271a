/**
 * A parameter read only at constant keys (numeric/param-members.ts): a mapping of settings, each
 * key valued by its uses, passed as a dict and said to be assumed (fixtures/settings_mapping.py; its
 * torch agreement is torch.test.ts's).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';
import { keysRead, settingsMapping } from '../../server/src/numeric/param-members';
import { fn, loadEngine, prober } from './helpers';

const SRC = fs.readFileSync(path.join(__dirname, 'fixtures', 'settings_mapping.py'), 'utf8');

describe('a mapping of settings', () => {
  const mod = moduleOf(SRC);

  it('is a parameter read only at constant keys, through `self` too', () => {
    expect(keysRead('cfg', fn(mod, 'ConfiguredSmoothingLoss.__init__'))).toEqual({ keys: ['mode', 'smoothing'], optional: [] });
    expect(keysRead('params', fn(mod, 'class_weighted_loss'))).toEqual({ keys: ['weights'], optional: [] });
    // Tested for (`"gamma" in config`) or read with a default (`config.get("alpha", 0.25)`): the code's own default covers it.
    expect(keysRead('config', fn(mod, 'GuardedConfigFocalLoss.__init__'))).toEqual({ keys: [], optional: ['gamma', 'alpha'] });
    // A key computed at run time: no constant keys say what the mapping holds.
    expect(keysRead('params', fn(mod, 'keyed_at_run_time_loss'))).toBeUndefined();
  });

  it('gets each key the value its uses give: a compared string, a mixing weight, a per-class weight', () => {
    const fwd = fn(mod, 'ConfiguredSmoothingLoss.forward');
    expect(settingsMapping(fn(mod, 'ConfiguredSmoothingLoss.__init__'), fwd, mod, 'cfg', ['logits', 'target'])?.value).toEqual({ keys: { mode: 'sum', smoothing: 0.1 } });
    const inner = fn(mod, 'class_weighted_loss.loss');
    const w = settingsMapping(fn(mod, 'class_weighted_loss'), inner, mod, 'params', ['logits', 'onehot_target']);
    expect(w?.value).toEqual({ keys: { weights: { ones: 'classes' } } });
    expect(w?.assumed).toBe(true);
  });

  it('a key named as a focal gamma or alpha takes the typical value, as a parameter so named (planned through roles.ts)', () => {
    const plan = planModule(mod).find((p) => p.qualname === 'KeyedFocalLoss.forward');
    expect(plan?.fill?.cfg?.value).toEqual({ keys: { focal_gamma: 2, focal_alpha: 0.25 } });
    expect(plan?.fill?.cfg?.why).toMatch(/named as a focal gamma: the typical 2.*named as a focal alpha: the typical 0.25/);
  });

  it('a weight multiplied into a reduced value is no per-class weight', () => {
    const src = 'import torch\nimport torch.nn.functional as F\n\ndef make(p):\n    w = p["w"]\n    def loss(x, t):\n        return (F.cross_entropy(x, t, reduction="none").sum() * w)\n    return loss\n';
    const m = moduleOf(src);
    expect(settingsMapping(fn(m, 'make'), fn(m, 'make.loss'), m, 'p', ['x', 't'])).toBeUndefined();
  });

  it('a key computed at run time keeps the refusal', () => {
    const skipped: PlanSkip[] = [];
    planModule(mod, undefined, undefined, skipped);
    expect(skipped.find((s) => s.qualname === 'keyed_at_run_time_loss.loss')?.reason).toMatch(/^required parameter `params` has no value/);
  });
});

describe('the probes', () => {
  beforeAll(async () => {
    await loadEngine().initBackend('wasm');
  });

  it('pass the dict and say each value is assumed', () => {
    for (const q of ['ConfiguredSmoothingLoss.forward', 'class_weighted_loss.loss', 'GuardedConfigFocalLoss.forward', 'KeyedFocalLoss.forward']) {
      const mod = moduleOf(SRC);
      const plan = planModule(mod).find((p) => p.qualname === q)!;
      expect(plan, q).toBeDefined();
      const r = prober(mod).check(fn(mod, q), plan);
      expect(r.notChecked, q).toBeUndefined();
      const given = Object.values(r.supplied ?? {});
      expect(given.some((g) => typeof g.value === 'string' && g.value.startsWith('keys ') && /assumed|not probed/.test(g.why)), q).toBe(true);
    }
  });

  it('pass a list a call site gives as a list (an array has a `keys` method: no mapping)', () => {
    const mod = moduleOf(SRC);
    const plan = planModule(mod).find((p) => p.qualname === 'count_normalised_loss')!;
    const listed = { ...plan, fill: { ...plan.fill, group_sizes: { value: [2, 3], why: 'a call site' } } };
    const r = prober(mod).check(fn(mod, 'count_normalised_loss'), listed);
    expect(r.notChecked).toBeUndefined();
    expect(r.supplied?.group_sizes?.value).toEqual([2, 3]);
  });
});
