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
    const aborted: Load[] = [];
    for (const [key, load] of this.inFlight) {
      if (prefix === undefined || key === prefix || key.startsWith(`${prefix}/`)) {
        load.reload = key === (prefix ?? '');
        load.controller.abort();
        this.inFlight.delete(key);
        aborted.push(load);
      }
    }
    node?.reset?.();
    this.fireWhenAnswered(node, aborted);
  }

  /** Re-render a node without reloading (e.g. after "Load more" appended a page). */
  rerender(node: ExplorerNode | undefined): void {
    if (this.disposed) {
      return;
    }
    const prefix = node?.id;
    const pending =
      prefix === undefined
        ? []
        : [...this.inFlight].filter(([k]) => k === prefix || k.startsWith(`${prefix}/`)).map(([, l]) => l);
    this.fireWhenAnswered(node, pending);
  }

  /**
   * Tells the view that a node changed, once the loads of it and below it that were in flight have answered.
   * VS Code replaces a changed node at once, even while it is still fetching that node's children; the
   * children then land on the replaced node, and the fetch that follows fails with "Element with id … is
   * already registered", leaving the node expanded and empty (the "Input files" and "Recent runs" groups of a
   * flow expanded while the index finishes or a run starts). The waiting fetch gets the fresh children as
   * its answer (`superseded`); the event then makes the view read the node again. The whole tree is safe to
   * change at once: VS Code cancels every fetch in flight when the roots change.
   */
  private fireWhenAnswered(node: ExplorerNode | undefined, pending: readonly Load[]): void {
    if (node === undefined || pending.length === 0) {
      this.changed.fire(node);
      return;
    }
    void Promise.allSettled(pending.map((l) => l.promise)).then(() => {
      if (!this.disposed) {
        this.changed.fire(node);
      }
    });
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
