/**
 * Everything the runs core reports, as one typed stream. The VS Code layer (status bar, transcript
 * channel, notifications, tree) and the CLI subscribe to `RunService.onEvent` and switch on `kind`; each
 * event carries all the data needed to show it, so no listener has to query anything back.
 */
import type { LicenseCheck, RunStatus } from '../model/run';
import type { RunAction } from '../model/runActionLog';
import type { RateWaitReason } from './rateLimiter';
import type { EnvironmentRef } from './runJournal';
import type { RunOptions } from './runOptions';

/**
 * What the UI shows about a run started through `RunService.start`, carried by its `triggered` event and
 * every later event (and kept in the journal, so resumed runs carry it too). Holds no secret: inputs are masked.
 */
export interface RunDisplay {
  readonly flowName: string;
  /** The environment's display name (its org URL when only that is known). */
  readonly environmentName: string;
  /** The connection's display name, or the connection reference's. */
  readonly connectionName: string;
  /** The inputs as sent, with sensitive and resolved values replaced by `********`; `undefined` when none were sent. */
  readonly maskedInputs: string | undefined;
  readonly sensitiveInputNames: readonly string[];
  /** Which front end started it (`RunRequest.origin`). */
  readonly origin: string;
}

/** Which run an event is about. */
export interface RunSubject {
  readonly environment: EnvironmentRef;
  readonly flowId: string;
  readonly flowName?: string;
  /** `flowsessionid`. */
  readonly runId: string;
  /** Present for runs started through `RunService.start` (and resumed ones it journaled). */
  readonly display?: RunDisplay;
}

/** The machine a run went to. */
export interface RunMachine {
  readonly id: string;
  /** From the service's formatted value, when it sent one. */
  readonly name: string | undefined;
}

/** Timings derived from the run's own timestamps (service clock), in milliseconds. */
export interface RunTimings {
  /** When the run was queued (`createdon`), ISO 8601. */
  readonly createdOn: string | undefined;
  /** When a machine picked it up (`startedon`), ISO 8601. */
  readonly startedOn: string | undefined;
  /** When it ended (`completedon`), ISO 8601. */
  readonly completedOn: string | undefined;
  /** Time in the queue: `startedon − createdon`, or up to now while still queued. */
  readonly queueWaitMs: number | undefined;
  /** Time on the machine: `completedon − startedon`, or up to now while running. */
  readonly runTimeMs: number | undefined;
}

/** A start request was accepted: the run exists and is being watched. */
export interface RunTriggeredEvent extends RunSubject {
  readonly kind: 'triggered';
  readonly at: number;
  readonly triggerId: string;
  readonly options: RunOptions;
  /** True when the service's answer was lost and the run was found by looking it up. */
  readonly reconciled: boolean;
  /** Start requests sent for it (more than 1 only after requests that surely never reached the service, or 429s). */
  readonly attempts: number;
}

/** A start request waits before it is sent: our per-connection limit, or the service's 429. */
export interface RunWaitingForRateLimitEvent {
  readonly kind: 'waitingForRateLimit';
  /** Present when the run was started through `RunService.start`. */
  readonly display?: RunDisplay;
  readonly at: number;
  readonly triggerId: string;
  readonly environment: EnvironmentRef;
  readonly flowId: string;
  readonly flowName?: string;
  /** The connection whose budget is used up (see `connectionKey`). */
  readonly connectionKey: string;
  readonly reason: RateWaitReason;
  /** Expected end of the wait, epoch ms. */
  readonly until: number;
}

/** The licence check of the start response was not `ValidLicenseCoverage` (the run may still go ahead). */
export interface RunLicenseWarningEvent extends RunSubject {
  readonly kind: 'licenseWarning';
  readonly at: number;
  readonly licenseCheck: LicenseCheck;
}

/**
 * The run moved to another status that is not final (the first observation included: `previous` is then
 * `undefined`). The final status is reported by `finished` instead.
 */
export interface RunStateChangedEvent extends RunSubject, RunTimings {
  readonly kind: 'stateChanged';
  readonly at: number;
  readonly previous: RunStatus | undefined;
  readonly status: RunStatus;
  readonly machine: RunMachine | undefined;
}

/** New V1 action-log entries appeared (each entry is reported once). */
export interface RunActionLogEvent extends RunSubject {
  readonly kind: 'actionLog';
  readonly at: number;
  readonly entries: readonly RunAction[];
}

/**
 * The run ended. Reported exactly once per run, including runs that ended while nobody was watching. Its
 * `runTimeMs` is `endedRunTimeMs`: the service's, or the time it was seen running when the row gives none.
 */
export interface RunFinishedEvent extends RunSubject, RunTimings {
  readonly kind: 'finished';
  readonly at: number;
  readonly status: RunStatus;
  readonly machine: RunMachine | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  /** Outputs of a succeeded run (fetched once); `undefined` for other statuses or when there are none. */
  readonly outputs: Record<string, unknown> | undefined;
  /** Why outputs of a succeeded run could not be read, if they could not. */
  readonly outputsError: unknown;
  /** True when the run ended before this watch resumed (e.g. during a window reload). */
  readonly endedWhileAway: boolean;
}

/** Watching failed: a poll failed (and will be retried), or a run can no longer be watched. */
export interface RunWatchErrorEvent {
  readonly kind: 'error';
  readonly at: number;
  readonly environment: EnvironmentRef;
  /** The runs affected. */
  readonly runIds: readonly string[];
  /** `ApiError`, `AuthError` or `RunError` (`runNotFound`). */
  readonly error: unknown;
  /** Consecutive failed polls of this environment. */
  readonly consecutiveFailures: number;
  /** When the next attempt happens (epoch ms); `undefined` when these runs are no longer watched. */
  readonly retryAt: number | undefined;
}

/** Every event of the runs core. */
export type RunEvent =
  | RunTriggeredEvent
  | RunWaitingForRateLimitEvent
  | RunLicenseWarningEvent
  | RunStateChangedEvent
  | RunActionLogEvent
  | RunFinishedEvent
  | RunWatchErrorEvent;

/** Timings from a run's timestamps; open intervals are measured up to `now` (epoch ms). */
export function runTimings(
  run: {
    readonly createdOn: string | undefined;
    readonly startedOn: string | undefined;
    readonly completedOn: string | undefined;
  },
  now: number,
): RunTimings {
  const created = parseTime(run.createdOn);
  const started = parseTime(run.startedOn);
  const completed = parseTime(run.completedOn);
  let queueWaitMs: number | undefined;
  if (created !== undefined) {
    const queueEnd = started ?? completed ?? now;
    queueWaitMs = Math.max(0, queueEnd - created);
  }
  const runTimeMs = started === undefined ? undefined : Math.max(0, (completed ?? now) - started);
  return {
    createdOn: run.createdOn,
    startedOn: run.startedOn,
    completedOn: run.completedOn,
    queueWaitMs,
    runTimeMs,
  };
}

/** When a watch first saw a run running: clock time, and the run time the service's row gave then. */
export interface SeenRunning {
  readonly at: number;
  readonly runTimeMs: number;
}

/**
 * The run time of an ended run, at `now` (clock time its end was observed). The service's
 * (`completedon − startedon`, or up to `now` without `completedon`) when it gives a positive one. A row that
 * gives none, or none that is positive (a run cancelled while running whose `completedon` is missing, is not
 * after its `startedon`, or whose `startedon` is ahead of this clock), is measured from when the watch saw it running to `now`,
 * so a run that ran for a while never reads "0 ms".
 */
export function endedRunTimeMs(
  serviceMs: number | undefined,
  seenRunning: SeenRunning | undefined,
  now: number,
): number | undefined {
  if ((serviceMs !== undefined && serviceMs > 0) || seenRunning === undefined) {
    return serviceMs;
  }
  const observed = seenRunning.runTimeMs + Math.max(0, now - seenRunning.at);
  return observed > 0 ? observed : serviceMs;
}

function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) {
    return undefined;
  }
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}
