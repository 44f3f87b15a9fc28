import assert from 'node:assert/strict';
import { ApiError } from '../../../src/core/errors';
import { RunError } from '../../../src/core/runs/runErrors';
import type { RunsBackend } from '../../../src/core/runs/runsBackend';
import { RunService } from '../../../src/core/runs/runService';
import { seedIds } from '../../../src/sandbox/seed';
import { EventLog } from './eventLog';
import {
  connections,
  flows,
  makerAttended,
  startRunsHarness,
  type RunsHarness,
  startTestRun,
} from './runsHarness';

const signal = new AbortController().signal;

describe('runs: cancel (sandbox)', function () {
  this.timeout(20_000);
  let h: RunsHarness | undefined;
  let service: RunService | undefined;
  let log: EventLog;

  function setup(speed: number, backend?: RunsBackend): RunsHarness {
    const harness = h as RunsHarness;
    harness.reset(speed);
    const chosen = backend ?? harness.backend;
    service = new RunService({
      backendFor: () => chosen,
      clock: harness.clock,
      poll: { minMs: 2_000, maxMs: 30_000 },
    });
    log = new EventLog(service);
    return harness;
  }

  /** Starts Long Running Report and waits until the service says it is running. */
  async function startLongRunning(harness: RunsHarness): Promise<Awaited<ReturnType<typeof startTestRun>>> {
    const run = await startTestRun(
      service!,
      { environment: harness.environment, flowId: flows.longReport, options: makerAttended },
      signal,
    );
    await log.until(
      () => log.of('stateChanged', run.runId).some((e) => e.status === 'running'),
      'the run to start',
    );
    return run;
  }

  function cancelPosts(harness: RunsHarness): number {
    return harness.requests.filter((r) => r.method === 'POST' && r.url.includes('CancelDesktopFlowRun'))
      .length;
  }

  before(async () => {
    h = await startRunsHarness();
  });
  afterEach(() => service?.dispose());
  after(() => h?.stop());

  it('cancels a running run, which then ends as cancelled', async () => {
    const harness = setup(100);
    const run = await startLongRunning(harness);
    const result = await service!.cancel(run, signal);
    assert.equal(result.statusBefore, 'running');
    const end = await log.finished(run.runId);
    assert.equal(end.status, 'cancelled');
    assert.equal(cancelPosts(harness), 1);
  });

  it('reports the time a run cancelled while running ran, when the service row gives none', async () => {
    const harness = h as RunsHarness;
    // The service answers the cancel, then its row says the run ended the second it started: no run time.
    const noRunTime = delegate(harness.backend, {
      cancelRun: async (runId, sig) => {
        await harness.backend.cancelRun(runId, sig);
        const row = harness.dev.runs.get(runId)?.row;
        assert.ok(row?.completedon, 'the sandbox ended the run');
        row.startedon = row.completedon;
      },
    });
    setup(100, noRunTime);
    const run = await startLongRunning(harness);
    // It runs for a while (ten sandbox seconds) before the cancel.
    harness.sandbox.clock.advance(10_000);
    await service!.cancel(run, signal);
    const end = await log.finished(run.runId);
    assert.equal(end.status, 'cancelled');
    assert.equal(end.startedOn, end.completedOn, 'the row gives no run time');
    assert.ok(
      end.runTimeMs !== undefined && end.runTimeMs >= 10_000,
      `ran from when it was seen running to when its end was seen, not 0 ms: ${end.runTimeMs}`,
    );
  });

  it('cancels a queued run', async () => {
    const harness = setup(100);
    const options = {
      connection: { kind: 'connection', name: connections.offlineMachine },
      runMode: 'unattended',
    } as const;
    const run = await startTestRun(
      service!,
      { environment: harness.environment, flowId: flows.quickPing, options },
      signal,
    );
    await log.until(() => log.of('stateChanged', run.runId).length === 1, 'the queued state');
    const result = await service!.cancel(run, signal);
    assert.equal(result.statusBefore, 'waiting');
    assert.equal((await log.finished(run.runId)).status, 'cancelled');
  });

  it('says a finished run already ended, without sending a cancel', async () => {
    const harness = setup(100);
    const run = await startTestRun(
      service!,
      { environment: harness.environment, flowId: flows.quickPing, options: makerAttended },
      signal,
    );
    await log.finished(run.runId);
    await assert.rejects(
      service!.cancel(run, signal),
      (e: unknown) => RunError.is(e, 'alreadyFinished') && e.status === 'succeeded' && e.runId === run.runId,
    );
    assert.equal(cancelPosts(harness), 0);
  });

  it("says a run already ended when it ends between the check and the cancel (the service's 4xx)", async () => {
    const harness = h as RunsHarness;
    let checks = 0;
    // The check is answered "running"; right after it, a minute passes, so the 20-second run has ended
    // by the time the cancel arrives.
    const racing = delegate(harness.backend, {
      getRun: async (runId, sig) => {
        const run = await harness.backend.getRun(runId, sig);
        if (++checks === 1) {
          harness.sandbox.clock.advance(60_000);
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
        return run;
      },
    });
    setup(50, racing);
    const run = await startTestRun(
      service!,
      {
        environment: harness.environment,
        flowId: flows.echoText,
        options: makerAttended,
        inputs: '{"inputText":"x"}',
      },
      signal,
    );
    await log.until(
      () => log.of('stateChanged', run.runId).some((e) => e.status === 'running'),
      'the run to start',
    );
    await assert.rejects(
      service!.cancel(run, signal),
      (e: unknown) =>
        RunError.is(e, 'alreadyFinished') && e.status === 'succeeded' && ApiError.is(e.cause, 'badRequest'),
    );
    assert.equal(checks, 2, 'checked, then re-read after the refusal');
    assert.equal(cancelPosts(harness), 1);
    assert.equal((await log.finished(run.runId)).status, 'succeeded');
  });

  it('needs Owner access: another maker gets a typed error, and nothing is cancelled', async () => {
    const harness = setup(100);
    const mine = await startTestRun(
      service!,
      { environment: harness.environment, flowId: flows.longReport, options: makerAttended },
      signal,
    );
    const other = new RunService({
      backendFor: () => harness.backendWith({ oid: seedIds.otherUser }),
      clock: harness.clock,
    });
    try {
      await assert.rejects(
        other.cancel(mine, signal),
        (e: unknown) =>
          RunError.is(e, 'notOwner') && ApiError.is(e.cause, 'forbidden') && e.cause.code === '0x80040220',
      );
    } finally {
      other.dispose();
    }
    assert.equal(cancelPosts(harness), 0);
    assert.notEqual(harness.dev.runs.get(mine.runId)?.row.statuscode, 7);
  });

  it('reports a run that does not exist', async () => {
    const harness = setup(100);
    const missing = { ...harness.environment };
    await assert.rejects(
      service!.cancel(
        { environment: missing, flowId: flows.quickPing, runId: '0f0f0f0f-0000-4000-8000-000000000000' },
        signal,
      ),
      (e: unknown) => RunError.is(e, 'runNotFound'),
    );
  });
});

/** A backend that forwards everything to `base` except the given overrides. */
function delegate(base: RunsBackend, overrides: Partial<RunsBackend>): RunsBackend {
  return {
    startRun: (...a) => base.startRun(...a),
    listRuns: (...a) => base.listRuns(...a),
    listRunsPage: (...a) => base.listRunsPage(...a),
    getRun: overrides.getRun ?? ((...a) => base.getRun(...a)),
    getRunOutputs: (...a) => base.getRunOutputs(...a),
    getRunInputs: (...a) => base.getRunInputs(...a),
    getActionLog: (...a) => base.getActionLog(...a),
    cancelRun: overrides.cancelRun ?? ((...a) => base.cancelRun(...a)),
  };
}
