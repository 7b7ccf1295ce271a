/**
 * What the numeric checks show in the editor: the CodeLens title, the probe table and the loss-curve
 * plot (a small SVG in a data: URI) of the hover. Plain strings; no LSP state.
 */
import type { LossCurve } from '../numeric/curve';
import { type NumericReport, type ProbeResult, probeHyperText } from '../numeric/types';

/** "LossLint: 5/6 probes pass (wasm, 41 ms)", or "LossLint: not checked: unsupported `X` at line N". */
export function lensTitle(r: NumericReport): string {
  if (r.notChecked) return `LossLint: ${r.notChecked}`;
  const ok = r.probes.filter((p) => p.ok).length;
  const where = [r.backend, r.cached ? 'cached' : `${r.ms} ms`].filter(Boolean).join(', ');
  const findings = r.findings.length ? ` · ${[...new Set(r.findings.map((f) => f.code))].join(', ')}` : '';
  // numpy: values only (float32), the gradient probes not checked.
  const values = r.valuesOnly ? `values only, ${r.valuesOnly.precision}, ` : '';
  return `LossLint: ${ok}/${r.probes.length} probes pass (${values}${where})${findings}`;
}

function fmt(x: number | null): string {
  if (x === null) return '–';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : x.toPrecision(4);
}

function inputsOf(p: ProbeResult): string {
  const hyper = probeHyperText(p);
  const base = p.inputs.margin !== undefined ? `margin ${p.inputs.margin}` : `std ${p.inputs.std}`;
  return [base, `${p.inputs.shape.join('×')}`, hyper].filter(Boolean).join(', ');
}

function verdict(p: ProbeResult): string {
  if (p.ok) return '✓ pass';
  // A values-only probe (numpy): what its outputs hold.
  if (p.outputs) return `✗ ${p.note?.replace(/^values only, float32: /, '') ?? 'fail'}`;
  const why: string[] = [];
  if (p.gradNaN + p.gradInf > 0) why.push(`${p.samplesNonFinite}/${p.samples} samples`);
  if (p.lossNonFinite > 0) why.push('loss not finite');
  if (p.maxRelDiff !== undefined) why.push(`rel. diff ${fmt(p.maxRelDiff)}`);
  return `✗ fail${why.length ? ` (${why.join(', ')})` : ''}`;
}

/** The Markdown probe table of one report (probe, inputs, loss, grad finite, verdict). */
export function probeTable(r: NumericReport): string {
  if (r.notChecked) return `**LossLint numeric check of \`${r.function}\`**: ${r.notChecked}`;
  const head = `**LossLint numeric check of \`${r.function}\`**: ${r.valuesOnly ? `values only (${r.valuesOnly.why}; computed in ${r.valuesOnly.precision}, numpy's float64 not computed; gradient probes not checked)` : `${r.formulation ?? ''} loss`}, input \`${r.roles?.input}\`, target \`${r.roles?.target ?? '-'}\` (${r.roles?.encoding ?? '?'}), ${r.backend} backend, ${r.cached ? 'cached' : `${r.ms} ms`}`;
  const rows = ['| probe | inputs | loss | grad finite | verdict |', '|---|---|---|---|---|'];
  for (const p of r.probes) {
    const grad = p.outputs ? 'not checked' : p.gradNaN + p.gradInf === 0 ? 'yes' : `no (${p.gradNaN} NaN, ${p.gradInf} inf)`;
    rows.push(`| ${p.probe} | ${inputsOf(p)} | ${fmt(p.loss)} | ${grad} | ${verdict(p)} |`);
  }
  const findings = r.findings.map((f) => `* **${f.code}**: ${f.message}`);
  return [head, rows.join('\n'), ...(findings.length ? [findings.join('\n')] : [])].join('\n\n');
}

// --- the SVG ---------------------------------------------------------------------------------

const W = 190;
const H = 130;
const PAD = { l: 30, r: 6, t: 16, b: 22 };
/** Mid-tone colours that read on dark and light backgrounds alike. */
const USER = '#3b8eea';
const REF = '#999';
const BAD = '#e5484d';

interface Series {
  ys: (number | null)[];
  color: string;
  dash?: boolean;
}

function r1(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

function panel(x0: number, title: string, pts: number[], series: Series[]): string {
  const all = series.flatMap((s) => s.ys.filter((y): y is number => y !== null && Number.isFinite(y)));
  let lo = Math.min(0, ...all);
  let hi = Math.max(0, ...all);
  if (hi - lo < 1e-12) hi = lo + 1;
  const pw = W - PAD.l - PAD.r;
  const ph = H - PAD.t - PAD.b;
  const sx = (pt: number) => x0 + PAD.l + pt * pw;
  const sy = (y: number) => PAD.t + ((hi - Math.min(hi, Math.max(lo, y))) / (hi - lo)) * ph;
  const out: string[] = [];
  out.push(`<text x="${x0 + PAD.l}" y="11">${title}</text>`);
  // Axes: the frame, the zero line, ticks at pt = 0, 0.5, 1 and the y range.
  out.push(`<rect x="${x0 + PAD.l}" y="${PAD.t}" width="${pw}" height="${ph}" fill="none" stroke="${REF}" stroke-width="0.5"/>`);
  if (lo < 0 && hi > 0) out.push(`<line x1="${x0 + PAD.l}" x2="${x0 + PAD.l + pw}" y1="${r1(sy(0))}" y2="${r1(sy(0))}" stroke="${REF}" stroke-width="0.5"/>`);
  for (const t of [0, 0.5, 1]) out.push(`<text x="${r1(sx(t))}" y="${H - 10}" text-anchor="middle">${t}</text>`);
  out.push(`<text x="${x0 + PAD.l + pw}" y="${H - 1}" text-anchor="end">pt</text>`);
  out.push(`<text x="${x0 + PAD.l - 2}" y="${PAD.t + 7}" text-anchor="end">${fmtAxis(hi)}</text>`);
  out.push(`<text x="${x0 + PAD.l - 2}" y="${PAD.t + ph}" text-anchor="end">${fmtAxis(lo)}</text>`);
  for (const s of series) {
    let d = '';
    let pen = false;
    const bad: number[] = [];
    s.ys.forEach((y, i) => {
      if (y === null || !Number.isFinite(y)) {
        pen = false;
        bad.push(pts[i]);
        return;
      }
      d += `${pen ? 'L' : 'M'}${r1(sx(pts[i]))} ${r1(sy(y))}`;
      pen = true;
    });
    if (d) out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${s.dash ? ' stroke-dasharray="3 2"' : ''}/>`);
    for (const b of bad) out.push(`<text x="${r1(sx(b))}" y="${PAD.t + ph - 2}" fill="${BAD}" text-anchor="middle">×</text>`);
  }
  return out.join('');
}

function fmtAxis(y: number): string {
  const a = Math.abs(y);
  if (a === 0) return '0';
  return a >= 100 || a < 0.01 ? y.toExponential(0) : String(Math.round(y * 100) / 100);
}

/** The SVG: loss against pt (left) and its gradient w.r.t. the target logit (right), yours beside the reference focal loss. */
export function curveSvg(c: LossCurve): string {
  const pts = c.points.map((p) => p.pt);
  const ref = `FL γ=${c.gamma}${c.alpha !== undefined ? ` α=${c.alpha}` : ''}`;
  const body = [
    panel(0, 'loss', pts, [
      { ys: c.points.map((p) => p.refLoss), color: REF, dash: true },
      { ys: c.points.map((p) => p.loss), color: USER },
    ]),
    panel(W, '∂loss/∂z_target', pts, [
      { ys: c.points.map((p) => p.refGrad), color: REF, dash: true },
      { ys: c.points.map((p) => p.grad), color: USER },
    ]),
  ].join('');
  const legend =
    `<line x1="70" x2="82" y1="7" y2="7" stroke="${USER}" stroke-width="1.5"/><text x="85" y="10">yours</text>` +
    `<line x1="116" x2="128" y1="7" y2="7" stroke="${REF}" stroke-width="1.5" stroke-dasharray="3 2"/><text x="131" y="10">${escapeXml(ref)}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H}" viewBox="0 0 ${2 * W} ${H}" font-family="sans-serif" font-size="9" fill="#888">` +
    body +
    legend +
    '</svg>'
  );
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

/** The hover's plot section for a curve (or why there is none). */
export function curveMarkdown(c: LossCurve | undefined): string {
  if (!c) return '_Loss curve: computing…_';
  if (c.error || c.points.length === 0) return `_Loss curve not available: ${c.error ?? 'no points'}_`;
  const nan = c.points.filter((p) => p.loss === null || p.grad === null).length;
  const note = nan ? ` ${nan} of ${c.points.length} points not finite (×).` : '';
  return `![loss and gradient against pt](${svgDataUri(curveSvg(c))})\n\nLoss and gradient against pt (${c.formulation}, 1-sample batches, pt 0.01–0.99), solid: yours, dashed: reference focal loss.${note}`;
}
