/** LL302 non-finite-loss: a numeric probe found a NaN or infinite loss value. */
export const LL302 = {
  meta: {
    code: 'LL302',
    name: 'non-finite-loss',
    severity: 'warning' as const,
    summary: 'A numeric probe found a NaN or infinite loss value',
    fixable: false,
  },
  docs: `## What it does

Evaluates the loss on seeded probe inputs (typical logits with standard deviation 1 and 5, and
confident logits where the target logit leads by 10, 30 and 100) and reports when the loss itself is
NaN or infinite, with the number of non-finite elements and the probe that produced them.

## Why is this bad?

A loss that overflows to infinity or becomes NaN on inputs a real model produces (confident or
badly wrong predictions) stops training or corrupts the running averages you log. The usual causes
are \`log(softmax(x))\` or \`log(sigmoid(x))\` instead of \`log_softmax\` / \`logsigmoid\`: the
probability underflows to 0 and its log is \`-inf\`.

## Example

\`\`\`python
def focal_loss(logits, targets, gamma=2.0):
    p = torch.sigmoid(logits)
    ce = -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p))
    p_t = p * targets + (1 - p) * (1 - targets)
    return ((1 - p_t) ** gamma * ce).mean()
\`\`\`

## Use instead

\`\`\`python
def focal_loss(logits, targets, gamma=2.0):
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    return ((1 - p_t) ** gamma * ce).mean()
\`\`\`

## Fix safety

No automatic fix.

## References

- torchvision.ops.sigmoid_focal_loss (computes CE with binary_cross_entropy_with_logits)
- PyTorch documentation: torch.nn.functional.log_softmax, logsigmoid
`,
};
