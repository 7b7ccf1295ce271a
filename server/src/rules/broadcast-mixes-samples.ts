/**
 * LL117 broadcast-mixes-samples: an elementwise operation between a per-sample tensor of shape [N, 1]
 * (a class axis kept with size 1: `gather(1, t[:, None])`, `sum(1, keepdim=True)`, `view(-1, 1)`) and
 * one of shape [N] (a CE with reduction='none', `sum(1)`): broadcasting makes it [N, N], every
 * sample's factor times every other sample's term, and a later `.mean()` hides the shape.
 */
import type { RuleContext } from '../core/context';
import type { Expr } from '../core/ir';
import type { AbsValue, Meaning } from '../core/lattice';
import type { Fix } from '../core/types';
import { defineRule } from '../core/rule';
import { atomText, frameworkOf, localName, replace } from './fixes';

/** Meanings only a loss computation makes (op-only: outside core/prefilter.ts Lemma 1's closed set). */
const LOSSY: ReadonlySet<Meaning> = new Set(['ce', 'focal', 'pt', 'one_minus_pt', 'modulating', 'logprob', 'prob']);

/** The two operands of an elementwise operation: `a * b`, `torch.mul(a, b)`, `torch.where(c, a, b)`. */
function operands(e: Expr): [Expr, Expr] | undefined {
  if (e.k === 'bin') return [e.left, e.right];
  if (e.k === 'call' && e.bound?.input && e.bound.other) return [e.bound.input, e.bound.other];
  return undefined;
}

function shape(v: AbsValue): string {
  return v.layout === 'col' ? '[N, 1]' : '[N]';
}

export default defineRule({
  meta: {
    code: 'LL117',
    name: 'broadcast-mixes-samples',
    severity: 'error',
    summary: 'A [N, 1] tensor meets a [N] one: broadcasting gives [N, N] and mixes every sample with every other',
    fixable: true,
  },
  check(ctx) {
    for (const e of ctx.exprs()) {
      const v = ctx.valueOf(e);
      if (v?.layout !== 'mixed' || !v.mixedAt || v.mixedAt.s !== e.span.s || v.mixedAt.e !== e.span.e) continue;
      const ops = operands(e);
      if (!ops) continue;
      const [a, b] = ops.map((x) => ctx.valueOf(x));
      if (!a || !b || (!LOSSY.has(a.m) && !LOSSY.has(b.m))) continue;
      if (a.layout === 'mixed' || b.layout === 'mixed') continue;
      const col = a.layout === 'col' ? ops[0] : ops[1];
      const vec = a.layout === 'col' ? ops[1] : ops[0];
      const cv = ctx.valueOf(col)!;
      const vv = ctx.valueOf(vec)!;
      ctx.report({
        span: e.span,
        message: `\`${ctx.code(col.span)}\` is ${shape(cv)} and \`${ctx.code(vec.span)}\` is ${shape(vv)}: broadcasting makes this [N, N], pairing every sample's factor with every other sample's term`,
        explanation: [
          'Broadcasting aligns shapes from the right: [N, 1] against [N] gives [N, N], with element (i, j) the first tensor\'s sample i times the second\'s sample j. The loss becomes a mean over all N² pairs: it mixes the samples (each sample\'s weight or focal factor now multiplies every sample\'s cross-entropy), its value and gradient are wrong, and a final `.mean()` or `.sum()` hides the shape.',
          `Give both the same shape: \`${ctx.text(col.span)}\` has kept the class axis (size 1) from a \`gather\`/\`keepdim=True\`/\`view(-1, 1)\`; \`squeeze(1)\` it (or index the targets with \`t\` rather than \`t[:, None]\`).`,
        ].join('\n\n'),
        fix: squeezeFix(ctx, col),
      });
    }
  },
  docs: `# LL117 broadcast-mixes-samples

## What it does
Follows the per-sample layout of loss tensors: a value is [N, 1] when a class axis was kept with size
1 (\`p.gather(1, t.unsqueeze(1))\`, \`t.view(-1, 1)\`, \`t[:, None]\`, \`x.sum(1, keepdim=True)\`), and [N] when
the class axis was reduced away (\`F.cross_entropy(..., reduction='none')\`, \`x.sum(1)\`, \`alpha[t]\`,
\`squeeze(1)\`, \`view(-1)\`). Flags an elementwise operation (\`*\`, \`+\`, \`-\`, \`/\`, \`torch.mul\`, \`torch.where\`,
...) between an [N, 1] and an [N] operand when at least one of them is part of a loss (a cross-entropy,
p_t, the modulating factor, a focal term). Shapes that are not known are never guessed.

## Why is this bad?
Broadcasting aligns trailing axes: [N, 1] op [N] is [N, N]. Element (i, j) pairs sample i's factor
(its p_t, alpha_t or focal weight) with sample j's cross-entropy, so the loss averages N² pairings
instead of N samples. Nothing raises, the loss is a plausible number, and \`.mean()\` hides the shape;
but each sample's gradient now depends on every other sample's target (kornia's
\`binary_focal_loss_with_logits\` had this bug, kornia#1308). The numeric probe LL308 shows the
[N, N] intermediate on probe inputs.

## Example
\`\`\`python
ce = F.cross_entropy(logits, target, reduction="none")                 # [N]
pt = torch.softmax(logits, dim=1).gather(1, target.unsqueeze(1))        # [N, 1]
loss = ((1 - pt) ** gamma * ce).mean()                                  # [N, N], averaged
\`\`\`

## Use instead
\`\`\`python
pt = torch.softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)   # [N]
loss = ((1 - pt) ** gamma * ce).mean()
\`\`\`

## Fix safety
The fix squeezes the [N, 1] operand to [N] (\`.squeeze(1)\`), which makes the operation per sample as
intended. It changes the loss's value, so it is marked unsafe.

## References
- PyTorch docs, *Broadcasting semantics*: shapes are compared from the trailing dimension.
- kornia issue #1308: "batched binary_focal_loss_with_logits is computed pairwise along the batch
  dimension" (an \`unsqueeze\` made the loss (B, B, ...)).
`,
});

function squeezeFix(ctx: RuleContext, col: Expr): Fix | undefined {
  // In the function's framework: a method for PyTorch, `tf.squeeze(x, axis=1)` / `K.squeeze(x, axis=1)` otherwise.
  const fw = frameworkOf(ctx);
  const mod = fw === 'torch' ? undefined : fw === 'keras' ? (localName(ctx, ['keras.backend', 'tensorflow.keras.backend']) ?? localName(ctx, 'tensorflow')) : localName(ctx, 'tensorflow');
  if (fw !== 'torch' && !mod) return undefined;
  const text = fw === 'torch' ? `${atomText(ctx, col)}.squeeze(1)` : `${mod}.squeeze(${ctx.text(col.span)}, axis=1)`;
  return { title: 'Squeeze the [N, 1] operand to [N]', edits: [replace(col.paren ?? col.span, text)], applicability: 'unsafe' };
}
