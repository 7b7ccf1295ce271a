/**
 * Entry point of dist/server.js, the LossLint language server.
 *
 *   losslint-lsp --stdio        talk LSP over stdin/stdout (any editor)
 *   losslint-lsp --node-ipc     talk LSP over Node IPC (how the VS Code client starts it)
 *   losslint-lsp --version      print the version and exit
 */
import { version } from '../../../package.json';
import { format } from 'node:util';
import { ErrorCodes, StreamMessageReader, WriteableStreamMessageWriter, type ResponseMessage } from 'vscode-languageserver/node';
import { describeError } from './guard';
import { startServer } from './server';
import { oneWritePerMessage } from './stdio';

const TRANSPORTS = ['--stdio', '--node-ipc', '--socket', '--pipe'];

const args = process.argv.slice(2);
if (args.includes('--version') || args.includes('-v')) {
  process.stdout.write(`losslint-lsp ${version}\n`);
} else if (!args.some((a) => TRANSPORTS.some((t) => a === t || a.startsWith(`${t}=`)))) {
  process.stderr.write('Usage: losslint-lsp --stdio | --node-ipc | --socket=PORT | --pipe=NAME | --version\n');
  process.exitCode = 2;
} else {
  // Handlers are guarded one by one; this is the last line of defence for a stray callback. The
  // server keeps running: with --stdio, stdout is the protocol, so the report goes to stderr.
  process.on('uncaughtException', (error) => process.stderr.write(`LossLint: uncaught exception: ${describeError(error)}\n`));
  process.on('unhandledRejection', (error) => process.stderr.write(`LossLint: unhandled rejection: ${describeError(error)}\n`));
  if (args.includes('--stdio')) startStdio();
  else startServer(version);
}

/**
 * --stdio with our own reader and writer, so that a frame whose body is not JSON is answered with
 * a JSON-RPC ParseError (id null) instead of only being logged; the reader then goes on with the
 * next frame. stdout belongs to the protocol: console output is sent to stderr.
 */
function startStdio(): void {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    console[method] = (...values: unknown[]) => process.stderr.write(`${format(...values)}\n`);
  }
  const reader = new StreamMessageReader(process.stdin);
  const writer = new WriteableStreamMessageWriter(oneWritePerMessage(process.stdout));
  reader.onError((error) => {
    process.stderr.write(`LossLint: unreadable message: ${error.message}\n`);
    const answer: ResponseMessage = { jsonrpc: '2.0', id: null, error: { code: ErrorCodes.ParseError, message: `LossLint: ${error.message}` } };
    writer.write(answer).catch(() => undefined);
  });
  const server = startServer(version, { reader, writer });
  // The client went away: exit as `exit` would, 0 only after a shutdown request.
  const end = () => process.exit(server.shutdownReceived ? 0 : 1);
  process.stdin.on('end', end);
  process.stdin.on('close', end);
}
