/**
 * The IR of every rule fixture, the bundled examples and the corner cases in test/core/ir-snapshot/
 * (with a CRLF copy of each corner file), deep-compared with the committed
 * test/core/ir-snapshot/ir.json. The snapshot was written by the builder before it moved from
 * node objects to a tree cursor, so any change in the IR the builder makes shows here, whichever
 * way it is built: without the text (positions from the tree), with the text and the unit cache off
 * (the CLI), and with the text through the unit cache (the editor), twice.
 *
 * `UPDATE_IR_SNAPSHOT=1 npx vitest run test/core/ir-snapshot.test.ts` rewrites the snapshot; only do
 * that for an intended change of the IR, and review the diff.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ParsedDocument } from '../../server/src/core/document';
import { buildModule, setIrCacheSize } from '../../server/src/core/ir';
import { irJson } from './ir-json';
import { fixtureFiles, REPO } from '../robust/samples';

const DIR = path.join(__dirname, 'ir-snapshot');
const SNAPSHOT = path.join(DIR, 'ir.json');
const UPDATE = process.env.UPDATE_IR_SNAPSHOT === '1';

function inputs(): { name: string; text: string }[] {
  const out = fixtureFiles().map((f) => ({ name: path.relative(REPO, f), text: fs.readFileSync(f, 'utf8') }));
  for (const f of fs.readdirSync(DIR).filter((x) => x.endsWith('.py')).sort()) {
    const text = fs.readFileSync(path.join(DIR, f), 'utf8');
    out.push({ name: `corners/${f}`, text }, { name: `corners/${f} (CRLF)`, text: text.replace(/\n/g, '\r\n') });
  }
  return out;
}

describe('IR snapshot', () => {
  const expected: Record<string, unknown> = fs.existsSync(SNAPSHOT) ? JSON.parse(fs.readFileSync(SNAPSHOT, 'utf8')) : {};
  const written: Record<string, unknown> = {};
  afterAll(() => {
    setIrCacheSize(8192);
    if (UPDATE) {
      const names = Object.keys(written).sort();
      fs.writeFileSync(SNAPSHOT, `{\n${names.map((n) => `${JSON.stringify(n)}: ${JSON.stringify(written[n])}`).join(',\n')}\n}\n`);
    }
  });

  for (const { name, text } of inputs()) {
    it(name, () => {
      const doc = ParsedDocument.parse(text);
      const fromTree = irJson(buildModule(doc.tree.rootNode));
      setIrCacheSize(0);
      const cli = irJson(buildModule(doc.tree.rootNode, text));
      setIrCacheSize(8192);
      const editor = irJson(buildModule(doc.tree.rootNode, text));
      const again = irJson(buildModule(doc.tree.rootNode, text));
      expect(cli).toEqual(fromTree);
      expect(editor).toEqual(fromTree);
      expect(again).toEqual(fromTree);
      written[name] = fromTree;
      if (!UPDATE) expect(fromTree, `the IR of ${name} differs from test/core/ir-snapshot/ir.json`).toEqual(expected[name]);
    });
  }
});
