/**
 * The probes: runs one planned function on seeded inputs with the concrete interpreter, takes the
 * gradient w.r.t. the logits (tf.valueAndGrad), and turns failed probes into findings LL301-LL305.
 */
import type { FunctionIR, ModuleIR } from '../core/ir';
import type { Finding } from '../core/types';
import { stmtsOf } from '../core/walk';
import { Evaluator, MAX_LOOP, type EvalOptions } from './eval';
import type { ImportResolver } from './imported';
import { forbiddenCall } from './gate';
import { contracted, labelField, moduleVmap, oneBasedLabels, targetFields } from './input-facts';
import { axisFacts, factLayouts } from './shape-facts';
import { sigmoidFocalReference, softmaxFocalReference } from './reference';
import { Draws, type Draw } from './draws';
import { boxShape, describeGenerator, generate, generateBoxes, isBoxFill, type BoxFill, type DrawnBox } from './gen';
import type { CheckPlan, OpModuleValue, TargetEncoding } from './roles';
import type { AssumedValue } from './absent-values';
import { bindCall, opById, resolveQualified } from '../ops';
import { LL301, LL302, LL303, LL304, LL305 } from './rules';
import { runExtraProbes } from './probes-extra';
import { tf } from './tf';
import * as P from './torchops';
import { explainRaise } from './raise-reasons';
import { noGradientReason } from './no-gradient';
import { layoutShape, TRANSPOSED, type Layout, type HyperValue, type NumericReport, type OutputSummary, type ProbeInputs, type ProbeResult } from './types';
import { outputNames, outputsOk, outputsText, summarize, VALUES_ONLY } from './numpy';
import { ElementCap, EvalError, num, NONE, Unsupported, type Val } from './values';
import { appliedForward } from './autograd-fn';

export interface ProbeOptions {
  samples: number;
  classes: number;
  maxElements: number;
  seed: number;
  /** Absolute time (Date.now()) after which no new probe starts. */
  deadline: number;
  /** Set to non-zero (by another thread) to stop before the next probe: check() then throws Cancelled. */
  cancel?: Int32Array;
  backend: NumericReport['backend'];
  backendNotes: string[];
  /** Functions of other project files the checked module imports (imported.ts). */
  imported?: ImportResolver;
}

export const GAMMA_SWEEP = [0.25, 0.5, 1, 2, 5];
/** Samples of the setup's trial runs (enough for a top-k of 64 hard examples, few enough to cost nothing). */
const SETUP_SAMPLES = 64;
/** Samples of the setup's second trial run: other than the first's, and as divisible (pairs, triplets, groups of 4 or 8 of samples still fit; a top-k of 64 too). */
const RECHECK_SAMPLES = 96;
export const MARGINS = [10, 30, 100];
const REL_TOL = 1e-3;

type Formulation = 'softmax' | 'sigmoid';

interface Setup {
  fn: FunctionIR;
  plan: CheckPlan;
  encoding: TargetEncoding;
  formulation: Formulation;
  classes: number;
  layout?: ProbeInputs['layout'];
  /** Samples per probe when the function loops over its samples in Python (fewer than the option's, see `loopSamples`). */
  samples?: number;
}

/** Whether an error on the flat [N, C] probe says the function wants image-shaped inputs. */
/** An error of an image op that a 1 x 1 image cannot pass (a reflection pad, a window larger than the image). */
function needsPixels(message: string): boolean {
  return /needs a height and width of at least|computed output size would be negative/.test(message);
}

function wantsImages(message: string): boolean {
  return /values to unpack|out of range for a tensor of rank|Dimension out of range|does not match the shape of the indexed tensor|too many indices|must match the size of tensor|rank|dimension|index out of range|expected target of shape|Incorrect shapes/.test(message);
}

/** The values of the `boxed` hyperparameters (CheckPlan.boxed) as one-item lists: `gamma=2` passes `[2.0]`. */
function boxed(values: Record<string, Val>, names: readonly string[] | undefined): Record<string, Val> {
  if (!names?.length) return values;
  const out = { ...values };
  for (const n of names) {
    const v = out[n];
    if (v && (v.t === 'num' || v.t === 'tensor')) out[n] = { t: 'list', items: [v], tuple: false };
  }
  return out;
}

/** `enc: message` errors with one message named once, after its encodings (`index, onehot: message`). */
export function groupedErrors(errors: string[]): string {
  const by = new Map<string, string[]>();
  for (const e of errors) {
    const m = /^(index|onehot|binary): ([^]*)$/.exec(e);
    const [enc, msg] = m ? [m[1], m[2]] : ['', e];
    by.set(msg, [...(by.get(msg) ?? []), enc]);
  }
  return [...by].map(([msg, encs]) => (encs.some((x) => x) ? `${encs.filter((x) => x).join(', ')}: ${msg}` : msg)).join('; ');
}

function hyperVal(v: HyperValue): Val {
  if (v === null) return NONE;
  if (typeof v === 'string') return { t: 'str', v };
  if (Array.isArray(v)) return { t: 'list', items: v.map((x) => num(x)), tuple: false };
  return num(v, false);
}

/** A loss module a call site builds (roles.ts OpModuleValue), as the evaluator holds one; a fresh one per run (a run may set its attributes). */
function opModule(v: OpModuleValue): Val {
  const spell = resolveQualified(v.op);
  if (!spell || spell.kind !== 'module') throw new Unsupported(v.op, 0);
  const kw: Record<string, Val> = {};
  for (const [k, x] of Object.entries(v.kwargs)) kw[k] = x === null ? NONE : typeof x === 'boolean' ? { t: 'bool', v: x } : typeof x === 'string' ? { t: 'str', v: x } : num(x);
  return { t: 'module', spell, args: bindCall(spell, [], kw, (items: Val[]): Val => ({ t: 'list', items, tuple: true })), line: 0 };
}

/** [N, C] float targets with one more column (roles.ts `stateColumn`): 1 where the row has a positive class, else 0. */
export function withStateColumn(t: Float32Array, n: number, c: number): Float32Array {
  const out = new Float32Array(n * (c + 1));
  for (let i = 0; i < n; i++) {
    let any = 0;
    for (let j = 0; j < c; j++) {
      out[i * (c + 1) + j] = t[i * c + j];
      if (t[i * c + j] > 0) any = 1;
    }
    out[i * (c + 1) + c] = any;
  }
  return out;
}

/**
 * Samples per probe for a function that loops over its samples in Python (`for i in range(n)`): its
 * longest loop grew with the samples between the two setup trials, so at the option's count it would
 * pass the interpreter's loop cap (eval.ts MAX_LOOP). The probes then run at the count that keeps
 * the loop within the cap with room for the probes that double the samples (LL307's background);
 * undefined when no loop grows with the samples or the option's count already fits.
 */
export function loopSamples(first: Pick<RunOut, 'rows' | 'loops'>, second: Pick<RunOut, 'rows' | 'loops'>, samples: number): number | undefined {
  const [a, b] = [first.loops ?? 0, second.loops ?? 0];
  if (b <= a || second.rows <= first.rows) return undefined;
  // Iterations per sample, from the growth between the trials.
  const perSample = (b - a) / (second.rows - first.rows);
  const fits = Math.floor((MAX_LOOP - (b - perSample * second.rows)) / (2 * perSample));
  return fits < samples ? Math.max(fits, 1) : undefined;
}

class Budget extends Error {}

/** The run was cancelled (ProbeOptions.cancel): nothing of it is reported. */
/** Ops that take a logarithm (a focal loss or a cross-entropy computes one, or calls a loss of the table). */
const LOG_OPS = new Set(['log', 'log1p', 'log2', 'log10', 'log_softmax', 'logsigmoid', 'logsumexp', 'softplus', 'xlogy']);

export class Cancelled extends Error {
  constructor() {
    super('numeric check cancelled');
  }
}

/** Whether `flag` (a SharedArrayBuffer's Int32Array, written by another thread) asks to stop. */
export function cancelRequested(flag: Int32Array | undefined): boolean {
  return flag !== undefined && Atomics.load(flag, 0) !== 0;
}

/** Output of one evaluation: the loss tensor's summary and the gradient's non-finite pattern. */
export interface RunOut {
  /** Samples the function was given (the inputs' N, after dropped and appended samples). */
  rows: number;
  loss: number | null;
  lossElements: number;
  lossNonFinite: number;
  grad: Float32Array;
  gradNaN: number;
  gradInf: number;
  samplesNonFinite: number;
  trace: Set<string>;
  /** A values-only run (numpy): each output's summary. */
  outputs?: OutputSummary[];
  /** The most iterations one Python loop of the function ran (eval.ts `maxLoop`). */
  loops?: number;
  /** The random draws the function made (draws.ts), in call order. */
  draws?: Draw[];
}

/**
 * The outputs of a numpy function probed for its values (numpy.ts outputNames): a loss, a
 * gradient-boosting objective's (grad, hess), a metric's (name, value, ...); float tensors and
 * Python numbers are summarised, anything else is named as not a value.
 */
function valueOutputs(out: Val, dataset: boolean, line: number): OutputSummary[] {
  const tuple = out.t === 'list';
  const items = out.t === 'list' ? out.items : [out];
  const kinds = items.map((v): 'float' | 'str' | 'other' => ((v.t === 'tensor' && v.dt === 'float') || (v.t === 'num' && !v.int) ? 'float' : v.t === 'str' ? 'str' : 'other'));
  const names = outputNames(kinds, tuple, dataset);
  const outs: OutputSummary[] = [];
  items.forEach((v, i) => {
    const name = names[i];
    if (!name) return;
    outs.push(summarize(name, v.t === 'tensor' ? (v.x.dataSync() as Float32Array) : [v.t === 'num' ? v.v : NaN]));
  });
  if (!outs.length) throw new EvalError(`the function returned ${out.t === 'none' ? 'None' : out.t === 'list' ? 'a tuple without a float array or number' : out.t}, not a float array or number`, line);
  return outs;
}

/** The fields a probe result copies from one evaluation. */
function runFields(out: RunOut, inp: ProbeInputs): Pick<ProbeResult, 'loss' | 'lossElements' | 'lossNonFinite' | 'gradNaN' | 'gradInf' | 'samplesNonFinite' | 'samples' | 'outputs' | 'draws'> {
  return {
    ...(out.outputs ? { outputs: out.outputs } : {}),
    ...(out.draws?.length ? { draws: out.draws } : {}),
    loss: out.loss,
    lossElements: out.lossElements,
    lossNonFinite: out.lossNonFinite,
    gradNaN: out.gradNaN,
    gradInf: out.gradInf,
    samplesNonFinite: out.samplesNonFinite,
    samples: out.rows,
  };
}

export class Prober {
  constructor(
    private readonly mod: ModuleIR,
    private readonly opts: ProbeOptions,
  ) {}

  /**
   * The first op the evaluator does not lower that a setup trial met (integer pixels through
   * tf.image.convert_image_dtype under the class-index encoding): the other encodings, layouts and
   * class counts are still tried, and where none evaluates, it is the refusal (`check`).
   */
  private deferredUnsupported: Unsupported | undefined;

  private inputsFor(s: Setup, extra: Partial<ProbeInputs>): ProbeInputs {
    const inp: ProbeInputs = {
      seed: this.opts.seed,
      shape: [s.samples ?? this.opts.samples, s.classes],
      std: 1,
      target: s.encoding,
      generator: '',
      ...extra,
    };
    if (s.layout) inp.layout = s.layout;
    if (s.plan.inputIsProb) inp.activation = s.formulation;
    inp.generator = describeGenerator(inp);
    return inp;
  }

  /** Evaluates the function on generated inputs and differentiates the summed loss w.r.t. the logits. */
  run(s: Pick<Setup, 'fn' | 'plan' | 'encoding'> & { formulation?: Formulation }, inp: ProbeInputs, hyper: Record<string, Val>, extra: Pick<EvalOptions, 'onBroadcast'> = {}): RunOut {
    if (cancelRequested(this.opts.cancel)) throw new Cancelled();
    if (Date.now() > this.opts.deadline) throw new Budget();
    const g = generate(inp);
    // Rows: the probe's samples, less any dropped and plus any background ones (LL306, LL307).
    const N = g.rows;
    const C = inp.shape[1];
    let result: RunOut | undefined;
    let ev: Evaluator | undefined;
    tf.tidy(() => {
      // Images of 1 x 1 pixels: the N x C logits, channels first or last, and targets to match.
      const shapeOf = (classes: boolean): number[] => layoutShape(inp.layout, N, C, classes);
      // [N, C] values in the layout: reshaped, or transposed where the cases are columns (types.ts TRANSPOSED).
      const flip = inp.layout ? TRANSPOSED[inp.layout] : undefined;
      const laid = (x: tf.Tensor, target: boolean): tf.Tensor => (flip ? (target && !flip.target ? x : tf.transpose(x)) : tf.reshape(x, shapeOf(true)));
      const z = tf.tensor2d(g.logits, [N, C]);
      let tgt: Val;
      if (inp.target === 'index') tgt = { t: 'tensor', x: tf.tensor(s.plan.targetOffset ? g.index.map((i) => i + s.plan.targetOffset!) : g.index, shapeOf(false), 'int32'), dt: 'int' };
      else if (s.plan.stateColumn) tgt = { t: 'tensor', x: tf.tensor(withStateColumn(g.onehot, N, C), layoutShape(inp.layout, N, C + 1, true)), dt: 'float' };
      else tgt = { t: 'tensor', x: flip ? laid(tf.tensor2d(g.onehot, [N, C]), true) : tf.tensor(g.onehot, shapeOf(true)), dt: 'float' };
      // Targets with fields (CheckPlan.targetFields): the targets, then all-ones fields, on a new last axis.
      const fields = s.plan.targetFields;
      if (fields && tgt.t === 'tensor') {
        const labels = tf.cast(tgt.x, 'float32');
        tgt = { t: 'tensor', x: tf.stack([labels, ...Array.from({ length: fields - 1 }, () => tf.onesLike(labels))], -1), dt: 'float' };
      }
      // Required parameters without a default (roles.ts fill), under the probe's own hyperparameters.
      const all: Record<string, Val> = {};
      // A module injected by keyword is passed as one (it may be read from **kwargs).
      const passed: Record<string, Val> = {};
      // Boxes of a detection loss (roles.ts `CheckPlan.boxes`): drawn for this probe's rows and seed.
      const boxSpecs = Object.entries(s.plan.fill ?? {}).flatMap(([k, { value }]): [string, BoxFill][] => (isBoxFill(value) ? [[k, value]] : []));
      const drawn = boxSpecs.length ? generateBoxes(inp.seed, N, C, boxSpecs).values : undefined;
      // A drawn box value: a tensor (class indices int64), or a list of per-image dicts of them.
      const boxVal = (d: DrawnBox, shape: number[] | undefined): Val =>
        'dicts' in d ? { t: 'list', tuple: false, items: d.dicts.map((entries): Val => ({ t: 'dict', entries: entries.map(([key, v]): [Val, Val] => [{ t: 'str', v: key }, boxVal(v, undefined)]) })) } : d.labels ? { t: 'tensor', x: tf.tensor(Array.from(d.data), shape ?? [d.rows], 'int32'), dt: 'int' } : { t: 'tensor', x: tf.tensor(d.data, shape ?? [d.rows, d.columns]), dt: 'float' };
      for (const [k, { value }] of Object.entries(s.plan.fill ?? {})) {
        if (isBoxFill(value)) {
          const d = drawn!.get(k)!;
          all[k] = boxVal(d, 'dicts' in d ? undefined : boxShape(value, d.rows, d.columns, inp.layout, N, C));
        } else if (value !== null && typeof value === 'object' && 'module' in value) passed[k] = { t: 'ns', name: value.module };
        else if (value !== null && typeof value === 'object' && 'modelInput' in value) all[k] = { t: 'model_input' };
        // A JAX key: PRNGKey(0)'s words (ops/table/random.ts); its draws are the probe's seeded stream's.
        else if (value !== null && typeof value === 'object' && 'prngKey' in value) all[k] = { t: 'tensor', x: tf.tensor([0, 0], [2], 'int32'), dt: 'int' };
        else if (value !== null && typeof value === 'object' && 'classes' in value) all[k] = num(C, true);
        else if (value !== null && typeof value === 'object' && 'device' in value) all[k] = { t: 'device' };
        else if (value !== null && typeof value === 'object' && 'eye' in value) all[k] = { t: 'tensor', x: tf.eye(C), dt: 'float' };
        // An object of settings read at attributes (`args.w`): an instance holding them, of no class of the module.
        else if (value !== null && typeof value === 'object' && 'attrs' in value) all[k] = { t: 'self', attrs: new Map(Object.entries(value.attrs).map(([a, v]): [string, Val] => [a, typeof v === 'number' ? num(v) : { t: 'str', v }])), cls: { name: 'SimpleNamespace', bases: ['object'], methods: new Map(), attrs: new Map(), span: s.fn.span } };
        // A mapping of settings read at constant keys (`args["task"]`): a dict of them.
        else if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'keys' in value) all[k] = { t: 'dict', entries: Object.entries(value.keys).map(([a, v]): [Val, Val] => [{ t: 'str', v: a }, typeof v === 'number' ? num(v) : typeof v === 'string' ? { t: 'str', v } : { t: 'tensor', x: tf.ones([C]), dt: 'float' }]) };
        else if (value !== null && typeof value === 'object' && 'op' in value) all[k] = opModule(value);
        else if (value !== null && typeof value === 'object' && 'counts' in value) all[k] = { t: 'list', items: Array.from({ length: C }, () => num(1, true)), tuple: false };
        else if (value !== null && typeof value === 'object' && 'like' in value) {
          // A second prediction: the probe's values in a tensor of their own (no gradient flows through it); a second target: the probe's targets.
          if (value.like === 'target') all[k] = tgt;
          else {
            let second: tf.Tensor = tf.tensor2d(g.logits, [N, C]);
            if (inp.activation) second = inp.activation === 'softmax' ? P.softmax(second, 1) : P.sigmoid(second);
            if (inp.layout) second = laid(second, false);
            all[k] = { t: 'tensor', x: second, dt: 'float' };
          }
        } else if (value !== null && typeof value === 'object' && 'ones' in value && value.ones === 'class_map') all[k] = { t: 'dict', entries: Array.from({ length: C }, (_, i) => [num(i, true), num(1, false)] as [Val, Val]) };
        else if (value !== null && typeof value === 'object' && 'ones' in value) all[k] = { t: 'tensor', x: tf.ones(value.ones === 'classes' ? [C] : value.ones === 'rows' ? shapeOf(true).slice(0, -1) : shapeOf(true)), dt: 'float' };
        else if (typeof value === 'boolean') all[k] = { t: 'bool', v: value };
        // A call-site literal keeps its kind: `FocalLoss(num_classes=8)` passes an int (F.one_hot wants one).
        else if (typeof value === 'number') all[k] = num(value);
        else all[k] = hyperVal(value as HyperValue);
      }
      const valuesOnly = !!s.plan.valuesOnly;
      const given = boxed({ ...all, ...hyper }, s.plan.boxed);
      const vmapped = s.plan.vmapped ? moduleVmap(s.fn, this.mod) : undefined;
      // Random draws inside the function: the probe's own stream, afresh for each call (draws.ts).
      const draws = new Draws(inp.seed);
      const assumed = this.assumedValues(s.plan);
      const evOpts: EvalOptions = { maxElements: this.opts.maxElements, draws, hyper: given, ...(assumed.size ? { assumed: new Map([...assumed].map(([q, a]): [string, Val] => [q, typeof a.value === 'number' ? num(a.value) : { t: 'str', v: a.value }])) } : {}), ...(s.plan.perRow ? { perRow: s.plan.perRow } : {}), ...(s.plan.perExample ? { perExample: s.plan.perExample } : {}), ...(vmapped ? { vmapped } : {}), gradSource: z, imported: this.opts.imported, ...(valuesOnly ? { valuesOnly } : {}), ...extra };
      ev = new Evaluator(this.mod, evOpts);
      let lossT: tf.Tensor | undefined;
      const call = (x: tf.Tensor): Val => {
        let xin = x;
        if (inp.activation) xin = inp.activation === 'softmax' ? P.softmax(x, 1) : P.sigmoid(x);
        if (inp.layout) xin = laid(xin, false);
        const pred: Val = { t: 'tensor', x: xin, dt: 'float' };
        // PyTorch's logits passed as they are: a leaf requiring grad (a view of it in a layout); an in-place write into it raises.
        if (s.plan.framework === 'torch' && !inp.activation && !s.plan.model) evOpts.leaf = { x: xin, view: xin !== x };
        // A model the function runs (roles.ts `model`): stood in by the probe's prediction.
        // Its output unpacked (`logits, new_state = run(...)`): the prediction at its place, values nothing reads at the others.
        const many = s.plan.model?.unpacked;
        const out: Val = many ? { t: 'list', tuple: true, items: Array.from({ length: many.n }, (_, i): Val => (i === many.at ? pred : { t: 'model_input' })) } : pred;
        const args: Record<string, Val> = { ...passed, [s.plan.input]: s.plan.model ? { t: 'standin', out } : pred };
        // A gradient-boosting dataset holds its labels as floats (LightGBM's and XGBoost's get_label()).
        if (s.plan.target) args[s.plan.target] = s.plan.targetDataset ? { t: 'dataset', label: tgt.t === 'tensor' ? { t: 'tensor', x: tf.cast(tgt.x, 'float32'), dt: 'float' } : tgt } : tgt;
        // A parameter read as a mapping (roles.ts `mapped`) gets a dict: its tensor at its key, ones at a weight's.
        for (const [p, keys] of Object.entries(s.plan.mapped ?? {})) {
          const v = args[p];
          if (v) args[p] = { t: 'dict', entries: Object.entries(keys).map(([k, what]): [Val, Val] => [{ t: 'str', v: k }, what === 'tensor' ? v : what === 'model_input' ? { t: 'model_input' } : { t: 'tensor', x: tf.ones(shapeOf(true)), dt: 'float' }]) };
        }
        // A target of the enclosing function (roles.ts `outerTarget`): given to it, which defines the closure.
        if (s.plan.outerTarget && s.plan.target) {
          given[s.plan.target] = args[s.plan.target];
          delete args[s.plan.target];
        }
        return ev!.run(s.fn, args);
      };
      if (valuesOnly) {
        // numpy: the outputs' values on the probe's inputs, no gradient (numpy has none).
        const outputs = valueOutputs(call(z), !!s.plan.targetDataset, s.fn.span.r.start.line + 1);
        const main = outputs.find((o) => o.name === 'loss' || o.name === 'metric');
        result = {
          rows: N,
          loss: main ? main.sum : null,
          lossElements: main ? main.elements : 0,
          lossNonFinite: outputs.reduce((a, o) => a + o.nan + o.inf, 0),
          grad: new Float32Array(0),
          gradNaN: 0,
          gradInf: 0,
          samplesNonFinite: 0,
          trace: ev.trace,
          // A loop over the samples: the probes' sample count is cut to what it may run (loopSamples).
          loops: ev.maxLoop,
          outputs,
          draws: draws.log,
        };
        return;
      }
      const f = (x: tf.Tensor): tf.Scalar => {
        const out = call(x);
        let t: Val = out;
        if (t.t === 'list' && t.items.length && t.items[0].t === 'tensor') t = t.items[0];
        if (t.t === 'num') throw new Unsupported('a loss returned as a Python number (no gradient)', s.fn.span.r.start.line + 1);
        if (t.t === 'none' && ![...stmtsOf(s.fn.body)].some((st) => st.k === 'return' && st.value)) throw new EvalError('the function returned None, not a tensor (no `return` in it returns a value)', s.fn.span.r.start.line + 1);
        if (t.t !== 'tensor') throw new EvalError(`the function returned ${t.t === 'none' ? 'None' : t.t}, not a tensor`, s.fn.span.r.start.line + 1);
        if (t.dt !== 'float') throw new EvalError('the function returned an integer tensor', s.fn.span.r.start.line + 1);
        lossT = tf.keep(t.x);
        return P.sum(t.x) as tf.Scalar;
      };
      let value: tf.Scalar;
      let grad: tf.Tensor;
      try {
        ({ value, grad } = tf.valueAndGrad(f)(z));
      } catch (e) {
        // tfjs finds no path from the logits to the loss: the loss has no gradient at all.
        if (e instanceof Error && e.message.startsWith('Cannot compute gradient of y=f(x)')) {
          throw new EvalError(noGradientReason(s.fn, this.mod, ev?.trace ?? new Set()), s.fn.span.r.start.line + 1);
        }
        throw e;
      }
      const lv = lossT!.dataSync();
      const gv = grad.dataSync() as Float32Array;
      let nan = 0;
      let inf = 0;
      const bad = new Uint8Array(N);
      for (let i = 0; i < gv.length; i++) {
        const v = gv[i];
        if (Number.isNaN(v)) {
          nan++;
          bad[Math.floor(i / C)] = 1;
        } else if (!Number.isFinite(v)) {
          inf++;
          bad[Math.floor(i / C)] = 1;
        }
      }
      let lossNonFinite = 0;
      for (const v of lv) if (!Number.isFinite(v)) lossNonFinite++;
      const total = value.dataSync()[0];
      lossT!.dispose();
      result = {
        rows: N,
        loss: lv.length === 1 ? lv[0] : total,
        lossElements: lv.length,
        lossNonFinite,
        grad: Float32Array.from(gv),
        gradNaN: nan,
        gradInf: inf,
        samplesNonFinite: bad.reduce((a, b) => a + b, 0),
        trace: ev!.trace,
        loops: ev!.maxLoop,
        draws: draws.log,
      };
    });
    return result!;
  }

  /** Finds an encoding (and class count) under which the function evaluates; an op met unlowered is the refusal only where no trial evaluates (`deferredUnsupported`). */
  setup(fn: FunctionIR, plan0: CheckPlan, hyper: Record<string, Val>): Setup | string {
    // Class indices from 1 where the function counts them so (input-facts.ts oneBasedLabels).
    const plan = plan0.targetOffset === undefined && plan0.target && oneBasedLabels(fn, plan0.target, this.mod) ? { ...plan0, targetOffset: 1 } : plan0;
    // Targets read field by field whose field 0 a loss takes as class indices (`t[:, :, 0]` as the
    // labels of a sparse cross-entropy): fields first, as a one-hot column is no class index (the plain
    // targets may pass in a layout, their one-hot columns read as labels and mask).
    if (!plan.targetFields && plan.target && labelField(fn, plan.target, this.mod)) {
      const fields = targetFields(fn, plan.target, this.mod);
      const found = fields ? this.setup(fn, { ...plan, targetFields: fields }, hyper) : undefined;
      if (found && typeof found !== 'string') return found;
    }
    const errors: string[] = [];
    // Flat [N, C] inputs first; image-shaped ones (channels first for PyTorch, last elsewhere) when
    // the flat ones fail as a loss over images would.
    // Images, then sequences, channels first for PyTorch and last elsewhere.
    const last = plan.framework && plan.framework !== 'torch';
    // Targets whose channel the function squeezes (`target.squeeze(1)`): images with a channel of one.
    // PyTorch's sequences with the classes last too ([N, L, C]: a detector's per-anchor scores, a token
    // classifier's logits before its transpose) when channels first fail as well.
    // A detection loss's class scores: one image of N anchors, else N rows (what the boxes' uses fit).
    const fixed: ProbeInputs['layout'][] = plan.boxes ? ['1nc', undefined] : [undefined, last ? 'nhwc' : plan.targetChannel ? 'nc1hw' : 'nchw', last ? 'nlc' : 'ncl', ...(last ? [] : ['nlc' as const])];
    // The layouts the function's own axis reads allow (shape-facts.ts: `tf.squeeze(y_true, axis=3)`,
    // `reduce_sum(p, axis=[1, 2])`, `n, c, h, w = x.size()`) first, each tried; the fixed order after them.
    const predFacts = axisFacts(fn, plan.input, this.mod);
    const targetFacts = plan.target ? axisFacts(fn, plan.target, this.mod) : undefined;
    // numpy whose count of cases is an axis-1 size (`m = Y.shape[1]`, `cost = np.sum(...) / m`):
    // cases in columns, the targets so too or a case per row.
    const columns: Layout[] = plan.valuesOnly && !plan.perExample && (predFacts.batchAxis === 1 || targetFacts?.batchAxis === 1) ? ['cn', 'cnt'] : [];
    const facts = plan.boxes || plan.model || plan.perExample ? [] : [...columns, ...factLayouts(predFacts, targetFacts, !last)];
    const layouts: ProbeInputs['layout'][] = [...facts, ...fixed.filter((l) => !facts.includes(l as Layout))];
    const first: string[] = [];
    const tried: string[] = [];
    // Each layout's errors, for the class count retry below.
    const met: [ProbeInputs['layout'], string[]][] = [];
    let shown: string[] | undefined;
    for (const [i, layout] of layouts.entries()) {
      const fact = i < facts.length;
      if (i > facts.length && layout && !plan.boxes && !errors.some(wantsImages)) break;
      // PyTorch's classes-last sequences are its least usual reading: where they fail too on their
      // shape as well (an error that asks for another layout), the errors shown stay channels first's.
      const kept = !last && layout === 'nlc' && !fact && i === layouts.length - 1 ? [...errors] : undefined;
      errors.length = 0;
      tried.push(`[${layoutShape(layout, 'N' as never, 'C' as never, true).join(', ')}]${layout && layoutShape(layout, 1, 1, false).length === layoutShape(layout, 1, 1, true).length ? ` with class indices [${layoutShape(layout, 'N' as never, 'C' as never, false).join(', ')}]` : ''}`);
      const found = this.trySetup(fn, plan, hyper, layout, errors, plan.classCounts ?? [this.opts.classes, 2]);
      if (found) return found;
      met.push([layout, [...errors]]);
      if (!layout) first.push(...errors);
      // The errors shown: those of the first layout the code's reads allow where the rest fits (no
      // error asking for another shape), else of the first they allow.
      if (fact && (!shown || (shown.some(wantsImages) && !errors.some(wantsImages)))) shown = [...errors];
      if (kept && errors.some(wantsImages)) errors.splice(0, errors.length, ...kept);
    }
    // An op that needs a real height and width (TensorFlow's Sobel edges pad by reflection; a pooling
    // window over 1 x 1 images): the samples as the pixels of 4 x 4 images, channels last.
    if (last && met.some(([, errs]) => errs.some(needsPixels))) {
      for (const layout of ['nhwc44', 'nhwc441'] as const) {
        errors.length = 0;
        tried.push(`[${layoutShape(layout, 'N' as never, 'C' as never, true).join(', ')}] with class indices [${layoutShape(layout, 'N' as never, 'C' as never, false).join(', ')}]`);
        const found = this.trySetup(fn, plan, hyper, layout, errors, plan.classCounts ?? [this.opts.classes, 2]);
        if (found) return found;
        met.push([layout, [...errors]]);
      }
    }
    // A class count the function holds itself (`one_hot(labels, 10)`, `ones(5) - y_pred`): the other
    // size in a shape mismatch is tried as the probe's class count, in the layout that met it.
    for (const [layout, errs] of met) {
      if (layout && !facts.includes(layout) && layout !== 'nhwc44' && layout !== 'nhwc441') continue;
      const sizes = new Set<number>();
      for (const e of errs) {
        // A product with a matrix of the function's own width (`x @ self.centers.t()`, centers of
        // `feat_dim` columns): the operands' inner sizes, the probe's features that width.
        for (const m of e.matchAll(/shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)/g))
          for (const d of [Number(m[2]), Number(m[3])]) if (d >= 2 && d <= 1024 && d !== this.opts.classes && d !== SETUP_SAMPLES) sizes.add(d);
        if (!/broadcast|must be the same|must match|size/.test(e)) continue;
        // `[N, C]`, a reshape's `[-1, C]` (`x.reshape(-1, num_class)` with the function's own count), and
        // in a broadcast, the last axis of a higher rank (`tf.constant([[[weights]]])`: [1, 1, 1, C]
        // against channels last; a reshape's higher-rank shape is its fields', read below).
        const broadcast = /broadcast/.test(e);
        for (const m of e.matchAll(/\[(?:-?\d+, ?)*(\d+)\]/g)) {
          if (!broadcast && m[0].split(',').length > 2) continue;
          const d = Number(m[1]);
          if (d >= 2 && d <= 1024 && d !== this.opts.classes && d !== SETUP_SAMPLES) sizes.add(d);
        }
        // A list of the function's own per-class values reshaped to the probe's class count through a
        // class-count parameter (`reshape(constant(weights), [1, 1, num_classes])`, `weights=[1, 150]`
        // beside `num_classes=2`): the list's length.
        const own = /shape \[((?:1, ?)+)(\d+)\] is invalid for input of size (\d+)/.exec(e);
        if (own && Number(own[2]) === this.opts.classes && Number(own[3]) >= 2 && Number(own[3]) <= 1024) sizes.add(Number(own[3]));
        // A reshape of the targets with fields to the function's own count (`reshape(t, [-1, 6, 2])`): its inner sizes.
        if (plan.targetFields) {
          const shape = /^\w+: shape \[(-?\d+(?:, ?-?\d+)+)\] is invalid for input of size/.exec(e);
          for (const d of shape ? shape[1].split(/, ?/).slice(1, -1).map(Number) : []) if (d >= 2 && d <= 1024 && d !== this.opts.classes) sizes.add(d);
        }
      }
      if (sizes.size) {
        const found = this.trySetup(fn, plan, hyper, layout, [], [...sizes].slice(0, 2));
        if (found) return found;
      }
    }
    if (shown) errors.splice(0, errors.length, ...shown);
    // A weight that defaults to None but that the function needs (`pos = weight > 0`): ones.
    if (plan.optionalWeights?.length && !plan.fill?.[plan.optionalWeights[0]]) {
      const fill = { ...plan.fill };
      for (const w of plan.optionalWeights) fill[w] = { value: { ones: 'input' as const }, why: 'ones like the input (the function raises without it)' };
      const found = this.setup(fn, { ...plan, fill }, hyper);
      if (typeof found !== 'string') return found;
    }
    // An alpha or class weight that defaults to None but that the function needs (`self.alpha[target]`): one weight of 1 per class.
    if (plan.optionalTables?.length && !plan.fill?.[plan.optionalTables[0]]) {
      const fill = { ...plan.fill };
      for (const w of plan.optionalTables) fill[w] = { value: { ones: 'classes' as const }, why: 'one weight of 1 per class (the function raises on its default None)' };
      const found = this.setup(fn, { ...plan, fill }, hyper);
      if (typeof found !== 'string') return found;
    }
    // A required hyperparameter the function subscripts (`gamma = gamma[0]`: TypeError on the number
    // the probes chose for it): once more with each such value as a one-item list. Not a default
    // (the function's own value raises: its error stays).
    const sub = [...errors, ...first].map((e) => /object is not subscriptable \(`(?:self\.)?(\w+)` is /.exec(e)?.[1]).find((n) => n && !plan.boxed?.includes(n) && n in (plan.fill ?? {}));
    if (sub) {
      const found = this.setup(fn, { ...plan, boxed: [...(plan.boxed ?? []), sub] }, hyper);
      if (typeof found !== 'string') return found;
    }
    // Targets whose last axis the function reads field by field (`y_true[:, :, 0]`, `y_true[:, :, 1]`):
    // once more with the fields (input-facts.ts `targetFields`).
    const fields = !plan.targetFields && plan.target ? targetFields(fn, plan.target, this.mod) : undefined;
    if (fields) {
      const found = this.setup(fn, { ...plan, targetFields: fields }, hyper);
      if (typeof found !== 'string') return found;
    }
    // A number the probes chose for a parameter the function's jax.vmap maps (a rank-0 argument to
    // map): once more with it as the same number for every example.
    const scalars = Object.entries(plan.fill ?? {}).filter(([, f]) => typeof f.value === 'number').map(([k]) => k);
    if (!plan.perRow && scalars.length && [...errors, ...first].some((e) => /vmap was requested to map its argument along axis -?\d+, which implies that its rank should be at least \d+, but is only 0/.test(e))) {
      const found = this.setup(fn, { ...plan, perRow: scalars }, hyper);
      if (typeof found !== 'string') return found;
    }
    // A function written for one example that the module maps over the batch itself
    // (`batched = jax.vmap(loss, in_axes=(0, 0))`): once more through that vmap.
    // Targets it contracts with the prediction (`jnp.dot(log_probs, t)`) hold one value per class: one-hot first.
    if (!plan.vmapped && moduleVmap(fn, this.mod)) {
      const onehotFirst = plan.target && contracted(fn, plan.target, this.mod);
      const encodings = onehotFirst ? [...plan.encodings.filter((e) => e !== 'index'), ...plan.encodings.filter((e) => e === 'index')] : plan.encodings;
      const found = this.setup(fn, { ...plan, vmapped: true, encodings }, hyper);
      if (typeof found !== 'string') return found;
    }
    // A target the function reshapes to a row of its own length (`labels.reshape(1, labels.shape[0])`):
    // one example's vector, the function written for one example: once more per example, its one-hot first.
    if (!plan.perExample && plan.target && targetFacts?.vector) {
      const encodings = [...plan.encodings.filter((e) => e !== 'index'), ...plan.encodings.filter((e) => e === 'index')];
      const found = this.setup(fn, { ...plan, perExample: [plan.input, plan.target], encodings }, hyper);
      if (typeof found !== 'string') return found;
    }
    // Class indices a gather takes at the prediction's rank (`p.gather(1, target)`: Index tensor must
    // have the same number of dimensions) where the flat ones were [N]: once more as [N, 1]; where
    // those meet an error of their own (`cross_entropy(x, target)` takes [N]), the target's two uses
    // want two ranks at once, and no input fits both.
    const gathered = [...errors, ...first].find((e) => /^index: Index tensor must have the same number of dimensions as input tensor/.test(e));
    if (gathered && plan.target && !layouts.includes('nc1') && !plan.valuesOnly && !plan.perExample) {
      const errs: string[] = [];
      const found = this.trySetup(fn, plan, hyper, 'nc1', errs, plan.classCounts ?? [this.opts.classes, 2]);
      if (found) return found;
      const other = errs.find((e) => e.startsWith('index: ') && !/Index tensor must have the same number of dimensions/.test(e));
      if (other) return `the class indices \`${plan.target}\` are wanted at two ranks at once: [N] raise ${gathered.slice(7)}, [N, 1] raise ${other.slice(7)}: no input fits both of its uses (a bug in the code)`;
    }
    let why = (errors.length ? errors : first).map((e) => {
      const m = /^(index|onehot|binary): ([^]*)$/.exec(e);
      return m ? `${m[1]}: ${explainRaise(fn, m[2])}` : explainRaise(fn, e);
    });
    // A bug the function's own code names (a None default used before its own None test): the reason on its own.
    const bug = why.map((e) => e.replace(/^(index|onehot|binary): /, '')).find((e) => /defaults to None and the function uses it/.test(e));
    if (bug) return bug;
    // Targets the function uses as class indices (a gather's or one_hot's index): the float
    // encodings' dtype errors say nothing of the function; the index encoding's error does.
    const floatIndex = /Expected dtype int64 for index|only applicable to index tensor|tensors used as indices must be long, int or bool/;
    if (why.some((e) => e.startsWith('index:'))) why = why.filter((e) => e.startsWith('index:') || !floatIndex.test(e));
    // The logits' layouts tried (the errors shown are the last one's), and the encodings that met one error named together.
    const where = tried.length > 1 ? `, in layouts ${tried.join(', ')}` : '';
    return `the function raises on every target encoding tried${where} (${groupedErrors(why) || 'no encoding'})`;
  }

  private trySetup(fn: FunctionIR, plan: CheckPlan, hyper: Record<string, Val>, layout: ProbeInputs['layout'], errors: string[], classCounts: number[]): Setup | undefined {
    for (const enc of plan.encodings) {
      for (const C of classCounts) {
        const trial = { fn, plan, encoding: enc };
        const inp: ProbeInputs = { seed: 1, shape: [Math.min(SETUP_SAMPLES, this.opts.samples), C], std: 1, target: enc, generator: '', ...(layout ? { layout } : {}) };
        if (plan.inputIsProb) inp.activation = plan.act ?? (plan.boxes ? 'sigmoid' : 'softmax');
        try {
          const out = this.run(trial, inp, hyper);
          // Again at another sample count: a trial that passed by a coincidence of sizes (class
          // indices, a mask's count equal to the class count: `pred[t < 1] * w[t < 1]`) raises here.
          const again = this.run(trial, { ...inp, seed: 2, shape: [Math.min(RECHECK_SAMPLES, this.opts.samples), C] }, hyper);
          const tr = out.trace;
          const softmaxOps = ['softmax', 'log_softmax', 'cross_entropy', 'nll_loss', 'tf_softmax_ce_with_logits', 'tf_sparse_softmax_ce_with_logits', 'keras_categorical_crossentropy', 'keras_sparse_categorical_crossentropy'];
          const sigmoidOps = ['sigmoid', 'logsigmoid', 'binary_cross_entropy', 'binary_cross_entropy_with_logits', 'tf_sigmoid_ce_with_logits', 'keras_binary_crossentropy', 'torchvision_sigmoid_focal_loss', 'fvcore_sigmoid_focal_loss', 'multilabel_soft_margin_loss'];
          // And any loss of the table whose facts say sigmoid (optax.sigmoid_focal_loss).
          const sigmoid = (o: string): boolean => sigmoidOps.includes(o) || opById(o)?.loss?.act === 'sigmoid';
          // A detection loss's per-anchor class scores: sigmoid's (one binary term per class) unless it applies a softmax op.
          let formulation: Formulation = plan.act ?? (softmaxOps.some((o) => tr.has(o)) ? 'softmax' : [...tr].some(sigmoid) || plan.boxes ? 'sigmoid' : 'softmax');
          // Probabilities whose activation the facts do not say: sigmoid when the function calls a
          // binary loss (K.binary_crossentropy), else softmax (Keras' categorical convention).
          if (plan.inputIsProb && !plan.act) formulation = ([...tr].some(sigmoid) || plan.boxes) && !softmaxOps.some((o) => tr.has(o)) ? 'sigmoid' : 'softmax';
          let encoding = enc;
          // Sigmoid losses on one-hot targets are multi-label: probe them with background rows too.
          if (formulation === 'sigmoid' && enc === 'onehot') encoding = 'binary';
          if (formulation === 'softmax' && enc === 'binary') encoding = 'onehot';
          const samples = loopSamples(out, again, this.opts.samples);
          // A run that took no logarithm and no loss of the table (a branch the facts join with
          // focal ones, `if self.loss_type == "dice"`): no focal or cross-entropy formula to compare with.
          const noLog = ![...tr].some((o) => LOG_OPS.has(o) || !!opById(o)?.loss);
          const found: Setup = { fn, plan: noLog && !plan.notFocal ? { ...plan, notFocal: true } : plan, encoding, formulation, classes: C, ...(layout ? { layout } : {}), ...(samples ? { samples } : {}) };
          return this.maybeProbabilities(found);
        } catch (e) {
          if (e instanceof Unsupported) {
            this.deferredUnsupported ??= e;
            break;
          }
          if (e instanceof Budget || e instanceof Cancelled) throw e;
          if (e instanceof ElementCap) throw e;
          errors.push(`${enc}: ${e instanceof Error ? e.message : String(e)}`);
          if (process.env.LOSSLINT_DEBUG) console.error(e);
          // Targets out of a class count the function holds itself (`one_hot(labels, 2)`), or a mask of
          // the targets that does not fit the logits the function reshaped to its own count
          // (`x.view(-1, 2)[t == 1]`): the next count.
          // A class weight the function builds for its own count (`tensor([w0, w1])`, a list of two
          // gathered by the labels: `tf.gather(weights, labels)`) too.
          if (!(e instanceof EvalError && /out of bounds|out of range for dimension|Target|smaller than num_classes|does not match the shape of the indexed tensor|defined either for all \d+ classes/.test(e.message))) break;
        }
      }
    }
    return undefined;
  }

  /**
   * A function whose parameter we took for logits but that takes probabilities (Keras' y_pred,
   * `-t * log(p)`) is NaN on every typical input. If feeding softmax/sigmoid of the logits makes it
   * finite, probe it that way instead of reporting a NaN that is our own doing.
   */
  private maybeProbabilities(s: Setup): Setup {
    if (s.plan.inputIsProb) return s;
    const inp = (activation?: Formulation): ProbeInputs => ({ seed: 7, shape: [64, s.classes], std: 1, target: s.encoding, generator: '', activation, ...(s.layout ? { layout: s.layout } : {}) });
    const onLogits = this.run(s, inp(), {});
    if (onLogits.lossNonFinite === 0) return s;
    const act: Formulation = s.encoding === 'binary' || (s.plan.boxes && s.formulation === 'sigmoid') ? 'sigmoid' : 'softmax';
    const plan = { ...s.plan, inputIsProb: true, act };
    try {
      const onProbs = this.run({ ...s, plan }, inp(act), {});
      if (onProbs.lossNonFinite === 0) return { ...s, plan, formulation: act };
    } catch (e) {
      if (e instanceof Cancelled) throw e;
      // else keep the logits reading
    }
    return s;
  }

  /** The plan's assumed module values (roles.ts `CheckPlan.assumed`) whose module is not on disk: in-repo, a module there is read instead. */
  private assumedValues(plan: CheckPlan): Map<string, AssumedValue> {
    return new Map(Object.entries(plan.assumed ?? {}).filter(([q]) => !this.opts.imported?.located(q)));
  }

  check(fn: FunctionIR, plan: CheckPlan): NumericReport {
    const t0 = Date.now();
    const report: NumericReport = { function: plan.qualname, range: fn.nameSpan.r, probes: [], findings: [], ms: 0, backend: this.opts.backend, backendNotes: this.opts.backendNotes };
    const finish = (why?: string): NumericReport => {
      if (why) report.notChecked = `not checked: ${why}`;
      report.ms = Date.now() - t0;
      return report;
    };
    const cls = fn.className ? this.mod.classes.get(fn.className) : undefined;
    const closure = fn.parent && fn.parent !== '<module>' ? fn.parent : undefined;
    report.entry = closure ? { kind: 'closure', owner: closure } : cls ? { kind: appliedForward(fn, this.mod) ? 'apply' : 'method', owner: cls.name } : { kind: 'function' };
    // The pre-scan covers the function, its class and its factories (what runs beyond them is
    // evaluated by the same whitelist, which has no process, file or import API to reach).
    const init = cls?.methods.get('__init__');
    const factories: FunctionIR[] = [];
    for (let q = closure; q && q !== '<module>'; ) {
      const g = this.mod.functions.find((x) => x.qualname === q);
      if (!g) break;
      factories.push(g);
      q = g.parent;
    }
    const bad = forbiddenCall([fn, ...(init ? [init] : []), ...(cls ? [...cls.methods.values()] : []), ...factories], this.mod);
    if (bad) return finish(bad.message);
    const baseHyper: Record<string, Val> = {};
    const gammaValues = (plan.gamma?.values ?? []).filter((v): v is number => typeof v === 'number');
    const alphaDefault = plan.alpha?.values[0];
    try {
      this.deferredUnsupported = undefined;
      const setup = this.setup(fn, plan, baseHyper);
      if (typeof setup === 'string' && this.deferredUnsupported) throw this.deferredUnsupported;
      if (typeof setup === 'string') return finish(setup);
      report.formulation = setup.formulation;
      report.roles = { input: plan.input, target: plan.target, encoding: setup.encoding, inputIsProb: setup.plan.inputIsProb, ...(plan.mapped ? { mapped: plan.mapped } : {}), ...(plan.stateColumn && setup.encoding !== 'index' ? { stateColumn: true } : {}), ...(setup.plan.boxed ? { boxed: setup.plan.boxed } : {}), ...(setup.plan.perRow ? { perRow: setup.plan.perRow } : {}), ...(setup.plan.perExample ? { perExample: setup.plan.perExample } : {}), ...(setup.plan.targetFields ? { targetFields: setup.plan.targetFields } : {}), ...(setup.plan.vmapped ? { vmapped: true } : {}), ...(setup.plan.boxes ? { boxes: true as const } : {}), ...(setup.plan.oneInput ? { oneInput: true as const } : {}), ...(setup.plan.targetOffset && setup.encoding === 'index' ? { targetOffset: setup.plan.targetOffset } : {}), ...(plan.model ? { model: plan.model } : {}), ...(plan.outerTarget ? { outerTarget: plan.outerTarget } : {}), ...(plan.packed ? { packed: plan.packed } : {}), ...(plan.graph ? { graph: plan.graph } : {}) };
      if (setup.plan.fill) {
        report.supplied = {};
        for (const [k, { value, why }] of Object.entries(setup.plan.fill)) {
          const v = isBoxFill(value) ? `boxes ${JSON.stringify(value)}` : value !== null && typeof value === 'object' && !Array.isArray(value) ? ('module' in value ? `module ${value.module}` : 'classes' in value ? 'classes' : 'device' in value ? 'device' : 'eye' in value ? 'eye_classes' : 'attrs' in value ? `attrs ${JSON.stringify(value.attrs)}` : 'keys' in value ? `keys ${JSON.stringify(Object.fromEntries(Object.entries(value.keys).map(([a, v]) => [a, typeof v === 'object' ? '__class_ones__' : v])))}` : 'op' in value ? `op ${value.op} ${JSON.stringify(value.kwargs)}` : 'counts' in value ? 'class_counts' : 'like' in value ? `like_${value.like}` : 'modelInput' in value ? 'model_input' : 'prngKey' in value ? 'prng_key' : 'boxes' in value || 'offsets' in value ? `boxes ${JSON.stringify(value)}` : value.ones === 'classes' ? 'class_ones' : value.ones === 'class_map' ? 'class_map' : value.ones === 'rows' ? 'row_ones' : 'ones') : typeof value === 'boolean' ? String(value) : value;
          // A gamma set per probe is in each probe's hyper: only its first value is "supplied".
          report.supplied[k] = { value: v, why };
        }
      }
      for (const [q, { value, why }] of this.assumedValues(plan)) (report.supplied ??= {})[q] = { value, why };
      const configs: Record<string, Val>[] = gammaValues.length ? gammaValues.slice(0, 3).map((g) => ({ [plan.gamma!.name]: num(g, false) })) : [{}];
      if (plan.valuesOnly) {
        // numpy: the values of its outputs on typical and confident inputs (and the gamma sweep's),
        // in float32; the gradient probes are not checked, and no finding is made of float32 values.
        report.valuesOnly = { ...VALUES_ONLY, ...(plan.targetDataset ? { dataset: `\`${plan.target}\` is the probes' Dataset: get_label() and .label give the targets as float labels (LightGBM Dataset / XGBoost DMatrix)` } : {}) };
        for (const h of configs) {
          for (const std of [1, 5]) this.probe(report, setup, 'typical', this.inputsFor(setup, { std, seed: this.opts.seed + std }), h);
          for (const m of MARGINS) this.probe(report, setup, 'confident', this.inputsFor(setup, { margin: m, seed: this.opts.seed + 100 + m }), h);
        }
        if (plan.gamma)
          for (const g of GAMMA_SWEEP) {
            if (gammaValues.includes(g)) continue;
            for (const m of MARGINS) this.probe(report, setup, 'gamma-sweep', this.inputsFor(setup, { margin: m, seed: this.opts.seed + 100 + m }), { [plan.gamma.name]: num(g, false) });
          }
        return finish();
      }
      // 0. LL306-LL309: samples mixed by broadcasting, ignored targets, anchor count, hard examples.
      if (!plan.boxes && !plan.oneInput) runExtraProbes({ run: (x, inp, h, extra) => this.run(x, inp, h, extra), samples: setup.samples ?? this.opts.samples, seed: this.opts.seed }, this.mod, report, setup);
      // 1. typical and confident inputs at the function's own hyperparameters.
      for (const h of configs) {
        for (const std of [1, 5]) this.probe(report, setup, 'typical', this.inputsFor(setup, { std, seed: this.opts.seed + std }), h);
        for (const m of MARGINS) this.probe(report, setup, 'confident', this.inputsFor(setup, { margin: m, seed: this.opts.seed + 100 + m }), h);
      }
      // 2. gamma sweep.
      if (plan.gamma) {
        for (const g of GAMMA_SWEEP) {
          if (gammaValues.includes(g)) continue;
          for (const m of MARGINS) this.probe(report, setup, 'gamma-sweep', this.inputsFor(setup, { margin: m, seed: this.opts.seed + 100 + m }), { [plan.gamma.name]: num(g, false) });
        }
      }
      // 3. alpha effect: not where the probes assumed a loss module passed in (roles.ts typicalLossModule):
      // the terms it weighs may then be alike where the real ones differ.
      const assumed = Object.values(plan.fill ?? {}).some((f) => f.assumed) || this.assumedValues(plan).size > 0;
      const assumedModule = Object.values(plan.fill ?? {}).some((f) => f.assumed && f.value !== null && typeof f.value === 'object' && 'op' in f.value);
      if (plan.alpha && (typeof alphaDefault === 'number' || alphaDefault === undefined) && !assumedModule && !plan.boxes && !plan.oneInput) this.alphaEffect(report, setup);
      // 4. CE at gamma = 0, and 5. the reference: not where a value the probes assumed (roles.ts Fill
      // `assumed`) may make the loss differ from the canonical one; the reference (the focal formula's)
      // not for a loss the facts see as neither focal nor a cross-entropy.
      // A loss of one input has no target to compare a cross-entropy or a focal loss at; a
      // label-smoothed one is smoothed cross-entropy at gamma = 0, by design.
      if (plan.gamma && !assumed && !plan.oneInput && !plan.smoothed) this.ceAtGammaZero(report, setup);
      if (!setup.plan.notFocal && !plan.smoothed && !assumed && !plan.oneInput) this.reference(report, setup, gammaValues[0] ?? (plan.plainCE ? 0 : 2), alphaDefault);
      this.findings(report, setup);
      return finish();
    } catch (e) {
      if (e instanceof Cancelled) throw e;
      if (e instanceof Unsupported) return finish(e.message);
      if (e instanceof ElementCap) return finish(e.message);
      if (e instanceof Budget) {
        this.findings(report);
        return finish(`time budget exhausted after ${report.probes.length} probes`);
      }
      if (e instanceof EvalError) return finish(`the function raises on the probe inputs: ${e.message}`);
      return finish(`evaluation failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }

  private hyperRecord(h: Record<string, Val>): Record<string, HyperValue> {
    const out: Record<string, HyperValue> = {};
    for (const [k, v] of Object.entries(h)) {
      out[k] = v.t === 'num' ? v.v : v.t === 'str' ? v.v : v.t === 'list' ? v.items.map((x) => (x.t === 'num' ? x.v : NaN)) : null;
    }
    return out;
  }

  private probe(report: NumericReport, s: Setup, name: string, inp: ProbeInputs, h: Record<string, Val>): RunOut {
    const t = Date.now();
    const out = this.run(s, inp, h);
    report.probes.push({
      probe: name,
      inputs: inp,
      hyper: this.hyperRecord(h),
      ...runFields(out, inp),
      ok: out.outputs ? outputsOk(out.outputs) : out.gradNaN + out.gradInf + out.lossNonFinite === 0,
      ...(out.outputs ? { note: `values only, float32: ${outputsText(out.outputs)}` } : {}),
      ms: Date.now() - t,
    });
    return out;
  }

  /**
   * Fits g ≈ c_k * r (c_k > 0) per group k (all one group by default) and returns the scales with
   * the largest relative deviation over significant entries. Groups absorb alpha weighting: per
   * target value for sigmoid losses (alpha_t), per target class for softmax ones (alpha[t]).
   */
  private compare(g: Float32Array, r: Float32Array, groups?: Int32Array, unread: ReadonlySet<number> = new Set(), C = 1, ignoredGroups = false): { scale: number; scales: number[]; maxRel: number; ignored: number[] } {
    const K = groups ? Math.max(...groups) + 1 : 1;
    const gr = new Float64Array(K);
    const rr = new Float64Array(K);
    const moved = new Uint8Array(K);
    let rmax = 0;
    for (let i = 0; i < g.length; i++) {
      if (unread.has(i % C)) continue;
      if (!Number.isFinite(g[i]) || !Number.isFinite(r[i])) continue;
      const k = groups ? groups[i] : 0;
      gr[k] += g[i] * r[i];
      rr[k] += r[i] * r[i];
      if (g[i] !== 0) moved[k] = 1;
      rmax = Math.max(rmax, Math.abs(r[i]));
    }
    // Groups (target classes) whose every row has a gradient of exactly 0 while others have one: targets
    // the loss ignores (an ignore label, a background class masked out), compared on the others.
    const ignored: number[] = [];
    if (ignoredGroups && moved.some((m) => m)) for (let k = 0; k < K; k++) if (!moved[k] && rr[k] > 0) ignored.push(k);
    const skip = new Set(ignored);
    const scales = Array.from(gr, (x, k) => (rr[k] > 0 && !skip.has(k) ? x / rr[k] : NaN));
    let maxRel = 0;
    for (let i = 0; i < g.length; i++) {
      if (unread.has(i % C) || skip.has(groups ? groups[i] : 0)) continue;
      if (!Number.isFinite(g[i]) || !Number.isFinite(r[i])) {
        if (Number.isFinite(g[i]) !== Number.isFinite(r[i])) maxRel = Infinity;
        continue;
      }
      const c = scales[groups ? groups[i] : 0];
      const ref = c * r[i];
      const denom = Math.max(Math.abs(ref), 1e-3 * Math.abs(c) * rmax);
      if (!(denom > 0)) continue;
      maxRel = Math.max(maxRel, Math.abs(g[i] - ref) / denom);
    }
    const fitted = scales.filter((c) => !Number.isNaN(c));
    if (!fitted.length || fitted.some((c) => !(c > 0))) maxRel = Infinity;
    return { scale: fitted[0] ?? 0, scales, maxRel, ignored };
  }

  private ignoredNote(ignored: readonly number[]): string {
    if (!ignored.length) return '';
    return `; targets of class${ignored.length > 1 ? 'es' : ''} ${ignored.join(', ')} ignored by the loss (gradient 0 on their rows): compared on the others`;
  }

  /**
   * Class columns the loss never reads: its gradient is exactly 0 in that column on every row, while
   * other columns have some (a background class it drops, `conf[..., 1:]`). The canonical
   * comparisons cover the columns it reads; the note names the others.
   */
  private unreadColumns(g: Float32Array, C: number): Set<number> {
    const read = new Uint8Array(C);
    for (let i = 0; i < g.length; i++) if (g[i] !== 0) read[i % C] = 1;
    const out = new Set<number>();
    for (let c = 0; c < C; c++) if (!read[c]) out.add(c);
    return out.size < C ? out : new Set();
  }

  private unreadNote(unread: ReadonlySet<number>): string {
    if (!unread.size) return '';
    const cols = [...unread].join(', ');
    return `; class column${unread.size > 1 ? 's' : ''} ${cols} never read by the loss (gradient 0 on every row): compared on the others`;
  }

  /** Group of each gradient entry: its binary target (sigmoid) or its row's class (softmax). */
  private groups(s: Setup, inp: ProbeInputs): Int32Array {
    const g = generate(inp);
    const [N, C] = inp.shape;
    const out = new Int32Array(N * C);
    for (let i = 0; i < N * C; i++) out[i] = s.formulation === 'sigmoid' ? (g.onehot[i] ? 1 : 0) : g.index[Math.floor(i / C)];
    return out;
  }

  private weightsNote(s: Setup, scales: number[]): string {
    if (s.formulation === 'sigmoid' && scales.length === 2 && scales.every((c) => c > 0)) {
      return `; implied alpha_t weights: positives ${(scales[1] / (scales[0] + scales[1])).toFixed(3)}, negatives ${(scales[0] / (scales[0] + scales[1])).toFixed(3)}`;
    }
    const ok = scales.filter((c) => c > 0);
    if (ok.length > 1) {
      const mx = Math.max(...ok);
      const mn = Math.min(...ok);
      if (mx / mn > 1 + 1e-3) return `; per-class weights vary by ${(mx / mn).toFixed(3)}x`;
    }
    return '';
  }

  private alphaEffect(report: NumericReport, s: Setup): void {
    const name = s.plan.alpha!.name;
    const inp = this.inputsFor(s, { std: 1, seed: this.opts.seed + 1 });
    const t = Date.now();
    const a = this.run(s, inp, { [name]: num(0.25, false) });
    const b = this.run(s, inp, { [name]: num(0.75, false) });
    const { scale, maxRel } = this.compare(b.grad, a.grad);
    const onlyScales = maxRel < 1e-4 && scale > 0;
    report.probes.push({
      probe: 'alpha-effect',
      inputs: inp,
      hyper: { [name]: [0.25, 0.75] },
      calls: [{ [name]: 0.25 }, { [name]: 0.75 }],
      ...runFields(b, inp),
      maxRelDiff: maxRel,
      scale,
      ok: !onlyScales,
      note: onlyScales
        ? `alpha 0.25 -> 0.75 scales every gradient entry by ${scale.toPrecision(4)} (max deviation ${maxRel.toExponential(1)})`
        : `alpha 0.25 -> 0.75 changes the relative weights (max deviation from one common factor ${fmtRel(maxRel)})`,
      ms: Date.now() - t,
    });
  }

  private neutralAlpha(s: Setup): Record<string, Val> {
    const a = s.plan.alpha;
    if (!a) return {};
    const d = a.values[0];
    if (d === null || d === undefined) return { [a.name]: NONE };
    if (Array.isArray(d)) return { [a.name]: hyperVal(d.map(() => 1)) };
    return { [a.name]: num(s.formulation === 'sigmoid' ? 0.5 : 1, false) };
  }

  private ceGrad(s: Setup, inp: ProbeInputs): Float32Array {
    const g = generate(inp);
    const [N, C] = inp.shape;
    return tf.tidy(() => {
      const z = tf.tensor2d(g.logits, [N, C]);
      const f = (x: tf.Tensor): tf.Scalar => {
        if (s.formulation === 'softmax') {
          const lp = P.logSoftmax(x, 1);
          return tf.neg(tf.sum(P.gatherDim(lp, 1, tf.tensor2d(g.index, [N, 1], 'int32')))) as tf.Scalar;
        }
        const t = tf.tensor2d(g.onehot, [N, C]);
        return tf.sum(sigmoidFocalReference(x, t, -1, 0, 'none')) as tf.Scalar;
      };
      return Float32Array.from(tf.grad(f)(z).dataSync() as Float32Array);
    });
  }

  private ceAtGammaZero(report: NumericReport, s: Setup): void {
    const inp = this.inputsFor(s, { std: 1, seed: this.opts.seed + 1 });
    const t = Date.now();
    let h: Record<string, Val> = { [s.plan.gamma!.name]: num(0, false), ...this.neutralAlpha(s) };
    let out: RunOut;
    try {
      out = this.run(s, inp, h);
    } catch (e) {
      // A function that refuses the neutral alpha (`assert alpha < 1`) runs at its own: the groups of
      // the comparison absorb a per-target or per-class alpha.
      if (!(e instanceof EvalError) || !s.plan.alpha) throw e;
      h = { [s.plan.gamma!.name]: num(0, false) };
      out = this.run(s, inp, h);
    }
    const ref = this.ceGrad(s, inp);
    const unread = this.unreadColumns(out.grad, inp.shape[1]);
    const { scale, scales, maxRel, ignored } = this.compare(out.grad, ref, this.groups(s, inp), unread, inp.shape[1], s.formulation === 'softmax');
    report.probes.push({
      probe: 'ce-at-gamma-0',
      inputs: inp,
      hyper: this.hyperRecord(h),
      ...runFields(out, inp),
      maxRelDiff: maxRel,
      scale,
      ok: maxRel <= REL_TOL,
      note: `gradient vs ${s.formulation === 'softmax' ? 'softmax cross-entropy' : 'BCE with logits'}: scale ${scale.toPrecision(4)}, max relative difference ${fmtRel(maxRel)}${this.weightsNote(s, scales)}${this.unreadNote(unread)}${this.ignoredNote(ignored)}`,
      ms: Date.now() - t,
    });
  }

  private reference(report: NumericReport, s: Setup, gamma: number, alpha: number | number[] | null | undefined): void {
    const inp = this.inputsFor(s, { std: 1, seed: this.opts.seed + 1 });
    const t = Date.now();
    const out = this.run(s, inp, {});
    const g = generate(inp);
    const [N, C] = inp.shape;
    const ref = tf.tidy(() => {
      const z = tf.tensor2d(g.logits, [N, C]);
      const f = (x: tf.Tensor): tf.Scalar => {
        if (s.formulation === 'sigmoid') {
          const a = typeof alpha === 'number' ? alpha : -1;
          return tf.sum(sigmoidFocalReference(x, tf.tensor2d(g.onehot, [N, C]), a, gamma, 'none')) as tf.Scalar;
        }
        const a = Array.isArray(alpha) && alpha.length === C && alpha.every((x) => typeof x === 'number' && Number.isFinite(x)) ? alpha : undefined;
        return tf.sum(softmaxFocalReference(x, tf.tensor1d(g.index, 'int32'), a, gamma, 'none')) as tf.Scalar;
      };
      return Float32Array.from(tf.grad(f)(z).dataSync() as Float32Array);
    });
    const unread = this.unreadColumns(out.grad, C);
    const { scale, scales, maxRel, ignored } = this.compare(out.grad, ref, this.groups(s, inp), unread, C, s.formulation === 'softmax');
    const canon = s.formulation === 'sigmoid' ? `torchvision sigmoid_focal_loss(alpha=${typeof alpha === 'number' ? alpha : -1}, gamma=${gamma})` : `softmax focal loss (gamma=${gamma}${Array.isArray(alpha) ? ', per-class alpha' : ''})`;
    report.probes.push({
      probe: 'reference',
      inputs: inp,
      // The function runs at its defaults; the canonical formula at these values.
      hyper: {},
      referenceHyper: { gamma, alpha: alpha ?? null },
      ...runFields(out, inp),
      maxRelDiff: maxRel,
      scale,
      ok: maxRel <= REL_TOL,
      note: `gradient vs ${canon}: scale ${scale.toPrecision(4)}, max relative difference ${fmtRel(maxRel)}${this.weightsNote(s, scales)}${this.unreadNote(unread)}${this.ignoredNote(ignored)}`,
      ms: Date.now() - t,
    });
  }

  private finding(rule: { meta: { code: string; name: string; severity: Finding['severity'] }; docs: string }, report: NumericReport, message: string, evidence: string): Finding {
    return {
      code: rule.meta.code,
      name: rule.meta.name,
      severity: rule.meta.severity,
      message,
      range: report.range,
      explanation: `**${rule.meta.code} ${rule.meta.name}** (numeric probe)\n\n${message}\n\n${evidence}`,
      evidence,
    };
  }

  private findings(report: NumericReport, s?: Setup): void {
    // Values-only probes (numpy) computed float32 values where numpy computes float64: no finding.
    if (report.valuesOnly) return;
    const where = (p: ProbeResult): string => (p.inputs.margin !== undefined ? (p.inputs.target === 'binary' ? `when every logit is at least ${p.inputs.margin} on its target's side` : `when the target logit leads by ${p.inputs.margin}`) : `on typical logits (std ${p.inputs.std})`);
    const hy = (p: ProbeResult): string => {
      const parts = Object.entries(p.hyper).map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(', ')}]` : v}`);
      return parts.length ? ` (${parts.join(', ')})` : '';
    };
    const evidence = (p: ProbeResult): string => `probe ${p.probe}: ${p.inputs.generator}; backend ${report.backend}`;
    const main = report.probes.filter((p) => p.probe === 'typical' || p.probe === 'confident');
    const sweep = report.probes.filter((p) => p.probe === 'gamma-sweep');
    const gradBad = (p: ProbeResult) => p.gradNaN + p.gradInf > 0;
    // Findings come from the configured hyperparameters only (precision first): a swept gamma that
    // gives NaN while the configured one does not stays in the probe table, and is named in the
    // finding's message when the configured value fails too.
    const g1 = main.find(gradBad);
    if (g1) {
      const kind = g1.gradNaN ? 'NaN' : 'infinite';
      const first = g1.hyper[Object.keys(g1.hyper)[0]];
      const gammas = [...new Set(sweep.filter(gradBad).map((p) => p.hyper[Object.keys(p.hyper)[0]]))].filter((x) => x !== first);
      const also = gammas.length ? `; the gamma sweep also fails at gamma ${gammas.join(', ')}` : '';
      report.findings.push(this.finding(LL301, report, `gradient is ${kind} for ${g1.samplesNonFinite} of ${g1.samples} samples ${where(g1)}${hy(g1)}${also}`, evidence(g1)));
    }
    const l1 = main.find((p) => p.lossNonFinite > 0);
    if (l1) {
      report.findings.push(this.finding(LL302, report, `loss is not finite (${l1.lossNonFinite} of ${l1.lossElements} elements) ${where(l1)}${hy(l1)}`, evidence(l1)));
    }
    const a = report.probes.find((p) => p.probe === 'alpha-effect');
    if (a && !a.ok) report.findings.push(this.finding(LL303, report, `alpha only rescales the loss: ${a.note}`, evidence(a)));
    const c = report.probes.find((p) => p.probe === 'ce-at-gamma-0');
    if (c && !c.ok && Number.isFinite(c.loss ?? NaN)) report.findings.push(this.finding(LL304, report, `at gamma=0 the loss is not cross-entropy: ${c.note}`, evidence(c)));
    const r = report.probes.find((p) => p.probe === 'reference');
    if (r && !r.ok && s) report.findings.push(this.finding(LL305, report, `differs from the canonical ${s.formulation} focal loss: ${r.note}`, evidence(r)));
  }
}

function fmtRel(x: number): string {
  return Number.isFinite(x) ? x.toExponential(2) : 'inf (non-finite entries differ)';
}
