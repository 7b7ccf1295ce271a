/** LL304 not-ce-at-gamma-zero: at gamma = 0 the loss is not (a multiple of) cross-entropy. */
export const LL304 = {
  meta: {
    code: 'LL304',
    name: 'not-ce-at-gamma-zero',
    severity: 'warning' as const,
    summary: 'With gamma = 0 (and alpha neutral) the loss does not reduce to cross-entropy',
    fixable: false,
  },
  docs: `## What it does

Sets \`gamma = 0\` (and alpha to a neutral value) and compares the gradient of the loss with respect
to the logits against the gradient of plain cross-entropy of the same formulation (softmax
cross-entropy, or binary cross-entropy with logits for sigmoid losses), allowing one positive scale
factor for mean vs sum reductions. It reports the largest relative difference when they disagree.

## Why is this bad?

A focal loss is cross-entropy times a modulating factor \`(1 - p_t) ** gamma\`; at \`gamma = 0\`
the factor is 1 and the loss must be cross-entropy. When it is not, the formula is wrong
somewhere else: the log-probabilities of every class are summed instead of the target's, the sign
is flipped, or \`p_t\` was taken from a reduced (batch-mean) cross-entropy.

## Example

\`\`\`python
def focal_loss(logits, labels_onehot, alpha=0.25, gamma=2.0):
    log_p = F.log_softmax(logits, dim=1)
    pt = labels_onehot * log_p
    return (-alpha * (1 - pt) ** gamma * log_p).mean()
\`\`\`

## Use instead

\`\`\`python
def focal_loss(logits, labels_onehot, alpha=0.25, gamma=2.0):
    log_pt = (labels_onehot * F.log_softmax(logits, dim=1)).sum(dim=1)
    pt = log_pt.exp()
    return (-(1 - pt) ** gamma * log_pt).mean()
\`\`\`

## Fix safety

No automatic fix.

## References

- Lin et al., Focal Loss for Dense Object Detection, equation (4): FL = CE when gamma = 0
- Zhihu article "FocalLoss详解" (the common one-hot * log_softmax mistake)
`,
};
