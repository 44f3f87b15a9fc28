/**
 * Typed errors raised by the core. Callers branch on `reason` (via `ApiError.is`), never on message text.
 * User-facing wording lives in the VS Code layer and the CLI.
 */

/** Why a call to a service failed. */
export type ApiErrorReason =
  | 'unauthorized'
  | 'forbidden'
  | 'notFound'
  | 'badRequest'
  | 'conflict'
  | 'throttled'
  | 'server'
  | 'network'
  | 'timeout'
  | 'cancelled'
  /** Refused before sending: plain `http:` to a host that is not loopback (TLS is never skipped). */
  | 'insecure';

export interface ApiErrorInit {
  reason: ApiErrorReason;
  message: string;
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Service error code, e.g. Dataverse `0x80040217` or API hub `ConnectionNotFound`. */
  code?: string;
  /** Service request id (`x-ms-service-request-id` / `REQ_ID` / `x-ms-request-id`). */
  requestId?: string;
  /** Seconds the service asked us to wait (`Retry-After`). */
  retryAfterSeconds?: number;
  /** HTTP method and URL (query string stripped of secrets) for logs. */
  method?: string;
  url?: string;
  /** True when the request may have reached the service (matters for non-idempotent calls). */
  mayHaveReachedService?: boolean;
  cause?: unknown;
}

/** An error from a service call, carrying the data needed to explain it. */
export class ApiError extends Error {
  readonly reason: ApiErrorReason;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly mayHaveReachedService: boolean;

  constructor(init: ApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ApiError';
    this.reason = init.reason;
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.method = init.method;
    this.url = init.url;
    this.mayHaveReachedService = init.mayHaveReachedService ?? init.status !== undefined;
  }

  /** True when `e` is an ApiError, and (when given) has one of the reasons. */
  static is(e: unknown, ...reasons: ApiErrorReason[]): e is ApiError {
    return e instanceof ApiError && (reasons.length === 0 || reasons.includes(e.reason));
  }
}

/** Raised when an operation was cancelled through its AbortSignal. Never shown to users. */
export class CancellationError extends Error {
  constructor(message = 'Cancelled') {
    super(message);
    this.name = 'CancellationError';
  }

  static is(e: unknown): e is CancellationError {
    return e instanceof CancellationError || ApiError.is(e, 'cancelled');
  }
}

/** Why signing in or getting a token failed. */
export type AuthErrorReason =
  | 'interactionRequired'
  | 'consentRequired'
  | 'invalidClient'
  | 'expired'
  | 'noAccount'
  | 'cancelled'
  | 'network'
  | 'unknown';

/** An authentication failure. `code` keeps the identity provider's code (e.g. `AADSTS65001`). */
export class AuthError extends Error {
  readonly reason: AuthErrorReason;
  readonly code: string | undefined;

  constructor(reason: AuthErrorReason, message: string, code?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AuthError';
    this.reason = reason;
    this.code = code;
  }

  static is(e: unknown, ...reasons: AuthErrorReason[]): e is AuthError {
    return e instanceof AuthError && (reasons.length === 0 || reasons.includes(e.reason));
  }
}
