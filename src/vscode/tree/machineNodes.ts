import * as vscode from 'vscode';
import type { Environment } from '../../core/model/environment';
import type { Machine } from '../../core/model/machine';
import type { MachineGroup } from '../../core/model/machineGroup';
import type { SignedInAccount } from '../accounts/signedInAccount';
import type { ExplorerNode } from './explorerNode';
import { MessageNode } from './messageNode';
import { factsTooltip, formatWhen } from './treeFormat';

/** A machine counts as online when it was heard from within this long (lastheartbeatdate, docs/service-contract.md#machines-and-machine-groups). */
const onlineWithinMs = 10 * 60 * 1000;

export type MachinePresence = 'inUse' | 'online' | 'offline' | 'maintenance';

/** Online, offline, in use (a run is executing on it) or in maintenance. */
export function presenceOf(
  machine: Machine,
  busyMachineIds: ReadonlySet<string>,
  now = Date.now(),
): MachinePresence {
  if (machine.state === 'maintenance' || machine.state === 'inactive') {
    return 'maintenance';
  }
  if (busyMachineIds.has(machine.id.toLowerCase())) {
    return 'inUse';
  }
  const heartbeat = machine.lastHeartbeatOn ? Date.parse(machine.lastHeartbeatOn) : Number.NaN;
  return !Number.isNaN(heartbeat) && now - heartbeat < onlineWithinMs ? 'online' : 'offline';
}

interface MachinesSnapshot {
  groups: MachineGroup[];
  machines: Machine[];
  busy: Set<string>;
}

/** "Machines": machine groups with their members, then standalone machines. One load of three requests. */
export class MachinesGroupNode implements ExplorerNode {
  readonly id: string;
  private snapshot: MachinesSnapshot | undefined;

  constructor(
    readonly parent: ExplorerNode,
    readonly account: SignedInAccount,
    readonly environment: Environment,
  ) {
    this.id = `${parent.id}/machines`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Machines', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('vm');
    item.contextValue = 'machinesGroup refreshable';
    if (this.snapshot) {
      const online = this.snapshot.machines.filter(
        (m) => presenceOf(m, this.snapshot?.busy ?? new Set()) !== 'offline',
      ).length;
      item.description = `${this.snapshot.machines.length} machines, ${online} online`;
    }
    return item;
  }

  async getChildren(signal: AbortSignal): Promise<ExplorerNode[]> {
    if (!this.snapshot) {
      const org = this.environment.orgUrl;
      const s = this.account.session;
      const [groups, machines, running] = await Promise.all([
        s.machineGroups.list(org, signal),
        s.machines.list(org, signal),
        s.runs.listFlowSessions(
          org,
          { filter: 'statuscode eq 2', select: ['flowsessionid', '_machineid_value'], pageSize: 500 },
          signal,
        ),
      ]);
      const busy = new Set(
        running.items.map((r) => r.machineId?.toLowerCase()).filter((id): id is string => id !== undefined),
      );
      // The counts in the description: the provider shows this row again once the view is done loading the
      // groups below it (never from inside this load, which would leave expanded groups empty).
      this.snapshot = { groups, machines, busy };
    }
    const { groups, machines, busy } = this.snapshot;
    const realGroups = groups.filter((g) => !g.isImplicit);
    const realGroupIds = new Set(realGroups.map((g) => g.id.toLowerCase()));
    const standalone = machines.filter((m) => !m.groupId || !realGroupIds.has(m.groupId.toLowerCase()));
    const rows: ExplorerNode[] = [
      ...realGroups.map(
        (g) =>
          new MachineGroupNode(
            this,
            g,
            machines.filter((m) => m.groupId?.toLowerCase() === g.id.toLowerCase()),
            busy,
          ),
      ),
      ...standalone.map((m) => new MachineNode(this, m, busy)),
    ];
    return rows.length > 0
      ? rows
      : [
          new MessageNode(
            this,
            `${this.id}/empty`,
            'empty',
            'No machines registered',
            'Register a machine with Power Automate machine runtime.',
          ),
        ];
  }

  reset(): void {
    this.snapshot = undefined;
  }
}

/** A machine group and its members. */
export class MachineGroupNode implements ExplorerNode {
  readonly id: string;

  constructor(
    readonly parent: ExplorerNode,
    readonly group: MachineGroup,
    private readonly members: Machine[],
    private readonly busy: ReadonlySet<string>,
  ) {
    this.id = `${parent.id}/group/${group.id}`;
  }

  getTreeItem(): vscode.TreeItem {
    const g = this.group;
    const item = new vscode.TreeItem(g.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('server');
    const online = this.members.filter((m) => presenceOf(m, this.busy) !== 'offline').length;
    item.description =
      this.members.length === 0 ? 'empty' : `${this.members.length} machines, ${online} online`;
    item.contextValue = 'machineGroup hasId';
    item.tooltip = factsTooltip(
      g.name,
      [
        ['Id', g.id],
        ['Machines', String(this.members.length)],
        ['Management', g.management],
        ['State', g.state],
        [
          'Reuse Windows session',
          g.reuseWindowsSession === undefined ? undefined : g.reuseWindowsSession ? 'Yes' : 'No',
        ],
      ],
      g.description,
    );
    return item;
  }

  getChildren(): Promise<ExplorerNode[]> {
    if (this.members.length === 0) {
      return Promise.resolve([
        new MessageNode(
          this,
          `${this.id}/empty`,
          'empty',
          'No machines in this group',
          'Runs that target it fail with GroupIsEmpty.',
        ),
      ]);
    }
    return Promise.resolve(this.members.map((m) => new MachineNode(this, m, this.busy)));
  }
}

const presenceIcons: Record<MachinePresence, [string, string | undefined]> = {
  inUse: ['vm-running', 'charts.blue'],
  online: ['vm-active', 'charts.green'],
  offline: ['vm-outline', 'disabledForeground'],
  maintenance: ['tools', 'charts.yellow'],
};
const presenceLabels: Record<MachinePresence, string> = {
  inUse: 'in use',
  online: 'online',
  offline: 'offline',
  maintenance: 'maintenance',
};

/** A machine with its presence. */
export class MachineNode implements ExplorerNode {
  readonly id: string;

  constructor(
    readonly parent: ExplorerNode,
    readonly machine: Machine,
    private readonly busy: ReadonlySet<string>,
  ) {
    this.id = `${parent.id}/machine/${machine.id}`;
  }

  get presence(): MachinePresence {
    return presenceOf(this.machine, this.busy);
  }

  getTreeItem(): vscode.TreeItem {
    const m = this.machine;
    const presence = this.presence;
    const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const [icon, color] = presenceIcons[presence];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.description = presenceLabels[presence];
    item.contextValue = `machine hasId ${presence}`;
    item.tooltip = factsTooltip(
      m.name,
      [
        ['Id', m.id],
        ['Presence', presenceLabels[presence]],
        ['Status', m.statusLabel ?? m.status],
        ['Last heartbeat', formatWhen(m.lastHeartbeatOn)],
        ['Agent version', m.agentVersion],
        ['Hosting', m.hosting],
        ['Sessions', m.sessionCapacity === undefined ? undefined : String(m.sessionCapacity)],
      ],
      m.description,
    );
    return item;
  }
}
