#!/usr/bin/env node
// bench/scan.mjs: `losslint check` over the CPython standard library (Lib, without site-packages)
// and over a synthetic tree of about 5M lines made by replicating it, side by side in one run with:
//   floor   the raw tree-sitter parse of the same files in one process (what a parse-everything
//           linter cannot beat),
//   ruff    @astral-sh/ruff-wasm-nodejs, one Workspace, every file checked in one process,
//   pyright the `pyright` CLI (type checker; stdlib only unless --pyright-big),
//   flake8  Debian's flake8 (-j auto).
// Prints wall time, CPU time (user + sys; over 100 % of wall means it ran on several cores at once),
// peak RSS (GNU time), lines/s and each tool's ratio to losslint.
//
//   node bench/scan.mjs [--cpus 0,1] [--lines 5000000] [--skip-big] [--only losslint,floor]
//                       [--jobs 1,2] [--repeat 3]
//
// --cpus pins every command with `taskset -c` (0,1 emulates a 2-core machine). --jobs passes
// `--jobs N` to losslint; a list (1,2) runs losslint once per value, side by side, and prints the
// ratio of each to the first. --repeat runs every command N times, interleaved (tool after tool,
// round after round), and reports the median wall time and the largest peak RSS. Trees are built
// under /tmp/losslint-bench (never in the repo). Needs `npm run build` first.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import files from './stdlib-files.cjs';

const { pyFiles } = files;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = '/tmp/losslint-bench';
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const CPUS = opt('--cpus', undefined);
const TARGET_LINES = Number(opt('--lines', '5000000'));
const ONLY = opt('--only', undefined)?.split(',');
const SKIP_BIG = args.includes('--skip-big');
const PYRIGHT_BIG = args.includes('--pyright-big');
const TIMEOUT_S = Number(opt('--timeout', '900'));
const JOBS = opt('--jobs', undefined)?.split(',');
const REPEAT = Math.max(1, Number(opt('--repeat', '1')));

function stdlibDir() {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      const d = execFileSync(py, ['-c', "import sysconfig;print(sysconfig.get_paths()['stdlib'])"], { encoding: 'utf8' }).trim();
      if (fs.existsSync(d)) return d;
    } catch {}
  }
  throw new Error('no python3 with a standard library found');
}


function countLines(files) {
  let n = 0;
  for (const f of files) {
    const b = fs.readFileSync(f);
    for (let i = 0; i < b.length; i++) if (b[i] === 10) n++;
  }
  return n;
}

/** Copies the stdlib's .py files (no site-packages) once; returns the folder, its file and line counts. */
function prepareStdlib() {
  const src = stdlibDir();
  const dst = path.join(WORK, 'stdlib');
  if (!fs.existsSync(path.join(dst, '.done'))) {
    fs.rmSync(dst, { recursive: true, force: true });
    for (const f of pyFiles(src)) {
      const to = path.join(dst, path.relative(src, f));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(f, to);
    }
    fs.writeFileSync(path.join(dst, '.done'), src);
  }
  const files = pyFiles(dst);
  return { dir: dst, src, files: files.length, lines: countLines(files) };
}

/** Replicates the stdlib copy into big/copyNN until the tree holds TARGET_LINES lines. */
function prepareBig(std) {
  const copies = Math.ceil(TARGET_LINES / std.lines);
  const dst = path.join(WORK, `big-${copies}`);
  if (!fs.existsSync(path.join(dst, '.done'))) {
    fs.rmSync(dst, { recursive: true, force: true });
    for (let i = 0; i < copies; i++) fs.cpSync(std.dir, path.join(dst, `copy${String(i).padStart(2, '0')}`), { recursive: true, filter: (s) => !s.endsWith('.done') });
    fs.writeFileSync(path.join(dst, '.done'), String(copies));
  }
  return { dir: dst, files: std.files * copies, lines: std.lines * copies, copies };
}

const FLOOR = `
const P = require(${JSON.stringify(path.join(ROOT, 'node_modules/tree-sitter'))});
const Py = require(${JSON.stringify(path.join(ROOT, 'node_modules/tree-sitter-python'))});
const fs = require('fs'), path = require('path');
function walk(d, o = []) { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p, o); else if (e.name.endsWith('.py')) o.push(p); } return o; }
const p = new P(); p.setLanguage(Py); let n = 0;
for (const f of walk(process.argv[1])) { const t = fs.readFileSync(f, 'utf8'); const tree = p.parse((i) => t.slice(i, i + 16384)); n += tree.rootNode.childCount > -1 ? 1 : 0; }
console.log(n + ' files parsed');
`;

const RUFF = `
const { Workspace, PositionEncoding } = require(${JSON.stringify(path.join(ROOT, 'node_modules/@astral-sh/ruff-wasm-nodejs'))});
const fs = require('fs'), path = require('path');
function walk(d, o = []) { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p, o); else if (e.name.endsWith('.py')) o.push(p); } return o; }
const ws = new Workspace(Workspace.defaultSettings(), PositionEncoding.Utf16); let n = 0, d = 0;
for (const f of walk(process.argv[1])) { let t; try { t = fs.readFileSync(f, 'utf8'); } catch { continue; } try { d += ws.check(t).length; n++; } catch {} }
console.log(n + ' files, ' + d + ' diagnostics');
`;

function tools(tree, big) {
  const node = process.execPath;
  const bin = (name) => path.join(ROOT, 'node_modules/.bin', name);
  const losslint = (jobs) => ({
    name: 'losslint',
    label: jobs ? `losslint -j${jobs}` : 'losslint',
    cmd: [node, path.join(ROOT, 'dist/cli.js'), 'check', tree, '--exit-zero', '-o', '/dev/null', ...(jobs ? ['--jobs', jobs] : [])],
  });
  const list = [
    ...(JOBS ?? [undefined]).map(losslint),
    { name: 'floor', cmd: [node, '-e', FLOOR, tree], note: 'tree-sitter parse only, one process' },
    { name: 'ruff', cmd: [node, '-e', RUFF, tree], note: 'ruff-wasm, one process, default rules' },
    { name: 'flake8', cmd: ['flake8', '-j', 'auto', '--exit-zero', '-q', tree], note: 'Debian flake8, -j auto' },
  ];
  if (!big || PYRIGHT_BIG) list.push({ name: 'pyright', cmd: [bin('pyright'), tree], note: 'type checker' });
  return list.filter((t) => !ONLY || ONLY.includes(t.name));
}

function run(tool) {
  const cmd = ['/usr/bin/time', '-f', '%e %M %U %S', ...(CPUS ? ['taskset', '-c', CPUS] : []), ...tool.cmd];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 30, timeout: TIMEOUT_S * 1000 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const last = (r.stderr ?? '').trim().split('\n').pop() ?? '';
  const m = /^([\d.]+) (\d+) ([\d.]+) ([\d.]+)$/.exec(last);
  const timedOut = r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGTERM';
  return { wall, rssMB: m ? Number(m[2]) / 1024 : NaN, cpu: m ? Number(m[3]) + Number(m[4]) : NaN, timedOut, status: r.status, tail: (r.stdout ?? '').trim().split('\n').pop()?.slice(0, 80) };
}

const label = (tool) => tool.label ?? tool.name;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function table(title, tree) {
  console.log(`\n## ${title}: ${tree.files} files, ${tree.lines.toLocaleString('en-US')} lines (${tree.dir})`);
  const list = tools(tree.dir, title !== 'stdlib');
  const runs = list.map(() => []);
  for (let round = 0; round < REPEAT; round++) {
    list.forEach((tool, i) => {
      const r = run(tool);
      runs[i].push(r);
      if (REPEAT > 1) console.log(`  round ${round + 1}: ${label(tool).padEnd(12)} ${r.wall.toFixed(2)} s  cpu ${r.cpu.toFixed(2)} s  peak RSS ${r.rssMB.toFixed(0)} MB  exit ${r.status}`);
    });
  }
  const rows = list.map((tool, i) => {
    const rs = runs[i];
    return { tool, wall: median(rs.map((r) => r.wall)), cpu: median(rs.map((r) => r.cpu)), rssMB: Math.max(...rs.map((r) => r.rssMB)), timedOut: rs.some((r) => r.timedOut), status: rs.at(-1).status, tail: rs.at(-1).tail, walls: rs.map((r) => r.wall) };
  });
  console.log(`  (load average after the runs: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  if (REPEAT > 1) console.log(`  median of ${REPEAT} rounds, largest peak RSS:`);
  for (const r of rows) {
    console.log(`  ${label(r.tool).padEnd(12)} ${r.timedOut ? `>${TIMEOUT_S} s (timed out)` : `${r.wall.toFixed(2)} s`}  cpu ${r.cpu.toFixed(2)} s (${((100 * r.cpu) / r.wall).toFixed(0)} %)  peak RSS ${r.rssMB.toFixed(0)} MB  ${(tree.lines / r.wall / 1e6).toFixed(2)} M lines/s  exit ${r.status}  ${r.tail ?? ''}`);
  }
  const lls = rows.filter((r) => r.tool.name === 'losslint');
  const ll = lls[0];
  if (ll) {
    console.log(`  ratios (tool wall / ${label(ll.tool)} wall; > 1 means ${label(ll.tool)} is faster):`);
    for (const r of rows) if (r !== ll) console.log(`    ${label(r.tool).padEnd(12)} ${r.timedOut ? '>' : ''}${(r.wall / ll.wall).toFixed(2)}x   ${r.tool.note ?? ''}`);
  }
  for (const r of lls.slice(1)) {
    const perRound = r.walls.map((w, k) => (ll.walls[k] / w).toFixed(2)).join(', ');
    console.log(`  speed-up ${label(r.tool)} over ${label(ll.tool)}: ${(ll.wall / r.wall).toFixed(2)}x (median walls)${REPEAT > 1 ? `; per round ${perRound}` : ''}`);
  }
  return rows;
}

const cpu = os.cpus()[0]?.model ?? 'unknown';
console.log(`# bench/scan ${new Date().toISOString()}`);
console.log(`machine: nproc ${os.availableParallelism()}, ${cpu}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}${CPUS ? `, pinned to CPUs ${CPUS}` : ''}`);
console.log(`node ${process.version}; ${spawnSync('flake8', ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? 'no flake8'}`);
const std = prepareStdlib();
console.log(`stdlib: ${std.src}`);
const stdRows = table('stdlib', std);
if (!SKIP_BIG) {
  const big = prepareBig(std);
  const bigRows = table(`synthetic ${big.copies}x stdlib`, big);
  console.log('');
  for (const a of stdRows) {
    const b = bigRows.find((r) => label(r.tool) === label(a.tool));
    if (b) console.log(`linearity: ${label(a.tool)} ${(std.lines / a.wall / 1e6).toFixed(2)} M lines/s on stdlib, ${(big.lines / b.wall / 1e6).toFixed(2)} M lines/s on ${big.copies}x (ratio ${(big.lines / b.wall / (std.lines / a.wall)).toFixed(2)})`);
  }
}
