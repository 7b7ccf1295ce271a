#!/usr/bin/env node
// bench/project.mjs: the project analysis (server/src/project/) side by side in one run.
//
//   A. `losslint check` of torch's and torchvision's own sources (Debian's python3-torch and
//      python3-torchvision) against the raw tree-sitter parse of the same files in one thread (the
//      floor of bench/scan.mjs): --no-project -j1, the project check -j1 and -j2 (--no-cache), and
//      with the persistent cache (.losslint_cache): cold (emptied before the run, every entry
//      written) and warm (the tree unchanged since), -j1 and -j2, with ratios.
//   B. The language server indexing the same tree as its workspace: time from `initialized` to the
//      end of its `window/workDoneProgress`, without the persistent cache, cold, warm and warm from
//      a cache `losslint check` wrote, and its RSS.
//   C. A config edit reaching a loss file's diagnostics: the fixture project (test/fixtures/projects/
//      focal) open in the server, `gamma` in conf/loss/focal.yaml switched between 0.7 and 2.0, timed
//      from the didChange to the loss file's diagnostics that reflect it.
//
//   node bench/project.mjs [--only cli,index,config] [--repeat 3] [--cpus 0,1] [--config-edits 40]
//                          [--baseline /tmp/base/dist/cli.js]
//
// A's figures are wall time and CPU time (user + system, all threads) with their ratios to the floor's,
// and peak RSS. With --baseline, that build's check commands run too, taking turns with this build's
// round by round (the order flips every round), so both see the same load: compare them, not runs
// made at other times on this shared machine.
//
// Needs `npm run build` first. Trees are copied under /tmp/losslint-bench (Python files only).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const rpc = createRequire(import.meta.url)('vscode-jsonrpc/node');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const ONLY = opt('--only', 'cli,index,config').split(',');
const REPEAT = Math.max(1, Number(opt('--repeat', '1')));
const CPUS = opt('--cpus', undefined);
const CONFIG_EDITS = Number(opt('--config-edits', '40'));
const BASELINE = opt('--baseline', undefined);
const DIST = '/usr/lib/python3/dist-packages';
const WORK = '/tmp/losslint-bench';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

/** torch and torchvision's .py files copied under WORK/torch-tree (so that a workspace holds nothing else). */
function torchTree() {
  const dst = path.join(WORK, 'torch-tree');
  if (!fs.existsSync(path.join(dst, '.done'))) {
    fs.rmSync(dst, { recursive: true, force: true });
    const walk = (src, rel) => {
      for (const e of fs.readdirSync(src, { withFileTypes: true })) {
        const s = path.join(src, e.name);
        if (e.isDirectory()) walk(s, path.join(rel, e.name));
        else if (e.name.endsWith('.py')) {
          fs.mkdirSync(path.join(dst, rel), { recursive: true });
          fs.copyFileSync(s, path.join(dst, rel, e.name));
        }
      }
    };
    for (const t of ['torch', 'torchvision']) walk(path.join(DIST, t), t);
    fs.writeFileSync(path.join(dst, '.done'), '');
  }
  let files = 0;
  let lines = 0;
  const count = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) count(p);
      else if (e.name.endsWith('.py')) {
        files++;
        const b = fs.readFileSync(p);
        for (let i = 0; i < b.length; i++) if (b[i] === 10) lines++;
      }
    }
  };
  count(dst);
  return { dir: dst, files, lines };
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

function run(cmd, before) {
  before?.();
  const full = ['/usr/bin/time', '-f', '%e %U %S %M', ...(CPUS ? ['taskset', '-c', CPUS] : []), ...cmd];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec((r.stderr ?? '').trim());
  return { wall, cpu: m ? Number(m[2]) + Number(m[3]) : NaN, rssMB: m ? Number(m[4]) / 1024 : NaN, status: r.status, tail: (r.stdout ?? '').trim().split('\n').pop()?.slice(0, 60) };
}

/** Whether a build's `check` has the persistent cache (`--no-cache`, `--cache-dir`). */
function hasCache(bin) {
  const r = spawnSync(process.execPath, [bin, 'check', '--help'], { encoding: 'utf8' });
  return /--cache-dir/.test(r.stdout ?? '');
}

function cli(tree) {
  const node = process.execPath;
  const check = (bin, extra) => [node, bin, 'check', tree.dir, '--exit-zero', ...extra];
  const builds = [['', path.join(ROOT, 'dist/cli.js')], ...(BASELINE ? [['baseline ', path.resolve(BASELINE)]] : [])];
  const tools = [{ name: 'floor (parse, 1 thread)', cmd: [node, '-e', FLOOR, tree.dir] }];
  // Per build, its rows: without the cache (--no-cache, as builds before it ran), then with a cache
  // emptied before the run (cold: every entry written) and with the cache that run left (warm: the
  // tree unchanged, nothing parsed), for -j1 and -j2.
  const perBuild = builds.map(([label, bin], b) => {
    const first = tools.length;
    const cached = hasCache(bin);
    const off = cached ? ['--no-cache'] : [];
    tools.push({ name: `${label}check --no-project -j1`, cmd: check(bin, ['--no-project', '-j', '1', ...off]) });
    for (const j of ['1', '2']) {
      tools.push({ name: `${label}check (project) -j${j}`, cmd: check(bin, ['-j', j, ...off]) });
      if (!cached) continue;
      const dir = path.join(WORK, `cache-${b}-j${j}`);
      tools.push({ name: `${label}  cache cold -j${j}`, cmd: check(bin, ['-j', j, '--cache-dir', dir]), before: () => fs.rmSync(dir, { recursive: true, force: true }) });
      tools.push({ name: `${label}  cache warm -j${j}`, cmd: check(bin, ['-j', j, '--cache-dir', dir]) });
    }
    return Array.from({ length: tools.length - first }, (_, k) => first + k);
  });
  const runs = tools.map(() => []);
  const loads = [os.loadavg()[0]];
  for (let round = 0; round < REPEAT; round++) {
    // The floor first, then the builds, in an order that flips every round (a warm row right after its cold one).
    const order = [0, ...(round % 2 ? [...perBuild].reverse() : perBuild).flat()];
    for (const i of order) {
      runs[i].push(run(tools[i].cmd, tools[i].before));
      loads.push(os.loadavg()[0]);
    }
  }
  console.log(`\n## A. CLI: ${tree.files} files, ${tree.lines.toLocaleString('en-US')} lines (${tree.dir}); median of ${REPEAT}, load average (1 min) during: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
  const floor = median(runs[0].map((r) => r.wall));
  const floorCpu = median(runs[0].map((r) => r.cpu));
  tools.forEach((t, i) => {
    const wall = median(runs[i].map((r) => r.wall));
    const cpu = median(runs[i].map((r) => r.cpu));
    const rss = Math.max(...runs[i].map((r) => r.rssMB));
    console.log(`  ${t.name.padEnd(35)} ${wall.toFixed(2)} s  ${(wall / floor).toFixed(2)}x the floor  CPU ${cpu.toFixed(2)} s ${(cpu / floorCpu).toFixed(2)}x  peak RSS ${rss.toFixed(0)} MB  exit ${runs[i].at(-1).status}  ${runs[i].at(-1).tail ?? ''}`);
  });
}

/** A language server over stdio with the replies a client owes it. */
function server(env = {}) {
  const cmd = [process.execPath, path.join(ROOT, 'dist/server.js'), '--stdio'];
  const full = CPUS ? ['taskset', '-c', CPUS, ...cmd] : cmd;
  const proc = spawn(full[0], full.slice(1), { env: { ...process.env, LOSSLINT_DIAGNOSTICS_DELAY_MS: '0', LOSSLINT_WARMUP: '0', ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
  conn.onRequest('workspace/configuration', (p) => p.items.map(() => null));
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('window/workDoneProgress/create', () => null);
  const listeners = new Set();
  conn.onNotification((method, params) => {
    for (const l of listeners) l(method, params);
  });
  // vscode-jsonrpc hands `$/progress` without a registered token here, not to the catch-all handler.
  conn.onUnhandledProgress((params) => {
    for (const l of listeners) l('$/progress', params);
  });
  conn.listen();
  const status = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  const rss = () => status('VmRSS');
  const peak = () => status('VmHWM');
  const when = (pred) => new Promise((resolve) => {
    const l = (m, p) => {
      if (pred(m, p)) {
        listeners.delete(l);
        resolve(p);
      }
    };
    listeners.add(l);
  });
  /** Resolves, once the index's progress ends, with the milliseconds from the `initialized` notification. */
  const init = async (folder) => {
    const done = when((m, p) => m === '$/progress' && p?.value?.kind === 'end');
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(folder).href,
      workspaceFolders: [{ uri: pathToFileURL(folder).href, name: 'bench' }],
      capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true }, textDocument: { publishDiagnostics: { versionSupport: true } } },
    });
    const t0 = performance.now();
    conn.sendNotification('initialized', {});
    await done;
    return performance.now() - t0;
  };
  const stop = async () => {
    try {
      await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]);
      conn.sendNotification('exit');
    } catch {}
    setTimeout(() => proc.kill(), 1000).unref();
  };
  return { conn, init, when, rss, peak, stop };
}

/**
 * B: the server indexing the tree, from `initialized` to the end of its work done progress, with the
 * persistent cache (project/cache.ts) off (LOSSLINT_NO_CACHE), cold (an empty folder: every summary
 * written) and warm (the folder the cold run left: no summary computed), and warm from a cache that
 * `losslint check` wrote; the rows take turns round by round. RSS when indexed and 3 s later (the
 * server's idle GC), and the peak (VmHWM).
 */
async function indexing(tree) {
  const dir = path.join(WORK, 'server-cache');
  const cliDir = path.join(WORK, 'server-cache-cli');
  const rows = [
    { name: 'no cache', env: { LOSSLINT_NO_CACHE: '1' } },
    { name: 'cache cold', env: { LOSSLINT_NO_CACHE: '', LOSSLINT_CACHE_DIR: dir }, before: () => fs.rmSync(dir, { recursive: true, force: true }) },
    { name: 'cache warm', env: { LOSSLINT_NO_CACHE: '', LOSSLINT_CACHE_DIR: dir } },
    {
      name: 'warm from the CLI',
      env: { LOSSLINT_NO_CACHE: '', LOSSLINT_CACHE_DIR: cliDir },
      before: () => {
        fs.rmSync(cliDir, { recursive: true, force: true });
        spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'check', tree.dir, '--exit-zero', '-j', '2', '--cache-dir', cliDir], { stdio: 'ignore' });
      },
    },
  ];
  const runs = rows.map(() => []);
  const loads = [os.loadavg()[0]];
  for (let round = 0; round < REPEAT; round++) {
    for (const i of rows.keys()) {
      const row = rows[i];
      row.before?.();
      const s = server(row.env);
      const start = await new Promise((r) => setTimeout(() => r(s.rss()), 300));
      const ms = await s.init(tree.dir);
      const indexed = s.rss();
      // What stays once the transient garbage of indexing is collected by the server's own idle GC.
      await new Promise((r) => setTimeout(r, 3000));
      runs[i].push({ ms, start, indexed, later: s.rss(), peak: s.peak() });
      loads.push(os.loadavg()[0]);
      await s.stop();
    }
  }
  console.log(`\n## B. Language server indexing ${tree.files} files (${tree.dir}); median of ${REPEAT}, load average (1 min) during: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
  const base = median(runs[1].map((r) => r.ms));
  rows.forEach((row, i) => {
    const m = (k) => median(runs[i].map((r) => r[k]));
    console.log(
      `  ${row.name.padEnd(20)} initialized -> indexed ${(m('ms') / 1000).toFixed(2)} s  ${(m('ms') / base).toFixed(2)}x cache cold  RSS ${m('start').toFixed(0)} MB at start, ${m('indexed').toFixed(0)} MB indexed, ${m('later').toFixed(0)} MB 3 s later, peak ${Math.max(...runs[i].map((r) => r.peak)).toFixed(0)} MB  (per round: ${runs[i].map((r) => (r.ms / 1000).toFixed(2)).join(', ')} s)`,
    );
  });
}

async function configEdits() {
  const fixture = path.join(ROOT, 'test/fixtures/projects/focal');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-project-bench-'));
  fs.cpSync(fixture, dir, { recursive: true });
  const s = server({ LOSSLINT_NO_CACHE: '1' });
  await s.init(dir);
  const loss = pathToFileURL(path.join(dir, 'pkg/losses/focal.py')).href;
  const yaml = pathToFileURL(path.join(dir, 'conf/loss/focal.yaml')).href;
  const text = fs.readFileSync(path.join(dir, 'conf/loss/focal.yaml'), 'utf8');
  const opened = s.when((m, p) => m === 'textDocument/publishDiagnostics' && p.uri === loss && p.diagnostics.some((d) => d.message.includes('0.7')));
  s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: loss, languageId: 'python', version: 1, text: fs.readFileSync(path.join(dir, 'pkg/losses/focal.py'), 'utf8') } });
  s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: yaml, languageId: 'yaml', version: 1, text } });
  await opened;
  const line = text.split('\n').findIndex((l) => l.startsWith('gamma'));
  const times = [];
  let value = '0.7';
  for (let i = 0; i < CONFIG_EDITS; i++) {
    const next = value === '0.7' ? '2.0' : '0.7';
    const seen = s.when((m, p) => m === 'textDocument/publishDiagnostics' && p.uri === loss && p.diagnostics.some((d) => d.range.start.line === 15) && p.diagnostics.find((d) => d.range.start.line === 15).message.includes('0.7') === (next === '0.7'));
    const t0 = performance.now();
    s.conn.sendNotification('textDocument/didChange', { textDocument: { uri: yaml, version: i + 2 }, contentChanges: [{ range: { start: { line, character: 7 }, end: { line, character: 10 } }, text: next }] });
    await seen;
    times.push(performance.now() - t0);
    value = next;
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(`\n## C. Config edit -> loss diagnostics (fixture project, ${CONFIG_EDITS} edits of conf/loss/focal.yaml, diagnostics delay 0 as in bench/lsp-latency.mjs)`);
  console.log(`  p50 ${pct(times, 50).toFixed(1)} ms, p99 ${pct(times, 99).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (goal: 200 ms)`);
  await s.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

console.log(`# bench/project ${new Date().toISOString()}`);
console.log(`machine: nproc ${os.availableParallelism()}, ${os.cpus()[0]?.model}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}${CPUS ? `, pinned to CPUs ${CPUS}` : ''}; node ${process.version}`);
const haveTorch = fs.existsSync(path.join(DIST, 'torch/__init__.py')) && fs.existsSync(path.join(DIST, 'torchvision/__init__.py'));
const tree = haveTorch && (ONLY.includes('cli') || ONLY.includes('index')) ? torchTree() : undefined;
if (!tree && (ONLY.includes('cli') || ONLY.includes('index'))) console.log('python3-torch / python3-torchvision not installed: A and B skipped');
if (tree && ONLY.includes('cli')) cli(tree);
if (tree && ONLY.includes('index')) await indexing(tree);
if (ONLY.includes('config')) await configEdits();
process.exit(0);
