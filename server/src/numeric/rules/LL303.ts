/** LL303 alpha-only-rescales: changing alpha scales every gradient entry by the same factor. */
export const LL303 = {
  meta: {
    code: 'LL303',
    name: 'alpha-only-rescales',
    severity: 'warning' as const,
    summary: 'Changing alpha only rescales the loss; it does not reweight classes or positives vs negatives',
    fixable: false,
  },
  docs: `## What it does

Runs the loss twice on the same probe inputs with two values of \`alpha\` (0.25 and 0.75) and
compares the gradients with respect to the logits entry by entry. When every entry changes by the
same factor, alpha is a constant multiplier of the whole loss: it cannot balance classes, or
positives against negatives, which is what the focal loss paper's alpha is for.

## Why is this bad?

A scalar \`alpha\` multiplying a softmax focal loss (\`alpha * (1 - pt) ** gamma * ce\`) is just a
learning-rate change. Users tune it believing it rebalances rare classes; it does nothing of the
sort. In the paper, alpha is \`alpha_t\`: \`alpha\` for positives and \`1 - alpha\` for negatives of
each binary (sigmoid) classifier; for softmax it must be a per-class weight vector indexed by the
target.

## Example

\`\`\`python
def focal_loss(logits, targets, alpha=0.25, gamma=2.0):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return (alpha * (1 - pt) ** gamma * ce).mean()
\`\`\`

## Use instead

\`\`\`python
def focal_loss(logits, targets, alpha, gamma=2.0):
    # alpha: tensor of per-class weights, shape [C]
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return (alpha[targets] * (1 - pt) ** gamma * ce).mean()
\`\`\`

or use the sigmoid formulation with \`alpha_t = alpha * t + (1 - alpha) * (1 - t)\`
(torchvision.ops.sigmoid_focal_loss).

## Fix safety

No automatic fix: the per-class weights are a modelling decision.

## References

- Lin et al., Focal Loss for Dense Object Detection (alpha_t, section 3.1)
- pytorch/vision#3250 (alpha_t is not defined for the multi-class case)
- Zhihu article "FocalLoss详解" (alpha multiplied in front only rescales the loss)
`,
};
