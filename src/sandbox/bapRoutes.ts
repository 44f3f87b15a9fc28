/**
 * BAP environments (reference 2.2, blueprint row 2): the maker-level list and single-environment GET,
 * with `linkedEnvironmentMetadata.instanceUrl` ending in `/` like the real service.
 */
import { authenticate } from './auth';
import type { EnvironmentState } from './environmentState';
import { jsonReply, ServiceError } from './httpUtil';
import type { Reply, RequestContext } from './httpUtil';
import { orgApiUrl, orgUrl, serviceUrls } from './sandboxRuntime';
import type { SandboxRuntime } from './sandboxRuntime';
import { defaultSandboxUser } from './tokens';

/** ARM-style error body used by BAP and the Power Apps resource provider. */
export function armError(e: ServiceError): Reply {
  return jsonReply(e.status, { error: { code: e.code, message: e.message } }, e.headers);
}

/** Throws the ARM 400 when `api-version` is missing. */
export function requireApiVersion(ctx: RequestContext): void {
  if ((ctx.url.searchParams.get('api-version') ?? '') === '') {
    throw new ServiceError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  }
}

/** The BAP shape of one environment. */
export function bapEnvironment(rt: SandboxRuntime, env: EnvironmentState): Record<string, unknown> {
  const s = env.seed;
  const urls = serviceUrls(rt.origin);
  const hasDataverse = s.dataverse !== false;
  return {
    id: `/providers/Microsoft.BusinessAppPlatform/environments/${s.environmentId}`,
    type: 'Microsoft.BusinessAppPlatform/environments',
    location: s.chinaCloud === true ? 'china' : 'unitedstates',
    name: s.environmentId,
    properties: {
      tenantId: rt.data.tenantId,
      azureRegion: s.chinaCloud === true ? 'chinaeast2' : 'westus',
      displayName: s.friendlyName,
      description: '',
      createdTime: '2024-11-01T08:00:00.0000000Z',
      createdBy: { id: defaultSandboxUser.oid, displayName: defaultSandboxUser.name, type: 'User' },
      provisioningState: 'Succeeded',
      creationType: s.isDefault === true ? 'DefaultTenant' : 'User',
      environmentSku: s.sku ?? 'Sandbox',
      isDefault: s.isDefault === true,
      clientUris: {
        admin: `${urls.portal}/admin/environments/${s.environmentId}/hub`,
        maker: `${urls.portal}/environments/${s.environmentId}/home`,
      },
      runtimeEndpoints: {
        'microsoft.BusinessAppPlatform': urls.bap,
        'microsoft.PowerApps': urls.powerApps,
        ...(hasDataverse ? { 'microsoft.CommonDataModel': orgUrl(rt.origin, s.name) } : {}),
      },
      databaseType: hasDataverse ? 'CommonDataService' : 'None',
      linkedEnvironmentMetadata: hasDataverse
        ? {
            resourceId: s.organizationId,
            friendlyName: s.friendlyName,
            uniqueName: s.uniqueName ?? `unq${s.organizationId.replace(/-/g, '').slice(0, 24)}`,
            domainName: s.name,
            version: '9.2.25031.00180',
            instanceUrl: `${orgUrl(rt.origin, s.name)}/`,
            instanceApiUrl: orgApiUrl(rt.origin, s.name),
            baseLanguage: 1033,
            instanceState: 'Ready',
            createdTime: '2024-11-01T08:00:00.0000000Z',
            securityGroupId: null,
            platformSku: 'Standard',
            schemaType: 'Standard',
          }
        : null,
      states: { management: { id: 'Ready' }, runtime: { id: 'Enabled' } },
      updateCadence: { id: 'Frequent' },
      governanceConfiguration: { protectionLevel: 'Standard' },
    },
  };
}

/** Handles `/bap/...`; `path` is the part after `/bap`. */
export function handleBap(ctx: RequestContext, rt: SandboxRuntime, path: string): Reply {
  const urls = serviceUrls(rt.origin);
  try {
    // The Power Apps Service audience is what clients use; the BAP host itself is accepted too (reference 1.1).
    authenticate(ctx, rt, [urls.powerApps, urls.bap], 'arm');
    const prefix = '/providers/Microsoft.BusinessAppPlatform';
    if (path.startsWith(`${prefix}/scopes/admin/`)) {
      throw new ServiceError(
        403,
        'Forbidden',
        'The caller is not a Power Platform or Dynamics 365 administrator.',
      );
    }
    const m = new RegExp(`^${prefix}/environments(?:/([^/]+))?/?$`).exec(path);
    if (!m) {
      throw new ServiceError(404, 'NotFound', `The route '${path}' was not found.`);
    }
    if (ctx.method !== 'GET') {
      throw new ServiceError(
        405,
        'MethodNotAllowed',
        `The HTTP method '${ctx.method}' is not supported for '${path}'.`,
      );
    }
    requireApiVersion(ctx);
    const envs = [...rt.environments.values()];
    if (m[1] !== undefined) {
      const id = decodeURIComponent(m[1]).toLowerCase();
      const env = envs.find((e) => e.seed.environmentId.toLowerCase() === id);
      if (env === undefined) {
        throw new ServiceError(
          404,
          'EnvironmentNotFound',
          `The environment '${m[1]}' could not be found in the tenant '${rt.data.tenantId}'.`,
        );
      }
      return jsonReply(200, bapEnvironment(rt, env));
    }
    return jsonReply(200, { value: envs.map((e) => bapEnvironment(rt, e)) });
  } catch (e) {
    if (e instanceof ServiceError) {
      return armError(e);
    }
    throw e;
  }
}
