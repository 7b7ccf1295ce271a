/**
 * The persistent cache of `losslint check` (as ruff's `.ruff_cache`): what a check computed of a file,
 * kept on disk under a key of everything it depends on, so that a run over an unchanged tree parses
 * nothing. The CLI (cli/check.ts, cli/project.ts) decides what is cached under which key; this file
 * is only the store, free of any front end: the language server reads and writes it too (lsp/project.ts).
 *
 * Layout: `<dir>/CACHEDIR.TAG` and `<dir>/.gitignore` (`*`), as ruff writes them; entries under
 * `<dir>/<build>/<kind>/<k[0..2]>/<k>`, where `build` is the build's identity (the version and a hash
 * of the sources and locked dependencies, scripts/build.mjs) and `k` the SHA-256 of the key's parts.
 * An entry is `LLC1`, the SHA-256 of its payload, then the payload: V8's serialization (the structured
 * clone the worker threads already send findings and summaries with: Maps, NaN, -0 and undefined kept)
 * of `{ key, value }`.
 *
 * Pruning (`finish`), as ESLint's cache file holds the files of its last run and ruff keeps one cache
 * per version: each run (a `losslint check` command line, a language server's index of its workspace
 * folders: its *scope*) records the entries it read or wrote in a manifest, `<dir>/<build>/runs/<scope>`
 * (replacing the one its scope's previous run wrote); a run that wrote entries then removes every entry
 * of its build that no manifest lists (a file's old contents, a deleted file's, another setting's),
 * keeping the last MAX_RUNS scopes' manifests, and the build folders of all but the MAX_BUILDS most
 * recently used builds. Entries are only ever added by a run that writes, so between two such runs the
 * folder does not grow; after one, it holds at most the entries of MAX_RUNS runs of MAX_BUILDS builds.
 * An entry written after the pruning run started is kept (a run going on at the same time); one a
 * concurrent run wrote before that and has not listed yet may go, which costs that run a miss next time.
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
import type { FileSummary } from './summary';

declare const __LOSSLINT_BUILD_ID__: string | undefined;

/** The folder name ruff's and this cache's users expect at the project root. */
export const DEFAULT_CACHE_DIR = '.losslint_cache';

/** Scopes whose last run's entries a pruning keeps, per build. */
export const MAX_RUNS = 8;
/** Builds whose folders a pruning keeps: the current one and the most recently used others. */
export const MAX_BUILDS = 3;
/** The manifests' folder inside a build's. */
const RUNS = 'runs';
/** A build's identity as scripts/build.mjs writes it: the version, then 16 hex digits of the sources' hash. */
const BUILD_NAME = /^\d+\.\d+\.\d+[\w.+-]*-[0-9a-f]{16}$/;

/** LOSSLINT_NO_CACHE set to anything but 0/false/no: no cache (as ruff's RUFF_NO_CACHE). */
export function cacheOffByEnv(): boolean {
  const off = process.env.LOSSLINT_NO_CACHE;
  return !!off && !/^(0|false|no)$/i.test(off);
}

/** LOSSLINT_CACHE_DIR resolved from `cwd`, when set. */
export function cacheDirFromEnv(cwd: string): string | undefined {
  return process.env.LOSSLINT_CACHE_DIR ? path.resolve(cwd, process.env.LOSSLINT_CACHE_DIR) : undefined;
}

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

/**
 * What the project index keeps of a file, under `file` (its content hash, its dotted module name),
 * as `losslint check` and the language server write it: whether the prefilter keeps the text, and
 * its summary or, for a file not parsed, its imports and the names it calls (cli/cache.ts).
 */
export interface FileEntry {
  may: boolean;
  summary?: FileSummary;
  light?: Pick<FileSummary, 'imports' | 'pending'>;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Entries that existed but were ignored (unreadable, torn, corrupt, another key). */
  bad: number;
  written: number;
  /** Entries and build folders the last `finish` removed. */
  removed: number;
}

/** How far a file's mtime may read behind `Date.now()` (the kernel's coarse clock: a jiffy, 1-10 ms), with room. */
export const CLOCK_SLACK_MS = 50;

export class CheckCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, bad: 0, written: 0, removed: 0 };
  private readonly made = new Set<string>();
  /** The entries this run read or wrote, as `<kind>/<k[0..2]>/<k>` (its manifest). */
  private readonly used = new Set<string>();
  /**
   * When this cache object was made, less CLOCK_SLACK_MS: entries written since are never pruned by it.
   * A file's mtime comes from the kernel's coarse clock, which may read some milliseconds behind
   * `Date.now()`: without the slack, an entry a concurrent run writes just after this one started could
   * look older than it and go.
   */
  private readonly started = Date.now() - CLOCK_SLACK_MS;
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

  private where(kind: string, parts: readonly string[]): { file: string; key: string; rel: string } {
    const key = JSON.stringify([kind, ...parts]);
    const k = createHash('sha256').update(key).digest('hex');
    const rel = `${kind}/${k.slice(0, 2)}/${k}`;
    return { file: path.join(this.dir, safeName(this.build), kind, k.slice(0, 2), k), key, rel };
  }

  /** The value stored under `kind` and `parts`, or undefined (a miss: never there, or not usable). */
  get<T>(kind: string, parts: readonly string[]): T | undefined {
    const { file, key, rel } = this.where(kind, parts);
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
    this.used.add(rel);
    return value.value;
  }

  /** Stores `value` (anything structured clone takes) under `kind` and `parts`; failures are dropped. */
  set(kind: string, parts: readonly string[], value: unknown): void {
    if (this.readOnly) return;
    const { file, key, rel } = this.where(kind, parts);
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
      this.used.add(rel);
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

  /**
   * The end of a run over `scope` (any text naming what it covered and how: the command line's paths
   * and settings, the server's folders): writes the run's manifest and, when the run wrote entries,
   * prunes (the header says what). Never throws; a read-only cache does nothing.
   */
  finish(scope: string): void {
    for (const _ of this.finishing(scope));
  }

  /** `finish` in short steps (one folder of entries each), for the language server to take one per event-loop turn. */
  *finishing(scope: string): Generator<void> {
    if (this.readOnly || (!this.used.size && !this.stats.written)) return;
    const buildDir = path.join(this.dir, safeName(this.build));
    try {
      const runs = path.join(buildDir, RUNS);
      fs.mkdirSync(runs, { recursive: true });
      const file = path.join(runs, createHash('sha256').update(scope).digest('hex').slice(0, 32));
      const tmp = `${file}.${this.unique}.${this.writes++}.tmp`;
      fs.writeFileSync(tmp, encode(`${RUNS}:${scope}`, [...this.used]));
      fs.renameSync(tmp, file);
    } catch {
      return;
    }
    if (this.stats.written) yield* this.prune(buildDir);
  }

  /** Removes the entries no kept manifest lists, the manifests past MAX_RUNS and the builds past MAX_BUILDS. */
  private *prune(buildDir: string): Generator<void> {
    let removed = 0;
    const rm = (p: string, recursive = false): void => {
      try {
        fs.rmSync(p, { recursive, force: true });
        removed++;
      } catch {
        // another run removed it, or it cannot be: left
      }
    };
    const mtime = (p: string): number => {
      try {
        return fs.statSync(p).mtimeMs;
      } catch {
        return 0;
      }
    };
    const list = (d: string): fs.Dirent[] => {
      try {
        return fs.readdirSync(d, { withFileTypes: true });
      } catch {
        return [];
      }
    };
    // Builds: this one, and the others most recently used (their newest manifest, else the folder).
    const lastUse = (d: string): number => Math.max(mtime(d), ...list(path.join(d, RUNS)).map((e) => mtime(path.join(d, RUNS, e.name))));
    // A folder is a build's only when a run of this code wrote its manifests or its name is a build's
    // identity (`--cache-dir` may name a folder that holds other things: those are never removed).
    const isBuild = (name: string): boolean => BUILD_NAME.test(name) || fs.existsSync(path.join(this.dir, name, RUNS));
    const others = list(this.dir)
      .filter((e) => e.isDirectory() && path.join(this.dir, e.name) !== buildDir && isBuild(e.name))
      .map((e) => ({ p: path.join(this.dir, e.name), t: lastUse(path.join(this.dir, e.name)) }))
      .sort((a, b) => b.t - a.t);
    for (const o of others.slice(MAX_BUILDS - 1)) rm(o.p, true);
    // Manifests: the newest MAX_RUNS; the entries they list are live.
    const runs = path.join(buildDir, RUNS);
    const manifests = list(runs)
      .filter((e) => e.isFile())
      .map((e) => ({ p: path.join(runs, e.name), name: e.name, t: mtime(path.join(runs, e.name)) }))
      .sort((a, b) => b.t - a.t);
    const live = new Set<string>();
    let kept = 0;
    for (const m of manifests) {
      if (m.name.endsWith('.tmp')) {
        if (m.t < this.started) rm(m.p);
        continue;
      }
      if (kept >= MAX_RUNS) {
        rm(m.p);
        continue;
      }
      kept++;
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(m.p);
      } catch {
        continue;
      }
      const decoded = decodeAny<unknown>(bytes);
      if (!decoded || !Array.isArray(decoded.value) || !decoded.key.startsWith(`${RUNS}:`)) continue;
      for (const r of decoded.value) if (typeof r === 'string') live.add(r);
    }
    // Entries (and temporary files left by a crash) no manifest lists, older than this run.
    for (const kind of list(buildDir)) {
      if (!kind.isDirectory() || kind.name === RUNS) continue;
      for (const shard of list(path.join(buildDir, kind.name))) {
        const sd = path.join(buildDir, kind.name, shard.name);
        if (!shard.isDirectory()) continue;
        yield;
        let left = 0;
        for (const e of list(sd)) {
          if (live.has(`${kind.name}/${shard.name}/${e.name}`) || mtime(path.join(sd, e.name)) >= this.started) left++;
          else rm(path.join(sd, e.name), e.isDirectory());
        }
        if (!left) {
          try {
            fs.rmdirSync(sd);
            this.made.delete(sd);
          } catch {
            // a concurrent run wrote into it meanwhile
          }
        }
      }
    }
    this.stats.removed = removed;
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
  const entry = decodeAny<T>(bytes);
  return entry && entry.key === key ? { value: entry.value } : undefined;
}

/** The key and value of an entry's bytes, or undefined when they are not a whole entry. */
function decodeAny<T>(bytes: Buffer): { key: string; value: T } | undefined {
  try {
    if (bytes.length <= MAGIC.length + SUM || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const payload = bytes.subarray(MAGIC.length + SUM);
    const sum = createHash('sha256').update(payload).digest();
    if (!sum.equals(bytes.subarray(MAGIC.length, MAGIC.length + SUM))) return undefined;
    const entry = deserialize(payload) as { key?: unknown; value?: unknown } | null;
    if (!entry || typeof entry !== 'object' || typeof entry.key !== 'string' || !('value' in entry)) return undefined;
    return { key: entry.key, value: entry.value as T };
  } catch {
    return undefined;
  }
}

/** Removes a cache folder (`losslint clean`): only one that holds LossLint's CACHEDIR.TAG. Whether it did. */
export function removeCacheFolder(dir: string): boolean {
  try {
    if (!fs.readFileSync(path.join(dir, 'CACHEDIR.TAG'), 'utf8').includes('created by LossLint')) return false;
  } catch {
    return false;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
}
