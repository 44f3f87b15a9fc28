/**
 * A desktop flow run: a Dataverse `flowsession` row (docs/service-contract.md#flowsessions-run-status). `statecode` cannot tell running from
 * finished (statuses 1-12 all pair with state 0), so "finished" is derived from `statuscode` only.
 */
import { formattedValue, optionalNumber, optionalRecord, optionalString } from './dtoFields';

/** `flowsession.statuscode`, by name. */
export type RunStatus =
  | 'notSpecified'
  | 'paused'
  | 'running'
  | 'waiting'
  | 'succeeded'
  | 'skipped'
  | 'suspended'
  | 'cancelled'
  | 'failed'
  | 'faulted'
  | 'timedOut'
  | 'aborted'
  | 'ignored'
  | 'deleted'
  | 'terminated'
  | 'unknown';

/** Status codes as Dataverse numbers them. */
export const runStatusByCode: Readonly<Record<number, RunStatus>> = {
  0: 'notSpecified',
  1: 'paused',
  2: 'running',
  3: 'waiting',
  4: 'succeeded',
  5: 'skipped',
  6: 'suspended',
  7: 'cancelled',
  8: 'failed',
  9: 'faulted',
  10: 'timedOut',
  11: 'aborted',
  12: 'ignored',
  13: 'deleted',
  14: 'terminated',
};

const terminalStatuses: ReadonlySet<RunStatus> = new Set<RunStatus>([
  'succeeded',
  'skipped',
  'cancelled',
  'failed',
  'faulted',
  'timedOut',
  'aborted',
  'ignored',
  'deleted',
  'terminated',
]);

/** The status for a `statuscode`; unknown numbers map to `unknown`. */
export function runStatusFromCode(code: number | undefined): RunStatus {
  return code === undefined ? 'unknown' : (runStatusByCode[code] ?? 'unknown');
}

/** True once a run can no longer change: stop polling (docs/service-contract.md#flowsessions-run-status). */
export function isTerminal(status: RunStatus): boolean {
  return terminalStatuses.has(status);
}

/** True for a run that is queued (`waiting`) and has not started on a machine. */
export function isQueued(status: RunStatus): boolean {
  return status === 'waiting';
}

/** `runmode`: 0 Local, 1 Attended, 2 Unattended. */
export type RunMode = 'local' | 'attended' | 'unattended' | 'unknown';

/** `triggertype`: how the run was started. */
export type RunTrigger = 'cloudFlow' | 'desktopFlow' | 'local' | 'dataverseApi' | 'cua' | 'unknown';

const runModes: Readonly<Record<number, RunMode>> = { 0: 'local', 1: 'attended', 2: 'unattended' };
const triggers: Readonly<Record<number, RunTrigger>> = {
  0: 'cloudFlow',
  1: 'desktopFlow',
  2: 'local',
  3: 'dataverseApi',
  4: 'cua',
};

/** A desktop flow run. Fields the query did not select are `undefined`. */
export interface Run {
  /** `flowsessionid`. */
  readonly id: string;
  readonly name: string | undefined;
  readonly status: RunStatus;
  readonly statusCode: number | undefined;
  /** Localised status label, when the service sent the formatted value. */
  readonly statusLabel: string | undefined;
  readonly stateCode: number | undefined;
  /** The desktop flow that ran (`_regardingobjectid_value`). */
  readonly flowId: string | undefined;
  readonly runMode: RunMode;
  readonly trigger: RunTrigger;
  readonly createdOn: string | undefined;
  readonly startedOn: string | undefined;
  readonly completedOn: string | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly machineId: string | undefined;
  readonly machineName: string | undefined;
  readonly machineGroupId: string | undefined;
  readonly ownerId: string | undefined;
  /** `_createdby_value`: who started the run (read by reconciliation; absent unless selected). */
  readonly createdById?: string | undefined;
  /** Who started the run, by name (the lookup's formatted value; absent unless selected). */
  readonly createdByName?: string | undefined;
  /** The flow's name (the `_regardingobjectid_value` lookup's formatted value), when the service sent it. */
  readonly flowName?: string | undefined;
  readonly connectionId: string | undefined;
  /** Raw `runduration` (units undocumented, docs/service-contract.md#flowsessions-run-status). */
  readonly runDuration: number | undefined;
}

/** A `flowsessions` row. */
export interface FlowSessionDto {
  readonly flowsessionid?: string;
  readonly name?: string | null;
  readonly statuscode?: number;
  readonly statecode?: number;
  readonly _regardingobjectid_value?: string | null;
  readonly runmode?: number | null;
  readonly triggertype?: number | null;
  readonly createdon?: string | null;
  readonly startedon?: string | null;
  readonly completedon?: string | null;
  readonly errorcode?: string | null;
  readonly errormessage?: string | null;
  readonly _machineid_value?: string | null;
  readonly _machinegroupid_value?: string | null;
  readonly _ownerid_value?: string | null;
  readonly _createdby_value?: string | null;
  readonly connectionid?: string | null;
  readonly runduration?: number | null;
  readonly [field: string]: unknown;
}

/** Columns for run lists and status polls (docs/service-contract.md#flowsessions-run-status). */
export const runSelect = [
  'flowsessionid',
  'name',
  'statuscode',
  'statecode',
  '_regardingobjectid_value',
  'runmode',
  'triggertype',
  'createdon',
  'startedon',
  'completedon',
  'errorcode',
  'errormessage',
  '_machineid_value',
  '_machinegroupid_value',
  '_ownerid_value',
  'connectionid',
  'runduration',
] as const;

/** Normalise a `flowsessions` row; `undefined` without an id. */
export function runFromDto(dto: FlowSessionDto): Run | undefined {
  const id = optionalString(dto.flowsessionid);
  if (id === undefined) {
    return undefined;
  }
  const statusCode = optionalNumber(dto.statuscode);
  const runMode = optionalNumber(dto.runmode);
  const trigger = optionalNumber(dto.triggertype);
  return {
    id,
    name: optionalString(dto.name),
    status: runStatusFromCode(statusCode),
    statusCode,
    statusLabel: formattedValue(dto, 'statuscode'),
    stateCode: optionalNumber(dto.statecode),
    flowId: optionalString(dto._regardingobjectid_value),
    runMode: runMode === undefined ? 'unknown' : (runModes[runMode] ?? 'unknown'),
    trigger: trigger === undefined ? 'unknown' : (triggers[trigger] ?? 'unknown'),
    createdOn: optionalString(dto.createdon),
    startedOn: optionalString(dto.startedon),
    completedOn: optionalString(dto.completedon),
    errorCode: optionalString(dto.errorcode),
    errorMessage: optionalString(dto.errormessage),
    machineId: optionalString(dto._machineid_value),
    machineName: formattedValue(dto, '_machineid_value'),
    machineGroupId: optionalString(dto._machinegroupid_value),
    ownerId: optionalString(dto._ownerid_value),
    ...(dto._createdby_value === undefined ? {} : { createdById: optionalString(dto._createdby_value) }),
    ...(formattedValue(dto, '_createdby_value') === undefined
      ? {}
      : { createdByName: formattedValue(dto, '_createdby_value') }),
    ...(formattedValue(dto, '_regardingobjectid_value') === undefined
      ? {}
      : { flowName: formattedValue(dto, '_regardingobjectid_value') }),
    connectionId: optionalString(dto.connectionid),
    runDuration: optionalNumber(dto.runduration),
  };
}

/** `licenseCheck` of a RunDesktopFlow response (docs/service-contract.md#rundesktopflow). Anything but `ValidLicenseCoverage` is a warning. */
export interface LicenseCheck {
  readonly code: string;
  readonly message: string | undefined;
}

/** What RunDesktopFlow answered. */
export interface RunStart {
  /** The `flowsession` that tracks the run. */
  readonly sessionId: string;
  /** Absent when the service did not include it (clients must tolerate that). */
  readonly licenseCheck: LicenseCheck | undefined;
}

/** The RunDesktopFlow response body. */
export interface RunDesktopFlowResponseDto {
  readonly flowsessionId?: string;
  readonly licenseCheck?: { readonly code?: string; readonly message?: string } | null;
  readonly [field: string]: unknown;
}

/** Normalise a RunDesktopFlow response; `undefined` when it names no session. */
export function runStartFromDto(dto: RunDesktopFlowResponseDto): RunStart | undefined {
  const sessionId = optionalString(dto.flowsessionId);
  if (sessionId === undefined) {
    return undefined;
  }
  const check = optionalRecord(dto.licenseCheck);
  const code = optionalString(check?.code);
  return {
    sessionId,
    licenseCheck: code === undefined ? undefined : { code, message: optionalString(check?.message) },
  };
}
