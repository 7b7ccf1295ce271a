/**
 * LL114 swapped-arguments: a loss called with its prediction and its targets in each other's place
 * (`F.cross_entropy(target, logits)`, `K.binary_crossentropy(y_pred, y_true)` since Keras 2, whose
 * backend takes `(target, output)`), or a library focal loss given alpha and gamma by position in the
 * other library's order (`sigmoid_focal_loss(x, t, 2, 0.25)`: torchvision's order is alpha, gamma).
 * Evidence is what each argument means in the lattice, from other uses, ops and naming conventions,
 * never the meaning this very call would give it.
 */
import type { RuleContext } from '../core/context';
import type { Call, Expr } from '../core/ir';
import type { AbsValue, Meaning } from '../core/lattice';
import type { Fix } from '../core/types';
import { bindModuleCall, type Spelling } from '../ops';
import { defineRule } from '../core/rule';
import { replace } from './fixes';
import { num } from './reading';

const PREDICTION: ReadonlySet<Meaning> = new Set(['logits', 'prob', 'logprob']);
const TARGET: ReadonlySet<Meaning> = new Set(['target', 'target_index', 'target_onehot']);

/** What an argument means, as evidence against `call`: a meaning learnt from this very call does not count, its name's convention does. */
function evidence(v: AbsValue | undefined, call: Call): Meaning | undefined {
  if (!v) return undefined;
  if (v.roleFrom && v.roleFrom.s === call.span.s && v.roleFrom.e === call.span.e) return v.byName;
  return v.m;
}

function describe(m: Meaning): string {
  return m === 'logits' ? 'logits' : m === 'prob' ? 'probabilities' : m === 'logprob' ? 'log-probabilities' : 'targets';
}

/** The call's spelling and its arguments by canonical name: an op call, or a call of a loss module instance. */
function bindingOf(ctx: RuleContext, call: Call): { spell: Spelling; bound: Record<string, Expr> } | undefined {
  if (call.op && call.spell && call.bound && call.spell.kind !== 'module') return { spell: call.spell, bound: call.bound };
  const fv = ctx.valueOf(call.func);
  if (fv?.m === 'module' && fv.module && !call.op) {
    const tuple = (items: Expr[]): Expr => ({ k: 'tuple', items, list: false, span: call.span });
    return { spell: fv.module.spell, bound: bindModuleCall(fv.module.spell, call.args, call.kwargs, tuple) };
  }
  return undefined;
}

/** Swaps two positional arguments' texts. */
function swapFix(ctx: RuleContext, call: Call, a: Expr, b: Expr, title: string): Fix | undefined {
  if (call.splat || !call.args.includes(a) || !call.args.includes(b)) return undefined;
  const ta = ctx.text(a.paren ?? a.span);
  const tb = ctx.text(b.paren ?? b.span);
  return { title, edits: [replace(a.paren ?? a.span, tb), replace(b.paren ?? b.span, ta)], applicability: 'unsafe' };
}

function checkRoles(ctx: RuleContext, call: Call): void {
  // Only loss calls and calls of a module instance (`self.criterion(...)`) can be losses.
  if (call.op ? !call.op.loss : call.args.length < 2) return;
  const b = bindingOf(ctx, call);
  if (!b || !b.spell.op.loss) return;
  const { input, target } = b.bound;
  if (!input || !target || input === target) return;
  const ein = evidence(ctx.valueOf(input), call);
  const etg = evidence(ctx.valueOf(target), call);
  if (!ein || !etg || !TARGET.has(ein) || !PREDICTION.has(etg)) return;
  const sig = b.spell.kind === 'module' ? b.spell.callSig : b.spell.sig;
  const names = sig?.params.filter((p) => p.kind === 'positional' || p.kind === 'posonly').map((p) => p.name) ?? [];
  const order = names.length >= 2 ? `(${names.slice(0, 2).join(', ')}, ...)` : 'its documented order';
  const callee = ctx.text(call.func.span);
  const history = b.spell.name.startsWith('keras.backend.')
    ? " Keras 1's backend took `(output, target)`; since Keras 2.0 it takes `(target, output)`, so code written for Keras 1 computes the wrong loss without an error."
    : b.spell.name.startsWith('tensorflow.nn.')
      ? ' TensorFlow before 1.0 took `(logits, targets, ...)`; since 1.0 the labels come first, so code written for the old order computes the wrong loss without an error.'
      : '';
  ctx.report({
    span: call.span,
    message: `\`${callee}\` gets ${describe(etg)} (\`${ctx.code(target.span)}\`) as its targets and ${describe(ein)} (\`${ctx.code(input.span)}\`) as its prediction: the arguments are swapped; the order is ${order}`,
    explanation: [
      `\`${b.spell.name}\` takes ${order}. Here the argument in the prediction's place holds ${describe(ein)} and the one in the targets' place holds ${describe(etg)} (from how they are computed, used elsewhere, or named), so the loss compares the targets against the prediction the wrong way round: its value and gradient are not those of the loss, and often nothing raises.${history}`,
      'Pass the arguments in the documented order, or by keyword.',
    ].join('\n\n'),
    fix: swapFix(ctx, call, input, target, 'Swap the prediction and the targets'),
  });
}

/** alpha and gamma by position in the wrong order: alpha outside [0, 1] (and not the "off" value -1) with gamma in [0, 1). */
function checkAlphaGamma(ctx: RuleContext, call: Call): void {
  if (!call.op?.loss?.focal || !call.bound || call.splat) return;
  const a = call.bound.alpha;
  const g = call.bound.gamma;
  if (!a || !g || (!call.args.includes(a) && !call.args.includes(g))) return;
  const av = ctx.valueOf(a);
  const gv = ctx.valueOf(g);
  if (av?.m !== 'scalar' || gv?.m !== 'scalar' || !av.values?.length || !gv.values?.length) return;
  if (!av.values.every((x) => x > 1) || !gv.values.every((x) => x >= 0 && x < 1)) return;
  const names = call.spell?.sig.params.filter((p) => p.canon === 'alpha' || p.canon === 'gamma').map((p) => p.canon) ?? [];
  const order = names.join(', ');
  const alpha = av.values.map(num).join(' or ');
  ctx.report({
    span: a.span,
    message: `\`${ctx.code(call.func.span)}\` takes (${order}) in that order: alpha=${alpha} and gamma=${gv.values.map(num).join(' or ')} look swapped (alpha must lie in [0, 1]; with alpha=${alpha} the negatives are weighted by ${av.values.map((x) => num(1 - x)).join(' or ')})`,
    explanation: [
      `\`${call.spell?.name ?? call.op.id}\` weighs positives by alpha and negatives by 1 - alpha, so alpha belongs in [0, 1] (a negative alpha turns the weighting off in torchvision and fvcore). An alpha above 1 makes the negatives' weight negative: the loss rewards confident mistakes on the background.`,
      `A gamma below 1 with an alpha above 1 is the signature of arguments passed in another library's order (mmcv's \`sigmoid_focal_loss\` takes gamma first, torchvision's alpha first). Pass them by keyword.`,
    ].join('\n\n'),
    fix: swapFix(ctx, call, a, g, 'Swap alpha and gamma'),
  });
}

export default defineRule({
  meta: {
    code: 'LL114',
    name: 'swapped-arguments',
    severity: 'error',
    summary: 'A loss called with prediction and targets (or alpha and gamma) in each other\'s place',
    fixable: true,
  },
  check(ctx) {
    for (const call of ctx.calls()) {
      checkRoles(ctx, call);
      checkAlphaGamma(ctx, call);
    }
  },
  docs: `# LL114 swapped-arguments

## What it does
Flags a loss called with its arguments in each other's place:

- the targets passed where the prediction goes and the prediction where the targets go, for every
  loss of the op table (\`F.cross_entropy(target, logits)\`, \`F.binary_cross_entropy_with_logits\`,
  \`nn.BCELoss()(target, probs)\`, \`tf.keras.losses.binary_crossentropy(y_pred, y_true)\`,
  \`K.binary_crossentropy(y_pred, y_true)\`, \`tf.nn.sigmoid_cross_entropy_with_logits(logits, labels)\` by
  position, library focal losses);
- a library focal loss given alpha and gamma by position in the other order
  (\`torchvision.ops.sigmoid_focal_loss(x, t, 2, 0.25)\`), seen from their values: an alpha above 1 with a
  gamma in [0, 1).

What each argument is comes from the lattice: a sigmoid/softmax output or a model's output is a
prediction, \`F.one_hot(...)\` or an index of a class-weight table is a target, and a parameter's use
elsewhere or its conventional name (\`logits\`, \`labels\`, \`targets\`, Keras' \`y_true\`/\`y_pred\`) says what
it holds. What the flagged call itself would make of an argument is never evidence. Both arguments must
contradict their places; one alone is not enough.

## Why is this bad?
Most losses do not check which argument is which. \`F.cross_entropy(target, logits)\` raises only when
the shapes disagree; \`F.binary_cross_entropy_with_logits(t, x)\` and Keras' \`binary_crossentropy\` run
and return a number that is not the loss, and the model trains on it. Keras 1's backend took
\`binary_crossentropy(output, target)\`; since Keras 2.0 (2017) it takes \`(target, output)\`, so code
written for Keras 1 computes the wrong loss without an error; likewise TensorFlow before 1.0 took
\`sigmoid_cross_entropy_with_logits(logits, targets)\` and \`weighted_cross_entropy_with_logits(logits,
targets, pos_weight)\`, and 1.0 put the labels first.

For focal losses, torchvision's \`sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2)\` and mmcv's
\`sigmoid_focal_loss(input, target, gamma=2.0, alpha=0.25)\` take the two hyperparameters in opposite
orders. \`alpha=2\` weighs the negatives by \`1 - alpha = -1\`.

## Example
\`\`\`python
def loss_fn(y_true, y_pred):
    return K.mean(K.binary_crossentropy(y_pred, y_true), axis=-1)

loss = sigmoid_focal_loss(logits, targets, 2.0, 0.25, "mean")
\`\`\`

## Use instead
\`\`\`python
def loss_fn(y_true, y_pred):
    return K.mean(K.binary_crossentropy(y_true, y_pred), axis=-1)

loss = sigmoid_focal_loss(logits, targets, alpha=0.25, gamma=2.0, reduction="mean")
\`\`\`

## Fix safety
The fix swaps the two positional arguments. The evidence comes partly from conventions (names), so
it is marked unsafe: check that the swapped call is what you meant.

## References
- PyTorch docs: \`F.cross_entropy(input, target)\`, \`F.binary_cross_entropy_with_logits(input, target)\`.
- TensorFlow 1.0 release notes: \`tf.nn.sigmoid_cross_entropy_with_logits\` and
  \`weighted_cross_entropy_with_logits\` take \`(labels, logits)\` (0.x took logits first).
- Keras 2.0 release notes: the backend's \`binary_crossentropy\` and \`categorical_crossentropy\` now take
  \`(target, output)\`; Keras' losses take \`(y_true, y_pred)\`.
- torchvision \`ops.sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction="none")\`;
  mmcv \`ops.sigmoid_focal_loss(input, target, gamma=2.0, alpha=0.25, ...)\`.
`,
});
