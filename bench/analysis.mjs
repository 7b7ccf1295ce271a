// bench/analysis.mjs: the CLI's per-file work after the text prefilter, over the CPython stdlib files
// that pass it, in one process and one run: the tree-sitter parse, the whole analysis (`analyze`:
// IR of every statement, every function interpreted and checked) and the sliced analysis the CLI
// runs (`analyzeSliced`, core/slice.ts: only the statements that can have findings), with the IR
// unit cache off as in the CLI. The order of the two analyses alternates between rounds; medians of
// the rounds are printed, with the ratios, and the findings of both are compared.
//
//   node bench/analysis.mjs [--rounds 5] [LIB_DIR ...]
import { resolve } from 'node:path';
import os from 'node:os';
import { loadCore } from './load-core.mjs';
import files from './stdlib-files.cjs';

const { keptTexts, stdlibDirs } = files;
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const ROUNDS = Number(opt('--rounds', '5'));
const dirsGiven = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));

const core = await loadCore('analysis', [
      "export { ParsedDocument, MAX_SOURCE_CHARS } from './server/src/core/document';",
      "export { setIrCacheSize } from './server/src/core/ir';",
      "export { analyze } from './server/src/analysis/analyze';",
      "export { analyzeSliced, sliceStats } from './server/src/analysis/slice';",
      "export { mayHaveFindings } from './server/src/core/prefilter';",
      "export { DEFAULT_SETTINGS } from './server/src/core/types';",
]);
core.setIrCacheSize(0);

const dirs = dirsGiven.length ? dirsGiven.map((d) => resolve(d)) : stdlibDirs();
const { texts, seen } = keptTexts(dirs, core.mayHaveFindings, { maxBytes: core.MAX_SOURCE_CHARS });
const chars = texts.reduce((a, t) => a + t.length, 0);

const rounds = { parse: [], whole: [], sliced: [] };
let units = 0;
let checked = 0;
let built = 0;
let differ = 0;
for (let r = 0; r < ROUNDS; r++) {
  let parse = 0;
  let whole = 0;
  let sliced = 0;
  for (const text of texts) {
    const t0 = performance.now();
    const doc = core.ParsedDocument.parse(text);
    doc.tree.rootNode;
    parse += performance.now() - t0;
    const results = {};
    for (const which of r % 2 === 0 ? ['whole', 'sliced'] : ['sliced', 'whole']) {
      const t1 = performance.now();
      results[which] = which === 'whole' ? core.analyze(doc, core.DEFAULT_SETTINGS) : core.analyzeSliced(doc, core.DEFAULT_SETTINGS);
      const dt = performance.now() - t1;
      if (which === 'whole') whole += dt;
      else sliced += dt;
      if (which === 'sliced' && r === 0) {
        const s = core.sliceStats();
        units += s.units;
        checked += s.checked;
        built += s.built;
      }
    }
    if (r === 0 && JSON.stringify(results.whole) !== JSON.stringify(results.sliced)) differ++;
  }
  rounds.parse.push(parse);
  rounds.whole.push(whole);
  rounds.sliced.push(sliced);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const p = median(rounds.parse);
const w = median(rounds.whole);
const s = median(rounds.sliced);
console.log(`# bench/analysis ${new Date().toISOString()}`);
console.log(`machine: nproc ${os.availableParallelism?.() ?? os.cpus().length}, ${os.cpus()[0]?.model.trim()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; node ${process.version}`);
console.log(`corpus: ${texts.length} of ${seen} files pass the prefilter, ${(chars / 1e6).toFixed(2)} M chars; ${ROUNDS} rounds, medians`);
console.log(`parse (tree-sitter)            ${p.toFixed(0).padStart(7)} ms`);
console.log(`whole analysis (analyze)       ${w.toFixed(0).padStart(7)} ms   / parse = ${(w / p).toFixed(2)}`);
console.log(`sliced analysis (CLI)          ${s.toFixed(0).padStart(7)} ms   / parse = ${(s / p).toFixed(2)}`);
console.log(`whole / sliced = ${(w / s).toFixed(2)}x; statements: ${units} in all, ${checked} checked, ${built} built; files whose findings differ: ${differ}`);
