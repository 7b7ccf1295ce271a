/**
 * `losslint check`'s persistent cache (project/cache.ts the store, cli/cache.ts the keys): a run that
 * reads it prints what a run without it prints, byte for byte (stdout and stderr), on the fixture
 * project and after random edits (a file changed, a config changed, a callee in another file changed,
 * a file deleted or added, a package's `__init__.py` toggled, the settings changed), whatever the
 * jobs and the format; another build's entries are never read; a corrupt or unreadable entry is
 * ignored; concurrent runs leave no torn entry. Pruning: after each run the folder holds the entries
 * of the last run of each scope (a command line), those a run without a cache would write, whatever
 * the edits before; manifests beyond the last MAX_RUNS and builds beyond MAX_BUILDS are removed, a
 * folder that is no build's never.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deserialize } from 'node:v8';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CheckCache, CLOCK_SLACK_MS, decode, encode, MAX_BUILDS, MAX_RUNS } from '../../server/src/project/cache';
import { int, pick, rng } from '../robust/random';
import { runCli, tempDir, writeTree, type RunResult } from './helpers';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'projects', 'focal');

/** Every file under `dir` (recursively). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** The entries of a cache folder (everything under its build folders but the runs' manifests). */
function entries(cacheDir: string): string[] {
  return filesUnder(cacheDir).filter((f) => path.dirname(f) !== cacheDir && path.basename(path.dirname(f)) !== 'runs');
}

/** A cache folder's entries as `<kind>/<shard>/<name>`, build folder left out, sorted. */
function entryNames(cacheDir: string): string[] {
  return entries(cacheDir)
    .map((f) => path.relative(cacheDir, f).split(path.sep).slice(1).join('/'))
    .sort();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** stderr without the LOSSLINT_CACHE_STATS line. */
function noStats(stderr: string): string {
  return stderr.replace(/^cache: .*\n/m, '');
}

function stats(stderr: string): { hits: number; misses: number; bad: number; written: number } {
  const m = /^cache: (\d+) hits, (\d+) misses, (\d+) ignored, (\d+) written/m.exec(stderr);
  if (!m) throw new Error(`no cache stats in ${stderr}`);
  return { hits: Number(m[1]), misses: Number(m[2]), bad: Number(m[3]), written: Number(m[4]) };
}

function same(warm: RunResult, cold: RunResult, what: string): void {
  expect(warm.stdout, `${what}: stdout`).toBe(cold.stdout);
  expect(noStats(warm.stderr), `${what}: stderr`).toBe(cold.stderr);
  expect(warm.code, `${what}: exit code`).toBe(cold.code);
}

/** The cache on (helpers.ts turns it off for the other tests), with its counts on stderr. */
const ON = { LOSSLINT_NO_CACHE: '' };
const STATS = { ...ON, LOSSLINT_CACHE_STATS: '1' };

describe('the cache store', () => {
  it('gives back what was stored, Maps, NaN, -0 and undefined included', () => {
    const dir = tempDir('losslint-cache-');
    const c = new CheckCache(path.join(dir, 'c'), 'b1');
    const value = { m: new Map([['a', [1, NaN, -0, Infinity]]]), s: new Set(['x']), u: undefined, n: null, t: 'é\u0000' };
    c.set('k', ['one', 'two'], value);
    const back = c.get<typeof value>('k', ['one', 'two'])!;
    expect(back.m.get('a')).toEqual([1, NaN, -0, Infinity]);
    expect(Object.is(back.m.get('a')![2], -0)).toBe(true);
    expect(back).toEqual(value);
    expect('u' in back).toBe(true);
    expect(c.get('k', ['one', 'three'])).toBeUndefined();
    expect(c.get('k', ['one\u0000two'])).toBeUndefined();
    expect(new CheckCache(path.join(dir, 'c'), 'b2').get('k', ['one', 'two'])).toBeUndefined();
    expect(fs.readFileSync(path.join(dir, 'c', 'CACHEDIR.TAG'), 'utf8')).toMatch(/^Signature: 8a477f597d28d172789f06886806bc55\n/);
    expect(fs.readFileSync(path.join(dir, 'c', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(c.stats).toEqual({ hits: 1, misses: 2, bad: 0, written: 1, removed: 0 });
    expect(filesUnder(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('ignores an entry that is torn, corrupt, empty, a folder, or written for another key', () => {
    const dir = tempDir('losslint-cache-');
    const c = new CheckCache(dir, 'b');
    c.set('k', ['a'], { findings: [1, 2, 3] });
    c.set('k', ['b'], { findings: [4] });
    const [fa, fb] = entries(dir).sort((x, y) => fs.statSync(x).size - fs.statSync(y).size).reverse();
    const good = fs.readFileSync(fa);
    const other = fs.readFileSync(fb);
    const r = rng(7);
    const bad: [string, () => void][] = [
      ['empty', () => fs.writeFileSync(fa, '')],
      ['magic only', () => fs.writeFileSync(fa, good.subarray(0, 4))],
      ...Array.from({ length: 20 }, (_, i): [string, () => void] => {
        const cut = 1 + int(r, good.length - 1);
        return [`torn at ${cut} (${i})`, () => fs.writeFileSync(fa, good.subarray(0, cut))];
      }),
      ...Array.from({ length: 40 }, (_, i): [string, () => void] => {
        const at = int(r, good.length);
        const bit = 1 << int(r, 8);
        return [
          `bit ${bit} of byte ${at} flipped (${i})`,
          () => {
            const b = Buffer.from(good);
            b[at] ^= bit;
            fs.writeFileSync(fa, b);
          },
        ];
      }),
      ['another key', () => fs.writeFileSync(fa, other)],
      ['garbage', () => fs.writeFileSync(fa, Buffer.from('LLC1'.padEnd(200, 'x')))],
      [
        'a folder',
        () => {
          fs.rmSync(fa);
          fs.mkdirSync(fa);
        },
      ],
    ];
    for (const [what, corrupt] of bad) {
      const read = new CheckCache(dir, 'b');
      corrupt();
      expect(read.get('k', ['a']), what).toBeUndefined();
      expect(read.stats.bad, what).toBe(1);
      // Storing again replaces a broken entry (a folder cannot be replaced: the write is dropped, no throw).
      read.set('k', ['a'], { findings: [1, 2, 3] });
      if (!fs.statSync(fa).isDirectory()) expect(read.get('k', ['a']), what).toEqual({ findings: [1, 2, 3] });
      else fs.rmdirSync(fa);
      fs.writeFileSync(fa, good);
    }
    expect(decode(encode('x', 1), 'x')).toEqual({ value: 1 });
    expect(filesUnder(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the entries of the last run of each of the last MAX_RUNS scopes, and of runs still going', async () => {
    const dir = path.join(tempDir('losslint-cache-'), 'c');
    const names = () => entryNames(dir);
    // Scope s0 writes a, then b (a is no run's any more); a run read-only of entries writes no pruning.
    const run = (scope: string, keys: string[]) => {
      const c = new CheckCache(dir, 'b');
      for (const k of keys) if (c.get('k', [k]) === undefined) c.set('k', [k], k);
      c.finish(scope);
      return c;
    };
    run('s0', ['a']);
    const [a] = names();
    // (Entries written within the clock slack before a run started are kept by it.)
    await sleep(CLOCK_SLACK_MS + 20);
    run('s0', ['b']);
    expect(names()).not.toContain(a);
    expect(names()).toHaveLength(1);
    // Other scopes' entries stay, up to MAX_RUNS scopes (the least recently run goes).
    for (let i = 1; i <= MAX_RUNS; i++) {
      await sleep(20);
      run(`s${i}`, [`e${i}`, 'shared']);
    }
    expect(names()).toHaveLength(MAX_RUNS + 1);
    expect(fs.readdirSync(path.join(dir, 'b', 'runs'))).toHaveLength(MAX_RUNS);
    const first = new CheckCache(dir, 'b');
    expect(first.get('k', ['b'])).toBeUndefined();
    expect(first.get('k', ['e1'])).toBe('e1');
    // A run going on while another prunes: what it wrote after the pruning run started stays until a later run prunes.
    const pruning = new CheckCache(dir, 'b');
    await sleep(5);
    const going = new CheckCache(dir, 'b');
    going.set('k', ['going'], 1);
    pruning.set('k', ['p'], 1);
    pruning.finish('s1');
    expect(new CheckCache(dir, 'b').get('k', ['going'])).toBe(1);
    // A run started past the clock slack after that write prunes it.
    await sleep(CLOCK_SLACK_MS + 20);
    run('s1', ['p2']);
    expect(new CheckCache(dir, 'b').get('k', ['going'])).toBeUndefined();
    expect(filesUnder(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Empty shard folders go with their last entry.
    for (const kind of fs.readdirSync(path.join(dir, 'b'))) {
      if (kind === 'runs') continue;
      for (const shard of fs.readdirSync(path.join(dir, 'b', kind))) expect(fs.readdirSync(path.join(dir, 'b', kind, shard)).length).toBeGreaterThan(0);
    }
  });

  it('drops writes it cannot make, never throws', () => {
    const dir = tempDir('losslint-cache-');
    fs.writeFileSync(path.join(dir, 'file'), 'not a folder');
    const c = new CheckCache(path.join(dir, 'file', 'cache'), 'b');
    expect(() => c.set('k', ['a'], 1)).not.toThrow();
    expect(c.get('k', ['a'])).toBeUndefined();
    expect(c.stats.written).toBe(0);
  });
});

/** The fixture copied to a temporary folder. */
function project(): string {
  const root = tempDir('losslint-cache-project-');
  fs.cpSync(FIXTURE, root, { recursive: true });
  fs.rmSync(path.join(root, '.losslint_cache'), { recursive: true, force: true });
  return root;
}

/** A check of `root` without the cache, and one with it (the default folder), compared. */
async function compare(root: string, args: string[], what: string): Promise<ReturnType<typeof stats>> {
  const cold = await runCli(['check', '.', ...args, '--no-cache'], root, ON);
  const warm = await runCli(['check', '.', ...args], root, STATS);
  same(warm, cold, what);
  return stats(warm.stderr);
}

describe('losslint check with its cache', () => {
  for (const jobs of ['1', '2']) {
    for (const format of ['text', 'json', 'sarif']) {
      it(`prints what a run without it prints (-j ${jobs}, ${format})`, async () => {
        const root = project();
        const args = ['-j', jobs, '--format', format];
        const first = await compare(root, args, 'first run');
        expect(first.hits).toBe(0);
        expect(first.written).toBeGreaterThan(0);
        const warm = await compare(root, args, 'warm run');
        expect(warm).toMatchObject({ misses: 0, bad: 0, written: 0 });
        expect(warm.hits).toBeGreaterThan(0);
        const cache = path.join(root, '.losslint_cache');
        expect(fs.readFileSync(path.join(cache, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
        expect(fs.existsSync(path.join(cache, 'CACHEDIR.TAG'))).toBe(true);
      });
    }
  }

  /** `[tool.losslint]` tables the settings edit goes through, in turn (a broken one among them: defaults and a notice). */
  const SETTINGS = ['ignore = ["LL103"]\n', 'strict = true\n', 'severity = { LL103 = "warning" }\n', 'per-file-ignores = { "scripts/*" = ["LL103"] }\n', 'select = ["LL1"]\n', 'strict = "yes"\n', 'strict = false\n'];

  /** The edits of a project copy at `root`, each a change a user makes (every call changes something). */
  function editsOf(root: string, r: () => number): [string, () => void][] {
    const read = (f: string): string => fs.readFileSync(path.join(root, f), 'utf8');
    const write = (f: string, t: string): void => writeTree(root, { [f]: t });
    /** Rewrites a file unless it is deleted now. */
    const change = (f: string, how: (text: string) => string): void => {
      if (fs.existsSync(path.join(root, f))) write(f, how(read(f)));
    };
    const removed = new Map<string, string>();
    // Values below 1 make LL103 findings where they are written; each call gives a value not given before.
    let n = 0;
    const gamma = (): string => (r() < 0.25 ? '2.0' : `0.${++n % 9 || 9}${n}`);
    let added = 0;
    let settings = int(r, SETTINGS.length);
    return [
      ['the loss file (callee) changes its gamma default', () => change('pkg/losses/focal.py', (t) => t.replace(/gamma=[\d.]+, reduction/, `gamma=${gamma()}, reduction`))],
      ['the loss file clamps its base, or stops', () => change('pkg/losses/focal.py', (t) => (t.includes('.clamp(') ? t.replace('(1 - pt).clamp(min=1e-6)', '(1 - pt)') : t.replace('loss = (1 - pt)', 'loss = (1 - pt).clamp(min=1e-6)')))],
      ['a caller passes another argparse default', () => change('scripts/train.py', (t) => t.replace(/default=[\d.]+\)  # expect/, `default=${gamma()})  # expect`))],
      ['a config value changes', () => change('conf/loss/focal.yaml', (t) => t.replace(/gamma: [\d.]+/, `gamma: ${gamma()}`))],
      ['another config value changes', () => change('conf/eval.yaml', (t) => t.replace(/gamma: [\d.]+/, `gamma: ${gamma()}`))],
      ['a comment is added (new content, same meaning)', () => change('pkg/models/detector.py', (t) => `${t}# ${int(r, 1000)}\n`)],
      [
        'a file is deleted or restored',
        () => {
          const f = pick(r, ['scripts/train.py', 'pkg/models/detector.py', 'configs/retinanet_r50.py', 'conf/loss/focal.yaml', 'pkg/losses/__init__.py', 'pkg/__init__.py']);
          if (removed.has(f)) {
            write(f, removed.get(f)!);
            removed.delete(f);
          } else {
            removed.set(f, read(f));
            fs.rmSync(path.join(root, f));
          }
        },
      ],
      [
        'a file is added that builds the loss',
        () => write(`scripts/extra_${added++}.py`, `from pkg.losses.focal import FocalLoss, focal_loss\n\ncrit = FocalLoss(gamma=${gamma()})\n\n\ndef run(x, t):\n    return focal_loss(x, t, ${gamma()})\n`),
      ],
      [
        'a file gets a syntax error, or loses it',
        () =>
          change(pick(r, ['pkg/losses/focal.py', 'scripts/evaluate.py']), (t) => (t.includes('def broken(:') ? t.replace('\ndef broken(:\n    pass\n', '') : `${t}\ndef broken(:\n    pass\n`)),
      ],
      [
        'a notebook is added or changed',
        () => {
          const cell = (src: string) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: src.split(/(?<=\n)/) });
          const loss = `import torch\nimport torch.nn.functional as F\n\n\ndef focal(logits, targets, gamma=${gamma()}):\n    ce = F.cross_entropy(logits, targets, reduction="none")\n    pt = torch.exp(-ce)\n    return ((1 - pt) ** gamma * ce).mean()\n`;
          write('notebooks/nb.ipynb', JSON.stringify({ cells: [cell('%matplotlib inline\n'), cell(loss)], metadata: {}, nbformat: 4, nbformat_minor: 5 }, null, 1));
        },
      ],
      [
        'the settings change',
        () =>
          write(
            'pyproject.toml',
            `[tool.losslint]\n${SETTINGS[settings++ % SETTINGS.length]}# ${++n}\n`,
          ),
      ],
    ];
  }

  it('equals a run without it after each kind of edit, one after the other', async () => {
    const root = project();
    const r = rng(17);
    await compare(root, ['-j', '1', '--format', 'json'], 'before');
    const edits = editsOf(root, r);
    // Each edit once, then every other settings table.
    const settingsEdit = edits.find(([what]) => what === 'the settings change')!;
    for (const [what, edit] of [...edits, ...SETTINGS.slice(1).map(() => settingsEdit)]) {
      edit();
      for (const jobs of ['1', '2']) {
        const s = await compare(root, ['-j', jobs, '--format', 'json'], `${what} (-j ${jobs})`);
        if (jobs === '2') expect(s, `${what}: unchanged since`).toMatchObject({ misses: 0, bad: 0, written: 0 });
      }
    }
  }, 120_000);

  it('equals a run without it after random edits to files, configs, packages and settings', async () => {
    const root = project();
    const r = rng(20261207);
    const edits = editsOf(root, r);
    let warmHits = 0;
    for (let step = 0; step < 24; step++) {
      // One to three edits between runs.
      const what: string[] = [];
      for (let k = 1 + int(r, 3); k > 0; k--) {
        const [name, edit] = pick(r, edits);
        edit();
        what.push(name);
      }
      const args = ['-j', pick(r, ['1', '2']), '--format', pick(r, ['text', 'json', 'sarif']), ...(r() < 0.2 ? ['--no-project'] : [])];
      const s = await compare(root, args, `step ${step}: ${what.join(', ')} (${args.join(' ')})`);
      warmHits += s.hits;
    }
    expect(warmHits).toBeGreaterThan(0);
  }, 180_000);

  it('holds after each run what a run into an empty cache writes, over repeated runs with edits (bounded)', async () => {
    const root = project();
    const r = rng(41);
    const edits = editsOf(root, r);
    const cache = path.join(root, '.losslint_cache');
    const fresh = async (args: string[]): Promise<string[]> => {
      const dir = path.join(tempDir('losslint-cache-fresh-'), 'c');
      await runCli([...args, '--cache-dir', dir], root, ON);
      return entryNames(dir);
    };
    const args = ['check', '.', '-j', '1', '--format', 'json'];
    await runCli(args, root, ON);
    const sizes = [entries(cache).length];
    for (let step = 0; step < 10; step++) {
      for (let k = 1 + int(r, 2); k > 0; k--) pick(r, edits)[1]();
      await runCli(args, root, ON);
      expect(entryNames(cache), `step ${step}`).toEqual(await fresh(args));
      sizes.push(entries(cache).length);
    }
    expect(Math.max(...sizes)).toBeLessThan(2 * Math.min(...sizes) + 10);
    // Two scopes (another command line): the union of theirs.
    const other = ['check', 'pkg', 'scripts', '-j', '1', '--select', 'LL1'];
    await runCli(other, root, ON);
    await runCli(args, root, ON);
    expect(entryNames(cache)).toEqual([...new Set([...(await fresh(args)), ...(await fresh(other))])].sort());
  }, 180_000);

  it('removes the folders of all but the most recently used builds, and nothing else', async () => {
    const root = project();
    const cache = path.join(root, '.losslint_cache');
    await runCli(['check', '.', '-j', '1'], root, ON);
    const [current] = fs.readdirSync(cache).filter((n) => fs.statSync(path.join(cache, n)).isDirectory());
    const now = Date.now() / 1000;
    const older = [0, 1, 2, 3].map((i) => `0.0.${i}-0123456789abcdef`);
    older.forEach((b, i) => {
      writeTree(cache, { [`${b}/file/aa/${'0'.repeat(64)}`]: 'x' });
      fs.utimesSync(path.join(cache, b), now - 1000 * (i + 1), now - 1000 * (i + 1));
    });
    writeTree(cache, { 'notes/keep.txt': 'mine', 'notes/sub/x': 'mine' });
    fs.utimesSync(path.join(cache, 'notes'), now - 9000, now - 9000);
    // A run that writes prunes: the current build and the MAX_BUILDS - 1 most recently used others stay.
    writeTree(root, { 'scripts/new.py': 'from pkg.losses import FocalLoss\n\ncrit = FocalLoss(gamma=0.25)\n' });
    await runCli(['check', '.', '-j', '1'], root, ON);
    const left = fs.readdirSync(cache).filter((n) => fs.statSync(path.join(cache, n)).isDirectory()).sort();
    expect(left).toEqual([current, ...older.slice(0, MAX_BUILDS - 1), 'notes'].sort());
    expect(fs.readFileSync(path.join(cache, 'notes/keep.txt'), 'utf8')).toBe('mine');
  });

  it('`losslint clean` removes the folder check uses, and never a folder LossLint did not make', async () => {
    const root = project();
    await runCli(['check', '.', '-j', '1'], root, ON);
    expect(fs.existsSync(path.join(root, '.losslint_cache'))).toBe(true);
    const cleaned = await runCli(['clean'], root, {});
    expect(cleaned.code).toBe(0);
    expect(cleaned.stdout).toContain('.losslint_cache');
    expect(fs.existsSync(path.join(root, '.losslint_cache'))).toBe(false);
    writeTree(root, { 'mine/notes.txt': 'x' });
    expect((await runCli(['clean', '--cache-dir', 'mine'], root, {})).code).toBe(0);
    expect(fs.readFileSync(path.join(root, 'mine/notes.txt'), 'utf8')).toBe('x');
  });

  it("reads its entries (a planted finding shows), and never another build's", async () => {
    const root = project();
    const cold = await runCli(['check', '.', '--format', 'json', '-j', '1', '--no-cache'], root, ON);
    await runCli(['check', '.', '--format', 'json', '-j', '1'], root, ON);
    const cache = path.join(root, '.losslint_cache');
    let planted = 0;
    for (const f of entries(cache)) {
      const bytes = fs.readFileSync(f);
      const { key, value } = deserialize(bytes.subarray(36)) as { key: string; value: { findings?: { message: string }[]; own?: { message: string }[] } };
      const list = value.findings ?? value.own;
      if (!list?.length) continue;
      list[0] = { ...list[0], message: 'PLANTED' };
      fs.writeFileSync(f, encode(key, value));
      planted++;
    }
    expect(planted).toBeGreaterThan(0);
    const trusted = await runCli(['check', '.', '--format', 'json', '-j', '1'], root, ON);
    expect(trusted.stdout).toContain('PLANTED');
    // Another version of LossLint (another build folder) reads none of them.
    const [build] = fs.readdirSync(cache).filter((n) => fs.statSync(path.join(cache, n)).isDirectory());
    fs.renameSync(path.join(cache, build), path.join(cache, `${build}-older`));
    same(await runCli(['check', '.', '--format', 'json', '-j', '1'], root, ON), cold, 'another build');
    expect(fs.existsSync(path.join(cache, build))).toBe(true);
  });

  it('ignores corrupt and unreadable entries, and replaces them', async () => {
    const root = project();
    const cold = await runCli(['check', '.', '--format', 'json', '-j', '1', '--no-cache'], root, ON);
    await runCli(['check', '.', '--format', 'json', '-j', '1'], root, ON);
    const cache = path.join(root, '.losslint_cache');
    const all = entries(cache);
    const r = rng(99);
    all.forEach((f, i) => {
      const bytes = fs.readFileSync(f);
      switch (i % 5) {
        case 0:
          fs.writeFileSync(f, bytes.subarray(0, int(r, bytes.length)));
          break;
        case 1: {
          const b = Buffer.from(bytes);
          b[36 + int(r, b.length - 36)] ^= 1 << int(r, 8);
          fs.writeFileSync(f, b);
          break;
        }
        case 2:
          fs.writeFileSync(f, fs.readFileSync(all[(i + 1) % all.length]));
          break;
        case 3:
          fs.rmSync(f);
          fs.mkdirSync(f);
          break;
        default:
          fs.writeFileSync(f, '');
      }
    });
    for (const jobs of ['1', '2']) {
      const warm = await runCli(['check', '.', '--format', 'json', '-j', jobs], root, STATS);
      same(warm, cold, `corrupt entries, -j ${jobs}`);
      if (jobs === '1') expect(stats(warm.stderr).bad).toBeGreaterThan(0);
    }
  });

  it('two runs at once (-j 2 each) leave whole entries only', async () => {
    const root = project();
    const cold = await runCli(['check', '.', '--format', 'sarif', '-j', '2', '--no-cache'], root, ON);
    for (let round = 0; round < 3; round++) {
      fs.rmSync(path.join(root, '.losslint_cache'), { recursive: true, force: true });
      const runs = await Promise.all([0, 1, 2].map(() => runCli(['check', '.', '--format', 'sarif', '-j', '2'], root, ON)));
      for (const w of runs) same(w, cold, `round ${round}`);
      const files = entries(path.join(root, '.losslint_cache'));
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      for (const f of files) {
        const b = fs.readFileSync(f);
        expect(createHash('sha256').update(b.subarray(36)).digest().equals(b.subarray(4, 36)), f).toBe(true);
      }
    }
    const warm = await runCli(['check', '.', '--format', 'sarif', '-j', '2'], root, STATS);
    same(warm, cold, 'after');
    expect(stats(warm.stderr)).toMatchObject({ misses: 0, bad: 0 });
  });

  it('is where --cache-dir, LOSSLINT_CACHE_DIR or cache-dir says, and nowhere with --no-cache, LOSSLINT_NO_CACHE or --fix', async () => {
    const root = project();
    await runCli(['check', '.', '--no-cache'], root, ON);
    expect(fs.existsSync(path.join(root, '.losslint_cache'))).toBe(false);
    await runCli(['check', '.'], root, { LOSSLINT_NO_CACHE: '1' });
    expect(fs.existsSync(path.join(root, '.losslint_cache'))).toBe(false);
    await runCli(['check', '.', '--cache-dir', 'here'], root, ON);
    expect(entries(path.join(root, 'here')).length).toBeGreaterThan(0);
    await runCli(['check', '.'], root, { ...ON, LOSSLINT_CACHE_DIR: 'env' });
    expect(entries(path.join(root, 'env')).length).toBeGreaterThan(0);
    writeTree(root, { 'pyproject.toml': '[tool.losslint]\ncache-dir = "build/ll"\n' });
    // From a subfolder: the project root is the configuration's folder.
    await runCli(['check', '..'], path.join(root, 'scripts'), ON);
    expect(entries(path.join(root, 'build/ll')).length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(root, '.losslint_cache'))).toBe(false);
    fs.rmSync(path.join(root, 'pyproject.toml'));
    const fixed = tempDir('losslint-cache-fix-');
    writeTree(fixed, { 'x.py': 'import torch\n\ndef f(x):\n    return torch.log(torch.softmax(x, 1))\n' });
    await runCli(['check', '.', '--fix'], fixed, ON);
    expect(fs.existsSync(path.join(fixed, '.losslint_cache'))).toBe(false);
    const bad = await runCli(['check', '.'], root, ON);
    expect(bad.stderr).toBe('');
    writeTree(root, { 'pyproject.toml': '[tool.losslint]\ncache-dir = 3\n' });
    expect((await runCli(['check', '.'], root, ON)).stderr).toMatch(/cache-dir: expected a folder path/);
  });
});
