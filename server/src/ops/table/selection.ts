/**
 * Positions where a tensor is nonzero (selecting the positive samples: `pos = labels.nonzero()`):
 * PyTorch's `nonzero` / `argwhere` give a [z, rank] integer tensor of the positions in row-major order,
 * `nonzero(as_tuple=True)` and numpy's `nonzero` one integer vector per axis. No gradient flows
 * through positions.
 */
import { mk } from '../../core/lattice';
import { defineOp, type CVal } from '../api';

export const nonzero = defineOp({
  id: 'nonzero',
  summary: 'The positions of the nonzero elements: [z, rank] (PyTorch, argwhere), or one vector per axis (as_tuple, numpy).',
  spell: ['torch.nonzero(input, *, out=None, as_tuple=False)', 'Tensor.nonzero(*, as_tuple=False)', 'torch.argwhere(input)', 'Tensor.argwhere()', 'numpy.nonzero(a->input, *, __tuple->as_tuple=True)', 'numpy.argwhere(a->input)'],
  abstract: (c) => mk('unknown', { dtype: 'int', src: c.span }),
  lower(c) {
    const x = c.tensor('input');
    const shape = x.x.shape;
    const data = c.k.data(x.x);
    const pos: number[][] = [];
    for (let i = 0; i < data.length; i++) {
      if (data[i] === 0) continue;
      const at: number[] = [];
      let r = i;
      for (let a = shape.length - 1; a >= 0; a--) {
        at.unshift(r % shape[a]);
        r = Math.floor(r / shape[a]);
      }
      pos.push(at);
    }
    // numpy's ndarray.nonzero() is a tuple as numpy.nonzero is.
    const tuple = c.flag('as_tuple') || (c.spelling.framework === 'numpy' && c.spelling.name === 'Tensor.nonzero');
    if (tuple) {
      const axes = shape.length ? shape.map((_, a) => pos.map((p) => p[a])) : [pos.map(() => 0)];
      return { t: 'list', tuple: true, items: axes.map((v) => c.out(c.k.fromData(v, [v.length], 'int'), 'int')) as CVal[] };
    }
    return c.out(c.k.fromData(pos.flat(), [pos.length, shape.length], 'int'), 'int');
  },
});

export const SELECTION = [nonzero];
