/**
 * Zero findings on PyTorch's and torchvision's own Python sources (Debian's python3-torch and
 * python3-torchvision, which CI installs): the libraries' code is the reference for how these ops are
 * used correctly, and their test tables' naive reference implementations are not user loss code.
 * The whole check runs through the CLI, as a user would run it (prefilter, slices, worker threads).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const TREES = ['/usr/lib/python3/dist-packages/torch', '/usr/lib/python3/dist-packages/torchvision'].filter((d) => fs.existsSync(d));

describe.skipIf(TREES.length < 2)("torch's and torchvision's sources", () => {
  it('have no finding', () => {
    let out: string;
    try {
      out = execFileSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'check', ...TREES, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    } catch (e) {
      out = (e as { stdout: string }).stdout;
    }
    const findings = JSON.parse(out) as { path: string; line: number; code: string; message: string }[];
    expect(findings.map((f) => `${f.path}:${f.line} ${f.code} ${f.message}`)).toEqual([]);
  }, 180_000);
});
