/**
 * Unit tests of the language server's pure pieces: settings parsing and layering, the `# noqa`
 * quick fix, fix-all conflict resolution, and diagnostic payloads read back from a client.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Fix } from '../../server/src/core/types';
import { DocumentStore, OpenDocument } from '../../server/src/lsp/documents';
import { ParsedDocument } from '../../server/src/core/document';
import { setCollectorForTesting } from '../../server/src/core/trees';
import { noqaEdit, safeEdits } from '../../server/src/lsp/handlers/codeAction';
import { readDiagnosticData, toDiagnostic } from '../../server/src/lsp/handlers/diagnostics';
import { configPathOf, parseEditorSettings, resolveSettings } from '../../server/src/lsp/settings';

const fix = (title: string, line: number, start: number, end: number, newText: string, applicability: Fix['applicability'] = 'safe'): Fix => ({
  title,
  applicability,
  edits: [{ range: { start: { line, character: start }, end: { line, character: end } }, newText }],
});

describe('editor settings', () => {
  it('reads what VS Code sends and treats wrong types as not set', () => {
    expect(
      parseEditorSettings({
        enable: true,
        select: ['ll1', ' LL103 ', 7, ''],
        ignore: null,
        severity: { ll103: 'error', LL104: 'loud' },
        strict: 'yes',
        numeric: { enable: true, backend: 'cuda', timeBudgetMs: -1 },
        trace: { server: 'verbose' },
      }),
    ).toEqual({
      enable: true,
      select: ['LL1', 'LL103'],
      ignore: undefined,
      severity: { LL103: 'error' },
      strict: undefined,
      numeric: { enable: true },
    });
    expect(parseEditorSettings('nonsense')).toEqual({});
    // losslint.cache.enable arrives as a nested section.
    expect(parseEditorSettings({ cache: { enable: false } }).cache).toBe(false);
    expect(parseEditorSettings({ cache: { enable: 'no' } }).cache).toBeUndefined();
    expect(parseEditorSettings({ cache: false }).cache).toBeUndefined();
  });

  it('falls back to the defaults without a project file', () => {
    const settings = resolveSettings({ ignore: ['LL103'] }, undefined);
    expect(settings).toMatchObject({ enable: true, excluded: false, configPath: undefined });
    expect(settings.lint).toEqual({ ...DEFAULT_SETTINGS, ignore: ['LL103'] });
    expect(settings.numeric).toEqual({ enable: true, backend: 'auto', timeBudgetMs: 2000 });
  });

  it('finds the file that governs a document, notebook cells included', () => {
    const file = path.resolve('/tmp/project/train.py');
    expect(configPathOf('file:///tmp/project/train.py')).toBe(file);
    expect(configPathOf('vscode-notebook-cell:/tmp/project/nb.ipynb#W0sZmlsZQ%3D%3D')).toBe(path.resolve('/tmp/project/nb.ipynb'));
    expect(configPathOf('untitled:Untitled-1')).toBeUndefined();
    expect(configPathOf('vscode-vfs://github/org/repo/loss.py')).toBeUndefined();
    expect(configPathOf('not a uri')).toBeUndefined();
  });
});

describe('noqaEdit', () => {
  it('appends a comment, extends a code list, and leaves a suppressed line alone', () => {
    expect(noqaEdit('    return x  ', 4, 'LL103')).toEqual({
      range: { start: { line: 4, character: 12 }, end: { line: 4, character: 14 } },
      newText: '  # noqa: LL103',
    });
    expect(noqaEdit('x = 1  # noqa: LL101', 0, 'LL103')?.newText).toBe(', LL103');
    expect(noqaEdit('x = 1  # noqa: LL101', 0, 'LL103')?.range.start.character).toBe(20);
    expect(noqaEdit('x = 1  # noqa: LL101, ll103', 0, 'LL103')).toBeUndefined();
    expect(noqaEdit('x = 1  # noqa', 0, 'LL103')).toBeUndefined();
    expect(noqaEdit('', 2, 'LL103')?.newText).toBe('# noqa: LL103');
  });
});

describe('safeEdits', () => {
  const document = new OpenDocument('file:///x.py', 1, 'aaaa bbbb cccc\n');

  it('takes safe fixes in document order and skips unsafe and clashing ones', () => {
    const edits = safeEdits(document, [
      fix('c', 0, 10, 14, 'C'),
      fix('a', 0, 0, 4, 'A'),
      fix('a-overlap', 0, 2, 6, 'X'),
      fix('b-unsafe', 0, 5, 9, 'B', 'unsafe'),
      fix('same-insert', 0, 10, 10, '!'),
    ]);
    expect(edits.map((e) => e.newText)).toEqual(['A', 'C']);
  });
});

describe('diagnostic data', () => {
  const finding = {
    code: 'LL103',
    name: 'gamma-below-one-unclamped',
    severity: 'warning' as const,
    message: 'm',
    range: { start: { line: 7, character: 12 }, end: { line: 7, character: 20 } },
    explanation: 'why',
    fix: fix('Clamp the base', 7, 12, 20, '(1 - pt).clamp(min=1e-6)'),
  };

  it('round-trips the fix through a client, and rejects foreign or damaged payloads', () => {
    const diagnostic = JSON.parse(JSON.stringify(toDiagnostic(finding, 3)));
    expect(diagnostic).toMatchObject({ code: 'LL103', source: 'losslint', severity: 2 });
    expect(diagnostic.codeDescription.href).toMatch(/^file:\/\/.*\/docs\/rules\/LL103\.md$/);
    expect(readDiagnosticData(diagnostic)).toMatchObject({ version: 3, explanation: 'why', fix: finding.fix });
    expect(readDiagnosticData({ ...diagnostic, source: 'ruff' })).toBeUndefined();
    expect(readDiagnosticData({ ...diagnostic, data: { version: 'x' } })).toBeUndefined();
    expect(readDiagnosticData({ ...diagnostic, data: { ...diagnostic.data, fix: { title: 'x', edits: [{}], applicability: 'safe' } } })?.fix).toBeUndefined();
  });
});

describe('open documents keep a tree only while recently used', () => {
  it('counts the trees it drops (made dormant past its cap, or closed) towards a collection (core/trees.ts)', () => {
    const calls: unknown[] = [];
    const text = (i: number) => `import torch\n\ndef f${i}(x):\n    return torch.sigmoid(x)\n`;
    setCollectorForTesting((o) => void calls.push(o), text(0).length * 3);
    try {
      const store = new DocumentStore(1);
      store.open('file:///a.py', 1, text(0));
      store.open('file:///b.py', 1, text(1)); // a.py made dormant: one tree dropped
      store.open('file:///c.py', 1, text(2)); // b.py: two
      expect(calls).toHaveLength(0);
      store.close('file:///a.py'); // dormant already: nothing dropped
      expect(calls).toHaveLength(0);
      store.close('file:///c.py'); // three: a collection
      expect(calls).toEqual([{ execution: 'async' }]);
    } finally {
      setCollectorForTesting(undefined);
    }
  });

  it('releases the least recently used trees and parses a released document again on its next use', () => {
    const store = new DocumentStore(3);
    const text = (i: number) => `import torch\n\ndef f${i}(x):\n    return torch.sigmoid(x)\n`;
    for (let i = 0; i < 10; i++) store.open(`file:///d${i}.py`, 1, text(i));
    expect(store.parsedCount()).toBe(3);
    const first = store.get('file:///d0.py')!;
    expect(first.hasTree).toBe(false);
    expect(first.text).toBe(text(0));
    // An edit to a released document: the text and the tree are those of the edited text.
    store.change('file:///d0.py', 2, [{ range: { start: { line: 2, character: 5 }, end: { line: 2, character: 6 } }, text: '_zero' }]);
    expect(first.hasTree).toBe(true);
    expect(first.text).toBe(text(0).replace('f0', 'f_zero'));
    expect(first.parsedDocument!.tree.rootNode.toString()).toBe(ParsedDocument.parse(first.text).tree.rootNode.toString());
    expect(store.parsedCount()).toBe(3);
    // Reading a released document's tree (analysis, hover) wakes it too and releases another.
    const second = store.get('file:///d1.py')!;
    expect(second.hasTree).toBe(false);
    expect(second.parsedDocument!.text).toBe(text(1));
    expect(store.parsedCount()).toBe(3);
    expect(first.hasTree).toBe(true);
    store.close('file:///d0.py');
    store.close('file:///d1.py');
    expect(store.parsedCount()).toBe(1);
  });
});
