/**
 * Which functions of a module the numeric checker probes, and what each parameter is: the logits
 * (or probabilities), the targets (class indices, one-hot or binary), the hyperparameters (gamma,
 * alpha) and their values. Read from the abstract interpreter's facts (core/interp.ts) where it
 * knows, from parameter names otherwise. Pure data; no tensors here, so the main thread can plan
 * and hash checks without loading TensorFlow.js.
 */
import { multiTaskReason } from './multi-task';
import { countListIntoClassTable, elementwiseCountList } from './count-lists';
import { createHash } from 'node:crypto';
import { interpretModule, type ModuleFacts } from '../core/interp';
import { walkExprs, type CallSite, type Expr, type FunctionIR, type ModuleIR, type Stmt } from '../core/ir';
import { injectedModule } from '../core/injected';
import { packedArgs, unpackedView, type PackedArgs } from './packed-args';
import { graphLoss } from './graph-loss';
import { stmtRoots, stmtsOf } from '../core/walk';
import { bindCall, resolveQualified } from '../ops';
import type { AbsValue } from '../core/lattice';
import { linearModel } from './linear-model';
import { defaultedWhenNone, ParamUses, thresholdUse } from './param-uses';
import { jaxKeyParam } from './jax-keys';
import { outerParams, readOnlyAfter } from './entry-inputs';
import { attributesRead, boxUse, callableByName, classCountParam, expandsLastAxis, calledOnRoles, classOfExample, definedOnce, elementwiseTensor, boxLabels, holdsBoxes, imageDicts, imageIndices, indexesClasses, reachesCreatingOp, meetsClasses, modelParam, modelStandIn, type ModelStandIn, moduleOnce, contrastivePair, oneHotDepth, scalarArithmetic, scalarHyper, unreadByMethod, unsuppliedUse } from './entry-inputs';
import { assertsUnitInterval, readAsMapping } from './input-facts';
import { selfContained } from './gate';
import { alwaysUnbound } from './unbound';
import { settingsMapping, type KeyValue } from './param-members';
import { itemsUnpacked, iteratedOnly, passedInLoss, readThroughImport, singleRole } from './refusal-reasons';
import { describeBoxes, type BoxFill } from './gen';
import { assumedModuleValues, type AssumedValue } from './absent-values';
import { isCreatingOp } from '../core/prefilter';
import { focalRoleParams } from './role-params';
import { publicCallers } from './private-entry';

export type TargetEncoding = 'index' | 'onehot' | 'binary';

export interface HyperInfo {
  /** Parameter name (of the function, or of `__init__` for a method). */
  name: string;
  /** Known values: the default first, then call-site literals; numbers, lists or null. */
  values: (number | number[] | null)[];
}

export interface CheckPlan {
  qualname: string;
  /** The parameter that receives the logits (or probabilities, see `inputIsProb`). */
  input: string;
  /** The parameter that receives the targets, if any. */
  target?: string;
  /** Encodings to try, most likely first. */
  encodings: TargetEncoding[];
  /** The function takes probabilities; the probes feed act(logits) and differentiate w.r.t. the logits. */
  inputIsProb: boolean;
  /** The activation the facts saw, if any. */
  act?: 'sigmoid' | 'softmax';
  gamma?: HyperInfo;
  alpha?: HyperInfo;
  /**
   * Values for required parameters without a default (of the function, its `__init__` or its
   * factory): a call-site literal, else a typical value (gamma 2, alpha 0.25), the probe's class
   * count, or ones shaped like the input (a weight or mask); `why` says which, for the probe table.
   */
  fill?: Record<string, Fill>;
  /** The framework the function computes with (what an image-shaped probe's channels follow). */
  framework?: CoverageFramework;
  /**
   * Required hyperparameters (`fill`) passed as a one-item list of their value (`[2.0]` for gamma 2):
   * the function subscripts them (`gamma = gamma[0]`), and raised on the number (probes.ts `setup`).
   */
  boxed?: string[];
  /**
   * Required hyperparameters (`fill`) whose number the function's `jax.vmap` maps (in_axes not None):
   * the same number for every example (eval.ts `EvalOptions.perRow`; probes.ts `setup`).
   */
  perRow?: string[];
  /**
   * A per-example loss (its prediction or target annotated as one Python number, `label: int`): the
   * probes call it once per example, these parameters (the prediction and the target) sliced along
   * the batch axis and the outputs stacked, as `jax.vmap(loss)` would (eval.ts `EvalOptions.perExample`).
   */
  perExample?: string[];
  /**
   * The class counts the probes try (default: the option's, then 2). A per-example prediction annotated
   * as one number (`logit: float`) is one logit per example: one column, binary targets.
   */
  classCounts?: number[];
  /**
   * The targets carry this many fields on a trailing axis, the function reading them one by one
   * (`y_true[:, :, 0]` the labels, `y_true[:, :, 1]` a mask; input-facts.ts `targetFields`): field 0
   * the probe's targets, the others ones (every element kept). Set by probes.ts `setup` where the
   * plain targets fail.
   */
  targetFields?: number;
  /**
   * Probed through the module's own `jax.vmap` of the function (`batched = vmap(loss, in_axes=(0, 0))`,
   * input-facts.ts `moduleVmap`): the function is written for one example. Set by probes.ts `setup`
   * where the batched inputs fail.
   */
  vmapped?: boolean;
  /**
   * Class indices counted from 1, 0 left for the background: the function compares its targets with
   * `arange(1, C + 1)` (input-facts.ts `oneBasedLabels`). The probes pass their indices plus one.
   * Set by probes.ts `setup`.
   */
  targetOffset?: number;
  /** The facts see a cross-entropy and no modulating factor: the reference is the cross-entropy (gamma 0). */
  plainCE?: boolean;
  /** The prediction and the target come packed in one parameter (packed-args.ts): the plan is of the unpacked view. */
  packed?: PackedArgs;
  /** A TensorFlow graph-mode loss (graph-loss.ts): the plan is of its view, the model's output and the target its parameters. */
  graph?: { loss: string; prediction: { name: string; shown: string }; target: { name: string; shown: string } };
  /**
   * The facts read every op the function applies (its own and its helpers') and see no cross-entropy
   * and no focal factor (a dice, a squared error, a hinge): the probes of the focal formula (the
   * reference, LL305; the hard examples, LL309) mean nothing for it and do not run.
   */
  notFocal?: boolean;
  /**
   * Label smoothing goes into the loss (a CE's `label_smoothing`, targets `t * (1 - e) + e / K`, in it
   * or the module's functions it calls): the canonical loss differs from it by design, so the
   * reference (LL305) and the cross-entropy at gamma = 0 (LL304) do not run.
   */
  smoothed?: boolean;
  /**
   * Values read from modules the check may not read (`cfg.focal_loss_alpha`), by qualified name, that
   * the function's use makes a focal gamma, a focal alpha or Keras' float format
   * (absent-values.ts): the probes take them where the module is not on disk, and say so.
   */
  assumed?: Record<string, AssumedValue>;
  /** The function squeezes the target's dim 1 (`target.squeeze(1)`): image targets with a channel of one ([N, 1, H, W]). */
  targetChannel?: boolean;
  /**
   * The function computes with numpy (no autograd): the probes evaluate its outputs' values only
   * (NaN, inf, negative losses, a gradient-boosting objective's hessian <= 0), in float32, and say
   * that the gradient probes are not checked.
   */
  valuesOnly?: boolean;
  /**
   * The target parameter is only read through `.get_label()` or `.label`: a gradient-boosting
   * objective's or metric's dataset (LightGBM's `Dataset`, XGBoost's `DMatrix`); the probes pass a
   * probe object holding the targets as float labels (`ProbeDataset` in eval.ts).
   */
  targetDataset?: boolean;
  /** Optional weight parameters (`weight=None`) the probes give ones when the function raises without them. */
  optionalWeights?: string[];
  /**
   * Optional per-class tables the function does not handle None of: an alpha (`alpha=None`, of the
   * function or its `__init__`) it indexes by the targets (`self.alpha[target]`), a weight of its
   * `__init__` or factory (`pos_weight=self.weight`): the probes give one weight of 1 per class when
   * it raises without them.
   */
  optionalTables?: string[];
  /**
   * The prediction or target parameter the function reads only as a mapping (`out["scores"]`,
   * `batch["targets"]`): the dict the probes pass it, each key read with what it holds (the
   * parameter's tensor, or ones like the input for a weight or mask key).
   */
  mapped?: Record<string, Record<string, 'tensor' | 'ones' | 'model_input'>>;
  /**
   * The function gets its prediction from a model it runs once (`logits = model(batch["image"])`,
   * `net.apply(params, x)`; entry-inputs.ts `modelStandIn`): the model is stood in by the probe's
   * prediction. `input` is the parameter the stand-in is passed as (the model, or the parameters its
   * `apply` takes); its run returns the probe's prediction, which the gradient is taken with respect
   * to. What only the run reads (its inputs, a flag passed to it) gets a value nothing else may read
   * (fill `{ modelInput }`, a mapping's key `model_input`).
   */
  model?: { via: 'call' | 'apply'; shown: string; unpacked?: { n: number; at: number } };
  /**
   * The target is a parameter of the function enclosing the checked closure (its qualname here), read
   * by the closure (`batch["label"]` in flax's `train_step(state, batch)`'s `loss_fn(params)`): the
   * probes give it to that function, which runs first and defines the closure (eval.ts `entry`).
   */
  outerTarget?: string;
  /**
   * The function splits the target's last axis into the labels (`y_true[..., :-1]`) and one trailing
   * column (`y_true[..., -1]`, an anchor's state): the probes' float targets carry that column too,
   * 1 where the sample has a positive class, else 0 (background).
   */
  stateColumn?: boolean;
  /**
   * A detection loss: parameters whose uses show boxes (entry-inputs.ts `holdsBoxes`, `boxUse`) get
   * generated boxes (gen.ts `generateBoxes`, in `fill`), the prediction is per-anchor class scores
   * (one image of N anchors, layout `1nc`, or N rows), and no parameter takes the probes' targets
   * (the function derives its own from the boxes): the probes that change or compare with the
   * targets (LL306, LL307, alpha effect, reference) do not run.
   */
  boxes?: true;
  /**
   * A loss of one input (an entropy `-(p * log p).sum(1)`, a GAN generator's `-log(D(G(z)))`): no
   * target parameter; the probes feed the prediction only and check its loss and gradient on typical
   * and confident inputs (LL301, LL302); the probes that change or compare targets do not run.
   */
  oneInput?: true;
  /** Content hash of everything the check depends on. */
  key: string;
}

/**
 * A value for a required parameter: a Python value, the probe's class count, ones shaped like the
 * input, or a framework module (`{ module: 'keras.backend' }`, passed by keyword: an injected backend).
 */
/**
 * A required parameter's value and why; `assumed`: one of several values the code runs differently
 * with (a mixing weight, a threshold, a fraction, an index, one of the strings it compares with),
 * which may change what the loss computes: the probes that compare it with a canonical formula
 * (reference LL305, cross-entropy at gamma 0 LL304) do not run.
 */
export interface Fill {
  value: FillValue;
  why: string;
  assumed?: true;
}

export type FillValue = number | number[] | string | boolean | null | { prngKey: true } | { classes: true } | { ones: 'input' | 'rows' | 'classes' | 'class_map' } | { counts: 'classes' } | { device: true } | { eye: 'classes' } | { attrs: Record<string, number | string> } | { keys: Record<string, KeyValue> } | { module: string } | { like: 'input' | 'target' } | { modelInput: true } | OpModuleValue | BoxFill;

/**
 * A loss module a call site builds and passes (`FocalLoss(nn.BCEWithLogitsLoss(), g)`): its op's
 * module spelling and the literal keywords it was built with; `dropped`: those that were not literals
 * (the probes leave them at their defaults and say so).
 */
export interface OpModuleValue {
  op: string;
  kwargs: Record<string, number | string | boolean | null>;
  dropped: string[];
}

/** Typical values for a required gamma / alpha no call site gives (named as such in the probe table). */
export const TYPICAL_GAMMA = [2, 0.5];
export const TYPICAL_ALPHA = 0.25;

const TARGET_NAME = /^(y_?true|y|t|gt|gts|truth|targets?|labels?|label_ids?|gt_\w+|\w+_targets?|\w+_labels?|target_\w+|one_?hot\w*)$/i;
const PRED_NAME = /^(logits?|\w+_logits?|logits?_\w+|scores?|cls_\w+|inputs?|preds?|predictions?|outputs?|x|y_?pred|\w+_preds?|preds?_\w+|prediction_\w+|output_\w+|pr|probs?|p|probabilities)$/i;
const PROB_NAME = /^(probs?|p|probabilities|\w+_probs?)$/i;
const GAMMA_NAME = /^(gamma|\w*_gamma|gamma_\w+|focusing_param\w*)$/i;
const ALPHA_NAME = /^(alpha|\w*_alpha|alpha_\w+|balance\w*)$/i;
/** A required parameter that counts the classes: it takes the probe's class count. */
const CLASSES_NAME = /^(num_?classe?s?|n_?class(es)?|nclass(es)?|class_?num|classes|num_?labels|n_?labels|num_cls|cls_num)$/i;
/** A required tensor parameter of the loss that weighs or masks its terms: it takes ones shaped like the input. */
const WEIGHT_NAME = /^(weights?|sample_?weights?|label_?weights?|masks?|valid_?mask|loss_?mask)$/i;
/** A required ignore label: one no probe target takes. */
const IGNORE_NAME = /^(ignore_?(index|label|lb|idx)|ignore)$/i;
/** A required device: the probes' (the CPU). */
const DEVICE_NAME = /^(device|dev)$/i;
/** A required parameter that is not the prediction or the target (what the roles are not chosen among). */
function hyperish(name: string): boolean {
  return GAMMA_NAME.test(name) || ALPHA_NAME.test(name) || CLASSES_NAME.test(name) || IGNORE_NAME.test(name) || DEVICE_NAME.test(name) || /^(eps|epsilon|smooth\w*|reduction|beta|delta|temperature|tau)$/i.test(name);
}

/** An annotation naming a Python scalar (`bool`, `int`, `float`, `str`, optionally `Optional[...]`): never a tensor. */
const SCALAR_ANNOTATION = /^(?:(?:typing\.)?Optional\[\s*)?(bool|int|float|str)\s*\]?$/;
/** An annotation naming one Python number (`int`, `float`): a per-example value where the prediction or the target has it. */
const NUMBER_ANNOTATION = /^(int|float)$/;
/** An annotation naming a tensor type (`torch.Tensor`, `jnp.ndarray`, `tf.Tensor`, `chex.Array`, `jax.Array`). */
const TENSOR_ANNOTATION = /(?:^|\.)(Tensor|ndarray|Array|ArrayLike)$/;

/**
 * Whether a required parameter is not among those the prediction and the target are chosen from: its
 * annotation says a Python scalar (`classes_are_exclusive: bool`), or its name says a hyperparameter
 * and no tensor annotation contradicts it (`eps: jnp.ndarray` is a tensor, the noise a diffusion loss
 * compares with its prediction, not an epsilon).
 */
function notRole(p: { name: string; annotation?: string }): boolean {
  const ann = p.annotation?.replace(/\s+/g, '');
  if (ann && SCALAR_ANNOTATION.test(ann)) return true;
  if (ann && TENSOR_ANNOTATION.test(ann)) return false;
  return hyperish(p.name);
}

/**
 * A default that is an array type, not a value (`y_true=np.ndarray`, an annotation written with `=`):
 * no function computes with the class itself, so the parameter is one a caller always passes.
 */
function typeDefault(e: Expr): boolean {
  return e.k === 'attr' && /^(numpy\.ndarray|torch\.Tensor|tensorflow\.Tensor|jax\.Array|jax\.numpy\.ndarray)$/.test(e.qualified ?? '');
}

function literalValue(e: Expr | undefined): number | number[] | null | undefined {
  if (!e) return undefined;
  if (e.k === 'num') return e.value;
  if (e.k === 'const' && e.value === null) return null;
  if (e.k === 'unary' && e.op === '-' && e.operand.k === 'num') return -e.operand.value;
  // Arithmetic of numbers (`[1 - 0.25, 0.25]`): its value.
  if (e.k === 'bin' && (e.op === '+' || e.op === '-' || e.op === '*' || e.op === '/')) {
    const [a, b] = [literalValue(e.left), literalValue(e.right)];
    if (typeof a !== 'number' || typeof b !== 'number' || (e.op === '/' && b === 0)) return undefined;
    return e.op === '+' ? a + b : e.op === '-' ? a - b : e.op === '*' ? a * b : a / b;
  }
  if (e.k === 'tuple') {
    const xs = e.items.map(literalValue);
    return xs.every((x) => typeof x === 'number') ? (xs as number[]) : undefined;
  }
  return undefined;
}

function hyper(fn: FunctionIR, owners: (FunctionIR | undefined)[], re: RegExp, facts: ModuleFacts | undefined, typical: number[], byRole: ReadonlySet<string> = new Set()): HyperInfo | undefined {
  for (const f of [fn, ...owners]) {
    if (!f) continue;
    // Named so, else a required one whose role the facts make it (role-params.ts).
    const p = f.params.find((x) => x.kind === 'plain' && re.test(x.name)) ?? f.params.find((x) => x.kind === 'plain' && !x.default && byRole.has(x.name));
    if (!p) continue;
    const values: (number | number[] | null)[] = [];
    const d = literalValue(p.default);
    if (d !== undefined) values.push(d);
    const fv = facts?.functions.get(f)?.params.get(p.name);
    for (const v of fv?.values ?? []) if (!values.some((x) => x === v)) values.push(v);
    // A required one no call site gives: typical values (the probe table names them).
    if (!p.default && !values.length) values.push(...typical);
    return { name: p.name, values };
  }
  return undefined;
}

/** A gamma hyperparameter, unless every read of it (in the function or the constructor, followed into its methods) is a factor of a product. */
function slopeGamma(h: HyperInfo | undefined, owners: (FunctionIR | undefined)[], mod: ModuleIR): HyperInfo | undefined {
  const g = h && owners.find((f) => f?.params.some((p) => p.kind === 'plain' && p.name === h.name));
  return g && new ParamUses(h.name, g, mod).onlyFactor ? undefined : h;
}

/** The functions whose parameters a check's hyperparameters set: `__init__` of a method's class, the factories of a closure. */
function owners(fn: FunctionIR, mod: ModuleIR): FunctionIR[] {
  const out: FunctionIR[] = [];
  // A closure that reads nothing of its factories runs without them (gate.ts selfContained).
  if (selfContained(fn, mod)) return out;
  let g: FunctionIR | undefined = fn;
  for (let guard = 0; g && guard < 8; guard++) {
    if (g.className) {
      const cls = mod.classes.get(g.className);
      const init = cls && initOf(cls, mod);
      if (init) out.push(init);
    }
    if (!g.parent || g.parent === '<module>') break;
    const parent: string = g.parent;
    g = mod.functions.find((x) => x.qualname === parent);
    if (g) out.push(g);
  }
  return out;
}

/** The `__init__` an instance of `cls` runs: its own, else a base's defined in the module. */
function initOf(cls: { methods: Map<string, FunctionIR>; bases: string[] }, mod: ModuleIR, depth = 0): FunctionIR | undefined {
  const own = cls.methods.get('__init__');
  if (own || depth > 4) return own;
  for (const b of cls.bases) {
    const base = mod.classes.get(b);
    const init = base && initOf(base, mod, depth + 1);
    if (init) return init;
  }
  return undefined;
}

/** A literal a call site in the module passes for parameter `p` of `g` (its class's name for `__init__`, its own name otherwise). */
function callSiteLiteral(mod: ModuleIR, g: FunctionIR, p: string): FillValue | undefined {
  const name = g.name === '__init__' && g.className ? g.className.split('.').pop()! : g.name;
  const params = g.params.filter((x) => x.kind === 'plain').slice(g.className ? 1 : 0);
  const at = params.findIndex((x) => x.name === p);
  for (const { site, caller } of callSitesOf(mod)) {
    if (site.callee.split('.').pop() !== name) continue;
    const e = site.kwargs[p] ?? (at >= 0 ? site.args[at] : undefined);
    if (!e) continue;
    if (e.k === 'str') return e.value;
    if (e.k === 'const') return e.value;
    const v = literalValue(e);
    if (v !== undefined) return v;
    // A loss module the caller built (`bce = nn.BCEWithLogitsLoss(...)`; `FocalLoss(bce, g)`).
    const built = e.k === 'name' && caller ? moduleBuiltIn(caller, e.id) : undefined;
    if (built) return built;
    // The caller's own parameter passed on (`f(x, t, z_loss=z_loss)`): its default, if a literal.
    if (e.k === 'name') {
      const cp = caller?.params.find((x) => x.kind === 'plain' && x.name === e.id);
      const d = cp?.default;
      if (d?.k === 'str') return d.value;
      const dv = literalValue(d);
      if (dv !== undefined && dv !== null) return dv;
      // A name the caller binds once to a literal, else (not the caller's own) one the module binds once
      // (`samples_per_cls = [2, 3, 1]` under `if __name__ == "__main__":`).
      if (!cp) {
        const local = caller ? definedOnce(caller.body).get(e.id) : undefined;
        const own = caller && [...stmtsOf(caller.body)].some((s) => s.k === 'assign' && s.targets.some((t) => t.k === 'name' && t.id === e.id));
        const bound = local ?? (own ? undefined : moduleOnce(mod).get(e.id));
        if (bound?.k === 'str') return bound.value;
        const bv = literalValue(bound);
        if (bv !== undefined && bv !== null) return bv;
      }
    }
  }
  return undefined;
}

/** The loss module (an op's module spelling) the last assignment of `name` in `g` builds, with its literal keywords. */
function moduleBuiltIn(g: FunctionIR, name: string): OpModuleValue | undefined {
  let out: OpModuleValue | undefined;
  for (const s of stmtsOf(g.body)) {
    if (s.k !== 'assign' || s.aug || s.targets.length !== 1 || s.targets[0].k !== 'name' || s.targets[0].id !== name) continue;
    const v = s.value;
    if (v.k !== 'call' || v.spell?.kind !== 'module' || v.args.length) {
      out = undefined;
      continue;
    }
    const kwargs: OpModuleValue['kwargs'] = {};
    const dropped: string[] = [];
    for (const [k, x] of Object.entries(v.kwargs)) {
      const lit = x.k === 'str' ? x.value : x.k === 'const' ? x.value : literalValue(x);
      if (lit === undefined || Array.isArray(lit)) dropped.push(k);
      else kwargs[k] = lit;
    }
    out = { op: v.spell.name, kwargs, dropped };
  }
  return out;
}

const SITES = new WeakMap<ModuleIR, { site: Pick<CallSite, 'callee' | 'args' | 'kwargs'>; caller?: FunctionIR }[]>();

/** Calls of a plain name in the module: its top-level ones (mod.callSites) and those in its functions, each with the function it is in. */
function callSitesOf(mod: ModuleIR): { site: Pick<CallSite, 'callee' | 'args' | 'kwargs'>; caller?: FunctionIR }[] {
  let out = SITES.get(mod);
  if (out) return out;
  out = mod.callSites.map((site) => ({ site }));
  for (const g of mod.functions) {
    if (g.isModule) continue;
    for (const s of stmtsOf(g.body))
      for (const r of stmtRoots(s))
        for (const e of walkExprs(r)) if (e.k === 'call' && e.func.k === 'name') out.push({ site: { callee: e.func.id, args: e.args, kwargs: e.kwargs }, caller: g });
  }
  SITES.set(mod, out);
  return out;
}

/** A weight of 1 per class. */
function isClassOnes(v: FillValue | undefined): boolean {
  return typeof v === 'object' && v !== null && 'ones' in v && v.ones === 'classes';
}

/** Two calls of the same op (`F.cross_entropy`), or of two modules held by `self` (`self.loss_a(...)`, `self.loss_b(...)`), with as many arguments. */
function sameKind(a: Expr, b: Expr): boolean {
  if (a.k !== 'call' || b.k !== 'call' || a.args.length !== b.args.length) return false;
  if (a.op || b.op) return a.op === b.op;
  const held = (e: Extract<Expr, { k: 'call' }>): boolean => e.func.k === 'attr' && e.func.obj.k === 'name' && e.func.obj.id === 'self';
  return held(a) && held(b);
}

/** A settings key named as a focal gamma or alpha (`cfg["focal_gamma"]`): the typical value a parameter so named takes. */
function typicalKey(key: string): { value: number; why: string } | undefined {
  if (GAMMA_NAME.test(key)) return { value: TYPICAL_GAMMA[0], why: `named as a focal gamma: the typical ${TYPICAL_GAMMA[0]}` };
  if (ALPHA_NAME.test(key)) return { value: TYPICAL_ALPHA, why: `named as a focal alpha: the typical ${TYPICAL_ALPHA}` };
  return undefined;
}

/** The counts shape the loss (margins, class weights): assumed, so no comparison with a canonical loss. */
const PER_CLASS_WHY = 'a per-class count list: one count of 1 per class, assumed; no canonical comparison';

/**
 * A per-class vector (entry-inputs.ts): its values meet the classes of the prediction or the
 * targets, and no read of it is Python scalar arithmetic (`1 - beta`). What says it is a sequence
 * at all (a `len`, a slice, a tensor made of it, a list a call site passes) is the caller's.
 */
function perClassVector(g: FunctionIR, fn: FunctionIR, mod: ModuleIR, name: string, roles: { input: string; target: string }): boolean {
  return !scalarArithmetic(name, g) && !multiIndexed(name, g) && meetsClasses(name, g, fn, mod, roles);
}

/** Whether `fn` passes parameter `name` itself as the input of a one-hot op. */
function oneHotted(fn: FunctionIR, name: string): boolean {
  for (const s of stmtsOf(fn.body))
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) if (e.k === 'call' && (e.op?.id === 'one_hot' || e.op?.id === 'flax_onehot') && e.bound?.input?.k === 'name' && e.bound.input.id === name) return true;
  return false;
}

/** Whether `g` subscripts `name` with two indices or more (`t[:, 25]`): a tensor of rank 2 at least, no list of numbers. */
function multiIndexed(name: string, g: FunctionIR): boolean {
  for (const s of stmtsOf(g.body)) for (const r of stmtRoots(s)) for (const e of walkExprs(r)) if (e.k === 'subscript' && e.obj.k === 'name' && e.obj.id === name && e.index.length > 1) return true;
  return false;
}

/**
 * A typical loss module for a parameter only called on the prediction and the target (a loss
 * module passed in, `FocalLoss(loss_fcn)`), when no call site builds one: PyTorch's
 * BCEWithLogitsLoss where the function applies a sigmoid to the prediction, else its
 * CrossEntropyLoss; built by the op table, never by the user's code, and marked assumed.
 */
function typicalLossModule(g: FunctionIR, fn: FunctionIR, mod: ModuleIR, name: string, roles: { input: string; target: string }, framework: CoverageFramework): Fill | undefined {
  if (framework !== 'torch' || !calledOnRoles(name, g, fn, mod, roles)) return undefined;
  let sigmoid = false;
  for (const s of stmtsOf(fn.body))
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) if (e.k === 'call' && e.op?.id === 'sigmoid' && e.args.some((a) => a.k === 'name' && a.id === roles.input)) sigmoid = true;
  const op = sigmoid ? 'torch.nn.BCEWithLogitsLoss' : 'torch.nn.CrossEntropyLoss';
  return {
    value: { op, kwargs: {}, dropped: [] },
    why: `a loss module called on \`${roles.input}\` and \`${roles.target}\`, no call site builds one: a typical ${op.split('.').pop()}() (${sigmoid ? 'the function takes a sigmoid of the prediction' : 'no sigmoid of the prediction'}), assumed; no canonical comparison`,
    assumed: true,
  };
}

/**
 * A value for a required parameter that a call site does not give, chosen from what the function
 * does with it (param-uses.ts): never read (None: any value gives the same result); only the
 * `name=` of ops (the function's name); only a divisor (a normaliser: 1); a weight only multiplied
 * in (ones like the input); a per-class count list (one count of 1 per class); a table indexed
 * by the targets whose None the code handles itself (None). Undefined: its meaning is unknown.
 */
function fillFromUses(g: FunctionIR, fn: FunctionIR, chain: FunctionIR[], mod: ModuleIR, name: string, roles?: { input: string; target: string }): Fill | undefined {
  // A factory's closures other than the probed one (and those on its way) do not run in the probe.
  const skip = new Set<FunctionIR>();
  if (g !== fn && g.name !== '__init__') for (const s of stmtsOf(g.body)) if (s.k === 'def' && s.fn !== fn && !chain.includes(s.fn)) skip.add(s.fn);
  const u = new ParamUses(name, g, mod, skip);
  if (u.unread && !u.bindings.length) return { value: null, why: 'never read by the function: None' };
  if (g === fn && u.onlyReturned && !u.bindings.length) return { value: null, why: 'only returned as it is, after the loss (`return loss, ..., ' + name + '`): nothing the loss computes reads it (None)' };
  if (g.name === '__init__' && unreadByMethod(name, g, fn, mod)) return { value: null, why: `stored by __init__, read by no method \`${fn.name}\` calls: None` };
  if (u.onlyName) return { value: fn.name, why: 'only names ops (`name=`): the function\'s name' };
  if (u.onlyDivisor) return { value: 1, why: 'a normaliser the loss is divided by: 1' };
  if (g === fn && /weight/i.test(name) && u.onlyFactor) return { value: { ones: 'input' }, why: 'a weight only multiplied in: ones like the input' };
  // A sequence whose items are unpacked (`for t, (_, j) in zip(targets, pairs)`) holds tuples, no per-class numbers.
  if (roles && (u.sequence || u.sliced || elementwiseCountList(name, g)) && !itemsUnpacked(name, g) && (perClassVector(g, fn, mod, name, roles) || countListIntoClassTable(name, g, mod))) return { value: { counts: 'classes' }, why: PER_CLASS_WHY, assumed: true };
  // Counts read by torch's elementwise math (`torch.sqrt(cls_num_list)`), which takes no list: a tensor of them.
  if (roles && elementwiseCountList(name, g, 'tensor') && (perClassVector(g, fn, mod, name, roles) || countListIntoClassTable(name, g, mod, 'tensor'))) return { value: { ones: 'classes' }, why: "per-class counts read by torch's elementwise math (which takes a tensor, no list): one count of 1 per class, torch.ones(C), assumed; no canonical comparison", assumed: true };
  if (u.subscripted && u.noneHandled) return { value: null, why: 'a table indexed by the targets, whose None the function handles: None' };
  if (roles && u.indexedBy(roles.target)) return { value: { ones: 'classes' }, why: `a table indexed by the targets (\`${name}[${roles.target}]\`): one weight of 1 per class` };
  if (u.tableIndexed && ALPHA_NAME.test(name)) return { value: { ones: 'classes' }, why: 'a per-class table indexed by the targets: one weight of 1 per class' };
  // A matrix the prediction's rows are multiplied by (`scores = X.dot(W)`, a linear classifier's
  // weights): the identity of the probe's classes, so the scores are the probe's prediction.
  if (roles && u.rightMatmulOf(roles.input)) return { value: { eye: 'classes' }, why: `a matrix \`${roles.input}\` is multiplied by (\`${roles.input}.dot(${name})\`): the C x C identity, so the scores are the probe's prediction; other matrices not probed; no canonical comparison`, assumed: true };
  if (u.mixingWeight) return { value: 0.1, why: 'a mixing weight (`(1 - s) * a + s * b`) in [0, 1]: 0.1, other weights not probed; no canonical comparison', assumed: true };
  if (thresholdUse(name, g, mod)) return { value: 0.5, why: 'a threshold tensors are compared with or clamped to (`x > t`): 0.5, in (0, 1); other values not probed; no canonical comparison', assumed: true };
  if (u.onlyFraction) return { value: 0.5, why: 'a fraction of a count (`int(p * n)`): 0.5, other fractions not probed; no canonical comparison', assumed: true };
  // The exponent of a complement, `(1 - p) ** g`: a modulating factor's, the typical focal gamma.
  if (u.onlyComplementExponent) return { value: TYPICAL_GAMMA[0], why: `the exponent of a complement (\`(1 - p) ** ${name}\`, a modulating factor): the typical focal gamma ${TYPICAL_GAMMA[0]}, assumed; other values not probed; no canonical comparison`, assumed: true };
  // A scalar hyperparameter (an exponent, `x.pow(2.0 - t1)`; special-cased at 1, `if t == 1.0:`),
  // never read as a tensor: 1, the value its own code names.
  if (scalarHyper(name, g, mod)) return { value: 1, why: 'a scalar hyperparameter (an exponent, `x.pow(2.0 - t)`, or special-cased at 1, `if t == 1.0:`; never a tensor): 1, assumed; other values not probed; no canonical comparison', assumed: true };
  if (u.onlyIndex) return { value: 1, why: 'an index or a count (a slice bound, an index, `range`, `topk`): 1, other values not probed; no canonical comparison', assumed: true };
  // A tensor a factory closes over that the loss combines elementwise with its per-element terms (a
  // ground-truth mask weighting them): the targets' shape; the probe's targets, assumed.
  if (roles && g !== fn && elementwiseTensor(name, g, fn, roles)) return { value: { like: 'target' }, why: `a tensor read along its axes that \`${fn.name}\` combines elementwise with what it computes from \`${roles.input}\` and \`${roles.target}\`: shaped like the targets; the probe's targets, assumed; other tensors not probed; no canonical comparison`, assumed: true };
  const strs = u.comparedStrings;
  if (strs) return { value: strs[0], why: `a string the code compares with ${strs.map((x) => `'${x}'`).join(', ')}: the first, '${strs[0]}'; the others not probed; no canonical comparison`, assumed: true };
  // A stabiliser added to a divisor or a logarithm's argument: Keras' epsilon, 1e-7.
  if (u.onlyStabiliser) return { value: 1e-7, why: "a stabiliser added to a divisor or a logarithm's argument (`1 / (p + eps)`): 1e-7, Keras' epsilon; other values not probed", assumed: true };
  // The coefficient of a term added to the loss (`loss += 0.5 * reg * np.sum(W * W)`): 1, the term as written.
  if (u.onlyAddedTermFactor) return { value: 1, why: 'the coefficient of an added term (`a + c * term`, `loss += c * term`): 1, other values not probed; no canonical comparison', assumed: true };
  // A tensor passed where the prediction (or the target) is passed, to a call of as many arguments of
  // the same op, or of two modules the class holds (`self.loss_b(logits_b, labels_b)` beside
  // `self.loss_a(logits_a, labels_a)`): a second one of its kind.
  if (g === fn && roles) {
    const mine = u.argPositions;
    const like = (role: string): boolean => {
      const theirs = new ParamUses(role, g, mod, skip).argPositions;
      return !!mine && !!theirs && mine.every((a) => theirs.some((b) => b.at === a.at && b.call !== a.call && sameKind(a.call, b.call)));
    };
    const asInput = like(roles.input);
    const asTarget = like(roles.target);
    if (asInput && !asTarget) return { value: { like: 'input' }, why: `passed where \`${roles.input}\` is: a second prediction, the probe's prediction values (not differentiated)` };
    if (asTarget && !asInput) return { value: { like: 'target' }, why: `passed where \`${roles.target}\` is: a second target, the probe's targets` };
  }
  return undefined;
}

/**
 * An object of settings (`args`, a parsed command line or a config) read only at attributes
 * (`args.w`): each attribute takes the value its own uses give, as a parameter would (a mixing or
 * complementary weight, a normaliser, an index, a string compared with literals, a stabiliser, the
 * coefficient of an added term); undefined unless every attribute gets one.
 */
function settingsObject(g: FunctionIR, mod: ModuleIR, name: string): Fill | undefined {
  const attrs = attributesRead(name, g);
  if (!attrs?.length) return undefined;
  const values: Record<string, number | string> = {};
  const whys: string[] = [];
  for (const a of attrs) {
    const u = new ParamUses(name, g, mod, new Set(), a);
    let f: Fill | undefined;
    if (u.onlyDivisor) f = { value: 1, why: 'a normaliser: 1' };
    else if (u.mixingWeight) f = { value: 0.1, why: 'a mixing or complementary weight (`[w, 1 - w]`, `(1 - s) * a + s * b`) in [0, 1]: 0.1' };
    else if (u.onlyFraction) f = { value: 0.5, why: 'a fraction of a count: 0.5' };
    else if (u.onlyIndex) f = { value: 1, why: 'an index or a count: 1' };
    else if (u.comparedStrings) f = { value: u.comparedStrings[0], why: `a string compared with ${u.comparedStrings.map((x) => `'${x}'`).join(', ')}: '${u.comparedStrings[0]}'` };
    else if (u.onlyStabiliser) f = { value: 1e-7, why: 'a stabiliser: 1e-7' };
    else if (u.onlyAddedTermFactor) f = { value: 1, why: 'the coefficient of an added term: 1' };
    if (!f || (typeof f.value !== 'number' && typeof f.value !== 'string')) return undefined;
    values[a] = f.value;
    whys.push(`\`${name}.${a}\` ${f.why}`);
  }
  return { value: { attrs: values }, why: `an object of settings read only at its attributes: ${whys.join('; ')}; other values not probed; no canonical comparison`, assumed: true };
}

function meaning(facts: ModuleFacts | undefined, fn: FunctionIR, name: string): AbsValue | undefined {
  return facts?.functions.get(fn)?.params.get(name);
}

/** IR as JSON without spans (moving a function does not re-run it). */
function keyJson(value: unknown): string {
  return JSON.stringify(value, (k, v) => {
    if (k === 'span' || k === 'nameSpan' || k === 'paren' || k === 'src') return undefined;
    if (v instanceof Map) return [...v.entries()];
    return v;
  });
}

/** Everything a check's result depends on, spans removed: the hash of `parts` (IR, or the hashes of parts many keys share). */
export function contentKey(parts: unknown[]): string {
  return createHash('sha1').update(keyJson(parts)).digest('hex');
}

/**
 * The functions of `byName` that `roots` (IR values) name, and those they name in turn, in the order
 * found; `self` aside. A name counts wherever it appears (a call, a default, a value passed on), as
 * the interpreter resolves it wherever it appears.
 */
export function reachableFunctions(roots: unknown[], byName: ReadonlyMap<string, FunctionIR>, self?: FunctionIR): FunctionIR[] {
  const out: FunctionIR[] = [];
  const found = new Set<FunctionIR>(self ? [self] : []);
  const seen = new Set<object>();
  const stack: unknown[] = [...roots];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Map) {
      for (const x of v.values()) stack.push(x);
      continue;
    }
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    const node = v as { k?: unknown; id?: unknown };
    if (node.k === 'name' && typeof node.id === 'string') {
      const g = byName.get(node.id);
      if (g && !found.has(g)) {
        found.add(g);
        out.push(g);
        stack.push(g.params, g.body);
      }
    }
    for (const [k, x] of Object.entries(v)) if (k !== 'span' && k !== 'nameSpan' && k !== 'parent' && k !== 'op') stack.push(x);
  }
  return out;
}

/** Planning stopped because `stop` said so (planModule). */
export class PlanStopped extends Error {
  constructor() {
    super('planning stopped');
  }
}

/**
 * The calls a function makes, and those made by the module's functions it calls (by name, or as
 * `self.name(...)`: `byName` holds methods as `.name`), each function once; nested definitions and
 * the headers of loops and `with` included.
 */
function* callsOf(fn: FunctionIR, byName: ReadonlyMap<string, FunctionIR>, seen = new Set<FunctionIR>()): Generator<Extract<Expr, { k: 'call' }>> {
  if (seen.has(fn)) return;
  seen.add(fn);
  const roots = (s: Stmt): Expr[] => {
    if (s.k === 'assign' || s.k === 'expr') return [s.value];
    if (s.k === 'return') return s.value ? [s.value] : [];
    if (s.k === 'if') return [s.test];
    if (s.k === 'other') return [...(s.iter ? [s.iter] : []), ...(s.test ? [s.test] : []), ...(s.items ?? []).map((i) => i.ctx)];
    return [];
  };
  // Copies (the stack reverses them): the IR's own arrays are never changed.
  const nested = (s: Stmt): Stmt[] => (s.k === 'if' ? [...s.body, ...s.orelse] : s.k === 'other' ? [...s.body] : s.k === 'def' ? [...s.fn.body] : []);
  const stack: Stmt[] = [...fn.body].reverse();
  while (stack.length) {
    const s = stack.pop()!;
    for (const r of roots(s)) {
      for (const e of walkExprs(r)) {
        if (e.k !== 'call') continue;
        yield e;
        const callee = e.func.k === 'name' ? byName.get(e.func.id) : e.func.k === 'attr' && e.func.obj.k === 'name' && e.func.obj.id === 'self' ? byName.get(`.${e.func.attr}`) : undefined;
        if (callee) yield* callsOf(callee, byName, seen);
      }
    }
    stack.push(...nested(s).reverse());
  }
}

/** Ops that compute a cross-entropy or a focal loss (a logarithm alone, a log-softmax, says neither: a KL divergence takes one). */
const LOSS_OPS = /entropy|nll|focal|_ce_|with_logits/;
/** Meanings that say a cross-entropy or a focal loss is computed (a log-probability alone does not). */
const LOSS_MEANINGS = new Set(['ce', 'focal', 'modulating', 'pt', 'one_minus_pt']);
/** Meanings that say a focal loss is computed. */
const FOCAL_MEANINGS = new Set(['focal', 'modulating']);
/** A name (or an op id) that says focal loss. */
const FOCAL_NAME = /focal/i;
/** A name that says cross-entropy or focal loss. */
const CE_NAME = /focal|entropy|xent|bce|nll|(^|[._])ce(_|$)/i;

/**
 * Whether anything positively says a function computes a cross-entropy or a focal loss: a call of an
 * op that computes one, a call of a function named as one (an imported `focal_loss`), or a value of
 * it (or of the module's functions it calls) that means a cross-entropy, p_t or a modulating factor
 * (a log-probability alone does not: a KL divergence takes one). The focal formula's probes (LL305,
 * LL309) compare with a focal loss: on a loss nothing says is one (a dice, a triplet loss, a smooth
 * L1, one built of calls the facts cannot read) they would report a difference that means nothing,
 * so they need this evidence (precision first).
 */
function seesFocalOrCE(fn: FunctionIR, byName: ReadonlyMap<string, FunctionIR>, facts: ModuleFacts | undefined, own: ReturnType<ModuleFacts['functions']['get']>): boolean {
  return sees(fn, byName, facts, own, { op: LOSS_OPS, name: CE_NAME, meanings: LOSS_MEANINGS });
}

/** Whether label smoothing goes into a value the facts see in a function or the module's functions it calls. */
function seesSmoothing(fn: FunctionIR, byName: ReadonlyMap<string, FunctionIR>, facts: ModuleFacts | undefined, own: ReturnType<ModuleFacts['functions']['get']>): boolean {
  return sees(fn, byName, facts, own, { op: /^$/, name: /^$/, meanings: new Set(), fact: (v) => !!v.smoothed && (v.smoothed.values === undefined || v.smoothed.values.some((x) => x !== 0)) });
}

/** Whether anything says a function is a focal loss: its name, a focal op it calls, a modulating factor or focal product the facts see in it or the module's functions it calls. */
function seesFocal(fn: FunctionIR, byName: ReadonlyMap<string, FunctionIR>, facts: ModuleFacts | undefined, own: ReturnType<ModuleFacts['functions']['get']>): boolean {
  return FOCAL_NAME.test(fn.qualname) || sees(fn, byName, facts, own, { op: FOCAL_NAME, name: FOCAL_NAME, meanings: FOCAL_MEANINGS });
}

/**
 * Evidence in a function and the module's functions it calls: an op whose id matches `op`, a call of
 * a function the check does not read whose name matches `name`, a value the facts see with one of
 * `meanings`.
 */
function sees(fn: FunctionIR, byName: ReadonlyMap<string, FunctionIR>, facts: ModuleFacts | undefined, own: ReturnType<ModuleFacts['functions']['get']>, what: { op: RegExp; name: RegExp; meanings: ReadonlySet<string>; fact?: (v: AbsValue) => boolean }): boolean {
  const reached = new Set<FunctionIR>([fn]);
  for (const e of callsOf(fn, byName)) {
    if (e.op) {
      if (what.op.test(e.op.id)) return true;
      continue;
    }
    const callee = e.func.k === 'name' ? byName.get(e.func.id) : e.func.k === 'attr' && e.func.obj.k === 'name' && e.func.obj.id === 'self' ? byName.get(`.${e.func.attr}`) : undefined;
    if (callee) reached.add(callee);
    else if (what.name.test(e.callee ?? (e.func.k === 'name' ? e.func.id : e.func.k === 'attr' ? e.func.attr : ''))) return true;
  }
  for (const g of reached) {
    const ff = g === fn ? own : facts?.functions.get(g);
    for (const v of [...(ff?.values.values() ?? []), ...(ff?.returns ?? [])]) if (what.meanings.has(v.m) || what.fact?.(v)) return true;
  }
  return false;
}


/** Whether a function computes with numpy (or scipy) ops, itself or through the module's functions it calls. */
/** Whether a return of `fn` is an activation's output as it is (`return F.log_softmax(x, 1)`): a prediction, no loss. */
function returnsActivation(fn: FunctionIR): boolean {
  for (const s of stmtsOf(fn.body)) if (s.k === 'return' && s.value?.k === 'call' && /^(softmax|log_softmax|sigmoid|logsigmoid|log)$/.test(s.value.op?.id ?? '')) return true;
  return false;
}

/** A creating op (a log, an exponential, an activation, a loss), or a logarithm to another base (`log2(p)`: an entropy in bits). */
function logOrCreating(op: NonNullable<Extract<Expr, { k: 'call' }>['op']>): boolean {
  return isCreatingOp(op) || op.id === 'log2' || op.id === 'log10';
}

/** Whether the module imports numpy (or HIPS autograd's numpy, or scipy) and no other framework. */
function numpyModule(mod: ModuleIR): boolean {
  const fws = new Set([...mod.imports.values()].map(frameworkOfName).filter((x) => x));
  return fws.size === 1 && fws.has('numpy');
}

function usesNumpy(fn: FunctionIR, byName: ReadonlyMap<string, FunctionIR>): boolean {
  for (const e of callsOf(fn, byName)) {
    // numpy on shapes and constants (np.prod(x.shape)) computes no value of the loss; jax.scipy is JAX.
    // scipy's functions that are no op of the table (scipy.misc.derivative) compute with numpy too.
    if ((e.spell?.framework === 'numpy' || (!e.spell && /^scipy\./.test(e.callee ?? ''))) && !/^(jax|tensorflow|keras|torch)\./.test(e.callee ?? '') && !shapeArithmetic(e)) return true;
  }
  return false;
}


/**
 * Whether a function (and the helpers it calls) computes with no framework but numpy: none of its
 * calls is an op of PyTorch, TensorFlow / Keras or JAX. A function mixing them is probed as its other
 * framework's, and numpy is refused there on the probe's tensors.
 */
function onlyNumpy(fn: FunctionIR, byName: ReadonlyMap<string, FunctionIR>): boolean {
  for (const e of callsOf(fn, byName)) {
    const fw = e.spell ? (e.spell.framework === 'tf' || e.spell.framework === 'keras' ? 'tf/keras' : e.spell.framework === 'lib' ? undefined : e.spell.framework) : e.callee ? frameworkOfName(e.callee) : undefined;
    // A tensor method (`x.sum()`, spelled as PyTorch's) is an ndarray method in numpy code.
    if (fw && fw !== 'numpy' && !(e.spell?.kind === 'method')) return false;
  }
  return true;
}

interface KeywordReads {
  /** Keyword -> the attributes called on it, or undefined when it is also used otherwise. */
  keys: Map<string, Set<string> | undefined>;
  /** The functions that read them: for each, which keyword an expression is (`kwargs['k']`, or a local bound to it). */
  readers: Map<FunctionIR, (e: Expr) => string | undefined>;
}

/**
 * The keywords a function reads from its `**kwargs` by subscript (`backend = kwargs['backend']`:
 * Python raises KeyError without them), itself and in the module's functions it passes `**kwargs`
 * on to, each with the attributes called on it (`backend.mean(...)`); a keyword also used otherwise
 * than as the receiver of calls has no attribute set (`undefined`).
 */
function readKeywords(fn: FunctionIR, byName: ReadonlyMap<string, FunctionIR>): KeywordReads {
  const out = new Map<string, Set<string> | undefined>();
  const readers = new Map<FunctionIR, (e: Expr) => string | undefined>();
  const seen = new Set<FunctionIR>();
  const visit = (g: FunctionIR): void => {
    if (seen.has(g)) return;
    seen.add(g);
    const kw = g.params.find((p) => p.kind === 'kwstar')?.name;
    if (!kw) return;
    const keyOf = (e: Expr): string | undefined => (e.k === 'subscript' && e.obj.k === 'name' && e.obj.id === kw && e.index.length === 1 && e.index[0].k === 'str' ? e.index[0].value : undefined);
    // Locals bound to a keyword, then every use of them.
    const local = new Map<string, string>();
    readers.set(g, (e) => (e.k === 'name' ? local.get(e.id) : keyOf(e)));
    for (const s of stmtsOf(g.body)) {
      if (s.k !== 'assign' || s.aug || s.targets.length !== 1 || s.targets[0].k !== 'name') continue;
      const key = keyOf(s.value);
      if (key !== undefined) local.set(s.targets[0].id, key);
    }
    const note = (key: string, attr: string | undefined): void => {
      if (!out.has(key)) out.set(key, new Set());
      const set = out.get(key);
      if (!set) return;
      if (attr === undefined) out.set(key, undefined);
      else set.add(attr);
    };
    for (const s of stmtsOf(g.body)) {
      for (const r of stmtRoots(s)) {
        const all = walkExprs(r);
        // A name or subscript that is the receiver of a called attribute is a module's use.
        const receivers = new Set<Expr>();
        for (const e of all) {
          if (e.k !== 'call') continue;
          if (e.func.k === 'attr') {
            const o = e.func.obj;
            const key = o.k === 'name' ? local.get(o.id) : keyOf(o);
            if (key !== undefined) {
              receivers.add(o);
              note(key, e.func.attr);
            }
          }
          // `helper(x, **kwargs)`: the helper reads the same keywords.
          const callee = e.func.k === 'name' ? byName.get(e.func.id) : undefined;
          if (callee && e.kwsplat?.k === 'name' && e.kwsplat.id === kw) visit(callee);
        }
        // The binding itself (`backend = kwargs['backend']`) is no use of the value.
        const binding = s.k === 'assign' && keyOf(r) !== undefined ? r : undefined;
        for (const e of all) {
          if (receivers.has(e) || e === binding) continue;
          const key = e.k === 'name' ? local.get(e.id) : keyOf(e);
          if (key !== undefined) note(key, undefined);
        }
      }
    }
  };
  visit(fn);
  return { keys: out, readers };
}

/** A deep copy of IR, sharing the op table's objects (ops, spellings). */
function copyIR<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copyIR) as T;
  if (v === null || typeof v !== 'object' || v instanceof Map || Object.getPrototypeOf(v) !== Object.prototype) return v;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = k === 'op' || k === 'spell' || k === 'span' || k === 'nameSpan' ? x : copyIR(x);
  return o as T;
}

/**
 * The abstract facts of `fn` with its injected modules resolved: copies of the functions that read
 * them, each call on a keyword's value made the module's function (`backend.log(pr)` is
 * `keras.backend.log(pr)`, not a tensor method of `backend`), interpreted as the module's others are.
 */
function factsWithModules(mod: ModuleIR, fn: FunctionIR, reads: KeywordReads, modules: Map<string, string>, stop?: () => true): ReturnType<ModuleFacts['functions']['get']> {
  const copies = new Map<FunctionIR, FunctionIR>();
  for (const [g, keyOf] of reads.readers) {
    const c = copyIR(g);
    copies.set(g, c);
    for (const s of stmtsOf(c.body))
      for (const r of stmtRoots(s))
        for (const e of walkExprs(r)) {
          if (e.k !== 'call' || e.func.k !== 'attr') continue;
          const key = keyOf(e.func.obj);
          const m = key !== undefined ? modules.get(key) : undefined;
          const spell = m ? resolveQualified(`${m}.${e.func.attr}`) : undefined;
          if (!spell) continue;
          const call = e as Extract<Expr, { k: 'call' }>;
          call.callee = `${m}.${e.func.attr}`;
          call.method = undefined;
          if (spell.kind === 'method') continue;
          call.op = spell.op;
          call.spell = spell;
          call.bound = bindCall(spell, call.args, call.kwargs, (items: Expr[]): Expr => ({ k: 'tuple', items, list: false, span: call.span }));
        }
  }
  try {
    const facts = interpretModule({ ...mod, functions: mod.functions.map((g) => copies.get(g) ?? g) }, stop);
    return facts.functions.get(copies.get(fn) ?? fn);
  } catch (e) {
    if (e instanceof PlanStopped) throw e;
    return undefined;
  }
}

/** A function that looks like a loss and is not probed, and why (`losslint probe --coverage`). */
export interface PlanSkip {
  qualname: string;
  reason: string;
}

/** Whether a function's name says it is a loss (what `--coverage` counts beside the planned ones). */
export const LOSS_NAME = /loss|focal|criterion|entropy|xent|bce|dice/i;

/** The frameworks a coverage report tells apart (tf and keras together). */
export type CoverageFramework = 'torch' | 'tf/keras' | 'jax' | 'numpy' | 'other';

/** The framework a qualified name belongs to (`keras.backend.mean` -> tf/keras). */
function frameworkOfName(name: string): CoverageFramework | undefined {
  return /^torch\b/.test(name) ? 'torch' : /^(tensorflow|keras|tf_keras)\b/.test(name) ? 'tf/keras' : /^(jax|flax|optax|haiku)\b/.test(name) ? 'jax' : /^(numpy|scipy|autograd)\b/.test(name) ? 'numpy' : undefined;
}

/**
 * The framework a function computes with: the one most of its ops (its own and its helpers') are
 * spelled in, else what the module imports (`losslint probe --coverage`).
 */
export function frameworkOf(fn: FunctionIR, mod: ModuleIR, byName: ReadonlyMap<string, FunctionIR> = callableByName(mod)): CoverageFramework {
  const counts = new Map<CoverageFramework, number>();
  const classify = frameworkOfName;
  // A tensor method (`x.sum(axis=...)`) is spelled once, as PyTorch's: it says PyTorch only in a module importing torch.
  const torch = [...mod.imports.values()].some((q) => classify(q) === 'torch');
  for (const e of callsOf(fn, byName)) {
    if (e.method && e.spell?.framework === 'torch' && !torch) continue;
    const fw = e.spell ? (e.spell.framework === 'tf' || e.spell.framework === 'keras' ? 'tf/keras' : e.spell.framework === 'lib' ? undefined : e.spell.framework) : e.callee ? classify(e.callee) : undefined;
    if (fw) counts.set(fw, (counts.get(fw) ?? 0) + 1);
  }
  let best: CoverageFramework | undefined;
  for (const [fw, n] of counts) if (!best || n > counts.get(best)!) best = fw;
  if (best) return best;
  const imported = [...mod.imports.values()].map(classify);
  for (const fw of ['torch', 'tf/keras', 'jax', 'numpy'] as const) if (imported.includes(fw)) return fw;
  return 'other';
}

/**
 * Whether a parameter is read only as a gradient-boosting dataset's labels: every use of it in the
 * function is `p.get_label()` or `p.label` (LightGBM's Dataset, XGBoost's DMatrix), and there is one.
 */
export function readsLabelsOnly(fn: FunctionIR, name: string): boolean {
  const labelRead = new Set<Expr>();
  const names: Expr[] = [];
  for (const s of stmtsOf(fn.body))
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) {
        if (e.k === 'attr' && e.obj.k === 'name' && e.obj.id === name && e.attr === 'label') labelRead.add(e.obj);
        else if (e.k === 'call' && e.func.k === 'attr' && e.func.obj.k === 'name' && e.func.obj.id === name && e.func.attr === 'get_label' && e.args.length === 0) labelRead.add(e.func.obj);
        else if (e.k === 'name' && e.id === name) names.push(e);
      }
  return labelRead.size > 0 && names.every((e) => labelRead.has(e));
}

/** Whether a call's arguments are shapes, sizes or literals only (`np.prod(t.shape[:-1])`, `np.log(2)`). */
function shapeArithmetic(e: Extract<Expr, { k: 'call' }>): boolean {
  const ok = (x: Expr): boolean => {
    switch (x.k) {
      case 'num':
      case 'str':
      case 'const':
        return true;
      case 'attr':
        return ['shape', 'ndim', 'size', 'dtype'].includes(x.attr);
      case 'subscript':
        return ok(x.obj);
      case 'tuple':
        return x.items.every(ok);
      case 'bin':
        return ok(x.left) && ok(x.right);
      case 'unary':
        return ok(x.operand);
      case 'call':
        return x.func.k === 'name' && x.func.id === 'len';
      default:
        return false;
    }
  };
  const args = [...e.args, ...Object.values(e.kwargs)];
  return args.length > 0 && args.every(ok);
}

/** Whether `fn` squeezes dim 1 of its parameter `target` (`target.squeeze(1)`, `t.long().squeeze(dim=1)`, `torch.squeeze(target, 1)`). */
function squeezesChannel(fn: FunctionIR, target: string): boolean {
  const root = (e: Expr): string | undefined => (e.k === 'name' ? e.id : e.k === 'call' && e.func.k === 'attr' ? root(e.func.obj) : e.k === 'attr' ? root(e.obj) : undefined);
  const one = (e: Expr | undefined): boolean => e?.k === 'num' && e.value === 1;
  for (const s of stmtsOf(fn.body))
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) {
        if (e.k !== 'call') continue;
        if (e.func.k === 'attr' && e.func.attr === 'squeeze' && root(e.func.obj) === target && (one(e.args[0]) || one(e.kwargs.dim))) return true;
        if (e.callee === 'torch.squeeze' && e.args[0] && root(e.args[0]) === target && (one(e.args[1]) || one(e.kwargs.dim))) return true;
      }
  return false;
}

/**
 * The string keys a parameter is read at, when the function reads it only as a mapping
 * (`out["scores"]`, `"targets" in batch`); undefined when some read uses it otherwise.
 */
export function mappingKeys(fn: FunctionIR, name: string): string[] | undefined {
  const keys = new Set<string>();
  let reads = 0;
  let keyed = 0;
  for (const s of stmtsOf(fn.body))
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) {
        if (e.k === 'name' && e.id === name) reads++;
        else if (e.k === 'subscript' && e.obj.k === 'name' && e.obj.id === name && e.index.length === 1 && e.index[0].k === 'str') {
          keys.add(e.index[0].value);
          keyed++;
        } else if (e.k === 'cmp' && e.ops.length === 1 && /^(not\s+)?in$/.test(e.ops[0]) && e.operands[1]?.k === 'name' && e.operands[1].id === name && e.operands[0].k === 'str') keyed++;
      }
  return keys.size > 0 && reads === keyed ? [...keys] : undefined;
}

/**
 * The dicts the probes pass the prediction and target parameters the function reads as mappings: the
 * key whose name says the role (or the only key) holds the tensor, a weight or mask key ones; a
 * string when a key has no value the probes could give (the reason).
 */
function mappedRoles(fn: FunctionIR, input: string, target: string, modelKeys: Record<string, string[]> = {}): CheckPlan['mapped'] | string | undefined {
  const out: NonNullable<CheckPlan['mapped']> = {};
  for (const [p, role, re] of [
    [input, 'prediction', PRED_NAME],
    [target, 'target', TARGET_NAME],
  ] as const) {
    const keys = mappingKeys(fn, p);
    if (!keys) continue;
    const named = keys.filter((k) => re.test(k));
    const main = keys.length === 1 ? keys[0] : named.length === 1 ? named[0] : undefined;
    if (!main) return `the ${role} \`${p}\` is a mapping read at ${keys.map((k) => JSON.stringify(k)).join(', ')}: none is its ${role} by name`;
    // A key only the model's run reads (`batch["image"]`, the stand-in's input) holds a value nothing else reads.
    const forModel = modelKeys[p] ?? [];
    const other = keys.find((k) => k !== main && !WEIGHT_NAME.test(k) && !forModel.includes(k));
    if (other) return `the ${role} \`${p}\` is a mapping also read at ${JSON.stringify(other)}, which the probes have no value for`;
    out[p] = Object.fromEntries(keys.map((k) => [k, k === main ? 'tensor' : forModel.includes(k) ? 'model_input' : 'ones']));
  }
  return Object.keys(out).length ? out : undefined;
}

/** Whether `fn` reads `name`'s last axis as labels and one trailing column: `name[..., :-1]` and `name[..., -1]`. */
export function slicesTrailingColumn(fn: FunctionIR, name: string): boolean {
  const minusOne = (e: Expr | undefined): boolean => !!e && ((e.k === 'num' && e.value === -1) || (e.k === 'unary' && e.op === '-' && e.operand.k === 'num' && e.operand.value === 1));
  let labels = false;
  let column = false;
  for (const s of stmtsOf(fn.body))
    for (const r of stmtRoots(s))
      for (const e of walkExprs(r)) {
        if (e.k !== 'subscript' || e.obj.k !== 'name' || e.obj.id !== name || e.index.length < 2) continue;
        const last = e.index[e.index.length - 1];
        if (last.k === 'slice' && !last.lower && !last.step && minusOne(last.upper)) labels = true;
        else if (minusOne(last)) column = true;
      }
  return labels && column;
}

/**
 * Whether a module's own top-level statements (not those under an `if`, as `if __name__ ==
 * "__main__":`'s demo, nor its functions) call an op that computes a cross-entropy or a focal loss:
 * the loss is computed by the script itself, on values it makes, and `--coverage` says why it is not probed.
 */
function moduleComputesLoss(fn: FunctionIR): boolean {
  for (const s of fn.body) {
    if (s.k !== 'assign' && s.k !== 'expr') continue;
    for (const r of stmtRoots(s)) for (const e of walkExprs(r)) if (e.k === 'call' && e.op && LOSS_OPS.test(e.op.id)) return true;
  }
  return false;
}

/** Whether a function returns a function (a factory: `def focal(gamma): def loss(y, p): ...; return loss`). */
function returnsFunction(fn: FunctionIR): boolean {
  const local = new Set<string>();
  let found = false;
  const visit = (ss: readonly Stmt[]): void => {
    for (const s of ss) {
      if (s.k === 'def') local.add(s.fn.name);
      else if (s.k === 'return' && s.value && (s.value.k === 'lambda' || (s.value.k === 'name' && local.has(s.value.id)) || (s.value.k === 'call' && s.value.callee === 'functools.partial'))) found = true;
      else if (s.k === 'if') {
        visit(s.body);
        visit(s.orelse);
      } else if (s.k === 'other') visit(s.body);
    }
  };
  visit(fn.body);
  return found;
}

/**
 * Plans the checks of a module: the loss-like functions and their roles.
 * `stop`, when given, is asked before each function (the abstract interpreter's and the plan's):
 * when it answers true, planning throws PlanStopped (the worker's cancel flag: a plan takes some
 * 60-100 ms of a 3,000-line module).
 */
export function planModule(mod: ModuleIR, facts?: ModuleFacts, stop?: () => boolean, skipped?: PlanSkip[]): CheckPlan[] {
  const check = (): true => {
    if (stop?.()) throw new PlanStopped();
    return true;
  };
  let f = facts;
  if (!f) {
    try {
      f = interpretModule(mod, stop ? check : undefined);
    } catch (e) {
      if (e instanceof PlanStopped) throw e;
      f = undefined;
    }
  }
  const plans: CheckPlan[] = [];
  // The top-level functions a check can run: the concrete interpreter finds one by name (the first
  // defined, eval.ts `name`).
  const topLevel = new Map<string, FunctionIR>();
  for (const g of mod.functions) if (!g.className && !g.parent && !topLevel.has(g.name)) topLevel.set(g.name, g);
  // Functions by the name a call uses: top-level ones, and methods as `.name` (for `self.name(...)`).
  const callable = callableByName(mod);
  // What many keys hold is hashed once: the module's globals and imports, and each function.
  let moduleHash: string | undefined;
  let fromGlobals: FunctionIR[] | undefined;
  const functionHash = new Map<FunctionIR, string>();
  const hashOf = (h: FunctionIR): string => {
    let j = functionHash.get(h);
    if (j === undefined) functionHash.set(h, (j = contentKey([h.name, h.params, h.body])));
    return j;
  };
  for (const written of mod.functions) {
    check();
    // Roles packed in one parameter (`def get_loss(args): y_pred, y_true = args`): planned on the unpacked view (packed-args.ts).
    const packed = written.inline || written.isModule ? undefined : packedArgs(written);
    // A TensorFlow graph-mode loss (placeholders, a model's output; graph-loss.ts): planned on its view.
    const graphed = packed ? undefined : graphLoss(written, mod);
    if (graphed && 'refused' in graphed) {
      // Counted where the function would be (named as a loss), or the script's own code.
      if (written.isModule || (LOSS_NAME.test(written.qualname) && !returnsFunction(written))) skipped?.push({ qualname: written.qualname, reason: graphed.refused });
      continue;
    }
    const graph = graphed ? { loss: graphed.loss, prediction: graphed.prediction, target: graphed.target } : undefined;
    const fn = packed ? unpackedView(written, packed) : graphed ? graphed.view : written;
    // The view's facts: the module interpreted with it beside the functions it was read from.
    let graphFacts: ReturnType<ModuleFacts['functions']['get']>;
    if (graphed) {
      try {
        graphFacts = interpretModule({ ...mod, functions: [...mod.functions, graphed.view] }, stop ? check : undefined).functions.get(graphed.view);
      } catch (e) {
        if (e instanceof PlanStopped) throw e;
      }
    }
    if (fn.isModule && skipped && moduleComputesLoss(fn)) skipped.push({ qualname: fn.qualname, reason: 'module-level code computes the loss (a script): no function whose parameters the probes could give' });
    if (fn.inline || fn.isModule) continue;
    // What --coverage counts: a function whose name says loss, unless it only builds one (a factory).
    const skip = (reason: string): void => {
      if (skipped && LOSS_NAME.test(fn.qualname) && !returnsFunction(fn)) skipped.push({ qualname: fn.qualname, reason });
    };
    // A name nothing binds, read on every call (of the function, or of the `__init__` that builds its
    // instance): Python raises NameError there whatever the arguments, which says more than a value
    // the probes lack (unbound.ts).
    const nameError = (): string | undefined => {
      const c = fn.className ? mod.classes.get(fn.className) : undefined;
      for (const g of [...(c ? [initOf(c, mod)] : []), fn]) {
        const u = g && alwaysUnbound(g, mod);
        if (u) return `${u.message} (line ${u.line + 1}${g !== fn ? `, in ${g.qualname}` : ''}): every call raises there, whatever its arguments`;
      }
      return undefined;
    };
    // Methods: forward / call / __call__, the public methods named as losses or of a class named as
    // one, and the others whose parameters name a prediction and a target (`error(self, y_true, y_pred)`).
    const otherMethod = !!fn.className && !['forward', '__call__', 'call'].includes(fn.name) && !(LOSS_NAME.test(fn.name) || LOSS_NAME.test(fn.className));
    /** Whether the method's required parameters (after `self`) name a prediction and a target. */
    const namesRoles = (g: FunctionIR): boolean => {
      const ps = g.params.filter((p) => p.kind === 'plain' && !p.default).slice(1);
      return ps.some((p) => PRED_NAME.test(p.name) && p.name !== 'x') && ps.some((p) => TARGET_NAME.test(p.name) && p.name !== 'y');
    };
    // A private helper named as a loss (`_label_loss`): its class's public methods that call it are
    // probed, and it is said why it is not; one that names a prediction and a target and that no
    // public method calls (`_loss_function(self, logits, labels)`, run from private training steps)
    // is where the loss is computed, and an entry itself (private-entry.ts).
    const privateEntry = !!fn.className && /^_[^_]/.test(fn.name) && LOSS_NAME.test(fn.name) && namesRoles(fn) && !publicCallers(fn, mod).length;
    if (fn.className && fn.name.startsWith('_') && fn.name !== '__call__' && !privateEntry) {
      if (!fn.name.startsWith('__') && LOSS_NAME.test(fn.name)) {
        const callers = publicCallers(fn, mod);
        skip(callers.length ? `a private method: ${callers.map((c) => `\`${c}\``).join(', ')} of its class call${callers.length > 1 ? '' : 's'} it and ${callers.length > 1 ? 'are the entry points' : 'is the entry point'}` : "a private method (its class's public methods are the entry points)");
      }
      continue;
    }
    if (otherMethod) {
      const ps = fn.params.filter((p) => p.kind === 'plain' && !p.default).slice(1);
      if (!(ps.some((p) => PRED_NAME.test(p.name) && p.name !== 'x') && ps.some((p) => TARGET_NAME.test(p.name) && p.name !== 'y'))) {
        skip('a method other than forward, call or __call__');
        continue;
      }
    }
    // After the filters above: a helper or `__init__` with a syntax error is no entry point either.
    if (fn.hasError) {
      skip('syntax error (the function does not parse as Python)');
      continue;
    }
    // numpy has no autograd: a function computing with numpy (no op of another framework) is probed for
    // its values only (`valuesOnly`); one of another framework that calls numpy is probed as usual,
    // and the evaluator refuses numpy on a tensor computed from the probe's inputs (eval.ts lowerOp).
    // So is one of a module whose only framework is numpy, that computes with operators and array
    // methods alone (`((p - t) ** 2).mean()`): its arrays are numpy's.
    const valuesOnly = (usesNumpy(fn, callable) || numpyModule(mod)) && onlyNumpy(fn, callable);
    const cls = fn.className ? mod.classes.get(fn.className) : undefined;
    const init = cls ? initOf(cls, mod) : undefined;
    const chain = owners(fn, mod);
    const params = fn.params.filter((p) => p.kind === 'plain').slice(fn.className ? 1 : 0);
    // The prediction and the target are among the required parameters that are not hyperparameters
    // (a parameter used as class indices is a role whatever its annotation says: `y_true: int`).
    // A JAX key passed in (`rng`, only drawn with, split or given to a model's run as its `rngs`) is neither role (jax-keys.ts).
    const required = params.filter((p) => (!p.default || typeDefault(p.default)) && (!notRole(p) || indexesClasses(p.name, fn)) && !jaxKeyParam(p.name, fn));
    // Modules injected by keyword (`backend = kwargs['backend']`): the facts read their calls as the module's.
    const reads = readKeywords(fn, callable);
    const injected = new Map<string, ReturnType<typeof injectedModule>>();
    for (const [key, attrs] of reads.keys) injected.set(key, injectedModule(attrs));
    const modules = new Map<string, string>();
    for (const [key, r] of injected) if ('module' in r) modules.set(key, r.module);
    const ff = graphed ? graphFacts : modules.size ? factsWithModules(mod, fn, reads, modules, stop ? check : undefined) : f?.functions.get(fn);
    const m = (n: string) => ff?.params.get(n);
    // A scalar hyperparameter by its use (`if t == 1.0:`, an exponent) is neither role, whatever the facts guess of `t == 1`.
    let input = required.find((p) => ['logits', 'prob'].includes(m(p.name)?.m ?? '') && !scalarHyper(p.name, fn, mod))?.name;
    let target = required.find((p) => ['target', 'target_index', 'target_onehot'].includes(m(p.name)?.m ?? '') && !scalarHyper(p.name, fn, mod))?.name;
    // A name says a role only of a parameter its use does not make a scalar hyperparameter (`t` compared
    // with 1.0 in an `if`, the exponent of a power: a temperature, not the targets).
    if (!input) input = required.find((p) => PRED_NAME.test(p.name) && p.name !== target && !scalarHyper(p.name, fn, mod))?.name;
    if (!target) target = required.find((p) => TARGET_NAME.test(p.name) && p.name !== input && !scalarHyper(p.name, fn, mod))?.name;
    // Parameters read only as mappings (`model_output["scores"]`, `sample_list["targets"]`): the keys
    // tell the roles the parameters' names do not.
    const keysOf = new Map(required.map((p) => [p.name, mappingKeys(fn, p.name)] as const));
    if (!input) input = required.find((p) => p.name !== target && keysOf.get(p.name)?.some((k) => PRED_NAME.test(k)))?.name;
    if (!target) target = required.find((p) => p.name !== input && keysOf.get(p.name)?.some((k) => TARGET_NAME.test(k)))?.name;
    // Keras spells (y_true, y_pred): names decide; otherwise the first two required parameters.
    // A detection loss (anchors, box annotations): its box inputs are no logits or class targets, and the probes make none.
    const boxes = (): string | undefined => {
      const held = [...required.map((p) => ({ g: fn, name: p.name })), ...chain.flatMap((g) => g.params.filter((p) => p.kind === 'plain' && !p.default).slice(g.className ? 1 : 0).map((p) => ({ g, name: p.name })))].filter((p) => holdsBoxes(p.name, p.g, mod));
      // A list of per-image dicts read at a key no use lays out (entry-inputs.ts `imageDicts`).
      const opaque = held.find((p) => imageDicts(p.name, p.g, mod) === null);
      if (opaque) return `a detection loss: \`${opaque.name}\` is a list of per-image dicts read at a key whose use tells neither boxes nor their classes (only \`t["boxes"]\`-style keys read as boxes, or taken at computed indices, are generated)`;
      return held.length ? `a detection loss: ${held.map((p) => `\`${p.name}\``).join(', ')} ${held.length > 1 ? 'hold' : 'holds'} boxes (coordinate columns differenced or sliced \`[:, :4]\`), which the probes do not generate` : undefined;
    };
    // A detection loss: the required parameters whose uses show boxes get generated boxes (their
    // layout read from their uses); the prediction is the other parameter the facts or its name call
    // one, else the only one whose values reach a creating op (per-anchor class scores: clamped,
    // logged, an activation's); any further one read with the prediction's subscript rank
    // (`regressions[j, :, :]` beside `classifications[j, :, :]`) gets box offsets. No parameter takes
    // the probes' targets: the function derives its own from the boxes. Boxes reaching `__init__` or a
    // factory, or a parameter read otherwise, keep the refusal.
    let detection: Record<string, Fill> | undefined;
    const boxParams = required.filter((p) => holdsBoxes(p.name, fn, mod));
    const initBoxes = chain.some((g) => g.params.filter((p) => p.kind === 'plain' && !p.default).slice(g.className ? 1 : 0).some((p) => holdsBoxes(p.name, g, mod)));
    if (boxParams.length && !initBoxes) {
      const rest = required.filter((p) => !boxParams.includes(p));
      const scores = rest.filter((p) => reachesCreatingOp(p.name, fn, mod));
      const pi = rest.find((p) => ['logits', 'prob'].includes(m(p.name)?.m ?? '')) ?? rest.find((p) => PRED_NAME.test(p.name)) ?? (scores.length === 1 ? scores[0] : undefined);
      const rank = pi ? boxUse(pi.name, fn, mod).rank : undefined;
      // The class of each ground-truth box, image by image (`labels = gt_labels[i]`; `labels[matched]`): generated with the boxes.
      const labelled = new Map(rest.filter((p) => p !== pi).map((p) => [p.name, boxLabels(p.name, fn, mod)] as const));
      const others = rest.filter((p) => p !== pi && !labelled.get(p.name));
      // A parameter the facts or its name call a target is no box offsets: the refusal stays.
      const targetLike = others.some((p) => ['target', 'target_index', 'target_onehot'].includes(m(p.name)?.m ?? '') || TARGET_NAME.test(p.name));
      // Read image by image beside the prediction (`regressions[j]` where `classifications[j]`): a second per-anchor prediction too.
      const images = pi ? imageIndices(pi.name, fn, mod) : new Set<string>();
      const besideScores = (p: FunctionIR['params'][number]): boolean => (!!rank && boxUse(p.name, fn, mod).rank === rank) || [...imageIndices(p.name, fn, mod)].some((i) => images.has(i));
      // Targets as per-image dicts (`t["boxes"]`, `t["labels"]`): each key as its uses read it; a key read otherwise keeps the refusal.
      const dicts = new Map(boxParams.map((p) => [p.name, imageDicts(p.name, fn, mod)] as const));
      if (pi && !targetLike && others.every(besideScores) && ![...dicts.values()].includes(null)) {
        detection = {};
        for (const p of required) {
          let spec: BoxFill | undefined;
          const d = dicts.get(p.name);
          const lab = labelled.get(p.name);
          if (d) spec = d;
          else if (lab) spec = { labels: true, ...(lab.perImage ? { rank: 2 } : {}) };
          else if (boxParams.includes(p)) {
            const u = boxUse(p.name, fn, mod);
            // Beside their classes, the boxes read image by image are the ground truth (the anchors are every image's).
            const truth = u.columns > 4 || u.padding || ([...labelled.values()].some(Boolean) && imageIndices(p.name, fn, mod).size > 0);
            spec = { boxes: truth ? 'truth' : 'rows', columns: u.columns, padding: u.padding, ...(u.rank ? { rank: u.rank } : {}) };
          } else if (p !== pi) spec = { offsets: 4 };
          if (spec) detection[p.name] = { value: spec, why: `${describeBoxes(spec)}: generated, the function's uses read it as ${'offsets' in spec ? 'the prediction is read (a second per-anchor prediction)' : 'images' in spec ? 'a list of per-image dicts read at these keys' : 'labels' in spec ? 'the class of each box (taken at the box each anchor is matched to)' : 'boxes'}; assumed, no canonical comparison`, assumed: true };
        }
        input = pi.name;
        target = undefined;
      }
    }
    // A per-example loss (`def loss(label: int, logit: float)`): its prediction or its target is
    // annotated as one Python number, so neither is among the tensors the roles are chosen from. Its
    // caller maps it over a batch (`jax.vmap(loss)(labels, logits)`): the probes do the same, the
    // roles chosen among the required parameters with those annotations counted in.
    let perExample: string[] | undefined;
    let scalarPrediction = false;
    let oneInput = false;
    if (!input || !target) {
      const numbers = params.filter((p) => !p.default && NUMBER_ANNOTATION.test(p.annotation?.replace(/\s+/g, '') ?? '') && !hyperish(p.name));
      const widened = params.filter((p) => required.includes(p) || numbers.includes(p));
      if (numbers.length && widened.length === 2 && !fn.className && !fn.parent) {
        const pi = widened.find((p) => ['logits', 'prob'].includes(m(p.name)?.m ?? '') || PRED_NAME.test(p.name));
        const ti = widened.find((p) => p !== pi && (['target', 'target_index', 'target_onehot'].includes(m(p.name)?.m ?? '') || TARGET_NAME.test(p.name)));
        // One example each: both annotated as numbers (`label: int, logit: float`), or the target one
        // example's class (`one_hot(label, n)`, `logits[label]`); a batch loss's int parameter is neither.
        const each = pi && ti && numbers.includes(ti) && (numbers.includes(pi) || classOfExample(ti.name, fn, pi.name));
        if (pi && ti && each) {
          input = pi.name;
          target = ti.name;
          perExample = [input, target];
          scalarPrediction = numbers.includes(pi);
        }
      }
    }
    // A model the function runs once (`logits = model(batch["image"])`, `net.apply(params, x)`): the
    // checker judges the loss's math on the prediction, so the model is stood in by the probe's
    // prediction where its one run's output is the prediction and the loss reads the target itself
    // (never given to the model: its output could then be the loss). Where the roles are found
    // otherwise and the prediction is not only the model's input (a loss module called on the
    // prediction and the target), nothing changes.
    let standIn: ModelStandIn | undefined;
    let standInWhy: string | undefined;
    // The parameter of a model run the probes could not stand in (its refusal, `standInWhy`, says why).
    let refusedModel: string | undefined;
    // A closure whose target is its enclosing function's parameter (flax's `def train_step(state,
    // batch): def loss_fn(params): logits = state.apply_fn({"params": params}, batch["image"]); ...
    // batch["label"]`): the probes give the enclosing function that parameter (`CheckPlan.outerTarget`).
    let outerTarget: string | undefined;
    const enclosing = fn.parent && fn.parent !== "<module>" ? chain.find((g) => g.qualname === fn.parent) : undefined;
    const outer = enclosing ? outerParams(fn, enclosing).filter((o) => enclosing.params.some((p) => p.kind === 'plain' && p.name === o && !p.default)) : [];
    if (!perExample) {
      const unset = params.filter((p) => !p.default);
      // `.apply(params, x)` is a forward pass in JAX (flax, haiku), not PyTorch's `Module.apply(fn)`.
      const imported = [...mod.imports.values()].map(frameworkOfName);
      const jaxApply = frameworkOf(fn, mod, callable) === 'jax' || (imported.includes('jax') && !imported.includes('torch'));
      const si = modelStandIn(fn, unset.map((p) => p.name), jaxApply, outer, mod);
      if (si && 'refused' in si) {
        standInWhy = si.refused;
        refusedModel = si.param;
      }
      else if (si && !(target && si.inputs.includes(target)) && (!input || !target || si.inputs.includes(input) || input === si.param)) {
        const rest = required.filter((p) => p.name !== si.param && !si.inputs.includes(p.name));
        let t = target && rest.some((p) => p.name === target) ? target : undefined;
        t ??= rest.find((p) => ['target', 'target_index', 'target_onehot'].includes(m(p.name)?.m ?? ''))?.name ?? rest.find((p) => TARGET_NAME.test(p.name))?.name ?? rest.find((p) => keysOf.get(p.name)?.some((k) => TARGET_NAME.test(k)))?.name;
        if (!t && rest.length === 1) t = rest[0].name;
        // None of its own: the enclosing function's parameter the closure reads as its target (by its name, or a key's).
        let fromOuter = false;
        if (!t && !rest.length) {
          const cands = outer.filter((o) => !si.inputs.includes(o));
          t = cands.find((o) => TARGET_NAME.test(o)) ?? cands.find((o) => mappingKeys(fn, o)?.some((k) => TARGET_NAME.test(k)));
          fromOuter = !!t;
        }
        const given = t && (si.keys[t]?.some((k) => TARGET_NAME.test(k)) || si.passed.includes(t));
        if (t && !given) {
          input = si.param;
          target = t;
          standIn = si;
          if (fromOuter) outerTarget = enclosing!.qualname;
        } else standInWhy = given ? `the model's run (${si.shown}) is given the target (\`${t}\`): its output may be the loss, not a prediction the probes could stand in` : `the model's run (${si.shown}) could be stood in by the probe's prediction, but no parameter the loss reads is its target`;
      } else if (si && target && si.inputs.includes(target) && !(input && !si.inputs.includes(input))) standInWhy = `the model's run (${si.shown}) is given the target (\`${target}\`): its output may be the loss, not a prediction the probes could stand in`;
    }
    // Why no roles, where the signature says it: a model run on a batch, or roles packed in `*args`.
    const unrolled = (): string | undefined => {
      if (standInWhy) return standInWhy;
      const model = modelParam(fn, required.map((p) => p.name));
      if (model) return `the prediction comes from a model the function runs: ${model}; the probes give a prediction, never a model`;
      const star = fn.params.find((p) => p.kind === 'star');
      if (star && required.length < 2) return `the prediction or the target comes through \`*${star.name}\` (unpacked in the body), which the probes do not fill`;
      return undefined;
    };
    // A linear model's weights and biases taken as parameters (`jnp.dot(X, W) + b`; linear-model.ts):
    // neither role. Over a parameter's data, that parameter is the prediction (the weights then the
    // identity, the biases 0: its scores are the probe's prediction); over the module's own data, the
    // file fixes the loss's inputs, and the probes, which give a prediction and targets, refuse it.
    const lin = !detection && !perExample && !standIn ? linearModel(fn, mod, required.map((p) => p.name)) : undefined;
    const linParams = new Set(lin ? [...lin.weights, ...lin.biases].filter((n) => n !== target) : []);
    if (lin && 'param' in lin.data && lin.data.param !== target && (!input || linParams.has(input))) input = lin.data.param;
    else if (lin && 'global' in lin.data && (!input || linParams.has(input)) && required.every((p) => linParams.has(p.name))) {
      const ws = [...lin.weights, ...lin.biases].map((n) => `\`${n}\``).join(', ');
      skip(nameError() ?? `the parameters (${ws}) are a linear model's weights over the module's own data (\`${lin.shown}\`, \`${lin.data.global}\` set at module level): the file fixes the loss's inputs and targets; the probes give a prediction and its targets, not a model's weights`);
      continue;
    }
    if (lin && 'param' in lin.data) for (const n of linParams) if (n === input) linParams.delete(n);
    if (!detection && (!input || !target)) {
      // A scalar hyperparameter (only Python arithmetic beside number literals, `2.0 - t1`, a
      // temperature compared with 1.0) is neither role: the roles are among the others.
      const roleCands = required.filter((p) => p.name === input || p.name === target || (!scalarHyper(p.name, fn, mod) && !classCountParam(p.name, fn) && !(lin && 'param' in lin.data && linParams.has(p.name))));
      // One tensor parameter, the only required one, whose values reach a log, an exponential or an activation, in a function
      // named as a loss that returns no prediction: a loss of one input (`CheckPlan.oneInput`), unless
      // its code says it is a loss already computed, a batch of both, or builds its own target.
      if (roleCands.length === 1 && params.filter((p) => !p.default).length === 1 && LOSS_NAME.test(fn.qualname) && reachesCreatingOp(roleCands[0].name, fn, mod, 0, logOrCreating) && !singleRole(roleCands[0].name, fn, mod) && !(ff?.returns ?? []).some((r) => r.m === 'logits' || r.m === 'prob') && !returnsActivation(fn)) {
        input = roleCands[0].name;
        oneInput = true;
      } else if (roleCands.length !== 2) {
        // Two embeddings compared with each other (`dot(zimg, ztxt.T)`): a contrastive loss, its pairs its targets.
        const pair = roleCands.length > 2 ? contrastivePair(fn, roleCands.map((p) => p.name)) : undefined;
        const contrastive = pair && `a contrastive loss: \`${pair[0]}\` and \`${pair[1]}\` are compared with each other (a product of the two), each pair its own target; the probes give a prediction and its targets, not two embeddings`;
        skip(nameError() ?? boxes() ?? multiTaskReason(fn, mod, required.map((p) => p.name)) ?? unrolled() ?? contrastive ?? (roleCands.length < 2 ? ((roleCands.length === 1 ? singleRole(roleCands[0].name, fn, mod) : undefined) ?? 'no prediction and target parameters') : `cannot tell prediction and target among ${roleCands.length} required parameters (${roleCands.map((p) => `\`${p.name}\``).join(', ')}): ${target ? `\`${target}\` is the target; no use or name says which of the others is the prediction` : input ? `\`${input}\` is the prediction; no use or name says which of the others is the target` : 'no use or name says which is which'}`));
        continue;
      }
      input ??= roleCands.find((p) => p.name !== target)?.name;
      target ??= roleCands.find((p) => p.name !== input)?.name;
    }
    if (!input || (!target && !detection && !oneInput)) {
      skip(nameError() ?? unrolled() ?? 'no prediction and target parameters');
      continue;
    }
    // A detection plan has no target parameter: the helpers that read the target's uses are given a name no parameter has.
    const targetName = target ?? '';
    // Other required parameters (of the function, its __init__, its factories) take a value from a
    // call site, else one that means the same to every loss (a class count, unit weights, an unused
    // ignore label, a typical gamma or alpha), else the function cannot be probed.
    const fill: Record<string, Fill> = { ...detection };
    let missing: string | undefined;
    let typical: Fill | undefined;
    let defaulted: Stmt | undefined;
    // Required parameters the facts read as a focal gamma or alpha, whatever their names (role-params.ts).
    const byRole = focalRoleParams(fn, chain, f);
    // The prediction and the target keep their roles (a parameter chosen as one is given the probe's tensor).
    for (const set of [byRole.gamma, byRole.alpha]) for (const r of [input, target]) if (r) set.delete(r);
    const roleWhy = (what: string, v: number): string => `typical: ${what} by its use, whatever its name: the typical ${v}, assumed`;
    for (const g of [fn, ...chain]) {
      const ps = g.params.filter((p) => p.kind === 'plain').slice(g.className ? 1 : 0);
      for (const p of ps) {
        if (p.default || (g === fn && (p.name === input || p.name === target)) || (outerTarget && g === enclosing && p.name === target) || fill[p.name]) continue;
        // Read only by the model's run, which the probe's prediction stands in for: no value is read.
        if ((g === fn || (g === enclosing && outer.includes(p.name))) && standIn?.inputs.includes(p.name)) {
          fill[p.name] = { value: { modelInput: true }, why: `read only by the model's run (${standIn.shown}), which the probe's prediction stands in for` };
          continue;
        }
        // A linear model's weights and biases over the prediction (linear-model.ts): the identity and 0.
        if (g === fn && lin && 'param' in lin.data && lin.data.param === input && linParams.has(p.name)) {
          fill[p.name] = lin.weights.includes(p.name)
            ? { value: { eye: 'classes' }, why: `the weights of a linear model over \`${input}\` (\`${lin.shown}\`): the C x C identity, so the scores are the probe's prediction; other weights not probed; no canonical comparison`, assumed: true }
            : { value: 0, why: `a bias added to the linear model's scores (\`${lin.shown} + ${p.name}\`): 0, so the scores are the probe's prediction; other biases not probed; no canonical comparison`, assumed: true };
          continue;
        }
        // A JAX key (jax-keys.ts): PRNGKey(0), whose draws come from the probe's seeded stream.
        if (jaxKeyParam(p.name, g)) {
          fill[p.name] = { value: { prngKey: true }, why: "a JAX random key (only drawn with, split, or given to a model's run): PRNGKey(0), its draws the probe's own seeded stream" };
          continue;
        }
        // A parameter of the enclosing function that the closure does not read and that function reads
        // only after defining it (`lr = learning_rate_fn(step)` below `def loss_fn`): nothing the loss sees.
        if (outerTarget && g === enclosing && !outer.includes(p.name) && readOnlyAfter(enclosing, fn, p.name)) {
          fill[p.name] = { value: null, why: `read by \`${enclosing.name}\` only after it defines \`${fn.name}\`: no value the loss sees (None)` };
          continue;
        }
        const site = callSiteLiteral(mod, g, p.name);
        const used = site === undefined ? fillFromUses(g, fn, chain, mod, p.name, { input, target: targetName }) : undefined;
        // A list a call site passes whose values meet the classes: the probes' class count of entries, not the call site's.
        // A class count a call site gives takes the probe's too: it must match the inputs (as one with a default does).
        if (typeof site === 'number' && CLASSES_NAME.test(p.name)) fill[p.name] = { value: { classes: true }, why: "the probe's classes (a call site passes " + site + ')' };
        else if (Array.isArray(site) && perClassVector(g, fn, mod, p.name, { input, target: targetName })) fill[p.name] = { value: { counts: 'classes' }, why: `${PER_CLASS_WHY} (a call site passes a list of ${site.length})`, assumed: true };
        else if (site !== null && typeof site === 'object' && 'op' in site) fill[p.name] = { value: site, why: `the ${site.op.split('.').pop()} a call site builds${site.dropped.length ? ` (${site.dropped.join(', ')} not a literal: the default)` : ''}` };
        else if (site !== undefined) fill[p.name] = { value: site, why: 'a call site' };
        // The function's own default where it is None or empty (`if not weights: weights = {...}`): None.
        else if ((defaulted = defaultedWhenNone(p.name, g))) fill[p.name] = { value: null, why: `None: the function replaces it with its own default (\`if ${defaulted.k === 'if' && defaulted.test.k === 'unary' ? `not ${p.name}` : `${p.name} is None`}: ${p.name} = ...\`)` };
        // Read only at constant keys (`args["task"]`): a dict of those keys, each valued by its uses (param-members.ts).
        else if ((typical = settingsMapping(g, fn, mod, p.name, [input, targetName], typicalKey))) fill[p.name] = typical;
        // A table indexed by the targets is no scalar alpha (`self.alpha[target]`).
        else if (used && (used.value === null || isClassOnes(used.value)) && ALPHA_NAME.test(p.name)) fill[p.name] = used;
        else if (GAMMA_NAME.test(p.name)) fill[p.name] = { value: TYPICAL_GAMMA[0], why: 'typical' };
        else if (ALPHA_NAME.test(p.name)) fill[p.name] = { value: TYPICAL_ALPHA, why: 'typical' };
        else if (byRole.gamma.has(p.name)) fill[p.name] = { value: TYPICAL_GAMMA[0], why: roleWhy('a focal gamma (the exponent of a modulating factor)', TYPICAL_GAMMA[0]) };
        else if (byRole.alpha.has(p.name)) fill[p.name] = { value: TYPICAL_ALPHA, why: roleWhy('a focal alpha (weighing the positives against the negatives)', TYPICAL_ALPHA) };
        else if (CLASSES_NAME.test(p.name)) fill[p.name] = { value: { classes: true }, why: "the probe's classes" };
        // The class count of a one-hot the function makes (`tf.one_hot(t, n)`): the probe's, whatever its name.
        else if (oneHotDepth(p.name, g)) fill[p.name] = { value: { classes: true }, why: `the class count of a one-hot (\`one_hot(..., ${p.name})\`): the probe's classes` };
        // An int the body sizes a tensor or a loop with (a shape's item, `range(n)`; entry-inputs.ts classCountParam): the probe's classes, assumed.
        else if (g === fn && classCountParam(p.name, g)) fill[p.name] = { value: { classes: true }, why: `a count the function sizes with (\`${p.name}\` in a shape or a range): the probe's classes, assumed`, assumed: true };
        else if (IGNORE_NAME.test(p.name)) fill[p.name] = { value: -100, why: 'no probe target takes it' };
        else if (DEVICE_NAME.test(p.name)) fill[p.name] = { value: { device: true }, why: "the probes' device" };
        // A weight given a last axis of one before it is used (`tf.expand_dims(w, -1)`): one per row of the prediction.
        else if (g === fn && (WEIGHT_NAME.test(p.name) || /weight|mask/i.test(p.name)) && expandsLastAxis(p.name, g)) fill[p.name] = { value: { ones: 'rows' }, why: `ones, one per row of the prediction (the function gives \`${p.name}\` a last axis of one, broadcast over the classes)` };
        else if (g === fn && WEIGHT_NAME.test(p.name)) fill[p.name] = { value: { ones: 'input' }, why: 'ones like the input' };
        // A flag annotated `bool`: the probes take True and say that False is not probed.
        else if (p.annotation && /^bool$/.test(p.annotation.trim())) fill[p.name] = { value: true, why: 'a bool flag: True probed, False not' };
        // A weight annotated as a number (`penalty_weight: float`) is one number, not one per class: 1, assumed.
        else if (g !== fn && /weight/i.test(p.name) && p.annotation && /^(float|int)$/.test(p.annotation.trim())) fill[p.name] = { value: 1, why: `a weight annotated \`${p.annotation.trim()}\`: one number, 1, assumed; other weights not probed; no canonical comparison`, assumed: true };
        else if (g !== fn && /weight/i.test(p.name)) fill[p.name] = { value: { ones: 'classes' }, why: 'one weight per class, all ones' };
        else if (used) fill[p.name] = used;
        else if ((typical = typicalLossModule(g, fn, mod, p.name, { input, target: targetName }, frameworkOf(fn, mod, callable)))) fill[p.name] = typical;
        else if ((typical = settingsObject(g, mod, p.name))) fill[p.name] = typical;
        else if (!missing) missing = p.name;
      }
      // One weight per class read as a mapping (`for c, w in weights.items()`): a dict of class -> 1.
      for (const p of ps) if (isClassOnes(fill[p.name]?.value) && readAsMapping(p.name, g, mod)) fill[p.name] = { value: { ones: 'class_map' }, why: `one weight of 1 per class, as a dict {class: 1.0} (the function reads it as a mapping: \`${p.name}.items()\`)` };
      // A class count with a default takes the probe's too: it must match the inputs (`n_class=5`).
      for (const p of ps) if (p.default && CLASSES_NAME.test(p.name) && !fill[p.name] && literalValue(p.default) !== undefined && typeof literalValue(p.default) === 'number') fill[p.name] = { value: { classes: true }, why: "the probe's classes" };
    }
    // Keywords read from **kwargs: a module injected by keyword takes the one framework module that
    // spells all its ops; any other keyword has no value the probes could give.
    let missingKeyword: string | undefined;
    for (const [key, attrs] of reads.keys) {
      if (missing || missingKeyword || fill[key]) continue;
      const m = injected.get(key)!;
      const spelled = [...(attrs ?? [])].sort().join(', ');
      if ('module' in m) fill[key] = { value: { module: m.module }, why: m.alike ? `spells ${spelled} as ${m.alike.join(', ')} does` : `the only framework module spelling ${spelled}` };
      else missingKeyword = attrs ? `keyword \`${key}\` of **kwargs is a module the probes cannot tell: ${m.why}` : `keyword \`${key}\` of **kwargs has no value`;
    }
    if (missing) {
      // What the parameter is, where its uses say (an object read at attributes, a mapping read at keys, a model called).
      const owner = [fn, ...chain].find((g) => g.params.some((p) => p.kind === 'plain' && p.name === missing));
      const what = owner ? (unsuppliedUse(missing, owner) ?? iteratedOnly(missing, owner) ?? readThroughImport(missing, owner)) : undefined;
      // The model the function runs, which the probes could not stand in: why not.
      const model = standInWhy && (modelParam(fn, [missing]) || refusedModel === missing) ? standInWhy : undefined;
      skip(nameError() ?? boxes() ?? multiTaskReason(fn, mod, required.map((p) => p.name)) ?? model ?? passedInLoss(fn, chain, mod) ?? `required parameter \`${missing}\` has no value${what ? `: ${what}` : ''}`);
      continue;
    }
    const mapped = mappedRoles(fn, input, targetName, standIn?.keys);
    if (typeof mapped === 'string') {
      skip(mapped);
      continue;
    }
    if (missingKeyword) {
      skip(missingKeyword);
      continue;
    }
    const iv = m(input);
    const tv = m(targetName);
    // Probabilities: the facts', the name's, or the function's own assert (`assert (x >= 0).all() and (x <= 1).all()`).
    // A forward function's activation after its last layer is its own (the stand-in is the layer's output: logits).
    const inputIsProb = !standIn?.tail && (iv?.m === 'prob' || (!iv && PROB_NAME.test(input)) || assertsUnitInterval(fn, input));
    // The activation: the prediction's, else the one of what the function returns (a focal or CE
    // value built from a binary two-term form is sigmoid's, from a sum over classes softmax's).
    const rets0 = ff?.returns ?? [];
    // One number per example as the prediction (`logit: float`): a Bernoulli's, sigmoid's (a softmax of one column is 1).
    // A detection loss's class scores: the activation of what it returns, whether or not the facts see them as probabilities.
    // Where a forward function's tail makes the prediction's activation (`sigmoid(h @ w + b)`), the activation is what it returns.
    const fwdTail = standIn?.tail ? mod.functions.find((g) => g.name === standIn!.tail && !g.className && !g.parent) : undefined;
    const tailAct = fwdTail ? f?.functions.get(fwdTail)?.returns.find((r) => (r.m === 'prob' || r.m === 'logprob') && r.act)?.act : undefined;
    const act = tailAct ?? iv?.act ?? (inputIsProb || detection ? rets0.find((r) => r.act && ['focal', 'ce', 'modulating', 'logprob'].includes(r.m))?.act : undefined) ?? (scalarPrediction ? 'sigmoid' : undefined);
    // A function computing with an injected module computes with that module's framework (its calls
    // on the module read as tensor methods to the IR).
    const framework = (modules.size ? frameworkOfName([...modules.values()][0]) : undefined) ?? frameworkOf(fn, mod, callable);
    let encodings: TargetEncoding[] = ['index', 'onehot', 'binary'];
    if (tv?.m === 'target_onehot') encodings = act === 'sigmoid' ? ['binary', 'onehot', 'index'] : ['onehot', 'binary', 'index'];
    else if (tv?.m === 'target_index') encodings = ['index', 'onehot', 'binary'];
    else if (act === 'sigmoid' || (detection && act !== 'softmax')) encodings = ['binary', 'index', 'onehot'];
    // A function computing with an injected Keras module, when nothing says otherwise: Keras' convention
    // (y_true has y_pred's shape). Only there: elsewhere the facts see the ops, and a Keras loss that
    // takes class indices without the facts saying so (a reshape of y_true) would be refused before
    // the index encoding is tried (an unsupported construct ends the search).
    else if (modules.size && framework === 'tf/keras' && (!tv || tv.m === 'unknown' || tv.m === 'target')) encodings = ['onehot', 'binary', 'index'];
    // One number per example as the prediction: a binary loss of one logit (or probability) per example.
    if (scalarPrediction) encodings = ['binary'];
    // Targets the function one-hots itself (`one_hot(labels, C)`, flax's `common_utils.onehot`) are
    // class indices (JAX's one-hot also takes floats, whose one-hot rows would pass silently; PyTorch's and
    // TensorFlow's raise on them).
    if (target && oneHotted(fn, target)) encodings = ['index'];
    // No target is passed: one encoding (its targets are drawn, never given).
    if (oneInput) encodings = ['index'];
    // Only functions the facts see as a loss, or whose names say so, are worth the probes.
    const rets = ff?.returns ?? [];
    // A function the facts see taking a prediction (logits or probabilities) and a target is one too,
    // whatever it returns (`mean_false_error(y_true, y_pred)`, a squared error the facts call a scalar).
    const predAndTarget = ['logits', 'prob'].includes(iv?.m ?? '') && ['target', 'target_index', 'target_onehot'].includes(tv?.m ?? '');
    const lossy = rets.some((r) => ['focal', 'ce', 'modulating', 'logprob', 'pt', 'unknown'].includes(r.m)) || rets.length === 0 || LOSS_NAME.test(fn.qualname) || predAndTarget;
    if (!lossy) {
      skip('does not compute a loss');
      continue;
    }
    // A gamma only multiplied in (a slope: `(neg - pos) * self.gamma`) is no focal exponent.
    const gamma = slopeGamma(hyper(fn, chain, GAMMA_NAME, f, TYPICAL_GAMMA, byRole.gamma), [fn, ...chain], mod);
    const alpha = hyper(fn, chain, ALPHA_NAME, f, [TYPICAL_ALPHA], byRole.alpha);
    // A required gamma / alpha is set by the probes (gamma per config); the fill gives the first value.
    for (const h of [gamma, alpha]) if (h && fill[h.name] && typeof h.values[0] === 'number' && fill[h.name].why.startsWith('typical')) fill[h.name].value = h.values[0];
    // An alpha given None (a table, not a scalar): the probes set no alpha of their own.
    // So does one given a weight of 1 per class (a table indexed by the targets): the canonical loss without alpha is the same.
    if (alpha && (fill[alpha.name]?.value === null || isClassOnes(fill[alpha.name]?.value))) alpha.values = [null];
    // The key holds the top-level functions the check can reach, not all of them: editing one function
    // re-runs the checks that can call it, and a key costs the size of what it can run (keys holding
    // every function were quadratic: 7 s of the main thread for a 3,000-line file).
    // reach(A and B) is reach(A) and reach(B): what the globals reach is found once for all checks.
    fromGlobals ??= reachableFunctions([[...mod.globals.values()]], topLevel);
    const helpers = reachableFunctions([fn.body, fn.params, ...chain.map((g) => [g.body, g.params])], topLevel, fn);
    const own = new Set(helpers);
    for (const g of fromGlobals) if (g !== fn && !own.has(g)) helpers.push(g);
    moduleHash ??= contentKey([[...mod.globals], [...mod.imports]]);
    const hasFill = Object.keys(fill).length > 0;
    const optionalWeights = params.filter((p) => p.default?.k === 'const' && p.default.value === null && WEIGHT_NAME.test(p.name)).map((p) => p.name);
    const optionalTables: string[] = [];
    for (const g of [fn, ...chain])
      for (const p of g.params.filter((q) => q.kind === 'plain' && q.default?.k === 'const' && q.default.value === null)) {
        // An alpha table, or a weight of `__init__` or a factory (one weight per class, as a required one gets).
        const table = ALPHA_NAME.test(p.name);
        if (!table && !(g !== fn && /weight/i.test(p.name))) continue;
        const u = new ParamUses(p.name, g, mod);
        if ((!table || u.tableIndexed) && !u.noneHandled && !optionalTables.includes(p.name)) optionalTables.push(p.name);
      }
    // A function named as a cross-entropy or a focal loss keeps them (`cross_entropy(logits, labels)`
    // without a log is worth the comparison).
    const notFocal = !gamma && !CE_NAME.test(fn.qualname) && !seesFocalOrCE(fn, callable, f, ff);
    // Values of modules the check may not read whose use gives them a typical value (absent-values.ts).
    const assumed = assumedModuleValues([fn, ...chain, ...helpers.filter((h) => own.has(h))], mod, f, { gamma: TYPICAL_GAMMA[0], alpha: TYPICAL_ALPHA });
    const hasAssumed = Object.keys(assumed).length > 0;
    const key = contentKey([fn.body, fn.params, ...chain.map((g) => [g.body, g.params]), cls ? [...cls.attrs] : [], helpers.map(hashOf), moduleHash, input, target, encodings, inputIsProb, gamma, alpha, fill, framework, notFocal, standIn ?? null, outerTarget ?? null, assumed]);
    // A cross-entropy with no modulating factor anywhere the facts see: its reference is the
    // cross-entropy of its formulation (the focal loss at gamma 0), not a gamma = 2 focal loss.
    // The reference of a loss with no gamma and nothing that says focal (a name, a focal op, a
    // modulating factor the facts see) is the cross-entropy of its formulation (the focal loss at
    // gamma 0), not a gamma = 2 focal loss.
    const plainCE = !gamma && !seesFocal(fn, callable, f, ff);
    const smoothed = seesSmoothing(fn, callable, f, ff);
    const targetChannel = squeezesChannel(fn, targetName);
    const dataset = valuesOnly && readsLabelsOnly(fn, targetName);
    const stateColumn = slicesTrailingColumn(fn, targetName);
    // Labels beside a state column are per-class floats: the float encodings first.
    if (stateColumn) encodings = [...encodings.filter((e) => e !== 'index'), 'index'];
    plans.push({ qualname: fn.qualname, input, target, encodings, inputIsProb, act, gamma, alpha, ...(hasFill ? { fill } : {}), framework, ...(optionalWeights.length ? { optionalWeights } : {}), ...(optionalTables.length ? { optionalTables } : {}), ...(plainCE ? { plainCE } : {}), ...(notFocal ? { notFocal } : {}), ...(smoothed ? { smoothed } : {}), ...(hasAssumed ? { assumed } : {}), ...(targetChannel ? { targetChannel } : {}), ...(mapped ? { mapped } : {}), ...(stateColumn ? { stateColumn } : {}), ...(valuesOnly ? { valuesOnly } : {}), ...(dataset ? { targetDataset: dataset } : {}), ...(perExample ? { perExample } : {}), ...(detection ? { boxes: true as const } : {}), ...(oneInput ? { oneInput: true as const } : {}), ...(scalarPrediction ? { classCounts: [1] } : {}), ...(standIn ? { model: { via: standIn.via, shown: standIn.shown, ...(standIn.unpacked ? { unpacked: standIn.unpacked } : {}) } } : {}), ...(outerTarget ? { outerTarget } : {}), ...(packed ? { packed } : {}), ...(graph ? { graph } : {}), key });
  }
  // A loss class with no method of its own to run: its call is its base's. A Keras
  // LossFunctionWrapper subclass calls the function its constructor passes on (`super().__init__(fn,
  // ...)`): said so, with the function's name (probed on its own where it is planned).
  if (skipped) {
    for (const cls of mod.classes.values()) {
      if (!LOSS_NAME.test(cls.name) || ['forward', '__call__', 'call'].some((m) => cls.methods.has(m))) continue;
      if (!cls.bases.some((b) => /(^|\.)LossFunctionWrapper$/.test(b))) continue;
      const init = cls.methods.get('__init__');
      let fnName: string | undefined;
      for (const st of init ? stmtsOf(init.body) : [])
        for (const r of stmtRoots(st))
          for (const e of walkExprs(r)) {
            if (e.k !== 'call' || e.func.k !== 'attr' || e.func.attr !== '__init__' || e.func.obj.k !== 'call' || e.func.obj.func.k !== 'name' || e.func.obj.func.id !== 'super') continue;
            const a = e.args[0] ?? e.kwargs.fn;
            if (a?.k === 'name') fnName = a.id;
          }
      skipped.push({ qualname: cls.name, reason: `a Keras LossFunctionWrapper subclass: its call is the base's, ${fnName ? `\`${fnName}\` with the constructor's keywords (the function is probed on its own)` : 'of a function it passes on'}` });
    }
  }
  return plans;
}
