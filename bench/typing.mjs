// The keystrokes the editor benches replay (bench/lsp-latency.mjs, bench/incremental.mjs): typing
// three statements, one character per change, on a new line inside the `softmax_focal_*` function
// in the middle of a generated loss file.
//
// With `autoClose`, brackets behave as in VS Code's default (`editor.autoClosingBrackets`): typing
// `(` inserts `()` with the cursor between them, and typing `)` before an auto-inserted `)` types over
// it (sent as a one-character replacement). Without it every bracket stays open until typed, which
// leaves the rest of the file inside an unclosed `(` for a few keystrokes: the worst case for any
// incremental parser and analyzer.
//
// With `enter`, each statement is typed on a line of its own, as in an editor: Enter at the end of the
// line above (one change inserting the line break and the indentation, as VS Code's auto-indent
// does), then the statement's characters. Without it the snippet is typed at column 0 of an existing
// line, in front of its code (`total = max(1, targets.)    pt = torch.exp(-ce)` for one keystroke):
// tree-sitter then sometimes turns the whole module into one ERROR node, the worst case measured.

export const SNIPPET = '    modulating = (1 - pt) ** gamma\n    weighted = alpha * modulating * ce\n    total = weighted.sum() / max(1, targets.numel())\n';

const PAIRS = { '(': ')', '[': ']', '{': '}' };

/** The line to type on (0-based): after `ce = F.cross_entropy(...)` in the middle softmax focal function. */
export function typingLine(text) {
  const lines = text.split('\n');
  let at = lines.findIndex((l, i) => i > lines.length / 2 && /^def softmax_focal_/.test(l));
  if (at < 0) at = Math.floor(lines.length / 2);
  return at + 3;
}

/**
 * `count` LSP content changes that type SNIPPET (repeatedly) at `line`, column 0. The caller first
 * inserts nothing: the snippet's own newlines make the room.
 */
export function typingEdits(text, count, { autoClose = false, enter = false } = {}) {
  if (enter) return typingOnNewLines(text, count, { autoClose });
  const out = [];
  let l = typingLine(text);
  let c = 0;
  let pending = []; // auto-inserted closers to the right of the cursor, innermost last
  const at = (line, ch) => ({ line, character: ch });
  for (let i = 0; out.length < count; i = (i + 1) % SNIPPET.length) {
    const ch = SNIPPET[i];
    if (autoClose && pending.length && pending[pending.length - 1] === ch) {
      out.push({ range: { start: at(l, c), end: at(l, c + 1) }, text: ch });
      pending.pop();
      c++;
      continue;
    }
    if (ch === '\n') {
      // Enter after the closers were typed over: the line is complete.
      out.push({ range: { start: at(l, c), end: at(l, c) }, text: ch });
      l++;
      c = 0;
      pending = [];
      continue;
    }
    if (autoClose && PAIRS[ch]) {
      out.push({ range: { start: at(l, c), end: at(l, c) }, text: ch + PAIRS[ch] });
      pending.push(PAIRS[ch]);
    } else {
      out.push({ range: { start: at(l, c), end: at(l, c) }, text: ch });
    }
    c++;
  }
  return out;
}

/** `typingEdits` with `enter`: Enter (line break plus indentation) opens each statement's line. */
function typingOnNewLines(text, count, { autoClose }) {
  const out = [];
  const indent = '    ';
  const statements = SNIPPET.split('\n').filter(Boolean).map((s) => s.slice(indent.length));
  let l = typingLine(text) - 1;
  let c = text.split('\n')[l].length;
  const at = (line, ch) => ({ line, character: ch });
  for (let k = 0; out.length < count; k = (k + 1) % statements.length) {
    out.push({ range: { start: at(l, c), end: at(l, c) }, text: `\n${indent}` });
    l++;
    c = indent.length;
    const pending = [];
    for (const ch of statements[k]) {
      if (out.length >= count) break;
      if (autoClose && pending.length && pending[pending.length - 1] === ch) {
        out.push({ range: { start: at(l, c), end: at(l, c + 1) }, text: ch });
        pending.pop();
      } else if (autoClose && PAIRS[ch]) {
        out.push({ range: { start: at(l, c), end: at(l, c) }, text: ch + PAIRS[ch] });
        pending.push(PAIRS[ch]);
      } else {
        out.push({ range: { start: at(l, c), end: at(l, c) }, text: ch });
      }
      c++;
    }
  }
  return out.slice(0, count);
}
