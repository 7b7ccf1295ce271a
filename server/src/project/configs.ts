/**
 * Config files that Python code loads (project/summary.ts `configs`): YAML (OmegaConf, Hydra,
 * `yaml.safe_load`), JSON and TOML, read with maintained parsers (`yaml`, which also reads JSON with
 * positions; smol-toml) and never evaluated: a value is a literal (number, string, boolean, null, a
 * list of numbers) with the range it was written at, or nothing. OmegaConf interpolations
 * (`${loss.gamma}`) and Hydra's command-line overrides are not followed.
 *
 * Hydra: a key missing from the primary config is looked up in the config group its `defaults`
 * list selects (`defaults: [{loss: focal}]` -> `<dir>/loss/focal.yaml`, mounted under `loss`).
 */
import * as path from 'node:path';
import type * as SmolToml from 'smol-toml' with { 'resolution-mode': 'import' };
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { Expr, Span } from '../core/ir';
import type { Range } from '../core/types';

// smol-toml ships ES module types; its CommonJS build is loaded with `require` (as config/loader.ts does).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse: parseToml } = require('smol-toml') as typeof SmolToml;

export const CONFIG_EXTENSIONS = new Set(['.yaml', '.yml', '.json', '.toml']);

export function isConfigFile(file: string): boolean {
  return CONFIG_EXTENSIONS.has(path.extname(file).toLowerCase());
}

/** One value read from a config file. */
export interface ConfigValue {
  expr: Expr;
  range: Range;
  /** As written in the file. */
  text: string;
}

export interface ConfigDoc {
  /** Why the file could not be read (a syntax error, with its line), or undefined. */
  error?: string;
  /** The value at `keys`, or undefined when absent or not a literal. */
  lookup(keys: readonly string[]): ConfigValue | undefined;
  /** Hydra `defaults` entries: group -> option (`loss: focal`). */
  defaults: Map<string, string>;
  /** `# noqa` lines (0-based) and their codes, as in Python files. */
  noqa: [number, string[]][];
}

const ZERO: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
const NOWHERE: Span = { s: 0, e: 0, r: ZERO };

/** A literal expression (as the IR writes one) for a plain value, else undefined. */
export function literalExpr(v: unknown): Expr | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 0 ? { k: 'unary', op: '-', operand: { k: 'num', value: -v, span: NOWHERE }, span: NOWHERE } : { k: 'num', value: v, span: NOWHERE };
  if (typeof v === 'bigint') return literalExpr(Number(v));
  if (typeof v === 'string') return v.includes('${') ? undefined : { k: 'str', value: v, span: NOWHERE };
  if (typeof v === 'boolean') return { k: 'const', value: v, span: NOWHERE };
  if (v === null) return { k: 'const', value: null, span: NOWHERE };
  if (Array.isArray(v)) {
    const items = v.map(literalExpr);
    return items.every((x): x is Expr => x !== undefined) ? { k: 'tuple', items, list: true, span: NOWHERE } : undefined;
  }
  return undefined;
}

const NOQA = /#\s*noqa(?::\s*([A-Za-z]+[0-9]+(?:\s*,\s*[A-Za-z]+[0-9]+)*))?/i;

function noqaLines(text: string): [number, string[]][] {
  const out: [number, string[]][] = [];
  if (!/noqa/i.test(text)) return out;
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    const m = NOQA.exec(line);
    if (m) out.push([i, m[1] ? m[1].split(',').map((x) => x.trim().toUpperCase()) : []]);
  });
  return out;
}

/** Reads a config file's text; never throws (a broken file gives a doc with `error` and no values). */
export function readConfig(file: string, text: string): ConfigDoc {
  const ext = path.extname(file).toLowerCase();
  try {
    return ext === '.toml' ? readToml(text) : readYaml(text);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), lookup: () => undefined, defaults: new Map(), noqa: [] };
  }
}

function readYaml(text: string): ConfigDoc {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
  const pos = (offset: number) => {
    const p = lc.linePos(offset);
    return { line: p.line - 1, character: p.col - 1 };
  };
  const noqa = noqaLines(text);
  if (doc.errors.length) {
    const e = doc.errors[0];
    const at = e.pos ? pos(e.pos[0]) : undefined;
    return { error: `${at ? `line ${at.line + 1}: ` : ''}${e.message.split('\n')[0]}`, lookup: () => undefined, defaults: new Map(), noqa };
  }
  const at = (keys: readonly string[]): YamlNode | undefined => {
    let node: unknown = doc.contents;
    for (const k of keys) {
      if (isMap(node)) node = node.get(k, true);
      else if (isSeq(node) && /^\d+$/.test(k)) node = node.get(Number(k), true);
      else return undefined;
    }
    return node as YamlNode | undefined;
  };
  const defaults = new Map<string, string>();
  const d = at(['defaults']);
  if (isSeq(d)) {
    for (const item of d.items) {
      if (isMap(item)) {
        for (const pair of item.items) {
          const k = isScalar(pair.key) ? String(pair.key.value) : undefined;
          const v = isScalar(pair.value) ? pair.value.value : undefined;
          if (k && typeof v === 'string') defaults.set(k.replace(/^override\s+/, ''), v);
        }
      }
    }
  }
  return {
    noqa,
    defaults,
    lookup(keys) {
      const node = at(keys);
      if (!node || !node.range) return undefined;
      const value = isScalar(node) ? node.value : isSeq(node) ? node.toJSON() : undefined;
      const expr = literalExpr(value);
      if (!expr) return undefined;
      const [s, e] = node.range;
      return { expr, range: { start: pos(s), end: pos(e) }, text: text.slice(s, e) };
    },
  };
}

/** TOML: smol-toml for the values; the range is found by scanning the text for the key under its table. */
function readToml(text: string): ConfigDoc {
  const data = parseToml(text) as Record<string, unknown>;
  const lines = text.split(/\r\n|\r|\n/);
  return {
    noqa: noqaLines(text),
    defaults: new Map(),
    lookup(keys) {
      let v: unknown = data;
      for (const k of keys) {
        if (v && typeof v === 'object' && !Array.isArray(v) && k in (v as object)) v = (v as Record<string, unknown>)[k];
        else return undefined;
      }
      const expr = literalExpr(v);
      if (!expr) return undefined;
      const range = tomlRange(lines, keys);
      return { expr, range: range ?? ZERO, text: range ? lines[range.start.line].slice(range.start.character, range.end.character) : String(v) };
    },
  };
}

function tomlRange(lines: string[], keys: readonly string[]): Range | undefined {
  let table: string[] = [];
  const unquote = (k: string) => k.trim().replace(/^["']|["']$/g, '');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const h = /^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(line);
    if (h) {
      table = h[1].split('.').map(unquote);
      continue;
    }
    const m = /^(\s*)([A-Za-z0-9_."' -]+?)\s*=\s*(.*?)\s*(#.*)?$/.exec(line);
    if (!m) continue;
    const full = [...table, ...m[2].split('.').map(unquote)];
    if (full.length !== keys.length || full.some((k, j) => k !== keys[j])) continue;
    const start = line.indexOf(m[3], m[1].length + m[2].length);
    return { start: { line: i, character: start }, end: { line: i, character: start + m[3].length } };
  }
  return undefined;
}
