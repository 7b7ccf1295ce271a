/**
 * Framework modules handed to a function by keyword: `backend = kwargs['backend']` then
 * `backend.clip(pr, ...)`, `backend.log(pr)` (segmentation_models passes `backend=keras.backend`). The
 * module is the one framework module that spells every function called on the name, when the name is
 * used for nothing but those calls; its calls are then that module's functions (`keras.backend.log`),
 * not tensor methods of `backend`. ir.ts rewrites them in place when it builds the function, so both
 * interpreters and the rules read the same calls; numeric/roles.ts also supplies the module to the probes.
 */
import { bindCall, resolveQualified } from '../ops';
import type { Call, Expr, FunctionIR } from './ir-types';
import { stmtRoots, stmtsOf } from './walk';

/** The framework modules a module value handed to a loss may be. */
export const INJECTABLE_MODULES = ['keras.backend', 'keras.ops', 'tensorflow', 'tensorflow.math', 'torch', 'jax.numpy', 'numpy'];

/**
 * The framework module a value stands for when exactly one framework module spells every attribute
 * called on it (`backend.image_data_format()` is Keras' alone), or several that spell each as the same
 * op with the same parameters (keras.backend and keras.ops); else why not.
 */
export function injectedModule(attrs: ReadonlySet<string> | undefined): { module: string; alike?: string[] } | { why: string } {
  if (!attrs || attrs.size === 0) return { why: 'not a module' };
  const fits = INJECTABLE_MODULES.filter((m) => [...attrs].every((a) => resolveQualified(`${m}.${a}`)));
  if (fits.length === 1) return { module: fits[0] };
  if (!fits.length) return { why: 'no framework module spells all its ops' };
  const shape = (m: string): string =>
    JSON.stringify(
      [...attrs].sort().map((a) => {
        const sp = resolveQualified(`${m}.${a}`)!;
        return [sp.framework, sp.op.id, sp.kind, sp.sig.params.map((p) => [p.name, p.canon, p.kind, p.default ?? null])];
      }),
    );
  if (fits.every((m) => shape(m) === shape(fits[0]))) return { module: fits[0], alike: fits.slice(1) };
  return { why: `its ops are spelled differently in ${fits.join(', ')}` };
}

/** The keyword a value is read from: `kwargs['k']`, `kwargs.get('k')`, `kwargs.pop('k')`. */
function keywordRead(e: Expr, kw: string): string | undefined {
  if (e.k === 'subscript' && e.obj.k === 'name' && e.obj.id === kw && e.index.length === 1 && e.index[0].k === 'str') return e.index[0].value;
  if (e.k === 'call' && e.func.k === 'attr' && e.func.obj.k === 'name' && e.func.obj.id === kw && (e.func.attr === 'get' || e.func.attr === 'pop') && e.args[0]?.k === 'str') return e.args[0].value;
  return undefined;
}

/**
 * Rewrites, in `fn`'s body, the calls on a name bound once to a keyword of its `**kwargs` that stands
 * for one framework module (see above) as that module's function calls. `walk` is ir.ts `walkExprs`.
 */
export function resolveInjectedModules(fn: FunctionIR, walk: (e: Expr) => Expr[]): void {
  const kw = fn.params.find((p) => p.kind === 'kwstar')?.name;
  if (!kw) return;
  const bound = new Map<string, number>();
  const names = new Set<string>();
  for (const s of stmtsOf(fn.body)) {
    if (s.k !== 'assign') continue;
    for (const t of s.targets) if (t.k === 'name') bound.set(t.id, (bound.get(t.id) ?? 0) + 1);
    const [t] = s.targets;
    if (s.targets.length === 1 && t.k === 'name' && !s.aug && keywordRead(s.value, kw) !== undefined) names.add(t.id);
  }
  for (const n of [...names]) if (bound.get(n) !== 1 || fn.params.some((p) => p.name === n)) names.delete(n);
  if (!names.size) return;
  // Every use of each name: the receiver of a call (its attribute), or anything else (then no module).
  const attrs = new Map<string, Set<string>>();
  const calls: Call[] = [];
  const receivers = new Set<Expr>();
  const uses = new Map<string, number>();
  for (const s of stmtsOf(fn.body)) {
    for (const r of stmtRoots(s)) {
      for (const e of walk(r)) {
        if (e.k === 'name' && names.has(e.id)) uses.set(e.id, (uses.get(e.id) ?? 0) + 1);
        if (e.k === 'call' && e.func.k === 'attr' && e.func.obj.k === 'name' && names.has(e.func.obj.id)) {
          const set = attrs.get(e.func.obj.id) ?? new Set<string>();
          set.add(e.func.attr);
          attrs.set(e.func.obj.id, set);
          calls.push(e);
          receivers.add(e.func.obj);
        }
      }
    }
  }
  const modules = new Map<string, string>();
  for (const n of names) {
    const asReceiver = calls.filter((c) => c.func.k === 'attr' && c.func.obj.k === 'name' && c.func.obj.id === n).length;
    if (asReceiver === 0 || asReceiver !== uses.get(n)) continue;
    const m = injectedModule(attrs.get(n));
    if ('module' in m) modules.set(n, m.module);
  }
  for (const call of calls) {
    if (call.func.k !== 'attr' || call.func.obj.k !== 'name') continue;
    const m = modules.get(call.func.obj.id);
    if (!m) continue;
    const spell = resolveQualified(`${m}.${call.func.attr}`);
    call.callee = `${m}.${call.func.attr}`;
    call.method = undefined;
    if (!spell || spell.kind === 'method') {
      call.op = undefined;
      call.spell = undefined;
      call.bound = undefined;
      continue;
    }
    call.op = spell.op;
    call.spell = spell;
    call.bound = bindCall(spell, call.args, call.kwargs, (items: Expr[]): Expr => ({ k: 'tuple', items, list: false, span: call.span }));
  }
}
