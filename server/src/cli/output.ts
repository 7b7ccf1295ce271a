/**
 * Where a command's report goes: stdout, or the file named by `--output-file`. Writes wait for the
 * stream to drain, so streamed output never piles up in memory; a closed pipe (`| head`) ends the
 * output quietly instead of crashing the run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class Output {
  private closed = false;

  private constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly ownsStream: boolean,
  ) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') this.closed = true;
      else this.failure ??= error;
    });
  }

  /** The first write error other than a closed pipe, reported when the output is closed. */
  private failure: Error | undefined;

  static stdout(): Output {
    return new Output(process.stdout, false);
  }

  /** Opens (truncates) a file, creating its folder; throws with a one-line reason when it cannot. */
  static async file(file: string): Promise<Output> {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const stream = fs.createWriteStream(file, { encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return new Output(stream, true);
  }

  /** Whether the reader went away (a closed pipe): further output is dropped. */
  get isClosed(): boolean {
    return this.closed;
  }

  async write(text: string): Promise<void> {
    if (this.closed || text === '') return;
    if (!this.stream.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          this.stream.off('close', done);
          resolve();
        };
        this.stream.once('drain', done);
        this.stream.once('error', done);
        this.stream.once('close', done);
      });
    }
  }

  /** Flushes; for a file, closes it. Throws the first write error, if any. */
  async close(): Promise<void> {
    if (this.ownsStream && !this.closed) {
      await new Promise<void>((resolve) => this.stream.end(() => resolve()));
      this.closed = true;
    }
    if (this.failure) throw this.failure;
  }
}
