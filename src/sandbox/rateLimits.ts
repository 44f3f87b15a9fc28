/**
 * Throttling on the sandbox clock: RunDesktopFlow's 70 runs per minute per connection (reference 4.1),
 * and Dataverse service protection per user (reference 7): a request budget over a sliding window
 * (6,000 per 300 s by default) and a concurrent-request limit (52). `Retry-After` is given in real
 * seconds (the client waits on its own clock), rounded up, at least 1.
 */
import type { SandboxClock } from './clock';
import type { SandboxSettings } from './sandboxRuntime';

export type Admission = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

/** A sliding-window counter: timestamps of admitted events, oldest first. */
class SlidingWindow {
  private readonly times: number[] = [];

  take(
    now: number,
    windowMs: number,
    limit: number,
  ): { ok: true; remaining: number } | { ok: false; waitMs: number } {
    while (this.times.length > 0 && (this.times[0] as number) <= now - windowMs) {
      this.times.shift();
    }
    if (this.times.length >= limit) {
      const oldest = this.times[this.times.length - limit] as number;
      return { ok: false, waitMs: oldest + windowMs - now };
    }
    this.times.push(now);
    return { ok: true, remaining: limit - this.times.length };
  }
}

export class RateLimiter {
  private readonly runWindows = new Map<string, SlidingWindow>();
  private readonly requestWindows = new Map<string, SlidingWindow>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly clock: SandboxClock,
    private readonly settings: SandboxSettings,
  ) {}

  private retryAfter(waitMs: number): number {
    return Math.max(1, Math.ceil(this.clock.toReal(Math.max(0, waitMs)) / 1000));
  }

  /** One RunDesktopFlow call through `connectionKey` (environment + connection name). */
  takeRun(connectionKey: string): Admission {
    const w = this.runWindows.get(connectionKey) ?? new SlidingWindow();
    this.runWindows.set(connectionKey, w);
    const r = w.take(this.clock.now(), 60_000, this.settings.runsPerMinutePerConnection);
    return r.ok ? r : { ok: false, retryAfterSeconds: this.retryAfter(r.waitMs) };
  }

  /** One Dataverse request by `userKey` (environment + user). */
  takeRequest(userKey: string): Admission {
    const w = this.requestWindows.get(userKey) ?? new SlidingWindow();
    this.requestWindows.set(userKey, w);
    const { limit, windowSeconds } = this.settings.requestBudget;
    const r = w.take(this.clock.now(), windowSeconds * 1000, limit);
    return r.ok ? r : { ok: false, retryAfterSeconds: this.retryAfter(r.waitMs) };
  }

  /** Enter a concurrent request; returns a release function, or undefined when over the limit. */
  enter(userKey: string): (() => void) | undefined {
    const n = this.inFlight.get(userKey) ?? 0;
    if (n >= this.settings.concurrentRequestLimit) {
      return undefined;
    }
    this.inFlight.set(userKey, n + 1);
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.inFlight.set(userKey, (this.inFlight.get(userKey) ?? 1) - 1);
      }
    };
  }

  /** Forget all counters (e.g. after changing settings in a test). */
  reset(): void {
    this.runWindows.clear();
    this.requestWindows.clear();
  }
}
