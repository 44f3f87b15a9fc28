import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { CancellationError } from '../../core/errors';
import { describeError } from '../errorMessages';
import type { ExplorerNode } from './explorerNode';
import { MessageNode } from './messageNode';

/**
 * The Desktop Flows tree. Delegates to nodes, owns cancellation (getChildren has no token): refreshing a
 * node aborts every load in flight below it. A failing load becomes an error row, never a thrown error.
 */
export class ExplorerTreeProvider implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly inFlight = new Map<string, AbortController>();
  private disposed = false;

  constructor(
    private readonly roots: (signal: AbortSignal) => Promise<ExplorerNode[]>,
    private readonly log: Logger,
  ) {}

  getTreeItem(node: ExplorerNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  getParent(node: ExplorerNode): ExplorerNode | undefined {
    return node.parent;
  }

  async getChildren(node?: ExplorerNode): Promise<ExplorerNode[]> {
    if (node && !node.getChildren) {
      return [];
    }
    const key = node?.id ?? '';
    this.inFlight.get(key)?.abort();
    const controller = new AbortController();
    this.inFlight.set(key, controller);
    try {
      return node?.getChildren ? await node.getChildren(controller.signal) : await this.roots(controller.signal);
    } catch (e) {
      if (CancellationError.is(e) || controller.signal.aborted) {
        return [];
      }
      const description = describeError(e);
      this.log.error(`[tree] loading ${key || 'roots'} failed: ${description?.message ?? String(e)}`);
      return [new MessageNode(node, `${key}/error`, 'error', description?.message ?? 'Loading failed.', undefined, node)];
    } finally {
      if (this.inFlight.get(key) === controller) {
        this.inFlight.delete(key);
      }
    }
  }

  /** Reload a node's children (or the whole tree), aborting loads in flight below it. */
  refresh(node?: ExplorerNode): void {
    if (this.disposed) {
      return;
    }
    const prefix = node?.id;
    for (const [key, controller] of this.inFlight) {
      if (prefix === undefined || key === prefix || key.startsWith(`${prefix}/`)) {
        controller.abort();
        this.inFlight.delete(key);
      }
    }
    node?.reset?.();
    this.changed.fire(node);
  }

  /** Re-render a node without reloading (e.g. after "Load more" appended a page). */
  rerender(node: ExplorerNode | undefined): void {
    this.changed.fire(node);
  }

  dispose(): void {
    this.disposed = true;
    for (const controller of this.inFlight.values()) {
      controller.abort();
    }
    this.inFlight.clear();
    this.changed.dispose();
  }
}
