"""Kernel-level reference for test/numeric/kernels.test.ts: applies one torch op to float32 data and
returns the float32 result. Data only: no user code is imported or run here.

Usage: python3 kernel_driver.py cases.json > results.json
cases.json: [{"id", "op", "shape", "data" (base64 little-endian float32), "dim", "exponent"}]; results:
{id: base64}. "pow" returns x ** exponent and the gradient of its sum, concatenated.
One thread, so that ATen's reductions do not depend on the machine's core count.
"""
import base64
import json
import sys

import torch

OPS = {
    "sum": lambda x, d: x.sum() if d is None else x.sum(dim=d),
    "mean": lambda x, d: x.mean() if d is None else x.mean(dim=d),
    "log1p": lambda x, d: torch.log1p(x),
    "expm1": lambda x, d: torch.expm1(x),
    "softmax": lambda x, d: torch.softmax(x, d),
    "log_softmax": lambda x, d: torch.log_softmax(x, d),
}


def pow_and_grad(x, e):
    """x ** e and d(sum(x ** e))/dx, concatenated."""
    x = x.clone().requires_grad_(True)
    y = x.pow(e)
    y.sum().backward()
    return torch.cat([y.detach(), x.grad])


def main():
    torch.set_num_threads(1)
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    out = {}
    for c in cases:
        x = torch.frombuffer(bytearray(base64.b64decode(c["data"])), dtype=torch.float32).clone().reshape(c["shape"])
        if c["op"] == "pow":
            y = pow_and_grad(x, c["exponent"])
        else:
            y = OPS[c["op"]](x, c.get("dim")).contiguous().to(torch.float32)
        out[c["id"]] = base64.b64encode(y.numpy().tobytes()).decode()
    json.dump({"torch": torch.__version__, "results": out}, sys.stdout)


if __name__ == "__main__":
    main()
