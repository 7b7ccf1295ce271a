/**
 * The seeded mistake both real clients (code-server and Neovim) open: a softmax focal loss with
 * gamma < 1 and no clamp on `1 - pt`, whose gradient is NaN once the model is confident (LL103).
 * The expectations below are what a user sees, written out by hand, not read from the rule.
 */
export const LL103_SAMPLE = `import torch
import torch.nn.functional as F


def focal_loss(logits, targets, gamma=0.5):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return ((1 - pt) ** gamma * ce).mean()
`;

/** The flagged expression, on the return line. */
export const FLAGGED = '(1 - pt)';
/** 0-based line and character of the flagged expression. */
export const FLAGGED_LINE = 7;
export const FLAGGED_CHARACTER = LL103_SAMPLE.split('\n')[FLAGGED_LINE].indexOf(FLAGGED);

/** The quick fix's title starts with this, and the return line reads `FIXED_LINE` after it. */
export const FIX_TITLE_PREFIX = 'Clamp';
export const FIXED_LINE = '    return ((1 - pt).clamp(min=1e-6) ** gamma * ce).mean()';
export const FIXED_SAMPLE = LL103_SAMPLE.replace('    return ((1 - pt) ** gamma * ce).mean()', FIXED_LINE);
