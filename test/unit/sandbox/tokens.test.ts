import assert from 'node:assert/strict';
import type { JsonWebKey } from 'node:crypto';
import { SandboxClock } from '../../../src/sandbox/clock';
import { decodeJwtPayload, sameAudience, TokenIssuer } from '../../../src/sandbox/tokens';

describe('sandbox: TokenIssuer', () => {
  const clock = new SandboxClock({ start: Date.parse('2025-05-01T10:00:00Z') });
  const issuer = new TokenIssuer({ clock, tenantId: 'tenant-1', lifetimeSeconds: 600 });
  const aud = 'http://127.0.0.1:1/org/contoso-dev';

  after(() => clock.dispose());

  it('issues an RS256 JWT with the Entra-style claims, timed on the sandbox clock', () => {
    const token = issuer.issue({ audience: aud });
    const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    assert.equal(header.alg, 'RS256');
    assert.equal(header.kid, issuer.kid);
    const claims = decodeJwtPayload(token) as Record<string, unknown>;
    for (const c of ['aud', 'iss', 'tid', 'oid', 'sub', 'name', 'upn', 'iat', 'nbf', 'exp', 'scp', 'appid']) {
      assert.ok(c in claims, `claim ${c}`);
    }
    assert.equal(claims.aud, aud);
    assert.equal(claims.tid, 'tenant-1');
    assert.equal(claims.iat, Math.floor(clock.now() / 1000));
    assert.equal((claims.exp as number) - claims.iat, 600);
  });

  it('issues app-only tokens with roles and no scp', () => {
    const claims = decodeJwtPayload(
      issuer.issue({ audience: aud, roles: ['Reader'], oid: 'sp-1' }),
    ) as Record<string, unknown>;
    assert.deepEqual(claims.roles, ['Reader']);
    assert.equal(claims.scp, undefined);
    assert.equal(claims.sub, 'sp-1');
  });

  it('verifies a good token, tolerating a trailing slash and the Bearer prefix', () => {
    const token = issuer.issue({ audience: `${aud}/` });
    const r = issuer.verify(`Bearer ${token}`, aud);
    assert.equal(r.ok, true);
    assert.ok(sameAudience('https://x.example/', 'https://X.example'));
  });

  it('rejects missing, malformed, wrong-audience and badly signed tokens with the reason', () => {
    assert.deepEqual(issuer.verify(undefined, aud), { ok: false, reason: 'missing' });
    assert.deepEqual(issuer.verify('not-a-jwt', aud), { ok: false, reason: 'malformed' });
    assert.deepEqual(issuer.verify(issuer.issue({ audience: 'http://other' }), aud), {
      ok: false,
      reason: 'wrongAudience',
    });
    const stranger = new TokenIssuer({ clock, tenantId: 'tenant-1' });
    assert.deepEqual(issuer.verify(stranger.issue({ audience: aud }), aud), {
      ok: false,
      reason: 'badSignature',
    });
    const [h, , s] = issuer.issue({ audience: aud }).split('.');
    const forged = Buffer.from(JSON.stringify({ aud, exp: 9_999_999_999 })).toString('base64url');
    assert.deepEqual(issuer.verify(`${h}.${forged}.${s}`, aud), { ok: false, reason: 'badSignature' });
  });

  it('rejects a token once the sandbox clock passes exp', () => {
    const token = issuer.issue({ audience: aud, lifetimeSeconds: 60 });
    assert.equal(issuer.verify(token, aud).ok, true);
    clock.advance(61_000);
    assert.deepEqual(issuer.verify(token, aud), { ok: false, reason: 'expired' });
  });

  it('publishes a JWKS whose key verifies the tokens', async () => {
    const { createPublicKey, verify } = await import('node:crypto');
    const jwks = issuer.jwks();
    assert.equal(jwks.keys.length, 1);
    const jwk = jwks.keys[0] as Record<string, unknown>;
    assert.equal(jwk.kid, issuer.kid);
    assert.equal(jwk.alg, 'RS256');
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    const [h, p, s] = issuer.issue({ audience: aud }).split('.') as [string, string, string];
    assert.equal(verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')), true);
  });
});
