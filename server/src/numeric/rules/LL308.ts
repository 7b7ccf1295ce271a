/** LL308 sample-mixing-probe: a probe that watches the shapes of every broadcasting operation. */
export const LL308 = {
  meta: {
    code: 'LL308',
    name: 'sample-mixing-probe',
    severity: 'error' as const,
    summary: 'A numeric probe saw an operation broadcast [N, 1] with [N] into [N, N]: the samples are mixed',
    fixable: false,
  },
  docs: `## What it does

Evaluates the loss on a small probe batch (N = 7 samples, so that N differs from the class count) and
records the operand and result shapes of every broadcasting arithmetic operation. It reports an
operation whose result has two axes of size N although each operand had one: a per-sample tensor of
shape [N, 1] met one of shape [N], as in \`(1 - pt) ** gamma * ce\` with \`pt\` from
\`gather(1, t.unsqueeze(1))\`. The evidence names the line and the shapes.

## Why is this bad?

The [N, N] result pairs every sample's factor with every other sample's term; a final \`.mean()\` hides
the shape and the loss is a plausible number. Its value and gradient are not the loss's: each
sample's gradient depends on every other sample's target. At the probes' usual 4096 samples the
[N, N] intermediate also exceeds the checker's element cap, which is why the other probes may report
"not checked".

## Example

\`\`\`python
ce = F.cross_entropy(logits, target, reduction="none")
pt = torch.softmax(logits, dim=1).gather(1, target.unsqueeze(1))
loss = ((1 - pt) ** gamma * ce).mean()
\`\`\`

## Use instead

\`\`\`python
pt = torch.softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
\`\`\`

## Fix safety

No automatic fix (see LL117 for the static rule and its fix).

## References

- PyTorch docs, *Broadcasting semantics*.
- kornia issue #1308 (a focal loss computed pairwise along the batch).
`,
};
