/**
 * Shapes, layouts and op semantics the probes follow (issue 16): PyTorch's `Tensor.size(d)` raises on
 * an axis the tensor lacks (IndexError, so the layout retries run, and a `try` catching IndexError
 * sees it); PyTorch sequences with the classes last ([N, L, C]) are tried after channels first; a
 * class column the loss never reads (a background class it drops) is left out of the canonical
 * comparisons, and the note says so; a weight annotated as a number is one number; targets whose
 * field 0 a sparse loss takes as labels get fields first; a function the module maps with its own
 * `jax.vmap` is probed through it. The PyTorch fixture's agreement with
 * real torch is repro.test.ts's (it runs every fixture of this folder).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contracted, labelField, moduleVmap } from '../../server/src/numeric/input-facts';
import { checkDocumentNumerically, disposeNumericWorker, moduleOf } from '../../server/src/numeric/runner';
import type { NumericReport } from '../../server/src/numeric/types';
import { FIXTURES, fn, loadEngine, WORKER } from './helpers';

const opts = { backend: 'wasm' as const, workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 };
const read = (f: string) => fs.readFileSync(path.join(FIXTURES, f), 'utf8');
const TORCH = read('shape_semantics.py');
const JAX = read('shape_semantics_jax.py');
const KERAS = read('shape_semantics_keras.py');
// Targets [N] gathered along the classes: PyTorch raises in every layout; the flat layout's error is the telling one.
const GATHERED = [
  'import torch.nn.functional as F',
  '',
  'def gathered_focal(logits, target):',
  "    ce = F.cross_entropy(logits, target, reduction='none')",
  '    pt = F.softmax(logits, dim=1).gather(1, target).view(-1)',
  '    return ((1 - pt) ** 2 * ce).mean()',
  '',
].join('\n');
let gathered: NumericReport[] = [];
let torch: NumericReport[] = [];
let jax: NumericReport[] = [];
let keras: NumericReport[] = [];
const report = (rs: NumericReport[], name: string) => rs.find((r) => r.function === name)!;

beforeAll(async () => {
  const E = loadEngine();
  await E.initBackend('wasm');
  torch = await checkDocumentNumerically(TORCH, opts);
  jax = await checkDocumentNumerically(JAX, opts);
  keras = await checkDocumentNumerically(KERAS, opts);
  gathered = await checkDocumentNumerically(GATHERED, opts);
}, 240_000);

afterAll(() => disposeNumericWorker());

describe('Tensor.size(d) as PyTorch has it', () => {
  const run = (src: string, args: Record<string, unknown>) => {
    const E = loadEngine();
    const mod = moduleOf(src);
    return new E.Evaluator(mod, { maxElements: 1 << 20 }).run(fn(mod, 'f'), args);
  };
  const x = () => ({ t: 'tensor', x: loadEngine().tf.zeros([3, 4]), dt: 'float' });

  it('gives the size of an axis the tensor has, negative axes counted from the end', () => {
    expect(run('def f(x):\n    return x.size(1) + 10 * x.size(-2)\n', { x: x() })).toMatchObject({ t: 'num', v: 4 + 30 });
  });

  it('raises IndexError with PyTorch\'s message on an axis it lacks, which a handler for IndexError catches', () => {
    expect(() => run('def f(x):\n    return x.size(2)\n', { x: x() })).toThrow('Dimension out of range (expected to be in range of [-2, 1], but got 2)');
    expect(() => run('def f(x):\n    return x.size(-3)\n', { x: x() })).toThrow('but got -3');
    expect(run('def f(x):\n    try:\n        return x.size(2)\n    except IndexError:\n        return -1\n', { x: x() })).toMatchObject({ t: 'num', v: -1 });
  });
});

describe('PyTorch scores with the classes last, class 0 the background', () => {
  it('probes them laid out [N, 1, C] once the flat and channels-first layouts fail', () => {
    const r = report(torch, 'AnchorFocal.__call__');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes[0].inputs.layout).toBe('nlc');
    // `scores.size(-1)` and `[..., 1:]` read the flat [N, C] scores as well.
    expect(report(torch, 'anchor_bce').probes[0].inputs.layout).toBeUndefined();
  });

  it('compares with the canonical loss on the columns the loss reads, and names the column it never reads', () => {
    const ce = report(torch, 'AnchorFocal.__call__').probes.find((p) => p.probe === 'ce-at-gamma-0')!;
    expect(ce.ok).toBe(true);
    expect(ce.note).toMatch(/class column 0 never read by the loss \(gradient 0 on every row\): compared on the others/);
    expect(report(torch, 'AnchorFocal.__call__').findings.map((f) => f.code)).not.toContain('LL304');
    const bce = report(torch, 'anchor_bce').probes.find((p) => p.probe === 'reference')!;
    expect(bce.ok).toBe(true);
    expect(report(torch, 'anchor_bce').findings).toEqual([]);
  });

  it("the twin that leaves the weight on the graph stays refused with PyTorch's own error (from the layout where the rest fits)", () => {
    expect(report(torch, 'AnchorFocalGradWeight.__call__').notChecked).toMatch(/binary_cross_entropy_with_logits' is not differentiable with respect to argument 'weight'/);
  });
});

describe('a refusal after every layout', () => {
  it("names channels first's error where the classes-last layout fails on its shape too", () => {
    const r = report(gathered, 'gathered_focal');
    // And [N, 1] after them (what gather wants), where cross_entropy raises: the two ranks named (raise-reasons.test.ts).
    expect(r.notChecked).toMatch(/the class indices `target` are wanted at two ranks at once: \[N\] raise Index tensor must have the same number of dimensions as input tensor .*, \[N, 1\] raise .*cross_entropy/);
  });
});

describe('targets used as indices', () => {
  it("refuse with the index encoding's error (the code raises on its own default), not the float encodings' dtype error", () => {
    const r = report(torch, 'picked_weight_loss');
    // Used before the function's own None test: said as the bug it is (raise-reasons.ts).
    expect(r.notChecked).toMatch(/`weight` defaults to None and the function uses it before its own test `weight is not None` \(line \d+\): 'NoneType' object is not subscriptable/);
    expect(r.notChecked).not.toMatch(/tensors used as indices must be long/);
  });
});

describe('a weight annotated as a number', () => {
  it('is one number (1, assumed), not one weight per class', () => {
    const r = report(keras, 'EntropyPenalisedCE.__call__');
    expect(r.notChecked).toBeUndefined();
    expect(r.supplied?.penalty_weight).toEqual({ value: 1, why: 'a weight annotated `float`: one number, 1, assumed; other weights not probed; no canonical comparison' });
    expect(r.probes.some((p) => p.probe === 'reference')).toBe(false);
  });
});

describe('targets read field by field', () => {
  it('whose field 0 a sparse loss takes as class indices: fields first (labels, then a mask of ones)', () => {
    const r = report(keras, 'MaskedSparseCE.__call__');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles).toMatchObject({ encoding: 'index', targetFields: 2 });
    const mod = moduleOf(KERAS);
    expect(labelField(fn(mod, 'MaskedSparseCE.__call__'), 'y_true', mod)).toBe(true);
  });

  it('whose columns are per-class masks (no class index read): the plain one-hot targets', () => {
    const r = report(keras, 'two_class_overlap');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.targetFields).toBeUndefined();
    const mod = moduleOf(KERAS);
    expect(labelField(fn(mod, 'two_class_overlap'), 'y_true', mod)).toBe(false);
  });
});

describe("a function the module maps with its own jax.vmap", () => {
  it('reads the vmap and the contraction of the target from the IR', () => {
    const mod = moduleOf(JAX);
    expect(moduleVmap(fn(mod, 'example_loss'), mod)?.kwargs.in_axes).toBeDefined();
    expect(moduleVmap(fn(mod, 'unmapped_loss'), mod)).toBeUndefined();
    expect(contracted(fn(mod, 'example_loss'), 'onehot', mod)).toBe(true);
    expect(contracted(fn(mod, 'example_loss'), 'log_probs', mod)).toBe(true);
    const plain = moduleOf('import jax.numpy as jnp\ndef f(x, t):\n    return -(x * t).sum()\n');
    expect(contracted(fn(plain, 'f'), 't', plain)).toBe(false);
  });

  it('is probed through it, per example, its contracted targets one-hot; the unmapped twin stays refused', () => {
    const r = report(jax, 'example_loss');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles).toMatchObject({ vmapped: true, encoding: 'onehot' });
    expect(r.findings).toEqual([]);
    expect(report(jax, 'unmapped_loss').notChecked).toMatch(/jax\.numpy\.dot: shapes \[64,8\] and \[64,8\] not aligned/);
  });
});
