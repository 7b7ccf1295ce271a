/**
 * `losslint check` on a fixture project (test/fixtures/projects/focal): every finding of the project
 * analysis is where a `# expect: CODES` comment says (Python and YAML alike), whatever the number
 * of jobs; related locations reach the text, JSON and SARIF outputs; broken configs, cyclic imports
 * and missing modules are told, never fatal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lines, runCli, sarifValidator, tempDir, writeTree } from './helpers';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'projects', 'focal');

/** `path:line:code` for every `# expect:` comment under the fixture (1-based lines). */
function expected(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.')) walk(p); // not the CLI's .losslint_cache
      } else
        fs.readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            const m = /# expect: ([A-Z0-9, ]+)/.exec(line);
            if (m) for (const code of m[1].split(',')) out.push(`${path.relative(root, p)}:${i + 1}:${code.trim()}`);
          });
    }
  };
  walk(root);
  return out.sort();
}

interface JsonFinding {
  code: string;
  path: string;
  line: number;
  related?: { path: string; line: number; message: string }[];
}

describe('losslint check: project analysis', () => {
  for (const jobs of ['1', '2']) {
    it(`reports each value where it is written (-j ${jobs})`, async () => {
      const r = await runCli(['check', '.', '--format', 'json', '-j', jobs], FIXTURE);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      const found = (JSON.parse(r.stdout) as JsonFinding[]).map((f) => `${f.path}:${f.line}:${f.code}`).sort();
      expect(found).toEqual(expected(FIXTURE));
    });
  }

  it('names the loss next to a value, and the values next to the loss, in every format', async () => {
    const json = JSON.parse((await runCli(['check', '.', '--format', 'json', '-j', '1'], FIXTURE)).stdout) as JsonFinding[];
    const yaml = json.find((f) => f.path === 'conf/loss/focal.yaml')!;
    expect(yaml.related).toEqual([expect.objectContaining({ path: 'pkg/losses/focal.py', line: 16 })]);
    const loss = json.find((f) => f.path === 'pkg/losses/focal.py' && f.line === 16)!;
    expect(loss.related!.map((r) => `${r.path}:${r.line}`).sort()).toEqual(['conf/loss/focal.yaml:2', 'configs/retinanet_r50.py:6', 'pkg/models/detector.py:10', 'scripts/train.py:9']);

    const text = (await runCli(['check', '.', '-j', '1'], FIXTURE)).stdout;
    const at = lines(text).findIndex((l) => l.startsWith('conf/loss/focal.yaml:2:8: LL103'));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(lines(text)[at + 1]).toMatch(/^ {2}pkg\/losses\/focal\.py:16:16: the loss that takes gamma=0\.7/);

    const sarif = JSON.parse((await runCli(['check', '.', '--format', 'sarif', '-j', '1'], FIXTURE)).stdout);
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const result = sarif.runs[0].results.find((x: any) => x.locations[0].physicalLocation.artifactLocation.uri.endsWith('conf/loss/focal.yaml'));
    expect(result.relatedLocations[0].physicalLocation.artifactLocation.uri).toMatch(/pkg\/losses\/focal\.py$/);
  });

  it('checks each file alone with --no-project', async () => {
    const r = await runCli(['check', '.', '--format', 'json', '--no-project', '-j', '1'], FIXTURE);
    const found = (JSON.parse(r.stdout) as JsonFinding[]).map((f) => `${f.path}:${f.line}:${f.code}`);
    expect(found).toEqual([]);
  });

  it('tells a broken config, and survives cyclic imports and missing modules', async () => {
    const root = tempDir('losslint-project-');
    fs.cpSync(FIXTURE, root, { recursive: true });
    writeTree(root, {
      'conf/eval.yaml': 'loss:\n  gamma: [0.4\n',
      'cyc/__init__.py': 'from .a import A\n',
      'cyc/a.py': 'from .b import B\nfrom .a import A as A2\nfrom missing.module import Nothing\nA = B\n',
      'cyc/b.py': 'from .a import A\nB = A\nx = B(gamma=0.5)\n',
    });
    const r = await runCli(['check', '.', '--format', 'json', '-j', '1'], root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/warning: conf\/eval\.yaml: cannot read the config: line \d+: /);
    const found = (JSON.parse(r.stdout) as JsonFinding[]).map((f) => `${f.path}:${f.line}:${f.code}`).sort();
    // Everything but the value of the broken file is still found.
    expect(found).toEqual(expected(FIXTURE).filter((f) => !f.startsWith('conf/eval.yaml') && f !== 'pkg/losses/focal.py:23:LL103'));
  });
});
