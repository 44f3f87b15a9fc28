/**
 * `DESKTOPFLOWS_TOKEN`: a ready bearer token, sent to every service as is. A token is issued for one
 * audience, so it suits commands that talk to that service only (a Dataverse token with `--env <org URL>`).
 * It is kept in memory, registered with the secret masker, and never refreshed.
 */
import { throwIfAborted } from '../core/util/abort';
import { secretMasker } from '../core/util/secretMasker';
import type { TokenProvider } from '../core/auth/tokenProvider';

/** A `TokenProvider` that returns the same token for every audience. */
export class StaticTokenProvider implements TokenProvider {
  private readonly token: string;

  /** @param token the token, with or without a leading `Bearer `. */
  constructor(token: string) {
    this.token = token.trim().replace(/^bearer\s+/i, '');
    secretMasker.add(this.token);
  }

  getToken(_resource: string, signal: AbortSignal): Promise<string> {
    throwIfAborted(signal);
    return Promise.resolve(this.token);
  }
}
