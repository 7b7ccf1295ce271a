/**
 * The exact findings of `losslint check examples/`: codes, 1-based positions and exit codes. The
 * examples are the bug gallery of the README; each line below was checked by hand against the math.
 */
import { describe, expect, it } from 'vitest';
import { lines, REPO, runCli } from './helpers';

const EXPECTED = [
  'examples/keras_focal.py:10:40: LL103', // K.pow(1.0 - p_t, gamma) with gamma=0.5 passed at the call site
  'examples/keras_focal.py:10:60: LL202', // K.log(p_t) of an unclipped y_pred
  'examples/keras_focal.py:16:57: LL108', // BinaryFocalCrossentropy(alpha=...) without apply_class_balancing
  'examples/reduced_ce.py:8:10: LL104', // exp(-F.cross_entropy(...)) with the default reduction="mean"
  'examples/reduced_ce.py:14:17: LL202', // torch.log(softmax probabilities)
  'examples/sigmoid_focal.py:10:12: LL102', // scalar alpha on a sigmoid focal loss
  'examples/sigmoid_focal.py:16:12: LL107', // softmax at inference after sigmoid focal training
  'examples/softmax_focal.py:16:22: LL101', // scalar self.alpha on a softmax focal loss
  'examples/softmax_focal.py:16:35: LL103', // (1 - pt) ** self.gamma with gamma=0.5
];

describe('losslint check examples/ (exact findings)', () => {
  it('reports exactly the seeded mistakes, at their positions, and exits 1', async () => {
    const r = await runCli(['check', 'examples/'], REPO);
    const out = lines(r.stdout);
    expect(out.pop()).toMatch(/^Found 9 problems \(\d+ fixable with --fix\)\.$/);
    expect(out.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(EXPECTED);
    expect(r.code).toBe(1);
  });

  it('reports nothing on the correct example and exits 0', async () => {
    const r = await runCli(['check', 'examples/correct_focal.py'], REPO);
    expect(r.stdout).toBe('All checks passed!\n');
    expect(r.code).toBe(0);
  });

  it('exits 2 with a one-line reason on a missing path', async () => {
    const r = await runCli(['check', 'examples/does_not_exist.py'], REPO);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/does_not_exist\.py/);
  });
});
