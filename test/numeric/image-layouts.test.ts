/**
 * Image layouts with a real height and width (probes.ts, types.ts `nhwc44` / `nhwc441`): an op that
 * a 1 x 1 image cannot pass (TensorFlow's Sobel edges pad by reflection) gets the probe's samples as
 * the pixels of 4 x 4 images, channels last (fixtures/tf_image_edges.py).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { planModule } from '../../server/src/numeric/roles';
import { moduleOf } from '../../server/src/numeric/runner';
import { layoutShape } from '../../server/src/numeric/types';
import { FIXTURES, fn, loadEngine, prober } from './helpers';

const SRC = fs.readFileSync(path.join(FIXTURES, 'tf_image_edges.py'), 'utf8');

beforeAll(async () => {
  await loadEngine().initBackend('wasm');
});

describe('4 x 4 image layouts', () => {
  it('lay N samples out as N/16 images of 4 x 4 pixels, and keep 1 x 1 images for a count that fills none', () => {
    expect(layoutShape('nhwc44', 64, 8, true)).toEqual([4, 4, 4, 8]);
    expect(layoutShape('nhwc44', 64, 8, false)).toEqual([4, 4, 4]);
    expect(layoutShape('nhwc441', 4096, 8, false)).toEqual([256, 4, 4, 1]);
    expect(layoutShape('nhwc441', 7, 8, true)).toEqual([7, 1, 1, 8]);
    expect(layoutShape('nhwc441', 7, 8, false)).toEqual([7, 1, 1, 1]);
  });

  it('probe a loss whose Sobel edges need a height and width, with edges the 1 x 1 images would not have', () => {
    const mod = moduleOf(SRC);
    const plans = planModule(mod);
    const r = prober(mod).check(fn(mod, 'edge_weighted_ce'), plans.find((p) => p.qualname === 'edge_weighted_ce')!);
    expect(r.notChecked).toBeUndefined();
    const typical = r.probes.find((p) => p.probe === 'typical')!;
    expect(typical.inputs.layout).toBe('nhwc441');
    // The plain twin needs no pixels: its rows stay rows.
    const t = prober(mod).check(fn(mod, 'plain_ce'), plans.find((p) => p.qualname === 'plain_ce')!);
    expect(t.probes.find((p) => p.probe === 'typical')!.inputs.layout).toBe('nc1');
    // The weights are 1 + the clipped edge magnitude: above the plain loss, below twice it.
    const plain = t.probes.find((p) => p.probe === 'typical' && p.inputs.seed === typical.inputs.seed)!.loss!;
    expect(typical.loss).toBeGreaterThan(plain * 1.05);
    expect(typical.loss).toBeLessThan(plain * 2);
  });
});
