/**
 * A text test run before parsing: `mayHaveFindings(text) === false` proves that `analyze` would
 * report nothing for this text, so the caller may skip the parse and the analysis. It may say true
 * for files without findings (it is a filter, not a linter); it must never say false for a file
 * with one. test/perf/prefilter.test.ts checks both lemmas below on the rule fixtures, the examples,
 * the standard library and randomly damaged texts (tree-sitter's error recovery).
 *
 * ## Why a file without these words has no finding
 *
 * Lemma 1 (lattice). Call an IR call *creating* when it has an `op` (ir.ts) and either its callee was
 * qualified (through an import or a conventional module name: `torch.sigmoid`, `F.cross_entropy`,
 * any library loss), or it is a tensor method whose op is `creating` in the op table (ops/table:
 * `x.sigmoid()`, `x.softmax()`, `x.log_softmax()`, `x.log()`, `x.log1p()`, `x.clamp()`/`clip`, ...).
 * In a module without creating calls and without a parameter named `y_pred` (a Keras prediction,
 * seeded as a probability), the abstract interpreter (interp.ts) only produces the meanings
 *   unknown, scalar, string, bool, none, tuple, function, logits, target, target_index,
 *   target_onehot, masked, alpha_t, alpha_class
 * (by induction over `eval`, `seedParam`, `roles`, `binop`, `neg`, `subscript`, `gathered`, `join`
 * and the ops' `abstract`: parameter names give logits/target/hyper, subscripts by a parameter give
 * target_index and alpha_class, an index assignment or a scatter of 1 at the targets gives
 * target_onehot, products with targets give masked, `alpha*t + (1-alpha)*(1-t)` gives alpha_t; every
 * other meaning (prob, pt, one_minus_pt, logprob, ce, modulating, focal, module, class_weights) is
 * made only by a creating op, or from a value that already has one of them). The other tensor
 * methods (exp, pow, sum, mean, view, to, float, scatter_, fill_, ...) map this set into itself:
 * exp/pow need logprob/prob, sum/mean need ce/focal/prob inside a mask, the casts are the identity.
 *
 * Lemma 2 (rules). Every rule reports only on values with a meaning outside that set or on calls
 * with a qualified op: LL101/LL102 need `focal` with a modulating factor; LL103 a `modulating`
 * value or a qualified library loss; LL104 `pt` (from `exp` of a logprob); LL105 `one_minus_pt`
 * from a logprob; LL106/LL108/LL201 qualified losses or loss `module`s; LL107 a `softmax` op and a
 * sigmoid focal value; LL202 a `log` op on a sigmoid/softmax `prob`.
 *
 * Lemma 3 (text). A qualified callee's first segment is either the first segment of a module named
 * in an import statement (ir.ts `collectImports`), or a conventional module name used without an
 * import (ir.ts CONVENTIONAL_MODULES: `torch`, `F`, `nn`, `tf`, `K`, `np`, `jnp`, ...) followed by a
 * dot; and `resolveQualified` (ops/index.ts) matches only names whose first segment is the first
 * segment of an op table spelling or of an alias prefix it folds (torch, tensorflow, keras, jax,
 * numpy, scipy, optax, torchvision, fvcore, kornia, monai, mmcv, mmdet, segmentation_models_pytorch,
 * tensorflow_addons). The long roots are looked for as words anywhere; the short ones only on a
 * logical line that holds `import` or `from` before them; a conventional name counts when a dot
 * follows it (after whitespace, comments and, under error recovery, stray punctuation: `F$.softmax`).
 * A method call's name is a token preceded by `.`, with only whitespace, line continuations,
 * comments and (under error recovery) stray punctuation between.
 * A method that takes no argument (ops/index.ts `isNoArgumentMethod`: `log`, `sigmoid`) is an op
 * only when ir.ts found `emptyCallAfter` true just after its name; the filter runs the same function
 * at the same offset of the same text, so `logger.log(level, msg)` and `self.log(x)` are neither ops
 * nor reasons to parse.
 *
 * So: no root word and no creating method call after a dot => no creating call => no finding.
 * A new rule or a new meaning-producing path in interp.ts must keep Lemma 1 and 2 true or extend
 * CREATING_OPS / this filter; the fixture test fails when it does not.
 */
import { allOps, emptyCallAfter, isNoArgumentMethod, opSpellings } from '../ops';
import { CONVENTIONAL_MODULES } from './ir';

/** Method ops that can give a value one of the op-only meanings from values without one (Lemma 1): the table's `creating` ops. */
export const CREATING_OPS: ReadonlySet<string> = new Set(allOps().filter((o) => o.creating).map((o) => o.id));

/** Roots shorter than 5 letters are common words (`F`, `K`); they count only in an import line. */
const SHORT_ROOT = 4;

interface Patterns {
  roots: Set<string>;
  /** A conventional module name used without an import (`F.softmax(`): the name followed by a dot. */
  conventional: RegExp;
  longRoots: RegExp;
  methods: RegExp;
  /** The three word lists in one pattern (groups 1, 2, 3), for a single pass over a file. */
  any: RegExp;
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
  // A Keras loss's prediction is a probability by name (interp.ts seedParam).
  roots.add('y_pred');
  const methods = spell.methods.filter(([, op]) => op.creating).map(([name]) => name);
  const longs = [...roots].filter((r) => r.length > SHORT_ROOT);
  const shorts = [...roots].filter((r) => r.length <= SHORT_ROOT);
  return {
    roots,
    // Error recovery may skip stray punctuation between the name and its dot (`F$.softmax(x)`).
    conventional: new RegExp(`(?<![A-Za-z0-9_.])(?:${alt(CONVENTIONAL_MODULES.keys())})(?:\\s|#[^\\n\\r]*|[^A-Za-z0-9_\\s'"#.])*\\.`, 'g'),
    any: new RegExp(`(?<![A-Za-z0-9_])(?:(${alt(longs)})|(${alt(shorts)})|(${alt(methods)}))(?![A-Za-z0-9_])`, 'g'),
    longRoots: words(longs),
    methods: words(methods, 'g'),
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

/** False only when the text provably yields no finding (see the proof above); true otherwise. */
export function mayHaveFindings(text: string): boolean {
  patterns ??= build();
  // One pass over the text for the three word lists (a long root anywhere; a short root in an import
  // line; a creating method after a dot): the same answer as three passes, a third of the scanning.
  const { any, conventional } = patterns;
  any.lastIndex = 0;
  for (let m = any.exec(text); m; m = any.exec(text)) {
    if (m[1] !== undefined) return true;
    if (m[2] !== undefined ? inImportLine(text, m.index) : methodCall(text, m.index, m[3])) return true;
  }
  conventional.lastIndex = 0;
  return conventional.test(text);
}

/**
 * The same test for one top-level statement of a module whose imports are known (`imports`: local
 * name -> canonical dotted name, from every import of the file). False proves that no call in the
 * statement is creating (Lemma 1): a qualified callee starts with a local name bound by an import to a
 * framework root (Lemma 3), which is then a word of the statement; a creating method is a name after a
 * dot. The statement can still receive meaning from module-level names (globals), which the caller
 * accounts for (analysis/slice.ts).
 */
const importedRoots = new WeakMap<ReadonlyMap<string, string>, RegExp | null>();

export function statementMayCreate(text: string, imports: ReadonlyMap<string, string>): boolean {
  patterns ??= build();
  const { roots, methods } = patterns;
  if (patterns.longRoots.test(text)) return true;
  patterns.conventional.lastIndex = 0;
  if (patterns.conventional.test(text)) return true;
  // One pattern per module's imports (the callers pass the same map for every statement of a module).
  let locals = importedRoots.get(imports);
  if (locals === undefined) {
    const names: string[] = [];
    for (const [local, full] of imports) if (roots.has(full.split('.')[0])) names.push(local);
    importedRoots.set(imports, (locals = names.length ? words(names) : null));
  }
  if (locals && locals.test(text)) return true;
  methods.lastIndex = 0;
  for (let m = methods.exec(text); m; m = methods.exec(text)) {
    if (methodCall(text, m.index, m[0])) return true;
  }
  return false;
}
