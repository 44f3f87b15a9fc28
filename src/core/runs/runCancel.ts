/**
 * Cancelling a run (CancelDesktopFlowRun, docs/service-contract.md#canceldesktopflowrun) with failures the UI can explain: a run that
 * already ended (found before sending, or the service's 4xx for it), a missing Owner privilege (status
 * and cancel both need Owner access, docs/service-contract.md#rundesktopflow), a run that does not exist.
 */
import { ApiError, CancellationError } from '../errors';
import { isTerminal, type Run, type RunStatus } from '../model/run';
import { RunError } from './runErrors';
import type { RunsBackend } from './runsBackend';

/** What a successful cancel request found. */
export interface CancelResult {
  readonly runId: string;
  /** Status when the cancel was sent (`waiting` or `running` etc.). */
  readonly statusBefore: RunStatus;
}

function typed(e: unknown, runId: string, flowId: string | undefined): unknown {
  if (ApiError.is(e, 'forbidden')) {
    return new RunError({
      reason: 'notOwner',
      message: 'Checking and cancelling a run needs Owner access to it.',
      runId,
      ...(flowId === undefined ? {} : { flowId }),
      cause: e,
    });
  }
  if (ApiError.is(e, 'notFound')) {
    return new RunError({
      reason: 'runNotFound',
      message: `Run ${runId} does not exist or is not visible to you.`,
      runId,
      ...(flowId === undefined ? {} : { flowId }),
      cause: e,
    });
  }
  return e;
}

function alreadyFinished(run: Run, cause?: unknown): RunError {
  return new RunError({
    reason: 'alreadyFinished',
    message: `The run already ended (${run.status}).`,
    runId: run.id,
    ...(run.flowId === undefined ? {} : { flowId: run.flowId }),
    status: run.status,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Asks the service to cancel a queued or running run. The run ends as `cancelled` shortly after; watch it
 * to see that. Throws `RunError` `alreadyFinished`, `notOwner` or `runNotFound`, or the `ApiError`.
 */
export async function cancelRun(
  backend: RunsBackend,
  runId: string,
  signal: AbortSignal,
): Promise<CancelResult> {
  let before: Run;
  try {
    before = await backend.getRun(runId, signal);
  } catch (e) {
    throw typed(e, runId, undefined);
  }
  if (isTerminal(before.status)) {
    throw alreadyFinished(before);
  }
  try {
    await backend.cancelRun(runId, signal);
    return { runId, statusBefore: before.status };
  } catch (e) {
    if (CancellationError.is(e) || ApiError.is(e, 'forbidden', 'notFound')) {
      throw typed(e, runId, before.flowId);
    }
    // What the service answers for a run that ended meanwhile is undocumented (docs/service-contract.md#canceldesktopflowrun): any other
    // failure means "re-read the run". Ended: say so. Cancelled (the answer was lost): that is success.
    if (!ApiError.is(e)) {
      throw e;
    }
    let after: Run;
    try {
      after = await backend.getRun(runId, signal);
    } catch {
      throw e;
    }
    if (after.status === 'cancelled' && (e.status === undefined || e.status >= 500)) {
      return { runId, statusBefore: before.status };
    }
    if (isTerminal(after.status)) {
      throw alreadyFinished(after, e);
    }
    throw e;
  }
}
