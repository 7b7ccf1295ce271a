/**
 * What a refusal for a loss with no gradient at all can say of the function: the operations it calls
 * (itself, or the module's functions it calls by name, two deep) whose gradient is none or zero
 * (comparisons, argmax, rounding, a cast to an integer or boolean dtype). A function whose output
 * reaches the prediction only through those is a metric (an accuracy, an F1 of rounded
 * predictions), not a loss: no gradient descent can train with it. Read from the IR, no values.
 */
import type { Expr, FunctionIR, ModuleIR } from '../core/ir';
import { walkIR } from './ir-walk';

/** Op ids whose gradient is none (TensorFlow) or zero (PyTorch's step functions). */
const STEP_OPS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'argmax', 'argmin', 'round', 'floor', 'ceil', 'sign', 'any', 'all', 'topk_indices']);

/** The spellings of the step operations `fn` calls, in the order first met, comparison operators as `==`. */
export function stepOpsIn(fn: FunctionIR, mod?: ModuleIR, depth = 0, seen = new Set<FunctionIR>()): string[] {
  const out: string[] = [];
  if (seen.has(fn)) return out;
  seen.add(fn);
  const add = (s: string): void => {
    if (!out.includes(s)) out.push(s);
  };
  walkIR(fn.body, (n) => {
    const e = n as Expr;
    if (e.k === 'cmp') {
      for (const op of e.ops) if (/^(==|!=|<|<=|>|>=)$/.test(op)) add(op);
    } else if (e.k === 'call') {
      if (e.op && STEP_OPS.has(e.op.id)) add(e.callee ?? e.op.id);
      else if (depth < 2 && mod && e.func.k === 'name') {
        const id = e.func.id;
        const g = mod.functions.find((f) => f.qualname === id || (f.parent === fn.qualname && f.name === id));
        if (g) for (const s of stepOpsIn(g, mod, depth + 1, seen)) add(s);
      }
    }
  });
  return out;
}

/** The refusal for a loss tfjs finds no path to from the prediction, naming the step operations it calls. */
export function noGradientReason(fn: FunctionIR, mod?: ModuleIR): string {
  const steps = stepOpsIn(fn, mod);
  const base = 'the loss has no gradient with respect to the prediction';
  if (!steps.length) return `${base} (computed without gradient, e.g. under no_grad, or not from it): backward raises`;
  const shown = steps.slice(0, 4).map((s) => `\`${s}\``).join(', ') + (steps.length > 4 ? ', ...' : '');
  return `${base}: it is computed through ${shown}, which ${steps.length > 1 ? 'have' : 'has'} no gradient (a metric, not a loss: nothing could be trained with it)`;
}
