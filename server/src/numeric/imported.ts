/**
 * Functions a loss imports from other files of its project (mmdetection's `weight_reduce_loss` from
 * `..utils`, a `one_hot_embedding` from `utils`): the numeric checker runs them as it runs the
 * checked file's own helpers, each in an evaluator of its own module (eval.ts `EvalOptions.imported`).
 *
 * A name is looked up through the imports of the file that uses it (core/modules.ts: relative ones
 * included, which the IR does not keep), the module found on disk among the candidates Python's path
 * would try from that file's folder, built into its IR (module-of.ts) and searched for a top-level
 * function of that name, following re-exports (`from .utils import f` in a package's `__init__.py`).
 * A module-level value of such a module (`cfg.focal_loss_alpha` of `import config as cfg`, `ALPHA` of
 * `from .config import ALPHA`) is found the same way (`resolveGlobal`) and evaluated by that module's
 * evaluator, through the same whitelist and security scan as the checked file's own globals. A class
 * or anything else the module computes at import time stays unsupported. Nothing is imported or run:
 * the other file is read as text, like the checked one, and its function passes the same security scan
 * (gate.ts) before it is called. Where a project import's module is not on disk, `missing` says which
 * module and which files were looked for, for the refusal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FunctionIR, ModuleIR } from '../core/ir';
import { importsFromText, moduleCandidates, readSmallFile, type ImportInfo } from '../core/modules';
import { moduleOf } from './module-of';

/** A function of another project file, with the imports of that file (to resolve what it calls in turn). */
export interface ImportedFunction {
  file: string;
  mod: ModuleIR;
  fn: FunctionIR;
  imports: ImportResolver;
}

/** A module-level value (`name = ...` at the top of the file) of another project file. */
export interface ImportedGlobal {
  file: string;
  mod: ModuleIR;
  name: string;
  imports: ImportResolver;
}

export interface ImportResolver {
  /**
   * The project function that `name` denotes in this file: `name` is either the qualified name its
   * absolute imports give a callee (`losses.utils.weight_reduce_loss`) or a bare name the IR left
   * unbound (bound by a relative import: `from .utils import weight_reduce_loss`).
   */
  resolve(name: string): ImportedFunction | undefined;
  /** The module-level value that `name` denotes in this file (spelt as for `resolve`). */
  resolveGlobal(name: string): ImportedGlobal | undefined;
  /**
   * Why `name` (spelt as for `resolve`), bound by an import of a project module, names nothing runnable:
   * the module and the files looked for (`module ..ops.missing: no detlib/ops/missing.py or
   * detlib/ops/missing/__init__.py`), or that it is a class of a project file (found, not run from
   * another file). Undefined where the import is not a project's (an absolute import whose first
   * package the project does not hold: a library) or where the module is there.
   */
  missing(name: string): string | undefined;
  /**
   * Whether the module `name` (spelt as for `resolve`) is read from is a file on disk: the longest
   * module its dotted parts spell that has one (`config.configs.config.TRAIN.ALPHA` is read from
   * config/configs.py where that is there). False for a module the project does not hold.
   */
  located(name: string): boolean;
  /** Whether bare `name` is a project module bound by `from <dots>pkg import name` (a submodule: `from . import utils`). */
  isModule(name: string): boolean;
  /** The files read so far, with their sizes and modification times (fileStamp: what a cached result depends on). */
  readonly read: ReadonlyMap<string, string>;
}

/** Re-exports followed at most (a cycle of `from .a import f` / `from .b import f` ends here). */
const MAX_HOPS = 8;

interface Loaded {
  text: string;
  imports: ImportInfo[];
  mod?: ModuleIR | null;
}

/** The modules read for one check, shared by the resolvers of every file it reaches. */
class Modules {
  private readonly files = new Map<string, Loaded | null>();
  readonly read = new Map<string, string>();

  constructor(
    readonly roots: readonly string[],
    private readonly readText: (file: string) => string | undefined,
  ) {}

  load(file: string): Loaded | undefined {
    let l = this.files.get(file);
    if (l === undefined) {
      const text = this.readText(file);
      l = text === undefined ? null : { text, imports: importsFromText(text) };
      this.files.set(file, l);
      if (text !== undefined) this.read.set(file, fileStamp(file));
    }
    return l ?? undefined;
  }

  module(file: string): ModuleIR | undefined {
    const l = this.load(file);
    if (!l) return undefined;
    if (l.mod === undefined) {
      try {
        l.mod = moduleOf(l.text);
      } catch {
        l.mod = null;
      }
    }
    return l.mod ?? undefined;
  }
}

/** What a cached result read of `file` depends on: its size and modification time (`''` once it is gone). */
export function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}


class FileResolver implements ImportResolver {
  constructor(
    private readonly modules: Modules,
    private readonly file: string,
    /** The file's imports when its text is given rather than read (the editor's unsaved text). */
    private readonly ownImports?: ImportInfo[],
  ) {}

  get read(): ReadonlyMap<string, string> {
    return this.modules.read;
  }

  private imports(): ImportInfo[] {
    return this.ownImports ?? this.modules.load(this.file)?.imports ?? [];
  }

  resolve(name: string): ImportedFunction | undefined {
    return this.lookup(name, 0, functionIn);
  }

  resolveGlobal(name: string): ImportedGlobal | undefined {
    return this.lookup(name, 0, globalIn);
  }

  missing(name: string): string | undefined {
    const w = this.where(name);
    if (!w) return undefined;
    let { module } = w;
    let cands = moduleCandidates(this.file, module, w.level, this.modules.roots);
    const found = cands.find((c) => this.modules.load(c) !== undefined);
    if (found) {
      // A class there: found, but not run from another file (its instances would need that module's evaluator).
      const name = w.member ?? w.last;
      if (name && this.modules.module(found)?.classes.has(name)) return `a class of ${path.relative(path.dirname(this.file), found)}, which the check does not run from another file`;
      // `from pkg import sub`: a name of the package, else its submodule (`pkg/sub.py`), as Python looks.
      if (!w.member || this.holds(found, w.member)) return undefined;
      module = module ? `${module}.${w.member}` : w.member;
      cands = moduleCandidates(this.file, module, w.level, this.modules.roots);
      if (cands.some((c) => this.modules.load(c) !== undefined)) return undefined;
    } else if (w.level === 0) {
      // An absolute import is the project's only where its first package is (else a library's, or absent from both).
      const tops = moduleCandidates(this.file, module.split('.')[0], 0, this.modules.roots);
      if (!tops.some((c) => fs.existsSync(path.basename(c) === '__init__.py' ? path.dirname(c) : c))) return undefined;
    }
    const here = path.dirname(this.file);
    const shown = cands.slice(0, 2).map((c) => path.relative(here, c) || c);
    return `module ${'.'.repeat(w.level)}${module} not found: no ${shown.join(' or ')}`;
  }

  located(name: string): boolean {
    const w = this.where(name);
    if (!w) return false;
    const parts = [...(w.module ? w.module.split('.') : []), ...(w.member ? [w.member] : [])];
    for (let k = parts.length; k >= (w.level ? 0 : 1); k--) if (this.moduleFile(parts.slice(0, k).join('.'), w.level)) return true;
    return false;
  }

  isModule(name: string): boolean {
    if (name.includes('.')) return false;
    const w = this.where(name);
    if (!w?.member) return false;
    const pkg = this.moduleFile(w.module, w.level);
    if (pkg && this.holds(pkg, w.member)) return false;
    return this.moduleFile(w.module ? `${w.module}.${w.member}` : w.member, w.level) !== undefined;
  }

  /** Whether module file `file` defines or imports `name`. */
  private holds(file: string, name: string): boolean {
    const mod = this.modules.module(file);
    if (!mod) return false;
    return mod.functions.some((f) => f.name === name && !f.className && !f.parent) || mod.classes.has(name) || mod.globals.has(name) || (this.modules.load(file)?.imports ?? []).some((i) => i.local === name);
  }

  /**
   * The module `name` is read from, spelt as an import: a bare name bound by `from <dots>M import
   * name` is member `name` of module M (which may be a submodule, `from . import utils`); a qualified
   * name is its last part in the module its other parts spell, where a first part bound by a relative
   * `from <dots>M import sub` stands for that submodule (`utils.f` of `from . import utils`).
   */
  private where(name: string): { module: string; level: number; member?: string; last?: string } | undefined {
    const imports = this.imports();
    const parts = name.split('.');
    if (parts.length === 1) {
      for (let i = imports.length - 1; i >= 0; i--) {
        const imp = imports[i];
        if (imp.local === name && imp.name !== undefined && imp.name !== '*') return { module: imp.module, level: imp.level, member: imp.name };
      }
      return undefined;
    }
    const last = parts.pop()!;
    for (let i = imports.length - 1; i >= 0; i--) {
      const imp = imports[i];
      if (imp.local !== parts[0] || imp.name === undefined || imp.name === '*' || imp.level === 0) continue;
      return { module: [imp.module, imp.name, ...parts.slice(1)].filter(Boolean).join('.'), level: imp.level, last };
    }
    // Absolute: the IR spelt it from this file's imports (`cfg.x` of `import config as cfg` is `config.x`).
    const module = parts.join('.');
    const bound = imports.some((imp) => imp.level === 0 && (imp.name === undefined ? module === imp.module || module.startsWith(`${imp.module}.`) : (module === imp.module && last === imp.name) || module === `${imp.module}.${imp.name}` || module.startsWith(`${imp.module}.${imp.name}.`)));
    return bound ? { module, level: 0, last } : undefined;
  }

  private lookup<T>(name: string, hops: number, pick: Pick<T>): T | undefined {
    if (hops > MAX_HOPS) return undefined;
    const imports = this.imports();
    if (!name.includes('.')) {
      // A bare name: bound by `from <dots>M import name [as local]` (the IR resolves absolute ones to a qualified name).
      for (let i = imports.length - 1; i >= 0; i--) {
        const imp = imports[i];
        if (imp.local !== name || imp.name === undefined || imp.name === '*') continue;
        return this.inModule(this.moduleFile(imp.module, imp.level), imp.name, hops, pick);
      }
      for (const star of imports) {
        if (star.name !== '*') continue;
        const r = this.inModule(this.moduleFile(star.module, star.level), name, hops, pick);
        if (r) return r;
      }
      return undefined;
    }
    // A qualified name: a project module, then one name in it (`pkg.mod.Class.method` is not taken).
    const w = this.where(name);
    if (w?.level) return this.inModule(this.moduleFile(w.module, w.level), w.last!, hops, pick);
    const parts = name.split('.');
    const last = parts.pop()!;
    return this.inModule(this.moduleFile(parts.join('.'), 0), last, hops, pick);
  }

  private moduleFile(module: string, level: number): string | undefined {
    return moduleCandidates(this.file, module, level, this.modules.roots).find((c) => this.modules.load(c) !== undefined);
  }

  /** What `pick` finds under `name` in module file `file`, or in what that module imports under that name. */
  private inModule<T>(file: string | undefined, name: string, hops: number, pick: Pick<T>): T | undefined {
    if (!file || path.resolve(file) === path.resolve(this.file)) return undefined;
    const mod = this.modules.module(file);
    if (!mod) return undefined;
    const there = new FileResolver(this.modules, file);
    const found = pick(file, mod, name, there);
    if (found) return found;
    // Defined there under that name (a function, a class, a value): not a re-export.
    if (mod.functions.some((f) => f.name === name && !f.className && !f.parent) || mod.classes.has(name) || mod.globals.has(name)) return undefined;
    // A re-export: `from .utils import f` (relative, unbound in the IR) or `from pkg.utils import f`.
    return there.lookup(mod.imports.get(name) ?? name, hops + 1, pick);
  }
}

/** What a module file holds under a name, for `FileResolver.lookup`. */
type Pick<T> = (file: string, mod: ModuleIR, name: string, imports: ImportResolver) => T | undefined;

const functionIn: Pick<ImportedFunction> = (file, mod, name, imports) => {
  const fn = mod.functions.find((f) => f.name === name && !f.className && !f.parent);
  return fn ? { file, mod, fn, imports } : undefined;
};

const globalIn: Pick<ImportedGlobal> = (file, mod, name, imports) => (mod.globals.has(name) && !mod.functions.some((f) => f.name === name && !f.className && !f.parent) ? { file, mod, name, imports } : undefined);

/**
 * The resolver of `file` (an absolute path). `text` is the file's text when the caller holds it (it
 * may differ from the disk: the editor's buffer); other files are read from disk. `roots`: the
 * folders the project was opened at (absolute imports are also tried from there).
 */
export function importResolver(file: string, text?: string, roots: readonly string[] = [], readText: (file: string) => string | undefined = readSmallFile): ImportResolver {
  return new FileResolver(new Modules(roots, readText), path.resolve(file), text !== undefined ? importsFromText(text) : undefined);
}
