#!/usr/bin/env node
// False-positive benchmark: runs every rule (strict off, the default settings) over every .py file of
// the CPython standard library found on this machine and requires zero findings. The standard library
// has no loss code, so any finding there is a false positive.
//
// Usage: node bench/stdlib.mjs [--json] [--limit N] [LIB_DIR ...]
//   With no LIB_DIR, the Lib folders of every `python3` on PATH (`which -a python3`) are used, with
//   site-packages and dist-packages left out. The core is bundled with esbuild into bench/out/ first.
// Exit status: 0 when there is no finding and no rule crashed, 1 otherwise.
import { mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import files from './stdlib-files.cjs';

const { pyFiles, stdlibDirs } = files;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'bench/out');
const args = process.argv.slice(2);
const json = args.includes('--json');
const limitAt = args.indexOf('--limit');
const limit = limitAt >= 0 ? Number(args[limitAt + 1]) : Infinity;
const dirsGiven = args.filter((a, i) => !a.startsWith('--') && !(limitAt >= 0 && i === limitAt + 1));

/** Bundles the core (document, analyze, registry) into one CommonJS file under bench/out/. */
async function buildCore() {
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  const contents = [
    "export { ParsedDocument, MAX_SOURCE_CHARS } from './server/src/core/document';",
    "export { analyze } from './server/src/analysis/analyze';",
    "export { DEFAULT_SETTINGS } from './server/src/core/types';",
    "export { allRules } from './server/src/analysis/registry';",
  ].join('\n');
  const outfile = path.join(outDir, 'stdlib-core.cjs');
  await build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'stdlib-entry.ts' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['tree-sitter', 'tree-sitter-python'],
    logLevel: 'warning',
  });
  return createRequire(path.join(root, 'package.json'))(outfile);
}

async function main() {
  const core = await buildCore();
  const dirs = dirsGiven.length ? dirsGiven.map((d) => path.resolve(d)) : stdlibDirs();
  if (dirs.length === 0) {
    console.error('no CPython Lib folder found (no python3 on PATH?)');
    process.exit(2);
  }
  const rules = core.allRules().map((r) => r.meta.code);
  const report = { rules, dirs: [], files: 0, lines: 0, skipped: 0, parseErrors: 0, findings: [], crashes: [], seconds: 0 };
  const t0 = performance.now();
  for (const dir of dirs) {
    const files = pyFiles(dir).slice(0, limit);
    const d0 = performance.now();
    let lines = 0;
    for (const file of files) {
      let text;
      try {
        if (statSync(file).size > core.MAX_SOURCE_CHARS) {
          report.skipped++;
          continue;
        }
        text = readFileSync(file, 'utf8');
      } catch {
        report.skipped++;
        continue;
      }
      lines += text.split('\n').length;
      const doc = core.ParsedDocument.parse(text);
      if (doc.tree.rootNode.hasError) report.parseErrors++;
      const found = core.analyze(doc, core.DEFAULT_SETTINGS, {
        onRuleError: (code, e) => report.crashes.push({ file, code, error: String(e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e) }),
      });
      for (const f of found) report.findings.push({ file, line: f.range.start.line + 1, col: f.range.start.character + 1, code: f.code, message: f.message });
    }
    const secs = (performance.now() - d0) / 1000;
    report.dirs.push({ dir, files: files.length, lines, seconds: Number(secs.toFixed(2)) });
    report.files += files.length;
    report.lines += lines;
  }
  report.seconds = Number(((performance.now() - t0) / 1000).toFixed(2));
  if (json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`rules: ${rules.join(' ')}`);
    for (const d of report.dirs) console.log(`${d.dir}: ${d.files} files, ${d.lines} lines, ${d.seconds} s (${Math.round(d.lines / Math.max(d.seconds, 1e-3))} lines/s)`);
    console.log(`total: ${report.files} files, ${report.lines} lines, ${report.seconds} s; ${report.parseErrors} files with syntax errors, ${report.skipped} skipped`);
    for (const f of report.findings) console.log(`${f.file}:${f.line}:${f.col}: ${f.code} ${f.message}`);
    for (const c of report.crashes) console.log(`CRASH ${c.code} ${c.file}: ${c.error}`);
    console.log(`${report.findings.length} findings, ${report.crashes.length} rule crashes`);
  }
  process.exit(report.findings.length === 0 && report.crashes.length === 0 ? 0 : 1);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
