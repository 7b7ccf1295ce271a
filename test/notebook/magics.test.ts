/**
 * IPython syntax masking (server/src/notebook/magics.ts): what is masked, what is left alone, and
 * that every position survives (same length, same line breaks) so findings keep their columns.
 */
import { describe, expect, it } from 'vitest';
import { maskMagics, type MaskResult } from '../../server/src/notebook/magics';
import { ParsedDocument } from '../../server/src/core/document';

/** `text` padded with spaces to the length of `like`. */
function pad(text: string, like: string): string {
  return text.padEnd(like.length);
}

function masked(source: string): string {
  const r = maskMagics(source);
  if (!r.ok) throw new Error(`skipped: ${r.reason}`);
  expect(r.text.length).toBe(source.length);
  expect(r.text.replace(/[^\r\n]/g, '')).toBe(source.replace(/[^\r\n]/g, ''));
  return r.text;
}

/** Whether a text parses as Python without an error node. */
function parses(text: string): boolean {
  return !ParsedDocument.parse(text).tree.rootNode.hasError;
}

describe('maskMagics', () => {
  it('masks line magics, shell escapes and help, keeping every other character in place', () => {
    const source = ['%matplotlib inline', '!pip install -q torch', 'import torch', '?torch.exp', 'torch.exp??', 'x = 1  # %not a magic', ''].join('\n');
    const text = masked(source);
    expect(text.split('\n')).toEqual(['0                 ', '0                    ', 'import torch', '0         ', '0          ', 'x = 1  # %not a magic', '']);
    expect(parses(text)).toBe(true);
  });

  it('keeps an indented magic a statement of its block (`0`), so the block still parses', () => {
    const text = masked('for i in range(3):\n    %time f(i)\n    !echo $i\n');
    expect(text).toBe('for i in range(3):\n    0         \n    0       \n');
    expect(parses(text)).toBe(true);
  });

  it('masks the value of an assigned shell escape or magic, not the target', () => {
    const text = masked('files = !ls *.ipynb\na, b = %timeit -o f()\nc = 1 != 2\n');
    expect(text.split('\n')).toEqual(['files = ' + pad('0', '!ls *.ipynb'), 'a, b = ' + pad('0', '%timeit -o f()'), 'c = 1 != 2', '']);
    expect(parses(text)).toBe(true);
  });

  it('masks a magic with its backslash continuation lines', () => {
    const text = masked('!pip install \\\n    torch\nimport torch\n');
    expect(text).toBe(`${pad('0', '!pip install \\')}\n${pad('', '    torch')}\nimport torch\n`);
    expect(parses(text)).toBe(true);
  });

  it('masks the first line of a Python cell magic and keeps its body', () => {
    const text = masked('%%time\nloss = f(x)\n');
    expect(text).toBe('0     \nloss = f(x)\n');
  });

  it('leaves alone what only looks like a magic inside strings, brackets and comments', () => {
    const source = ['s = """', '%not a magic', '!nor this', '"""', 'y = f(', '    !x,', ')', 'z = "?"', '# !comment', ''].join('\n');
    expect(masked(source)).toBe(source);
  });

  it('skips cells that run another language, and cells starting with an automagic command', () => {
    const reason = (r: MaskResult) => (r.ok ? undefined : r.reason);
    expect(reason(maskMagics('%%bash\necho (1 - pt) ** 0.5\n'))).toMatch(/cell magic `%%bash`/);
    expect(reason(maskMagics('x = 1\n%%writefile a.py\nimport os\n'))).toMatch(/%%writefile/);
    expect(reason(maskMagics('pip install torch\n'))).toMatch(/IPython command `pip`/);
    // A name that is also an automagic, used as Python, is Python.
    expect(maskMagics('time = 3\n').ok).toBe(true);
    expect(maskMagics('time.sleep(1)\n').ok).toBe(true);
  });

  it('returns the masked spans, which fixes must not touch', () => {
    const r = maskMagics('import torch\n%load_ext autoreload\nx = !ls\n');
    expect(r.ok && r.masked).toEqual([
      [13, 33],
      [38, 41],
    ]);
  });
});
