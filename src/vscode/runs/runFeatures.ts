import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import type { AccountService } from '../accounts/accountService';
import { commandIds } from '../commandIds';
import type { ConfigurationService } from '../configuration';
import type { FlowSchemaCache } from '../../core/inputs/flowSchemaCache';
import type { Prompts } from '../prompts';
import type { RunAccounts } from './runAccounts';
import { registerRunCommands } from '../commands/runCommands';
import type { EnvironmentStatusBar } from '../environmentStatusBar';
import type { ExplorerView } from '../tree/explorerView';
import type { RunInputFiles } from './runInputFiles';
import { registerRunsViewCommands } from '../commands/runsViewCommands';
import { RunDocumentPanels } from './runDocumentPanel';
import { RunReviewActions } from './runReviewActions';
import { RunsView } from './runsView';
import { RunsController } from './runsController';
import { RunStarter } from './runStarter';

/** What the runs UI needs from the composition root. */
export interface RunFeatureDeps {
  /** `globalState` holds the run journal; `workspaceState` the options remembered per flow. */
  readonly context: Pick<vscode.ExtensionContext, 'globalState' | 'workspaceState'>;
  readonly log: Logger;
  readonly config: ConfigurationService;
  /** The prompt helper (Escape → CancellationError; tests answer it from a queue). */
  readonly prompts: Prompts;
  readonly accounts: AccountService;
  readonly explorer: ExplorerView;
  readonly environmentStatus: EnvironmentStatusBar;
  /** The input-files service as the runs UI sees it (`runInputFilesOf(…)`). */
  readonly inputFiles: RunInputFiles | undefined;
  /** Resolves once accounts of earlier sessions are restored (`signIn.restore(…)`); resuming waits for it. */
  readonly accountsRestored?: Promise<unknown>;
  /** The window's one schema cache and the one answer to "which account reaches this org" (composition root). */
  readonly schemas: FlowSchemaCache;
  readonly runAccounts: RunAccounts;
}

/**
 * Builds the runs UI: the runs core with its journal in `globalState`, the status bar item, the
 * "Desktop Flows: Runs" transcript channel, completion notifications, the `desktopflows-run:` documents and
 * the rendered run documents, "Recent runs" under every flow, the Runs view, and the `desktopFlows.run.*` and
 * `desktopFlows.runs.*` commands. Resumes watching the runs journaled
 * by an earlier window (without blocking activation). Push `disposables` onto `context.subscriptions`;
 * `runs` is the controller integration tests drive.
 */
export function registerRunFeatures(deps: RunFeatureDeps): {
  disposables: vscode.Disposable[];
  runs: RunsController;
} {
  const { context, log, accounts, explorer, environmentStatus, inputFiles } = deps;
  const controller = new RunsController({
    globalState: context.globalState,
    workspaceState: context.workspaceState,
    log,
    config: deps.config,
    accounts,
    schemas: deps.schemas,
    runAccounts: deps.runAccounts,
    ...(inputFiles === undefined ? {} : { secrets: inputFiles.secrets }),
    ...(deps.accountsRestored === undefined ? {} : { accountsReady: deps.accountsRestored }),
    tree: {
      rerender: (node) => explorer.provider.rerender(node),
      refresh: (node) => explorer.provider.refresh(node),
    },
    actions: {
      showTranscript: () => controller.transcript.show(false),
      openOutputs: (subject) =>
        Promise.resolve(vscode.commands.executeCommand(commandIds.openRunOutputs, subject)),
      runAgain: (subject) => Promise.resolve(vscode.commands.executeCommand(commandIds.runAgain, subject)),
    },
  });
  explorer.flowChildren.push(controller.recentRuns);
  const starter = new RunStarter({
    accounts,
    environmentStatus,
    controller,
    inputFiles,
    prompts: deps.prompts,
    config: deps.config,
    log,
  });
  const panels = new RunDocumentPanels(controller.documents, controller.store, log);
  const review = new RunReviewActions(controller, deps.prompts, deps.config, panels);
  const runsView = new RunsView({
    accounts,
    runAccounts: controller.runAccounts,
    store: controller.store,
    workspaceState: context.workspaceState,
    log,
    pageSize: () => deps.config.current.runsViewPageSize,
    observe: (subject, onRow) => controller.core.observe(subject, onRow),
  });

  // Not awaited: activation never waits on the network. Resumed runs report through the usual events.
  controller.start().catch((e: unknown) => {
    log.error(`[runs] resuming journaled runs failed: ${e instanceof Error ? e.message : String(e)}`);
  });

  return {
    disposables: [
      controller,
      {
        dispose: () => {
          const at = explorer.flowChildren.indexOf(controller.recentRuns);
          if (at >= 0) {
            explorer.flowChildren.splice(at, 1);
          }
        },
      },
      ...registerRunCommands({ log, controller, starter, review, prompts: deps.prompts }),
      panels,
      runsView,
      ...registerRunsViewCommands({ log, view: runsView, controller, prompts: deps.prompts }),
    ],
    runs: controller,
  };
}
