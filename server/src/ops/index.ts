/**
 * The op table: every operation LossLint understands, declared once (ops/table/*.ts) with its
 * spellings in every framework, and the look-ups both interpreters and the IR builder use.
 *
 *   resolveQualified('torch.nn.functional.softmax')  -> the spelling (function or module class)
 *   resolveMethod('softmax')                          -> the tensor method's spelling
 *   bindCall(spelling, args, kwargs)                  -> arguments by canonical parameter name
 *
 * Qualified names are looked up as written, then with known prefix aliases folded
 * (`tensorflow.math.log` is `tensorflow.log`, `tensorflow.keras.` is `keras.`, ...).
 */
import type { Framework, OpDef, Spelling } from './api';
import { bindSignature, defaultsOf, frameworkOf, parseSpelling } from './signature';
import { TABLE } from './table';

export type { AbsCtx, Expect, ExpectKind, Framework, LossFacts, LowerCtx, OpDef, Spelling } from './api';

/** Prefix aliases, folded in order (repeatedly) before a second look-up. */
const ALIASES: readonly [string, string][] = [
  ['tensorflow.compat.v1.', 'tensorflow.'],
  ['tensorflow.compat.v2.', 'tensorflow.'],
  ['tensorflow.python.keras.', 'keras.'],
  ['tensorflow.keras.', 'keras.'],
  ['tensorflow.math.', 'tensorflow.'],
  ['tensorflow.dtypes.', 'tensorflow.'],
  ['keras.src.', 'keras.'],
  ['keras.api.', 'keras.'],
  ['keras._tf_keras.keras.', 'keras.'],
  ['keras.losses.losses.', 'keras.losses.'],
  ['keras.activations.activations.', 'keras.activations.'],
  ['keras.backend.numpy.', 'keras.ops.'],
  ['keras.layers.core.', 'keras.layers.'],
  ['keras.layers.activation.', 'keras.layers.'],
  ['keras.models.', 'keras.'],
  ['torch.nn.modules.loss.', 'torch.nn.'],
  ['torch.nn.modules.activation.', 'torch.nn.'],
  ['torch.nn.modules.linear.', 'torch.nn.'],
  ['torch.nn.modules.container.', 'torch.nn.'],
  ['torch.autograd.', 'torch.'],
  // torch/functional.py imports torch.nn.functional as F: `from torch.functional import F` is it.
  ['torch.functional.F.', 'torch.nn.functional.'],
  ['optax.losses.', 'optax.'],
  ['jax.scipy.special.', 'scipy.special.'],
  // HIPS autograd wraps numpy and scipy under the same names (its gradients are autograd.grad's, not the ops').
  ['autograd.numpy.', 'numpy.'],
  ['autograd.scipy.', 'scipy.'],
  ['torchvision.ops.focal_loss.', 'torchvision.ops.'],
  ['fvcore.nn.focal_loss.', 'fvcore.nn.'],
  ['kornia.losses.focal.', 'kornia.losses.'],
  ['monai.losses.focal_loss.', 'monai.losses.'],
  ['segmentation_models_pytorch.losses.focal.', 'segmentation_models_pytorch.losses.'],
  ['mmdet.models.losses.focal_loss.', 'mmdet.models.losses.'],
  ['tensorflow_addons.losses.focal_loss.', 'tensorflow_addons.losses.'],
  // flax.linen re-exports jax.nn's activations (nn.log_softmax, nn.sigmoid, nn.one_hot, ...).
  ['flax.linen.', 'jax.nn.'],
  // So does flax.nnx (flax/nnx/nn/activations.py): those names only, as nnx's own transforms
  // (`nnx.jit`, `nnx.vmap`) are no jax.nn names.
  ...['gelu', 'log_sigmoid', 'log_softmax', 'logsumexp', 'one_hot', 'relu', 'sigmoid', 'softmax', 'softplus'].map((n): [string, string] => [`flax.nnx.${n}`, `jax.nn.${n}`]),
  ['tensorflow.python.framework.ops.', 'tensorflow.'],
  // tf.constant is tensorflow/python/framework/constant_op.py's constant.
  ['tensorflow.python.framework.constant_op.', 'tensorflow.'],
  ['tensorflow.python.ops.array_ops.', 'tensorflow.'],
  ['tensorflow.python.ops.math_ops.', 'tensorflow.'],
  ['tensorflow.python.ops.clip_ops.', 'tensorflow.'],
  ['tensorflow.python.ops.nn.', 'tensorflow.nn.'],
];

interface Registry {
  byId: Map<string, OpDef>;
  qualified: Map<string, Spelling>;
  methods: Map<string, Spelling>;
  all: Spelling[];
}

let registry: Registry | undefined;

function build(): Registry {
  const byId = new Map<string, OpDef>();
  const qualified = new Map<string, Spelling>();
  const methods = new Map<string, Spelling>();
  const all: Spelling[] = [];
  for (const op of TABLE) {
    if (byId.has(op.id)) throw new Error(`op ${op.id} declared twice`);
    byId.set(op.id, op);
    for (const text of [...op.spell, ...(op.modules ?? [])]) {
      const p = parseSpelling(text);
      const framework: Framework = frameworkOf(p.name);
      const spelling: Spelling = {
        name: p.name,
        kind: p.kind,
        framework,
        sig: p.sig,
        callSig: p.callSig,
        receiver: p.kind === 'method' ? 'input' : undefined,
        defaults: defaultsOf(p.callSig, p.sig),
        op,
      };
      // JSON of the IR (hashes, snapshots) names a spelling, never its whole op.
      Object.defineProperty(spelling, 'toJSON', { value: () => spelling.name, enumerable: false });
      all.push(spelling);
      if (p.kind === 'method') {
        const m = p.name.slice(p.name.indexOf('.') + 1);
        if (methods.has(m)) throw new Error(`method ${m} spelled by ${methods.get(m)!.op.id} and ${op.id}`);
        methods.set(m, spelling);
      } else {
        if (qualified.has(p.name)) throw new Error(`${p.name} spelled by ${qualified.get(p.name)!.op.id} and ${op.id}`);
        qualified.set(p.name, spelling);
      }
    }
    Object.defineProperty(op, 'toJSON', { value: () => op.id, enumerable: false });
  }
  // PyTorch's in-place forms (`x.abs_()`, `x.clamp_(min=0)`): the method's signature under the
  // name with a trailing underscore, for ops marked `inplace`, unless the table spells it itself.
  for (const s of [...all]) {
    if (s.kind !== 'method' || !s.op.inplace || s.name.endsWith('_')) continue;
    const m = s.name.slice(s.name.indexOf('.') + 1) + '_';
    if (methods.has(m)) continue;
    const spelling: Spelling = { ...s, name: `${s.name}_` };
    Object.defineProperty(spelling, 'toJSON', { value: () => spelling.name, enumerable: false });
    all.push(spelling);
    methods.set(m, spelling);
  }
  return { byId, qualified, methods, all };
}

function reg(): Registry {
  return (registry ??= build());
}

/** Folds known prefix aliases (`tensorflow.math.` -> `tensorflow.`), repeatedly. */
export function canonicalName(name: string): string {
  let n = name;
  for (let guard = 0; guard < 8; guard++) {
    let changed = false;
    for (const [from, to] of ALIASES) {
      if (n.startsWith(from) && from !== to) {
        n = to + n.slice(from.length);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return n;
}

/** `resolveQualified`'s answers for names that are no spelling as written. */
const folded = new Map<string, Spelling | undefined>();

/** The spelling of a qualified callee (a function or a module class), if it is one. */
export function resolveQualified(callee: string): Spelling | undefined {
  const r = reg();
  const direct = r.qualified.get(callee);
  if (direct) return direct;
  // A name that is no spelling as written (most are not: `torch.testing.x`, `self`-less helpers) is
  // folded through the prefix aliases once; the answer is kept (the table never changes).
  if (folded.has(callee)) return folded.get(callee);
  const canon = canonicalName(callee);
  // TF 2's tf.losses is tf.keras.losses: its names, where TF 1's (tf.compat.v1.losses.*, spelled as such) have none.
  const v = r.qualified.get(canon) ?? (canon.startsWith('tensorflow.losses.') ? r.qualified.get(`keras.losses.${canon.slice('tensorflow.losses.'.length)}`) : undefined);
  if (folded.size >= 20_000) folded.clear();
  folded.set(callee, v);
  return v;
}

/** The spelling of a tensor method by its name. */
export function resolveMethod(name: string): Spelling | undefined {
  return reg().methods.get(name);
}

export function opById(id: string): OpDef | undefined {
  return reg().byId.get(id);
}

export function allOps(): readonly OpDef[] {
  return TABLE;
}

export function allSpellings(): readonly Spelling[] {
  return reg().all;
}

/** Whether a method spelling takes no argument (`x.log()`): such a method is the op only with empty parentheses. */
export function isNoArgumentMethod(name: string): boolean {
  const s = reg().methods.get(name);
  return !!s && s.sig.params.every((p) => p.name.startsWith('__'));
}

/**
 * Binds a call's arguments to canonical names through a spelling: for a method the receiver first;
 * for a module spelling, the constructor's signature (the instance's call binds through `callSig`).
 */
export function bindCall<E>(s: Spelling, args: readonly E[], kwargs: Readonly<Record<string, E>>, tuple: (items: E[]) => E, receiver?: E): Record<string, E> {
  const out = bindSignature(s.sig, args, kwargs, tuple);
  if (receiver !== undefined) out[s.receiver ?? 'input'] = receiver;
  return out;
}

/** Binds the arguments of a call of a module instance through its call signature. */
export function bindModuleCall<E>(s: Spelling, args: readonly E[], kwargs: Readonly<Record<string, E>>, tuple: (items: E[]) => E): Record<string, E> {
  return s.callSig ? bindSignature(s.callSig, args, kwargs, tuple) : {};
}

/**
 * Every spelling that resolves to an op, for core/prefilter.ts: the qualified names (functions and
 * module classes), the alias prefixes `canonicalName` folds, and the tensor methods with their ops.
 */
export function opSpellings(): { qualified: string[]; prefixes: string[]; methods: [string, OpDef][] } {
  const r = reg();
  return {
    qualified: [...r.qualified.keys()],
    prefixes: ALIASES.map(([from]) => from),
    methods: [...r.methods].map(([name, s]) => [name, s.op]),
  };
}

/**
 * Whether `text` from `at` (just after a method's name) reads `(` `)` with only whitespace, line
 * continuations and comments around and between them. The IR (ir.ts) and the prefilter both decide
 * with this whether `x.log()` is the op (`logger.log(level, msg)` is not), on the same text.
 */
export function emptyCallAfter(text: string, at: number): boolean {
  let i = skipExtras(text, at);
  if (text.charCodeAt(i) !== 40) return false; // (
  i = skipExtras(text, i + 1);
  return text.charCodeAt(i) === 41; // )
}

function skipExtras(text: string, at: number): number {
  let i = at;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) i++;
    else if (c === 92 && (text.charCodeAt(i + 1) === 10 || text.charCodeAt(i + 1) === 13)) i += 2; // \ newline
    else if (c === 35) {
      // # comment, to the end of the line
      while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
    } else break;
  }
  return i;
}
