/**
 * `DESKTOPFLOWS_TOKEN`: a ready bearer token. A token is issued for one audience, so it suits commands
 * that talk to that service only (a Dataverse token with `--env <org URL>`). When the token is a JWT
 * whose `aud` names a URL, it is sent only to that service: asking for another audience fails with an
 * `AuthError` before anything is sent, so an org token never travels to Power Apps or discovery.
 * It is kept in memory, registered with the secret masker, and never refreshed.
 */
import { AuthError } from '../core/errors';
import { trimTrailingSlashes } from '../core/http/urlSafety';
import { throwIfAborted } from '../core/util/abort';
import { secretMasker } from '../core/util/secretMasker';
import type { TokenProvider } from '../core/auth/tokenProvider';

/** The `aud` claim of a JWT when it is a URL (not an application id); `undefined` otherwise. */
export function tokenAudience(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) {
    return undefined;
  }
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { aud?: unknown };
    const aud: unknown = Array.isArray(claims.aud) ? (claims.aud as unknown[])[0] : claims.aud;
    return typeof aud === 'string' && /^https?:\/\//i.test(aud) ? aud : undefined;
  } catch {
    return undefined;
  }
}

function sameAudience(a: string, b: string): boolean {
  const norm = (v: string): string => trimTrailingSlashes(v.replace(/\/\.default$/i, '')).toLowerCase();
  return norm(a) === norm(b);
}

/** A `TokenProvider` that returns the same token for its audience (or any, when that is unknown). */
export class StaticTokenProvider implements TokenProvider {
  private readonly token: string;
  /** The service the token is for, when the token says so. */
  readonly audience: string | undefined;

  /** @param token the token, with or without a leading `Bearer `. */
  constructor(token: string) {
    this.token = token.trim().replace(/^bearer\s+/i, '');
    secretMasker.add(this.token);
    this.audience = tokenAudience(this.token);
  }

  getToken(resource: string, signal: AbortSignal): Promise<string> {
    throwIfAborted(signal);
    if (this.audience !== undefined && !sameAudience(this.audience, resource)) {
      return Promise.reject(
        new AuthError(
          'unknown',
          `DESKTOPFLOWS_TOKEN is issued for ${this.audience}, so it is not sent to ${resource}. A token serves one service: with a Dataverse token, pass the org URL to --env (an environment name or id is looked up through discovery, which needs its own token).`,
          'TokenAudience',
        ),
      );
    }
    return Promise.resolve(this.token);
  }
}
