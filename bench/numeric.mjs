// Numeric probe throughput (cpu vs wasm; webgpu vs wasm where a GPU adapter exists).
// Usage: npm run build && node bench/numeric.mjs
// Bundles bench/numeric.ts with esbuild (tree-sitter stays external, TensorFlow.js is taken from
// dist/numeric-worker.js) into bench/out/numeric.cjs and runs it.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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
const r = spawnSync(process.execPath, ['bench/out/numeric.cjs'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
