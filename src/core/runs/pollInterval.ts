/**
 * How often the environment watcher asks for the status of its active runs. The interval adapts: quick
 * right after a run was started or changed state (queued → running is what the maker waits for), slower
 * the longer nothing changes (a three-hour run needs no 2-second polling), always within [min, max].
 * Reference 4.7 suggests 3–5 s for the first minute, then 15–30 s; the defaults follow that.
 */
import { backoffDelayMs } from '../http/backoff';

/** Bounds and growth of the poll interval, in clock milliseconds. */
export interface PollIntervalOptions {
  /** Fastest interval (right after a change). */
  readonly minMs: number;
  /** Slowest interval (long runs with no change). */
  readonly maxMs: number;
  /**
   * How much the interval grows per millisecond without a change: the interval is
   * `min + growth × timeSinceChange`, capped at `max`. Default 0.1 (one minute unchanged adds 6 s).
   */
  readonly growth?: number;
}

/** Defaults matching the `desktopFlows.runs.pollInterval*Seconds` settings. */
export const defaultPollInterval: Required<PollIntervalOptions> = {
  minMs: 2_000,
  maxMs: 30_000,
  growth: 0.1,
};

/** Checks and completes poll options; throws `RangeError` for impossible bounds. */
export function normalizePollInterval(
  options: Partial<PollIntervalOptions> = {},
): Required<PollIntervalOptions> {
  const minMs = options.minMs ?? defaultPollInterval.minMs;
  const maxMs = options.maxMs ?? Math.max(minMs, defaultPollInterval.maxMs);
  const growth = options.growth ?? defaultPollInterval.growth;
  if (!(minMs > 0) || !(maxMs >= minMs) || !(growth >= 0)) {
    throw new RangeError(`Invalid poll interval bounds: min ${minMs} ms, max ${maxMs} ms, growth ${growth}`);
  }
  return { minMs, maxMs, growth };
}

/** The interval one run wants, given how long ago its status last changed (or it started being watched). */
export function runPollIntervalMs(msSinceChange: number, options: Required<PollIntervalOptions>): number {
  const wanted = options.minMs + options.growth * Math.max(0, msSinceChange);
  return Math.min(options.maxMs, Math.max(options.minMs, Math.round(wanted)));
}

/**
 * The environment's next tick: the shortest interval any of its runs wants (one request serves them all,
 * so the most urgent run sets the pace). `undefined` when there is nothing to watch.
 */
export function environmentPollIntervalMs(
  lastChanges: Iterable<number>,
  now: number,
  options: Required<PollIntervalOptions>,
): number | undefined {
  let best: number | undefined;
  for (const changedAt of lastChanges) {
    const interval = runPollIntervalMs(now - changedAt, options);
    best = best === undefined ? interval : Math.min(best, interval);
  }
  return best;
}

/**
 * Delay after `failures` consecutive failed polls: exponential from the minimum interval up to four times
 * the maximum, never shorter than what the service asked for with `Retry-After`.
 */
export function errorBackoffMs(
  failures: number,
  retryAfterSeconds: number | undefined,
  options: Required<PollIntervalOptions>,
  random: () => number = Math.random,
): number {
  const computed = backoffDelayMs(
    { baseDelayMs: options.minMs * 2, maxDelayMs: options.maxMs * 4 },
    failures,
    random,
  );
  const asked = retryAfterSeconds === undefined ? 0 : Math.ceil(retryAfterSeconds * 1000);
  return Math.max(computed, asked, options.minMs);
}
