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
  private readonly inFlight = new Map<string, { controller: AbortController; promise: Promise<ExplorerNode[]> }>();
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

  /**
   * Loads a node's children. Concurrent requests for the same node (the view and a command, say) share one
   * load; `refresh` aborts it, and the view asks again.
   */
  getChildren(node?: ExplorerNode): Promise<ExplorerNode[]> {
    if (node && !node.getChildren) {
      return Promise.resolve([]);
    }
    const key = node?.id ?? '';
    const running = this.inFlight.get(key);
    if (running) {
      return running.promise;
    }
    const controller = new AbortController();
    const promise = this.load(node, key, controller).finally(() => {
      if (this.inFlight.get(key)?.controller === controller) {
        this.inFlight.delete(key);
      }
    });
    this.inFlight.set(key, { controller, promise });
    return promise;
  }

  private async load(node: ExplorerNode | undefined, key: string, controller: AbortController): Promise<ExplorerNode[]> {
    try {
      return node?.getChildren ? await node.getChildren(controller.signal) : await this.roots(controller.signal);
    } catch (e) {
      if (CancellationError.is(e) || controller.signal.aborted) {
        return [];
      }
      const description = describeError(e);
      this.log.error(`[tree] loading ${key || 'roots'} failed: ${description?.message ?? String(e)}`);
      return [new MessageNode(node, `${key}/error`, 'error', description?.message ?? 'Loading failed.', undefined, node)];
    }
  }

  /** Reload a node's children (or the whole tree), aborting loads in flight below it. */
  refresh(node?: ExplorerNode): void {
    if (this.disposed) {
      return;
    }
    const prefix = node?.id;
    for (const [key, load] of this.inFlight) {
      if (prefix === undefined || key === prefix || key.startsWith(`${prefix}/`)) {
        load.controller.abort();
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
    for (const load of this.inFlight.values()) {
      load.controller.abort();
    }
    this.inFlight.clear();
    this.changed.dispose();
  }
}
