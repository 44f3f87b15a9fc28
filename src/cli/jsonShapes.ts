/**
 * The `--json` shapes: stable, documented in docs/cli.md. Every key is always present; what is unknown is
 * `null` (never left out), so scripts can rely on the keys. Core models are mapped here explicitly rather
 * than printed as they are, so a change inside the core cannot silently change the CLI's output.
 */
import type { FlowVariable } from '../core/inputs/desktopFlowSchema';
import type { DesktopFlowConnection } from '../core/model/connection';
import type { ConnectionReference } from '../core/model/connectionReference';
import type { Environment } from '../core/model/environment';
import type { DesktopFlow } from '../core/model/flow';
import type { Machine } from '../core/model/machine';
import type { MachineGroup } from '../core/model/machineGroup';
import { isTerminal, type LicenseCheck, type Run, type RunStatus } from '../core/model/run';
import { remedyFor } from '../core/runs/remedies';
import type { RunMachine, RunTimings } from '../core/runs/runEvents';
import type { RunOptions } from '../core/runs/runOptions';
import type { TriggeredRun } from '../core/runs/runTrigger';
import type { CliEnvironment } from './environmentLookup';

/** `null` for `undefined`. */
function n<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

/** `envs`: one environment. */
export interface EnvironmentJson {
  readonly id: string;
  readonly name: string;
  readonly orgUrl: string;
  readonly uniqueName: string | null;
  readonly region: string | null;
  readonly type: string | null;
  readonly isDefault: boolean | null;
  readonly enabled: boolean;
}

export function environmentJson(e: Environment): EnvironmentJson {
  return {
    id: e.id,
    name: e.displayName,
    orgUrl: e.orgUrl,
    uniqueName: n(e.uniqueName),
    region: n(e.region),
    type: n(e.sku),
    isDefault: n(e.isDefault),
    enabled: e.enabled,
  };
}

/** The environment a result belongs to. */
export interface EnvironmentRefJson {
  readonly id: string | null;
  readonly name: string | null;
  readonly orgUrl: string;
}

export function environmentRefJson(e: CliEnvironment): EnvironmentRefJson {
  return { id: n(e.id), name: n(e.displayName), orgUrl: e.orgUrl };
}

/** `flows`: one desktop flow. */
export interface FlowJson {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly state: string;
  readonly draft: boolean;
  readonly owner: string | null;
  readonly createdOn: string | null;
  readonly modifiedOn: string | null;
}

export function flowJson(f: DesktopFlow): FlowJson {
  return {
    id: f.id,
    name: f.name,
    description: n(f.description),
    state: f.state,
    draft: f.isUnpublished,
    owner: n(f.ownerName),
    createdOn: n(f.createdOn),
    modifiedOn: n(f.modifiedOn),
  };
}

/** `schema`: one input or output variable. */
export interface VariableJson {
  readonly name: string;
  /** `text`, `number`, `boolean`, `customObject`, `list`, `datatable` or `unknown`. */
  readonly type: string;
  /** `required`, `optional` or `unknown` (the stored schema does not say). */
  readonly requirement: string;
  readonly sensitive: boolean;
  readonly hasDefault: boolean;
  readonly default: unknown;
  readonly description: string | null;
}

export function variableJson(v: FlowVariable): VariableJson {
  return {
    name: v.name,
    type: v.kind,
    requirement: v.requirement,
    sensitive: v.sensitive,
    hasDefault: v.hasDefault,
    default: v.hasDefault ? (v.default ?? null) : null,
    description: n(v.description),
  };
}

/** `connections`: one desktop-flow connection. */
export interface ConnectionJson {
  readonly name: string;
  readonly displayName: string;
  /** `connected`, `error` or `unknown`. */
  readonly status: string;
  readonly error: string | null;
  readonly kind: string | null;
  readonly username: string | null;
  readonly machineGroupId: string | null;
  readonly createdBy: string | null;
}

export function connectionJson(c: DesktopFlowConnection): ConnectionJson {
  const failing = c.statuses.find((s) => s.errorCode !== undefined || s.errorMessage !== undefined);
  return {
    name: c.name,
    displayName: c.displayName,
    status: c.status,
    error:
      failing === undefined
        ? null
        : [failing.errorCode, failing.errorMessage].filter((p) => p !== undefined).join(': '),
    kind: n(c.parameterSetName),
    username: n(c.username),
    machineGroupId: n(c.targetMachineGroupId),
    createdBy: n(c.createdBy?.userPrincipalName ?? c.createdBy?.email ?? c.createdBy?.displayName),
  };
}

/** `connections`: one connection reference. */
export interface ConnectionReferenceJson {
  readonly logicalName: string;
  readonly displayName: string;
  readonly connectionName: string | null;
  readonly active: boolean;
}

export function connectionReferenceJson(r: ConnectionReference): ConnectionReferenceJson {
  return {
    logicalName: r.logicalName,
    displayName: r.displayName,
    connectionName: n(r.connectionName),
    active: r.active,
  };
}

/** `machines`: one machine. */
export interface MachineJson {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly state: string;
  readonly groupId: string | null;
  readonly groupName: string | null;
  readonly agentVersion: string | null;
  readonly lastHeartbeatOn: string | null;
  readonly hosting: string;
}

export function machineJson(m: Machine, groupName: string | undefined): MachineJson {
  return {
    id: m.id,
    name: m.name,
    status: m.status,
    state: m.state,
    groupId: n(m.groupId),
    groupName: n(groupName),
    agentVersion: n(m.agentVersion),
    lastHeartbeatOn: n(m.lastHeartbeatOn),
    hosting: m.hosting,
  };
}

/** `machines`: one machine group. */
export interface MachineGroupJson {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  /** The per-machine group every standalone machine has (the portal hides these). */
  readonly implicit: boolean;
  readonly status: string;
  readonly machineCount: number;
}

export function machineGroupJson(g: MachineGroup, machineCount: number): MachineGroupJson {
  return {
    id: g.id,
    name: g.name,
    type: g.groupType,
    implicit: g.isImplicit,
    status: g.status,
    machineCount,
  };
}

/** How a run was started. */
export interface RunOptionsJson {
  readonly connection: { readonly kind: 'connection' | 'connectionReference'; readonly name: string };
  readonly runMode: string;
  readonly priority: string;
  readonly timeoutSeconds: number | null;
}

export function runOptionsJson(o: RunOptions): RunOptionsJson {
  return {
    connection:
      o.connection.kind === 'connection'
        ? { kind: 'connection', name: o.connection.name }
        : { kind: 'connectionReference', name: o.connection.logicalName },
    runMode: o.runMode,
    priority: o.priority ?? 'normal',
    timeoutSeconds: n(o.timeoutSeconds),
  };
}

/** `run` without `--wait`: the run was accepted. */
export interface RunStartedJson {
  readonly runId: string;
  readonly flowId: string;
  readonly flowName: string | null;
  readonly environment: EnvironmentRefJson;
  readonly options: RunOptionsJson;
  readonly licenseCheck: { readonly code: string; readonly message: string | null } | null;
  /** True when the service's answer was lost and the run was found by looking it up. */
  readonly reconciled: boolean;
  /** Start requests sent. */
  readonly attempts: number;
}

function licenseJson(l: LicenseCheck | undefined): RunStartedJson['licenseCheck'] {
  return l === undefined ? null : { code: l.code, message: n(l.message) };
}

export function runStartedJson(run: TriggeredRun, environment: CliEnvironment): RunStartedJson {
  return {
    runId: run.runId,
    flowId: run.flowId,
    flowName: n(run.flowName),
    environment: environmentRefJson(environment),
    options: runOptionsJson(run.options),
    licenseCheck: licenseJson(run.licenseCheck),
    reconciled: run.reconciled,
    attempts: run.attempts,
  };
}

/** `status`, `runs`, and the end of a waited run. */
export interface RunStateJson {
  readonly runId: string;
  readonly flowId: string | null;
  readonly flowName: string | null;
  readonly environment: EnvironmentRefJson;
  /** `waiting` (queued), `running`, `succeeded`, `failed`, `cancelled`, `timedOut`, … */
  readonly status: RunStatus;
  readonly finished: boolean;
  readonly succeeded: boolean;
  readonly runMode: string;
  readonly createdOn: string | null;
  readonly startedOn: string | null;
  readonly completedOn: string | null;
  readonly queueWaitMs: number | null;
  readonly runTimeMs: number | null;
  readonly machine: { readonly id: string; readonly name: string | null } | null;
  readonly error: {
    readonly code: string | null;
    readonly message: string | null;
    readonly remedy: { readonly title: string; readonly remedy: string } | null;
  } | null;
}

/** What a run state is built from: a `Run` row or a `finished` event, plus its timings. */
export interface RunStateSource extends RunTimings {
  readonly runId: string;
  readonly flowId: string | undefined;
  readonly flowName: string | undefined;
  readonly status: RunStatus;
  readonly runMode: string;
  readonly machine: RunMachine | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
}

export function runStateJson(s: RunStateSource, environment: CliEnvironment): RunStateJson {
  const remedy = remedyFor(s.errorCode);
  const hasError = s.errorCode !== undefined || s.errorMessage !== undefined;
  return {
    runId: s.runId,
    flowId: n(s.flowId),
    flowName: n(s.flowName),
    environment: environmentRefJson(environment),
    status: s.status,
    finished: isTerminal(s.status),
    succeeded: s.status === 'succeeded',
    runMode: s.runMode,
    createdOn: n(s.createdOn),
    startedOn: n(s.startedOn),
    completedOn: n(s.completedOn),
    queueWaitMs: n(s.queueWaitMs),
    runTimeMs: n(s.runTimeMs),
    machine: s.machine === undefined ? null : { id: s.machine.id, name: n(s.machine.name) },
    error: hasError
      ? {
          code: n(s.errorCode),
          message: n(s.errorMessage),
          remedy: remedy === undefined ? null : { title: remedy.title, remedy: remedy.remedy },
        }
      : null,
  };
}

/** A run state source from a `flowsessions` row. */
export function runStateSource(run: Run, timings: RunTimings, flowName: string | undefined): RunStateSource {
  return {
    ...timings,
    runId: run.id,
    flowId: run.flowId,
    flowName,
    status: run.status,
    runMode: run.runMode,
    machine: run.machineId === undefined ? undefined : { id: run.machineId, name: run.machineName },
    errorCode: run.errorCode,
    errorMessage: run.errorMessage,
  };
}
