/**
 * `--format sarif`: a SARIF 2.1.0 log as GitHub code scanning reads it. One run; every registered
 * rule in `tool.driver.rules` with its documentation page as help; one result per finding with a
 * 1-based region (UTF-16 columns, as `columnKind` says) and the rule's fix; the run's notices
 * (unreadable files, broken configuration) as tool execution notifications.
 *
 * Results stream: the log's head is written with the first file, each result as its file is done,
 * and the tail (with the notifications) at the end.
 *
 * A notebook's finding is located in the .ipynb file itself, the only artifact GitHub code
 * scanning knows: the region is where the cell's source text lies in the file's JSON (the line of
 * the JSON string holding that source line, and the columns inside it), and the location's
 * `properties` name the cell and the position in it (`cell`, `cellRegion`). A fix's replacement is
 * JSON-escaped, as it replaces characters inside a JSON string.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Sarif from 'sarif';
import { allRules, docsRelativePath } from '../../analysis/registry';
import type { Rule } from '../../core/rule';
import type { Finding, Range, Severity } from '../../core/types';
import type { CellLocation, FindingCells } from '../notebook';
import { packageInfo } from '../package';
import type { CheckReport, FileResult, Notice } from '../report';
import { artifactLocation, toSpan } from './location';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const RESULTS_MARKER = '@@losslint-results@@';

export class SarifFormatter {
  private head: { text: string; indent: string; tail: string } | undefined;
  private headWritten = false;
  private written = 0;
  private readonly ruleIndex = new Map<string, number>();

  constructor(private readonly cwd: string) {}

  file(result: FileResult): string {
    let out = '';
    result.findings.forEach((finding, i) => {
      if (!this.headWritten) {
        out += this.skeleton().text;
        this.headWritten = true;
      }
      const { indent } = this.skeleton();
      const item = JSON.stringify(this.result(finding, result.path, result.cells?.[i]), null, 2).replace(/\n/g, `\n${indent}`);
      out += `${this.written++ === 0 ? '\n' : ',\n'}${indent}${item}`;
    });
    return out;
  }

  finish(report: CheckReport): string {
    const { text, tail, indent } = this.skeleton(report.notices);
    const close = this.written > 0 ? `\n${indent.slice(2)}]` : ']';
    return `${this.headWritten ? '' : text}${close}${tail}\n`;
  }

  /**
   * The log without results, split where the results array goes: `text` ends with `"results": [`,
   * `tail` starts right after its `]`. The head does not depend on the notices, which come after.
   */
  private skeleton(notices?: Notice[]): { text: string; indent: string; tail: string } {
    if (this.head && !notices) return this.head;
    const log = this.log(notices ?? []);
    const json = JSON.stringify(log, null, 2);
    const marker = `"${RESULTS_MARKER}"`;
    const at = json.indexOf(marker);
    const lineStart = json.lastIndexOf('\n', at) + 1;
    const keyIndent = /^\s*/.exec(json.slice(lineStart))![0];
    const skeleton = { text: `${json.slice(0, at)}[`, indent: `${keyIndent}  `, tail: json.slice(at + marker.length) };
    this.head ??= skeleton;
    return skeleton;
  }

  private log(notices: Notice[]): Sarif.Log {
    const info = packageInfo();
    const rules = allRules();
    rules.forEach((rule, i) => this.ruleIndex.set(rule.meta.code, i));
    const run: Sarif.Run = {
      tool: {
        driver: {
          name: 'LossLint',
          version: info.version,
          semanticVersion: info.version,
          ...(isWebUrl(info.homepage) ? { informationUri: info.homepage } : {}),
          rules: rules.map(ruleDescriptor),
        },
      },
      originalUriBaseIds: { '%SRCROOT%': { uri: directoryUri(this.cwd) } },
      columnKind: 'utf16CodeUnits',
      results: RESULTS_MARKER as unknown as Sarif.Result[],
      invocations: [
        {
          executionSuccessful: !notices.some((n) => n.level === 'error'),
          toolExecutionNotifications: notices.map((n) => this.notification(n)),
        },
      ],
    };
    return { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] };
  }

  private result(finding: Finding, file: string, cells?: FindingCells): Sarif.Result {
    const location = artifactLocation(file, this.cwd);
    const index = this.ruleIndex.get(finding.code);
    const result: Sarif.Result = {
      ruleId: finding.code,
      ...(index !== undefined ? { ruleIndex: index } : {}),
      level: level(finding.severity),
      message: { text: finding.message },
      locations: [
        {
          physicalLocation: { artifactLocation: location, region: region(cells ? fileRange(cells.at) : finding.range) },
          ...(cells ? { properties: cellProperties(cells.at) } : {}),
        },
      ],
    };
    if (finding.fix) {
      result.fixes = [
        {
          description: { text: finding.fix.title },
          artifactChanges: [
            {
              artifactLocation: location,
              replacements: finding.fix.edits.map((edit, i) => {
                const at = cells?.edits?.[i];
                return at
                  ? { deletedRegion: region(fileRange(at)), insertedContent: { text: JSON.stringify(edit.newText).slice(1, -1) } }
                  : { deletedRegion: region(edit.range), insertedContent: { text: edit.newText } };
              }),
            },
          ],
        },
      ];
    }
    if (finding.evidence) result.properties = { evidence: finding.evidence };
    if (finding.related?.length) {
      result.relatedLocations = finding.related.map((r, id) => ({
        id,
        physicalLocation: { artifactLocation: artifactLocation(r.path, this.cwd), region: region(r.range) },
        message: { text: r.message },
      }));
    }
    return result;
  }

  private notification(notice: Notice): Sarif.Notification {
    const out: Sarif.Notification = {
      level: notice.level === 'info' ? 'note' : notice.level,
      message: { text: notice.message },
    };
    if (notice.path) {
      out.locations = [{ physicalLocation: { artifactLocation: artifactLocation(notice.path, this.cwd) } }];
    }
    return out;
  }
}

function ruleDescriptor(rule: Rule): Sarif.ReportingDescriptor {
  const { meta } = rule;
  const helpUri = webDocsUrl(meta.code);
  return {
    id: meta.code,
    name: meta.name,
    shortDescription: { text: meta.summary },
    fullDescription: { text: whatItDoes(rule.docs) ?? meta.summary },
    help: { text: rule.docs, markdown: rule.docs },
    ...(helpUri ? { helpUri } : {}),
    defaultConfiguration: { level: level(meta.severity) },
    properties: { tags: ['correctness', 'deep-learning'], fixable: meta.fixable },
  };
}

/** SARIF levels: the core's info and hint are both `note`. */
function level(severity: Severity): Sarif.Result.level {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

/** Where a notebook location is in the .ipynb text (`runCheck` computes it when the format is SARIF). */
function fileRange(at: CellLocation): Range {
  if (!at.file) throw new Error('a notebook finding without its place in the file (fileLocations was not set)');
  return at.file;
}

/** The notebook cell of a location: its number (1-based, counting every cell) and the 1-based region in its source. */
function cellProperties(at: CellLocation): Sarif.PropertyBag {
  return { cell: at.cell, cellRegion: region(at.range) };
}

function region(range: Range): Sarif.Region {
  const span = toSpan(range);
  return { startLine: span.line, startColumn: span.column, endLine: span.endLine, endColumn: span.endColumn };
}

/** The first paragraph under `## What it does`, as plain text on one line. */
export function whatItDoes(docs: string): string | undefined {
  const match = /^##[ \t]+What it does[ \t]*\n+([\s\S]*?)(?:\n[ \t]*\n|\n##|(?![\s\S]))/m.exec(docs);
  const text = match?.[1].replace(/\s+/g, ' ').trim();
  return text ? text : undefined;
}

/** The rule page on the project's web site, when the package names an http(s) home page. */
function webDocsUrl(code: string): string | undefined {
  const { homepage, version } = packageInfo();
  if (!isWebUrl(homepage)) return undefined;
  return `${homepage.replace(/\/$/, '')}/blob/v${version}/${docsRelativePath(code)}`;
}

function isWebUrl(url: string): boolean {
  return /^https?:\/\//.test(url);
}

function directoryUri(directory: string): string {
  const href = pathToFileURL(directory + path.sep).href;
  return href.endsWith('/') ? href : `${href}/`;
}

