import { describe, expect, it } from 'vitest';
import { identifiers } from '../../server/src/analysis/incremental';

/** The words identifiers() must find: the maximal runs of this pattern. */
const IDENT = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*/g;

describe('identifiers', () => {
  it('finds the maximal runs of an identifier start then identifier characters, as the regular expression does', () => {
    const alphabet = ['a', 'Z', '_', '0', '9', ' ', '.', '(', '\n', '#', 'é', 'λ', '\u{1F600}', '1e', 'x1', '"'];
    let seed = 7;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let k = 0; k < 2000; k++) {
      let t = '';
      for (let i = rand(40); i > 0; i--) t += alphabet[rand(alphabet.length)];
      expect([...identifiers(t)], JSON.stringify(t)).toEqual([...new Set(t.match(IDENT) ?? [])]);
    }
    expect([...identifiers('p = x.sigmoid() / 2e3 + a1_b')]).toEqual(['p', 'x', 'sigmoid', 'e3', 'a1_b']);
  });
});
