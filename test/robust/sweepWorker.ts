/**
 * Worker of the robustness sweep (bundled by pool.ts): parses and analyses each text it is sent and
 * answers with the time taken, the number of findings and anything that went wrong. `analyze`
 * never throws by contract; a thrown error or an onRuleError call is a crash.
 */
import { parentPort } from 'node:worker_threads';
import { analyze } from '../../server/src/analysis/analyze';
import { ParsedDocument } from '../../server/src/core/document';
import { DEFAULT_SETTINGS } from '../../server/src/core/types';
import { findingViolations } from './invariants';

export interface SweepRequest {
  id: number;
  text: string;
  /** Analyse with `strict` on: more rule paths run, so more chances to crash. */
  strict: boolean;
}

export interface SweepAnswer {
  id: number;
  ms: number;
  findings: string[];
  crashes: string[];
  violations: string[];
  hasError: boolean;
}

const describe = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e));

parentPort!.on('message', ({ id, text, strict }: SweepRequest) => {
  const crashes: string[] = [];
  let findings: string[] = [];
  let violations: string[] = [];
  let hasError = false;
  const t0 = performance.now();
  try {
    const doc = ParsedDocument.parse(text);
    hasError = doc.tree.rootNode.hasError;
    const result = analyze(doc, { ...DEFAULT_SETTINGS, strict }, { onRuleError: (code, e) => crashes.push(`${code}: ${describe(e)}`) });
    findings = result.map((f) => `${f.code}@${f.range.start.line + 1}:${f.range.start.character + 1}`);
    violations = findingViolations(doc, result);
  } catch (e) {
    crashes.push(`threw: ${describe(e)}`);
  }
  const answer: SweepAnswer = { id, ms: performance.now() - t0, findings, crashes, violations, hasError };
  parentPort!.postMessage(answer);
});
