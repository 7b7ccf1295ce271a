/**
 * Joins of tensors (`cat`, `stack`) and the n-d gather they build indices for. Logits joined to
 * logits are logits (a background column put before the class columns); row numbers stacked with
 * the targets (`stack([arange(N), t], 1)`) are an n-d index of each row's target, and `gather_nd`
 * by it reads each row's value at its target (p_t from a probability).
 */
import { mk, unknown, type AbsValue } from '../../core/lattice';
import { defineOp, type AbsCtx, type CTensor, type DType, type LowerCtx } from '../api';

/** Meanings a join keeps when every joined tensor has it. */
const KEPT = new Set<AbsValue['m']>(['logits', 'prob', 'logprob', 'target_onehot']);

function isTarget(v: AbsValue): boolean {
  return v.m === 'target_index' || v.m === 'target';
}

/** The tensors a join is given: a list or tuple display (or a value known to be one). */
function joined(c: AbsCtx): AbsValue[] | undefined {
  const v = c.arg('tensors');
  return v?.m === 'tuple' ? v.items : undefined;
}

function joinMeaning(c: AbsCtx, stacking: boolean): AbsValue {
  const items = joined(c);
  if (!items || items.length === 0) return unknown(c.span);
  const m = items[0].m;
  if (KEPT.has(m) && items.every((i) => i.m === m)) {
    const act = items.every((i) => i.act === items[0].act) ? items[0].act : undefined;
    return mk(m, { act, src: c.span });
  }
  // Row numbers next to each row's target class: the index `gather_nd` reads each row's target with.
  if (stacking && items.length === 2 && items.some((i) => i.arange) && items.some(isTarget)) return mk('target_index', { nd: true, src: c.span });
  return unknown(c.span);
}

/** The joined tensors as one dtype (PyTorch's promotion: bool < int < float). */
function tensorsOf(c: LowerCtx): CTensor[] {
  const v = c.value('tensors');
  if (!v || v.t !== 'list' || v.items.length === 0) c.error(`${c.name}() expects a non-empty list of tensors`);
  const ts = v.items.map((i) => c.toTensor(i));
  const rank: Record<DType, number> = { bool: 0, int: 1, float: 2 };
  const dt = ts.map((x) => x.dt).reduce((a, b) => (rank[b] > rank[a] ? b : a));
  return ts.map((x) => (x.dt === dt ? x : c.cast(x, dt)));
}

export const concat = defineOp({
  id: 'concat',
  summary: 'Tensors joined along an existing axis: logits joined to logits stay logits.',
  spell: [
    'torch.cat(tensors, dim=0, *, out=None)',
    'torch.concat(tensors, dim=0, *, out=None)',
    'tensorflow.concat(values->tensors, axis->dim, name="concat")',
    'keras.ops.concatenate(xs->tensors, axis->dim=0)',
    'keras.backend.concatenate(tensors, axis->dim=-1)',
    'jax.numpy.concatenate(arrays->tensors, axis->dim=0, dtype=None)',
    'numpy.concatenate(arrays->tensors, axis->dim=0, out=None, *, dtype=None, casting="same_kind")',
  ],
  abstract: (c) => joinMeaning(c, false),
  lower(c) {
    const ts = tensorsOf(c);
    const rank = ts[0].x.shape.length;
    const d = c.dim('dim', rank) ?? 0;
    for (const x of ts) {
      if (x.x.shape.length !== rank || x.x.shape.some((n, i) => i !== d && n !== ts[0].x.shape[i])) {
        c.error(`Sizes of tensors must match except in dimension ${d}: [${ts[0].x.shape}] and [${x.x.shape}]`);
      }
    }
    return c.out(c.k.concat(ts.map((x) => x.x), d), ts[0].dt);
  },
});

export const stack = defineOp({
  id: 'stack',
  summary: 'Tensors of one shape stacked along a new axis: row numbers stacked with the targets are an n-d target index.',
  spell: [
    'torch.stack(tensors, dim=0, *, out=None)',
    'tensorflow.stack(values->tensors, axis->dim=0, name="stack")',
    'keras.ops.stack(x->tensors, axis->dim=0)',
    'keras.backend.stack(x->tensors, axis->dim=0)',
    'jax.numpy.stack(arrays->tensors, axis->dim=0, out=None, dtype=None)',
    'numpy.stack(arrays->tensors, axis->dim=0, out=None, *, dtype=None, casting="same_kind")',
  ],
  abstract: (c) => joinMeaning(c, true),
  lower(c) {
    const ts = tensorsOf(c);
    const shape = ts[0].x.shape;
    for (const x of ts) if (x.x.shape.length !== shape.length || x.x.shape.some((n, i) => n !== shape[i])) c.error(`stack expects each tensor to be equal size, but got [${shape}] and [${x.x.shape}]`);
    const d = c.dim('dim', shape.length + 1) ?? 0;
    return c.out(c.k.stack(ts.map((x) => x.x), d), ts[0].dt);
  },
});

export const append = defineOp({
  id: 'append',
  summary: "numpy's append: without an axis both arrays flattened and joined; with one, joined along it (a concatenate).",
  spell: ['jax.numpy.append(arr->input, values->other, axis->dim=None)', 'numpy.append(arr->input, values->other, axis->dim=None)'],
  // No meaning for the rules (as before it was spelled): `append(1 - p, p)` joins two meanings.
  abstract: (c) => unknown(c.span),
  lower(c) {
    const [a, b] = c.promote(c.tensor('input'), c.tensor('other'));
    const axis = c.value('dim');
    if (!axis || axis.t === 'none') return c.out(c.k.concat([c.k.reshape(a.x, [-1]), c.k.reshape(b.x, [-1])], 0), a.dt);
    const rank = a.x.shape.length;
    if (b.x.shape.length !== rank) c.error(`${c.name}: all the input arrays must have same number of dimensions, but the arrays have ${rank} and ${b.x.shape.length} dimension(s)`);
    const d = c.dim('dim', rank)!;
    if (b.x.shape.some((n, i) => i !== d && n !== a.x.shape[i])) c.error(`${c.name}: all the input array dimensions except for the concatenation axis must match exactly: [${a.x.shape}] and [${b.x.shape}]`);
    return c.out(c.k.concat([a.x, b.x], d), a.dt);
  },
});

export const gatherNd = defineOp({
  id: 'gather_nd',
  summary: 'Values read at n-d indices: a probability read at each row\'s target is p_t.',
  spell: ['tensorflow.gather_nd(params->input, indices->index, batch_dims=0, name=None)'],
  abstract: (c) => {
    const idx = c.arg('index');
    return idx?.m === 'target_index' && idx.nd ? c.L.gathered(c.arg('input') ?? unknown(), c.span) : unknown(c.span);
  },
  lower(c) {
    const x = c.tensor('input');
    const idx = c.tensor('index');
    if (idx.dt !== 'int') c.error('gather_nd: indices must be integers');
    if ((c.num('batch_dims') ?? 0) !== 0) c.unsupported('gather_nd(batch_dims=)');
    const k = idx.x.shape[idx.x.shape.length - 1];
    if (idx.x.shape.length === 0 || k > x.x.shape.length) c.error(`gather_nd: index innermost dimension ${k} exceeds the rank of params`);
    const data = Array.from(c.k.data(idx.x));
    for (let i = 0; i < data.length; i++) {
      const size = x.x.shape[i % k];
      if (data[i] < 0 || data[i] >= size) c.error(`gather_nd: index ${data[i]} is out of bounds for dimension ${i % k} with size ${size}`);
    }
    // One index tensor per indexed dimension: column j of the index's last axis.
    const lead = idx.x.shape.slice(0, -1);
    const cols = Array.from({ length: k }, (_, j) => c.k.fromData(data.filter((_, i) => i % k === j), lead, 'int'));
    return c.out(c.k.gatherAdvanced(x.x, cols), x.dt);
  },
});

export const JOINS = [concat, stack, append, gatherNd];
