/**
 * The numeric checks in the CLI. Imported for its side effect by server/src/cli/main.ts (the line
 * marked `// numeric:`): registers the runner that `losslint check --numeric` calls, and exports
 * the `losslint probe FILE::NAME [--repro]` command.
 *
 * The runner adds the probe findings LL301-LL305 (selection, severity overrides and `# noqa` apply
 * as to every rule) and appends evidence to the static findings a probe confirms. Numeric findings
 * carry their probe result in `numeric`, which `--format json` prints.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Command, Option } from 'commander';
import type { Finding } from '../core/types';
import { isNotebookPath, notebookModuleText } from '../cli/notebook';
import { type NumericFile, type NumericLog, type NumericOptions, setNumericRunner } from '../cli/numeric';
import { mergeFindings } from './merge';
import { reproScript } from './repro';
import { checkDocumentNumerically, moduleOf } from './runner';
import { jsonNumbers, type NumericReport, probeHyperText } from './types';

export { mergeFindings, type NumericFindingData } from './merge';

async function runFiles(files: NumericFile[], options: NumericOptions, log: NumericLog): Promise<Finding[][]> {
  const results: Finding[][] = [];
  for (const file of files) {
    const mod = moduleOf(file.text);
    const reports = await checkDocumentNumerically(mod, { backend: options.backend, text: file.text });
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
  const rows = [`${r.function}: ${r.notChecked ?? `${r.formulation} focal loss, input \`${r.roles?.input}\`, target \`${r.roles?.target}\` (${r.roles?.encoding}), backend ${r.backend}, ${r.ms} ms`}`];
  for (const n of r.backendNotes ?? []) rows.push(`  note: ${n}`);
  if (r.probes.length) {
    // hyper: what the function was called with (`defaults`); the reference probe adds the formula's.
    const hypers = r.probes.map((p) => probeHyperText(p));
    const w = Math.max(24, ...hypers.map((h) => h.length));
    rows.push(`  probe           ${'hyper'.padEnd(w)} inputs                    loss          grad NaN/inf   samples hit`);
    r.probes.forEach((p, i) => {
      const inp = p.inputs.margin !== undefined ? `margin ${p.inputs.margin}, seed ${p.inputs.seed}` : `std ${p.inputs.std}, seed ${p.inputs.seed}`;
      const loss = p.loss === null ? '-' : Number.isFinite(p.loss) ? p.loss.toPrecision(6) : String(p.loss);
      rows.push(`  ${p.probe.padEnd(15)} ${hypers[i].padEnd(w)} ${inp.padEnd(25)} ${loss.padEnd(13)} ${`${p.gradNaN}/${p.gradInf}`.padEnd(14)} ${p.samplesNonFinite}/${p.samples}${p.note ? `  ${p.note}` : ''}`);
    });
  }
  for (const f of r.findings) rows.push(`  ${f.code} ${f.name}: ${f.message}`);
  return rows.join('\n');
}

/** `losslint probe FILE::NAME`: the probe table of one function, or a PyTorch repro script. */
export function registerProbeCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('probe')
    .description('run the numeric probes on one function (FILE::NAME), or print a PyTorch script reproducing them')
    .argument('<target>', 'FILE::NAME, NAME a function or Class.forward (or the class name)')
    .option('--repro', 'print a self-contained PyTorch script that rebuilds the probe inputs and calls the function')
    .addOption(new Option('--backend <backend>', 'where the probes run').choices(['auto', 'webgpu', 'wasm', 'cpu']).default('auto'))
    .addOption(new Option('--format <format>', 'output format (json: non-finite numbers as "NaN", "Infinity", "-Infinity")').choices(['text', 'json']).default('text'))
    .option('--samples <n>', 'samples per probe', (v) => Number.parseInt(v, 10), 4096)
    .action(async (target: string, flags: { repro?: boolean; backend: 'auto' | 'webgpu' | 'wasm' | 'cpu'; format: 'text' | 'json'; samples: number }) => {
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
      if (mod.classes.has(name)) name = `${name}.forward`;
      if (!mod.functions.some((f) => f.qualname === name)) {
        process.stderr.write(`error: ${file}: no function ${name}\n`);
        return setExitCode(2);
      }
      const reports = await checkDocumentNumerically(mod, { backend: flags.backend, only: [name], samples: flags.samples, text });
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
        process.stdout.write(reproScript(path.resolve(file), r));
        return setExitCode(0);
      }
      // JSON: a non-finite loss (or other number) is "NaN", "Infinity" or "-Infinity" (types.ts jsonNumbers).
      process.stdout.write(flags.format === 'json' ? `${JSON.stringify(r, jsonNumbers, 2)}\n` : `${table(r)}\n`);
      setExitCode(r.notChecked ? 2 : r.findings.length ? 1 : 0);
    });
}
