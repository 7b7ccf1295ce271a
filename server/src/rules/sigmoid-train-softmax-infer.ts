/**
 * LL107 sigmoid-train-softmax-infer: a file (module) trains with a sigmoid focal loss (one
 * independent sigmoid per class) and reads probabilities at inference through a softmax, which
 * couples the classes the model learned to score independently.
 */
import type { FunctionFacts } from '../core/interp';
import { defineRule } from '../core/rule';
import { defineSummary } from '../core/summary';
import { bindModuleCall } from '../ops';
import { frameworkOf, localName, outerSpan, replace, torchName } from './fixes';

const INFERENCE_NAME = /(predict|infer|inference|eval|evaluate|test|postprocess|post_process|decode|detect|demo)/i;

/** Whether a function computes a sigmoid focal loss: a focal value on sigmoid probabilities, or a library call. */
function trainsSigmoidFocal(f: FunctionFacts): boolean {
  for (const [e, v] of f.values) {
    if (e.k === 'call' && e.op?.loss?.focal && e.op.loss.act === 'sigmoid') return true;
    if (v.m === 'focal' && v.focal?.modulating && (v.focal.ce?.act ?? v.focal.modulating.act ?? v.act) === 'sigmoid') return true;
  }
  return false;
}

/** Some function of the file trains with a sigmoid focal loss (the checked one never does: it returns early). */
const TRAINS_SIGMOID = defineSummary('trains-sigmoid-focal', trainsSigmoidFocal);

/**
 * Whether a function trains on softmax probabilities too: a softmax loss (a cross-entropy, a softmax
 * focal loss) or any loss fed a softmax output. Then the file's softmax readings may be that head's,
 * or match how the model was trained (`bce(softmax(out)[:, 1], t)`): nothing says the classes were
 * scored independently.
 */
function trainsSoftmax(f: FunctionFacts): boolean {
  for (const [e, v] of f.values) {
    if (e.k === 'call') {
      // A loss op called, or applied through a module instance built earlier (`crit = nn.BCELoss()` ... `crit(p, t)`).
      const held = f.values.get(e.func);
      const spell = e.op && e.spell && e.bound ? (e.spell.kind === 'module' ? undefined : e.spell) : held?.m === 'module' ? held.module?.spell : undefined;
      if (spell?.op.loss) {
        if (spell.op.loss.act === 'softmax') return true;
        const bound = spell === e.spell ? e.bound! : bindModuleCall(spell, e.args, e.kwargs, (items) => ({ k: 'tuple' as const, items, list: false, span: e.span }));
        const input = bound.input ? f.values.get(bound.input) : undefined;
        if (input?.m === 'prob' && input.act === 'softmax') return true;
      }
    }
    if ((v.m === 'focal' || v.m === 'ce') && (v.focal?.ce?.act ?? v.focal?.modulating?.act ?? v.act) === 'softmax') return true;
  }
  return false;
}

const TRAINS_SOFTMAX = defineSummary('trains-softmax', trainsSoftmax);

export default defineRule({
  meta: {
    code: 'LL107',
    name: 'sigmoid-train-softmax-infer',
    severity: 'warning',
    summary: 'Trained with a sigmoid focal loss, but probabilities are read through softmax',
    fixable: true,
  },
  check(ctx) {
    if (!ctx.fn.isModule && !INFERENCE_NAME.test(ctx.fn.name)) return;
    if (trainsSigmoidFocal(ctx.facts)) return;
    let trains: boolean | undefined;
    for (const call of ctx.calls()) {
      if (call.op?.id !== 'softmax' || call.spell?.kind === 'module' || !call.bound?.input) continue;
      trains ??= ctx.anyFunction(TRAINS_SIGMOID) && !ctx.anyFunction(TRAINS_SOFTMAX);
      if (!trains) return;
      const input = ctx.text(outerSpan(call.bound.input));
      const fw = frameworkOf(ctx);
      const fixed = fw === 'torch' ? `${torchName(ctx)}.sigmoid(${input})` : `${localName(ctx, 'tensorflow') ?? 'tf'}.sigmoid(${input})`;
      ctx.report({
        span: call.span,
        message: 'this file trains with a sigmoid focal loss, but probabilities are read here with softmax',
        explanation: [
          'A sigmoid focal loss trains one independent binary classifier per class: each probability is σ(logit_c), and the scores of different classes need not sum to 1 (RetinaNet even has no background class).',
          'Softmax at inference couples them: a confident second class lowers the first one\'s score, and thresholds tuned on sigmoid scores no longer apply. Use the same sigmoid the loss used.',
        ].join('\n\n'),
        fix: { title: `Use sigmoid: ${fixed}`, edits: [replace(call.span, fixed)], applicability: 'unsafe' },
      });
    }
  },
  docs: `# LL107 sigmoid-train-softmax-infer

## What it does
In one file, when a function trains with a sigmoid focal loss (\`sigmoid_focal_loss\`, a hand-written
focal loss on \`sigmoid\` probabilities, Keras \`BinaryFocalCrossentropy\`), flags \`softmax\` calls in the
module's top-level code and in inference functions (\`predict\`, \`infer\`, \`evaluate\`, \`postprocess\`, ...).
It stays silent when the file also trains on softmax probabilities (a cross-entropy, a softmax focal
loss, or a loss fed a softmax output): the softmax may then belong to that head, or be how the model
was trained.

## Why is this bad?
The sigmoid focal loss of RetinaNet treats each class as an independent binary problem, scored by
$\\sigma(z_c)$; the scores need not sum to 1. Reading them through $\\mathrm{softmax}(z)_c$ couples the
classes: the probabilities change whenever another class's logit moves, so calibrated thresholds
(0.05 in RetinaNet) and per-class precision no longer hold.

## Example
\`\`\`python
def train_step(model, images, targets):
    logits = model(images)
    return sigmoid_focal_loss(logits, targets, reduction="mean")

def predict(model, images):
    return torch.softmax(model(images), dim=-1)
\`\`\`

## Use instead
\`\`\`python
def predict(model, images):
    return torch.sigmoid(model(images))
\`\`\`

## Fix safety
The fix replaces the softmax with \`torch.sigmoid\` of the same input. Scores change, so it is unsafe.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017, section 4 ("we use sigmoid ... not softmax").
- torchvision RetinaNet \`postprocess_detections\` (\`sigmoid()\` of the class logits).
`,
});
