/**
 * Conversions shared by the output formats: 0-based ranges to 1-based line and column (UTF-16
 * code units, end exclusive, as the core reports them), and file paths to display paths and URIs.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Range } from '../../core/types';

/** A 1-based region; `endColumn` is the column just after the last character. */
export interface Span {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export function toSpan(range: Range): Span {
  return {
    line: range.start.line + 1,
    column: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

/** The path as printed: relative to the working directory when inside it, else absolute. */
export function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** A SARIF artifact location: relative to `%SRCROOT%` (the working directory) when inside it. */
export function artifactLocation(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  const relative = displayPath(file, cwd);
  if (path.isAbsolute(relative)) return { uri: pathToFileURL(file).href };
  return { uri: relative.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}
