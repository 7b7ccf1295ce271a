/**
 * Runtime values of the concrete interpreter (eval.ts) and the errors that end a check.
 *
 * Tensors carry a PyTorch-style dtype class (`float`, `int`, `bool`): tfjs only has float32, int32
 * and bool, which is what these map to. Python values (numbers, strings, booleans, None, lists)
 * stay plain JS values so that `if` on a known scalar can take its branch.
 */
import type { ClassIR, FunctionIR } from '../core/ir';
import type { Spelling } from '../ops/api';
import type { ImportedFunction } from './imported';
import type { tf } from './tf';

export type DType = 'float' | 'int' | 'bool';

export type Val =
  | { t: 'tensor'; x: tf.Tensor; dt: DType }
  | { t: 'num'; v: number; int: boolean }
  | { t: 'bool'; v: boolean }
  | { t: 'str'; v: string }
  | { t: 'none' }
  | { t: 'list'; items: Val[]; tuple: boolean }
  | { t: 'dtype'; dt: DType }
  | { t: 'device' }
  | { t: 'module'; spell: Spelling; args: Record<string, Val>; line: number }
  /** An instance of a class of the module; `base`: the library module its class derives from, as `super().__init__(...)` built it. */
  | { t: 'self'; attrs: Map<string, Val>; cls: ClassIR; base?: Extract<Val, { t: 'module' }>; unset?: Map<string, Unsupported> }
  /** A function; `foreign` when another project file defines it (numeric/imported.ts): it runs in an evaluator of that module. */
  | { t: 'fn'; fn: FunctionIR; env?: Map<string, Val>; foreign?: ImportedFunction }
  | { t: 'bound'; fn: FunctionIR; self: Val }
  | { t: 'builtin'; name: string }
  | { t: 'type'; name: 'float' | 'int' | 'bool' | 'str' | 'list' | 'tuple' | 'dict' | 'Tensor' }
  | { t: 'ns'; name: string }
  | { t: 'range'; start: number; stop: number; step?: number }
  /** A dict: insertion-ordered entries, keys compared as Python compares them (eval.ts `pyKey`). */
  | { t: 'dict'; entries: [Val, Val][] }
  /** A context manager the interpreter knows: `torch.no_grad()` (grad off), `torch.enable_grad()`, one that changes nothing (autocast in float32, a GradientTape). */
  | { t: 'ctx'; grad?: boolean }
  /** `jax.vmap(fn, in_axes)`: `fn` mapped over the axis of each positional argument (None: not mapped); keywords over axis 0. */
  | { t: 'vmap'; fn: Val; inAxes: (number | null)[] | number | null }
  /** `functools.partial(fn, *args, **kwargs)`. */
  | { t: 'partial'; fn: Val; args: Val[]; kwargs: Record<string, Val> }
  /** A method of a Python value, taken without calling it (`xs.append`). */
  | { t: 'pymethod'; recv: Val; name: string }
  /** The exception an `except ... as e:` clause caught. */
  | { t: 'exc'; err: EvalError }
  /**
   * The probes' dataset of a gradient-boosting objective or metric (roles.ts `targetDataset`): what
   * LightGBM's `Dataset` and XGBoost's `DMatrix` give of their labels, `get_label()` and `.label`;
   * nothing else of them is modelled.
   */
  | { t: 'dataset'; label: Val }
  /**
   * A model the function runs, stood in by the probe's prediction (roles.ts `CheckPlan.model`): its
   * call, or a model's `.apply` / `.apply_fn` given it as the parameters, returns `out`.
   */
  | { t: 'standin'; out: Val }
  /** What only the stood-in model's run reads (its input, a flag for it): nothing else reads it (roles.ts fill `modelInput`). */
  | { t: 'model_input' };

export const NONE: Val = { t: 'none' };

/** The check cannot go on: an operation, statement or construct outside the whitelist. */
export class Unsupported extends Error {
  constructor(
    readonly what: string,
    readonly line: number,
  ) {
    super(`unsupported \`${what}\` at line ${line}`);
  }
}

/**
 * The function raised (shape mismatch, bad argument) on the probe inputs, as PyTorch would. `pyType`
 * is the Python exception's class when the interpreter knows it (`TypeError`, `KeyError`, a class of
 * the module as `class:Name`): what decides whether a `try` catches it (eval.ts). Without one, it is
 * an exception of the framework whose class is not modelled (a subclass of `Exception`).
 */
export class EvalError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly pyType?: string,
  ) {
    super(`${message} (line ${line})`);
  }
}

/** A tensor would exceed the element cap. */
export class ElementCap extends Error {
  constructor(
    readonly elements: number,
    readonly cap: number,
    readonly line: number,
  ) {
    super(`a tensor of ${elements} elements at line ${line} exceeds the cap of ${cap}`);
  }
}

export function num(v: number, int = Number.isInteger(v)): Val {
  return { t: 'num', v, int };
}

export function describe(v: Val): string {
  switch (v.t) {
    case 'tensor':
      return `${v.dt} tensor [${v.x.shape.join(', ')}]`;
    case 'num':
      return String(v.v);
    case 'str':
      return JSON.stringify(v.v);
    default:
      return v.t;
  }
}
