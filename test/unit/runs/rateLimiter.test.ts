import assert from 'node:assert/strict';
import { CancellationError } from '../../../src/core/errors';
import {
  runDesktopFlowRateLimit,
  SlidingWindowRateLimiter,
  type RatePermit,
  type RateWait,
} from '../../../src/core/runs/rateLimiter';
import { ManualClock, settle } from './manualClock';

describe('runs: per-connection rate limiter', () => {
  const signal = new AbortController().signal;

  function limiter(clock: ManualClock): SlidingWindowRateLimiter {
    return new SlidingWindowRateLimiter({ ...runDesktopFlowRateLimit, clock });
  }

  it('lets 70 runs through per minute per connection; the 71st waits until the first slot is a minute old', async () => {
    const clock = new ManualClock();
    const l = limiter(clock);
    const start = clock.now();
    for (let i = 0; i < 70; i++) {
      const permit = await l.acquire('conn-a', signal);
      permit.done();
    }
    const waits: RateWait[] = [];
    let granted: RatePermit | undefined;
    void l.acquire('conn-a', signal, (w) => waits.push(w)).then((p) => (granted = p));
    await settle();
    assert.equal(granted, undefined, 'the 71st must wait');
    assert.deepEqual(waits, [{ key: 'conn-a', reason: 'connectionLimit', until: start + 60_000 }]);

    await clock.advance(59_999);
    assert.equal(granted, undefined, 'still inside the window');
    await clock.advance(1);
    assert.ok(granted, 'granted once the first slot left the window');
    assert.equal(clock.now(), start + 60_000);
  });

  it('keeps connections independent', async () => {
    const clock = new ManualClock();
    const l = limiter(clock);
    for (let i = 0; i < 70; i++) {
      (await l.acquire('conn-a', signal)).done();
    }
    let other: RatePermit | undefined;
    void l.acquire('conn-b', signal).then((p) => (other = p));
    await settle();
    assert.ok(other, 'another connection has its own budget');
    assert.equal(l.used('conn-a'), 70);
    assert.equal(l.used('conn-b'), 1);
  });

  it('counts a slot from when its request finished, so a slow request pushes the window back', async () => {
    const clock = new ManualClock();
    const l = new SlidingWindowRateLimiter({ limit: 2, windowMs: 1_000, clock });
    const start = clock.now();
    const slow = await l.acquire('k', signal);
    (await l.acquire('k', signal)).done();
    await clock.advance(500);
    slow.done(); // finished at +500
    let thirdAt: number | undefined;
    void l.acquire('k', signal).then((p) => {
      thirdAt = clock.now();
      p.done();
    });
    await clock.advance(999);
    assert.equal(thirdAt, 1_000 + start, 'the first finished slot expired at +1000');
    let fourthAt: number | undefined;
    void l.acquire('k', signal).then((p) => {
      fourthAt = clock.now();
      p.done();
    });
    await clock.advance(2_000);
    assert.equal(fourthAt, 1_500 + start, 'the slow slot counted until +1500, not +1000');
  });

  it('frees the slot of a request that was never sent', async () => {
    const clock = new ManualClock();
    const l = new SlidingWindowRateLimiter({ limit: 1, windowMs: 60_000, clock });
    const permit = await l.acquire('k', signal);
    let next: RatePermit | undefined;
    void l.acquire('k', signal).then((p) => (next = p));
    await settle();
    assert.equal(next, undefined);
    permit.cancel();
    await settle();
    assert.ok(next, 'a cancelled permit wakes the next waiter at once');
  });

  it('honours a service block (429 Retry-After) and says so', async () => {
    const clock = new ManualClock();
    const l = limiter(clock);
    l.blockUntil('k', clock.now() + 7_000);
    const waits: RateWait[] = [];
    let granted: RatePermit | undefined;
    void l.acquire('k', signal, (w) => waits.push(w)).then((p) => (granted = p));
    await clock.advance(6_999);
    assert.equal(granted, undefined);
    assert.equal(waits[0]?.reason, 'serviceThrottled');
    assert.equal(waits[0]?.until, clock.now() + 1);
    await clock.advance(1);
    assert.ok(granted);
  });

  it('serves waiters in arrival order', async () => {
    const clock = new ManualClock();
    const l = new SlidingWindowRateLimiter({ limit: 1, windowMs: 1_000, clock });
    (await l.acquire('k', signal)).done();
    const order: number[] = [];
    for (const n of [1, 2, 3]) {
      void l.acquire('k', signal).then((p) => {
        order.push(n);
        p.done();
      });
    }
    await clock.advance(3_000);
    assert.deepEqual(order, [1, 2, 3]);
  });

  it('stops waiting when cancelled, without taking a slot', async () => {
    const clock = new ManualClock();
    const l = new SlidingWindowRateLimiter({ limit: 1, windowMs: 1_000, clock });
    (await l.acquire('k', signal)).done();
    const abort = new AbortController();
    const waiting = l.acquire('k', abort.signal);
    await settle();
    abort.abort();
    await assert.rejects(waiting, CancellationError);
    assert.equal(l.used('k'), 1);
    assert.equal(clock.pending, 0, 'no timer outlives the cancelled wait');
  });
});
