/** LL306 ignore-index-probe: a probe fed targets equal to the function's ignore index. */
export const LL306 = {
  meta: {
    code: 'LL306',
    name: 'ignore-index-probe',
    severity: 'warning' as const,
    summary: 'A numeric probe with ignored targets: the loss raises on them, or counts them in its mean',
    fixable: false,
  },
  docs: `## What it does

Runs when the function advertises an ignore index (it passes \`ignore_index=\` to a cross-entropy, as a
literal or a hyperparameter with a known value). It evaluates the loss on class-index targets where
every fourth target is that ignore index, and again on the same samples with those left out, and
reports when

- the function raises on the ignored targets (an index out of bounds: the ignore index used to gather,
  one-hot encode or index a per-class table), or
- the two losses differ: the ignored samples changed the loss, typically by staying in the denominator
  of a mean (the loss is 0.75 of the loss over the valid samples when a quarter is ignored).

## Why is this bad?

Targets equal to \`ignore_index\` (padding tokens, unlabelled pixels) must not change the loss.
PyTorch's \`cross_entropy\` gives them a loss of 0 and leaves them out of its mean; code around it that
indexes with the raw targets raises (\`IndexError\`, or a device-side assert on CUDA), and a \`.mean()\`
over every element scales the loss by the share of valid targets.

## Example

\`\`\`python
def focal(logits, target, gamma=2.0):
    ce = F.cross_entropy(logits, target, reduction="none", ignore_index=-100)
    return ((1 - torch.exp(-ce)) ** gamma * ce).mean()
\`\`\`

## Use instead

\`\`\`python
def focal(logits, target, gamma=2.0):
    ce = F.cross_entropy(logits, target, reduction="none", ignore_index=-100)
    loss = (1 - torch.exp(-ce)) ** gamma * ce
    return loss.sum() / (target != -100).sum().clamp(min=1)
\`\`\`

## Fix safety

No automatic fix (see LL116 for the static rule and its fix).

## References

- PyTorch docs, \`torch.nn.CrossEntropyLoss\` (\`ignore_index\`, and the weighted mean over non-ignored targets).
`,
};
