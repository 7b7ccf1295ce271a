/**
 * Image filters of the frameworks, lowered to gathers and sums (differentiable as TensorFlow's
 * convolutions are). `tf.image.sobel_edges` as TensorFlow documents and computes it: per channel, the
 * 3 x 3 Sobel filters dy = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]] and dx = its transpose, over the
 * image padded by one pixel with REFLECT padding (the edge pixel not repeated), stacked on a new last
 * axis as [dy, dx]: [batch, h, w, d] -> [batch, h, w, d, 2]. REFLECT padding needs h and w of at
 * least 2 (TensorFlow raises for a narrower image).
 */
import { mk, unknown } from '../../core/lattice';
import { defineOp, type CTensor, type CVal, type LowerCtx } from '../api';
import { dtypeClass, withDtype } from './shape';

/** The Sobel filters, by (row, column) offset: dy then dx. */
const SOBEL: readonly (readonly (readonly number[])[])[] = [
  [
    [-1, -2, -1],
    [0, 0, 0],
    [1, 2, 1],
  ],
  [
    [-1, 0, 1],
    [-2, 0, 2],
    [-1, 0, 1],
  ],
];

/** Row r + d of an axis of n, reflected at both ends (REFLECT: -1 -> 1, n -> n - 2). */
function reflected(n: number, d: number): number[] {
  return Array.from({ length: n }, (_, r) => {
    const i = r + d;
    return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
  });
}

export const sobelEdges = defineOp({
  id: 'sobel_edges',
  summary: 'Sobel edge maps per channel of an image batch, [dy, dx] on a new last axis (REFLECT padding).',
  spell: ['tensorflow.image.sobel_edges(image->input)'],
  inputRank: 4,
  abstract: (c) => mk('unknown', { dtype: 'float', src: c.span }),
  lower(c) {
    const x = c.float('input');
    if (x.x.shape.length !== 4) c.error(`${c.name}: the image must be [batch, height, width, channels], got rank ${x.x.shape.length}`);
    const [, h, w] = x.x.shape;
    if (h < 2 || w < 2) c.error(`${c.name}: REFLECT padding of 1 needs a height and width of at least 2, got ${h} x ${w} (TensorFlow's MirrorPad: paddings must be less than the dimension size)`);
    const maps: CVal[] = SOBEL.map((k) => {
      let acc: CVal | undefined;
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          if (k[i][j] === 0) continue;
          const rows = c.k.take(x.x, c.k.fromData(reflected(h, i - 1), [h], 'int'), 1);
          const win = c.k.take(rows, c.k.fromData(reflected(w, j - 1), [w], 'int'), 2);
          const term = c.binop('*', c.out(win), { t: 'num', v: k[i][j], int: true });
          acc = acc ? c.binop('+', acc, term) : term;
        }
      }
      return acc!;
    });
    return c.out(c.k.stack(maps.map((m) => c.toTensor(m).x), 4));
  },
});

/**
 * A window size or stride of a 2-D pooling (an int, or a list of 1, 2 or 4 ints, the 4 in the data
 * format's order with 1 on the batch and channel axes) as [h, w]; undefined for anything else.
 */
function windowHW(v: CVal | undefined, fallback: [number, number], channelsFirst: boolean): [number, number] | undefined {
  if (!v || v.t === 'none') return fallback;
  if (v.t === 'num' && Number.isInteger(v.v)) return [v.v, v.v];
  if (v.t !== 'list' || v.items.some((i) => i.t !== 'num' || !Number.isInteger(i.v))) return undefined;
  const ns = v.items.map((i) => (i as { v: number }).v);
  if (ns.length === 1) return [ns[0], ns[0]];
  if (ns.length === 2) return [ns[0], ns[1]];
  if (ns.length === 4 && ns[0] === 1 && ns[channelsFirst ? 1 : 3] === 1) return channelsFirst ? [ns[2], ns[3]] : [ns[1], ns[2]];
  return undefined;
}

/**
 * One axis of a pooling window: for each offset in the window whose position falls inside the axis
 * for some output, the input positions read (clamped) and which of them are inside. SAME pads
 * ceil-wise as TensorFlow does (out = ceil(n / s), pad before = floor(total / 2)); VALID reads only
 * whole windows (out = ceil((n - k + 1) / s); TensorFlow raises where k > n).
 */
function windowOffsets(c: LowerCtx, n: number, k: number, s: number, same: boolean): { out: number; offsets: { idx: number[]; inside: boolean[] }[]; counts: number[] } {
  if (k < 1 || s < 1) c.error(`${c.name}: window sizes and strides must be at least 1`);
  if (!same && k > n) c.error(`${c.name}: computed output size would be negative (window ${k} over ${n} with VALID padding)`);
  const out = same ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s);
  const before = same ? Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) : 0;
  const offsets: { idx: number[]; inside: boolean[] }[] = [];
  const counts = new Array<number>(out).fill(0);
  for (let d = 0; d < k; d++) {
    const pos = Array.from({ length: out }, (_, i) => i * s - before + d);
    const inside = pos.map((p) => p >= 0 && p < n);
    if (!inside.some(Boolean)) continue;
    inside.forEach((b, i) => (counts[i] += b ? 1 : 0));
    offsets.push({ idx: pos.map((p) => Math.min(Math.max(p, 0), n - 1)), inside });
  }
  return { out, offsets, counts };
}

/** A tensor of `values` along `axis` of a rank-`rank` tensor (size 1 elsewhere), to broadcast against it. */
function alongAxis(c: LowerCtx, values: number[], axis: number, rank: number): CVal {
  const shape = Array.from({ length: rank }, (_, i) => (i === axis ? values.length : 1));
  return c.out(c.k.fromData(values, shape, 'float'), 'float');
}

/** Pooling along one axis: the windows' maxima, or their sums (the counts of positions inside divide later). */
function poolAxis(c: LowerCtx, x: CTensor, axis: number, k: number, s: number, same: boolean, max: boolean): { y: CTensor; counts: number[] } {
  const n = x.x.shape[axis];
  const rank = x.x.shape.length;
  const { offsets, counts } = windowOffsets(c, n, k, s, same);
  let acc: CVal | undefined;
  for (const o of offsets) {
    const win = c.out(c.k.take(x.x, c.k.fromData(o.idx, [o.idx.length], 'int'), axis), 'float');
    const all = o.inside.every(Boolean);
    // Positions outside the input take no part: -inf for a maximum, 0 in a sum.
    const term = all ? win : max ? c.binop('+', win, alongAxis(c, o.inside.map((b) => (b ? 0 : -Infinity)), axis, rank)) : c.binop('*', win, alongAxis(c, o.inside.map((b) => (b ? 1 : 0)), axis, rank));
    acc = !acc ? term : max ? c.out(c.k.maximum(c.toTensor(acc).x, c.toTensor(term).x), 'float') : c.binop('+', acc, term);
  }
  return { y: c.toTensor(acc!), counts };
}

export const pool2d = defineOp({
  id: 'pool2d',
  summary: "2-D max or average pooling of an image batch (TensorFlow's: SAME pads without counting the padding in an average).",
  spell: [
    'keras.backend.pool2d(x->input, pool_size->ksize, strides=1, padding="valid", data_format=None, pool_mode="max")',
    'tensorflow.nn.max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None, *, __mode->pool_mode="max")',
    'tensorflow.nn.avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None, *, __mode->pool_mode="avg")',
    'tensorflow.nn.max_pool(input, ksize, strides, padding, data_format=None, name=None, *, __mode->pool_mode="max")',
    'tensorflow.nn.avg_pool(input, ksize, strides, padding, data_format=None, name=None, *, __mode->pool_mode="avg")',
  ],
  modules: [
    'keras.layers.MaxPooling2D(pool_size->ksize=2, strides=None, padding="valid", data_format=None, name=None, *, __mode->pool_mode="max")(inputs->input)',
    'keras.layers.MaxPool2D(pool_size->ksize=2, strides=None, padding="valid", data_format=None, name=None, *, __mode->pool_mode="max")(inputs->input)',
    'keras.layers.AveragePooling2D(pool_size->ksize=2, strides=None, padding="valid", data_format=None, name=None, *, __mode->pool_mode="avg")(inputs->input)',
    'keras.layers.AvgPool2D(pool_size->ksize=2, strides=None, padding="valid", data_format=None, name=None, *, __mode->pool_mode="avg")(inputs->input)',
  ],
  inputRank: 4,
  abstract(c) {
    const x = c.arg('input');
    if (!x) return unknown(c.span);
    // Pooled values are new values (a blurred or dilated mask): no meaning of the input carries over.
    return mk('unknown', { dtype: 'float', src: c.span });
  },
  lower(c) {
    const x = c.float('input');
    const rank = x.x.shape.length;
    if (rank !== 4) {
      // tf.nn.max_pool / avg_pool pool N-D inputs by their rank; only the 2-D case is lowered.
      if (/\.(max|avg)_pool$/.test(c.spelling.name) && (rank === 3 || rank === 5)) c.unsupported(`${c.name} of a rank-${rank} input (1-D or 3-D pooling)`);
      c.error(`${c.name}: the input must be 4-D [batch, height, width, channels], got rank ${rank}`);
    }
    const fmt = c.str('data_format') ?? 'channels_last';
    const channelsFirst = /^(NCHW|channels_first)$/.test(fmt);
    if (!channelsFirst && !/^(NHWC|channels_last)$/.test(fmt)) c.error(`${c.name}: unknown data_format ${JSON.stringify(fmt)}`);
    const mode = c.str('pool_mode') ?? 'max';
    if (mode !== 'max' && mode !== 'avg') c.error(`${c.name}: Invalid pool_mode: ${mode}`);
    const padding = (c.str('padding') ?? c.unsupported(`${c.name} with explicit paddings`)).toLowerCase();
    if (padding !== 'same' && padding !== 'valid') c.error(`${c.name}: padding must be SAME or VALID, got ${JSON.stringify(padding)}`);
    const ksize = windowHW(c.value('ksize'), [2, 2], channelsFirst) ?? c.unsupported(`${c.name} with this window size`);
    // A Keras pooling layer's strides default to its window (None); K.pool2d's to 1 (its (1, 1), spelled 1: the same windows).
    const strides = windowHW(c.value('strides'), ksize, channelsFirst) ?? c.unsupported(`${c.name} with these strides`);
    const [ah, aw] = channelsFirst ? [2, 3] : [1, 2];
    const max = mode === 'max';
    const same = padding === 'same';
    const rows = poolAxis(c, x, ah, ksize[0], strides[0], same, max);
    const both = poolAxis(c, rows.y, aw, ksize[1], strides[1], same, max);
    if (max) return both.y;
    // The average over the positions inside the image (TensorFlow's SAME average does not count the padding).
    return c.binop('/', c.binop('/', both.y, alongAxis(c, rows.counts, ah, 4)), alongAxis(c, both.counts, aw, 4));
  },
});

/**
 * tf.image.convert_image_dtype: float pixels to another float dtype are cast (values kept, [0, 1)
 * assumed by TensorFlow and not checked); integer pixels are scaled by their integer type's maximum,
 * which the checker's integer dtype does not keep (uint8 or int32 alike): refused, as are float to
 * integer conversions (scaled and rounded).
 */
export const convertImageDtype = defineOp({
  id: 'convert_image_dtype',
  summary: 'An image converted to a dtype: float to float is a cast; integer pixels are scaled by their type\'s maximum (not lowered).',
  spell: ['tensorflow.image.convert_image_dtype(image->input, dtype, saturate=False, name=None)'],
  abstract(c) {
    const x = c.arg('input');
    if (!x) return unknown(c.span);
    const dt = dtypeClass(c.str('dtype'));
    // Float to float keeps the values and so their meaning (a probability stays one).
    return dt === 'float' && x.dtype !== 'int' && x.dtype !== 'bool' ? withDtype(x, dt, c.spelling.framework) : mk('unknown', { dtype: dt ?? 'float', src: c.span });
  },
  lower(c) {
    const x = c.tensor('input');
    const v = c.value('dtype');
    const e = c.call.bound?.dtype;
    const written = v?.t === 'str' ? v.v : e?.k === 'attr' ? (e.qualified ?? e.attr) : '';
    const dt = v?.t === 'dtype' ? v.dt : dtypeClass(written);
    if (!dt) return c.unsupported(`${c.name} to ${written || 'this dtype'}`);
    if (/(^|\.)(half|float16|bfloat16)$/.test(written)) c.unsupported(`${c.name} to ${written.replace(/^.*\./, '')} (the checker computes in float32)`);
    if (x.dt !== 'float') c.unsupported(`${c.name} of ${x.dt === 'bool' ? 'a bool' : 'an integer'} tensor (scaled by its integer type's maximum, which the checker does not keep)`);
    if (dt !== 'float') c.unsupported(`${c.name} of float pixels to an integer dtype (scaled and rounded)`);
    return x;
  },
});

export const IMAGE = [sobelEdges, pool2d, convertImageDtype];
