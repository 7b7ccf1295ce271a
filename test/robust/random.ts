/**
 * Seeded randomness and text mutations for the robustness sweep: every document the sweep builds
 * is a pure function of (seed, index), so a failure is reproduced from the two numbers it prints.
 */

/** mulberry32: a small, fast, seedable 32-bit generator (the numeric probes' own, server/src/numeric/gen.ts). */
export { mulberry32 as rng } from '../../server/src/numeric/gen';

export type Rand = () => number;

export const int = (r: Rand, n: number): number => Math.floor(r() * n);
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

/** Python-ish fragments that make mutants look like (broken) code rather than noise. */
const TOKENS = [
  'def ', 'class ', 'lambda', ':', '(', ')', '[', ']', '{', '}', ',', '.', '=', '==', '**', '*', '-', '+', '/', '//',
  '@', '->', 'return ', 'yield ', 'if ', 'else', 'elif ', 'for ', 'in ', 'while ', 'with ', 'as ', 'import ', 'from ',
  'try:', 'except ', 'finally:', 'async ', 'await ', 'global ', 'nonlocal ', 'pass', 'self', 'torch', 'F.', 'gamma',
  'alpha', 'pt', 'ce', '(1 - pt)', '.clamp(min=1e-6)', 'torch.exp(-ce)', 'F.cross_entropy(', 'reduction="none"',
  '"', "'", '"""', "'''", 'f"{', '}"', '#', '\\', '\n', '\r\n', '\r', '\t', '    ', ' ', '0.5', '1e-308', '0x', '0b1',
  '1_000', '...', 'None', 'True', '\u00e9', '\u4e2d', '\ud83d\ude00', '\ud800', '\udfff', '\u0000', '\u200b', '\ufeff',
];

/** Random code units: ASCII, controls (NUL included), lone surrogates, BMP and astral characters. */
export function randomUnits(r: Rand, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.5) s += String.fromCharCode(32 + int(r, 95));
    else if (k < 0.65) s += String.fromCharCode(int(r, 32));
    else if (k < 0.75) s += String.fromCharCode(0xd800 + int(r, 0x800));
    else if (k < 0.9) s += String.fromCharCode(0x80 + int(r, 0xd800 - 0x80));
    else s += String.fromCodePoint(0x10000 + int(r, 0xfffff));
  }
  return s;
}

/** Random bytes decoded as the CLI would never accept them: Latin-1 (every byte a character). */
export function randomBytesAsLatin1(r: Rand, n: number): string {
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i++) bytes[i] = int(r, 256);
  return bytes.toString('latin1');
}

export function tokenSoup(r: Rand, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += pick(r, TOKENS);
  return s;
}

/** A run of whole lines of `text` of about `maxChars` characters, starting at a random line. */
export function slice(r: Rand, text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let start = int(r, text.length - maxChars);
  const nl = text.lastIndexOf('\n', start);
  start = nl < 0 ? 0 : nl + 1;
  let end = text.indexOf('\n', start + maxChars);
  end = end < 0 ? text.length : end + 1;
  return text.slice(start, end);
}

type Mutation = (r: Rand, text: string) => string;

const lineBreaks = (text: string): string[] => text.split(/(?<=\n)/);

export const MUTATIONS: Record<string, Mutation> = {
  truncate: (r, t) => t.slice(0, int(r, t.length + 1)),
  insertBytes: (r, t) => {
    const at = int(r, t.length + 1);
    const n = 1 + int(r, 16);
    return t.slice(0, at) + (r() < 0.5 ? randomUnits(r, n) : randomBytesAsLatin1(r, n)) + t.slice(at);
  },
  insertTokens: (r, t) => {
    const at = int(r, t.length + 1);
    return t.slice(0, at) + tokenSoup(r, 1 + int(r, 12)) + t.slice(at);
  },
  deleteLines: (r, t) => {
    const lines = lineBreaks(t);
    const at = int(r, lines.length);
    lines.splice(at, 1 + int(r, 5));
    return lines.join('');
  },
  duplicateLines: (r, t) => {
    const lines = lineBreaks(t);
    const at = int(r, lines.length);
    const n = 1 + int(r, 5);
    lines.splice(int(r, lines.length + 1), 0, ...lines.slice(at, at + n));
    return lines.join('');
  },
  breakIndentation: (r, t) => {
    const lines = lineBreaks(t);
    const count = 1 + int(r, 8);
    for (let k = 0; k < count && lines.length > 0; k++) {
      const i = int(r, lines.length);
      const line = lines[i];
      const op = int(r, 4);
      if (op === 0) lines[i] = line.replace(/^[ \t]+/, '');
      else if (op === 1) lines[i] = ' '.repeat(1 + int(r, 7)) + line;
      else if (op === 2) lines[i] = '\t' + line;
      else lines[i] = line.replace(/^( {4})+/, (m) => '\t'.repeat(m.length / 4));
    }
    return lines.join('');
  },
  lineEndings: (r, t) => t.replace(/\n/g, () => pick(r, ['\n', '\r\n', '\r', '\n'])),
  deleteSpan: (r, t) => {
    const at = int(r, t.length + 1);
    return t.slice(0, at) + t.slice(at + int(r, 200));
  },
};

export const MUTATION_NAMES = Object.keys(MUTATIONS);

/** Applies 1 to 3 random mutations; returns the text and their names. */
export function mutate(r: Rand, text: string): { text: string; applied: string[] } {
  const applied: string[] = [];
  const n = 1 + int(r, 3);
  for (let i = 0; i < n; i++) {
    const name = pick(r, MUTATION_NAMES);
    text = MUTATIONS[name](r, text);
    applied.push(name);
  }
  return { text, applied };
}
