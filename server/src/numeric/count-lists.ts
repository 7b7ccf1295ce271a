/**
 * A parameter read as a list of numbers through elementwise array math: the counts of a
 * class-balanced loss (`effective_num = 1.0 - np.power(beta, samples_per_cls)`, `m_list = 1.0 /
 * np.sqrt(np.sqrt(cls_num_list))`), whose result the function then treats as a sequence (`len(w)`,
 * `np.sum(w)`, `w.sum()`, `w.tolist()`, a tensor made of it). A Python number could go through the
 * same math, but its result is never summed, counted or listed; roles.ts asks, beside the other signs
 * that a parameter is a sequence, whether its values meet the classes (a per-class count list).
 * Pure IR reading, never a name.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt } from '../core/ir-types';
import { ParamUses } from './param-uses';
import { walkExprs } from '../core/ir';
import { stmtRoots, stmtsDeep } from '../core/walk';

/**
 * Elementwise array functions a count list goes through: numpy's and JAX's, which take a list as an
 * array; torch's raise TypeError on a list (`torch.pow(beta, [..])`), so there the counts are a tensor.
 */
const ELEMENTWISE = {
  list: /^(numpy|jax\.numpy)\.(sqrt|power|log|log1p|exp|reciprocal|float_power|array|asarray)$/,
  tensor: /^torch\.(sqrt|rsqrt|pow|float_power|log|log1p|exp|reciprocal)$/,
};
/** How the counts are given: a list of numbers (numpy's math), or a tensor (torch's). */
export type CountsAs = keyof typeof ELEMENTWISE;
/** Reductions and conversions that read a value as a sequence. */
const SEQ_CALLS = /^(len|list|sorted|numpy\.(sum|max|min|mean|array|asarray)|torch\.(sum|max|min|mean|tensor|as_tensor|FloatTensor|Tensor|cuda\.FloatTensor|from_numpy)|jax\.numpy\.(sum|array|asarray))$/;
const SEQ_METHODS = new Set(['tolist', 'sum', 'max', 'min', 'mean']);

function mentions(e: Expr, names: ReadonlySet<string>): boolean {
  return walkExprs(e).some((x) => x.k === 'name' && names.has(x.id));
}

/** Whether `g` passes parameter `name` to elementwise array math and reads what that makes as a sequence. */
export function elementwiseCountList(name: string, g: FunctionIR, as: CountsAs = 'list'): boolean {
  const stmts: Stmt[] = stmtsDeep(g.body).filter((s) => s.k !== 'def');
  const made = madeFrom(name, g, as);
  if (!made.size) return false;
  for (const s of stmts)
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) {
        if (e.k !== 'call') continue;
        if (SEQ_CALLS.test(e.callee ?? (e.func.k === 'name' ? e.func.id : '')) && e.args[0]?.k === 'name' && made.has(e.args[0].id)) return true;
        if (e.func.k === 'attr' && SEQ_METHODS.has(e.func.attr) && e.func.obj.k === 'name' && made.has(e.func.obj.id)) return true;
      }
  return false;
}

/**
 * Whether `g` passes what it makes of parameter `name` by elementwise math (elementwiseCountList) to
 * a class of the module whose constructor parameter there is a per-class table: indexed by a value
 * (`alpha[target]`) or gathered (`self.alpha.gather(0, targets)`) in that class's methods
 * (`FocalLoss(alpha=weights.tolist())`, the class-balanced weights of a focal loss).
 */
export function countListIntoClassTable(name: string, g: FunctionIR, mod: ModuleIR, as: CountsAs = 'list'): boolean {
  if (!elementwiseCountList(name, g, as)) return false;
  const made = madeFrom(name, g, as);
  for (const s of stmtsDeep(g.body))
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) {
        if (e.k !== 'call' || e.func.k !== 'name') continue;
        const cls = mod.classes.get(e.func.id);
        const init = cls?.methods.get('__init__');
        if (!init) continue;
        const params = init.params.filter((p) => p.kind === 'plain').slice(1);
        const passed = [...e.args.map((a, i) => [params[i]?.name, a] as const), ...Object.entries(e.kwargs)];
        for (const [p, a] of passed) {
          if (!p || !mentions(a, made)) continue;
          const u = new ParamUses(p, init, mod);
          if (u.tableIndexed || u.reads.some((rd) => { const at = rd.parents[0] as Expr | undefined; return at?.k === 'attr' && at.obj === rd.node && (at.attr === 'gather' || at.attr === 'index_select'); })) return true;
        }
      }
  return false;
}

/** The locals `g` computes from parameter `name` through elementwise array math, and from those. */
function madeFrom(name: string, g: FunctionIR, as: CountsAs): Set<string> {
  const made = new Set<string>();
  for (const s of stmtsDeep(g.body)) {
    if (s.k !== 'assign' || s.targets.length !== 1 || s.targets[0].k !== 'name') continue;
    const direct = walkExprs(s.value).some((e) => e.k === 'call' && ELEMENTWISE[as].test(e.callee ?? '') && e.args.some((a) => a.k === 'name' && a.id === name));
    if (direct || (made.size && mentions(s.value, made))) made.add(s.targets[0].id);
  }
  return made;
}
