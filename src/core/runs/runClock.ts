/**
 * The clock the runs core measures time with: rate-limit windows, poll intervals, trigger instants and
 * reconciliation windows. Injected so the CLI and the extension use real time while tests and the
 * benchmark follow the sandbox's sped-up clock (a one-minute rate window then passes in a second).
 */
import { CancellationError } from '../errors';
import { sleep as realSleep } from '../util/abort';

/** Time source and timer for the runs core. */
export interface RunClock {
  /** Current time, epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` clock milliseconds; rejects with `CancellationError` when `signal` aborts first. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /**
   * Clock milliseconds that pass in `realMs` real milliseconds. Durations the service gives in real time (a
   * 429's `Retry-After`, docs/service-contract.md#service-protection-429-and-retry-after) are converted with
   * it before they are measured on this clock. Absent: the clock runs at real speed.
   */
  fromRealMs?(realMs: number): number;
}

/** Real time. */
export const systemClock: RunClock = {
  now: () => Date.now(),
  sleep: realSleep,
  fromRealMs: (ms) => ms,
};

/** `realMs` real milliseconds measured on `clock` (see `RunClock.fromRealMs`). */
export function realToClockMs(clock: RunClock, realMs: number): number {
  return clock.fromRealMs === undefined ? realMs : clock.fromRealMs(realMs);
}

/** Anything with `now`, `setTimeout` and `clearTimeout` on one time base, e.g. the sandbox's clock. */
export interface TimerSource {
  now(): number;
  setTimeout(callback: () => void, ms: number): number;
  clearTimeout(id: number | undefined): void;
  /** How many times faster than real time `now()` advances (the sandbox clock's `speed`); default 1. */
  readonly speed?: number;
}

/** A `RunClock` on another time base (for instance the sandbox clock, which may run faster than real time). */
export function clockFrom(source: TimerSource): RunClock {
  return {
    now: () => source.now(),
    fromRealMs: (ms) => ms * (source.speed ?? 1),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) {
          reject(new CancellationError());
          return;
        }
        const onAbort = (): void => {
          source.clearTimeout(id);
          reject(new CancellationError());
        };
        const id = source.setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        signal.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
