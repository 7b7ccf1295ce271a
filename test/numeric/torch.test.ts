/**
 * Differential test against real PyTorch. For every fixture loss the checker can evaluate, the
 * same function runs in torch (test/numeric/torch_driver.py imports the fixture file) on the very
 * same inputs: the loss must agree within 1e-4 relative and the NaN/inf pattern of the gradient
 * w.r.t. the logits must agree entry for entry. Our canonical sigmoid reference must match
 * torchvision.ops.sigmoid_focal_loss the same way. Both on the default backend (wasm) and on cpu:
 * the kernels must be as accurate as torch's on each (log1p, expm1, float32 sums: torchops.ts).
 * Inputs go to Python once per distinct probe input, as raw float32/int32 bytes.
 *
 * Skipped (with the reason printed) when no Python imports torch; CI installs it with
 * scripts/install-torch.sh.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModuleIR } from '../../server/src/core/ir';
import { boxShape, generateBoxes, isBoxFill, type BoxFill, type DrawnBox } from '../../server/src/numeric/gen';
import { appliedForward } from '../../server/src/numeric/autograd-fn';
import { planModule } from '../../server/src/numeric/roles';
import { moduleOf } from '../../server/src/numeric/runner';
import type { ProbeInputs } from '../../server/src/numeric/types';
import { FIXTURES, fn, loadEngine, prober, type RunOut, torchPython } from './helpers';

const { python, reason } = torchPython();
if (!python) console.log(`[numeric/torch] skipped: ${reason}`);

const N = Number(process.env.LOSSLINT_TORCH_N ?? 4096);
const C = 8;
const REL = 1e-4;
/** The default backend first; every backend listed must agree with torch on every case. */
const BACKENDS = (process.env.LOSSLINT_TORCH_BACKENDS ?? 'wasm,cpu').split(',');

interface Case {
  id: string;
  kind?: 'torchvision';
  file?: string;
  qualname?: string;
  input?: string;
  target?: string;
  hyper?: Record<string, unknown>;
  /** Values the checker gave required parameters ("__classes__", "__ones__", "__class_ones__", "__class_counts__", "__device__", ["__op__", name, keywords] or a value). */
  fill?: Record<string, unknown>;
  /** Hyperparameters passed as a one-item list (probes.ts: the function subscripts them). */
  boxed?: string[];
  /** The targets carry this many fields on a new last axis (roles.ts `targetFields`). */
  targetFields?: number;
  /** Class indices passed plus this (roles.ts `targetOffset`). */
  targetOffset?: number;
  /** Parameters passed as dicts (roles.ts `mapped`): per parameter, its keys, each holding the tensor or ones. */
  mapped?: Record<string, Record<string, string>>;
  /** The function runs a model, stood in by the prediction (roles.ts `model`). */
  model?: boolean;
  /** The targets carry one more trailing column (roles.ts `stateColumn`). */
  stateColumn?: boolean;
  /** How the function is reached (a method through its class, a closure through its factory). */
  entry?: { kind: string; owner?: string };
  /** Key of the case's probe inputs in the inputs table. */
  inputs: string;
  alpha?: number;
  gamma?: number;
  reduction?: string;
}

interface Inputs {
  shape: [number, number];
  /** Little-endian float32 bytes, base64. */
  logits: string;
  targetKind: string;
  /** int32 class indices or float32 targets, little-endian bytes, base64. */
  targets: string;
  activation?: string;
  layout?: string;
}

interface TorchResult {
  id: string;
  loss?: number | string;
  lossElements?: number;
  grad?: { nan: number[]; inf: number[] };
  error?: string;
}

function pattern(g: Float32Array): { nan: number[]; inf: number[] } {
  const nan: number[] = [];
  const inf: number[] = [];
  g.forEach((v, i) => {
    if (Number.isNaN(v)) nan.push(i);
    else if (!Number.isFinite(v)) inf.push(i);
  });
  return { nan, inf };
}

function lossAgrees(ours: number | null, theirs: number | string | undefined): boolean {
  const t = typeof theirs === 'string' ? (theirs === 'nan' ? NaN : theirs === 'inf' ? Infinity : -Infinity) : theirs;
  if (ours === null || t === undefined) return false;
  if (Number.isNaN(ours) || Number.isNaN(t)) return Number.isNaN(ours) && Number.isNaN(t);
  if (!Number.isFinite(ours) || !Number.isFinite(t)) return ours === t;
  return Math.abs(ours - t) <= REL * Math.max(Math.abs(ours), Math.abs(t)) + 1e-6;
}

const b64 = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/** Adds the probe inputs to the table (once) and returns their key. */
function inputsKey(table: Record<string, Inputs>, inp: ProbeInputs): string {
  const key = JSON.stringify([inp.seed, inp.shape, inp.std, inp.margin, inp.target, inp.activation, inp.layout]);
  if (!table[key]) {
    const g = loadEngine().generate(inp);
    table[key] = { shape: inp.shape, logits: b64(g.logits), targetKind: inp.target, targets: b64(inp.target === 'index' ? g.index : g.onehot), activation: inp.activation, layout: inp.layout };
  }
  return key;
}

function runTorch(cases: Case[], inputs: Record<string, Inputs>): Map<string, TorchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-torch-'));
  try {
    const file = path.join(dir, 'cases.json');
    fs.writeFileSync(file, JSON.stringify({ inputs, cases }));
    const out = execFileSync(python!, [path.join(__dirname, 'torch_driver.py'), file], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 600_000 });
    const parsed = JSON.parse(out) as { torch: string; results: TorchResult[] };
    console.log(`[numeric/torch] torch ${parsed.torch}: ${parsed.results.length} cases, ${Object.keys(inputs).length} distinct inputs, N = ${N}`);
    return new Map(parsed.results.map((r) => [r.id, r]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One evaluation of a case on the current backend. */
type Run = () => RunOut;

describe.skipIf(!python)('numeric checker vs real PyTorch', () => {
  const runs = new Map<string, Run>();
  const ours = new Map<string, Map<string, RunOut>>();
  const cases: Case[] = [];
  const inputs: Record<string, Inputs> = {};
  let theirs: Map<string, TorchResult>;
  const checked: string[] = [];
  const extraChecked: string[] = [];

  beforeAll(async () => {
    const engine = loadEngine();
    await engine.initBackend(BACKENDS[0]);
    // The committed fixtures, and (a local run only) the PyTorch files of LOSSLINT_TORCH_EXTRA
    // directories whose imports all import here: `LOSSLINT_TORCH_EXTRA=/work/study/pytorch/files`.
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.py')).sort().map((f) => path.join(FIXTURES, f));
    const extra = (process.env.LOSSLINT_TORCH_EXTRA ?? '').split(path.delimiter).filter(Boolean).flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.py')).sort().map((f) => path.join(d, f)));
    if (extra.length) {
      const texts = new Map(extra.map((f) => [f, fs.readFileSync(f, 'utf8')]));
      const pkgs = (t: string) => [...new Set([...t.matchAll(/^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import|import\s+([A-Za-z_][\w.]*))/gm)].map((m) => (m[1] ?? m[2]).split('.')[0]))];
      const all = [...new Set([...texts.values()].flatMap(pkgs))];
      const importable = new Set(JSON.parse(execFileSync(python!, [path.join(__dirname, 'repro_runner.py'), '--importable', ...all], { encoding: 'utf8' })) as string[]);
      const ok = extra.filter((f) => pkgs(texts.get(f)!).every((p) => importable.has(p)));
      console.log(`[numeric/torch] extra: ${ok.length} of ${extra.length} files import here`);
      files.push(...ok);
    }
    for (const file of files) {
      const name = file.startsWith(FIXTURES) ? path.basename(file) : file;
      const mod: ModuleIR = moduleOf(fs.readFileSync(file, 'utf8'));
      const pr = prober(mod, N, C);
      for (const plan of planModule(mod)) {
        if (plan.framework !== 'torch') continue;
        let setup: { encoding: ProbeInputs['target']; formulation: string; classes: number; samples?: number; layout?: ProbeInputs['layout']; plan: { inputIsProb: boolean; fill?: Record<string, { value: unknown }>; boxed?: string[]; targetFields?: number; targetOffset?: number } } | string;
        try {
          setup = pr.setup(fn(mod, plan.qualname), plan, {});
        } catch {
          continue; // unsupported: covered by the coverage test
        }
        if (typeof setup === 'string') continue;
        checked.push(`${name}::${plan.qualname}`);
        if (!file.startsWith(FIXTURES)) extraChecked.push(`${name}::${plan.qualname}`);
        const hypers: Record<string, unknown>[] = [{}];
        if (plan.gamma) hypers.push({ [plan.gamma.name]: 0.5 }, { [plan.gamma.name]: 0 });
        const extras: Partial<ProbeInputs>[] = [{ std: 1, seed: 1 }, { std: 5, seed: 2 }, { margin: 10, seed: 3 }, { margin: 30, seed: 4 }, { margin: 100, seed: 5 }];
        const fn0 = fn(mod, plan.qualname);
        const entry = fn0.parent && fn0.parent !== '<module>' ? { kind: 'closure', owner: fn0.parent } : fn0.className ? { kind: appliedForward(fn0, mod) ? 'apply' : 'method', owner: fn0.className } : { kind: 'function' };
        const fill = Object.fromEntries(
          Object.entries(setup.plan.fill ?? {}).map(([k, { value }]) => {
            const v = value as { classes?: true; ones?: string; device?: true; counts?: string; like?: string; op?: string; kwargs?: Record<string, unknown> } | null;
            // A loss module a call site builds: its name and literal keywords, made by the driver.
            if (v && typeof v === 'object' && v.op) return [k, ['__op__', v.op, v.kwargs ?? {}]];
            // An object of settings read at attributes, and the identity matrix of the classes: made by the driver.
            if (v && typeof v === 'object' && 'attrs' in v) return [k, ['__attrs__', (v as { attrs: Record<string, unknown> }).attrs]];
            // A mapping of settings read at constant keys: a dict, a per-class weight one of 1 per class.
            if (v && typeof v === 'object' && !Array.isArray(v) && 'keys' in v) return [k, ['__keys__', Object.fromEntries(Object.entries((v as { keys: Record<string, unknown> }).keys).map(([a, x]) => [a, typeof x === 'object' ? '__class_ones__' : x]))]];
            if (v && typeof v === 'object' && 'eye' in v) return [k, '__eye_classes__'];
            if (v && typeof v === 'object' && 'modelInput' in v) return [k, '__model_input__'];
            return [k, v && typeof v === 'object' && !Array.isArray(v) ? (v.classes ? '__classes__' : v.device ? '__device__' : v.like ? `__like_${v.like}__` : v.counts ? '__class_counts__' : v.ones === 'classes' ? '__class_ones__' : v.ones === 'class_map' ? '__class_map__' : '__ones__') : value];
          }),
        );
        for (const h of hypers) {
          for (const extra of extras) {
            // A function looping over its samples runs at the checker's smaller count (probes.ts loopSamples).
            const inp: ProbeInputs = { seed: 0, shape: [setup.samples ?? N, setup.classes], std: 1, target: setup.encoding, generator: '', ...extra, ...(setup.layout ? { layout: setup.layout } : {}) };
            if (setup.plan.inputIsProb) inp.activation = setup.formulation as 'softmax' | 'sigmoid';
            const hv = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, { t: 'num', v, int: false }]));
            const id = `${name}::${plan.qualname}::${JSON.stringify(h)}::${JSON.stringify(extra)}`;
            const s = setup;
            runs.set(id, () => pr.run(s as never, inp, hv));
            // Boxes of a detection loss (roles.ts `CheckPlan.boxes`): drawn here for this case's seed and rows, as the checker draws them.
            const boxSpecs = Object.entries(setup.plan.fill ?? {}).flatMap(([k, { value }]): [string, BoxFill][] => (isBoxFill(value) ? [[k, value]] : []));
            const drawn = boxSpecs.length ? generateBoxes(inp.seed, inp.shape[0], inp.shape[1], boxSpecs).values : undefined;
            // A tensor as ['__tensor__', b64, shape] (class indices: '__itensor__'), per-image dicts as ['__dicts__', [[[key, value], ...]]].
            const enc = (d: DrawnBox, shape: number[] | undefined): unknown => ('dicts' in d ? ['__dicts__', d.dicts.map((es) => es.map(([key, v]) => [key, enc(v, undefined)]))] : [d.labels ? '__itensor__' : '__tensor__', b64(d.data), shape ?? (d.labels ? [d.rows] : [d.rows, d.columns])]);
            const caseFill = drawn ? { ...fill, ...Object.fromEntries(boxSpecs.map(([k, spec]) => { const d = drawn.get(k)!; return [k, enc(d, 'dicts' in d ? undefined : boxShape(spec, d.rows, d.columns, inp.layout, inp.shape[0], inp.shape[1]))]; })) } : fill;
            cases.push({ id, file, qualname: plan.qualname, input: plan.input, target: plan.target, hyper: h, fill: caseFill, entry, ...(plan.mapped ? { mapped: plan.mapped } : {}), ...(plan.model ? { model: true } : {}), ...(plan.stateColumn ? { stateColumn: true } : {}), ...(s.plan.boxed ? { boxed: s.plan.boxed } : {}), ...(s.plan.targetFields ? { targetFields: s.plan.targetFields } : {}), ...(s.plan.targetOffset && s.encoding === 'index' ? { targetOffset: s.plan.targetOffset } : {}), inputs: inputsKey(inputs, inp) });
          }
        }
      }
    }
    // The canonical sigmoid reference vs torchvision.ops.sigmoid_focal_loss.
    const tf = engine.tf;
    for (const [alpha, gamma, reduction] of [[0.25, 2, 'none'], [0.25, 0.5, 'mean'], [-1, 2, 'sum'], [0.75, 1, 'mean'], [0.25, 0, 'none']] as const) {
      for (const extra of [{ std: 1, seed: 11 }, { std: 5, seed: 12 }, { margin: 30, seed: 13 }, { margin: 100, seed: 14 }] as Partial<ProbeInputs>[]) {
        const inp: ProbeInputs = { seed: 0, shape: [N, C], std: 1, target: 'binary', generator: '', ...extra };
        const g = engine.generate(inp);
        const id = `torchvision::${alpha}::${gamma}::${reduction}::${JSON.stringify(extra)}`;
        runs.set(id, () => {
          let lossT = new Float32Array(0);
          let total = 0;
          const grad = tf.tidy(() => {
            const x = tf.tensor2d(g.logits, [N, C]);
            const t = tf.tensor2d(g.onehot, [N, C]);
            const f = (z: unknown) => {
              const l = engine.sigmoidFocalReference(z, t, alpha, gamma, reduction);
              lossT = Float32Array.from(l.dataSync() as Float32Array);
              const sum = engine.torchops.sum(l);
              total = sum.dataSync()[0];
              return sum;
            };
            return Float32Array.from(tf.grad(f)(x).dataSync());
          });
          return { rows: N, loss: lossT.length === 1 ? lossT[0] : total, lossElements: lossT.length, lossNonFinite: 0, grad, gradNaN: 0, gradInf: 0, samplesNonFinite: 0, trace: new Set() };
        });
        cases.push({ id, kind: 'torchvision', alpha, gamma, reduction, inputs: inputsKey(inputs, inp) });
      }
    }
    // A case the checker ends as unsupported at the full size (a loop over the samples past the
    // iteration cap passes the 6-sample setup) is not compared: the checker gives no verdict there.
    const dropped = new Set<string>();
    for (const b of BACKENDS) {
      const info = await engine.initBackend(b);
      if (info.name !== b) throw new Error(`backend ${b} did not start: ${info.notes.join('; ')}`);
      const m = new Map<string, RunOut>();
      for (const c of cases) {
        if (dropped.has(c.id)) continue;
        try {
          m.set(c.id, runs.get(c.id)!());
        } catch (e) {
          if (!(e instanceof Error && /^unsupported |exceeds the cap/.test(e.message))) throw e;
          dropped.add(c.id);
        }
      }
      ours.set(b, m);
    }
    if (dropped.size) console.log(`[numeric/torch] not compared (unsupported at N = ${N}): ${[...new Set([...dropped].map((id) => id.split('::').slice(0, 2).join('::')))].join(', ')}`);
    cases.splice(0, cases.length, ...cases.filter((c) => !dropped.has(c.id)));
    for (const m of ours.values()) for (const id of dropped) m.delete(id);
    for (const id of [...new Set([...dropped].map((x) => x.split('::').slice(0, 2).join('::')))]) {
      const at = checked.indexOf(id);
      if (at >= 0) checked.splice(at, 1);
    }
    await engine.initBackend(BACKENDS[0]);
    theirs = runTorch(cases, inputs);
  }, 600_000);

  it('evaluates most fixture losses', () => {
    console.log(`[numeric/torch] compared ${checked.length} fixture losses: ${checked.filter((c) => !extraChecked.includes(c)).join(', ')}`);
    if (extraChecked.length) console.log(`[numeric/torch] extra: compared ${extraChecked.length} losses`);
    expect(checked.length).toBeGreaterThanOrEqual(20);
  });

  it.each(BACKENDS)('agrees with torch on %s on every loss value (1e-4 relative) and every gradient NaN/inf entry', (backend) => {
    const mismatches: string[] = [];
    let nonFiniteCases = 0;
    let worst = 0;
    const unrunnable = new Set<string>();
    for (const c of cases) {
      const o = ours.get(backend)!.get(c.id)!;
      const t = theirs.get(c.id);
      // A file of LOSSLINT_TORCH_EXTRA that torch cannot run here (a snippet without its imports,
      // CUDA-only code) is named, not compared; the committed fixtures all run.
      if (t?.error && c.file && !c.file.startsWith(FIXTURES) && /^(NameError|AssertionError: Torch not compiled with CUDA)/.test(t.error)) {
        unrunnable.add(`${c.file}::${c.qualname} (${t.error.split(':')[0]})`);
        continue;
      }
      if (!t || t.error) {
        mismatches.push(`${c.id}: torch failed: ${t?.error ?? 'no result'}`);
        continue;
      }
      if (typeof t.loss === 'number' && o.loss !== null && Number.isFinite(o.loss)) worst = Math.max(worst, Math.abs(o.loss - t.loss) / (REL * Math.max(Math.abs(o.loss), Math.abs(t.loss)) + 1e-6));
      if (!lossAgrees(o.loss, t.loss)) mismatches.push(`${c.id}: loss ${o.loss} vs torch ${t.loss} (relative ${Math.abs((o.loss ?? NaN) - Number(t.loss)) / Math.abs(Number(t.loss))})`);
      const p = pattern(o.grad);
      if (p.nan.length + p.inf.length > 0) nonFiniteCases++;
      if (p.nan.join() !== t.grad!.nan.join() || p.inf.join() !== t.grad!.inf.join()) {
        mismatches.push(`${c.id}: gradient NaN/inf ${p.nan.length}/${p.inf.length} vs torch ${t.grad!.nan.length}/${t.grad!.inf.length}`);
      }
    }
    if (unrunnable.size) console.log(`[numeric/torch] ${backend}: not runnable in torch here: ${[...unrunnable].join(', ')}`);
    console.log(`[numeric/torch] ${backend}: ${cases.length} cases, ${nonFiniteCases} with non-finite gradients, largest loss difference ${(100 * worst).toFixed(1)}% of the tolerance, ${mismatches.length} mismatches${mismatches.length ? `\n  ${mismatches.join('\n  ')}` : ''}`);
    expect(mismatches).toEqual([]);
    // The probes must actually exercise the NaN paths (gamma = 0.5, confident logits).
    expect(nonFiniteCases).toBeGreaterThan(10);
  });
});
