/**
 * Runs a batch: starts every item exactly once, spread over the given connections, each connection within
 * the documented 70 starts per 60 seconds, and (with `wait`) follows every run to its end.
 *
 * Scheduling: one lane per connection. A lane first takes a slot of its connection's budget (our own
 * `SlidingWindowRateLimiter`, the same limiter class the run trigger uses; a slot is counted from the
 * moment its request finished), then takes the next item in path order, so items go round-robin over the
 * connections while each has budget, and a connection that must wait (its 70 are used, or the service
 * answered 429 with `Retry-After`) simply takes fewer items while the others go on. An item is never
 * taken by two lanes, and an item whose request surely did not reach the service (429, refused
 * connection) goes back to the head of the queue.
 *
 * Exactly once: before a start request can be sent the item's `starting` line is on disk; after the
 * answer its `accepted` (run id), `rejected`, `notStarted` or `unknown` line is. The start itself goes
 * through the runs core (`BatchPort.start` → the exactly-once trigger), which settles lost answers by
 * reconciliation. Interrupted, the batch stops taking items, lets requests already sent settle, and
 * returns; `--resume` carries on from the journal.
 *
 * Memory: per item only its latest state and journal offset; outputs go to the journal as runs end.
 */
import { ApiError, AuthError, CancellationError } from '../errors';
import type { Logger } from '../logger';
import { isTerminal, type RunStatus } from '../model/run';
import { runDesktopFlowRateLimit, SlidingWindowRateLimiter, type RatePermit } from '../runs/rateLimiter';
import { remedyFor } from '../runs/remedies';
import { realToClockMs, type RunClock } from '../runs/runClock';
import { RunError } from '../runs/runErrors';
import type { RunEvent, RunFinishedEvent, RunSubject } from '../runs/runEvents';
import type { EnvironmentRef } from '../runs/runJournal';
import type { SendInstant } from '../runs/reconciliation';
import { connectionKey, type RunConnection } from '../runs/runOptions';
import type { Subscription } from '../util/events';
import type { BatchItemError, BatchJournalWriter } from './batchJournal';

/** What the runner needs from the rest of the product (the CLI or the extension builds it). */
export interface BatchPort {
  /**
   * Prepares the item again from its file and starts it on `connection` through the runs core. Must call
   * (and await) `beforeSend` before each start request is sent (`TriggerRequest.onSend`), with the instant
   * it is sent on the service's clock and the run clock. Resolves once the service accepted the run.
   * Throws `BatchItemInvalidError` when the file no longer validates.
   */
  start(
    file: string,
    connection: RunConnection,
    beforeSend: (item: PreparedBatchItem, sent: SendInstant) => Promise<void>,
    signal: AbortSignal,
  ): Promise<StartedBatchItem>;
  /** Watches a run started earlier (resumed batches). */
  watch(subject: RunSubject): Promise<void>;
  /** Stops watching a started run (a batch that does not wait has no use for its status). */
  unwatch(environment: EnvironmentRef, runId: string): Promise<void>;
  /** Every event of the runs core. */
  onEvent(listener: (event: RunEvent) => void): Subscription;
  /** Outputs with the flow's sensitive outputs masked. */
  maskOutputs(flowId: string, outputs: Record<string, unknown>): Record<string, unknown>;
}

/** An item ready to be sent. */
export interface PreparedBatchItem {
  readonly flowId: string;
  readonly flowName: string;
  /** Digest of the non-sensitive inputs (see `inputsDigest`). */
  readonly inputsDigest: string;
}

/** An accepted start. */
export interface StartedBatchItem {
  readonly runId: string;
  readonly flowId: string;
  readonly flowName: string;
  readonly reconciled: boolean;
  /** Run-clock instant the accepted request was sent. */
  readonly triggeredAt: number;
}

/** The item's file no longer validates (it changed after the batch was checked). */
export class BatchItemInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchItemInvalidError';
  }
}

/** Live counts, for progress lines and the status bar. */
export interface BatchCounts {
  readonly total: number;
  /** Items whose run exists (this and earlier sessions). */
  readonly started: number;
  /** Items not started yet (including requeued ones). */
  readonly pending: number;
  readonly queued: number;
  readonly running: number;
  readonly succeeded: number;
  /** Ended in another state than succeeded or cancelled (failed, timed out, …), or refused by the service. */
  readonly failed: number;
  readonly cancelled: number;
  /** May have started; not confirmed. */
  readonly unknown: number;
  readonly skipped: number;
  /** Lanes (connections) currently waiting for their rate budget or a `Retry-After`. */
  readonly waitingForRateLimit: number;
}

/** One change worth a progress line. */
export type BatchProgressEvent =
  | {
      readonly kind: 'started';
      readonly file: string;
      readonly runId: string;
      readonly connection: string;
      readonly reconciled: boolean;
    }
  | { readonly kind: 'rejected'; readonly file: string; readonly error: BatchItemError }
  | { readonly kind: 'unknown'; readonly file: string; readonly error: BatchItemError }
  | { readonly kind: 'requeued'; readonly file: string; readonly reason: string }
  | { readonly kind: 'status'; readonly file: string; readonly runId: string; readonly status: RunStatus }
  | {
      readonly kind: 'finished';
      readonly file: string;
      readonly runId: string;
      readonly status: RunStatus;
      readonly error?: BatchItemError;
    }
  | {
      readonly kind: 'waiting';
      readonly connection: string;
      readonly until: number;
      readonly reason: 'connectionLimit' | 'serviceThrottled';
    };

/** An item to start now, or one started earlier to follow. */
export interface BatchRunnerOptions {
  readonly environment: EnvironmentRef;
  readonly connections: readonly RunConnection[];
  /** Files to start, in order. */
  readonly toStart: readonly string[];
  /** Runs started earlier and not finished (resume with `wait`). */
  readonly toWatch: readonly {
    readonly file: string;
    readonly runId: string;
    readonly flowId: string;
    readonly flowName?: string;
    readonly connection?: string;
  }[];
  /** Counts carried over from earlier sessions. */
  readonly initial: Partial<
    Pick<BatchCounts, 'started' | 'succeeded' | 'failed' | 'cancelled' | 'unknown' | 'skipped'>
  >;
  readonly total: number;
  readonly wait: boolean;
  readonly port: BatchPort;
  readonly journal: BatchJournalWriter;
  readonly clock: RunClock;
  readonly logger: Logger;
  /**
   * Run-clock instants, per `connectionKey`, of starts the service already counts against the connections
   * (see `recentStarts.ts`): the limiter counts them as used.
   */
  readonly recentStarts?: ReadonlyMap<string, readonly number[]>;
  /** Default: 70 per 60 s. */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  /** Consecutive start failures that surely did not reach the service, per lane, before the batch stops. */
  readonly maxConsecutiveFailures?: number;
  readonly onProgress?: (event: BatchProgressEvent, counts: BatchCounts) => void;
}

/** How a batch session ended. */
export interface BatchOutcome {
  readonly counts: BatchCounts;
  readonly interrupted: boolean;
  /** A failure that stopped the batch (sign-in, permissions, the service unreachable). */
  readonly fatal: unknown;
  /** Start instants (run clock) per connection, for the rate figures. */
  readonly startsByConnection: ReadonlyMap<string, readonly number[]>;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** Display name of a connection (what the report shows). */
export function connectionLabel(connection: RunConnection): string {
  return connection.kind === 'connection' ? connection.name : connection.logicalName;
}

/** One lane per connection: two references to one connection (or a connection given twice) share one budget. */
export function oneLanePerConnection(connections: readonly RunConnection[]): RunConnection[] {
  const seen = new Set<string>();
  return connections.filter((c) => {
    const key = connectionKey(c);
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

/** The error words of a refused start or a failed run. */
export function itemError(code: string | undefined, message: string): BatchItemError {
  const remedy = remedyFor(code);
  return {
    ...(code === undefined || code === '' ? {} : { code }),
    message,
    ...(remedy === undefined ? {} : { remedy: `${remedy.title}: ${remedy.remedy}` }),
  };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

interface Active {
  readonly file: string;
  readonly flowId: string;
  readonly connection: string;
  readonly startedAt: number | undefined;
  status: RunStatus | undefined;
}

/** One batch session. Create, `run()`, then read the journal for the report. */
export class BatchRunner {
  private readonly limiter: SlidingWindowRateLimiter;
  private readonly queue: string[];
  private next = 0;
  private readonly retry: string[] = [];
  private readonly active = new Map<string, Active>();
  private readonly startsByConnection = new Map<string, number[]>();
  private readonly pendingWrites = new Set<Promise<void>>();
  private counts: {
    -readonly [K in keyof BatchCounts]: BatchCounts[K];
  };
  private waitingLanes = 0;
  private fatal: unknown;
  private readonly stop = new AbortController();
  private watchDone: (() => void) | undefined;

  constructor(private readonly options: BatchRunnerOptions) {
    this.limiter = new SlidingWindowRateLimiter({
      ...(options.rateLimit ?? runDesktopFlowRateLimit),
      clock: options.clock,
    });
    for (const [key, stamps] of options.recentStarts ?? []) {
      this.limiter.record(key, stamps);
    }
    this.queue = [...options.toStart];
    const i = options.initial;
    this.counts = {
      total: options.total,
      started: i.started ?? 0,
      pending: options.toStart.length,
      queued: 0,
      running: 0,
      succeeded: i.succeeded ?? 0,
      failed: i.failed ?? 0,
      cancelled: i.cancelled ?? 0,
      unknown: i.unknown ?? 0,
      skipped: i.skipped ?? 0,
      waitingForRateLimit: 0,
    };
  }

  /** Runs the session to its end, an interruption (`signal`) or a fatal failure. Never throws for an item. */
  async run(signal: AbortSignal): Promise<BatchOutcome> {
    const { clock, port, connections } = this.options;
    const startedAt = clock.now();
    const onAbort = (): void => this.stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const subscription = port.onEvent((e) => this.onEvent(e));
    try {
      for (const w of this.options.toWatch) {
        this.active.set(w.runId.toLowerCase(), {
          file: w.file,
          flowId: w.flowId,
          connection: w.connection ?? '',
          startedAt: undefined,
          status: undefined,
        });
        await port.watch({
          environment: this.options.environment,
          flowId: w.flowId,
          runId: w.runId,
          ...(w.flowName === undefined ? {} : { flowName: w.flowName }),
        });
      }
      await Promise.all(connections.map((c) => this.lane(c)));
      if (this.options.wait && this.fatal === undefined && !this.stop.signal.aborted) {
        await this.allFinished();
      }
      await Promise.all([...this.pendingWrites]);
    } finally {
      subscription.dispose();
      signal.removeEventListener('abort', onAbort);
    }
    return {
      counts: this.snapshot(),
      interrupted: signal.aborted,
      fatal: this.fatal,
      startsByConnection: this.startsByConnection,
      startedAt,
      endedAt: clock.now(),
    };
  }

  private snapshot(): BatchCounts {
    return { ...this.counts, waitingForRateLimit: this.waitingLanes };
  }

  private progress(event: BatchProgressEvent): void {
    try {
      this.options.onProgress?.(event, this.snapshot());
    } catch (e) {
      this.options.logger.error(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private take(): string | undefined {
    const again = this.retry.shift();
    if (again !== undefined) {
      return again;
    }
    return this.next < this.queue.length ? this.queue[this.next++] : undefined;
  }

  private hasWork(): boolean {
    return this.retry.length > 0 || this.next < this.queue.length;
  }

  private async lane(connection: RunConnection): Promise<void> {
    const { clock, journal, port, logger } = this.options;
    const label = connectionLabel(connection);
    const key = connectionKey(connection);
    const maxFailures = this.options.maxConsecutiveFailures ?? 5;
    let failures = 0;
    while (this.hasWork() && !this.stop.signal.aborted && this.fatal === undefined) {
      let permit: RatePermit;
      let waiting = false;
      try {
        permit = await this.limiter.acquire(key, this.stop.signal, (w) => {
          if (!waiting) {
            waiting = true;
            this.waitingLanes++;
          }
          this.progress({ kind: 'waiting', connection: label, until: w.until, reason: w.reason });
        });
      } catch (e) {
        if (CancellationError.is(e)) {
          return;
        }
        throw e;
      } finally {
        if (waiting) {
          this.waitingLanes--;
        }
      }
      const file = this.take();
      if (file === undefined) {
        permit.cancel();
        return;
      }
      let sent = false;
      try {
        const started = await port.start(
          file,
          connection,
          async (item, instant) => {
            await journal.item(
              {
                file,
                state: 'starting',
                at: instant.localTime,
                flowId: item.flowId,
                flowName: item.flowName,
                connection: label,
                inputsDigest: item.inputsDigest,
                ...(instant.serviceTime === undefined ? {} : { serviceSentAt: instant.serviceTime }),
              },
              true,
            );
            sent = true;
          },
          this.stop.signal,
        );
        permit.done();
        failures = 0;
        const track = journal.items.get(file);
        await journal.item(
          {
            file,
            state: 'accepted',
            at: clock.now(),
            flowId: started.flowId,
            flowName: started.flowName,
            connection: label,
            runId: started.runId,
            reconciled: started.reconciled,
            startedAt: started.triggeredAt,
            ...(track?.inputsDigest === undefined ? {} : { inputsDigest: track.inputsDigest }),
          },
          true,
        );
        this.counts.started++;
        this.counts.pending--;
        let starts = this.startsByConnection.get(label);
        if (starts === undefined) {
          starts = [];
          this.startsByConnection.set(label, starts);
        }
        starts.push(started.triggeredAt);
        if (!this.options.wait) {
          await port.unwatch(this.options.environment, started.runId);
        } else {
          const runKey = started.runId.toLowerCase();
          if (!this.active.has(runKey) && !this.finishedEarly.has(runKey)) {
            this.active.set(runKey, {
              file,
              flowId: started.flowId,
              connection: label,
              startedAt: started.triggeredAt,
              status: undefined,
            });
          }
          this.settleEarly(runKey, file, started.flowId, label);
        }
        this.progress({
          kind: 'started',
          file,
          runId: started.runId,
          connection: label,
          reconciled: started.reconciled,
        });
      } catch (e) {
        const track = journal.items.get(file);
        const base = {
          file,
          at: clock.now(),
          connection: label,
          ...(track?.flowId === undefined ? {} : { flowId: track.flowId }),
        };
        if (
          CancellationError.is(e) ||
          (ApiError.is(e) && !e.mayHaveReachedService) ||
          ApiError.is(e, 'throttled')
        ) {
          permit.cancel();
          if (CancellationError.is(e)) {
            // Interrupted (Ctrl+C, the window closing or reloading). Once its `starting` line is written the
            // request may be on its way, and the abort may have cut it after the service took it: the item
            // stays uncertain in the journal, and a resume settles it with the service before sending again.
            this.retry.unshift(file);
            return;
          }
          if (sent) {
            await journal.item({ ...base, state: 'notStarted' }, true);
          }
          this.retry.unshift(file);
          const throttled = ApiError.is(e, 'throttled') ? (e as ApiError) : undefined;
          if (throttled !== undefined) {
            // Retry-After is real seconds (the service's clock); the limiter measures on the run clock, which
            // may run faster (the sandbox in tests and the bench).
            const seconds = throttled.retryAfterSeconds ?? 60;
            this.limiter.blockUntil(key, clock.now() + Math.ceil(realToClockMs(clock, seconds * 1000)));
            this.progress({
              kind: 'requeued',
              file,
              reason: `the service asked to wait ${Math.ceil(seconds)} s (429)`,
            });
            continue;
          }
          failures++;
          this.progress({ kind: 'requeued', file, reason: describe(e) });
          if (failures >= maxFailures) {
            this.fatal = e;
            return;
          }
          continue;
        }
        permit.done();
        if (
          e instanceof BatchItemInvalidError ||
          RunError.is(e, 'invalidOptions') ||
          (ApiError.is(e) && isItemRefusal(e))
        ) {
          const error = ApiError.is(e) ? itemError(e.code, describe(e)) : itemError(undefined, describe(e));
          await journal.item({ ...base, state: 'rejected', error }, true);
          this.counts.failed++;
          this.counts.pending--;
          this.progress({ kind: 'rejected', file, error });
          continue;
        }
        if (RunError.is(e, 'outcomeUnknown')) {
          const error = itemError(undefined, describe(e));
          await journal.item(
            {
              ...base,
              state: 'unknown',
              error,
              ...(track?.inputsDigest === undefined ? {} : { inputsDigest: track.inputsDigest }),
              ...(track?.serviceSentAt === undefined ? {} : { serviceSentAt: track.serviceSentAt }),
            },
            true,
          );
          this.counts.unknown++;
          this.counts.pending--;
          this.progress({ kind: 'unknown', file, error });
          continue;
        }
        // Sign-in, permission or anything unexpected: no item can succeed now; stop the batch.
        if (sent) {
          await journal.item(
            {
              ...base,
              state: 'unknown',
              error: itemError(undefined, describe(e)),
              ...(track?.inputsDigest === undefined ? {} : { inputsDigest: track.inputsDigest }),
              ...(track?.serviceSentAt === undefined ? {} : { serviceSentAt: track.serviceSentAt }),
            },
            true,
          );
          this.counts.unknown++;
          this.counts.pending--;
        } else {
          this.retry.unshift(file);
        }
        logger.warn(`[batch] stopping: ${describe(e)}`);
        this.fatal = e;
        this.stop.abort();
        return;
      }
    }
  }

  /** Runs whose `finished` event came before the lane recorded them (fast runs). */
  private readonly finishedEarly = new Map<string, RunFinishedEvent>();

  private settleEarly(runKey: string, file: string, flowId: string, connection: string): void {
    const event = this.finishedEarly.get(runKey);
    if (event === undefined) {
      return;
    }
    this.finishedEarly.delete(runKey);
    this.active.set(runKey, { file, flowId, connection, startedAt: undefined, status: undefined });
    this.onEvent(event);
  }

  private onEvent(event: RunEvent): void {
    if (!this.options.wait) {
      return;
    }
    if (event.kind === 'stateChanged' || event.kind === 'finished') {
      const runKey = event.runId.toLowerCase();
      const active = this.active.get(runKey);
      if (active === undefined) {
        if (event.kind === 'finished') {
          // The trigger resolves before the lane records the run; keep the end until it does.
          this.finishedEarly.set(runKey, event);
        }
        return;
      }
      if (event.kind === 'stateChanged') {
        this.move(active, event.status);
        this.progress({ kind: 'status', file: active.file, runId: event.runId, status: event.status });
        return;
      }
      this.move(active, undefined);
      this.active.delete(runKey);
      this.track(this.recordFinished(active, event));
    } else if (event.kind === 'error' && event.retryAt === undefined) {
      for (const runId of event.runIds) {
        const runKey = runId.toLowerCase();
        const active = this.active.get(runKey);
        if (active === undefined) {
          continue;
        }
        this.move(active, undefined);
        this.active.delete(runKey);
        const error = itemError(undefined, `The run could no longer be watched: ${describe(event.error)}`);
        this.counts.unknown++;
        this.track(
          this.options.journal.item({
            file: active.file,
            state: 'unknown',
            at: this.options.clock.now(),
            flowId: active.flowId,
            connection: active.connection,
            runId,
            error,
          }),
        );
        this.progress({ kind: 'unknown', file: active.file, error });
      }
    }
    this.checkDone();
  }

  private move(active: Active, to: RunStatus | undefined): void {
    const bucket = (s: RunStatus | undefined): 'queued' | 'running' | undefined =>
      s === 'running' ? 'running' : s === undefined || isTerminal(s) ? undefined : 'queued';
    const from = bucket(active.status);
    const next = bucket(to);
    if (from !== undefined) {
      this.counts[from]--;
    }
    if (next !== undefined) {
      this.counts[next]++;
    }
    active.status = to;
  }

  private async recordFinished(active: Active, event: RunFinishedEvent): Promise<void> {
    const { port, journal, clock } = this.options;
    const status = event.status;
    if (status === 'succeeded') {
      this.counts.succeeded++;
    } else if (status === 'cancelled') {
      this.counts.cancelled++;
    } else {
      this.counts.failed++;
    }
    const error =
      status === 'succeeded'
        ? undefined
        : itemError(event.errorCode, event.errorMessage ?? `The run ended ${status}.`);
    let outputs: Record<string, unknown> | null = null;
    if (event.outputs !== undefined) {
      outputs = port.maskOutputs(active.flowId, event.outputs);
    }
    await journal.item({
      file: active.file,
      state: 'finished',
      at: clock.now(),
      flowId: event.flowId,
      ...(event.flowName === undefined ? {} : { flowName: event.flowName }),
      connection: active.connection,
      runId: event.runId,
      status,
      ...(error === undefined ? {} : { error }),
      outputs,
      ...(event.createdOn === undefined ? {} : { createdOn: event.createdOn }),
      ...(event.completedOn === undefined ? {} : { completedOn: event.completedOn }),
      ...(event.queueWaitMs === undefined ? {} : { queueWaitMs: event.queueWaitMs }),
      ...(event.runTimeMs === undefined ? {} : { runTimeMs: event.runTimeMs }),
      ...(active.startedAt === undefined ? {} : { startedAt: active.startedAt }),
    });
    this.progress({
      kind: 'finished',
      file: active.file,
      runId: event.runId,
      status,
      ...(error === undefined ? {} : { error }),
    });
  }

  private track(write: Promise<void>): void {
    const tracked = write.catch((e: unknown) => {
      this.options.logger.error(e instanceof Error ? e : new Error(String(e)));
      this.fatal ??= e;
    });
    this.pendingWrites.add(tracked);
    void tracked.finally(() => this.pendingWrites.delete(tracked));
  }

  private checkDone(): void {
    if (this.active.size === 0 && !this.hasWork()) {
      this.watchDone?.();
    }
  }

  private allFinished(): Promise<void> {
    if (this.active.size === 0) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.stop.signal.removeEventListener('abort', done);
        this.watchDone = undefined;
        resolve();
      };
      this.watchDone = done;
      this.stop.signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** A start the service refused for this item alone (nothing was created): the batch goes on. */
function isItemRefusal(e: ApiError): boolean {
  return e.reason === 'badRequest' || e.reason === 'notFound' || e.reason === 'conflict';
}

/** True for failures after which no other item can start either (sign-in, permissions). */
export function isFatalForBatch(e: unknown): boolean {
  return AuthError.is(e) || ApiError.is(e, 'unauthorized', 'forbidden');
}
