/**
 * The one HTTP client of the core: JSON in and out, bearer tokens per audience, timeouts, retries for
 * idempotent calls, typed errors and OData paging. Connections and proxies are `dispatchers.ts`, retry
 * decisions `retryPolicy.ts`, query/header/body helpers `requestParts.ts`. Everything above it (the `*Api`
 * classes) is thin.
 */
import type { Dispatcher } from 'undici';
import type { TokenProvider } from '../auth/tokenProvider';
import { ApiError, CancellationError } from '../errors';
import { silentLogger, type Logger } from '../logger';
import { sleep, throwIfAborted } from '../util/abort';
import { Emitter } from '../util/events';
import { secretMasker } from '../util/secretMasker';
import { DispatcherPool } from './dispatchers';
import { apiErrorFromResponse, classifyTransportFailure, requestIdFrom } from './errorMapping';
import { ProxyResolver, type ProxyOptions } from './proxySettings';
import {
  flattenHeaders,
  parseResponseBody,
  withMaxPageSize,
  withQuery,
  type HttpMethod,
  type QueryParams,
} from './requestParts';
import { retryDelayMs, type FailedAttempt, type RetrySettings } from './retryPolicy';
import { isLoopbackHost, redactUrl } from './urlSafety';

/** Construction options. Every field is optional; defaults suit interactive use. */
export interface HttpClientOptions {
  /** Where bearer tokens come from. Without it, only requests with no `audience` can be sent. */
  readonly tokens?: TokenProvider;
  readonly logger?: Logger;
  /** Proxy settings (VS Code's `http.proxy`/`http.noProxy` as plain values, plus the environment). */
  readonly proxy?: ProxyOptions;
  /** Extra trusted CA certificate(s), PEM, added to the default roots (e.g. the sandbox's identity host). */
  readonly extraCaPem?: string | readonly string[];
  /** Time to establish TCP+TLS (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Time from sending to receiving the response headers (default 30 s). */
  readonly headersTimeoutMs?: number;
  /** Longest silence while receiving the body (default 60 s). */
  readonly bodyTimeoutMs?: number;
  /** Attempts per idempotent request, including the first (default 4). A 401 token refresh is extra. */
  readonly maxAttempts?: number;
  /** First retry delay before jitter (default 500 ms); doubles per retry. */
  readonly retryBaseDelayMs?: number;
  /** Cap on computed retry delays (default 20 s). */
  readonly retryMaxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited out: the `throttled` error is raised instead (default 120 s). */
  readonly maxRetryAfterSeconds?: number;
  /** Concurrent keep-alive connections per origin (default 8). */
  readonly maxConnectionsPerOrigin?: number;
  /** Idle time before a pooled connection is closed, unless the server hints otherwise (default 30 s). */
  readonly keepAliveTimeoutMs?: number;
  readonly userAgent?: string;
  /** Replaces the built-in dispatchers (tests: undici `MockAgent` for faults a real server cannot produce). */
  readonly dispatcher?: Dispatcher;
  /** Random source for jitter, in [0, 1). */
  readonly random?: () => number;
}

/** Per-request options. */
export interface RequestOptions {
  readonly method?: HttpMethod;
  /** Token audience (resource URI, e.g. the org URL). Omit for anonymous requests. */
  readonly audience?: string;
  readonly query?: QueryParams;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /**
   * Sent as is instead of `body` (e.g. msal's form-encoded OAuth requests); give its `content-type` in
   * `headers`.
   */
  readonly rawBody?: string;
  /**
   * Return responses with a status of 400 or more instead of raising `ApiError` (OAuth endpoints answer
   * errors as JSON bodies that msal reads itself). Such responses are not retried.
   */
  readonly acceptErrorStatus?: boolean;
  /**
   * Whether the request may be repeated after it may have reached the service. Defaults to true for GET and
   * HEAD only; mark PUT/DELETE or "safe" POST functions explicitly.
   */
  readonly idempotent?: boolean;
  /**
   * Send on a connection of its own, opened for this request and closed after it, never on a reused
   * keep-alive socket (a server closing an idle socket as the request leaves loses a non-idempotent POST
   * without a trace). RunDesktopFlow uses it.
   */
  readonly fresh?: boolean;
  /**
   * How to read a successful body: `json` (default; parsed when the body is non-empty) or `text` (raw, e.g.
   * Dataverse `$value` columns).
   */
  readonly responseType?: 'json' | 'text';
  readonly signal: AbortSignal;
}

/** Options for `get`/`post`: everything but the method (and, for `post`, the body). */
export type CallOptions = Omit<RequestOptions, 'method' | 'body'>;

/** A successful response. */
export interface HttpResponse<T> {
  readonly status: number;
  /** Lower-cased header names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON, raw text, or `undefined` for an empty body (e.g. 204). */
  readonly body: T;
  readonly requestId: string | undefined;
  /** How many attempts it took (1 = no retry). */
  readonly attempts: number;
}

/** Options for OData paging. */
export interface PageOptions extends Omit<RequestOptions, 'method' | 'body' | 'idempotent' | 'responseType'> {
  /** `Prefer: odata.maxpagesize=N` (Dataverse clamps to 5,000). Omit to let the service choose. */
  readonly maxPageSize?: number;
}

/** One page of a collection. */
export interface Page<T> {
  readonly items: T[];
  /** Where the next page is (`@odata.nextLink` or `nextLink`), to pass to `getPage` unchanged; absent on the last page. */
  readonly nextLink: string | undefined;
}

/** One finished exchange (each attempt), for counters and benchmarks. Never carries headers or bodies. */
export interface RequestEvent {
  readonly method: HttpMethod;
  /** Redacted. */
  readonly url: string;
  /** HTTP status, or `undefined` for a transport failure. */
  readonly status: number | undefined;
  readonly durationMs: number;
  readonly attempt: number;
}

const defaults = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 60_000,
  maxAttempts: 4,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 20_000,
  maxRetryAfterSeconds: 120,
  maxConnectionsPerOrigin: 8,
  keepAliveTimeoutMs: 30_000,
  userAgent: 'desktop-flows-vscode/0.1',
} as const;

type Attempt<T> = { readonly kind: 'ok'; readonly response: HttpResponse<T> } | FailedAttempt;

/**
 * The HTTP client. One instance per sign-in context; it owns connection pools, so call `close()` when done.
 *
 * Retry rules: idempotent requests (GET, HEAD, or `idempotent: true`) are retried on 429 (honouring
 * `Retry-After`), 502, 503, 504 and dropped connections, up to `maxAttempts`. Any request is retried when it
 * surely never left the machine (connection refused, connect timeout). A 401 invalidates the token and is
 * retried once with a fresh one, for every method, since the service did not run the request.
 */
export class HttpClient {
  private readonly tokens: TokenProvider | undefined;
  private readonly logger: Logger;
  private readonly dispatchers: DispatcherPool;
  private readonly userAgent: string;
  private readonly headersTimeoutMs: number;
  private readonly bodyTimeoutMs: number;
  private readonly retry: RetrySettings;
  private readonly requestEmitter = new Emitter<RequestEvent>();
  private closed = false;

  /** Fires after every attempt (including retries), for request counting. */
  readonly onDidRequest = this.requestEmitter.event;

  constructor(options: HttpClientOptions = {}) {
    this.tokens = options.tokens;
    this.logger = options.logger ?? silentLogger;
    this.userAgent = options.userAgent ?? defaults.userAgent;
    this.headersTimeoutMs = options.headersTimeoutMs ?? defaults.headersTimeoutMs;
    this.bodyTimeoutMs = options.bodyTimeoutMs ?? defaults.bodyTimeoutMs;
    this.retry = {
      maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? defaults.maxAttempts)),
      maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? defaults.maxRetryAfterSeconds,
      backoff: {
        baseDelayMs: options.retryBaseDelayMs ?? defaults.retryBaseDelayMs,
        maxDelayMs: options.retryMaxDelayMs ?? defaults.retryMaxDelayMs,
      },
      random: options.random ?? Math.random,
    };
    this.dispatchers = new DispatcherPool(
      {
        connectTimeoutMs: options.connectTimeoutMs ?? defaults.connectTimeoutMs,
        headersTimeoutMs: this.headersTimeoutMs,
        bodyTimeoutMs: this.bodyTimeoutMs,
        maxConnectionsPerOrigin: options.maxConnectionsPerOrigin ?? defaults.maxConnectionsPerOrigin,
        keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? defaults.keepAliveTimeoutMs,
        extraCaPem: options.extraCaPem === undefined ? [] : [options.extraCaPem].flat(),
      },
      new ProxyResolver(options.proxy),
      this.logger,
      options.dispatcher,
    );
  }

  /** GET `url` and return the parsed body. */
  async get<T>(url: string, options: CallOptions): Promise<T> {
    return (await this.request<T>(url, { ...options, method: 'GET' })).body;
  }

  /** POST `body` as JSON and return the parsed response body (`undefined` for 204). Not retried blindly. */
  async post<T>(url: string, body: unknown, options: CallOptions): Promise<T> {
    return (await this.request<T>(url, { ...options, method: 'POST', body })).body;
  }

  /**
   * Send one logical request (with retries per the class rules). Throws `ApiError` for HTTP >= 400 and
   * transport failures, `CancellationError` when `signal` aborts, `AuthError` from the token provider.
   */
  async request<T>(url: string, options: RequestOptions): Promise<HttpResponse<T>> {
    const { signal } = options;
    throwIfAborted(signal);
    if (this.closed) {
      throw new Error('HttpClient is closed');
    }
    const method = options.method ?? 'GET';
    const fullUrl = withQuery(url, options.query);
    const target = this.checkUrl(fullUrl, method);
    const safeUrl = redactUrl(fullUrl);
    const idempotent = options.idempotent ?? (method === 'GET' || method === 'HEAD');
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    let tokenRefreshed = false;

    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal);
      const token = await this.tokenFor(options.audience, signal);
      const result = await this.attempt<T>(target, safeUrl, method, body, token, options, attempt);
      if (result.kind === 'ok') {
        return result.response;
      }
      const { error } = result;
      if (result.kind === 'status' && result.status === 401 && token !== undefined && !tokenRefreshed) {
        // The service rejected the token without running the request: safe to repeat once, any method.
        tokenRefreshed = true;
        this.tokens?.invalidate?.(options.audience ?? '', token);
        this.logger.info(`[http] ${method} ${safeUrl} -> 401, retrying once with a fresh token`);
        attempt--;
        continue;
      }
      const delayMs = retryDelayMs(this.retry, result, idempotent, attempt);
      if (delayMs === undefined) {
        throw error;
      }
      const why =
        result.kind === 'status' ? String(result.status) : (result.failure.code ?? result.error.reason);
      this.logger.info(
        `[http] ${method} ${safeUrl} -> ${why}, retrying in ${delayMs} ms (attempt ${attempt + 1}/${this.retry.maxAttempts})`,
      );
      await sleep(delayMs, signal);
    }
  }

  /** Fetch one page: the first (`url` + `query`) or a `nextLink` from a previous page, followed as given. */
  async getPage<T>(url: string, options: PageOptions): Promise<Page<T>> {
    const headers = withMaxPageSize(options.headers, options.maxPageSize);
    const response = await this.request<unknown>(url, {
      ...options,
      headers,
      method: 'GET',
      responseType: 'json',
    });
    return this.toPage<T>(response.body, url);
  }

  /**
   * Iterate over every page of a collection, following `@odata.nextLink` (or `nextLink`) until the last
   * page. The same `Prefer: odata.maxpagesize` is sent on every page (docs/service-contract.md#dataverse-conventions).
   */
  async *paged<T>(url: string, options: PageOptions): AsyncGenerator<Page<T>, void, undefined> {
    let page = await this.getPage<T>(url, options);
    yield page;
    while (page.nextLink !== undefined) {
      // The next link already carries the query options; only headers carry over.
      page = await this.getPage<T>(page.nextLink, { ...options, query: undefined });
      yield page;
    }
  }

  /** Every item of a paged collection. */
  async getAll<T>(url: string, options: PageOptions): Promise<T[]> {
    const items: T[] = [];
    for await (const page of this.paged<T>(url, options)) {
      items.push(...page.items);
    }
    return items;
  }

  /** Close all pooled connections. Requests in flight finish first. */
  async close(): Promise<void> {
    this.closed = true;
    this.requestEmitter.dispose();
    await this.dispatchers.close();
  }

  private toPage<T>(body: unknown, requestedUrl: string): Page<T> {
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { value?: unknown }).value)) {
      throw new ApiError({
        reason: 'server',
        message: 'The service returned a collection response without a "value" array.',
        method: 'GET',
        url: redactUrl(requestedUrl),
      });
    }
    const record = body as { value: T[]; '@odata.nextLink'?: unknown; nextLink?: unknown };
    const link = record['@odata.nextLink'] ?? record.nextLink;
    const nextLink = typeof link === 'string' && link !== '' ? link : undefined;
    if (nextLink !== undefined) {
      const next = new URL(nextLink, requestedUrl);
      // Never send a bearer token for one host to another one named in a response body.
      if (next.origin !== new URL(requestedUrl).origin) {
        throw new ApiError({
          reason: 'server',
          message: `The service returned a next-page link to another host (${next.host}); it was not followed.`,
          method: 'GET',
          url: redactUrl(requestedUrl),
        });
      }
      return { items: record.value, nextLink: next.toString() === nextLink ? nextLink : next.toString() };
    }
    return { items: record.value, nextLink: undefined };
  }

  private checkUrl(url: string, method: HttpMethod): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (e) {
      throw new ApiError({
        reason: 'badRequest',
        message: `Not a valid URL: ${redactUrl(url)}`,
        method,
        cause: e,
        mayHaveReachedService: false,
      });
    }
    if (parsed.protocol === 'https:') {
      return parsed;
    }
    if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) {
      return parsed;
    }
    throw new ApiError({
      reason: 'insecure',
      message:
        parsed.protocol === 'http:'
          ? `Refusing plain http to ${parsed.host}: only https is allowed, except for this machine (loopback).`
          : `Unsupported URL scheme ${parsed.protocol}`,
      method,
      url: redactUrl(url),
      mayHaveReachedService: false,
    });
  }

  private async tokenFor(audience: string | undefined, signal: AbortSignal): Promise<string | undefined> {
    if (audience === undefined) {
      return undefined;
    }
    if (this.tokens === undefined) {
      throw new Error(`HttpClient has no TokenProvider, but a request needs a token for ${audience}`);
    }
    const token = await this.tokens.getToken(audience, signal);
    secretMasker.add(token);
    return token;
  }

  private async attempt<T>(
    target: URL,
    safeUrl: string,
    method: HttpMethod,
    body: string | undefined,
    token: string | undefined,
    options: RequestOptions,
    attempt: number,
  ): Promise<Attempt<T>> {
    const { signal } = options;
    // Tells undici not to pipeline non-idempotent requests behind others on a shared socket.
    const idempotent = options.idempotent ?? (method === 'GET' || method === 'HEAD');
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
    };
    for (const [k, v] of Object.entries(options.headers ?? {})) {
      headers[k.toLowerCase()] = v;
    }
    if (body !== undefined) {
      headers['content-type'] = headers['content-type'] ?? 'application/json; charset=utf-8';
    }
    if (token !== undefined) {
      headers.authorization = `Bearer ${token}`;
    }
    const lease = await this.dispatchers.lease(target, options.fresh === true);
    const started = performance.now();
    let status: number | undefined;
    try {
      const response = await lease.dispatcher.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method,
        headers,
        body: body ?? null,
        signal,
        idempotent,
        // A fresh connection is not kept for anyone else.
        reset: lease.fresh,
        headersTimeout: this.headersTimeoutMs,
        bodyTimeout: this.bodyTimeoutMs,
      });
      status = response.statusCode;
      const responseHeaders = flattenHeaders(response.headers);
      const text = await response.body.text();
      const durationMs = Math.round(performance.now() - started);
      const requestId = requestIdFrom(responseHeaders);
      this.logExchange(method, safeUrl, String(status), durationMs, requestId, attempt);
      if (status >= 400 && options.acceptErrorStatus !== true) {
        return {
          kind: 'status',
          status,
          error: apiErrorFromResponse({
            method,
            url: safeUrl,
            status,
            statusText: response.statusText,
            headers: responseHeaders,
            bodyText: text,
          }),
        };
      }
      const parsed = parseResponseBody<T>(text, options.responseType ?? 'json', {
        headers: responseHeaders,
        method,
        safeUrl,
        status,
        requestId,
      });
      return {
        kind: 'ok',
        response: { status, headers: responseHeaders, body: parsed, requestId, attempts: attempt },
      };
    } catch (e) {
      if (signal.aborted) {
        throw new CancellationError();
      }
      if (e instanceof ApiError) {
        throw e;
      }
      const durationMs = Math.round(performance.now() - started);
      const failure = classifyTransportFailure(e);
      this.logExchange(method, safeUrl, failure.code ?? failure.reason, durationMs, undefined, attempt);
      return {
        kind: 'transport',
        failure,
        error: new ApiError({
          reason: failure.reason,
          message: secretMasker.mask(
            `${method} ${safeUrl} failed: ${failure.code ?? (e instanceof Error ? e.message : String(e))}`,
          ),
          code: failure.code,
          status,
          method,
          url: safeUrl,
          // A response that broke off mid-body has a status, but the verdict is the transport's.
          mayHaveReachedService: failure.mayHaveReachedService || status !== undefined,
          cause: e,
        }),
      };
    } finally {
      lease.release();
      if (!this.closed) {
        this.requestEmitter.fire({
          method,
          url: safeUrl,
          status,
          durationMs: Math.round(performance.now() - started),
          attempt,
        });
      }
    }
  }

  private logExchange(
    method: HttpMethod,
    safeUrl: string,
    outcome: string,
    durationMs: number,
    requestId: string | undefined,
    attempt: number,
  ): void {
    const parts = [`${durationMs} ms`];
    if (requestId !== undefined) {
      parts.push(`req ${requestId}`);
    }
    if (attempt > 1) {
      parts.push(`attempt ${attempt}`);
    }
    this.logger.debug(`[http] ${method} ${safeUrl} -> ${outcome} (${parts.join(', ')})`);
  }
}
