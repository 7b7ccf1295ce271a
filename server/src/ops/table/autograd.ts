/**
 * Grad mode: the context managers and switches that turn autograd off (`with torch.no_grad():`,
 * `torch.set_grad_enabled(False)`) or back on. Their abstract value says which way they switch; the
 * interpreter (core/interp.ts) marks what a `with` body binds under a context that turns gradients
 * off, and what is bound after `torch.set_grad_enabled(False)` called as a statement, as detached.
 * Their lowering is the context value the numeric checker's `with` reads (numeric/eval.ts withBlock).
 */
import { mk } from '../../core/lattice';
import { defineOp } from '../api';

export const noGrad = defineOp({
  id: 'no_grad',
  summary: 'A context in which autograd records nothing (`torch.no_grad()`, `torch.inference_mode()`): what it computes has no gradient.',
  spell: ['torch.no_grad()', 'torch.inference_mode(mode=True)'],
  abstract: (c) => mk('unknown', { gradMode: c.flag('mode') === false ? 'on' : 'off', src: c.span }),
  lower: (c) => ({ t: 'ctx', grad: c.flag('mode') === false }),
});

export const enableGrad = defineOp({
  id: 'enable_grad',
  summary: 'A context in which autograd records again (`torch.enable_grad()`), inside a `no_grad` one.',
  spell: ['torch.enable_grad()'],
  abstract: (c) => mk('unknown', { gradMode: 'on', src: c.span }),
  lower: () => ({ t: 'ctx', grad: true }),
});

export const setGradEnabled = defineOp({
  id: 'set_grad_enabled',
  summary: 'Turns autograd on or off, as a context manager or, called as a statement, from there on (`torch.set_grad_enabled(False)`).',
  spell: ['torch.set_grad_enabled(mode)'],
  abstract(c) {
    const on = c.flag('mode');
    return mk('unknown', { gradMode: on === undefined ? undefined : on ? 'on' : 'off', gradSwitch: true, src: c.span });
  },
  lower(c) {
    const on = c.flag('mode') ?? c.unsupported('torch.set_grad_enabled without a known mode');
    // Called as a function it switches at once; as a context manager `with` restores the mode after.
    c.setGradEnabled(on);
    return { t: 'ctx', grad: on };
  },
});

export const parameter = defineOp({
  id: 'parameter',
  summary: 'A learnable parameter made from a tensor (`nn.Parameter(t)`): the same values, a leaf of its own (no gradient flows back into `t`).',
  spell: ['torch.nn.Parameter(data=None, requires_grad=True)', 'torch.nn.parameter.Parameter(data=None, requires_grad=True)'],
  // Its value is the tensor's (a learnable alpha, a center's initial value); the lattice has no leaf to mark.
  abstract: (c) => c.arg('data') ?? mk('unknown', { dtype: 'float', src: c.span }),
  lower(c) {
    const v = c.value('data');
    // Parameter() / Parameter(None): an empty float tensor, as PyTorch makes.
    if (!v || v.t === 'none') return c.out(c.k.fill([0], 0, 'float'));
    const x = c.tensor('data');
    return c.out(c.k.detach(x.x), x.dt);
  },
});

export const AUTOGRAD = [noGrad, enableGrad, setGradEnabled, parameter];
