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
