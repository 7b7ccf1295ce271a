/**
 * The project check of torch's and torchvision's own sources (Debian's python3-torch and
 * python3-torchvision, installed in CI) reports nothing: torch's code is the reference the rules are
 * written against, and every loss there is correct. Skipped where the packages are absent.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/helpers';

const DIST = '/usr/lib/python3/dist-packages';
const TREES = ['torch', 'torchvision'].map((t) => `${DIST}/${t}`);
const present = TREES.every((t) => fs.existsSync(`${t}/__init__.py`));

describe.skipIf(!present)('torch and torchvision sources', () => {
  it('have no finding in a project check (index included), with two jobs', { timeout: 600_000 }, async () => {
    const r = await runCli(['check', ...TREES, '--format', 'json', '-j', '2'], DIST);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
  });
});
