// Numeric probe throughput (cpu vs wasm; webgpu vs wasm where a GPU adapter exists).
// Usage: npm run build && node bench/numeric.mjs
// Bundles bench/numeric.ts with esbuild (tree-sitter stays external, TensorFlow.js is taken from
// dist/numeric-worker.js) into bench/out/numeric.cjs and runs it.
//
// A/B: node bench/numeric.mjs --baseline DIR [--rounds N] measures this checkout's dist/ against another
// build's (DIR holds its numeric-worker.js and wasm/, e.g. an earlier commit's dist/ copied away), one
// process per measurement, taking turns (the baseline first in every other round), and prints each
// side's median and the geometric mean of the rounds' ratios (this / baseline; above 1 is slower), for
// wall-clock time and for the process's CPU time (less moved by other work on a shared machine).
// With --same-process both bundles run in one process instead (they share TensorFlow.js's engine),
// probe run by probe run: the same JIT state and load for both, the steadiest ratio on a busy machine.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

if (!existsSync('dist/numeric-worker.js')) {
  console.error('dist/numeric-worker.js is missing: run `npm run build` first');
  process.exit(2);
}
await build({
  entryPoints: ['bench/numeric.ts'],
  outfile: 'bench/out/numeric.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['tree-sitter', 'tree-sitter-python'],
  logLevel: 'warning',
});
const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const baseline = opt('--baseline');
if (!baseline) {
  const r = spawnSync(process.execPath, ['bench/out/numeric.cjs'], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (argv.includes('--same-process')) {
  const r = spawnSync(process.execPath, ['bench/out/numeric.cjs'], { stdio: 'inherit', env: { ...process.env, LOSSLINT_BENCH_AB: 'same-process', LOSSLINT_BENCH_BASELINE: resolve(baseline, 'numeric-worker.js') } });
  process.exit(r.status ?? 1);
}
const rounds = Number(opt('--rounds') ?? 5);
const sides = { baseline: resolve(baseline, 'numeric-worker.js'), this: resolve('dist/numeric-worker.js') };
if (!existsSync(sides.baseline)) {
  console.error(`${sides.baseline} is missing`);
  process.exit(2);
}
const measure = (worker) => {
  const r = spawnSync(process.execPath, ['bench/out/numeric.cjs'], { env: { ...process.env, LOSSLINT_BENCH_AB: '1', LOSSLINT_BENCH_WORKER: worker }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${worker}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
};
const runs = { baseline: [], this: [] };
for (let i = 0; i < rounds; i++) {
  const order = i % 2 === 0 ? ['baseline', 'this'] : ['this', 'baseline'];
  for (const side of order) runs[side].push(measure(sides[side]));
  process.stdout.write(`round ${i + 1}/${rounds} done\n`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\nnumeric A/B, ${rounds} rounds: baseline ${baseline} vs this checkout's dist/ (median ms; ratio = geometric mean of per-round this / baseline)`);
console.log(`  ${'measure'.padEnd(34)} ${'baseline'.padStart(9)} ${'this'.padStart(9)}   ratio`);
for (const key of Object.keys(runs.this[0])) {
  const ratios = runs.this.map((r, i) => r[key] / runs.baseline[i][key]);
  const gm = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  console.log(`  ${key.padEnd(34)} ${median(runs.baseline.map((r) => r[key])).toFixed(1).padStart(9)} ${median(runs.this.map((r) => r[key])).toFixed(1).padStart(9)}   ${gm.toFixed(3)}x`);
}
