import assert from 'node:assert/strict';
import type { Run } from '../../../src/core/model/run';
import type { StoreRun } from '../../../src/vscode/runs/runStore';
import {
  defaultRunsViewFilter,
  filterDescription,
  filterMessage,
  runRowDescription,
  runRowFacts,
  runRowLabel,
  storeRunPasses,
} from '../../../src/vscode/runs/runsViewRows';
import { storeRun } from '../helpers/storeRuns';

const now = Date.parse('2026-12-03T12:00:00Z');
const run = {
  id: 'r1',
  status: 'succeeded',
  createdOn: '2026-12-03T11:57:00Z',
  startedOn: '2026-12-03T11:57:02Z',
  completedOn: '2026-12-03T11:57:10Z',
  flowName: 'Echo Text',
  machineName: 'DESKTOP-MAKER01',
  createdByName: 'Megan Bowen',
  runMode: 'attended',
  errorCode: undefined,
  errorMessage: undefined,
} as unknown as Run;
const page = { run, runTimeMs: 8_000, queueWaitMs: 2_000 };

function live(over: Partial<StoreRun>): StoreRun {
  return storeRun({
    key: 'k',
    machine: 'FIN-BOT-01',
    elapsedBaseMs: 3_000,
    elapsedSince: now - 2_000,
    ...over,
  });
}

describe('Runs view rows', () => {
  it('words a run status first, with how long ago and how long it ran; flow, machine and who started it after', () => {
    const facts = runRowFacts(page, undefined, 'Contoso Dev', now);
    assert.equal(runRowLabel(facts, now), '✓ succeeded · 3 min ago · 8.0 s');
    assert.equal(runRowDescription(facts), 'Echo Text · DESKTOP-MAKER01 · Megan Bowen');
  });

  it('takes a run the store knows from the store: live status, machine and time', () => {
    const facts = runRowFacts({ ...page, run: { ...run, status: 'waiting' } }, live({}), 'Contoso Dev', now);
    assert.equal(facts.status, 'running');
    assert.equal(facts.machine, 'FIN-BOT-01');
    assert.equal(facts.runTimeMs, 5_000);
    assert.equal(runRowLabel(facts, now), 'running · 3 min ago');
    const stopped = runRowFacts(page, live({ watchStopped: 'signedOut' }), 'Contoso Dev', now);
    assert.match(runRowLabel(stopped, now), /· not watched$/);
    const ended = runRowFacts(
      undefined,
      live({ phase: 'finished', status: 'failed', errorCode: 'X', durationMs: 1_000, stoppedAt: now }),
      'Contoso Dev',
      now,
    );
    assert.equal(ended.errorCode, 'X');
    assert.match(runRowLabel(ended, now), /^✗ failed/);
  });

  it('shows the filter in the view description and message', () => {
    const name = (): string => 'Contoso Dev';
    assert.equal(filterDescription(defaultRunsViewFilter, name), 'everyone');
    assert.equal(filterMessage(defaultRunsViewFilter, name), undefined);
    const f = { mine: true, status: 'failed' as const, environments: ['https://contoso.crm.dynamics.com'] };
    assert.equal(filterDescription(f, name), 'mine · failed · Contoso Dev');
    assert.equal(
      filterMessage(f, name),
      'Showing failed runs you started in Contoso Dev. Clear the filter to see every run.',
    );
  });

  it('filters the runs of this window like the service filters pages', () => {
    const key = (o: string): string => o.toLowerCase();
    assert.ok(storeRunPasses(live({}), { ...defaultRunsViewFilter, status: 'active' }, key));
    assert.ok(!storeRunPasses(live({}), { ...defaultRunsViewFilter, status: 'failed' }, key));
    assert.ok(!storeRunPasses(live({}), { ...defaultRunsViewFilter, environments: ['https://other'] }, key));
    assert.ok(
      storeRunPasses(
        live({ phase: 'finished', status: 'timedOut' }),
        { ...defaultRunsViewFilter, status: 'failed' },
        key,
      ),
    );
  });
});
