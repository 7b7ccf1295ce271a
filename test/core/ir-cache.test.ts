/**
 * The IR's unit cache: building a module after edits, with the IR of unchanged top-level statements
 * reused and shifted, must give exactly the IR of a build from scratch.
 */
import { describe, expect, it } from 'vitest';
import { ParsedDocument } from '../../server/src/core/document';
import { buildModule, type ModuleIR } from '../../server/src/core/ir';
import { analyze } from '../../server/src/analysis/analyze';
import { DEFAULT_SETTINGS } from '../../server/src/core/types';
import { rng } from '../robust/random';
// @ts-expect-error: plain JavaScript bench helper
import { genLossFile } from '../../bench/gen-loss-file.mjs';

function snapshot(mod: ModuleIR): string {
  return JSON.stringify({
    functions: mod.functions,
    classes: [...mod.classes].map(([k, c]) => [k, { ...c, methods: [...c.methods.keys()] }]),
    globals: [...mod.globals],
    callSites: mod.callSites,
    imports: [...mod.imports],
    noqa: [...mod.noqa],
  });
}


describe('IR unit cache', () => {
  it('gives the same IR and findings as a fresh build after 60 random edits', () => {
    let text: string = genLossFile(600);
    text += '\n\ndef bug(logits, targets, gamma=0.5):\n    pt = torch.exp(-F.cross_entropy(logits, targets, reduction="none"))\n    return ((1 - pt) ** gamma).mean()\n';
    const rand = rng(Number(process.env.IR_CACHE_SEED ?? 42));
    const inserts = ['x', ' ', '\n', '(', ')', '0.5', '\n    y = 1\n', '# noqa\n', 'def g(a):\n    return a\n', 'import torch.nn.functional as G\n'];
    for (let i = 0; i < 60; i++) {
      const at = Math.floor(rand() * text.length);
      if (rand() < 0.3) text = text.slice(0, at) + text.slice(Math.min(text.length, at + 1 + Math.floor(rand() * 5)));
      else text = text.slice(0, at) + inserts[Math.floor(rand() * inserts.length)] + text.slice(at);
      const doc = ParsedDocument.parse(text);
      const cached = buildModule(doc.tree.rootNode, text);
      const fresh = buildModule(doc.tree.rootNode);
      const a = snapshot(cached);
      const b = snapshot(fresh);
      if (a !== b && process.env.IR_CACHE_DEBUG) {
        require('node:fs').writeFileSync('/tmp/ll/a.json', JSON.stringify(JSON.parse(a), null, 1));
        require('node:fs').writeFileSync('/tmp/ll/b.json', JSON.stringify(JSON.parse(b), null, 1));
      }
      expect(a === b, `edit ${i}: the cached IR differs from a fresh build`).toBe(true);
      // The findings, computed through the cache twice in a row, do not change either.
      expect(analyze(doc, DEFAULT_SETTINGS)).toEqual(analyze(ParsedDocument.parse(text), DEFAULT_SETTINGS));
    }
  });

  it('reuses unchanged statements: a second build of the same text is the same objects', () => {
    const text: string = genLossFile(200);
    const doc = ParsedDocument.parse(text);
    const a = buildModule(doc.tree.rootNode, text);
    const b = buildModule(doc.tree.rootNode, text);
    expect(b.functions.filter((f) => !f.isModule).every((f, i) => f === a.functions.filter((g) => !g.isModule)[i])).toBe(true);
    // ... and an edit that moves later statements shifts their spans.
    const edited = `# a new first line\n${text}`;
    const c = buildModule(ParsedDocument.parse(edited).tree.rootNode, edited);
    const last = (m: ModuleIR) => m.functions[m.functions.length - 1];
    expect(last(c).span.r.start.line).toBe(last(a).span.r.start.line + 1);
    expect(last(c).span.s).toBe(last(a).span.s + '# a new first line\n'.length);
    expect(last(c)).not.toBe(last(a));
  });
});
