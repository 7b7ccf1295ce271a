/**
 * `losslint probe FILE::NAME --repro`: a self-contained PyTorch script that rebuilds the probe inputs
 * (the same mulberry32 + Box-Muller generator as gen.ts, in pure Python), imports the user's file,
 * makes exactly the calls the checker made (one row per probe: its inputs and the hyperparameters of
 * each call, `ProbeResult.calls` or `hyper`), and prints per probe the loss and the count of
 * non-finite gradient entries. A hyperparameter goes to every callable of the call that names it
 * (the constructor and the method of a class), as the interpreter binds it (eval.ts callFunction).
 * A probe that raises is reported and the script goes on; it exits 1 if any did. LossLint never
 * runs it; the user does, with their own torch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packagedName } from '../core/modules';
import { PY_DRAWS } from './draws';
import { BACKGROUND_LOGIT, BOX_IMAGE, BOX_PADDING, BOX_SEED_OFFSET, BOX_TRUTH } from './gen';
import type { HyperValue, NumericReport, ProbeResult } from './types';

export const PY_GENERATOR = `
def _mulberry32(seed):
    a = seed & 0xFFFFFFFF

    def nxt():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296.0

    return nxt


def _imul(a, b):
    return (a * b) & 0xFFFFFFFF


def _f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def probe_inputs(seed, n, c, std, target, margin=None, ignore=None, background=0):
    """Same draws, in the same order, as LossLint's numeric/gen.ts."""
    rnd = _mulberry32(seed)
    logits = []
    for _ in range(n * c):
        u1 = rnd()
        u2 = rnd()
        logits.append(_f32(std * math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)))
    index = [min(c - 1, int(math.floor(rnd() * c))) for _ in range(n)]
    onehot = [0.0] * (n * c)
    for i in range(n):
        onehot[i * c + index[i]] = 1.0
    if target == "binary":
        for i in range(n):
            if rnd() < 0.5:
                onehot[i * c + index[i]] = 0.0
    if margin is not None:
        if target == "binary":
            for i in range(n * c):
                logits[i] = _f32((1.0 if onehot[i] else -1.0) * (margin + abs(logits[i])))
        else:
            for i in range(n):
                mx = max(logits[i * c + j] for j in range(c) if j != index[i])
                logits[i * c + index[i]] = _f32(mx + margin)
    if ignore is not None:
        value, every, drop = ignore
        hit = [i % every == every - 1 for i in range(n)]
        if drop:
            keep = [i for i in range(n) if not hit[i]]
            logits = [logits[i * c + j] for i in keep for j in range(c)]
            onehot = [onehot[i * c + j] for i in keep for j in range(c)]
            index = [index[i] for i in keep]
            n = len(keep)
        else:
            index = [value if hit[i] else index[i] for i in range(n)]
    if background:
        logits += [float(${BACKGROUND_LOGIT})] * (background * c)
        onehot += [0.0] * (background * c)
        index += [0] * background
        n += background
    x = torch.tensor(logits, dtype=torch.float32).reshape(n, c)
    if target == "index":
        t = torch.tensor(index, dtype=torch.int64)
    else:
        t = torch.tensor(onehot, dtype=torch.float32).reshape(n, c)
    return x, t


def probe_boxes(seed, rows, c, specs):
    """Boxes of a detection loss: same draws, in the same order, as LossLint's numeric/gen.ts generateBoxes."""
    rnd = _mulberry32((seed + ${BOX_SEED_OFFSET}) & 0xFFFFFFFF)
    W = float(${BOX_IMAGE})
    truth = []
    for _ in range(${BOX_TRUTH}):
        w = 32 + 96 * rnd()
        h = 32 + 96 * rnd()
        x1 = (W - w) * rnd()
        y1 = (W - h) * rnd()
        truth.append([x1, y1, x1 + w, y1 + h])
    clip = lambda v: min(max(v, 0.0), W)

    def labels():
        return ([float(min(c - 1, int(math.floor(rnd() * c)))) for _ in range(${BOX_TRUTH})], ${BOX_TRUTH}, "labels")

    def truth_rows(k, padding):
        n = ${BOX_TRUTH} + (${BOX_PADDING} if padding else 0)
        data = [-1.0] * (n * k)
        for b in range(${BOX_TRUTH}):
            for j in range(4):
                data[b * k + j] = truth[b][j]
            if k > 4:
                data[b * k + 4] = float(min(c - 1, int(math.floor(rnd() * c))))
            for j in range(5, k):
                data[b * k + j] = 1.0
        return (data, n, k)

    out = {}
    for name, spec in specs:
        if "labels" in spec:
            out[name] = labels()
            continue
        if "images" in spec:
            # One image: one dict, its keys drawn in order.
            out[name] = [{key: labels() if "labels" in v else truth_rows(v["columns"], v["padding"]) for key, v in spec["keys"].items()}]
            continue
        if "offsets" in spec:
            data = []
            for _ in range(rows * 4):
                u1 = rnd()
                u2 = rnd()
                data.append(math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2))
            out[name] = (data, rows, 4)
            continue
        k = spec["columns"]
        if spec["boxes"] == "truth":
            out[name] = truth_rows(k, spec["padding"])
            continue
        data = [1.0] * (rows * k)
        for i in range(rows):
            u1 = rnd()
            u2 = rnd()
            u3 = rnd()
            u4 = rnd()
            if i % 4 < 2:
                s = 0.1 if i % 4 == 0 else 0.5
                x1, y1, x2, y2 = truth[(i >> 2) % ${BOX_TRUTH}]
                w = x2 - x1
                h = y2 - y1
                cx = (x1 + x2) / 2 + (u1 - 0.5) * s * w
                cy = (y1 + y2) / 2 + (u2 - 0.5) * s * h
                nw = w * (1 + (u3 - 0.5) * s)
                nh = h * (1 + (u4 - 0.5) * s)
                box = [clip(cx - nw / 2), clip(cy - nh / 2), clip(cx + nw / 2), clip(cy + nh / 2)]
            else:
                w = 16 + 112 * u1
                h = 16 + 112 * u2
                x1 = (W - w) * u3
                y1 = (W - h) * u4
                box = [x1, y1, x1 + w, y1 + h]
            for j in range(4):
                data[i * k + j] = box[j]
        out[name] = (data, rows, k)
    return out


def box_shape(spec, rows, cols, layout, n, c):
    """The shape a box parameter is passed in (gen.ts boxShape)."""
    if "labels" in spec:
        return (1,) * max(0, spec.get("rank", 1) - 1) + (rows,)
    if "offsets" in spec:
        return LAYOUTS[layout](n, 4)[0] if layout is not None else (n, 4)
    r = spec.get("rank") or (len(LAYOUTS[layout](n, c)[0]) if layout is not None else 2)
    return (1,) * max(0, r - 2) + (rows, cols)
`;

/**
 * A hyperparameter as a Python literal, as the interpreter held it: a number on its own is a float
 * (the probes pass `2.0`, not `2`), numbers in a list keep their kind ([1, 1] is a list of ints).
 */
function py(v: HyperValue | number | undefined, inList = false): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => py(x, true)).join(', ')}]`;
  if (Number.isNaN(v)) return 'float("nan")';
  if (!Number.isFinite(v)) return v > 0 ? 'float("inf")' : '-float("inf")';
  const s = String(v);
  return inList || /[.e]/.test(s) ? s : `${s}.0`;
}

function pyDict(h: Record<string, HyperValue>): string {
  return `{${Object.entries(h)
    .map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`)
    .join(', ')}}`;
}

/** The hyperparameters of each call the probe made, in order. */
export function probeCalls(p: Pick<ProbeResult, 'hyper' | 'calls'>): Record<string, HyperValue>[] {
  return p.calls ?? [p.hyper];
}

/**
 * Values the checker assumed for modules it could not read (report.supplied under a dotted name,
 * absent-values.ts): stand-in modules holding them, registered before the user's file is loaded, so
 * that its imports (`import config as cfg`, `from config.configs import config`) find them.
 */
function assumedModules(r: NumericReport): string {
  const assumed = Object.entries(r.supplied ?? {}).filter(([k]) => k.includes('.'));
  if (!assumed.length) return '';
  return `# Values LossLint assumed for modules it could not read (absent here): stand-in modules holding them.
def _assume(path, value):
    parts = path.split(".")
    obj = sys.modules.setdefault(parts[0], types.ModuleType(parts[0]))
    for i in range(1, len(parts) - 1):
        name = ".".join(parts[: i + 1])
        nxt = getattr(obj, parts[i], None)
        if nxt is None:
            nxt = sys.modules.setdefault(name, types.ModuleType(name))
            setattr(obj, parts[i], nxt)
        obj = nxt
    setattr(obj, parts[-1], value)


${assumed.map(([k, { value }]) => `_assume(${JSON.stringify(k)}, ${typeof value === 'string' ? JSON.stringify(value) : py(value as HyperValue)})`).join('\n')}
`;
}

/** The values given to required parameters (report.supplied) as Python, resolved in `run` (c, the input's shape). */
function suppliedDict(r: NumericReport): string {
  // A dotted name is a module's value (assumedModules), no parameter.
  const entries = Object.entries(r.supplied ?? {}).filter(([k]) => !k.includes('.')).map(([k, { value }]) => {
    // Supplied numbers keep their kind (an integer literal at a call site is an int).
    // A framework module (`module keras.backend`) is imported by the script when the probe runs.
    // A loss module a call site builds: made anew for each call (the function may set its attributes).
    const op = typeof value === 'string' ? /^op (\S+) (.*)$/.exec(value) : null;
    if (op) {
      // Keywords as written: an integer stays an int (`ignore_index=255`).
      const kw = Object.entries(JSON.parse(op[2]) as Record<string, HyperValue>).map(([n, x]) => `${n}=${typeof x === 'number' && Number.isInteger(x) ? String(x) : py(x)}`);
      return `${JSON.stringify(k)}: ("__op__", lambda: ${op[1]}(${kw.join(', ')}))`;
    }
    // Boxes of a detection loss: drawn per probe by probe_boxes from their layout.
    if (typeof value === 'string' && value.startsWith('boxes ')) return `${JSON.stringify(k)}: ("__boxes__", ${JSON.stringify(value.slice(6))})`;
    const v = typeof value === 'string' && value.startsWith('module ') ? JSON.stringify(`__module__ ${value.slice(7)}`) : typeof value === 'string' && value.startsWith('attrs ') ? `types.SimpleNamespace(**${value.slice(6)})` : typeof value === 'string' && value.startsWith('keys ') ? `("__keys__", ${value.slice(5)})` : value === 'classes' ? '"__classes__"' : value === 'ones' ? '"__ones__"' : value === 'row_ones' ? '"__row_ones__"' : value === 'class_ones' ? '"__class_ones__"' : value === 'class_map' ? '"__class_map__"' : value === 'class_counts' ? '"__class_counts__"' : value === 'device' ? '"__device__"' : value === 'eye_classes' ? '"__eye_classes__"' : value === 'like_input' ? '"__like_input__"' : value === 'like_target' ? '"__like_target__"' : value === 'model_input' ? '"__model_input__"' : value === 'prng_key' ? '"__prng_key__"' : typeof value === 'number' && Number.isInteger(value) ? String(value) : py(value as HyperValue);
    return `${JSON.stringify(k)}: ${v}`;
  });
  return `{${entries.join(', ')}}`;
}

/**
 * How the script loads the user's file: from its path, or, when the check ran functions of other
 * project files (report.imported), as the module of its package with the package's folder on
 * Python's path, so that its imports (relative ones included) find those files as the checker did.
 */
function loadTarget(file: string, r: NumericReport): string {
  if (!r.imported || !Object.keys(r.imported).length) {
    return `spec = importlib.util.spec_from_file_location("losslint_repro_target", FILE)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)`;
  }
  const { name, root } = packagedName(file, (dir) => fs.existsSync(path.join(dir, '__init__.py')));
  return `# The file imports functions of other files of its project: it is imported as its package's module.
sys.path.insert(0, ${JSON.stringify(root)})
mod = importlib.import_module(${JSON.stringify(name)})`;
}

export function reproScript(file: string, r: NumericReport): string {
  const roles = r.roles!;
  const entry = r.entry ?? (r.function.includes('.') ? { kind: 'method' as const, owner: r.function.split('.')[0] } : { kind: 'function' as const });
  const method = r.function.split('.').pop()!;
  const cls = entry.kind === 'method' ? entry.owner : undefined;
  // A custom autograd Function's forward is called as torch calls it: `Class.apply(*args)`.
  const applied = entry.kind === 'apply' ? entry.owner : undefined;
  const probes = r.probes.map((p) => {
    const i = p.inputs;
    // The reference probe compares the gradient with the canonical formula at these values.
    const ref = p.referenceHyper ? `  # vs the canonical formula at ${pyDict(p.referenceHyper)}` : '';
    // The random draws of the call reported (draws.ts), which the replay compares draw by draw.
    const drawn = p.draws?.length ? `"draws": [${p.draws.map((d) => `(${JSON.stringify(d.op)}, [${d.shape.join(', ')}])`).join(', ')}]` : '';
    const extra = `{${[i.ignore ? `"ignore": (${i.ignore.value}, ${i.ignore.every}, ${i.ignore.drop ? 'True' : 'False'})` : '', i.background ? `"background": ${i.background}` : '', drawn].filter(Boolean).join(', ')}}`;
    return `    (${JSON.stringify(p.probe)}, ${i.seed}, ${i.shape[0]}, ${i.shape[1]}, ${i.std}, ${JSON.stringify(i.target)}, ${i.margin ?? 'None'}, ${i.activation ? JSON.stringify(i.activation) : 'None'}, ${i.layout ? JSON.stringify(i.layout) : 'None'}, [${probeCalls(p).map(pyDict).join(', ')}], ${extra}),${ref}`;
  });
  // A parameter the function reads as a mapping gets the dict the checker passed (ones at a weight's key).
  const arg = (p: string, v: string): string => {
    const keys = roles.mapped?.[p];
    return keys ? `{${Object.entries(keys).map(([k, w]) => `${JSON.stringify(k)}: ${w === 'tensor' ? v : w === 'model_input' ? '_MODEL_INPUT' : 'torch.ones_like(x_in)'}`).join(', ')}}` : v;
  };
  // A model the function runs is stood in by the prediction (roles.model): a callable returning it.
  // A detection loss given boxes, or a loss of one input, has no target parameter: only the prediction is passed beside SUPPLIED.
  const inputArg = roles.model ? '_StandIn(x_in)' : arg(roles.input, 'x_in');
  const args = (roles.boxes || roles.oneInput) && roles.target === undefined ? `{${JSON.stringify(roles.input)}: ${inputArg}}` : `{${JSON.stringify(roles.input)}: ${inputArg}, ${JSON.stringify(roles.target ?? 'target')}: ${arg(roles.target ?? 'target', 't')}}`;
  // Roles packed in one parameter (packed-args.ts): passed as the function unpacks them, positionally or as one list.
  const packedItems = roles.packed?.names.map((n) => (n === roles.input ? inputArg : n === roles.target ? arg(n, 't') : 'None')).join(', ');
  const packedArgs = roles.packed ? `${roles.packed.star ? packedItems : `[${packedItems}]`}, **named(fn, hyper)` : '';
  // Random draws inside the function: replayed from LossLint's stream (draws.ts PY_DRAWS).
  const drawOps = [...new Set(r.probes.flatMap((p) => (p.draws ?? []).map((d) => d.op)))].sort();
  const drawing = drawOps.length > 0;
  // A closure is reached through its factory (one level: `factory(**hyper).inner`), as the checker runs it.
  const factory = entry.kind === 'closure' ? entry.owner : undefined;
  const call = applied
    ? `    fn = _applied(mod.${applied})`
    : cls
    ? `    obj = mod.${cls}(**named(mod.${cls}.__init__, hyper))
    fn = obj.${method}`
    : factory && !factory.includes('.')
      ? `    fn = mod.${factory}(**named(mod.${factory}, hyper))`
      : factory
        ? `    raise NotImplementedError("a closure of ${factory}: call it as your code does")`
        : `    fn = mod.${method}`;
  return `#!/usr/bin/env python3
# Reproduces LossLint's numeric probes of ${r.function} (${file}).
# Generated by \`losslint probe ...::${r.function} --repro\`; inputs: ${r.probes[0]?.inputs.generator ?? 'see probe_inputs'}.
# Runs YOUR function with real PyTorch on the same inputs, making the calls LossLint's checker made, and
# prints per probe the loss and how many entries of d(loss.sum())/d(logits) are not finite. LossLint
# itself never executes this.
import importlib.util
import inspect
import json
import math
import struct
import sys
import types

import torch
${PY_GENERATOR}

FILE = ${JSON.stringify(file)}
${assumedModules(r)}${loadTarget(file, r)}
${drawing ? `${PY_DRAWS}

# The function draws random values: while it runs, these return LossLint's draws, in the same order.
_replay_draws(mod, ${JSON.stringify(drawOps)})
` : ''}
# (probe, seed, N, C, std, target encoding, margin, activation fed to the function, layout of the
#  inputs (None: [N, C]), the hyperparameters of each call, in order: the results printed are the
#  last call's, and the input changes of LL306/LL307: ignored targets (value, every, dropped),
#  background samples)
PROBES = [
${probes.join('\n')}
]

# Values LossLint gave required parameters without a default ("__classes__": the probe's class
# count C; "__ones__": ones shaped like the input; "__row_ones__": ones shaped like the input less its last axis (one per row); "__class_ones__": one weight of 1 per class;
# "__class_map__": a dict of one weight of 1.0 per class {0: 1.0, ...};
# "__class_counts__": a list of one sample count of 1 per class; ("__op__", make): the loss module a
# call site builds, made anew per call;
# "__device__": the CPU; "__module__ NAME": that framework module, passed by keyword;
# "__model_input__": a value only the stood-in model's run reads;
# ("__boxes__", layout): boxes of a detection loss drawn by probe_boxes (or box offsets);
# "__eye_classes__": the C x C identity; "__like_input__": a copy of the input that no gradient flows through; "__like_target__": the targets).
SUPPLIED = ${suppliedDict(r)}

# The function reads its targets' last axis as labels and one trailing column (\`t[..., :-1]\`, \`t[..., -1]\`).
STATE_COLUMN = ${roles.stateColumn ? 'True' : 'False'}

# Hyperparameters passed as a one-item list of their value: the function subscripts them (\`gamma[0]\`).
BOXED = ${JSON.stringify(roles.boxed ?? [])}

# Class indices counted from this (1: 0 left for the background; the function compares them with arange(1, C + 1)).
TARGET_OFFSET = ${roles.targetOffset ?? 0}

# The function reads its targets' last axis field by field (\`t[..., 0]\`, \`t[..., 1]\`): this many fields, the targets then ones (0: none).
TARGET_FIELDS = ${roles.targetFields ?? 0}

class _StandIn:
    """The model the function runs, stood in by the probe's prediction: its run returns it."""

    def __init__(self, out):
        self.out = out

    def __call__(self, *args, **kwargs):
        return self.out


# What only the stood-in model's run reads (its input, a flag for it).
_MODEL_INPUT = object()

LAYOUTS = {"1nc": lambda n, c: ((1, n, c), (1, n)), "nchw": lambda n, c: ((n, c, 1, 1), (n, 1, 1)), "nhwc": lambda n, c: ((n, 1, 1, c), (n, 1, 1)), "ncl": lambda n, c: ((n, c, 1), (n, 1)), "nlc": lambda n, c: ((n, 1, c), (n, 1)), "nc1hw": lambda n, c: ((n, c, 1, 1), (n, 1, 1, 1)), "nhwc1": lambda n, c: ((n, 1, 1, c), (n, 1, 1, 1)), "nc1": lambda n, c: ((n, c), (n, 1)), "nhwc44": lambda n, c: ((n // 16, 4, 4, c), (n // 16, 4, 4)) if n % 16 == 0 else ((n, 1, 1, c), (n, 1, 1)), "nhwc441": lambda n, c: ((n // 16, 4, 4, c), (n // 16, 4, 4, 1)) if n % 16 == 0 else ((n, 1, 1, c), (n, 1, 1, 1))}


def _applied(cls):
    """cls.apply, called by the names of its forward's parameters after ctx (as LossLint binds them)."""
    sig = inspect.Signature(list(inspect.signature(cls.forward).parameters.values())[1:])

    def call(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        return cls.apply(*bound.args)

    call.__signature__ = sig
    return call


def named(f, hyper):
    """The hyperparameters that are named parameters of f (LossLint binds no others)."""
    params = inspect.signature(f).parameters
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {k: v for k, v in hyper.items() if k in params and params[k].kind in kinds}


def run(seed, n, c, std, target, margin, activation, layout, hyper, extra, last=True):
    x, t = probe_inputs(seed, n, c, std, target, margin, **{k: v for k, v in extra.items() if k != "draws"})
    if target == "index":
        t = t + TARGET_OFFSET
    x.requires_grad_(True)
    x_in = x
    if activation == "softmax":
        x_in = torch.softmax(x, 1)
    elif activation == "sigmoid":
        x_in = torch.sigmoid(x)
    if STATE_COLUMN and t.dim() == 2:
        # One more trailing target column: 1 where the sample has a positive class, else 0.
        t = torch.cat([t, (t > 0).any(dim=1, keepdim=True).to(t.dtype)], 1)
    if layout is not None:
        xs, ts = LAYOUTS[layout](x.shape[0], c)
        x_in = x_in.reshape(xs)
        t = t.reshape(LAYOUTS[layout](x.shape[0], t.shape[1])[0] if t.dim() == 2 else ts)
    if TARGET_FIELDS:
        t = torch.stack([t.float()] + [torch.ones_like(t, dtype=torch.float32)] * (TARGET_FIELDS - 1), -1)
    given = {}
    # Boxes of a detection loss ("__boxes__", layout): drawn for this probe's seed and rows.
    specs = [(k, json.loads(v[1])) for k, v in SUPPLIED.items() if isinstance(v, tuple) and v[0] == "__boxes__"]
    drawn = probe_boxes(seed, x.shape[0], c, specs) if specs else {}
    def box_tensor(d, shape=None):
        data, rows, cols = d
        if cols == "labels":
            return torch.tensor(data, dtype=torch.float32).reshape(shape or (rows,)).long()
        return torch.tensor(data, dtype=torch.float32).reshape(shape or (rows, cols))
    for k, spec in specs:
        if "images" in spec:
            # Per-image dicts: one image.
            given[k] = [{key: box_tensor(v) for key, v in d.items()} for d in drawn[k]]
            continue
        data, rows, cols = drawn[k]
        given[k] = box_tensor(drawn[k], box_shape(spec, rows, cols, layout, x.shape[0], c))
    for k, v in SUPPLIED.items():
        if k in given:
            continue
        given[k] = v[1]() if isinstance(v, tuple) and v[0] == "__op__" else {a: torch.ones(c) if w == "__class_ones__" else w for a, w in v[1].items()} if isinstance(v, tuple) and v[0] == "__keys__" else c if v == "__classes__" else torch.ones_like(x_in) if v == "__ones__" else torch.ones(x_in.shape[:-1]) if v == "__row_ones__" else torch.ones(c) if v == "__class_ones__" else {i: 1.0 for i in range(c)} if v == "__class_map__" else [1] * c if v == "__class_counts__" else torch.device("cpu") if v == "__device__" else torch.eye(c) if v == "__eye_classes__" else x_in.detach().clone() if v == "__like_input__" else t if v == "__like_target__" else _MODEL_INPUT if v == "__model_input__" else importlib.import_module("jax").random.PRNGKey(0) if v == "__prng_key__" else importlib.import_module(v[11:]) if isinstance(v, str) and v.startswith("__module__ ") else v
    hyper = dict(given, **hyper)
    hyper = {k: [v] if k in BOXED and isinstance(v, (int, float, torch.Tensor)) else v for k, v in hyper.items()}
${drawing ? `    # Each call draws afresh from the probe's stream; the call reported is compared with the checker's draws.
    _DRAWS.start(seed, extra.get("draws", []) if last else None)
` : ''}${call}
${roles.perExample ? `    # A per-example loss: called once per example, ${roles.perExample.join(' and ')} sliced along the batch, the losses stacked (as jax.vmap would).
    a = ${args}
    out = torch.stack([torch.as_tensor(fn(**{k: (v[i] if k in ${JSON.stringify(roles.perExample)} else v) for k, v in a.items()}, **named(fn, hyper))) for i in range(x_in.shape[0])])` : roles.packed ? `    # The prediction and the target come packed in \`${roles.packed.star ? '*' : ''}${roles.packed.param}\` (unpacked as ${roles.packed.names.join(', ')}).
    out = fn(${packedArgs})` : `    out = fn(**${args}, **named(fn, hyper))`}
    if isinstance(out, (tuple, list)):
        out = out[0]
${drawing ? `    _DRAWS.finish()
` : ''}    out.sum().backward()
    g = x.grad
    bad_rows = (~torch.isfinite(g)).any(dim=1).sum().item()
    loss = out.item() if out.numel() == 1 else out.sum().item()
    return loss, torch.isnan(g).sum().item(), torch.isinf(g).sum().item(), bad_rows, x.shape[0]


def main():
    print("torch", torch.__version__)
    failed = 0
    for k, (name, seed, n, c, std, target, margin, activation, layout, calls, extra) in enumerate(PROBES):
        where = "std %s" % std if margin is None else "margin %s" % margin
        shown = calls[-1] if len(calls) == 1 else {key: [h.get(key) for h in calls] for key in calls[-1]}
        try:
            for i, hyper in enumerate(calls):
                loss, nan, inf, rows, n = run(seed, n, c, std, target, margin, activation, layout, hyper, extra, i == len(calls) - 1)
        except Exception as e:  # the checker evaluated this call: say what torch did, and go on
            failed += 1
            print("%2d %-14s %-28s %-12s error: %s: %s" % (k, name, shown, where, type(e).__name__, e))
            continue
        print("%2d %-14s %-28s %-12s loss=%-16.9g grad NaN=%d inf=%d samples hit=%d/%d" % (k, name, shown, where, loss, nan, inf, rows, n))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
`;
}
