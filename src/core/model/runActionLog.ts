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

/** Normalise the parsed `additionalcontext` document. */
export function runActionLogFromDto(dto: unknown): RunActionLog {
  const record = optionalRecord(dto) ?? {};
  const rawActions = Array.isArray(record.actions) ? (record.actions as unknown[]) : [];
  const actions = rawActions.map((raw): RunAction => {
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
  });
  return { actions, childFlowsLogStatus: optionalString(record.childFlowsLogStatus) };
}
