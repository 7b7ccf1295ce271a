/**
 * LL108 keras-alpha-ignored: Keras BinaryFocalCrossentropy (class or function) given `alpha`
 * without `apply_class_balancing=True`; Keras then ignores alpha entirely.
 */
import type { Call } from '../core/ir';
import { defineRule } from '../core/rule';
import { VALUE_SOURCES } from './sources';
import { setKeyword } from './fixes';

export default defineRule({
  meta: {
    code: 'LL108',
    name: 'keras-alpha-ignored',
    severity: 'warning',
    summary: 'Keras BinaryFocalCrossentropy given alpha without apply_class_balancing=True: alpha is ignored',
    fixable: true,
  },
  check(ctx) {
    for (const call of ctx.calls()) {
      // A focal loss that applies alpha only under a flag (Keras `apply_class_balancing`).
      const flag = call.op?.loss?.focal?.alphaFlag;
      if (!flag) continue;
      const b = call.bound as Record<string, Call['args'][number]> | undefined;
      if (!b?.alpha || call.splat) continue;
      const acb = b[flag] ? ctx.valueOf(b[flag]) : undefined;
      if (b[flag] && !(acb?.m === 'bool' && acb.bool === false)) continue;
      ctx.report({
        span: b.alpha.span,
        message: '`alpha` has no effect: Keras applies it only with `apply_class_balancing=True`',
        explanation: [
          '`BinaryFocalCrossentropy` computes `alpha_t` only when `apply_class_balancing=True` (default False). Without it the alpha you pass is silently ignored and positives and negatives weigh the same.',
          'Add `apply_class_balancing=True` to get α for positives and 1 − α for negatives.',
        ].join('\n\n'),
        fix: { title: 'Add apply_class_balancing=True', edits: [setKeyword(ctx, call, 'apply_class_balancing', 'True')], applicability: 'unsafe' },
      });
    }
  },
  docs: `# LL108 keras-alpha-ignored

## What it does
Flags \`tf.keras.losses.BinaryFocalCrossentropy(...)\` and \`binary_focal_crossentropy(...)\` called with
\`alpha\` but without \`apply_class_balancing=True\`.

${VALUE_SOURCES}

## Why is this bad?
Keras applies $\\alpha_t = \\alpha t + (1-\\alpha)(1-t)$ only when \`apply_class_balancing=True\`; its
default is \`False\`, and then \`alpha\` is accepted and silently ignored. The model trains without the
class balancing its author tuned \`alpha\` for.

## Example
\`\`\`python
loss = tf.keras.losses.BinaryFocalCrossentropy(alpha=0.75, gamma=2.0)
\`\`\`

## Use instead
\`\`\`python
loss = tf.keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.75, gamma=2.0)
\`\`\`

## Fix safety
The fix adds \`apply_class_balancing=True\`. This changes the loss (it starts applying the alpha that was
written), so it is marked unsafe.

## References
- Keras API docs: \`keras.losses.BinaryFocalCrossentropy\` (\`apply_class_balancing\`, \`alpha\`).
- \`keras/src/losses/losses.py\`.
`,
});
