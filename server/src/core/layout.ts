/**
 * The per-sample layout facts of the lattice (AbsValue.layout, LL117): whether a per-sample tensor
 * is [N, 1, ...] (`col`: a class axis kept with size 1), [N, ...] (`vec`: the class axis reduced away)
 * or [N, N, ...] (`mixed`: a `col` met a `vec` in a broadcasting operation, so every sample is paired
 * with every other). Op entries say how they move a value between layouts (`OpDef.layout`), the
 * interpreter applies the rule for operators; both use these helpers. Anything not known is
 * undefined, and undefined never produces `mixed`.
 */
import type { Span } from './ir-types';
import type { AbsValue, Layout } from './lattice';

/** A value that broadcasts against anything without changing its layout: a Python number, a hyperparameter, a fully reduced tensor. */
function neutral(v: AbsValue): boolean {
  return v.m === 'scalar' || v.m === 'none' || (v.m === 'unknown' && !!v.hyper) || (!!v.reduced && v.layout === undefined);
}

/** A layout, or the same value with that layout (ids and every other fact kept). Python numbers never get one. */
export function withLayout(v: AbsValue, layout: Layout | undefined, mixedAt?: Span): AbsValue {
  // A shape op's result is no longer known to be 1-D.
  if (v.flat && layout === undefined && v.layout === undefined) return { ...v, flat: undefined };
  if (v.m === 'scalar' || v.m === 'none' || v.m === 'string' || (v.m === 'bool' && !v.of)) {
    return v.layout === undefined ? v : { ...v, layout: undefined, mixedAt: undefined };
  }
  const at = layout === 'mixed' ? (v.layout === 'mixed' ? v.mixedAt : mixedAt) : undefined;
  if (v.layout === layout && v.mixedAt === at) return v;
  return { ...v, layout, mixedAt: at };
}

/** The layout of an elementwise binary operation's result (`a * b`, `torch.where(c, a, b)`). */
export function binaryLayout(a: AbsValue, b: AbsValue, result: AbsValue, span: Span): AbsValue {
  const na = neutral(a);
  const nb = neutral(b);
  let out: Layout | undefined;
  let at: Span | undefined;
  if (na && nb) out = undefined;
  else if (na) out = b.layout;
  else if (nb) out = a.layout;
  else if (!a.layout || !b.layout) out = undefined;
  else if (a.layout === b.layout) out = a.layout;
  else out = 'mixed';
  if (out === 'mixed') at = a.layout === 'mixed' ? a.mixedAt : b.layout === 'mixed' ? b.mixedAt : span;
  const laid = withLayout(result, out, at);
  // A 16-bit float tensor stays 16-bit with a Python number or another 16-bit tensor of its format.
  const lowp = a.lowp && (nb || b.lowp === a.lowp) ? a.lowp : b.lowp && na ? b.lowp : undefined;
  return laid.lowp === lowp || laid.m === 'scalar' ? laid : { ...laid, lowp };
}

/** The layout a value has as an index of the batch: targets not reshaped are one class index per sample, [N]. */
export function indexLayout(v: AbsValue | undefined): Layout | undefined {
  if (!v) return undefined;
  if (v.layout) return v.layout;
  return v.m === 'target_index' || v.m === 'target' ? 'vec' : undefined;
}

/** A dim argument as an axis relative to the batch: 1 (the class axis) or -1 (the class axis of a 2-D tensor), else undefined. */
export function classAxis(d: AbsValue | undefined): boolean {
  const x = d?.m === 'scalar' && d.values?.length === 1 ? d.values[0] : undefined;
  return x === 1 || x === -1;
}

/** The layout after adding a size-1 axis at `dim` (`unsqueeze(1)`, `view(-1, 1)`, `[:, None]`) to a per-sample value. */
export function unsqueezed(v: AbsValue | undefined): Layout | undefined {
  return indexLayout(v) === 'vec' ? 'col' : undefined;
}

/** The layout after removing the size-1 class axis (`squeeze(1)`, `view(-1)`, `flatten()`) of a per-sample value. */
export function squeezed(v: AbsValue | undefined): Layout | undefined {
  const l = v?.layout;
  return l === 'col' ? 'vec' : l === 'vec' ? 'vec' : undefined;
}

interface Args {
  arg(p: string): AbsValue | undefined;
  readonly span: Span;
}

/** An elementwise op of one tensor (`exp`, `sigmoid`, `clamp`): the result is laid out as its input. */
export function keepLayout(c: Args, v: AbsValue): AbsValue {
  const x = c.arg('input');
  if (!x) return v;
  const out = withLayout(v, x.layout, x.mixedAt);
  // ... and in its input's 16-bit float format (LL205).
  return out.lowp === x.lowp || out.m === 'scalar' ? out : { ...out, lowp: x.lowp };
}

/** A cast: laid out as its input, in the dtype the cast gave it. */
export function keepLayoutOnly(c: Args, v: AbsValue): AbsValue {
  const x = c.arg('input');
  return x ? withLayout(v, x.layout, x.mixedAt) : v;
}

/** An elementwise op of two tensors (`torch.mul`, `torch.where`): broadcasting as an operator. */
export function combineLayout(c: Args, v: AbsValue): AbsValue {
  const a = c.arg('input');
  const b = c.arg('other');
  return a && b ? binaryLayout(a, b, v, c.span) : v;
}

/**
 * A reduction over `dim` with `keepdim` of a per-class tensor: over the class axis it is [N, 1]
 * (`col`) with keepdim and [N] (`vec`) without; over nothing given, a scalar; else not known.
 */
export function reducedLayout(c: Args & { flag(p: string): boolean | undefined }, v: AbsValue): AbsValue {
  const x = c.arg('input');
  const d = c.arg('dim');
  if (!x || !d || d.m === 'none' || !classAxis(d) || (x.layout !== undefined && x.layout !== 'col')) return withLayout(v, undefined);
  return withLayout(v, c.flag('keepdim') ? 'col' : 'vec');
}
