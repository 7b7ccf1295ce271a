/**
 * Names a function reads that nothing binds (numeric/unbound.ts): Python raises NameError there, and
 * so does the check, with Python's own message (and its suggestion: `self.x`, or the nearest name),
 * instead of "unsupported". Conservative: a module whose names may come from elsewhere claims nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { buildModule } from '../../server/src/core/ir';
import { ParsedDocument } from '../../server/src/core/document';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';
import { alwaysUnbound, unboundName } from '../../server/src/numeric/unbound';
import { fn, loadEngine, prober } from './helpers';

const SRC = fs.readFileSync(path.join(__dirname, 'fixtures', 'unbound_names.py'), 'utf8');

function unbound(src: string, qualname: string, id: string) {
  const mod = moduleOf(src);
  return unboundName(id, fn(mod, qualname), mod)?.message;
}

describe('a name nothing binds', () => {
  it("is Python's NameError, with the nearest name in scope as its suggestion", () => {
    expect(unbound(SRC, 'typo_focal', 'logits')).toBe("NameError: name 'logits' is not defined. Did you mean: 'logit'?");
    expect(unbound(SRC, 'PerPhaseWeightedLoss.forward', 'log_sigmoid')).toBe("NameError: name 'log_sigmoid' is not defined");
  });

  it("an attribute of the instance read without `self.` suggests `self.x` (Python 3.12's hint)", () => {
    expect(unbound(SRC, 'MaskedBCE.forward', 'ignore_value')).toBe("NameError: name 'ignore_value' is not defined. Did you mean: 'self.ignore_value'?");
  });

  it('a name bound by any statement, a shim, an import (relative ones too) or a builtin is no claim', () => {
    for (const id of ['total', 'i', 'w', 'eps', 'err', 'r', 'n', 'scale', 'torch', 'F', 'len', 'float', 'range', '__name__']) expect(unbound(SRC, 'bound_everywhere', id), id).toBeUndefined();
    const rel = 'from .utils import log_sigmoid\nfrom . import helpers\n\ndef f(x, t):\n    return log_sigmoid(x) * helpers.w\n';
    expect(unbound(rel, 'f', 'log_sigmoid')).toBeUndefined();
    expect(unbound(rel, 'f', 'helpers')).toBeUndefined();
    // A closure sees its factory's names; `global` in a function binds a module name.
    const scopes = 'def make(g):\n    def loss(x):\n        return x ** g\n    return loss\n\ndef setup():\n    global K\n    K = 2\n\ndef use(x):\n    return x * K\n';
    expect(unbound(scopes, 'make.loss', 'g')).toBeUndefined();
    expect(unbound(scopes, 'use', 'K')).toBeUndefined();
  });

  it('a module whose names may come from elsewhere claims nothing (a star import, globals(), no text read)', () => {
    expect(unbound('from keras.backend import *\n\ndef f(y_true, y_pred):\n    return mean(y_pred)\n', 'f', 'mean')).toBeUndefined();
    expect(unbound('globals()["w"] = 1.0\n\ndef f(x, t):\n    return x * w\n', 'f', 'w')).toBeUndefined();
    const built = buildModule(ParsedDocument.parse('def f(x, t):\n    return x * w\n').tree.rootNode);
    expect(unboundName('w', fn(built, 'f'), built)).toBeUndefined();
  });
});

describe('a read every call reaches', () => {
  it('is one at the top level of the body, before any statement that may return or raise', () => {
    const mod = moduleOf(SRC);
    expect(alwaysUnbound(fn(mod, 'PerPhaseWeightedLoss.forward'), mod)?.id).toBe('log_sigmoid');
    expect(alwaysUnbound(fn(mod, 'typo_focal'), mod)?.id).toBe('logits');
    expect(alwaysUnbound(fn(mod, 'typo_focal_fixed'), mod)).toBeUndefined();
    // In a branch, after an early return, in a conditional's branch: not on every call.
    const cond = moduleOf('def a(x, t, flag):\n    if flag:\n        return nope(x)\n    return x.mean()\n\ndef b(x, t):\n    if t is None:\n        return x.mean()\n    return nope(x)\n\ndef c(x, t):\n    return x if t is None else nope(x)\n');
    for (const q of ['a', 'b', 'c']) expect(alwaysUnbound(fn(cond, q), cond), q).toBeUndefined();
  });

  it("reads a call's `*xs` and `**opts` as it reads its other arguments", () => {
    const splat = moduleOf('def a(x, t):\n    return x.view(*shapes).mean()\n\ndef b(x, t):\n    return f(x, **opts)\n\ndef f(x, **kw):\n    return x.sum()\n');
    expect(alwaysUnbound(fn(splat, 'a'), splat)?.id).toBe('shapes');
    expect(alwaysUnbound(fn(splat, 'b'), splat)?.id).toBe('opts');
  });

  it('ends the plan with the NameError where a required value is missing too', () => {
    const skipped: PlanSkip[] = [];
    planModule(moduleOf(SRC), undefined, undefined, skipped);
    expect(skipped.find((s) => s.qualname === 'PerPhaseWeightedLoss.forward')?.reason).toBe("NameError: name 'log_sigmoid' is not defined (line 50): every call raises there, whatever its arguments");
  });
});

describe('the probes', () => {
  beforeAll(async () => {
    await loadEngine().initBackend('wasm');
  });

  function check(qualname: string) {
    const mod = moduleOf(SRC);
    const plan = planModule(mod).find((p) => p.qualname === qualname);
    expect(plan, qualname).toBeDefined();
    return prober(mod).check(fn(mod, qualname), plan!);
  }

  it("end with Python's NameError where the function reads the name, and run its twin", () => {
    expect(check('typo_focal').notChecked).toMatch(/NameError: name 'logits' is not defined\. Did you mean: 'logit'\?/);
    expect(check('MaskedBCE.forward').notChecked).toMatch(/NameError: name 'ignore_value' is not defined\. Did you mean: 'self\.ignore_value'\?/);
    for (const q of ['typo_focal_fixed', 'MaskedBCEFixed.forward', 'bound_everywhere']) expect(check(q).notChecked, q).toBeUndefined();
  });
});

describe('a notebook', () => {
  it("whose masked IPython line may have bound names (`%run`, `%pylab`) claims nothing", () => {
    // notebook/magics.ts masks `%pylab inline` as `0` padded to its length.
    const masked = 'import torch\n0            \n\ndef f(x, t):\n    return exp(x) * t\n';
    expect(unbound(masked, 'f', 'exp')).toBeUndefined();
    expect(unbound(masked.replace('0            \n', ''), 'f', 'exp')).toMatch(/^NameError: name 'exp' is not defined/);
  });
});
