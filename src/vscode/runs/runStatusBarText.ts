/**
 * What the runs status bar item shows, as pure functions of the run store's runs and the clock: its text,
 * its background colour, whether the elapsed time ticks, how long a finished run lingers, and when it says
 * that watching stopped. No `vscode`
 * import, so Node unit tests cover it (test/unit/vscode/runStatusBarText.test.ts).
 */
import type { RunStatus } from '../../core/model/run';
import { describeStatus } from '../../core/runs/runTranscript';
import type { StoreRun } from './runStore';
import { flowLabel, formatElapsed } from './runSubjects';

/** How long a finished run stays in the status bar when nothing else runs. */
export interface StatusBarLinger {
  readonly succeededMs: number;
  readonly otherwiseMs: number;
}

export const defaultStatusBarLinger: StatusBarLinger = { succeededMs: 15_000, otherwiseMs: 120_000 };

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const finishedIcons: Partial<Record<RunStatus, string>> = {
  succeeded: '$(pass)',
  cancelled: '$(circle-slash)',
  aborted: '$(circle-slash)',
  terminated: '$(circle-slash)',
  failed: '$(error)',
  faulted: '$(error)',
  timedOut: '$(error)',
};

function finishedIcon(status: RunStatus | undefined): string {
  return (status === undefined ? undefined : finishedIcons[status]) ?? '$(info)';
}

/** Icon and words of a run's state, e.g. `$(sync~spin)` + `Running`. */
export function phaseText(run: StoreRun): { icon: string; words: string } {
  switch (run.phase) {
    case 'starting':
      return { icon: '$(loading~spin)', words: 'Starting…' };
    case 'rateLimited':
      return { icon: '$(clock)', words: 'Waiting (rate limit)' };
    case 'queued':
      return { icon: '$(watch)', words: 'Queued' };
    case 'running':
      return { icon: '$(sync~spin)', words: 'Running' };
    case 'paused':
      return { icon: '$(debug-pause)', words: capitalize(describeStatus(run.status ?? 'paused')) };
    case 'finished':
      return { icon: finishedIcon(run.status), words: capitalize(describeStatus(run.status ?? 'unknown')) };
  }
}

/** One run: `$(sync~spin) Invoice Processing: Running 0:42`. */
export function singleRunText(run: StoreRun, now: number): string {
  const { icon, words } = phaseText(run);
  const elapsed =
    run.phase === 'starting'
      ? ''
      : run.phase === 'finished'
        ? run.durationMs === undefined
          ? ''
          : ` ${formatElapsed(run.durationMs)}`
        : ` ${formatElapsed(run.elapsedBaseMs + now - run.elapsedSince)}`;
  return `${icon} ${flowLabel(run)}: ${words}${elapsed}`;
}

/** Several active runs: `$(sync~spin) 3 desktop flow runs: 2 running, 1 queued 1:05` (the longest time). */
export function aggregateText(active: readonly StoreRun[], now: number): string {
  const counts = new Map<string, number>();
  for (const run of active) {
    const word = run.phase === 'rateLimited' ? 'waiting' : run.phase === 'starting' ? 'starting' : run.phase;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const parts = [...counts].map(([word, n]) => `${n} ${word}`).join(', ');
  const icon = active.some((r) => r.phase === 'running') ? '$(sync~spin)' : '$(watch)';
  const longest = Math.max(
    ...active.filter((r) => r.phase !== 'starting').map((r) => r.elapsedBaseMs + now - r.elapsedSince),
    0,
  );
  return `${icon} ${active.length} desktop flow runs: ${parts}${longest > 0 ? ` ${formatElapsed(longest)}` : ''}`;
}

/** What the item shows now. */
export type StatusBarLook =
  | { readonly visible: false }
  | {
      readonly visible: true;
      readonly text: string;
      /**
       * The theme colour of the background: a failure lingers in red, a rate-limit wait and runs no longer
       * watched in yellow.
       */
      readonly background: 'statusBarItem.errorBackground' | 'statusBarItem.warningBackground' | undefined;
      /** True while the elapsed time must be re-rendered every second. */
      readonly ticking: boolean;
      /** For a finished run shown alone: how long until it goes away (ms). */
      readonly lingerLeftMs?: number;
      /** The runs whose watching stopped, when the item says so (and offers Sign In). */
      readonly watchStopped?: readonly StoreRun[];
    };

/** Runs no longer watched: `$(debug-disconnect) Invoice Processing: not watched, account signed out`. */
export function stoppedText(stopped: readonly StoreRun[]): string {
  const first = stopped[0];
  return stopped.length === 1 && first !== undefined
    ? `$(debug-disconnect) ${flowLabel(first)}: not watched, account signed out`
    : `$(debug-disconnect) ${stopped.length} desktop flow runs not watched, account signed out`;
}

/**
 * The look for the store's active runs, the newest finished run and the runs whose watching stopped (their
 * account signed out): the active runs (one, or a count); else the runs no longer watched, unless a run
 * finished after they stopped and still lingers; else the last finished run until its linger time passes;
 * else nothing.
 */
export function statusBarLook(
  active: readonly StoreRun[],
  latestFinished: StoreRun | undefined,
  now: number,
  linger: StatusBarLinger = defaultStatusBarLinger,
  stopped: readonly StoreRun[] = [],
): StatusBarLook {
  const look = activeOrFinishedLook(active, latestFinished, now, linger);
  if (active.length > 0 || stopped.length === 0) {
    return look;
  }
  const lastStop = Math.max(...stopped.map((r) => r.stoppedAt ?? 0));
  if (look.visible && (latestFinished?.stoppedAt ?? 0) > lastStop) {
    return look;
  }
  return {
    visible: true,
    text: stoppedText(stopped),
    background: 'statusBarItem.warningBackground',
    ticking: false,
    watchStopped: stopped,
  };
}

function activeOrFinishedLook(
  active: readonly StoreRun[],
  latestFinished: StoreRun | undefined,
  now: number,
  linger: StatusBarLinger,
): StatusBarLook {
  if (active.length > 0) {
    const only = active.length === 1 ? active[0] : undefined;
    return {
      visible: true,
      text: only === undefined ? aggregateText(active, now) : singleRunText(only, now),
      background: active.some((r) => r.phase === 'rateLimited')
        ? 'statusBarItem.warningBackground'
        : undefined,
      ticking: active.some((r) => r.phase !== 'starting'),
    };
  }
  if (latestFinished === undefined) {
    return { visible: false };
  }
  const lingerMs = latestFinished.status === 'succeeded' ? linger.succeededMs : linger.otherwiseMs;
  const left = lingerMs - (now - (latestFinished.stoppedAt ?? 0));
  if (left <= 0) {
    return { visible: false };
  }
  return {
    visible: true,
    text: singleRunText(latestFinished, now),
    background: latestFinished.status === 'succeeded' ? undefined : 'statusBarItem.errorBackground',
    ticking: false,
    lingerLeftMs: left,
  };
}
