/**
 * "Why is it waiting?" for a queued run, from what the service exposes (docs/service-contract.md#flowsession,
 * #machines-and-machine-groups): the runs waiting in the same machine group, the group's machines and the
 * runs running on them (all read by `readGroupQueue`, as "Check Before Run" reads them), and the
 * queue timeout (a run waits at most 6 hours after it was requested, then fails with NoCandidateMachine).
 *
 * The service orders a queue by priority, then by enqueue time, but does not expose a queued run's priority
 * on `flowsession`; priorities are shown where the caller knows them (the runs this tool started).
 */
import type { Run } from '../model/run';
import type { ServiceSession } from '../serviceSession';
import { throwIfAborted } from '../util/abort';
import { busyMachineIds, machinePresence, readGroupQueue, type MachinePresence } from './groupQueue';
import type { ReadinessMachine } from './readiness';

/** How long a run may wait in a queue before it fails with NoCandidateMachine. */
export const queueTimeoutMs = 6 * 60 * 60 * 1000;

/** A run ahead in the queue. */
export interface QueuedRunAhead {
  readonly runId: string;
  readonly flowId: string | undefined;
  readonly createdOn: string | undefined;
  /** How long it has waited, in ms (service time). */
  readonly ageMs: number | undefined;
  /** Its priority when known to the caller; the service does not expose it. */
  readonly priority: string | undefined;
}

/** The answer. */
export interface WaitingExplanation {
  readonly runId: string;
  readonly status: Run['status'];
  /** False when the run is not waiting (the rest then describes nothing). */
  readonly waiting: boolean;
  readonly groupId: string | undefined;
  readonly groupName: string | undefined;
  /** 1-based position by enqueue time among the group's waiting runs. */
  readonly position: number | undefined;
  readonly queueLength: number;
  readonly ahead: readonly QueuedRunAhead[];
  readonly machines: readonly (ReadinessMachine & { readonly runningRunId: string | undefined })[];
  /** When the queue timeout fails the run (ISO), from its creation time. */
  readonly timesOutAt: string | undefined;
  /** Full sentences: why it waits and what would let it start. */
  readonly reasons: readonly string[];
}

/** What it needs. */
export interface WhyWaitingDeps {
  readonly session: Pick<ServiceSession, 'runs' | 'machineGroups'>;
  readonly now?: () => number;
  /** The priority a run was started with, when this tool started it (the run journal). */
  readonly priorityOf?: (runId: string) => string | undefined;
  /** A flow's display name by id, for the runs ahead. */
  readonly flowNameOf?: (flowId: string) => string | undefined;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** "2 h 5 min", "4 min", "30 s". */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) {
    return `${s} s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m} min`;
  }
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Explains why run `runId` of org `org` is waiting. */
export async function explainWaiting(
  org: string,
  runId: string,
  deps: WhyWaitingDeps,
  signal: AbortSignal,
): Promise<WaitingExplanation> {
  throwIfAborted(signal);
  const now = (deps.now ?? Date.now)();
  const run = await deps.session.runs.getFlowSession(org, runId, signal);
  const base = {
    runId: run.id,
    status: run.status,
    groupId: run.machineGroupId,
    groupName: undefined,
    position: undefined,
    queueLength: 0,
    ahead: [],
    machines: [],
    timesOutAt: undefined,
  };
  if (run.status !== 'waiting') {
    return {
      ...base,
      waiting: false,
      reasons: [
        `This run is not waiting: it is ${run.status}${run.machineName === undefined ? '' : ` on ${run.machineName}`}.`,
      ],
    };
  }
  const created = run.createdOn === undefined ? Number.NaN : Date.parse(run.createdOn);
  const timesOutAt = Number.isNaN(created) ? undefined : new Date(created + queueTimeoutMs).toISOString();
  const groupId = run.machineGroupId;
  if (groupId === undefined) {
    return {
      ...base,
      waiting: true,
      timesOutAt,
      reasons: [
        'The service has not assigned this run to a machine group yet, so there is no queue to show.',
      ],
    };
  }
  const queue = await readGroupQueue(deps.session, org, groupId, signal);
  const group = queue.group;
  const groupName = group?.name ?? queue.machines[0]?.name ?? 'its machine group';
  const where = group?.isImplicit === true ? `machine ${groupName}` : `group ${groupName}`;
  const waiting = queue.waiting;
  const index = waiting.findIndex((r) => r.id.toLowerCase() === run.id.toLowerCase());
  const aheadRuns = index < 0 ? waiting : waiting.slice(0, index);
  const ahead: QueuedRunAhead[] = aheadRuns.map((r) => {
    const t = r.createdOn === undefined ? Number.NaN : Date.parse(r.createdOn);
    return {
      runId: r.id,
      flowId: r.flowId,
      createdOn: r.createdOn,
      ageMs: Number.isNaN(t) ? undefined : now - t,
      priority: deps.priorityOf?.(r.id),
    };
  });
  const busy = busyMachineIds(queue);
  const machines = queue.machines.map((m) => ({
    name: m.name,
    presence: machinePresence(m, busy, now),
    agentVersion: m.agentVersion,
    runningRunId: queue.runningOn.get(m.id.toLowerCase()),
  }));
  const reasons: string[] = [];
  const count = (p: MachinePresence): number => machines.filter((m) => m.presence === p).length;
  if (machines.length === 0) {
    reasons.push(`${where} has no machines: the run cannot start until one is added (else GroupIsEmpty).`);
  } else if (count('free') + count('busy') === 0) {
    reasons.push(
      machines.length === 1
        ? `${groupName} is ${count('maintenance') > 0 ? 'in maintenance' : 'offline'}: the run starts when it is back.`
        : `None of the ${plural(machines.length, 'machine')} in ${groupName} is online and out of maintenance.`,
    );
  } else if (count('free') === 0) {
    reasons.push(
      machines.length === 1
        ? `${groupName} is busy with another run.`
        : `All ${plural(count('busy'), 'online machine')} in ${groupName} are busy.`,
    );
  } else {
    reasons.push(
      `${plural(count('free'), 'machine')} in ${groupName} ${count('free') === 1 ? 'looks' : 'look'} free; the service assigns the run at its next pass (or the machine cannot take it: check its session).`,
    );
  }
  if (ahead.length > 0) {
    reasons.push(
      `${plural(ahead.length, 'run')} ${ahead.length === 1 ? 'was' : 'were'} queued before it in ${where}; the service takes higher priority first, then the oldest.`,
    );
  }
  if (timesOutAt !== undefined) {
    const left = Date.parse(timesOutAt) - now;
    reasons.push(
      left > 0
        ? `If no machine takes it, it fails with NoCandidateMachine in ${formatSpan(left)} (6 hours after it was requested).`
        : 'It has waited past the 6-hour queue limit: the service fails it with NoCandidateMachine.',
    );
  }
  return {
    ...base,
    waiting: true,
    groupName,
    position: index < 0 ? undefined : index + 1,
    queueLength: waiting.length,
    ahead,
    machines,
    timesOutAt,
    reasons,
  };
}
