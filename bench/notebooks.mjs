#!/usr/bin/env node
// bench/notebooks.mjs: `losslint check` on a directory of 1,000 Jupyter notebooks against the same
// code as 1,000 .py files, side by side in one run (issue 19).
//
// Each notebook holds a markdown cell, an import cell, and the blocks of a generated loss file
// (bench/gen-loss-file.mjs, about --lines lines, a few with gamma 0.5 so that there are findings
// to place in their cells) one per code cell, with execution counts and outputs: a stream output
// and a small plot (a base64 PNG of --png-bytes) as real notebooks carry. The .py twin of a notebook
// is its code cells joined, exactly the text LossLint analyses for the notebook (minus the one
// line break it adds after each cell). The trees are written under /tmp/losslint-bench/notebooks.
//
//   node bench/notebooks.mjs [--count 1000] [--lines 80] [--png-bytes 6000] [--jobs 1,2]
//                            [--formats text,sarif] [--repeat 5] [--cpus 0,1]
//
// Runs every command --repeat times, interleaved (py, notebooks, py, ...), and prints the median
// wall time and CPU time (user + sys, GNU time: less moved by other work on a shared machine) of
// each, and the ratios notebooks / .py. Needs `npm run build` first.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { genLossFile } from './gen-loss-file.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = '/tmp/losslint-bench/notebooks';
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const COUNT = Number(opt('--count', '1000'));
const LINES = Number(opt('--lines', '80'));
const PNG_BYTES = Number(opt('--png-bytes', '6000'));
const JOBS = opt('--jobs', '1,2').split(',');
const FORMATS = opt('--formats', 'text,sarif').split(',');
const REPEAT = Math.max(1, Number(opt('--repeat', '5')));
const CPUS = opt('--cpus', undefined);
const CLI = path.join(ROOT, 'dist/cli.js');

/** The top-level blocks of a generated loss file (split at lines that start a new definition), imports apart. */
function blocksOf(text) {
  const lines = text.split('\n');
  const firstDef = lines.findIndex((l) => /^(def|class) /.test(l));
  const imports = lines.slice(0, firstDef).join('\n').trim();
  const blocks = [];
  let current = [];
  for (const line of lines.slice(firstDef)) {
    if (/^(def|class) /.test(line) && current.some((l) => l.trim() !== '')) {
      blocks.push(current.join('\n').trim());
      current = [];
    }
    current.push(line);
  }
  if (current.some((l) => l.trim() !== '')) blocks.push(current.join('\n').trim());
  return { imports, blocks };
}

/** nbformat's list form: a line break ends each item but the last. */
const toLines = (s) => s.match(/[^\n]*\n|[^\n]+$/g) ?? [];

function notebookOf(i, imports, blocks, png) {
  let count = 0;
  const code = (source, outputs = []) => ({ cell_type: 'code', execution_count: ++count, id: `c${count}`, metadata: {}, outputs, source: toLines(source) });
  const cells = [
    { cell_type: 'markdown', id: 'md', metadata: {}, source: toLines(`# Experiment ${i}\n\nLosses tried on this dataset.`) },
    code(imports, [{ name: 'stdout', output_type: 'stream', text: ['torch 2.3.0\n'] }]),
    ...blocks.map((b, k) =>
      code(b, k === 0 ? [{ data: { 'image/png': png, 'text/plain': ['<Figure size 640x480 with 1 Axes>'] }, metadata: {}, output_type: 'display_data' }] : []),
    ),
  ];
  const metadata = { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' }, language_info: { name: 'python', version: '3.11.4' } };
  // nbformat's own layout: one-space indentation, sorted keys, a final newline.
  return `${JSON.stringify(sortKeys({ cells, metadata, nbformat: 4, nbformat_minor: 5 }), null, 1)}\n`;
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  return value;
}

function prepare() {
  const stamp = JSON.stringify({ COUNT, LINES, PNG_BYTES, v: 1 });
  const done = path.join(WORK, '.done');
  if (fs.existsSync(done) && fs.readFileSync(done, 'utf8') === stamp) return;
  fs.rmSync(WORK, { recursive: true, force: true });
  const png = Buffer.alloc(PNG_BYTES, 0).map((_, k) => (k * 131 + 7) % 256).toString('base64');
  for (const kind of ['py', 'ipynb']) fs.mkdirSync(path.join(WORK, kind), { recursive: true });
  for (let i = 0; i < COUNT; i++) {
    let text = genLossFile(LINES + (i % 7) * 3);
    // One file in four has an unclamped gamma below 1: findings to place in their cells.
    if (i % 4 === 0) text = text.replace('gamma=2.0, reduction="mean"', 'gamma=0.5, reduction="mean"');
    const { imports, blocks } = blocksOf(text);
    const name = `exp_${String(i).padStart(4, '0')}`;
    fs.writeFileSync(path.join(WORK, 'py', `${name}.py`), `${[imports, ...blocks].join('\n')}\n`);
    fs.writeFileSync(path.join(WORK, 'ipynb', `${name}.ipynb`), notebookOf(i, imports, blocks, png));
  }
  fs.writeFileSync(done, stamp);
}

function sizeOf(dir) {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

function run(kind, jobs, format) {
  const cmd = [process.execPath, CLI, 'check', path.join(WORK, kind), '--exit-zero', '-j', jobs, '--format', format];
  const full = ['/usr/bin/time', '-f', '@@time %e %U %S', ...(CPUS ? ['taskset', '-c', CPUS] : []), ...cmd];
  const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${full.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [wall, user, sys] = /@@time (\S+) (\S+) (\S+)/.exec(r.stderr).slice(1).map(Number);
  const findings = format === 'sarif' ? JSON.parse(r.stdout).runs[0].results.length : r.stdout.split('\n').filter((l) => / LL\d{3} /.test(l)).length;
  return { wall, cpu: user + sys, findings };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

prepare();
console.log(`node ${process.version}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}); load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`${COUNT} notebooks (${(sizeOf(path.join(WORK, 'ipynb')) / 1e6).toFixed(1)} MB) vs ${COUNT} .py files (${(sizeOf(path.join(WORK, 'py')) / 1e6).toFixed(1)} MB) in ${WORK}; median of ${REPEAT}${CPUS ? `; taskset -c ${CPUS}` : ''}`);
console.log('| jobs | format | .py wall / CPU | notebooks wall / CPU | notebooks / .py, wall | notebooks / .py, CPU | findings (.py / notebooks) |');
console.log('|---|---|---|---|---|---|---|');
for (const jobs of JOBS) {
  for (const format of FORMATS) {
    const times = { py: [], ipynb: [] };
    const cpus = { py: [], ipynb: [] };
    const found = {};
    for (let k = 0; k < REPEAT; k++) {
      // Interleaved, and which goes first alternates, so that neither always runs on a warmer machine.
      for (const kind of k % 2 ? ['ipynb', 'py'] : ['py', 'ipynb']) {
        const r = run(kind, jobs, format);
        times[kind].push(r.wall);
        cpus[kind].push(r.cpu);
        found[kind] = r.findings;
      }
    }
    const [py, nb] = [median(times.py), median(times.ipynb)];
    const [pyCpu, nbCpu] = [median(cpus.py), median(cpus.ipynb)];
    console.log(
      `| ${jobs} | ${format} | ${py.toFixed(2)} / ${pyCpu.toFixed(2)} s | ${nb.toFixed(2)} / ${nbCpu.toFixed(2)} s | ${(nb / py).toFixed(2)}x | ${(nbCpu / pyCpu).toFixed(2)}x | ${found.py} / ${found.ipynb} |`,
    );
  }
}
console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
