/**
 * The numeric checks in the CLI (the front end of server/src/numeric/, which imports nothing of the
 * CLI). Imported by main.ts: registers the runner that `losslint check --numeric` calls (the line
 * marked `// numeric:` in check.ts), and the `losslint probe` command:
 *
 *   losslint probe FILE::NAME [--repro]        the probe table of one function, or a PyTorch script
 *   losslint probe --coverage PATH...          how many loss functions were probed, and why not the others
 *
 * The runner adds the probe findings LL301-LL305 (selection, severity overrides and `# noqa` apply
 * as to every rule) and appends evidence to the static findings a probe confirms. Numeric findings
 * carry their probe result in `numeric`, which `--format json` prints.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Command, Option } from 'commander';
import { ConfigLoader } from '../config';
import { interpretModule } from '../core/interp';
import type { Finding } from '../core/types';
import { mergeFindings } from '../numeric/merge';
import { reproScript } from '../numeric/repro';
import { drawsText } from '../numeric/draws';
import { frameworkOf, planModule, type CoverageFramework, type PlanSkip } from '../numeric/roles';
import { checkDocumentNumerically, moduleOf } from '../numeric/runner';
import { jsonNumbers, type NumericReport, probeHyperText } from '../numeric/types';
import { isNotebookPath, notebookModuleText } from './notebook';
import { type NumericFile, type NumericLog, type NumericOptions, setNumericRunner } from './numeric';
import { collectFiles } from './walk';

async function runFiles(files: NumericFile[], options: NumericOptions, log: NumericLog): Promise<Finding[][]> {
  const results: Finding[][] = [];
  for (const file of files) {
    const mod = moduleOf(file.text);
    const reports = await checkDocumentNumerically(mod, { backend: options.backend, text: file.text, file: file.path, roots: [process.cwd()] });
    for (const note of new Set(reports.flatMap((r) => r.backendNotes ?? []))) {
      if (options.backend !== 'auto') log.notice('warning', `numeric: ${note}`);
    }
    results.push(mergeFindings(mod, file.findings, reports, file.settings));
  }
  return results;
}

setNumericRunner(runFiles);

// --- losslint probe FILE::NAME [--repro] ------------------------------------------------------

function table(r: NumericReport): string {
  const rows = [`${r.function}: ${r.notChecked ?? `${r.valuesOnly ? 'values only' : `${r.formulation} focal loss`}, input \`${r.roles?.input}\`, ${r.roles?.target === undefined && r.roles?.boxes ? 'no target parameter (the function derives its targets from the generated boxes)' : r.roles?.target === undefined && r.roles?.oneInput ? 'no target parameter (a loss of one input: its loss and gradient on typical and confident inputs; the probes that change or compare targets do not run)' : `target \`${r.roles?.target}\` (${r.roles?.encoding})`}, backend ${r.backend}, ${r.ms} ms`}`];
  for (const n of r.backendNotes ?? []) rows.push(`  note: ${n}`);
  // numpy: values only, in float32; what was not checked is named.
  if (r.valuesOnly) {
    rows.push(`  values only (${r.valuesOnly.why}): computed in ${r.valuesOnly.precision}, numpy's float64 not computed; no finding is made of these values`);
    rows.push(`  not checked: ${r.valuesOnly.notChecked.join(', ')}: ${r.valuesOnly.why}`);
    if (r.valuesOnly.dataset) rows.push(`  dataset: ${r.valuesOnly.dataset}`);
  }
  // A model the function runs: stood in by the probe's prediction (roles.ts `CheckPlan.model`).
  if (r.roles?.graph) rows.push(`  a TensorFlow graph-mode loss: \`${r.roles.graph.loss}\` is run from the model's output \`${r.roles.graph.prediction.name}\` (\`${r.roles.graph.prediction.shown}\`), stood in by the probe's ${r.roles.inputIsProb ? 'probabilities' : 'logits'}, and \`${r.roles.graph.target.shown}\`, given the probe's targets; the statements between them are run, the model and the session code around them are not checked`);
  if (r.roles?.model) rows.push(`  the model is stood in by the probe's prediction: ${r.roles.model.shown} returns the probe's ${r.roles.inputIsProb ? 'probabilities' : 'logits'}${r.roles.model.unpacked ? ` as value ${r.roles.model.unpacked.at + 1} of the ${r.roles.model.unpacked.n} it unpacks (the others, only returned by the function, hold values nothing reads)` : ''} (\`${r.roles.input}\` is passed as the stand-in), and the gradient is taken with respect to that prediction; the model itself is not checked`);
  if (r.roles?.stateColumn) rows.push(`  given: ${r.roles.target} with one more trailing column: 1 where the sample has a positive class, else 0 (the function reads \`${r.roles.target}[..., :-1]\` and \`${r.roles.target}[..., -1]\`)`);
  for (const b of r.roles?.boxed ?? []) rows.push(`  given: ${b} passed as a one-item list of its value ([v] for v): the function subscripts it (\`${b}[0]\`) and raised on the number`);
  if (r.roles?.targetOffset) rows.push(`  given: ${r.roles.target} as class indices from ${r.roles.targetOffset} (0 left for the background): the function compares them with \`arange(1, C + 1)\``);
  if (r.roles?.targetFields) rows.push(`  given: ${r.roles.target} with a last axis of ${r.roles.targetFields} fields: [..., 0] the target, ${Array.from({ length: r.roles.targetFields - 1 }, (_, i) => `[..., ${i + 1}]`).join(', ')} ones (the function reads them one by one: \`${r.roles.target}[..., k]\`; a mask or weight of ones keeps every element)`);
  if (r.roles?.perExample) rows.push(`  per example: ${r.roles.perExample.join(', ')} hold one example each (annotated as one number, \`label: int\`, or a vector the function reshapes to a row of its own length, \`y.reshape(1, y.shape[0])\`), so the function is called once per example of the probe batch, these sliced along it and the losses stacked, as jax.vmap(${r.function}) would`);
  if (r.roles?.vmapped) rows.push(`  given: the batch through the module's own jax.vmap of ${r.function} (the function is written for one example; the batched inputs fail)`);
  for (const b of r.roles?.perRow ?? []) rows.push(`  given: ${b}, a number, to every example of the function's jax.vmap (its in_axes maps ${b}: one value per example, all equal)`);
  // A parameter read as a mapping: the dict the probes passed it (roles.ts `mapped`).
  for (const [p, keys] of Object.entries(r.roles?.mapped ?? {})) rows.push(`  given: ${p} = {${Object.entries(keys).map(([k, w]) => `${JSON.stringify(k)}: ${w === 'ones' ? 'ones like the input' : w === 'model_input' ? "a value only the stood-in model's run reads" : p === r.roles!.input ? 'the prediction' : 'the target'}`).join(', ')}} (the function reads it as a mapping${r.roles?.outerTarget && p === r.roles.target ? `; a parameter of \`${r.roles.outerTarget}\`, which defines the function and is given it` : ''})`);
  if (r.roles?.outerTarget && !r.roles.mapped?.[r.roles.target ?? '']) rows.push(`  given: the target \`${r.roles.target}\` is a parameter of \`${r.roles.outerTarget}\`, which defines the function and is given it`);
  // Values the probes gave required parameters without a default, and why each (roles.ts fill).
  // A mapping of settings (`keys {...}`): shown as the dict passed, a per-class weight as ones(C).
  const shown = (value: unknown): string => (typeof value === 'string' && value.startsWith('keys ') ? `{${Object.entries(JSON.parse(value.slice(5)) as Record<string, unknown>).map(([a, v]) => `${JSON.stringify(a)}: ${v === '__class_ones__' ? 'ones(C)' : JSON.stringify(v)}`).join(', ')}}` : JSON.stringify(value));
  for (const [k, { value, why }] of Object.entries(r.supplied ?? {})) rows.push(`  given: ${k} = ${shown(value)} (${why})`);
  // Random draws inside the function (numeric/draws.ts): the probe's own stream, which --repro replays.
  const drew = r.probes.find((p) => p.draws?.length);
  // JAX keys (ops/table/random.ts): a key's draws are the stream's for that key, the same each time it is used; PyTorch has no keys to replay them with.
  const keyed = !!drew?.draws!.some((d) => d.key);
  if (drew) rows.push(`  random draws: ${drawsText(drew.draws!)} (${drew.probe} probe; each probe draws its own): from LossLint's seeded stream, started afresh for each call, not from the framework's generator${keyed ? "; a JAX key's draws come from the stream mixed with the key (one key draws the same values each time, split and fold_in make new keys from it)" : ''}; the results below hold for these draws${keyed ? '' : ', and the --repro script replays them in PyTorch'}`);
  if (r.probes.length) {
    // hyper: what the function was called with (`defaults`); the reference probe adds the formula's.
    const hypers = r.probes.map((p) => probeHyperText(p));
    const w = Math.max(24, ...hypers.map((h) => h.length));
    rows.push(`  probe           ${'hyper'.padEnd(w)} inputs                    loss          grad NaN/inf   samples hit`);
    r.probes.forEach((p, i) => {
      const inp = p.inputs.margin !== undefined ? `margin ${p.inputs.margin}, seed ${p.inputs.seed}` : `std ${p.inputs.std}, seed ${p.inputs.seed}`;
      const loss = p.loss === null ? '-' : Number.isFinite(p.loss) ? p.loss.toPrecision(6) : String(p.loss);
      rows.push(`  ${p.probe.padEnd(15)} ${hypers[i].padEnd(w)} ${inp.padEnd(25)} ${loss.padEnd(13)} ${(p.outputs ? '-' : `${p.gradNaN}/${p.gradInf}`).padEnd(14)} ${p.outputs ? '-' : `${p.samplesNonFinite}/${p.samples}`}${p.note ? `  ${p.note}` : ''}`);
    });
  }
  for (const f of r.findings) rows.push(`  ${f.code} ${f.name}: ${f.message}`);
  return rows.join('\n');
}

// --- losslint probe --coverage PATH... -----------------------------------------------------------

/** One loss function of a coverage run: probed, or why not. */
export interface CoverageEntry {
  file: string;
  function: string;
  framework: CoverageFramework;
  probed: boolean;
  /** Probed for its values only (numpy has no autograd: report.valuesOnly); only with `probed`. */
  valuesOnly?: boolean;
  /** Probed with the model it runs stood in by the probe's prediction (report.roles.model); only with `probed`. */
  modelStoodIn?: boolean;
  /** Why it was not probed, without line numbers (so that equal reasons group). */
  reason?: string;
}

/** A `not checked: ...` reason as it groups: line numbers and the message of a raise left out. */
export function coverageReason(notChecked: string): string {
  let why = notChecked.replace(/^not checked: /, '');
  // Every encoding failed: the error most of them met says why (the last one on a tie).
  const every = /^the function raises on every target encoding tried(?:, in layouts [^(]*)? \((.*)\)$/.exec(why);
  if (every) {
    // `index, onehot: message; binary: message` (probes.ts groupedErrors): a message counts once per encoding.
    const errors = every[1].split(/; (?=(?:(?:index|onehot|binary)(?:, )?)+: )/).flatMap((e) => {
      const m = /^((?:(?:index|onehot|binary)(?:, )?)+): ([^]*)$/.exec(e);
      const msg = (m ? m[2] : e).replace(/ \(line \d+\)/g, '');
      return m ? m[1].split(', ').map(() => msg) : [msg];
    });
    const counts = new Map<string, number>();
    for (const e of errors) counts.set(e, (counts.get(e) ?? 0) + 1);
    why = [...counts].reduce((best, cur) => (cur[1] >= best[1] ? cur : best))[0];
  }
  return why
    .replace(/ at line \d+/g, '')
    .replace(/ \(line \d+\)/g, '')
    .replace(/^(the function raises on the probe inputs): .*/, '$1')
    .replace(/^(evaluation failed): .*/, '$1')
    .replace(/^(a tensor of) \d+ elements .*/, '$1 more elements than the cap')
    .replace(/^(time budget) .*/, '$1 exhausted');
}

/** Coverage of the loss functions in `files`: every planned function and every loss-named one the planner left out. */
export async function probeCoverage(files: string[], opts: { backend: 'auto' | 'webgpu' | 'wasm' | 'cpu'; samples: number; onFile?: (file: string) => void; onError?: (file: string, message: string) => void }): Promise<CoverageEntry[]> {
  const out: CoverageEntry[] = [];
  for (const file of files) {
    opts.onFile?.(file);
    // A failure inside one file's analysis is that file's error: the other files are still counted.
    try {
      await coverageOfFile(file, opts, out);
    } catch (error) {
      opts.onError?.(file, (error as Error)?.message ?? String(error));
    }
  }
  return out;
}

async function coverageOfFile(file: string, opts: { backend: 'auto' | 'webgpu' | 'wasm' | 'cpu'; samples: number }, out: CoverageEntry[]): Promise<void> {
  let text: string;
  try {
    text = isNotebookPath(file) ? notebookModuleText(file) : fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const mod = moduleOf(text);
  const skipped: PlanSkip[] = [];
  let facts;
  try {
    facts = interpretModule(mod);
  } catch {
    facts = undefined;
  }
  const plans = planModule(mod, facts, undefined, skipped);
  // The plan's framework where there is one (it knows a module injected by keyword).
  const fw = (qualname: string): CoverageFramework => {
    const planned = plans.find((p) => p.qualname === qualname)?.framework;
    if (planned) return planned;
    const fn = mod.functions.find((f) => f.qualname === qualname);
    return fn ? frameworkOf(fn, mod) : 'other';
  };
  const reports = await checkDocumentNumerically(mod, { backend: opts.backend, samples: opts.samples, text, timeBudgetMs: 600_000, functionBudgetMs: 60_000, file: path.resolve(file), roots: [process.cwd()] });
  for (const r of reports) out.push({ file, function: r.function, framework: fw(r.function), probed: !r.notChecked, ...(!r.notChecked && r.valuesOnly ? { valuesOnly: true } : {}), ...(!r.notChecked && r.roles?.model ? { modelStoodIn: true } : {}), ...(r.notChecked ? { reason: coverageReason(r.notChecked) } : {}) });
  for (const s of skipped) out.push({ file, function: s.qualname, framework: fw(s.qualname), probed: false, reason: s.reason });
}

const FRAMEWORKS: CoverageFramework[] = ['torch', 'tf/keras', 'jax', 'numpy', 'other'];

function pct(n: number, d: number): string {
  return d ? `${((100 * n) / d).toFixed(1)} %` : '-';
}

/** The coverage summary: totals, per framework, and the reasons with their counts (most frequent first). */
export function coverageText(entries: CoverageEntry[], cwd: string, verbose = false): string {
  const rows: string[] = [];
  const probed = entries.filter((e) => e.probed).length;
  // Values only: probed without a gradient (numpy), said apart from the full probes.
  const valuesOnly = (es: CoverageEntry[]): string => {
    const v = es.filter((e) => e.probed && e.valuesOnly).length;
    const m = es.filter((e) => e.probed && e.modelStoodIn).length;
    return `${v ? `, ${v} of them values only` : ''}${m ? `, ${m} with the model stood in by the probe's prediction` : ''}`;
  };
  rows.push(`loss functions: ${entries.length}, probed ${probed} (${pct(probed, entries.length)})${valuesOnly(entries)}`);
  for (const fw of FRAMEWORKS) {
    const of = entries.filter((e) => e.framework === fw);
    if (!of.length) continue;
    const p = of.filter((e) => e.probed).length;
    rows.push(`  ${fw.padEnd(9)} ${String(of.length).padStart(5)}  probed ${String(p).padStart(5)} (${pct(p, of.length)})${valuesOnly(of)}`);
  }
  const reasons = new Map<string, CoverageEntry[]>();
  for (const e of entries) if (!e.probed) reasons.set(e.reason ?? '?', [...(reasons.get(e.reason ?? '?') ?? []), e]);
  if (reasons.size) {
    rows.push('not probed:');
    for (const [why, es] of [...reasons].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))) {
      const fws = FRAMEWORKS.map((fw) => [fw, es.filter((e) => e.framework === fw).length] as const).filter(([, n]) => n > 0);
      rows.push(`  ${String(es.length).padStart(5)}  ${why}  (${fws.map(([fw, n]) => `${fw} ${n}`).join(', ')})`);
      if (verbose) for (const e of es) rows.push(`           ${path.relative(cwd, e.file)}::${e.function}`);
    }
  }
  return rows.join('\n');
}

async function coverageCommand(paths: string[], flags: { backend: 'auto' | 'webgpu' | 'wasm' | 'cpu'; format: 'text' | 'json'; samples: number; verbose?: boolean }, setExitCode: (code: number) => void): Promise<void> {
  const cwd = process.cwd();
  const walk = collectFiles(paths, cwd, new ConfigLoader({}));
  for (const p of walk.problems) process.stderr.write(`error: ${p.path}: ${p.reason}\n`);
  if (!walk.files.length) {
    process.stderr.write(`error: no Python files or notebooks found under ${paths.join(', ')}\n`);
    return setExitCode(2);
  }
  let failed = 0;
  const onError = (file: string, message: string): void => {
    failed++;
    process.stderr.write(`error: ${path.relative(cwd, file)}: internal error, its functions are not counted: ${message}\n`);
  };
  const entries = await probeCoverage(walk.files, { backend: flags.backend, samples: flags.samples, onError });
  process.stdout.write(flags.format === 'json' ? `${JSON.stringify(entries, null, 2)}\n` : `${coverageText(entries, cwd, flags.verbose)}\n`);
  setExitCode(walk.problems.length || failed ? 2 : 0);
}

/** `losslint probe FILE::NAME`: the probe table of one function, or a PyTorch repro script; `--coverage PATH...`. */
export function registerProbeCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('probe')
    .description('run the numeric probes on one function (FILE::NAME), print a PyTorch script reproducing them, or count the loss functions probed (--coverage PATH...)')
    .argument('<targets...>', 'FILE::NAME, NAME a function or Class.forward (or the class name); with --coverage, files and directories')
    .option('--repro', 'print a self-contained PyTorch script that rebuilds the probe inputs and calls the function')
    .option('--coverage', 'probe every loss function under the paths: how many were probed, and the reasons for the others with their counts')
    .option('--verbose', 'with --coverage: list the functions under each reason')
    .addOption(new Option('--backend <backend>', 'where the probes run').choices(['auto', 'webgpu', 'wasm', 'cpu']).default('auto'))
    .addOption(new Option('--format <format>', 'output format (json: non-finite numbers as "NaN", "Infinity", "-Infinity")').choices(['text', 'json']).default('text'))
    .option('--samples <n>', 'samples per probe', (v) => Number.parseInt(v, 10), 4096)
    .action(async (targets: string[], flags: { repro?: boolean; coverage?: boolean; verbose?: boolean; backend: 'auto' | 'webgpu' | 'wasm' | 'cpu'; format: 'text' | 'json'; samples: number }) => {
      if (flags.coverage) return coverageCommand(targets, flags, setExitCode);
      if (targets.length !== 1) {
        process.stderr.write('error: expected one FILE::NAME (or --coverage PATH...)\n');
        return setExitCode(2);
      }
      const target = targets[0];
      const sep = target.lastIndexOf('::');
      if (sep < 0) {
        process.stderr.write('error: expected FILE::NAME\n');
        return setExitCode(2);
      }
      const file = target.slice(0, sep);
      let name = target.slice(sep + 2);
      let text: string;
      try {
        // notebooks: a notebook's code cells, as the one module `check` analyses (server/src/cli/notebook.ts).
        text = isNotebookPath(file) ? notebookModuleText(file) : fs.readFileSync(file, 'utf8');
      } catch (e) {
        process.stderr.write(`error: ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
        return setExitCode(2);
      }
      const mod = moduleOf(text);
      if (mod.classes.has(name)) {
        const cls = mod.classes.get(name)!;
        name = `${name}.${['forward', 'call', '__call__'].find((m) => cls.methods.has(m)) ?? 'forward'}`;
      }
      // Python's __qualname__ of a closure (`outer.<locals>.inner`), or its own name when only one function has it.
      name = name.replace(/\.<locals>\./g, '.');
      if (!mod.functions.some((f) => f.qualname === name)) {
        const same = mod.functions.filter((f) => f.qualname.split('.').pop() === name);
        if (same.length === 1) name = same[0].qualname;
      }
      if (!mod.functions.some((f) => f.qualname === name)) {
        process.stderr.write(`error: ${file}: no function ${name}\n`);
        return setExitCode(2);
      }
      const reports = await checkDocumentNumerically(mod, { backend: flags.backend, only: [name], samples: flags.samples, text, file: path.resolve(file), roots: [process.cwd()] });
      const r = reports[0];
      if (!r) {
        process.stderr.write(`error: ${name} does not look like a loss (no logits and targets parameters)\n`);
        return setExitCode(2);
      }
      if (flags.repro) {
        if (isNotebookPath(file)) {
          // The script imports the file, and Python cannot import a notebook.
          process.stderr.write(`error: --repro needs a Python file: export the notebook first (jupyter nbconvert --to script ${file})\n`);
          return setExitCode(2);
        }
        if (r.notChecked && !r.roles) {
          process.stderr.write(`error: ${r.notChecked}\n`);
          return setExitCode(2);
        }
        // The script reproduces gradient probes in PyTorch: a numpy function has none.
        if (r.valuesOnly) {
          process.stderr.write(`error: --repro writes a PyTorch script of the gradient probes; ${name} was probed for its values only (${r.valuesOnly.why})\n`);
          return setExitCode(2);
        }
        process.stdout.write(reproScript(path.resolve(file), r));
        return setExitCode(0);
      }
      // JSON: a non-finite loss (or other number) is "NaN", "Infinity" or "-Infinity" (types.ts jsonNumbers).
      process.stdout.write(flags.format === 'json' ? `${JSON.stringify(r, jsonNumbers, 2)}\n` : `${table(r)}\n`);
      setExitCode(r.notChecked ? 2 : r.findings.length ? 1 : 0);
    });
}
