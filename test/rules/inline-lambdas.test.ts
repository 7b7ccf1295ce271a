/**
 * Inline lambdas (ir.ts `inline`: a callback argument, a test table's `reference_fn=lambda ...`) are
 * interpreted for what they return, not checked; one with the signature Keras calls a loss with,
 * `(y_true, y_pred)`, is a loss (`compile(loss=lambda y_true, y_pred: ...)`) and is checked.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../server/src/analysis/analyze';
import { ParsedDocument } from '../../server/src/core/document';
import { DEFAULT_SETTINGS } from '../../server/src/core/types';

const source = (params: string, y: string, p: string) => `import tensorflow as tf
net = tf.keras.Sequential([tf.keras.layers.Dense(1, activation="sigmoid")])
net.compile(optimizer="sgd", loss=lambda ${params}: tf.keras.losses.binary_focal_crossentropy(${y}, ${p}, alpha=0.8))
`;
const codes = (text: string) => analyze(ParsedDocument.parse(text), DEFAULT_SETTINGS).map((f) => f.code);

describe('inline lambdas', () => {
  it('one with the Keras loss signature (y_true, y_pred) is checked like any loss', () => {
    expect(codes(source('y_true, y_pred', 'y_true', 'y_pred'))).toEqual(['LL108']);
  });

  it('one with other parameters is a callback: interpreted, not checked', () => {
    expect(codes(source('t, p', 't', 'p'))).toEqual([]);
  });

  it('a lambda bound to a name is a function, checked whatever its parameters', () => {
    const named = `import tensorflow as tf
focal = lambda t, p: tf.keras.losses.binary_focal_crossentropy(t, p, alpha=0.8)
`;
    expect(codes(named)).toEqual(['LL108']);
  });
});
