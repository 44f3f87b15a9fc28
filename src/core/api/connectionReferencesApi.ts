/**
 * Connection references to desktop-flow connections (Dataverse `connectionreferences`, docs/service-contract.md#connection-type-1-and-2).
 */
import type { HttpClient } from '../http/httpClient';
import {
  connectionReferenceFromDto,
  connectionReferenceSelect,
  type ConnectionReference,
  type ConnectionReferenceDto,
} from '../model/connectionReference';
import { desktopFlowConnectorName } from '../model/connection';
import { dataverseHeaders, dataverseUrl, orgResource } from './dataverseUrls';

/** Lists connection references of one Dataverse org. */
export class ConnectionReferencesApi {
  constructor(private readonly http: HttpClient) {}

  /** References whose connector is `shared_uiflow`, sorted by display name. */
  async listDesktopFlowReferences(org: string, signal: AbortSignal): Promise<ConnectionReference[]> {
    const dtos = await this.http.getAll<ConnectionReferenceDto>(dataverseUrl(org, 'connectionreferences'), {
      audience: orgResource(org),
      query: {
        $select: connectionReferenceSelect.join(','),
        // Some rows store the connector id in other casing or with an environment prefix (docs/service-contract.md#connection-type-1-and-2).
        $filter: `endswith(connectorid,'${desktopFlowConnectorName}')`,
        $orderby: 'connectionreferencedisplayname asc',
      },
      headers: dataverseHeaders,
      maxPageSize: 500,
      signal,
    });
    return dtos.map(connectionReferenceFromDto).filter((r): r is ConnectionReference => r !== undefined);
  }
}
