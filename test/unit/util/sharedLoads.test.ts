import assert from 'node:assert/strict';
import { CancellationError } from '../../../src/core/errors';
import { SharedLoads } from '../../../src/core/util/sharedLoads';

/** A lookup the test answers by hand, recording the signal it ran under. */
function manualLoad<T>(): {
  load: (signal: AbortSignal) => Promise<T>;
  calls: AbortSignal[];
  answer: (value: T) => void;
  fail: (e: Error) => void;
} {
  const calls: AbortSignal[] = [];
  let answer: (value: T) => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  return {
    calls,
    load: (signal) => {
      calls.push(signal);
      return new Promise<T>((resolve, reject) => {
        answer = resolve;
        fail = reject;
        signal.addEventListener('abort', () => reject(new CancellationError()), { once: true });
      });
    },
    answer: (value) => answer(value),
    fail: (e) => fail(e),
  };
}

describe('SharedLoads: one lookup per key, shared, never run under a caller’s signal', () => {
  it('goes on for the other callers when the first caller stops waiting', async () => {
    const loads = new SharedLoads<string[]>();
    const lookup = manualLoad<string[]>();
    const gaveUp = new AbortController();
    const first = loads.get('account', lookup.load, gaveUp.signal);
    const second = loads.get('account', lookup.load, AbortSignal.timeout(10_000));
    gaveUp.abort();
    await assert.rejects(first, (e: unknown) => CancellationError.is(e));
    assert.equal(lookup.calls[0]?.aborted, false, 'the shared lookup is not aborted with its first caller');
    lookup.answer(['Contoso Dev']);
    assert.deepEqual(await second, ['Contoso Dev']);
    assert.equal(lookup.calls.length, 1, 'one lookup for both callers');
    assert.deepEqual(await loads.get('account', lookup.load, AbortSignal.timeout(10_000)), ['Contoso Dev']);
    assert.equal(lookup.calls.length, 1, 'the answer is kept');
  });

  it('keeps no failed lookup, and a forgotten lookup that fails later leaves the newer one alone', async () => {
    const loads = new SharedLoads<string>();
    const failing = manualLoad<string>();
    const signal = AbortSignal.timeout(10_000);
    const first = loads.get('k', failing.load, signal);
    failing.fail(new Error('discovery said 503'));
    await assert.rejects(first, /503/);
    const retry = manualLoad<string>();
    const second = loads.get('k', retry.load, signal);
    assert.equal(retry.calls.length, 1, 'a failed lookup is looked up again');

    loads.clear((key) => key === 'k');
    const newer = manualLoad<string>();
    const third = loads.get('k', newer.load, signal);
    retry.fail(new Error('late failure of the forgotten lookup'));
    await assert.rejects(second);
    newer.answer('fresh');
    assert.equal(await third, 'fresh');
    assert.equal(await loads.get('k', newer.load, signal), 'fresh');
    assert.equal(newer.calls.length, 1, 'the newer answer is still kept');
  });

  it('aborts lookups in flight on dispose and when the owner’s lifetime ends', async () => {
    const loads = new SharedLoads<string>();
    const lookup = manualLoad<string>();
    const waiting = loads.get('k', lookup.load, AbortSignal.timeout(10_000));
    loads.dispose();
    assert.equal(lookup.calls[0]?.aborted, true);
    await assert.rejects(waiting, (e: unknown) => CancellationError.is(e));

    const owner = new AbortController();
    const owned = new SharedLoads<string>(owner.signal);
    const other = manualLoad<string>();
    const pending = owned.get('k', other.load, AbortSignal.timeout(10_000));
    owner.abort();
    assert.equal(other.calls[0]?.aborted, true);
    await assert.rejects(pending, (e: unknown) => CancellationError.is(e));
  });

  it('fails every waiter once the time limit passes', async () => {
    const loads = new SharedLoads<string>(undefined, 50);
    const lookup = manualLoad<string>();
    await assert.rejects(loads.get('k', lookup.load, AbortSignal.timeout(10_000)), (e: unknown) =>
      CancellationError.is(e),
    );
    assert.equal(lookup.calls[0]?.aborted, true);
  });
});
