/**
 * Packs the VSIX from the built dist/ (as `npm run package` does, without rebuilding, so that the
 * other tests' servers keep their files) and checks what is inside, both ways: every runtime file
 * the extension needs on each platform is there, and nothing from the sources, the tests or the
 * root node_modules is. Then it runs the packed server, from an extracted copy outside the
 * repository, to prove the VSIX works without node_modules.
 *
 * The platform-specific VSIXs (`npm run package:targets`, scripts/package-targets.mjs): each holds
 * exactly the universal VSIX's files less the other platforms' native binaries (its own are there,
 * the others' absent), names its target in the manifest, and the one for this machine runs too.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../../server/src/analysis/registry';
import { LspTestClient, requireBuiltServer } from './lspClient';
import { FOCAL } from './samples';
import { extractZip, listZip, readEntry, type ZipEntry } from './zip';

const ROOT = path.resolve(__dirname, '../..');
const PLATFORMS = ['darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64', 'win32-arm64', 'win32-x64'];
/** webgpu ships one universal macOS binary. */
const WEBGPU_PLATFORMS = ['darwin-universal', 'linux-arm64', 'linux-x64', 'win32-arm64', 'win32-x64'];
/**
 * A generous ceiling: today's package is about 54.7 MB (66 files), of which about 51 MB are the
 * WebGPU runtime's Dawn binaries for five platforms (dist/node_modules/webgpu); without them it was
 * about 3.5 MB. A jump past this means something unintended got in.
 */
const MAX_VSIX_BYTES = 64 * 1024 * 1024;

let work: string;
let vsix: Buffer;
let entries: ZipEntry[];
let names: string[];

beforeAll(() => {
  requireBuiltServer();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-vsix-'));
  const out = path.join(work, 'losslint.vsix');
  // The vsce command line of `npm run package`, writing to a temporary file instead.
  const script: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.package;
  const args = script.split('&&').pop()!.trim().split(/\s+/);
  expect(args.slice(0, 2)).toEqual(['vsce', 'package']);
  const o = args.indexOf('-o');
  expect(o).toBeGreaterThan(0);
  args[o + 1] = out;
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  try {
    execFileSync(process.execPath, [vsce, ...args.slice(1)], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`vsce failed:\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  }
  vsix = fs.readFileSync(out);
  entries = listZip(vsix);
  names = entries.map((e) => e.name);
}, 150_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the VSIX', () => {
  it('holds the bundles, the manifest, README, LICENSE and the native runtime for every platform', () => {
    const required = [
      'extension/package.json',
      // vsce renames these two.
      'extension/readme.md',
      'extension/LICENSE.txt',
      'extension/dist/extension.js',
      'extension/dist/server.js',
      'extension/dist/node_modules/node-gyp-build/index.js',
      'extension/dist/node_modules/node-gyp-build/node-gyp-build.js',
      'extension/dist/node_modules/tree-sitter/index.js',
      'extension/dist/node_modules/tree-sitter/package.json',
      'extension/dist/node_modules/tree-sitter-python/package.json',
      'extension/dist/node_modules/tree-sitter-python/bindings/node/index.js',
      ...PLATFORMS.flatMap((p) => [
        `extension/dist/node_modules/tree-sitter/prebuilds/${p}/tree-sitter.node`,
        `extension/dist/node_modules/tree-sitter-python/prebuilds/${p}/tree-sitter-python.node`,
      ]),
      // The numeric checks: their worker, tfjs's wasm binaries, and the WebGPU runtime (Dawn) per platform.
      'extension/dist/numeric-worker.js',
      'extension/dist/wasm/tfjs-backend-wasm.wasm',
      'extension/dist/wasm/tfjs-backend-wasm-simd.wasm',
      'extension/dist/wasm/tfjs-backend-wasm-threaded-simd.wasm',
      'extension/dist/node_modules/webgpu/package.json',
      'extension/dist/node_modules/webgpu/index.js',
      'extension/dist/node_modules/webgpu/LICENSE.md',
      ...WEBGPU_PLATFORMS.map((p) => `extension/dist/node_modules/webgpu/dist/${p}/dawn.node`),
      ...['win32-arm64', 'win32-x64'].flatMap((p) => [`extension/dist/node_modules/webgpu/dist/${p}/dxcompiler.dll`, `extension/dist/node_modules/webgpu/dist/${p}/d3dcompiler_47.dll`]),
    ];
    expect(required.filter((n) => !names.includes(n))).toEqual([]);
    // The packed manifest is the repository's, contributions included.
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const packed = JSON.parse(vsixText('extension/package.json'));
    expect(packed.contributes).toEqual(manifest.contributes);
    expect(packed.main).toBe('./dist/extension.js');
  });

  it('holds the documentation page of every registered rule', () => {
    const codes = allRules().map((r) => r.meta.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.filter((c) => !names.includes(`extension/docs/rules/${c}.md`))).toEqual([]);
  });

  it('holds nothing but runtime files', () => {
    const forbidden = names.filter(
      (n) =>
        /\.(ts|mts|map|vsix|tsbuildinfo)$/.test(n) ||
        /^extension\/(server|client|test|bench|scripts|examples|grammars|test-artifacts|node_modules)\//.test(n) ||
        /^extension\/(tsconfig\.json|package-lock\.json|\.gitignore|\.vscodeignore)$/.test(n) ||
        /\/build\/(Release|Debug)\//.test(n) ||
        // Native packages ship their binaries, not their C sources or build files.
        /^extension\/dist\/node_modules\/.*\.(c|cc|h|gyp|gypi)$/.test(n),
    );
    expect(forbidden).toEqual([]);
    // Every file is under extension/dist, extension/docs/rules, or is one of the top-level documents.
    const unexpected = names.filter(
      (n) =>
        !['extension.vsixmanifest', '[Content_Types].xml'].includes(n) &&
        !/^extension\/(dist\/|docs\/rules\/LL\d+\.md$|package\.json$|readme\.md$|changelog\.md$|license(\.md|\.txt)?$)/i.test(n),
    );
    expect(unexpected).toEqual([]);
  });

  it('stays small', () => {
    console.info(`losslint.vsix: ${vsix.length} bytes, ${entries.length} files`);
    expect(vsix.length).toBeLessThan(MAX_VSIX_BYTES);
  });

  it(
    'runs: the packed server, extracted outside the repository, lints a document',
    async () => {
      const target = path.join(work, 'extracted');
      extractZip(vsix, target);
      const serverJs = path.join(target, 'extension', 'dist', 'server.js');
      const client = new LspTestClient(serverJs);
      // The packed worker and .wasm files run the probes (wasm: the backend every platform has).
      client.configuration = (section) => (section === 'losslint' ? { numeric: { enable: true, backend: 'wasm', timeBudgetMs: 20_000 } } : null);
      try {
        await client.initialize();
        const uri = pathToFileURL(path.join(work, 'focal.py')).href;
        await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: FOCAL } });
        const published = await client.diagnostics(uri, (p) => p.version === 1);
        expect(published.diagnostics.map((d: any) => d.code)).toEqual(['LL103']);
        const probed = await client.diagnostics(uri, (p) => p.version === 1 && /numeric probe/.test(String(p.diagnostics[0]?.data?.evidence ?? '')), 0, 25_000);
        expect(probed.diagnostics.map((d: any) => d.code)).toEqual(['LL103']);
        await client.waitFor((m) => m.method === 'losslint/status' && (m.params as { backend?: string }).backend === 'wasm', 'the wasm backend in the status');
        expect(await client.stop()).toBe(0);
      } finally {
        client.kill();
      }
    },
    30_000,
  );
});

function vsixText(name: string): string {
  const entry = entries.find((e) => e.name === name);
  if (!entry) throw new Error(`${name} is not in the VSIX`);
  return readEntry(vsix, entry).toString('utf8');
}

// --- the platform-specific VSIXs ------------------------------------------------------------------

interface PackTargets {
  packageTarget(target: string, out: string, root?: string): number;
}
interface NativeRuntime {
  VSIX_TARGETS: Record<string, string[]>;
  platformOf(rel: string): string | undefined;
}

/** The native files a target must carry (NATIVE_PACKAGES' binaries for its platform folders). */
function ownNativeFiles(target: string, platforms: string[]): string[] {
  const n = 'extension/dist/node_modules';
  const webgpu = platforms.find((p) => WEBGPU_PLATFORMS.includes(p))!;
  return [
    `${n}/tree-sitter/prebuilds/${target}/tree-sitter.node`,
    `${n}/tree-sitter-python/prebuilds/${target}/tree-sitter-python.node`,
    `${n}/webgpu/dist/${webgpu}/dawn.node`,
    ...(target.startsWith('win32') ? [`${n}/webgpu/dist/${webgpu}/dxcompiler.dll`, `${n}/webgpu/dist/${webgpu}/d3dcompiler_47.dll`] : []),
  ];
}

describe('the platform-specific VSIXs', () => {
  const packs = new Map<string, { vsix: Buffer; names: string[] }>();
  let native: NativeRuntime;

  beforeAll(async () => {
    const scripts = path.join(ROOT, 'scripts');
    native = (await import(pathToFileURL(path.join(scripts, 'native-runtime.mjs')).href)) as NativeRuntime;
    const pack = (await import(pathToFileURL(path.join(scripts, 'package-targets.mjs')).href)) as PackTargets;
    for (const target of Object.keys(native.VSIX_TARGETS)) {
      const out = path.join(work, `losslint-${target}.vsix`);
      pack.packageTarget(target, out, ROOT);
      const buf = fs.readFileSync(out);
      packs.set(target, { vsix: buf, names: listZip(buf).map((e) => e.name) });
    }
    console.info(
      `VSIX sizes: universal ${(vsix.length / 2 ** 20).toFixed(1)} MiB (${entries.length} files); ${[...packs].map(([t, p]) => `${t} ${(p.vsix.length / 2 ** 20).toFixed(1)} MiB (${p.names.length} files)`).join(', ')}`,
    );
  }, 300_000);

  it('one per platform that every native package ships a binary for', () => {
    expect(Object.keys(native.VSIX_TARGETS).sort()).toEqual([...PLATFORMS].sort());
  });

  it.each(PLATFORMS)('%s: the universal VSIX\'s files less the other platforms\' binaries, its own there, its target in the manifest', (target) => {
    const { vsix: buf, names: own } = packs.get(target)!;
    const platforms = native.VSIX_TARGETS[target];
    const platformOf = (n: string) => (n.startsWith('extension/dist/node_modules/') ? native.platformOf(n.slice('extension/dist/node_modules/'.length)) : undefined);
    // Its own native files are there; no other platform's is.
    expect(ownNativeFiles(target, platforms).filter((n) => !own.includes(n))).toEqual([]);
    expect(own.filter((n) => platformOf(n) !== undefined && !platforms.includes(platformOf(n)!))).toEqual([]);
    // Everything else is the universal package's, both ways (the manifest files differ in content only).
    const expected = names.filter((n) => platformOf(n) === undefined || platforms.includes(platformOf(n)!));
    expect([...own].sort()).toEqual([...expected].sort());
    const manifest = readEntry(buf, listZip(buf).find((e) => e.name === 'extension.vsixmanifest')!).toString('utf8');
    expect(manifest).toContain(`TargetPlatform="${target}"`);
    expect(buf.length).toBeLessThan(vsix.length / 2);
  });

  const here = `${process.platform}-${process.arch}`;
  it.skipIf(!PLATFORMS.includes(here))(
    `runs: the ${here} VSIX's server, extracted outside the repository, lints a document and probes it`,
    async () => {
      const target = path.join(work, `extracted-${here}`);
      extractZip(packs.get(here)!.vsix, target);
      const client = new LspTestClient(path.join(target, 'extension', 'dist', 'server.js'));
      client.configuration = (section) => (section === 'losslint' ? { numeric: { enable: true, backend: 'wasm', timeBudgetMs: 20_000 } } : null);
      try {
        await client.initialize();
        const uri = pathToFileURL(path.join(work, 'focal.py')).href;
        await client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: FOCAL } });
        const probed = await client.diagnostics(uri, (p) => p.version === 1 && /numeric probe/.test(String(p.diagnostics[0]?.data?.evidence ?? '')), 0, 25_000);
        expect(probed.diagnostics.map((d: any) => d.code)).toEqual(['LL103']);
        expect(await client.stop()).toBe(0);
      } finally {
        client.kill();
      }
    },
    30_000,
  );
});
