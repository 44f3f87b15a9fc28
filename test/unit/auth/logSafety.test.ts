import assert from 'node:assert/strict';
import { authTargetFor } from '../../../src/core/auth/authTarget';
import { msalCacheKey } from '../../../src/core/auth/msalTokenProvider';
import {
  sandboxCertificateCredential,
  sandboxSecretCredential,
} from '../../../src/sandbox/identity/identitySeed';
import type { IdentityHarness } from './identityHarness';
import {
  formPostBrowser,
  noAbort,
  resources,
  signInUser,
  startIdentityHarness,
  tenantId,
} from './identityHarness';
import { sandboxCertificatePrivateKeyPem } from '../../fixtures/sandboxCertificateKey';

describe('sign-in logs', () => {
  let h: IdentityHarness;

  beforeEach(async () => {
    h = await startIdentityHarness({ accessTokenLifetimeSeconds: 120 });
  });

  afterEach(async () => {
    await h.close();
  });

  it('never contain a token, a refresh token, an authorization code or a credential', async () => {
    const seen: string[] = [];
    const browser = formPostBrowser(h.identity.ca);
    try {
      // Every flow, with the log at its most verbose (msal info and our trace lines are all recorded).
      const interactive = await h.manager.signInInteractive(
        h.target,
        { openBrowser: browser.open },
        noAbort(),
      );
      const device = await signInUser(h);
      const secretSp = await h.manager.addClientSecret(
        authTargetFor(h.cloud, {
          tenantId,
          clientId: sandboxSecretCredential.clientId,
          authorityCa: h.identity.ca,
        }),
        sandboxSecretCredential.clientSecret,
        noAbort(),
      );
      const certSp = await h.manager.addCertificate(
        authTargetFor(h.cloud, {
          tenantId,
          clientId: sandboxCertificateCredential.clientId,
          authorityCa: h.identity.ca,
        }),
        {
          certificatePem: sandboxCertificateCredential.certificatePem,
          privateKeyPem: sandboxCertificatePrivateKeyPem,
        },
        noAbort(),
      );
      for (const account of [interactive, device, secretSp, certSp]) {
        const provider = h.manager.tokenProvider(account);
        for (const resource of [resources.contoso, resources.powerApps]) {
          seen.push(await provider.getToken(resource, noAbort()));
        }
      }
      // A refresh after expiry, and failures, also log.
      h.clock.advance(5 * 60 * 1000);
      seen.push(await h.manager.tokenProvider(device).getToken(resources.contoso, noAbort()));
      h.identity.tenant.expireRefreshTokens();
      await assert.rejects(h.manager.tokenProvider(device).getToken(resources.fabrikam, noAbort()));
      await assert.rejects(
        h.manager.addClientSecret(
          authTargetFor(h.cloud, {
            tenantId,
            clientId: sandboxSecretCredential.clientId,
            authorityCa: h.identity.ca,
          }),
          'wrong-secret-value-0001',
          noAbort(),
        ),
      );
      const code = browser.visits[0]?.authorizeUrl;
      assert.ok(code);
    } finally {
      await browser.close();
    }

    // Every refresh token and id token msal holds, read back from the persisted cache.
    const cache = (await h.secrets.get(msalCacheKey(h.target))) ?? '';
    const cached = [...cache.matchAll(/"secret":"([^"]+)"/g)].map((m) => m[1] ?? '');
    assert.ok(
      cached.some((s) => s.startsWith('1.sbx.')),
      'the cache holds refresh tokens to look for',
    );

    const log = h.logger.text();
    assert.ok(log.includes('[auth]') && log.includes('[identity]'), 'the flows were logged');
    for (const secret of [
      ...seen,
      ...cached,
      sandboxSecretCredential.clientSecret,
      'wrong-secret-value-0001',
    ]) {
      assert.ok(!log.includes(secret), 'a credential appears in the log');
    }
    const keyBody = sandboxCertificatePrivateKeyPem.split('\n')[1] ?? '';
    assert.ok(keyBody.length > 20 && !log.includes(keyBody), 'the private key appears in the log');
    assert.doesNotMatch(log, /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, 'a JWT appears in the log');
    assert.doesNotMatch(log, /[?&]code=[^&\s*]{8,}/, 'an authorization code appears in the log');
  });
});
