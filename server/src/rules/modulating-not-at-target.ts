/**
 * LL109 modulating-not-at-target: the focal modulating factor is computed from a probability that is
 * not the true class's: `(1 - p) ** gamma` with p the sigmoid probability of class 1 multiplying the
 * whole binary cross-entropy (or its negative term), `p ** gamma` on the positives, or a softmax's
 * `(1 - p) ** gamma` over every class multiplying a per-sample cross-entropy or averaged over the
 * classes. Easy examples of one side are then up-weighted instead of down-weighted.
 */
import type { RuleContext } from '../core/context';
import type { Expr } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import { placeOn } from '../core/algebra';
import { defineRule } from '../core/rule';
import type { Fix } from '../core/types';
import { outerSpan, replace } from './fixes';
import { exprWithSpan, ownsSpan } from './focal-sites';

type Verdict = 'negatives' | 'positives' | 'classes';

/** A cross-entropy factor that covers both classes of a binary loss (BCE, or its log-likelihood). */
function fullBinary(ce: AbsValue): boolean {
  return ce.act === 'sigmoid' && (ce.m === 'ce' || (ce.m === 'logprob' && !!ce.gathered && !!ce.binary));
}

/** A per-sample cross-entropy of a softmax (one value per sample, at its target). */
function perSampleSoftmax(ce: AbsValue): boolean {
  return ce.act === 'softmax' && (ce.m === 'ce' || (ce.m === 'logprob' && !!ce.gathered));
}

/** Where a focal product's modulating factor weighs the wrong examples, if it does. */
function verdictOf(parts: NonNullable<AbsValue['focal']>): Verdict | undefined {
  const mod = parts.modulating;
  const ce = parts.ce;
  if (!mod || !ce) return undefined;
  if (mod.misplaced) return mod.misplaced;
  if (!mod.perClass) return undefined;
  // A binary cross-entropy against constant targets is one side's loss (QFL's negatives: BCE(p, 0) * p ** beta).
  if (ce.targetSide) return placeOn(mod, ce.targetSide).misplaced;
  if (mod.act !== 'softmax' && fullBinary(ce)) return mod.perClass === 'one_minus_p' ? 'negatives' : 'positives';
  if (mod.act === 'softmax' && perSampleSoftmax(ce)) return 'classes';
  return undefined;
}

/** The focal parts a value holds: its own, or those of the product a mask selects. */
function partsOf(v: AbsValue | undefined): AbsValue['focal'] | undefined {
  if (v?.m === 'focal') return v.focal;
  if (v?.m === 'masked' && v.of?.m === 'focal') return v.of.focal;
  return undefined;
}

/** The name of the function's binary targets, for the fix: a parameter or a local holding them. */
function targetName(ctx: RuleContext): string | undefined {
  for (const [name, v] of ctx.facts.params) if (v.m === 'target' || v.m === 'target_onehot') return name;
  return undefined;
}

/** `1 - X` as an expression: X, else undefined. */
function complementOperand(e: Expr | undefined): Expr | undefined {
  return e?.k === 'bin' && e.op === '-' && e.left.k === 'num' && e.left.value === 1 ? e.right : undefined;
}

/** The unsafe fix for `(1 - p) ** gamma` over a whole BCE: the base becomes 1 - p_t. */
function ptFix(ctx: RuleContext, pow: Expr | undefined): Fix | undefined {
  const base = pow?.k === 'bin' ? pow.left : pow?.k === 'call' ? pow.bound?.input : undefined;
  const p = complementOperand(base);
  const t = targetName(ctx);
  if (!base || !p || !t) return undefined;
  const x = ctx.text(outerSpan(p));
  const text = `(1 - (${x} * ${t} + (1 - ${x}) * (1 - ${t})))`;
  return { title: `Take the factor at the target: ${text}`, edits: [replace(outerSpan(base), text)], applicability: 'unsafe' };
}

const MESSAGES: Record<Verdict, (f: string) => string> = {
  negatives: (f) => `${f} takes p, the probability of class 1, not p_t: on the negatives it grows as they get easier, so easy negatives are up-weighted, not down-weighted`,
  positives: (f) => `${f} weighs the positives: easy positives (p near 1) keep their full weight and hard ones lose it`,
  classes: (f) => `${f} is computed from every class of the softmax, not at the target: it does not weigh each sample by its own (1 - p_t) ** gamma`,
};

const EXPLANATIONS: Record<Verdict, string> = {
  negatives: [
    'The focal loss weighs each element by (1 − p_t)^γ, where p_t is the probability of its **true** class: p for a positive, 1 − p for a negative (Lin et al. 2017, eq. 2 and 4).',
    'Here the factor is (1 − p)^γ for every element. For a negative (t = 0), p_t = 1 − p, so (1 − p)^γ = p_t^γ: the easier the negative (p → 0), the closer its weight to 1. The thousands of easy negatives the focal loss exists to silence get the full cross-entropy, and hard negatives are damped.',
    'Use p_t = p · t + (1 − p) · (1 − t) (torchvision, fvcore), or write the two terms with (1 − p)^γ on the positives and p^γ on the negatives.',
  ].join('\n\n'),
  positives: [
    'On a positive (t = 1) p_t = p, so the modulating factor must be (1 − p)^γ. Here it is p^γ: the easier the positive, the larger its weight, the opposite of the focal loss.',
    'p^γ belongs on the negatives, where p_t = 1 − p.',
  ].join('\n\n'),
  classes: [
    'In a softmax focal loss the factor is (1 − p_t)^γ with p_t the probability of the sample\'s target class (Lin et al. 2017, eq. 4).',
    'Here (1 − p)^γ is computed for **every** class and then averaged, summed, or broadcast against a per-sample cross-entropy: a sample\'s weight mixes the probabilities of classes it does not belong to (and a broadcast multiplies its loss once per class).',
    'Take the factor at the target: p_t = softmax(x).gather(1, t[:, None]).squeeze(1), or exp(−CE) of the per-sample cross-entropy; or keep it per class and let `nll_loss` / a one-hot mask pick the target.',
  ].join('\n\n'),
};

export default defineRule({
  meta: {
    code: 'LL109',
    name: 'modulating-not-at-target',
    severity: 'error',
    summary: 'The modulating factor is computed from a probability other than the true class\'s p_t',
    fixable: true,
  },
  check(ctx) {
    const done = new Set<string>();
    // Factors that a use places on the side they belong to (`where(t == 1, (1 - p) ** g * bce, ...)`):
    // the product computed before that choice is not yet the loss, so it is not judged whole.
    const placed = new Set<string>();
    for (const e of ctx.exprs()) {
      const parts = partsOf(ctx.valueOf(e));
      for (const p of [parts, ...(parts?.terms ?? [])]) {
        const mod = p?.modulating;
        if (mod?.src && !mod.perClass && !mod.misplaced && mod.act !== 'softmax') placed.add(`${mod.src.s}:${mod.src.e}`);
      }
    }
    for (const e of ctx.exprs()) {
      const parts = partsOf(ctx.valueOf(e));
      const verdict = parts && verdictOf(parts);
      if (!verdict) continue;
      const mod = parts!.modulating!;
      // Reported where the factor is computed, by the function that computes it (once).
      const where = mod.src;
      if (!where || !ownsSpan(ctx, where)) continue;
      const key = `${where.s}:${where.e}`;
      if (done.has(key) || (!mod.misplaced && placed.has(key))) continue;
      done.add(key);
      const pow = exprWithSpan(ctx, where);
      ctx.report({
        span: pow ? outerSpan(pow) : where,
        message: MESSAGES[verdict](pow && pow.span.e - pow.span.s <= 60 ? `\`${ctx.code(pow.span)}\`` : 'the modulating factor'),
        explanation: EXPLANATIONS[verdict],
        fix: verdict === 'negatives' && !mod.misplaced ? ptFix(ctx, pow) : undefined,
      });
    }
  },
  docs: `# LL109 modulating-not-at-target

## What it does
Flags a focal loss whose modulating factor is not taken at the true class:
- a binary (sigmoid) loss that multiplies the whole binary cross-entropy by \`(1 - p) ** gamma\`, where
  \`p = sigmoid(x)\` is the probability of class 1, not \`p_t\`; also \`(1 - p) ** gamma\` on the negative
  term, \`p ** gamma\` on the positive term, and \`where(t == 1, p ** g, (1 - p) ** g)\`;
- a softmax loss whose factor \`(1 - p) ** gamma\` is computed for every class and then multiplied with a
  per-sample cross-entropy (a broadcast) or averaged / summed over the classes.

It stays silent on \`p_t = p * t + (1 - p) * (1 - t)\` and \`where(t == 1, p, 1 - p)\`, on a factor written
per term (\`(1 - p) ** g\` on the positives, \`p ** g\` on the negatives), on \`exp(-ce)\`, on softmax
probabilities gathered at the target, and on per-class factors that a one-hot mask, a gather or
\`nll_loss\` takes at the target before they are reduced (\`nll_loss((1 - softmax(x)) ** g * log_softmax(x), t)\`).
A factor beside one side's log-likelihood is judged against that side, whichever target selects the
term: \`t * log(1 - p) * p ** g\` is right where the file's labels make t = 1 mark class 0 (a pair loss
whose output is the probability that the pair differs), and \`t * log(1 - p) * (1 - p) ** g\` is not.

## Why is this bad?
The modulating factor is $(1-p_t)^\\gamma$ with $p_t = p$ for a positive and $p_t = 1-p$ for a negative
(Lin et al. 2017, eq. 2 and 4). With $(1-p)^\\gamma$ everywhere, a negative's factor is $p_t^{\\gamma}$: the
easier it is, the closer its weight gets to 1. RetinaNet's whole point, silencing the ~100k easy
negatives of a detector, is turned around: they keep their full cross-entropy and the hard negatives
are damped. The softmax variant weighs each sample by the probabilities of classes it does not belong to.

## Example
\`\`\`python
def binary_focal(logits, targets, gamma=2.0):
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p = torch.sigmoid(logits)
    return ((1 - p) ** gamma * bce).mean()
\`\`\`

## Use instead
\`\`\`python
    p = torch.sigmoid(logits)
    p_t = p * targets + (1 - p) * (1 - targets)
    return ((1 - p_t) ** gamma * bce).mean()
\`\`\`
(the form of \`torchvision.ops.sigmoid_focal_loss\` and fvcore).

## Fix safety
For \`(1 - p) ** gamma\` over a whole binary cross-entropy, the fix replaces the base with
\`1 - (p * t + (1 - p) * (1 - t))\`, using the function's target parameter. It changes the loss's values
(that is its point), so it is marked unsafe. The other forms get no fix.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017, equations (2) and (4).
- torchvision \`ops/focal_loss.py\`; fvcore \`nn/focal_loss.py\` (\`p_t = p * targets + (1 - p) * (1 - targets)\`).
`,
});
