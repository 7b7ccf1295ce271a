/**
 * Zero false positives on the CPython standard library: every rule, default settings, must report
 * nothing on it (it holds no loss code) and no rule may throw.
 *
 * The whole Lib takes longer than a CI test should (about 1.2 million lines over the Lib folders of
 * this machine's interpreters), so this test runs a seeded sample of one Lib folder plus the
 * math-heavy modules that look most like loss code (`math.log`, `exp`, `**` on probabilities).
 * `bench/stdlib.mjs` runs every file of every Lib folder.
 *
 * Environment: LOSSLINT_STDLIB_SEED (default 20240611) picks the sample, LOSSLINT_STDLIB_SAMPLE its
 * size (default 250 files), LOSSLINT_STDLIB_ALL=1 runs the whole Lib folder here too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pyFiles, stdlibDirs } from '../../bench/stdlib-files.cjs';
import { analyze } from '../../server/src/analysis/analyze';
import { MAX_SOURCE_CHARS, ParsedDocument } from '../../server/src/core/document';
import { DEFAULT_SETTINGS } from '../../server/src/core/types';
import { rng } from '../robust/random';

const SEED = Number(process.env.LOSSLINT_STDLIB_SEED ?? 20240611);
const SAMPLE = Number(process.env.LOSSLINT_STDLIB_SAMPLE ?? 250);
const ALL = process.env.LOSSLINT_STDLIB_ALL === '1';
/** Always analysed: numeric code with logs, exponentials and powers of probabilities. */
const ALWAYS = ['statistics.py', 'random.py', 'fractions.py', 'decimal.py', '_pydecimal.py', 'colorsys.py', 'datetime.py', 'difflib.py'];


function sample(files: string[], dir: string): string[] {
  if (ALL) return files;
  const always = files.filter((f) => ALWAYS.includes(path.relative(dir, f)));
  const rest = files.filter((f) => !always.includes(f));
  const next = rng(SEED);
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [rest[i], rest[j]] = [rest[j], rest[i]];
  }
  return [...always, ...rest.slice(0, Math.max(0, SAMPLE - always.length))].sort();
}

const dirs: string[] = stdlibDirs();
const dir = dirs[0];

describe('CPython standard library', () => {
  it.skipIf(!dir)(
    'has no finding and no rule crash',
    () => {
      const files = sample(pyFiles(dir!), dir!);
      const findings: string[] = [];
      const crashes: string[] = [];
      let lines = 0;
      const t0 = performance.now();
      for (const file of files) {
        if (fs.statSync(file).size > MAX_SOURCE_CHARS) continue;
        const text = fs.readFileSync(file, 'utf8');
        lines += text.split('\n').length;
        const doc = ParsedDocument.parse(text);
        for (const f of analyze(doc, DEFAULT_SETTINGS, { onRuleError: (code, e) => crashes.push(`${file} ${code}: ${String(e)}`) })) {
          findings.push(`${path.relative(dir!, file)}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.code} ${f.message}`);
        }
      }
      const secs = (performance.now() - t0) / 1000;
      console.log(`stdlib ${dir}: ${files.length} files (${ALL ? 'all' : `seed ${SEED}`}), ${lines} lines, ${secs.toFixed(1)} s, ${findings.length} findings`);
      expect(crashes).toEqual([]);
      expect(findings).toEqual([]);
    },
    180_000,
  );
});
