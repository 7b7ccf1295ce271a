/**
 * The worker side of curve.ts: evaluates the lowered loss on 1-sample batches sweeping pt.
 */
import type { ModuleIR } from '../core/ir';
import { probedView } from './packed-args';
import { graphLoss } from './graph-loss';
import { CURVE_PTS, referenceFocal, type CurveRequest, type LossCurve } from './curve';
import { Evaluator } from './eval';
import { importResolver } from './imported';
import { initBackend, tf } from './tf';
import * as P from './torchops';
import { num, NONE, type Val } from './values';

function hyperVal(v: number | number[] | string | null): Val {
  if (v === null) return NONE;
  if (typeof v === 'string') return { t: 'str', v };
  if (Array.isArray(v)) return { t: 'list', items: v.map((x) => num(x)), tuple: false };
  return num(v, false);
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Sweeps pt over CURVE_PTS (worker side). */
export async function computeLossCurve(mod: ModuleIR, req: CurveRequest, maxElements = 1 << 22): Promise<LossCurve> {
  const imported = req.file ? importResolver(req.file) : undefined;
  await initBackend(req.backend);
  // Roles packed in one parameter: the unpacked view the probes ran (packed-args.ts).
  const written = mod.functions.find((f) => f.qualname === req.function);
  const packed = written && probedView(written);
  // A TensorFlow graph-mode loss: the view the probes ran (graph-loss.ts).
  const graphed = written && packed === written ? graphLoss(written, mod) : undefined;
  const fn = graphed && 'view' in graphed ? graphed.view : packed;
  const g = req.gammaName ? req.hyper[req.gammaName] : undefined;
  const a = req.alphaName ? req.hyper[req.alphaName] : undefined;
  const gamma = typeof g === 'number' ? g : 2;
  // A scalar alpha weighs the positive class (sigmoid, target 1); softmax references leave it out.
  const alpha = typeof a === 'number' && req.formulation === 'sigmoid' ? a : undefined;
  const curve: LossCurve = { function: req.function, gamma, alpha, formulation: req.formulation, points: [] };
  if (!fn) return { ...curve, error: `no function ${req.function}` };
  const hyper = Object.fromEntries(Object.entries(req.hyper).map(([k, v]) => [k, hyperVal(v)]));
  const sigmoid = req.encoding === 'binary' || req.formulation === 'sigmoid';
  // Sigmoid: every element of the row sits at the same pt (targets 1 at class 0, 0 elsewhere), so a
  // mean over elements is the per-element loss; the gradient is taken along the "more confident" direction.
  const C = Math.max(2, req.classes);
  try {
    for (const pt of CURVE_PTS) {
      const ref = referenceFocal(pt, gamma, alpha ?? 1);
      const logit = Math.log(pt / (1 - pt));
      const z = new Float32Array(C);
      const dir = new Float32Array(C);
      if (sigmoid) {
        for (let j = 0; j < C; j++) {
          z[j] = j === 0 ? logit : -logit;
          dir[j] = j === 0 ? 1 : -1;
        }
      } else {
        // Softmax: other logits 0, target logit chosen so that softmax_0 = pt.
        z[0] = Math.log((pt * (C - 1)) / (1 - pt));
        dir[0] = 1;
      }
      const out = tf.tidy(() => {
        const x = tf.tensor2d(z, [1, C]);
        let tgt: Val;
        if (req.encoding === 'index') tgt = { t: 'tensor', x: tf.tensor1d([0], 'int32'), dt: 'int' };
        else {
          const oh = new Float32Array(C);
          oh[0] = 1;
          tgt = { t: 'tensor', x: tf.tensor2d(oh, [1, C]), dt: 'float' };
        }
        const ev = new Evaluator(mod, { maxElements, hyper, imported });
        const f = (xx: tf.Tensor): tf.Scalar => {
          const xin = req.activation ? (req.activation === 'softmax' ? P.softmax(xx, 1) : P.sigmoid(xx)) : xx;
          const args: Record<string, Val> = { [req.input]: { t: 'tensor', x: xin, dt: 'float' } };
          if (req.target) args[req.target] = tgt;
          let v = ev.run(fn, args);
          if (v.t === 'list' && v.items.length && v.items[0].t === 'tensor') v = v.items[0];
          if (v.t !== 'tensor' || v.dt !== 'float') throw new Error(`the function returned ${v.t === 'tensor' ? `a ${v.dt} tensor` : v.t}`);
          return P.sum(v.x) as tf.Scalar;
        };
        const { value, grad } = tf.valueAndGrad(f)(x);
        const gv = grad.dataSync();
        let d = 0;
        for (let j = 0; j < C; j++) d += gv[j] * dir[j];
        return { loss: value.dataSync()[0], grad: d };
      });
      curve.points.push({ pt, loss: finite(out.loss), grad: finite(out.grad), refLoss: ref.loss, refGrad: ref.grad });
    }
  } catch (e) {
    return { ...curve, points: [], error: e instanceof Error ? e.message : String(e) };
  }
  return curve;
}
