/**
 * Gitignore-style glob matching relative to a root directory, for `exclude`, `per-file-ignores`
 * and `.gitignore` files. A pattern without a slash matches a name at any depth (`__init__.py`),
 * one with a slash is anchored at the root (`tests/*`), and a match on a directory covers
 * everything below it.
 */
import ignore from 'ignore';
import * as path from 'node:path';

export class GlobSet {
  private readonly matcher: ignore.Ignore;

  constructor(
    /** The directory the patterns are relative to. */
    readonly root: string,
    patterns: readonly string[],
  ) {
    this.matcher = ignore().add([...patterns]);
  }

  /** Whether an absolute path matches; paths outside the root never do. */
  matches(absolutePath: string, isDirectory: boolean): boolean {
    return this.verdict(absolutePath, isDirectory) === 'matched';
  }

  /**
   * Like `matches`, but also tells a path that a negated pattern (`!keep.py`) brings back, which
   * is what stacked .gitignore files need: a deeper file's verdict overrides a shallower one's.
   */
  verdict(absolutePath: string, isDirectory: boolean): 'matched' | 'negated' | undefined {
    const relative = path.relative(this.root, absolutePath).split(path.sep).join('/');
    if (relative === '' || !ignore.isPathValid(relative)) return undefined;
    const result = this.matcher.test(isDirectory ? `${relative}/` : relative);
    if (result.ignored) return 'matched';
    return result.unignored ? 'negated' : undefined;
  }
}
