/**
 * Which entry a private method named as a loss (`_loss_function(self, logits, labels)`) is probed
 * through: the public methods of its class that call it (`self._loss_function`, called or handed to
 * a `jax.vmap`) are the entry points, and it is not probed on its own; where no public method calls
 * it (the class calls it only from its private training steps, or not at all), it is the one place
 * the loss is computed from a prediction and a target, and it is an entry itself. Read from the IR.
 */
import type { Expr, FunctionIR, ModuleIR } from '../core/ir';
import { walkIR } from './ir-walk';

/** Whether `g` reads `self.<name>` (a call of the method, or the bound method passed on). */
function readsSelfMethod(g: FunctionIR, name: string): boolean {
  let found = false;
  walkIR(g.body, (n) => {
    const e = n as Expr;
    if (!found && e.k === 'attr' && e.attr === name && e.obj.k === 'name' && e.obj.id === 'self') found = true;
  });
  return found;
}

/** The public methods of `fn`'s class (its own, not inherited) that read `self.<fn.name>`, by name. */
export function publicCallers(fn: FunctionIR, mod: ModuleIR): string[] {
  if (!fn.className) return [];
  const out: string[] = [];
  for (const g of mod.functions) {
    if (g === fn || g.className !== fn.className || g.parent) continue;
    if (g.name.startsWith('_') && !/^__(call|init)__$/.test(g.name)) continue;
    if (g.name === '__init__') continue;
    if (readsSelfMethod(g, fn.name)) out.push(g.name);
  }
  return out;
}
