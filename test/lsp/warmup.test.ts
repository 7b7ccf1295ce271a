/**
 * lsp/warmup.ts: the warm-up types real keystrokes into its own document (the same path as an
 * editor's), ends after its budget or at once when stopped, and reports how it ended. The document
 * warm-up types keystrokes into an opened document and takes them back (lint.ts `rehearse`), which
 * must leave nothing changed.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../server/src/core/analyze';
import { ParsedDocument } from '../../server/src/core/document';
import { DEFAULT_SETTINGS } from '../../server/src/core/types';
import { IncrementalAnalyzer } from '../../server/src/core/incremental';
import { DocumentStore } from '../../server/src/lsp/documents';
import type { Log } from '../../server/src/lsp/guard';
import { Linter } from '../../server/src/lsp/lint';
import { DEFAULT_NUMERIC, type ServerSettings, type SettingsStore } from '../../server/src/lsp/settings';
import { DocumentWarmup, Warmup, warmupEdits, warmupEnabled, WARMUP_SOURCE, type WarmupEnd } from '../../server/src/lsp/warmup';
// @ts-expect-error: plain JavaScript bench helpers
import { genLossFile } from '../../bench/gen-loss-file.mjs';
// @ts-expect-error: plain JavaScript bench helpers
import { typingEdits } from '../../bench/typing.mjs';

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

/** A Linter over a real DocumentStore, with the default settings (no editor, no pyproject). */
function linterFor(): { store: DocumentStore; linter: Linter; errors: string[] } {
  const store = new DocumentStore();
  const errors: string[] = [];
  const log = { log: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => errors.push(m) } as unknown as Log;
  const settings: ServerSettings = { enable: true, lint: DEFAULT_SETTINGS, numeric: DEFAULT_NUMERIC, excluded: false, configPath: undefined, maxFileSize: 2_000_000 };
  const settingsStore = { generation: 0, get: async () => settings } as unknown as SettingsStore;
  return { store, linter: new Linter(store, settingsStore, log), errors };
}

describe('the document warm-up (Linter.rehearse)', () => {
  const text = genLossFile(600).replaceAll('gamma=2.0, reduction', 'gamma=0.5, reduction');
  const uri = 'file:///losses.py';

  it('types a keystroke into the open document and takes it back: text, version, tree and findings as before', async () => {
    const { store, linter, errors } = linterFor();
    const doc = store.open(uri, 7, text);
    const before = await linter.lint(uri);
    expect(before!.findings.length).toBeGreaterThan(3);
    const revision = doc.parsedDocument!.revision;
    for (let i = 0; i < 5; i++) expect(await linter.rehearse(uri)).toBe(true);
    // Two edits per rehearsal went through the document's tree ...
    expect(doc.parsedDocument!.revision).toBe(revision + 10);
    // ... and left it as it was.
    expect(doc.text).toBe(text);
    expect(doc.version).toBe(7);
    expect(doc.parsedDocument!.tree.rootNode.toString()).toBe(ParsedDocument.parse(text).tree.rootNode.toString());
    expect(await linter.lint(uri)).toBe(before);
    expect(analyze(doc.parsedDocument!, DEFAULT_SETTINGS)).toEqual(before!.findings);
    expect(errors).toEqual([]);
  });

  it('leaves the analyzer carrying its plan over to the next real keystroke, with the findings of a fresh parse', async () => {
    const { store, linter } = linterFor();
    const doc = store.open(uri, 1, text);
    await linter.lint(uri);
    for (let i = 0; i < 3; i++) await linter.rehearse(uri);
    // The next keystrokes, as an editor sends them.
    const inc = (linter as unknown as { incremental: WeakMap<object, IncrementalAnalyzer> }).incremental.get(doc)!;
    let version = 1;
    for (const change of typingEdits(doc.text, 40, { autoClose: true, enter: true }).slice(0, 40)) {
      doc.applyChanges([change], ++version);
      const got = await linter.lint(uri);
      expect(inc.lastStats().carried).toBe(true);
      expect(got!.findings).toEqual(analyze(ParsedDocument.parse(doc.text), DEFAULT_SETTINGS));
    }
  });

  it('does nothing on a document with no function, one not analysed yet, or one closed', async () => {
    const { store, linter } = linterFor();
    store.open('file:///a.py', 1, 'import torch\nx = torch.ones(3)\n');
    await linter.lint('file:///a.py');
    expect(await linter.rehearse('file:///a.py')).toBe(false);
    store.open(uri, 1, text);
    expect(await linter.rehearse(uri)).toBe(false); // not analysed yet: no analyzer to warm
    await linter.lint(uri);
    store.close(uri);
    expect(await linter.rehearse(uri)).toBe(false);
  });
});

describe('DocumentWarmup', () => {
  it('rehearses one keystroke per event-loop turn until its budget, then reports how many', async () => {
    const ends: number[] = [];
    let calls = 0;
    const w = new DocumentWarmup(async () => (++calls, true), 5, (typed) => ends.push(typed));
    w.start();
    expect(calls).toBe(0);
    while (!w.done) await tick();
    expect([calls, w.count, ends]).toEqual([5, 5, [5]]);
  });

  it('ends when there is nothing to rehearse, stops at once for an edit, and reports a failure', async () => {
    const nothing: number[] = [];
    const w1 = new DocumentWarmup(async () => false, 20, (typed) => nothing.push(typed));
    w1.start();
    while (!w1.done) await tick();
    expect(nothing).toEqual([0]);

    let calls = 0;
    const stopped: number[] = [];
    const w2 = new DocumentWarmup(async () => (++calls, true), 20, (typed) => stopped.push(typed));
    w2.start();
    await tick();
    await tick();
    w2.stop();
    const at = calls;
    for (let i = 0; i < 5; i++) await tick();
    expect(calls).toBe(at);
    expect(stopped).toEqual([at]);

    const failures: unknown[] = [];
    const w3 = new DocumentWarmup(async () => { throw new Error('boom'); }, 20, (_typed, error) => failures.push(error));
    w3.start();
    while (!w3.done) await tick();
    expect(String(failures[0])).toContain('boom');
  });
});
