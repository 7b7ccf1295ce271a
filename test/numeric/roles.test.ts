/**
 * Roles (numeric/roles.ts planModule) read from more than names: annotations that say a parameter
 * is a Python scalar or a tensor. Each case also says what is still refused, and why.
 */
import { describe, expect, it } from 'vitest';
import { moduleOf } from '../../server/src/numeric/runner';
import { planModule, type PlanSkip } from '../../server/src/numeric/roles';

function plan(src: string): { plans: ReturnType<typeof planModule>; skipped: PlanSkip[] } {
  const skipped: PlanSkip[] = [];
  const plans = planModule(moduleOf(src), undefined, undefined, skipped);
  return { plans, skipped };
}

const HDR = 'import torch\nimport torch.nn.functional as F\n\n';

describe('roles from annotations', () => {
  it('a parameter annotated bool is a flag: not a role, given True and said so', () => {
    const src = `${HDR}def flagged_loss(logits: torch.Tensor, mask: torch.Tensor, exclusive: bool):\n    return F.cross_entropy(logits, mask) if exclusive else F.binary_cross_entropy_with_logits(logits, mask)\n`;
    const { plans } = plan(src);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ input: 'logits', target: 'mask' });
    expect(plans[0].fill).toEqual({ exclusive: { value: true, why: 'a bool flag: True probed, False not' } });
    // Without the annotation the facts still find the roles, but the flag takes no guessed value.
    const { plans: none, skipped } = plan(src.replace(': bool', ''));
    expect(none).toEqual([]);
    expect(skipped).toEqual([{ qualname: 'flagged_loss', reason: 'required parameter `exclusive` has no value' }]);
  });

  it('a required int / float / str annotation is no role either, and takes no guessed value', () => {
    const { plans, skipped } = plan(`${HDR}def tempered_loss(x: torch.Tensor, y: torch.Tensor, t1: float):\n    return ((x - y) ** 2).mean() * t1\n`);
    expect(plans).toEqual([]);
    expect(skipped).toEqual([{ qualname: 'tempered_loss', reason: 'required parameter `t1` has no value' }]);
  });

  it('a tensor annotation wins over a name that reads as a hyperparameter (eps: the noise, not an epsilon)', () => {
    const src = `${HDR}def diffusion_loss(eps: torch.Tensor, eps_pred: torch.Tensor):\n    return ((eps - eps_pred) ** 2).mean()\n`;
    expect(plan(src).plans[0]).toMatchObject({ input: 'eps_pred', target: 'eps' });
    // Unannotated, `eps` reads as an epsilon: one tensor parameter left.
    expect(plan(src.replace(/: torch\.Tensor/g, '')).skipped).toEqual([{ qualname: 'diffusion_loss', reason: 'no prediction and target parameters' }]);
  });
});

describe('a framework module injected by keyword (`backend = kwargs["backend"]`)', () => {
  const SRC = [
    'def _axis(**kwargs):',
    '    backend = kwargs["backend"]',
    '    return 3 if backend.image_data_format() == "channels_last" else 1',
    '',
    'def injected_ce(y_true, y_pred, **kwargs):',
    '    backend = kwargs["backend"]',
    '    y_pred = y_pred / backend.sum(y_pred, axis=_axis(**kwargs), keepdims=True)',
    '    return -backend.mean(y_true * backend.log(backend.clip(y_pred, 1e-7, 1.0)))',
    '',
  ].join('\n');

  it('is the one framework module spelling every op called on it, read by the facts as that module', () => {
    const { plans } = plan(SRC);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ input: 'y_pred', target: 'y_true', inputIsProb: true, framework: 'tf/keras', encodings: ['onehot', 'binary', 'index'] });
    expect(plans[0].fill).toEqual({ backend: { value: { module: 'keras.backend' }, why: 'the only framework module spelling clip, image_data_format, log, mean, sum' } });
  });

  it('modules of one framework that spell the ops alike are one value; of several frameworks, refused with why', () => {
    const alike = plan('def bce_loss(y_true, y_pred, **kwargs):\n    backend = kwargs["backend"]\n    return backend.mean(backend.binary_crossentropy(y_true, y_pred))\n');
    expect(alike.plans[0].fill?.backend).toEqual({ value: { module: 'keras.backend' }, why: 'spells binary_crossentropy, mean as keras.ops does' });
    const several = plan('def mse_loss(y_true, y_pred, **kwargs):\n    xp = kwargs["xp"]\n    return xp.mean((y_true - y_pred) ** 2)\n');
    expect(several.plans).toEqual([]);
    expect(several.skipped[0].reason).toMatch(/^keyword `xp` of \*\*kwargs is a module the probes cannot tell: its ops are spelled differently in keras\.backend, keras\.ops, .*torch, jax\.numpy, numpy$/);
  });

  it('a keyword read as a value (not a module) has no value the probes could give', () => {
    const { plans, skipped } = plan('def scaled_loss(y_true, y_pred, **kwargs):\n    s = kwargs["scale"]\n    return ((y_true - y_pred) ** 2).mean() * s\n');
    expect(plans).toEqual([]);
    expect(skipped).toEqual([{ qualname: 'scaled_loss', reason: 'keyword `scale` of **kwargs has no value' }]);
  });
});

describe('values for required parameters, from what the function does with them', () => {
  const TF = 'import tensorflow as tf\n\n';
  it('a normaliser the loss is only divided by (through a cast) takes 1, and says so', () => {
    const { plans } = plan(`${HDR}def box_loss(inputs, targets, num_boxes):\n    loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")\n    return loss.sum() / num_boxes\n`);
    expect(plans[0].fill).toEqual({ num_boxes: { value: 1, why: 'a normaliser the loss is divided by: 1' } });
    const tf1 = plan(`${TF}def norm_loss(y_pred, y_true, normalizer):\n    normalizer = tf.cast(normalizer, dtype=y_pred.dtype)\n    ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)\n    return (1 / normalizer) * ce\n`);
    expect(tf1.plans[0].fill?.normalizer.value).toBe(1);
    // Used otherwise too (a factor): its meaning is unknown, no value.
    const other = plan(`${HDR}def odd_loss(inputs, targets, num_boxes):\n    return (inputs - targets).pow(2).sum() / num_boxes * num_boxes\n`);
    expect(other.skipped).toEqual([{ qualname: 'odd_loss', reason: 'required parameter `num_boxes` has no value' }]);
  });

  it('a parameter never read takes None; one that only names ops takes the function name', () => {
    const unread = plan(`${HDR}def plain_loss(logits, labels, unused_flag):\n    return F.cross_entropy(logits, labels)\n`);
    expect(unread.plans[0].fill).toEqual({ unused_flag: { value: null, why: 'never read by the function: None' } });
    const named = plan(`${TF}def named_loss(labels, logits, name):\n    loss = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))\n    return tf.divide(loss, 2.0, name=name)\n`);
    expect(named.plans[0].fill).toEqual({ name: { value: 'named_loss', why: "only names ops (`name=`): the function's name" } });
  });

  it("a factory's parameter only its other closures read takes None for the closure probed", () => {
    const src = `${TF}def mixed(frac):\n    def xent(y_true, y_pred):\n        return tf.reduce_mean(tf.keras.losses.categorical_crossentropy(y_true, y_pred))\n    def total(y_true, y_pred):\n        return frac * xent(y_true, y_pred)\n    return total\n`;
    const { plans } = plan(src);
    const x = plans.find((p) => p.qualname === 'mixed.xent');
    // It reads nothing of the factory, which it runs without: `frac` needs no value at all.
    expect(x).toBeDefined();
    expect(x?.fill).toBeUndefined();
    // The closure that reads it: no value.
    expect(plans.find((p) => p.qualname === 'mixed.total')).toBeUndefined();
  });

  it('a weight only multiplied in takes ones like the input; a per-class count list one count per class', () => {
    const w = plan(`${TF}def wloss(y_true, y_pred, positive_weights, negative_weights):\n    return tf.reduce_mean(-y_true * tf.math.log(y_pred) * positive_weights - (1.0 - y_true) * tf.math.log(1.0 - y_pred) * negative_weights)\n`);
    expect(w.plans[0].fill?.positive_weights).toEqual({ value: { ones: 'input' }, why: 'a weight only multiplied in: ones like the input' });
    const counts = plan(`${HDR}class CountLoss(torch.nn.Module):\n    def __init__(self, cls_num_list):\n        super().__init__()\n        n = torch.tensor(cls_num_list, dtype=torch.float)\n        self.w = n.sum() / n\n\n    def forward(self, logits, target):\n        return F.cross_entropy(logits, target, weight=self.w)\n`);
    expect(counts.plans[0].fill?.cls_num_list).toEqual({ value: { counts: 'classes' }, why: 'a per-class count list: one count of 1 per class, assumed; no canonical comparison', assumed: true });
  });

  it("a required alpha indexed by the targets, whose None the code handles, takes None (not a typical scalar)", () => {
    const src = `${HDR}class TableLoss(torch.nn.Module):\n    def __init__(self, alpha, gamma=2):\n        super().__init__()\n        self.alpha = torch.ones(4) if alpha is None else alpha\n        self.gamma = gamma\n\n    def forward(self, logits, target):\n        return (self.alpha[target] * F.cross_entropy(logits, target, reduction="none")).mean()\n`;
    const { plans } = plan(src);
    expect(plans[0].fill?.alpha).toEqual({ value: null, why: 'a table indexed by the targets, whose None the function handles: None' });
    expect(plans[0].alpha?.values).toEqual([null]);
  });

  it("a call site passing the caller's own parameter gives that parameter's default", () => {
    const src = `${HDR}def ce_loss(logits, targets, z_loss: float):\n    return -(targets * F.log_softmax(logits, -1)).sum(-1) + z_loss * logits.logsumexp(-1) ** 2\n\ndef caller(logits, targets, z_loss: float = 0.0):\n    return ce_loss(logits, targets, z_loss=z_loss)\n`;
    const { plans } = plan(src);
    expect(plans.find((p) => p.qualname === "ce_loss")?.fill).toEqual({ z_loss: { value: 0, why: 'a call site' } });
  });

  it('a loss module a call site builds and passes takes that module, its literal keywords kept', () => {
    const src = `${HDR}class WrapLoss(torch.nn.Module):\n    def __init__(self, loss_fn, gamma=2.0):\n        super().__init__()\n        self.loss_fn = loss_fn\n        self.gamma = gamma\n\n    def forward(self, pred, true):\n        return (self.loss_fn(pred, true) * self.gamma).mean()\n\ndef make(h):\n    crit = torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=h)\n    return WrapLoss(crit, 2.0)\n`;
    expect(plan(src).plans[0].fill?.loss_fn).toEqual({ value: { op: 'torch.nn.BCEWithLogitsLoss', kwargs: { reduction: 'none' }, dropped: ['pos_weight'] }, why: 'the BCEWithLogitsLoss a call site builds (pos_weight not a literal: the default)' });
    // No call site builds one: a typical module (it is only called on the prediction and the target), said to be assumed.
    const alone = plan(src.replace(/\ndef make[\s\S]*$/, '\n'));
    expect(alone.skipped).toEqual([]);
    expect(alone.plans[0].fill?.loss_fn).toMatchObject({ value: { op: 'torch.nn.CrossEntropyLoss', kwargs: {}, dropped: [] }, assumed: true });
  });
});

describe('more values from what the function does with a parameter', () => {
  it('a weight multiplied in under a sign (`-w * t * log p`) is still only a factor', () => {
    const { plans } = plan(`${HDR}def wbce(logits, targets, pos_weight):\n    return (-pos_weight * targets * F.logsigmoid(logits) - (1 - targets) * F.logsigmoid(-logits)).mean()\n`);
    expect(plans[0].fill).toEqual({ pos_weight: { value: { ones: 'input' }, why: 'a weight only multiplied in: ones like the input' } });
  });

  it('a fraction of a count made an int takes 0.5; an index, a slice bound or a top-k count takes 1; each says so', () => {
    const frac = plan(`${HDR}def ohem(logits, targets, keep):\n    loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="none").reshape(-1)\n    return loss.topk(int(keep * loss.shape[0]))[0].mean()\n`);
    expect(frac.plans[0].fill).toEqual({ keep: { value: 0.5, why: 'a fraction of a count (`int(p * n)`): 0.5, other fractions not probed; no canonical comparison', assumed: true } });
    const idx = plan(`${HDR}def drop_one(logits, targets, k):\n    z = torch.cat([logits[:, :k], logits[:, k + 1:]], dim=1)\n    return F.binary_cross_entropy_with_logits(z, torch.cat([targets[:, :k], targets[:, k + 1:]], dim=1))\n`);
    expect(idx.plans[0].fill?.k).toEqual({ value: 1, why: 'an index or a count (a slice bound, an index, `range`, `topk`): 1, other values not probed; no canonical comparison', assumed: true });
    const topk = plan(`${HDR}def top_loss(logits, targets, n_hard):\n    loss = F.cross_entropy(logits, targets, reduction="none")\n    return torch.topk(loss, n_hard)[0].mean()\n`);
    expect(topk.plans[0].fill?.n_hard.value).toBe(1);
    // Also used in arithmetic: no value.
    const mixed = plan(`${HDR}def odd_loss(logits, targets, k):\n    return F.cross_entropy(logits[:, :k], targets) * k\n`);
    expect(mixed.skipped).toEqual([{ qualname: 'odd_loss', reason: 'required parameter `k` has no value' }]);
  });

  it('a string compared only with literals (or a literal dict\'s key) takes the first literal, and names the others', () => {
    const src = `${HDR}class ModeLoss(torch.nn.Module):\n    def __init__(self, mode):\n        super().__init__()\n        self.mode = mode\n\n    def forward(self, logits, target):\n        loss = F.cross_entropy(logits, target, reduction="none")\n        if self.mode == "mean":\n            return loss.mean()\n        elif self.mode in ("sum", "total"):\n            return loss.sum()\n        raise ValueError(self.mode)\n`;
    expect(plan(src).plans[0].fill?.mode).toEqual({ value: 'mean', why: "a string the code compares with 'mean', 'sum', 'total': the first, 'mean'; the others not probed; no canonical comparison", assumed: true });
    const dict = plan(`${HDR}def pick(logits, target, kind):\n    return {"ce": F.cross_entropy, "nll": F.nll_loss}[kind](logits, target)\n`);
    expect(dict.plans[0].fill?.kind.value).toBe('ce');
    // A string also used otherwise (its length taken): no value.
    expect(plan(`${HDR}def logged_loss(logits, target, tag):\n    if tag == "a":\n        return F.cross_entropy(logits, target)\n    return F.cross_entropy(logits, target) * len(tag)\n`).skipped[0].reason).toBe('required parameter `tag` has no value');
  });

  it('a threshold tensors are compared with (through -log and a move) or clamped to takes 0.5; a mixing weight 0.1', () => {
    const src = `${HDR}class MinedCE(torch.nn.Module):\n    def __init__(self, cut):\n        super().__init__()\n        self.cut = -torch.log(torch.tensor(cut, dtype=torch.float))\n\n    def forward(self, logits, labels):\n        cut = self.cut.to(logits.device)\n        loss = F.cross_entropy(logits, labels, reduction="none")\n        return loss[loss > cut].mean()\n`;
    expect(plan(src).plans[0].fill).toEqual({ cut: { value: 0.5, why: 'a threshold tensors are compared with or clamped to (`x > t`): 0.5, in (0, 1); other values not probed; no canonical comparison', assumed: true } });
    expect(plan(`${HDR}def clamped_loss(logits, target, floor):\n    p = torch.sigmoid(logits).clamp(min=floor)\n    return -(target * p.log()).mean()\n`).plans[0].fill?.floor.value).toBe(0.5);
    // Compared with a number literal: a branch, not a threshold; no value.
    expect(plan(`${HDR}def branch_loss(logits, target, t1):\n    if t1 < 1.0:\n        return F.cross_entropy(logits, target)\n    return F.cross_entropy(logits * t1, target)\n`).skipped[0].reason).toBe('required parameter `t1` has no value');
    const mix = plan(`${HDR}def smooth_ce(logits, target, eps_ls):\n    y = F.one_hot(target, logits.shape[1]).float()\n    y = (1 - eps_ls) * y + eps_ls / logits.shape[1]\n    return -(y * F.log_softmax(logits, 1)).sum(1).mean()\n`);
    expect(mix.plans[0].fill).toEqual({ eps_ls: { value: 0.1, why: 'a mixing weight (`(1 - s) * a + s * b`) in [0, 1]: 0.1, other weights not probed; no canonical comparison', assumed: true } });
  });

  it('a table indexed by the targets takes a weight of 1 per class; a required alpha so indexed too, with no scalar alpha probed', () => {
    expect(plan(`${HDR}def table_loss(logits, target, class_w):\n    return (class_w[target] * F.cross_entropy(logits, target, reduction="none")).mean()\n`).plans[0].fill).toEqual({
      class_w: { value: { ones: 'classes' }, why: 'a table indexed by the targets (`class_w[target]`): one weight of 1 per class' },
    });
    const a = plan(`${HDR}class AlphaTable(torch.nn.Module):\n    def __init__(self, alpha, gamma=2.0):\n        super().__init__()\n        self.alpha = alpha\n        self.gamma = gamma\n\n    def forward(self, logits, targets):\n        ce = F.cross_entropy(logits, targets, reduction="none")\n        pt = torch.exp(-ce)\n        return (self.alpha[targets] * (1 - pt) ** self.gamma * ce).mean()\n`).plans[0];
    expect(a.fill?.alpha.value).toEqual({ ones: 'classes' });
    expect(a.alpha?.values).toEqual([null]);
  });

  it("a second head's tensors, passed where the prediction and target are, take the probe's prediction and targets", () => {
    const src = `${HDR}def two_heads(a_logits, b_logits, a_labels, b_labels):\n    return F.cross_entropy(a_logits, a_labels) + F.cross_entropy(b_logits, b_labels)\n`;
    const { plans } = plan(src);
    expect(plans[0]).toMatchObject({ input: 'a_logits', target: 'a_labels' });
    expect(plans[0].fill).toEqual({
      b_logits: { value: { like: 'input' }, why: "passed where `a_logits` is: a second prediction, the probe's prediction values (not differentiated)" },
      b_labels: { value: { like: 'target' }, why: "passed where `a_labels` is: a second target, the probe's targets" },
    });
    // Passed where no prediction or target is (a regression's boxes): no value.
    expect(plan(`${HDR}def det(logits, labels, boxes, box_targets):\n    return F.cross_entropy(logits, labels) + F.smooth_l1_loss(boxes, box_targets, beta=0.1)\n`).plans).toEqual([]);
  });
});

describe('the probes of the focal formula', () => {
  it('run only where something says focal loss or cross-entropy (a loss op, a name, a meaning the facts see)', () => {
    const { plans } = plan(`${HDR}def mse_loss(pred, target):\n    return ((pred - target) ** 2).mean()\n\ndef dice_loss(logits, target):\n    p = torch.sigmoid(logits)\n    return 1 - 2 * (p * target).sum() / (p.sum() + target.sum() + 1)\n\ndef _helper(x):\n    return F.log_softmax(x, 1)\n\ndef ce_via_helper(logits, target):\n    return -(_helper(logits) * target).sum(1).mean()\n\ndef ce_loss(logits, target):\n    return F.cross_entropy(logits, target)\n`);
    const by = (q: string) => plans.find((p) => p.qualname === q)!;
    expect(by('mse_loss').notFocal).toBe(true);
    expect(by('dice_loss').notFocal).toBe(true);
    expect(by('ce_via_helper').notFocal).toBeUndefined();
    expect(by('ce_loss').notFocal).toBeUndefined();
    // A focal loss written out on a probability the facts see (p_t, its modulating factor): the probes
    // run. On an input the facts cannot read as a probability a logarithm alone says nothing (a KL
    // divergence takes one too): no comparison with a focal loss.
    expect(plan(`${HDR}def neg_loss(logits, gt):\n    pred = torch.sigmoid(logits)\n    t = pred * gt + (1 - pred) * (1 - gt)\n    return -(torch.log(t) * torch.pow(1 - t, 2)).mean()\n`).plans[0].notFocal).toBeUndefined();
    expect(plan(`${HDR}def neg_loss(pred, gt):\n    t = pred * gt + (1 - pred) * (1 - gt)\n    return -(torch.log(t) * torch.pow(1 - t, 2)).mean()\n`).plans[0].notFocal).toBe(true);
    expect(plan(`${HDR}def distill_loss(logits, target_logits):\n    return F.kl_div(F.log_softmax(logits, -1), F.softmax(target_logits, -1), reduction="batchmean")\n`).plans[0]?.notFocal).toBe(true);
    // A function named as a cross-entropy keeps them (a log_softmax forgotten is worth the comparison).
    expect(plan(`${HDR}def cross_entropy(logits, labels):\n    return -(F.one_hot(labels, 10) * logits).sum(-1).mean()\n`).plans[0].notFocal).toBeUndefined();
    // A call the facts cannot read says nothing either way: without evidence of a focal loss or a
    // cross-entropy the comparison with one would mean nothing (precision first); a helper named as
    // one is evidence.
    expect(plan(`${HDR}from mylib import soft_dice\n\ndef dice2_loss(logits, target):\n    return soft_dice(torch.sigmoid(logits), target)\n`).plans[0].notFocal).toBe(true);
    expect(plan(`${HDR}from mylib import sigmoid_focal\n\ndef det_loss(logits, target):\n    return sigmoid_focal(logits, target)\n`).plans[0].notFocal).toBeUndefined();
    // A triplet loss over a module held in an attribute: nothing says focal.
    expect(plan(`${HDR}from torch import nn\n\nclass Triplet(nn.Module):\n    def __init__(self, margin=0.3):\n        super().__init__()\n        self.rank = nn.MarginRankingLoss(margin=margin)\n    def forward(self, feats, labels):\n        d = torch.cdist(feats, feats)\n        same = labels[:, None] == labels[None, :]\n        ap = (d * same).max(1)[0]\n        an = (d + 1e6 * same).min(1)[0]\n        return self.rank(an, ap, torch.ones_like(an))\n`).plans.find((p) => p.qualname === 'Triplet.forward')?.notFocal).toBe(true);
  });

  it('compare with the cross-entropy (gamma 0) unless something says focal: a name, a focal op, a modulating factor', () => {
    const { plans } = plan(`${HDR}def xent(logits, labels):\n    return -(F.log_softmax(logits, -1) * F.one_hot(labels, 8)).sum(-1).mean()\n\ndef focal_written(logits, labels):\n    return F.cross_entropy(logits, labels)\n\ndef modulated(logits, labels):\n    ce = F.cross_entropy(logits, labels, reduction="none")\n    return ((1 - torch.exp(-ce)) ** 2 * ce).mean()\n`);
    const by = (q: string) => plans.find((p) => p.qualname === q)!;
    expect(by('xent').plainCE).toBe(true);
    expect(by('focal_written').plainCE).toBeUndefined();
    expect(by('modulated').plainCE).toBeUndefined();
  });

  it('a private method named as a loss is not planned, and says why; other private methods are not listed', () => {
    const { plans, skipped } = plan(`${HDR}class DetLoss(torch.nn.Module):\n    def _cls_loss(self, logits, labels):\n        return F.cross_entropy(logits, labels)\n\n    def _weights(self, labels):\n        return labels.float()\n\n    def forward(self, logits, labels):\n        return self._cls_loss(logits, labels)\n`);
    expect(plans.map((p) => p.qualname)).toEqual(['DetLoss.forward']);
    expect(skipped).toEqual([{ qualname: 'DetLoss._cls_loss', reason: 'a private method: `forward` of its class calls it and is the entry point' }]);
  });

  it('a Keras LossFunctionWrapper subclass (no call of its own) is named with the function it passes on', () => {
    const src = 'import tensorflow as tf\nfrom mylib import LossFunctionWrapper\n\nclass BinaryFocalLoss(LossFunctionWrapper):\n    def __init__(self, gamma=2.0, name="bfl"):\n        super().__init__(binary_focal, name=name, gamma=gamma)\n\ndef binary_focal(y_true, y_pred, gamma=2.0):\n    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)\n    return -tf.reduce_mean((1 - p_t) ** gamma * tf.math.log(p_t))\n';
    const { plans, skipped } = plan(src);
    expect(plans.map((p) => p.qualname)).toEqual(['binary_focal']);
    expect(skipped).toEqual([{ qualname: 'BinaryFocalLoss', reason: "a Keras LossFunctionWrapper subclass: its call is the base's, `binary_focal` with the constructor's keywords (the function is probed on its own)" }]);
  });

  it('a function the facts see taking a prediction and a target is planned whatever its name or return', () => {
    const { plans } = plan('import tensorflow as tf\n\nclass Errors(object):\n    def mean_false_error(self, y_true, y_pred):\n        y_pred = tf.nn.sigmoid(y_pred)\n        pos = tf.reduce_sum(y_true)\n        return tf.where(tf.equal(pos, 0.0), 0.0, tf.reduce_mean(tf.square(y_pred - y_true)))\n');
    expect(plans.map((p) => p.qualname)).toEqual(['Errors.mean_false_error']);
  });
});

describe("probe layouts from the function's operations", () => {
  it('a target squeezed at dim 1 asks for image targets with a channel of one', () => {
    expect(plan(`${HDR}def seg_loss(logits, target):\n    return F.cross_entropy(logits, target.long().squeeze(1))\n`).plans[0].targetChannel).toBe(true);
    expect(plan(`${HDR}def seg_loss(logits, target):\n    return F.cross_entropy(logits, torch.squeeze(target, dim=1))\n`).plans[0].targetChannel).toBe(true);
    // The logits squeezed, or the target squeezed elsewhere: nothing said.
    expect(plan(`${HDR}def bin_loss(logits, target):\n    return F.binary_cross_entropy_with_logits(logits.squeeze(1), target)\n`).plans[0].targetChannel).toBeUndefined();
    expect(plan(`${HDR}def seg_loss(logits, target):\n    return F.cross_entropy(logits, target.squeeze(-1))\n`).plans[0].targetChannel).toBeUndefined();
  });
});


describe('closures that read nothing of their factories', () => {
  const J = 'import jax\nimport jax.numpy as jnp\n\n';
  it('run without the factory (its required parameters need no value); one that reads a factory local still needs them', () => {
    const free = `${J}def make_step(apply_fn, scale):\n    def step(params, batch):\n        key = jax.random.PRNGKey(0)\n        def xent(*, logits, labels):\n            return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * labels, axis=1))\n        return xent\n    return step\n`;
    const { plans } = plan(free);
    expect(plans.map((p) => p.qualname)).toContain('make_step.step.xent');
    expect(plans.find((p) => p.qualname === 'make_step.step.xent')).toMatchObject({ input: 'logits', target: 'labels' });
    const bound = free.replace('* labels, axis=1))', '* labels, axis=1)) * scale');
    const r = plan(bound);
    expect(r.plans.map((p) => p.qualname)).not.toContain('make_step.step.xent');
    expect(r.skipped).toContainEqual({ qualname: 'make_step.step.xent', reason: expect.stringMatching(/required parameter `(params|batch|apply_fn|scale)` has no value/) });
    // Its own parameter named as a factory's is its own; a default naming a factory local is read there.
    const shadow = free.replace('def xent(*, logits, labels):', 'def xent(*, logits, labels, params=None):').replace('* labels, axis=1))', '* labels, axis=1)) + (0 if params is None else 1)');
    expect(plan(shadow).plans.map((p) => p.qualname)).toContain('make_step.step.xent');
    const dflt = free.replace('def xent(*, logits, labels):', 'def xent(*, logits, labels, s=scale):');
    expect(plan(dflt).plans.map((p) => p.qualname)).not.toContain('make_step.step.xent');
  });
});

describe('a focal gamma or alpha by its use, whatever its name (role-params.ts)', () => {
  const CLS = `${HDR}import torch.nn as nn\n\n`;
  it("a required __init__ parameter that the facts make a modulating factor's exponent: typical 2 and 0.5, said assumed, swept", () => {
    const src = `${CLS}class Focal(nn.Module):\n    def __init__(self, power):\n        super().__init__()\n        self.power = power\n\n    def forward(self, logits, labels):\n        p = F.softmax(logits, dim=-1)\n        return F.nll_loss(((1 - p) ** self.power) * torch.log(p), labels)\n`;
    const { plans: ps, skipped } = plan(src);
    expect(skipped).toEqual([]);
    expect(ps[0].fill?.power).toMatchObject({ value: 2 });
    expect(ps[0].fill?.power.why).toMatch(/a focal gamma .* by its use, whatever its name: the typical 2, assumed/);
    expect(ps[0].gamma).toEqual({ name: 'power', values: [2, 0.5] });
  });

  it("a function's own required parameter too", () => {
    const src = `${HDR}def focal(x, t, k):\n    p = torch.sigmoid(x)\n    pt = p * t + (1 - p) * (1 - t)\n    return (-(1 - pt) ** k * torch.log(pt)).mean()\n`;
    const { plans: ps } = plan(src);
    expect(ps[0].fill?.k?.value).toBe(2);
    expect(ps[0].gamma?.name).toBe('k');
  });

  it('a required value only scaling the loss is no gamma or alpha (a factor, given as such)', () => {
    const src = `${HDR}def scaled(x, t, k):\n    return F.cross_entropy(x, t) * k\n`;
    const { plans: ps } = plan(src);
    expect(ps[0]?.fill?.k?.why ?? '').not.toMatch(/focal/);
    expect(ps[0]?.gamma).toBeUndefined();
  });
});

describe('a loss of one input (CheckPlan.oneInput)', () => {
  it('an entropy of its one tensor parameter, or a generator loss of log D(G(z)): the prediction only, no target', () => {
    const ent = plan(`${HDR}def entropy_loss(logits):\n    p = F.softmax(logits, dim=1)\n    return -(p * F.log_softmax(logits, dim=1)).sum(dim=1).mean()\n`);
    expect(ent.plans[0]).toMatchObject({ qualname: 'entropy_loss', input: 'logits', oneInput: true, encodings: ['index'] });
    expect(ent.plans[0].target).toBeUndefined();
    const gen = plan(`${HDR}def g_loss(d_fake):\n    return -torch.log2(d_fake).mean()\n`);
    expect(gen.plans[0]).toMatchObject({ input: 'd_fake', oneInput: true });
  });

  it('not where the code says otherwise: its own target built, no loss name, a prediction returned, nothing non-finite reachable', () => {
    const built = plan(`${HDR}def g_loss(d_fake):\n    return F.binary_cross_entropy(d_fake, torch.ones_like(d_fake))\n`);
    expect(built.plans).toEqual([]);
    expect(built.skipped[0].reason).toMatch(/its target built by the function/);
    expect(plan(`${HDR}def head(x):\n    return -F.log_softmax(x, dim=1).mean()\n`).plans).toEqual([]);
    expect(plan(`${HDR}def loss_head(x):\n    return F.log_softmax(x, dim=1)\n`).plans).toEqual([]);
    expect(plan(`${HDR}def wgan_g_loss(d_fake):\n    return -d_fake.mean()\n`).plans).toEqual([]);
  });
});
