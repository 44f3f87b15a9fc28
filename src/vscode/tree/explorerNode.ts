import type * as vscode from 'vscode';

/**
 * A node of the Desktop Flows explorer. Nodes own their presentation; the provider only delegates.
 * `id` is stable across refreshes (built from the parent's id), so expansion state and `reveal` survive.
 */
export interface ExplorerNode {
  readonly id: string;
  readonly parent: ExplorerNode | undefined;
  getTreeItem(): vscode.TreeItem;
  /** Children, loaded with the signal the provider owns (aborted on refresh). Never throws. */
  getChildren?(signal: AbortSignal): Promise<ExplorerNode[]>;
  /** Forget cached children so the next expansion loads them again. */
  reset?(): void;
  /** Paged lists: load the next page and re-render ("Load more"). */
  loadMore?(signal: AbortSignal): Promise<void>;
}
