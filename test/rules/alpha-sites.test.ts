/**
 * Where the alpha rules (LL101, LL102) look for the product holding a scalar alpha (rules/alpha.ts):
 * an operator, or a call of an op the table says spells one (`operator`).
 */
import { describe, expect, it } from 'vitest';
import { operands } from '../../server/src/rules/alpha';
import { buildModule, type Expr } from '../../server/src/core/ir';
import { ParsedDocument } from '../../server/src/core/document';

function exprOf(code: string): Expr {
  const mod = buildModule(ParsedDocument.parse(`import torch\nimport tensorflow as tf\ndef f(a, b):\n    return ${code}\n`).tree.rootNode);
  const ret = mod.functions[0].body.find((s) => s.k === 'return');
  if (!ret || ret.k !== 'return' || !ret.value) throw new Error('no return');
  return ret.value;
}

const names = (pair: [Expr, Expr] | undefined) => pair?.map((e) => (e.k === 'name' ? e.id : e.k));

describe('operands of a product', () => {
  it('reads the operator and every spelling of the op that multiplies', () => {
    expect(names(operands(exprOf('a * b'), '*'))).toEqual(['a', 'b']);
    expect(names(operands(exprOf('tf.multiply(a, b)'), '*'))).toEqual(['a', 'b']);
    expect(names(operands(exprOf('torch.mul(a, other=b)'), '*'))).toEqual(['a', 'b']);
    expect(names(operands(exprOf('a.mul(b)'), '*'))).toEqual(['a', 'b']);
  });

  it('a call of another op, or of the op for another operator, is no product', () => {
    expect(operands(exprOf('a + b'), '*')).toBeUndefined();
    expect(operands(exprOf('tf.add(a, b)'), '*')).toBeUndefined();
    expect(names(operands(exprOf('tf.add(a, b)'), '+'))).toEqual(['a', 'b']);
    expect(operands(exprOf('torch.matmul(a, b)'), '*')).toBeUndefined();
  });
});
