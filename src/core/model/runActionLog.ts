/**
 * A run's V1 action log: the `additionalcontext` file column of `flowsession` (docs/service-contract.md#flowsessions-run-status). The JSON
 * shape is community-observed only, so every field is optional and unknown fields are ignored.
 */
import { optionalBoolean, optionalNumber, optionalRecord, optionalString } from './dtoFields';

/** One input or output of an action. */
export interface RunActionParameter {
  readonly name: string;
  readonly localizedName: string | undefined;
  readonly value: unknown;
  readonly variableName: string | undefined;
}

/** One executed action. */
export interface RunAction {
  readonly index: number | undefined;
  readonly name: string | undefined;
  readonly systemActionName: string | undefined;
  readonly moduleName: string | undefined;
  readonly startTime: string | undefined;
  readonly endTime: string | undefined;
  /** e.g. `Succeeded`, `Failed` (as the service writes it). */
  readonly status: string | undefined;
  readonly insideErrorHandling: boolean | undefined;
  readonly inputs: readonly RunActionParameter[];
  readonly outputs: readonly RunActionParameter[];
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
}

/** The whole V1 log. */
export interface RunActionLog {
  readonly actions: readonly RunAction[];
  readonly childFlowsLogStatus: string | undefined;
}

function parameters(value: unknown): RunActionParameter[] {
  const record = optionalRecord(value);
  if (record === undefined) {
    return [];
  }
  return Object.entries(record).map(([name, raw]) => {
    const p = optionalRecord(raw);
    return {
      name,
      localizedName: optionalString(p?.localizedName),
      value: p === undefined ? raw : p.value,
      variableName: optionalString(p?.variableName),
    };
  });
}

/** One action record of the V1 log (or the `data` of a V2 `flowlog` row, which has a similar shape). */
export function runActionFromDto(raw: unknown): RunAction {
  const a = optionalRecord(raw) ?? {};
  const error = optionalRecord(a.error);
  return {
    index: optionalNumber(a.index),
    name: optionalString(a.name),
    systemActionName: optionalString(a.systemActionName),
    moduleName: optionalString(a.localizedModuleName) ?? optionalString(a.systemModuleName),
    startTime: optionalString(a.startTime),
    endTime: optionalString(a.endTime),
    status: optionalString(a.status),
    insideErrorHandling: optionalBoolean(a.insideErrorHandling),
    inputs: parameters(a.inputs),
    outputs: parameters(a.outputs),
    errorCode: optionalString(error?.code),
    errorMessage: optionalString(error?.message),
  };
}

/** Normalise the parsed `additionalcontext` document. */
export function runActionLogFromDto(dto: unknown): RunActionLog {
  const record = optionalRecord(dto) ?? {};
  const rawActions = Array.isArray(record.actions) ? (record.actions as unknown[]) : [];
  return {
    actions: rawActions.map(runActionFromDto),
    childFlowsLogStatus: optionalString(record.childFlowsLogStatus),
  };
}

/** `flowlog.type` 100000001: one executed action (docs/service-contract.md#flowsessions-run-status). */
export const flowLogActionType = 100000001;

/**
 * One V2 log row (`flowlog`, an elastic table). Its `data` schema is unpublished: action rows are read like
 * V1 actions, other rows (queue events, custom logs) keep their raw text.
 */
export interface FlowLogEntry {
  readonly id: string | undefined;
  readonly name: string | undefined;
  /** `type` (100000001 = an action; the queue event types follow it). */
  readonly type: number | undefined;
  /** `level`'s label (Verbose, Debug, Info, Warning, Error), or its number as text. */
  readonly level: string | undefined;
  readonly createdOn: string | undefined;
  readonly index: number | undefined;
  /** Milliseconds. */
  readonly durationMs: number | undefined;
  /** The action, for action rows whose `data` is a JSON object. */
  readonly action: RunAction | undefined;
  /** `data` as sent, for rows that are not actions (or not JSON). */
  readonly text: string | undefined;
}

/** Normalise one `flowlog` row (with formatted values when the service sent them). */
export function flowLogEntryFromDto(dto: Readonly<Record<string, unknown>>): FlowLogEntry {
  const type = optionalNumber(dto.type);
  const data = optionalString(dto.data);
  let parsed: unknown;
  if (data !== undefined) {
    try {
      parsed = JSON.parse(data) as unknown;
    } catch {
      parsed = undefined;
    }
  }
  const isAction = type === flowLogActionType && optionalRecord(parsed) !== undefined;
  const levelNumber = optionalNumber(dto.level);
  return {
    id: optionalString(dto.flowlogid),
    name: optionalString(dto.name),
    type,
    level:
      optionalString(dto['level@OData.Community.Display.V1.FormattedValue']) ??
      (levelNumber === undefined ? undefined : String(levelNumber)),
    createdOn: optionalString(dto.createdon),
    index: optionalNumber(dto.logindex),
    durationMs: optionalNumber(dto.duration),
    action: isAction ? runActionFromDto(parsed) : undefined,
    text: isAction ? undefined : data,
  };
}
