/**
 * LL113 alpha-off-or-missing: a focal loss's alpha handled in a way that breaks for values it accepts:
 * `if alpha:` on a tensor of class weights (raises), `if alpha:` where alpha may be -1 (torchvision's
 * "no alpha", truthy, so alpha_t gives the positives a negative weight), a hyperparameter left at its
 * default None then indexed, multiplied or converted as a tensor (raises at the defaults), and a
 * per-class alpha whose length differs from the class count of the one-hot targets.
 */
import type { RuleContext } from '../core/context';
import type { Expr, Span, Stmt } from '../core/ir';
import type { AbsValue } from '../core/lattice';
import { defineRule } from '../core/rule';
import { focalProducts, ownsSpan, useOf, within } from './focal-sites';

/** Whether the function computes a focal loss: a modulating factor (which a product with an unknown alpha may hide from the focal product). */
function hasFocalLoss(ctx: RuleContext): boolean {
  for (const e of ctx.exprs()) {
    const v = ctx.valueOf(e);
    if (v?.m === 'modulating' || (v?.m === 'focal' && v.focal?.modulating)) return true;
  }
  return false;
}

/** The `if` statements of a body, nested ones included. */
function* ifs(ss: readonly Stmt[]): Generator<Extract<Stmt, { k: 'if' }>> {
  for (const s of ss) {
    if (s.k === 'if') {
      yield s;
      yield* ifs(s.body);
      yield* ifs(s.orelse);
    } else if (s.k === 'other') yield* ifs(s.body);
  }
}

/** Whether a block leaves the function (its last statement returns or raises). */
function exits(ss: readonly Stmt[]): boolean {
  const last = ss[ss.length - 1];
  return !!last && (last.k === 'return' || (last.k === 'other' && last.what === 'raise'));
}

/**
 * Whether `span` is only reached past a statement that, with the values known here, leaves the function
 * (`if self.alpha is None: return ce`), or past an `assert` (which the IR keeps without its test: the
 * author may be requiring the value). The interpreter does not end a path at `return`.
 */
function guarded(ctx: RuleContext, span: Span): boolean {
  const visit = (ss: readonly Stmt[]): boolean => {
    for (const s of ss) {
      if (within(span, s.span)) {
        if (s.k === 'if') return visit(s.body) || visit(s.orelse);
        if (s.k === 'other') return visit(s.body);
        return false;
      }
      if (s.k === 'other' && s.what === 'assert') return true;
      if (s.k === 'if') {
        const t = ctx.valueOf(s.test);
        if (t?.m === 'bool' && t.bool === true && exits(s.body)) return true;
        if (t?.m === 'bool' && t.bool === false && exits(s.orelse)) return true;
      }
    }
    return false;
  };
  return visit(ctx.fn.body);
}

/**
 * A hyperparameter that is None at its default and in every call in this file: one the constructor stores
 * (`self.alpha`, `hyper`) or a parameter of a plain loss function. A parameter of a method (a module's
 * `forward(pred, target, weights=None)`) is an input of each call, which its callers pass: not a default of the loss.
 */
function noneHyper(ctx: RuleContext, v: AbsValue | undefined): v is AbsValue {
  return !!v && v.m === 'none' && !!v.name && !v.orNone && (!!v.hyper || !ctx.fn.className);
}

/** A tensor of two or more class weights. */
function multiElement(v: AbsValue | undefined): number | undefined {
  if (v?.m !== 'class_weights') return undefined;
  const n = v.count ?? v.values?.length;
  return n !== undefined && n >= 2 ? n : undefined;
}

/** Whether a branch applies `alpha` as alpha_t (alpha on one side, 1 - alpha on the other). */
function appliesAlphaT(ctx: RuleContext, branch: readonly Stmt[], alpha: AbsValue): boolean {
  if (!branch.length) return false;
  const span: Span = { s: branch[0].span.s, e: branch[branch.length - 1].span.e, r: branch[0].span.r };
  for (const e of ctx.exprs()) {
    if (!within(e.span, span)) continue;
    const v = ctx.valueOf(e);
    if (v?.m === 'alpha_t' && v.of?.id === alpha.id) return true;
    if (v?.m === 'focal' && v.focal?.alpha?.kind === 'alpha_t' && (v.focal.alpha.value.id === alpha.id || v.focal.alpha.value.of?.id === alpha.id)) return true;
  }
  return false;
}

/** The operation that uses a value as a tensor: indexing, arithmetic, a method, conversion to a tensor. */
function tensorUseOfNone(ctx: RuleContext, e: Expr): { operand: Expr; how: string } | undefined {
  if (e.k === 'subscript' && noneHyper(ctx, ctx.valueOf(e.obj))) return { operand: e.obj, how: 'indexed' };
  if (e.k === 'bin' && ['*', '+', '-', '/', '**'].includes(e.op)) {
    if (noneHyper(ctx, ctx.valueOf(e.left))) return { operand: e.left, how: 'used in arithmetic' };
    if (noneHyper(ctx, ctx.valueOf(e.right))) return { operand: e.right, how: 'used in arithmetic' };
  }
  if (e.k === 'call' && e.method && e.func.k === 'attr' && noneHyper(ctx, ctx.valueOf(e.func.obj))) return { operand: e.func.obj, how: `used as a tensor (\`.${e.func.attr}()\`)` };
  if (e.k === 'call' && e.op?.id === 'tensor' && e.bound?.data && noneHyper(ctx, ctx.valueOf(e.bound.data))) return { operand: e.bound.data, how: 'converted to a tensor' };
  return undefined;
}

const NAME = (ctx: RuleContext, e: Expr): string => `\`${ctx.text(e.span)}\``;

export default defineRule({
  meta: {
    code: 'LL113',
    name: 'alpha-off-or-missing',
    severity: 'error',
    summary: 'alpha switched by truthiness (`if alpha:`), None by default then used as a tensor, or a per-class alpha of the wrong length',
    fixable: false,
  },
  check(ctx) {
    if (!hasFocalLoss(ctx)) return;
    // `if alpha:` on a tensor of class weights, or on an alpha that may be -1.
    for (const s of ifs(ctx.fn.body)) {
      if (!ownsSpan(ctx, s.test.span)) continue;
      const test = s.test.k === 'unary' && s.test.op === 'not' ? s.test.operand : s.test;
      if (test.k !== 'name' && test.k !== 'attr') continue;
      const v = ctx.valueOf(test);
      const n = multiElement(v);
      if (n !== undefined) {
        ctx.report({
          span: test.span,
          message: `\`if ${ctx.code(test.span)}:\` tests a tensor of ${n} class weights: RuntimeError, the truth value of a tensor with more than one element is ambiguous`,
          explanation: `Python asks the tensor for one boolean; PyTorch (and NumPy, TensorFlow) refuse for more than one element. Test what you mean: \`if ${ctx.text(test.span)} is not None:\`.`,
        });
        continue;
      }
      const negative = v?.m === 'scalar' && v.hyper ? v.values?.find((x) => x < 0) : undefined;
      if (v && negative !== undefined && appliesAlphaT(ctx, test === s.test ? s.body : s.orelse, v)) {
        const neg = negative;
        ctx.report({
          span: test.span,
          message: `\`if ${ctx.code(test.span)}:\` is true for ${v.name ?? 'alpha'}=${neg}, torchvision's value for "no alpha": alpha_t then weighs the positives by ${neg} and the negatives by ${1 - neg}`,
          explanation: [
            `torchvision's \`sigmoid_focal_loss\` and fvcore take alpha in (0, 1), or -1 to turn the weighting off, and test \`if alpha >= 0:\`. A truth test is true for -1, so here alpha_t = ${neg}·t + ${1 - neg}·(1 − t): the positives' loss is negated, and training pushes their probability down.`,
            'Test `alpha >= 0` (or `alpha is not None`, with None as the "off" value).',
          ].join('\n\n'),
        });
      }
    }
    // A hyperparameter left at None and used as a tensor: it raises with the defaults (reported at its
    // first use: `alpha = self.alpha.to(d)` then `alpha[t]` is one mistake).
    const uses: { e: Expr; operand: Expr; how: string; name: string }[] = [];
    for (const e of ctx.exprs()) {
      const use = tensorUseOfNone(ctx, e);
      if (use && ownsSpan(ctx, e.span) && !guarded(ctx, e.span)) uses.push({ e, ...use, name: ctx.valueOf(use.operand)!.name! });
    }
    uses.sort((a, b) => a.e.span.s - b.e.span.s);
    const done = new Set<string>();
    for (const use of uses) {
      if (done.has(use.name)) continue;
      done.add(use.name);
      ctx.report({
        span: use.operand.span,
        message: `${NAME(ctx, use.operand)} is None by default (and no call in this file passes it) but is ${use.how} here: the loss raises at its defaults`,
        explanation: [
          'The parameter defaults to None and nothing on this path checks for it, so the focal loss fails (TypeError / AttributeError / RuntimeError) the first time it is built with its defaults.',
          'Guard the use (`if alpha is not None:`), or give the parameter a default that works (a scalar, or `torch.ones(num_classes)` for per-class weights).',
        ].join('\n\n'),
      });
    }
    // A per-class alpha whose length is not the class count of the one-hot targets.
    const counts = new Set<number>();
    for (const e of ctx.exprs()) for (const k of ctx.valueOf(e)?.classCounts ?? []) counts.add(k);
    if (!counts.size) return;
    const seen = new Set<number>();
    for (const { value } of focalProducts(ctx)) {
      const a = value.focal?.alpha;
      if (a?.kind !== 'class' || !value.focal?.ce) continue;
      const len = a.value.count;
      if (len === undefined || counts.has(len) || seen.has(a.value.id)) continue;
      seen.add(a.value.id);
      const span = a.value.src && ownsSpan(ctx, a.value.src) ? a.value.src : useOf(ctx, a.value)?.span;
      if (!span) continue;
      ctx.report({
        span,
        message: `alpha has ${len} per-class weights but the one-hot targets have ${[...counts].join(' or ')} classes`,
        explanation: `A per-class alpha needs one weight per class. With ${len} weights for ${[...counts].join(' or ')} classes, indexing it by the target raises for the classes past its end, or broadcasting it against the loss fails (or, for a length of 1, weighs every class alike).`,
      });
    }
  },
  docs: `# LL113 alpha-off-or-missing

## What it does
In a function that computes a focal loss, flags the ways alpha is switched or defaulted that break for
values it accepts:
- \`if self.alpha:\` where \`self.alpha\` is a tensor of two or more class weights (\`torch.tensor([0.25, 0.75])\`):
  PyTorch raises *Boolean value of Tensor with more than one value is ambiguous*;
- \`if alpha:\` where alpha may be -1 (its default, or a value passed in this file) and the branch applies
  alpha_t: -1 is torchvision's value for "no alpha", but it is truthy, so alpha_t = -t + 2(1 - t);
- a hyperparameter whose default is None (and that no call in the file sets) indexed (\`self.alpha[targets]\`),
  used in arithmetic, called as a tensor (\`.gather\`, \`.to\`), or passed to \`torch.tensor\`, on a path with no
  None check: the loss raises as soon as it is built with its defaults;
- a per-class alpha of known length whose length differs from the class count of one-hot targets in the
  same function (\`F.one_hot(t, num_classes=3)\` with four weights).

What it does not report: \`if alpha:\` on a scalar alpha that can be 0. torchvision documents alpha's range
as (0, 1), or -1 to ignore it, so 0 is not a value it accepts; an alpha_t that weighs the positives by 0
would stop them from training at all, and reading 0 as "off" is the safer of the two readings, taken here
as the author's convention. A None that a \`return\`/\`raise\` guards, an \`isinstance\` check skips, a call in the
file sets, or an \`assert\` requires is not reported either, nor is a None default of a method's own parameter
(\`forward(self, pred, target, weights=None)\`): that is an input of each call, which the callers pass, not a
hyperparameter of the loss.

## Why is this bad?
Each of these turns a documented value of alpha into a crash or a wrong loss. The -1 case is silent:
with the positives weighted -1 the focal loss *rewards* low probabilities on the positives, and the
training diverges from the paper's objective $-\\alpha_t(1-p_t)^\\gamma\\log p_t$ (Lin et al. 2017, eq. 5),
whose $\\alpha_t$ is a weight in (0, 1).

## Example
\`\`\`python
class FocalLoss(nn.Module):
    def __init__(self, alpha=None, gamma=2.0):
        super().__init__()
        self.alpha = alpha
        self.gamma = gamma

    def forward(self, logits, target):
        ce = F.cross_entropy(logits, target, reduction="none")
        pt = torch.exp(-ce)
        return (self.alpha[target] * (1 - pt) ** self.gamma * ce).mean()
\`\`\`

## Use instead
\`\`\`python
    def forward(self, logits, target):
        ce = F.cross_entropy(logits, target, reduction="none")
        pt = torch.exp(-ce)
        loss = (1 - pt) ** self.gamma * ce
        if self.alpha is not None:
            loss = self.alpha[target] * loss
        return loss.mean()
\`\`\`

## Fix safety
No automatic fix: the right test (\`is not None\`, \`>= 0\`) or default depends on what the author meant.

## References
- Lin et al., *Focal Loss for Dense Object Detection*, 2017, equation (5).
- torchvision \`ops/focal_loss.py\` (\`alpha\`: "weighting factor in range (0,1) ... or -1 for ignore", tested with \`if alpha >= 0\`).
- PyTorch: \`Tensor.__bool__\` raises for more than one element.
`,
});
