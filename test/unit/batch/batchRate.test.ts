import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunConnection } from '../../../src/core/runs/runOptions';
import { seedNames } from '../../../src/sandbox/seed';
import { startBatchHarness, type BatchHarness } from './batchHarness';

const connections: RunConnection[] = [{ kind: 'connection', name: seedNames.connections.makerMachine }];
/** The service's per-connection limit, lowered (sandbox and client alike) so the test needs few items. */
const limit = 10;
const rateLimit = { limit, windowMs: 60_000 };

describe('batch: the service’s per-connection budget across processes', function () {
  // Bounded: the sandbox runs 10x, so one rate window is 6 s.
  this.timeout(60_000);
  let h: BatchHarness;
  let dir: string;

  before(async () => {
    h = await startBatchHarness(10);
    h.sandbox.settings.runsPerMinutePerConnection = limit;
    dir = await mkdtemp(path.join(tmpdir(), 'desktop-flows-batch-rate-'));
  });

  after(async () => {
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a batch started right after another one on the same connection waits for the starts the service still counts: no 429', async () => {
    await h.writeEchoItems(path.join(dir, 'first'), limit, 'first');
    await h.writeEchoItems(path.join(dir, 'second'), limit, 'second');
    const session = (name: string): ReturnType<BatchHarness['session']> =>
      h.session(
        {
          paths: [path.join(dir, name)],
          journalFile: path.join(dir, `${name}.journal.json`),
          resume: false,
          wait: false,
          connections,
          runMode: 'attended',
          rateLimit,
        },
        new AbortController().signal,
      );

    // Another process used the whole budget a moment ago; this one knows nothing of it but the service.
    const first = await session('first');
    const second = await session('second');

    assert.ok(first.kind === 'ran' && second.kind === 'ran');
    const starts = h.requests.filter((r) => r.method === 'POST' && r.url.includes('RunDesktopFlow'));
    assert.deepEqual(
      starts.map((r) => r.status),
      Array.from({ length: 2 * limit }, () => 200),
      'every start accepted, none refused with 429',
    );
    assert.equal(second.summary.accepted, limit);
    // The second batch sent nothing before the first one's starts left the service's window.
    const firstStarts = [...h.dev.runs.values()]
      .filter((r) => String(r.inputs.inputText).startsWith('first-'))
      .map((r) => Date.parse(String(r.row.createdon)));
    const secondStarts = [...h.dev.runs.values()]
      .filter((r) => String(r.inputs.inputText).startsWith('second-'))
      .map((r) => Date.parse(String(r.row.createdon)));
    assert.ok(
      Math.min(...secondStarts) >= Math.min(...firstStarts) + 60_000,
      'the second batch waited a full window after the first one began',
    );
  });
});

describe('batch: a 429’s Retry-After on a sandbox that runs 60 times faster', function () {
  // Bounded: the sandbox runs 60x, so one rate window is 1 real second.
  this.timeout(30_000);
  const speed = 60;
  /** The sandbox refuses the 6th start in a minute; the client is told a higher limit, so it sends it. */
  const serviceLimit = 5;
  let h: BatchHarness;
  let dir: string;

  before(async () => {
    h = await startBatchHarness(speed);
    h.sandbox.settings.runsPerMinutePerConnection = serviceLimit;
    dir = await mkdtemp(path.join(tmpdir(), 'desktop-flows-batch-retry-after-'));
  });

  after(async () => {
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('waits out Retry-After in real seconds: no second 429, and not 60 times longer', async () => {
    const items = 2 * serviceLimit;
    await h.writeEchoItems(path.join(dir, 'items'), items, 'retry');
    const result = await h.session(
      {
        paths: [path.join(dir, 'items')],
        journalFile: path.join(dir, 'items.journal.json'),
        resume: false,
        wait: false,
        connections,
        runMode: 'attended',
        // What the client believes: 50 a minute, so only the service's 429 holds it back.
        rateLimit: { limit: 50, windowMs: 60_000 },
      },
      new AbortController().signal,
    );

    assert.ok(result.kind === 'ran');
    assert.equal(result.summary.accepted, items, 'every item started');
    const starts = h.requests.filter((r) => r.method === 'POST' && r.url.includes('RunDesktopFlow'));
    // Retry-After read as sandbox seconds would retry after 1/60 s and collect a 429 again and again.
    assert.deepEqual(
      starts.map((r) => r.status),
      [
        ...Array.from({ length: serviceLimit }, () => 200),
        429,
        ...Array.from({ length: serviceLimit }, () => 200),
      ],
      'one 429, then every start accepted',
    );
    // The sandbox's Retry-After is in real seconds, rounded up, at least 1 (src/sandbox/rateLimits.ts): here
    // 1 s, since its whole window is 1 real second. `at` is sandbox time, 60 times faster.
    const throttled = starts.findIndex((r) => r.status === 429);
    const waitedMs = ((starts[throttled + 1]?.at ?? NaN) - (starts[throttled]?.at ?? NaN)) / speed;
    assert.ok(waitedMs >= 1000 - 20, `waited ${waitedMs.toFixed(0)} ms: not before Retry-After (1 s)`);
    // 60 s would be Retry-After taken as sandbox seconds and converted to real time.
    assert.ok(waitedMs < 5000, `waited ${waitedMs.toFixed(0)} ms: not many times longer than Retry-After`);
    assert.equal(h.echoRuns().size, items, 'each item ran once');
    assert.ok([...h.echoRuns().values()].every((ids) => ids.length === 1));
  });
});
