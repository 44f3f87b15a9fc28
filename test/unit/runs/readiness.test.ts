/**
 * "Check Before Run" against the sandbox over real HTTP: each seeded case (empty group, offline machine,
 * broken connection, draft flow, busy group with a queue, schema refused, bad inputs, attended) gives the
 * answer a maker needs, and nothing is ever sent.
 */
import assert from 'node:assert/strict';
import {
  checkReadiness,
  compareVersions,
  type ReadinessDeps,
  type ReadinessReport,
} from '../../../src/core/runs/readiness';
import type { RunInputsSource, RunRequest } from '../../../src/core/runs/runRequest';
import { seedFlowNames, seedIds, seedNames } from '../../../src/sandbox/seed';
import { cancelRuns, fillFinanceBots, sandboxSessionSuite } from '../helpers/sandboxSession';

const c = seedNames.connections;
const hello = {
  kind: 'values',
  values: { inputText: 'hello', inputInteger: 1 },
} as const satisfies RunInputsSource;

describe('checkReadiness: what the service will do with a run, without sending it', () => {
  const suite = sandboxSessionSuite({ schemas: true });
  const signal = new AbortController().signal;

  function deps(): ReadinessDeps {
    return { session: suite.session, schemas: suite.schemas };
  }

  function request(
    flow: string,
    connection: string,
    runMode = 'unattended',
    inputs: RunInputsSource = hello,
  ): RunRequest {
    return {
      target: { environment: { kind: 'key', key: 'Contoso Dev' }, flow: { kind: 'key', key: flow } },
      inputs,
      options: { connection: { kind: 'connection', name: connection }, runMode },
      origin: 'test',
    };
  }

  async function check(r: RunRequest): Promise<ReadinessReport> {
    const before = suite.requests.filter((x) => x.includes('RunDesktopFlow')).length;
    const report = await checkReadiness(r, deps(), signal);
    assert.equal(
      suite.requests.filter((x) => x.includes('RunDesktopFlow')).length,
      before,
      'nothing is sent',
    );
    return report;
  }

  function item(
    report: ReadinessReport,
    check: string,
  ): { outcome: string; message: string; errorCode?: string } {
    const found = report.items.find((i) => i.check === check);
    assert.ok(found, `a ${check} item in ${JSON.stringify(report.items)}`);
    return found;
  }

  it('says a healthy standalone machine is ready', async () => {
    const report = await check(request(seedFlowNames.echoText, c.makerMachine));
    assert.equal(report.verdict, 'ready', JSON.stringify(report.items));
    assert.match(item(report, 'machines').message, /DESKTOP-MAKER01 is online and free/);
    assert.equal(item(report, 'flow').outcome, 'ok');
    assert.equal(item(report, 'connection').outcome, 'ok');
    assert.equal(item(report, 'inputs').outcome, 'ok');
    assert.ok(report.prepared, 'the prepared run is handed back');
  });

  it('predicts GroupIsEmpty for a connection to an empty group', async () => {
    const report = await check(request(seedFlowNames.echoText, c.emptyGroup));
    assert.equal(report.verdict, 'willFail');
    const m = item(report, 'machines');
    assert.equal(m.errorCode, 'GroupIsEmpty');
    assert.match(m.message, /group Empty Pool has no machines/);
  });

  it('says a run to an offline machine will wait, and how long at most', async () => {
    const report = await check(request(seedFlowNames.echoText, c.offlineMachine));
    assert.equal(report.verdict, 'willWait');
    const m = item(report, 'machines');
    assert.equal(m.outcome, 'warning');
    assert.match(m.message, /^This run will wait: LAPTOP-OLD is offline\. /);
    assert.match(m.message, /6 hours.*NoCandidateMachine/);
    assert.deepEqual(report.machines, [
      { name: 'LAPTOP-OLD', presence: 'offline', agentVersion: '2.41.178.24' },
    ]);
  });

  it('reports a connection in error with its code', async () => {
    const report = await check(request(seedFlowNames.echoText, c.broken));
    const conn = item(report, 'connection');
    assert.equal(conn.outcome, 'error');
    assert.match(conn.message, /password expired.*in error \(WindowsIdentityIncorrect\)/);
  });

  it('refuses a draft flow with how to publish it', async () => {
    const report = await check(
      request(seedFlowNames.draftExpense, c.makerMachine, 'unattended', { kind: 'none' }),
    );
    assert.equal(report.verdict, 'willFail');
    const flow = item(report, 'flow');
    assert.equal(flow.outcome, 'error');
    assert.match(flow.message, /Expense Audit \(draft\)" is a draft, not published/);
  });

  it('reports input problems through prepareRun and still checks the machines', async () => {
    const report = await check(
      request(seedFlowNames.echoText, c.makerMachine, 'unattended', {
        kind: 'values',
        values: { inputTxet: 'x', inputInteger: 1 },
      }),
    );
    assert.equal(report.verdict, 'willFail');
    assert.ok(report.items.some((i) => i.check === 'inputs' && i.outcome === 'error'));
    assert.equal(item(report, 'machines').outcome, 'ok');
    assert.equal(report.prepared, undefined);
  });

  it('says attended runs need the user signed in, which the service cannot show', async () => {
    const report = await check(request(seedFlowNames.echoText, c.makerMachine, 'attended'));
    const s = item(report, 'session');
    assert.equal(s.outcome, 'unknown');
    assert.match(s.message, /CONTOSO\\maker must be signed in on the machine with an unlocked session/);
    assert.equal(report.verdict, 'ready');
  });

  it('says a busy group makes the run wait, with the runs ahead', async () => {
    const org = suite.f.orgs.dev;
    const started = await fillFinanceBots(suite.session, org);
    try {
      let report: ReadinessReport | undefined;
      for (let attempt = 0; attempt < 50; attempt++) {
        report = await check(request(seedFlowNames.echoText, c.financeBots));
        if (report.machines.every((m) => m.presence !== 'free') && report.queuedAhead > 0) {
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(report);
      const m = item(report, 'machines');
      assert.equal(m.outcome, 'warning', JSON.stringify(report));
      assert.match(
        m.message,
        /^This run will wait: all 2 online machines in Finance Bots are busy, \d+ runs? ahead\.$/,
      );
      assert.equal(report.verdict, 'willWait');
    } finally {
      await cancelRuns(suite.session, org, started);
    }
  });

  it('predicts UnsupportedRpaScriptSchemaVersion once the flow was refused on the target machine', async () => {
    const org = suite.f.orgs.dev;
    const s = await suite.session.runs.runDesktopFlow(
      org,
      seedIds.flows.legacySchema,
      { runMode: 'unattended', connectionName: c.makerMachine },
      signal,
    );
    for (let attempt = 0; attempt < 100; attempt++) {
      const run = await suite.session.runs.getFlowSession(org, s.sessionId, signal);
      if (run.status === 'failed') {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const report = await check(
      request(seedFlowNames.legacySchema, c.makerMachine, 'unattended', { kind: 'none' }),
    );
    const schema = item(report, 'schemaVersion');
    assert.equal(schema.outcome, 'error', JSON.stringify(report.items));
    assert.equal(schema.errorCode, 'UnsupportedRpaScriptSchemaVersion');
    assert.match(schema.message, /was already refused on DESKTOP-MAKER01 \(agent [\d.]+\)/);
  });

  it('compares agent versions part by part', () => {
    assert.ok(compareVersions('2.41.178.24', '2.52.62.25009') < 0);
    assert.ok(compareVersions('2.100', '2.52') > 0);
    assert.equal(compareVersions('2.5', '2.5.0'), 0);
  });
});
