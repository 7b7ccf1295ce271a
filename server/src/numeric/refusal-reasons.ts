/**
 * Why a function cannot be probed, where its own code says what a parameter without a value is and
 * that nothing in the file gives it: a loss passed in and called (`loss(targets, preds)`,
 * `losses[i](y_true, y_pred)`), a sequence only iterated or passed on (a matching computed
 * elsewhere: `zip(targets, indices)`), a single parameter that is a loss already computed by a caller,
 * one read at attributes or constant indices (a batch holding both roles), one whose target the
 * function builds itself (`ones_like(d_fake)`). Refusals only: no value is guessed here. Pure IR
 * reading.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt, Target } from '../core/ir-types';
import { stmtRoots, stmtsOf } from '../core/walk';
import { walkExprs } from '../core/ir';
import { isBuiltin } from './unbound';
import { opSpellings } from '../ops';

/** Expressions of every statement of a body (nested blocks included), with comprehension parts. */
function exprsOf(body: readonly Stmt[]): Expr[] {
  const out: Expr[] = [];
  const add = (e: Expr): void => {
    for (const x of walkExprs(e)) {
      out.push(x);
      if (x.k === 'unknown' && x.comp) {
        add(x.comp.elt);
        if (x.comp.key) add(x.comp.key);
        for (const g of x.comp.gens) {
          add(g.iter);
          g.ifs.forEach(add);
        }
      }
    }
  };
  for (const s of stmtsOf(body)) for (const r of stmtRoots(s)) add(r);
  return out;
}

/** The text of a short expression for a message (names, attributes, subscripts, calls). */
function shown(e: Expr, depth = 0): string {
  if (depth > 3) return '...';
  switch (e.k) {
    case 'name':
      return e.id;
    case 'num':
      return String(e.value);
    case 'str':
      return JSON.stringify(e.value);
    case 'attr':
      return `${shown(e.obj, depth + 1)}.${e.attr}`;
    case 'subscript':
      return `${shown(e.obj, depth + 1)}[${e.index.map((i) => shown(i, depth + 1)).join(', ')}]`;
    case 'call':
      return `${shown(e.func, depth + 1)}(${e.args.map((a) => shown(a, depth + 1)).join(', ')}${e.args.length && Object.keys(e.kwargs).length ? ', ' : ''}${Object.keys(e.kwargs).length ? '...' : ''})`;
    default:
      return '...';
  }
}

/**
 * The loss is a function the code is given and calls: what `fn` returns is a call of one of its own
 * or its factories' parameters (`return loss(targets, preds)`, `return losses[i](y_true, y_pred)`),
 * and no call in the module passes that parameter. Nothing in the file says which loss it computes.
 */
export function passedInLoss(fn: FunctionIR, chain: readonly FunctionIR[], mod: ModuleIR): string | undefined {
  const owners = [fn, ...chain];
  const paramOf = (id: string): FunctionIR | undefined => owners.find((g) => g.params.some((p) => p.name === id));
  for (const s of stmtsOf(fn.body)) {
    if (s.k !== 'return' || !s.value || s.value.k !== 'call') continue;
    const f = s.value.func;
    const head = f.k === 'name' ? f.id : f.k === 'subscript' && f.obj.k === 'name' ? f.obj.id : undefined;
    const owner = head ? paramOf(head) : undefined;
    if (!head || !owner) continue;
    // A call site of the owner in the module gives the function (a value the probes could read): not this refusal.
    const ownerName = owner.name === '__init__' && owner.className ? owner.className.split('.').pop()! : owner.name;
    const called = mod.callSites.some((c) => c.callee.split('.').pop() === ownerName) || mod.functions.some((g) => g !== owner && exprsOf(g.body).some((e) => e.k === 'call' && e.func.k === 'name' && e.func.id === ownerName));
    if (called) continue;
    const what = f.k === 'name' ? 'a function' : 'a sequence of functions';
    return `the loss is \`${shown(s.value)}\`: \`${head}\` is ${what} ${owner === fn ? `\`${fn.name}\`` : `the factory \`${owner.name}\``} is given and calls, which nothing in the file gives; the probes have no loss to check`;
  }
  return undefined;
}

/**
 * A parameter only iterated or passed on (`zip(targets, indices)`, `for j in idx`,
 * `self.helper(indices)`), never in arithmetic, indexed or compared in the function: nothing it does
 * with it says what its values are (a matching, an assignment computed elsewhere). Undefined otherwise.
 */
export function iteratedOnly(name: string, g: FunctionIR): string | undefined {
  let reads = 0;
  let iterated = false;
  const uses: string[] = [];
  for (const e of exprsOf(g.body)) {
    if (e.k === 'name' && e.id === name) reads++;
    if (e.k === 'call' && e.args.some((a) => a.k === 'name' && a.id === name)) {
      const callee = e.func.k === 'name' ? e.func.id : '';
      // Iterated (`zip(targets, pairs)`), or passed to a function of the code's own (no op, no builtin
      // that reads it: `len(heads)` says it is counted).
      if (/^(zip|enumerate|iter|reversed)$/.test(callee)) iterated = true;
      else if (e.op || e.callee || isBuiltin(callee)) continue;
      uses.push(shown(e));
      continue;
    }
    if (e.k === 'unknown' && e.comp?.gens.some((gen) => gen.iter.k === 'name' && gen.iter.id === name)) {
      uses.push(`for ... in ${name}`);
      iterated = true;
    }
  }
  for (const s of stmtsOf(g.body))
    if (s.k === 'other' && s.what === 'for' && s.iter?.k === 'name' && s.iter.id === name) {
      uses.push(`for ... in ${name}`);
      iterated = true;
    }
  if (!reads || uses.length !== reads) return undefined;
  const list = [...new Set(uses)].slice(0, 2).map((u) => `\`${u}\``).join(', ');
  return `${iterated ? 'a sequence the function only iterates or passes on' : 'a value the function only passes on'} (${list}): nothing it does with it says what its values are, and nothing in the file gives them`;
}

/** Loss ops a call site may pass as a value (their output is a loss, not a prediction). */
const LOSS_OP = /entropy|nll|focal|_ce_|with_logits|loss/;

/**
 * Why a function with one parameter the roles could be chosen from has no prediction and target:
 * a caller passes it a loss already computed (probed at that caller), it is read at attributes or
 * constant indices (a batch holding both), or the function builds its own target from it
 * (`ones_like(d_fake)`: a GAN's generator loss). Undefined where its code says none of these.
 */
export function singleRole(name: string, fn: FunctionIR, mod: ModuleIR): string | undefined {
  const at = fn.params.filter((p) => p.kind === 'plain').slice(fn.className ? 1 : 0).findIndex((p) => p.name === name);
  for (const g of mod.functions) {
    if (g === fn) continue;
    for (const e of exprsOf(g.body)) {
      if (e.k !== 'call' || e.func.k !== 'name' || e.func.id !== fn.name) continue;
      const a = e.kwargs[name] ?? e.args[at];
      if (a?.k === 'call' && a.op && LOSS_OP.test(a.op.id)) return `its one tensor parameter \`${name}\` is a loss already computed: \`${g.qualname}\` passes it \`${shown(a)}\`; that caller is the entry point the probes give a prediction and a target`;
    }
  }
  const reads = exprsOf(fn.body).filter((e) => e.k === 'name' && e.id === name).length;
  const attrs = new Set<string>();
  const idx = new Set<string>();
  let member = 0;
  // A method called on it (`X.dot(w)`) or a tensor's own attribute (`X.shape`, `X.T`): a tensor, no batch of fields.
  const calledOn = new Set(exprsOf(fn.body).flatMap((e) => (e.k === 'call' && e.func.k === 'attr' ? [e.func] : [])));
  for (const e of exprsOf(fn.body)) {
    if (e.k === 'attr' && e.obj.k === 'name' && e.obj.id === name) {
      if (calledOn.has(e) || /^(shape|T|mT|dtype|device|ndim|size|data|grad|real|imag|is_cuda)$/.test(e.attr)) return undefined;
      attrs.add(e.attr);
      member++;
    } else if (e.k === 'subscript' && e.obj.k === 'name' && e.obj.id === name && e.index.length === 1 && e.index[0].k === 'num') {
      idx.add(String(e.index[0].value));
      member++;
    }
  }
  if (member && member === reads && attrs.size + idx.size > 1) {
    const parts = [...[...attrs].map((a) => `\`${name}.${a}\``), ...[...idx].map((i) => `\`${name}[${i}]\``)];
    return `the prediction and the target come through one parameter \`${name}\`, read at ${parts.join(', ')}: a batch or a tuple the probes do not build`;
  }
  for (const e of exprsOf(fn.body)) {
    if (e.k !== 'call') continue;
    const made = [...e.args, ...Object.values(e.kwargs)].find((a) => a.k === 'call' && /(^|\.)(ones_like|zeros_like|full_like)$/.test(a.callee ?? '') && a.args[0]?.k === 'name' && a.args[0].id === name);
    if (made && [...e.args, ...Object.values(e.kwargs)].some((a) => a.k === 'name' && a.id === name)) return `one tensor parameter \`${name}\`, its target built by the function (\`${shown(made)}\`): no target parameter the probes could give`;
  }
  return undefined;
}

/**
 * Whether the items of sequence `name` are unpacked where `g` iterates it (`for i, j in pairs`,
 * `for t, (_, j) in zip(targets, pairs)`): tuples, so no list of per-class numbers.
 */
export function itemsUnpacked(name: string, g: FunctionIR): boolean {
  const loops: { target: Target; iter: Expr }[] = [];
  for (const s of stmtsOf(g.body)) if (s.k === 'other' && s.what === 'for' && s.target && s.iter) loops.push({ target: s.target, iter: s.iter });
  for (const e of exprsOf(g.body)) if (e.k === 'unknown' && e.comp) for (const gen of e.comp.gens) loops.push({ target: gen.target, iter: gen.iter });
  return loops.some(({ target, iter }) => {
    if (iter.k === 'name' && iter.id === name) return target.k === 'tuple';
    if (iter.k !== 'call' || iter.func.k !== 'name' || !/^(zip|enumerate)$/.test(iter.func.id) || target.k !== 'tuple') return false;
    const at = iter.args.findIndex((a) => a.k === 'name' && a.id === name) + (iter.func.id === 'enumerate' ? 1 : 0);
    return at >= (iter.func.id === 'enumerate' ? 1 : 0) && target.items[at]?.k === 'tuple';
  });
}

/**
 * Why a parameter has no value where what tells its values is code of another module: it (or what is
 * taken out of it: `boxes = b_boxes[i]`) is passed to a function imported from elsewhere that is no
 * op of the table (`find_jaccard_overlap(priors, boxes)` of `from util.utils import ...`), and the
 * function reads it no other way that says what it holds. A refusal only.
 */
let FRAMEWORK_ROOTS: Set<string> | undefined;

export function readThroughImport(name: string, g: FunctionIR): string | undefined {
  const names = new Set([name]);
  // Its values as they are or rows of them (`b_boxes[i]`), not a setting read off it (`model.hyp`).
  const rooted = (e: Expr): boolean => (e.k === 'name' ? names.has(e.id) : e.k === 'subscript' ? rooted(e.obj) : false);
  for (let changed = true, guard = 0; changed && guard < 6; guard++) {
    changed = false;
    for (const s of stmtsOf(g.body))
      if (s.k === 'assign' && !s.aug && s.targets.length === 1 && s.targets[0].k === 'name' && !names.has(s.targets[0].id) && rooted(s.value)) {
        names.add(s.targets[0].id);
        changed = true;
      }
  }
  // A framework the op table spells (scipy.misc.derivative is scipy's) is no other module's code.
  const frameworks = (FRAMEWORK_ROOTS ??= new Set(opSpellings().qualified.map((q) => q.split('.')[0])));
  const calls = exprsOf(g.body).filter((e): e is Extract<Expr, { k: 'call' }> => e.k === 'call' && !!e.callee && !e.op && e.func.k === 'name' && !frameworks.has(e.callee.split('.')[0]) && [...e.args, ...Object.values(e.kwargs)].some(rooted));
  if (!calls.length) return undefined;
  const which = [...new Set(calls.map((c) => `\`${c.callee}\``))].slice(0, 2).join(', ');
  return `what it holds is read by ${which}, code imported from another module, and nothing in the file gives its values`;
}
