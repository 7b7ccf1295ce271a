/**
 * The CLI over the repository's examples/ (the bug gallery that `npm start` checks): every line is
 * a well-formed finding of a registered rule, and the text and JSON formats agree.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { allRules } from '../../server/src/analysis/registry';
import { lines, REPO, runCli, sarifValidator, tempDir } from './helpers';

// Each test starts the CLI one or more times; a loaded 2-core CI machine needs more than 5 s.
vi.setConfig({ testTimeout: 60_000 });

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

  it.runIf(hasExamples)('produces a schema-valid SARIF log with one result per finding', async () => {
    const r = await runCli(['check', 'examples/', '--format', 'sarif'], REPO);
    const log = JSON.parse(r.stdout);
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const json = JSON.parse((await runCli(['check', 'examples/', '--format', 'json'], REPO)).stdout) as unknown[];
    expect(log.runs[0].results).toHaveLength(json.length);
  });

  it.runIf(hasExamples)('fixes a copy of the examples until no safe fix is left, leaving the rest reported', async () => {
    const root = tempDir();
    try {
      fs.cpSync(EXAMPLES, path.join(root, 'examples'), { recursive: true });
      const before = JSON.parse((await runCli(['check', '--format', 'json', 'examples'], root)).stdout) as { fix: unknown }[];
      const fixable = before.filter((f) => (f.fix as { applicability?: string } | null)?.applicability === 'safe').length;
      const fixed = await runCli(['check', '--fix', 'examples'], root);
      expect(fixed.stderr).toBe('');
      expect(lines(fixed.stdout).pop()).toMatch(new RegExp(`^Found \\d+ problems? \\(${fixable} fixed, ${before.length - fixable} remaining\\)\\.$`));
      const after = JSON.parse((await runCli(['check', '--format', 'json', 'examples'], root)).stdout) as { fix: { applicability: string } | null }[];
      expect(after).toHaveLength(before.length - fixable);
      expect(after.filter((f) => f.fix?.applicability === 'safe')).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
