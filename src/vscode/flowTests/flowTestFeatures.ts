/**
 * Flow tests, the part in the features chunk (src/extensionFeatures.ts): the Test Explorer work behind the
 * controller activation made (flowTestController.ts) and the "Create Test from Run" command.
 */
import type * as vscode from 'vscode';
import type { SecretResolver } from '../../core/inputs/secretReference';
import type { Logger } from '../../core/logger';
import type { AccountService } from '../accounts/accountService';
import { commandIds } from '../commandIds';
import type { ConfigurationService } from '../configuration';
import type { EnvironmentStatusBar } from '../environmentStatusBar';
import { registerCommand } from '../registerCommand';
import type { Prompts } from '../prompts';
import type { RunsController } from '../runs/runsController';
import { createTestFromRun } from './createTestFromRun';
import { FlowTestExplorer } from './flowTestExplorer';

/** What the flow tests feature needs from the composition root. */
export interface FlowTestFeatureDeps {
  readonly log: Logger;
  readonly config: ConfigurationService;
  readonly accounts: AccountService;
  readonly environmentStatus: Pick<EnvironmentStatusBar, 'resolveDefault'>;
  readonly runs: RunsController;
  /** The prompt helper (Escape → CancellationError; tests answer it from a queue). */
  readonly prompts: Prompts;
  readonly secretResolver: SecretResolver;
}

/** Builds the flow tests behind `controller` and registers "Create Test from Run". */
export function registerFlowTestFeatures(
  controller: vscode.TestController,
  deps: FlowTestFeatureDeps,
): { disposables: vscode.Disposable[]; flowTests: FlowTestExplorer } {
  const explorer = new FlowTestExplorer(controller, deps);
  return {
    flowTests: explorer,
    disposables: [
      explorer,
      registerCommand(commandIds.createTestFromRun, deps.log, async (arg?: unknown, extra?: unknown) => {
        const file = (extra as { file?: unknown } | undefined)?.file;
        return (
          await createTestFromRun(arg, deps.runs, deps.prompts, typeof file === 'string' ? { file } : {})
        ).toString();
      }),
    ],
  };
}
