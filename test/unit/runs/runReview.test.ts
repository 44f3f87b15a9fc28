import assert from 'node:assert/strict';
import { DesktopFlowsApi } from '../../../src/core/api/desktopFlowsApi';
import { HttpClient } from '../../../src/core/http/httpClient';
import { parseDesktopFlowSchema } from '../../../src/core/inputs/desktopFlowSchema';
import { maskInputs } from '../../../src/core/inputs/maskInputs';
import { diffOutputs } from '../../../src/core/runs/runReview';
import { RunService } from '../../../src/core/runs/runService';
import { stableGuid } from '../../../src/sandbox/ids';
import { EventLog } from './eventLog';
import {
  financeUnattended,
  flows,
  makerAttended,
  startRunsHarness,
  type RunsHarness,
  startTestRun,
} from './runsHarness';

const signal = new AbortController().signal;

describe('runs: history, details and outputs (sandbox)', function () {
  this.timeout(20_000);
  let h: RunsHarness;
  let service: RunService;
  let log: EventLog;

  before(async () => {
    h = await startRunsHarness();
  });
  beforeEach(() => {
    h.reset(100);
    service = new RunService({
      backendFor: () => h.backend,
      clock: h.clock,
      poll: { minMs: 2_000, maxMs: 30_000 },
    });
    log = new EventLog(service);
  });
  afterEach(() => service.dispose());
  after(() => h.stop());

  it("pages through a flow's recent runs, newest first, with status, times, duration and machine", async () => {
    const mine = await startTestRun(
      service,
      { environment: h.environment, flowId: flows.invoice, options: makerAttended },
      signal,
    );
    await log.finished(mine.runId);
    const first = await service.history(h.environment, flows.invoice, { pageSize: 2 }, signal);
    assert.equal(first.entries.length, 2);
    assert.ok(first.nextPage !== undefined);
    const all = [...first.entries];
    let next: string | undefined = first.nextPage;
    for (let pages = 1; next !== undefined && pages < 10; pages++) {
      const page = await service.history(
        h.environment,
        flows.invoice,
        { pageSize: 2, nextPage: next },
        signal,
      );
      assert.ok(page.entries.length <= 2);
      all.push(...page.entries);
      next = page.nextPage;
    }
    assert.equal(next, undefined, 'paging ends');
    // The new run and the three seeded invoice runs (h1 succeeded, h2 failed, h5 timed out), newest first.
    assert.deepEqual(
      all.map((e) => e.run.status),
      ['succeeded', 'timedOut', 'failed', 'succeeded'],
    );
    assert.equal(all[0]?.run.id, mine.runId);
    assert.equal(all[0]?.run.machineName, 'DESKTOP-MAKER01');
    const timedOut = all[1];
    assert.equal(timedOut?.runTimeMs, 7_200_000);
    assert.equal(timedOut?.queueWaitMs, 2_000);
    assert.equal(timedOut?.run.errorCode, 'DesktopFlowsActionTimeout');
    const created = all.map((e) => Date.parse(e.run.createdOn ?? ''));
    assert.deepEqual(
      [...created].sort((a, b) => b - a),
      created,
    );
  });

  it("shows a run's details: inputs masked by the flow's schema, outputs, error with remedy, timings, portal data", async () => {
    const http = new HttpClient({
      tokens: { getToken: (resource) => Promise.resolve(h.sandbox.token(resource)) },
    });
    const raw = await new DesktopFlowsApi(http).getSchema(
      h.environment.orgUrl,
      flows.credentials,
      'inputs',
      signal,
    );
    await http.close();
    const schema = parseDesktopFlowSchema(raw, 'inputs').schema;
    const run = await startTestRun(
      service,
      {
        environment: h.environment,
        flowId: flows.credentials,
        options: makerAttended,
        inputs: JSON.stringify({ Username: 'maker', Password: 'pa55word!' }),
      },
      signal,
    );
    await log.finished(run.runId);
    const details = await service.details(
      h.environment,
      run.runId,
      { maskInputs: (v) => maskInputs(v, schema) },
      signal,
    );
    assert.equal(details.inputs?.Username, 'maker');
    assert.equal(details.inputs?.Password, '********');
    assert.deepEqual(details.outputs, { SessionToken: 'tok-7d1e0c', LoggedIn: true });
    assert.equal(details.error, undefined);
    assert.ok((details.runTimeMs ?? 0) >= 7_000);
    assert.deepEqual(details.portal, {
      environmentId: h.environment.id,
      flowId: flows.credentials,
      runId: run.runId,
    });

    const failed = await startTestRun(
      service,
      { environment: h.environment, flowId: flows.legacySchema, options: financeUnattended },
      signal,
    );
    await log.finished(failed.runId);
    const failure = await service.details(h.environment, failed.runId, {}, signal);
    assert.equal(failure.error?.code, 'UnsupportedRpaScriptSchemaVersion');
    assert.match(failure.error?.remedy?.remedy ?? '', /Update Power Automate for desktop/);
    assert.equal(failure.outputs, undefined);
  });

  it('compares the outputs of two runs', async () => {
    const a = await startTestRun(
      service,
      {
        environment: h.environment,
        flowId: flows.echoText,
        options: makerAttended,
        inputs: '{"inputText":"alpha","inputInteger":1}',
      },
      signal,
    );
    const b = await startTestRun(
      service,
      {
        environment: h.environment,
        flowId: flows.echoText,
        options: makerAttended,
        inputs: '{"inputText":"alpha","inputInteger":2}',
      },
      signal,
    );
    await Promise.all([log.finished(a.runId), log.finished(b.runId)]);
    const comparison = await service.compareOutputs(h.environment, a.runId, b.runId, signal);
    assert.deepEqual(comparison.before.outputs, { outputText: 'alpha', outputInteger: 1 });
    assert.deepEqual(
      comparison.differences.map((d) => `${d.name}:${d.change}`),
      ['outputInteger:changed', 'outputText:unchanged'],
    );
    // A seeded historic run without outputs compares as "everything added".
    const h3 = stableGuid('run:h3');
    const vsEmpty = await service.compareOutputs(h.environment, h3, a.runId, signal);
    assert.deepEqual(
      vsEmpty.differences.map((d) => d.change),
      ['added', 'added'],
    );
  });

  it('diffs outputs by name, ignoring key order inside values', () => {
    assert.deepEqual(
      diffOutputs({ a: { x: 1, y: 2 }, gone: 1, same: [1] }, { a: { y: 2, x: 1 }, same: [1], b: true }).map(
        (d) => `${d.name}:${d.change}`,
      ),
      ['a:unchanged', 'b:added', 'gone:removed', 'same:unchanged'],
    );
  });
});
