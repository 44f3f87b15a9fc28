/**
 * The run journal: the active runs being watched, kept as plain JSON by whoever hosts the core (the
 * extension backs it with `globalState`, the CLI with a file, tests with memory: test/unit/runs/memoryRunJournal.ts). After a window reload or
 * a restart, the service loads it and resumes watching; runs that finished meanwhile are reported once.
 *
 * Exactly-once reporting: a finished run is removed from the journal and the journal saved *before* its
 * `finished` event is emitted. A crash between the two loses that one notification rather than repeating
 * it on every start; repeating a "run failed" notification after each reload is the worse failure.
 */
import type { RunDisplay } from './runEvents';
import { runKey } from './runKeys';
import { validateRunOptions, type RunOptions } from './runOptions';

/** The environment a run belongs to, as much as the core needs to reach it again. Plain JSON. */
export interface EnvironmentRef {
  /** Power Platform environment id (portal links). */
  readonly id: string;
  /** Dataverse org URL without trailing slash (every Dataverse call). */
  readonly orgUrl: string;
  readonly displayName?: string;
}

/** One active run in the journal. */
export interface JournaledRun {
  readonly environment: EnvironmentRef;
  readonly runId: string;
  readonly flowId: string;
  readonly flowName?: string;
  /** When the run was started (epoch ms, run clock). */
  readonly triggeredAt: number;
  /** How it was started, when this client started it. */
  readonly options?: RunOptions;
  /** Last status reported to listeners, so a resumed watch reports only what changed since. */
  readonly lastStatus?: string;
  /** Action log entries already reported (count), so they are not repeated after a resume. */
  readonly actionLogCount?: number;
  /** Whether the maker asked to follow the action log live. */
  readonly followActionLog?: boolean;
  /** What the UI shows about it (masked inputs included), for runs started through `RunService.start`. */
  readonly display?: RunDisplay;
}

/** The journal's content. */
export interface RunJournalState {
  readonly version: 1;
  readonly runs: readonly JournaledRun[];
}

/** Where the journal lives. Both methods may be called often; `save` receives the whole state each time. */
export interface RunJournal {
  /** The saved state, or `undefined` when nothing was saved yet. Returns what `save` got, as JSON. */
  load(signal: AbortSignal): Promise<unknown>;
  save(state: RunJournalState, signal: AbortSignal): Promise<void>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function guid(v: unknown): string | undefined {
  return typeof v === 'string' && guidPattern.test(v) ? v : undefined;
}

/**
 * Reads a saved journal defensively: anything unreadable yields an empty journal, and malformed entries
 * are dropped one by one (a journal written by a newer or older version must never block activation).
 */
export function parseRunJournal(value: unknown): RunJournalState {
  if (!isRecord(value) || value.version !== 1 || !Array.isArray(value.runs)) {
    return { version: 1, runs: [] };
  }
  const runs: JournaledRun[] = [];
  const seen = new Set<string>();
  for (const entry of value.runs) {
    if (!isRecord(entry) || !isRecord(entry.environment)) {
      continue;
    }
    // Ids end up in request URLs and filters: anything but a GUID is dropped here.
    const runId = guid(entry.runId);
    const flowId = guid(entry.flowId);
    const envId = str(entry.environment.id);
    const orgUrl = str(entry.environment.orgUrl);
    const triggeredAt =
      typeof entry.triggeredAt === 'number' && Number.isFinite(entry.triggeredAt)
        ? entry.triggeredAt
        : undefined;
    if (
      runId === undefined ||
      flowId === undefined ||
      envId === undefined ||
      orgUrl === undefined ||
      triggeredAt === undefined
    ) {
      continue;
    }
    const key = runKey(orgUrl, runId);
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    const displayName = str(entry.environment.displayName);
    const flowName = str(entry.flowName);
    const lastStatus = str(entry.lastStatus);
    const count = entry.actionLogCount;
    const options = entry.options === undefined ? undefined : validateRunOptions(entry.options);
    runs.push({
      environment: { id: envId, orgUrl, ...(displayName === undefined ? {} : { displayName }) },
      runId,
      flowId,
      triggeredAt,
      ...(flowName === undefined ? {} : { flowName }),
      ...(options?.ok === true ? { options: options.options } : {}),
      ...(lastStatus === undefined ? {} : { lastStatus }),
      ...(typeof count === 'number' && Number.isInteger(count) && count >= 0
        ? { actionLogCount: count }
        : {}),
      ...(entry.followActionLog === true ? { followActionLog: true } : {}),
      ...(parseDisplay(entry.display) === undefined ? {} : { display: parseDisplay(entry.display) }),
    });
  }
  return { version: 1, runs };
}

/** A journaled `RunDisplay`, if it is one. */
function parseDisplay(value: unknown): RunDisplay | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const text = (v: unknown): v is string => typeof v === 'string';
  const { flowName, environmentName, connectionName, maskedInputs, sensitiveInputNames, origin } = value;
  if (!text(flowName) || !text(environmentName) || !text(connectionName) || !text(origin)) {
    return undefined;
  }
  return {
    flowName,
    environmentName,
    connectionName,
    maskedInputs: text(maskedInputs) ? maskedInputs : undefined,
    sensitiveInputNames: Array.isArray(sensitiveInputNames) ? sensitiveInputNames.filter(text) : [],
    origin,
  };
}
