/**
 * Quick fixes never corrupt a file (issue 7): for every fixture under test/fixtures/** and every
 * example, each finding's fix is applied alone, the result is re-parsed and re-checked: a file that
 * parsed cleanly still does (rootNode.hasError false), the edits stay inside the text and do not
 * overlap, and the fixed finding is gone (no finding of its code at its mapped position, and one
 * fewer of that code). The same holds for the files with CRLF line endings, and for `--fix`'s
 * apply-until-stable loop over all safe fixes at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixUntilStable } from '../../server/src/cli/fix';
import { analyze } from '../../server/src/analysis/analyze';
import { ParsedDocument } from '../../server/src/core/document';
import { DEFAULT_SETTINGS, type Finding, type LintSettings } from '../../server/src/core/types';
import { findingViolations } from './invariants';
import { fixtureFiles, REPO } from './samples';

const SETTINGS: LintSettings = { ...DEFAULT_SETTINGS, strict: true };

function lint(doc: ParsedDocument): Finding[] {
  const errors: string[] = [];
  const findings = analyze(doc, SETTINGS, { onRuleError: (code, e) => errors.push(`${code}: ${String(e)}`) });
  expect(errors).toEqual([]);
  expect(findingViolations(doc, findings)).toEqual([]);
  return findings;
}

interface Applied {
  text: string;
  /** Where the finding's start went in the new text. */
  mappedStart: number;
}

/** Applies one fix's edits (all relative to `doc.text`); throws when they overlap. */
function applyFix(doc: ParsedDocument, finding: Finding): Applied {
  const edits = finding.fix!.edits
    .map((e) => ({ start: doc.offsetAt(e.range.start), end: doc.offsetAt(e.range.end), newText: e.newText }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < edits.length; i++) {
    if (edits[i].start < edits[i - 1].end) throw new Error(`${finding.code}: the fix's edits overlap`);
  }
  const start = doc.offsetAt(finding.range.start);
  let mappedStart = start;
  let text = doc.text;
  for (const e of [...edits].reverse()) {
    text = text.slice(0, e.start) + e.newText + text.slice(e.end);
    if (e.end <= start && !(e.start === e.end && e.start === start)) mappedStart += e.newText.length - (e.end - e.start);
  }
  return { text, mappedStart };
}

const files = fixtureFiles();
const variants = (text: string) => [
  { name: 'LF', text: text.replace(/\r\n?/g, '\n') },
  { name: 'CRLF', text: text.replace(/\r\n?/g, '\n').replace(/\n/g, '\r\n') },
];

describe('quick fixes never corrupt a file', () => {
  it('there are fixtures with fixes to try', () => {
    expect(files.length).toBeGreaterThan(5);
    const fixesPerFile = files.map((f) => lint(ParsedDocument.parse(fs.readFileSync(f, 'utf8'))).filter((x) => x.fix).length);
    const fixes = fixesPerFile.reduce((a, b) => a + b, 0);
    console.log(`quick fixes: ${fixes} fixes in ${fixesPerFile.filter((n) => n > 0).length} of ${files.length} files, each tried on LF and CRLF text`);
    expect(fixesPerFile.filter((n) => n > 0).length).toBeGreaterThan(3);
  });

  for (const file of files) {
    const name = path.relative(REPO, file);
    it(`each fix of ${name} keeps the file parseable and removes its finding`, () => {
      const original = fs.readFileSync(file, 'utf8');
      for (const variant of variants(original)) {
        const doc = ParsedDocument.parse(variant.text);
        const hadError = doc.tree.rootNode.hasError;
        const findings = lint(doc);
        for (const finding of findings.filter((f) => f.fix && f.fix.edits.length > 0)) {
          const what = `${name} (${variant.name}) ${finding.code} at ${finding.range.start.line + 1}:${finding.range.start.character + 1}: ${finding.fix!.title}`;
          const { text, mappedStart } = applyFix(doc, finding);
          expect(text, what).not.toBe(variant.text);
          const fixed = ParsedDocument.parse(text);
          if (!hadError) expect(fixed.tree.rootNode.hasError, `${what}\n${text}`).toBe(false);
          const after = lint(fixed);
          const sameCode = (fs: Finding[]) => fs.filter((f) => f.code === finding.code);
          expect(sameCode(after).length, what).toBeLessThan(sameCode(findings).length);
          expect(
            sameCode(after).filter((f) => fixed.offsetAt(f.range.start) === mappedStart),
            `${what}: the finding is still there\n${text}`,
          ).toEqual([]);
        }
        // --fix: every safe fix, pass after pass, until stable.
        const outcome = fixUntilStable(ParsedDocument.parse(variant.text), lint);
        if (!hadError) expect(outcome.doc.tree.rootNode.hasError, `${name} (${variant.name}) after --fix\n${outcome.doc.text}`).toBe(false);
        expect(outcome.findings.filter((f) => f.fix?.applicability === 'safe'), `${name} (${variant.name}): safe fixes left after --fix`).toEqual([]);
      }
    });
  }
});
