/**
 * LL205 eps-below-half-precision: a guard on a probability held in a 16-bit float (`.half()`,
 * `.to(torch.bfloat16)`) whose constant does not survive that format: `p.clamp(min=1e-8)` and
 * `p + 1e-8` are `p` in float16 (nothing below 3e-8 but 0), `p.clamp(max=1 - 1e-4)` is `p` in float16
 * and `1 - 1e-3` is 1 in bfloat16. The guard is rounded away and log(p) or log(1 - p) is -inf again.
 */
import type { RuleContext } from '../core/context';
import type { Expr } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import { constValue } from '../core/lattice';
import { roundTo, tiniest, type FloatFormat } from '../core/floats';
import { defineRule } from '../core/rule';
import { num } from './reading';

const PROBLIKE = new Set(['prob', 'pt', 'one_minus_pt']);

function report(ctx: RuleContext, e: Expr, fmt: FloatFormat, what: string, why: string): void {
  ctx.report({
    span: e.span,
    message: `\`${ctx.code(e.span)}\` on a ${fmt} probability: ${what}, so the guard is rounded away`,
    explanation: [
      `${fmt} keeps ${fmt === 'float16' ? '11' : '8'} significant bits: ${fmt === 'float16' ? `the smallest positive number is ${num(tiniest('float16'))} (anything below half of it is 0) and the largest below 1 is 1 - 2^-11 ≈ 0.99951` : 'numbers near 0 are fine, but the largest below 1 is 1 - 2^-8 ≈ 0.9961'}. ${why}`,
      'Compute the loss in float32 (`p.float()`, or outside autocast), use a constant the format can hold, or take the log in log space from the logits (`F.logsigmoid`, `log_softmax`, which autocast runs in float32).',
    ].join('\n\n'),
  });
}

export default defineRule({
  meta: {
    code: 'LL205',
    name: 'eps-below-half-precision',
    severity: 'warning',
    summary: 'An eps guard on a float16/bfloat16 probability that the format rounds away',
    fixable: false,
  },
  check(ctx) {
    for (const e of ctx.exprs()) {
      // p.clamp(min=eps, max=1 - eps), torch.clamp, tf.clip_by_value, maximum/minimum.
      if (e.k === 'call' && (e.op?.id === 'clamp' || e.op?.id === 'maximum' || e.op?.id === 'minimum') && e.bound) {
        const x: AbsValue | undefined = ctx.valueOf(e.bound.input);
        const fmt = x?.lowp;
        if (!x || !fmt || !PROBLIKE.has(x.m)) continue;
        const lo = constValue(ctx.valueOf(e.op.id === 'clamp' ? e.bound.min : e.op.id === 'maximum' ? e.bound.other : undefined));
        const hi = constValue(ctx.valueOf(e.op.id === 'clamp' ? e.bound.max : e.op.id === 'minimum' ? e.bound.other : undefined));
        if (lo !== undefined && lo > 0 && roundTo(lo, fmt) === 0) {
          report(ctx, e, fmt, `the lower bound ${num(lo)} is 0 in ${fmt}`, `A probability that underflows to 0 stays 0 after the clamp, and its log is -inf.`);
        } else if (hi !== undefined && hi < 1 && roundTo(hi, fmt) === 1) {
          report(ctx, e, fmt, `the upper bound ${num(hi)} is 1.0 in ${fmt}`, `A probability that rounds to 1 stays 1 after the clamp, and log(1 - p) is -inf.`);
        }
        continue;
      }
      // p + eps
      if (e.k === 'bin' && e.op === '+') {
        const v = ctx.valueOf(e);
        const fmt = v?.lowp;
        const eps = v?.addedEps?.values;
        if (!v || !fmt || !eps?.length || !PROBLIKE.has(v.m)) continue;
        if (eps.every((x) => roundTo(x, fmt) === 0)) {
          report(ctx, e, fmt, `eps=${eps.map(num).join(' or ')} is 0 in ${fmt}`, 'Where p underflows to 0, p + eps is still 0 and its log is -inf.');
        }
      }
    }
  },
  docs: `# LL205 eps-below-half-precision

## What it does
Flags a guard on a probability stored in a 16-bit float (a tensor cast with \`.half()\`,
\`.to(torch.float16)\`, \`.bfloat16()\`, \`tf.cast(x, tf.float16)\`, and what is computed from it) whose
constant the format cannot hold: a clamp's lower bound below 3e-8 in float16 (\`p.clamp(min=1e-8)\`), an
added eps below 3e-8 (\`p + 1e-8\`), or an upper bound that rounds to 1 (\`1 - 1e-4\` in float16,
\`1 - 1e-3\` in bfloat16).

## Why is this bad?
float16 has 11 significant bits and a smallest positive value of 5.96e-8: \`1e-8\` is stored as 0, and
so is \`p + 1e-8\` when p underflows to 0 (a sigmoid of a logit below about -17 in float16). Numbers
between 1 - 2.4e-4 and 1 round to 1. bfloat16 keeps the float32 range but only 8 significant bits, so
\`1 - 1e-3\` is 1.0. The guard is rounded away and \`log(p)\` or \`log(1 - p)\` is -inf: NaN gradients in
mixed-precision training that float32 tests never show.

## Example
\`\`\`python
p = torch.sigmoid(logits.half())
loss = -(t * torch.log(p.clamp(min=1e-8)) + (1 - t) * torch.log((1 - p).clamp(min=1e-8)))
\`\`\`

## Use instead
\`\`\`python
loss = F.binary_cross_entropy_with_logits(logits.float(), t)
\`\`\`
or \`F.logsigmoid\`, which autocast runs in float32.

## Fix safety
No automatic fix: the right change (compute in float32, or in log space) depends on the code around it.

## References
- IEEE 754 binary16: 11-bit significand, smallest subnormal 2^-24 ≈ 5.96e-8.
- PyTorch docs, *Automatic Mixed Precision*: ops that autocast to float32 (log, log_softmax,
  binary_cross_entropy_with_logits, ...) and ops that run in float16.
- \`torch.finfo(torch.float16).tiny\`, \`torch.finfo(torch.bfloat16).eps\` = 0.0078.
`,
});
