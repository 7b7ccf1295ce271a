/**
 * Inputs of a loss entry point read from the IR (numeric/entry-inputs.ts), one fact per case, and
 * what the planner (roles.ts) makes of them: a per-class vector, a loss module passed in, names a
 * call site passes that the module binds once, module-level code that computes a loss.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDocumentNumerically, disposeNumericWorker, moduleOf } from '../../server/src/numeric/runner';
import { loadEngine, WORKER } from './helpers';
import { calledOnRoles, holdsBoxes, indexesClasses, meetsClasses, moduleOnce, scalarArithmetic, unreadByMethod } from '../../server/src/numeric/entry-inputs';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';
import type { FunctionIR, ModuleIR } from '../../server/src/core/ir-types';

const HDR = 'import numpy as np\nimport torch\nimport torch.nn.functional as F\n\n';
const fnOf = (mod: ModuleIR, q: string): FunctionIR => mod.functions.find((f) => f.qualname === q)!;
const roles = { input: 'logits', target: 'target' };

function plan(src: string): { plans: ReturnType<typeof planModule>; skipped: PlanSkip[] } {
  const skipped: PlanSkip[] = [];
  const plans = planModule(moduleOf(src), undefined, undefined, skipped);
  return { plans, skipped };
}

describe('a per-class vector: its values meet the classes of the prediction or the targets', () => {
  const CLS = `${HDR}class M(torch.nn.Module):\n    def __init__(self, spec):\n        super().__init__()\n        m = torch.tensor(spec)\n        self.m = m / m.max()\n\n    def forward(self, logits, target):\n        onehot = F.one_hot(target, logits.shape[1]).float()\n        return F.cross_entropy(logits - onehot * self.m[None, :], target)\n`;
  it('through `self.<attr>` from __init__ to forward, multiplied with the one-hot targets', () => {
    const mod = moduleOf(CLS);
    expect(meetsClasses('spec', fnOf(mod, 'M.__init__'), fnOf(mod, 'M.forward'), mod, roles)).toBe(true);
  });

  it('through a buffer (`self.register_buffer("w", ...)`) passed as a loss op\'s weight beside the logits', () => {
    const mod = moduleOf(`${HDR}class W(torch.nn.Module):\n    def __init__(self, counts):\n        super().__init__()\n        n = torch.tensor(counts)\n        self.register_buffer("w", n.sum() / n)\n\n    def forward(self, logits, target):\n        return F.cross_entropy(logits, target, weight=self.w)\n`);
    expect(meetsClasses('counts', fnOf(mod, 'W.__init__'), fnOf(mod, 'W.forward'), mod, roles)).toBe(true);
  });

  it('not a list only counted (`len(heads)`: a size carries no values), nor one never combined with the samples', () => {
    const mod = moduleOf(`${HDR}def f(logits, target, heads, other):\n    k = np.array(other).sum()\n    return F.cross_entropy(logits, target) * len(heads) + 0 * k\n`);
    const f = fnOf(mod, 'f');
    expect(meetsClasses('heads', f, f, mod, roles)).toBe(false);
    // Its sum is one number, whatever its length: no entry per class.
    expect(meetsClasses('other', f, f, mod, roles)).toBe(false);
  });

  it('a Python scalar: in arithmetic or a comparison beside a number literal', () => {
    const mod = moduleOf(`${HDR}def f(logits, target, beta, n):\n    w = (1.0 - beta) / np.power(beta, n)\n    return F.cross_entropy(logits, target) * w\n`);
    const f = fnOf(mod, 'f');
    expect(scalarArithmetic('beta', f)).toBe(true);
    expect(scalarArithmetic('n', f)).toBe(false);
  });

  it('the planner gives it one count per class, read from the use (no name says so), and not to a scalar', () => {
    const { plans } = plan(CLS);
    expect(plans[0].fill?.spec).toEqual({ value: { counts: 'classes' }, why: 'a per-class count list: one count of 1 per class, assumed; no canonical comparison', assumed: true });
    // The same code with the vector only counted: no value.
    const counted = plan(`${HDR}def head_loss(logits, target, heads):\n    return F.cross_entropy(logits, target) * len(heads)\n`);
    expect(counted.skipped).toEqual([{ qualname: 'head_loss', reason: 'required parameter `heads` has no value' }]);
  });
});

describe('names a call site passes, bound once by the module or the caller', () => {
  const SRC = `${HDR}def cb_loss(logits, target, per_cls, beta, num_classes):\n    w = torch.tensor((1.0 - beta) / (1.0 - np.power(beta, per_cls))).float()\n    onehot = F.one_hot(target, num_classes).float()\n    return (F.cross_entropy(logits, target, reduction="none") * (w[None, :] * onehot).sum(1)).mean()\n\nif __name__ == "__main__":\n    per_cls = [5, 3, 1]\n    beta = 0.99\n    loss = cb_loss(x, y, per_cls, beta, 3)\n`;
  it('the module binds `per_cls` and `beta` once: a list of the call site becomes the probes\' class count of entries, a scalar is kept, a class count is the probes\'', () => {
    expect([...moduleOnce(moduleOf(SRC)).keys()]).toEqual(['per_cls', 'beta', 'loss']);
    const { plans } = plan(SRC);
    expect(plans[0].fill).toEqual({
      per_cls: { value: { counts: 'classes' }, why: 'a per-class count list: one count of 1 per class, assumed; no canonical comparison (a call site passes a list of 3)', assumed: true },
      beta: { value: 0.99, why: 'a call site' },
      num_classes: { value: { classes: true }, why: "the probe's classes (a call site passes 3)" },
    });
  });

  it('a name bound twice is no value', () => {
    const twice = SRC.replace('    beta = 0.99\n', '    beta = 0.99\n    beta = 0.9\n');
    expect(moduleOnce(moduleOf(twice)).has('beta')).toBe(false);
    expect(plan(twice).skipped).toEqual([{ qualname: 'cb_loss', reason: 'required parameter `beta` has no value' }]);
  });
});

describe('a loss module passed in and called on the prediction and the target', () => {
  const WRAP = `${HDR}class Wrap(torch.nn.Module):\n    def __init__(self, loss_fcn, gamma=1.5):\n        super().__init__()\n        self.loss_fcn = loss_fcn\n        self.gamma = gamma\n        self.reduction = loss_fcn.reduction\n        self.loss_fcn.reduction = "none"\n\n    def forward(self, pred, true):\n        loss = self.loss_fcn(pred, true)\n        p = torch.sigmoid(pred)\n        return (loss * torch.abs(true - p) ** self.gamma).mean()\n`;
  it('is read as one: called on (pred, true), its attributes read and set, nothing else', () => {
    const mod = moduleOf(WRAP);
    expect(calledOnRoles('loss_fcn', fnOf(mod, 'Wrap.__init__'), fnOf(mod, 'Wrap.forward'), mod, { input: 'pred', target: 'true' })).toBe(true);
    // Also used as a value (multiplied): no module.
    const used = moduleOf(WRAP.replace('return (loss', 'return (self.loss_fcn * loss'));
    expect(calledOnRoles('loss_fcn', fnOf(used, 'Wrap.__init__'), fnOf(used, 'Wrap.forward'), used, { input: 'pred', target: 'true' })).toBe(false);
    // Called on something else than the prediction and the target: no module either.
    const other = moduleOf(WRAP.replace('self.loss_fcn(pred, true)', 'self.loss_fcn(true, pred)'));
    expect(calledOnRoles('loss_fcn', fnOf(other, 'Wrap.__init__'), fnOf(other, 'Wrap.forward'), other, { input: 'pred', target: 'true' })).toBe(false);
  });

  it('takes a typical library module built by the op table, BCEWithLogitsLoss after a sigmoid of the prediction, else CrossEntropyLoss, assumed', () => {
    const { plans } = plan(WRAP);
    expect(plans[0].fill?.loss_fcn).toEqual({
      value: { op: 'torch.nn.BCEWithLogitsLoss', kwargs: {}, dropped: [] },
      why: 'a loss module called on `pred` and `true`, no call site builds one: a typical BCEWithLogitsLoss() (the function takes a sigmoid of the prediction), assumed; no canonical comparison',
      assumed: true,
    });
    const ce = plan(WRAP.replace('p = torch.sigmoid(pred)', 'p = pred'));
    expect((ce.plans[0].fill?.loss_fcn.value as { op: string }).op).toBe('torch.nn.CrossEntropyLoss');
  });
});

describe('module-level code', () => {
  it('that calls a loss op in its own top-level statements is named as a script, not planned', () => {
    const { plans, skipped } = plan(`${HDR}x = torch.randn(4, 3)\ny = torch.tensor([0, 1, 2, 1])\nce = torch.nn.CrossEntropyLoss()\nout = ce(x, y)\n`);
    expect(plans).toEqual([]);
    expect(skipped).toEqual([{ qualname: '<module>', reason: 'module-level code computes the loss (a script): no function whose parameters the probes could give' }]);
    // A demo under `if __name__ == "__main__":` is not the file's loss.
    expect(plan(`${HDR}if __name__ == "__main__":\n    out = F.cross_entropy(torch.randn(4, 3), torch.tensor([0, 1, 2, 1]))\n`).skipped).toEqual([]);
  });
});

describe('a detection loss: a parameter holding boxes', () => {
  const DET = `${HDR}def iou(a, b):\n    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])\n    return area\n\nclass DetLoss(torch.nn.Module):\n    def forward(self, classifications, regressions, anchors, annotations):\n        anchor = anchors[0, :, :]\n        w = anchor[:, 2] - anchor[:, 0]\n        ann = annotations[0]\n        ann = ann[ann[:, 4] != -1]\n        overlap = iou(anchor, ann[:, :4])\n        return (classifications.sum() + regressions.sum()) * w.sum() * overlap.sum()\n`;
  it('takes coordinate columns (a width `b[:, 2] - b[:, 0]`, the first four `[:, :4]`), through what is taken out of it and the helpers it is passed to', () => {
    const mod = moduleOf(DET);
    const f = fnOf(mod, 'DetLoss.forward');
    expect(holdsBoxes('anchors', f, mod)).toBe(true);
    expect(holdsBoxes('annotations', f, mod)).toBe(true);
    expect(holdsBoxes('classifications', f, mod)).toBe(false);
    expect(holdsBoxes('regressions', f, mod)).toBe(false);
  });

  it('the refusal names them instead of "cannot tell prediction and target"', () => {
    expect(plan(DET).skipped).toEqual([{ qualname: 'DetLoss.forward', reason: 'a detection loss: `anchors`, `annotations` hold boxes (coordinate columns differenced or sliced `[:, :4]`), which the probes do not generate' }]);
  });
});

describe('an __init__ parameter the probed method never reaches', () => {
  const SRC = `${HDR}class Det:\n    def __init__(self, anchor, gamma=2.0):\n        self.anchor = anchor\n        self.gamma = gamma\n\n    def match(self, truth):\n        return self.anchor.get(truth)\n\n    def focal_loss(self, logits, target):\n        return F.cross_entropy(logits, target) * self.gamma\n\n    def total_loss(self, logits, target):\n        return self.focal_loss(logits, target) + self.match(target)\n`;
  it('is None when __init__ only stores it and no method the probed one calls reads the attribute', () => {
    const mod = moduleOf(SRC);
    const init = fnOf(mod, 'Det.__init__');
    expect(unreadByMethod('anchor', init, fnOf(mod, 'Det.focal_loss'), mod)).toBe(true);
    // `total_loss` calls `match`, which reads it.
    expect(unreadByMethod('anchor', init, fnOf(mod, 'Det.total_loss'), mod)).toBe(false);
    // __init__ computing with it (it runs in every probe): no.
    const computed = moduleOf(SRC.replace('self.anchor = anchor', 'self.anchor = anchor["boxes"]'));
    expect(unreadByMethod('anchor', fnOf(computed, 'Det.__init__'), fnOf(computed, 'Det.focal_loss'), computed)).toBe(false);
    expect(plan(SRC).plans.find((p) => p.qualname === 'Det.focal_loss')?.fill).toEqual({ anchor: { value: null, why: 'stored by __init__, read by no method `focal_loss` calls: None' } });
  });
});

describe('roles read from the use, over the annotation and a type written as a default', () => {
  const NP = 'import numpy as np\n\n';
  it('a parameter indexing the classes of each row (`onehot[np.arange(n), y] = 1`) is the targets, though annotated `int`', () => {
    const src = `${NP}def sparse_ce_loss(y_predict: np.ndarray, y_true: int) -> float:\n    p = np.clip(y_predict, 1e-10, 1.0 - 1e-10)\n    onehot = np.zeros_like(p)\n    onehot[np.arange(len(p)), y_true] = 1\n    return -np.sum(onehot * np.log(p)) / len(p)\n`;
    expect(indexesClasses('y_true', fnOf(moduleOf(src), 'sparse_ce_loss'))).toBe(true);
    expect(indexesClasses('y_predict', fnOf(moduleOf(src), 'sparse_ce_loss'))).toBe(false);
    expect(plan(src).plans[0]).toMatchObject({ input: 'y_predict', target: 'y_true', valuesOnly: true });
    // A scalar int only counted stays no role.
    expect(plan(src.replace('onehot[np.arange(len(p)), y_true] = 1', 'onehot[:, 0] = y_true')).skipped).toEqual([{ qualname: 'sparse_ce_loss', reason: 'no prediction and target parameters' }]);
  });

  it('a default that is an array type (`y_true=np.ndarray`, an annotation written with `=`) leaves the parameter required', () => {
    const src = `${NP}def sparse_xent(y_predict: np.ndarray, y_true=np.ndarray):\n    e = np.exp(y_predict)\n    s = e / np.sum(e, axis=1, keepdims=True)\n    onehot = np.zeros_like(s)\n    onehot[np.arange(len(y_predict)), y_true] = 1\n    return -np.mean(np.sum(np.log(s) * onehot, axis=1))\n`;
    expect(plan(src).plans[0]).toMatchObject({ input: 'y_predict', target: 'y_true' });
  });
});

describe('end to end (the fixture entry_inputs.py; its torch agreement is repro.test.ts\'s)', () => {
  afterAll(() => disposeNumericWorker());
  it('probes the per-class vectors and the loss module passed in, names each value, and refuses the list only counted', async () => {
    loadEngine();
    const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'entry_inputs.py'), 'utf8');
    const rs = await checkDocumentNumerically(src, { backend: 'wasm', workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 });
    const r = (name: string) => rs.find((x) => x.function === name)!;
    for (const name of ['MarginCE.forward', 'balanced_ce_loss', 'ScaledWrapper.forward']) expect(r(name).notChecked, name).toBeUndefined();
    expect(r('MarginCE.forward').supplied).toEqual({ spec: { value: 'class_counts', why: 'a per-class count list: one count of 1 per class, assumed; no canonical comparison' } });
    expect(r('balanced_ce_loss').supplied).toMatchObject({ per_cls: { value: 'class_counts' }, beta: { value: 0.99, why: 'a call site' }, num_classes: { value: 'classes' } });
    expect(r('ScaledWrapper.forward').supplied?.loss_fcn.value).toBe('op torch.nn.BCEWithLogitsLoss {}');
    // An assumed module, or per-class counts that shape the loss (margins): no comparison with a canonical loss.
    expect(r('ScaledWrapper.forward').probes.map((p) => p.probe)).not.toContain('reference');
    expect(r('MarginCE.forward').probes.map((p) => p.probe)).not.toContain('reference');
    expect(r('MarginCE.forward').findings ?? []).toEqual([]);
    expect(r('head_count_loss')).toBeUndefined();
  }, 180_000);
});
