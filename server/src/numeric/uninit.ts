/**
 * Tensors PyTorch creates without initialising their memory: the legacy constructors given sizes
 * (`torch.FloatTensor(N, C)`, `torch.Tensor(n)`), `torch.empty`, `x.new(N, C)`, `x.new_empty(...)`.
 * Their entries are whatever the allocator hands back, so the probes may run such a tensor only
 * where the code writes every entry before anything reads it; the evaluator makes it zeros then.
 * This reads that from the IR, never from a name (pure; no values):
 *  - a method that overwrites every entry applied to the new tensor at once
 *    (`torch.FloatTensor(N, C).zero_()`, `.fill_(v)`, `.uniform_()`, `.copy_(src)`), through
 *    pass-throughs (`.cuda()`, `.to(device)`, `nn.Parameter(...)`, `Variable(...)`);
 *  - a name or `self.attr` bound to the new tensor whose next mention in the same block is such a
 *    method (`t.zero_()`, `t.data.normal_()`), an initialiser of `torch.nn.init` (`init.xavier_uniform_(t)`)
 *    or an assignment to all of it (`t[:] = v`, `t[...] = v`).
 * Anything else (entries written one index at a time, `t[i] = v` in a loop; a helper filling it) is
 * refused with the reason `unfilledReason` gives: the code may read memory PyTorch leaves unset.
 */
import type { Expr, FunctionIR, Stmt } from '../core/ir-types';

/** In-place methods that write every entry of their receiver. */
const FILLS = new Set(['zero_', 'fill_', 'copy_', 'uniform_', 'normal_', 'random_', 'bernoulli_', 'exponential_', 'geometric_', 'log_normal_', 'cauchy_']);
/** Calls whose result is their receiver or first argument, entries unchanged. */
const PASS_METHODS = new Set(['cuda', 'cpu', 'to', 'float', 'double', 'long', 'int', 'half', 'type', 'type_as', 'requires_grad_', 'contiguous', 'detach']);
const PASS_CALLS = /(^|\.)(Parameter|Variable)$/;
/** `torch.nn.init`'s initialisers, which write every entry of their first argument. */
const INIT = /^torch\.nn\.init\.\w+_$/;

/** The creations of uninitialised memory: the spelling's name, and for a legacy constructor only when given sizes (the evaluator's test). */
export function uninitialisedCreation(c: Extract<Expr, { k: 'call' }>, legacySizes: boolean): string | undefined {
  const name = c.spell?.name;
  if (!name) return undefined;
  // A size of 0 (`torch.empty(0)`): no entries, nothing left unset.
  const zero = (e: Expr): boolean => (e.k === 'num' && e.value === 0) || (e.k === 'tuple' && e.items.some(zero));
  if (c.args.some(zero)) return undefined;
  if (legacySizes) return `${name}(sizes)`;
  // `x.new([0.25, 0.75])` is made of data, not sizes.
  if (name === 'Tensor.new' && c.args.some((a) => a.k === 'tuple' && a.list)) return undefined;
  if (name === 'torch.empty' || name === 'torch.empty_like' || name === 'Tensor.new_empty' || name === 'Tensor.new' || name === 'numpy.empty') return name;
  return undefined;
}

type Call = Extract<Expr, { k: 'call' }>;

/** `e` is the receiver of a method call (`e.m(...)`: parents the attribute, then the call): the method's name. */
function methodOn(e: Expr, parents: readonly Expr[]): string | undefined {
  const [a, c] = parents;
  if (a?.k !== 'attr' || a.obj !== e || c?.k !== 'call' || c.func !== a) return undefined;
  return a.attr;
}

/** A call of a function of `torch.nn.init` writing its first argument (resolved name, or as spelled). */
function isInit(c: Expr): boolean {
  if (c.k !== 'call') return false;
  const name = c.callee ?? (c.func.k === 'attr' ? dotted(c.func) : undefined);
  return !!name && (INIT.test(name) || /(^|\.)init\.\w+_$/.test(name));
}

function dotted(e: Expr): string | undefined {
  if (e.k === 'name') return e.id;
  if (e.k === 'attr') {
    const o = dotted(e.obj);
    return o ? `${o}.${e.attr}` : undefined;
  }
  return undefined;
}

/** Every expression under `root` with its parents (nearest first), as the IR nests them. */
function visit(root: Expr, on: (e: Expr, parents: Expr[]) => void, parents: Expr[] = []): void {
  on(root, parents);
  const inner = [root, ...parents];
  for (const [k, v] of Object.entries(root)) {
    if (k === 'span' || k === 'nameSpan' || k === 'op' || k === 'spell' || k === 'bound' || k === 'paren') continue;
    const each = Array.isArray(v) ? v : v && typeof v === 'object' ? (k === 'kwargs' ? Object.values(v) : [v]) : [];
    for (const x of each) if (x && typeof x === 'object' && typeof (x as { k?: unknown }).k === 'string') visit(x as Expr, on, inner);
  }
}

/** The same place: a name, or `self.attr` (any object name). */
function samePlace(a: Expr, b: Expr): boolean {
  if (a.k === 'name' && b.k === 'name') return a.id === b.id;
  if (a.k === 'attr' && b.k === 'attr') return a.attr === b.attr && samePlace(a.obj, b.obj);
  return false;
}

function mentions(root: unknown, place: Expr): boolean {
  let found = false;
  const walk = (v: unknown): void => {
    if (found || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(walk);
    const n = v as Record<string, unknown>;
    if (typeof n.k === 'string' && samePlace(n as unknown as Expr, place)) {
      found = true;
      return;
    }
    for (const [k, x] of Object.entries(n)) if (k !== 'span' && k !== 'nameSpan' && k !== 'op' && k !== 'spell' && k !== 'bound' && k !== 'fn') walk(x);
  };
  walk(root);
  return found;
}

/** Whether statement `s` writes every entry of `place` (a fill method, an initialiser, `place[:] = v`). */
function fillsAll(s: Stmt, place: Expr): boolean {
  if (s.k === 'expr' || (s.k === 'assign' && !s.aug && s.targets.length === 1 && s.targets[0].k !== 'subscript')) {
    let v = s.value;
    if (v.k !== 'call') return false;
    if (isInit(v)) return !!v.args[0] && samePlace(v.args[0], place);
    // `t.zero_()`, `t.data.zero_()`, and in-place methods chained after the fill (`t.data.uniform_(-1, 1).renorm_(2, 1, 1e-5)`).
    for (;;) {
      if (v.k !== 'call' || v.func.k !== 'attr') return false;
      const recv: Expr = v.func.obj;
      if (FILLS.has(v.func.attr) && (samePlace(recv, place) || (recv.k === 'attr' && recv.attr === 'data' && samePlace(recv.obj, place)))) return true;
      v = recv;
    }
  }
  if (s.k === 'assign' && !s.aug && s.targets.length === 1) {
    const t = s.targets[0];
    if (t.k !== 'subscript' || !samePlace(t.obj as Expr, place) || mentions(s.value, place)) return false;
    return t.index.every((i) => (i.k === 'slice' && !i.lower && !i.upper && !i.step) || i.k === 'ellipsis');
  }
  return false;
}

/** Climbs pass-throughs from `e`: the outermost expression holding the same entries, and its parents. */
function climb(e: Expr, parents: Expr[]): { node: Expr; rest: Expr[] } {
  let node = e;
  let i = 0;
  while (i < parents.length) {
    const m = methodOn(node, parents.slice(i));
    if (m && PASS_METHODS.has(m)) {
      node = parents[i + 1];
      i += 2;
      continue;
    }
    const p = parents[i];
    if (p.k === 'call' && p.args[0] === node && PASS_CALLS.test(p.callee ?? dotted(p.func) ?? '')) {
      node = p;
      i += 1;
      continue;
    }
    break;
  }
  return { node, rest: parents.slice(i) };
}

const CACHE = new WeakMap<FunctionIR, Map<Expr, string | undefined>>();

/**
 * Why the uninitialised tensor `call` makes may be read before every entry is written (undefined: it
 * is filled first). `fn` is the function whose body holds the call.
 */
export function unfilledReason(fn: FunctionIR, call: Expr, what: string): string | undefined {
  let verdicts = CACHE.get(fn);
  if (!verdicts) CACHE.set(fn, (verdicts = new Map()));
  if (verdicts.has(call)) return verdicts.get(call);
  const why = decide(fn.body, call, what);
  verdicts.set(call, why);
  return why;
}

function decide(body: readonly Stmt[], call: Expr, what: string): string | undefined {
  const lib = what.startsWith('numpy.') ? 'NumPy' : 'PyTorch';
  const fallback = `${what} read before every entry is written: ${lib} leaves its memory uninitialised, and nothing fills all of it first (\`.zero_()\`, \`.fill_(v)\`, \`[:] = v\`)`;
  const found = locate(body, call);
  if (!found) return fallback;
  const { block, at, parents } = found;
  const { node, rest } = climb(call, parents);
  const m = methodOn(node, rest);
  if (m && FILLS.has(m)) return undefined;
  if (rest[0] && isInit(rest[0]) && (rest[0] as Call).args[0] === node) return undefined;
  const s = block[at];
  if (rest.length === 0 && s.k === 'assign' && !s.aug && s.targets.length === 1 && s.value === node && (s.targets[0].k === 'name' || s.targets[0].k === 'attr')) {
    const place = s.targets[0] as Expr;
    for (let j = at + 1; j < block.length; j++) {
      const n = block[j];
      if (n.k === 'def') continue;
      if (fillsAll(n, place)) return undefined;
      const run = coveringRun(block, j, place);
      if (run) return undefined;
      if (mentions(n, place)) return fallback;
    }
  }
  return fallback;
}

/** The block, index and parents (within the statement) of `call`. */
function locate(body: readonly Stmt[], call: Expr): { block: readonly Stmt[]; at: number; parents: Expr[] } | undefined {
  for (let i = 0; i < body.length; i++) {
    const s = body[i];
    const roots: Expr[] =
      s.k === 'assign' ? [s.value, ...s.targets.flatMap((t) => (t.k === 'subscript' ? [t.obj as Expr, ...t.index] : t.k === 'attr' ? [t.obj] : []))] : s.k === 'expr' || s.k === 'return' ? (s.value ? [s.value] : []) : s.k === 'if' ? [s.test] : s.k === 'other' ? [...(s.iter ? [s.iter] : []), ...(s.test ? [s.test] : []), ...(s.items ?? []).map((w) => w.ctx), ...(s.exc ? [s.exc] : [])] : [];
    for (const r of roots) {
      let out: Expr[] | undefined;
      visit(r, (e, parents) => {
        if (e === call && !out) out = parents;
      });
      if (out) return { block: body, at: i, parents: out };
    }
    const inner = s.k === 'if' ? [s.body, s.orelse] : s.k === 'other' ? [s.body] : s.k === 'def' ? [s.fn.body] : [];
    for (const b of inner) {
      const f = locate(b, call);
      if (f) return f;
    }
  }
  return undefined;
}

/** A literal integer index (`0`, `-1` is none: it counts from the end). */
function intOf(e: Expr | undefined): number | undefined {
  return e?.k === 'num' && Number.isInteger(e.value) && e.value >= 0 ? e.value : undefined;
}

/**
 * Consecutive assignments from block[j] on that write `place` along one axis in pieces covering it
 * from 0 to its end, every other index a full slice (`t[:, 0] = a` then `t[:, 1:] = b`; `t[:k] = a`
 * is none: `k` is not known): the whole tensor written before any read.
 */
function coveringRun(block: readonly Stmt[], j: number, place: Expr): boolean {
  const full = (i: Expr): boolean => i.k === 'slice' && !i.lower && !i.upper && !i.step;
  const pieces: [number, number][] = [];
  let axis = -1;
  let rank = -1;
  for (let k = j; k < block.length; k++) {
    const s = block[k];
    if (s.k !== 'assign' || s.aug || s.targets.length !== 1) break;
    const t = s.targets[0];
    if (t.k !== 'subscript' || !samePlace(t.obj as Expr, place) || mentions(s.value, place)) break;
    const at = t.index.findIndex((i) => !full(i));
    if (at < 0 || t.index.some((i, n) => n !== at && !full(i))) break;
    if (axis >= 0 && (at !== axis || t.index.length !== rank)) break;
    axis = at;
    rank = t.index.length;
    const i = t.index[at];
    const n = intOf(i);
    if (n !== undefined) pieces.push([n, n + 1]);
    else if (i.k === 'slice' && !i.step) {
      const lo = i.lower ? intOf(i.lower) : 0;
      const hi = i.upper ? intOf(i.upper) : Infinity;
      if (lo === undefined || hi === undefined) break;
      pieces.push([lo, hi]);
    } else break;
  }
  pieces.sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const [lo, hi] of pieces) {
    if (lo > end) return false;
    end = Math.max(end, hi);
  }
  return pieces.length > 0 && end === Infinity;
}
