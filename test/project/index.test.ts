/**
 * The project index kept up to date file by file (as the language server does after each edit)
 * equals an index built from scratch (as `losslint check` builds it), after random edits to Python
 * files and configs: numbers changed, names renamed, files deleted and added back, configs broken.
 * Also: import resolution (relative, packages, `__init__` re-exports, star imports, cycles).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParsedDocument } from '../../server/src/core/document';
import { ProjectIndex, textHash } from '../../server/src/project/index';
import { EMPTY_SUMMARY, importsFromText, needsParse, pendingNames, summarize } from '../../server/src/project/summary';
import { int, pick, rng } from '../robust/random';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'projects', 'focal');
const ROOT = '/project';

function fixtureFiles(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.')) walk(p); // not the CLI's .losslint_cache
      } else out.set(path.join(ROOT, path.relative(FIXTURE, p)), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(FIXTURE);
  return out;
}

/** Brings summaries up to date with the names the project defines (both ways of building do this). */
function settle(index: ProjectIndex, files: Map<string, string>): void {
  for (let round = 0; round < 4; round++) {
    const todo = index.unsettled();
    if (!todo.length) return;
    const wanted = index.definedNames();
    for (const f of todo) {
      const text = files.get(f)!;
      index.put(f, textHash(text), { ...summarize(ParsedDocument.parse(text), { wanted, usesOnly: true }), defs: index.summaryOf(f)!.defs });
    }
  }
}

function fresh(files: Map<string, string>): ProjectIndex {
  const index = new ProjectIndex([ROOT], (f) => files.get(f));
  for (const [f, text] of files) if (f.endsWith('.py')) index.put(f, textHash(text), summarize(ParsedDocument.parse(text)));
  settle(index, files);
  return index;
}

/** What the rest of LossLint reads of an index: every value source and library use, in a stable order. */
function answers(index: ProjectIndex): string[] {
  const r = index.resolve();
  const out: string[] = [];
  for (const [file, sources] of r.byTarget) for (const s of sources) out.push(JSON.stringify([file, s.file, s.range, s.text, s.target, s.param, s.via, s.how]));
  for (const u of r.library) out.push(JSON.stringify([u.file, u.range, u.spelling.name, u.kwargs.map((k) => [k.name, k.range, k.text])]));
  return out.sort();
}

describe('project index', () => {
  it('resolves the fixture project: relative imports, re-exports, argparse, Hydra groups, OmegaConf, mmdet dicts', () => {
    const a = answers(fresh(fixtureFiles()));
    const where = a
      .map((x) => JSON.parse(x) as unknown[])
      .filter((x) => x.length === 8)
      .map((x) => `${path.relative(ROOT, x[1] as string)} -> ${x[4]}(${x[5]}=${x[3]})`);
    expect(where.sort()).toEqual(
      [
        'conf/eval.yaml -> focal_loss(gamma=0.4)',
        'conf/loss/focal.yaml -> FocalLoss.__init__(alpha=0.25)',
        'conf/loss/focal.yaml -> FocalLoss.__init__(gamma=0.7)',
        'configs/retinanet_r50.py -> FocalLoss.__init__(alpha=0.25)',
        'configs/retinanet_r50.py -> FocalLoss.__init__(gamma=0.5)',
        'pkg/models/detector.py -> FocalLoss.__init__(gamma=0.5)',
        'pkg/models/detector.py -> FocalLoss.__init__(gamma=2.0)',
        'scripts/train.py -> FocalLoss.__init__(gamma=0.3)',
      ].sort(),
    );
  });

  it('kept up to date file by file equals one built from scratch, over random edits', () => {
    const files = fixtureFiles();
    const index = fresh(files);
    const r = rng(Number(process.env.INCREMENTAL_SEED ?? 3));
    const removed = new Map<string, string>();
    for (let step = 0; step < 120; step++) {
      const names = [...files.keys()];
      const file = pick(r, names);
      const k = r();
      let text = files.get(file)!;
      if (k < 0.4) {
        const nums = [...text.matchAll(/\d+\.\d+/g)];
        if (nums.length) {
          const hit = pick(r, nums);
          text = text.slice(0, hit.index) + pick(r, ['0.5', '2.0', '0.3', '1.5']) + text.slice(hit.index! + hit[0].length);
        }
      } else if (k < 0.55) {
        const ids = [...text.matchAll(/\b(FocalLoss|focal_loss|gamma|loss|args|cfg)\b/g)];
        if (ids.length) {
          const hit = pick(r, ids);
          text = text.slice(0, hit.index) + `${hit[0]}${int(r, 2) ? 'X' : ''}` + text.slice(hit.index! + hit[0].length);
        }
      } else if (k < 0.65 && file.endsWith('.yaml')) {
        text = `${text}\n  broken: [\n`;
      } else if (k < 0.75) {
        // Delete a file (a module or a config); it comes back later.
        files.delete(file);
        removed.set(file, text);
        if (file.endsWith('.py')) index.remove(file);
        else index.configChanged(file);
        settle(index, files);
        expect(answers(index), `step ${step}: deleted ${file}`).toEqual(answers(fresh(files)));
        continue;
      } else if (removed.size) {
        const [back, t] = pick(r, [...removed]);
        removed.delete(back);
        files.set(back, t);
        if (back.endsWith('.py')) index.put(back, textHash(t), summarize(ParsedDocument.parse(t), { wanted: index.definedNames() }));
        else index.configChanged(back);
        settle(index, files);
        expect(answers(index), `step ${step}: restored ${back}`).toEqual(answers(fresh(files)));
        continue;
      }
      files.set(file, text);
      if (file.endsWith('.py')) index.put(file, textHash(text), summarize(ParsedDocument.parse(text), { wanted: index.definedNames() }));
      else index.configChanged(file);
      settle(index, files);
      expect(answers(index), `step ${step}: edited ${file}`).toEqual(answers(fresh(files)));
    }
  });

  it('a second summary skipped where mayGainUses says it cannot change the resolution changes nothing', () => {
    /** The CLI's index: files that neither may hold a loss nor pass a value are read from their text only; then settled. */
    const cliIndex = (files: Map<string, string>, skip: boolean): { answers: string[]; reread: number } => {
      const roots = [...new Set([...files.keys()].map((f) => (f.startsWith(ROOT) ? ROOT : f.split('/').slice(0, 5).join('/'))))];
      const index = new ProjectIndex(roots, (f) => files.get(f));
      for (const [f, text] of files) {
        if (!f.endsWith('.py')) continue;
        if (needsParse(text)) index.put(f, textHash(text), summarize(ParsedDocument.parse(text)));
        else index.put(f, '', { ...EMPTY_SUMMARY, imports: importsFromText(text), pending: pendingNames(text) });
      }
      let reread = 0;
      for (let round = 0; round < 4; round++) {
        const names = index.definedNames();
        const todo = index.unsettled().filter((f) => !skip || index.mayGainUses(f, files.get(f)!, names));
        if (!todo.length) break;
        for (const f of todo) {
          reread++;
          index.put(f, textHash(files.get(f)!), { ...summarize(ParsedDocument.parse(files.get(f)!), { wanted: names, usesOnly: true }), defs: index.summaryOf(f)!.defs });
        }
      }
      return { answers: answers(index), reread };
    };
    const loss = 'import torch\nimport torch.nn.functional as F\n\ndef fl(x, t, gamma=2.0):\n    ce = F.cross_entropy(x, t, reduction="none")\n    pt = torch.exp(-ce)\n    return ((1 - pt) ** gamma * ce).mean()\n';
    // Calls of `fl` every way a second summary can read one, and ways it cannot resolve.
    const callers = [
      'import lib\nlib.fl(1, 2, 0.5)\n',
      'from lib import core\ncore.fl(1, 2, gamma=0.25)\n',
      'from lib.core import fl as focal\nfocal(1, 2, gamma=0.75)\n',
      'from lib import *\nfl(1, 2, gamma=0.3)\n',
      'import lib\n(lib).fl(1, 2, gamma=0.35)\n',
      'import lib\nx = lib \\\n  .fl(1, 2, gamma=0.45)\n',
      'import torch\ntry: import lib as torch\nexcept ImportError: pass\ntorch.fl(1, 2, gamma=0.55)\n',
      'import torch; import lib as torch\ntorch.fl(1, 2, gamma=0.65)\n',
      'import torch as lib\nlib.fl(1, 2, gamma=0.85)\n',
      'from torch import nn\nnn.fl(1, 2, gamma=0.95)\n',
      'import os\nos.fl(1, 2, gamma=1.5)\ns = "lib.fl(1, 2, gamma=1.6)"\n',
      'from . import core\ncore.fl(1, 2, gamma=1.7)\n',
      'def fl(x):\n    return x\nfl(1)\n',
      'cfg = dict(type="fl", gamma=1.9)\n',
    ];
    const files = new Map<string, string>([
      [`${ROOT}/lib/__init__.py`, 'from .core import *\n'],
      [`${ROOT}/lib/core.py`, loss],
      [`${ROOT}/torch/__init__.py`, 'from .core2 import *\n'],
      [`${ROOT}/torch/core2.py`, loss],
    ]);
    callers.forEach((c, i) => files.set(`${ROOT}/${i < 11 ? '' : 'lib/'}caller${i}.py`, c));
    const all = cliIndex(files, false);
    const skipped = cliIndex(files, true);
    expect(skipped.answers).toEqual(all.answers);
    expect(all.answers.length).toBeGreaterThan(8);
    expect(skipped.reread).toBeLessThan(all.reread);
    // The fixture project, and the same after random edits.
    const fixture = fixtureFiles();
    expect(cliIndex(fixture, true).answers).toEqual(cliIndex(fixture, false).answers);
    const r = rng(5);
    for (let step = 0; step < 30; step++) {
      const file = pick(r, [...fixture.keys()].filter((f) => f.endsWith('.py')));
      let text = fixture.get(file)!;
      const ids = [...text.matchAll(/\b(FocalLoss|focal_loss|import|from|losses|models)\b/g)];
      if (ids.length) {
        const hit = pick(r, ids);
        text = text.slice(0, hit.index) + pick(r, [`${hit[0]}X`, `x; ${hit[0]}`, `(${hit[0]})`, `${hit[0]} \\\n `]) + text.slice(hit.index! + hit[0].length);
      }
      fixture.set(file, text);
      expect(cliIndex(fixture, true).answers, `step ${step}: ${file}`).toEqual(cliIndex(fixture, false).answers);
    }
  });

  it.skipIf(!fs.existsSync('/usr/lib/python3/dist-packages/torchvision'))('torchvision and torch.nn as a project: the same resolution with fewer second summaries', () => {
    const files = new Map<string, string>();
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.py')) files.set(p, fs.readFileSync(p, 'utf8'));
      }
    };
    walk('/usr/lib/python3/dist-packages/torchvision');
    walk('/usr/lib/python3/dist-packages/torch/nn');
    const build = (skip: boolean): { answers: string[]; reread: number } => {
      const index = new ProjectIndex(['/usr/lib/python3/dist-packages'], (f) => files.get(f));
      for (const [f, text] of files) {
        if (needsParse(text)) index.put(f, textHash(text), summarize(ParsedDocument.parse(text)));
        else index.put(f, '', { ...EMPTY_SUMMARY, imports: importsFromText(text), pending: pendingNames(text) });
      }
      const names = index.definedNames();
      const todo = index.unsettled().filter((f) => !skip || index.mayGainUses(f, files.get(f)!, names));
      for (const f of todo) index.put(f, textHash(files.get(f)!), { ...summarize(ParsedDocument.parse(files.get(f)!), { wanted: names, usesOnly: true }), defs: index.summaryOf(f)!.defs });
      return { answers: answers(index), reread: todo.length };
    };
    const skipped = build(true);
    const all = build(false);
    expect(skipped.answers).toEqual(all.answers);
    expect(skipped.reread).toBeLessThan(all.reread);
    expect(all.answers.length).toBeGreaterThan(0);
  }, 120_000);

  it('resolves star imports and aliases, and ends on import cycles', () => {
    const files = new Map<string, string>([
      [`${ROOT}/lib/__init__.py`, 'from .core import *\nfrom . import extra as ex\n'],
      [`${ROOT}/lib/core.py`, 'import torch\nimport torch.nn.functional as F\n\ndef fl(x, t, gamma=2.0):\n    ce = F.cross_entropy(x, t, reduction="none")\n    pt = torch.exp(-ce)\n    return ((1 - pt) ** gamma * ce).mean()\n'],
      [`${ROOT}/lib/extra.py`, 'from lib import ex\nfrom .extra import fl2\n'],
      [`${ROOT}/a.py`, 'import lib\nimport lib.core as c\nfrom lib import fl as focal\n\nlib.fl(1, 2, 0.5)\nc.fl(1, 2, gamma=0.25)\nfocal(1, 2, gamma=0.75)\nlib.ex.nothing(1, gamma=3)\n'],
    ]);
    const a = answers(fresh(files)).map((x) => JSON.parse(x) as unknown[]).map((x) => `${x[4]}(${x[5]}=${x[3]})`);
    // Positional literals count as at a same-file call site (x=1, t=2 from each of the three calls).
    expect(a.filter((x) => x.includes('gamma')).sort()).toEqual(['fl(gamma=0.25)', 'fl(gamma=0.5)', 'fl(gamma=0.75)']);
    expect(a.length).toBe(9);
  });
});
