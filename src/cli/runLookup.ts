/**
 * Reading one run and what explains it: the run by id (with the runs core's typed "not found" and "not
 * owner" failures), its flow's name, and its flow's output schema (to mask sensitive outputs).
 */
import { ApiError, CancellationError } from '../core/errors';
import { parseDesktopFlowSchema, type DesktopFlowSchema } from '../core/inputs/desktopFlowSchema';
import { maskInputs } from '../core/inputs/maskInputs';
import type { Logger } from '../core/logger';
import type { Run } from '../core/model/run';
import { RunError } from '../core/runs/runErrors';
import type { ServiceSession } from '../core/serviceSession';
import { usageError } from './cliErrors';
import type { CliEnvironment } from './environmentLookup';
import { isGuid, normalizeGuid } from './flowLookup';

/** The run id argument, checked. */
export function runIdArgument(value: string | undefined): string {
  if (value === undefined || value.trim() === '') {
    throw usageError('Give the run id (the flowsessionid `desktop-flows run` printed).');
  }
  if (!isGuid(value)) {
    throw usageError(
      `"${value}" is not a run id: run ids are GUIDs, e.g. 1f0e2d3c-0000-4000-8000-000000000000.`,
    );
  }
  return normalizeGuid(value);
}

/** One run; `RunError` `runNotFound` / `notOwner` for the service's 404 / 403. */
export async function getRun(
  session: ServiceSession,
  environment: CliEnvironment,
  runId: string,
  signal: AbortSignal,
): Promise<Run> {
  try {
    return await session.runs.getFlowSession(environment.orgUrl, runId, signal);
  } catch (e) {
    if (ApiError.is(e, 'notFound')) {
      throw new RunError({
        reason: 'runNotFound',
        message: `Run ${runId} does not exist in ${environment.displayName ?? environment.orgUrl}, or is not visible to you.`,
        runId,
        cause: e,
      });
    }
    if (ApiError.is(e, 'forbidden')) {
      throw new RunError({
        reason: 'notOwner',
        message: 'Checking and cancelling a run needs Owner access to it.',
        runId,
        cause: e,
      });
    }
    throw e;
  }
}

/** A flow's name, or `undefined` when it cannot be read (the run is still shown). */
export async function flowNameOf(
  session: ServiceSession,
  environment: CliEnvironment,
  flowId: string | undefined,
  signal: AbortSignal,
  logger: Logger,
): Promise<string | undefined> {
  if (flowId === undefined) {
    return undefined;
  }
  try {
    return (await session.flows.get(environment.orgUrl, flowId, signal, { includeDrafts: true })).name;
  } catch (e) {
    if (CancellationError.is(e)) {
      throw e;
    }
    logger.debug(
      `[cli] could not read the name of flow ${flowId}: ${e instanceof Error ? e.message : String(e)}`,
    );
    return undefined;
  }
}

/** A flow's output schema; `undefined` when it cannot be read (then nothing is masked by schema). */
export async function outputSchemaOf(
  session: ServiceSession,
  environment: CliEnvironment,
  flowId: string | undefined,
  signal: AbortSignal,
  logger: Logger,
): Promise<DesktopFlowSchema | undefined> {
  if (flowId === undefined) {
    return undefined;
  }
  try {
    const raw = await session.flows.getSchema(environment.orgUrl, flowId, 'outputs', signal, {
      includeDrafts: true,
    });
    return parseDesktopFlowSchema(raw, 'outputs').schema;
  } catch (e) {
    if (CancellationError.is(e)) {
      throw e;
    }
    logger.debug(
      `[cli] could not read the output schema of flow ${flowId}: ${e instanceof Error ? e.message : String(e)}`,
    );
    return undefined;
  }
}

/** Masks outputs the flow marks as sensitive (identity when `show` or without a schema). */
export function outputMasker(
  schema: DesktopFlowSchema | undefined,
  show: boolean,
): (outputs: Record<string, unknown>) => Record<string, unknown> {
  return show || schema === undefined ? (o) => o : (o) => maskInputs(o, schema);
}
