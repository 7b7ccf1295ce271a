/**
 * Functions a loss imports from other files of its project (mmdetection's `weight_reduce_loss` from
 * `..utils`, a `one_hot_embedding` from `utils`): the numeric checker runs them as it runs the
 * checked file's own helpers, each in an evaluator of its own module (eval.ts `EvalOptions.imported`).
 *
 * A name is looked up through the imports of the file that uses it (core/modules.ts: relative ones
 * included, which the IR does not keep), the module found on disk among the candidates Python's path
 * would try from that file's folder, built into its IR (module-of.ts) and searched for a top-level
 * function of that name, following re-exports (`from .utils import f` in a package's `__init__.py`).
 * Only `def` functions are taken: a class, a constant or anything the module computes at import time
 * stays unsupported. Nothing is imported or run: the other file is read as text, like the checked one,
 * and its function passes the same security scan (gate.ts) before it is called.
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

export interface ImportResolver {
  /**
   * The project function that `name` denotes in this file: `name` is either the qualified name its
   * absolute imports give a callee (`losses.utils.weight_reduce_loss`) or a bare name the IR left
   * unbound (bound by a relative import: `from .utils import weight_reduce_loss`).
   */
  resolve(name: string): ImportedFunction | undefined;
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
    return this.lookup(name, 0);
  }

  private lookup(name: string, hops: number): ImportedFunction | undefined {
    if (hops > MAX_HOPS) return undefined;
    const imports = this.imports();
    if (!name.includes('.')) {
      // A bare name: bound by `from <dots>M import name [as local]` (the IR resolves absolute ones to a qualified name).
      for (let i = imports.length - 1; i >= 0; i--) {
        const imp = imports[i];
        if (imp.local !== name || imp.name === undefined || imp.name === '*') continue;
        return this.inModule(this.moduleFile(imp.module, imp.level), imp.name, hops);
      }
      for (const star of imports) {
        if (star.name !== '*') continue;
        const r = this.inModule(this.moduleFile(star.module, star.level), name, hops);
        if (r) return r;
      }
      return undefined;
    }
    // A qualified name: a project module, then one function name in it (`pkg.mod.Class.method` is not taken).
    const parts = name.split('.');
    const fnName = parts.pop()!;
    return this.inModule(this.moduleFile(parts.join('.'), 0), fnName, hops);
  }

  private moduleFile(module: string, level: number): string | undefined {
    return moduleCandidates(this.file, module, level, this.modules.roots).find((c) => this.modules.load(c) !== undefined);
  }

  /** Function `name` of module file `file`, or what that module imports under that name. */
  private inModule(file: string | undefined, name: string, hops: number): ImportedFunction | undefined {
    if (!file || path.resolve(file) === path.resolve(this.file)) return undefined;
    const mod = this.modules.module(file);
    if (!mod) return undefined;
    const there = new FileResolver(this.modules, file);
    const fn = mod.functions.find((f) => f.name === name && !f.className && !f.parent);
    if (fn) return { file, mod, fn, imports: there };
    // A re-export: `from .utils import f` (relative, unbound in the IR) or `from pkg.utils import f`.
    return there.lookup(mod.imports.get(name) ?? name, hops + 1);
  }
}

/**
 * The resolver of `file` (an absolute path). `text` is the file's text when the caller holds it (it
 * may differ from the disk: the editor's buffer); other files are read from disk. `roots`: the
 * folders the project was opened at (absolute imports are also tried from there).
 */
export function importResolver(file: string, text?: string, roots: readonly string[] = [], readText: (file: string) => string | undefined = readSmallFile): ImportResolver {
  return new FileResolver(new Modules(roots, readText), path.resolve(file), text !== undefined ? importsFromText(text) : undefined);
}
