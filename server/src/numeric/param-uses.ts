/**
 * What a function does with one of its parameters, read from the IR (roles.ts asks it which value a
 * required parameter without a call-site value can take): where each read of the parameter sits
 * (the operand of a `/`, a factor of a `*`, a sequence iterated or counted, a `name=` keyword, a
 * comparison with None). A parameter stored on `self` in `__init__` is followed to the reads of that
 * attribute in the class's methods; a local bound to the parameter (or to a cast of it) is followed
 * too. Pure IR reading; no values.
 */
import type { Expr, FunctionIR, ModuleIR, Stmt } from '../core/ir';
import { walkExprs } from '../core/ir';
import { stmtRoots } from '../core/walk';

/** One read of the parameter: the node read and its parents, nearest first (expressions and statements). */
interface Read {
  node: Expr;
  parents: unknown[];
}

/** Calls that pass their first argument through as the same quantity (a cast, a conversion to a tensor). */
const PASS_THROUGH = /(^|\.)(cast|to_float|float|int|convert_to_tensor|as_tensor|tensor|asarray|array|constant|Variable|float32|FloatTensor|Tensor)$/;
/** Calls that make a tensor of a Python value (a list becomes a vector). */
const TO_TENSOR = /(^|\.)(convert_to_tensor|as_tensor|tensor|asarray|array|constant|FloatTensor|Tensor)$/;

function calleeName(e: Expr): string | undefined {
  if (e.k !== 'call') return undefined;
  if (e.callee) return e.callee;
  return e.func.k === 'name' ? e.func.id : e.func.k === 'attr' ? e.func.attr : undefined;
}

/** Every node of `root` (IR objects and arrays) with its parents, nearest first; spans and ops skipped. */
function visit(root: unknown, on: (node: Record<string, unknown>, parents: unknown[]) => void, parents: unknown[] = []): void {
  if (typeof root !== 'object' || root === null) return;
  if (Array.isArray(root)) {
    for (const x of root) visit(x, on, parents);
    return;
  }
  if (root instanceof Map) return;
  const node = root as Record<string, unknown>;
  on(node, parents);
  const inner = [node, ...parents];
  for (const [k, v] of Object.entries(node)) {
    if (k === 'span' || k === 'nameSpan' || k === 'paren' || k === 'op' || k === 'spell' || k === 'bound' || k === 'parent') continue;
    visit(v, on, inner);
  }
}

/** The bodies a parameter of `g` is read in: `g`'s own, and for `__init__` the class's other methods (through `self.attr`). */
export class ParamUses {
  readonly reads: Read[] = [];
  /** Reads that only bind a local or an attribute to it (or to a cast of it). */
  readonly bindings: Read[] = [];

  constructor(
    readonly name: string,
    g: FunctionIR,
    mod: ModuleIR,
    /** Nested functions of `g` whose reads do not count (a factory's closures other than the probed one). */
    skip: ReadonlySet<FunctionIR> = new Set(),
    /** The uses of one attribute of the parameter (`args.w`), as if it were the parameter: an object of settings. */
    readonly attr?: string,
    /** The uses of the value at one constant key of the parameter (`args["task"]`), as if it were the parameter: a mapping of settings. */
    readonly key?: string,
  ) {
    const names = new Set([name]);
    const attrs = new Set<string>();
    // Locals bound to the parameter, or to a pass-through of it (`n = tf.cast(n, ...)`, `w = torch.tensor(w)`).
    const bodyStmts = stmtsDeep(g.body, skip);
    for (let changed = true, guard = 0; changed && guard < 4; guard++) {
      changed = false;
      for (const s of bodyStmts) {
        if (s.k !== 'assign' || s.aug || s.targets.length !== 1) continue;
        const src = this.passed(s.value, names);
        if (!src) continue;
        const t = s.targets[0];
        if (t.k === 'name' && !names.has(t.id)) {
          names.add(t.id);
          changed = true;
        } else if (t.k === 'attr' && t.obj.k === 'name' && t.obj.id === 'self' && g.name === '__init__' && !attrs.has(t.attr)) {
          attrs.add(t.attr);
          changed = true;
        }
      }
    }
    const isRead = (n: Record<string, unknown>): boolean =>
      (n.k === 'name' && names.has(n.id as string) && ((!attr && key === undefined) || n.id !== name)) ||
      (key !== undefined && this.atKey(n as Expr)) ||
      (!!attr && n.k === 'attr' && n.attr === attr && (n.obj as Expr).k === 'name' && (n.obj as { id?: string }).id === name) || (n.k === 'attr' && attrs.has(n.attr as string) && (n.obj as Expr).k === 'name' && ((n.obj as { id?: string }).id === 'self'));
    const collect = (body: readonly Stmt[], skipBindings: boolean): void => {
      visit(body, (n, parents) => {
        if (!isRead(n)) return;
        // A binding (`n = tf.cast(n)`, `self.w = w`) is no use of its own: its target's reads are.
        if (skipBindings && this.isBinding(n as Expr, parents, names)) {
          this.bindings.push({ node: n as Expr, parents });
          return;
        }
        // `self.attr` as an assignment target is a store.
        // (Only an assignment statement, `k: 'assign'`: a call's keywords are a record, where `targets=` is an
        // argument; every test of an assignment here reads `k`.)
        const stmt = parents.find((p) => (p as { k?: string }).k === 'assign') as Extract<Stmt, { k: 'assign' }> | undefined;
        if (stmt && stmt.targets.includes(n as never)) return;
        if (skip.size && parents.some((p) => (p as { k?: string }).k === 'def' && skip.has((p as { fn: FunctionIR }).fn))) return;
        this.reads.push({ node: n as Expr, parents });
      });
    };
    collect(g.body, true);
    if (attrs.size && g.className) {
      const cls = mod.classes.get(g.className);
      for (const m of cls?.methods.values() ?? []) if (m !== g) collect(m.body, true);
    }
  }

  /** The parameter's (or an alias's) read in `e` when `e` passes it through (`n`, `tf.cast(n, f32)`, `torch.tensor(w)`). */
  /** `name["key"]`, the key this reads the uses of. */
  private atKey(e: Expr): boolean {
    return this.key !== undefined && e.k === 'subscript' && e.obj.k === 'name' && e.obj.id === this.name && e.index.length === 1 && e.index[0].k === 'str' && e.index[0].value === this.key;
  }

  private passed(e: Expr, names: ReadonlySet<string>): boolean {
    if (this.attr && e.k === 'attr' && e.attr === this.attr && e.obj.k === 'name' && e.obj.id === this.name) return true;
    if (this.atKey(e)) return true;
    if (e.k === 'name') return names.has(e.id) && !((this.attr || this.key !== undefined) && e.id === this.name);
    // `w if w is not None else default`: either branch.
    if (e.k === 'cond') return this.passed(e.body, names) || this.passed(e.orelse, names);
    if (e.k === 'call') {
      const c = calleeName(e);
      return !!c && PASS_THROUGH.test(c) && e.args.length >= 1 && this.passed(e.args[0], names);
    }
    return false;
  }

  private isBinding(n: Expr, parents: unknown[], names: ReadonlySet<string>): boolean {
    // Walk up through pass-through calls to the statement.
    let child: unknown = n;
    for (const p of parents) {
      const q = p as { k?: string; targets?: unknown[]; value?: unknown; aug?: string };
      if (q.targets && q.value === child && !q.aug) return true;
      if (q.k === 'cond' && ((q as { body?: unknown }).body === child || (q as { orelse?: unknown }).orelse === child)) {
        child = p;
        continue;
      }
      if (q.k === 'call' && PASS_THROUGH.test(calleeName(q as Expr) ?? '') && (q as { args: unknown[] }).args[0] === child) {
        child = p;
        continue;
      }
      return false;
    }
    void names;
    return false;
  }

  /** No read at all: any value gives the same result. */
  get unread(): boolean {
    return this.reads.length === 0;
  }

  /**
   * Every read is returned as it is, alone or as an item of a returned tuple, never the first (`return
   * loss, metrics, state`: a state the function hands back unchanged): nothing the loss computes reads it.
   */
  get onlyReturned(): boolean {
    return (
      this.reads.length > 0 &&
      this.reads.every((r) => {
        const p = r.parents[0] as Expr | Stmt | undefined;
        const q = r.parents[1] as Stmt | undefined;
        return p?.k === 'tuple' && !p.list && p.items.indexOf(r.node) > 0 && q?.k === 'return' && q.value === p;
      })
    );
  }

  /** The read through pass-through calls and signs (`-w`): the node the quantity flows into, and its parent. */
  private outer(r: Read): { node: unknown; parent: unknown } {
    let node: unknown = r.node;
    for (const p of r.parents) {
      const q = p as Expr;
      if ((q.k === 'call' && PASS_THROUGH.test(calleeName(q) ?? '') && q.args[0] === node) || (q.k === 'unary' && (q.op === '-' || q.op === '+') && q.operand === node)) {
        node = p;
        continue;
      }
      return { node, parent: p };
    }
    return { node, parent: undefined };
  }

  /**
   * Every read is the exponent of a complement (`(1 - p) ** g`, `torch.pow(1 - p, g)`,
   * `(1 - p).pow(g)`): a modulating factor's exponent, a focal gamma by its use.
   */
  get onlyComplementExponent(): boolean {
    const complement = (e: Expr | undefined): boolean => e?.k === 'bin' && e.op === '-' && e.left.k === 'num' && e.left.value === 1;
    return (
      this.reads.length > 0 &&
      this.reads.every((r) => {
        const { node, parent } = this.outer(r);
        const p = parent as Expr | undefined;
        if (p?.k === 'bin' && p.op === '**' && p.right === node) return complement(p.left);
        if (p?.k !== 'call') return false;
        const name = calleeName(p) ?? '';
        if (!/(^|\.)(pow|power)$/.test(name)) return false;
        // `(1 - p).pow(g)`: the receiver is the base; `torch.pow(1 - p, g)`: the first argument.
        if (p.func.k === 'attr' && !p.callee) return p.args[0] === node && complement(p.func.obj);
        return p.args[1] === node && complement(p.args[0]);
      })
    );
  }

  /** Every read divides (`loss.sum() / n`, `(1 / n) * x`, `loss /= n`): a normaliser. */
  get onlyDivisor(): boolean {
    return (
      this.reads.length > 0 &&
      this.reads.every((r) => {
        const { node, parent } = this.outer(r);
        const p = parent as { k?: string; op?: string; right?: unknown; aug?: string; value?: unknown; targets?: unknown };
        return (p?.k === 'bin' && p.op === '/' && p.right === node) || (p?.k === 'assign' && p.aug === '/' && p.value === node);
      })
    );
  }

  /**
   * Some read is the right operand of a matrix product whose left operand is `other` or a row of it
   * (`other.dot(w)`, `other[i].dot(w)`, `np.dot(other, w)`, `other @ w`): a matrix `other`'s rows are
   * multiplied by.
   */
  rightMatmulOf(other: string): boolean {
    const isOther = (e: unknown): boolean => {
      const x = e as Expr;
      return (x?.k === 'name' && x.id === other) || (x?.k === 'subscript' && x.obj.k === 'name' && x.obj.id === other);
    };
    return this.reads.some((r) => {
      const { node, parent } = this.outer(r);
      const p = parent as Expr | undefined;
      if (!p) return false;
      if (p.k === 'bin' && p.op === '@') return p.right === node && isOther(p.left);
      if (p.k !== 'call') return false;
      if (p.func.k === 'attr' && p.func.attr === 'dot' && p.args.length === 1 && p.args[0] === node && isOther(p.func.obj)) return true;
      return /(^|\.)(dot|matmul)$/.test(p.callee ?? '') && p.args.length === 2 && p.args[1] === node && isOther(p.args[0]);
    });
  }

  /**
   * Every read is a factor of a product that is added to (or subtracted from) something else
   * (`loss += 0.5 * reg * np.sum(W * W)`, `ce + lam * penalty`): the coefficient of an added term,
   * not of the whole loss.
   */
  get onlyAddedTermFactor(): boolean {
    return (
      this.reads.length > 0 &&
      this.reads.every((r) => {
        let { node, parent } = this.outer(r);
        let factor = false;
        let i = r.parents.indexOf(parent);
        while ((parent as Expr | undefined)?.k === 'bin' && (parent as Extract<Expr, { k: 'bin' }>).op === '*') {
          factor = true;
          node = parent;
          parent = r.parents[++i];
        }
        const p = parent as { k?: string; op?: string; aug?: string; value?: unknown };
        return factor && ((p?.k === 'bin' && (p.op === '+' || p.op === '-')) || (p?.k === 'assign' && (p.aug === '+' || p.aug === '-') && p.value === node));
      })
    );
  }

  /**
   * Every read is added to a value that then divides or is a logarithm's argument (`1 / (p + eps)`,
   * `log(p + eps)`): a stabiliser that keeps a divisor or a logarithm's argument off 0.
   */
  get onlyStabiliser(): boolean {
    return (
      this.reads.length > 0 &&
      this.reads.every((r) => {
        const { node, parent } = this.outer(r);
        const sum = parent as Expr | undefined;
        if (sum?.k !== 'bin' || sum.op !== '+' || (sum.left !== node && sum.right !== node)) return false;
        const up = r.parents[r.parents.indexOf(parent) + 1] as Expr | undefined;
        if (up?.k === 'bin' && up.op === '/' && up.right === sum) return true;
        return up?.k === 'call' && /(^|\.)log$/.test(calleeName(up) ?? '') && up.args[0] === sum;
      })
    );
  }

  /** Every read is a factor of a product (`-y * log(p) * w`): a weight. */
  get onlyFactor(): boolean {
    return (
      this.reads.length > 0 &&
      this.reads.every((r) => {
        const { parent } = this.outer(r);
        const p = parent as { k?: string; op?: string; aug?: string; targets?: unknown };
        return (p?.k === 'bin' && p.op === '*') || (p?.k === 'assign' && p.aug === '*');
      })
    );
  }

  /** Some read uses it as a sequence (iterated, `len`, `sum`, made a tensor) and none in arithmetic directly. */
  get sequence(): boolean {
    let seq = this.bindings.some((r) => {
      const p = r.parents[0] as Expr | undefined;
      return p?.k === 'call' && TO_TENSOR.test(calleeName(p) ?? '') && p.args[0] === r.node;
    });
    // The parameter's own reads (a tensor made of it may well meet arithmetic).
    for (const r of this.reads) {
      if (!(r.node.k === 'name' && r.node.id === this.name)) continue;
      const p = r.parents[0] as Record<string, unknown> | undefined;
      if (!p) return false;
      const c = p.k === 'call' ? calleeName(p as Expr) : undefined;
      if (c && /^(len|sum|max|min|list|sorted)$/.test(c) && (p.args as unknown[])[0] === r.node) seq = true;
      else if (c && TO_TENSOR.test(c) && (p.args as unknown[])[0] === r.node) seq = true;
      else if ('iter' in p && p.iter === r.node) seq = true;
      else if (p.k === 'bin' || p.k === 'unary') return false;
    }
    return seq;
  }

  /** Some read (or a read of what it was made into: `m = torch.tensor(p)`, `self.m = m`) is sliced (`m[None, :]`, `m[1:]`): it has an axis, no scalar. */
  get sliced(): boolean {
    return this.reads.some((r) => {
      const p = r.parents[0] as Expr | undefined;
      return p?.k === 'subscript' && p.obj === r.node && p.index.some((i) => i.k === 'slice');
    });
  }

  /** Every read is the `name=` keyword of a call (`tf.div(a, b, name=name)`) or a name scope's argument: a label. */
  get onlyName(): boolean {
    return (
      this.reads.length > 0 &&
      this.reads.every((r) => {
        // A keyword's value sits in the call's `kwargs` record.
        const kw = r.parents[0] as Record<string, unknown> | undefined;
        const c = r.parents[1] as Expr | undefined;
        if (c?.k === 'call' && c.kwargs === kw && c.kwargs.name === r.node) return true;
        const p = r.parents[0] as Expr | undefined;
        if (p?.k !== 'call') return false;
        return /(^|\.)name_scope$/.test(calleeName(p) ?? '') && p.args[0] === r.node;
      })
    );
  }

  /**
   * Every read is a fraction of a count: a factor of a product made an integer (`int(p * x.shape[0])`,
   * `math.ceil(n * p)`), as a share of the samples kept.
   */
  get onlyFraction(): boolean {
    return (
      this.reads.length > 0 &&
      this.reads.every((r) => {
        const { node, parent } = this.outer(r);
        const prod = parent as Expr | undefined;
        if (prod?.k !== 'bin' || prod.op !== '*' || (prod.left !== node && prod.right !== node)) return false;
        const i = r.parents.indexOf(prod);
        const c = r.parents[i + 1] as Expr | undefined;
        return c?.k === 'call' && /^(int|round|(math\.)?(ceil|floor))$/.test(calleeName(c) ?? '') && c.args[0] === prod;
      })
    );
  }

  /**
   * Every read is an index or a count of elements: a slice bound (`x[:, :k]`, `x[k + 1:]`), an index
   * (`w[k]`), `range`'s argument, `topk`'s k or `int(k)`, possibly shifted by a number literal.
   */
  get onlyIndex(): boolean {
    return (
      this.reads.length > 0 &&
      this.reads.every((r) => {
        let { node } = this.outer(r);
        let i = r.parents.indexOf(this.outer(r).parent);
        for (let p = r.parents[i] as Expr | undefined; p?.k === 'bin' && (p.op === '+' || p.op === '-') && (p.left.k === 'num' || p.right.k === 'num'); p = r.parents[++i] as Expr | undefined) node = p;
        const p = r.parents[i] as Record<string, unknown> | undefined;
        if (!p) return false;
        if (p.k === 'slice') return true;
        // A literal dict's key is no index (comparedStrings reads it).
        if (p.k === 'subscript') return (p.obj as Expr).k !== 'dict' && (p.index as unknown[]).includes(node);
        // `topk(k=n)`: the keyword sits in the call's kwargs record.
        const c = (p.k === 'call' ? p : r.parents[i + 1]) as Expr | undefined;
        if (c?.k !== 'call') return false;
        const name = calleeName(c) ?? '';
        if (c.kwargs === p) return /(^|\.)(topk|top_k)$/.test(name) && c.kwargs.k === node;
        if (/^(range|int)$/.test(name)) return c.args.includes(node as Expr);
        // `torch.topk(x, k)`, or the method `x.topk(k)`.
        return /(^|\.)(topk|top_k)$/.test(name) && c.args[c.func.k === 'attr' && !c.callee ? 0 : 1] === node;
      })
    );
  }

  /**
   * The string literals the reads compare it with (`== 'mean'`, `'ce' in name`, a literal dict's keys
   * it subscripts), in source order; undefined when a read does anything else (a raise's message aside).
   */
  get comparedStrings(): string[] | undefined {
    const out: string[] = [];
    for (const r of this.reads) {
      if (r.parents.some((p) => (p as { what?: string }).what === 'raise')) continue;
      const p = r.parents[0] as Expr | undefined;
      if (p?.k === 'cmp' && p.ops.every((o) => ['==', '!=', 'in', 'not in'].includes(o))) {
        const others = p.operands.filter((o) => o !== r.node);
        const strs = others.flatMap((o) => (o.k === 'str' ? [o.value] : o.k === 'tuple' && o.items.every((x) => x.k === 'str') ? o.items.map((x) => (x as { value: string }).value) : []));
        if (!strs.length || strs.length < others.length) return undefined;
        out.push(...strs.filter((x) => !out.includes(x)));
        continue;
      }
      if (p?.k === 'subscript' && p.obj.k === 'dict' && p.index.length === 1 && p.index[0] === r.node && p.obj.keys.length && p.obj.keys.every((k) => k?.k === 'str')) {
        for (const k of p.obj.keys) if (!out.includes((k as { value: string }).value)) out.push((k as { value: string }).value);
        continue;
      }
      return undefined;
    }
    return out.length ? out : undefined;
  }

  /** The positional arguments it is passed as: each call (by its callee) and position; undefined when some read is no positional argument. */
  get argPositions(): { call: Expr; at: number }[] | undefined {
    const out: { call: Expr; at: number }[] = [];
    for (const r of this.reads) {
      const p = r.parents[0] as Expr | undefined;
      if (p?.k !== 'call' || p.method) return undefined;
      const at = p.args.indexOf(r.node);
      if (at < 0) return undefined;
      out.push({ call: p, at });
    }
    return out.length ? out : undefined;
  }

  /**
   * A mixing weight: some read is the complement `1 - s`, and every other read a factor of a product
   * or the numerator of a division (`(1 - s) * y + s / C`, `(1 - s) * a + s * b`).
   */
  get mixingWeight(): boolean {
    let complement = false;
    const ok = this.reads.every((r) => {
      const { node, parent } = this.outer(r);
      const p = parent as Expr | undefined;
      if (p?.k === 'bin' && p.op === '-' && p.right === node && p.left.k === 'num' && p.left.value === 1) return (complement = true);
      // A sequence of the weight and its complement (`[w, 1 - w]`, one weight per class of two).
      if (p?.k === 'tuple' && p.items.some((x) => x !== node && x.k === 'bin' && x.op === '-' && x.left.k === 'num' && x.left.value === 1)) return true;
      return p?.k === 'bin' && (p.op === '*' || (p.op === '/' && p.left === node));
    });
    return this.reads.length > 0 && ok && complement;
  }

  /**
   * Every read is a table indexed by `target` (`w[target]`, `w[target.view(-1)]`, `w.gather(0, target)`):
   * one value per class.
   */
  indexedBy(target: string): boolean {
    const mentions = (e: unknown): boolean => {
      let found = false;
      visit(e, (n) => {
        if (n.k === 'name' && n.id === target) found = true;
      });
      return found;
    };
    return (
      this.reads.length > 0 &&
      this.reads.every((r) => {
        const { node, parent } = this.outer(r);
        const p = parent as Expr | undefined;
        if (p?.k === 'subscript' && p.obj === node) return p.index.some(mentions);
        const c = r.parents[r.parents.indexOf(p) + 1] as Expr | undefined;
        return p?.k === 'attr' && p.obj === node && (p.attr === 'gather' || p.attr === 'index_select') && c?.k === 'call' && c.func === p && c.args.some(mentions);
      })
    );
  }

  /** Some read compares it with None (`if alpha is None:`): the code handles None itself. */
  get noneHandled(): boolean {
    return this.reads.some((r) => {
      const p = r.parents[0] as Expr | undefined;
      return p?.k === 'cmp' && p.ops.length === 1 && (p.ops[0] === 'is' || p.ops[0] === 'is not') && p.operands.some((o) => o.k === 'const' && o.value === null);
    });
  }

  /** Some read subscripts it (`alpha[target]`, `alpha.gather(0, t)`): a table, not a scalar. */
  get subscripted(): boolean {
    return this.reads.some((r) => {
      const p = r.parents[0] as Expr | undefined;
      if (p?.k === 'subscript' && p.obj === r.node) return true;
      return p?.k === 'attr' && p.obj === r.node && (p.attr === 'gather' || p.attr === 'index_select');
    });
  }

  /**
   * Some read indexes it by a value, not a literal (`alpha[target]`, `self.alpha[labels]`): a table
   * with an entry per class (`alpha[0]` or `alpha[:, 1]` say nothing of classes).
   */
  get tableIndexed(): boolean {
    const literal = (e: Expr): boolean => e.k === 'num' || e.k === 'str' || e.k === 'const' || e.k === 'slice' || (e.k === 'unary' && literal(e.operand));
    return this.reads.some((r) => {
      const p = r.parents[0] as Expr | undefined;
      return p?.k === 'subscript' && p.obj === r.node && p.index.length === 1 && !literal(p.index[0]);
    });
  }
}

/** Elementwise monotone maps and moves a threshold keeps its meaning through (`-log(t)`, `torch.tensor(t)`, `t.cuda()`). */
const CARRY = /(^|\.)(log|exp|sqrt|log1p|tensor|as_tensor|cast|float|double|constant|convert_to_tensor|cuda|to|cpu|detach|clone)$/;
/** Calls whose bounds (arguments after the first, `min=` / `max=`) clamp a tensor. */
const CLAMP = /(^|\.)(clamp|clip|clamp_min|clamp_max|clip_by_value)$/;

/**
 * Whether every use of parameter `name` of `g` (followed through locals, through `self.attr` into the
 * class's other methods when `g` is `__init__`, and through monotone maps and moves: `-log(t)`,
 * `t.cuda()`) is a threshold: compared by `<`, `>`, `<=`, `>=` with a tensor (not a number literal:
 * that is a branch), or a clamp's bound. Its meaning is then a cut in (0, 1) or a loss value, and any
 * value in (0, 1) runs the code the same way.
 */
export function thresholdUse(name: string, g: FunctionIR, mod: ModuleIR): boolean {
  const fns: FunctionIR[] = [g];
  if (g.name === '__init__' && g.className) for (const m of mod.classes.get(g.className)?.methods.values() ?? []) if (m !== g) fns.push(m);
  const locals = new Map<FunctionIR, Set<string>>(fns.map((h) => [h, new Set(h === g ? [name] : [])]));
  const attrs = new Set<string>();
  const isSelfAttr = (e: Expr): e is Extract<Expr, { k: 'attr' }> => e.k === 'attr' && e.obj.k === 'name' && e.obj.id === 'self';
  const atom = (e: Expr, names: ReadonlySet<string>): boolean => (e.k === 'name' && names.has(e.id)) || (isSelfAttr(e) && attrs.has(e.attr));
  const carries = (e: Expr, names: ReadonlySet<string>): boolean => {
    if (atom(e, names)) return true;
    if (e.k === 'unary' && (e.op === '-' || e.op === '+')) return carries(e.operand, names);
    if (e.k !== 'call' || !CARRY.test(calleeName(e) ?? '')) return false;
    return (e.args.length > 0 && carries(e.args[0], names)) || (e.func.k === 'attr' && !e.callee && carries(e.func.obj, names));
  };
  for (let changed = true, guard = 0; changed && guard < 6; guard++) {
    changed = false;
    for (const h of fns) {
      const names = locals.get(h)!;
      for (const st of stmtsDeep(h.body, new Set())) {
        if (st.k !== 'assign' || st.aug || st.targets.length !== 1 || !carries(st.value, names)) continue;
        const t = st.targets[0];
        if (t.k === 'name' && !names.has(t.id)) {
          names.add(t.id);
          changed = true;
        } else if (t.k === 'attr' && t.obj.k === 'name' && t.obj.id === 'self' && !attrs.has(t.attr)) {
          attrs.add(t.attr);
          changed = true;
        }
      }
    }
  }
  let cuts = 0;
  let other = 0;
  for (const h of fns) {
    const names = locals.get(h)!;
    visit(h.body, (n, parents) => {
      const e = n as Expr;
      if (!atom(e, names)) return;
      // A name that is an assignment's target is a store.
      if (parents.some((p) => (p as { k?: string }).k === 'assign' && (p as Extract<Stmt, { k: 'assign' }>).targets.includes(e as never))) return;
      // Up through the carrying wrappers.
      let x: unknown = e;
      let i = 0;
      for (; i < parents.length; i++) {
        const p = parents[i] as Expr;
        if (p.k === 'unary' && (p.op === '-' || p.op === '+') && p.operand === x) x = p;
        else if (p.k === 'call' && CARRY.test(calleeName(p) ?? '') && p.args[0] === x) x = p;
        else if (p.k === 'attr' && p.obj === x && (parents[i + 1] as Expr | undefined)?.k === 'call' && (parents[i + 1] as Extract<Expr, { k: 'call' }>).func === p && CARRY.test(p.attr)) {
          x = parents[i + 1];
          i++;
        } else break;
      }
      const p = parents[i] as Record<string, unknown> | undefined;
      if (!p) return void other++;
      // A binding (`self.t = -log(t)`, `t = self.t.cuda()`): its target's uses count.
      if (p.k === 'assign' && p.value === x && !p.aug) return;
      if (p.k === 'cmp') {
        const c = p as Extract<Expr, { k: 'cmp' }>;
        if (c.ops.every((o) => ['<', '>', '<=', '>='].includes(o)) && c.operands.every((o) => o === x || (o.k !== 'num' && !(o.k === 'unary' && o.operand.k === 'num')))) return void cuts++;
        return void other++;
      }
      const call = (p.k === 'call' ? p : parents[i + 1]) as Expr | undefined;
      if (call?.k === 'call' && CLAMP.test(calleeName(call) ?? '')) {
        const bound = call.kwargs === p ? call.kwargs.min === x || call.kwargs.max === x || call.kwargs.clip_value_min === x || call.kwargs.clip_value_max === x : call.args.indexOf(x as Expr) >= (call.func.k === 'attr' && !call.callee ? 0 : 1);
        if (bound) return void cuts++;
      }
      other++;
    });
  }
  return cuts > 0 && other === 0;
}

/** The statements of a body, those of nested blocks and nested functions included (but `skip`'s). */
function stmtsDeep(body: readonly Stmt[], skip: ReadonlySet<FunctionIR>): Stmt[] {
  const out: Stmt[] = [];
  const walk = (ss: readonly Stmt[]): void => {
    for (const s of ss) {
      out.push(s);
      if (s.k === 'if') {
        walk(s.body);
        walk(s.orelse);
      } else if (s.k === 'other') walk(s.body);
      else if (s.k === 'def' && !skip.has(s.fn)) walk(s.fn.body);
    }
  };
  walk(body);
  return out;
}

/**
 * The code of `g` that replaces parameter `name` when it is None or empty before reading it
 * (`if not weights: weights = {...}`, `if alpha is None: alpha = 0.25`): a top-level `if` with no
 * else, first among the statements that mention the name, whose test is only that and whose body
 * binds the name outright. None then gives the function's own default, whatever its kind; the
 * statement that does it, for the reason.
 */
export function defaultedWhenNone(name: string, g: FunctionIR): Stmt | undefined {
  const isName = (e: Expr): boolean => e.k === 'name' && e.id === name;
  const reads = (e: Expr): boolean => walkExprs(e).some(isName);
  const mentions = (s: Stmt): boolean => stmtsDeep([s], new Set()).some((x) => stmtRoots(x).some(reads) || (x.k === 'assign' && x.targets.some((t) => t.k === 'name' && t.id === name)));
  for (const s of g.body) {
    if (s.k === 'def' || !mentions(s)) continue;
    if (s.k !== 'if' || s.orelse.length) return undefined;
    const t = s.test;
    const noneTest = (t.k === 'unary' && t.op === 'not' && isName(t.operand)) || (t.k === 'cmp' && t.ops.length === 1 && (t.ops[0] === 'is' || t.ops[0] === '==') && isName(t.operands[0]) && t.operands[1].k === 'const' && t.operands[1].value === null);
    const binds = s.body.some((b) => b.k === 'assign' && !b.aug && b.targets.length === 1 && b.targets[0].k === 'name' && b.targets[0].id === name && !reads(b.value));
    return noneTest && binds ? s : undefined;
  }
  return undefined;
}
