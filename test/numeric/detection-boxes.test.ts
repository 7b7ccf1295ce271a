/**
 * Detection losses whose inputs hold boxes (issue 16): the layout the uses give a box parameter
 * (entry-inputs.ts `boxUse`), which parameter is the class scores (`reachesCreatingOp`), the planner's
 * detection plan (roles.ts `CheckPlan.boxes`: boxes in `fill`, no target parameter), the generated
 * boxes (gen.ts `generateBoxes`: valid corners, padding rows, classes in range, seeded), and the probes
 * end to end on test/numeric/fixtures/detection_boxes.py: the guarded twin is finite, the unguarded
 * one (log of a saturated sigmoid) is not. The torch agreement of that fixture is repro.test.ts's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionIR, ModuleIR } from '../../server/src/core/ir-types';
import { boxUse, holdsBoxes, reachesCreatingOp } from '../../server/src/numeric/entry-inputs';
import { BOX_IMAGE, BOX_PADDING, BOX_TRUTH, boxShape, generateBoxes, type BoxFill, type DrawnBox } from '../../server/src/numeric/gen';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';
import { checkDocumentNumerically, disposeNumericWorker, moduleOf } from '../../server/src/numeric/runner';
import type { NumericReport } from '../../server/src/numeric/types';
import { curveRequest } from '../../server/src/numeric/curve';
import { loadEngine, WORKER } from './helpers';

const FIXTURE = fs.readFileSync(path.join(__dirname, 'fixtures', 'detection_boxes.py'), 'utf8');
const fnOf = (mod: ModuleIR, q: string): FunctionIR => mod.functions.find((f) => f.qualname === q)!;

function plan(src: string): { plans: ReturnType<typeof planModule>; skipped: PlanSkip[] } {
  const skipped: PlanSkip[] = [];
  const plans = planModule(moduleOf(src), undefined, undefined, skipped);
  return { plans, skipped };
}

describe('what the uses of a box parameter say of its layout', () => {
  const mod = moduleOf(FIXTURE);
  const guarded = fnOf(mod, 'GuardedRetinaLoss.forward');
  it('anchors read `anchors[0, :, :]` then at columns 0-3: rank 3, 4 columns, no padding', () => {
    expect(holdsBoxes('anchors', guarded, mod)).toBe(true);
    expect(boxUse('anchors', guarded, mod)).toEqual({ columns: 4, padding: false, rank: 3 });
  });
  it('ground truth read at column 4 and filtered on `!= -1`: 5 columns, padded', () => {
    expect(boxUse('gt_boxes', guarded, mod)).toEqual({ columns: 5, padding: true, rank: 3 });
  });
  it('without a batch axis (`anchors[:, 2]`, `targets[:, :4]`): rank 2', () => {
    const flat = fnOf(mod, 'flat_detection_loss');
    expect(boxUse('anchors', flat, mod)).toEqual({ columns: 4, padding: false, rank: 2 });
    expect(boxUse('targets', flat, mod)).toEqual({ columns: 5, padding: false, rank: 2 });
  });
  it('a column compared with another number than -1 is no padding', () => {
    const src = 'import torch\n\ndef f(scores, boxes):\n    keep = boxes[boxes[:, 4] > 0]\n    return (keep[:, 2] - keep[:, 0]).sum() * scores.log().sum()\n';
    const m = moduleOf(src);
    expect(boxUse('boxes', fnOf(m, 'f'), m)).toEqual({ columns: 5, padding: false, rank: 2 });
  });
});

describe('the class scores among the other parameters: their values reach a creating op', () => {
  const mod = moduleOf(FIXTURE);
  const guarded = fnOf(mod, 'GuardedRetinaLoss.forward');
  it('the scores are clamped and logged; the offsets are only subtracted and averaged', () => {
    expect(reachesCreatingOp('cls_scores', guarded)).toBe(true);
    expect(reachesCreatingOp('box_deltas', guarded)).toBe(false);
  });
});

describe('the detection plan', () => {
  const { plans, skipped } = plan(FIXTURE);
  const byName = new Map(plans.map((p) => [p.qualname, p]));
  it('gives boxes to the box parameters, offsets to the one read as the scores are, and no target', () => {
    const p = byName.get('GuardedRetinaLoss.forward')!;
    expect(p.boxes).toBe(true);
    expect(p.input).toBe('cls_scores');
    expect(p.target).toBeUndefined();
    expect(p.fill?.anchors.value).toEqual({ boxes: 'rows', columns: 4, padding: false, rank: 3 });
    expect(p.fill?.gt_boxes.value).toEqual({ boxes: 'truth', columns: 5, padding: true, rank: 3 });
    expect(p.fill?.box_deltas.value).toEqual({ offsets: 4 });
    // Generated values are assumed: no canonical comparison.
    expect(Object.values(p.fill ?? {}).every((f) => f.assumed)).toBe(true);
    expect(p.fill?.gt_boxes.why).toMatch(/generated/);
  });
  it('a flat loss (anchors [A, 4], ground truth [M, 5]) is planned too', () => {
    const p = byName.get('flat_detection_loss')!;
    expect(p.input).toBe('logits');
    expect(Object.keys(p.fill ?? {}).sort()).toEqual(['anchors', 'targets']);
  });
  it('keeps the refusal where no use says which parameter is the prediction', () => {
    expect(skipped.find((s) => s.qualname === 'opaque_boxes_loss')?.reason).toMatch(/^a detection loss: `anchors` holds boxes/);
  });
  it('is no detection plan where another parameter is a target (class labels beside the boxes): the usual roles stand', () => {
    const src = 'import torch\nimport torch.nn.functional as F\n\ndef det_loss(logits, labels, anchors):\n    w = anchors[:, 2] - anchors[:, 0]\n    return F.cross_entropy(logits[0, :, :], labels[0, :]) * w.mean()\n';
    const r = plan(src);
    const p = r.plans.find((q) => q.qualname === 'det_loss');
    expect(p?.boxes).toBeUndefined();
    // The usual roles: `anchors`, read at constant columns, is no per-class vector; nothing gives it a
    // value, and the refusal says it holds boxes.
    expect(r.skipped.find((q) => q.qualname === 'det_loss')?.reason).toMatch(/^a detection loss: `anchors` holds boxes/);
  });
});

describe('generated boxes', () => {
  const specs: [string, BoxFill][] = [
    ['deltas', { offsets: 4 }],
    ['anchors', { boxes: 'rows', columns: 4, padding: false }],
    ['gt', { boxes: 'truth', columns: 6, padding: true }],
  ];
  const all = generateBoxes(3, 64, 5, specs).values;
  const g = { get: (k: string) => all.get(k) as Extract<DrawnBox, { data: Float32Array }> | undefined };
  it('corners in the image with x1 < x2 and y1 < y2', () => {
    for (const name of ['anchors', 'gt']) {
      const { data, columns } = g.get(name)!;
      for (let i = 0; i < BOX_TRUTH; i++) {
        const [x1, y1, x2, y2] = data.subarray(i * columns, i * columns + 4);
        expect(x1).toBeGreaterThanOrEqual(0);
        expect(y1).toBeGreaterThanOrEqual(0);
        expect(x2).toBeLessThanOrEqual(BOX_IMAGE);
        expect(y2).toBeLessThanOrEqual(BOX_IMAGE);
        expect(x2).toBeGreaterThan(x1);
        expect(y2).toBeGreaterThan(y1);
      }
    }
    const a = g.get('anchors')!;
    expect(a.rows).toBe(64);
    for (let i = 0; i < 64; i++) expect(a.data[i * 4 + 2]).toBeGreaterThan(a.data[i * 4]);
  });
  it('ground truth: a class in [0, C), further columns 1, then padding rows of -1', () => {
    const { data, rows, columns } = g.get('gt')!;
    expect(rows).toBe(BOX_TRUTH + BOX_PADDING);
    for (let i = 0; i < BOX_TRUTH; i++) {
      const c = data[i * columns + 4];
      expect(Number.isInteger(c) && c >= 0 && c < 5).toBe(true);
      expect(data[i * columns + 5]).toBe(1);
    }
    for (let i = BOX_TRUTH; i < rows; i++) expect([...data.subarray(i * columns, (i + 1) * columns)]).toEqual(Array(columns).fill(-1));
  });
  it('the same seed draws the same values; another seed others', () => {
    expect((generateBoxes(3, 64, 5, specs).values.get('anchors') as { data: Float32Array }).data).toEqual(g.get('anchors')!.data);
    expect((generateBoxes(4, 64, 5, specs).values.get('anchors') as { data: Float32Array }).data).not.toEqual(g.get('anchors')!.data);
  });
  it('shapes: offsets as the prediction with 4 columns, boxes under leading axes of 1 up to their rank', () => {
    expect(boxShape({ offsets: 4 }, 64, 4, '1nc', 64, 5)).toEqual([1, 64, 4]);
    expect(boxShape({ boxes: 'rows', columns: 4, padding: false, rank: 3 }, 64, 4, undefined, 64, 5)).toEqual([1, 64, 4]);
    expect(boxShape({ boxes: 'truth', columns: 5, padding: true }, 6, 5, '1nc', 64, 5)).toEqual([1, 6, 5]);
    expect(boxShape({ boxes: 'truth', columns: 5, padding: true }, 6, 5, undefined, 64, 5)).toEqual([6, 5]);
  });
});

describe('probes of a detection loss, end to end', () => {
  let reports: NumericReport[] = [];
  const opts = { backend: 'wasm' as const, workerPath: WORKER, samples: 128, timeBudgetMs: 120_000 };
  beforeAll(async () => {
    await loadEngine();
    reports = await checkDocumentNumerically(moduleOf(FIXTURE), { ...opts, text: FIXTURE });
  }, 180_000);
  afterAll(() => disposeNumericWorker());
  const get = (q: string): NumericReport => reports.find((r) => r.function === q)!;
  it('the guarded twin runs on one image of N anchors, sigmoid scores, finite everywhere, and says what it generated', () => {
    const r = get('GuardedRetinaLoss.forward');
    expect(r.notChecked).toBeUndefined();
    expect(r.roles).toMatchObject({ input: 'cls_scores', boxes: true });
    expect(r.formulation).toBe('sigmoid');
    expect(r.probes[0].inputs.layout).toBe('1nc');
    expect(r.supplied?.gt_boxes.value).toBe('boxes {"boxes":"truth","columns":5,"padding":true,"rank":3}');
    expect(r.probes.every((p) => p.ok)).toBe(true);
    expect(r.findings).toEqual([]);
    // No probe that changes the targets or compares with the canonical formula.
    expect(r.probes.map((p) => p.probe).filter((n) => !['typical', 'confident', 'gamma-sweep'].includes(n))).toEqual([]);
    // No loss curve at the target's pt: the function takes no target.
    expect(curveRequest(r, 'wasm')).toBeUndefined();
  });
  it('the unguarded twin: the log of a saturated sigmoid is not finite', () => {
    const r = get('UnguardedRetinaLoss.forward');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes.some((p) => !p.ok)).toBe(true);
    expect(r.findings.map((f) => f.code)).toContain('LL301');
  });
  it('the flat loss runs on N rows', () => {
    const r = get('flat_detection_loss');
    expect(r.notChecked).toBeUndefined();
    expect(r.probes[0].inputs.layout).toBeUndefined();
  });
});

describe('a number a helper of boxes takes as a bound is no prediction', () => {
  it('`clamp(min=floor)` reads `floor` as a bound, not as the clamp input: the IoU helper is no detection plan', () => {
    const mod = moduleOf(FIXTURE);
    expect(reachesCreatingOp('floor', fnOf(mod, 'pairwise_overlap'))).toBe(false);
    expect(plan(FIXTURE).plans.find((p) => p.qualname === 'pairwise_overlap')).toBeUndefined();
  });
});
