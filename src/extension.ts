import * as vscode from 'vscode';
import { AccountService } from './vscode/accounts/accountService';
import { stopStartedSandbox } from './vscode/accounts/sandboxLocator';
import { SignInController } from './vscode/accounts/signInController';
import { ExtensionAgentHost } from './vscode/agent/extensionAgentHost';
import { registerLanguageModelTools } from './vscode/agent/languageModelTools';
import { registerBatchFeatures } from './vscode/batch/batchFeatures';
import type { BatchController } from './vscode/batch/batchController';
import type { BatchStatusBar } from './vscode/batch/batchStatusBar';
import { registerAuthCommands } from './vscode/commands/authCommands';
import { registerExplorerCommands } from './vscode/commands/explorerCommands';
import { getContext } from './vscode/contextKeys';
import { EnvironmentStatusBar } from './vscode/environmentStatusBar';
import { registerCheckBeforeRun } from './vscode/readiness/checkBeforeRunCommand';
import { registerWhyWaiting } from './vscode/readiness/whyWaitingCommand';
import { registerInputFeatures } from './vscode/inputs/inputFeatures';
import type { InputFileService } from './vscode/inputs/inputFileService';
import { ConfigurationService } from './vscode/configuration';
import { LogChannel } from './vscode/logChannel';
import { runInputFilesOf } from './vscode/runs/runInputFiles';
import { Prompts } from './vscode/prompts';
import { registerRunFeatures } from './vscode/runs/runFeatures';
import type { RunsController } from './vscode/runs/runsController';
import { ExplorerView } from './vscode/tree/explorerView';

/** The small API returned to integration tests: services to drive and state to observe. */
export interface ExtensionApi {
  readonly version: string;
  isSignedIn(): boolean;
  readonly accounts: AccountService;
  readonly explorer: ExplorerView;
  readonly environmentStatus: EnvironmentStatusBar;
  /** Input files: validation, prepareForRun, the index, secrets (tests read `inputFileActive`). */
  readonly inputFiles: InputFileService;
  readonly signIn: SignInController;
  /** Runs: the controller behind the run commands, status bar, transcript and notifications. */
  readonly runs: RunsController;
  /** Batch runs: the batches of the window and their status bar item. */
  readonly batches: BatchController;
  readonly batchStatus: BatchStatusBar;
  /** Resolves once accounts from earlier sessions are restored. */
  readonly restored: Promise<void>;
  /** This extension's log folder; the extension host's own log is next to it (tests read it). */
  readonly logUri: vscode.Uri;
  /** The registered language-model tools by name (tests call `prepareInvocation`, which the test host never shows). */
  readonly languageModelTools: ReadonlyMap<string, vscode.LanguageModelTool<unknown>>;
  /** The prompts of the commands that use the prompt helper (tests answer them from a queue). */
  readonly prompts: Prompts;
}

/** Composition root: builds every service, registers every disposable, and returns the test API. */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = new LogChannel();
  const accounts = new AccountService(log);
  const config = new ConfigurationService();
  const explorer = new ExplorerView(accounts, log, config, context.workspaceState);
  const environmentStatus = new EnvironmentStatusBar(accounts, config);
  const signIn = new SignInController(context, accounts, log);
  // After the explorer: input files add "Input files" under each flow through explorer.flowChildren.
  const prompts = new Prompts();
  const inputs = registerInputFeatures({
    context,
    log,
    config,
    accounts,
    explorer,
    environmentStatus,
    prompts,
  });

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
    ...registerExplorerCommands({ log, accounts, explorer, environmentStatus }),
    ...inputs.disposables,
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
  // After the input features: "Recent runs" follows "Input files" under each flow.
  const runFeatures = registerRunFeatures({
    context,
    log,
    accounts,
    explorer,
    environmentStatus,
    inputFiles: runInputFilesOf(inputs.inputFiles),
    accountsRestored: restored,
  });
  context.subscriptions.push(...runFeatures.disposables);
  context.subscriptions.push(
    ...registerCheckBeforeRun({
      log,
      accounts,
      defaultEnvironmentId: () => explorer.state.defaultEnvironmentId,
      resolver: inputs.inputFiles.secrets.resolver,
    }),
    ...registerWhyWaiting({ log, accounts }),
  );
  // Copilot's tools (package.json languageModelTools): runs they start go through the same runs controller.
  const agentHost = new ExtensionAgentHost({
    accounts,
    environmentStatus,
    runs: runFeatures.runs,
    secretResolver: inputs.inputFiles.secrets.resolver,
  });
  // After the runs: batch rows follow "Recent runs" under each flow; items go through the same runs core.
  const batchFeatures = registerBatchFeatures({
    context,
    log,
    accounts,
    explorer,
    environmentStatus,
    runs: runFeatures.runs,
    secretResolver: inputs.inputFiles.secrets.resolver,
    accountsRestored: restored,
  });
  context.subscriptions.push(...batchFeatures.disposables);
  const agentTools = registerLanguageModelTools(agentHost, agentHost.start, log);
  context.subscriptions.push(...agentTools.disposables);
  log.info(
    `[extension] activated ${String((context.extension.packageJSON as { version?: string }).version)} in ${vscode.env.appName} (${vscode.env.remoteName ?? 'local'})`,
  );

  return {
    version: String((context.extension.packageJSON as { version?: string }).version),
    isSignedIn: () => getContext('desktopFlows.signedIn') === true,
    prompts,
    accounts,
    explorer,
    environmentStatus,
    inputFiles: inputs.inputFiles,
    signIn,
    runs: runFeatures.runs,
    batches: batchFeatures.batches,
    batchStatus: batchFeatures.statusBar,
    restored,
    logUri: context.logUri,
    languageModelTools: agentTools.tools,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
