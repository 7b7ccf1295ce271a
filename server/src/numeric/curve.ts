/**
 * The loss curve of a checked function, for the language server's hover plot (as Figure 1 of the
 * RetinaNet paper plots FL against pt): the lowered loss evaluated on 1-sample batches whose target
 * logit sweeps pt from 0.01 to 0.99, with its gradient w.r.t. that logit, beside the canonical focal
 * loss FL(pt) = -alpha_t (1 - pt)^gamma log(pt) and its gradient.
 *
 * This file is free of TensorFlow.js (the language server imports it); the sweep itself runs in the
 * worker (curve-eval.ts#computeLossCurve), which the main thread asks through runner.ts#lossCurve.
 */
import type { BackendChoice, NumericReport } from './types';

export interface CurvePoint {
  pt: number;
  /** The function's loss at this pt (null: not finite). */
  loss: number | null;
  /** d loss / d target logit (null: not finite). */
  grad: number | null;
  /** Reference focal loss and its gradient at the same pt. */
  refLoss: number;
  refGrad: number;
}

export interface LossCurve {
  function: string;
  gamma: number;
  alpha?: number;
  formulation: 'softmax' | 'sigmoid';
  points: CurvePoint[];
  /** Why no curve (the function raised on the sweep inputs). */
  error?: string;
}

/** What the worker needs to sweep one checked function (taken from its NumericReport). */
export interface CurveRequest {
  function: string;
  backend: BackendChoice;
  input: string;
  target?: string;
  encoding: 'index' | 'onehot' | 'binary';
  formulation: 'softmax' | 'sigmoid';
  activation?: 'softmax' | 'sigmoid';
  classes: number;
  hyper: Record<string, number | number[] | string | null>;
  gammaName?: string;
  alphaName?: string;
  /** The document's path on disk: functions it imports from other project files run as in the check (imported.ts). */
  file?: string;
}

export const CURVE_PTS: number[] = Array.from({ length: 33 }, (_, i) => 0.01 + (0.98 * i) / 32);

/** The request for a report's curve, or undefined when the report has no roles (not checked) or no target parameter (a detection loss given boxes). */
export function curveRequest(r: NumericReport, backend: BackendChoice): CurveRequest | undefined {
  const p = r.probes.find((x) => x.probe === 'typical') ?? r.probes[0];
  if (!r.roles || !r.formulation || !p) return undefined;
  // A detection loss given boxes takes no target: no curve at the target's pt.
  if (r.roles.boxes) return undefined;
  const names = Object.keys(p.hyper);
  return {
    function: r.function,
    backend,
    input: r.roles.input,
    target: r.roles.target,
    encoding: p.inputs.target,
    formulation: r.formulation,
    activation: p.inputs.activation,
    classes: p.inputs.shape[1],
    hyper: p.hyper,
    gammaName: names.find((n) => /gamma|focusing/i.test(n)),
    alphaName: names.find((n) => /alpha|balance/i.test(n)),
  };
}

/** FL(pt) = -alpha (1 - pt)^gamma log(pt), and d FL / d z for the target logit z (dpt/dz = pt (1 - pt)). */
export function referenceFocal(pt: number, gamma: number, alpha = 1): { loss: number; grad: number } {
  const q = 1 - pt;
  const loss = -alpha * q ** gamma * Math.log(pt);
  const grad = alpha * (gamma * pt * q ** gamma * Math.log(pt) - q ** (gamma + 1));
  return { loss, grad };
}
