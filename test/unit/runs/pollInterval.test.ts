import assert from 'node:assert/strict';
import {
  environmentPollIntervalMs,
  errorBackoffMs,
  normalizePollInterval,
  runPollIntervalMs,
} from '../../../src/core/runs/pollInterval';

describe('runs: adaptive poll interval', () => {
  const options = normalizePollInterval({ minMs: 2_000, maxMs: 30_000 });

  it('polls quickly right after a change and slows down while nothing changes, within the bounds', () => {
    assert.equal(runPollIntervalMs(0, options), 2_000);
    assert.equal(runPollIntervalMs(60_000, options), 8_000);
    assert.equal(runPollIntervalMs(10 * 60_000, options), 30_000);
    const seq = [0, 10_000, 30_000, 120_000, 280_000, 3_600_000].map((t) => runPollIntervalMs(t, options));
    assert.deepEqual(
      [...seq].sort((a, b) => a - b),
      seq,
      'never gets faster as time passes without change',
    );
  });

  it('lets the most urgent run of an environment set the pace, and stops when none is left', () => {
    const now = 1_000_000;
    assert.equal(environmentPollIntervalMs([now - 3_600_000, now - 1_000], now, options), 2_100);
    assert.equal(environmentPollIntervalMs([], now, options), undefined);
  });

  it('backs off exponentially on errors and never waits less than Retry-After', () => {
    const mid = (): number => 0.5;
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => errorBackoffMs(n, undefined, options, mid));
    assert.deepEqual(
      [...delays].sort((a, b) => a - b),
      delays,
    );
    assert.ok((delays.at(-1) ?? 0) <= 120_000);
    assert.equal(errorBackoffMs(1, 90, options, mid), 90_000);
  });

  it('refuses bounds that cannot work', () => {
    assert.throws(() => normalizePollInterval({ minMs: 0 }), RangeError);
    assert.throws(() => normalizePollInterval({ minMs: 5_000, maxMs: 1_000 }), RangeError);
  });
});
