import * as vscode from 'vscode';
import type { Environment } from '../../core/model/environment';
import type { DesktopFlowConnection } from '../../core/model/connection';
import type { ConnectionReference } from '../../core/model/connectionReference';
import type { SignedInAccount } from '../accounts/signedInAccount';
import type { ExplorerNode } from './explorerNode';
import { MessageNode } from './messageNode';
import type { TreeContext } from './treeContext';
import { factsTooltip, formatWhen } from './treeFormat';

interface ConnectionsSnapshot {
  connections: DesktopFlowConnection[];
  references: ConnectionReference[];
  groupNames: Map<string, string>;
}

/** "Connections": desktop-flow connections and connection references, each with its target when known. */
export class ConnectionsGroupNode implements ExplorerNode {
  readonly id: string;
  private snapshot: ConnectionsSnapshot | undefined;

  constructor(
    readonly parent: ExplorerNode,
    readonly account: SignedInAccount,
    readonly environment: Environment,
    private readonly ctx: TreeContext,
  ) {
    this.id = `${parent.id}/connections`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Connections', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('plug');
    item.contextValue = 'connectionsGroup refreshable';
    if (this.snapshot) {
      item.description = `${this.snapshot.connections.length} connections, ${this.snapshot.references.length} references`;
    }
    return item;
  }

  async getChildren(signal: AbortSignal): Promise<ExplorerNode[]> {
    if (!this.snapshot) {
      const s = this.account.session;
      const org = this.environment.orgUrl;
      const [connections, references, groups] = await Promise.all([
        s.connections.listDesktopFlowConnections(this.environment.id, signal),
        s.connectionReferences.listDesktopFlowReferences(org, signal),
        // Only to name the machine group a connection targets; a failure here must not hide connections.
        s.machineGroups.list(org, signal).catch((e: unknown) => {
          this.ctx.log.warn(`[tree] machine groups for connection targets unavailable: ${String(e)}`);
          return [];
        }),
      ]);
      this.snapshot = {
        connections,
        references,
        groupNames: new Map(groups.map((g) => [g.id.toLowerCase(), g.name])),
      };
      // The counts in the description show once the provider re-renders this row after the load.
    }
    const { connections, references, groupNames } = this.snapshot;
    const byName = new Map(connections.map((c) => [c.name, c]));
    const rows: ExplorerNode[] = [
      ...connections.map((c) => new ConnectionNode(this, this.account, this.environment, c, groupNames)),
      ...references.map(
        (r) =>
          new ConnectionReferenceNode(this, r, r.connectionName ? byName.get(r.connectionName) : undefined),
      ),
    ];
    return rows.length > 0
      ? rows
      : [
          new MessageNode(
            this,
            `${this.id}/empty`,
            'empty',
            'No desktop-flow connections',
            'Create one in Power Automate (Connections → New → Desktop flows) to run flows.',
          ),
        ];
  }

  /** The loaded connections and references (for run pickers). */
  get loaded(): ConnectionsSnapshot | undefined {
    return this.snapshot;
  }

  reset(): void {
    this.snapshot = undefined;
  }
}

/** A desktop-flow connection. */
export class ConnectionNode implements ExplorerNode {
  readonly id: string;

  constructor(
    readonly parent: ExplorerNode,
    readonly account: SignedInAccount,
    readonly environment: Environment,
    readonly connection: DesktopFlowConnection,
    private readonly groupNames: ReadonlyMap<string, string>,
  ) {
    this.id = `${parent.id}/connection/${connection.name}`;
  }

  get target(): string | undefined {
    const id = this.connection.targetMachineGroupId;
    return id === undefined ? undefined : (this.groupNames.get(id.toLowerCase()) ?? id);
  }

  getTreeItem(): vscode.TreeItem {
    const c = this.connection;
    const item = new vscode.TreeItem(c.displayName, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const ok = c.status === 'connected';
    item.iconPath = new vscode.ThemeIcon(
      ok ? 'plug' : 'debug-disconnect',
      ok ? undefined : new vscode.ThemeColor('errorForeground'),
    );
    const kind =
      c.parameterSetName === 'azureRelay' ? 'username/password' : c.parameterSetName ? 'sign-in' : undefined;
    item.description = [
      this.target ? `→ ${this.target}` : undefined,
      c.username,
      ok ? undefined : 'not connected',
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = 'connection hasId portal';
    const error = c.statuses.find((s) => s.errorMessage);
    item.tooltip = factsTooltip(c.displayName, [
      ['Connection name', c.name],
      ['Status', ok ? 'Connected' : (c.statuses[0]?.status ?? 'Unknown')],
      ['Error', error ? `${error.errorCode ?? ''} ${error.errorMessage ?? ''}`.trim() : undefined],
      ['Target', this.target],
      ['Windows account', c.username],
      ['Kind', kind],
      ['Created by', c.createdBy?.displayName ?? c.createdBy?.userPrincipalName],
      ['Created', formatWhen(c.createdTime)],
    ]);
    return item;
  }

  portalUrl(): string {
    return this.account.session.connectionPortalUrl(this.environment.id, this.connection.name);
  }
}

/** A connection reference (solution-aware pointer to a connection). */
export class ConnectionReferenceNode implements ExplorerNode {
  readonly id: string;

  constructor(
    readonly parent: ExplorerNode,
    readonly reference: ConnectionReference,
    private readonly connection: DesktopFlowConnection | undefined,
  ) {
    this.id = `${parent.id}/reference/${reference.logicalName}`;
  }

  getTreeItem(): vscode.TreeItem {
    const r = this.reference;
    const item = new vscode.TreeItem(r.displayName, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('references');
    const bound = r.connectionName
      ? `→ ${this.connection?.displayName ?? r.connectionName}`
      : 'not bound to a connection';
    item.description = ['reference', bound].join(' · ');
    item.contextValue = 'connectionReference hasId';
    item.tooltip = factsTooltip(
      r.displayName,
      [
        ['Logical name', r.logicalName],
        ['Connection', this.connection?.displayName ?? r.connectionName],
        ['State', r.active ? 'Active' : 'Inactive'],
      ],
      r.description,
    );
    return item;
  }
}
