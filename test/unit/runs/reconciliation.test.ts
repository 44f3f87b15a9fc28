import assert from 'node:assert/strict';
import type { Run } from '../../../src/core/model/run';
import {
  chooseReconciledRun,
  ClaimedRuns,
  reconciliationCandidates,
  sameJson,
} from '../../../src/core/runs/reconciliation';
import type { RunOptions } from '../../../src/core/runs/runOptions';

function run(id: string, createdOn: string, extra: Partial<Run> = {}): Run {
  return {
    id,
    name: undefined,
    status: 'waiting',
    statusCode: 3,
    statusLabel: undefined,
    stateCode: 0,
    flowId: 'f',
    runMode: 'attended',
    trigger: 'dataverseApi',
    createdOn,
    startedOn: undefined,
    completedOn: undefined,
    errorCode: undefined,
    errorMessage: undefined,
    machineId: undefined,
    machineName: undefined,
    machineGroupId: undefined,
    ownerId: undefined,
    connectionId: 'shared-uiflow-a',
    runDuration: undefined,
    ...extra,
  };
}

const options: RunOptions = {
  connection: { kind: 'connection', name: 'shared-uiflow-a' },
  runMode: 'attended',
};
const t0 = Date.parse('2025-05-06T10:00:00Z');

describe('runs: reconciliation rules', () => {
  it('never offers a run that is already attributed, or one of another run mode or connection', () => {
    const claimed = new ClaimedRuns(600_000);
    claimed.claim(['A'], t0);
    const rows = [
      run('a', '2025-05-06T10:00:00Z'),
      run('b', '2025-05-06T10:00:00Z', { runMode: 'unattended' }),
      run('c', '2025-05-06T10:00:00Z', { connectionId: 'shared-uiflow-other' }),
      run('d', '2025-05-06T10:00:01Z', {
        connectionId: '/providers/Microsoft.PowerApps/apis/shared_uiflow/connections/shared-uiflow-a',
      }),
      run('e', '2025-05-06T10:00:01Z', { connectionId: undefined, runMode: 'unknown' }),
    ];
    assert.deepEqual(
      reconciliationCandidates(rows, options, claimed).map((r) => r.id),
      ['d', 'e'],
    );
  });

  it('prefers the run with our inputs, never excludes one whose stored inputs differ, then takes the closest in time', () => {
    const rows = [
      run('early', '2025-05-06T09:59:10Z'),
      run('close', '2025-05-06T10:00:01Z'),
      run('late', '2025-05-06T10:00:40Z'),
    ];
    assert.equal(chooseReconciledRun(rows, t0, new Map())?.id, 'close');
    assert.equal(chooseReconciledRun(rows, t0, new Map([['late', true]]))?.id, 'late');
    // Stored inputs may differ from what was sent (sensitive values are hidden): still a candidate.
    assert.equal(chooseReconciledRun([rows[0] as Run], t0, new Map([['early', false]]))?.id, 'early');
    assert.equal(chooseReconciledRun([], t0, new Map()), undefined);
  });

  it('forgets claims only after the retention, when no reconciliation window can reach them', () => {
    const claimed = new ClaimedRuns(1_000);
    claimed.claim(['x'], t0);
    claimed.claim(['y'], t0 + 999);
    assert.ok(claimed.has('X'));
    claimed.claim(['z'], t0 + 1_500);
    assert.ok(!claimed.has('x'));
    assert.ok(claimed.has('y') && claimed.has('z'));
  });

  it('compares inputs as JSON, ignoring key order', () => {
    assert.ok(sameJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }));
    assert.ok(!sameJson({ a: 1 }, { a: '1' }));
    assert.ok(!sameJson({ a: 1 }, { a: 1, b: undefined }));
    assert.ok(!sameJson([1, 2], { 0: 1, 1: 2 }));
  });
});
