import assert from 'node:assert/strict';
import { AuthError, CancellationError } from '../../../src/core/errors';
import { HttpClient } from '../../../src/core/http/httpClient';
import type { DeviceCodeInfo } from '../../../src/core/auth/msalTokenProvider';
import { defaultSandboxUser } from '../../../src/sandbox/tokens';
import { sandboxSecondUser } from '../../../src/sandbox/identity/identitySeed';
import type { IdentityHarness } from './identityHarness';
import { findForm, noAbort, resources, startIdentityHarness } from './identityHarness';

describe('device code sign-in against the sandbox identity endpoint', () => {
  let h: IdentityHarness;

  beforeEach(async () => {
    // msal waits `interval` seconds between polls; a tenth of a second keeps the pending path quick.
    h = await startIdentityHarness({ deviceCodeIntervalSeconds: 0.1 });
  });

  afterEach(async () => {
    await h.close();
  });

  it('shows the code and the page to enter it on, and signs in once the user approves', async () => {
    const shown: DeviceCodeInfo[] = [];
    const account = await h.manager.signInWithDeviceCode(
      h.target,
      {
        showCode: (info) => {
          shown.push(info);
          assert.equal(h.identity.approveDeviceCode(info.userCode), true);
        },
      },
      noAbort(),
    );
    assert.equal(shown.length, 1);
    const info = shown[0];
    assert.ok(info);
    assert.match(info.userCode, /^[A-Z0-9]{9}$/);
    assert.equal(info.verificationUri, `${h.identity.url}/devicelogin`);
    assert.ok(info.message.includes(info.userCode) && info.message.includes(info.verificationUri));
    assert.ok(info.expiresInSeconds > 0);
    assert.equal(account.username, defaultSandboxUser.upn);
    assert.equal(account.kind, 'user');
    const token = await h.manager.tokenProvider(account).getToken(resources.contoso, noAbort());
    assert.ok(h.issuer.verify(token, resources.contoso).ok);
  });

  it('keeps polling while the user has not finished, then signs in the user chosen on the device login page', async () => {
    const browser = new HttpClient({ extraCaPem: h.identity.ca, proxy: { env: {} } });
    try {
      const account = await h.manager.signInWithDeviceCode(
        h.target,
        {
          showCode: (info) => {
            // The user opens the page on another device after the app has started polling, and
            // approves as the second user.
            void (async () => {
              for (let i = 0; i < 200 && h.identity.tenant.stats.token.device_code === 0; i++) {
                await new Promise((r) => setTimeout(r, 10));
              }
              const page = await browser.request<string>(info.verificationUri, {
                responseType: 'text',
                signal: noAbort(),
              });
              assert.equal(findForm(page.body, 'devicelogin')?.action, '/devicelogin');
              await browser.request<string>(info.verificationUri, {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                rawBody: new URLSearchParams({
                  user_code: info.userCode,
                  username: sandboxSecondUser.upn,
                  action: 'approve',
                }).toString(),
                responseType: 'text',
                signal: noAbort(),
              });
            })();
          },
        },
        noAbort(),
      );
      assert.equal(account.username, sandboxSecondUser.upn);
      // At least one poll was answered `authorization_pending` before the approval.
      assert.ok(h.identity.tenant.stats.token.device_code >= 2);
    } finally {
      await browser.close();
    }
  });

  it('can be approved through the sandbox control route', async () => {
    const control = new HttpClient({ extraCaPem: h.identity.ca, proxy: { env: {} } });
    try {
      const account = await h.manager.signInWithDeviceCode(
        h.target,
        {
          showCode: (info) => {
            void control.post(
              `${h.identity.url}/_sandbox/devicecode/approve`,
              { user_code: info.userCode },
              { signal: noAbort() },
            );
          },
        },
        noAbort(),
      );
      assert.equal(account.username, defaultSandboxUser.upn);
    } finally {
      await control.close();
    }
  });

  it('approves on its own after the configured delay, when the sandbox is set to', async () => {
    h.identity.tenant.settings.deviceCodeAutoApproveAfterMs = 30_000;
    const account = await h.manager.signInWithDeviceCode(
      h.target,
      {
        // Thirty seconds of sandbox time pass while the user reads the code.
        showCode: () => h.clock.advance(30_000),
      },
      // Without the auto-approval msal would poll on: give up (and fail) after a few seconds.
      AbortSignal.timeout(5000),
    );
    assert.equal(account.username, defaultSandboxUser.upn);
  });

  it('reports a declined sign-in as cancelled', async () => {
    await assert.rejects(
      h.manager.signInWithDeviceCode(
        h.target,
        { showCode: (info) => void h.identity.tenant.declineDeviceCode(info.userCode) },
        noAbort(),
      ),
      (e: unknown) => AuthError.is(e, 'cancelled') && e.code === 'AADSTS70018',
    );
    assert.deepEqual(await h.manager.listAccounts(noAbort()), []);
  });

  it('reports an expired code as expired', async () => {
    await assert.rejects(
      h.manager.signInWithDeviceCode(
        h.target,
        {
          showCode: () => {
            // Nobody enters the code; sandbox time runs past its 15 minutes.
            h.clock.advance(16 * 60 * 1000);
          },
        },
        noAbort(),
      ),
      (e: unknown) => AuthError.is(e, 'expired') && e.code === 'AADSTS70020',
    );
  });

  it('stops at once when the editor cancels', async () => {
    const controller = new AbortController();
    await assert.rejects(
      h.manager.signInWithDeviceCode(h.target, { showCode: () => controller.abort() }, controller.signal),
      (e: unknown) => e instanceof CancellationError,
    );
    assert.deepEqual(await h.manager.listAccounts(noAbort()), []);
  });
});
