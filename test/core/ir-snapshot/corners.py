# Constructs the IR builder handles, for the IR snapshot test (test/core/ir-snapshot.test.ts).
from __future__ import annotations
import torch, torch.nn as nn
import torch.nn.functional as F, numpy as np
from torch.nn import functional as G, CrossEntropyLoss
from torch . nn . functional import (  # noqa: E501
    sigmoid as sg,
    log_softmax,
)
from . import sibling
from .pkg import thing as other
import tensorflow.keras.losses  # noqa
import os.path as osp  # NOQA:LL101, ll103

x = 1_000
y = 0x1F + 0o17 - 0b101 * 1e-3 / 2.5E+2 // 3 % 4 ** 5 @ m
z = 3j + 10l if False else None
s = "plain" 'single' f"f{x}" b"bytes" r"raw\n" """tri
ple"""
t = "abc"
u = f"{x!r:>10}"
w = ...
a = b = c = F.softmax(x, dim=-1)
a, (b, c) = [1, 2], (3, 4)
[p, *q] = r
self.attr = 1
obj[1:2, ::3, :, 4] = 5
obj[i] += 1
k: int = 3
k2: int
x -= 1; x *= 2; x /= 3; x //= 4; x **= 0.5; x @= m; x |= 1; x >>= 2
cmp = 1 < x <= 2 != 3 is not None in y not in z
bl = not a and b or c
un = -x + +y - ~z
cond = (a if b else c)
par = (  # comment
    x  # more
)
tup = 1, 2, 3
lst = [1, 2, [3, 4]]
empty = ()
dct = {"a": 1, **other}
st = {1, 2}
lam = lambda q, *r, **s: q
gen = sum(v for v in range(3))
comp = [v * 2 for v in range(3) if v]
walrus = (n := 10)
aw = await thing
star = f(*args, **kwargs)
kw = f(1, key=2, *rest)
viewed = x.view(*shape)
mixed = f(a, *rest, b)
chain = torch.nn.functional.cross_entropy(logits, target, reduction="none").mean().item()
meth = x.sigmoid().pow(2).clamp(min=1e-6, max=1 - 1e-6)
sub = x[..., 0][:, None]
call_sites(1, 2, gamma=0.5)
foo(a)(b)
torch.manual_seed(0)
print("hi")


def plain(a, b=2, *args, c: int = 3, d: float, **kw) -> float:
    """Doc."""
    pass
    return a + b


def posonly(a, /, b, *, c=F.relu(x)):
    return


def typed_splat(*args: int, **kwargs: str):
    global g
    nonlocal h
    del a
    assert a, "msg"
    raise ValueError("x") from e
    yield a
    yield from b
    return (a)


@decorator
@other.decorator(1)
def decorated(x):
    if x > 0:
        y = 1
    elif x < 0:
        y = -1
    elif x == 0:
        y = 0
    else:
        y = None
    if a:
        pass
    for i in range(3):
        y += i
    else:
        z = 1
    while True:
        break
        continue
    with open(f) as fh, ctx() as (a, b):
        data = fh.read()
    try:
        q = 1 / 0
    except (ZeroDivisionError, ValueError) as err:
        q = 0
    except* TypeError:
        q = 2
    else:
        q = 3
    finally:
        q = 4
    match y:
        case 1:
            m = 1
        case _:
            m = 2
    async for a in b:
        pass
    async with c as d:
        pass

    def inner(t, gamma=2.0):
        def innermost():
            return t * gamma
        return innermost

    class Local:
        def m(self):
            return 1

    return inner


async def coro(a):
    return await a


class Base:
    pass


class FocalLoss(nn.Module, Base, metaclass=Meta):
    alpha = 0.25

    def __init__(self, gamma=2.0, alpha=None):
        super().__init__()
        self.gamma = gamma
        self.alpha = alpha

    @property
    def g(self):
        return self.gamma

    def forward(self, logits, targets):
        ce = F.cross_entropy(logits, targets, reduction="none")
        pt = torch.exp(-ce)
        return ((1 - pt) ** self.gamma * ce).mean()  # noqa: LL103

    class Nested(Base):
        def deep(self, q=[1, 2]):
            return q

    @staticmethod
    def st(x): return x


class Empty: ...


class WithParen():
    x: int = 1


def long_chain(v):
    return v + v + v + v + v + v + v + v + v + v + v + v + v + v + v + v + v + v + v + v + v + v


def strings():
    a = "x" "y"
    b = 'esc\'aped\n'
    c = """
    multi
    """
    d = u"unicode ünï ☃ 𝔘"
    return a, b, c, d


if __name__ == "__main__":
    main()
elif other:
    pass
else:
    x = 2
for i in []:
    j = i
while 0:
    pass
with a:
    b = 1
try:
    import missing_module
except ImportError:
    missing_module = None
