/**
 * How the Runs view words its rows and its filters. A row's facts come from the run store while the store
 * knows the run (runs of this window: live status, machine, times), from the service's page otherwise.
 * Pure: no `vscode` import, unit-tested under plain Node.
 */
import { isTerminal, type Run, type RunStatus } from '../../core/model/run';
import type { RunStatusFilter, RunsFeedFilter } from '../../core/runs/runsFeed';
import { describeStatus, formatDuration } from '../../core/runs/runTranscript';
import { recentRunLabel } from './recentRunWords';
import type { StoreRun } from './runStore';

/** What a Runs view row shows. */
export interface RunRowFacts {
  readonly status: RunStatus;
  readonly createdOn: string | undefined;
  readonly startedOn: string | undefined;
  readonly completedOn: string | undefined;
  readonly runTimeMs: number | undefined;
  readonly queueWaitMs: number | undefined;
  readonly flowName: string | undefined;
  readonly machine: string | undefined;
  readonly startedBy: string | undefined;
  readonly environmentName: string;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly runMode: Run['runMode'] | undefined;
  /** Watching stopped (its account signed out): the status is the last one seen. */
  readonly stale: boolean;
}

/** The status a store run shows (before its first poll, a run just started counts as queued). */
function storeStatus(run: StoreRun): RunStatus {
  if (run.status !== undefined) {
    return run.status;
  }
  return run.phase === 'running' ? 'running' : 'waiting';
}

/**
 * A row's facts: the service's row (`run`, with timings) overlaid by the store's run when the store has it
 * (at `now`, epoch ms). One of the two must be given.
 */
export function runRowFacts(
  page:
    | { readonly run: Run; readonly runTimeMs: number | undefined; readonly queueWaitMs: number | undefined }
    | undefined,
  live: StoreRun | undefined,
  environmentName: string,
  now: number,
): RunRowFacts {
  const run = page?.run;
  if (live === undefined) {
    if (run === undefined) {
      throw new RangeError('A run row needs the service row or the store run.');
    }
    return {
      status: run.status,
      createdOn: run.createdOn,
      startedOn: run.startedOn,
      completedOn: run.completedOn,
      runTimeMs: page?.runTimeMs,
      queueWaitMs: page?.queueWaitMs,
      flowName: run.flowName,
      machine: run.machineName,
      startedBy: run.createdByName,
      environmentName,
      errorCode: run.errorCode,
      errorMessage: run.errorMessage,
      runMode: run.runMode,
      stale: false,
    };
  }
  const status = storeStatus(live);
  const elapsed =
    live.elapsedBaseMs + (live.watchStopped === undefined ? Math.max(0, now - live.elapsedSince) : 0);
  const finished = isTerminal(status);
  return {
    status,
    // A run of this window not on a page yet: queued since its phase began (a start is "just now").
    createdOn:
      run?.createdOn ??
      (live.phase === 'queued' || live.phase === 'starting' || live.phase === 'rateLimited'
        ? new Date(live.elapsedSince - live.elapsedBaseMs).toISOString()
        : undefined),
    startedOn: run?.startedOn,
    completedOn: run?.completedOn,
    runTimeMs: finished ? (live.durationMs ?? page?.runTimeMs) : status === 'running' ? elapsed : undefined,
    queueWaitMs: status === 'waiting' ? elapsed : page?.queueWaitMs,
    flowName: live.flowName ?? run?.flowName,
    machine: live.machine ?? run?.machineName,
    startedBy: run?.createdByName,
    environmentName,
    errorCode: finished ? (live.errorCode ?? run?.errorCode) : undefined,
    errorMessage: finished ? (live.errorMessage ?? run?.errorMessage) : undefined,
    runMode: run?.runMode,
    stale: live.watchStopped !== undefined,
  };
}

/** The row label: status first, relative time, run time ("✓ succeeded · 3 min ago · 8 s"). */
export function runRowLabel(facts: RunRowFacts, now: number): string {
  const label = recentRunLabel(
    { status: facts.status, createdOn: facts.createdOn, runTimeMs: facts.runTimeMs },
    now,
  );
  return facts.stale ? `${label} · not watched` : label;
}

/** The row description: flow, machine and who started the run. */
export function runRowDescription(facts: RunRowFacts): string {
  return [facts.flowName ?? 'Desktop flow', facts.machine, facts.startedBy]
    .filter((p) => p !== undefined && p !== '')
    .join(' · ');
}

/** The tooltip's facts, in order. */
export function runRowTooltipFacts(facts: RunRowFacts): [string, string | undefined][] {
  return [
    ['Status', facts.status === 'waiting' ? 'queued' : describeStatus(facts.status)],
    ['Flow', facts.flowName],
    ['Environment', facts.environmentName],
    ['Machine', facts.machine],
    ['Started by', facts.startedBy],
    ['Run mode', facts.runMode === undefined || facts.runMode === 'unknown' ? undefined : facts.runMode],
    ['Time in queue', facts.queueWaitMs === undefined ? undefined : formatDuration(facts.queueWaitMs)],
    ['Run time', facts.runTimeMs === undefined ? undefined : formatDuration(facts.runTimeMs)],
    ['Error', [facts.errorCode, facts.errorMessage].filter((p) => p !== undefined).join(': ') || undefined],
  ];
}

const statusWords: Readonly<Record<RunStatusFilter, string>> = {
  all: 'all statuses',
  active: 'queued or running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The Runs view's filters: feed filter plus the environments shown (`undefined` = every one). */
export interface RunsViewFilter extends RunsFeedFilter {
  /** Org URLs shown; `undefined` shows every signed-in environment. */
  readonly environments: readonly string[] | undefined;
}

/** The default filter: every run of every environment. */
export const defaultRunsViewFilter: RunsViewFilter = { mine: false, status: 'all', environments: undefined };

/** True when the filter hides anything. */
export function isFiltered(filter: RunsViewFilter): boolean {
  return filter.mine || filter.status !== 'all' || filter.environments !== undefined;
}

/** The view's description ("mine · failed · Contoso Dev"), short enough for the view's title bar. */
export function filterDescription(
  filter: RunsViewFilter,
  environmentName: (orgUrl: string) => string,
): string {
  const parts = [filter.mine ? 'mine' : 'everyone'];
  if (filter.status !== 'all') {
    parts.push(statusWords[filter.status]);
  }
  if (filter.environments !== undefined) {
    parts.push(
      filter.environments.length === 1
        ? environmentName(filter.environments[0] as string)
        : `${filter.environments.length} environments`,
    );
  }
  return parts.join(' · ');
}

/** The sentence above the rows while a filter hides runs; `undefined` when nothing is hidden. */
export function filterMessage(
  filter: RunsViewFilter,
  environmentName: (orgUrl: string) => string,
): string | undefined {
  if (!isFiltered(filter)) {
    return undefined;
  }
  const status = filter.status === 'all' ? 'runs' : `${statusWords[filter.status]} runs`;
  const who = filter.mine ? ' you started' : '';
  const where =
    filter.environments === undefined ? '' : ` in ${filter.environments.map(environmentName).join(', ')}`;
  return `Showing ${status}${who}${where}. Clear the filter to see every run.`;
}

/** True when a run of the store passes the filter (runs of this window were started by this user). */
export function storeRunPasses(
  run: StoreRun,
  filter: RunsViewFilter,
  orgKey: (orgUrl: string) => string,
): boolean {
  if (
    filter.environments !== undefined &&
    !filter.environments.some((o) => orgKey(o) === orgKey(run.environment.orgUrl))
  ) {
    return false;
  }
  const status = storeStatus(run);
  switch (filter.status) {
    case 'all':
      return true;
    case 'active':
      return !isTerminal(status);
    case 'succeeded':
      return status === 'succeeded';
    case 'failed':
      return ['failed', 'faulted', 'timedOut', 'aborted', 'terminated'].includes(status);
    case 'cancelled':
      return status === 'cancelled';
  }
}
