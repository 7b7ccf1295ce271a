/**
 * LL112 alpha-on-negatives: alpha_t written the other way round, `alpha * (1 - t) + (1 - alpha) * t`
 * (or `where(t == 1, 1 - alpha, alpha)`, or two terms with alpha on the negative one), with an alpha
 * below 0.5 known in the file (RetinaNet's 0.25). Every library that takes an `alpha` (torchvision,
 * fvcore, Keras, TF Addons, kornia, mmdet) weighs the positives by it: here a caller who passes the
 * paper's 0.25 gives the positives 0.75.
 */
import type { RuleContext } from '../core/context';
import type { Expr } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import { isTargetish } from '../core/algebra';
import { defineRule } from '../core/rule';
import type { Fix } from '../core/types';
import { replace } from './fixes';
import { exprWithSpan, focalProducts, ownsSpan, useOf } from './focal-sites';

/** The alpha hyperparameter of a focal product's alpha_t and whether it weighs the negatives. */
function sideOfAlpha(parts: NonNullable<AbsValue['focal']>): { alpha: AbsValue; onNeg: boolean; site?: AbsValue } | undefined {
  const a = parts.alpha;
  if (a?.kind !== 'alpha_t') return undefined;
  if (a.value.m === 'alpha_t' && a.value.of) return { alpha: a.value.of, onNeg: !!a.value.alphaOnNeg, site: a.value };
  if (a.value.m === 'scalar') return { alpha: a.value, onNeg: !!a.onNeg };
  return undefined;
}

/** The known values of alpha below 0.5 (with the sign of the hyperparameter itself). */
function smallValues(alpha: AbsValue): number[] {
  const vs = (alpha.values ?? []).map((x) => (alpha.negOf !== undefined ? -x : x));
  return vs.filter((x) => x > 0 && x < 0.5);
}

/** The fix: swap what the two sides are multiplied by (the masks of `a * (1 - t) + (1 - a) * t`, or where()'s branches). */
function swapFix(ctx: RuleContext, e: Expr | undefined): Fix | undefined {
  if (!e) return undefined;
  let pair: [Expr, Expr] | undefined;
  if (e.k === 'call' && e.op?.id === 'where' && e.bound?.input && e.bound.other) pair = [e.bound.input, e.bound.other];
  else if (e.k === 'bin' && e.op === '+' && e.left.k === 'bin' && e.left.op === '*' && e.right.k === 'bin' && e.right.op === '*') {
    const mask = (p: Extract<Expr, { k: 'bin' }>): Expr | undefined => {
      const l = ctx.valueOf(p.left);
      const r = ctx.valueOf(p.right);
      return l && isTargetish(l) ? p.left : r && isTargetish(r) ? p.right : undefined;
    };
    const m1 = mask(e.left as Extract<Expr, { k: 'bin' }>);
    const m2 = mask(e.right as Extract<Expr, { k: 'bin' }>);
    if (m1 && m2) pair = [m1, m2];
  }
  if (!pair) return undefined;
  const [x, y] = pair;
  const tx = ctx.text(x.paren ?? x.span);
  const ty = ctx.text(y.paren ?? y.span);
  return {
    title: 'Weigh the positives by alpha, as RetinaNet: swap the two sides',
    edits: [replace(x.paren ?? x.span, ty), replace(y.paren ?? y.span, tx)],
    applicability: 'unsafe',
  };
}

export default defineRule({
  meta: {
    code: 'LL112',
    name: 'alpha-on-negatives',
    severity: 'warning',
    summary: 'alpha_t weighs the negatives by alpha and the positives by 1 - alpha, the reverse of RetinaNet, with alpha < 0.5',
    fixable: true,
  },
  check(ctx) {
    const done = new Set<number>();
    for (const { value } of focalProducts(ctx)) {
      const parts = value.focal!;
      if (!parts.ce) continue;
      const side = sideOfAlpha(parts);
      if (!side?.onNeg) continue;
      const small = smallValues(side.alpha);
      if (!small.length) continue;
      const span = side.site?.src && ownsSpan(ctx, side.site.src) ? side.site.src : side.site ? undefined : useOf(ctx, side.alpha)?.span;
      if (!span || done.has(span.s)) continue;
      done.add(span.s);
      const a = small[0];
      const name = side.alpha.name && !side.alpha.name.includes(' ') ? side.alpha.name : 'alpha';
      ctx.report({
        span,
        message: `alpha_t weighs the negatives by ${name}=${a} and the positives by ${+(1 - a).toFixed(6)}: the reverse of RetinaNet's alpha_t, where ${name} weighs the positives`,
        explanation: [
          `RetinaNet's α-balanced focal loss weighs positives by α and negatives by 1 − α: α_t = α·t + (1 − α)·(1 − t), with α = 0.25 (Lin et al. 2017, eq. 5 and table 1a).`,
          `Here the sides are swapped, so ${name}=${a} gives the positives ${+(1 - a).toFixed(6)} and the negatives ${a}. Every library that takes an alpha (torchvision, fvcore, Keras's BinaryFocalCrossentropy, TF Addons, kornia, mmdet) weighs the positives by it: a caller who passes the paper's 0.25 here gets three times the weight on the positives instead of a third.`,
          'If alpha is meant as the weight of the negatives, rename it and give it the value you mean (0.75 reproduces RetinaNet); otherwise swap the sides.',
        ].join('\n\n'),
        fix: swapFix(ctx, side.site?.src ? exprWithSpan(ctx, side.site.src) : undefined),
      });
    }
  },
  docs: `# LL112 alpha-on-negatives

## What it does
Flags an α-balanced focal loss whose alpha_t weighs the **negatives** by \`alpha\` and the positives by
\`1 - alpha\` (\`alpha * (1 - t) + (1 - alpha) * t\`, \`where(t == 1, 1 - alpha, alpha)\`, or the two
terms written out with \`alpha\` on the negative one) when a value of \`alpha\` below 0.5 is known in the
file (its default, or a value passed at a call site): RetinaNet's 0.25 applied to the wrong side.
It stays silent when the known values are 0.5 or more (0.75 on the negatives is RetinaNet's weighting,
written with the other convention), when alpha's value is not known, and on alpha_t written the usual way.

## Why is this bad?
The α-balanced focal loss is $-\\alpha_t(1-p_t)^\\gamma\\log p_t$ with $\\alpha_t = \\alpha$ for positives and
$1-\\alpha$ for negatives (Lin et al. 2017, eq. 5); the paper's best $\\alpha$ is 0.25 (table 1a), which
*down*-weights the rare positives because the modulating factor already silences the easy negatives.
Every library with an \`alpha\` parameter follows that convention (torchvision's \`sigmoid_focal_loss\`:
"weighting factor in range (0,1) to balance positive vs negative examples"; fvcore; Keras's
\`BinaryFocalCrossentropy\`: "the weight for class 1"; TF Addons; kornia; mmdet). With the sides swapped,
\`alpha=0.25\` gives the positives 0.75 and the negatives 0.25: a caller who copies the paper's value
trains with the opposite balance, nine times the paper's ratio.

## Example
\`\`\`python
def focal(logits, targets, alpha=0.25, gamma=2.0):
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    alpha_t = alpha * (1 - targets) + (1 - alpha) * targets
    return (alpha_t * (1 - p_t) ** gamma * ce).mean()
\`\`\`

## Use instead
\`\`\`python
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
\`\`\`

## Fix safety
The fix swaps the two sides (the masks of the two products, or the branches of \`where\`). It changes
the loss's values, and alpha may have been meant as the negatives' weight: it is marked unsafe.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017, equation (5) and table 1(a).
- torchvision \`ops/focal_loss.py\`; fvcore \`nn/focal_loss.py\`; Keras \`BinaryFocalCrossentropy\` (\`alpha\`: the weight for class 1).
`,
});
