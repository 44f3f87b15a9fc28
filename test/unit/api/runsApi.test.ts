import assert from 'node:assert/strict';
import { RunsApi, type RunDesktopFlowRequest } from '../../../src/core/api/runsApi';
import type { TokenProvider } from '../../../src/core/auth/tokenProvider';
import { ApiError } from '../../../src/core/errors';
import { HttpClient } from '../../../src/core/http/httpClient';
import { isTerminal, type Run } from '../../../src/core/model/run';
import { sleep } from '../../../src/core/util/abort';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { startFixture, type SandboxFixture } from './sandboxFixture';

describe('RunsApi (sandbox)', function () {
  let fx: SandboxFixture;
  let runs: RunsApi;
  const signal = new AbortController().signal;
  const echoRequest: RunDesktopFlowRequest = {
    runMode: 'attended',
    connectionName: seedNames.connections.makerMachine,
    inputs: JSON.stringify({ inputText: 'hello', inputInteger: 7 }),
  };

  /** Advance sandbox time and read the session until it is terminal (bounded). */
  async function finish(sessionId: string, seconds: number): Promise<Run> {
    fx.sandbox.clock.advance(seconds * 1000);
    for (let i = 0; i < 100; i++) {
      const run = await runs.getFlowSession(fx.orgs.dev, sessionId, signal);
      if (isTerminal(run.status)) {
        return run;
      }
      await sleep(10, signal);
    }
    assert.fail(`run ${sessionId} did not finish`);
  }

  before(async () => {
    fx = await startFixture();
    runs = new RunsApi(fx.http);
  });
  beforeEach(() => {
    fx.sandbox.settings.runsPerMinutePerConnection = 70;
  });
  after(async () => {
    await fx.close();
  });

  it('starts a run, reports it queued or running, then its outputs and action log once it succeeded', async () => {
    const start = await runs.runDesktopFlow(fx.orgs.dev, seedIds.flows.echoText, echoRequest, signal);
    assert.match(start.sessionId, /^[0-9a-f-]{36}$/);
    assert.equal(start.licenseCheck?.code, 'ValidLicenseCoverage');
    const early = await runs.getFlowSession(fx.orgs.dev, start.sessionId, signal);
    assert.ok(early.status === 'waiting' || early.status === 'running', early.status);
    assert.equal(early.flowId, seedIds.flows.echoText);
    assert.equal(early.trigger, 'dataverseApi');
    assert.equal(early.runMode, 'attended');
    assert.equal(await runs.getRunOutputs(fx.orgs.dev, start.sessionId, signal), undefined);

    const done = await finish(start.sessionId, 120);
    assert.equal(done.status, 'succeeded');
    assert.ok(done.startedOn && done.completedOn);
    assert.deepEqual(await runs.getRunOutputs(fx.orgs.dev, start.sessionId, signal), {
      outputText: 'hello',
      outputInteger: 7,
    });
    const log = await runs.getRunActionLogs(fx.orgs.dev, start.sessionId, signal);
    assert.deepEqual(
      log?.actions.map((a) => a.name),
      ['Set variable', 'Display message'],
    );
  });

  it("lists a flow's runs newest first, a page at a time", async () => {
    const first = await runs.runDesktopFlow(
      fx.orgs.dev,
      seedIds.flows.quickPing,
      { ...echoRequest, inputs: undefined },
      signal,
    );
    // Distinct creation times, so "newest first" has one answer.
    fx.sandbox.clock.advance(1000);
    const second = await runs.runDesktopFlow(
      fx.orgs.dev,
      seedIds.flows.quickPing,
      { ...echoRequest, inputs: undefined },
      signal,
    );
    const filter = `_regardingobjectid_value eq ${seedIds.flows.quickPing}`;
    const page1 = await runs.listFlowSessions(fx.orgs.dev, { filter, pageSize: 1 }, signal);
    assert.deepEqual(
      page1.items.map((r) => r.id),
      [second.sessionId],
    );
    assert.ok(page1.nextLink);
    const page2 = await runs.listFlowSessions(fx.orgs.dev, { nextLink: page1.nextLink, pageSize: 1 }, signal);
    assert.deepEqual(
      page2.items.map((r) => r.id),
      [first.sessionId],
    );
    const narrow = await runs.listFlowSessions(
      fx.orgs.dev,
      { filter, select: ['flowsessionid', 'statuscode'] },
      signal,
    );
    assert.equal(narrow.items.length, 2);
    assert.equal(narrow.items[0]?.flowId, undefined);
  });

  it('cancels a running run; cancelling a finished run is a typed 4xx', async () => {
    const start = await runs.runDesktopFlow(
      fx.orgs.dev,
      seedIds.flows.longReport,
      { ...echoRequest, inputs: '{}' },
      signal,
    );
    await runs.cancelRun(fx.orgs.dev, start.sessionId, signal);
    const run = await finish(start.sessionId, 0);
    assert.equal(run.status, 'cancelled');
    const again = await runs.cancelRun(fx.orgs.dev, start.sessionId, signal).catch((e: unknown) => e);
    assert.ok(ApiError.is(again, 'badRequest'), String(again));
    assert.equal(again.status, 400);
  });

  it('maps RunDesktopFlow errors: unknown flow, invalid arguments, per-connection throttling (never retried)', async () => {
    const missing = await runs
      .runDesktopFlow(fx.orgs.dev, '00000000-0000-4000-8000-000000000000', echoRequest, signal)
      .catch((e: unknown) => e);
    assert.ok(ApiError.is(missing, 'notFound'));
    const invalid = await runs
      .runDesktopFlow(fx.orgs.dev, seedIds.flows.echoText, { ...echoRequest, timeout: 999_999 }, signal)
      .catch((e: unknown) => e);
    assert.ok(ApiError.is(invalid, 'badRequest'));
    assert.ok(invalid.message.includes('timeout'));

    fx.sandbox.settings.runsPerMinutePerConnection = 1;
    const conn = {
      ...echoRequest,
      connectionName: seedNames.connections.financeBots,
      runMode: 'unattended' as const,
    };
    await runs.runDesktopFlow(fx.orgs.dev, seedIds.flows.quickPing, { ...conn, inputs: undefined }, signal);
    fx.requests.length = 0;
    const throttled = await runs
      .runDesktopFlow(fx.orgs.dev, seedIds.flows.quickPing, { ...conn, inputs: undefined }, signal)
      .catch((e: unknown) => e);
    assert.ok(ApiError.is(throttled, 'throttled'));
    assert.equal(throttled.code, '0x80072322');
    assert.ok((throttled.retryAfterSeconds ?? 0) > 0);
    assert.equal(fx.requests.length, 1);
  });

  it('says forbidden (0x80040220) when another user reads the run', async () => {
    const start = await runs.runDesktopFlow(
      fx.orgs.dev,
      seedIds.flows.quickPing,
      { ...echoRequest, inputs: undefined },
      signal,
    );
    const otherUser: TokenProvider = {
      getToken: (resource) => Promise.resolve(fx.sandbox.token(resource, { oid: seedIds.otherUser })),
    };
    const other = new HttpClient({ tokens: otherUser, proxy: { env: {} } });
    try {
      const e = await new RunsApi(other)
        .getFlowSession(fx.orgs.dev, start.sessionId, signal)
        .catch((x: unknown) => x);
      assert.ok(ApiError.is(e, 'forbidden'));
      assert.equal(e.code, '0x80040220');
      assert.ok(e.requestId);
    } finally {
      await other.close();
    }
  });

  it('treats a run without outputs yet as "no data"', async () => {
    const start = await runs.runDesktopFlow(
      fx.orgs.dev,
      seedIds.flows.longReport,
      { ...echoRequest, inputs: '{}' },
      signal,
    );
    assert.equal(await runs.getRunOutputs(fx.orgs.dev, start.sessionId, signal), undefined);
    await runs.cancelRun(fx.orgs.dev, start.sessionId, signal);
  });
});
