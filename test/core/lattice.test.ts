import { describe, expect, it } from 'vitest';
import { combineValues, constValue, iClamp, iMul, join, joinPlaces, mayLieIn, mk, scalarOf } from '../../server/src/core/lattice';
import { rng } from '../robust/random';

describe('lattice', () => {
  it('keeps the finite value sets of scalars and their ranges', () => {
    const g = scalarOf([2, 0.5, 2]);
    expect(g.values).toEqual([0.5, 2]);
    expect(g.range).toEqual({ lo: 0.5, hi: 2 });
    expect(constValue(g)).toBeUndefined();
    expect(constValue(scalarOf([0.25]))).toBe(0.25);
  });

  it('answers whether a scalar may lie in an open interval, or does not know', () => {
    expect(mayLieIn(scalarOf([0.5]), 0, 1)).toBe(true);
    expect(mayLieIn(scalarOf([1, 2]), 0, 1)).toBe(false);
    expect(mayLieIn(scalarOf([0]), 0, 1)).toBe(false);
    expect(mayLieIn(mk('scalar', { range: { lo: 1, hi: 5 } }), 0, 1)).toBe(false);
    expect(mayLieIn(mk('scalar', { range: { lo: 0.9, hi: 5 } }), 0, 1)).toBe(true);
    expect(mayLieIn(mk('scalar'), 0, 1)).toBeUndefined();
  });

  it('does interval arithmetic and clamps', () => {
    expect(iMul({ lo: -1, hi: 2 }, { lo: 3, hi: 4 })).toEqual({ lo: -4, hi: 8 });
    expect(iClamp({ lo: 0, hi: 1 }, 1e-6)).toEqual({ lo: 1e-6, hi: 1 });
    expect(iClamp({ lo: -5, hi: 5 }, undefined, 1)).toEqual({ lo: -5, hi: 1 });
    expect(combineValues([1], [0.25, 0.5], (x, y) => x - y)).toEqual([0.75, 0.5]);
    expect(combineValues([1], [0], (x, y) => x / y)).toBeUndefined();
  });

  it('joins values at control-flow merges', () => {
    const a = scalarOf([0.5]);
    const b = scalarOf([2]);
    const j = join(a, b);
    expect(j.m).toBe('scalar');
    expect(j.values).toEqual([0.5, 2]);
    // Unknown on one path keeps what is known on the other.
    expect(join(mk('unknown'), mk('prob', { act: 'sigmoid' })).m).toBe('prob');
    // Different meanings join to unknown.
    expect(join(mk('prob', { act: 'sigmoid' }), mk('logits')).m).toBe('unknown');
    // A clamp on one path only is not a clamp.
    expect(join(mk('prob', { clamped: true }), mk('prob', { clamped: false })).clamped).toBe(false);
  });
});

describe('join of values from two places', () => {
  it('keeps each place once, in order of first appearance, as the quadratic filter did (joinPlaces, random lists)', () => {
    const random = rng(3);
    const span = (s: number, e: number) => ({ s, e, r: { start: { line: 0, character: s }, end: { line: 0, character: e } } });
    const old = (xs: ReturnType<typeof span>[], ys: ReturnType<typeof span>[]) => [...xs, ...ys].filter((x, i, all) => all.findIndex((y) => y.s === x.s && y.e === x.e) === i);
    for (let round = 0; round < 500; round++) {
      const list = () => Array.from({ length: Math.floor(random() * (round % 2 ? 6 : 40)) }, () => span(Math.floor(random() * 8), Math.floor(random() * 3) + 8));
      const xs = list();
      const ys = list();
      expect(joinPlaces(xs, ys)).toEqual(old(xs, ys));
      // A list it made, joined again (its known-unique path).
      const made = joinPlaces(xs, ys);
      const zs = list().slice(0, 1 + (round % 9));
      expect(joinPlaces(made, zs)).toEqual(old(made, zs));
      expect(joinPlaces(zs, made)).toEqual(old(zs, made));
    }
    // Hundreds of call sites joined one by one (one string literal each): every place once.
    let v = mk('string', { src: span(0, 1) });
    for (let i = 1; i < 600; i++) v = join(v, mk('string', { src: span(i * 10, i * 10 + 1) }));
    expect(v.joinedFrom?.length).toBe(600);
  });

  const at = (s: number) => ({ s, e: s + 5, r: { start: { line: 0, character: s }, end: { line: 0, character: s + 5 } } });
  it('keeps the meaning, drops an activation the sides disagree on, and remembers both places', () => {
    const a = mk('ce', { act: 'sigmoid', reduced: true, binary: true, src: at(0) });
    const b = mk('ce', { act: 'softmax', reduced: true, src: at(10) });
    const j = join(a, b);
    expect(j).toMatchObject({ m: 'ce', reduced: true });
    expect(j.act).toBeUndefined();
    expect(j.binary).toBeFalsy();
    expect(j.joinedFrom?.map((x) => x.s)).toEqual([0, 10]);
    // A third branch adds its place once; the same place twice is one.
    const c = mk('ce', { act: 'softmax', src: at(20) });
    expect(join(j, c).joinedFrom?.map((x) => x.s)).toEqual([0, 10, 20]);
    expect(join(j, b).joinedFrom?.map((x) => x.s)).toEqual([0, 10]);
  });

  it('two meanings still join to unknown', () => {
    expect(join(mk('ce', { act: 'softmax' }), mk('prob', { act: 'softmax' })).m).toBe('unknown');
  });
});
