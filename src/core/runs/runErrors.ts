/**
 * Typed failures of run operations that are not plain service errors: the UI and CLI branch on `reason`
 * and word the message themselves. Service failures stay `ApiError`s (kept as `cause` here when wrapped).
 */
import type { RunOptionsProblem } from './runOptions';

/** Why a run operation failed. */
export type RunErrorReason =
  /** The run options are not valid; `problems` lists them. */
  | 'invalidOptions'
  /** Cancel of a run that already ended; `status` is its final status. */
  | 'alreadyFinished'
  /** Status or cancel needs Owner access to the run (docs/service-contract.md#rundesktopflow); the cause is the 403 `ApiError`. */
  | 'notOwner'
  /** The run does not exist, or is not visible to the caller. */
  | 'runNotFound'
  /**
   * The start request may have reached the service, and it could not be confirmed whether a run was
   * created (the lookup kept failing). The run is not retried, so it is never started twice; the maker
   * should check the flow's run history.
   */
  | 'outcomeUnknown';

/** Construction data for `RunError`. */
export interface RunErrorInit {
  readonly reason: RunErrorReason;
  readonly message: string;
  readonly runId?: string;
  readonly flowId?: string;
  /** Final status name, for `alreadyFinished`. */
  readonly status?: string;
  /** For `invalidOptions`. */
  readonly problems?: readonly RunOptionsProblem[];
  readonly cause?: unknown;
}

/** A run operation failure the UI can explain. */
export class RunError extends Error {
  readonly reason: RunErrorReason;
  readonly runId: string | undefined;
  readonly flowId: string | undefined;
  readonly status: string | undefined;
  readonly problems: readonly RunOptionsProblem[];

  constructor(init: RunErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'RunError';
    this.reason = init.reason;
    this.runId = init.runId;
    this.flowId = init.flowId;
    this.status = init.status;
    this.problems = init.problems ?? [];
  }

  /** True when `e` is a RunError, and (when given) has one of the reasons. */
  static is(e: unknown, ...reasons: RunErrorReason[]): e is RunError {
    return e instanceof RunError && (reasons.length === 0 || reasons.includes(e.reason));
  }
}
