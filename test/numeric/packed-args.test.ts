/**
 * Roles packed in one parameter (numeric/packed-args.ts): a Keras Lambda layer's loss
 * (`def get_loss(args): y_pred, y_true = args`) and a varargs loss (`def loss(*args)`) are planned
 * and probed as the function of the two unpacked names; a pack read again, unpacked into other than
 * two names, or not unpacked first stays a function of one parameter (fixtures/packed_args.py).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packedArgs, unpackedView } from '../../server/src/numeric/packed-args';
import { planModule } from '../../server/src/numeric/roles';
import { moduleOf } from '../../server/src/numeric/runner';
import { reproScript } from '../../server/src/numeric/repro';
import { FIXTURES, fn, loadEngine, prober } from './helpers';

const SRC = fs.readFileSync(path.join(FIXTURES, 'packed_args.py'), 'utf8');
let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

function packedOf(src: string, name: string) {
  const mod = moduleOf(src);
  return packedArgs(fn(mod, name));
}

describe('packedArgs', () => {
  it('reads a list parameter and *args unpacked into two names by the first statement (after a docstring)', () => {
    expect(packedOf('def loss(args):\n    """doc"""\n    y_pred, y_true = args\n    return y_pred - y_true\n', 'loss')).toEqual({ param: 'args', star: false, names: ['y_pred', 'y_true'] });
    expect(packedOf('def loss(*args, gamma=2.0):\n    y_true, y_pred = args\n    return y_pred ** gamma - y_true\n', 'loss')).toEqual({ param: 'args', star: true, names: ['y_true', 'y_pred'] });
    expect(packedOf('class L:\n    def call(self, inputs, scale=1.0):\n        logits, labels = inputs\n        return logits * labels\n', 'L.call')).toEqual({ param: 'inputs', star: false, names: ['logits', 'labels'] });
  });

  it('is no packing where the pack is read again, is unpacked late or into other than two names, or beside another required parameter', () => {
    expect(packedOf('def loss(args):\n    a, b = args\n    return a * b * len(args)\n', 'loss')).toBeUndefined();
    expect(packedOf('def loss(args):\n    a, b = args\n    def inner():\n        return args\n    return a * b\n', 'loss')).toBeUndefined();
    expect(packedOf('def loss(args):\n    s = 2.0\n    a, b = args\n    return a * b * s\n', 'loss')).toBeUndefined();
    expect(packedOf('def loss(args):\n    a, b, c = args\n    return a * b * c\n', 'loss')).toBeUndefined();
    expect(packedOf('def loss(args, w):\n    a, b = args\n    return a * b * w\n', 'loss')).toBeUndefined();
    expect(packedOf('def loss(args, *rest):\n    a, b = args\n    return a * b\n', 'loss')).toBeUndefined();
  });

  it('views the function with the names as its parameters, its other parameters kept and the unpacking dropped', () => {
    const mod = moduleOf('def loss(args, gamma=2.0):\n    y_pred, y_true = args\n    return y_pred ** gamma - y_true\n');
    const f = fn(mod, 'loss');
    const v = unpackedView(f, packedArgs(f)!);
    expect(v.params.map((p) => [p.name, !!p.default])).toEqual([
      ['y_pred', false],
      ['y_true', false],
      ['gamma', true],
    ]);
    expect(v.body).toHaveLength(1);
    expect(v.qualname).toBe('loss');
    // The module keeps the function as written.
    expect(fn(mod, 'loss').params.map((p) => p.name)).toEqual(['args', 'gamma']);
  });
});

describe('a packed loss', () => {
  it('is planned with the unpacked names as its roles, and the plan says the packing', () => {
    const plans = planModule(moduleOf(SRC));
    const p = plans.find((x) => x.qualname === 'focal_from_packed');
    expect(p).toMatchObject({ input: 'logits', target: 'target', packed: { param: 'args', star: false, names: ['logits', 'target'] } });
    expect(plans.find((x) => x.qualname === 'ce_from_varargs')).toMatchObject({ input: 'logits', target: 'target', packed: { star: true } });
    expect(plans.find((x) => x.qualname === 'pack_read_again_loss')).toBeUndefined();
  });

  it('is probed as the function of the two names, the same losses as the unpacked twin', () => {
    const mod = moduleOf(SRC);
    const plan = planModule(mod).find((x) => x.qualname === 'focal_from_packed')!;
    const r = prober(mod).check(unpackedView(fn(mod, 'focal_from_packed'), plan.packed!), plan);
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.packed).toEqual({ param: 'args', star: false, names: ['logits', 'target'] });
    const twin = moduleOf('import torch\nimport torch.nn.functional as F\n\n\ndef focal(logits, target, gamma=2.0):\n    logp = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)\n    return (-((1 - logp.exp()) ** gamma) * logp).mean()\n');
    const tplan = planModule(twin).find((x) => x.qualname === 'focal')!;
    const t = prober(twin).check(fn(twin, 'focal'), tplan);
    expect(r.probes.map((p) => [p.probe, p.loss])).toEqual(t.probes.map((p) => [p.probe, p.loss]));
  });

  it("is called packed by the repro script: one list, or the values positionally for *args", () => {
    const mod = moduleOf(SRC);
    for (const [name, call] of [
      ['focal_from_packed', 'fn([x_in, t], **named(fn, hyper))'],
      ['ce_from_varargs', 'fn(x_in, t, **named(fn, hyper))'],
    ] as const) {
      const plan = planModule(mod).find((x) => x.qualname === name)!;
      const r = prober(mod).check(unpackedView(fn(mod, name), plan.packed!), plan);
      expect(reproScript(path.join(FIXTURES, 'packed_args.py'), r)).toContain(call);
    }
  });
});
