import * as vscode from 'vscode';
import type { Environment } from '../../core/model/environment';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { ConnectionsGroupNode } from './connectionNodes';
import type { ExplorerNode } from './explorerNode';
import { FlowsGroupNode } from './flowNodes';
import { MachinesGroupNode } from './machineNodes';
import type { TreeContext } from './treeContext';
import { factsTooltip } from './treeFormat';

/** An environment: Desktop flows, Connections, Machines. */
export class EnvironmentNode implements ExplorerNode {
  readonly id: string;
  private groups: ExplorerNode[] | undefined;

  constructor(
    readonly parent: ExplorerNode | undefined,
    readonly account: SignedInAccount,
    readonly environment: Environment,
    private readonly ctx: TreeContext,
  ) {
    this.id = `${account.id}/env/${environment.id}`;
  }

  get isDefault(): boolean {
    return this.ctx.view.defaultEnvironmentId === this.environment.id;
  }

  getTreeItem(): vscode.TreeItem {
    const e = this.environment;
    const item = new vscode.TreeItem(e.displayName, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(this.isDefault ? 'star-full' : 'server-environment');
    item.description = [
      this.isDefault ? 'default' : undefined,
      e.sku,
      e.region,
      e.enabled ? undefined : 'disabled',
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = 'environment hasId refreshable';
    item.tooltip = factsTooltip(e.displayName, [
      ['Environment id', e.id],
      ['Org URL', e.orgUrl],
      ['Type', e.sku],
      ['Region', e.region],
      ['Version', e.version],
      ['State', e.enabled ? 'Enabled' : 'Disabled'],
      ['Account', this.account.label],
      ['Workspace default', this.isDefault ? 'Yes' : undefined],
    ]);
    return item;
  }

  getChildren(): Promise<ExplorerNode[]> {
    this.groups ??= [
      new FlowsGroupNode(this, this.account, this.environment, this.ctx),
      new ConnectionsGroupNode(this, this.account, this.environment, this.ctx),
      new MachinesGroupNode(this, this.account, this.environment),
    ];
    return Promise.resolve(this.groups);
  }

  reset(): void {
    for (const g of this.groups ?? []) {
      (g as { reset?: () => void }).reset?.();
    }
  }
}
