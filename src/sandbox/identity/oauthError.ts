/**
 * OAuth 2.0 error responses shaped like Entra ID's: `error`, an `error_description` that starts with the
 * `AADSTS<n>` code, `error_codes`, `timestamp`, `trace_id`, `correlation_id` and, where Entra sends one,
 * `suberror`. msal-node reads `error_codes[0]` and `suberror` to classify failures, so both matter.
 */
import { randomUUID } from 'node:crypto';

/** An OAuth error the identity endpoint answers with. */
export class OAuthError extends Error {
  constructor(
    /** HTTP status of the response. */
    readonly status: number,
    /** OAuth `error`, e.g. `invalid_grant`. */
    readonly error: string,
    /** The Entra error number (the `n` of `AADSTS<n>`); 0 for protocol errors with no AADSTS code. */
    readonly aadsts: number,
    description: string,
    /** Entra's `suberror`, e.g. `consent_required` or `bad_token`. */
    readonly suberror?: string,
  ) {
    super(aadsts === 0 ? description : `AADSTS${aadsts}: ${description}`);
    this.name = 'OAuthError';
  }

  /** The JSON body of the error response, stamped with the sandbox time and the caller's correlation id. */
  toBody(timestampIso: string, correlationId: string | undefined): Record<string, unknown> {
    const traceId = randomUUID();
    const correlation = correlationId ?? randomUUID();
    const body: Record<string, unknown> = {
      error: this.error,
      error_description: `${this.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestampIso}`,
      timestamp: timestampIso,
      trace_id: traceId,
      correlation_id: correlation,
    };
    if (this.aadsts !== 0) {
      body.error_codes = [this.aadsts];
      body.error_uri = `https://login.microsoftonline.com/error?code=${this.aadsts}`;
    }
    if (this.suberror !== undefined) {
      body.suberror = this.suberror;
    }
    return body;
  }
}

/** The request was malformed (missing or invalid parameter). */
export function invalidRequest(aadsts: number, description: string): OAuthError {
  return new OAuthError(400, 'invalid_request', aadsts, description);
}

/** A grant (code, refresh token, device code) that cannot be used. */
export function invalidGrant(aadsts: number, description: string, suberror?: string): OAuthError {
  return new OAuthError(400, 'invalid_grant', aadsts, description, suberror);
}

/** The client could not be authenticated (Entra answers 401). */
export function invalidClient(aadsts: number, description: string): OAuthError {
  return new OAuthError(401, 'invalid_client', aadsts, description);
}

/** A requested scope cannot be granted. */
export function invalidScope(aadsts: number, description: string): OAuthError {
  return new OAuthError(400, 'invalid_scope', aadsts, description);
}
