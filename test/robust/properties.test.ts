/**
 * Property tests (fast-check, seeded) of the analyzer, the IR and incremental parsing (issue 7):
 * token soups, arbitrary code units, NUL bytes and invalid UTF-8, 10,000-level nesting,
 * 100,000-character lines, CRLF / CR / mixed line endings, tabs for spaces, and random edits applied
 * through ParsedDocument.applyChanges compared with a fresh parse of the final text.
 *
 * "No crash" means: `analyze` returns, reports no core or rule error through onRuleError, and every
 * finding lies inside the text (invariants.ts). buildModule and interpretModule are also called
 * directly, so that an exception they throw is seen rather than swallowed by analyze.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { decodeSource } from '../../server/src/cli/source';
import { analyze } from '../../server/src/analysis/analyze';
import { type ContentChange, ParsedDocument } from '../../server/src/core/document';
import { interpretModule } from '../../server/src/core/interp';
import { buildModule } from '../../server/src/core/ir';
import { DEFAULT_SETTINGS, type Finding, type LintSettings } from '../../server/src/core/types';
import { findingViolations } from './invariants';
import { FOCAL, samples } from './samples';

const SEED = Number(process.env.LOSSLINT_PROPERTY_SEED ?? 20_250_607);
const RUNS = Number(process.env.LOSSLINT_PROPERTY_RUNS ?? 200);
const STRICT: LintSettings = { ...DEFAULT_SETTINGS, strict: true };
const SAMPLES = samples();
// LOSSLINT_PROPERTY_RUNS scales every property; large values need more than the default 30 s.
vi.setConfig({ testTimeout: 600_000 });

/** Analyses `text` (or a document) and throws on any crash or invalid finding; returns the findings. */
function check(input: string | ParsedDocument, settings: LintSettings = STRICT): Finding[] {
  const doc = typeof input === 'string' ? ParsedDocument.parse(input) : input;
  // Called directly so that an exception is visible (analyze reports it as a 'core' error).
  interpretModule(buildModule(doc.tree.rootNode, doc.text));
  const errors: string[] = [];
  const findings = analyze(doc, settings, { onRuleError: (code, e) => errors.push(`${code}: ${e instanceof Error ? e.stack : String(e)}`) });
  if (errors.length > 0) throw new Error(`analyze reported errors: ${errors.join('\n')}`);
  const violations = findingViolations(doc, findings);
  if (violations.length > 0) throw new Error(`invalid findings: ${violations.join('; ')}`);
  return findings;
}

/** Findings as comparable values: code, range, message, fix. */
const shape = (fs: Finding[]) => fs.map((f) => ({ code: f.code, range: f.range, message: f.message, fix: f.fix }));
const codesAndLines = (fs: Finding[]) => fs.map((f) => `${f.code}@${f.range.start.line}`).sort();

const TOKENS = [
  'def', 'class', 'lambda', 'return', 'yield', 'if', 'else', 'elif', 'for', 'in', 'while', 'with', 'as', 'import', 'from',
  'try', 'except', 'finally', 'async', 'await', 'global', 'nonlocal', 'pass', 'not', 'and', 'or', 'is', 'None', 'True',
  'self', 'torch', 'F', 'nn', 'tf', 'keras', 'gamma', 'alpha', 'pt', 'ce', 'logits', 'targets', 'probs', 'x', 'exp', 'log',
  'sigmoid', 'softmax', 'log_softmax', 'cross_entropy', 'binary_cross_entropy_with_logits', 'clamp', 'mean', 'sum', 'pow',
  'gather', 'reduction', '"none"', '"mean"', 'min', 'max', 'dim', '0', '1', '2', '0.5', '0.25', '1e-6', '-1', '.', ',',
  ':', ';', '=', '==', '+', '-', '*', '**', '/', '//', '@', '(', ')', '[', ']', '{', '}', '->', '#', '# noqa', '\\',
  '"', "'", '"""', 'f"', '\n', '\r\n', '\r', '\t', '    ', ' ', '\u0000', '\ufeff', '\ud800', '\u00e9', '\ud83d\ude00',
];

const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 300 }).map((ts) => ts.join(' '));
const codeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 400 }).map((us) => String.fromCharCode(...us));
const sample = fc.constantFrom(...SAMPLES);

describe('analyzer on arbitrary input', () => {
  it('never crashes on token soups', () => {
    fc.assert(
      fc.property(tokenSoup, (text) => {
        check(text);
      }),
      { seed: SEED, numRuns: RUNS * 5 },
    );
  });

  it('never crashes on arbitrary UTF-16 code units (lone surrogates, NUL, controls)', () => {
    fc.assert(
      fc.property(codeUnits, (text) => {
        check(text);
      }),
      { seed: SEED, numRuns: RUNS * 5 },
    );
  });

  it('never crashes when a sample gets garbage, NUL bytes or a token soup spliced in', () => {
    fc.assert(
      fc.property(sample, fc.double({ min: 0, max: 1, noNaN: true }), fc.oneof(tokenSoup, codeUnits, fc.constant('\u0000'.repeat(10))), (s, at, junk) => {
        const i = Math.floor(at * s.text.length);
        check(s.text.slice(0, i) + junk + s.text.slice(i));
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('never crashes on any prefix of any sample', () => {
    for (const s of SAMPLES) {
      for (let i = 0; i <= s.text.length; i += Math.max(1, Math.floor(s.text.length / 25))) check(s.text.slice(0, i));
    }
  });
});

describe('bytes as the CLI reads them', () => {
  it('decodeSource never throws; NUL bytes are skipped, invalid UTF-8 is an error, valid UTF-8 round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const source = decodeSource(bytes);
        expect(['text', 'skipped', 'error']).toContain(source.kind);
        if (bytes.includes(0)) expect(source).toMatchObject({ kind: 'skipped', reason: expect.stringContaining('NUL') });
        if (source.kind === 'text') {
          check(source.text);
          if (!source.encoding) expect(Buffer.from((source.bom ? '\ufeff' : '') + source.text, 'utf8').equals(Buffer.from(bytes))).toBe(true);
        }
      }),
      { seed: SEED, numRuns: RUNS * 5 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        const source = decodeSource(Buffer.from(text, 'utf8'));
        if (!text.includes('\u0000')) expect(source).toMatchObject({ kind: 'text' });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('invalid UTF-8 inside a sample is an error with one reason, never an exception', () => {
    const bytes = Buffer.concat([Buffer.from(FOCAL), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80])]);
    expect(decodeSource(bytes)).toEqual({ kind: 'error', reason: 'not valid UTF-8 text' });
    // What an editor would send for those bytes: replacement characters, which the analyzer takes.
    expect(codesAndLines(check(new TextDecoder().decode(bytes)))).toEqual(codesAndLines(check(FOCAL)));
  });
});

describe('pathological shapes', () => {
  const N = 10_000;
  const deep: Record<string, string> = {
    parentheses: `x = ${'('.repeat(N)}a${')'.repeat(N)}\n`,
    lists: `x = ${'['.repeat(N)}${']'.repeat(N)}\n`,
    dicts: `x = ${'{1: '.repeat(N)}1${'}'.repeat(N)}\n`,
    calls: `x = ${'f('.repeat(N)}a${')'.repeat(N)}\n`,
    'unary minus': `x = ${'-'.repeat(N)}a\n`,
    not: `x = ${'not '.repeat(N)}a\n`,
    'a + a + ...': `x = a${' + a'.repeat(N)}\n`,
    'a ** a ** ...': `x = a${' ** a'.repeat(N)}\n`,
    'attribute chain': `x = a${'.b'.repeat(N)}\n`,
    'subscript chain': `x = a${'[0]'.repeat(N)}\n`,
    'call chain': `x = a${'()'.repeat(N)}\n`,
    lambdas: `x = ${'lambda: '.repeat(N)}a\n`,
    conditionals: `x = a${' if b else a'.repeat(N)}\n`,
    'and chain': `x = a${' and a'.repeat(N)}\n`,
    comparisons: `x = a${' < a'.repeat(N)}\n`,
    'unclosed parentheses': `x = ${'('.repeat(N)}\n`,
    'nested tuple targets': `${'('.repeat(N)}a${',)'.repeat(N)} = 1\n`,
    'deep default': `def f(gamma=${'('.repeat(N)}0.5${')'.repeat(N)}):\n    return gamma\n`,
    'nested blocks (1,900 levels, the most 2 MB of indentation holds)': (() => {
      let s = 'import torch\n';
      for (let i = 0; i < 1_900; i++) s += `${' '.repeat(i)}${i % 2 ? 'if gamma:' : `def f${i}(gamma=0.5):`}\n`;
      return `${s}${' '.repeat(1_900)}return (1 - torch.exp(-ce)) ** gamma\n`;
    })(),
  };

  for (const [name, text] of Object.entries(deep)) {
    it(`10,000 levels: ${name} — no crash, and a buggy function beside it is still reported`, () => {
      const t0 = performance.now();
      check(text);
      const both = check(`${FOCAL}\n${text}`);
      expect(both.map((f) => f.code)).toContain('LL103');
      expect(performance.now() - t0).toBeLessThan(60_000);
    }, 120_000);
  }

  it('100,000-character lines: strings, identifiers, comments, expressions, a loss on one line', () => {
    const L = 100_000;
    const lines = [
      `s = "${'a'.repeat(L)}"`,
      `${'x'.repeat(L)} = 1`,
      `# ${'c'.repeat(L)}`,
      `y = ${'1 + '.repeat(L / 4)}1`,
      `z = [${'0, '.repeat(L / 3)}]`,
      `t = f(${'a, '.repeat(L / 3)})`,
      `${' '.repeat(L)}w = 1`,
      `u = "${'\\u00e9\ud83d\ude00'.repeat(L / 8)}"`,
    ];
    for (const line of lines) {
      expect(line.length).toBeGreaterThanOrEqual(L - 10);
      check(line);
      check(`${line}\n${FOCAL}`);
      expect(check(`${FOCAL}\n${line}\n`).map((f) => f.code)).toEqual(['LL103']);
    }
    // The focal loss squeezed onto one line behind 100,000 spaces of padding in a string.
    const pad = `"${' '.repeat(L)}"`;
    const oneLine = FOCAL.replace('    return ((1 - pt)', `    return (${pad} and (1 - pt)`);
    check(oneLine);
  }, 120_000);
});

describe('line endings and indentation', () => {
  const lf = (t: string) => t.replace(/\r\n?/g, '\n');

  it('CRLF gives the same findings, ranges and messages as LF', () => {
    for (const s of SAMPLES) {
      const text = lf(s.text);
      expect(shape(check(text.replace(/\n/g, '\r\n'))), s.name).toEqual(shape(check(text)).map((f) => ({ ...f, fix: f.fix && expect.anything() })));
    }
  });

  it('mixed LF / CRLF line endings give the same findings (code, position) as LF', () => {
    fc.assert(
      fc.property(sample, fc.infiniteStream(fc.boolean()), (s, coins) => {
        const text = lf(s.text);
        const mixed = text.replace(/\n/g, () => (coins.next().value ? '\r\n' : '\n'));
        expect(shape(check(mixed)).map(({ code, range }) => ({ code, range }))).toEqual(shape(check(text)).map(({ code, range }) => ({ code, range })));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('lone CR line endings (classic Mac) neither crash nor put a finding outside the text', () => {
    for (const s of SAMPLES) check(lf(s.text).replace(/\n/g, '\r'));
    fc.assert(
      fc.property(sample, fc.infiniteStream(fc.constantFrom('\n', '\r\n', '\r')), (s, ends) => {
        check(lf(s.text).replace(/\n/g, () => ends.next().value));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('tabs instead of four spaces give the same findings (code, line)', () => {
    for (const s of SAMPLES) {
      const text = lf(s.text);
      if (/^ *\t/m.test(text) || /^( {4})* {1,3}\S/m.test(text)) continue; // not a pure 4-space file
      const tabbed = text.replace(/^(?: {4})+/gm, (m) => '\t'.repeat(m.length / 4));
      expect(codesAndLines(check(tabbed)), s.name).toEqual(codesAndLines(check(text)));
    }
  });

  it('indentation broken at random lines never crashes', () => {
    fc.assert(
      fc.property(sample, fc.array(fc.tuple(fc.nat(), fc.constantFrom('', ' ', '\t', '  \t', '        ', '\f')), { maxLength: 8 }), (s, breaks) => {
        const lines = s.text.split('\n');
        for (const [i, indent] of breaks) lines[i % lines.length] = indent + lines[i % lines.length].trimStart();
        check(lines.join('\n'));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('incremental parsing', () => {
  const position = fc.record({ line: fc.integer({ min: -2, max: 60 }), character: fc.integer({ min: -2, max: 100 }) });
  const insertion = fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.constantFrom(...TOKENS), { maxLength: 8 }).map((ts) => ts.join('')) },
    { weight: 1, arbitrary: fc.constantFrom('', '\n', '\r\n', '\r', '    ', '\t', '(1 - pt)', ' ** gamma', '.clamp(min=1e-6)', '# noqa\n', 'def f(gamma=0.5):\n') },
    { weight: 1, arbitrary: codeUnits.map((s) => s.slice(0, 20)) },
  );
  /** A change: a range (possibly reversed or out of the text, as a buggy client may send) or a full replacement. */
  const change = fc.oneof(
    { weight: 12, arbitrary: fc.record({ range: fc.record({ start: position, end: position }), text: insertion }) },
    { weight: 1, arbitrary: fc.record({ text: insertion }) },
  );
  const batches = fc.array(fc.array(change, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 });

  /**
   * What LSP says the changes mean, written as plainly as possible: a line past the end means the
   * end of the text, a character past the end of its line means the end of the line (before the
   * line break), a reversed range is read the right way round. (vscode-languageserver-textdocument
   * is not used as the reference: its incremental line table goes wrong on out-of-range lines.)
   */
  const reference = (text: string, batchList: ContentChange[][]) => {
    const offsetAt = (t: string, p: { line: number; character: number }) => {
      const lines = t.split(/(?<=\r\n|\n|\r(?!\n))/);
      if (p.line < 0) return 0;
      if (p.line >= lines.length) return t.length;
      const start = lines.slice(0, p.line).join('').length;
      const content = lines[p.line].replace(/(\r\n|\n|\r)$/, '');
      return start + Math.min(Math.max(0, p.character), content.length);
    };
    for (const batch of batchList) {
      for (const c of batch) {
        if (!c.range) {
          text = c.text;
          continue;
        }
        const [a, b] = [offsetAt(text, c.range.start), offsetAt(text, c.range.end)].sort((x, y) => x - y);
        text = text.slice(0, a) + c.text + text.slice(b);
      }
    }
    return text;
  };

  it('random edits through applyChanges give the text, the tree and the findings of a fresh parse', () => {
    fc.assert(
      fc.property(sample, batches, (s, batchList) => {
        const doc = ParsedDocument.parse(s.text);
        check(doc);
        for (const batch of batchList) {
          doc.lineOffsets(); // computed before the edit, so that the edit updates them in place
          doc.applyChanges(batch.map((c) => ({ ...c })));
          check(doc);
        }
        expect(doc.text).toBe(reference(s.text, batchList));
        // A fresh parse of the text, leaving out what the editor's tree leaves out (a syntax error kept
        // inside the statement it was typed in: document.ts `contain`).
        const fresh = ParsedDocument.parse(doc.text, { excluded: doc.excluded });
        expect(doc.lineOffsets()).toEqual(fresh.lineOffsets());
        expect(doc.tree.rootNode.toString()).toBe(fresh.tree.rootNode.toString());
        expect(shape(check(doc))).toEqual(shape(check(fresh)));
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('typing a sample one character at a time, and deleting it backwards, matches fresh parses', () => {
    for (const s of SAMPLES.slice(0, 6)) {
      const doc = ParsedDocument.parse('');
      let typed = '';
      for (let i = 0; i < s.text.length; i++) {
        const end = doc.positionAt(typed.length);
        doc.applyChanges([{ range: { start: end, end }, text: s.text[i] }]);
        typed += s.text[i];
        if (i % 97 === 0) expect(doc.tree.rootNode.toString()).toBe(ParsedDocument.parse(typed, { excluded: doc.excluded }).tree.rootNode.toString());
      }
      expect(doc.text).toBe(s.text);
      expect(shape(check(doc))).toEqual(shape(check(s.text)));
      while (doc.text.length > 0) {
        const start = doc.positionAt(doc.text.length - 1);
        doc.applyChanges([{ range: { start, end: doc.positionAt(doc.text.length) }, text: '' }]);
      }
      expect(check(doc)).toEqual([]);
    }
  }, 120_000);
});
