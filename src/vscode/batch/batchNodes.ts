/**
 * Batch rows in the Desktop Flows view: under each flow, one row per batch of this window that runs that
 * flow, with live counts; its children are the batch's items of that flow. An item row opens its run's
 * details; a failed row shows its error and remedy.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { SignedInAccount } from '../accounts/signedInAccount';
import { commandIds } from '../commandIds';
import type { ExplorerNode } from '../tree/explorerNode';
import type { FlowChildContributor } from '../tree/treeContext';
import type { BatchController, BatchItemView, BatchView } from './batchController';
import { batchSummaryText } from './batchStatusBar';

function sameId(a: string | undefined, b: string): boolean {
  return a?.toLowerCase() === b.toLowerCase();
}

const itemIcons: Record<string, [string, string?]> = {
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'errorForeground'],
  rejected: ['error', 'errorForeground'],
  invalid: ['warning', 'problemsWarningIcon.foreground'],
  cancelled: ['circle-slash'],
  skipped: ['debug-step-over'],
  unknown: ['question'],
  queued: ['clock'],
  running: ['sync~spin'],
  pending: ['circle-outline'],
};

/** One item of a batch. */
export class BatchItemNode implements ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: BatchNode,
    readonly batch: BatchView,
    readonly item: BatchItemView,
    private readonly controller: BatchController,
  ) {
    this.id = `${parent.id}/${item.file}`;
  }

  get subject(): ReturnType<BatchController['subjectOf']> {
    return this.controller.subjectOf(this.batch, this.item);
  }

  getTreeItem(): vscode.TreeItem {
    const { item } = this;
    const tree = new vscode.TreeItem(path.relative(this.batch.folder, item.file) || path.basename(item.file));
    tree.id = this.id;
    const [icon, color] = itemIcons[item.status] ?? ['circle-outline'];
    tree.iconPath = new vscode.ThemeIcon(
      icon,
      color === undefined ? undefined : new vscode.ThemeColor(color),
    );
    const error =
      item.error === undefined
        ? undefined
        : `${item.error.code === undefined ? '' : `${item.error.code}: `}${item.error.message}`;
    tree.description = error === undefined ? item.status : `${item.status} — ${error}`;
    const md = new vscode.MarkdownString(`**${path.basename(item.file)}** — ${item.status}`);
    if (item.runId !== undefined) {
      md.appendMarkdown(
        `\n\nRun ${item.runId}${item.connection === undefined ? '' : ` on ${item.connection}`}`,
      );
    }
    if (error !== undefined) {
      md.appendMarkdown(`\n\n$(error) ${error}`);
    }
    if (item.error?.remedy !== undefined) {
      md.appendMarkdown(`\n\n**How to fix:** ${item.error.remedy}`);
    }
    md.supportThemeIcons = true;
    tree.tooltip = md;
    const failed = ['failed', 'rejected', 'unknown', 'invalid'].includes(item.status);
    tree.contextValue = `batchItem${failed ? ' failed' : ''}`;
    const subject = this.subject;
    tree.command =
      subject !== undefined
        ? { command: commandIds.showRunDetails, title: 'Show Run Details', arguments: [subject] }
        : { command: 'vscode.open', title: 'Open Input File', arguments: [vscode.Uri.file(item.file)] };
    return tree;
  }
}

/** A batch, under one of its flows. */
export class BatchNode implements ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: ExplorerNode,
    readonly batch: BatchView,
    readonly flowId: string,
    private readonly controller: BatchController,
  ) {
    this.id = `${parent.id}/batch:${batch.id}`;
  }

  items(): BatchItemView[] {
    return [...this.batch.items.values()]
      .filter((i) => sameId(i.flowId, this.flowId))
      .sort((a, b) => (a.file < b.file ? -1 : 1));
  }

  getTreeItem(): vscode.TreeItem {
    const tree = new vscode.TreeItem(`Batch ${this.batch.label}`, vscode.TreeItemCollapsibleState.Collapsed);
    tree.id = this.id;
    tree.description = batchSummaryText(this.batch);
    tree.iconPath = new vscode.ThemeIcon(
      this.batch.state === 'running' || this.batch.state === 'checking' ? 'loading~spin' : 'layers',
    );
    tree.tooltip = `${this.batch.folder}\n${tree.description}\nJournal: ${this.batch.journalFile}`;
    const active = this.batch.state === 'running' || this.batch.state === 'checking';
    tree.contextValue = `batch${active ? ' active' : ''}`;
    return tree;
  }

  getChildren(): Promise<ExplorerNode[]> {
    return Promise.resolve(this.items().map((i) => new BatchItemNode(this, this.batch, i, this.controller)));
  }
}

/** Adds the batch rows under their flows, and re-renders them as the batch moves. */
export class BatchRowsContributor implements FlowChildContributor, vscode.Disposable {
  private readonly shown = new Map<string, BatchNode>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly controller: BatchController,
    tree: { rerender(node: ExplorerNode | undefined): void },
  ) {
    let pending: NodeJS.Timeout | undefined;
    let all = false;
    const dirty = new Set<BatchView>();
    this.subscription = controller.onDidChange((batch) => {
      // A batch added, removed or newly checked changes which flows show it: re-render from the roots.
      // Otherwise only its rows, at most four times a second however fast items move.
      if (batch === undefined) {
        all = true;
      } else {
        dirty.add(batch);
      }
      pending ??= setTimeout(() => {
        pending = undefined;
        if (all) {
          all = false;
          dirty.clear();
          tree.rerender(undefined);
          return;
        }
        for (const n of this.shown.values()) {
          if (dirty.has(n.batch)) {
            tree.rerender(n);
          }
        }
        dirty.clear();
      }, 250);
    });
  }

  children(
    flowNode: ExplorerNode,
    flow: { flowId: string; orgUrl: string },
    account: SignedInAccount,
  ): ExplorerNode[] {
    void account;
    const out: ExplorerNode[] = [];
    for (const batch of this.controller.batches.values()) {
      if (batch.environment.orgUrl.toLowerCase() !== flow.orgUrl.toLowerCase()) {
        continue;
      }
      if (![...batch.items.values()].some((i) => sameId(i.flowId, flow.flowId))) {
        continue;
      }
      const node = new BatchNode(flowNode, batch, flow.flowId, this.controller);
      this.shown.set(node.id, node);
      out.push(node);
    }
    return out;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
