/**
 * Reads one Python source file for checking, turning every way it can be unusable (unreadable,
 * too large, binary, not decodable) into a one-line reason instead of an exception.
 *
 * Files are UTF-8, as Python reads them, unless a PEP 263 coding declaration on the first two
 * lines names another encoding (`# -*- coding: latin-1 -*-`), which is then honoured.
 */
import * as fs from 'node:fs';
import { TextDecoder } from 'node:util';
import { MAX_SOURCE_CHARS } from '../core/document';
import type { NotebookSource } from './notebook';

export type Source =
  | {
      kind: 'text';
      text: string;
      /** The file started with a UTF-8 byte order mark, which `text` omits. */
      bom: boolean;
      /** The encoding the text was decoded from, when not UTF-8 (fixes are not written back then). */
      encoding?: string;
      /** A Jupyter notebook: `text` is the module of its code cells (./notebook.ts). */
      notebook?: NotebookSource;
    }
  /** A file that is deliberately not checked; a notice, not an error. */
  | { kind: 'skipped'; reason: string }
  /** A file that should have been checked but could not be; the run fails with exit code 2. */
  | { kind: 'error'; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a file, skipping it when larger than `maxBytes` (and always past the core's limit).
 *
 * The reads are synchronous: source files are small and the CLI's main thread has nothing else to do
 * meanwhile, and a promise-based open/stat/read/close costs four trips through libuv's thread pool per
 * file (~0.2 ms each, ~0.35 s of a stdlib scan's 2.5 s, measured with --cpu-prof).
 */
export async function readSource(file: string, maxBytes: number): Promise<Source> {
  return readSourceSync(file, maxBytes);
}

export function readSourceSync(file: string, maxBytes: number): Source {
  let bytes: Buffer;
  try {
    // O_NONBLOCK: opening a FIFO (or another special file) named *.py must not wait for a writer
    // forever; the stat below then refuses it as not a regular file. No effect on regular files.
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    try {
      const stats = fs.fstatSync(fd);
      if (!stats.isFile()) return { kind: 'error', reason: 'not a regular file' };
      if (stats.size > maxBytes) return tooLarge(stats.size, maxBytes);
      bytes = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    return { kind: 'error', reason: `cannot read: ${describeIoError(error)}` };
  }
  // The file may have grown between stat and read.
  if (bytes.length > maxBytes) return tooLarge(bytes.length, maxBytes);
  return decodeSource(bytes);
}

/** Decodes a file's bytes as Python would; exported for tests and for callers holding bytes. */
export function decodeSource(bytes: Uint8Array): Source {
  if (bytes.includes(0)) return { kind: 'skipped', reason: 'binary file (contains NUL bytes)' };
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  let text: string;
  let encoding: string | undefined;
  const declared = bom ? undefined : codingDeclaration(bytes);
  try {
    const family = declared ? pythonCodecFamily(declared) : undefined;
    if (declared && family === 'latin-1') {
      // Python's latin-1 maps each byte to the code point of its value (the WHATWG label is cp1252).
      text = Buffer.from(bytes).toString('latin1');
      encoding = declared;
    } else if (declared && family === 'ascii') {
      if (bytes.some((b) => b > 0x7f)) throw new TypeError('not ascii');
      text = Buffer.from(bytes).toString('latin1');
      encoding = declared;
    } else if (declared && family !== 'utf-8') {
      text = decoderFor(declared).decode(bytes);
      encoding = declared;
    } else {
      text = utf8.decode(bytes);
    }
  } catch (error) {
    if (error instanceof RangeError && declared) {
      return { kind: 'error', reason: `unknown encoding "${declared}" in the coding declaration` };
    }
    return { kind: 'error', reason: `not valid ${declared ?? 'UTF-8'} text` };
  }
  if (text.length > MAX_SOURCE_CHARS) {
    return { kind: 'skipped', reason: `${text.length.toLocaleString('en-US')} characters exceed the limit of ${MAX_SOURCE_CHARS.toLocaleString('en-US')}` };
  }
  return encoding ? { kind: 'text', text, bom, encoding } : { kind: 'text', text, bom };
}

/**
 * Python's codec registry normalises a name (lower case, every run of other characters than letters,
 * digits and dots one underscore) and reads its alias table (`encodings.aliases`): these are the
 * names of the three codecs Python source is nearly always in. `# coding: utf - 8` names "utf", an
 * alias of UTF-8.
 */
const PYTHON_CODECS: Record<string, 'utf-8' | 'latin-1' | 'ascii'> = Object.fromEntries([
  ...['utf_8', 'utf8', 'u8', 'utf', 'utf8_ucs2', 'utf8_ucs4', 'cp65001', 'utf_8_sig', 'utf8_sig'].map((n) => [n, 'utf-8'] as const),
  ...['latin_1', 'latin1', 'latin', 'l1', 'iso8859_1', 'iso_8859_1', 'iso_8859_1_1987', 'iso_ir_100', 'cp819', 'ibm819', 'csisolatin1', '8859', 'iso8859', 'iso_latin_1'].map((n) => [n, 'latin-1'] as const),
  ...['ascii', '646', 'us_ascii', 'us', 'ansi_x3.4_1968', 'ansi_x3_4_1968', 'ansi_x3.4_1986', 'cp367', 'csascii', 'ibm367', 'iso646_us', 'iso_646.irv_1991', 'iso_ir_6'].map((n) => [n, 'ascii'] as const),
]);

/** The codec a declared name is, for UTF-8, latin-1 and ASCII (Python's normalisation and aliases). */
export function pythonCodecFamily(name: string): 'utf-8' | 'latin-1' | 'ascii' | undefined {
  const norm = name.toLowerCase().replace(/[^a-z0-9.]+/g, '_').replace(/^_+|_+$/g, '');
  // The tokenizer's own shortcut: "utf-8-..." is UTF-8, "latin-1-..." / "iso-8859-1-..." latin-1.
  if (/^utf_8_/.test(norm)) return 'utf-8';
  if (/^(latin_1|iso_8859_1|iso_latin_1)_/.test(norm)) return 'latin-1';
  return PYTHON_CODECS[norm];
}

/** A strict decoder for a Python codec name ("latin-1", "iso8859_15", "cp1252"). */
function decoderFor(name: string): TextDecoder {
  const lower = name.toLowerCase();
  const candidates = [lower, lower.replace(/_/g, '-'), lower.replace(/[-_]/g, '')];
  for (const label of candidates) {
    try {
      return new TextDecoder(label, { fatal: true });
    } catch {
      // Try the next spelling; the last failure is reported as an unknown encoding.
    }
  }
  throw new RangeError(`unknown encoding ${name}`);
}

/** The encoding named by a PEP 263 declaration on line 1 or 2, if any. */
function codingDeclaration(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 400)).toString('latin1').split(/\r\n|\r|\n/, 2);
  for (const line of head) {
    const match = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/.exec(line);
    if (match) return match[1];
    // The declaration may only follow a comment or blank line.
    if (!/^[ \t\f]*(#.*)?$/.test(line)) break;
  }
  return undefined;
}

/** Writes fixed text back, restoring the byte order mark the file had. */
export async function writeSource(file: string, text: string, bom: boolean): Promise<void> {
  await fs.promises.writeFile(file, bom ? `\uFEFF${text}` : text, 'utf8');
}

function tooLarge(size: number, limit: number): Source {
  return { kind: 'skipped', reason: `${formatBytes(size)} exceeds the ${formatBytes(limit)} limit (max-file-size)` };
}

/** "52 MB", "3.1 MB", "400 kB", "12 bytes": decimal units, one decimal below 10. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} byte${n === 1 ? '' : 's'}`;
  const [value, unit] = n < 1_000_000 ? [n / 1000, 'kB'] : [n / 1_000_000, 'MB'];
  return `${value >= 10 || Number.isInteger(value) ? Math.round(value) : value.toFixed(1)} ${unit}`;
}

/** Node's error text without the code prefix and the path ("permission denied"). */
export function describeIoError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const match = /^[A-Z]+: ([^,]+)/.exec(e?.message ?? '');
  return match ? match[1] : String(e?.message ?? error);
}
