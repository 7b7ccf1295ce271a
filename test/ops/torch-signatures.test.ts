/**
 * The torch spellings of the op table against the installed PyTorch's own signatures (Debian's
 * python3-torch in CI): parameter names, their order, and their literal defaults. Nothing imports
 * torch at run time; this test only reads its signatures (test/ops/torch_signatures.py).
 *
 * For a builtin with several documented overloads (`sum(input, *, dtype)` and `sum(input, dim,
 * keepdim=False, *, dtype)`), a table spelling is the union of its overloads: every parameter it
 * names must exist in one of them, in the same relative order, with the same literal default.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allSpellings, type Spelling } from '../../server/src/ops';
import type { SigParam } from '../../server/src/ops/api';
import { torchPython } from '../numeric/helpers';

interface LibParam {
  name: string;
  kind: 'positional' | 'keyword' | 'varargs';
  default?: unknown;
  raw?: string;
}
type Overloads = LibParam[][] | null;
interface Described {
  fn?: Overloads;
  ctor?: Overloads;
  call?: Overloads;
}

const { python, reason } = torchPython();

/**
 * Spellings torch states no signature for, each for a reason: legacy constructors (documented as
 * types), and array methods of numpy and JAX that the table spells as tensor methods.
 */
const UNSTATED: Readonly<Record<string, string>> = {
  'torch.Tensor': 'legacy constructor',
  'torch.FloatTensor': 'legacy constructor',
  'torch.LongTensor': 'legacy constructor',
  'torch.cuda.FloatTensor': 'legacy constructor',
  'torch.cuda.LongTensor': 'legacy constructor',
  'Tensor.new': 'legacy constructor',
  'Tensor.astype': 'a numpy / JAX array method',
  'Tensor.copy': 'a numpy / JAX array method',
  'torch.nn.Parameter': 'a tensor subclass whose __new__(cls, data=None, requires_grad=True) torch states as (*args)',
  'torch.nn.parameter.Parameter': 'a tensor subclass whose __new__(cls, data=None, requires_grad=True) torch states as (*args)',
  'torch.autograd.Variable': 'legacy wrapper (a builtin type; Variable(t) returns t since torch 0.4)',
};
if (!python) console.log(`[ops/torch-signatures] skipped: ${reason}`);

/** The table's name for a torch object: modules and functions by qualified name, methods as `Tensor.x`. */
function torchSpellings(): Spelling[] {
  return allSpellings().filter((s) => s.framework === 'torch' && (s.name.startsWith('torch.') || s.name.startsWith('Tensor.')));
}

/**
 * Problems of one table signature against the library's overloads: an unknown parameter name, a
 * parameter out of order, a literal default that differs.
 */
function compare(where: string, table: readonly SigParam[], lib: Overloads): string[] {
  if (!lib || lib.length === 0) return [`${where}: no signature in torch`];
  const out: string[] = [];
  const visible = table.filter((p) => !p.name.startsWith('__'));
  const names = (p: SigParam): string[] => [p.name, ...(p.aliases ?? [])];
  for (const p of visible) {
    const found = lib.flatMap((o) => o.filter((q) => names(p).includes(q.name)));
    if (found.length === 0) {
      out.push(`${where}: \`${p.name}\` is not a parameter of torch's (${lib.map((o) => o.map((q) => q.name).join(', ')).join(' | ')})`);
      continue;
    }
    const literal = found.filter((q) => 'default' in q);
    if (p.hasDefault && p.default !== undefined && literal.length && !literal.some((q) => q.default === p.default || (typeof q.default === 'number' && q.default === Number(p.default)))) {
      out.push(`${where}: \`${p.name}\` defaults to ${JSON.stringify(p.default)}, torch says ${literal.map((q) => JSON.stringify(q.default)).join(' or ')}`);
    }
  }
  // Positional order: parameters positional in both keep their relative order in some overload.
  const pos = visible.filter((p) => p.kind === 'positional' || p.kind === 'posonly' || p.kind === 'varargs');
  for (let i = 1; i < pos.length; i++) {
    const [a, b] = [pos[i - 1], pos[i]];
    const ordered = lib.some((o) => {
      const ia = o.findIndex((q) => names(a).includes(q.name));
      const ib = o.findIndex((q) => names(b).includes(q.name));
      return ia < 0 || ib < 0 || ia < ib;
    });
    if (!ordered) out.push(`${where}: \`${a.name}\` and \`${b.name}\` are in the other order in torch`);
  }
  return out;
}

describe.skipIf(!python)('op table vs the installed torch', () => {
  it('names torch parameters as torch does, in its order, with its defaults', () => {
    const spells = torchSpellings();
    const names = [...new Set(spells.map((s) => s.name))];
    const out = execFileSync(python!, [path.join(__dirname, 'torch_signatures.py')], { input: JSON.stringify(names), encoding: 'utf8', maxBuffer: 64 << 20 });
    const { version, signatures } = JSON.parse(out) as { version: string; signatures: Record<string, Described | null> };
    const problems: string[] = [];
    let checked = 0;
    for (const s of spells) {
      if (UNSTATED[s.name]) {
        expect(signatures[s.name]?.fn ?? null, `${s.name} now has a signature in torch: check it`).toBeNull();
        continue;
      }
      const d = signatures[s.name];
      if (!d) {
        problems.push(`${s.name}: not in torch ${version}`);
        continue;
      }
      checked++;
      if (s.kind === 'module') {
        problems.push(...compare(`${s.name}.__init__`, s.sig.params, d.ctor ?? null));
        problems.push(...compare(`${s.name}.forward`, s.callSig?.params ?? [], d.call ?? null));
      } else if (!d.fn && d.ctor) {
        // A class called like a function (`torch.no_grad()`, `torch.set_grad_enabled(False)`): its constructor.
        problems.push(...compare(s.name, s.sig.params, d.ctor));
      } else problems.push(...compare(s.name, s.sig.params, d.fn ?? null));
    }
    console.log(`[ops/torch-signatures] torch ${version}: ${checked} spellings checked`);
    expect(checked).toBeGreaterThan(150);
    expect(problems).toEqual([]);
  });
});
