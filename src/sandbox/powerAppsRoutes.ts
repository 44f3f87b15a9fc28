/**
 * The Power Apps resource provider (API Hub) host (reference 5.1, blueprint row 15): desktop-flow
 * connections of one environment, filtered with exactly `environment eq '<env id>'`, with
 * `api-version` required, ARM/API-hub error bodies, and `connectionParametersSet` behind a switch.
 */
import { authenticate } from './auth';
import { armError, bapEnvironment, requireApiVersion } from './bapRoutes';
import type { EnvironmentState } from './environmentState';
import { jsonReply, queryPairs, ServiceError } from './httpUtil';
import type { Reply, RequestContext } from './httpUtil';
import { serviceUrls } from './sandboxRuntime';
import type { SandboxRuntime } from './sandboxRuntime';
import type { ConnectionKind, SeedConnection } from './seedTypes';

const uiflowApiId = '/providers/Microsoft.PowerApps/apis/shared_uiflow';

/**
 * Parameter-set names per connection kind. `azureRelay` and `azureRelayRunOwner` are documented; the
 * sign-in kind's name is not, so `azureRelaySignIn` is the sandbox's plausible choice [Inferred].
 */
const parameterSetNames: Record<ConnectionKind, string> = {
  usernamePassword: 'azureRelay',
  signIn: 'azureRelaySignIn',
  runOwner: 'azureRelayRunOwner',
};

function connectionJson(
  rt: SandboxRuntime,
  env: EnvironmentState,
  c: SeedConnection,
): Record<string, unknown> {
  const owner = rt.data.users.find((u) => u.oid === c.ownerOid) ?? rt.data.users[0];
  const created = c.createdTime ?? '2025-01-08T10:00:00.0000000Z';
  const properties: Record<string, unknown> = {
    apiId: uiflowApiId,
    displayName: c.displayName,
    iconUri: `${serviceUrls(rt.origin).portal}/icons/uiflow.png`,
    statuses:
      c.status === 'Error'
        ? [
            {
              status: 'Error',
              target: 'token',
              error: {
                code: c.errorCode ?? 'Unauthorized',
                message: 'The credentials of the connection are not valid.',
              },
            },
          ]
        : [{ status: 'Connected' }],
    createdBy: owner
      ? {
          id: owner.oid,
          displayName: owner.name,
          email: owner.upn,
          type: 'User',
          tenantId: rt.data.tenantId,
          userPrincipalName: owner.upn,
        }
      : undefined,
    createdTime: created,
    lastModifiedTime: created,
    environment: {
      id: `/providers/Microsoft.PowerApps/environments/${env.seed.environmentId}`,
      name: env.seed.environmentId,
    },
    allowSharing: false,
    accountName: c.kind === 'signIn' ? (owner?.upn ?? c.username) : c.username,
  };
  if (rt.settings.connectionParametersOnGet) {
    properties.connectionParametersSet = {
      name: parameterSetNames[c.kind],
      values: {
        targetId: { value: c.targetGroupId },
        ...(c.kind === 'signIn' ? {} : { username: { value: c.username } }),
      },
    };
  }
  return {
    name: c.name,
    id: `${uiflowApiId}/connections/${c.name}`,
    type: 'Microsoft.PowerApps/apis/connections',
    properties,
  };
}

/** The environment named by `$filter=environment eq '<id>'`; 400 when the filter is missing or different. */
function filteredEnvironment(ctx: RequestContext, rt: SandboxRuntime): EnvironmentState {
  const filter = queryPairs(ctx.rawQuery).find(([n]) => n === '$filter')?.[1];
  if (filter === undefined || filter.trim() === '') {
    throw new ServiceError(400, 'MissingEnvironmentFilter', 'The environment filter must be set.');
  }
  const m = /^\s*environment\s+eq\s+'([^']*)'\s*$/.exec(filter);
  if (!m) {
    throw new ServiceError(
      400,
      'InvalidFilter',
      `The filter '${filter}' is not supported; use environment eq '<environment name>'.`,
    );
  }
  const id = (m[1] as string).toLowerCase();
  const env = [...rt.environments.values()].find((e) => e.seed.environmentId.toLowerCase() === id);
  if (env === undefined) {
    throw new ServiceError(
      404,
      'EnvironmentNotFound',
      `The environment '${m[1] as string}' could not be found.`,
    );
  }
  return env;
}

/** Handles `/powerapps/...`; `path` is the part after `/powerapps`. */
export function handlePowerApps(ctx: RequestContext, rt: SandboxRuntime, path: string): Reply {
  try {
    authenticate(ctx, rt, [serviceUrls(rt.origin).powerApps], 'arm');
    const prefix = '/providers/Microsoft.PowerApps';
    const list = path === `${prefix}/apis/shared_uiflow/connections` || path === `${prefix}/connections`;
    const single = new RegExp(`^${prefix}/apis/shared_uiflow/connections/([^/]+)$`).exec(path);
    const environments = path === `${prefix}/environments`;
    if (!list && !single && !environments) {
      throw new ServiceError(404, 'ApiHubsRequestFailed', `The route '${path}' was not found.`);
    }
    if (ctx.method !== 'GET') {
      throw new ServiceError(
        405,
        'MethodNotAllowed',
        `The HTTP method '${ctx.method}' is not supported for '${path}'.`,
      );
    }
    requireApiVersion(ctx);
    if (environments) {
      return jsonReply(200, {
        value: [...rt.environments.values()].map((e) => ({
          ...bapEnvironment(rt, e),
          id: `${prefix}/environments/${e.seed.environmentId}`,
          type: 'Microsoft.PowerApps/environments',
        })),
      });
    }
    const env = filteredEnvironment(ctx, rt);
    if (single) {
      const name = decodeURIComponent(single[1] as string);
      const c = env.connections.get(name.toLowerCase());
      if (c === undefined) {
        throw new ServiceError(
          404,
          'ConnectionNotFound',
          `Could not find connection '${name}' for API 'shared_uiflow'.`,
        );
      }
      return jsonReply(200, connectionJson(rt, env, c));
    }
    return jsonReply(200, { value: [...env.connections.values()].map((c) => connectionJson(rt, env, c)) });
  } catch (e) {
    if (e instanceof ServiceError) {
      return armError(e);
    }
    throw e;
  }
}
