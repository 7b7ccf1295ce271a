/** LL307 anchor-count-probe: a probe that adds easy background anchors to a detection focal loss. */
export const LL307 = {
  meta: {
    code: 'LL307',
    name: 'anchor-count-probe',
    severity: 'warning' as const,
    summary: 'A numeric probe: adding easy background anchors shrinks the detection loss (a mean over anchors)',
    fixable: false,
  },
  docs: `## What it does

For a sigmoid loss with binary targets that returns one number, evaluates it on typical inputs and
again with as many easy background samples appended (every logit -12, every target 0: their focal loss
is about 0). A loss normalised by the number of positives barely moves; a mean over every anchor is
halved. The ratio is shown in the probe table for every such function; it is a finding only when the
function also counts its positive targets and divides another loss term by that count (the shape of a
detection loss, LL115), because for a classification loss a mean is the right reduction.

## Why is this bad?

RetinaNet normalises the summed focal loss by the number of positive anchors. A mean divides by every
anchor, so the loss, and its gradient, shrink as the image or the anchor set grows, and the balance with
the box loss (normalised by the positives) moves with the input resolution.

## Example

\`\`\`python
def cls_loss(cls_logits, cls_targets, gamma=2.0):
    num_pos = cls_targets.sum().clamp(min=1)
    p = torch.sigmoid(cls_logits)
    ce = F.binary_cross_entropy_with_logits(cls_logits, cls_targets, reduction="none")
    p_t = p * cls_targets + (1 - p) * (1 - cls_targets)
    box = (cls_logits.abs() * cls_targets).sum() / num_pos
    return ((1 - p_t) ** gamma * ce).mean() + box
\`\`\`

## Use instead

\`\`\`python
    return ((1 - p_t) ** gamma * ce).sum() / num_pos + box
\`\`\`

## Fix safety

No automatic fix (see LL115).

## References

- Lin et al., *Focal Loss for Dense Object Detection*, 2017, section 4 (normalisation by the number of
  anchors assigned to a ground-truth box).
`,
};
