import * as vscode from 'vscode';
import type { Environment } from '../core/model/environment';
import type { AccountService } from './accounts/accountService';
import type { SignedInAccount } from './accounts/signedInAccount';
import { commandIds } from './commandIds';
import type { ConfigurationService } from './configuration';
import { DisposableBase } from './disposableBase';

/**
 * The workspace's default environment: a status bar item that shows it and opens the picker, and the one
 * place that resolves the setting to an account + environment.
 */
export class EnvironmentStatusBar extends DisposableBase {
  private readonly item: vscode.StatusBarItem;
  private current: { account: SignedInAccount; environment: Environment } | undefined;

  constructor(
    private readonly accounts: AccountService,
    private readonly config: ConfigurationService,
  ) {
    super();
    this.item = vscode.window.createStatusBarItem(
      'desktopFlows.environment',
      vscode.StatusBarAlignment.Left,
      50,
    );
    this.item.name = 'Desktop Flows: Default Environment';
    this.item.command = commandIds.selectEnvironment;
    this.register(
      this.item,
      accounts.onDidChangeAccounts(() => void this.update()),
      config.onDidChange((e) => {
        if (e.affects('defaultEnvironment')) {
          void this.update();
        }
      }),
    );
    void this.update();
  }

  /** The status bar text (for tests). */
  get text(): string {
    return this.item.text;
  }

  /** The resolved default environment, if the setting names one that a signed-in account can reach. */
  async resolveDefault(
    signal: AbortSignal,
  ): Promise<{ account: SignedInAccount; environment: Environment } | undefined> {
    const key = this.config.current.defaultEnvironment;
    if (!key) {
      return undefined;
    }
    return this.accounts.findEnvironment(key, signal);
  }

  /** Sets the default environment (workspace setting) and updates the item. */
  async setDefault(environment: Environment): Promise<void> {
    await this.config.update('defaultEnvironment', environment.id);
    await this.update();
  }

  async update(): Promise<void> {
    if (this.accounts.accounts.length === 0) {
      this.item.hide();
      return;
    }
    const key = this.config.current.defaultEnvironment;
    try {
      this.current = key ? await this.accounts.findEnvironment(key, AbortSignal.timeout(60_000)) : undefined;
    } catch {
      this.current = undefined;
    }
    if (this.current) {
      this.item.text = `$(server-environment) ${this.current.environment.displayName}`;
      this.item.tooltip = new vscode.MarkdownString(
        `**Default environment** for input files and runs in this workspace\n\n${this.current.environment.displayName} — ${this.current.environment.orgUrl}\n\nClick to change.`,
      );
      this.item.backgroundColor = undefined;
    } else if (key) {
      this.item.text = `$(warning) ${key}`;
      this.item.tooltip = `The default environment "${key}" is not reachable with the signed-in accounts. Click to pick another.`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    } else {
      this.item.text = '$(server-environment) Select environment';
      this.item.tooltip = 'Pick the default environment for input files and runs in this workspace.';
      this.item.backgroundColor = undefined;
    }
    this.item.show();
  }
}
