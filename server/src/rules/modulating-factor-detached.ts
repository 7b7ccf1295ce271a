/**
 * LL111 modulating-factor-detached: the focal modulating factor (1 - p_t) ** gamma is computed
 * without gradient (`.detach()`, `.data`, `tf.stop_gradient`, a `torch.no_grad()` block,
 * `torch.set_grad_enabled(False)`), so autograd treats it as a constant per-sample weight and the
 * gradient is not the focal loss's of the paper. Information: some losses do this on purpose, and
 * a detach behind a switch (`if self.disable_torch_grad_focal_loss:`) is taken as that choice.
 */
import type { RuleContext } from '../core/context';
import type { Expr, Span } from '../core/ir';
import { mayLieIn, type AbsValue } from '../core/lattice';
import { defineRule } from '../core/rule';
import type { Fix } from '../core/types';
import { atomText, outerSpan, replace } from './fixes';
import { behindSwitch, exprWithSpan, focalProducts, ownsSpan } from './focal-sites';

/** How the gradient was cut at `src`, in words, and the fix that restores it (when one edit can). */
function cut(ctx: RuleContext, src: Span): { how: string; fix?: Fix } {
  const e = exprWithSpan(ctx, src);
  if (e?.k === 'attr' && e.attr === 'data') {
    const keep = ctx.text(outerSpan(e.obj));
    return { how: '`.data`', fix: { title: `Keep the gradient: \`${keep}\` instead of \`${keep}.data\``, edits: [replace(e.span, keep)], applicability: 'unsafe' } };
  }
  if (e?.k === 'call' && e.op?.id === 'detach' && e.bound?.input) {
    const keep = e.method ? ctx.text(outerSpan(e.bound.input)) : atomText(ctx, e.bound.input);
    const name = e.method ? `.${e.spell?.name.split('.').pop()}()` : `${e.callee?.split('.').pop()}(...)`;
    return { how: `\`${name}\``, fix: { title: `Keep the gradient: drop \`${name}\``, edits: [replace(e.span, keep)], applicability: 'unsafe' } };
  }
  if (e?.k === 'call' && e.op?.id === 'no_grad') return { how: `a \`with ${e.callee?.replace(/^torch\./, 'torch.')}():\` block` };
  return { how: '`torch.set_grad_enabled(False)`' };
}

/** The ratio of the paper's gradient to the detached one as p_t -> 1: 1 + gamma. */
function ratioText(gamma: AbsValue | undefined): string {
  const g = gamma?.values?.length === 1 ? gamma.values[0] : undefined;
  return g !== undefined && g > 0 ? ` (with γ = ${g}: ${+(1 + g).toFixed(3)}× less gradient on the easiest examples)` : '';
}

const EXPLANATION = (how: string, gamma: AbsValue | undefined) =>
  [
    `The modulating factor (1 − p_t)^γ is computed without gradient (${how}), so autograd treats it as a constant weight per sample.`,
    'For FL = −(1 − p_t)^γ · log p_t the paper\'s gradient with respect to the target logit is (1 − p_t)^γ · (γ · p_t · log p_t + p_t − 1) (Lin et al. 2017, appendix). With the factor detached it is (1 − p_t)^γ · (p_t − 1): the γ · p_t · log p_t term is lost, and as p_t → 1 well-classified examples get 1/(1 + γ) of the paper\'s gradient' + ratioText(gamma) + '.',
    'Some losses weight by a detached factor on purpose (ASL\'s `disable_torch_grad_focal_loss`, the Varifocal loss of RT-DETR): if this is one, add `# noqa: LL111`; otherwise compute the factor on the graph.',
  ].join('\n\n');

/**
 * The focal products of the function, and the focal terms under a target mask (`pos_mask * f`): a loss
 * written per side (`pos_weight * log p + neg_weight * log(1 - p)`) has a factor on each side, each
 * detached on its own line.
 */
function* focalTerms(ctx: RuleContext): Generator<{ value: AbsValue }> {
  for (const e of ctx.exprs()) {
    const v = ctx.valueOf(e);
    if (v?.m === 'masked' && v.of?.m === 'focal' && v.of.focal?.modulating) yield { value: v.of };
  }
  yield* focalProducts(ctx);
}

export default defineRule({
  meta: {
    code: 'LL111',
    name: 'modulating-factor-detached',
    severity: 'info',
    summary: 'The modulating factor (1 - p_t) ** gamma is computed without gradient: not the focal loss gradient of the paper',
    fixable: true,
  },
  check(ctx) {
    const done = new Set<number>();
    for (const { value } of focalTerms(ctx)) {
      const mod = value.focal!.modulating!;
      // A focal loss: the factor times a cross-entropy that has a gradient (a loss whose cross-entropy is
      // detached too does not train at all, another mistake; a weight alone is not a loss yet).
      const ce = value.focal!.ce;
      if (!mod.detached || !ce || ce.detached) continue;
      // gamma = 0: the factor is 1, there is no gradient to lose; but a gamma hyperparameter whose
      // default is 0 is the focal loss for every other value a caller passes (as LL101 decides for an
      // alpha whose default is 1).
      const zero = !!mod.exponent?.values?.length && mod.exponent.values.every((g) => g === 0);
      if (zero && !mod.exponent?.hyper) continue;
      const src = mod.detachSrc;
      if (!src || done.has(src.s) || !ownsSpan(ctx, src)) continue;
      done.add(src.s);
      // A detach behind a switch (`if self.disable_torch_grad_focal_loss:`) is the author's choice.
      if (behindSwitch(ctx, src)) continue;
      const { how, fix } = cut(ctx, src);
      // With 0 < gamma < 1 and an unclamped base, the detach is also what keeps the gradient finite at
      // p_t = 1 (LL103): restoring the gradient takes a clamp too, so no one-edit fix.
      const base = mod.base;
      const smallGamma = !!mod.exponent && mayLieIn(mod.exponent, 0, 1) === true && !base?.clamped && !(base?.range && base.range.lo > 0);
      ctx.report({
        span: src,
        message: `the modulating factor (1 - p_t) ** gamma is computed without gradient (${how}): the loss's gradient is not the focal loss's of the paper${zero ? ' (a no-op at its default gamma=0, wrong for every gamma a caller passes)' : ''}${smallGamma ? ' (with gamma below 1, keeping the gradient also needs `1 - p_t` clamped away from 0)' : ''}`,
        explanation: EXPLANATION(how, mod.exponent),
        fix: smallGamma ? undefined : fix,
      });
    }
  },
  docs: `# LL111 modulating-factor-detached

## What it does
Reports (as information) a focal loss whose modulating factor $(1-p_t)^\\gamma$ is computed without
gradient: from \`.data\` (\`pt = Variable(logpt.data.exp())\`, the widely copied form), through
\`.detach()\` or \`tf.stop_gradient\`, inside a \`with torch.no_grad():\` block, or after
\`torch.set_grad_enabled(False)\`. The factor is known by what it computes: \`(1 - exp(w)) ** gamma *
w\` is the focal loss in $w = \\log p_t$ whatever else is known of $w$ (a log-probability the caller gathered, or a
probability where a log-softmax was meant), the weight gathered by the target included. It stays
silent when the cross-entropy factor has no gradient either (that loss does not train at all, a
different mistake), when the detachment happens on one path only, and when a switch decides it (\`if self.disable_torch_grad_focal_loss:\`), which is an explicit choice.
With gamma fixed at 0 the factor is 1 and nothing is lost; a gamma *hyperparameter* whose default is 0
is still reported (a no-op at its default, the wrong gradient for every gamma a caller passes), as
LL101 reports an alpha whose default is 1.

## Why is this bad?
The focal loss of the paper is $\\mathrm{FL} = -(1-p_t)^\\gamma\\log p_t$, and its gradient with respect
to the logit of the target is
$$\\frac{\\partial\\,\\mathrm{FL}}{\\partial x} = (1-p_t)^\\gamma\\,(\\gamma\\,p_t\\log p_t + p_t - 1)$$
(Lin et al., appendix). With the factor detached, autograd differentiates only the cross-entropy and
gets $(1-p_t)^\\gamma\\,(p_t-1)$: the $\\gamma\\,p_t\\log p_t$ term is gone. As $p_t \\to 1$ the ratio of
the two tends to $1+\\gamma$, so well-classified examples get up to three times less gradient than the
paper gives them at $\\gamma = 2$, and the loss that is minimised is no longer the focal loss (its value
is, its gradient is not). Maintainers who found it call it a bug: gradients "did not propagate through
the focal loss term, leading to instabilities late in the training" (openpifpaf#244); readers of the
most copied implementation asked the same (clcarwin/focal_loss_pytorch#5), and kuangliu/pytorch-retinanet#12
concludes the weighting terms are back-propagated in the paper.

Detaching the factor is a legitimate choice in some losses: ASL exposes it as
\`disable_torch_grad_focal_loss\`, RT-DETR's Varifocal loss detaches the predicted score that weights
the negatives. That is why this rule is information, and why a detach behind a flag is not reported.
A factor passed as \`weight=\` to PyTorch's \`binary_cross_entropy(_with_logits)\` must be detached
(PyTorch does not differentiate that argument, pytorch#19254); LossLint does not report it there. A
quality-weighted (varifocal) loss that multiplies the \`reduction="none"\` loss by a weight whose
negatives' focal factor is detached (\`t * pos + (1 - pos) * alpha * p.detach() ** gamma\`) is
reported: there nothing forces the detach. To keep the paper's gradient, multiply the \`reduction="none"\` loss by the factor instead.

## Example
\`\`\`python
def focal_loss(logits, target, gamma=2.0):
    logpt = F.log_softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
    pt = logpt.detach().exp()
    return (-(1 - pt) ** gamma * logpt).mean()
\`\`\`

## Use instead
\`\`\`python
    pt = logpt.exp()
    return (-(1 - pt) ** gamma * logpt).mean()
\`\`\`

## Fix safety
The fix removes the \`.data\`, \`.detach()\` or \`stop_gradient\` that cuts the gradient. It changes the
gradient (that is its point, and the detach may have been deliberate), so it is marked unsafe. A
\`no_grad\` block has no one-edit fix: compute the factor outside it. Neither has a gamma below 1 with
an unclamped \`1 - p_t\`: there the detach also keeps the gradient finite at p_t = 1 (LL103), and
restoring the gradient takes a clamp as well.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017, appendix (the derivative of FL).
- openpifpaf/openpifpaf#244; clcarwin/focal_loss_pytorch#5; kuangliu/pytorch-retinanet#12.
- Ridnik et al., *Asymmetric Loss for Multi-Label Classification*, 2021 (\`disable_torch_grad_focal_loss\`).
- pytorch/pytorch#19254 (\`binary_cross_entropy_with_logits\` is not differentiable in \`weight\`).
`,
});
