/** LL301 non-finite-gradient: a numeric probe found NaN or infinite gradients w.r.t. the logits. */
export const LL301 = {
  meta: {
    code: 'LL301',
    name: 'non-finite-gradient',
    severity: 'warning' as const,
    summary: 'A numeric probe found NaN or infinite gradients with respect to the logits',
    fixable: false,
  },
  docs: `## What it does

Runs the loss on seeded probe inputs (typical logits, and confident logits where the target logit
leads by 10, 30 and 100) and differentiates it with respect to the logits, with PyTorch's backward
formulas. It reports when any gradient entry is NaN or infinite, with the number of samples hit,
the probe and the hyperparameters, e.g. "gradient is NaN for 4096 of 4096 samples when the target
logit leads by 30 (gamma=0.5)". When \`gamma\` is a parameter, it also sweeps gamma over
0.25, 0.5, 1, 2 and 5.

## Why is this bad?

One NaN gradient entry poisons the whole optimizer step: every weight it reaches becomes NaN and
training silently diverges. The classic cause is \`(1 - p_t) ** gamma\` with \`0 < gamma < 1\`: its
derivative \`gamma * (1 - p_t) ** (gamma - 1)\` is infinite when the model is confident
(\`p_t == 1\` in float32), and infinity times the zero derivative of \`p_t\` is NaN.

## Example

\`\`\`python
def focal_loss(logits, targets, gamma=0.5):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return ((1 - pt) ** gamma * ce).mean()
\`\`\`

## Use instead

\`\`\`python
def focal_loss(logits, targets, gamma=0.5, eps=1e-6):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return ((1 - pt).clamp(min=eps) ** gamma * ce).mean()
\`\`\`

or compute the modulating factor in log space, \`torch.exp(gamma * torch.log1p(-pt.clamp(max=1 - eps)))\`.

## Fix safety

No automatic fix: the right guard depends on the formulation.

## References

- pytorch/vision#3250, comment by Nuno-Mota: NaN with 0 < gamma < 1 and confident predictions
- optax issue #1267 and PR #1346 (clamping 1 - p_t)
- MONAI FocalLoss (log-space sigmoid path)
`,
};
