/**
 * LL103 gamma-below-one-unclamped: `(1 - pt) ** gamma` with gamma that can lie in (0, 1) and a
 * base that can reach 0. The derivative gamma * (1 - pt) ** (gamma - 1) is infinite at pt = 1,
 * which float32 reaches for confident predictions; autograd then multiplies inf by 0 and the
 * backward pass returns NaN.
 */
import type { RuleContext } from '../core/context';
import type { Call, Expr } from '../core/ir';
import type { Fix } from '../core/types';
import { mayLieIn, type AbsValue } from '../core/lattice';
import { defineRule } from '../core/rule';
import { VALUE_SOURCES } from './sources';
import { atomText, epsilonIn, frameworkOf, localName, outerSpan, replace } from './fixes';

function gammaText(g: AbsValue): string {
  if (g.values && g.values.length) {
    const below = g.values.filter((x) => x > 0 && x < 1);
    return `gamma=${(below.length ? below : g.values).join(' or ')}`;
  }
  return g.name ? `\`${g.name}\` (value not known)` : 'gamma (value not known)';
}

/** Whether a gamma can lie in (0, 1): true, false, or undefined when nothing is known. */
function gammaBelowOne(g: AbsValue | undefined): boolean | undefined {
  if (!g || (g.m !== 'scalar' && !(g.m === 'unknown' && g.hyper))) return undefined;
  return mayLieIn(g, 0, 1);
}

const EXPLANATION = (g: string) =>
  [
    `The modulating factor (1 − pt)^γ has derivative γ·(1 − pt)^(γ − 1), which is **infinite at pt = 1 when 0 < γ < 1** (${g}).`,
    'In float32, pt rounds to exactly 1 once the model is confident (the target logit ahead by about 17 for a softmax), so the backward pass computes ∞ · 0 and the gradient becomes NaN, which then spreads to every weight.',
    'Clamping the base away from 0 (`(1 - pt).clamp(min=eps)`) keeps the derivative finite; for γ ≥ 1 the derivative is bounded and no clamp is needed.',
  ].join('\n\n');

function checkPow(ctx: RuleContext, e: Expr, v: AbsValue): void {
  if (v.m !== 'modulating' || v.logSpace || !v.base || !v.exponent) return;
  const base = v.base;
  if (base.clamped || (base.range && base.range.lo > 0)) return;
  // No gradient flows through a detached base (`pt.detach()`, `.data`, `torch.no_grad()`): the
  // infinite derivative is never taken, so there is no NaN (LL111 says what detaching costs).
  if (base.detached || v.detached) return;
  const below = gammaBelowOne(v.exponent);
  if (below === false) return;
  if (below === undefined && !ctx.settings.strict) return;
  const baseExpr: Expr | undefined = e.k === 'bin' ? e.left : e.k === 'call' ? e.bound?.input : undefined;
  if (!baseExpr) return;
  const g = gammaText(v.exponent);
  const fw = frameworkOf(ctx);
  const eps = epsilonIn(ctx, fw === 'torch' ? '1e-6' : '1e-7');
  const inner = ctx.text(outerSpan(baseExpr));
  let newText: string;
  if (fw === 'torch') newText = `${atomText(ctx, baseExpr)}.clamp(min=${eps})`;
  else if (fw === 'keras') {
    const k = localName(ctx, ['tensorflow.keras.backend', 'keras.backend']) ?? 'K';
    newText = `${k}.clip(${stripParens(inner)}, ${eps === '1e-7' ? `${k}.epsilon()` : eps}, 1.0)`;
  } else {
    const tf = localName(ctx, 'tensorflow') ?? 'tf';
    newText = `${tf}.clip_by_value(${stripParens(inner)}, ${eps}, 1.0)`;
  }
  ctx.report({
    span: outerSpan(baseExpr),
    message: `\`${stripParens(inner)}\` raised to ${g} is not clamped: the gradient is NaN when pt reaches 1`,
    explanation: EXPLANATION(g),
    fix: { title: `Clamp the base: ${newText}`, edits: [replace(outerSpan(baseExpr), newText)], applicability: 'safe' },
  });
}

function checkLibrary(ctx: RuleContext, call: Call): void {
  // Library focal losses that raise (1 - p_t) to gamma with no guard (reference-implementations.md).
  if (!call.op || !call.op.loss?.focal || call.op.loss.focal.gammaGuard || !call.bound) return;
  const gammaExpr = call.bound.gamma;
  const gamma = gammaExpr ? ctx.valueOf(gammaExpr) : undefined;
  // The library default (2 or more) is safe; only a gamma passed in can be below 1.
  if (!gamma) return;
  const below = gammaBelowOne(gamma);
  if (below === false || (below === undefined && !ctx.settings.strict)) return;
  const g = gammaText(gamma);
  const name = call.callee?.split('.').pop() ?? call.op.id;
  const fix = logSpaceFix(ctx, call);
  ctx.report({
    fix,
    span: gammaExpr!.span,
    message: `\`${name}\` with ${g} has no guard for gamma < 1: its gradient is NaN for confident predictions`,
    explanation: [
      EXPLANATION(g),
      `\`${name}\` computes \`(1 - p_t) ** gamma\` directly (see the rule page for each library). Use gamma >= 1, or a log-space modulating factor as MONAI does: \`torch.exp(gamma * F.logsigmoid(-x * (2 * t - 1)))\`.`,
    ].join('\n\n'),
  });
}

/**
 * For torchvision/fvcore `sigmoid_focal_loss(x, t, alpha, gamma, reduction)`: the same loss written
 * out with the modulating factor in log space, (1 - p_t) ** gamma = exp(gamma * logsigmoid(-x * (2t - 1)))
 * for t in {0, 1}, as MONAI computes it. Offered only when x and t are plain names or attributes
 * (they are repeated) and torch and its functional module are imported.
 */
function logSpaceFix(ctx: RuleContext, call: Call): Fix | undefined {
  if (!call.op || (call.op.id !== 'torchvision_sigmoid_focal_loss' && call.op.id !== 'fvcore_sigmoid_focal_loss') || call.splat) return undefined;
  const b = call.bound!;
  const simple = (e: Expr | undefined): e is Expr => !!e && (e.k === 'name' || e.k === 'attr');
  if (!simple(b.input) || !simple(b.target) || !b.gamma) return undefined;
  const torch = localName(ctx, 'torch');
  const F = localName(ctx, 'torch.nn.functional') ?? (torch ? `${torch}.nn.functional` : undefined);
  if (!torch || !F) return undefined;
  const x = ctx.text(b.input.span);
  const t = ctx.text(b.target.span);
  const gamma = atomText(ctx, b.gamma);
  let alphaT = '';
  if (b.alpha) {
    const a = ctx.valueOf(b.alpha);
    if (!(a?.m === 'scalar' && a.values?.every((v) => v < 0))) {
      if (a?.m !== 'scalar') return undefined;
      const at = atomText(ctx, b.alpha);
      alphaT = `(${at} * ${t} + (1 - ${at}) * (1 - ${t})) * `;
    }
  } else if (call.op.id === 'torchvision_sigmoid_focal_loss') {
    alphaT = `(0.25 * ${t} + 0.75 * (1 - ${t})) * `;
  }
  let reduction = 'none';
  if (b.reduction) {
    const r = ctx.valueOf(b.reduction);
    if (r?.m !== 'string' || r.str === undefined) return undefined;
    reduction = r.str;
  }
  const core = `${alphaT}${torch}.exp(${gamma} * ${F}.logsigmoid(-${x} * (2 * ${t} - 1))) * ${F}.binary_cross_entropy_with_logits(${x}, ${t}, reduction="none")`;
  const text = reduction === 'mean' ? `(${core}).mean()` : reduction === 'sum' ? `(${core}).sum()` : reduction === 'none' ? `(${core})` : undefined;
  if (!text) return undefined;
  return { title: 'Compute the modulating factor in log space (as MONAI does)', edits: [replace(call.span, text)], applicability: 'unsafe' };
}

function stripParens(s: string): string {
  const t = s.trim();
  if (!t.startsWith('(') || !t.endsWith(')')) return t;
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '(') depth++;
    else if (t[i] === ')') depth--;
    if (depth === 0 && i < t.length - 1) return t;
  }
  return t.slice(1, -1).trim();
}

export default defineRule({
  meta: {
    code: 'LL103',
    name: 'gamma-below-one-unclamped',
    severity: 'error',
    summary: '`(1 - pt) ** gamma` with 0 < gamma < 1 and no clamp: NaN gradients for confident predictions',
    fixable: true,
  },
  check(ctx) {
    for (const e of ctx.exprs()) {
      const v = ctx.valueOf(e);
      if (!v) continue;
      if ((e.k === 'bin' && e.op === '**') || (e.k === 'call' && e.op?.id === 'pow')) checkPow(ctx, e, v);
      else if (e.k === 'call') checkLibrary(ctx, e);
    }
  },
  docs: `# LL103 gamma-below-one-unclamped

## What it does
Flags a focal-loss modulating factor \`(1 - pt) ** gamma\` (in any spelling: \`**\`, \`torch.pow\`,
\`.pow()\`, \`tf.pow\`, \`K.pow\`) when gamma can lie strictly between 0 and 1 and the base \`1 - pt\` is not
clamped away from 0. When gamma's value is not known, the rule is silent unless \`strict\` is on.

${VALUE_SOURCES} A \`gamma: 0.5\` in a Hydra config that reaches an
unclamped \`FocalLoss\` is reported on that line of the YAML file.

It also flags calls to library focal losses that have no guard (torchvision and fvcore
\`sigmoid_focal_loss\`, kornia, segmentation_models_pytorch, Keras \`BinaryFocalCrossentropy\`, TF Addons,
mmcv's softmax kernel) when they are passed a gamma below 1.

## Why is this bad?
The derivative of the modulating factor is

$$\\frac{d}{dp_t}(1-p_t)^\\gamma = -\\gamma\\,(1-p_t)^{\\gamma-1}.$$

For $0 < \\gamma < 1$ the exponent $\\gamma - 1$ is negative, so the derivative is infinite at $p_t = 1$.
In float32, $p_t = e^{-\\mathrm{CE}}$ rounds to exactly 1 once the model is confident (the target logit
ahead by about 17), autograd multiplies $\\infty$ by $0$, and the gradient is NaN. One NaN in one
sample poisons every weight on the next optimizer step. Users of the PyTorch focal-loss thread hit
this exactly: "it happens when the model is highly confident and 0 < gamma < 1".

## Example
\`\`\`python
def focal_loss(logits, targets, gamma=0.5):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return ((1 - pt) ** gamma * ce).mean()
\`\`\`

## Use instead
\`\`\`python
def focal_loss(logits, targets, gamma=0.5, eps=1e-6):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return ((1 - pt).clamp(min=eps) ** gamma * ce).mean()
\`\`\`
TensorFlow: \`tf.clip_by_value(1 - pt, 1e-7, 1.0)\`; Keras backend: \`K.clip(1 - pt, K.epsilon(), 1.0)\`.
Or compute the factor in log space, as MONAI does: \`torch.exp(gamma * F.logsigmoid(-x * (2 * t - 1)))\`.

## Fix safety
For torchvision and fvcore \`sigmoid_focal_loss\` calls, the fix writes the same loss out with the
modulating factor in log space, \`exp(gamma * logsigmoid(-x * (2 * t - 1)))\`, which equals
\`(1 - p_t) ** gamma\` for binary targets and has a finite gradient; it is unsafe (soft targets differ).

For a written-out factor, the fix clamps the base at \`eps\` (an \`eps\` parameter or \`self.eps\` when one exists, else \`1e-6\`;
\`1e-7\` for TensorFlow/Keras). It changes the loss by at most \`eps ** gamma\` per sample for examples
that are already classified with certainty, and makes the gradient finite. It is marked safe.

## References
- Lin et al., *Focal Loss for Dense Object Detection* (RetinaNet), 2017.
- The PyTorch issue thread on a multi-class focal loss (\`shared/seeds/\`), the report of NaN with 0 < gamma < 1.
- optax issue #1267 / PR #1346: the same NaN, fixed by clamping \`1 - p_t\`.
`,
});
