/**
 * Numeric probe throughput, run by bench/numeric.mjs (which bundles this file; TensorFlow.js comes
 * from dist/numeric-worker.js). One probe run = the concrete interpreter evaluating a softmax focal
 * loss (F.cross_entropy + exp(-ce), gamma = 0.5) on [N, C] logits plus tf.valueAndGrad w.r.t. the
 * logits and the NaN scan. Prints cpu vs wasm side by side with ratios; webgpu vs wasm at 2^16,
 * 2^20 and 2^22 elements only where a GPU adapter exists.
 *
 * With LOSSLINT_BENCH_AB=1 (set by `bench/numeric.mjs --baseline DIR`) it only measures the A/B set
 * (probe runs on wasm and cpu, a full check on wasm) with the worker bundle LOSSLINT_BENCH_WORKER and
 * prints them as one JSON line; with LOSSLINT_BENCH_AB=same-process (`--same-process`), probe runs of
 * this bundle and the baseline's taking turns in one process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { planModule } from '../server/src/numeric/roles';
import { moduleOf } from '../server/src/numeric/runner';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-require-imports */
const W = require(process.env.LOSSLINT_BENCH_WORKER ?? path.resolve(__dirname, '../../dist/numeric-worker.js'));

const SRC = `import torch
import torch.nn.functional as F


def focal_loss(logits, targets, gamma=0.5):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return ((1 - pt) ** gamma * ce).mean()
`;

const mod = moduleOf(SRC);
const plan = planModule(mod)[0];
const fn = mod.functions[0];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall-clock and process CPU time (all threads) of one call, in ms. */
function timed(f: () => void): { wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  f();
  const wall = performance.now() - t;
  const d = process.cpuUsage(c);
  return { wall, cpu: (d.user + d.system) / 1000 };
}

async function probeTimes(backend: string, n: number, c: number, reps: number): Promise<{ backend: string; ms: number; cpuMs: number; notes: string[] }> {
  const info = await W.initBackend(backend);
  const pr = new W.Prober(mod, { samples: n, classes: c, maxElements: 1 << 26, seed: 0, deadline: Date.now() + 3_600_000, backend: info.name, backendNotes: info.notes });
  const setup = pr.setup(fn, plan, {});
  if (typeof setup === 'string') throw new Error(setup);
  const s = { ...setup, classes: c };
  const inp = { seed: 1, shape: [n, c], std: 1, target: 'index', generator: '' };
  for (let i = 0; i < 2; i++) pr.run(s, inp, {});
  const times = Array.from({ length: reps }, (_, i) => timed(() => pr.run(s, { ...inp, seed: 2 + i }, {})));
  return { backend: info.name, ms: median(times.map((t) => t.wall)), cpuMs: median(times.map((t) => t.cpu)), notes: info.notes };
}

async function fullCheckTimes(backend: string, reps = 1): Promise<{ ms: number; cpuMs: number }> {
  const info = await W.initBackend(backend);
  const pr = new W.Prober(mod, { samples: 4096, classes: 8, maxElements: 1 << 22, seed: 0, deadline: Date.now() + 3_600_000, backend: info.name, backendNotes: info.notes });
  pr.check(fn, plan);
  const times = Array.from({ length: reps }, () =>
    timed(() => {
      const r = pr.check(fn, plan);
      if (r.notChecked) throw new Error(r.notChecked);
    }),
  );
  return { ms: median(times.map((t) => t.wall)), cpuMs: median(times.map((t) => t.cpu)) };
}

async function fullCheckMs(backend: string): Promise<number> {
  return (await fullCheckTimes(backend)).ms;
}

/**
 * The A/B set in one process (`--same-process`): this bundle and the baseline's (LOSSLINT_BENCH_BASELINE,
 * whose TensorFlow.js shares this one's engine and wasm backend) take turns probe run by probe run,
 * so both see the same JIT state, heap and machine load; prints each side's median CPU time and the
 * median of the per-run ratios.
 */
async function sameProcessRun(): Promise<void> {
  // Both bundles register the same kernels in TensorFlow.js's global registry (the last one wins)
  // and this one, required first, the wasm backend: the backend starts once both are loaded, through
  // this bundle (its own dist/wasm), so that the kernels in the registry are the ones set up.
  const B = require(process.env.LOSSLINT_BENCH_BASELINE!);
  await W.initBackend('wasm');
  const sides = { this: W, baseline: B } as Record<string, any>;
  console.log('  probe on wasm      baseline cpu ms   this cpu ms   ratio (median of per-run this / baseline)');
  for (const [n, c, reps] of [[4096, 80, 60], [8192, 8, 60], [4096, 8, 60]] as const) {
    const setups: Record<string, { pr: any; s: unknown }> = {};
    for (const [k, X] of Object.entries(sides)) {
      const info = await X.initBackend('wasm');
      const pr = new X.Prober(mod, { samples: n, classes: c, maxElements: 1 << 26, seed: 0, deadline: Date.now() + 3_600_000, backend: info.name, backendNotes: info.notes });
      const setup = pr.setup(fn, plan, {});
      if (typeof setup === 'string') throw new Error(`${k}: ${setup}`);
      setups[k] = { pr, s: { ...setup, classes: c } };
    }
    const inp = { seed: 1, shape: [n, c], std: 1, target: 'index', generator: '' };
    for (let i = 0; i < 5; i++) for (const k of Object.keys(sides)) setups[k].pr.run(setups[k].s, inp, {});
    const t: Record<string, number[]> = { baseline: [], this: [] };
    for (let i = 0; i < reps; i++) {
      for (const k of i % 2 ? ['this', 'baseline'] : ['baseline', 'this']) t[k].push(timed(() => setups[k].pr.run(setups[k].s, { ...inp, seed: 2 + i }, {})).cpu);
    }
    const ratio = median(t.this.map((x, i) => x / t.baseline[i]));
    console.log(`  ${`${n} x ${c}`.padEnd(16)} ${median(t.baseline).toFixed(2).padStart(15)} ${median(t.this).toFixed(2).padStart(13)}   ${ratio.toFixed(3)}x`);
  }
}

/** The A/B set: one JSON line of medians in ms, wall-clock and process CPU time. */
async function abRun(): Promise<void> {
  const out: Record<string, number> = {};
  const put = (key: string, t: { ms: number; cpuMs: number }) => {
    out[`${key} (wall)`] = t.ms;
    out[`${key} (cpu)`] = t.cpuMs;
  };
  for (const [n, c, reps] of [[4096, 80, 9], [8192, 8, 9], [131072, 8, 3]] as const) put(`wasm probe ${n} x ${c}`, await probeTimes('wasm', n, c, reps));
  put('cpu probe 4096 x 80', await probeTimes('cpu', 4096, 80, 5));
  put('wasm full check 4096 x 8', await fullCheckTimes('wasm', 3));
  console.log(JSON.stringify(out));
}

const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`);

(async () => {
  if (process.env.LOSSLINT_BENCH_AB === '1') return abRun();
  if (process.env.LOSSLINT_BENCH_AB === 'same-process') return sameProcessRun();
  const out: Record<string, unknown> = { node: process.version, cpus: require('node:os').cpus().length, date: new Date().toISOString() };
  console.log(`numeric bench: ${out.cpus} CPUs, node ${out.node}`);
  const rows: any[] = [];
  console.log('\nprobe run (interpret + value and gradient + NaN scan), cpu vs wasm');
  console.log('  shape            cpu ms    wasm ms   cpu elem/s   wasm elem/s   wasm speedup');
  for (const [n, c] of [[4096, 80], [8192, 8], [131072, 8]] as const) {
    const reps = n * c > 500_000 ? 3 : 7;
    const cpu = await probeTimes('cpu', n, c, reps);
    const wasm = await probeTimes('wasm', n, c, reps);
    const el = n * c;
    rows.push({ shape: [n, c], elements: el, cpuMs: cpu.ms, wasmMs: wasm.ms, cpuElemPerS: el / (cpu.ms / 1000), wasmElemPerS: el / (wasm.ms / 1000), speedup: cpu.ms / wasm.ms });
    console.log(`  ${`${n} x ${c}`.padEnd(16)} ${cpu.ms.toFixed(1).padStart(7)}   ${wasm.ms.toFixed(1).padStart(7)}   ${fmt(el / (cpu.ms / 1000)).padStart(10)}   ${fmt(el / (wasm.ms / 1000)).padStart(11)}   ${(cpu.ms / wasm.ms).toFixed(2).padStart(8)}x`);
  }
  out.probe = rows;
  const goal = rows[0].wasmMs;
  console.log(`\ngoal: one probe run of a 4096 x 80 loss under 150 ms on wasm: ${goal.toFixed(1)} ms -> ${goal < 150 ? 'met' : 'NOT met'}`);
  out.goal4096x80WasmMs = goal;
  const full = await fullCheckMs('wasm');
  console.log(`full check of one function (all probes, 4096 x 8) on wasm: ${full.toFixed(0)} ms`);
  out.fullCheckWasmMs = full;

  const gpu = await W.initBackend('webgpu');
  if (gpu.name !== 'webgpu') {
    console.log(`\nwebgpu vs wasm: skipped (${gpu.notes.join('; ') || 'no adapter'})`);
    out.webgpu = { skipped: gpu.notes };
  } else {
    console.log('\nwebgpu vs wasm (C = 8)');
    console.log('  elements      webgpu ms   wasm ms   webgpu speedup');
    const g: any[] = [];
    for (const k of [16, 20, 22]) {
      const n = 2 ** k / 8;
      const reps = k >= 22 ? 3 : 5;
      const a = await probeTimes('webgpu', n, 8, reps);
      const b = await probeTimes('wasm', n, 8, reps);
      g.push({ elements: 2 ** k, webgpuMs: a.ms, wasmMs: b.ms, speedup: b.ms / a.ms });
      console.log(`  2^${k}`.padEnd(14) + `${a.ms.toFixed(1).padStart(9)}   ${b.ms.toFixed(1).padStart(7)}   ${(b.ms / a.ms).toFixed(2).padStart(8)}x`);
    }
    out.webgpu = g;
  }
  const dir = path.resolve(__dirname, '../out');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'numeric.json'), JSON.stringify(out, null, 2));
  console.log(`\nwritten bench/out/numeric.json`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
