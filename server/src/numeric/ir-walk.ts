/**
 * Every node of an IR subtree with its ancestors, for the numeric planner's reads of a function's body
 * (entry-inputs.ts, forward-fn.ts). The op table's references are left out (`op`, `spell`, and
 * `bound`, which repeats the arguments), and spans; `nestedDefs: false` leaves a nested definition's
 * body out too (its parameters may shadow the names).
 */
export function walkIR(node: unknown, on: (n: { k: string }, up: readonly { k: string }[]) => void, up: { k: string }[] = [], nestedDefs = true): void {
  if (Array.isArray(node)) {
    for (const x of node) walkIR(x, on, up, nestedDefs);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  const isNode = typeof o.k === 'string';
  if (isNode) on(o as { k: string }, up);
  if (isNode) up.push(o as { k: string });
  for (const [key, v] of Object.entries(o)) {
    if (key === 'op' || key === 'spell' || key === 'bound' || key === 'span' || (!nestedDefs && key === 'fn')) continue;
    if (v && typeof v === 'object') walkIR(v, on, up, nestedDefs);
  }
  if (isNode) up.pop();
}
