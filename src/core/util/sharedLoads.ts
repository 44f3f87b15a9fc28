/**
 * Lookups shared by everyone who asks for the same key while one is in flight or cached (environments of an
 * account, an org's answer about itself, the signed-in user's id). A lookup runs under the owner's lifetime
 * and a time limit, never under the first caller's `AbortSignal`: a caller that aborts only stops waiting,
 * and the others still get the answer. (A tree load aborted by a refresh right after sign-in used to cancel
 * the environments lookup the next load had joined, and the view said "Loading was cancelled.")
 * A failed lookup is not kept; a kept answer stays until `delete` or `clear`.
 */
import { raceAbort } from './abort';

/** Longest a shared lookup may take before it fails for every waiter. */
export const sharedLoadTimeoutMs = 120_000;

export class SharedLoads<T> {
  private readonly loads = new Map<string, Promise<T>>();
  private readonly lifetime = new AbortController();

  /** `owner`: the owner's own lifetime, when it has one (lookups stop when it aborts, as on `dispose`). */
  constructor(
    private readonly owner?: AbortSignal,
    private readonly timeoutMs: number = sharedLoadTimeoutMs,
  ) {}

  /**
   * The answer for `key`: the one in flight or kept, else `load`'s, started under the shared signal. Rejects
   * with `CancellationError` when `signal` aborts first (the lookup goes on for the other waiters).
   */
  get(key: string, load: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    let pending = this.loads.get(key);
    if (pending === undefined) {
      const lifetimes = [this.lifetime.signal, AbortSignal.timeout(this.timeoutMs)];
      const started = load(
        AbortSignal.any(this.owner === undefined ? lifetimes : [...lifetimes, this.owner]),
      );
      pending = started;
      this.loads.set(key, started);
      started.catch(() => {
        // Only this lookup is forgotten: a newer one for the key (after `delete`) stays.
        if (this.loads.get(key) === started) {
          this.loads.delete(key);
        }
      });
    }
    return raceAbort(pending, signal);
  }

  /** Forgets the answers of the keys `matches` accepts (all of them without it). */
  clear(matches?: (key: string) => boolean): void {
    for (const key of [...this.loads.keys()]) {
      if (matches === undefined || matches(key)) {
        this.loads.delete(key);
      }
    }
  }

  /** Forgets every answer and aborts the lookups in flight. */
  dispose(): void {
    this.loads.clear();
    this.lifetime.abort();
  }
}
