/**
 * The log of a probability written in log space, for the fixes of LL202 and LL204: `log(p)` with
 * `p = sigmoid(x)` is `F.logsigmoid(x)`, `log(1 - p)` is `F.logsigmoid(-x)`, and `log(p)` with
 * `p = softmax(x, d)` is `F.log_softmax(x, d)`. Found through the lattice (the probability's value
 * remembers the activation call that made it), and offered only when the logits' text means the same
 * where the log is (`stable`).
 */
import type { RuleContext } from '../core/context';
import type { Call, Expr, Stmt } from '../core/ir';
import { walkExprs } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import { atomText, exprAt, functionalName, localName } from './fixes';
import { stable } from './reading';

export interface LogSpace {
  /** The replacement for the whole log call. */
  text: string;
  /** `F.logsigmoid` / `F.log_softmax`, for titles. */
  fn: string;
  /** The activation's input (the logits), as written. */
  logits: string;
  /** `sigmoid` or `softmax`, and whether this is the log of the complement. */
  act: 'sigmoid' | 'softmax';
  complement: boolean;
}

/**
 * The activation call that made a probability value, in this function: the value must be that call's
 * own (same id, so not a join of two branches or a `where` of it and its complement).
 */
function activationCall(ctx: RuleContext, p: AbsValue): Call | undefined {
  if (p.m !== 'prob' || p.gathered || p.complementOf !== undefined) return undefined;
  const e = exprAt(ctx, p.src);
  if (e?.k !== 'call' || (e.op?.id !== 'sigmoid' && e.op?.id !== 'softmax') || !e.bound?.input || e.splat) return undefined;
  return ctx.valueOf(e)?.id === p.id ? e : undefined;
}

/** Whether a name's tensor is changed in place somewhere in the function (`p[mask] = 1 - p[mask]`, `p.clamp_(...)`, `p += ...`). */
function mutated(ctx: RuleContext, name: string): boolean {
  const visit = (ss: Stmt[]): boolean =>
    ss.some((s) => {
      if (s.k === 'assign') return !!s.aug && s.targets.some((t) => t.k === 'name' && t.id === name) || s.targets.some((t) => t.k === 'subscript' && t.obj.k === 'name' && t.obj.id === name);
      if (s.k === 'expr') {
        const c = s.value;
        return c.k === 'call' && c.func.k === 'attr' && c.func.obj.k === 'name' && c.func.obj.id === name && c.func.attr.endsWith('_');
      }
      if (s.k === 'if') return visit(s.body) || visit(s.orelse);
      if (s.k === 'other') return visit(s.body);
      return false;
    });
  return visit(ctx.fn.body);
}

/** The names whose values flow from the activation to `arg` through the expression itself (`p`, `p.clamp(...)`, `(1 - p)`). */
function namesIn(e: Expr): string[] {
  const out: string[] = [];
  for (const x of walkExprs(e)) if (x.k === 'name') out.push(x.id);
  return out;
}

/** The log-space form of log(v), where v is a sigmoid/softmax output or (sigmoid) its complement. */
export function logSpaceOf(ctx: RuleContext, v: AbsValue | undefined, arg?: Expr): LogSpace | undefined {
  if (!v || v.m !== 'prob') return undefined;
  // A name the log reads that is changed in place no longer holds what the lattice saw.
  if (arg && namesIn(arg).some((n) => mutated(ctx, n))) return undefined;
  const complement = v.complementOf !== undefined && !!v.of;
  const p = complement ? v.of! : v;
  const call = activationCall(ctx, p);
  if (!call) return undefined;
  const x: Expr = call.bound!.input;
  if (!stable(ctx, x)) return undefined;
  const fw = call.spell?.framework;
  if (call.op!.id === 'sigmoid') {
    const neg = complement ? `-${atomText(ctx, x)}` : ctx.text(x.paren ?? x.span);
    if (fw === 'torch') {
      const F = functionalName(ctx);
      return { text: `${F}.logsigmoid(${neg})`, fn: `${F}.logsigmoid`, logits: ctx.text(x.span), act: 'sigmoid', complement };
    }
    const tf = fw === 'tf' ? localName(ctx, 'tensorflow') : undefined;
    if (tf) return { text: `${tf}.math.log_sigmoid(${neg})`, fn: `${tf}.math.log_sigmoid`, logits: ctx.text(x.span), act: 'sigmoid', complement };
    return undefined;
  }
  if (complement) return undefined;
  const dim = call.bound!.dim;
  if (dim && !stable(ctx, dim)) return undefined;
  if (fw === 'torch') {
    const F = functionalName(ctx);
    const d = dim ? `, dim=${ctx.text(dim.span)}` : '';
    return { text: `${F}.log_softmax(${ctx.text(x.paren ?? x.span)}${d})`, fn: `${F}.log_softmax`, logits: ctx.text(x.span), act: 'softmax', complement };
  }
  const tf = fw === 'tf' ? localName(ctx, 'tensorflow') : undefined;
  if (tf) {
    const d = dim ? `, axis=${ctx.text(dim.span)}` : '';
    return { text: `${tf}.nn.log_softmax(${ctx.text(x.paren ?? x.span)}${d})`, fn: `${tf}.nn.log_softmax`, logits: ctx.text(x.span), act: 'softmax', complement };
  }
  return undefined;
}
