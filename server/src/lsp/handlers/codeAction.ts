/**
 * textDocument/codeAction: LossLint's quick fixes and its fix-all source action.
 *
 * - `quickfix`, preferred: the fix a finding carries, read from the diagnostic's `data`, offered only
 *   while the document is still at the version the fix was computed for.
 * - `quickfix`: "Disable LLxxx for this line", which appends `  # noqa: LLxxx` to the line of the
 *   finding's start, or adds the code to a `# noqa:` list already there.
 * - `source.fixAll.losslint`: every safe fix of the document in one edit, skipping fixes that overlap
 *   one already taken (they are offered again once the document is re-linted).
 */
import {
  CodeActionKind,
  type CancellationToken,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic,
  type TextEdit,
} from 'vscode-languageserver';
import type { Fix } from '../../core/types';
import type { DocumentStore, OpenDocument } from '../documents';
import type { Linter } from '../lint';
import { readDiagnosticData } from './diagnostics';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.losslint`;

export const CODE_ACTION_KINDS = [CodeActionKind.QuickFix, FIX_ALL_KIND];

/** Whether the request's `only` filter admits `kind` (kinds are hierarchical: `source` admits `source.fixAll.losslint`). */
function wanted(only: string[] | undefined, kind: string): boolean {
  return !only || only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

/** A `# noqa` comment: bare (group 1 undefined) or with a code list (group 1). */
const NOQA = /#\s*noqa(?::\s*([A-Za-z]+\d+(?:\s*,\s*[A-Za-z]+\d+|\s+[A-Za-z]+\d+)*))?/i;

/**
 * The edit that suppresses `code` on one line, or undefined when the line already suppresses it
 * (a bare `# noqa`, or a list holding the code).
 */
export function noqaEdit(lineText: string, line: number, code: string): TextEdit | undefined {
  const match = NOQA.exec(lineText);
  if (match) {
    const codes = match[1];
    if (codes === undefined) return undefined;
    if (codes.split(/[\s,]+/).some((c) => c.toUpperCase() === code)) return undefined;
    const end = match.index + match[0].length;
    return { range: { start: { line, character: end }, end: { line, character: end } }, newText: `, ${code}` };
  }
  const content = lineText.trimEnd();
  return {
    range: { start: { line, character: content.length }, end: { line, character: lineText.length } },
    newText: `${content.length > 0 ? '  ' : ''}# noqa: ${code}`,
  };
}

function quickFix(uri: string, diagnostic: Diagnostic, fix: Fix): CodeAction {
  return {
    title: fix.title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    isPreferred: true,
    edit: { changes: { [uri]: fix.edits } },
  };
}

function disableForLine(uri: string, document: OpenDocument, diagnostic: Diagnostic, code: string): CodeAction | undefined {
  const line = diagnostic.range.start.line;
  const edit = noqaEdit(document.lineText(line), line, code);
  if (!edit) return undefined;
  return {
    title: `Disable ${code} for this line`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    edit: { changes: { [uri]: [edit] } },
  };
}

interface Span {
  start: number;
  end: number;
}

/** Two edits clash when they overlap or insert at the same offset (their order would be ambiguous). */
function overlaps(a: Span, b: Span): boolean {
  return (a.start < b.end && b.start < a.end) || a.start === b.start;
}

/** Every safe fix's edits, in document order, leaving out each fix that clashes with one already taken. */
export function safeEdits(document: OpenDocument, fixes: readonly Fix[]): TextEdit[] {
  const span = (edit: TextEdit): Span => ({ start: document.offsetAt(edit.range.start), end: document.offsetAt(edit.range.end) });
  const first = (spans: Span[]) => Math.min(...spans.map((s) => s.start));
  const candidates = fixes
    .filter((fix) => fix.applicability === 'safe' && fix.edits.length > 0)
    .map((fix) => ({ fix, spans: fix.edits.map(span) }))
    .sort((a, b) => first(a.spans) - first(b.spans));
  const taken: Span[] = [];
  const edits: TextEdit[] = [];
  for (const { fix, spans } of candidates) {
    const clash = spans.some((s, i) => taken.some((t) => overlaps(s, t)) || spans.slice(0, i).some((o) => overlaps(s, o)));
    if (clash) continue;
    taken.push(...spans);
    edits.push(...fix.edits);
  }
  return edits;
}

export async function provideCodeActions(
  params: CodeActionParams,
  token: CancellationToken,
  documents: DocumentStore,
  linter: Linter,
): Promise<CodeAction[] | null> {
  const uri = params.textDocument.uri;
  const document = documents.get(uri);
  if (!document) return null;
  const only = params.context.only;
  const actions: CodeAction[] = [];

  if (wanted(only, CodeActionKind.QuickFix)) {
    const fixes: CodeAction[] = [];
    const disables = new Map<string, CodeAction>();
    for (const diagnostic of params.context.diagnostics) {
      const data = readDiagnosticData(diagnostic);
      const code = typeof diagnostic.code === 'string' ? diagnostic.code : undefined;
      if (!data || !code) continue;
      if (data.fix && data.version === document.version) fixes.push(quickFix(uri, diagnostic, data.fix));
      const key = `${code}:${diagnostic.range.start.line}`;
      const disable = disables.has(key) ? undefined : disableForLine(uri, document, diagnostic, code);
      if (disable) disables.set(key, disable);
    }
    actions.push(...fixes, ...disables.values());
  }

  if (wanted(only, FIX_ALL_KIND)) {
    const findings = await linter.findings(uri);
    if (token.isCancellationRequested) return null;
    const fixes = (findings ?? []).flatMap((f) => (f.fix ? [f.fix] : []));
    const edits = safeEdits(document, fixes);
    if (edits.length > 0) {
      actions.push({ title: 'Fix all safe LossLint problems', kind: FIX_ALL_KIND, edit: { changes: { [uri]: edits } } });
    }
  }
  return actions;
}
