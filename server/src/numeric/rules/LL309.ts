/** LL309 hard-example-gradient-probe: a probe on examples the model gets badly wrong. */
export const LL309 = {
  meta: {
    code: 'LL309',
    name: 'hard-example-gradient-probe',
    severity: 'warning' as const,
    summary: 'A numeric probe: the gradient is exactly zero for hard examples (a clamp stops their learning)',
    fixable: false,
  },
  docs: `## What it does

Evaluates the loss and its gradient on hard examples: the target logit trails every other logit by 30
(softmax), or every logit sits 30 or more on the wrong side of 0 (sigmoid). It reports when the
gradient row of most of those samples is exactly zero while typical inputs have a gradient: something
in the loss (usually \`log(p.clamp(min=eps))\`, or a clamp of p_t) is constant for them.

## Why is this bad?

These are the examples the model gets most wrong; a focal loss exists to focus on them. With a zero
gradient they stop learning, however large their loss. \`F.logsigmoid\` and \`F.log_softmax\` compute
the same log-probability without a clamp, with a gradient for every logit.

## Example

\`\`\`python
p = torch.sigmoid(logits)
loss = -(t * torch.log(p.clamp(min=1e-6)) + (1 - t) * torch.log((1 - p).clamp(min=1e-6)))
\`\`\`

## Use instead

\`\`\`python
loss = -(t * F.logsigmoid(logits) + (1 - t) * F.logsigmoid(-logits))
\`\`\`

## Fix safety

No automatic fix (see LL204 for the static rule and its fix).

## References

- PyTorch docs, \`torch.clamp\` (zero gradient outside the bounds), \`logsigmoid\`, \`log_softmax\`.
`,
};
