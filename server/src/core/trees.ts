/**
 * Dropping the trees of documents parsed for one pass (a file of `losslint check`, the project index).
 *
 * A tree of tree-sitter's Node binding holds native memory, about 25 bytes per character of text,
 * that V8 does not see: it is freed only when a garbage collection finds the tree's small JS wrapper
 * dead and the binding's finalizer runs. The heap of a batch stays small (tens of MB), so V8 seldom
 * runs a full collection, the wrappers are old by then, and the trees of hundreds of files pile up
 * (the server's index of the torch tree, 155 parsed files: about 100 MB of dropped trees at once).
 * `releaseTree` frees a tree now where the binding can (web-tree-sitter's `delete`); otherwise it
 * counts the dropped tree's text, and once the count passes `DROPPED_TEXT_BUDGET` it asks V8 for a
 * full collection, run as a task of its own (`execution: 'async'`), so the caller is not blocked.
 * An editor's open documents are never released here: their trees are kept for incremental parses.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Tree } from './document';

/** Characters of dropped trees' texts between two collections (about 25 MB of native trees). */
export const DROPPED_TEXT_BUDGET = 1_000_000;

/**
 * V8's gc(): without options a full collection; `{ type: 'minor' }` the young generation only;
 * `{ execution: 'async' }` a full one run as a task of its own. (Node 20's V8 reads a synchronous
 * `{ type: 'major' }` as minor: measured, 30 trees of an 875 KB file dropped, 298 MB RSS against
 * 203 MB for a full collection.)
 */
export type Collect = (options?: { type?: 'minor'; execution?: 'sync' | 'async' }) => unknown;

let dropped = 0;
let budget = DROPPED_TEXT_BUDGET;
let collector: Collect | null | undefined;

let v8Collector: Collect | null | undefined;

/**
 * V8's `gc` function: the global one under `--expose-gc`, else the one a fresh context gets once the
 * flag is set (the way jest's leak detector gets it); null where neither works. Shared with the
 * server's idle-time young-generation collection (lsp/idle-gc.ts).
 */
export function v8Gc(): Collect | null {
  if (v8Collector !== undefined) return v8Collector;
  const global = (globalThis as { gc?: Collect }).gc;
  if (typeof global === 'function') return (v8Collector = global);
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    v8Collector = typeof fn === 'function' ? (fn as Collect) : null;
  } catch {
    v8Collector = null;
  }
  return v8Collector;
}

function gcFunction(): Collect | null {
  return collector !== undefined ? collector : v8Gc();
}

/** For tests: the collector to call instead of V8's (null: none; undefined: V8's), a budget, and the count reset. */
export function setCollectorForTesting(fn: Collect | null | undefined, textBudget = DROPPED_TEXT_BUDGET): void {
  collector = fn;
  budget = textBudget;
  dropped = 0;
}

/**
 * The caller holds no reference to `tree` any more (nor to nodes of it). Returns whether a
 * collection was asked for.
 */
export function releaseTree(tree: Tree, textLength: number): boolean {
  const own = (tree as unknown as { delete?: () => void }).delete;
  if (typeof own === 'function') {
    own.call(tree);
    return false;
  }
  return treeDropped(textLength);
}

/**
 * A tree of a text of `textLength` characters was dropped where something else may still hold it
 * (an editor's document closed or made dormant: an analysis in flight may still read it), so it is
 * only counted, never deleted. Returns whether a collection was asked for.
 */
export function treeDropped(textLength: number): boolean {
  dropped += textLength;
  if (dropped < budget) return false;
  dropped = 0;
  const gc = gcFunction();
  if (!gc) return false;
  try {
    void Promise.resolve(gc({ execution: 'async' })).catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}
