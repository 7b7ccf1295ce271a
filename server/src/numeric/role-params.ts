/**
 * Required parameters whose role the abstract interpreter's facts make a focal gamma or a focal alpha,
 * whatever they are named (`def __init__(self, gama)`, then `(1 - p) ** self.gama`): the probes give
 * them the probe table's typical values (gamma 2 and 0.5, alpha 0.25), say they were assumed, and sweep
 * a gamma as they sweep one named so. The role comes from the facts (absent-values.ts `roleIds`: the
 * exponent of a modulating factor, the hyperparameter of an alpha_t or a focal product's scalar alpha),
 * never from the name:
 * - a parameter of the probed function itself: its seeded value is one of those;
 * - a parameter of its class's `__init__` stored as it is (`self.g = g`) and read in the function as
 *   `self.g` where the value read is one of those;
 * - a parameter of an enclosing factory read by the closure under its own name.
 */
import type { ModuleFacts } from '../core/interp';
import { forEachExpr, type Expr, type FunctionIR } from '../core/ir';
import { stmtRoots, stmtsOf } from '../core/walk';
import { roleIds } from './absent-values';

export interface FocalRoleParams {
  /** Parameter names (of the function or of `owners`) whose value is a focal gamma. */
  gamma: Set<string>;
  /** Parameter names whose value is a focal alpha. */
  alpha: Set<string>;
}

/** The plain parameter of `init` that `init` stores as it is at `self.<attr>` (`self.g = g`), if one. */
function storedParam(init: FunctionIR, attr: string): string | undefined {
  let found: string | undefined;
  let count = 0;
  for (const s of stmtsOf(init.body)) {
    if (s.k !== 'assign' || s.aug) continue;
    for (const t of s.targets) {
      if (t.k !== 'attr' || t.attr !== attr || t.obj.k !== 'name' || t.obj.id !== 'self') continue;
      count++;
      if (s.value.k === 'name' && init.params.some((p) => p.kind === 'plain' && p.name === (s.value as { id: string }).id)) found = s.value.id;
    }
  }
  // Stored once, as it is: a value computed from it (`self.g = float(g)`) or set twice is not read here.
  return count === 1 ? found : undefined;
}

/**
 * The parameters of `fn` and of `owners` (its class's `__init__`, its factories) that the facts of `fn`
 * read as a focal gamma or alpha (see the file's comment).
 */
export function focalRoleParams(fn: FunctionIR, owners: readonly FunctionIR[], facts: ModuleFacts | undefined): FocalRoleParams {
  const out: FocalRoleParams = { gamma: new Set(), alpha: new Set() };
  const ff = facts?.functions.get(fn);
  if (!ff) return out;
  const roles = roleIds(ff.values.values());
  if (!roles.gamma.size && !roles.alpha.size) return out;
  const add = (id: number | undefined, name: string): void => {
    if (id === undefined) return;
    if (roles.gamma.has(id)) out.gamma.add(name);
    else if (roles.alpha.has(id)) out.alpha.add(name);
  };
  for (const p of fn.params) if (p.kind === 'plain') add(ff.params.get(p.name)?.id, p.name);
  // Names the function binds itself are not an owner's.
  const own = new Set(fn.params.map((p) => p.name));
  for (const s of stmtsOf(fn.body)) if (s.k === 'assign') for (const t of s.targets) if (t.k === 'name') own.add(t.id);
  const init = owners.find((g) => g.name === '__init__' && g.className);
  for (const s of stmtsOf(fn.body))
    for (const r of stmtRoots(s))
      forEachExpr(r, (e: Expr) => {
        const id = ff.values.get(e)?.id;
        if (id === undefined || !(roles.gamma.has(id) || roles.alpha.has(id))) return;
        if (e.k === 'attr' && e.obj.k === 'name' && e.obj.id === 'self' && init && fn.className) {
          const p = storedParam(init, e.attr);
          if (p) add(id, p);
        } else if (e.k === 'name' && !own.has(e.id)) {
          const g = owners.find((o) => o.name !== '__init__' && o.params.some((p) => p.kind === 'plain' && p.name === e.id));
          if (g) add(id, e.id);
        }
      });
  return out;
}
