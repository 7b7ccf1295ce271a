/**
 * What of a file could not be read as Python, for a notice beside the findings (the CLI prints it;
 * it is never a finding). Two sources:
 *
 * - tree-sitter's own error recovery: an `ERROR` node (text it could not fit the grammar) or a
 *   `MISSING` one (a token it had to assume). The grammar may also lag the newest Python syntax, so
 *   the message says "could not parse", not that the code is wrong.
 * - Indentation that Python's tokenizer refuses but tree-sitter's scanner accepts: a dedent to a
 *   column no enclosing block uses (`IndentationError: unindent does not match any outer indentation
 *   level`) leaves the statements after it inside an outer block in tree-sitter's tree, so they would
 *   be analysed as part of the wrong function. Python compares indentation twice, with tabs as 8
 *   columns and as 1 (`TabError` when the two disagree); every statement of one block that starts its
 *   own line must measure the same both ways.
 *
 * Reading the tree costs nothing when it has no error (`hasError` covers the subtree) apart from one
 * walk of a tree cursor over the statements and the clauses of compound statements (never into an
 * expression): no node objects, which the Node binding makes through several native calls each and
 * registers with finalizers (`descendantsOfType('block')` and `nextNamedSibling` cost more here than
 * the whole IR of most files).
 */
import type Parser from 'tree-sitter';
import type { ParsedDocument, SyntaxNode } from './document';

export interface ParseProblem {
  /** 0-based. */
  line: number;
  /** 0-based, in UTF-16 code units of the line. */
  character: number;
  /** Offset in the text of the node concerned. */
  offset: number;
  message: string;
}

/** Indentation of a line as Python measures it: tabs to multiples of 8, and tabs as 1 column. */
interface Indent {
  tab8: number;
  tab1: number;
}

/** The indentation before `offset` when only whitespace precedes it on its line; else undefined. */
function indentBefore(text: string, offset: number): Indent | undefined {
  let start = offset;
  while (start > 0) {
    const c = text.charCodeAt(start - 1);
    if (c === 10 || c === 13) break;
    if (c !== 32 && c !== 9 && c !== 12) return undefined;
    start--;
  }
  // A backslash continuation joins this line to the one before: not the start of a logical line.
  if (start >= 2 && text.charCodeAt(start - 1) === 10 && text.charCodeAt(start - 2) === 92) return undefined;
  if (start >= 2 && text.charCodeAt(start - 1) === 13 && text.charCodeAt(start - 2) === 92) return undefined;
  if (start >= 3 && text.charCodeAt(start - 1) === 10 && text.charCodeAt(start - 2) === 13 && text.charCodeAt(start - 3) === 92) return undefined;
  let tab8 = 0;
  let tab1 = 0;
  for (let i = start; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 9) {
      tab8 = tab8 - (tab8 % 8) + 8;
      tab1++;
    } else if (c === 12) {
      // A form feed resets the column, as Python's tokenizer does.
      tab8 = 0;
      tab1 = 0;
    } else {
      tab8++;
      tab1++;
    }
  }
  return { tab8, tab1 };
}

/** The indentation of the statement whose last token comes before `offset` (comments skipped). */
function previousStatementIndent(root: SyntaxNode, text: string, offset: number): Indent | undefined {
  let i = offset - 1;
  for (;;) {
    while (i >= 0 && /\s/.test(text[i])) i--;
    if (i < 0) return undefined;
    let node = root.descendantForIndex(i);
    if (node.type === 'comment') {
      i = node.startIndex - 1;
      continue;
    }
    while (node.parent && node.parent.type !== 'block' && node.parent.type !== 'module') node = node.parent;
    return indentBefore(text, node.startIndex);
  }
}

/**
 * Node kinds whose children may hold a `block` (tree-sitter-python's node-types.json: the compound
 * statements and their clauses). Any other statement, and every expression, holds none.
 */
const HOLDS_BLOCK: ReadonlySet<string> = new Set([
  'decorated_definition',
  'class_definition',
  'function_definition',
  'if_statement',
  'elif_clause',
  'else_clause',
  'for_statement',
  'while_statement',
  'try_statement',
  'except_clause',
  'except_group_clause',
  'finally_clause',
  'with_statement',
  'match_statement',
  'case_clause',
]);

/** Per grammar symbol of the language last read: its name and whether it is named (filled on first sight). */
let kindNames: string[] = [];
let kindNamed: boolean[] = [];
let kindsLanguage: unknown;

/** The cursor's node kind; `ERROR` (symbol 65535, kept out of the arrays so that they stay small) directly. */
function kindOf(c: Parser.TreeCursor): string {
  const id = c.nodeTypeId;
  if (id === 0xffff) return 'ERROR';
  let name = kindNames[id];
  if (name === undefined) {
    name = kindNames[id] = c.nodeType;
    kindNamed[id] = c.nodeIsNamed;
  }
  return name;
}

/**
 * The first statement of the block (or module) under the cursor whose indentation differs from the
 * block's first line-starting one (`required`: the module's, column 0). The cursor is left where it was.
 */
function blockIndentationProblem(c: Parser.TreeCursor, root: SyntaxNode, text: string, required?: Indent): ParseProblem | undefined {
  if (!c.gotoFirstChild()) return undefined;
  let first: Indent | undefined = required;
  try {
    do {
      const type = kindOf(c);
      if (type === 'ERROR' || type === 'comment' || !kindNamed[c.nodeTypeId]) continue;
      const offset = c.startIndex;
      const indent = indentBefore(text, offset);
      if (!indent) continue;
      if (!first) {
        first = indent;
        continue;
      }
      if (indent.tab8 === first.tab8 && indent.tab1 === first.tab1) continue;
      const at = { line: c.startPosition.row, character: 0, offset };
      if ((indent.tab8 === first.tab8) !== (indent.tab1 === first.tab1)) {
        return { ...at, message: 'inconsistent use of tabs and spaces in indentation (Python raises TabError here)' };
      }
      // Python compares with the logical line before: deeper is an unexpected indent, shallower a
      // dedent to a level no enclosing block has.
      const before = previousStatementIndent(root, text, offset) ?? first;
      return indent.tab8 > before.tab8
        ? { ...at, message: 'unexpected indent (Python raises IndentationError here)' }
        : { ...at, message: 'unindent does not match any outer indentation level (Python raises IndentationError here)' };
    } while (c.gotoNextSibling());
  } finally {
    c.gotoParent();
  }
  return undefined;
}

/**
 * The first indentation problem of the blocks inside the children of the node under the cursor, in
 * the order of the blocks' starts (each block's own statements before the blocks nested in them, as
 * Python reports the first). The cursor is left where it was.
 */
function nestedIndentationProblem(c: Parser.TreeCursor, root: SyntaxNode, text: string): ParseProblem | undefined {
  if (!c.gotoFirstChild()) return undefined;
  try {
    do {
      const type = kindOf(c);
      let found: ParseProblem | undefined;
      if (type === 'block') found = blockIndentationProblem(c, root, text) ?? nestedIndentationProblem(c, root, text);
      else if (HOLDS_BLOCK.has(type)) found = nestedIndentationProblem(c, root, text);
      if (found) return found;
    } while (c.gotoNextSibling());
  } finally {
    c.gotoParent();
  }
  return undefined;
}

/** The first indentation Python refuses in the module whose root is `root`, blocks in text order. */
function indentationProblem(root: SyntaxNode, text: string): ParseProblem | undefined {
  const language = (root.tree as unknown as { language?: unknown }).language;
  if (language !== kindsLanguage) {
    kindsLanguage = language;
    kindNames = [];
    kindNamed = [];
  }
  const c = root.walk();
  return blockIndentationProblem(c, root, text, { tab8: 0, tab1: 0 }) ?? nestedIndentationProblem(c, root, text);
}

function lineStartOf(text: string, offset: number): number {
  let start = offset;
  while (start > 0 && text.charCodeAt(start - 1) !== 10 && text.charCodeAt(start - 1) !== 13) start--;
  return start;
}

/** The first node tree-sitter could not read: an ERROR node or a MISSING token, in text order. */
function firstErrorNode(root: SyntaxNode): SyntaxNode | undefined {
  let node: SyntaxNode | null = root;
  // Descend into the first child that holds the error; an ERROR or MISSING node is the answer.
  while (node) {
    if (node.type === 'ERROR' || node.isMissing) return node;
    let next: SyntaxNode | null = null;
    for (let child: SyntaxNode | null = node.firstChild; child; child = child.nextSibling) {
      if (child.type === 'ERROR' || child.isMissing || child.hasError) {
        next = child;
        break;
      }
    }
    if (!next) return node === root ? undefined : node;
    node = next;
  }
  return undefined;
}

/**
 * The first problem that makes (part of) a file unreadable as Python: what tree-sitter could not
 * parse, else the first indentation Python refuses. At most one, as Python reports one.
 */
export function parseProblems(root: SyntaxNode, text: string): ParseProblem[] {
  const problems: ParseProblem[] = [];
  if (root.hasError) {
    const node = firstErrorNode(root);
    if (node) {
      const at = { line: node.startPosition.row, character: node.startIndex - lineStartOf(text, node.startIndex), offset: node.startIndex };
      problems.push(
        node.isMissing
          ? { ...at, message: `could not parse: \`${node.type}\` expected here; the statement was not analysed` }
          : { ...at, message: 'could not parse this statement (a syntax error, or syntax this version of LossLint does not read); it was not analysed' },
      );
    }
  }
  // Past an error, tree-sitter's recovery places statements where it can: their indentation says
  // nothing more (Python stops at the first error too).
  if (problems.length > 0) return problems;
  const indentation = indentationProblem(root, text);
  if (indentation) problems.push(indentation);
  return problems.sort((a, b) => a.line - b.line || a.character - b.character);
}

/**
 * The parts of the text that are not Python as tree-sitter or Python's tokenizer reads it
 * (above), handed to the rule-error channel under the code `parse` (it crosses the worker
 * pool as rule errors do); `runCheck` prints them as one warning per file, never as a finding.
 */
export function reportParseProblems(doc: ParsedDocument, onRuleError?: (code: string, error: unknown) => void): void {
  if (!onRuleError) return;
  const problems = parseProblems(doc.tree.rootNode, doc.text);
  if (problems.length === 0) return;
  onRuleError(PARSE_PROBLEM, new Error(problems.map((p) => `${p.line + 1}:${p.character + 1}: ${p.message}`).join('; ')));
}

/** The rule-error code under which a file's parse problems travel (`reportParseProblems`). */
export const PARSE_PROBLEM = 'parse';
