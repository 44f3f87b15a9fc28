/**
 * The undici dispatchers behind `HttpClient`: one keep-alive pool for direct connections, one per proxy,
 * and one-shot dispatchers for requests that must go on a connection of their own (a non-idempotent POST
 * such as RunDesktopFlow must never ride a reused keep-alive socket that the server may be closing).
 * Which proxy applies is `ProxyResolver`'s decision; loopback never goes through one.
 *
 * undici is loaded on the first request, not when the extension or CLI starts (it is the largest module
 * we ship; the extension bundle keeps it in a file of its own, dist/undici.js).
 */
import * as tls from 'node:tls';
import type * as UndiciModule from 'undici';
import type { Agent, Dispatcher, ProxyAgent } from 'undici';

type Undici = typeof UndiciModule;
let undici: Promise<Undici> | undefined;

/** undici, loaded once on first use. */
function loadUndici(): Promise<Undici> {
  // In the extension bundle, undici is a stand-in for dist/undici.js in a chunk of its own, and import() of
  // such a CommonJS chunk yields it as `default` (esbuild.config.mjs); from the sources, the module itself.
  undici ??= import('undici').then((m) => ('Agent' in m ? m : (m as unknown as { default: Undici }).default));
  return undici;
}
import type { Logger } from '../logger';
import type { ProxyResolver } from './proxySettings';
import { redactUrl } from './urlSafety';

/** Connection settings shared by every dispatcher of one client. */
export interface DispatcherSettings {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly maxConnectionsPerOrigin: number;
  readonly keepAliveTimeoutMs: number;
  /** Extra trusted CA certificate(s), PEM, added to the default roots. */
  readonly extraCaPem: readonly string[];
}

/** A dispatcher for one request, and what to do once its response has been read. */
export interface Lease {
  readonly dispatcher: Dispatcher;
  /** Whether the connection is closed after this request (`Connection: close`). */
  readonly fresh: boolean;
  release(): void;
}

/** Owns the connection pools of one `HttpClient`. */
export class DispatcherPool {
  private readonly ca: string[] | undefined;
  private directAgent: Dispatcher | undefined;
  private readonly proxyAgents = new Map<string, Dispatcher>();
  private readonly oneShots = new Set<Dispatcher>();

  constructor(
    private readonly settings: DispatcherSettings,
    private readonly proxy: ProxyResolver,
    private readonly logger: Logger,
    /** Replaces the built-in dispatchers (tests: undici `MockAgent` for faults a real server cannot produce). */
    private readonly injected: Dispatcher | undefined,
  ) {
    this.ca =
      settings.extraCaPem.length === 0 ? undefined : [...defaultCaCertificates(), ...settings.extraCaPem];
  }

  /**
   * The dispatcher for a request to `target`. With `fresh`, a dispatcher of its own that opens a new
   * connection and is closed once the response has been read.
   */
  async lease(target: URL, fresh: boolean): Promise<Lease> {
    if (this.injected !== undefined) {
      return { dispatcher: this.injected, fresh: false, release: () => undefined };
    }
    const { proxyUrl } = this.proxy.choose(target);
    const lib = await loadUndici();
    if (!fresh) {
      return { dispatcher: this.pooled(lib, proxyUrl), fresh: false, release: () => undefined };
    }
    const oneShot = this.create(lib, proxyUrl, 1);
    this.oneShots.add(oneShot);
    return {
      dispatcher: oneShot,
      fresh: true,
      release: () => {
        this.oneShots.delete(oneShot);
        oneShot.destroy().catch(() => undefined);
      },
    };
  }

  /** Close every pooled connection; requests in flight finish first. */
  async close(): Promise<void> {
    const agents: Dispatcher[] = [...this.proxyAgents.values(), ...this.oneShots];
    if (this.directAgent !== undefined) {
      agents.push(this.directAgent);
    }
    this.proxyAgents.clear();
    this.oneShots.clear();
    this.directAgent = undefined;
    await Promise.all(agents.map((a) => a.close()));
  }

  private pooled(lib: Undici, proxyUrl: string | undefined): Dispatcher {
    if (proxyUrl === undefined) {
      this.directAgent ??= this.create(lib, undefined, this.settings.maxConnectionsPerOrigin);
      return this.directAgent;
    }
    let agent = this.proxyAgents.get(proxyUrl);
    if (agent === undefined) {
      agent = this.create(lib, proxyUrl, this.settings.maxConnectionsPerOrigin);
      this.proxyAgents.set(proxyUrl, agent);
      this.logger.debug(`[http] using proxy ${redactUrl(proxyUrl)}`);
    }
    return agent;
  }

  private create(lib: Undici, proxyUrl: string | undefined, connections: number): Agent | ProxyAgent {
    const ca = this.ca === undefined ? {} : { ca: this.ca };
    const options: Agent.Options = {
      connections,
      keepAliveTimeout: this.settings.keepAliveTimeoutMs,
      headersTimeout: this.settings.headersTimeoutMs,
      bodyTimeout: this.settings.bodyTimeoutMs,
      connect: { timeout: this.settings.connectTimeoutMs, ...ca },
    };
    if (proxyUrl === undefined) {
      return new lib.Agent(options);
    }
    const tlsOptions = { timeout: this.settings.connectTimeoutMs, ...ca };
    return new lib.ProxyAgent({ ...options, uri: proxyUrl, requestTls: tlsOptions, proxyTls: tlsOptions });
  }
}

/** The CAs Node trusts by default (incl. `NODE_EXTRA_CA_CERTS` where the runtime can list them). */
function defaultCaCertificates(): string[] {
  const withList = tls as typeof tls & { getCACertificates?: (type?: string) => string[] };
  if (typeof withList.getCACertificates === 'function') {
    return withList.getCACertificates('default');
  }
  return [...tls.rootCertificates];
}
