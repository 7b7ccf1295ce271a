import { describe, expect, it } from 'vitest';
import { makeContext } from '../../server/src/core/context';
import { interpretModule } from '../../server/src/core/interp';
import { DEFAULT_SETTINGS } from '../../server/src/core/types';
import { moduleOf } from './helpers';

const SRC = `import torch.nn.functional as F

def focal(logits, targets, gamma=2.0):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return ((1 - pt) ** gamma * ce).mean()

def other(x):
    return x.sigmoid()
`;

function contextOf(src: string, name: string) {
  const mod = moduleOf(src);
  const facts = interpretModule(mod);
  const fn = mod.functions.find((f) => f.qualname === name)!;
  return makeContext(fn, mod, facts, DEFAULT_SETTINGS, src, () => {}, () => false);
}

describe('RuleContext', () => {
  it('lists the calls of the function body, in walk order, once', () => {
    const ctx = contextOf(SRC, 'focal');
    const calls = ctx.calls();
    expect(calls.map((c) => SRC.slice(c.span.s, c.span.e))).toEqual([
      'F.cross_entropy(logits, targets, reduction="none")',
      'torch.exp(-ce)',
      '((1 - pt) ** gamma * ce).mean()',
    ]);
    expect(ctx.calls()).toBe(calls);
    expect([...ctx.exprs()].filter((e) => e.k === 'call')).toEqual(calls);
  });

  it('lists the functions of the same top-level statement', () => {
    expect(contextOf(SRC, 'focal').unitFunctions().map((f) => f.fn.qualname)).toEqual(['focal']);
  });

  // A generator method made per context (`*calls() {...}` in the object literal) kept every context,
  // with the document text and the facts of the whole run, alive through V8's young-generation
  // collections until the next full one: 2 MB promoted per scavenge and 5-8 ms scavenges in the
  // middle of keystrokes (bench/RESULTS.md, session 5). The context's methods are plain functions.
  it('makes no generator function per context', () => {
    const ctx = contextOf(SRC, 'focal');
    const GeneratorFunction = Object.getPrototypeOf(function* () {}) as object;
    for (const [key, value] of Object.entries(ctx)) {
      if (typeof value === 'function') expect(Object.getPrototypeOf(value), key).not.toBe(GeneratorFunction);
    }
  });
});
