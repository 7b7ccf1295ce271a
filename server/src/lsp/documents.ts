/**
 * The open documents of the session: uri → version, text and tree-sitter tree.
 *
 * A document is parsed once, on didOpen. Every didChange applies the editor's incremental content
 * changes to the existing tree (`ParsedDocument.applyChanges`), so a keystroke re-parses only what it
 * touched. Text longer than MAX_SOURCE_CHARS is tracked as plain text and never parsed; it is parsed
 * again (once) if edits bring it back under the limit.
 */
import { TextDocument } from 'vscode-languageserver-textdocument';
import { MAX_SOURCE_CHARS, ParsedDocument, type ContentChange } from '../core/document';
import type { Position } from '../core/types';

/** An upper bound of the text length after `changes`, computed without applying them. */
function lengthBound(length: number, changes: readonly ContentChange[]): number {
  let bound = length;
  for (const change of changes) bound = change.range ? bound + change.text.length : change.text.length;
  return bound;
}

export class OpenDocument {
  private parsed: ParsedDocument | undefined;
  private plain: TextDocument | undefined;

  constructor(
    readonly uri: string,
    public version: number,
    text: string,
  ) {
    if (text.length <= MAX_SOURCE_CHARS) this.parsed = ParsedDocument.parse(text);
    else this.plain = TextDocument.create(uri, 'python', version, text);
  }

  get text(): string {
    return this.parsed ? this.parsed.text : (this.plain as TextDocument).getText();
  }

  /** The UTF-16 offset of a position, clamped to the text. */
  offsetAt(position: Position): number {
    return this.parsed ? this.parsed.offsetAt(position) : (this.plain as TextDocument).offsetAt(position);
  }

  /** The text of one line without its line break; empty past the last line. */
  lineText(line: number): string {
    const start = this.offsetAt({ line, character: 0 });
    const end = this.offsetAt({ line: line + 1, character: 0 });
    return this.text.slice(start, end).replace(/(\r\n|\r|\n)$/, '');
  }

  /** The parsed document, or undefined while the text is longer than MAX_SOURCE_CHARS. */
  get parsedDocument(): ParsedDocument | undefined {
    return this.parsed;
  }

  /** Applies one didChange notification: its content changes, in order, and its new version. */
  applyChanges(changes: readonly ContentChange[], version: number): void {
    this.version = version;
    if (this.parsed && lengthBound(this.parsed.text.length, changes) <= MAX_SOURCE_CHARS) {
      this.parsed.applyChanges([...changes]);
      return;
    }
    // The text is, or may become, too large to parse: edit it as plain text and parse it only if it
    // ends up under the limit again.
    const plain = this.plain ?? TextDocument.create(this.uri, 'python', version, this.text);
    TextDocument.update(plain, [...changes], version);
    const text = plain.getText();
    if (text.length <= MAX_SOURCE_CHARS) {
      this.parsed = ParsedDocument.parse(text);
      this.plain = undefined;
    } else {
      this.parsed = undefined;
      this.plain = plain;
    }
  }
}

export class DocumentStore {
  private readonly documents = new Map<string, OpenDocument>();

  open(uri: string, version: number, text: string): OpenDocument {
    const document = new OpenDocument(uri, version, text);
    this.documents.set(uri, document);
    return document;
  }

  /** Applies a didChange; returns false when the document is not open (a client bug, logged by the caller). */
  change(uri: string, version: number, changes: readonly ContentChange[]): boolean {
    const document = this.documents.get(uri);
    if (!document) return false;
    document.applyChanges(changes, version);
    return true;
  }

  close(uri: string): void {
    this.documents.delete(uri);
  }

  get(uri: string): OpenDocument | undefined {
    return this.documents.get(uri);
  }

  uris(): string[] {
    return [...this.documents.keys()];
  }
}
