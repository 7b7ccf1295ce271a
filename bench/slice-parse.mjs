#!/usr/bin/env node
// bench/slice-parse.mjs: how much parsing a CLI check could save by parsing only what the slice needs
// (analysis/slice.ts), measured with the slice itself as an oracle, before writing a lexical one.
//
// For every file the prefilter keeps (core/prefilter.ts `mayHaveFindings`), the file is parsed and
// sliced once; then three parses of it are timed (CPU time: the machine may be shared), interleaved,
// for several rounds:
//   full     the whole text (what the CLI does today);
//   stmt     tree-sitter included ranges over the top-level statements the slice builds (`built`:
//            all module code and the definitions included) - the statement-level lever;
//   +methods the same without the methods whose bodies the slice leaves empty - the method-level lever.
// A lexical slice can at best reach these numbers (it costs a scan of its own and must keep at least
// as much). It also splits the kept bytes by why the slice keeps them.
//
//   node bench/slice-parse.mjs [--root /tmp/losslint-bench/torch-tree] [--rounds 3]
//
// The torch tree is made by bench/project.mjs (Python files of Debian's torch and torchvision).
import * as fs from 'node:fs';
import { loadCore } from './load-core.mjs';
import { option, pythonFiles } from './files.mjs';

const ROOT = option('--root', '/tmp/losslint-bench/torch-tree');
const ROUNDS = Math.max(1, Number(option('--rounds', '3')));

const m = await loadCore('slice-parse', [
  "export { ParsedDocument, parser } from './server/src/core/document';",
  "export { mayHaveFindings } from './server/src/core/prefilter';",
  "export { analyzeSliced } from './server/src/analysis/slice';",
  "export { DEFAULT_SETTINGS } from './server/src/core/types';",
]);


/** Included ranges over `spans` ([s, e) UTF-16 offsets), merged, with their points. */
function rangesOver(text, spans) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  const point = (o) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= o) lo = mid + 1;
      else hi = mid;
    }
    return { row: lo - 1, column: o - starts[lo - 1] };
  };
  const merged = [];
  for (const [a, b] of [...spans].sort((x, y) => x[0] - y[0])) {
    const last = merged.at(-1);
    if (last && a <= last[1] + 2) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged.map(([a, b]) => ({ startIndex: a, endIndex: b, startPosition: point(a), endPosition: point(b) }));
}

/** `spans` less `holes`. */
function without(spans, holes) {
  const sorted = [...holes].sort((x, y) => x[0] - y[0]);
  const out = [];
  for (const [a, b] of spans) {
    let c = a;
    for (const [h1, h2] of sorted) {
      if (h2 <= c || h1 >= b) continue;
      if (h1 > c) out.push([c, h1]);
      c = Math.max(c, h2);
    }
    if (c < b) out.push([c, b]);
  }
  return out;
}

const bytes = { total: 0, kept: 0, moduleCode: 0, defsBuilt: 0, defsLeftOut: 0, emptyMethods: 0 };
const jobs = [];
for (const file of pythonFiles(ROOT)) {
  const text = fs.readFileSync(file, 'utf8');
  bytes.total += text.length;
  if (!m.mayHaveFindings(text)) continue;
  bytes.kept += text.length;
  const doc = m.ParsedDocument.parse(text);
  const stmt = [];
  const empty = [];
  m.analyzeSliced(doc, m.DEFAULT_SETTINGS, {
    onSliced: (x) => {
      for (const u of x.plan.units) {
        const n = u.e - u.s;
        if (!u.isDef) bytes.moduleCode += n;
        else if (x.built.has(u.index)) bytes.defsBuilt += n;
        else bytes.defsLeftOut += n;
        if (!u.isDef || x.built.has(u.index)) stmt.push([u.s, u.e]);
      }
      for (const c of x.module.classDefs) for (const f of c.methods.values()) if (!f.body.length) empty.push([f.span.s, f.span.e]);
    },
  });
  const methods = without(stmt, empty);
  for (const [a, b] of empty) bytes.emptyMethods += b - a;
  jobs.push({ text, stmt: rangesOver(text, stmt), methods: rangesOver(text, methods) });
}

const p = m.parser();
const parse = (text, includedRanges) => p.parse((i) => text.slice(i, i + 16384), undefined, includedRanges ? { includedRanges } : undefined);
const times = { full: [], stmt: [], methods: [] };
let parsed = { full: 0, stmt: 0, methods: 0 };
for (let r = 0; r < ROUNDS; r++) {
  const t = { full: 0, stmt: 0, methods: 0 };
  parsed = { full: 0, stmt: 0, methods: 0 };
  for (const j of jobs) {
    for (const kind of r % 2 ? ['methods', 'stmt', 'full'] : ['full', 'stmt', 'methods']) {
      const ranges = kind === 'full' ? undefined : j[kind];
      const c0 = process.cpuUsage();
      parse(j.text, ranges);
      const c = process.cpuUsage(c0);
      t[kind] += (c.user + c.system) / 1000;
      parsed[kind] += ranges ? ranges.reduce((s, x) => s + x.endIndex - x.startIndex, 0) : j.text.length;
    }
  }
  for (const k of Object.keys(t)) times[k].push(t[k]);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (x, of) => `${((100 * x) / of).toFixed(1)} %`;
console.log(`${jobs.length} files kept of ${ROOT}: ${bytes.kept} of ${bytes.total} characters`);
console.log(`kept characters: module code ${pct(bytes.moduleCode, bytes.kept)}, definitions built ${pct(bytes.defsBuilt, bytes.kept)}, definitions left out ${pct(bytes.defsLeftOut, bytes.kept)}; methods left empty ${pct(bytes.emptyMethods, bytes.kept)}`);
for (const k of ['full', 'stmt', 'methods']) {
  console.log(`${(k === 'methods' ? '+methods' : k).padEnd(9)} parses ${String(parsed[k]).padStart(9)} characters (${pct(parsed[k], bytes.kept)})  CPU median of ${ROUNDS}: ${median(times[k]).toFixed(0)} ms  all: ${times[k].map((x) => x.toFixed(0)).join(' ')}`);
}
