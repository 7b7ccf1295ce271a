// Generates a realistic Python file of deep-learning loss code of about `lines` lines: imports,
// module constants, focal/CE/BCE variants as functions, nn.Module classes with __init__ and forward,
// closures, and module-level calls. Deterministic for a given size. Used by bench/lsp-latency.mjs.
export function genLossFile(lines = 3000) {
  const head = [
    'import math',
    'import torch',
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    '',
    'EPS = 1e-6',
    'DEFAULT_GAMMA = 2.0',
    '',
  ];
  const out = [...head];
  const blocks = [
    (i) => [
      `def softmax_focal_${i}(logits, targets, alpha=0.25, gamma=2.0, reduction="mean"):`,
      `    """Softmax focal loss, variant ${i}."""`,
      '    ce = F.cross_entropy(logits, targets, reduction="none")',
      '    pt = torch.exp(-ce)',
      '    mod = (1 - pt) ** gamma',
      '    loss = mod * ce',
      '    if reduction == "mean":',
      '        return loss.mean()',
      '    return loss.sum()',
      '',
    ],
    (i) => [
      `def sigmoid_focal_${i}(logits, targets, alpha=0.25, gamma=2.0):`,
      '    p = torch.sigmoid(logits)',
      '    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")',
      '    p_t = p * targets + (1 - p) * (1 - targets)',
      '    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)',
      '    loss = alpha_t * (1 - p_t) ** gamma * ce',
      '    return loss.mean()',
      '',
    ],
    (i) => [
      `class FocalLoss${i}(nn.Module):`,
      '    def __init__(self, gamma=2.0, weight=None):',
      '        super().__init__()',
      '        self.gamma = gamma',
      '        self.weight = weight',
      '',
      '    def forward(self, logits, target):',
      '        log_p = F.log_softmax(logits, dim=-1)',
      '        log_pt = log_p.gather(1, target.unsqueeze(1)).squeeze(1)',
      '        pt = log_pt.exp()',
      '        loss = -((1 - pt) ** self.gamma) * log_pt',
      '        return loss.mean()',
      '',
    ],
    (i) => [
      `def dice_and_ce_${i}(logits, targets, smooth=1.0):`,
      '    probs = torch.softmax(logits, dim=1)',
      '    inter = (probs * targets).sum(dim=(2, 3))',
      '    union = probs.sum(dim=(2, 3)) + targets.sum(dim=(2, 3))',
      '    dice = 1 - (2 * inter + smooth) / (union + smooth)',
      '    ce = F.cross_entropy(logits, targets.argmax(dim=1))',
      '    total = dice.mean() + ce',
      '    for _ in range(2):',
      '        total = total * 1.0',
      '    return total',
      '',
    ],
    (i) => [
      `def make_loss_${i}(gamma=DEFAULT_GAMMA):`,
      '    def inner(logits, targets):',
      '        p = logits.sigmoid().clamp(EPS, 1 - EPS)',
      '        w = (1 - p) ** gamma',
      '        return (w * F.binary_cross_entropy(p, targets, reduction="none")).mean()',
      '    return inner',
      '',
    ],
    (i) => [
      `def helper_${i}(x, scale=1.0):`,
      '    y = x * scale',
      '    z = y - y.mean(dim=0, keepdim=True)',
      '    norm = math.sqrt(float(z.numel()))',
      '    return z / norm',
      '',
    ],
  ];
  let i = 0;
  while (out.length < lines - 12) out.push(...blocks[i % blocks.length](i++));
  out.push('', 'if __name__ == "__main__":', '    criterion = FocalLoss2(gamma=2.0)', '    print(softmax_focal_0(torch.randn(8, 5), torch.randint(0, 5, (8,))))', '');
  while (out.length < lines) out.push('');
  return out.join('\n');
}
