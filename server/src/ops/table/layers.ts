/**
 * Model facts: layers and models as values. An affine layer (`nn.Linear`, a convolution, a Keras
 * `Dense` without activation) outputs logits; a layer with an activation, probabilities; a
 * `Sequential` model outputs what its last layer does to what the layers before it give; a Keras
 * functional `Model(inputs, outputs)` outputs its `outputs`. `model.compile(loss=...)` pairs a model
 * with its loss (LL201 reads the pair). The concrete interpreter has no weights: none of these lower.
 */
import { mk, unknown, UNIT, type AbsValue } from '../../core/lattice';
import { defineOp, type AbsCtx } from '../api';

/** An activation given to a Keras layer: a name (`"softmax"`) or a function (`tf.nn.softmax`). */
function activationOf(v: AbsValue | undefined): 'softmax' | 'sigmoid' | 'log_softmax' | 'linear' | 'other' {
  if (!v || v.m === 'none') return 'linear';
  if (v.m === 'string') {
    const s = (v.str ?? '').toLowerCase();
    if (s === 'softmax' || s === 'sigmoid' || s === 'log_softmax') return s;
    if (s === 'linear' || s === '') return 'linear';
    return 'other';
  }
  if (v.opRef === 'softmax' || v.opRef === 'sigmoid' || v.opRef === 'log_softmax') return v.opRef;
  return 'other';
}

function activated(act: ReturnType<typeof activationOf>, c: AbsCtx): AbsValue {
  if (act === 'linear') return mk('logits', { src: c.span });
  if (act === 'softmax' || act === 'sigmoid') return mk('prob', { act, range: UNIT, src: c.span });
  if (act === 'log_softmax') return mk('logprob', { act: 'softmax', range: { lo: -Infinity, hi: 0 }, src: c.span });
  return unknown(c.span);
}

export const affine = defineOp({
  id: 'affine',
  summary: 'An affine layer (linear, convolution): its outputs are logits (or an activation\'s output, for a Keras layer given one).',
  spell: ['torch.nn.functional.linear(input, weight, bias=None)', 'torch.nn.functional.conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)'],
  modules: [
    'torch.nn.Linear(in_features, out_features, bias=True, device=None, dtype=None)(input)',
    'torch.nn.LazyLinear(out_features, bias=True, device=None, dtype=None)(input)',
    'torch.nn.Bilinear(in1_features, in2_features, out_features, bias=True, device=None, dtype=None)(input1->input, input2)',
    'torch.nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode="zeros", device=None, dtype=None)(input)',
    'torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode="zeros", device=None, dtype=None)(input)',
    'torch.nn.Conv3d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode="zeros", device=None, dtype=None)(input)',
    'keras.layers.Dense(units, activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None)(inputs->input)',
    'keras.layers.Conv2D(filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1, activation=None, use_bias=True)(inputs->input)',
    'keras.layers.Conv1D(filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1, activation=None, use_bias=True)(inputs->input)',
  ],
  abstract: (c) => activated(activationOf(c.arg('activation')), c),
});

export const activationLayer = defineOp({
  id: 'activation_layer',
  summary: 'A Keras `Activation` layer: its activation applied to the inputs.',
  spell: [],
  modules: ['keras.layers.Activation(activation)(inputs->input)'],
  abstract(c) {
    const act = activationOf(c.arg('activation'));
    return act === 'linear' ? (c.arg('input') ?? unknown(c.span)) : activated(act, c);
  },
});

export const sequential = defineOp({
  id: 'sequential',
  summary: 'A sequential model: its layers applied in order (its output is what its last layers make of the input).',
  spell: [],
  modules: ['torch.nn.Sequential(*args->layers)(input)', 'keras.Sequential(layers=None, trainable=True, name=None)(inputs->input, training=None, mask=None)'],
  abstract(c) {
    const layers = c.arg('layers');
    let items = layers?.m === 'tuple' ? (layers.items ?? []) : [];
    // nn.Sequential(*layers) gives a tuple of layers; keras.Sequential([...]) a list in a one-item tuple.
    if (items.length === 1 && items[0].m === 'tuple') items = items[0].items ?? [];
    let v = c.arg('input') ?? unknown(c.span);
    for (const layer of items) v = layer.m === 'module' && layer.module ? c.L.applyModule(layer, { input: v }, c.span) : unknown(c.span);
    return v;
  },
});

export const kerasModel = defineOp({
  id: 'keras_model',
  summary: 'A Keras functional model: calling it gives its `outputs`.',
  spell: [],
  modules: ['keras.Model(inputs=None, outputs=None, name=None)(x->input, training=None, mask=None)'],
  abstract: (c) => c.arg('outputs') ?? unknown(c.span),
});

export const kerasCompile = defineOp({
  id: 'keras_compile',
  summary: "`model.compile(loss=...)`: a model and the loss it trains with (its value holds the model's output).",
  spell: ['Model.compile(optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True)'],
  abstract(c) {
    const model = c.arg('input');
    if (model?.m !== 'module' || !model.module || (model.module.spell.op.id !== 'sequential' && model.module.spell.op.id !== 'keras_model')) return unknown(c.span);
    return mk('unknown', { modelOutput: c.L.applyModule(model, { input: unknown(c.span) }, c.span), src: c.span });
  },
});

export const LAYERS = [affine, activationLayer, sequential, kerasModel, kerasCompile];
