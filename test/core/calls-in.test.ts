/**
 * `callsIn` (ir.ts): the calls under an expression, which the interpreter's scan for call-site
 * literals reads instead of every expression (`walkExprs`): the same calls, in the same order, on
 * every statement of the examples and the rule fixtures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callsIn, walkExprs, type Expr } from '../../server/src/core/ir';
import { stmtRoots, stmtsDeep } from '../../server/src/core/walk';
import { moduleOf } from './helpers';

function pythonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...pythonFiles(p));
    else if (e.name.endsWith('.py')) out.push(p);
  }
  return out.sort();
}

describe('callsIn', () => {
  it('gives the calls walkExprs visits, in its order', () => {
    const root = path.join(__dirname, '../..');
    const files = [...pythonFiles(path.join(root, 'examples')), ...pythonFiles(path.join(root, 'test/fixtures/rules'))];
    expect(files.length).toBeGreaterThan(20);
    let calls = 0;
    for (const f of files) {
      const mod = moduleOf(fs.readFileSync(f, 'utf8'));
      const roots: Expr[] = [];
      for (const body of [mod.body, ...mod.functions.map((fn) => fn.body)]) for (const s of stmtsDeep(body)) roots.push(...stmtRoots(s));
      for (const e of roots) {
        const want = walkExprs(e).filter((x) => x.k === 'call');
        expect(callsIn(e)).toEqual(want);
        expect(callsIn(e).every((c, i) => c === want[i])).toBe(true);
        calls += want.length;
      }
    }
    expect(calls).toBeGreaterThan(500);
  });

  it('appends to the array it is given', () => {
    const mod = moduleOf('import torch\ny = torch.sigmoid(f(x)) + g(h(1), k=j(2))\n');
    const s = mod.body[mod.body.length - 1];
    if (s.k !== 'assign') throw new Error('not an assignment');
    const out = callsIn(s.value, []);
    expect(out.map((c) => (c.func.k === 'name' ? c.func.id : c.callee))).toEqual(['f', 'torch.sigmoid', 'h', 'j', 'g']);
  });
});
