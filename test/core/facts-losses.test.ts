/**
 * The lattice facts behind LL114-LL118 and LL203-LL205, each stated on its own: what an op entry or
 * the algebra records of a loss call's arguments (ignore index, label smoothing), of selections, of
 * the per-sample layout, of clamps and of dtypes.
 */
import { describe, expect, it } from 'vitest';
import { join, mk, scalarOf } from '../../server/src/core/lattice';
import { valuesOf } from './helpers';

const HEAD = `import torch
import torch.nn as nn
import torch.nn.functional as F
`;

describe('ignore index (LL116)', () => {
  it('is recorded on a CE given ignore_index explicitly, with its value', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, t):
    a = F.cross_entropy(x, t, reduction="none", ignore_index=255)
    b = F.cross_entropy(x, t, reduction="none")
    c = F.nll_loss(F.log_softmax(x, 1), t, ignore_index=-1, reduction="none")
`, 'f');
    expect(at('F.cross_entropy(x, t, reduction="none", ignore_index=255)').ignoreIndex?.values).toEqual([255]);
    expect(at('F.cross_entropy(x, t, reduction="none")').ignoreIndex).toBeUndefined();
    expect(at('F.nll_loss(F.log_softmax(x, 1), t, ignore_index=-1, reduction="none")').ignoreIndex?.values).toEqual([-1]);
  });

  it('comes from a loss module built in __init__, with a hyperparameter value', () => {
    const { at } = valuesOf(`${HEAD}
class L(nn.Module):
    def __init__(self, pad=-100):
        super().__init__()
        self.ce = nn.CrossEntropyLoss(reduction="none", ignore_index=pad)

    def forward(self, x, t):
        return self.ce(x, t)
`, 'L.forward');
    expect(at('self.ce(x, t)')).toMatchObject({ m: 'ce', reduced: false, ignoreIndex: { values: [-100] } });
  });

  it('a subscript by a mask selects a subset; a slice does not', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, t):
    ce = F.cross_entropy(x, t, reduction="none", ignore_index=255)
    a = ce[t != 255]
    b = ce[:, None]
`, 'f');
    expect(at('ce[t != 255]')).toMatchObject({ m: 'ce', selected: true });
    expect(at('ce[:, None]').selected).toBeUndefined();
  });

  it('survives a join of two branches', () => {
    const a = mk('ce', { ignoreIndex: { values: [255], span: undefined as never } });
    const b = mk('ce');
    expect(join(a, b).ignoreIndex?.values).toEqual([255]);
    expect(join(b, a).ignoreIndex?.values).toEqual([255]);
    expect(join(scalarOf([1]), scalarOf([2])).ignoreIndex).toBeUndefined();
  });
});

describe('label smoothing (LL118)', () => {
  it('is recorded on a CE with label_smoothing above 0 only', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, t, ls=0.1, off=0.0):
    a = F.cross_entropy(x, t, reduction="none", label_smoothing=ls)
    b = F.cross_entropy(x, t, reduction="none", label_smoothing=off)
`, 'f');
    expect(at('F.cross_entropy(x, t, reduction="none", label_smoothing=ls)').smoothed?.values).toEqual([0.1]);
    expect(at('F.cross_entropy(x, t, reduction="none", label_smoothing=off)').smoothed).toBeUndefined();
  });
});

describe('ignore index on targets already selected (LL116)', () => {
  it('is not recorded when the targets were picked by a mask before the loss', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, y, ignore_index=-100):
    keep = y != ignore_index
    y = y[keep]
    x = x[keep]
    return F.nll_loss(F.log_softmax(x, -1), y, reduction="none", ignore_index=ignore_index)
`, 'f');
    expect(at('F.nll_loss(F.log_softmax(x, -1), y, reduction="none", ignore_index=ignore_index)').ignoreIndex).toBeUndefined();
  });
});

describe('smoothed targets (LL118)', () => {
  it('t * (1 - e) + e / K is a smoothed one-hot; its product with probabilities a smoothed pt', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, t, e=0.1):
    k = x.size(1)
    soft = F.one_hot(t, k).float() * (1 - e) + e / k
    pt = (soft * torch.softmax(x, 1)).sum(1)
    ce = -(soft * F.log_softmax(x, 1)).sum(1)
`, 'f');
    expect(at('x.size(1)')).toMatchObject({ m: 'scalar' });
    expect(at('F.one_hot(t, k).float() * (1 - e) + e / k')).toMatchObject({ m: 'target_onehot', smoothed: { values: [0.1] } });
    expect(at('(soft * torch.softmax(x, 1)).sum(1)')).toMatchObject({ m: 'pt', smoothed: { values: [0.1] } });
    expect(at('-(soft * F.log_softmax(x, 1)).sum(1)')).toMatchObject({ m: 'ce', smoothed: { values: [0.1] } });
  });

  it('a binary pt from smoothed targets is smoothed; alpha * t + (1 - alpha) * (1 - t) stays alpha_t', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, targets, alpha=0.25, ls=0.1):
    soft = targets * (1 - ls) + 0.5 * ls
    p = torch.sigmoid(x)
    a = p * soft + (1 - p) * (1 - soft)
    b = alpha * targets + (1 - alpha) * (1 - targets)
    c = targets * 0.25 + 0.1
`, 'f');
    expect(at('p * soft + (1 - p) * (1 - soft)')).toMatchObject({ m: 'pt', binary: true, smoothed: { values: [0.1] } });
    expect(at('alpha * targets + (1 - alpha) * (1 - targets)').m).toBe('alpha_t');
    // A multiplier not written as a complement is not a smoothing.
    expect(at('targets * 0.25 + 0.1').smoothed).toBeUndefined();
  });
});

describe('role provenance (LL114)', () => {
  it('a parameter whose meaning came from one call remembers the call and its name convention', () => {
    const { facts } = valuesOf(`${HEAD}
def f(logits, labels):
    return F.cross_entropy(labels, logits)
`, 'f');
    const logits = facts.params.get('logits')!;
    const labels = facts.params.get('labels')!;
    expect(logits).toMatchObject({ m: 'target_index', byName: 'logits' });
    expect(labels).toMatchObject({ m: 'logits', byName: 'target' });
    expect(logits.roleFrom).toBeDefined();
  });

  it("a Keras y_pred keeps 'prob' as its name convention when a call gave it another role", () => {
    const { facts } = valuesOf(`from tensorflow.keras import backend as K
def f(y_true, y_pred):
    return K.binary_crossentropy(y_pred, y_true)
`, 'f');
    expect(facts.params.get('y_pred')).toMatchObject({ m: 'target', byName: 'prob' });
    expect(facts.params.get('y_true')).toMatchObject({ m: 'prob', byName: 'target' });
  });
});

describe('clamp bounds (LL203, LL204)', () => {
  it('an upper bound float32 rounds to 1 is a no-op; a lower bound above 0 is a floor', () => {
    const { at } = valuesOf(`${HEAD}
import numpy as np
def f(x, z, eps=1e-7):
    a = torch.sigmoid(x).clamp(1e-8, 1 - 1e-8)
    b = torch.sigmoid(x).clamp(eps, 1 - eps)
    c = np.clip(1 / (1 + np.exp(-z)), 1e-10, 1 - 1e-10)
    d = torch.maximum(torch.sigmoid(x), torch.tensor(1e-6))
`, 'f');
    expect(at('torch.sigmoid(x).clamp(1e-8, 1 - 1e-8)')).toMatchObject({ m: 'prob', noopMax: { written: 1 - 1e-8 }, floor: { value: 1e-8 } });
    expect(at('torch.sigmoid(x).clamp(eps, 1 - eps)').noopMax).toBeUndefined();
    expect(at('torch.sigmoid(x).clamp(eps, 1 - eps)').floor?.value).toBe(1e-7);
    expect(at('np.clip(1 / (1 + np.exp(-z)), 1e-10, 1 - 1e-10)').noopMax).toBeUndefined();
  });

  it('1 - p of such a clamp points back at it', () => {
    const { at } = valuesOf(`${HEAD}
def f(x):
    p = torch.sigmoid(x).clamp(1e-8, 1 - 1e-8)
    q = 1 - p
`, 'f');
    expect(at('1 - p').of?.noopMax).toBeDefined();
  });
});

describe('a probability joined with its complement is neither (LL204)', () => {
  it('where(mask, p, 1 - p) with an unknown mask is a new value, not the sigmoid output', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, mask):
    p = torch.sigmoid(x).clamp(1e-6, 1 - 1e-6)
    pt = torch.where(mask > 0.5, p, 1 - p)
`, 'f');
    expect(at('torch.where(mask > 0.5, p, 1 - p)').id).not.toBe(at('torch.sigmoid(x)').id);
  });
});

describe('two scalars chosen element by element are no scalar (LL102)', () => {
  it('where(built == 1, 0.25, 0.75) with a condition not read as the targets is not "scalar 0.25 or 0.75"', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, labels):
    built = torch.ones(x.shape) * -1
    built[labels > 0, :] = 0
    a_t = torch.where(built == 1, 0.25, 0.75)
    w = torch.where(labels == 1, 0.25, 0.75)
`, 'f');
    expect(at('torch.where(built == 1, 0.25, 0.75)').m).toBe('unknown');
    // On the targets themselves it is still alpha_t.
    expect(at('torch.where(labels == 1, 0.25, 0.75)').m).not.toBe('scalar');
  });
});

describe('per-sample layout (LL117)', () => {
  it('gather at t[:, None] keeps a size-1 class axis; an unreduced CE is [N]; their product is [N, N]', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, t, gamma=2.0):
    ce = F.cross_entropy(x, t, reduction="none")
    a = torch.softmax(x, 1).gather(1, t[:, None])
    b = torch.softmax(x, 1).gather(1, t.view(-1, 1)).squeeze(1)
    c = (1 - a) ** gamma * ce
    d = (1 - b) ** gamma * ce
    e = torch.softmax(x, 1).sum(1, keepdim=True)
    g = torch.softmax(x, 1).sum(dim=1)
`, 'f');
    expect(at('F.cross_entropy(x, t, reduction="none")').layout).toBe('vec');
    expect(at('torch.softmax(x, 1).gather(1, t[:, None])').layout).toBe('col');
    expect(at('torch.softmax(x, 1).gather(1, t.view(-1, 1)).squeeze(1)').layout).toBe('vec');
    const c = at('(1 - a) ** gamma * ce');
    expect(c.layout).toBe('mixed');
    expect(c.mixedAt).toEqual(c.src);
    expect(at('(1 - b) ** gamma * ce').layout).toBe('vec');
    expect(at('torch.softmax(x, 1).sum(1, keepdim=True)').layout).toBe('col');
    expect(at('torch.softmax(x, 1).sum(dim=1)').layout).toBe('vec');
  });

  it('a table indexed by the targets is laid out as the targets only when it is known 1-D', () => {
    const { at } = valuesOf(`${HEAD}
def f(t, w, alpha=(0.25, 0.75)):
    flat = torch.tensor(alpha)
    a = flat[t]
    b = flat[t.view(-1, 1)]
    c = w[t]
    d = flat.view(-1, 1)[t]
`, 'f');
    expect(at('flat[t]').layout).toBe('vec');
    expect(at('flat[t.view(-1, 1)]').layout).toBe('col');
    expect(at('w[t]').layout).toBeUndefined();
    expect(at('flat.view(-1, 1)[t]').layout).toBeUndefined();
  });

  it('scalars and reduced values broadcast without changing a layout; unknown shapes never mix', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, t, m):
    ce = F.cross_entropy(x, t, reduction="none")
    a = 2.0 * ce
    b = ce * ce.mean()
    c = ce * m
`, 'f');
    expect(at('2.0 * ce').layout).toBe('vec');
    expect(at('ce * ce.mean()').layout).toBe('vec');
    expect(at('ce * m').layout).toBeUndefined();
  });
});

describe('positive counts (LL115)', () => {
  it('a sum of a comparison of the targets, or of binary targets, counts positives; a sum of logits does not', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, labels, targets):
    a = (labels > 0).sum()
    b = (targets == 1).float().sum().clamp(min=1)
    c = targets.sum()
    d = x.sum()
`, 'f');
    expect(at('(labels > 0).sum()').posCount).toBe(true);
    expect(at('(targets == 1).float().sum().clamp(min=1)').posCount).toBe(true);
    expect(at('targets.sum()').posCount).toBe(true);
    expect(at('x.sum()').posCount).toBeUndefined();
  });
});

describe('16-bit floats (LL205)', () => {
  it('.half() and .to(torch.bfloat16) make a 16-bit tensor; elementwise ops keep it; float32 tensors promote it away', () => {
    const { at } = valuesOf(`${HEAD}
def f(x, t):
    a = torch.sigmoid(x.half())
    b = x.to(torch.bfloat16).sigmoid()
    c = a * 0.5
    d = a * t
    e = a.float()
`, 'f');
    expect(at('torch.sigmoid(x.half())').lowp).toBe('float16');
    expect(at('x.to(torch.bfloat16).sigmoid()').lowp).toBe('bfloat16');
    expect(at('a * 0.5').lowp).toBe('float16');
    expect(at('a * t').lowp).toBeUndefined();
    expect(at('a.float()').lowp).toBeUndefined();
  });
});

describe('random integer draws (ops/table/random.ts)', () => {
  it('are class indices only where their dtype is int: a float tensor filled in place by random_ holds floats', () => {
    const { at } = valuesOf(`${HEAD}
def f(n):
    a = torch.randint(0, 5, (n,))
    b = torch.empty(n).random_(2)
    c = torch.empty(n).random_(5)
    d = torch.randint(0, 2, (n,))
    e = torch.randint(0, 5, (n,), dtype=torch.float32)
    return a, b, c, d, e
`, 'f');
    expect(at('torch.randint(0, 5, (n,))')).toMatchObject({ m: 'target_index', dtype: 'int' });
    expect(at('torch.empty(n).random_(2)')).toMatchObject({ m: 'target' });
    expect(at('torch.empty(n).random_(2)').dtype).not.toBe('int');
    expect(at('torch.empty(n).random_(5)').m).not.toBe('target_index');
    expect(at('torch.randint(0, 2, (n,))')).toMatchObject({ m: 'target', dtype: 'int' });
    expect(at('torch.randint(0, 5, (n,), dtype=torch.float32)')).toMatchObject({ m: 'unknown', dtype: 'float' });
  });
});
