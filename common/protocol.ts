/**
 * LossLint's additions to LSP, shared by the server and the VS Code client (both import this file;
 * neither imports the other): command identifiers and the `losslint/status` notification.
 *
 * API boundary: plain constants and types only, no imports, so that the client bundle does not
 * pull in the server.
 */

/** Commands the server executes (`workspace/executeCommand`); the client registers each under the same id. */
export const ServerCommands = {
  checkWorkspace: 'losslint.checkWorkspace',
  rerunNumeric: 'losslint.rerunNumeric',
  reproduceInPyTorch: 'losslint.reproduceInPyTorch',
} as const;

export const SERVER_COMMANDS: readonly string[] = Object.values(ServerCommands);

/** Commands the VS Code client handles alone. */
export const ClientCommands = {
  restartServer: 'losslint.restartServer',
  showOutput: 'losslint.showOutput',
  showRuleDocs: 'losslint.showRuleDocs',
} as const;

/** What the server is doing, for the client's status bar. */
export type ServerState = 'ready' | 'busy' | 'disabled' | 'error';

/** The parameters of the `losslint/status` notification (server → client). */
export interface StatusParams {
  state: ServerState;
  /** The numeric backend in use; absent while numeric checks are off or have not run yet. */
  backend?: string;
  /** Whether numeric probes are running now. */
  numericRunning?: boolean;
  /** One line shown in the status bar's tooltip. */
  message?: string;
}

export const STATUS_NOTIFICATION = 'losslint/status';

/** The answer of `losslint.checkWorkspace`. */
export interface CheckWorkspaceResult {
  /** Files analysed. */
  files: number;
  /** Findings published over all files. */
  findings: number;
  /** Files found but not analysed (unreadable, or over the size limit). */
  skipped: number;
  /** Whether the check was cancelled before it covered every file. */
  cancelled: boolean;
}

/** The answer of `losslint.rerunNumeric`. */
export interface RerunNumericResult {
  available: true;
  uri: string;
  function?: string;
}

/** The answer of `losslint.reproduceInPyTorch`: the client puts `script` on the clipboard. */
export interface ReproduceResult {
  available: true;
  function: string;
  script: string;
}

/** The answer of a command the server knows but cannot run (yet). */
export interface UnavailableResult {
  available: false;
  message: string;
}
