/**
 * LL101 scalar-alpha-softmax: a softmax (cross-entropy) focal loss multiplied by one scalar alpha.
 * Every sample and every class gets the same factor, so alpha only rescales the loss (and the
 * learning rate); it balances nothing.
 */
import type { RuleContext } from '../core/context';
import { defineRule } from '../core/rule';
import { VALUE_SOURCES } from './sources';
import { alphaIsOne, alphaText, scalarAlphaProducts, unnegated } from './alpha';
import { outerSpan, replace } from './fixes';


const EXPLANATION = (a: string) =>
  [
    `In a softmax focal loss FL = −α · (1 − pt)^γ · log(pt), a single scalar α (${a}) multiplies **every** sample, whatever its class.`,
    'A constant factor does not change which examples weigh more; it only scales the loss and therefore the effective learning rate. The α of the RetinaNet paper balances classes, so in the multi-class case it has to depend on the target class: α_t = alpha[target].',
  ].join('\n\n');

/** Why a hyperparameter alpha whose default is 1 is still reported (the rule page's decision). */
const ONE = 'With its default of 1 the factor does nothing; every caller who sets alpha to balance classes (0.25, as the paper) only rescales the loss and the learning rate. Make alpha a per-class vector indexed by the target, or remove it.';

function checkLibrary(ctx: RuleContext): void {
  for (const call of ctx.calls()) {
    // Softmax library focal losses whose scalar alpha multiplies every class.
    if (call.op?.loss?.focal?.alpha !== 'scalar_all' || !call.bound?.alpha) continue;
    const a = ctx.valueOf(call.bound.alpha);
    if (!a || a.m !== 'scalar' || (a.values?.length === 1 && a.values[0] === 1)) continue;
    const name = call.callee?.split('.').pop() ?? call.op.id;
    ctx.report({
      span: call.bound.alpha.span,
      message: `scalar ${alphaText(a)} passed to \`${name}\` multiplies every class alike: a constant scale, not class balancing`,
      explanation: `${EXPLANATION(alphaText(a))}\n\n\`${name}\` applies a scalar alpha to all classes; pass a per-class list (one weight per class) instead.`,
    });
  }
}

export default defineRule({
  meta: {
    code: 'LL101',
    name: 'scalar-alpha-softmax',
    severity: 'warning',
    summary: 'A softmax focal loss multiplied by one scalar alpha: a constant scale, no class balancing',
    fixable: true,
  },
  check(ctx) {
    for (const hit of scalarAlphaProducts(ctx, 'softmax')) {
      const a = alphaText(hit.alphaValue);
      const { negated } = unnegated(hit.alpha);
      const rest = hit.rest && ctx.text(outerSpan(hit.rest));
      const kept = rest && (negated ? `-${rest}` : rest);
      ctx.report({
        span: hit.alpha.span,
        message: alphaIsOne(hit.alphaValue)
          ? `scalar ${a} multiplies a softmax focal loss: a no-op at its default, and any other value only rescales the loss`
          : `scalar ${a} multiplies a softmax focal loss: every class gets the same weight, so alpha only rescales the loss`,
        explanation: alphaIsOne(hit.alphaValue) ? `${EXPLANATION(a)}\n\n${ONE}` : EXPLANATION(a),
        fix:
          hit.product && kept
            ? {
                title: 'Drop the scalar alpha (it only rescales the loss)',
                edits: [replace(outerSpan(hit.product), hit.product.paren ? `(${kept})` : kept)],
                applicability: 'unsafe',
              }
            : undefined,
      });
    }
    checkLibrary(ctx);
  },
  docs: `# LL101 scalar-alpha-softmax

## What it does
Flags a softmax (cross-entropy based) focal loss multiplied by a single scalar \`alpha\`, as in the
widely copied snippet \`alpha * (1 - pt) ** gamma * ce_loss\` with \`ce_loss = F.cross_entropy(...)\`, and
a scalar \`alpha\` passed to a softmax-based library focal loss that applies it to every class
(mmcv's \`softmax_focal_loss\`, Keras \`CategoricalFocalCrossentropy\`).

${VALUE_SOURCES}

## Why is this bad?
In the RetinaNet paper, $\\alpha$ balances positives against negatives:
$\\alpha_t = \\alpha$ for the positive class and $1-\\alpha$ for the negatives. In a softmax loss every
sample has exactly one target class, so a scalar $\\alpha$ multiplies every sample by the same
number:

$$\\mathrm{FL} = -\\alpha\\,(1-p_t)^\\gamma \\log p_t.$$

A constant factor changes no relative weight; it scales the loss and with it the effective learning
rate (by 4x fewer for $\\alpha = 0.25$). Users believe they are balancing classes when they are not. The
PyTorch issue thread in \`shared/seeds/\` discusses exactly this.

## Example
\`\`\`python
def focal_loss(logits, targets, alpha=0.25, gamma=2.0):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return (alpha * (1 - pt) ** gamma * ce).mean()
\`\`\`

## Use instead
A per-class weight indexed by each sample's target:
\`\`\`python
def focal_loss(logits, targets, alpha, gamma=2.0):
    # alpha: tensor of shape [num_classes]
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return (alpha[targets] * (1 - pt) ** gamma * ce).mean()
\`\`\`
or no alpha at all.

### A hyperparameter alpha whose default is 1
\`def __init__(self, alpha=1, gamma=2): ... self.alpha * (1 - pt) ** self.gamma * ce\` is reported too.
At its default the factor is a no-op, but alpha is a parameter so that callers change it, and every
value a caller passes (0.25, as in the paper) only rescales the loss: the construct cannot balance
classes. What a constant factor is meant to be is read from its name: a hyperparameter named like a
scale (\`loss_weight\`, \`weight\`, \`scale\`, \`lambda\`, \`coef\`, \`factor\`) is a scale by intent and is
not reported; a literal \`1 *\` is no factor at all. The same holds for LL102.

## Fix safety
The quick fix removes the scalar factor (when alpha multiplies the loss in the same expression; an
alpha applied statements earlier, \`logpt *= alpha\`, is reported there without a fix). That keeps the loss's gradients' direction and changes their
scale, so it is marked unsafe: the learning rate may need retuning. Indexing a per-class alpha needs
the class weights, which only the user knows.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017, section 3.1–3.2.
- The PyTorch issue thread on a multi-class focal loss (\`shared/seeds/\`).
- \`shared/recipes/reference-implementations.md\`: Keras \`CategoricalFocalCrossentropy\` and mmcv's softmax kernel apply a scalar alpha to all classes; kornia and MONAI use \`[1 - alpha, alpha, ...]\`.
`,
});
