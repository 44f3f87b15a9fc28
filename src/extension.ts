import * as vscode from 'vscode';
import { schemaUriScheme } from './core/inputs/schemaUri';
import type { Features } from './extensionFeatures';
import { AccountService } from './vscode/accounts/accountService';
import { stopStartedSandbox } from './vscode/accounts/sandboxLocator';
import { SignInController } from './vscode/accounts/signInController';
import type { BatchController } from './vscode/batch/batchController';
import { unfinishedBatchesKey } from './vscode/batch/batchState';
import type { BatchStatusBar } from './vscode/batch/batchStatusBar';
import { commandIds } from './vscode/commandIds';
import { registerAuthCommands } from './vscode/commands/authCommands';
import { registerExplorerCommands } from './vscode/commands/explorerCommands';
import { ConfigurationService } from './vscode/configuration';
import { getContext } from './vscode/contextKeys';
import { createFlowTestController, type FlowTestsApi } from './vscode/flowTests/flowTestController';
import { EnvironmentStatusBar } from './vscode/environmentStatusBar';
import type { InputFileService } from './vscode/inputs/inputFileService';
import { LogChannel } from './vscode/logChannel';
import {
  contentProviderOnFirstUse,
  heldDocumentsOnFirstUse,
  readOnlyFileSystemOnFirstUse,
  toolsOnFirstUse,
  treeViewOnFirstUse,
} from './vscode/onFirstUse';
import { runsViewId } from './vscode/runs/runsViewId';
import { Prompts } from './vscode/prompts';
import { commandsOnFirstUse } from './vscode/registerCommand';
import { journalKeyForWorkspace } from './vscode/runs/mementoRunJournal';
import {
  readinessGoneText,
  readinessScheme,
  whyWaitingGoneText,
  whyWaitingScheme,
} from './vscode/readiness/readinessDocumentSchemes';
import { runDocumentScheme } from './vscode/runs/runDocumentScheme';
import type { RunsController } from './vscode/runs/runsController';
import { ExplorerView } from './vscode/tree/explorerView';

/**
 * What `activate` returns: only what the integration tests (test/integration/) drive or observe. Nothing here
 * exists for tests alone: test recorders subscribe to the surfaces' events (test/integration/runRecorder.ts),
 * and the product keeps no history for them. Remove a member when its last test user goes.
 */
export interface ExtensionApi {
  readonly version: string;
  isSignedIn(): boolean;
  readonly accounts: AccountService;
  readonly explorer: ExplorerView;
  readonly environmentStatus: EnvironmentStatusBar;
  /** Resolves once accounts from earlier sessions are restored. */
  readonly restored: Promise<void>;
  /** This extension's log folder; the extension host's own log is next to it (tests read it). */
  readonly logUri: vscode.Uri;
  /** The prompts of the commands that use the prompt helper (tests answer them from a queue). */
  readonly prompts: Prompts;
  /**
   * Loads the features that load on first use (input files, runs, readiness, batches, language-model tools;
   * src/extensionFeatures.ts), as their first use would. The getters below need it to have resolved.
   */
  features(): Promise<Features>;
  /** Why the features were loaded (a command id, a document scheme, …), or undefined while they are not. */
  readonly featuresLoadedFor: string | undefined;
  /** Input files: the index (inputFiles tests add files), secrets (inputFiles and flowTests tests), `inputFileActive`. */
  readonly inputFiles: InputFileService;
  /** Runs: the controller behind the run commands, status bar, transcript and notifications. */
  readonly runs: RunsController;
  /** Batch runs: the batches of the window and their status bar item. */
  readonly batches: BatchController;
  readonly batchStatus: BatchStatusBar;
  /** The registered language-model tools by name (tests call `prepareInvocation`, which the test host never shows). */
  readonly languageModelTools: ReadonlyMap<string, vscode.LanguageModelTool<unknown>>;
  /** Flow tests in Test Explorer: the controller, discovery and runs as the run profile does them. */
  readonly flowTests: FlowTestsApi;
}

/**
 * Composition root: builds what the first screen needs (accounts, the explorer, the status bar, sign-in and
 * explorer commands) and registers stand-ins for everything else, which loads on first use from
 * src/extensionFeatures.ts (see CONTRIBUTING.md, "Adding a feature without slowing activation").
 */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = new LogChannel();
  const accounts = new AccountService(log);
  const config = new ConfigurationService();
  const explorer = new ExplorerView(accounts, log, config, context.workspaceState);
  const environmentStatus = new EnvironmentStatusBar(accounts, config);
  const prompts = new Prompts();
  const signIn = new SignInController(context, accounts, log, config, prompts);

  context.subscriptions.push(
    log,
    config,
    { dispose: () => void accounts.dispose() },
    explorer,
    environmentStatus,
    signIn,
    signIn.watchSettings(),
    { dispose: () => void stopStartedSandbox() },
    ...registerAuthCommands(log, signIn),
    ...registerExplorerCommands({ log, accounts, explorer, environmentStatus, prompts }),
  );
  // Not awaited: activation never waits on the network. Failures are logged; the tree shows what is there.
  const restored = signIn
    .restore(AbortSignal.timeout(60_000))
    .then(async () => {
      // `npm start` opens VS Code with DESKTOPFLOWS_SANDBOX_URL set: sign in to that sandbox right away.
      const sandboxUrl = process.env.DESKTOPFLOWS_SANDBOX_URL;
      if (sandboxUrl && !accounts.accounts.some((a) => a.kind === 'sandbox')) {
        await signIn.trySandbox(sandboxUrl);
      }
    })
    .catch((e: unknown) => {
      log.error(`[auth] restoring accounts failed: ${e instanceof Error ? e.message : String(e)}`);
    });

  // The "Desktop Flows" Test Explorer controller exists from activation; its work loads on first use.
  const flowTestController = createFlowTestController(
    log,
    async (reason) => (await loadFeatures(reason)).flowTests,
  );
  context.subscriptions.push(...flowTestController.disposables);

  // The features loaded on first use: one chunk (dist/extension-<hash>.js), loaded once.
  let loading: Promise<Features> | undefined;
  let loaded: Features | undefined;
  let loadedFor: string | undefined;
  const loadFeatures = (reason: string): Promise<Features> => {
    loading ??= import('./extensionFeatures.js').then(
      ({ registerFeatures }): Features => {
        const started = performance.now();
        loaded = registerFeatures({
          context,
          log,
          config,
          accounts,
          explorer,
          environmentStatus,
          prompts,
          accountsRestored: restored,
          flowTestController: flowTestController.controller,
        });
        loadedFor = reason;
        log.info(
          `[extension] loaded the features for ${reason} in ${(performance.now() - started).toFixed(0)} ms`,
        );
        return loaded;
      },
      (e: unknown): never => {
        loading = undefined;
        log.error(`[extension] loading the features failed: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      },
    );
    return loading;
  };
  const loadFor = (reason: string) => () => loadFeatures(reason);

  context.subscriptions.push(
    // Every command not registered above: its first call loads the features, then runs.
    ...commandsOnFirstUse(Object.values(commandIds), log, () => loadFeatures('a command')),
    // Schemas the JSON language service asks for, and run documents restored in a reloaded window (a file
    // system: the Markdown preview watches its document through one).
    contentProviderOnFirstUse(schemaUriScheme, loadFor(`${schemaUriScheme}: documents`)),
    readOnlyFileSystemOnFirstUse(runDocumentScheme, loadFor(`${runDocumentScheme}: documents`)),
    // "Why Is It Waiting?" and "Check Before Run" documents restored in a reloaded window: their answers were
    // held in the memory of the window that made them, so they read as a sentence saying how to ask again,
    // without loading the features.
    heldDocumentsOnFirstUse(whyWaitingScheme, whyWaitingGoneText),
    heldDocumentsOnFirstUse(readinessScheme, readinessGoneText),
    // Copilot's tools are registered now; their implementation loads on the first call.
    ...toolsOnFirstUse(languageModelToolNames(context), loadFor('a language-model tool')),
    // The Runs view: its rows load the features the first time the view is shown.
    treeViewOnFirstUse(runsViewId, loadFor('the Runs view')),
  );
  // "Input files", "Recent runs" and batch rows under a flow: loaded when a flow is first expanded.
  const flowRows = {
    prepare: () => loadFeatures('a flow expanded').then(() => undefined),
    children: () => [],
  };
  explorer.flowChildren.push(flowRows);
  context.subscriptions.push({
    dispose: () => {
      const at = explorer.flowChildren.indexOf(flowRows);
      if (at >= 0) {
        explorer.flowChildren.splice(at, 1);
      }
    },
  });
  // Right after activation (never during it) when there is something to show or resume: runs an earlier
  // window was watching, batches it left unfinished, an input file open (diagnostics, CodeLens).
  const resumable =
    context.globalState.get(journalKeyForWorkspace()) !== undefined
      ? 'runs to resume'
      : (context.workspaceState.get<unknown[]>(unfinishedBatchesKey)?.length ?? 0) > 0
        ? 'batches to resume'
        : undefined;
  if (resumable !== undefined) {
    setTimeout(() => void loadFeatures(resumable).catch(() => undefined), 0);
  } else {
    const inputFileOpened = (document: vscode.TextDocument): void => {
      if (mayBeInputFile(document)) {
        opened.dispose();
        void loadFeatures('an input file opened').catch(() => undefined);
      }
    };
    const opened = vscode.workspace.onDidOpenTextDocument(inputFileOpened);
    context.subscriptions.push(opened);
    setTimeout(() => vscode.workspace.textDocuments.forEach(inputFileOpened), 0);
  }

  log.info(
    `[extension] activated ${String((context.extension.packageJSON as { version?: string }).version)} in ${vscode.env.appName} (${vscode.env.remoteName ?? 'local'})`,
  );

  const features = (): Features => {
    if (loaded === undefined) {
      throw new Error('The features load on first use: await api.features() before reading them.');
    }
    return loaded;
  };
  return {
    version: String((context.extension.packageJSON as { version?: string }).version),
    isSignedIn: () => getContext('desktopFlows.signedIn') === true,
    prompts,
    accounts,
    explorer,
    environmentStatus,
    restored,
    logUri: context.logUri,
    features: () => loadFeatures('the extension API'),
    get featuresLoadedFor() {
      return loadedFor;
    },
    get inputFiles() {
      return features().inputFiles;
    },
    get runs() {
      return features().runs;
    },
    get batches() {
      return features().batches;
    },
    get batchStatus() {
      return features().batchStatus;
    },
    get languageModelTools() {
      return features().languageModelTools;
    },
    flowTests: flowTestController.api,
  };
}

/** The tools package.json declares (`contributes.languageModelTools`). */
function languageModelToolNames(context: vscode.ExtensionContext): string[] {
  const manifest = context.extension.packageJSON as {
    contributes?: { languageModelTools?: { name?: unknown }[] };
  };
  return (manifest.contributes?.languageModelTools ?? [])
    .map((t) => t.name)
    .filter((n): n is string => typeof n === 'string');
}

/** A JSON document whose start names a `desktopflows-schema:` schema: an input file (cheap; no parse). */
function mayBeInputFile(document: vscode.TextDocument): boolean {
  if (document.languageId !== 'json' && document.languageId !== 'jsonc') {
    return false;
  }
  return document.getText(new vscode.Range(0, 0, 200, 0)).includes(`${schemaUriScheme}:`);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
