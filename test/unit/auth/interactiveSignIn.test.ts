import assert from 'node:assert/strict';
import { AuthError, CancellationError } from '../../../src/core/errors';
import { decodeJwtPayload, defaultSandboxUser } from '../../../src/sandbox/tokens';
import { sandboxSecondUser } from '../../../src/sandbox/identity/identitySeed';
import type { IdentityHarness } from './identityHarness';
import { formPostBrowser, noAbort, resources, startIdentityHarness, tenantId } from './identityHarness';

describe('interactive sign-in (system browser, loopback redirect, PKCE) against the sandbox identity endpoint', () => {
  let h: IdentityHarness;

  beforeEach(async () => {
    h = await startIdentityHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  it('signs the user in through the auto-approving consent page and lists the account', async () => {
    const browser = formPostBrowser(h.identity.ca);
    try {
      const account = await h.manager.signInInteractive(
        h.target,
        { openBrowser: browser.open, successHtml: 'Signed in. Back to VS Code.' },
        noAbort(),
      );

      assert.equal(account.kind, 'user');
      assert.equal(account.username, defaultSandboxUser.upn);
      assert.equal(account.tenantId, tenantId);
      assert.equal(account.cloud, 'Sandbox');
      assert.equal(account.homeAccountId, `${defaultSandboxUser.oid}.${tenantId}`);
      assert.deepEqual(
        (await h.manager.listAccounts(noAbort())).map((a) => a.username),
        [defaultSandboxUser.upn],
      );

      // What the browser saw: an authorization request with PKCE and form_post, and msal's success page.
      const visit = browser.visits[0];
      assert.ok(visit);
      assert.equal(visit.authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(visit.authorizeUrl.searchParams.get('response_mode'), 'form_post');
      assert.match(visit.authorizeUrl.searchParams.get('redirect_uri') ?? '', /^http:\/\/localhost:\d+/);
      assert.equal(visit.loopbackStatus, 200);
      assert.equal(visit.loopbackBody, 'Signed in. Back to VS Code.');
      assert.equal(h.identity.tenant.stats.authorize, 1);
      assert.equal(h.identity.tenant.stats.token.authorization_code, 1);
    } finally {
      await browser.close();
    }
  });

  it('gives tokens that the sandbox services accept, for the signed-in user', async () => {
    const browser = formPostBrowser(h.identity.ca);
    try {
      const account = await h.manager.signInInteractive(h.target, { openBrowser: browser.open }, noAbort());
      const token = await h.manager.tokenProvider(account).getToken(resources.contoso, noAbort());
      const verified = h.issuer.verify(token, resources.contoso);
      assert.ok(verified.ok, 'the token verifies for its audience');
      assert.equal(verified.claims.upn, defaultSandboxUser.upn);
      assert.equal(verified.claims.appid, h.identity.publicClientId);
    } finally {
      await browser.close();
    }
  });

  it('signs in the account named by the login hint, so a second user can be added', async () => {
    const browser = formPostBrowser(h.identity.ca);
    try {
      await h.manager.signInInteractive(h.target, { openBrowser: browser.open }, noAbort());
      const second = await h.manager.signInInteractive(
        h.target,
        { openBrowser: browser.open, loginHint: sandboxSecondUser.upn },
        noAbort(),
      );
      assert.equal(second.username, sandboxSecondUser.upn);
      assert.deepEqual(
        (await h.manager.listAccounts(noAbort())).map((a) => a.username).sort(),
        [defaultSandboxUser.upn, sandboxSecondUser.upn].sort(),
      );
      const token = await h.manager.tokenProvider(second).getToken(resources.discovery, noAbort());
      assert.equal(decodeJwtPayload(token)?.oid, sandboxSecondUser.oid);
    } finally {
      await browser.close();
    }
  });

  it('reports a sign-in the user cancels on the consent page as cancelled', async () => {
    const browser = formPostBrowser(h.identity.ca, 'cancel');
    try {
      await assert.rejects(
        h.manager.signInInteractive(h.target, { openBrowser: browser.open }, noAbort()),
        (e: unknown) => AuthError.is(e, 'cancelled') && e.code === 'access_denied',
      );
      assert.deepEqual(await h.manager.listAccounts(noAbort()), []);
    } finally {
      await browser.close();
    }
  });

  it('stops waiting for the browser when the editor cancels, and frees the loopback port', async () => {
    const controller = new AbortController();
    let redirect: string | undefined;
    const pending = h.manager.signInInteractive(
      h.target,
      {
        openBrowser: (url) => {
          // The user never finishes in the browser; the editor's Cancel button aborts.
          redirect = new URL(url).searchParams.get('redirect_uri') ?? undefined;
          setImmediate(() => controller.abort());
          return Promise.resolve();
        },
      },
      controller.signal,
    );
    await assert.rejects(pending, (e: unknown) => e instanceof CancellationError);
    assert.ok(redirect);
    // msal closed its listener: nothing answers on the loopback port any more.
    const port = new URL(redirect).port;
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) }));
    assert.deepEqual(await h.manager.listAccounts(noAbort()), []);
  });
});
