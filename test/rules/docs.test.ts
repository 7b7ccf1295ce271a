/**
 * Registry invariants and rule documentation (ruff's rule pages, torchfix's `test_errorcodes_distinct`).
 *
 * Every registered rule has a well-formed code and a unique code and name, and its `docs` string has
 * the fixed headings in order. `docs/rules/<CODE>.md` must equal the rule's `docs`; run
 * `UPDATE_SNAPSHOTS=1 npx vitest run test/rules/docs.test.ts` to regenerate the pages (it also
 * removes pages of rules that are no longer registered).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRules, docsRelativePath, ruleByCode } from '../../server/src/analysis/registry';

const ROOT = path.resolve(__dirname, '../..');
const DOCS = path.join(ROOT, 'docs/rules');
const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';
const HEADINGS = ['## What it does', '## Why is this bad?', '## Example', '## Use instead', '## Fix safety', '## References'];
const rules = allRules();

describe('registry', () => {
  it('has rules', () => {
    expect(rules.length).toBeGreaterThan(0);
  });

  it('codes are unique and well formed', () => {
    const codes = rules.map((r) => r.meta.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^LL\d{3}$/);
  });

  it('names are unique kebab-case', () => {
    const names = rules.map((r) => r.meta.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('rules are listed in code order and found by code', () => {
    const codes = rules.map((r) => r.meta.code);
    expect(codes).toEqual([...codes].sort());
    for (const r of rules) expect(ruleByCode(r.meta.code.toLowerCase())).toBe(r);
  });

  it('has no page for an unregistered rule', () => {
    const pages = fs.existsSync(DOCS) ? fs.readdirSync(DOCS).filter((f) => f.endsWith('.md')) : [];
    const wanted = new Set(rules.map((r) => path.basename(docsRelativePath(r.meta.code))));
    const stale = pages.filter((p) => !wanted.has(p));
    if (UPDATE) for (const p of stale) fs.rmSync(path.join(DOCS, p));
    else expect(stale).toEqual([]);
  });
});

describe.each(rules.map((r) => [r.meta.code, r] as const))('%s', (code, rule) => {
  it('has a one-line summary', () => {
    expect(rule.meta.summary.trim().length).toBeGreaterThan(0);
    expect(rule.meta.summary).not.toContain('\n');
  });

  it('docs start with the code and name and have the headings in order', () => {
    expect(rule.docs.split('\n')[0]).toBe(`# ${code} ${rule.meta.name}`);
    const lines = rule.docs.split('\n');
    let last = -1;
    for (const h of HEADINGS) {
      const at = lines.findIndex((l) => l.trim() === h);
      expect(at, `missing heading "${h}"`).toBeGreaterThan(-1);
      expect(at, `heading "${h}" out of order`).toBeGreaterThan(last);
      last = at;
    }
  });

  it('docs have a Python example and a fix', () => {
    const section = (h: string): string => {
      const start = rule.docs.indexOf(`${h}\n`);
      const next = rule.docs.indexOf('\n## ', start + h.length);
      return rule.docs.slice(start, next < 0 ? undefined : next);
    };
    expect(section('## Example')).toContain('```python');
    expect(section('## Use instead').trim().length).toBeGreaterThan('## Use instead'.length);
    expect(section('## References')).toMatch(/\n- /);
  });

  it(`${docsRelativePath(code)} equals the rule's docs`, () => {
    const file = path.join(ROOT, docsRelativePath(code));
    if (UPDATE) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, rule.docs);
      return;
    }
    expect(fs.existsSync(file), `missing ${docsRelativePath(code)}; run UPDATE_SNAPSHOTS=1 npx vitest run test/rules/docs.test.ts`).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe(rule.docs);
  });
});
