import assert from 'node:assert/strict';
import { request } from 'node:http';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { errorOf, settle, startHarness, waitFor } from './sandboxHarness';
import type { Harness } from './sandboxHarness';

/** A raw request that reports a dropped connection instead of throwing. */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<{ status: number } | { dropped: true }> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', () => resolve({ dropped: true }));
    req.end(body);
  });
}

describe('sandbox: fault injection', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  afterEach(() => h.sandbox.faults.clear());

  const faultsUrl = (): string => `${h.sandbox.url}/_sandbox/faults`;
  const post = (spec: unknown): Promise<Response> =>
    fetch(faultsUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });

  it('adds, lists and clears faults over HTTP, and validates them', async () => {
    const created = await post({
      method: 'GET',
      path: '/org/*/api/data/v9.2/workflows',
      kind: 'status',
      status: 503,
      count: 2,
    });
    assert.equal(created.status, 201);
    const fault = (await created.json()) as { id: string; hits: number };
    const listed = (await (await fetch(faultsUrl())).json()) as { value: { id: string }[] };
    assert.deepEqual(
      listed.value.map((f) => f.id),
      [fault.id],
    );
    assert.equal((await post({ path: 'no-slash', kind: 'status', status: 500 })).status, 400);
    assert.equal((await post({ path: '/x', kind: 'explode' })).status, 400);
    assert.equal((await post({ path: '/x', kind: 'status', status: 200 })).status, 400);
    assert.equal((await fetch(`${faultsUrl()}/${fault.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(`${faultsUrl()}/${fault.id}`, { method: 'DELETE' })).status, 404);
    await post({ path: '/x', kind: 'drop' });
    assert.equal((await fetch(faultsUrl(), { method: 'DELETE' })).status, 204);
    assert.deepEqual(((await (await fetch(faultsUrl())).json()) as { value: unknown[] }).value, []);
  });

  it('answers 429 with Retry-After, 500 and 503 for the next N matching requests, in the service error format', async () => {
    await post({
      method: 'GET',
      path: '/org/contoso-dev/api/data/v9.2/workflows',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 7,
      count: 1,
    });
    await post({ path: '/org/contoso-dev/api/data/v9.2/workflows', kind: 'status', status: 500, count: 1 });
    await post({ path: '/powerapps/*', kind: 'status', status: 503, count: 1 });
    const throttled = await h.dv('workflows?$select=name');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '7');
    assert.equal(errorOf(throttled).code, '0x80072322');
    const failed = await h.dv('workflows?$select=name');
    assert.equal(failed.status, 500);
    assert.match(errorOf(failed).code, /^0x/);
    assert.equal((await h.dv('workflows?$select=name')).status, 200, 'counts are used up');
    assert.equal((await h.dv('WhoAmI')).status, 200, 'other paths are untouched');
    const pa = await h.dv(
      `${h.sandbox.url}/powerapps/providers/Microsoft.PowerApps/connections?api-version=1`,
      { token: h.token(`${h.sandbox.url}/powerapps`) },
    );
    assert.equal(pa.status, 503);
    assert.equal(errorOf(pa).code, 'ServiceUnavailable');
    assert.equal(pa.headers.get('retry-after'), '1');
    const hits = h.sandbox.faults.list().map((f) => f.hits);
    assert.deepEqual(hits, [1, 1, 1]);
  });

  it('hits a seeded share of requests with a probability fault', async () => {
    h.sandbox.faults.reseed(42);
    h.sandbox.faults.add({
      path: '/org/contoso-dev/api/data/v9.2/WhoAmI',
      kind: 'status',
      status: 503,
      probability: 0.5,
    });
    let failures = 0;
    for (let i = 0; i < 40; i++) {
      if ((await h.dv('WhoAmI')).status === 503) {
        failures++;
      }
    }
    assert.ok(failures > 5 && failures < 35, `${failures} of 40`);
  });

  it('delays responses', async () => {
    h.sandbox.faults.add({
      path: '/org/contoso-dev/api/data/v9.2/WhoAmI',
      kind: 'delay',
      delayMs: 150,
      count: 1,
    });
    const started = Date.now();
    const delayed = await h.dv('WhoAmI');
    // A lower bound only: the sandbox holds the response at least that long, however busy the machine is.
    assert.ok(Date.now() - started >= 145, 'held back');
    assert.equal(delayed.status, 200, 'then answered normally');
  });

  it('drops the connection before responding', async () => {
    h.sandbox.faults.add({ path: '/org/contoso-dev/api/data/v9.2/WhoAmI', kind: 'drop', count: 1 });
    const r = await rawGet(`${h.api()}WhoAmI`, { authorization: `Bearer ${h.token()}` });
    assert.deepEqual(r, { dropped: true });
    assert.equal((await h.dv('WhoAmI')).status, 200);
  });

  it('accepts RunDesktopFlow but loses the response: the run exists, the client sees a dropped connection', async () => {
    h.sandbox.faults.add({
      method: 'POST',
      path: '/org/contoso-dev/api/data/v9.2/workflows(*)/Microsoft.Dynamics.CRM.RunDesktopFlow',
      kind: 'responseLost',
      count: 1,
    });
    const before = (
      (
        await h.dv(
          `flowsessions?$select=flowsessionid&$filter=_regardingobjectid_value eq ${seedIds.flows.quickPing}`,
        )
      ).json.value as unknown[]
    ).length;
    const r = await rawGet(
      `${h.api()}workflows(${seedIds.flows.quickPing})/Microsoft.Dynamics.CRM.RunDesktopFlow`,
      { authorization: `Bearer ${h.token()}`, 'content-type': 'application/json' },
      'POST',
      JSON.stringify({ runMode: 'unattended', connectionName: seedNames.connections.financeBots }),
    );
    assert.deepEqual(r, { dropped: true });
    const after = (
      (
        await h.dv(
          `flowsessions?$select=flowsessionid&$filter=_regardingobjectid_value eq ${seedIds.flows.quickPing}`,
        )
      ).json.value as unknown[]
    ).length;
    assert.equal(after, before + 1);
  });
});

describe('sandbox: service protection limits', () => {
  it('answers 429 0x80072322 with Retry-After when a user spends the request budget, per window', async () => {
    const h = await startHarness({
      speed: 100,
      settings: { requestBudget: { limit: 5, windowSeconds: 300 } },
    });
    try {
      for (let i = 0; i < 5; i++) {
        const ok = await h.dv('WhoAmI');
        assert.equal(ok.status, 200);
        assert.equal(ok.headers.get('x-ms-ratelimit-burst-remaining-xrm-requests'), String(4 - i));
      }
      const over = await h.dv('WhoAmI');
      assert.equal(over.status, 429);
      assert.equal(errorOf(over).code, '0x80072322');
      assert.match(errorOf(over).message, /limit of 5 over time window of 300 seconds/);
      const retryAfter = Number(over.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 3, `Retry-After ${retryAfter} real seconds at speed 100`);
      const other = h.sandbox.token(h.sandbox.orgUrl('contoso-dev'), { oid: seedIds.otherUser });
      assert.equal((await h.dv('WhoAmI', { token: other })).status, 200, 'the budget is per user');
      h.sandbox.clock.advance(300_000);
      await settle();
      assert.equal((await h.dv('WhoAmI')).status, 200, 'a new window');
    } finally {
      await h.close();
    }
  });

  it('answers 429 0x80072326 beyond the concurrent request limit', async () => {
    const h = await startHarness({ settings: { concurrentRequestLimit: 2 } });
    try {
      const fault = h.sandbox.faults.add({
        path: '/org/contoso-dev/api/data/v9.2/WhoAmI',
        kind: 'delay',
        delayMs: 1000,
        count: 2,
      });
      const slow = [h.dv('WhoAmI'), h.dv('WhoAmI')];
      const held = (): true | undefined =>
        h.sandbox.faults.list().find((f) => f.id === fault.id)?.hits === 2 ? true : undefined;
      await waitFor(held, 5000, 'two requests held');
      await settle();
      const third = await h.dv('workflows?$top=1&$select=name');
      assert.equal(third.status, 429);
      assert.equal(errorOf(third).code, '0x80072326');
      assert.deepEqual(
        (await Promise.all(slow)).map((r) => r.status),
        [200, 200],
      );
      assert.equal((await h.dv('workflows?$top=1&$select=name')).status, 200);
    } finally {
      await h.close();
    }
  });
});
