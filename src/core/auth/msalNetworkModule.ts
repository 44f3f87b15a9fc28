/**
 * msal-node's network client (`INetworkModule`, docs/service-contract.md#authentication-scopes) on top of our `HttpClient`, so sign-in
 * uses the same proxy settings, timeouts and CA handling as every other request. It also remembers, per
 * msal correlation id, the OAuth error a token endpoint answered and any transport failure, because
 * msal reduces some of them to generic codes (a device-code poll's `expired_token` becomes
 * `post_request_failed`; a dropped connection becomes `network_error`).
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { ApiError, CancellationError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import { silentLogger, type Logger } from '../logger';
import { secretMasker } from '../util/secretMasker';

/** The OAuth error fields of an identity-provider response. */
export interface OAuthServerError {
  readonly error: string;
  /** Entra's numeric codes (`AADSTS<n>`), first one first. */
  readonly errorCodes: readonly number[];
  readonly suberror: string | undefined;
}

/** Options of `MsalNetworkModule`. */
export interface MsalNetworkModuleOptions {
  readonly http: HttpClient;
  /**
   * When set (the sandbox, whose CA the `http` client trusts), requests to any other host are refused,
   * so the extra CA is only ever used for the identity host.
   */
  readonly pinnedHost?: string;
  readonly logger?: Logger;
}

/** How many correlation ids' failures are remembered (one sign-in or token call each). */
const rememberedFailures = 64;
/** Time limit for msal's requests when msal gives none (the token endpoint). */
const defaultTimeoutMs = 60_000;

/** An `INetworkModule` for msal-node backed by `HttpClient`. */
export class MsalNetworkModule implements INetworkModule {
  private readonly http: HttpClient;
  private readonly pinnedHost: string | undefined;
  private readonly logger: Logger;
  private readonly lifetime = new AbortController();
  private readonly serverErrors = new Map<string, OAuthServerError>();
  private readonly transportErrors = new Map<string, ApiError>();
  private lastTransport: ApiError | undefined;

  constructor(options: MsalNetworkModuleOptions) {
    this.http = options.http;
    this.pinnedHost = options.pinnedHost?.toLowerCase();
    this.logger = options.logger ?? silentLogger;
  }

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options, undefined);
  }

  /** The OAuth error the identity provider answered for an msal call (by its correlation id). */
  serverErrorFor(correlationId: string): OAuthServerError | undefined {
    return this.serverErrors.get(correlationId);
  }

  /** The transport failure of an msal call (by correlation id), or the latest one when msal sent none. */
  transportErrorFor(correlationId: string | undefined): ApiError | undefined {
    return (
      (correlationId === undefined ? undefined : this.transportErrors.get(correlationId)) ??
      this.lastTransport
    );
  }

  /** Abort requests in flight (the owning provider is being disposed). */
  dispose(): void {
    this.lifetime.abort();
  }

  private async send<T>(
    method: 'GET' | 'POST',
    url: string,
    options: NetworkRequestOptions | undefined,
    timeout: number | undefined,
  ): Promise<NetworkResponse<T>> {
    const correlationId = options?.correlationId;
    const target = new URL(url);
    if (this.pinnedHost !== undefined && target.host.toLowerCase() !== this.pinnedHost) {
      throw this.remember(
        correlationId,
        new ApiError({
          reason: 'insecure',
          message: `Sign-in refused to contact ${target.host}: this sign-in only talks to ${this.pinnedHost}.`,
          method,
          url: `${target.origin}${target.pathname}`,
          mayHaveReachedService: false,
        }),
      );
    }
    const timer = AbortSignal.timeout(timeout ?? defaultTimeoutMs);
    const signal = AbortSignal.any([this.lifetime.signal, timer]);
    try {
      const response = await this.http.request<string>(url, {
        method,
        headers: options?.headers ?? {},
        ...(method === 'POST' ? { rawBody: options?.body ?? '' } : {}),
        responseType: 'text',
        acceptErrorStatus: true,
        // msal's token requests must not be repeated blindly (codes are single use); discovery may be.
        idempotent: method === 'GET',
        signal,
      });
      const body = parseJson(response.body);
      if (body === undefined) {
        throw new ApiError({
          reason: 'server',
          message: `The identity provider answered ${method} ${target.origin}${target.pathname} with a body that is not JSON (HTTP ${response.status}).`,
          status: response.status,
          method,
          url: `${target.origin}${target.pathname}`,
        });
      }
      this.inspect(correlationId, body, response.status);
      return { headers: { ...response.headers }, body: body as T, status: response.status };
    } catch (e) {
      if (e instanceof CancellationError && timer.aborted && !this.lifetime.signal.aborted) {
        throw this.remember(
          correlationId,
          new ApiError({
            reason: 'timeout',
            message: `The identity provider did not answer ${method} ${target.origin}${target.pathname} in time.`,
            method,
          }),
        );
      }
      throw e instanceof ApiError ? this.remember(correlationId, e) : e;
    }
  }

  /** Mask every credential a response carries, and remember OAuth errors for classification. */
  private inspect(correlationId: string | undefined, body: Record<string, unknown>, status: number): void {
    for (const key of ['access_token', 'refresh_token', 'id_token', 'device_code', 'client_info']) {
      const v = body[key];
      if (typeof v === 'string') {
        secretMasker.add(v);
      }
    }
    if (typeof body.error === 'string') {
      const codes = Array.isArray(body.error_codes)
        ? body.error_codes.filter((c): c is number => typeof c === 'number')
        : [];
      const error: OAuthServerError = {
        error: body.error,
        errorCodes: codes,
        suberror: typeof body.suberror === 'string' ? body.suberror : undefined,
      };
      if (error.error !== 'authorization_pending') {
        this.logger.debug(
          `[auth] identity provider answered ${status} ${error.error}${codes[0] === undefined ? '' : ` AADSTS${codes[0]}`}`,
        );
      }
      if (correlationId !== undefined) {
        this.serverErrors.set(correlationId, error);
        trim(this.serverErrors);
      }
    }
  }

  private remember(correlationId: string | undefined, error: ApiError): ApiError {
    this.lastTransport = error;
    if (correlationId !== undefined) {
      this.transportErrors.set(correlationId, error);
      trim(this.transportErrors);
    }
    return error;
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function trim<V>(map: Map<string, V>): void {
  while (map.size > rememberedFailures) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) {
      return;
    }
    map.delete(oldest);
  }
}
