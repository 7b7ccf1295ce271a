/**
 * V8's tier-up, tuned for a batch run (`losslint check`, `probe`): a function is optimized by
 * TurboFan once it has run through its interrupt budget of bytecode (67,584 by default). The
 * analysis is a few hundred large, polymorphic functions (the IR builder's `...At` readers, the
 * interpreter's `eval`) whose type feedback keeps changing over the first files; optimized early,
 * they are deoptimized ("wrong map") and compiled again several times, each compile of the largest
 * costing 0.1-0.4 s of a background thread. With a budget of 1,000,000 they are optimized once
 * their feedback has settled: over the torch tree (bench/project.mjs) `check -j1` took about a
 * quarter less CPU, the same files analysed a fifth time (every function long optimized) took the
 * same time either way. Flags are process-wide, so the worker threads of `--jobs` get it too. The
 * language server (dist/server.js, long-running) keeps V8's default. A budget given on the
 * command line or in NODE_OPTIONS wins.
 */
import * as v8 from 'node:v8';

export const BATCH_INTERRUPT_BUDGET = 1_000_000;

export function tuneJitForBatch(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('interrupt-budget'));
  if (given) return;
  try {
    v8.setFlagsFromString(`--interrupt-budget=${BATCH_INTERRUPT_BUDGET}`);
  } catch {
    // A runtime without V8 flags: the default tier-up.
  }
}
