/**
 * Turns msal-node failures into `AuthError`s with one clear reason, keeping the identity provider's
 * `AADSTS<n>` code, so the UI shows one prompt ("sign in again", "consent needed", "credentials
 * rejected") instead of a raw error dump. Classification reads msal's error fields (`errorCode`,
 * `subError`, `errorNo`) and the OAuth error the token endpoint answered, never message text.
 */
import { ApiError, AuthError, type AuthErrorReason } from '../errors';
import type { OAuthServerError } from './msalNetworkModule';

/** The fields every msal `AuthError` carries. */
export interface MsalErrorLike {
  readonly name: string;
  readonly errorCode: string;
  readonly subError?: string;
  /** Entra's error number (`error_codes[0]`), on `ServerError` and `InteractionRequiredAuthError`. */
  readonly errorNo?: string;
  readonly correlationId?: string;
}

/** True for errors thrown by msal (they carry a string `errorCode`). */
export function isMsalError(e: unknown): e is MsalErrorLike {
  return e instanceof Error && typeof (e as { errorCode?: unknown }).errorCode === 'string';
}

const consentCodes = new Set([65001]);
const cancelledCodes = new Set([65004]);
const invalidClientCodes = new Set([
  7000215, 7000222, 700027, 700016, 7000218, 700024, 700023, 700021, 700025,
]);
const expiredCodes = new Set([700082, 50173, 70008, 700084, 50133, 50089, 54005]);
const interactionErrorCodes = new Set([
  'interaction_required',
  'login_required',
  'no_tokens_found',
  'no_account_in_silent_request',
  'no_account_found',
  'ui_not_allowed',
  'bad_token',
  'interrupted_user',
  'native_account_unavailable',
]);
const interactionSubErrors = new Set([
  'message_only',
  'additional_action',
  'basic_action',
  'user_password_expired',
  'bad_token',
  'ui_not_allowed',
  'interrupted_user',
]);
const expiredErrorCodes = new Set([
  'refresh_token_expired',
  'device_code_expired',
  'expired_token',
  'user_timeout_reached',
  'bad_verification_code',
  'invalid_grant',
]);
const cancelledErrorCodes = new Set([
  'access_denied',
  'authorization_declined',
  'device_code_polling_cancelled',
  'user_cancelled',
  'user_canceled',
]);
const invalidClientErrorCodes = new Set(['invalid_client', 'unauthorized_client']);
const networkErrorCodes = new Set([
  'network_error',
  'endpoints_resolution_error',
  'no_network_connectivity',
  'openid_config_error',
]);

const messages: Record<AuthErrorReason, string> = {
  interactionRequired: 'Signing in again is needed to continue.',
  consentRequired: 'Consent is needed before this application can use the resource.',
  invalidClient: 'The application or its credentials were rejected by the identity provider.',
  expired: 'The sign-in has expired.',
  noAccount: 'The account is not signed in.',
  cancelled: 'Sign-in was cancelled.',
  network: 'The identity provider could not be reached.',
  unknown: 'Sign-in failed.',
};

/** What else is known about a failed msal call. */
export interface MsalFailureContext {
  /** The OAuth error the identity provider answered, when the network module saw one. */
  readonly serverError?: OAuthServerError;
  /** A transport failure the network module saw for the call. */
  readonly transportError?: ApiError;
}

/** An `AuthError` for `reason`, with the standard wording of the core. */
export function authError(reason: AuthErrorReason, code?: string, cause?: unknown): AuthError {
  return new AuthError(
    reason,
    code === undefined ? messages[reason] : `${messages[reason]} (${code})`,
    code,
    cause,
  );
}

/** Classify a failure of an msal call. Non-msal errors that are already typed pass through. */
export function authErrorFromMsal(e: unknown, context: MsalFailureContext = {}): Error {
  if (e instanceof AuthError || e instanceof ApiError) {
    return ApiError.is(e) && (e.reason === 'network' || e.reason === 'timeout' || e.reason === 'insecure')
      ? authError('network', undefined, e)
      : e;
  }
  if (!isMsalError(e)) {
    return authError('unknown', undefined, e);
  }
  const server = context.serverError;
  const errorNo =
    e.errorNo !== undefined && /^\d+$/.test(e.errorNo) ? Number(e.errorNo) : server?.errorCodes[0];
  const aadsts = errorNo === undefined ? undefined : `AADSTS${errorNo}`;
  // For a failed device-code poll msal only says `post_request_failed`; the server's `error` says why.
  const errorCode =
    e.errorCode === 'post_request_failed' && server !== undefined ? server.error : e.errorCode;
  const subError = e.subError ?? server?.suberror;
  const code = aadsts ?? errorCode;

  if (
    (errorNo !== undefined && consentCodes.has(errorNo)) ||
    subError === 'consent_required' ||
    errorCode === 'consent_required'
  ) {
    return authError('consentRequired', code, e);
  }
  if ((errorNo !== undefined && cancelledCodes.has(errorNo)) || cancelledErrorCodes.has(errorCode)) {
    return authError('cancelled', code, e);
  }
  if ((errorNo !== undefined && invalidClientCodes.has(errorNo)) || invalidClientErrorCodes.has(errorCode)) {
    return authError('invalidClient', code, e);
  }
  if (
    interactionErrorCodes.has(errorCode) ||
    (subError !== undefined && interactionSubErrors.has(subError))
  ) {
    return authError('interactionRequired', code, e);
  }
  if ((errorNo !== undefined && expiredCodes.has(errorNo)) || expiredErrorCodes.has(errorCode)) {
    return authError('expired', code, e);
  }
  if (networkErrorCodes.has(errorCode)) {
    return authError('network', context.transportError?.code ?? aadsts, context.transportError ?? e);
  }
  return authError('unknown', code, e);
}
