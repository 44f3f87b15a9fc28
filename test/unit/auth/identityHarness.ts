/**
 * Shared set-up for the sign-in tests: a sandbox identity server over HTTPS (real TLS, its own CA), an
 * `AccountManager` over an in-memory secret store, a recording logger, and a "browser" that follows the
 * identity server's auto-submitting consent page to msal's loopback listener.
 */
import type { CloudEndpoints } from '../../../src/core/clouds';
import { sandboxCloud } from '../../../src/core/clouds';
import { HttpClient } from '../../../src/core/http/httpClient';
import type { Logger } from '../../../src/core/logger';
import { AccountManager } from '../../../src/core/auth/accountManager';
import type { AuthAccount } from '../../../src/core/auth/authAccount';
import type { AuthTarget } from '../../../src/core/auth/authTarget';
import { authTargetFor } from '../../../src/core/auth/authTarget';
import { MemorySecretStore } from '../../../src/core/auth/secretStore';
import { SandboxClock } from '../../../src/sandbox/clock';
import type { LocalTlsMaterial } from '../../../src/sandbox/identity/certificateAuthority';
import { createLocalTlsMaterial } from '../../../src/sandbox/identity/certificateAuthority';
import type { IdentityServer, IdentityServerOptions } from '../../../src/sandbox/identity/identityServer';
import { startIdentityServer } from '../../../src/sandbox/identity/identityServer';
import { TokenIssuer } from '../../../src/sandbox/tokens';

export const tenantId = '7e57a000-0000-4000-8000-00000000beef';

/** A logger that keeps every line, arguments included, so tests can search it for secrets. */
export class RecordingLogger implements Logger {
  readonly lines: string[] = [];

  trace(message: string, ...args: unknown[]): void {
    this.record('trace', message, args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.record('debug', message, args);
  }
  info(message: string, ...args: unknown[]): void {
    this.record('info', message, args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.record('warn', message, args);
  }
  error(message: string | Error, ...args: unknown[]): void {
    this.record(
      'error',
      message instanceof Error ? `${message.name}: ${message.message}\n${message.stack ?? ''}` : message,
      args,
    );
  }

  /** Everything logged, one string. */
  text(): string {
    return this.lines.join('\n');
  }

  private record(level: string, message: string, args: unknown[]): void {
    const rest = args.map((a) =>
      a instanceof Error ? `${a.message} ${a.stack ?? ''}` : typeof a === 'string' ? a : JSON.stringify(a),
    );
    this.lines.push([`${level} ${message}`, ...rest].join(' '));
  }
}

/** Resource identifiers the tests ask tokens for (any https URI without a trailing slash is registered). */
export const resources = {
  discovery: 'https://sandbox.example/discovery',
  powerApps: 'https://sandbox.example/powerapps',
  contoso: 'https://sandbox.example/org/contoso',
  fabrikam: 'https://sandbox.example/org/fabrikam',
} as const;

/** One test's world: identity server, manager and the target to sign in to. */
export interface IdentityHarness {
  readonly identity: IdentityServer;
  readonly clock: SandboxClock;
  readonly issuer: TokenIssuer;
  readonly secrets: MemorySecretStore;
  readonly logger: RecordingLogger;
  readonly manager: AccountManager;
  readonly cloud: CloudEndpoints;
  /** The sandbox user sign-in target: tenant, public client, CA pinned to the identity host. */
  readonly target: AuthTarget;
  /** A second manager on the same secret store (a restarted extension host). */
  newManager(): AccountManager;
  /** Stop the server and dispose every manager. */
  close(): Promise<void>;
}

/**
 * Key material is the slow part of a start (an RSA signing key, a CA and a server certificate), so the
 * tests of one run share it; each test still gets its own identity server, grants and secret store. The
 * shared clock only ever moves forward, which no test minds.
 */
let shared: Promise<{ clock: SandboxClock; issuer: TokenIssuer; tls: LocalTlsMaterial }> | undefined;

function sharedKeys(): Promise<{ clock: SandboxClock; issuer: TokenIssuer; tls: LocalTlsMaterial }> {
  shared ??= (async () => {
    const clock = new SandboxClock();
    return { clock, issuer: new TokenIssuer({ clock, tenantId }), tls: await createLocalTlsMaterial() };
  })();
  return shared;
}

/** Start an identity server and a manager. */
export async function startIdentityHarness(
  options: Partial<Omit<IdentityServerOptions, 'issuer' | 'clock' | 'tenantId'>> = {},
): Promise<IdentityHarness> {
  const { clock, issuer, tls } = await sharedKeys();
  const logger = new RecordingLogger();
  const identity = await startIdentityServer({ issuer, clock, tenantId, logger, tls, ...options });
  const cloud = sandboxCloud({
    baseUrl: 'https://sandbox.example',
    discoveryUrl: resources.discovery,
    bapUrl: 'https://sandbox.example/bap',
    powerAppsUrl: resources.powerApps,
    identityUrl: identity.url,
    portalUrl: 'https://sandbox.example/portal',
  });
  const target = authTargetFor(cloud, {
    tenantId,
    clientId: identity.publicClientId,
    authorityCa: identity.ca,
  });
  const secrets = new MemorySecretStore();
  const managers: AccountManager[] = [];
  const newManager = (): AccountManager => {
    const m = new AccountManager({ secrets, logger, proxy: { env: {} } });
    managers.push(m);
    return m;
  };
  const manager = newManager();
  return {
    identity,
    clock,
    issuer,
    secrets,
    logger,
    manager,
    cloud,
    target,
    newManager,
    close: async () => {
      await Promise.all(managers.map((m) => m.dispose()));
      await identity.stop();
    },
  };
}

/** What the test browser did. */
export interface BrowserVisit {
  readonly authorizeUrl: URL;
  /** Status of the authorize page. */
  readonly pageStatus: number;
  /** What msal's loopback listener answered to the form post, when the page had one. */
  readonly loopbackStatus: number | undefined;
  readonly loopbackBody: string | undefined;
}

/**
 * A "system browser" for msal's `openBrowser`: GETs the authorize URL over HTTPS (trusting the sandbox CA),
 * finds the form the page's script submits (`response`, or `cancel` when declining) and posts it to its
 * action, msal's loopback redirect URI, as a browser running the page's script would.
 */
export function formPostBrowser(
  ca: string,
  choice: 'approve' | 'cancel' = 'approve',
): {
  readonly open: (url: string, signal: AbortSignal) => Promise<void>;
  readonly visits: BrowserVisit[];
  readonly close: () => Promise<void>;
} {
  const http = new HttpClient({ extraCaPem: ca, proxy: { env: {} }, maxAttempts: 1 });
  const visits: BrowserVisit[] = [];
  return {
    visits,
    close: () => http.close(),
    open: async (url: string, signal: AbortSignal): Promise<void> => {
      const page = await http.request<string>(url, { responseType: 'text', acceptErrorStatus: true, signal });
      const form = findForm(page.body, choice === 'approve' ? 'response' : 'cancel');
      if (form === undefined) {
        visits.push({
          authorizeUrl: new URL(url),
          pageStatus: page.status,
          loopbackStatus: undefined,
          loopbackBody: undefined,
        });
        return;
      }
      const posted = await http.request<string>(form.action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        rawBody: new URLSearchParams(form.fields).toString(),
        responseType: 'text',
        acceptErrorStatus: true,
        signal,
      });
      visits.push({
        authorizeUrl: new URL(url),
        pageStatus: page.status,
        loopbackStatus: posted.status,
        loopbackBody: posted.body,
      });
    },
  };
}

/** The action and hidden fields of the form with `id` in an HTML page. */
export function findForm(
  html: string,
  id: string,
): { action: string; fields: Record<string, string> } | undefined {
  const form = new RegExp(`<form id="${id}" method="post" action="([^"]*)">([\\s\\S]*?)</form>`).exec(html);
  if (form?.[1] === undefined || form[2] === undefined) {
    return undefined;
  }
  const fields: Record<string, string> = {};
  for (const m of form[2].matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[unescapeHtml(m[1] ?? '')] = unescapeHtml(m[2] ?? '');
  }
  return { action: unescapeHtml(form[1]), fields };
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** A signal that never aborts, for calls the test lets finish. */
export function noAbort(): AbortSignal {
  return new AbortController().signal;
}

/** Sign a user in with a device code the test approves at once (as `username`, default the first user). */
export function signInUser(h: IdentityHarness, username?: string, resource?: string): Promise<AuthAccount> {
  return h.manager.signInWithDeviceCode(
    h.target,
    {
      ...(resource === undefined ? {} : { resource }),
      showCode: (info) => {
        if (!h.identity.approveDeviceCode(info.userCode, username)) {
          throw new Error(`the sandbox did not accept device code ${info.userCode}`);
        }
      },
    },
    noAbort(),
  );
}
