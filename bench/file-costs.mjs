#!/usr/bin/env node
// bench/file-costs.mjs: where a CLI check's time goes, file by file, on a tree (default: the torch tree
// bench/project.mjs makes). For each file the prefilter keeps (or that the project index parses), the
// CPU time of its parse, its sliced analysis and its summary, and the slice's counts; the costliest
// files first, then the totals.
//
//   node bench/file-costs.mjs [--root /tmp/losslint-bench/torch-tree] [--top 25] [--rounds 2]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCore } from './load-core.mjs';
import { option, pythonFiles } from './files.mjs';

const ROOT = option('--root', '/tmp/losslint-bench/torch-tree');
const TOP = Number(option('--top', '25'));
const ROUNDS = Math.max(1, Number(option('--rounds', '2')));

const m = await loadCore('file-costs', [
  "export { ParsedDocument } from './server/src/core/document';",
  "export { mayHaveFindings } from './server/src/core/prefilter';",
  "export { analyzeSliced, sliceStats } from './server/src/analysis/slice';",
  "export { DEFAULT_SETTINGS } from './server/src/core/types';",
  "export { summarize, needsParse } from './server/src/project/summary';",
]);

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const rows = new Map();
let filterMs = 0;
for (let round = 0; round < ROUNDS; round++) {
  filterMs = 0;
  for (const f of pythonFiles(ROOT)) {
    const text = fs.readFileSync(f, 'utf8');
    let t = cpu();
    const may = m.mayHaveFindings(text);
    const needs = !may && m.needsParse(text, undefined, false);
    filterMs += cpu() - t;
    if (!may && !needs) continue;
    t = cpu();
    const doc = m.ParsedDocument.parse(text);
    const parse = cpu() - t;
    t = cpu();
    let sliced;
    if (may) m.analyzeSliced(doc, m.DEFAULT_SETTINGS, { onSliced: (x) => (sliced = x) });
    const analyze = cpu() - t;
    const stats = may ? m.sliceStats() : { units: 0, checked: 0, built: 0 };
    t = cpu();
    m.summarize(doc, { sliced });
    const summary = cpu() - t;
    doc.tree.delete?.();
    const r = rows.get(f) ?? { file: path.relative(ROOT, f), chars: text.length, may, parse: [], analyze: [], summary: [], stats };
    r.parse.push(parse);
    r.analyze.push(analyze);
    r.summary.push(summary);
    rows.set(f, r);
  }
}
const min = (xs) => Math.min(...xs);
const list = [...rows.values()].map((r) => ({ ...r, p: min(r.parse), a: min(r.analyze), s: min(r.summary) }));
list.sort((a, b) => b.p + b.a + b.s - (a.p + a.a + a.s));
const sum = (k) => list.reduce((n, r) => n + r[k], 0);
console.log(`${list.length} files parsed (${list.filter((r) => r.may).length} kept by the prefilter), ${list.reduce((n, r) => n + r.chars, 0).toLocaleString('en-US')} chars; prefilter ${filterMs.toFixed(0)} ms; parse ${sum('p').toFixed(0)} ms, analysis ${sum('a').toFixed(0)} ms, summary ${sum('s').toFixed(0)} ms (min of ${ROUNDS} rounds)`);
for (const r of list.slice(0, TOP)) console.log(`${r.p.toFixed(0).padStart(5)} ${r.a.toFixed(0).padStart(5)} ${r.s.toFixed(0).padStart(4)} ms  ${String(r.chars).padStart(8)} ch  units ${r.stats.units} checked ${r.stats.checked} built ${r.stats.built}  ${r.may ? '' : '(index only) '}${r.file}`);
