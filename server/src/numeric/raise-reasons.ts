/**
 * What a refusal says where the function raised on every probe input, from its own code: the assert
 * that failed (`an assert fails on the probe inputs: assert input.size() == target.size()`), and a
 * parameter that defaults to None and is used before the function's own None test (`weight[:k]` on
 * one line, `if weight is not None:` after it): every call at that default raises, a bug in the code.
 * Pure IR reading; nothing is guessed and nothing is run here.
 */
import type { Expr, FunctionIR, Stmt } from '../core/ir-types';
import { walkExprs } from '../core/ir';
import { stmtRoots, stmtsDeep } from '../core/walk';
import { lineOf } from './gate';

/** The text of an expression for a message: names, attributes, subscripts, calls, comparisons. */
function shown(e: Expr, depth = 0): string {
  if (depth > 4) return '...';
  const d = depth + 1;
  switch (e.k) {
    case 'name':
      return e.id;
    case 'num':
      return String(e.value);
    case 'str':
      return JSON.stringify(e.value);
    case 'const':
      return e.value === null ? 'None' : e.value ? 'True' : 'False';
    case 'attr':
      return `${shown(e.obj, d)}.${e.attr}`;
    case 'subscript':
      return `${shown(e.obj, d)}[${e.index.map((i) => shown(i, d)).join(', ')}]`;
    case 'call':
      return `${shown(e.func, d)}(${e.args.map((a) => shown(a, d)).join(', ')}${e.args.length && Object.keys(e.kwargs).length ? ', ' : ''}${Object.entries(e.kwargs).map(([k, v]) => `${k}=${shown(v, d)}`).join(', ')})`;
    case 'cmp':
      return e.operands.map((o, i) => (i ? `${e.ops[i - 1]} ${shown(o, d)}` : shown(o, d))).join(' ');
    case 'bool':
      return `${shown(e.left, d)} ${e.op} ${shown(e.right, d)}`;
    case 'unary':
      return e.op === 'not' ? `not ${shown(e.operand, d)}` : `${e.op}${shown(e.operand, d)}`;
    case 'bin':
      return `${shown(e.left, d)} ${e.op} ${shown(e.right, d)}`;
    case 'tuple':
      return e.list ? `[${e.items.map((i) => shown(i, d)).join(', ')}]` : `(${e.items.map((i) => shown(i, d)).join(', ')})`;
    default:
      return '...';
  }
}

/** The assert statement of `fn` on a line (1-based), its test shown. */
function assertAt(fn: FunctionIR, line: number): string | undefined {
  const s = stmtsDeep(fn.body).find((x): x is Stmt & { k: 'other' } => x.k === 'other' && x.what === 'assert' && lineOf(x) === line);
  const test = s && 'test' in s ? (s as { test?: Expr }).test : undefined;
  return test ? shown(test) : undefined;
}

/** The first line (1-based) after `after` where `fn` compares `name` with None (`x is None`, `x is not None`, `x == None`). */
function noneTestAfter(fn: FunctionIR, name: string, after: number): { line: number; text: string } | undefined {
  let best: { line: number; text: string } | undefined;
  for (const s of stmtsDeep(fn.body))
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) {
        if (e.k !== 'cmp' || e.operands.length !== 2 || !['is', 'is not', '==', '!='].includes(e.ops[0])) continue;
        const [a, b] = e.operands;
        const none = (x: Expr): boolean => x.k === 'const' && x.value === null;
        const it = (x: Expr): boolean => x.k === 'name' && x.id === name;
        if (!((it(a) && none(b)) || (none(a) && it(b)))) continue;
        const line = lineOf(e);
        if (line > after && (!best || line < best.line)) best = { line, text: shown(e) };
      }
  return best;
}

/**
 * A raise's message (`... (line N)`) said from the function's code, or the message as it is: the
 * failing assert's test; a None default used before the function's own None test named as the bug.
 */
export function explainRaise(fn: FunctionIR, message: string): string {
  const assert = /^an assert fails on the probe inputs \(line (\d+)\)$/.exec(message);
  if (assert) {
    const test = assertAt(fn, Number(assert[1]));
    return test ? `an assert fails on the probe inputs: \`assert ${test}\` (line ${assert[1]})` : message;
  }
  // A parameter unpacked into names (`normalizer, y_true = y_true`): the function takes a tuple
  // there, which the probes (one tensor, whose rows the unpacking iterates) do not build.
  const unpack = /^wrong number of values to unpack \(expected (\d+), got (\d+)\) \(line (\d+)\)$/.exec(message);
  if (unpack) {
    const line = Number(unpack[3]);
    const s = stmtsDeep(fn.body).find((x): x is Stmt & { k: 'assign' } => x.k === 'assign' && lineOf(x) === line && x.targets.length === 1 && x.targets[0].k === 'tuple' && x.value.k === 'name');
    const name = s && s.value.k === 'name' ? s.value.id : undefined;
    if (s && name && fn.params.some((p) => p.name === name)) {
      const names = s.targets[0].k === 'tuple' ? s.targets[0].items.map((t) => (t.k === 'name' ? t.id : '_')).join(', ') : '';
      return `\`${name}\` is unpacked into ${unpack[1]} values (\`${names} = ${name}\`, line ${line}): a tuple of ${unpack[1]} the function takes there, which the probes (one tensor) do not build`;
    }
  }
  const none = /^TypeError: ('NoneType' object is not subscriptable|'NoneType' object is not iterable|unsupported operand type\(s\) for [^:]+: [^(]*NoneType[^(]*)(?: \(`(\w+)` is None\))? \(line (\d+)\)$/.exec(message);
  const name = none?.[2];
  if (none && name) {
    const p = fn.params.find((x) => x.name === name && x.default?.k === 'const' && x.default.value === null);
    const test = p ? noneTestAfter(fn, name, Number(none[3])) : undefined;
    if (test) return `\`${name}\` defaults to None and the function uses it before its own test \`${test.text}\` (line ${test.line}): ${none[1]} (line ${none[3]}); every call at that default raises TypeError (a bug in the code)`;
  }
  return message;
}
