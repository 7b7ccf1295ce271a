/**
 * LL118 smoothed-pt: the focal modulating factor `(1 - pt) ** gamma` with pt taken from label-smoothed
 * targets (`t * (1 - e) + e / K`) or from a cross-entropy with `label_smoothing` > 0. Such a pt is not
 * the probability of the true class: it never reaches 1 (or, from a smoothed CE, falls towards 0 for a
 * confident correct prediction), so easy examples are no longer down-weighted.
 */
import type { RuleContext } from '../core/context';
import type { Call, Expr } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import type { Fix } from '../core/types';
import { defineRule } from '../core/rule';
import { findCallBySpan, functionalName, replace } from './fixes';
import { num, stable } from './reading';

type Smoothing = NonNullable<AbsValue['smoothed']>;

/** The smoothing a pt was computed from, following the values it was made of (1 - pt -> pt -> log pt -> CE). */
export function smoothingOf(v: AbsValue | undefined, depth = 0): { s: Smoothing; from: AbsValue } | undefined {
  if (!v || depth > 6) return undefined;
  if (v.smoothed) return { s: v.smoothed, from: v };
  return smoothingOf(v.of, depth + 1);
}

function pieces(v: AbsValue | undefined): string {
  const vals = v?.smoothed?.values;
  return vals?.length ? `=${vals.map(num).join(' or ')}` : '';
}

export default defineRule({
  meta: {
    code: 'LL118',
    name: 'smoothed-pt',
    severity: 'warning',
    summary: 'The focal factor `(1 - pt) ** gamma` with pt from label-smoothed targets: easy examples are not down-weighted',
    fixable: true,
  },
  check(ctx) {
    for (const e of ctx.exprs()) {
      const v = ctx.valueOf(e);
      if (v?.m !== 'modulating' || !v.base) continue;
      // The modulating factor's own expression only: `(1 - pt) ** g`, `torch.pow(1 - pt, g)`, exp(g * log(1 - pt)).
      if (v.src && (v.src.s !== e.span.s || v.src.e !== e.span.e)) continue;
      const found = smoothingOf(v.base);
      if (!found) continue;
      const fromCE = found.from.m === 'ce';
      const what = fromCE ? `a cross-entropy with label_smoothing${pieces(found.from)}` : `label-smoothed targets${found.s.values?.length ? ` (e=${found.s.values.map(num).join(' or ')})` : ''}`;
      ctx.report({
        span: e.span,
        message: `the focal factor \`${ctx.code(e.span)}\` takes pt from ${what}: that pt is not the probability of the true class, so easy examples are not down-weighted`,
        explanation: fromCE
          ? [
              "With label smoothing e over K classes, the cross-entropy is $(1-e)\\,(-\\log p_t) + \\frac{e}{K}\\sum_c(-\\log p_c)$, so `exp(-ce)` is $p_t^{1-e}\\prod_c p_c^{e/K}$, not $p_t$.",
              'For a confident correct prediction the other classes\' $p_c$ go to 0, so this "pt" goes to **0** instead of 1, and $(1-pt)^\\gamma$ goes to 1: the examples the focal loss should down-weight get full weight.',
              'Take pt from the unsmoothed cross-entropy (or from the softmax at the target) and keep the smoothing in the CE factor only.',
            ].join('\n\n')
          : [
              'With smoothed targets $t\' = t(1-e) + e/K$, the product $\\sum_c t\'_c p_c = (1-e)\\,p_t + e/K$ is at most $1 - e + e/K$: it never reaches 1, so $(1-pt)^\\gamma$ never reaches 0 and every easy example keeps a weight of at least $(e(K-1)/K)^\\gamma$.',
              'The focal factor assumes one-hot targets (Lin et al.). Take pt at the true class from the unsmoothed targets, and apply the smoothing to the cross-entropy term only; for soft targets use a loss designed for them (Quality Focal Loss, $|t - p|^\\beta$).',
            ].join('\n\n'),
        fix: fromCE ? unsmoothedPtFix(ctx, found.from) : undefined,
      });
    }
  },
  docs: `# LL118 smoothed-pt

## What it does
Flags a focal modulating factor \`(1 - pt) ** gamma\` (any spelling, and its log-space form) whose pt
was computed from label-smoothed targets, \`t * (1 - e) + e / K\` (also with the other classes'
share written as \`(1 - t) * e / (K - 1)\`), or as \`exp(-ce)\` of a cross-entropy with
\`label_smoothing\` above 0 (\`F.cross_entropy\`, \`nn.CrossEntropyLoss\`, Keras' cross-entropies).
Smoothing applied only to the cross-entropy factor, with pt from the unsmoothed probabilities, is
correct and not flagged. Library focal losses with their own \`label_smoothing\` argument are not
flagged (Keras documents what it does).

## Why is this bad?
The focal loss down-weights well-classified examples through $(1 - p_t)^\\gamma$, which assumes
one-hot targets: $p_t$ is the probability of the true class and reaches 1 for an easy example.

- From smoothed targets, $\\sum_c t'_c p_c = (1-e)\\,p_t + e/K$ never exceeds $1 - e + e/K$, so
  every easy example keeps a weight of at least $(e(K-1)/K)^\\gamma$ and the focusing is blunted.
- From a smoothed cross-entropy, $e^{-\\mathrm{CE}} = p_t^{1-e}\\prod_c p_c^{e/K}$, which goes to **0**
  for a confident correct prediction (the other classes' probabilities vanish): $(1 - pt)^\\gamma$
  goes to 1 and the loss focuses on the easy examples instead of the hard ones.

## Example
\`\`\`python
def focal(logits, target, gamma=2.0, smoothing=0.1):
    ce = F.cross_entropy(logits, target, reduction="none", label_smoothing=smoothing)
    pt = torch.exp(-ce)
    return ((1 - pt) ** gamma * ce).mean()
\`\`\`

## Use instead
\`\`\`python
def focal(logits, target, gamma=2.0, smoothing=0.1):
    ce = F.cross_entropy(logits, target, reduction="none", label_smoothing=smoothing)
    pt = torch.exp(-F.cross_entropy(logits, target, reduction="none"))
    return ((1 - pt) ** gamma * ce).mean()
\`\`\`

## Fix safety
For a pt written as \`exp(-ce)\` of a \`F.cross_entropy\` call, the fix computes pt from the same call
without \`label_smoothing\` (its input and target must be parameters the function never rebinds). It
changes the loss, so it is marked unsafe. No fix is offered for smoothed targets.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017: $p_t$ is the model's probability of the
  ground-truth class.
- Li et al., *Generalized Focal Loss* (NeurIPS 2020): the focal loss supports only discrete labels;
  Quality Focal Loss extends it to soft targets with $|y - \\sigma|^\\beta$.
- PyTorch docs, \`torch.nn.CrossEntropyLoss\` (\`label_smoothing\`): the target becomes a mixture of the
  original and a uniform distribution.
`,
});

/** pt = exp(-ce) of a smoothed `F.cross_entropy(x, t, ...)`: the same call without label_smoothing. */
function unsmoothedPtFix(ctx: RuleContext, ce: AbsValue): Fix | undefined {
  const call: Call | undefined = findCallBySpan(ctx, ce.src);
  if (!call?.op || call.op.id !== 'cross_entropy' || call.spell?.kind !== 'function' || call.splat || !call.bound) return undefined;
  const { input, target } = call.bound;
  if (!stable(ctx, input) || !stable(ctx, target)) return undefined;
  if (Object.keys(call.bound).some((k) => !['input', 'target', 'reduction', 'label_smoothing'].includes(k))) return undefined;
  // The pt: `exp(-ce)` where ce names that call's value.
  let pt: Expr | undefined;
  for (const e of ctx.exprs()) {
    if (e.k !== 'call' || e.op?.id !== 'exp' || !e.bound?.input) continue;
    const arg = e.bound.input;
    if (arg.k === 'unary' && arg.op === '-' && ctx.valueOf(arg.operand)?.id === ce.id) pt = arg;
  }
  if (!pt) return undefined;
  const text = `-${functionalName(ctx)}.cross_entropy(${ctx.text(input!.span)}, ${ctx.text(target!.span)}, reduction="none")`;
  return { title: 'Take pt from the cross-entropy without label smoothing', edits: [replace(pt.span, text)], applicability: 'unsafe' };
}
