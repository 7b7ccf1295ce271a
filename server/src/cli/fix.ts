/**
 * `--fix`: applies the safe fixes of findings to a source text, re-checking after each pass
 * because one fix can enable or change another (as ruff does). Fixes whose edits overlap an already
 * accepted fix wait for the next pass, which sees them re-reported against the new text.
 */
import { ParsedDocument } from '../core/document';
import type { Finding, Fix } from '../core/types';

/** Enough for chained fixes; a rule whose fix never settles cannot loop forever. */
const MAX_PASSES = 10;

export interface FixOutcome {
  /** The final text and its findings, after the last pass. */
  doc: ParsedDocument;
  findings: Finding[];
  /** How many fixes were applied over all passes. */
  fixed: number;
}

/**
 * How fixed text becomes the next document. A Python file is its text; a notebook's module is
 * rebuilt from its cells (cli/notebook.ts), which also refuses edits that cross a cell boundary or
 * would overwrite masked IPython syntax.
 */
export interface FixRewriter {
  /** Whether an edit may be applied; a fix with one edit refused is left out whole. */
  admits(edit: OffsetEdit): boolean;
  /** The document after the accepted edits (offsets in `doc`, none overlapping); `text` is `doc.text` with them applied. */
  rewrite(doc: ParsedDocument, edits: readonly OffsetEdit[], text: string): ParsedDocument;
}

const PLAIN_TEXT: FixRewriter = {
  admits: () => true,
  rewrite: (_doc, _edits, text) => ParsedDocument.parse(text),
};

/** Lints `doc`, applies safe fixes and lints again, until no safe fix is left to apply. */
export function fixUntilStable(doc: ParsedDocument, lint: (doc: ParsedDocument) => Finding[], rewriter: FixRewriter = PLAIN_TEXT): FixOutcome {
  let findings = lint(doc);
  let fixed = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const safe = findings.flatMap((f) => (f.fix?.applicability === 'safe' ? [f.fix] : []));
    const { text, applied, edits } = applyFixes(doc, safe, rewriter.admits);
    // A fix that rewrites the text to itself would be offered again forever: stop there.
    if (applied === 0 || text === doc.text) break;
    fixed += applied;
    doc = rewriter.rewrite(doc, edits, text);
    findings = lint(doc);
  }
  return { doc, findings, fixed };
}

/** An edit in UTF-16 offsets of a document's text. */
export interface OffsetEdit {
  start: number;
  end: number;
  newText: string;
}

/**
 * Applies every fix that does not overlap an earlier one (and whose edits `admits` accepts);
 * returns the new text, the count and the accepted edits.
 */
export function applyFixes(
  doc: ParsedDocument,
  fixes: readonly Fix[],
  admits: (edit: OffsetEdit) => boolean = () => true,
): { text: string; applied: number; edits: OffsetEdit[] } {
  const candidates = fixes
    .map((fix) => fix.edits.map((e) => ({ start: doc.offsetAt(e.range.start), end: doc.offsetAt(e.range.end), newText: e.newText })))
    .filter((edits) => edits.length > 0 && edits.every((e) => e.start <= e.end && admits(e)) && !selfOverlapping(edits))
    .sort((a, b) => firstStart(a) - firstStart(b));
  const accepted: OffsetEdit[] = [];
  let applied = 0;
  for (const edits of candidates) {
    if (edits.some((e) => accepted.some((a) => overlaps(a, e)))) continue;
    accepted.push(...edits);
    applied++;
  }
  let text = doc.text;
  // From the end backwards, so earlier offsets stay valid; at one offset the replacement goes
  // first, so that an insertion there ends up before the replacement's text.
  for (const e of accepted.sort((a, b) => b.start - a.start || b.end - a.end)) {
    text = text.slice(0, e.start) + e.newText + text.slice(e.end);
  }
  return { text, applied, edits: accepted };
}

function firstStart(edits: readonly OffsetEdit[]): number {
  return Math.min(...edits.map((e) => e.start));
}

function selfOverlapping(edits: readonly OffsetEdit[]): boolean {
  return edits.some((e, i) => edits.slice(i + 1).some((o) => overlaps(e, o)));
}

/** Edits that share any character, or two insertions at one point (their order would be a guess). */
function overlaps(a: OffsetEdit, b: OffsetEdit): boolean {
  if (a.start === a.end && b.start === b.end) return a.start === b.start;
  return a.start < b.end && b.start < a.end;
}
