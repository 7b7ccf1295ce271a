/**
 * Fixture tests for every rule, in the style of TorchFix's checker fixtures and ruff's snapshots.
 *
 * Each `test/fixtures/rules/<CODE>/{wrong,right}_*.py` is realistic loss code. A finding is
 * expected exactly where a line carries a trailing `# expect: LL103` comment (several codes are
 * comma-separated); a file without annotations must produce no finding at all. A file whose first
 * lines contain `# losslint-test: strict` is analysed with `strict` on.
 *
 * Three checks per fixture:
 * (a) the set of (line, code) pairs found equals the set annotated;
 * (b) the full output (code, 1-based range, message, fix title and edits) equals the committed
 *     `<name>.expected` beside the fixture; `UPDATE_SNAPSHOTS=1` rewrites it, and only for fixtures
 *     that pass (a), so a snapshot never records a wrong answer;
 * (c) each fix, applied to the text, parses without errors and removes the finding it fixes without
 *     introducing a finding of another code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../server/src/analysis/analyze';
import { ParsedDocument } from '../../server/src/core/document';
import { allRules } from '../../server/src/analysis/registry';
import { DEFAULT_SETTINGS, type Finding, type LintSettings, type TextEdit } from '../../server/src/core/types';

const ROOT = path.resolve(__dirname, '../fixtures/rules');
const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';
const EXPECT = /#\s*expect:\s*([A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)\s*$/;
const STRICT = /^#\s*losslint-test:\s*strict\b/m;

interface Fixture {
  /** Path relative to the fixtures root, e.g. `LL103/wrong_gamma_literal.py`. */
  rel: string;
  file: string;
  text: string;
  /** The rule folder the fixture lives in. */
  folder: string;
  kind: 'wrong' | 'right';
  settings: LintSettings;
  /** `line:code` pairs, 1-based lines. */
  expected: string[];
}

function listFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const folder of fs.readdirSync(ROOT).sort()) {
    const dir = path.join(ROOT, folder);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      if (!name.endsWith('.py')) continue;
      const file = path.join(dir, name);
      const text = fs.readFileSync(file, 'utf8');
      const expected = new Set<string>();
      text.split(/\r\n|\r|\n/).forEach((line, i) => {
        const m = EXPECT.exec(line);
        if (m) for (const code of m[1].split(',')) expected.add(`${i + 1}:${code.trim()}`);
      });
      const head = text.split('\n').slice(0, 5).join('\n');
      out.push({
        rel: `${folder}/${name}`,
        file,
        text,
        folder,
        kind: name.startsWith('wrong_') ? 'wrong' : 'right',
        settings: { ...DEFAULT_SETTINGS, strict: STRICT.test(head) },
        expected: sortPairs([...expected]),
      });
    }
  }
  return out;
}

function sortPairs(pairs: string[]): string[] {
  return pairs.sort((a, b) => {
    const [la, ca] = a.split(':');
    const [lb, cb] = b.split(':');
    return Number(la) - Number(lb) || ca.localeCompare(cb);
  });
}

/** Module aliases a fix may reference only when the file imports them. */
const MODULE_ALIASES = ['torch', 'F', 'nn', 'tf', 'K', 'keras', 'kops', 'np'];

/** The aliases in `MODULE_ALIASES` that `newText` uses (`tf.` ...) but `text` never binds by an import. */
function unboundAliases(newText: string, text: string): string[] {
  const used = new Set([...newText.matchAll(/(?<![\w.])([A-Za-z_]\w*)\./g)].map((m) => m[1]));
  return MODULE_ALIASES.filter((a) => {
    if (!used.has(a)) return false;
    const bound = new RegExp(`^\\s*(import\\s+${a}\\b|import\\s+[\\w.]+\\s+as\\s+${a}\\b|from\\s+[\\w.]+\\s+import\\s+(.*[\\s,(])?${a}\\b)`, 'm');
    return !bound.test(text);
  });
}

function run(text: string, settings: LintSettings): { findings: Finding[]; errors: string[]; doc: ParsedDocument } {
  const doc = ParsedDocument.parse(text);
  const errors: string[] = [];
  const findings = analyze(doc, settings, { onRuleError: (code, e) => errors.push(`${code}: ${e instanceof Error ? e.stack : String(e)}`) });
  return { findings, errors, doc };
}

function pairsOf(findings: Finding[]): string[] {
  return sortPairs([...new Set(findings.map((f) => `${f.range.start.line + 1}:${f.code}`))]);
}

function rangeText(r: Finding['range']): string {
  return `${r.start.line + 1}:${r.start.character + 1}-${r.end.line + 1}:${r.end.character + 1}`;
}

/** A ruff-like rendering: header, the flagged line with a caret underline, the fix, its edits and the fixed lines. */
function render(text: string, findings: Finding[]): string {
  if (findings.length === 0) return 'No findings.\n';
  const lines = text.split(/\r\n|\r|\n/);
  const out: string[] = [];
  for (const f of findings) {
    out.push(`${rangeText(f.range)} ${f.code} ${f.name} [${f.severity}]${f.fix ? ' [*]' : ''} ${f.message}`);
    const l = f.range.start.line;
    const src = lines[l] ?? '';
    const width = String(l + 1).length;
    const endCol = f.range.end.line === l ? f.range.end.character : src.length;
    out.push(`${' '.repeat(width)} |`);
    out.push(`${l + 1} | ${src}`);
    out.push(`${' '.repeat(width)} | ${' '.repeat(f.range.start.character)}${'^'.repeat(Math.max(1, endCol - f.range.start.character))}`);
    if (f.fix) {
      out.push(`  = fix (${f.fix.applicability}): ${f.fix.title}`);
      for (const e of f.fix.edits) out.push(`    ${rangeText(e.range)} -> ${JSON.stringify(e.newText)}`);
      // The fixed lines, so a reviewer sees what the fix does to the code (torchfix's *.out.py).
      try {
        const doc = ParsedDocument.parse(text);
        const fixedLines = applyEdits(doc, f.fix.edits).split(/\r\n|\r|\n/);
        const first = Math.min(...f.fix.edits.map((e) => e.range.start.line));
        const last = Math.max(...f.fix.edits.map((e) => e.range.end.line)) + (fixedLines.length - lines.length);
        for (let i = first; i <= Math.max(first, last); i++) out.push(`    ${i + 1} | ${fixedLines[i] ?? ''}`);
      } catch (error) {
        out.push(`    (edits do not apply: ${String(error)})`);
      }
    }
    out.push('');
  }
  return out.join('\n');
}

/** Applies non-overlapping edits (any order) to a text; throws on overlap. */
function applyEdits(doc: ParsedDocument, edits: TextEdit[]): string {
  const spans = edits
    .map((e) => ({ s: doc.offsetAt(e.range.start), e: doc.offsetAt(e.range.end), t: e.newText }))
    .sort((a, b) => b.s - a.s || b.e - a.e);
  let text = doc.text;
  let limit = Infinity;
  for (const x of spans) {
    if (x.e > limit) throw new Error(`overlapping edits at offset ${x.s}`);
    text = text.slice(0, x.s) + x.t + text.slice(x.e);
    limit = x.s;
  }
  return text;
}

const fixtures = listFixtures();
const registered = new Set(allRules().map((r) => r.meta.code));

describe('fixture layout', () => {
  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
  });

  it.each(fixtures.map((f) => [f.rel, f] as const))('%s is named and annotated consistently', (_rel, f) => {
    expect(/^(wrong|right)_[a-z0-9_]+\.py$/.test(path.basename(f.file)), 'name must be wrong_*.py or right_*.py').toBe(true);
    expect(/^LL\d{3}$/.test(f.folder), 'folder must be a rule code').toBe(true);
    if (f.kind === 'right') expect(f.expected, 'a right_ fixture must have no `# expect:` annotation').toEqual([]);
    else expect(f.expected.some((p) => p.endsWith(`:${f.folder}`)), `a wrong_ fixture must expect its folder's code ${f.folder}`).toBe(true);
  });

  // LL3xx findings come from the numeric probes, whose fixtures and tests are in test/numeric/.
  it.each([...registered].filter((c) => !c.startsWith('LL3')).sort())('%s has at least one wrong_ and one right_ fixture', (code) => {
    const mine = fixtures.filter((f) => f.folder === code);
    expect(mine.some((f) => f.kind === 'wrong')).toBe(true);
    expect(mine.some((f) => f.kind === 'right')).toBe(true);
  });
});

describe.each(fixtures.map((f) => [f.rel, f] as const))('%s', (_rel, f) => {
  const { findings, errors, doc } = run(f.text, f.settings);
  const got = pairsOf(findings);
  const snapshotFile = f.file.replace(/\.py$/, '.expected');

  it('(a) finds exactly the annotated (line, code) pairs', () => {
    expect(errors, 'no rule may throw').toEqual([]);
    expect(got).toEqual(f.expected);
  });

  it('(b) matches the committed snapshot', () => {
    const actual = render(f.text, findings);
    const matches = JSON.stringify(got) === JSON.stringify(f.expected) && errors.length === 0;
    if (UPDATE && matches) {
      fs.writeFileSync(snapshotFile, actual);
      return;
    }
    expect(fs.existsSync(snapshotFile), `missing ${path.relative(process.cwd(), snapshotFile)}; run with UPDATE_SNAPSHOTS=1 once (a) passes`).toBe(true);
    expect(actual).toBe(fs.readFileSync(snapshotFile, 'utf8'));
  });

  const fixable = findings.filter((x) => x.fix);
  if (fixable.length > 0) {
    it.each(fixable.map((x) => [`${x.code} at ${rangeText(x.range)}`, x] as const))('(c) fix for %s applies cleanly and removes the finding', (_name, finding) => {
      const fixed = applyEdits(doc, finding.fix!.edits);
      const after = run(fixed, f.settings);
      expect(after.doc.tree.rootNode.hasError, `fixed text does not parse:\n${fixed}`).toBe(false);
      expect(after.errors).toEqual([]);
      const unbound = finding.fix!.edits.flatMap((e) => unboundAliases(e.newText, fixed));
      expect(unbound, 'the fix uses a module the file does not import (wrong framework?)').toEqual([]);
      const before = findings.filter((x) => x.code === finding.code).length;
      const now = after.findings.filter((x) => x.code === finding.code).length;
      expect(now, `the fix must remove this ${finding.code}\n--- fixed text ---\n${fixed}`).toBeLessThan(before);
      const codesBefore = new Set(findings.map((x) => x.code));
      const introduced = after.findings.filter((x) => !codesBefore.has(x.code)).map((x) => `${x.range.start.line + 1}:${x.code} ${x.message}`);
      expect(introduced, 'the fix must not introduce a finding of another code').toEqual([]);
    });
  }
});
