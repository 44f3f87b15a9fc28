import * as vscode from 'vscode';
import { commandIds } from '../commandIds';
import type { ExplorerNode } from './explorerNode';

export type MessageKind = 'error' | 'empty' | 'info' | 'loadMore';

/**
 * A row that is not a resource: an error (with Retry and Show Log), an empty state that says what to do,
 * or "Load more". Failures in the tree always become one of these, never a broken or spinning view.
 */
export class MessageNode implements ExplorerNode {
  constructor(
    readonly parent: ExplorerNode | undefined,
    readonly id: string,
    readonly kind: MessageKind,
    readonly label: string,
    readonly detail?: string,
    /** For `error` rows: the node whose children failed to load (Retry refreshes it). */
    readonly retryTarget?: ExplorerNode,
  ) {}

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    switch (this.kind) {
      case 'error':
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.contextValue = 'message error';
        item.tooltip = new vscode.MarkdownString(
          `$(error) ${this.label}${this.detail ? `\n\n${this.detail}` : ''}\n\nUse Retry, or Show Log for details.`,
          true,
        );
        item.description = 'Retry';
        item.command = { command: commandIds.retry, title: 'Retry', arguments: [this] };
        break;
      case 'empty':
        item.iconPath = new vscode.ThemeIcon('info');
        item.contextValue = 'message empty';
        item.tooltip = this.detail ?? this.label;
        item.description = this.detail;
        break;
      case 'info':
        item.iconPath = new vscode.ThemeIcon('info');
        item.contextValue = 'message info';
        item.description = this.detail;
        break;
      case 'loadMore':
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.contextValue = 'message loadMore';
        item.description = this.detail;
        item.command = { command: commandIds.loadMore, title: 'Load More', arguments: [this] };
        break;
    }
    return item;
  }
}
