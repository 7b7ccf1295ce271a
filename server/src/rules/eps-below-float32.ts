/**
 * LL203 eps-below-float32: a probability clamped to at most `1 - eps` with an eps that float32 cannot
 * represent next to 1 (`1 - 1e-8` is exactly 1.0 in float32), then complemented and logged:
 * `log(1 - p)` is still -inf where p rounds to 1. The clamp looks like a guard and is not one; the
 * finding is on the bound (LL202 reports the log itself).
 */
import type { RuleContext } from '../core/context';
import type { Expr } from '../core/ir';
import { walkExprs } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import type { Fix } from '../core/types';
import { defineRule } from '../core/rule';
import { exprAt, replace } from './fixes';
import { num } from './reading';

/** The clamped probability whose complement `v` is (`1 - p` of a clamp with a float32 no-op upper bound). */
export function noopComplement(v: AbsValue | undefined): AbsValue | undefined {
  if (!v) return undefined;
  const src = v.m === 'prob' && v.complementOf !== undefined ? v.of : v.m === 'one_minus_pt' ? v.of : undefined;
  return src?.noopMax && (src.m === 'prob' || src.m === 'pt') ? src : undefined;
}

/** The probability a log call takes the log of: its argument, or 1 + the argument of `log1p` (`log1p(-p)` is log(1 - p)). */
function loggedOf(ctx: RuleContext, call: Extract<Expr, { k: 'call' }>): AbsValue | undefined {
  if (call.op?.id === 'log') return ctx.valueOf(call.bound?.input);
  const lp = ctx.valueOf(call);
  return lp?.m === 'logprob' ? lp.of : undefined;
}

/** Whether an expression is made of literals only (`1 - 1e-8`, `0.99999999`): a fix may change it without changing what it refers to. */
function literalOnly(e: Expr): boolean {
  for (const x of walkExprs(e)) if (x.k === 'name' || x.k === 'attr' || x.k === 'call') return false;
  return true;
}

export default defineRule({
  meta: {
    code: 'LL203',
    name: 'eps-below-float32',
    severity: 'warning',
    summary: 'A clamp to `1 - eps` with eps below float32 resolution: `log(1 - p)` is still -inf',
    fixable: true,
  },
  check(ctx) {
    // The clamps whose complement is logged, once each: reported at the bound that float32 rounds to 1.
    const done = new Set<number>();
    for (const call of ctx.calls()) {
      if ((call.op?.id !== 'log' && call.op?.id !== 'log1p') || !call.bound?.input) continue;
      const p = noopComplement(loggedOf(ctx, call));
      if (!p?.noopMax || done.has(p.id)) continue;
      done.add(p.id);
      const written = num(p.noopMax.written);
      const bound = exprAt(ctx, p.noopMax.span);
      const boundText = bound ? ctx.text(bound.span) : written;
      // eps as written (`1 - eps`), else 1 - the bound to three digits.
      const right = bound?.k === 'bin' && bound.op === '-' ? ctx.valueOf(bound.right) : undefined;
      const epsValue = right?.m === 'scalar' && right.values?.length === 1 ? right.values[0] : Number((1 - p.noopMax.written).toPrecision(3));
      const eps = num(epsValue);
      ctx.report({
        span: bound?.span ?? call.span,
        message: `the upper bound \`${boundText}\` is exactly 1.0 in float32 (eps=${eps} is below its resolution next to 1): the clamp keeps nothing from 1, so \`${ctx.code(call.span)}\` is still -inf where p rounds to 1`,
        explanation: [
          `float32 has 24 significant bits: the numbers just below 1 are 1 - 2^-24 ≈ 1 - 5.96e-8, 1 - 1.19e-7, …, and anything closer to 1 than 2.98e-8 rounds to 1.0. \`${boundText}\` (${written}) is stored as 1.0, so the clamp keeps nothing from 1.`,
          'A sigmoid reaches exactly 1.0 in float32 for logits above about 17 (a softmax once the target logit leads by about 17), so `1 - p` is 0 and its log is -inf; the loss is inf and the gradient NaN, as if there were no clamp (LL202 reports that log).',
          'Use an eps float32 can hold next to 1 (1e-7 or more: `1 - 1e-7` is 0.99999988), or better, compute log(1 - p) in log space: `F.logsigmoid(-x)` for a sigmoid, `log_softmax` for a softmax.',
        ].join('\n\n'),
        fix: bound ? boundFix(bound) : undefined,
      });
    }
  },
  docs: `# LL203 eps-below-float32

## What it does
Flags the upper bound \`1 - eps\` of a clamp (\`torch.clamp(p, eps, 1 - eps)\`, \`p.clamp(max=1 - eps)\`,
\`tf.clip_by_value\`, \`K.clip\`, \`torch.minimum\`) on a probability whose complement is then logged
(\`log(1 - p)\`, \`log1p(-p)\`), when \`1 - eps\` rounds to exactly 1.0 in float32. The log itself is
reported by LL202. That happens when eps is below about 3e-8 (\`1e-8\`, \`1e-10\`, \`1e-12\`). numpy's
\`clip\` computes in float64 and is not flagged. The
probability must come from a sigmoid or softmax (or be a Keras \`y_pred\`).

## Why is this bad?
float32 cannot represent numbers between 1 - 2.98e-8 and 1: \`1 - 1e-8\` is stored as 1.0. The clamp
then leaves p = 1.0 untouched, and a sigmoid is exactly 1.0 in float32 for logits above about 17.
\`log(1 - p)\` is \`log(0) = -inf\` and the loss and its gradient are inf and NaN for every confident
prediction, exactly as without the clamp. The code looks guarded, which is why this survives review.
The numeric probes confirm it (LL302: the loss is not finite for confident logits).

## Example
\`\`\`python
p = torch.sigmoid(logits).clamp(1e-8, 1 - 1e-8)
loss = -(t * torch.log(p) + (1 - t) * torch.log(1 - p))
\`\`\`

## Use instead
\`\`\`python
loss = -(t * F.logsigmoid(logits) + (1 - t) * F.logsigmoid(-logits))
\`\`\`
or an eps float32 can hold next to 1: \`p.clamp(1e-7, 1 - 1e-7)\`.

## Fix safety
When the bound is written with literals only (\`1 - 1e-8\`, \`0.99999999\`), the fix writes \`1 - 1e-7\`,
the bound the author meant to have an effect; it changes the loss only for p above 1 - 1.2e-7 and is
marked safe. No fix when the bound refers to a name (changing one use of \`eps\` would not change the
others).

## References
- IEEE 754 binary32: 24-bit significand; the spacing of floats just below 1 is 2^-24.
- PyTorch docs, \`torch.finfo(torch.float32).eps\` = 1.19e-7 (the spacing just above 1).
- Keras' own clip for probabilities uses \`epsilon() = 1e-7\`.
`,
});

function boundFix(bound: Expr): Fix | undefined {
  if (!literalOnly(bound)) return undefined;
  return { title: 'Use an eps float32 can hold next to 1: 1 - 1e-7', edits: [replace(bound.span, '1 - 1e-7')], applicability: 'safe' };
}
