/**
 * Probe inputs and the values of required parameters, end to end (worker, setup, report):
 * values chosen from what a function does with a parameter (roles.ts fillFromUses) are named in the
 * report's `supplied`; targets a function uses as class indices refuse with the index encoding's
 * error, not the float encodings' dtype errors; a class count the function holds itself
 * (`one_hot(t, 2)`) is found by the setup. The torch agreement of these fixtures is repro.test.ts's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDocumentNumerically, disposeNumericWorker } from '../../server/src/numeric/runner';
import type { NumericReport } from '../../server/src/numeric/types';
import { loadEngine, WORKER } from './helpers';

const opts = { backend: 'wasm' as const, workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 };
const SUPPLIED = fs.readFileSync(path.join(__dirname, 'fixtures', 'supplied_values.py'), 'utf8');
const INDEX = [
  'import torch',
  'import torch.nn.functional as F',
  '',
  'def gather_loss(x, t):',
  '    p = F.softmax(x, dim=1).gather(1, t)',
  '    return -(F.cross_entropy(x, t, reduction="none") * p).mean()',
  '',
  'def pair_loss(output, target):',
  '    out = F.softmax(output.view(-1, 2), dim=1)',
  '    t = target.view(-1)',
  '    return -(out[t == 1, 1].log().sum() + out[t == 0, 0].log().sum()) / out.shape[0]',
  '',
  'def two_class_loss(logits, labels):',
  '    y = F.one_hot(labels, 2).float()',
  '    return F.binary_cross_entropy_with_logits(logits, y)',
  '',
].join('\n');
const LAYOUTS = fs.readFileSync(path.join(__dirname, 'fixtures', 'target_layouts.py'), 'utf8');
const KERAS_LAYOUTS = fs.readFileSync(path.join(__dirname, 'fixtures', 'target_layouts_keras.py'), 'utf8');
let layouts: NumericReport[] = [];
let kerasLayouts: NumericReport[] = [];
let supplied: NumericReport[] = [];
let index: NumericReport[] = [];
const report = (rs: NumericReport[], name: string) => rs.find((r) => r.function === name)!;

beforeAll(async () => {
  loadEngine();
  supplied = await checkDocumentNumerically(SUPPLIED, opts);
  index = await checkDocumentNumerically(INDEX, opts);
  layouts = await checkDocumentNumerically(LAYOUTS, opts);
  kerasLayouts = await checkDocumentNumerically(KERAS_LAYOUTS, opts);
}, 240_000);

afterAll(() => disposeNumericWorker());

describe('required parameters given a value from their use', () => {
  it('probes each function and names every value given, with why', () => {
    for (const r of supplied) expect(r.notChecked, r.function).toBeUndefined();
    expect(report(supplied, 'normalised_bce').supplied).toEqual({ num_items: { value: 1, why: 'a normaliser the loss is divided by: 1' } });
    expect(report(supplied, 'ce_with_tag').supplied).toEqual({ tag: { value: null, why: 'never read by the function: None' } });
    expect(report(supplied, 'CountWeightedLoss.forward').supplied).toEqual({ cls_num_list: { value: 'class_counts', why: 'a per-class count list: one count of 1 per class, assumed; no canonical comparison' } });
    // A loss module a call site builds, its non-literal keyword left at the default (and said so); the
    // function reads and sets its `reduction`.
    expect(report(supplied, 'WrappedFocal.forward').supplied).toEqual({ base: { value: 'op torch.nn.BCEWithLogitsLoss {}', why: 'the BCEWithLogitsLoss a call site builds (pos_weight not a literal: the default)' } });
    expect(report(supplied, 'TableFocalLoss.forward').supplied).toMatchObject({ alpha: { value: null, why: 'a table indexed by the targets, whose None the function handles: None' }, class_num: { value: 'classes' } });
    // A second head's prediction (the probe's values, not differentiated) and targets; a fraction of a
    // count; a slice bound; a mode string compared with literals; a weight under a sign.
    expect(report(supplied, 'two_head_ce').supplied).toEqual({
      b_logits: { value: 'like_input', why: "passed where `a_logits` is: a second prediction, the probe's prediction values (not differentiated)" },
      b_labels: { value: 'like_target', why: "passed where `a_labels` is: a second target, the probe's targets" },
    });
    expect(report(supplied, 'hard_mined_bce').supplied).toEqual({ keep_frac: { value: 0.5, why: 'a fraction of a count (`int(p * n)`): 0.5, other fractions not probed; no canonical comparison' } });
    expect(report(supplied, 'head_bce').supplied?.n_head.value).toBe(1);
    expect(report(supplied, 'reduced_ce').supplied?.mode.value).toBe('mean');
    expect(report(supplied, 'pos_weighted_bce').supplied?.pos_weight.value).toBe('ones');
    expect(report(supplied, 'MinedCE.forward').supplied?.keep_above.value).toBe(0.5);
    expect(report(supplied, 'smoothed_ce').supplied?.eps_ls.value).toBe(0.1);
    // A value assumed among several the code runs differently with: no comparison with the canonical loss.
    for (const f of ['hard_mined_bce', 'head_bce', 'reduced_ce', 'MinedCE.forward', 'smoothed_ce']) expect(report(supplied, f).probes.some((p) => p.probe === 'reference'), f).toBe(false);
    expect(report(supplied, 'ClassAlphaFocal.forward').supplied).toEqual({ alpha: { value: 'class_ones', why: 'a table indexed by the targets (`alpha[targets]`): one weight of 1 per class' } });
    // One weight of 1 per class is the canonical focal loss without alpha.
    expect(report(supplied, 'ClassAlphaFocal.forward').probes.find((p) => p.probe === 'reference')?.ok).toBe(true);
  });

  it("a second head's prediction takes no part in the gradient: the probes see what a detached copy gives", () => {
    const ref = (name: string) => report(supplied, name).probes.find((p) => p.probe === 'reference')!;
    // 0.5 * CE(a) + 0.5 * CE(b), b the probe's values without a gradient: the loss and the gradient of
    // 0.5 * CE(a) + 0.5 * CE(a.detach()).
    expect(ref('two_head_ce').loss).toBe(ref('detached_head_ce').loss);
    expect(ref('two_head_ce').scale).toBe(ref('detached_head_ce').scale);
    expect(ref('two_head_ce').maxRelDiff).toBe(ref('detached_head_ce').maxRelDiff);
  });

  it('a [C, 1] table indexed by the targets pairs no samples (LL308 silent)', () => {
    expect(report(supplied, 'TableFocalLoss.forward').findings.map((f) => f.code)).not.toContain('LL308');
  });
});

describe('targets as class indices', () => {
  it("refuses with the index encoding's error, not the float encodings' dtype errors", () => {
    const r = report(index, 'gather_loss');
    // The class indices' errors: at [N] (gather) and at [N, 1] (cross_entropy), no float dtype error.
    expect(r.notChecked).toMatch(/the class indices `t` are wanted at two ranks at once: \[N\] raise Index tensor/);
    expect(r.notChecked).not.toMatch(/Expected dtype int64|onehot: |binary: /);
  });

  it('finds the class count a function holds itself (one_hot(t, 2), a mask of the targets on view(-1, 2))', () => {
    for (const name of ['two_class_loss', 'pair_loss']) {
      const r = report(index, name);
      expect(r.notChecked, name).toBeUndefined();
      expect(r.probes[0].inputs.shape[1]).toBe(2);
    }
  });
});

describe("input layouts from the function's operations", () => {
  it('targets whose channel the function squeezes are [N, 1, H, W] beside [N, C, H, W] logits', () => {
    const r = report(layouts, 'squeezed_overlap_loss');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes[0].inputs.layout).toBe('nc1hw');
  });

  it('labels of one column squeezed at axis 1 beside [N, C] logits are [N, 1] (PyTorch and Keras)', () => {
    for (const [rs, name] of [[layouts, 'column_label_ce'], [kerasLayouts, 'column_label_xent']] as const) {
      const r = report(rs, name);
      expect(r.notChecked, name).toBeUndefined();
      expect(r.probes[0].inputs.layout, name).toBe('nc1');
    }
  });

  it('a shape unpacked into four names is an image: channels first for PyTorch', () => {
    const r = report(layouts, 'unpacked_pixel_ce');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes[0].inputs.layout).toBe('nchw');
  });

  it("Keras targets squeezed at axis 3 are [N, H, W, 1] beside channels-last scores, at the class count of the loss's own reshape", () => {
    const r = report(kerasLayouts, 'pixel_focal.loss');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes[0].inputs.layout).toBe('nhwc1');
    expect(r.probes[0].inputs.shape[1]).toBe(5);
    // The canonical softmax focal loss, per pixel.
    expect(r.probes.find((p) => p.probe === 'reference')?.ok).toBe(true);
  });

  it('per-pixel log of the probability: probed in its layout, the unclipped twin infinite, the clipped one not', () => {
    const wrong = report(kerasLayouts, 'pixel_nll_unclipped');
    const right = report(kerasLayouts, 'pixel_nll_clipped');
    for (const r of [wrong, right]) {
      expect(r.notChecked, r.function).toBeUndefined();
      expect(r.probes[0].inputs.layout, r.function).toBe('nhwc1');
    }
    expect(wrong.findings.map((f) => f.code)).toContain('LL301');
    expect(right.findings.map((f) => f.code)).not.toContain('LL301');
  });

  it('class indices that pass the setup by a coincidence of sizes and fail later: the dense targets are probed', () => {
    const r = report(layouts, 'masked_heatmap_loss');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles?.encoding).not.toBe('index');
  });
});
