/**
 * When a failed attempt is tried again, and after how long. Idempotent requests (GET, HEAD, or marked
 * `idempotent`) are retried on 429 (honouring `Retry-After`), 502, 503, 504 and dropped connections; any
 * request is retried when it surely never left the machine (connection refused, connect timeout).
 */
import type { ApiError } from '../errors';
import { backoffDelayMs, type BackoffPolicy } from './backoff';
import { isRetryableStatus, type TransportFailure } from './errorMapping';

/** One attempt that did not produce a usable response. */
export type FailedAttempt =
  | { readonly kind: 'status'; readonly error: ApiError; readonly status: number }
  | { readonly kind: 'transport'; readonly error: ApiError; readonly failure: TransportFailure };

/** The retry limits of one client. */
export interface RetrySettings {
  readonly maxAttempts: number;
  /** A `Retry-After` longer than this is not waited out. */
  readonly maxRetryAfterSeconds: number;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
}

/** Delay before the next attempt, or `undefined` when the failure must be raised. */
export function retryDelayMs(
  settings: RetrySettings,
  result: FailedAttempt,
  idempotent: boolean,
  attempt: number,
): number | undefined {
  if (attempt >= settings.maxAttempts) {
    return undefined;
  }
  if (result.kind === 'transport') {
    const { failure } = result;
    if (!failure.retryable || (failure.mayHaveReachedService && !idempotent)) {
      return undefined;
    }
    return backoffDelayMs(settings.backoff, attempt, settings.random);
  }
  if (!idempotent || !isRetryableStatus(result.status)) {
    return undefined;
  }
  const retryAfter = result.error.retryAfterSeconds;
  if (retryAfter !== undefined) {
    if (retryAfter > settings.maxRetryAfterSeconds) {
      return undefined;
    }
    return Math.ceil(retryAfter * 1000);
  }
  return backoffDelayMs(settings.backoff, attempt, settings.random);
}
