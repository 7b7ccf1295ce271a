import { interpretModule, type FunctionFacts } from '../../server/src/core/interp';
import { buildModule, type Expr, type ModuleIR } from '../../server/src/core/ir';
import { ParsedDocument } from '../../server/src/core/document';
import type { AbsValue } from '../../server/src/core/lattice';

export function moduleOf(src: string): ModuleIR {
  return buildModule(ParsedDocument.parse(src).tree.rootNode);
}

/** Interprets `src` and returns a lookup from an expression's exact source text (in function `fn`) to its value. */
export function valuesOf(src: string, fn: string): { facts: FunctionFacts; at: (text: string) => AbsValue } {
  const mod = moduleOf(src);
  const facts = interpretModule(mod);
  const f = mod.functions.find((x) => x.qualname === fn);
  if (!f) throw new Error(`no function ${fn}`);
  const ff = facts.functions.get(f)!;
  const at = (text: string): AbsValue => {
    const hits: [Expr, AbsValue][] = [...ff.values].filter(([e]) => src.slice(e.span.s, e.span.e) === text);
    if (hits.length === 0) throw new Error(`no expression \`${text}\` in ${fn}`);
    return hits[hits.length - 1][1];
  };
  return { facts: ff, at };
}
