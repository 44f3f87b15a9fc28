/**
 * How a "Recent runs" row words a run: status first, then how long ago it started, then how long it ran
 * ("✓ succeeded · 3 min ago · 8 s"), so the part that matters survives a narrow sidebar. Pure: no `vscode`.
 */
import { isTerminal, type RunStatus } from '../../core/model/run';
import { describeStatus, formatDuration } from '../../core/runs/runTranscript';

const marks: Partial<Record<RunStatus, string>> = {
  succeeded: '✓',
  failed: '✗',
  faulted: '✗',
  timedOut: '✗',
  aborted: '✗',
  cancelled: '⊘',
};

/** "just now", "3 min ago", "2 h ago", "5 days ago" (from `iso` to `now`, epoch ms). */
export function relativeTime(iso: string | undefined, now: number): string | undefined {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  if (Number.isNaN(t)) {
    return undefined;
  }
  const seconds = Math.max(0, Math.round((now - t) / 1000));
  if (seconds < 60) {
    return 'just now';
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `${hours} h ago`;
  }
  const days = Math.floor(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** What a row needs to know about a run. */
export interface RecentRunFacts {
  readonly status: RunStatus;
  readonly createdOn: string | undefined;
  readonly runTimeMs: number | undefined;
}

/** The row label: status first, relative start, then run time (or "queued"/"running" while active). */
export function recentRunLabel(run: RecentRunFacts, now: number): string {
  const active = !isTerminal(run.status);
  const status = active
    ? run.status === 'waiting'
      ? 'queued'
      : 'running'
    : `${marks[run.status] === undefined ? '' : `${marks[run.status]} `}${describeStatus(run.status)}`;
  const duration = active || run.runTimeMs === undefined ? undefined : formatDuration(run.runTimeMs);
  return [status, relativeTime(run.createdOn, now), duration].filter((p) => p !== undefined).join(' · ');
}
