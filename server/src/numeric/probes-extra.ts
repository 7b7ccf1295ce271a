/**
 * The probes behind LL306-LL309, run by Prober.check after the setup and before the probes of
 * LL301-LL305 (each one's rows go into the probe table and the repro script like every other):
 *
 *   sample-mixing   N = 7 samples, every broadcasting operation's shapes watched: [N, 1] with [N]
 *                   giving [N, N] is LL308.
 *   ignore-index    when the function passes a known ignore index to its loss: every 4th target set
 *                   to it, then the same samples without them; a raise or a different loss is LL306.
 *   anchor-scaling  sigmoid losses on binary targets: the same samples plus as many easy background
 *                   samples; the loss shrinking (halving for a pure mean) is LL307 when the function normalises another term by
 *                   its count of positives (the static evidence of LL115), else a row of the table.
 *   hard-examples   the target logit trailing by 30: sample rows whose gradient is exactly zero
 *                   (while typical rows have one) are LL309.
 *
 * Static evidence comes from the abstract interpreter's facts of the function (core/interp.ts).
 */
import { interpretModule, type FunctionFacts } from '../core/interp';
import type { Expr, FunctionIR, ModuleIR } from '../core/ir';
import type { Finding } from '../core/types';
import { describeGenerator } from './gen';
import type { CheckPlan, TargetEncoding } from './roles';
import { LL306, LL307, LL308, LL309 } from './rules';
import type { Layout, NumericReport, ProbeInputs, ProbeResult } from './types';
import { ElementCap, EvalError, Unsupported, type Val } from './values';
import type { RunOut } from './probes';

export interface ExtraSetup {
  fn: FunctionIR;
  plan: CheckPlan;
  encoding: TargetEncoding;
  formulation: 'softmax' | 'sigmoid';
  classes: number;
  /** Image- or sequence-shaped inputs, as the setup found the function reads them. */
  layout?: Layout;
}

/** What the probes need of the Prober: its `run`, and its size and seed options. */
export interface ProbeHost {
  run(s: ExtraSetup, inp: ProbeInputs, hyper: Record<string, Val>, extra?: { onBroadcast?: (a: readonly number[], b: readonly number[], out: readonly number[], op: string, line: number) => void }): RunOut;
  readonly samples: number;
  readonly seed: number;
}

const RULE_OF = { LL306, LL307, LL308, LL309 } as const;

function finding(code: keyof typeof RULE_OF, report: NumericReport, message: string, evidence: string): Finding {
  const rule = RULE_OF[code];
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

function inputs(s: ExtraSetup, host: ProbeHost, extra: Partial<ProbeInputs>): ProbeInputs {
  const inp: ProbeInputs = { seed: host.seed, shape: [Math.min(host.samples, 512), s.classes], std: 1, target: s.encoding, generator: '', ...extra };
  if (s.layout) inp.layout = s.layout;
  if (s.plan.inputIsProb) inp.activation = s.formulation;
  inp.generator = describeGenerator(inp);
  return inp;
}

function row(probe: string, inp: ProbeInputs, out: RunOut, ok: boolean, note: string, ms: number): ProbeResult {
  return {
    probe,
    inputs: inp,
    hyper: {},
    loss: out.loss,
    lossElements: out.lossElements,
    lossNonFinite: out.lossNonFinite,
    gradNaN: out.gradNaN,
    gradInf: out.gradInf,
    samplesNonFinite: out.samplesNonFinite,
    samples: out.rows,
    ...(out.draws?.length ? { draws: out.draws } : {}),
    ok,
    note,
    ms,
  };
}

/** A probe that cannot run on these inputs (too large, unsupported, raising) is left out of the table. */
function attempt(f: () => RunOut): RunOut | Error {
  try {
    return f();
  } catch (e) {
    if (e instanceof ElementCap || e instanceof Unsupported || e instanceof EvalError) return e;
    // A tfjs kernel refusing these inputs (an empty mask's gradient, say) throws a plain Error; the
    // budget and cancellation (subclasses) and our own mistakes (TypeError, ...) go on up.
    if (e instanceof Error && e.constructor === Error) return e;
    throw e;
  }
}

// --- static evidence ---------------------------------------------------------------------------

function factsOf(mod: ModuleIR, fn: FunctionIR): FunctionFacts | undefined {
  const cls = fn.className;
  return interpretModule(mod, (f) => f === fn || (!!cls && f.className === cls)).functions.get(fn);
}

/** The ignore index the function gives its loss, when it has one known value. */
export function ignoreIndexOf(facts: FunctionFacts | undefined): number | undefined {
  for (const v of facts?.values.values() ?? []) {
    const vs = v.ignoreIndex?.values;
    if (vs?.length === 1) return vs[0];
  }
  return undefined;
}

/** Whether the function divides a loss term (not another count) by a count of positive targets. */
export function normalisesByPositives(facts: FunctionFacts | undefined): boolean {
  if (!facts) return false;
  const value = (e: Expr | undefined) => (e ? facts.values.get(e) : undefined);
  for (const e of facts.values.keys()) {
    const [n, d] = e.k === 'bin' && e.op === '/' ? [e.left, e.right] : e.k === 'call' && e.op?.id === 'div' ? [e.bound?.input, e.bound?.other] : [undefined, undefined];
    const dv = value(d);
    const countIn = dv?.posCount || (d?.k === 'call' && [...d.args, ...(d.func.k === 'attr' ? [d.func.obj] : [])].some((a) => value(a)?.posCount));
    const nv = value(n);
    if (countIn && nv && !nv.posCount && nv.m !== 'scalar') return true;
  }
  return false;
}

// --- the probes --------------------------------------------------------------------------------

function sampleMixing(host: ProbeHost, report: NumericReport, s: ExtraSetup): void {
  const N = s.classes === 7 ? 11 : 7;
  const inp = inputs(s, host, { shape: [N, s.classes], seed: host.seed + 7 });
  let hit: { op: string; line: number; a: readonly number[]; b: readonly number[]; out: readonly number[] } | undefined;
  const count = (sh: readonly number[]) => sh.filter((d) => d === N).length;
  const t = Date.now();
  const out = attempt(() =>
    host.run(s, inp, {}, {
      onBroadcast: (a, b, o, op, line) => {
        if (hit || !['+', '-', '*', '/'].includes(op)) return;
        if (count(o) >= 2 && count(a) === 1 && count(b) === 1) hit = { op, line, a, b, out: o };
      },
    }),
  );
  if (out instanceof Error) return;
  const shapes = hit ? `\`${hit.op}\` at line ${hit.line} broadcast [${hit.a.join(', ')}] with [${hit.b.join(', ')}] to [${hit.out.join(', ')}] (N=${N} samples)` : '';
  report.probes.push(row('sample-mixing', inp, out, !hit, hit ? shapes : `no operation paired the ${N} samples with each other`, Date.now() - t));
  if (hit) report.findings.push(finding('LL308', report, `the samples are mixed: ${shapes}; every sample's term is paired with every other sample's`, `probe sample-mixing: ${inp.generator}; backend ${report.backend}`));
}

function ignoreIndex(host: ProbeHost, report: NumericReport, s: ExtraSetup, value: number): void {
  if (s.encoding !== 'index') return;
  const every = 4;
  const seed = host.seed + 41;
  const withIgnored = inputs(s, host, { seed, ignore: { value, every } });
  const validOnly = inputs(s, host, { seed, ignore: { value, every, drop: true } });
  const t = Date.now();
  const a = attempt(() => host.run(s, withIgnored, {}));
  const evidence = `probe ignore-index: ${withIgnored.generator}; backend ${report.backend}`;
  if (a instanceof EvalError) {
    report.findings.push(finding('LL306', report, `raises on targets equal to its ignore index ${value}: ${a.message.replace(/\s*\(line \d+\)$/, '')}`, evidence));
    return;
  }
  if (a instanceof Error) return;
  const b = attempt(() => host.run(s, validOnly, {}));
  if (b instanceof Error || a.lossElements !== 1 || b.lossElements !== 1 || a.loss === null || b.loss === null || !Number.isFinite(a.loss) || !Number.isFinite(b.loss)) return;
  const rel = Math.abs(a.loss - b.loss) / Math.max(Math.abs(b.loss), 1e-12);
  const ok = rel <= 1e-3;
  const ratio = a.loss / b.loss;
  const share = 1 - Math.floor(a.rows / every) / a.rows;
  const denominator = Math.abs(ratio - share) <= 1e-3 * Math.max(1, share);
  const note = ok
    ? `the ${Math.floor(a.rows / every)} ignored targets leave the loss unchanged`
    : `with every ${every}th target = ${value} the loss is ${a.loss.toPrecision(5)}, over the valid samples alone ${b.loss.toPrecision(5)} (x${ratio.toPrecision(4)})${denominator ? ': the ignored targets stay in the mean\'s denominator' : ''}`;
  report.probes.push(row('ignore-index', withIgnored, a, ok, note, Date.now() - t));
  report.probes.push(row('ignore-index', validOnly, b, true, 'the same samples without the ignored ones', 0));
  if (!ok) report.findings.push(finding('LL306', report, `ignored targets change the loss: ${note}`, evidence));
}

function anchorScaling(host: ProbeHost, report: NumericReport, s: ExtraSetup, detection: boolean): void {
  if (s.formulation !== 'sigmoid' || s.encoding !== 'binary' || s.plan.inputIsProb) return;
  const seed = host.seed + 43;
  const base = inputs(s, host, { seed });
  const more = inputs(s, host, { seed, background: base.shape[0] });
  const t = Date.now();
  const a = attempt(() => host.run(s, base, {}));
  if (a instanceof Error) return;
  const b = attempt(() => host.run(s, more, {}));
  if (b instanceof Error || a.lossElements !== 1 || b.lossElements !== 1 || !a.loss || b.loss === null || !Number.isFinite(a.loss) || !Number.isFinite(b.loss)) return;
  const ratio = b.loss / a.loss;
  // Normalised by the positives, easy background (a focal loss of ~1e-11 each) moves the loss by far
  // less than 1%; averaged over every anchor, doubling the anchors halves the focal term.
  const halved = ratio > 0 && ratio < 0.9;
  const note = `${base.shape[0]} easy background samples added to ${base.shape[0]}: the loss goes from ${a.loss.toPrecision(5)} to ${b.loss.toPrecision(5)} (x${ratio.toPrecision(3)})`;
  report.probes.push(row('anchor-scaling', base, a, true, 'the samples before background is added', 0));
  report.probes.push(row('anchor-scaling', more, b, !(halved && detection), note, Date.now() - t));
  if (halved && detection) {
    report.findings.push(finding('LL307', report, `the loss shrinks with the number of anchors: ${note}; it is averaged over every anchor, not divided by the positives`, `probe anchor-scaling: ${more.generator}; backend ${report.backend}`));
  }
}

function zeroRows(out: RunOut, C: number): number {
  let n = 0;
  for (let i = 0; i < out.rows; i++) {
    let zero = true;
    for (let j = 0; j < C && zero; j++) if (out.grad[i * C + j] !== 0) zero = false;
    if (zero) n++;
  }
  return n;
}

function hardExamples(host: ProbeHost, report: NumericReport, s: ExtraSetup): void {
  const hardInp = inputs(s, host, { seed: host.seed + 47, margin: -30 });
  const typInp = inputs(s, host, { seed: host.seed + 48 });
  const t = Date.now();
  const hard = attempt(() => host.run(s, hardInp, {}));
  if (hard instanceof Error) return;
  const typ = attempt(() => host.run(s, typInp, {}));
  if (typ instanceof Error) return;
  const C = s.classes;
  const zh = zeroRows(hard, C);
  const zt = zeroRows(typ, C);
  const lossOk = hard.lossNonFinite === 0 && hard.gradNaN + hard.gradInf === 0;
  const bad = lossOk && zh >= 0.5 * hard.rows && zt <= 0.1 * typ.rows;
  const where = s.encoding === 'binary' ? 'every logit is 30 or more on the wrong side of 0' : 'the target logit trails every other by 30';
  const note = `gradient exactly 0 for ${zh} of ${hard.rows} samples when ${where} (for ${zt} of ${typ.rows} on typical logits)`;
  report.probes.push(row('hard-examples', hardInp, hard, !bad, note, Date.now() - t));
  if (bad) report.findings.push(finding('LL309', report, `hard examples get no gradient: ${note}; a clamp (log(p.clamp(min=eps)) or a clamped p_t) stops them from learning`, `probe hard-examples: ${hardInp.generator}; backend ${report.backend}`));
}

/** Runs the four probes (each only where it applies); a probe that cannot run is left out. */
export function runExtraProbes(host: ProbeHost, mod: ModuleIR, report: NumericReport, s: ExtraSetup): void {
  const facts = factsOf(mod, s.fn);
  sampleMixing(host, report, s);
  const ii = ignoreIndexOf(facts);
  if (ii !== undefined) ignoreIndex(host, report, s, ii);
  anchorScaling(host, report, s, normalisesByPositives(facts));
  // A clamp of log(p) or of p_t is a cross-entropy's or a focal loss's: not probed on others (a dice or
  // a squared error on sigmoid probabilities saturates in float32 with no clamp).
  if (!s.plan.notFocal) hardExamples(host, report, s);
}
