/**
 * Roles (numeric/roles.ts planModule) read from more than names: annotations that say a parameter
 * is a Python scalar or a tensor. Each case also says what is still refused, and why.
 */
import { describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';

function plan(src: string): { plans: ReturnType<typeof planModule>; skipped: PlanSkip[] } {
  const skipped: PlanSkip[] = [];
  const plans = planModule(moduleOf(src), undefined, undefined, skipped);
  return { plans, skipped };
}

const HDR = 'import torch\nimport torch.nn.functional as F\n\n';

describe('roles from annotations', () => {
  it('a parameter annotated bool is a flag: not a role, given True and said so', () => {
    const src = `${HDR}def flagged_loss(logits: torch.Tensor, mask: torch.Tensor, exclusive: bool):\n    return F.cross_entropy(logits, mask) if exclusive else F.binary_cross_entropy_with_logits(logits, mask)\n`;
    const { plans } = plan(src);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ input: 'logits', target: 'mask' });
    expect(plans[0].fill).toEqual({ exclusive: { value: true, why: 'a bool flag: True probed, False not' } });
    // Without the annotation the facts still find the roles, but the flag takes no guessed value.
    const { plans: none, skipped } = plan(src.replace(': bool', ''));
    expect(none).toEqual([]);
    expect(skipped).toEqual([{ qualname: 'flagged_loss', reason: 'required parameter `exclusive` has no value' }]);
  });

  it('a required int / float / str annotation is no role either, and takes no guessed value', () => {
    const { plans, skipped } = plan(`${HDR}def tempered_loss(x: torch.Tensor, y: torch.Tensor, t1: float):\n    return ((x - y) ** 2).mean() * t1\n`);
    expect(plans).toEqual([]);
    expect(skipped).toEqual([{ qualname: 'tempered_loss', reason: 'required parameter `t1` has no value' }]);
  });

  it('a tensor annotation wins over a name that reads as a hyperparameter (eps: the noise, not an epsilon)', () => {
    const src = `${HDR}def diffusion_loss(eps: torch.Tensor, eps_pred: torch.Tensor):\n    return ((eps - eps_pred) ** 2).mean()\n`;
    expect(plan(src).plans[0]).toMatchObject({ input: 'eps_pred', target: 'eps' });
    // Unannotated, `eps` reads as an epsilon: one tensor parameter left.
    expect(plan(src.replace(/: torch\.Tensor/g, '')).skipped).toEqual([{ qualname: 'diffusion_loss', reason: 'no prediction and target parameters' }]);
  });
});

describe('a framework module injected by keyword (`backend = kwargs["backend"]`)', () => {
  const SRC = [
    'def _axis(**kwargs):',
    '    backend = kwargs["backend"]',
    '    return 3 if backend.image_data_format() == "channels_last" else 1',
    '',
    'def injected_ce(y_true, y_pred, **kwargs):',
    '    backend = kwargs["backend"]',
    '    y_pred = y_pred / backend.sum(y_pred, axis=_axis(**kwargs), keepdims=True)',
    '    return -backend.mean(y_true * backend.log(backend.clip(y_pred, 1e-7, 1.0)))',
    '',
  ].join('\n');

  it('is the one framework module spelling every op called on it, read by the facts as that module', () => {
    const { plans } = plan(SRC);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ input: 'y_pred', target: 'y_true', inputIsProb: true, framework: 'tf/keras', encodings: ['onehot', 'binary', 'index'] });
    expect(plans[0].fill).toEqual({ backend: { value: { module: 'keras.backend' }, why: 'the only framework module spelling clip, image_data_format, log, mean, sum' } });
  });

  it('modules of one framework that spell the ops alike are one value; of several frameworks, refused with why', () => {
    const alike = plan('def bce_loss(y_true, y_pred, **kwargs):\n    backend = kwargs["backend"]\n    return backend.mean(backend.binary_crossentropy(y_true, y_pred))\n');
    expect(alike.plans[0].fill?.backend).toEqual({ value: { module: 'keras.backend' }, why: 'spells binary_crossentropy, mean as keras.ops does' });
    const several = plan('def mse_loss(y_true, y_pred, **kwargs):\n    xp = kwargs["xp"]\n    return xp.mean((y_true - y_pred) ** 2)\n');
    expect(several.plans).toEqual([]);
    expect(several.skipped[0].reason).toMatch(/^keyword `xp` of \*\*kwargs is a module the probes cannot tell: its ops are spelled differently in keras\.backend, keras\.ops, .*torch, jax\.numpy, numpy$/);
  });

  it('a keyword read as a value (not a module) has no value the probes could give', () => {
    const { plans, skipped } = plan('def scaled_loss(y_true, y_pred, **kwargs):\n    s = kwargs["scale"]\n    return ((y_true - y_pred) ** 2).mean() * s\n');
    expect(plans).toEqual([]);
    expect(skipped).toEqual([{ qualname: 'scaled_loss', reason: 'keyword `scale` of **kwargs has no value' }]);
  });
});
