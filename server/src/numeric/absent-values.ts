/**
 * Values a loss reads from a module the check cannot read (`cfg.focal_loss_alpha` of `import config
 * as cfg`, a default `alpha=config.TRAIN.ALPHA`, `from utils import GLOBAL_TYPE`): in single-file mode
 * the module is not there, so its value is unknown. Where the function's own use of the value gives
 * it a role the probe table has typical values for, the probes take that value and say it was
 * assumed; in-repo, where the module is on disk, its own value is read (eval.ts, imported.ts) and
 * nothing here applies (probes.ts keeps only the values whose module `located` does not find).
 *
 * The role comes from the abstract interpreter's facts (core/interp.ts), never from the name:
 * - a focal gamma: the exponent of a modulating factor (`pow(1 - p_t, cfg.gamma)`);
 * - a focal alpha: the hyperparameter of an alpha_t (`alpha * t + (1 - alpha) * (1 - t)`,
 *   `where(t == 1, a, 1 - a)`); a value of unknown kind only multiplying a loss is not one (a scale);
 * - Keras' float format: a name the module passes to `keras.backend.set_floatx` (which takes only
 *   float formats), cast to by the loss: float32, the probes' own.
 * Any other role (a value passed on, a threshold, a count) stays refused with its module named.
 */
import type { ModuleFacts } from '../core/interp';
import type { AbsValue } from '../core/lattice';
import { forEachExpr, type Expr, type FunctionIR, type ModuleIR } from '../core/ir';
import { stmtRoots, stmtsOf } from '../core/walk';
import type { Target } from '../core/ir-types';

/** A value the probes assume for a read of a module they cannot read, and why. */
export interface AssumedValue {
  value: number | string;
  why: string;
}

/** Roots whose attributes are a framework's (the evaluator knows or refuses them itself): never a settings module. */
const FRAMEWORK_ROOT = /^(torch|torchvision|tensorflow|keras|tf_keras|jax|flax|optax|haiku|numpy|scipy|math|builtins|os|sys)(\.|$)/;

/**
 * The module value `e` reads (`config.focal_loss_alpha` for `cfg.focal_loss_alpha`, `utils.GLOBAL_TYPE`
 * for an imported name) and what its import names (`config`, `utils.GLOBAL_TYPE`), for the reason.
 */
function moduleRead(e: Expr, mod: ModuleIR, shadowed: ReadonlySet<string>): { q: string; from: string } | undefined {
  let q: string | undefined;
  let from: string | undefined;
  if (e.k === 'attr' && e.qualified) {
    let root: Expr = e;
    while (root.k === 'attr') root = root.obj;
    if (root.k !== 'name' || shadowed.has(root.id) || !mod.imports.has(root.id)) return undefined;
    q = e.qualified;
    from = mod.imports.get(root.id);
  } else if (e.k === 'name' && !shadowed.has(e.id) && !mod.globals.has(e.id)) {
    const imp = mod.imports.get(e.id);
    // `from config import ALPHA`: the module and the name (a plain `import config` binds a module, no value).
    if (imp && imp.includes('.') && imp !== e.id) q = from = imp;
  }
  return q && from && !FRAMEWORK_ROOT.test(q) ? { q, from } : undefined;
}

/** Names a function binds itself (parameters, assignments): those read are not the module's. */
function ownNames(g: FunctionIR): Set<string> {
  const out = new Set(g.params.map((p) => p.name));
  for (const s of stmtsOf(g.body)) {
    if (s.k === 'assign') for (const t of s.targets) forEachTarget(t, (id) => out.add(id));
  }
  return out;
}

function forEachTarget(t: Target, visit: (id: string) => void): void {
  if (t.k === 'name') visit(t.id);
  else if (t.k === 'tuple') for (const i of t.items) forEachTarget(i, visit);
}

/** Ids of the lattice values that are a focal gamma (an exponent of a modulating factor) and a focal alpha, in one function's facts. */
export function roleIds(values: Iterable<AbsValue>): { gamma: Set<number>; alpha: Set<number> } {
  const gamma = new Set<number>();
  const alpha = new Set<number>();
  for (const v of values) {
    if (v.m === 'modulating' && v.exponent) gamma.add(v.exponent.id);
    if (v.m === 'alpha_t' && v.of) alpha.add(v.of.id);
    // A scalar alpha of a focal product whose value the lattice knows as one (never a value of unknown kind: any hyperparameter multiplying a loss is that).
    if (v.focal?.alpha?.kind === 'scalar' && !v.focal.alpha.unknownKind) alpha.add(v.focal.alpha.value.id);
  }
  return { gamma, alpha };
}

/**
 * The module values the functions `fns` read (in their bodies and their parameters' defaults) whose
 * use gives them a role with a typical value, each with that value and why it was assumed.
 */
export function assumedModuleValues(fns: readonly FunctionIR[], mod: ModuleIR, facts: ModuleFacts | undefined, typical: { gamma: number; alpha: number }): Record<string, AssumedValue> {
  const out: Record<string, AssumedValue> = {};
  if (!facts) return out;
  const floatx = floatxNames(mod);
  for (const g of fns) {
    const ff = facts.functions.get(g);
    if (!ff) continue;
    const roles = roleIds(ff.values.values());
    const own = ownNames(g);
    const take = ({ q, from }: { q: string; from: string }, id: number | undefined, where: string): void => {
      if (id === undefined || out[q]) return;
      const module = `\`${from}\``;
      if (roles.gamma.has(id)) out[q] = { value: typical.gamma, why: `a focal gamma (the exponent of the modulating factor${where}) read from ${module}, which the check does not read: the typical ${typical.gamma}, assumed; no canonical comparison` };
      else if (roles.alpha.has(id)) out[q] = { value: typical.alpha, why: `a focal alpha (weighing the positives against the negatives${where}) read from ${module}, which the check does not read: the typical ${typical.alpha}, assumed; no canonical comparison` };
    };
    // A parameter's default (`alpha=config.TRAIN.ALPHA`): the role of the parameter's value.
    for (const p of g.params) {
      const r = p.default && moduleRead(p.default, mod, new Set());
      if (r) take(r, ff.params.get(p.name)?.id, `, as the default of \`${p.name}\``);
    }
    for (const s of stmtsOf(g.body))
      for (const r of stmtRoots(s))
        forEachExpr(r, (e) => {
          const m = moduleRead(e, mod, own);
          if (!m) return;
          take(m, ff.values.get(e)?.id, '');
          if (!out[m.q] && floatx.has(m.q) && castDtype(r, e)) out[m.q] = { value: 'float32', why: `a float format (the module passes it to keras.backend.set_floatx) read from \`${m.from}\`, which the check does not read: float32, the probes' own, assumed; no canonical comparison` };
        });
  }
  return out;
}

/** Module values the module passes to `keras.backend.set_floatx` (its module-level code): float formats. */
function floatxNames(mod: ModuleIR): Set<string> {
  const out = new Set<string>();
  const top = mod.functions.find((f) => f.name === '<module>');
  for (const s of top ? stmtsOf(top.body) : [])
    for (const r of stmtRoots(s))
      forEachExpr(r, (e) => {
        if (e.k !== 'call' || !e.callee || !/(^|\.)backend\.set_floatx$/.test(e.callee)) return;
        const a = e.args[0];
        const m = a && moduleRead(a, mod, new Set());
        if (m) out.add(m.q);
      });
  return out;
}

/** Whether `e` is the dtype a cast of `root` asks for (`tf.cast(x, e)`, `K.cast(x, e)`). */
function castDtype(root: Expr, e: Expr): boolean {
  let found = false;
  forEachExpr(root, (c) => {
    if (found || c.k !== 'call' || c.op?.id !== 'cast') return;
    found = c.bound?.dtype === e;
  });
  return found;
}
