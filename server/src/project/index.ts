/**
 * The project index: per Python file of the workspace its summary (summary.ts), cached by the hash
 * of its text, and what follows from all of them together: imports resolved between project files
 * (absolute and relative, packages, `__init__` re-exports, star imports), and the values that reach
 * each loss from elsewhere (`ValueSource`): literals passed at call sites in other files, argparse
 * defaults read through `args.x`, config values read through `cfg.a.b` (configs.ts), and mmdet
 * config dicts whose `type=` names a project class or a library loss.
 *
 * Both the CLI (`losslint check`, cli/check.ts) and the language server (lsp/project.ts) fill one and
 * ask it the same questions; project/check.ts turns its answers into findings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Expr } from '../core/ir';
import type { ExternalValues } from '../core/interp';
import type { Range } from '../core/types';
import { hash } from '../analysis/incremental';
import { moduleCandidates, packagedName, readSmallFile } from '../core/modules';

export { readSmallFile };
import { resolveQualified, type Spelling } from '../ops';
import { readConfig, type ConfigDoc } from './configs';
import { callRootFacts, typedNames, type ArgValue, type DefInfo, type FileSummary, type ImportInfo, type UseInfo } from './summary';

/** One value that reaches a parameter of a project function from elsewhere. */
export interface ValueSource {
  /** Where the value is written (where a fix goes): a Python file or a config file. */
  file: string;
  range: Range;
  /** The value as written. */
  text: string;
  expr: Expr;
  /** The function that receives it (`FocalLoss.__init__`), its file and the parameter. */
  targetFile: string;
  target: string;
  param: string;
  /** The call site (or config dict) that passes it, when it is not where the value is written. */
  via?: { file: string; range: Range };
  /** How the value travels, one step per line (Markdown), from where it is written to the parameter. */
  how: string[];
}

/** An mmdet-style config dict whose `type=` names a library loss (ops/ table), checked as a call of that class. */
export interface LibraryUse {
  file: string;
  range: Range;
  spelling: Spelling;
  /** The class name as written in `type=`. */
  type: string;
  kwargs: { name: string; expr: Expr; file: string; range: Range; text: string; how: string[] }[];
}

export interface Resolution {
  /** Values per file that defines their target. */
  byTarget: Map<string, ValueSource[]>;
  library: LibraryUse[];
  /** Config files read, with their problems (a syntax error): reported as notices, never fatal. */
  configs: Map<string, ConfigDoc>;
}

interface Entry {
  hash: string;
  summary: FileSummary;
}

type Resolved = { kind: 'def'; file: string; def: DefInfo } | { kind: 'module'; file: string };

/** The key of a file's summary: its length and cyrb53 hash (analysis/incremental.ts). */
export function textHash(text: string): string {
  return `${text.length}:${hash(text)}`;
}

/** Conventional names of a parsed argparse namespace, when the file does not say (`def main(args)`). */
const NAMESPACE_NAMES = new Set(['args', 'opt', 'opts', 'options', 'FLAGS', 'flags', 'hparams', 'hp', 'config', 'cfg']);

export class ProjectIndex {
  private readonly entries = new Map<string, Entry>();
  private resolution: Resolution | undefined;
  private readonly configCache = new Map<string, { hash: string; doc: ConfigDoc }>();
  /** Config texts the editor holds (open, maybe unsaved): they win over the disk. */
  private readonly overlays = new Map<string, string>();
  /** Bumped on every change that can change a resolution. */
  generation = 0;

  constructor(
    /** The folders the project was opened at (module roots besides each file's own ancestors). */
    readonly roots: readonly string[],
    /** Reads a config file from disk; undefined when it cannot be read. */
    private readonly readFile: (file: string) => string | undefined = readSmallFile,
  ) {}

  /** The summary's key for `file`, when it has one. */
  hashOf(file: string): string | undefined {
    return this.entries.get(file)?.hash;
  }

  summaryOf(file: string): FileSummary | undefined {
    return this.entries.get(file)?.summary;
  }

  files(): string[] {
    return [...this.entries.keys()];
  }

  /** Sets a file's summary; returns false when it was the same (nothing to recompute). */
  put(file: string, hash: string, summary: FileSummary): boolean {
    const old = this.entries.get(file);
    if (old && old.hash === hash && JSON.stringify(old.summary) === JSON.stringify(summary)) return false;
    this.entries.set(file, { hash, summary });
    this.changed();
    return true;
  }

  remove(file: string): boolean {
    if (!this.entries.delete(file)) return false;
    this.changed();
    return true;
  }

  /** The editor's text of a config file (undefined: read the disk again). */
  setConfigText(file: string, text: string | undefined): boolean {
    if (text === undefined) this.overlays.delete(file);
    else this.overlays.set(file, text);
    return this.configChanged(file);
  }

  /**
   * A config file changed on disk. Returns whether that can change a resolution: only a file the last
   * one tried to read can (one that no code loads, a `package.json`, changes nothing until some does).
   */
  configChanged(file: string): boolean {
    this.configCache.delete(file);
    if (this.resolution && !this.triedConfigs.has(file)) return false;
    this.changed();
    return true;
  }

  /** The config files the last resolution looked for (found or not). */
  private triedConfigs = new Set<string>();

  private changed(): void {
    this.generation++;
    this.resolution = undefined;
  }

  /** The names of every definition the index knows (calls to them are worth summarizing). */
  definedNames(): Set<string> {
    const out = new Set<string>();
    for (const e of this.entries.values()) for (const d of e.summary.defs) out.add(d.name);
    return out;
  }

  /**
   * Files whose statements not read yet call a name the project defines: they are to be summarized
   * again with `definedNames()` as `wanted` (the CLI's second pass; the server after each change).
   */
  unsettled(): string[] {
    const names = this.definedNames();
    if (!names.size) return [];
    const out: string[] = [];
    for (const [file, e] of this.entries) if (e.summary.pending.some((n) => names.has(n))) out.push(file);
    return out;
  }

  /**
   * Whether summarizing `file` (one `unsettled` names) again with `names` can change the resolution.
   * The second summary differs from the first only in its uses (its config dicts, argparse defaults
   * and config loads are read from the same statements, which hold a value marker, and count only
   * through its uses), and a use counts only when its callee resolves through the file's imports to a
   * definition of another file (`resolve`). So it cannot when: no config dict of the text names a
   * project class, no use it has now resolves (the second summary replaces them), it has no star
   * import of a project module, and no name its imports bind that resolves is a possible callee root
   * (`callRootFacts`: followed by `(`, `.` or `)` in the code, and not bound to a framework module
   * by every import in the code, whose calls are no uses). False answers only those; true otherwise.
   */
  mayGainUses(file: string, text: string, names: ReadonlySet<string>): boolean {
    const s = this.entries.get(file)?.summary;
    if (!s) return true;
    if (typedNames(text).some((n) => names.has(n))) return true;
    const own = new Set(s.defs.map((d) => d.name));
    for (const use of s.uses) {
      if (own.has(use.callee[0])) continue;
      const r = this.resolveChain(file, use.callee);
      if (r?.kind === 'def' && r.file !== file) return true;
    }
    const facts = callRootFacts(text);
    if (!facts) return true;
    for (const imp of s.imports) {
      if (imp.name === '*') {
        if (this.moduleFile(file, imp.module, imp.level)) return true;
        continue;
      }
      if (imp.local.includes('.') || facts.frameworkRoots.has(imp.local)) continue;
      if (this.resolveImported(file, imp.local, 0) && facts.mayCall(imp.local)) return true;
    }
    return false;
  }

  /** Every value that reaches a project function from elsewhere, and every library config dict. */
  resolve(): Resolution {
    if (this.resolution) return this.resolution;
    const out: Resolution = { byTarget: new Map(), library: [], configs: new Map() };
    this.triedConfigs = new Set();
    const byName = new Map<string, { file: string; def: DefInfo }[]>();
    for (const [file, e] of this.entries) for (const def of e.summary.defs) (byName.get(def.name) ?? byName.set(def.name, []).get(def.name)!).push({ file, def });
    for (const [file, e] of this.entries) {
      const s = e.summary;
      if (!s.uses.length && !s.typed.length) continue;
      const own = new Set(s.defs.map((d) => d.name));
      for (const use of s.uses) {
        if (own.has(use.callee[0])) continue; // same-file calls: the interpreter reads them itself
        const r = this.resolveChain(file, use.callee);
        if (r?.kind !== 'def' || r.file === file) continue;
        this.addUse(out, file, s, use, r.file, r.def);
      }
      for (const t of s.typed) {
        const last = t.type.split('.').pop()!;
        const defs = (byName.get(last) ?? []).filter((d) => d.def.kind === 'class');
        const use: UseInfo = { callee: [last], args: [], kwargs: t.kwargs, splat: false, range: t.range };
        if (defs.length) {
          for (const d of defs) this.addUse(out, file, s, use, d.file, d.def, `\`dict(type='${t.type}')\``);
          continue;
        }
        const spelling = librarySpelling(t.type);
        if (!spelling) continue;
        const kwargs: LibraryUse['kwargs'] = [];
        for (const [name, arg] of Object.entries(t.kwargs)) {
          const v = this.value(out, file, s, arg);
          if (v) kwargs.push({ name, ...v });
        }
        out.library.push({ file, range: t.range, spelling, type: t.type, kwargs });
      }
    }
    this.resolution = out;
    return out;
  }

  /** The values that reach the functions of `file`, for the interpreter (interp.ts `ExternalValues`). */
  externalFor(file: string, only?: (s: ValueSource) => boolean): ExternalValues | undefined {
    const sources = this.resolve().byTarget.get(file);
    return sources ? toExternal(only ? sources.filter(only) : sources) : undefined;
  }

  private addUse(out: Resolution, file: string, s: FileSummary, use: UseInfo, targetFile: string, def: DefInfo, what?: string): void {
    const add = (param: string, arg: ArgValue): void => {
      const v = this.value(out, file, s, arg);
      if (!v) return;
      const at = `${this.rel(file)}:${use.range.start.line + 1}`;
      const how = [...v.how, `passed as \`${param}\` to \`${def.name}\` by ${what ?? `\`${use.callee.join('.')}(...)\``} at ${at}`];
      const source: ValueSource = { file: v.file, range: v.range, text: v.text, expr: v.expr, targetFile, target: def.target, param, how };
      if (v.file !== file || !sameRange(v.range, arg.range)) source.via = { file, range: use.range };
      (out.byTarget.get(targetFile) ?? out.byTarget.set(targetFile, []).get(targetFile)!).push(source);
    };
    use.args.forEach((a, i) => {
      if (a && i < def.params.length) add(def.params[i], a);
    });
    for (const [k, a] of Object.entries(use.kwargs)) if (def.params.includes(k)) add(k, a);
  }

  /** What an argument's value is, and where it is written. */
  private value(out: Resolution, file: string, s: FileSummary, arg: ArgValue): { expr: Expr; file: string; range: Range; text: string; how: string[] } | undefined {
    const at = (f: string, r: Range) => `${this.rel(f)}:${r.start.line + 1}`;
    if (arg.k === 'lit') return { expr: arg.expr, file, range: arg.range, text: arg.text, how: [`\`${arg.text}\` written at ${at(file, arg.range)}`] };
    const cfg = [...s.configs].reverse().find((c) => c.name === arg.base);
    if (cfg) {
      const keys = arg.k === 'cfg' ? arg.path : [arg.attr];
      const found = this.configValue(out, file, cfg.file, keys);
      if (!found) return undefined;
      return {
        expr: found.value.expr,
        file: found.file,
        range: found.value.range,
        text: found.value.text,
        how: [`\`${found.keys.join('.')}: ${found.value.text}\` in ${at(found.file, found.value.range)}`, `read as \`${arg.text}\` (${cfg.how === 'hydra' ? 'Hydra config' : `loaded from \`${cfg.file}\``}) at ${at(file, arg.range)}`],
      };
    }
    if (arg.k === 'argparse' && (s.namespaces.includes(arg.base) || NAMESPACE_NAMES.has(arg.base))) {
      const d = [...s.argparse].reverse().find((a) => a.dest === arg.attr);
      if (!d) return undefined;
      return {
        expr: d.value.expr,
        file,
        range: d.value.range,
        text: d.value.text,
        how: [`default \`${d.value.text}\` of the argparse option \`${arg.attr}\` at ${at(file, d.value.range)}`, `read as \`${arg.text}\` at ${at(file, arg.range)}`],
      };
    }
    return undefined;
  }

  /** A config value at `keys` in the file `written` (relative to `from`'s folder, else to a root), Hydra groups included. */
  private configValue(out: Resolution, from: string, written: string, keys: readonly string[]): { file: string; keys: string[]; value: NonNullable<ReturnType<ConfigDoc['lookup']>> } | undefined {
    const candidates = [path.resolve(path.dirname(from), written), ...this.roots.map((r) => path.resolve(r, written))];
    for (const file of candidates) {
      const doc = this.config(out, file);
      if (!doc) continue;
      const value = doc.lookup(keys);
      if (value) return { file, keys: [...keys], value };
      // Hydra: `defaults: [{loss: focal}]` mounts <dir>/loss/focal.yaml under `loss`.
      const option = keys.length > 1 ? doc.defaults.get(keys[0]) : undefined;
      if (option) {
        const groupFile = path.join(path.dirname(file), keys[0], `${option}.yaml`);
        const g = this.config(out, groupFile);
        const v = g?.lookup(keys.slice(1));
        if (v) return { file: groupFile, keys: keys.slice(1), value: v };
      }
      return undefined;
    }
    return undefined;
  }

  private config(out: Resolution, file: string): ConfigDoc | undefined {
    this.triedConfigs.add(file);
    const text = this.overlays.get(file) ?? this.readFile(file);
    if (text === undefined) return undefined;
    const hash = textHash(text);
    let cached = this.configCache.get(file);
    if (!cached || cached.hash !== hash) this.configCache.set(file, (cached = { hash, doc: readConfig(file, text) }));
    out.configs.set(file, cached.doc);
    return cached.doc;
  }

  /** Resolves a dotted callee as written in `file` through its imports (never its own definitions). */
  private resolveChain(file: string, callee: readonly string[]): Resolved | undefined {
    let r = this.resolveImported(file, callee[0], 0);
    for (let i = 1; r && i < callee.length; i++) {
      if (r.kind !== 'module') return undefined;
      r = this.resolveIn(r.file, callee[i], 0);
    }
    return r;
  }

  /** `name` as bound by an import of `file`. */
  private resolveImported(file: string, name: string, depth: number): Resolved | undefined {
    const s = this.entries.get(file)?.summary;
    if (!s || depth > 8) return undefined;
    let imp: ImportInfo | undefined;
    for (let i = s.imports.length - 1; i >= 0; i--) {
      if (s.imports[i].local === name) {
        imp = s.imports[i];
        break;
      }
    }
    if (imp) {
      if (imp.name === undefined) {
        const m = this.moduleFile(file, imp.module, imp.level);
        return m ? { kind: 'module', file: m } : undefined;
      }
      const m = this.moduleFile(file, imp.module, imp.level);
      const inner = m ? this.resolveIn(m, imp.name, depth + 1) : undefined;
      if (inner) return inner;
      const sub = this.moduleFile(file, imp.module ? `${imp.module}.${imp.name}` : imp.name, imp.level);
      return sub ? { kind: 'module', file: sub } : undefined;
    }
    for (const star of s.imports) {
      if (star.name !== '*') continue;
      const m = this.moduleFile(file, star.module, star.level);
      const r = m ? this.resolveIn(m, name, depth + 1) : undefined;
      if (r) return r;
    }
    return undefined;
  }

  /** `name` looked up in module file `file`: its definitions, then its imports (re-exports), then a submodule of a package. */
  private resolveIn(file: string, name: string, depth: number): Resolved | undefined {
    const s = this.entries.get(file)?.summary;
    const def = s?.defs.find((d) => d.name === name);
    if (def) return { kind: 'def', file, def };
    const imported = this.resolveImported(file, name, depth + 1);
    if (imported) return imported;
    if (path.basename(file) === '__init__.py') {
      const dir = path.dirname(file);
      for (const c of [path.join(dir, `${name}.py`), path.join(dir, name, '__init__.py')]) if (this.entries.has(c)) return { kind: 'module', file: c };
    }
    return undefined;
  }

  /** The project file of module `module` imported from `from` (relative with `level` dots), if the project has it. */
  moduleFile(from: string, module: string, level: number): string | undefined {
    return moduleCandidates(from, module, level, this.roots).find((c) => this.entries.has(c));
  }

  /** A path as shown in messages: relative to the first root that holds it. */
  rel(file: string): string {
    for (const r of this.roots) {
      const rel = path.relative(r, file);
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
    }
    return file;
  }
}

const packageDirs = new Map<string, boolean>();

/** The dotted module name of a file from the packages above it (folders with an `__init__.py`): `torch/nn/functional.py` -> `torch.nn.functional`. */
export function moduleNameOf(file: string): string {
  return packagedName(file, (dir) => {
    let isPackage = packageDirs.get(dir);
    if (isPackage === undefined) {
      isPackage = fs.existsSync(path.join(dir, '__init__.py'));
      if (packageDirs.size > 10_000) packageDirs.clear();
      packageDirs.set(dir, isPackage);
    }
    return isPackage;
  }).name;
}


function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

/** The library class an mmdet `type=` names (mmdet's, then mmcv's registry names), when the op table has it. */
function librarySpelling(type: string): Spelling | undefined {
  const name = type.split('.').pop()!;
  for (const prefix of ['mmdet.models.losses', 'mmcv.ops', 'mmdet.models']) {
    const s = resolveQualified(`${prefix}.${name}`);
    if (s && s.kind === 'module') return s;
  }
  return undefined;
}

/**
 * Sources grouped as the interpreter takes them, each distinct value once per parameter (a loss built
 * at hundreds of call sites with the same gamma gets that gamma once: the interpreter joins values as a
 * set, and it runs this list on every keystroke in the loss's file).
 */
export function toExternal(sources: readonly ValueSource[]): ExternalValues | undefined {
  if (!sources.length) return undefined;
  const out = new Map<string, Map<string, Expr[]>>();
  const seen = new Set<string>();
  for (const s of sources) {
    const key = `${s.target}\u0000${s.param}\u0000${JSON.stringify(s.expr, (k, v) => (k === 'span' ? undefined : v))}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let m = out.get(s.target);
    if (!m) out.set(s.target, (m = new Map()));
    const list = m.get(s.param) ?? [];
    list.push(s.expr);
    m.set(s.param, list);
  }
  return out;
}
