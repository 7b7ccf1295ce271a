/**
 * A multi-task loss whose inputs hold a regression pair beside the class scores: a detector's box
 * offsets and their encoded targets (`smooth_l1_loss(loc_preds[mask].view(-1, 4), loc_targets[mask]...)`)
 * with its class scores and labels (`focal_loss(cls_preds, cls_targets)`), as four parameters or
 * packed two by two (`def forward(self, input, *targets): bbox_input, label_input = input`). The
 * probes give one prediction and its targets; they generate no regression targets (box offsets), so
 * such a function is refused with this reason (the TF side's detection refusal says the same of
 * boxes). Pure IR reading: the pair is found where both reach one regression loss's input and target,
 * in the function or in a function of its module it passes them to.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt } from '../core/ir-types';
import { walkExprs } from '../core/ir';
import { stmtRoots, stmtsDeep } from '../core/walk';
import { reachesCreatingOp } from './entry-inputs';

/** Regression losses between a prediction and its target (the op table's ids). */
const REGRESSION = new Set(['smooth_l1_loss', 'l1_loss', 'mse_loss']);
/** Ops a regression written out applies to the difference of a prediction and its target. */
const WRITTEN = new Set(['abs', 'square', 'pow']);

/** The parameter an expression reads, through subscripts, attributes and method calls on it (`loc[mask].view(-1, 4)`). */
function rootOf(e: Expr, alias: Map<string, string>): string | undefined {
  if (e.k === 'name') return alias.get(e.id);
  if (e.k === 'subscript' || e.k === 'attr') return rootOf(e.obj, alias);
  if (e.k === 'call' && e.func.k === 'attr' && !e.callee) return rootOf(e.func.obj, alias);
  return undefined;
}

/** The difference an absolute value, a square or a power takes (`torch.abs(a - b)`, `(a - b).pow(2)`). */
function writtenRegression(e: Extract<Expr, { k: 'call' }>): Extract<Expr, { k: 'bin' }> | undefined {
  if (!e.op || !WRITTEN.has(e.op.id)) return undefined;
  const x = e.bound?.input;
  return x?.k === 'bin' && x.op === '-' ? x : undefined;
}

/** The names unpacked from a parameter by a statement of the body (`a, b = p`), in order. */
function unpacked(fn: FunctionIR, param: string): string[] | undefined {
  for (const s of fn.body) {
    if (s.k !== 'assign' || s.targets.length !== 1 || s.value.k !== 'name' || s.value.id !== param) continue;
    const t = s.targets[0];
    if (t.k === 'tuple' && t.items.length >= 2 && t.items.every((i) => i.k === 'name')) return t.items.map((i) => (i as { id: string }).id);
  }
  return undefined;
}

/** Pairs of `names` (by the name each stands for) that reach one regression loss as its input and target, with the op. */
function regressionPairs(fn: FunctionIR, mod: ModuleIR, names: Map<string, string>, depth = 0): { input: string; target: string; op: string }[] {
  const alias = new Map(names);
  const out: { input: string; target: string; op: string }[] = [];
  const stmts: Stmt[] = stmtsDeep(fn.body);
  for (const s of stmts) {
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) {
        if (e.k === 'bin' && e.op === '**' && e.left.k === 'bin' && e.left.op === '-') {
          const a = rootOf(e.left.left, alias);
          const b = rootOf(e.left.right, alias);
          if (a && b && a !== b) out.push({ input: a, target: b, op: `(${a} - ${b}) ** ...` });
          continue;
        }
        if (e.k !== 'call') continue;
        if (e.op && REGRESSION.has(e.op.id) && e.bound?.input && e.bound.target) {
          const a = rootOf(e.bound.input, alias);
          const b = rootOf(e.bound.target, alias);
          if (a && b && a !== b) out.push({ input: a, target: b, op: e.op.id });
          continue;
        }
        // A regression written out: the absolute or squared difference of the two (`torch.abs(loc_pred -
        // loc_target)`, `(p - t).pow(2)`, a smooth L1 built on it).
        const diff = writtenRegression(e);
        if (diff) {
          const a = rootOf(diff.left, alias);
          const b = rootOf(diff.right, alias);
          if (a && b && a !== b) out.push({ input: a, target: b, op: `${e.op!.id}(${a} - ${b})` });
          continue;
        }
        if (e.op || depth >= 1) continue;
        // A function of the module the names are passed to (`self._bbox_loss(bbox_input, bbox_target, positive)`).
        const callee =
          e.func.k === 'attr' && e.func.obj.k === 'name' && e.func.obj.id === 'self' && fn.className
            ? mod.functions.find((g) => g.className === fn.className && g.name === (e.func as { attr: string }).attr && !g.parent)
            : e.func.k === 'name'
              ? mod.functions.find((g) => g.name === (e.func as { id: string }).id && !g.className && !g.parent)
              : undefined;
        if (!callee || callee === fn) continue;
        const params = callee.params.filter((p) => p.kind === 'plain').slice(callee.className && callee.params[0]?.name === 'self' ? 1 : 0);
        const passed = new Map<string, string>();
        e.args.forEach((a, k) => {
          const root = params[k] ? rootOf(a, alias) : undefined;
          if (root) passed.set(params[k].name, root);
        });
        if (passed.size >= 2) out.push(...regressionPairs(callee, mod, passed, depth + 1));
      }
    // Names bound to a parameter's view (`masked = loc_preds[mask].view(-1, 4)`) stand for it.
    if (s.k === 'assign' && s.targets.length === 1 && s.targets[0].k === 'name') {
      const root = s.aug ? undefined : rootOf(s.value, alias);
      if (root) alias.set(s.targets[0].id, root);
      else if (!names.has(s.targets[0].id)) alias.delete(s.targets[0].id);
    }
  }
  return out;
}

/**
 * Why a function of several required inputs is not probed, where one pair of them is a regression
 * beside the others (the class scores and their targets): four parameters (`loc_preds, loc_targets,
 * cls_preds, cls_targets`), or a prediction and `*targets` each unpacked into several names.
 */
export function multiTaskReason(fn: FunctionIR, mod: ModuleIR, required: string[]): string | undefined {
  const star = fn.params.find((p) => p.kind === 'star');
  // Packed: each of the prediction and the star unpacked into names.
  const packs = [...required, ...(star ? [star.name] : [])].map((p) => ({ p, names: unpacked(fn, p) }));
  const names = new Map<string, string>();
  const packed = packs.filter((x) => x.names);
  if (packed.length >= 2) for (const x of packed) for (const n of x.names!) names.set(n, n);
  else if (required.length >= 4) for (const p of required) names.set(p, p);
  else return undefined;
  const pair = regressionPairs(fn, mod, names)[0];
  if (!pair) return undefined;
  const others = [...names.keys()].filter((n) => n !== pair.input && n !== pair.target);
  if (others.length < 2) return undefined;
  // A regression written out is one task of several only where some other input is scores a loss is
  // made of (a log, an activation, a loss: the class scores), not a mask or a weight beside it.
  if (!REGRESSION.has(pair.op) && !others.some((o) => reachesCreatingOp(o, fn, mod))) return undefined;
  const how = packed.length >= 2 ? ` (${packed.map((x) => `\`${x.names!.join(', ')} = ${x.p}\``).join('; ')})` : '';
  return `a multi-task loss: \`${pair.input}\` and \`${pair.target}\` are a regression pair (\`${pair.op}\`) beside ${others.map((o) => `\`${o}\``).join(', ')}${how}: the probes give one prediction and its targets, and generate no regression targets (a detection loss's box offsets)`;
}
