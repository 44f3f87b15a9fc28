/**
 * A clock that only moves when the test says so, for deterministic rate-limiter and interval tests.
 * `advance` fires due sleepers in time order and lets the promise chains they release run.
 */
import { CancellationError } from '../../../src/core/errors';
import type { RunClock } from '../../../src/core/runs/runClock';

interface Sleeper {
  due: number;
  resolve: () => void;
}

export class ManualClock implements RunClock {
  private time: number;
  private sleepers: Sleeper[] = [];

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new CancellationError());
        return;
      }
      const sleeper: Sleeper = {
        due: this.time + Math.max(0, ms),
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(new CancellationError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Number of pending sleepers. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Moves time forward by `ms`, waking sleepers as their time comes, settling promise chains in between. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      const next = this.sleepers.filter((s) => s.due <= target).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) {
        break;
      }
      this.time = Math.max(this.time, next.due);
      this.sleepers = this.sleepers.filter((s) => s !== next);
      next.resolve();
    }
    this.time = target;
    await settle();
  }
}

/** Lets every queued promise continuation run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
