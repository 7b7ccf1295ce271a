/**
 * Refusals said from the function's own code (numeric/raise-reasons.ts, numeric/multi-task.ts;
 * fixtures/raise_reasons.py): the assert that failed on the probe inputs; a None default used before
 * the function's own None test (a bug in the code); class indices two uses want at two ranks (a bug
 * in the code); a regression pair (box offsets) beside the class scores, as four parameters or packed
 * two by two (the probes generate no regression targets). End to end through the worker.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';
import { checkDocumentNumerically, disposeNumericWorker, moduleOf } from '../../server/src/numeric/runner';
import type { NumericReport } from '../../server/src/numeric/types';
import { coverageReason } from '../../server/src/cli/probe';
import { loadEngine, WORKER } from './helpers';

const SRC = fs.readFileSync(path.join(__dirname, 'fixtures', 'raise_reasons.py'), 'utf8');
const opts = { backend: 'wasm' as const, workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 };
let reports: NumericReport[] = [];
const report = (name: string) => reports.find((r) => r.function === name)!;

beforeAll(async () => {
  loadEngine();
  reports = await checkDocumentNumerically(SRC, opts);
}, 240_000);

afterAll(() => disposeNumericWorker());

describe('a raise said from the code', () => {
  it('a None default used before its own None test: a bug in the code, the lines named', () => {
    expect(report('table_weighted_bce').notChecked).toBe("not checked: `weight` defaults to None and the function uses it before its own test `weight is not None` (line 10): 'NoneType' object is not subscriptable (line 9); every call at that default raises TypeError (a bug in the code)");
    expect(report('guarded_weighted_bce').notChecked).toBeUndefined();
  });

  it('the failing assert is shown, in the coverage reason too', () => {
    const r = report('SameShapeFocal.forward');
    expect(r.notChecked).toContain('an assert fails on the probe inputs: `assert log_p.shape == labels.shape` (line 29)');
    expect(coverageReason(r.notChecked!)).toBe('an assert fails on the probe inputs: `assert log_p.shape == labels.shape`');
  });

  it('class indices cross_entropy takes as [N] and gather(1, t) as [N, 1]: both ranks tried, a bug in the code', () => {
    const r = report('gathered_and_ce');
    expect(r.notChecked).toMatch(/^not checked: the class indices `labels` are wanted at two ranks at once: \[N\] raise Index tensor must have the same number of dimensions as input tensor \(line 37\), \[N, 1\] raise .*cross_entropy.* \(line 36\): no input fits both of its uses \(a bug in the code\)$/);
  });
});

describe('a regression pair beside the class scores', () => {
  const skipped: PlanSkip[] = [];
  planModule(moduleOf(SRC), undefined, undefined, skipped);
  const why = new Map(skipped.map((s) => [s.qualname, s.reason]));

  it('four parameters: the pair a regression loss reads named, the probes generate no regression targets', () => {
    expect(why.get('OffsetsAndScoresLoss.forward')).toBe("a multi-task loss: `off_pred` and `off_true` are a regression pair (`smooth_l1_loss`) beside `score_pred`, `score_true`: the probes give one prediction and its targets, and generate no regression targets (a detection loss's box offsets)");
  });

  it('packed two by two (`outputs`, `*truths`), the pair read in a method it is passed to', () => {
    expect(why.get('PackedDetectionLoss.forward')).toBe("a multi-task loss: `off_pred` and `off_true` are a regression pair (`l1_loss`) beside `score_pred`, `score_true` (`off_pred, score_pred = outputs`; `off_true, score_true = truths`): the probes give one prediction and its targets, and generate no regression targets (a detection loss's box offsets)");
  });
});
