/**
 * IPython syntax in code cells, masked so that the cell parses as Python with every position
 * unchanged: each masked line keeps its length and its line break, so a finding's line and column
 * in the masked text are its line and column in the cell.
 *
 * What IPython reads as not Python, at the start of a logical line (not inside brackets, a string
 * or a backslash continuation, as IPython's own input transformers decide):
 *
 * - line magics and shell escapes: `%matplotlib inline`, `!pip install torch`, with their
 *   backslash continuation lines;
 * - help: `?torch.exp`, `torch.exp?`, `torch.exp??`;
 * - their assigned forms: `files = !ls`, `t = %timeit -o f()`;
 * - the first line of the cell magics whose body is Python (`%%time`, `%%timeit`, `%%capture`, ...).
 *
 * The masked statement becomes `0` (a constant expression, valid at any indentation, so that an
 * `if` whose body is a magic still parses) padded with spaces; continuation lines become spaces.
 * A cell holding another cell magic (`%%bash`, `%%writefile`) or starting with an automagic
 * command (`pip install x` without the `%`) is not Python at all and is skipped, as ruff does.
 */

/** Cell magics whose body is Python run in the notebook's namespace (ruff's list). */
const PYTHON_CELL_MAGICS = new Set(['capture', 'debug', 'ipytest', 'prun', 'pypy', 'python', 'python3', 'time', 'timeit']);

/**
 * Line magics IPython runs without the `%` when automagic is on (its default): a cell whose first
 * line starts with one of these, not followed by an assignment, is a magic, not Python.
 */
const AUTOMAGICS = new Set([
  'alias', 'alias_magic', 'autoawait', 'autocall', 'automagic', 'bookmark', 'cd', 'code_wrap', 'colors', 'conda', 'config',
  'debug', 'dhist', 'dirs', 'doctest_mode', 'edit', 'env', 'gui', 'history', 'killbgscripts', 'load', 'load_ext', 'loadpy',
  'logoff', 'logon', 'logstart', 'logstate', 'logstop', 'lsmagic', 'macro', 'magic', 'mamba', 'matplotlib', 'micromamba',
  'notebook', 'page', 'pastebin', 'pdb', 'pdef', 'pdoc', 'pfile', 'pinfo', 'pinfo2', 'pip', 'popd', 'pprint', 'precision',
  'prun', 'psearch', 'psource', 'pushd', 'pwd', 'pycat', 'pylab', 'quickref', 'recall', 'rehashx', 'reload_ext', 'rerun',
  'reset', 'reset_selective', 'run', 'save', 'sc', 'set_env', 'sx', 'system', 'tb', 'time', 'timeit', 'unalias',
  'unload_ext', 'who', 'who_ls', 'whos', 'xdel', 'xmode',
]);

const ASSIGNMENT_OPERATORS = new Set(['=', '+=', '-=', '*=', '/=', '//=', '%=', '**=', '&=', '|=', '^=']);

export interface MaskedCell {
  /** The cell's text with its IPython syntax masked; the same length, the same line breaks. */
  text: string;
  /** The masked spans, as [start, end) offsets: a fix must not write there (it would overwrite the magic). */
  masked: [number, number][];
}

export type MaskResult = ({ ok: true } & MaskedCell) | { ok: false; reason: string };

/** Masks a code cell's IPython syntax, or says why the cell is not Python. */
export function maskMagics(source: string): MaskResult {
  // Most cells have none of IPython's characters: nothing to mask, only the automagic test.
  if (!/[%!?]/.test(source)) {
    const skip = automagicSkip(source);
    return skip ? { ok: false, reason: skip } : { ok: true, text: source, masked: [] };
  }
  const lines = splitLines(source);
  const skip = automagicSkip(source) ?? cellMagicSkip(lines);
  if (skip) return { ok: false, reason: skip };
  const masked: [number, number][] = [];
  const state: ScanState = { quote: undefined, depth: 0 };
  let continued = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const startsLogical = !continued && state.quote === undefined && state.depth === 0;
    if (startsLogical) {
      const from = magicStart(line.content);
      if (from !== undefined) {
        // The magic runs to the end of its logical line: backslash continuations included.
        let last = i;
        while (last + 1 < lines.length && /\\$/.test(lines[last].content)) last++;
        masked.push([line.start + from, lines[last].start + lines[last].content.length]);
        i = last;
        continued = false;
        continue;
      }
    }
    continued = scanLine(line.content, state);
  }
  return { ok: true, text: masked.length === 0 ? source : maskSpans(source, masked), masked };
}

/** `0` at the start of each span, spaces over the rest; line breaks stay. */
function maskSpans(source: string, spans: readonly [number, number][]): string {
  let text = '';
  let at = 0;
  for (const [start, end] of spans) {
    text += source.slice(at, start) + '0' + source.slice(start + 1, end).replace(/[^\r\n]/g, ' ');
    at = end;
  }
  return text + source.slice(at);
}

interface Line {
  start: number;
  /** Without its line break. */
  content: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const re = /([^\r\n]*)(\r\n|\r|\n|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    lines.push({ start: m.index, content: m[1] });
    if (m[2] === '') break;
  }
  return lines;
}

/** Why a cell starting with an automagic command (`pip install x`, `cd data`) is not checked. */
function automagicSkip(source: string): string | undefined {
  const first = /^([\w.]+)[ \t]+(\S+)/.exec(source.trimStart());
  if (!first || !AUTOMAGICS.has(first[1]) || ASSIGNMENT_OPERATORS.has(first[2])) return undefined;
  return `the cell starts with the IPython command \`${first[1]}\``;
}

/** Why a cell holding a cell magic other than the Python ones (`%%bash`, `%%writefile`) is not checked. */
function cellMagicSkip(lines: readonly Line[]): string | undefined {
  for (const line of lines) {
    const match = /^\s*%%(\S+)/.exec(line.content);
    if (match && !PYTHON_CELL_MAGICS.has(match[1])) return `the cell runs the cell magic \`%%${match[1]}\`, not Python`;
  }
  return undefined;
}

const NAME = String.raw`[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*`;
/** `?x`, `??x`, `x?`, `x??` (with `*` wildcards, as `np.*load*?`), `%magic?`: IPython's help syntax. */
const HELP = new RegExp(String.raw`^(?:\?{1,2}%{0,2}[\w.*]+|%{0,2}[\w.*]*[\w*]\?{1,2})\s*$`);
/** `a = !ls`, `a, b = %magic`: an assignment whose value is a shell escape or a magic. */
const ASSIGNED = new RegExp(String.raw`^(?:${NAME}\s*,\s*)*${NAME}\s*=\s*(?=[!%])`);

/** Where the IPython syntax of a logical line's first physical line starts, if it has any. */
function magicStart(content: string): number | undefined {
  const indent = /^[ \t\f]*/.exec(content)![0].length;
  const code = content.slice(indent);
  if (code === '') return undefined;
  // `%x`, `%%time` (a Python cell magic: the others made the cell skipped), `!cmd`, `!!cmd`.
  if (code[0] === '%' || code[0] === '!') return indent;
  if (HELP.test(code.replace(/\s*#.*$/, ''))) return indent;
  const assigned = ASSIGNED.exec(code);
  if (assigned) return indent + assigned[0].length;
  return undefined;
}

interface ScanState {
  /** The quote of the string the line ends inside: `'''` or `"""` (a triple-quoted string spans lines). */
  quote: string | undefined;
  /** Open brackets. */
  depth: number;
}

/**
 * Follows strings, comments and brackets through one line of Python; returns whether the line
 * ends with a backslash continuation.
 */
function scanLine(line: string, state: ScanState): boolean {
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (state.quote !== undefined) {
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (line.startsWith(state.quote, i)) {
        i += state.quote.length;
        state.quote = undefined;
        continue;
      }
      i++;
      continue;
    }
    if (c === '#') return false;
    if (c === '"' || c === "'") {
      const triple = c.repeat(3);
      if (line.startsWith(triple, i)) {
        state.quote = triple;
        i += 3;
        continue;
      }
      // A one-line string: skip to its closing quote (an unclosed one ends at the line's end).
      i++;
      while (i < line.length && line[i] !== c) i += line[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') state.depth++;
    else if (c === ')' || c === ']' || c === '}') state.depth = Math.max(0, state.depth - 1);
    else if (c === '\\' && i === line.length - 1) return true;
    i++;
  }
  return false;
}
