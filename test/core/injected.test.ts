/**
 * Framework modules handed to a function by keyword (core/injected.ts): the calls on a name bound once
 * to `kwargs[...]` are the module's functions when one framework module spells them all and the name
 * is used for nothing else.
 */
import { describe, expect, it } from 'vitest';
import { buildModule, walkExprs, type Call, type FunctionIR } from '../../server/src/core/ir';
import { ParsedDocument } from '../../server/src/core/document';
import { injectedModule } from '../../server/src/core/injected';

function fnOf(src: string): FunctionIR {
  return buildModule(ParsedDocument.parse(src).tree.rootNode).functions[0];
}

function callsOf(fn: FunctionIR): Call[] {
  const out: Call[] = [];
  for (const s of fn.body) {
    const roots = s.k === 'assign' || s.k === 'expr' ? [s.value] : s.k === 'return' && s.value ? [s.value] : [];
    for (const r of roots) for (const e of walkExprs(r)) if (e.k === 'call') out.push(e);
  }
  return out;
}

describe('framework modules passed by keyword', () => {
  it('calls on kwargs["backend"] are keras.backend functions when only Keras spells them all', () => {
    const fn = fnOf(`def f(gt, pr, **kwargs):
    backend = kwargs["backend"]
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    return backend.mean(backend.log(pr), axis=axis)
`);
    const log = callsOf(fn).find((c) => c.callee?.endsWith('.log'));
    expect(log).toMatchObject({ callee: 'keras.backend.log', method: undefined });
    expect(log?.op?.id).toBe('log');
    expect(log?.bound?.input).toMatchObject({ k: 'name', id: 'pr' });
  });

  it('a name also used otherwise, bound twice, or whose calls no single module spells stays as it was', () => {
    const passed = fnOf(`def f(x, **kwargs):
    b = kwargs.get("b")
    keep(b)
    return b.log(x)
`);
    expect(callsOf(passed).find((c) => c.func.k === 'attr' && c.func.attr === 'log')?.callee ?? '').not.toMatch(/^keras|^torch|^numpy/);
    const twice = fnOf(`def f(x, **kwargs):
    b = kwargs["b"]
    b = other
    return b.image_data_format()
`);
    expect(callsOf(twice).some((c) => c.callee === 'keras.backend.image_data_format')).toBe(false);
    expect('why' in injectedModule(new Set(['log', 'mean']))).toBe(true);
    expect(injectedModule(new Set(['image_data_format', 'log']))).toMatchObject({ module: 'keras.backend' });
  });
});
