import { describe, expect, it } from 'vitest';
import type { Call, Expr, Stmt } from '../../server/src/core/ir';
import { walkExprs } from '../../server/src/core/ir';
import { moduleOf } from './helpers';

function calls(stmts: Stmt[]): Call[] {
  const out: Call[] = [];
  const visit = (ss: Stmt[]): void => {
    for (const s of ss) {
      const roots: Expr[] = s.k === 'assign' || s.k === 'expr' ? [s.value] : s.k === 'return' && s.value ? [s.value] : [];
      for (const r of roots) for (const e of walkExprs(r)) if (e.k === 'call') out.push(e);
      if (s.k === 'if') {
        visit(s.body);
        visit(s.orelse);
      }
      if (s.k === 'other') visit(s.body);
    }
  };
  visit(stmts);
  return out;
}

describe('IR: imports and aliases', () => {
  it('resolves aliases of torch.nn.functional to canonical callees and ops', () => {
    const mod = moduleOf(`import torch.nn.functional as F
from torch.nn import functional
from torchvision.ops import sigmoid_focal_loss as sfl
import tensorflow as tf

def f(x, t):
    a = F.cross_entropy(x, t, reduction="none")
    b = functional.softmax(x, dim=1)
    c = sfl(x, t, gamma=0.5)
    d = tf.math.log(x)
`);
    expect(mod.imports.get('F')).toBe('torch.nn.functional');
    expect(mod.imports.get('functional')).toBe('torch.nn.functional');
    const cs = calls(mod.functions[0].body);
    expect(cs.map((c) => c.callee)).toEqual([
      'torch.nn.functional.cross_entropy',
      'torch.nn.functional.softmax',
      'torchvision.ops.sigmoid_focal_loss',
      'tensorflow.math.log',
    ]);
    expect(cs.map((c) => c.op?.id)).toEqual(['cross_entropy', 'softmax', 'torchvision_sigmoid_focal_loss', 'log']);
    // Arguments are bound to the op's parameter names.
    expect(Object.keys(cs[0].bound!)).toEqual(['input', 'target', 'reduction']);
    expect(cs[2].bound!.gamma.k).toBe('num');
  });

  it('binds method receivers as the first parameter: x.sigmoid(), t.pow(g), torch.pow(t, g)', () => {
    const mod = moduleOf(`import torch
def f(x, t, g):
    a = x.sigmoid()
    b = t.pow(g)
    c = torch.pow(t, g)
`);
    const [a, b, c] = calls(mod.functions[0].body);
    expect(a.method).toBe(true);
    expect(a.op?.id).toBe('sigmoid');
    expect(a.bound!.input.k).toBe('name');
    expect(b.op?.id).toBe('pow');
    expect((b.bound!.input as { id: string }).id).toBe('t');
    expect((b.bound!.exponent as { id: string }).id).toBe('g');
    expect(c.method).toBeUndefined();
    expect((c.bound!.exponent as { id: string }).id).toBe('g');
  });

  it('lists classes with methods, closures with their parent, and module code as <module>', () => {
    const mod = moduleOf(`import torch.nn as nn
class FocalLoss(nn.Module):
    def __init__(self, gamma=2.0):
        self.gamma = gamma
    def forward(self, x, t):
        return x

def outer(gamma=2.0):
    def inner(y_true, y_pred):
        return y_pred
    return inner

loss = outer(gamma=0.5)
`);
    expect(mod.classes.get('FocalLoss')?.bases).toEqual(['torch.nn.Module']);
    expect([...mod.classes.get('FocalLoss')!.methods.keys()]).toEqual(['__init__', 'forward']);
    const names = mod.functions.map((f) => f.qualname);
    expect(names).toEqual(['<module>', 'FocalLoss.__init__', 'FocalLoss.forward', 'outer', 'outer.inner']);
    expect(mod.functions.find((f) => f.name === 'inner')?.parent).toBe('outer');
    expect(mod.functions.find((f) => f.name === 'forward')?.className).toBe('FocalLoss');
    expect(mod.functions[3].params[0].default).toMatchObject({ k: 'num', value: 2 });
  });

  it('records noqa comments per line with their codes', () => {
    const mod = moduleOf(`x = 1  # noqa
y = 2  # noqa: LL101, ll103
z = 3  # not a noqa
`);
    expect(mod.noqa.get(0)).toEqual([]);
    expect(mod.noqa.get(1)).toEqual(['LL101', 'LL103']);
    expect(mod.noqa.has(2)).toBe(false);
  });

  it('keeps functions that parse when another part of the file has a syntax error', () => {
    const mod = moduleOf(`def broken(:
    pass

def ok(x):
    return x ** 0.5
`);
    const ok = mod.functions.find((f) => f.name === 'ok');
    expect(ok).toBeDefined();
    expect(ok!.hasError).toBe(false);
  });

  it('remembers the parentheses around an expression for fixes', () => {
    const src = 'def f(pt, g):\n    return (1 - pt) ** g\n';
    const mod = moduleOf(src);
    const ret = mod.functions[0].body[0];
    expect(ret.k).toBe('return');
    const pow = (ret as { value: Expr }).value;
    expect(pow.k).toBe('bin');
    const left = (pow as { left: Expr }).left;
    expect(src.slice(left.paren!.s, left.paren!.e)).toBe('(1 - pt)');
    expect(src.slice(left.span.s, left.span.e)).toBe('1 - pt');
  });
});

describe('IR: compound statements', () => {
  it('keeps the statements of loop, with and try bodies and of their else/except/finally clauses', () => {
    const mod = moduleOf(`def f(x):
    for i in x:
        while True:
            try:
                with open(x):
                    a = 1
            except ValueError:
                b = 2
            else:
                c = 3
            finally:
                d = 4
    else:
        e = 5
`);
    const names: string[] = [];
    const visit = (ss: Stmt[]): void => {
      for (const s of ss) {
        if (s.k === 'assign') for (const t of s.targets) if (t.k === 'name') names.push(t.id);
        if (s.k === 'other') visit(s.body);
      }
    };
    visit(mod.functions[0].body);
    expect(names).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
