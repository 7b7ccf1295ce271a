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
 *   - `typed`: mmdetection / mmcv config dicts, `dict(type='FocalLoss', gamma=0.5)` (the IR has no
 *     dict displays, so `{'type': ...}` is not read);
 *   - `argparse`: `parser.add_argument('--gamma', type=float, default=0.5)` defaults;
 *   - `configs`: names bound to a config file (`cfg = OmegaConf.load('conf.yaml')`, `yaml.safe_load(open(...))`,
 *     `json.load(open(...))`, Hydra's `@hydra.main(config_path=..., config_name=...)` on `def main(cfg)`).
 *
 * Nothing is executed: each of these is read from the syntax, and anything that is not a literal is
 * left out (its value is unknown, as at a same-file call site).
 */
import type { ParsedDocument } from '../core/document';
import { walkExprs, planModule, type Call, type Expr, type FunctionIR, type Stmt } from '../core/ir';
import { identifiers } from '../core/incremental';
import { statementMayCreate } from '../core/prefilter';
import type { Range } from '../core/types';

export interface ImportInfo {
  /** The name the import binds in the file. */
  local: string;
  /** The module as written (`a.b`), without the leading dots of a relative import. */
  module: string;
  /** How many leading dots (0: absolute). */
  level: number;
  /** For `from M import name`: the name imported (`*` for a star import). */
  name?: string;
}

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
}

export const EMPTY_SUMMARY: FileSummary = { imports: [], defs: [], uses: [], typed: [], argparse: [], configs: [], namespaces: [], noqa: [] };

/** Text that may bind or read a config, an argparse default or an mmdet dict: such a file is summarized whatever names it mentions. */
export const VALUE_MARKERS = /add_argument|parse_args|OmegaConf|hydra|safe_load|yaml\.load|json\.load|toml\.load|tomllib|\btype\s*=\s*['"]/;

/**
 * The summary of a parsed file. `wanted`: names whose calls the index follows (project definitions,
 * by their last segment); calls to other names are not kept.
 */
export function summarize(doc: ParsedDocument, wanted: ReadonlySet<string>): FileSummary {
  const plan = planModule(doc.tree.rootNode, doc.text, { lazy: true, lineStarts: doc.lineOffsets(), excluded: doc.excluded });
  const out: FileSummary = { imports: importsFromText(doc.text), defs: [], uses: [], typed: [], argparse: [], configs: [], namespaces: [], noqa: [...plan.noqa] };
  const moduleCreates = plan.units.some((u) => !u.isDef && statementMayCreate(u.text, plan.imports));
  const include = new Set<number>();
  const defUnits = new Set<number>();
  for (const u of plan.units) {
    if (u.isDef && u.defs.length && (moduleCreates || statementMayCreate(u.text, plan.imports))) {
      include.add(u.index);
      defUnits.add(u.index);
    }
    if (VALUE_MARKERS.test(u.text)) include.add(u.index);
    else if (wanted.size) {
      for (const id of identifiers(u.text)) {
        if (wanted.has(id)) {
          include.add(u.index);
          break;
        }
      }
    }
  }
  if (include.size === 0) return out;
  const mod = plan.assemble((u) => include.has(u.index));
  const text = doc.text;
  // Definitions (top level only: a loss class or function other files can import).
  for (const fn of mod.functions) {
    if (fn.isModule || fn.parent || fn.className) continue;
    if (!inUnits(fn.span.s, plan.units, defUnits)) continue;
    const params = fn.params.filter((p) => p.kind === 'plain').map((p) => p.name);
    out.defs.push({ name: fn.name, kind: 'function', target: fn.qualname, params, kwstar: fn.params.some((p) => p.kind === 'kwstar'), range: fn.nameSpan.r, bases: [] });
  }
  for (const cls of mod.classes.values()) {
    if (cls.name.includes('.') || !inUnits(cls.span.s, plan.units, defUnits)) continue;
    const init = cls.methods.get('__init__');
    const params = init ? init.params.filter((p) => p.kind === 'plain').slice(1).map((p) => p.name) : [];
    out.defs.push({ name: cls.name, kind: 'class', target: `${cls.name}.__init__`, params, kwstar: !!init?.params.some((p) => p.kind === 'kwstar'), range: cls.span.r, bases: cls.bases });
  }
  // Uses: every call in the statements read.
  const reader = new UseReader(text, wanted, out);
  reader.stmts(mod.body);
  for (const fn of mod.functions) {
    if (fn.isModule) continue;
    reader.fn(fn);
    reader.stmts(fn.body);
  }
  out.namespaces = [...reader.namespaces];
  return out;
}

function inUnits(offset: number, units: readonly { s: number; e: number; index: number }[], set: ReadonlySet<number>): boolean {
  for (const i of set) if (units[i].s <= offset && offset < units[i].e) return true;
  return false;
}

/**
 * Every import of a file, relative ones included, read from its text (the IR keeps only absolute
 * ones, and a file that neither holds a loss nor passes a value is never parsed: its imports are
 * what makes a package's `__init__.py` re-export a loss). Logical lines: backslash continuations and
 * parenthesized name lists are joined; comments and strings' `import` words are not imports.
 */
export function importsFromText(text: string): ImportInfo[] {
  const out: ImportInfo[] = [];
  if (!/\bimport\b/.test(text)) return out;
  const re = /^[ \t]*(?:from[ \t]+(\.*)[ \t]*([A-Za-z_][\w.]*)?[ \t]+import[ \t]+(\([^)]*\)|(?:[^\n#\\]|\\\r?\n)*)|import[ \t]+((?:[^\n#\\]|\\\r?\n)+))/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[4] !== undefined) {
      for (const part of m[4].replace(/\\\r?\n/g, ' ').split(',')) {
        const a = /^\s*([A-Za-z_][\w.]*)(?:\s+as\s+([A-Za-z_]\w*))?\s*$/.exec(part);
        if (!a) continue;
        const full = a[1];
        if (a[2]) out.push({ local: a[2], module: full, level: 0 });
        else {
          out.push({ local: full.split('.')[0], module: full.split('.')[0], level: 0 });
          if (full.includes('.')) out.push({ local: full, module: full, level: 0 });
        }
      }
      continue;
    }
    const level = m[1].length;
    const module = m[2] ?? '';
    if (!level && !module) continue;
    const names = m[3].replace(/^\(|\)$/g, '').replace(/#[^\n]*/g, '').replace(/\\\r?\n/g, ' ');
    if (names.trim() === '*') {
      out.push({ local: '*', module, level, name: '*' });
      continue;
    }
    for (const part of names.split(',')) {
      const a = /^\s*([A-Za-z_]\w*)(?:\s+as\s+([A-Za-z_]\w*))?\s*$/.exec(part);
      if (a) out.push({ local: a[2] ?? a[1], module, level, name: a[1] });
    }
  }
  return out;
}

/** The parts of a name or attribute chain (`a.b.c` -> ['a', 'b', 'c']), else undefined. */
function chain(e: Expr): string[] | undefined {
  if (e.k === 'name') return [e.id];
  if (e.k === 'attr') {
    const base = chain(e.obj);
    return base ? [...base, e.attr] : undefined;
  }
  return undefined;
}

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
  constructor(
    private readonly text: string,
    private readonly wanted: ReadonlySet<string>,
    private readonly out: FileSummary,
  ) {}

  private value(e: Expr): ArgValue | null {
    const text = this.text.slice(e.span.s, e.span.e);
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

  private assign(targets: readonly { k: string; id?: string }[], value: Expr): void {
    const names = targets.filter((t) => t.k === 'name' && t.id).map((t) => t.id!);
    if (!names.length || value.k !== 'call') return;
    const callee = chain(value.func);
    const last = callee?.[callee.length - 1];
    if (last === 'parse_args' || last === 'parse_known_args') {
      for (const n of names) this.namespaces.add(n);
      return;
    }
    const file = configFileOf(value);
    if (file) for (const n of names) this.out.configs.push({ name: n, file, how: 'load', range: value.span.r });
  }

  private expr(root: Expr): void {
    for (const e of walkExprs(root)) if (e.k === 'call') this.call(e);
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
    if (!this.wanted.has(last)) return;
    // A call the IR bound to an op of the table is the table's (`F.cross_entropy`), not the project's.
    if (c.op) return;
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
    const flags = c.args.filter((a): a is Expr & { k: 'str' } => a.k === 'str').map((a) => a.value);
    const dest = c.kwargs.dest?.k === 'str' ? c.kwargs.dest.value : destOf(flags);
    const d = c.kwargs.default;
    if (!dest || !d || !isLiteral(d)) return;
    this.out.argparse.push({ dest, value: { k: 'lit', expr: d, range: d.span.r, text: this.text.slice(d.span.s, d.span.e) } });
  }
}

/** argparse's dest: the first long option without dashes, `-` turned into `_`, else the first short one, else a positional name. */
function destOf(flags: string[]): string | undefined {
  const long = flags.find((f) => f.startsWith('--'));
  const f = long ?? flags.find((x) => x.startsWith('-')) ?? flags[0];
  return f ? f.replace(/^-+/, '').replace(/-/g, '_') : undefined;
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
