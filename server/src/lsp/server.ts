/**
 * Wiring of the LossLint language server: creates the connection and the services, and registers
 * one guarded handler per LSP method. Behaviour lives in documents.ts, settings.ts, lint.ts,
 * workspace.ts, commands.ts and handlers/; nothing here decides anything.
 *
 * Architecture invariant: this folder is the only part of LossLint that knows LSP. The core sees a
 * ParsedDocument and LintSettings, nothing else.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as path from 'node:path';
import {
  CancellationTokenSource,
  createConnection,
  DidChangeConfigurationNotification,
  ErrorCodes,
  ProposedFeatures,
  ResponseError,
  TextDocumentSyncKind,
  type CancellationToken,
  type Connection,
  type InitializeResult,
  type MessageReader,
  type MessageWriter,
  type WorkDoneProgressReporter,
  type WorkspaceFolder,
} from 'vscode-languageserver/node';
import { CommandRegistry } from './commands';
import { DocumentStore } from './documents';
import { checkTextDocumentParams, describeError, guarded, isContentChanges, isVersionedDocument, type Log } from './guard';
import { CODE_ACTION_KINDS, provideCodeActions } from './handlers/codeAction';
import { provideCodeLenses } from './handlers/codeLens';
import { DiagnosticsPublisher } from './handlers/diagnostics';
import { provideHover } from './handlers/hover';
import { IdleGc } from './idle-gc';
import { Linter } from './lint';
import { NOTEBOOK_SYNC, NotebookSync } from './notebooks';
import { NumericChecker } from './numeric';
import { SERVER_COMMANDS, ServerCommands, STATUS_NOTIFICATION, type ReproduceResult, type RerunNumericResult, type StatusParams, type UnavailableResult } from '../../../common/protocol';
import { SettingsStore, type EditorSettings } from './settings';
import { Warmup, warmupEnabled } from './warmup';
import { WorkspaceChecker } from './workspace';
import { isConfigUri, ProjectService } from './project';
import { cacheDirFromEnv, cacheOffByEnv, DEFAULT_CACHE_DIR } from '../project/cache';

/** An explicit transport; without one, the connection reads --stdio / --node-ipc / --socket from the command line. */
export interface Transport {
  reader: MessageReader;
  writer: MessageWriter;
}

/** What startServer returns: enough for main.ts to end the process when the client goes away. */
export interface RunningServer {
  connection: Connection;
  /** Whether a `shutdown` request arrived (the exit code is 0 only then). */
  readonly shutdownReceived: boolean;
}

/** Starts the server on `transport`, or on the transport named on the command line. */
export function startServer(version: string, transport?: Transport): RunningServer {
  const connection = transport
    ? createConnection(ProposedFeatures.all, transport.reader, transport.writer)
    : createConnection(ProposedFeatures.all);
  const log: Log = connection.console;
  const documents = new DocumentStore();
  const settings = new SettingsStore(connection, log);
  const linter = new Linter(documents, settings, log);
  const diagnostics = new DiagnosticsPublisher(connection, documents, linter, log);
  const workspace = new WorkspaceChecker(documents, settings, (uri, list) => void connection.sendDiagnostics({ uri, diagnostics: list }), log);
  const commands = new CommandRegistry();
  let workDoneProgress = false;
  // The project index (lsp/project.ts): values that reach a loss from other files and configs.
  const project = new ProjectService({
    documents,
    log,
    publish: (uri, list) => void connection.sendDiagnostics({ uri, diagnostics: list }),
    revalidate: (uri) => diagnostics.schedule(uri, 0),
    settings: async (uri) => {
      const s = await settings.get(uri);
      return s.enable && !s.excluded ? s.lint : undefined;
    },
    isExcluded: (file, isDirectory) => settings.loader.isExcluded(file, isDirectory),
    // Where `losslint check` run in the folder keeps its cache (cli/check.ts cacheFolder): the index reads and writes it too.
    // Off with LOSSLINT_NO_CACHE or the editor's `losslint.cache.enable: false` for that folder.
    cacheDir: async (folder) => {
      if (cacheOffByEnv()) return undefined;
      if ((await settings.editorSettings(pathToFileURL(folder).href).catch(() => ({}) as EditorSettings)).cache === false) return undefined;
      const env = cacheDirFromEnv(folder);
      if (env) return env;
      const config = settings.loader.forFile(path.join(folder, 'x.py'));
      if (config.cacheDir) return config.cacheDir;
      return path.join(config.configPath && !config.error ? path.dirname(config.configPath) : folder, DEFAULT_CACHE_DIR);
    },
    progress: async () => {
      if (!workDoneProgress) return undefined;
      const p = await connection.window.createWorkDoneProgress();
      return { begin: (t, pc, m) => p.begin(t, pc, m), report: (pc, m) => p.report(pc, m ?? ''), done: () => p.done() };
    },
  });
  linter.project = project;
  workspace.project = project;
  diagnostics.extraFindings = (uri) => project.findingsIn(uri);
  let registerConfigurationChanges = false;
  let workspaceFoldersSupported = false;
  let initialFolders: WorkspaceFolder[] = [];
  let state: 'new' | 'initialized' | 'shut down' = 'new';
  let shutdownReceived = false;

  const sendStatus = (status: StatusParams) => void connection.sendNotification(STATUS_NOTIFICATION, status);
  const numeric = new NumericChecker(connection, documents, settings, linter, log, sendStatus);
  numeric.extraFindings = (uri) => project.findingsIn(uri);
  // Idle-time work (ARCHITECTURE.md, invariant 8): the young-generation GC between keystrokes
  // (idle-gc.ts), settling fresh trees, and the warm-up of the keystroke path until the first edit
  // (warmup.ts), followed by one full GC.
  const idleGc = new IdleGc();
  /** Settles a freshly parsed tree, one re-parse per turn of the event loop (ParsedDocument.settle). */
  const settle = (uri: string): void => {
    setImmediate(() => {
      if (documents.get(uri)?.settle()) settle(uri);
    });
  };
  const warmup = new Warmup(undefined, (end, error) => {
    if (end.why === 'done') idleGc.scheduleFull();
    if (error !== undefined) log.error(`LossLint: warm-up failed: ${describeError(error)}`);
    else log.log(`LossLint: warm-up ${end.why === 'done' ? 'done' : 'stopped by an edit'} after ${end.keystrokes} keystrokes (${Math.round(end.busyMs)} ms).`);
  });
  // Notebooks (LSP 3.17 notebook sync): the Python cells of a notebook are one module in the
  // DocumentStore under the notebook's URI; its diagnostics go to the cells (notebooks.ts).
  const notebooks = new NotebookSync(documents, {
    changed: (uri, opened) => {
      if (!opened) {
        warmup.stop();
        idleGc.cancel();
        numeric.cancel(uri);
      }
      diagnostics.schedule(uri, opened ? 0 : undefined);
    },
    closed: (uri, cells) => {
      if (!notebooks.isNotebook(uri)) {
        numeric.clear(uri);
        settings.forget(uri);
        diagnostics.cancel(uri);
      }
      for (const cell of cells) void connection.sendDiagnostics({ uri: cell, diagnostics: [] });
    },
  });
  diagnostics.route = numeric.route = (uri, findings) => notebooks.route(uri, findings);
  notebooks.listen(connection);
  // The probes start once a version's static diagnostics are out, never before.
  diagnostics.onPublished = (uri) => {
    numeric.schedule(uri);
    idleGc.schedule();
    settle(uri);
  };

  /**
   * A request handler that answers ServerNotInitialized before `initialize` and InvalidRequest
   * after `shutdown`, as the specification asks, and is otherwise guarded.
   */
  function request<P, R>(name: string, handler: (params: P, token: CancellationToken) => R | Promise<R | null> | null) {
    const run = guarded(log, name, null, handler);
    return (params: P, token: CancellationToken) => {
      if (state === 'new') throw new ResponseError(ErrorCodes.ServerNotInitialized, `LossLint: ${name} before initialize`);
      if (state === 'shut down') throw new ResponseError(ErrorCodes.InvalidRequest, `LossLint: ${name} after shutdown`);
      return run(params, token);
    };
  }

  /** A notification handler that drops notifications before `initialize` (the specification says so) and is guarded. */
  function notification<P>(name: string, handler: (params: P) => void | Promise<void>) {
    const run = guarded(log, name, undefined, handler);
    return (params: P) => {
      if (state !== 'initialized') return;
      void run(params);
    };
  }

  const result: InitializeResult = {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      codeLensProvider: { resolveProvider: false },
      codeActionProvider: { codeActionKinds: CODE_ACTION_KINDS, resolveProvider: false },
      executeCommandProvider: { commands: [...SERVER_COMMANDS] },
      workspace: { workspaceFolders: { supported: true, changeNotifications: false } },
    },
    serverInfo: { name: 'losslint', version },
  };

  connection.onInitialize((params) => {
    if (state !== 'new') throw new ResponseError(ErrorCodes.InvalidRequest, 'LossLint: initialize sent twice');
    try {
      settings.setClientCapabilities(params.capabilities);
      numeric.setCodeLensRefresh(params.capabilities.workspace?.codeLens?.refreshSupport === true);
      registerConfigurationChanges = params.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
      // Notebook sync only for clients that announce it; the others send each cell as a document of its own.
      if (params.capabilities.notebookDocument?.synchronization) result.capabilities.notebookDocumentSync = NOTEBOOK_SYNC;
      workspaceFoldersSupported = params.capabilities.workspace?.workspaceFolders === true;
      workDoneProgress = params.capabilities.window?.workDoneProgress === true;
      initialFolders = params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: 'root' }] : []);
      // A client that cannot answer workspace/configuration pushes its settings in initializationOptions.
      if (params.initializationOptions) settings.changed({ losslint: params.initializationOptions });
    } catch (error) {
      log.error(`LossLint: initialize: ${describeError(error)}`);
    }
    state = 'initialized';
    return result;
  });

  connection.onInitialized(
    notification('initialized', async () => {
      sendStatus({ state: 'ready', backend: numeric.backendInUse, message: 'Static checks run as you type.' });
      if (warmupEnabled()) warmup.start();
      // Indexed in the background; diagnostics are published meanwhile and again when it completes.
      if (process.env.LOSSLINT_PROJECT !== '0') {
        const roots = initialFolders.filter((f) => f.uri.startsWith('file:')).map((f) => fileURLToPath(f.uri));
        void project.start(roots).catch((error) => log.error(`LossLint: project index: ${describeError(error)}`));
      }
      // VS Code sends didChangeConfiguration for pulled settings only once the server registers for it.
      if (registerConfigurationChanges) await connection.client.register(DidChangeConfigurationNotification.type, { section: 'losslint' });
    }),
  );

  connection.onDidOpenTextDocument(
    notification('didOpen', ({ textDocument }) => {
      if (!isVersionedDocument(textDocument) || typeof textDocument.text !== 'string') {
        log.warn('LossLint: didOpen without a uri, an integer version and a text; ignored.');
        return;
      }
      // YAML/JSON/TOML configs feed the project index; only Python is parsed and linted.
      if (isConfigUri(textDocument.uri) && textDocument.languageId !== 'python') {
        project.configOpened(textDocument.uri, textDocument.version, textDocument.text);
        return;
      }
      documents.open(textDocument.uri, textDocument.version, textDocument.text);
      diagnostics.schedule(textDocument.uri, 0);
      project.pythonChanged(textDocument.uri);
    }),
  );

  connection.onDidChangeTextDocument(
    notification('didChange', ({ textDocument, contentChanges }) => {
      warmup.stop();
      idleGc.cancel();
      if (!isVersionedDocument(textDocument) || !isContentChanges(contentChanges)) {
        log.warn('LossLint: didChange without a uri, an integer version and well-formed content changes; ignored.');
        return;
      }
      if (!documents.get(textDocument.uri) && isConfigUri(textDocument.uri)) {
        project.configChanged(textDocument.uri, textDocument.version, contentChanges);
        return;
      }
      if (!documents.change(textDocument.uri, textDocument.version, contentChanges)) {
        log.warn(`LossLint: didChange for ${textDocument.uri}, which is not open; ignored.`);
        return;
      }
      numeric.cancel(textDocument.uri);
      diagnostics.schedule(textDocument.uri);
      project.pythonChanged(textDocument.uri);
    }),
  );

  connection.onDidCloseTextDocument(
    notification('didClose', ({ textDocument }) => {
      if (!documents.get(textDocument.uri) && isConfigUri(textDocument.uri)) {
        project.configClosed(textDocument.uri);
        return;
      }
      numeric.clear(textDocument.uri);
      documents.close(textDocument.uri);
      settings.forget(textDocument.uri);
      diagnostics.clear(textDocument.uri);
    }),
  );

  connection.onDidChangeConfiguration(
    notification('didChangeConfiguration', (params) => {
      settings.changed(params.settings);
      diagnostics.scheduleAll();
    }),
  );

  // The VS Code client reports pyproject.toml changes here (the project's settings may have changed),
  // and changes to Python and config files on disk (the project index).
  connection.onDidChangeWatchedFiles(
    notification('didChangeWatchedFiles', (params) => {
      const changes = Array.isArray(params?.changes) ? params.changes : [];
      if (!changes.length || changes.some((c) => typeof c?.uri === 'string' && c.uri.endsWith('pyproject.toml'))) {
        settings.changed();
        diagnostics.scheduleAll();
      }
      project.watched(changes.filter((c) => typeof c?.uri === 'string' && !c.uri.endsWith('pyproject.toml')));
    }),
  );

  connection.onHover(
    request('hover', async (params, token) => {
      checkTextDocumentParams(params, 'position');
      const cell = params.textDocument.uri;
      const inModule = notebooks.toModule(cell, params.position);
      const elsewhere = (uri: string) => project.findingsIn(uri);
      if (!inModule) return provideHover(params, token, linter, numeric, elsewhere);
      // A notebook cell: hover the module, then place the range back in the cell.
      const hover = await provideHover({ ...params, textDocument: { uri: inModule.uri }, position: inModule.position }, token, linter, numeric);
      if (!hover?.range) return hover;
      const placed = notebooks.toCell(inModule.uri, hover.range);
      return { ...hover, range: placed?.uri === cell ? placed.range : undefined };
    }),
  );

  connection.onCodeAction(
    request('codeAction', (params, token) => {
      checkTextDocumentParams(params, 'range');
      if (!Array.isArray(params.context?.diagnostics)) {
        throw new ResponseError(ErrorCodes.InvalidParams, 'LossLint: invalid parameters: context.diagnostics must be an array');
      }
      const inModule = notebooks.codeActionParams(params);
      if (!inModule) return provideCodeActions(params, token, documents, linter);
      return provideCodeActions(inModule.params, token, documents, linter).then((actions) =>
        actions ? notebooks.codeActionsToCell(params.textDocument.uri, actions, inModule.originals) : actions,
      );
    }),
  );

  connection.onCodeLens(
    request('codeLens', (params) => {
      checkTextDocumentParams(params, 'none');
      const cell = params.textDocument.uri;
      const notebook = notebooks.notebookOf(cell);
      if (!notebook) return provideCodeLenses(params, numeric);
      // A notebook cell: the module's lenses that sit in this cell.
      return provideCodeLenses({ ...params, textDocument: { uri: notebook } }, numeric).flatMap((lens) => {
        const placed = notebooks.toCell(notebook, lens.range);
        return placed?.uri === cell ? [{ ...lens, range: placed.range }] : [];
      });
    }),
  );

  // losslint.rerunNumeric [uri, function?]: the checks of that document again, from scratch.
  commands.register(ServerCommands.rerunNumeric, (args): RerunNumericResult | UnavailableResult => {
    const [given, fn] = args;
    if (typeof given !== 'string') return { available: false, message: 'LossLint: open a Python file to re-run its numeric checks.' };
    const uri = notebooks.notebookOf(given) ?? given; // a notebook cell: its notebook's module
    if (!numeric.rerun(uri)) return { available: false, message: `LossLint: ${uri} is not open.` };
    return { available: true, uri, function: typeof fn === 'string' ? fn : undefined };
  });

  // losslint.reproduceInPyTorch [uri, function?]: the PyTorch script; the client copies it to the clipboard.
  commands.register(ServerCommands.reproduceInPyTorch, (args): ReproduceResult | UnavailableResult => {
    const [uri, fn] = args;
    if (typeof uri !== 'string') return { available: false, message: 'LossLint: open a Python file to reproduce its numeric checks.' };
    if (notebooks.notebookOf(uri) || notebooks.isNotebook(uri)) {
      // The script imports the file, and Python cannot import a notebook.
      return { available: false, message: 'LossLint: the PyTorch script needs a Python file; export the notebook first (jupyter nbconvert --to script).' };
    }
    const repro = numeric.reproduce(uri, typeof fn === 'string' ? fn : undefined);
    if (typeof repro === 'string') return { available: false, message: repro };
    return { available: true, ...repro };
  });

  commands.register(ServerCommands.checkWorkspace, async (args, token, params) => {
    const folders = await workspaceFolders(args);
    // Cancelled by the request's $/cancelRequest or by the progress notification's cancel button.
    const cancellation = new CancellationTokenSource();
    token.onCancellationRequested(() => cancellation.cancel());
    let progress: WorkDoneProgressReporter;
    if (params.workDoneToken !== undefined) {
      progress = connection.window.attachWorkDoneProgress(params.workDoneToken);
    } else {
      const created = await connection.window.createWorkDoneProgress();
      created.token.onCancellationRequested(() => cancellation.cancel());
      progress = created;
    }
    progress.begin('LossLint: checking the workspace', 0, undefined, true);
    sendStatus({ state: 'busy', message: 'Checking the workspace.' });
    try {
      const outcome = await workspace.check(folders, { report: (p, m) => progress.report(p, m ?? '') }, cancellation.token);
      log.info(
        `LossLint: workspace check${outcome.cancelled ? ' (cancelled)' : ''}: ${outcome.files} files analysed, ` +
          `${outcome.findings} findings, ${outcome.skipped} files skipped.`,
      );
      return outcome;
    } finally {
      cancellation.dispose();
      progress.done();
      sendStatus({ state: 'ready', message: 'Static checks run as you type.' });
    }
  });

  /** The folders to check: the `file:` URIs given as the command's first argument, else the workspace's folders. */
  async function workspaceFolders(args: unknown[]): Promise<{ path: string; uri: string }[]> {
    let uris: string[];
    if (Array.isArray(args[0]) && args[0].every((u) => typeof u === 'string')) uris = args[0] as string[];
    else if (args.length > 0) throw new ResponseError(ErrorCodes.InvalidParams, 'LossLint: checkWorkspace takes an optional list of folder URIs');
    else {
      const folders = workspaceFoldersSupported ? ((await connection.workspace.getWorkspaceFolders()) ?? []) : initialFolders;
      uris = folders.map((f) => f.uri);
    }
    const local: { path: string; uri: string }[] = [];
    for (const uri of uris) {
      if (!uri.startsWith('file:')) {
        log.info(`LossLint: ${uri} is not on the local file system; the workspace check skips it.`);
        continue;
      }
      local.push({ path: fileURLToPath(uri), uri });
    }
    return local;
  }

  connection.onExecuteCommand(request('executeCommand', (params, token) => commands.execute(params, token)));

  connection.onShutdown(() => {
    if (state === 'new') throw new ResponseError(ErrorCodes.ServerNotInitialized, 'LossLint: shutdown before initialize');
    shutdownReceived = true;
    state = 'shut down';
    warmup.stop();
    idleGc.dispose();
    project.dispose();
    diagnostics.dispose();
    numeric.dispose();
  });

  connection.listen();
  return {
    connection,
    get shutdownReceived() {
      return shutdownReceived;
    },
  };
}
