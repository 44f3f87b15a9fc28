/**
 * The batch feature of the window: the controller, the batch rows under their flows, the batch status bar
 * item and the `desktopFlows.batch.*` commands. Resumes the batches an earlier window left unfinished.
 */
import * as vscode from 'vscode';
import type { SecretResolver } from '../../core/inputs/secretReference';
import type { Logger } from '../../core/logger';
import type { AccountService } from '../accounts/accountService';
import { commandIds } from '../commandIds';
import type { EnvironmentStatusBar } from '../environmentStatusBar';
import type { Prompts } from '../prompts';
import { registerCommand, UserFacingError } from '../registerCommand';
import type { RunsController } from '../runs/runsController';
import type { ExplorerView } from '../tree/explorerView';
import { BatchController, type BatchView, type RunFolderArgs } from './batchController';
import { BatchRowsContributor } from './batchNodes';
import { BatchStatusBar } from './batchStatusBar';

export interface BatchFeatureDeps {
  readonly context: Pick<vscode.ExtensionContext, 'workspaceState'>;
  readonly log: Logger;
  readonly accounts: AccountService;
  readonly explorer: ExplorerView;
  readonly environmentStatus: EnvironmentStatusBar;
  readonly runs: RunsController;
  readonly secretResolver: SecretResolver;
  readonly accountsRestored: Promise<unknown>;
  readonly prompts: Prompts;
}

export function registerBatchFeatures(deps: BatchFeatureDeps): {
  disposables: vscode.Disposable[];
  batches: BatchController;
  statusBar: BatchStatusBar;
} {
  const controller = new BatchController({
    workspaceState: deps.context.workspaceState,
    log: deps.log,
    accounts: deps.accounts,
    environmentStatus: deps.environmentStatus,
    runs: deps.runs,
    secretResolver: deps.secretResolver,
    accountsReady: deps.accountsRestored,
    prompts: deps.prompts,
  });
  const rows = new BatchRowsContributor(controller, deps.explorer.provider);
  deps.explorer.flowChildren.push(rows);
  const statusBar = new BatchStatusBar(controller);

  const batchOf = (arg: unknown): BatchView => {
    const id = typeof arg === 'string' ? arg : (arg as { batch?: BatchView } | undefined)?.batch?.id;
    const batch =
      (id === undefined ? undefined : controller.batches.get(id)) ?? [...controller.batches.values()].at(-1);
    if (batch === undefined) {
      throw new UserFacingError(
        'No batch in this window yet. Run "Desktop Flows: Run All Input Files in Folder…" first.',
      );
    }
    return batch;
  };

  controller.resumeUnfinished().catch((e: unknown) => {
    deps.log.error(
      `[batch] resuming unfinished batches failed: ${e instanceof Error ? e.message : String(e)}`,
    );
  });

  return {
    batches: controller,
    statusBar,
    disposables: [
      controller,
      rows,
      statusBar,
      {
        dispose: () => {
          const at = deps.explorer.flowChildren.indexOf(rows);
          if (at >= 0) {
            deps.explorer.flowChildren.splice(at, 1);
          }
        },
      },
      registerCommand(commandIds.runFolderBatch, deps.log, (folder?: unknown, args?: RunFolderArgs) =>
        controller.runFolder(
          folder instanceof vscode.Uri ? folder : undefined,
          // From the Explorer's context menu the second argument is the selection (an array of URIs).
          args === undefined || Array.isArray(args) ? {} : args,
        ),
      ),
      registerCommand(commandIds.cancelBatch, deps.log, async (arg?: unknown, cancelQueued?: boolean) => {
        const batch = batchOf(arg);
        let alsoQueued = cancelQueued;
        if (alsoQueued === undefined) {
          const choice = await deps.prompts.confirm(
            `Stop starting the items of batch "${batch.label}"? Runs already started go on unless you cancel the queued ones too.`,
            {},
            'Stop New Starts',
            'Stop and Cancel Queued Runs',
          );
          alsoQueued = choice === 'Stop and Cancel Queued Runs';
        }
        await controller.cancel(batch, alsoQueued);
      }),
      registerCommand(commandIds.rerunFailedBatch, deps.log, (arg?: unknown) =>
        controller.rerunFailed(batchOf(arg)),
      ),
      registerCommand(commandIds.openBatchReport, deps.log, async (arg?: unknown) =>
        (await controller.openReport(batchOf(arg))).toString(),
      ),
    ],
  };
}
