/**
 * Plain-data results of the numeric checks, shared by the worker, the runner, the CLI (JSON output)
 * and the repro generator. No TensorFlow.js types here.
 */
import type { Finding, Range } from '../core/types';
import type { BackendChoice, BackendName } from './backend-names';

export type { BackendChoice, BackendName };

/**
 * What the main thread needs of a checked module, sent back by the worker that built it from the
 * text: each function's name and ranges, and the `# noqa` lines (a ModuleIR is one too).
 */
export interface ModuleOutline {
  functions: { qualname: string; nameSpan: { r: Range }; span: { r: Range } }[];
  noqa: ReadonlyMap<number, string[]>;
}

export interface ProbeInputs {
  /** PRNG seed (mulberry32) of the logits and targets. */
  seed: number;
  /** Logits shape [N, C]. */
  shape: [number, number];
  /** How the inputs were generated, in words precise enough to regenerate them (see repro.ts). */
  generator: string;
  /** Standard deviation of the normal logits. */
  std: number;
  /** Confident probes: the target logit leads every other one by this much (softmax), or |x| >= margin on the target's side (sigmoid). */
  margin?: number;
  target: 'index' | 'onehot' | 'binary';
  /** The function takes probabilities: it was fed softmax/sigmoid of the logits. */
  activation?: 'softmax' | 'sigmoid';
  /**
   * Class-index targets of every `every`-th sample (i % every == every - 1) set to `value` (an ignore
   * index), or, with `drop`, those samples left out (LL306).
   */
  ignore?: { value: number; every: number; drop?: boolean };
  /** This many easy background samples appended: every logit -12, every binary target 0 (LL307). */
  background?: number;
  /**
   * Image-shaped inputs for a loss that reads them so (`n, c, h, w = logits.size()`): the [N, C]
   * logits as N images of 1 x 1 pixels, channels first (`nchw`: [N, C, 1, 1], class indices
   * [N, 1, 1]) or last (`nhwc`: [N, 1, 1, C]); the gradient is the same N x C numbers.
   */
  layout?: Layout;
}

/**
 * How the probe's [N, C] logits are laid out for a loss that reads images or sequences: channels
 * first (`nchw` [N, C, 1, 1], `ncl` [N, C, 1]) or last (`nhwc` [N, 1, 1, C], `nlc` [N, 1, C]);
 * class indices [N, 1, 1] or [N, 1]; `nc1hw`: [N, C, 1, 1] with class indices of one channel,
 * [N, 1, 1, 1] (segmentation code that squeezes the target's channel: `target.squeeze(1)`); `1nc`:
 * one image of N anchors, [1, N, C], class indices [1, N] (a detection loss given boxes, roles.ts
 * `CheckPlan.boxes`); `nc1`: [N, C] beside class indices of one channel, [N, 1]
 * (`tf.squeeze(targets, axis=1)`); `nhwc1`: [N, 1, 1, C] beside [N, 1, 1, 1] (channels last,
 * `tf.squeeze(y_true, axis=-1)`). Which ones a function's code allows: shape-facts.ts. `nhwc44` and
 * `nhwc441`: the samples as the pixels of 4 x 4 images, channels last, [N/16, 4, 4, C] beside class
 * indices [N/16, 4, 4] or [N/16, 4, 4, 1], for ops that need a real height and width (TensorFlow's
 * Sobel edges pad by reflection: on 2 x 2 images they are 0 everywhere); a sample count that fills
 * no whole images keeps images of 1 x 1.
 */
export type Layout = 'nchw' | 'nhwc' | 'ncl' | 'nlc' | 'nc1hw' | '1nc' | 'nc1' | 'nhwc1' | 'nhwc44' | 'nhwc441' | 'cn' | 'cnt';

/**
 * Cases in columns (numpy from-scratch networks: `m = Y.shape[1]`): the logits [N, C] transposed to
 * [C, N], not reshaped; dense targets transposed too ('cn') or left [N, C] ('cnt': a target read a
 * case per row, `t[i]` beside `p[:, i]`); class indices [N]. Probed for values only (numpy): the
 * PyTorch repro script has no such layout.
 */
export const TRANSPOSED: Partial<Record<Layout, { target: boolean }>> = { cn: { target: true }, cnt: { target: false } };

/** The shape of the logits (`classes`) or of the class indices in a layout. */
export function layoutShape(layout: Layout | undefined, n: number, c: number, classes: boolean): number[] {
  switch (layout) {
    case 'nchw':
      return classes ? [n, c, 1, 1] : [n, 1, 1];
    case 'nc1hw':
      return classes ? [n, c, 1, 1] : [n, 1, 1, 1];
    case 'nhwc1':
      return classes ? [n, 1, 1, c] : [n, 1, 1, 1];
    case 'nc1':
      return classes ? [n, c] : [n, 1];
    case 'nhwc':
      return classes ? [n, 1, 1, c] : [n, 1, 1];
    case 'ncl':
      return classes ? [n, c, 1] : [n, 1];
    case 'nlc':
      return classes ? [n, 1, c] : [n, 1];
    case '1nc':
      return classes ? [1, n, c] : [1, n];
    case 'nhwc44':
    case 'nhwc441': {
      // For messages the sizes are letters (`N/16`); a count that fills no whole 4 x 4 images keeps 1 x 1 ones.
      if (typeof n !== 'number') return classes ? [`${n}/16` as never, 4, 4, c] : [`${n}/16` as never, 4, 4, ...(layout === 'nhwc441' ? [1] : [])];
      const [m, h] = n % 16 === 0 ? [n / 16, 4] : [n, 1];
      return classes ? [m, h, h, c] : layout === 'nhwc441' ? [m, h, h, 1] : [m, h, h];
    }
    case 'cn':
    case 'cnt':
      return classes ? [c, n] : [n];
    default:
      return classes ? [n, c] : [n];
  }
}

/** A hyperparameter's value as the probes pass it: a Python float, a list, a string or None. */
export type HyperValue = number | number[] | string | null;

export interface ProbeResult {
  /** typical | confident | gamma-sweep | alpha-effect | ce-at-gamma-0 | reference */
  probe: string;
  inputs: ProbeInputs;
  /**
   * The hyperparameters the function was called with (by parameter name; the others at their
   * defaults, so `{}` is a call at the defaults). alpha-effect: the two alphas it was called with.
   */
  hyper: Record<string, HyperValue>;
  /** Each call of the function, when the probe made more than one (alpha-effect); the results are the last call's. */
  calls?: Record<string, HyperValue>[];
  /** reference: the canonical formula's gamma and alpha (the function itself ran with `hyper`). */
  referenceHyper?: Record<string, HyperValue>;
  /** The loss: the function's value, or the sum of its elements when it returns a tensor (NaN and infinities included). */
  loss: number | null;
  lossElements: number;
  lossNonFinite: number;
  /** Gradient w.r.t. the logits: entries that are NaN / infinite, and samples (rows) with any. */
  gradNaN: number;
  gradInf: number;
  samplesNonFinite: number;
  samples: number;
  /** A values-only probe (NumericReport.valuesOnly): each output's NaN, infinite, negative (and hessian <= 0) elements. */
  outputs?: OutputSummary[];
  /** Comparisons (alpha effect, CE at gamma = 0, reference): max relative difference and scale. */
  maxRelDiff?: number;
  scale?: number;
  ok: boolean;
  note?: string;
  /**
   * Random draws the function made in the call reported (draws.ts), in call order: each from the
   * probe's seeded stream, which the repro script replays; the results hold for these draws.
   */
  draws?: { op: string; shape: number[]; key?: number[] }[];
  ms: number;
}

/** One output of a function probed for its values: its elements that are NaN, infinite, negative (and <= 0 for a hessian). */
export interface OutputSummary {
  /** What the output is: `loss`, `grad` and `hess` (a gradient-boosting objective), `metric` (an evaluation function's value), or `output i`. */
  name: string;
  elements: number;
  nan: number;
  inf: number;
  negative: number;
  /** hess only: elements <= 0 (a Newton step divides by them). */
  nonPositive?: number;
  /** The sum of the elements (NaN and infinities included). */
  sum: number;
}

export interface NumericReport {
  /** Function qualname (`FocalLoss.forward`, `focal_loss`). */
  function: string;
  /** The function's name, where CodeLens / findings attach. */
  range: Range;
  /** Set when no verdict: `not checked: unsupported \`torch.topk\` at line 12`. */
  notChecked?: string;
  backend?: BackendName;
  /** Backends that were asked for or tried and could not start, and why. */
  backendNotes?: string[];
  formulation?: 'softmax' | 'sigmoid';
  /** `mapped`: a parameter passed as a dict (roles.ts `CheckPlan.mapped`): its keys, each holding the parameter's tensor or ones. */
  /** `stateColumn`: the float targets carry one more trailing column, 1 where the sample has a positive class, else 0 (roles.ts `CheckPlan.stateColumn`). */
  /** `targetOffset`: class indices passed plus this (1: counted from 1, 0 the background; roles.ts `CheckPlan.targetOffset`). */
  /** `targetFields`: the targets carry this many fields on a new last axis: the targets, then ones (roles.ts `CheckPlan.targetFields`). */
  /** `boxes`: a detection loss given generated boxes (roles.ts `CheckPlan.boxes`, gen.ts `generateBoxes`, in `supplied`); no target parameter. */
  /** `vmapped`: the function probed through the module's own jax.vmap of it (roles.ts `CheckPlan.vmapped`). */
  /** `perRow`: hyperparameters whose number is given to every example of the function's jax.vmap (roles.ts `CheckPlan.perRow`). */
  /** `boxed`: hyperparameters passed as a one-item list of their value (roles.ts `CheckPlan.boxed`: the function subscripts them). */
  /** `model`: the function runs a model, stood in by the probe's prediction (roles.ts `CheckPlan.model`): `input` is the parameter the stand-in is passed as. */
  /** `packed`: the prediction and the target come packed in one parameter, unpacked into `names` (roles.ts `CheckPlan.packed`, packed-args.ts). */
  roles?: { input: string; target?: string; encoding: string; inputIsProb: boolean; model?: { via: 'call' | 'apply'; shown: string; unpacked?: { n: number; at: number } }; outerTarget?: string; mapped?: Record<string, Record<string, 'tensor' | 'ones' | 'model_input'>>; stateColumn?: boolean; boxed?: string[]; perRow?: string[]; perExample?: string[]; targetFields?: number; targetOffset?: number; vmapped?: boolean; boxes?: true; oneInput?: true; packed?: { param: string; star: boolean; names: string[] }; graph?: { loss: string; prediction: { name: string; shown: string }; target: { name: string; shown: string } } };
  /**
   * The function computes with numpy (no autograd): probed for its outputs' values only, computed in
   * float32 (numpy's float64 is not computed), with the gradient probes not checked and no findings
   * made of the values (a NaN in float32 may not be one in float64).
   */
  valuesOnly?: { why: string; precision: 'float32'; notChecked: string[]; dataset?: string };
  /** Values given to required parameters without a default, and where each came from (roles.ts `fill`). */
  supplied?: Record<string, { value: HyperValue | 'classes' | 'ones' | 'row_ones' | 'class_ones' | 'class_map' | 'class_counts' | 'device' | 'model_input' | 'prng_key'; why: string }>;
  /** How the function is reached: a method through its class, a closure through the factory that returns it, a custom autograd Function's forward through `Class.apply`. */
  entry?: { kind: 'function' | 'method' | 'closure' | 'apply'; owner?: string };
  probes: ProbeResult[];
  findings: Finding[];
  ms: number;
  cached?: boolean;
  /**
   * Other project files whose functions the check ran (imported.ts), each with its size and
   * modification time when read: a cached report holds only while they are unchanged.
   */
  imported?: Record<string, string>;
}

export interface CheckOptions {
  backend?: BackendChoice;
  /** Wall-clock budget for a whole document; functions not reached say so. */
  timeBudgetMs?: number;
  /** Time cap of one function's check (default 15 s). */
  functionBudgetMs?: number;
  signal?: AbortSignal;
  /** Samples N per probe (default 4096). */
  samples?: number;
  /** Classes C per probe (default 8). */
  classes?: number;
  /** Largest tensor any step may produce (default 2^22 elements). */
  maxElements?: number;
  /** Base seed (default 0). */
  seed?: number;
  /** Path of dist/numeric-worker.js when it is not next to the calling bundle. */
  workerPath?: string;
  /** Only these functions (qualnames). */
  only?: string[];
  /**
   * The document's path on disk, and the project's folders: functions it imports from other files
   * of the project are read from there and run (imported.ts). Without it such calls are unsupported.
   */
  file?: string;
  roots?: string[];
  /**
   * The source text the module was built from (when the input is a module): the worker then builds
   * its own copy of the module from it instead of receiving a clone (numeric/module-of.ts).
   */
  text?: string;
}

/** `gamma=2 alpha=[0.25,0.75]`: hyperparameters as the probe table shows them. */
export function hyperText(h: Record<string, HyperValue>, sep = ' '): string {
  return Object.entries(h)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : v}`)
    .join(sep);
}

/**
 * What a probe's function call was given, for the probe table (CLI and hover): its hyperparameters, or
 * `defaults`; for the reference probe also the canonical formula's (`defaults; reference gamma=2 alpha=null`).
 */
export function probeHyperText(p: Pick<ProbeResult, 'hyper' | 'referenceHyper'>, sep = ' '): string {
  const own = hyperText(p.hyper, sep) || 'defaults';
  return p.referenceHyper ? `${own}; reference ${hyperText(p.referenceHyper, sep)}` : own;
}

/**
 * JSON output (`probe --format json`, the `numeric` of `check --format json` and of a diagnostic's
 * data) spells a non-finite number as a string, as Python's json module spells it: "NaN",
 * "Infinity", "-Infinity" (JSON has no such numbers; JSON.stringify would write null).
 */
export type NonFinite = 'NaN' | 'Infinity' | '-Infinity';

/** T with every number that may be non-finite spelled as in JSON output. */
export type JsonSafe<T> = T extends number ? number | NonFinite : T extends (infer U)[] ? JsonSafe<U>[] : T extends object ? { [K in keyof T]: JsonSafe<T[K]> } : T;

/** JSON.stringify replacer: non-finite numbers become "NaN", "Infinity", "-Infinity". */
export function jsonNumbers(_key: string, value: unknown): unknown {
  if (typeof value !== 'number' || Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

/** A copy of plain data with its non-finite numbers spelled as in JSON output. */
export function jsonSafe<T>(value: T): JsonSafe<T> {
  return JSON.parse(JSON.stringify(value, jsonNumbers)) as JsonSafe<T>;
}
