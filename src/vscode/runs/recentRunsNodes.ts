import * as vscode from 'vscode';
import { flowKey } from '../../core/runs/runKeys';
import { isTerminal, type Run, type RunStatus } from '../../core/model/run';
import type { RunFinishedEvent, RunStateChangedEvent, RunSubject } from '../../core/runs/runEvents';
import type { EnvironmentRef } from '../../core/runs/runJournal';
import type { RunHistoryPage } from '../../core/runs/runReview';
import { describeStatus, formatDuration } from '../../core/runs/runTranscript';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { commandIds } from '../commandIds';
import type { ExplorerNode } from '../tree/explorerNode';
import { FlowNode } from '../tree/flowNodes';
import { MessageNode } from '../tree/messageNode';
import type { FlowChildContributor } from '../tree/treeContext';
import { factsTooltip, formatWhen } from '../tree/treeFormat';
import { recentRunLabel } from './recentRunWords';
import { runActions } from './runActions';

/** What the "Recent runs" rows need from the runs feature. */
export interface RecentRunsSource {
  history(
    environment: EnvironmentRef,
    flowId: string,
    options: { readonly pageSize: number; readonly nextPage?: string },
    signal: AbortSignal,
  ): Promise<RunHistoryPage>;
  /** The account reaches this environment (so runs watched later find it). */
  accountSeen(orgUrl: string, account: SignedInAccount): void;
  /** A history page with runs was shown (the `desktopFlows.hasRunHistory` context key). */
  historySeen(): void;
  rerender(node: ExplorerNode): void;
  refresh(node: ExplorerNode): void;
}

/** One row's view of a run; patched in place by run events. */
interface RunView {
  status: RunStatus;
  machine: string | undefined;
  createdOn: string | undefined;
  startedOn: string | undefined;
  completedOn: string | undefined;
  runTimeMs: number | undefined;
  queueWaitMs: number | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  runMode: Run['runMode'];
}

const statusIcons: Partial<Record<RunStatus, [string, string | undefined]>> = {
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  faulted: ['error', 'testing.iconFailed'],
  timedOut: ['watch', 'testing.iconFailed'],
  cancelled: ['circle-slash', undefined],
  aborted: ['circle-slash', undefined],
  terminated: ['circle-slash', undefined],
  running: ['sync~spin', undefined],
  waiting: ['clock', undefined],
  paused: ['debug-pause', undefined],
  suspended: ['debug-pause', undefined],
};

/** The codicon and theme color of a run's status (tree rows of both views). */
export function runStatusIcon(status: RunStatus): vscode.ThemeIcon {
  const [icon, color] = statusIcons[status] ?? ['circle-outline', undefined];
  return new vscode.ThemeIcon(icon, color === undefined ? undefined : new vscode.ThemeColor(color));
}

/** A start time as a row label: the time for today's runs, date and time otherwise. */
function startLabel(iso: string | undefined): string {
  if (iso === undefined) {
    return 'Run';
  }
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) {
    return iso;
  }
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

/** One run under "Recent runs": status icon, start time, duration and machine. */
export class RunNode implements ExplorerNode {
  readonly id: string;
  readonly subject: RunSubject;

  constructor(
    readonly parent: RecentRunsGroupNode,
    run: Run,
    timings: { runTimeMs: number | undefined; queueWaitMs: number | undefined },
    readonly view: RunView = {
      status: run.status,
      machine: run.machineName,
      createdOn: run.createdOn,
      startedOn: run.startedOn,
      completedOn: run.completedOn,
      runTimeMs: timings.runTimeMs,
      queueWaitMs: timings.queueWaitMs,
      errorCode: run.errorCode,
      errorMessage: run.errorMessage,
      runMode: run.runMode,
    },
  ) {
    this.id = `${parent.id}/${run.id}`;
    this.subject = {
      environment: parent.environment,
      flowId: parent.flowId,
      flowName: parent.flowName,
      runId: run.id,
    };
  }

  get active(): boolean {
    return !isTerminal(this.view.status);
  }

  getTreeItem(): vscode.TreeItem {
    const v = this.view;
    // Status first (defect 4 of issue 14): the part that matters survives a narrow sidebar.
    const item = new vscode.TreeItem(
      recentRunLabel({ status: v.status, createdOn: v.createdOn, runTimeMs: v.runTimeMs }, Date.now()),
      vscode.TreeItemCollapsibleState.None,
    );
    item.id = this.id;
    const [icon, color] = statusIcons[v.status] ?? ['circle-outline', undefined];
    item.iconPath = new vscode.ThemeIcon(
      icon,
      color === undefined ? undefined : new vscode.ThemeColor(color),
    );
    item.description = [v.machine, startLabel(v.createdOn)].filter((p) => p !== undefined).join(' · ');
    // Menus follow runActions (defect 7): Open Outputs, Save Outputs… and Compare… only where they can work.
    const offered = runActions({
      status: v.status,
      hasRunId: true,
      watched: true,
      hasOutputs: undefined,
      otherSucceeded: this.parent.succeededOtherThan(this.subject.runId),
      inTranscript: false,
    });
    item.contextValue = ['run', this.active ? 'active' : v.status, ...offered].join(' ');
    item.tooltip = factsTooltip(`${this.subject.flowName} — run ${this.subject.runId.slice(0, 8)}`, [
      ['Status', describeStatus(v.status)],
      ['Machine', v.machine],
      ['Run mode', v.runMode === 'unknown' ? undefined : v.runMode],
      ['Queued', formatWhen(v.createdOn)],
      ['Started', formatWhen(v.startedOn)],
      ['Completed', formatWhen(v.completedOn)],
      ['Time in queue', v.queueWaitMs === undefined ? undefined : formatDuration(v.queueWaitMs)],
      ['Run time', v.runTimeMs === undefined ? undefined : formatDuration(v.runTimeMs)],
      ['Error', [v.errorCode, v.errorMessage].filter((p) => p !== undefined).join(': ') || undefined],
      ['Run id', this.subject.runId],
    ]);
    item.command = {
      command: commandIds.showRunDetails,
      title: 'Show Run Details',
      arguments: [this.subject],
    };
    return item;
  }

  /** Applies a run event; true when something shown changed. */
  apply(e: RunStateChangedEvent | RunFinishedEvent): boolean {
    const v = this.view;
    v.status = e.status;
    v.machine = e.machine === undefined ? v.machine : (e.machine.name ?? v.machine ?? e.machine.id);
    v.createdOn = e.createdOn ?? v.createdOn;
    v.startedOn = e.startedOn ?? v.startedOn;
    v.completedOn = e.completedOn ?? v.completedOn;
    v.runTimeMs = e.runTimeMs ?? v.runTimeMs;
    v.queueWaitMs = e.queueWaitMs ?? v.queueWaitMs;
    if (e.kind === 'finished') {
      v.errorCode = e.errorCode;
      v.errorMessage = e.errorMessage;
    }
    return true;
  }
}

/** "Recent runs" under a flow: newest first, a page at a time ("Load more…"). */
export class RecentRunsGroupNode implements ExplorerNode {
  readonly id: string;
  readonly flowName: string;
  private runs: RunNode[] = [];

  /** True when a loaded row other than `runId` is a succeeded run (Compare… needs one). */
  succeededOtherThan(runId: string): boolean {
    return this.runs.some((r) => r.subject.runId !== runId && r.view.status === 'succeeded');
  }

  private nextPage: string | undefined;
  private loaded = false;

  constructor(
    readonly parent: ExplorerNode,
    readonly environment: EnvironmentRef,
    readonly flowId: string,
    flowName: string,
    private readonly source: RecentRunsSource,
    private readonly pageSize: number,
  ) {
    this.id = `${parent.id}/runs`;
    this.flowName = flowName;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Recent runs', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('history');
    const active = this.runs.filter((r) => r.active).length;
    item.description = this.loaded
      ? [
          `${this.runs.length}${this.nextPage === undefined ? '' : '+'}`,
          active > 0 ? `${active} active` : undefined,
        ]
          .filter((p) => p !== undefined)
          .join(' · ')
      : undefined;
    item.contextValue = 'runsGroup refreshable';
    return item;
  }

  async getChildren(signal: AbortSignal): Promise<ExplorerNode[]> {
    if (!this.loaded) {
      await this.load(undefined, signal);
    }
    if (this.runs.length === 0) {
      return [
        new MessageNode(
          this,
          `${this.id}/empty`,
          'empty',
          'No runs yet',
          'Run the flow with ▶ to see it here.',
        ),
      ];
    }
    const rows: ExplorerNode[] = [...this.runs];
    if (this.nextPage !== undefined) {
      rows.push(
        new MessageNode(this, `${this.id}/more`, 'loadMore', 'Load more…', `${this.runs.length} shown`, this),
      );
    }
    return rows;
  }

  /** Loaded rows (tests and pickers). */
  get loadedRuns(): readonly RunNode[] {
    return this.runs;
  }

  get hasMore(): boolean {
    return this.nextPage !== undefined;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Appends the next (older) page and re-renders ("Load more…"). */
  async loadMore(signal: AbortSignal): Promise<void> {
    if (this.nextPage === undefined) {
      return;
    }
    await this.load(this.nextPage, signal);
    this.source.rerender(this);
  }

  /** Applies a state change or finish of one of this flow's runs: patch the row, or reload when it is new. */
  runChanged(e: RunStateChangedEvent | RunFinishedEvent): void {
    if (!this.loaded) {
      return;
    }
    const row = this.runs.find((r) => r.subject.runId.toLowerCase() === e.runId.toLowerCase());
    if (row === undefined) {
      this.source.refresh(this);
      return;
    }
    row.apply(e);
    this.source.rerender(row);
    this.source.rerender(this);
  }

  reset(): void {
    this.runs = [];
    this.nextPage = undefined;
    this.loaded = false;
  }

  private async load(nextPage: string | undefined, signal: AbortSignal): Promise<void> {
    const page = await this.source.history(
      this.environment,
      this.flowId,
      { pageSize: this.pageSize, ...(nextPage === undefined ? {} : { nextPage }) },
      signal,
    );
    const known = new Set(this.runs.map((r) => r.subject.runId.toLowerCase()));
    for (const entry of page.entries) {
      if (!known.has(entry.run.id.toLowerCase())) {
        this.runs.push(new RunNode(this, entry.run, entry));
      }
    }
    this.nextPage = page.nextPage;
    this.loaded = true;
    if (this.runs.length > 0) {
      this.source.historySeen();
    }
  }
}

/** Runs per "Recent runs" page: a screenful; "Load more…" appends the next page. */
export const recentRunsPageSize = 10;

/** Adds "Recent runs" under every flow of the explorer, and routes run events to the rows shown. */
export class RecentRunsContributor implements FlowChildContributor {
  private readonly groups = new Map<string, RecentRunsGroupNode>();

  constructor(private readonly source: RecentRunsSource) {}

  children(
    flowNode: ExplorerNode,
    flow: { environmentId: string; orgUrl: string; flowId: string; flowName: string },
    account: SignedInAccount,
  ): ExplorerNode[] {
    this.source.accountSeen(flow.orgUrl, account);
    const environment: EnvironmentRef = {
      id: flow.environmentId,
      orgUrl: flow.orgUrl,
      ...(flowNode instanceof FlowNode ? { displayName: flowNode.environment.displayName } : {}),
    };
    const group = new RecentRunsGroupNode(
      flowNode,
      environment,
      flow.flowId,
      flow.flowName,
      this.source,
      recentRunsPageSize,
    );
    this.groups.set(flowKey(flow.orgUrl, flow.flowId), group);
    return [group];
  }

  /** The group shown for a flow, if its flow node was expanded. */
  groupFor(orgUrl: string, flowId: string): RecentRunsGroupNode | undefined {
    return this.groups.get(flowKey(orgUrl, flowId));
  }

  /** A run of this window was started: the flow's list gains a row. */
  runStarted(orgUrl: string, flowId: string): void {
    const group = this.groupFor(orgUrl, flowId);
    if (group?.isLoaded === true) {
      this.source.refresh(group);
    }
  }

  runChanged(e: RunStateChangedEvent | RunFinishedEvent): void {
    this.groupFor(e.environment.orgUrl, e.flowId)?.runChanged(e);
  }
}
