/**
 * The editor's incremental analysis (analysis/incremental.ts) must give exactly the findings of a whole
 * analysis of the same text, after any edit: typing inside a function, editing module code or
 * imports, renaming, adding `# noqa`, breaking the syntax, moving statements, changing settings.
 * Seeds come from INCREMENTAL_SEED (default fixed) so a failure reproduces.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../server/src/analysis/analyze';
import { ParsedDocument } from '../../server/src/core/document';
import { IncrementalAnalyzer, MAX_CARRIED_PLANS } from '../../server/src/analysis/incremental';
import { setVerifyPlanCarry, type Expr } from '../../server/src/core/ir';
import type { ExternalValues } from '../../server/src/core/interp';
import { DEFAULT_SETTINGS, type LintSettings } from '../../server/src/core/types';
import { int, pick, rng, type Rand } from '../robust/random';
// @ts-expect-error: plain JavaScript bench helper
import { genLossFile } from '../../bench/gen-loss-file.mjs';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'rules');

function fixtureTexts(): string[] {
  const out: string[] = [];
  for (const code of fs.readdirSync(FIXTURES).sort()) {
    const dir = path.join(FIXTURES, code);
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.py')) out.push(fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  return out;
}

/** Snippets typed or pasted by the random edits: loss code, module code, imports, noqa, syntax errors. */
const SNIPPETS = [
  'x',
  ' ',
  '\n',
  '(',
  ')',
  ':',
  '0.5',
  '2',
  'gamma',
  'alpha',
  '    modulating = (1 - pt) ** gamma\n',
  '    loss = alpha * ce * (1 - pt) ** gamma\n',
  '    probs = torch.softmax(logits, dim=1)\n',
  '  # noqa\n',
  '  # noqa: LL101\n',
  'GAMMA = 0.5\n',
  'ALPHA = 0.25\n',
  'import torch.nn.functional as G\n',
  'from torchvision.ops import sigmoid_focal_loss\n',
  '\ndef predict(logits):\n    return torch.softmax(logits, dim=-1)\n',
  '\ndef helper(logits, targets, gamma=0.5):\n    ce = F.cross_entropy(logits, targets, reduction="none")\n    pt = torch.exp(-ce)\n    return ((1 - pt) ** gamma * ce).mean()\n',
  '\nloss = helper(x, y, gamma=0.3)\n',
  '\ndef focal_nodefault(logits, targets, gamma):\n    ce = F.cross_entropy(logits, targets, reduction="none")\n    pt = torch.exp(-ce)\n    return ((1 - pt) ** gamma * ce).mean()\n',
  '\ndef train_step(x, y):\n    return focal_nodefault(x, y, gamma=2.0) + helper(x, y, gamma=0.5)\n',
  '\nclass Focal(nn.Module):\n    def __init__(self, alpha=0.25, gamma=0.5):\n        super().__init__()\n        self.alpha = alpha\n        self.gamma = gamma\n\n    def forward(self, logits, targets):\n        ce = F.cross_entropy(logits, targets, reduction="none")\n        pt = torch.exp(-ce)\n        return (self.alpha * (1 - pt) ** self.gamma * ce).mean()\n',
  '\ncriterion = Focal(gamma=0.2)\n',
  'def ',
  '"""',
];

function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') out.push(i + 1);
  return out;
}

function position(text: string, offset: number): { line: number; character: number } {
  const ls = lineStarts(text);
  let line = 0;
  while (line + 1 < ls.length && ls[line + 1] <= offset) line++;
  return { line, character: offset - ls[line] };
}

/** One random edit, applied to the document as an editor would send it (an incremental change). */
function randomEdit(r: Rand, doc: ParsedDocument): void {
  const text = doc.text;
  const k = r();
  let start = int(r, text.length + 1);
  let end = start;
  let insert = '';
  if (k < 0.25) {
    end = Math.min(text.length, start + 1 + int(r, 6));
  } else if (k < 0.35) {
    // Delete or duplicate whole lines.
    const ls = lineStarts(text);
    const a = int(r, ls.length);
    const b = Math.min(ls.length - 1, a + 1 + int(r, 4));
    start = ls[a];
    end = ls[b];
    if (r() < 0.5) {
      insert = text.slice(start, end);
      end = start;
    }
  } else if (k < 0.45) {
    // Change a number.
    const m = [...text.matchAll(/\d+(\.\d+)?/g)];
    if (m.length) {
      const hit = pick(r, m);
      start = hit.index!;
      end = start + hit[0].length;
      insert = pick(r, ['0.5', '2.0', '0.25', '1', '0', '0.75']);
    }
  } else if (k < 0.5) {
    // Rename an identifier everywhere it occurs once.
    const m = [...text.matchAll(/\b(gamma|alpha|logits|targets|ce|pt|predict|helper|Focal)\b/g)];
    if (m.length) {
      const hit = pick(r, m);
      start = hit.index!;
      end = start + hit[0].length;
      insert = `${hit[0]}_${int(r, 3)}`;
    }
  } else {
    // Type or paste at a line start (keeps pasted blocks well-formed) or anywhere.
    if (r() < 0.6) start = end = lineStarts(text)[int(r, lineStarts(text).length)];
    insert = pick(r, SNIPPETS);
  }
  doc.applyChanges([{ range: { start: position(text, start), end: position(text, end) }, text: insert }]);
}

// Every plan carried over from the previous one (ir.ts carryTops) is compared with a fresh read of the tree.
setVerifyPlanCarry(true);
let carriedRuns = 0;

const NOWHERE = { s: 0, e: 0, r: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
const num = (value: number): Expr => ({ k: 'num', value, span: NOWHERE });

/** Values from other files (project/) as the index hands them over: a few maps the random runs switch between. */
const EXTERNALS: (ExternalValues | undefined)[] = [
  undefined,
  new Map([['Focal.__init__', new Map([['gamma', [num(0.5)]]])]]),
  new Map([
    ['helper', new Map([['gamma', [num(2.0), num(0.3)]]])],
    ['focal_nodefault', new Map([['gamma', [num(0.25)]]])],
  ]),
  new Map([
    ['Focal.__init__', new Map([['gamma', [num(2.0)]], ['alpha', [{ k: 'tuple', items: [num(0.25), num(0.75)], list: true, span: NOWHERE } as Expr]]])],
    ['softmax_focal_3', new Map([['gamma', [num(0.5)]]])],
    ['FocalLoss2.__init__', new Map([['gamma', [num(0.5)]]])],
    ['sigmoid_focal_1', new Map([['gamma', [num(0.4)]], ['alpha', [num(0.5)]]])],
  ]),
];

/** Returns how many of the runs reused some statement's findings. */
function runEdits(seed: number, initial: string, edits: number, settings: LintSettings[], settleEvery = 0, externals = false): number {
  const r = rng(seed);
  const doc = ParsedDocument.parse(initial);
  const inc = new IncrementalAnalyzer();
  let reusedTotal = 0;
  for (let i = 0; i <= edits; i++) {
    if (i > 0) randomEdit(r, doc);
    if (settleEvery > 0 && i % settleEvery === 0) {
      // What the server does in idle time: re-parse the same text; nothing else may change.
      const [text, revision, change] = [doc.text, doc.revision, doc.lastChange];
      while (doc.settle());
      expect([doc.text, doc.revision, doc.lastChange]).toEqual([text, revision, change]);
    }
    const s = settings[Math.floor(i / 15) % settings.length];
    const external = externals ? EXTERNALS[Math.floor(i / 7) % EXTERNALS.length] : undefined;
    const got = inc.analyze(doc, s, { external });
    if (inc.lastStats().reused > 0) reusedTotal++;
    if (inc.lastStats().carried) carriedRuns++;
    // The same tree: tree-sitter's error recovery after an incremental re-parse may differ from a
    // fresh parse of the same text (seen here), which is the parser's business, not this cache's.
    const want = analyze(doc, s, { external });
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      fs.mkdirSync('/tmp/losslint-incremental', { recursive: true });
      fs.writeFileSync(`/tmp/losslint-incremental/seed-${seed}-edit-${i}.py`, doc.text);
      const only = (a: unknown[], b: unknown[]) => a.filter((f) => !b.some((g) => JSON.stringify(g) === JSON.stringify(f)));
      fs.writeFileSync(`/tmp/losslint-incremental/seed-${seed}-edit-${i}.json`, JSON.stringify({ change: doc.lastChange, onlyIncremental: only(got, want), onlyWhole: only(want, got) }, null, 1));
    }
    expect(got, `seed ${seed}, edit ${i} (text and the differing findings in /tmp/losslint-incremental)`).toEqual(want);
  }
  return reusedTotal;
}

const SEED = Number(process.env.INCREMENTAL_SEED ?? 7);
const STRICT: LintSettings = { ...DEFAULT_SETTINGS, strict: true };
const SOME: LintSettings = { ...DEFAULT_SETTINGS, ignore: ['LL103'], severity: { LL101: 'error' } };

describe('incremental analysis equals a whole analysis', () => {
  it('on a generated 400-line loss file, over 150 random edits, under three settings', { timeout: 120_000 }, () => {
    const reused = runEdits(SEED, genLossFile(400), 150, [DEFAULT_SETTINGS, STRICT, SOME]);
    // Many runs did reuse findings (else this test would prove nothing about the cache); edits to
    // module code, imports and settings re-check everything, and the random edits make many of those.
    // Some other seeds soon paste an unclosed `"""` that turns the rest of the file into one statement
    // for good (seed 1: one statement for 145 of 150 runs), where nothing can be reused: the count is
    // calibrated on the default seed; the equality above holds for every seed.
    if (process.env.INCREMENTAL_SEED === undefined) expect(reused).toBeGreaterThan(5);
  });

  // The fixtures pasted into one file grow with every rule: the runs over them get their own timeout.
  it('with values from other files and configs (project/) that change every few edits', { timeout: 300_000 }, () => {
    const reused = runEdits(SEED + 7, genLossFile(300), 120, [DEFAULT_SETTINGS, STRICT], 0, true);
    if (process.env.INCREMENTAL_SEED === undefined) expect(reused).toBeGreaterThan(5);
    runEdits(SEED + 8, fixtureTexts().join('\n\n') + SNIPPETS.slice(-5).join(''), 80, [DEFAULT_SETTINGS], 0, true);
  });

  it('re-checks a definition when the values other files pass to it change, and only it', () => {
    const doc = ParsedDocument.parse(genLossFile(400));
    const inc = new IncrementalAnalyzer();
    inc.analyze(doc, DEFAULT_SETTINGS);
    const external: ExternalValues = new Map([['FocalLoss2.__init__', new Map([['gamma', [num(0.5)]]])]]);
    const got = inc.analyze(doc, DEFAULT_SETTINGS, { external });
    expect(got).toEqual(analyze(doc, DEFAULT_SETTINGS, { external }));
    expect(got.length).toBeGreaterThan(analyze(doc, DEFAULT_SETTINGS).length);
    const st = inc.lastStats();
    expect(st.checked).toBeLessThan(st.units / 2);
  });

  it('with the tree settled (re-parsed unchanged) between some edits, as the server does when idle', () => {
    runEdits(SEED + 1, genLossFile(300), 60, [DEFAULT_SETTINGS], 4);
  });

  it('on every rule fixture pasted into one file, over 150 random edits', { timeout: 300_000 }, () => {
    const before = carriedRuns;
    runEdits(SEED + 1, fixtureTexts().join('\n\n'), 150, [DEFAULT_SETTINGS, STRICT]);
    // Most runs carried the previous plan's statements over (and each was checked against the tree).
    expect(carriedRuns - before).toBeGreaterThan(75);
  });

  it('keys a calling statement with a syntax error by its IR: an edit after it can change how it parses', () => {
    // Seed 5 on the fixtures: at edit 37 a paste below a class with a syntax error changes tree-sitter's
    // recovery of that class (same text), and with it the literal it passes to `sigmoid_focal_loss`.
    runEdits(5, fixtureTexts().join('\n\n'), 40, [DEFAULT_SETTINGS, STRICT]);
    // Every fixture in one module, 40 edits, two settings: its time grows with the fixtures (a limit, not a measure).
  }, 300_000);

  it('on each fixture alone, 10 random edits each', { timeout: 120_000 }, () => {
    fixtureTexts().forEach((t, i) => runEdits(SEED + 100 + i, t, 10, [DEFAULT_SETTINGS]));
  });

  it('re-checks only the edited function of a large file', () => {
    const text: string = genLossFile(3000);
    const doc = ParsedDocument.parse(text);
    const inc = new IncrementalAnalyzer();
    const first = inc.analyze(doc, DEFAULT_SETTINGS);
    expect(inc.lastStats().checked).toBe(inc.lastStats().units);
    const at = doc.text.indexOf('    pt = torch.exp(-ce)\n', doc.text.length / 2);
    const pos = doc.positionAt(at);
    doc.applyChanges([{ range: { start: pos, end: pos }, text: '    modulating = (1 - pt) ** 0.5\n' }]);
    const second = inc.analyze(doc, DEFAULT_SETTINGS);
    const st = inc.lastStats();
    const moduleCode = st.checked - 1;
    expect(st.reused).toBe(st.units - 1 - moduleCode);
    expect(moduleCode).toBeLessThan(10);
    expect(second).toEqual(analyze(ParsedDocument.parse(doc.text), DEFAULT_SETTINGS));
    expect(second.length).toBeGreaterThanOrEqual(first.length);
  });

  it('carries plans over correctly with CRLF line ends and non-ASCII text (surrogate pairs included)', { timeout: 120_000 }, () => {
    const base =
      'import torch\r\nimport torch.nn.functional as F\r\n\r\n# 焦点损失 🔥\r\ndef focal(logits, targets, gamma=0.5):\r\n    ce = F.cross_entropy(logits, targets, reduction="none")  # é\r\n    pt = torch.exp(-ce)\r\n    return ((1 - pt) ** gamma * ce).mean()\r\n\r\nx = "日本語 🎉"; y = 2\r\n';
    const doc = ParsedDocument.parse(Array.from({ length: 20 }, (_, i) => base.replace('def focal', `def focal${i}`)).join('\r\n'));
    const inc = new IncrementalAnalyzer();
    inc.analyze(doc, DEFAULT_SETTINGS);
    const r = rng(SEED + 50);
    const typed = ['x', '🔥', '\r\n', '(', ')', '日', ' ', '    pt = 1\r\n', '"'];
    let carried = 0;
    for (let k = 0; k < 300; k++) {
      const off = int(r, doc.text.length);
      const end = r() < 0.3 ? Math.min(doc.text.length, off + int(r, 4)) : off;
      doc.applyChanges([{ range: { start: doc.positionAt(off), end: doc.positionAt(end) }, text: pick(r, typed) }]);
      const got = inc.analyze(doc, DEFAULT_SETTINGS);
      if (inc.lastStats().carried) carried++;
      expect(got, `edit ${k}`).toEqual(analyze(doc, DEFAULT_SETTINGS));
    }
    // Each carried plan was also compared with a fresh read of the tree (setVerifyPlanCarry above).
    expect(carried).toBeGreaterThan(150);
  });

  it('carries the plan over to the next keystroke for the most recently analysed documents only', () => {
    const n = MAX_CARRIED_PLANS + 2;
    const docs = Array.from({ length: n }, (_, i) => ParsedDocument.parse(`import torch\n\ndef f${i}(x):\n    return torch.sigmoid(x)\n`));
    const incs = docs.map(() => new IncrementalAnalyzer());
    docs.forEach((d, i) => incs[i].analyze(d, DEFAULT_SETTINGS));
    const type = (i: number): boolean => {
      const d = docs[i];
      const end = d.positionAt(d.text.length);
      d.applyChanges([{ range: { start: end, end }, text: '#' }]);
      const got = incs[i].analyze(d, DEFAULT_SETTINGS);
      expect(got).toEqual(analyze(d, DEFAULT_SETTINGS));
      return incs[i].lastStats().carried;
    };
    // The first two documents' plans were dropped when the last ones were analysed; the newest are kept.
    expect(type(0)).toBe(false);
    expect(type(n - 1)).toBe(true);
    expect(type(0)).toBe(true);
  });

  it('re-checks a function when a call site in another function changes the literal it passes', () => {
    const callee =
      'import torch\nimport torch.nn.functional as F\n\ndef focal(logits, targets, gamma):\n    ce = F.cross_entropy(logits, targets, reduction="none")\n    pt = torch.exp(-ce)\n    return ((1 - pt) ** gamma * ce).mean()\n\n';
    const doc = ParsedDocument.parse(`${callee}def train(x, y):\n    return focal(x, y, gamma=2.0)\n`);
    const inc = new IncrementalAnalyzer();
    expect(inc.analyze(doc, DEFAULT_SETTINGS).map((f) => f.code)).not.toContain('LL103');
    const at = doc.text.indexOf('gamma=2.0');
    doc.applyChanges([{ range: { start: doc.positionAt(at + 6), end: doc.positionAt(at + 9) }, text: '0.5' }]);
    const got = inc.analyze(doc, DEFAULT_SETTINGS);
    expect(got).toEqual(analyze(ParsedDocument.parse(doc.text), DEFAULT_SETTINGS));
    expect(got.map((f) => f.code)).toContain('LL103');
  });

  it('re-checks a helper when a caller of its caller changes the value passed on to it', () => {
    const helper =
      'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\ndef focal(logits, targets, gamma):\n    ce = F.cross_entropy(logits, targets, reduction="none")\n    pt = torch.exp(-ce)\n    return ((1 - pt) ** gamma * ce).mean()\n\n';
    const cls =
      'class Focal(nn.Module):\n    def __init__(self, gamma):\n        super().__init__()\n        self.gamma = gamma\n\n    def forward(self, x, y):\n        return focal(x, y, self.gamma)\n\n';
    const doc = ParsedDocument.parse(`${helper}${cls}def build():\n    return Focal(gamma=2.0)\n`);
    const inc = new IncrementalAnalyzer();
    expect(inc.analyze(doc, DEFAULT_SETTINGS).map((f) => f.code)).not.toContain('LL103');
    // `build` mentions only `Focal`; the value reaches `focal` through Focal.forward's `self.gamma`.
    const at = doc.text.indexOf('gamma=2.0');
    doc.applyChanges([{ range: { start: doc.positionAt(at + 6), end: doc.positionAt(at + 9) }, text: '0.5' }]);
    const got = inc.analyze(doc, DEFAULT_SETTINGS);
    expect(got).toEqual(analyze(ParsedDocument.parse(doc.text), DEFAULT_SETTINGS));
    expect(got.map((f) => f.code)).toContain('LL103');
  });

  it('re-checks a reused statement when a module summary it read changes (LL107)', () => {
    const head = 'import torch\nimport torch.nn.functional as F\n\n';
    const predict = 'def predict(logits):\n    return torch.softmax(logits, dim=-1)\n\n';
    const train =
      'def train_loss(logits, targets, gamma=2.0):\n    p = torch.sigmoid(logits)\n    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")\n    p_t = p * targets + (1 - p) * (1 - targets)\n    return ((1 - p_t) ** gamma * ce).mean()\n';
    const doc = ParsedDocument.parse(head + predict + train);
    const inc = new IncrementalAnalyzer();
    expect(inc.analyze(doc, DEFAULT_SETTINGS).map((f) => f.code)).toContain('LL107');
    // Break the training function's sigmoid: predict's text is unchanged, but its finding must go.
    const at = doc.text.indexOf('torch.sigmoid(logits)');
    doc.applyChanges([{ range: { start: doc.positionAt(at), end: doc.positionAt(at + 'torch.sigmoid'.length) }, text: 'torch.relu' }]);
    const got = inc.analyze(doc, DEFAULT_SETTINGS);
    expect(got).toEqual(analyze(ParsedDocument.parse(doc.text), DEFAULT_SETTINGS));
    expect(got.map((f) => f.code)).not.toContain('LL107');
  });
});

describe('ParsedDocument.settle', () => {
  it('re-parses a freshly parsed tree three times, then has nothing left until the next full parse', () => {
    const text = genLossFile(200);
    const doc = ParsedDocument.parse(text);
    const tree = doc.tree.rootNode.toString();
    const trees = [doc.tree];
    expect(doc.settle()).toBe(true);
    trees.push(doc.tree);
    expect(doc.settle()).toBe(true);
    expect(doc.settle()).toBe(false);
    trees.push(doc.tree);
    expect(doc.settle()).toBe(false);
    expect(doc.tree).toBe(trees[2]);
    expect(new Set(trees).size).toBe(3);
    expect(doc.tree.rootNode.toString()).toBe(tree);
    expect([doc.text, doc.revision]).toEqual([text, 0]);
    // Incremental edits settle it as they go; a full replacement starts over.
    doc.applyChanges([{ text: `${text}\n` }]);
    expect(doc.settle()).toBe(true);
    const edited = ParsedDocument.parse(text);
    for (let i = 0; i < 3; i++) edited.applyChanges([{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '#' }]);
    expect(edited.settle()).toBe(false);
  });
});
