import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { FLOAT_INFO, roundTo, tiniest } from '../../server/src/core/floats';

describe('roundTo', () => {
  it('rounds to float32 as Math.fround does', () => {
    expect(roundTo(1 - 1e-8, 'float32')).toBe(1);
    expect(roundTo(1 - 1e-7, 'float32')).toBeLessThan(1);
  });

  it('rounds to float16: nothing below 2^-25 but 0, nothing within 2^-12 of 1 but 1, 65504 the largest', () => {
    expect(roundTo(1e-8, 'float16')).toBe(0);
    expect(roundTo(3e-8, 'float16')).toBe(2 ** -24);
    expect(roundTo(1 - 1e-4, 'float16')).toBe(1);
    expect(roundTo(1 - 3e-4, 'float16')).toBe(1 - 2 ** -11);
    expect(roundTo(0.1, 'float16')).toBe(0.0999755859375);
    expect(roundTo(65504, 'float16')).toBe(65504);
    expect(roundTo(70000, 'float16')).toBe(Infinity);
    expect(tiniest('float16')).toBe(2 ** -24);
  });

  it('rounds ties to even', () => {
    // 1 - 2^-12 lies halfway between 1 - 2^-11 and 1; 1.0 has the even significand.
    expect(roundTo(1 - 2 ** -12, 'float16')).toBe(1);
    expect(roundTo(1 + 2 ** -11, 'float16')).toBe(1);
  });

  it('rounds to bfloat16: 1 - 1e-3 is 1, small numbers survive', () => {
    expect(roundTo(1 - 1e-3, 'bfloat16')).toBe(1);
    expect(roundTo(1e-8, 'bfloat16')).toBeGreaterThan(0);
  });
});

describe('FLOAT_INFO', () => {
  it("is what the installed torch's finfo reports for each format (skipped without torch)", () => {
    const py = spawnSync('/usr/bin/python3', ['-c', 'import json, torch; print(json.dumps({str(d).split(".")[1]: {k: getattr(torch.finfo(d), k) for k in ["eps", "tiny", "smallest_normal", "max", "min", "resolution"]} for d in [torch.float32, torch.float16, torch.bfloat16, torch.float64]}))'], { encoding: 'utf8' });
    if (py.status !== 0) return;
    expect(JSON.parse(py.stdout)).toEqual(FLOAT_INFO);
  });
});
