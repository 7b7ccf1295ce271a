/**
 * Merges the numeric reports of a file into its static findings (the CLI's `--numeric` and the
 * language server): adds the probe findings LL301-LL305 (selection, severity overrides and `# noqa`
 * apply as to every rule) and appends evidence to the static findings a probe confirms. Numeric
 * findings carry their probe result in `numeric`. No TensorFlow.js and no CLI imports here.
 */
import { isEnabled } from '../analysis/registry';
import type { ModuleIR } from '../core/ir';
import type { Finding, LintSettings } from '../core/types';
import { moduleOf } from './module-of';
import { jsonSafe, type JsonSafe, type ModuleOutline, type NumericReport, type ProbeResult } from './types';

/** What `--format json` prints for a numeric finding (non-finite numbers spelled "NaN", "Infinity", "-Infinity"). */
export interface NumericFindingData {
  function: string;
  backend?: string;
  probe?: JsonSafe<ProbeResult>;
}

/** Static rules (by name) that a failed probe confirms, and the probe rule that confirms them. */
const CONFIRMS: Record<string, string> = {
  'gamma-below-one-unclamped': 'LL301',
  'log-of-probability': 'LL302',
  'scalar-alpha-softmax': 'LL303',
  'alpha-not-alpha-t': 'LL303',
  'pt-from-reduced-ce': 'LL305',
};

const PROBE_OF: Record<string, (p: ProbeResult) => boolean> = {
  LL301: (p) => (p.probe === 'typical' || p.probe === 'confident' || p.probe === 'gamma-sweep') && p.gradNaN + p.gradInf > 0,
  LL302: (p) => (p.probe === 'typical' || p.probe === 'confident' || p.probe === 'gamma-sweep') && p.lossNonFinite > 0,
  LL303: (p) => p.probe === 'alpha-effect' && !p.ok,
  LL304: (p) => p.probe === 'ce-at-gamma-0' && !p.ok,
  LL305: (p) => p.probe === 'reference' && !p.ok,
};

function inside(f: Finding, r: NumericReport, fnEnd: number | undefined): boolean {
  const line = f.range.start.line;
  return line >= r.range.start.line && (fnEnd === undefined || line <= fnEnd);
}

/**
 * Merges one file's numeric reports into its static findings (`source`: its text, or the module the
 * checks ran on, or that module's outline from checkTextNumerically).
 */
export function mergeFindings(source: string | ModuleIR | ModuleOutline, staticFindings: Finding[], reports: NumericReport[], settings: LintSettings): Finding[] {
  const mod: ModuleOutline = typeof source === 'string' ? moduleOf(source) : source;
  const out = staticFindings.map((f) => ({ ...f }));
  for (const r of reports) {
    const fn = mod.functions.find((x) => x.qualname === r.function);
    const end = fn?.span.r.end.line;
    for (const nf of r.findings) {
      if (!isEnabled(nf.code, settings)) continue;
      const noqa = mod.noqa.get(nf.range.start.line);
      if (noqa && (noqa.length === 0 || noqa.includes(nf.code))) continue;
      const confirmed = out.filter((f) => CONFIRMS[f.name] === nf.code && inside(f, r, end));
      for (const f of confirmed) {
        if (!f.evidence) f.message = `${f.message} (confirmed by a numeric probe)`;
        f.evidence = f.evidence ? `${f.evidence}; ${nf.message}` : `numeric probe: ${nf.message} (${nf.evidence})`;
      }
      if (confirmed.length) continue;
      const sev = settings.severity[nf.code];
      const probe = r.probes.find(PROBE_OF[nf.code] ?? (() => false));
      const data: NumericFindingData = { function: r.function, backend: r.backend, probe: probe && jsonSafe(probe) };
      out.push({ ...nf, severity: sev && sev !== 'off' ? sev : nf.severity, numeric: data } as Finding);
    }
  }
  return out;
}
