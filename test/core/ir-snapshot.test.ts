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
import { buildModule, setIrCacheSize, type ModuleIR, type Span } from '../../server/src/core/ir';
import { fixtureFiles, REPO } from '../robust/samples';

const DIR = path.join(__dirname, 'ir-snapshot');
const SNAPSHOT = path.join(DIR, 'ir.json');
const UPDATE = process.env.UPDATE_IR_SNAPSHOT === '1';

/** Plain JSON of a module's IR: spans as [s, e, line, col, endLine, endCol], ops by id, maps as pairs. */
export function irJson(mod: ModuleIR): unknown {
  const conv = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) return x.map(conv);
    if (x instanceof Map) return [...x].map(([k, v]) => [k, conv(v)]);
    const o = x as Record<string, unknown>;
    if (typeof o.s === 'number' && typeof o.e === 'number' && typeof o.r === 'object') {
      const r = (o as unknown as Span).r;
      return [o.s, o.e, r.start.line, r.start.character, r.end.line, r.end.character];
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) {
      if (o[k] === undefined) continue;
      // Ops by id; a nested def by qualname (its IR is in `functions`).
      out[k] = k === 'op' ? (o[k] as { id: string }).id : k === 'fn' ? (o[k] as { qualname: string }).qualname : conv(o[k]);
    }
    return out;
  };
  return {
    imports: conv(mod.imports),
    globals: conv(mod.globals),
    functions: conv(mod.functions),
    classes: [...mod.classes].map(([k, c]) => [k, { name: c.name, bases: c.bases, span: conv(c.span), methods: [...c.methods].map(([m, f]) => [m, f.qualname]) }]),
    callSites: conv(mod.callSites),
    noqa: conv(mod.noqa),
    // The module's statements are the body of `<module>` when it exists.
    body: mod.functions[0]?.isModule && mod.functions[0].body === mod.body ? '<module>' : conv(mod.body),
  };
}

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
