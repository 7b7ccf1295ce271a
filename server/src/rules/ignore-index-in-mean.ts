/**
 * LL116 ignore-index-in-mean: an unreduced cross-entropy given an explicit `ignore_index` (0 at the
 * ignored targets), or a focal loss built on it, averaged with `.mean()` over every element: the
 * ignored targets stay in the denominator, so the loss shrinks with their share of the batch. PyTorch's
 * own `reduction='mean'` divides by the number of targets that are not ignored.
 */
import type { RuleContext } from '../core/context';
import type { Call, Expr } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import type { Fix } from '../core/types';
import { defineRule } from '../core/rule';
import { atomText, findCallBySpan, frameworkOf, replace } from './fixes';
import { num, parents, stable } from './reading';

type IgnoreFact = NonNullable<AbsValue['ignoreIndex']>;

/** The ignore index a per-element loss value carries, through a focal product to its CE factor. */
export function ignoreOf(v: AbsValue | undefined): IgnoreFact | undefined {
  if (!v || v.selected || v.reduced) return undefined;
  if (v.m === 'ce') return v.ignoreIndex;
  if (v.m !== 'focal') return undefined;
  if (v.ignoreIndex) return v.ignoreIndex;
  const parts = [v.focal, ...(v.focal?.terms ?? [])];
  for (const p of parts) {
    const ce = p?.ce;
    const fact = ce?.ignoreIndex ?? ce?.of?.ignoreIndex;
    if (fact && !ce?.selected) return fact;
  }
  return undefined;
}

/** The loss call that set the fact: the call whose value is the CE (found by the fact's CE value). */
function ceCallOf(ctx: RuleContext, v: AbsValue): Call | undefined {
  const ce = v.m === 'ce' ? v : (v.focal?.ce?.m === 'ce' ? v.focal.ce : v.focal?.ce?.of) ?? v;
  return findCallBySpan(ctx, ce.src);
}

/** Whether the mean's result is rescaled at once (`loss.mean() / valid.float().mean()`): the author corrected the denominator. */
function rescaled(ctx: RuleContext, call: Call, parent: Map<Expr, Expr>): boolean {
  const p = parent.get(call);
  if (!p || p.k !== 'bin' || (p.op !== '/' && p.op !== '*')) return false;
  const other = p.left === call ? p.right : p.left;
  return ctx.valueOf(other)?.m !== 'scalar' || ctx.valueOf(other)?.values === undefined;
}

function ignoreText(f: IgnoreFact): string {
  return f.values?.length ? `ignore_index=${f.values.map(num).join(' or ')}` : 'an ignore_index';
}

export default defineRule({
  meta: {
    code: 'LL116',
    name: 'ignore-index-in-mean',
    severity: 'warning',
    summary: '`.mean()` of a loss computed with `ignore_index`: ignored targets stay in the denominator',
    fixable: true,
  },
  check(ctx) {
    let parent: Map<Expr, Expr> | undefined;
    for (const call of ctx.calls()) {
      if (call.op?.id !== 'mean' || !call.bound?.input) continue;
      const input = call.bound.input;
      // Report the innermost mean of a chain (`loss.mean(1).mean()`).
      if (input.k === 'call' && input.op?.id === 'mean') continue;
      const v = ctx.valueOf(input);
      const fact = ignoreOf(v);
      if (!v || !fact || rescaled(ctx, call, (parent ??= parents(ctx)))) continue;
      const ceCall = ceCallOf(ctx, v);
      // Messages name places by their text, never by line: a finding moves with its function (core/incremental.ts).
      const by = ceCall ? ` by \`${ctx.text(ceCall.func.span)}\`` : '';
      const kind = v.m === 'focal' ? 'focal loss' : 'cross-entropy';
      ctx.report({
        span: call.span,
        message: `\`${ctx.code(call.span)}\` averages a ${kind} computed${by} with ${ignoreText(fact)} over every element: the ignored targets add 0 to the sum but still count in the mean`,
        explanation: [
          `With \`reduction='none'\` the loss is 0 wherever the target equals the ignore index, and \`.mean()\` divides the sum by **every** element, ignored ones included. The result is the true mean times the share of targets that are not ignored: it shrinks when a batch holds more ignored targets (padding tokens, unlabelled pixels), and so does its gradient.`,
          "PyTorch's own `reduction='mean'` divides by the number of targets that are not ignored (the sum of their weights). Divide the sum by that count, or average only the kept elements: `loss[target != ignore_index].mean()`.",
        ].join('\n\n'),
        fix: fixFor(ctx, call, input, ceCall),
      });
    }
  },
  docs: `# LL116 ignore-index-in-mean

## What it does
Flags \`.mean()\` (also \`torch.mean\`, \`tf.reduce_mean\`) of a cross-entropy computed with
\`reduction='none'\` and an explicit \`ignore_index\` (Keras: \`ignore_class\`), or of a focal loss built
on one, when no mask or selection removed the ignored elements first. Masking by multiplication
(\`loss * valid\`), selecting (\`loss[valid]\`) and a mean that is divided at once by the share of valid
targets (\`loss.mean() / valid.float().mean()\`) are all recognised as handling it.

## Why is this bad?
With \`reduction='none'\`, \`F.cross_entropy\` returns 0 for every target equal to \`ignore_index\`. A
\`.mean()\` over all elements then divides by their total count:

$$\\frac{1}{N}\\sum_{i} \\ell_i = \\frac{N_{\\text{valid}}}{N}\\cdot\\frac{1}{N_{\\text{valid}}}\\sum_{i\\,\\text{valid}} \\ell_i .$$

The loss (and its gradient) is scaled by the share of targets that are not ignored, which changes from
batch to batch: a segmentation batch that is half unlabelled pixels trains at half the learning rate.
PyTorch's \`reduction='mean'\` divides by the number of non-ignored targets (the sum of their weights), so
the hand-written focal loss no longer reduces to the library's cross-entropy at gamma = 0.

## Example
\`\`\`python
def focal_loss(logits, target, gamma=2.0):
    ce = F.cross_entropy(logits, target, reduction="none", ignore_index=255)
    pt = torch.exp(-ce)
    return ((1 - pt) ** gamma * ce).mean()
\`\`\`

## Use instead
\`\`\`python
def focal_loss(logits, target, gamma=2.0):
    ce = F.cross_entropy(logits, target, reduction="none", ignore_index=255)
    pt = torch.exp(-ce)
    loss = (1 - pt) ** gamma * ce
    return loss.sum() / (target != 255).sum().clamp(min=1)
\`\`\`

## Fix safety
The fix divides the sum by the number of targets that are not ignored (at least 1), as PyTorch's
\`reduction='mean'\` does. It is offered when the loss call's target and ignore index are a literal, a
parameter the function never rebinds, or \`self.x\`. It changes the loss's scale (and so the effective
learning rate), so it is marked unsafe.

## References
- PyTorch docs, \`torch.nn.CrossEntropyLoss\`: with \`reduction='mean'\` the sum is divided by the
  summed weights of the non-ignored targets; \`ignore_index\` "does not contribute to the input gradient".
- Real focal losses for segmentation that get this right by selecting the valid pixels
  (\`loss[target != ignore_index].mean()\`) or dividing by their count, and others that call \`.mean()\`.
`,
});

function fixFor(ctx: RuleContext, call: Call, input: Expr, ceCall: Call | undefined): Fix | undefined {
  if (frameworkOf(ctx) !== 'torch' || !ceCall?.bound || ceCall.splat) return undefined;
  if (Object.keys(call.bound ?? {}).some((k) => k !== 'input')) return undefined;
  const t = ceCall.bound.target;
  const ii = ceCall.bound.ignore_index;
  if (!stable(ctx, t) || !stable(ctx, ii)) return undefined;
  const text = `${atomText(ctx, input)}.sum() / (${ctx.text(t!.span)} != ${ctx.text(ii!.span)}).sum().clamp(min=1)`;
  return { title: 'Divide by the number of targets that are not ignored', edits: [replace(call.span, `(${text})`)], applicability: 'unsafe' };
}
