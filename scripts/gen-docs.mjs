// Writes docs/rules/<CODE>.md from each registered rule's `docs` (the rule file is the source of truth).
// Usage: node scripts/gen-docs.mjs   (test/rules/docs.test.ts fails when the pages are out of date)
import { build } from 'esbuild';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'node_modules', '.cache', 'losslint-gen-docs.mjs');
mkdirSync(dirname(out), { recursive: true });
await build({
  stdin: { contents: "export { allRules } from './server/src/analysis/registry';", resolveDir: root, loader: 'ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: out,
  logLevel: 'error',
});
const { allRules } = await import(pathToFileURL(out).href);
mkdirSync(join(root, 'docs', 'rules'), { recursive: true });
for (const rule of allRules()) {
  writeFileSync(join(root, 'docs', 'rules', `${rule.meta.code}.md`), rule.docs);
}
rmSync(out);
console.log(`wrote ${allRules().length} rule pages to docs/rules/`);
