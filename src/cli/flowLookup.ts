/**
 * A flow named on the command line: its id (`workflowid`) or its exact name. Names are looked up with the
 * server-side `contains` filter and then matched exactly (case-sensitively first), so listing stays one
 * small request even in environments with thousands of flows. Draft-only flows are found too.
 */
import { ApiError } from '../core/errors';
import { closestName } from '../core/inputs/nameSimilarity';
import type { DesktopFlow } from '../core/model/flow';
import type { ServiceSession } from '../core/serviceSession';
import { usageError } from './cliErrors';
import type { CliEnvironment } from './environmentLookup';

const guidPattern = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

/** True when `value` is shaped like a GUID (a flow or run id). */
export function isGuid(value: string): boolean {
  return guidPattern.test(value.trim());
}

/** A GUID without braces, lower-cased. */
export function normalizeGuid(value: string): string {
  return value
    .trim()
    .replace(/^\{|\}$/g, '')
    .toLowerCase();
}

function where(environment: CliEnvironment): string {
  return environment.displayName === undefined ? environment.orgUrl : `"${environment.displayName}"`;
}

/** One flow of each id, the published layer first. */
function uniqueById(flows: readonly DesktopFlow[]): DesktopFlow[] {
  const byId = new Map<string, DesktopFlow>();
  for (const flow of flows) {
    const key = flow.id.toLowerCase();
    const seen = byId.get(key);
    if (seen === undefined || (seen.isUnpublished && !flow.isUnpublished)) {
      byId.set(key, flow);
    }
  }
  return [...byId.values()];
}

async function byId(
  session: ServiceSession,
  environment: CliEnvironment,
  id: string,
  signal: AbortSignal,
): Promise<DesktopFlow> {
  const org = environment.orgUrl;
  try {
    return await session.flows.get(org, id, signal);
  } catch (e) {
    if (!ApiError.is(e, 'notFound')) {
      throw e;
    }
  }
  try {
    // A flow that was never published exists only as an unpublished layer.
    return await session.flows.get(org, id, signal, { includeDrafts: true });
  } catch (e) {
    if (ApiError.is(e, 'notFound')) {
      throw usageError(
        `No desktop flow with id ${id} in ${where(environment)}. \`desktop-flows flows --env …\` lists the flows.`,
      );
    }
    throw e;
  }
}

/** Finds the desktop flow `key` (id or exact name) names; a usage error when none or several match. */
export async function resolveFlow(
  session: ServiceSession,
  environment: CliEnvironment,
  key: string,
  signal: AbortSignal,
): Promise<DesktopFlow> {
  const wanted = key.trim();
  if (wanted === '') {
    throw usageError('The flow name is empty: give a flow id or its exact name.');
  }
  if (isGuid(wanted)) {
    return byId(session, environment, normalizeGuid(wanted), signal);
  }
  const candidates = uniqueById(
    await session.flows.listAll(environment.orgUrl, { includeDrafts: true, nameContains: wanted }, signal),
  );
  let matches = candidates.filter((f) => f.name === wanted);
  if (matches.length === 0) {
    matches = candidates.filter((f) => f.name.toLowerCase() === wanted.toLowerCase());
  }
  const [first, second] = matches;
  if (first === undefined) {
    // Only on this error path: every name, so a typo ("Echo Txt") still finds its flow.
    const every =
      candidates.length > 0
        ? candidates
        : await session.flows.listAll(environment.orgUrl, { includeDrafts: true, pageSize: 5000 }, signal);
    const near = closestName(
      wanted,
      every.map((f) => f.name),
    );
    throw usageError(
      `No desktop flow named "${wanted}" in ${where(environment)}.${near === undefined ? '' : ` Did you mean "${near}"?`} \`desktop-flows flows\` lists the flows; a flow id works too.`,
    );
  }
  if (second !== undefined) {
    throw usageError(
      `${matches.length} desktop flows are named "${wanted}" (${matches.map((f) => f.id).join(', ')}): name the flow by its id.`,
    );
  }
  return first;
}
