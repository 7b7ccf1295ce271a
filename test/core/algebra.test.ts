/**
 * The algebra of meanings (server/src/core/algebra.ts), one fact per test, through the interpreter
 * on small functions written in several styles (the names are chosen to carry no meaning: the facts
 * must come from the operations, not from what things are called).
 */
import { describe, expect, it } from 'vitest';
import { valuesOf } from './helpers';

describe('signs and masks', () => {
  it('-t * log p is a negated product masked by t, and -t*log p - (1-t)*log(1-p) the binary cross-entropy', () => {
    const { at } = valuesOf(
      `import torch
def f(a, y):
    q = torch.sigmoid(a)
    first = -y * torch.log(q)
    both = -y * torch.log(q) - (1 - y) * torch.log(1 - q)
    return both
`,
      'f',
    );
    expect(at('-y * torch.log(q)')).toMatchObject({ m: 'masked', negated: true });
    expect(at('-y * torch.log(q) - (1 - y) * torch.log(1 - q)')).toMatchObject({ m: 'ce', act: 'sigmoid', binary: true });
  });

  it('t * log p + (1 - t) * log(1 - p) is the binary log-likelihood; a mixed sign is not', () => {
    const { at } = valuesOf(
      `import torch
def f(a, y):
    q = torch.sigmoid(a)
    ll = y * torch.log(q) + (1 - y) * torch.log(1 - q)
    odd = y * torch.log(q) - (1 - y) * torch.log(1 - q)
    return ll
`,
      'f',
    );
    expect(at('y * torch.log(q) + (1 - y) * torch.log(1 - q)')).toMatchObject({ m: 'logprob', gathered: true, act: 'sigmoid' });
    expect(['ce', 'logprob']).not.toContain(at('y * torch.log(q) - (1 - y) * torch.log(1 - q)').m);
  });

  it('a negated modulating factor keeps its meaning', () => {
    const { at } = valuesOf(
      `import torch
def f(a, b, g=2.0):
    lp = torch.log_softmax(a, 1).gather(1, b.view(-1, 1)).view(-1)
    m = -1 * (1 - lp.exp()) ** g
    return m * lp
`,
      'f',
    );
    expect(at('-1 * (1 - lp.exp()) ** g')).toMatchObject({ m: 'modulating', negated: true });
    expect(at('m * lp').m).toBe('focal');
  });
});

describe('categorical or binary, from the formula', () => {
  it('a lone masked log-likelihood summed over the class axis is categorical (softmax) when the activation is not known', () => {
    const { at } = valuesOf(
      `import keras.backend as K
def f(y_true, y_pred):
    return -K.sum(y_true * K.log(y_pred), axis=-1)
`,
      'f',
    );
    expect(at('K.sum(y_true * K.log(y_pred), axis=-1)')).toMatchObject({ m: 'logprob', gathered: true, act: 'softmax' });
  });

  it('a focal product of a lone masked term reduced over everything is categorical too', () => {
    const { at } = valuesOf(
      `import keras.backend as K
def f(y_true, y_pred, a=0.25, g=2.0):
    w = a * K.pow(1 - y_pred, g)
    ce = -y_true * K.log(y_pred)
    return K.mean(w * ce)
`,
      'f',
    );
    const v = at('K.mean(w * ce)');
    expect(v.m).toBe('focal');
    expect(v.act).toBe('softmax');
  });

  it('two factors masked by the same targets multiply under one mask (t * t = t); by different targets they do not', () => {
    const { at } = valuesOf(
      `import keras.backend as K
def f(y_true, y_pred, a=0.25, g=2.0):
    w = a * y_true * K.pow(1 - y_pred, g)
    ce = -y_true * K.log(y_pred)
    odd = -(1 - y_true) * K.log(1 - y_pred)
    both = w * ce
    mixed = w * odd
    return K.sum(both, axis=-1)
`,
      'f',
    );
    const both = at('w * ce');
    expect(both).toMatchObject({ m: 'masked', negated: true });
    expect(both.of).toMatchObject({ m: 'focal' });
    expect(both.of?.focal?.alpha?.kind).toBe('scalar');
    expect(both.of?.focal?.ce?.m).toBe('logprob');
    expect(at('K.sum(both, axis=-1)')).toMatchObject({ m: 'focal', act: 'softmax' });
    // The complement's mask is not the same mask (t * (1 - t) is 0): the product stays masked twice.
    expect(at('w * odd').of?.m).toBe('masked');
  });
});

describe('hand-written activations and stable forms', () => {
  it('1 / (1 + exp(-x)) is a sigmoid, in torch and numpy', () => {
    const { at } = valuesOf(
      `import numpy as np
def f(logits):
    return 1.0 / (1.0 + np.exp(-logits))
`,
      'f',
    );
    expect(at('1.0 / (1.0 + np.exp(-logits))')).toMatchObject({ m: 'prob', act: 'sigmoid' });
  });

  it('exp(z) / exp(z).sum(axis) is a softmax, with one exp or two', () => {
    const { at } = valuesOf(
      `import numpy as np
def f(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p1 = e / e.sum(axis=1, keepdims=True)
    p2 = np.exp(logits) / np.sum(np.exp(logits), axis=1, keepdims=True)
    return p1, p2
`,
      'f',
    );
    expect(at('e / e.sum(axis=1, keepdims=True)')).toMatchObject({ m: 'prob', act: 'softmax' });
    expect(at('np.exp(logits) / np.sum(np.exp(logits), axis=1, keepdims=True)')).toMatchObject({ m: 'prob', act: 'softmax' });
  });

  it('exp(z) times weights or a mask still normalises: z - log(sum(w * exp(z))) is a log-probability, a masked softmax a probability; times targets it is not', () => {
    const { at } = valuesOf(
      `import torch
def f(u, w, m, y):
    norm = torch.exp(u).mul(w).sum(dim=1, keepdim=True)
    lp = u - torch.log(norm)
    e = torch.exp(u) * m
    p = e / e.sum(dim=1, keepdim=True)
    at_y = (torch.exp(u) * torch.nn.functional.one_hot(y, 5)).sum(dim=1, keepdim=True)
    return lp, p, at_y
`,
      'f',
    );
    expect(at('torch.exp(u).mul(w)').expOf).toBeDefined();
    expect(at('u - torch.log(norm)')).toMatchObject({ m: 'logprob', act: 'softmax' });
    expect(at('e / e.sum(dim=1, keepdim=True)')).toMatchObject({ m: 'prob', act: 'softmax' });
    // exp(u) masked by one-hot targets keeps one class's exponential: no normaliser.
    expect(at('torch.exp(u) * torch.nn.functional.one_hot(y, 5)').expOf).toBeUndefined();
  });

  it('x - logsumexp(x) is a log-softmax; logsumexp(x) - x[t] the cross-entropy', () => {
    const { at } = valuesOf(
      `import torch
def f(logits, t):
    z = torch.logsumexp(logits, dim=1, keepdim=True)
    logp = logits - z
    return logp
`,
      'f',
    );
    expect(at('logits - z')).toMatchObject({ m: 'logprob', act: 'softmax' });
  });

  it('x - x * t + log(1 + exp(-x)) and its max-shifted form are the binary cross-entropy with logits', () => {
    const { at } = valuesOf(
      `import torch
def f(logits, target):
    simple = logits - logits * target + torch.log(1 + torch.exp(-logits))
    m = (-logits).clamp(min=0)
    shifted = logits - logits * target + m + torch.log(torch.exp(-m) + torch.exp(-logits - m))
    return simple, shifted
`,
      'f',
    );
    expect(at('logits - logits * target + torch.log(1 + torch.exp(-logits))')).toMatchObject({ m: 'ce', act: 'sigmoid' });
    expect(at('logits - logits * target + m + torch.log(torch.exp(-m) + torch.exp(-logits - m))')).toMatchObject({ m: 'ce', act: 'sigmoid' });
  });

  it('t * softplus(-x) + (1 - t) * softplus(x) is the binary cross-entropy with logits', () => {
    const { at } = valuesOf(
      `import torch.nn.functional as F
def f(logits, target):
    return target * F.softplus(-logits) + (1 - target) * F.softplus(logits)
`,
      'f',
    );
    expect(at('target * F.softplus(-logits) + (1 - target) * F.softplus(logits)')).toMatchObject({ m: 'ce', act: 'sigmoid' });
  });

  it('the rows of an identity matrix at the targets are their one-hot encoding', () => {
    const { at } = valuesOf(
      `import torch
def f(logits, target):
    oh = torch.eye(logits.shape[1])[target]
    return oh
`,
      'f',
    );
    expect(at('torch.eye(logits.shape[1])[target]').m).toBe('target_onehot');
  });
});

describe('what a constant factor is meant to be', () => {
  it('a hyperparameter named like alpha counts as alpha even at its default of 1; a scale does not; a literal 1 is nothing', () => {
    const src = `import torch
import torch.nn.functional as F
def f(x, t, alpha=1.0, loss_weight=1.0, gamma=2.0):
    ce = F.cross_entropy(x, t, reduction="none")
    m = (1 - torch.exp(-ce)) ** gamma
    a = alpha * m * ce
    b = loss_weight * m * ce
    c = 1 * m * ce
    return a, b, c
`;
    const { at } = valuesOf(src, 'f');
    expect(at('alpha * m * ce').focal?.alpha?.kind).toBe('scalar');
    expect(at('loss_weight * m * ce').focal?.alpha).toBeUndefined();
    expect(at('1 * m * ce').focal?.alpha).toBeUndefined();
  });
});

describe('clamps through a one-hot selection', () => {
  it('probabilities clipped to [eps, 1 - eps] and then selected by a one-hot sum keep the clip: p_t and 1 - p_t are bounded away from 0', () => {
    const { at } = valuesOf(
      `import torch
def f(a, y):
    q = torch.softmax(a, dim=-1).clamp(1e-6, 1 - 1e-6)
    sel = (y * q).sum(dim=-1)
    return 1 - sel
`,
      'f',
    );
    const pt = at('(y * q).sum(dim=-1)');
    expect(pt).toMatchObject({ m: 'pt', clamped: true });
    expect(pt.range?.lo).toBeGreaterThan(0);
    expect(at('1 - sel').range?.lo).toBeGreaterThan(0);
  });
});

describe('balancing weights of unknown kind', () => {
  it('where(t == 1, a, 1 - a) and t*a + (1-t)*(1-a) are alpha_t also when nothing is known of the hyperparameter a', () => {
    const { at } = valuesOf(
      `import torch
class L:
    def __init__(self, alpha):
        self.alpha = alpha
    def forward(self, x, y):
        w = torch.where(y == 1, self.alpha, 1 - self.alpha)
        v = y * self.alpha + (1 - y) * (1 - self.alpha)
        return w, v
`,
      'L.forward',
    );
    expect(at('torch.where(y == 1, self.alpha, 1 - self.alpha)').m).toBe('alpha_t');
    expect(at('y * self.alpha + (1 - y) * (1 - self.alpha)').m).toBe('alpha_t');
  });
});

describe('a loss term on each side of a where', () => {
  it('where(t == 1, a * fl, (1 - a) * fl) is the focal loss with alpha_t; the same a on both sides stays a scalar; a weight on one side only is alpha_t', () => {
    const { at } = valuesOf(
      `import torch
import torch.nn.functional as F
def f(z, y, a=0.25, g=2.0):
    q = torch.sigmoid(z)
    qt = torch.where(y == 1, q, 1 - q)
    fl = (1 - qt) ** g * F.binary_cross_entropy_with_logits(z, y, reduction="none")
    both = torch.where(y == 1, a * fl, (1 - a) * fl)
    same = torch.where(y == 1, a * fl, a * fl)
    one = torch.where(y >= 0.5, a * fl, fl)
    return both, same, one
`,
      'f',
    );
    const both = at('torch.where(y == 1, a * fl, (1 - a) * fl)');
    expect(both).toMatchObject({ m: 'focal' });
    expect(both.focal?.alpha?.kind).toBe('alpha_t');
    expect(both.focal?.modulating).toBeDefined();
    expect(at('torch.where(y == 1, a * fl, a * fl)').focal?.alpha?.kind).toBe('scalar');
    expect(at('torch.where(y >= 0.5, a * fl, fl)').focal?.alpha?.kind).toBe('alpha_t');
  });

  it('a where on something other than the targets is not read as sides', () => {
    const { at } = valuesOf(
      `import torch
import torch.nn.functional as F
def f(z, y, a=0.25, g=2.0):
    q = torch.sigmoid(z)
    qt = torch.where(y == 1, q, 1 - q)
    fl = (1 - qt) ** g * F.binary_cross_entropy_with_logits(z, y, reduction="none")
    return torch.where(q > 0.5, a * fl, (1 - a) * fl)
`,
      'f',
    );
    expect(at('torch.where(q > 0.5, a * fl, (1 - a) * fl)').focal?.alpha?.kind).not.toBe('alpha_t');
  });
});

describe('columns of a probability', () => {
  it('probs[:, k] is the probability of one class, not known to be the positive one: its powers are not per-class factors to judge', () => {
    const { at } = valuesOf(
      `import torch
def f(z, g=2.0):
    q = torch.softmax(z, dim=1)
    a = q[:, 0]
    b = (1 - q[:, 1]) ** g
    c = (1 - q) ** g
    return a, b, c
`,
      'f',
    );
    expect(at('q[:, 0]')).toMatchObject({ m: 'prob', column: 0 });
    expect(at('(1 - q[:, 1]) ** g').perClass).toBeUndefined();
    expect(at('(1 - q) ** g').perClass).toBe('one_minus_p');
  });
});

describe('targets under a 0/1 mask', () => {
  it('class indices times a comparison of themselves stay class indices (ignored labels set to 0)', () => {
    const { at } = valuesOf(
      `import torch
def f(scores, labels, w):
    labels = labels.long()
    a = labels * (labels != 255).long()
    b = labels * w
    return a
`,
      'f',
    );
    expect(at('labels * (labels != 255).long()').m).toBe('target_index');
    // Times anything that is not a 0/1 mask, a target is a mask for it, as before.
    expect(at('labels * w').m).toBe('masked');
  });
});

describe('the largest class of a term masked by one-hot targets', () => {
  it('is the term at the target when the term is >= 0 there (as a sum over the classes); not when it is <= 0', () => {
    const { at } = valuesOf(
      `import tensorflow as tf
def f(y_true, y_pred, a=0.25, g=2.0):
    pos = a * y_true * tf.pow(1.0 - y_pred, g) * -tf.math.log(y_pred)
    neg = a * y_true * tf.pow(1.0 - y_pred, g) * tf.math.log(y_pred)
    x = tf.reduce_max(pos, axis=-1)
    y = tf.reduce_max(neg, axis=-1)
    return x
`,
      'f',
    );
    expect(at('tf.reduce_max(pos, axis=-1)')).toMatchObject({ m: 'focal', act: 'softmax' });
    // Off the target the term is 0, above a negative term: the maximum is not the target's.
    expect(at('tf.reduce_max(neg, axis=-1)').m).toBe('unknown');
  });
});

describe('a table of alpha and its complement taken at the targets', () => {
  it('is alpha_t, with alpha on the negatives when alpha is entry 0; other tables are per-class weights', () => {
    const { at } = valuesOf(
      `import torch
def f(x, t, a=0.25):
    neg = torch.tensor([a, 1.0 - a])[t.long()]
    pos = torch.tensor([1.0 - a, a]).gather(0, t.long())
    other = torch.tensor([a, 0.5])[t.long()]
    return neg
`,
      'f',
    );
    expect(at('torch.tensor([a, 1.0 - a])[t.long()]')).toMatchObject({ m: 'alpha_t', alphaOnNeg: true });
    const pos = at('torch.tensor([1.0 - a, a]).gather(0, t.long())');
    expect(pos.m).toBe('alpha_t');
    expect(pos.alphaOnNeg).toBeFalsy();
    expect(at('torch.tensor([a, 0.5])[t.long()]').m).toBe('alpha_class');
  });
});

describe('label smoothing towards a class count read at run time', () => {
  it('t * (1 - e) + e / K is smoothed targets when K is not a known number; another numerator is not', () => {
    const { at } = valuesOf(
      `import torch
def f(onehot, probs, k, e=0.1, other=0.05):
    a = onehot * (1 - e) + e / k
    b = onehot * (1 - e) + other / k
    return a
`,
      'f',
    );
    expect(at('onehot * (1 - e) + e / k').smoothed?.values).toEqual([0.1]);
    expect(at('onehot * (1 - e) + other / k').smoothed).toBeUndefined();
  });
});

describe('the distance between targets and a sigmoid probability', () => {
  it('|t - p| and |p - t| are 1 - p_t (the modulating factor written as a distance); other differences are not', () => {
    const { at } = valuesOf(
      `import torch
def f(logits, target, other):
    p = torch.sigmoid(logits)
    a = torch.abs(target - p)
    b = (p - target).abs()
    c = torch.abs(other - p)
    d = torch.abs(target - torch.softmax(logits, dim=1))
    e = target - p
    return a
`,
      'f',
    );
    expect(at('torch.abs(target - p)')).toMatchObject({ m: 'one_minus_pt', act: 'sigmoid', binary: true });
    expect(at('(p - target).abs()').m).toBe('one_minus_pt');
    expect(at('torch.abs(other - p)').m).not.toBe('one_minus_pt');
    expect(at('torch.abs(target - torch.softmax(logits, dim=1))').m).not.toBe('one_minus_pt');
    // Without |.| the signed difference is no probability of any kind.
    expect(at('target - p').m).toBe('unknown');
  });
});

describe('a 0/1 mask of one side of binary targets', () => {
  it('(t == 1) masks as t, (t == 0) as 1 - t; class indices compared with 1 do not', () => {
    const { at } = valuesOf(
      `import torch
def f(logits, target, labels: torch.LongTensor, gamma=2.0):
    p = torch.sigmoid(logits)
    a = (target == 1).float() * torch.pow(1 - p, gamma)
    b = (target == 0).float() * torch.pow(p, gamma)
    c = (a).detach()
    idx = torch.nn.functional.cross_entropy(logits, labels)
    d = (labels == 1).float() * torch.pow(1 - p, gamma)
    return a
`,
      'f',
    );
    const a = at('(target == 1).float() * torch.pow(1 - p, gamma)');
    expect(a).toMatchObject({ m: 'masked' });
    expect(a.of?.m).toBe('modulating');
    expect(a.maskComplementOf).toBeUndefined();
    const b = at('(target == 0).float() * torch.pow(p, gamma)');
    expect(b.m).toBe('masked');
    expect(b.maskComplementOf).toBeDefined();
    // Detaching a masked value detaches what it masks.
    expect(at('(a).detach()').of?.detached).toBe(true);
    expect(at('(labels == 1).float() * torch.pow(1 - p, gamma)').m).not.toBe('masked');
  });

  it('stays that side times another 0/1 mask (valid elements only)', () => {
    const { at } = valuesOf(
      `import torch
def f(logits, target, gamma=2.0, ignore=255):
    p = torch.sigmoid(logits)
    pos = (target == 1).float() * (target != ignore).float()
    w = pos * torch.pow(1 - p, gamma)
    return w
`,
      'f',
    );
    expect(at('(target == 1).float() * (target != ignore).float()')).toMatchObject({ m: 'bool' });
    expect(at('pos * torch.pow(1 - p, gamma)')).toMatchObject({ m: 'masked' });
  });
});

describe('which side of binary targets a comparison selects', () => {
  it('thresholds between 0 and 1 split them; t >= 0 keeps every valid target (no side)', () => {
    const { at } = valuesOf(
      `import torch
def f(logits, target):
    a = target > 0.5
    b = target >= 1
    c = target < 0.5
    d = target >= 0
    e = target > 2
    return a
`,
      'f',
    );
    expect(at('target > 0.5')).toMatchObject({ m: 'bool' });
    expect(at('target > 0.5').of?.m).toBe('target');
    expect(at('target >= 1').maskNeg).toBeFalsy();
    expect(at('target >= 1').of).toBeDefined();
    expect(at('target < 0.5').maskNeg).toBe(true);
    expect(at('target >= 0').of).toBeUndefined();
    expect(at('target > 2').of).toBeUndefined();
  });
});

describe('a tensor clamped above 0, then normalised by its sum', () => {
  it('is a probability kept away from 0; an exp normalised the same way is not', () => {
    const { at } = valuesOf(
      `import torch
def f(hist, scores, eps=1e-8):
    h = hist.clamp(eps)
    p = h / h.sum(dim=-1, keepdim=True)
    e = torch.exp(scores)
    q = e / e.sum(dim=-1, keepdim=True)
    return p, q
`,
      'f',
    );
    expect(at('h / h.sum(dim=-1, keepdim=True)')).toMatchObject({ m: 'prob', clamped: true });
    const q = at('e / e.sum(dim=-1, keepdim=True)');
    expect(q.m).toBe('prob');
    expect(q.clamped).toBeFalsy();
  });
});

describe('an exponential normalised by the sum of all its entries', () => {
  it('is a probability (the softmax of one example); a full sum of a signed tensor normalises nothing', () => {
    const { at } = valuesOf(
      `import numpy as np
def f(scores, w):
    e = np.exp(scores)
    p = e / np.sum(e)
    q = e / e.sum()
    r = w / w.sum()
    return p, q, r
`,
      'f',
    );
    expect(at('e / np.sum(e)')).toMatchObject({ m: 'prob', act: 'softmax' });
    expect(at('e / e.sum()').m).toBe('prob');
    expect(at('w / w.sum()').m).not.toBe('prob');
  });
});

describe('a normaliser given a new axis by indexing', () => {
  it('still normalises: e / e.sum(axis=1)[:, np.newaxis] is a softmax; a picked column is not a normaliser', () => {
    const { at } = valuesOf(
      `import numpy as np
def f(s):
    e = np.exp(s)
    p = e / e.sum(axis=1)[:, np.newaxis]
    q = e / np.sum(e, axis=1)[:, None]
    r = e / e.sum(axis=1)[0]
    return p, q, r
`,
      'f',
    );
    expect(at('e / e.sum(axis=1)[:, np.newaxis]')).toMatchObject({ m: 'prob', act: 'softmax' });
    expect(at('e / np.sum(e, axis=1)[:, None]').m).toBe('prob');
    expect(at('e / e.sum(axis=1)[0]').m).not.toBe('prob');
  });
});

describe('torch.tensor of a list literal', () => {
  it('is a 1-D weight vector even of values not known here (PyTorch refuses multi-element items); numpy may stack arrays', () => {
    const { at } = valuesOf(
      `import torch
import numpy as np
def f(w, u):
    a = torch.tensor([w, 1 - w])
    b = np.array([w, u])
    return a, b
`,
      'f',
    );
    expect(at('torch.tensor([w, 1 - w])')).toMatchObject({ m: 'class_weights', flat: true, count: 2 });
    expect(at('np.array([w, u])').m).not.toBe('class_weights');
  });
});

describe('the complement of a side mask', () => {
  it('1 - (t > 0).float() is the negatives mask', () => {
    const { at } = valuesOf(
      `import torch
def f(logits, target, gamma=2.0):
    pos = (target > 0).float()
    neg = 1.0 - pos
    w = neg * torch.sigmoid(logits).pow(gamma)
    return w
`,
      'f',
    );
    expect(at('1.0 - pos')).toMatchObject({ m: 'bool', maskNeg: true });
    expect(at('neg * torch.sigmoid(logits).pow(gamma)').maskComplementOf).toBeDefined();
  });
});

describe('a per-side weight: the target on the positives, a focal factor on the negatives', () => {
  it('t * pos + (1 - pos) * f keeps the negatives focal term; a target index or a plain tensor does not', () => {
    const { at } = valuesOf(
      `import torch
def f(logits, target, labels: torch.LongTensor, other, gamma=2.0):
    p = torch.sigmoid(logits)
    pos = (target > 0).float()
    w = pos * target + (1.0 - pos) * 0.75 * p.pow(gamma)
    u = other + (1.0 - pos) * 0.75 * p.pow(gamma)
    return w
`,
      'f',
    );
    const w = at('pos * target + (1.0 - pos) * 0.75 * p.pow(gamma)');
    expect(w).toMatchObject({ m: 'masked' });
    expect(w.maskComplementOf).toBeDefined();
    expect(w.of?.m).toBe('focal');
    expect(at('other + (1.0 - pos) * 0.75 * p.pow(gamma)').m).toBe('unknown');
  });
});
