import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../../src/core/errors';
import type { HttpClientOptions } from '../../../src/core/http/httpClient';
import type { Run } from '../../../src/core/model/run';
import type { DataverseRunsBackend } from '../../../src/core/runs/dataverseRunsBackend';
import { maxStatusUrlLength } from '../../../src/core/runs/dataverseRunsBackend';
import type { RunFinishedEvent } from '../../../src/core/runs/runEvents';
import type { RunOptions } from '../../../src/core/runs/runOptions';
import { RunService, type RunServiceOptions } from '../../../src/core/runs/runService';
import { EventLog } from './eventLog';
import {
  connections,
  financeUnattended,
  flows,
  makerAttended,
  RunsFixture,
  statusPolls,
  type RunsSetup,
  startTestRun,
} from './runsHarness';

const signal = new AbortController().signal;
const dataversePath = '/org/contoso-dev/api/data/v9.2';

type Setup = RunsSetup;

const fixture = new RunsFixture({ minMs: 2_000, maxMs: 30_000 });

function setup(
  speed: number,
  service: Partial<RunServiceOptions> = {},
  http?: HttpClientOptions,
): Promise<Setup> {
  return fixture.setup(speed, { service, ...(http === undefined ? {} : { http }) });
}

function teardown(s: Setup | undefined): void {
  s?.service.dispose();
}

function start(
  s: Setup,
  flowId: string,
  options: RunOptions,
  inputs?: Record<string, unknown>,
  follow = false,
) {
  return startTestRun(
    s.service,
    {
      environment: s.h.environment,
      flowId,
      options,
      ...(inputs === undefined ? {} : { inputs: JSON.stringify(inputs) }),
      followActionLog: follow,
    },
    signal,
  );
}

/**
 * Index in the request log just after the first finished poll that covered `runId` (the last run added):
 * from there on, every tick knows every run. (Request events are recorded when an exchange ends, so a
 * poll already in flight when the last run was added may still arrive without it.)
 */
async function afterTickCovering(s: Setup, runId: string): Promise<number> {
  const covers = (): number =>
    s.h.requests.findIndex((r) => decodeURIComponent(r.url).includes(`flowsessionid eq ${runId}`));
  await s.log.until(() => covers() >= 0, 'a poll covering the last run');
  return covers() + 1;
}

/** Lets in-flight work settle in real time without asserting anything about how long it took. */
function realPause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('runs: environment watcher (sandbox)', function () {
  this.timeout(20_000);
  after(() => fixture.stop());

  describe('state transitions', () => {
    let s: Setup | undefined;
    afterEach(() => teardown(s));

    it('reports every state a run goes through, with machine, queue wait, run time, errors and outputs', async () => {
      s = await setup(75);
      s.h.sandbox.settings.queueTimeoutSeconds = 90;
      // All runs are queued at (nearly) the same sandbox instant, whatever the machine's load: time all but
      // stands still while they are started, then runs 75x.
      s.h.sandbox.clock.setSpeed(0.001);
      const first = await start(s, flows.invoice, makerAttended, { InvoiceId: 'A', Amount: 1 });
      const queuedBehind = await start(s, flows.invoice, makerAttended, { InvoiceId: 'B', Amount: 2 });
      const badSchema = await start(s, flows.legacySchema, financeUnattended);
      const timedOut = await start(s, flows.longReport, { ...financeUnattended, timeoutSeconds: 30 });
      const emptyGroup = await start(s, flows.quickPing, {
        connection: { kind: 'connection', name: connections.emptyGroup },
        runMode: 'unattended',
      });
      const locked = await start(s, flows.quickPing, {
        connection: { kind: 'connection', name: connections.lockedMachine },
        runMode: 'attended',
      });
      const offline = await start(s, flows.quickPing, {
        connection: { kind: 'connection', name: connections.offlineMachine },
        runMode: 'unattended',
      });
      s.h.sandbox.clock.setSpeed(75);
      const all = [first, queuedBehind, badSchema, timedOut, emptyGroup, locked, offline];
      const done = await Promise.all(all.map((r) => s!.log.finished(r.runId)));
      const [firstEnd, queuedEnd, badSchemaEnd, timedOutEnd, emptyEnd, lockedEnd, offlineEnd] = done as [
        RunFinishedEvent,
        RunFinishedEvent,
        RunFinishedEvent,
        RunFinishedEvent,
        RunFinishedEvent,
        RunFinishedEvent,
        RunFinishedEvent,
      ];

      assert.deepEqual(s.log.story(first.runId), ['triggered', 'stateChanged:running', 'finished:succeeded']);
      assert.equal(firstEnd.outputs?.Status, 'Processed');
      assert.equal(firstEnd.outputs?.Total, 1);
      assert.equal(firstEnd.machine?.name, 'DESKTOP-MAKER01');

      // One machine, one run at a time: the second waits in the queue for the first (a minute).
      assert.deepEqual(s.log.story(queuedBehind.runId), [
        'triggered',
        'stateChanged:waiting',
        'stateChanged:running',
        'finished:succeeded',
      ]);
      const started = s.log.of('stateChanged', queuedBehind.runId)[1];
      assert.equal(started?.previous, 'waiting');
      assert.ok((started?.queueWaitMs ?? 0) > 0);
      assert.ok(
        Date.parse(started?.startedOn ?? '') >= Date.parse(firstEnd.completedOn ?? ''),
        'started when the first run ended',
      );
      assert.equal(queuedEnd.outputs?.Total, 2);
      assert.ok((queuedEnd.runTimeMs ?? 0) >= 59_000, 'a one-minute run');

      assert.equal(badSchemaEnd.status, 'failed');
      assert.equal(badSchemaEnd.errorCode, 'UnsupportedRpaScriptSchemaVersion');
      assert.equal(badSchemaEnd.outputs, undefined);
      assert.equal(timedOutEnd.status, 'timedOut');
      assert.deepEqual(s.log.story(emptyGroup.runId), ['triggered', 'finished:failed']);
      assert.equal(emptyEnd.errorCode, 'GroupIsEmpty');
      assert.equal(lockedEnd.errorCode, 'NoUnlockedActiveSessionForAttended');
      assert.deepEqual(s.log.story(offline.runId), ['triggered', 'stateChanged:waiting', 'finished:failed']);
      assert.equal(offlineEnd.errorCode, 'NoCandidateMachine');
      assert.ok((offlineEnd.queueWaitMs ?? 0) >= 90_000, 'failed after the queue timeout');

      // Each run ends exactly once.
      for (const r of all) {
        assert.equal(s.log.of('finished', r.runId).length, 1);
      }
    });

    it('streams new action-log entries once each, in order, while following the log', async () => {
      s = await setup(50, { actionLogIntervalMs: 1_000 });
      const run = await start(
        s,
        flows.invoice,
        makerAttended,
        { InvoiceId: 'INV-1', ApiKey: 'k-123456' },
        true,
      );
      await s.log.finished(run.runId);
      const entries = s.log.of('actionLog', run.runId).flatMap((e) => e.entries);
      assert.deepEqual(
        entries.map((e) => `${e.index} ${e.name}`),
        ['1 Launch ERP', '2 Log in', '3 Enter invoice', '4 Read ledger', '5 Close ERP'],
      );
      assert.ok(
        s.log.of('actionLog', run.runId).length >= 2,
        'entries arrive while the run is going, not only at the end',
      );
      const story = s.log.story(run.runId);
      assert.equal(story.at(-1), 'finished:succeeded');
      assert.ok(story.indexOf('actionLog') > story.indexOf('stateChanged:running'));
    });
  });

  describe('requests', () => {
    let s: Setup | undefined;
    afterEach(() => teardown(s));

    it('checks all active runs of an environment with one request per tick, however many there are', async () => {
      s = await setup(100);
      const offline: RunOptions = {
        connection: { kind: 'connection', name: connections.offlineMachine },
        runMode: 'unattended',
      };
      const runs = [];
      for (let i = 0; i < 12; i++) {
        runs.push(await start(s, flows.quickPing, offline));
      }
      const before = await afterTickCovering(s, runs.at(-1)!.runId);
      await s.log.until(() => statusPolls(s!.h.requests.slice(before)).length >= 6, 'six status polls');
      const window = s.h.requests.slice(before);
      const polls = statusPolls(window);
      assert.equal(polls.length, window.length, 'nothing but status polls while the runs wait');
      for (const poll of polls) {
        const url = decodeURIComponent(poll.url);
        for (const r of runs) {
          assert.ok(url.includes(`flowsessionid eq ${r.runId}`), 'every poll covers every active run');
        }
      }
    });

    it('splits very many runs into chunks, still one request per chunk per tick', async () => {
      s = await setup(100, { statusChunkSize: 5 });
      const offline: RunOptions = {
        connection: { kind: 'connection', name: connections.offlineMachine },
        runMode: 'unattended',
      };
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        ids.push((await start(s, flows.quickPing, offline)).runId);
      }
      const before = await afterTickCovering(s, ids.at(-1)!);
      await s.log.until(() => statusPolls(s!.h.requests.slice(before)).length >= 9, 'three ticks');
      const polls = statusPolls(s.h.requests.slice(before)).slice(0, 9);
      const idsPerPoll = polls.map(
        (p) => (decodeURIComponent(p.url).match(/flowsessionid eq/g) ?? []).length,
      );
      assert.deepEqual(idsPerPoll, [5, 5, 2, 5, 5, 2, 5, 5, 2]);
      const covered = new Set(
        polls.slice(0, 3).flatMap((p) => ids.filter((id) => decodeURIComponent(p.url).includes(id))),
      );
      assert.equal(covered.size, 12);
    });

    it('asks for 5,000 active runs in as few requests as the URL limit allows, every URL within it', async () => {
      s = await setup(100);
      // What the watcher asks for, seen at the backend (URLs in the request log pass the secret masker).
      const real = s.h.backend as DataverseRunsBackend;
      const asked: string[][] = [];
      const spy = Object.create(real) as DataverseRunsBackend;
      spy.listRuns = (query, sig) => {
        if (query.runIds !== undefined) {
          asked.push([...query.runIds]);
        }
        return real.listRuns(query, sig);
      };
      const service = new RunService({
        backendFor: () => spy,
        clock: s.h.clock,
        poll: { minMs: 2_000, maxMs: 30_000 },
      });
      const log = new EventLog(service);
      try {
        const ids = Array.from({ length: 5_000 }, () => randomUUID());
        for (const runId of ids) {
          await service.watch({ environment: s.h.environment, flowId: flows.quickPing, runId });
        }
        // None of these runs exists: after three polls each is given up with one error, so all were asked for.
        await log.until(
          () =>
            log.events
              .filter((e) => e.kind === 'error' && e.retryAt === undefined)
              .flatMap((e) => (e.kind === 'error' ? e.runIds : [])).length >= 5_000,
          'every run given up',
          60_000,
        );
        const longest = Math.max(...asked.map((q) => real.statusQueryUrl(q).length));
        assert.ok(longest <= maxStatusUrlLength, `longest URL ${longest} characters`);
        const perRequest = Math.max(...asked.map((q) => q.length));
        assert.ok(perRequest > 100, `${perRequest} runs per request: more than a fixed 100`);
        const covered = new Set(asked.flat());
        assert.ok(
          ids.every((id) => covered.has(id)),
          'every run was asked for',
        );
      } finally {
        service.dispose();
      }
    });

    it('observes a run started elsewhere in the same status request as its own runs, reporting only its rows', async () => {
      s = await setup(100);
      const own = await start(s, flows.quickPing, {
        connection: { kind: 'connection', name: connections.offlineMachine },
        runMode: 'unattended',
      });
      // Started by another client, straight through the API: this service never started or watched it.
      const theirs = (
        await s.h.backendWith({}).startRun(
          flows.echoText,
          {
            runMode: 'attended',
            connectionName: connections.makerMachine,
            inputs: JSON.stringify({ inputText: 'elsewhere', inputInteger: 1 }),
          },
          signal,
        )
      ).sessionId;
      const rows: Run[] = [];
      const observing = s.service.observe(
        { environment: s.h.environment, flowId: flows.echoText, runId: theirs },
        (row) => rows.push(row),
      );
      try {
        await s.log.until(() => rows.some((r) => r.status === 'succeeded'), 'the observed run to end');
        const statuses = rows.map((r) => r.status);
        assert.equal(
          new Set(statuses).size,
          statuses.length,
          `a row per status change: ${statuses.join(', ')}`,
        );
        const covering = statusPolls(s.h.requests).filter((p) => decodeURIComponent(p.url).includes(theirs));
        assert.ok(covering.length > 0);
        for (const poll of covering) {
          assert.ok(decodeURIComponent(poll.url).includes(own.runId), 'one request for both runs');
        }
        assert.equal(
          s.log.events.filter((e) => JSON.stringify(e).includes(theirs)).length,
          0,
          'no run event (transcript, notification, journal) for a run only observed',
        );
        assert.deepEqual(
          s.service.activeRuns().map((r) => r.runId),
          [own.runId],
        );
        // Ended: no longer asked for, while the own run still is.
        const after = s.h.requests.length;
        await s.log.until(() => statusPolls(s!.h.requests.slice(after)).length >= 2, 'two more polls');
        for (const poll of statusPolls(s.h.requests.slice(after))) {
          assert.ok(!decodeURIComponent(poll.url).includes(theirs), 'the ended run is let go');
        }
      } finally {
        observing.dispose();
      }
    });

    it('stops observing a run when asked, and never observes a run it watches', async () => {
      s = await setup(100);
      const offline: RunOptions = {
        connection: { kind: 'connection', name: connections.offlineMachine },
        runMode: 'unattended',
      };
      const own = await start(s, flows.quickPing, offline);
      const theirs = (
        await s.h
          .backendWith({})
          .startRun(
            flows.quickPing,
            { runMode: 'unattended', connectionName: connections.offlineMachine },
            signal,
          )
      ).sessionId;
      const seen: string[] = [];
      const ownObserved = s.service.observe(
        { environment: s.h.environment, flowId: flows.quickPing, runId: own.runId },
        (row) => seen.push(row.id),
      );
      const observing = s.service.observe(
        { environment: s.h.environment, flowId: flows.quickPing, runId: theirs },
        (row) => seen.push(row.id),
      );
      await s.log.until(() => seen.includes(theirs), 'the queued row of the observed run');
      assert.ok(!seen.includes(own.runId), 'a watched run is reported by its events only');
      ownObserved.dispose();
      assert.deepEqual(
        s.service.activeRuns().map((r) => r.runId),
        [own.runId],
        'disposing an observation of a watched run leaves it watched',
      );
      observing.dispose();
      const after = s.h.requests.length;
      await s.log.until(() => statusPolls(s!.h.requests.slice(after)).length >= 2, 'two more polls');
      for (const poll of statusPolls(s.h.requests.slice(after))) {
        assert.ok(!decodeURIComponent(poll.url).includes(theirs), 'no longer asked for');
      }
    });

    it('stops polling when nothing is active, and after dispose', async () => {
      s = await setup(100);
      const run = await start(s, flows.quickPing, makerAttended);
      await s.log.finished(run.runId);
      const after = s.h.requests.length;
      s.h.sandbox.clock.advance(60 * 60_000);
      await realPause(100);
      assert.equal(s.h.requests.length, after, 'no request once the last run ended');
      assert.equal(s.service.isPolling, false, 'no timer left');
      assert.deepEqual(s.service.activeRuns(), []);

      const offline = await start(s, flows.quickPing, {
        connection: { kind: 'connection', name: connections.offlineMachine },
        runMode: 'unattended',
      });
      await s.log.until(() => s!.log.of('stateChanged', offline.runId).length === 1, 'the queued state');
      s.service.dispose();
      const atDispose = s.h.requests.length;
      const events = s.log.events.length;
      s.h.sandbox.clock.advance(60 * 60_000);
      await realPause(100);
      assert.equal(s.h.requests.length, atDispose, 'no request after dispose');
      assert.equal(s.log.events.length, events, 'no event after dispose');
    });
  });

  describe('failures', () => {
    let s: Setup | undefined;
    afterEach(() => teardown(s));

    it('backs off exponentially when polls fail, honours Retry-After, and recovers', async () => {
      // One attempt per request, so the watcher's own backoff is what is observed.
      s = await setup(100, {}, { maxAttempts: 1 });
      const { clock } = s.h.sandbox;
      s.h.sandbox.faults.add({
        method: 'GET',
        path: `${dataversePath}/flowsessions`,
        kind: 'status',
        status: 503,
        count: 3,
      });
      s.h.sandbox.faults.add({
        method: 'GET',
        path: `${dataversePath}/flowsessions`,
        kind: 'status',
        status: 429,
        // Real seconds: at the sandbox speed set below (0.001) they are 80 sandbox seconds, more than the
        // watcher's own backoff for a fourth failure (at most 32 s).
        retryAfterSeconds: 80_000,
        count: 1,
      });
      // Sandbox time stands still and the test moves it from one retry time to the next: what is asserted is
      // the sequence of polls in sandbox time, so a busy machine (real time passing slowly or in bursts)
      // changes nothing.
      clock.setSpeed(0.001);
      const run = await start(s, flows.echoText, makerAttended, { inputText: 'x', inputInteger: 0 });
      const log = s.log;
      // The first poll: a sandbox second at a time until it went out.
      for (let step = 0; step < 60 && log.of('error').length === 0; step++) {
        clock.advance(1_000);
        await realPause(20);
      }
      for (let failure = 1; failure <= 4; failure++) {
        await log.until(() => log.of('error').length >= failure, `failed poll ${failure}`);
        const retryAt = log.of('error')[failure - 1]?.retryAt;
        assert.ok(retryAt !== undefined, `failed poll ${failure} says when it retries`);
        // Up to just before the retry time nothing is polled; at it, the next poll goes out.
        if (clock.now() < retryAt - 1) {
          const polls: number = statusPolls(s.h.requests).length;
          clock.advance(retryAt - 1 - clock.now());
          await realPause(50);
          assert.equal(statusPolls(s.h.requests).length, polls, `no poll before retry ${failure}`);
        }
        clock.advance(Math.max(0, retryAt - clock.now()));
      }
      const end = await log.finished(run.runId);
      assert.equal(end.status, 'succeeded');

      const errors = log.of('error');
      assert.deepEqual(
        errors.map((e) => e.consecutiveFailures),
        [1, 2, 3, 4],
      );
      assert.ok(errors.every((e) => e.runIds.includes(run.runId) && e.retryAt !== undefined));
      const waits = errors.map((e) => (e.retryAt ?? 0) - e.at);
      assert.ok(
        waits[0]! >= 2_000 && waits[0]! <= waits[1]! && waits[1]! <= waits[2]!,
        `growing waits: ${waits.join(', ')}`,
      );
      assert.ok(ApiError.is(errors[3]?.error, 'throttled'));
      assert.ok(waits[3]! >= 80_000, `Retry-After is honoured: ${waits[3]}`);
      assert.ok(
        waits[3]! < 120_000,
        `Retry-After (real seconds) is measured on the sandbox clock: ${waits[3]}`,
      );
      // Each retry went out no earlier than the backoff allowed, in sandbox time.
      errors.slice(1).forEach((e, i) => {
        assert.ok(
          e.at >= errors[i]!.retryAt!,
          `retry ${i + 1} at ${e.at}, allowed from ${errors[i]!.retryAt}`,
        );
      });
      assert.ok(end.at >= errors[3].retryAt!, 'the recovering poll waited for Retry-After');
      // 4 failed polls, then normal polling.
      assert.equal(statusPolls(s.h.requests).filter((r) => r.status !== 200).length, 4);
    });

    it('gives up on a run that is no longer visible, once, with a typed error', async () => {
      s = await setup(100);
      const offline = await start(s, flows.quickPing, {
        connection: { kind: 'connection', name: connections.offlineMachine },
        runMode: 'unattended',
      });
      await s.log.until(() => s!.log.of('stateChanged', offline.runId).length === 1, 'the queued state');
      // The run disappears (e.g. its flow was deleted, which cascades to runs).
      s.h.dev.runs.delete(offline.runId);
      await s.log.until(() => s!.log.of('error').length === 1, 'the watch error');
      const [error] = s.log.of('error');
      assert.equal(error?.retryAt, undefined);
      assert.deepEqual(error?.runIds, [offline.runId]);
      assert.equal((error?.error as { reason?: string }).reason, 'runNotFound');
      assert.equal(s.log.of('finished', offline.runId).length, 0);
      assert.deepEqual(s.service.activeRuns(), []);
    });
  });
});
