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
 * How long the view must stay quiet below a node (no load of it or below it starting) after loads there
 * answered, before the node's change is told: long enough for VS Code to ask for the rows of the nodes it
 * shows expanded under the ones just answered (an extension-host round trip; VS Code itself batches tree
 * changes over 200 ms). Only a change that waited for loads waits for this; nothing else is delayed.
 */
const settleMs = 250;

/** What the view shows of a node's own row, to tell whether a load changed it. */
function rowSummary(item: vscode.TreeItem): string {
  const text = (v: string | vscode.MarkdownString | vscode.TreeItemLabel | undefined): string | undefined =>
    v === undefined ? undefined : typeof v === 'string' ? v : 'value' in v ? v.value : v.label;
  return JSON.stringify([text(item.label), item.description, text(item.tooltip)]);
}

/**
 * The Desktop Flows tree. Delegates to nodes, owns cancellation (getChildren has no token): refreshing a
 * node aborts every load in flight below it. A failing load becomes an error row, never a thrown error.
 */
export class ExplorerTreeProvider implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly inFlight = new Map<string, Load>();
  /** Sequence number of the last load started, by node key (`''` for the roots). */
  private readonly started = new Map<string, number>();
  private loadSeq = 0;
  /**
   * Changes waiting for the loads below their node, by node key: every node object asked for (the view may
   * hold another object of the same id than a command that loaded one, and only its own is re-rendered).
   */
  private readonly waiting = new Map<string, Set<ExplorerNode>>();
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
    this.started.set(key, ++this.loadSeq);
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
    const before = node === undefined ? undefined : rowSummary(node.getTreeItem());
    try {
      const children = node?.getChildren ? await node.getChildren(signal) : await this.roots(signal);
      if (signal.aborted) {
        return await this.superseded(node, load);
      }
      // The node's own row changed with what it loaded (the counts in its description): it is shown again,
      // once the view is done loading below it. Nodes never re-render themselves from inside their load.
      if (node !== undefined && rowSummary(node.getTreeItem()) !== before) {
        this.fireWhenQuiet(node);
      }
      return children;
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

  /**
   * Re-render a node without reloading (e.g. after "Load more" appended a page). With no load in flight at
   * or below it, at once; otherwise once none is (`fireWhenQuiet`).
   */
  rerender(node: ExplorerNode | undefined): void {
    if (this.disposed) {
      return;
    }
    if (node === undefined) {
      this.changed.fire(undefined);
      return;
    }
    this.fireWhenQuiet(node);
  }

  private loadsBelow(key: string): Load[] {
    return [...this.inFlight].filter(([k]) => k === key || k.startsWith(`${key}/`)).map(([, l]) => l);
  }

  private startedBelowSince(key: string, seq: number): boolean {
    for (const [k, s] of this.started) {
      if (s > seq && (k === key || k.startsWith(`${key}/`))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Tells the view that a node changed once no load is in flight at or below it. VS Code replaces a changed
   * node at once, even while it is still fetching the rows of that node or of nodes below it; those rows then
   * land on replaced nodes, and the fetch that follows fails with "Element with id … is already registered",
   * leaving them expanded and empty (Machines re-rendered while its groups "Empty Pool" and "Finance Bots"
   * load, a flow's "Input files" and "Recent runs" while the index finishes or a run starts). So the change
   * is queued (one per node id) and waits for the loads below the
   * node; once they answered, the view asks for the rows of what it shows expanded under them, so the
   * change waits until no load below the node started for `settleMs`. A change with nothing in flight below
   * its node is told at once. Expands are never delayed: only the change event waits.
   */
  private fireWhenQuiet(node: ExplorerNode): void {
    const key = node.id;
    const queued = this.waiting.get(key);
    if (queued !== undefined) {
      queued.add(node);
      return;
    }
    this.waiting.set(key, new Set([node]));
    void this.quietBelow(key).then(() => {
      const nodes = this.waiting.get(key) ?? [];
      this.waiting.delete(key);
      for (const n of nodes) {
        if (!this.disposed) {
          this.changed.fire(n);
        }
      }
    });
  }

  private async quietBelow(key: string): Promise<void> {
    let waited = false;
    while (!this.disposed) {
      const pending = this.loadsBelow(key);
      if (pending.length > 0) {
        waited = true;
        await Promise.allSettled(pending.map((l) => l.promise));
        continue;
      }
      if (!waited) {
        return;
      }
      const seq = this.loadSeq;
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      if (!this.startedBelowSince(key, seq)) {
        return;
      }
    }
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
    this.waiting.clear();
    this.changed.dispose();
  }
}
