/**
 * Robustness sweep (issue 7): the analyzer on every .py file of the machine's CPython standard
 * library and on seeded mutants of them (truncated, random bytes and tokens inserted, lines deleted
 * or duplicated, indentation broken, line endings mixed), one in ten mutants starting from a rule
 * fixture or an example instead, each document in a worker thread with a deadline.
 *
 * Asserts: no crash (analyze throwing, or reporting a core/rule error), no hang (a document over
 * the deadline), no finding whose range or fix lies outside its text, and no finding at all on the
 * unmutated originals with the default settings.
 *
 * Knobs (environment): LOSSLINT_SWEEP_SEED (default 7), LOSSLINT_SWEEP_DOCS (total documents,
 * default 20,000), LOSSLINT_SWEEP_SLICE (the most characters of a file a mutant starts from,
 * default 6,000; 0 mutates whole files, about 5x slower), LOSSLINT_SWEEP_WORKERS (default: the
 * cores, at most 4), LOSSLINT_SWEEP_DEADLINE_MS (default 30,000), LOSSLINT_SWEEP_STDLIB (a folder
 * instead of python3's stdlib), LOSSLINT_SWEEP=0 to skip. A summary goes to
 * test-artifacts/robust/sweep.json and each failing document to test-artifacts/robust/failures/.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findStdlib, loadCorpus } from './corpus';
import { cleanupBundle, type Job, runPool } from './pool';
import { int, mutate, rng, slice } from './random';
import { samples } from './samples';

const env = (name: string, fallback: number) => {
  const v = process.env[name];
  return v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : fallback;
};
const SEED = env('LOSSLINT_SWEEP_SEED', 7);
const DOCS = env('LOSSLINT_SWEEP_DOCS', 20_000);
const SLICE = env('LOSSLINT_SWEEP_SLICE', 6_000);
const WORKERS = env('LOSSLINT_SWEEP_WORKERS', Math.min(4, os.availableParallelism()));
const DEADLINE_MS = env('LOSSLINT_SWEEP_DEADLINE_MS', 30_000);
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/robust');

const found = process.env.LOSSLINT_SWEEP === '0' ? { skip: 'LOSSLINT_SWEEP=0' } : findStdlib();

afterAll(cleanupBundle);

describe.skipIf('skip' in found)(`robustness sweep${'skip' in found ? ` (skipped: ${found.skip})` : ''}`, () => {
  it(
    'analyses the standard library and its mutants without a crash, a hang or a stray finding',
    async () => {
      const { python, stdlib } = found as { python: string; stdlib: string };
      const corpus = loadCorpus(python, stdlib);
      const originals = corpus.files.length;
      expect(originals).toBeGreaterThan(100);
      const total = Math.max(DOCS, originals);
      const fixtures = samples().map((x) => ({ path: x.name, text: x.text }));

      /** Document i: the i-th original, then mutants that are pure functions of (SEED, i). */
      const describeDoc = (i: number): { job: Job; what: string } => {
        if (i < originals) return { job: { text: corpus.files[i].text, strict: false }, what: `original ${corpus.files[i].path}` };
        const r = rng((SEED * 0x9e3779b1 + i) >>> 0);
        // One mutant in ten starts from a rule fixture or an example, so that the rules fire and
        // their fixes are built on broken text too; the others from the standard library.
        const file = i % 10 === 0 && fixtures.length > 0 ? fixtures[int(r, fixtures.length)] : corpus.files[int(r, originals)];
        const base = SLICE > 0 ? slice(r, file.text, SLICE) : file.text;
        const { text, applied } = mutate(r, base);
        return { job: { text, strict: i % 2 === 0 }, what: `mutant #${i} (seed ${SEED}) of ${file.path}: ${applied.join(' + ')}` };
      };

      const failures: { index: number; what: string; problem: string }[] = [];
      const findingsOnOriginals: string[] = [];
      const times: number[] = [];
      let crashes = 0;
      let hangs = 0;
      let violations = 0;
      let chars = 0;
      let withSyntaxErrors = 0;
      let mutantFindings = 0;
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const saveFailure = (index: number, what: string, problem: string) => {
        failures.push({ index, what, problem });
        if (failures.length <= 50) {
          fs.mkdirSync(path.join(ARTIFACTS, 'failures'), { recursive: true });
          fs.writeFileSync(path.join(ARTIFACTS, 'failures', `${index}.py`), describeDoc(index).job.text);
          fs.writeFileSync(path.join(ARTIFACTS, 'failures', `${index}.txt`), `${what}\n${problem}\n`);
        }
      };

      await runPool(
        total,
        (i) => {
          const { job } = describeDoc(i);
          chars += job.text.length;
          return job;
        },
        { workers: WORKERS, deadlineMs: DEADLINE_MS },
        (i, outcome) => {
          const lazyWhat = () => describeDoc(i).what;
          if (outcome.kind === 'hang') {
            hangs++;
            saveFailure(i, lazyWhat(), `hang: no answer after ${Math.round(outcome.ms)} ms`);
            return;
          }
          if (outcome.kind === 'died') {
            crashes++;
            saveFailure(i, lazyWhat(), `worker died: ${outcome.error}`);
            return;
          }
          const a = outcome.answer;
          times.push(a.ms);
          if (a.hasError) withSyntaxErrors++;
          if (a.crashes.length > 0) {
            crashes++;
            saveFailure(i, lazyWhat(), `crash: ${a.crashes.join('\n')}`);
          }
          if (a.violations.length > 0) {
            violations++;
            saveFailure(i, lazyWhat(), `invalid findings: ${a.violations.join('; ')}`);
          }
          if (i < originals && a.findings.length > 0) findingsOnOriginals.push(`${corpus.files[i].path}: ${a.findings.join(', ')}`);
          if (i >= originals) mutantFindings += a.findings.length;
        },
      );

      const wallMs = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const sorted = [...times].sort((a, b) => a - b);
      const q = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
      const summary = {
        python: corpus.python,
        stdlib: corpus.stdlib,
        seed: SEED,
        slice: SLICE,
        workers: WORKERS,
        deadlineMs: DEADLINE_MS,
        documents: total,
        originals,
        originalsNotDecodableByCli: corpus.files.filter((f) => f.decoded !== 'cli').length,
        mutants: total - originals,
        megachars: Math.round(chars / 1e5) / 10,
        withSyntaxErrors,
        crashes,
        hangs,
        invalidFindings: violations,
        findingsOnOriginals: findingsOnOriginals.length,
        findingsOnMutants: mutantFindings,
        msPerDocument: { p50: q(0.5), p99: q(0.99), max: Math.round(sorted[sorted.length - 1] ?? 0) },
        wallSeconds: Math.round(wallMs / 100) / 10,
        cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
      };
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS, 'sweep.json'), `${JSON.stringify({ ...summary, failures: failures.slice(0, 200), findingsOnOriginals }, null, 2)}\n`);
      console.log(`robustness sweep: ${JSON.stringify(summary)}`);

      expect(failures.slice(0, 20)).toEqual([]);
      expect(findingsOnOriginals).toEqual([]);
      expect(total).toBeGreaterThanOrEqual(Math.min(DOCS, 20_000));
    },
    60 * 60_000,
  );
});
