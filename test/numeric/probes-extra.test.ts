/**
 * The probes of LL306-LL309 (server/src/numeric/probes-extra.ts) on test/numeric/probe-fixtures/extra_probes.py (kept out of test/numeric/fixtures: the
 * real-torch harness there runs every function at 4096 samples, where `mixed` is 4096 x 4096),
 * through the worker as a user runs them: a finding where the mistake shows in numbers, none on the
 * correct twin; the generator's ignored and background samples; the merge that attaches a probe to
 * the static finding it confirms. (test/numeric/repro.test.ts replays every probe row in real torch.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../server/src/analysis/analyze';
import { ParsedDocument } from '../../server/src/core/document';
import { DEFAULT_SETTINGS } from '../../server/src/core/types';
import { generate } from '../../server/src/numeric/gen';
import { mergeFindings } from '../../server/src/numeric/merge';
import { checkDocumentNumerically, disposeNumericWorker } from '../../server/src/numeric/runner';
import type { NumericReport, ProbeInputs } from '../../server/src/numeric/types';
import { loadEngine, WORKER } from './helpers';

const opts = { backend: 'wasm' as const, workerPath: WORKER, samples: 512, timeBudgetMs: 120_000 };
const TEXT = fs.readFileSync(path.join(__dirname, 'probe-fixtures', 'extra_probes.py'), 'utf8');
let reports: NumericReport[] = [];
const codes = (name: string) => reports.find((r) => r.function === name)!.findings.map((f) => f.code).filter((c) => c >= 'LL306');
const probe = (name: string, p: string) => reports.find((r) => r.function === name)!.probes.filter((x) => x.probe === p);

beforeAll(async () => {
  loadEngine();
  reports = await checkDocumentNumerically(TEXT, opts);
}, 180_000);

afterAll(() => disposeNumericWorker());

describe('LL308 sample-mixing', () => {
  it('names the operation that broadcast [N, 1] with [N] into [N, N], with N = 7 probe samples', () => {
    expect(codes('mixed')).toEqual(['LL308']);
    const f = reports.find((r) => r.function === 'mixed')!.findings.find((x) => x.code === 'LL308')!;
    expect(f.message).toContain('`*` at line 9 broadcast [7, 1] with [7] to [7, 7]');
    expect(probe('mixed', 'sample-mixing')[0]).toMatchObject({ ok: false, samples: 7 });
  });

  it('is silent when the gathered p_t is squeezed', () => {
    expect(codes('not_mixed')).toEqual([]);
    expect(probe('not_mixed', 'sample-mixing')[0].ok).toBe(true);
  });
});

describe('LL306 ignore-index', () => {
  it('measures the ignored targets in the mean: x0.75 with a quarter ignored', () => {
    expect(codes('ignored_in_mean')).toEqual(['LL306']);
    const [withIgnored, valid] = probe('ignored_in_mean', 'ignore-index');
    expect(withIgnored.samples).toBe(512);
    expect(valid.samples).toBe(384);
    expect(withIgnored.loss! / valid.loss!).toBeCloseTo(0.75, 4);
    expect(withIgnored.note).toContain("stay in the mean's denominator");
  });

  it('is silent when the sum is divided by the targets that are not ignored', () => {
    expect(codes('ignored_honoured')).toEqual([]);
    const [a, b] = probe('ignored_honoured', 'ignore-index');
    expect(Math.abs(a.loss! - b.loss!) / b.loss!).toBeLessThan(1e-4);
  });

  it('reports a raise when the ignore index is used to gather (and leaves that probe out of the table)', () => {
    const f = reports.find((r) => r.function === 'ignored_as_index')!.findings.find((x) => x.code === 'LL306')!;
    expect(f.message).toMatch(/^raises on targets equal to its ignore index -100: index -100 is out of bounds/);
    expect(probe('ignored_as_index', 'ignore-index')).toEqual([]);
  });

  it('does not run without an advertised ignore index', () => {
    expect(probe('not_mixed', 'ignore-index')).toEqual([]);
  });
});

describe('LL309 hard-examples', () => {
  it('counts the samples whose gradient is exactly zero under log(p.clamp(min=eps))', () => {
    expect(codes('clamped_logs')).toEqual(['LL309']);
    expect(probe('clamped_logs', 'hard-examples')[0].note).toMatch(/^gradient exactly 0 for 512 of 512 samples/);
  });

  it('is silent in log space', () => {
    expect(codes('log_space')).toEqual([]);
    expect(probe('log_space', 'hard-examples')[0].note).toMatch(/^gradient exactly 0 for 0 of 512 samples/);
  });
});

describe('LL307 anchor-scaling', () => {
  it('reports a loss that shrinks with added background when positives normalise another term', () => {
    expect(codes('anchors_mean')).toEqual(['LL307']);
    const [, more] = probe('anchors_mean', 'anchor-scaling');
    expect(more.samples).toBe(1024);
  });

  it('is silent when the focal sum is divided by the positives (the loss barely moves)', () => {
    expect(codes('anchors_normalised')).toEqual([]);
    const [a, b] = probe('anchors_normalised', 'anchor-scaling');
    expect(Math.abs(b.loss! / a.loss! - 1)).toBeLessThan(1e-3);
  });

  it('shows the halving of a classification mean in the table without a finding (no count of positives)', () => {
    expect(codes('multilabel_mean')).toEqual([]);
    const [a, b] = probe('multilabel_mean', 'anchor-scaling');
    expect(b.loss! / a.loss!).toBeCloseTo(0.5, 2);
    expect(b.ok).toBe(true);
  });
});

describe('merge', () => {
  it('attaches LL306 to the static LL116 finding it confirms instead of adding its own', () => {
    const fn = TEXT.split('\n\n\n').find((s) => s.includes('def ignored_in_mean'))!;
    const text = `import torch\nimport torch.nn.functional as F\n\n\n${fn}\n`;
    const staticFindings = analyze(ParsedDocument.parse(text), DEFAULT_SETTINGS);
    expect(staticFindings.map((f) => f.code)).toEqual(['LL116']);
    const merged = mergeFindings(text, staticFindings, reports.filter((r) => r.function === 'ignored_in_mean').map((r) => ({ ...r, range: { start: { line: 4, character: 4 }, end: { line: 4, character: 19 } } })), DEFAULT_SETTINGS);
    expect(merged.map((f) => f.code)).toEqual(['LL116']);
    expect(merged[0].message).toContain('(confirmed by a numeric probe)');
    expect(merged[0].evidence).toContain('ignored targets change the loss');
  });
});

describe('generator', () => {
  const base: ProbeInputs = { seed: 3, shape: [8, 3], std: 1, target: 'index', generator: '' };

  it('sets every 4th target to the ignore index, or drops those samples', () => {
    const g = generate({ ...base, ignore: { value: -100, every: 4 } });
    expect(Array.from(g.index).filter((_, i) => i % 4 === 3)).toEqual([-100, -100]);
    const d = generate({ ...base, ignore: { value: -100, every: 4, drop: true } });
    const full = generate(base);
    expect(d.rows).toBe(6);
    expect(Array.from(d.index)).toEqual(Array.from(full.index).filter((_, i) => i % 4 !== 3));
    expect(Array.from(d.logits.subarray(9, 12))).toEqual(Array.from(full.logits.subarray(12, 15)));
  });

  it('appends background samples: logits -12, targets 0', () => {
    const g = generate({ ...base, target: 'binary', background: 4 });
    expect(g.rows).toBe(12);
    expect(Array.from(g.logits.subarray(24))).toEqual(new Array(12).fill(-12));
    expect(Array.from(g.onehot.subarray(24))).toEqual(new Array(12).fill(0));
  });
});
