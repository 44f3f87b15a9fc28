/**
 * `--env`: an org URL, used directly (only the org is asked, for its display name), or an environment
 * id, org unique name or display name, resolved through discovery (Global Discovery, enriched by BAP).
 * A `DESKTOPFLOWS_TOKEN` issued for the org only is therefore enough with an org URL.
 */
import { isLoopbackHost, trimTrailingSlashes } from '../core/http/urlSafety';
import type { Logger } from '../core/logger';
import type { Environment } from '../core/model/environment';
import type { EnvironmentRef } from '../core/runs/runJournal';
import type { ServiceSession } from '../core/serviceSession';
import { usageError } from './cliErrors';

/** The environment a command works in. */
export interface CliEnvironment {
  /** Power Platform environment id; `undefined` when only the org URL is known. */
  readonly id: string | undefined;
  readonly displayName: string | undefined;
  readonly uniqueName: string | undefined;
  /** Dataverse org URL without trailing slash. */
  readonly orgUrl: string;
  /** The runs core's reference (its id falls back to the org URL). */
  readonly ref: EnvironmentRef;
  /** Discovery region code (`NA`, `CHN`, …), when discovered: the China cloud's inputs limit is 1 MB. */
  readonly region?: string;
}

function fromEnvironment(e: Environment): CliEnvironment {
  return {
    id: e.id,
    displayName: e.displayName,
    uniqueName: e.uniqueName,
    orgUrl: e.orgUrl,
    ref: { id: e.id, orgUrl: e.orgUrl, displayName: e.displayName },
    ...(e.region === undefined ? {} : { region: e.region }),
  };
}

/** The org URL a `--env` URL names: trailing slashes and a pasted Web API path removed. */
export function orgUrlFrom(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw usageError(`--env "${value}" is not a valid URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw usageError(`--env "${value}" must be an https:// org URL.`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw usageError(
      `--env "${value}" uses plain http, which is allowed for loopback addresses only: use https://.`,
    );
  }
  const path = url.pathname.replace(/\/api\/data\/v\d+(\.\d+)?\/?$/i, '');
  return trimTrailingSlashes(`${url.origin}${path}`);
}

/** True when `--env` is given as a URL rather than an id or name. */
export function isUrlKey(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim());
}

/**
 * The environment at an org URL, asking only the org itself: never Global Discovery or BAP, which a
 * proxy, DNS filter or an org-only `DESKTOPFLOWS_TOKEN` may keep out of reach. The display name,
 * unique name and environment id come from `RetrieveCurrentOrganization`; when the org does not answer
 * it, the host names the environment and the id stays unknown.
 */
export async function environmentAtOrgUrl(
  session: ServiceSession,
  orgUrl: string,
  signal: AbortSignal,
  logger: Logger,
): Promise<CliEnvironment> {
  const detail = await session.environments.currentOrganization(orgUrl, signal);
  const host = new URL(orgUrl).host;
  const displayName = detail?.friendlyName ?? host;
  logger.debug(`[cli] using ${orgUrl} directly (${displayName}); no discovery`);
  return {
    id: detail?.environmentId,
    displayName,
    uniqueName: detail?.uniqueName,
    orgUrl,
    ref: { id: detail?.environmentId ?? orgUrl, orgUrl, displayName },
  };
}

/**
 * Finds the environment `key` names: an org URL directly (no discovery), an id or name through
 * discovery. Throws a usage error (exit 2) when none or several match; service failures propagate.
 */
export async function resolveEnvironment(
  session: ServiceSession,
  key: string,
  signal: AbortSignal,
  logger: Logger,
): Promise<CliEnvironment> {
  const wanted = key.trim();
  if (wanted === '') {
    throw usageError('--env is empty: give an org URL, environment id, unique name or display name.');
  }
  if (isUrlKey(wanted)) {
    return await environmentAtOrgUrl(session, orgUrlFrom(wanted), signal, logger);
  }
  const environments = await session.environments.list(signal);
  const lower = wanted.toLowerCase();
  const byId = environments.filter(
    (e) =>
      e.id.toLowerCase() === lower ||
      e.uniqueName?.toLowerCase() === lower ||
      e.organizationId?.toLowerCase() === lower,
  );
  const matches = byId.length > 0 ? byId : environments.filter((e) => e.displayName.toLowerCase() === lower);
  const [first, second] = matches;
  if (first === undefined) {
    throw usageError(
      `No environment matches "${wanted}". Run \`desktop-flows envs\` to list the environments you can reach, and pass an org URL, id or name to --env.`,
    );
  }
  if (second !== undefined) {
    throw usageError(
      `${matches.length} environments are named "${wanted}" (${matches.map((e) => e.id).join(', ')}): pass the id or org URL to --env.`,
    );
  }
  return fromEnvironment(first);
}
