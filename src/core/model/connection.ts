/**
 * A desktop-flow connection: an API Hub connection of connector `shared_uiflow`, listed through the Power
 * Apps resource provider (docs/service-contract.md#connection-type-1-and-2). Its `name` is what RunDesktopFlow's `connectionName` expects.
 */
import { optionalRecord, optionalString } from './dtoFields';

/** Health: usable only when a `Connected` status is present (docs/service-contract.md#connection-type-1-and-2). */
export type ConnectionStatus = 'connected' | 'error' | 'unknown';

/** One entry of `properties.statuses`. */
export interface ConnectionStatusDetail {
  readonly status: string;
  readonly target: string | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
}

/** Who created the connection (it belongs to that user and cannot be shared). */
export interface ConnectionCreator {
  readonly id: string | undefined;
  readonly displayName: string | undefined;
  readonly email: string | undefined;
  readonly userPrincipalName: string | undefined;
}

/** A desktop-flow connection. */
export interface DesktopFlowConnection {
  /** Connection name, e.g. `shared-uiflow-5c1e…`: RunDesktopFlow's `connectionName` with `connectionType` 1. */
  readonly name: string;
  /** Full resource id, `/providers/Microsoft.PowerApps/apis/shared_uiflow/connections/<name>`. */
  readonly id: string | undefined;
  readonly displayName: string;
  readonly apiId: string | undefined;
  readonly environmentId: string | undefined;
  readonly status: ConnectionStatus;
  readonly statuses: readonly ConnectionStatusDetail[];
  /** `connectionParametersSet.name`: `azureRelay` (username/password), `azureRelayRunOwner`, … when returned. */
  readonly parameterSetName: string | undefined;
  /** The machine group the connection targets (`targetId`), when the service returns it (unconfirmed, 5.1). */
  readonly targetMachineGroupId: string | undefined;
  /** Windows account, when returned. */
  readonly username: string | undefined;
  readonly createdBy: ConnectionCreator | undefined;
  readonly createdTime: string | undefined;
  readonly lastModifiedTime: string | undefined;
}

/** A Power Apps connection object (only read fields are typed). */
export interface PowerAppsConnectionDto {
  readonly name?: string;
  readonly id?: string;
  readonly type?: string;
  readonly properties?: {
    readonly apiId?: string;
    readonly displayName?: string;
    readonly statuses?: readonly {
      status?: string;
      target?: string;
      error?: { code?: string; message?: string };
    }[];
    readonly connectionParametersSet?: {
      name?: string;
      values?: Record<string, { value?: unknown } | undefined>;
    };
    readonly connectionParameters?: Record<string, unknown>;
    readonly createdBy?: { id?: string; displayName?: string; email?: string; userPrincipalName?: string };
    readonly createdTime?: string;
    readonly lastModifiedTime?: string;
    readonly environment?: { id?: string; name?: string };
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

/** The connector id of desktop-flow connections. */
export const desktopFlowConnectorName = 'shared_uiflow';

/** True when an API id names the desktop-flow connector (any casing, with or without an environment prefix). */
export function isDesktopFlowApiId(apiId: string | undefined): boolean {
  return (
    apiId !== undefined && apiId.toLowerCase().replace(/\/+$/, '').endsWith(`/${desktopFlowConnectorName}`)
  );
}

function parameterValue(values: Record<string, unknown> | undefined, key: string): string | undefined {
  const entry = optionalRecord(values?.[key]);
  return optionalString(entry?.value);
}

/** Normalise a connection; `undefined` when it has no name. */
export function connectionFromDto(dto: PowerAppsConnectionDto): DesktopFlowConnection | undefined {
  const name = optionalString(dto.name);
  if (name === undefined) {
    return undefined;
  }
  const p = optionalRecord(dto.properties) ?? {};
  const rawStatuses = Array.isArray(p.statuses) ? (p.statuses as unknown[]) : [];
  const statuses: ConnectionStatusDetail[] = rawStatuses.map((s) => {
    const r = optionalRecord(s) ?? {};
    const error = optionalRecord(r.error);
    return {
      status: optionalString(r.status) ?? 'Unknown',
      target: optionalString(r.target),
      errorCode: optionalString(error?.code),
      errorMessage: optionalString(error?.message),
    };
  });
  const status: ConnectionStatus = statuses.some((s) => s.status.toLowerCase() === 'connected')
    ? 'connected'
    : statuses.length === 0
      ? 'unknown'
      : 'error';
  const parameterSet = optionalRecord(p.connectionParametersSet);
  const values = optionalRecord(parameterSet?.values) ?? optionalRecord(p.connectionParameters);
  const environment = optionalRecord(p.environment);
  const environmentPath = optionalString(environment?.id);
  const createdBy = optionalRecord(p.createdBy);
  return {
    name,
    id: optionalString(dto.id),
    displayName: optionalString(p.displayName) ?? name,
    apiId: optionalString(p.apiId),
    // `environment.name` is sometimes missing: the id's last segment is the environment id (docs/service-contract.md#connection-type-1-and-2).
    environmentId: optionalString(environment?.name) ?? environmentPath?.split('/').filter(Boolean).pop(),
    status,
    statuses,
    parameterSetName: optionalString(parameterSet?.name),
    targetMachineGroupId: parameterValue(values, 'targetId'),
    username: parameterValue(values, 'username'),
    createdBy:
      createdBy === undefined
        ? undefined
        : {
            id: optionalString(createdBy.id),
            displayName: optionalString(createdBy.displayName),
            email: optionalString(createdBy.email),
            userPrincipalName: optionalString(createdBy.userPrincipalName),
          },
    createdTime: optionalString(p.createdTime),
    lastModifiedTime: optionalString(p.lastModifiedTime),
  };
}
