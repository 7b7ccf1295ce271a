/**
 * Error containment for the language server.
 *
 * Every LSP handler and timer callback goes through `guarded`: whatever it throws or rejects with is
 * logged to the client (window/logMessage) and replaced by a fallback value. One bad document, rule
 * or request therefore never ends the server, and no promise rejection is left unhandled.
 */
import { ErrorCodes, ResponseError, type RemoteConsole } from 'vscode-languageserver';

/** The part of the client console the server logs through. */
export type Log = Pick<RemoteConsole, 'error' | 'warn' | 'info' | 'log'>;

/** Formats an unknown thrown value for the log, with its stack when there is one. */
export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * Wraps a handler so that an exception or rejection is logged under `name` and answered with
 * `fallback` (null for requests, undefined for notifications). A `ResponseError` is a deliberate
 * answer (invalid parameters, unknown command) and goes through to the client unchanged.
 */
export function guarded<A extends unknown[], R>(
  log: Log,
  name: string,
  fallback: R,
  handler: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      log.error(`LossLint: ${name} failed: ${describeError(error)}`);
      return fallback;
    }
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isPosition(value: unknown): boolean {
  return isRecord(value) && Number.isInteger(value.line) && Number.isInteger(value.character);
}

/**
 * Checks the parts of a text-document request the handlers read (`textDocument.uri`, and
 * `position` or `range` when `need` says so); throws an InvalidParams error for malformed input,
 * so that a client bug is answered as one instead of as "nothing here".
 */
export function checkTextDocumentParams(params: unknown, need: 'position' | 'range' | 'none'): void {
  const invalid = (what: string) => new ResponseError(ErrorCodes.InvalidParams, `LossLint: invalid parameters: ${what}`);
  if (!isRecord(params) || !isRecord(params.textDocument) || typeof params.textDocument.uri !== 'string') {
    throw invalid('textDocument.uri must be a string');
  }
  if (need === 'position' && !isPosition(params.position)) throw invalid('position must be {line, character} integers');
  if (need === 'range' && !(isRecord(params.range) && isPosition(params.range.start) && isPosition(params.range.end))) {
    throw invalid('range must be {start, end} positions');
  }
}

/** Whether `value` is a {start, end} range of integer positions. */
function isRange(value: unknown): boolean {
  return isRecord(value) && isPosition(value.start) && isPosition(value.end);
}

/**
 * Whether `changes` is what a didChange must carry: an array of `{ text }` (a full replacement) or
 * `{ range, text }` with integer positions. Anything else is refused as a whole, before a single
 * change is applied, so that a malformed notification cannot leave a document half edited.
 */
export function isContentChanges(changes: unknown): changes is { range?: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }[] {
  return Array.isArray(changes) && changes.every((c) => isRecord(c) && typeof c.text === 'string' && (c.range === undefined || isRange(c.range)));
}

/** Whether a didOpen / didChange `textDocument` names a document: a string uri and an integer version. */
export function isVersionedDocument(value: unknown): value is { uri: string; version: number } {
  return isRecord(value) && typeof value.uri === 'string' && Number.isInteger(value.version);
}
