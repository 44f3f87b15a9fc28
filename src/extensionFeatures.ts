/**
 * The part of the composition root loaded on first use (see `loadFeatures` in extension.ts and
 * CONTRIBUTING.md, "Adding a feature without slowing activation"): input files, runs, readiness, batches and
 * the language-model tools, flow tests. Nothing here is evaluated at activation; extension.ts registers stand-ins for
 * their commands, documents, tools and flow children, and loads this module (a chunk of its own,
 * dist/extension-<hash>.js) the first time one of them is used, or right after activation when there is
 * work to resume (journaled runs, unfinished batches) or an input file open.
 */
import type * as vscode from 'vscode';
import { FlowSchemaCache } from './core/inputs/flowSchemaCache';
import type { Logger } from './core/logger';
import type { AccountService } from './vscode/accounts/accountService';
import { ExtensionAgentHost } from './vscode/agent/extensionAgentHost';
import { registerLanguageModelTools } from './vscode/agent/languageModelTools';
import type { BatchController } from './vscode/batch/batchController';
import { registerBatchFeatures } from './vscode/batch/batchFeatures';
import type { BatchStatusBar } from './vscode/batch/batchStatusBar';
import type { ConfigurationService } from './vscode/configuration';
import type { EnvironmentStatusBar } from './vscode/environmentStatusBar';
import type { FlowTestExplorer } from './vscode/flowTests/flowTestExplorer';
import { registerFlowTestFeatures } from './vscode/flowTests/flowTestFeatures';
import { registerInputFeatures } from './vscode/inputs/inputFeatures';
import type { InputFileService } from './vscode/inputs/inputFileService';
import type { Prompts } from './vscode/prompts';
import { registerCheckBeforeRun } from './vscode/readiness/checkBeforeRunCommand';
import { registerWhyWaiting } from './vscode/readiness/whyWaitingCommand';
import { registerRunFeatures } from './vscode/runs/runFeatures';
import { RunAccounts } from './vscode/runs/runAccounts';
import { runInputFilesOf } from './vscode/runs/runInputFiles';
import type { RunsController } from './vscode/runs/runsController';
import type { ExplorerView } from './vscode/tree/explorerView';

/** What the features take from the part of the composition root that runs at activation. */
export interface FeatureDeps {
  readonly context: vscode.ExtensionContext;
  readonly log: Logger;
  readonly config: ConfigurationService;
  readonly accounts: AccountService;
  readonly explorer: ExplorerView;
  readonly environmentStatus: EnvironmentStatusBar;
  readonly prompts: Prompts;
  /** Resolves once accounts from earlier sessions are restored. */
  readonly accountsRestored: Promise<unknown>;
  /** The "Desktop Flows" Test Explorer controller activation made (flowTestController.ts). */
  readonly flowTestController: vscode.TestController;
}

/** The features' services (integration tests drive them through the extension API). */
export interface Features {
  readonly inputFiles: InputFileService;
  readonly runs: RunsController;
  readonly batches: BatchController;
  readonly batchStatus: BatchStatusBar;
  readonly languageModelTools: ReadonlyMap<string, vscode.LanguageModelTool<unknown>>;
  /** Flow tests in Test Explorer: discovery and runs behind the controller. */
  readonly flowTests: FlowTestExplorer;
}

/**
 * Builds the features and registers their commands, providers, tools and tree rows (through the helpers
 * that attach to the stand-ins registered at activation). Pushes every disposable onto
 * `context.subscriptions`.
 */
export function registerFeatures(deps: FeatureDeps): Features {
  const { context, log, config, accounts, explorer, environmentStatus, prompts } = deps;
  // One answer to "which signed-in account reaches this org", and one schema cache with its own lifetime
  // (a load never tied to its first caller's signal), shared by input files, runs and Check Before Run.
  const runAccounts = new RunAccounts(accounts, deps.accountsRestored);
  const schemas = new FlowSchemaCache(async (orgUrl, flowId, signal, o) =>
    (await runAccounts.resolve(orgUrl, signal)).session.flows.getSchemas(orgUrl, flowId, signal, o),
  );
  context.subscriptions.push({ dispose: () => schemas.dispose() });
  // Flow nodes read their schemas through it too: expanding a flow and starting its run share one load.
  explorer.flowSchemas = async (account, environment, flow, signal, fresh) => {
    runAccounts.remember(environment.orgUrl, account);
    const request = { orgUrl: environment.orgUrl, flowId: flow.id, includeDrafts: flow.isUnpublished };
    return (await schemas.get(fresh ? { ...request, notBefore: Date.now() } : request, signal)).raw;
  };
  // Input files add "Input files" under each flow through explorer.flowChildren.
  const inputs = registerInputFeatures({
    context,
    log,
    config,
    accounts,
    explorer,
    environmentStatus,
    prompts,
    schemas,
    runAccounts,
  });
  context.subscriptions.push(...inputs.disposables);
  // After the input features: "Recent runs" follows "Input files" under each flow.
  const runFeatures = registerRunFeatures({
    context,
    log,
    config,
    prompts,
    accounts,
    explorer,
    environmentStatus,
    inputFiles: runInputFilesOf(inputs.inputFiles),
    accountsRestored: deps.accountsRestored,
    schemas,
    runAccounts,
  });
  context.subscriptions.push(...runFeatures.disposables);
  context.subscriptions.push(
    ...registerCheckBeforeRun({
      log,
      accounts,
      defaultEnvironmentId: () => explorer.state.defaultEnvironmentId,
      resolver: inputs.inputFiles.secrets.resolver,
      schemas,
      prompts,
    }),
    ...registerWhyWaiting({ log, accounts }),
  );
  // Copilot's tools (package.json languageModelTools): runs they start go through the same runs controller.
  const agentHost = new ExtensionAgentHost({
    accounts,
    environmentStatus,
    runs: runFeatures.runs,
    secretResolver: inputs.inputFiles.secrets.resolver,
    config,
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
    accountsRestored: deps.accountsRestored,
    prompts: deps.prompts,
  });
  context.subscriptions.push(...batchFeatures.disposables);
  const agentTools = registerLanguageModelTools(agentHost, agentHost.start, log);
  context.subscriptions.push(...agentTools.disposables);
  // Flow tests in Test Explorer: tests run through the same runs core (prepareFlowTests, RunService).
  const flowTests = registerFlowTestFeatures(deps.flowTestController, {
    log,
    config,
    accounts,
    environmentStatus,
    runs: runFeatures.runs,
    prompts,
    secretResolver: inputs.inputFiles.secrets.resolver,
  });
  context.subscriptions.push(...flowTests.disposables);
  return {
    inputFiles: inputs.inputFiles,
    runs: runFeatures.runs,
    batches: batchFeatures.batches,
    batchStatus: batchFeatures.statusBar,
    languageModelTools: agentTools.tools,
    flowTests: flowTests.flowTests,
  };
}
