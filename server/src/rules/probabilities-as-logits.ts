/**
 * LL201 probabilities-as-logits: sigmoid/softmax output fed where logits are expected (the
 * `*_with_logits` losses, F.cross_entropy, nn.CrossEntropyLoss, sigmoid_focal_loss, Keras
 * `from_logits=True`), and logits fed where probabilities are expected (Keras `from_logits=False`
 * on a value known to be logits, F.nll_loss on raw scores).
 */
import type { RuleContext } from '../core/context';
import type { Expr } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import { defineRule } from '../core/rule';
import { VALUE_SOURCES } from './sources';
import { resolveQualified } from '../ops';
import { appliedOps, flagOf, type Applied } from './applied';
import { functionalName, outerSpan, replace, setKeyword } from './fixes';

function isActivated(v: AbsValue | undefined): boolean {
  return !!v && v.m === 'prob' && (v.act === 'sigmoid' || v.act === 'softmax') && v.complementOf === undefined && !v.fromLogProb;
}

/** The fix for a probability passed as logits: drop the activation when it is written right there. */
function dropActivation(ctx: RuleContext, arg: Expr): { title: string; edits: ReturnType<typeof replace>[] } | undefined {
  if (arg.k === 'call' && arg.op && (arg.op.id === 'sigmoid' || arg.op.id === 'softmax') && arg.spell?.kind !== 'module' && arg.bound?.input) {
    return { title: `Pass the logits: remove the ${arg.op.id}`, edits: [replace(outerSpan(arg), ctx.text(outerSpan(arg.bound.input)))] };
  }
  return undefined;
}

/**
 * Where a value came from when it was computed outside the function (`crit(F.softmax(out, 1), y)`
 * seeds the parameter `forward` reads; a model's forward returns a softmax): the text of that
 * expression, for the message. The fix is there, not at the loss line the finding is on.
 */
function passedAt(ctx: RuleContext, v: AbsValue | undefined): string {
  const src = v?.src;
  if (!src || (src.s >= ctx.fn.span.s && src.e <= ctx.fn.span.e) || ctx.fn.isModule) return '';
  // No line number: a finding kept from an earlier analysis moves with its own statement, not with this one.
  const text = ctx.code(src);
  return text.length <= 60 ? ` (\`${text}\`, from elsewhere in the file)` : ' (from elsewhere in the file)';
}

/** `what` is the message, given where the value was passed when a call elsewhere passed it (`passedAt`). */
function report(ctx: RuleContext, arg: Expr, what: string | ((from: string) => string), fix?: { title: string; edits: ReturnType<typeof replace>[] }): void {
  const v = ctx.valueOf(arg);
  ctx.report({
    span: arg.span,
    message: typeof what === 'string' ? what : what(passedAt(ctx, v)),
    explanation: [
      v?.m === 'prob'
        ? `This value is already a ${v.act} probability in [0, 1]; the loss applies ${v.act === 'softmax' ? 'log_softmax' : 'a sigmoid'} to it again. Probabilities squeezed into [0, 1] give nearly uniform second activations: the loss barely changes with the prediction and gradients shrink by a large factor.`
        : 'This value is raw logits (unbounded scores), but the loss treats it as probabilities and takes its log directly: negative scores give NaN, scores above 1 give negative losses.',
      'Pass logits to losses that expect logits (`*_with_logits`, `F.cross_entropy`, `sigmoid_focal_loss`, Keras `from_logits=True`), and probabilities to those that expect probabilities.',
    ].join('\n\n'),
    fix: fix ? { ...fix, applicability: 'unsafe' } : undefined,
  });
}

/** A loss whose `from_logits` decides what its prediction holds (Keras, TF Addons). */
function checkFlagged(ctx: RuleContext, a: Applied): void {
  const pred = a.exprs.input;
  if (!pred) return;
  const pv = ctx.valueOf(pred);
  const fl = flagOf(ctx, a, 'from_logits');
  const flag = a.exprs.from_logits;
  if (fl === true && isActivated(pv)) {
    const drop = dropActivation(ctx, pred);
    const fix = drop ?? (flag ? { title: 'Set from_logits=False', edits: [replace(flag.span, 'False')] } : undefined);
    report(ctx, pred, (from) => `a ${pv!.act} probability${from} is passed to a loss built with from_logits=True`, fix);
  } else if (fl === false && pv?.m === 'logits') {
    const fix = a.viaModule ? undefined : { title: 'Set from_logits=True', edits: [setKeyword(ctx, a.call, 'from_logits', 'True')] };
    report(ctx, pred, (from) => `logits${from} are passed to a loss that expects probabilities (from_logits=False)`, fix);
  }
}

/**
 * `model.compile(loss=...)`: the model's output against what the loss expects. A loss given by name
 * (`"categorical_crossentropy"`) takes probabilities (Keras's from_logits=False default); a loss
 * object says it with its own `from_logits`.
 */
function checkCompile(ctx: RuleContext, call: Extract<Expr, { k: 'call' }>): void {
  const out = ctx.valueOf(call)?.modelOutput;
  const lossExpr = call.bound?.loss;
  if (!out || !lossExpr) return;
  const lv = ctx.valueOf(lossExpr);
  let fromLogits: boolean | undefined;
  let name: string | undefined;
  if (lv?.m === 'string' && lv.str) {
    const s = resolveQualified(`keras.losses.${lv.str}`);
    if (!s?.op.loss || s.op.loss.input !== 'flag') return;
    fromLogits = s.defaults.from_logits === true;
    name = `"${lv.str}"`;
  } else if (lv?.m === 'module' && lv.module?.spell.op.loss?.input === 'flag') {
    const f = lv.module.args.from_logits;
    fromLogits = f ? (f.m === 'bool' ? f.bool : undefined) : lv.module.spell.defaults.from_logits === true;
    name = `\`${lv.module.spell.name.split('.').pop()}\``;
  } else return;
  if (fromLogits === true && isActivated(out)) {
    report(ctx, lossExpr, `the model ends in a ${out.act}, but its loss ${name} is built with from_logits=True`);
  } else if (fromLogits === false && out.m === 'logits') {
    report(ctx, lossExpr, `the model's last layer has no activation (it outputs logits), but its loss ${name} expects probabilities (from_logits=False)`);
  }
}

export default defineRule({
  meta: {
    code: 'LL201',
    name: 'probabilities-as-logits',
    severity: 'error',
    summary: 'Probabilities fed where logits are expected, or logits where probabilities are expected',
    fixable: true,
  },
  check(ctx) {
    for (const call of ctx.calls()) if (call.op?.id === 'keras_compile') checkCompile(ctx, call);
    for (const a of appliedOps(ctx)) {
      const loss = a.op.loss;
      if (!loss) continue;
      const arg = a.exprs.input;
      if (loss.input === 'flag') checkFlagged(ctx, a);
      else if (loss.input === 'logits') {
        if (arg && isActivated(ctx.valueOf(arg))) report(ctx, arg, (from) => `a ${ctx.valueOf(arg)!.act} probability${from} is passed to \`${a.name}\`, which expects logits`, dropActivation(ctx, arg));
      } else if (loss.input === 'logprob') {
        if (arg && ctx.valueOf(arg)?.m === 'logits') {
          const F = functionalName(ctx);
          report(ctx, arg, `\`${a.name}\` expects log-probabilities but receives raw logits`, {
            title: 'Apply log_softmax first',
            edits: [replace(outerSpan(arg), `${F}.log_softmax(${ctx.text(outerSpan(arg))}, dim=1)`)],
          });
        }
      }
    }
  },
  docs: `# LL201 probabilities-as-logits

## What it does
Flags a sigmoid or softmax output passed to an operation that expects logits
(\`F.cross_entropy\`, \`nn.CrossEntropyLoss\`, \`F.binary_cross_entropy_with_logits\`, \`nn.BCEWithLogitsLoss\`,
\`tf.nn.*_cross_entropy_with_logits\`, \`torchvision.ops.sigmoid_focal_loss\`, fvcore, kornia, mmcv, and Keras
losses with \`from_logits=True\`), and logits passed where probabilities are expected (Keras losses left at
\`from_logits=False\` on a value known to be logits, \`F.nll_loss\` on raw scores).

The value may come from elsewhere in the file: a call of the loss function, or of an instance of the
loss class (\`criterion = FocalLoss()\` then \`criterion(F.softmax(out, 1), y)\`, which passes its arguments to
\`forward\`, \`__call__\` or Keras \`call\`), or a model's \`forward\` that ends in an activation. The finding is
on the loss op that receives it, and its message quotes the expression the value came from, where the fix is.

${VALUE_SOURCES}

## Why is this bad?
A loss that expects logits applies the activation itself: $\\log\\sigma(\\sigma(x))$ squeezes the inputs
into $[0, 1]$, where the second activation is nearly flat, so the loss hardly depends on the
prediction and the gradients shrink. The other way round, a loss that expects probabilities takes
$\\log$ of raw scores: negative scores give NaN.

## Example
\`\`\`python
probs = torch.softmax(logits, dim=1)
loss = F.cross_entropy(probs, targets)
\`\`\`

## Use instead
\`\`\`python
loss = F.cross_entropy(logits, targets)
\`\`\`

## Fix safety
When the activation is written inside the call, the fix removes it; for Keras it flips \`from_logits\`.
Both change the loss's values, so the fixes are marked unsafe.

## References
- PyTorch docs: \`torch.nn.CrossEntropyLoss\` ("The input is expected to contain the unnormalized logits").
- Keras docs: \`from_logits\`.
- \`shared/recipes/reference-implementations.md\`: which focal losses take logits.
`,
});
