/**
 * Sign-in and tokens over `@azure/msal-node` (the only file that imports it). `MsalUserClient` wraps one
 * `PublicClientApplication` per authority host and client id (interactive loopback + PKCE, device code,
 * silent refresh); `MsalServicePrincipalClient` wraps a `ConfidentialClientApplication` (client secret or
 * certificate). `MsalTokenProvider` is the `TokenProvider` for one account: any resource, silently, from
 * one sign-in. msal's network calls go through `HttpClient` (proxies, the sandbox CA pinned to its host);
 * its cache persists through a `SecretStore`; its failures become `AuthError`s.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import {
  ConfidentialClientApplication,
  LogLevel,
  PublicClientApplication,
  type AccountInfo,
  type AuthenticationResult,
  type Configuration,
  type DeviceCodeRequest,
} from '@azure/msal-node';
import { CancellationError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import { silentLogger, type Logger } from '../logger';
import { throwIfAborted } from '../util/abort';
import { secretMasker } from '../util/secretMasker';
import type { AuthTarget } from './authTarget';
import { authorityUrl, defaultScopeFor, normalizeResource } from './authTarget';
import { authError, authErrorFromMsal } from './msalErrorMapping';
import { MsalNetworkModule } from './msalNetworkModule';
import { SecretStoreCachePlugin } from './secretStoreCachePlugin';
import type { SecretStore } from './secretStore';
import type { TokenProvider } from './tokenProvider';

/** What the UI layer supplies for a browser sign-in. */
export interface InteractiveSignInOptions {
  /** Open the sign-in page in the system browser (VS Code: `env.openExternal`). */
  openBrowser(url: string, signal: AbortSignal): Promise<void>;
  /** Pre-fill the account to sign in with (`login_hint`). */
  readonly loginHint?: string;
  /** Page the browser shows after a successful sign-in. */
  readonly successHtml?: string;
  /** Page the browser shows after a failed sign-in. */
  readonly errorHtml?: string;
  /** Resource to consent to at sign-in; default the target's `signInResource`. */
  readonly resource?: string;
  /** Loopback port to prefer (a random free port otherwise). */
  readonly preferredPort?: number;
}

/** The code the user enters on another device. */
export interface DeviceCodeInfo {
  readonly userCode: string;
  readonly verificationUri: string;
  /** The identity provider's instruction, e.g. "To sign in, use a web browser to open …". */
  readonly message: string;
  readonly expiresInSeconds: number;
}

/** What the UI layer supplies for a device-code sign-in (remote, SSH and Codespaces windows). */
export interface DeviceCodeSignInOptions {
  /** Show the code (VS Code: a notification with Copy and Open buttons). */
  showCode(info: DeviceCodeInfo): void;
  /** Resource to consent to at sign-in; default the target's `signInResource`. */
  readonly resource?: string;
}

/** A user msal knows, as reported at sign-in or from its cache. */
export interface MsalUser {
  readonly homeAccountId: string;
  readonly username: string;
  readonly name: string | undefined;
  readonly tenantId: string;
}

/** How a service principal authenticates. Held in memory only; persisted by the caller in a `SecretStore`. */
export type ServicePrincipalCredential =
  | { readonly kind: 'secret'; readonly clientSecret: string }
  | { readonly kind: 'certificate'; readonly certificatePem: string; readonly privateKeyPem: string };

/** Where a token provider gets tokens from: an msal client bound to one account. */
export interface TokenSource {
  /** An access token for `resource`; `forceRefresh` skips msal's cache. */
  acquire(resource: string, forceRefresh: boolean, signal: AbortSignal): Promise<AcquiredToken>;
}

/** A token and when it expires (epoch ms). */
export interface AcquiredToken {
  readonly token: string;
  readonly expiresOn: number;
}

/** Shared plumbing of the msal clients. */
export interface MsalClientDeps {
  /** HTTP client for msal's calls, built for the target (proxy settings, the sandbox CA). */
  readonly http: HttpClient;
  readonly logger?: Logger;
}

/** A token from the in-memory layer is reused while it has at least this long left (msal uses 5 min). */
const reuseMarginMs = 5 * 60 * 1000;

/** The secret-store key of the msal cache for a target (one cache per authority host and client id). */
export function msalCacheKey(target: AuthTarget): string {
  return `desktopFlows.msal.${new URL(target.authorityHost).host.toLowerCase()}.${target.clientId.toLowerCase()}`;
}

function msalLogger(logger: Logger): NonNullable<NonNullable<Configuration['system']>['loggerOptions']> {
  return {
    piiLoggingEnabled: false,
    logLevel: LogLevel.Info,
    loggerCallback: (level: LogLevel, message: string, containsPii: boolean) => {
      if (containsPii) {
        return;
      }
      const line = `[auth] msal: ${secretMasker.mask(message)}`;
      switch (level) {
        case LogLevel.Error:
          logger.warn(line);
          return;
        case LogLevel.Warning:
          logger.debug(line);
          return;
        case LogLevel.Info:
        case LogLevel.Verbose:
        case LogLevel.Trace:
          logger.trace(line);
          return;
      }
    },
  };
}

function networkFor(target: AuthTarget, deps: MsalClientDeps): MsalNetworkModule {
  return new MsalNetworkModule({
    http: deps.http,
    // The sandbox CA is trusted for the identity host only.
    ...(target.authorityCa === undefined ? {} : { pinnedHost: new URL(target.authorityHost).host }),
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  });
}

function msalConfig(target: AuthTarget, network: MsalNetworkModule, logger: Logger): Configuration {
  return {
    auth: {
      clientId: target.clientId,
      authority: authorityUrl(target),
      ...(target.knownAuthorities.length === 0 ? {} : { knownAuthorities: [...target.knownAuthorities] }),
    },
    system: { networkClient: network, loggerOptions: msalLogger(logger) },
  };
}

/** Settle with `work`, or reject with `CancellationError` as soon as `signal` aborts (then run `onAbort`). */
async function raceAbort<T>(work: Promise<T>, signal: AbortSignal, onAbort?: () => void): Promise<T> {
  // The msal call may still settle after an abort; its outcome is then of no interest.
  work.catch(() => undefined);
  throwIfAborted(signal);
  let listener: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    listener = () => {
      onAbort?.();
      reject(new CancellationError());
    };
    signal.addEventListener('abort', listener, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (listener !== undefined) {
      signal.removeEventListener('abort', listener);
    }
  }
}

function userOf(account: AccountInfo): MsalUser {
  return {
    homeAccountId: account.homeAccountId,
    username: account.username,
    name: account.name,
    tenantId: account.tenantId,
  };
}

function tokenOf(result: AuthenticationResult | null): AcquiredToken {
  if (result === null || result.accessToken === '') {
    throw authError('unknown', 'empty_token_response');
  }
  secretMasker.add(result.accessToken);
  return { token: result.accessToken, expiresOn: result.expiresOn?.getTime() ?? Date.now() };
}

/** Users of one public client (authority host + client id), sharing one persisted msal cache. */
export class MsalUserClient {
  private readonly pca: PublicClientApplication;
  private readonly network: MsalNetworkModule;
  private readonly cache: SecretStoreCachePlugin;
  private readonly logger: Logger;

  constructor(
    readonly target: AuthTarget,
    secrets: SecretStore,
    private readonly deps: MsalClientDeps,
  ) {
    this.logger = deps.logger ?? silentLogger;
    this.network = networkFor(target, deps);
    this.cache = new SecretStoreCachePlugin(secrets, msalCacheKey(target));
    this.pca = new PublicClientApplication({
      ...msalConfig(target, this.network, this.logger),
      cache: { cachePlugin: this.cache },
    });
  }

  /**
   * Sign in to `tenantId` (or `organizations`) through the system browser: msal listens on a loopback port, the identity provider posts the
   * authorization code back to it (`form_post`), and the code is redeemed with its PKCE verifier.
   * Aborting `signal` answers the pending loopback request with `access_denied`, which ends the wait.
   */
  async signInInteractive(
    tenantId: string,
    options: InteractiveSignInOptions,
    signal: AbortSignal,
  ): Promise<MsalUser> {
    throwIfAborted(signal);
    const correlationId = randomUUID();
    let authorizeUrl: string | undefined;
    const resource = options.resource ?? this.target.signInResource;
    const work = this.pca.acquireTokenInteractive({
      scopes: resource === undefined ? [] : [defaultScopeFor(resource)],
      authority: authorityUrl(this.target, tenantId),
      correlationId,
      // msal drops the login hint when asked to let the user pick an account.
      ...(options.loginHint === undefined ? { prompt: 'select_account' } : { loginHint: options.loginHint }),
      ...(options.successHtml === undefined ? {} : { successTemplate: options.successHtml }),
      ...(options.errorHtml === undefined ? {} : { errorTemplate: options.errorHtml }),
      ...(options.preferredPort === undefined ? {} : { preferredPort: options.preferredPort }),
      openBrowser: async (url) => {
        authorizeUrl = url;
        this.logger.info(`[auth] opening the browser to sign in at ${new URL(url).host}`);
        await options.openBrowser(url, signal);
      },
    });
    const result = await this.call(
      () => raceAbort(work, signal, () => void this.answerLoopback(authorizeUrl)),
      correlationId,
    );
    return this.signedIn(result);
  }

  /** Sign in to `tenantId` with a device code: `showCode` tells the user where to enter it; msal polls until they do. */
  async signInWithDeviceCode(
    tenantId: string,
    options: DeviceCodeSignInOptions,
    signal: AbortSignal,
  ): Promise<MsalUser> {
    throwIfAborted(signal);
    const correlationId = randomUUID();
    const resource = options.resource ?? this.target.signInResource;
    const request: DeviceCodeRequest = {
      scopes: resource === undefined ? [] : [defaultScopeFor(resource)],
      authority: authorityUrl(this.target, tenantId),
      correlationId,
      deviceCodeCallback: (r) => {
        this.logger.info(`[auth] device code issued; waiting for the user at ${r.verificationUri}`);
        options.showCode({
          userCode: r.userCode,
          verificationUri: r.verificationUri,
          message: r.message,
          expiresInSeconds: r.expiresIn,
        });
      },
    };
    const result = await this.call(
      () =>
        raceAbort(this.pca.acquireTokenByDeviceCode(request), signal, () => {
          // msal checks this flag before each poll and then stops.
          request.cancel = true;
        }),
      correlationId,
    );
    return this.signedIn(result);
  }

  /** The users in this client's cache. */
  async users(): Promise<MsalUser[]> {
    return (await this.pca.getTokenCache().getAllAccounts()).map(userOf);
  }

  /** A token source bound to one user. */
  sourceFor(homeAccountId: string): TokenSource {
    return {
      acquire: (resource, forceRefresh, signal) =>
        this.acquireSilent(homeAccountId, resource, forceRefresh, signal),
    };
  }

  /** Remove the user and their tokens; the persisted cache is deleted when no user is left. */
  async signOut(homeAccountId: string): Promise<void> {
    const cache = this.pca.getTokenCache();
    const account = await cache.getAccountByHomeId(homeAccountId);
    if (account !== null) {
      await cache.removeAccount(account);
    }
    if ((await cache.getAllAccounts()).length === 0) {
      await this.cache.clear();
    }
  }

  dispose(): void {
    this.network.dispose();
  }

  /**
   * Silent token for any resource from the user's refresh token (`<resource>/.default`), refreshed by
   * msal when expired; consent, interaction and expiry failures become `AuthError`s.
   */
  private async acquireSilent(
    homeAccountId: string,
    resource: string,
    forceRefresh: boolean,
    signal: AbortSignal,
  ): Promise<AcquiredToken> {
    throwIfAborted(signal);
    const account = await this.pca.getTokenCache().getAccountByHomeId(homeAccountId);
    if (account === null) {
      throw authError('noAccount');
    }
    const correlationId = randomUUID();
    const result = await this.call(
      () =>
        raceAbort(
          this.pca.acquireTokenSilent({
            account,
            scopes: [defaultScopeFor(resource)],
            // The user's home tenant, so tokens come from (and are cached for) the tenant they belong to.
            authority: authorityUrl(
              this.target,
              account.tenantId === '' ? this.target.tenantId : account.tenantId,
            ),
            forceRefresh,
            correlationId,
          }),
          signal,
        ),
      correlationId,
    );
    return tokenOf(result);
  }

  private signedIn(result: AuthenticationResult | null): MsalUser {
    tokenOf(result);
    if (result?.account === null || result?.account === undefined) {
      throw authError('unknown', 'no_account_in_response');
    }
    const user = userOf(result.account);
    this.logger.info(`[auth] signed in ${user.username} (tenant ${user.tenantId})`);
    return user;
  }

  private async call<T>(work: () => Promise<T>, correlationId: string): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof CancellationError) {
        throw e;
      }
      throw authErrorFromMsal(e, {
        serverError: this.network.serverErrorFor(correlationId),
        transportError: this.network.transportErrorFor(correlationId),
      });
    }
  }

  /** Ends a pending browser sign-in: posts `access_denied` to msal's loopback listener. */
  private async answerLoopback(authorizeUrl: string | undefined): Promise<void> {
    if (authorizeUrl === undefined) {
      return;
    }
    const url = new URL(authorizeUrl);
    const redirect = url.searchParams.get('redirect_uri');
    const state = url.searchParams.get('state');
    if (redirect === null || state === null) {
      return;
    }
    // msal's listener binds 127.0.0.1; its redirect URI says localhost.
    const target = new URL(redirect);
    target.hostname = '127.0.0.1';
    const form = new URLSearchParams({
      error: 'access_denied',
      error_description: 'Sign-in was cancelled in the editor.',
      state,
    });
    try {
      await this.deps.http.request(target.toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        rawBody: form.toString(),
        responseType: 'text',
        acceptErrorStatus: true,
        signal: AbortSignal.timeout(5000),
      });
    } catch (e) {
      this.logger.debug(
        `[auth] could not close the sign-in listener: ${e instanceof Error ? e.name : 'error'}`,
      );
    }
  }
}

/** A service principal: client credentials with a secret or a certificate. */
export class MsalServicePrincipalClient implements TokenSource {
  private readonly cca: ConfidentialClientApplication;
  private readonly network: MsalNetworkModule;

  constructor(
    readonly target: AuthTarget,
    credential: ServicePrincipalCredential,
    deps: MsalClientDeps,
  ) {
    if (['organizations', 'common', 'consumers'].includes(target.tenantId.toLowerCase())) {
      // Client credentials need a named tenant (docs/service-contract.md#authentication-scopes).
      throw authError('invalidClient', 'tenant_required');
    }
    const logger = deps.logger ?? silentLogger;
    this.network = networkFor(target, deps);
    const config = msalConfig(target, this.network, logger);
    if (credential.kind === 'secret') {
      secretMasker.add(credential.clientSecret);
      this.cca = new ConfidentialClientApplication({
        ...config,
        auth: { ...config.auth, clientSecret: credential.clientSecret },
      });
    } else {
      secretMasker.add(credential.privateKeyPem);
      let thumbprintSha256: string;
      try {
        thumbprintSha256 = new X509Certificate(credential.certificatePem).fingerprint256.replace(/:/g, '');
      } catch (e) {
        throw authError('invalidClient', 'invalid_certificate', e);
      }
      this.cca = new ConfidentialClientApplication({
        ...config,
        auth: {
          ...config.auth,
          clientCertificate: {
            thumbprintSha256,
            privateKey: credential.privateKeyPem,
            x5c: credential.certificatePem,
          },
        },
      });
    }
  }

  /** An app-only token for `resource` (`<resource>/.default`). */
  async acquire(resource: string, forceRefresh: boolean, signal: AbortSignal): Promise<AcquiredToken> {
    throwIfAborted(signal);
    const correlationId = randomUUID();
    try {
      const result = await raceAbort(
        this.cca.acquireTokenByClientCredential({
          scopes: [defaultScopeFor(resource)],
          skipCache: forceRefresh,
          correlationId,
        }),
        signal,
      );
      return tokenOf(result);
    } catch (e) {
      if (e instanceof CancellationError) {
        throw e;
      }
      throw authErrorFromMsal(e, {
        serverError: this.network.serverErrorFor(correlationId),
        transportError: this.network.transportErrorFor(correlationId),
      });
    }
  }

  dispose(): void {
    this.network.dispose();
  }
}

/**
 * The `TokenProvider` of one account. Keeps the last token per resource in memory while it has more
 * than five minutes left (so each request need not open the secret store), shares one acquisition
 * among concurrent callers, and after `invalidate` never returns the rejected token again.
 */
export class MsalTokenProvider implements TokenProvider {
  private readonly tokens = new Map<string, AcquiredToken>();
  private readonly inFlight = new Map<string, Promise<AcquiredToken>>();
  private readonly rejected = new Map<string, string>();

  constructor(private readonly source: TokenSource) {}

  async getToken(resource: string, signal: AbortSignal): Promise<string> {
    throwIfAborted(signal);
    const key = normalizeResource(resource).toLowerCase();
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresOn - reuseMarginMs > Date.now()) {
      return cached.token;
    }
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.fetch(key, resource).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return (await raceAbort(pending, signal)).token;
  }

  invalidate(resource: string, token: string): void {
    const key = normalizeResource(resource).toLowerCase();
    this.rejected.set(key, token);
    if (this.tokens.get(key)?.token === token) {
      this.tokens.delete(key);
    }
  }

  /** Forget the tokens held in memory (e.g. after the account signed out). */
  clear(): void {
    this.tokens.clear();
    this.rejected.clear();
  }

  private async fetch(key: string, resource: string): Promise<AcquiredToken> {
    // Each acquisition runs to completion even if its first caller gives up; others may be waiting.
    const signal = new AbortController().signal;
    const rejected = this.rejected.get(key);
    let acquired = await this.source.acquire(resource, rejected !== undefined, signal);
    if (acquired.token === rejected) {
      acquired = await this.source.acquire(resource, true, signal);
    }
    this.rejected.delete(key);
    this.tokens.set(key, acquired);
    return acquired;
  }
}
