import assert from 'node:assert/strict';
import { AccountManager } from '../../../src/core/auth/accountManager';
import { AuthError, CancellationError } from '../../../src/core/errors';
import { HttpClient } from '../../../src/core/http/httpClient';
import { decodeJwtPayload } from '../../../src/sandbox/tokens';
import { sandboxSecondUser } from '../../../src/sandbox/identity/identitySeed';
import type { IdentityHarness } from './identityHarness';
import { noAbort, resources, signInUser, startIdentityHarness } from './identityHarness';

describe('tokens after one sign-in (silent, any audience)', () => {
  let h: IdentityHarness;

  afterEach(async () => {
    await h.close();
  });

  describe('with the default ten-minute tokens', () => {
    beforeEach(async () => {
      h = await startIdentityHarness();
    });

    it('gets a token for every audience from one sign-in, without asking the user again', async () => {
      const account = await signInUser(h);
      const provider = h.manager.tokenProvider(account);
      for (const resource of Object.values(resources)) {
        const token = await provider.getToken(resource, noAbort());
        assert.ok(h.issuer.verify(token, resource).ok, `a valid token for ${resource}`);
      }
      const stats = h.identity.tenant.stats;
      assert.equal(stats.authorize, 0);
      assert.equal(stats.deviceCode, 1, 'one sign-in');
      // The sign-in token covered discovery; each other audience took one refresh-token grant.
      assert.equal(stats.token.refresh_token, Object.keys(resources).length - 1);
    });

    it('treats a resource with a trailing slash as the same resource', async () => {
      const provider = h.manager.tokenProvider(await signInUser(h));
      const withSlash = await provider.getToken(`${resources.contoso}/`, noAbort());
      assert.ok(h.issuer.verify(withSlash, resources.contoso).ok);
      assert.equal(decodeJwtPayload(withSlash)?.aud, resources.contoso);
      assert.equal(await provider.getToken(resources.contoso, noAbort()), withSlash);
    });

    it('reuses a token that is still valid, and shares one fetch among concurrent callers', async () => {
      const provider = h.manager.tokenProvider(await signInUser(h));
      const tokens = await Promise.all(
        [1, 2, 3, 4, 5].map(() => provider.getToken(resources.fabrikam, noAbort())),
      );
      assert.equal(new Set(tokens).size, 1);
      assert.equal(await provider.getToken(resources.fabrikam, noAbort()), tokens[0]);
      assert.equal(h.identity.tenant.stats.token.refresh_token, 1);
    });

    it('never returns a token the service rejected again (invalidate after a 401)', async () => {
      const provider = h.manager.tokenProvider(await signInUser(h));
      const first = await provider.getToken(resources.powerApps, noAbort());
      provider.invalidate(resources.powerApps, first);
      const second = await provider.getToken(resources.powerApps, noAbort());
      assert.notEqual(second, first);
      assert.ok(h.issuer.verify(second, resources.powerApps).ok);
    });

    it('keeps tokens of different accounts apart', async () => {
      const maker = h.manager.tokenProvider(await signInUser(h));
      const admin = h.manager.tokenProvider(await signInUser(h, sandboxSecondUser.upn));
      const a = decodeJwtPayload(await maker.getToken(resources.contoso, noAbort()));
      const b = decodeJwtPayload(await admin.getToken(resources.contoso, noAbort()));
      assert.notEqual(a?.oid, b?.oid);
      assert.equal(b?.oid, sandboxSecondUser.oid);
    });

    it('says consent is needed (AADSTS65001) for a resource the app was not consented to, until the user signs in for it', async () => {
      const account = await signInUser(h);
      const provider = h.manager.tokenProvider(account);
      h.identity.tenant.requireConsent(resources.fabrikam);
      await assert.rejects(
        provider.getToken(resources.fabrikam, noAbort()),
        (e: unknown) => AuthError.is(e, 'consentRequired') && e.code === 'AADSTS65001',
      );
      // Other resources are unaffected.
      assert.ok(h.issuer.verify(await provider.getToken(resources.contoso, noAbort()), resources.contoso).ok);
      // Signing in again for that resource is where the user consents.
      const again = await signInUser(h, undefined, resources.fabrikam);
      assert.equal(again.id, account.id);
      assert.ok(
        h.issuer.verify(await provider.getToken(resources.fabrikam, noAbort()), resources.fabrikam).ok,
      );
    });

    it('says the sign-in expired when the refresh token has expired (AADSTS700082)', async () => {
      const provider = h.manager.tokenProvider(await signInUser(h));
      assert.equal(h.identity.tenant.expireRefreshTokens(), 1);
      await assert.rejects(
        provider.getToken(resources.contoso, noAbort()),
        (e: unknown) => AuthError.is(e, 'expired') && e.code === 'AADSTS700082',
      );
    });

    it('says the sign-in expired when the refresh token was revoked (AADSTS50173)', async () => {
      const provider = h.manager.tokenProvider(await signInUser(h));
      h.identity.tenant.revokeRefreshTokens();
      await assert.rejects(
        provider.getToken(resources.contoso, noAbort()),
        (e: unknown) => AuthError.is(e, 'expired') && e.code === 'AADSTS50173',
      );
    });

    it('says interaction is required when the tenant demands MFA (AADSTS50076), and a new sign-in clears it', async () => {
      const account = await signInUser(h);
      const provider = h.manager.tokenProvider(account);
      h.identity.tenant.requireMfa();
      await assert.rejects(
        provider.getToken(resources.contoso, noAbort()),
        (e: unknown) => AuthError.is(e, 'interactionRequired') && e.code === 'AADSTS50076',
      );
      await signInUser(h);
      assert.ok(h.issuer.verify(await provider.getToken(resources.contoso, noAbort()), resources.contoso).ok);
    });

    it('says the identity provider cannot be reached when it is down', async () => {
      const manager = new AccountManager({
        secrets: h.secrets,
        logger: h.logger,
        // One attempt, so the test does not sit through connection-refused retries.
        createHttpClient: (target) =>
          new HttpClient({ extraCaPem: target.authorityCa, maxAttempts: 1, proxy: { env: {} } }),
      });
      try {
        const account = await signInUser(h);
        const provider = manager.tokenProvider(account);
        assert.ok(
          h.issuer.verify(await provider.getToken(resources.contoso, noAbort()), resources.contoso).ok,
        );
        await h.identity.stop();
        await assert.rejects(provider.getToken(resources.fabrikam, noAbort()), (e: unknown) =>
          AuthError.is(e, 'network'),
        );
      } finally {
        await manager.dispose();
      }
    });

    it('raises CancellationError when the caller has already given up', async () => {
      const provider = h.manager.tokenProvider(await signInUser(h));
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(
        provider.getToken(resources.contoso, controller.signal),
        (e: unknown) => e instanceof CancellationError,
      );
    });
  });

  describe('with two-minute tokens', () => {
    beforeEach(async () => {
      h = await startIdentityHarness({ accessTokenLifetimeSeconds: 120 });
    });

    it('refreshes silently once the access token has expired, and the new token is accepted', async () => {
      const provider = h.manager.tokenProvider(await signInUser(h));
      const first = await provider.getToken(resources.contoso, noAbort());
      assert.ok(h.issuer.verify(first, resources.contoso).ok);

      h.clock.advance(3 * 60 * 1000);
      assert.deepEqual(h.issuer.verify(first, resources.contoso), { ok: false, reason: 'expired' });

      const second = await provider.getToken(resources.contoso, noAbort());
      assert.notEqual(second, first);
      assert.ok(h.issuer.verify(second, resources.contoso).ok);
      assert.equal(h.identity.tenant.stats.deviceCode, 1, 'no second sign-in');
    });
  });
});
