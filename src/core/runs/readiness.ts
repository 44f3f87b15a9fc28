/**
 * "Check Before Run": what the service will do with a run if it is sent now, without sending it. Every
 * check reads only what the documented service exposes (docs/service-contract.md#machines-and-machine-groups,
 * #connection-type-1-and-2, #flowsession): the flow's state, the connection's statuses, the target group's
 * machines (`lastheartbeatdate`, `statecode`, `agentversion`), the runs running on them and waiting in the
 * group's queue (`flowsessions`, read by `readGroupQueue`), and the inputs through `prepareRun`. Windows sessions on machines are not
 * exposed by the service, so the attended check says what it needs instead of guessing.
 *
 * Nothing is sent; service failures other than "not found" are thrown; aborting throws `CancellationError`.
 */
import { ApiError } from '../errors';
import type { DesktopFlowConnection } from '../model/connection';
import type { DesktopFlow } from '../model/flow';
import type { Machine } from '../model/machine';
import type { ServiceSession } from '../serviceSession';
import { throwIfAborted } from '../util/abort';
import { busyMachineIds, machinePresence, readGroupQueue, type MachinePresence } from './groupQueue';
import { prepareRun, type PrepareRunDeps, type PreparedRun, type RunProblem } from './prepareRun';
import type { EnvironmentRef } from './runJournal';
import type { RunMode, RunOptions } from './runOptions';
import type { RunRequest } from './runRequest';

/** The checks, in the order they are shown. */
export type ReadinessCheck =
  'flow' | 'connection' | 'machines' | 'session' | 'schemaVersion' | 'inputs' | 'options';

/** `ok` passes; `warning` runs but not as hoped (waits, may fail); `error` will surely fail; `unknown` cannot be checked. */
export type ReadinessOutcome = 'ok' | 'warning' | 'error' | 'unknown';

/** One check's answer. */
export interface ReadinessItem {
  readonly check: ReadinessCheck;
  readonly outcome: ReadinessOutcome;
  /** What will happen, as a full sentence naming things by display names. */
  readonly message: string;
  /** What to do about it, when something can be done. */
  readonly fix?: string;
  /** A run error code this predicts (`GroupIsEmpty`, `UnsupportedRpaScriptSchemaVersion`, …). */
  readonly errorCode?: string;
}

/** A machine of the target group and what it is doing. */
export interface ReadinessMachine {
  readonly name: string;
  readonly presence: MachinePresence;
  readonly agentVersion: string | undefined;
}

/** The whole answer. */
export interface ReadinessReport {
  readonly flowName: string | undefined;
  readonly environment: EnvironmentRef | undefined;
  readonly connectionDisplayName: string | undefined;
  readonly runMode: RunMode | undefined;
  /** `ready` (all ok), `willWait` (warnings only), `willFail` (an error). */
  readonly verdict: 'ready' | 'willWait' | 'willFail';
  readonly items: readonly ReadinessItem[];
  readonly groupName: string | undefined;
  readonly machines: readonly ReadinessMachine[];
  /** Runs already waiting in the target group's queue. */
  readonly queuedAhead: number;
  /** The prepared run when nothing blocks it (so a caller may send exactly what was checked). */
  readonly prepared: PreparedRun | undefined;
}

/** What the check needs: what `prepareRun` needs, plus machines, groups and runs. */
export interface ReadinessDeps extends Omit<PrepareRunDeps, 'session'> {
  readonly session: Pick<
    ServiceSession,
    | 'cloud'
    | 'environments'
    | 'flows'
    | 'connections'
    | 'connectionReferences'
    | 'runs'
    | 'machines'
    | 'machineGroups'
  >;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function inputItems(problems: readonly RunProblem[]): ReadinessItem[] {
  return problems.map((p) => ({
    check:
      p.field === 'inputs'
        ? 'inputs'
        : p.field === 'connection'
          ? 'connection'
          : p.field === 'flow'
            ? 'flow'
            : 'options',
    outcome: p.severity === 'error' ? 'error' : 'warning',
    message: p.message,
    fix: p.fix,
  }));
}

function flowItems(flow: DesktopFlow): ReadinessItem[] {
  if (flow.state !== 'activated') {
    return [
      {
        check: 'flow',
        outcome: 'error',
        message: `"${flow.name}" is ${flow.state === 'draft' ? 'a draft, not published' : `not published (state ${flow.state})`}: the service only runs published desktop flows.`,
        fix: 'Open the flow in Power Automate for desktop, save and publish it, then check again.',
      },
    ];
  }
  if (flow.isUnpublished) {
    return [
      {
        check: 'flow',
        outcome: 'warning',
        message: `"${flow.name}" has unpublished changes; this run uses the draft layer.`,
        fix: 'Publish the flow if the run should use what is published.',
      },
    ];
  }
  return [{ check: 'flow', outcome: 'ok', message: `"${flow.name}" is published.` }];
}

function connectionItem(connection: DesktopFlowConnection): ReadinessItem {
  if (connection.status === 'connected') {
    return {
      check: 'connection',
      outcome: 'ok',
      message: `Connection "${connection.displayName}" is connected.`,
    };
  }
  const detail = connection.statuses.find((s) => s.status.toLowerCase() !== 'connected');
  const code = detail?.errorCode;
  return {
    check: 'connection',
    outcome: connection.status === 'error' ? 'error' : 'unknown',
    message:
      connection.status === 'error'
        ? `Connection "${connection.displayName}" is in error${code === undefined ? '' : ` (${code})`}${detail?.errorMessage === undefined ? '' : `: ${detail.errorMessage}`}. Runs through it fail.`
        : `The service did not say whether connection "${connection.displayName}" is connected.`,
    fix: 'Fix the connection in Power Automate (Data › Connections: edit its credentials), or pick another one.',
    ...(code === undefined ? {} : { errorCode: code }),
  };
}

/** The highest version number (dotted numeric) that is lower or equal; compares part by part. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) {
      return d;
    }
  }
  return 0;
}

async function connectionOf(
  options: RunOptions,
  environment: EnvironmentRef,
  deps: ReadinessDeps,
  signal: AbortSignal,
): Promise<DesktopFlowConnection | undefined> {
  const name =
    options.connection.kind === 'connection' ? options.connection.name : options.connection.connectionName;
  if (name === undefined) {
    return undefined;
  }
  const all = await deps.session.connections.listDesktopFlowConnections(environment.id, signal);
  return all.find((c) => c.name.toLowerCase() === name.toLowerCase());
}

/** Checks a run without sending it. */
export async function checkReadiness(
  request: RunRequest,
  deps: ReadinessDeps,
  signal: AbortSignal,
): Promise<ReadinessReport> {
  throwIfAborted(signal);
  const now = deps.now ?? Date.now;
  const prepared = await prepareRun(request, deps, signal);
  const resolved = prepared.ok
    ? {
        environment: prepared.run.environment,
        flow: prepared.run.flow,
        options: prepared.run.options as RunOptions | undefined,
        connectionDisplayName: prepared.run.connectionDisplayName as string | undefined,
      }
    : prepared.resolved;
  const problems = prepared.ok ? prepared.warnings : prepared.problems;
  const items: ReadinessItem[] = [];
  const machines: ReadinessMachine[] = [];
  let groupName: string | undefined;
  let queuedAhead = 0;
  const finish = (): ReadinessReport => {
    const inputs = items.filter((i) => i.check === 'inputs');
    const ordered = [...items.filter((i) => i.check !== 'inputs'), ...inputs];
    if (!ordered.some((i) => i.check === 'inputs') && resolved !== undefined) {
      ordered.push({ check: 'inputs', outcome: 'ok', message: 'The inputs are valid for the flow.' });
    }
    return {
      flowName: resolved?.flow.name,
      environment: resolved?.environment,
      connectionDisplayName: resolved?.connectionDisplayName,
      runMode: resolved?.options?.runMode,
      verdict: ordered.some((i) => i.outcome === 'error')
        ? 'willFail'
        : ordered.some((i) => i.outcome === 'warning')
          ? 'willWait'
          : 'ready',
      items: ordered,
      groupName,
      machines,
      queuedAhead,
      prepared: prepared.ok ? prepared.run : undefined,
    };
  };
  items.push(...inputItems(problems));
  if (resolved === undefined) {
    return finish();
  }
  const org = resolved.environment.orgUrl;

  try {
    const flow = await deps.session.flows.get(org, resolved.flow.id, signal, {
      includeDrafts: resolved.flow.isUnpublished,
    });
    items.unshift(...flowItems(flow));
    const options = resolved.options;
    if (options === undefined) {
      return finish();
    }
    const connection = await connectionOf(options, resolved.environment, deps, signal);
    if (connection === undefined) {
      return finish();
    }
    // Our own connection item says more than prepareRun's "not connected" warning: keep one.
    for (let i = items.length - 1; i >= 0; i--) {
      if (items[i]?.check === 'connection') {
        items.splice(i, 1);
      }
    }
    items.push(connectionItem(connection));
    const groupId = connection.targetMachineGroupId;
    if (groupId === undefined) {
      items.push({
        check: 'machines',
        outcome: 'unknown',
        message: `The service does not say which machine or group connection "${connection.displayName}" targets.`,
      });
      return finish();
    }
    const queue = await readGroupQueue(deps.session, org, groupId, signal);
    const members = queue.machines;
    groupName = queue.group?.name ?? members[0]?.name ?? 'the target group';
    queuedAhead = queue.waiting.length;
    const busy = busyMachineIds(queue);
    const t = now();
    for (const m of members) {
      machines.push({ name: m.name, presence: machinePresence(m, busy, t), agentVersion: m.agentVersion });
    }
    items.push(machinesItem(groupName, queue.group?.isImplicit ?? false, machines, queuedAhead));
    items.push(sessionItem(options.runMode, connection));
    items.push(await schemaItem(flow, org, members, deps, signal));
  } catch (e) {
    if (ApiError.is(e, 'notFound')) {
      items.push({ check: 'flow', outcome: 'error', message: `"${resolved.flow.name}" was not found.` });
      return finish();
    }
    throw e;
  }
  return finish();
}

function machinesItem(
  groupName: string,
  implicit: boolean,
  machines: readonly ReadinessMachine[],
  queued: number,
): ReadinessItem {
  const where = implicit ? `machine ${groupName}` : `group ${groupName}`;
  const ahead = queued === 0 ? '' : `, ${plural(queued, 'run')} ahead`;
  if (machines.length === 0) {
    return {
      check: 'machines',
      outcome: 'error',
      message: `This run will fail: ${where} has no machines.`,
      fix: 'Add a machine to the group in Power Automate (Monitor › Machines), or pick a connection to another machine or group.',
      errorCode: 'GroupIsEmpty',
    };
  }
  const count = (p: ReadinessMachine['presence']): number => machines.filter((m) => m.presence === p).length;
  const free = count('free');
  const busy = count('busy');
  const offline = count('offline');
  const maintenance = count('maintenance');
  if (free + busy === 0) {
    const why =
      maintenance > 0 && offline === 0
        ? `${machines.length === 1 ? `${groupName} is` : `all ${plural(machines.length, 'machine')} in ${groupName} are`} in maintenance`
        : machines.length === 1
          ? `${groupName} is offline`
          : `none of the ${plural(machines.length, 'machine')} in ${groupName} is online`;
    return {
      check: 'machines',
      outcome: 'warning',
      message: `This run will wait: ${why}${ahead}. If no machine can take it within 6 hours, it fails with NoCandidateMachine.`,
      fix: 'Start the machine (or end maintenance) so Power Automate for desktop connects, or pick another connection.',
      errorCode: 'NoCandidateMachine',
    };
  }
  if (free === 0 || queued > 0) {
    const state =
      free === 0
        ? machines.length === 1
          ? `${groupName} is busy`
          : `all ${plural(busy, 'online machine')} in ${groupName} are busy`
        : `${plural(free, 'machine')} free in ${groupName}`;
    return {
      check: 'machines',
      outcome: 'warning',
      message: `This run will wait: ${state}${ahead}.`,
      fix: 'Nothing to do: it starts when a machine is free. Use a higher priority to go ahead of the queue.',
    };
  }
  const online = free + busy;
  return {
    check: 'machines',
    outcome: 'ok',
    message: implicit
      ? `${groupName} is online and free.`
      : `${plural(online, 'machine')} online in ${groupName}, ${free} free${offline > 0 ? `, ${offline} offline` : ''}.`,
  };
}

function sessionItem(runMode: RunMode, connection: DesktopFlowConnection): ReadinessItem {
  const user = connection.username ?? "the connection's Windows user";
  if (runMode === 'attended') {
    return {
      check: 'session',
      outcome: 'unknown',
      message: `Attended: ${user} must be signed in on the machine with an unlocked session; the service does not show sessions, so this cannot be checked before the run.`,
      fix: 'Sign in on the machine and keep the session unlocked, or run unattended. Otherwise the run fails with NoUnlockedActiveSessionForAttended.',
      errorCode: 'NoUnlockedActiveSessionForAttended',
    };
  }
  return {
    check: 'session',
    outcome: 'ok',
    message: `Unattended: the run signs ${user} in on its own; it must not already have a session on the machine (else SessionExistsForTheUserWhenUnattended).`,
  };
}

async function schemaItem(
  flow: DesktopFlow,
  org: string,
  members: readonly Machine[],
  deps: ReadinessDeps,
  signal: AbortSignal,
): Promise<ReadinessItem> {
  const schema =
    flow.schemaVersion === undefined ? 'an unknown schema version' : `schema version ${flow.schemaVersion}`;
  const versions = members.map((m) => m.agentVersion).filter((v): v is string => v !== undefined);
  const oldest = versions.sort(compareVersions)[0];
  // The service does not document which agent version each schema version needs; it says so by failing
  // runs with UnsupportedRpaScriptSchemaVersion. So look for that answer in this flow's history on these machines.
  const ids = new Set(members.map((m) => m.id.toLowerCase()));
  const history = await deps.session.runs.listFlowSessions(
    org,
    {
      filter: `_regardingobjectid_value eq ${flow.id} and errorcode eq 'UnsupportedRpaScriptSchemaVersion'`,
      pageSize: 50,
    },
    signal,
  );
  const refused = history.items.filter(
    (r) => r.machineId !== undefined && ids.has(r.machineId.toLowerCase()),
  );
  if (refused.length > 0) {
    const names = [
      ...new Set(
        refused.map((r) => members.find((m) => m.id.toLowerCase() === r.machineId?.toLowerCase())?.name),
      ),
    ].filter((n): n is string => n !== undefined);
    const agent = (name: string): string => {
      const v = members.find((m) => m.name === name)?.agentVersion;
      return v === undefined ? name : `${name} (agent ${v})`;
    };
    return {
      check: 'schemaVersion',
      outcome: 'error',
      message: `This run will likely fail with UnsupportedRpaScriptSchemaVersion: "${flow.name}" (${schema}) was already refused on ${names.map(agent).join(', ')}.`,
      fix: 'Update Power Automate for desktop on the machine, or save the flow with a schema its version supports.',
      errorCode: 'UnsupportedRpaScriptSchemaVersion',
    };
  }
  return {
    check: 'schemaVersion',
    outcome: 'ok',
    message:
      oldest === undefined
        ? `"${flow.name}" has ${schema}; the machines do not report their agent version.`
        : `"${flow.name}" has ${schema}; the oldest agent in the target is ${oldest}, and no run of this flow was refused there.`,
  };
}
