// Builds the three entry points with esbuild: the CLI, the language server and the VS Code client.
// tree-sitter and its grammar are native modules with prebuilds: they stay external and are loaded
// at run time from dist/node_modules/, where copyNativeRuntime puts their run-time files (so they
// ship inside the VSIX, which `vsce package --no-dependencies` packs without the root node_modules).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyWasm } from './copy-wasm.mjs';
import { copyNativeRuntime } from './native-runtime.mjs';

const external = ['tree-sitter', 'tree-sitter-python', 'vscode', 'webgpu'];
// jsonc-parser's `main` is a UMD build whose requires esbuild cannot follow: bundle its ES modules.
const alias = { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' };

/**
 * The build's identity, the tool version in the keys of `losslint check`'s cache (project/cache.ts):
 * a hash of the version, the locked dependencies (the grammar among them) and every server source,
 * so that any change to what a check computes starts a fresh cache, released or not.
 */
function buildId() {
  const h = createHash('sha256');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  h.update(`${pkg.version}\0`);
  for (const f of ['package-lock.json']) {
    try {
      h.update(readFileSync(f));
    } catch {
      h.update(`no ${f}`);
    }
  }
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) h.update(`\0${p}\0`).update(readFileSync(p));
    }
  };
  walk('server/src');
  return `${pkg.version}-${h.digest('hex').slice(0, 16)}`;
}

const define = { __LOSSLINT_BUILD_ID__: JSON.stringify(buildId()) };
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, external, alias, define, logLevel: 'warning' };

mkdirSync('dist', { recursive: true });
await Promise.all([
  build({ ...common, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  // The worker threads of `losslint check --jobs N` (server/src/cli/pool.ts).
  build({ ...common, entryPoints: ['server/src/cli/check-worker.ts'], outfile: 'dist/check-worker.js' }),
  build({ ...common, entryPoints: ['server/src/lsp/main.ts'], outfile: 'dist/server.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js' }),
  // numeric: the probes' worker (TensorFlow.js, bundled from its ES modules) and its .wasm files.
  build({ ...common, entryPoints: ['server/src/numeric/worker.ts'], outfile: 'dist/numeric-worker.js', mainFields: ['module', 'main'] }),
]);
for (const f of ['dist/cli.js', 'dist/server.js']) chmodSync(f, 0o755);
copyWasm('dist/wasm');
copyNativeRuntime('dist');
