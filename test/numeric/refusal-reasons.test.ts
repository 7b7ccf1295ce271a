/**
 * Refusals that say what a parameter without a value is, where the code says so and nothing in the
 * file gives it (numeric/refusal-reasons.ts; fixtures/refusal_reasons.py): no value is guessed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';

const SRC = fs.readFileSync(path.join(__dirname, 'fixtures', 'refusal_reasons.py'), 'utf8');

function reasons(src: string): Map<string, string> {
  const skipped: PlanSkip[] = [];
  planModule(moduleOf(src), undefined, undefined, skipped);
  return new Map(skipped.map((s) => [s.qualname, s.reason]));
}

describe('a refusal says what the missing value is', () => {
  const r = reasons(SRC);

  it('a loss passed in and called: nothing in the file says which loss', () => {
    expect(r.get('wrap_criterion.wrapped_loss')).toBe('the loss is `criterion(target, pred)`: `criterion` is a function the factory `wrap_criterion` is given and calls, which nothing in the file gives; the probes have no loss to check');
    expect(r.get('pick_one_loss.chosen_loss')).toMatch(/^the loss is `candidates\[i\]\(y_true, y_pred\)`: `candidates` is a sequence of functions the factory `pick_one_loss` is given/);
  });

  it('a call site that gives the function is no such refusal', () => {
    const given = `${SRC}\n\ndef _ce(t, p):\n    return F.cross_entropy(p, t)\n\nLOSS = wrap_criterion(_ce)\n`;
    expect(reasons(given).get('wrap_criterion.wrapped_loss') ?? '').not.toMatch(/^the loss is/);
  });

  it('a sequence only iterated or passed on: its values are not in the file', () => {
    expect(r.get('MatchedClassLoss.loss_matched')).toMatch(/^required parameter `pairs` has no value: a sequence the function only iterates or passes on \(.*`zip\(targets, pairs\)`.*\): nothing it does with it says what its values are/);
  });

  it('one parameter: a loss its caller computed, a batch read at attributes, or a prediction whose target the function builds', () => {
    expect(r.get('modulate_loss')).toBe('its one tensor parameter `per_sample_ce` is a loss already computed: `ModulatedLoss.forward` passes it `F.cross_entropy(logits, target, ...)`; that caller is the entry point the probes give a prediction and a target');
    expect(r.get('batch_loss')).toBe('the prediction and the target come through one parameter `batch`, read at `batch.logits`, `batch.labels`: a batch or a tuple the probes do not build');
    expect(r.get('generator_loss')).toBe('one tensor parameter `fake_scores`, its target built by the function (`torch.ones_like(fake_scores)`): no target parameter the probes could give');
  });
});

describe('one parameter read at a tensor attribute or method', () => {
  it('is a tensor, no batch of fields', () => {
    const src = 'import numpy as np\n\ndef hinge_loss(X):\n    n = X.shape[0]\n    return np.maximum(0, 1 - X.dot(np.ones(X.shape[1]))).sum() / n + X.T.sum()\n';
    expect(reasons(src).get('hinge_loss') ?? '').not.toMatch(/come through one parameter/);
  });
});
