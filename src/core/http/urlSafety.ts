/**
 * URL checks shared by the HTTP client: which hosts count as loopback (the only ones allowed over plain
 * `http:`), and how a URL is written into logs and errors without leaking secrets.
 */
import { isIP } from 'node:net';
import { secretMasker } from '../util/secretMasker';

/** Query parameters whose values are credentials in some Microsoft APIs (SAS signatures, auth codes). */
const secretQueryParameters = new Set(['sig', 'code', 'access_token', 'token', 'client_secret', 'password']);

/**
 * True for `localhost`, `127.0.0.0/8` and `::1`: hosts that never leave the machine, so plain `http:` to them
 * cannot be intercepted on the network. Other names under `.localhost` are not trusted: nothing checks
 * where a resolver sends them.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (host === 'localhost') {
    return true;
  }
  switch (isIP(host)) {
    case 4:
      return host.startsWith('127.');
    case 6:
      return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host);
    default:
      return false;
  }
}

/** Normalises a base URL such as an org URL: trims whitespace and trailing slashes (docs/service-contract.md#authentication-scopes). */
export function trimTrailingSlashes(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/**
 * The URL as it may appear in a log or an error: user info dropped, known secret parameters replaced, and
 * every registered secret masked.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return secretMasker.mask(url);
  }
  parsed.username = '';
  parsed.password = '';
  for (const key of [...parsed.searchParams.keys()]) {
    if (secretQueryParameters.has(key.toLowerCase())) {
      parsed.searchParams.set(key, '***');
    }
  }
  return secretMasker.mask(parsed.toString());
}
