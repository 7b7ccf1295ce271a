/**
 * In-process unit tests of the CLI's building blocks: decoding sources, sizes, applying fixes,
 * the text summary, the per-file check a worker would call, and rule page helpers.
 */
import { describe, expect, it } from 'vitest';
import { parseFileSize } from '../../server/src/config';
import { ParsedDocument } from '../../server/src/core/document';
import { DEFAULT_SETTINGS, type Fix } from '../../server/src/core/types';
import { checkFile } from '../../server/src/cli/check';
import { applyFixes, fixUntilStable } from '../../server/src/cli/fix';
import { whatItDoes } from '../../server/src/cli/formats/sarif';
import { summary } from '../../server/src/cli/formats/text';
import type { CheckReport } from '../../server/src/cli/report';
import { decodeSource, formatBytes } from '../../server/src/cli/source';
import { LL103_SAMPLE } from './helpers';

describe('decodeSource', () => {
  it('decodes UTF-8 and drops a byte order mark, remembering it', () => {
    expect(decodeSource(Buffer.from('x = "é"\n'))).toEqual({ kind: 'text', text: 'x = "é"\n', bom: false });
    expect(decodeSource(Buffer.from('\uFEFFx = 1\n'))).toEqual({ kind: 'text', text: 'x = 1\n', bom: true });
  });

  it('honours a PEP 263 declaration on line 1 or 2 only', () => {
    const latin = (s: string) => Buffer.from(s, 'latin1');
    expect(decodeSource(latin('#!/usr/bin/env python\n# coding=latin-1\nx = "\xe9"\n'))).toMatchObject({
      kind: 'text',
      text: '#!/usr/bin/env python\n# coding=latin-1\nx = "é"\n',
      encoding: 'latin-1',
    });
    expect(decodeSource(latin('x = 1\n# coding: latin-1\ny = "\xe9"\n'))).toEqual({ kind: 'error', reason: 'not valid UTF-8 text' });
    expect(decodeSource(latin('# coding: klingon\n'))).toEqual({ kind: 'error', reason: 'unknown encoding "klingon" in the coding declaration' });
    // Python's codec aliases and normalisation: `utf - 8` declares "utf", an alias of UTF-8; latin-1
    // maps every byte to its own code point (0x80 is U+0080, not cp1252's euro sign); ascii is strict.
    expect(decodeSource(Buffer.from('# -*- coding: utf - 8 -*-\nx = "\u00e9"\n', 'utf8'))).toMatchObject({ kind: 'text', text: '# -*- coding: utf - 8 -*-\nx = "\u00e9"\n' });
    expect(decodeSource(latin('# vim: set fileencoding=L1 :\nx = "\x80"\n'))).toMatchObject({ kind: 'text', text: '# vim: set fileencoding=L1 :\nx = "\u0080"\n' });
    expect(decodeSource(latin('# coding: iso-latin-1-unix\nx = "\xe9"\n'))).toMatchObject({ kind: 'text', text: '# coding: iso-latin-1-unix\nx = "\u00e9"\n' });
    expect(decodeSource(latin('# coding: US-ASCII\nx = 1\n'))).toMatchObject({ kind: 'text', text: '# coding: US-ASCII\nx = 1\n' });
    expect(decodeSource(latin('# coding: ascii\nx = "\xe9"\n'))).toEqual({ kind: 'error', reason: 'not valid ascii text' });
  });

  it('skips binary files', () => {
    expect(decodeSource(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00]))).toMatchObject({ kind: 'skipped' });
  });
});

describe('sizes', () => {
  it('parses max-file-size values', () => {
    expect(parseFileSize(1234)).toBe(1234);
    expect(parseFileSize('2MB')).toBe(2_000_000);
    expect(parseFileSize('1.5 MiB')).toBe(1_572_864);
    expect(parseFileSize('500kb')).toBe(500_000);
    expect(parseFileSize(-1)).toBeUndefined();
    expect(parseFileSize('2 parsecs')).toBeUndefined();
  });

  it('formats byte counts', () => {
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(999)).toBe('999 bytes');
    expect(formatBytes(3_100_000)).toBe('3.1 MB');
    expect(formatBytes(52_000_000)).toBe('52 MB');
    expect(formatBytes(400_000)).toBe('400 kB');
  });
});

describe('applyFixes', () => {
  const doc = ParsedDocument.parse('a = 1\nb = 2\n');
  const fix = (line: number, start: number, end: number, newText: string): Fix => ({
    title: 't',
    applicability: 'safe',
    edits: [{ range: { start: { line, character: start }, end: { line, character: end } }, newText }],
  });

  it('applies non-overlapping fixes and leaves overlapping ones for the next pass', () => {
    expect(applyFixes(doc, [fix(1, 4, 5, '20'), fix(0, 4, 5, '10'), fix(0, 0, 5, 'zzz')])).toEqual({
      text: 'zzz\nb = 20\n',
      applied: 2,
      edits: [
        { start: 10, end: 11, newText: '20' },
        { start: 0, end: 5, newText: 'zzz' },
      ],
    });
  });
});

describe('fixUntilStable', () => {
  it('fixes LL103 in one pass and reports nothing left', () => {
    const outcome = fixUntilStable(ParsedDocument.parse(LL103_SAMPLE), (doc) => checkFile('/x.py', doc.text, DEFAULT_SETTINGS));
    expect(outcome.fixed).toBe(1);
    expect(outcome.findings).toEqual([]);
    expect(outcome.doc.text).toContain('.clamp(');
  });

  it('stops when a fix leaves the text unchanged', () => {
    const doc = ParsedDocument.parse('x = 1\n');
    const noop: Fix = { title: 't', applicability: 'safe', edits: [{ range: { start: { line: 0, character: 4 }, end: { line: 0, character: 5 } }, newText: '1' }] };
    let runs = 0;
    const outcome = fixUntilStable(doc, () => {
      runs++;
      return [{ code: 'LL999', name: 'n', severity: 'error', message: 'm', explanation: '', range: noop.edits[0].range, fix: noop }];
    });
    expect(outcome).toMatchObject({ fixed: 0 });
    expect(runs).toBe(1);
  });
});

describe('checkFile', () => {
  it('returns plain, sorted findings that can cross a worker boundary', () => {
    const findings = checkFile('/x/loss.py', LL103_SAMPLE + LL103_SAMPLE.replace('focal_loss', 'focal_loss2'), DEFAULT_SETTINGS);
    expect(findings.map((f) => [f.code, f.range.start.line, f.range.start.character])).toEqual([
      ['LL103', 7, 12],
      ['LL103', 15, 12],
    ]);
    expect(structuredClone(findings)).toEqual(findings);
  });

  it('respects the settings it is given', () => {
    expect(checkFile('/x/loss.py', LL103_SAMPLE, { ...DEFAULT_SETTINGS, ignore: ['LL1'] })).toEqual([]);
  });
});

describe('text summary', () => {
  const report = (remaining: number, fixable: number, fixed: number, errors: number, fixMode = false): CheckReport => ({
    cwd: '/',
    fixMode,
    files: [
      {
        path: '/a.py',
        fixed,
        findings: Array.from({ length: remaining }, (_, i) => ({
          code: 'LL103',
          name: 'n',
          severity: 'error' as const,
          message: 'm',
          explanation: '',
          range: { start: { line: i, character: 0 }, end: { line: i, character: 1 } },
          ...(i < fixable ? { fix: { title: 't', edits: [], applicability: 'safe' as const } } : {}),
        })),
      },
    ],
    notices: Array.from({ length: errors }, () => ({ level: 'error' as const, path: undefined, message: 'x' })),
  });

  it('words every case', () => {
    expect(summary(report(0, 0, 0, 0))).toBe('All checks passed!');
    expect(summary(report(1, 0, 0, 0))).toBe('Found 1 problem.');
    expect(summary(report(3, 2, 0, 0))).toBe('Found 3 problems (2 fixable with --fix).');
    expect(summary(report(1, 1, 0, 2))).toBe('Found 1 problem (1 fixable with --fix). 2 errors (see above).');
    expect(summary(report(0, 0, 0, 1))).toBe('No problems found, but 1 error (see above) kept some files from being checked.');
    expect(summary(report(1, 0, 2, 0, true))).toBe('Found 3 problems (2 fixed, 1 remaining).');
    expect(summary(report(0, 0, 0, 0, true))).toBe('All checks passed!');
  });
});

describe('whatItDoes', () => {
  it('takes the first paragraph under the heading, on one line', () => {
    expect(whatItDoes('# X\n\n## What it does\nFlags a\nthing.\n\nMore.\n## Why\n')).toBe('Flags a thing.');
    expect(whatItDoes('## What it does\nOnly this.')).toBe('Only this.');
    expect(whatItDoes('# X\n')).toBeUndefined();
  });
});
