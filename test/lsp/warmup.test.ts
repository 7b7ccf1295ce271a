/**
 * lsp/warmup.ts: the warm-up types real keystrokes into its own document (the same path as an
 * editor's), ends after its budget or at once when stopped, and reports how it ended.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../server/src/analysis/analyze';
import { ParsedDocument } from '../../server/src/core/document';
import { DEFAULT_SETTINGS } from '../../server/src/core/types';
import { Warmup, warmupEdits, warmupEnabled, WARMUP_SOURCE, type WarmupEnd } from '../../server/src/lsp/warmup';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('warm-up keystrokes', () => {
  it('type three statements into a loss function one character at a time, then remove them', () => {
    const doc = ParsedDocument.parse(WARMUP_SOURCE);
    const edits = warmupEdits();
    const texts: string[] = [];
    for (;;) {
      const { value } = edits.next();
      doc.applyChanges([value!]);
      texts.push(doc.text);
      if (doc.text === WARMUP_SOURCE) break;
      expect(texts.length).toBeLessThan(500);
    }
    // Back to the source after one round; in between, the statements as typed.
    const full = texts[texts.length - 2];
    expect(full).toContain('    pt = torch.exp(-ce)\n    mod = (1 - pt) ** gamma\n    weighted = alpha * mod * ce\n    total = weighted.sum() / max(1, labels.numel())\n    loss = alpha');
    // Every edit is one keystroke: at most five characters more (Enter with the indentation).
    for (let i = 1; i < texts.length - 1; i++) expect(texts[i].length - texts[i - 1].length).toBeLessThanOrEqual(5);
    // A fresh parse of the edited tree's text reads the same as the edited tree.
    expect(doc.tree.rootNode.toString()).toBe(ParsedDocument.parse(doc.text).tree.rootNode.toString());
  });

  it('run on loss code the rules have findings in', () => {
    const codes = analyze(ParsedDocument.parse(WARMUP_SOURCE), DEFAULT_SETTINGS).map((f) => f.code);
    expect(codes.length).toBeGreaterThan(0);
  });
});

describe('Warmup', () => {
  it('types its budget of keystrokes, one per event-loop turn, then reports done', async () => {
    const ends: WarmupEnd[] = [];
    const w = new Warmup(40, (end) => ends.push(end));
    w.start();
    expect(w.count).toBe(0); // nothing in the caller's turn
    await tick();
    expect(w.count).toBe(1);
    await tick();
    expect(w.count).toBe(2);
    while (!w.done) await tick();
    expect(w.count).toBe(40);
    expect(ends).toEqual([{ keystrokes: 40, busyMs: expect.any(Number), why: 'done' }]);
    w.stop();
    expect(ends).toHaveLength(1);
  });

  it('stops at once and for good', async () => {
    const ends: WarmupEnd[] = [];
    const w = new Warmup(400, (end) => ends.push(end));
    w.start();
    await tick();
    await tick();
    await tick();
    w.stop();
    const typed = w.count;
    expect(typed).toBe(3);
    for (let i = 0; i < 5; i++) await tick();
    expect(w.count).toBe(typed);
    w.start();
    await tick();
    expect(w.count).toBe(typed);
    expect(ends).toEqual([{ keystrokes: 3, busyMs: expect.any(Number), why: 'stopped' }]);
  });

  it('does nothing when stopped before it starts', async () => {
    const ends: WarmupEnd[] = [];
    const w = new Warmup(400, (end) => ends.push(end));
    w.stop();
    w.start();
    await tick();
    expect(w.count).toBe(0);
    expect(ends).toEqual([]);
  });

  it('is on unless LOSSLINT_WARMUP=0', () => {
    expect(warmupEnabled({})).toBe(true);
    expect(warmupEnabled({ LOSSLINT_WARMUP: '1' })).toBe(true);
    expect(warmupEnabled({ LOSSLINT_WARMUP: '0' })).toBe(false);
  });
});
