/** A module's IR as plain JSON, for the IR snapshot test and the comparison of the two IR builders. */
import type { ModuleIR, Span } from '../../server/src/core/ir';

/** Plain JSON of a module's IR: spans as [s, e, line, col, endLine, endCol], ops by id, spellings by name, maps as pairs. */
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
      out[k] = k === 'op' && typeof o[k] === 'object' ? (o[k] as { id: string }).id : k === 'spell' ? (o[k] as { name: string }).name : k === 'fn' ? (o[k] as { qualname: string }).qualname : conv(o[k]);
    }
    return out;
  };
  return {
    imports: conv(mod.imports),
    globals: conv(mod.globals),
    functions: conv(mod.functions),
    classes: [...mod.classes].map(([k, c]) => [k, { name: c.name, bases: c.bases, span: conv(c.span), methods: [...c.methods].map(([m, f]) => [m, f.qualname]), attrs: conv(c.attrs) }]),
    callSites: conv(mod.callSites),
    noqa: conv(mod.noqa),
    // The module's statements are the body of `<module>` when it exists.
    body: mod.functions[0]?.isModule && mod.functions[0].body === mod.body ? '<module>' : conv(mod.body),
  };
}
