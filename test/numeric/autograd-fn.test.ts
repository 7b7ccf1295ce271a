/**
 * PyTorch custom autograd Functions (numeric/autograd-fn.ts): `Fn.apply(...)` takes its value from the
 * user's forward and its gradient from the user's backward, with ctx as torch gives it; torch's own
 * errors where torch raises (the messages checked against torch 1.13). The fixture
 * fixtures/autograd_function.py is also compared with real torch (torch.test.ts, repro.test.ts).
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { planModule } from '../../server/src/numeric/roles';
import { moduleOf } from '../../server/src/numeric/runner';
import { FIXTURES, fn, loadEngine } from './helpers';

let E: ReturnType<typeof loadEngine>;

beforeAll(async () => {
  E = loadEngine();
  await E.initBackend('wasm');
});

const T = 'import torch\nimport torch.nn.functional as F\n';

/** Values of f(x, **args) and the gradient of their sum w.r.t. x (the probes' logits: gradSource). */
function vg(src: string, name: string, x: number[], args: Record<string, unknown> = {}): { v: number[]; g: number[] } {
  const mod = moduleOf(src);
  const tf = E.tf;
  let v: number[] = [];
  const g = tf.grad((z: unknown) => {
    const out = new E.Evaluator(mod, { maxElements: 1 << 20, gradSource: z }).run(fn(mod, name), { x: { t: 'tensor', x: z, dt: 'float' }, ...args });
    v = Array.from(out.x.dataSync() as Float32Array);
    return tf.sum(out.x);
  })(tf.tensor(x));
  return { v, g: Array.from(g.dataSync() as Float32Array) };
}

const num = (v: number) => ({ t: 'num', v, int: Number.isInteger(v) });

function close(a: number[], b: number[], tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => (Number.isNaN(b[i]) ? expect(x).toBeNaN() : expect(Math.abs(x - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])))));
}

const SQUARE = `${T}class Sq(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** 2 * k

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        g = torch.where(x > 5, torch.full_like(x, float("nan")), grad_output * 10 * x)
        return g, None
`;

describe('torch.autograd.Function', () => {
  it("the value is forward's, the gradient backward's (a NaN it returns shows), ctx's saved tensors and attributes read back", () => {
    const r = vg(`${SQUARE}def loss(x, k=3.0):\n    return Sq.apply(x, k)\n`, 'loss', [1, 2, 10]);
    close(r.v, [3, 12, 300]);
    close(r.g, [10, 20, NaN]);
  });

  it('`fn = Cls.apply` called later is the same call; the mean of its output scales the gradient', () => {
    const r = vg(`${SQUARE}square = Sq.apply\ndef loss(x):\n    return square(x, 1.0).mean()\n`, 'loss', [1, 2]);
    close(r.v, [2.5]);
    close(r.g, [5, 10]);
  });

  it("ctx.needs_input_grad: True for the tensor whose gradient is taken, False for a number and for a tensor off the gradient's path", () => {
    const src = `${T}class N(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, k):
        ctx.flags = [1.0 if f else 0.0 for f in ctx.needs_input_grad]
        return x * w * k

    @staticmethod
    def backward(ctx, g):
        a, b, c = ctx.flags
        return g * (100 * a + 10 * b + c), None, None

def loss(x):
    return N.apply(x, torch.ones(2), 2.0)
`;
    close(vg(src, 'loss', [1, 1]).g, [100, 100]);
  });

  it('a tuple output: backward gets one gradient per output, zeros for the output the loss does not use', () => {
    const src = `${T}class Two(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x.sum()

    @staticmethod
    def backward(ctx, ga, gb):
        return ga * 7 + gb * 100

def loss(x):
    a, b = Two.apply(x)
    return a
`;
    const r = vg(src, 'loss', [1, 2]);
    close(r.v, [2, 4]);
    close(r.g, [7, 7]);
  });

  it('a gradient that broadcasts to the input is summed to its shape, as torch does', () => {
    const src = `${T}class E(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g.unsqueeze(0).expand(3, 2)

def loss(x):
    return E.apply(x)
`;
    close(vg(src, 'loss', [1, 1]).g, [3, 3]);
  });

  it('mark_non_differentiable: that output carries no gradient', () => {
    const src = `${T}class M(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x * 2
        idx = x * 1
        ctx.mark_non_differentiable(idx)
        return y, idx

    @staticmethod
    def backward(ctx, gy, gi):
        return gy * 3

def loss(x):
    y, idx = M.apply(x)
    return y + idx * 5
`;
    close(vg(src, 'loss', [1, 2]).g, [3, 3]);
  });

  it("torch's errors: too few gradients, a gradient for a non-tensor argument, a shape that does not broadcast, a number, keywords", () => {
    const fn1 = (body: string, call = 'A.apply(x, 2.0)', fwd = 'x, k') => `${T}class A(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, ${fwd}):\n        return x * 2\n\n    @staticmethod\n    def backward(ctx, g):\n        ${body}\n\ndef loss(x):\n    return ${call}\n`;
    expect(() => vg(fn1('return (g,)'), 'loss', [1, 1])).toThrow('function ABackward returned an incorrect number of gradients (expected 2, got 1)');
    expect(() => vg(fn1('return g, g'), 'loss', [1, 1])).toThrow('function ABackward returned a gradient different than None at position 2, but the corresponding forward input was not a Variable');
    expect(() => vg(fn1('return g.sum(0, keepdim=True), None, None'), 'loss', [1, 1])).toThrow('Function ABackward returned an invalid gradient at index 0 - got [1] but expected shape compatible with [2]');
    expect(() => vg(fn1('return g, None, None'), 'loss', [1, 1])).not.toThrow();
    expect(() => vg(fn1('return g, None, g'), 'loss', [1, 1])).toThrow('incorrect number of gradients (expected 2, got 3)');
    expect(() => vg(fn1('return torch.ones(3), None', 'A.apply(x, 2.0)'), 'loss', [1, 1])).toThrow('Function ABackward returned an invalid gradient at index 0 - got [3] but expected shape compatible with [2]');
    expect(() => vg(fn1('return 3.5, None'), 'loss', [1, 1])).toThrow('expected Variable or None (got float)');
    expect(() => vg(fn1('return g, None', 'A.apply(x, k=2.0)'), 'loss', [1, 1])).toThrow('apply() takes no keyword arguments');
  });

  it("torch 2's form (forward without ctx, setup_context filling it) is not modelled: refused", () => {
    const src = `${T}class S(torch.autograd.Function):\n    @staticmethod\n    def forward(x):\n        return x * 2\n\n    @staticmethod\n    def setup_context(ctx, inputs, output):\n        pass\n\n    @staticmethod\n    def backward(ctx, g):\n        return g\n\ndef loss(x):\n    return S.apply(x)\n`;
    expect(() => vg(src, 'loss', [1])).toThrow(/unsupported `S.setup_context \(an autograd Function whose forward takes no ctx\)/);
  });

  it('set_materialize_grads(False) (None for unused outputs) is not modelled: refused', () => {
    const src = `${T}class S(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        ctx.set_materialize_grads(False)\n        return x * 2\n\n    @staticmethod\n    def backward(ctx, g):\n        return g\n\ndef loss(x):\n    return S.apply(x)\n`;
    expect(() => vg(src, 'loss', [1])).toThrow(/unsupported `ctx.set_materialize_grads\(False\)/);
  });

  it("forward runs without recording the gradient: an in-place write into the input is torch's too", () => {
    const src = `${T}class I(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        y = x.clone()\n        y.mul_(3)\n        return y\n\n    @staticmethod\n    def backward(ctx, g):\n        return g * 4\n\ndef loss(x):\n    return I.apply(x)\n`;
    const r = vg(src, 'loss', [1, 2]);
    close(r.v, [3, 6]);
    close(r.g, [4, 4]);
  });

  it("the Function's own forward is probed through apply: the gradient is its backward's, not forward's derivative", () => {
    const r = vg(SQUARE, 'Sq.forward', [1, 2], { k: num(1) });
    close(r.v, [1, 4]);
    close(r.g, [10, 20]);
  });

  it('the fixture: every loss of fixtures/autograd_function.py has a probe plan (nothing refused)', () => {
    const mod = moduleOf(fs.readFileSync(path.join(FIXTURES, 'autograd_function.py'), 'utf8'));
    const plans = planModule(mod).map((p) => p.qualname);
    expect(plans).toEqual(expect.arrayContaining(['StableFocalLoss.forward', 'StableFocalFn.forward', 'ratio_focal', 'two_output_ce', 'straight_through_bce']));
  });
});
