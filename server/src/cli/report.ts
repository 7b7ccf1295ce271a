/**
 * The outcome of one `losslint check` run, as the output formats read it: every checked file with
 * its findings, and the notices (skipped files, unreadable paths, broken configuration) that were
 * also printed to stderr as they happened.
 */
import type { Finding } from '../core/types';
import type { FindingCells } from './notebook';

export interface FileResult {
  /** Absolute path. */
  path: string;
  /** Sorted by position, then code. */
  findings: Finding[];
  /** Fixes applied by `--fix`. */
  fixed: number;
  /** A notebook's: where each finding is, in its cell and in the file (aligned with `findings`). */
  cells?: FindingCells[];
}

export interface Notice {
  /** An error makes the run exit with 2; a warning or info does not change the exit code. */
  level: 'error' | 'warning' | 'info';
  /** The file or directory concerned (absolute), when there is one. */
  path: string | undefined;
  message: string;
}

export interface CheckReport {
  /** Paths are printed relative to this directory. */
  cwd: string;
  /** Every checked file, sorted by path, including clean ones. */
  files: FileResult[];
  notices: Notice[];
  /** Whether `--fix` ran, which changes the text summary. */
  fixMode: boolean;
}

/** Counts for the closing summary and the exit code. */
export interface Totals {
  /** Findings left (after fixing, under `--fix`). */
  remaining: number;
  /** Of those, how many `--fix` would fix. */
  fixable: number;
  /** Fixes applied by `--fix`. */
  fixed: number;
  errors: number;
}

export function totals(report: CheckReport): Totals {
  let remaining = 0;
  let fixable = 0;
  let fixed = 0;
  for (const file of report.files) {
    remaining += file.findings.length;
    fixable += file.findings.filter(hasSafeFix).length;
    fixed += file.fixed;
  }
  return { remaining, fixable, fixed, errors: report.notices.filter((n) => n.level === 'error').length };
}

/** Whether a finding carries a fix that `--fix` would apply. */
export function hasSafeFix(finding: Finding): boolean {
  return finding.fix?.applicability === 'safe';
}

export function allFindings(report: CheckReport): { file: FileResult; finding: Finding }[] {
  return report.files.flatMap((file) => file.findings.map((finding) => ({ file, finding })));
}

/** Orders findings by start position, then code, so output is the same on every run. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)
  );
}
