/**
 * Where a Python import finds its module among the project's files: the candidate paths of
 * `from <dots><module> import ...` written in file `from`, in the order Python's path would try them
 * for a project run from its own folders. Pure path logic, shared by the project index
 * (project/index.ts, which asks which candidate it has indexed) and the numeric checker's helpers
 * from other files (numeric/imported.ts, which asks the disk); with the imports read from a file's text
 * and the one reader of a small file from disk both use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The files that may hold module `module` imported from `from` (relative with `level` leading dots),
 * first match wins: `<base>/a/b.py`, then `<base>/a/b/__init__.py`, for each base. A relative import
 * has one base (the folder `level - 1` levels above `from`'s); an absolute one the script's folder,
 * each folder above it up to a root (a `src/` layout, a run from the project root), then the roots.
 * `from . import x` (an empty module) is the base's `__init__.py`.
 */
export function moduleCandidates(from: string, module: string, level: number, roots: readonly string[]): string[] {
  const parts = module ? module.split('.') : [];
  const bases: string[] = [];
  if (level > 0) {
    let dir = path.dirname(from);
    for (let i = 1; i < level; i++) dir = path.dirname(dir);
    bases.push(dir);
  } else {
    for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
      bases.push(dir);
      if (roots.includes(dir) || path.dirname(dir) === dir) break;
    }
    for (const r of roots) if (!bases.includes(r)) bases.push(r);
  }
  const out: string[] = [];
  for (const base of bases) {
    if (parts.length === 0) {
      out.push(path.join(base, '__init__.py'));
      continue;
    }
    const joined = path.join(base, ...parts);
    out.push(`${joined}.py`, path.join(joined, '__init__.py'));
  }
  return out;
}

/**
 * The dotted module name of a file from the packages above it (folders with an `__init__.py`), and
 * the folder that must be on Python's path to import it by that name: `<root>/torch/nn/functional.py`
 * -> `torch.nn.functional` under `<root>`.
 */
export function packagedName(file: string, isPackage: (dir: string) => boolean): { name: string; root: string } {
  const parts = [path.basename(file, path.extname(file))];
  if (parts[0] === '__init__') parts.pop();
  let dir = path.dirname(file);
  for (; path.dirname(dir) !== dir && isPackage(dir); dir = path.dirname(dir)) parts.unshift(path.basename(dir));
  return { name: parts.join('.'), root: dir };
}

/** One binding an import statement makes in a file. */
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

/** A file's text from disk when it is a regular file of at most 2 MB, else undefined (never throws). */
export function readSmallFile(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 2_000_000) return undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
