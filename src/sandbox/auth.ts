/**
 * Bearer-token checks for every sandbox service. A missing, malformed, expired, badly signed or
 * wrong-audience token gives 401 with `WWW-Authenticate` naming the sandbox authority, as Dataverse
 * does (reference 4.10), so clients can discover the tenant and refresh.
 */
import { header, ServiceError } from './httpUtil';
import type { RequestContext } from './httpUtil';
import type { SandboxRuntime } from './sandboxRuntime';
import type { TokenRejection, VerifiedClaims } from './tokens';

const messages: Record<TokenRejection, string> = {
  missing: 'Bearer token is missing from the Authorization header.',
  malformed: 'The access token is malformed.',
  expired: 'The access token has expired.',
  notYetValid: 'The access token is not yet valid.',
  wrongAudience: 'The access token was issued for a different audience.',
  badSignature: 'The access token signature is invalid.',
};

/** ARM-style error codes used by BAP and the Power Apps resource provider. */
const armCodes: Record<TokenRejection, string> = {
  missing: 'AuthenticationFailed',
  malformed: 'InvalidAuthenticationToken',
  expired: 'ExpiredAuthenticationToken',
  notYetValid: 'InvalidAuthenticationToken',
  wrongAudience: 'InvalidAuthenticationTokenAudience',
  badSignature: 'InvalidAuthenticationToken',
};

export type AuthStyle = 'dataverse' | 'arm';

/**
 * Verifies the request's bearer token for one of `audiences`; throws a 401 `ServiceError` otherwise.
 * The first audience is named in `WWW-Authenticate` as `resource_id`.
 */
export function authenticate(
  ctx: RequestContext,
  rt: SandboxRuntime,
  audiences: readonly string[],
  style: AuthStyle,
): VerifiedClaims {
  const raw = header(ctx, 'authorization');
  let reason: TokenRejection = 'missing';
  if (raw !== undefined && /^bearer\s+\S/i.test(raw)) {
    for (const aud of audiences) {
      const result = rt.issuer.verify(raw, aud);
      if (result.ok) {
        return result.claims;
      }
      reason = result.reason;
      if (reason !== 'wrongAudience') {
        break;
      }
    }
  } else if (raw !== undefined && raw.trim() !== '') {
    reason = 'malformed';
  }
  const authority = `${rt.identityUrl.replace(/\/+$/, '')}/${rt.issuer.tenantId}`;
  const wwwAuthenticate =
    style === 'dataverse'
      ? `Bearer authorization_uri=${authority}/oauth2/authorize, resource_id=${audiences[0] ?? ''}`
      : `Bearer authorization_uri="${authority}", error="invalid_token", error_description="${messages[reason]}"`;
  // Dataverse's 401 body is often empty and undocumented (reference 4.10): the sandbox sends its usual
  // error shape with an empty code, so clients must rely on the status and header, not the body.
  const code = style === 'dataverse' ? '' : armCodes[reason];
  rt.logger.debug(`[sandbox] 401 ${ctx.method} ${ctx.url.pathname}: ${reason}`);
  throw new ServiceError(401, code, messages[reason], { 'www-authenticate': wwwAuthenticate });
}
