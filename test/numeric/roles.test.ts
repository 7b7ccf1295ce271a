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
