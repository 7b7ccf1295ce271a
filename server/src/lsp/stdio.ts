/**
 * stdout for vscode-jsonrpc's message writer, one write per message.
 *
 * The writer writes a message's header, waits for that write, then writes its body: two system calls
 * and two wake-ups of the client for every message, a publishDiagnostics per keystroke included.
 * Here the header is held until its body comes and both go out in one write, in order.
 */
import { Disposable, type RAL } from 'vscode-languageserver/node';

type Encoding = 'ascii' | 'utf-8' | undefined;

export function oneWritePerMessage(stream: NodeJS.WritableStream): RAL.WritableStream {
  let header: string | undefined;
  const on = (event: string, listener: (...args: any[]) => void): Disposable => {
    stream.on(event, listener);
    return Disposable.create(() => stream.off(event, listener));
  };
  const write = (chunk: Uint8Array | string, encoding?: BufferEncoding): Promise<void> =>
    new Promise((resolve, reject) => {
      const done = (error?: Error | null) => (error ? reject(error) : resolve());
      if (typeof chunk === 'string') stream.write(chunk, encoding ?? 'utf8', done);
      else stream.write(chunk, done);
    });
  return {
    onClose: (listener) => on('close', listener),
    onError: (listener) => on('error', listener),
    onEnd: (listener) => on('end', listener),
    write(data: Uint8Array | string, encoding?: Encoding): Promise<void> {
      // vscode-jsonrpc writes headers (and only them) as ASCII strings.
      if (typeof data === 'string' && encoding === 'ascii') {
        header = (header ?? '') + data;
        return Promise.resolve();
      }
      const held = header;
      header = undefined;
      if (typeof data === 'string') return held === undefined ? write(data, encoding) : write(held, 'ascii').then(() => write(data, encoding));
      return write(held === undefined ? data : Buffer.concat([Buffer.from(held, 'ascii'), data]));
    },
    end(): void {
      if (header !== undefined) stream.write(header, 'ascii');
      header = undefined;
      stream.end();
    },
  } as RAL.WritableStream;
}
