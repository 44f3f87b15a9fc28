import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { CancellationError } from '../../core/errors';
import { describeError } from '../errorMessages';
import type { ExplorerNode } from './explorerNode';
import { MessageNode } from './messageNode';

/** A load of a node's children in flight. */
interface Load {
  readonly controller: AbortController;
  /** Set when the node itself was refreshed: the aborted load answers with a fresh one. */
  reload: boolean;
  promise: Promise<ExplorerNode[]>;
}

/**
 * The Desktop Flows tree. Delegates to nodes, owns cancellation (getChildren has no token): refreshing a
 * node aborts every load in flight below it. A failing load becomes an error row, never a thrown error.
 */
export class ExplorerTreeProvider implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly inFlight = new Map<string, Load>();
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
    const load: Load = { controller: new AbortController(), reload: false, promise: Promise.resolve([]) };
    load.promise = this.load(node, key, load).finally(() => {
      if (this.inFlight.get(key) === load) {
        this.inFlight.delete(key);
      }
    });
    this.inFlight.set(key, load);
    return load.promise;
  }

  /**
   * One load. A load aborted because its own node was refreshed never answers with its own (partial or
   * empty) result: whoever waited for it gets the children from a fresh load. The view keeps what it was
   * given even when the refresh event arrives meanwhile, so an empty answer here would stick.
   */
  private async load(node: ExplorerNode | undefined, key: string, load: Load): Promise<ExplorerNode[]> {
    const signal = load.controller.signal;
    try {
      const children = node?.getChildren ? await node.getChildren(signal) : await this.roots(signal);
      return signal.aborted ? await this.superseded(node, load) : children;
    } catch (e) {
      if (signal.aborted) {
        return this.superseded(node, load);
      }
      if (CancellationError.is(e)) {
        // Cancelled from inside (a timeout), not by a refresh: say so instead of showing nothing.
        this.log.warn(`[tree] loading ${key || 'roots'} was cancelled`);
        return [new MessageNode(node, `${key}/error`, 'error', 'Loading was cancelled.', undefined, node)];
      }
      const description = describeError(e);
      this.log.error(`[tree] loading ${key || 'roots'} failed: ${description?.message ?? String(e)}`);
      return [
        new MessageNode(
          node,
          `${key}/error`,
          'error',
          description?.message ?? 'Loading failed.',
          undefined,
          node,
        ),
      ];
    }
  }

  /**
   * The answer of an aborted load: the children from the load that replaces it when its node itself was
   * refreshed. A load below a refreshed node answers nothing: its node is being replaced, and the view asks
   * the replacement's children afresh.
   */
  private superseded(node: ExplorerNode | undefined, load: Load): Promise<ExplorerNode[]> {
    return load.reload && !this.disposed ? this.getChildren(node) : Promise.resolve([]);
  }

  /** Reload a node's children (or the whole tree), aborting loads in flight below it. */
  refresh(node?: ExplorerNode): void {
    if (this.disposed) {
      return;
    }
    const prefix = node?.id;
    for (const [key, load] of this.inFlight) {
      if (prefix === undefined || key === prefix || key.startsWith(`${prefix}/`)) {
        load.reload = key === (prefix ?? '');
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
