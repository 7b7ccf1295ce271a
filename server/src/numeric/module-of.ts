/**
 * The module (IR) of a source text, parsed and built at once and the tree freed: what the numeric
 * checks run on when they are given a text. Shared by the main thread (runner.ts) and the worker
 * (worker.ts), which builds its own copy from the text rather than receive a clone of the module.
 */
import { ParsedDocument } from '../core/document';
import { releaseTree } from '../core/trees';
import { buildModule, type ModuleIR } from '../core/ir';
import { parseProblems } from '../core/syntax';
import { resolveMethod, resolveQualified, type Spelling } from '../ops';
import { METHOD_RECEIVERS } from '../ops/signature';
import type { ModuleOutline } from './types';
import { noteImports } from './unbound';

export function moduleOf(input: string | ModuleIR): ModuleIR {
  if (typeof input !== 'string') return input;
  const doc = ParsedDocument.parse(input);
  try {
    const mod = buildModule(doc.tree.rootNode);
    // Indentation Python refuses but tree-sitter reads (core/syntax.ts) puts statements in another
    // block: the functions of that top-level statement are not what Python would run. tree-sitter's
    // own errors already mark theirs (`hasError`).
    const problem = doc.tree.rootNode.hasError ? undefined : parseProblems(doc.tree.rootNode, doc.text)[0];
    if (!problem) {
      noteImports(mod, input);
      return mod;
    }
    const top = doc.tree.rootNode.namedChildren.find((n) => n.startIndex <= problem.offset && problem.offset < n.endIndex);
    const s = top ? top.startIndex : problem.offset;
    const e = top ? top.endIndex : problem.offset + 1;
    const broken = (f: ModuleIR['functions'][number]) => !f.isModule && f.span.s < e && f.span.e > s;
    const out = mod.functions.some(broken) ? { ...mod, functions: mod.functions.map((f) => (broken(f) ? { ...f, hasError: true } : f)) } : mod;
    noteImports(out, input);
    return out;
  } finally {
    releaseTree(doc.tree, doc.text.length);
  }
}

/** A module's outline, as plain data for the main thread (ModuleOutline). */
export function outlineOf(mod: ModuleIR): ModuleOutline {
  return {
    functions: mod.functions.map((f) => ({ qualname: f.qualname, nameSpan: { r: f.nameSpan.r }, span: { r: f.span.r } })),
    noqa: mod.noqa,
  };
}

/**
 * A module as a worker can receive it: ops and their spellings hold the op table's functions, which
 * do not survive a structured clone, so they travel as the spelling's name (`revivedModule` looks it
 * up again). Shared references stay shared.
 */
export function portableModule(mod: ModuleIR): unknown {
  const memo = new Map<object, unknown>();
  const walk = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object') return x;
    const seen = memo.get(x);
    if (seen !== undefined) return seen;
    if (Array.isArray(x)) {
      const out: unknown[] = [];
      memo.set(x, out);
      for (const v of x) out.push(walk(v));
      return out;
    }
    if (x instanceof Map) {
      const out = new Map();
      memo.set(x, out);
      for (const [k, v] of x) out.set(k, walk(v));
      return out;
    }
    const out: Record<string, unknown> = {};
    memo.set(x, out);
    // Placeholders in place, so the revived objects keep their keys' order (IR hashes read it).
    const call = (x as { k?: unknown }).k === 'call';
    for (const [k, v] of Object.entries(x)) out[k] = call && k === 'spell' ? { $spell: (v as Spelling).name } : call && k === 'op' ? null : walk(v);
    return out;
  };
  return walk(mod);
}

/** The module `portableModule` sent, with its spellings and ops looked up again (in place). */
export function revivedModule(x: unknown): ModuleIR {
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) return v.forEach(walk);
    if (v instanceof Map) return v.forEach((item) => walk(item));
    const o = v as Record<string, unknown>;
    const ref = o.spell as { $spell?: string } | undefined;
    if (ref?.$spell !== undefined) {
      const receiver = METHOD_RECEIVERS.find((r) => ref.$spell!.startsWith(`${r}.`));
      const s = receiver !== undefined ? resolveMethod(ref.$spell.slice(receiver.length + 1)) : resolveQualified(ref.$spell);
      if (s) {
        o.spell = s;
        o.op = s.op;
      } else {
        delete o.spell;
        delete o.op;
      }
    }
    for (const item of Object.values(o)) walk(item);
  };
  walk(x);
  return x as ModuleIR;
}
