/**
 * The prefilter's scan handed from the CLI's main thread to a worker (cli/check.ts, check-worker.ts):
 * `knownCodeText` gives what `sureCodeText` last read of a text, `rememberCodeText` makes another
 * thread's `sureCodeText` answer it without scanning again.
 */
import { describe, expect, it } from 'vitest';
import { codeText, knownCodeText, mayHaveFindings, rememberCodeText, sureCodeText } from '../../server/src/core/prefilter';

const LOSS = 'import torch\n# a comment: softmax\ndef f(x):\n    """doc"""\n    return torch.sigmoid(x)\n';

describe('the prefilter scan handed to a worker', () => {
  it('knownCodeText gives the scan mayHaveFindings read, for that text only', () => {
    expect(mayHaveFindings(LOSS)).toBe(true);
    expect(knownCodeText(LOSS)).toEqual({ code: codeText(LOSS) });
    expect(knownCodeText(LOSS)?.code).not.toContain('comment');
    expect(knownCodeText(`${LOSS}\n`)).toBeUndefined();
  });

  it('keeps an unsure scan as such', () => {
    const open = 'import torch\nx = torch.sigmoid("unterminated\n';
    expect(sureCodeText(open)).toBeUndefined();
    expect(knownCodeText(open)).toEqual({ code: undefined });
  });

  it('rememberCodeText makes sureCodeText answer what it was given', () => {
    const text = `${LOSS}y = 1\n`;
    const code = codeText(text);
    sureCodeText('something else');
    rememberCodeText(text, code);
    expect(sureCodeText(text)).toBe(code);
    rememberCodeText(text, undefined);
    expect(sureCodeText(text)).toBeUndefined();
    expect(codeText(text)).toBe(text);
  });
});
