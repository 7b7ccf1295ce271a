/**
 * `--format json` and `--format sarif` from the built CLI: the JSON shape, and a SARIF log that is
 * valid against the SARIF 2.1.0 JSON schema (the copy shipped by @microsoft/jest-sarif, checked
 * offline with ajv's draft-04 build) and has what GitHub code scanning reads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Sarif from 'sarif';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLEAN_SAMPLE, LL103_SAMPLE, REPO, runCli, sarifValidator, tempDir, writeTree } from './helpers';

// Each test starts the CLI one or more times; a loaded 2-core CI machine needs more than 5 s.
vi.setConfig({ testTimeout: 60_000 });

let root: string;

beforeEach(() => {
  root = tempDir();
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('--format json', () => {
  it('prints one array with 1-based positions, docs and the fix edits', async () => {
    writeTree(root, { 'src/loss.py': LL103_SAMPLE, 'src/clean.py': CLEAN_SAMPLE });
    const r = await runCli(['check', '--format', 'json'], root);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const findings = JSON.parse(r.stdout);
    expect(findings).toEqual([
      {
        code: 'LL103',
        name: 'gamma-below-one-unclamped',
        path: path.join('src', 'loss.py'),
        line: 8,
        column: 13,
        endLine: 8,
        endColumn: 21,
        severity: 'error',
        message: expect.stringMatching(/\S/),
        docs: path.join(REPO, 'docs/rules/LL103.md'),
        fix: {
          title: expect.stringMatching(/^Clamp/),
          applicability: 'safe',
          edits: [expect.objectContaining({ line: 8, column: 13, newText: expect.stringContaining('clamp') })],
        },
      },
    ]);
  });

  it('prints an empty array and exits 0 when clean', async () => {
    writeTree(root, { 'clean.py': CLEAN_SAMPLE });
    expect(await runCli(['check', '--format', 'json'], root)).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });

  it('streams several files into one valid array', async () => {
    writeTree(root, { 'a.py': LL103_SAMPLE, 'b.py': LL103_SAMPLE, 'c.py': LL103_SAMPLE });
    const r = await runCli(['check', '--format', 'json'], root);
    expect(JSON.parse(r.stdout).map((f: { path: string }) => f.path)).toEqual(['a.py', 'b.py', 'c.py']);
  });
});

describe('--format sarif', () => {
  it('has a validator that rejects a broken log', () => {
    const validate = sarifValidator();
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: {}, level: 'fatal' }] }] })).toBe(false);
  });

  it('is valid SARIF 2.1.0 with rules, help, regions and fixes', async () => {
    writeTree(root, { 'src/loss.py': LL103_SAMPLE, 'src/other.py': LL103_SAMPLE });
    const r = await runCli(['check', '--format', 'sarif'], root);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout) as Sarif.Log;
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);

    expect(log.version).toBe('2.1.0');
    const run = log.runs[0];
    const rules = run.tool.driver.rules ?? [];
    const ll103 = rules.find((rule) => rule.id === 'LL103');
    expect(ll103).toMatchObject({
      name: 'gamma-below-one-unclamped',
      shortDescription: { text: expect.stringMatching(/\S/) },
      fullDescription: { text: expect.stringMatching(/\S/) },
      help: { text: expect.stringContaining('LL103'), markdown: expect.stringContaining('## What it does') },
      defaultConfiguration: { level: 'error' },
    });
    expect(ll103?.helpUri === undefined || /^https?:\/\//.test(ll103.helpUri)).toBe(true);
    expect(run.originalUriBaseIds?.['%SRCROOT%']?.uri).toBe(`file://${root}/`);

    expect(run.results).toHaveLength(2);
    const [result] = run.results ?? [];
    expect(result).toMatchObject({
      ruleId: 'LL103',
      ruleIndex: rules.indexOf(ll103!),
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'src/loss.py', uriBaseId: '%SRCROOT%' },
            region: { startLine: 8, startColumn: 13, endLine: 8, endColumn: 21 },
          },
        },
      ],
    });
    expect(result.fixes?.[0]).toMatchObject({
      description: { text: expect.stringMatching(/^Clamp/) },
      artifactChanges: [
        {
          artifactLocation: { uri: 'src/loss.py' },
          replacements: [{ deletedRegion: { startLine: 8, startColumn: 13 }, insertedContent: { text: expect.stringContaining('clamp') } }],
        },
      ],
    });
    expect(run.invocations?.[0]).toMatchObject({ executionSuccessful: true, toolExecutionNotifications: [] });
  });

  it('is valid when clean, and carries errors as notifications', async () => {
    writeTree(root, { 'clean.py': CLEAN_SAMPLE });
    const validate = sarifValidator();
    const clean = JSON.parse((await runCli(['check', '--format', 'sarif'], root)).stdout) as Sarif.Log;
    expect(validate(clean), JSON.stringify(validate.errors)).toBe(true);
    expect(clean.runs[0].results).toEqual([]);

    const r = await runCli(['check', '--format', 'sarif', 'clean.py', 'missing.py'], root);
    expect(r.code).toBe(2);
    const log = JSON.parse(r.stdout) as Sarif.Log;
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(log.runs[0].invocations?.[0]).toMatchObject({
      executionSuccessful: false,
      toolExecutionNotifications: [{ level: 'error', message: { text: 'missing.py: no such file or directory' } }],
    });
  });

  it('writes to --output-file', async () => {
    writeTree(root, { 'loss.py': LL103_SAMPLE });
    const r = await runCli(['check', '--format', 'sarif', '--output-file', 'losslint.sarif'], root);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    const log = JSON.parse(fs.readFileSync(path.join(root, 'losslint.sarif'), 'utf8')) as Sarif.Log;
    expect(log.runs[0].results?.map((x) => x.ruleId)).toEqual(['LL103']);
  });
});
