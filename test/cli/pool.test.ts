/**
 * `losslint check --jobs N`: the worker pool (server/src/cli/pool.ts, dist/check-worker.js) must not
 * change what the CLI prints, in what order, or with what exit code; and a worker that throws, exits
 * or cannot start must cost no file and never hang the run.
 *
 * Faults come from LOSSLINT_CHECK_WORKER: a small worker written here that wraps the real one and
 * misbehaves on files holding a marker comment. Untimed: only output and exit codes are compared.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkFile } from '../../server/src/cli/check';
import { CheckPool } from '../../server/src/cli/pool';
import { DEFAULT_SETTINGS } from '../../server/src/core/types';
import { CLEAN_SAMPLE, LL103_SAMPLE, REPO, type RunResult, runCli, tempDir, writeTree } from './helpers';

vi.setConfig({ testTimeout: 120_000 });

const REAL_WORKER = path.join(REPO, 'dist/check-worker.js');

/**
 * The real worker, except on files with `# pool-test: exit|throw|slow|rule-error`. The faults happen
 * where the real worker answers (a throw in one 'message' listener does not stop the next one).
 */
const FAULTY_WORKER = `
const { parentPort } = require('node:worker_threads');
const jobs = new Map();
parentPort.on('message', (job) => jobs.set(job.id, job));
const post = parentPort.postMessage.bind(parentPort);
parentPort.postMessage = (reply) => {
  const text = jobs.get(reply.id)?.text ?? '';
  jobs.delete(reply.id);
  if (text.includes('# pool-test: exit')) process.exit(7);
  if (text.includes('# pool-test: throw')) throw new Error('worker boom');
  if (text.includes('# pool-test: slow')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
  if (text.includes('# pool-test: rule-error')) reply.ruleErrors = [...reply.ruleErrors, { code: 'LL103', message: 'boom' }];
  post(reply);
};
require(${JSON.stringify(REAL_WORKER)});
`;

let root: string;
let faulty: string;
let broken: string;

beforeAll(() => {
  root = tempDir('losslint-pool-');
  faulty = path.join(root, 'workers', 'faulty.js');
  broken = path.join(root, 'workers', 'broken.js');
  writeTree(root, {
    'workers/faulty.js': FAULTY_WORKER,
    'workers/broken.js': "throw new Error('this worker cannot start');\n",
  });
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A project of `n` files: LL103 samples, clean losses and files the prefilter skips, interleaved. */
function project(name: string, n: number, marker: (i: number) => string | undefined = () => undefined): string {
  const dir = path.join(root, name);
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const base = i % 3 === 0 ? LL103_SAMPLE : i % 3 === 1 ? CLEAN_SAMPLE : `def f(x):\n    return x + ${i}\n`;
    const m = marker(i);
    files[`pkg${i % 4}/m${String(i).padStart(3, '0')}.py`] = m ? `${base}# pool-test: ${m}\n` : base;
  }
  writeTree(dir, files);
  return dir;
}

function check(cwd: string, jobs: number, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runCli(['check', '--format', 'json', '-j', String(jobs), ...extra], cwd, env);
}

describe('--jobs gives the same output as one thread', () => {
  for (const target of ['examples', 'test/fixtures']) {
    it(`on ${target}/, default and strict settings`, async () => {
      for (const extra of [[target], ['--strict', target]]) {
        const one = await check(REPO, 1, extra);
        const two = await check(REPO, 2, extra);
        expect(JSON.parse(one.stdout).length).toBeGreaterThan(0);
        expect(two).toEqual(one);
      }
    });
  }

  it('on a project of 60 files, in path order, in every format', async () => {
    const dir = project('plain', 60);
    for (const format of ['json', 'text', 'sarif']) {
      const one = await runCli(['check', '--format', format, '-j', '1'], dir);
      const three = await runCli(['check', '--format', format, '-j', '3'], dir);
      expect(three).toEqual(one);
    }
    const files = (JSON.parse((await check(dir, 2)).stdout) as { path: string }[]).map((f) => f.path);
    expect(files.length).toBe(20);
    expect(files).toEqual([...files].sort());
  });

  it('keeps path order when the first file is the slowest', async () => {
    const dir = project('slow', 30, (i) => (i === 0 ? 'slow' : undefined));
    const one = await check(dir, 1);
    expect(await check(dir, 2, [], { LOSSLINT_CHECK_WORKER: faulty })).toEqual(one);
  });

  it('rejects a job count that is not a positive whole number', async () => {
    for (const bad of ['0', '-1', '1.5', 'many']) {
      const r = await runCli(['check', '-j', bad, '.'], root);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--jobs/);
    }
  });
});

describe('worker faults', () => {
  it('a worker that exits costs no file: it is checked in the main thread, with a warning', async () => {
    const dir = project('exit', 24, (i) => (i === 3 || i === 12 ? 'exit' : undefined));
    const one = await check(dir, 1);
    const two = await check(dir, 2, [], { LOSSLINT_CHECK_WORKER: faulty });
    expect(two.stdout).toBe(one.stdout);
    expect(two.code).toBe(one.code);
    // In path order, as the files' output.
    expect(two.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^warning: pkg0[\\/]m012\.py: worker exited with code 7; checked in the main thread instead$/),
      expect.stringMatching(/^warning: pkg3[\\/]m003\.py: worker exited with code 7; checked in the main thread instead$/),
    ]);
  });

  it('a worker that throws costs no file either', async () => {
    const dir = project('throw', 12, (i) => (i === 6 ? 'throw' : undefined));
    const one = await check(dir, 1);
    const two = await check(dir, 2, [], { LOSSLINT_CHECK_WORKER: faulty });
    expect(two.stdout).toBe(one.stdout);
    expect(two.code).toBe(one.code);
    expect(two.stderr).toMatch(/^warning: pkg2[\\/]m006\.py: worker crashed: worker boom; checked in the main thread instead\n$/);
  });

  it('workers that cannot start stop the pool after 3 crashes; every file is still checked, once', async () => {
    const dir = project('broken', 30);
    const one = await check(dir, 1);
    const two = await check(dir, 2, [], { LOSSLINT_CHECK_WORKER: broken });
    expect(two.stdout).toBe(one.stdout);
    expect(two.code).toBe(one.code);
    const notices = two.stderr.split('\n').filter(Boolean);
    // 3 crashes stop the pool; the other worker may hold a file then, and crash on it too.
    expect(notices.filter((l) => l.includes('checked in the main thread instead')).length).toBeLessThanOrEqual(4);
    expect(notices.filter((l) => l.startsWith('warning: worker pool stopped: 3 workers crashed in a row'))).toHaveLength(1);
    expect(notices.every((l) => l.startsWith('warning: '))).toBe(true);
  });

  it('a missing worker bundle leaves the run to one thread', async () => {
    const dir = project('missing', 6);
    const one = await check(dir, 1);
    const two = await check(dir, 2, [], { LOSSLINT_CHECK_WORKER: path.join(root, 'workers', 'nope.js') });
    expect(two.stdout).toBe(one.stdout);
    expect(two.code).toBe(one.code);
    expect(two.stderr).toMatch(/^warning: worker pool not available \(check worker bundle .*nope\.js not found\); checking in one thread\n$/);
  });

  it("a rule that fails in a worker is reported as in the main thread (error, exit 2), once per file", async () => {
    const dir = project('rule-error', 9, (i) => (i === 3 ? 'rule-error' : undefined));
    const r = await check(dir, 2, [], { LOSSLINT_CHECK_WORKER: faulty });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: pkg3[\\/]m003\.py: rule LL103 failed: boom\n$/);
    expect(r.stdout).toBe((await check(dir, 1)).stdout);
  });
});

describe('CheckPool', () => {
  const settings = DEFAULT_SETTINGS;

  it('fails every job, never rejects, and stops when its workers cannot start', async () => {
    const pool = new CheckPool(2, broken);
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.check(`f${i}.py`, LL103_SAMPLE, settings)));
    expect(outcomes.every((o) => o.kind === 'failed')).toBe(true);
    expect(outcomes.filter((o) => o.kind === 'failed' && o.crashed).length).toBeGreaterThanOrEqual(3);
    expect(pool.stopReason).toMatch(/^3 workers crashed in a row \(last: worker crashed: this worker cannot start\)$/);
    expect(await pool.check('late.py', LL103_SAMPLE, settings)).toEqual({ kind: 'failed', reason: pool.stopReason, crashed: false });
    await pool.close();
  });

  it('close() fails the jobs still in hand or queued instead of waiting for them', async () => {
    const never = path.join(root, 'workers', 'never.js');
    fs.writeFileSync(never, "require('node:worker_threads').parentPort.on('message', () => {});\n");
    const pool = new CheckPool(1, never);
    const inHand = pool.check('a.py', LL103_SAMPLE, settings);
    const queued = pool.check('b.py', LL103_SAMPLE, settings);
    await pool.close();
    expect(await inHand).toEqual({ kind: 'failed', reason: 'pool closed', crashed: false });
    expect(await queued).toEqual({ kind: 'failed', reason: 'pool closed', crashed: false });
  });

  it('answers with the findings of checkFile', async () => {
    const pool = new CheckPool(2, REAL_WORKER);
    try {
      const [a, b] = await Promise.all([pool.check('a.py', LL103_SAMPLE, settings), pool.check('b.py', CLEAN_SAMPLE, settings)]);
      expect(a).toEqual({ kind: 'done', findings: checkFile('a.py', LL103_SAMPLE, settings), ruleErrors: [] });
      expect(b).toEqual({ kind: 'done', findings: [], ruleErrors: [] });
    } finally {
      await pool.close();
    }
  });

  it('with a depth of 2, a worker that dies fails only the job it was checking; the one it held next is checked by the next worker', async () => {
    const pool = new CheckPool(1, faulty, 2);
    try {
      const [a, b, c] = await Promise.all([
        pool.check('a.py', `${LL103_SAMPLE}# pool-test: exit\n`, settings),
        pool.check('b.py', LL103_SAMPLE, settings),
        pool.check('c.py', CLEAN_SAMPLE, settings),
      ]);
      expect(a).toEqual({ kind: 'failed', reason: 'worker exited with code 7', crashed: true });
      expect(b).toEqual({ kind: 'done', findings: checkFile('b.py', LL103_SAMPLE, settings), ruleErrors: [] });
      expect(c).toEqual({ kind: 'done', findings: [], ruleErrors: [] });
    } finally {
      await pool.close();
    }
  });
});
