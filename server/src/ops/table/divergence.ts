/**
 * Kullback-Leibler divergences, as the frameworks document them.
 * - PyTorch's `F.kl_div(input, target)` / `nn.KLDivLoss`: the input is a log-probability, pointwise
 *   `target * (log target - input)` with 0 where the target is 0 (`xlogy`), or with `log_target=True`
 *   `exp(target) * (target - input)`; reduced by `reduction` (`mean` over every element, `batchmean`
 *   the sum over the batch size, `sum`, `none`), or by the legacy `size_average` / `reduce`.
 * - Keras' `kl_divergence` / `KLDivergence`: both clipped to [1e-7, 1], `sum(y_true * log(y_true / y_pred))`
 *   over the last axis, then the class's reduction.
 */
import { mk } from '../../core/lattice';
import { defineOp, type AbsCtx, type CTensor, type CVal, type LowerCtx } from '../api';
import { kerasReduce, torchReduction } from './losses';

const num = (v: number): CVal => ({ t: 'num', v, int: false });

/** A divergence's value: a float the rules read nothing more of (no cross-entropy facts). */
const divergence = (c: AbsCtx) => mk('unknown', { dtype: 'float', src: c.span });

/** x * log(y) with 0 where x is 0 (the other branch's NaN kept out of the value and the gradient). */
function xlogy(c: LowerCtx, x: CTensor, y: CTensor): CTensor {
  const zero = c.compare('==', x, num(0)) as CTensor;
  const safe = c.out(c.k.where(zero.x, c.k.fill(y.x.shape, 1, 'float'), y.x)) as CTensor;
  const prod = c.binop('*', x, c.out(c.k.log(safe.x))) as CTensor;
  const shape = c.k.broadcastShape(zero.x.shape, prod.x.shape);
  const z = (t: CTensor) => (t.x.shape.join() === shape.join() ? t.x : c.k.broadcastTo(t.x, shape));
  return c.out(c.k.where(z(zero), c.k.fill(shape, 0, 'float'), z(prod))) as CTensor;
}

export const klDiv = defineOp({
  id: 'kl_div',
  summary: "PyTorch's KL divergence of a log-probability input from a target distribution: target * (log target - input), reduced.",
  spell: ['torch.nn.functional.kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False)'],
  modules: ['torch.nn.KLDivLoss(size_average=None, reduce=None, reduction="mean", log_target=False)(input, target)'],
  abstract: divergence,
  lower(c) {
    const x = c.float('input');
    const t = c.float('target');
    // PyTorch differentiates xlogy(t, t) through t as x / y, NaN where a target that has a gradient is 0: not modelled.
    if (!c.flag('log_target') && c.requiresGrad('target')) c.unsupported(`${c.name} with a target computed from the prediction (PyTorch's xlogy gradient, NaN at a target of 0, is not modelled)`);
    const pointwise = (c.flag('log_target') ? c.binop('*', c.out(c.k.exp(t.x)), c.binop('-', t, x)) : c.binop('-', xlogy(c, t, t), c.binop('*', t, x))) as CTensor;
    const given = (p: string): boolean => c.has(p) && c.value(p)?.t !== 'none';
    if (c.str('reduction') === 'batchmean' && !given('size_average') && !given('reduce')) {
      const total = c.out(c.k.sum(pointwise.x, undefined, false));
      return pointwise.x.shape.length ? c.binop('/', total, num(pointwise.x.shape[0])) : total;
    }
    const r = torchReduction(c);
    return c.out(r === 'none' ? pointwise.x : r === 'sum' ? c.k.sum(pointwise.x, undefined, false) : c.k.mean(pointwise.x, undefined, false));
  },
});

const KERAS_NAMES = ['kl_divergence', 'kld', 'KLD', 'kullback_leibler_divergence'];

export const kerasKlDivergence = defineOp({
  id: 'keras_kl_divergence',
  summary: "Keras' KL divergence: both clipped to [1e-7, 1], sum over the last axis of y_true * log(y_true / y_pred).",
  spell: KERAS_NAMES.flatMap((n) => [`keras.losses.${n}(y_true->target, y_pred->input)`, `keras.metrics.${n}(y_true->target, y_pred->input)`]),
  modules: ['keras.losses.KLDivergence(reduction="sum_over_batch_size", name="kl_divergence")(y_true->target, y_pred->input, sample_weight=None)'],
  abstract: divergence,
  lower(c) {
    const p = c.out(c.k.clamp(c.float('input').x, 1e-7, 1)) as CTensor;
    const t = c.out(c.k.clamp(c.float('target').x, 1e-7, 1)) as CTensor;
    const per = c.binop('*', t, c.out(c.k.log((c.binop('/', t, p) as CTensor).x))) as CTensor;
    const last = per.x.shape.length - 1;
    return kerasReduce(c, last < 0 ? per.x : c.k.sum(per.x, [last], false));
  },
});

export const DIVERGENCE = [klDiv, kerasKlDivergence];
