"""Differential-test driver for numpy losses: runs the repository's own fixture losses
(test/numeric/fixtures/*.py) in real numpy, float64 as numpy computes by default, on the inputs
LossLint's numeric checker used, and summarises each returned value: its elements that are NaN,
infinite, negative and <= 0, and their sum. Only the test suite runs it, on the fixtures.

A function whose target is a gradient-boosting dataset gets a small object with LightGBM's and
XGBoost's label API (get_label() and .label, float32 labels as both libraries keep them).
When scipy is not installed, `scipy.misc.derivative` is this file's own central-difference formula
(the weights scipy documents for n = 1, 2 and order 3, 5), so the fixture still imports.

Usage: python3 numpy_driver.py cases.json > results.json
cases.json: {"file": path, "cases": [{id, qualname, input, target, dataset, hyper, shape,
targetKind, logits, targets}]}, logits and targets as base64 of little-endian float32 (int32 for
class indices) bytes; optional per case: activation ("softmax" / "sigmoid" over the classes),
transpose / targetTranspose (cases in columns), perExample (one call per example, outputs stacked).
"""
import base64
import importlib.util
import json
import math
import sys
import types

import numpy as np


def stub_scipy():
    try:
        import scipy.misc  # noqa: F401
        return "scipy"
    except ImportError:
        pass
    weights = {
        (1, 3): [-0.5, 0.0, 0.5],
        (1, 5): [1 / 12, -8 / 12, 0.0, 8 / 12, -1 / 12],
        (2, 3): [1.0, -2.0, 1.0],
        (2, 5): [-1 / 12, 16 / 12, -30 / 12, 16 / 12, -1 / 12],
    }

    def derivative(func, x0, dx=1.0, n=1, args=(), order=3):
        w = weights[(n, order)]
        half = order // 2
        total = 0.0
        for k in range(order):
            total = total + w[k] * func(x0 + (k - half) * dx, *args)
        return total / dx ** n

    scipy = types.ModuleType("scipy")
    misc = types.ModuleType("scipy.misc")
    misc.derivative = derivative
    scipy.misc = misc
    sys.modules["scipy"] = scipy
    sys.modules["scipy.misc"] = misc
    return "stub"


class Dataset:
    def __init__(self, label):
        self.label = label

    def get_label(self):
        return self.label


def summary(v):
    a = np.asarray(v, dtype=np.float64).ravel()
    return {
        "elements": int(a.size),
        "nan": int(np.isnan(a).sum()),
        "inf": int(np.isinf(a).sum()),
        "negative": int((a < 0).sum()),
        "nonPositive": int((a <= 0).sum()),
        "sum": num(float(a.sum())),
    }


def num(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def main():
    spec = json.load(open(sys.argv[1]))
    scipy = stub_scipy()
    loader = importlib.util.spec_from_file_location("numpy_fixture", spec["file"])
    mod = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(mod)
    results = []
    with np.errstate(all="ignore"):
        for case in spec["cases"]:
            n, c = case["shape"]
            logits = np.frombuffer(base64.b64decode(case["logits"]), dtype="<f4").astype(np.float64).reshape(n, c)
            if case["targetKind"] == "index":
                targets = np.frombuffer(base64.b64decode(case["targets"]), dtype="<i4").astype(np.int64)
            else:
                targets = np.frombuffer(base64.b64decode(case["targets"]), dtype="<f4").astype(np.float64).reshape(n, c)
            if case.get("dataset"):
                targets = Dataset(targets.astype(np.float32))
            # The probe's activation over the classes, then its layout: cases in columns transposes
            # the logits (and the dense targets where "targetTranspose"), as the checker lays them out.
            if case.get("activation") == "softmax":
                e = np.exp(logits - logits.max(axis=1, keepdims=True))
                logits = e / e.sum(axis=1, keepdims=True)
            elif case.get("activation") == "sigmoid":
                logits = 1 / (1 + np.exp(-logits))
            if case.get("transpose"):
                logits = logits.T
            if case.get("targetTranspose") and targets.ndim == 2:
                targets = targets.T
            fn = getattr(mod, case["qualname"])
            hyper = case.get("hyper", {})
            if case.get("perExample"):
                # Called once per example, each output stacked (the checker's per-example run).
                outs = [fn(**{case["input"]: logits[i], case["target"]: targets[i]}, **hyper) for i in range(n)]
                out = np.stack([np.asarray(o, dtype=np.float64) for o in outs])
            else:
                out = fn(**{case["input"]: logits, case["target"]: targets}, **hyper)
            items = list(out) if isinstance(out, tuple) else [out]
            results.append({"id": case["id"], "items": [summary(x) if not isinstance(x, (str, bool)) else None for x in items]})
    json.dump({"numpy": np.__version__, "scipy": scipy, "results": results}, sys.stdout)


main()
