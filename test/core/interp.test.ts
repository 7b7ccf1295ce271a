import { describe, expect, it } from 'vitest';
import { moduleOf, valuesOf } from './helpers';
import { interpretModule, literalNumber } from '../../server/src/core/interp';

const SOFTMAX = `import torch
import torch.nn.functional as F

def focal(logits, targets, alpha=0.25, gamma=0.5):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    mod = (1 - pt) ** gamma
    return (alpha * mod * ce).mean()
`;

describe('abstract interpreter', () => {
  it('labels the softmax focal loss chain: ce, pt, 1 - pt, modulating factor, focal with scalar alpha', () => {
    const { at, facts } = valuesOf(SOFTMAX, 'focal');
    expect(at('F.cross_entropy(logits, targets, reduction="none")')).toMatchObject({ m: 'ce', act: 'softmax', reduced: false });
    expect(at('-ce')).toMatchObject({ m: 'logprob', gathered: true });
    expect(at('torch.exp(-ce)')).toMatchObject({ m: 'pt', act: 'softmax' });
    expect(at('1 - pt')).toMatchObject({ m: 'one_minus_pt' });
    const mod = at('(1 - pt) ** gamma');
    expect(mod.m).toBe('modulating');
    expect(mod.exponent?.values).toEqual([0.5]);
    const focal = at('alpha * mod * ce');
    expect(focal.m).toBe('focal');
    expect(focal.focal?.alpha?.kind).toBe('scalar');
    expect(focal.focal?.modulating).toBeDefined();
    expect(facts.params.get('logits')?.m).toBe('logits');
    expect(facts.params.get('targets')?.m).toBe('target_index');
    expect(facts.params.get('gamma')).toMatchObject({ m: 'scalar', values: [0.5], hyper: true });
  });

  it('marks a CE reduced by default and the pt computed from it', () => {
    const { at } = valuesOf(`import torch
import torch.nn.functional as F
def f(x, t):
    ce = F.cross_entropy(x, t)
    return torch.exp(-ce)
`, 'f');
    expect(at('F.cross_entropy(x, t)')).toMatchObject({ m: 'ce', reduced: true });
    expect(at('torch.exp(-ce)')).toMatchObject({ m: 'pt', reduced: true });
  });

  it('recognises p*t + (1-p)*(1-t) as pt and alpha*t + (1-alpha)*(1-t) as alpha_t', () => {
    const { at } = valuesOf(`import torch
def f(logits, targets, alpha=0.25):
    p = torch.sigmoid(logits)
    p_t = p * targets + (1 - p) * (1 - targets)
    a_t = alpha * targets + (1 - alpha) * (1 - targets)
    w = torch.where(targets == 1, p, 1 - p)
`, 'f');
    expect(at('p * targets + (1 - p) * (1 - targets)')).toMatchObject({ m: 'pt', act: 'sigmoid' });
    expect(at('alpha * targets + (1 - alpha) * (1 - targets)').m).toBe('alpha_t');
    expect(at('torch.where(targets == 1, p, 1 - p)').m).toBe('pt');
  });

  it('does not take p*t + (1-q)*(1-t) for two different probabilities as pt', () => {
    const { at } = valuesOf(`import torch
def f(a, b, targets):
    p = torch.sigmoid(a)
    q = torch.sigmoid(b)
    x = p * targets + (1 - q) * (1 - targets)
`, 'f');
    expect(at('p * targets + (1 - q) * (1 - targets)').m).not.toBe('pt');
  });

  it('resolves self.x through __init__ and joins call-site literals with defaults', () => {
    const { at } = valuesOf(`import torch
import torch.nn as nn
class FL(nn.Module):
    def __init__(self, gamma=2.0, eps=1e-6):
        super().__init__()
        self.gamma = gamma
        self.eps = eps
    def forward(self, x, t):
        g = self.gamma
        return g

crit = FL(gamma=0.25)
`, 'FL.forward');
    expect(at('self.gamma')).toMatchObject({ m: 'scalar', values: [0.25, 2] });
  });

  it('gives closures their parent parameters, with call-site values', () => {
    const { at } = valuesOf(`from tensorflow.keras import backend as K
def make(gamma=2.0):
    def fn(y_true, y_pred):
        return K.pow(1.0 - y_pred, gamma)
    return fn
loss = make(gamma=0.5)
`, 'make.<locals>.fn'.replace('.<locals>', ''));
    expect(at('gamma')).toMatchObject({ m: 'scalar', values: [0.5, 2] });
  });

  it('takes the branch of an if on a known scalar, and joins otherwise', () => {
    const { at } = valuesOf(`import torch
def f(x, t, alpha=0.25, flag=None):
    if alpha >= 0:
        a = 1
    else:
        a = 2
    if flag:
        b = 3
    else:
        b = 4
    return a + b
`, 'f');
    expect(at('a + b').values).toEqual([5]);
    const { at: at2 } = valuesOf(`def g(x, flag):
    if flag:
        b = 0.5
    else:
        b = 2.0
    return b
`, 'g');
    expect(at2('b').values).toEqual([0.5, 2]);
  });

  it('sees clamps: the range of a clamped base is bounded away from zero', () => {
    const { at } = valuesOf(`import torch
import torch.nn.functional as F
def f(x, t, gamma=0.5):
    pt = torch.exp(-F.cross_entropy(x, t, reduction="none"))
    return (1 - pt).clamp(min=1e-6) ** gamma
`, 'f');
    const v = at('(1 - pt).clamp(min=1e-6)');
    expect(v.clamped).toBe(true);
    // The bound as the float32 tensor holds it.
    expect(v.range?.lo).toBe(Math.fround(1e-6));
  });

  it('reads a clamped parameter as a probability only when the bounds written lie in [0, 1]', () => {
    const src = `import torch
def f(scores, probs, eps_probs, bounded, lim=50):
    a = torch.clamp(scores, -20, 20)
    b = probs.clamp(min=1e-6, max=1 - 1e-6)
    c = eps_probs.clamp(min=1e-7)
    d = bounded.clamp(min=-1 * lim, max=lim)
    return a + b + c + d
`;
    const { facts } = valuesOf(src, 'f');
    expect(facts.params.get('scores')?.m).not.toBe('prob');
    expect(facts.params.get('probs')?.m).toBe('prob');
    expect(facts.params.get('eps_probs')?.m).toBe('prob');
    // A bound made of a parameter's default: -1 * 50.
    expect(facts.params.get('bounded')?.m).not.toBe('prob');
  });

  it('literalNumber folds literals, negations, products and numeric parameter defaults', () => {
    const mod = moduleOf('x = -1 * lim + 2 - 0.5\ny = lim * other\n');
    const [x, y] = mod.body.map((s) => (s.k === 'assign' ? s.value : undefined));
    expect(literalNumber(x!, new Map([['lim', 50]]))).toBe(-48.5);
    expect(literalNumber(y!, new Map([['lim', 50]]))).toBeUndefined();
  });

  it('recognises the log-space modulating factor exp(gamma * log(1 - pt))', () => {
    const { at } = valuesOf(`import torch
import torch.nn.functional as F
def f(x, t, gamma=0.5):
    return torch.exp(gamma * F.logsigmoid(-x * (2 * t - 1)))
`, 'f');
    expect(at('torch.exp(gamma * F.logsigmoid(-x * (2 * t - 1)))')).toMatchObject({ m: 'modulating', logSpace: true });
  });

  it('never throws on odd code and labels it unknown', () => {
    const { at } = valuesOf(`def f(x):
    y = [i for i in x]
    z = lambda q: q ** 0.5
    return y, z
`, 'f');
    expect(at('[i for i in x]').m).toBe('unknown');
  });
});

describe('abstract interpreter robustness', () => {
  it('evaluates module-level op calls reached from call-site literals before any function is analysed', () => {
    // Regression: torch/distributions/kl.py crashed the whole module ("reading 'values'").
    const src = `import torch
SCALE = torch.exp(torch.tensor(1.0))

def f(x, g=SCALE):
    return torch.sigmoid(x) ** g

f(1, SCALE)
`;
    const { at } = valuesOf(src, 'f');
    expect(at('torch.sigmoid(x) ** g').m).toBe('modulating');
  });
});

describe('model facts (ops/table/layers.ts)', () => {
  it('an affine layer outputs logits; a Sequential outputs what its last layer makes of them', () => {
    const { at } = valuesOf(`import torch.nn as nn
def f(x):
    head = nn.Linear(16, 4)
    scores = head(x)
    probs_net = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 4), nn.Softmax(dim=1))
    logits_net = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 4))
    return scores, probs_net(x), logits_net(x)
`, 'f');
    expect(at('head(x)').m).toBe('logits');
    expect(at('probs_net(x)')).toMatchObject({ m: 'prob', act: 'softmax' });
    expect(at('logits_net(x)').m).toBe('logits');
  });

  it('a Keras Dense layer is read by its activation, given as a name or as a function', () => {
    const { at } = valuesOf(`import tensorflow as tf
def f(x):
    a = tf.keras.layers.Dense(10)(x)
    b = tf.keras.layers.Dense(10, activation="sigmoid")(x)
    c = tf.keras.layers.Dense(10, activation=tf.nn.softmax)(x)
    d = tf.keras.layers.Dense(10, activation="relu")(x)
    return a, b, c, d
`, 'f');
    expect(at('tf.keras.layers.Dense(10)(x)').m).toBe('logits');
    expect(at('tf.keras.layers.Dense(10, activation="sigmoid")(x)')).toMatchObject({ m: 'prob', act: 'sigmoid' });
    expect(at('tf.keras.layers.Dense(10, activation=tf.nn.softmax)(x)')).toMatchObject({ m: 'prob', act: 'softmax' });
    expect(at('tf.keras.layers.Dense(10, activation="relu")(x)').m).toBe('unknown');
  });

  it('a Keras functional model outputs its `outputs`', () => {
    const { at } = valuesOf(`import tensorflow as tf
def f(inp, x):
    h = tf.keras.layers.Dense(32, activation="relu")(inp)
    out = tf.keras.layers.Dense(3, activation="softmax")(h)
    model = tf.keras.Model(inputs=inp, outputs=out)
    return model(x)
`, 'f');
    expect(at('model(x)')).toMatchObject({ m: 'prob', act: 'softmax' });
  });
});

describe('joins (ops/table/joins.ts)', () => {
  it('row numbers stacked with the targets index each row at its target: gather_nd of a softmax there is p_t', () => {
    const { at } = valuesOf(`import tensorflow as tf
def f(labels, logits, other):
    probs = tf.nn.softmax(logits)
    idx = tf.stack([tf.range(tf.shape(probs)[0]), labels], axis=1)
    not_idx = tf.stack([other, labels], axis=1)
    return tf.gather_nd(probs, idx), tf.gather_nd(probs, not_idx)
`, 'f');
    expect(at('tf.gather_nd(probs, idx)')).toMatchObject({ m: 'pt', act: 'softmax' });
    expect(at('tf.gather_nd(probs, not_idx)').m).toBe('unknown');
  });

  it('logits joined to logits stay logits; a join of different meanings is unknown', () => {
    const { at } = valuesOf(`import torch
def f(model, x, t):
    bg = model.bg(x)
    fg = model.fg(x)
    return torch.cat([torch.log_softmax(bg, 1), torch.log_softmax(fg, 1)], 1), torch.cat([torch.sigmoid(bg), t], 1)
`, 'f');
    expect(at('torch.cat([torch.log_softmax(bg, 1), torch.log_softmax(fg, 1)], 1)')).toMatchObject({ m: 'logprob', act: 'softmax' });
    expect(at('torch.cat([torch.sigmoid(bg), t], 1)').m).toBe('unknown');
  });
});

describe('dtype facts', () => {
  it('targets made integer are class indices, by a cast or by a tensor built with an integer dtype', () => {
    const { at } = valuesOf(`import torch
def f(logits, y):
    a = y.long()
    b = torch.tensor(y, dtype=torch.int64)
    c = torch.as_tensor(y, dtype=torch.float32)
    d = y.to(torch.long)
    return a, b, c, d
`, 'f');
    expect(at('y.long()')).toMatchObject({ m: 'target_index', dtype: 'int' });
    expect(at('torch.tensor(y, dtype=torch.int64)')).toMatchObject({ m: 'target_index', dtype: 'int' });
    expect(at('torch.as_tensor(y, dtype=torch.float32)')).toMatchObject({ m: 'target', dtype: 'float' });
    expect(at('y.to(torch.long)')).toMatchObject({ m: 'target_index', dtype: 'int' });
  });
});

describe('dtype facts across frameworks', () => {
  it('a TF/Keras integer cast of targets keeps them targets (0/1 labels are cast freely there)', () => {
    const { at } = valuesOf(`import tensorflow as tf
def f(y_true, y_pred):
    return tf.cast(y_true, tf.int32)
`, 'f');
    expect(at('tf.cast(y_true, tf.int32)')).toMatchObject({ m: 'target', dtype: 'int' });
  });
});

describe('evidence from use, through what a value is made of', () => {
  it('a parameter selected by a one-hot sum and then logged (guarded or clamped) is a probability; the mask is not', () => {
    const { facts } = valuesOf(`import torch
def f(onehot, scores, gamma=0.5):
    sel = (onehot * scores).sum(dim=1)
    return -(1 - sel) ** gamma * torch.log(sel + 1e-7)
`, 'f');
    expect(facts.params.get('scores')?.m).toBe('prob');
    expect(facts.params.get('onehot')?.m).not.toBe('prob');
  });

  it('no evidence from a product without a target mask, nor from a reduction over every axis', () => {
    const a = valuesOf(`import torch
def f(w, scores):
    return torch.log((w * scores).sum(dim=1))
`, 'f');
    expect(a.facts.params.get('scores')?.m).not.toBe('prob');
    const b = valuesOf(`import torch
def f(onehot, scores):
    return torch.log((onehot * scores).sum())
`, 'f');
    expect(b.facts.params.get('scores')?.m).not.toBe('prob');
  });
});

describe('calls of the model itself', () => {
  it('self(x) in a method returns what the class forward returns', () => {
    const { at } = valuesOf(`import torch.nn as nn
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
    def forward(self, x):
        return self.fc(x).sigmoid()
    def step(self, x):
        return self(x)
`, 'M.step');
    expect(at('self(x)')).toMatchObject({ m: 'prob', act: 'sigmoid' });
  });
});

describe('config instances held by the loss', () => {
  it('self.cfg holding an instance of a config class (a parameter default or annotation) reads its class defaults', () => {
    const { at } = valuesOf(`from dataclasses import dataclass
@dataclass
class C:
    gamma: float = 0.5
class L:
    def __init__(self, cfg: C = C()):
        self.cfg = cfg
    def forward(self, x):
        return x ** self.cfg.gamma
`, 'L.forward');
    expect(at('self.cfg')).toMatchObject({ instanceOf: 'C' });
    expect(at('self.cfg.gamma')).toMatchObject({ m: 'scalar', values: [0.5] });
  });
});

const SRC_BRANCHES = `import torch.nn.functional as F
def f(a, b, flag):
    if flag:
        first = F.binary_cross_entropy_with_logits(a, b)
    else:
        second = F.cross_entropy(a, b)
    return first
def g(a, b):
    if b.dim() == 2:
        return F.binary_cross_entropy_with_logits(a, b)
    return F.nll_loss(a, b)
`;

describe('control flow: branches that exclude each other', () => {
  it('a role learnt on one side of an if is not seen on the other; the statements after `if c: return` are its else', () => {
    const { facts } = valuesOf(
      SRC_BRANCHES,
      'f',
    );
    // b is a class index for cross_entropy and nll_loss, on their paths only (lines 0-based).
    const bAt = (ff: typeof facts, line: number) => [...ff.values].find(([e]) => e.k === 'name' && e.id === 'b' && e.span.r.start.line === line)?.[1].m;
    expect(bAt(facts, 3)).not.toBe('target_index');
    expect(bAt(facts, 5)).toBe('target_index');
    const g = valuesOf(SRC_BRANCHES, 'g').facts;
    expect(bAt(g, 9)).not.toBe('target_index');
    expect(bAt(g, 10)).toBe('target_index');
  });

  it('the same role learnt on both sides holds everywhere', () => {
    const { facts } = valuesOf(
      `import torch.nn.functional as F
def f(a, b, w, flag):
    if flag:
        y = F.cross_entropy(a, b)
    else:
        y = w[b]
    return b
`,
      'f',
    );
    const ret = [...facts.values].find(([e]) => e.k === 'name' && e.id === 'b' && e.span.r.start.line === 6);
    expect(ret?.[1].m).toBe('target_index');
  });

  it('after an if whose body returns, a variable holds what the other path bound', () => {
    const { at } = valuesOf(
      `import torch
def f(z, early):
    q = torch.sigmoid(z)
    if early:
        q = z
        return q
    return torch.log(q)
`,
      'f',
    );
    expect(at('torch.log(q)').m).toBe('logprob');
  });

  it('one meaning from two activations joins to that meaning, its activation unknown', () => {
    const { at } = valuesOf(
      `import torch
import torch.nn.functional as F
def f(z, t, one):
    if one:
        ce = F.binary_cross_entropy_with_logits(z, t)
    else:
        ce = F.cross_entropy(z, t)
    return torch.exp(-ce)
`,
      'f',
    );
    const pt = at('torch.exp(-ce)');
    expect(pt).toMatchObject({ m: 'pt', reduced: true });
    expect(pt.act).toBeUndefined();
  });
});

describe('values passed in at call sites', () => {
  it('a table op called in the argument list is the parameter value (its meaning, without the caller\'s locals); so is a local bound once to one', () => {
    const src = `import torch
import torch.nn.functional as F
def helper(v, w):
    return torch.exp(-v), w
def caller(a, b):
    c = F.cross_entropy(a, b)
    return helper(F.cross_entropy(a, b, reduction="none"), c)
`;
    const { facts } = valuesOf(src, 'helper');
    expect(facts.params.get('v')).toMatchObject({ m: 'ce', act: 'softmax' });
    expect(facts.params.get('v')?.reduced).toBeFalsy();
    expect(facts.params.get('w')).toMatchObject({ m: 'ce', reduced: true });
  });
});

describe('helpers that hand their arguments back, and parameters passed on', () => {
  const PICK = (helper: string, call: string) => `import torch
${helper}
def loss(gt, pr, gamma=2.0, sel=None, **kw):
    gt, pr = ${call}
    p = torch.softmax(pr, 1)
    return -(gt * (1 - p) ** gamma * torch.log(p)).sum(1).mean()
`;
  it('a parameter returned as it came in (alone, in a tuple, or as the tuple of *args) is the argument given at the call', () => {
    for (const [helper, call] of [
      ['def pick(a, b):\n    return a, b', 'pick(gt, pr)'],
      ['def pick(*xs, idx=None):\n    return xs', 'pick(gt, pr, idx=sel)'],
      ['def pick(*xs, idx=None, **kw):\n    if idx is None:\n        return xs\n    return [x[:, idx] for x in xs]', 'pick(gt, pr, idx=sel, **kw)'],
    ]) {
      const { at } = valuesOf(PICK(helper, call), 'loss');
      expect(at('torch.softmax(pr, 1)').m, helper).toBe('prob');
    }
  });

  it('not when the path the defaults take returns something else, or the helper computes a new value', () => {
    for (const [helper, call] of [
      ['def pick(*xs, idx=None):\n    if idx is not None:\n        return xs\n    return [x * 2 for x in xs]', 'pick(gt, pr, idx=sel)'],
      ['def pick(a, b):\n    return a, b * 2', 'pick(gt, pr)'],
    ]) {
      const { at } = valuesOf(PICK(helper, call), 'loss');
      expect(at('gt * (1 - p) ** gamma * torch.log(p)').m, helper).not.toBe('focal');
    }
  });

  it('a parameter passed on carries its default and call-site values; arguments after *args bind by name only; a splat cannot repeat a named one', () => {
    const src = `def inner(*xs, k=None, m=1.0):
    return m
def outer(x, kk=None, mm=0.5, **rest):
    return inner(x, x, k=kk, m=mm, **rest)
outer(1, mm=0.75)
`;
    const { facts } = valuesOf(src, 'inner');
    expect(facts.params.get('k')?.m).toBe('none');
    expect(facts.params.get('m')?.values).toEqual([0.5, 0.75, 1]);
    const reassigned = valuesOf(src.replace('    return inner', '    mm = mm * 2\n    return inner'), 'inner');
    expect(reassigned.facts.params.get('m')?.values).toBeUndefined();
  });
});

describe('loss modules handed to a constructor', () => {
  it('a module built in the call is the parameter value, and a constructor parameter set on the instance changes it', () => {
    const src = (switchOn: string) => `import torch
import torch.nn as nn
class W(nn.Module):
    def __init__(self, crit, switch):
        super().__init__()
        self.crit = crit
        if switch:
            self.crit.reduction = "none"
    def forward(self, x, t):
        return self.crit(x, t)
a = W(nn.BCEWithLogitsLoss(), ${switchOn})
`;
    const forward = (switchOn: string) => valuesOf(src(switchOn), 'W.forward').at('self.crit(x, t)');
    expect(forward('True')).toMatchObject({ m: 'ce', act: 'sigmoid' });
    expect(forward('True').reduced).toBeFalsy();
    expect(forward('False')).toMatchObject({ m: 'ce', reduced: true });
  });
});

describe('call-site values read from the caller', () => {
  const HELPER = (extra: string) => `import torch
import torch.nn as nn
import torch.nn.functional as F
def helper(v, k=2.0):
    return torch.exp(-v) * k
class M(nn.Module):
    def __init__(self, k=0.5, w=None):
        super().__init__()
        self.k = k
        self.w = w
    def forward(self, x, t):
        ${extra}
`;

  it('self.<attr> at a call site is every value __init__ stored there: its default and each constructor call', () => {
    const { facts } = valuesOf(`${HELPER('return helper(F.cross_entropy(x, t, reduction="none"), self.k)')}m = M(k=0.75)\n`, 'helper');
    expect(facts.params.get('k')).toMatchObject({ m: 'scalar' });
    expect([...(facts.params.get('k')?.values ?? [])].sort()).toEqual([0.5, 0.75, 2]);
    // An attribute of the stored value (`self.k.real`) is not the stored value: no value, no crash.
    const deeper = valuesOf(HELPER('return helper(F.cross_entropy(x, t, reduction="none"), self.k.real)'), 'helper');
    expect(deeper.facts.params.get('k')?.values).toBeUndefined();
  });

  it('an attribute set on an instance after construction is one more value of the parameter stored there', () => {
    const src = `${HELPER('return helper(F.cross_entropy(x, t, reduction="none"), self.k)')}def build():
    m = M()
    m.k = 0.125
    m.other = 9.0
    return m
`;
    expect([...(valuesOf(src, 'helper').facts.params.get('k')?.values ?? [])].sort()).toEqual([0.125, 0.5, 2]);
    // Rebound to something else before the assignment: not an instance of M any more.
    const rebound = src.replace('    m.k = 0.125', '    m = object()\n    m.k = 0.125');
    expect([...(valuesOf(rebound, 'helper').facts.params.get('k')?.values ?? [])].sort()).toEqual([0.5, 2]);
  });

  it('a local bound once to a table op call is that call at the call site; bound twice or by unpacking, it is not', () => {
    const once = valuesOf(HELPER('ce = F.cross_entropy(x, t, reduction="none")\n        return helper(ce)'), 'helper');
    expect(once.facts.params.get('v')).toMatchObject({ m: 'ce', reduced: false });
    const twice = valuesOf(HELPER('ce = F.cross_entropy(x, t, reduction="none")\n        ce, _ = ce.sort()\n        return helper(ce)'), 'helper');
    expect(twice.facts.params.get('v')?.m).not.toBe('ce');
    const loop = valuesOf(HELPER('ce = F.cross_entropy(x, t, reduction="none")\n        for ce in [x]:\n            pass\n        return helper(ce)'), 'helper');
    expect(loop.facts.params.get('v')?.m).not.toBe('ce');
  });

  it('an op call reading self.<attr> is evaluated with the stored values: a None weight stays None', () => {
    const none = valuesOf(HELPER('return helper(F.cross_entropy(x, t, weight=self.w, reduction="none"))'), 'helper');
    expect(none.at('torch.exp(-v)').classWeight?.m).toBe('none');
    const given = valuesOf(`${HELPER('return helper(F.cross_entropy(x, t, weight=self.w, reduction="none"))')}m = M(w=torch.ones(3))\n`, 'helper');
    expect(given.at('torch.exp(-v)').classWeight?.m).not.toBe('none');
  });
});

describe('argparse defaults at call sites in the same file', () => {
  const SCRIPT = (bind: string, read: string) => `import argparse
import torch
def focal(x, gamma=2.0):
    return torch.sigmoid(x) ** gamma
def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gamma-value", type=float, default=0.3)
    p.add_argument("-k", dest="kappa", default=0.7)
    ${bind}
    return focal(torch.zeros(3), ${read})
`;
  const gammas = (bind: string, read: string) => [...(valuesOf(SCRIPT(bind, read), 'focal').facts.params.get('gamma')?.values ?? [])].sort();

  it('an option read from a parsed namespace is its default (dashes to underscores, or its dest)', () => {
    expect(gammas('a = p.parse_args()', 'a.gamma_value')).toEqual([0.3, 2]);
    expect(gammas('a = p.parse_args()', 'a.kappa')).toEqual([0.7, 2]);
    expect(gammas('a = p.parse_known_args()[0]', 'a.gamma_value')).toEqual([0.3, 2]);
    expect(gammas('a, rest = p.parse_known_args()', 'a.gamma_value')).toEqual([0.3, 2]);
    // parse_args returns one namespace: unpacking it binds no namespace.
    expect(gammas('a, rest = p.parse_args()', 'a.gamma_value')).toEqual([]);
  });

  it('an attribute of anything else, or an option never declared, gives no value', () => {
    expect(gammas('a = object()', 'a.gamma_value')).toEqual([]);
    expect(gammas('a = p.parse_args()', 'a.missing')).toEqual([]);
  });
});

describe('a hyperparameter that is None by default', () => {
  it('is None or a passed value: `is not None` is undecided, both branches run, and it is not None only where the test says so', () => {
    const { at } = valuesOf(
      `import torch
class L(torch.nn.Module):
    def __init__(self, alpha=None, beta=None, gamma=2.0):
        super().__init__()
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
    def forward(self, logits, target):
        if self.alpha is not None:
            inside = self.alpha * 1
        if self.beta:
            value_side = self.beta + 0
        else:
            none_side = self.beta
        after = self.alpha
        return logits
`,
      'L.forward',
    );
    expect(at('self.alpha is not None').bool).toBeUndefined();
    // Where it is not None: a value of unknown kind (a number or per-class weights), not a hyperparameter the rules judge.
    const inside = at('self.alpha * 1');
    expect(inside.m).toBe('unknown');
    expect(at('self.beta + 0').m).toBe('unknown');
    // On the other side (the last `self.beta`), and after the branch (the last `self.alpha`), it is the hyperparameter at its default None.
    expect(at('self.beta')).toMatchObject({ m: 'none', hyper: true });
    expect(at('self.alpha')).toMatchObject({ m: 'none', hyper: true });
  });
});

describe('data passed by a test call', () => {
  it('does not make a prediction or target parameter a constant; a hyperparameter still takes the literal', () => {
    const { at } = valuesOf(
      `import torch
def loss(logits, labels, weights):
    a = labels
    b = logits
    c = weights
    return a

loss(torch.tensor([[0.1, 0.9]]), torch.tensor([1]), [0.2, 0.8])
`,
      'loss',
    );
    expect(at('labels').m).toBe('target');
    expect(at('logits').m).toBe('logits');
    expect(at('weights').m).not.toBe('unknown');
  });
});

describe('finfo', () => {
  it('gives the limits of the format asked for (core/floats.ts), float32 for torch.finfo()', () => {
    const { at } = valuesOf(
      `import numpy as np
import torch
def f(x):
    a = np.finfo(np.float32).min
    b = torch.finfo(torch.float16).tiny
    c = torch.finfo().eps
    d = np.finfo(np.float64).eps
    e = np.finfo(x.dtype).eps
    return a
`,
      'f',
    );
    expect(at('np.finfo(np.float32).min').values).toEqual([-3.4028234663852886e38]);
    expect(at('torch.finfo(torch.float16).tiny').values).toEqual([6.103515625e-5]);
    expect(at('torch.finfo().eps').values).toEqual([1.1920928955078125e-7]);
    expect(at('np.finfo(np.float64).eps').values).toEqual([2.220446049250313e-16]);
    expect(at('np.finfo(x.dtype).eps').values).toBeUndefined();
  });
});

describe('joins and partial interpretation', () => {
  it("interprets every class's __init__ first even when only another statement is re-checked", () => {
    const mod = moduleOf(`import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.Softmax(dim=1)
    def forward(self, x):
        return self.act(x)
def step(x):
    net = Net()
    return net(x)
`);
    const only = (fn: { qualname: string }) => fn.qualname === 'step';
    const facts = interpretModule(mod, only);
    const step = [...facts.functions.values()].find((f) => f.fn.qualname === 'step')!;
    expect(step.returns.map((r) => r.m)).toEqual(['prob']);
  });
});

describe('a one-expression function defined in the body that calls it', () => {
  it('is read at the call with the call\'s arguments and the body\'s free names (a clip or log lambda)', () => {
    const { at } = valuesOf(
      `import tensorflow as tf
def outer(eps=1e-7):
    def loss(y_true, y_pred):
        clip = lambda x: tf.clip_by_value(x, eps, 1 - eps)
        log = lambda x: tf.math.log(x)
        p = tf.sigmoid(y_pred)
        a = clip(p)
        b = log(a)
        c = log(p)
        return b, c
    return loss
`,
      'outer.loss',
    );
    expect(at('clip(p)')).toMatchObject({ m: 'prob', act: 'sigmoid', clamped: true });
    expect(at('log(a)')).toMatchObject({ m: 'logprob', act: 'sigmoid', clamped: true });
    expect(at('log(p)')).toMatchObject({ m: 'logprob', act: 'sigmoid' });
    expect(at('log(p)').clamped).toBeFalsy();
  });
});

describe('a call of an instance of a class of the module', () => {
  it('passes its arguments to forward, __call__ or call, as a call of a function passes them to it', () => {
    const src = `import torch.nn as nn
import torch.nn.functional as F
class Crit(nn.Module):
    def forward(self, s, t):
        return F.cross_entropy(s, t)
class Other:
    def __call__(self, s):
        return s
def step(out, y):
    crit = Crit()
    other = Other()
    a = crit(F.softmax(out, dim=1), y)
    b = other(F.sigmoid(out))
    return a, b
`;
    expect(valuesOf(src, 'Crit.forward').facts.params.get('s')).toMatchObject({ m: 'prob', act: 'softmax' });
    expect(valuesOf(src, 'Other.__call__').facts.params.get('s')).toMatchObject({ m: 'prob', act: 'sigmoid' });
  });

  it('passes nothing when the name is bound to something else before the call', () => {
    const src = `import torch.nn as nn
import torch.nn.functional as F
class Crit(nn.Module):
    def forward(self, s, t):
        return F.cross_entropy(s, t)
def step(out, y, other):
    crit = Crit()
    crit = other
    return crit(F.softmax(out, dim=1), y)
`;
    expect(valuesOf(src, 'Crit.forward').facts.params.get('s')?.act).toBeUndefined();
  });
});
