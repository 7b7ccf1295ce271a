# Losses for the probes of LL306-LL309 (test/numeric/probes-extra.test.ts).
import torch
import torch.nn.functional as F


def mixed(logits, target, gamma=2.0):
    ce = F.cross_entropy(logits, target, reduction="none")
    pt = torch.softmax(logits, dim=1).gather(1, target.unsqueeze(1))
    return ((1 - pt) ** gamma * ce).mean()


def not_mixed(logits, target, gamma=2.0):
    ce = F.cross_entropy(logits, target, reduction="none")
    pt = torch.softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return ((1 - pt) ** gamma * ce).mean()


def ignored_in_mean(logits, target, gamma=2.0):
    ce = F.cross_entropy(logits, target, reduction="none", ignore_index=-100)
    return ((1 - torch.exp(-ce)) ** gamma * ce).mean()


def ignored_honoured(logits, target, gamma=2.0):
    ce = F.cross_entropy(logits, target, reduction="none", ignore_index=-100)
    loss = (1 - torch.exp(-ce)) ** gamma * ce
    return loss.sum() / (target != -100).sum().clamp(min=1)


def ignored_as_index(logits, target, gamma=2.0):
    ce = F.cross_entropy(logits, target, reduction="none", ignore_index=-100)
    pt = torch.softmax(logits, 1).gather(1, target[:, None]).squeeze(1)
    return ((1 - pt) ** gamma * ce).sum()


def clamped_logs(logits, targets):
    p = torch.sigmoid(logits)
    return -(targets * torch.log(p.clamp(min=1e-6)) + (1 - targets) * torch.log((1 - p).clamp(min=1e-6))).mean()


def log_space(logits, targets):
    return -(targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits)).mean()


def anchors_mean(cls_logits, cls_targets, gamma=2.0):
    num_pos = cls_targets.sum().clamp(min=1)
    p = torch.sigmoid(cls_logits)
    ce = F.binary_cross_entropy_with_logits(cls_logits, cls_targets, reduction="none")
    p_t = p * cls_targets + (1 - p) * (1 - cls_targets)
    pos_term = (ce * cls_targets).sum() / num_pos
    return ((1 - p_t) ** gamma * ce).mean() + 0.1 * pos_term


def anchors_normalised(cls_logits, cls_targets, gamma=2.0):
    num_pos = cls_targets.sum().clamp(min=1)
    p = torch.sigmoid(cls_logits)
    ce = F.binary_cross_entropy_with_logits(cls_logits, cls_targets, reduction="none")
    p_t = p * cls_targets + (1 - p) * (1 - cls_targets)
    pos_term = (ce * cls_targets).sum() / num_pos
    return ((1 - p_t) ** gamma * ce).sum() / num_pos + 0.1 * pos_term


def multilabel_mean(logits, targets, gamma=2.0):
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    return ((1 - p_t) ** gamma * ce).mean()
