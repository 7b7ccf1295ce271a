"""pt taken from a batch-averaged cross-entropy, and a log of a probability."""
import torch
import torch.nn.functional as F


def focal_loss(logits, targets, gamma=2.0):
    ce = F.cross_entropy(logits, targets)
    pt = torch.exp(-ce)
    return (1 - pt) ** gamma * ce


def nll_focal(logits, targets, gamma=2.0):
    probs = F.softmax(logits, dim=1)
    log_probs = torch.log(probs)
    return F.nll_loss((1 - probs) ** gamma * log_probs, targets)
