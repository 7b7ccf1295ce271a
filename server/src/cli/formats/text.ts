/**
 * ruff's concise text format: `path:line:col: CODE message` per finding (1-based, UTF-16 columns),
 * then a closing summary. In a notebook the line and column are the cell's, after its number:
 * `nb.ipynb:cell 3:4:12: CODE message` (ruff's form; cells counted from 1 over every cell).
 */
import { type CheckReport, type FileResult, totals } from '../report';
import { displayPath, toSpan } from './location';

export class TextFormatter {
  constructor(private readonly cwd: string) {}

  file(result: FileResult): string {
    const shown = displayPath(result.path, this.cwd);
    let out = '';
    result.findings.forEach((finding, i) => {
      const cell = result.cells?.[i]?.at;
      const { line, column } = toSpan(cell ? cell.range : finding.range);
      out += `${shown}:${cell ? `cell ${cell.cell}:` : ''}${line}:${column}: ${finding.code} ${oneLine(finding.message)}\n`;
      for (const r of finding.related ?? []) {
        const at = toSpan(r.range);
        out += `  ${displayPath(r.path, this.cwd)}:${at.line}:${at.column}: ${oneLine(r.message)}\n`;
      }
    });
    return out;
  }

  finish(report: CheckReport): string {
    return `${summary(report)}\n`;
  }
}

/** "Found 3 problems (2 fixable with --fix).", "All checks passed!" and the like. */
export function summary(report: CheckReport): string {
  const t = totals(report);
  const errors = t.errors > 0 ? `${plural(t.errors, 'error')} (see above)` : '';
  if (report.fixMode) {
    const found = t.fixed + t.remaining;
    if (found > 0) {
      return `Found ${plural(found, 'problem')} (${t.fixed} fixed, ${t.remaining} remaining).${errors ? ` ${capitalize(errors)}.` : ''}`;
    }
  } else if (t.remaining > 0) {
    const fixable = t.fixable > 0 ? ` (${t.fixable} fixable with --fix)` : '';
    return `Found ${plural(t.remaining, 'problem')}${fixable}.${errors ? ` ${capitalize(errors)}.` : ''}`;
  }
  return errors ? `No problems found, but ${errors} kept some files from being checked.` : 'All checks passed!';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Keeps one finding on one line whatever its message holds. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}
