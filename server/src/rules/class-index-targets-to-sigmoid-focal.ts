/**
 * LL106 class-index-targets-to-sigmoid-focal: a sigmoid focal loss or BCE-with-logits receives
 * the integer class indices that the same code uses as class indices elsewhere (a cross-entropy
 * target, a one_hot input, a gather index). Sigmoid losses need float one-hot targets.
 */
import type { RuleContext } from '../core/context';
import { stripCasts } from '../core/interp';
import type { Expr } from '../core/ir';
import { defineRule } from '../core/rule';
import { appliedOps, targetEncoding } from './applied';
import { atomText, functionalName, outerSpan, replace } from './fixes';

/** The name a target expression reads, through casts and reshapes (`t.long().view(-1)` -> t). */
function baseName(e: Expr | undefined): string | undefined {
  const x = e && stripCasts(e);
  return x?.k === 'name' ? x.id : undefined;
}

/**
 * Whether every use of the target's name as an index (a subscript's last index, a gather's index)
 * picks from a table of exactly two entries, and there is at least one.
 */
function binaryTableIndexOnly(ctx: RuleContext, target: Expr): boolean {
  const name = baseName(target);
  if (!name) return false;
  let uses = 0;
  for (const e of ctx.exprs()) {
    let table: Expr | undefined;
    if (e.k === 'subscript' && baseName(e.index[e.index.length - 1]) === name) table = e.obj;
    else if (e.k === 'call' && e.op?.expects?.index && e.bound?.index && baseName(e.bound.index) === name) table = e.bound.input;
    else continue;
    uses++;
    if (ctx.valueOf(table)?.count !== 2) return false;
  }
  return uses > 0;
}

export default defineRule({
  meta: {
    code: 'LL106',
    name: 'class-index-targets-to-sigmoid-focal',
    severity: 'error',
    summary: 'A sigmoid focal loss / BCE receives integer class indices instead of one-hot targets',
    fixable: true,
  },
  check(ctx) {
    for (const a of appliedOps(ctx)) {
      // Per-element sigmoid losses whose targets have the logits' shape (not mmcv's, which take indices).
      if (a.op.loss?.act !== 'sigmoid' || targetEncoding(ctx, a) !== 'binary') continue;
      const target = a.exprs.target;
      const input = a.exprs.input;
      const name = a.name;
      if (!target || !input) continue;
      const tv = ctx.valueOf(target);
      const torchFix = a.spell.framework === 'torch' || a.spell.framework === 'lib';
      // PyTorch's per-element sigmoid losses take float targets only: an integer tensor there is class
      // numbers (Keras casts integer 0/1 labels to the predictions' dtype, so there it is no evidence).
      const intTarget = torchFix && tv?.dtype === 'int' && (tv.m === 'unknown' || tv.m === 'target');
      if (tv?.m !== 'target_index' && !intTarget) continue;
      // Labels used only to pick from a two-entry table (`tensor([w_neg, w_pos])[t]`, `.gather(0, t)`)
      // are 0/1 labels: no evidence of class numbers.
      if (!intTarget && binaryTableIndexOnly(ctx, target)) continue;
      const F = functionalName(ctx);
      // one_hot needs integer input: drop a cast such as `.float()` from the target first.
      let indices: Expr = target;
      while (indices.k === 'call' && indices.method && indices.op?.id === 'cast' && indices.bound?.input) indices = indices.bound.input;
      const fixed = `${F}.one_hot(${ctx.text(outerSpan(indices))}.long(), num_classes=${atomText(ctx, input)}.shape[1]).float()`;
      ctx.report({
        span: target.span,
        message: `\`${ctx.code(target.span)}\` holds class indices (${tv.dtype === 'int' ? 'an integer tensor' : 'it is used as one elsewhere'}) but \`${name}\` needs float one-hot targets of the logits' shape`,
        explanation: [
          `\`${name}\` is a per-element sigmoid loss: the target must have the logits' shape [N, C] with 1 at the true class and 0 elsewhere.`,
          'Class indices of shape [N] either fail to broadcast or, worse, broadcast silently ([N] against [N, C] when N == C, or a [N, 1] logit) and train the wrong objective.',
          torchFix ? `Convert them: \`${fixed}\`.` : 'Convert them to one-hot rows (`tf.one_hot(t, num_classes)`).',
        ].join('\n\n'),
        fix: torchFix ? { title: 'Convert the targets to one-hot', edits: [replace(target.span, fixed)], applicability: 'unsafe' } : undefined,
      });
    }
  },
  docs: `# LL106 class-index-targets-to-sigmoid-focal

## What it does
Flags a sigmoid focal loss (\`torchvision.ops.sigmoid_focal_loss\`, fvcore, kornia) or a BCE
(\`F.binary_cross_entropy_with_logits\`, \`nn.BCEWithLogitsLoss\`, \`tf.nn.sigmoid_cross_entropy_with_logits\`)
whose target is a tensor that the same code uses as integer class indices: the target of a
\`F.cross_entropy\`, the input of \`F.one_hot\`, the index of a \`gather\` or of \`alpha[target]\`.

## Why is this bad?
Sigmoid losses are per element: the target has the logits' shape $[N, C]$ with $t_{ic} \\in \\{0, 1\\}$.
Class indices have shape $[N]$ and values up to $C-1$; passed as-is they fail to broadcast or, when
shapes happen to line up, silently train each logit towards its class *number*.

## Example
\`\`\`python
def loss_fn(logits, targets):
    ce = F.cross_entropy(logits, targets)
    fl = sigmoid_focal_loss(logits, targets, reduction="mean")
    return ce + fl
\`\`\`

## Use instead
\`\`\`python
    fl = sigmoid_focal_loss(logits, F.one_hot(targets.long(), num_classes=logits.shape[1]).float(), reduction="mean")
\`\`\`

## Fix safety
The fix converts the targets with \`F.one_hot(t.long(), num_classes=logits.shape[1]).float()\` (class
dimension 1, as PyTorch losses use). It is marked unsafe: an \`ignore_index\` such as -100 in the targets
would make \`one_hot\` raise, and for \`[N, C, H, W]\` logits the one-hot classes come last and need a
\`permute(0, 3, 1, 2)\`.

## References
- torchvision \`ops.sigmoid_focal_loss\` docs: "targets: a float tensor with the same shape as inputs".
- PyTorch docs: \`binary_cross_entropy_with_logits\`.
`,
});
