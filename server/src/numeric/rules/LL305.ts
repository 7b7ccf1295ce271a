/** LL305 reference-differs: the loss differs from the canonical focal loss of its formulation. */
export const LL305 = {
  meta: {
    code: 'LL305',
    name: 'reference-differs',
    severity: 'info' as const,
    summary: 'The loss differs from the canonical focal loss of its formulation (torchvision/fvcore sigmoid, per-class-alpha softmax)',
    fixable: false,
  },
  docs: `## What it does

Compares the function, at its own gamma and alpha, with the canonical focal loss of the same
formulation on the same probe inputs: for sigmoid losses the torchvision / fvcore formula
(\`alpha_t * (1 - p_t) ** gamma * BCE-with-logits\`), for softmax losses
\`-alpha[t] * (1 - p_t) ** gamma * log p_t\` with per-class alpha. It compares gradients with respect to
the logits after fitting one positive scale factor (mean vs sum reductions), and reports the
largest relative difference. A function without a gamma parameter is compared at gamma 2 when
something says it is a focal loss (its name, a focal op it calls, a modulating factor the abstract
facts see), else at gamma 0, the cross-entropy of its formulation. It runs only where something says
the function computes a cross-entropy or a focal loss (a loss op, such a name, a meaning the facts
see; a logarithm alone is none: a KL divergence takes one): a dice, a triplet or a smooth L1 loss is
not compared with either, and neither is a loss whose probed value of a required parameter was
assumed among several the code treats differently.

## Why is this bad?

It is not always a bug: there are deliberate variants (label smoothing, normalisation by the
number of positives, background-class alpha). But an unexplained difference from the reference is
worth a look, and the number tells you how far the two are apart.

## Example

\`\`\`python
def focal_loss(logits, targets, gamma=2.0):
    p = torch.sigmoid(logits)
    p_t = p * targets + (1 - p) * (1 - targets)
    return ((1 - p_t) ** gamma).mean()     # no cross-entropy factor
\`\`\`

## Use instead

\`\`\`python
from torchvision.ops import sigmoid_focal_loss
loss = sigmoid_focal_loss(logits, targets, alpha=0.25, gamma=2.0, reduction="mean")
\`\`\`

## Fix safety

No automatic fix; this finding is informational.

## References

- torchvision.ops.sigmoid_focal_loss (pytorch/vision torchvision/ops/focal_loss.py)
- fvcore.nn.sigmoid_focal_loss (facebookresearch/fvcore fvcore/nn/focal_loss.py)
- pytorch/vision#3250 (multi-class focal loss)
`,
};
