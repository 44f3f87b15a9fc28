/**
 * The sandbox's OpenID Connect identity server: a local stand-in for Microsoft Entra ID over HTTPS on
 * 127.0.0.1, with a certificate from a CA generated at start. It serves what msal-node needs from a
 * non-Microsoft authority (listed in `knownAuthorities`): the v2 OpenID configuration, authorize (code +
 * PKCE, `form_post`, a consent page that approves at once), token (authorization code, device code,
 * refresh token, client credentials with a secret or a certificate assertion), device code, JWKS and
 * instance discovery, plus `/_sandbox/...` controls for tests and manual use.
 */
import { createPublicKey } from 'node:crypto';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/logger';
import type { SandboxClock } from '../clock';
import type { TokenIssuer } from '../tokens';
import type { EndpointResponse } from './authorizeEndpoint';
import { handleAuthorize } from './authorizeEndpoint';
import type { LocalTlsMaterial } from './certificateAuthority';
import { createLocalTlsMaterial } from './certificateAuthority';
import { deviceLoginForm, deviceLoginSubmit, handleDeviceCodeRequest } from './deviceCodeEndpoint';
import { sandboxPublicClientId } from './identitySeed';
import type { IdentityStateOptions } from './identityState';
import { IdentityState } from './identityState';
import { OAuthError } from './oauthError';
import { grantTypeOf, handleTokenRequest } from './tokenEndpoint';

/** Options of `startIdentityServer`. Only `issuer`, `clock` and `tenantId` are required. */
export interface IdentityServerOptions extends Omit<IdentityStateOptions, 'issuer' | 'clock' | 'tenantId'> {
  /** Signs access and id tokens (the same issuer the sandbox's services verify with). */
  issuer: TokenIssuer;
  clock: SandboxClock;
  tenantId: string;
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** TLS material to serve with (e.g. shared with the rest of the sandbox); generated when absent. */
  tls?: LocalTlsMaterial;
  /** Request log (`[identity]` lines; never tokens, codes or secrets). */
  logger?: Logger;
}

/** A running identity server. */
export interface IdentityServer {
  /** Base URL, `https://127.0.0.1:<port>` (the authority host; the authority is `<url>/<tenantId>`). */
  readonly url: string;
  /** PEM of the CA that signed the server certificate; clients trust it for this host only. */
  readonly ca: string;
  readonly tenantId: string;
  /** `<url>/<tenantId>`: the msal authority for the sandbox tenant. */
  readonly authority: string;
  /** The client id a user signs in with (the documented Dataverse sample public client). */
  readonly publicClientId: string;
  /** The tenant's state and test controls: settings, stats, consent, refresh-token expiry, MFA. */
  readonly tenant: IdentityState;
  /** Approve a pending device code as `username` (default: the tenant's first user). */
  approveDeviceCode(userCode: string, username?: string): boolean;
  stop(): Promise<void>;
}

const maxBodyBytes = 64 * 1024;
const jsonHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store, no-cache',
  pragma: 'no-cache',
};

/** Start the identity server on 127.0.0.1. */
export async function startIdentityServer(options: IdentityServerOptions): Promise<IdentityServer> {
  const tls = options.tls ?? (await createLocalTlsMaterial());
  const tenant = new IdentityState(options);
  const logger = options.logger;
  let baseUrl = '';

  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const started = Date.now();
    void route(req)
      .catch((e: unknown): EndpointResponse => {
        if (e instanceof OAuthError) {
          return oauthError(e, req);
        }
        logger?.error(e instanceof Error ? e : String(e));
        return json(500, {
          error: 'server_error',
          error_description: 'The sandbox identity endpoint failed.',
        });
      })
      .then((r) => {
        send(res, r);
        logger?.debug(
          `[identity] ${req.method ?? '?'} ${pathOf(req)} ${r.status} (${Date.now() - started} ms)`,
        );
      });
  });

  async function route(req: IncomingMessage): Promise<EndpointResponse> {
    const url = new URL(req.url ?? '/', baseUrl);
    const segments = url.pathname.split('/').filter((s) => s !== '');
    const method = req.method ?? 'GET';
    const rest = segments.slice(1).join('/').toLowerCase();
    const first = segments[0] ?? '';

    if (segments.length === 0 && method === 'GET') {
      return json(200, {
        name: 'Desktop Flows sandbox identity',
        authority: `${baseUrl}/${options.tenantId}`,
        tenantId: options.tenantId,
      });
    }
    if (first === '_sandbox') {
      return sandboxControl(method, rest, req);
    }
    if (first === 'devicelogin' && segments.length === 1) {
      if (method === 'GET') {
        return deviceLoginForm(tenant, url.searchParams);
      }
      if (method === 'POST') {
        return deviceLoginSubmit(tenant, await readForm(req));
      }
      return methodNotAllowed();
    }
    if (first.toLowerCase() === 'common' && rest === 'discovery/instance') {
      return json(200, instanceDiscovery());
    }
    if (!tenant.acceptsTenant(first)) {
      const e = new OAuthError(
        400,
        'invalid_tenant',
        90002,
        `Tenant '${first}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
      return oauthError(e, req);
    }
    switch (rest) {
      case 'v2.0/.well-known/openid-configuration':
      case '.well-known/openid-configuration':
        return json(200, openIdConfiguration(first));
      case 'discovery/v2.0/keys':
      case 'discovery/keys':
        return json(200, jwks(options.issuer));
      case 'oauth2/v2.0/authorize':
        if (method !== 'GET') {
          return methodNotAllowed();
        }
        tenant.stats.authorize++;
        return handleAuthorize(tenant, url.searchParams);
      case 'oauth2/v2.0/token':
        return method === 'POST' ? token(req, `${baseUrl}/${first}/oauth2/v2.0/token`) : methodNotAllowed();
      case 'oauth2/v2.0/devicecode':
        if (method !== 'POST') {
          return methodNotAllowed();
        }
        tenant.stats.deviceCode++;
        return oauth(req, (form) => handleDeviceCodeRequest(tenant, form, baseUrl));
      case 'oauth2/v2.0/logout':
        return {
          status: 200,
          headers: { 'content-type': 'text/html; charset=utf-8' },
          body: '<!DOCTYPE html><title>Signed out</title><p>You have signed out of the sandbox.</p>',
        };
      default:
        return json(404, {
          error: 'not_found',
          error_description: `No sandbox identity endpoint at ${url.pathname}`,
        });
    }
  }

  async function token(req: IncomingMessage, tokenEndpointUrl: string): Promise<EndpointResponse> {
    return oauth(req, (form) => {
      const grant = grantTypeOf(form);
      if (grant !== undefined) {
        tenant.stats.token[grant]++;
      }
      try {
        return handleTokenRequest(tenant, form, {
          tokenEndpointUrl,
          identityUrl: baseUrl,
          authorization: req.headers.authorization,
        });
      } catch (e) {
        tenant.stats.tokenErrors++;
        if (e instanceof OAuthError && e.error !== 'authorization_pending') {
          logger?.info(
            `[identity] token request (${grant ?? 'unknown grant'}) refused: ${e.error} AADSTS${e.aadsts}`,
          );
        }
        throw e;
      }
    });
  }

  /** Run an OAuth form handler; `OAuthError`s become Entra-shaped JSON error responses. */
  async function oauth(
    req: IncomingMessage,
    handler: (form: URLSearchParams) => Record<string, unknown>,
  ): Promise<EndpointResponse> {
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (e) {
      if (e instanceof OAuthError) {
        return oauthError(e, req);
      }
      throw e;
    }
    try {
      return json(200, handler(form));
    } catch (e) {
      if (e instanceof OAuthError) {
        return oauthError(e, req, form.get('client-request-id') ?? undefined);
      }
      throw e;
    }
  }

  async function sandboxControl(
    method: string,
    rest: string,
    req: IncomingMessage,
  ): Promise<EndpointResponse> {
    if (rest === 'ca.pem' && method === 'GET') {
      return { status: 200, headers: { 'content-type': 'application/x-pem-file' }, body: tls.caCert };
    }
    if (rest === 'devicecodes' && method === 'GET') {
      return json(200, { value: tenant.pendingDeviceCodes() });
    }
    if (rest === 'devicecode/approve' && method === 'POST') {
      const body = await readForm(req);
      const userCode = body.get('user_code') ?? body.get('userCode') ?? '';
      const ok = tenant.approveDeviceCode(userCode, body.get('username') ?? undefined);
      return json(ok ? 200 : 404, { approved: ok });
    }
    return json(404, { error: 'not_found', error_description: `No sandbox control at /_sandbox/${rest}` });
  }

  function openIdConfiguration(tenantSegment: string): Record<string, unknown> {
    const specific =
      tenantSegment.toLowerCase() === 'organizations' || tenantSegment.toLowerCase() === 'common'
        ? tenantSegment
        : options.tenantId;
    const base = `${baseUrl}/${specific}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      // Same scheme, host and port as the authority, as msal's issuer validation requires.
      issuer: `${baseUrl}/${specific === options.tenantId ? options.tenantId : '{tenantid}'}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      code_challenge_methods_supported: ['S256', 'plain'],
      grant_types_supported: [
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:device_code',
      ],
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'oid',
      ],
      tenant_region_scope: 'NA',
      cloud_instance_name: new URL(baseUrl).host,
    };
  }

  function instanceDiscovery(): Record<string, unknown> {
    const host = new URL(baseUrl).host;
    return {
      tenant_discovery_endpoint: `${baseUrl}/${options.tenantId}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    };
  }

  function oauthError(e: OAuthError, req: IncomingMessage, correlationId?: string): EndpointResponse {
    const header = req.headers['client-request-id'];
    const correlation = correlationId ?? (typeof header === 'string' ? header : undefined);
    return json(e.status, e.toBody(tenant.clock.iso(), correlation));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  logger?.info(`[identity] listening on ${baseUrl} (tenant ${options.tenantId})`);

  return {
    url: baseUrl,
    ca: tls.caCert,
    tenantId: options.tenantId,
    authority: `${baseUrl}/${options.tenantId}`,
    publicClientId: sandboxPublicClientId,
    tenant,
    approveDeviceCode: (userCode, username) => tenant.approveDeviceCode(userCode, username),
    stop: () =>
      new Promise<void>((resolve) => {
        tenant.dispose();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The issuer's signing key as a JWKS (RFC 7517), built from its public key PEM. */
function jwks(issuer: TokenIssuer): { keys: Record<string, unknown>[] } {
  const jwk = createPublicKey(issuer.publicKeyPem()).export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: issuer.kid, use: 'sig', alg: 'RS256', kty: 'RSA' }] };
}

function json(status: number, body: unknown): EndpointResponse {
  return { status, headers: jsonHeaders, body: JSON.stringify(body) };
}

function methodNotAllowed(): EndpointResponse {
  return json(405, { error: 'invalid_request', error_description: 'Method not allowed.' });
}

function send(res: ServerResponse, r: EndpointResponse): void {
  res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
}

function pathOf(req: IncomingMessage): string {
  // Query strings carry codes and states: only the path is logged.
  return (req.url ?? '/').split('?')[0] ?? '/';
}

/** Read an `application/x-www-form-urlencoded` (or JSON object) body. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > maxBodyBytes) {
      throw new OAuthError(413, 'invalid_request', 90056, 'The request body is too large.');
    }
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
    try {
      const value: unknown = JSON.parse(text === '' ? '{}' : text);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        return new URLSearchParams(Object.entries(value).map(([k, v]): [string, string] => [k, String(v)]));
      }
    } catch {
      // Falls through to the error below.
    }
    throw new OAuthError(400, 'invalid_request', 90014, 'The request body must be a JSON object or a form.');
  }
  return new URLSearchParams(text);
}
