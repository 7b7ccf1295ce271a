/**
 * The reference focal losses the probes compare a function with (the `reference` probe): the
 * torchvision / fvcore sigmoid formula and the softmax one, op for op, on the same kernels.
 */
import { tf } from './tf';
import * as P from './torchops';

type T = tf.Tensor;

/** The torchvision / fvcore formula, op for op (torchvision/ops/focal_loss.py). */
export function sigmoidFocalReference(x: T, t: T, alpha: number, gamma: number, reduction: string): T {
  const p = P.sigmoid(x);
  const ce = P.bceWithLogits(x, t);
  const pt = tf.add(tf.mul(p, t), tf.mul(tf.sub(1, p), tf.sub(1, t)));
  let loss = tf.mul(ce, P.powScalar(tf.sub(1, pt), gamma));
  if (alpha >= 0) {
    const at = tf.add(tf.mul(alpha, t), tf.mul(1 - alpha, tf.sub(1, t)));
    loss = tf.mul(at, loss);
  }
  return reduction === 'mean' ? P.mean(loss) : reduction === 'sum' ? P.sum(loss) : loss;
}

/** Softmax focal loss with per-class alpha: -alpha[t] * (1 - p_t)^gamma * log p_t per sample. */
export function softmaxFocalReference(x: T, target: T, alpha: number[] | undefined, gamma: number, reduction: string): T {
  const logp = P.logSoftmax(x, 1);
  const logpt = tf.reshape(P.gatherDim(logp, 1, tf.reshape(target, [-1, 1])), [-1]);
  const pt = tf.exp(logpt);
  let loss = tf.mul(tf.neg(P.powScalar(tf.sub(1, pt), gamma)), logpt);
  if (alpha) loss = tf.mul(tf.gather(tf.tensor1d(alpha), target), loss);
  return reduction === 'mean' ? P.mean(loss) : reduction === 'sum' ? P.sum(loss) : loss;
}
