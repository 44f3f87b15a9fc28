/**
 * Environments the user can reach: the Global Discovery Service lists those with Dataverse (all that can
 * hold desktop flows); BAP adds SKU and the default flag where it answers (docs/service-contract.md#environments). A BAP failure
 * is logged and the GDS list returned alone.
 */
import type { CloudEndpoints } from '../clouds';
import { AuthError, CancellationError, ApiError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import { trimTrailingSlashes } from '../http/urlSafety';
import { silentLogger, type Logger } from '../logger';
import { dataverseHeaders, dataverseUrl, orgResource } from './dataverseUrls';
import {
  discoveryInstanceSelect,
  environmentFromDto,
  type BapEnvironmentDto,
  type DiscoveryInstanceDto,
  type Environment,
  type OrganizationFacts,
} from '../model/environment';

/** BAP api-version for the maker-level environment list (docs/service-contract.md#environments). */
export const bapApiVersion = '2020-10-01';

/** Lists environments for one cloud. */
export class EnvironmentsApi {
  constructor(
    private readonly http: HttpClient,
    private readonly cloud: CloudEndpoints,
    private readonly logger: Logger = silentLogger,
  ) {}

  /**
   * Every Dataverse environment the user can reach, sorted by display name. GDS and BAP are asked in
   * parallel; only a GDS failure fails the call.
   */
  async list(signal: AbortSignal): Promise<Environment[]> {
    // BAP gets its own signal so that a GDS failure also stops the BAP request.
    const bapController = new AbortController();
    const bapSignal = AbortSignal.any([signal, bapController.signal]);
    const bap = this.listBap(bapSignal).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    let instances: DiscoveryInstanceDto[];
    try {
      instances = await this.listDiscovery(signal);
    } catch (e) {
      bapController.abort();
      await bap;
      throw e;
    }
    const bapResult = await bap;
    let byId: Map<string, BapEnvironmentDto> | undefined;
    if (bapResult.ok) {
      byId = new Map(
        bapResult.value
          .filter((e) => typeof e.name === 'string')
          .map((e) => [String(e.name).toLowerCase(), e]),
      );
    } else if (CancellationError.is(bapResult.error)) {
      throw bapResult.error;
    } else if (ApiError.is(bapResult.error) || AuthError.is(bapResult.error)) {
      this.logger.warn(
        `[api] BAP environments unavailable (${describe(bapResult.error)}); using Global Discovery only`,
      );
    } else {
      throw bapResult.error;
    }
    const environments: Environment[] = [];
    for (const instance of instances) {
      const envId =
        typeof instance.EnvironmentId === 'string' ? instance.EnvironmentId.toLowerCase() : undefined;
      const bapEnv = envId === undefined ? undefined : byId?.get(envId);
      const env = environmentFromDto(instance, bapEnv);
      if (env !== undefined) {
        environments.push(env);
      }
    }
    return environments.sort((a, b) => a.displayName.localeCompare(b.displayName));
  }

  /** GDS `Instances`, narrowed to the fields the model uses. */
  async listDiscovery(signal: AbortSignal): Promise<DiscoveryInstanceDto[]> {
    return this.http.getAll<DiscoveryInstanceDto>(
      `${trimTrailingSlashes(this.cloud.discoveryUrl)}/api/discovery/v2.0/Instances`,
      {
        audience: this.cloud.discoveryResource,
        query: { $select: discoveryInstanceSelect.join(',') },
        signal,
      },
    );
  }

  /**
   * What the org says about itself (`RetrieveCurrentOrganization`, docs/service-contract.md): its display
   * name, unique name and environment id, from the org alone, with no discovery. `undefined` when the org
   * does not answer it (older orgs, restricted roles): callers then name the org by its host.
   */
  async currentOrganization(org: string, signal: AbortSignal): Promise<OrganizationFacts | undefined> {
    try {
      const body = await this.http.get<{ Detail?: Record<string, unknown> }>(
        dataverseUrl(org, 'RetrieveCurrentOrganization(AccessType=@p1)'),
        {
          audience: orgResource(org),
          query: { '@p1': "Microsoft.Dynamics.CRM.EndpointAccessType'Default'" },
          headers: dataverseHeaders,
          signal,
        },
      );
      const d = body.Detail ?? {};
      const text = (key: string): string | undefined => {
        const v = d[key];
        return typeof v === 'string' && v.trim() !== '' ? v : undefined;
      };
      return {
        friendlyName: text('FriendlyName'),
        uniqueName: text('UniqueName'),
        environmentId: text('EnvironmentId'),
        organizationId: text('OrganizationId'),
      };
    } catch (e) {
      if (ApiError.is(e, 'forbidden', 'notFound', 'badRequest', 'server')) {
        this.logger.debug(
          `[environments] ${org} did not describe itself (${describe(e)}); naming it by its host`,
        );
        return undefined;
      }
      throw e;
    }
  }

  /** BAP environments (maker-level list), following `nextLink`. */
  async listBap(signal: AbortSignal): Promise<BapEnvironmentDto[]> {
    return this.http.getAll<BapEnvironmentDto>(
      `${trimTrailingSlashes(this.cloud.bapUrl)}/providers/Microsoft.BusinessAppPlatform/environments`,
      { audience: this.cloud.powerAppsResource, query: { 'api-version': bapApiVersion }, signal },
    );
  }
}

function describe(e: ApiError | AuthError): string {
  if (e instanceof ApiError) {
    return e.status === undefined ? e.reason : `${e.reason}, HTTP ${e.status}`;
  }
  return `auth: ${e.reason}`;
}
