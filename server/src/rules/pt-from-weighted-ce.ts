/**
 * LL110 pt-from-weighted-ce: `pt = exp(-ce)` where ce is a class-weighted cross-entropy
 * (`F.cross_entropy(..., weight=w)`, `nn.CrossEntropyLoss(weight=w)`, `nll_loss(weight=w)`, a BCE's
 * `pos_weight`). The weighted CE is w_t * (-log p_t), so exp(-ce) is p_t ** w_t: the modulating
 * factor is taken at the wrong probability (for w_t > 1, a confident sample looks less confident).
 */
import type { RuleContext } from '../core/context';
import type { Call, Expr } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import { defineRule } from '../core/rule';
import type { Fix } from '../core/types';
import { findCallBySpan, replace } from './fixes';
import { ownsSpan } from './focal-sites';

/** The pts of this function that feed a modulating factor ((1 - pt) ** gamma, pt ** gamma), by id. */
function modulatedPts(ctx: RuleContext): Set<number> {
  const out = new Set<number>();
  for (const e of ctx.exprs()) {
    const v = ctx.valueOf(e);
    if (v?.m !== 'modulating' || !v.base) continue;
    out.add(v.base.id);
    if (v.base.of) out.add(v.base.of.id);
  }
  return out;
}

/** The weight argument's name and how to describe it. */
function weightText(ctx: RuleContext, call: Call | undefined, w: AbsValue): { arg: string; text: string; none: boolean } {
  const arg = call?.bound?.pos_weight && ctx.valueOf(call.bound.pos_weight)?.id === w.id ? 'pos_weight' : 'weight';
  const e = call?.bound?.[arg];
  const text = e ? `\`${ctx.text(e.span)}\`` : w.name ? `\`${w.name}\`` : 'class weights';
  return { arg, text, none: w.m === 'none' };
}

/**
 * The same cross-entropy call without its class weights (the keyword argument removed from its text),
 * for a functional call whose weights are given by keyword.
 */
function unweightedCall(ctx: RuleContext, call: Call, arg: string): string | undefined {
  const value = call.kwargs[arg];
  if (!value || call.spell?.kind !== 'function' || call.splat) return undefined;
  const text = ctx.text(call.span);
  const base = call.span.s;
  // From the comma before `arg=` to the end of its value.
  const before = ctx.source.slice(call.span.s, value.span.s);
  const key = before.lastIndexOf(arg);
  const comma = before.lastIndexOf(',', key);
  if (key < 0 || comma < 0) return undefined;
  return text.slice(0, comma) + text.slice(value.span.e - base);
}

export default defineRule({
  meta: {
    code: 'LL110',
    name: 'pt-from-weighted-ce',
    severity: 'warning',
    summary: '`pt = exp(-ce)` from a class-weighted cross-entropy is p_t ** w_t, not p_t',
    fixable: true,
  },
  check(ctx) {
    let modulated: Set<number> | undefined;
    for (const e of ctx.exprs()) {
      if (e.k !== 'call' || e.op?.id !== 'exp') continue;
      const v = ctx.valueOf(e);
      if (v?.m !== 'pt' || !v.classWeight) continue;
      // A weight hyperparameter left at None: exact as called in this file; reported only in strict mode.
      if (v.classWeight.m === 'none' && !ctx.settings.strict) continue;
      modulated ??= modulatedPts(ctx);
      if (!modulated.has(v.id)) continue;
      const ce = v.of?.of;
      const call = ce ? findCallBySpan(ctx, ce.src) : undefined;
      const { arg, text, none } = weightText(ctx, call, v.classWeight);
      // The call's arguments are copied: only where they are in scope (the call is this function's own).
      const without = call && ownsSpan(ctx, call.span) ? unweightedCall(ctx, call, arg) : undefined;
      const negArg = e.bound?.input;
      const fix: Fix | undefined =
        without && negArg ? { title: `Take pt from the unweighted cross-entropy: exp(-${without})`, edits: [replace((negArg as Expr).span, `-${without}`)], applicability: 'unsafe' } : undefined;
      ctx.report({
        span: e.span,
        message: `pt is exp(-ce) of a cross-entropy weighted by ${text}${none ? ' (None by default: exact as called here, wrong once a caller passes weights)' : ''}: it is p_t ** w_t, not p_t`,
        explanation: [
          `A class-weighted cross-entropy is w_t · (−log p_t), so exp(−CE) = p_t^(w_t): pt is the probability of the true class only where w_t = 1.`,
          'For a class weighted above 1 a well-classified sample looks less confident (p_t = 0.9, w_t = 4 gives pt = 0.66), so the modulating factor (1 − pt)^γ keeps its weight; below 1 the opposite. The focusing then depends on the class weights, which the focal loss never intended.',
          `Take pt from the unweighted per-sample cross-entropy (or from the softmax at the target) and keep the weights on the loss: w_t · (1 − p_t)^γ · CE.`,
        ].join('\n\n'),
        fix,
      });
    }
  },
  docs: `# LL110 pt-from-weighted-ce

## What it does
Flags \`pt = exp(-ce)\` (feeding a modulating factor) when \`ce\` is a class-weighted cross-entropy:
\`F.cross_entropy(..., weight=w)\`, \`nn.CrossEntropyLoss(weight=w)\`, \`F.nll_loss(..., weight=w)\`, or a
binary cross-entropy with \`pos_weight\` (or with a \`weight\` known to hold values other than 0 and 1;
a 0/1 \`weight\` is a mask and is left alone). A weight that is a \`None\` hyperparameter which no call
in the file sets (\`def __init__(self, weight=None)\`) is reported only with \`strict = true\`: the code
is exact as long as nobody passes weights, and wrong as soon as someone does, which this file does not show.

## Why is this bad?
PyTorch's weighted cross-entropy of a sample is $w_{t}\\cdot(-\\log p_t)$, so
$$e^{-\\mathrm{CE}_w} = p_t^{\\,w_t} \\neq p_t .$$
The modulating factor $(1-p_t)^\\gamma$ is then evaluated at the wrong probability: for a class
weighted above 1 a confident sample ($p_t = 0.9$, $w_t = 4$) gets $pt = 0.66$ and keeps a large weight,
for a class weighted below 1 the opposite. The focusing now depends on the class weights, which the
focal loss (Lin et al. 2017, eq. 5: $-\\alpha_t(1-p_t)^\\gamma\\log p_t$) keeps apart: the class weight is
$\\alpha_t$, outside the modulating factor.

## Example
\`\`\`python
def focal(logits, target, class_weights, gamma=2.0):
    ce = F.cross_entropy(logits, target, weight=class_weights, reduction="none")
    pt = torch.exp(-ce)
    return ((1 - pt) ** gamma * ce).mean()
\`\`\`

## Use instead
\`\`\`python
def focal(logits, target, class_weights, gamma=2.0):
    ce = F.cross_entropy(logits, target, weight=class_weights, reduction="none")
    pt = torch.exp(-F.cross_entropy(logits, target, reduction="none"))
    return ((1 - pt) ** gamma * ce).mean()
\`\`\`

## Fix safety
For a functional cross-entropy whose weights are passed by keyword, the fix replaces the argument of
\`exp\` with the same call without them. It changes the loss's values (that is its point), so it is
marked unsafe. Loss modules and positional weights get no fix.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017, equations (4) and (5).
- PyTorch docs: \`torch.nn.CrossEntropyLoss\` (\`weight\` multiplies each sample's loss by the weight of its class).
`,
});
