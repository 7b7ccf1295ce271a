/**
 * What a function does with a parameter (numeric/param-uses.ts), read from the IR.
 */
import { describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { ParamUses, thresholdUse } from '../../server/src/numeric/param-uses';

describe('reads of a parameter', () => {
  it('a keyword argument named `targets=` is a read; only an assignment target is a store', () => {
    const mod = moduleOf(
      `import tensorflow as tf
def weighted(pos_weight=2.0):
    def loss(y_true, y_pred):
        out = y_pred
        w = pos_weight
        return tf.nn.weighted_cross_entropy_with_logits(targets=y_true, logits=out, pos_weight=w)
    return loss
`,
    );
    const g = mod.functions.find((f) => f.name === 'weighted')!;
    const inner = mod.functions.find((f) => f.name === 'loss')!;
    expect(inner).toBeDefined();
    const uses = new ParamUses('y_true', inner, mod);
    expect(uses.reads.length).toBe(1);
    const outer = new ParamUses('pos_weight', g, mod);
    // `w = pos_weight` binds a local; the local's read as `pos_weight=` is the use.
    expect(outer.bindings.length).toBe(1);
    expect(outer.reads.length).toBe(1);
  });
});

describe('a threshold read beside a `targets=` keyword', () => {
  it('is still a threshold (a call keyword record is no assignment)', () => {
    const mod = moduleOf(
      `import tensorflow as tf
def thresholded(y_true, y_pred, cut):
    hard = tf.cast(y_pred > cut, tf.float32)
    return tf.nn.weighted_cross_entropy_with_logits(targets=y_true, logits=y_pred * hard, pos_weight=2.0)
`,
    );
    const g = mod.functions.find((f) => f.name === 'thresholded')!;
    expect(thresholdUse('cut', g, mod)).toBe(true);
    expect(new ParamUses('y_true', g, mod).reads.length).toBe(1);
  });
});
