/**
 * The CLI over the repository's examples/ (the bug gallery that `npm start` checks): every line is
 * a well-formed finding of a registered rule, and the text and JSON formats agree.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRules } from '../../server/src/core/registry';
import { lines, REPO, runCli } from './helpers';

const EXAMPLES = path.join(REPO, 'examples');
const hasExamples = fs.existsSync(EXAMPLES) && fs.readdirSync(EXAMPLES).some((name) => name.endsWith('.py'));

describe('losslint check examples/', () => {
  it('has examples to check', () => {
    expect(hasExamples).toBe(true);
  });

  it.runIf(hasExamples)('reports well-formed findings of registered rules, and text and JSON agree', async () => {
    const text = await runCli(['check', 'examples/', '--exit-zero'], REPO);
    expect(text.code).toBe(0);
    const out = lines(text.stdout);
    const summary = out.pop();
    const codes = new Set(allRules().map((rule) => rule.meta.code));
    expect(out.length).toBeGreaterThan(0);
    for (const line of out) {
      const match = /^examples\/[^:]+\.py:(\d+):(\d+): (LL\d{3}) \S/.exec(line);
      expect(match, line).not.toBeNull();
      expect(codes.has(match![3]), line).toBe(true);
    }
    expect(summary).toMatch(new RegExp(`^Found ${out.length} problems?( \\(\\d+ fixable with --fix\\))?\\.$`));

    const json = await runCli(['check', 'examples/', '--format', 'json'], REPO);
    expect(json.code).toBe(1);
    const findings = JSON.parse(json.stdout) as { path: string; line: number; column: number; code: string }[];
    expect(findings.map((f) => `${f.path}:${f.line}:${f.column}: ${f.code}`)).toEqual(out.map((l) => l.split(' ').slice(0, 2).join(' ')));
  });
});
