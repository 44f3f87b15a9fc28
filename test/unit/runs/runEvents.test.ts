import assert from 'node:assert/strict';
import { endedRunTimeMs, runTimings } from '../../../src/core/runs/runEvents';

describe('runs: the run time of an ended run', () => {
  const startedOn = '2026-12-04T10:00:00Z';
  const seen = { at: Date.parse('2026-12-04T10:00:05Z'), runTimeMs: 5_000 };
  const end = Date.parse('2026-12-04T10:00:47Z');

  it("is the service's when its row gives one", () => {
    const service = runTimings({ createdOn: undefined, startedOn, completedOn: '2026-12-04T10:00:42Z' }, end);
    assert.equal(endedRunTimeMs(service.runTimeMs, seen, end), 42_000);
  });

  it('is the time it was seen running, up to when its end was seen, when the row gives none (cancelled while running)', () => {
    // completedon equal to startedon: the service says it ran 0 ms.
    const same = runTimings({ createdOn: undefined, startedOn, completedOn: startedOn }, end);
    assert.equal(same.runTimeMs, 0);
    assert.equal(endedRunTimeMs(same.runTimeMs, seen, end), 47_000);
    // startedon ahead of this clock, no completedon: measured up to now, it is negative, so 0.
    const ahead = runTimings(
      { createdOn: undefined, startedOn: '2026-12-04T11:00:00Z', completedOn: undefined },
      end,
    );
    assert.equal(ahead.runTimeMs, 0);
    assert.equal(endedRunTimeMs(ahead.runTimeMs, { at: seen.at, runTimeMs: 0 }, end), 42_000);
  });

  it('stays unknown or 0 for a run never seen running', () => {
    assert.equal(endedRunTimeMs(undefined, undefined, end), undefined);
    assert.equal(endedRunTimeMs(0, undefined, end), 0);
  });
});
