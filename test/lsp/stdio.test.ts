/**
 * lsp/stdio.ts: each message leaves in one write (header and body together), in order, and reads
 * back as the same messages.
 */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StreamMessageReader, WriteableStreamMessageWriter, type Message } from 'vscode-languageserver/node';
import { oneWritePerMessage } from '../../server/src/lsp/stdio';

function recorder(): { stream: Writable; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, chunks };
}

const MESSAGES: Message[] = [
  { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri: 'file:///a.py', version: 2, diagnostics: [] } } as Message,
  // Non-ASCII text: Content-Length counts bytes, not characters.
  { jsonrpc: '2.0', method: 'window/logMessage', params: { type: 4, message: 'LossLint: α_t = α·t + (1−α)(1−t) ✓' } } as Message,
  { jsonrpc: '2.0', id: 7, result: null } as Message,
];

describe('one write per message', () => {
  it('writes the header and the body of each message together, with the byte length', async () => {
    const { stream, chunks } = recorder();
    const writer = new WriteableStreamMessageWriter(oneWritePerMessage(stream));
    for (const m of MESSAGES) await writer.write(m);
    expect(chunks).toHaveLength(MESSAGES.length);
    chunks.forEach((chunk, i) => {
      const text = chunk.toString('utf8');
      const [header, body] = text.split('\r\n\r\n');
      expect(header).toBe(`Content-Length: ${Buffer.byteLength(body, 'utf8')}`);
      expect(JSON.parse(body)).toEqual(MESSAGES[i]);
    });
  });

  it('reads back as the same messages, in order, when writes are not awaited', async () => {
    const pipe = new PassThrough();
    const writer = new WriteableStreamMessageWriter(oneWritePerMessage(pipe));
    const reader = new StreamMessageReader(pipe);
    const got: Message[] = [];
    const all = new Promise<void>((resolve) =>
      reader.listen((m) => {
        got.push(m);
        if (got.length === MESSAGES.length * 2) resolve();
      }),
    );
    const writes = [...MESSAGES, ...MESSAGES].map((m) => writer.write(m));
    await Promise.all(writes);
    await all;
    expect(got).toEqual([...MESSAGES, ...MESSAGES]);
    reader.dispose();
  });

  it('reports a failed write to the writer', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, done) {
        done(new Error('EPIPE'));
      },
    });
    failing.on('error', () => undefined);
    const writer = new WriteableStreamMessageWriter(oneWritePerMessage(failing));
    const errors: unknown[] = [];
    writer.onError(([error]) => errors.push(error));
    await expect(writer.write(MESSAGES[0])).rejects.toThrow('EPIPE');
    expect(errors).toHaveLength(1);
  });
});
