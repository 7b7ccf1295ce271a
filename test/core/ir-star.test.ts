/**
 * A lone `*xs` in a call's arguments (`x.view(*shape)`, `f(a, *rest, b)`): the IR keeps its
 * sequence and how many positional arguments come before it (`Call.star`), the walkers visit it, and
 * a call with another splat keeps none (its binding stays incomplete: `splat`).
 */
import { describe, expect, it } from 'vitest';
import type { Call, Expr } from '../../server/src/core/ir';
import { forEachExpr, walkExprs } from '../../server/src/core/ir';
import { moduleOf } from './helpers';

function callOf(src: string): Call {
  const m = moduleOf(`import torch\n${src}\n`);
  const s = m.body[m.body.length - 1];
  const v = s.k === 'assign' || s.k === 'expr' ? s.value : undefined;
  if (v?.k !== 'call') throw new Error('not a call');
  return v;
}

const nameOf = (e: Expr | undefined): string | undefined => (e?.k === 'name' ? e.id : undefined);

describe('IR: a lone *xs in a call', () => {
  it('is kept with the count of positional arguments before it', () => {
    const v = callOf('v = x.view(*shape)');
    expect(v.splat).toBe(true);
    expect(v.star?.at).toBe(0);
    expect(nameOf(v.star?.value)).toBe('shape');
    const f = callOf('y = f(a, *rest, b, k=1)');
    expect(f.star?.at).toBe(1);
    expect(f.args.map(nameOf)).toEqual(['a', 'b']);
    expect(nameOf(f.star?.value)).toBe('rest');
  });

  it('is visited by the walkers', () => {
    const f = callOf('y = f(a, *g(rest))');
    expect(walkExprs(f).some((e) => nameOf(e) === 'rest')).toBe(true);
    const seen: string[] = [];
    forEachExpr(f, (e) => void (nameOf(e) && seen.push(nameOf(e)!)));
    expect(seen).toContain('rest');
  });

  it('is not kept beside another splat', () => {
    expect(callOf('y = f(*a, *b)').star).toBeUndefined();
    expect(callOf('y = f(*a, **kw)').star).toBeUndefined();
    expect(callOf('y = f(*a, **kw)').splat).toBe(true);
  });
});

describe('IR: a starred assignment target (`a, *b = v`)', () => {
  const targetOf = (src: string) => {
    const m = moduleOf(`import torch\n${src}\n`);
    const s = m.body[m.body.length - 1];
    if (s.k !== 'assign') throw new Error('not an assignment');
    return s.targets[0];
  };
  it('keeps an unknown item where the star is, and the starred target with its position beside', () => {
    const t = targetOf('first, *rest, last = xs');
    expect(t.k).toBe('tuple');
    if (t.k !== 'tuple') return;
    expect(t.items.map((i) => i.k)).toEqual(['name', 'unknown', 'name']);
    expect(t.starred?.at).toBe(1);
    expect(t.starred?.target).toMatchObject({ k: 'name', id: 'rest' });
    const lead = targetOf('*lead, c = x.shape');
    expect(lead.k === 'tuple' && lead.starred?.at).toBe(0);
  });
  it('a tuple without a star has none', () => {
    const t = targetOf('a, b = xs');
    expect(t.k === 'tuple' && t.starred).toBeUndefined();
  });
});
