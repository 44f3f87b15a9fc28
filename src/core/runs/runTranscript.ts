/**
 * The run transcript: plain-text lines for every run event, shared by the VS Code "Desktop Flows: Runs"
 * output channel and the CLI, so both tell the same story. Every line starts with a timestamp; errors carry
 * the documented remedy; outputs are masked (sensitive values through the caller's masker, known secrets
 * through the process-wide `secretMasker`).
 */
import { formatApiErrorReference } from '../apiErrorReference';
import { ApiError, AuthError } from '../errors';
import type { RunStatus } from '../model/run';
import type { RunAction } from '../model/runActionLog';
import { secretMasker } from '../util/secretMasker';
import { remedyFor } from './remedies';
import { RunError } from './runErrors';
import type { RunEvent, RunMachine, RunSubject } from './runEvents';
import type { RunOptions } from './runOptions';

/** Options of `formatRunEvent`. */
export interface TranscriptOptions {
  /** Timestamps in local time (default) or UTC. */
  readonly timeZone?: 'local' | 'utc';
  /** Masks outputs before they are printed (e.g. sensitive outputs per the flow's schema). */
  readonly maskOutputs?: (outputs: Record<string, unknown>) => Record<string, unknown>;
  /** Longest printed outputs JSON before it is cut (default 2,000 characters). */
  readonly maxOutputsLength?: number;
}

const statusWords: Readonly<Record<RunStatus, string>> = {
  notSpecified: 'status not specified',
  paused: 'paused',
  running: 'running',
  waiting: 'queued',
  succeeded: 'succeeded',
  skipped: 'skipped',
  suspended: 'suspended',
  cancelled: 'cancelled',
  failed: 'failed',
  faulted: 'faulted',
  timedOut: 'timed out',
  aborted: 'aborted',
  ignored: 'ignored',
  deleted: 'deleted',
  terminated: 'terminated',
  unknown: 'in an unknown state',
};

/** A status in plain words ("queued", "timed out"). */
export function describeStatus(status: RunStatus): string {
  return statusWords[status];
}

/** A duration for people: `850 ms`, `4.2 s`, `42 s`, `3 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return '?';
  }
  if (ms < 1_000) {
    return `${Math.round(ms)} ms`;
  }
  const seconds = ms / 1_000;
  if (seconds < 10) {
    return `${seconds.toFixed(1)} s`;
  }
  if (seconds < 60) {
    return `${Math.floor(seconds)} s`;
  }
  const totalSeconds = Math.floor(seconds);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  }
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2025-01-31 14:05:09` in local time or UTC. */
export function formatTimestamp(epochMs: number, timeZone: 'local' | 'utc' = 'local'): string {
  const d = new Date(epochMs);
  if (timeZone === 'utc') {
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `"Echo Text" run 1a2b3c4d` — the flow by name when known, the run by the start of its id. */
function who(subject: Pick<RunSubject, 'flowId' | 'flowName'> & { readonly runId?: string }): string {
  const flow = subject.flowName !== undefined ? `"${subject.flowName}"` : `flow ${subject.flowId}`;
  return subject.runId === undefined ? flow : `${flow} run ${subject.runId.slice(0, 8)}`;
}

function onMachine(machine: RunMachine | undefined): string {
  if (machine === undefined) {
    return '';
  }
  return ` on ${machine.name ?? `machine ${machine.id.slice(0, 8)}`}`;
}

/** Options in words; the connection by its display name when the event carries it (never `shared-uiflow-<guid>`). */
function describeOptions(options: RunOptions, connectionDisplayName?: string): string {
  const c = options.connection;
  const named =
    connectionDisplayName === undefined || connectionDisplayName === ''
      ? undefined
      : `"${connectionDisplayName}"`;
  const connection =
    c.kind === 'connection'
      ? `connection ${named ?? c.name}`
      : `connection reference ${named ?? c.logicalName}`;
  const timeout =
    options.timeoutSeconds === undefined ? '' : `, timeout ${formatDuration(options.timeoutSeconds * 1000)}`;
  return `${options.runMode}, priority ${options.priority ?? 'normal'}, ${connection}${timeout}`;
}

function describeError(e: unknown): string {
  if (ApiError.is(e)) {
    const ref = formatApiErrorReference(e);
    return `${e.message} (${e.status === undefined ? (ref === '' ? e.reason : `${e.reason}, ${ref}`) : ref})`;
  }
  if (AuthError.is(e)) {
    return `sign-in problem: ${e.message}${e.code === undefined ? '' : ` (${e.code})`}`;
  }
  if (RunError.is(e)) {
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

function remedyLines(code: string | undefined, indent: string): string[] {
  const remedy = remedyFor(code);
  return remedy === undefined ? [] : [`${indent}${remedy.title}. ${remedy.remedy}`];
}

function actionLine(entry: RunAction): string {
  const words = [`#${entry.index ?? '?'}`, entry.name ?? entry.systemActionName ?? 'action'];
  if (entry.status !== undefined) {
    words.push(entry.status.toLowerCase());
  }
  const started = entry.startTime === undefined ? Number.NaN : Date.parse(entry.startTime);
  const ended = entry.endTime === undefined ? Number.NaN : Date.parse(entry.endTime);
  const took = Number.isNaN(started) || Number.isNaN(ended) ? '' : ` (${formatDuration(ended - started)})`;
  const problem = [entry.errorCode, entry.errorMessage].filter((p) => p !== undefined);
  return `${words.join(' ')}${took}${problem.length === 0 ? '' : `: ${problem.join(': ')}`}`;
}

function outputsLine(outputs: Record<string, unknown>, options: TranscriptOptions, indent: string): string {
  const masked = options.maskOutputs === undefined ? outputs : options.maskOutputs(outputs);
  const max = options.maxOutputsLength ?? 2_000;
  // Masked by value, then serialised: free-text masking of JSON could corrupt it or reveal a secret
  // by what it replaced (a secret `true` turning `"LoggedIn": true` into `********`).
  const json = JSON.stringify(secretMasker.maskValue(masked));
  return `${indent}Outputs: ${json.length > max ? `${json.slice(0, max)}… (${json.length} characters)` : json}`;
}

/**
 * The transcript text of one event: one or more lines separated by `\n` (append each to the output
 * channel or print it). Known secrets are masked in the result.
 */
export function formatRunEvent(event: RunEvent, options: TranscriptOptions = {}): string {
  const ts = `[${formatTimestamp(event.at, options.timeZone)}]`;
  const indent = ' '.repeat(ts.length + 1);
  const lines: string[] = [];
  /** The outputs line, masked by value already: it is not passed through the text masker. */
  let structured: string | undefined;
  switch (event.kind) {
    case 'triggered':
      lines.push(
        `${ts} Started ${who(event)} (${describeOptions(event.options, event.display?.connectionName)})${event.reconciled ? '; the service accepted it although its answer was lost' : ''}`,
      );
      break;
    case 'waitingForRateLimit':
      lines.push(
        event.reason === 'connectionLimit'
          ? `${ts} ${who(event)} waits until ${formatTimestamp(event.until, options.timeZone)}: this connection started 70 runs in the last minute (the service's limit)`
          : `${ts} ${who(event)} waits until ${formatTimestamp(event.until, options.timeZone)}: the service asked to slow down (429)`,
      );
      break;
    case 'licenseWarning':
      lines.push(
        `${ts} Licence warning for ${who(event)}: ${event.licenseCheck.code}${event.licenseCheck.message === undefined ? '' : ` (${event.licenseCheck.message})`}`,
        ...remedyLines(event.licenseCheck.code, indent),
      );
      break;
    case 'stateChanged': {
      let detail = '';
      if (event.status === 'running') {
        detail = `${onMachine(event.machine)}${event.queueWaitMs === undefined ? '' : ` after ${formatDuration(event.queueWaitMs)} in the queue`}`;
      } else if (event.status === 'waiting') {
        detail = ' (waiting for a machine)';
      }
      lines.push(`${ts} ${who(event)} ${describeStatus(event.status)}${detail}`);
      break;
    }
    case 'actionLog':
      for (const entry of event.entries) {
        lines.push(`${ts} ${who(event)} ${actionLine(entry)}`);
      }
      break;
    case 'finished': {
      const times = [
        event.runTimeMs === undefined ? undefined : `ran ${formatDuration(event.runTimeMs)}`,
        event.queueWaitMs === undefined ? undefined : `queued ${formatDuration(event.queueWaitMs)}`,
      ].filter((t) => t !== undefined);
      lines.push(
        `${ts} ${who(event)} ${describeStatus(event.status)}${onMachine(event.machine)}${times.length === 0 ? '' : ` (${times.join(', ')})`}${event.endedWhileAway ? ', while it was not being watched' : ''}`,
      );
      if (event.errorCode !== undefined || event.errorMessage !== undefined) {
        lines.push(
          `${indent}Error: ${[event.errorCode, event.errorMessage].filter((p) => p !== undefined).join(': ')}`,
        );
        lines.push(...remedyLines(event.errorCode, indent));
      }
      if (event.outputs !== undefined) {
        structured = outputsLine(event.outputs, options, indent);
      } else if (event.outputsError !== undefined) {
        lines.push(`${indent}Outputs could not be read: ${describeError(event.outputsError)}`);
      }
      break;
    }
    case 'error': {
      const runs =
        event.runIds.length === 1
          ? `run ${(event.runIds[0] ?? '').slice(0, 8)}`
          : `${event.runIds.length} runs`;
      const where = event.environment.displayName ?? event.environment.orgUrl;
      lines.push(
        event.retryAt === undefined
          ? `${ts} Stopped watching ${runs} in ${where}: ${describeError(event.error)}`
          : `${ts} Could not check ${runs} in ${where} (${event.consecutiveFailures} failure${event.consecutiveFailures === 1 ? '' : 's'} in a row); trying again at ${formatTimestamp(event.retryAt, options.timeZone)}: ${describeError(event.error)}`,
      );
      if (ApiError.is(event.error)) {
        lines.push(...remedyLines(event.error.code, indent));
      }
      break;
    }
  }
  const text = secretMasker.mask(lines.join('\n'));
  return structured === undefined ? text : `${text}\n${structured}`;
}
