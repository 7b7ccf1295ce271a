/**
 * Lemma 1 of the prefilter's proof (server/src/core/prefilter.ts), checked mechanically: an op that
 * is not marked `creating` maps Lemma 1's closed set into itself, and so does the meaning algebra
 * (core/algebra.ts) that the interpreter applies to operators.
 *
 * For every op without `creating`, every spelling's `abstract` (run through the interpreter's own
 * `applyOpAbstract`, so defaults, flags and module application are the interpreter's) is given
 * arguments drawn from a pool of closed values: every closed meaning with the facts the interpreter
 * sets on them (layouts, clamps, 16-bit dtypes, fills, masks of targets and their complements, alpha_t,
 * smoothed targets, per-class weights, modules of ops that are not creating, ...), known and unknown
 * scalars and hyperparameters, strings that are no alias, tuples and dicts of them. Each parameter is
 * swept over the whole pool with the others absent or drawn at random, every pair of the first three
 * parameters over the pool, and random assignments besides. Every result must be closed.
 */
import { describe, expect, it } from 'vitest';
import * as A from '../../server/src/core/algebra';
import type { Call, Span } from '../../server/src/core/ir-types';
import { applyOpAbstract } from '../../server/src/core/interp';
import { mk, scalarOf, type AbsValue } from '../../server/src/core/lattice';
import { closedValue, CREATING_OPS, isAliasString } from '../../server/src/core/prefilter';
import { allOps, allSpellings, resolveQualified, type Spelling } from '../../server/src/ops';
import { rng } from '../robust/random';

const SPAN: Span = { s: 0, e: 1, r: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } };
const CALL: Call = { k: 'call', func: { k: 'unknown', what: 'test', span: SPAN }, args: [], kwargs: {}, splat: false, span: SPAN };

function moduleOf(name: string, args: Record<string, AbsValue> = {}): AbsValue {
  const spell = resolveQualified(name);
  if (!spell || spell.kind !== 'module') throw new Error(`no module spelling ${name}`);
  return mk('module', { module: { spell, args }, src: SPAN });
}

/** The pool of closed values. */
function pool(): AbsValue[] {
  const t = mk('target', { name: 't' });
  const ti = mk('target_index', { dtype: 'int' });
  const oh = mk('target_onehot', { classCounts: [3] });
  const alpha = scalarOf([0.25], { hyper: true, name: 'alpha' });
  const oneMinusAlpha = A.binop('-', scalarOf([1]), alpha, SPAN);
  const logits = mk('logits', { name: 'logits' });
  const out: AbsValue[] = [
    mk('unknown'),
    mk('unknown', { hyper: true, name: 'alpha' }),
    mk('unknown', { hyper: true, name: 'gamma' }),
    mk('unknown', { hyper: true, complementOf: 7 }),
    mk('unknown', { fill: 0 }),
    mk('unknown', { fill: 1, dtype: 'int' }),
    mk('unknown', { eye: true }),
    mk('unknown', { arange: true, dtype: 'int' }),
    mk('unknown', { lowp: 'float16' }),
    mk('unknown', { detached: true, detachSrc: SPAN }),
    mk('unknown', { gradMode: 'off' }),
    mk('unknown', { instanceOf: 'Loss' }),
    mk('unknown', { layout: 'col' }),
    mk('unknown', { layout: 'vec' }),
    mk('unknown', { dtype: 'bool' }),
    scalarOf([0]),
    scalarOf([1]),
    scalarOf([-1]),
    scalarOf([2]),
    scalarOf([0.5]),
    scalarOf([1e-8]),
    scalarOf([1e-6]),
    scalarOf([1 - 1e-10]),
    scalarOf([255]),
    scalarOf([0.1], { hyper: true, name: 'eps' }),
    scalarOf([0.5, 2], { hyper: true, name: 'gamma' }),
    alpha,
    oneMinusAlpha,
    mk('scalar', { hyper: true, name: 'gamma' }),
    mk('scalar', { posCount: true, range: { lo: 0, hi: Infinity } }),
    mk('scalar', { range: { lo: 0, hi: Infinity } }),
    mk('string', { str: 'none' }),
    mk('string', { str: 'mean' }),
    mk('string', { str: 'sum' }),
    mk('string', { str: 'float16' }),
    mk('string', { str: 'bfloat16' }),
    mk('string', { str: 'int64' }),
    mk('string', { str: 'linear' }),
    mk('string', { str: 'relu' }),
    mk('string', { str: 'DESCENDING' }),
    mk('string', { str: '' }),
    mk('string'),
    mk('bool', { bool: true }),
    mk('bool', { bool: false }),
    mk('bool'),
    mk('none'),
    mk('none', { hyper: true, name: 'alpha' }),
    mk('tuple', { items: [scalarOf([0.25]), scalarOf([0.75])], values: [0.25, 0.75] }),
    mk('tuple', { items: [scalarOf([0.25])], values: [0.25] }),
    mk('tuple', { items: [scalarOf([1]), scalarOf([2]), scalarOf([3])], values: [1, 2, 3] }),
    mk('tuple', { items: [] }),
    mk('tuple', { items: [logits, logits] }),
    mk('tuple', { items: [mk('unknown', { arange: true }), ti] }),
    mk('tuple', { items: [scalarOf([0.25]), mk('scalar', { hyper: true })], open: true }),
    mk('tuple', { entries: { gamma: scalarOf([2]), reduction: mk('string', { str: 'none' }) } }),
    mk('tuple', { items: [moduleOf('torch.nn.Linear'), moduleOf('torch.nn.ReLU')] }),
    mk('tuple', { items: [mk('tuple', { items: [moduleOf('keras.layers.Dense')] })] }),
    mk('function'),
    mk('function', { opRef: 'relu', opSpell: resolveQualified('torch.relu') }),
    logits,
    mk('logits', { gathered: true }),
    mk('logits', { withTarget: true }),
    mk('logits', { layout: 'col' }),
    mk('logits', { layout: 'vec' }),
    mk('logits', { lowp: 'float16' }),
    mk('logits', { lowp: 'bfloat16' }),
    mk('logits', { detached: true, detachSrc: SPAN }),
    mk('logits', { floor: { value: 1e-6, span: SPAN }, clamped: true, range: { lo: 1e-6, hi: Infinity } }),
    mk('logits', { dtype: 'float', flat: true }),
    t,
    A.neg(t, SPAN),
    A.binop('-', scalarOf([1]), t, SPAN),
    mk('target', { smoothed: { values: [0.1], span: SPAN } }),
    mk('target', { dtype: 'int' }),
    ti,
    mk('target_index', { nd: true }),
    mk('target_index', { layout: 'col' }),
    oh,
    A.binop('-', scalarOf([1]), oh, SPAN),
    A.compare(['=='], [t, scalarOf([1])], SPAN),
    A.compare(['=='], [t, scalarOf([0])], SPAN),
    A.binop('*', logits, t, SPAN),
    A.binop('*', alpha, t, SPAN),
    A.binop('*', oneMinusAlpha, A.binop('-', scalarOf([1]), t, SPAN), SPAN),
    A.binop('*', scalarOf([0.9]), oh, SPAN),
    A.binop('*', mk('unknown', { hyper: true, name: 'alpha' }), t, SPAN),
    A.binop('+', A.binop('*', alpha, t, SPAN), A.binop('*', oneMinusAlpha, A.binop('-', scalarOf([1]), t, SPAN), SPAN), SPAN),
    mk('alpha_t', { of: alpha, alphaOnNeg: true }),
    mk('alpha_class', { count: 3 }),
    mk('class_weights', { values: [0.25, 0.75], count: 2, flat: true }),
    mk('class_weights', { count: 3 }),
    moduleOf('torch.nn.Linear'),
    moduleOf('torch.nn.ReLU'),
    moduleOf('keras.layers.Dense', { activation: mk('string', { str: 'relu' }) }),
    moduleOf('keras.layers.Dense'),
    moduleOf('torch.nn.Sequential', { layers: mk('tuple', { items: [moduleOf('torch.nn.Linear'), moduleOf('torch.nn.ReLU'), moduleOf('torch.nn.Linear')] }) }),
    moduleOf('keras.Sequential', { layers: mk('tuple', { items: [mk('tuple', { items: [moduleOf('keras.layers.Dense')] })] }) }),
    moduleOf('keras.Model', { outputs: logits }),
    moduleOf('torch.nn.MSELoss'),
  ];
  for (const v of out) if (!closedValue(v)) throw new Error(`pool value not closed: ${JSON.stringify(v)}`);
  return out;
}

const POOL = pool();

/** The canonical parameters a spelling binds (the receiver of a method; a module's constructor and call). */
function paramsOf(s: Spelling): string[] {
  const ps = new Set<string>();
  if (s.kind === 'method') ps.add(s.receiver ?? 'input');
  for (const p of s.sig.params) if (!p.name.startsWith('__')) ps.add(p.canon);
  for (const p of s.callSig?.params ?? []) if (!p.name.startsWith('__')) ps.add(p.canon);
  return [...ps];
}

describe('Lemma 1: ops that are not creating keep values closed', () => {
  it('the closed set excludes what only a creating op or an alias makes', () => {
    expect(closedValue(mk('prob', { act: 'sigmoid' }))).toBe(false);
    expect(closedValue(mk('logits', { lse: true }))).toBe(false);
    expect(closedValue(mk('unknown', { sumOf: 3 }))).toBe(false);
    expect(closedValue(mk('string', { str: 'Softmax' }))).toBe(false);
    expect(closedValue(mk('string', { str: 'categorical_crossentropy' }))).toBe(false);
    expect(isAliasString('relu')).toBe(false);
    expect(closedValue(moduleOf('torch.nn.Softmax'))).toBe(false);
    expect(closedValue(moduleOf('torch.nn.CrossEntropyLoss'))).toBe(false);
    expect(closedValue(mk('tuple', { items: [moduleOf('torch.nn.Sigmoid')] }))).toBe(false);
    expect(closedValue(mk('function', { opRef: 'softmax', opSpell: resolveQualified('torch.softmax') }))).toBe(false);
  });

  it('every op not marked creating maps closed arguments to a closed value', { timeout: 300_000 }, () => {
    const random = rng(17);
    const bad = new Map<string, string>();
    let runs = 0;
    const run = (s: Spelling, b: Record<string, AbsValue>): void => {
      runs++;
      let v: AbsValue;
      try {
        v = applyOpAbstract(s, b, CALL);
      } catch {
        return; // an abstract that throws on nonsense arguments gives no value (the interpreter drops the function)
      }
      if (!closedValue(v) && !bad.has(s.op.id)) {
        bad.set(s.op.id, `${s.name}(${Object.entries(b).map(([k, x]) => `${k}=${x.m}${x.str !== undefined ? `:${x.str}` : ''}${x.values ? `:${x.values.join('/')}` : ''}`).join(', ')}) -> ${v.m} ${JSON.stringify(v, (k, x) => (k === 'src' || k === 'id' ? undefined : x)).slice(0, 300)}`);
      }
    };
    const pick = (): AbsValue | undefined => (random() < 0.3 ? undefined : POOL[Math.floor(random() * POOL.length)]);
    const withRandom = (ps: string[], fixed: Record<string, AbsValue | undefined>): Record<string, AbsValue> => {
      const b: Record<string, AbsValue> = {};
      for (const p of ps) {
        const v = p in fixed ? fixed[p] : pick();
        if (v) b[p] = v;
      }
      return b;
    };
    const spellings = allSpellings().filter((s) => !CREATING_OPS.has(s.op.id) && s.op.abstract);
    for (const s of spellings) {
      const ps = paramsOf(s);
      run(s, {});
      // Each parameter over the whole pool, the others absent, then the others at random.
      for (const p of ps) {
        for (const v of POOL) {
          run(s, { [p]: v });
          run(s, withRandom(ps, { [p]: v }));
        }
      }
      // Every pair of the first three parameters over the pool.
      const first = ps.slice(0, 3);
      for (let i = 0; i < first.length; i++) {
        for (let j = i + 1; j < first.length; j++) {
          for (const a of POOL) for (const b of POOL) run(s, { [first[i]]: a, [first[j]]: b });
        }
      }
      for (let k = 0; k < 300; k++) run(s, withRandom(ps, {}));
    }
    expect([...bad.values()]).toEqual([]);
    expect(runs).toBeGreaterThan(100_000);
    // The table has ops on both sides.
    expect(spellings.length).toBeGreaterThan(100);
    expect(allOps().filter((o) => o.creating).length).toBeGreaterThan(5);
  });

  // What the interpreter applies itself (interp.ts): operators, unary minus, comparisons, a subscript by
  // the targets. placeOn, sideTerms, reduce and pow are reached only through ops (the test above).
  it('the meaning algebra maps closed values to closed values', () => {
    const bad: string[] = [];
    const check = (what: string, v: AbsValue): void => {
      if (!closedValue(v) && bad.length < 20) bad.push(`${what} -> ${v.m} ${JSON.stringify(v, (k, x) => (k === 'src' || k === 'id' ? undefined : x)).slice(0, 200)}`);
    };
    const show = (x: AbsValue): string => `${x.m}${x.str !== undefined ? `:${x.str}` : ''}${x.values ? `:${x.values.join('/')}` : ''}`;
    for (const a of POOL) {
      check(`-${show(a)}`, A.neg(a, SPAN));
      check(`gathered(${show(a)})`, A.gathered(a, SPAN));
      for (const b of POOL) {
        for (const op of ['+', '-', '*', '/', '**', '//', '%', '@']) check(`${show(a)} ${op} ${show(b)}`, A.binop(op, a, b, SPAN));
        for (const op of ['==', '!=', '<', '>', '<=', '>=', 'is', 'is not']) check(`${show(a)} ${op} ${show(b)}`, A.compare([op], [a, b], SPAN));
      }
    }
    expect(bad).toEqual([]);
  });
});
