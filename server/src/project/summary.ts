/**
 * What the project index keeps of one Python file: plain data (JSON-able, so the CLI's worker
 * threads can send it back), built from the file's IR and rebuilt only when its text changes.
 *
 *   - `imports`: every import binding, relative ones included (`from ..losses import Focal as F`);
 *   - `defs`: its top-level functions and classes that may hold a loss (their text may create a
 *     tensor meaning, core/prefilter.ts `statementMayCreate`), with their parameters (a class's are
 *     its `__init__`'s, `self` left out);
 *   - `uses`: calls to names the index asked about (`FocalLoss(gamma=0.5)`, `losses.focal(x, t, 0.5)`)
 *     with what each argument is: a literal, `args.gamma` (argparse), or `cfg.loss.gamma` /
 *     `cfg['loss']['gamma']` (a config object);
 *   - `typed`: mmdetection / mmcv config dicts, `dict(type='FocalLoss', gamma=0.5)` or
 *     `{'type': 'FocalLoss', 'gamma': 0.5}`;
 *   - `argparse`: `parser.add_argument('--gamma', type=float, default=0.5)` defaults;
 *   - `configs`: names bound to a config file (`cfg = OmegaConf.load('conf.yaml')`, `yaml.safe_load(open(...))`,
 *     `json.load(open(...))`, Hydra's `@hydra.main(config_path=..., config_name=...)` on `def main(cfg)`).
 *
 * Nothing is executed: each of these is read from the syntax, and anything that is not a literal is
 * left out (its value is unknown, as at a same-file call site).
 */
import type { SlicedModule } from '../analysis/analyze';
import type { ParsedDocument } from '../core/document';
import type { FunctionFacts } from '../core/interp';
import { forEachExpr, planModule, type Call, type Expr, type FunctionIR, type ModuleIR, type Stmt, type Target } from '../core/ir';
import { argparseOption, calleeChain, parsedNamespaces } from '../core/argparse';
import { importsFromText, type ImportInfo } from '../core/modules';

export { importsFromText, type ImportInfo };
import { identifiers } from '../analysis/incremental';
import { mayHaveFindings, sureCodeText } from '../core/prefilter';
import { analyzeSliced } from '../analysis/slice';
import { DEFAULT_SETTINGS, type Range } from '../core/types';
import { allSpellings, resolveQualified } from '../ops';


export interface DefInfo {
  name: string;
  kind: 'function' | 'class';
  /** The function whose parameters values reach: `name`, or `name.__init__` for a class. */
  target: string;
  /** Plain parameters in order (`self` left out), and whether the def takes `**kwargs`. */
  params: string[];
  kwstar: boolean;
  /** The def's name, for related locations. */
  range: Range;
  /** Base classes as written. */
  bases: string[];
}

/** A literal passed, or something whose value the index may find elsewhere. */
export type ArgValue =
  | { k: 'lit'; expr: Expr; range: Range; text: string }
  | { k: 'argparse'; base: string; attr: string; range: Range; text: string }
  | { k: 'cfg'; base: string; path: string[]; range: Range; text: string };

export interface UseInfo {
  /** The callee as written: `['FocalLoss']`, `['losses', 'FocalLoss']`. */
  callee: string[];
  /** Positional arguments (null: not a value the index follows). */
  args: (ArgValue | null)[];
  kwargs: Record<string, ArgValue>;
  /** `*args` / `**kwargs` passed. */
  splat: boolean;
  range: Range;
}

export interface TypedDict {
  /** The `type=` string: a class name (`FocalLoss`) or a dotted one. */
  type: string;
  kwargs: Record<string, ArgValue>;
  range: Range;
  /** The range of the `type` value. */
  typeRange: Range;
}

export interface ArgparseDefault {
  /** The attribute of the parsed namespace (`--focal-gamma` -> `focal_gamma`, or `dest=`). */
  dest: string;
  value: ArgValue & { k: 'lit' };
}

export interface ConfigBinding {
  /** The name bound to the config object (`cfg`), or the Hydra entry point's first parameter. */
  name: string;
  /** The file as written, relative to the Python file's folder (Hydra: config_path joined with config_name + `.yaml`). */
  file: string;
  how: 'load' | 'hydra';
  range: Range;
}

export interface FileSummary {
  imports: ImportInfo[];
  defs: DefInfo[];
  uses: UseInfo[];
  typed: TypedDict[];
  argparse: ArgparseDefault[];
  configs: ConfigBinding[];
  /** Names that hold a parsed argparse namespace (`args = parser.parse_args()`). */
  namespaces: string[];
  /** `# noqa` lines (0-based) and their codes (empty: all), for findings reported in this file. */
  noqa: [number, string[]][];
  /** The names called in statements that were not read: once one is a project definition, the file is read again with it (`ProjectIndex.unsettled`). */
  pending: string[];
}

export const EMPTY_SUMMARY: FileSummary = { imports: [], defs: [], uses: [], typed: [], argparse: [], configs: [], namespaces: [], noqa: [], pending: [] };

/** Roots of the frameworks the op table models: calls into them are never project calls. */
export const FRAMEWORKS: ReadonlySet<string> = new Set(['torch', 'tensorflow', 'keras', 'jax', 'numpy', 'scipy', 'optax', 'torchvision', 'fvcore', 'kornia', 'monai', 'mmcv', 'mmdet', 'segmentation_models_pytorch', 'tensorflow_addons']);

/** Text that may bind or read a config, an argparse default or an mmdet dict: such a file is summarized whatever names it mentions. */
export const VALUE_MARKERS = /add_argument|parse_args|OmegaConf|hydra|safe_load|yaml\.load|json\.load|toml\.load|tomllib|\btype\s*=\s*['"]|['"]type['"]\s*:/;

/** Meanings a loss has and a plain helper has not: a definition with one of them is a loss others may pass values to. */
const LOSS_MEANINGS: ReadonlySet<string> = new Set(['prob', 'logprob', 'ce', 'pt', 'one_minus_pt', 'modulating', 'focal', 'module', 'alpha_t', 'alpha_class', 'class_weights']);

function hasLossMeaning(facts: FunctionFacts | undefined): boolean {
  if (!facts) return false;
  for (const v of facts.values.values()) if (LOSS_MEANINGS.has(v.m)) return true;
  return false;
}

/** A copy of a slice of a long text that does not keep the whole text alive (ir.ts `ownSlice`). */
function own(text: string, s: number, e: number): string {
  const t = text.slice(s, e);
  return t.length < 13 ? t : `${t} `.slice(0, -1);
}

export interface SummarizeOptions {
  /**
   * Names of the project's definitions: calls to them are read wherever they are. Without it (the
   * CLI's first pass) calls are read only in the statements built anyway, and the names called in the
   * others are listed in `pending`.
   */
  wanted?: ReadonlySet<string>;
  /** What the sliced analysis of this parse built (analysis/analyze.ts `SlicedModule`): definitions are read from its facts. */
  sliced?: SlicedModule;
  /** The file's dotted module name (`pkg.losses.focal`), to leave out definitions the op table already models. */
  moduleName?: string;
  /** Only the calls, configs and argparse defaults (the CLI's second pass keeps the first pass's definitions). */
  usesOnly?: boolean;
}

/**
 * The summary of a parsed file. Definitions: top-level functions and classes some function of which
 * has a loss meaning in the sliced analysis (so only files the prefilter keeps have any). Uses: calls
 * through an import (`FocalLoss(...)` imported, `losses.focal(...)`), in the statements the slice
 * built, those with a value marker, and (with `wanted`) those that mention a wanted name.
 */
export function summarize(doc: ParsedDocument, options: SummarizeOptions = {}): FileSummary {
  let sliced = options.sliced;
  if (!sliced && !options.usesOnly && mayHaveFindings(doc.text)) {
    analyzeSliced(doc, DEFAULT_SETTINGS, { onSliced: (x) => (sliced = x) });
  }
  const plan = sliced?.plan ?? planModule(doc.tree.rootNode, doc.text, { lazy: true, lineStarts: doc.lineOffsets(), excluded: doc.excluded });
  const out: FileSummary = { imports: importsFromText(doc.text), defs: [], uses: [], typed: [], argparse: [], configs: [], namespaces: [], noqa: [...plan.noqa], pending: [] };
  const text = doc.text;
  if (sliced) {
    const tops = new Map<string, boolean>();
    for (const [fn, facts] of sliced.facts.functions) {
      if (fn.isModule) continue;
      const top = fn.qualname.split('.')[0];
      if (!tops.get(top)) tops.set(top, hasLossMeaning(facts));
    }
    const modeled = (name: string): boolean => !!options.moduleName && !!resolveQualified(`${options.moduleName}.${name}`);
    for (const fn of sliced.module.functions) {
      if (fn.isModule || fn.parent || fn.className || !tops.get(fn.name) || modeled(fn.name)) continue;
      const params = fn.params.filter((p) => p.kind === 'plain').map((p) => p.name);
      if (params.length) out.defs.push({ name: fn.name, kind: 'function', target: fn.qualname, params, kwstar: fn.params.some((p) => p.kind === 'kwstar'), range: fn.nameSpan.r, bases: [] });
    }
    for (const cls of sliced.module.classes.values()) {
      if (cls.name.includes('.') || !tops.get(cls.name) || modeled(cls.name)) continue;
      const init = cls.methods.get('__init__');
      const params = init ? init.params.filter((p) => p.kind === 'plain').slice(1).map((p) => p.name) : [];
      if (params.length) out.defs.push({ name: cls.name, kind: 'class', target: `${cls.name}.__init__`, params, kwstar: !!init?.params.some((p) => p.kind === 'kwstar'), range: cls.span.r, bases: cls.bases });
    }
  }
  let wanted = options.wanted;
  // `from losses import FocalLoss as FL`: calls to `FL(...)` are calls to a wanted name.
  const aliases = wanted ? out.imports.filter((i) => i.name && i.local !== i.name && wanted!.has(i.name)).map((i) => i.local) : [];
  if (wanted && aliases.length) wanted = new Set([...wanted, ...aliases]);
  const built = sliced?.built ?? new Set<number>();
  const extra = new Set<number>();
  const pending = new Set<string>();
  for (const u of plan.units) {
    if (built.has(u.index) || sliced?.skipped?.has(u.index)) continue;
    if (VALUE_MARKERS.test(u.text)) {
      extra.add(u.index);
      continue;
    }
    if (wanted) {
      let hit = false;
      for (const id of identifiers(u.text)) {
        if (wanted.has(id)) {
          hit = true;
          break;
        }
      }
      if (hit) {
        extra.add(u.index);
        continue;
      }
    }
    CALLED.lastIndex = 0;
    for (let m = CALLED.exec(u.text); m; m = CALLED.exec(u.text)) pending.add(m[1]);
  }
  out.pending = [...pending];
  const reader = new UseReader(text, wanted, out, plan.imports, new Set(out.imports.map((i) => i.local)));
  const read = (mod: ModuleIR, body = mod.body): void => {
    reader.stmts(body);
    for (const fn of mod.functions) {
      if (fn.isModule) continue;
      reader.fn(fn);
      reader.stmts(fn.body);
    }
  };
  if (sliced?.skipped?.size) {
    // Module code the slice left out is read as if it had been built: in document order among the rest.
    const skipped = sliced.skipped;
    const left = plan.assemble((u) => skipped.has(u.index)).body;
    const body: Stmt[] = [];
    let k = 0;
    for (const st of sliced.module.body) {
      while (k < left.length && left[k].span.s < st.span.s) body.push(left[k++]);
      body.push(st);
    }
    while (k < left.length) body.push(left[k++]);
    read(sliced.module, body);
  } else if (sliced) read(sliced.module);
  if (extra.size) {
    const mod = plan.assemble((u) => extra.has(u.index) && !built.has(u.index));
    read(mod);
  }
  out.namespaces = [...reader.namespaces];
  return out;
}

const CALLED = /([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;

function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * The names a text calls (`Name(`, `a.Name (`): a file without a summary is read again once one is a
 * project definition. The same names as `/([A-Za-z_]\w*)\s*\(/g`, found from each `(` backwards (a
 * regular expression tries a match at every identifier character of the file: 3x slower).
 */
export function calledNames(text: string): string[] {
  const out = new Set<string>();
  for (let i = text.indexOf('('); i >= 0; i = text.indexOf('(', i + 1)) {
    let e = i;
    while (e > 0) {
      const c = text.charCodeAt(e - 1);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 11) break;
      e--;
    }
    let s = e;
    while (s > 0 && isIdentChar(text.charCodeAt(s - 1))) s--;
    // Skip leading digits: the regular expression's name starts at a letter or `_`.
    while (s < e && text.charCodeAt(s) >= 48 && text.charCodeAt(s) <= 57) s++;
    if (s < e) out.add(text.slice(s, e));
  }
  return [...out];
}

const TYPED = /\btype\s*=\s*['"]([\w.]+)['"]|['"]type['"]\s*:\s*['"]([\w.]+)['"]/g;

/** The class names config dicts name (`type='FocalLoss'`, `'type': 'FocalLoss'`), last segments. */
export function typedNames(text: string): string[] {
  const out = new Set<string>();
  TYPED.lastIndex = 0;
  for (let m = TYPED.exec(text); m; m = TYPED.exec(text)) out.add((m[1] ?? m[2]).split('.').pop()!);
  return [...out];
}

/**
 * What a file that is not parsed (`needsParse` false) still tells the index: the names it calls and
 * the classes its config dicts name. Once one is a project definition, it is read (`ProjectIndex.unsettled`).
 */
export function pendingNames(text: string): string[] {
  return [...new Set([...calledNames(text), ...typedNames(text)])];
}

let libraryTypes: Set<string> | undefined;

/** mmdet / mmcv classes of the op table, by name: a config dict naming one is checked as that class. */
export function libraryTypeNames(): ReadonlySet<string> {
  libraryTypes ??= new Set(
    allSpellings()
      .filter((s) => s.kind === 'module' && /^(mmdet|mmcv)\./.test(s.name))
      .map((s) => s.name.split('.').pop()!),
  );
  return libraryTypes;
}

/**
 * Whether a file must be parsed for the index: it may hold a loss (the prefilter keeps it), a config
 * dict in it names a library loss, or (with `wanted`) it mentions a project definition. Any other
 * file's imports and pending names are read from its text (argparse defaults and config loads matter
 * only in a file that calls a project definition, which `wanted` then names).
 */
export function needsParse(text: string, wanted?: ReadonlySet<string>, may = mayHaveFindings(text)): boolean {
  if (may) return true;
  const lib = libraryTypeNames();
  if (typedNames(text).some((n) => lib.has(n) || wanted?.has(n))) return true;
  if (!wanted?.size) return false;
  for (const id of identifiers(text)) if (wanted.has(id)) return true;
  return false;
}



/** The parts of a name or attribute chain (`a.b.c` -> ['a', 'b', 'c']), else undefined. */
const chain = calleeChain;

/** `cfg.a.b`, `cfg['a']['b']`, `cfg.a['b']`: the base name and the keys, else undefined. */
function accessPath(e: Expr): { base: string; path: string[] } | undefined {
  const keys: string[] = [];
  let x: Expr = e;
  for (;;) {
    if (x.k === 'attr') {
      keys.unshift(x.attr);
      x = x.obj;
    } else if (x.k === 'subscript' && x.index.length === 1 && x.index[0].k === 'str') {
      keys.unshift(x.index[0].value);
      x = x.obj;
    } else if (x.k === 'call' && x.func.k === 'attr' && x.func.attr === 'get' && x.args[0]?.k === 'str') {
      // cfg.get('gamma', 2.0)
      keys.unshift(x.args[0].value);
      x = x.func.obj;
    } else break;
  }
  if (x.k !== 'name' || keys.length === 0) return undefined;
  return { base: x.id, path: keys };
}

/** Whether an expression is a literal the interpreter evaluates without an environment. */
export function isLiteral(e: Expr): boolean {
  switch (e.k) {
    case 'num':
    case 'str':
    case 'const':
      return true;
    case 'unary':
      return (e.op === '-' || e.op === '+') && e.operand.k === 'num';
    case 'tuple':
      return e.items.every(isLiteral);
    default:
      return false;
  }
}

class UseReader {
  readonly namespaces = new Set<string>();
  private readonly seen = new Set<number>();
  constructor(
    private readonly text: string,
    /** Without it, any call through an import is kept. */
    private readonly wanted: ReadonlySet<string> | undefined,
    private readonly out: FileSummary,
    /** The IR's imports (local -> canonical), to leave out calls into the frameworks. */
    private readonly irImports: ReadonlyMap<string, string>,
    /** Every name an import binds, relative imports included. */
    private readonly importedNames: ReadonlySet<string>,
  ) {}

  private value(e: Expr): ArgValue | null {
    const text = own(this.text, e.span.s, e.span.e);
    if (isLiteral(e)) return { k: 'lit', expr: e, range: e.span.r, text };
    if (e.k === 'attr' && e.obj.k === 'name') return { k: 'argparse', base: e.obj.id, attr: e.attr, range: e.span.r, text };
    const p = accessPath(e);
    if (p) return { k: 'cfg', base: p.base, path: p.path, range: e.span.r, text };
    return null;
  }

  /** Hydra's entry point: `@hydra.main(config_path=..., config_name=...)` above `def main(cfg)`, read from the text above the def. */
  fn(fn: FunctionIR): void {
    if (fn.className || fn.parent || fn.params.length === 0) return;
    const before = this.text.slice(Math.max(0, fn.span.s - 400), fn.span.s);
    const m = /@\s*hydra\s*\.\s*main\s*\(([^)]*)\)\s*$/.exec(before);
    if (!m) return;
    const arg = (name: string): string | undefined => new RegExp(`${name}\\s*=\\s*(?:r|f)?['"]([^'"]*)['"]`).exec(m[1])?.[1];
    const dir = arg('config_path') ?? '.';
    const name = arg('config_name');
    if (!name) return;
    this.out.configs.push({ name: fn.params[0].name, file: `${dir.replace(/\/$/, '')}/${name.endsWith('.yaml') || name.endsWith('.yml') ? name : `${name}.yaml`}`, how: 'hydra', range: fn.nameSpan.r });
  }

  stmts(ss: readonly Stmt[]): void {
    for (const s of ss) {
      if (s.k === 'assign') {
        this.assign(s.targets, s.value);
        this.expr(s.value);
      } else if (s.k === 'expr') this.expr(s.value);
      else if (s.k === 'return' && s.value) this.expr(s.value);
      else if (s.k === 'if') {
        this.expr(s.test);
        this.stmts(s.body);
        this.stmts(s.orelse);
      } else if (s.k === 'other') this.stmts(s.body);
    }
  }

  private assign(targets: readonly Target[], value: Expr): void {
    const parsed = parsedNamespaces(targets, value);
    for (const n of parsed) this.namespaces.add(n);
    const names = targets.flatMap((t) => (t.k === 'name' ? [t.id] : []));
    if (parsed.length || !names.length || value.k !== 'call') return;
    const file = configFileOf(value);
    if (file) for (const n of names) this.out.configs.push({ name: n, file, how: 'load', range: value.span.r });
  }

  private expr(root: Expr): void {
    forEachExpr(root, (e) => {
      if (e.k === 'call') this.call(e);
      else if (e.k === 'dict') this.dictDisplay(e);
    });
  }

  /** `{'type': 'FocalLoss', 'gamma': 0.5}`: an mmdet config dict written as a display. */
  private dictDisplay(d: Expr & { k: 'dict' }): void {
    const at = d.keys.findIndex((k) => k?.k === 'str' && k.value === 'type');
    const t = at >= 0 ? d.values[at] : undefined;
    if (!t || t.k !== 'str') return;
    const kwargs: Record<string, ArgValue> = {};
    d.keys.forEach((k, i) => {
      if (i === at || k?.k !== 'str') return;
      const a = this.value(d.values[i]);
      if (a) kwargs[k.value] = a;
    });
    this.out.typed.push({ type: t.value, kwargs, range: d.span.r, typeRange: t.span.r });
  }

  private call(c: Call): void {
    const callee = chain(c.func);
    if (!callee) return;
    const last = callee[callee.length - 1];
    if (last === 'add_argument') return this.argparse(c);
    if (last === 'dict' && callee.length === 1) {
      const t = c.kwargs.type;
      if (t && t.k === 'str') {
        const kwargs: Record<string, ArgValue> = {};
        for (const [k, v] of Object.entries(c.kwargs)) {
          if (k === 'type') continue;
          const a = this.value(v);
          if (a) kwargs[k] = a;
        }
        this.out.typed.push({ type: t.value, kwargs, range: c.span.r, typeRange: t.span.r });
      }
      return;
    }
    if (!this.importedNames.has(callee[0]) && !this.wanted?.has(last)) return;
    // A call the IR bound to an op of the table is the table's (`F.cross_entropy`), not the project's;
    // so is one into a framework (`torch.foo(...)`: the op table models the frameworks).
    if (c.op || FRAMEWORKS.has((this.irImports.get(callee[0]) ?? '').split('.')[0])) return;
    if (this.seen.has(c.span.s)) return;
    this.seen.add(c.span.s);
    const args = c.args.map((a) => this.value(a));
    const kwargs: Record<string, ArgValue> = {};
    for (const [k, v] of Object.entries(c.kwargs)) {
      const a = this.value(v);
      if (a) kwargs[k] = a;
    }
    if (!args.some((a) => a) && Object.keys(kwargs).length === 0) return;
    this.out.uses.push({ callee, args, kwargs, splat: c.splat, range: c.span.r });
  }

  private argparse(c: Call): void {
    const o = argparseOption(c);
    if (!o || !isLiteral(o.default)) return;
    const d = o.default;
    this.out.argparse.push({ dest: o.dest, value: { k: 'lit', expr: d, range: d.span.r, text: own(this.text, d.span.s, d.span.e) } });
  }
}

/** The config file a call loads, when it is a literal path: `OmegaConf.load('c.yaml')`, `yaml.safe_load(open('c.yaml'))`, `json.load(open(...))`, `tomllib.load(open(...))`, `toml.load('c.toml')`. */
function configFileOf(call: Call): string | undefined {
  const callee = chain(call.func)?.join('.');
  if (!callee) return undefined;
  const arg = call.args[0] ?? call.kwargs.file ?? call.kwargs.stream ?? call.kwargs.f;
  if (!arg) return undefined;
  const lit = (e: Expr): string | undefined => (e.k === 'str' ? e.value : undefined);
  const opened = (e: Expr): string | undefined => {
    if (e.k === 'str') return e.value;
    if (e.k === 'call' && chain(e.func)?.join('.') === 'open' && e.args[0]) return lit(e.args[0]);
    if (e.k === 'call' && e.func.k === 'attr' && (e.func.attr === 'read_text' || e.func.attr === 'open')) {
      // Path('c.yaml').read_text()
      const p = e.func.obj;
      if (p.k === 'call' && p.args[0]) return lit(p.args[0]);
    }
    return undefined;
  };
  if (/(^|\.)OmegaConf\.load$/.test(callee) || /^(yaml\.(safe_load|load|full_load)|json\.loads?|tomllib\.loads?|toml\.load|tomli\.load)$/.test(callee)) {
    const file = opened(arg);
    return file && /\.(ya?ml|json|toml)$/i.test(file) ? file : undefined;
  }
  return undefined;
}

/**
 * What a file's text says about the first names of the calls a second summary (`wanted`, `usesOnly`)
 * could read as uses (`UseReader.call`), for `ProjectIndex.mayGainUses`. Undefined when unsure.
 *   - `frameworkRoots`: names that every import binding them in the code binds to a framework module
 *     (the IR's imports, `irImports`, whose calls are never uses). Sure only when every `import` word
 *     of the code (comments and strings blanked, prefilter.ts `codeText`) starts an import line that
 *     `importsFromText` reads (no `;` before it, no `try:` on its line, no continuation above).
 *   - `mayCall(name)`: the name may be the first segment of a callee: in the code it is followed by
 *     `(`, `.` or `)` (a parenthesized callee), over whitespace and line continuations.
 */
export function callRootFacts(text: string): { frameworkRoots: Set<string>; mayCall: (name: string) => boolean } | undefined {
  const code = sureCodeText(text);
  if (code === undefined) return undefined;
  const word = /(?<![A-Za-z0-9_])import(?![A-Za-z0-9_])/g;
  for (let m = word.exec(code); m; m = word.exec(code)) {
    const ls = code.lastIndexOf('\n', m.index - 1) + 1;
    if (!/^[ \t]*(?:from[ \t]+\.*[ \t]*[\w.]*[ \t]+)?$/.test(code.slice(ls, m.index))) return undefined;
    if (ls > 0 && /\\\r?$/.test(code.slice(code.lastIndexOf('\n', ls - 2) + 1, ls - 1))) return undefined;
  }
  const fw = new Map<string, boolean>();
  for (const b of importsFromText(code)) {
    const root = b.level === 0 ? b.module.split('.')[0] : '';
    fw.set(b.local, (fw.get(b.local) ?? true) && FRAMEWORKS.has(root));
  }
  const frameworkRoots = new Set<string>();
  for (const [name, only] of fw) if (only) frameworkRoots.add(name);
  return {
    frameworkRoots,
    mayCall: (name) => new RegExp(`(?<![A-Za-z0-9_.])${name.replace(/[^\w]/g, '\\$&')}(?:\\s|\\\\\\r?\\n|\\))*[.(]`).test(code),
  };
}
