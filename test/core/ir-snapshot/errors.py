import torch
import torch.nn.functional as F

def broken(logits, targets, gamma=0.5:
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return ((1 - pt) ** gamma * ce).mean()

def ok(logits):
    return F.softmax(logits, dim=1)

def half(a, b):
    x = (a +
    y = [1, 2
    return x +

class C(:
    def m(self):
        return self.x[

def after(x):
    return x ** 2 if x else -x  # noqa
def	tabbed(x):	return	x
x = = 3
@
def dec(): pass
print(f"{")
lambda: (yield)
