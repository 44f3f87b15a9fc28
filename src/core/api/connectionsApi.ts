/**
 * Desktop-flow connections (connector `shared_uiflow`) of one environment, from the Power Apps resource
 * provider (docs/service-contract.md#connection-type-1-and-2). These live in API Hub, not Dataverse, and use the Power Apps token audience.
 */
import type { CloudEndpoints } from '../clouds';
import type { HttpClient } from '../http/httpClient';
import { trimTrailingSlashes } from '../http/urlSafety';
import {
  connectionFromDto,
  desktopFlowConnectorName,
  isDesktopFlowApiId,
  type DesktopFlowConnection,
  type PowerAppsConnectionDto,
} from '../model/connection';
import { odataString } from './dataverseUrls';

/** api-version of the Power Apps connections routes (docs/service-contract.md#connection-type-1-and-2). */
export const powerAppsApiVersion = '2016-11-01';

/** Lists desktop-flow connections for one cloud. */
export class ConnectionsApi {
  constructor(
    private readonly http: HttpClient,
    private readonly cloud: CloudEndpoints,
  ) {}

  /**
   * The desktop-flow connections visible to the user in an environment (`environmentId` is the Power
   * Platform environment id, e.g. `Environment.id`), sorted by display name.
   */
  async listDesktopFlowConnections(
    environmentId: string,
    signal: AbortSignal,
  ): Promise<DesktopFlowConnection[]> {
    const url = `${trimTrailingSlashes(this.cloud.powerAppsUrl)}/providers/Microsoft.PowerApps/apis/${desktopFlowConnectorName}/connections`;
    const dtos = await this.http.getAll<PowerAppsConnectionDto>(url, {
      audience: this.cloud.powerAppsResource,
      // Exactly this filter form is what the service supports (docs/service-contract.md#connection-type-1-and-2).
      query: { 'api-version': powerAppsApiVersion, $filter: `environment eq ${odataString(environmentId)}` },
      signal,
    });
    return dtos
      .filter((d) => d.properties?.apiId === undefined || isDesktopFlowApiId(d.properties.apiId))
      .map(connectionFromDto)
      .filter((c): c is DesktopFlowConnection => c !== undefined)
      .sort((a, b) => a.displayName.localeCompare(b.displayName));
  }
}
