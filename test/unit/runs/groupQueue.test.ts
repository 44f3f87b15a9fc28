/**
 * `readGroupQueue` against the sandbox over real HTTP: the group's row, its machines, the runs running on them
 * and those waiting in its queue (oldest first), as "Check Before Run", "Why is it waiting?" and the
 * connection ranking all read them; an empty group; a group list already read is not read again.
 */
import assert from 'node:assert/strict';
import { busyMachineIds, readGroupQueue } from '../../../src/core/runs/groupQueue';
import { seedIds } from '../../../src/sandbox/seed';
import { cancelRuns, fillFinanceBots, sandboxSessionSuite } from '../helpers/sandboxSession';

describe('readGroupQueue: a machine group, its machines and its queue', () => {
  const suite = sandboxSessionSuite();
  const signal = new AbortController().signal;
  const groups = seedIds.machineGroups;

  it('reads the runs on the machines of a busy group and the queue behind them, oldest first', async () => {
    const { f, session } = suite;
    const org = f.orgs.dev;
    // The last run is queued a second later than the others.
    const started = await fillFinanceBots(session, org, { lastLater: true });
    try {
      let queue = await readGroupQueue(session, org, groups.financeBots, signal);
      for (let attempt = 0; attempt < 50 && queue.running.length < 2; attempt++) {
        await new Promise((r) => setTimeout(r, 100));
        queue = await readGroupQueue(session, org, groups.financeBots, signal);
      }
      assert.equal(queue.group?.name, 'Finance Bots');
      assert.equal(queue.group?.isImplicit, false);
      assert.deepEqual(
        queue.machines.map((m) => m.name),
        ['FIN-BOT-01', 'FIN-BOT-02'],
      );
      assert.equal(queue.running.length, 2, JSON.stringify(queue));
      assert.equal(queue.waiting.length, 2);
      assert.ok(queue.running.every((r) => r.status === 'running'));
      assert.ok(queue.waiting.every((r) => r.status === 'waiting'));
      // Every run started is either running or waiting; the one queued last is last in the queue.
      assert.deepEqual(
        new Set([...queue.running, ...queue.waiting].map((r) => r.id.toLowerCase())),
        new Set(started.map((id) => id.toLowerCase())),
      );
      assert.equal(queue.waiting[1]?.id.toLowerCase(), started[3]?.toLowerCase());
      // Each busy machine names the run it is running.
      assert.deepEqual(busyMachineIds(queue), new Set(queue.machines.map((m) => m.id.toLowerCase())));
      assert.deepEqual(new Set(queue.runningOn.values()), new Set(queue.running.map((r) => r.id)));
    } finally {
      await cancelRuns(session, org, started);
    }
  });

  it('reads an empty group as no machines and no runs', async () => {
    const { f, session } = suite;
    const queue = await readGroupQueue(session, f.orgs.dev, groups.emptyPool, signal);
    assert.equal(queue.group?.name, 'Empty Pool');
    assert.deepEqual(queue.machines, []);
    assert.deepEqual(queue.running, []);
    assert.deepEqual(queue.waiting, []);
  });

  it('does not read the group list again when the caller has it', async () => {
    const { f, session } = suite;
    const org = f.orgs.dev;
    const all = await session.machineGroups.list(org, signal);
    const made: string[] = [];
    const listening = session.http.onDidRequest((e) => made.push(`${e.method} ${e.url}`));
    const queue = await readGroupQueue(session, org, groups.laptopOffline, signal, all).finally(() =>
      listening.dispose(),
    );
    assert.equal(queue.group?.name, 'LAPTOP-OLD');
    assert.equal(queue.group?.isImplicit, true);
    assert.deepEqual(
      queue.machines.map((m) => m.name),
      ['LAPTOP-OLD'],
    );
    assert.equal(made.length, 2, made.join('\n'));
    assert.ok(made.some((r) => /flowmachinegroup_flowmachine/.test(r)));
    assert.ok(made.some((r) => /flowsessions/.test(r)));
  });
});
