/**
 * What a refusal for a loss with no gradient at all can say of the function: the operations whose
 * gradient is none or zero (comparisons of tensors, argmax, rounding) that it ran on the probe
 * inputs, written in it or in the module's functions it calls by name (two deep). Where the function
 * cuts no gradient on purpose (`.detach()`, `.data`, `stop_gradient`, `no_grad`), those ops are the
 * only cut left, and the output is a metric (an accuracy, an F1 of rounded predictions), not a
 * loss: no gradient descent can train with it. Read from the IR and the run's trace of op ids.
 */
import type { Expr, FunctionIR, ModuleIR } from '../core/ir';
import { walkIR } from './ir-walk';

/** Op ids whose gradient is none (TensorFlow) or zero (PyTorch's step functions). */
const STEP_OPS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'argmax', 'argmin', 'round', 'floor', 'ceil', 'sign', 'any', 'all']);
/** Ops that cut a gradient on purpose. */
const CUT_OPS = new Set(['detach', 'stop_gradient', 'no_grad', 'set_grad_enabled']);

/** A step operation written in the code: its text and the id the evaluator's trace records when it runs (`cmp:==` for an operator on tensors). */
export interface StepOp {
  shown: string;
  id: string;
}

/** The module functions `fn` calls by name, with `fn`, two deep. */
function reached(fn: FunctionIR, mod: ModuleIR | undefined, depth = 0, seen = new Set<FunctionIR>()): FunctionIR[] {
  if (seen.has(fn)) return [];
  seen.add(fn);
  const out = [fn];
  if (!mod || depth >= 2) return out;
  walkIR(fn.body, (n) => {
    const e = n as Expr;
    if (e.k !== 'call' || e.func.k !== 'name') return;
    const id = e.func.id;
    const g = mod.functions.find((f) => f.qualname === id || (f.parent === fn.qualname && f.name === id));
    if (g) out.push(...reached(g, mod, depth + 1, seen));
  });
  return out;
}

/** The step operations written in `fn` and the module functions it calls, in the order first met. */
export function stepOpsIn(fn: FunctionIR, mod?: ModuleIR): StepOp[] {
  const out: StepOp[] = [];
  const add = (shown: string, id: string): void => {
    if (!out.some((o) => o.shown === shown)) out.push({ shown, id });
  };
  for (const g of reached(fn, mod))
    walkIR(g.body, (n) => {
      const e = n as Expr;
      if (e.k === 'cmp') {
        for (const op of e.ops) if (/^(==|!=|<|<=|>|>=)$/.test(op)) add(op, `cmp:${op}`);
      } else if (e.k === 'call' && e.op && STEP_OPS.has(e.op.id)) add(e.callee ?? e.op.id, e.op.id);
    });
  return out;
}

/** Whether `fn` (or a module function it calls) cuts a gradient on purpose: `.detach()`, `.data`, `stop_gradient`, `no_grad`. */
export function cutsOnPurpose(fn: FunctionIR, mod?: ModuleIR): boolean {
  let found = false;
  for (const g of reached(fn, mod))
    walkIR(g.body, (n) => {
      const e = n as Expr;
      if (found) return;
      if (e.k === 'attr' && e.attr === 'data') found = true;
      else if (e.k === 'call' && e.op && CUT_OPS.has(e.op.id)) found = true;
    });
  return found;
}

/** The refusal for a loss tfjs finds no path to from the prediction, naming the step operations that ran. */
export function noGradientReason(fn: FunctionIR, mod: ModuleIR | undefined, ran: ReadonlySet<string>): string {
  const base = 'the loss has no gradient with respect to the prediction';
  const steps = cutsOnPurpose(fn, mod) ? [] : stepOpsIn(fn, mod).filter((s) => ran.has(s.id));
  if (!steps.length) return `${base} (computed without gradient, e.g. under no_grad, or not from it): backward raises`;
  const shown = steps.slice(0, 4).map((s) => `\`${s.shown}\``).join(', ') + (steps.length > 4 ? ', ...' : '');
  return `${base}: it is computed through ${shown}, which ${steps.length > 1 ? 'have' : 'has'} no gradient (a metric, not a loss: nothing could be trained with it)`;
}
