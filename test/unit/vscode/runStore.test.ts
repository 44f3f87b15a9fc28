import assert from 'node:assert/strict';
import type {
  RunDisplay,
  RunEvent,
  RunFinishedEvent,
  RunStateChangedEvent,
} from '../../../src/core/runs/runEvents';
import type { EnvironmentRef } from '../../../src/core/runs/runJournal';
import {
  maxFinishedRuns,
  reduceRuns,
  RunStore,
  storeKey,
  type RunStoreAction,
  type RunStoreState,
} from '../../../src/vscode/runs/runStore';

const environment: EnvironmentRef = {
  id: 'env-1',
  orgUrl: 'https://contoso.crm.dynamics.com',
  displayName: 'Contoso Dev',
};
const other: EnvironmentRef = {
  id: 'env-2',
  orgUrl: 'https://fabrikam.crm.dynamics.com',
  displayName: 'Fabrikam',
};
const display: RunDisplay = {
  flowName: 'Echo Text',
  environmentName: 'Contoso Dev',
  connectionName: 'Maker machine',
  maskedInputs: '{"inputText":"hello","ApiKey":"********"}',
  sensitiveInputNames: ['ApiKey'],
  origin: 'palette',
};
const timings = {
  createdOn: undefined,
  startedOn: undefined,
  completedOn: undefined,
  queueWaitMs: undefined,
  runTimeMs: undefined,
};

function triggered(runId: string, env = environment, triggerId = `t-${runId}`): RunEvent {
  return {
    kind: 'triggered',
    at: 0,
    environment: env,
    flowId: 'flow-1',
    flowName: 'Echo Text',
    runId,
    triggerId,
    options: { connection: { kind: 'connection', name: 'c' }, runMode: 'attended' },
    reconciled: false,
    attempts: 1,
    display,
  };
}

function state(
  runId: string,
  status: RunStateChangedEvent['status'],
  extra: Partial<RunStateChangedEvent> = {},
): RunEvent {
  return {
    kind: 'stateChanged',
    at: 0,
    environment,
    flowId: 'flow-1',
    runId,
    previous: undefined,
    status,
    machine: { id: 'm1', name: 'DESKTOP-MAKER01' },
    ...timings,
    ...extra,
  };
}

function finished(
  runId: string,
  status: RunFinishedEvent['status'],
  outputs?: Record<string, unknown>,
): RunEvent {
  return {
    kind: 'finished',
    at: 0,
    environment,
    flowId: 'flow-1',
    runId,
    status,
    machine: undefined,
    errorCode: status === 'failed' ? 'ActionFailed' : undefined,
    errorMessage: undefined,
    outputs,
    outputsError: undefined,
    endedWhileAway: false,
    ...timings,
    runTimeMs: 8_000,
  };
}

function reduce(actions: readonly RunStoreAction[], start: RunStoreState = new Map()): RunStoreState {
  return actions.reduce((s, a, i) => reduceRuns(s, a, 1_000 + i), start);
}

describe('run store (pure reducer over core run events)', () => {
  it('follows a run from starting through queued and running to succeeded, keeping what the UI shows', () => {
    const s1 = reduce([
      { kind: 'starting', triggerId: 't-r1', environment, flowId: 'flow-1', flowName: 'Echo Text' },
    ]);
    assert.deepEqual(
      [...s1.values()].map((r) => r.phase),
      ['starting'],
    );
    const s2 = reduce(
      [triggered('r1'), state('r1', 'waiting'), state('r1', 'running', { runTimeMs: 2_000 })],
      s1,
    );
    const run = s2.get(storeKey(environment.orgUrl, 'r1'));
    assert.equal(s2.size, 1, 'the starting entry became the run');
    assert.equal(run?.phase, 'running');
    assert.equal(run?.machine, 'DESKTOP-MAKER01');
    assert.equal(run?.elapsedBaseMs, 2_000);
    assert.equal(
      run?.display?.maskedInputs,
      display.maskedInputs,
      'masked inputs travel on the events, not a side map',
    );
    const s3 = reduce([finished('r1', 'succeeded', { outputText: 'hi' })], s2);
    const done = s3.get(storeKey(environment.orgUrl, 'r1'));
    assert.equal(done?.phase, 'finished');
    assert.equal(done?.status, 'succeeded');
    assert.equal(done?.hasOutputs, true);
    assert.equal(done?.durationMs, 8_000);
    assert.equal(done?.display?.connectionName, 'Maker machine');
  });

  it('keys runs by org and id however the org URL and id are cased or slashed', () => {
    const s = reduce([
      triggered('ABC-1'),
      {
        ...finished('abc-1', 'failed'),
        environment: { ...environment, orgUrl: 'https://CONTOSO.crm.dynamics.com/' },
      },
    ]);
    assert.equal(s.size, 1);
    assert.equal([...s.values()][0]?.status, 'failed');
  });

  it('drops a start that sent nothing, and returns the same state for events that change nothing', () => {
    const s1 = reduce([
      { kind: 'starting', triggerId: 't', environment, flowId: 'flow-1', flowName: 'Echo Text' },
    ]);
    const s2 = reduceRuns(s1, { kind: 'notStarted', triggerId: 't' }, 2_000);
    assert.equal(s2.size, 0);
    assert.equal(reduceRuns(s2, { kind: 'notStarted', triggerId: 't' }, 3_000), s2);
    const poll: RunEvent = {
      kind: 'error',
      at: 0,
      environment,
      runIds: ['r1'],
      error: new Error('x'),
      consecutiveFailures: 1,
      retryAt: 5_000,
    };
    assert.equal(reduceRuns(s2, poll, 4_000), s2, 'a poll that will be retried changes nothing');
  });

  it('marks runs of a signed-out org as no longer watched (no timer), leaves other orgs, and resumes them', () => {
    const s1 = reduce([triggered('r1'), state('r1', 'waiting'), triggered('r2', other)]);
    const s2 = reduceRuns(
      s1,
      { kind: 'watchStopped', orgUrls: ['https://contoso.crm.dynamics.com/'], reason: 'signedOut' },
      9_000,
    );
    const r1 = s2.get(storeKey(environment.orgUrl, 'r1'));
    assert.equal(r1?.watchStopped, 'signedOut');
    assert.equal(r1?.status, 'waiting', 'the last status seen is kept');
    assert.equal(s2.get(storeKey(other.orgUrl, 'r2'))?.watchStopped, undefined);
    const s3 = reduceRuns(s2, state('r1', 'running'), 10_000);
    assert.equal(
      s3.get(storeKey(environment.orgUrl, 'r1'))?.watchStopped,
      undefined,
      'a new status means it is watched again',
    );
  });

  it('says when this window stopped following a run: when it finished, or when watching stopped', () => {
    const key = storeKey(environment.orgUrl, 'r1');
    const watched = reduce([triggered('r1'), state('r1', 'waiting')]);
    assert.equal(watched.get(key)?.stoppedAt, undefined, 'a watched run has not stopped');
    const signedOut = reduceRuns(
      watched,
      { kind: 'watchStopped', orgUrls: [environment.orgUrl], reason: 'signedOut' },
      9_000,
    );
    assert.equal(signedOut.get(key)?.stoppedAt, 9_000);
    // A status seen later (another window's poll, signing in) means it is followed again.
    assert.equal(reduceRuns(signedOut, state('r1', 'running'), 10_000).get(key)?.stoppedAt, undefined);
    const resumed = reduceRuns(signedOut, { kind: 'watchResumed', keys: [key] }, 11_000);
    assert.equal(resumed.get(key)?.stoppedAt, undefined);
    // It finished while watched again: stopped when the finish was reported, not when watching stopped.
    const done = reduceRuns(resumed, finished('r1', 'succeeded'), 12_000);
    assert.equal(done.get(key)?.stoppedAt, 12_000);
    // A run whose watching stopped and that then finished: the finish is the newer stop.
    assert.equal(reduceRuns(signedOut, finished('r1', 'failed'), 13_000).get(key)?.stoppedAt, 13_000);
  });

  it('lists finished runs newest first by when they stopped', () => {
    let now = 0;
    const store = new RunStore(() => now);
    for (const [id, at] of [
      ['a', 5_000],
      ['b', 3_000],
      ['c', 8_000],
    ] as const) {
      now = at - 1;
      store.dispatch(triggered(id));
      now = at;
      store.dispatch(finished(id, 'succeeded'));
    }
    assert.deepEqual(
      store.finished().map((r) => [r.runId, r.stoppedAt]),
      [
        ['c', 8_000],
        ['a', 5_000],
        ['b', 3_000],
      ],
    );
    store.dispose();
  });

  it('keeps the newest finished runs only', () => {
    const actions: RunStoreAction[] = [];
    for (let i = 0; i < maxFinishedRuns + 5; i++) {
      actions.push(triggered(`r${i}`), finished(`r${i}`, 'succeeded'));
    }
    const s = reduce(actions);
    assert.equal(s.size, maxFinishedRuns);
    assert.ok(!s.has(storeKey(environment.orgUrl, 'r0')), 'the oldest went first');
  });

  it('tells subscribers about every action, with the run it touched', () => {
    let now = 0;
    const store = new RunStore(() => (now += 100));
    const seen: string[] = [];
    store.onDidChange((c) => seen.push(`${c.action.kind}:${c.run?.phase ?? '-'}`));
    store.dispatch(triggered('r1'));
    store.dispatch(state('r1', 'running'));
    store.dispatch(finished('r1', 'succeeded'));
    assert.deepEqual(seen, ['triggered:queued', 'stateChanged:running', 'finished:finished']);
    assert.equal(store.active().length, 0);
    assert.equal(store.finished()[0]?.runId, 'r1');
  });
});
