import { CancellationError } from '../../core/errors';

/**
 * Waits for shared work with a caller's signal: rejects with `CancellationError` when the signal aborts
 * first, while the work itself goes on for its other waiters.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    return Promise.reject(new CancellationError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new CancellationError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
