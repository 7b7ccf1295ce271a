// bench/ir-build.mjs: what building the IR costs next to parsing, over the CPython stdlib files that
// pass the CLI's prefilter (`mayHaveFindings`), in one process and one run, so that the ratios are
// measured side by side on the same (noisy, shared) cores. Per round and per file: the tree-sitter
// parse, then `buildModule(root, text)` with the unit cache off (as the CLI builds); the medians of
// the rounds are printed. (The node-object builder it was compared with in bench/RESULTS.md is gone.)
//
//   node bench/ir-build.mjs [--rounds 5] [--limit N] [LIB_DIR ...]
import { resolve } from 'node:path';
import os from 'node:os';
import { loadCore } from './load-core.mjs';
import files from './stdlib-files.cjs';

const { keptTexts, stdlibDirs } = files;
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const ROUNDS = Number(opt('--rounds', '5'));
const LIMIT = Number(opt('--limit', 'Infinity'));
const dirsGiven = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));

const core = await loadCore('ir-build', [
      "export { ParsedDocument, MAX_SOURCE_CHARS } from './server/src/core/document';",
      "export * from './server/src/core/ir';",
      "export { mayHaveFindings } from './server/src/core/prefilter';",
]);
core.setIrCacheSize(0);

const dirs = dirsGiven.length ? dirsGiven.map((d) => resolve(d)) : stdlibDirs();
const { texts, seen } = keptTexts(dirs, core.mayHaveFindings, { maxBytes: core.MAX_SOURCE_CHARS, limit: LIMIT });
const chars = texts.reduce((a, t) => a + t.length, 0);

const rounds = { parse: [], build: [] };
for (let r = 0; r < ROUNDS; r++) {
  let parse = 0;
  let build = 0;
  for (const text of texts) {
    const t0 = performance.now();
    const doc = core.ParsedDocument.parse(text);
    const rootNode = doc.tree.rootNode;
    parse += performance.now() - t0;
    const t1 = performance.now();
    core.buildModule(rootNode, text);
    build += performance.now() - t1;
  }
  rounds.parse.push(parse);
  rounds.build.push(build);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const p = median(rounds.parse);
const b = median(rounds.build);
console.log(`# bench/ir-build ${new Date().toISOString()}`);
console.log(`machine: nproc ${os.availableParallelism?.() ?? os.cpus().length}, ${os.cpus()[0]?.model.trim()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; node ${process.version}`);
console.log(`corpus: ${texts.length} of ${seen} files pass the prefilter, ${(chars / 1e6).toFixed(2)} M chars; ${ROUNDS} rounds, medians`);
console.log(`parse (tree-sitter)           ${p.toFixed(0).padStart(7)} ms`);
console.log(`IR build                      ${b.toFixed(0).padStart(7)} ms   build / parse = ${(b / p).toFixed(2)}`);
