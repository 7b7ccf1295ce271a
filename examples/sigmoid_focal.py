"""A binary (sigmoid) focal loss for dense detection, and its inference code."""
import torch
import torch.nn.functional as F


def sigmoid_focal_loss(logits, targets, alpha=0.25, gamma=2.0):
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = alpha * (1 - p_t) ** gamma * ce
    return loss.sum() / max(1.0, targets.sum().item())


def predict(model, images):
    logits = model(images)
    return torch.softmax(logits, dim=-1)
