/**
 * A loss whose prediction and target come packed in one parameter, unpacked by its first statement:
 * Keras' Lambda-layer losses (`def get_loss(args): y_pred, y_true = args`, called as
 * `Lambda(get_loss)([y_pred, y_true])`) and varargs losses (`def loss(*args): y_true, y_pred = args`).
 * Calling such a function with `[a, b]` (or `a, b`) is calling, with `a` and `b`, the function
 * whose parameters are the unpacked names and whose body is the rest: the probes plan and run that
 * view (`unpackedView`), and the report says how the real function is called (`PackedArgs`), which
 * the repro script follows.
 */
import { walkExprs, type FunctionIR, type Stmt } from '../core/ir';
import { stmtRoots, stmtsDeep } from '../core/walk';

/** How the prediction and the target are packed: the parameter, whether it is `*args`, and the names unpacked from it, in order. */
export interface PackedArgs {
  param: string;
  star: boolean;
  names: string[];
}

/** The statements before the unpacking that do nothing (a docstring). */
function isDocstring(s: Stmt): boolean {
  return s.k === 'expr' && s.value.k === 'str';
}

/**
 * The packing of `fn`'s roles, where its one required parameter (after `self`; `*args` with no
 * required plain parameter) is unpacked into two names by its first statement and read nowhere else.
 * Any other parameter keeps its default (`def loss(args, gamma=2.0)`).
 */
export function packedArgs(fn: FunctionIR): PackedArgs | undefined {
  const params = fn.params.slice(fn.className ? 1 : 0);
  const required = params.filter((p) => p.kind === 'plain' && !p.default);
  const star = params.find((p) => p.kind === 'star');
  const packed = required.length === 1 ? required[0] : required.length === 0 && star ? star : undefined;
  if (!packed || (packed.kind === 'plain' && star)) return undefined;
  const body = fn.body.filter((s) => !isDocstring(s));
  const first = body[0];
  if (!first || first.k !== 'assign' || first.aug || first.targets.length !== 1) return undefined;
  const [t] = first.targets;
  if (t.k !== 'tuple' || t.items.length !== 2 || !t.items.every((i) => i.k === 'name')) return undefined;
  if (first.value.k !== 'name' || first.value.id !== packed.name) return undefined;
  const names = t.items.map((i) => (i as { id: string }).id);
  if (names[0] === names[1] || names.some((n) => fn.params.some((p) => p.name === n))) return undefined;
  // Read or rebound anywhere else (closures included): the view would not be the same function.
  for (const s of stmtsDeep(fn.body)) {
    if (s === first) continue;
    if (s.k === 'assign' && s.targets.some((x) => x.k === 'name' && x.id === packed.name)) return undefined;
    if (s.k === 'def' && s.fn.params.some((p) => p.name === packed.name)) continue;
    for (const r of stmtRoots(s)) for (const e of walkExprs(r)) if (e.k === 'name' && e.id === packed.name) return undefined;
  }
  return { param: packed.name, star: packed.kind === 'star', names };
}

/**
 * The function the probes run for a packed one: the unpacked names as its first parameters (after
 * `self`), the other parameters kept, the unpacking statement dropped. Same qualname and spans.
 */
export function unpackedView(fn: FunctionIR, p: PackedArgs): FunctionIR {
  const self = fn.className ? fn.params.slice(0, 1) : [];
  const at = fn.params.find((q) => q.name === p.param)!;
  const rest = fn.params.slice(self.length).filter((q) => q !== at);
  const unpack = fn.body.find((s) => !isDocstring(s))!;
  return {
    ...fn,
    params: [...self, ...p.names.map((name) => ({ name, kind: 'plain' as const, span: at.span })), ...rest],
    body: fn.body.filter((s) => s !== unpack),
  };
}

/** `fn` as the probes see it: its unpacked view where its roles come packed, else itself. */
export function probedView(fn: FunctionIR): FunctionIR {
  const p = packedArgs(fn);
  return p ? unpackedView(fn, p) : fn;
}
