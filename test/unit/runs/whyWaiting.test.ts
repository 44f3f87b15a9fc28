/**
 * "Why is it waiting?" against the sandbox over real HTTP: a run queued behind others in Finance Bots gets
 * its position, the runs ahead, the machines and what they run, and the queue timeout.
 */
import assert from 'node:assert/strict';
import { explainWaiting, formatSpan } from '../../../src/core/runs/whyWaiting';
import { seedIds, seedNames } from '../../../src/sandbox/seed';
import { cancelRuns, fillFinanceBots, sandboxSessionSuite } from '../helpers/sandboxSession';

describe('explainWaiting: why a queued run waits', () => {
  const suite = sandboxSessionSuite();
  const signal = new AbortController().signal;

  it('gives the position, the runs ahead with known priorities, the busy machines and the timeout', async () => {
    const org = suite.f.orgs.dev;
    // The last run is queued a second later than the others; the third has high priority.
    const started = await fillFinanceBots(suite.session, org, {
      lastLater: true,
      priority: (i) => (i === 2 ? 'high' : 'normal'),
    });
    try {
      const last = started[3]!;
      let answer = await explainWaiting(org, last, { session: suite.session }, signal);
      for (let attempt = 0; attempt < 50 && !(answer.waiting && answer.position === 2); attempt++) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await explainWaiting(
          org,
          last,
          { session: suite.session, priorityOf: (id) => (id === started[2] ? 'high' : undefined) },
          signal,
        );
      }
      assert.equal(answer.waiting, true, JSON.stringify(answer));
      assert.equal(answer.groupName, 'Finance Bots');
      assert.equal(answer.position, 2, JSON.stringify(answer, null, 1));
      assert.equal(answer.queueLength, 2);
      // The sandbox, like the service, starts the high-priority run first: whichever of the first three still
      // waits is ahead, with its priority when this tool knows it.
      assert.equal(answer.ahead.length, 1);
      const ahead = answer.ahead[0]!;
      assert.ok(started.slice(0, 3).includes(ahead.runId));
      assert.equal(ahead.priority, ahead.runId === started[2] ? 'high' : undefined);
      assert.ok((answer.ahead[0]?.ageMs ?? -1) >= 0);
      assert.deepEqual(answer.machines.map((m) => [m.name, m.presence]).sort(), [
        ['FIN-BOT-01', 'busy'],
        ['FIN-BOT-02', 'busy'],
      ]);
      assert.deepEqual(
        new Set(answer.machines.map((m) => m.runningRunId)),
        new Set(started.slice(0, 3).filter((id) => id !== ahead.runId)),
      );
      assert.match(answer.reasons.join(' '), /All 2 online machines in Finance Bots are busy\./);
      assert.match(answer.reasons.join(' '), /1 run was queued before it in group Finance Bots/);
      assert.match(answer.reasons.join(' '), /fails with NoCandidateMachine in 5 h 59 min|in 6 h 0 min/);
    } finally {
      await cancelRuns(suite.session, org, started);
    }
  });

  it('says plainly when a run is not waiting', async () => {
    const org = suite.f.orgs.dev;
    const s = await suite.session.runs.runDesktopFlow(
      org,
      seedIds.flows.longReport,
      { runMode: 'unattended', connectionName: seedNames.connections.makerMachine },
      signal,
    );
    await suite.session.runs.cancelRun(org, s.sessionId, signal);
    let answer = await explainWaiting(org, s.sessionId, { session: suite.session }, signal);
    for (let attempt = 0; attempt < 50 && answer.status !== 'cancelled'; attempt++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await explainWaiting(org, s.sessionId, { session: suite.session }, signal);
    }
    assert.equal(answer.waiting, false);
    assert.match(answer.reasons[0] ?? '', /^This run is not waiting: it is cancelled/);
  });

  it('formats spans', () => {
    assert.equal(formatSpan(30_000), '30 s');
    assert.equal(formatSpan(4 * 60_000), '4 min');
    assert.equal(formatSpan(125 * 60_000), '2 h 5 min');
  });
});
