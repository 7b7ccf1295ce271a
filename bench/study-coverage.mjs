#!/usr/bin/env node
// Numeric coverage on the real-world study set (issue 16): how many of the labelled loss entries
// (`is_loss_entry` in bench/study/labels-*.json) the numeric checker probes, per framework and
// split, and the reasons for the others with their counts. Side by side with a baseline build.
//
//   node bench/study-coverage.mjs --root /work/study [--set pytorch,tfjax] [--split study|heldout|all]
//        [--baseline DIR/cli.js] [--samples 512] [--backend wasm] [--verbose] [--json OUT]
//        [--in-repo DIR [--mirror /work/.mirror]] [--cli dist/cli.js (the build measured)]
//
// It runs `losslint probe --coverage --format json` on the labelled files and matches each label to
// the coverage entry of the same qualname (a class name matches its forward / call / __call__).
// A labelled entry with no coverage entry was neither planned nor named like a loss: "not planned".
// An entry probed for its values only (numpy: no autograd) counts as probed only where the coverage
// entry says `valuesOnly`; the tables give those in a column of their own.
//
// --in-repo DIR adds a second column: each labelled file probed inside a checkout of its own
// repository at the labelled commit, as a user runs `losslint probe` from the repository's root (helpers
// and constants imported from other files of the project are there). A checkout is the `*.py` and `*.ipynb` files of
// the commit, materialised from the bare snapshot MIRROR/<owner>+<name>/repo (`git ls-tree` + `git cat-file`) into
// DIR/<owner>__<name>@<commit 12> (outside this repository; nothing of it is committed) and reused when
// there. A label whose snapshot, commit or file is missing is probed as its single file in that column
// too, and named in a list of its own (counted, not hidden). The single-file figure stays the headline.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliOptions, studyLabels } from './study-labels.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { opt, flag } = cliOptions();
const root = opt('--root', '/work/study');
const split = opt('--split', 'all');
const sets = opt('--set', 'pytorch,tfjax').split(',');
const baseline = opt('--baseline');
const samples = opt('--samples', '512');
const backend = opt('--backend', 'wasm');
const verbose = flag('--verbose');
const jsonOut = opt('--json');
const inRepo = opt('--in-repo');
const mirror = opt('--mirror', '/work/.mirror');

const { chosen } = studyLabels({ root, split, sets });

function coverage(cli, files, cwd) {
  let out;
  try {
    out = execFileSync(process.execPath, [path.resolve(cli), 'probe', '--coverage', '--format', 'json', '--backend', backend, '--samples', samples, ...files], { encoding: 'utf8', maxBuffer: 1 << 28, ...(cwd ? { cwd } : {}) });
  } catch (e) {
    out = e.stdout;
  }
  try {
    return JSON.parse(out);
  } catch {
    return [];
  }
}

/**
 * Where label `l`'s file is in a checkout of its repository at its commit: `{ dir, file }`, or
 * `{ missing }` saying what was not found. Materialises the checkout under `inRepo` once.
 */
const checkouts = new Map();
function checkout(l) {
  const key = `${l.repo}@${l.commit}`;
  let c = checkouts.get(key);
  if (!c) {
    c = materialise(l);
    checkouts.set(key, c);
  }
  if (c.missing) return c;
  const file = path.join(c.dir, l.path);
  return fs.existsSync(file) ? { dir: c.dir, file } : { missing: `${l.path} not in ${l.repo} at ${l.commit.slice(0, 12)}` };
}

function materialise(l) {
  if (!l.repo || !/^[\w.-]+\/[\w.-]+$/.test(l.repo) || !/^[0-9a-f]{7,40}$/.test(l.commit ?? '')) return { missing: `no repository or commit in the label (${l.repo ?? '-'})` };
  const dir = path.join(path.resolve(inRepo), `${l.repo.replace('/', '__')}@${l.commit.slice(0, 12)}`);
  if (fs.existsSync(path.join(dir, '.losslint-checkout'))) return { dir };
  const git = path.join(mirror, l.repo.replace('/', '+'), 'repo');
  if (!fs.existsSync(git)) return { missing: `no snapshot of ${l.repo}` };
  try {
    execFileSync('git', ['-C', git, 'cat-file', '-e', `${l.commit}^{commit}`], { stdio: 'ignore' });
  } catch {
    return { missing: `commit ${l.commit.slice(0, 12)} not in the snapshot of ${l.repo}` };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  try {
    // Only the Python files and notebooks: what the probe reads. Blobs through one `git cat-file
    // --batch` (a snapshot may lack some of its blobs: those files are left out, and named if probed).
    const tree = execFileSync('git', ['-C', git, 'ls-tree', '-r', '-z', l.commit], { maxBuffer: 1 << 28 }).toString('utf8');
    const blobs = tree
      .split('\0')
      .map((line) => /^(?!120000)\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(line))
      .filter((m) => m && /\.(py|ipynb)$/.test(m[2]) && !m[2].split('/').includes('..'));
    const out = execFileSync('git', ['-C', git, 'cat-file', '--batch'], { input: blobs.map((m) => m[1]).join('\n') + '\n', maxBuffer: 1 << 30 });
    let at = 0;
    for (const m of blobs) {
      const nl = out.indexOf(10, at);
      const head = out.subarray(at, nl).toString('utf8').split(' ');
      at = nl + 1;
      if (head[1] !== 'blob') continue;
      const size = Number(head[2]);
      const file = path.join(dir, m[2]);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, out.subarray(at, at + size));
      at += size + 1;
    }
  } catch (e) {
    return { missing: `reading ${l.repo} at ${l.commit.slice(0, 12)} failed: ${String(e.message).split('\n')[0]}` };
  }
  fs.writeFileSync(path.join(dir, '.losslint-checkout'), `${l.repo} ${l.commit}\n`);
  return { dir };
}

const fwName = (fw) => (fw === 'tf' || fw === 'keras' ? 'tf/keras' : fw);

/** The coverage entries of each probed file (by absolute path); `repo`: files in their checkouts. */
function entriesByFile(cli, repo) {
  const groups = new Map();
  const add = (cwd, file) => {
    if (!groups.has(cwd)) groups.set(cwd, []);
    if (!groups.get(cwd).includes(file)) groups.get(cwd).push(file);
  };
  for (const l of chosen) {
    const c = repo ? checkout(l) : {};
    if (c.dir) add(c.dir, c.file);
    else add('', path.join(root, l.file));
  }
  const byFile = new Map();
  for (const [cwd, files] of groups) {
    for (const e of coverage(cli, files, cwd || undefined)) {
      const k = path.resolve(cwd || '.', e.file);
      if (!byFile.has(k)) byFile.set(k, []);
      byFile.get(k).push(e);
    }
  }
  return byFile;
}

function score(cli, repo = false) {
  const byFile = entriesByFile(cli, repo);
  const rows = [];
  for (const l of chosen) {
    const c = repo ? checkout(l) : {};
    const es = byFile.get(path.resolve(c.file ?? path.join(root, l.file))) ?? [];
    for (const fn of l.functions) {
      if (!fn.is_loss_entry) continue;
      // Labels spell closures as Python's __qualname__ (`outer.<locals>.inner`), the IR as `outer.inner`.
      const name = fn.name.replace(/\.<locals>\./g, '.');
      const e = es.find((x) => x.function === name) ?? es.find((x) => x.function.startsWith(`${name}.`) && /\.(forward|call|__call__)$/.test(x.function));
      // numpy has no autograd: a numpy entry counts as probed only when probed for its values only.
      const framework = fwName(l.framework);
      const gradOnNumpy = framework === 'numpy' && !!e?.probed && !e.valuesOnly;
      const probed = !!e?.probed && !gradOnNumpy;
      const reason = gradOnNumpy ? 'numpy entry probed without the values-only mark' : e ? e.reason : 'not planned (no loss-like name, not planned)';
      rows.push({ file: l.file, function: fn.name, kind: fn.kind, split: l.split, framework, probed, valuesOnly: probed && !!e.valuesOnly, reason, ...(c.missing ? { noCheckout: c.missing } : {}) });
    }
  }
  return rows;
}

function summary(rows, title, repoRows) {
  const lines = [`## ${title}`];
  const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(1)} %` : '-');
  // The in-repo column reads the rows of the same labels (same order, same filter) probed in their checkouts.
  const same = (rs) => (repoRows ? repoRows.filter((_, i) => rs.includes(rows[i])) : []);
  const cells = (rs) => `${rs.length} | ${rs.filter((r) => r.probed).length} | ${pct(rs.filter((r) => r.probed).length, rs.length)} | ${rs.filter((r) => r.valuesOnly).length}`;
  const line = (label, rs) => `| ${label} | ${cells(rs)} |${repoRows ? ` ${same(rs).filter((r) => r.probed).length} | ${pct(same(rs).filter((r) => r.probed).length, rs.length)} |` : ''}`;
  lines.push(`| framework | loss entries | probed | % | of them values only |${repoRows ? ' in repo: probed | % |' : ''}`, `|---|---|---|---|---|${repoRows ? '---|---|' : ''}`);
  for (const fw of ['torch', 'tf/keras', 'jax', 'numpy']) {
    const rs = rows.filter((r) => r.framework === fw);
    if (!rs.length) continue;
    lines.push(line(fw, rs));
    for (const sp of ['study', 'heldout']) {
      const q = rs.filter((r) => r.split === sp);
      if (q.length) lines.push(line(`  ${fw} (${sp})`, q));
    }
  }
  lines.push(line('all', rows), line('all but numpy', rows.filter((r) => r.framework !== 'numpy')));
  const cls = rows.filter((r) => /focal|ce|bce/.test(r.kind) && r.framework !== 'numpy');
  lines.push(line('focal / ce / bce kinds, no numpy', cls));
  lines.push('', ...reasonTable(rows, 'not probed because'));
  if (repoRows) {
    lines.push('', ...reasonTable(repoRows, 'in repo: not probed because'));
    const gone = repoRows.filter((r) => r.noCheckout);
    lines.push('', `| in repo: no checkout (probed as the single file) | ${gone.length} entries |`, '|---|---|');
    const byWhy = new Map();
    for (const r of gone) byWhy.set(r.noCheckout, [...(byWhy.get(r.noCheckout) ?? []), r]);
    for (const [why, rs] of byWhy) lines.push(`| ${why} | ${rs.length} |`);
  }
  return lines.join('\n');
}

function reasonTable(rows, head) {
  const lines = [];
  const reasons = new Map();
  for (const r of rows) if (!r.probed) reasons.set(r.reason, [...(reasons.get(r.reason) ?? []), r]);
  lines.push(`| ${head} | count | frameworks |`, '|---|---|---|');
  for (const [why, rs] of [...reasons].sort((a, b) => b[1].length - a[1].length)) {
    const fws = ['torch', 'tf/keras', 'jax', 'numpy'].map((fw) => [fw, rs.filter((r) => r.framework === fw).length]).filter(([, n]) => n);
    lines.push(`| ${why.replace(/\|/g, '\\|')} | ${rs.length} | ${fws.map(([fw, n]) => `${fw} ${n}`).join(', ')} |`);
    if (verbose) for (const r of rs) lines.push(`|   ${r.file}::${r.function} | | |`);
  }
  return lines;
}

const cli = opt('--cli', path.join(here, '../dist/cli.js'));
const t0 = Date.now();
const rows = score(cli);
const out = { current: rows };
const t0r = Date.now();
if (inRepo) out.currentInRepo = score(cli, true);
const inRepoTime = inRepo ? `, in repo ${((Date.now() - t0r) / 1000).toFixed(0)} s` : '';
console.log(summary(rows, `this build (${((t0r - t0) / 1000).toFixed(0)} s${inRepoTime})`, out.currentInRepo));
if (baseline) {
  const t1 = Date.now();
  out.baseline = score(baseline);
  const t1r = Date.now();
  if (inRepo) out.baselineInRepo = score(baseline, true);
  const time = `${((t1r - t1) / 1000).toFixed(0)} s${inRepo ? `, in repo ${((Date.now() - t1r) / 1000).toFixed(0)} s` : ''}`;
  console.log(`\n${summary(out.baseline, `baseline ${baseline} (${time})`, out.baselineInRepo)}`);
}
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(out, null, 1));
