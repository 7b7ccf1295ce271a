/**
 * LL104 pt-from-reduced-ce: `pt = exp(-ce)` where ce was already reduced over the batch (the
 * default `reduction='mean'` of F.cross_entropy and the loss modules, or a `.mean()`/`.sum()`), so
 * pt is one number for the whole batch and the focal term weighs nothing per sample.
 */
import type { RuleContext } from '../core/context';
import type { Call, Stmt } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import { defineRule } from '../core/rule';
import { findCallBySpan, setKeyword } from './fixes';

/** Cross-entropies that reduce over the batch by default (PyTorch's, with `reduction="mean"`). */
function reducesByDefault(call: Call): boolean {
  return !!call.op?.loss && !call.op.loss.focal && call.spell?.framework === 'torch' && call.spell.defaults.reduction === 'mean';
}

/** The CE value a pt was computed from: pt.of is log pt (-ce), whose `of` is the ce. */
function ceOf(pt: AbsValue): AbsValue | undefined {
  const lp = pt.of;
  return lp?.of?.m === 'ce' ? lp.of : undefined;
}

/** The call (F.cross_entropy(...) or nn.CrossEntropyLoss(...)) that produced a reduced CE with its default reduction. */
function reducingCall(ctx: RuleContext, ce: AbsValue): Call | undefined {
  const call = findCallBySpan(ctx, ce.src);
  if (call?.op && reducesByDefault(call) && !call.splat && !call.kwargs.reduce && !call.kwargs.size_average) return call;
  // A loss module called later: the module value remembers its constructor.
  if (call && !call.op) {
    const fv = ctx.moduleFacts.functions.get(ctx.fn)?.values.get(call.func);
    const ctor = fv?.m === 'module' ? findCallBySpan(ctx, fv.src) : undefined;
    if (ctor?.op && reducesByDefault(ctor) && !ctor.splat) return ctor;
    // super().forward(x, t) in a subclass of the loss module: the module its __init__ built.
    const recv = call.func.k === 'attr' ? call.func.obj : undefined;
    if (recv?.k === 'call' && recv.func.k === 'name' && recv.func.id === 'super') return baseInitOf(ctx);
  }
  return undefined;
}

/** The `super().__init__(...)` call of the checked method's class that builds its library base. */
function baseInitOf(ctx: RuleContext): Call | undefined {
  const init = ctx.fn.className ? ctx.module.classes.get(ctx.fn.className)?.methods.get('__init__') : undefined;
  const found: Call[] = [];
  const visit = (body: Stmt[]): void => {
    for (const st of body) {
      if (st.k === 'if') visit([...st.body, ...st.orelse]);
      else if (st.k === 'other') visit(st.body);
      else if (st.k === 'expr' && st.value.k === 'call' && st.value.baseInit) found.push(st.value);
    }
  };
  if (init) visit(init.body);
  return found[0];
}

export default defineRule({
  meta: {
    code: 'LL104',
    name: 'pt-from-reduced-ce',
    severity: 'error',
    summary: '`pt = exp(-ce)` from a batch-reduced cross-entropy: one pt for the whole batch',
    fixable: true,
  },
  check(ctx) {
    for (const e of ctx.exprs()) {
      if (e.k !== 'call' || e.op?.id !== 'exp') continue;
      const v = ctx.valueOf(e);
      if (!v || v.m !== 'pt' || !v.reduced) continue;
      const ce = ceOf(v);
      const call = ce ? reducingCall(ctx, ce) : undefined;
      // A CE joined from branches (a sigmoid loss on one, a softmax one on the other): every branch's
      // call needs reduction="none", so the fix edits them all, or is not offered.
      const others = (ce?.joinedFrom ?? []).filter((sp) => sp.s !== ce?.src?.s).map((sp) => reducingCall(ctx, { ...ce!, src: sp }));
      const calls = call && others.every((c) => c && !c.baseInit) ? [call, ...(others as Call[])] : undefined;
      const how = call ? (call.baseInit ? `its base class \`${call.callee?.split('.').pop()}\`, built without reduction="none"` : call.spell?.kind === 'module' ? `\`${call.callee?.split('.').pop()}\` built without reduction="none"` : `\`${call.callee?.split('.').pop()}\` with its default reduction="mean"`) : 'a cross-entropy already reduced with .mean() or .sum()';
      ctx.report({
        span: e.span,
        message: `pt is computed from ${how}: it is one number for the whole batch, not one per sample`,
        explanation: [
          'Focal loss down-weights each **easy sample** by (1 − pt)^γ, where pt is that sample\'s probability of its true class: pt = exp(−CE) per sample.',
          `Here the cross-entropy was averaged over the batch first, so exp(−mean CE) is a single number: every sample gets the same factor, the loss is a rescaled mean CE and the focusing does nothing.`,
          'Compute the per-sample CE with `reduction="none"`, build pt and the focal term from it, and reduce at the end.',
        ].join('\n\n'),
        fix: calls && !call!.baseInit ? { title: 'Compute the cross-entropy per sample: reduction="none"', edits: calls.map((c) => setKeyword(ctx, c, 'reduction', '"none"')), applicability: 'unsafe' } : undefined,
      });
    }
  },
  docs: `# LL104 pt-from-reduced-ce

## What it does
Flags \`pt = exp(-ce)\` when \`ce\` is a cross-entropy that was already reduced over the batch:
\`F.cross_entropy\`, \`F.binary_cross_entropy(_with_logits)\` or \`F.nll_loss\` called without
\`reduction="none"\` (their default is \`"mean"\`), a loss module such as \`nn.CrossEntropyLoss()\` built
without \`reduction="none"\`, or a CE followed by \`.mean()\` / \`.sum()\` before the \`exp\`.

## Why is this bad?
The focal term $(1-p_t)^\\gamma$ is meant to weigh **each sample** by how well it is already
classified. With a reduced CE, $p_t = e^{-\\overline{\\mathrm{CE}}}$ is one scalar for the batch:
every sample gets the same weight, so the "focal loss" is the mean cross-entropy times a constant
that changes from batch to batch. Training runs, the loss goes down, and the focusing never happens.

## Example
\`\`\`python
def focal_loss(logits, targets, gamma=2.0):
    ce = F.cross_entropy(logits, targets)
    pt = torch.exp(-ce)
    return (1 - pt) ** gamma * ce
\`\`\`

## Use instead
\`\`\`python
def focal_loss(logits, targets, gamma=2.0):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return ((1 - pt) ** gamma * ce).mean()
\`\`\`

## Fix safety
The fix adds \`reduction="none"\` to the cross-entropy call. The expressions after it then have one value
per sample, so a final \`.mean()\` may be needed where the loss is returned: the fix is marked unsafe.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017, equation (4).
- PyTorch docs: \`torch.nn.functional.cross_entropy\` (\`reduction\` defaults to \`'mean'\`).
`,
});
