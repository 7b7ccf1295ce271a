/**
 * LL115 focal-mean-over-anchors: a sigmoid focal loss over anchors averaged with `.mean()` (or a
 * library focal loss with reduction='mean') in a function that counts the positive targets and
 * normalises another loss term by that count. RetinaNet divides the summed focal loss by the number of
 * positive anchors; the mean divides by every anchor and class, so the classification loss shrinks as
 * the anchor count grows and is out of scale with the box loss next to it.
 */
import type { RuleContext } from '../core/context';
import type { Call, Expr } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import type { Fix } from '../core/types';
import { defineRule } from '../core/rule';
import { reductionOf } from '../ops/table/losses';
import { atomText, frameworkOf, replace } from './fixes';
import { parents, stable } from './reading';

/** A divisor that is a count of positive targets, dividing a loss term (not another count: `neg / pos` is a ratio). */
function countDivisions(ctx: RuleContext): Expr[] {
  const out: Expr[] = [];
  for (const e of ctx.exprs()) {
    let num: Expr | undefined;
    let den: Expr | undefined;
    if (e.k === 'bin' && e.op === '/') [num, den] = [e.left, e.right];
    else if (e.k === 'call' && e.op?.id === 'div' && e.bound?.input && e.bound.other) [num, den] = [e.bound.input, e.bound.other];
    if (!num || !den) continue;
    const d = countOf(ctx, den);
    const n = ctx.valueOf(num);
    if (d && n && !n.posCount && n.m !== 'scalar') out.push(d);
  }
  return out;
}

/** The count expression inside a divisor: `num_pos`, `num_pos.clamp(min=1)`, `max(num_pos, 1)`, `torch.clamp(num_pos, min=1.0)`. */
function countOf(ctx: RuleContext, e: Expr): Expr | undefined {
  if (ctx.valueOf(e)?.posCount) return e;
  if (e.k === 'call') for (const a of [...e.args, ...Object.values(e.kwargs), ...(e.func.k === 'attr' ? [e.func.obj] : [])]) if (ctx.valueOf(a)?.posCount) return e;
  return undefined;
}

/** A per-element sigmoid focal loss value (hand-written: it has a modulating factor). */
function perAnchorFocal(v: AbsValue | undefined): boolean {
  return !!v && v.m === 'focal' && !v.reduced && !v.selected && v.act === 'sigmoid' && !!(v.focal?.modulating ?? v.focal?.terms?.some((t) => t.modulating));
}

function rescaled(ctx: RuleContext, call: Expr, parent: Map<Expr, Expr>): boolean {
  const p = parent.get(call);
  if (!p || p.k !== 'bin' || (p.op !== '/' && p.op !== '*')) return false;
  const other = p.left === call ? p.right : p.left;
  const ov = ctx.valueOf(other);
  return ov?.m !== 'scalar' || ov.values === undefined || !!ov.posCount;
}

export default defineRule({
  meta: {
    code: 'LL115',
    name: 'focal-mean-over-anchors',
    severity: 'warning',
    summary: 'A detection focal loss averaged over every anchor while the positives are counted: RetinaNet divides by the positive count',
    fixable: true,
  },
  check(ctx) {
    const counts = countDivisions(ctx);
    if (!counts.length) return;
    const parent = parents(ctx);
    const count = counts[0];
    for (const call of ctx.calls()) {
      let target: Expr | undefined;
      let library = false;
      if (call.op?.id === 'mean' && call.bound?.input && Object.keys(call.bound).length === 1 && perAnchorFocal(ctx.valueOf(call.bound.input))) target = call.bound.input;
      else if (call.op?.loss?.focal && call.op.loss.act === 'sigmoid' && call.bound && !call.splat && reductionOf({ has: (p) => !!call.bound![p], str: (p) => (call.bound![p] && ctx.valueOf(call.bound![p])?.m === 'string' ? ctx.valueOf(call.bound![p])!.str : call.spell?.defaults[p] as string | undefined), flag: () => undefined }) === 'mean') {
        library = true;
      } else continue;
      if (rescaled(ctx, call, parent)) continue;
      ctx.report({
        span: call.span,
        message: `\`${ctx.code(call.span)}\` averages the focal loss over every anchor and class, while \`${ctx.code(count.span)}\` counts the positives and normalises another loss term: RetinaNet divides the summed focal loss by the number of positive anchors`,
        explanation: [
          'In a dense detector almost every anchor is an easy negative whose focal loss is nearly 0. A mean divides the summed loss by all A × C anchor-class pairs, so the classification loss (and its gradient) shrinks as the number of anchors grows (a larger image, another FPN level), and its scale no longer matches the box loss, which this function already divides by the number of positives.',
          'Lin et al. (RetinaNet) normalise the total focal loss by the number of anchors assigned to a ground-truth box; torchvision\'s and detectron2\'s RetinaNet compute `sigmoid_focal_loss(..., reduction="sum") / max(1, num_foreground)`.',
        ].join('\n\n'),
        fix: library ? undefined : sumOverCount(ctx, call, target!, count),
      });
    }
  },
  docs: `# LL115 focal-mean-over-anchors

## What it does
Flags a per-element sigmoid focal loss reduced with \`.mean()\` (also \`torch.mean\`), or a library sigmoid
focal loss called with \`reduction="mean"\` (torchvision, fvcore, mmcv), **in a function that counts the
positive targets and divides another loss term by that count**: the shape of a detection loss (a
classification term over anchors next to a box-regression term). A count is a sum of a comparison of
the targets (\`(labels > 0).sum()\`, \`(t == 1).float().sum()\`) or of binary targets (\`t.sum()\`); a ratio of
two counts (\`num_neg / num_pos\`, a \`pos_weight\`) is not a normalisation. A mean that is immediately
divided or multiplied by something is left alone.

## Why is this bad?
RetinaNet's focal loss is summed over all anchors and divided by the number of anchors assigned to a
ground-truth box. Most anchors are easy background with a loss near 0, so \`.mean()\` divides by a
number that grows with the image size and the anchor count, not with the number of objects: the
classification loss becomes tiny and its balance against the box loss (normalised by the positives)
changes with the input resolution. The numeric probe LL307 shows it: it adds easy background anchors to
the probe inputs and reports how much the loss shrinks.

## Example
\`\`\`python
def detection_loss(cls_logits, cls_targets, box_pred, box_targets, pos_mask, gamma=2.0, alpha=0.25):
    num_pos = (cls_targets > 0).sum().clamp(min=1)
    p = torch.sigmoid(cls_logits)
    ce = F.binary_cross_entropy_with_logits(cls_logits, cls_targets, reduction="none")
    p_t = p * cls_targets + (1 - p) * (1 - cls_targets)
    a_t = alpha * cls_targets + (1 - alpha) * (1 - cls_targets)
    cls_loss = (a_t * (1 - p_t) ** gamma * ce).mean()
    box_loss = F.smooth_l1_loss(box_pred[pos_mask], box_targets[pos_mask], reduction="sum") / num_pos
    return cls_loss + box_loss
\`\`\`

## Use instead
\`\`\`python
    cls_loss = (a_t * (1 - p_t) ** gamma * ce).sum() / num_pos
\`\`\`

## Fix safety
The fix replaces the mean by the sum divided by the count the function already uses. It changes the
scale of the classification loss (by the number of anchors per positive), so it is marked unsafe and
the learning rate or loss weights may need retuning.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017, section 4: "the total focal loss of an
  image is computed as the sum of the focal loss over all ~100k anchors, normalized by the number of
  anchors assigned to a ground-truth box".
- torchvision \`models/detection/retinanet.py\` and detectron2 \`modeling/meta_arch/retinanet.py\`:
  \`sigmoid_focal_loss(..., reduction="sum") / max(1, num_foreground)\`.
`,
});

function sumOverCount(ctx: RuleContext, call: Call, input: Expr, count: Expr): Fix | undefined {
  if (frameworkOf(ctx) !== 'torch') return undefined;
  const names = [count, ...(count.k === 'call' ? [...count.args, ...(count.func.k === 'attr' ? [count.func.obj] : [])] : [])].filter((e) => e.k === 'name' || e.k === 'attr');
  if (!names.every((e) => stable(ctx, e))) return undefined;
  const text = `${atomText(ctx, input)}.sum() / ${atomText(ctx, count)}`;
  return { title: 'Divide the summed loss by the number of positives', edits: [replace(call.span, `(${text})`)], applicability: 'unsafe' };
}
