import assert from 'node:assert/strict';
import { runActions, type RunFacts } from '../../../src/vscode/runs/runActions';

const base: RunFacts = {
  status: 'succeeded',
  hasRunId: true,
  watched: true,
  hasOutputs: true,
  otherSucceeded: true,
  inTranscript: true,
};

describe('runActions (what a run offers, everywhere)', () => {
  it('offers outputs, details, run again, compare and Create Test for a succeeded run with outputs', () => {
    assert.deepEqual(runActions(base), [
      'showOutput',
      'outputs',
      'details',
      'runAgain',
      'compare',
      'createTest',
    ]);
  });

  it('offers Create Test from Run for every finished run (a failure can be the expectation), never a running one', () => {
    assert.ok(runActions({ ...base, status: 'failed' }).includes('createTest'));
    assert.ok(runActions({ ...base, status: 'cancelled', watched: false }).includes('createTest'));
    assert.ok(!runActions({ ...base, status: 'running' }).includes('createTest'));
    assert.ok(!runActions({ ...base, status: undefined, hasRunId: false }).includes('createTest'));
  });

  it('never offers Open Outputs, Save Outputs or Compare for a run without outputs (defect 7)', () => {
    assert.deepEqual(runActions({ ...base, hasOutputs: false }), [
      'showOutput',
      'details',
      'runAgain',
      'createTest',
    ]);
    assert.deepEqual(runActions({ ...base, status: 'failed' }), [
      'showOutput',
      'details',
      'runAgain',
      'createTest',
    ]);
  });

  it('offers Compare only when another succeeded run is there to compare with', () => {
    assert.ok(!runActions({ ...base, otherSucceeded: false }).includes('compare'));
    assert.ok(runActions({ ...base, otherSucceeded: undefined }).includes('compare'), 'unknown: offered');
  });

  it('offers Cancel only while the run is watched and not ended; a start in flight offers only the transcript', () => {
    assert.deepEqual(runActions({ ...base, status: 'running' }), ['showOutput', 'cancel', 'details']);
    assert.deepEqual(runActions({ ...base, status: 'waiting', watched: false }), ['showOutput', 'details']);
    assert.deepEqual(runActions({ ...base, status: undefined, hasRunId: false }), ['showOutput']);
  });

  it('offers Why Is It Waiting? on a queued run only, in every menu that asks runActions (issue 14)', () => {
    assert.deepEqual(runActions({ ...base, status: 'waiting' }), [
      'showOutput',
      'cancel',
      'whyWaiting',
      'details',
    ]);
    assert.deepEqual(runActions({ ...base, status: 'waiting', inTranscript: false }), [
      'cancel',
      'whyWaiting',
      'details',
    ]);
    for (const status of ['running', 'succeeded', 'failed', undefined] as const) {
      assert.ok(!runActions({ ...base, status }).includes('whyWaiting'), String(status));
    }
    assert.ok(
      !runActions({ ...base, status: 'waiting', hasRunId: false }).includes('whyWaiting'),
      'a start in flight',
    );
  });
});
