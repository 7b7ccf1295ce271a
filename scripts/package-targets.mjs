// Platform-specific VSIXs: `npm run package:targets` builds, writes the universal losslint.vsix
// (`npm run package`), then one losslint-<target>.vsix per VSIX_TARGETS entry
// (scripts/native-runtime.mjs), each with `vsce package --target <target>` and only that platform's
// native runtime: its tree-sitter prebuilds and its Dawn binary (webgpu), the other platforms' left
// out. The Marketplace gives each platform its own VSIX and the universal one to the platforms
// without a target (Alpine, armhf); `code --install-extension` takes either.
//
// How: vsce keeps a file that matches a `!` line of the ignore file, whatever else matches it, so the
// `!dist/node_modules/**` line of .vscodeignore is replaced, in a generated ignore file passed with
// --ignoreFile, by one `!` line per kept file under dist/node_modules/. Nothing in dist/ is touched,
// so the packages can be made while other processes use the build.
//
// Usage: node scripts/package-targets.mjs [target...] [--out DIR]   (after `npm run build`)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { platformOf, VSIX_TARGETS } from './native-runtime.mjs';

const ALL_NATIVE = '!dist/node_modules/**';

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The files under dist/node_modules/ (relative to it, with /) that the target's VSIX carries. */
export function targetNativeFiles(target, root = '.') {
  const platforms = VSIX_TARGETS[target];
  if (!platforms) throw new Error(`unknown target ${target} (known: ${Object.keys(VSIX_TARGETS).join(', ')})`);
  const base = join(root, 'dist', 'node_modules');
  const files = walk(base).map((f) => relative(base, f).split('\\').join('/'));
  const kept = files.filter((f) => {
    const p = platformOf(f);
    return p === undefined || platforms.includes(p);
  });
  for (const p of platforms) {
    if (!kept.some((f) => platformOf(f) === p)) throw new Error(`${target}: no native files for ${p} in dist/node_modules (run npm run build)`);
  }
  return kept;
}

/** The vsce arguments of `npm run package` (package.json), without its `-o FILE`. */
export function packageArgs(root = '.') {
  const script = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.package;
  const args = script.split('&&').pop().trim().split(/\s+/);
  if (args[0] !== 'vsce' || args[1] !== 'package') throw new Error(`unexpected package script: ${script}`);
  const o = args.indexOf('-o');
  if (o > 0) args.splice(o, 2);
  return args.slice(1);
}

/** Writes `out`, the VSIX of one target, from the built dist/; returns its size in bytes. */
export function packageTarget(target, out, root = '.') {
  const ignore = readFileSync(join(root, '.vscodeignore'), 'utf8').split('\n');
  const at = ignore.findIndex((l) => l.trim() === ALL_NATIVE);
  if (at < 0) throw new Error(`.vscodeignore has no \`${ALL_NATIVE}\` line to narrow`);
  ignore.splice(at, 1, `# ${target}: dist/node_modules/ without the other platforms' binaries`, ...targetNativeFiles(target, root).map((f) => `!dist/node_modules/${f}`));
  const dir = mkdtempSync(join(tmpdir(), `losslint-${target}-`));
  try {
    const ignoreFile = join(dir, 'vscodeignore');
    writeFileSync(ignoreFile, ignore.join('\n'));
    const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
    execFileSync(process.execPath, [vsce, ...packageArgs(root), '--target', target, '--ignoreFile', ignoreFile, '-o', resolve(out)], { cwd: root, stdio: 'pipe', timeout: 300_000 });
  } catch (error) {
    const e = /** @type {{ stdout?: Buffer, stderr?: Buffer, message: string }} */ (error);
    throw new Error(`vsce --target ${target} failed: ${e.message}\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return statSync(out).size;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const argv = process.argv.slice(2);
  const o = argv.indexOf('--out');
  const outDir = o >= 0 ? argv.splice(o, 2)[1] : '.';
  const targets = argv.length ? argv : Object.keys(VSIX_TARGETS);
  const mb = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  try {
    console.log(`losslint.vsix (universal): ${mb(statSync(join(outDir, 'losslint.vsix')).size)}`);
  } catch {
    // the universal package is `npm run package`'s
  }
  for (const t of targets) {
    const out = join(outDir, `losslint-${t}.vsix`);
    console.log(`${out}: ${mb(packageTarget(t, out))}`);
  }
}
