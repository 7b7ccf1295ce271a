/**
 * `losslint check`'s project pass (server/src/project/): each file's summary is made with its check
 * (in the worker that parses it, `checkFileProject`); once every file is checked, the files that call
 * a project definition are summarized again with those names (`wanted`), the index resolves the values
 * that reach each loss from other files and configs, and the files that receive some are checked
 * again with them (`runProjectPass`). The language server does the same through lsp/project.ts.
 */
import * as fs from 'node:fs';
import { analyzeSliced } from '../analysis/slice';
import { ParsedDocument } from '../core/document';
import { releaseTree } from '../core/trees';
import { mayHaveFindings } from '../core/prefilter';
import { reportParseProblems } from '../core/syntax';
import { compareByPosition } from '../analysis/analyze';
import type { Finding, LintSettings } from '../core/types';
import { attribute, checkLibraryUses, withoutNoqa } from '../project/check';
import { moduleNameOf, ProjectIndex, textHash } from '../project/index';
import type { SlicedModule } from '../analysis/analyze';
import type { CheckCache } from '../project/cache';
import { contentHash, settingsKey, stableJson } from './cache';
import { EMPTY_SUMMARY, importsFromText, needsParse, pendingNames, summarize, type FileSummary } from '../project/summary';

export interface ProjectOutcome {
  findings: Finding[];
  /** Whether the prefilter kept the text (else the findings are none, whatever the settings). */
  may: boolean;
  /** Undefined when the file can neither hold a loss nor pass a value (nothing to index). */
  summary?: FileSummary;
}

type OnRuleError = (code: string, error: unknown) => void;

/** Check and summary of one file from one parse (the summary without `wanted` names: see runProjectPass). */
export function checkFileProject(file: string, text: string, settings: LintSettings, onRuleError?: OnRuleError, prefiltered?: boolean): ProjectOutcome {
  // `prefiltered`: mayHaveFindings' answer, already read (a worker is handed the main thread's).
  const may = prefiltered ?? mayHaveFindings(text);
  if (!may && !needsParse(text, undefined, false)) return { findings: [], may };
  const doc = ParsedDocument.parse(text);
  try {
    if (may) reportParseProblems(doc, onRuleError);
    let sliced: SlicedModule | undefined;
    const findings = may ? analyzeSliced(doc, settings, { onRuleError, onSliced: (x) => (sliced = x) }).sort(compareByPosition) : [];
    let summary: FileSummary | undefined;
    try {
      summary = summarize(doc, { sliced, moduleName: moduleNameOf(file) });
    } catch (error) {
      onRuleError?.('project', error);
    }
    return { findings, may, summary };
  } finally {
    releaseTree(doc.tree, doc.text.length);
  }
}


export interface ProjectInput {
  file: string;
  settings: LintSettings;
  summary?: FileSummary;
  /** This run's findings of the file (replaced for the files that receive values from elsewhere). */
  findings: Finding[];
  /**
   * For a file without a summary, what the pass reads of its text (`lightSummary`), taken while the
   * text was at hand; absent, the pass reads the file again.
   */
  light?: LightSummary;
}

/** What the project pass reads of a file that has no summary: its imports and the names it calls or types. */
export type LightSummary = Pick<FileSummary, 'imports' | 'pending'>;

export function lightSummary(text: string): LightSummary {
  return { imports: importsFromText(text), pending: pendingNames(text) };
}

export interface ProjectPassResult {
  /** New findings per file: for files in the input they replace its findings, others are config files. */
  findings: Map<string, Finding[]>;
  /** Problems worth a notice (a config file that does not parse). */
  problems: { file: string; message: string }[];
}

/**
 * Resolves the values that reach each loss from elsewhere and re-checks the files that get some.
 * Reads the files again from disk (only those that call a project definition or receive a value).
 */
export function runProjectPass(
  roots: readonly string[],
  inputs: readonly ProjectInput[],
  show: (file: string) => string,
  onRuleError?: (file: string, code: string, error: unknown) => void,
  /** The persistent cache (cli/cache.ts says what each key holds): second summaries and re-checks with values. */
  cache?: CheckCache,
): ProjectPassResult {
  const index = new ProjectIndex(roots);
  const byFile = new Map(inputs.map((i) => [i.file, i]));
  for (const i of inputs) if (i.summary) index.put(i.file, '', i.summary);
  const result: ProjectPassResult = { findings: new Map(), problems: [] };
  const wanted = index.definedNames();
  // Without a loss to pass values to, nor a config dict naming a library loss, there is nothing to resolve.
  if (wanted.size === 0 && !inputs.some((i) => i.summary?.typed.length)) return result;
  const read = (file: string): string | undefined => {
    try {
      const t = fs.readFileSync(file, 'utf8');
      return t.charCodeAt(0) === 0xfeff ? t.slice(1) : t;
    } catch {
      return undefined;
    }
  };
  // Every other Python file is a module the others may import (a package's `__init__.py` re-exports its
  // losses): its imports and the names it calls or types are read from its text, and it is parsed once
  // one of those is a project definition (below).
  for (const i of inputs) {
    if (i.summary) continue;
    let light = i.light;
    if (!light) {
      const text = read(i.file);
      if (text !== undefined) light = lightSummary(text);
    }
    if (light) index.put(i.file, '', { ...EMPTY_SUMMARY, ...light });
  }
  // Second summaries: the files whose statements not read the first time call a name the project
  // defines (a file without a summary: its text calls one), read again with those names.
  // A file whose second summary cannot change the resolution (`ProjectIndex.mayGainUses`) is not parsed.
  let reread = 0;
  const settled = new Set<string>();
  for (let round = 0; round < 4 && wanted.size; round++) {
    const names = index.definedNames();
    const files: [string, string][] = [];
    for (const file of index.unsettled()) {
      if (settled.has(file)) continue;
      const text = read(file);
      if (text === undefined) continue;
      if (index.mayGainUses(file, text, names)) files.push([file, text]);
      else settled.add(file);
    }
    if (!files.length) break;
    reread += files.length;
    const namesKey = cache ? [...names].sort().join('\u0000') : '';
    for (const [file, text] of files) {
      const key = cache ? [contentHash(text), namesKey] : [];
      const kept = cache?.get<FileSummary>('uses', key);
      if (kept) {
        index.put(file, textHash(text), { ...kept, defs: index.summaryOf(file)?.defs ?? [] });
        continue;
      }
      const doc = ParsedDocument.parse(text);
      try {
        const uses = summarize(doc, { wanted: names, usesOnly: true });
        cache?.set('uses', key, uses);
        index.put(file, textHash(text), { ...uses, defs: index.summaryOf(file)?.defs ?? [] });
      } catch (error) {
        onRuleError?.(file, 'project', error);
      } finally {
        releaseTree(doc.tree, doc.text.length);
      }
    }
  }
  const resolution = index.resolve();
  // LOSSLINT_PROJECT_STATS=1: what the pass read and resolved (bench/project.mjs, profiling).
  if (process.env.LOSSLINT_PROJECT_STATS) {
    let sources = 0;
    for (const list of resolution.byTarget.values()) sources += list.length;
    process.stderr.write(`project: ${inputs.length} files, ${index.definedNames().size} definitions, ${reread} read again, ${resolution.byTarget.size} files receive ${sources} values, ${resolution.library.length} library dicts, ${resolution.configs.size} configs\n`);
  }
  const add = (file: string, list: Finding[]): void => {
    if (!list.length) return;
    const kept = withoutNoqa(list, index.summaryOf(file)?.noqa ?? resolution.configs.get(file)?.noqa);
    const prev = result.findings.get(file) ?? byFile.get(file)?.findings ?? [];
    result.findings.set(file, [...prev, ...kept].sort(compareByPosition));
  };
  for (const [file, sources] of resolution.byTarget) {
    const input = byFile.get(file);
    if (!input) continue;
    const text = read(file);
    if (text === undefined) continue;
    const key = cache ? [contentHash(text), settingsKey(input.settings), file, show(file), stableJson(sources)] : [];
    const kept = cache?.get<{ own: Finding[]; elsewhere: [string, Finding[]][] }>('attribute', key);
    let doc: ParsedDocument | undefined;
    try {
      let run: { own: Finding[]; elsewhere: Map<string, Finding[]> | [string, Finding[]][] };
      if (kept) run = kept;
      else {
        const parsed = (doc = ParsedDocument.parse(text));
        let threw = false;
        run = attribute(
          file,
          sources,
          (external) =>
            analyzeSliced(parsed, input.settings, {
              external,
              onRuleError: (c, e) => {
                threw = true;
                onRuleError?.(file, c, e);
              },
            }).sort(compareByPosition),
          show,
        );
        if (!threw) cache?.set('attribute', key, { own: run.own, elsewhere: [...run.elsewhere] });
      }
      // The file's own findings: replaced (they include its baseline), then what others add to it.
      const before = result.findings.get(file);
      const extra = before ? before.filter((f) => !input.findings.includes(f)) : [];
      result.findings.set(file, [...run.own, ...extra].sort(compareByPosition));
      for (const [where, list] of run.elsewhere) add(where, list);
    } finally {
      if (doc) releaseTree(doc.tree, doc.text.length);
    }
  }
  const settingsOf = (file: string): LintSettings => byFile.get(file)?.settings ?? inputs[0]?.settings;
  for (const [where, list] of checkLibraryUses(resolution.library, settingsOf, show)) add(where, list);
  for (const [file, doc] of resolution.configs) if (doc.error) result.problems.push({ file, message: `${show(file)}: cannot read the config: ${doc.error}` });
  return result;
}
