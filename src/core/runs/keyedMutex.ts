/**
 * One-at-a-time execution per key, in arrival order. The trigger uses it so that at most one start
 * request per flow and connection has an unknown outcome at any moment (see runTrigger.ts).
 */
import { CancellationError } from '../errors';

/** Runs callbacks for the same key one after another; different keys run concurrently. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Runs `fn` once every earlier call for `key` has finished. Rejects with `CancellationError` if `signal`
   * aborts while still waiting (later callers then wait only for the ones before this one).
   */
  async run<T>(key: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The next caller waits for everything before us *and* us, even if we give up waiting early.
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    try {
      await untilAborted(previous, signal);
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) {
        this.tails.delete(key);
      }
    }
  }

  /** Keys with a running or waiting caller. */
  get busyKeys(): number {
    return this.tails.size;
  }
}

function untilAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) {
    return Promise.reject(new CancellationError());
  }
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(new CancellationError());
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
