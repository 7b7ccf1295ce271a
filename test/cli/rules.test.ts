/** `losslint rule CODE`, `losslint rule --all` and `losslint rules` from the built CLI. */
import { describe, expect, it, vi } from 'vitest';
import { allRules } from '../../server/src/analysis/registry';
import { lines, REPO, runCli } from './helpers';

// Each test starts the CLI one or more times; a loaded 2-core CI machine needs more than 5 s.
vi.setConfig({ testTimeout: 60_000 });

describe('losslint rule', () => {
  it("prints a rule's documentation page from the registry", async () => {
    const r = await runCli(['rule', 'll103'], REPO);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${allRules().find((rule) => rule.meta.code === 'LL103')!.docs.trimEnd()}\n`);
    expect(r.stdout).toContain('## What it does');
  });

  it('rejects an unknown code with exit 2', async () => {
    const r = await runCli(['rule', 'LL999'], REPO);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^error: unknown rule code "LL999" \(known: .*LL103/)]);
  });

  it('lists every rule with rules and rule --all', async () => {
    const r = await runCli(['rules'], REPO);
    expect(r.code).toBe(0);
    const rows = lines(r.stdout);
    expect(rows[0]).toMatch(/^Code\s+Name\s+Fix\s+Summary$/);
    expect(rows.slice(1).map((row) => row.split(/\s+/)[0])).toEqual(allRules().map((rule) => rule.meta.code));
    expect(rows.find((row) => row.startsWith('LL103'))).toMatch(/^LL103\s+gamma-below-one-unclamped\s+yes\s+\S/);
    expect((await runCli(['rule', '--all'], REPO)).stdout).toBe(r.stdout);
  });

  it('lists the rules as JSON', async () => {
    const r = await runCli(['rules', '--format', 'json'], REPO);
    const list = JSON.parse(r.stdout) as { code: string; fixable: boolean }[];
    expect(list.map((rule) => rule.code)).toEqual(allRules().map((rule) => rule.meta.code));
    expect(list.find((rule) => rule.code === 'LL103')).toMatchObject({ name: 'gamma-below-one-unclamped', fixable: true });
  });

  it('prints the version and help with exit 0, and help to stderr with exit 2 without a command', async () => {
    expect(await runCli(['--version'], REPO)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    expect(await runCli(['check', '--help'], REPO)).toMatchObject({ code: 0, stdout: expect.stringContaining('--format <format>') });
    expect(await runCli([], REPO)).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('Usage: losslint') });
  });
});
