/**
 * Tokens from a running sandbox's `GET <base>/_sandbox/token?aud=<resource>`, for unit tests and benchmarks
 * that need a signed-in client without the sign-in flow. Not a product feature: the extension and the CLI
 * sign in to the sandbox through its identity endpoints like to Entra ID (src/core/auth/sandboxSignIn.ts),
 * and the `/_sandbox/token` route exists only in the sandbox. Tokens are cached per audience until shortly
 * before they expire.
 */
import { AuthError } from '../../../src/core/errors';
import type { HttpClient } from '../../../src/core/http/httpClient';
import { trimTrailingSlashes } from '../../../src/core/http/urlSafety';
import { secretMasker } from '../../../src/core/util/secretMasker';
import { raceAbort } from '../../../src/core/util/abort';
import type { TokenProvider } from '../../../src/core/auth/tokenProvider';

/** Options of `SandboxTokenProvider`. */
export interface SandboxTokenProviderOptions {
  /** The sandbox base URL (`startSandbox().url`). */
  readonly baseUrl: string;
  /** An HttpClient used for the anonymous token requests (it needs no TokenProvider itself). */
  readonly http: HttpClient;
  /** Refresh this long before expiry (default 60 s, at most a tenth of the token's lifetime). */
  readonly refreshMarginMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

interface CachedToken {
  readonly token: string;
  readonly refreshAt: number;
}

/** Lifetime in seconds from a JWT's `exp - iat`, which is immune to clock differences with the sandbox. */
function jwtLifetimeSeconds(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) {
    return undefined;
  }
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp?: unknown;
      iat?: unknown;
      nbf?: unknown;
    };
    const start = typeof claims.iat === 'number' ? claims.iat : claims.nbf;
    if (typeof claims.exp === 'number' && typeof start === 'number') {
      return claims.exp - start;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function field(body: Record<string, unknown>, ...names: string[]): unknown {
  for (const n of names) {
    if (body[n] !== undefined) {
      return body[n];
    }
  }
  return undefined;
}

/** A `TokenProvider` backed by the sandbox's token endpoint. */
export class SandboxTokenProvider implements TokenProvider {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly baseUrl: string;
  private readonly marginMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SandboxTokenProviderOptions) {
    this.baseUrl = trimTrailingSlashes(options.baseUrl);
    this.marginMs = options.refreshMarginMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** A token for `resource` (trailing slashes ignored), from cache while it is fresh. */
  async getToken(resource: string, signal: AbortSignal): Promise<string> {
    const key = trimTrailingSlashes(resource);
    const cached = this.cache.get(key);
    if (cached !== undefined && this.now() < cached.refreshAt) {
      return cached.token;
    }
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      // Concurrent callers share one request; it runs to completion even if the first caller aborts.
      pending = this.fetchToken(key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const fresh = await raceAbort(pending, signal);
    return fresh.token;
  }

  /** Forget a token the service rejected. */
  invalidate(resource: string, token: string): void {
    const key = trimTrailingSlashes(resource);
    if (this.cache.get(key)?.token === token) {
      this.cache.delete(key);
    }
  }

  private async fetchToken(resource: string): Promise<CachedToken> {
    let body: unknown;
    try {
      body = await this.options.http.get<unknown>(`${this.baseUrl}/_sandbox/token`, {
        query: { aud: resource },
        // Shared by concurrent callers, so not tied to one caller's signal; bounded by the client's timeouts.
        signal: new AbortController().signal,
      });
    } catch (e) {
      throw new AuthError('network', `Could not get a sandbox token for ${resource}.`, undefined, e);
    }
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const token = typeof body === 'string' ? body : field(record, 'access_token', 'accessToken', 'token');
    if (typeof token !== 'string' || token === '') {
      throw new AuthError('unknown', 'The sandbox token endpoint answered without a token.');
    }
    secretMasker.add(token);
    const expiresIn = field(record, 'expires_in', 'expiresIn');
    const lifetimeSeconds = typeof expiresIn === 'number' ? expiresIn : (jwtLifetimeSeconds(token) ?? 3600);
    const lifetimeMs = lifetimeSeconds * 1000;
    const margin = Math.min(this.marginMs, lifetimeMs / 10);
    const entry = { token, refreshAt: this.now() + lifetimeMs - margin };
    this.cache.set(resource, entry);
    return entry;
  }
}
