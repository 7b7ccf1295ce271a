// Copies TensorFlow.js's wasm binaries next to the numeric worker bundle (dist/wasm/), so the
// worker finds them relative to itself at run time, in the repository and inside the VSIX alike.
// Called by scripts/build.mjs; also runnable alone: `node scripts/copy-wasm.mjs [outdir]`.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function copyWasm(outDir = 'dist/wasm') {
  const require = createRequire(import.meta.url);
  const src = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  mkdirSync(outDir, { recursive: true });
  const files = readdirSync(src).filter((f) => f.endsWith('.wasm'));
  for (const f of files) copyFileSync(join(src, f), join(outDir, f));
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(copyWasm(process.argv[2]).join('\n'));
}
