#!/usr/bin/env node
// Numeric coverage on the real-world study set (issue 16): how many of the labelled loss entries
// (`is_loss_entry` in bench/study/labels-*.json) the numeric checker probes, per framework and
// split, and the reasons for the others with their counts. Side by side with a baseline build.
//
//   node bench/study-coverage.mjs --root /work/study [--set pytorch,tfjax] [--split study|heldout|all]
//        [--baseline DIR/cli.js] [--samples 512] [--backend wasm] [--verbose] [--json OUT]
//
// It runs `losslint probe --coverage --format json` on the labelled files and matches each label to
// the coverage entry of the same qualname (a class name matches its forward / call / __call__).
// A labelled entry with no coverage entry was neither planned nor named like a loss: "not planned".
// An entry probed for its values only (numpy: no autograd) counts as probed only where the coverage
// entry says `valuesOnly`; the tables give those in a column of their own.
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

const { chosen } = studyLabels({ root, split, sets });

function coverage(cli, files) {
  let out;
  try {
    out = execFileSync(process.execPath, [cli, 'probe', '--coverage', '--format', 'json', '--backend', backend, '--samples', samples, ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch (e) {
    out = e.stdout;
  }
  return JSON.parse(out);
}

const fwName = (fw) => (fw === 'tf' || fw === 'keras' ? 'tf/keras' : fw);

function score(cli) {
  const files = chosen.map((l) => path.join(root, l.file));
  const entries = coverage(cli, files);
  const byFile = new Map();
  for (const e of entries) {
    const k = path.resolve(e.file);
    if (!byFile.has(k)) byFile.set(k, []);
    byFile.get(k).push(e);
  }
  const rows = [];
  for (const l of chosen) {
    const es = byFile.get(path.resolve(root, l.file)) ?? [];
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
      rows.push({ file: l.file, function: fn.name, kind: fn.kind, split: l.split, framework, probed, valuesOnly: probed && !!e.valuesOnly, reason });
    }
  }
  return rows;
}

function summary(rows, title) {
  const lines = [`## ${title}`];
  const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(1)} %` : '-');
  const line = (label, rs) => `| ${label} | ${rs.length} | ${rs.filter((r) => r.probed).length} | ${pct(rs.filter((r) => r.probed).length, rs.length)} | ${rs.filter((r) => r.valuesOnly).length} |`;
  lines.push('| framework | loss entries | probed | % | of them values only |', '|---|---|---|---|---|');
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
  const reasons = new Map();
  for (const r of rows) if (!r.probed) reasons.set(r.reason, [...(reasons.get(r.reason) ?? []), r]);
  lines.push('', '| not probed because | count | frameworks |', '|---|---|---|');
  for (const [why, rs] of [...reasons].sort((a, b) => b[1].length - a[1].length)) {
    const fws = ['torch', 'tf/keras', 'jax', 'numpy'].map((fw) => [fw, rs.filter((r) => r.framework === fw).length]).filter(([, n]) => n);
    lines.push(`| ${why.replace(/\|/g, '\\|')} | ${rs.length} | ${fws.map(([fw, n]) => `${fw} ${n}`).join(', ')} |`);
    if (verbose) for (const r of rs) lines.push(`|   ${r.file}::${r.function} | | |`);
  }
  return lines.join('\n');
}

const cli = path.join(here, '../dist/cli.js');
const t0 = Date.now();
const rows = score(cli);
const out = { current: rows };
console.log(summary(rows, `this build (${((Date.now() - t0) / 1000).toFixed(0)} s)`));
if (baseline) {
  const t1 = Date.now();
  out.baseline = score(baseline);
  console.log(`\n${summary(out.baseline, `baseline ${baseline} (${((Date.now() - t1) / 1000).toFixed(0)} s)`)}`);
}
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(out, null, 1));
