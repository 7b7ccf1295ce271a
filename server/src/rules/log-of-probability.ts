/**
 * LL202 log-of-probability: log of a sigmoid/softmax probability (or its complement) with no clamp
 * and no eps: -inf (and NaN gradients) as soon as a probability underflows to 0.
 */
import type { RuleContext } from '../core/context';
import type { Expr, Target } from '../core/ir';
import { walkExprs } from '../core/ir';
import { stmtRoots, stmtsDeep } from '../core/walk';
import { constValue, type AbsValue } from '../core/lattice';
import { defineRule } from '../core/rule';
import { atomText, frameworkOf, functionalName, localName, outerSpan, replace } from './fixes';
import { noopComplement } from './eps-below-float32';
import { logSpaceOf } from './logspace';

function unguarded(v: AbsValue | undefined): boolean {
  if (!v || v.clamped || (v.range && v.range.lo > 0)) return false;
  // A probability from an activation, or a Keras loss's y_pred (a probability by Keras's convention).
  if (v.m === 'prob') return v.act === 'sigmoid' || v.act === 'softmax' || !!v.keras;
  if (v.m === 'pt') return !!v.binary || (v.act !== undefined && !v.of);
  if (v.m === 'one_minus_pt') return !v.fromLogProb && v.act !== undefined;
  return false;
}

/** Whether an op only samples from its input as logits: a -inf there is a class never drawn, and no gradient flows back. */
const samples = (e: Expr): boolean => e.k === 'call' && e.op?.id === 'categorical_sample';

/**
 * Whether the log's value goes only to a sampler's logits (`jax.random.categorical(key, jnp.log(p))`,
 * through a temperature or a shift by a number, or a local assigned once from the log and read nowhere
 * else, closures included): log(0) = -inf is
 * then a class of probability 0, never drawn, and nothing is differentiated through it.
 */
function onlySampled(ctx: RuleContext, log: Expr): boolean {
  const stmts = stmtsDeep(ctx.fn.body);
  const all = stmts.flatMap((s) => stmtRoots(s).flatMap((r) => walkExprs(r)));
  const sampled = new Set<Expr>();
  // Through a temperature or a shift by a number (`log(p) / t`, `log(p) + c`): -inf stays -inf.
  const scalar = (e: Expr): boolean => ctx.valueOf(e)?.m === 'scalar';
  const add = (e: Expr): void => {
    sampled.add(e);
    if (e.k !== 'bin' || !['/', '*', '+', '-'].includes(e.op)) return;
    if (scalar(e.right)) add(e.left);
    else if (e.op !== '/' && e.op !== '-' && scalar(e.left)) add(e.right);
  };
  for (const e of all) if (samples(e) && e.k === 'call' && e.bound?.input) add(e.bound.input);
  if (!sampled.size) return false;
  if (sampled.has(log)) return true;
  // `lp = log(p)` once, every read of `lp` a sampler's logits.
  const binding = stmts.filter((s) => s.k === 'assign' && s.value === log && s.targets.length === 1 && s.targets[0].k === 'name');
  if (binding.length !== 1 || binding[0].k !== 'assign' || binding[0].aug) return false;
  const name = (binding[0].targets[0] as Extract<Expr, { k: 'name' }>).id;
  const bound = (t: Target): boolean => (t.k === 'name' && t.id === name) || (t.k === 'tuple' && t.items.some(bound));
  const assigns = stmts.filter((s) => (s.k === 'assign' && s.targets.some(bound)) || (s.k === 'other' && s.target !== undefined && bound(s.target)));
  if (assigns.length !== 1) return false;
  const reads = all.filter((e) => e.k === 'name' && e.id === name);
  return reads.length > 0 && reads.every((r) => sampled.has(r));
}

/** The framework a log call is written in: its spelling's, else the file's. */
function callFramework(ctx: RuleContext, call: Extract<Expr, { k: 'call' }>): 'torch' | 'tf' | 'keras' | 'numpy' | 'jax' {
  const s = call.spell;
  if (s && !call.method) {
    if (s.name.startsWith('keras.')) return 'keras';
    if (s.framework === 'tf' || s.framework === 'numpy' || s.framework === 'jax' || s.framework === 'torch') return s.framework;
  }
  return frameworkOf(ctx);
}

function fixFor(ctx: RuleContext, call: Extract<Expr, { k: 'call' }>, arg: Expr): { title: string; newText: string } {
  const fw = callFramework(ctx, call);
  if (fw === 'numpy' || fw === 'jax') {
    const np = fw === 'numpy' ? (localName(ctx, 'numpy') ?? 'np') : (localName(ctx, 'jax.numpy') ?? 'jnp');
    return { title: 'Clip the probability before the log', newText: `${np}.log(${np}.clip(${ctx.text(outerSpan(arg))}, 1e-7, 1.0))` };
  }
  const F = functionalName(ctx);
  // log(sigmoid(x)) -> logsigmoid(x); log(softmax(x, d)) -> log_softmax(x, d); log(1 - sigmoid(x)) -> logsigmoid(-x)
  if (fw === 'torch') {
    if (arg.k === 'call' && arg.op?.id === 'sigmoid' && arg.bound?.input) return { title: 'Use F.logsigmoid', newText: `${F}.logsigmoid(${ctx.text(outerSpan(arg.bound.input))})` };
    if (arg.k === 'call' && arg.op?.id === 'softmax' && arg.bound?.input) {
      const dim = arg.bound.dim ? ctx.text(arg.bound.dim.span) : '-1';
      return { title: 'Use F.log_softmax', newText: `${F}.log_softmax(${ctx.text(outerSpan(arg.bound.input))}, dim=${dim})` };
    }
    if (arg.k === 'bin' && arg.op === '-' && arg.right.k === 'call' && arg.right.op?.id === 'sigmoid' && arg.right.bound?.input) {
      return { title: 'Use F.logsigmoid(-x)', newText: `${F}.logsigmoid(-${atomText(ctx, arg.right.bound.input)})` };
    }
    // p = sigmoid(x) or softmax(x) held in a variable: the same log in log space (a clamp would stop the gradient of the hardest examples, LL204).
    const ls = logSpaceOf(ctx, ctx.valueOf(arg), arg);
    if (ls) return { title: `Use ${ls.fn}`, newText: ls.text };
    const torch = localName(ctx, 'torch') ?? 'torch';
    return { title: 'Clamp the probability before the log', newText: `${torch}.log(${atomText(ctx, arg)}.clamp(min=1e-6))` };
  }
  if (fw === 'keras') {
    const K = localName(ctx, ['tensorflow.keras.backend', 'keras.backend']) ?? 'K';
    return { title: 'Clip the probability before the log', newText: `${K}.log(${K}.clip(${ctx.text(outerSpan(arg))}, ${K}.epsilon(), 1.0))` };
  }
  const ls = logSpaceOf(ctx, ctx.valueOf(arg), arg);
  if (ls) return { title: `Use ${ls.fn}`, newText: ls.text };
  const tf = localName(ctx, 'tensorflow') ?? 'tf';
  void call;
  return { title: 'Clip the probability before the log', newText: `${tf}.math.log(${tf}.clip_by_value(${ctx.text(outerSpan(arg))}, 1e-7, 1.0))` };
}

export default defineRule({
  meta: {
    code: 'LL202',
    name: 'log-of-probability',
    severity: 'warning',
    summary: '`log` of a sigmoid/softmax probability with no clamp or eps: -inf and NaN gradients',
    fixable: true,
  },
  check(ctx) {
    for (const call of ctx.calls()) {
      if ((call.op?.id !== 'log' && call.op?.id !== 'log1p') || !call.bound?.input) continue;
      const arg = call.bound.input;
      // The probability whose log this is: the argument of `log`, 1 + the argument of `log1p` (`log1p(-p)` is log(1 - p)).
      const lp = ctx.valueOf(call);
      const v = call.op.id === 'log' ? ctx.valueOf(arg) : lp?.m === 'logprob' ? lp.of : undefined;
      if (!unguarded(v) || onlySampled(ctx, call)) continue;
      const fix = call.op.id === 'log' ? fixFor(ctx, call, arg) : undefined;
      // A clamp whose floor is not above 0 (`clamp(p, np.finfo(np.float32).min)`) keeps nothing from 0.
      const floor = arg.k === 'call' && arg.op?.id === 'clamp' && arg.bound?.min ? constValue(ctx.valueOf(arg.bound.min)) : undefined;
      ctx.report({
        span: call.span,
        message: noopComplement(v)
          ? `\`${ctx.text(call.span)}\` takes the log of a probability whose clamp does not keep it from 0 in float32 (LL203): -inf once it underflows to 0`
          : floor !== undefined && floor <= 0
            ? `\`${ctx.text(call.span)}\` takes the log of a probability clamped at ${floor.toPrecision(3)}, a floor that does not keep it from 0: -inf once it underflows to 0`
            : `\`${ctx.text(call.span)}\` takes the log of a probability with no clamp: -inf once it underflows to 0`,
        explanation: [
          `A ${v!.act ? `${v!.act} ` : ''}probability underflows to exactly 0 in float32 (sigmoid below about −88, softmax when a logit trails by ~104), and log(0) = −∞. The loss becomes inf and the backward pass, through 1/p, yields inf and NaN.`,
          'Compute the log-probability directly (`F.logsigmoid`, `F.log_softmax`, which are stable), or clamp the probability away from 0 first.',
        ].join('\n\n'),
        fix: fix && { title: fix.title, edits: [replace(call.span, fix.newText)], applicability: fix.title.startsWith('Use') ? 'safe' : 'unsafe' },
      });
    }
  },
  docs: `# LL202 log-of-probability

## What it does
Flags \`log(sigmoid(x))\`, \`log(softmax(x))\`, \`log(1 - sigmoid(x))\`, and \`log(p)\` of any sigmoid or
softmax probability (directly or through a variable, including a binary \`p_t\`) when no clamp or eps
keeps it away from 0. Every spelling of the op table: PyTorch, \`tf.math.log\`, \`K.log\`, \`np.log\`,
\`jnp.log\`; probabilities from an activation op or written by hand (\`1 / (1 + np.exp(-x))\`,
\`np.exp(z) / np.exp(z).sum(axis=1)\`).

It does not report a log whose value goes only to a sampler's logits (\`jax.random.categorical(key,
jnp.log(p))\`, \`tf.random.categorical\`, directly, divided by a temperature, or through a local read nowhere
else): a class whose
probability underflowed is then -inf, never drawn, and nothing is differentiated through the draw. The
same log also used in a loss is reported.

## Why is this bad?
Probabilities underflow: in float32 $\\sigma(x) = 0$ for $x < -88$ (or $1 - \\sigma(x) = 0$ for $x > 17$), and
a softmax entry is 0 once its logit trails by about 104. Then $\\log p = -\\infty$, the loss is inf,
and the gradient $1/p$ gives inf and NaN. The log-space functions compute the same value stably:
$\\log\\sigma(x) = -\\mathrm{softplus}(-x)$.

## Example
\`\`\`python
p = torch.sigmoid(logits)
loss = -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p))
\`\`\`

## Use instead
\`\`\`python
loss = -(targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits))
\`\`\`
A clamp, \`torch.log(p.clamp(min=eps))\`, keeps the loss finite but gives a zero gradient wherever
\`p < eps\` (LL204); prefer the log-space functions when the logits are at hand.

## Fix safety
Rewriting \`log(sigmoid(x))\` to \`F.logsigmoid(x)\` and \`log(softmax(x))\` to \`F.log_softmax(x)\` computes
the same values (more accurately) and is marked safe; so is the same rewrite of \`log(p)\` and
\`log(1 - p)\` for a \`p = torch.sigmoid(x)\` (or softmax) held in a variable, when \`x\` is a parameter,
\`self.x\` or a local assigned once and \`p\` is not changed in place. Otherwise the fix clamps the
probability, which changes values below eps, and is marked unsafe.

## References
- PyTorch docs: \`torch.nn.functional.logsigmoid\`, \`log_softmax\`.
- The focal-loss article in \`shared/seeds/\`.
`,
});
