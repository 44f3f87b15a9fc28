import assert from 'node:assert/strict';
import { seedEnvironmentNames, seedIds, seedTenantId } from '../../../src/sandbox/seed';
import { errorOf, startHarness } from './sandboxHarness';
import type { Harness } from './sandboxHarness';

describe('sandbox: /_sandbox, discovery, BAP and bearer tokens', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ tokenLifetimeSeconds: 120 });
  });
  after(() => h.close());

  const get = (url: string, token?: string): Promise<Response> =>
    fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('describes every service base URL and each environment at /_sandbox', async () => {
    const d = (await (await get(`${h.sandbox.url}/_sandbox`)).json()) as Record<string, unknown>;
    const base = h.sandbox.url;
    assert.equal(d.baseUrl, base);
    assert.equal(d.discoveryUrl, `${base}/discovery`);
    assert.equal(d.bapUrl, `${base}/bap`);
    assert.equal(d.powerAppsUrl, `${base}/powerapps`);
    assert.equal(d.portalUrl, `${base}/portal`);
    assert.equal(d.identityUrl, `${base}/identity`);
    assert.equal(d.tenantId, seedTenantId);
    const envs = d.environments as {
      name: string;
      orgUrl: string;
      environmentId: string;
      friendlyName: string;
      inputLimitBytes: number;
    }[];
    assert.deepEqual(
      envs.map((e) => e.name),
      [seedEnvironmentNames.dev, seedEnvironmentNames.bulk, seedEnvironmentNames.empty],
    );
    assert.equal(envs[0]?.orgUrl, `${base}/org/contoso-dev`);
    assert.equal(envs[1]?.inputLimitBytes, 1024 * 1024);
    assert.equal(envs[0]?.inputLimitBytes, 2 * 1024 * 1024);
    const portal = await get(`${base}/portal`);
    assert.match(portal.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await portal.text(), /Contoso Dev/);
  });

  it('hands out tokens for an audience at /_sandbox/token, in real seconds at any clock speed', async () => {
    const org = h.sandbox.orgUrl('contoso-dev');
    const r = (await (
      await get(`${h.sandbox.url}/_sandbox/token?aud=${encodeURIComponent(`${org}/.default`)}`)
    ).json()) as Record<string, unknown>;
    assert.equal(r.token_type, 'Bearer');
    assert.equal(r.resource, org);
    assert.equal(r.expires_in, 120);
    const who = await h.dv('WhoAmI', { token: r.access_token as string });
    assert.equal(who.status, 200);
    const missing = await get(`${h.sandbox.url}/_sandbox/token`);
    assert.equal(missing.status, 400);
  });

  it('controls the clock and settings over HTTP', async () => {
    const clockUrl = `${h.sandbox.url}/_sandbox/clock`;
    const before = (await (await get(clockUrl)).json()) as { epochMs: number; speed: number };
    const advanced = (await (
      await fetch(clockUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advanceSeconds: 3600, speed: 2 }),
      })
    ).json()) as { epochMs: number; speed: number };
    assert.ok(advanced.epochMs - before.epochMs >= 3_600_000);
    assert.equal(advanced.speed, 2);
    h.sandbox.clock.setSpeed(1);
    const bad = await fetch(clockUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ speed: -1 }),
    });
    assert.equal(bad.status, 400);
    const settingsUrl = `${h.sandbox.url}/_sandbox/settings`;
    const patched = (await (
      await fetch(settingsUrl, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ cancelFinishedRun: 'noContent' }),
      })
    ).json()) as Record<string, unknown>;
    assert.equal(patched.cancelFinishedRun, 'noContent');
    assert.equal(h.sandbox.settings.cancelFinishedRun, 'noContent');
    h.sandbox.settings.cancelFinishedRun = 'error';
    const unknown = await fetch(settingsUrl, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ colour: 'red' }),
    });
    assert.equal(unknown.status, 400);
  });

  it('answers GDS Instances with the documented fields, for the discovery audience only', async () => {
    const url = `${h.sandbox.url}/discovery/api/discovery/v2.0/Instances`;
    const ok = (await (await get(url, h.token(`${h.sandbox.url}/discovery`))).json()) as {
      value: Record<string, unknown>[];
    };
    assert.equal(ok.value.length, 3);
    const dev = ok.value.find((i) => i.UrlName === 'contoso-dev') as Record<string, unknown>;
    for (const f of [
      'Id',
      'UniqueName',
      'FriendlyName',
      'Url',
      'ApiUrl',
      'EnvironmentId',
      'TenantId',
      'Region',
      'State',
      'Version',
      'StatusMessage',
    ]) {
      assert.ok(f in dev, f);
    }
    assert.equal(dev.Url, h.sandbox.orgUrl('contoso-dev'));
    assert.equal(dev.EnvironmentId, seedIds.environments.dev);
    const wrong = await get(url, h.token('contoso-dev'));
    assert.equal(wrong.status, 401);
  });

  it('gives GDS key lookups the collection shape, and filters case-sensitively', async () => {
    const token = h.token(`${h.sandbox.url}/discovery`);
    const base = `${h.sandbox.url}/discovery/api/discovery/v2.0/Instances`;
    const byId = (await (await get(`${base}(${seedIds.organizations.bulk})`, token)).json()) as Record<
      string,
      unknown
    >;
    assert.ok(Array.isArray(byId.value));
    assert.equal((byId.value as unknown[]).length, 1);
    const none = (await (await get(`${base}(UniqueName='nope')`, token)).json()) as { value: unknown[] };
    assert.deepEqual(none.value, []);
    const region = (await (await get(`${base}(Region='NA')`, token)).json()) as { value: unknown[] };
    assert.equal(region.value.length, 2);
    const sel = (await (
      await get(
        `${base}?$select=FriendlyName&$filter=${encodeURIComponent("FriendlyName eq 'Contoso Dev'")}`,
        token,
      )
    ).json()) as {
      value: Record<string, unknown>[];
    };
    assert.deepEqual(sel.value, [{ FriendlyName: 'Contoso Dev', Id: seedIds.organizations.dev }]);
    const lower = (await (
      await get(`${base}?$filter=${encodeURIComponent("FriendlyName eq 'contoso dev'")}`, token)
    ).json()) as { value: unknown[] };
    assert.deepEqual(lower.value, []);
  });

  it('lists BAP environments with a trailing slash on instanceUrl, and requires api-version', async () => {
    const token = h.token(`${h.sandbox.url}/powerapps`);
    const url = `${h.sandbox.url}/bap/providers/Microsoft.BusinessAppPlatform/environments`;
    const list = (await (await get(`${url}?api-version=2020-10-01`, token)).json()) as {
      value: Record<string, Record<string, unknown>>[];
    };
    assert.equal(list.value.length, 3);
    const dev = list.value.find((e) => e.name === (seedIds.environments.dev as unknown)) as Record<
      string,
      Record<string, unknown>
    >;
    const linked = dev.properties?.linkedEnvironmentMetadata as Record<string, unknown>;
    assert.equal(linked.instanceUrl, `${h.sandbox.orgUrl('contoso-dev')}/`);
    const def = list.value.find((e) => e.properties?.isDefault === true) as Record<string, unknown>;
    assert.equal(def.name, `Default-${seedTenantId}`);
    const one = await get(`${url}/${seedIds.environments.bulk}?api-version=2020-10-01`, token);
    assert.equal(one.status, 200);
    const noVersion = await get(url, token);
    assert.equal(noVersion.status, 400);
    assert.equal(
      ((await noVersion.json()) as { error: { code: string } }).error.code,
      'MissingApiVersionParameter',
    );
    const unknown = await get(`${url}/nope?api-version=1`, token);
    assert.equal(unknown.status, 404);
  });

  it('answers WhoAmI with the caller as a systemuser of the org', async () => {
    const r = await h.dv('WhoAmI');
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json).sort(), [
      '@odata.context',
      'BusinessUnitId',
      'OrganizationId',
      'UserId',
    ]);
    assert.equal(r.json.OrganizationId, seedIds.organizations.dev);
    const post = await h.dv('WhoAmI', { method: 'POST', body: {} });
    assert.equal(post.status, 404);
    assert.equal(errorOf(post).code, '');
  });

  it('refuses missing, expired and wrong-audience tokens with 401 and WWW-Authenticate', async () => {
    const missing = await h.dv('WhoAmI', { token: '' });
    assert.equal(missing.status, 401);
    const challenge = missing.headers.get('www-authenticate') ?? '';
    assert.match(challenge, new RegExp(`^Bearer authorization_uri=.*/${seedTenantId}/oauth2/authorize`));
    assert.ok(challenge.includes(`resource_id=${h.sandbox.orgUrl('contoso-dev')}`));
    assert.ok('code' in errorOf(missing));

    const otherOrg = await h.dv('WhoAmI', { token: h.token('contoso-bulk') });
    assert.equal(otherOrg.status, 401);
    assert.match(errorOf(otherOrg).message, /different audience/);

    const garbage = await h.dv('WhoAmI', { token: 'abc.def.ghi' });
    assert.equal(garbage.status, 401);

    const shortLived = h.sandbox.token(h.sandbox.orgUrl('contoso-dev'), { lifetimeSeconds: 30 });
    assert.equal((await h.dv('WhoAmI', { token: shortLived })).status, 200);
    h.sandbox.clock.advance(31_000);
    const expired = await h.dv('WhoAmI', { token: shortLived });
    assert.equal(expired.status, 401);
    assert.match(errorOf(expired).message, /expired/);

    const bap = await get(
      `${h.sandbox.url}/bap/providers/Microsoft.BusinessAppPlatform/environments?api-version=1`,
    );
    assert.equal(bap.status, 401);
    assert.match(bap.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.equal(((await bap.json()) as { error: { code: string } }).error.code, 'AuthenticationFailed');
  });

  it('serves Dataverse on the ApiUrl host path too, with the org URL as audience', async () => {
    const r = await fetch(`${h.sandbox.url}/orgapi/contoso-dev/api/data/v9.2/WhoAmI`, {
      headers: { authorization: `Bearer ${h.token('contoso-dev')}` },
    });
    assert.equal(r.status, 200);
  });

  it('answers unknown hosts paths and orgs with 404', async () => {
    assert.equal((await get(`${h.sandbox.url}/nothing-here`)).status, 404);
    const r = await fetch(`${h.sandbox.url}/org/nope/api/data/v9.2/WhoAmI`);
    assert.equal(r.status, 404);
  });
});

describe('sandbox: identity endpoint wiring', () => {
  it('starts the HTTPS identity endpoint and publishes its URL and CA', async () => {
    const h = await startHarness({ identity: true });
    try {
      const d = h.sandbox.describe();
      assert.match(d.identityUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(d.hasCa, true);
      const pem = await (await fetch(`${h.sandbox.url}/_sandbox/ca.pem`)).text();
      assert.match(pem, /BEGIN CERTIFICATE/);
      assert.equal(pem, h.sandbox.ca);
      const r = await h.dv('WhoAmI', { token: '' });
      assert.ok(
        (r.headers.get('www-authenticate') ?? '').includes(
          `authorization_uri=${d.identityUrl}/${seedTenantId}/oauth2/authorize`,
        ),
      );
    } finally {
      await h.close();
    }
  });
});
