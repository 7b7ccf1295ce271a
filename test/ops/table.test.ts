/**
 * The op table (server/src/ops/): spellings parse and bind as each framework binds its arguments,
 * every op reaches both interpreters, and the loss facts the rules read are consistent.
 */
import { describe, expect, it } from 'vitest';
import { allOps, allSpellings, bindCall, bindModuleCall, canonicalName, isNoArgumentMethod, resolveMethod, resolveQualified } from '../../server/src/ops';
import { parseSpelling, pyLiteral } from '../../server/src/ops/signature';

const tuple = (items: string[]): string => `(${items.join(', ')})`;

function bind(name: string, args: string[], kwargs: Record<string, string> = {}, receiver?: string): Record<string, string> {
  const s = name.startsWith('Tensor.') ? resolveMethod(name.slice(7)) : resolveQualified(name);
  if (!s) throw new Error(`no spelling ${name}`);
  return bindCall(s, args, kwargs, tuple, receiver);
}

describe('spellings', () => {
  it('parse renames, keyword-only markers, varargs, aliases and module call signatures', () => {
    const p = parseSpelling('tensorflow.reduce_sum(input_tensor->input, axis->dim=None, keepdims->keepdim=False, name=None)');
    expect(p.kind).toBe('function');
    expect(p.sig.params.map((x) => [x.name, x.canon, x.default])).toEqual([
      ['input_tensor', 'input', undefined],
      ['axis', 'dim', null],
      ['keepdims', 'keepdim', false],
      ['name', 'name', null],
    ]);
    const m = parseSpelling('torch.nn.CrossEntropyLoss(weight=None, ignore_index=-100, reduction="mean")(input, target)');
    expect(m.kind).toBe('module');
    expect(m.callSig!.params.map((x) => x.name)).toEqual(['input', 'target']);
    expect(m.sig.params.find((x) => x.name === 'reduction')!.default).toBe('mean');
    const v = parseSpelling('torch.zeros(*size->shape, out=None, dtype=None)');
    expect(v.sig.params[0]).toMatchObject({ name: 'size', canon: 'shape', kind: 'varargs' });
    expect(v.sig.params[1].kind).toBe('keyword');
    const w = parseSpelling('torch.where(condition, input|x, other|y)');
    expect(w.sig.params[1]).toMatchObject({ name: 'input', aliases: ['x'] });
    expect(parseSpelling('Tensor.sum(dim=None)').kind).toBe('method');
    expect(() => parseSpelling('torch.bad(x=)')).toThrow(/bad parameter/);
  });

  it('read Python literals as defaults', () => {
    expect(pyLiteral('1e-7')).toEqual({ value: 1e-7 });
    expect(pyLiteral('-100')).toEqual({ value: -100 });
    expect(pyLiteral('.25')).toEqual({ value: 0.25 });
    expect(pyLiteral("'mean'")).toEqual({ value: 'mean' });
    expect(pyLiteral('None')).toEqual({ value: null });
    expect(pyLiteral('torch.float32')).toBeUndefined();
  });

  it('bind positional and keyword arguments by each framework\'s own names', () => {
    expect(bind('tensorflow.reduce_sum', ['x'], { axis: '1', keepdims: 'True' })).toEqual({ input: 'x', dim: '1', keepdim: 'True' });
    expect(bind('keras.backend.clip', ['p', 'eps', '1 - eps'])).toEqual({ input: 'p', min: 'eps', max: '1 - eps' });
    expect(bind('jax.numpy.clip', ['p'], { a_min: 'eps' })).toEqual({ input: 'p', min: 'eps' });
    expect(bind('tensorflow.nn.sigmoid_cross_entropy_with_logits', [], { labels: 't', logits: 'x' })).toEqual({ target: 't', input: 'x' });
    expect(bind('keras.losses.binary_crossentropy', ['y', 'p'], { from_logits: 'True' })).toEqual({ target: 'y', input: 'p', from_logits: 'True' });
    // torch accepts numpy's `axis` for `dim`.
    expect(bind('torch.sum', ['x'], { axis: '1' })).toEqual({ input: 'x', dim: '1' });
    // Varargs: a method's sizes become one tuple; the receiver binds to `input`.
    expect(bind('Tensor.view', ['-1', 'C'], {}, 'x')).toEqual({ shape: '(-1, C)', input: 'x' });
    // An older keyword name still binds (torch 1.x `where(condition, x, y)`).
    expect(bind('torch.where', ['c'], { x: 'a', y: 'b' })).toEqual({ condition: 'c', input: 'a', other: 'b' });
    // Unknown keywords are kept under their own name.
    expect(bind('torch.sigmoid', ['x'], { out: 'o', bogus: '1' })).toEqual({ input: 'x', out: 'o', bogus: '1' });
  });

  it('bind a module instance call through the class\'s call signature', () => {
    const ce = resolveQualified('torch.nn.CrossEntropyLoss')!;
    expect(ce.kind).toBe('module');
    expect(ce.defaults.reduction).toBe('mean');
    expect(bindModuleCall(ce, ['x', 't'], {}, tuple)).toEqual({ input: 'x', target: 't' });
    const kbce = resolveQualified('tensorflow.keras.losses.BinaryCrossentropy')!;
    expect(bindModuleCall(kbce, ['y', 'p'], {}, tuple)).toEqual({ target: 'y', input: 'p' });
    expect(kbce.defaults.from_logits).toBe(false);
  });

  it('fold aliases: TF1, tf.math, tf.keras, keras.src, optax.losses, library submodules', () => {
    expect(canonicalName('tensorflow.compat.v1.math.log')).toBe('tensorflow.log');
    expect(canonicalName('tensorflow.keras.backend.epsilon')).toBe('keras.backend.epsilon');
    expect(resolveQualified('tensorflow.math.log')?.op.id).toBe('log');
    expect(resolveQualified('tensorflow.compat.v1.to_float')?.op.id).toBe('cast');
    // tf.constant is defined in tensorflow/python/framework/constant_op.py (`from tensorflow.python.framework import constant_op`).
    expect(resolveQualified('tensorflow.python.framework.constant_op.constant')?.op.id).toBe('tensor');
    expect(resolveQualified('tensorflow.python.ops.clip_ops.clip_by_value')?.op.id).toBe(resolveQualified('tensorflow.clip_by_value')?.op.id);
    expect(resolveQualified('tensorflow.keras.losses.CategoricalCrossentropy')?.op.id).toBe('keras_categorical_crossentropy');
    expect(resolveQualified('optax.losses.sigmoid_focal_loss')?.op.id).toBe('optax_sigmoid_focal_loss');
    expect(resolveQualified('torchvision.ops.focal_loss.sigmoid_focal_loss')?.op.id).toBe('torchvision_sigmoid_focal_loss');
    expect(resolveQualified('jax.scipy.special.logsumexp')?.op.id).toBe('logsumexp');
    // torch.functional re-exports torch.nn.functional as F (`from torch.functional import F`).
    expect(resolveQualified('torch.functional.F.binary_cross_entropy_with_logits')).toBe(resolveQualified('torch.nn.functional.binary_cross_entropy_with_logits'));
    expect(resolveQualified('torch.functional.norm')).toBeUndefined();
    // TF 2's tf.losses is tf.keras.losses; TF 1's losses keep their own spellings (tf.compat.v1.losses too).
    expect(resolveQualified('tensorflow.losses.binary_crossentropy')).toBe(resolveQualified('keras.losses.binary_crossentropy'));
    expect(resolveQualified('tensorflow.compat.v1.losses.sparse_softmax_cross_entropy')).toBe(resolveQualified('tensorflow.losses.sparse_softmax_cross_entropy'));
    expect(resolveQualified('tensorflow.losses.sparse_softmax_cross_entropy')?.name).toMatch(/^tensorflow\.losses\./);
    expect(resolveQualified('os.path.join')).toBeUndefined();
  });

  it('a method is a no-argument method exactly when its spelling takes no argument', () => {
    expect(isNoArgumentMethod('log')).toBe(true);
    expect(isNoArgumentMethod('sigmoid')).toBe(true);
    expect(isNoArgumentMethod('float')).toBe(false); // float(memory_format=None)
    expect(isNoArgumentMethod('sum')).toBe(false);
    expect(isNoArgumentMethod('not_an_op')).toBe(false);
  });
});

describe('the table', () => {
  it('declares each op and each spelling once, every op with an abstract meaning', () => {
    const ids = allOps().map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const op of allOps()) expect(op.abstract, `${op.id} has no abstract meaning`).toBeTypeOf('function');
    const names = allSpellings().map((s) => `${s.kind === 'method' ? 'm' : 'q'}:${s.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives every loss a prediction and a target to read, and what each must hold', () => {
    for (const op of allOps()) {
      if (!op.loss) continue;
      const spells = allSpellings().filter((s) => s.op === op);
      expect(spells.length, op.id).toBeGreaterThan(0);
      for (const s of spells) {
        const params = [...(s.callSig ?? s.sig).params].map((p) => p.canon);
        expect(params, `${s.name} binds input and target`).toEqual(expect.arrayContaining(['input', 'target']));
      }
      expect(op.expects?.input ?? op.expects?.target, `${op.id} says what its arguments hold`).toBeDefined();
    }
  });
});
