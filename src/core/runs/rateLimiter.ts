/**
 * A sliding-window rate limiter keyed by connection. RunDesktopFlow allows at most 70 runs per minute per
 * connection (reference sections 4.1 and 7); we enforce that on our side so a burst of runs waits visibly
 * instead of collecting 429s.
 *
 * A slot is stamped with the time its request *finished*, not when it was sent: the service counts a
 * request when it receives it, which is after we send and before we hear back. Counting from completion
 * therefore never lets two requests the service received less than a window apart both count as "outside"
 * the window on our side, whatever the network latency. A request still in flight occupies its slot
 * without expiring.
 */
import { throwIfAborted } from '../util/abort';
import type { RunClock } from './runClock';

/** Why a request is waiting before it is sent. */
export type RateWaitReason =
  /** Our own per-connection limit (70 per minute) is used up. */
  | 'connectionLimit'
  /** The service answered 429 and asked us to wait (`Retry-After`). */
  | 'serviceThrottled';

/** Describes one wait, for the "waiting for rate limit" event. */
export interface RateWait {
  readonly key: string;
  readonly reason: RateWaitReason;
  /** When the wait is expected to end, epoch ms on the limiter's clock. */
  readonly until: number;
}

/** A held slot. Call exactly one of `done` (the request was sent) or `cancel` (it never was). */
export interface RatePermit {
  /** The request was sent and has finished (successfully or not): the slot expires one window from now. */
  done(): void;
  /** The request was never sent: free the slot. */
  cancel(): void;
}

/** Options for a `SlidingWindowRateLimiter`. */
export interface RateLimiterOptions {
  /** Requests allowed per window per key. */
  readonly limit: number;
  /** Window length in clock milliseconds. */
  readonly windowMs: number;
  readonly clock: RunClock;
}

interface Slot {
  /** Completion time; `undefined` while in flight. */
  stamp: number | undefined;
}

interface KeyState {
  slots: Slot[];
  /** Service-imposed block (429 `Retry-After`), epoch ms. */
  blockedUntil: number;
  /** Waiters are served in arrival order: each acquire chains on the previous one. */
  tail: Promise<void>;
  /** Wakes a waiter blocked only by in-flight slots. */
  changed: Set<() => void>;
}

/** RunDesktopFlow's documented limit: 70 runs per minute per connection. */
export const runDesktopFlowRateLimit = { limit: 70, windowMs: 60_000 } as const;

/** A per-key sliding-window limiter with FIFO waiters. */
export class SlidingWindowRateLimiter {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly options: RateLimiterOptions) {
    if (!(options.limit >= 1) || !(options.windowMs > 0)) {
      throw new RangeError('A rate limiter needs a limit of at least 1 and a positive window');
    }
  }

  /**
   * Waits until `key` has a free slot, then takes it. `onWait` is called before every wait with the
   * reason and the expected end. Rejects with `CancellationError` when `signal` aborts (the slot is not
   * taken).
   */
  async acquire(key: string, signal: AbortSignal, onWait?: (wait: RateWait) => void): Promise<RatePermit> {
    const state = this.stateFor(key);
    const previous = state.tail;
    let release!: () => void;
    state.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      await previous;
      return await this.take(key, state, signal, onWait);
    } finally {
      release();
    }
  }

  /** Blocks `key` until `until` (epoch ms), e.g. after a 429 with `Retry-After`. */
  blockUntil(key: string, until: number): void {
    const state = this.stateFor(key);
    state.blockedUntil = Math.max(state.blockedUntil, until);
  }

  /**
   * Counts requests sent elsewhere (another process, another user of the connection) that the service
   * counts until one window after `stamps` (this limiter's clock), so this limiter does not spend them again.
   */
  record(key: string, stamps: Iterable<number>): void {
    const state = this.stateFor(key);
    for (const stamp of stamps) {
      state.slots.push({ stamp });
    }
    this.prune(state);
  }

  /** Slots of `key` counted in the current window (in flight included). */
  used(key: string): number {
    const state = this.keys.get(key);
    if (!state) {
      return 0;
    }
    this.prune(state);
    return state.slots.length;
  }

  private async take(
    key: string,
    state: KeyState,
    signal: AbortSignal,
    onWait: ((wait: RateWait) => void) | undefined,
  ): Promise<RatePermit> {
    const { clock, limit, windowMs } = this.options;
    // Waiters wake on every settled permit; report a wait only when its reason or end changes.
    let reported: RateWait | undefined;
    const report = (wait: RateWait): void => {
      if (reported?.reason !== wait.reason || reported.until !== wait.until) {
        reported = wait;
        onWait?.(wait);
      }
    };
    for (;;) {
      throwIfAborted(signal);
      const now = clock.now();
      this.prune(state);
      if (state.blockedUntil > now) {
        report({ key, reason: 'serviceThrottled', until: state.blockedUntil });
        await clock.sleep(state.blockedUntil - now, signal);
        continue;
      }
      if (state.slots.length < limit) {
        return this.grant(state);
      }
      // The window frees up when enough stamped slots expire; in-flight slots have no expiry yet, so
      // count them as finishing now (the earliest they can) for the estimate, and re-check on any change.
      const excess = state.slots.length - limit + 1;
      const expiries = state.slots.map((s) => (s.stamp ?? now) + windowMs).sort((a, b) => a - b);
      const until = expiries[excess - 1] ?? now + windowMs;
      report({ key, reason: 'connectionLimit', until });
      await this.waitForChange(state, Math.max(0, until - now), signal);
    }
  }

  private grant(state: KeyState): RatePermit {
    const slot: Slot = { stamp: undefined };
    state.slots.push(slot);
    let settled = false;
    const notify = (): void => {
      for (const wake of [...state.changed]) {
        wake();
      }
    };
    return {
      done: () => {
        if (!settled) {
          settled = true;
          slot.stamp = this.options.clock.now();
          notify();
        }
      },
      cancel: () => {
        if (!settled) {
          settled = true;
          state.slots = state.slots.filter((s) => s !== slot);
          notify();
        }
      },
    };
  }

  /** Sleeps for `ms`, or less when a permit of this key settles (it may free or date a slot). */
  private async waitForChange(state: KeyState, ms: number, signal: AbortSignal): Promise<void> {
    const early = new AbortController();
    const wake = (): void => early.abort();
    state.changed.add(wake);
    const combined = AbortSignal.any([signal, early.signal]);
    try {
      await this.options.clock.sleep(ms, combined);
    } catch (e) {
      if (signal.aborted) {
        throw e;
      }
    } finally {
      state.changed.delete(wake);
    }
  }

  private prune(state: KeyState): void {
    const cutoff = this.options.clock.now() - this.options.windowMs;
    state.slots = state.slots.filter((s) => s.stamp === undefined || s.stamp > cutoff);
  }

  private stateFor(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      state = { slots: [], blockedUntil: 0, tail: Promise.resolve(), changed: new Set() };
      this.keys.set(key, state);
    }
    return state;
  }
}
