/**
 * Which proxy a request goes through. VS Code's own proxy support patches Node's `http`/`https` modules
 * and does not reach `undici`, so the client resolves the proxy itself from an explicit setting (VS Code's
 * `http.proxy` / `http.noProxy`, passed in by the UI layer as plain values) and from the conventional
 * environment variables (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, any case).
 *
 * Loopback (`localhost`, 127.0.0.0/8, ::1) never goes through a proxy, whatever the settings say: a proxy
 * would see plain-http traffic to the sandbox, bearer tokens included, and could not reach this machine's
 * loopback anyway. As in Chromium, a `<-loopback>` entry in the bypass list turns this off.
 */
import { isIP } from 'node:net';
import { isLoopbackHost } from './urlSafety';

/** Proxy configuration as plain values; nothing here reads VS Code settings. */
export interface ProxyOptions {
  /** An explicit proxy URL (VS Code's `http.proxy`). Wins over the environment; empty means "not set". */
  readonly url?: string;
  /**
   * Hosts that bypass the proxy (VS Code's `http.noProxy`, or a `NO_PROXY`-style comma list). Added to the
   * environment's `NO_PROXY`.
   */
  readonly noProxy?: readonly string[] | string;
  /** Where `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` are read from. Defaults to `process.env`; `{}` ignores it. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The proxy decision for one request. */
export interface ProxyChoice {
  /** Proxy URL to tunnel through, or `undefined` to connect directly. */
  readonly proxyUrl: string | undefined;
}

interface NoProxyEntry {
  readonly kind: 'all' | 'host' | 'suffix' | 'cidr4' | 'local';
  readonly value: string;
  readonly port: number | undefined;
  readonly bits?: number;
}

function readEnv(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function parseEntry(raw: string): NoProxyEntry | undefined {
  let entry = raw.trim().toLowerCase();
  if (entry === '') {
    return undefined;
  }
  if (entry === '*') {
    return { kind: 'all', value: '*', port: undefined };
  }
  if (entry === '<-loopback>') {
    return undefined;
  }
  if (entry === '<local>') {
    return { kind: 'local', value: entry, port: undefined };
  }
  entry = entry.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(entry);
  if (cidr?.[1] !== undefined && cidr[2] !== undefined) {
    return { kind: 'cidr4', value: cidr[1], port: undefined, bits: Number(cidr[2]) };
  }
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed?.[1] !== undefined) {
    entry = bracketed[1];
    port = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
  } else if (isIP(entry) !== 6) {
    const withPort = /^(.*):(\d+)$/.exec(entry);
    if (withPort?.[1] !== undefined && withPort[2] !== undefined) {
      entry = withPort[1];
      port = Number(withPort[2]);
    }
  }
  if (entry.startsWith('*.')) {
    return { kind: 'suffix', value: entry.slice(1), port };
  }
  if (entry.startsWith('.')) {
    return { kind: 'suffix', value: entry, port };
  }
  return { kind: 'host', value: entry, port };
}

function defaultPort(url: URL): number {
  if (url.port !== '') {
    return Number(url.port);
  }
  return url.protocol === 'https:' ? 443 : 80;
}

/** A parsed `NO_PROXY` list: `*`, host names (which also cover their sub-domains), `.suffix`, `*.suffix`, `host:port`, IPv4 CIDR, IPv6 and `<local>`. */
export class NoProxyList {
  private readonly entries: readonly NoProxyEntry[];

  constructor(list: readonly string[] | string) {
    const items = typeof list === 'string' ? list.split(/[,\s;]+/) : list.flatMap((s) => s.split(/[,\s;]+/));
    this.entries = items.map(parseEntry).filter((e): e is NoProxyEntry => e !== undefined);
  }

  /** True when a request to `url` must bypass the proxy. */
  matches(url: URL): boolean {
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    const port = defaultPort(url);
    return this.entries.some((e) => {
      if (e.port !== undefined && e.port !== port) {
        return false;
      }
      switch (e.kind) {
        case 'all':
          return true;
        case 'local':
          return !host.includes('.') && isIP(host) === 0;
        case 'host':
          return host === e.value || host.endsWith(`.${e.value}`);
        case 'suffix':
          return host.endsWith(e.value) || host === e.value.slice(1);
        case 'cidr4': {
          if (isIP(host) !== 4 || e.bits === undefined) {
            return false;
          }
          const mask = e.bits === 0 ? 0 : (~0 << (32 - e.bits)) >>> 0;
          return (ipv4ToNumber(host) & mask) >>> 0 === (ipv4ToNumber(e.value) & mask) >>> 0;
        }
      }
    });
  }
}

/** Resolves proxy options once; `choose` then answers per request URL. */
export class ProxyResolver {
  private readonly httpProxy: string | undefined;
  private readonly httpsProxy: string | undefined;
  private readonly bypass: NoProxyList;
  private readonly proxyLoopback: boolean;

  constructor(options: ProxyOptions = {}) {
    const env = options.env ?? process.env;
    const explicit = options.url?.trim() === '' ? undefined : options.url?.trim();
    this.httpsProxy = explicit ?? readEnv(env, 'https_proxy') ?? readEnv(env, 'http_proxy');
    this.httpProxy = explicit ?? readEnv(env, 'http_proxy');
    const noProxy = [readEnv(env, 'no_proxy') ?? ''];
    if (options.noProxy !== undefined) {
      noProxy.push(...(typeof options.noProxy === 'string' ? [options.noProxy] : options.noProxy));
    }
    this.bypass = new NoProxyList(noProxy);
    this.proxyLoopback = noProxy.some((list) => /(^|[,\s;])<-loopback>($|[,\s;])/i.test(list));
  }

  /** True when any proxy is configured at all. */
  get configured(): boolean {
    return this.httpProxy !== undefined || this.httpsProxy !== undefined;
  }

  /** The proxy for a request to `url`. */
  choose(url: URL): ProxyChoice {
    const proxyUrl = url.protocol === 'https:' ? this.httpsProxy : this.httpProxy;
    if (
      proxyUrl === undefined ||
      (!this.proxyLoopback && isLoopbackHost(url.hostname)) ||
      this.bypass.matches(url)
    ) {
      return { proxyUrl: undefined };
    }
    return { proxyUrl };
  }
}
