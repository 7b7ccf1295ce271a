/**
 * The lattice facts behind the focal-semantics rules LL109-LL113, one fact per test, through the
 * interpreter on small functions (names chosen to carry no meaning: the facts come from the
 * operations): which side of a binary target a term is on, where a gradient is cut, whether a
 * modulating factor is taken at the target, what a class-weighted cross-entropy makes of p_t.
 */
import { describe, expect, it } from 'vitest';
import { valuesOf } from './helpers';

describe('the side of a binary target', () => {
  it('p on the positives and 1 - p on the negatives is p_t; the other way round (mmdet\'s `pt`) is 1 - p_t, and 1 - (1 - p_t) is p_t', () => {
    const { at } = valuesOf(
      `import torch
def f(a, y):
    q = torch.sigmoid(a)
    u = q * y + (1 - q) * (1 - y)
    v = (1 - q) * y + q * (1 - y)
    w = (1 - y) * q + y * (1 - q)
    z = 1 - v
    return u, v, w, z
`,
      'f',
    );
    expect(at('q * y + (1 - q) * (1 - y)')).toMatchObject({ m: 'pt', binary: true });
    expect(at('(1 - q) * y + q * (1 - y)')).toMatchObject({ m: 'one_minus_pt', binary: true });
    expect(at('1 - v')).toMatchObject({ m: 'pt', binary: true });
    expect(at('(1 - y) * q + y * (1 - q)')).toMatchObject({ m: 'one_minus_pt', binary: true });
  });

  it('a comparison of the target says which side it selects: where(y == 0, 1 - q, q) is p_t, where(y == 1, 1 - q, q) is 1 - p_t', () => {
    const { at } = valuesOf(
      `import torch
def f(a, y):
    q = torch.sigmoid(a)
    u = torch.where(y == 0, 1 - q, q)
    v = torch.where(y == 1, 1 - q, q)
    w = torch.where(y < 0.5, q, 1 - q)
    z = torch.where(y >= 0.5, q, 1 - q)
    return u, v, w, z
`,
      'f',
    );
    expect(at('y == 0')).toMatchObject({ m: 'bool', maskNeg: true });
    expect(at('y == 1').maskNeg).toBeUndefined();
    expect(at('torch.where(y == 0, 1 - q, q)').m).toBe('pt');
    expect(at('torch.where(y == 1, 1 - q, q)').m).toBe('one_minus_pt');
    expect(at('torch.where(y < 0.5, q, 1 - q)').m).toBe('one_minus_pt');
    expect(at('torch.where(y >= 0.5, q, 1 - q)').m).toBe('pt');
  });

  it('alpha_t knows which side alpha weighs: a * y + (1 - a) * (1 - y) the positives, a * (1 - y) + (1 - a) * y the negatives', () => {
    const { at } = valuesOf(
      `import torch
def f(y, a=0.25):
    u = a * y + (1 - a) * (1 - y)
    v = a * (1 - y) + (1 - a) * y
    w = torch.where(y == 1, 1 - a, a)
    z = torch.where(y == 0, 1 - a, a)
    return u, v, w, z
`,
      'f',
    );
    const u = at('a * y + (1 - a) * (1 - y)');
    expect(u.m).toBe('alpha_t');
    expect(u.alphaOnNeg).toBeUndefined();
    expect(u.of?.values).toEqual([0.25]);
    const v = at('a * (1 - y) + (1 - a) * y');
    expect(v).toMatchObject({ m: 'alpha_t', alphaOnNeg: true });
    expect(v.of?.values).toEqual([0.25]);
    expect(at('torch.where(y == 1, 1 - a, a)')).toMatchObject({ m: 'alpha_t', alphaOnNeg: true });
    expect(at('torch.where(y == 0, 1 - a, a)').alphaOnNeg).toBeUndefined();
  });

  it('two focal terms with alpha and 1 - alpha make alpha_t, and know which side alpha weighs', () => {
    const { at } = valuesOf(
      `import torch
def f(x, y, a=0.25, g=2.0):
    q = torch.sigmoid(x)
    u = a * y * (1 - q) ** g * torch.log(q) + (1 - a) * (1 - y) * q ** g * torch.log(1 - q)
    v = (1 - a) * y * (1 - q) ** g * torch.log(q) + a * (1 - y) * q ** g * torch.log(1 - q)
    return u, v
`,
      'f',
    );
    const u = at('a * y * (1 - q) ** g * torch.log(q) + (1 - a) * (1 - y) * q ** g * torch.log(1 - q)').focal?.alpha;
    expect(u).toMatchObject({ kind: 'alpha_t', value: { values: [0.25] } });
    expect(u?.onNeg).toBeUndefined();
    const v = at('(1 - a) * y * (1 - q) ** g * torch.log(q) + a * (1 - y) * q ** g * torch.log(1 - q)').focal?.alpha;
    expect(v).toMatchObject({ kind: 'alpha_t', onNeg: true, value: { values: [0.25] } });
  });
});

describe('where the gradient is cut', () => {
  it('.detach(), .data and stop_gradient detach, and what is computed from a detached value stays detached', () => {
    const { at } = valuesOf(
      `import torch
import torch.nn.functional as F
from torch.autograd import Variable
def f(a, b, g=2.0):
    lp = F.log_softmax(a, 1).gather(1, b.view(-1, 1)).view(-1)
    u = Variable(lp.data.exp())
    v = lp.exp().detach()
    w = (1 - v) ** g
    z = (1 - lp.exp()) ** g
    return u, w, z
`,
      'f',
    );
    expect(at('lp.data')).toMatchObject({ m: 'logprob', detached: true });
    expect(at('Variable(lp.data.exp())')).toMatchObject({ m: 'pt', detached: true });
    expect(at('lp.exp().detach()')).toMatchObject({ m: 'pt', detached: true });
    expect(at('1 - v')).toMatchObject({ m: 'one_minus_pt', detached: true });
    expect(at('(1 - v) ** g')).toMatchObject({ m: 'modulating', detached: true });
    expect(at('(1 - lp.exp()) ** g').detached).toBeFalsy();
  });

  it('what a `with torch.no_grad():` body binds is detached there; the body of `with torch.enable_grad():` inside it is not', () => {
    const { at, facts } = valuesOf(
      `import torch
def f(a, b, g=2.0):
    with torch.no_grad():
        q = torch.softmax(a, 1).gather(1, b.view(-1, 1)).view(-1)
        m = (1 - q) ** g
        with torch.enable_grad():
            n = (1 - q) ** g
    r = (1 - torch.softmax(a, 1).gather(1, b.view(-1, 1)).view(-1)) ** g
    return m, n, r
`,
      'f',
    );
    expect(at('torch.no_grad()')).toMatchObject({ gradMode: 'off' });
    expect(at('m')).toMatchObject({ m: 'modulating', detached: true });
    expect(at('m').detachSrc).toBeDefined();
    // n is computed from q, which the no_grad body detached.
    expect(at('n')).toMatchObject({ m: 'modulating', detached: true });
    expect(at('r').detached).toBeFalsy();
    expect(facts.fn.body.some((s) => s.k === 'other' && s.what === 'with' && s.items?.length === 1)).toBe(true);
  });

  it('torch.set_grad_enabled(False) as a statement detaches what is bound until it is turned on again', () => {
    const { at } = valuesOf(
      `import torch
def f(a, y, g=2.0):
    q = torch.sigmoid(a)
    torch.set_grad_enabled(False)
    u = q * y + (1 - q) * (1 - y)
    torch.set_grad_enabled(True)
    v = q * y + (1 - q) * (1 - y)
    return u, v
`,
      'f',
    );
    expect(at('u')).toMatchObject({ m: 'pt', detached: true });
    expect(at('v').detached).toBeFalsy();
  });

  it('a value detached on one path only is not detached where the paths join', () => {
    const { at } = valuesOf(
      `import torch
def f(a, b, flag, g=2.0):
    q = torch.softmax(a, 1).gather(1, b.view(-1, 1)).view(-1)
    if flag:
        q = q.detach()
    m = (1 - q) ** g
    return m
`,
      'f',
    );
    expect(at('m').m).toBe('modulating');
    expect(at('m').detached).toBeFalsy();
  });
});

describe('pt from a class-weighted cross-entropy', () => {
  it('a cross-entropy with class weights carries them through -ce and exp(-ce); a literal None, ones or a 0/1 mask weigh nothing', () => {
    const { at } = valuesOf(
      `import torch
import torch.nn as nn
import torch.nn.functional as F
W = torch.tensor([0.5, 2.0])
def f(a, b, w, m, g=2.0):
    u = torch.exp(-F.cross_entropy(a, b, weight=w, reduction="none"))
    v = torch.exp(-F.cross_entropy(a, b, weight=None, reduction="none"))
    z = torch.exp(-nn.CrossEntropyLoss(weight=W, reduction="none")(a, b))
    q = torch.exp(-F.binary_cross_entropy_with_logits(a, m, pos_weight=w, reduction="none"))
    r = torch.exp(-F.binary_cross_entropy_with_logits(a, m, weight=w, reduction="none"))
    s = torch.exp(-F.cross_entropy(a, b, weight=torch.ones(2), reduction="none"))
    return u, v, z, q, r, s
`,
      'f',
    );
    expect(at('torch.exp(-F.cross_entropy(a, b, weight=w, reduction="none"))')).toMatchObject({ m: 'pt', classWeight: { name: 'w' } });
    expect(at('torch.exp(-F.cross_entropy(a, b, weight=None, reduction="none"))').classWeight).toBeUndefined();
    expect(at('torch.exp(-nn.CrossEntropyLoss(weight=W, reduction="none")(a, b))').classWeight).toMatchObject({ m: 'class_weights', values: [0.5, 2] });
    expect(at('torch.exp(-F.binary_cross_entropy_with_logits(a, m, pos_weight=w, reduction="none"))').classWeight).toBeDefined();
    // A binary `weight` of unknown values may be a mask: not a class weight.
    expect(at('torch.exp(-F.binary_cross_entropy_with_logits(a, m, weight=w, reduction="none"))').classWeight).toBeUndefined();
    expect(at('torch.exp(-F.cross_entropy(a, b, weight=torch.ones(2), reduction="none"))').classWeight).toBeUndefined();
  });

  it('a weight hyperparameter that is None by default is kept (it weighs as soon as a caller passes weights)', () => {
    const { at } = valuesOf(
      `import torch
import torch.nn.functional as F
def f(a, b, weight=None):
    return torch.exp(-F.cross_entropy(a, b, weight=weight, reduction="none"))
`,
      'f',
    );
    expect(at('torch.exp(-F.cross_entropy(a, b, weight=weight, reduction="none"))').classWeight).toMatchObject({ m: 'none', name: 'weight' });
  });
});

describe('a modulating factor taken at the target or not', () => {
  it('(1 - p) ** g of a sigmoid probability, and p ** g, are per class until applied to one side of the targets', () => {
    const { at } = valuesOf(
      `import torch
def f(a, y, g=2.0):
    q = torch.sigmoid(a)
    u = (1 - q) ** g
    v = q ** g
    pos = u * y
    neg = u * (1 - y)
    w = torch.where(y == 1, v, u)
    return pos, neg, w
`,
      'f',
    );
    expect(at('(1 - q) ** g')).toMatchObject({ m: 'modulating', perClass: 'one_minus_p' });
    expect(at('q ** g')).toMatchObject({ m: 'modulating', perClass: 'p' });
    // On the positives (1 - p) ** g is (1 - p_t) ** g; on the negatives it is misplaced.
    const pos = at('u * y');
    expect(pos.of?.perClass).toBeUndefined();
    expect(pos.of?.misplaced).toBeUndefined();
    expect(at('u * (1 - y)').of?.misplaced).toBe('negatives');
    expect(at('torch.where(y == 1, v, u)')).toMatchObject({ m: 'modulating', misplaced: 'positives' });
  });

  it('a softmax factor over every class is taken at the target by a gather, nll_loss or a one-hot mask, and misplaced once reduced over the classes', () => {
    const { at } = valuesOf(
      `import torch
import torch.nn.functional as F
def f(a, b, g=2.0):
    m = (1 - F.softmax(a, 1)) ** g
    n = F.nll_loss(m * F.log_softmax(a, 1), b, reduction="none")
    h = F.one_hot(b, 3).float()
    o = (m * F.log_softmax(a, 1) * h).sum(1)
    r = m.mean(dim=1)
    return n, o, r
`,
      'f',
    );
    expect(at('(1 - F.softmax(a, 1)) ** g')).toMatchObject({ m: 'modulating', act: 'softmax', perClass: 'one_minus_p' });
    expect(at('F.nll_loss(m * F.log_softmax(a, 1), b, reduction="none")').focal?.modulating?.perClass).toBeUndefined();
    expect(at('(m * F.log_softmax(a, 1) * h).sum(1)').focal?.modulating?.perClass).toBeUndefined();
    expect(at('m.mean(dim=1)')).toMatchObject({ m: 'modulating', misplaced: 'classes' });
  });

  it('a factor beside one side\'s log-likelihood is judged against that side, whichever target selects the term', () => {
    const { at } = valuesOf(
      `import torch
def f(a, y, g=2.0):
    q = torch.sigmoid(a)
    k = 1 - q
    r = y * (torch.log(k) * q ** g)
    s = (1 - y) * (torch.log(q) * k ** g)
    u = y * (torch.log(k) * k ** g)
    v = (1 - y) * (torch.log(q) * q ** g)
    return r + s, u + v
`,
      'f',
    );
    // log(1 - q) scores class 0 and p ** g is its (1 - p_t) ** g, though the term sits on y = 1 (the
    // file's label convention); log(q) with (1 - q) ** g likewise on y = 0.
    expect(at('y * (torch.log(k) * q ** g)').of?.focal?.modulating?.misplaced).toBeUndefined();
    expect(at('(1 - y) * (torch.log(q) * k ** g)').of?.focal?.modulating?.misplaced).toBeUndefined();
    // The factor of the other side beside a log: misplaced, whichever target selects it.
    expect(at('y * (torch.log(k) * k ** g)').of?.focal?.modulating?.misplaced).toBe('negatives');
    expect(at('(1 - y) * (torch.log(q) * q ** g)').of?.focal?.modulating?.misplaced).toBe('positives');
  });

  it('a binary cross-entropy against constant targets is one side\'s loss', () => {
    const { at } = valuesOf(
      `import torch
import torch.nn.functional as F
def f(q):
    z = q.new_zeros(q.shape)
    return F.binary_cross_entropy(q, z, reduction="none")
`,
      'f',
    );
    expect(at('F.binary_cross_entropy(q, z, reduction="none")')).toMatchObject({ m: 'ce', targetSide: 'neg' });
  });
});

describe('what alpha can be', () => {
  it('isinstance(None, T) is False, so a branch that converts a list alpha is skipped while alpha is None', () => {
    const { at } = valuesOf(
      `import torch
def f(a=None):
    w = a
    if isinstance(a, list):
        w = torch.tensor(a)
    n = isinstance(a, type(None))
    return w, n
`,
      'f',
    );
    expect(at('isinstance(a, list)')).toMatchObject({ m: 'bool', bool: false });
    expect(at('w')).toMatchObject({ m: 'none' });
    expect(at('w').orNone).toBeFalsy();
    expect(at('isinstance(a, type(None))').bool).toBeUndefined();
  });

  it('isinstance of a Python number left at its default: no tensor, array or container; int or float as the literal is written', () => {
    const { at } = valuesOf(
      `import numbers
import numpy as np
import torch
from torch import Tensor
def f(a=1, b=0.25, c=-2, k="x"):
    r = (
        isinstance(a, torch.Tensor),
        isinstance(a, Tensor),
        isinstance(b, (list, np.ndarray)),
        isinstance(a, float),
        isinstance(a, (float, int)),
        isinstance(b, float),
        isinstance(b, numbers.Number),
        isinstance(c, int),
        isinstance(float(a), float),
        isinstance(k, str),
        isinstance(k, torch.Tensor),
        not isinstance(a, torch.Tensor),
    )
    return r
`,
      'f',
    );
    const answer = (src: string): boolean | undefined => at(src).bool;
    expect(answer('isinstance(a, torch.Tensor)')).toBe(false);
    expect(answer('isinstance(a, Tensor)')).toBe(false);
    expect(answer('isinstance(b, (list, np.ndarray))')).toBe(false);
    // Python types `1` an int, `0.25` a float, `-2` an int: isinstance(1, float) is False.
    expect(answer('isinstance(a, float)')).toBe(false);
    expect(answer('isinstance(a, (float, int))')).toBe(true);
    expect(answer('isinstance(b, float)')).toBe(true);
    expect(answer('isinstance(b, numbers.Number)')).toBe(true);
    expect(answer('isinstance(c, int)')).toBe(true);
    expect(answer('isinstance(float(a), float)')).toBe(true);
    expect(answer('isinstance(k, str)')).toBe(true);
    expect(answer('isinstance(k, torch.Tensor)')).toBe(false);
    expect(answer('not isinstance(a, torch.Tensor)')).toBe(true);
  });

  it('isinstance stays undecided where the value may be a tensor or the type cannot be named', () => {
    const { at } = valuesOf(
      `import torch
class Weights:
    pass
def f(x, a=1, w=None, m=0.5):
    if x.sum() > 0:
        m = 1
    r = (
        isinstance(x, torch.Tensor),
        isinstance(a, Weights),
        isinstance(w, float),
        isinstance(m, float),
        isinstance(m, (int, float)),
    )
    return r
`,
      'f',
    );
    const answer = (src: string): boolean | undefined => at(src).bool;
    expect(answer('isinstance(x, torch.Tensor)')).toBeUndefined();
    expect(answer('isinstance(a, Weights)')).toBeUndefined();
    // w is None here, so False; a None joined with a number (m below) would be undecided.
    expect(answer('isinstance(w, float)')).toBe(false);
    // m is 0.5 or 1: a float or an int.
    expect(answer('isinstance(m, float)')).toBeUndefined();
    expect(answer('isinstance(m, (int, float))')).toBe(true);
  });

  it('a call site passing a tensor, or a value not known, makes isinstance on the hyperparameter undecided', () => {
    const { at } = valuesOf(
      `import torch
def f(a=1):
    return isinstance(a, torch.Tensor)
def g(n):
    return f(torch.ones(3)), f(n)
`,
      'f',
    );
    expect(at('isinstance(a, torch.Tensor)').bool).toBeUndefined();
  });

  it('the branch a hyperparameter at its default takes is the one read: a scalar alpha on the non-tensor path is a scalar alpha_t', () => {
    const { at } = valuesOf(
      `import torch
import torch.nn.functional as F
class L(torch.nn.Module):
    def __init__(self, a=0.25, g=2):
        super().__init__()
        self.a = a
        self.g = g
    def forward(self, x, y):
        c = F.cross_entropy(x, y, reduction="none")
        q = torch.exp(-c)
        if isinstance(self.a, torch.Tensor):
            w = self.a[y]
        else:
            w = self.a
        return w * (1 - q) ** self.g * c
`,
      'L.forward',
    );
    expect(at('w')).toMatchObject({ m: 'scalar', values: [0.25] });
    expect(at('w * (1 - q) ** self.g * c').focal?.alpha?.kind).toBe('scalar');
  });

  it('a tensor of class weights knows how many it holds, and so does the alpha taken from it at the target; one-hot rows know their class count', () => {
    const { at } = valuesOf(
      `import torch
import torch.nn.functional as F
def f(y, k=5):
    w = torch.tensor([0.1, 0.2, 0.7])
    a = w[y]
    h = F.one_hot(y, num_classes=k)
    return a, h
`,
      'f',
    );
    expect(at('torch.tensor([0.1, 0.2, 0.7])')).toMatchObject({ m: 'class_weights', count: 3 });
    expect(at('w[y]')).toMatchObject({ m: 'alpha_class', count: 3 });
    expect(at('F.one_hot(y, num_classes=k)')).toMatchObject({ m: 'target_onehot', classCounts: [5] });
  });
});

describe('the focal loss written in w = log p_t: (1 - exp(w)) ** g * w', () => {
  it('is a focal product whatever w was known as; its factor is detached when read through .data, the other factor not', () => {
    const { at } = valuesOf(
      `import torch
def f(w, y, g=2.0):
    q = w.data.exp()
    u = -1 * (1 - q) ** g * w
    r = torch.softmax(w, 1).gather(1, y)
    s = (1 - r.detach().exp()) ** g * r
    return u, s
`,
      'f',
    );
    const u = at('-1 * (1 - q) ** g * w');
    expect(u.m).toBe('focal');
    expect(u.focal?.modulating).toMatchObject({ m: 'modulating', detached: true });
    expect(u.focal?.modulating?.exponent?.values).toEqual([2]);
    expect(u.focal?.ce).toMatchObject({ m: 'logprob', gathered: true });
    expect(u.focal?.ce?.detached).toBeFalsy();
    // w a probability at the target (a softmax where a log-softmax was meant): still the form in w.
    const s = at('(1 - r.detach().exp()) ** g * r');
    expect(s.m).toBe('focal');
    expect(s.focal?.modulating?.detached).toBe(true);
  });

  it('keeps a balancing weight that scales w first (w * a_t), and the factor stays unknown alone or beside another tensor', () => {
    const { at } = valuesOf(
      `import torch
def f(w, v, y, g=2.0, a=0.25):
    k = torch.tensor([a, 1 - a]).gather(0, y)
    m = (1 - torch.exp(w)) ** g
    u = m * (w * k)
    h = a * m * w
    z = m * v
    return u, h, z
`,
      'f',
    );
    const u = at('m * (w * k)');
    expect(u.m).toBe('focal');
    expect(u.focal?.alpha).toBeDefined();
    // The weight on the factor's side instead: a scalar alpha times the factor, then w.
    const h = at('a * m * w');
    expect(h.m).toBe('focal');
    expect(h.focal?.alpha?.kind).toBe('scalar');
    expect(u.focal?.modulating?.detached).toBeFalsy();
    expect(at('(1 - torch.exp(w)) ** g').m).toBe('unknown');
    expect(at('m * v').m).toBe('unknown');
  });
});
