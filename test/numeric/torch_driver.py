"""Differential-test driver: runs fixture losses in real PyTorch on the inputs LossLint's numeric
checker used, and reports each loss and the NaN/inf pattern of its gradient w.r.t. the logits.

This is the ONLY place user-style Python is executed: the repository's own fixtures
(test/numeric/fixtures/*.py), by the test suite, and on a developer's explicit request
(LOSSLINT_TORCH_EXTRA, a local run) the files of the directories named there. The checker itself
never runs Python.

Usage: python3 torch_driver.py cases.json > results.json
cases.json: {"inputs": {key: {shape, logits, targetKind, targets, activation}}, "cases": [...]}, the
logits and targets as base64 of little-endian float32 (int32 for class indices) bytes.
"""
import base64
import contextlib
import io
import importlib.util
import inspect
import json
import math
import sys
import types

import torch
import torch.nn.functional as F


def load(path, cache={}):
    if path not in cache:
        spec = importlib.util.spec_from_file_location("fixture_%d" % len(cache), path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        cache[path] = mod
    return cache[path]


def num(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def pattern(g):
    flat = g.detach().flatten()
    return {
        "nan": torch.isnan(flat).nonzero().flatten().tolist(),
        "inf": torch.isinf(flat).nonzero().flatten().tolist(),
    }


INPUTS = {}


def from_b64(s, dtype):
    return torch.frombuffer(bytearray(base64.b64decode(s)), dtype=dtype).clone()


def inputs(case):
    inp = INPUTS[case["inputs"]]
    n, c = inp["shape"]
    logits = from_b64(inp["logits"], torch.float32).reshape(n, c).requires_grad_(True)
    if inp["targetKind"] == "index":
        t = from_b64(inp["targets"], torch.int32).to(torch.int64)
    else:
        t = from_b64(inp["targets"], torch.float32).reshape(n, c)
    return logits, t


# The checker's layouts of the [N, C] probe (numeric/types.ts layoutShape): logits, class indices.
LAYOUTS = {"1nc": lambda n, c: ((1, n, c), (1, n)), "nchw": lambda n, c: ((n, c, 1, 1), (n, 1, 1)), "nhwc": lambda n, c: ((n, 1, 1, c), (n, 1, 1)), "ncl": lambda n, c: ((n, c, 1), (n, 1)), "nlc": lambda n, c: ((n, 1, c), (n, 1)), "nc1hw": lambda n, c: ((n, c, 1, 1), (n, 1, 1, 1)), "nhwc1": lambda n, c: ((n, 1, 1, c), (n, 1, 1, 1)), "nc1": lambda n, c: ((n, c), (n, 1))}


def named(f, hyper):
    params = inspect.signature(f).parameters
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {k: v for k, v in hyper.items() if k in params and params[k].kind in kinds}


class StandIn:
    """The model a function runs, stood in by the probe's prediction: its run returns it."""

    def __init__(self, out):
        self.out = out

    def __call__(self, *args, **kwargs):
        return self.out


# What only the stood-in model's run reads.
MODEL_INPUT = object()


def run_case(case):
    logits, t = inputs(case)
    x = logits
    inp = INPUTS[case["inputs"]]
    act = inp.get("activation")
    if act == "softmax":
        x = torch.softmax(logits, 1)
    elif act == "sigmoid":
        x = torch.sigmoid(logits)
    n, c = inp["shape"]
    if case.get("stateColumn") and t.dim() == 2:
        # One more trailing target column (roles.ts `stateColumn`): 1 where the sample has a positive class, else 0.
        t = torch.cat([t, (t > 0).any(dim=1, keepdim=True).to(t.dtype)], 1)
    if inp.get("layout"):
        xs, ts = LAYOUTS[inp["layout"]](n, c)
        x = x.reshape(xs)
        t = t.reshape(LAYOUTS[inp["layout"]](n, t.shape[1])[0] if t.dim() == 2 else ts)
    if case.get("targetOffset") and inp["targetKind"] == "index":
        t = t + case["targetOffset"]
    if case.get("targetFields"):
        # The targets, then all-ones fields, on a new last axis (roles.ts `targetFields`).
        t = torch.stack([t.float()] + [torch.ones_like(t, dtype=torch.float32)] * (case["targetFields"] - 1), -1)
    mod = load(case["file"])
    fill = {}
    for k, v in (case.get("fill") or {}).items():
        if isinstance(v, list) and len(v) == 3 and v[0] == "__op__":
            # A loss module a call site builds (made anew per case: the function may set its attributes).
            mod_name, _, cls_name = v[1].rpartition(".")
            fill[k] = getattr(importlib.import_module(mod_name), cls_name)(**v[2])
            continue
        if isinstance(v, list) and len(v) == 2 and v[0] == "__attrs__":
            # An object of settings read at attributes (`args.w`).
            fill[k] = types.SimpleNamespace(**v[1])
            continue
        if isinstance(v, list) and len(v) == 2 and v[0] == "__keys__":
            # A mapping of settings read at constant keys (`cfg["mode"]`), a per-class weight one of 1 per class.
            fill[k] = {a: torch.ones(c) if w == "__class_ones__" else w for a, w in v[1].items()}
            continue
        if isinstance(v, list) and len(v) in (2, 3) and v[0] in ("__tensor__", "__itensor__", "__dicts__"):
            # Boxes of a detection loss (roles.ts `CheckPlan.boxes`), drawn by the test with gen.ts generateBoxes:
            # a tensor (class indices int64), or a list of per-image dicts of them.
            def box_value(e):
                if e[0] == "__dicts__":
                    return [{key: box_value(w) for key, w in entries} for entries in e[1]]
                out = from_b64(e[1], torch.float32).reshape(e[2])
                return out.long() if e[0] == "__itensor__" else out
            fill[k] = box_value(v)
            continue
        if v == "__eye_classes__":
            fill[k] = torch.eye(c)
            continue
        if v == "__model_input__":
            # What only the stood-in model's run reads (roles.ts fill `modelInput`).
            fill[k] = MODEL_INPUT
            continue
        fill[k] = [1] * c if v == "__class_counts__" else c if v == "__classes__" else torch.ones_like(x) if v == "__ones__" else torch.ones(c) if v == "__class_ones__" else {i: 1.0 for i in range(c)} if v == "__class_map__" else torch.device("cpu") if v == "__device__" else x.detach().clone() if v == "__like_input__" else t if v == "__like_target__" else v
    hyper = dict(fill, **(case.get("hyper") or {}))
    hyper = {k: [v] if k in (case.get("boxed") or []) and isinstance(v, (int, float, torch.Tensor)) else v for k, v in hyper.items()}
    # A model the function runs is stood in by the prediction (roles.ts `model`): a callable returning it.
    # A detection loss given boxes has no target parameter.
    xin = StandIn(x) if case.get("model") else x
    args = {case["input"]: xin, case["target"]: t} if case.get("target") else {case["input"]: xin}
    # Parameters the function reads as mappings: the dicts the checker passed (roles.ts `mapped`).
    for p, keys in (case.get("mapped") or {}).items():
        if p in args:
            args[p] = {k: args[p] if w == "tensor" else MODEL_INPUT if w == "model_input" else torch.ones_like(x) for k, w in keys.items()}
    entry = case.get("entry") or {}
    parts = case["qualname"].split(".")
    if entry.get("kind") == "closure":
        factory = getattr(mod, entry["owner"])
        fn = factory(**named(factory, hyper))
        out = fn(**args, **named(fn, hyper))
    elif entry.get("kind") == "apply":
        # A custom autograd Function's forward, called as torch calls it: Class.apply(*args).
        cls = getattr(mod, entry["owner"])
        sig = inspect.Signature(list(inspect.signature(cls.forward).parameters.values())[1:])
        bound = sig.bind(**args, **{k: v for k, v in hyper.items() if k in sig.parameters and k not in args})
        bound.apply_defaults()
        out = cls.apply(*bound.args)
    elif len(parts) == 2:
        cls = getattr(mod, parts[0])
        obj = cls(**named(cls.__init__, hyper))
        method = getattr(obj, parts[1])
        out = method(**args, **{k: v for k, v in named(method, hyper).items() if k not in inspect.signature(cls.__init__).parameters})
    else:
        fn = getattr(mod, parts[0])
        out = fn(**args, **named(fn, hyper))
    if isinstance(out, (tuple, list)):
        out = out[0]
    total = out.sum()
    total.backward()
    loss = out.item() if out.numel() == 1 else total.item()
    return {"loss": num(loss), "lossElements": out.numel(), "grad": pattern(logits.grad)}


def run_ref(case):
    from torchvision.ops import sigmoid_focal_loss

    logits, t = inputs(case)
    out = sigmoid_focal_loss(logits, t, alpha=case["alpha"], gamma=case["gamma"], reduction=case["reduction"])
    total = out.sum()
    total.backward()
    loss = out.item() if out.numel() == 1 else total.item()
    return {"loss": num(loss), "lossElements": out.numel(), "grad": pattern(logits.grad)}


def main():
    with open(sys.argv[1]) as f:
        data = json.load(f)
    INPUTS.update(data["inputs"])
    cases = data["cases"]
    results = []
    for case in cases:
        try:
            # What a file prints (at import, in the loss) must not reach the JSON on stdout.
            with contextlib.redirect_stdout(io.StringIO()):
                r = run_ref(case) if case.get("kind") == "torchvision" else run_case(case)
        except Exception as e:  # reported, compared as a failure by the test
            r = {"error": "%s: %s" % (type(e).__name__, e)}
        r["id"] = case["id"]
        results.append(r)
    json.dump({"torch": torch.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
