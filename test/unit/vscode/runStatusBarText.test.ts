import assert from 'node:assert/strict';
import type { StoreRun } from '../../../src/vscode/runs/runStore';
import {
  aggregateText,
  phaseText,
  singleRunText,
  statusBarLook,
} from '../../../src/vscode/runs/runStatusBarText';
import { storeRun } from '../helpers/storeRuns';

const now = 1_700_000_000_000;

function run(overrides: Partial<StoreRun>): StoreRun {
  return storeRun({
    flowName: 'Invoice Processing',
    machine: 'DESKTOP-MAKER01',
    elapsedSince: now - 42_000,
    ...overrides,
  });
}

describe('run status bar text and colour', () => {
  it('shows one active run with its state and elapsed time, and ticks', () => {
    const look = statusBarLook([run({})], undefined, now);
    assert.deepEqual(look, {
      visible: true,
      text: '$(sync~spin) Invoice Processing: Running 0:42',
      background: undefined,
      ticking: true,
    });
  });

  it('shows a starting run without a time, and does not tick for it', () => {
    const look = statusBarLook(
      [run({ phase: 'starting', status: undefined, runId: undefined })],
      undefined,
      now,
    );
    assert.equal(look.visible && look.text, '$(loading~spin) Invoice Processing: Starting…');
    assert.equal(look.visible && look.ticking, false);
  });

  it('counts several active runs by state, with the longest time', () => {
    const text = aggregateText(
      [
        run({ runId: 'a', elapsedSince: now - 65_000 }),
        run({ runId: 'b', phase: 'queued', status: 'waiting', elapsedSince: now - 5_000 }),
        run({ runId: 'c', phase: 'starting', status: undefined }),
      ],
      now,
    );
    assert.equal(text, '$(sync~spin) 3 desktop flow runs: 1 running, 1 queued, 1 starting 1:05');
  });

  it('colours a rate-limit wait yellow and names it', () => {
    const waiting = run({
      phase: 'rateLimited',
      status: undefined,
      rateLimit: { reason: 'serviceThrottled', until: now + 5_000 },
    });
    const look = statusBarLook([waiting], undefined, now);
    assert.equal(look.visible && look.text, '$(clock) Invoice Processing: Waiting (rate limit) 0:42');
    assert.equal(look.visible && look.background, 'statusBarItem.warningBackground');
  });

  it('keeps a succeeded run for its linger time without colour, then hides', () => {
    const done = run({ phase: 'finished', status: 'succeeded', durationMs: 60_000, stoppedAt: now - 5_000 });
    const look = statusBarLook([], done, now, { succeededMs: 15_000, otherwiseMs: 120_000 });
    assert.deepEqual(look, {
      visible: true,
      text: '$(pass) Invoice Processing: Succeeded 1:00',
      background: undefined,
      ticking: false,
      lingerLeftMs: 10_000,
    });
    assert.deepEqual(statusBarLook([], done, now + 10_000, { succeededMs: 15_000, otherwiseMs: 120_000 }), {
      visible: false,
    });
  });

  it('keeps a failed run longer, in red', () => {
    const failed = run({ phase: 'finished', status: 'failed', stoppedAt: now - 30_000 });
    const look = statusBarLook([], failed, now, { succeededMs: 15_000, otherwiseMs: 120_000 });
    assert.equal(look.visible && look.text, '$(error) Invoice Processing: Failed');
    assert.equal(look.visible && look.background, 'statusBarItem.errorBackground');
    assert.equal(look.visible && look.lingerLeftMs, 90_000);
  });

  it('shows active runs rather than the last finished one, and nothing when there is neither', () => {
    const done = run({ runId: 'old', phase: 'finished', status: 'failed', stoppedAt: now });
    const look = statusBarLook([run({})], done, now);
    assert.equal(look.visible && look.text, '$(sync~spin) Invoice Processing: Running 0:42');
    assert.equal(look.visible && look.background, undefined);
    assert.deepEqual(statusBarLook([], undefined, now), { visible: false });
  });

  it('says watching stopped, in yellow and without a timer, when no run is active', () => {
    const stopped = run({
      phase: 'queued',
      status: 'waiting',
      watchStopped: 'signedOut',
      stoppedAt: now - 1_000,
    });
    assert.deepEqual(statusBarLook([], undefined, now, undefined, [stopped]), {
      visible: true,
      text: '$(debug-disconnect) Invoice Processing: not watched, account signed out',
      background: 'statusBarItem.warningBackground',
      ticking: false,
      watchStopped: [stopped],
    });
    const two = [stopped, run({ runId: 'b', watchStopped: 'signedOut', stoppedAt: now - 1_000 })];
    const look = statusBarLook([], undefined, now, undefined, two);
    assert.equal(
      look.visible && look.text,
      '$(debug-disconnect) 2 desktop flow runs not watched, account signed out',
    );
    // A run being watched takes the item back.
    const watched = run({ runId: 'c' });
    assert.deepEqual(
      statusBarLook([watched], undefined, now, undefined, two),
      statusBarLook([watched], undefined, now),
    );
  });

  it('shows a run that finished after watching stopped while it lingers, and the stop again after', () => {
    const linger = { succeededMs: 15_000, otherwiseMs: 120_000 };
    const stopped = run({ runId: 'old', watchStopped: 'signedOut', stoppedAt: now - 10_000 });
    const later = run({
      runId: 'new',
      phase: 'finished',
      status: 'succeeded',
      durationMs: 1_000,
      stoppedAt: now - 5_000,
    });
    const look = statusBarLook([], later, now, linger, [stopped]);
    assert.equal(look.visible && look.text, '$(pass) Invoice Processing: Succeeded 0:01');
    assert.equal(look.visible && look.watchStopped, undefined);
    const afterLinger = statusBarLook([], later, now + 10_000, linger, [stopped]);
    assert.equal(
      afterLinger.visible && afterLinger.text,
      '$(debug-disconnect) Invoice Processing: not watched, account signed out',
    );
    // A run that finished before watching stopped does not hide the stop.
    const earlier = run({ runId: 'new', phase: 'finished', status: 'failed', stoppedAt: now - 20_000 });
    const stop = statusBarLook([], earlier, now, linger, [stopped]);
    assert.equal(stop.visible && stop.watchStopped?.length, 1);
  });

  it('words each phase with its icon, a flow without a name by its id', () => {
    assert.deepEqual(phaseText(run({ phase: 'paused', status: 'paused' })).icon, '$(debug-pause)');
    assert.deepEqual(phaseText(run({ phase: 'finished', status: 'cancelled' })), {
      icon: '$(circle-slash)',
      words: 'Cancelled',
    });
    assert.match(singleRunText(run({ flowName: undefined, flowId: 'abcdef12-0000' }), now), /abcdef12/);
  });
});
