/**
 * Issue 11, transport: the extension trusted the sandbox CA for the sandbox account's whole session; the CLI
 * trusts it for the identity host only. The signed-in account's session now trusts the default roots only,
 * as the CLI's does, while sign-in and tokens (the identity host) keep working with the CA.
 */
import assert from 'node:assert/strict';
import { ApiError } from '../../../src/core/errors';
import { signedInAccountFor } from '../../../src/vscode/accounts/signedInAccount';
import { noAbort, resources, signInUser, startIdentityHarness } from '../auth/identityHarness';

describe('signed-in account (extension): transport trust', function () {
  this.timeout(30_000);

  it("trusts the sandbox CA for the identity host only: the account's session refuses another host with a certificate from that CA", async () => {
    const h = await startIdentityHarness();
    // Another HTTPS server whose certificate chains to the same sandbox CA.
    const other = await startIdentityHarness();
    const account = await signInUser(h);
    assert.ok(
      account.target.authorityCa?.includes('BEGIN CERTIFICATE'),
      'the sandbox account carries its CA',
    );
    const tokens = h.manager.tokenProvider(account);
    const signedIn = signedInAccountFor(account, h.cloud, {
      tokens,
      logger: h.logger,
      proxy: { env: {} },
      timeoutMs: 10_000,
    });
    try {
      // Sign-in and tokens still come from the identity host, over TLS verified with the sandbox CA.
      assert.ok(h.issuer.verify(await tokens.getToken(resources.contoso, noAbort()), resources.contoso).ok);
      await assert.rejects(
        signedIn.session.http.get(`${other.identity.authority}/v2.0/.well-known/openid-configuration`, {
          signal: noAbort(),
        }),
        (e: unknown) => ApiError.is(e, 'network') && /certificate|verify|issuer/i.test(e.message),
      );
    } finally {
      await signedIn.session.dispose();
      await other.close();
      await h.close();
    }
  });
});
