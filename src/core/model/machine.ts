/**
 * A machine registered for desktop flows (Dataverse `flowmachine`, docs/service-contract.md#machines-and-machine-groups).
 */
import { formattedValue, optionalNumber, optionalString } from './dtoFields';

/** `statecode`: 0 Active, 1 Inactive, 2 Maintenance. */
export type MachineState = 'active' | 'inactive' | 'maintenance' | 'unknown';

/** `statuscode` of a machine (state pairing per docs/service-contract.md#machines-and-machine-groups). */
export type MachineStatus =
  | 'active'
  | 'inactive'
  | 'requiresReconnection'
  | 'manualMaintenance'
  | 'drainMode'
  | 'toDelete'
  | 'temporary'
  | 'error'
  | 'disabled'
  | 'provisioning'
  | 'requiresGroupKey'
  | 'provisionedWithError'
  | 'hostedMachineOvercapacity'
  | 'hostedMachineOvercapacityDeleted'
  | 'hostedMachineOvercapacityDisabled'
  | 'unknown';

/** `hostingtype`: 0 Customer (self-registered), 1 Hosted, 2 CloudPc. */
export type MachineHosting = 'customer' | 'hosted' | 'cloudPc' | 'unknown';

/** A machine. */
export interface Machine {
  readonly id: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly state: MachineState;
  readonly status: MachineStatus;
  /** Localised status label, when the service sent the formatted value. */
  readonly statusLabel: string | undefined;
  readonly agentVersion: string | undefined;
  /** Last contact; what "online/offline" is derived from. */
  readonly lastHeartbeatOn: string | undefined;
  readonly hosting: MachineHosting;
  readonly sessionCapacity: number | undefined;
  /** The group it belongs to (every machine has one; a standalone machine has an implicit group). */
  readonly groupId: string | undefined;
}

/** A `flowmachines` row as selected by the client. */
export interface FlowMachineDto {
  readonly flowmachineid?: string;
  readonly name?: string | null;
  readonly description?: string | null;
  readonly statecode?: number;
  readonly statuscode?: number;
  readonly agentversion?: string | null;
  readonly lastheartbeatdate?: string | null;
  readonly hostingtype?: number | null;
  readonly sessioncapacity?: number | null;
  readonly _flowmachinegroupid_value?: string | null;
  readonly [field: string]: unknown;
}

/** Columns selected for machines. */
export const machineSelect = [
  'flowmachineid',
  'name',
  'description',
  'statecode',
  'statuscode',
  'agentversion',
  'lastheartbeatdate',
  'hostingtype',
  'sessioncapacity',
  '_flowmachinegroupid_value',
] as const;

const states: Readonly<Record<number, MachineState>> = { 0: 'active', 1: 'inactive', 2: 'maintenance' };
const statuses: Readonly<Record<number, MachineStatus>> = {
  1: 'active',
  2: 'inactive',
  3: 'requiresReconnection',
  4: 'manualMaintenance',
  5: 'drainMode',
  6: 'toDelete',
  7: 'temporary',
  8: 'error',
  9: 'disabled',
  10: 'provisioning',
  11: 'requiresGroupKey',
  12: 'provisionedWithError',
  13: 'hostedMachineOvercapacity',
  14: 'hostedMachineOvercapacityDeleted',
  15: 'hostedMachineOvercapacityDisabled',
};
const hostings: Readonly<Record<number, MachineHosting>> = { 0: 'customer', 1: 'hosted', 2: 'cloudPc' };

/** Normalise a machine row; `undefined` without an id. */
export function machineFromDto(dto: FlowMachineDto): Machine | undefined {
  const id = optionalString(dto.flowmachineid);
  if (id === undefined) {
    return undefined;
  }
  const state = optionalNumber(dto.statecode);
  const status = optionalNumber(dto.statuscode);
  const hosting = optionalNumber(dto.hostingtype);
  return {
    id,
    name: optionalString(dto.name) ?? id,
    description: optionalString(dto.description),
    state: state === undefined ? 'unknown' : (states[state] ?? 'unknown'),
    status: status === undefined ? 'unknown' : (statuses[status] ?? 'unknown'),
    statusLabel: formattedValue(dto, 'statuscode'),
    agentVersion: optionalString(dto.agentversion),
    lastHeartbeatOn: optionalString(dto.lastheartbeatdate),
    hosting: hosting === undefined ? 'unknown' : (hostings[hosting] ?? 'unknown'),
    sessionCapacity: optionalNumber(dto.sessioncapacity),
    groupId: optionalString(dto._flowmachinegroupid_value),
  };
}
