#!/usr/bin/env node
// bench/lsp-latency.mjs: replays N edits (typing a statement, one character per didChange, inside a
// loss function in the middle of a generated 3,000-line file) over LSP stdio and times each
// didChange -> publishDiagnostics for that version, first against `dist/server.js --stdio`, then
// with the same edits against pyright's language server, and prints p50/p99 and the ratio.
//
//   node bench/lsp-latency.mjs [--edits 500] [--lines 3000] [--cpus 0,1] [--skip-pyright] [--autoclose] [--enter]
//                              [--pause MS] [--hover-every MS] [--interval MS] [--no-warmup] [--no-idle-gc] [--warm 100] [--node-flags "..."] [--prof DIR]
//                              [--baseline path/to/server.js] [--rounds N] [--bursts K] [--burst-pause MS] [--workspace N]
//
// --workspace N: the folder also holds N other Python files (generated loss files of 120 lines, each
// third importing a loss class of another and building it with its own gamma, and a YAML config), so
// the server's project index (lsp/project.ts) has a workspace to index; typing starts once its
// `window/workDoneProgress` has ended, and the time it took and the RSS then are printed.
// --warm N: also prints p50/p99 of the edits after the first N, once V8 has optimized the code a
// keystroke runs (a fresh server runs its first keystrokes several times slower).
// --pause MS: waits MS after the open's diagnostics before the first keystroke, as a user reads before
// typing (both servers), sending a hover every 20 ms meanwhile (how long the server takes to answer
// while it runs the numeric checks and warms up; --hover-every MS to change that, 0 for none). --no-warmup starts LossLint with LOSSLINT_WARMUP=0: no warm-up of the
// keystroke path in idle time (server/src/lsp/warmup.ts), which a keystroke stops at once anyway.
// --no-idle-gc starts it with LOSSLINT_IDLE_GC=0: no young-generation GC after a publish (idle-gc.ts).
// --baseline: also measures another LossLint server (a build of an earlier commit, e.g. its dist/ copied
// under node_modules/.cache/ so that it finds the native modules) on the same edits in the same run,
// before pyright, and prints the ratios: the way to tell a change from this machine's noise.
// --rounds N (with --baseline): N rounds of both, the baseline first in every other round (whichever
// runs first in a round is at a disadvantage on this machine: a swapped run once gave 0.97x where the
// same builds in the usual order gave 0.78x on p50), then the geometric mean of the rounds' ratios.
// --bursts K: a pause of --burst-pause MS (default 600) after every K keystrokes, as a user who stops to
// think: LossLint's numeric checks start 400 ms after a publish and the next burst cancels them.
// --autoclose types brackets as VS Code does by default; --enter types each statement on a new line
// opened with Enter, instead of in front of existing code on the same line (bench/typing.mjs).
//
// Edits are sent one at a time: the next goes out when the diagnostics of the previous arrived (or
// after --timeout ms), so each figure is one keystroke's latency with nothing coalesced; with
// --interval MS, also no sooner than MS after the previous one went out (a typist's pace: 50 ms is
// 20 characters a second), which leaves the server the idle time it has in an editor.
// The LossLint server debounces diagnostics by 100 ms in the editor; the bench sets
// LOSSLINT_DIAGNOSTICS_DELAY_MS=0 so that the figure is the server's own work (add the 100 ms for
// what a user sees). Pyright runs with its defaults. Needs `npm run build` first.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { genLossFile } from './gen-loss-file.mjs';
import { typingEdits } from './typing.mjs';

const rpc = createRequire(import.meta.url)('vscode-jsonrpc/node');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const EDITS = Number(opt('--edits', '500'));
const LINES = Number(opt('--lines', '3000'));
const CPUS = opt('--cpus', undefined);
const TIMEOUT_MS = Number(opt('--timeout', '20000'));
const AUTOCLOSE = args.includes('--autoclose');
const ENTER = args.includes('--enter');
const WARM = Number(opt('--warm', '100'));
const PROF = opt('--prof', undefined); // a folder: profile the LossLint server with --cpu-prof
const PAUSE_MS = Number(opt('--pause', '0'));
const HOVER_EVERY_MS = Number(opt('--hover-every', '20'));
const INTERVAL_MS = Number(opt('--interval', '0'));
const BURST = Number(opt('--bursts', '0'));
const BURST_PAUSE_MS = Number(opt('--burst-pause', '600'));
const WARMUP = !args.includes('--no-warmup');
const IDLE_GC = !args.includes('--no-idle-gc');
const BASELINE = opt('--baseline', undefined);
const ROUNDS = Number(opt('--rounds', '1'));
const NODE_FLAGS = (opt('--node-flags', '') ?? '').split(/\s+/).filter(Boolean); // extra flags for the LossLint server's node
const WORKSPACE = Number(opt('--workspace', '0'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-lsp-bench-'));
const file = path.join(dir, 'losses.py');
const text = genLossFile(LINES);
fs.writeFileSync(file, text);
const uri = pathToFileURL(file).href;
// --workspace: N more files for the project index; the typed file's classes are built elsewhere too.
for (let i = 0; i < WORKSPACE; i++) {
  const sub = path.join(dir, `pkg${i % 20}`);
  fs.mkdirSync(sub, { recursive: true });
  let body = genLossFile(120).replace(/FocalLoss(\d+)/g, `FocalLoss$1_${i}`);
  if (i % 3 === 0) body += `\nfrom losses import FocalLoss2\ncriterion_${i} = FocalLoss2(gamma=${i % 2 ? '0.5' : '2.0'})\n`;
  fs.writeFileSync(path.join(sub, `m${i}.py`), body);
}
if (WORKSPACE) fs.writeFileSync(path.join(dir, 'config.yaml'), 'loss:\n  gamma: 0.5\n');

/** The edits: typing three statements inside the middle `softmax_focal_*` (bench/typing.mjs). */
function edits() {
  return typingEdits(text, EDITS, { autoClose: AUTOCLOSE, enter: ENTER });
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

async function measure(name, cmd, env) {
  const full = CPUS ? ['taskset', '-c', CPUS, ...cmd] : cmd;
  const proc = spawn(full[0], full.slice(1), { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
  let waiter;
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    if (p.uri === uri && waiter) waiter(p);
  });
  conn.onRequest('workspace/configuration', (p) => p.items.map(() => null));
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.onNotification(() => {});
  let indexed;
  const indexDone = new Promise((resolve) => (indexed = resolve));
  conn.onUnhandledProgress((p) => {
    if (p?.value?.kind === 'end') indexed();
  });
  conn.listen();
  const next = (version) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiter = undefined;
        resolve(undefined);
      }, TIMEOUT_MS);
      waiter = (p) => {
        if (version !== undefined && p.version !== undefined && p.version !== version) return;
        clearTimeout(timer);
        waiter = undefined;
        resolve(p);
      };
    });
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'bench' }],
    capabilities: { textDocument: { publishDiagnostics: { versionSupport: true }, synchronization: { didSave: true } }, workspace: { configuration: true }, window: { workDoneProgress: WORKSPACE > 0 } },
  });
  conn.sendNotification('initialized', {});
  if (WORKSPACE && name !== 'pyright') {
    const t = performance.now();
    await Promise.race([indexDone, new Promise((r) => setTimeout(r, 600_000))]);
    const rssNow = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1];
    console.log(`  ${name.padEnd(9)} project index of ${WORKSPACE + 1} files: ${((performance.now() - t) / 1000).toFixed(2)} s, server RSS ${(Number(rssNow) / 1024).toFixed(0)} MB`);
  }
  const opened = next(1);
  const t0 = performance.now();
  conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
  const first = await opened;
  const openMs = performance.now() - t0;
  let pauseLine = '';
  if (PAUSE_MS > 0) {
    // While the user reads, the server runs the numeric checks (after 400 ms) and warms up: a hover
    // every 20 ms tells whether it still answers at once.
    const hovers = [];
    const until = performance.now() + PAUSE_MS;
    if (HOVER_EVERY_MS <= 0) await new Promise((r) => setTimeout(r, PAUSE_MS));
    while (HOVER_EVERY_MS > 0 && performance.now() < until) {
      const s = performance.now();
      await conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
      hovers.push(performance.now() - s);
      await new Promise((r) => setTimeout(r, HOVER_EVERY_MS));
    }
    pauseLine = hovers.length ? `hover during the ${PAUSE_MS} ms pause: ${hovers.length} requests, p50 ${pct(hovers, 50).toFixed(1)} ms, max ${Math.max(...hovers).toFixed(1)} ms` : '';
  }
  const times = [];
  const byEdit = [];
  let timeouts = 0;
  let version = 1;
  let last = 0;
  for (const change of edits()) {
    version++;
    // --interval: keystrokes at a typist's pace (the next one at least INTERVAL_MS after the previous).
    if (INTERVAL_MS > 0) await new Promise((r) => setTimeout(r, Math.max(0, last + INTERVAL_MS - performance.now())));
    // --bursts: the user stops to think after every BURST keystrokes.
    if (BURST > 0 && version > 2 && (version - 2) % BURST === 0) await new Promise((r) => setTimeout(r, BURST_PAUSE_MS));
    const got = next(version);
    const s = performance.now();
    last = s;
    conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
    const p = await got;
    if (p === undefined) timeouts++;
    else {
      times.push(performance.now() - s);
      byEdit.push([performance.now() - s, version - 2]);
    }
  }
  const rss = fs.existsSync(`/proc/${proc.pid}/status`) ? /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] : undefined;
  try {
    await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]);
    conn.sendNotification('exit');
  } catch {}
  const exited = new Promise((r) => proc.once('exit', r));
  const kill = setTimeout(() => proc.kill(), PROF ? 10000 : 1000);
  kill.unref();
  if (PROF) await exited; // the profile is written on a clean exit
  const r = { name, open: openMs, firstDiagnostics: first?.diagnostics.length, n: times.length, timeouts, p50: pct(times, 50), p99: pct(times, 99), max: Math.max(...times), rssMB: rss ? Number(rss) / 1024 : NaN };
  if (pauseLine) console.log(`  ${name.padEnd(9)} ${pauseLine}`);
  console.log(`  ${name.padEnd(9)} open->diagnostics ${openMs.toFixed(0)} ms (${r.firstDiagnostics ?? '-'} diagnostics); ${r.n} edits: p50 ${r.p50?.toFixed(1)} ms, p99 ${r.p99?.toFixed(1)} ms, max ${r.max.toFixed(1)} ms; ${timeouts} without diagnostics in ${TIMEOUT_MS} ms; server RSS ${r.rssMB.toFixed(0)} MB`);
  // After the first WARM edits, V8 has compiled the per-keystroke code: the steady state of a session.
  const steady = byEdit.filter(([, i]) => i >= WARM).map(([ms]) => ms);
  r.steadyP50 = pct(steady, 50);
  r.steadyP99 = pct(steady, 99);
  console.log(`            edits ${WARM + 1}-${EDITS} only (JIT warmed up): p50 ${r.steadyP50?.toFixed(1)} ms, p99 ${r.steadyP99?.toFixed(1)} ms`);
  const slow = byEdit.sort((a, b) => b[0] - a[0]).slice(0, 8);
  console.log(`            slowest edits (index: ms): ${slow.map(([ms, i]) => `${i}: ${ms.toFixed(1)}`).join(', ')}`);
  return r;
}

console.log(`# bench/lsp-latency ${new Date().toISOString()}`);
console.log(`machine: nproc ${os.availableParallelism()}, ${os.cpus()[0]?.model}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}${CPUS ? `, pinned to CPUs ${CPUS}` : ''}; node ${process.version}`);
console.log(`file: ${LINES} lines, ${text.length} chars; ${EDITS} keystrokes inside softmax_focal_* near the middle, brackets ${AUTOCLOSE ? 'auto-closed (VS Code default)' : 'typed one by one'}, ${ENTER ? 'each statement on a new line (Enter first)' : 'typed in front of the code of an existing line'}`);
console.log(`first keystroke ${PAUSE_MS} ms after the open's diagnostics; ${INTERVAL_MS > 0 ? `a keystroke every ${INTERVAL_MS} ms at most` : 'each keystroke as soon as the previous one is answered'}${BURST > 0 ? `, a ${BURST_PAUSE_MS} ms pause after every ${BURST}` : ''}; LossLint warm-up ${WARMUP ? 'on' : 'off (LOSSLINT_WARMUP=0)'}, idle-time young GC ${IDLE_GC ? 'on' : 'off (LOSSLINT_IDLE_GC=0)'}${NODE_FLAGS.length ? `; LossLint node flags ${NODE_FLAGS.join(' ')}` : ''}`);
const lossLintEnv = { LOSSLINT_DIAGNOSTICS_DELAY_MS: '0', ...(WARMUP ? {} : { LOSSLINT_WARMUP: '0' }), ...(IDLE_GC ? {} : { LOSSLINT_IDLE_GC: '0' }) };
const lossLint = () => measure('losslint', [process.execPath, ...NODE_FLAGS, ...(PROF ? ['--cpu-prof', '--cpu-prof-dir', PROF] : []), path.join(ROOT, 'dist/server.js'), '--stdio'], lossLintEnv);
const baseline = () => measure('baseline', [process.execPath, ...NODE_FLAGS, path.resolve(BASELINE), '--stdio'], lossLintEnv);
const ratios = (base, ll) => ({ p50: base.p50 / ll.p50, p99: base.p99 / ll.p99, max: base.max / ll.max });
const fmt = (r) => `p50 = ${r.p50.toFixed(2)}x, p99 = ${r.p99.toFixed(2)}x, max = ${r.max.toFixed(2)}x`;
let ll;
if (!BASELINE || ROUNDS <= 1) {
  ll = await lossLint();
  console.log('  (LossLint debounce set to 0 via LOSSLINT_DIAGNOSTICS_DELAY_MS; the editor default adds 100 ms)');
  if (BASELINE) console.log(`  baseline ${BASELINE}: baseline / losslint ${fmt(ratios(await baseline(), ll))}`);
} else {
  console.log('  (LossLint debounce set to 0 via LOSSLINT_DIAGNOSTICS_DELAY_MS; the editor default adds 100 ms)');
  const each = [];
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`  round ${round}: ${round % 2 ? 'losslint first' : 'baseline first'}`);
    let base;
    if (round % 2) [ll, base] = [await lossLint(), await baseline()];
    else [base, ll] = [await baseline(), await lossLint()];
    each.push(ratios(base, ll));
    console.log(`  round ${round}: baseline / losslint ${fmt(each.at(-1))}`);
  }
  const gmean = (k) => Math.exp(each.reduce((a, r) => a + Math.log(r[k]), 0) / each.length);
  console.log(`  baseline ${BASELINE}, ${ROUNDS} rounds: geometric mean of baseline / losslint ${fmt({ p50: gmean('p50'), p99: gmean('p99'), max: gmean('max') })}`);
}
if (!args.includes('--skip-pyright')) {
  const py = await measure('pyright', [process.execPath, path.join(ROOT, 'node_modules/pyright/langserver.index.js'), '--stdio'], {});
  console.log(`  ratio: pyright p50 / losslint p50 = ${(py.p50 / ll.p50).toFixed(1)}x; pyright p50 / losslint p99 = ${(py.p50 / ll.p99).toFixed(1)}x`);
}
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
