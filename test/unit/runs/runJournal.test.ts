import assert from 'node:assert/strict';
import { parseRunJournal, type RunJournal } from '../../../src/core/runs/runJournal';
import { MemoryRunJournal } from './memoryRunJournal';
import { RunService } from '../../../src/core/runs/runService';
import { isTerminalStatus } from '../../../src/sandbox/dataverseEntities';
import { EventLog } from './eventLog';
import {
  flows,
  makerAttended,
  startRunsHarness,
  statusPolls,
  type RunsHarness,
  startTestRun,
} from './runsHarness';

const signal = new AbortController().signal;

function realPause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('runs: journal and resume (sandbox)', function () {
  this.timeout(20_000);
  let h: RunsHarness;
  const services: RunService[] = [];

  function service(
    journal: RunJournal,
    actionLogIntervalMs?: number,
  ): { service: RunService; log: EventLog } {
    const s = new RunService({
      backendFor: () => h.backend,
      clock: h.clock,
      journal,
      poll: { minMs: 2_000, maxMs: 30_000 },
      ...(actionLogIntervalMs === undefined ? {} : { actionLogIntervalMs }),
    });
    services.push(s);
    return { service: s, log: new EventLog(s) };
  }

  async function ended(runId: string): Promise<void> {
    for (let i = 0; i < 500 && !isTerminalStatus(h.dev.runs.get(runId)?.row.statuscode as number); i++) {
      await realPause(10);
    }
    assert.ok(
      isTerminalStatus(h.dev.runs.get(runId)?.row.statuscode as number),
      'the run ended in the sandbox',
    );
  }

  before(async () => {
    h = await startRunsHarness();
  });
  afterEach(() => {
    for (const s of services.splice(0)) {
      s.dispose();
    }
  });
  after(() => h.stop());

  it('reports a run that ended during a reload exactly once, and never again after the next reload', async () => {
    h.reset(100);
    const journal = new MemoryRunJournal();
    const before = service(journal);
    const run = await startTestRun(
      before.service,
      { environment: h.environment, flowId: flows.quickPing, flowName: 'Quick Ping', options: makerAttended },
      signal,
    );
    assert.deepEqual(
      journal.current?.runs.map((r) => r.runId),
      [run.runId],
      'journaled before trigger returns',
    );
    before.service.dispose(); // the window reloads
    await ended(run.runId);

    const after = service(journal);
    const resumed = await after.service.resume(signal);
    assert.deepEqual(
      resumed.map((r) => r.runId),
      [run.runId],
    );
    const end = await after.log.finished(run.runId);
    assert.equal(end.status, 'succeeded');
    assert.equal(end.endedWhileAway, true);
    assert.equal(end.flowName, 'Quick Ping');
    assert.deepEqual(after.log.story(run.runId), ['finished:succeeded']);
    assert.deepEqual(journal.current?.runs, [], 'forgotten once reported');

    h.sandbox.clock.advance(30 * 60_000);
    await realPause(50);
    assert.equal(after.log.of('finished').length, 1);
    after.service.dispose(); // another reload

    const again = service(journal);
    assert.deepEqual(await again.service.resume(signal), []);
    h.sandbox.clock.advance(30 * 60_000);
    await realPause(50);
    assert.equal(again.log.events.length, 0, 'nothing is reported twice');
  });

  it('resumes a run that is still going without repeating what was already reported', async () => {
    h.reset(100);
    const journal = new MemoryRunJournal();
    const before = service(journal, 1_000);
    const run = await startTestRun(
      before.service,
      {
        environment: h.environment,
        flowId: flows.invoice,
        options: makerAttended,
        inputs: '{"InvoiceId":"INV-9"}',
        followActionLog: true,
      },
      signal,
    );
    await before.log.until(
      () => before.log.of('actionLog', run.runId).flatMap((e) => e.entries).length >= 2,
      'two log entries',
    );
    // Sandbox time all but stops while the window "reloads", so the run is surely still going when
    // watching resumes, however slow this machine is today.
    h.sandbox.clock.setSpeed(0.001);
    await before.service.flushJournal();
    before.service.dispose();
    const seenBefore = before.log.of('actionLog', run.runId).flatMap((e) => e.entries.map((x) => x.index));
    assert.equal(journal.current?.runs[0]?.lastStatus, 'running');

    const after = service(journal, 1_000);
    const requestsBefore = h.requests.length;
    await after.service.resume(signal);
    await after.log.until(
      () => statusPolls(h.requests.slice(requestsBefore)).length > 0,
      'the first poll after resuming',
    );
    h.sandbox.clock.setSpeed(100);
    const end = await after.log.finished(run.runId);
    assert.equal(end.endedWhileAway, false, 'it was still running when watching resumed');
    assert.equal(after.log.of('stateChanged', run.runId).length, 0, '"running" was already reported');
    const seenAfter = after.log.of('actionLog', run.runId).flatMap((e) => e.entries.map((x) => x.index));
    assert.deepEqual(
      [...seenBefore, ...seenAfter],
      [1, 2, 3, 4, 5],
      'every log entry once, across the reload',
    );
  });

  it('starts clean from an unreadable journal, and a journal that cannot be written never costs a run', async () => {
    h.reset(100);
    const broken: RunJournal = {
      load: () => Promise.resolve('{ not json'),
      save: () => Promise.reject(new Error('disk full')),
    };
    const s = service(broken);
    assert.deepEqual(await s.service.resume(signal), []);
    const run = await startTestRun(
      s.service,
      { environment: h.environment, flowId: flows.quickPing, options: makerAttended },
      signal,
    );
    assert.equal((await s.log.finished(run.runId)).status, 'succeeded');
  });

  it('keeps only well-formed entries of a saved journal', () => {
    const env = { id: 'env', orgUrl: 'https://x.crm.dynamics.com' };
    const good = {
      environment: env,
      runId: '0a0a0a0a-0000-4000-8000-000000000001',
      flowId: '0b0b0b0b-0000-4000-8000-000000000002',
      triggeredAt: 1,
    };
    const state = parseRunJournal({
      version: 1,
      runs: [
        good,
        { ...good }, // duplicate
        { ...good, runId: "x') or true" }, // not a GUID: it would end up in a URL
        { ...good, runId: '0a0a0a0a-0000-4000-8000-000000000003', environment: { id: 'env' } },
        {
          ...good,
          runId: '0a0a0a0a-0000-4000-8000-000000000004',
          options: { runMode: 'sideways' },
          lastStatus: 'running',
        },
        'junk',
      ],
    });
    assert.deepEqual(
      state.runs.map((r) => [r.runId.slice(-1), r.options === undefined, r.lastStatus]),
      [
        ['1', true, undefined],
        ['4', true, 'running'],
      ],
    );
    assert.deepEqual(parseRunJournal({ version: 2, runs: [good] }).runs, []);
    assert.deepEqual(parseRunJournal(undefined).runs, []);
  });
});
