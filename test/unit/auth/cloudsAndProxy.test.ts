/**
 * Sign-in in every sovereign cloud, and through a proxy. The real Entra hosts cannot be reached (or
 * impersonated over TLS) offline, so the cloud tests answer them with undici's MockAgent; the proxy test
 * runs against the sandbox identity endpoint through a real forward proxy.
 */
import assert from 'node:assert/strict';
import { MockAgent } from 'undici';
import { AccountManager } from '../../../src/core/auth/accountManager';
import { authTargetFor } from '../../../src/core/auth/authTarget';
import { MemorySecretStore } from '../../../src/core/auth/secretStore';
import type { CloudName } from '../../../src/core/clouds';
import { clouds } from '../../../src/core/clouds';
import { ApiError } from '../../../src/core/errors';
import { HttpClient } from '../../../src/core/http/httpClient';
import { MsalNetworkModule } from '../../../src/core/auth/msalNetworkModule';
import { clientInfo } from '../../../src/sandbox/identity/tokenEndpoint';
import { startCountingProxy } from '../http/loopbackServer';
import { noAbort, RecordingLogger, resources, signInUser, startIdentityHarness } from './identityHarness';

const tenant = '0b1c2d3e-0000-4000-8000-00000000c10d';
const oid = '0b1c2d3e-0000-4000-8000-0000000000aa';

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

/**
 * Where msal sends each cloud's sign-in: the authority host, except China, whose authority
 * `login.chinacloudapi.cn` msal knows to use through its preferred network alias.
 */
const signInHosts: Record<Exclude<CloudName, 'Sandbox'>, string> = {
  Public: 'https://login.microsoftonline.com',
  GCC: 'https://login.microsoftonline.com',
  GCCHigh: 'https://login.microsoftonline.us',
  DoD: 'https://login.microsoftonline.us',
  China: 'https://login.partner.microsoftonline.cn',
};

describe('sign-in in every cloud', () => {
  for (const name of ['Public', 'GCC', 'GCCHigh', 'DoD', 'China'] as const) {
    const cloud = clouds[name];

    it(`${name}: signs in at ${signInHosts[name]}, through the extension's HTTP client`, async () => {
      const agent = new MockAgent();
      agent.disableNetConnect();
      const seen: string[] = [];
      const entra = agent.get(signInHosts[name]);
      entra
        .intercept({ method: 'POST', path: (p) => p.startsWith(`/${tenant}/oauth2/v2.0/devicecode`) })
        .reply(({ path }) => {
          seen.push(`POST ${path.split('?')[0] ?? ''}`);
          return {
            statusCode: 200,
            data: {
              user_code: 'ABCDEFGHJ',
              device_code: 'device-code-value',
              verification_uri: 'https://microsoft.com/devicelogin',
              expires_in: 900,
              interval: 1,
              message:
                'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCDEFGHJ to authenticate.',
            },
          };
        });
      const now = Math.floor(Date.now() / 1000);
      entra
        .intercept({ method: 'POST', path: (p) => p.startsWith(`/${tenant}/oauth2/v2.0/token`) })
        .reply(({ path, body }) => {
          seen.push(
            `POST ${path.split('?')[0] ?? ''} ${new URLSearchParams(typeof body === 'string' ? body : '').get('grant_type') ?? ''}`,
          );
          return {
            statusCode: 200,
            data: {
              token_type: 'Bearer',
              scope: `${cloud.discoveryResource}/user_impersonation ${cloud.discoveryResource}/.default`,
              expires_in: 3600,
              ext_expires_in: 3600,
              access_token: unsignedJwt({ aud: cloud.discoveryResource, exp: now + 3600 }),
              refresh_token: 'refresh-token-value',
              id_token: unsignedJwt({
                aud: 'x',
                iss: `${cloud.authorityHost}/${tenant}/v2.0`,
                oid,
                sub: oid,
                tid: tenant,
                preferred_username: 'maker@contoso.example',
                name: 'Maker',
                iat: now,
                exp: now + 3600,
              }),
              client_info: clientInfo(oid, tenant),
            },
          };
        });
      const secrets = new MemorySecretStore();
      const manager = new AccountManager({
        secrets,
        logger: new RecordingLogger(),
        createHttpClient: () => new HttpClient({ dispatcher: agent }),
      });
      try {
        const target = authTargetFor(cloud, { tenantId: tenant });
        const account = await manager.signInWithDeviceCode(target, { showCode: () => undefined }, noAbort());
        assert.equal(account.cloud, name);
        assert.equal(account.username, 'maker@contoso.example');
        assert.equal(account.target.authorityHost, cloud.authorityHost);
        assert.deepEqual(seen, [
          `POST /${tenant}/oauth2/v2.0/devicecode`,
          `POST /${tenant}/oauth2/v2.0/token device_code`,
        ]);
        // The discovery token of the sign-in is served from the cache, for the cloud's own discovery audience.
        const token = await manager.tokenProvider(account).getToken(cloud.discoveryResource, noAbort());
        assert.equal(
          (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { aud: string }).aud,
          cloud.discoveryResource,
        );
        agent.assertNoPendingInterceptors();
      } finally {
        await manager.dispose();
        await agent.close();
      }
    });
  }
});

describe('the sandbox CA', () => {
  it('is trusted for the identity host only: msal cannot be sent anywhere else with it', async () => {
    const h = await startIdentityHarness();
    const other = await startIdentityHarness();
    const http = new HttpClient({ extraCaPem: h.identity.ca, proxy: { env: {} }, maxAttempts: 1 });
    const network = new MsalNetworkModule({ http, pinnedHost: new URL(h.identity.url).host });
    try {
      const ok = await network.sendGetRequestAsync<{ issuer: string }>(
        `${h.identity.authority}/v2.0/.well-known/openid-configuration`,
      );
      assert.equal(ok.status, 200);
      // Another server with a certificate from the same CA: still refused, before any connection.
      await assert.rejects(
        network.sendGetRequestAsync(`${other.identity.authority}/v2.0/.well-known/openid-configuration`),
        (e: unknown) => ApiError.is(e, 'insecure'),
      );
    } finally {
      network.dispose();
      await http.close();
      await other.close();
      await h.close();
    }
  });
});

describe('sign-in through a proxy', () => {
  it('sends the identity traffic through the configured proxy', async () => {
    const h = await startIdentityHarness();
    const proxy = await startCountingProxy();
    const proxied = new AccountManager({
      secrets: h.secrets,
      logger: h.logger,
      // The identity host is on loopback, which bypasses proxies unless told otherwise.
      proxy: { url: proxy.url, noProxy: '<-loopback>', env: {} },
    });
    try {
      const account = await signInUser({ ...h, manager: proxied });
      assert.ok(
        h.issuer.verify(
          await proxied.tokenProvider(account).getToken(resources.contoso, noAbort()),
          resources.contoso,
        ).ok,
      );
      assert.ok(
        proxy.tunnels.includes(new URL(h.identity.url).host),
        'the identity endpoint was reached through a CONNECT tunnel',
      );
    } finally {
      await proxied.dispose();
      await proxy.close();
      await h.close();
    }
  });
});
