/**
 * Machines registered for desktop flows (Dataverse `flowmachines`, docs/service-contract.md#machines-and-machine-groups/6.3).
 */
import type { HttpClient } from '../http/httpClient';
import { machineFromDto, machineSelect, type FlowMachineDto, type Machine } from '../model/machine';
import {
  dataverseHeaders,
  dataverseUrl,
  formattedValuesPreference,
  guidKey,
  orgResource,
} from './dataverseUrls';

/** Lists machines of one Dataverse org. */
export class MachinesApi {
  constructor(private readonly http: HttpClient) {}

  /** Every machine the user can see, ordered by name. */
  async list(org: string, signal: AbortSignal): Promise<Machine[]> {
    const dtos = await this.http.getAll<FlowMachineDto>(dataverseUrl(org, 'flowmachines'), {
      audience: orgResource(org),
      query: { $select: machineSelect.join(','), $orderby: 'name asc' },
      headers: { ...dataverseHeaders, Prefer: formattedValuesPreference },
      maxPageSize: 500,
      signal,
    });
    return dtos.map(machineFromDto).filter((m): m is Machine => m !== undefined);
  }

  /** One machine by id. */
  async get(org: string, machineId: string, signal: AbortSignal): Promise<Machine | undefined> {
    const dto = await this.http.get<FlowMachineDto>(
      dataverseUrl(org, `flowmachines(${guidKey(machineId)})`),
      {
        audience: orgResource(org),
        query: { $select: machineSelect.join(',') },
        headers: { ...dataverseHeaders, Prefer: formattedValuesPreference },
        signal,
      },
    );
    return machineFromDto(dto);
  }
}
