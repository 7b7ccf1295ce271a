/**
 * A parameter read only at constant keys (`args["task"]`, `WEIGHTS["weights"]`): a mapping of
 * settings. Each key's value is read from what the function does with it, as a parameter's would be
 * (param-uses.ts): a normaliser, a mixing weight, a fraction, an index, a string compared with
 * literals, a stabiliser, the coefficient of an added term, or a weight multiplied into the
 * per-class terms of the prediction and the targets (one weight of 1 per class); a key named as a focal
 * gamma or alpha takes the probe table's typical value first, as a parameter so named does. The probes pass a
 * dict of those keys; every value is assumed and said so. Pure IR reading.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt } from '../core/ir-types';
import { stmtRoots, stmtsOf, stmtsDeep } from '../core/walk';
import { walkExprs } from '../core/ir';
import { ParamUses } from './param-uses';

/** A value at one key: a number, a string, or one weight of 1 per class. */
export type KeyValue = number | string | { ones: 'classes' };


/**
 * The constant string keys `name` is read at in `g` (its nested functions included) when it is read
 * only so: `args["task"]`, a membership test `"gamma" in cfg`, `cfg.get("gamma", 2.0)`; never `args`
 * alone, called otherwise, stored into, or read at a key computed at run time. `keys`: those read by
 * subscript and never tested nor read with a default (they need a value); `optional`: the others,
 * which the code's own defaults cover when absent.
 */
export function keysRead(name: string, g: FunctionIR): { keys: string[]; optional: string[] } | undefined {
  const keys = new Set<string>();
  const optional = new Set<string>();
  let bare = 0;
  let keyed = 0;
  const isName = (e: Expr | undefined): boolean => e?.k === 'name' && e.id === name;
  for (const s of stmtsDeep(g.body))
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) {
        if (isName(e)) bare++;
        else if (e.k === 'subscript' && isName(e.obj) && e.index.length === 1 && e.index[0].k === 'str') {
          keys.add(e.index[0].value);
          keyed++;
        } else if (e.k === 'cmp' && e.ops.length === 1 && /^(not\s+)?in$/.test(e.ops[0]) && isName(e.operands[1]) && e.operands[0].k === 'str') {
          optional.add(e.operands[0].value);
          keyed++;
        } else if (e.k === 'call' && e.func.k === 'attr' && e.func.attr === 'get' && isName(e.func.obj) && e.args[0]?.k === 'str' && e.args.length <= 2) {
          optional.add(e.args[0].value);
          keyed++;
        }
      }
  // An assignment's target (`args["k"] = v`) is in stmtRoots as its object: a store, not a read of settings.
  for (const s of stmtsDeep(g.body)) if (s.k === 'assign' && s.targets.some((t) => t.k === 'subscript' && t.obj.k === 'name' && t.obj.id === name)) return undefined;
  if (!(keys.size + optional.size) || bare !== keyed) return undefined;
  return { keys: [...keys].filter((k) => !optional.has(k)), optional: [...optional] };
}

/** Names `fn` binds to values computed from the roles (`p = tf.clip_by_value(y_pred, ...)`), the roles included. */
function roleValues(fn: FunctionIR, roles: readonly string[]): Set<string> {
  const names = new Set(roles);
  const mentions = (e: Expr): boolean => walkExprs(e).some((x) => x.k === 'name' && names.has(x.id));
  for (let changed = true, guard = 0; changed && guard < 6; guard++) {
    changed = false;
    for (const s of stmtsOf(fn.body)) {
      if (s.k !== 'assign' || s.targets.length !== 1 || s.targets[0].k !== 'name' || names.has(s.targets[0].id)) continue;
      if (mentions(s.value)) {
        names.add(s.targets[0].id);
        changed = true;
      }
    }
  }
  return names;
}

/** Calls that reduce a tensor (over the classes or all of it): a factor of their output is no per-class weight. */
const REDUCE = /(^|\.)(sum|mean|reduce_sum|reduce_mean|max|min|reduce_max|norm|logsumexp|reduce_logsumexp)$/;

/**
 * Every read of the value is a factor of a product whose other factors hold the prediction or the
 * targets unreduced (`y_true * K.log(y_pred) * w`): a weight broadcast against the class axis (the
 * last one, as numpy, TensorFlow and PyTorch align a vector), one per class.
 */
function classFactor(u: ParamUses, fn: FunctionIR, roles: readonly string[]): boolean {
  if (!u.onlyFactor) return false;
  const values = roleValues(fn, roles);
  const unreduced = (e: Expr): boolean => {
    if (e.k === 'call' && REDUCE.test(e.callee ?? (e.func.k === 'attr' ? e.func.attr : e.func.k === 'name' ? e.func.id : ''))) return false;
    return walkExprs(e).some((x) => x.k === 'name' && values.has(x.id));
  };
  return u.reads.every((r) => {
    // The product the read is a factor of: the chain of `*` above it.
    let node: unknown = r.node;
    let i = 0;
    while (i < r.parents.length) {
      const p = r.parents[i] as Expr;
      if (p.k === 'call' && p.args[0] === node && /(^|\.)(cast|Variable|constant|convert_to_tensor|tensor|as_tensor)$/.test(p.callee ?? '')) node = p;
      else if (p.k === 'bin' && p.op === '*') node = p;
      else break;
      i++;
    }
    const product = node as Expr;
    if (product.k !== 'bin') return false;
    const factors: Expr[] = [];
    const flat = (e: Expr): void => {
      if (e.k === 'bin' && e.op === '*') {
        flat(e.left);
        flat(e.right);
      } else factors.push(e);
    };
    flat(product);
    return factors.some(unreduced);
  });
}

/** The value one key's uses give, and why; undefined when its uses say none. */
function keyValue(u: ParamUses, fn: FunctionIR, roles: readonly string[] | undefined, typical?: (key: string) => { value: number; why: string } | undefined): { value: KeyValue; why: string } | undefined {
  // A key named as a focal loss's gamma or alpha (`cfg["focal_gamma"]`): the probe table's typical value, as a parameter so named takes.
  const named = u.key !== undefined ? typical?.(u.key) : undefined;
  if (named) return named;
  if (u.onlyDivisor) return { value: 1, why: 'a normaliser: 1' };
  if (u.mixingWeight) return { value: 0.1, why: 'a mixing or complementary weight (`[w, 1 - w]`, `(1 - s) * a + s * b`) in [0, 1]: 0.1' };
  if (u.onlyFraction) return { value: 0.5, why: 'a fraction of a count: 0.5' };
  if (u.onlyIndex) return { value: 1, why: 'an index or a count: 1' };
  const strs = u.comparedStrings;
  if (strs) return { value: strs[0], why: `a string compared with ${strs.map((x) => `'${x}'`).join(', ')}: '${strs[0]}'` };
  if (u.onlyStabiliser) return { value: 1e-7, why: 'a stabiliser: 1e-7' };
  if (u.onlyAddedTermFactor) return { value: 1, why: 'the coefficient of an added term: 1' };
  if (roles && classFactor(u, fn, roles)) return { value: { ones: 'classes' }, why: 'a weight multiplied into the per-class terms of the prediction and the targets: one weight of 1 per class' };
  return undefined;
}

/**
 * A mapping of settings: `name`, a parameter of `g` read only at constant keys (in `g`, its nested
 * functions, and through `self` in its class's methods where `g` is `__init__`), each key's value
 * given by its uses (`keyValue`); undefined unless every key gets one. `fn` is the probed function,
 * `roles` its prediction and target parameters.
 */
export function settingsMapping(g: FunctionIR, fn: FunctionIR, mod: ModuleIR, name: string, roles?: readonly string[], typical?: (key: string) => { value: number; why: string } | undefined): { value: { keys: Record<string, KeyValue> }; why: string; assumed: true } | undefined {
  const read = keysRead(name, g);
  if (!read) return undefined;
  const values: Record<string, KeyValue> = {};
  const whys: string[] = [];
  // A key the code tests for or reads with a default (`"gamma" in cfg`, `cfg.get("gamma", 2.0)`): left out, the code's own default.
  if (read.optional.length) whys.push(`${read.optional.map((k) => `\`${name}[${JSON.stringify(k)}]\``).join(', ')} left out (the code tests for ${read.optional.length > 1 ? 'them' : 'it'} or reads ${read.optional.length > 1 ? 'them' : 'it'} with a default: its own default)`);
  for (const k of read.keys) {
    const u = new ParamUses(name, g, mod, new Set(), undefined, k);
    const v = keyValue(u, fn, roles, typical);
    if (!v) return undefined;
    values[k] = v.value;
    whys.push(`\`${name}[${JSON.stringify(k)}]\` ${v.why}`);
  }
  return { value: { keys: values }, why: `a mapping of settings read only at its keys: ${whys.join('; ')}; other values not probed; no canonical comparison`, assumed: true };
}
