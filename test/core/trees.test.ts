import { afterEach, describe, expect, it } from 'vitest';
import { ParsedDocument, type Tree } from '../../server/src/core/document';
import { DROPPED_TEXT_BUDGET, releaseTree, setCollectorForTesting, treeDropped } from '../../server/src/core/trees';

type Call = { type?: string; execution?: string } | undefined;

function recording(): { calls: Call[]; fn: (o?: Call) => void } {
  const calls: Call[] = [];
  return { calls, fn: (o) => void calls.push(o) };
}

afterEach(() => setCollectorForTesting(undefined));

describe('releaseTree', () => {
  it('asks for one asynchronous full collection each time the dropped texts pass the budget', () => {
    const gc = recording();
    setCollectorForTesting(gc.fn);
    const doc = ParsedDocument.parse('import torch\nx = torch.sigmoid(y)\n');
    const step = Math.ceil(DROPPED_TEXT_BUDGET / 4);
    const asked = [1, 2, 3, 4, 5, 6, 7, 8].map(() => releaseTree(doc.tree, step));
    expect(asked).toEqual([false, false, false, true, false, false, false, true]);
    expect(gc.calls).toEqual([
      { execution: 'async' },
      { execution: 'async' },
    ]);
  });

  it('frees a tree that can free itself now, without counting it', () => {
    const gc = recording();
    setCollectorForTesting(gc.fn);
    let deleted = 0;
    const own = { delete: () => void deleted++ } as unknown as Tree;
    for (let i = 0; i < 3; i++) expect(releaseTree(own, DROPPED_TEXT_BUDGET)).toBe(false);
    expect(deleted).toBe(3);
    expect(gc.calls).toEqual([]);
  });

  it('does nothing where no collector can be had', () => {
    setCollectorForTesting(null);
    const doc = ParsedDocument.parse('x = 1\n');
    expect(releaseTree(doc.tree, DROPPED_TEXT_BUDGET * 2)).toBe(false);
  });

  it("gets V8's collector in a process started without --expose-gc", async () => {
    // vitest's workers run without the flag: the collector comes from a fresh context.
    setCollectorForTesting(undefined);
    const doc = ParsedDocument.parse('x = 1\n');
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    expect(releaseTree(doc.tree, DROPPED_TEXT_BUDGET)).toBe(true);
  });
});

describe('treeDropped', () => {
  it('counts a tree something else may still hold, never deleting it', () => {
    const gc = recording();
    setCollectorForTesting(gc.fn);
    expect(treeDropped(DROPPED_TEXT_BUDGET - 1)).toBe(false);
    expect(treeDropped(1)).toBe(true);
    expect(gc.calls).toHaveLength(1);
  });
});
