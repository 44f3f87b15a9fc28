/**
 * Where a command connects and as whom, set up on first use and torn down after the command: the cloud
 * (`--cloud`, or a sandbox's endpoint table from `--sandbox`), the credentials (`DESKTOPFLOWS_TOKEN`, a
 * service principal, or a device-code sign-in), one `ServiceSession`, and the environment (`--env`).
 * Tokens and credentials stay in memory (`MemorySecretStore`); nothing is written to disk.
 */
import { AccountManager } from '../core/auth/accountManager';
import type { AuthTarget } from '../core/auth/authTarget';
import { authTargetFor } from '../core/auth/authTarget';
import { fetchSandboxSignIn, type SandboxSignIn } from '../core/auth/sandboxSignIn';
import { MemorySecretStore } from '../core/auth/secretStore';
import type { ServicePrincipalCredential } from '../core/auth/msalTokenProvider';
import type { TokenProvider } from '../core/auth/tokenProvider';
import {
  cloudNames,
  clouds,
  sandboxCloud,
  type CloudEndpoints,
  type SandboxDescription,
} from '../core/clouds';
import { HttpClient } from '../core/http/httpClient';
import type { ProxyOptions } from '../core/http/proxySettings';
import { isLoopbackHost, trimTrailingSlashes } from '../core/http/urlSafety';
import type { Logger } from '../core/logger';
import { ServiceSession } from '../core/serviceSession';
import { secretMasker } from '../core/util/secretMasker';
import type { CliValues } from './cliCommand';
import { stringValue, flagValue } from './cliCommand';
import { readCertificateFile } from './certificateFile';
import { CliError, exitCodes, usageError } from './cliErrors';
import type { CliIo, CliOutput } from './cliIo';
import { isUrlKey, orgUrlFrom, resolveEnvironment, type CliEnvironment } from './environmentLookup';
import { StaticTokenProvider } from './staticTokenProvider';

/** The connection and sign-in settings of one invocation (flags, else environment variables). */
export interface ConnectionSettings {
  /** `--env`. */
  readonly env: string | undefined;
  /** `DESKTOPFLOWS_ENV`: used when neither `--env` nor the command (an input file's `$schema`) names one. */
  readonly defaultEnv: string | undefined;
  readonly cloud: string | undefined;
  readonly sandboxUrl: string | undefined;
  readonly tenant: string | undefined;
  readonly clientId: string | undefined;
  readonly certificateFile: string | undefined;
  readonly clientSecret: string | undefined;
  readonly token: string | undefined;
  readonly deviceCode: boolean;
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** Reads the settings from parsed flags and the environment variables they default to. */
export function connectionSettings(
  values: CliValues,
  env: Readonly<Record<string, string | undefined>>,
): ConnectionSettings {
  return {
    env: nonEmpty(stringValue(values, 'env')),
    defaultEnv: nonEmpty(env.DESKTOPFLOWS_ENV),
    cloud: nonEmpty(stringValue(values, 'cloud')) ?? nonEmpty(env.DESKTOPFLOWS_CLOUD),
    sandboxUrl: nonEmpty(stringValue(values, 'sandbox')) ?? nonEmpty(env.DESKTOPFLOWS_SANDBOX_URL),
    tenant: nonEmpty(stringValue(values, 'tenant')) ?? nonEmpty(env.DESKTOPFLOWS_TENANT),
    clientId: nonEmpty(stringValue(values, 'client-id')) ?? nonEmpty(env.DESKTOPFLOWS_CLIENT_ID),
    certificateFile: nonEmpty(stringValue(values, 'certificate')),
    clientSecret: nonEmpty(env.DESKTOPFLOWS_CLIENT_SECRET),
    token: nonEmpty(env.DESKTOPFLOWS_TOKEN),
    deviceCode: flagValue(values, 'device-code'),
  };
}

/** The cloud a command talks to. */
export interface CliCloud {
  readonly endpoints: CloudEndpoints;
  /** The sandbox's base URL, for `--sandbox`. */
  readonly sandboxUrl: string | undefined;
  /** True when the services are on this machine (a sandbox, or an org URL, on a loopback address). */
  readonly loopback: boolean;
}

/** Checks a `--sandbox` URL: http(s), and plain http only to a loopback address. */
export function sandboxBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`--sandbox "${value}" is not a URL. \`desktop-flows sandbox\` prints the URL to use.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`--sandbox "${value}" must be an http:// or https:// URL.`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw usageError(
      `--sandbox "${value}" uses plain http to a host that is not this machine; plain http is allowed for loopback addresses only.`,
    );
  }
  return trimTrailingSlashes(`${url.origin}${url.pathname}`);
}

function cloudByName(name: string): (typeof cloudNames)[number] {
  const found = cloudNames.find((c) => c.toLowerCase() === name.toLowerCase());
  if (found === undefined) {
    throw usageError(
      `--cloud "${name}" is not a cloud: use Public, GCC, GCCHigh, DoD or China (or --sandbox <url>).`,
    );
  }
  return found;
}

function parseDescription(raw: unknown, url: string): SandboxDescription {
  const r = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const field = (key: keyof SandboxDescription): string => {
    const v = r[key];
    if (typeof v !== 'string' || v === '') {
      throw new CliError(
        exitCodes.service,
        `${url} does not describe a sandbox (GET /_sandbox has no ${key}).`,
      );
    }
    return v;
  };
  return {
    baseUrl: field('baseUrl'),
    discoveryUrl: field('discoveryUrl'),
    bapUrl: field('bapUrl'),
    powerAppsUrl: field('powerAppsUrl'),
    identityUrl: field('identityUrl'),
    portalUrl: field('portalUrl'),
  };
}

/** Lazily connects one CLI invocation; call `dispose` when the command is done. */
export class CliConnection {
  private readonly proxy: ProxyOptions;
  private cloudPromise: Promise<CliCloud> | undefined;
  private sandboxSignInPromise: Promise<SandboxSignIn> | undefined;
  private sessionPromise: Promise<ServiceSession> | undefined;
  private environmentPromise: Promise<CliEnvironment> | undefined;
  private manager: AccountManager | undefined;
  private readonly clients: HttpClient[] = [];

  constructor(
    private readonly io: CliIo,
    readonly settings: ConnectionSettings,
    private readonly logger: Logger,
    private readonly out: CliOutput,
  ) {
    this.proxy = { env: io.env };
  }

  /** The cloud: `--sandbox` (its `/_sandbox` description) or `--cloud`. */
  cloud(signal: AbortSignal): Promise<CliCloud> {
    this.cloudPromise ??= this.loadCloud(signal);
    return this.cloudPromise;
  }

  /** The service session, signed in. */
  session(signal: AbortSignal): Promise<ServiceSession> {
    this.sessionPromise ??= this.connect(signal);
    return this.sessionPromise;
  }

  /**
   * The environment of `--env`, else `named` (e.g. the one an input file's `$schema` names), else
   * `DESKTOPFLOWS_ENV`; a usage error when there is none.
   */
  environment(signal: AbortSignal, named?: string): Promise<CliEnvironment> {
    const key = this.settings.env ?? named ?? this.settings.defaultEnv;
    if (key === undefined) {
      return Promise.reject(
        usageError(
          'No environment: pass --env <org URL, id or name> or set DESKTOPFLOWS_ENV (`desktop-flows envs` lists them).',
        ),
      );
    }
    this.environmentPromise ??= this.session(signal).then((s) =>
      resolveEnvironment(s, key, signal, this.logger),
    );
    return this.environmentPromise;
  }

  /** Releases connection pools and sign-in clients. */
  async dispose(): Promise<void> {
    const session = this.sessionPromise;
    this.sessionPromise = undefined;
    await Promise.allSettled([
      session?.then((s) => s.dispose()),
      this.manager?.dispose(),
      ...this.clients.map((c) => c.close()),
    ]);
  }

  private async loadCloud(signal: AbortSignal): Promise<CliCloud> {
    const { sandboxUrl, cloud } = this.settings;
    const name = cloud === undefined ? undefined : cloudByName(cloud);
    if (sandboxUrl === undefined) {
      if (name === 'Sandbox') {
        throw usageError('--cloud Sandbox needs --sandbox <url> (`desktop-flows sandbox` starts one).');
      }
      // An org URL on this machine (a local stand-in for the service) counts as loopback too.
      return { endpoints: clouds[name ?? 'Public'], sandboxUrl: undefined, loopback: this.loopbackOrgUrl() };
    }
    if (name !== undefined && name !== 'Sandbox') {
      throw usageError(`--sandbox and --cloud ${name} contradict each other: give one of them.`);
    }
    const base = sandboxBaseUrl(sandboxUrl);
    const loopback = isLoopbackHost(new URL(base).hostname);
    if (this.settings.token !== undefined) {
      // A ready token needs no identity endpoint: the description alone gives the endpoint table.
      const raw = await this.anonymous().get<unknown>(`${base}/_sandbox`, { signal });
      return { endpoints: sandboxCloud(parseDescription(raw, base)), sandboxUrl: base, loopback };
    }
    const signIn = await this.sandboxSignIn(base, signal);
    return { endpoints: signIn.cloud, sandboxUrl: base, loopback };
  }

  /** True when the environment is given as an org URL on a loopback address. */
  private loopbackOrgUrl(): boolean {
    const key = this.settings.env ?? this.settings.defaultEnv;
    if (key === undefined || !isUrlKey(key)) {
      return false;
    }
    try {
      return isLoopbackHost(new URL(orgUrlFrom(key)).hostname);
    } catch {
      return false;
    }
  }

  private sandboxSignIn(base: string, signal: AbortSignal): Promise<SandboxSignIn> {
    this.sandboxSignInPromise ??= fetchSandboxSignIn(this.anonymous(), base, signal);
    return this.sandboxSignInPromise;
  }

  private anonymous(): HttpClient {
    const client = new HttpClient({ logger: this.logger, proxy: this.proxy });
    this.clients.push(client);
    return client;
  }

  private async connect(signal: AbortSignal): Promise<ServiceSession> {
    const cloud = await this.cloud(signal);
    const tokens = await this.tokens(cloud, signal);
    return new ServiceSession({ cloud: cloud.endpoints, tokens, logger: this.logger, proxy: this.proxy });
  }

  private async authTarget(
    cloud: CliCloud,
    options: { tenantId?: string; clientId?: string },
    signal: AbortSignal,
  ): Promise<AuthTarget> {
    if (cloud.sandboxUrl === undefined) {
      return authTargetFor(cloud.endpoints, options);
    }
    const sandbox = await this.sandboxSignIn(cloud.sandboxUrl, signal);
    const tenantId = options.tenantId ?? sandbox.description.tenantId;
    const clientId = options.clientId ?? sandbox.description.clientId;
    return authTargetFor(sandbox.cloud, {
      ...(tenantId === undefined ? {} : { tenantId }),
      ...(clientId === undefined ? {} : { clientId }),
      ...(sandbox.target.authorityCa === undefined ? {} : { authorityCa: sandbox.target.authorityCa }),
    });
  }

  private accountManager(): AccountManager {
    this.manager ??= new AccountManager({
      secrets: new MemorySecretStore(),
      logger: this.logger,
      proxy: this.proxy,
    });
    return this.manager;
  }

  private async tokens(cloud: CliCloud, signal: AbortSignal): Promise<TokenProvider> {
    const { token, clientId, clientSecret, certificateFile, tenant } = this.settings;
    if (token !== undefined) {
      this.logger.debug('[cli] using the access token from DESKTOPFLOWS_TOKEN');
      return new StaticTokenProvider(token);
    }
    secretMasker.add(clientSecret);
    if (clientSecret !== undefined && certificateFile !== undefined) {
      throw usageError('Give either DESKTOPFLOWS_CLIENT_SECRET or --certificate, not both.');
    }
    const manager = this.accountManager();
    if (clientSecret !== undefined || certificateFile !== undefined) {
      if (clientId === undefined) {
        throw usageError(
          'A client secret or certificate needs the application id: pass --client-id (or set DESKTOPFLOWS_CLIENT_ID).',
        );
      }
      const credential: ServicePrincipalCredential =
        clientSecret !== undefined
          ? { kind: 'secret', clientSecret }
          : { kind: 'certificate', ...(await readCertificateFile(certificateFile ?? '')) };
      if (credential.kind === 'certificate') {
        secretMasker.add(credential.privateKeyPem);
      }
      const target = await this.authTarget(
        cloud,
        { ...(tenant === undefined ? {} : { tenantId: tenant }), clientId },
        signal,
      );
      if (['organizations', 'common', 'consumers'].includes(target.tenantId.toLowerCase())) {
        throw usageError('A service principal signs in to one tenant: pass --tenant <tenant id or domain>.');
      }
      const account = await manager.addServicePrincipal(target, credential, signal);
      this.logger.info(`[cli] signed in as service principal ${account.username}`);
      return manager.tokenProvider(account);
    }
    // A sandbox approves device codes by itself, so a pipeline needs no flag to sign in to it.
    const interactive =
      this.io.stdin?.isTTY === true || this.settings.deviceCode || cloud.sandboxUrl !== undefined;
    if (!interactive) {
      throw new CliError(
        exitCodes.auth,
        'Not signed in, and this is not an interactive terminal. Set DESKTOPFLOWS_TOKEN, or --client-id with DESKTOPFLOWS_CLIENT_SECRET or --certificate (and --tenant), or pass --device-code to sign in with a device code.',
      );
    }
    const target = await this.authTarget(
      cloud,
      {
        ...(tenant === undefined ? {} : { tenantId: tenant }),
        ...(clientId === undefined ? {} : { clientId }),
      },
      signal,
    );
    const account = await manager.signInWithDeviceCode(
      target,
      { showCode: (info) => this.out.note(info.message) },
      signal,
    );
    this.out.note(`Signed in as ${account.username}.`);
    return manager.tokenProvider(account);
  }
}
