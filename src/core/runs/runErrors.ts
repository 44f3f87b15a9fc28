/**
 * Typed failures of run operations that are not plain service errors: the UI and CLI branch on `reason`
 * and word the message themselves. Service failures stay `ApiError`s (kept as `cause` here when wrapped).
 */
import type { RunStatus } from '../model/run';
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
   * The start request may have reached the service, and the evidence does not single out the run it
   * created: several runs could be it (`candidateRunIds`), one could be it but its inputs could not be
   * read, the lookups kept failing, or none was found and resending is off. The request is not sent again,
   * so a run is never started twice; the maker checks the flow's runs created since `since`.
   */
  | 'outcomeUnknown';

/** A run that an uncertain start request may have created, as the lookup read it. */
export interface RunCandidate {
  readonly id: string;
  /** `createdon` (ISO), when the service gave it. */
  readonly createdOn: string | undefined;
  readonly status: RunStatus;
  readonly machineName: string | undefined;
}

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
  /** For `outcomeUnknown`: runs that could have been created by the request (possibly none). */
  readonly candidateRunIds?: readonly string[];
  /** For `outcomeUnknown`: what the lookup read of each candidate (same order as `candidateRunIds`). */
  readonly candidates?: readonly RunCandidate[];
  /** For `outcomeUnknown`: the flow's display name, for the check command. */
  readonly flowName?: string;
  /** For `outcomeUnknown`: ISO instant (service time when known) from which to list the flow's runs. */
  readonly since?: string;
  readonly cause?: unknown;
}

/** A run operation failure the UI can explain. */
export class RunError extends Error {
  readonly reason: RunErrorReason;
  readonly runId: string | undefined;
  readonly flowId: string | undefined;
  readonly status: string | undefined;
  readonly problems: readonly RunOptionsProblem[];
  readonly candidateRunIds: readonly string[];
  readonly candidates: readonly RunCandidate[];
  readonly flowName: string | undefined;
  readonly since: string | undefined;

  constructor(init: RunErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'RunError';
    this.reason = init.reason;
    this.runId = init.runId;
    this.flowId = init.flowId;
    this.status = init.status;
    this.problems = init.problems ?? [];
    this.candidateRunIds = init.candidateRunIds ?? [];
    this.candidates = init.candidates ?? [];
    this.flowName = init.flowName;
    this.since = init.since;
  }

  /** True when `e` is a RunError, and (when given) has one of the reasons. */
  static is(e: unknown, ...reasons: RunErrorReason[]): e is RunError {
    return e instanceof RunError && (reasons.length === 0 || reasons.includes(e.reason));
  }
}
