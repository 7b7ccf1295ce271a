/**
 * core/syntax.ts: what of a file is not Python as tree-sitter or Python's tokenizer reads it. The
 * indentation cases are those Python refuses while tree-sitter's scanner builds a tree without error
 * (so the statements after them would be analysed inside the wrong block); each was checked against
 * CPython 3.11's `compile` (IndentationError / TabError, or no error).
 */
import { describe, expect, it } from 'vitest';
import { ParsedDocument } from '../../server/src/core/document';
import { parseProblems } from '../../server/src/core/syntax';
import { moduleOf } from '../../server/src/numeric/module-of';

function problems(text: string): string[] {
  const doc = ParsedDocument.parse(text);
  return parseProblems(doc.tree.rootNode, doc.text).map((p) => `${p.line + 1}:${p.character + 1}: ${p.message.split(' (')[0]}`);
}

const src = (lines: string[]) => lines.join('\n') + '\n';

describe('parseProblems', () => {
  it('finds nothing in valid Python, whatever its indentation width, tabs, one-line suites and comments', () => {
    expect(problems(src(['import torch', 'def f(x):', '  return x'])).length).toBe(0);
    expect(problems(src(['class A:', '\tdef f(self, x):', '\t\tif x: return 1', '\t\treturn 2']))).toEqual([]);
    // A comment may sit at any column; a string's lines are not statements.
    expect(problems(src(['def f(x):', '    y = x', '  # a comment', '    s = """', 'text at column 0', '"""', '    return y']))).toEqual([]);
    // A backslash continuation and a bracketed continuation start no statement.
    expect(problems(src(['def f(x):', '    y = x + \\', '  1', '    z = (x +', '        2)', '    return y; z']))).toEqual([]);
    expect(problems(src(['def f(x):', '    y = x + \\', '  1', '    return y']).replace(/\n/g, '\r\n'))).toEqual([]);
  });

  it('reports a dedent to a column no enclosing block has, which tree-sitter reads without error', () => {
    // The statements after the docstring land in the class body in tree-sitter's tree.
    const text = src(['class Loss:', '  def __init__(self):', '    self.a = 1', '  def forward(self, x):', '      """Doc."""', '    y = x * 2', '    return y']);
    expect(ParsedDocument.parse(text).tree.rootNode.hasError).toBe(false);
    expect(problems(text)).toEqual(['6:1: unindent does not match any outer indentation level']);
  });

  it('reports an unexpected indent and inconsistent tabs and spaces', () => {
    expect(problems(src(['class A:', '  x = 1', '  def f(self):', '    return 1', '    y = 2', '   z = 3']))).toEqual(['6:1: unindent does not match any outer indentation level']);
    // A tab is 8 columns or 1: eight spaces and a tab agree on the first measure only (TabError).
    expect(problems(src(['def f(x):', '        y = x', '\treturn y']))).toEqual(['3:1: inconsistent use of tabs and spaces in indentation']);
  });

  it('reports the first statement tree-sitter could not parse, at its position', () => {
    const found = problems(src(['import torch', 'def f(x:', '  return torch.log(x)']));
    expect(found.length).toBe(1);
    expect(found[0]).toMatch(/^2:\d+: could not parse/);
  });

  it('counts columns in UTF-16 code units of the line', () => {
    const found = problems(src(['s = "é"; t = (1,', 'u = ']));
    expect(found.length).toBeGreaterThan(0);
    for (const p of found) expect(p).toMatch(/^\d+:\d+: /);
  });
});

describe('the numeric checker reads no function that Python would not compile', () => {
  it('marks the functions of the top-level statement holding an indentation error, and only them', () => {
    const text = src([
      'import torch',
      'def clean(x, y):',
      '    return torch.nn.functional.cross_entropy(x, y)',
      'class Loss(torch.nn.Module):',
      '  def forward(self, x, y):',
      '      """Doc."""',
      '    return torch.nn.functional.cross_entropy(x, y)',
    ]);
    const marked = moduleOf(text).functions.filter((f) => !f.isModule).map((f) => [f.qualname, f.hasError]);
    expect(marked).toEqual([['clean', false], ['Loss.forward', true]]);
    // Fixed, nothing is marked.
    const fixed = moduleOf(text.replace('      """Doc."""', '    """Doc."""')).functions.filter((f) => !f.isModule && f.hasError);
    expect(fixed).toEqual([]);
  });
});
