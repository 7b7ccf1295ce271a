/**
 * The module (IR) of a source text, parsed and built at once and the tree freed: what the numeric
 * checks run on when they are given a text. Shared by the main thread (runner.ts) and the worker
 * (worker.ts), which builds its own copy from the text rather than receive a clone of the module.
 */
import { ParsedDocument } from '../core/document';
import { buildModule, type ModuleIR } from '../core/ir';

export function moduleOf(input: string | ModuleIR): ModuleIR {
  if (typeof input !== 'string') return input;
  const doc = ParsedDocument.parse(input);
  try {
    return buildModule(doc.tree.rootNode);
  } finally {
    (doc.tree as { delete?: () => void }).delete?.();
  }
}
