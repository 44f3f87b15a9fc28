/**
 * One watcher per environment: every tick asks for the status of *all* its active runs in one request
 * (`$filter` over their ids, chunked only when very many), instead of one request per run per tick as
 * existing clients do. The interval adapts (pollInterval.ts); failures back off, honouring `Retry-After`.
 * The loop exists only while there are active runs: with none left, no timer or listener remains.
 */
import { setMaxListeners } from 'node:events';
import { AuthError, ApiError, CancellationError } from '../errors';
import type { Logger } from '../logger';
import { isTerminal, type Run, type RunStatus } from '../model/run';
import { errorBackoffMs, runPollIntervalMs, type PollIntervalOptions } from './pollInterval';
import { realToClockMs, type RunClock } from './runClock';
import { RunError } from './runErrors';
import {
  runTimings,
  endedRunTimeMs,
  type SeenRunning,
  type RunEvent,
  type RunFinishedEvent,
  type RunMachine,
  type RunSubject,
} from './runEvents';
import type { EnvironmentRef } from './runJournal';
import type { RunsBackend } from './runsBackend';

/** A run handed to the watcher. */
export interface WatchRequest extends RunSubject {
  /** Last status already reported (after a resume), so it is not reported again. */
  readonly lastStatus?: RunStatus;
  /** Action-log entries already reported. */
  readonly actionLogCount?: number;
  /** Follow the action log while the run is running (one extra request per run per log interval). */
  readonly followActionLog?: boolean;
  /** Poll at the next opportunity instead of after the minimum interval (resumed runs). */
  readonly checkNow?: boolean;
  /** The run is being resumed: a terminal status found on the first poll ended while nobody watched. */
  readonly resumed?: boolean;
}

/** Progress the owner may want to persist (journal). */
export interface WatchProgress {
  readonly lastStatus: RunStatus;
  readonly actionLogCount: number;
}

/** Dependencies and tuning of a watcher. */
export interface EnvironmentRunWatcherOptions {
  readonly environment: EnvironmentRef;
  readonly backend: RunsBackend;
  readonly clock: RunClock;
  readonly logger: Logger;
  readonly poll: () => Required<PollIntervalOptions>;
  readonly emit: (event: RunEvent) => void;
  /**
   * Awaited before a run's `finished` event (and before a run is dropped after an error), so the owner
   * can remove it from the journal first; see runJournal.ts for why that order.
   */
  readonly beforeSettle: (runId: string) => Promise<void>;
  /** A run's reported status or log count changed. */
  readonly onProgress?: (runId: string, progress: WatchProgress) => void;
  /**
   * Most runs per status request. By default the backend decides (`chunkRunIds`: as many as keep the
   * URL within the service's limit), else 100.
   */
  readonly chunkSize?: number;
  /** Minimum time between action-log reads of one run. Default 5 s. */
  readonly actionLogIntervalMs?: number;
  /** Consecutive polls a run may be missing from the answer before it is given up. Default 3. */
  readonly missingLimit?: number;
}

interface WatchedRun {
  readonly subject: RunSubject;
  status: RunStatus | undefined;
  /** Clock time of the last status change we saw (or when watching began). */
  lastChangeAt: number;
  nextCheckAt: number;
  actionLogCount: number;
  followActionLog: boolean;
  nextLogAt: number;
  missing: number;
  resumed: boolean;
  /** Whether this watch has seen the run not yet finished. */
  sawActive: boolean;
  /** When this watch first saw the run running (clock time), and the run time the service gave then. */
  seenRunning: SeenRunning | undefined;
  /**
   * Set for a run only looked at (`observe`): its new rows go here instead of run events (no transcript,
   * journal or notification: this window did not start it), and it is dropped quietly when it ends or
   * cannot be read.
   */
  observer: ((row: Run) => void) | undefined;
}

const defaultChunkSize = 100;
const defaultActionLogIntervalMs = 5_000;
const defaultMissingLimit = 3;

/** Watches the active runs of one environment. */
export class EnvironmentRunWatcher {
  private readonly runs = new Map<string, WatchedRun>();
  private readonly lifetime = new AbortController();
  private wake: AbortController | undefined;
  private sleepingUntil = Number.POSITIVE_INFINITY;
  private looping = false;
  private failures = 0;

  constructor(private readonly options: EnvironmentRunWatcherOptions) {
    // Every read in flight listens on this signal (one per finishing run at most): many at once is
    // expected, and each listener goes away with its request.
    setMaxListeners(0, this.lifetime.signal);
  }

  /** The environment watched. */
  get environment(): EnvironmentRef {
    return this.options.environment;
  }

  /** Ids of the runs being watched (not those only observed). */
  get activeRunIds(): string[] {
    return [...this.runs.values()].filter((r) => r.observer === undefined).map((r) => r.subject.runId);
  }

  /** Ids of the runs only observed (`observe`). */
  get observedRunIds(): string[] {
    return [...this.runs.values()].filter((r) => r.observer !== undefined).map((r) => r.subject.runId);
  }

  /** True while the polling loop is alive (a timer or request is pending). */
  get isPolling(): boolean {
    return this.looping;
  }

  /** Last known status of a watched run. */
  statusOf(runId: string): RunStatus | undefined {
    const run = this.runs.get(key(runId));
    return run?.observer === undefined ? run?.status : undefined;
  }

  /** Starts watching a run (no-op when already watched; a run only observed becomes watched). */
  add(request: WatchRequest): void {
    const existing = this.runs.get(key(request.runId));
    if (this.lifetime.signal.aborted || (existing !== undefined && existing.observer === undefined)) {
      return;
    }
    const now = this.options.clock.now();
    const nextCheckAt = request.checkNow === true ? now : now + this.options.poll().minMs;
    this.runs.set(key(request.runId), {
      subject: {
        environment: request.environment,
        flowId: request.flowId,
        runId: request.runId,
        ...(request.flowName === undefined ? {} : { flowName: request.flowName }),
        ...(request.display === undefined ? {} : { display: request.display }),
      },
      status: request.lastStatus,
      lastChangeAt: now,
      nextCheckAt,
      actionLogCount: request.actionLogCount ?? 0,
      followActionLog: request.followActionLog ?? false,
      nextLogAt: now,
      missing: 0,
      resumed: request.resumed ?? false,
      sawActive: false,
      seenRunning: undefined,
      observer: undefined,
    });
    if (nextCheckAt < this.sleepingUntil) {
      this.wake?.abort();
    }
    this.ensureLoop();
  }

  /**
   * Looks at a run someone else (or another client) started, in the same status request as the watched
   * runs: `onRow` gets its row whenever its status changes, the last time when it ends. Nothing else is
   * reported about it. No-op for a run already watched; a second observer replaces the first.
   */
  observe(subject: RunSubject, onRow: (row: Run) => void): void {
    const existing = this.runs.get(key(subject.runId));
    if (this.lifetime.signal.aborted || (existing !== undefined && existing.observer === undefined)) {
      return;
    }
    if (existing !== undefined) {
      existing.observer = onRow;
      return;
    }
    const now = this.options.clock.now();
    const nextCheckAt = now + this.options.poll().minMs;
    this.runs.set(key(subject.runId), {
      subject: {
        environment: subject.environment,
        flowId: subject.flowId,
        runId: subject.runId,
        ...(subject.flowName === undefined ? {} : { flowName: subject.flowName }),
      },
      status: undefined,
      lastChangeAt: now,
      nextCheckAt,
      actionLogCount: 0,
      followActionLog: false,
      nextLogAt: now,
      missing: 0,
      resumed: false,
      sawActive: false,
      seenRunning: undefined,
      observer: onRow,
    });
    if (nextCheckAt < this.sleepingUntil) {
      this.wake?.abort();
    }
    this.ensureLoop();
  }

  /** Stops observing a run (a watched run stays watched). */
  unobserve(runId: string, onRow?: (row: Run) => void): void {
    const run = this.runs.get(key(runId));
    if (run?.observer !== undefined && (onRow === undefined || run.observer === onRow)) {
      this.runs.delete(key(runId));
    }
  }

  /** Stops watching a run without reporting anything. */
  remove(runId: string): void {
    this.runs.delete(key(runId));
  }

  /** Turns live action-log following on or off for a run. */
  setFollowActionLog(runId: string, follow: boolean): void {
    const run = this.runs.get(key(runId));
    if (run !== undefined) {
      run.followActionLog = follow;
    }
  }

  /** Poll soon (e.g. right after a cancel request), within the minimum interval. */
  poke(): void {
    const now = this.options.clock.now();
    for (const run of this.runs.values()) {
      run.lastChangeAt = now;
      run.nextCheckAt = Math.min(run.nextCheckAt, now + this.options.poll().minMs);
    }
    this.wake?.abort();
  }

  /** Stops polling for good. Pending work is abandoned; no events follow. */
  dispose(): void {
    this.lifetime.abort();
    this.wake?.abort();
    this.runs.clear();
  }

  private ensureLoop(): void {
    if (this.looping || this.runs.size === 0 || this.lifetime.signal.aborted) {
      return;
    }
    this.looping = true;
    void this.loop().catch((e: unknown) => {
      // The loop handles every expected failure; anything else is a bug worth a log line, not a crash.
      this.options.logger.error(e instanceof Error ? e : new Error(String(e)));
    });
  }

  private async loop(): Promise<void> {
    const { clock } = this.options;
    try {
      while (this.runs.size > 0 && !this.lifetime.signal.aborted) {
        const due = Math.min(...[...this.runs.values()].map((r) => r.nextCheckAt));
        const delay = Math.max(0, due - clock.now());
        if (delay > 0) {
          this.wake = new AbortController();
          this.sleepingUntil = due;
          try {
            await clock.sleep(delay, AbortSignal.any([this.lifetime.signal, this.wake.signal]));
          } catch (e) {
            if (!CancellationError.is(e)) {
              throw e;
            }
            // Woken early (a run was added or poked) or disposed: recompute.
            continue;
          } finally {
            this.wake = undefined;
            this.sleepingUntil = Number.POSITIVE_INFINITY;
          }
        }
        await this.tick();
      }
    } finally {
      this.looping = false;
    }
    // A run added while the last tick was finishing must not wait for another `add`.
    this.ensureLoop();
  }

  /** One poll of every active run: one request per chunk of ids. */
  private async tick(): Promise<void> {
    for (const chunk of this.chunks([...this.runs.values()])) {
      if (this.lifetime.signal.aborted) {
        return;
      }
      await this.pollChunk(chunk);
    }
  }

  /** The runs split into status requests: by URL length when the backend knows it, capped by `chunkSize`. */
  private chunks(all: WatchedRun[]): WatchedRun[][] {
    const { backend, chunkSize } = this.options;
    const sizes = backend.chunkRunIds?.(all.map((r) => r.subject.runId)).map((ids) => ids.length) ?? [];
    const out: WatchedRun[][] = [];
    let i = 0;
    for (const size of sizes) {
      out.push(...split(all.slice(i, i + size), chunkSize ?? size));
      i += size;
    }
    if (i < all.length) {
      out.push(...split(all.slice(i), chunkSize ?? defaultChunkSize));
    }
    return out;
  }

  private async pollChunk(chunk: WatchedRun[]): Promise<void> {
    const { backend, clock } = this.options;
    const signal = this.lifetime.signal;
    let rows: readonly Run[];
    try {
      const page = await backend.listRuns(
        { runIds: chunk.map((r) => r.subject.runId), columns: 'status', pageSize: chunk.length },
        signal,
      );
      rows = page.runs;
    } catch (e) {
      if (CancellationError.is(e) && signal.aborted) {
        return;
      }
      await this.failed(chunk, e);
      return;
    }
    this.failures = 0;
    const now = clock.now();
    const byId = new Map(rows.map((r) => [key(r.id), r]));
    // State changes are reported in order right away (each observe runs synchronously up to its first
    // read); the reads that follow (outputs of finished runs, action logs) run side by side, so ten runs
    // ending together are all reported after one round trip, not ten.
    const work: Promise<void>[] = [];
    for (const run of chunk) {
      if (!this.runs.has(key(run.subject.runId))) {
        continue; // removed while the request was in flight
      }
      const row = byId.get(key(run.subject.runId));
      if (row === undefined) {
        work.push(this.missing(run, now));
        continue;
      }
      run.missing = 0;
      work.push(this.observeRow(run, row, now));
    }
    await Promise.all(work);
  }

  private async observeRow(run: WatchedRun, row: Run, now: number): Promise<void> {
    const { clock, emit, poll } = this.options;
    const status = row.status;
    if (run.observer !== undefined) {
      this.looked(run, run.observer, row, now);
      return;
    }
    if (isTerminal(status)) {
      // The end is reported once, by `finished` (which carries everything a final state change would).
      await this.finish(run, row);
      return;
    }
    if (status !== run.status) {
      const previous = run.status;
      run.status = status;
      run.lastChangeAt = now;
      const timings = runTimings(row, now);
      if (status === 'running' && run.seenRunning === undefined) {
        run.seenRunning = { at: now, runTimeMs: timings.runTimeMs ?? 0 };
      }
      emit({
        kind: 'stateChanged',
        at: clock.now(),
        ...run.subject,
        previous,
        status,
        machine: machineOf(row),
        ...timings,
      });
      this.options.onProgress?.(run.subject.runId, {
        lastStatus: status,
        actionLogCount: run.actionLogCount,
      });
    }
    run.sawActive = true;
    if (run.followActionLog && status === 'running' && now >= run.nextLogAt) {
      run.nextLogAt = now + (this.options.actionLogIntervalMs ?? defaultActionLogIntervalMs);
      await this.readActionLog(run);
    }
    run.nextCheckAt = now + runPollIntervalMs(now - run.lastChangeAt, poll());
  }

  /** A new row of an observed run: handed on when its status changed; an ended run is let go. */
  private looked(run: WatchedRun, observer: (row: Run) => void, row: Run, now: number): void {
    const changed = row.status !== run.status;
    if (changed) {
      run.status = row.status;
      run.lastChangeAt = now;
    }
    if (isTerminal(row.status)) {
      this.runs.delete(key(run.subject.runId));
    } else {
      run.nextCheckAt = now + runPollIntervalMs(now - run.lastChangeAt, this.options.poll());
    }
    if (changed) {
      try {
        observer(row);
      } catch (e) {
        this.options.logger.error(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  /** Reports new action-log entries (index above what was reported); failures only delay the log. */
  private async readActionLog(run: WatchedRun): Promise<void> {
    const { backend, clock, emit, logger } = this.options;
    try {
      const entries = await backend.getActionLog(run.subject.runId, this.lifetime.signal);
      // Entries without an index are numbered by position, which is how the V1 log is ordered.
      const fresh = entries.filter((entry, i) => (entry.index ?? i + 1) > run.actionLogCount);
      if (fresh.length > 0) {
        run.actionLogCount = Math.max(run.actionLogCount, ...entries.map((entry, i) => entry.index ?? i + 1));
        emit({ kind: 'actionLog', at: clock.now(), ...run.subject, entries: fresh });
        if (run.status !== undefined) {
          this.options.onProgress?.(run.subject.runId, {
            lastStatus: run.status,
            actionLogCount: run.actionLogCount,
          });
        }
      }
    } catch (e) {
      if (CancellationError.is(e) && this.lifetime.signal.aborted) {
        return;
      }
      logger.warn(`[runs] could not read the action log of run ${run.subject.runId}: ${describe(e)}`);
    }
  }

  private async finish(run: WatchedRun, row: Run): Promise<void> {
    const { backend, clock, emit, logger } = this.options;
    // Removed before any await, so no later tick can report this run again.
    this.runs.delete(key(run.subject.runId));
    if (run.followActionLog) {
      await this.readActionLog(run);
    }
    let outputs: Record<string, unknown> | undefined;
    let outputsError: unknown;
    if (row.status === 'succeeded') {
      try {
        outputs = await backend.getRunOutputs(run.subject.runId, this.lifetime.signal);
      } catch (e) {
        if (CancellationError.is(e) && this.lifetime.signal.aborted) {
          return;
        }
        outputsError = e;
        logger.warn(`[runs] could not read the outputs of run ${run.subject.runId}: ${describe(e)}`);
      }
    }
    await this.settle(run.subject.runId);
    if (this.lifetime.signal.aborted) {
      return;
    }
    const now = clock.now();
    const timings = runTimings(row, now);
    const event: RunFinishedEvent = {
      kind: 'finished',
      at: now,
      ...run.subject,
      status: row.status,
      machine: machineOf(row),
      errorCode: row.errorCode,
      errorMessage: row.errorMessage,
      outputs,
      outputsError,
      endedWhileAway: run.resumed && !run.sawActive,
      ...timings,
      runTimeMs: endedRunTimeMs(timings.runTimeMs, run.seenRunning, now),
    };
    emit(event);
  }

  private async missing(run: WatchedRun, now: number): Promise<void> {
    run.missing++;
    if (run.missing < (this.options.missingLimit ?? defaultMissingLimit)) {
      run.nextCheckAt = now + this.options.poll().minMs;
      return;
    }
    this.runs.delete(key(run.subject.runId));
    if (run.observer !== undefined) {
      return; // Only looked at: its row stays as last read.
    }
    await this.settle(run.subject.runId);
    this.options.emit({
      kind: 'error',
      at: this.options.clock.now(),
      environment: this.options.environment,
      runIds: [run.subject.runId],
      error: new RunError({
        reason: 'runNotFound',
        message: `Run ${run.subject.runId} no longer exists or is not visible.`,
        runId: run.subject.runId,
        flowId: run.subject.flowId,
      }),
      consecutiveFailures: run.missing,
      retryAt: undefined,
    });
  }

  /** A poll failed: back off (all runs of the chunk), or give up on runs we may not read. */
  private async failed(chunk: WatchedRun[], e: unknown): Promise<void> {
    const { clock, emit, environment, logger, poll } = this.options;
    this.failures++;
    const now = clock.now();
    // Runs only observed are not reported: their rows stay as last read until they can be read again.
    const runIds = chunk.filter((r) => r.observer === undefined).map((r) => r.subject.runId);
    // Reading runs needs Owner access (docs/service-contract.md#rundesktopflow): retrying cannot fix a 403, so these runs are dropped.
    if (ApiError.is(e, 'forbidden', 'badRequest')) {
      logger.warn(`[runs] stopped watching ${chunk.length} run(s): ${describe(e)}`);
      for (const run of chunk) {
        this.runs.delete(key(run.subject.runId));
        if (run.observer === undefined) {
          await this.settle(run.subject.runId);
        }
      }
      if (runIds.length === 0) {
        return;
      }
      emit({
        kind: 'error',
        at: now,
        environment,
        runIds,
        error: e,
        consecutiveFailures: this.failures,
        retryAt: undefined,
      });
      return;
    }
    // Retry-After is real seconds; polls are scheduled on the run clock (faster against a sped-up sandbox).
    const retryAfter =
      ApiError.is(e) && e.retryAfterSeconds !== undefined
        ? realToClockMs(this.options.clock, e.retryAfterSeconds * 1000) / 1000
        : undefined;
    // Expired sign-in needs the maker; poll no faster than the maximum interval until it works again.
    const floor = AuthError.is(e) ? poll().maxMs : 0;
    const delay = Math.max(floor, errorBackoffMs(this.failures, retryAfter, poll()));
    for (const run of chunk) {
      run.nextCheckAt = now + delay;
    }
    logger.warn(
      `[runs] status poll failed (${this.failures} in a row), next try in ${delay} ms: ${describe(e)}`,
    );
    if (runIds.length === 0) {
      return;
    }
    emit({
      kind: 'error',
      at: now,
      environment,
      runIds,
      error: e,
      consecutiveFailures: this.failures,
      retryAt: now + delay,
    });
  }

  private async settle(runId: string): Promise<void> {
    try {
      await this.options.beforeSettle(runId);
    } catch (e) {
      this.options.logger.warn(`[runs] could not update the run journal for ${runId}: ${describe(e)}`);
    }
  }
}

function split<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) {
    out.push(items.slice(i, i + Math.max(1, size)));
  }
  return out;
}

function key(runId: string): string {
  return runId.toLowerCase();
}

function machineOf(row: Run): RunMachine | undefined {
  return row.machineId === undefined ? undefined : { id: row.machineId, name: row.machineName };
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    return `${e.name}: ${e.message}`;
  }
  return String(e);
}
