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
  if (CancellationError.is(e)) {
    return undefined;
  }
  const prefix = doing ? `Could not ${doing}: ` : '';
  if (e instanceof AuthError) {
    const code = e.code ? ` (${e.code})` : '';
    switch (e.reason) {
      case 'consentRequired':
        return {
          message: `${prefix}your organisation has not consented to this app for that resource${code}. Ask an administrator to grant consent, or set your own app in the "desktopFlows.auth.clientId" setting, then sign in again.`,
          signIn: true,
          retry: false,
        };
      case 'interactionRequired':
      case 'expired':
        return { message: `${prefix}your sign-in has expired${code}. Sign in again to continue.`, signIn: true, retry: false };
      case 'invalidClient':
        return {
          message: `${prefix}the service principal's credentials were rejected${code}. Check the client id, tenant and secret or certificate.`,
          signIn: true,
          retry: false,
        };
      case 'noAccount':
        return { message: `${prefix}you are not signed in. Sign in to continue.`, signIn: true, retry: false };
      case 'cancelled':
        return undefined;
      case 'network':
        return { message: `${prefix}the sign-in service could not be reached${code}. Check your network and proxy settings (http.proxy, HTTPS_PROXY).`, signIn: false, retry: true };
      case 'unknown':
        return { message: `${prefix}sign-in failed${code}: ${secretMasker.mask(e.message)}`, signIn: true, retry: false };
    }
  }
  if (e instanceof ApiError) {
    const ref = [e.code ? `code ${e.code}` : undefined, e.requestId ? `request ${e.requestId}` : undefined]
      .filter(Boolean)
      .join(', ');
    const tail = ref ? ` (${ref})` : '';
    const detail = e.message ? ` ${secretMasker.mask(e.message)}` : '';
    switch (e.reason) {
      case 'unauthorized':
        return { message: `${prefix}the service did not accept your sign-in${tail}. Sign in again.`, signIn: true, retry: false };
      case 'forbidden':
        return {
          message: `${prefix}you do not have permission${tail}. Ask the flow's owner or an environment admin for access (checking status and cancelling runs needs owner rights).`,
          signIn: false,
          retry: false,
        };
      case 'notFound':
        return { message: `${prefix}it no longer exists or you cannot see it${tail}. Refresh the view.`, signIn: false, retry: false };
      case 'badRequest':
      case 'conflict':
        return { message: `${prefix}the service rejected the request:${detail}${tail}`, signIn: false, retry: false };
      case 'throttled': {
        const wait = e.retryAfterSeconds !== undefined ? ` Try again in ${e.retryAfterSeconds} s.` : ' Try again shortly.';
        return { message: `${prefix}the service is throttling requests${tail}.${wait}`, signIn: false, retry: true };
      }
      case 'server':
        return { message: `${prefix}the service had an error${tail}.${detail} Try again later.`, signIn: false, retry: true };
      case 'network':
        return {
          message: `${prefix}the service could not be reached.${detail} Check your network and proxy settings (http.proxy, HTTPS_PROXY, NO_PROXY).`,
          signIn: false,
          retry: true,
        };
      case 'timeout':
        return { message: `${prefix}the service did not answer in time. Try again, or raise "desktopFlows.http.timeoutSeconds".`, signIn: false, retry: true };
      case 'insecure':
        return {
          message: `${prefix}plain http is only allowed for loopback addresses.${detail} Use an https:// URL.`,
          signIn: false,
          retry: false,
        };
      case 'cancelled':
        return undefined;
    }
  }
  const text = e instanceof Error ? e.message : String(e);
  return { message: `${prefix}${secretMasker.mask(text)}`, signIn: false, retry: false };
}
