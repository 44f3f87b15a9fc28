/**
 * The authorize endpoint (`GET /{tenant}/oauth2/v2.0/authorize`): authorization code flow with PKCE.
 * There is no password prompt: the sandbox signs in the user named by `login_hint` (or the default user)
 * and its consent page approves at once. Errors Entra shows in the browser (unknown app, unregistered
 * redirect URI) become error pages; other errors go back to the app like Entra sends them.
 */
import type { IdentityState } from './identityState';
import { consentPage, errorPage, formPostPage } from './identityPages';
import { OAuthError } from './oauthError';
import { parseScopes } from './scopes';
import { clientInfo } from './tokenEndpoint';

/** An HTTP answer from an endpoint. */
export interface EndpointResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const htmlHeaders = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store, no-cache' };

/** Answer an authorization request. `query` holds the request's parameters. */
export function handleAuthorize(state: IdentityState, query: URLSearchParams): EndpointResponse {
  const clientId = query.get('client_id') ?? undefined;
  const client = state.findClient(clientId);
  if (client === undefined) {
    return html(
      400,
      errorPage(
        700016,
        `Application with identifier '${clientId ?? ''}' was not found in the directory '${state.tenantDomain}'.`,
      ),
    );
  }
  const redirectUri = query.get('redirect_uri') ?? '';
  if (!state.redirectUriAllowed(client, redirectUri)) {
    return html(
      400,
      errorPage(
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${client.clientId}'.`,
      ),
    );
  }
  const responseMode = query.get('response_mode') ?? 'query';
  const state_ = query.get('state') ?? undefined;
  const back = (fields: Record<string, string | undefined>): EndpointResponse =>
    respond(redirectUri, responseMode, { ...fields, state: state_ });
  const fail = (e: OAuthError): EndpointResponse => back({ error: e.error, error_description: e.message });

  if (!['query', 'fragment', 'form_post'].includes(responseMode)) {
    return fail(
      new OAuthError(400, 'invalid_request', 90008, `The response_mode '${responseMode}' is not supported.`),
    );
  }
  if (query.get('response_type') !== 'code') {
    return fail(
      new OAuthError(
        400,
        'unsupported_response_type',
        900144,
        "The app requested a response_type other than 'code'.",
      ),
    );
  }
  const codeChallenge = query.get('code_challenge') ?? undefined;
  const method = query.get('code_challenge_method') ?? (codeChallenge === undefined ? undefined : 'plain');
  if (method !== undefined && method !== 'S256' && method !== 'plain') {
    return fail(
      new OAuthError(
        400,
        'invalid_request',
        501471,
        `The code_challenge_method '${method}' is not supported.`,
      ),
    );
  }
  if (method !== undefined && (codeChallenge === undefined || codeChallenge === '')) {
    return fail(
      new OAuthError(
        400,
        'invalid_request',
        501461,
        'The code_challenge_method was sent without a code_challenge.',
      ),
    );
  }
  const scope = query.get('scope') ?? '';
  let resource: string | undefined;
  try {
    resource = parseScopes(scope, state.isResource).resource;
  } catch (e) {
    if (e instanceof OAuthError) {
      return fail(e);
    }
    throw e;
  }
  const user = state.findUser(query.get('login_hint') ?? undefined);
  if (user === undefined) {
    return html(
      400,
      errorPage(
        50034,
        `The user account ${query.get('login_hint') ?? ''} does not exist in the '${state.tenantDomain}' directory.`,
      ),
    );
  }

  // Signing in interactively is where the user consents and completes MFA.
  state.completedInteractiveSignIn(client.clientId, user, scope);
  const code = state.createAuthorizationCode({
    clientId: client.clientId,
    redirectUri,
    scope,
    user,
    codeChallenge,
    codeChallengeMethod: method,
    nonce: query.get('nonce') ?? undefined,
  });
  const approve = {
    code,
    client_info: clientInfo(user.oid, state.tenantId),
    state: state_,
    session_state: state.tenantId,
  };
  if (responseMode !== 'form_post') {
    return respond(redirectUri, responseMode, approve);
  }
  return html(
    200,
    consentPage({
      appName: client.displayName,
      userName: user.name,
      userUpn: user.upn,
      resource,
      redirectUri,
      approve,
      cancel: {
        error: 'access_denied',
        error_description: 'AADSTS65004: User declined to consent to access the app.',
        state: state_,
      },
    }),
  );
}

/** Deliver an authorization response the way `response_mode` asks. */
function respond(
  redirectUri: string,
  responseMode: string,
  fields: Record<string, string | undefined>,
): EndpointResponse {
  const defined = Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined);
  if (responseMode === 'form_post') {
    return html(200, formPostPage(redirectUri, Object.fromEntries(defined)));
  }
  const target = new URL(redirectUri);
  const params = new URLSearchParams(defined);
  if (responseMode === 'fragment') {
    target.hash = params.toString();
  } else {
    for (const [k, v] of params) {
      target.searchParams.set(k, v);
    }
  }
  return {
    status: 302,
    headers: { location: target.toString(), 'cache-control': 'no-store, no-cache' },
    body: '',
  };
}

function html(status: number, body: string): EndpointResponse {
  return { status, headers: htmlHeaders, body };
}
