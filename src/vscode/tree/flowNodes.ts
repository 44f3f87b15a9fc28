import * as vscode from 'vscode';
import type { Environment } from '../../core/model/environment';
import type { DesktopFlow } from '../../core/model/flow';
import type { FlowSchemas, RawFlowSchema } from '../../core/model/flowSchema';
import type { SignedInAccount } from '../accounts/signedInAccount';
import type { ExplorerNode } from './explorerNode';
import { MessageNode } from './messageNode';
import type { TreeContext } from './treeContext';
import { factsTooltip, formatWhen } from './treeFormat';
import { variablesOf, type FlowVariable } from './flowVariables';

/** "Desktop flows" under an environment: paged ("Load more"), filtered by name, drafts on request. */
export class FlowsGroupNode implements ExplorerNode {
  readonly id: string;
  private flows: FlowNode[] = [];
  private nextLink: string | undefined;
  private loaded = false;

  constructor(
    readonly parent: ExplorerNode,
    readonly account: SignedInAccount,
    readonly environment: Environment,
    private readonly ctx: TreeContext,
  ) {
    this.id = `${parent.id}/flows`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Desktop flows', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('symbol-event');
    const filter = this.ctx.view.flowFilter;
    item.description = [
      filter ? `filter: "${filter}"` : undefined,
      this.ctx.view.showDrafts ? 'with drafts' : undefined,
      this.loaded ? `${this.flows.length}${this.nextLink ? '+' : ''}` : undefined,
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = 'flowsGroup refreshable';
    return item;
  }

  async getChildren(signal: AbortSignal): Promise<ExplorerNode[]> {
    if (!this.loaded) {
      await this.loadPage(undefined, signal);
    }
    return this.rows();
  }

  /** Loads the next page and re-renders this node ("Load more"). */
  async loadMore(signal: AbortSignal): Promise<void> {
    if (this.nextLink === undefined) {
      return;
    }
    await this.loadPage(this.nextLink, signal);
    this.ctx.rerender(this);
  }

  /** Every loaded flow (for pickers and tests). */
  get loadedFlows(): readonly FlowNode[] {
    return this.flows;
  }

  get hasMore(): boolean {
    return this.nextLink !== undefined;
  }

  reset(): void {
    this.flows = [];
    this.nextLink = undefined;
    this.loaded = false;
  }

  private async loadPage(nextLink: string | undefined, signal: AbortSignal): Promise<void> {
    const page = await this.account.session.flows.listPage(
      this.environment.orgUrl,
      {
        includeDrafts: this.ctx.view.showDrafts,
        pageSize: this.ctx.view.pageSize,
        ...(this.ctx.view.flowFilter ? { nameContains: this.ctx.view.flowFilter } : {}),
        ...(nextLink ? { nextLink } : {}),
      },
      signal,
    );
    const known = new Set(this.flows.map((f) => f.id));
    for (const flow of page.items) {
      const node = new FlowNode(this, this.account, this.environment, flow, this.ctx);
      if (!known.has(node.id)) {
        this.flows.push(node);
      }
    }
    this.nextLink = page.nextLink;
    this.loaded = true;
    this.ctx.log.debug(
      `[tree] ${this.environment.displayName}: ${this.flows.length} flows loaded${this.nextLink ? ', more available' : ''}`,
    );
  }

  private rows(): ExplorerNode[] {
    if (this.flows.length === 0) {
      const filter = this.ctx.view.flowFilter;
      return [
        new MessageNode(
          this,
          `${this.id}/empty`,
          'empty',
          filter ? `No desktop flows match "${filter}"` : 'No desktop flows in this environment',
          filter
            ? 'Clear the filter to see every flow.'
            : this.ctx.view.showDrafts
              ? 'Create one in Power Automate for desktop.'
              : 'Drafts are hidden: use "Show Draft Flows" to include them.',
        ),
      ];
    }
    const rows: ExplorerNode[] = [...this.flows];
    if (this.nextLink !== undefined) {
      rows.push(
        new MessageNode(
          this,
          `${this.id}/more`,
          'loadMore',
          'Load more…',
          `${this.flows.length} loaded`,
          this,
        ),
      );
    }
    return rows;
  }
}

/** A desktop flow: Inputs, Outputs, then what later features add (input files, recent runs). */
export class FlowNode implements ExplorerNode {
  readonly id: string;
  private schemas: FlowSchemas | undefined;
  /** Refreshed since the schemas were last read: read them again, not from the cache. */
  private refreshed = false;

  constructor(
    readonly parent: ExplorerNode,
    readonly account: SignedInAccount,
    readonly environment: Environment,
    readonly flow: DesktopFlow,
    private readonly ctx: TreeContext,
  ) {
    this.id = `${parent.id}/${flow.id}`;
  }

  getTreeItem(): vscode.TreeItem {
    const f = this.flow;
    const item = new vscode.TreeItem(f.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const draft = f.isUnpublished || f.state === 'draft';
    item.iconPath = new vscode.ThemeIcon(
      draft ? 'edit' : f.state === 'suspended' ? 'debug-pause' : 'play-circle',
    );
    item.description = [draft ? 'draft' : undefined, f.state === 'suspended' ? 'suspended' : undefined]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = `flow hasId portal refreshable${draft ? ' draft' : ''}`;
    item.tooltip = factsTooltip(
      f.name,
      [
        ['Id', f.id],
        ['State', draft ? 'Draft' : f.state === 'activated' ? 'Published' : f.state],
        ['Modified', formatWhen(f.modifiedOn)],
        ['Created', formatWhen(f.createdOn)],
        ['Owner', f.ownerName ?? f.ownerId],
        ['Managed', f.isManaged ? 'Yes (solution)' : undefined],
      ],
      f.description ? f.description : undefined,
    );
    return item;
  }

  async getChildren(signal: AbortSignal): Promise<ExplorerNode[]> {
    // Contributors loaded on first use (extension.ts) load here, on the first expand of a flow: first, so
    // that the schemas below are read through the window's one schema cache the features bring.
    for (const c of [...this.ctx.flowChildren]) {
      if (c.prepare !== undefined) {
        await c.prepare();
      }
    }
    this.schemas ??= await this.ctx.flowSchemas(
      this.account,
      this.environment,
      this.flow,
      signal,
      this.refreshed,
    );
    this.refreshed = false;
    const ref = {
      environmentId: this.environment.id,
      orgUrl: this.environment.orgUrl,
      flowId: this.flow.id,
      flowName: this.flow.name,
    };
    return [
      new VariablesGroupNode(this, 'inputs', this.schemas.inputs),
      new VariablesGroupNode(this, 'outputs', this.schemas.outputs),
      ...this.ctx.flowChildren.flatMap((c) => c.children(this, ref, this.account)),
    ];
  }

  /** The schemas, once the flow was expanded. */
  get loadedSchemas(): FlowSchemas | undefined {
    return this.schemas;
  }

  portalUrl(): string {
    return this.account.session.flowPortalUrl(this.environment.id, this.flow.id);
  }

  reset(): void {
    this.schemas = undefined;
    this.refreshed = true;
  }
}

/** "Inputs" or "Outputs" of a flow. */
export class VariablesGroupNode implements ExplorerNode {
  readonly id: string;
  private readonly variables: FlowVariable[];

  constructor(
    readonly parent: FlowNode,
    readonly kind: 'inputs' | 'outputs',
    schema: RawFlowSchema | undefined,
  ) {
    this.id = `${parent.id}/${kind}`;
    this.variables = variablesOf(schema, kind);
  }

  getTreeItem(): vscode.TreeItem {
    const label = this.kind === 'inputs' ? 'Inputs' : 'Outputs';
    const item = new vscode.TreeItem(
      label,
      this.variables.length > 0
        ? vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.None,
    );
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(this.kind === 'inputs' ? 'arrow-circle-right' : 'arrow-circle-left');
    item.description = this.variables.length === 0 ? 'none' : String(this.variables.length);
    item.contextValue = `variables ${this.kind}`;
    return item;
  }

  getChildren(): Promise<ExplorerNode[]> {
    return Promise.resolve(this.variables.map((v) => new VariableNode(this, v)));
  }
}

const typeIcons: Record<FlowVariable['typeLabel'], string> = {
  Text: 'symbol-string',
  Number: 'symbol-number',
  Boolean: 'symbol-boolean',
  'Custom object': 'symbol-object',
  List: 'symbol-array',
  Datatable: 'table',
  Unknown: 'symbol-variable',
};

/** One input or output variable: name, type, description; sensitive and optional marked. */
export class VariableNode implements ExplorerNode {
  readonly id: string;

  constructor(
    readonly parent: VariablesGroupNode,
    readonly variable: FlowVariable,
  ) {
    this.id = `${parent.id}/${variable.name}`;
  }

  getTreeItem(): vscode.TreeItem {
    const v = this.variable;
    const item = new vscode.TreeItem(v.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(v.sensitive ? 'lock' : typeIcons[v.typeLabel]);
    item.description = [
      v.typeLabel,
      v.sensitive ? 'sensitive' : undefined,
      v.optional ? 'optional' : undefined,
      v.description,
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = `variable${v.sensitive ? ' sensitive' : ''}${v.optional ? ' optional' : ''}`;
    item.tooltip = factsTooltip(v.name, [
      ['Type', v.typeLabel],
      ['Description', v.description],
      ['Default', v.sensitive ? (v.defaultValue === undefined ? undefined : '••••••••') : v.defaultValue],
      ['Sensitive', v.sensitive ? 'Yes: masked in logs and transcripts' : undefined],
      [
        'Optional',
        v.optional ? 'Yes: may be left out' : this.parent.kind === 'inputs' ? 'No: required' : undefined,
      ],
    ]);
    return item;
  }
}
