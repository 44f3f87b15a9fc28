/**
 * The sandbox clock. Sandbox time runs `speed` times faster than real time (so a 5-minute run or a
 * 1-minute rate-limit window passes in seconds), and tests can jump it forward with `advance`.
 * Every timestamp the sandbox API returns, every token `exp`, run duration, timeout and throttling
 * window is measured on this clock.
 */

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
  handle: NodeJS.Timeout | undefined;
}

/** Options for a `SandboxClock`. */
export interface SandboxClockOptions {
  /** How many sandbox milliseconds pass per real millisecond. Default 1. */
  speed?: number;
  /** Sandbox time at creation, in epoch milliseconds. Default: the real current time. */
  start?: number;
}

/** A clock that can run faster than real time and be advanced by hand. */
export class SandboxClock {
  private speedFactor: number;
  /** Sandbox time at the last re-anchoring. */
  private anchorSandbox: number;
  /** Real time at the last re-anchoring. */
  private anchorReal: number;
  private readonly timers = new Map<number, Timer>();
  private nextId = 1;

  constructor(options: SandboxClockOptions = {}) {
    this.speedFactor = validSpeed(options.speed ?? 1);
    this.anchorReal = Date.now();
    this.anchorSandbox = options.start ?? this.anchorReal;
  }

  /** Current sandbox time, epoch milliseconds. */
  now(): number {
    return this.anchorSandbox + (Date.now() - this.anchorReal) * this.speedFactor;
  }

  /** Current sandbox time as a `Date`. */
  date(): Date {
    return new Date(this.now());
  }

  /** Current sandbox time in ISO 8601 with a `Z` suffix, as Dataverse returns datetimes. */
  iso(): string {
    return isoSeconds(this.now());
  }

  /** Sandbox-to-real speed factor. */
  get speed(): number {
    return this.speedFactor;
  }

  /** Change the speed from now on; pending timers are rescheduled. */
  setSpeed(speed: number): void {
    this.reanchor();
    this.speedFactor = validSpeed(speed);
    this.rescheduleAll();
  }

  /**
   * Jump sandbox time forward by `ms` sandbox milliseconds. Timers due within the jump fire now, in due
   * order, each seeing the clock at its own due time; timers they schedule that also fall within the
   * jump fire too (like a fake-timer `tick`), so one `advance` plays out a whole run.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) {
      throw new RangeError('The sandbox clock only moves forward');
    }
    if (!(ms <= clockLimits.maxAdvanceSeconds * 1000)) {
      throw new RangeError(
        `The sandbox clock moves at most ${clockLimits.maxAdvanceSeconds} seconds at once`,
      );
    }
    this.reanchor();
    const target = this.anchorSandbox + ms;
    for (let fired = 0; fired < 1_000_000; fired++) {
      let next: Timer | undefined;
      for (const t of this.timers.values()) {
        if (
          t.due <= target &&
          (next === undefined || t.due < next.due || (t.due === next.due && t.id < next.id))
        ) {
          next = t;
        }
      }
      if (next === undefined) {
        break;
      }
      clearTimeout(next.handle);
      this.timers.delete(next.id);
      this.anchorSandbox = Math.max(this.anchorSandbox, next.due);
      this.anchorReal = Date.now();
      try {
        next.callback();
      } catch (e) {
        // Like a throwing setTimeout callback: reported, without stopping the other timers.
        process.nextTick(() => {
          throw e;
        });
      }
    }
    this.anchorSandbox = Math.max(this.anchorSandbox, target);
    this.anchorReal = Date.now();
    this.rescheduleAll();
  }

  /** Run `callback` after `ms` sandbox milliseconds. Returns an id for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): number {
    const id = this.nextId++;
    const timer: Timer = { id, due: this.now() + Math.max(0, ms), callback, handle: undefined };
    this.timers.set(id, timer);
    this.schedule(timer);
    return id;
  }

  /** Cancel a timer made by `setTimeout`. */
  clearTimeout(id: number | undefined): void {
    if (id === undefined) {
      return;
    }
    const t = this.timers.get(id);
    if (t) {
      clearTimeout(t.handle);
      this.timers.delete(id);
    }
  }

  /** Resolves after `ms` sandbox milliseconds. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.setTimeout(resolve, ms);
    });
  }

  /** Converts a sandbox duration to the real milliseconds it takes at the current speed. */
  toReal(ms: number): number {
    return ms / this.speedFactor;
  }

  /** Cancel every pending timer (used when the sandbox stops). */
  dispose(): void {
    for (const t of this.timers.values()) {
      clearTimeout(t.handle);
    }
    this.timers.clear();
  }

  private reanchor(): void {
    const now = this.now();
    this.anchorReal = Date.now();
    this.anchorSandbox = now;
  }

  private rescheduleAll(): void {
    // Fire in due order so callbacks observe a consistent sequence after a big `advance`.
    const all = [...this.timers.values()].sort((a, b) => a.due - b.due || a.id - b.id);
    for (const t of all) {
      clearTimeout(t.handle);
      this.schedule(t);
    }
  }

  private schedule(timer: Timer): void {
    const realDelay = Math.max(0, (timer.due - this.now()) / this.speedFactor);
    // Node caps delays at 2^31-1 ms; re-arm for longer waits.
    const capped = Math.min(realDelay, 2_000_000_000);
    timer.handle = setTimeout(() => {
      if (!this.timers.has(timer.id)) {
        return;
      }
      if (this.now() + 0.5 < timer.due) {
        this.schedule(timer);
        return;
      }
      this.timers.delete(timer.id);
      timer.callback();
    }, capped);
    // Pending sandbox timers must not keep a test process alive on their own.
    timer.handle.unref();
  }
}

/**
 * What the clock accepts: a speed the CLI's `--speed` also allows, and jumps that keep sandbox time
 * within what a `Date` can show (a clock at 1e308× reached Infinity and turned every request into a 500).
 */
export const clockLimits = {
  minSpeed: 0.001,
  maxSpeed: 1_000_000,
  /** Ten years, in sandbox seconds. */
  maxAdvanceSeconds: 10 * 365 * 86_400,
} as const;

function validSpeed(speed: number): number {
  if (!Number.isFinite(speed) || speed < clockLimits.minSpeed || speed > clockLimits.maxSpeed) {
    throw new RangeError(
      `Clock speed must be a number from ${clockLimits.minSpeed} to ${clockLimits.maxSpeed}, got ${speed}`,
    );
  }
  return speed;
}

/** ISO 8601 UTC without milliseconds (`2024-05-01T10:00:00Z`), the form Dataverse uses. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
