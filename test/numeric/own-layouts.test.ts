/**
 * Probe shapes the function's own code fixes, end to end (worker, setup, report): the feature width
 * of a matrix the function multiplies the prediction with (`torch.mm(emb, self.protos.t())`, protos
 * of `dim` columns) is the probe's width. The torch agreement of these fixtures is repro.test.ts's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDocumentNumerically, disposeNumericWorker } from '../../server/src/numeric/runner';
import type { NumericReport } from '../../server/src/numeric/types';
import { loadEngine, WORKER } from './helpers';

const opts = { backend: 'wasm' as const, workerPath: WORKER, samples: 256, timeBudgetMs: 120_000 };
const read = (f: string): string => fs.readFileSync(path.join(__dirname, 'fixtures', f), 'utf8');
let width: NumericReport[] = [];
const report = (rs: NumericReport[], name: string) => rs.find((r) => r.function === name)!;

beforeAll(async () => {
  loadEngine();
  width = await checkDocumentNumerically(read('own_feature_width.py'), opts);
}, 240_000);

afterAll(() => disposeNumericWorker());

describe("the prediction's width from the function's own matrices", () => {
  it('a product with prototypes of `dim` columns: the probe gives `dim` features', () => {
    const r = report(width, 'PrototypeDistanceLoss.forward');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes[0].inputs.shape[1]).toBe(3);
  });
});
