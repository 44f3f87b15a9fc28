/**
 * Plumbing shared by the sandbox's route modules: a request context, replies as plain values (so the
 * server can drop a connection after a handler ran, for "accepted but the response lost" faults), and
 * the typed error every route throws and each service formats in its own error shape.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** What a route handler returns; the server writes it (or, with a fault, drops it). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Called once the reply was written or dropped (e.g. to end a concurrent-request slot). */
  done?: () => void;
}

/** One HTTP request, after routing to a service. */
export interface RequestContext {
  method: string;
  /** Full request URL on the sandbox origin. */
  url: URL;
  /** The query string exactly as sent, without the leading `?`. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  requestId: string;
}

/** An error reply in the making: each service renders it in its own error format. */
export class ServiceError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ServiceError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** A JSON reply. */
export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** An empty reply (e.g. 204). */
export function emptyReply(status: number, headers: Record<string, string> = {}): Reply {
  return { status, headers };
}

/** First value of a header, lower-cased name. */
export function header(ctx: Pick<RequestContext, 'headers'>, name: string): string | undefined {
  const v = ctx.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Parses a JSON request body; `undefined` for an empty body. Throws `SyntaxError` on bad JSON. */
export function parseJsonBody(ctx: RequestContext): unknown {
  const text = ctx.body.toString('utf8');
  return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
}

/**
 * Splits a raw query string into decoded name/value pairs, keeping duplicates (so `$top=1&$top=2`
 * can be rejected) and treating `+` as a space, as form-encoded clients send it.
 */
export function queryPairs(rawQuery: string): [string, string][] {
  if (rawQuery === '') {
    return [];
  }
  return rawQuery.split('&').map((part) => {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    return [decode(name), decode(value)];
  });
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new ServiceError(400, '0x80060888', 'Bad Request - Error in query syntax.');
  }
}
