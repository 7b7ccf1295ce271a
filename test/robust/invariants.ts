/**
 * What must hold for any findings of any document: ranges inside the text, well ordered, fix edits
 * inside the text and not overlapping. Returns the violations as sentences (empty when all hold).
 */
import type { ParsedDocument } from '../../server/src/core/document';
import type { Finding, Range } from '../../server/src/core/types';

function lineLengths(text: string): number[] {
  return text.split(/\r\n|\r|\n/).map((l) => l.length);
}

function inside(range: Range, lengths: number[]): boolean {
  const ok = (p: { line: number; character: number }) =>
    Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.line < lengths.length && p.character >= 0 && p.character <= lengths[p.line];
  const ordered = range.start.line < range.end.line || (range.start.line === range.end.line && range.start.character <= range.end.character);
  return ok(range.start) && ok(range.end) && ordered;
}

export function findingViolations(doc: Pick<ParsedDocument, 'text'>, findings: readonly Finding[]): string[] {
  const lengths = lineLengths(doc.text);
  const problems: string[] = [];
  for (const f of findings) {
    if (!/^LL\d{3}$/.test(f.code)) problems.push(`bad code ${f.code}`);
    if (!inside(f.range, lengths)) problems.push(`${f.code}: range ${JSON.stringify(f.range)} outside the text`);
    if (typeof f.message !== 'string' || f.message.length === 0) problems.push(`${f.code}: empty message`);
    for (const e of f.fix?.edits ?? []) {
      if (!inside(e.range, lengths)) problems.push(`${f.code}: fix edit ${JSON.stringify(e.range)} outside the text`);
      if (typeof e.newText !== 'string') problems.push(`${f.code}: fix edit without text`);
    }
  }
  return problems;
}
