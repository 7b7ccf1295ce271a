/**
 * Types shared by the core, the rules, the CLI and the language server.
 *
 * Positions are 0-based lines and UTF-16 code-unit columns, exactly as LSP and tree-sitter's
 * Node binding report them; the CLI adds 1 when it prints. Nothing here imports LSP types.
 */

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface TextEdit {
  range: Range;
  newText: string;
}

/** A rewrite that a rule offers. `safe` fixes are the ones `source.fixAll.losslint` applies. */
export interface Fix {
  title: string;
  edits: TextEdit[];
  applicability: 'safe' | 'unsafe';
}

/** One reported problem. Everything a quick fix needs travels in it (ruff's diagnostic `data`). */
export interface Finding {
  code: string;
  name: string;
  severity: Severity;
  message: string;
  range: Range;
  /** Markdown shown on hover: the math of this very finding, in a few lines. */
  explanation: string;
  fix?: Fix;
  /** Extra evidence appended by the numeric checker when a probe confirms the finding. */
  evidence?: string;
  /**
   * Other places the finding is about (project/check.ts): for a loss checked with a value from another
   * file, where that value is written; for a finding reported where the value is written, the loss.
   * LSP `relatedInformation`, SARIF `relatedLocations`, an indented line in the CLI's text.
   */
  related?: RelatedLocation[];
}

export interface RelatedLocation {
  /** Absolute path of the file. */
  path: string;
  range: Range;
  message: string;
}

export interface LintSettings {
  /** Rule codes or prefixes to enable; empty means every rule enabled by default. */
  select: string[];
  /** Rule codes or prefixes to disable. */
  ignore: string[];
  /** Per-code severity overrides; `off` disables the rule. */
  severity: Record<string, Severity | 'off'>;
  /** Report findings whose evidence is incomplete (for example a gamma whose value is unknown). */
  strict: boolean;
}

export const DEFAULT_SETTINGS: LintSettings = { select: [], ignore: [], severity: {}, strict: false };
