/**
 * argparse as a source of hyperparameter values: `parser.add_argument('--gamma', type=float,
 * default=0.5)` gives the option `gamma` its default, and `args = parser.parse_args()` makes `args`
 * a namespace whose attributes are the options. Read by the interpreter for call sites in the same
 * file (`focal(x, t, args.gamma)`) and by the project index for calls across files (project/summary.ts).
 */
import type { Call, Expr, Target } from './ir-types';

/** A dotted callee as its segments (`parser.add_argument` -> ['parser', 'add_argument']), else undefined. */
export function calleeChain(e: Expr): string[] | undefined {
  if (e.k === 'name') return [e.id];
  if (e.k === 'attr') {
    const base = calleeChain(e.obj);
    return base ? [...base, e.attr] : undefined;
  }
  return undefined;
}

/** argparse's dest: the first long option without dashes, `-` turned into `_`, else the first short one, else a positional name. */
export function destOf(flags: string[]): string | undefined {
  const long = flags.find((f) => f.startsWith('--'));
  const f = long ?? flags.find((x) => x.startsWith('-')) ?? flags[0];
  return f ? f.replace(/^-+/, '').replace(/-/g, '_') : undefined;
}

/** The option an `add_argument` call declares and its default expression, when the call is one and names both. */
export function argparseOption(c: Call): { dest: string; default: Expr } | undefined {
  if (c.func.k !== 'attr' || c.func.attr !== 'add_argument') return undefined;
  const flags = c.args.filter((a): a is Expr & { k: 'str' } => a.k === 'str').map((a) => a.value);
  const dest = c.kwargs.dest?.k === 'str' ? c.kwargs.dest.value : destOf(flags);
  const d = c.kwargs.default;
  return dest && d ? { dest, default: d } : undefined;
}

/** Whether an expression parses the command line into a namespace (`parser.parse_args()`, `parse_known_args`). */
export function parsesArgs(e: Expr): boolean {
  if (e.k === 'subscript') return parsesArgs(e.obj); // parse_known_args()[0]
  if (e.k !== 'call' || e.func.k !== 'attr') return false;
  return e.func.attr === 'parse_args' || e.func.attr === 'parse_known_args';
}

/**
 * The names an assignment binds to a parsed namespace: `args = parser.parse_args()`, `args =
 * parser.parse_known_args()[0]`, or the first of `args, rest = parser.parse_known_args()`.
 */
export function parsedNamespaces(targets: readonly Target[], value: Expr): string[] {
  if (targets.length !== 1 || !parsesArgs(value)) return [];
  const [t] = targets;
  if (t.k === 'name') return [t.id];
  const first = t.k === 'tuple' ? t.items[0] : undefined;
  const known = value.k === 'call' && value.func.k === 'attr' && value.func.attr === 'parse_known_args';
  return known && first?.k === 'name' ? [first.id] : [];
}
