import * as vscode from 'vscode';
import { AccountService } from './vscode/accounts/accountService';
import { registerExplorerCommands } from './vscode/commands/explorerCommands';
import { getContext } from './vscode/contextKeys';
import { EnvironmentStatusBar } from './vscode/environmentStatusBar';
import { LogChannel } from './vscode/logChannel';
import { ExplorerView } from './vscode/tree/explorerView';

/** The small API returned to integration tests: services to drive and state to observe. */
export interface ExtensionApi {
  readonly version: string;
  isSignedIn(): boolean;
  readonly accounts: AccountService;
  readonly explorer: ExplorerView;
  readonly environmentStatus: EnvironmentStatusBar;
}

/** Composition root: builds every service, registers every disposable, and returns the test API. */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = new LogChannel();
  const accounts = new AccountService(log);
  const explorer = new ExplorerView(accounts, log);
  const environmentStatus = new EnvironmentStatusBar(accounts);

  context.subscriptions.push(
    log,
    { dispose: () => void accounts.dispose() },
    explorer,
    environmentStatus,
    ...registerExplorerCommands({ log, accounts, explorer, environmentStatus }),
  );
  log.info(`[extension] activated ${String((context.extension.packageJSON as { version?: string }).version)} in ${vscode.env.appName} (${vscode.env.remoteName ?? 'local'})`);

  return {
    version: String((context.extension.packageJSON as { version?: string }).version),
    isSignedIn: () => getContext('desktopFlows.signedIn') === true,
    accounts,
    explorer,
    environmentStatus,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
