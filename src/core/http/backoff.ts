/**
 * Retry timing: exponential backoff with jitter, and `Retry-After` parsing (docs/service-contract.md#service-protection-429-and-retry-after: the
 * header is seconds; parsed leniently, and the HTTP-date form is accepted too).
 */

/** How retries are spaced. */
export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  readonly baseDelayMs: number;
  /** Upper bound of any computed delay. */
  readonly maxDelayMs: number;
}

/**
 * Delay before retry number `retry` (1 for the first retry): `base * 2^(retry-1)` capped at `maxDelayMs`,
 * with "equal jitter" (half fixed, half random) so clients that failed together do not retry together,
 * while the delay still grows.
 */
export function backoffDelayMs(
  policy: BackoffPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const half = exponential / 2;
  return Math.round(half + random() * half);
}

/**
 * Seconds the service asked us to wait, from a `Retry-After` value (delta-seconds, possibly fractional, or
 * an HTTP date). `undefined` when absent or unreadable.
 */
export function parseRetryAfterSeconds(
  value: string | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const trimmed = value.trim();
  if (trimmed === '') {
    return undefined;
  }
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return Number(trimmed);
  }
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) {
    return undefined;
  }
  return Math.max(0, (date - now) / 1000);
}
