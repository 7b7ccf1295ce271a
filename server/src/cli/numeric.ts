/**
 * The CLI's options for the numeric probes (server/src/numeric/), parsed here and handed through
 * unchanged to the numeric runner at the one call site in check.ts marked `// numeric:`.
 *
 * The CLI does not import the numeric engine itself: server/src/numeric/ registers a runner with
 * `setNumericRunner` (imported for its side effect at the line in main.ts marked `// numeric:`).
 * When `--numeric` is given and no runner is registered, the CLI says so once on stderr and goes
 * on with the static rules alone.
 */
import type { Finding, LintSettings } from '../core/types';

export const NUMERIC_BACKENDS = ['auto', 'webgpu', 'wasm', 'cpu'] as const;

export type NumericBackend = (typeof NUMERIC_BACKENDS)[number];

export interface NumericOptions {
  /** `--numeric`: run the probes after the static rules. */
  enabled: boolean;
  /** `--backend`: where the probes run; `auto` picks the fastest one that starts. */
  backend: NumericBackend;
}

/** One checked file, handed to the numeric runner after the static rules ran on it. */
export interface NumericFile {
  /** Absolute path. */
  path: string;
  text: string;
  /** The effective settings for this file (project configuration and flags). */
  settings: LintSettings;
  /** The static findings, sorted by position. */
  findings: Finding[];
}

/** Where a runner reports problems (a backend that failed to start, a probe that crashed). */
export interface NumericLog {
  /** A one-line notice on stderr; an `error` makes the run exit with 2. */
  notice(level: 'error' | 'warning', message: string): void;
}

/**
 * Runs the probes on a batch of files (the CLI currently sends one file at a time, as each is
 * checked, so output can stream). Returns each file's final findings, in the order of `files`:
 * the static ones, with `evidence` added where a probe confirmed them, plus any numeric findings.
 */
export type NumericRunner = (files: NumericFile[], options: NumericOptions, log: NumericLog) => Promise<Finding[][]>;

let registered: NumericRunner | undefined;

/** Registers the numeric runner; server/src/numeric/ calls this when its module is loaded. */
export function setNumericRunner(runner: NumericRunner | undefined): void {
  registered = runner;
}

export function numericRunner(): NumericRunner | undefined {
  return registered;
}
