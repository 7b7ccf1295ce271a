/**
 * workspace/executeCommand: dispatch of LossLint's server commands (ids in protocol.ts).
 *
 * An unknown command is answered with an InvalidParams error; a known command whose feature is
 * not available yet answers `{ available: false, message }` instead of failing, so that the client
 * can show the message.
 *
 * server.ts registers the numeric commands (`losslint.rerunNumeric`, `losslint.reproduceInPyTorch`)
 * with `CommandRegistry.register`; until then they answer "numeric checks not available yet".
 */
import { ErrorCodes, ResponseError, type CancellationToken, type ExecuteCommandParams } from 'vscode-languageserver';
import { SERVER_COMMANDS, ServerCommands, type UnavailableResult } from '../../../common/protocol';

export type CommandHandler = (args: unknown[], token: CancellationToken, params: ExecuteCommandParams) => unknown;

export const NUMERIC_UNAVAILABLE: UnavailableResult = { available: false, message: 'LossLint: numeric checks not available yet.' };

export class CommandRegistry {
  private readonly handlers = new Map<string, CommandHandler>([
    [ServerCommands.rerunNumeric, () => NUMERIC_UNAVAILABLE],
    [ServerCommands.reproduceInPyTorch, () => NUMERIC_UNAVAILABLE],
  ]);

  /** Sets (or replaces) the handler of one of the commands in SERVER_COMMANDS. */
  register(command: string, handler: CommandHandler): void {
    if (!SERVER_COMMANDS.includes(command)) throw new Error(`${command} is not declared in protocol.ts SERVER_COMMANDS`);
    this.handlers.set(command, handler);
  }

  async execute(params: ExecuteCommandParams, token: CancellationToken): Promise<unknown> {
    const handler = this.handlers.get(params.command);
    if (!handler) throw new ResponseError(ErrorCodes.InvalidParams, `LossLint: unknown command ${JSON.stringify(params.command)}`);
    const result = await handler(Array.isArray(params.arguments) ? params.arguments : [], token, params);
    return result ?? null;
  }
}
