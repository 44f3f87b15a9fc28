import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { ApiError } from '../../../src/core/errors';
import { HttpClient } from '../../../src/core/http/httpClient';
import { sandboxPublicClientId, sandboxSecretCredential } from '../../../src/sandbox/identity/identitySeed';
import type { IdentityHarness } from './identityHarness';
import { findForm, noAbort, resources, startIdentityHarness, tenantId } from './identityHarness';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('sandbox identity endpoint (OpenID Connect over HTTPS)', () => {
  let h: IdentityHarness;
  let http: HttpClient;

  before(async () => {
    h = await startIdentityHarness();
    http = new HttpClient({ extraCaPem: h.identity.ca, proxy: { env: {} }, maxAttempts: 1 });
  });

  after(async () => {
    await http.close();
    await h.close();
  });

  async function getJson(path: string): Promise<Answer> {
    const r = await http.request<string>(`${h.identity.url}${path}`, {
      responseType: 'text',
      acceptErrorStatus: true,
      signal: noAbort(),
    });
    return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
  }

  async function token(form: Record<string, string>): Promise<Answer> {
    const r = await http.request<string>(`${h.identity.authority}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: new URLSearchParams(form).toString(),
      responseType: 'text',
      acceptErrorStatus: true,
      signal: noAbort(),
    });
    return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
  }

  /** Run the authorize step as a browser would, returning the code the consent page posts back. */
  async function authorize(
    query: Record<string, string>,
  ): Promise<{ status: number; fields: Record<string, string> | undefined; html: string }> {
    const url = new URL(`${h.identity.authority}/oauth2/v2.0/authorize`);
    for (const [k, v] of Object.entries(query)) {
      url.searchParams.set(k, v);
    }
    const r = await http.request<string>(url.toString(), {
      responseType: 'text',
      acceptErrorStatus: true,
      signal: noAbort(),
    });
    return { status: r.status, fields: findForm(r.body, 'response')?.fields, html: r.body };
  }

  function pkce(): { verifier: string; challenge: string } {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  }

  const redirectUri = 'http://localhost:54321';

  it('publishes an OpenID configuration whose issuer is on the authority origin', async () => {
    for (const tenant of [tenantId, 'organizations']) {
      const { status, body } = await getJson(`/${tenant}/v2.0/.well-known/openid-configuration`);
      assert.equal(status, 200);
      assert.equal(new URL(String(body.issuer)).origin, h.identity.url);
      assert.equal(body.token_endpoint, `${h.identity.url}/${tenant}/oauth2/v2.0/token`);
      assert.equal(body.device_authorization_endpoint, `${h.identity.url}/${tenant}/oauth2/v2.0/devicecode`);
      assert.ok(
        Array.isArray(body.response_modes_supported) && body.response_modes_supported.includes('form_post'),
      );
    }
    assert.equal(
      (await getJson(`/${tenantId}/v2.0/.well-known/openid-configuration`)).body.issuer,
      `${h.identity.url}/${tenantId}/v2.0`,
    );
  });

  it('answers instance discovery for its own host', async () => {
    const { body } = await getJson('/common/discovery/instance?api-version=1.1');
    const host = new URL(h.identity.url).host;
    assert.deepEqual(body.metadata, [{ preferred_network: host, preferred_cache: host, aliases: [host] }]);
  });

  it('refuses clients that do not trust its CA (TLS verification stays on)', async () => {
    const plain = new HttpClient({ proxy: { env: {} }, maxAttempts: 1 });
    try {
      await assert.rejects(
        plain.get(`${h.identity.authority}/v2.0/.well-known/openid-configuration`, { signal: noAbort() }),
        (e: unknown) => ApiError.is(e),
      );
    } finally {
      await plain.close();
    }
  });

  it('rejects an unknown tenant with AADSTS90002', async () => {
    const { status, body } = await getJson('/not-a-tenant/v2.0/.well-known/openid-configuration');
    assert.equal(status, 400);
    assert.equal(body.error, 'invalid_tenant');
    assert.deepEqual(body.error_codes, [90002]);
  });

  it('redeems an authorization code once, and only with the PKCE verifier', async () => {
    const { verifier, challenge } = pkce();
    const page = await authorize({
      client_id: sandboxPublicClientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      response_mode: 'form_post',
      scope: `${resources.contoso}/.default openid offline_access`,
      state: 'st-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    assert.equal(page.status, 200);
    assert.equal(page.fields?.state, 'st-1');
    const code = page.fields?.code;
    assert.ok(code);
    const form = {
      client_id: sandboxPublicClientId,
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      scope: `${resources.contoso}/.default openid offline_access`,
    };

    const wrong = await token({ ...form, code_verifier: pkce().verifier });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
    assert.deepEqual(wrong.body.error_codes, [501481]);

    const ok = await token({ ...form, code_verifier: verifier });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.token_type, 'Bearer');
    assert.ok(h.issuer.verify(String(ok.body.access_token), resources.contoso).ok);
    assert.equal(typeof ok.body.refresh_token, 'string');

    const again = await token({ ...form, code_verifier: verifier });
    assert.deepEqual(again.body.error_codes, [54005]);
  });

  it('signs id tokens with a key from its JWKS', async () => {
    const { verifier, challenge } = pkce();
    const page = await authorize({
      client_id: sandboxPublicClientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      response_mode: 'form_post',
      scope: 'openid profile',
      nonce: 'n-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const ok = await token({
      client_id: sandboxPublicClientId,
      grant_type: 'authorization_code',
      code: page.fields?.code ?? '',
      redirect_uri: redirectUri,
      code_verifier: verifier,
      scope: 'openid profile',
    });
    const idToken = String(ok.body.id_token);
    const [header, payload, signature] = idToken.split('.') as [string, string, string];
    const kid = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string }).kid;
    const jwks = (await getJson(`/${tenantId}/discovery/v2.0/keys`)).body as { keys: { kid: string }[] };
    const jwk = jwks.keys.find((k) => k.kid === kid);
    assert.ok(jwk);
    const key = createPublicKey({ key: jwk as unknown as JsonWebKey, format: 'jwk' });
    assert.ok(
      verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')),
    );
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.aud, sandboxPublicClientId);
    assert.equal(claims.nonce, 'n-1');
    assert.equal(claims.iss, `${h.identity.url}/${tenantId}/v2.0`);
  });

  it('shows an error page instead of redirecting to an unregistered redirect URI (AADSTS50011)', async () => {
    const page = await authorize({
      client_id: sandboxPublicClientId,
      response_type: 'code',
      redirect_uri: 'https://evil.example/callback',
      response_mode: 'form_post',
      scope: 'openid',
    });
    assert.equal(page.status, 400);
    assert.equal(page.fields, undefined, 'nothing is posted anywhere');
    assert.match(page.html, /AADSTS50011/);
  });

  it('rejects a resource URI with a trailing slash as an unknown resource (AADSTS500011)', async () => {
    const r = await token({
      client_id: sandboxSecretCredential.clientId,
      client_secret: sandboxSecretCredential.clientSecret,
      grant_type: 'client_credentials',
      scope: `${resources.contoso}//.default`,
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.error_codes, [500011]);
  });

  it('answers a wrong client secret with 401 invalid_client (AADSTS7000215)', async () => {
    const r = await token({
      client_id: sandboxSecretCredential.clientId,
      client_secret: 'nope',
      grant_type: 'client_credentials',
      scope: `${resources.contoso}/.default`,
    });
    assert.equal(r.status, 401);
    assert.equal(r.body.error, 'invalid_client');
    assert.deepEqual(r.body.error_codes, [7000215]);
  });

  it('accepts the client secret in an HTTP Basic header too', async () => {
    const basic = Buffer.from(
      `${sandboxSecretCredential.clientId}:${encodeURIComponent(sandboxSecretCredential.clientSecret)}`,
    ).toString('base64');
    const r = await http.request<string>(`${h.identity.authority}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      rawBody: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: `${resources.powerApps}/.default`,
      }).toString(),
      responseType: 'text',
      acceptErrorStatus: true,
      signal: noAbort(),
    });
    assert.equal(r.status, 200);
  });

  it("states token lifetimes in the client's real seconds when sandbox time runs faster", async () => {
    const form = {
      client_id: sandboxSecretCredential.clientId,
      client_secret: sandboxSecretCredential.clientSecret,
      grant_type: 'client_credentials',
      scope: `${resources.contoso}/.default`,
    };
    assert.equal((await token(form)).body.expires_in, 600);
    h.clock.setSpeed(60);
    try {
      // Ten sandbox minutes pass in ten real seconds.
      assert.equal((await token(form)).body.expires_in, 10);
    } finally {
      h.clock.setSpeed(1);
    }
  });

  it('requires /.default for client credentials (AADSTS1002012)', async () => {
    const r = await token({
      client_id: sandboxSecretCredential.clientId,
      client_secret: sandboxSecretCredential.clientSecret,
      grant_type: 'client_credentials',
      scope: `${resources.contoso}/user_impersonation`,
    });
    assert.equal(r.body.error, 'invalid_scope');
    assert.deepEqual(r.body.error_codes, [1002012]);
  });

  it('refuses to approve a device code it never issued', async () => {
    const r = await http.request<string>(`${h.identity.url}/_sandbox/devicecode/approve`, {
      method: 'POST',
      body: { user_code: 'NOSUCHCOD' },
      responseType: 'text',
      acceptErrorStatus: true,
      signal: noAbort(),
    });
    assert.equal(r.status, 404);
    assert.equal(h.identity.approveDeviceCode('NOSUCHCOD'), false);
  });

  it('serves its CA certificate for clients to pin', async () => {
    const r = await http.request<string>(`${h.identity.url}/_sandbox/ca.pem`, {
      responseType: 'text',
      signal: noAbort(),
    });
    assert.equal(r.body, h.identity.ca);
  });
});
