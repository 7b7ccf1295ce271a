// Builds the three entry points with esbuild: the CLI, the language server and the VS Code client.
// tree-sitter and its grammar are native modules with prebuilds: they stay external and are loaded
// at run time from dist/node_modules/, where copyNativeRuntime puts their run-time files (so they
// ship inside the VSIX, which `vsce package --no-dependencies` packs without the root node_modules).
import { build } from 'esbuild';
import { chmodSync, mkdirSync } from 'node:fs';
import { copyWasm } from './copy-wasm.mjs';
import { copyNativeRuntime } from './native-runtime.mjs';

const external = ['tree-sitter', 'tree-sitter-python', 'vscode', 'webgpu'];
// jsonc-parser's `main` is a UMD build whose requires esbuild cannot follow: bundle its ES modules.
const alias = { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' };
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, external, alias, logLevel: 'warning' };

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
