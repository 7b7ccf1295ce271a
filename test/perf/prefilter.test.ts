/**
 * The text prefilter (server/src/core/prefilter.ts) must never hide a finding.
 *
 * 1. On every rule fixture, example and a standard library sample, the analysis of every file that
 *    the prefilter rejects finds nothing, so output with and without it is identical.
 * 2. Lemma 3 of its proof, on the same texts and on randomly damaged copies of the fixtures (where
 *    tree-sitter's error recovery builds odd trees): every call the IR resolves to a creating op
 *    (qualified, or a creating tensor method) is in a text the prefilter keeps.
 * 3. Files that reach for an op without importing anything (`x.sigmoid()`) are kept.
 * 4. The CLI's sliced analysis (analysis/slice.ts), which checks only the statements that can have
 *    findings, gives exactly `analyze`'s findings on every kept file, damaged copies included.
 *
 * Untimed: it checks equality, not speed. LOSSLINT_STDLIB=all checks the whole standard library.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../server/src/analysis/analyze';
import { ParsedDocument } from '../../server/src/core/document';
import { buildModule, planModule, walkExprs, type Call, type Expr, type Stmt } from '../../server/src/core/ir';
import { codeText, sureCodeText, CREATING_OPS, isAliasString, mayHaveFindings, statementMayCreate } from '../../server/src/core/prefilter';
import { analyzeSliced, calledIn, namesOutsideStrings, sliceStats } from '../../server/src/analysis/slice';
import { DEFAULT_SETTINGS, type LintSettings } from '../../server/src/core/types';
import { rng } from '../robust/random';

const ROOT = path.resolve(__dirname, '../..');
const STRICT: LintSettings = { ...DEFAULT_SETTINGS, strict: true };

function pyFiles(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'site-packages' && e.name !== 'node_modules') pyFiles(p, out);
    } else if (e.name.endsWith('.py')) out.push(p);
  }
  return out.sort();
}

function read(file: string): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(file));
  } catch {
    return undefined;
  }
}

function stdlibDir(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      const dir = execFileSync(py, ['-c', "import sysconfig;print(sysconfig.get_paths()['stdlib'])"], { encoding: 'utf8' }).trim();
      if (dir && fs.existsSync(dir)) return dir;
    } catch {
      // try the next interpreter
    }
  }
  return undefined;
}

/** Every n-th file, so the sample spreads over the whole tree. */
function sample<T>(items: T[], max: number): T[] {
  if (process.env.LOSSLINT_STDLIB === 'all' || items.length <= max) return items;
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)]);
}

/** The calls of creating ops (Lemma 1), qualified or methods, anywhere in the module (bodies, defaults, class bases excluded). */
function creatingCalls(text: string): Call[] {
  const doc = ParsedDocument.parse(text);
  const mod = buildModule(doc.tree.rootNode);
  const out: Call[] = [];
  const visit = (e: Expr | undefined): void => {
    if (!e) return;
    for (const x of walkExprs(e)) {
      if (x.k === 'call' && x.op && CREATING_OPS.has(x.op.id) && (x.callee !== undefined || x.method)) out.push(x);
    }
  };
  const stmts = (ss: Stmt[]): void => {
    for (const s of ss) {
      if (s.k === 'assign') {
        visit(s.value);
        for (const t of s.targets) if (t.k === 'attr' || t.k === 'subscript') visit(t.obj);
      } else if (s.k === 'expr' || s.k === 'return') visit(s.value);
      else if (s.k === 'if') {
        visit(s.test);
        stmts(s.body);
        stmts(s.orelse);
      } else if (s.k === 'other') stmts(s.body);
    }
  };
  stmts(mod.body);
  for (const fn of mod.functions) {
    for (const p of fn.params) visit(p.default);
    stmts(fn.body);
  }
  for (const e of mod.globals.values()) visit(e);
  for (const c of mod.callSites) {
    c.args.forEach(visit);
    Object.values(c.kwargs).forEach(visit);
  }
  return out;
}

function corpus(): { name: string; text: string }[] {
  const files = [...pyFiles(path.join(ROOT, 'test/fixtures')), ...pyFiles(path.join(ROOT, 'examples')), ...pyFiles(path.join(ROOT, 'test/rules'))];
  const std = stdlibDir();
  if (std) files.push(...sample(pyFiles(std), 250));
  const out: { name: string; text: string }[] = [];
  for (const f of files) {
    const text = read(f);
    if (text !== undefined && text.length < 2_000_000) out.push({ name: path.relative(ROOT, f), text });
  }
  return out;
}


const JUNK = ['(', ')', '[', ']', ':', '\n', '\\\n', ' if ', ' import ', ' from ', '.', ',', '#', '"', "'", '$', '?', '!', ' = ', '**', '\n    ', 'def ', 'class ', ' as '];

function damage(text: string, random: () => number): string {
  let t = text;
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (t.length + 1));
    if (random() < 0.5) {
      const len = Math.floor(random() * 12);
      t = t.slice(0, at) + t.slice(at + len);
    } else {
      t = t.slice(0, at) + JUNK[Math.floor(random() * JUNK.length)] + t.slice(at);
    }
  }
  return t;
}

const FILES = corpus();

describe('prefilter', () => {
  it('has a corpus: fixtures, examples and standard library files', () => {
    expect(FILES.filter((f) => f.name.startsWith('test/fixtures')).length).toBeGreaterThan(10);
    expect(FILES.length).toBeGreaterThan(50);
  });

  it('keeps every file with a finding: output with and without the prefilter is identical', { timeout: 600_000 }, () => {
    let rejected = 0;
    const hidden: string[] = [];
    let stdlib = 0;
    for (const { name, text } of FILES) {
      const fromStdlib = !name.startsWith('test/') && !name.startsWith('examples/');
      if (fromStdlib) stdlib++;
      if (mayHaveFindings(text)) continue;
      if (fromStdlib) rejected++;
      const doc = ParsedDocument.parse(text);
      for (const settings of [DEFAULT_SETTINGS, STRICT]) {
        const findings = analyze(doc, settings);
        if (findings.length > 0) hidden.push(`${name}: ${findings.map((f) => `${f.code}@${f.range.start.line + 1}`).join(', ')}`);
      }
    }
    expect(hidden).toEqual([]);
    // The filter has to be useful too: most of the standard library has no deep-learning code (the
    // fixtures, which grow with every rule, all have some and are not counted).
    if (stdlibDir()) expect(rejected).toBeGreaterThan(stdlib / 2);
  });

  it('keeps every text where the IR resolves a creating call (Lemma 3), damaged texts included', { timeout: 600_000 }, () => {
    const random = rng(6);
    const missed: string[] = [];
    const check = (name: string, text: string): void => {
      if (mayHaveFindings(text)) return;
      const calls = creatingCalls(text);
      if (calls.length > 0) missed.push(`${name}: ${JSON.stringify(text.slice(calls[0].span.s, calls[0].span.e))}`);
    };
    for (const { name, text } of FILES) check(name, text);
    const seeds = FILES.filter((f) => !f.name.includes('python3'));
    for (let round = 0; round < 20; round++) {
      for (const { name, text } of seeds) {
        check(`${name} (damaged, round ${round})`, damage(text, random));
        // The same file with every import removed: only tensor methods remain.
        const noImports = text.replace(/^[ \t]*(?:import|from)[^\n]*$/gm, '');
        check(`${name} (no imports, round ${round})`, damage(noImports, random));
      }
    }
    expect(missed).toEqual([]);
  });

  it('the sliced analysis gives exactly the findings of the whole analysis (damaged copies too)', { timeout: 600_000 }, () => {
    const random = rng(9);
    let compared = 0;
    const diff: string[] = [];
    const check = (name: string, text: string): void => {
      if (!mayHaveFindings(text)) return;
      compared++;
      const doc = ParsedDocument.parse(text);
      for (const settings of [DEFAULT_SETTINGS, STRICT]) {
        const a = JSON.stringify(analyzeSliced(doc, settings));
        const b = JSON.stringify(analyze(doc, settings));
        if (a !== b) diff.push(`${name} (strict ${settings.strict})`);
      }
    };
    for (const { name, text } of FILES) check(name, text);
    const seeds = FILES.filter((f) => !f.name.includes('python3'));
    for (let round = 0; round < 5; round++) for (const { name, text } of seeds) check(`${name} (damaged, round ${round})`, damage(text, random));
    expect(diff).toEqual([]);
    expect(compared).toBeGreaterThan(100);
  });

  it('values from other files (project/) keep both equalities: rejected files stay silent, sliced = whole', { timeout: 600_000 }, () => {
    // Every plain parameter of every top-level function and `__init__` gets literals from "elsewhere".
    const NOWHERE = { s: 0, e: 0, r: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
    const literals: Expr[] = [
      { k: 'num', value: 0.5, span: NOWHERE },
      { k: 'num', value: 2, span: NOWHERE },
      { k: 'str', value: 'none', span: NOWHERE },
      { k: 'const', value: true, span: NOWHERE },
      { k: 'tuple', items: [{ k: 'num', value: 0.25, span: NOWHERE }, { k: 'num', value: 0.75, span: NOWHERE }], list: true, span: NOWHERE },
    ];
    const random = rng(11);
    const diff: string[] = [];
    let compared = 0;
    for (const { name, text } of FILES.filter((f) => !f.name.includes('python3') || random() < 0.2)) {
      const mod = buildModule(ParsedDocument.parse(text).tree.rootNode, text);
      const external = new Map<string, Map<string, Expr[]>>();
      for (const fn of mod.functions) {
        if (fn.parent || fn.isModule || (fn.className && fn.name !== '__init__')) continue;
        const params = new Map<string, Expr[]>();
        for (const p of fn.params) if (p.kind === 'plain' && p.name !== 'self') params.set(p.name, [literals[Math.floor(random() * literals.length)]]);
        external.set(fn.qualname, params);
      }
      const doc = ParsedDocument.parse(text);
      const whole = JSON.stringify(analyze(doc, DEFAULT_SETTINGS, { external }));
      if (!mayHaveFindings(text)) {
        if (whole !== '[]') diff.push(`${name}: rejected by the prefilter, findings with external values`);
        continue;
      }
      compared++;
      if (JSON.stringify(analyzeSliced(doc, DEFAULT_SETTINGS, { external })) !== whole) diff.push(name);
    }
    expect(diff).toEqual([]);
    expect(compared).toBeGreaterThan(50);
  });

  it('the sliced analysis checks definitions that reach framework values only through globals or call sites', () => {
    // `criterion` is a global built by a framework call; `focal` itself has no framework word.
    const viaGlobal = [
      'import torch',
      'criterion = torch.nn.CrossEntropyLoss()',
      '',
      'def focal(logits, targets, gamma=0.5):',
      '    ce = criterion(logits, targets)',
      '    pt = (-ce).exp()',
      '    return ((1 - pt) ** gamma * ce).mean()',
      '',
    ].join('\n');
    // `modulate` gets a framework value only as a literal passed by a call site that names a global.
    const viaLiteral = [
      'import torch',
      'import torch.nn.functional as F',
      'PT = torch.exp(-F.cross_entropy(torch.zeros(4, 3), torch.zeros(4).long(), reduction="none"))',
      '',
      'def modulate(pt, gamma=0.5):',
      '    return ((1 - pt) ** gamma).mean()',
      '',
      'def train():',
      '    return modulate(PT)',
      '',
    ].join('\n');
    // `step` has no framework word, but passes the literal that `focal`'s gamma gets: its body is built.
    const viaMethod = [
      'import torch',
      'import torch.nn.functional as F',
      '',
      'def focal(logits, targets, gamma):',
      '    ce = F.cross_entropy(logits, targets, reduction="none")',
      '    pt = torch.exp(-ce)',
      '    return ((1 - pt) ** gamma * ce).mean()',
      '',
      'class Trainer:',
      '    def step(self, x, y):',
      '        return focal(x, y, gamma=0.5)',
      '',
    ].join('\n');
    for (const text of [viaGlobal, viaLiteral, viaMethod]) {
      const doc = ParsedDocument.parse(text);
      // Sliced first: a whole analysis would fill the IR cache with full method bodies.
      const sliced = analyzeSliced(doc, DEFAULT_SETTINGS);
      const whole = analyze(doc, DEFAULT_SETTINGS);
      expect(whole.length).toBeGreaterThan(0);
      expect(sliced).toEqual(whole);
    }
  });

  it('module code that can pass nothing to a checked statement is left out; what passes a value through module code is kept', () => {
    const loss = [
      'import argparse',
      'import logging',
      'import torch',
      'import torch.nn.functional as F',
      '',
      'logger = logging.getLogger(__name__)',
      'GAMMA = G0',
      'print("loading the focal loss (gamma, alpha)")',
      'unused = {"a": 1}',
      'unused["b"] = 2',
      '',
      'class Focal(torch.nn.Module):',
      '    def __init__(self, gamma=2.0):',
      '        super().__init__()',
      '        self.gamma = gamma',
      '',
      '    def forward(self, logits, targets):',
      '        ce = F.cross_entropy(logits, targets, reduction="none")',
      '        pt = torch.exp(-ce)',
      '        return ((1 - pt) ** self.gamma * ce).mean()',
      '',
      'def focal(logits, targets, gamma=GAMMA):',
      '    ce = F.cross_entropy(logits, targets, reduction="none")',
      '    pt = torch.exp(-ce)',
      '    return ((1 - pt) ** gamma * ce).mean()',
      '',
      'parser = argparse.ArgumentParser()',
      'parser.add_argument("--gamma", type=float, default=G1)',
      'args = parser.parse_args()',
      'crit = Focal()',
      'crit.gamma = G2',
      'other = Focal(gamma=args.gamma)',
      'xs = []',
      'xs.append(3)',
      '',
    ].join('\n');
    // Each variant passes gamma 0.5 through one of the module statements only.
    for (let which = 0; which < 3; which++) {
      let text = loss;
      for (let g = 0; g < 3; g++) text = text.replace(`G${g}`, g === which ? '0.5' : '2.0');
      const doc = ParsedDocument.parse(text);
      let skipped: string[] = [];
      const sliced = analyzeSliced(doc, DEFAULT_SETTINGS, { onSliced: (x) => (skipped = [...(x.skipped ?? [])].map((i) => x.plan.units[i].text.split(/[ =([.]/)[0])) });
      const whole = analyze(doc, DEFAULT_SETTINGS);
      expect(whole.map((f) => f.code), text).toContain('LL103');
      expect(sliced).toEqual(whole);
      expect(skipped.sort()).toEqual(['logger', 'print', 'unused', 'unused', 'xs', 'xs']);
    }
  });

  it('the names a statement refers to and calls (slice.ts namesOutsideStrings, calledIn) hold every name and named call of its IR, damaged texts included', { timeout: 600_000 }, () => {
    const random = rng(17);
    const missed: string[] = [];
    let names = 0;
    let calls = 0;
    const check = (name: string, text: string): void => {
      const code = sureCodeText(text);
      // The slice reads every word of a text whose code is not sure, and of a statement with a syntax error.
      if (code === undefined) return;
      const doc = ParsedDocument.parse(text);
      const units = planModule(doc.tree.rootNode, text, { lazy: true }).units.filter((u) => !u.hasError);
      const mod = buildModule(doc.tree.rootNode, text);
      const memo = new Map<number, { refs: Set<string>; called: Set<string> }>();
      const at = (s: number): { refs: Set<string>; called: Set<string> } | undefined => {
        const u = units.find((x) => x.s <= s && s < x.e);
        if (!u) return undefined;
        let v = memo.get(u.index);
        if (!v) memo.set(u.index, (v = { refs: namesOutsideStrings(code, u.s, u.e), called: calledIn(code, u.s, u.e) }));
        return v;
      };
      const seen = new Set<object>();
      const visit = (x: unknown): void => {
        if (!x || typeof x !== 'object' || seen.has(x)) return;
        seen.add(x);
        if (Array.isArray(x)) {
          for (const y of x) visit(y);
          return;
        }
        const e = x as Expr;
        if (e.k === 'name' && typeof e.id === 'string' && e.span) {
          const w = at(e.span.s);
          names++;
          if (w && !w.refs.has(e.id)) missed.push(`${name}: name ${e.id} at ${e.span.s}`);
        }
        if (e.k === 'call' && e.span) {
          const w = at(e.span.s);
          const callee = e.func.k === 'name' ? e.func.id : undefined;
          const partial = e.callee === 'functools.partial' && e.args[0]?.k === 'name' ? e.args[0].id : undefined;
          for (const c of [callee, partial]) {
            if (c === undefined) continue;
            calls++;
            if (w && !w.called.has(c)) missed.push(`${name}: call of ${c} at ${e.span.s}`);
          }
        }
        for (const [k, v] of Object.entries(x)) if (k !== 'parent' && k !== 'op' && k !== 'spell' && k !== 'bound') visit(v);
      };
      visit(mod.body);
      for (const fn of mod.functions) visit(fn);
      for (const cls of mod.classDefs) {
        // A base class and a parameter's annotation are read as names of the module's classes (interp.ts).
        const w = at(cls.span.s);
        for (const b of cls.bases) if (w && /^[A-Za-z_]\w*$/.test(b) && !w.refs.has(b)) missed.push(`${name}: base ${b}`);
      }
      for (const fn of mod.functions) {
        const w = at(fn.span.s);
        for (const p of fn.params) if (w && p.annotation && /^[A-Za-z_]\w*$/.test(p.annotation) && !w.refs.has(p.annotation)) missed.push(`${name}: annotation ${p.annotation}`);
      }
    };
    for (const { name, text } of FILES) check(name, text);
    const seeds = FILES.filter((f) => !f.name.includes('python3'));
    for (let round = 0; round < 3; round++) for (const { name, text } of seeds) check(`${name} (damaged, round ${round})`, damage(text, random));
    expect(missed).toEqual([]);
    expect(names).toBeGreaterThan(10_000);
    expect(calls).toBeGreaterThan(1_000);
    // The words of strings are no names; the words before `(` and partial's first argument are calls.
    const t = 'x = f(a, "helper", \'torch.nn\') + g (b) + functools.partial(h, 1)("s")\n';
    expect([...namesOutsideStrings(t, 0, t.length)].sort()).toEqual(['a', 'b', 'f', 'functools', 'g', 'h', 'partial', 'x']);
    expect([...calledIn(t, 0, t.length)].sort()).toEqual(['f', 'g', 'h', 'partial']);
    // Python's names may be non-ASCII.
    const u = 'y = größe(1) + partial(δ, 2)\n';
    expect([...calledIn(u, 0, u.length)].sort()).toEqual(['größe', 'partial', 'δ']);
    expect([...namesOutsideStrings(u, 0, u.length)].sort()).toEqual(['größe', 'partial', 'y', 'δ']);
  });

  it('a definition a hot statement names only in a string is not built, one it only writes as a value is not checked; sliced = whole', () => {
    const text = [
      'import torch',
      'import torch.nn.functional as F',
      '',
      'def helper(x):',
      '    return x * 2',
      '',
      'def act(x):',
      '    return x + 1',
      '',
      'def scale(x, k=3):',
      '    return x * k',
      '',
      '__all__ = ["helper", "softmax"]',
      'ACTIVATIONS = [F.softmax, act]',
      'WEIGHT = scale(F.sigmoid(torch.zeros(3)))',
      '',
      'def focal(logits, targets, gamma=2.0):',
      '    ce = F.cross_entropy(logits, targets, reduction="none")',
      '    pt = torch.exp(-ce)',
      '    return ((1 - pt) ** gamma * ce * WEIGHT).mean()',
      '',
      'def weak(logits, targets):',
      '    return focal(logits, targets, gamma=0.5)',
      '',
    ].join('\n');
    const doc = ParsedDocument.parse(text);
    let built: string[] = [];
    let interpreted: string[] = [];
    const sliced = analyzeSliced(doc, DEFAULT_SETTINGS, {
      onSliced: (x) => {
        built = [...x.built].map((i) => /^def (\w+)/.exec(x.plan.units[i].text)?.[1] ?? '').filter((n) => n);
        interpreted = [...x.facts.functions.keys()].map((f) => f.qualname);
      },
    });
    const whole = analyze(doc, DEFAULT_SETTINGS);
    expect(whole.map((f) => f.code)).toContain('LL103');
    expect(sliced).toEqual(whole);
    // `scale` is called with a hot value: built and checked; `act` is a value there: built (a call of
    // the value would return what it computes), not checked; `helper` is only a word of a string.
    expect(built.sort()).toEqual(['act', 'focal', 'scale', 'weak']);
    expect(interpreted).toContain('scale');
    expect(interpreted).not.toContain('act');
  });

  it('a statement with a creating framework call, a creating method, an alias string or y_pred may create; others may not', () => {
    const imports = new Map([['F', 'torch.nn.functional'], ['np', 'numpy'], ['sigmoid_focal_loss', 'torchvision.ops.sigmoid_focal_loss']]);
    expect(statementMayCreate('def f(x):\n    return F.softmax(x, 1)\n', imports)).toBe(true);
    expect(statementMayCreate('def f(x, t):\n    return sigmoid_focal_loss(x, t)\n', imports)).toBe(true);
    expect(statementMayCreate('def f(x):\n    return x.log()\n', imports)).toBe(true);
    // numpy is a framework of the op table: np.exp is a qualified op, imported or not.
    expect(statementMayCreate('def f(x):\n    return np.exp(x) * 2\n', imports)).toBe(true);
    expect(statementMayCreate('def f(x):\n    return math.exp(x) * 2\n', imports)).toBe(false);
    expect(statementMayCreate('def f(F):\n    return F\n', new Map())).toBe(false);
    // Framework calls that only build or move tensors create nothing.
    expect(statementMayCreate('def f(x):\n    return F.pad(np.zeros(3), (1, 1)).view(-1)\n', imports)).toBe(false);
    // A creating function's name with no framework root in the statement or the imports.
    expect(statementMayCreate('def f(x):\n    return logsigmoid(x)\n', imports)).toBe(false);
    // ... unless the module star-imports a framework module (`logsigmoid` is then torch's).
    expect(statementMayCreate('def f(x):\n    return logsigmoid(x)\n', new Map([['*torch.nn.functional', 'torch.nn.functional']]))).toBe(true);
    // Alias strings and y_pred count without a root: a module constant carries the string to the layer
    // (an activation name counts as a word anywhere in the statement, in any case).
    expect(statementMayCreate('ACT = "Softmax"\n', new Map())).toBe(true);
    expect(statementMayCreate('LOSS = "binary_crossentropy"\n', new Map())).toBe(true);
    expect(statementMayCreate('def f(y_true, y_pred):\n    return y_pred\n', new Map())).toBe(true);
  });

  it('keeps loss code that imports nothing but calls tensor methods', () => {
    const text = ['def focal(logits, targets, gamma=0.5):', '    p = logits.sigmoid()', '    return ((1 - p) ** gamma).mean()', ''].join('\n');
    expect(analyze(ParsedDocument.parse(text), DEFAULT_SETTINGS).map((f) => f.code)).toContain('LL103');
    expect(mayHaveFindings(text)).toBe(true);
    expect(mayHaveFindings(text.replace('logits.sigmoid()', 'logits.\\\n        sigmoid()'))).toBe(true);
    expect(mayHaveFindings(text.replace('logits.sigmoid()', '(logits.  # note\n        sigmoid())'))).toBe(true);
  });

  it('keeps a conventional module name whose dot error recovery reaches over stray punctuation', () => {
    const text = ['def focal(y, t):', '    return F$.cross_entropy(y, t)', ''].join('\n');
    // The IR resolves the call (tree-sitter skips the `$`), so the filter must keep the text.
    expect(creatingCalls(text).length).toBeGreaterThan(0);
    expect(mayHaveFindings(text)).toBe(true);
    expect(mayHaveFindings(text.replace('F$.', 'F ?.'))).toBe(true);
    expect(mayHaveFindings(['def f(a, b):', '    return a.b', ''].join('\n'))).toBe(false);
  });

  it('a method that takes no arguments is the op only with empty parentheses, in the IR and in the filter', () => {
    const ops = (text: string): (string | undefined)[] => {
      const out: (string | undefined)[] = [];
      for (const fn of buildModule(ParsedDocument.parse(text).tree.rootNode).functions.values()) {
        for (const s of fn.body) if (s.k === 'return' && s.value?.k === 'call') out.push(s.value.op?.id);
      }
      return out;
    };
    const calls = ['p.log()', 'p.log( )', 'p.log(  # why\n    )', 'p.log \\\n    ()', 'logger.log(logging.INFO, msg)', 'self.log(p)', 'p.log(*a)', 'p.log(base=2)', 'p.sigmoid(1)', 'p.exp(p)', 'p.log(', 'p.log()()'];
    const expected = ['log', 'log', 'log', 'log', undefined, undefined, undefined, undefined, undefined, undefined];
    for (const [i, call] of calls.slice(0, expected.length).entries()) {
      const text = `def f(p, logger, msg):\n    return ${call}\n`;
      expect(ops(text), call).toEqual([expected[i]]);
      // The filter says yes exactly where the IR found the op: nothing else in these texts creates.
      expect(mayHaveFindings(text), call).toBe(expected[i] !== undefined);
    }
    // A loss that logs through a logger is still read; the logger's call is not a reason to parse.
    const focal = ['def focal(p, gamma=0.5):', '    return -((1 - p) ** gamma) * p.log()', ''].join('\n');
    expect(analyze(ParsedDocument.parse(focal), DEFAULT_SETTINGS).map((f) => f.code)).toContain('LL103');
    const logging = focal.replace('p.log()', 'logger.log(20, p)');
    expect(analyze(ParsedDocument.parse(logging), DEFAULT_SETTINGS)).toEqual([]);
    expect(mayHaveFindings(logging)).toBe(false);
    // Damaged around the parentheses: whatever the IR resolves, the filter keeps (Lemma 3).
    const random = rng(12);
    const seed = ['def f(p, q, logger):', ...calls.map((c) => `    x = ${c}`), '    y = (q.log() + q.sigmoid()) * logger.log(1, q)', '    return x', ''].join('\n');
    const missed: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const text = damage(seed, random);
      if (!mayHaveFindings(text) && creatingCalls(text).length > 0) missed.push(JSON.stringify(text));
    }
    expect(missed).toEqual([]);
  });

  it('keeps a function handed a framework module by keyword (`backend = kwargs["backend"]`), with no import', () => {
    const src = 'def f(gt, pr, **kwargs):\n    backend = kwargs["backend"]\n    return backend.mean(-gt * backend.log(pr))\n';
    expect(mayHaveFindings(src)).toBe(true);
    expect(mayHaveFindings(src.replace('kwargs["backend"]', 'kwargs.get("backend")'))).toBe(true);
    // A power (`x ** k`) is no keyword parameter.
    expect(mayHaveFindings('def f(x, k):\n    y = x ** k\n    return k[0] + y.mean()\n')).toBe(false);
  });

  it('rejects ordinary Python and framework code without a creating op; keeps every import spelling of the frameworks with one', () => {
    expect(mayHaveFindings('import os\n\ndef f(x):\n    return os.path.join(x, "F")\n')).toBe(false);
    expect(mayHaveFindings('import math\nK = 3\nF = math.floor(2.5)\n')).toBe(false);
    // Framework code that only builds, moves and reshapes tensors (most of torch's own sources).
    expect(mayHaveFindings('import torch\n\ndef f(x, y):\n    return torch.cat([x.view(-1), torch.zeros(3)]).to(y.device)\n')).toBe(false);
    expect(mayHaveFindings('import torch.nn as nn\nnet = nn.Sequential(nn.Linear(3, 4), nn.ReLU())\n')).toBe(false);
    // A creating op's name without a framework root is no qualified call (and no method call).
    expect(mayHaveFindings('def softmax(x):\n    return x\n\ny = softmax(3)\n')).toBe(false);
    const heads: [string, string][] = [
      ['import torch', 'torch.sigmoid(x)'],
      ['from torch import nn', 'nn.Softmax(dim=1)(x)'],
      ['import tensorflow as tf', 'tf.nn.softmax(x)'],
      ['import keras', 'keras.activations.softmax(x)'],
      ['import os, \\\n    jax', 'jax.nn.log_softmax(x)'],
      ['from jax import nn', 'nn.sigmoid(x)'],
      ['import optax', 'optax.sigmoid_focal_loss(x, t)'],
      ['import mmcv', 'mmcv.ops.sigmoid_focal_loss(x, t)'],
      ['from monai.losses import FocalLoss', 'FocalLoss()(x, t)'],
      ['from torch.nn.functional import *', 'log_softmax(x, 1)'],
      ['', 'F.softmax(x)'],
      ['', 'tf  # comment\n    .sigmoid(x)'],
    ];
    for (const [head, call] of heads) {
      expect(mayHaveFindings(`${head}\ny = ${call}\n`), `${head} ${call}`).toBe(true);
      // The same import with only tensor plumbing (an import that names a loss class is a reason itself).
      if (head && !head.includes('FocalLoss')) expect(mayHaveFindings(`${head}\ny = x.reshape(-1)\n`), head).toBe(false);
    }
  });

  it('keeps what the interpreter reads as an activation or a loss without a creating op name: alias strings, y_pred, hand-written activations', () => {
    // A Keras layer's activation and a compiled loss given by name, in any case for activations.
    expect(mayHaveFindings('import keras\nm = keras.Sequential([keras.layers.Dense(3, activation="SOFTMAX")])\n')).toBe(true);
    expect(mayHaveFindings('import keras\nm = keras.Sequential([keras.layers.Dense(3)])\nm.compile(loss="categorical_crossentropy")\n')).toBe(true);
    expect(mayHaveFindings('import keras\nm = keras.Sequential([keras.layers.Dense(3, activation="relu")])\n')).toBe(false);
    expect(mayHaveFindings('def loss(y_true, y_pred):\n    return y_true * y_pred\n')).toBe(true);
    // Softmax and sigmoid written out (algebra.ts): found, and kept by the filter.
    const handWritten = [
      ['def f(x, gamma=0.5):', '    p = x.sigmoid()', '    q = p / p.sum(1, keepdim=True)', '    return (1 - q) ** gamma', ''],
      ['def f(x, gamma=0.5):', '    e = x.exp()', '    p = e / e.sum(1, keepdim=True)', '    return (1 - p) ** gamma', ''],
      ['def f(x, gamma=0.5):', '    p = 1 / (1 + x.exp())', '    return (1 - p) ** gamma', ''],
    ].map((l) => l.join('\n'));
    for (const text of handWritten) {
      expect(analyze(ParsedDocument.parse(text), DEFAULT_SETTINGS).map((f) => f.code), text).toContain('LL103');
      expect(mayHaveFindings(text), text).toBe(true);
    }
    // A tensor of unknown sign over its own sum, or any tensor over its mean, is no distribution:
    // nothing to find, and nothing to parse for.
    const notNormalised = [
      ['def f(x, gamma=0.5):', '    p = x / x.sum(1, keepdim=True)', '    return (1 - p) ** gamma', ''],
      ['def f(x, gamma=0.5):', '    p = x / x.mean(1, keepdim=True)', '    return (1 - p) ** gamma', ''],
    ].map((l) => l.join('\n'));
    for (const text of notNormalised) {
      expect(analyze(ParsedDocument.parse(text), DEFAULT_SETTINGS).map((f) => f.code), text).toEqual([]);
      expect(mayHaveFindings(text), text).toBe(false);
    }
  });
});

describe('codeText: comments and docstrings are not code', () => {
  const blankOf = (s: string) => s.replace(/[^\r\n]/g, ' ');
  it('blanks comments and bare string statements, keeping offsets and line breaks', () => {
    const doc = '"""Uses torch.softmax(x)\nand log_softmax."""';
    const text = `import torch\n${doc}\nx = 1  # F.softmax(y)\n`;
    expect(codeText(text)).toBe(`import torch\n${blankOf(doc)}\nx = 1${blankOf('  # F.softmax(y)')}\n`);
    expect(codeText(text).length).toBe(text.length);
    expect(mayHaveFindings(text)).toBe(false);
    expect(mayHaveFindings('import torch\nx = torch.softmax(y, 1)  # a softmax\n')).toBe(true);
  });

  it('keeps strings that may be code or an alias string: f-strings, names and dotted names, in arguments, assignments, after a keyword', () => {
    for (const text of [
      'import torch\ny = f"{torch.softmax(z)}"\n',
      'import torch\nf(\n    """torch.softmax"""\n)\n',
      'act = "softmax"  # layer\n',
      'if"softmax"in s: pass\n',
      "model.compile(loss='categorical_crossentropy')\n",
    ]) {
      const out = codeText(text);
      expect(out.length).toBe(text.length);
      for (const s of text.match(/f?"[^"\n]*"|"""[\s\S]*?"""|'[^'\n]*'/g) ?? []) expect(out).toContain(s);
    }
  });

  it('blanks the content of other strings, which is no alias string (a space, a bracket, a `#` in it), keeping their quotes', () => {
    for (const [text, inner] of [
      ['x = "# torch.softmax(z)"\n', '# torch.softmax(z)'],
      ['if"a#b"in s: pass\n', 'a#b'],
      ["import torch\nadd_doc(torch.abs, r'''\nExample: torch.softmax(x, 1)\n''')\n", '\nExample: torch.softmax(x, 1)\n'],
      ['msg = b"log softmax"\n', 'log softmax'],
    ] as const) {
      const out = codeText(text);
      expect(out.length).toBe(text.length);
      expect(out).toBe(text.replace(inner, blankOf(inner)));
      expect(isAliasString(inner)).toBe(false);
    }
    // A file whose creating words are only inside such strings is not parsed.
    expect(mayHaveFindings('import torch\nmsg = "call torch.softmax(x, 1) first"\nprint(msg)\n')).toBe(false);
    expect(mayHaveFindings('import torch\nact = "softmax"\nlayer = torch.nn.Linear(2, 2)\n')).toBe(true);
  });

  it('gives the text back unchanged when unsure: a string left open, a bracket closed that was not opened', () => {
    for (const text of ['x = "open\n# torch.softmax\n', '"""never closed # torch.softmax\n', ')\n# F.softmax(x)\n']) expect(codeText(text)).toBe(text);
  });
});
