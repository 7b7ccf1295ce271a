/**
 * A pool of worker threads running sweepWorker.ts with a deadline per document: a document that
 * takes longer than `deadlineMs` is a hang; its worker is terminated and replaced, and the sweep
 * goes on. The worker is bundled with esbuild (a dev dependency) next to node_modules so that its
 * native tree-sitter import resolves as in the repository.
 */
import { build } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SweepAnswer, SweepRequest } from './sweepWorker';

const REPO = path.resolve(__dirname, '../..');

/** Bundles sweepWorker.ts once per process; returns the bundle's path. */
let bundled: Promise<string> | undefined;
export function bundleWorker(): Promise<string> {
  bundled ??= (async () => {
    const dir = path.join(REPO, 'node_modules', '.cache', 'losslint-robust');
    fs.mkdirSync(dir, { recursive: true });
    const outfile = path.join(dir, `sweep-worker-${process.pid}.js`);
    await build({
      entryPoints: [path.join(__dirname, 'sweepWorker.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['tree-sitter', 'tree-sitter-python'],
      logLevel: 'warning',
    });
    return outfile;
  })();
  return bundled;
}

export interface Job {
  text: string;
  strict: boolean;
}

export type Outcome = { kind: 'done'; answer: SweepAnswer } | { kind: 'hang'; ms: number } | { kind: 'died'; error: string };

export interface PoolOptions {
  workers: number;
  deadlineMs: number;
}

/**
 * Runs every job; calls `onOutcome(index, outcome)` as each finishes. Jobs are produced lazily by
 * `jobAt(index)` so that 20,000 mutants never sit in memory together.
 */
export async function runPool(
  count: number,
  jobAt: (index: number) => Job,
  options: PoolOptions,
  onOutcome: (index: number, outcome: Outcome) => void,
): Promise<void> {
  const script = await bundleWorker();
  let next = 0;
  const lane = async (): Promise<void> => {
    let worker: Worker | undefined;
    const fresh = () => new Worker(script, { resourceLimits: { maxOldGenerationSizeMb: 1024 } });
    try {
      while (next < count) {
        const index = next++;
        const job = jobAt(index);
        worker ??= fresh();
        const w = worker;
        const t0 = performance.now();
        const outcome = await new Promise<Outcome>((resolve) => {
          const timer = setTimeout(() => {
            cleanup();
            resolve({ kind: 'hang', ms: performance.now() - t0 });
          }, options.deadlineMs);
          const onMessage = (answer: SweepAnswer) => {
            cleanup();
            resolve({ kind: 'done', answer });
          };
          const onError = (error: Error) => {
            cleanup();
            resolve({ kind: 'died', error: error.stack ?? error.message });
          };
          const onExit = (code: number) => {
            cleanup();
            resolve({ kind: 'died', error: `worker exited with ${code}` });
          };
          const cleanup = () => {
            clearTimeout(timer);
            w.off('message', onMessage);
            w.off('error', onError);
            w.off('exit', onExit);
          };
          w.on('message', onMessage);
          w.on('error', onError);
          w.on('exit', onExit);
          w.postMessage({ id: index, text: job.text, strict: job.strict } satisfies SweepRequest);
        });
        if (outcome.kind !== 'done') {
          await w.terminate();
          worker = undefined;
        }
        onOutcome(index, outcome);
      }
    } finally {
      await worker?.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.workers) }, lane));
}

export function cleanupBundle(): void {
  if (!bundled) return;
  void bundled.then((file) => fs.rmSync(file, { force: true }));
}
