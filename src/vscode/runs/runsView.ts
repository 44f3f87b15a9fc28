/**
 * The Runs view (`desktopFlows.runs`): recent and active runs across flows and signed-in environments,
 * newest first, a page at a time ("Load more…"). Filters (mine/all, status, environment) are title-bar
 * actions; their state shows in the view's description and message and in context keys. Rows of runs this
 * window knows come from the run store (live), the others from the service's pages (`RunsFeed`); while the
 * view is visible, the pages' queued and running runs started elsewhere follow the runs core's batched status
 * poll (`RunsFeed.follow` over `RunService.observe`), so they change without Refresh.
 */
import * as vscode from 'vscode';
import { CancellationError } from '../../core/errors';
import { isTerminal, type Run } from '../../core/model/run';
import type { Subscription } from '../../core/util/events';
import type { Logger } from '../../core/logger';
import type { RunSubject } from '../../core/runs/runEvents';
import type { EnvironmentRef } from '../../core/runs/runJournal';
import { orgKey } from '../../core/runs/runKeys';
import { RunsFeed, type FeedRun, type RunsFeedSource } from '../../core/runs/runsFeed';
import type { AccountService } from '../accounts/accountService';
import { commandIds } from '../commandIds';
import { createTreeView } from '../onFirstUse';
import { setContext } from '../contextKeys';
import { describeError } from '../errorMessages';
import { factsTooltip } from '../tree/treeFormat';
import { runStatusIcon } from './recentRunsNodes';
import { runActions } from './runActions';
import { runsViewId } from './runsViewId';
import type { RunAccounts } from './runAccounts';
import { SharedLoads } from '../../core/util/sharedLoads';
import type { RunStore, StoreRun } from './runStore';
import { isActive, storeKey } from './runStore';
import {
  defaultRunsViewFilter,
  filterDescription,
  filterMessage,
  isFiltered,
  runRowDescription,
  runRowFacts,
  runRowLabel,
  runRowTooltipFacts,
  storeRunPasses,
  type RunsViewFilter,
} from './runsViewRows';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : typeof e === 'string' ? e : 'unknown error';
}

/** The view's id in package.json. */

const filterStateKey = 'desktopFlows.runsView.filter';

/** A row of the Runs view. */
export type RunsViewRow =
  | {
      readonly kind: 'run';
      readonly key: string;
      readonly subject: RunSubject;
      readonly page: FeedRun | undefined;
      readonly environmentName: string;
    }
  | { readonly kind: 'more' }
  | {
      readonly kind: 'message';
      readonly id: string;
      readonly label: string;
      readonly detail?: string;
      readonly error?: boolean;
    };

/** What the view needs. */
export interface RunsViewDeps {
  readonly accounts: AccountService;
  readonly runAccounts: RunAccounts;
  readonly store: RunStore;
  readonly workspaceState: vscode.Memento;
  readonly log: Logger;
  /** Runs per environment and page. */
  readonly pageSize: () => number;
  /**
   * Looks at a run this window did not start, in its environment's one status request per tick
   * (`RunService.observe`): how rows of runs started elsewhere stay current while the view is shown.
   */
  readonly observe: (subject: RunSubject, onRow: (row: Run) => void) => Subscription;
}

/** The Runs view: tree data, filters and paging. */
export class RunsView implements vscode.TreeDataProvider<RunsViewRow>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsViewRow | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<RunsViewRow>;
  private feed: RunsFeed | undefined;
  private loading: Promise<void> | undefined;
  private abort = new AbortController();
  private filterState: RunsViewFilter;
  private environmentNames = new Map<string, string>();
  private readonly userIds = new SharedLoads<string | undefined>();
  private readonly disposables: vscode.Disposable[] = [];
  private rerenderTimer: ReturnType<typeof setTimeout> | undefined;
  private rows: RunsViewRow[] = [];
  /** The active runs of the pages being kept up to date (while the view is visible). */
  private following: Subscription | undefined;
  private followedIds: readonly string[] = [];
  /** Runs this window started after the pages were read: shown on top until the next refresh reads them. */
  private readonly startedSinceLoad = new Set<string>();

  constructor(private readonly deps: RunsViewDeps) {
    this.filterState = deps.workspaceState.get<RunsViewFilter>(filterStateKey) ?? defaultRunsViewFilter;
    this.view = createTreeView(runsViewId, { treeDataProvider: this, showCollapseAll: false });
    this.disposables.push(
      this.view,
      this.changed,
      deps.accounts.onDidChangeAccounts(() => {
        this.userIds.clear();
        this.refresh();
      }),
    );
    const sub = deps.store.onDidChange((change) => {
      if (change.action.kind === 'triggered') {
        this.startedSinceLoad.add(storeKey(change.action.environment.orgUrl, change.action.runId));
      }
      // A run of this window started, changed or ended: its row follows the store.
      if (change.action.kind !== 'actionLog' && change.action.kind !== 'licenseWarning') {
        this.scheduleRerender();
      }
    });
    this.disposables.push(
      { dispose: () => sub.dispose() },
      // Runs started elsewhere are followed only while someone can see them.
      this.view.onDidChangeVisibility((e) => (e.visible ? this.follow() : this.unfollow())),
    );
    this.showFilter();
  }

  /** The current filter. */
  get filter(): RunsViewFilter {
    return this.filterState;
  }

  /** Changes the filter (kept per workspace) and reloads. */
  async setFilter(filter: RunsViewFilter): Promise<void> {
    this.filterState = filter;
    await this.deps.workspaceState.update(filterStateKey, filter);
    this.showFilter();
    this.refresh();
  }

  /** Reads the runs again from the first page. */
  refresh(): void {
    this.unfollow();
    this.abort.abort(new CancellationError());
    this.abort = new AbortController();
    this.feed = undefined;
    this.loading = undefined;
    this.startedSinceLoad.clear();
    this.changed.fire(undefined);
  }

  /** Loads the next page; resolves once it shows. */
  async loadMore(): Promise<void> {
    const feed = this.feed;
    if (feed === undefined) {
      return;
    }
    await feed.loadMore(this.abort.signal);
    this.follow();
    this.changed.fire(undefined);
  }

  /** Run ids of the rows kept up to date from the service (runs started elsewhere, queued or running). */
  get followedRunIds(): readonly string[] {
    return this.followedIds;
  }

  /** Resolves once the rows shown are loaded (the first page, or the current one). */
  async ready(): Promise<readonly RunsViewRow[]> {
    await this.getChildren();
    return this.rows;
  }

  /** The signed-in environments, by org URL (for the environment filter). */
  async environments(signal: AbortSignal): Promise<EnvironmentRef[]> {
    const all = await this.deps.accounts.allEnvironments(signal);
    return all.map(({ environment }) => ({
      id: environment.id,
      orgUrl: environment.orgUrl,
      displayName: environment.displayName,
    }));
  }

  getTreeItem(row: RunsViewRow): vscode.TreeItem {
    if (row.kind === 'more') {
      const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
      item.id = `${runsViewId}/more`;
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.contextValue = 'message loadMore';
      item.tooltip = 'Load older runs';
      item.command = { command: commandIds.loadMoreRuns, title: 'Load More' };
      return item;
    }
    if (row.kind === 'message') {
      const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
      item.id = `${runsViewId}/${row.id}`;
      item.iconPath =
        row.error === true
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
          : new vscode.ThemeIcon('info');
      item.contextValue = row.error === true ? 'message error' : 'message info';
      item.description = row.detail;
      item.tooltip = row.detail === undefined ? row.label : `${row.label}\n\n${row.detail}`;
      if (row.error === true) {
        item.command = { command: commandIds.refreshRunsView, title: 'Retry' };
      }
      return item;
    }
    const now = Date.now();
    const live = this.deps.store.get(row.key);
    const facts = runRowFacts(row.page, live, row.environmentName, now);
    const item = new vscode.TreeItem(runRowLabel(facts, now), vscode.TreeItemCollapsibleState.None);
    item.id = `${runsViewId}/${row.key}`;
    item.iconPath = runStatusIcon(facts.status);
    item.description = runRowDescription(facts);
    item.tooltip = factsTooltip(
      `${facts.flowName ?? 'Desktop flow'} — run ${row.subject.runId.slice(0, 8)}`,
      [...runRowTooltipFacts(facts), ['Run id', row.subject.runId]],
    );
    const offered = runActions({
      status: facts.status,
      hasRunId: true,
      watched: live === undefined ? true : isActive(live),
      hasOutputs: live?.phase === 'finished' ? live.hasOutputs : undefined,
      otherSucceeded: this.rows.some(
        (r) =>
          r.kind === 'run' &&
          r.key !== row.key &&
          r.subject.flowId.toLowerCase() === row.subject.flowId.toLowerCase() &&
          runRowFacts(r.page, this.deps.store.get(r.key), r.environmentName, now).status === 'succeeded',
      ),
      inTranscript: live !== undefined,
    });
    item.contextValue = ['run', isTerminal(facts.status) ? facts.status : 'active', ...offered].join(' ');
    item.command = {
      command: commandIds.showRunDetails,
      title: 'Show Run Details',
      arguments: [row.subject],
    };
    item.accessibilityInformation = {
      label: `${runRowLabel(facts, now)}, ${runRowDescription(facts)}, ${facts.environmentName}`,
    };
    return item;
  }

  async getChildren(row?: RunsViewRow): Promise<RunsViewRow[]> {
    if (row !== undefined) {
      return [];
    }
    if (this.deps.accounts.accounts.length === 0) {
      // viewsWelcome says how to sign in.
      this.rows = [];
      return [];
    }
    if (this.feed === undefined) {
      this.loading ??= this.load(this.abort.signal);
      try {
        await this.loading;
      } catch (e) {
        if (CancellationError.is(e)) {
          return this.rows;
        }
        this.loading = undefined;
        this.rows = [
          {
            kind: 'message',
            id: 'error',
            label: 'The runs could not be read.',
            detail: describeError(e)?.message ?? (e instanceof Error ? e.message : String(e)),
            error: true,
          },
        ];
        return this.rows;
      }
    }
    this.rows = this.buildRows();
    return this.rows;
  }

  dispose(): void {
    this.userIds.dispose();
    this.unfollow();
    this.abort.abort(new CancellationError());
    if (this.rerenderTimer !== undefined) {
      clearTimeout(this.rerenderTimer);
    }
    for (const d of this.disposables.splice(0)) {
      d.dispose();
    }
  }

  private async load(signal: AbortSignal): Promise<void> {
    const all = await this.deps.accounts.allEnvironments(signal);
    const wanted = this.filterState.environments?.map(orgKey);
    const chosen = all.filter(
      ({ environment }) => wanted === undefined || wanted.includes(orgKey(environment.orgUrl)),
    );
    this.environmentNames = new Map(
      all.map(({ environment }) => [orgKey(environment.orgUrl), environment.displayName]),
    );
    const sources: RunsFeedSource[] = chosen.map(({ account, environment }) => {
      this.deps.runAccounts.remember(environment.orgUrl, account);
      const ref: EnvironmentRef = {
        id: environment.id,
        orgUrl: environment.orgUrl,
        displayName: environment.displayName,
      };
      return {
        environment: ref,
        backend: this.deps.runAccounts.backendFor(ref),
        userId: (s) =>
          this.userId(environment.orgUrl, (sig) => account.session.runs.whoAmI(environment.orgUrl, sig), s),
      };
    });
    const feed = new RunsFeed(sources, this.filterState, this.deps.pageSize());
    await feed.load(signal);
    if (signal.aborted) {
      throw new CancellationError();
    }
    for (const state of feed.environments) {
      if (state.error !== undefined) {
        this.deps.log.warn(
          `[runs] runs of ${state.environment.displayName ?? state.environment.orgUrl} could not be read: ${errorText(state.error)}`,
        );
      }
    }
    this.feed = feed;
    this.showFilter();
    this.follow();
  }

  /**
   * Keeps the rows of runs started elsewhere that are queued or running up to date while the view is
   * visible: through the feed and the runs core's batched status poll, not per row. This window's own runs
   * are left out: the run store has them live.
   */
  private follow(): void {
    this.unfollow();
    const feed = this.feed;
    if (feed === undefined || !this.view.visible) {
      return;
    }
    const ids: string[] = [];
    this.following = feed.follow(
      (subject, onRow) => {
        ids.push(subject.runId);
        return this.deps.observe(subject, onRow);
      },
      () => this.scheduleRerender(),
      (environment, runId) => this.deps.store.get(storeKey(environment.orgUrl, runId)) !== undefined,
    );
    this.followedIds = ids;
  }

  private unfollow(): void {
    this.following?.dispose();
    this.following = undefined;
    this.followedIds = [];
  }

  private userId(
    orgUrl: string,
    ask: (signal: AbortSignal) => Promise<{ userId: string | undefined }>,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    return this.userIds.get(orgKey(orgUrl), (shared) => ask(shared).then((a) => a.userId), signal);
  }

  private environmentName(orgUrl: string): string {
    return this.environmentNames.get(orgKey(orgUrl)) ?? orgUrl;
  }

  private buildRows(): RunsViewRow[] {
    const feed = this.feed;
    if (feed === undefined) {
      return [];
    }
    const merged = feed.merged();
    const rows: RunsViewRow[] = [];
    const seen = new Set<string>();
    // Runs this window started since the pages were read (the pages do not have them): on top, newest first.
    const fromStore = this.deps.store
      .all()
      .filter(
        (r): r is StoreRun & { runId: string } =>
          r.runId !== undefined &&
          this.startedSinceLoad.has(r.key) &&
          storeRunPasses(r, this.filterState, orgKey),
      )
      .reverse();
    const onPages = new Set(merged.runs.map((r) => storeKey(r.environment.orgUrl, r.run.id)));
    for (const live of fromStore) {
      if (!onPages.has(live.key)) {
        seen.add(live.key);
        rows.push({
          kind: 'run',
          key: live.key,
          subject: {
            environment: live.environment,
            flowId: live.flowId,
            runId: live.runId,
            ...(live.flowName === undefined ? {} : { flowName: live.flowName }),
          },
          page: undefined,
          environmentName: live.environment.displayName ?? this.environmentName(live.environment.orgUrl),
        });
      }
    }
    for (const entry of merged.runs) {
      const key = storeKey(entry.environment.orgUrl, entry.run.id);
      if (seen.has(key)) {
        continue;
      }
      seen.add(key);
      const live = this.deps.store.get(key);
      rows.push({
        kind: 'run',
        key,
        subject: {
          environment: entry.environment,
          flowId: entry.run.flowId ?? live?.flowId ?? '',
          runId: entry.run.id,
          ...((entry.run.flowName ?? live?.flowName) === undefined
            ? {}
            : { flowName: entry.run.flowName ?? live?.flowName }),
        },
        page: entry,
        environmentName: entry.environment.displayName ?? this.environmentName(entry.environment.orgUrl),
      });
    }
    for (const state of feed.environments) {
      if (state.error !== undefined) {
        const name = state.environment.displayName ?? state.environment.orgUrl;
        rows.push({
          kind: 'message',
          id: `error/${orgKey(state.environment.orgUrl)}`,
          label: `The runs of ${name} could not be read.`,
          detail: describeError(state.error)?.message ?? errorText(state.error),
          error: true,
        });
      }
    }
    if (rows.length === 0) {
      rows.push({
        kind: 'message',
        id: 'empty',
        label: isFiltered(this.filterState) ? 'No run matches the filter.' : 'No runs yet.',
        detail: isFiltered(this.filterState)
          ? 'Clear the filter to see every run.'
          : 'Run a desktop flow to see it here.',
      });
    }
    if (merged.hasMore) {
      rows.push({ kind: 'more' });
    }
    return rows;
  }

  private showFilter(): void {
    const name = (o: string): string => this.environmentName(o);
    this.view.description = filterDescription(this.filterState, name);
    this.view.message = filterMessage(this.filterState, name);
    void setContext('desktopFlows.runs.mine', this.filterState.mine);
    void setContext('desktopFlows.runs.filtered', isFiltered(this.filterState));
  }

  private scheduleRerender(): void {
    if (this.rerenderTimer !== undefined) {
      return;
    }
    this.rerenderTimer = setTimeout(() => {
      this.rerenderTimer = undefined;
      if (this.feed !== undefined) {
        this.changed.fire(undefined);
      }
    }, 250);
  }
}
