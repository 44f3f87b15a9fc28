import assert from 'node:assert/strict';
import { EnvironmentsApi } from '../../../src/core/api/environmentsApi';
import { ApiError } from '../../../src/core/errors';
import { seedIds } from '../../../src/sandbox/seed';
import { startFixture, type SandboxFixture } from './sandboxFixture';

describe('EnvironmentsApi (sandbox)', function () {
  let fx: SandboxFixture;
  const signal = new AbortController().signal;

  before(async () => {
    fx = await startFixture();
  });
  afterEach(async () => {
    await fx.clearFaults();
  });
  after(async () => {
    await fx.close();
  });

  it('lists every Dataverse environment with its org URL, joined with BAP for SKU and default flag', async () => {
    const envs = await new EnvironmentsApi(fx.http, fx.cloud, fx.logger).list(signal);
    const byId = new Map(envs.map((e) => [e.id.toLowerCase(), e]));
    assert.equal(envs.length, 3);
    const dev = byId.get(seedIds.environments.dev.toLowerCase());
    assert.ok(dev);
    assert.equal(dev.orgUrl, fx.orgs.dev);
    assert.equal(dev.source, 'discovery+bap');
    assert.ok(dev.sku !== undefined && dev.sku !== '');
    assert.equal(dev.isDefault, false);
    const empty = byId.get(seedIds.environments.empty.toLowerCase());
    assert.equal(empty?.isDefault, true);
    assert.equal(empty?.orgUrl, fx.orgs.empty);
    for (const e of envs) {
      assert.ok(!e.orgUrl.endsWith('/'), e.orgUrl);
    }
    assert.deepEqual(
      envs.map((e) => e.displayName),
      [...envs.map((e) => e.displayName)].sort((a, b) => a.localeCompare(b)),
    );
  });

  it('falls back to Global Discovery alone when BAP fails, and says so in the log', async () => {
    await fx.addFault({ path: '/bap/*', kind: 'status', status: 403 });
    const envs = await new EnvironmentsApi(fx.http, fx.cloud, fx.logger).list(signal);
    assert.equal(envs.length, 3);
    assert.ok(
      envs.every((e) => e.source === 'discovery' && e.sku === undefined && e.isDefault === undefined),
    );
    assert.ok(
      fx.logger.lines.some((l) => l.level === 'warn' && l.message.includes('BAP environments unavailable')),
    );
  });

  it('fails with a typed error when Global Discovery fails', async () => {
    await fx.addFault({ path: '/discovery/*', kind: 'status', status: 500 });
    await assert.rejects(
      new EnvironmentsApi(fx.http, fx.cloud).list(signal),
      (e: unknown) => ApiError.is(e, 'server') && e.status === 500,
    );
  });
});
