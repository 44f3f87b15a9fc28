import assert from 'node:assert/strict';
import { AccountManager } from '../../../src/core/auth/accountManager';
import { defaultPublicClientId } from '../../../src/core/auth/authTarget';
import { fetchSandboxSignIn } from '../../../src/core/auth/sandboxSignIn';
import { MemorySecretStore } from '../../../src/core/auth/secretStore';
import { HttpClient } from '../../../src/core/http/httpClient';
import type { Sandbox } from '../../../src/sandbox/server';
import { startSandbox } from '../../../src/sandbox/server';
import { defaultSandboxUser } from '../../../src/sandbox/tokens';
import { formPostBrowser, noAbort, RecordingLogger } from './identityHarness';

describe('"Try the Sandbox": signing in to a running sandbox from its URL alone', () => {
  let sandbox: Sandbox;
  let http: HttpClient;
  let manager: AccountManager;
  const logger = new RecordingLogger();

  before(async () => {
    sandbox = await startSandbox({ logger });
  });

  after(async () => {
    await sandbox.stop();
  });

  beforeEach(() => {
    http = new HttpClient({ proxy: { env: {} } });
    manager = new AccountManager({ secrets: new MemorySecretStore(), logger, proxy: { env: {} } });
  });

  afterEach(async () => {
    await manager.dispose();
    await http.close();
  });

  it('reads the identity endpoint, tenant and CA from the sandbox description', async () => {
    const { cloud, target, description } = await fetchSandboxSignIn(http, `${sandbox.url}/`, noAbort());
    assert.equal(cloud.name, 'Sandbox');
    assert.equal(target.authorityHost, sandbox.identity?.url);
    assert.equal(target.tenantId, description.tenantId);
    assert.equal(target.clientId, description.clientId ?? defaultPublicClientId);
    assert.equal(target.authorityCa, sandbox.ca);
    assert.deepEqual(target.knownAuthorities, [new URL(sandbox.identity?.url ?? '').host]);
  });

  it('signs in with a device code and lists environments from the sandbox discovery service', async () => {
    const { cloud, target } = await fetchSandboxSignIn(http, sandbox.url, noAbort());
    const polls = sandbox.identity?.tenant.stats.token.device_code ?? 0;
    const account = await manager.signInWithDeviceCode(
      target,
      // Nobody enters the code: the sandbox approved it as it issued it.
      { showCode: (info) => assert.equal(sandbox.identity?.approveDeviceCode(info.userCode), false) },
      noAbort(),
    );
    assert.equal(account.username, defaultSandboxUser.upn);
    assert.equal(
      (sandbox.identity?.tenant.stats.token.device_code ?? 0) - polls,
      1,
      'the first poll got the tokens: no polling interval waited out',
    );
    assert.equal(account.cloud, 'Sandbox');

    const api = new HttpClient({ tokens: manager.tokenProvider(account), proxy: { env: {} } });
    try {
      const instances = await api.get<{ value: { Url: string }[] }>(
        `${cloud.discoveryUrl}/api/discovery/v2.0/Instances`,
        {
          audience: cloud.discoveryResource,
          signal: noAbort(),
        },
      );
      assert.ok(instances.value.length > 0, 'the signed-in maker sees environments');
    } finally {
      await api.close();
    }
  });

  it('signs in through the browser as well', async () => {
    const { cloud, target } = await fetchSandboxSignIn(http, sandbox.url, noAbort());
    const browser = formPostBrowser(target.authorityCa ?? '');
    try {
      const account = await manager.signInInteractive(target, { openBrowser: browser.open }, noAbort());
      const token = await manager.tokenProvider(account).getToken(cloud.powerAppsResource, noAbort());
      assert.ok(sandbox.issuer.verify(token, cloud.powerAppsResource).ok);
    } finally {
      await browser.close();
    }
  });
});
