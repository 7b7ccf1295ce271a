/**
 * textDocument/hover: on a position inside a LossLint finding, shows the rule's code and name, the
 * explanation of this very finding (the math behind it), any numeric evidence, and a link to the
 * rule's documentation page. On the signature line of a function the numeric checks probed, it
 * also shows the probe table and the loss curve against the reference focal loss (../plot.ts).
 */
import { MarkupKind, type CancellationToken, type Hover, type HoverParams, type Position } from 'vscode-languageserver';
import type { Finding, Range } from '../../core/types';
import type { Linter } from '../lint';
import type { NumericChecker } from '../numeric';
import { curveMarkdown, probeTable } from '../plot';
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

export async function provideHover(
  params: HoverParams,
  token: CancellationToken,
  linter: Linter,
  numeric?: NumericChecker,
  /** Findings reported in the document because of values written there (lsp/project.ts), config files included. */
  extra?: (uri: string) => Finding[],
): Promise<Hover | null> {
  const uri = params.textDocument.uri;
  // Once the probes ran on this version, their merged findings (with the probe evidence) are shown.
  const current = numeric?.result(uri);
  const own = current?.findings ?? (await linter.findings(uri));
  const more = extra?.(uri) ?? [];
  if ((!own && !more.length) || token.isCancellationRequested) return null;
  const findings = [...(own ?? []), ...more];
  const hits = findings.filter((f) => contains(f.range, params.position));
  // The numeric report of the function whose signature line is under the cursor.
  const report = current?.reports.find((r) => r.range.start.line === params.position.line);
  if (hits.length === 0 && !report) return null;
  const sections = hits.map(hoverMarkdown);
  if (report) sections.push(`${probeTable(report)}\n\n${report.notChecked ? '' : curveMarkdown(current?.curves.get(report.function))}`.trim());
  // The innermost finding decides the highlighted range; every finding under the cursor is shown.
  const innermost = hits.length ? hits.reduce((a, b) => (before(a.range.start, b.range.start) ? b : a)) : undefined;
  return {
    contents: { kind: MarkupKind.Markdown, value: sections.join('\n\n---\n\n') },
    range: innermost?.range ?? report?.range,
  };
}
