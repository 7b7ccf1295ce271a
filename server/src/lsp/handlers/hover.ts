/**
 * textDocument/hover: on a position inside a LossLint finding, shows the rule's code and name, the
 * explanation of this very finding (the math behind it), any numeric evidence, and a link to the
 * rule's documentation page.
 */
import { MarkupKind, type CancellationToken, type Hover, type HoverParams, type Position } from 'vscode-languageserver';
import type { Finding, Range } from '../../core/types';
import type { Linter } from '../lint';
import { docsUri, ruleName } from './diagnostics';

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** Whether `position` is on a character of `range` (or on its start, for an empty range). */
function contains(range: Range, position: Position): boolean {
  if (before(position, range.start)) return false;
  return before(position, range.end) || (range.start.line === range.end.line && range.start.character === range.end.character);
}

/** The Markdown section for one finding. */
export function hoverMarkdown(finding: Finding): string {
  const parts = [`**${finding.code}** \`${ruleName(finding)}\`: ${finding.message}`, finding.explanation];
  if (finding.evidence) parts.push(finding.evidence);
  parts.push(`[${finding.code} documentation](${docsUri(finding.code)})`);
  return parts.filter((p) => p.trim() !== '').join('\n\n');
}

export async function provideHover(params: HoverParams, token: CancellationToken, linter: Linter): Promise<Hover | null> {
  const findings = await linter.findings(params.textDocument.uri);
  if (!findings || token.isCancellationRequested) return null;
  const hits = findings.filter((f) => contains(f.range, params.position));
  if (hits.length === 0) return null;
  // The innermost finding decides the highlighted range; every finding under the cursor is shown.
  const innermost = hits.reduce((a, b) => (before(a.range.start, b.range.start) ? b : a));
  return {
    contents: { kind: MarkupKind.Markdown, value: hits.map(hoverMarkdown).join('\n\n---\n\n') },
    range: innermost.range,
  };
}
