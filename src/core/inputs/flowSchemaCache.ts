/**
 * The one cache of flows' input and output schemas, for every front end. A load is shared by everyone
 * who asks for the same flow while it is in flight, and it runs under the cache's own lifetime (plus a
 * time limit), never under the first caller's `AbortSignal`: a caller that aborts only stops waiting,
 * and the other waiters still get the schemas. A failed load is not kept.
 */
import type { FlowSchemas } from '../model/flowSchema';
import { raceAbort, throwIfAborted } from '../util/abort';
import { flowKey } from '../runs/runKeys';
import { parseDesktopFlowSchema, type DesktopFlowSchema, type ParsedFlowSchema } from './desktopFlowSchema';

/** A flow's schemas, parsed. */
export interface CachedFlowSchemas {
  /** As the service stores them (the tree lists variables from these). */
  readonly raw: FlowSchemas;
  readonly inputs: ParsedFlowSchema;
  readonly outputs: ParsedFlowSchema;
  /** When the load that produced them started (epoch ms). */
  readonly loadedAt: number;
}

/** Reads a flow's raw schemas (e.g. `session.flows.getSchemas`). */
export type FlowSchemaLoader = (
  orgUrl: string,
  flowId: string,
  signal: AbortSignal,
  options: { readonly includeDrafts: boolean },
) => Promise<FlowSchemas>;

/** Options of `FlowSchemaCache`. */
export interface FlowSchemaCacheOptions {
  /** Longest a shared load may take before it fails for every waiter (default 120 s). */
  readonly loadTimeoutMs?: number;
  /** Flows kept (default 200; the oldest goes first). */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/** What a caller wants from the cache. */
export interface FlowSchemaRequest {
  readonly orgUrl: string;
  readonly flowId: string;
  /** Read the unpublished (draft) layer too (a flow that was never published). */
  readonly includeDrafts?: boolean;
  /**
   * Do not accept schemas loaded before this moment (epoch ms); a load in flight that started at or after
   * it is joined. `prepareRun` asks for fresh schemas: a run is validated against the flow as it is now.
   */
  readonly notBefore?: number;
}

interface Entry {
  readonly startedAt: number;
  readonly promise: Promise<CachedFlowSchemas>;
}

/** Caches flows' schemas per org and flow. Dispose it to abort every load in flight. */
export class FlowSchemaCache {
  private readonly entries = new Map<string, Entry>();
  private readonly lifetime = new AbortController();
  private readonly now: () => number;
  private readonly loadTimeoutMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly loader: FlowSchemaLoader,
    options: FlowSchemaCacheOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.loadTimeoutMs = options.loadTimeoutMs ?? 120_000;
    this.maxEntries = options.maxEntries ?? 200;
  }

  /** The flow's schemas; `signal` only stops this caller's wait. */
  async get(request: FlowSchemaRequest, signal: AbortSignal): Promise<CachedFlowSchemas> {
    throwIfAborted(signal);
    throwIfAborted(this.lifetime.signal);
    const key = flowKey(request.orgUrl, request.flowId);
    let entry = this.entries.get(key);
    if (entry === undefined || (request.notBefore !== undefined && entry.startedAt < request.notBefore)) {
      entry = this.load(key, request);
    }
    return raceAbort(entry.promise, signal);
  }

  /** The input schema alone. */
  async inputs(request: FlowSchemaRequest, signal: AbortSignal): Promise<DesktopFlowSchema> {
    return (await this.get(request, signal)).inputs.schema;
  }

  /** The schemas if they are cached and loaded, without asking the service. */
  peek(orgUrl: string, flowId: string): Promise<CachedFlowSchemas> | undefined {
    return this.entries.get(flowKey(orgUrl, flowId))?.promise;
  }

  /** Forget a flow (e.g. after it changed). */
  forget(orgUrl: string, flowId: string): void {
    this.entries.delete(flowKey(orgUrl, flowId));
  }

  /** Forget every flow of an org, or everything. */
  clear(orgUrl?: string): void {
    if (orgUrl === undefined) {
      this.entries.clear();
      return;
    }
    const prefix = flowKey(orgUrl, '').replace(/flow:$/, '');
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix)) {
        this.entries.delete(key);
      }
    }
  }

  /** Aborts every load in flight; later calls fail with `CancellationError`. */
  dispose(): void {
    this.lifetime.abort();
    this.entries.clear();
  }

  private load(key: string, request: FlowSchemaRequest): Entry {
    const startedAt = this.now();
    const signal = AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(this.loadTimeoutMs)]);
    const promise = this.loader(request.orgUrl, request.flowId, signal, {
      includeDrafts: request.includeDrafts ?? false,
    }).then((raw) => ({
      raw,
      inputs: parseDesktopFlowSchema(raw.inputs, 'inputs'),
      outputs: parseDesktopFlowSchema(raw.outputs, 'outputs'),
      loadedAt: startedAt,
    }));
    const entry: Entry = { startedAt, promise };
    this.entries.set(key, entry);
    promise.catch(() => {
      if (this.entries.get(key) === entry) {
        this.entries.delete(key);
      }
    });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) {
        this.entries.delete(oldest);
      }
    }
    return entry;
  }
}
