import assert from 'node:assert/strict';
import { authTargetFor } from '../../../src/core/auth/authTarget';
import { servicePrincipalCredentialKey } from '../../../src/core/auth/accountManager';
import { AuthError } from '../../../src/core/errors';
import {
  sandboxCertificateCredential,
  sandboxSecretCredential,
} from '../../../src/sandbox/identity/identitySeed';
import { decodeJwtPayload } from '../../../src/sandbox/tokens';
import type { IdentityHarness } from './identityHarness';
import { noAbort, resources, startIdentityHarness, tenantId } from './identityHarness';
import { sandboxCertificatePrivateKeyPem } from '../../fixtures/sandboxCertificateKey';

describe('service principals (client credentials) against the sandbox identity endpoint', () => {
  let h: IdentityHarness;

  beforeEach(async () => {
    h = await startIdentityHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  function spTarget(clientId: string, tenant = tenantId): ReturnType<typeof authTargetFor> {
    return authTargetFor(h.cloud, { tenantId: tenant, clientId, authorityCa: h.identity.ca });
  }

  it('adds a service principal with a client secret and gets app-only tokens for any resource', async () => {
    const account = await h.manager.addClientSecret(
      spTarget(sandboxSecretCredential.clientId),
      sandboxSecretCredential.clientSecret,
      noAbort(),
    );
    assert.equal(account.kind, 'servicePrincipal');
    assert.equal(account.credentialKind, 'secret');
    assert.equal(account.username, sandboxSecretCredential.clientId);
    assert.equal(account.tenantId, tenantId);

    const provider = h.manager.tokenProvider(account);
    for (const resource of [resources.contoso, resources.powerApps]) {
      const token = await provider.getToken(resource, noAbort());
      const verified = h.issuer.verify(token, resource);
      assert.ok(verified.ok);
      assert.equal(verified.claims.appid, sandboxSecretCredential.clientId);
      assert.equal(verified.claims.oid, sandboxSecretCredential.servicePrincipalId);
      assert.equal(verified.claims.idtyp, 'app');
      assert.equal(verified.claims.upn, undefined, 'an app-only token names no user');
    }
  });

  it('adds a service principal with a certificate (signed client assertion)', async () => {
    const account = await h.manager.addCertificate(
      spTarget(sandboxCertificateCredential.clientId),
      {
        certificatePem: sandboxCertificateCredential.certificatePem,
        privateKeyPem: sandboxCertificatePrivateKeyPem,
      },
      noAbort(),
    );
    assert.equal(account.credentialKind, 'certificate');
    const token = await h.manager.tokenProvider(account).getToken(resources.fabrikam, noAbort());
    assert.equal(decodeJwtPayload(token)?.appid, sandboxCertificateCredential.clientId);
    assert.ok(h.issuer.verify(token, resources.fabrikam).ok);
  });

  it('rejects a wrong client secret as invalidClient (AADSTS7000215) and keeps nothing', async () => {
    await assert.rejects(
      h.manager.addClientSecret(spTarget(sandboxSecretCredential.clientId), 'not-the-secret', noAbort()),
      (e: unknown) => AuthError.is(e, 'invalidClient') && e.code === 'AADSTS7000215',
    );
    assert.deepEqual(await h.manager.listAccounts(noAbort()), []);
    assert.deepEqual(h.secrets.keys(), []);
  });

  it('rejects a certificate the application does not have (AADSTS700027)', async () => {
    // The certificate client's key pair, offered for the secret client: not one of its credentials.
    await assert.rejects(
      h.manager.addCertificate(
        spTarget(sandboxSecretCredential.clientId),
        {
          certificatePem: sandboxCertificateCredential.certificatePem,
          privateKeyPem: sandboxCertificatePrivateKeyPem,
        },
        noAbort(),
      ),
      (e: unknown) => AuthError.is(e, 'invalidClient') && e.code === 'AADSTS700027',
    );
  });

  it('rejects an application id the tenant does not know (AADSTS700016)', async () => {
    await assert.rejects(
      h.manager.addClientSecret(spTarget('00000000-0000-4000-8000-0000000000aa'), 'whatever', noAbort()),
      (e: unknown) => AuthError.is(e, 'invalidClient') && e.code === 'AADSTS700016',
    );
  });

  it('needs a named tenant, as client credentials do', async () => {
    await assert.rejects(
      h.manager.addClientSecret(
        spTarget(sandboxSecretCredential.clientId, 'organizations'),
        sandboxSecretCredential.clientSecret,
        noAbort(),
      ),
      (e: unknown) => AuthError.is(e, 'invalidClient'),
    );
  });

  it('keeps the credential in the secret store only, and signing out deletes it', async () => {
    const account = await h.manager.addClientSecret(
      spTarget(sandboxSecretCredential.clientId),
      sandboxSecretCredential.clientSecret,
      noAbort(),
    );
    const stored = await h.secrets.get(servicePrincipalCredentialKey(account.id));
    assert.ok(stored?.includes(sandboxSecretCredential.clientSecret));
    const listed = await h.secrets.get('desktopFlows.auth.accounts');
    assert.ok(
      listed !== undefined && !listed.includes(sandboxSecretCredential.clientSecret),
      'the account list holds no secret',
    );

    // A restarted extension host reads the credential back and gets tokens.
    const restarted = h.newManager();
    const [again] = await restarted.listAccounts(noAbort());
    assert.ok(again);
    assert.ok(
      h.issuer.verify(
        await restarted.tokenProvider(again).getToken(resources.contoso, noAbort()),
        resources.contoso,
      ).ok,
    );

    await restarted.signOut(again.id, noAbort());
    assert.equal(await h.secrets.get(servicePrincipalCredentialKey(account.id)), undefined);
    assert.deepEqual(await restarted.listAccounts(noAbort()), []);
    await assert.rejects(
      h.newManager().tokenProvider(again).getToken(resources.contoso, noAbort()),
      (e: unknown) => AuthError.is(e, 'noAccount'),
    );
  });
});
