/**
 * Runs in the CLI go through the same `RunService` as the extension: the exactly-once trigger, the
 * per-connection rate limiter and the environment watcher. This file builds one for an invocation and
 * turns its event stream into progress on stderr (the shared transcript lines) and a promise of the
 * run's end for `--wait`.
 */
import { AuthError, ApiError, CancellationError } from '../core/errors';
import type { Logger } from '../core/logger';
import { DataverseRunsBackend } from '../core/runs/dataverseRunsBackend';
import type { RunEvent, RunFinishedEvent } from '../core/runs/runEvents';
import { RunService } from '../core/runs/runService';
import { defaultStateDir, SharedRunState } from '../core/runs/sharedRunState';
import { formatRunEvent } from '../core/runs/runTranscript';
import type { ServiceSession } from '../core/serviceSession';
import type { Subscription } from '../core/util/events';
import type { CliValues } from './cliCommand';
import { numberValue } from './cliCommand';
import { usageError } from './cliErrors';
import type { CliOutput } from './cliIo';

/** Default fastest status check (the extension's default, docs/service-contract.md#flowsessions-run-status). */
const defaultPollSeconds = 2;
/** Fastest status check a real service gets from the CLI. */
const minimumPollSeconds = 1;
/** Fastest status check against a sandbox on this machine, where polling costs nothing. */
const minimumLoopbackPollSeconds = 0.05;
/** Consecutive failed status checks after which `--wait` gives up: sign-in problems do not heal alone. */
const maxAuthFailures = 3;
const maxOtherFailures = 10;

/** `--poll-interval` in milliseconds, checked against what the target allows. */
export function pollIntervalMs(values: CliValues, loopback: boolean): number {
  const seconds =
    numberValue(values, 'poll-interval', { min: minimumLoopbackPollSeconds, max: 600 }) ?? defaultPollSeconds;
  if (!loopback && seconds < minimumPollSeconds) {
    throw usageError(
      `--poll-interval must be at least ${minimumPollSeconds} second against a real service (got ${seconds}).`,
    );
  }
  return Math.round(seconds * 1000);
}

/**
 * A `RunService` over one session, polling at `pollMs` at the fastest. Claims and start locks are shared
 * with this user's other processes (`SharedRunState`, under the OS state directory or
 * `DESKTOPFLOWS_STATE_DIR`).
 */
export function createRunService(
  session: ServiceSession,
  logger: Logger,
  pollMs: number,
  options: {
    readonly resendWhenUncertain?: boolean;
    readonly env?: Readonly<Record<string, string | undefined>>;
  } = {},
): RunService {
  return new RunService({
    backendFor: (environment) => new DataverseRunsBackend(session.runs, environment.orgUrl),
    shared: new SharedRunState(defaultStateDir(options.env ?? process.env)),
    ...(options.resendWhenUncertain === undefined
      ? {}
      : { resendWhenUncertain: options.resendWhenUncertain }),
    logger,
    poll: { minMs: pollMs, maxMs: Math.max(pollMs, 30_000) },
    actionLogIntervalMs: Math.round(pollMs * 2.5),
  });
}

/**
 * Prints the events of one invocation's `RunService` (one run) on stderr, and settles `finished()` when
 * the run ends, or fails when watching it failed for good.
 */
export class RunProgress {
  private readonly subscription: Subscription;
  private runId: string | undefined;
  private readonly ended: Promise<RunFinishedEvent>;
  private resolveEnded: (event: RunFinishedEvent) => void = () => undefined;
  private rejectEnded: (error: unknown) => void = () => undefined;

  constructor(
    service: RunService,
    private readonly out: CliOutput,
    private readonly maskOutputs: (outputs: Record<string, unknown>) => Record<string, unknown>,
    runId?: string,
  ) {
    this.runId = runId?.toLowerCase();
    this.ended = new Promise<RunFinishedEvent>((resolve, reject) => {
      this.resolveEnded = resolve;
      this.rejectEnded = reject;
    });
    // Nobody may be waiting yet when watching fails; the failure is still reported by `finished()`.
    this.ended.catch(() => undefined);
    this.subscription = service.onEvent((e) => this.onEvent(e));
  }

  /** Resolves with the run's `finished` event; rejects on a watch failure or when `signal` aborts. */
  finished(signal: AbortSignal): Promise<RunFinishedEvent> {
    if (signal.aborted) {
      return Promise.reject(new CancellationError());
    }
    return new Promise<RunFinishedEvent>((resolve, reject) => {
      const onAbort = (): void => reject(new CancellationError());
      signal.addEventListener('abort', onAbort, { once: true });
      this.ended.then(
        (e) => {
          signal.removeEventListener('abort', onAbort);
          resolve(e);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private ours(runId: string): boolean {
    return this.runId !== undefined && runId.toLowerCase() === this.runId;
  }

  private onEvent(event: RunEvent): void {
    if (event.kind === 'triggered') {
      this.runId = event.runId.toLowerCase();
    }
    this.out.note(formatRunEvent(event, { maskOutputs: this.maskOutputs }));
    if (event.kind === 'finished' && this.ours(event.runId)) {
      this.resolveEnded(event);
    } else if (event.kind === 'error' && event.runIds.some((id) => this.ours(id))) {
      const limit =
        AuthError.is(event.error) || ApiError.is(event.error, 'unauthorized')
          ? maxAuthFailures
          : maxOtherFailures;
      if (event.retryAt === undefined || event.consecutiveFailures >= limit) {
        this.rejectEnded(event.error);
      }
    }
  }
}
