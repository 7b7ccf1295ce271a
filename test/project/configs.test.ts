/**
 * Config files as the project index reads them (project/configs.ts): values with the range they are
 * written at, in YAML, JSON and TOML; anything but a literal, and OmegaConf interpolations, left out;
 * a broken file told with its line, never thrown.
 */
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../server/src/project/configs';

const at = (doc: ReturnType<typeof readConfig>, keys: string[]) => {
  const v = doc.lookup(keys);
  return v && { text: v.text, line: v.range.start.line, col: v.range.start.character, k: v.expr.k };
};

describe('config files', () => {
  it('reads YAML values with their positions, lists of numbers included', () => {
    const doc = readConfig('c.yaml', 'loss:\n  name: focal\n  gamma: 0.5   # a comment\n  alpha: [0.25, 0.75]\n  ref: ${loss.gamma}\n  neg: -1\n');
    expect(doc.error).toBeUndefined();
    expect(at(doc, ['loss', 'gamma'])).toEqual({ text: '0.5', line: 2, col: 9, k: 'num' });
    expect(at(doc, ['loss', 'name'])).toMatchObject({ k: 'str' });
    expect(at(doc, ['loss', 'alpha'])).toMatchObject({ line: 3, k: 'tuple' });
    expect(at(doc, ['loss', 'neg'])).toMatchObject({ k: 'unary' });
    // An interpolation is not followed: its value stays unknown.
    expect(doc.lookup(['loss', 'ref'])).toBeUndefined();
    expect(doc.lookup(['loss', 'missing'])).toBeUndefined();
    expect(doc.lookup(['loss'])).toBeUndefined();
  });

  it('reads Hydra defaults and noqa comments', () => {
    const doc = readConfig('config.yaml', 'defaults:\n  - loss: focal\n  - override optim: adam\n  - _self_\nlr: 0.1  # noqa: LL103\n');
    expect([...doc.defaults]).toEqual([
      ['loss', 'focal'],
      ['optim', 'adam'],
    ]);
    expect(doc.noqa).toEqual([[4, ['LL103']]]);
  });

  it('reads JSON with positions', () => {
    const doc = readConfig('c.json', '{\n  "loss": {"gamma": 0.5, "use": true}\n}\n');
    expect(at(doc, ['loss', 'gamma'])).toEqual({ text: '0.5', line: 1, col: 20, k: 'num' });
    expect(at(doc, ['loss', 'use'])).toMatchObject({ k: 'const' });
  });

  it('reads TOML, finding the line of a key under its table', () => {
    const doc = readConfig('c.toml', 'title = "x"\n\n[loss]\ngamma = 0.5 # low\n\n[loss.extra]\ngamma = 2.0\n');
    expect(at(doc, ['loss', 'gamma'])).toEqual({ text: '0.5', line: 3, col: 8, k: 'num' });
    expect(at(doc, ['loss', 'extra', 'gamma'])).toEqual({ text: '2.0', line: 6, col: 8, k: 'num' });
  });

  it('tells a broken file and reads nothing from it', () => {
    for (const [name, text] of [
      ['c.yaml', 'loss:\n  gamma: [0.5\n'],
      ['c.json', '{"loss": {"gamma": 0.5'],
      ['c.toml', '[loss\ngamma = 0.5\n'],
    ]) {
      const doc = readConfig(name, text);
      expect(doc.error, name).toBeTruthy();
      expect(doc.lookup(['loss', 'gamma'])).toBeUndefined();
    }
  });
});
