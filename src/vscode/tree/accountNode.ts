import * as vscode from 'vscode';
import type { AccountService } from '../accounts/accountService';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { EnvironmentNode } from './environmentNode';
import type { ExplorerNode } from './explorerNode';
import { MessageNode } from './messageNode';
import type { TreeContext } from './treeContext';
import { factsTooltip } from './treeFormat';

/** The environments of one account, as nodes (shared by the account node and the single-account roots). */
export async function environmentNodes(
  parent: ExplorerNode | undefined,
  account: SignedInAccount,
  accounts: AccountService,
  ctx: TreeContext,
  signal: AbortSignal,
): Promise<ExplorerNode[]> {
  const environments = await accounts.environments(account, signal);
  if (environments.length === 0) {
    return parent
      ? [
          new MessageNode(
            parent,
            `${parent.id}/empty`,
            'empty',
            'No environments with Dataverse',
            'Desktop flows live in Dataverse environments.',
          ),
        ]
      : [];
  }
  return environments.map((e) => new EnvironmentNode(parent, account, e, ctx));
}

/** A signed-in account (roots when more than one account is signed in). */
export class AccountNode implements ExplorerNode {
  readonly id: string;
  readonly parent = undefined;

  constructor(
    readonly account: SignedInAccount,
    private readonly accounts: AccountService,
    private readonly ctx: TreeContext,
  ) {
    this.id = account.id;
  }

  getTreeItem(): vscode.TreeItem {
    const a = this.account;
    const item = new vscode.TreeItem(a.label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(
      a.kind === 'sandbox' ? 'beaker' : a.kind === 'servicePrincipal' ? 'key' : 'account',
    );
    item.description = a.description;
    item.contextValue = 'account refreshable';
    item.tooltip = factsTooltip(a.label, [
      [
        'Kind',
        a.kind === 'servicePrincipal' ? 'Service principal' : a.kind === 'sandbox' ? 'Sandbox' : 'User',
      ],
      ['Cloud', a.description],
    ]);
    return item;
  }

  getChildren(signal: AbortSignal): Promise<ExplorerNode[]> {
    return environmentNodes(this, this.account, this.accounts, this.ctx, signal);
  }

  reset(): void {
    this.accounts.forget(this.account.id);
  }
}
