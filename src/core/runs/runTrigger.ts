/**
 * Starting a run exactly once. RunDesktopFlow is not idempotent and has no idempotency key, so:
 *
 * 1. A request that surely never reached the service (`ApiError.mayHaveReachedService === false`: refused
 *    connection, DNS, connect timeout, token failure before sending) is simply sent again.
 * 2. A request the service rejected (4xx other than 408/429) created nothing: the error is raised.
 * 3. A 429 created nothing either: the connection is blocked for `Retry-After` and the request waits.
 * 4. Any other failure (dropped connection or timeout after sending, 408, 5xx) leaves the outcome unknown.
 *    We then *reconcile* (rules in reconciliation.ts): look for a run matching caller, flow, connection,
 *    mode, creation time (on the service's clock, from its `Date` header) and inputs, and keep looking
 *    until the service's maximum request execution time (`maxRequestMs`, docs/service-contract.md) has
 *    passed on the service's clock. Exactly one provable match: that run is ours. Several, or one whose
 *    inputs cannot be read: `RunError` `outcomeUnknown` with the candidates. None once the time has
 *    passed: the service did not create one, and only then is the request sent again, unless resending
 *    is off (`resendWhenUncertain: false`), when the outcome is reported unknown.
 *
 * Triggers of the same flow on the same connection are serialized: in this process by `KeyedMutex`, and
 * across this user's processes (CLI, extension, batch, agent tools) by a lock file in the shared state
 * (`SharedRunState`). So at most one request per flow+connection on this machine is ever unresolved.
 * Every run attributed to a request (answered or found) is claimed in the shared state before the lock is
 * released, and claimed runs are never adopted again by anyone.
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
import {
  ClaimedRuns,
  defaultMaxRequestMs,
  exclusionOf,
  requestWindowPassed,
  sameInputs,
  untilRequestWindowEnds,
  windowStartOf,
  type RunEvidence,
  type SendInstant,
} from './reconciliation';
import type { SharedRunState } from './sharedRunState';
import { realToClockMs, type RunClock } from './runClock';
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
  /**
   * Names of the flow's sensitive inputs (from its schema). The service may store them hidden, so only the
   * other inputs are compared when looking for a run whose answer was lost. Omitted: none.
   */
  readonly sensitiveInputNames?: readonly string[];
  /**
   * When the outcome is uncertain and no run was found once the service's maximum request time has
   * passed: send again (`true`, the default of `RunTriggerOptions.resendWhenUncertain`) or report
   * `outcomeUnknown` (`false`).
   */
  readonly resendWhenUncertain?: boolean;
  /** Ties rate-limit events to this request; a random UUID when omitted. */
  readonly triggerId?: string;
  /**
   * Awaited just before each start request is sent (after the rate budget and the service's time were
   * read), with the instant it is sent: a batch journals it, so a later process can settle the request by
   * the same window. Throwing sends nothing.
   */
  readonly onSend?: (sent: SendInstant) => Promise<void>;
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
  /**
   * Only when the service's time is unknown (no `Date` header): how far before our request instant a run's
   * `createdon` may lie (clock skew between us and the service).
   */
  readonly skewMarginMs?: number;
  /**
   * The service's maximum execution time for a request, plus a margin (default 150 s: Dataverse ends a
   * request after 2 minutes, docs/service-contract.md). A request can create its run no later than this
   * after it was sent; "no run" is concluded only once the service's clock has passed it.
   */
  readonly maxRequestMs?: number;
  /** Pauses between lookups (run-clock ms); the last one repeats. Shortened once the deadline is near. */
  readonly lookupDelaysMs?: readonly number[];
  /** Lookups per uncertain request at most; then the outcome is reported unknown. */
  readonly maxLookups?: number;
  /** Extra lookups when lookups fail (network), before giving up with `outcomeUnknown`. */
  readonly lookupRetries?: number;
  /** Start requests per trigger before the last error is raised. */
  readonly maxAttempts?: number;
}

const reconcileDefaults: Required<ReconcileOptions> = {
  skewMarginMs: 120_000,
  maxRequestMs: defaultMaxRequestMs,
  lookupDelaysMs: [0, 250, 1_000, 2_000, 4_000, 8_000, 15_000],
  maxLookups: 60,
  lookupRetries: 5,
  maxAttempts: 5,
};

/** Pages of candidate runs read per lookup; a flow rarely has more than a handful in the window. */
const maxLookupPages = 10;
/** Candidates whose inputs are read; more than this is reported as ambiguous. */
const maxInputComparisons = 10;

/** The service's clock and the caller, read just before a start request is sent. */
interface SendContext extends SendInstant {
  readonly callerId: string | undefined;
}

/** Dependencies of `RunTrigger`. */
export interface RunTriggerOptions {
  readonly backendFor: (environment: EnvironmentRef) => RunsBackend;
  readonly limiter: SlidingWindowRateLimiter;
  readonly clock: RunClock;
  readonly logger: Logger;
  /** Aborts when the owning service is disposed: bounds work done after a request was sent. */
  readonly lifetime: AbortSignal;
  readonly reconcile?: ReconcileOptions;
  /**
   * Claims and the start lock shared with this user's other processes. Without it (tests of one process)
   * both live in this process only.
   */
  readonly shared?: SharedRunState;
  /** Default of `TriggerRequest.resendWhenUncertain` (default true). */
  readonly resendWhenUncertain?: boolean;
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

/** What settling an uncertain request found. */
type Reconciled = { readonly kind: 'found'; readonly run: Run } | { readonly kind: 'none' };

/** Starts runs exactly once, within the per-connection rate limit. */
export class RunTrigger {
  private readonly mutex = new KeyedMutex();
  private readonly claimed: ClaimedRuns;
  private readonly tuning: Required<ReconcileOptions>;
  private readonly backoff = normalizePollInterval({ minMs: 1_000, maxMs: 15_000 });
  /** WhoAmI `UserId` per org, read once per session. */
  private readonly callers = new Map<string, string | undefined>();

  constructor(private readonly deps: RunTriggerOptions) {
    this.tuning = { ...reconcileDefaults, ...deps.reconcile };
    // A claim matters only while a later request's window can still include the run.
    this.claimed = new ClaimedRuns(this.tuning.skewMarginMs * 2 + this.tuning.maxRequestMs * 4 + 600_000);
  }

  /**
   * Marks runs as already attributed (e.g. journaled runs after a restart), so reconciliation never
   * mistakes them for the outcome of a new request (here and, with shared state, in other processes).
   */
  claim(runIds: Iterable<string>): void {
    const ids = [...runIds];
    this.claimed.claim(ids, this.deps.clock.now());
    void this.deps.shared?.claim(ids, this.deps.lifetime).catch((e: unknown) => {
      this.deps.logger.warn(
        `[runs] could not record claimed runs: ${e instanceof Error ? e.message : String(e)}`,
      );
    });
  }

  /**
   * Start a run. Waits (and reports waiting) for the connection's rate budget and start lock, sends
   * RunDesktopFlow, and settles an uncertain outcome by reconciliation. Throws `RunError` (`invalidOptions`,
   * `outcomeUnknown`), `ApiError` when the service rejected the request, `CancellationError` when `signal`
   * aborted before anything was sent.
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
    const serialized = (): Promise<TriggeredRun> =>
      this.triggerSerialized({ ...request, options, triggerId }, `${org}|${connKey}`, connKey, signal);
    const shared = this.deps.shared;
    return this.mutex.run(serialKey, signal, () =>
      shared === undefined ? serialized() : shared.withLock(`start|${serialKey}`, signal, serialized),
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
      let context: SendContext;
      try {
        context = await this.sendContext(backend, request.environment.orgUrl, signal);
        await request.onSend?.({ serviceTime: context.serviceTime, localTime: context.localTime });
      } catch (e) {
        // Nothing was sent yet.
        permit.cancel();
        throw e;
      }
      const triggeredAt = clock.now();
      const outcome = await this.attempt(backend, request, body, context, permit, rateKey);
      if (outcome.kind === 'started') {
        this.claimed.claim([outcome.runId], clock.now());
        // Claimed for every process before the start lock is released.
        await this.deps.shared?.claim([outcome.runId], this.deps.lifetime);
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

  /**
   * The caller (WhoAmI `UserId`, read once per org) and the service's clock (`Date` of a WhoAmI answer,
   * read before every send). Without `whoAmI` (fakes) both are unknown.
   */
  private async sendContext(backend: RunsBackend, orgUrl: string, signal: AbortSignal): Promise<SendContext> {
    const localTime = this.deps.clock.now();
    if (backend.whoAmI === undefined) {
      return { callerId: undefined, serviceTime: undefined, localTime };
    }
    const answer = await backend.whoAmI(signal);
    const org = orgUrl.toLowerCase();
    if (!this.callers.has(org) || this.callers.get(org) === undefined) {
      this.callers.set(org, answer.userId);
    }
    return {
      callerId: this.callers.get(org),
      serviceTime: answer.serviceTime,
      localTime: this.deps.clock.now(),
    };
  }

  /** Sends one start request and settles its outcome. */
  private async attempt(
    backend: RunsBackend,
    request: TriggerRequest & { readonly triggerId: string },
    body: ReturnType<typeof runDesktopFlowRequest>,
    context: SendContext,
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
      // Retry-After is real seconds; the limiter measures on the run clock (faster against a sped-up sandbox).
      const waitMs =
        e.retryAfterSeconds !== undefined
          ? Math.ceil(realToClockMs(clock, e.retryAfterSeconds * 1000))
          : 60_000;
      limiter.blockUntil(rateKey, clock.now() + waitMs);
      return { kind: 'retry', error: e, delayMs: 0 };
    }
    if (e.status !== undefined && e.status < 500 && e.status !== 408) {
      throw e;
    }
    logger.warn(
      `[runs] start of ${request.flowName ?? request.flowId} failed after it may have reached the service (${e.reason}${e.status === undefined ? '' : ` ${e.status}`}); looking for the run before deciding`,
    );
    const settled = await this.reconcile(backend, request, context, e);
    if (settled.kind === 'found') {
      return { kind: 'started', runId: settled.run.id, licenseCheck: undefined, reconciled: true };
    }
    const resend = request.resendWhenUncertain ?? this.deps.resendWhenUncertain ?? true;
    if (!resend) {
      throw this.unknown(
        request,
        context,
        [],
        'The start request may have reached the service, and no run it created was found; it was not sent again because resending is turned off.',
        e,
      );
    }
    logger.info(
      `[runs] no run was created by the uncertain request for ${request.flowName ?? request.flowId} (the service's maximum request time has passed)`,
    );
    return { kind: 'retry', error: e, delayMs: 0 };
  }

  /** The earliest `createdon` a run of this request can have. */
  private windowStart(context: SendContext): number {
    return windowStartOf(context, this.tuning.skewMarginMs);
  }

  private unknown(
    request: TriggerRequest,
    context: SendContext,
    candidates: readonly Run[],
    message: string,
    cause: unknown,
  ): RunError {
    return new RunError({
      reason: 'outcomeUnknown',
      message,
      flowId: request.flowId,
      ...(request.flowName === undefined ? {} : { flowName: request.flowName }),
      candidateRunIds: candidates.map((r) => r.id),
      candidates: candidates.map((r) => ({
        id: r.id,
        createdOn: r.createdOn,
        status: r.status,
        machineName: r.machineName,
      })),
      since: new Date(this.windowStart(context)).toISOString().replace('.000Z', 'Z'),
      cause,
    });
  }

  /**
   * Looks for the run an uncertain request may have created until the service's maximum request time has
   * passed. Returns it (claimed), or `none`; throws `RunError` `outcomeUnknown` when the evidence does not
   * single out one run or the lookups keep failing.
   */
  private async reconcile(
    backend: RunsBackend,
    request: TriggerRequest,
    context: SendContext,
    cause: ApiError,
  ): Promise<Reconciled> {
    const { clock, lifetime, logger } = this.deps;
    const tuning = this.tuning;
    const evidence: RunEvidence = {
      options: request.options,
      callerId: context.callerId,
      createdOnOrAfter: this.windowStart(context),
    };
    // However the service's clock behaves, give up after twice the time on our own clock.
    const hardStop = context.localTime + tuning.maxRequestMs * 2 + 60_000;
    let failures = 0;
    let serviceNow = context.serviceTime;
    for (let lookup = 0; lookup < tuning.maxLookups; lookup++) {
      const scheduled = tuning.lookupDelaysMs[Math.min(lookup, tuning.lookupDelaysMs.length - 1)] ?? 1_000;
      const delay = failures > 0 ? errorBackoffMs(failures, undefined, this.backoff) : scheduled;
      const pause = Math.min(
        delay,
        untilRequestWindowEnds(context, tuning.maxRequestMs, serviceNow, clock.now()),
      );
      if (pause > 0) {
        await clock.sleep(pause, lifetime);
      }
      if (clock.now() > hardStop) {
        break;
      }
      let rows: Run[];
      try {
        if (backend.whoAmI !== undefined && context.serviceTime !== undefined) {
          // The service's time *before* the lookup: every run created up to then is in its answer.
          serviceNow = (await backend.whoAmI(lifetime)).serviceTime ?? serviceNow;
        }
        rows = await this.lookup(backend, request, evidence.createdOnOrAfter);
      } catch (e) {
        if (CancellationError.is(e)) {
          throw e;
        }
        if (!ApiError.is(e) || failures >= tuning.lookupRetries) {
          throw this.unknown(
            request,
            context,
            [],
            'The run may have started, but it could not be confirmed because looking for it failed.',
            e,
          );
        }
        failures++;
        logger.warn(`[runs] looking for the run failed (${e.reason}); trying again`);
        continue;
      }
      failures = 0;
      const shared = await this.deps.shared?.claimed();
      const isClaimed = (id: string): boolean =>
        this.claimed.has(id) || (shared?.has(id.toLowerCase()) ?? false);
      const candidates = rows.filter((r) => exclusionOf(r, evidence, isClaimed) === undefined);
      if (candidates.length > 0) {
        const { matches, unsure } = await this.compareInputs(backend, request, candidates);
        if (matches.length === 1 && unsure.length === 0) {
          const run = matches[0] as Run;
          this.claimed.claim([run.id], clock.now());
          await this.deps.shared?.claim([run.id], lifetime);
          return { kind: 'found', run };
        }
        if (matches.length + unsure.length > 0) {
          const possible = [...matches, ...unsure];
          const ids = possible.map((r) => r.id);
          logger.warn(
            `[runs] ${ids.length} run(s) could have been started by the uncertain request; not guessing`,
          );
          throw this.unknown(
            request,
            context,
            possible,
            ids.length === 1
              ? 'The start request may have started a run, and one run could be it, but its inputs could not be read to prove it.'
              : `The start request may have started a run, and ${ids.length} runs could be it.`,
            cause,
          );
        }
      }
      if (requestWindowPassed(context, tuning.maxRequestMs, serviceNow, clock.now())) {
        logger.debug(`[runs] settled lookups after "${cause.reason}" found no run (${lookup + 1} lookup(s))`);
        return { kind: 'none' };
      }
    }
    throw this.unknown(
      request,
      context,
      [],
      "The run may have started, but it could not be confirmed before the service's maximum request time had passed.",
      cause,
    );
  }

  /** The flow's API-started runs created since `createdOnOrAfter`, oldest first. */
  private async lookup(
    backend: RunsBackend,
    request: TriggerRequest,
    createdOnOrAfter: number,
  ): Promise<Run[]> {
    const { lifetime } = this.deps;
    const query = {
      flowId: request.flowId,
      createdOnOrAfter,
      apiTriggeredOnly: true,
      columns: 'reconcile',
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

  /** Reads candidates' stored inputs: matching ones, and ones that could not be read (or were not). */
  private async compareInputs(
    backend: RunsBackend,
    request: TriggerRequest,
    candidates: readonly Run[],
  ): Promise<{ matches: Run[]; unsure: Run[] }> {
    const matches: Run[] = [];
    const unsure: Run[] = candidates.slice(maxInputComparisons);
    for (const candidate of candidates.slice(0, maxInputComparisons)) {
      try {
        const stored = await backend.getRunInputs(candidate.id, this.deps.lifetime);
        if (sameInputs(request.inputs, stored, request.sensitiveInputNames)) {
          matches.push(candidate);
        }
      } catch (e) {
        if (CancellationError.is(e)) {
          throw e;
        }
        unsure.push(candidate);
      }
    }
    return { matches, unsure };
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
