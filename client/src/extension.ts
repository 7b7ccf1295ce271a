/**
 * The LossLint VS Code extension: starts the language server (dist/server.js, over Node IPC) and
 * adds the commands and the status bar item. Every diagnostic, hover and fix comes from the server;
 * this file only wires VS Code to it.
 *
 * Commands:
 * - `losslint.restartServer`, `losslint.showOutput`, `losslint.showRuleDocs`: handled here.
 * - `losslint.checkWorkspace`, `losslint.rerunNumeric`, `losslint.reproduceInPyTorch`: server
 *   commands. vscode-languageclient registers them from the server's `executeCommandProvider`
 *   once the server runs; the middleware below reports their answers. When the server fails to
 *   start, fallbacks registered here say so instead of VS Code's "command not found"; they are
 *   removed before a restart, as VS Code allows one handler per command id.
 * - `losslint.rerunNumeric` and `losslint.reproduceInPyTorch` get the active editor's URI (and the
 *   function under the cursor's line is left to the server) when run from the palette; the repro
 *   script the server answers is put on the clipboard here.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  ResponseError,
  State,
  type MessageSignature,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  ClientCommands,
  SERVER_COMMANDS,
  ServerCommands,
  STATUS_NOTIFICATION,
  type CheckWorkspaceResult,
  type ReproduceResult,
  type StatusParams,
  type UnavailableResult,
} from '../../common/protocol';

/**
 * A request VS Code makes while the window closes can be in flight when deactivate() stops the
 * client; vscode-languageclient then fails it with a plain "Starting server failed" and logs it as an
 * error. Once the client is no longer running, such a failure is expected: answer the default value.
 */
class LossLintClient extends LanguageClient {
  override handleFailedRequest<T>(
    type: MessageSignature,
    token: vscode.CancellationToken | undefined,
    error: unknown,
    defaultValue: T,
    showNotification?: boolean,
    throwOnCancel?: boolean,
  ): T {
    if (this.state !== State.Running && !(error instanceof ResponseError)) return defaultValue;
    return super.handleFailedRequest(type, token, error, defaultValue, showNotification, throwOnCancel);
  }
}

let client: LanguageClient | undefined;
let status: vscode.StatusBarItem | undefined;
let fallbacks: vscode.Disposable[] = [];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const serverModule = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath;
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    // Python files on any file system (virtual workspaces included) and Python cells of notebooks;
    // config files (YAML, JSON, TOML) on disk, which feed the project index (a loss's hyperparameters).
    documentSelector: [{ language: 'python' }, { notebook: '*', language: 'python' }, { scheme: 'file', pattern: '**/*.{yaml,yml,json,toml}' }],
    synchronize: {
      // The project's [tool.losslint] lives in pyproject.toml: the server re-reads it when one changes.
      // Python and config files changed on disk update the project index.
      fileEvents: [
        vscode.workspace.createFileSystemWatcher('**/pyproject.toml'),
        vscode.workspace.createFileSystemWatcher('**/*.{py,yaml,yml,json,toml}'),
      ],
    },
    outputChannelName: 'LossLint',
    middleware: {
      executeCommand: async (command, args, next) => {
        const result: unknown = await next(command, withActiveDocument(command, args));
        await showCommandResult(command, result);
        return result;
      },
    },
  };
  client = new LossLintClient('losslint', 'LossLint', serverOptions, clientOptions);

  status = vscode.window.createStatusBarItem('losslint.status', vscode.StatusBarAlignment.Right, 100);
  status.name = 'LossLint';
  status.command = ClientCommands.showOutput;
  showStatus({ state: 'busy', message: 'Starting the LossLint server.' });
  status.show();

  context.subscriptions.push(
    status,
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Stopped) showStatus({ state: 'error', message: 'The LossLint server is not running.' });
      if (newState === State.Starting) showStatus({ state: 'busy', message: 'Starting the LossLint server.' });
    }),
    vscode.commands.registerCommand(ClientCommands.restartServer, async () => {
      if (!client) return;
      disposeFallbacks();
      showStatus({ state: 'busy', message: 'Restarting the LossLint server.' });
      try {
        await (client.isRunning() ? client.restart() : client.start());
      } catch (error) {
        startFailed(error);
      }
    }),
    vscode.commands.registerCommand(ClientCommands.showOutput, () => client?.outputChannel.show(true)),
    vscode.commands.registerCommand(ClientCommands.showRuleDocs, (code?: unknown) => showRuleDocs(context, code)),
    { dispose: disposeFallbacks },
  );

  context.subscriptions.push(client.onNotification(STATUS_NOTIFICATION, (params: StatusParams) => showStatus(params)));
  try {
    await client.start();
  } catch (error) {
    startFailed(error);
  }
}

function startFailed(error: unknown): void {
  showStatus({ state: 'error', message: `The LossLint server failed to start: ${String(error)}` });
  client?.outputChannel.show(true);
  registerFallbacks();
}

function disposeFallbacks(): void {
  for (const f of fallbacks) f.dispose();
  fallbacks = [];
}

export async function deactivate(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) await running.stop();
}

/** Server commands that answer when the server could not start (otherwise VS Code says "command not found"). */
function registerFallbacks(): void {
  disposeFallbacks();
  for (const command of SERVER_COMMANDS) {
    fallbacks.push(
      vscode.commands.registerCommand(command, () =>
        vscode.window.showWarningMessage('LossLint: the server is not running; see the LossLint output.', 'Show Output', 'Restart').then((pick) => {
          if (pick === 'Show Output') void vscode.commands.executeCommand(ClientCommands.showOutput);
          if (pick === 'Restart') void vscode.commands.executeCommand(ClientCommands.restartServer);
        }),
      ),
    );
  }
}

function isUnavailable(result: unknown): result is UnavailableResult {
  return typeof result === 'object' && result !== null && (result as UnavailableResult).available === false;
}

/** The numeric commands run on the active Python document when the palette gives them no URI. */
function withActiveDocument(command: string, args: unknown[]): unknown[] {
  if (command !== ServerCommands.rerunNumeric && command !== ServerCommands.reproduceInPyTorch) return args;
  if (typeof args[0] === 'string') return args;
  const uri = vscode.window.activeTextEditor?.document.uri.toString();
  return uri ? [uri] : args;
}

/** Shows what a server command answered: "not available", the repro script copied, or the workspace check's summary. */
async function showCommandResult(command: string, result: unknown): Promise<void> {
  if (isUnavailable(result)) {
    void vscode.window.showInformationMessage(result.message);
    return;
  }
  if (command === ServerCommands.reproduceInPyTorch && typeof result === 'object' && result !== null) {
    const r = result as ReproduceResult;
    if (typeof r.script === 'string') {
      await vscode.env.clipboard.writeText(r.script);
      void vscode.window.showInformationMessage(`LossLint: a PyTorch script reproducing the probes of ${r.function} is on the clipboard.`);
    }
    return;
  }
  if (command === ServerCommands.checkWorkspace && typeof result === 'object' && result !== null) {
    const r = result as CheckWorkspaceResult;
    const summary = `LossLint: ${r.findings} ${r.findings === 1 ? 'problem' : 'problems'} in ${r.files} ${r.files === 1 ? 'file' : 'files'}`;
    const skipped = r.skipped > 0 ? ` (${r.skipped} skipped, see the output)` : '';
    void vscode.window.showInformationMessage(`${summary}${skipped}${r.cancelled ? ', cancelled before the end' : ''}.`);
  }
}

function showStatus(params: StatusParams): void {
  if (!status) return;
  const icon = { ready: '$(check)', busy: '$(sync~spin)', disabled: '$(circle-slash)', error: '$(error)' }[params.state] ?? '$(question)';
  const backend = params.backend ? ` (${params.backend}${params.numericRunning ? ', probing' : ''})` : params.numericRunning ? ' (probing)' : '';
  status.text = `${icon} LossLint${backend}`;
  const running = params.numericRunning ? ' Probes are running.' : '';
  const numeric = params.backend ? `Numeric checks: ${params.backend} backend.${running}` : `Numeric checks: not run yet or off.${running}`;
  status.tooltip = new vscode.MarkdownString(`**LossLint**: ${params.message ?? params.state}\n\n${numeric}\n\nClick to open the log.`);
  status.backgroundColor = params.state === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
}

/** Opens a rule's page (docs/rules/LLxxx.md, shipped in the extension) in the Markdown preview; asks which rule when none is given. */
async function showRuleDocs(context: vscode.ExtensionContext, argument: unknown): Promise<void> {
  const folder = vscode.Uri.joinPath(context.extensionUri, 'docs', 'rules');
  let code = typeof argument === 'string' ? argument.trim().toUpperCase() : undefined;
  if (!code) {
    const codes = (await vscode.workspace.fs.readDirectory(folder))
      .map(([name]) => name)
      .filter((name) => /^LL\d+\.md$/i.test(name))
      .map((name) => name.slice(0, -3))
      .sort();
    code = await vscode.window.showQuickPick(codes, { placeHolder: 'Which LossLint rule?' });
    if (!code) return;
  }
  if (!/^LL\d+$/.test(code)) {
    void vscode.window.showWarningMessage(`LossLint: ${code} is not a rule code.`);
    return;
  }
  const page = vscode.Uri.joinPath(folder, `${code}.md`);
  try {
    await vscode.workspace.fs.stat(page);
  } catch {
    void vscode.window.showWarningMessage(`LossLint: there is no documentation for ${code}.`);
    return;
  }
  await vscode.commands.executeCommand('markdown.showPreview', page);
}
