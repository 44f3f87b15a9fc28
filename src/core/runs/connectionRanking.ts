/**
 * Connections ranked by what the service will do with a run sent through each, from what the documented
 * service exposes (docs/service-contract.md#connection-health-and-machine-availability): the connection's
 * `statuses`, the machine group its `targetId` names, that group's machines (`statecode`,
 * `lastheartbeatdate`) and the runs running on them or waiting in its queue (`flowsessions`). Windows sessions
 * on machines are not exposed, so they are not guessed at.
 *
 * `rankConnections` is pure (unit-tested); `loadConnectionFacts` reads the facts for one environment.
 */
import { setMaxListeners } from 'node:events';
import type { DesktopFlowConnection } from '../model/connection';
import type { Machine } from '../model/machine';
import type { MachineGroup } from '../model/machineGroup';
import type { ServiceSession } from '../serviceSession';
import { throwIfAborted } from '../util/abort';
import { machinePresence, readGroupQueue } from './groupQueue';

/** What a run through the connection will do: start now, wait in a queue, surely fail, or not known. */
export type ConnectionVerdict = 'ready' | 'willWait' | 'willFail' | 'unknown';

/** The machines of one target group and the runs on them. */
export interface GroupFacts {
  readonly group: MachineGroup | undefined;
  readonly machines: readonly Machine[];
  /** Machine ids (any case) with a run in progress. */
  readonly busyMachineIds: readonly string[];
  /** Runs waiting in the group's queue. */
  readonly queued: number;
}

/** Everything ranking needs about an environment's desktop-flow connections. */
export interface ConnectionFacts {
  readonly connections: readonly DesktopFlowConnection[];
  /** By lower-cased machine group id; a group that could not be read is missing. */
  readonly groups: ReadonlyMap<string, GroupFacts>;
}

/** One connection as a picker row shows it. */
export interface RankedConnection {
  readonly connection: DesktopFlowConnection;
  readonly verdict: ConnectionVerdict;
  /** What the service will do, short: "3 machines online, 1 free", "group is empty", "machine offline", … */
  readonly summary: string;
  /** Why it will wait or fail, as a full sentence (for a confirmation); `undefined` when ready. */
  readonly reason: string | undefined;
  /** The run error code this predicts (`GroupIsEmpty`, `NoCandidateMachine`, the connection's error code). */
  readonly errorCode: string | undefined;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

const verdictRank: Record<ConnectionVerdict, number> = { ready: 0, willWait: 1, unknown: 2, willFail: 3 };

function rankOne(connection: DesktopFlowConnection, facts: ConnectionFacts, now: number): RankedConnection {
  const name = connection.displayName;
  if (connection.status === 'error') {
    const detail = connection.statuses.find((s) => s.status.toLowerCase() !== 'connected');
    const code = detail?.errorCode;
    return {
      connection,
      verdict: 'willFail',
      summary: 'credentials error',
      reason: `Connection "${name}" is in error${code === undefined ? '' : ` (${code})`}: runs through it fail until its credentials are fixed in Power Automate.`,
      errorCode: code,
    };
  }
  const groupId = connection.targetMachineGroupId?.toLowerCase();
  const group = groupId === undefined ? undefined : facts.groups.get(groupId);
  if (group === undefined) {
    return {
      connection,
      verdict: 'unknown',
      summary: connection.status === 'unknown' ? 'status not reported' : 'connected; machines not known',
      reason: undefined,
      errorCode: undefined,
    };
  }
  const implicit = group.group?.isImplicit ?? group.machines.length === 1;
  const groupName = group.group?.name ?? group.machines[0]?.name ?? 'the target group';
  if (group.machines.length === 0) {
    return {
      connection,
      verdict: 'willFail',
      summary: 'group is empty',
      reason: `Connection "${name}" targets ${groupName}, which has no machines: the run fails with GroupIsEmpty.`,
      errorCode: 'GroupIsEmpty',
    };
  }
  const busy = new Set(group.busyMachineIds.map((id) => id.toLowerCase()));
  const presence = group.machines.map((m) => machinePresence(m, busy, now));
  const free = presence.filter((p) => p === 'free').length;
  const inUse = presence.filter((p) => p === 'busy').length;
  const online = free + inUse;
  const ahead = group.queued === 0 ? '' : `, ${plural(group.queued, 'run')} ahead`;
  if (online === 0) {
    const maintenance = presence.every((p) => p === 'maintenance');
    const summary = implicit
      ? maintenance
        ? 'machine in maintenance'
        : 'machine offline'
      : maintenance
        ? 'all machines in maintenance'
        : `${plural(group.machines.length, 'machine')}, none online`;
    return {
      connection,
      verdict: 'willWait',
      summary,
      reason: `A run through "${name}" will wait: ${implicit ? `${groupName} is ${maintenance ? 'in maintenance' : 'offline'}` : `no machine in ${groupName} is online`}${ahead}. If none can take it within the queue timeout, it fails with NoCandidateMachine.`,
      errorCode: 'NoCandidateMachine',
    };
  }
  if (free === 0 || group.queued > 0) {
    const queue = group.queued > 0 ? ` (${group.queued} ahead)` : '';
    const summary =
      free === 0
        ? implicit
          ? `machine in use: expect to queue${queue}`
          : `${plural(online, 'machine')} online, all busy: expect to queue${queue}`
        : implicit
          ? `machine free, ${plural(group.queued, 'run')} ahead`
          : `${plural(online, 'machine')} online, ${free} free${ahead}`;
    const state =
      free === 0
        ? implicit
          ? `${groupName} is busy`
          : `all ${plural(online, 'online machine')} in ${groupName} are busy`
        : `${plural(free, 'machine')} free in ${groupName}`;
    return {
      connection,
      verdict: 'willWait',
      summary,
      reason: `A run through "${name}" will wait: ${state}${ahead}.`,
      errorCode: undefined,
    };
  }
  return {
    connection,
    verdict: 'ready',
    summary: implicit ? 'machine online, free' : `${plural(online, 'machine')} online, ${free} free`,
    reason: undefined,
    errorCode: undefined,
  };
}

/**
 * The connections, best first: ready, then those that will wait, then unknown, then those that will surely
 * fail; within a verdict, more free machines first, then by display name.
 */
export function rankConnections(facts: ConnectionFacts, now: number): RankedConnection[] {
  const ranked = facts.connections.map((c) => rankOne(c, facts, now));
  const freeOf = (r: RankedConnection): number => {
    const g = facts.groups.get(r.connection.targetMachineGroupId?.toLowerCase() ?? '');
    if (g === undefined) {
      return 0;
    }
    const busy = new Set(g.busyMachineIds.map((id) => id.toLowerCase()));
    return g.machines.filter((m) => machinePresence(m, busy, now) === 'free').length;
  };
  return ranked.sort(
    (a, b) =>
      verdictRank[a.verdict] - verdictRank[b.verdict] ||
      freeOf(b) - freeOf(a) ||
      a.connection.displayName.localeCompare(b.connection.displayName),
  );
}

/** The facts of one environment: its connections, and for every group they target, machines and runs. */
export async function loadConnectionFacts(
  session: Pick<ServiceSession, 'connections' | 'machineGroups' | 'runs'>,
  environment: { readonly id: string; readonly orgUrl: string },
  callerSignal: AbortSignal,
): Promise<ConnectionFacts> {
  throwIfAborted(callerSignal);
  // One listener on the caller's signal; the requests in parallel (two per group) listen on this one.
  const linked = new AbortController();
  setMaxListeners(0, linked.signal);
  const abort = (): void => linked.abort(callerSignal.reason);
  callerSignal.addEventListener('abort', abort, { once: true });
  try {
    return await loadFacts(session, environment, linked.signal);
  } finally {
    callerSignal.removeEventListener('abort', abort);
  }
}

async function loadFacts(
  session: Pick<ServiceSession, 'connections' | 'machineGroups' | 'runs'>,
  environment: { readonly id: string; readonly orgUrl: string },
  signal: AbortSignal,
): Promise<ConnectionFacts> {
  const org = environment.orgUrl;
  const connections = await session.connections.listDesktopFlowConnections(environment.id, signal);
  const ids = [
    ...new Set(
      connections
        .map((c) => c.targetMachineGroupId?.toLowerCase())
        .filter((id): id is string => id !== undefined),
    ),
  ];
  const groups = new Map<string, GroupFacts>();
  if (ids.length === 0) {
    return { connections, groups };
  }
  const all = await session.machineGroups.list(org, signal);
  await Promise.all(
    ids.map(async (id) => {
      try {
        const queue = await readGroupQueue(session, org, id, signal, all);
        groups.set(id, {
          group: queue.group,
          machines: queue.machines,
          busyMachineIds: [...queue.runningOn.keys()],
          queued: queue.waiting.length,
        });
      } catch (e) {
        // A group we may not read (or that is gone) leaves its connections "not known", never blocks the pick.
        throwIfAborted(signal);
        void e;
      }
    }),
  );
  return { connections, groups };
}
