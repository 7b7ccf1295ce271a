/**
 * Loss code that runs once the probes read what the function's own code says of its inputs, or once
 * the interpreter models the construct it uses (fixtures/runtime_gaps.py; its torch agreement is
 * torch.test.ts's): a prediction asserted to lie in [0, 1] is probed with probabilities; Python 2's
 * builtins raise NameError as in Python 3 (a `try` shim catches it); a refusal for an error of the
 * function names each message once, after the encodings that met it, and the layouts tried.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { planModule } from '../../server/src/numeric/roles';
import { assertsUnitInterval, oneBasedLabels, readAsMapping, targetFields } from '../../server/src/numeric/input-facts';
import { groupedErrors } from '../../server/src/numeric/probes';
import { coverageReason } from '../../server/src/cli/probe';
import { fn, loadEngine, prober } from './helpers';

const SRC = fs.readFileSync(path.join(__dirname, 'fixtures', 'runtime_gaps.py'), 'utf8');
const HDR = 'import torch\nimport torch.nn.functional as F\n\n';

beforeAll(async () => {
  await loadEngine().initBackend('wasm');
});

function check(src: string, qualname: string) {
  const mod = moduleOf(src);
  const plan = planModule(mod).find((p) => p.qualname === qualname);
  expect(plan, qualname).toBeDefined();
  return prober(mod).check(fn(mod, qualname), plan!);
}

describe('an assert that bounds the prediction by 0 and 1', () => {
  it('is a fact of the IR: both bounds, in any combination, either side of the comparison', () => {
    const f = (test: string) => assertsUnitInterval(fn(moduleOf(`${HDR}def f(x, t):\n    assert ${test}\n    return x\n`), 'f'), 'x');
    expect(f('torch.all((x >= 0.0) & (x <= 1.0))')).toBe(true);
    expect(f('(0 <= x).all() and (x <= 1).all()')).toBe(true);
    expect(f('0 <= x.min() and x.max() < 1')).toBe(true);
    expect(f('x.min() >= 0')).toBe(false);
    expect(f('(x >= 0).all() and (t <= 1).all()')).toBe(false);
    // Bounds on its rank or size are none on its values.
    expect(f('x.dim() >= 0 and x.dim() <= 1')).toBe(false);
    expect(f('len(x) >= 0 and x.shape[0] <= 1')).toBe(false);
  });

  it('makes the plan feed probabilities; the probes then run the function (they raised on logits)', () => {
    const plan = planModule(moduleOf(SRC)).find((p) => p.qualname === 'AssertedProbFocal.forward')!;
    expect(plan.inputIsProb).toBe(true);
    const r = check(SRC, 'AssertedProbFocal.forward');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes.find((p) => p.probe === 'typical')?.inputs.activation).toBe('softmax');
    // Without the assert the name says nothing: logits are tried, and the function computes on them.
    const bare = planModule(moduleOf(SRC.replace(/ {8}assert .*\n/, ''))).find((p) => p.qualname === 'AssertedProbFocal.forward')!;
    expect(bare.inputIsProb).toBe(false);
  });
});

describe('torch.dot in a loss', () => {
  it('runs (per-sample terms against per-sample weights)', () => {
    const r = check(SRC, 'dot_class_weighted_ce');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes.find((p) => p.probe === 'typical')?.loss).toBeGreaterThan(0);
  });
});

describe('a hyperparameter the function subscripts (`gamma = gamma[0]`)', () => {
  it('is passed as a one-item list of its value after the number raised, and the report says so', () => {
    const r = check(SRC, 'boxed_sigmoid_focal');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.boxed).toEqual(['gamma', 'alpha']);
    // The gamma sweep passes its values boxed too: gamma 0 is the cross-entropy (weighted by alpha).
    expect(r.probes.filter((p) => p.probe === 'gamma-sweep').length).toBeGreaterThan(0);
    expect(r.probes.every((p) => p.loss === null || Number.isFinite(p.loss))).toBe(true);
  });

  it('a default the function subscripts is not boxed: its own value raises, and the error stays', () => {
    const src = `${HDR}def f(logits, target, gamma=2.0):\n    g = gamma[0]\n    return (F.cross_entropy(logits, target, reduction="none") * g).mean()\n`;
    expect(check(src, 'f').notChecked).toMatch(/object is not subscriptable \(`gamma` is 2(\.0)?\)/);
  });
});

describe("a required hyperparameter that the function's jax.vmap maps (`in_axes=(1, 1, 0)`)", () => {
  const JAX = 'import jax\nimport jax.numpy as jnp\nimport optax\nfrom functools import partial\n\n';
  const SRC_VMAP = `${JAX}@partial(jax.vmap, in_axes=(1, 1, 0))\ndef per_task_focal(logits, labels, alpha):\n    return optax.sigmoid_focal_loss(logits, labels, alpha=alpha).mean()\n`;

  it('takes its number for every example (a rank-0 argument cannot be mapped), and the report says so', () => {
    const r = check(SRC_VMAP, 'per_task_focal');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.perRow).toEqual(['alpha']);
    // optax's sigmoid focal loss: the sigmoid formulation, and the canonical reference agrees.
    expect(r.formulation).toBe('sigmoid');
    expect(r.findings.map((f) => f.code)).not.toContain('LL305');
  });

  it('a default left out leaves in_axes longer than the arguments: JAX raises, so does the check', () => {
    expect(check(SRC_VMAP.replace('alpha):', 'alpha=0.25):'), 'per_task_focal').notChecked).toMatch(/len\(in_axes\)=3, len\(args\)=2/);
  });
});

describe('targets whose last axis the function reads field by field (`t[:, :, 0]` labels, `t[:, :, 1]` a mask)', () => {
  it('is a fact of the IR: the fields read with constants after full slices; none with a slice of that axis', () => {
    const k = (body: string) => {
      const mod = moduleOf(`${HDR}def f(x, t):\n${body}    return x\n`);
      return targetFields(fn(mod, 'f'), 't', mod);
    };
    expect(k('    a = t[:, :, 0]\n    b = t[:, :, 1]\n')).toBe(2);
    expect(k('    t = t.reshape(-1, 4, 3)\n    a = t[..., 0] * t[..., 2]\n')).toBe(3);
    expect(k('    a = t[:, :, 0]\n')).toBeUndefined();
    expect(k('    a = t[..., :-1]\n    b = t[..., -1]\n    c = t[..., 0]\n')).toBeUndefined();
  });

  it('gets the targets then ones on a new last axis, where the plain targets fail; the report says so', () => {
    const r = check(SRC, 'masked_pair_bce');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.targetFields).toBe(2);
  });

  it("a Keras loss that reshapes its targets to its own count of fields (`K.reshape(y_true, [-1, 4, 2])`) runs at that count", () => {
    const KERAS = 'from tensorflow.keras import backend as K\n\n';
    const src = `${KERAS}class MaskedBCE:\n    def __call__(self, y_true, y_pred):\n        y_true = K.reshape(y_true, [-1, 4, 2])\n        labels = y_true[:, :, 0]\n        mask = y_true[:, :, 1]\n        return K.sum(mask * K.binary_crossentropy(labels, y_pred), axis=-1) / (K.sum(mask, axis=-1) + 1e-6)\n`;
    const r = check(src, 'MaskedBCE.__call__');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.targetFields).toBe(2);
    expect(r.probes[0].inputs.shape[1]).toBe(4);
    // Six entries of two fields: the reshape's inner size is the count, not its last (fields) axis.
    const six = check(src.replace('[-1, 4, 2]', '[-1, 6, 2]'), 'MaskedBCE.__call__');
    expect(six.notChecked).toBeUndefined();
    expect(six.probes[0].inputs.shape[1]).toBe(6);
  });
});

describe('a per-class weight the function reads as a mapping (`for c, w in weights.items()`)', () => {
  const KERAS = 'import itertools\nimport numpy as np\nfrom tensorflow.keras import backend as K\n\n';
  const SRC_MAP = `${KERAS}class PairWeightedCE:\n    def __init__(self, weights):\n        n = len(weights)\n        self.w = np.ones((n, n))\n        for c, cw in weights.items():\n            self.w[0][c] = cw\n\n    def __call__(self, y_true, y_pred):\n        n = len(self.w)\n        mask = K.zeros_like(y_pred[..., 0])\n        for cp, ct in itertools.product(range(n), range(n)):\n            mask += self.w[ct, cp] * y_pred[..., cp] * y_true[..., ct]\n        return K.categorical_crossentropy(y_true, y_pred) * mask\n`;

  it('is a fact of the IR (`.items()`, `.keys()`, `.values()` called on it)', () => {
    const mod = moduleOf(SRC_MAP);
    expect(readAsMapping('weights', fn(mod, 'PairWeightedCE.__init__'), mod)).toBe(true);
    const plain = moduleOf(`${HDR}def f(x, weights):\n    return x * weights[0]\n`);
    expect(readAsMapping('weights', fn(plain, 'f'), plain)).toBe(false);
  });

  it('gets a dict of one weight of 1 per class, and the function runs (itertools.product included)', () => {
    const plan = planModule(moduleOf(SRC_MAP)).find((p) => p.qualname === 'PairWeightedCE.__call__')!;
    expect(plan.fill?.weights?.value).toEqual({ ones: 'class_map' });
    const r = check(SRC_MAP, 'PairWeightedCE.__call__');
    expect(r.notChecked).toBeUndefined();
    expect(r.supplied?.weights?.value).toBe('class_map');
  });
});

describe('class indices counted from 1 (`targets.unsqueeze(1) == arange(1, C + 1)`, 0 the background)', () => {
  it('is a fact of the IR, through a local bound to the targets and through a function they are passed to', () => {
    const mod = moduleOf(SRC);
    expect(oneBasedLabels(fn(mod, 'background_zero_focal'), 'targets')).toBe(true);
    expect(oneBasedLabels(fn(mod, 'BackgroundZeroFocal.forward'), 'targets', mod)).toBe(true);
    expect(oneBasedLabels(fn(mod, 'BackgroundZeroFocal.forward'), 'targets')).toBe(false);
    const zero = moduleOf(SRC.replace('torch.arange(1, num_classes + 1,', 'torch.arange(0, num_classes,'));
    expect(oneBasedLabels(fn(zero, 'background_zero_focal'), 'targets')).toBe(false);
  });

  it('the probes pass their indices plus one: the canonical sigmoid focal loss then agrees (no LL304 / LL305)', () => {
    for (const q of ['background_zero_focal', 'BackgroundZeroFocal.forward']) {
      const r = check(SRC, q);
      expect(r.notChecked).toBeUndefined();
      expect(r.roles?.targetOffset).toBe(1);
      expect(r.findings.map((f) => f.code)).toEqual([]);
    }
  });
});

describe("Python 2's builtins", () => {
  const PY2 = `${HDR}class Focal(torch.nn.Module):\n    def __init__(self, gamma=2, alpha=None):\n        super().__init__()\n        self.gamma = gamma\n        if isinstance(alpha, (float, int, long)):\n            alpha = [alpha, 1 - alpha]\n        self.alpha = alpha\n\n    def forward(self, x, t):\n        logpt = F.log_softmax(x, dim=1).gather(1, t.view(-1, 1)).view(-1)\n        return (-(1 - logpt.exp()) ** self.gamma * logpt).mean()\n`;

  it('raise NameError as in Python 3, and the refusal says so once for every encoding', () => {
    const r = check(PY2, 'Focal.forward');
    expect(r.notChecked).toBe("not checked: the function raises on every target encoding tried (index, onehot, binary: NameError: name 'long' is not defined (`long` is a Python 2 builtin; Python 3 raises here) (line 8))");
  });

  it('a `try` / `except NameError` shim catches it (the Python 2/3 idiom runs)', () => {
    const shim = PY2.replace('class Focal', 'try:\n    long\nexcept NameError:\n    long = int\n\nclass Focal');
    expect(check(shim, 'Focal.forward').notChecked).toBeUndefined();
  });
});

describe('a refusal for errors of the function on every encoding', () => {
  it('names each message once, after the encodings that met it', () => {
    expect(groupedErrors(['index: a (line 3)', 'onehot: b', 'binary: a (line 3)'])).toBe('index, binary: a (line 3); onehot: b');
  });

  it('groups in coverage by the message most encodings met, whatever the layouts tried', () => {
    expect(coverageReason('not checked: the function raises on every target encoding tried, in layouts [N, C], [N, C, 1, 1] (index, binary: a (line 3); onehot: b)')).toBe('a');
    expect(coverageReason('not checked: the function raises on every target encoding tried (index: b; onehot, binary: a (line 3))')).toBe('a');
  });
});

describe("Python's callable() and PyTorch's reduction enum", () => {
  // A loss validating a converter before it uses it, and choosing its reduction by torch's enum (mmdetection's reduce_loss).
  const SRC2 = `${HDR}import numbers\n\ndef _reduce(v, reduction):\n    code = F._Reduction.get_enum(reduction)\n    return v if code == 0 else v.mean() if code == 1 else v.sum()\n\ndef focal(x, t, gamma=2.0, convert=float, reduction="mean", probe=None):\n    if not callable(convert) or callable(gamma) or callable("s") or callable([1]) or callable(None) or callable(x):\n        raise ValueError("not callable")\n    if not (callable(_reduce) and callable(torch.nn.BCELoss()) and callable(F.log_softmax)):\n        raise ValueError("callable")\n    gamma = convert(gamma)\n    logpt = F.log_softmax(x, dim=1).gather(1, t.view(-1, 1)).view(-1)\n    return _reduce(-((1 - logpt.exp()) ** gamma) * logpt, reduction)\n`;

  it('tells functions, types and modules from numbers, strings, containers, None and tensors', () => {
    const r = check(SRC2, 'focal');
    expect(r.notChecked).toBeUndefined();
  });

  it("maps 'none' / 'mean' / 'sum' as torch does, and raises torch's ValueError for another string", () => {
    const typical = check(SRC2, 'focal').probes.find((p) => p.probe === 'typical')!;
    const sum = check(SRC2.replace('reduction="mean"', 'reduction="sum"'), 'focal').probes.find((p) => p.probe === 'typical')!.loss!;
    // The sum over the rows is their mean times the probe's row count.
    expect(sum / typical.loss!).toBeCloseTo(typical.inputs.shape[0], 0);
    expect(check(SRC2.replace('reduction="mean"', 'reduction="avg"'), 'focal').notChecked).toMatch(/ValueError: avg is not a valid value for reduction/);
  });
});
