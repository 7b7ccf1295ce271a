/**
 * The persistent cache of `losslint check` (as ruff's `.ruff_cache`): what a check computed of a file,
 * kept on disk under a key of everything it depends on, so that a run over an unchanged tree parses
 * nothing. The CLI (cli/check.ts, cli/project.ts) decides what is cached under which key; this file
 * is only the store, free of any front end so that the language server may read it too.
 *
 * Layout: `<dir>/CACHEDIR.TAG` and `<dir>/.gitignore` (`*`), as ruff writes them; entries under
 * `<dir>/<build>/<kind>/<k[0..2]>/<k>`, where `build` is the build's identity (the version and a hash
 * of the sources and locked dependencies, scripts/build.mjs) and `k` the SHA-256 of the key's parts.
 * An entry is `LLC1`, the SHA-256 of its payload, then the payload: V8's serialization (the structured
 * clone the worker threads already send findings and summaries with: Maps, NaN, -0 and undefined kept)
 * of `{ key, value }`.
 *
 * Never a crash, never a wrong result: an entry that cannot be read, is torn or corrupt (its checksum),
 * or was written for another key (its `key`, checked in full) is a miss; a write goes to a temporary
 * file renamed over the entry, so a reader (another worker or another CLI) sees the whole old entry,
 * the whole new one or none; a write that fails is dropped (a read-only tree checks without a cache).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deserialize, serialize } from 'node:v8';

declare const __LOSSLINT_BUILD_ID__: string | undefined;

/** The folder name ruff's and this cache's users expect at the project root. */
export const DEFAULT_CACHE_DIR = '.losslint_cache';

const MAGIC = Buffer.from('LLC1');
const SUM = 32;

const TAG = `Signature: 8a477f597d28d172789f06886806bc55
# This file is a cache directory tag created by LossLint.
# For information about cache directory tags, see:
#	https://bford.info/cachedir/
`;

/** The build's identity (scripts/build.mjs); `source` when run from the TypeScript sources (tests). */
export function buildId(): string {
  return typeof __LOSSLINT_BUILD_ID__ === 'string' ? __LOSSLINT_BUILD_ID__ : 'source';
}

/** SHA-256 of a text (its UTF-8 bytes), hex: a file's content key. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Entries that existed but were ignored (unreadable, torn, corrupt, another key). */
  bad: number;
  written: number;
}

export class CheckCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, bad: 0, written: 0 };
  private readonly made = new Set<string>();
  /** Temporary files are `<entry>.<this>.<n>.tmp`: unique to this cache object (process, thread, random) and write. */
  private readonly unique = `${process.pid}.${randomBytes(6).toString('hex')}`;
  private writes = 0;
  private tagged = false;
  /** Set after a write fails: the rest of the run writes nothing. */
  private readOnly = false;

  constructor(
    /** The cache folder (`.losslint_cache`). */
    readonly dir: string,
    /** The tool version part of every key (`buildId()`; tests give others). */
    readonly build: string = buildId(),
  ) {}

  private where(kind: string, parts: readonly string[]): { file: string; key: string } {
    const key = JSON.stringify([kind, ...parts]);
    const k = createHash('sha256').update(key).digest('hex');
    return { file: path.join(this.dir, safeName(this.build), kind, k.slice(0, 2), k), key };
  }

  /** The value stored under `kind` and `parts`, or undefined (a miss: never there, or not usable). */
  get<T>(kind: string, parts: readonly string[]): T | undefined {
    const { file, key } = this.where(kind, parts);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') this.stats.misses++;
      else this.stats.bad++;
      return undefined;
    }
    const value = decode<T>(bytes, key);
    if (value === undefined) {
      this.stats.bad++;
      return undefined;
    }
    this.stats.hits++;
    return value.value;
  }

  /** Stores `value` (anything structured clone takes) under `kind` and `parts`; failures are dropped. */
  set(kind: string, parts: readonly string[], value: unknown): void {
    if (this.readOnly) return;
    const { file, key } = this.where(kind, parts);
    let tmp: string | undefined;
    try {
      const dir = path.dirname(file);
      if (!this.made.has(dir)) {
        this.tag();
        fs.mkdirSync(dir, { recursive: true });
        this.made.add(dir);
      }
      const bytes = encode(key, value);
      tmp = `${file}.${this.unique}.${this.writes++}.tmp`;
      fs.writeFileSync(tmp, bytes);
      fs.renameSync(tmp, file);
      tmp = undefined;
      this.stats.written++;
    } catch {
      this.readOnly = !this.made.size;
      if (tmp) {
        try {
          fs.unlinkSync(tmp);
        } catch {
          // nothing to remove
        }
      }
    }
  }

  /** The cache folder's CACHEDIR.TAG and .gitignore, written once (before the first entry). */
  private tag(): void {
    if (this.tagged) return;
    this.tagged = true;
    fs.mkdirSync(this.dir, { recursive: true });
    for (const [name, text] of [
      ['CACHEDIR.TAG', TAG],
      ['.gitignore', '# Automatically created by LossLint.\n*\n'],
    ] as const) {
      const file = path.join(this.dir, name);
      if (fs.existsSync(file)) continue;
      const tmp = `${file}.${this.unique}.${this.writes++}.tmp`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, file);
    }
  }
}

function safeName(build: string): string {
  return build.replace(/[^A-Za-z0-9._-]/g, '_') || '_';
}

/** An entry's bytes: magic, checksum, payload. */
export function encode(key: string, value: unknown): Buffer {
  const payload = serialize({ key, value });
  const sum = createHash('sha256').update(payload).digest();
  return Buffer.concat([MAGIC, sum, payload]);
}

/** The value of an entry's bytes written for `key`, or undefined when they are not such an entry. */
export function decode<T>(bytes: Buffer, key: string): { value: T } | undefined {
  try {
    if (bytes.length <= MAGIC.length + SUM || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const payload = bytes.subarray(MAGIC.length + SUM);
    const sum = createHash('sha256').update(payload).digest();
    if (!sum.equals(bytes.subarray(MAGIC.length, MAGIC.length + SUM))) return undefined;
    const entry = deserialize(payload) as { key?: unknown; value?: unknown } | null;
    if (!entry || typeof entry !== 'object' || entry.key !== key || !('value' in entry)) return undefined;
    return { value: entry.value as T };
  } catch {
    return undefined;
  }
}
