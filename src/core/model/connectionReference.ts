/**
 * A connection reference (Dataverse `connectionreference`, docs/service-contract.md#connection-type-1-and-2): a solution-aware pointer to a
 * connection. RunDesktopFlow takes its logical name with `connectionType` 2.
 */
import { optionalNumber, optionalString } from './dtoFields';

/** A connection reference to a desktop-flow connection. */
export interface ConnectionReference {
  readonly id: string;
  /** `connectionreferencelogicalname`: RunDesktopFlow's `connectionName` with `connectionType` 2. */
  readonly logicalName: string;
  readonly displayName: string;
  readonly connectorId: string | undefined;
  /** The bound connection's name; `undefined` until the reference is configured. */
  readonly connectionName: string | undefined;
  readonly description: string | undefined;
  /** `statecode` 0 Active, 1 Inactive. */
  readonly active: boolean;
}

/** A `connectionreferences` row as selected by the client. */
export interface ConnectionReferenceDto {
  readonly connectionreferenceid?: string;
  readonly connectionreferencelogicalname?: string | null;
  readonly connectionreferencedisplayname?: string | null;
  readonly connectorid?: string | null;
  readonly connectionid?: string | null;
  readonly description?: string | null;
  readonly statecode?: number;
  readonly [field: string]: unknown;
}

/** Columns selected for connection references. */
export const connectionReferenceSelect = [
  'connectionreferenceid',
  'connectionreferencelogicalname',
  'connectionreferencedisplayname',
  'connectorid',
  'connectionid',
  'description',
  'statecode',
] as const;

/** Normalise a connection reference; `undefined` without an id or logical name. */
export function connectionReferenceFromDto(dto: ConnectionReferenceDto): ConnectionReference | undefined {
  const id = optionalString(dto.connectionreferenceid);
  const logicalName = optionalString(dto.connectionreferencelogicalname);
  if (id === undefined || logicalName === undefined) {
    return undefined;
  }
  return {
    id,
    logicalName,
    displayName: optionalString(dto.connectionreferencedisplayname) ?? logicalName,
    connectorId: optionalString(dto.connectorid),
    connectionName: optionalString(dto.connectionid),
    description: optionalString(dto.description),
    active: (optionalNumber(dto.statecode) ?? 0) === 0,
  };
}
