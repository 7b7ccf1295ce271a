/**
 * A TensorFlow 1 graph-mode loss (issue 16): the loss is built on placeholders and a model's output
 * inside a method, a function or at module level, never from the function's parameters:
 *
 *   def get_model(self):                       x = tf.placeholder(tf.float32, [None, 784])
 *       W = tf.Variable(tf.zeros([784, 10]))   y = tf.placeholder(tf.float32, [None, 10])
 *       model = tf.nn.softmax(tf.matmul(self.x, W) + b)
 *       cost = -tf.reduce_sum(self.y * tf.log(model))
 *
 * The checker judges the loss's math on a prediction and its targets, as it does for a model it
 * stands in (entry-inputs.ts modelStandIn): the model's output the loss reads is the probe's
 * prediction, the placeholder (or the attribute `__init__` stores) the loss compares it with is the
 * probe's targets, and what computes the loss from those two is run as a function of them
 * (`graphLoss(...).view`). Read from the IR, never from a name:
 *
 *   loss        a name bound once whose value holds a loss op or a logarithm (a cross-entropy written
 *               out), read by no other such name (or the one an optimizer's `minimize` is given);
 *   prediction  a name the loss reads whose value comes from trainable weights (`tf.Variable`,
 *               `tf.get_variable`, a `tf.layers` / Keras layer, or the module's own function building
 *               them) and holds no loss op nor logarithm: the layer the loss reads;
 *   target      a `tf.placeholder` (local or the module's) or an attribute of `self` the method does
 *               not bind, read by the loss other than through the prediction.
 *
 * The names between them (a one-hot of the target, a per-example loss then reduced) are the view's
 * body, in their order; the session code around them (`minimize`, `sess.run`, `feed_dict`) is not
 * the loss and is not run. Anything else (a name bound several times on the way, the weights read
 * beyond the model's output as a weight decay does, two placeholders or none) is no graph loss:
 * `undefined` (or a reason the coverage report gives).
 */
import { walkExprs, type Expr, type FunctionIR, type ModuleIR, type Stmt } from '../core/ir';

export interface GraphLoss {
  /** The function the probes run: `(prediction, target)`, the statements between them, returning the loss. */
  view: FunctionIR;
  /** The name holding the loss. */
  loss: string;
  /** The model's output the loss reads, which the probe's prediction stands in for. */
  prediction: { name: string; shown: string };
  /** The placeholder or attribute the loss compares it with (the probe's targets). */
  target: { name: string; shown: string };
}

/** Calls that make trainable weights or a layer holding them. */
const TRAINABLE = /^(tensorflow\.(compat\.v1\.)?(Variable|get_variable|layers\.|keras\.layers\.|contrib\.layers\.|contrib\.slim\.|nn\.(conv\dd|conv\dd_transpose|bias_add|dropout))|keras\.layers\.)/;
const PLACEHOLDER = /^tensorflow\.(compat\.v1\.)?placeholder$/;
/** Op ids that compute a loss from a prediction, or its logarithm (a cross-entropy written out). */
const LOSSY = /entropy|nll|focal|_ce_|with_logits|^log$|^log_softmax$|^log_sigmoid$|^log1p$/;

type Binding = { stmt: Stmt; value: Expr; module: boolean } | 'several' | 'unpacked';

/** Names bound by assignment in a block and the `with` blocks in it (not in loops, branches, defs). */
function bindings(body: readonly Stmt[], module: boolean, out: Map<string, Binding>, order: Stmt[]): void {
  for (const s of body) {
    // A `with` block (`tf.name_scope`, `tf.Session()`) and a script's `if __name__ == "__main__":` run once, in order.
    if ((s.k === 'other' && s.what === 'with') || (s.k === 'if' && module && mainGuard(s.test))) {
      bindings(s.body, module, out, order);
      if (s.k === 'if') for (const x of nestedTargets({ ...s, body: [] })) out.set(x, 'several');
      continue;
    }
    const names: string[] = [];
    const collect = (t: unknown): void => {
      const x = t as { k?: string; id?: string; items?: unknown[] };
      if (x?.k === 'name' && x.id) names.push(x.id);
      else if (x?.k === 'tuple') for (const i of x.items ?? []) collect(i);
      // An attribute the method sets (`self.loss = ...`) is bound as `self.loss`.
      else if (isSelfAttr(x as Expr)) names.push(`self.${(x as { attr: string }).attr}`);
    };
    if (s.k === 'assign') for (const t of s.targets) collect(t);
    else if (s.k === 'def') names.push(s.fn.name);
    else if (s.k === 'other' || s.k === 'if') {
      // Bound in a loop or a branch: not one value.
      for (const x of nestedTargets(s)) out.set(x, 'several');
      continue;
    }
    order.push(s);
    for (const n of names) {
      if (out.has(n)) out.set(n, 'several');
      else if (s.k === 'assign' && !s.aug && s.targets.length === 1 && (s.targets[0].k === 'name' || isSelfAttr(s.targets[0] as Expr))) out.set(n, { stmt: s, value: s.value, module });
      else out.set(n, s.k === 'assign' && !s.aug ? 'unpacked' : 'several');
    }
  }
}

/** `__name__ == "__main__"`. */
function mainGuard(e: Expr): boolean {
  const xs = walkExprs(e);
  return xs.some((x) => x.k === 'name' && x.id === '__name__') && xs.some((x) => x.k === 'str' && x.value === '__main__');
}

function nestedTargets(s: Stmt): string[] {
  const out: string[] = [];
  const collect = (t: unknown): void => {
    const x = t as { k?: string; id?: string; items?: unknown[] };
    if (x?.k === 'name' && x.id) out.push(x.id);
    else if (x?.k === 'tuple') for (const i of x.items ?? []) collect(i);
    else if (isSelfAttr(x as Expr)) out.push(`self.${(x as { attr: string }).attr}`);
  };
  const visit = (ss: readonly Stmt[]): void => {
    for (const t of ss) {
      if (t.k === 'assign') t.targets.forEach(collect);
      else if (t.k === 'if') {
        visit(t.body);
        visit(t.orelse);
      } else if (t.k === 'other') {
        if (t.target) collect(t.target);
        visit(t.body);
      }
    }
  };
  if (s.k === 'other' && s.target) collect(s.target);
  visit(s.k === 'if' ? [...s.body, ...s.orelse] : s.k === 'other' ? s.body : []);
  return out;
}

/** Whether `self.<attr>` is read, in `e` and the values of the names it reads, only as the object of another attribute. */
function readAtAttributes(e: Expr, attr: string, bound: (n: string) => Binding | undefined, seen = new Set<string>()): boolean {
  let ok = true;
  const visit = (x: Expr, parentAttr: boolean): void => {
    if (isSelfAttr(x) && x.attr === attr) {
      if (!parentAttr) ok = false;
      return;
    }
    if (x.k === 'name' && !seen.has(x.id)) {
      seen.add(x.id);
      const b = bound(x.id);
      if (b && typeof b !== 'string') visit(b.value, false);
      return;
    }
    if (x.k === 'attr') {
      visit(x.obj, true);
      return;
    }
    for (const [k, v] of Object.entries(x)) {
      if (k === 'op' || k === 'spell' || k === 'bound' || k === 'span') continue;
      for (const c of Array.isArray(v) ? v : [v]) if (c && typeof c === 'object' && typeof (c as { k?: unknown }).k === 'string') visit(c as Expr, false);
    }
  };
  visit(e, false);
  return ok;
}

const isSelfAttr = (e: Expr): e is Extract<Expr, { k: 'attr' }> => e.k === 'attr' && e.obj.k === 'name' && e.obj.id === 'self';

/** A copy of an IR value with each node `swap` answers for replaced (ops and spans shared). */
function copyWith<T>(v: T, swap: (e: Expr) => Expr | undefined): T {
  if (Array.isArray(v)) return v.map((x) => copyWith(x, swap)) as T;
  if (v === null || typeof v !== 'object' || v instanceof Map || Object.getPrototypeOf(v) !== Object.prototype) return v;
  const s = typeof (v as { k?: unknown }).k === 'string' ? swap(v as unknown as Expr) : undefined;
  if (s) return s as unknown as T;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = k === 'op' || k === 'spell' || k === 'span' || k === 'nameSpan' ? x : copyWith(x, swap);
  return o as T;
}

/** A short text of a value's expression for the report (`tensorflow.nn.softmax(...)`). */
function shownOf(e: Expr): string {
  if (e.k === 'call') return `${e.callee ?? (e.func.k === 'name' ? e.func.id : e.func.k === 'attr' ? `.${e.func.attr}` : '')}(...)`;
  if (e.k === 'bin') return `${shownOf(e.left)} ${e.op} ${shownOf(e.right)}`;
  if (e.k === 'unary') return `-${shownOf(e.operand)}`;
  if (e.k === 'name') return e.id;
  return '...';
}

/**
 * The graph-mode loss `fn` builds (see the file's comment), or a reason it cannot be probed as one,
 * or undefined where `fn` is no such loss: it has a parameter without a default (besides `self`),
 * computes no TensorFlow, or binds no loss from a placeholder.
 */
export function graphLoss(fn: FunctionIR, mod: ModuleIR): GraphLoss | { refused: string } | undefined {
  if (fn.inline || fn.parent || fn.hasError) return undefined;
  if (fn.params.slice(fn.className ? 1 : 0).some((p) => p.kind === 'plain' && !p.default)) return undefined;
  const tensorflow = (e: Expr): boolean => e.k === 'call' && /^tensorflow\./.test(e.callee ?? '');
  // A training step or a gradient made from the loss (`optimizer.minimize(loss)`, `tf.gradients`) is no loss.
  const training = (e: Expr): boolean => e.k === 'call' && ((e.func.k === 'attr' && /^(minimize|compute_gradients|apply_gradients)$/.test(e.func.attr)) || /^tensorflow\.(compat\.v1\.)?(gradients|train\.)/.test(e.callee ?? ''));
  const own = new Map<string, Binding>();
  const order: Stmt[] = [];
  bindings(fn.body, !!fn.isModule, own, order);
  const top = fn.isModule ? undefined : mod.functions.find((g) => g.isModule);
  const global = new Map<string, Binding>();
  const globalOrder: Stmt[] = [];
  if (top) bindings(top.body, true, global, globalOrder);
  const params = new Set(fn.params.map((p) => p.name));
  const bound = (n: string): Binding | undefined => (params.has(n) ? undefined : own.get(n) ?? (fn.isModule ? undefined : global.get(n)));
  // What a name or an attribute of `self` reads, as the key of its binding (`self.loss`).
  const keyOf = (e: Expr): string | undefined => (e.k === 'name' ? e.id : isSelfAttr(e) && fn.className ? `self.${e.attr}` : undefined);
  const ownFns = new Set(mod.functions.filter((g) => !g.parent && !g.isModule).map((g) => g.name));
  // Whether a name's value (followed through the names it reads) makes weights, and whether it holds a loss.
  const memo = new Map<string, { trains: boolean; lossy: boolean; placeholder: boolean }>();
  const closure = (n: string, seen = new Set<string>()): { trains: boolean; lossy: boolean; placeholder: boolean } => {
    const m = memo.get(n);
    if (m) return m;
    const out = { trains: false, lossy: false, placeholder: false };
    const b = bound(n);
    if (!b || seen.has(n)) return out;
    seen.add(n);
    if (typeof b === 'string') {
      // Unpacked from a call (`layer, weights = new_conv_layer(...)`): what that call makes.
      out.trains = true;
    } else {
      for (const e of walkExprs(b.value)) {
        if (e.k === 'call') {
          // A variable made `trainable=False` (a step counter) holds no weights.
          const frozen = e.kwargs.trainable?.k === 'const' && e.kwargs.trainable.value === false;
          if ((TRAINABLE.test(e.callee ?? '') && !frozen) || (e.func.k === 'name' && ownFns.has(e.func.id) && !e.op) || (e.func.k === 'attr' && isSelfAttr(e.func) && !e.op)) out.trains = true;
          if (e.op && LOSSY.test(e.op.id)) out.lossy = true;
          if (PLACEHOLDER.test(e.callee ?? '')) out.placeholder = true;
        } else if (keyOf(e) && keyOf(e) !== n && (e.k !== 'name' || e.id !== 'self')) {
          const c = closure(keyOf(e)!, seen);
          out.trains ||= c.trains;
          out.lossy ||= c.lossy;
        }
      }
      if (b.value.k === 'call' && PLACEHOLDER.test(b.value.callee ?? '')) out.placeholder = true;
      else out.placeholder = false;
    }
    memo.set(n, out);
    return out;
  };
  const isPlaceholder = (n: string): boolean => {
    const b = bound(n);
    return !!b && typeof b !== 'string' && b.value.k === 'call' && PLACEHOLDER.test(b.value.callee ?? '');
  };
  // The loss: names whose values hold a loss op or a log; the one no other reads, or the one `minimize` gets.
  const lossy = [...own.keys()].filter((n) => {
    const b = own.get(n)!;
    return typeof b !== 'string' && closure(n).lossy && walkExprs(b.value).some(tensorflow) && !walkExprs(b.value).some(training);
  });
  if (!lossy.length) return undefined;
  const reads = (n: string): Set<string> => {
    const b = own.get(n)!;
    return new Set(typeof b === 'string' ? [] : walkExprs(b.value).map(keyOf).filter((k): k is string => !!k));
  };
  const minimized = new Set<string>();
  for (const s of order)
    for (const r of s.k === 'assign' || s.k === 'expr' || s.k === 'return' ? [s.value].filter(Boolean) as Expr[] : [])
      for (const e of walkExprs(r))
        if (e.k === 'call' && e.func.k === 'attr' && e.func.attr === 'minimize') {
          const a = e.args[0] ?? e.kwargs.loss;
          const k = a && keyOf(a);
          if (k) minimized.add(k);
        }
  // An optimizer's `minimize(cost)` names the loss; else the one loss no other reads.
  const given = lossy.filter((n) => minimized.has(n));
  const sinks = lossy.filter((n) => !lossy.some((o) => o !== n && reads(o).has(n)));
  const loss = given.length ? (given.length === 1 ? given[0] : undefined) : sinks.length === 1 ? sinks[0] : undefined;
  if (!loss) return undefined;
  // Walk back from the loss: intermediates, the model's output, the target.
  const preds = new Map<string, string>();
  const targets = new Map<string, string>();
  const inter = new Set<Stmt>();
  const visited = new Set<string>();
  let why: string | undefined;
  // Attributes the loss reads that neither the method binds nor `__init__` takes as an input.
  const opaque = new Set<string>();
  const init = fn.className ? mod.classes.get(fn.className)?.methods.get('__init__') : undefined;
  const storedInput = (attr: string): boolean =>
    !!init &&
    init.body.some((st) => {
      if (st.k !== 'assign' || st.targets.length !== 1 || !isSelfAttr(st.targets[0] as Expr) || (st.targets[0] as { attr: string }).attr !== attr) return false;
      const v = st.value;
      return (v.k === 'name' && init.params.some((q) => q.name === v.id)) || (v.k === 'call' && PLACEHOLDER.test(v.callee ?? ''));
    });
  const visit = (e: Expr): void => {
    for (const x of walkExprs(e)) {
      const key = keyOf(x);
      if (!key || key === 'self' || visited.has(key)) continue;
      visited.add(key);
      const b = bound(key);
      if (!b) {
        // An attribute `__init__` stores from one of its parameters or a placeholder: a target;
        // another one (a setting, a value it computes) is not what the probes give.
        if (isSelfAttr(x) && !ownFns.has(x.attr)) {
          if (storedInput(x.attr)) targets.set(key, x.attr);
          else opaque.add(key);
        }
        continue;
      }
      if (typeof b === 'string') {
        if (b === 'several') why ??= `\`${key}\`, which the loss reads, is bound more than once`;
        else preds.set(key, `unpacked from a call`);
        continue;
      }
      if (isPlaceholder(key)) {
        targets.set(key, key.replace(/^self\./, ''));
        continue;
      }
      const c = closure(key);
      if (c.trains && !c.lossy) {
        preds.set(key, shownOf(b.value));
        continue;
      }
      inter.add(b.stmt);
      visit(b.value);
    }
  };
  const lb = own.get(loss) as Exclude<Binding, string>;
  inter.add(lb.stmt);
  visited.add(loss);
  visit(lb.value);
  if (opaque.size) return undefined;
  if (why) return { refused: `a TensorFlow graph-mode loss (\`${loss}\`): ${why}; the probes stand in one model output` };
  if (!preds.size) return undefined;
  if (preds.size > 1) return { refused: `a TensorFlow graph-mode loss (\`${loss}\`) reads the model beyond one output (${[...preds.keys()].map((n) => `\`${n}\``).join(', ')}, as a weight decay reads the weights): the probes stand in one model output by their prediction` };
  // An attribute read only at its own attributes (`self.config.num_classes`) is a settings object, no target.
  const settings = [...targets.keys()].filter((k) => k.startsWith('self.') && readAtAttributes(lb.value, k.slice(5), (n) => bound(n)));
  if (settings.length && targets.size - settings.length === 1) return { refused: `a TensorFlow graph-mode loss (\`${loss}\`) reads ${settings.map((k) => `\`${k}\``).join(', ')} at its attributes (settings \`__init__\` stores): the probes give the model's output and the target only` };
  if (targets.size !== 1) return targets.size ? { refused: `a TensorFlow graph-mode loss (\`${loss}\`) compares the model's output with ${targets.size} placeholders or attributes (${[...targets.keys()].map((n) => `\`${n}\``).join(', ')}): the probes give one target` } : undefined;
  const [[predKey, predShown]] = [...preds];
  const [[targetShown]] = [...targets];
  // Attributes of `self` in the view are locals: `self.loss` is `loss` (a name nothing else takes).
  const taken = new Set([...own.keys(), ...global.keys(), ...params]);
  const local = new Map<string, string>();
  const localOf = (key: string): string => {
    if (!key.startsWith('self.')) return key;
    let n = local.get(key);
    if (!n) {
      n = key.slice(5);
      while (taken.has(n)) n += '_';
      taken.add(n);
      local.set(key, n);
    }
    return n;
  };
  const predName = localOf(predKey);
  const targetName = localOf(targetShown);
  const lossName = localOf(loss);
  const swap = (x: Expr): Expr | undefined => (isSelfAttr(x) && fn.className ? { k: 'name', id: localOf(`self.${x.attr}`), span: x.span } as Expr : undefined);
  const stmts = [...globalOrder, ...order].filter((s) => inter.has(s)).map((s) => copyWith(s, swap));
  const span = fn.nameSpan;
  const view: FunctionIR = {
    name: fn.name,
    qualname: fn.qualname,
    params: [
      { name: predName, kind: 'plain', span },
      { name: targetName, kind: 'plain', span },
    ],
    body: [...stmts, { k: 'return', value: { k: 'name', id: lossName, span } as Expr, span }],
    span: fn.span,
    nameSpan: fn.nameSpan,
    hasError: false,
  };
  return { view, loss, prediction: { name: predName, shown: predShown }, target: { name: targetName, shown: isPlaceholder(targetShown) ? `${targetShown} (a tf.placeholder)` : targetShown } };
}
