/**
 * Image filters of the frameworks, lowered to gathers and sums (differentiable as TensorFlow's
 * convolutions are). `tf.image.sobel_edges` as TensorFlow documents and computes it: per channel, the
 * 3 x 3 Sobel filters dy = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]] and dx = its transpose, over the
 * image padded by one pixel with REFLECT padding (the edge pixel not repeated), stacked on a new last
 * axis as [dy, dx]: [batch, h, w, d] -> [batch, h, w, d, 2]. REFLECT padding needs h and w of at
 * least 2 (TensorFlow raises for a narrower image).
 */
import { mk } from '../../core/lattice';
import { defineOp, type CVal } from '../api';

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

export const IMAGE = [sobelEdges];
