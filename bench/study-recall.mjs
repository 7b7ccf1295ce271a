#!/usr/bin/env node
// Recall and precision of the static rules on the real-world study set (issue 15), side by side for
// this build and, optionally, a baseline build.
//
// The study set is real loss code from public repositories, labelled by hand with the findings a
// careful reader expects (bench/study/labels-*.json: repository, path, commit, expected codes and
// lines, debatable cases). The code itself is never committed: fetch it with the search tool's
// read_file(repo, path) into a folder laid out as the labels' `file` paths say, then
//
//   node bench/study-recall.mjs --root /work/study [--split study|heldout|all] [--set pytorch|tfjax|variants] [--baseline DIR/cli.js] [--verbose]
//
// A finding matches an expected one of the same code within 3 lines; a finding that matches a
// `debatable` entry counts neither way, and so does a second finding of a matched code on the same
// line; any other LL1xx/LL2xx finding is a false positive.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliOptions, studyLabels } from './study-labels.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { opt, flag } = cliOptions();
const root = opt('--root', '/work/study');
const split = opt('--split', 'study');
const baseline = opt('--baseline');
const verbose = flag('--verbose');
const WINDOW = 3;

const only = opt('--set');
const { chosen, missing } = studyLabels({ root, split, sets: only ? [only] : undefined });

function findings(cli, files) {
  let out;
  try {
    out = execFileSync(process.execPath, [cli, 'check', '--format', 'json', '--exit-zero', '-j', '1', '--select', 'LL1,LL2', ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch (e) {
    out = e.stdout;
  }
  return JSON.parse(out);
}

function score(cli) {
  const files = chosen.map((l) => path.join(root, l.file));
  const all = findings(cli, files);
  const byFile = new Map();
  for (const f of all) {
    const key = path.resolve(f.path);
    if (!byFile.has(key)) byFile.set(key, []);
    byFile.get(key).push(f);
  }
  const perCode = {};
  const bump = (code, k) => {
    perCode[code] ??= { tp: 0, fn: 0, fp: 0 };
    perCode[code][k]++;
  };
  const misses = [];
  const falsePositives = [];
  let tp = 0;
  let fn = 0;
  let fp = 0;
  let debatable = 0;
  for (const l of chosen) {
    const got = [...(byFile.get(path.resolve(path.join(root, l.file))) ?? [])];
    const used = new Set();
    const near = (code, line) => got.findIndex((f, i) => !used.has(i) && f.code === code && Math.abs(f.line - line) <= WINDOW);
    for (const fnc of l.functions) {
      for (const e of fnc.expect ?? []) {
        const i = near(e.code, e.line);
        if (i >= 0) {
          used.add(i);
          tp++;
          bump(e.code, 'tp');
        } else {
          fn++;
          bump(e.code, 'fn');
          misses.push(`${l.file}:${e.line} ${e.code} (${fnc.name}) ${e.why ?? ''}`);
        }
      }
    }
    for (const fnc of l.functions) {
      for (const d of fnc.debatable ?? []) {
        const i = near(d.code, d.line);
        if (i >= 0) {
          used.add(i);
          debatable++;
        }
      }
    }
    // A second finding of the same code on a line a label already matched (`log(p)` and `log(1 - p)` on one
    // line, labelled once) is the same mistake, not a false positive.
    const matchedLines = new Set([...used].map((i) => `${got[i].code}:${got[i].line}`));
    got.forEach((f, i) => {
      if (used.has(i) || matchedLines.has(`${f.code}:${f.line}`)) return;
      fp++;
      bump(f.code, 'fp');
      falsePositives.push(`${l.file}:${f.line}:${f.column} ${f.code} ${f.message}`);
    });
  }
  const recall = tp / Math.max(1, tp + fn);
  const precision = tp / Math.max(1, tp + fp);
  return { tp, fn, fp, debatable, recall, precision, perCode, misses, falsePositives };
}

function show(name, r) {
  console.log(`${name}: recall ${r.recall.toFixed(2)} (${r.tp}/${r.tp + r.fn}), precision ${r.precision.toFixed(2)} (${r.fp} false positives), ${r.debatable} on debatable cases`);
  for (const [code, c] of Object.entries(r.perCode).sort()) console.log(`  ${code}: found ${c.tp}, missed ${c.fn}, false ${c.fp}`);
  if (verbose) {
    for (const m of r.misses) console.log(`  missed  ${m}`);
    for (const m of r.falsePositives) console.log(`  false   ${m}`);
  }
}

console.log(`study set: ${chosen.length} files (split ${split}${only ? `, set ${only}` : ''}) under ${root}${missing.length ? `; ${missing.length} labelled files not fetched` : ''}`);
const cur = score(path.join(here, '..', 'dist', 'cli.js'));
show('this build', cur);
if (baseline) show('baseline  ', score(baseline));
