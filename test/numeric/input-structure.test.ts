/**
 * Probe inputs shaped as the function reads them (fixtures/input_structure.py, end to end through the
 * worker): a prediction or target read as a mapping gets a dict of its keys (roles.ts `mapped`); a
 * Python loop over the samples runs at a sample count under the interpreter's loop cap (probes.ts
 * `loopSamples`); an alpha table indexed by the targets, or a class weight of `__init__` left at None
 * that the function needs, gets one weight per class; a class weight the function builds for its own
 * count finds that count; a target split into labels and a trailing state column carries the
 * column. The torch agreement of the fixture is torch.test.ts's; what stays refused says why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moduleOf, checkDocumentNumerically, disposeNumericWorker } from '../../server/src/numeric/runner';
import { mappingKeys, planModule, slicesTrailingColumn, type PlanSkip } from '../../server/src/numeric/roles';
import type { NumericReport } from '../../server/src/numeric/types';
import { fn, loadEngine, WORKER } from './helpers';

const opts = { backend: 'wasm' as const, workerPath: WORKER, samples: 512, timeBudgetMs: 240_000 };
const SRC = fs.readFileSync(path.join(__dirname, 'fixtures', 'input_structure.py'), 'utf8');
const KERAS = [
  'import tensorflow as tf',
  'from tensorflow import keras',
  '',
  'def anchor_focal(gamma=2.0):',
  '    def _loss(y_true, y_pred):',
  '        labels = y_true[:, :, :-1]',
  '        state = y_true[:, :, -1]',
  '        keep = tf.where(keras.backend.not_equal(state, -1))',
  '        labels = tf.gather_nd(labels, keep)',
  '        p = tf.gather_nd(y_pred, keep)',
  '        w = tf.where(keras.backend.greater(labels, 0.5), 1 - p, p) ** gamma',
  '        loss = w * keras.backend.binary_crossentropy(labels, p)',
  '        pos = tf.where(keras.backend.equal(state, 1))',
  '        n = keras.backend.cast(keras.backend.shape(pos)[0], keras.backend.floatx())',
  '        return keras.backend.sum(loss) / keras.backend.maximum(1.0, n)',
  '    return _loss',
  '',
  'def nested_class_weights(y_true, y_pred, weight=[1.0, 2.0, 5.0]):',
  '    w = tf.constant([[[weight]]])',
  '    per_pixel = tf.reduce_sum(w * y_true, axis=-1)',
  '    ce = tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred)',
  '    return tf.reduce_mean(per_pixel * ce)',
  '',
].join('\n');
const REFUSED = [
  'import torch',
  'import torch.nn.functional as F',
  '',
  'class PairLoss(torch.nn.Module):',
  '    def forward(self, batch, out):',
  '        return F.cross_entropy(out["a"], batch["b"]) + out["c"].mean()',
  '',
  'def three_class_weighted(logits, target):',
  '    return F.cross_entropy(logits, target.long(), weight=torch.ones(3))',
  '',
].join('\n');

let reports: NumericReport[] = [];
let keras: NumericReport[] = [];
let refused: NumericReport[] = [];
const report = (rs: NumericReport[], name: string) => rs.find((r) => r.function === name)!;

beforeAll(async () => {
  loadEngine();
  reports = await checkDocumentNumerically(SRC, opts);
  keras = await checkDocumentNumerically(KERAS, opts);
  refused = await checkDocumentNumerically(REFUSED, opts);
}, 300_000);

afterAll(() => disposeNumericWorker());

describe('the plan reads the structure of the inputs from the code', () => {
  it('a parameter read only at string keys is a mapping; its keys say the roles', () => {
    const mod = moduleOf(SRC);
    expect(mappingKeys(fn(mod, 'KeyedCrossEntropy.forward'), 'batch')).toEqual(['labels']);
    expect(mappingKeys(fn(mod, 'KeyedWeightedBCE.forward'), 'targets')).toEqual(['labels', 'mask']);
    // Read as a tensor too: no mapping.
    expect(mappingKeys(fn(mod, 'per_sample_focal'), 'logits')).toBeUndefined();
    const plans = planModule(mod);
    const plan = (q: string) => plans.find((p) => p.qualname === q)!;
    expect(plan('KeyedCrossEntropy.forward')).toMatchObject({ input: 'net_out', target: 'batch', mapped: { net_out: { logits: 'tensor' }, batch: { labels: 'tensor' } } });
    expect(plan('KeyedWeightedBCE.forward').mapped).toEqual({ preds: { logits: 'tensor' }, targets: { labels: 'tensor', mask: 'ones' } });
    // A mapping only on one side.
    expect(plan('KeyedFocal.forward').mapped).toEqual({ outputs: { scores: 'tensor' } });
  });

  it('a target split as t[..., :-1] and t[..., -1] carries a trailing column, probed with float targets first', () => {
    const mod = moduleOf(SRC);
    expect(slicesTrailingColumn(fn(mod, 'anchor_state_bce'), 'target')).toBe(true);
    expect(slicesTrailingColumn(fn(mod, 'anchor_state_bce'), 'logits')).toBe(false);
    const p = planModule(mod).find((x) => x.qualname === 'anchor_state_bce')!;
    expect(p.stateColumn).toBe(true);
    expect(p.encodings.at(-1)).toBe('index');
  });

  it('alpha tables and class weights: required ones filled per class, optional ones kept for the fallback', () => {
    const plans = planModule(moduleOf(SRC));
    const plan = (q: string) => plans.find((p) => p.qualname === q)!;
    expect(plan('RequiredTableFocal.forward').fill).toEqual({ alpha: { value: { ones: 'classes' }, why: 'a table indexed by the targets (`alpha[target]`): one weight of 1 per class' } });
    // The probes set no alpha of their own on a table.
    expect(plan('RequiredTableFocal.forward').alpha?.values).toEqual([null]);
    expect(plan('OptionalTableFocal.forward').optionalTables).toEqual(['alpha']);
    expect(plan('ClassWeightedFocal.forward').optionalTables).toEqual(['weight']);
  });

  it('a mapping whose keys name no role, or hold what the probes cannot give, is refused and says why', () => {
    const skipped: PlanSkip[] = [];
    expect(planModule(moduleOf(REFUSED), undefined, undefined, skipped).map((p) => p.qualname)).toEqual(['three_class_weighted']);
    // Two required parameters: taken in order, and the target's keys name no target.
    expect(skipped).toEqual([{ qualname: 'PairLoss.forward', reason: 'the target `out` is a mapping read at "a", "c": none is its target by name' }]);
    const skipped2: PlanSkip[] = [];
    planModule(moduleOf(REFUSED.replace('out["a"]', 'out["logits"]').replace('batch["b"]', 'batch["labels"]')), undefined, undefined, skipped2);
    expect(skipped2).toEqual([{ qualname: 'PairLoss.forward', reason: 'the prediction `out` is a mapping also read at "c", which the probes have no value for' }]);
  });
});

describe('probed end to end', () => {
  it('probes every function of the fixture', () => {
    for (const r of reports) expect(r.notChecked, r.function).toBeUndefined();
    expect(reports.map((r) => r.function).sort()).toEqual(
      ['anchor_state_bce', 'BatchBalancedCE.forward', 'ClassWeightedFocal.forward', 'KeyedCrossEntropy.forward', 'KeyedFocal.forward', 'KeyedWeightedBCE.forward', 'multilabel_margin', 'MultiLabelMargin.forward', 'OptionalTableFocal.forward', 'per_sample_focal', 'RequiredTableFocal.forward', 'signed_ranking'].sort(),
    );
  });

  it('a mapping is named in the report', () => {
    expect(report(reports, 'KeyedWeightedBCE.forward').roles).toMatchObject({ input: 'preds', target: 'targets', mapped: { targets: { labels: 'tensor', mask: 'ones' } } });
  });

  it('a loop over the samples runs the probes at a count under the loop cap, the others at the option', () => {
    for (const q of ['per_sample_focal', 'signed_ranking']) {
      const ns = new Set(report(reports, q).probes.filter((p) => p.probe === 'typical').map((p) => p.samples));
      expect([...ns], q).toEqual([128]);
    }
    expect(report(reports, 'KeyedFocal.forward').probes.find((p) => p.probe === 'typical')!.samples).toBe(512);
  });

  it('class weights: one per class where the function needs them, its own count where it builds them', () => {
    expect(report(reports, 'OptionalTableFocal.forward').supplied).toEqual({ alpha: { value: 'class_ones', why: 'one weight of 1 per class (the function raises on its default None)' } });
    expect(report(reports, 'ClassWeightedFocal.forward').supplied).toEqual({ weight: { value: 'class_ones', why: 'one weight of 1 per class (the function raises on its default None)' } });
    expect(report(reports, 'BatchBalancedCE.forward').probes.find((p) => p.probe === 'typical')!.inputs.shape[1]).toBe(2);
    // Its own count in a weight table of a higher rank (`[[[w]]]`, [1, 1, 1, 3] for channels last).
    const nested = report(keras, 'nested_class_weights');
    expect(nested.notChecked).toBeUndefined();
    expect(nested.probes.find((p) => p.probe === 'typical')!.inputs.shape).toEqual([512, 3]);
  });

  it('multi-label soft margin loss: a sigmoid loss, its reference the cross-entropy (no LL305)', () => {
    for (const q of ['multilabel_margin', 'MultiLabelMargin.forward']) {
      expect(report(reports, q).formulation).toBe('sigmoid');
      expect(report(reports, q).findings.map((f) => f.code)).not.toContain('LL305');
    }
  });

  it('a trailing state column: 1 where the sample has a positive class, so background samples add no positives', () => {
    expect(report(reports, 'anchor_state_bce').roles).toMatchObject({ encoding: 'binary', stateColumn: true });
    const k = report(keras, 'anchor_focal._loss');
    expect(k.notChecked).toBeUndefined();
    expect(k.roles).toMatchObject({ input: 'y_pred', target: 'y_true', stateColumn: true });
    expect(k.probes.find((p) => p.probe === 'typical')!.inputs.layout).toBe('nlc');
  });

  it('stays refused where the code raises on the probes as torch would', () => {
    expect(report(refused, 'three_class_weighted').notChecked).toContain('weight tensor should be defined either for all 8 classes or no classes but got weight tensor of shape: [3]');
  });
});
