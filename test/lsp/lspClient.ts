/**
 * A minimal LSP client for the protocol tests: spawns the built dist/server.js --stdio and talks to
 * it with vscode-jsonrpc's StreamMessageReader/Writer, without a MessageConnection, so that tests
 * can also send raw (malformed) frames and see every message the server writes, responses with a
 * null id included.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, type Message as JsonRpcMessage } from 'vscode-jsonrpc/node';

/** Any JSON-RPC message as received: request, response or notification. */
export interface Message {
  jsonrpc?: string;
  id?: number | string | null;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string; data?: unknown };
}

export const SERVER_JS = path.resolve(__dirname, '../../dist/server.js');

/** Fails with a clear message when the bundle is missing (`npm test` builds it first). */
export function requireBuiltServer(): void {
  if (!fs.existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} is missing: run \`npm run build\` (npm test does) first`);
}

export interface ResponseLike {
  id: number | string | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export interface NotificationLike {
  method: string;
  params?: unknown;
}

type Waiter = { predicate: (m: Message) => boolean; resolve: (m: Message) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class LspTestClient {
  readonly process: ChildProcessWithoutNullStreams;
  /** Every message the server sent, in order. */
  readonly received: Message[] = [];
  /** What the server wrote to stderr. */
  stderr = '';
  /** Answers to server → client requests, by method; `workspace/configuration` gets one item per requested section. */
  configuration: (section: string | undefined, scopeUri: string | undefined) => unknown = () => null;
  private readonly writer: StreamMessageWriter;
  private readonly waiters: Waiter[] = [];
  private nextId = 1;
  readonly exited: Promise<number | null>;

  /** Spawns `serverJs` (the built dist/server.js unless told otherwise) with --stdio, with `env` added to the environment. */
  constructor(serverJs = SERVER_JS, env: Record<string, string> = {}) {
    if (serverJs === SERVER_JS) requireBuiltServer();
    this.process = spawn(process.execPath, [serverJs, '--stdio'], { stdio: 'pipe', env: { ...process.env, ...env } });
    this.process.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.process.on('exit', (code) => resolve(code)));
    const reader = new StreamMessageReader(this.process.stdout);
    this.writer = new StreamMessageWriter(this.process.stdin);
    reader.listen((message) => this.onMessage(message as Message));
  }

  private onMessage(message: Message): void {
    this.received.push(message);
    const m = message;
    if (m.method !== undefined && m.id !== undefined && m.id !== null) {
      void this.writer.write({ jsonrpc: '2.0', id: m.id, result: this.answer(m.method, m.params) } as JsonRpcMessage);
    }
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(message)) {
        clearTimeout(waiter.timer);
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  }

  private answer(method: string, params: unknown): unknown {
    if (method === 'workspace/configuration') {
      const items = (params as { items: { section?: string; scopeUri?: string }[] }).items;
      return items.map((item) => this.configuration(item.section, item.scopeUri));
    }
    return null;
  }

  /** Resolves with the first message, already received or still to come, that satisfies `predicate`. */
  waitFor<T = Message>(predicate: (m: Message) => boolean, what: string, timeoutMs = 10_000, from = 0): Promise<T> {
    const seen = this.received.slice(from).find(predicate);
    if (seen) return Promise.resolve(seen as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.findIndex((w) => w.timer === timer), 1);
        reject(new Error(`timed out waiting for ${what}; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.waiters.push({ predicate, resolve: resolve as (m: Message) => void, reject, timer });
    });
  }

  /** Sends a request and resolves with its response message (result or error). */
  async request(method: string, params?: unknown): Promise<ResponseLike> {
    const id = this.nextId++;
    const from = this.received.length;
    await this.writer.write({ jsonrpc: '2.0', id, method, params } as JsonRpcMessage);
    return this.waitFor<ResponseLike>((m) => (m as ResponseLike).id === id && !('method' in m), `the response to ${method}`, 10_000, from);
  }

  /** Sends a request and returns its result; throws on an error response. */
  async call<T = unknown>(method: string, params?: unknown): Promise<T> {
    const response = await this.request(method, params);
    if (response.error) throw new Error(`${method} failed: ${response.error.code} ${response.error.message}`);
    return response.result as T;
  }

  notify(method: string, params?: unknown): Promise<void> {
    return this.writer.write({ jsonrpc: '2.0', method, params } as JsonRpcMessage);
  }

  /** Writes one frame with an arbitrary body, bypassing JSON encoding. */
  writeRawFrame(body: string): void {
    this.process.stdin.write(`Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`);
  }

  /** The next publishDiagnostics for `uri` that satisfies `predicate`, received from message index `from` on. */
  diagnostics<P = { uri: string; version?: number; diagnostics: any[] }>(
    uri: string,
    predicate: (params: P) => boolean = () => true,
    from = 0,
    timeoutMs = 10_000,
  ): Promise<P> {
    return this.waitFor<NotificationLike>(
      (m) => {
        const n = m as NotificationLike;
        return n.method === 'textDocument/publishDiagnostics' && (n.params as { uri: string }).uri === uri && predicate(n.params as P);
      },
      `diagnostics for ${uri}`,
      timeoutMs,
      from,
    ).then((n) => n.params as P);
  }

  /** Every notification of `method` received so far. */
  notifications(method: string): NotificationLike[] {
    return this.received.filter((m) => (m as NotificationLike).method === method && !('id' in m)) as NotificationLike[];
  }

  async initialize(capabilities: Record<string, unknown> = { workspace: { configuration: true } }, extra: Record<string, unknown> = {}): Promise<any> {
    const result = await this.call('initialize', { processId: process.pid, rootUri: null, capabilities, ...extra });
    await this.notify('initialized', {});
    return result;
  }

  /** shutdown + exit; resolves with the exit code. */
  async stop(): Promise<number | null> {
    await this.call('shutdown');
    await this.notify('exit');
    return this.exited;
  }

  kill(): void {
    if (this.process.exitCode === null) this.process.kill();
  }
}

interface Pos {
  line: number;
  character: number;
}
interface Edit {
  range: { start: Pos; end: Pos };
  newText: string;
}

/** The UTF-16 offset of an LSP position in `text`. */
export function offsetAt(text: string, position: Pos): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return Math.min(offset + position.character, text.length);
}

/** The LSP position of a UTF-16 offset in `text`. */
export function positionAt(text: string, offset: number): Pos {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/** Applies non-overlapping TextEdits (all relative to the original text), as a WorkspaceEdit's `changes` entry is. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const spans = edits
    .map((e) => ({ start: offsetAt(text, e.range.start), end: offsetAt(text, e.range.end), newText: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].end > spans[i - 1].start) throw new Error('overlapping edits');
  }
  let result = text;
  for (const s of spans) result = result.slice(0, s.start) + s.newText + result.slice(s.end);
  return result;
}
