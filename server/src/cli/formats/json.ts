/**
 * `--format json`: one JSON array with one object per finding, streamed as files are checked.
 * Positions are 1-based; columns count UTF-16 code units and `endColumn` is exclusive. In a
 * notebook, `cell` (1-based, counting every cell) comes before `line`, and the positions are the
 * cell's, fix edits included, as ruff's JSON output.
 */
import type { Finding } from '../../core/types';
import type { FindingCells } from '../notebook';
import { docsPath } from '../package';
import type { FileResult } from '../report';
import { displayPath, toSpan } from './location';

export interface JsonEdit {
  /** In a notebook: the cell the edit is in. */
  cell?: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  newText: string;
}

export interface JsonFinding {
  code: string;
  name: string;
  /** As printed by the text format: relative to the working directory when inside it. */
  path: string;
  /** In a notebook: the cell (1-based, counting every cell); `line` and `column` are then the cell's. */
  cell?: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Finding['severity'];
  message: string;
  /** Absolute path of the rule's documentation page in the installed package. */
  docs: string;
  /** The rule's fix for this finding, or null when it has none. */
  fix: { title: string; applicability: 'safe' | 'unsafe'; edits: JsonEdit[] } | null;
  /** Present when a numeric probe confirmed the finding. */
  evidence?: string;
  /** Project analysis: where a value from elsewhere is written, or the loss a value reaches (1-based). */
  related?: { path: string; line: number; column: number; endLine: number; endColumn: number; message: string }[];
  /** numeric: for probe findings (LL301-LL309), the function and the probe result (server/src/cli/probe.ts). */
  numeric?: unknown;
}

export function toJsonFinding(finding: Finding, file: string, cwd: string, cells?: FindingCells): JsonFinding {
  const out: JsonFinding = {
    code: finding.code,
    name: finding.name,
    path: displayPath(file, cwd),
    ...(cells ? { cell: cells.at.cell, ...toSpan(cells.at.range) } : toSpan(finding.range)),
    severity: finding.severity,
    message: finding.message,
    docs: docsPath(finding.code),
    fix: finding.fix
      ? {
          title: finding.fix.title,
          applicability: finding.fix.applicability,
          edits: finding.fix.edits.map((e, i) => {
            const at = cells?.edits?.[i];
            return { ...(at ? { cell: at.cell, ...toSpan(at.range) } : toSpan(e.range)), newText: e.newText };
          }),
        }
      : null,
  };
  if (finding.evidence) out.evidence = finding.evidence;
  if (finding.related?.length) out.related = finding.related.map((r) => ({ path: displayPath(r.path, cwd), ...toSpan(r.range), message: r.message }));
  if ((finding as { numeric?: unknown }).numeric) out.numeric = (finding as { numeric?: unknown }).numeric; // numeric:
  return out;
}

export class JsonFormatter {
  private written = 0;

  constructor(private readonly cwd: string) {}

  file(result: FileResult): string {
    let out = '';
    result.findings.forEach((finding, i) => {
      const item = JSON.stringify(toJsonFinding(finding, result.path, this.cwd, result.cells?.[i]), null, 2).replace(/\n/g, '\n  ');
      out += `${this.written++ === 0 ? '[\n  ' : ',\n  '}${item}`;
    });
    return out;
  }

  finish(): string {
    return this.written === 0 ? '[]\n' : '\n]\n';
  }
}
