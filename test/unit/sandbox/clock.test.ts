import assert from 'node:assert/strict';
import { isoSeconds, SandboxClock } from '../../../src/sandbox/clock';
import { settle, waitFor } from './sandboxHarness';

describe('sandbox: SandboxClock', () => {
  it('fires timers in due order when advanced past them', async () => {
    const clock = new SandboxClock({ start: 0 });
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20_000);
    clock.setTimeout(() => fired.push('a'), 10_000);
    const cancelled = clock.setTimeout(() => fired.push('never'), 15_000);
    clock.clearTimeout(cancelled);
    clock.advance(30_000);
    await settle();
    assert.deepEqual(fired, ['a', 'b']);
    assert.ok(clock.now() >= 30_000);
    clock.dispose();
  });

  it('plays out timers scheduled by timers within one advance, each at its own due time', () => {
    const clock = new SandboxClock({ start: 0 });
    const seen: [string, number][] = [];
    clock.setTimeout(() => {
      seen.push(['dispatch', clock.now()]);
      clock.setTimeout(() => seen.push(['finish', clock.now()]), 20_000);
    }, 1_000);
    clock.advance(120_000);
    assert.deepEqual(
      seen.map(([what]) => what),
      ['dispatch', 'finish'],
    );
    assert.ok((seen[0]?.[1] ?? 0) < 2_000, 'dispatch saw its own due time');
    assert.ok((seen[1]?.[1] ?? 0) >= 21_000 && (seen[1]?.[1] ?? 0) < 22_000, 'finish saw its own due time');
    assert.ok(clock.now() >= 120_000);
    clock.dispose();
  });

  it('runs sandbox time faster with a speed factor', async () => {
    const clock = new SandboxClock({ speed: 10_000 });
    let done = false;
    // One sandbox hour passes in well under a second of real time at this speed.
    clock.setTimeout(() => (done = true), 3_600_000);
    await waitFor(() => (done ? true : undefined), 5000, 'the sped-up timer');
    assert.equal(clock.toReal(10_000), 1);
    clock.dispose();
  });

  it('only moves forward and formats Dataverse-style timestamps', () => {
    const clock = new SandboxClock({ start: Date.parse('2025-01-02T03:04:05.678Z') });
    assert.throws(() => clock.advance(-1), RangeError);
    assert.throws(() => clock.setSpeed(0), RangeError);
    assert.equal(isoSeconds(Date.parse('2025-01-02T03:04:05.678Z')), '2025-01-02T03:04:05Z');
    clock.dispose();
  });
});
