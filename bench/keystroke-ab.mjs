#!/usr/bin/env node
// bench/keystroke-ab.mjs: the editor's per-keystroke work (ParsedDocument.applyChanges, then
// IncrementalAnalyzer.analyze) of this checkout against another checkout's, in one process, the two
// taking turns run after run on the same edits (bench/typing.mjs in the 3,000-line file of
// bench/gen-loss-file.mjs). On this shared machine a figure moves 2x between runs and the first
// server measured over LSP is often at a disadvantage; taking turns in one process is the least noisy
// way to tell whether a change made a keystroke cheaper (check the harness with an A/A run: the
// same checkout as --baseline-root). Over LSP, bench/lsp-latency.mjs --baseline.
//
//   git worktree add /tmp/base <rev> && ln -s "$PWD/node_modules" /tmp/base/node_modules
//   node bench/keystroke-ab.mjs --baseline-root /tmp/base [--edits 500] [--runs 8] [--autoclose] [--enter]
//
// Each run is a process of its own (two builds in one process share its heap and its garbage
// collections: an A/A run that way gave 1.07x on p50 and 3x on p99 for the same code). It parses the
// file, settles the tree and analyses it once (what opening it does), then times every keystroke;
// the first 100 keystrokes of each run (V8 still compiling) are left out of the figures.
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { genLossFile } from './gen-loss-file.mjs';
import { typingEdits } from './typing.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const BASE = opt('--baseline-root', undefined);
const EDITS = Number(opt('--edits', '500'));
const RUNS = Number(opt('--runs', '8'));
const SKIP_EDITS = 100;
if (!BASE) {
  console.error('usage: node bench/keystroke-ab.mjs --baseline-root DIR [--edits 500] [--runs 8] [--autoclose] [--enter]');
  process.exit(2);
}
const EXPORTS = [
  "export { ParsedDocument } from './server/src/core/document';",
  "export { IncrementalAnalyzer } from './server/src/analysis/incremental';",
  "export { DEFAULT_SETTINGS } from './server/src/core/types';",
];
const autoClose = args.includes('--autoclose');
const enter = args.includes('--enter');
const roots = { this: path.resolve(path.dirname(new URL(import.meta.url).pathname), '..'), baseline: path.resolve(BASE) };

if (args.includes('--child')) {
  // One run of one checkout, in a process of its own: print the keystroke times as JSON.
  const root = args[args.indexOf('--child') + 1];
  const { loadCore: load } = await import(pathToFileURL(path.join(root, 'bench', 'load-core.mjs')).href);
  const core = await load(`ab-${process.pid}`, EXPORTS);
  const text = genLossFile(3000);
  const doc = core.ParsedDocument.parse(text);
  while (doc.settle());
  const inc = new core.IncrementalAnalyzer();
  inc.analyze(doc, core.DEFAULT_SETTINGS);
  const t = [];
  for (const change of typingEdits(text, EDITS, { autoClose, enter })) {
    const t0 = performance.now();
    doc.applyChanges([change]);
    inc.analyze(doc, core.DEFAULT_SETTINGS);
    t.push(performance.now() - t0);
  }
  process.stdout.write(JSON.stringify(t));
  process.exit(0);
}

const times = { baseline: [], this: [] };
for (let run = 0; run < RUNS; run++) {
  for (const name of run % 2 ? ['baseline', 'this'] : ['this', 'baseline']) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--baseline-root', BASE, '--edits', String(EDITS), ...(autoClose ? ['--autoclose'] : []), ...(enter ? ['--enter'] : []), '--child', roots[name]], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (child.status !== 0) throw new Error(`${name} run failed: ${child.stderr}`);
    times[name].push(...JSON.parse(child.stdout).slice(SKIP_EDITS));
  }
}
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
console.log(`# bench/keystroke-ab ${new Date().toISOString()}`);
console.log(`machine: nproc ${os.availableParallelism()}, ${os.cpus()[0]?.model.trim()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; node ${process.version}`);
console.log(`${EDITS} keystrokes, brackets ${autoClose ? 'auto-closed' : 'typed one by one'}, ${enter ? 'each statement on a new line' : 'in front of the code of an existing line'}; ${RUNS} runs of each, a process each, taking turns; keystrokes ${SKIP_EDITS + 1}-${EDITS}`);
for (const name of ['this', 'baseline']) {
  const xs = times[name];
  console.log(`  ${name.padEnd(8)} ${roots[name]}: p50 ${pct(xs, 50).toFixed(3)} ms, p90 ${pct(xs, 90).toFixed(3)} ms, p99 ${pct(xs, 99).toFixed(3)} ms`);
}
const r = (p) => (pct(times.baseline, p) / pct(times.this, p)).toFixed(2);
console.log(`  baseline / this: p50 ${r(50)}x, p90 ${r(90)}x, p99 ${r(99)}x`);
