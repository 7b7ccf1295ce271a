/**
 * Spellings: how one framework writes an op, as a Python-like signature string, and how a call's
 * arguments bind to the op's canonical parameters through it.
 *
 *   torch.nn.functional.softmax(input, dim=None, _stacklevel=3, dtype=None)    a function
 *   tensorflow.nn.softmax(logits->input, axis->dim=None, name=None)           `axis` binds to `dim`
 *   Tensor.softmax(dim, dtype=None)                                           a method: the receiver is `input`
 *   torch.nn.CrossEntropyLoss(weight=None, ..., reduction="mean")(input, target)  a module: constructor, then the instance's call
 *   torch.zeros(*size->shape, dtype=None)                                      varargs (`zeros(2, 3)`)
 *   torch.sum(input, dim, keepdim=False, *, dtype=None)                        `*`: keyword-only after it; `/`: positional-only before it
 *   torch.where(condition, input|x, other|y)                                   `|`: other keyword names for the same parameter
 *   Tensor.float(*, __dtype->dtype="float32")                                  `__`: hidden, a constant the lowering reads
 *
 * Defaults are Python literals (numbers, strings, None, True, False); anything else (`torch.float32`)
 * is kept as its text (`raw`) and counts as "has a default" without a value.
 */
import type { Framework, PyLiteral, SigParam, Signature, SpellingKind } from './api';

/**
 * Receivers a method spelling names: `Tensor.sum` (a tensor or array of any framework, PyTorch's
 * semantics by default), `Model.compile` (a Keras model).
 */
export const METHOD_RECEIVERS: readonly string[] = ['Tensor', 'Model'];

export interface ParsedSpelling {
  name: string;
  kind: SpellingKind;
  sig: Signature;
  callSig?: Signature;
}

/** Splits a parameter list at top-level commas (quotes and brackets respected). */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of s) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** A Python literal's value, or undefined when the text is not a simple literal. */
export function pyLiteral(text: string): { value: PyLiteral } | undefined {
  const t = text.trim();
  if (t === 'None') return { value: null };
  if (t === 'True') return { value: true };
  if (t === 'False') return { value: false };
  if (/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return { value: Number(t) };
  if (t === 'inf' || t === 'float("inf")' || t === "float('inf')") return { value: Infinity };
  const q = /^(['"])(.*)\1$/.exec(t);
  if (q) return { value: q[2] };
  return undefined;
}

function parseParams(text: string, where: string): SigParam[] {
  const out: SigParam[] = [];
  let mode: 'positional' | 'keyword' = 'positional';
  for (const part of splitTop(text)) {
    if (part === '*') {
      mode = 'keyword';
      continue;
    }
    if (part === '/') {
      for (const p of out) if (p.kind === 'positional') p.kind = 'posonly';
      continue;
    }
    const m = /^(\*\*|\*)?([A-Za-z_][A-Za-z0-9_]*(?:\|[A-Za-z_][A-Za-z0-9_]*)*)(?:\s*->\s*([A-Za-z_][A-Za-z0-9_]*))?(?:\s*=\s*(.+))?$/s.exec(part);
    if (!m) throw new Error(`bad parameter \`${part}\` in spelling ${where}`);
    const [, star, names, canon, def] = m;
    const [name, ...aliases] = names.split('|');
    const p: SigParam = { name, canon: canon ?? name, hasDefault: def !== undefined, kind: star === '**' ? 'kwargs' : star === '*' ? 'varargs' : mode };
    if (aliases.length) p.aliases = aliases;
    if (def !== undefined) {
      const lit = pyLiteral(def);
      if (lit) p.default = lit.value;
      else p.raw = def.trim();
    }
    if (star === '*') mode = 'keyword';
    out.push(p);
  }
  return out;
}

/** Parses `name(params)` or `name(ctor params)(call params)`. */
export function parseSpelling(text: string): ParsedSpelling {
  const open = text.indexOf('(');
  if (open < 0) throw new Error(`spelling without a signature: ${text}`);
  const name = text.slice(0, open).trim();
  const lists: string[] = [];
  let i = open;
  while (i < text.length) {
    if (text[i] !== '(') throw new Error(`bad spelling ${text}`);
    let depth = 0;
    let quote = '';
    let j = i;
    for (; j < text.length; j++) {
      const ch = text[j];
      if (quote) {
        if (ch === quote) quote = '';
        continue;
      }
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '(') depth++;
      else if (ch === ')' && --depth === 0) break;
    }
    lists.push(text.slice(i + 1, j));
    i = j + 1;
    while (text[i] === ' ') i++;
  }
  if (lists.length > 2) throw new Error(`bad spelling ${text}`);
  const kind: SpellingKind = lists.length === 2 ? 'module' : METHOD_RECEIVERS.some((r) => name.startsWith(`${r}.`)) ? 'method' : 'function';
  return {
    name,
    kind,
    sig: { params: parseParams(lists[0], text) },
    callSig: lists.length === 2 ? { params: parseParams(lists[1], text) } : undefined,
  };
}

/** The framework a qualified name belongs to. */
export function frameworkOf(name: string): Framework {
  const root = name.split('.')[0];
  if (root === 'torch' || root === 'Tensor') return 'torch';
  if (root === 'Model') return 'keras';
  if (root === 'tensorflow') return 'tf';
  if (root === 'keras') return 'keras';
  if (root === 'jax' || root === 'optax' || root === 'flax') return 'jax';
  if (root === 'numpy' || root === 'scipy') return 'numpy';
  return 'lib';
}

/**
 * Keyword names that frameworks accept for another parameter's canonical name: numpy-style
 * `axis`/`keepdims` are accepted by torch's reductions too, and older Keras spelled `x` as `inputs`.
 */
const KEYWORD_FALLBACK: Readonly<Record<string, string>> = { axis: 'dim', keepdims: 'keepdim', dim: 'dim', keepdim: 'keepdim' };

/**
 * Binds positional and keyword arguments through a signature to canonical names. Positional
 * arguments beyond the signature are dropped; a `*varargs` parameter takes the rest as one tuple
 * (`tuple(items)`). Keywords bind by the framework's name, then by canonical name; an unknown keyword
 * is kept under its own name.
 */
export function bindSignature<E>(sig: Signature, args: readonly E[], kwargs: Readonly<Record<string, E>>, tuple: (items: E[]) => E): Record<string, E> {
  const out: Record<string, E> = {};
  let i = 0;
  for (const p of sig.params) {
    if (i >= args.length) break;
    if (p.kind === 'positional' || p.kind === 'posonly') out[p.canon] = args[i++];
    else if (p.kind === 'varargs') {
      out[p.canon] = tuple(args.slice(i));
      i = args.length;
    } else break;
  }
  for (const [k, v] of Object.entries(kwargs)) {
    const byName = sig.params.find((p) => (p.name === k || p.aliases?.includes(k)) && p.kind !== 'posonly' && p.kind !== 'varargs' && p.kind !== 'kwargs');
    if (byName) {
      out[byName.canon] = v;
      continue;
    }
    const fallback = KEYWORD_FALLBACK[k];
    const byCanon = sig.params.find((p) => p.canon === k || (fallback !== undefined && p.canon === fallback));
    out[byCanon ? byCanon.canon : k] = v;
  }
  return out;
}

/** Canonical parameter -> default, over the given signatures (earlier ones win). */
export function defaultsOf(...sigs: (Signature | undefined)[]): Record<string, PyLiteral> {
  const out: Record<string, PyLiteral> = {};
  for (const s of sigs) {
    if (!s) continue;
    for (const p of s.params) if (p.hasDefault && p.default !== undefined && !(p.canon in out)) out[p.canon] = p.default;
  }
  return out;
}
