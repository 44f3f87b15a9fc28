import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import type { AccountService } from '../accounts/accountService';
import type { ConfigurationService } from '../configuration';
import { setContext } from '../contextKeys';
import { AccountNode, environmentNodes } from './accountNode';
import type { ExplorerNode } from './explorerNode';
import { ExplorerTreeProvider } from './explorerTreeProvider';
import type { ExplorerViewState, FlowChildContributor, FlowSchemaSource, TreeContext } from './treeContext';
import { DisposableBase } from '../disposableBase';

export const explorerViewId = 'desktopFlows.explorer';

/** workspaceState key of the Show/Hide Draft Flows toggle. */
const showDraftsKey = 'desktopFlows.explorer.showDrafts';

/**
 * The Desktop Flows view: roots are environments, or accounts when several are signed in. Owns the tree view,
 * the view state (filter, drafts) and the context keys the manifest's `when` clauses read.
 */
export class ExplorerView extends DisposableBase {
  readonly provider: ExplorerTreeProvider;
  readonly treeView: vscode.TreeView<ExplorerNode>;
  readonly state: ExplorerViewState;
  readonly flowChildren: FlowChildContributor[] = [];
  /**
   * Where flow nodes read their schemas: the session until the features load (they load on the first expand
   * of a flow, before its schemas are read), then the window's one schema cache (extensionFeatures.ts).
   */
  flowSchemas: FlowSchemaSource = (account, environment, flow, signal) =>
    account.session.flows.getSchemas(environment.orgUrl, flow.id, signal, {
      includeDrafts: flow.isUnpublished,
    });
  private readonly ctx: TreeContext;

  constructor(
    private readonly accounts: AccountService,
    private readonly log: Logger,
    private readonly config: ConfigurationService,
    /** Where view toggles live across reloads (the workspace's state); settings only give their defaults. */
    private readonly viewMemento?: vscode.Memento,
  ) {
    super();
    const current = config.current;
    this.state = {
      flowFilter: '',
      showDrafts: viewMemento?.get<boolean>(showDraftsKey) ?? current.showDrafts,
      pageSize: current.pageSize,
      defaultEnvironmentId: current.defaultEnvironment || undefined,
    };
    this.ctx = {
      log,
      view: this.state,
      rerender: (node) => this.provider.rerender(node),
      flowChildren: this.flowChildren,
      flowSchemas: (...args) => this.flowSchemas(...args),
    };
    this.provider = new ExplorerTreeProvider((signal) => this.roots(signal), log);
    this.treeView = vscode.window.createTreeView(explorerViewId, {
      treeDataProvider: this.provider,
      showCollapseAll: true,
    });
    this.register(
      this.treeView,
      this.provider,
      accounts.onDidChangeAccounts(() => {
        void setContext('desktopFlows.signedIn', accounts.accounts.length > 0);
        this.provider.refresh();
      }),
      config.onDidChange((e) => {
        if (e.affects('pageSize', 'showDrafts', 'defaultEnvironment')) {
          const c = config.current;
          // The drafts toggle is view state: only a change of its own setting overrides it, never
          // re-reading settings because another one changed (Select Environment writes one).
          const showDrafts = e.affects('showDrafts') ? c.showDrafts : this.state.showDrafts;
          const reload = c.pageSize !== this.state.pageSize || showDrafts !== this.state.showDrafts;
          this.state.pageSize = c.pageSize;
          this.state.defaultEnvironmentId = c.defaultEnvironment || undefined;
          if (showDrafts !== this.state.showDrafts) {
            this.state.showDrafts = showDrafts;
            void this.viewMemento?.update(showDraftsKey, showDrafts);
            void setContext('desktopFlows.showDrafts', showDrafts);
          }
          if (reload) {
            this.refreshFlowLists();
          } else {
            this.provider.rerender(undefined);
          }
        }
      }),
    );
    void setContext('desktopFlows.signedIn', accounts.accounts.length > 0);
    void setContext('desktopFlows.showDrafts', this.state.showDrafts);
    void setContext('desktopFlows.flowFilterActive', false);
  }

  private async roots(signal: AbortSignal): Promise<ExplorerNode[]> {
    const list = this.accounts.accounts;
    if (list.length === 0) {
      void setContext('desktopFlows.hasEnvironments', false);
      return [];
    }
    if (list.length > 1) {
      void setContext('desktopFlows.hasEnvironments', true);
      return list.map((a) => new AccountNode(a, this.accounts, this.ctx));
    }
    const [only] = list;
    if (!only) {
      return [];
    }
    const nodes = await environmentNodes(undefined, only, this.accounts, this.ctx, signal);
    void setContext('desktopFlows.hasEnvironments', nodes.length > 0);
    return nodes;
  }

  /** Refresh a node, or everything (forgetting cached environments). */
  refresh(node?: ExplorerNode): void {
    if (!node) {
      this.accounts.forget();
    }
    this.provider.refresh(node);
  }

  /** Sets the flow name filter (empty clears it) and reloads the flow lists. */
  async setFlowFilter(filter: string): Promise<void> {
    this.state.flowFilter = filter.trim();
    await setContext('desktopFlows.flowFilterActive', this.state.flowFilter !== '');
    this.treeView.description = this.state.flowFilter ? `filter: "${this.state.flowFilter}"` : undefined;
    this.refreshFlowLists();
  }

  async setShowDrafts(show: boolean): Promise<void> {
    this.state.showDrafts = show;
    await this.viewMemento?.update(showDraftsKey, show);
    await setContext('desktopFlows.showDrafts', show);
    this.refreshFlowLists();
  }

  /** Flow lists live under environments; the simplest correct reload is from the roots, keeping environments cached. */
  private refreshFlowLists(): void {
    this.provider.refresh(undefined);
  }
}
