/**
 * How a run is started (docs/service-contract.md#rundesktopflow): which connection, attended or unattended, priority and timeout.
 * `RunOptions` is plain JSON so the UI can remember it per flow per workspace and hand it back later;
 * `validateRunOptions` accepts anything (e.g. a remembered value from an older version) and either returns
 * clean options or lists every problem.
 */
import type { RunDesktopFlowRequest } from '../api/runsApi';

/** The connection a run uses: sent as `connectionType` 1 (connection) or 2 (connection reference). */
export type RunConnection =
  | {
      readonly kind: 'connection';
      /** The desktop-flow connection name (`shared-uiflow-…`), RunDesktopFlow's `connectionName`. */
      readonly name: string;
    }
  | {
      readonly kind: 'connectionReference';
      /** The connection reference's logical name. */
      readonly logicalName: string;
      /**
       * The connection the reference points at, when known. The service's 70-runs-per-minute limit is per
       * connection, so two references to one connection share one budget when this is given.
       */
      readonly connectionName?: string;
    };

/** `attended` runs in the signed-in user's session; `unattended` creates its own session (docs/service-contract.md#attended-and-unattended). */
export type RunMode = 'attended' | 'unattended';

/** `normal`, `high`, or a custom priority name the service accepts (docs/service-contract.md#rundesktopflow, "or add your own"). */
export type RunPriority = 'normal' | 'high' | (string & Record<never, never>);

/** Everything about how to start a run, except the inputs. Plain JSON. */
export interface RunOptions {
  readonly connection: RunConnection;
  readonly runMode: RunMode;
  /** Default `normal`. */
  readonly priority?: RunPriority;
  /** Script timeout in seconds; default 3 hours, at most 24 hours. */
  readonly timeoutSeconds?: number;
}

/** The service's default run timeout: 3 hours. */
export const defaultRunTimeoutSeconds = 10_800;
/** The service's maximum run timeout: 24 hours. */
export const maxRunTimeoutSeconds = 86_400;
/** Longest custom priority name we send (the service documents none; this keeps junk out). */
const maxPriorityLength = 100;

/** One thing wrong with run options. The UI words it; `field` says where. */
export interface RunOptionsProblem {
  readonly field: 'connection' | 'runMode' | 'priority' | 'timeoutSeconds' | 'options';
  readonly code: 'missing' | 'invalid' | 'tooLarge' | 'tooSmall' | 'notInteger';
  /** For range problems: the bound that was crossed. */
  readonly limit?: number;
}

/** Result of `validateRunOptions`. */
export type RunOptionsValidation =
  | { readonly ok: true; readonly options: RunOptions }
  | { readonly ok: false; readonly problems: readonly RunOptionsProblem[] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmpty(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

/** Checks options from anywhere (UI, remembered state, CLI flags) and returns clean ones or every problem. */
export function validateRunOptions(value: unknown): RunOptionsValidation {
  if (!isRecord(value)) {
    return { ok: false, problems: [{ field: 'options', code: 'invalid' }] };
  }
  const problems: RunOptionsProblem[] = [];

  let connection: RunConnection | undefined;
  const c = value.connection;
  if (c === undefined || c === null) {
    problems.push({ field: 'connection', code: 'missing' });
  } else if (isRecord(c) && c.kind === 'connection' && nonEmpty(c.name)) {
    connection = { kind: 'connection', name: c.name.trim() };
  } else if (isRecord(c) && c.kind === 'connectionReference' && nonEmpty(c.logicalName)) {
    connection = nonEmpty(c.connectionName)
      ? {
          kind: 'connectionReference',
          logicalName: c.logicalName.trim(),
          connectionName: c.connectionName.trim(),
        }
      : { kind: 'connectionReference', logicalName: c.logicalName.trim() };
  } else {
    problems.push({ field: 'connection', code: 'invalid' });
  }

  const runMode = value.runMode;
  if (runMode === undefined) {
    problems.push({ field: 'runMode', code: 'missing' });
  } else if (runMode !== 'attended' && runMode !== 'unattended') {
    problems.push({ field: 'runMode', code: 'invalid' });
  }

  let priority: RunPriority | undefined;
  if (value.priority !== undefined) {
    const p = value.priority;
    // Control characters and surrounding blanks are never part of a real priority name.
    if (!nonEmpty(p) || p.trim() !== p || /\p{Cc}/u.test(p)) {
      problems.push({ field: 'priority', code: 'invalid' });
    } else if (p.length > maxPriorityLength) {
      problems.push({ field: 'priority', code: 'tooLarge', limit: maxPriorityLength });
    } else {
      priority = p;
    }
  }

  let timeoutSeconds: number | undefined;
  if (value.timeoutSeconds !== undefined) {
    const t = value.timeoutSeconds;
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      problems.push({ field: 'timeoutSeconds', code: 'invalid' });
    } else if (!Number.isInteger(t)) {
      problems.push({ field: 'timeoutSeconds', code: 'notInteger' });
    } else if (t < 1) {
      problems.push({ field: 'timeoutSeconds', code: 'tooSmall', limit: 1 });
    } else if (t > maxRunTimeoutSeconds) {
      problems.push({ field: 'timeoutSeconds', code: 'tooLarge', limit: maxRunTimeoutSeconds });
    } else {
      timeoutSeconds = t;
    }
  }

  if (
    problems.length > 0 ||
    connection === undefined ||
    (runMode !== 'attended' && runMode !== 'unattended')
  ) {
    return { ok: false, problems };
  }
  const options: RunOptions = {
    connection,
    runMode,
    ...(priority === undefined ? {} : { priority }),
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
  };
  return { ok: true, options };
}

/** Builds the RunDesktopFlow body from validated options and the exact inputs string to send. */
export function runDesktopFlowRequest(
  options: RunOptions,
  inputs: string | undefined,
): RunDesktopFlowRequest {
  const { connection } = options;
  return {
    runMode: options.runMode,
    runPriority: options.priority ?? 'normal',
    connectionName: connection.kind === 'connection' ? connection.name : connection.logicalName,
    connectionType: connection.kind === 'connection' ? 1 : 2,
    // Always sent explicitly, so the transcript and the service agree on the timeout in force.
    timeout: options.timeoutSeconds ?? defaultRunTimeoutSeconds,
    ...(inputs === undefined ? {} : { inputs }),
  };
}

/**
 * The key runs are rate-limited and serialized by: the connection, since the service's limit is per
 * connection. A reference without a known connection is its own key (the best we can do without resolving it).
 */
export function connectionKey(connection: RunConnection): string {
  if (connection.kind === 'connection') {
    return `connection:${connection.name.toLowerCase()}`;
  }
  return connection.connectionName !== undefined
    ? `connection:${connection.connectionName.toLowerCase()}`
    : `reference:${connection.logicalName.toLowerCase()}`;
}
