/**
 * The pieces of one HTTP exchange that need no connection: query strings, header maps, OData `Prefer`
 * merging and response body parsing.
 */
import { ApiError } from '../errors';

/** HTTP methods the client sends. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Query parameters; `undefined` values are left out. Values are percent-encoded by the client. */
export type QueryParams = Readonly<Record<string, string | number | boolean | undefined>>;

/** Percent-encodes a query component (OData `$` options keep their literal `$` in the key). */
function encodeQueryComponent(value: string): string {
  return encodeURIComponent(value).replace(/%24/g, '$').replace(/%2C/g, ',');
}

/** Appends `query` to `url`, leaving existing parameters untouched. */
export function withQuery(url: string, query: QueryParams | undefined): string {
  if (query === undefined) {
    return url;
  }
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) {
      parts.push(`${encodeQueryComponent(key)}=${encodeQueryComponent(String(value))}`);
    }
  }
  if (parts.length === 0) {
    return url;
  }
  return `${url}${url.includes('?') ? '&' : '?'}${parts.join('&')}`;
}

/** Lower-cased header names; repeated headers joined with `, `. */
export function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) {
      out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return out;
}

/** `headers` with `Prefer: odata.maxpagesize=N` added to any `Prefer` already there. */
export function withMaxPageSize(
  headers: Readonly<Record<string, string>> | undefined,
  maxPageSize: number | undefined,
): Readonly<Record<string, string>> | undefined {
  if (maxPageSize === undefined) {
    return headers;
  }
  const out: Record<string, string> = {};
  let existing: string | undefined;
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() === 'prefer') {
      existing = v;
    } else {
      out[k] = v;
    }
  }
  const extra = `odata.maxpagesize=${maxPageSize}`;
  out.Prefer = existing === undefined || existing.trim() === '' ? extra : `${existing},${extra}`;
  return out;
}

/** Parses a successful response body as the caller asked: raw text, JSON, or `undefined` when empty. */
export function parseResponseBody<T>(
  text: string,
  responseType: 'json' | 'text',
  context: {
    readonly headers: Readonly<Record<string, string>>;
    readonly method: HttpMethod;
    readonly safeUrl: string;
    readonly status: number;
    readonly requestId: string | undefined;
  },
): T {
  if (responseType === 'text') {
    return text as T;
  }
  if (text.trim() === '') {
    return undefined as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    const { method, safeUrl, status, requestId, headers } = context;
    throw new ApiError({
      reason: 'server',
      message: `${method} ${safeUrl} returned a body that is not JSON (content-type ${headers['content-type'] ?? 'none'}).`,
      status,
      requestId,
      method,
      url: safeUrl,
      mayHaveReachedService: true,
      cause: e,
    });
  }
}
