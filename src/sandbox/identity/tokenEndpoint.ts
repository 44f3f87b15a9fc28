/**
 * The token endpoint (`POST /{tenant}/oauth2/v2.0/token`): authorization code with PKCE, device code,
 * refresh token and client credentials grants, answering like Entra's v2 endpoint. Access tokens are
 * the sandbox's RS256 JWTs (`TokenIssuer`); id tokens are signed with the same key.
 */
import { randomBytes } from 'node:crypto';
import type { SandboxClientRegistration, SandboxIdentityUser } from './identitySeed';
import type { IdentityState, TokenGrantType } from './identityState';
import { authenticateClient } from './clientAuthentication';
import { invalidClient, invalidScope, OAuthError } from './oauthError';
import { parseScopes } from './scopes';

const deviceCodeGrantType = 'urn:ietf:params:oauth:grant-type:device_code';
/** Audience given to a token when the request names no resource (Entra issues a Microsoft Graph token). */
const graphAppId = '00000003-0000-0000-c000-000000000000';
const idTokenLifetimeSeconds = 3600;

/** Where a token request arrived: the endpoint URL (assertion audience) and the identity base URL. */
export interface TokenRequestContext {
  readonly tokenEndpointUrl: string;
  readonly identityUrl: string;
  /** The `Authorization` header, for HTTP Basic client authentication. */
  readonly authorization: string | undefined;
}

/** The grant type of a token request, as counted in the stats; undefined for an unsupported one. */
export function grantTypeOf(params: URLSearchParams): TokenGrantType | undefined {
  switch (params.get('grant_type')) {
    case 'authorization_code':
      return 'authorization_code';
    case 'refresh_token':
      return 'refresh_token';
    // RFC 8628's URN, and the short form msal sends (Entra accepts both).
    case deviceCodeGrantType:
    case 'device_code':
      return 'device_code';
    case 'client_credentials':
      return 'client_credentials';
    case null:
    default:
      return undefined;
  }
}

/** Answer one token request; throws `OAuthError` for every failure. */
export function handleTokenRequest(
  state: IdentityState,
  params: URLSearchParams,
  context: TokenRequestContext,
): Record<string, unknown> {
  const grantType = grantTypeOf(params);
  if (grantType === undefined) {
    throw new OAuthError(
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${params.get('grant_type') ?? ''}'.`,
    );
  }
  const { client } = authenticateClient(state, params, context.authorization, context.tokenEndpointUrl);
  switch (grantType) {
    case 'authorization_code': {
      const grant = state.redeemAuthorizationCode(
        params.get('code') ?? undefined,
        client.clientId,
        params.get('redirect_uri') ?? undefined,
        params.get('code_verifier') ?? undefined,
      );
      return userTokens(
        state,
        client,
        grant.user,
        params.get('scope') ?? grant.scope,
        grant.nonce,
        params,
        context,
      );
    }
    case 'refresh_token': {
      const { user } = state.useRefreshToken(params.get('refresh_token') ?? undefined, client.clientId);
      return userTokens(state, client, user, params.get('scope') ?? undefined, undefined, params, context);
    }
    case 'device_code': {
      if (client.kind !== 'public') {
        throw invalidClient(
          7000218,
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
      }
      const grant = state.pollDeviceCode(params.get('device_code') ?? undefined, client.clientId);
      return userTokens(
        state,
        client,
        grant.user,
        params.get('scope') ?? grant.scope,
        undefined,
        params,
        context,
      );
    }
    case 'client_credentials':
      return appToken(state, client, params);
  }
}

/** Tokens for a signed-in user: access token, and id token, refresh token and `client_info` when asked. */
function userTokens(
  state: IdentityState,
  client: SandboxClientRegistration,
  user: SandboxIdentityUser,
  scope: string | undefined,
  nonce: string | undefined,
  params: URLSearchParams,
  context: TokenRequestContext,
): Record<string, unknown> {
  const scopes = parseScopes(scope, state.isResource);
  if (state.needsConsent(client.clientId, scopes.resource)) {
    throw state.consentError(client, scopes.resource ?? '');
  }
  const lifetime = state.settings.accessTokenLifetimeSeconds;
  const accessToken = state.issuer.issue({
    audience: scopes.resource ?? graphAppId,
    lifetimeSeconds: lifetime,
    tid: state.tenantId,
    oid: user.oid,
    sub: user.oid,
    name: user.name,
    upn: user.upn,
    scp: 'user_impersonation',
    appid: client.clientId,
    idtyp: 'user',
    // Entra's unique token id: two tokens issued in the same second still differ.
    uti: uniqueTokenId(),
  });
  const expiresIn = realSeconds(state, lifetime);
  const granted =
    scopes.resource === undefined ? [] : [`${scopes.resource}/user_impersonation`, ...scopes.resourceScopes];
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: [...new Set([...granted, ...scopes.oidc])].join(' '),
    expires_in: expiresIn,
    ext_expires_in: expiresIn,
    access_token: accessToken,
  };
  if (scopes.oidc.some((s) => s.toLowerCase() === 'offline_access')) {
    body.refresh_token = state.createRefreshToken(client.clientId, user);
  }
  if (scopes.oidc.some((s) => s.toLowerCase() === 'openid')) {
    body.id_token = idToken(state, client, user, nonce, context.identityUrl);
  }
  if (params.get('client_info') === '1') {
    body.client_info = clientInfo(user.oid, state.tenantId);
  }
  return body;
}

/** An app-only token (client credentials): the scope must be exactly `<resource>/.default`. */
function appToken(
  state: IdentityState,
  client: SandboxClientRegistration,
  params: URLSearchParams,
): Record<string, unknown> {
  const scope = (params.get('scope') ?? '').trim();
  const scopes = parseScopes(scope, state.isResource);
  if (
    scopes.oidc.length > 0 ||
    scopes.resourceScopes.length !== 1 ||
    !scope.endsWith('/.default') ||
    scopes.resource === undefined
  ) {
    throw invalidScope(
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const lifetime = state.settings.accessTokenLifetimeSeconds;
  const accessToken = state.issuer.issue({
    audience: scopes.resource,
    lifetimeSeconds: lifetime,
    tid: state.tenantId,
    oid: client.servicePrincipalId,
    sub: client.servicePrincipalId,
    appid: client.clientId,
    app_displayname: client.displayName,
    roles: [],
    idtyp: 'app',
    uti: uniqueTokenId(),
  });
  const expiresIn = realSeconds(state, lifetime);
  return {
    token_type: 'Bearer',
    expires_in: expiresIn,
    ext_expires_in: expiresIn,
    access_token: accessToken,
  };
}

function idToken(
  state: IdentityState,
  client: SandboxClientRegistration,
  user: SandboxIdentityUser,
  nonce: string | undefined,
  identityUrl: string,
): string {
  const now = Math.floor(state.clock.now() / 1000);
  const payload: Record<string, unknown> = {
    aud: client.clientId,
    iss: `${identityUrl}/${state.tenantId}/v2.0`,
    iat: now,
    nbf: now,
    exp: now + idTokenLifetimeSeconds,
    name: user.name,
    oid: user.oid,
    preferred_username: user.upn,
    sub: user.oid,
    tid: state.tenantId,
    uti: uniqueTokenId(),
    ver: '2.0',
  };
  if (nonce !== undefined) {
    payload.nonce = nonce;
  }
  return state.issuer.sign(payload);
}

function uniqueTokenId(): string {
  return randomBytes(16).toString('base64url');
}

/** Entra's `client_info`: base64url JSON of the user's object id and home tenant (msal's account key). */
export function clientInfo(oid: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: oid, utid: tenantId }), 'utf8').toString('base64url');
}

/**
 * `expires_in` is read by the client against its own (real) clock, so a lifetime in sandbox seconds is
 * converted at the current clock speed; at speed 1 the two are equal.
 */
export function realSeconds(state: IdentityState, sandboxSeconds: number): number {
  return Math.max(1, Math.round(state.clock.toReal(sandboxSeconds * 1000) / 1000));
}
