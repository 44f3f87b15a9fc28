import type { TokenProvider } from './auth/tokenProvider';
import type { CloudEndpoints } from './clouds';
import { ConnectionReferencesApi } from './api/connectionReferencesApi';
import { ConnectionsApi } from './api/connectionsApi';
import { DesktopFlowsApi } from './api/desktopFlowsApi';
import { EnvironmentsApi } from './api/environmentsApi';
import { MachineGroupsApi } from './api/machineGroupsApi';
import { MachinesApi } from './api/machinesApi';
import { RunsApi } from './api/runsApi';
import { HttpClient } from './http/httpClient';
import type { ProxyOptions } from './http/proxySettings';
import type { Logger } from './logger';

/**
 * What a front end (the extension or the CLI) needs to talk to one cloud as one account. There is no extra
 * CA here: a service session trusts the default roots only (the sandbox CA is the identity client's, pinned
 * to the identity host).
 */
export interface ServiceSessionOptions {
  readonly cloud: CloudEndpoints;
  readonly tokens: TokenProvider;
  readonly logger: Logger;
  readonly proxy?: ProxyOptions;
  /** Response timeout for headers and body silence. */
  readonly timeoutMs?: number;
}

/**
 * Every API of one account in one cloud, over one HttpClient (one keep-alive pool per origin). The
 * extension builds one per signed-in account; the CLI builds one per invocation.
 */
export class ServiceSession {
  readonly cloud: CloudEndpoints;
  readonly http: HttpClient;
  readonly environments: EnvironmentsApi;
  readonly flows: DesktopFlowsApi;
  readonly connections: ConnectionsApi;
  readonly connectionReferences: ConnectionReferencesApi;
  readonly machines: MachinesApi;
  readonly machineGroups: MachineGroupsApi;
  readonly runs: RunsApi;

  constructor(options: ServiceSessionOptions) {
    this.cloud = options.cloud;
    this.http = new HttpClient({
      tokens: options.tokens,
      logger: options.logger,
      ...(options.proxy ? { proxy: options.proxy } : {}),
      ...(options.timeoutMs ? { headersTimeoutMs: options.timeoutMs, bodyTimeoutMs: options.timeoutMs } : {}),
    });
    this.environments = new EnvironmentsApi(this.http, options.cloud, options.logger);
    this.flows = new DesktopFlowsApi(this.http);
    this.connections = new ConnectionsApi(this.http, options.cloud);
    this.connectionReferences = new ConnectionReferencesApi(this.http);
    this.machines = new MachinesApi(this.http);
    this.machineGroups = new MachineGroupsApi(this.http);
    this.runs = new RunsApi(this.http);
  }

  /** Portal link to a flow's details page (docs/service-contract.md#portal-deep-links). */
  flowPortalUrl(environmentId: string, flowId: string): string {
    return `${this.cloud.portalUrl}/manage/environments/${encodeURIComponent(environmentId)}/uiflows/${encodeURIComponent(flowId)}/details`;
  }

  /** Portal link to a desktop-flow connection (docs/service-contract.md#portal-deep-links). */
  connectionPortalUrl(environmentId: string, connectionName: string): string {
    return `${this.cloud.portalUrl}/manage/environments/${encodeURIComponent(environmentId)}/connections?apiName=shared_uiflow&connectionName=${encodeURIComponent(connectionName)}`;
  }

  async dispose(): Promise<void> {
    await this.http.close();
  }
}
