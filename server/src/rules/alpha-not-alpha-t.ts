/**
 * LL102 alpha-not-alpha-t: a sigmoid (binary) focal loss multiplied by the same scalar alpha for
 * positives and negatives, instead of alpha_t = alpha * t + (1 - alpha) * (1 - t).
 */
import type { RuleContext } from '../core/context';
import { defineRule } from '../core/rule';
import { VALUE_SOURCES } from './sources';
import { alphaIsOne, alphaText, scalarAlphaProducts, unnegated } from './alpha';
import { atomText, outerSpan, replace } from './fixes';

/** The text of the function's binary targets: a parameter or local holding targets. */
function targetText(ctx: RuleContext): string | undefined {
  for (const [name, v] of ctx.facts.params) if (v.m === 'target' || v.m === 'target_onehot') return name;
  for (const e of ctx.exprs()) {
    const v = ctx.valueOf(e);
    if (e.k === 'name' && v && (v.m === 'target_onehot' || v.m === 'target') && v.complementOf === undefined) return e.id;
  }
  return undefined;
}

export default defineRule({
  meta: {
    code: 'LL102',
    name: 'alpha-not-alpha-t',
    severity: 'warning',
    summary: 'A sigmoid focal loss weighs positives and negatives by the same scalar alpha instead of alpha_t',
    fixable: true,
  },
  check(ctx) {
    for (const hit of scalarAlphaProducts(ctx, 'sigmoid')) {
      const a = alphaText(hit.alphaValue);
      const t = targetText(ctx);
      const { expr, negated } = unnegated(hit.alpha);
      const alphaSrc = atomText(ctx, expr);
      const alphaT = t ? `${negated ? '-' : ''}(${alphaSrc} * ${t} + (1 - ${alphaSrc}) * (1 - ${t}))` : undefined;
      const one = alphaIsOne(hit.alphaValue);
      ctx.report({
        span: hit.alpha.span,
        message: `scalar ${a} multiplies positives and negatives alike${one ? ' (a no-op at its default, a rescale for any other value)' : ''}: use alpha_t = alpha * t + (1 - alpha) * (1 - t)`,
        explanation: [
          `A binary focal loss balances positives against negatives with α_t = α for t = 1 and 1 − α for t = 0. Here one scalar (${a}) multiplies every element, so it only rescales the loss.`,
          ...(one ? ['With its default of 1 the factor does nothing; a caller who passes 0.25, as the paper does, gets a loss scaled by 0.25 instead of balanced positives.'] : []),
          'torchvision and fvcore compute `alpha_t = alpha * targets + (1 - alpha) * (1 - targets)` and multiply the loss by it.',
        ].join('\n\n'),
        // Replacing the factor in place is a fix only where it multiplies the loss in one expression.
        fix: alphaT && hit.product ? { title: `Use alpha_t: ${alphaT}`, edits: [replace(outerSpan(hit.alpha), alphaT)], applicability: 'unsafe' } : undefined,
      });
    }
  },
  docs: `# LL102 alpha-not-alpha-t

## What it does
Flags a sigmoid (binary, per-element) focal loss that multiplies the whole loss by a scalar \`alpha\`,
instead of weighting positives by \`alpha\` and negatives by \`1 - alpha\`. Not reported: a function
where \`1 - alpha\` weighs another part too (alpha_t written on separately reduced positive and
negative parts, or a mixing weight), and a weight on a whole focal loss already reduced and added to
another loss (\`bce + w * focal.mean()\`: a weight in a combination of losses).

${VALUE_SOURCES}

## Why is this bad?
RetinaNet's $\\alpha$-balanced focal loss is
$$\\mathrm{FL}(p_t) = -\\alpha_t\\,(1-p_t)^\\gamma\\log p_t,\\qquad \\alpha_t = \\alpha t + (1-\\alpha)(1-t).$$
With the same $\\alpha$ on both terms, the ratio between positive and negative weights stays 1: the
factor rescales the loss (and the learning rate) and balances nothing. With the paper's
$\\alpha = 0.25$ the positives were meant to get a third of the negatives' weight.

## Example
\`\`\`python
def sigmoid_focal(logits, targets, alpha=0.25, gamma=2.0):
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    return (alpha * (1 - p_t) ** gamma * ce).mean()
\`\`\`

## Use instead
\`\`\`python
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return (alpha_t * (1 - p_t) ** gamma * ce).mean()
\`\`\`
(the form of \`torchvision.ops.sigmoid_focal_loss\` and fvcore).

## Fix safety
The fix replaces \`alpha\` with \`(alpha * t + (1 - alpha) * (1 - t))\`, using the function's target
variable. It changes the loss's values (that is its point), so it is marked unsafe.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017, equation (5).
- torchvision \`ops/focal_loss.py\`; fvcore \`nn/focal_loss.py\`.
`,
});
