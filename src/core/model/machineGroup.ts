/**
 * A machine group (Dataverse `flowmachinegroup`, docs/service-contract.md#machines-and-machine-groups). Its id is the `targetId` of connections.
 */
import { optionalBoolean, optionalNumber, optionalString } from './dtoFields';

/** `flowgrouptype` (internal use): 545940000 Keyless (default), 545940001 Standard, 545940002 Default. */
export type MachineGroupType = 'keyless' | 'standard' | 'default' | 'unknown';

/** `managementtype`: 0 Customer, 1 Managed (hosted machine group), 2 Shared. */
export type MachineGroupManagement = 'customer' | 'managed' | 'shared' | 'unknown';

/** `statecode`: 0 Active, 1 Inactive, 2 Maintenance. */
export type MachineGroupState = 'active' | 'inactive' | 'maintenance' | 'unknown';

/** `statuscode` of a group (docs/service-contract.md#machines-and-machine-groups). */
export type MachineGroupStatus =
  | 'active'
  | 'inactive'
  | 'manualMaintenance'
  | 'keyExpired'
  | 'hmgIslandMove'
  | 'quarantined'
  | 'hmgCmkOperation'
  | 'unknown';

/** A machine group. */
export interface MachineGroup {
  readonly id: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly groupType: MachineGroupType;
  /**
   * True for the implicit per-machine group (`flowgrouptype` Default), which the portal hides. An inference
   * (docs/service-contract.md#machines-and-machine-groups); callers may still show it.
   */
  readonly isImplicit: boolean;
  readonly management: MachineGroupManagement;
  readonly state: MachineGroupState;
  readonly status: MachineGroupStatus;
  readonly reuseWindowsSession: boolean | undefined;
}

/** A `flowmachinegroups` row as selected by the client. */
export interface FlowMachineGroupDto {
  readonly flowmachinegroupid?: string;
  readonly name?: string | null;
  readonly description?: string | null;
  readonly flowgrouptype?: number | null;
  readonly managementtype?: number | null;
  readonly statecode?: number;
  readonly statuscode?: number;
  readonly trytoreusewindowssession?: boolean | null;
  readonly [field: string]: unknown;
}

/** Columns selected for machine groups. */
export const machineGroupSelect = [
  'flowmachinegroupid',
  'name',
  'description',
  'flowgrouptype',
  'managementtype',
  'statecode',
  'statuscode',
  'trytoreusewindowssession',
] as const;

const groupTypes: Readonly<Record<number, MachineGroupType>> = {
  545940000: 'keyless',
  545940001: 'standard',
  545940002: 'default',
};
const managements: Readonly<Record<number, MachineGroupManagement>> = {
  0: 'customer',
  1: 'managed',
  2: 'shared',
};
const states: Readonly<Record<number, MachineGroupState>> = { 0: 'active', 1: 'inactive', 2: 'maintenance' };
const statuses: Readonly<Record<number, MachineGroupStatus>> = {
  1: 'active',
  2: 'inactive',
  3: 'manualMaintenance',
  4: 'keyExpired',
  5: 'hmgIslandMove',
  6: 'quarantined',
  7: 'hmgCmkOperation',
};

function lookup<T extends string>(table: Readonly<Record<number, T>>, value: unknown): T | 'unknown' {
  const n = optionalNumber(value);
  return n === undefined ? 'unknown' : (table[n] ?? 'unknown');
}

/** Normalise a machine group row; `undefined` without an id. */
export function machineGroupFromDto(dto: FlowMachineGroupDto): MachineGroup | undefined {
  const id = optionalString(dto.flowmachinegroupid);
  if (id === undefined) {
    return undefined;
  }
  const groupType = lookup(groupTypes, dto.flowgrouptype);
  return {
    id,
    name: optionalString(dto.name) ?? id,
    description: optionalString(dto.description),
    groupType,
    isImplicit: groupType === 'default',
    management: lookup(managements, dto.managementtype),
    state: lookup(states, dto.statecode),
    status: lookup(statuses, dto.statuscode),
    reuseWindowsSession: optionalBoolean(dto.trytoreusewindowssession),
  };
}
