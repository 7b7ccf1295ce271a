// bench/incremental.mjs: the editor's per-keystroke work, in process, on the same edits as
// bench/lsp-latency.mjs (typing a few statements inside a function in the middle of a generated
// 3,000-line loss file). Prints, per edit, the incremental parse time, the analysis time, and how many
// top-level statements the IR rebuilt from the tree versus reused (unchanged, or shifted to a new place).
//
//   node bench/incremental.mjs [--edits 300] [--lines 3000]
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';
import { genLossFile } from './gen-loss-file.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const EDITS = Number(opt('--edits', '300'));
const LINES = Number(opt('--lines', '3000'));

const out = join(root, 'node_modules', '.cache', 'losslint-bench-incremental.mjs');
mkdirSync(dirname(out), { recursive: true });
await build({
  stdin: {
    contents: [
      "export { ParsedDocument } from './server/src/core/document';",
      "export { analyze } from './server/src/core/analyze';",
      "export { irBuildStats } from './server/src/core/ir';",
      "export { DEFAULT_SETTINGS } from './server/src/core/types';",
    ].join('\n'),
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: out,
  external: ['tree-sitter', 'tree-sitter-python'],
  logLevel: 'error',
});
const core = await import(pathToFileURL(out).href);
rmSync(out);

const text = genLossFile(LINES);
const lines = text.split('\n');
let at = lines.findIndex((l, i) => i > lines.length / 2 && /^def softmax_focal_/.test(l));
if (at < 0) at = Math.floor(lines.length / 2);
const snippet = '    modulating = (1 - pt) ** gamma\n    weighted = alpha * modulating * ce\n    total = weighted.sum() / max(1, targets.numel())\n';

const doc = core.ParsedDocument.parse(text);
core.analyze(doc, core.DEFAULT_SETTINGS); // warm: fills the IR cache as an opened document would
const parseMs = [];
const analyzeMs = [];
const rebuilt = [];
const shifted = [];
let units = 0;
let l = at + 3;
let c = 0;
for (let i = 0; i < EDITS; i++) {
  const ch = snippet[i % snippet.length];
  const t0 = performance.now();
  doc.applyChanges([{ range: { start: { line: l, character: c }, end: { line: l, character: c } }, text: ch }]);
  const t1 = performance.now();
  core.analyze(doc, core.DEFAULT_SETTINGS);
  const t2 = performance.now();
  parseMs.push(t1 - t0);
  analyzeMs.push(t2 - t1);
  const s = core.irBuildStats();
  rebuilt.push(s.rebuilt);
  shifted.push(s.shifted);
  units = s.units;
  if (ch === '\n') {
    l++;
    c = 0;
  } else c++;
}
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`# bench/incremental ${new Date().toISOString()}`);
console.log(`machine: nproc ${os.availableParallelism?.() ?? os.cpus().length}, ${os.cpus()[0]?.model.trim()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; node ${process.version}`);
console.log(`file: ${LINES} lines, ${units} top-level statements; ${EDITS} one-character edits in the middle`);
console.log(`  incremental parse  p50 ${pct(parseMs, 50).toFixed(1)} ms, p99 ${pct(parseMs, 99).toFixed(1)} ms`);
console.log(`  analyze            p50 ${pct(analyzeMs, 50).toFixed(1)} ms, p99 ${pct(analyzeMs, 99).toFixed(1)} ms`);
console.log(`  top-level statements per edit: rebuilt ${mean(rebuilt).toFixed(2)} (max ${Math.max(...rebuilt)}), reused shifted ${mean(shifted).toFixed(1)}, reused as is ${(units - mean(rebuilt) - mean(shifted)).toFixed(1)}; the interpreter and rules still run over every function`);
