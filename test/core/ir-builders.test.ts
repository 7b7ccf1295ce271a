/**
 * The IR read through a tree cursor (the default builder) equals the IR read through node objects
 * (the builder before it, kept behind `setIrBuilder('nodes')`), imports and `# noqa` lines included,
 * on the fixtures, the examples, the IR corner cases and CPython stdlib files: all those that pass the
 * CLI's prefilter, those whose name says they hold bad syntax, and a seeded sample of the rest.
 * Both ways of positioning are compared: from the text (as `analyze` and the CLI build) and from
 * the tree (no text given, as the numeric runner builds), except that the large files that pass the
 * prefilter are built from the text only, to keep the test short. The unit cache is off here: it keys units
 * by text, not by builder.
 *
 * Environment: LOSSLINT_STDLIB_SEED and LOSSLINT_IR_SAMPLE (default 60 files) pick the sample;
 * LOSSLINT_STDLIB_ALL=1 compares every file of every Lib folder (a few minutes).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pyFiles, stdlibDirs } from '../../bench/stdlib-files.cjs';
import { MAX_SOURCE_CHARS, ParsedDocument } from '../../server/src/core/document';
import { buildModule, setIrBuilder, setIrCacheSize } from '../../server/src/core/ir';
import { mayHaveFindings } from '../../server/src/core/prefilter';
import { fixtureFiles } from '../robust/samples';
import { rng } from '../robust/random';
import { irJson } from './ir-json';

const SEED = Number(process.env.LOSSLINT_STDLIB_SEED ?? 20240611);
const SAMPLE = Number(process.env.LOSSLINT_IR_SAMPLE ?? 60);
const ALL = process.env.LOSSLINT_STDLIB_ALL === '1';

function compare(text: string, fromTreeToo = true): { withText: boolean; fromTree: boolean; a?: unknown; b?: unknown } {
  const doc = ParsedDocument.parse(text);
  const out: { withText: boolean; fromTree: boolean; a?: unknown; b?: unknown } = { withText: true, fromTree: true };
  for (const given of fromTreeToo ? [text, undefined] : [text]) {
    setIrBuilder('nodes');
    const a = irJson(buildModule(doc.tree.rootNode, given));
    setIrBuilder('cursor');
    const b = irJson(buildModule(doc.tree.rootNode, given));
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      if (given === undefined) out.fromTree = false;
      else out.withText = false;
      out.a = a;
      out.b = b;
    }
  }
  return out;
}

/** The stdlib files to compare on; `big` are compared with the text only (the node-object builder is slow). */
function stdlibSample(): { files: string[]; big: Set<string> } {
  const out: string[] = [];
  const big = new Set<string>();
  const dirs = stdlibDirs();
  for (const dir of ALL ? dirs : dirs.slice(0, 1)) {
    const files = pyFiles(dir).filter((f) => fs.statSync(f).size <= MAX_SOURCE_CHARS);
    if (ALL) {
      out.push(...files);
      continue;
    }
    const rest: string[] = [];
    for (const f of files) {
      if (/bad|error|fail/i.test(path.basename(f))) out.push(f);
      else if (mayHaveFindings(fs.readFileSync(f, 'utf8'))) {
        out.push(f);
        big.add(f);
      } else rest.push(f);
    }
    const next = rng(SEED);
    for (let i = rest.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [rest[i], rest[j]] = [rest[j], rest[i]];
    }
    out.push(...rest.slice(0, SAMPLE));
  }
  return { files: out.sort(), big };
}

describe('IR builders: tree cursor = node objects', () => {
  beforeAll(() => setIrCacheSize(0));
  afterAll(() => {
    setIrBuilder('cursor');
    setIrCacheSize(8192);
  });

  it('on the fixtures, examples and corner cases', () => {
    const corners = path.join(__dirname, 'ir-snapshot');
    const files = [...fixtureFiles(), ...fs.readdirSync(corners).filter((f) => f.endsWith('.py')).map((f) => path.join(corners, f))];
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      for (const t of [text, text.replace(/\n/g, '\r\n')]) {
        const r = compare(t);
        if (!r.withText || !r.fromTree) expect(r.b, `${f}: the two builders differ`).toEqual(r.a);
      }
    }
  });

  it.skipIf(stdlibDirs().length === 0)(
    'on CPython stdlib files',
    () => {
      const differ: string[] = [];
      let first: { a?: unknown; b?: unknown } | undefined;
      const { files, big } = stdlibSample();
      for (const f of files) {
        const r = compare(fs.readFileSync(f, 'utf8'), !big.has(f));
        if (!r.withText || !r.fromTree) {
          differ.push(`${f}${r.withText ? '' : ' (with text)'}${r.fromTree ? '' : ' (from tree)'}`);
          first ??= r;
        }
      }
      expect(differ, `${differ.length} of ${files.length} files`).toEqual([]);
      if (first) expect(first.b).toEqual(first.a);
    },
    ALL ? 1_800_000 : 240_000,
  );
});
