/**
 * Python samples for the property tests: the bundled examples and every rule fixture that exists
 * in the working tree (test/fixtures/**), plus a few inline ones, so that the properties run on
 * code that has findings and fixes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FOCAL } from '../lsp/samples';

export const REPO = path.resolve(__dirname, '../..');

export interface Sample {
  name: string;
  text: string;
}

function pythonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...pythonFiles(p));
    else if (e.isFile() && e.name.endsWith('.py')) out.push(p);
  }
  return out;
}

/** The fixtures and examples, as repository-relative names. */
export function fixtureFiles(): string[] {
  // The project fixtures (test/fixtures/projects/) exercise the project index (test/project, test/cli/project.test.ts).
  const projects = path.join(REPO, 'test/fixtures/projects') + path.sep;
  return [...pythonFiles(path.join(REPO, 'test/fixtures')).filter((f) => !f.startsWith(projects)), ...pythonFiles(path.join(REPO, 'examples'))];
}

/** The brief's LL103 sample, shared with the LSP tests. */
export { FOCAL };

export function samples(): Sample[] {
  return [{ name: 'FOCAL', text: FOCAL }, ...fixtureFiles().map((f) => ({ name: path.relative(REPO, f), text: fs.readFileSync(f, 'utf8') }))];
}
