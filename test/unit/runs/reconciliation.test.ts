import assert from 'node:assert/strict';
import type { Run } from '../../../src/core/model/run';
import {
  ClaimedRuns,
  exclusionOf,
  sameInputs,
  sameJson,
  type RunEvidence,
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
  it('excludes a run claimed by anyone, started by someone else, of another mode or connection, or created before our request', () => {
    const claimed = new ClaimedRuns(600_000);
    claimed.claim(['A'], t0);
    const evidence: RunEvidence = { options, callerId: 'user-1', createdOnOrAfter: t0 - 1_000 };
    const rows = [
      run('a', '2025-05-06T10:00:00Z'),
      run('b', '2025-05-06T10:00:00Z', { runMode: 'unattended' }),
      run('c', '2025-05-06T10:00:00Z', { connectionId: 'shared-uiflow-other' }),
      run('d', '2025-05-06T10:00:01Z', {
        connectionId: '/providers/Microsoft.PowerApps/apis/shared_uiflow/connections/shared-uiflow-a',
        createdById: 'USER-1',
      }),
      run('e', '2025-05-06T10:00:01Z', { connectionId: undefined, runMode: 'unknown' }),
      run('f', '2025-05-06T10:00:01Z', { createdById: 'user-2', ownerId: 'user-1' }),
      run('g', '2025-05-06T10:00:01Z', { ownerId: 'user-2' }),
      run('h', '2025-05-06T09:59:58Z'),
    ];
    assert.deepEqual(
      rows.map((r) => [r.id, exclusionOf(r, evidence, (id) => claimed.has(id)) ?? 'candidate']),
      [
        ['a', 'claimed'],
        ['b', 'runMode'],
        ['c', 'connection'],
        ['d', 'candidate'],
        ['e', 'candidate'],
        ['f', 'caller'],
        ['g', 'caller'],
        ['h', 'createdOn'],
      ],
    );
  });

  it('takes a run as ours only with our inputs: all of them, or every non-sensitive one', () => {
    assert.ok(sameInputs('{"Required":"B","n":1}', { n: 1, Required: 'B' }));
    assert.ok(!sameInputs('{"Required":"B"}', { Required: 'A' }));
    assert.ok(!sameInputs('{"Required":"B"}', { Required: 'B', Extra: 'x' }));
    assert.ok(sameInputs(undefined, undefined));
    assert.ok(sameInputs('{}', undefined));
    assert.ok(!sameInputs(undefined, { Required: 'A' }));
    // The service may store sensitive values hidden: only the others count, on both sides.
    assert.ok(sameInputs('{"User":"u","Password":"p"}', { User: 'u', Password: '***' }, ['Password']));
    assert.ok(sameInputs('{"User":"u","Password":"p"}', { User: 'u' }, ['Password']));
    assert.ok(!sameInputs('{"User":"u","Password":"p"}', { User: 'v', Password: 'p' }, ['Password']));
    assert.ok(!sameInputs('{"User":"u"}', { User: 'u', Other: 1, Password: '***' }, ['Password']));
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
