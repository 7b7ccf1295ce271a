/** The documents the LSP tests open. */

/** The focal loss of the brief: gamma = 0.5 < 1 with an unclamped `(1 - pt)`, which LL103 flags. */
export const FOCAL = [
  'import torch',
  'import torch.nn.functional as F',
  '',
  '',
  'def focal_loss(logits, targets, gamma=0.5):',
  '    ce = F.cross_entropy(logits, targets, reduction="none")',
  '    pt = torch.exp(-ce)',
  '    return ((1 - pt) ** gamma * ce).mean()',
  '',
].join('\n');
