/**
 * Turns failed exchanges into typed `ApiError`s: HTTP statuses with the service's error body (Dataverse
 * `{ error: { code, message } }`, API hub / BAP `{ error: { code, message } }` or a bare `{ code, message }`),
 * and transport failures classified by whether the request may have reached the service.
 */
import { ApiError, type ApiErrorReason } from '../errors';
import { secretMasker } from '../util/secretMasker';
import { parseRetryAfterSeconds } from './backoff';

/** Header names that carry a service request id, most specific first. */
const requestIdHeaders = [
  'x-ms-service-request-id',
  'req_id',
  'x-ms-request-id',
  'x-ms-correlation-request-id',
];

/** The service request id from response headers (lower-cased names). */
export function requestIdFrom(headers: Readonly<Record<string, string>>): string | undefined {
  for (const name of requestIdHeaders) {
    const value = headers[name];
    if (value !== undefined && value !== '') {
      return value;
    }
  }
  return undefined;
}

/** The error reason for an HTTP status of 400 or more. */
export function reasonForStatus(status: number): ApiErrorReason {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
    case 410:
      return 'notFound';
    case 408:
    case 504:
      return 'timeout';
    case 409:
    case 412:
      return 'conflict';
    case 429:
      return 'throttled';
    default:
      return status >= 500 ? 'server' : 'badRequest';
  }
}

/** Statuses worth retrying for idempotent requests. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

interface ServiceErrorBody {
  code: string | undefined;
  message: string | undefined;
}

function asString(v: unknown): string | undefined {
  if (typeof v === 'string') {
    return v;
  }
  if (typeof v === 'number') {
    return String(v);
  }
  return undefined;
}

/** Reads `{ error: { code, message } }` or `{ code, message }`; anything else yields no code/message. */
export function parseServiceError(bodyText: string): ServiceErrorBody {
  if (bodyText.trim() === '') {
    return { code: undefined, message: undefined };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return { code: undefined, message: undefined };
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return { code: undefined, message: undefined };
  }
  const record = parsed as Record<string, unknown>;
  const inner =
    typeof record.error === 'object' && record.error !== null
      ? (record.error as Record<string, unknown>)
      : record;
  const code = asString(inner.code);
  const message = asString(inner.message) ?? asString(record.error_description) ?? asString(record.Message);
  return { code: code === '' ? undefined : code, message: message === '' ? undefined : message };
}

/** Everything needed to describe a response with status >= 400. */
export interface FailedResponse {
  readonly method: string;
  /** Already redacted. */
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyText: string;
}

/** The typed error for an HTTP error response. */
export function apiErrorFromResponse(r: FailedResponse): ApiError {
  const { code, message } = parseServiceError(r.bodyText);
  const text =
    message ?? `${r.method} ${r.url} failed with HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}`;
  return new ApiError({
    reason: reasonForStatus(r.status),
    message: secretMasker.mask(text),
    status: r.status,
    code,
    requestId: requestIdFrom(r.headers),
    retryAfterSeconds: parseRetryAfterSeconds(r.headers['retry-after']),
    method: r.method,
    url: r.url,
    // A response arrived, so the service saw the request; a 4xx tells callers it was rejected, not run.
    mayHaveReachedService: true,
  });
}

/** How a transport failure is treated. */
export interface TransportFailure {
  readonly reason: ApiErrorReason;
  /** Error code from Node or undici, e.g. `ECONNREFUSED`, `UND_ERR_SOCKET`. */
  readonly code: string | undefined;
  /** False only when the request surely never left this machine (refused, DNS, connect timeout, TLS). */
  readonly mayHaveReachedService: boolean;
  /** Whether another attempt can help at all. */
  readonly retryable: boolean;
}

// Failures while connecting: the request was never written to a socket.
const connectPhaseCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
// Certificate problems: retrying cannot help, and verification is never switched off.
const tlsCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const notRetryableConnectCodes = new Set(['ENOTFOUND', 'EAI_FAIL']);
const timeoutCodes = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** The most specific error code on an error, its aggregated errors or its cause. */
export function errorCodeOf(e: unknown, depth = 0): string | undefined {
  if (typeof e !== 'object' || e === null || depth > 4) {
    return undefined;
  }
  const record = e as { code?: unknown; errors?: unknown; cause?: unknown };
  if (typeof record.code === 'string' && record.code !== 'UND_ERR' && record.code !== 'ERR_AGGREGATE') {
    return record.code;
  }
  if (Array.isArray(record.errors)) {
    for (const inner of record.errors) {
      const code = errorCodeOf(inner, depth + 1);
      if (code !== undefined) {
        return code;
      }
    }
  }
  return errorCodeOf(record.cause, depth + 1);
}

/** Classifies an error thrown by the transport (never called for aborts through our own signal). */
export function classifyTransportFailure(e: unknown): TransportFailure {
  const code = errorCodeOf(e);
  if (code !== undefined && tlsCodes.has(code)) {
    return { reason: 'network', code, mayHaveReachedService: false, retryable: false };
  }
  if (code !== undefined && connectPhaseCodes.has(code)) {
    return {
      reason: timeoutCodes.has(code) ? 'timeout' : 'network',
      code,
      mayHaveReachedService: false,
      retryable: !notRetryableConnectCodes.has(code),
    };
  }
  return {
    reason: code !== undefined && timeoutCodes.has(code) ? 'timeout' : 'network',
    code,
    // Dropped connections, resets, header/body timeouts: the request may have been received and executed.
    mayHaveReachedService: true,
    retryable: true,
  };
}
