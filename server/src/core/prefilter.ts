/**
 * A text test run before parsing: `mayHaveFindings(text) === false` proves that `analyze` would
 * report nothing for this text, so the caller may skip the parse and the analysis. It may say true
 * for files without findings (it is a filter, not a linter); it must never say false for a file
 * with one. test/perf/prefilter.test.ts checks the lemmas below on the rule fixtures, the examples,
 * the standard library and randomly damaged texts (tree-sitter's error recovery);
 * test/core/creating-ops.test.ts checks Lemma 1's step over the op table and the algebra.
 *
 * ## Why a file without these words has no finding
 *
 * Creating ops (`isCreatingOp`): the ops marked `creating` in the op table (the activations, log,
 * clamp, exp, log-sum-exp), every loss (`loss` facts: the cross-entropies and the library
 * focal losses, functions and modules), and every op whose `expects` asks for a probability (interp.ts
 * `roles` makes the caller's parameter one). Being creating is a property of the op, whatever spelling
 * calls it. A *creating call* is an IR call (ir.ts) whose `op` is creating.
 *
 * Lemma 1 (lattice). Call a value *closed* (`closedValue`) when its meaning is one of
 *   unknown, scalar, string, bool, none, tuple, function, logits, target, target_index,
 *   target_onehot, masked, alpha_t, alpha_class, class_weights, module
 * and: a string is no alias string (an activation name a Keras layer reads, `"softmax"` in any case,
 * or a loss name `compile(loss=...)` resolves: `isAliasString`); a function value is no creating op
 * (`opRef`); a module is one of an op that is not creating, with closed constructor arguments; it
 * carries no seed fact (`lse`, `expOf`, `onePlusExpOf`, `expSumOfLogits`, `sumExp`, `sumOf`, `keras`,
 * `expArg`, `expFocal`: the facts algebra.ts turns into a probability, a log-probability or a focal term) and every value it carries
 * (`of`, `items`, `entries`, `base`, `modelOutput`, ...) is closed. Every other value (prob, pt,
 * one_minus_pt, logprob, ce, modulating, focal, a loss or activation module, an alias string, a seed)
 * is *op-only*. In a module without creating calls, alias strings and a parameter named `y_pred`,
 * every value the abstract interpreter computes is closed, by induction over interp.ts:
 *   - seeds: `seedParam` gives hyperparameters, logits and targets by name, defaults and call-site
 *     literals (closed by induction); `roles` gives what ops' `expects` ask for, and only a creating
 *     op asks for a probability; only `y_pred` beside `y_true` is seeded a probability by name;
 *     `bind` names logits and writes one-hot targets; values from other files are literals, and the
 *     project index passes them only to definitions of files this filter keeps (project/summary.ts
 *     reads definitions from the sliced analysis, which runs only on kept files);
 *   - `eval`: literals, names, attributes (`.data`, `.shape`, a dtype's name, an op as a value: a
 *     creating op only where its name is written), conditionals and joins of closed values;
 *     operators, unary minus, comparisons and subscripts by the targets go through algebra.ts
 *     (`binop`, `neg`, `compare`, `gathered`), which maps closed values to closed values
 *     (creating-ops.test.ts runs them on every pair of a pool of closed values);
 *   - calls: an op call runs its `abstract` (`applyOpAbstract`), which for an op that is not creating
 *     maps closed arguments to a closed value (creating-ops.test.ts runs every spelling of every such
 *     op on arguments drawn from that pool); a module spelling makes a module of its op (closed for an
 *     op that is not creating); a module instance called applies its op; the module's own functions
 *     return what their analysis computes (closed by induction).
 *
 * Lemma 2 (rules). Every rule reports only on a value that is op-only or at a creating call (read in
 * each rule's `check`): LL101/LL102 need `focal` with a modulating factor; LL103 a `modulating` value
 * or a library focal loss; LL104 `pt` (exp of a logprob), LL105 `one_minus_pt` from a logprob; LL106,
 * LL108, LL114 loss ops (called, or applied through a loss module value); LL107 a softmax op and a
 * sigmoid focal value; LL109-LL112 focal products with a modulating factor or an alpha_t inside one;
 * LL113 only in a function holding a modulating factor; LL115 a focal value or a library focal loss;
 * LL116 a `ce` or `focal` with an ignore index; LL117 a `mixed` layout with a prob, logprob, ce, pt,
 * one_minus_pt, modulating or focal operand; LL118 a modulating factor; LL201 a loss op, or
 * `compile(loss=...)` with an alias string or a loss module; LL202-LL205 a prob, pt or one_minus_pt
 * (at a log, log1p, clamp, maximum, minimum or `+ eps`); LL301-LL309 come from the numeric probes,
 * which the CLI runs on every file whatever this filter says (their static `check` reports nothing).
 *
 * Lemma 3 (text). A creating call's name is in the text: a method call's name is a token after a
 * `.` (only whitespace, line continuations, comments and, under error recovery, stray punctuation
 * between); a method that takes no argument (ops/index.ts `isNoArgumentMethod`: `log`, `sigmoid`)
 * is an op only when ir.ts found `emptyCallAfter` true just after its name, and the filter runs the
 * same function at the same offset of the same text, so `logger.log(level, msg)` is no reason to
 * parse. A qualified callee (a function or a module class) ends with the last segment of the op
 * table's spelling (aliases fold prefixes only: `canonicalName`), written as such at the call, in the
 * import that binds a local name to it (`from torch.nn.functional import softmax as sm`), or after a
 * star import; an op used as a value (`act = tf.nn.softmax`) or as a base class (`class L(nn.BCELoss)`)
 * likewise. And a qualified callee's first segment is either the first segment of a module named in
 * an import statement (ir.ts `collectImports`), or a conventional module name used without an import
 * (ir.ts CONVENTIONAL_MODULES: `torch`, `F`, `nn`, `tf`, `K`, `np`, `jnp`, ...) followed by a dot;
 * and `resolveQualified` matches only names whose first segment is the first segment of an op table
 * spelling or of an alias prefix it folds (torch, tensorflow, keras, jax, numpy, scipy, optax,
 * torchvision, fvcore, kornia, monai, mmcv, mmdet, segmentation_models_pytorch, tensorflow_addons):
 * such a *root* is in the text, the long ones as words anywhere, the short ones on a logical line
 * that holds `import` or `from` before them, a conventional name with a dot after it (after
 * whitespace, comments and, under error recovery, stray punctuation: `F$.softmax`). An alias string does something only when a Keras layer or `compile` reads
 * it, from a model built by a qualified call: a root is in the text then too.
 *
 * Comments and bare string statements (docstrings) are not code: a word in them is neither a call,
 * a name nor a string the IR reads, so the words are looked for in the code text (`codeText` blanks
 * them; where its scan is unsure of a string's end it keeps the whole text). Nor is the content of any
 * other string but an f-string (whose braces hold code): the IR reads it as one string value, which
 * is closed unless it is an alias string, and an alias string is a name (letters, digits, `_`): a
 * string with any other character than those and `.` is blanked between its quotes too.
 *
 * So: no `y_pred`, no creating method name after a dot, and no root or else no creating function or
 * module name nor alias string => no creating call, no alias string => every value closed => no
 * finding. A new rule, a new seed in interp.ts or a new fact the algebra reads must keep Lemmas 1 and
 * 2 true (mark the op `creating`, add the fact to `SEED_FACTS`, the string to the aliases); the op
 * table test fails when an op that is not marked makes an op-only value, the fixture test when a rule
 * reports on closed values.
 */
import { allOps, allSpellings, emptyCallAfter, isNoArgumentMethod, opSpellings, resolveQualified, type OpDef } from '../ops';
import { CONVENTIONAL_MODULES } from './ir';
import type { AbsValue, Meaning } from './lattice';

/**
 * Whether an op is creating (Lemma 1): marked `creating` in the op table (its abstract meaning can
 * make a value outside the closed set from closed arguments: test/core/creating-ops.test.ts checks
 * every other op), a loss (a cross-entropy or a library focal loss, whose calls and modules the rules
 * read), or an op whose use is evidence that an argument is a probability (`expects` 'prob': interp.ts
 * `roles` seeds the caller's parameter as one).
 */
export function isCreatingOp(op: OpDef): boolean {
  if (op.creating || op.loss) return true;
  for (const e of Object.values(op.expects ?? {})) {
    if (e === 'prob' || (typeof e === 'object' && ('kind' in e ? e.kind === 'prob' : e.yes === 'prob' || e.no === 'prob'))) return true;
  }
  return false;
}

/** The creating ops by id. */
export const CREATING_OPS: ReadonlySet<string> = new Set(allOps().filter(isCreatingOp).map((o) => o.id));

/** The meanings of Lemma 1's closed set (each under the conditions of `closedValue`). */
export const CLOSED_MEANINGS: ReadonlySet<Meaning> = new Set<Meaning>([
  'unknown', 'scalar', 'string', 'bool', 'none', 'tuple', 'function', 'logits', 'target', 'target_index', 'target_onehot', 'masked', 'alpha_t', 'alpha_class', 'class_weights', 'module',
]);

/** Activation names a Keras layer reads from a string (ops/table/layers.ts `activationOf`, which lower-cases them). */
const ACTIVATION_STRINGS: readonly string[] = ['softmax', 'sigmoid', 'log_softmax'];

let kerasLossNames: ReadonlySet<string> | undefined;

/** Loss names `compile(loss="...")` resolves (rules/probabilities-as-logits.ts: `keras.losses.<name>`): last segments of loss spellings. */
function lossNames(): ReadonlySet<string> {
  if (!kerasLossNames) {
    const out = new Set<string>();
    for (const s of allSpellings()) {
      const last = s.name.split('.').pop()!;
      if (s.op.loss && resolveQualified(`keras.losses.${last}`)?.op.loss) out.add(last);
    }
    kerasLossNames = out;
  }
  return kerasLossNames;
}

/** A string the interpreter or a rule resolves to an op: an activation name (any case) or a Keras loss name. */
export function isAliasString(s: string): boolean {
  return ACTIVATION_STRINGS.includes(s.toLowerCase()) || lossNames().has(s) || !!resolveQualified(`keras.losses.${s}`)?.op.loss;
}

/** Every alias string's spelling: the activation names (matched in any case) and the Keras loss names. */
export function aliasWords(): { anyCase: readonly string[]; exact: readonly string[] } {
  return { anyCase: ACTIVATION_STRINGS, exact: [...lossNames()] };
}

/** Facts from which algebra.ts makes an op-only meaning (log-sum-exps, exponentials, sums to normalise by, Keras predictions). */
const SEED_FACTS: readonly (keyof AbsValue)[] = ['lse', 'expOf', 'onePlusExpOf', 'expSumOfLogits', 'sumExp', 'sumOf', 'keras', 'expArg', 'expFocal'];

/** Nested values a value carries (what the algebra and the rules may read back). */
const NESTED: readonly (keyof AbsValue)[] = ['of', 'base', 'exponent', 'classWeight', 'modelOutput', 'scaledBy', 'expOf', 'onePlusExpOf'];

/**
 * Whether a value lies in Lemma 1's closed set: a meaning of CLOSED_MEANINGS; a string that is no
 * alias; a function that is no creating op (`opRef`); a module of an op that is not creating, with
 * closed constructor arguments; no seed fact; and every value it carries closed too.
 */
export function closedValue(v: AbsValue, depth = 0): boolean {
  if (depth > 12) return true;
  if (!CLOSED_MEANINGS.has(v.m)) return false;
  if (v.focal) return false;
  for (const f of SEED_FACTS) if (v[f] !== undefined && v[f] !== false) return false;
  if (v.m === 'string' && v.str !== undefined && isAliasString(v.str)) return false;
  if (v.opRef !== undefined && CREATING_OPS.has(v.opRef)) return false;
  if (v.opSpell && isCreatingOp(v.opSpell.op)) return false;
  if (v.module) {
    if (isCreatingOp(v.module.spell.op)) return false;
    for (const a of Object.values(v.module.args)) if (a && !closedValue(a, depth + 1)) return false;
  }
  for (const f of NESTED) {
    const x = v[f] as AbsValue | undefined;
    if (x && typeof x === 'object' && !closedValue(x, depth + 1)) return false;
  }
  for (const x of v.items ?? []) if (!closedValue(x, depth + 1)) return false;
  for (const x of Object.values(v.entries ?? {})) if (!closedValue(x, depth + 1)) return false;
  return true;
}

/** Roots shorter than 5 letters are common words (`F`, `K`); they count only in an import line. */
const SHORT_ROOT = 4;

interface Patterns {
  roots: Set<string>;
  /** Roots of 5 letters or more: a root anywhere (as a word). */
  longRoots: Set<string>;
  /** A conventional module name used without an import (`F.softmax(`): the name followed by a dot. */
  conventional: RegExp;
  /** Method names of creating ops (a creating call only after a dot, Lemma 3). */
  methods: Set<string>;
  /** Last segments of the function and module spellings of creating ops (a creating call only where a root is, Lemma 3). */
  qualified: Set<string>;
  /** Alias strings matched exactly (Keras loss names); they are words of `qualified` too. */
  aliasExact: Set<string>;
  /** Words the interpreter seeds an op-only meaning from by name: a Keras loss's `y_pred`. */
  seeds: Set<string>;
  /** Every word above (roots, creating words, seeds) in one pattern, for a single pass over a file. */
  any: RegExp;
  /** The activation names a Keras layer reads from a string, in any case (`activation="Softmax"`). */
  aliasAnyCase: RegExp;
  /** Creating method names, for a statement. */
  methodWords: RegExp;
  /** Creating words and long roots, for a statement. */
  statementWords: RegExp;
}

let patterns: Patterns | undefined;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The words as one alternation, longest first. */
function alt(list: Iterable<string>): string {
  return [...new Set(list)].sort((a, b) => b.length - a.length).map(escape).join('|');
}

/** A word of ASCII identifier characters; non-ASCII neighbours count as boundaries (more matches, never fewer). */
function words(list: Iterable<string>, flags = ''): RegExp {
  return new RegExp(`(?<![A-Za-z0-9_])(?:${alt(list)})(?![A-Za-z0-9_])`, flags);
}

function build(): Patterns {
  const spell = opSpellings();
  const roots = new Set<string>();
  for (const n of [...spell.qualified, ...spell.prefixes]) roots.add(n.split('.')[0]);
  const methods = new Set(spell.methods.filter(([, op]) => isCreatingOp(op)).map(([name]) => name));
  const qualified = new Set<string>();
  for (const s of allSpellings()) if (s.kind !== 'method' && isCreatingOp(s.op)) qualified.add(s.name.split('.').pop()!);
  const alias = aliasWords();
  const aliasExact = new Set(alias.exact);
  for (const w of aliasExact) qualified.add(w);
  // A Keras loss's prediction is a probability by name (interp.ts `analyzeNew`).
  const seeds = new Set(['y_pred']);
  const longRoots = new Set([...roots].filter((r) => r.length > SHORT_ROOT));
  return {
    roots,
    longRoots,
    // Error recovery may skip stray punctuation between the name and its dot (`F$.softmax(x)`).
    conventional: new RegExp(`(?<![A-Za-z0-9_.])(?:${alt(CONVENTIONAL_MODULES.keys())})(?:\\s|#[^\\n\\r]*|[^A-Za-z0-9_\\s'"#.])*\\.`, 'g'),
    methods,
    qualified,
    aliasExact,
    seeds,
    any: words([...roots, ...methods, ...qualified, ...seeds], 'g'),
    aliasAnyCase: new RegExp(`(?<![A-Za-z0-9_])(?:${alt(alias.anyCase)})(?![A-Za-z0-9_])`, 'i'),
    methodWords: words(methods, 'g'),
    statementWords: words([...longRoots, ...qualified, ...seeds], 'g'),
  };
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Start of the physical line holding `i`. */
function lineStart(text: string, i: number): number {
  let j = i;
  while (j > 0 && text.charCodeAt(j - 1) !== 10 && text.charCodeAt(j - 1) !== 13) j--;
  return j;
}

/**
 * Whether the token at `at` may be an attribute name: walking back over anything but identifier
 * characters reaches a `.`. Crossing a line break into a line with a `#` (a comment between the dot
 * and the name) gives up and answers yes.
 */
function afterDot(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0) {
    const c = text.charCodeAt(i);
    if (c === 46) return true; // .
    if (isWordChar(c)) return false;
    if (c === 10 || c === 13) {
      const start = lineStart(text, i);
      if (text.lastIndexOf('#', i) >= start) return true;
    }
    i--;
  }
  return false;
}

/**
 * Whether the creating method name `name` at `at` may be the IR's op: an attribute name (after a
 * dot) and, for the methods that take no arguments, followed by an empty call (the same
 * `emptyCallAfter` test on the same text as ir.ts, so `logger.log(level, msg)` never counts).
 */
function methodCall(text: string, at: number, name: string): boolean {
  if (isNoArgumentMethod(name) && !emptyCallAfter(text, at + name.length)) return false;
  return afterDot(text, at);
}

/**
 * Whether the logical line before `at` holds the word `import` or `from`. The logical line extends
 * back over backslash continuations and over lines ending in `(` or `,` (conservatively, for bracketed
 * and error-recovered forms).
 */
function inImportLine(text: string, at: number): boolean {
  let end = at;
  for (let guard = 0; guard < 10_000; guard++) {
    const start = lineStart(text, end);
    if (/(?<![A-Za-z0-9_])(?:import|from)(?![A-Za-z0-9_])/.test(text.slice(start, end))) return true;
    if (start === 0) return false;
    // Previous line: continued by a backslash, an open bracket or a trailing comma?
    let p = start - 1;
    if (text.charCodeAt(p) === 10 && p > 0 && text.charCodeAt(p - 1) === 13) p--;
    let q = p - 1;
    while (q >= 0 && (text.charCodeAt(q) === 32 || text.charCodeAt(q) === 9 || text.charCodeAt(q) === 12)) q--;
    const last = q >= 0 ? text[q] : '';
    if (last !== '\\' && last !== '(' && last !== ',') return false;
    end = p;
  }
  return true;
}

/**
 * The text with its comments and its bare string statements (docstrings; not f-strings, whose braces
 * hold code) blanked, and the content of every other string but an f-string that is no name or
 * dotted name (it is no alias string: `"call torch.softmax(x) first"`; its quotes stay): every
 * character but line breaks replaced by a space, so offsets and lines stay.
 * Neither is code: tree-sitter makes no call, name or string the IR reads of them (a bare string is an
 * expression statement whose value nothing reads), so Lemma 3 holds of the code text as of the text.
 * A scan that meets anything it is not sure of (a string left open at a line end or at the end, a
 * closing bracket with none open) gives the text back unchanged.
 */
export function codeText(text: string): string {
  return sureCodeText(text) ?? text;
}

/** The last text `sureCodeText` read and its answer (the CLI asks for a file's twice: prefilter, then slice). */
let lastCode: { text: string; code: string | undefined } | undefined;

/** `codeText`, or undefined where its scan is unsure (it then keeps the whole text). */
export function sureCodeText(text: string): string | undefined {
  if (lastCode?.text === text) return lastCode.code;
  const code = scanCode(text);
  lastCode = { text, code };
  return code;
}

/**
 * What `sureCodeText` last read of `text`, if it did (`{ code }`, code undefined where its scan was
 * unsure), else undefined: the CLI hands a worker the main thread's scan with the file it kept.
 */
export function knownCodeText(text: string): { code: string | undefined } | undefined {
  return lastCode !== undefined && lastCode.text === text ? { code: lastCode.code } : undefined;
}

/** Makes `sureCodeText(text)` answer `code` (what `knownCodeText` gave for the same text in another thread). */
export function rememberCodeText(text: string, code: string | undefined): void {
  lastCode = { text, code };
}

function scanCode(text: string): string | undefined {
  if (text.indexOf('#') < 0 && text.indexOf('"') < 0 && text.indexOf("'") < 0) return text;
  const blank: number[] = [];
  const n = text.length;
  let depth = 0;
  // At the start of a logical line (only indentation so far, no open bracket, no continuation), and
  // where the current word started (a string's prefix letters are the word just before its quote).
  let lineStart = true;
  let wordStart = -1;
  let wordAtLineStart = false;
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 12 || c === 13) {
      wordStart = -1;
      i++;
      continue;
    }
    if (c === 10) {
      if (depth === 0) lineStart = true;
      wordStart = -1;
      i++;
      continue;
    }
    if (c === 35) {
      // '#': a comment to the end of the line.
      let e = text.indexOf('\n', i);
      if (e < 0) e = n;
      blank.push(i, e);
      wordStart = -1;
      i = e;
      continue;
    }
    if (c === 92) {
      // A backslash continuation: the next line continues this one.
      wordStart = -1;
      i += text.charCodeAt(i + 1) === 13 ? 3 : 2;
      continue;
    }
    if (c === 34 || c === 39) {
      // A string; the word just before its quote is its prefix when it is one (r, b, u, f, two at most).
      let prefixed = false;
      let fString = false;
      if (wordStart >= 0 && i - wordStart <= 2) {
        prefixed = true;
        for (let k = wordStart; k < i; k++) {
          const p = text.charCodeAt(k) | 32;
          if (p !== 114 && p !== 98 && p !== 117 && p !== 102) prefixed = false;
          if (p === 102) fString = true;
        }
        // `if"a"in s`: a keyword, not a prefix.
        if (!prefixed) fString = false;
      }
      const start = prefixed ? wordStart : i;
      const first = prefixed ? wordAtLineStart : lineStart && wordStart < 0;
      const triple = text.charCodeAt(i + 1) === c && text.charCodeAt(i + 2) === c;
      let j = i + (triple ? 3 : 1);
      let end = -1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 92) {
          j += 2;
          continue;
        }
        if (d === c && (!triple || (text.charCodeAt(j + 1) === c && text.charCodeAt(j + 2) === c))) {
          end = j + (triple ? 3 : 1);
          break;
        }
        if (d === 10 && !triple) return undefined;
        j++;
      }
      if (end < 0) return undefined;
      // A bare string statement: it starts a logical line, and only a comment, `;` or the line's end follows.
      if (first && depth === 0 && !fString) {
        let k = end;
        while (k < n && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9 || text.charCodeAt(k) === 13)) k++;
        if (k >= n || text.charCodeAt(k) === 10 || text.charCodeAt(k) === 35 || text.charCodeAt(k) === 59) {
          blank.push(start, end);
          lineStart = false;
          wordStart = -1;
          i = end;
          continue;
        }
      }
      // Any other string but an f-string: its content is a string constant, and one that is not a
      // name (a character other than a letter, a digit, `_` or `.`) is no alias string: blanked
      // between its quotes, which stay (a call with it still has an argument).
      if (!fString) {
        const q = triple ? 3 : 1;
        const cs = i + q;
        const ce = end - q;
        for (let k = cs; k < ce; k++) {
          const d = text.charCodeAt(k);
          if (!((d >= 48 && d <= 57) || (d >= 65 && d <= 90) || (d >= 97 && d <= 122) || d === 95 || d === 46)) {
            blank.push(cs, ce);
            break;
          }
        }
      }
      lineStart = false;
      wordStart = -1;
      i = end;
      continue;
    }
    if (isWordCode(c)) {
      if (wordStart < 0) {
        wordStart = i;
        wordAtLineStart = lineStart;
      }
    } else {
      wordStart = -1;
      if (c === 40 || c === 91 || c === 123) depth++;
      else if (c === 41 || c === 93 || c === 125) {
        if (depth === 0) return undefined;
        depth--;
      }
    }
    lineStart = false;
    i++;
  }
  if (depth !== 0) return undefined;
  if (!blank.length) return text;
  const parts: string[] = [];
  let at = 0;
  for (let b = 0; b < blank.length; b += 2) {
    const x = blank[b];
    const y = blank[b + 1];
    parts.push(text.slice(at, x));
    const seg = text.slice(x, y);
    parts.push(seg.indexOf('\n') < 0 ? ' '.repeat(seg.length) : seg.replace(/[^\r\n]/g, ' '));
    at = y;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}


/**
 * False only when the text provably yields no finding (see the proof above); true otherwise. The
 * words are looked for in the text, then, where they are found, in its code alone (`codeText`: a
 * docstring that mentions `softmax` is no reason to parse a file).
 */
export function mayHaveFindings(source: string): boolean {
  if (!wordsMayCreate(source)) return false;
  const code = codeText(source);
  return code === source || wordsMayCreate(code);
}

function wordsMayCreate(text: string): boolean {
  patterns ??= build();
  const p = patterns;
  // One pass over the text for every word list: a seed word, a creating method after a dot, or a
  // creating function's or module's name (or an alias string) in a text where a root is.
  let root = false;
  let qualified = false;
  const any = p.any;
  any.lastIndex = 0;
  for (let m = any.exec(text); m; m = any.exec(text)) {
    const w = m[0];
    if (p.seeds.has(w)) return true;
    if (p.methods.has(w) && methodCall(text, m.index, w)) return true;
    if (p.qualified.has(w)) qualified = true;
    if (!root && p.roots.has(w)) root = p.longRoots.has(w) || inImportLine(text, m.index);
    if (root && qualified) return true;
  }
  if (!root && qualified && keywordModuleRead(text)) return true;
  if (!root) {
    p.conventional.lastIndex = 0;
    if (!p.conventional.test(text)) return false;
  }
  return qualified || p.aliasAnyCase.test(text);
}

/**
 * Whether a function reads a value from its `**` parameter by keyword (`kwargs['backend']`,
 * `kwargs.get('backend')`): that value may be a framework module handed in (core/injected.ts), whose
 * functions the IR resolves with no import, so it counts as a root.
 */
function keywordModuleRead(text: string): boolean {
  for (const m of text.matchAll(/[(,]\s*\*\*\s*([A-Za-z_]\w*)/g)) {
    if (new RegExp(`\\b${m[1]}\\s*(?:\\[|\\.\\s*(?:get|pop)\\s*\\()`).test(text)) return true;
  }
  return false;
}

/**
 * The same test for one top-level statement of a module whose imports are known (`imports`: local
 * name -> canonical dotted name, from every import of the file). False proves that no call in the
 * statement is creating and that it holds no alias string nor seed word (Lemma 1): a creating method
 * is a name after a dot; a creating function or module is named by its last segment, in a statement
 * that holds a root (a long root, a conventional name with a dot, a local name an import binds to a
 * framework, a keyword read of a `**` parameter: a module handed in, core/injected.ts), or anywhere when the module star-imports a framework module. An alias string counts
 * wherever it is (a module-level constant carries it to the call that reads it). The statement can
 * still receive meaning from module-level names (globals), which the caller accounts for
 * (analysis/slice.ts).
 */
const importedRoots = new WeakMap<ReadonlyMap<string, string>, { locals: RegExp | null; star: boolean }>();

export function statementMayCreate(text: string, imports: ReadonlyMap<string, string>): boolean {
  patterns ??= build();
  const p = patterns;
  const mw = p.methodWords;
  mw.lastIndex = 0;
  for (let m = mw.exec(text); m; m = mw.exec(text)) if (methodCall(text, m.index, m[0])) return true;
  if (p.aliasAnyCase.test(text)) return true;
  let qualified = false;
  let root = false;
  const sw = p.statementWords;
  sw.lastIndex = 0;
  for (let m = sw.exec(text); m; m = sw.exec(text)) {
    const w = m[0];
    if (p.seeds.has(w) || p.aliasExact.has(w)) return true;
    if (p.longRoots.has(w)) root = true;
    else qualified = true;
    if (root && qualified) return true;
  }
  if (!qualified) return false;
  if (keywordModuleRead(text)) return true;
  // One pattern per module's imports (the callers pass the same map for every statement of a module).
  let r = importedRoots.get(imports);
  if (r === undefined) {
    const names: string[] = [];
    let star = false;
    for (const [local, full] of imports) {
      if (!p.roots.has(full.split('.')[0])) continue;
      if (local.startsWith('*')) star = true;
      else names.push(local);
    }
    importedRoots.set(imports, (r = { locals: names.length ? words(names) : null, star }));
  }
  if (r.star) return true;
  p.conventional.lastIndex = 0;
  if (p.conventional.test(text)) return true;
  return !!r.locals && r.locals.test(text);
}
