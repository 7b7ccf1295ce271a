/**
 * LL204 clamp-kills-gradient: `log(p.clamp(min=eps))` of a sigmoid or softmax probability whose
 * logits are at hand. Where p < eps the clamp is constant, so the gradient is exactly zero: the
 * hardest examples (the target's probability below eps) stop learning. `F.logsigmoid` and
 * `F.log_softmax` compute the same log-probability stably and keep their gradient.
 */
import type { Expr } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import { defineRule } from '../core/rule';
import { replace } from './fixes';
import { logSpaceOf } from './logspace';
import { num } from './reading';

/** The logit below which a sigmoid is under eps (above which, for 1 - p). */
function logitBound(eps: number): string {
  return (Math.log(eps) - Math.log1p(-eps)).toFixed(1).replace(/^-/, '');
}

export default defineRule({
  meta: {
    code: 'LL204',
    name: 'clamp-kills-gradient',
    severity: 'info',
    summary: '`log(p.clamp(min=eps))` of a sigmoid/softmax: zero gradient for the hardest examples; use logsigmoid/log_softmax',
    fixable: true,
  },
  check(ctx) {
    // The clamp-then-log idiom is everywhere in working code and the cost is a capped loss for a few
    // examples, not a broken run: reported only when the user asks for the strict set.
    if (!ctx.settings.strict) return;
    for (const call of ctx.calls()) {
      if (call.op?.id !== 'log' || !call.bound?.input) continue;
      const v: AbsValue | undefined = ctx.valueOf(call.bound.input);
      if (!v?.floor || v.m !== 'prob') continue;
      const ls = logSpaceOf(ctx, v, call.bound.input);
      if (!ls) continue;
      const eps = v.floor.value;
      const epsText = eps !== undefined ? num(eps) : 'eps';
      const arg: Expr = call.bound.input;
      const where =
        eps === undefined
          ? ''
          : ls.act === 'sigmoid'
            ? ` (logits ${ls.complement ? 'above' : 'below'} ${ls.complement ? '' : '-'}${logitBound(eps)})`
            : ` (a logit more than ${(-Math.log(eps)).toFixed(1)} below the log-sum-exp of its row)`;
      const of = ls.complement ? '1 - p' : 'p';
      ctx.report({
        span: call.span,
        message: `\`${ctx.code(call.span)}\` has zero gradient where ${of} < ${epsText}${where}: those examples, the hardest ones, stop learning; \`${ls.fn}\` keeps their gradient`,
        explanation: [
          `The clamp makes \`${ctx.text(arg.span)}\` constant (${epsText}) wherever ${of} is below it, and the derivative of a constant is 0. The examples that land there are the ones the model gets most wrong (a positive scored at p < ${epsText}, or a negative at p > 1 - ${epsText}): their loss is capped at -log(${epsText}) = ${eps !== undefined ? (-Math.log(eps)).toFixed(1) : '-log(eps)'} and they send no gradient back, so they are never corrected. The focal loss exists to focus on exactly these examples.`,
          `\`${ls.text}\` is the same log-probability computed from the logits \`${ls.logits}\`: finite for every logit, with the gradient ${ls.act === 'sigmoid' ? (ls.complement ? 'sigmoid(x)' : '-(1 - sigmoid(x))') : 'softmax - onehot'} everywhere.`,
        ].join('\n\n'),
        fix: { title: `Compute the log-probability in log space: ${ls.text}`, edits: [replace(call.span, ls.text)], applicability: 'unsafe' },
      });
    }
  },
  docs: `# LL204 clamp-kills-gradient

## What it does
Flags \`log(p.clamp(min=eps))\` (also \`torch.clamp\`, \`torch.maximum(p, eps)\`, \`tf.clip_by_value\`) where
\`p\` is the output of a sigmoid or softmax of logits the function has at hand, or \`1 - p\` of a
sigmoid. The fix writes the same log-probability in log space. Probabilities that arrive as inputs
(a Keras \`y_pred\`) are not flagged: there are no logits to use instead.

Reported only with \`strict = true\`: the clamp-then-log idiom is common in working code, and its
cost (a few examples capped and silent) is a slower run, not a broken one.

## Why is this bad?
A clamp is constant below its floor, so its gradient there is exactly 0. For \`log(p.clamp(min=eps))\`,
every example with \`p < eps\` (a sigmoid logit below \`log(eps)\`, about -18.4 for eps = 1e-8 and -9.2
for eps = 1e-4) contributes the capped loss \`-log(eps)\` and **no gradient**. These are the hardest,
most confidently wrong examples, which the focal loss is meant to emphasise; under the clamp they are
ignored until something else moves them. \`F.logsigmoid(x)\` and \`F.log_softmax(x)\` compute the same
values stably for every logit and keep the gradient (\`-(1 - sigmoid(x))\` for a positive).
The numeric probe LL309 shows it: it feeds examples whose target logit trails by 30 and counts the
samples whose gradient is exactly zero.

## Example
\`\`\`python
p = torch.sigmoid(logits)
loss = -(t * torch.log(p.clamp(min=1e-6)) + (1 - t) * torch.log((1 - p).clamp(min=1e-6)))
\`\`\`

## Use instead
\`\`\`python
loss = -(t * F.logsigmoid(logits) + (1 - t) * F.logsigmoid(-logits))
\`\`\`

## Fix safety
The fix gives the exact log-probability where \`p >= eps\` and a larger (uncapped) loss where
\`p < eps\`, so the loss changes for the hardest examples: marked unsafe. It is offered only when the
logits are a parameter, \`self.x\` or a local assigned once, so that the same text means the same
tensor where the log is.

## References
- PyTorch docs: \`torch.clamp\` has zero gradient outside \`[min, max]\`; \`torch.nn.functional.logsigmoid\`,
  \`log_softmax\` are computed stably.
- Lin et al., *Focal Loss for Dense Object Detection*, 2017: the loss focuses training on hard examples.
`,
});
