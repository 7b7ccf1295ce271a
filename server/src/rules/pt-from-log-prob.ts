/**
 * LL105 pt-from-log-prob: `1 - pt` where "pt" holds log-probabilities (onehot * log_softmax summed
 * over classes, or log_softmax gathered at the target), so the modulating factor is built from
 * log pt in (-inf, 0] instead of pt in [0, 1].
 */
import { defineRule } from '../core/rule';
import { frameworkOf, localName, outerSpan, replace, torchName } from './fixes';

export default defineRule({
  meta: {
    code: 'LL105',
    name: 'pt-from-log-prob',
    severity: 'error',
    summary: 'pt taken from log-probabilities: `1 - log pt` is not `1 - pt`',
    fixable: true,
  },
  check(ctx) {
    for (const e of ctx.exprs()) {
      if (e.k !== 'bin' || e.op !== '-') continue;
      const v = ctx.valueOf(e);
      if (!v || v.m !== 'one_minus_pt' || !v.fromLogProb) continue;
      const fw = frameworkOf(ctx);
      const exp = fw === 'torch' ? `${torchName(ctx)}.exp` : fw === 'keras' ? `${localName(ctx, ['tensorflow.keras.backend', 'keras.backend']) ?? 'K'}.exp` : `${localName(ctx, 'tensorflow') ?? 'tf'}.exp`;
      const inner = ctx.text(outerSpan(e.right));
      const fixed = `${exp}(${inner.startsWith('(') && inner.endsWith(')') ? inner.slice(1, -1) : inner})`;
      ctx.report({
        span: e.span,
        message: `\`${ctx.code(e.span)}\` subtracts a log-probability from 1: pt must be the probability exp(log pt)`,
        explanation: [
          'The focal term is (1 − pt)^γ with pt = p(true class) ∈ [0, 1]. This value is log pt ∈ (−∞, 0], so 1 − log pt ∈ [1, ∞): the factor grows for hard examples without bound and is ≥ 1 for every sample, the opposite of focusing.',
          `Take pt = exp(log pt) first: \`1 - ${fixed}\`.`,
        ].join('\n\n'),
        fix: { title: `Use the probability: 1 - ${fixed}`, edits: [replace(outerSpan(e.right), fixed)], applicability: 'unsafe' },
      });
    }
  },
  docs: `# LL105 pt-from-log-prob

## What it does
Flags \`1 - pt\` where \`pt\` holds log-probabilities, typically
\`pt = (one_hot * F.log_softmax(logits, 1)).sum(1)\` or \`logpt = F.log_softmax(x).gather(1, t)\` used as pt.

## Why is this bad?
$p_t \\in [0, 1]$ but $\\log p_t \\in (-\\infty, 0]$. With the log in its place,
$1 - \\log p_t \\ge 1$ for every sample and grows without bound as the sample gets harder: the
"modulating factor" amplifies every sample instead of down-weighting the easy ones, and with
$\\gamma > 1$ it can overflow.

## Example
\`\`\`python
def focal(logits, targets, gamma=2.0):
    onehot = F.one_hot(targets, logits.shape[1]).float()
    logpt = (onehot * F.log_softmax(logits, dim=1)).sum(dim=1)
    return (-(1 - logpt) ** gamma * logpt).mean()
\`\`\`

## Use instead
\`\`\`python
    logpt = (onehot * F.log_softmax(logits, dim=1)).sum(dim=1)
    pt = torch.exp(logpt)
    return (-(1 - pt) ** gamma * logpt).mean()
\`\`\`

## Fix safety
The fix wraps the log-probability in \`exp\`. It changes the loss's values (that is its point): unsafe.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017, equations (2)–(4).
- The PyTorch focal-loss issue thread (\`shared/seeds/\`).
`,
});
