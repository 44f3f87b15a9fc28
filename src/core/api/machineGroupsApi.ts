/**
 * Machine groups and their members (Dataverse `flowmachinegroups` and the collection navigation
 * `flowmachinegroup_flowmachine`, docs/service-contract.md#machines-and-machine-groups/6.3).
 */
import type { HttpClient } from '../http/httpClient';
import { machineFromDto, machineSelect, type FlowMachineDto, type Machine } from '../model/machine';
import {
  machineGroupFromDto,
  machineGroupSelect,
  type FlowMachineGroupDto,
  type MachineGroup,
} from '../model/machineGroup';
import {
  dataverseHeaders,
  dataverseUrl,
  formattedValuesPreference,
  guidKey,
  orgResource,
} from './dataverseUrls';

/** Lists machine groups of one Dataverse org. */
export class MachineGroupsApi {
  constructor(private readonly http: HttpClient) {}

  /** Every machine group the user can see, ordered by name (implicit per-machine groups included; see `isImplicit`). */
  async list(org: string, signal: AbortSignal): Promise<MachineGroup[]> {
    const dtos = await this.http.getAll<FlowMachineGroupDto>(dataverseUrl(org, 'flowmachinegroups'), {
      audience: orgResource(org),
      query: { $select: machineGroupSelect.join(','), $orderby: 'name asc' },
      headers: dataverseHeaders,
      maxPageSize: 500,
      signal,
    });
    return dtos.map(machineGroupFromDto).filter((g): g is MachineGroup => g !== undefined);
  }

  /** The machines in a group, ordered by name. */
  async listMembers(org: string, groupId: string, signal: AbortSignal): Promise<Machine[]> {
    const dtos = await this.http.getAll<FlowMachineDto>(
      dataverseUrl(org, `flowmachinegroups(${guidKey(groupId)})/flowmachinegroup_flowmachine`),
      {
        audience: orgResource(org),
        query: { $select: machineSelect.join(','), $orderby: 'name asc' },
        headers: { ...dataverseHeaders, Prefer: formattedValuesPreference },
        maxPageSize: 500,
        signal,
      },
    );
    return dtos.map(machineFromDto).filter((m): m is Machine => m !== undefined);
  }
}
