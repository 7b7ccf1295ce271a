/**
 * The key of a numeric check (numeric/roles.ts planModule) decides when its cached result is reused:
 * it must change with anything the check can run, and only with that.
 */
import { describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { planModule, reachableFunctions } from '../../server/src/numeric/roles';
import type { FunctionIR } from '../../server/src/core/ir';

const SOURCE = `import torch
import torch.nn.functional as F

SCALE = 1.0


def smooth(x, eps=1e-6):
    return x.clamp(min=eps)


def modulate(pt, gamma):
    return smooth(1 - pt) ** gamma


def focal_loss(logits, targets, alpha=0.25, gamma=2.0):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return (alpha * modulate(pt, gamma) * ce).mean()


def ce_loss(logits, targets):
    return F.cross_entropy(logits, targets)


def unrelated(x):
    return x * 2
`;

function keys(source: string): Record<string, string> {
  return Object.fromEntries(planModule(moduleOf(source)).map((p) => [p.qualname, p.key]));
}

describe('numeric check keys', () => {
  const base = keys(SOURCE);

  it('plans both losses', () => {
    expect(Object.keys(base)).toEqual(expect.arrayContaining(['ce_loss', 'focal_loss']));
  });

  it('do not change when an unrelated function or the file above changes', () => {
    const edited = keys(SOURCE.replace('return x * 2', 'return x * 3'));
    expect(edited).toEqual(base);
    const moved = keys(`# a comment\n\n${SOURCE}`);
    expect(moved).toEqual(base);
  });

  it('change with a helper the check calls, directly or through another helper', () => {
    const direct = keys(SOURCE.replace('smooth(1 - pt) ** gamma', 'smooth(2 - pt) ** gamma'));
    expect(direct.focal_loss).not.toBe(base.focal_loss);
    expect(direct.ce_loss).toBe(base.ce_loss);
    const transitive = keys(SOURCE.replace('x.clamp(min=eps)', 'x.clamp(min=eps * 10)'));
    expect(transitive.focal_loss).not.toBe(base.focal_loss);
    expect(transitive.ce_loss).toBe(base.ce_loss);
  });

  it('change with the module globals and imports, which any check may read', () => {
    const global = keys(SOURCE.replace('SCALE = 1.0', 'SCALE = 2.0'));
    expect(global.focal_loss).not.toBe(base.focal_loss);
    expect(global.ce_loss).not.toBe(base.ce_loss);
  });

  it('reach functions named anywhere, once each, and stop at cycles', () => {
    const mod = moduleOf(`def a(x):\n    return b(x)\n\ndef b(x):\n    f = c\n    return a(f(x))\n\ndef c(x):\n    return x\n\ndef d(x):\n    return x\n`);
    const byName = new Map(mod.functions.map((f) => [f.name, f] as [string, FunctionIR]));
    const a = byName.get('a')!;
    expect(reachableFunctions([a.body, a.params], byName, a).map((f) => f.name)).toEqual(['b', 'c']);
  });
});

describe('numeric check keys and module globals', () => {
  it('change with a function a module global names, for every check', () => {
    const source = `import torch\nimport torch.nn.functional as F\n\ndef act(x):\n    return x.sigmoid()\n\nACT = act\n\ndef focal_loss(logits, targets, gamma=2.0):\n    ce = F.cross_entropy(logits, targets, reduction="none")\n    return ((1 - torch.exp(-ce)) ** gamma * ce).mean()\n`;
    const before = keys(source);
    const after = keys(source.replace('return x.sigmoid()', 'return x.sigmoid() * 2'));
    expect(after.focal_loss).not.toBe(before.focal_loss);
  });
});
