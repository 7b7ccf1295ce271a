/**
 * The layering of ARCHITECTURE.md's code map, read from the sources' import statements: the stages
 * (core/) know nothing of rules or of the strategies that run them, the op table knows only the
 * lattice, the rules know no front end, and the VS Code client and the server share only common/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

/** Every relative import of `file` (static, dynamic and `export ... from`), as a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
    out.push(relative(ROOT, resolve(dirname(file), m[1])).replace(/\\/g, '/'));
  }
  return out;
}

/** `from` may not import anything under the `banned` folders (paths from the repository root). */
function violations(from: string, banned: string[], allowed: string[] = []): string[] {
  const out: string[] = [];
  for (const f of sources(join(ROOT, from))) {
    for (const target of importsOf(f)) {
      if (allowed.some((a) => target === a || target.startsWith(`${a}/`))) continue;
      if (banned.some((b) => target === b || target.startsWith(`${b}/`))) out.push(`${relative(ROOT, f)} -> ${target}`);
    }
  }
  return out;
}

const S = 'server/src';
const FRONT_ENDS = [`${S}/cli`, `${S}/lsp`];

describe('layering (ARCHITECTURE.md code map)', () => {
  it('finds the imports it checks (the reader itself works)', () => {
    expect(importsOf(join(ROOT, S, 'analysis/analyze.ts'))).toContain(`${S}/analysis/registry`);
    expect(importsOf(join(ROOT, S, 'analysis/registry.ts'))).toContain(`${S}/rules`);
  });

  it('core/ (the stages) imports no rules, no strategy, no front end', () => {
    expect(violations(`${S}/core`, [`${S}/rules`, `${S}/analysis`, `${S}/numeric`, `${S}/project`, `${S}/config`, `${S}/notebook`, ...FRONT_ENDS])).toEqual([]);
  });

  it('ops/ (the op table) imports only the lattice (with its layout helpers) and the IR types of core/', () => {
    expect(violations(`${S}/ops`, [S], [`${S}/ops`, `${S}/core/lattice`, `${S}/core/layout`, `${S}/core/ir-types`])).toEqual([]);
  });

  it('rules/ imports no strategy and no front end', () => {
    expect(violations(`${S}/rules`, [`${S}/analysis`, `${S}/project`, `${S}/config`, ...FRONT_ENDS])).toEqual([]);
  });

  it('analysis/, project/, notebook/ and numeric/ import no front end', () => {
    for (const d of ['analysis', 'project', 'notebook', 'numeric']) expect(violations(`${S}/${d}`, FRONT_ENDS)).toEqual([]);
  });

  it('the client imports nothing of the server; both share only common/, which imports nothing', () => {
    expect(violations('client/src', ['server'])).toEqual([]);
    expect(violations(S, ['client'])).toEqual([]);
    expect(sources(join(ROOT, 'common')).flatMap(importsOf)).toEqual([]);
  });
});
