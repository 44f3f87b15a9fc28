/**
 * Several signed-in accounts at once: users (browser or device code) and service principals (client
 * secret or certificate), in any cloud including the sandbox. The manager keeps the account list and
 * service-principal credentials in the `SecretStore` (never settings, files or logs), hands out a
 * `TokenProvider` per account, and signs accounts out (removing their tokens and credentials).
 */
import { cloudNames } from '../clouds';
import { HttpClient } from '../http/httpClient';
import type { ProxyOptions } from '../http/proxySettings';
import { silentLogger, type Logger } from '../logger';
import { throwIfAborted } from '../util/abort';
import { Emitter } from '../util/events';
import { secretMasker } from '../util/secretMasker';
import type { AuthAccount } from './authAccount';
import { accountIdOf } from './authAccount';
import type { AuthTarget } from './authTarget';
import {
  msalCacheKey,
  MsalServicePrincipalClient,
  MsalTokenProvider,
  MsalUserClient,
} from './msalTokenProvider';
import type {
  AcquiredToken,
  DeviceCodeSignInOptions,
  InteractiveSignInOptions,
  MsalUser,
  ServicePrincipalCredential,
  TokenSource,
} from './msalTokenProvider';
import { authError } from './msalErrorMapping';
import type { SecretStore } from './secretStore';

/** Options of `AccountManager`. */
export interface AccountManagerOptions {
  readonly secrets: SecretStore;
  readonly logger?: Logger;
  /** Proxy for sign-in traffic (VS Code's `http.proxy`/`http.noProxy` as plain values, plus the environment). */
  readonly proxy?: ProxyOptions;
  /**
   * Builds the HTTP client msal's calls go through for a target. Default: an `HttpClient` with the proxy
   * settings and, for the sandbox, its CA as the one extra trusted certificate.
   */
  readonly createHttpClient?: (target: AuthTarget) => HttpClient;
}

/** The secret-store key of the account list. */
export const accountListKey = 'desktopFlows.auth.accounts';

/** The secret-store key of a service principal's credential. */
export function servicePrincipalCredentialKey(accountId: string): string {
  return `desktopFlows.auth.credential.${accountId}`;
}

interface StoredAccounts {
  readonly version: 1;
  readonly accounts: AuthAccount[];
}

/** Manages the signed-in accounts. One instance per extension host (or CLI run). */
export class AccountManager {
  private readonly secrets: SecretStore;
  private readonly logger: Logger;
  private readonly createHttpClient: (target: AuthTarget) => HttpClient;
  private readonly httpClients = new Map<string, HttpClient>();
  private readonly userClients = new Map<string, MsalUserClient>();
  private readonly spClients = new Map<string, MsalServicePrincipalClient>();
  private readonly providers = new Map<string, MsalTokenProvider>();
  private readonly changed = new Emitter<readonly AuthAccount[]>();
  /** Serialises updates of the stored account list within this process. */
  private writes: Promise<unknown> = Promise.resolve();

  /** Fires with the new list after an account is added or signed out. */
  readonly onDidChangeAccounts = this.changed.event;

  constructor(options: AccountManagerOptions) {
    this.secrets = options.secrets;
    this.logger = options.logger ?? silentLogger;
    this.createHttpClient =
      options.createHttpClient ??
      ((target) =>
        new HttpClient({
          logger: this.logger,
          ...(options.proxy === undefined ? {} : { proxy: options.proxy }),
          ...(target.authorityCa === undefined ? {} : { extraCaPem: target.authorityCa }),
        }));
  }

  /** Every signed-in account, users and service principals, in sign-in order. */
  async listAccounts(signal: AbortSignal): Promise<AuthAccount[]> {
    throwIfAborted(signal);
    return [...(await this.readAccounts())];
  }

  /** Sign a user in through the system browser (loopback redirect + PKCE). */
  async signInInteractive(
    target: AuthTarget,
    options: InteractiveSignInOptions,
    signal: AbortSignal,
  ): Promise<AuthAccount> {
    const user = await this.userClient(target).signInInteractive(target.tenantId, options, signal);
    return this.rememberUser(target, user);
  }

  /** Sign a user in with a device code (remote, SSH and Codespaces windows). */
  async signInWithDeviceCode(
    target: AuthTarget,
    options: DeviceCodeSignInOptions,
    signal: AbortSignal,
  ): Promise<AuthAccount> {
    const user = await this.userClient(target).signInWithDeviceCode(target.tenantId, options, signal);
    return this.rememberUser(target, user);
  }

  /**
   * Add a service principal. The credential is checked by getting a token for `verifyResource` (default
   * the target's sign-in resource), so a wrong secret fails here with `AuthError` `invalidClient`; then
   * it is kept in the secret store.
   */
  async addServicePrincipal(
    target: AuthTarget,
    credential: ServicePrincipalCredential,
    signal: AbortSignal,
    verifyResource: string | undefined = target.signInResource,
  ): Promise<AuthAccount> {
    if (verifyResource === undefined) {
      throw new RangeError('addServicePrincipal needs a resource to verify the credential with');
    }
    const client = new MsalServicePrincipalClient(target, credential, {
      http: this.httpFor(target),
      logger: this.logger,
    });
    try {
      await client.acquire(verifyResource, false, signal);
    } catch (e) {
      client.dispose();
      throw e;
    }
    const homeAccountId = `${target.clientId}.${target.tenantId}`.toLowerCase();
    const account: AuthAccount = {
      id: accountIdOf('servicePrincipal', target, homeAccountId),
      homeAccountId,
      username: target.clientId,
      name: undefined,
      tenantId: target.tenantId,
      cloud: target.cloud,
      kind: 'servicePrincipal',
      credentialKind: credential.kind,
      target,
    };
    await this.secrets.store(servicePrincipalCredentialKey(account.id), JSON.stringify(credential));
    this.spClients.get(account.id)?.dispose();
    this.spClients.set(account.id, client);
    this.providers.get(account.id)?.clear();
    await this.upsert(account);
    this.logger.info(
      `[auth] added service principal ${target.clientId} (tenant ${target.tenantId}, ${credential.kind})`,
    );
    return account;
  }

  /** Add a service principal that authenticates with a client secret. */
  addClientSecret(
    target: AuthTarget,
    clientSecret: string,
    signal: AbortSignal,
    verifyResource?: string,
  ): Promise<AuthAccount> {
    return this.addServicePrincipal(
      target,
      { kind: 'secret', clientSecret },
      signal,
      verifyResource ?? target.signInResource,
    );
  }

  /** Add a service principal that authenticates with a certificate (PEM certificate and private key). */
  addCertificate(
    target: AuthTarget,
    certificate: { certificatePem: string; privateKeyPem: string },
    signal: AbortSignal,
    verifyResource?: string,
  ): Promise<AuthAccount> {
    return this.addServicePrincipal(
      target,
      { kind: 'certificate', ...certificate },
      signal,
      verifyResource ?? target.signInResource,
    );
  }

  /** The token provider of an account (the same instance for the same account). */
  tokenProvider(account: AuthAccount): MsalTokenProvider {
    let provider = this.providers.get(account.id);
    if (provider === undefined) {
      const source =
        account.kind === 'user'
          ? this.userClient(account.target).sourceFor(account.homeAccountId)
          : this.servicePrincipalSource(account);
      provider = new MsalTokenProvider(source);
      this.providers.set(account.id, provider);
    }
    return provider;
  }

  /** Sign an account out: its tokens (and a service principal's credential) are removed. */
  async signOut(accountId: string, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const account = (await this.readAccounts()).find((a) => a.id === accountId);
    if (account === undefined) {
      return;
    }
    if (account.kind === 'user') {
      await this.userClient(account.target).signOut(account.homeAccountId);
    } else {
      await this.secrets.delete(servicePrincipalCredentialKey(account.id));
      this.spClients.get(account.id)?.dispose();
      this.spClients.delete(account.id);
    }
    this.providers.get(account.id)?.clear();
    this.providers.delete(account.id);
    await this.update((accounts) => accounts.filter((a) => a.id !== accountId));
    this.logger.info(`[auth] signed out ${account.username}`);
  }

  /** Release msal clients and connection pools. */
  async dispose(): Promise<void> {
    for (const c of this.userClients.values()) {
      c.dispose();
    }
    for (const c of this.spClients.values()) {
      c.dispose();
    }
    this.userClients.clear();
    this.spClients.clear();
    this.providers.clear();
    this.changed.dispose();
    await Promise.all([...this.httpClients.values()].map((h) => h.close()));
    this.httpClients.clear();
  }

  private async rememberUser(target: AuthTarget, user: MsalUser): Promise<AuthAccount> {
    const account: AuthAccount = {
      id: accountIdOf('user', target, user.homeAccountId),
      homeAccountId: user.homeAccountId,
      username: user.username,
      name: user.name,
      tenantId: user.tenantId,
      cloud: target.cloud,
      kind: 'user',
      credentialKind: undefined,
      target,
    };
    // A fresh sign-in (e.g. after consent) must not be shadowed by tokens held from before.
    this.providers.get(account.id)?.clear();
    await this.upsert(account);
    return account;
  }

  private userClient(target: AuthTarget): MsalUserClient {
    const key = msalCacheKey(target);
    let client = this.userClients.get(key);
    if (client === undefined) {
      client = new MsalUserClient(target, this.secrets, { http: this.httpFor(target), logger: this.logger });
      this.userClients.set(key, client);
    }
    return client;
  }

  /** A service principal's token source; its credential is read from the secret store on first use. */
  private servicePrincipalSource(account: AuthAccount): TokenSource {
    return {
      acquire: async (
        resource: string,
        forceRefresh: boolean,
        signal: AbortSignal,
      ): Promise<AcquiredToken> => {
        let client = this.spClients.get(account.id);
        if (client === undefined) {
          const stored = await this.secrets.get(servicePrincipalCredentialKey(account.id));
          const credential = stored === undefined ? undefined : parseCredential(stored);
          if (credential === undefined) {
            throw authError('noAccount');
          }
          client = new MsalServicePrincipalClient(account.target, credential, {
            http: this.httpFor(account.target),
            logger: this.logger,
          });
          this.spClients.set(account.id, client);
        }
        return client.acquire(resource, forceRefresh, signal);
      },
    };
  }

  private httpFor(target: AuthTarget): HttpClient {
    const key = target.authorityCa ?? '';
    let http = this.httpClients.get(key);
    if (http === undefined) {
      http = this.createHttpClient(target);
      this.httpClients.set(key, http);
    }
    return http;
  }

  private async readAccounts(): Promise<AuthAccount[]> {
    const raw = await this.secrets.get(accountListKey);
    if (raw === undefined || raw === '') {
      return [];
    }
    try {
      const parsed = JSON.parse(raw) as Partial<StoredAccounts>;
      return Array.isArray(parsed.accounts) ? parsed.accounts.filter(isAccount) : [];
    } catch {
      this.logger.warn('[auth] the stored account list is unreadable; starting with no accounts');
      return [];
    }
  }

  private upsert(account: AuthAccount): Promise<void> {
    return this.update((accounts) => [...accounts.filter((a) => a.id !== account.id), account]);
  }

  private update(change: (accounts: AuthAccount[]) => AuthAccount[]): Promise<void> {
    const next = this.writes.then(async () => {
      const accounts = change(await this.readAccounts());
      if (accounts.length === 0) {
        await this.secrets.delete(accountListKey);
      } else {
        const stored: StoredAccounts = { version: 1, accounts };
        await this.secrets.store(accountListKey, JSON.stringify(stored));
      }
      this.changed.fire(accounts);
    });
    this.writes = next.catch(() => undefined);
    return next;
  }
}

function parseCredential(raw: string): ServicePrincipalCredential | undefined {
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    if (v.kind === 'secret' && typeof v.clientSecret === 'string') {
      secretMasker.add(v.clientSecret);
      return { kind: 'secret', clientSecret: v.clientSecret };
    }
    if (
      v.kind === 'certificate' &&
      typeof v.certificatePem === 'string' &&
      typeof v.privateKeyPem === 'string'
    ) {
      secretMasker.add(v.privateKeyPem);
      return { kind: 'certificate', certificatePem: v.certificatePem, privateKeyPem: v.privateKeyPem };
    }
  } catch {
    // An unreadable credential is treated as missing.
  }
  return undefined;
}

function isAccount(v: unknown): v is AuthAccount {
  if (typeof v !== 'object' || v === null) {
    return false;
  }
  const a = v as Partial<AuthAccount>;
  return (
    typeof a.id === 'string' &&
    typeof a.homeAccountId === 'string' &&
    typeof a.username === 'string' &&
    (a.kind === 'user' || a.kind === 'servicePrincipal') &&
    typeof a.cloud === 'string' &&
    cloudNames.includes(a.cloud) &&
    typeof a.target === 'object' &&
    a.target !== null
  );
}
