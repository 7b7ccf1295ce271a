// bench/incremental.mjs: the editor's per-keystroke work, in process, on the same edits as
// bench/lsp-latency.mjs (typing a few statements inside a function in the middle of a generated
// 3,000-line loss file). Prints the incremental parse time and, side by side on the same edits, the
// incremental analysis the editor runs (core/incremental.ts) and a whole analysis (core/analyze.ts),
// with how many top-level statements and functions the incremental one re-checked per edit.
//
//   node [--expose-gc] bench/incremental.mjs [--edits 300] [--lines 3000] [--autoclose] [--enter]
//
// --autoclose types brackets as VS Code does by default; --enter types each statement on a new line
// opened with Enter, instead of in front of existing code on the same line (bench/typing.mjs).
import os from 'node:os';
import { loadCore } from './load-core.mjs';
import { genLossFile } from './gen-loss-file.mjs';
import { typingEdits } from './typing.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const EDITS = Number(opt('--edits', '300'));
const LINES = Number(opt('--lines', '3000'));
const AUTOCLOSE = args.includes('--autoclose');
const ENTER = args.includes('--enter');

const core = await loadCore('incremental', [
      "export { ParsedDocument, parseCounts } from './server/src/core/document';",
      "export { analyze } from './server/src/analysis/analyze';",
      "export { IncrementalAnalyzer } from './server/src/analysis/incremental';",
      "export { irBuildStats } from './server/src/core/ir';",
      "export { DEFAULT_SETTINGS } from './server/src/core/types';",
]);

const text = genLossFile(LINES);
const edits = typingEdits(text, EDITS, { autoClose: AUTOCLOSE, enter: ENTER });
const doc = core.ParsedDocument.parse(text);
const inc = new core.IncrementalAnalyzer();
inc.analyze(doc, core.DEFAULT_SETTINGS); // warm: what opening the document does
core.analyze(doc, core.DEFAULT_SETTINGS);
const parseMs = [];
const incMs = [];
const analyzeMs = [];
const checked = [];
const functions = [];
const assembled = [];
let units = 0;
let mismatches = 0;
// With `node --expose-gc`: the V8 heap after a full GC, every 100 edits (what the editor keeps alive).
const heapMB = () => (globalThis.gc ? (globalThis.gc(), process.memoryUsage().heapUsed / 1e6) : undefined);
const heap = [heapMB()];
for (const change of edits) {
  if (globalThis.gc && parseMs.length > 0 && parseMs.length % 100 === 0) heap.push(heapMB());
  const t0 = performance.now();
  doc.applyChanges([change]);
  const t1 = performance.now();
  const a = inc.analyze(doc, core.DEFAULT_SETTINGS);
  const t2 = performance.now();
  const b = core.analyze(doc, core.DEFAULT_SETTINGS);
  const t3 = performance.now();
  parseMs.push(t1 - t0);
  incMs.push(t2 - t1);
  analyzeMs.push(t3 - t2);
  if (JSON.stringify(a) !== JSON.stringify(b)) mismatches++;
  const s = inc.lastStats();
  checked.push(s.checked);
  functions.push(s.functions);
  assembled.push(s.assembled);
  units = s.units;
}
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`# bench/incremental ${new Date().toISOString()}`);
console.log(`machine: nproc ${os.availableParallelism?.() ?? os.cpus().length}, ${os.cpus()[0]?.model.trim()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; node ${process.version}`);
console.log(`file: ${LINES} lines, ${units} top-level statements; ${EDITS} keystrokes in the middle, brackets ${AUTOCLOSE ? 'auto-closed (VS Code default)' : 'typed one by one (no auto-close)'}, ${ENTER ? 'each statement on a new line (Enter first)' : 'in front of the code of an existing line'}`);
console.log(`  incremental parse  p50 ${pct(parseMs, 50).toFixed(1)} ms, p99 ${pct(parseMs, 99).toFixed(1)} ms`);
console.log(`  incremental analysis (editor)  p50 ${pct(incMs, 50).toFixed(1)} ms, p99 ${pct(incMs, 99).toFixed(1)} ms`);
console.log(`  whole analysis (same edits)    p50 ${pct(analyzeMs, 50).toFixed(1)} ms, p99 ${pct(analyzeMs, 99).toFixed(1)} ms`);
console.log(`  whole / incremental: p50 ${(pct(analyzeMs, 50) / pct(incMs, 50)).toFixed(1)}x, p99 ${(pct(analyzeMs, 99) / pct(incMs, 99)).toFixed(1)}x`);
console.log(`  per edit: statements re-checked ${mean(checked).toFixed(2)} (max ${Math.max(...checked)}) of ${units}, given to the interpreter ${mean(assembled).toFixed(1)}, functions interpreted and checked ${mean(functions).toFixed(2)} (max ${Math.max(...functions)})`);
const slow = incMs.map((ms, i) => [ms, i]).sort((a, b) => b[0] - a[0]).slice(0, 5);
console.log(`  slowest incremental analyses: ${slow.map(([ms, i]) => `${ms.toFixed(1)} ms (edit ${i}, ${checked[i]} statements, ${functions[i]} functions)`).join('; ')}`);
console.log(`  edits that re-checked over 10% of the statements: ${checked.filter((x) => x > units / 10).length} of ${EDITS}`);
console.log(`  findings differing between the two: ${mismatches} of ${EDITS} edits`);
console.log(`  syntax errors kept inside the edited statement (core/document.ts contain): ${core.parseCounts.contained} edits; parses stopped early: ${core.parseCounts.halted}`);
if (globalThis.gc) console.log(`  V8 heap after a full GC, every 100 edits: ${heap.map((x) => `${x.toFixed(1)} MB`).join(', ')}`);
else console.log('  (run with node --expose-gc to print the V8 heap after a full GC every 100 edits)');
