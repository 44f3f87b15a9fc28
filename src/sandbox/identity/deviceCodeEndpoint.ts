/**
 * Device code flow (RFC 8628): `POST /{tenant}/oauth2/v2.0/devicecode` issues a user code, and the
 * user approves it on the device login page (`GET`/`POST /devicelogin`), through
 * `POST /_sandbox/devicecode/approve`, programmatically, or after the configured delay. The token
 * endpoint's polling side lives in `IdentityState.pollDeviceCode`.
 */
import type { EndpointResponse } from './authorizeEndpoint';
import type { IdentityState } from './identityState';
import { deviceLoginDonePage, deviceLoginPage } from './identityPages';
import { invalidClient } from './oauthError';
import { parseScopes } from './scopes';
import { realSeconds } from './tokenEndpoint';

/** Answer a device authorization request with the codes and the message the app shows. */
export function handleDeviceCodeRequest(
  state: IdentityState,
  params: URLSearchParams,
  identityUrl: string,
): Record<string, unknown> {
  const client = state.requireClient(params.get('client_id') ?? undefined);
  if (client.kind !== 'public') {
    throw invalidClient(
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  const scope = params.get('scope') ?? '';
  parseScopes(scope, state.isResource);
  const grant = state.createDeviceCode(client.clientId, scope);
  const verificationUri = `${identityUrl}/devicelogin`;
  return {
    user_code: grant.userCode,
    device_code: grant.deviceCode,
    verification_uri: verificationUri,
    expires_in: realSeconds(state, state.settings.deviceCodeLifetimeSeconds),
    interval: state.settings.deviceCodeIntervalSeconds,
    message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${grant.userCode} to authenticate.`,
  };
}

/** `GET /devicelogin`: the page where the user enters the code. */
export function deviceLoginForm(state: IdentityState, query: URLSearchParams): EndpointResponse {
  return html(200, deviceLoginPage({ users: state.allUsers(), prefill: query.get('otc') ?? undefined }));
}

/** `POST /devicelogin`: the user approves or declines the code they entered. */
export function deviceLoginSubmit(state: IdentityState, form: URLSearchParams): EndpointResponse {
  const userCode = form.get('user_code') ?? '';
  const decline = form.get('action') === 'decline';
  const ok = decline
    ? state.declineDeviceCode(userCode)
    : state.approveDeviceCode(userCode, form.get('username') ?? undefined);
  if (!ok) {
    return html(
      400,
      deviceLoginPage({
        users: state.allUsers(),
        message: 'That code was not recognised or has expired. Check the code and try again.',
        prefill: userCode,
      }),
    );
  }
  return html(200, deviceLoginDonePage(!decline));
}

function html(status: number, body: string): EndpointResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store, no-cache' },
    body,
  };
}
