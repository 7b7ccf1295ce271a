"""The documented signatures of PyTorch callables, for test/ops/torch-signatures.test.ts.

Reads a JSON list of names on stdin (`torch.nn.functional.softmax`, `Tensor.sum`,
`torch.nn.CrossEntropyLoss`) and prints, for each, the list of its overloads, each a list of
parameters {name, kind, default?} (kind: positional, keyword, varargs), or null when the name does
not exist in this torch. Python-level functions give inspect.signature; builtins give the signature
lines of their docstrings (every overload documented); a module class gives its constructor and,
under "call", its forward. Nothing here runs user code: it only imports torch.
"""
import ast
import inspect
import json
import re
import sys

import torch

SIG_LINE = re.compile(r"^\s*(?:\.\. function:: )?([A-Za-z_][A-Za-z0-9_.]*)\((.*)\)\s*(->.*)?$")
OVERRIDES = torch.overrides.get_testing_overrides()


def literal(text):
    try:
        return {"default": ast.literal_eval(text)}
    except Exception:
        return {"raw": text}


def split_top(s):
    out, depth, cur, quote = [], 0, "", ""
    for ch in s:
        if quote:
            cur += ch
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def from_text(params_text):
    params, kw = [], False
    for part in split_top(params_text.replace("\\*", "*")):
        if part == "*":
            kw = True
            continue
        if part == "/":
            continue
        if part.startswith("**"):
            continue
        if part.startswith("*"):
            params.append({"name": part[1:].split(":")[0].strip(), "kind": "varargs"})
            kw = True
            continue
        name, _, default = part.partition("=")
        name = name.split(":")[0].strip()
        p = {"name": name, "kind": "keyword" if kw else "positional"}
        if default:
            p.update(literal(default.strip()))
        params.append(p)
    return params


def from_signature(sig, drop_self):
    params = []
    for i, p in enumerate(sig.parameters.values()):
        if drop_self and i == 0:
            continue
        if p.kind == p.VAR_KEYWORD:
            continue
        kind = "varargs" if p.kind == p.VAR_POSITIONAL else "keyword" if p.kind == p.KEYWORD_ONLY else "positional"
        q = {"name": p.name, "kind": kind}
        if p.default is not p.empty:
            q.update(literal(repr(p.default)) if not isinstance(p.default, (int, float, str, bool, type(None))) else {"default": p.default})
        params.append(q)
    return params


def overloads(obj, short, drop_self):
    """Every signature torch states: inspect.signature, else its docstring's overloads and the
    signature of its entry in torch.overrides.get_testing_overrides() (the binding's names)."""
    try:
        return [from_signature(inspect.signature(obj), drop_self)]
    except (TypeError, ValueError):
        pass
    out = []
    for line in (getattr(obj, "__doc__", None) or "").splitlines():
        m = SIG_LINE.match(line)
        if m and m.group(1).split(".")[-1] in (short, short.rstrip("_")):
            out.append(from_text(m.group(2)))
    override = OVERRIDES.get(obj)
    if override is not None:
        try:
            out.append(from_signature(inspect.signature(override), drop_self and name_is_method(obj)))
        except (TypeError, ValueError):
            pass
    return out or None


def name_is_method(obj):
    return getattr(obj, "__objclass__", None) is not None


def resolve(name):
    parts = name.split(".")
    if parts[0] == "Tensor":
        obj, parts = torch.Tensor, parts[1:]
    else:
        obj, parts = torch, parts[1:]
    for p in parts:
        if not hasattr(obj, p):
            return None
        obj = getattr(obj, p)
    return obj


def describe(name):
    obj = resolve(name)
    if obj is None:
        return None
    short = name.split(".")[-1]
    if inspect.isclass(obj):
        return {"ctor": overloads(obj.__init__, "__init__", True), "call": overloads(obj.forward, "forward", True) if hasattr(obj, "forward") else None}
    return {"fn": overloads(obj, short, name.startswith("Tensor."))}


names = json.load(sys.stdin)
print(json.dumps({"version": torch.__version__, "signatures": {n: describe(n) for n in names}}))
