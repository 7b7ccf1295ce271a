/**
 * The output formats of `losslint check`. Each streams: `file` returns the text for one checked
 * file as soon as it is done, and `finish` the closing text once the run is over.
 */
import type { CheckReport, FileResult } from '../report';
import { JsonFormatter } from './json';
import { SarifFormatter } from './sarif';
import { TextFormatter } from './text';

export const FORMATS = ['text', 'json', 'sarif'] as const;

export type FormatName = (typeof FORMATS)[number];

export interface Formatter {
  /** Text to write right away for one checked file (possibly empty). */
  file(result: FileResult): string;
  /** Text to write at the end. */
  finish(report: CheckReport): string;
}

export function createFormatter(format: FormatName, cwd: string): Formatter {
  switch (format) {
    case 'json':
      return new JsonFormatter(cwd);
    case 'sarif':
      return new SarifFormatter(cwd);
    case 'text':
      return new TextFormatter(cwd);
  }
}
