import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ApiError, CancellationError } from '../../../src/core/errors';
import type { HttpClientOptions } from '../../../src/core/http/httpClient';
import { RunError } from '../../../src/core/runs/runErrors';
import type { RunOptions } from '../../../src/core/runs/runOptions';
import type { RunsBackend } from '../../../src/core/runs/runsBackend';
import type { RunServiceOptions } from '../../../src/core/runs/runService';
import {
  financeUnattended,
  flows,
  makerAttended,
  RunsFixture,
  startTestRun,
  testPreparedRun,
  type RunsHarness,
  type RunsSetup,
} from './runsHarness';

const signal = new AbortController().signal;
const runAction = '/org/contoso-dev/api/data/v9.2/workflows(*)/Microsoft.Dynamics.CRM.RunDesktopFlow';
const sessions = '/org/contoso-dev/api/data/v9.2/flowsessions';

type Setup = RunsSetup;

// Slow polling: these tests are about starting runs, not watching them.
const fixture = new RunsFixture({ minMs: 60_000, maxMs: 600_000 });

function setup(
  speed: number,
  backend?: (h: RunsHarness) => RunsBackend,
  http?: HttpClientOptions,
  serviceOptions: Pick<RunServiceOptions, 'resendWhenUncertain'> = {},
): Promise<Setup> {
  return fixture.setup(speed, {
    ...(backend === undefined ? {} : { backend }),
    ...(http === undefined ? {} : { http }),
    service: serviceOptions,
  });
}

function runIdsInSandbox(h: RunsHarness): Set<string> {
  return new Set(h.dev.runs.keys());
}

function posts(h: RunsHarness): number {
  return h.requests.filter((r) => r.method === 'POST' && r.url.includes('RunDesktopFlow')).length;
}

function lookups(h: RunsHarness): number {
  return h.requests.filter(
    (r) => r.method === 'GET' && decodeURIComponent(r.url).includes('_regardingobjectid_value eq'),
  ).length;
}

/** A port nothing listens on: connecting is refused, so a request surely never reaches a service. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('runs: exactly-once trigger (sandbox)', function () {
  this.timeout(20_000);
  let s: Setup | undefined;
  afterEach(() => {
    s?.service.dispose();
    s = undefined;
  });
  after(() => fixture.stop());

  it('starts exactly one run per request when 100 responses are lost: no duplicate, none lost', async () => {
    s = await setup(300);
    s.h.sandbox.faults.add({ method: 'POST', path: runAction, kind: 'responseLost', count: 100 });
    const before = runIdsInSandbox(s.h);
    // Same flow and same inputs on two connections at once: the hard case for telling runs apart.
    const inputs = JSON.stringify({ inputText: 'same', inputInteger: 7 });
    const requests = Array.from({ length: 100 }, (_, i) =>
      startTestRun(
        s!.service,
        {
          environment: s!.h.environment,
          flowId: flows.echoText,
          options: i % 2 === 0 ? makerAttended : financeUnattended,
          inputs,
        },
        signal,
      ),
    );
    const started = await Promise.all(requests);

    assert.equal(s.h.sandbox.faults.list()[0]?.hits, 100, 'every response was lost');
    assert.equal(posts(s.h), 100, 'no request was sent twice');
    const created = [...runIdsInSandbox(s.h)].filter((id) => !before.has(id));
    assert.equal(created.length, 100, 'the service holds exactly 100 new runs');
    const returned = new Set(started.map((r) => r.runId));
    assert.equal(returned.size, 100, 'no run was attributed twice');
    assert.deepEqual([...returned].sort(), [...created].sort(), 'every created run was found');
    assert.ok(started.every((r) => r.reconciled && r.attempts === 1));
    // Each run was attributed to a request on its own connection and run mode.
    const dev = s.h.dev;
    for (const r of started) {
      const row: Record<string, unknown> | undefined = dev.runs.get(r.runId)?.row;
      assert.equal(
        row?.connectionid,
        r.options.connection.kind === 'connection' ? r.options.connection.name : undefined,
      );
      assert.equal(row?.runmode, r.options.runMode === 'attended' ? 1 : 2);
    }
    assert.equal(s.log.of('triggered').filter((e) => e.reconciled).length, 100);
  });

  it('sends again, once, when the lookups show the lost request created nothing', async () => {
    s = await setup(300);
    // Dropped before the service processed it: the client cannot tell this from a lost response.
    s.h.sandbox.faults.add({ method: 'POST', path: runAction, kind: 'drop', count: 1 });
    const before = runIdsInSandbox(s.h);
    const run = await startTestRun(
      s.service,
      { environment: s.h.environment, flowId: flows.quickPing, options: makerAttended },
      signal,
    );
    assert.equal(run.attempts, 2);
    assert.equal(run.reconciled, false);
    assert.equal(posts(s.h), 2);
    // It kept looking until the service's clock (its Date header) passed the maximum request time.
    assert.ok(lookups(s.h) >= 2, `looked ${lookups(s.h)} time(s) before sending again`);
    const whoAmI = s.h.requests.filter((r) => r.method === 'GET' && r.url.includes('/WhoAmI'));
    assert.ok(whoAmI.length >= 2, 'read the service clock before sending and while looking');
    assert.deepEqual(
      [...runIdsInSandbox(s.h)].filter((id) => !before.has(id)),
      [run.runId],
    );
  });

  it('sends again without looking when the request surely never left (connection refused)', async () => {
    const port = await closedPort();
    let calls = 0;
    s = await setup(300, (h) => {
      const dead = h.backendWith({
        http: { maxAttempts: 1 },
        orgUrl: `http://127.0.0.1:${port}/org/contoso-dev`,
      });
      return delegate(h.backend, {
        startRun: (f, r, sig) => (++calls === 1 ? dead : h.backend).startRun(f, r, sig),
      });
    });
    const run = await startTestRun(
      s.service,
      { environment: s.h.environment, flowId: flows.quickPing, options: makerAttended },
      signal,
    );
    assert.equal(run.attempts, 2);
    assert.equal(lookups(s.h), 0, 'nothing to reconcile');
    assert.equal(posts(s.h), 2, 'one refused, one accepted');
    assert.equal(s.h.requests[0]?.status, undefined, 'the first attempt got no response at all');
  });

  it('sends again without looking when the name of the service does not resolve (DNS failure)', async () => {
    let calls = 0;
    s = await setup(300, (h) => {
      // `.invalid` never resolves (RFC 2606), online or offline; no proxy may answer for it instead.
      const unresolvable = h.backendWith({
        http: { maxAttempts: 1, connectTimeoutMs: 5_000, proxy: { env: {} } },
        orgUrl: 'https://does-not-exist.invalid/org/contoso-dev',
      });
      return delegate(h.backend, {
        startRun: (f, r, sig) => (++calls === 1 ? unresolvable : h.backend).startRun(f, r, sig),
      });
    });
    const before = runIdsInSandbox(s.h);
    const run = await startTestRun(
      s.service,
      { environment: s.h.environment, flowId: flows.quickPing, options: makerAttended },
      signal,
    );
    const first = s.h.requests[0];
    assert.ok(first?.url.startsWith('https://does-not-exist.invalid/'), first?.url);
    assert.equal(first?.status, undefined, 'the first attempt got no response at all');
    assert.equal(run.attempts, 2);
    assert.equal(run.reconciled, false);
    assert.equal(lookups(s.h), 0, 'nothing to reconcile: the request never left this machine');
    assert.equal(posts(s.h), 2, 'one unresolved, one accepted');
    assert.deepEqual(
      [...runIdsInSandbox(s.h)].filter((id) => !before.has(id)),
      [run.runId],
    );
  });

  for (const resendWhenUncertain of [false, true]) {
    it(`a lost request that created nothing, resendWhenUncertain ${String(resendWhenUncertain)}: ${resendWhenUncertain ? 'sent again once, after the look-up window' : 'outcome unknown, never sent twice'}`, async () => {
      s = await setup(300, undefined, undefined, { resendWhenUncertain });
      // Dropped before the service processed it: no run exists, but the client cannot know that.
      s.h.sandbox.faults.add({ method: 'POST', path: runAction, kind: 'drop', count: 1 });
      const before = runIdsInSandbox(s.h);
      const started = startTestRun(
        s.service,
        { environment: s.h.environment, flowId: flows.quickPing, options: makerAttended },
        signal,
      );
      const created = (): string[] => [...runIdsInSandbox(s!.h)].filter((id) => !before.has(id));
      if (!resendWhenUncertain) {
        await assert.rejects(
          started,
          (e: unknown) =>
            RunError.is(e, 'outcomeUnknown') &&
            e.candidateRunIds.length === 0 &&
            e.since !== undefined &&
            ApiError.is(e.cause) &&
            e.cause.mayHaveReachedService,
        );
        assert.equal(posts(s.h), 1, 'never sent a second time');
        assert.deepEqual(created(), [], 'no run exists');
      } else {
        const run = await started;
        assert.equal(run.attempts, 2);
        assert.equal(run.reconciled, false);
        assert.equal(posts(s.h), 2);
        assert.deepEqual(created(), [run.runId], 'exactly one run exists');
      }
      // Either way it kept looking for the run until the look-up window had passed before deciding.
      assert.ok(lookups(s.h) >= 2, `looked ${lookups(s.h)} time(s) before deciding`);
      const lastLookup = s.h.requests.filter(
        (r) => r.method === 'GET' && decodeURIComponent(r.url).includes('_regardingobjectid_value eq'),
      );
      const firstPost = s.h.requests.find((r) => r.method === 'POST' && r.url.includes('RunDesktopFlow'));
      assert.ok(
        firstPost !== undefined && (lastLookup.at(-1)?.at ?? 0) - firstPost.at >= 150_000 - 5_000,
        "the last look-up came once the service's maximum request time had passed",
      );
    });
  }

  it("a start's own resendWhenUncertain wins over the service's (a setting changed after the service started)", async () => {
    for (const [serviceDefault, perStart] of [
      [true, false],
      [false, true],
    ] as const) {
      s?.service.dispose();
      s = await setup(300, undefined, undefined, { resendWhenUncertain: serviceDefault });
      s.h.sandbox.faults.add({ method: 'POST', path: runAction, kind: 'drop', count: 1 });
      const started = s.service.start(
        testPreparedRun({ environment: s.h.environment, flowId: flows.quickPing, options: makerAttended }),
        signal,
        { resendWhenUncertain: perStart },
      );
      if (perStart) {
        assert.equal((await started).attempts, 2);
        assert.equal(posts(s.h), 2, 'sent again, as this start asked');
      } else {
        await assert.rejects(started, (e: unknown) => RunError.is(e, 'outcomeUnknown'));
        assert.equal(posts(s.h), 1, 'not sent again, as this start asked');
      }
    }
  });

  it('raises a rejection (4xx) at once, without sending again', async () => {
    s = await setup(300);
    const before = runIdsInSandbox(s.h);
    const unknown: RunOptions = {
      connection: { kind: 'connection', name: 'shared-uiflow-does-not-exist' },
      runMode: 'attended',
    };
    await assert.rejects(
      startTestRun(
        s.service,
        { environment: s.h.environment, flowId: flows.quickPing, options: unknown },
        signal,
      ),
      (e: unknown) => ApiError.is(e, 'badRequest') && e.status === 400,
    );
    assert.equal(posts(s.h), 1);
    assert.equal(lookups(s.h), 0);
    assert.equal(runIdsInSandbox(s.h).size, before.size);
  });

  it('refuses invalid options before sending anything', async () => {
    s = await setup(300);
    await assert.rejects(
      startTestRun(
        s.service,
        {
          environment: s.h.environment,
          flowId: flows.quickPing,
          options: { ...makerAttended, timeoutSeconds: 90_000 },
        },
        signal,
      ),
      (e: unknown) => RunError.is(e, 'invalidOptions') && e.problems[0]?.field === 'timeoutSeconds',
    );
    assert.equal(s.h.requests.length, 0);
  });

  it('honours a 429 from the service: waits for Retry-After, says so, then starts the run once', async () => {
    s = await setup(300);
    s.h.sandbox.faults.add({
      method: 'POST',
      path: runAction,
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
      count: 1,
    });
    const run = await startTestRun(
      s.service,
      {
        environment: s.h.environment,
        flowId: flows.quickPing,
        flowName: 'Quick Ping',
        options: makerAttended,
        triggerId: 'my-trigger',
      },
      signal,
    );
    const [wait] = s.log.of('waitingForRateLimit');
    assert.equal(wait?.reason, 'serviceThrottled');
    assert.equal(wait?.triggerId, 'my-trigger');
    assert.equal(wait?.flowName, 'Quick Ping');
    const throttled = s.h.requests.find((r) => r.status === 429);
    assert.ok(
      // Retry-After is real seconds (docs/service-contract.md): 1 s is 300 s of sandbox time at speed 300.
      throttled !== undefined && (wait?.until ?? 0) >= throttled.at + 300_000,
      'waits Retry-After from the 429',
    );
    const triggered = s.log.of('triggered', run.runId)[0];
    assert.ok((triggered?.at ?? 0) >= (wait?.until ?? Infinity), 'sent again only after the wait');
    assert.equal(run.attempts, 2);
    assert.equal(posts(s.h), 2);
  });

  it('keeps each connection under 70 runs per minute: the 71st waits for the window, and the service never says 429', async () => {
    s = await setup(1);
    // Sandbox time all but stands still while the 71 requests go out, so the first 70 surely fall in one
    // minute whatever the machine's load; it runs fast again once the 71st is waiting.
    s.h.sandbox.clock.setSpeed(0.001);
    // Ten flows in parallel (triggers of one flow on one connection are serialized), one connection.
    const published = [
      flows.echoText,
      flows.invoice,
      flows.echoAllTypes,
      flows.legacySchema,
      flows.scrapePortal,
      flows.longReport,
      flows.nightlyBatch,
      flows.quickPing,
      flows.exportTable,
      flows.credentials,
    ];
    const pending = Promise.all(
      Array.from({ length: 71 }, (_, i) =>
        startTestRun(
          s!.service,
          {
            environment: s!.h.environment,
            flowId: published[i % published.length] as string,
            options: financeUnattended,
            triggerId: `t${i}`,
          },
          signal,
        ),
      ),
    );
    await s.log.until(
      () => s!.log.of('waitingForRateLimit').length > 0 && posts(s!.h) === 70,
      'the first 70 to be answered and the 71st to wait',
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(posts(s.h), 70, 'the 71st is held back');
    s.h.sandbox.clock.setSpeed(600);
    const all = await pending;
    const statuses = s.h.requests.filter((r) => r.url.includes('RunDesktopFlow')).map((r) => r.status);
    assert.equal(statuses.length, 71);
    assert.ok(
      statuses.every((st) => st === 200),
      'no 429 from the service',
    );
    const waits = s.log.of('waitingForRateLimit');
    assert.equal(waits.length, 1, 'exactly one request waited');
    assert.equal(waits[0]?.reason, 'connectionLimit');
    const times = s.log
      .of('triggered')
      .map((e) => e.at)
      .sort((a, b) => a - b);
    assert.ok((times[70] ?? 0) - (times[0] ?? 0) >= 60_000, 'the 71st went out a minute after the first');
    assert.equal(new Set(all.map((r) => r.runId)).size, 71);
  });

  it('surfaces a licence check that is not valid coverage as a warning; the run still starts', async () => {
    s = await setup(300);
    s.h.dev.seed.licenseCheck = 'AttendedNoLicense';
    const run = await startTestRun(
      s.service,
      { environment: s.h.environment, flowId: flows.quickPing, options: makerAttended },
      signal,
    );
    assert.deepEqual(
      s.log.of('licenseWarning').map((e) => [e.runId, e.licenseCheck.code]),
      [[run.runId, 'AttendedNoLicense']],
    );
    assert.equal(run.licenseCheck?.code, 'AttendedNoLicense');
  });

  it('neither resends nor pretends when the outcome cannot be confirmed', async () => {
    s = await setup(300, undefined, { maxAttempts: 1 });
    s.h.sandbox.faults.add({ method: 'POST', path: runAction, kind: 'responseLost', count: 1 });
    s.h.sandbox.faults.add({ method: 'GET', path: sessions, kind: 'status', status: 503, count: 50 });
    const before = runIdsInSandbox(s.h);
    await assert.rejects(
      startTestRun(
        s.service,
        { environment: s.h.environment, flowId: flows.quickPing, options: makerAttended },
        signal,
      ),
      (e: unknown) => RunError.is(e, 'outcomeUnknown') && ApiError.is(e.cause, 'server'),
    );
    assert.equal(posts(s.h), 1, 'never sent twice');
    assert.equal([...runIdsInSandbox(s.h)].filter((id) => !before.has(id)).length, 1, 'the one run exists');
  });

  it('returns and watches a run whose request was sent, even if the caller cancels meanwhile', async () => {
    const abort = new AbortController();
    // The caller gives up at the very moment the request goes out.
    s = await setup(300, (h) =>
      delegate(h.backend, {
        startRun: (flowId, body, sig) => {
          const sent = h.backend.startRun(flowId, body, sig);
          abort.abort();
          return sent;
        },
      }),
    );
    const run = await startTestRun(
      s.service,
      { environment: s.h.environment, flowId: flows.quickPing, options: makerAttended },
      abort.signal,
    );
    assert.ok(abort.signal.aborted);
    assert.ok(
      s.service.activeRuns().some((r) => r.runId === run.runId),
      'the run is watched, not lost',
    );
  });

  it("keeps looking until the service's maximum request time: a run the service creates after the client gave up is found, not started twice", async () => {
    // Issue 11: a request the service finishes 35 s to 2 min later became two runs (lookups at +0, +2 and
    // +5 s, then a resend). At speed 50: the client gives up after 30 s of service time (0.6 s real, the
    // CLI's response timeout), the service creates the run after 100 s (2 s real) and ends requests at 2 min.
    const speed = 50;
    s = await setup(speed, (h) => {
      const impatient = h.backendWith({ http: { headersTimeoutMs: 30_000 / speed, maxAttempts: 1 } });
      return delegate(h.backend, {
        startRun: (...a) => impatient.startRun(...a),
        whoAmI: (sig) => h.backend.whoAmI!(sig),
      });
    });
    s.h.sandbox.faults.add({
      method: 'POST',
      path: runAction,
      kind: 'stall',
      delayMs: 100_000 / speed,
      count: 1,
    });
    const before = runIdsInSandbox(s.h);
    const sentAt = s.h.sandbox.clock.now();
    const run = await startTestRun(
      s.service,
      { environment: s.h.environment, flowId: flows.quickPing, options: makerAttended },
      signal,
    );
    const created = [...runIdsInSandbox(s.h)].filter((id) => !before.has(id));
    assert.deepEqual(created, [run.runId], 'one run, and it is the one returned');
    assert.equal(posts(s.h), 1, 'never sent twice');
    assert.equal(run.attempts, 1);
    assert.equal(run.reconciled, true, 'found by looking, after the answer timed out');
    const createdOn = Date.parse(String(s.h.dev.runs.get(run.runId)?.row.createdon));
    assert.ok(
      createdOn - sentAt >= 60_000,
      `the service created it ${Math.round((createdOn - sentAt) / 1000)} s after the request was sent`,
    );
  });

  it("places the lost run on the service's clock (its Date header), not ours: found with our clock an hour ahead", async () => {
    // Issue 11: reconciliation looked back 120 s from the local clock, so with a skewed clock it missed the
    // run and sent the request again.
    s = await fixture.setup(300, {
      service: (h) => ({
        clock: { now: () => h.clock.now() + 3_600_000, sleep: (ms, sig) => h.clock.sleep(ms, sig) },
      }),
    });
    s.h.sandbox.faults.add({ method: 'POST', path: runAction, kind: 'responseLost', count: 1 });
    const before = runIdsInSandbox(s.h);
    const run = await startTestRun(
      s.service,
      { environment: s.h.environment, flowId: flows.quickPing, options: makerAttended },
      signal,
    );
    assert.deepEqual([run.reconciled, run.attempts, posts(s.h)], [true, 1, 1]);
    assert.deepEqual(
      [...runIdsInSandbox(s.h)].filter((id) => !before.has(id)),
      [run.runId],
    );
  });

  it('gives up waiting for the rate limit when cancelled, without sending', async () => {
    s = await setup(1);
    for (let i = 0; i < 70; i++) {
      await startTestRun(
        s.service,
        { environment: s.h.environment, flowId: flows.quickPing, options: financeUnattended },
        signal,
      );
    }
    const abort = new AbortController();
    const waiting = startTestRun(
      s.service,
      { environment: s.h.environment, flowId: flows.quickPing, options: financeUnattended },
      abort.signal,
    );
    await s.log.until(() => s!.log.of('waitingForRateLimit').length === 1, 'the wait');
    abort.abort();
    await assert.rejects(waiting, CancellationError);
    assert.equal(posts(s.h), 70);
  });
});

/** A backend that forwards everything to `base` except the given overrides. */
function delegate(base: RunsBackend, overrides: Partial<RunsBackend>): RunsBackend {
  return {
    startRun: overrides.startRun ?? ((...a) => base.startRun(...a)),
    ...(overrides.whoAmI === undefined ? {} : { whoAmI: overrides.whoAmI }),
    listRuns: (...a) => base.listRuns(...a),
    listRunsPage: (...a) => base.listRunsPage(...a),
    getRun: (...a) => base.getRun(...a),
    getRunOutputs: (...a) => base.getRunOutputs(...a),
    getRunInputs: (...a) => base.getRunInputs(...a),
    getActionLog: (...a) => base.getActionLog(...a),
    cancelRun: (...a) => base.cancelRun(...a),
  };
}
