/**
 * The IR's types: plain data (no tree-sitter nodes), so it can be hashed, cached and posted to a worker.
 * The builder (ir.ts) makes them from a tree; both interpreters, the op table and the rules read them.
 * Type-only: importing this module loads nothing (the op table, core/ and rules may depend on it).
 */
import type { OpDef, Spelling } from '../ops/api';
import type { Range } from './types';
/** Source location of an IR node: offsets (UTF-16) and the same as a line/column range. */
export interface Span {
  s: number;
  e: number;
  r: Range;
}

export type BinOpName = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '@';

/** Every expression may remember the span of the parentheses around it (`paren`), for fixes. */
export type Expr = ExprNode & { paren?: Span };

type ExprNode =
  | { k: 'name'; id: string; span: Span }
  /** A number literal; `int` when Python types it an int (`1`, `0x10`), not a float (`1.`, `1e3`). */
  | { k: 'num'; value: number; int?: true; span: Span }
  | { k: 'str'; value: string; span: Span }
  | { k: 'const'; value: boolean | null; span: Span }
  | { k: 'attr'; obj: Expr; attr: string; span: Span; qualified?: string }
  | Call
  | { k: 'bin'; op: BinOpName; left: Expr; right: Expr; span: Span }
  | { k: 'unary'; op: '-' | '+' | 'not' | '~'; operand: Expr; span: Span }
  | { k: 'cmp'; ops: string[]; operands: Expr[]; span: Span }
  | { k: 'bool'; op: 'and' | 'or'; left: Expr; right: Expr; span: Span }
  | { k: 'subscript'; obj: Expr; index: Expr[]; span: Span }
  | { k: 'slice'; lower?: Expr; upper?: Expr; step?: Expr; span: Span }
  | { k: 'ellipsis'; span: Span }
  | { k: 'tuple'; items: Expr[]; list: boolean; span: Span }
  | { k: 'cond'; test: Expr; body: Expr; orelse: Expr; span: Span }
  /** `{k: v, ...}`: a key is null for `**other`. */
  | { k: 'dict'; keys: (Expr | null)[]; values: Expr[]; span: Span }
  /** `lambda x: ...`: its function (in `ModuleIR.functions`, body `return <expr>`). */
  | { k: 'lambda'; fn: FunctionIR; span: Span }
  /**
   * What the interpreters do not model. Two kinds carry their parts for the concrete interpreter
   * (numeric/eval.ts), which the abstract one leaves unknown: a comprehension (`comp`) and a bitwise
   * operator `| & ^ << >>` (`operands`, the operator in `what`: `operator |`); so does an
   * assignment expression `name := value` (`walrus`), and a starred item `*xs` of a list or tuple
   * display (`splat`: `xs`).
   */
  | { k: 'unknown'; what: string; span: Span; comp?: Comprehension; operands?: [Expr, Expr]; walrus?: { name: string; value: Expr }; splat?: Expr; fstr?: FStringPart[] };

/** `[elt for target in iter if cond ...]`, a set, a dict (`key: elt`) or a generator expression. */
export interface Comprehension {
  kind: 'list' | 'set' | 'dict' | 'generator';
  elt: Expr;
  /** A dict comprehension's key. */
  key?: Expr;
  /** The `for` clauses in order, each with its `if` conditions. */
  gens: { target: Target; iter: Expr; ifs: Expr[] }[];
}

/** An `except` clause of a `try`: the exception type(s) it names (none: a bare `except:`), its `as` name, where its statements start in the `try`'s `body`. `star` for `except*`. */
export interface ExceptHandler {
  type?: Expr;
  name?: string;
  at: number;
  star?: boolean;
  span: Span;
}

/** A `with` item: the context expression and its `as` target. */
export interface WithItem {
  ctx: Expr;
  target?: Target;
}

export interface Call {
  k: 'call';
  func: Expr;
  args: Expr[];
  kwargs: Record<string, Expr>;
  /** True when `*args` or `**kwargs` is passed: the binding is then incomplete. */
  splat: boolean;
  /** The mapping passed as `**mapping` when it is the only splat (`f(x, **kwargs)`); `splat` is then true too. */
  kwsplat?: Expr;
  /**
   * The sequence passed as `*xs` when it is the only splat (`x.view(*shape)`, `f(a, *rest)`), and how
   * many positional arguments (of `args`) come before it; `splat` is then true too. The binding
   * (`bound`) is made without it: the concrete interpreter binds the call again with its items.
   */
  star?: { at: number; value: Expr };
  /** Canonical dotted name when the callee is an imported name or attribute chain. */
  callee?: string;
  /** The operation this call denotes, when known (ops/). For a module class (`nn.CrossEntropyLoss(...)`) it is the op its instances apply. */
  op?: OpDef;
  /** How the call spells the op: its framework, signature and defaults; `kind: 'module'` constructs a module. */
  spell?: Spelling;
  /** True for `x.op(...)`: the receiver was bound as the op's first parameter. */
  method?: boolean;
  /** True for `super().__init__(...)` in a class deriving from the library module it constructs. */
  baseInit?: boolean;
  /** Arguments bound to the op's canonical parameter names (receiver included for methods; the constructor's for a module). */
  bound?: Record<string, Expr>;
  span: Span;
}

export type Target =
  | { k: 'name'; id: string; span: Span }
  | { k: 'attr'; obj: Expr; attr: string; span: Span }
  | { k: 'subscript'; obj: Expr; index: Expr[]; span: Span }
  // `a, *b = v`: the starred item is an `unknown` among `items` (what most readers need); `starred` is
  // its position and its own target, for the concrete interpreter (it binds the rest as a list).
  | { k: 'tuple'; items: Target[]; span: Span; starred?: { at: number; target: Target } }
  | { k: 'unknown'; span: Span };

export type Stmt =
  | { k: 'assign'; targets: Target[]; value: Expr; aug?: BinOpName; span: Span }
  | { k: 'return'; value?: Expr; span: Span }
  | { k: 'expr'; value: Expr; span: Span }
  | { k: 'if'; test: Expr; body: Stmt[]; orelse: Stmt[]; span: Span }
  | { k: 'def'; fn: FunctionIR; span: Span }
  /**
   * A statement the abstract interpreter does not model (loops, with, try, assert, raise, ...); `body`
   * holds the nested statements (of every clause). The concrete interpreter (numeric/eval.ts) reads
   * the headers: `for` its `target` and `iter`, `while` its `test`, both `elseAt` (where the `else`
   * clause's statements start in `body`); `with` its `items`; `assert` its `test`; `try` its
   * `handlers` (where each `except` clause's statements start in `body`: the `try` block is
   * `body[0, handlers[0].at)`), `elseAt` and `finallyAt`; `raise` the exception it raises (`exc`; none for a bare `raise`).
   */
  | { k: 'other'; what: string; body: Stmt[]; span: Span; target?: Target; iter?: Expr; test?: Expr; items?: WithItem[]; elseAt?: number; handlers?: ExceptHandler[]; finallyAt?: number; exc?: Expr }
  | { k: 'pass'; span: Span };

/**
 * A piece of an f-string (`f"w_{i:.2f}"`, `what: 'f-string'`): its text (`{{` and `}}` read as braces,
 * other escapes as written), or an interpolated expression with its conversion (`r`, `s`, `a`) and
 * format spec as written after the colon.
 */
export type FStringPart = string | { expr: Expr; conv?: string; spec?: string };

export interface Param {
  name: string;
  default?: Expr;
  /** The annotation's text (`float`, `torch.Tensor`), when there is one. */
  annotation?: string;
  kind: 'plain' | 'star' | 'kwstar';
  span: Span;
}

export interface FunctionIR {
  name: string;
  /** `Class.method`, `outer.<locals>.inner`, or the plain name. */
  qualname: string;
  params: Param[];
  body: Stmt[];
  span: Span;
  nameSpan: Span;
  /** Qualname of the enclosing class for methods. */
  className?: string;
  /** Qualname of the enclosing function for closures. */
  parent?: string;
  /** True when the function's text holds a syntax error (ERROR or MISSING node). */
  hasError: boolean;
  /** The module's own top-level statements, analysed as a function named `<module>`. */
  isModule?: boolean;
  /**
   * A lambda written inline as an argument or a container item (a callback, a test table's
   * `reference_fn=lambda ...`): interpreted for what it returns, not checked by the rules. A lambda
   * bound to a name or returned is a function like any other.
   */
  inline?: boolean;
  /** The decorators' expressions, outermost first (`@jax.jit` is `jax.jit`), when it has any. */
  decorators?: Expr[];
}

export interface ClassIR {
  name: string;
  bases: string[];
  methods: Map<string, FunctionIR>;
  /** Class attributes assigned in the class body (`gamma = 2.0`, a dataclass field `gamma: float = 2.0`). */
  attrs: Map<string, Expr>;
  span: Span;
}

/** A call in the module to one of its own functions or classes, kept for hyperparameter values. */
export interface CallSite {
  callee: string;
  args: Expr[];
  kwargs: Record<string, Expr>;
  span: Span;
}

export interface ModuleIR {
  /** Local name -> canonical dotted name (`F` -> `torch.nn.functional`). */
  imports: Map<string, string>;
  /** Module-level assignments of a single name, in order (the last one wins). */
  globals: Map<string, Expr>;
  functions: FunctionIR[];
  /** Classes by qualname: the last definition of a name (what a caller of the name gets). */
  classes: Map<string, ClassIR>;
  /** Every class definition, in order (a name defined twice keeps both: each method belongs to its own). */
  classDefs: ClassIR[];
  callSites: CallSite[];
  /** Line numbers (0-based) that carry a `# noqa` comment, with the codes listed (empty = all). */
  noqa: Map<number, string[]>;
  /** The module's top-level statements. */
  body: Stmt[];
}
