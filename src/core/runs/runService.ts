/**
 * The runs core as one service for the UI and the CLI: start runs (exactly once, within the connection's
 * rate limit), watch them (one watcher per environment), resume after a reload from the journal, cancel,
 * and review history, details and outputs. Every state change arrives on `onEvent`; nothing here knows
 * about VS Code.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { runStatusByCode, type Run, type RunStatus } from '../model/run';
import { silentLogger, type Logger } from '../logger';
import { Emitter, type Listener, type Subscription } from '../util/events';
import { throwIfAborted } from '../util/abort';
import { EnvironmentRunWatcher } from './environmentRunWatcher';
import { normalizePollInterval, type PollIntervalOptions } from './pollInterval';
import { runDesktopFlowRateLimit, SlidingWindowRateLimiter } from './rateLimiter';
import { cancelRun, type CancelResult } from './runCancel';
import { systemClock, type RunClock } from './runClock';
import type { RunDisplay, RunEvent, RunSubject } from './runEvents';
import type { PreparedRun } from './prepareRun';
import type { EnvironmentRef, JournaledRun, RunJournal } from './runJournal';
import { RunJournalStore } from './runJournalStore';
import { idKey, orgKey } from './runKeys';
import {
  compareRunOutputs,
  getRunDetails,
  listRunHistory,
  type OutputsComparison,
  type RunDetails,
  type RunDetailsOptions,
  type RunHistoryPage,
  type ValueMasker,
} from './runReview';
import type { RunsBackend } from './runsBackend';
import type { SharedRunState } from './sharedRunState';
import { RunTrigger, type ReconcileOptions, type TriggeredRun, type TriggerRequest } from './runTrigger';

/** Construction options of `RunService`. Only `backendFor` is required. */
export interface RunServiceOptions {
  /** The service calls for an environment (e.g. `new DataverseRunsBackend(session.runs, env.orgUrl)`). */
  readonly backendFor: (environment: EnvironmentRef) => RunsBackend;
  /** Where active runs are remembered across reloads; without it nothing is persisted. */
  readonly journal?: RunJournal;
  /** Default: real time. */
  readonly clock?: RunClock;
  readonly logger?: Logger;
  /** Poll interval bounds (default 2 s to 30 s). */
  readonly poll?: Partial<PollIntervalOptions>;
  /** Start requests per window per connection (default 70 per 60 s, the documented limit). */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  readonly reconcile?: ReconcileOptions;
  /**
   * Claims and start locks shared with this user's other processes (CLI, extension, batch, agent tools):
   * `SharedRunState.atDefaultLocation()`. Without it they live in this process only.
   */
  readonly shared?: SharedRunState;
  /**
   * When a start's outcome is uncertain and no run was found once the service's maximum request time has
   * passed: send it again (default true) or report the outcome unknown. A request can override it.
   */
  readonly resendWhenUncertain?: boolean;
  /** Runs per status request (default 100). */
  readonly statusChunkSize?: number;
  /** Minimum time between action-log reads of a followed run (default 5 s). */
  readonly actionLogIntervalMs?: number;
}

/** A run being watched, as the status bar and tree show it. */
export interface ActiveRun extends RunSubject {
  /** Last status seen; `undefined` before the first poll. */
  readonly status: RunStatus | undefined;
}

/** What to watch when the run was not started through `start` (e.g. picked from history). */
export interface WatchRunRequest extends RunSubject {
  /** Follow its action log live. */
  readonly followActionLog?: boolean;
}

/** A run started through `start`: what the trigger returned, and what the UI shows about it. */
export interface StartedRun extends TriggeredRun {
  readonly display: RunDisplay;
}

/** Starts, watches, cancels and reviews desktop-flow runs. Dispose it to stop every timer and request. */
export class RunService {
  private readonly events = new Emitter<RunEvent>();
  private readonly lifetime = new AbortController();
  private readonly clock: RunClock;
  private readonly logger: Logger;
  private readonly trigger_: RunTrigger;
  private readonly journal: RunJournalStore;
  private readonly watchers = new Map<string, EnvironmentRunWatcher>();
  /** What starts in flight show (by trigger id), for their rate-limit waits. */
  private readonly starting = new Map<string, RunDisplay>();
  private poll: Required<PollIntervalOptions>;

  /** Every state change of every run: subscribe, and dispose the subscription when done. */
  readonly onEvent: (listener: Listener<RunEvent>) => Subscription = this.events.event;

  constructor(private readonly options: RunServiceOptions) {
    // Start requests and lookups in flight listen on the lifetime signal; concurrent triggers are expected.
    setMaxListeners(0, this.lifetime.signal);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.poll = normalizePollInterval(options.poll);
    this.journal = new RunJournalStore(options.journal, this.lifetime.signal, this.logger);
    this.trigger_ = new RunTrigger({
      backendFor: options.backendFor,
      limiter: new SlidingWindowRateLimiter({
        ...(options.rateLimit ?? runDesktopFlowRateLimit),
        clock: this.clock,
      }),
      clock: this.clock,
      logger: this.logger,
      lifetime: this.lifetime.signal,
      ...(options.reconcile === undefined ? {} : { reconcile: options.reconcile }),
      ...(options.shared === undefined ? {} : { shared: options.shared }),
      ...(options.resendWhenUncertain === undefined
        ? {}
        : { resendWhenUncertain: options.resendWhenUncertain }),
      onWaiting: (e) => {
        const display = this.starting.get(e.triggerId);
        this.emit(display === undefined ? e : { ...e, display });
      },
      onLicenseWarning: (e) => this.emit(e),
    });
  }

  /**
   * Loads the journal and resumes watching its runs. Each is checked at once; runs that ended meanwhile
   * are reported (`finished` with `endedWhileAway`) exactly once. Returns the resumed runs.
   */
  async resume(signal: AbortSignal): Promise<readonly JournaledRun[]> {
    const runs = await this.journal.load(signal);
    this.trigger_.claim(runs.map((r) => r.runId));
    for (const run of runs) {
      this.watcherFor(run.environment).add({
        environment: run.environment,
        flowId: run.flowId,
        runId: run.runId,
        ...(run.flowName === undefined ? {} : { flowName: run.flowName }),
        ...(knownStatus(run.lastStatus) === undefined ? {} : { lastStatus: knownStatus(run.lastStatus) }),
        actionLogCount: run.actionLogCount ?? 0,
        followActionLog: run.followActionLog ?? false,
        ...(run.display === undefined ? {} : { display: run.display }),
        checkNow: true,
        resumed: true,
      });
    }
    if (runs.length > 0) {
      this.logger.info(`[runs] resumed watching ${runs.length} run(s)`);
    }
    return runs;
  }

  /**
   * Starts a prepared run and watches it: the only way a run reaches RunDesktopFlow (rate limit, exactly
   * once; see RunTrigger). Resolves once the service accepted it (the run is journaled by then). The
   * `triggered` event and every later event of the run carry `display` (masked inputs included). `signal`
   * only abandons the request while it has not been sent.
   */
  async start(
    prepared: PreparedRun,
    signal: AbortSignal,
    options: {
      readonly followActionLog?: boolean;
      readonly triggerId?: string;
      /** Overrides `RunServiceOptions.resendWhenUncertain` for this start (a setting changed since). */
      readonly resendWhenUncertain?: boolean;
      /** See `TriggerRequest.onSend`. */
      readonly onSend?: TriggerRequest['onSend'];
    } = {},
  ): Promise<StartedRun> {
    const display: RunDisplay = {
      flowName: prepared.flow.name,
      environmentName: prepared.environment.displayName ?? prepared.environment.orgUrl,
      connectionName: prepared.connectionDisplayName,
      maskedInputs: prepared.maskedInputs,
      sensitiveInputNames: prepared.sensitiveInputNames,
      origin: prepared.origin,
    };
    const run = await this.startRun(
      {
        environment: prepared.environment,
        flowId: prepared.flow.id,
        flowName: prepared.flow.name,
        options: prepared.options,
        ...(prepared.inputs === undefined ? {} : { inputs: prepared.inputs }),
        sensitiveInputNames: prepared.sensitiveInputNames,
        triggerId: options.triggerId ?? randomUUID(),
        ...(options.followActionLog === undefined ? {} : { followActionLog: options.followActionLog }),
        ...(options.resendWhenUncertain === undefined
          ? {}
          : { resendWhenUncertain: options.resendWhenUncertain }),
        ...(options.onSend === undefined ? {} : { onSend: options.onSend }),
      },
      display,
      signal,
    );
    return { ...run, display };
  }

  private async startRun(
    request: TriggerRequest & { readonly followActionLog?: boolean },
    display: RunDisplay | undefined,
    signal: AbortSignal,
  ): Promise<TriggeredRun> {
    throwIfAborted(this.lifetime.signal);
    const triggerId = request.triggerId ?? randomUUID();
    if (display !== undefined) {
      this.starting.set(triggerId, display);
    }
    let run: TriggeredRun;
    try {
      run = await this.trigger_.trigger({ ...request, triggerId }, signal);
    } finally {
      this.starting.delete(triggerId);
    }
    const follow = request.followActionLog ?? false;
    await this.journal.put({
      environment: run.environment,
      runId: run.runId,
      flowId: run.flowId,
      ...(run.flowName === undefined ? {} : { flowName: run.flowName }),
      triggeredAt: run.triggeredAt,
      options: run.options,
      ...(follow ? { followActionLog: true } : {}),
      ...(display === undefined ? {} : { display }),
    });
    this.emit({
      kind: 'triggered',
      at: this.clock.now(),
      environment: run.environment,
      flowId: run.flowId,
      ...(run.flowName === undefined ? {} : { flowName: run.flowName }),
      runId: run.runId,
      triggerId: run.triggerId,
      options: run.options,
      reconciled: run.reconciled,
      attempts: run.attempts,
      ...(display === undefined ? {} : { display }),
    });
    this.watcherFor(run.environment).add({
      environment: run.environment,
      flowId: run.flowId,
      runId: run.runId,
      ...(run.flowName === undefined ? {} : { flowName: run.flowName }),
      followActionLog: follow,
      ...(display === undefined ? {} : { display }),
    });
    return run;
  }

  /**
   * Marks runs as already attributed to a start (e.g. every run of a batch journal), so settling a lost
   * answer later never takes one of them for the run it created.
   */
  claimRuns(runIds: Iterable<string>): void {
    this.trigger_.claim(runIds);
  }

  /** Watches a run this client did not start (or no longer watches); journaled like a started one. */
  async watch(request: WatchRunRequest): Promise<void> {
    throwIfAborted(this.lifetime.signal);
    const follow = request.followActionLog ?? false;
    if (!this.journal.has(request.environment.orgUrl, request.runId)) {
      await this.journal.put({
        environment: request.environment,
        runId: request.runId,
        flowId: request.flowId,
        ...(request.flowName === undefined ? {} : { flowName: request.flowName }),
        triggeredAt: this.clock.now(),
        ...(follow ? { followActionLog: true } : {}),
      });
    }
    this.watcherFor(request.environment).add({ ...request, followActionLog: follow, checkNow: true });
  }

  /**
   * Looks at a run this client neither started nor watches (the Runs view's rows of runs started elsewhere)
   * in its environment's one status request per tick: `onRow` gets the run's row whenever its status
   * changes, the last time when it ends. No event, journal entry or notification: dispose to stop. A run
   * this client watches is not observed (its events already say everything).
   */
  observe(subject: RunSubject, onRow: (row: Run) => void): Subscription {
    throwIfAborted(this.lifetime.signal);
    const watcher = this.watcherFor(subject.environment);
    watcher.observe(subject, onRow);
    return { dispose: () => watcher.unobserve(subject.runId, onRow) };
  }

  /** Stops watching a run (and forgets it in the journal) without reporting anything more. */
  async stopWatching(environment: EnvironmentRef, runId: string): Promise<void> {
    this.watchers.get(watcherKey(environment))?.remove(runId);
    await this.journal.remove(environment.orgUrl, runId);
  }

  /** Follow (or stop following) a watched run's action log live. */
  async setFollowActionLog(environment: EnvironmentRef, runId: string, follow: boolean): Promise<void> {
    this.watchers.get(watcherKey(environment))?.setFollowActionLog(runId, follow);
    await this.journal.update(environment.orgUrl, runId, { followActionLog: follow });
  }

  /** Runs being watched, across environments. */
  activeRuns(): ActiveRun[] {
    const out: ActiveRun[] = [];
    for (const watcher of this.watchers.values()) {
      for (const runId of watcher.activeRunIds) {
        const entry = this.journal.get(watcher.environment.orgUrl, runId);
        out.push({
          environment: watcher.environment,
          runId,
          flowId: entry?.flowId ?? '',
          ...(entry?.flowName === undefined ? {} : { flowName: entry.flowName }),
          status: watcher.statusOf(runId),
        });
      }
    }
    return out;
  }

  /** True while any environment has a poll scheduled or in flight; false once nothing is being watched. */
  get isPolling(): boolean {
    return [...this.watchers.values()].some((w) => w.isPolling);
  }

  /** New poll bounds (a settings change); applies from the next tick. */
  setPollInterval(options: Partial<PollIntervalOptions>): void {
    this.poll = normalizePollInterval(options);
  }

  /**
   * Asks the service to cancel a queued or running run, then watches it to its end (the `finished` event
   * reports `cancelled`). Throws `RunError` `alreadyFinished`, `notOwner`, `runNotFound`, or the `ApiError`.
   */
  async cancel(subject: RunSubject, signal: AbortSignal): Promise<CancelResult> {
    const result = await cancelRun(this.options.backendFor(subject.environment), subject.runId, signal);
    const watcher = this.watchers.get(watcherKey(subject.environment));
    if (watcher?.activeRunIds.some((id) => idKey(id) === idKey(subject.runId)) === true) {
      watcher.poke();
    } else {
      await this.watch(subject);
    }
    return result;
  }

  /** Recent runs of a flow, newest first, paged. */
  history(
    environment: EnvironmentRef,
    flowId: string,
    options: { readonly pageSize?: number; readonly nextPage?: string },
    signal: AbortSignal,
  ): Promise<RunHistoryPage> {
    return listRunHistory(this.options.backendFor(environment), flowId, options, signal, this.clock.now());
  }

  /** One run's details: inputs (masked with `options.maskInputs`), outputs, error and remedy, timings, portal data. */
  details(
    environment: EnvironmentRef,
    runId: string,
    options: RunDetailsOptions,
    signal: AbortSignal,
  ): Promise<RunDetails> {
    return getRunDetails(
      this.options.backendFor(environment),
      environment,
      runId,
      options,
      signal,
      this.clock.now(),
    );
  }

  /** A run's outputs; `undefined` when it has none (yet). */
  outputs(
    environment: EnvironmentRef,
    runId: string,
    signal: AbortSignal,
  ): Promise<Record<string, unknown> | undefined> {
    return this.options.backendFor(environment).getRunOutputs(runId, signal);
  }

  /** The outputs of two runs of one environment, and what changed. */
  compareOutputs(
    environment: EnvironmentRef,
    beforeRunId: string,
    afterRunId: string,
    signal: AbortSignal,
    mask?: ValueMasker,
  ): Promise<OutputsComparison> {
    return compareRunOutputs(this.options.backendFor(environment), beforeRunId, afterRunId, signal, mask);
  }

  /** Resolves once every journal change so far is saved (e.g. before the extension deactivates). */
  flushJournal(): Promise<void> {
    return this.journal.flush();
  }

  /** Stops every watcher, timer and pending request; no events follow. */
  dispose(): void {
    this.lifetime.abort();
    for (const watcher of this.watchers.values()) {
      watcher.dispose();
    }
    this.watchers.clear();
    this.events.dispose();
  }

  private watcherFor(environment: EnvironmentRef): EnvironmentRunWatcher {
    const k = watcherKey(environment);
    let watcher = this.watchers.get(k);
    if (watcher === undefined) {
      watcher = new EnvironmentRunWatcher({
        environment,
        backend: this.options.backendFor(environment),
        clock: this.clock,
        logger: this.logger,
        poll: () => this.poll,
        emit: (e) => this.emit(e),
        beforeSettle: (runId) => this.journal.remove(environment.orgUrl, runId),
        onProgress: (runId, p) => {
          void this.journal.update(environment.orgUrl, runId, {
            lastStatus: p.lastStatus,
            actionLogCount: p.actionLogCount,
          });
        },
        ...(this.options.statusChunkSize === undefined ? {} : { chunkSize: this.options.statusChunkSize }),
        ...(this.options.actionLogIntervalMs === undefined
          ? {}
          : { actionLogIntervalMs: this.options.actionLogIntervalMs }),
      });
      this.watchers.set(k, watcher);
    }
    return watcher;
  }

  private emit(event: RunEvent): void {
    if (this.lifetime.signal.aborted) {
      return;
    }
    try {
      this.events.fire(event);
    } catch (e) {
      // A failing listener must not break watching for everyone else.
      this.logger.error(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

const statuses = new Set<string>(Object.values(runStatusByCode));

/** A journaled status name, if it is one this version knows. */
function knownStatus(name: string | undefined): RunStatus | undefined {
  return name !== undefined && statuses.has(name) ? (name as RunStatus) : undefined;
}

function watcherKey(environment: EnvironmentRef): string {
  return orgKey(environment.orgUrl);
}
