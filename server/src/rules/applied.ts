/**
 * Where a rule meets an op being applied, whatever the spelling: a function call
 * (`F.cross_entropy(x, t)`, `x.sigmoid()`) or a call of a module instance built earlier
 * (`crit = nn.BCEWithLogitsLoss(pos_weight=w)` ... `crit(x, t)`, `nn.Softmax(dim=1)(x)`). For an
 * instance call the arguments come from the call (expressions) and from the constructor (values).
 */
import type { RuleContext } from '../core/context';
import type { Call, Expr } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import { bindCall, bindModuleCall, type OpDef, type Spelling } from '../ops';
import type { LossFacts } from '../ops/api';

export interface Applied {
  /** The call that applies the op. */
  call: Call;
  spell: Spelling;
  op: OpDef;
  /** The arguments written in this call, by canonical parameter. */
  exprs: Record<string, Expr>;
  /** Arguments given to the constructor of the module this call applies. */
  ctorArgs: Record<string, AbsValue>;
  /** Whether the op is applied through a module instance. */
  viaModule: boolean;
  /** The name to show: the callee's last segment or the module class's. */
  name: string;
}

/** The value of an argument: from this call, else from the constructor; undefined when not passed. */
export function argValue(ctx: RuleContext, a: Applied, p: string): AbsValue | undefined {
  const e = a.exprs[p];
  return e ? ctx.valueOf(e) : a.ctorArgs[p];
}

/** A boolean argument (Keras `from_logits`) or the spelling's default; undefined when unknown. */
export function flagOf(ctx: RuleContext, a: Applied, p: string): boolean | undefined {
  const v = argValue(ctx, a, p);
  if (v) return v.m === 'bool' ? v.bool : undefined;
  const d = a.spell.defaults[p];
  return typeof d === 'boolean' ? d : undefined;
}

/**
 * How the applied loss's targets must be encoded: its `loss.target`, or, for a loss whose string
 * argument chooses (`loss.targetBy`), the encoding of that argument's value; undefined when it is
 * not known (a mode read from a library constant, a variable).
 */
export function targetEncoding(ctx: RuleContext, a: Applied): LossFacts['target'] | undefined {
  const loss = a.op.loss;
  if (!loss) return undefined;
  if (!loss.targetBy) return loss.target;
  const v = argValue(ctx, a, loss.targetBy.param);
  const d = a.spell.defaults[loss.targetBy.param];
  const value = v ? (v.m === 'string' ? v.str : undefined) : typeof d === 'string' ? d : undefined;
  return value !== undefined ? loss.targetBy.values[value] : undefined;
}

/** Every op applied in the function, in evaluation order; module constructions are not applications. */
export function appliedOps(ctx: RuleContext): Applied[] {
  const out: Applied[] = [];
  for (const call of ctx.calls()) {
    if (call.op && call.spell && call.bound) {
      if (call.spell.kind === 'module') continue;
      out.push({ call, spell: call.spell, op: call.op, exprs: call.bound, ctorArgs: {}, viaModule: false, name: call.callee?.split('.').pop() ?? call.spell.name.split('.').pop()! });
      continue;
    }
    const fv = ctx.valueOf(call.func);
    const tuple = (items: Expr[]): Expr => ({ k: 'tuple', items, list: false, span: call.span });
    // An op held in a variable: `bce = tf.keras.losses.binary_crossentropy` ... `bce(y, p)`.
    if (fv?.opSpell && fv.opSpell.kind === 'function') {
      out.push({ call, spell: fv.opSpell, op: fv.opSpell.op, exprs: bindCall(fv.opSpell, call.args, call.kwargs, tuple), ctorArgs: {}, viaModule: false, name: fv.opSpell.name.split('.').pop()! });
      continue;
    }
    if (fv?.m !== 'module' || !fv.module) continue;
    const spell = fv.module.spell;
    out.push({ call, spell, op: spell.op, exprs: bindModuleCall(spell, call.args, call.kwargs, tuple), ctorArgs: fv.module.args, viaModule: true, name: spell.name.split('.').pop()! });
  }
  return out;
}
