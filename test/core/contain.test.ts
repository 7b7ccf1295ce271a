/**
 * A syntax error typed in one statement stays in it (document.ts `ParsedDocument.contain`):
 * tree-sitter's error recovery sometimes lets an error spread over the statements after it, or turn
 * the whole module into one ERROR node, and every finding of every other function would go for that
 * keystroke. The editor's tree then leaves the edited lines out (`excluded`), and the IR marks what
 * overlaps them as having a syntax error.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../server/src/analysis/analyze';
import { ParsedDocument, parseCounts } from '../../server/src/core/document';
import { IncrementalAnalyzer } from '../../server/src/analysis/incremental';
import { buildModule } from '../../server/src/core/ir';
import { DEFAULT_SETTINGS } from '../../server/src/core/types';
import { OpenDocument } from '../../server/src/lsp/documents';
// @ts-expect-error: plain JavaScript bench helpers
import { genLossFile } from '../../bench/gen-loss-file.mjs';
// @ts-expect-error: plain JavaScript bench helpers
import { typingEdits } from '../../bench/typing.mjs';

/** A focal loss with gamma=0.5 unclamped (LL103), named `name`. */
const focal = (name: string, extra = ''): string =>
  [
    `def ${name}(logits, targets, gamma=0.5):`,
    '    ce = F.cross_entropy(logits, targets, reduction="none")',
    ...(extra ? [extra] : []),
    '    pt = torch.exp(-ce)',
    '    return ((1 - pt) ** gamma * ce).mean()',
    '',
    '',
  ].join('\n');

const HEAD = 'import torch\nimport torch.nn.functional as F\n\n\n';
const TEXT = HEAD + focal('f1') + focal('f2') + focal('f3');

/**
 * Types `typed` one character per change at column 0 of the `pt = ...` line of `def <fn>`, in front of
 * its code (as bench/typing.mjs does), brackets closed as VS Code does unless `autoClose` is false.
 */
function typeInto(doc: ParsedDocument, fn: string, typed: string, autoClose = true): void {
  const line = doc.text.split('\n').findIndex((l) => l.startsWith(`def ${fn}(`)) + 2;
  let col = 0;
  const pending: string[] = [];
  for (const ch of typed) {
    const at = { line, character: col };
    if (autoClose && pending.at(-1) === ch) {
      doc.applyChanges([{ range: { start: at, end: { line, character: col + 1 } }, text: ch }]);
      pending.pop();
    } else if (autoClose && ch === '(') {
      doc.applyChanges([{ range: { start: at, end: at }, text: '()' }]);
      pending.push(')');
    } else doc.applyChanges([{ range: { start: at, end: at }, text: ch }]);
    col++;
  }
}

const topFunctions = (doc: ParsedDocument): string[] =>
  doc.tree.rootNode.namedChildren.filter((n) => n.type === 'function_definition').map((n) => n.childForFieldName('name')!.text);

describe('a syntax error typed in one function stays in it', () => {
  it('`f(1, t.)` in f2: a fresh parse loses f3 into f2; the editor leaves the line out and keeps f3 and its finding', () => {
    const doc = ParsedDocument.parse(TEXT);
    const inc = new IncrementalAnalyzer();
    expect(inc.analyze(doc, DEFAULT_SETTINGS).map((f) => f.code)).toEqual(['LL103', 'LL103', 'LL103']);
    typeInto(doc, 'f2', '    x = f(1, t.');
    expect(doc.text).toContain('\n    x = f(1, t.)    pt = torch.exp(-ce)\n');
    // What tree-sitter makes of the whole text: f3 is swallowed by f2's error.
    const fresh = ParsedDocument.parse(doc.text);
    expect(fresh.tree.rootNode.namedChildren.filter((n) => n.type === 'function_definition')).toHaveLength(2);
    // The editor's tree: the edited line is left out, the three functions are there.
    expect(doc.excluded).toBeDefined();
    expect(doc.text.slice(doc.excluded!.start, doc.excluded!.end)).toBe('    x = f(1, t.)    pt = torch.exp(-ce)');
    expect(topFunctions(doc)).toEqual(['f1', 'f2', 'f3']);
    expect(doc.tree.rootNode.toString()).toBe(ParsedDocument.parse(doc.text, { excluded: doc.excluded }).tree.rootNode.toString());
    // f1's and f3's findings stay. f2's goes: its `pt = ...` is on the line left out.
    const findings = inc.analyze(doc, DEFAULT_SETTINGS);
    const fnAt = (line: number): string => doc.text.split('\n').slice(0, line + 1).reverse().find((l) => l.startsWith('def '))!.slice(4, 6);
    expect(findings.map((f) => [f.code, fnAt(f.range.start.line)])).toEqual([['LL103', 'f1'], ['LL103', 'f3']]);
    expect(findings).toEqual(analyze(doc, DEFAULT_SETTINGS));
    expect(analyze(fresh, DEFAULT_SETTINGS).map((f) => f.code)).toEqual(['LL103']);
    // The IR knows f2 has a syntax error (the numeric checks skip such a function); f1 and f3 do not.
    const mod = buildModule(doc.tree.rootNode, doc.text, { excluded: doc.excluded });
    expect(Object.fromEntries(mod.functions.filter((f) => !f.isModule).map((f) => [f.name, f.hasError]))).toEqual({ f1: false, f2: true, f3: false });
  });

  it('once the line parses again, the tree is the whole text\'s, as a fresh parse', () => {
    const doc = ParsedDocument.parse(TEXT);
    typeInto(doc, 'f2', '    x = f(1, t.');
    expect(doc.excluded).toBeDefined();
    const at = doc.text.indexOf('t.)') + 2;
    doc.applyChanges([{ range: { start: doc.positionAt(at), end: doc.positionAt(at + 1) }, text: 'numel())\n' }]);
    expect(doc.text).toContain('\n    x = f(1, t.numel())\n    pt = torch.exp(-ce)\n');
    expect(doc.excluded).toBeUndefined();
    expect(doc.tree.rootNode.toString()).toBe(ParsedDocument.parse(doc.text).tree.rootNode.toString());
    expect(doc.tree.rootNode.hasError).toBe(false);
  });

  it('an unclosed bracket (no auto-close) keeps every later function, keystroke after keystroke', () => {
    const doc = ParsedDocument.parse(TEXT);
    const inc = new IncrementalAnalyzer();
    let contained = 0;
    for (const typed of ['    x', ' ', '=', ' ', 'f', '(', '1', ',', ' ', 't']) {
      const at = doc.positionAt(doc.text.indexOf('    pt = torch.exp(-ce)', doc.text.indexOf('def f2(')));
      doc.applyChanges([{ range: { start: at, end: at }, text: typed }]);
      if (doc.excluded) contained++;
      expect(topFunctions(doc)).toEqual(['f1', 'f2', 'f3']);
      expect(doc.tree.rootNode.toString()).toBe(ParsedDocument.parse(doc.text, { excluded: doc.excluded }).tree.rootNode.toString());
      expect(inc.analyze(doc, DEFAULT_SETTINGS)).toEqual(analyze(doc, DEFAULT_SETTINGS));
    }
    // From `f(` on, the rest of the file is inside the bracket for Python and for tree-sitter; the
    // editor keeps f3 (after a keystroke whose error spread, the next parse stops early: both paths).
    expect(contained).toBe(5);
    expect(ParsedDocument.parse(doc.text).tree.rootNode.namedChildren.filter((n) => n.type === 'function_definition')).toHaveLength(2);
  });

  it('an error that stays in its statement, or has nothing after it to spread into, is left as tree-sitter reads it', () => {
    // `x` in front of `pt = ...`: a local ERROR, f3 intact.
    const local = ParsedDocument.parse(TEXT);
    typeInto(local, 'f2', '    x');
    expect(local.tree.rootNode.hasError).toBe(true);
    expect(local.excluded).toBeUndefined();
    expect(local.tree.rootNode.toString()).toBe(ParsedDocument.parse(local.text).tree.rootNode.toString());
    // The same broken line in the last function: nothing follows it.
    const last = ParsedDocument.parse(TEXT);
    typeInto(last, 'f3', '    x = f(1, t.');
    expect(last.excluded).toBeUndefined();
    expect(last.tree.rootNode.toString()).toBe(ParsedDocument.parse(last.text).tree.rootNode.toString());
  });

  it('an edit elsewhere (an import added) keeps the broken line out, until the line is fixed', () => {
    const doc = ParsedDocument.parse(TEXT);
    const inc = new IncrementalAnalyzer();
    typeInto(doc, 'f2', '    x = f(1, t.');
    const broken = doc.text.slice(doc.excluded!.start, doc.excluded!.end);
    let offset = doc.text.indexOf('\n\n\ndef f1') + 1;
    for (const ch of 'import math\n') {
      const at = doc.positionAt(offset++);
      doc.applyChanges([{ range: { start: at, end: at }, text: ch }]);
      expect(doc.excluded && doc.text.slice(doc.excluded.start, doc.excluded.end)).toBe(broken);
      expect(topFunctions(doc)).toEqual(['f1', 'f2', 'f3']);
      expect(doc.tree.rootNode.toString()).toBe(ParsedDocument.parse(doc.text, { excluded: doc.excluded }).tree.rootNode.toString());
      expect(inc.analyze(doc, DEFAULT_SETTINGS)).toEqual(analyze(doc, DEFAULT_SETTINGS));
    }
    expect(doc.text).toContain('import torch.nn.functional as F\nimport math\n');
    expect(inc.analyze(doc, DEFAULT_SETTINGS).map((f) => f.code)).toEqual(['LL103', 'LL103']);
    // Fixed: the whole text is parsed again, and f2's finding is back.
    const at = doc.text.indexOf('t.)') + 2;
    doc.applyChanges([{ range: { start: doc.positionAt(at), end: doc.positionAt(at + 1) }, text: 'numel())\n' }]);
    expect(doc.excluded).toBeUndefined();
    expect(doc.tree.rootNode.hasError).toBe(false);
    expect(inc.analyze(doc, DEFAULT_SETTINGS).map((f) => f.code)).toEqual(['LL103', 'LL103', 'LL103']);
  });

  it('an edit elsewhere that makes the left-out line parse in place (its bracket closed on the next line) brings it back', () => {
    const doc = ParsedDocument.parse(TEXT);
    const ptLine = doc.text.split('\n').findIndex((l, i) => i > doc.text.split('\n').findIndex((m) => m.startsWith('def f2')) && l.startsWith('    pt ='));
    doc.applyChanges([{ range: { start: { line: ptLine, character: 0 }, end: { line: ptLine, character: 0 } }, text: '    x = f(1,\n' }]);
    // `f(1,` swallows the rest of the file for tree-sitter: the line is left out.
    expect(doc.excluded && doc.text.slice(doc.excluded.start, doc.excluded.end)).toBe('    x = f(1,');
    expect(topFunctions(doc)).toEqual(['f1', 'f2', 'f3']);
    // `)` at the end of the next line: `x = f(1, pt=torch.exp(-ce))`, valid Python.
    const end = { line: ptLine + 1, character: doc.text.split('\n')[ptLine + 1].length };
    doc.applyChanges([{ range: { start: end, end }, text: ')' }]);
    expect(doc.text).toContain('    x = f(1,\n    pt = torch.exp(-ce))\n');
    expect(doc.excluded).toBeUndefined();
    expect(doc.tree.rootNode.hasError).toBe(false);
    expect(doc.tree.rootNode.toString()).toBe(ParsedDocument.parse(doc.text).tree.rootNode.toString());
  });

  it('what parses the text afresh (the numeric worker) gets it with the broken statement blanked, offsets kept', () => {
    const doc = ParsedDocument.parse(TEXT);
    expect(doc.textWithoutExcluded()).toBe(doc.text);
    typeInto(doc, 'f2', '    x = f(1, t.');
    const blanked = doc.textWithoutExcluded();
    expect(blanked).toHaveLength(doc.text.length);
    expect(blanked.split('\n').map((l) => l.length)).toEqual(doc.text.split('\n').map((l) => l.length));
    expect(blanked).not.toContain('def f2');
    const fresh = ParsedDocument.parse(blanked);
    expect(fresh.tree.rootNode.hasError).toBe(false);
    expect(topFunctions(fresh)).toEqual(['f1', 'f3']);
    // f3 where it is in the editor's tree.
    const f3 = (d: ParsedDocument) => d.tree.rootNode.namedChildren.find((n) => n.childForFieldName('name')?.text === 'f3')!.startIndex;
    expect(f3(fresh)).toBe(f3(doc));
  });

  it('a document whose tree is released and made again (many open documents) keeps the error out', () => {
    const open = new OpenDocument('file:///x.py', 1, TEXT);
    const line = TEXT.split('\n').findIndex((l) => l.startsWith('def f2(')) + 2;
    [...'    x = f(1, t.'].forEach((ch, i) => open.applyChanges([{ range: { start: { line, character: i }, end: { line, character: i } }, text: ch === '(' ? '()' : ch }], 2 + i));
    const excluded = open.parsedDocument!.excluded;
    expect(excluded).toBeDefined();
    const tree = open.parsedDocument!.tree.rootNode.toString();
    const blanked = open.parsedDocument!.textWithoutExcluded();
    open.release();
    expect(open.hasTree).toBe(false);
    expect(open.parsedDocument!.excluded).toEqual(excluded);
    expect(open.parsedDocument!.tree.rootNode.toString()).toBe(tree);
    expect(open.parsedDocument!.textWithoutExcluded()).toBe(blanked);
  });

  it('settling in idle time does not bring the left-out error back', () => {
    const doc = ParsedDocument.parse(TEXT);
    typeInto(doc, 'f2', '    x = f(1, t.');
    const before = doc.tree.rootNode.toString();
    while (doc.settle());
    expect(doc.excluded).toBeDefined();
    expect(doc.tree.rootNode.toString()).toBe(before);
  });

  for (const autoClose of [true, false]) {
    it(`typing in front of code on the same line of a 3,000-line file (bench/typing.mjs), brackets ${autoClose ? 'auto-closed' : 'typed'}: no keystroke loses the other functions`, () => {
      const text = genLossFile(3000).replaceAll('gamma=2.0, reduction', 'gamma=0.5, reduction');
      const doc = ParsedDocument.parse(text);
      const inc = new IncrementalAnalyzer();
      const atOpen = inc.analyze(doc, DEFAULT_SETTINGS).length;
      const units = doc.tree.rootNode.namedChildCount;
      const halted = parseCounts.halted;
      let contained = 0;
      let fewest = Infinity;
      for (const edit of typingEdits(text, 260, { autoClose }) as Parameters<ParsedDocument['applyChanges']>[0]) {
        doc.applyChanges([edit]);
        if (doc.excluded) {
          contained++;
          expect(doc.tree.rootNode.namedChildCount).toBe(units);
          expect(doc.tree.rootNode.toString()).toBe(ParsedDocument.parse(doc.text, { excluded: doc.excluded }).tree.rootNode.toString());
        }
        fewest = Math.min(fewest, inc.analyze(doc, DEFAULT_SETTINGS).length);
      }
      // With auto-close, `max(1, targets.)` in front of `pt = ...` turns the whole module into one ERROR
      // for tree-sitter (twice in these keystrokes); without, every keystroke inside an open bracket puts
      // the rest of the file in it. At most the edited function's own finding goes.
      expect(contained).toBeGreaterThanOrEqual(autoClose ? 2 : 40);
      expect(fewest).toBeGreaterThanOrEqual(atOpen - 1);
      // After a keystroke whose error spread, the next parse stops once its error recovery runs past the
      // edited function (the keystrokes inside an open bracket follow one another).
      if (autoClose) expect(parseCounts.halted - halted).toBe(0);
      else expect(parseCounts.halted - halted).toBeGreaterThanOrEqual(contained / 2);
    });
  }
});
