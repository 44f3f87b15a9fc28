import { apiErrorReferenceSuffix } from '../core/apiErrorReference';
import { ApiError, AuthError, CancellationError } from '../core/errors';
import { secretMasker } from '../core/util/secretMasker';

/** What the UI should say about an error, and which follow-up actions make sense. */
export interface ErrorDescription {
  message: string;
  /** Offer "Sign In Again". */
  signIn: boolean;
  /** Offer "Retry". */
  retry: boolean;
}

/**
 * Turns a core error into words a maker can act on: what happened, and what to do. The service's own
 * code and request id are kept, so a support ticket can quote them.
 */
export function describeError(e: unknown, doing?: string): ErrorDescription | undefined {
  const described = describe(e);
  return described && { ...described, message: sentence(described.message, doing) };
}

/** The words for an error, as a clause that starts in lower case ("the service …"). */
function describe(e: unknown): ErrorDescription | undefined {
  if (CancellationError.is(e)) {
    return undefined;
  }
  if (e instanceof AuthError) {
    const code = e.code ? ` (${e.code})` : '';
    switch (e.reason) {
      case 'consentRequired':
        return {
          message: `your organisation has not consented to this app for that resource${code}. Ask an administrator to grant consent, or set your own app in the "desktopFlows.auth.clientId" setting, then sign in again.`,
          signIn: true,
          retry: false,
        };
      case 'interactionRequired':
      case 'expired':
        return {
          message: `your sign-in has expired${code}. Sign in again to continue.`,
          signIn: true,
          retry: false,
        };
      case 'invalidClient':
        return {
          message: `the service principal's credentials were rejected${code}. Check the client id, tenant and secret or certificate.`,
          signIn: true,
          retry: false,
        };
      case 'noAccount':
        return { message: `you are not signed in. Sign in to continue.`, signIn: true, retry: false };
      case 'cancelled':
        return undefined;
      case 'network':
        return {
          message: `the sign-in service could not be reached${code}. Check your network and proxy settings (http.proxy, HTTPS_PROXY).`,
          signIn: false,
          retry: true,
        };
      case 'unknown':
        return {
          message: `sign-in failed${code}.${e.message.trim() ? ` ${sentence(secretMasker.mask(e.message))}` : ''}`,
          signIn: true,
          retry: false,
        };
    }
  }
  if (e instanceof ApiError) {
    const tail = apiErrorReferenceSuffix(e);
    const detail = e.message.trim() ? ` ${sentence(secretMasker.mask(e.message))}` : '';
    switch (e.reason) {
      case 'unauthorized':
        return {
          message: `the service did not accept your sign-in${tail}. Sign in again.`,
          signIn: true,
          retry: false,
        };
      case 'forbidden':
        return {
          message: `you do not have permission${tail}. Ask the flow's owner or an environment admin for access (checking status and cancelling runs needs owner rights).`,
          signIn: false,
          retry: false,
        };
      case 'notFound':
        return {
          message: `it no longer exists or you cannot see it${tail}. Refresh the view.`,
          signIn: false,
          retry: false,
        };
      case 'badRequest':
      case 'conflict':
        return { message: `the service rejected the request${tail}.${detail}`, signIn: false, retry: false };
      case 'throttled': {
        const wait =
          e.retryAfterSeconds !== undefined
            ? ` Try again in ${e.retryAfterSeconds} s.`
            : ' Try again shortly.';
        return { message: `the service is throttling requests${tail}.${wait}`, signIn: false, retry: true };
      }
      case 'server':
        return {
          message: `the service had an error${tail}.${detail} Try again later.`,
          signIn: false,
          retry: true,
        };
      case 'network':
        return {
          message: `the service could not be reached.${detail} Check your network and proxy settings (http.proxy, HTTPS_PROXY, NO_PROXY).`,
          signIn: false,
          retry: true,
        };
      case 'timeout':
        return {
          message: `the service did not answer in time. Try again, or raise "desktopFlows.http.timeoutSeconds".`,
          signIn: false,
          retry: true,
        };
      case 'insecure':
        return {
          message: `plain http is only allowed for loopback addresses.${detail} Use an https:// URL.`,
          signIn: false,
          retry: false,
        };
      case 'cancelled':
        return undefined;
    }
  }
  const text = (e instanceof Error ? e.message : String(e)).trim();
  return { message: text ? secretMasker.mask(text) : 'something went wrong', signIn: false, retry: false };
}

/**
 * A full sentence from a clause: "Could not <doing>: <clause>" or the clause capitalised, ending with
 * punctuation however the clause (or a service's own message inside it) ended.
 */
export function sentence(clause: string, doing?: string): string {
  const text = clause.trim();
  const body = doing ? `Could not ${doing}: ${text}` : text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(body) ? body : `${body}.`;
}
