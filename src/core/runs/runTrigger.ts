/**
 * Starting a run exactly once. RunDesktopFlow is not idempotent, so:
 *
 * 1. A request that surely never reached the service (`ApiError.mayHaveReachedService === false`: refused
 *    connection, DNS, connect timeout, token failure before sending) is simply sent again.
 * 2. A request the service rejected (4xx other than 408/429) created nothing: the error is raised.
 * 3. A 429 created nothing either: the connection is blocked for `Retry-After` and the request waits.
 * 4. Any other failure (dropped connection or timeout after sending, 408, 5xx) leaves the outcome unknown.
 *    We then *reconcile*: list the flow's API-started runs created since the request instant (minus a
 *    clock-skew margin), drop runs already attributed to a request, and match run mode and connection
 *    (see reconciliation.ts). Found: that run is ours. Not found after the lookups have settled: the
 *    service did not create it, and only then is the request sent again. If the lookups themselves keep
 *    failing, we neither resend nor pretend: `RunError` `outcomeUnknown`.
 *
 * Triggers of the same flow on the same connection are serialized (KeyedMutex), so at most one request
 * per flow+connection is ever unresolved and reconciliation has one request to attribute runs to; runs
 * found for it are claimed synchronously, so concurrent reconciliations on other connections can never
 * take the same run. Triggers for other flows or connections proceed in parallel.
 *
 * What this cannot rule out, stated so nobody relies on more: a request the service only processes after
 * our last lookup (the lookups span several seconds after our side gave up, on top of the HTTP timeout)
 * would be started again; and a run another client starts on the same flow, connection and run mode
 * within the same seconds can be taken for ours when our own request created nothing.
 *
 * Once a request has been sent, the caller's `AbortSignal` no longer abandons it: the outcome is settled
 * under the service's lifetime signal, so a run that was started is always returned (and watched) rather
 * than lost because someone pressed Cancel at the wrong moment.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, CancellationError } from '../errors';
import type { Logger } from '../logger';
import type { LicenseCheck, Run } from '../model/run';
import { throwIfAborted } from '../util/abort';
import { errorBackoffMs, normalizePollInterval } from './pollInterval';
import type { RateWait, SlidingWindowRateLimiter } from './rateLimiter';
import { ClaimedRuns, chooseReconciledRun, reconciliationCandidates, sameJson } from './reconciliation';
import type { RunClock } from './runClock';
import { RunError } from './runErrors';
import type { RunLicenseWarningEvent, RunWaitingForRateLimitEvent } from './runEvents';
import type { EnvironmentRef } from './runJournal';
import { connectionKey, runDesktopFlowRequest, validateRunOptions, type RunOptions } from './runOptions';
import type { RunsBackend } from './runsBackend';
import { KeyedMutex } from './keyedMutex';

/** What to start. */
export interface TriggerRequest {
  readonly environment: EnvironmentRef;
  readonly flowId: string;
  readonly flowName?: string;
  /** Validated again here; invalid options raise `RunError` `invalidOptions`. */
  readonly options: RunOptions;
  /** The exact inputs string to send (from `prepareRunInputs`), or `undefined` for a flow without inputs. */
  readonly inputs?: string;
  /** Ties rate-limit events to this request; a random UUID when omitted. */
  readonly triggerId?: string;
}

/** A started run. */
export interface TriggeredRun {
  readonly triggerId: string;
  readonly environment: EnvironmentRef;
  readonly flowId: string;
  readonly flowName?: string;
  readonly runId: string;
  readonly options: RunOptions;
  /** Run-clock instant the accepted request was sent (epoch ms). */
  readonly triggeredAt: number;
  /** `undefined` when the service left it out or the answer was lost. */
  readonly licenseCheck: LicenseCheck | undefined;
  /** True when the answer was lost and the run was found by reconciliation. */
  readonly reconciled: boolean;
  /** Start requests sent. */
  readonly attempts: number;
}

/** Tuning of reconciliation. Defaults suit the real service; tests shorten nothing but the clock. */
export interface ReconcileOptions {
  /** How far before our request instant a run's `createdon` may lie (clock skew between us and the service). */
  readonly skewMarginMs?: number;
  /**
   * When to look for the run after an unknown outcome (clock ms after the failure). A request still being
   * processed when our side gave up becomes visible a little later; "not found" is concluded only after
   * the last lookup.
   */
  readonly lookupDelaysMs?: readonly number[];
  /** Extra lookups when lookups fail (network), before giving up with `outcomeUnknown`. */
  readonly lookupRetries?: number;
  /** Start requests per trigger before the last error is raised. */
  readonly maxAttempts?: number;
}

const reconcileDefaults: Required<ReconcileOptions> = {
  skewMarginMs: 120_000,
  lookupDelaysMs: [0, 2_000, 5_000],
  lookupRetries: 5,
  maxAttempts: 5,
};

/** Pages of candidate runs read per lookup; a flow rarely has more than a handful in the window. */
const maxLookupPages = 10;
/** Candidates whose inputs are read to break a tie. */
const maxInputComparisons = 10;

/** Dependencies of `RunTrigger`. */
export interface RunTriggerOptions {
  readonly backendFor: (environment: EnvironmentRef) => RunsBackend;
  readonly limiter: SlidingWindowRateLimiter;
  readonly clock: RunClock;
  readonly logger: Logger;
  /** Aborts when the owning service is disposed: bounds work done after a request was sent. */
  readonly lifetime: AbortSignal;
  readonly reconcile?: ReconcileOptions;
  readonly onWaiting?: (event: RunWaitingForRateLimitEvent) => void;
  readonly onLicenseWarning?: (event: RunLicenseWarningEvent) => void;
}

type AttemptOutcome =
  | {
      readonly kind: 'started';
      readonly runId: string;
      readonly licenseCheck: LicenseCheck | undefined;
      readonly reconciled: boolean;
    }
  | { readonly kind: 'retry'; readonly error: unknown; readonly delayMs: number };

/** Starts runs exactly once, within the per-connection rate limit. */
export class RunTrigger {
  private readonly mutex = new KeyedMutex();
  private readonly claimed: ClaimedRuns;
  private readonly tuning: Required<ReconcileOptions>;
  private readonly backoff = normalizePollInterval({ minMs: 1_000, maxMs: 15_000 });

  constructor(private readonly deps: RunTriggerOptions) {
    this.tuning = { ...reconcileDefaults, ...deps.reconcile };
    // A claim matters only while a later request's window can still include the run.
    this.claimed = new ClaimedRuns(this.tuning.skewMarginMs * 2 + 600_000);
  }

  /**
   * Marks runs as already attributed (e.g. journaled runs after a restart), so reconciliation never
   * mistakes them for the outcome of a new request.
   */
  claim(runIds: Iterable<string>): void {
    this.claimed.claim(runIds, this.deps.clock.now());
  }

  /**
   * Start a run. Waits (and reports waiting) for the connection's rate budget, sends RunDesktopFlow, and
   * settles an unknown outcome by reconciliation. Throws `RunError` (`invalidOptions`, `outcomeUnknown`),
   * `ApiError` when the service rejected the request, `CancellationError` when `signal` aborted before
   * anything was sent.
   */
  async trigger(request: TriggerRequest, signal: AbortSignal): Promise<TriggeredRun> {
    throwIfAborted(signal);
    const validation = validateRunOptions(request.options);
    if (!validation.ok) {
      throw new RunError({
        reason: 'invalidOptions',
        message: 'The run options are not valid.',
        flowId: request.flowId,
        problems: validation.problems,
      });
    }
    const options = validation.options;
    const connKey = connectionKey(options.connection);
    const org = request.environment.orgUrl.toLowerCase();
    const serialKey = `${org}|${request.flowId.toLowerCase()}|${connKey}`;
    const triggerId = request.triggerId ?? randomUUID();
    return this.mutex.run(serialKey, signal, () =>
      this.triggerSerialized({ ...request, options, triggerId }, `${org}|${connKey}`, connKey, signal),
    );
  }

  private async triggerSerialized(
    request: TriggerRequest & { readonly triggerId: string },
    rateKey: string,
    connKey: string,
    signal: AbortSignal,
  ): Promise<TriggeredRun> {
    const { clock, limiter, logger } = this.deps;
    const backend = this.deps.backendFor(request.environment);
    const body = runDesktopFlowRequest(request.options, request.inputs);
    const onWait = (w: RateWait): void => {
      logger.info(
        `[runs] start of ${request.flowName ?? request.flowId} waits for ${w.reason} until ${new Date(w.until).toISOString()}`,
      );
      this.deps.onWaiting?.({
        kind: 'waitingForRateLimit',
        at: clock.now(),
        triggerId: request.triggerId,
        environment: request.environment,
        flowId: request.flowId,
        ...(request.flowName === undefined ? {} : { flowName: request.flowName }),
        connectionKey: connKey,
        reason: w.reason,
        until: w.until,
      });
    };

    for (let attempt = 1; ; attempt++) {
      const permit = await limiter.acquire(rateKey, signal, onWait);
      if (signal.aborted) {
        permit.cancel();
        throw new CancellationError();
      }
      const triggeredAt = clock.now();
      const outcome = await this.attempt(backend, request, body, triggeredAt, permit, rateKey);
      if (outcome.kind === 'started') {
        this.claimed.claim([outcome.runId], clock.now());
        const run: TriggeredRun = {
          triggerId: request.triggerId,
          environment: request.environment,
          flowId: request.flowId,
          ...(request.flowName === undefined ? {} : { flowName: request.flowName }),
          runId: outcome.runId,
          options: request.options,
          triggeredAt,
          licenseCheck: outcome.licenseCheck,
          reconciled: outcome.reconciled,
          attempts: attempt,
        };
        logger.info(
          `[runs] started ${request.flowName ?? request.flowId}: run ${run.runId}${run.reconciled ? ' (found after the answer was lost)' : ''}, attempt ${attempt}`,
        );
        this.reportLicence(run);
        return run;
      }
      if (attempt >= this.tuning.maxAttempts) {
        throw outcome.error;
      }
      logger.info(
        `[runs] start of ${request.flowName ?? request.flowId} not accepted, sending again in ${outcome.delayMs} ms`,
      );
      if (outcome.delayMs > 0) {
        // Waiting before a resend is still "before sending": the caller may give up here.
        await clock.sleep(outcome.delayMs, signal);
      }
    }
  }

  /** Sends one start request and settles its outcome. */
  private async attempt(
    backend: RunsBackend,
    request: TriggerRequest & { readonly triggerId: string },
    body: ReturnType<typeof runDesktopFlowRequest>,
    triggeredAt: number,
    permit: { done(): void; cancel(): void },
    rateKey: string,
  ): Promise<AttemptOutcome> {
    const { clock, lifetime, limiter, logger } = this.deps;
    let failure: unknown;
    try {
      const started = await backend.startRun(request.flowId, body, lifetime);
      permit.done();
      return {
        kind: 'started',
        runId: started.sessionId,
        licenseCheck: started.licenseCheck,
        reconciled: false,
      };
    } catch (e) {
      failure = e;
    }
    if (!ApiError.is(failure)) {
      // Token or programming failures happen before anything is sent; cancellation here is the service
      // shutting down, when nothing more can be done.
      permit.cancel();
      throw failure;
    }
    const e = failure;
    if (!e.mayHaveReachedService) {
      permit.cancel();
      if (e.reason === 'network' || e.reason === 'timeout' || e.reason === 'server') {
        return { kind: 'retry', error: e, delayMs: errorBackoffMs(1, undefined, this.backoff) };
      }
      throw e;
    }
    permit.done();
    if (e.reason === 'throttled') {
      const waitMs = e.retryAfterSeconds !== undefined ? Math.ceil(e.retryAfterSeconds * 1000) : 60_000;
      limiter.blockUntil(rateKey, clock.now() + waitMs);
      return { kind: 'retry', error: e, delayMs: 0 };
    }
    if (e.status !== undefined && e.status < 500 && e.status !== 408) {
      throw e;
    }
    logger.warn(
      `[runs] start of ${request.flowName ?? request.flowId} failed after it may have reached the service (${e.reason}${e.status === undefined ? '' : ` ${e.status}`}); looking for the run before deciding`,
    );
    const found = await this.reconcile(backend, request, triggeredAt, e);
    if (found !== undefined) {
      return { kind: 'started', runId: found.id, licenseCheck: undefined, reconciled: true };
    }
    logger.info(`[runs] no run was created by the lost request for ${request.flowName ?? request.flowId}`);
    return { kind: 'retry', error: e, delayMs: 0 };
  }

  /**
   * Looks for the run an unresolved request may have created. Returns it (claimed), or `undefined` when
   * the settled lookups show none; throws `RunError` `outcomeUnknown` when the lookups keep failing.
   */
  private async reconcile(
    backend: RunsBackend,
    request: TriggerRequest,
    triggeredAt: number,
    cause: ApiError,
  ): Promise<Run | undefined> {
    const { clock, lifetime, logger } = this.deps;
    const delays = [...this.tuning.lookupDelaysMs];
    let failures = 0;
    let previousDelay = 0;
    for (let i = 0; i < delays.length; i++) {
      const delay = delays[i] ?? 0;
      if (delay > previousDelay) {
        await clock.sleep(delay - previousDelay, lifetime);
      }
      previousDelay = delay;
      let rows: Run[];
      try {
        rows = await this.lookup(backend, request, triggeredAt);
      } catch (e) {
        if (CancellationError.is(e)) {
          throw e;
        }
        if (!ApiError.is(e) || failures >= this.tuning.lookupRetries) {
          throw new RunError({
            reason: 'outcomeUnknown',
            message:
              'The run may have started, but it could not be confirmed. Check the run history before starting it again.',
            flowId: request.flowId,
            cause: e,
          });
        }
        failures++;
        logger.warn(`[runs] looking for the run failed (${e.reason}); trying again`);
        // A failed lookup proves nothing: repeat it (after a backoff) rather than count it as "not found".
        delays.splice(i + 1, 0, previousDelay + errorBackoffMs(failures, e.retryAfterSeconds, this.backoff));
        continue;
      }
      const found = await this.pick(backend, request, rows, triggeredAt);
      if (found !== undefined) {
        return found;
      }
    }
    logger.debug(
      `[runs] settled lookups after "${cause.reason}" found no run (${failures} failed lookup(s) repeated)`,
    );
    return undefined;
  }

  /** The flow's API-started runs since the request instant minus the skew margin, oldest first. */
  private async lookup(backend: RunsBackend, request: TriggerRequest, triggeredAt: number): Promise<Run[]> {
    const { lifetime } = this.deps;
    const query = {
      flowId: request.flowId,
      createdOnOrAfter: triggeredAt - this.tuning.skewMarginMs,
      apiTriggeredOnly: true,
      columns: 'status',
      order: 'oldestFirst',
      pageSize: 50,
    } as const;
    let page = await backend.listRuns(query, lifetime);
    const rows = [...page.runs];
    for (let n = 1; page.nextPage !== undefined && n < maxLookupPages; n++) {
      page = await backend.listRunsPage(page.nextPage, query, lifetime);
      rows.push(...page.runs);
    }
    return rows;
  }

  /** Chooses and claims the run among lookup rows; reads inputs only to break a tie. */
  private async pick(
    backend: RunsBackend,
    request: TriggerRequest,
    rows: Run[],
    triggeredAt: number,
  ): Promise<Run | undefined> {
    const { clock, lifetime, logger } = this.deps;
    let candidates = reconciliationCandidates(rows, request.options, this.claimed);
    if (candidates.length === 0) {
      return undefined;
    }
    const inputsMatch = new Map<string, boolean>();
    if (candidates.length > 1 && request.inputs !== undefined) {
      const ours = JSON.parse(request.inputs) as unknown;
      for (const candidate of candidates.slice(0, maxInputComparisons)) {
        try {
          const theirs = await backend.getRunInputs(candidate.id, lifetime);
          if (theirs !== undefined) {
            inputsMatch.set(candidate.id, sameJson(ours, theirs));
          }
        } catch (e) {
          if (CancellationError.is(e)) {
            throw e;
          }
          // Unreadable inputs leave the candidate in the race; the creation time decides.
        }
      }
      // Reading inputs awaited: another reconciliation may have claimed some candidates meanwhile.
      candidates = reconciliationCandidates(candidates, request.options, this.claimed);
    }
    if (candidates.length > 1) {
      logger.warn(
        `[runs] ${candidates.length} unclaimed runs could be the lost one; taking the closest in time`,
      );
    }
    const chosen = chooseReconciledRun(candidates, triggeredAt, inputsMatch);
    if (chosen !== undefined) {
      // Synchronously after choosing: nothing else can take it in between.
      this.claimed.claim([chosen.id], clock.now());
    }
    return chosen;
  }

  private reportLicence(run: TriggeredRun): void {
    const check = run.licenseCheck;
    if (check === undefined || check.code === 'ValidLicenseCoverage') {
      return;
    }
    this.deps.logger.warn(`[runs] licence check for run ${run.runId}: ${check.code}`);
    this.deps.onLicenseWarning?.({
      kind: 'licenseWarning',
      at: this.deps.clock.now(),
      environment: run.environment,
      flowId: run.flowId,
      ...(run.flowName === undefined ? {} : { flowName: run.flowName }),
      runId: run.runId,
      licenseCheck: check,
    });
  }
}
