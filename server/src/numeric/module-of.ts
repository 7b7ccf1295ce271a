/**
 * The module (IR) of a source text, parsed and built at once and the tree freed: what the numeric
 * checks run on when they are given a text. Shared by the main thread (runner.ts) and the worker
 * (worker.ts), which builds its own copy from the text rather than receive a clone of the module.
 */
import { ParsedDocument } from '../core/document';
import { buildModule, type ModuleIR } from '../core/ir';
import type { ModuleOutline } from './types';

export function moduleOf(input: string | ModuleIR): ModuleIR {
  if (typeof input !== 'string') return input;
  const doc = ParsedDocument.parse(input);
  try {
    return buildModule(doc.tree.rootNode);
  } finally {
    (doc.tree as { delete?: () => void }).delete?.();
  }
}

/** A module's outline, as plain data for the main thread (ModuleOutline). */
export function outlineOf(mod: ModuleIR): ModuleOutline {
  return {
    functions: mod.functions.map((f) => ({ qualname: f.qualname, nameSpan: { r: f.nameSpan.r }, span: { r: f.span.r } })),
    noqa: mod.noqa,
  };
}
