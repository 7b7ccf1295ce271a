// Loads parts of the TypeScript sources into a bench script: bundles `exports` (lines such as
// "export { analyze } from './server/src/analysis/analyze';", relative to the repository root) with
// esbuild into node_modules/.cache and imports the bundle. tree-sitter stays external (native).
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function loadCore(name, exports) {
  const out = join(root, 'node_modules', '.cache', `losslint-bench-${name}.mjs`);
  mkdirSync(dirname(out), { recursive: true });
  await build({
    stdin: { contents: exports.join('\n'), resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    external: ['tree-sitter', 'tree-sitter-python'],
    logLevel: 'error',
  });
  try {
    return await import(pathToFileURL(out).href);
  } finally {
    rmSync(out);
  }
}
