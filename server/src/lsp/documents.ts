/**
 * The open documents of the session: uri → version, text and tree-sitter tree.
 *
 * A document is parsed once, on didOpen. Every didChange applies the editor's incremental content
 * changes to the existing tree (`ParsedDocument.applyChanges`), so a keystroke re-parses only what it
 * touched. Text longer than MAX_SOURCE_CHARS is tracked as plain text and never parsed; it is parsed
 * again (once) if edits bring it back under the limit. Only the MAX_PARSED_DOCUMENTS most recently used
 * documents keep their tree; the others keep their text and are parsed again on their next use.
 */
import { TextDocument } from 'vscode-languageserver-textdocument';
import { MAX_SOURCE_CHARS, ParsedDocument, type ContentChange, type TextRange } from '../core/document';
import { treeDropped } from '../core/trees';
import type { Position } from '../core/types';

/** An upper bound of the text length after `changes`, computed without applying them. */
function lengthBound(length: number, changes: readonly ContentChange[]): number {
  let bound = length;
  for (const change of changes) bound = change.range ? bound + change.text.length : change.text.length;
  return bound;
}

/**
 * How many open documents keep their syntax tree. A tree costs ~47 bytes per character of native
 * memory (3.2 MB for a 2,000-line file, bench/RESULTS.md), so the least recently used documents beyond
 * this keep their text only and are parsed again when they are next edited or analysed.
 */
export const MAX_PARSED_DOCUMENTS = 32;

export class OpenDocument {
  private parsed: ParsedDocument | undefined;
  private plain: TextDocument | undefined;
  /** The text of a document whose tree was released (`release`). */
  private dormant: string | undefined;
  /** What its tree left out then (core/document.ts `ParsedDocument.excluded`), left out again when it wakes. */
  private dormantExcluded: TextRange | undefined;

  constructor(
    readonly uri: string,
    public version: number,
    text: string,
    /** Told whenever the document's tree is used or made, so that the store can release the least recent ones. */
    private readonly onParsed?: (document: OpenDocument) => void,
  ) {
    if (text.length <= MAX_SOURCE_CHARS) this.parsed = ParsedDocument.parse(text);
    else this.plain = TextDocument.create(uri, 'python', version, text);
    this.touch();
  }

  get text(): string {
    if (this.dormant !== undefined) return this.dormant;
    return this.parsed ? this.parsed.text : (this.plain as TextDocument).getText();
  }

  /** Whether the document holds a syntax tree now. */
  get hasTree(): boolean {
    return this.parsed !== undefined;
  }

  /** Drops the syntax tree, keeping the text; the next use parses it again. */
  release(): void {
    if (!this.parsed) return;
    treeDropped(this.parsed.text.length);
    this.dormant = this.parsed.text;
    this.dormantExcluded = this.parsed.excluded;
    this.parsed = undefined;
  }

  private wake(): void {
    if (this.dormant === undefined) return;
    this.parsed = ParsedDocument.parse(this.dormant, { excluded: this.dormantExcluded });
    this.dormant = undefined;
    this.dormantExcluded = undefined;
  }

  private touch(): void {
    if (this.parsed) this.onParsed?.(this);
  }

  /** The UTF-16 offset of a position, clamped to the text. */
  offsetAt(position: Position): number {
    this.wake();
    this.touch();
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
    this.wake();
    this.touch();
    return this.parsed;
  }

  /** One step of settling the tree (`ParsedDocument.settle`) in idle time; false when none is left or there is no tree. */
  settle(): boolean {
    return this.parsed !== undefined && this.parsed.settle();
  }

  /** Applies one didChange notification: its content changes, in order, and its new version. */
  applyChanges(changes: readonly ContentChange[], version: number): void {
    this.version = version;
    this.wake();
    if (this.parsed && lengthBound(this.parsed.text.length, changes) <= MAX_SOURCE_CHARS) {
      this.parsed.applyChanges([...changes]);
      this.touch();
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
      this.touch();
    } else {
      this.parsed = undefined;
      this.plain = plain;
    }
  }
}

export class DocumentStore {
  private readonly documents = new Map<string, OpenDocument>();
  /** Documents holding a tree, least recently used first. */
  private readonly parsed = new Set<OpenDocument>();

  constructor(private readonly maxParsed: number = MAX_PARSED_DOCUMENTS) {}

  private used(document: OpenDocument): void {
    this.parsed.delete(document);
    this.parsed.add(document);
    for (const old of this.parsed) {
      if (this.parsed.size <= this.maxParsed) break;
      if (old === document) continue;
      old.release();
      this.parsed.delete(old);
    }
  }

  open(uri: string, version: number, text: string): OpenDocument {
    const previous = this.documents.get(uri);
    if (previous) this.parsed.delete(previous);
    const document = new OpenDocument(uri, version, text, (d) => {
      if (this.documents.get(d.uri) === d) this.used(d);
    });
    this.documents.set(uri, document);
    if (document.hasTree) this.used(document);
    return document;
  }

  /** How many open documents hold a syntax tree (at most `maxParsed`). */
  parsedCount(): number {
    return this.parsed.size;
  }

  /** Applies a didChange; returns false when the document is not open (a client bug, logged by the caller). */
  change(uri: string, version: number, changes: readonly ContentChange[]): boolean {
    const document = this.documents.get(uri);
    if (!document) return false;
    document.applyChanges(changes, version);
    return true;
  }

  close(uri: string): void {
    const document = this.documents.get(uri);
    if (document && this.parsed.delete(document)) treeDropped(document.text.length);
    this.documents.delete(uri);
  }

  get(uri: string): OpenDocument | undefined {
    return this.documents.get(uri);
  }

  uris(): string[] {
    return [...this.documents.keys()];
  }
}
