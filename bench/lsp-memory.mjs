#!/usr/bin/env node
// bench/lsp-memory.mjs: the language server's memory with many open documents. Starts
// `dist/server.js --stdio`, opens --docs documents one at a time over LSP (each waits for its own
// publishDiagnostics), then closes them all, and prints the server's RSS (VmRSS) and peak RSS
// (VmHWM) from /proc/<pid>/status after 0, 100, 500, 1000 documents and after closing them.
//
//   node bench/lsp-memory.mjs [--docs 1000] [--numeric] [--cpus 0,1] [--settle 2000]
//
// Documents: half generated loss files (bench/gen-loss-file.mjs at 100, 500 and 2,000 lines, with
// the function and class names made unique per document so that no two documents share a
// statement's text; they have no finding), half files of the standard library copy that
// bench/scan.mjs makes under /tmp/losslint-bench/stdlib (or, when it is missing, the Python
// standard library itself), taken in path order, except that every tenth document is one of
// examples/*.py (which have findings). Every document is a file on disk (a temporary folder), as an editor would open them.
// --numeric answers `workspace/configuration` with numeric probes on (the editor default); without
// it they are off, so the figures are the static analysis alone. Diagnostics are not debounced
// (LOSSLINT_DIAGNOSTICS_DELAY_MS=0). Each checkpoint waits --settle ms, then reads /proc; then it
// forces a full garbage collection in the server and reads /proc and process.memoryUsage() again,
// so that memory that is only waiting for a collection (an idle server allocates nothing, so V8
// does not collect) is told apart from memory that is held. The collection is done by a preload
// script (`node --expose-gc -r`, answering SIGUSR2) that the bench writes to its temporary folder;
// the server's code is unchanged. Linux only. Needs `npm run build` first.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import files from './stdlib-files.cjs';
import { createRequire } from 'node:module';
import { genLossFile } from './gen-loss-file.mjs';

const { pyFiles } = files;

const rpc = createRequire(import.meta.url)('vscode-jsonrpc/node');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const DOCS = Number(opt('--docs', '1000'));
const CPUS = opt('--cpus', undefined);
const NUMERIC = args.includes('--numeric');
const SETTLE_MS = Number(opt('--settle', '2000'));
const TIMEOUT_MS = Number(opt('--timeout', '60000'));
const CHECKPOINTS = [0, 100, 500, 1000, 2000, 5000].filter((n) => n <= DOCS);
if (!CHECKPOINTS.includes(DOCS)) CHECKPOINTS.push(DOCS);


function stdlibFiles() {
  let dir = '/tmp/losslint-bench/stdlib';
  if (!fs.existsSync(dir)) dir = execFileSync('python3', ['-c', "import sysconfig;print(sysconfig.get_paths()['stdlib'])"], { encoding: 'utf8' }).trim();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const out = [];
  for (const f of pyFiles(dir).sort()) {
    try {
      out.push({ name: path.relative(dir, f), text: decoder.decode(fs.readFileSync(f)) });
    } catch {} // Test files in other encodings: an editor would not open them as UTF-8 either.
  }
  return { dir, files: out };
}

/** The documents, written under `dir`: even indexes generated, odd ones from the standard library or examples/. */
function makeDocs(dir) {
  const sizes = [100, 500, 2000];
  const gen = new Map(sizes.map((n) => [n, genLossFile(n)]));
  const std = stdlibFiles();
  const examples = pyFiles(path.join(ROOT, 'examples')).sort().map((f) => ({ name: path.basename(f), text: fs.readFileSync(f, 'utf8') }));
  const docs = [];
  for (let k = 0; k < DOCS; k++) {
    let name;
    let text;
    if (k % 10 === 9) {
      const f = examples[((k - 9) / 10) % examples.length];
      name = path.join('ex', String(k).padStart(4, '0'), f.name);
      text = f.text;
    } else if (k % 2 === 0) {
      const size = sizes[(k / 2) % sizes.length];
      name = `gen/loss_${String(k).padStart(4, '0')}_${size}.py`;
      // Unique names per document: FocalLoss3 -> FocalLoss_d12_3, softmax_focal_3 -> softmax_focal_d12_3.
      text = gen.get(size).replace(/\b(softmax_focal_|sigmoid_focal_|dice_and_ce_|make_loss_|helper_|FocalLoss)(\d+)\b/g, `$1d${k}_$2`);
    } else {
      const f = std.files[((k - 1) / 2) % std.files.length]; // Skips the tenths: fine, it is a sample.
      name = path.join('std', String(k).padStart(4, '0'), f.name);
      text = f.text;
    }
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    docs.push({ uri: pathToFileURL(file).href, text, lines: text.split('\n').length });
  }
  return { docs, stdDir: std.dir };
}

function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024, threads: kb('Threads') };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-lsp-memory-')));
const { docs, stdDir } = makeDocs(dir);
console.log(`# bench/lsp-memory ${new Date().toISOString()}`);
console.log(`machine: nproc ${os.availableParallelism()}, ${os.cpus()[0]?.model}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}${CPUS ? `, pinned to CPUs ${CPUS}` : ''}; node ${process.version}`);
const genDocs = docs.filter((_, k) => k % 2 === 0);
const exDocs = docs.filter((_, k) => k % 10 === 9);
const stdDocs = docs.filter((_, k) => k % 2 === 1 && k % 10 !== 9);
const sum = (xs) => xs.reduce((a, d) => a + d.lines, 0);
console.log(
  `documents: ${docs.length} (${genDocs.length} generated at 100/500/2000 lines, ${sum(genDocs).toLocaleString('en-US')} lines; ` +
    `${stdDocs.length} from ${stdDir}, ${sum(stdDocs).toLocaleString('en-US')} lines; ${exDocs.length} from examples/, ${sum(exDocs).toLocaleString('en-US')} lines); ` +
    `numeric probes ${NUMERIC ? 'on' : 'off'}`,
);

// The preload: on SIGUSR2, a full collection, then process.memoryUsage() written to a file.
const memFile = path.join(dir, 'memory.json');
const preload = path.join(dir, 'gc-on-signal.cjs');
fs.writeFileSync(
  preload,
  `process.on('SIGUSR2', () => { global.gc(); global.gc(); require('fs').writeFileSync(${JSON.stringify(memFile)} + '.tmp', JSON.stringify(process.memoryUsage())); require('fs').renameSync(${JSON.stringify(memFile)} + '.tmp', ${JSON.stringify(memFile)}); });\n`,
);
const cmd = [process.execPath, '--expose-gc', '-r', preload, path.join(ROOT, 'dist/server.js'), '--stdio'];
const full = CPUS ? ['taskset', '-c', CPUS, ...cmd] : cmd;
const proc = spawn(full[0], full.slice(1), { env: { ...process.env, LOSSLINT_DIAGNOSTICS_DELAY_MS: '0' }, stdio: ['pipe', 'pipe', 'inherit'] });
// With taskset, the server is taskset's child after exec: the same pid.
const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
const waiters = new Map();
let published = 0;
conn.onNotification('textDocument/publishDiagnostics', (p) => {
  published++;
  const w = waiters.get(p.uri);
  if (w) {
    waiters.delete(p.uri);
    w(p);
  }
});
conn.onRequest('workspace/configuration', (p) => p.items.map(() => ({ numeric: { enable: NUMERIC } })));
conn.onRequest('client/registerCapability', () => null);
conn.onRequest('window/workDoneProgress/create', () => null);
conn.onRequest('workspace/codeLens/refresh', () => null);
conn.onNotification(() => {});
conn.listen();

await conn.sendRequest('initialize', {
  processId: process.pid,
  rootUri: pathToFileURL(dir).href,
  workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'bench' }],
  capabilities: { textDocument: { publishDiagnostics: { versionSupport: true } }, workspace: { configuration: true } },
});
conn.sendNotification('initialized', {});

/** Forces a full collection in the server; resolves with its process.memoryUsage() after it. */
async function collect() {
  fs.rmSync(memFile, { force: true });
  process.kill(proc.pid, 'SIGUSR2');
  for (let waited = 0; waited < 30_000; waited += 50) {
    await sleep(50);
    if (fs.existsSync(memFile)) return JSON.parse(fs.readFileSync(memFile, 'utf8'));
  }
  return undefined;
}

const MB = (bytes) => bytes / (1024 * 1024);
const rows = [];
const checkpoint = async (label, open, settle = SETTLE_MS) => {
  await sleep(settle);
  const m = memory(proc.pid);
  const usage = await collect();
  await sleep(500);
  const after = memory(proc.pid);
  const row = { label, open, ...m, gcRssMB: after.rssMB, heapMB: usage ? MB(usage.heapUsed) : NaN, externalMB: usage ? MB(usage.external) : NaN };
  rows.push(row);
  console.log(
    `  ${label.padEnd(22)} RSS ${m.rssMB.toFixed(0).padStart(5)} MB   peak ${m.hwmMB.toFixed(0).padStart(5)} MB   after a full GC: RSS ${row.gcRssMB.toFixed(0).padStart(5)} MB, ` +
      `V8 heap used ${row.heapMB.toFixed(0).padStart(4)} MB, external ${row.externalMB.toFixed(0).padStart(3)} MB   threads ${m.threads}`,
  );
};

await checkpoint('0 documents', 0);
const t0 = performance.now();
let timeouts = 0;
let diagnostics = 0;
for (let k = 0; k < docs.length; k++) {
  const d = docs[k];
  const got = new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiters.delete(d.uri);
      timeouts++;
      resolve(undefined);
    }, TIMEOUT_MS);
    waiters.set(d.uri, (p) => {
      clearTimeout(timer);
      resolve(p);
    });
  });
  conn.sendNotification('textDocument/didOpen', { textDocument: { uri: d.uri, languageId: 'python', version: 1, text: d.text } });
  diagnostics += (await got)?.diagnostics.length ?? 0;
  if (CHECKPOINTS.includes(k + 1)) await checkpoint(`${k + 1} documents open`, k + 1);
}
const openS = (performance.now() - t0) / 1000;
for (const d of docs) conn.sendNotification('textDocument/didClose', { textDocument: { uri: d.uri } });
// The closes are notifications: the diagnostics of one more (tiny) document come after all of them
// were handled. It is closed again before the last reading.
const sentinel = pathToFileURL(path.join(dir, 'sentinel.py')).href;
const synced = new Promise((resolve) => waiters.set(sentinel, resolve));
conn.sendNotification('textDocument/didOpen', { textDocument: { uri: sentinel, languageId: 'python', version: 1, text: 'x = 1\n' } });
await Promise.race([synced, sleep(TIMEOUT_MS)]);
conn.sendNotification('textDocument/didClose', { textDocument: { uri: sentinel } });
await checkpoint('all closed', 0);
await checkpoint(`all closed + ${SETTLE_MS * 5} ms`, 0, SETTLE_MS * 5);
await Promise.race([conn.sendRequest('shutdown'), sleep(3000)]).catch(() => undefined);
conn.sendNotification('exit');
setTimeout(() => proc.kill(), 1000).unref();

console.log(`\nopened ${docs.length} documents in ${openS.toFixed(1)} s (${diagnostics} diagnostics on first publish, ${timeouts} without diagnostics in ${TIMEOUT_MS} ms, ${published} publishes in all)`);
console.log('\n| documents open | server RSS | peak RSS (VmHWM) | RSS after a full GC | V8 heap used after GC |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.label} | ${r.rssMB.toFixed(0)} MB | ${r.hwmMB.toFixed(0)} MB | ${r.gcRssMB.toFixed(0)} MB | ${r.heapMB.toFixed(0)} MB |`);
const base = rows[0];
const last = rows.find((r) => r.open === DOCS);
if (base && last && DOCS > 0) {
  console.log(`\n${(((last.rssMB - base.rssMB) * 1024) / DOCS).toFixed(0)} KB of RSS and ${(((last.heapMB - base.heapMB) * 1024) / DOCS).toFixed(0)} KB of V8 heap (after GC) per open document (at ${DOCS} minus at 0, / ${DOCS})`);
}
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
