import assert from 'node:assert/strict';
import { DesktopFlowsApi } from '../../../src/core/api/desktopFlowsApi';
import { RunsApi, type RunDesktopFlowRequest } from '../../../src/core/api/runsApi';
import { ApiError, CancellationError } from '../../../src/core/errors';
import { HttpClient } from '../../../src/core/http/httpClient';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { startCountingProxy } from '../http/loopbackServer';
import { startFixture, type SandboxFixture } from './sandboxFixture';

const workflowsPath = '/org/*/api/data/v9.2/workflows';
const runActionPath = '/org/*/api/data/v9.2/workflows(*)/Microsoft.Dynamics.CRM.RunDesktopFlow';

describe('faults, retries and transport settings (sandbox)', function () {
  let fx: SandboxFixture;
  const signal = new AbortController().signal;
  const request: RunDesktopFlowRequest = {
    runMode: 'attended',
    connectionName: seedNames.connections.makerMachine,
  };

  async function sessionCount(): Promise<number> {
    const runs = new RunsApi(fx.http);
    let count = 0;
    let page = await runs.listFlowSessions(
      fx.orgs.dev,
      { filter: `_regardingobjectid_value eq ${seedIds.flows.quickPing}`, pageSize: 500 },
      signal,
    );
    count += page.items.length;
    while (page.nextLink !== undefined) {
      page = await runs.listFlowSessions(fx.orgs.dev, { nextLink: page.nextLink }, signal);
      count += page.items.length;
    }
    return count;
  }

  before(async () => {
    fx = await startFixture();
  });
  beforeEach(() => {
    fx.requests.length = 0;
    fx.logger.lines.length = 0;
  });
  afterEach(async () => {
    await fx.clearFaults();
  });
  after(async () => {
    await fx.close();
  });

  describe('idempotent reads are retried', () => {
    it('waits out an injected 429 for its Retry-After, then lists the flows', async () => {
      const id = await fx.addFault({
        method: 'GET',
        path: workflowsPath,
        kind: 'status',
        status: 429,
        retryAfterSeconds: 1,
        count: 1,
      });
      const flows = await new DesktopFlowsApi(fx.http).listAll(fx.orgs.dev, {}, signal);
      assert.ok(flows.length > 0);
      assert.equal(await fx.faultHits(id), 1);
      assert.equal(fx.requests.length, 2);
      assert.ok(
        fx.logger.lines.some((l) => l.level === 'info' && l.message.includes('-> 429, retrying in 1000 ms')),
      );
    });

    it('retries through 503s and a dropped connection', async () => {
      const unavailable = await fx.addFault({
        method: 'GET',
        path: workflowsPath,
        kind: 'status',
        status: 503,
        retryAfterSeconds: 0,
        count: 2,
      });
      const dropped = await fx.addFault({
        method: 'GET',
        path: '/org/*/api/data/v9.2/flowmachines',
        kind: 'drop',
        count: 1,
      });
      assert.ok((await new DesktopFlowsApi(fx.http).listAll(fx.orgs.dev, {}, signal)).length > 0);
      const machines = await fx.http.request<{ value: unknown[] }>(
        `${fx.orgs.dev}/api/data/v9.2/flowmachines`,
        { audience: fx.orgs.dev, signal },
      );
      assert.ok(machines.body.value.length > 0);
      assert.equal(machines.attempts, 2);
      assert.equal(await fx.faultHits(unavailable), 2);
      assert.equal(await fx.faultHits(dropped), 1);
    });

    it('gives up after the configured attempts with the service error', async () => {
      await fx.addFault({ method: 'GET', path: workflowsPath, kind: 'status', status: 502 });
      const client = fx.client({ maxAttempts: 2 });
      const e = await new DesktopFlowsApi(client).listAll(fx.orgs.dev, {}, signal).catch((x: unknown) => x);
      assert.ok(ApiError.is(e, 'server'));
      assert.equal(e.status, 502);
    });
  });

  describe('RunDesktopFlow is never retried blindly', () => {
    it('a connection dropped before the service answered: may have reached it, one attempt, no run', async () => {
      const before = await sessionCount();
      const id = await fx.addFault({ method: 'POST', path: runActionPath, kind: 'drop', count: 1 });
      const e = await new RunsApi(fx.http)
        .runDesktopFlow(fx.orgs.dev, seedIds.flows.quickPing, request, signal)
        .catch((x: unknown) => x);
      assert.ok(ApiError.is(e, 'network'));
      assert.equal(e.mayHaveReachedService, true);
      assert.equal(await fx.faultHits(id), 1);
      assert.equal(await sessionCount(), before);
    });

    it('a lost response after the run was queued: may have reached it, one attempt, exactly one run', async () => {
      const before = await sessionCount();
      const id = await fx.addFault({ method: 'POST', path: runActionPath, kind: 'responseLost', count: 1 });
      const e = await new RunsApi(fx.http)
        .runDesktopFlow(fx.orgs.dev, seedIds.flows.quickPing, request, signal)
        .catch((x: unknown) => x);
      assert.ok(ApiError.is(e, 'network'));
      assert.equal(e.mayHaveReachedService, true);
      assert.equal(await fx.faultHits(id), 1);
      assert.equal(await sessionCount(), before + 1);
    });

    it('a 503 answer is returned as is, not retried', async () => {
      const id = await fx.addFault({
        method: 'POST',
        path: runActionPath,
        kind: 'status',
        status: 503,
        count: 1,
      });
      const e = await new RunsApi(fx.http)
        .runDesktopFlow(fx.orgs.dev, seedIds.flows.quickPing, request, signal)
        .catch((x: unknown) => x);
      assert.ok(ApiError.is(e, 'server'));
      assert.equal(e.status, 503);
      assert.equal(await fx.faultHits(id), 1);
    });
  });

  describe('tokens', () => {
    it('replaces a token the service rejects (401) and retries once', async () => {
      let handedOut = 0;
      const invalidated: string[] = [];
      const client = new HttpClient({
        proxy: { env: {} },
        tokens: {
          // The first token is already expired; the sandbox answers 401 with WWW-Authenticate.
          getToken: (resource) =>
            Promise.resolve(
              handedOut++ === 0
                ? fx.sandbox.token(resource, { lifetimeSeconds: -60 })
                : fx.sandbox.token(resource),
            ),
          invalidate: (_resource, token) => void invalidated.push(token),
        },
      });
      try {
        const flow = await new DesktopFlowsApi(client).get(fx.orgs.dev, seedIds.flows.echoText, signal);
        assert.equal(flow.id, seedIds.flows.echoText);
        assert.equal(handedOut, 2);
        assert.equal(invalidated.length, 1);
      } finally {
        await client.close();
      }
    });

    it('says unauthorized when every token is rejected', async () => {
      const client = new HttpClient({
        proxy: { env: {} },
        tokens: { getToken: () => Promise.resolve('not-a-token') },
      });
      try {
        const e = await new DesktopFlowsApi(client)
          .get(fx.orgs.dev, seedIds.flows.echoText, signal)
          .catch((x: unknown) => x);
        assert.ok(ApiError.is(e, 'unauthorized'));
        assert.equal(e.status, 401);
      } finally {
        await client.close();
      }
    });

    it('caches sandbox tokens per audience', async () => {
      await new DesktopFlowsApi(fx.http).get(fx.orgs.dev, seedIds.flows.echoText, signal);
      const first = await fx.tokens.getToken(fx.orgs.dev, signal);
      assert.equal(await fx.tokens.getToken(`${fx.orgs.dev}/`, signal), first);
      assert.notEqual(await fx.tokens.getToken(fx.cloud.powerAppsResource, signal), first);
    });
  });

  it('aborts a slow request mid-flight', async () => {
    await fx.addFault({ method: 'GET', path: workflowsPath, kind: 'delay', delayMs: 3000, count: 1 });
    const controller = new AbortController();
    const pending = new DesktopFlowsApi(fx.http).listAll(fx.orgs.dev, {}, controller.signal);
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending, (e: unknown) => e instanceof CancellationError);
  });

  it('never sends sandbox (loopback) traffic through a proxy unless <-loopback> asks for it', async () => {
    const proxy = await startCountingProxy();
    try {
      const env = { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url };
      const direct = fx.client({ proxy: { url: proxy.url, env } });
      const runs = new RunsApi(direct);
      assert.ok((await new DesktopFlowsApi(direct).listAll(fx.orgs.dev, {}, signal)).length > 0);
      const start = await runs.runDesktopFlow(fx.orgs.dev, seedIds.flows.quickPing, request, signal);
      assert.ok(start.sessionId);
      assert.equal(proxy.tunnels.length + proxy.forwarded.length + proxy.authorizations.length, 0);
    } finally {
      await proxy.close();
    }
  });

  it('sends requests through a configured proxy, and not for NO_PROXY hosts', async () => {
    const proxy = await startCountingProxy();
    try {
      const via = fx.client({ proxy: { url: proxy.url, noProxy: '<-loopback>', env: {} } });
      assert.ok((await new DesktopFlowsApi(via).listAll(fx.orgs.dev, {}, signal)).length > 0);
      const tunnels = proxy.tunnels.length;
      assert.ok(tunnels >= 1);
      assert.ok(proxy.tunnels.every((t) => t === new URL(fx.sandbox.url).host));
      const bypass = fx.client({
        proxy: {
          env: { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1,<-loopback>' },
        },
      });
      assert.ok((await new DesktopFlowsApi(bypass).listAll(fx.orgs.dev, {}, signal)).length > 0);
      assert.equal(proxy.tunnels.length, tunnels);
    } finally {
      await proxy.close();
    }
  });
});
