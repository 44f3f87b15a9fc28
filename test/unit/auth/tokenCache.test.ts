import assert from 'node:assert/strict';
import type { AuthAccount } from '../../../src/core/auth/authAccount';
import { accountListKey } from '../../../src/core/auth/accountManager';
import { msalCacheKey } from '../../../src/core/auth/msalTokenProvider';
import { AuthError } from '../../../src/core/errors';
import { sandboxSecondUser } from '../../../src/sandbox/identity/identitySeed';
import { defaultSandboxUser } from '../../../src/sandbox/tokens';
import type { IdentityHarness } from './identityHarness';
import { noAbort, resources, signInUser, startIdentityHarness } from './identityHarness';

describe('token cache in the secret store, and signing out', () => {
  let h: IdentityHarness;

  beforeEach(async () => {
    h = await startIdentityHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  it('lets a restarted extension host use the persisted sign-in without asking the user again', async () => {
    const account = await signInUser(h);
    const before = await h.manager.tokenProvider(account).getToken(resources.contoso, noAbort());
    const refreshes = h.identity.tenant.stats.token.refresh_token;

    const restarted = h.newManager();
    const [listed] = await restarted.listAccounts(noAbort());
    assert.equal(listed?.username, defaultSandboxUser.upn);
    assert.ok(listed);
    const provider = restarted.tokenProvider(listed);
    // The access token itself was persisted: no request to the identity endpoint for it.
    assert.equal(await provider.getToken(resources.contoso, noAbort()), before);
    assert.equal(h.identity.tenant.stats.token.refresh_token, refreshes);
    // And the refresh token too: a new audience comes silently.
    assert.ok(h.issuer.verify(await provider.getToken(resources.fabrikam, noAbort()), resources.fabrikam).ok);
    assert.equal(h.identity.tenant.stats.deviceCode, 1, 'signed in once');
    assert.equal(h.identity.tenant.stats.authorize, 0);
  });

  it('keeps everything under two secret-store keys: the account list and the msal cache', async () => {
    await signInUser(h);
    assert.deepEqual(h.secrets.keys().sort(), [accountListKey, msalCacheKey(h.target)].sort());
  });

  it('signs one account out, removing its tokens and leaving the other signed in', async () => {
    const changes: (readonly AuthAccount[])[] = [];
    h.manager.onDidChangeAccounts((accounts) => changes.push(accounts));
    const maker = await signInUser(h);
    const admin = await signInUser(h, sandboxSecondUser.upn);
    await h.manager.tokenProvider(maker).getToken(resources.contoso, noAbort());
    await h.manager.tokenProvider(admin).getToken(resources.contoso, noAbort());

    await h.manager.signOut(maker.id, noAbort());

    assert.deepEqual(
      (await h.manager.listAccounts(noAbort())).map((a) => a.username),
      [sandboxSecondUser.upn],
    );
    assert.deepEqual(
      changes.map((c) => c.length),
      [1, 2, 1],
    );
    const cache = JSON.parse((await h.secrets.get(msalCacheKey(h.target))) ?? '{}') as Record<
      string,
      Record<string, { home_account_id?: string }>
    >;
    const owners = new Set(
      Object.values(cache).flatMap((entries) => Object.values(entries).map((e) => e.home_account_id)),
    );
    assert.ok(!owners.has(maker.homeAccountId), 'no cache entry of the signed-out user is left');
    assert.ok(owners.has(admin.homeAccountId));
    assert.ok(
      h.issuer.verify(
        await h.manager.tokenProvider(admin).getToken(resources.fabrikam, noAbort()),
        resources.fabrikam,
      ).ok,
    );

    // Even a restarted host cannot get tokens for the signed-out user.
    await assert.rejects(
      h.newManager().tokenProvider(maker).getToken(resources.fabrikam, noAbort()),
      (e: unknown) => AuthError.is(e, 'noAccount'),
    );
  });

  it('leaves nothing in the secret store after the last account signs out', async () => {
    const account = await signInUser(h);
    await h.manager.tokenProvider(account).getToken(resources.powerApps, noAbort());
    await h.manager.signOut(account.id, noAbort());
    assert.deepEqual(h.secrets.keys(), []);
    await assert.rejects(
      h.manager.tokenProvider(account).getToken(resources.powerApps, noAbort()),
      (e: unknown) => AuthError.is(e, 'noAccount'),
    );
  });
});
