// Copies the run-time files of the native (external) packages into dist/node_modules/.
//
// esbuild leaves these packages external, and `vsce package --no-dependencies` never packs the root
// node_modules/, so dist/server.js and dist/cli.js must find them next to themselves: Node resolves
// `require('tree-sitter')` from dist/ to dist/node_modules/tree-sitter first. Only what runs is
// copied (JavaScript entry points, package.json, licences and the prebuilt binaries for every
// platform), never sources or a locally compiled build/ folder, so every platform loads the same
// prebuilds that the VSIX ships.
//
// ADDING A NATIVE OR WASM PACKAGE (for example `webgpu`, or tfjs's .wasm files): add an entry to
// NATIVE_PACKAGES with the files and folders it needs at run time, keep it in build.mjs's
// `external` list if it is required by name, name its per-platform folder in PLATFORM_FOLDERS (the
// platform-specific VSIXs keep only their own), and extend test/lsp/vsix.test.ts with what must ship.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Binaries compiled from source by `npm install` (node-gyp) that replace the upstream prebuild of
 * the building machine's platform. tree-sitter 0.25.1's linux-x64 prebuild needs GLIBCXX_3.4.31
 * (libstdc++ of GCC 13) and fails to load on Debian 12 and Ubuntu 22.04; the locally compiled one
 * needs no libstdc++ symbols. Never shipped as build/: node-gyp-build prefers build/Release over
 * prebuilds/ whatever the platform, which would break every other platform.
 */
export const LOCAL_BUILDS = {
  'tree-sitter': { from: 'build/Release/tree_sitter_runtime_binding.node', to: 'tree-sitter.node' },
};

/** Package name → paths inside it (files or folders) that are needed at run time. */
export const NATIVE_PACKAGES = {
  // tree-sitter and its grammar load their binary through node-gyp-build.
  'node-gyp-build': ['package.json', 'LICENSE', 'index.js', 'node-gyp-build.js'],
  'tree-sitter': ['package.json', 'LICENSE', 'index.js', 'prebuilds'],
  'tree-sitter-python': ['package.json', 'LICENSE', 'bindings/node/index.js', 'src/node-types.json', 'prebuilds'],
  // The numeric probes' WebGPU backend (Dawn): its ES module entry and the prebuilt dawn.node of each
  // platform it ships (win32 with its d3dcompiler/dxcompiler DLLs). Without it the checker says so
  // and falls back to wasm.
  webgpu: ['package.json', 'LICENSE.md', 'index.js', 'dist'],
};

/**
 * The folder, inside a NATIVE_PACKAGES package, whose subfolders hold one platform's binaries each
 * (`tree-sitter/prebuilds/linux-x64/`, `webgpu/dist/win32-x64/`).
 */
export const PLATFORM_FOLDERS = { 'tree-sitter': 'prebuilds', 'tree-sitter-python': 'prebuilds', webgpu: 'dist' };

/**
 * VS Code's target platforms for which every native package ships a binary, and the platform
 * folders each one loads (webgpu has one universal macOS binary, `darwin-universal`). A
 * platform-specific VSIX (scripts/package-targets.mjs) carries only these; the universal VSIX
 * carries them all, for the platforms without a target of their own (Alpine, armhf).
 */
export const VSIX_TARGETS = {
  'linux-x64': ['linux-x64'],
  'linux-arm64': ['linux-arm64'],
  'darwin-x64': ['darwin-x64', 'darwin-universal'],
  'darwin-arm64': ['darwin-arm64', 'darwin-universal'],
  'win32-x64': ['win32-x64'],
  'win32-arm64': ['win32-arm64'],
};

/**
 * The platform folder that a path under dist/node_modules/ (`webgpu/dist/linux-x64/dawn.node`)
 * belongs to, or undefined for a file every platform uses.
 */
export function platformOf(rel) {
  const parts = rel.split(/[\\/]/);
  return parts.length > 3 && PLATFORM_FOLDERS[parts[0]] === parts[1] ? parts[2] : undefined;
}

/**
 * Copies every NATIVE_PACKAGES entry from `nodeModules` to `<outDir>/node_modules`, replacing what
 * an earlier build left there. Throws when a listed path is missing, so that a broken install
 * never produces a package that fails only on the user's machine.
 */
export function copyNativeRuntime(outDir, nodeModules = 'node_modules') {
  const target = join(outDir, 'node_modules');
  rmSync(target, { recursive: true, force: true });
  for (const [name, paths] of Object.entries(NATIVE_PACKAGES)) {
    for (const p of paths) {
      const from = join(nodeModules, name, p);
      if (!existsSync(from)) throw new Error(`native runtime: ${from} is missing (is ${name} installed?)`);
      const to = join(target, name, p);
      mkdirSync(dirname(to), { recursive: true });
      cpSync(from, to, { recursive: true });
    }
    const local = LOCAL_BUILDS[name];
    const built = local && join(nodeModules, name, local.from);
    if (built && existsSync(built)) {
      const to = join(target, name, 'prebuilds', `${process.platform}-${process.arch}`, local.to);
      mkdirSync(dirname(to), { recursive: true });
      cpSync(built, to);
    }
  }
}
