/**
 * A machine group's queue, as the documented service exposes it (docs/service-contract.md#machines-and-machine-groups,
 * #flowsession): the group's row, its machines (`lastheartbeatdate`, `statecode`, `agentversion`), and the runs
 * running on them or waiting in its queue (`flowsessions` of the group with status Running or Waiting, oldest
 * first). "Check Before Run", "Why is it waiting?" and the connection ranking all read a group through
 * `readGroupQueue`, and place its machines with `machinePresence`.
 */
import type { Machine } from '../model/machine';
import type { MachineGroup } from '../model/machineGroup';
import type { Run } from '../model/run';
import type { ServiceSession } from '../serviceSession';
import { throwIfAborted } from '../util/abort';

/**
 * A machine counts as online when it was heard from within this long (`lastheartbeatdate`; the service
 * documents the column, not a threshold: docs/service-contract.md#machines-and-machine-groups).
 */
export const onlineWithinMs = 10 * 60 * 1000;

/** What a machine is doing. */
export type MachinePresence = 'free' | 'busy' | 'offline' | 'maintenance';

/** What a machine is doing, from its row and the lower-cased ids of machines with a running run. */
export function machinePresence(machine: Machine, busy: ReadonlySet<string>, now: number): MachinePresence {
  if (machine.state === 'maintenance' || machine.state === 'inactive') {
    return 'maintenance';
  }
  const heartbeat = machine.lastHeartbeatOn === undefined ? Number.NaN : Date.parse(machine.lastHeartbeatOn);
  if (Number.isNaN(heartbeat) || now - heartbeat >= onlineWithinMs) {
    return 'offline';
  }
  return busy.has(machine.id.toLowerCase()) ? 'busy' : 'free';
}

/** One machine group as read now. */
export interface GroupQueue {
  readonly groupId: string;
  /** The group's row; `undefined` when the service does not list it. */
  readonly group: MachineGroup | undefined;
  /** Its machines, by name. */
  readonly machines: readonly Machine[];
  /** Runs in progress on its machines, oldest first. */
  readonly running: readonly Run[];
  /** Runs waiting in its queue, by enqueue time (oldest first). */
  readonly waiting: readonly Run[];
  /** The run in progress on each machine, by lower-cased machine id. */
  readonly runningOn: ReadonlyMap<string, string>;
}

/** The `flowsessions` query of a group's runs that are running (2) or waiting (3). */
function groupQueueQuery(groupId: string): {
  readonly filter: string;
  readonly orderby: string;
  readonly pageSize: number;
} {
  return {
    filter: `_machinegroupid_value eq ${groupId} and (statuscode eq 2 or statuscode eq 3)`,
    orderby: 'createdon asc',
    pageSize: 500,
  };
}

/**
 * Reads group `groupId` of org `org`: its row, machines and active runs, in parallel. `groups` is the org's
 * group list when the caller already read it (it is then not read again). Service failures are thrown;
 * aborting throws `CancellationError`.
 */
export async function readGroupQueue(
  session: Pick<ServiceSession, 'machineGroups' | 'runs'>,
  org: string,
  groupId: string,
  signal: AbortSignal,
  groups?: readonly MachineGroup[],
): Promise<GroupQueue> {
  throwIfAborted(signal);
  const [all, machines, active] = await Promise.all([
    groups ?? session.machineGroups.list(org, signal),
    session.machineGroups.listMembers(org, groupId, signal),
    session.runs.listFlowSessions(org, groupQueueQuery(groupId), signal),
  ]);
  const running = active.items.filter((r) => r.status === 'running');
  return {
    groupId,
    group: all.find((g) => g.id.toLowerCase() === groupId.toLowerCase()),
    machines,
    running,
    waiting: active.items.filter((r) => r.status !== 'running'),
    runningOn: new Map(
      running
        .filter((r): r is Run & { machineId: string } => r.machineId !== undefined)
        .map((r) => [r.machineId.toLowerCase(), r.id] as const),
    ),
  };
}

/** The lower-cased ids of the group's machines with a run in progress. */
export function busyMachineIds(queue: GroupQueue): ReadonlySet<string> {
  return new Set(queue.runningOn.keys());
}
