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
}

export interface ProbeResult {
  /** typical | confident | gamma-sweep | alpha-effect | ce-at-gamma-0 | reference */
  probe: string;
  inputs: ProbeInputs;
  /** Hyperparameter values used (by parameter name). */
  hyper: Record<string, number | number[] | string | null>;
  /** The loss: the function's value, or the sum of its elements when it returns a tensor. */
  loss: number | null;
  lossElements: number;
  lossNonFinite: number;
  /** Gradient w.r.t. the logits: entries that are NaN / infinite, and samples (rows) with any. */
  gradNaN: number;
  gradInf: number;
  samplesNonFinite: number;
  samples: number;
  /** Comparisons (alpha effect, CE at gamma = 0, reference): max relative difference and scale. */
  maxRelDiff?: number;
  scale?: number;
  ok: boolean;
  note?: string;
  ms: number;
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
  roles?: { input: string; target?: string; encoding: string; inputIsProb: boolean };
  probes: ProbeResult[];
  findings: Finding[];
  ms: number;
  cached?: boolean;
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
   * The source text the module was built from (when the input is a module): the worker then builds
   * its own copy of the module from it instead of receiving a clone (numeric/module-of.ts).
   */
  text?: string;
}
