/**
 * Findings where the fix is: a loss checked with the values that reach it from elsewhere (index.ts),
 * and each finding those values cause reported also where the value is written.
 *
 * For a file with values from elsewhere:
 *   - `own`: its findings with every value joined (what the editor shows for it and `analyze` gives
 *     with the same `external`); a finding that only these values cause lists, as related
 *     locations, the values that cause it;
 *   - `elsewhere`: per file where such a value is written (a call site's argument, an argparse
 *     default, a YAML/JSON/TOML value), the same finding on that value, its message as the loss
 *     checked with that value alone gives it, the loss's line as its related location, and the path
 *     the value took in its explanation (the hover). No fix travels with it: the fix edits the loss's
 *     file.
 * A value "causes" a finding when the file checked with that one value (and its own defaults and
 * same-file call sites) has the finding and the file checked without any value from elsewhere has not.
 * A finding caused only by several values together stays in the loss's file.
 *
 * mmdet config dicts whose `type=` names a library loss are checked as a call of that class
 * (`checkLibraryUses`), each finding reported on the value it is about.
 */
import { analyze } from '../analysis/analyze';
import { ParsedDocument } from '../core/document';
import type { ExternalValues } from '../core/interp';
import type { Expr } from '../core/ir';
import type { Finding, LintSettings, Range } from '../core/types';
import { toExternal, type LibraryUse, type ValueSource } from './index';

export interface ProjectFindings {
  own: Finding[];
  elsewhere: Map<string, Finding[]>;
}

/** Related locations listed on a loss's finding at most (the explanation says how many more). */
export const MAX_RELATED = 10;

function key(f: Finding): string {
  const r = f.range;
  return `${f.code}:${r.start.line}:${r.start.character}:${r.end.line}:${r.end.character}`;
}

/** A path for messages, given by the caller (relative to the project root). */
export type ShowPath = (file: string) => string;

/**
 * The findings of `file` with the values of `sources`, and those values' findings elsewhere.
 * `analyzeWith` runs the core's analysis of the file's current text with the given external values.
 */
export function attribute(file: string, sources: readonly ValueSource[], analyzeWith: (external: ExternalValues | undefined) => Finding[], show: ShowPath): ProjectFindings {
  const all = analyzeWith(toExternal(sources));
  const elsewhere = new Map<string, Finding[]>();
  // No finding with every value: none is fresh (the run without them is not needed to say so).
  if (!sources.length || !all.length) return { own: all, elsewhere };
  const base = new Set(analyzeWith(undefined).map(key));
  const fresh = all.filter((f) => !base.has(key(f)));
  if (!fresh.length) return { own: all, elsewhere };
  const wanted = new Set(fresh.map(key));
  const causes = new Map<string, { source: ValueSource; finding: Finding }[]>();
  // One run per distinct value (parameter and literal): sources that pass the same value cause the same findings.
  const groups = new Map<string, ValueSource[]>();
  for (const s of sources) {
    const k = `${s.target}\u0000${s.param}\u0000${JSON.stringify(s.expr, (name, v) => (name === 'span' ? undefined : v))}`;
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(s);
  }
  for (const group of groups.values()) {
    for (const f of analyzeWith(toExternal([group[0]]))) {
      const k = key(f);
      if (!wanted.has(k)) continue;
      const list = causes.get(k) ?? causes.set(k, []).get(k)!;
      for (const source of group) list.push({ source, finding: f });
    }
  }
  const own = all.map((f) => {
    const k = key(f);
    if (!wanted.has(k)) return f;
    const by = causes.get(k);
    const list = by?.map((c) => c.source) ?? sources.filter((s) => s.targetFile === file);
    // A loss built at hundreds of places: the first MAX_RELATED, and how many more.
    const shown = list.slice(0, MAX_RELATED);
    const related = shown.map((s) => ({ path: s.file, range: s.range, message: `${s.param}=${s.text} comes from here (${s.how[0].replace(/`/g, '')})` }));
    const more = list.length - shown.length;
    if (more > 0) related[related.length - 1].message += ` (and ${more} more places)`;
    const path = shown.map((s) => `- \`${s.param}\`: ${s.how.join(' → ')}`).join('\n') + (more > 0 ? `\n- and ${more} more` : '');
    return { ...f, related, explanation: `${f.explanation}\n\n**Values from elsewhere** (project analysis):\n${path}` };
  });
  for (const [k, list] of causes) {
    void k;
    for (const { source, finding } of list) {
      const out: Finding = {
        code: finding.code,
        name: finding.name,
        severity: finding.severity,
        message: `${finding.message} (\`${source.param}=${source.text}\` reaches \`${source.target}\` in ${show(file)}:${finding.range.start.line + 1})`,
        range: source.range,
        explanation: `**The path of this value:**\n${source.how.map((h) => `1. ${h}`).join('\n')}\n1. there, in ${show(file)}:${finding.range.start.line + 1}: ${finding.message}\n\n${finding.explanation}`,
        related: [{ path: file, range: finding.range, message: `the loss that takes ${source.param}=${source.text}: ${finding.message}` }],
      };
      (elsewhere.get(source.file) ?? elsewhere.set(source.file, []).get(source.file)!).push(out);
    }
  }
  return { own, elsewhere };
}

/** The findings a `# noqa` line of their file does not silence (`noqa`: a summary's or a config's lines). */
export function withoutNoqa(findings: Finding[], noqa: readonly [number, string[]][] | undefined): Finding[] {
  if (!noqa?.length) return findings;
  const lines = new Map(noqa);
  return findings.filter((f) => {
    const codes = lines.get(f.range.start.line);
    return !(codes && (codes.length === 0 || codes.includes(f.code)));
  });
}

function pyLiteral(e: Expr): string {
  switch (e.k) {
    case 'num':
      return String(e.value);
    case 'str':
      return JSON.stringify(e.value);
    case 'const':
      return e.value === null ? 'None' : e.value ? 'True' : 'False';
    case 'unary':
      return `${e.op}${pyLiteral(e.operand)}`;
    case 'tuple':
      return `[${e.items.map(pyLiteral).join(', ')}]`;
    default:
      return 'None';
  }
}

function within(r: Range, line: number, ch: number): boolean {
  return line === r.start.line && ch >= r.start.character && ch <= r.end.character;
}

/**
 * mmdet config dicts naming a library loss: each is checked as `Class(k=v, ...)` (a module of two
 * lines, never executed), and each finding is reported on the value it is about (else on the dict).
 */
export function checkLibraryUses(uses: readonly LibraryUse[], settingsOf: (file: string) => LintSettings, show: ShowPath): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  for (const use of uses) {
    const name = use.spelling.name;
    const head = `import ${name.split('.').slice(0, -1).join('.')}\n`;
    let call = `${name}(`;
    const spans: { range: Range; arg: LibraryUse['kwargs'][number] }[] = [];
    use.kwargs.forEach((a, i) => {
      if (i) call += ', ';
      call += `${a.name}=`;
      const v = pyLiteral(a.expr);
      spans.push({ range: { start: { line: 1, character: call.length }, end: { line: 1, character: call.length + v.length } }, arg: a });
      call += v;
    });
    call += ')\n';
    const doc = ParsedDocument.parse(head + call);
    for (const f of analyze(doc, settingsOf(use.file))) {
      const hit = spans.find((s) => within(s.range, f.range.start.line, f.range.start.character));
      const at = hit ? { file: hit.arg.file, range: hit.arg.range } : { file: use.file, range: use.range };
      const how = hit ? hit.arg.how.map((h) => `1. ${h}`).join('\n') : '';
      const finding: Finding = {
        code: f.code,
        name: f.name,
        severity: f.severity,
        message: `${f.message} (\`dict(type='${use.type}')\` at ${show(use.file)}:${use.range.start.line + 1} is \`${name}\`)`,
        range: at.range,
        explanation: `${how ? `**The path of this value:**\n${how}\n1. ` : ''}\`type='${use.type}'\` builds \`${name}\` (checked as that class with these arguments).\n\n${f.explanation}`,
      };
      if (hit && (hit.arg.file !== use.file || hit.arg.range.start.line !== use.range.start.line)) finding.related = [{ path: use.file, range: use.range, message: `the config dict that builds \`${name}\`` }];
      (out.get(at.file) ?? out.set(at.file, []).get(at.file)!).push(finding);
    }
  }
  return out;
}
